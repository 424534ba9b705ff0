/*
 * NAME
 *	fuzz-probe-wire - fuzz target for a probe process's message
 * SYNOPSIS
 *	fuzz-probe-wire [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The learner reads each probe result with prober_result_decode(). The
 *	prober that sent it parsed bytes from the network, so the learner
 *	trusts none of it. The input is such a message. What must hold,
 *	besides not reading past len:
 *
 *	- 0 comes with a reason; 1 with a domain that dnsmsg_name_ok()
 *	  takes, MX and proved lists that are such names joined by ':' (or
 *	  empty), each field NUL-terminated within its bound, a printable
 *	  note, a known verdict and dnssec 0 or 1;
 *	- the encoding is canonical: encoding what was decoded gives back
 *	  exactly the input, and into a buffer one byte short gives 0;
 *	- no strict prefix of a message that decodes decodes, so the learner
 *	  never takes part of a message for the whole: checked on the header
 *	  alone, at the end of each of the first three fields, and one byte
 *	  short.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "learn.h"
#include "prober.h"
#include "check.h"

#define T "fuzz-probe-wire"

/* True when list is empty or host names joined by single ':'. */
static int
fuzz_probe_wire_names(const char *list)
{
	char name[DNSMSG_NAME_MAX + 1];
	size_t start = 0, i, n;

	for (i = 0;; i++) {
		if (list[i] != ':' && list[i] != '\0')
			continue;
		n = i - start;
		if (n == 0)	/* an empty name: fine only as the whole list */
			return i == 0 && list[i] == '\0';
		if (n > DNSMSG_NAME_MAX)
			return 0;
		memcpy(name, list + start, n);
		name[n] = '\0';
		if (!dnsmsg_name_ok(name))
			return 0;
		if (list[i] == '\0')
			return 1;
		start = i + 1;
	}
}

/* Check a message that decoded, of len bytes. */
static void
fuzz_probe_wire_ok(const unsigned char *data, size_t len, const char *domain,
    const struct learn_probe *pr)
{
	struct learn_probe other;
	char dom[KEY_MAX + 1];
	unsigned char *enc = check_alloc(len);
	const char *err;
	size_t cut[5], i;

	check_that(strnlen(domain, KEY_MAX + 1) <= DNSMSG_NAME_MAX &&
	    dnsmsg_name_ok(domain), T, "the domain is a host name");
	check_that(strnlen(pr->mx, sizeof(pr->mx)) <= RECORD_MATCH_MAX &&
	    strnlen(pr->verified, sizeof(pr->verified)) <= RECORD_MATCH_MAX &&
	    strnlen(pr->note, sizeof(pr->note)) <= RECORD_PROBE_MAX, T,
	    "each field is NUL-terminated within its bound");
	check_that(fuzz_probe_wire_names(pr->mx) &&
	    fuzz_probe_wire_names(pr->verified), T,
	    "the MX and proved lists are host names joined by ':'");
	check_that(check_printable(pr->note, strlen(pr->note)), T,
	    "the note is printable");
	check_that(pr->verdict >= LEARN_PROBE_NONE &&
	    pr->verdict <= LEARN_PROBE_DANE && (pr->dnssec == 0 ||
	    pr->dnssec == 1), T, "a known verdict, dnssec 0 or 1");

	check_that(prober_result_encode(domain, pr, enc, len) == len &&
	    memcmp(enc, data, len) == 0, T,
	    "encoding what was decoded gives back the input");
	check_that(prober_result_encode(domain, pr, enc, len - 1) == 0, T,
	    "encoding into a buffer one byte short fails");
	free(enc);

	/* the header alone, the ends of the first three fields, all but one */
	cut[0] = 11;
	cut[1] = cut[0] + 2 + strlen(domain);
	cut[2] = cut[1] + 2 + strlen(pr->mx);
	cut[3] = cut[2] + 2 + strlen(pr->verified);
	cut[4] = len - 1;
	check_that(cut[3] + 2 + strlen(pr->note) == len, T,
	    "the fields add up to the message");
	for (i = 0; i < 5; i++) {
		err = NULL;
		check_that(prober_result_decode(data, cut[i], dom, &other,
		    &err) == 0 && err != NULL, T, "no strict prefix decodes");
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char domain[KEY_MAX + 1];
	struct learn_probe pr;
	const char *err = NULL;
	int ok;

	ok = prober_result_decode(data, size, domain, &pr, &err);
	check_that(ok == 0 || ok == 1, T, "decode gives 0 or 1");
	if (!ok) {
		check_that(err != NULL && err[0] != '\0', T,
		    "0 comes with a reason");
		return 0;
	}
	fuzz_probe_wire_ok(data, size, domain, &pr);
	return 0;
}
