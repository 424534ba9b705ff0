/*
 * NAME
 *	t/unit/key - tests for lookup key normalisation
 * DESCRIPTION
 *	Lowercasing, [host]:port and [host] forms, parent (leading dot)
 *	keys, trailing dots, IP addresses (NOTFOUND, but named), and the
 *	names that must be NOTFOUND.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "key.h"
#include "tap.h"

static void
norm_ok(const char *in, const char *want)
{
	char out[KEY_MAX + 1];
	size_t len = 0;
	enum key_status st = key_normalize(in, strlen(in), out, &len);

	tap_ok(st == KEY_OK && len == strlen(want) && strcmp(out, want) == 0,
	    "\"%s\" -> \"%s\"", in, want);
	if (st != KEY_OK)
		printf("# rejected\n");
	else if (strcmp(out, want) != 0)
		printf("# got \"%s\"\n", out);
}

static void
norm_address(const char *in, const char *want)
{
	char out[KEY_MAX + 1];
	size_t len = 0;
	enum key_status st = key_normalize(in, strlen(in), out, &len);

	tap_ok(st == KEY_ADDRESS && len == strlen(want) &&
	    strcmp(out, want) == 0, "\"%s\" is the address %s", in, want);
	if (st != KEY_ADDRESS)
		printf("# status %d\n", (int)st);
}

static void
norm_bad(const char *in)
{
	char out[KEY_MAX + 1];
	size_t len;

	tap_ok(key_normalize(in, strlen(in), out, &len) == KEY_INVALID,
	    "\"%s\" is invalid", in);
}

int
main(void)
{
	char big[400];
	size_t len;

	norm_ok("example.com", "example.com");
	norm_ok("ExAmPle.COM", "example.com");
	norm_ok("[mx.example.com]:25", "mx.example.com");
	norm_ok("[MX.Example.com]:587", "mx.example.com");
	norm_ok("[relay.example.com]", "relay.example.com");
	norm_ok(".example.com", ".example.com");
	norm_ok(".COM", ".com");
	norm_ok("example.com.", "example.com");
	norm_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
	norm_ok("_mta-sts.example.com", "_mta-sts.example.com");
	norm_ok("localhost", "localhost");
	norm_ok("a1.example.com", "a1.example.com");
	norm_ok("1.example.com", "1.example.com");
	norm_ok("example.c0m", "example.c0m");
	norm_address("[192.0.2.1]:25", "192.0.2.1");
	norm_address("[192.0.2.1]", "192.0.2.1");
	norm_address("192.0.2.1", "192.0.2.1");
	norm_address("[2001:DB8::1]", "2001:db8::1");
	norm_address("[2001:db8::1]:25", "2001:db8::1");
	norm_address("[IPv6:2001:db8::1]", "2001:db8::1");
	norm_address("[ipv6:2001:db8::1]:587", "2001:db8::1");
	norm_bad("192.0.2.1.");		/* numeric last label: no domain */
	norm_bad(".192.0.2.1");
	norm_bad("192.0.2");
	norm_bad("[10]:25");
	norm_bad("example.123");
	norm_bad("ipv6:example.com");
	norm_bad("[ipv6:example.com]");
	norm_bad("");
	norm_bad(".");
	norm_bad("..");
	norm_bad("a..b");
	norm_bad("-a.example");
	norm_bad("a-.example");
	norm_bad("ex ample.com");
	norm_bad("exa\001mple.com");
	norm_bad("b\xc3\xbc" "cher.example");
	norm_bad("[mx.example.com");
	norm_bad("[mx.example.com]:");
	norm_bad("[mx.example.com]:abc");
	norm_bad("[mx.example.com]:123456");
	norm_bad("[mx.example.com]x");
	norm_bad("[]");
	norm_bad("[ipv6:2001:db8::1");
	norm_bad("unix:/var/run/x");
	memset(big, 'a', sizeof(big));
	big[63] = '.';
	big[sizeof(big) - 1] = '\0';
	norm_bad(big);		/* label over 63 and name over 253 */
	memset(big, 'a', 64);
	memcpy(big + 64, ".example", 9);
	norm_bad(big);		/* first label of 64 */
	big[63] = '.';		/* labels of 63 and 0? no: "aaa.(.)example" */
	memcpy(big + 63, ".example", 9);
	norm_ok(big, big);	/* a label of exactly 63 */
	tap_ok(key_domain_valid("a.b", 3), "key_domain_valid accepts a.b");
	tap_ok(!key_domain_valid("A.b", 3), "key_domain_valid wants lowercase");
	tap_ok(!key_domain_valid("192.0.2.1", 9),
	    "key_domain_valid: an IPv4 address is no domain");
	tap_ok(!key_domain_valid("a.b.9", 5),
	    "key_domain_valid: nor a name with a numeric last label");
	tap_ok(key_domain_valid("9.b", 3),
	    "key_domain_valid: numeric labels before the last are fine");
	tap_ok(key_normalize("1.2.3.4\0x", 9, big, &len) == KEY_INVALID,
	    "a NUL inside an address is not cut off");
	return tap_done();
}
