/*
 * NAME
 *	tap - Test Anything Protocol output for the C unit tests
 * DESCRIPTION
 *	Each check prints "ok N - name" or "not ok N - name" with what was
 *	expected; tap_done() prints the plan and returns the exit status
 *	(non-zero when anything failed), read by automake's TAP driver.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int tap_n, tap_failed;

/* One check. */
void
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Compare integers. */
void
tap_is_int(long long got, long long want, const char *name)
{
	tap_ok(got == want, "%s", name);
	if (got != want)
		printf("# got %lld, want %lld\n", got, want);
}

/* Compare strings (NULL-safe). */
void
tap_is_str(const char *got, const char *want, const char *name)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	tap_ok(same, "%s", name);
	if (!same)
		printf("# got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
}

/* Compare byte strings. */
void
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *name)
{
	int same = glen == wlen && memcmp(got, want, glen) == 0;

	tap_ok(same, "%s", name);
	if (!same)
		printf("# got \"%.*s\", want \"%.*s\"\n", (int)glen,
		    (const char *)got, (int)wlen, (const char *)want);
}

/* Print the plan; exit status for main. */
int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
