/*
 * NAME
 *	certname - certificate names as Postfix checks them, DNS suffixes
 * SYNOPSIS
 *	#include "certname.h"
 *
 *	int certname_match(pattern, plen, host, hlen)
 *	size_t certname_common_suffix(list, out, outsz)
 *	int certname_under(host, suffix)
 * DESCRIPTION
 *	The probe judges a server's certificate the way Postfix's "secure"
 *	level will: Postfix hands OpenSSL the names to check and OpenSSL's
 *	X509_check_host() decides, with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS.
 *	Where a certificate is at hand, OpenSSL should decide; these
 *	functions answer the same question about names already taken out
 *	of one (a probe's report, a learned record), so that tlspin can say
 *	which names would cover which hosts, and which "match=" suffix a
 *	policy could pin.
 *
 *	certname_match() says whether one DNS name of a certificate (a
 *	subjectAltName dNSName, or the CN when there is none) covers host:
 *	ASCII, any case; one trailing dot of host ignored (Postfix never
 *	passes one), none allowed in the pattern; labels of letters,
 *	digits, '-' and '_', none empty, no NUL. A wildcard is only the
 *	whole leftmost label, "*.", and stands for exactly one non-empty
 *	label of host; "*.com", "*", "f*.example.com", "*foo.example.com"
 *	and "a.*.example.com" cover nothing, and a host holding '*' is
 *	covered by nothing.
 *
 *	Where OpenSSL 3.0's rules go further than that, these follow them;
 *	t/unit/certname checks each case of its table against
 *	X509_check_host() on a real certificate. What we found (OpenSSL
 *	3.0, v3_utl.c valid_star() and wildcard_match()):
 *
 *	- a wildcard covers an A-label: "*.example.com" covers
 *	  "xn--bcher-kva.example.com". OpenSSL refuses A-labels only for
 *	  partial wildcards ("f*"), which the flag refuses anyway;
 *	- the label a wildcard stands for holds letters, digits and '-'
 *	  only: "*.example.com" does not cover "a_b.example.com", but does
 *	  cover "-a.example.com";
 *	- a wildcard pattern is void when the rest of it holds a '_', or a
 *	  label that starts or ends with '-' ("*.a-.example.com"): OpenSSL
 *	  then compares it as a plain string, which a host without '*'
 *	  never equals;
 *	- OpenSSL does not ignore a trailing dot of host ("example.com."
 *	  does not match "example.com"): ignoring it is our normalisation,
 *	  the form Postfix compares;
 *	- OpenSSL compares a pattern that is not a valid wildcard as a
 *	  string of any bytes, so "a..example.com", "a b.example.com" or
 *	  "f*.example.com" match the host spelled the same way, and a host
 *	  ".example.com" matches every subdomain name (Postfix's
 *	  ".example.com" match= form). certname_match() refuses all of
 *	  those: no MX host or next hop is spelled so.
 *
 *	certname_common_suffix() gives the DNS suffix that the parents of
 *	all names of a ':'-separated list share ("mx1.a.example:mx2.a.example"
 *	gives "a.example"), lowercased, NUL-terminated in out, with its
 *	length; 0 and "" when that has fewer than two labels, a name is not
 *	a DNS name or has one label only, the list has no name (empty
 *	entries are skipped), or out is too small. A trailing dot of a
 *	name is ignored.
 *
 *	certname_under() says whether host equals suffix or lies under it
 *	at a label boundary ("mx.a.example" is under "a.example",
 *	"xa.example" is not): any case, one trailing dot of host ignored,
 *	and never when either is not a DNS name.
 */
#include "autoconf.h"

#include <string.h>

#include "certname.h"

/* c in ASCII lowercase. */
static char
certname_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* True for letters, digits and '-', and for '_' when underscore is set. */
static int
certname_char(char c, int underscore)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || (underscore && c == '_');
}

/*
 * True when p[0..n) is dot-separated labels, none empty, of
 * certname_char() bytes; with strict, no '_' and no label that starts
 * or ends with '-' (what OpenSSL asks of the rest of a wildcard).
 */
static int
certname_valid(const char *p, size_t n, int strict)
{
	size_t i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '.') {
			if (!certname_char(p[i], !strict))
				return 0;
			continue;
		}
		if (i == start)
			return 0;
		if (strict && (p[start] == '-' || p[i - 1] == '-'))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* True when a and b, n bytes each, are equal ignoring ASCII case. */
static int
certname_same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (certname_lower(a[i]) != certname_lower(b[i]))
			return 0;
	return 1;
}

/* Does the certificate name pattern cover host? 1 yes, 0 no. */
int
certname_match(const char *pattern, size_t plen, const char *host,
    size_t hlen)
{
	const char *rest, *dot;
	size_t rlen, i;

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (!certname_valid(host, hlen, 0))
		return 0;
	if (plen < 2 || pattern[0] != '*' || pattern[1] != '.')
		return certname_valid(pattern, plen, 0) && plen == hlen &&
		    certname_same(pattern, host, hlen);

	rest = pattern + 2;
	rlen = plen - 2;
	if (!certname_valid(rest, rlen, 1) || memchr(rest, '.', rlen) == NULL)
		return 0;
	dot = memchr(host, '.', hlen);
	if (dot == NULL)
		return 0;
	for (i = 0; host + i < dot; i++)
		if (!certname_char(host[i], 0))
			return 0;
	return hlen - i - 1 == rlen && certname_same(dot + 1, rest, rlen);
}

/* The length of the longest run of whole labels that a and b end with. */
static size_t
certname_shared(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t m = 0, whole = 0;

	while (m < alen && m < blen &&
	    certname_lower(a[alen - 1 - m]) == certname_lower(b[blen - 1 - m])) {
		m++;
		if ((m == alen || a[alen - 1 - m] == '.') &&
		    (m == blen || b[blen - 1 - m] == '.'))
			whole = m;
	}
	return whole;
}

/* The suffix the parents of all names in list share, into out; 0: none. */
size_t
certname_common_suffix(const char *list, char *out, size_t outsz)
{
	const char *name, *end, *dot, *suffix = NULL;
	size_t n, slen = 0, m, i;

	if (outsz > 0)
		out[0] = '\0';
	for (name = list;; name = end + 1) {
		end = strchr(name, ':');
		if (end == NULL)
			end = name + strlen(name);
		n = (size_t)(end - name);
		if (n > 0) {
			if (name[n - 1] == '.')
				n--;
			if (!certname_valid(name, n, 0) ||
			    (dot = memchr(name, '.', n)) == NULL)
				return 0;
			dot++;
			n -= (size_t)(dot - name);
			if (suffix == NULL) {
				suffix = dot;
				slen = n;
			} else {
				m = certname_shared(suffix, slen, dot, n);
				suffix += slen - m;
				slen = m;
			}
		}
		if (*end == '\0')
			break;
	}
	if (suffix == NULL || memchr(suffix, '.', slen) == NULL ||
	    slen >= outsz)
		return 0;
	for (i = 0; i < slen; i++)
		out[i] = certname_lower(suffix[i]);
	out[slen] = '\0';
	return slen;
}

/* Is host suffix itself, or a name under it? 1 yes, 0 no. */
int
certname_under(const char *host, const char *suffix)
{
	size_t hlen = strlen(host), slen = strlen(suffix);

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (!certname_valid(host, hlen, 0) || !certname_valid(suffix, slen, 0) ||
	    hlen < slen || (hlen > slen && host[hlen - slen - 1] != '.'))
		return 0;
	return certname_same(host + hlen - slen, suffix, slen);
}
