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
 *	when an admin pinned subdomains on purpose). Anything that is not a
 *	valid name (empty labels, bad characters, over 253 bytes, IPv6
 *	literals) is KEY_INVALID, which the server answers with NOTFOUND.
 *	out must hold KEY_MAX + 1 bytes; it is NUL-terminated.
 *
 *	key_domain_valid() checks an already lowercase name: LDH labels of
 *	1-63 characters (underscore allowed, as in SRV-style names), no
 *	leading or trailing hyphen, 253 bytes at most.
 */
#include "autoconf.h"

#include <string.h>

#include "key.h"

/* True for the bytes a label may hold once lowercased. */
static int
key_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_';
}

/* Check that name (lowercase, no dots at the ends) is a valid domain. */
int
key_domain_valid(const char *name, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.') {
			if (!key_ldh((unsigned char)name[i]))
				return 0;
			continue;
		}
		if (i == start || i - start > 63)
			return 0;
		if (name[start] == '-' || name[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
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
	if (len > 0 && in[0] == '.')
		dot = 1;
	if (len > dot && in[len - 1] == '.')
		len--;
	n = len - dot;
	if (len <= dot || n > 253)
		return KEY_INVALID;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[len] = '\0';
	if (!key_domain_valid(out + dot, n))
		return KEY_INVALID;
	*outlen = len;
	return KEY_OK;
}
