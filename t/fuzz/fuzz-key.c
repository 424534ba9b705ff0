/*
 * NAME
 *	fuzz-key - fuzz target for lookup key normalisation
 * SYNOPSIS
 *	fuzz-key [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The key in a socketmap request is whatever Postfix's next-hop
 *	destination says ("[MX.Example.COM]:25", ".example.com."), and it
 *	becomes the store key through key_normalize(). This target feeds it
 *	any bytes, in an exactly sized buffer with no NUL after it, and
 *	writes into an exactly sized KEY_MAX + 1 output, so AddressSanitizer
 *	sees a byte read or written out of bounds. When a key is accepted:
 *
 *	- the output is NUL-terminated at outlen and holds no NUL before;
 *	- it has no upper-case letter;
 *	- without its optional leading dot it passes key_domain_valid();
 *	- normalising it again gives the same key (the store is keyed by
 *	  the normal form, so a second pass must not move it).
 *
 *	And a name key_domain_valid() accepts is already normal: it comes
 *	back unchanged. When the key is an IP address (KEY_ADDRESS), the
 *	output is NUL-terminated at outlen, inet_pton() reads it as IPv4 or
 *	IPv6, it is no valid domain (so no pin can match it), and
 *	normalising it again gives the same address.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "check.h"

#define T "fuzz-key"

/* The properties of an address key (see the header). */
static void
key_check_address(const char *out, size_t outlen, char *again)
{
	unsigned char ip[16];
	size_t againlen = 0;

	check_that(outlen > 0 && outlen <= KEY_MAX && out[outlen] == '\0' &&
	    memchr(out, '\0', outlen) == NULL, T,
	    "an address key is NUL-terminated at outlen");
	check_that(inet_pton(AF_INET, out, ip) == 1 ||
	    inet_pton(AF_INET6, out, ip) == 1, T,
	    "an address key is an IPv4 or IPv6 address");
	check_that(!key_domain_valid(out, outlen), T,
	    "an address is no valid domain");
	check_that(key_normalize(out, outlen, again, &againlen) ==
	    KEY_ADDRESS && againlen == outlen &&
	    memcmp(again, out, outlen) == 0, T,
	    "normalising an address again gives the same address");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *in = (const char *)data;
	char *out, *again;
	size_t outlen = 0, againlen = 0, i, dot;
	enum key_status st;

	out = check_alloc(KEY_MAX + 1);
	again = check_alloc(KEY_MAX + 1);
	st = key_normalize(in, size, out, &outlen);
	if (st == KEY_OK) {
		check_that(outlen > 0 && outlen <= KEY_MAX, T,
		    "an accepted key is 1 to KEY_MAX bytes");
		check_that(out[outlen] == '\0' &&
		    memchr(out, '\0', outlen) == NULL, T,
		    "the key is NUL-terminated at outlen");
		for (i = 0; i < outlen; i++)
			check_that(out[i] < 'A' || out[i] > 'Z', T,
			    "the key is lower case");
		dot = out[0] == '.';
		check_that(key_domain_valid(out + dot, outlen - dot), T,
		    "the key without its leading dot is a valid domain");
		check_that(key_normalize(out, outlen, again, &againlen) ==
		    KEY_OK, T, "a normalised key is accepted again");
		check_that(againlen == outlen &&
		    memcmp(again, out, outlen) == 0, T,
		    "normalising twice changes nothing");
	} else if (st == KEY_ADDRESS)
		key_check_address(out, outlen, again);
	if (key_domain_valid(in, size)) {
		check_that(key_normalize(in, size, out, &outlen) == KEY_OK, T,
		    "a valid domain is accepted");
		check_that(outlen == size && memcmp(out, in, size) == 0, T,
		    "a valid domain normalises to itself");
	}
	free(again);
	free(out);
	return 0;
}
