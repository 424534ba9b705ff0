/*
 * NAME
 *	t/unit/pidtab - tests for the pid table with least-recent eviction
 * DESCRIPTION
 *	A table of 4 entries: a pid goes to slot pid % 4, a collision to
 *	the next free slot; pidtab_find() finds without marking a use,
 *	pidtab_get() marks one; a full table gives a new pid the least
 *	recently used slot, zeroed, and eviction follows use, not age.
 */
#include "autoconf.h"

#include <string.h>

#include "pidtab.h"
#include "tap.h"

#define N 4

struct entry {
	struct pidtab_head h;
	int data;
};

static struct entry slots[N];
static struct pidtab T;

static void
reset(void)
{
	memset(slots, 0, sizeof(slots));
	pidtab_init(&T, slots, N, sizeof(slots[0]));
}

/* Where pid is, as a slot number; -1 when it is not there. */
static long long
where(unsigned long pid)
{
	struct entry *e = pidtab_find(&T, pid);

	return e == NULL ? -1 : (long long)(e - slots);
}

static void
test_slots(void)
{
	struct entry *e;

	reset();
	tap_ok(pidtab_find(&T, 5) == NULL, "an empty table finds nothing");
	e = pidtab_get(&T, 5);
	tap_ok(e == &slots[1] && e->h.pid == 5, "pid 5 goes to slot 1");
	e->data = 55;
	tap_ok(pidtab_get(&T, 5) == e && e->data == 55,
	    "getting it again gives the same entry, data kept");
	tap_is_int(where(9), -1, "pid 9 (also slot 1) is not there");
	pidtab_get(&T, 9);
	tap_is_int(where(9), 2, "a collision takes the next slot");
	pidtab_get(&T, 7);
	tap_is_int(where(7), 3, "pid 7 in its own slot 3");
	pidtab_get(&T, 11);
	tap_is_int(where(11), 0, "pid 11 (slot 3) wraps around to slot 0");
	tap_is_int((long long)pidtab_index(&T, 11), 0, "pidtab_index agrees");
	tap_is_int((long long)pidtab_index(&T, 13), N,
	    "pidtab_index of an absent pid in a full table is n");
}

static void
test_eviction(void)
{
	struct entry *e;
	uint64_t tick;

	reset();
	pidtab_get(&T, 1);
	pidtab_get(&T, 2);
	pidtab_get(&T, 3);
	pidtab_get(&T, 4);
	pidtab_get(&T, 1);	/* used again: 2 is now the least recent */
	tick = slots[2].h.tick;
	tap_ok(pidtab_find(&T, 2) != NULL && slots[2].h.tick == tick,
	    "find leaves the last use alone");
	slots[2].data = 22;
	e = pidtab_get(&T, 10);
	tap_ok(e == &slots[2] && e->h.pid == 10 && e->data == 0,
	    "full: a new pid takes the least recent slot, zeroed");
	tap_is_int(where(2), -1, "the evicted pid is gone");
	tap_ok(where(1) == 1 && where(3) == 3 && where(4) == 0,
	    "the others stay");
	pidtab_get(&T, 20);
	tap_is_int(where(3), -1, "next out: 3, the least recent left");
	pidtab_get(&T, 30);
	tap_is_int(where(4), -1, "then 4");
	pidtab_get(&T, 40);
	tap_is_int(where(1), -1, "then 1");
	tap_ok(where(10) >= 0 && where(20) >= 0 && where(30) >= 0 &&
	    where(40) >= 0, "the table holds the 4 most recent");
	tap_is_int((long long)T.tick, 9, "one tick per get");
}

static void
test_saved_tick(void)
{
	reset();
	slots[0].h.pid = 8;
	slots[0].h.tick = 7;
	slots[1].h.pid = 1;
	slots[1].h.tick = 3;
	slots[2].h.pid = 2;
	slots[2].h.tick = 5;
	slots[3].h.pid = 3;
	slots[3].h.tick = 6;
	T.tick = 7;		/* as a loader restores it */
	pidtab_get(&T, 12);
	tap_is_int(where(1), -1, "a restored table evicts by its saved ticks");
	tap_is_int((long long)slots[1].h.tick, 8, "and goes on from its clock");
}

int
main(void)
{
	test_slots();
	test_eviction();
	test_saved_tick();
	return tap_done();
}
