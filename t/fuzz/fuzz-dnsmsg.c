/*
 * NAME
 *	fuzz-dnsmsg - fuzz target for the DNS answers a probe reads
 * SYNOPSIS
 *	fuzz-dnsmsg [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	A probe asks a resolver for MX, A, AAAA, TXT and TLSA records and
 *	reads the response with dnsmsg_parse(): bytes chosen by the resolver
 *	or by whoever answers in its place. The first input byte picks the
 *	type asked (modulo 5: MX, A, AAAA, TXT, TLSA; the seeds start with
 *	0 to 4), the rest is the response. What must hold, besides not
 *	reading past len:
 *
 *	- the result is 1, or 0 with a reason, which is cut to fit a small
 *	  err without writing past it;
 *	- at most DNSMSG_MX_MAX MX hosts, sorted by preference, each once,
 *	  each a name dnsmsg_name_ok() takes (so lowercase, no trailing
 *	  dot); MX hosts, skipped names and the null MX only for an MX query;
 *	- at most DNSMSG_ADDR_MAX addresses, only for an A or AAAA query,
 *	  each text that inet_pton() reads for the family asked;
 *	- sts only for a TXT query; the flags are 0 or 1, rcode 0..15;
 *	- nothing is kept that was not counted: nmx + skipped + naddr is at
 *	  most answers;
 *	- parsing is a function of the bytes: a second parse gives the same
 *	  struct, byte for byte.
 *
 *	The same response goes to dnsmsg_is_reply() against tlspin doctor's
 *	query for example.com's SOA, with the id the response starts with:
 *	it says 0 or 1, and 1 only for bytes that hold the whole question.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "check.h"

#define T "fuzz-dnsmsg"

static const int fuzz_dnsmsg_types[] = {
	DNSMSG_MX, DNSMSG_A, DNSMSG_AAAA, DNSMSG_TXT, DNSMSG_TLSA
};

/* Check the MX hosts of a parse for type. */
static void
fuzz_dnsmsg_mx(int type, const struct dnsmsg *d)
{
	unsigned i, j;

	check_that(d->nmx <= DNSMSG_MX_MAX, T, "at most DNSMSG_MX_MAX hosts");
	if (type != DNSMSG_MX)
		check_that(d->nmx == 0 && d->skipped == 0 && d->null_mx == 0,
		    T, "MX hosts, skipped names, null MX only for MX");
	for (i = 0; i < d->nmx; i++) {
		check_that(strnlen(d->mx[i].name, sizeof(d->mx[i].name)) <
		    sizeof(d->mx[i].name), T, "an MX name is NUL-terminated");
		check_that(dnsmsg_name_ok(d->mx[i].name), T,
		    "every MX name is a host name dnsmsg_name_ok() takes");
		check_that(d->mx[i].pref <= 0xffff, T,
		    "a preference is 16 bits");
		if (i > 0)
			check_that(d->mx[i - 1].pref <= d->mx[i].pref, T,
			    "MX hosts are sorted by preference");
		for (j = 0; j < i; j++)
			check_that(strcmp(d->mx[i].name, d->mx[j].name) != 0, T,
			    "each MX host once");
	}
}

/* Check the addresses of a parse for type. */
static void
fuzz_dnsmsg_addr(int type, const struct dnsmsg *d)
{
	unsigned char bin[16];
	unsigned i;

	check_that(d->naddr <= DNSMSG_ADDR_MAX, T,
	    "at most DNSMSG_ADDR_MAX addresses");
	if (type != DNSMSG_A && type != DNSMSG_AAAA)
		check_that(d->naddr == 0, T, "addresses only for A and AAAA");
	for (i = 0; i < d->naddr; i++) {
		check_that(strnlen(d->addr[i], DNSMSG_ADDR_LEN) <
		    DNSMSG_ADDR_LEN, T, "an address is NUL-terminated");
		check_that(inet_pton(type == DNSMSG_A ? AF_INET : AF_INET6,
		    d->addr[i], bin) == 1, T,
		    "an address is text inet_pton() reads for its family");
	}
}

/* dnsmsg_is_reply() on the response, for the query with its id. */
static void
fuzz_dnsmsg_reply(const unsigned char *data, size_t size)
{
	unsigned char q[DNSMSG_QUERY_MAX];
	unsigned id = size >= 2 ? (unsigned)data[0] << 8 | data[1] : 0;
	size_t qlen = dnsmsg_query(id, "example.com", DNSMSG_SOA, q,
	    sizeof(q));
	int r;

	check_that(qlen > 12, T, "the query is built");
	r = dnsmsg_is_reply(q, qlen, data, size);
	check_that(r == 0 || r == 1, T, "dnsmsg_is_reply gives 0 or 1");
	if (r)
		check_that(size >= qlen - 11 && (data[2] & 0x80), T,
		    "a reply holds the header and the question, with QR");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct dnsmsg d, again;
	char err[DNSMSG_ERR_MAX], err2[DNSMSG_ERR_MAX], *small;
	int type, ok, ok2;

	if (size == 0)
		return 0;
	type = fuzz_dnsmsg_types[data[0] % 5];
	data++;
	size--;

	err[0] = '\0';
	ok = dnsmsg_parse(data, size, type, &d, err, sizeof(err));
	check_that(ok == 0 || ok == 1, T, "dnsmsg_parse gives 0 or 1");
	check_that(strnlen(err, sizeof(err)) < sizeof(err), T,
	    "err is NUL-terminated");
	if (!ok) {
		check_that(err[0] != '\0', T, "0 comes with a reason");
		small = check_alloc(5);
		check_that(dnsmsg_parse(data, size, type, &again, small, 5) ==
		    0 && strlen(small) == 4, T, "a reason cut to a small err");
		free(small);
	} else {
		check_that(d.rcode >= 0 && d.rcode <= 15, T,
		    "rcode is 4 bits");
		check_that((d.ad == 0 || d.ad == 1) && (d.null_mx == 0 ||
		    d.null_mx == 1) && (d.sts == 0 || d.sts == 1), T,
		    "ad, null_mx and sts are 0 or 1");
		check_that(type == DNSMSG_TXT || d.sts == 0, T,
		    "sts only for TXT");
		fuzz_dnsmsg_mx(type, &d);
		fuzz_dnsmsg_addr(type, &d);
		check_that(d.nmx + d.skipped + d.naddr <= d.answers, T,
		    "nothing kept that was not counted as an answer");
	}

	fuzz_dnsmsg_reply(data, size);
	err2[0] = '\0';
	ok2 = dnsmsg_parse(data, size, type, &again, err2, sizeof(err2));
	check_that(ok2 == ok && memcmp(&d, &again, sizeof(d)) == 0 &&
	    strcmp(err, err2) == 0, T, "a second parse gives the same");
	return 0;
}
