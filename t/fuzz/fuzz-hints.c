/*
 * NAME
 *	fuzz-hints - fuzz target for the next-hop hints' wire form
 * SYNOPSIS
 *	fuzz-hints [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	tlspind sends the learner (pid, time, key) for each lookup, many to
 *	a datagram; the learner reads a datagram with hints_decode() until
 *	it returns 0. The input is such a datagram. What must hold, hint by
 *	hint:
 *
 *	- a decoded hint used exactly 14 + keylen bytes, its key is 1 to
 *	  KEY_MAX bytes with no NUL inside and one after;
 *	- the encoding is canonical: encoding the decoded hints one after
 *	  another gives back exactly the bytes decoded (a prefix of the
 *	  input), and encoding into a buffer one byte short fails;
 *	- what decoding leaves is a malformed or truncated hint: shorter
 *	  than 14 bytes, a key length of 0 or over KEY_MAX or past the end,
 *	  or a NUL in the key;
 *	- hints_add() keeps each hint, so hints_find() for its pid at its
 *	  time with its key as the recipient domain gives that key back,
 *	  except for pid 0 and parent lookups (".example"), which are never
 *	  kept; and what hints_find() gives never starts with a dot.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hints.h"
#include "check.h"

#define T "fuzz-hints"

/* Why decoding stopped at data: it must be a malformed hint. */
static void
fuzz_hints_rest(const unsigned char *data, size_t len)
{
	size_t keylen;

	if (len < 14)
		return;
	keylen = (size_t)data[12] | (size_t)data[13] << 8;
	check_that(keylen == 0 || keylen > KEY_MAX || keylen > len - 14 ||
	    memchr(data + 14, '\0', keylen) != NULL, T,
	    "hints_decode refuses only a malformed hint");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned char *enc = check_alloc(size);
	unsigned char one[14 + KEY_MAX];
	struct hints *h = hints_new();
	struct hint q;
	char out[KEY_MAX + 1];
	size_t off = 0, used = 0, n, m;
	int found;

	check_that(h != NULL, T, "hints_new gives a table");
	while (off < size) {
		n = hints_decode(data + off, size - off, &q);
		if (n == 0)
			break;
		check_that(n == 14 + (size_t)q.keylen && q.keylen >= 1 &&
		    q.keylen <= KEY_MAX && n <= size - off, T,
		    "a hint uses 14 + keylen bytes, keylen 1 to KEY_MAX");
		check_that(q.key[q.keylen] == '\0' &&
		    strlen(q.key) == q.keylen, T,
		    "a key has no NUL inside and one after");
		m = hints_encode(&q, enc + used, size - used);
		check_that(m == n && memcmp(enc + used, data + off, n) == 0, T,
		    "encoding a decoded hint gives back its bytes");
		check_that(hints_encode(&q, one, n - 1) == 0, T,
		    "encoding into a buffer one byte short fails");
		used += m;
		off += n;

		hints_add(h, &q);
		found = hints_find(h, q.pid, q.time, q.key, NULL, out,
		    sizeof(out));
		if (q.pid != 0 && q.key[0] != '.')
			check_that(found && strcasecmp(out, q.key) == 0, T,
			    "a hint just added is found for its pid, time "
			    "and key");
		if (found)
			check_that(out[0] != '.' && strlen(out) <= KEY_MAX, T,
			    "hints_find never gives a parent lookup");
	}
	check_that(used == off, T, "the encodings add up to what was decoded");
	fuzz_hints_rest(data + off, size - off);
	hints_free(h);
	free(enc);
	return 0;
}
