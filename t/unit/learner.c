/*
 * NAME
 *	t/unit/learner - tests for the learner's clock: lines in, pins out
 * DESCRIPTION
 *	The learner on a real LMDB store in a mkdtemp directory, fed Postfix
 *	3.7 lines (the shapes of t/data/postfix-3.7) with its clock set by
 *	learner_set_now(), TZ=UTC.
 *
 *	A classic syslog stamp ("Dec  8 17:00:00", no year) gets the year of
 *	the learner's clock as it is when the line is read: a learner whose
 *	clock moved on 25 hours dates the next day's lines in this year,
 *	not a year back.
 *
 *	Nothing from the log may unpin: a line dated after the clock (RFC
 *	3339 stamped 2099, a journal entry stamped 2099, a classic stamp a
 *	few hours ahead) is taken as now. A deferral, a delivery in clear or
 *	a Verified delivery so dated leaves an encrypt pin encrypt with its
 *	reply and makes no expiry; a TLS delivery so dated renews the pin to
 *	now + pin_max_age, not to 2099. Such lines are counted (stats'
 *	future, learner_future_take, with the newest stamp) beyond
 *	LEARNER_FUTURE_SLACK only. Expiry is the clock's: learner_expire()
 *	at the clock keeps the pin, at its expiry ends it.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "learn.h"
#include "learner.h"
#include "policy.h"
#include "record.h"
#include "reply.h"
#include "store.h"
#include "tap.h"

#define DAY 86400
#define T0 ((int64_t)1796659200)	/* 2026-12-07T16:00:00Z */
#define Y2099 ((int64_t)4070908800)	/* 2099-01-01T00:00:00Z */

static char dir[64];
static char err[STORE_ERR_MAX];
static struct store *S;
static struct learner *L;
static struct learn_params P;
static unsigned pid = 1000;
static unsigned expiries;	/* events that made a pin expired */

/* Count the transitions to expired. */
static void
on_event(void *arg, const struct record_event *e)
{
	if (e->new_state == STATE_EXPIRED)
		expiries++;
}

/* A syslog prefix for t: classic ("Dec  7 16:00:00") or RFC 3339. */
static void
prefix(char *buf, size_t bufsz, int64_t t, int classic)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, bufsz, classic ? "%b %e %H:%M:%S" :
	    "%Y-%m-%dT%H:%M:%S.000000+00:00", &tm);
}

/* One log line into the learner; a store error ends the test. */
static void
feed(const char *line)
{
	if (!learner_line(L, line, strlen(line), err, sizeof(err))) {
		printf("Bail out! learner_line: %s\n", err);
		exit(99);
	}
}

/* A delivery of one message: TLS at level (NULL: in clear). */
static void
deliver(const char *domain, int64_t t, int classic, const char *level)
{
	char p[64], line[1024];

	prefix(p, sizeof(p), t, classic);
	pid++;
	if (level != NULL) {
		snprintf(line, sizeof(line), "%s mx postfix/smtp[%u]: %s TLS "
		    "connection established to mx.%s[192.0.2.10]:25: TLSv1.3 "
		    "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", p, pid,
		    level, domain);
		feed(line);
	}
	snprintf(line, sizeof(line), "%s mx postfix/smtp[%u]: 4A%05X: "
	    "to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, "
	    "delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)", p,
	    pid, pid, domain, domain);
	feed(line);
}

/* A deferral because the server offered no STARTTLS. */
static void
defer(const char *domain, int64_t t, int classic)
{
	char p[64], line[1024];

	prefix(p, sizeof(p), t, classic);
	pid++;
	snprintf(line, sizeof(line), "%s mx postfix/smtp[%u]: 4B%05X: "
	    "to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.04, "
	    "delays=0.02/0/0.01/0, dsn=4.7.4, status=deferred (TLS is "
	    "required, but was not offered by host mx.%s[192.0.2.10])", p, pid,
	    pid, domain, domain, domain);
	feed(line);
}

static void
commit(void)
{
	if (!learner_commit(L, "pos:test", "x", 1, "test", err, sizeof(err))) {
		printf("Bail out! learner_commit: %s\n", err);
		exit(99);
	}
}

/* The stored record of domain; state 0 when there is none. */
static struct record *
get(const char *domain)
{
	static struct record r;

	memset(&r, 0, sizeof(r));
	if (store_get(S, domain, &r, err, sizeof(err)) == STORE_ERROR) {
		printf("Bail out! store_get: %s\n", err);
		exit(99);
	}
	return &r;
}

/* Three TLS deliveries ending at t: an encrypt pin (min_span 0). */
static void
pin(const char *domain, int64_t t, int classic)
{
	deliver(domain, t - 120, classic, "Trusted");
	deliver(domain, t - 60, classic, "Trusted");
	deliver(domain, t, classic, "Trusted");
	commit();
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tlspin-learner.XXXXXX");
	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(dir) == NULL ||
	    !store_open(&S, dir, STORE_CREATE, err, sizeof(err))) {
		printf("Bail out! cannot make a store in %s: %s\n", dir, err);
		exit(99);
	}
	memset(&P, 0, sizeof(P));
	P.min_deliveries = 3;
	P.min_span = 0;
	P.max_age = 60 * DAY;
	P.compat = REPLY_COMPAT_DEFAULT;
	L = learner_new(S, &P, 64);
	if (L == NULL) {
		printf("Bail out! learner_new: out of memory\n");
		exit(99);
	}
	learner_set_event_fn(L, on_event, NULL);
}

static void
teardown(void)
{
	char path[128];

	learner_free(L);
	store_close(S);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

/* Classic stamps are dated by the clock as it is now, not at the start. */
static void
test_classic_year(void)
{
	struct record *r;

	learner_set_now(L, T0);
	pin("early.test", T0 - 300, 1);
	tap_is_int((long long)get("early.test")->pinned_at, T0 - 300,
	    "classic stamps: pinned at the stamp, in the clock's year");
	learner_set_now(L, T0 + 25 * 3600);
	pin("later.test", T0 + 25 * 3600, 1);
	r = get("later.test");
	tap_is_int(r->state, STATE_ENCRYPT, "25 h on: three TLS deliveries pin");
	tap_is_int((long long)r->pinned_at, T0 + 25 * 3600,
	    "25 h on: pinned at the stamp in this year, not a year back");
	tap_is_int((long long)r->expires, T0 + 25 * 3600 + 60 * DAY,
	    "25 h on: expires pin_max_age after it");
	learner_set_now(L, T0 + 3 * DAY);
	deliver("early.test", T0 + 3 * DAY, 1, "Trusted");
	commit();
	r = get("early.test");
	tap_is_int((long long)r->last_good, T0 + 3 * DAY,
	    "3 days on: a TLS delivery moves last_good");
	tap_is_int((long long)r->expires, T0 + 3 * DAY + 60 * DAY,
	    "3 days on: and renews the pin");
}

/* Lines stamped 2099 (file and journal) leave an encrypt pin alone. */
static void
test_future_rfc3339(void)
{
	struct learner_stats st;
	struct record *r;
	uint64_t expires, newest, n;
	const char msg[] = "4C00001: to=<j@far.test>, relay=mx.far.test"
	    "[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, "
	    "status=sent (250 2.0.0 Ok)";

	learner_set_now(L, T0);
	pin("far.test", T0 - 3600, 0);
	expires = get("far.test")->expires;
	(void)learner_future_take(L, &newest);
	learner_stats(L, &st);
	n = st.future;
	expiries = 0;
	defer("far.test", Y2099, 0);
	deliver("far.test", Y2099, 0, NULL);
	deliver("far.test", Y2099, 0, "Verified");
	if (!learner_entry(L, "postfix/smtp", 12, 77, msg, sizeof(msg) - 1,
	    (uint64_t)Y2099 + 5, 1, err, sizeof(err)))
		printf("# learner_entry: %s\n", err);
	commit();
	r = get("far.test");
	tap_is_int(r->state, STATE_ENCRYPT,
	    "a deferral, a clear and a Verified delivery stamped 2099: "
	    "still encrypt");
	tap_is_str(r->reply, "encrypt", "and it still answers encrypt");
	tap_is_int(expiries, 0, "no expiry event");
	tap_ok(r->expires >= expires && r->expires <= (uint64_t)T0 +
	    60 * DAY, "the pin is renewed to now + pin_max_age at most, not "
	    "to 2099 (%llu)", (unsigned long long)r->expires);
	tap_ok(r->last_seen <= (uint64_t)T0 && r->last_failure <= (uint64_t)T0
	    && r->last_plain <= (uint64_t)T0,
	    "the evidence is dated now at the latest");
	learner_stats(L, &st);
	tap_is_int((long long)(st.future - n), 5,
	    "the five lines dated in the future are counted");
	tap_ok(st.last_time <= (uint64_t)T0, "the newest line time is the "
	    "clock at most");
	tap_is_int((long long)learner_future_take(L, &newest), 5,
	    "learner_future_take reports them");
	tap_is_int((long long)newest, Y2099 + 5, "with the newest stamp");
	tap_is_int((long long)learner_future_take(L, &newest), 0,
	    "once");
}

/* A classic stamp a few hours ahead cannot expire a pin due later. */
static void
test_future_classic(void)
{
	struct record *r;

	/* pinned 60 days less an hour ago: due in an hour by the clock */
	learner_set_now(L, T0 - 60 * DAY + 3600);
	pin("soon.test", T0 - 60 * DAY + 3600, 0);
	learner_set_now(L, T0);
	expiries = 0;
	defer("soon.test", T0 + 2 * 3600, 1);
	deliver("soon.test", T0 + 3 * 3600, 1, NULL);
	commit();
	r = get("soon.test");
	tap_is_int(r->state, STATE_ENCRYPT,
	    "classic stamps 2 and 3 hours ahead: the pin due in 1 h holds");
	tap_is_int(expiries, 0, "no expiry event");
	deliver("soon.test", T0 + 60, 1, "Trusted");
	commit();
	tap_is_int((long long)get("soon.test")->last_good, T0,
	    "a TLS delivery a minute ahead is taken as now");
}

/* A pin expires when the clock says so, in learner_expire. */
static void
test_expire_clock(void)
{
	uint64_t expires = get("soon.test")->expires;

	if (!learner_expire(L, expires - 1, err, sizeof(err)))
		printf("# learner_expire: %s\n", err);
	tap_is_int(get("soon.test")->state, STATE_ENCRYPT,
	    "learner_expire before the expiry keeps the pin");
	if (!learner_expire(L, expires, err, sizeof(err)))
		printf("# learner_expire: %s\n", err);
	tap_is_int(get("soon.test")->state, STATE_EXPIRED,
	    "learner_expire at the expiry ends it");
	tap_is_int(get("far.test")->state, STATE_EXPIRED,
	    "so does the pin renewed by lines stamped 2099: they were now");
}

int
main(void)
{
	setup();
	test_future_rfc3339();
	test_future_classic();
	test_expire_clock();
	test_classic_year();
	teardown();
	return tap_done();
}
