/*
 * NAME
 *	pidtab - fixed tables keyed by pid, the least recent evicted
 * SYNOPSIS
 *	#include "pidtab.h"
 *
 *	void pidtab_init(t, slots, n, size)
 *	void *pidtab_at(t, i)
 *	size_t pidtab_index(t, pid)
 *	void *pidtab_find(t, pid)
 *	void *pidtab_get(t, pid)
 * DESCRIPTION
 *	The learner follows smtp processes by pid in two tables of fixed
 *	size: the correlator's pids (correlate.c) and the queries each pid
 *	made (hints.c). Both are this: an array of n caller-owned entries of
 *	size bytes, each starting with a struct pidtab_head, open-addressed
 *	from pid % n with linear probing. Nothing is ever removed, so a
 *	free slot (pid 0) ends a probe; once the table is full, a new pid
 *	takes the slot of the least recently used pid on its probe path
 *	(which, the table being full, is all of it).
 *
 *	pidtab_find() looks up and leaves the clock alone (a lookup that
 *	only reads is no use); pidtab_get() finds or makes the entry (a new
 *	one is zeroed) and marks it used. pidtab_index() is where a lookup
 *	finds pid (n: nowhere), for a loader that checks a saved table.
 *	The caller zeroes the slots before pidtab_init() and may save and
 *	restore t->tick with them: eviction order is then the same.
 */
#include "autoconf.h"

#include <string.h>

#include "pidtab.h"

/* A table over slots[0..n) of size bytes each, all zero (free). */
void
pidtab_init(struct pidtab *t, void *slots, size_t n, size_t size)
{
	t->slots = slots;
	t->n = n;
	t->size = size;
	t->tick = 0;
}

/* Entry i. */
void *
pidtab_at(const struct pidtab *t, size_t i)
{
	return t->slots + i * t->size;
}

static struct pidtab_head *
pidtab_head(const struct pidtab *t, size_t i)
{
	return pidtab_at(t, i);
}

/* Where a lookup of pid finds it; t->n when it is not there. */
size_t
pidtab_index(const struct pidtab *t, unsigned long pid)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		j = (pid % t->n + i) % t->n;
		if (pidtab_head(t, j)->pid == pid)
			return j;
		if (pidtab_head(t, j)->pid == 0)
			break;
	}
	return t->n;
}

/* The entry of pid, or NULL; its last use stays as it was. */
void *
pidtab_find(const struct pidtab *t, unsigned long pid)
{
	size_t i = pidtab_index(t, pid);

	return i < t->n ? pidtab_at(t, i) : NULL;
}

/* The entry of pid, made in a free slot or the least recently used
 * one if it is not there (zeroed but for its pid); marked used now. */
void *
pidtab_get(struct pidtab *t, unsigned long pid)
{
	size_t i, j, start = pid % t->n, oldest = start;
	struct pidtab_head *p;

	for (i = 0; i < t->n; i++) {
		j = (start + i) % t->n;
		p = pidtab_head(t, j);
		if (p->pid == pid)
			goto found;
		if (p->pid == 0)
			break;
		if (p->tick < pidtab_head(t, oldest)->tick)
			oldest = j;
	}
	if (i == t->n)
		p = pidtab_head(t, oldest);	/* full: forget the least recent */
	memset(p, 0, t->size);
	p->pid = pid;
found:
	p->tick = ++t->tick;
	return p;
}
