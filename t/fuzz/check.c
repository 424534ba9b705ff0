/*
 * NAME
 *	check - property checks shared by the fuzz targets
 * SYNOPSIS
 *	#include "check.h"
 *
 *	void check_that(cond, target, what)
 *	void *check_alloc(size)
 *	int check_printable(s, n)
 * DESCRIPTION
 *	A fuzz target finds more than crashes when it also states what must
 *	hold for every input (a round trip gives the bytes back, a result is
 *	NUL-terminated). check_that() turns a broken property into an
 *	abort(), which libFuzzer reports as a crash and saves the input, and
 *	which the replay driver (driver.c) turns into a failing test.
 *
 *	check_alloc() returns exactly size bytes of heap, so that
 *	AddressSanitizer sees a write one past an output buffer; it aborts
 *	when out of memory.
 *
 *	check_printable() is true when n bytes at s are printable ASCII,
 *	what the record codec accepts in its text fields.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "check.h"

/* Abort with a message naming the property when cond is false. */
void
check_that(int cond, const char *target, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "%s: property violated: %s\n", target, what);
	abort();
}

/* Exactly size bytes of heap (at least one), or abort. */
void *
check_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL) {
		fprintf(stderr, "fuzz: out of memory allocating %zu bytes\n",
		    size);
		abort();
	}
	return p;
}


/* True if n bytes at s are all printable ASCII. */
int
check_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}
