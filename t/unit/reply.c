/*
 * NAME
 *	t/unit/reply - tests for building and validating policy values
 * DESCRIPTION
 *	What Postfix 3.7 accepts (levels, attributes valid at each level,
 *	single-instance attributes, value characters) and that attributes
 *	newer than postfix_compat never pass.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "tap.h"

static void
valid(const char *v, unsigned compat)
{
	const char *err = "";

	tap_ok(reply_validate(v, strlen(v), compat, &err), "valid at %u: %s",
	    compat, v);
}

static void
invalid(const char *v, unsigned compat)
{
	const char *err = NULL;

	tap_ok(!reply_validate(v, strlen(v), compat, &err) && err != NULL,
	    "invalid at %u: \"%s\" (%s)", compat, v, err ? err : "no reason");
}

static void
built(const char *in, const char *want)
{
	char out[REPLY_MAX + 1];
	const char *err = "";
	size_t n = reply_build(out, sizeof(out), in, strlen(in), 307, &err);

	tap_ok(n > 0 && strcmp(out, want) == 0, "build \"%s\" -> \"%s\"", in,
	    want);
	if (n == 0)
		printf("# rejected: %s\n", err);
}

int
main(void)
{
	char big[REPLY_MAX + 10];
	unsigned compat = 0;

	valid("encrypt", 307);
	valid("secure match=mx.example.com", 307);
	valid("secure match=mx1.example.com:mx2.example.com match=.example.net", 307);
	valid("verify match=hostname:nexthop", 307);
	valid("dane-only", 307);
	valid("none", 307);
	valid("may", 307);
	valid("encrypt protocols=>=TLSv1.2 ciphers=high", 307);
	valid("secure servername=hostname connection_reuse=yes", 307);
	valid("fingerprint match=3D:95:34:51", 307);
	valid("ENCRYPT", 307);
	invalid("", 307);
	invalid("bogus", 307);
	invalid("encrypt match=mx.example.com", 307);
	invalid("dane-only match=mx.example.com", 307);
	invalid("encrypt tafile=/etc/ta.pem", 307);
	invalid("fingerprint", 307);
	invalid("encrypt  protocols=TLSv1.2", 307);
	invalid("encrypt ", 307);
	invalid(" encrypt", 307);
	invalid("encrypt protocols=", 307);
	invalid("encrypt =x", 307);
	invalid("encrypt protocols", 307);
	invalid("encrypt ciphers=high ciphers=medium", 307);
	invalid("encrypt unknown=1", 307);
	invalid("secure match=a,b", 307);
	invalid("secure match={a}", 307);
	invalid("encrypt connection_reuse=maybe", 307);
	invalid("encrypt servername=Bad_Host!", 307);
	invalid("encrypt enable_rpk=yes", 307);
	valid("encrypt enable_rpk=yes", 309);
	invalid("encrypt servername=hostname", 303);
	invalid("encrypt connection_reuse=yes", 303);
	invalid("encrypt\tprotocols=TLSv1.2", 307);
	memset(big, 'a', sizeof(big));
	memcpy(big, "encrypt ciphers=", 16);
	big[REPLY_MAX + 1] = '\0';
	invalid(big, 307);
	built("  SECURE   Match=mx.example.com  ", "secure match=mx.example.com");
	built("encrypt\tprotocols=>=TLSv1.2", "encrypt protocols=>=TLSv1.2");
	built("secure match=MX.Example.com", "secure match=MX.Example.com");
	tap_ok(reply_compat_parse("3.7", &compat) && compat == 307, "3.7 is 307");
	tap_ok(reply_compat_parse("3.10", &compat) && compat == 310, "3.10 is 310");
	tap_ok(!reply_compat_parse("3.7x", &compat), "3.7x is rejected");
	tap_ok(!reply_compat_parse("4.0", &compat), "4.0 is rejected");
	tap_ok(!reply_compat_parse("", &compat), "empty is rejected");
	return tap_done();
}
