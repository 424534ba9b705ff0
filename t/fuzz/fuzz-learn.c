/*
 * NAME
 *	fuzz-learn - fuzz target for log lines -> observations -> pins
 * SYNOPSIS
 *	fuzz-learn [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The whole learning path without the store: the input is split into
 *	lines, each goes through logparse_line() and correlate_feed(), and
 *	every observation goes to learn_apply() on a small table of
 *	records in memory (new domains once it is full are dropped). The
 *	table starts with a manual secure pin (pinned1.test), a manual
 *	"none" (open5.test) and a DANE entry (down5.test), names the real
 *	logs in t/data/postfix-3.7 use. When the log time moves on,
 *	learn_expire() runs over the table, as tlspind's timer does.
 *	Settings: 2 deliveries over 5 s pin, pins last 10 minutes, secure
 *	pins on, Postfix 3.7, private_mx on (the real logs are on 127.x).
 *
 *	After every step, for every record:
 *
 *	- it survives the store: record_encode() succeeds and
 *	  record_decode() of the bytes gives the same fields;
 *	- a learned record has a reply exactly when it is a pin (encrypt
 *	  or secure), the reply is "encrypt" or "secure match=" and the
 *	  match list, Postfix 3.7 accepts it, and the pin has an expiry
 *	  after its pinning;
 *	- counters agree: tls + plaintext == deliveries, trusted +
 *	  verified <= tls, the run's Verified <= the run <= tls;
 *	- "seen" holds at most 8 hosts, each once;
 *	- manual and DANE entries keep their state, level, source, reply,
 *	  expiry and note; the manual "none" is not touched at all;
 *
 *	and every event has a non-empty printable reason for its domain and
 *	survives the store, at most LEARN_EVENTS_MAX per observation, the
 *	first of two being an expiry. Halfway, the correlator is saved and
 *	loaded into a new one, which goes on (and saves to the same bytes).
 *
 *	The two correlators are made once and emptied for each input by
 *	loading an empty table (correlate_load() clears before it reads),
 *	so every input starts from the same state without mapping 800 KB
 *	twice per input.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "key.h"
#include "learn.h"
#include "logparse.h"
#include "policy.h"
#include "record.h"
#include "reply.h"
#include "check.h"

#define T "fuzz-learn"
#define FUZZ_LEARN_RECORDS 8

struct fuzz_learn_entry {
	char domain[KEY_MAX + 1];
	int exists;
	int fixed;		/* manual or DANE: seed holds what must stay */
	struct record r, seed;
};

static struct fuzz_learn_entry fuzz_learn_table[FUZZ_LEARN_RECORDS];
static size_t fuzz_learn_n;
static const struct learn_params fuzz_learn_params = {
	2, 5, 600, 1, REPLY_COMPAT_DEFAULT, 1, 0, 0, 0, 0, 0, 0
};

/* "seen": at most 8 "host=level" tokens, each host once. */
static void
fuzz_learn_seen(const struct record *r)
{
	const char *p = r->seen, *sp, *eq, *hosts[16];
	size_t lens[16], n = 0, i, len;

	check_that(r->seen_len <= RECORD_SEEN_MAX &&
	    strlen(r->seen) == r->seen_len, T, "seen fits and is terminated");
	while (*p != '\0') {
		sp = strchr(p, ' ');
		len = sp ? (size_t)(sp - p) : strlen(p);
		eq = memchr(p, '=', len);
		check_that(eq != NULL && eq > p && n < 8, T,
		    "seen holds at most 8 host=level tokens");
		for (i = 0; i < n; i++)
			check_that(lens[i] != (size_t)(eq - p) ||
			    memcmp(hosts[i], p, lens[i]) != 0, T,
			    "seen names each host once");
		hosts[n] = p;
		lens[n++] = (size_t)(eq - p);
		p = sp ? sp + 1 : p + len;
	}
}

/* Everything that must hold for one record after any step. */
static void
fuzz_learn_check(const struct fuzz_learn_entry *e)
{
	static unsigned char buf[RECORD_ENCODED_MAX];
	static struct record back;
	const struct record *r = &e->r;
	const char *err = NULL;
	char want[RECORD_MATCH_MAX + 32];
	size_t n;
	int pinned;

	if (!e->exists)
		return;
	n = record_encode(r, buf, sizeof(buf));
	check_that(n > 0, T, "a record encodes");
	check_that(record_decode(buf, n, &back, &err), T,
	    "an encoded record decodes");
	check_that(record_same(r, &back), T,
	    "a record decodes to the same fields");
	check_that(r->tls + r->plaintext == r->deliveries, T,
	    "tls + plaintext == deliveries");
	check_that((uint64_t)r->trusted + r->verified <= r->tls, T,
	    "trusted + verified <= tls");
	check_that(r->streak_verified <= r->streak, T,
	    "the run's Verified deliveries are within the run");
	check_that(r->reply_len == 0 || reply_validate(r->reply, r->reply_len,
	    REPLY_COMPAT_DEFAULT, &err), T, "a reply is valid for Postfix 3.7");
	fuzz_learn_seen(r);
	if (e->fixed) {
		check_that(r->state == e->seed.state &&
		    r->level == e->seed.level && r->source == e->seed.source &&
		    r->expires == e->seed.expires &&
		    r->reply_len == e->seed.reply_len &&
		    strcmp(r->reply, e->seed.reply) == 0 &&
		    strcmp(r->note, e->seed.note) == 0, T,
		    "manual and DANE entries keep state, reply and note");
		if (e->seed.state == STATE_MANUAL &&
		    e->seed.level == LEVEL_NONE)
			check_that(memcmp(r, &e->seed, sizeof(*r)) == 0, T,
			    "a manual none is not touched");
		return;
	}
	check_that(r->source == SOURCE_LEARNED, T, "learned stays learned");
	check_that(r->streak <= r->tls, T, "the run is within the TLS count");
	pinned = r->state == STATE_ENCRYPT || r->state == STATE_SECURE;
	check_that(pinned || r->state == STATE_OBSERVING ||
	    r->state == STATE_EXPIRED, T, "a learned state");
	check_that(pinned == (r->reply_len != 0), T,
	    "a learned record has a reply exactly when it is pinned");
	if (!pinned) {
		check_that(r->level == LEVEL_NONE, T, "no pin, level none");
		return;
	}
	check_that(r->expires != 0 && r->expires > r->pinned_at, T,
	    "a learned pin expires after it was made");
	if (r->state == STATE_ENCRYPT) {
		check_that(r->level == LEVEL_ENCRYPT &&
		    strcmp(r->reply, "encrypt") == 0, T,
		    "an encrypt pin answers \"encrypt\"");
		return;
	}
	snprintf(want, sizeof(want), "secure match=%s", r->match);
	check_that(r->level == LEVEL_SECURE && r->match_len > 0 &&
	    strcmp(r->reply, want) == 0, T,
	    "a secure pin answers \"secure match=\" and its MX names");
}

/* Events of one step: few, readable, storable, for the right domain. */
static void
fuzz_learn_events(const struct record_event *ev, int nev, const char *domain)
{
	static unsigned char buf[EVENT_ENCODED_MAX];
	struct record_event back;
	const char *err = NULL;
	size_t n;
	int i;

	check_that(nev >= 0 && nev <= LEARN_EVENTS_MAX, T,
	    "at most LEARN_EVENTS_MAX events");
	check_that(nev < 2 || ev[0].new_state == STATE_EXPIRED, T,
	    "the first of two events is an expiry");
	for (i = 0; i < nev; i++) {
		check_that(ev[i].reason_len > 0 &&
		    ev[i].reason_len == strlen(ev[i].reason) &&
		    check_printable(ev[i].reason, ev[i].reason_len), T,
		    "an event has a non-empty printable reason");
		check_that(strcmp(ev[i].domain, domain) == 0, T,
		    "an event names its domain");
		n = record_event_encode(&ev[i], buf, sizeof(buf));
		check_that(n > 0 && record_event_decode(buf, n, &back, &err), T,
		    "an event survives the store");
	}
}

static void
fuzz_learn_seed(const char *domain, enum policy_state state,
    enum policy_level level, const char *reply)
{
	struct fuzz_learn_entry *e = &fuzz_learn_table[fuzz_learn_n++];

	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	e->exists = e->fixed = 1;
	e->r.state = (uint8_t)state;
	e->r.level = (uint8_t)level;
	e->r.source = state == STATE_DANE ? SOURCE_PROBE : SOURCE_MANUAL;
	e->r.expires = state == STATE_MANUAL ? 1795000000 : 0;
	e->r.reply_len = (uint16_t)strlen(reply);
	memcpy(e->r.reply, reply, e->r.reply_len);
	e->r.note_len = 4;
	memcpy(e->r.note, "seed", 4);
	e->seed = e->r;
}

/* The table's entry for domain, a new one while there is room. */
static struct fuzz_learn_entry *
fuzz_learn_entry(const char *domain)
{
	size_t i;

	for (i = 0; i < fuzz_learn_n; i++)
		if (strcmp(fuzz_learn_table[i].domain, domain) == 0)
			return &fuzz_learn_table[i];
	if (fuzz_learn_n == FUZZ_LEARN_RECORDS)
		return NULL;
	snprintf(fuzz_learn_table[fuzz_learn_n].domain, KEY_MAX + 1, "%s",
	    domain);
	return &fuzz_learn_table[fuzz_learn_n++];
}

/* Days from 1970-01-01 to a civil date. */
static int64_t
fuzz_learn_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	if (m <= 2)
		y--;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* A line's time: its RFC 3339 stamp, or a classic one in 2026. */
static uint64_t
fuzz_learn_time(const struct logparse_event *ev)
{
	if (ev->time >= 0)
		return (uint64_t)ev->time;
	if (ev->month < 1)
		return 0;
	return (uint64_t)(fuzz_learn_days(2026, ev->month, ev->day) * 86400 +
	    ev->hour * 3600 + ev->min * 60 + ev->sec);
}

/* learn_expire() over the table at now, as tlspind's timer does. */
static void
fuzz_learn_expire(uint64_t now)
{
	struct record_event ev;
	struct fuzz_learn_entry *e;
	uint64_t was;
	size_t i;

	for (i = 0; i < fuzz_learn_n; i++) {
		e = &fuzz_learn_table[i];
		if (!e->exists)
			continue;
		was = e->r.expires;
		if (learn_expire(&e->r, e->domain, now, &fuzz_learn_params,
		    &ev) == LEARN_CHANGED) {
			check_that(!e->fixed && was != 0 && was <= now &&
			    e->r.state == STATE_EXPIRED && ev.time == was, T,
			    "only a learned pin past its expiry expires, "
			    "dated at it");
			fuzz_learn_events(&ev, 1, e->domain);
		}
		fuzz_learn_check(e);
	}
}

static struct correlator *fuzz_learn_c, *fuzz_learn_d;

/* Save c and load it into the other correlator, which replaces it. */
static struct correlator *
fuzz_learn_reload(struct correlator *c)
{
	static unsigned char a[CORRELATE_SAVE_MAX], b[CORRELATE_SAVE_MAX];
	struct correlator *d = c == fuzz_learn_c ? fuzz_learn_d : fuzz_learn_c;
	size_t n, m;

	n = correlate_save(c, a, sizeof(a));
	check_that(n > 0 && correlate_load(d, a, n), T,
	    "the correlator saves and loads");
	m = correlate_save(d, b, sizeof(b));
	check_that(m == n && memcmp(a, b, n) == 0, T,
	    "the loaded correlator saves to the same bytes");
	return d;
}

/* A correlator with an empty table, the same for every input. */
static struct correlator *
fuzz_learn_correlator(void)
{
	static unsigned char empty[64];
	static size_t elen;

	if (fuzz_learn_c == NULL) {
		fuzz_learn_c = correlate_new();
		fuzz_learn_d = correlate_new();
		check_that(fuzz_learn_c != NULL && fuzz_learn_d != NULL, T,
		    "correlate_new gives a table");
		correlate_set_private_mx(fuzz_learn_c,
		    fuzz_learn_params.private_mx);
		correlate_set_private_mx(fuzz_learn_d,
		    fuzz_learn_params.private_mx);
		elen = correlate_save(fuzz_learn_c, empty, sizeof(empty));
	}
	check_that(elen > 0 && correlate_load(fuzz_learn_c, empty, elen), T,
	    "an empty table saves and loads");
	return fuzz_learn_c;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct logparse_event ev;
	static struct correlate_out out;
	struct record_event events[LEARN_EVENTS_MAX];
	struct correlator *c = fuzz_learn_correlator();
	struct fuzz_learn_entry *e;
	const char *line = (const char *)data, *nl;
	size_t left = size, len;
	uint64_t t, last = 0;
	int nev, rc, failure, reloaded = 0;

	memset(fuzz_learn_table, 0, sizeof(fuzz_learn_table));
	fuzz_learn_n = 0;
	fuzz_learn_seed("pinned1.test", STATE_MANUAL, LEVEL_SECURE,
	    "secure match=mx.good.test");
	fuzz_learn_seed("open5.test", STATE_MANUAL, LEVEL_NONE, "none");
	fuzz_learn_seed("down5.test", STATE_DANE, LEVEL_DANE_ONLY, "dane-only");

	while (left > 0) {
		nl = memchr(line, '\n', left);
		len = nl ? (size_t)(nl - line) + 1 : left;
		if (!reloaded && (size_t)(line - (const char *)data) >= size / 2) {
			c = fuzz_learn_reload(c);
			reloaded = 1;
		}
		logparse_line(line, len, &ev);
		line += len;
		left -= len;
		t = fuzz_learn_time(&ev);
		if (t > last) {
			fuzz_learn_expire(t);
			last = t;
		}
		if (!correlate_feed(c, &ev, t, &out))
			continue;
		check_that(key_domain_valid(out.domain, strlen(out.domain)), T,
		    "an observation's domain is a valid key");
		check_that(out.obs.kind >= LEARN_TLS &&
		    out.obs.kind <= LEARN_NOT_OFFERED, T,
		    "an observation has a known kind");
		if ((e = fuzz_learn_entry(out.domain)) == NULL)
			continue;
		nev = -1;
		failure = out.obs.kind == LEARN_TLS_FAIL ||
		    out.obs.kind == LEARN_NOT_OFFERED;
		rc = learn_apply(&e->r, e->exists, e->domain, &out.obs,
		    &fuzz_learn_params, events, &nev);
		check_that(rc == LEARN_CHANGED || (e->fixed &&
		    e->seed.level == LEVEL_NONE) || (!e->exists && failure), T,
		    "only a manual none, or a failure for a domain without a "
		    "record, is left unchanged");
		if (rc == LEARN_CHANGED)
			e->exists = 1;
		if (!e->exists) {
			check_that(failure && nev == 0, T, "a domain without a "
			    "record saw only failures, and no event");
			continue;
		}
		fuzz_learn_events(events, nev, e->domain);
		check_that(!e->fixed || nev == 0, T,
		    "manual and DANE entries make no events");
		fuzz_learn_check(e);
	}
	return 0;
}
