/*
 * NAME
 *	key - turn what Postfix asks into the key tlspin stores
 * SYNOPSIS
 *	#include "key.h"
 *
 *	enum key_status key_normalize(in, len, out, outlen)
 *	int key_domain_valid(name, len)
 * DESCRIPTION
 *	Postfix looks up smtp_tls_policy_maps with the next-hop destination
 *	as written: "example.com", "[mx.example.com]:25", "[relay]", and,
 *	after a miss, parent forms with a leading dot (".example.com").
 *	key_normalize() lowercases the key, maps "[host]:port" and "[host]"
 *	to "host", drops one trailing dot and keeps a leading dot, so the
 *	store is keyed by plain lowercase names (".sub" keys exist only
 *	when an admin pinned subdomains on purpose). An IP address, as a
 *	relayhost or transport writes it ("[192.0.2.1]:25", "[192.0.2.1]",
 *	"[2001:db8::1]", "[ipv6:2001:db8::1]"), is KEY_ADDRESS with the
 *	bare address in out: the server answers NOTFOUND without asking the
 *	store (pins are per domain), yet the learner still hears that the
 *	next hop was an address and counts the delivery for no domain.
 *	Anything else that is not a valid name (empty labels, bad
 *	characters, over 253 bytes, a numeric last label) is KEY_INVALID,
 *	also answered NOTFOUND. out must hold KEY_MAX + 1 bytes; it is
 *	NUL-terminated.
 *
 *	key_domain_valid() checks an already lowercase name: LDH labels of
 *	1-63 characters (underscore allowed, as in SRV-style names), no
 *	leading or trailing hyphen, 253 bytes at most, and a last label
 *	that is not all digits (a top-level domain never is, RFC 3696 2;
 *	so "192.0.2.1" is no domain).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "key.h"

/* The longest IPv6 address text, as inet_ntop writes it (45 bytes). */
#define KEY_ADDRESS_MAX 45

/*
 * The labels of name[0, len), checked as key_domain_valid() says; with
 * lower set they are first lowercased, and with out they are copied to
 * out. Inlined into both callers: each lookup walks its key once.
 */
static inline int
key_labels(const char *name, size_t len, char *out, int lower)
{
	const unsigned char *p = (const unsigned char *)name, *end = p + len;
	const unsigned char *label;
	size_t digits;

	if (len == 0 || len > 253)
		return 0;
	for (;;) {
		label = p;
		digits = 0;
		for (; p < end && *p != '.'; p++) {
			unsigned c = *p;

			if (lower && c - 'A' < 26u)
				c |= 0x20;
			if (out != NULL)
				out[p - (const unsigned char *)name] = (char)c;
			if (c - '0' < 10u)
				digits++;
			else if (c - 'a' >= 26u && c != '-' && c != '_')
				return 0;
		}
		if (p == label || (size_t)(p - label) > 63 ||
		    label[0] == '-' || p[-1] == '-')
			return 0;
		if (p == end)	/* an all-numeric top-level label is no name */
			return digits != (size_t)(p - label);
		if (out != NULL)
			out[p - (const unsigned char *)name] = '.';
		p++;
	}
}

/* Check that name (lowercase, no dots at the ends) is a valid domain. */
int
key_domain_valid(const char *name, size_t len)
{
	return key_labels(name, len, NULL, 0);
}

/* Could s be an address? inet_pton takes only hex digits, ':' and '.'
 * (in both families), so a byte outside them rules it out cheaply. From
 * the end: the last label of a name ("com", "net") rarely passes. */
static int
key_address_chars(const char *s, size_t len)
{
	while (len > 0) {
		unsigned c = (unsigned char)s[--len];

		if (c - '0' >= 10u && (c | 0x20) - 'a' >= 6u && c != ':' &&
		    c != '.')
			return 0;
	}
	return 1;
}

/* Is s (lowercase, len bytes) an IPv4 or IPv6 address? Copies it to
 * out, NUL-terminated, for inet_pton. */
static int
key_address(const char *s, size_t len, char *out)
{
	unsigned char ip[16];

	if (len == 0 || len > KEY_ADDRESS_MAX || !key_address_chars(s, len))
		return 0;
	memcpy(out, s, len);
	out[len] = '\0';
	return inet_pton(AF_INET, out, ip) == 1 ||
	    inet_pton(AF_INET6, out, ip) == 1;
}

/* Strip "[host]:port" or "[host]" to host; NULL-safe bounds on in. */
static int
key_unbracket(const char **p, size_t *len)
{
	const char *s = *p, *close;
	size_t i;

	if (*len == 0 || s[0] != '[')
		return 1;
	close = memchr(s, ']', *len);
	if (close == NULL)
		return 0;
	i = (size_t)(close - s) + 1;
	if (i < *len) {
		/* ":port" must follow, with 1-5 digits */
		size_t d = *len - i - 1;

		if (s[i] != ':' || d == 0 || d > 5)
			return 0;
		for (i++; i < *len; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	*p = s + 1;
	*len = (size_t)(close - s) - 1;
	return 1;
}

/* Normalise a lookup key; see the file header. */
enum key_status
key_normalize(const char *in, size_t len, char *out, size_t *outlen)
{
	size_t i, n, dot = 0;

	if (!key_unbracket(&in, &len))
		return KEY_INVALID;
	/* Postfix's "[ipv6:2001:db8::1]" form, then any address */
	n = len > 5 && (in[0] | 0x20) == 'i' &&
	    strncasecmp(in, "ipv6:", 5) == 0 ? 5 : 0;
	if (key_address(in + n, len - n, out)) {
		n = strlen(out);
		for (i = 0; i < n; i++)		/* the hex digits of IPv6 */
			out[i] = (char)(out[i] >= 'A' && out[i] <= 'Z' ?
			    out[i] + ('a' - 'A') : out[i]);
		*outlen = n;
		return KEY_ADDRESS;
	}
	if (len > 0 && in[0] == '.')
		dot = 1;
	if (len > dot && in[len - 1] == '.')
		len--;
	n = len - dot;
	if (len <= dot || n > 253)
		return KEY_INVALID;
	if (dot)
		out[0] = '.';
	if (!key_labels(in + dot, n, out + dot, 1)) {
		out[0] = '\0';
		return KEY_INVALID;
	}
	out[len] = '\0';
	*outlen = len;
	return KEY_OK;
}
