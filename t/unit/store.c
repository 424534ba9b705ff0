/*
 * NAME
 *	t/unit/store - the reply table and the indexes follow the records
 * DESCRIPTION
 *	A real LMDB store in a mkdtemp directory. After every write (a pin,
 *	a learned pin and its renewal, an observing record, an unpin, the
 *	expiry sweep) what a lookup reads from the reply table is what the
 *	record says, and the expiry and idle indexes hold exactly the
 *	learned pins by expiry and the evidence-only records by last
 *	activity. A damaged entry of the reply table is a store error
 *	(TEMP), never NOTFOUND. learner_expire() expires exactly the learned
 *	pins that are due, drops exactly the evidence idle for
 *	observe_max_age, keeps an admin's pin with an expiry, and drops an
 *	index entry its record no longer has.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learner.h"
#include "policy.h"
#include "record.h"
#include "store.h"
#include "tap.h"

#define T0 1800000000ULL	/* the sweep's now */
#define AGE 1000		/* observe_max_age */

static struct store *S;
static char dir[64], err[STORE_ERR_MAX];

/* Write r under key in its own transaction. */
static void
put(const char *key, const struct record *r)
{
	struct store_txn *t;

	if (!store_begin(S, &t, err, sizeof(err)) ||
	    !store_txn_put(t, key, r, err, sizeof(err)) ||
	    !store_commit(t, err, sizeof(err))) {
		printf("Bail out! put %s: %s\n", key, err);
		exit(99);
	}
}

static void
del(const char *key)
{
	struct store_txn *t;

	if (!store_begin(S, &t, err, sizeof(err)) ||
	    !store_txn_del(t, key, err, sizeof(err)) ||
	    !store_commit(t, err, sizeof(err))) {
		printf("Bail out! del %s: %s\n", key, err);
		exit(99);
	}
}

/* A record of state and source with reply (NULL: none). */
static struct record *
rec(int state, int source, const char *reply, uint64_t expires,
    uint64_t last_seen)
{
	static struct record r;

	memset(&r, 0, sizeof(r));
	r.state = (uint8_t)state;
	r.source = (uint8_t)source;
	r.level = reply ? LEVEL_ENCRYPT : LEVEL_NONE;
	r.expires = expires;
	r.first_seen = r.last_seen = r.updated = last_seen;
	if (reply != NULL) {
		r.reply_len = (uint16_t)strlen(reply);
		memcpy(r.reply, reply, r.reply_len + 1);
	}
	return &r;
}

/* What a lookup at now answers for key: the reply, "NOTFOUND" or
 * "ERROR: why". */
static const char *
look(const char *key, uint64_t now)
{
	static char out[REPLY_MAX + 64];
	const char *why = NULL;
	size_t n;

	switch (store_lookup(S, key, strlen(key), now, out, sizeof(out), &n,
	    &why)) {
	case STORE_OK:
		return out;
	case STORE_NOTFOUND:
		return "NOTFOUND";
	default:
		snprintf(out, sizeof(out), "ERROR: %s", why);
		return out;
	}
}

static int
index_add(void *arg, uint64_t when, const char *key, size_t keylen)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 4096 - n, "%llu:%.*s ", (unsigned long long)when,
	    (int)keylen, key);
	return 0;
}

/* The entries of index which, as "when:key when:key ". */
static const char *
dump(enum store_index which)
{
	static char out[4096];
	struct store_due pos;

	out[0] = '\0';
	memset(&pos, 0, sizeof(pos));
	if (!store_due(S, which, UINT64_MAX, &pos, index_add, out, err,
	    sizeof(err)))
		snprintf(out, sizeof(out), "ERROR: %s", err);
	return out;
}

/* Write raw bytes under key in database db, as a damaged disk would. */
static int
damage(const char *db, const char *key, const char *printable)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mdb_load -s %s %s", db, dir);
	if ((f = popen(cmd, "w")) == NULL)
		return 0;
	fprintf(f, "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n"
	    " %s\n %s\nDATA=END\n", key, printable);
	return pclose(f) == 0;
}

static void
test_table(void)
{
	struct record *r;

	put("m.test", rec(STATE_MANUAL, SOURCE_MANUAL, "encrypt", 0, 5));
	tap_is_str(look("m.test", T0), "encrypt", "pin: the lookup answers");
	put("m.test", rec(STATE_MANUAL, SOURCE_MANUAL, "secure match=mx.m.test",
	    T0, 5));
	tap_is_str(look("m.test", T0 - 1), "secure match=mx.m.test",
	    "pin again: the new reply");
	tap_is_str(look("m.test", T0), "NOTFOUND", "expired at its expiry");
	tap_is_str(dump(STORE_EXPIRY), "", "an admin's pin is in no index");
	put("l.test", rec(STATE_ENCRYPT, SOURCE_LEARNED, "encrypt", 500, 7));
	tap_is_str(dump(STORE_EXPIRY), "500:l.test ", "a learned pin: indexed "
	    "by expiry");
	put("l.test", rec(STATE_ENCRYPT, SOURCE_LEARNED, "encrypt", 900, 8));
	tap_is_str(dump(STORE_EXPIRY), "900:l.test ", "renewed: only the new "
	    "expiry");
	put("o.test", rec(STATE_OBSERVING, SOURCE_LEARNED, NULL, 0, 42));
	tap_is_str(look("o.test", 0), "NOTFOUND", "observing: no reply entry");
	tap_is_str(dump(STORE_IDLE), "42:o.test ", "indexed by last activity");
	r = rec(STATE_OBSERVING, SOURCE_LEARNED, NULL, 0, 42);
	r->last_seen = 77;
	put("o.test", r);
	tap_is_str(dump(STORE_IDLE), "77:o.test ", "seen again: moved");
	put("o.test", rec(STATE_ENCRYPT, SOURCE_LEARNED, "encrypt", 950, 80));
	tap_is_str(dump(STORE_IDLE), "", "pinned by learning: out of idle");
	tap_is_str(dump(STORE_EXPIRY), "900:l.test 950:o.test ",
	    "and into expiry");
	tap_is_str(look("o.test", 0), "encrypt", "and it answers");
	del("o.test");
	del("l.test");
	tap_is_str(look("l.test", 0), "NOTFOUND", "unpin: no reply entry");
	tap_is_str(dump(STORE_EXPIRY), "", "unpin: no index entry");
	tap_ok(damage("replies", "bad.test", "\\01\\02\\03"), "wrote a damaged entry");
	tap_is_str(look("bad.test", 0), "ERROR: reply record is truncated",
	    "a damaged reply entry is an error (TEMP), never NOTFOUND");
}

/* The pins a sweep at T0 expires, and the evidence it drops. */
static void
test_sweep(void)
{
	struct learn_params p;
	struct learner *l;
	struct record r;
	const char *due[] = { "d1.test", "d2.test", "d3.test" };
	const uint64_t at[] = { T0 - 10, T0 - 1, T0 };
	size_t i;

	for (i = 0; i < 3; i++)
		put(due[i], rec(STATE_ENCRYPT, SOURCE_LEARNED, "encrypt",
		    at[i], 100));
	put("k1.test", rec(STATE_SECURE, SOURCE_LEARNED,
	    "secure match=mx.k1.test", T0 + 1, 100));
	put("k2.test", rec(STATE_MANUAL, SOURCE_MANUAL, "encrypt", T0 - 5,
	    100));
	put("old.test", rec(STATE_OBSERVING, SOURCE_LEARNED, NULL, 0,
	    T0 - AGE));
	put("new.test", rec(STATE_OBSERVING, SOURCE_LEARNED, NULL, 0,
	    T0 - AGE + 1));
	/* an index entry its record no longer has: the record was corrupt
	 * (its entries could not be found) when it was pinned again */
	put("k3.test", rec(STATE_ENCRYPT, SOURCE_LEARNED, "encrypt", T0 - 3,
	    100));
	tap_ok(damage("domains", "k3.test", "\\03\\01"), "damaged k3.test");
	put("k3.test", rec(STATE_MANUAL, SOURCE_MANUAL, "encrypt", 0, 100));
	tap_is_str(dump(STORE_EXPIRY), "1799999990:d1.test "
	    "1799999997:k3.test 1799999999:d2.test 1800000000:d3.test "
	    "1800000001:k1.test ", "k3.test's old entry stayed");
	memset(&p, 0, sizeof(p));
	p.max_age = 100 * 86400;
	p.observe_max_age = AGE;
	p.compat = REPLY_COMPAT_DEFAULT;
	l = learner_new(S, &p, 64);
	tap_ok(l != NULL && learner_expire(l, T0, err, sizeof(err)),
	    "learner_expire at T0 (%s)", l ? err : "no memory");
	for (i = 0; i < 3; i++) {
		tap_ok(store_get(S, due[i], &r, err, sizeof(err)) == STORE_OK &&
		    r.state == STATE_EXPIRED && r.reply_len == 0,
		    "%s, due at T0%+lld: expired", due[i],
		    (long long)(at[i] - T0));
		tap_is_str(look(due[i], 0), "NOTFOUND",
		    "and its reply entry is gone");
	}
	tap_is_str(look("k1.test", T0), "secure match=mx.k1.test",
	    "a learned pin due at T0+1 stays");
	tap_ok(store_get(S, "k2.test", &r, err, sizeof(err)) == STORE_OK &&
	    r.state == STATE_MANUAL, "an admin's pin past its expiry is left "
	    "to the admin");
	tap_is_str(dump(STORE_EXPIRY), "1800000001:k1.test ",
	    "the expiry index: what is not due; k3.test's stale entry went");
	tap_is_str(look("k3.test", T0), "encrypt", "k3.test's pin stays");
	tap_ok(store_get(S, "old.test", &r, err, sizeof(err)) ==
	    STORE_NOTFOUND, "evidence idle for observe_max_age: dropped");
	tap_ok(store_get(S, "new.test", &r, err, sizeof(err)) == STORE_OK,
	    "evidence idle a second less: kept");
	tap_ok(strstr(dump(STORE_IDLE), "new.test") != NULL &&
	    strstr(dump(STORE_IDLE), "old.test") == NULL &&
	    strstr(dump(STORE_IDLE), "d1.test") != NULL,
	    "the idle index: the evidence left, the pins just expired");
	tap_is_int((long long)learner_evidence(l), 4,
	    "the evidence count: the idle index's size");
	learner_free(l);
}

int
main(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/tlspin-store.XXXXXX");
	if (mkdtemp(dir) == NULL ||
	    !store_open(&S, dir, STORE_CREATE, err, sizeof(err))) {
		printf("Bail out! cannot make a store in %s: %s\n", dir, err);
		return 99;
	}
	test_table();
	test_sweep();
	store_close(S);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
