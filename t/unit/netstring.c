/*
 * NAME
 *	t/unit/netstring - tests for the netstring parser and encoder
 * DESCRIPTION
 *	Valid netstrings, every truncation of a valid one (always "more"),
 *	lengths over the limit (rejected before the body arrives), leading
 *	zeros, non-digits, a missing colon or comma, and round trips.
 */
#include "autoconf.h"

#include <string.h>

#include "netstring.h"
#include "tap.h"

static enum netstring_status
parse(const char *s, size_t max, struct netstring *ns)
{
	const char *err;

	return netstring_parse(s, strlen(s), max, ns, &err);
}

static void
test_valid(void)
{
	struct netstring ns;

	tap_is_int(parse("18:policy example.com,", 100, &ns), NETSTRING_OK,
	    "valid netstring parses");
	tap_is_mem(ns.data, ns.len, "policy example.com", 18, "payload");
	tap_is_int((long long)ns.consumed, 22, "consumed the whole netstring");
	tap_is_int(parse("0:,", 100, &ns), NETSTRING_OK, "empty netstring");
	tap_is_int((long long)ns.len, 0, "empty payload");
	tap_is_int(parse("3:abc,4:defg,", 100, &ns), NETSTRING_OK,
	    "pipelined: first of two");
	tap_is_int((long long)ns.consumed, 6, "stops after the first");
	tap_is_int(parse("3:a,c,", 100, &ns), NETSTRING_OK,
	    "comma inside the payload is data");
	tap_is_mem(ns.data, ns.len, "a,c", 3, "payload with comma");
}

static void
test_truncations(void)
{
	static const char full[] = "18:policy example.com,";
	struct netstring ns;
	const char *err;
	size_t i;
	int all_more = 1;

	for (i = 0; i < sizeof(full) - 1; i++)
		if (netstring_parse(full, i, 100, &ns, &err) != NETSTRING_MORE)
			all_more = 0;
	tap_ok(all_more, "every truncation of a valid netstring needs more");
}

static void
test_errors(void)
{
	struct netstring ns;
	const char *err = NULL;

	tap_is_int(parse("x:abc,", 100, &ns), NETSTRING_ERROR, "non-digit start");
	tap_is_int(parse(":abc,", 100, &ns), NETSTRING_ERROR, "no length");
	tap_is_int(parse("3x", 100, &ns), NETSTRING_ERROR, "no colon");
	tap_is_int(parse("3:abcd", 100, &ns), NETSTRING_ERROR, "missing comma");
	tap_is_int(parse("3:abc;", 100, &ns), NETSTRING_ERROR, "wrong terminator");
	tap_is_int(parse("03:abc,", 100, &ns), NETSTRING_ERROR, "leading zero");
	tap_is_int(parse("00:,", 100, &ns), NETSTRING_ERROR, "double zero");
	tap_is_int(parse("101:", 100, &ns), NETSTRING_ERROR,
	    "length over the limit rejected before the body");
	tap_is_int(parse("1025", 1024, &ns), NETSTRING_ERROR,
	    "length over the limit rejected before the colon");
	tap_is_int(parse("99999999999999999999999999:", 1024, &ns),
	    NETSTRING_ERROR, "overlong length cannot overflow");
	tap_is_int(parse("9:", 5, &ns), NETSTRING_ERROR,
	    "a single digit over a small limit");
	tap_is_int(parse("18446744073709551615:", (size_t)-1, &ns),
	    NETSTRING_MORE, "SIZE_MAX length with SIZE_MAX limit: no overflow");
	tap_is_int(parse("18446744073709551616:", (size_t)-1, &ns),
	    NETSTRING_ERROR, "one over SIZE_MAX is over the limit");
	tap_is_int(parse("1024:", 1024, &ns), NETSTRING_MORE,
	    "length at the limit waits for the body");
	tap_is_int(netstring_parse("-1:", 3, 100, &ns, &err), NETSTRING_ERROR,
	    "negative length");
	tap_ok(err != NULL && strlen(err) > 0, "error has a reason: %s",
	    err ? err : "(none)");
}

static void
test_encode(void)
{
	char buf[64];
	struct netstring ns;
	const char *err;
	size_t n;

	n = netstring_encode(buf, sizeof(buf), "NOTFOUND ", 9);
	tap_is_mem(buf, n, "9:NOTFOUND ,", 12, "encode NOTFOUND");
	tap_is_int(netstring_parse(buf, n, 100, &ns, &err), NETSTRING_OK,
	    "encoded parses back");
	tap_is_mem(ns.data, ns.len, "NOTFOUND ", 9, "round trip payload");
	tap_is_int((long long)netstring_encode(buf, 12, "NOTFOUND ", 9), 12,
	    "exact fit");
	tap_is_int((long long)netstring_encode(buf, 11, "NOTFOUND ", 9), 0,
	    "one byte short fails");
	tap_is_int((long long)netstring_encode(buf, 2, "abc", 3), 0,
	    "no room for the header fails");
}

int
main(void)
{
	test_valid();
	test_truncations();
	test_errors();
	test_encode();
	return tap_done();
}
