/* bytes.h: bounded little-endian byte reader and writer (see bytes.c). */
#ifndef TLSPIN_BYTES_H
#define TLSPIN_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Reads p[0..len); any read past the end sets bad, which stays set. */
struct bytes_reader {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

/* Writes into p[0..size); any write past the end sets bad. */
struct bytes_writer {
	unsigned char *p;
	size_t size, len;
	int bad;
};

#define BYTES_STR_MAX 0xffff	/* a length prefix is 16 bits */

/* Write the low `width` bytes of v at p, least significant first. */
static inline void
bytes_le_put(unsigned char *p, uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Read `width` bytes at p, least significant first. */
static inline uint64_t
bytes_le_get(const unsigned char *p, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void bytes_reader_init(struct bytes_reader *r, const unsigned char *p,
    size_t len);
uint64_t bytes_get(struct bytes_reader *r, size_t width);
const unsigned char *bytes_get_mem(struct bytes_reader *r, size_t n);
const unsigned char *bytes_get_view(struct bytes_reader *r, size_t max,
    size_t *n);
size_t bytes_get_str(struct bytes_reader *r, char *dst, size_t max);
size_t bytes_left(const struct bytes_reader *r);
int bytes_end(const struct bytes_reader *r);

void bytes_writer_init(struct bytes_writer *w, unsigned char *p,
    size_t size);
void bytes_put(struct bytes_writer *w, uint64_t v, size_t width);
void bytes_put_mem(struct bytes_writer *w, const void *src, size_t n);
void bytes_put_str(struct bytes_writer *w, const char *s, size_t n);
size_t bytes_written(const struct bytes_writer *w);

static inline uint8_t
bytes_get_u8(struct bytes_reader *r)
{
	return (uint8_t)bytes_get(r, 1);
}

static inline uint16_t
bytes_get_u16(struct bytes_reader *r)
{
	return (uint16_t)bytes_get(r, 2);
}

static inline uint32_t
bytes_get_u32(struct bytes_reader *r)
{
	return (uint32_t)bytes_get(r, 4);
}

static inline uint64_t
bytes_get_u64(struct bytes_reader *r)
{
	return bytes_get(r, 8);
}

static inline void
bytes_put_u8(struct bytes_writer *w, uint8_t v)
{
	bytes_put(w, v, 1);
}

static inline void
bytes_put_u16(struct bytes_writer *w, uint16_t v)
{
	bytes_put(w, v, 2);
}

static inline void
bytes_put_u32(struct bytes_writer *w, uint32_t v)
{
	bytes_put(w, v, 4);
}

static inline void
bytes_put_u64(struct bytes_writer *w, uint64_t v)
{
	bytes_put(w, v, 8);
}

#endif
