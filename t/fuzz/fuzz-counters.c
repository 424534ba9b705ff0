/*
 * NAME
 *	fuzz-counters - fuzz target for the check of tlspind's counters file
 * SYNOPSIS
 *	fuzz-counters [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	tlspin stats shows the bytes of the counters file in the store
 *	directory once counters_check() accepts them. The input is those
 *	bytes. What must hold, besides not reading past len:
 *
 *	- a refusal comes with a reason, an acceptance leaves why alone;
 *	- what is accepted is at most COUNTERS_MAX bytes of printable ASCII
 *	  and newlines, ends with a newline (or is empty), and each line
 *	  has a non-empty name of a-z and _ before its first "=";
 *	- a prefix cut after a newline of an accepted text is accepted
 *	  too, and one cut anywhere else is refused (a file cut short is
 *	  never shown as whole);
 *	- what is accepted, read by metrics_counters() (tlspin metrics),
 *	  renders within METRICS_MAX as lines that are "# HELP", "# TYPE"
 *	  or a tlspin_ sample ending in a digit: no byte of the file
 *	  reaches the exposition but as a number.
 */
#include "autoconf.h"

#include <string.h>

#include "counters.h"
#include "metrics.h"
#include "check.h"

#define T "fuzz-counters"

/* The properties of an accepted text, line by line. */
static void
fuzz_counters_accepted(const char *s, size_t len)
{
	size_t i, start = 0;
	const char *eq;
	const char *why = NULL;

	check_that(len <= COUNTERS_MAX, T, "accepted text fits COUNTERS_MAX");
	check_that(len == 0 || s[len - 1] == '\n', T,
	    "accepted text ends with a newline");
	for (i = 0; i < len; i++) {
		if (s[i] != '\n') {
			check_that(check_printable(s + i, 1), T,
			    "accepted text is printable ASCII");
			continue;
		}
		eq = memchr(s + start, '=', i - start);
		check_that(eq != NULL && eq > s + start, T,
		    "each line has a name before =");
		for (; eq != NULL && s + start < eq; start++)
			check_that((s[start] >= 'a' && s[start] <= 'z') ||
			    s[start] == '_', T, "a name is a-z and _");
		check_that(counters_check(s, i + 1, &why), T,
		    "a prefix cut after a newline is accepted");
		if (i > 0)
			check_that(!counters_check(s, i, &why) ||
			    s[i - 1] == '\n', T,
			    "a prefix cut inside a line is refused");
		start = i + 1;
	}
}

/* An accepted text through metrics_counters() and metrics_render(). */
static void
fuzz_counters_metrics(const char *s, size_t len)
{
	static char text[COUNTERS_MAX + 1], out[METRICS_MAX];
	struct metrics m;
	size_t n, start = 0, i;

	memcpy(text, s, len);
	text[len] = '\0';
	memset(&m, 0, sizeof(m));
	m.now = 2000000000;
	m.have_store = 1;
	m.have_learner = 1;
	m.last_line = 1;
	metrics_counters(&m, text);
	n = metrics_render(&m, out, sizeof(out));
	check_that(n < sizeof(out) && strlen(out) == n, T,
	    "the exposition fits METRICS_MAX");
	for (i = 0; i < n; i++) {
		if (out[i] != '\n')
			continue;
		check_that(strncmp(out + start, "# HELP tlspin_", 14) == 0 ||
		    strncmp(out + start, "# TYPE tlspin_", 14) == 0 ||
		    (strncmp(out + start, "tlspin_", 7) == 0 && i > start &&
		    out[i - 1] >= '0' && out[i - 1] <= '9'), T,
		    "each line is HELP, TYPE or a sample with a number");
		start = i + 1;
	}
	check_that(start == n, T, "the exposition ends with a newline");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *why = NULL;
	int ok = counters_check((const char *)data, size, &why);

	if (!ok) {
		check_that(why != NULL && *why != '\0', T,
		    "a refusal has a reason");
		return 0;
	}
	check_that(why == NULL, T, "an acceptance leaves why alone");
	fuzz_counters_accepted((const char *)data, size);
	fuzz_counters_metrics((const char *)data, size);
	return 0;
}
