/* le.h: little-endian integers in the bytes tlspin stores and sends. */
#ifndef TLSPIN_LE_H
#define TLSPIN_LE_H

#include <stddef.h>
#include <stdint.h>

/* Write the low `width` bytes of v at p, least significant first. */
static inline void
le_put(unsigned char *p, uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Read `width` bytes at p, least significant first. */
static inline uint64_t
le_get(const unsigned char *p, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
