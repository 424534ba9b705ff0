/*
 * NAME
 *	fuzz-netstring - fuzz target for the socketmap netstring framing
 * SYNOPSIS
 *	fuzz-netstring [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	Every request tlspind reads comes off a socket through
 *	netstring_parse(), so it must take any bytes. The input is used two
 *	ways.
 *
 *	As bytes read from a peer: parse with the daemon's limit. A result
 *	of OK must describe bytes inside the input that end in ',', the
 *	payload must encode back to exactly the bytes consumed (lengths are
 *	canonical: no leading zeros), and every shorter prefix of those
 *	bytes must say MORE, since the server calls the parser again after
 *	each read and must neither answer early nor fail on a partial
 *	request. ERROR always comes with a reason, MORE and OK never.
 *
 *	As a payload: netstring_encode() then netstring_parse() gives the
 *	payload back, and encoding into a buffer one byte too small fails
 *	without writing past it (the buffers are exactly sized, so
 *	AddressSanitizer sees an overrun).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "check.h"

#define T "fuzz-netstring"

/* Check the parse of the input as received bytes; see the file header. */
static void
fuzz_netstring_received(const char *buf, size_t len, size_t max)
{
	struct netstring ns, again;
	enum netstring_status st;
	const char *err = "unset";
	char *enc;
	size_t enclen, p;

	st = netstring_parse(buf, len, max, &ns, &err);
	if (st == NETSTRING_ERROR) {
		check_that(err != NULL && err[0] != '\0', T,
		    "ERROR comes with a reason");
		return;
	}
	check_that(err == NULL, T, "OK and MORE leave no reason");
	if (st == NETSTRING_MORE)
		return;
	check_that(st == NETSTRING_OK, T, "status is OK, MORE or ERROR");
	check_that(ns.consumed <= len, T, "consumed is inside the input");
	check_that(ns.len <= max, T, "payload is within the limit");
	check_that(ns.data >= buf && ns.data + ns.len < buf + ns.consumed, T,
	    "payload lies inside the consumed bytes");
	check_that(ns.data + ns.len + 1 == buf + ns.consumed, T,
	    "the consumed bytes end right after the payload's ','");
	check_that(buf[ns.consumed - 1] == ',', T,
	    "the consumed bytes end in ','");

	enc = check_alloc(ns.consumed);
	enclen = netstring_encode(enc, ns.consumed, ns.data, ns.len);
	check_that(enclen == ns.consumed, T,
	    "re-encoding the payload gives as many bytes as were consumed");
	check_that(memcmp(enc, buf, enclen) == 0, T,
	    "re-encoding the payload gives the consumed bytes back");
	free(enc);

	for (p = 0; p < ns.consumed; p++) {
		err = "unset";
		check_that(netstring_parse(buf, p, max, &again, &err) ==
		    NETSTRING_MORE && err == NULL, T,
		    "every prefix of a complete netstring is MORE");
	}
}

/* Check that encoding the input as a payload round-trips. */
static void
fuzz_netstring_payload(const char *data, size_t len)
{
	struct netstring ns;
	const char *err;
	size_t cap = len + 24, enclen;
	char *enc, *small;

	enc = check_alloc(cap);
	enclen = netstring_encode(enc, cap, data, len);
	check_that(enclen > len, T, "encoding fits in len + 24 bytes");
	check_that(netstring_parse(enc, enclen, len, &ns, &err) ==
	    NETSTRING_OK, T, "an encoded payload parses with max = its length");
	check_that(ns.len == len && memcmp(ns.data, data, len) == 0, T,
	    "parse gives back the payload that was encoded");
	check_that(ns.consumed == enclen, T,
	    "parse consumes exactly what encode wrote");
	if (len > 0)
		check_that(netstring_parse(enc, enclen, len - 1, &ns, &err) ==
		    NETSTRING_ERROR, T,
		    "a payload one byte over the limit is an ERROR");

	small = check_alloc(enclen - 1);
	check_that(netstring_encode(small, enclen - 1, data, len) == 0, T,
	    "encoding into a buffer one byte too small fails");
	free(small);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *buf = (const char *)data;

	fuzz_netstring_received(buf, size, NETSTRING_REQUEST_MAX);
	/* a tiny limit reaches the "over the limit" branch with short input */
	fuzz_netstring_received(buf, size, 9);
	if (size <= 4 * NETSTRING_REQUEST_MAX)
		fuzz_netstring_payload(buf, size);
	return 0;
}
