/* pidtab.h: fixed tables keyed by pid, least recent evicted (see pidtab.c). */
#ifndef TLSPIN_PIDTAB_H
#define TLSPIN_PIDTAB_H

#include <stddef.h>
#include <stdint.h>

/* The first member of every entry of a pidtab. */
struct pidtab_head {
	unsigned long pid;	/* 0: free */
	uint64_t tick;		/* last use, for eviction */
};

struct pidtab {
	unsigned char *slots;	/* n entries of size bytes */
	size_t n, size;
	uint64_t tick;		/* the clock: one tick a use */
};

void pidtab_init(struct pidtab *t, void *slots, size_t n, size_t size);
void *pidtab_at(const struct pidtab *t, size_t i);
size_t pidtab_index(const struct pidtab *t, unsigned long pid);
void *pidtab_find(const struct pidtab *t, unsigned long pid);
void *pidtab_get(struct pidtab *t, unsigned long pid);

#endif
