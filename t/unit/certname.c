/*
 * NAME
 *	t/unit/certname - tests for certificate name matching and suffixes
 * DESCRIPTION
 *	A table of certificate names and hosts gives what certname_match()
 *	must answer: plain names in any case and with a host's trailing
 *	dot, wildcards only as a whole leftmost label standing for one
 *	label, the wildcards that cover nothing, and names that are not DNS
 *	names. Each case is also put in the subjectAltName of a real
 *	certificate, self-signed with a fresh EC key, and checked with
 *	OpenSSL's X509_check_host() and X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
 *	which is what Postfix uses: it must agree, except on the few names
 *	the table marks, which OpenSSL compares as plain strings of any
 *	bytes and certname_match() refuses (see certname.c). Then tables for
 *	certname_common_suffix() and certname_under().
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certname.h"
#include "tap.h"

/* One case: pattern and host with their lengths (NUL bytes allowed). */
struct match_case {
	const char *pattern;
	size_t plen;
	const char *host;
	size_t hlen;
	int want;		/* certname_match() */
	int openssl;		/* X509_check_host() == 1 */
	const char *why;
};

/* A case where OpenSSL agrees, and one where it matches and we do not. */
#define SAME(p, h, w, why) { p, sizeof(p) - 1, h, sizeof(h) - 1, w, w, why }
#define OSSL_ONLY(p, h, why) { p, sizeof(p) - 1, h, sizeof(h) - 1, 0, 1, why }

static const struct match_case cases[] = {
	SAME("example.com", "example.com", 1, "the same name"),
	SAME("Example.COM", "example.com", 1, "a pattern in another case"),
	SAME("example.com", "EXAMPLE.com", 1, "a host in another case"),
	SAME("example.com", "example.com.", 1, "one trailing dot of host"),
	SAME("example.com", "example.com..", 0, "but not two"),
	SAME("example.com.", "example.com", 0, "no trailing dot in a pattern"),
	SAME("example.com", "www.example.com", 0, "a plain name, a subdomain"),
	SAME("www.example.com", "example.com", 0, "a plain name, its parent"),
	SAME("mx.example.com", "mx.example.co", 0, "a prefix of the pattern"),
	SAME("mx.example.co", "mx.example.com", 0, "a prefix of the host"),
	SAME("a_b.example.com", "A_B.example.com", 1, "an underscore"),
	SAME("-a.example.com", "-a.example.com", 1, "a leading hyphen"),
	SAME("xn--bcher-kva.example", "XN--BCHER-KVA.example", 1,
	    "an A-label, any case"),
	SAME("localhost", "localhost", 1, "one label, no wildcard"),
	SAME("*.example.com", "mx.example.com", 1, "a wildcard"),
	SAME("*.example.com", "MX.Example.Com", 1, "a wildcard, host's case"),
	SAME("*.EXAMPLE.com", "a.example.COM", 1, "a wildcard, pattern's case"),
	SAME("*.example.com", "mx.example.com.", 1,
	    "a wildcard, host's trailing dot"),
	SAME("*.example.com", "example.com", 0, "a wildcard is never no label"),
	SAME("*.example.com", "a.b.example.com", 0,
	    "a wildcard is never two labels"),
	SAME("*.example.com", "xn--bcher-kva.example.com", 1,
	    "a wildcard covers an A-label"),
	SAME("*.example.com", "a_b.example.com", 0,
	    "a wildcard's label has no underscore"),
	SAME("*.example.com", "-a.example.com", 1,
	    "a wildcard's label may start with a hyphen"),
	SAME("*.example.com", "a-.example.com", 1,
	    "or end with one"),
	SAME("*.co.uk", "example.co.uk", 1, "no public suffix list"),
	SAME("*.com", "example.com", 0, "*.com covers nothing"),
	SAME("*", "a", 0, "* covers nothing"),
	SAME("f*.example.com", "foo.example.com", 0, "f* covers nothing"),
	SAME("f*.example.com", "f.example.com", 0, "not even f"),
	SAME("*foo.example.com", "foo.example.com", 0,
	    "*foo covers nothing"),
	SAME("*foo.example.com", "afoo.example.com", 0, "not even afoo"),
	SAME("a.*.example.com", "a.b.example.com", 0,
	    "a wildcard further right covers nothing"),
	SAME("*.*.example.com", "a.b.example.com", 0, "nor do two"),
	SAME("**.example.com", "a.example.com", 0, "** covers nothing"),
	SAME("xn--*.example.com", "xn--a.example.com", 0,
	    "a wildcard in an A-label covers nothing"),
	SAME("*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", 1,
	    "a wildcard over an A-label"),
	SAME("*.a_b.example.com", "x.a_b.example.com", 0,
	    "OpenSSL: no underscore after a wildcard"),
	SAME("*.-a.example.com", "x.-a.example.com", 0,
	    "OpenSSL: no label starting with '-' after a wildcard"),
	SAME("*.a-.example.com", "x.a-.example.com", 0,
	    "OpenSSL: no label ending with '-' after a wildcard"),
	SAME("*..example.com", "a..example.com", 0,
	    "an empty label after a wildcard"),
	SAME("*.example.com.", "a.example.com", 0,
	    "a wildcard pattern with a trailing dot"),
	SAME("*.example.com", "a.example.com..", 0, "a host with two dots"),
	SAME(".example.com", "a.example.com", 0, "a pattern's empty label"),
	SAME("example.com", ".example.com", 0, "a host's empty label"),
	SAME("", "example.com", 0, "an empty pattern"),
	SAME("example.com", "", 0, "an empty host"),
	SAME("*.example.com", ".", 0, "a host of a dot"),
	SAME("*.example.com", "\xc3\xa9.example.com", 0,
	    "a wildcard and a UTF-8 label"),
	SAME("exa\0mple.com", "exa\0mple.com", 0, "NUL bytes"),
	SAME("example.com", "exa\0mple.com", 0, "a NUL byte in host"),
	SAME("*.example.com", "a*.example.com", 0,
	    "a wildcard and a host with '*'"),
	SAME("*.example.com", "*a.example.com", 0,
	    "a wildcard and a host starting with '*'"),
	OSSL_ONLY("*.example.com", "*.example.com",
	    "OpenSSL lets a wildcard stand for a literal '*'"),
	OSSL_ONLY("f*.example.com", "f*.example.com",
	    "OpenSSL compares a void wildcard as a string"),
	OSSL_ONLY("*.com", "*.com", "the same for *.com"),
	OSSL_ONLY("a..example.com", "a..example.com",
	    "OpenSSL compares empty labels as a string"),
	OSSL_ONLY("a b.example.com", "a b.example.com",
	    "OpenSSL compares a blank as a string"),
	OSSL_ONLY("\xc3\xa9.example.com", "\xc3\xa9.example.com",
	    "OpenSSL compares UTF-8 as a string"),
	OSSL_ONLY("a.example.com", ".example.com",
	    "OpenSSL: a host with a leading dot stands for its subdomains"),
	OSSL_ONLY("*.example.com", ".example.com",
	    "that covers a wildcard too"),
};

/* A certificate with pattern as its one dNSName, self-signed with key. */
static X509 *
cert_new(EVP_PKEY *key, const char *pattern, size_t plen)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *name = GENERAL_NAME_new();
	ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
	X509 *x = X509_new();
	int ok;

	ok = names != NULL && name != NULL && dns != NULL && x != NULL &&
	    ASN1_STRING_set(dns, pattern, (int)plen) == 1;
	if (ok) {
		GENERAL_NAME_set0_value(name, GEN_DNS, dns);
		dns = NULL;
		ok = sk_GENERAL_NAME_push(names, name) > 0;
	}
	if (ok) {
		name = NULL;
		ok = X509_set_version(x, 2) == 1 &&
		    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
		    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
		    X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL &&
		    X509_set_pubkey(x, key) == 1 &&
		    X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0,
		    X509V3_ADD_DEFAULT) == 1 &&
		    X509_sign(x, key, EVP_sha256()) > 0;
	}
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(name);
	GENERAL_NAMES_free(names);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void
test_match(void)
{
	const struct match_case *c;
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	tap_ok(n >= 40, "the table has %zu cases", n);
	for (i = 0; i < n; i++) {
		c = &cases[i];
		tap_ok(certname_match(c->pattern, c->plen, c->host, c->hlen) ==
		    c->want, "%s \"%.*s\" %s \"%.*s\": %s",
		    c->want ? "match" : "no match", (int)c->plen, c->pattern,
		    c->want ? "covers" : "does not cover", (int)c->hlen,
		    c->host, c->why);
	}
}

/* X509_check_host() on a certificate for each case of the table. */
static void
test_openssl(void)
{
	const struct match_case *c;
	size_t i, n = sizeof(cases) / sizeof(cases[0]), hlen;
	size_t disagree = 0, differ = 0, failed = 0;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x;
	int got;

	tap_ok(key != NULL, "a fresh P-256 key");
	if (key == NULL)
		return;
	for (i = 0; i < n; i++) {
		c = &cases[i];
		x = cert_new(key, c->pattern, c->plen);
		if (x == NULL) {
			failed++;
			continue;
		}
		/* OpenSSL keeps a host's trailing dot; Postfix never gives
		 * one, and certname_match() drops it to compare that form */
		hlen = c->hlen;
		if (hlen > 0 && c->host[hlen - 1] == '.')
			hlen--;
		/* (length 0 makes X509_check_host() measure the string) */
		got = X509_check_host(x, c->host, hlen,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
		if (got != c->openssl) {
			disagree++;
			printf("# X509_check_host \"%.*s\" \"%.*s\": %d, "
			    "table says %d\n", (int)c->plen, c->pattern,
			    (int)c->hlen, c->host, got, c->openssl);
		}
		if (c->openssl != c->want)
			differ++;
		X509_free(x);
	}
	EVP_PKEY_free(key);
	tap_is_int((long long)failed, 0, "a certificate for every case");
	tap_is_int((long long)disagree, 0, "X509_check_host() answers every "
	    "case as the table says");
	tap_is_int((long long)differ, 8, "and that is certname_match()'s "
	    "answer but for the 8 names OpenSSL compares as strings");
}

static void
test_common_suffix(void)
{
	static const struct {
		const char *list, *want;
	} t[] = {
		{ "mx1.mail.protection.outlook.com:"
		  "mx2.mail.protection.outlook.com",
		  "mail.protection.outlook.com" },
		{ "mx.good.test", "good.test" },
		{ "a.x.example:b.y.example", "" },
		{ "MX1.Example.COM:mx2.example.com.", "example.com" },
		{ "alt1.gmail-smtp-in.l.google.com:"
		  "alt2.gmail-smtp-in.l.google.com:gmail-smtp-in.l.google.com",
		  "l.google.com" },
		{ "mx1.eu.example.com:mx2.us.example.com", "example.com" },
		{ "mx.xa.b.example:mx.a.b.example", "b.example" },
		{ "mx.a.b.example:mx.b.example", "b.example" },
		{ "mx.a.example::mx.b.a.example:", "a.example" },
		{ "mx.example", "" },
		{ "example", "" },
		{ "mx.a.example:mx", "" },
		{ "", "" },
		{ ":", "" },
		{ "mx..a.example:mx.a.example", "" },
		{ "mx a.b.example", "" },
		{ "[mx.a.example]", "" },
		{ "*.a.example:mx.a.example", "" },
		{ "mx.a.example.:mx.a.example..", "" },
	};
	char out[256];
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = certname_common_suffix(t[i].list, out, sizeof(out));
		tap_ok(strcmp(out, t[i].want) == 0 && n == strlen(t[i].want),
		    "common suffix of \"%s\": \"%s\"", t[i].list, t[i].want);
		if (strcmp(out, t[i].want) != 0)
			printf("# got \"%s\"\n", out);
	}
	n = certname_common_suffix("mx.good.test", out, 9);
	tap_ok(n == 0 && out[0] == '\0', "out one byte short: 0 and \"\"");
	n = certname_common_suffix("mx.good.test", out, 10);
	tap_ok(n == 9 && strcmp(out, "good.test") == 0, "just enough: 9");
	tap_is_int((long long)certname_common_suffix("mx.good.test", NULL, 0),
	    0, "no out at all: 0");
}

static void
test_under(void)
{
	static const struct {
		const char *host, *suffix;
		int want;
	} t[] = {
		{ "mx.a.example", "a.example", 1 },
		{ "a.example", "a.example", 1 },
		{ "xa.example", "a.example", 0 },
		{ "MX.A.Example.", "a.example", 1 },
		{ "mx.a.example", "A.EXAMPLE", 1 },
		{ "a.example", "mx.a.example", 0 },
		{ "mx.a.example", "example", 1 },
		{ "mx.a.example", "", 0 },
		{ "", "a.example", 0 },
		{ ".", "a.example", 0 },
		{ "mx..a.example", "a.example", 0 },
		{ "mx.a.example..", "a.example", 0 },
		{ "mx.a.example", ".a.example", 0 },
		{ "mx.a.example", "a.example.", 0 },
		{ "*.a.example", "a.example", 0 },
		{ "mx.a-example", "example", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		tap_ok(certname_under(t[i].host, t[i].suffix) == t[i].want,
		    "\"%s\" %s \"%s\"", t[i].host,
		    t[i].want ? "is under" : "is not under", t[i].suffix);
}

int
main(void)
{
	test_match();
	test_openssl();
	test_common_suffix();
	test_under();
	return tap_done();
}
