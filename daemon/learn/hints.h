/* hints.h: which next hop each smtp pid asked tlspind about (see hints.c). */
#ifndef TLSPIN_HINTS_H
#define TLSPIN_HINTS_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

#define HINTS_PIDS 512		/* smtp processes remembered */
#define HINTS_RING 4		/* queries kept per pid */
#define HINTS_SLACK 2		/* seconds a log stamp may lag the query */
#define HINTS_MAX_AGE 3600	/* older queries explain nothing */

/* One query as the server sends it to the learner (wire form below). */
struct hint {
	uint32_t pid;
	uint64_t time;		/* Unix seconds */
	uint16_t keylen;
	char key[KEY_MAX + 1];
};

/* A datagram holds up to this many hints: 4 + 8 + 2 + key bytes each. */
#define HINTS_WIRE_MAX 16384

#define HINTS_KEPT 256		/* last lookups a new learner gets */

struct hints;
struct hints_forward;

struct hints *hints_new(void);
void hints_free(struct hints *h);
void hints_add(struct hints *h, const struct hint *q);
int hints_find(void *arg, unsigned long pid, uint64_t t,
    const char *rcpt_domain, const char *relay_host, char *out,
    size_t outsz);
size_t hints_encode(const struct hint *q, unsigned char *buf, size_t bufsz);
size_t hints_decode(const unsigned char *buf, size_t len, struct hint *q);

struct hints_forward *hints_forward_new(void);
void hints_forward_free(struct hints_forward *f);
void hints_forward_add(struct hints_forward *f, uint32_t pid, uint64_t time,
    const char *key, size_t keylen);
void hints_forward_flush(struct hints_forward *f);
void hints_forward_set_fd(struct hints_forward *f, int fd);

#endif
