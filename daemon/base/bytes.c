/*
 * NAME
 *	bytes - bounded little-endian byte reader and writer
 * SYNOPSIS
 *	#include "bytes.h"
 *
 *	void bytes_reader_init(r, p, len)
 *	uint64_t bytes_get(r, width)
 *	uint8_t bytes_get_u8(r) ... uint64_t bytes_get_u64(r)
 *	const unsigned char *bytes_get_mem(r, n)
 *	const unsigned char *bytes_get_view(r, max, n)
 *	size_t bytes_get_str(r, dst, max)
 *	size_t bytes_left(r)
 *	int bytes_end(r)
 *
 *	void bytes_writer_init(w, p, size)
 *	void bytes_put(w, v, width)
 *	void bytes_put_u8(w, v) ... void bytes_put_u64(w, v)
 *	void bytes_put_mem(w, src, n)
 *	void bytes_put_str(w, s, n)
 *	size_t bytes_written(w)
 * DESCRIPTION
 *	The one cursor over the bytes tlspin stores and sends: domain and
 *	event records (record.c), the correlator's saved pid table
 *	(correlate.c), the prober's message to the learner (prober.c) and
 *	the hint datagrams (hints.c). Integers are little-endian; a string
 *	is a 16-bit length and that many bytes, no NUL.
 *
 *	A reader never reads past len: a read that does not fit sets bad,
 *	returns 0 (NULL, an empty string) and every later read does the
 *	same, so a decoder reads all its fields and checks bad once.
 *	bytes_get_view() gives a length-prefixed field of at most max bytes
 *	in place; bytes_get_str() copies one into dst[max + 1] and also
 *	refuses a NUL inside. bytes_end() says the bytes were read whole
 *	with none left over.
 *
 *	A writer never writes past size: a write that does not fit (or a
 *	string longer than BYTES_STR_MAX) sets bad, and bytes_written() is
 *	then 0, the length otherwise.
 */
#include "autoconf.h"

#include <string.h>

#include "bytes.h"

void
bytes_reader_init(struct bytes_reader *r, const unsigned char *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

/* The next n bytes in place; NULL (and bad) when fewer are left. */
const unsigned char *
bytes_get_mem(struct bytes_reader *r, size_t n)
{
	const unsigned char *at;

	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

/* A little-endian integer of width (at most 8) bytes; 0 past the end. */
uint64_t
bytes_get(struct bytes_reader *r, size_t width)
{
	const unsigned char *at = bytes_get_mem(r, width);

	return at != NULL ? bytes_le_get(at, width) : 0;
}

/* A length-prefixed field of at most max bytes, in place, its length in
 * *n; NULL (and bad) when it is longer or truncated. */
const unsigned char *
bytes_get_view(struct bytes_reader *r, size_t max, size_t *n)
{
	const unsigned char *at;
	size_t len = (size_t)bytes_get(r, 2);

	*n = 0;
	if (!r->bad && len > max)
		r->bad = 1;
	if ((at = bytes_get_mem(r, len)) != NULL)
		*n = len;
	return at;
}

/* A length-prefixed string of at most max bytes and no NUL into
 * dst[max + 1]; its length, or 0 with dst empty (and bad). */
size_t
bytes_get_str(struct bytes_reader *r, char *dst, size_t max)
{
	size_t n;
	const unsigned char *at = bytes_get_view(r, max, &n);

	dst[0] = '\0';
	if (at == NULL)
		return 0;
	if (memchr(at, '\0', n) != NULL) {
		r->bad = 1;
		return 0;
	}
	memcpy(dst, at, n);
	dst[n] = '\0';
	return n;
}

/* Bytes not read yet. */
size_t
bytes_left(const struct bytes_reader *r)
{
	return r->len - r->off;
}

/* 1 when every read fitted and nothing is left over. */
int
bytes_end(const struct bytes_reader *r)
{
	return !r->bad && r->off == r->len;
}

void
bytes_writer_init(struct bytes_writer *w, unsigned char *p, size_t size)
{
	w->p = p;
	w->size = size;
	w->len = 0;
	w->bad = 0;
}

/* Append n bytes of src; bad when they do not fit. */
void
bytes_put_mem(struct bytes_writer *w, const void *src, size_t n)
{
	if (w->bad || w->size - w->len < n) {
		w->bad = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

/* Append v as a little-endian integer of width (at most 8) bytes. */
void
bytes_put(struct bytes_writer *w, uint64_t v, size_t width)
{
	if (w->bad || w->size - w->len < width) {
		w->bad = 1;
		return;
	}
	bytes_le_put(w->p + w->len, v, width);
	w->len += width;
}

/* Append s[0..n) with its 16-bit length before it. */
void
bytes_put_str(struct bytes_writer *w, const char *s, size_t n)
{
	if (n > BYTES_STR_MAX) {
		w->bad = 1;
		return;
	}
	bytes_put(w, n, 2);
	bytes_put_mem(w, s, n);
}

/* The bytes written, or 0 when anything did not fit. */
size_t
bytes_written(const struct bytes_writer *w)
{
	return w->bad ? 0 : w->len;
}
