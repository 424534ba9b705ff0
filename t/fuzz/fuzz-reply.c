/*
 * NAME
 *	fuzz-reply - fuzz target for the policy values sent to Postfix
 * SYNOPSIS
 *	fuzz-reply [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	A policy value Postfix rejects defers mail, so reply_validate() is
 *	the last gate before a value leaves and reply_build() the first
 *	when an admin writes one. The input is a policy text, tried at
 *	several postfix_compat versions. What must hold:
 *
 *	- reply_validate() reads only len bytes (the input sits in an
 *	  exactly sized buffer with no NUL after it) and gives a reason
 *	  when it says no;
 *	- a value valid for one Postfix version stays valid for every later
 *	  one (versions only add attributes);
 *	- whatever reply_build() returns passes reply_validate(), is
 *	  NUL-terminated at its length and at most REPLY_MAX bytes, and
 *	  building it again changes nothing;
 *	- a valid value builds to a value of the same length (it only
 *	  changes the case of names);
 *	- reply_build() needs exactly length + 1 bytes of output: with one
 *	  byte less it fails without writing past the buffer.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "check.h"

#define T "fuzz-reply"

/* One Postfix version for each set of attributes reply.c knows, oldest
 * first (2.0, exclude in 2.6, tafile in 2.11, servername and
 * connection_reuse in 3.4, enable_rpk in 3.9), and one far ahead. Versions
 * in between accept what the one below accepts. */
static const unsigned fuzz_reply_compat[] = { 200, 206, 211, 304, 309, 399 };

#define FUZZ_REPLY_NCOMPAT \
	(sizeof(fuzz_reply_compat) / sizeof(fuzz_reply_compat[0]))

/* Check reply_build() of in at compat; valid says reply_validate() took in. */
static void
fuzz_reply_build(const char *in, size_t len, unsigned compat, int valid)
{
	char *out, *again, *tight;
	const char *err = NULL;
	size_t n, m;

	out = check_alloc(REPLY_MAX + 1);
	n = reply_build(out, REPLY_MAX + 1, in, len, compat, &err);
	check_that(!valid || n == len, T,
	    "a valid value builds to one of the same length");
	if (n == 0) {
		check_that(err != NULL, T, "a failed build gives a reason");
		free(out);
		return;
	}
	check_that(n <= REPLY_MAX && out[n] == '\0' &&
	    memchr(out, '\0', n) == NULL, T,
	    "a built value is NUL-terminated at its length");
	err = NULL;
	check_that(reply_validate(out, n, compat, &err), T,
	    "a built value passes reply_validate");

	again = check_alloc(REPLY_MAX + 1);
	m = reply_build(again, REPLY_MAX + 1, out, n, compat, &err);
	check_that(m == n && memcmp(again, out, n + 1) == 0, T,
	    "building a built value changes nothing");
	free(again);

	tight = check_alloc(n + 1);
	check_that(reply_build(tight, n + 1, in, len, compat, &err) == n &&
	    memcmp(tight, out, n + 1) == 0, T,
	    "build succeeds with exactly length + 1 bytes of output");
	free(tight);
	tight = check_alloc(n);
	err = NULL;
	check_that(reply_build(tight, n, in, len, compat, &err) == 0 &&
	    err != NULL, T, "build fails, with a reason, one byte short");
	free(tight);
	free(out);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *in = (const char *)data;
	const char *err;
	int valid, was_valid = 0;
	size_t i;

	for (i = 0; i < FUZZ_REPLY_NCOMPAT; i++) {
		err = NULL;
		valid = reply_validate(in, size, fuzz_reply_compat[i], &err);
		check_that(valid || (err != NULL && err[0] != '\0'), T,
		    "a rejected value gives a reason");
		check_that(valid || !was_valid, T,
		    "a value valid for a Postfix version is valid for later "
		    "ones");
		was_valid = valid;
		fuzz_reply_build(in, size, fuzz_reply_compat[i], valid);
	}
	return 0;
}
