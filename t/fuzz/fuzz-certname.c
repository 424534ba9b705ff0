/*
 * NAME
 *	fuzz-certname - fuzz target for certificate names and DNS suffixes
 * SYNOPSIS
 *	fuzz-certname [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	certname_match() takes a name from a server's certificate and a
 *	host from DNS: both from outside. The input is split at its first
 *	NUL or newline into a pattern and a host (without one, the host is
 *	the pattern itself). What must hold:
 *
 *	- a pattern with a '*' anywhere but a leading "*." label matches
 *	  nothing;
 *	- case does not count: lowercasing or uppercasing both names (ASCII)
 *	  gives the same answer;
 *	- a pattern without '*' matches exactly the host that equals it,
 *	  ignoring case and one trailing dot of the host, when it is a DNS
 *	  name (letters, digits, '-', '_', no empty label); and such a
 *	  pattern matches itself;
 *	- a "*.REST" pattern matches only a host of one more label than
 *	  REST, ending in REST, and then certname_under(host, REST);
 *	- the host, read as a ':'-separated list, has a common suffix of at
 *	  least two lowercase labels or none, and every name of the list is
 *	  under it, strictly; out one byte too small gives 0 and "".
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certname.h"
#include "check.h"

#define T "fuzz-certname"

/* A NUL-terminated heap copy of n bytes of p, cased by how (-1, 0, 1). */
static char *
fuzz_certname_copy(const char *p, size_t n, int how)
{
	char *s = check_alloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[i] = p[i];
		if (how < 0 && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
		if (how > 0 && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
	}
	s[n] = '\0';
	return s;
}

/* True when p[0..n) is a DNS name as certname takes one, '*' excepted. */
static int
fuzz_certname_dns(const char *p, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	size_t i;

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(ok, p[i]) == NULL ||
		    (p[i] == '.' && p[i + 1] == '.'))
			return 0;
	return 1;
}

/* Check certname_match() on pattern and host; see the file header. */
static void
fuzz_certname_match(const char *p, size_t plen, const char *h, size_t hlen)
{
	int m = certname_match(p, plen, h, hlen), other;
	const char *star = memchr(p, '*', plen);
	char *lp, *lh, *up, *uh, *rest, *host;
	size_t hl = hlen > 0 && h[hlen - 1] == '.' ? hlen - 1 : hlen;

	check_that(m == 0 || m == 1, T, "certname_match gives 0 or 1");
	if (star != NULL && (star != p || plen < 2 || p[1] != '.' ||
	    memchr(p + 1, '*', plen - 1) != NULL))
		check_that(m == 0, T, "a '*' but a leading \"*.\" label "
		    "matches nothing");

	lp = fuzz_certname_copy(p, plen, -1);
	lh = fuzz_certname_copy(h, hlen, -1);
	up = fuzz_certname_copy(p, plen, 1);
	uh = fuzz_certname_copy(h, hlen, 1);
	check_that(certname_match(lp, plen, lh, hlen) == m &&
	    certname_match(up, plen, uh, hlen) == m &&
	    certname_match(lp, plen, uh, hlen) == m, T,
	    "case does not count");

	if (star == NULL) {
		other = fuzz_certname_dns(p, plen) && plen == hl &&
		    memcmp(lp, lh, plen) == 0;
		check_that(m == other, T, "a plain pattern matches exactly the "
		    "host equal to it, ignoring case and a trailing dot");
		check_that(certname_match(p, plen, p, plen) ==
		    fuzz_certname_dns(p, plen), T,
		    "a plain DNS name matches itself");
	} else if (m) {
		rest = fuzz_certname_copy(p + 2, plen - 2, 0);
		host = fuzz_certname_copy(h, hlen, 0);
		check_that(hl > plen - 1 && h[hl - (plen - 1)] == '.' &&
		    memchr(h, '.', hl - (plen - 1)) == NULL &&
		    memcmp(lh + hl - (plen - 2), lp + 2, plen - 2) == 0, T,
		    "a wildcard stands for exactly one label");
		check_that(certname_under(host, rest), T,
		    "what *.REST matches is under REST");
		free(rest);
		free(host);
	}
	free(lp);
	free(lh);
	free(up);
	free(uh);
}

/* Check certname_common_suffix() and certname_under() on list. */
static void
fuzz_certname_suffix(const char *list)
{
	char out[256], *small, *name;
	const char *p, *end;
	size_t n, i;

	n = certname_common_suffix(list, out, sizeof(out));
	check_that(strlen(out) == n, T, "the suffix's length is returned");
	if (n == 0)
		return;
	check_that(strchr(out, '.') != NULL, T, "a suffix has two labels");
	for (i = 0; i < n; i++)
		check_that(out[i] < 'A' || out[i] > 'Z', T,
		    "a suffix is lowercase");
	check_that(certname_under(out, out), T, "a suffix is under itself");
	for (p = list;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (end > p) {
			name = fuzz_certname_copy(p, (size_t)(end - p), 0);
			check_that(certname_under(name, out), T,
			    "every name is under the common suffix");
			check_that(strlen(name) > n + 1, T,
			    "a name is longer than its parents' suffix");
			free(name);
		}
		if (*end == '\0')
			break;
	}
	small = check_alloc(n);
	check_that(certname_common_suffix(list, small, n) == 0 &&
	    small[0] == '\0', T, "out one byte short gives 0 and \"\"");
	free(small);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *buf = (const char *)data, *sep;
	size_t plen, hstart;
	char *list;

	sep = memchr(buf, '\n', size);
	if (memchr(buf, '\0', sep ? (size_t)(sep - buf) : size) != NULL)
		sep = memchr(buf, '\0', size);
	plen = sep ? (size_t)(sep - buf) : size;
	hstart = sep ? plen + 1 : 0;
	fuzz_certname_match(buf, plen, buf + hstart, size - hstart);

	list = fuzz_certname_copy(buf + hstart, size - hstart, 0);
	fuzz_certname_suffix(list);
	free(list);
	return 0;
}
