/*
 * NAME
 *	learner - Postfix log lines in, pins out, one LMDB transaction a batch
 * SYNOPSIS
 *	#include "config.h"
#include "learner.h"
 *
 *	struct learner *learner_new(store, params)
 *	int learner_resume(l, pos_key, pos, possz, poslen, err, errsz)
 *	int learner_line(l, line, len, err, errsz)
 *	int learner_entry(l, tag, taglen, pid, msg, msglen, time, trusted, ...)
 *	int learner_commit(l, pos_key, pos, poslen, err, errsz)
 *	int learner_expire(l, now, err, errsz)
 *	uint64_t learner_evidence(l)
 * DESCRIPTION
 *	The pipeline every log source shares (tlspind's journal and file
 *	followers, tlspin learn): logparse reads a line, correlate joins it
 *	with the pid's earlier lines, learn moves the domain's record.
 *
 *	Work happens inside one write transaction per batch, opened at the
 *	first observation. Records touched in the batch are kept decoded in
 *	a small cache (`cache` entries, ~5 KB each; when full they go to
 *	the transaction and the cache starts over), so a busy domain costs
 *	one LMDB read and one write per batch, not per delivery. Transitions
 *	go to the events database as they happen.
 *
 *	learner_commit() writes the cached records, the source's position
 *	(whatever bytes the source uses: inode and offset, a journal
 *	cursor), the correlator's table and the counters under pos_key in
 *	meta, and commits: the position and what the lines before it taught
 *	us land together or not at all. After a crash, learner_resume()
 *	returns that position and restores the correlator, so no line is
 *	counted twice or skipped. The cache is dropped at every commit:
 *	between batches the admin may have pinned a domain with tlspin, and
 *	the learner must read that, not overwrite it.
 *
 *	What mail can make the store hold is bounded: a record that holds
 *	only evidence (observing, or an expired pin: no reply, nothing an
 *	admin or DANE set) is dropped by the expiry sweep once nothing
 *	happened to it for observe_max_age, and past max_observing such
 *	records a domain the store does not know yet is not recorded (the
 *	unrecorded counter says how many). Their number is kept in meta
 *	(LEARNER_EVIDENCE_KEY), moved in the transaction that moves a
 *	record and counted again by every sweep (the idle index's size).
 *	Pins are never dropped.
 *
 *	learner_expire() is that sweep. It reads the store's indexes of
 *	what falls due (learned pins by expiry, evidence-only records by
 *	last activity; see store.c), never the records that are not due, in
 *	slices of LEARNER_SWEEP_BATCH entries, each in its own short read
 *	transaction, and writes each slice in one transaction: memory stays
 *	bounded whatever the store holds, lookups and other writers (tlspin
 *	pin) get the write lock between batches,
 *	and no reader stays open across the sweep's own commits (one that
 *	did would keep every page they free from reuse: the map would grow
 *	by what the sweep rewrites).
 *
 *	Times: a line's RFC 3339 stamp, the journal's, or for a classic
 *	syslog stamp (no year, local time) the latest year that does not
 *	put it more than a day after the learner's clock. Time is an input:
 *	the clock is what learner_set_now() last said (the wall clock at
 *	learner_new()), and a long-running caller sets it before each slice
 *	of lines it reads. No line is dated after that clock: a later stamp
 *	is taken as now and counted (learner_stats' future,
 *	learner_future_take), so nothing from the log can expire a pin
 *	before the clock says so, nor stretch one into the far future.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "config.h"
#include "learner.h"
#include "logparse.h"
#include "policy.h"

#define LEARNER_INDEX 2048	/* hash slots: twice the cache */
#define LEARNER_POS_VERSION 1
#define LEARNER_BLOB_MAX (3 + LEARNER_POS_MAX + CORRELATE_SAVE_MAX)
#define LEARNER_SWEEP_BATCH 1000	/* records a write transaction moves */
#define LEARNER_STATS_LAST \
	(offsetof(struct learner_stats, last_time) / sizeof(uint64_t))

struct learner_slot {
	char key[KEY_MAX + 1];
	int exists, dirty, corrupt;
	struct record r;
};

struct learner {
	struct store *s;
	struct learn_params p;
	struct correlator *c;
	struct store_txn *t;		/* open during a batch */
	struct learner_slot *slots;
	size_t count, cap;
	int16_t index[LEARNER_INDEX];	/* slot + 1; 0 = empty */
	learner_event_fn efn;
	void *earg;
	learner_obs_fn ofn;
	void *oarg;
	learner_probe_fn pfn;
	void *parg;
	struct learner_stats run, delta;
	int64_t now;
	int tc_mon, tc_day, tc_hour;	/* classic stamps: last hour seen */
	int64_t tc_base;
	uint64_t future_n, future_max;	/* since learner_future_take() */
	size_t pending;			/* observations since the commit */
	struct logparse_event ev;
	struct correlate_out out;
	unsigned char *blob;
	const char *shared;	/* also keep the position blob under this */
	uint64_t ev_base;	/* evidence-only records when t began */
	int64_t ev_delta;	/* and how t moved that number */
};

static void learner_abort(struct learner *l);
static void learner_stats_add(struct learner_stats *to,
    const struct learner_stats *d);

/* The state machine's settings from tlspin.conf. */
void
learner_params(const struct config *c, struct learn_params *p)
{
	p->min_deliveries = c->pin_min_deliveries;
	p->min_span = c->pin_min_span;
	p->max_age = c->pin_max_age;
	p->secure_pins = c->secure_pins;
	p->compat = c->postfix_compat;
	p->private_mx = c->private_mx;
	p->probe = c->probe;
	p->probe_interval = c->probe_interval;
	p->mx_change = (int)c->mx_change;
	p->dane_only = c->dane_only;
	p->observe_max_age = c->observe_max_age;
	p->max_observing = c->max_observing;
}

struct learner *
learner_new(struct store *s, const struct learn_params *p, size_t cache)
{
	struct learner *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (cache < 16)
		cache = 16;
	if (cache > LEARNER_INDEX / 2)
		cache = LEARNER_INDEX / 2;
	l->cap = cache;
	l->s = s;
	l->p = *p;
	l->c = correlate_new();
	if (l->c != NULL)
		correlate_set_private_mx(l->c, p->private_mx);
	l->slots = calloc(cache, sizeof(*l->slots));
	l->blob = malloc(LEARNER_BLOB_MAX);
	l->now = (int64_t)time(NULL);
	l->tc_mon = -1;
	if (l->c == NULL || l->slots == NULL || l->blob == NULL) {
		learner_free(l);
		return NULL;
	}
	return l;
}

void
learner_free(struct learner *l)
{
	if (l == NULL)
		return;
	if (l->t != NULL)
		store_abort(l->t);
	correlate_free(l->c);
	free(l->slots);
	free(l->blob);
	free(l);
}

void
learner_set_hint(struct learner *l, correlate_hint_fn fn, void *arg)
{
	correlate_set_hint(l->c, fn, arg);
}

void
learner_set_event_fn(struct learner *l, learner_event_fn fn, void *arg)
{
	l->efn = fn;
	l->earg = arg;
}

/* tlspind's learner alerts (alert.c); tlspin learn (old logs) does not. */
void
learner_set_obs_fn(struct learner *l, learner_obs_fn fn, void *arg)
{
	l->ofn = fn;
	l->oarg = arg;
}

/* tlspind's learner probes; tlspin learn (old logs) does not. */
void
learner_set_probe_fn(struct learner *l, learner_probe_fn fn, void *arg)
{
	l->pfn = fn;
	l->parg = arg;
}

/*
 * Several sources read one after another (tlspin learn's files): keep the
 * last committed blob under key too, so a source with no position yet
 * starts with the correlator where the previous one left it (a TLS line
 * at the end of mail.log.1, its delivery at the start of mail.log).
 */
void
learner_set_shared(struct learner *l, const char *key)
{
	l->shared = key;
}

/* The learner's clock: Unix seconds, the latest any line may be dated. */
void
learner_set_now(struct learner *l, int64_t now)
{
	l->now = now;
	l->tc_mon = -1;
}

/* This run's counters, committed or not (a dry run never commits). */
void
learner_stats(const struct learner *l, struct learner_stats *st)
{
	*st = l->run;
	learner_stats_add(st, &l->delta);
	st->local = correlate_stats(l->c)->local;
}

/* Evidence-only records as the last transaction left them (meta). */
uint64_t
learner_evidence(const struct learner *l)
{
	int64_t n = (int64_t)l->ev_base + l->ev_delta;

	return n < 0 ? 0 : (uint64_t)n;
}

/*
 * Lines dated in the future (more than LEARNER_FUTURE_SLACK after the
 * clock) since the last call, and the newest of their stamps: for a
 * caller that tells the admin, once in a while.
 */
uint64_t
learner_future_take(struct learner *l, uint64_t *newest)
{
	uint64_t n = l->future_n;

	*newest = l->future_max;
	l->future_n = l->future_max = 0;
	return n;
}

/* ---------------------------------------------------------------- time */

/* Seconds of a classic stamp at the hour's start, in the inferred year. */
static int64_t
learner_hour_base(const struct learner *l, int mon, int day, int hour)
{
	struct tm ref, tm;
	time_t now = (time_t)l->now, t;

	localtime_r(&now, &ref);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = ref.tm_year;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t > now + 86400) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = ref.tm_year - 1;
		tm.tm_mon = mon - 1;
		tm.tm_mday = day;
		tm.tm_hour = hour;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return t < 0 ? 0 : (int64_t)t;
}

/*
 * A line's time, never later than the clock. Nothing from the log may
 * unpin: learn_apply() expires a pin as of the line's time and renews it
 * to the line's time + pin_max_age, so one line stamped 2099 (or written
 * while the logging host's clock ran 90 days ahead) would expire every
 * pin it names for good, or keep one alive for decades. A line a little
 * ahead (another host's clock, a line written while a slice is read) is
 * taken as now as well, but only counted beyond LEARNER_FUTURE_SLACK.
 */
static uint64_t
learner_clamp(struct learner *l, uint64_t t)
{
	uint64_t now = l->now > 0 ? (uint64_t)l->now : 0;

	if (t <= now)
		return t;
	if (t - now > LEARNER_FUTURE_SLACK) {
		l->delta.future++;
		l->future_n++;
		if (t > l->future_max)
			l->future_max = t;
	}
	return now;
}

/* The Unix time of a parsed line (at most the clock); 0 when it has none. */
static uint64_t
learner_time(struct learner *l, const struct logparse_event *ev)
{
	if (ev->time >= 0)
		return learner_clamp(l, (uint64_t)ev->time);
	if (ev->month < 1 || ev->month > 12)
		return 0;
	if (ev->month != l->tc_mon || ev->day != l->tc_day ||
	    ev->hour != l->tc_hour) {
		l->tc_base = learner_hour_base(l, ev->month, ev->day,
		    ev->hour);
		l->tc_mon = ev->month;
		l->tc_day = ev->day;
		l->tc_hour = ev->hour;
	}
	return learner_clamp(l, (uint64_t)(l->tc_base + ev->min * 60 +
	    ev->sec));
}

/* --------------------------------------------------------------- cache */

static size_t
learner_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (LEARNER_INDEX - 1);
}

/* Write the dirty cached records into the open transaction. */
static int
learner_writeback(struct learner *l, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		if (!l->slots[i].dirty)
			continue;
		if (!store_txn_put(l->t, l->slots[i].key, &l->slots[i].r, err,
		    errsz))
			return 0;
		l->slots[i].dirty = 0;
	}
	return 1;
}

static void
learner_cache_clear(struct learner *l)
{
	memset(l->index, 0, sizeof(l->index));
	l->count = 0;
}

/* A record that holds only evidence: no reply, nobody else's entry. */
static int
learner_is_evidence(int exists, const struct record *r)
{
	return exists && record_is_evidence(r);
}

/* Open the batch's transaction if it is not open yet. */
static int
learner_begin(struct learner *l, char *err, size_t errsz)
{
	unsigned char b[8];
	size_t n;

	if (l->t != NULL)
		return 1;
	learner_cache_clear(l);
	l->ev_delta = 0;
	if (!store_begin(l->s, &l->t, err, errsz))
		return 0;
	if (!store_txn_meta_get(l->t, LEARNER_EVIDENCE_KEY, b, sizeof(b), &n,
	    err, errsz)) {
		store_abort(l->t);
		l->t = NULL;
		return 0;
	}
	l->ev_base = n == sizeof(b) ? bytes_le_get(b, 8) : 0;
	return 1;
}

/* Write the evidence-only count as this transaction leaves it. */
static int
learner_evidence_commit(struct learner *l, char *err, size_t errsz)
{
	unsigned char b[8];

	bytes_le_put(b, learner_evidence(l), 8);
	return store_txn_meta_put(l->t, LEARNER_EVIDENCE_KEY, b, sizeof(b),
	    err, errsz);
}

/* The cached record of key, read from the transaction on a miss. */
static struct learner_slot *
learner_slot(struct learner *l, const char *key, char *err, size_t errsz)
{
	size_t h = learner_hash(key);
	struct learner_slot *sl;
	enum store_status st;

	for (; l->index[h] != 0; h = (h + 1) & (LEARNER_INDEX - 1))
		if (strcmp(l->slots[l->index[h] - 1].key, key) == 0)
			return &l->slots[l->index[h] - 1];
	if (l->count == l->cap) {
		if (!learner_writeback(l, err, errsz))
			return NULL;
		learner_cache_clear(l);
		return learner_slot(l, key, err, errsz);
	}
	sl = &l->slots[l->count];
	memset(sl, 0, offsetof(struct learner_slot, r));
	memcpy(sl->key, key, strlen(key) + 1);	/* key: at most KEY_MAX */
	st = store_txn_get(l->t, key, &sl->r, err, errsz);
	if (st == STORE_ERROR)
		sl->corrupt = 1;	/* leave it for the admin; learn the rest */
	sl->exists = st == STORE_OK;
	l->index[h] = (int16_t)(++l->count);
	return sl;
}

/* ---------------------------------------------------------------- lines */

/* Write transitions to the events database, and tell the caller. */
static int
learner_events(struct learner *l, const struct record_event *ev, int nev,
    char *err, size_t errsz)
{
	int i;

	for (i = 0; i < nev; i++) {
		if (!store_txn_event(l->t, &ev[i], err, errsz))
			return 0;
		l->delta.transitions++;
		if (l->efn != NULL)
			l->efn(l->earg, &ev[i]);
	}
	return 1;
}

/* Count one delivery for its domain, write transitions as they happen. */
static int
learner_observe(struct learner *l, const struct correlate_out *o, char *err,
    size_t errsz)
{
	struct record_event ev[LEARN_EVENTS_MAX];
	struct learner_slot *sl;
	int nev, why, was;

	if (!learner_begin(l, err, errsz) ||
	    (sl = learner_slot(l, o->domain, err, errsz)) == NULL)
		return 0;
	if (sl->corrupt)
		return 1;
	l->pending++;
	was = learner_is_evidence(sl->exists, &sl->r);
	if (learn_apply(&sl->r, sl->exists, o->domain, &o->obs, &l->p, ev,
	    &nev) == LEARN_UNCHANGED) {
		l->delta.observations++;
		return 1;
	}
	if (!sl->exists && learner_is_evidence(1, &sl->r) &&
	    l->p.max_observing != 0 &&
	    learner_evidence(l) >= l->p.max_observing) {
		l->delta.unrecorded++;	/* the store is full of evidence */
		return 1;
	}
	l->delta.observations++;
	l->ev_delta += learner_is_evidence(1, &sl->r) - was;
	sl->exists = sl->dirty = 1;
	if (!learner_events(l, ev, nev, err, errsz))
		return 0;
	if (l->ofn != NULL)
		l->ofn(l->oarg, o->domain, &o->obs, &sl->r);
	if (l->pfn != NULL && (why = learn_wants_probe(&sl->r, &o->obs,
	    (uint64_t)l->now, &l->p)) != LEARN_PROBE_NO)
		l->pfn(l->parg, o->domain, why);
	return 1;
}

/* What a probe found, into the domain's record (committed later). */
int
learner_probe(struct learner *l, const char *domain,
    const struct learn_probe *pr, char *err, size_t errsz)
{
	struct record_event ev[LEARN_EVENTS_MAX];
	struct learner_slot *sl;
	int nev;

	if (!learner_begin(l, err, errsz) ||
	    (sl = learner_slot(l, domain, err, errsz)) == NULL)
		return 0;
	if (sl->corrupt || !sl->exists)
		return 1;	/* unpinned meanwhile: nothing to say */
	l->ev_delta -= learner_is_evidence(1, &sl->r);
	learn_probe(&sl->r, domain, pr, &l->p, ev, &nev);
	l->ev_delta += learner_is_evidence(1, &sl->r);
	sl->dirty = 1;
	l->pending++;
	return learner_events(l, ev, nev, err, errsz);
}

/* Feed one parsed line of the SMTP client to the correlator. */
static int
learner_feed(struct learner *l, char *err, size_t errsz)
{
	uint64_t t;

	l->delta.smtp++;
	if (l->ev.kind == LOGPARSE_OTHER) {
		l->delta.ignored++;
		return 1;
	}
	l->delta.used++;
	t = learner_time(l, &l->ev);
	if (t > l->delta.last_time)
		l->delta.last_time = t;
	if (!correlate_feed(l->c, &l->ev, t, &l->out))
		return 1;
	return learner_observe(l, &l->out, err, errsz);
}

/* One line of a log file. 0 only on a store error (ERR). */
int
learner_line(struct learner *l, const char *line, size_t len, char *err,
    size_t errsz)
{
	l->delta.lines++;
	logparse_line(line, len, &l->ev);
	if (l->ev.service[0] == '\0') {
		l->delta.unparsed++;
		return 1;
	}
	if (!logparse_is_smtp(l->ev.service, strlen(l->ev.service)))
		return 1;
	return learner_feed(l, err, errsz);
}

/* One journal entry; untrusted ones are counted and dropped. */
int
learner_entry(struct learner *l, const char *tag, size_t taglen,
    unsigned long pid, const char *msg, size_t msglen, uint64_t time,
    int trusted, char *err, size_t errsz)
{
	l->delta.lines++;
	if (!trusted) {
		l->delta.forged++;
		return 1;
	}
	if (!logparse_is_smtp(tag, taglen))
		return 1;
	logparse_message(tag, taglen, pid, msg, msglen, &l->ev);
	l->ev.time = (int64_t)time;
	return learner_feed(l, err, errsz);
}

/* ------------------------------------------------------------ position */

/* Counters add up; last_time is the newest of the two. */
static void
learner_stats_add(struct learner_stats *to, const struct learner_stats *d)
{
	uint64_t *a = (uint64_t *)to;
	const uint64_t *b = (const uint64_t *)d;
	size_t i;

	for (i = 0; i < LEARNER_STATS_N; i++)
		if (i != LEARNER_STATS_LAST)
			a[i] += b[i];
	if (d->last_time > to->last_time)
		to->last_time = d->last_time;
}

/* Counters as stored: LEARNER_STATS_N little-endian u64. */
static void
learner_stats_decode(const unsigned char *b, size_t n,
    struct learner_stats *st)
{
	uint64_t *a = (uint64_t *)st;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < LEARNER_STATS_N && (i + 1) * 8 <= n; i++)
		a[i] = bytes_le_get(b + i * 8, 8);
}

static void
learner_stats_encode(const struct learner_stats *st, unsigned char *b)
{
	const uint64_t *a = (const uint64_t *)st;
	size_t i;

	for (i = 0; i < LEARNER_STATS_N; i++)
		bytes_le_put(b + i * 8, a[i], 8);
}

int
learner_stats_load(struct store *s, struct learner_stats *st, char *err,
    size_t errsz)
{
	unsigned char b[LEARNER_STATS_N * 8];
	size_t n;

	if (!store_meta_get(s, LEARNER_STATS_KEY, b, sizeof(b), &n, err,
	    errsz))
		return 0;
	learner_stats_decode(b, n, st);
	return 1;
}

/*
 * The log position saved under pos_key, without the correlator's state
 * beside it, for a reader outside the learner (tlspin doctor): 1 with
 * *poslen (0: none saved yet), 0 with ERR.
 */
int
learner_position_load(struct store *s, const char *pos_key, void *pos,
    size_t possz, size_t *poslen, char *err, size_t errsz)
{
	unsigned char *b = malloc(LEARNER_BLOB_MAX);
	size_t n = 0, plen;
	int ok;

	*poslen = 0;
	if (b == NULL) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	ok = store_meta_get(s, pos_key, b, LEARNER_BLOB_MAX, &n, err, errsz);
	plen = n >= 3 ? (size_t)b[1] | (size_t)b[2] << 8 : 0;
	if (ok && n > 0 && (n < 3 || b[0] != LEARNER_POS_VERSION ||
	    plen > possz || plen > n - 3)) {
		snprintf(err, errsz, "the saved log position %s in store %s "
		    "is damaged", pos_key, store_dir(s));
		ok = 0;
	} else if (ok && n > 0) {
		memcpy(pos, b + 3, plen);
		*poslen = plen;
	}
	free(b);
	return ok;
}

/* Add this batch's counters to the stored ones. */
static int
learner_stats_commit(struct learner *l, char *err, size_t errsz)
{
	unsigned char b[LEARNER_STATS_N * 8];
	struct learner_stats st;
	size_t n;

	l->delta.local = correlate_stats(l->c)->local - l->run.local;
	if (!store_txn_meta_get(l->t, LEARNER_STATS_KEY, b, sizeof(b), &n,
	    err, errsz))
		return 0;
	learner_stats_decode(b, n, &st);
	learner_stats_add(&st, &l->delta);
	learner_stats_encode(&st, b);
	return store_txn_meta_put(l->t, LEARNER_STATS_KEY, b, sizeof(b), err,
	    errsz);
}

/*
 * End the batch: the cached records, the counters and the evidence count
 * into its transaction, and commit; either way the batch is over.
 */
static int
learner_batch_commit(struct learner *l, char *err, size_t errsz)
{
	int ok;

	ok = learner_writeback(l, err, errsz) &&
	    learner_stats_commit(l, err, errsz) &&
	    learner_evidence_commit(l, err, errsz);
	if (ok) {
		ok = store_commit(l->t, err, errsz);
		l->t = NULL;	/* store_commit freed it either way */
	}
	if (ok) {
		learner_stats_add(&l->run, &l->delta);
		l->ev_base = learner_evidence(l);
	}
	learner_abort(l);
	return ok;
}

/* Records, position + correlator, counters, where we are; then commit. */
int
learner_commit(struct learner *l, const char *pos_key, const void *pos,
    size_t poslen, const char *where, char *err, size_t errsz)
{
	size_t n;

	if (poslen > LEARNER_POS_MAX) {
		snprintf(err, errsz, "position for %s is too long", pos_key);
		return 0;
	}
	if (!learner_begin(l, err, errsz))
		return 0;
	l->blob[0] = LEARNER_POS_VERSION;
	l->blob[1] = (unsigned char)(poslen & 0xff);
	l->blob[2] = (unsigned char)(poslen >> 8);
	memcpy(l->blob + 3, pos, poslen);
	n = correlate_save(l->c, l->blob + 3 + poslen,
	    LEARNER_BLOB_MAX - 3 - poslen);
	if (n == 0) {
		snprintf(err, errsz, "cannot save the log position for %s",
		    pos_key);
		learner_abort(l);
		return 0;
	}
	if ((l->shared != NULL && !store_txn_meta_put(l->t, l->shared,
	    l->blob, 3 + poslen + n, err, errsz)) ||
	    !store_txn_meta_put(l->t, pos_key, l->blob, 3 + poslen + n, err,
	    errsz) || !store_txn_meta_put(l->t, LEARNER_WHERE_KEY, where,
	    strlen(where), err, errsz)) {
		learner_abort(l);
		return 0;
	}
	return learner_batch_commit(l, err, errsz);
}

/* Drop the batch: nothing since the last commit happened. */
static void
learner_abort(struct learner *l)
{
	if (l->t != NULL)
		store_abort(l->t);
	l->t = NULL;
	learner_cache_clear(l);
	memset(&l->delta, 0, sizeof(l->delta));
	l->ev_delta = 0;
	l->pending = 0;
}

/* Read the blob under key: 1 with *found, 0 with ERR when it is bad. */
static int
learner_load_blob(struct learner *l, const char *key, void *pos,
    size_t possz, size_t *poslen, int *found, char *err, size_t errsz)
{
	size_t n, plen;

	*poslen = 0;
	*found = 0;
	if (!store_meta_get(l->s, key, l->blob, LEARNER_BLOB_MAX, &n, err,
	    errsz))
		return 0;
	if (n == 0)
		return 1;
	plen = n >= 3 ? (size_t)l->blob[1] | (size_t)l->blob[2] << 8 : 0;
	if (n < 3 || l->blob[0] != LEARNER_POS_VERSION || plen > possz ||
	    plen > n - 3 || !correlate_load(l->c, l->blob + 3 + plen,
	    n - 3 - plen)) {
		snprintf(err, errsz, "the saved log position %s in store %s "
		    "is damaged", key, store_dir(l->s));
		return 0;
	}
	memcpy(pos, l->blob + 3, plen);
	*poslen = plen;
	*found = 1;
	return 1;
}

/*
 * The position stored under pos_key (poslen 0: none yet) with the
 * correlator as it was then; for a new source, the correlator as the
 * shared key has it. 0 with ERR when the stored bytes are bad.
 */
int
learner_resume(struct learner *l, const char *pos_key, void *pos,
    size_t possz, size_t *poslen, char *err, size_t errsz)
{
	unsigned char other[LEARNER_POS_MAX];
	size_t n;
	int found;

	if (!learner_load_blob(l, pos_key, pos, possz, poslen, &found, err,
	    errsz))
		return 0;
	if (found || l->shared == NULL)
		return 1;
	return learner_load_blob(l, l->shared, other, sizeof(other), &n,
	    &found, err, errsz);
}

/* --------------------------------------------------------------- expiry */

/* A slice of the sweep: the index entries read, all due. */
struct learner_sweep {
	uint64_t now;
	uint64_t max_age;		/* observe_max_age; 0: never */
	enum store_index which;		/* the index being swept */
	struct store_due pos;		/* the last entry read */
	struct learner_due {
		uint64_t when;
		char key[KEY_MAX + 1];
	} *due;				/* up to LEARNER_SWEEP_BATCH */
	size_t ndue;
	int more;			/* the slice stopped before the end */
};

/* A learned pin whose expiry has passed. */
static int
learner_is_due(const struct record *r, uint64_t now)
{
	uint64_t when;

	return record_expiry(r, &when) && when <= now;
}

/* The last activity an evidence-only record may have to be dropped. */
static uint64_t
learner_stale_before(uint64_t now, uint64_t max_age)
{
	return now - (max_age < now ? max_age : now);
}

/* An evidence-only record nothing happened to for max_age. */
static int
learner_is_stale(const struct record *r, uint64_t now, uint64_t max_age)
{
	uint64_t t;

	return max_age != 0 && record_idle_since(r, &t) &&
	    t <= learner_stale_before(now, max_age);
}

static int
learner_sweep_one(void *arg, uint64_t when, const char *key, size_t keylen)
{
	struct learner_sweep *w = arg;

	w->due[w->ndue].when = when;
	memcpy(w->due[w->ndue++].key, key, keylen + 1);
	if (w->ndue == LEARNER_SWEEP_BATCH) {
		w->more = 1;
		return 1;
	}
	return 0;
}

/* Whether key's index entry at when is the one its record has now. */
static int
learner_sweep_current(const struct learner_sweep *w, const struct record *r,
    uint64_t when)
{
	uint64_t t;

	if (w->which == STORE_EXPIRY)
		return record_expiry(r, &t) && t == when;
	return record_idle_since(r, &t) && t == when;
}

/* Expire a due pin in the batch, with its event. */
static int
learner_sweep_expire(struct learner *l, struct learner_slot *sl,
    uint64_t now, char *err, size_t errsz)
{
	struct record_event ev;

	if (learn_expire(&sl->r, sl->key, now, &l->p, &ev) ==
	    LEARN_UNCHANGED)
		return 1;
	if (sl->r.updated < ev.time)
		sl->r.updated = ev.time;  /* aged from its expiry */
	sl->dirty = 1;
	l->delta.transitions++;
	if (!store_txn_event(l->t, &ev, err, errsz))
		return 0;
	if (l->efn != NULL)
		l->efn(l->earg, &ev);
	return 1;
}

/* Expire or drop one record of the slice, as it is now, in the batch;
 * an index entry its record no longer has (the record changed while it
 * was corrupt, or is gone) is dropped. */
static int
learner_sweep_key(struct learner *l, struct learner_sweep *w,
    const struct learner_due *d, char *err, size_t errsz)
{
	struct learner_slot *sl;
	int was;

	if ((sl = learner_slot(l, d->key, err, errsz)) == NULL)
		return 0;
	if (sl->corrupt)
		return 1;	/* left for the admin (tlspin unpin) */
	if (!sl->exists || !learner_sweep_current(w, &sl->r, d->when))
		return store_txn_unindex(l->t, w->which, d->when, d->key, err,
		    errsz);
	was = learner_is_evidence(1, &sl->r);
	if (learner_is_due(&sl->r, w->now)) {
		if (!learner_sweep_expire(l, sl, w->now, err, errsz))
			return 0;
	} else if (learner_is_stale(&sl->r, w->now, w->max_age)) {
		/* no event: a flood of them would push the pins' out */
		if (!store_txn_del(l->t, d->key, err, errsz))
			return 0;
		sl->exists = sl->dirty = 0;
		l->delta.aged++;
	}
	l->ev_delta += learner_is_evidence(sl->exists, &sl->r) - was;
	return 1;
}

/*
 * Write one slice's due records in one transaction; the last slice also
 * stores the evidence-only count: the entries of the idle index.
 */
static int
learner_sweep_write(struct learner *l, struct learner_sweep *w, int last,
    char *err, size_t errsz)
{
	size_t i, n;
	int ok;

	if (w->ndue == 0 && !last)
		return 1;
	ok = learner_begin(l, err, errsz);
	for (i = 0; ok && i < w->ndue; i++)
		ok = learner_sweep_key(l, w, &w->due[i], err, errsz);
	ok = ok && learner_writeback(l, err, errsz);
	if (ok && last) {
		ok = store_txn_index_count(l->t, STORE_IDLE, &n, err, errsz);
		l->ev_base = n;
		l->ev_delta = 0;
	}
	if (!ok) {
		learner_abort(l);
		return 0;
	}
	return learner_batch_commit(l, err, errsz);
}

/* Sweep index which up to upto, slice by slice; last: the final one. */
static int
learner_sweep(struct learner *l, struct learner_sweep *w,
    enum store_index which, uint64_t upto, int last, char *err,
    size_t errsz)
{
	int ok;

	memset(&w->pos, 0, sizeof(w->pos));
	w->which = which;
	do {
		w->ndue = 0;
		w->more = 0;
		ok = store_due(l->s, which, upto, &w->pos, learner_sweep_one,
		    w, err, errsz) &&
		    learner_sweep_write(l, w, last && !w->more, err, errsz);
	} while (ok && w->more);
	return ok;
}

/*
 * Learned pins past their expiry become expired, evidence-only records
 * idle for observe_max_age go; commits on its own, batch by batch. The
 * indexes (see store.c) hold what can fall due by time, so only that
 * is read: the sweep costs what expires, not what the store holds.
 */
int
learner_expire(struct learner *l, uint64_t now, char *err, size_t errsz)
{
	struct learner_sweep w;
	int ok;

	if (l->t != NULL) {
		snprintf(err, errsz, "expiry check during a batch");
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.now = now;
	w.max_age = l->p.observe_max_age;
	w.due = malloc(LEARNER_SWEEP_BATCH * sizeof(*w.due));
	if (w.due == NULL) {
		snprintf(err, errsz, "out of memory for the expiry check");
		return 0;
	}
	ok = learner_sweep(l, &w, STORE_EXPIRY, now, w.max_age == 0, err,
	    errsz);
	if (ok && w.max_age != 0)
		ok = learner_sweep(l, &w, STORE_IDLE,
		    learner_stale_before(now, w.max_age), 1, err, errsz);
	free(w.due);
	return ok;
}
