/*
 * NAME
 *	t/unit/bytes - tests for the bounded byte reader and writer
 * DESCRIPTION
 *	Round trips of every integer width and of strings; a reader refuses
 *	every truncation of a message (and stays refused), an over-long
 *	string and a NUL inside one; a writer refuses every buffer one byte
 *	too short and a string longer than its 16-bit length; the layout is
 *	little-endian with a 2-byte length before each string.
 */
#include "autoconf.h"

#include <string.h>

#include "bytes.h"
#include "tap.h"

/* A message with each kind of field; its length, 0 if it did not fit. */
static size_t
sample(unsigned char *buf, size_t bufsz)
{
	struct bytes_writer w;

	bytes_writer_init(&w, buf, bufsz);
	bytes_put_u8(&w, 0xab);
	bytes_put_u16(&w, 0x1234);
	bytes_put_u32(&w, 0xdeadbeefU);
	bytes_put_u64(&w, 0x0102030405060708ULL);
	bytes_put_str(&w, "mx.example", 10);
	bytes_put_str(&w, "", 0);
	bytes_put_mem(&w, "xyz", 3);
	return bytes_written(&w);
}

/* Read the sample back; 1 when every field is as written and none left. */
static int
sample_read(const unsigned char *buf, size_t len)
{
	struct bytes_reader r;
	char s[16], e[4];
	int ok;
	const unsigned char *m;

	bytes_reader_init(&r, buf, len);
	ok = bytes_get_u8(&r) == 0xab;
	ok &= bytes_get_u16(&r) == 0x1234;
	ok &= bytes_get_u32(&r) == 0xdeadbeefU;
	ok &= bytes_get_u64(&r) == 0x0102030405060708ULL;
	ok &= bytes_get_str(&r, s, sizeof(s) - 1) == 10;
	ok &= strcmp(s, "mx.example") == 0;
	ok &= bytes_get_str(&r, e, sizeof(e) - 1) == 0 && e[0] == '\0';
	m = bytes_get_mem(&r, 3);
	ok &= m != NULL && memcmp(m, "xyz", 3) == 0;
	return ok && bytes_end(&r);
}

static void
test_round_trip(void)
{
	static const unsigned char want[] = {
		0xab, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde,
		8, 7, 6, 5, 4, 3, 2, 1,
		10, 0, 'm', 'x', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		0, 0, 'x', 'y', 'z',
	};
	unsigned char buf[64];
	size_t n = sample(buf, sizeof(buf));

	tap_is_mem(buf, n, want, sizeof(want), "layout: little-endian, "
	    "2-byte string lengths");
	tap_ok(sample_read(buf, n), "reads back every field");
	tap_is_int((long long)sample(buf, sizeof(want)), sizeof(want),
	    "fits a buffer of exactly its size");
}

static void
test_truncation(void)
{
	unsigned char buf[64];
	size_t n = sample(buf, sizeof(buf)), cut, refused = 0;
	unsigned char more[65];

	for (cut = 0; cut < n; cut++)
		refused += !sample_read(buf, cut);
	tap_is_int((long long)refused, (long long)n,
	    "every truncation is refused");
	memcpy(more, buf, n);
	more[n] = 0;
	tap_ok(!sample_read(more, n + 1), "a trailing byte is refused");
}

static void
test_reader_bad(void)
{
	static const unsigned char two[] = { 1, 2 };
	static const unsigned char str[] = { 3, 0, 'a', 0, 'b' };
	struct bytes_reader r;
	char s[8];
	size_t n;

	bytes_reader_init(&r, two, sizeof(two));
	tap_is_int((long long)bytes_get_u32(&r), 0, "u32 of 2 bytes is 0");
	tap_ok(r.bad, "and sets bad");
	tap_is_int((long long)bytes_get_u8(&r), 0, "bad stays: u8 is 0 after");
	tap_ok(bytes_get_mem(&r, 0) == NULL, "even 0 bytes are refused");
	tap_ok(!bytes_end(&r), "a bad reader is not at its end");

	bytes_reader_init(&r, str, sizeof(str));
	tap_is_int((long long)bytes_get_str(&r, s, 2), 0,
	    "a string longer than max is refused");
	tap_ok(r.bad && s[0] == '\0', "bad, and dst empty");
	bytes_reader_init(&r, str, sizeof(str));
	tap_is_int((long long)bytes_get_str(&r, s, sizeof(s) - 1), 0,
	    "a NUL inside a string is refused");
	tap_ok(r.bad && s[0] == '\0', "bad, and dst empty");
	bytes_reader_init(&r, str, sizeof(str));
	tap_ok(bytes_get_view(&r, 3, &n) == str + 2 && n == 3,
	    "a view may hold a NUL: it is the caller's to judge");
	tap_ok(bytes_end(&r), "then the reader is at its end");
}

static void
test_writer_bad(void)
{
	static char big[BYTES_STR_MAX + 1];
	static unsigned char buf[BYTES_STR_MAX + 8];
	unsigned char small[64];
	struct bytes_writer w;
	size_t n = sample(small, sizeof(small)), sz, refused = 0;

	for (sz = 0; sz < n; sz++)
		refused += sample(small, sz) == 0;
	tap_is_int((long long)refused, (long long)n,
	    "every buffer too short is refused");

	memset(big, 'a', sizeof(big));
	bytes_writer_init(&w, buf, sizeof(buf));
	bytes_put_str(&w, big, BYTES_STR_MAX);
	tap_is_int((long long)bytes_written(&w), BYTES_STR_MAX + 2,
	    "a string of BYTES_STR_MAX bytes fits its length");
	bytes_writer_init(&w, buf, sizeof(buf));
	bytes_put_str(&w, big, BYTES_STR_MAX + 1);
	tap_is_int((long long)bytes_written(&w), 0,
	    "one more byte is refused, not cut to 16 bits");
	bytes_writer_init(&w, small, 1);
	bytes_put_u16(&w, 7);
	bytes_put_u8(&w, 7);
	tap_ok(w.bad && bytes_written(&w) == 0,
	    "bad stays: a later write that fits is refused too");
}

int
main(void)
{
	test_round_trip();
	test_truncation();
	test_reader_bad();
	test_writer_bad();
	return tap_done();
}
