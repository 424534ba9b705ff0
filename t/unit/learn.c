/*
 * NAME
 *	t/unit/learn - tests for the per-domain policy state machine
 * DESCRIPTION
 *	Every rule of learn.c's header, one at a time, on a record in
 *	memory: when observing becomes an encrypt or a secure pin (and
 *	when, one delivery or one second short, it does not), what ends a
 *	run, expiry and its renewal, what failures and deliveries in clear
 *	do to a pin, manual and DANE entries, the "seen" evidence, the
 *	limits on the match list, odd times and odd text.
 *
 *	After every step the record must encode and decode to the same
 *	fields, its reply must be one Postfix 3.7 accepts (or none, when it
 *	is observing or expired), and every event must carry a non-empty,
 *	printable reason: these are counted and reported per test.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "learn.h"
#include "logparse.h"
#include "policy.h"
#include "record.h"
#include "reply.h"
#include "tap.h"

#define T0 ((uint64_t)1780000000)	/* 2026-05-28T20:26:40Z */
#define DAY ((uint64_t)86400)
#define DOMAIN "example.com"

static struct learn_params P;
static struct record R;
static int exists_;
static struct record_event EV[LEARN_EVENTS_MAX];
static int NEV;
static int bad_events, bad_records;	/* broken invariants since reset */

static void
params_default(void)
{
	memset(&P, 0, sizeof(P));
	P.min_deliveries = 3;
	P.min_span = DAY;
	P.max_age = 60 * DAY;
	P.secure_pins = 1;
	P.compat = REPLY_COMPAT_DEFAULT;
}

/* A domain never seen: the record holds garbage learn_apply must clear. */
static void
fresh(void)
{
	memset(&R, 0xa5, sizeof(R));
	exists_ = 0;
	bad_events = bad_records = 0;
	params_default();
}

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Every event of the last step: for DOMAIN, a readable reason, stored. */
static void
check_events(void)
{
	unsigned char buf[EVENT_ENCODED_MAX];
	struct record_event back;
	const char *err = NULL;
	size_t n;
	int i;

	if (NEV < 0 || NEV > LEARN_EVENTS_MAX) {
		printf("# nev is %d\n", NEV);
		bad_events++;
		return;
	}
	for (i = 0; i < NEV; i++) {
		n = record_event_encode(&EV[i], buf, sizeof(buf));
		if (EV[i].reason_len == 0 || EV[i].reason_len !=
		    strlen(EV[i].reason) ||
		    !printable(EV[i].reason, EV[i].reason_len) ||
		    strcmp(EV[i].domain, DOMAIN) != 0 || n == 0 ||
		    !record_event_decode(buf, n, &back, &err)) {
			printf("# bad event %d: \"%s\" (%s)\n", i, EV[i].reason,
			    err ? err : "encodes");
			bad_events++;
		}
	}
}


/* The record survives the store, and its reply is one Postfix takes. */
static void
check_record(void)
{
	static unsigned char buf[RECORD_ENCODED_MAX];
	static struct record back;
	const char *err = NULL;
	size_t n = record_encode(&R, buf, sizeof(buf));
	int noreply = R.state == STATE_OBSERVING || R.state == STATE_EXPIRED ||
	    (R.state == STATE_DANE && R.level == LEVEL_NONE);

	if (n == 0 || !record_decode(buf, n, &back, &err) ||
	    !record_same(&R, &back)) {
		printf("# record does not survive the store (%s)\n",
		    err ? err : n ? "fields differ" : "does not encode");
		bad_records++;
	}
	if (R.source == SOURCE_LEARNED && noreply != (R.reply_len == 0)) {
		printf("# state %d with reply \"%s\"\n", R.state, R.reply);
		bad_records++;
	}
	if (R.reply_len > 0 && (strlen(R.reply) != R.reply_len ||
	    !reply_validate(R.reply, R.reply_len, REPLY_COMPAT_DEFAULT,
	    &err))) {
		printf("# reply \"%s\" is not valid for 3.7\n", R.reply);
		bad_records++;
	}
	if (R.tls + R.plaintext != R.deliveries ||
	    R.streak_verified > R.streak) {
		printf("# counters disagree\n");
		bad_records++;
	}
}

static int
apply(enum learn_kind kind, uint64_t t, int level, const char *host,
    const char *reason)
{
	struct learn_obs o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.time = t;
	o.level = level;
	snprintf(o.host, sizeof(o.host), "%s", host);
	snprintf(o.reason, sizeof(o.reason), "%s", reason);
	NEV = -1;
	rc = learn_apply(&R, exists_, DOMAIN, &o, &P, EV, &NEV);
	check_events();
	if (!exists_ && rc == LEARN_UNCHANGED)
		return rc;	/* nothing was made: R is still garbage */
	exists_ = 1;
	check_record();
	return rc;
}

static int
tls(uint64_t t, int level, const char *host)
{
	return apply(LEARN_TLS, t, level, host, "");
}

static int
plain(uint64_t t, const char *host)
{
	return apply(LEARN_PLAIN, t, TLSLEVEL_NONE, host, "");
}

static int
not_offered(uint64_t t)
{
	return apply(LEARN_NOT_OFFERED, t, TLSLEVEL_NONE, "mx.example.com",
	    "TLS is required, but was not offered by host "
	    "mx.example.com[192.0.2.25]");
}

static int
cert_fail(uint64_t t)
{
	return apply(LEARN_TLS_FAIL, t, TLSLEVEL_UNTRUSTED, "mx.example.com",
	    "Server certificate not verified (untrusted issuer /CN=rogue)");
}

/* Report the invariants checked at every step of one test. */
static void
invariants(const char *name)
{
	tap_ok(bad_records == 0, "%s: every step leaves a storable record "
	    "with a valid reply", name);
	tap_ok(bad_events == 0, "%s: every event has a printable reason",
	    name);
}

/* Observing -> encrypt with three Trusted deliveries over a day at t. */
static void
pin_encrypt(uint64_t t)
{
	tls(t, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(t + DAY / 2, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(t + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
}

/* A UTC instant as learn.c writes it in reasons. */
static void
when(char *buf, size_t sz, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
test_pin_encrypt(void)
{
	fresh();
	tap_is_int(tls(T0, TLSLEVEL_TRUSTED, "mx.example.com"), LEARN_CHANGED,
	    "first delivery: the record must be written");
	tap_is_int(R.state, STATE_OBSERVING, "a new domain is observing");
	tap_is_int(R.source, SOURCE_LEARNED, "a new domain is learned");
	tap_is_int(R.first_seen, T0, "first_seen is the first delivery");
	tap_is_int(R.reply_len, 0, "an observing domain has no reply");
	tap_is_int(R.note_len + R.match_len + R.failure_len + R.plaintext, 0,
	    "a new record starts from zero, whatever the buffer held");
	tap_is_int(NEV, 0, "observing: no event");
	tls(T0 + DAY / 2, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING, "two deliveries: still observing");
	tls(T0 + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "three TLS deliveries over exactly min_span: encrypt");
	tap_is_int(R.level, LEVEL_ENCRYPT, "level encrypt");
	tap_is_str(R.reply, "encrypt", "reply is \"encrypt\"");
	tap_is_int(R.reply_len, 7, "reply_len");
	tap_is_int(R.pinned_at, T0 + DAY, "pinned_at is the third delivery");
	tap_is_int(R.expires, T0 + DAY + 60 * DAY,
	    "expires max_age after the pinning delivery");
	tap_is_int(R.match_len, 0, "an encrypt pin has no match list");
	tap_is_int(NEV, 1, "the pin is one event");
	tap_ok(NEV == 1 && EV[0].old_state == STATE_OBSERVING &&
	    EV[0].new_state == STATE_ENCRYPT && EV[0].time == T0 + DAY,
	    "event: observing -> encrypt at the delivery's time");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "3 TLS deliveries over 1d 0h")
	    != NULL && strstr(EV[0].reason, "\"encrypt\"") != NULL,
	    "the reason says how many deliveries, over how long, and the "
	    "reply (%s)", EV[0].reason);
	tap_ok(R.deliveries == 3 && R.tls == 3 && R.trusted == 3 &&
	    R.verified == 0 && R.plaintext == 0 && R.last_good == T0 + DAY,
	    "counters: 3 deliveries, 3 TLS, 3 trusted");
	tls(T0 + DAY + 10, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_ok(R.state == STATE_ENCRYPT && NEV == 0,
	    "a fourth delivery: still encrypt, no second pin event");
	invariants("encrypt pin");
}

static void
test_not_before(void)
{
	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + 30 * DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "one delivery short of min_deliveries, over 30 days: observing");

	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + 1, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY - 1, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "three deliveries spanning min_span - 1 s: observing");
	tap_is_int(NEV, 0, "no event");
	tls(T0 + DAY - 1, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "a fourth in the same second: still one second short");
	tls(T0 + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT, "the next second: encrypt");

	fresh();
	P.min_deliveries = 1;
	P.min_span = 0;
	tls(T0, TLSLEVEL_ANONYMOUS, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "min_deliveries 1, min_span 0: the first TLS delivery pins, "
	    "even Anonymous");
	tap_ok(NEV == 1 && EV[0].old_state == STATE_OBSERVING,
	    "a domain pinned on its first delivery: one event from observing");

	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	cert_fail(T0 + 1);
	not_offered(T0 + DAY);
	cert_fail(T0 + 2 * DAY);
	tap_ok(R.state == STATE_OBSERVING && R.streak == 0 && NEV == 0,
	    "failures are no TLS deliveries: no run, no pin, no event");
	invariants("not before");
}

static void
test_plain_resets(void)
{
	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + 100, TLSLEVEL_TRUSTED, "mx.example.com");
	plain(T0 + 200, "mx2.example.com");
	tap_ok(R.streak == 0 && R.streak_first == 0 &&
	    R.streak_hosts_len == 0, "a delivery in clear ends the run");
	tap_ok(R.plaintext == 1 && R.deliveries == 3 &&
	    R.last_plain == T0 + 200, "and is counted as plaintext");
	tap_is_int(NEV, 0, "observing: a delivery in clear is no event");
	tls(T0 + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY + 1, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "two TLS deliveries after it, 4 TLS in all over a day: observing");
	tls(T0 + 2 * DAY + 200, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "the run after the delivery in clear qualifies: encrypt");
	tap_is_int(R.streak, 3, "the run counts only what came after");
	invariants("plaintext resets");
}

static void
test_not_offered(void)
{
	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + 100, TLSLEVEL_TRUSTED, "mx.example.com");
	not_offered(T0 + 200);
	tap_ok(R.streak == 0 && R.streak_first == 0,
	    "observing: \"not offered\" ends the run");
	tap_ok(R.failures == 1 && R.last_failure == T0 + 200 &&
	    strstr(R.failure, "not offered") != NULL,
	    "it is counted as a failure with its reason");
	tap_ok(R.deliveries == 2 && R.plaintext == 0,
	    "a failure is no delivery");
	tap_is_int(NEV, 0, "observing: a failure is no event");
	tls(T0 + DAY + 100, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "one TLS delivery after it: observing");

	fresh();
	tap_is_int(not_offered(T0), LEARN_UNCHANGED,
	    "a failure for a domain without a record: nothing to write");
	tap_is_int(cert_fail(T0 + 1), LEARN_UNCHANGED,
	    "a certificate failure neither");
	tap_ok(NEV == 0, "and no event");

	fresh();
	pin_encrypt(T0);
	not_offered(T0 + DAY + 10);
	tap_is_int(R.state, STATE_ENCRYPT, "pinned: \"not offered\" keeps the pin");
	tap_ok(R.streak == 3 && R.streak_first == T0,
	    "pinned: \"not offered\" does not end the run");
	tap_ok(NEV == 1 && EV[0].old_state == STATE_ENCRYPT &&
	    EV[0].new_state == STATE_ENCRYPT &&
	    strstr(EV[0].reason, "not offered") != NULL,
	    "pinned: the first failure is an event that quotes Postfix (%s)",
	    NEV ? EV[0].reason : "");
	tap_is_str(R.reply, "encrypt", "the reply stays");
	invariants("not offered");
}

static void
test_secure(void)
{
	fresh();
	tls(T0, TLSLEVEL_VERIFIED, "mx2.example.com");
	tls(T0 + DAY / 2, TLSLEVEL_VERIFIED, "mx1.example.com");
	tls(T0 + DAY, TLSLEVEL_VERIFIED, "mx2.example.com");
	tap_is_int(R.state, STATE_SECURE,
	    "every delivery of the run Verified, secure_pins: secure");
	tap_is_int(R.level, LEVEL_SECURE, "level secure");
	tap_is_str(R.match, "mx1.example.com:mx2.example.com",
	    "match: the run's MX names, sorted, colon-separated, once each");
	tap_is_str(R.reply, "secure match=mx1.example.com:mx2.example.com",
	    "reply: secure match=...");
	tap_ok(NEV == 1 && EV[0].new_state == STATE_SECURE &&
	    strstr(EV[0].reason, "Verified") != NULL,
	    "one event, observing -> secure, saying Verified");
	tap_is_int(R.verified, 3, "verified counted");

	fresh();
	tls(T0, TLSLEVEL_VERIFIED, "mx.example.com");
	tls(T0 + DAY / 2, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "one delivery only Trusted: encrypt, not secure");

	fresh();
	tls(T0, TLSLEVEL_VERIFIED, "mx.example.com");
	tls(T0 + DAY / 2, TLSLEVEL_VERIFIED, "mx.example.com");
	tls(T0 + DAY, TLSLEVEL_UNTRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT, "one delivery Untrusted: encrypt");

	fresh();
	P.secure_pins = 0;
	tls(T0, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_DANE, "secure_pins = no: a domain Postfix "
	    "Verified itself is left to Postfix (dane)");
	tap_is_int(R.reply_len, 0, "secure_pins = no: no reply (NOTFOUND)");
	tls(T0 + DAY / 2, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_DANE, "and stays there, counting evidence");
	tap_is_int((long long)R.tls, 3, "its deliveries are still counted");

	fresh();
	P.secure_pins = 0;
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY / 2, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0 + DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT, "secure_pins = no: Trusted: encrypt");
	tls(T0 + DAY + 1, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT, "a pin stays a pin when a "
	    "Verified delivery follows");

	fresh();
	tls(T0, TLSLEVEL_VERIFIED, "");
	tls(T0 + DAY / 2, TLSLEVEL_VERIFIED, "");
	tls(T0 + DAY, TLSLEVEL_VERIFIED, "");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "Verified but no MX name known: encrypt (nothing to match)");
	invariants("secure");
}

/*
 * encrypt -> secure. A pin does not start a new run, so the run that
 * made the encrypt pin (with its Trusted deliveries) goes on, and later
 * Verified deliveries never make it all-Verified. Only what ends a run
 * on a pinned domain (a delivery in clear: the pin was not enforced)
 * lets a later run upgrade. This pins down what the code does today.
 */
static void
test_upgrade(void)
{
	uint64_t t;

	fresh();
	pin_encrypt(T0);
	for (t = T0 + 2 * DAY; t <= T0 + 10 * DAY; t += DAY / 2)
		tls(t, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT,
	    "encrypt, then 17 Verified over 8 days without a reset: "
	    "still encrypt (the run began with Trusted)");

	plain(T0 + 11 * DAY, "mx.example.com");
	tap_ok(R.state == STATE_ENCRYPT && R.streak == 0,
	    "a delivery in clear on the pin: still encrypt, run ended");
	tls(T0 + 12 * DAY, TLSLEVEL_VERIFIED, "mx.example.com");
	tls(T0 + 12 * DAY + 1, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_ENCRYPT, "two Verified: still encrypt");
	tls(T0 + 13 * DAY, TLSLEVEL_VERIFIED, "mx.example.com");
	tap_is_int(R.state, STATE_SECURE,
	    "a later all-Verified run over min_span: upgraded to secure");
	tap_is_str(R.reply, "secure match=mx.example.com", "upgraded reply");
	tap_ok(NEV == 1 && EV[0].old_state == STATE_ENCRYPT &&
	    EV[0].new_state == STATE_SECURE &&
	    strncmp(EV[0].reason, "upgraded", 8) == 0,
	    "one event encrypt -> secure, \"upgraded\"");
	tap_ok(R.pinned_at == T0 + 13 * DAY &&
	    R.expires == T0 + 13 * DAY + 60 * DAY,
	    "the upgrade dates the pin and its expiry");
	plain(T0 + 14 * DAY, "mx.example.com");
	pin_encrypt(T0 + 15 * DAY);
	tap_is_int(R.state, STATE_SECURE,
	    "secure is never downgraded to encrypt by a later run");

	/* the upgrade's reply does not fit: the encrypt pin stays whole */
	fresh();
	pin_encrypt(T0);
	plain(T0 + 2 * DAY, "mx.example.com");
	tls(T0 + 3 * DAY, TLSLEVEL_VERIFIED, "mx,evil.example.com");
	tls(T0 + 3 * DAY + 1, TLSLEVEL_VERIFIED, "mx,evil.example.com");
	tls(T0 + 4 * DAY, TLSLEVEL_VERIFIED, "mx,evil.example.com");
	tap_ok(R.state == STATE_ENCRYPT && R.level == LEVEL_ENCRYPT,
	    "an upgrade to a match list Postfix would refuse: stays encrypt");
	tap_is_mem(R.reply, R.reply_len, "encrypt", 7,
	    "and its reply is still exactly \"encrypt\"");
	invariants("upgrade");
}

static void
test_renew(void)
{
	fresh();
	pin_encrypt(T0);
	tls(T0 + 5 * DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.expires, T0 + 65 * DAY,
	    "a good delivery renews the expiry to max_age after it");
	tls(T0 + 2 * DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.expires, T0 + 65 * DAY,
	    "an older delivery read late does not shorten it");
	plain(T0 + 6 * DAY, "mx.example.com");
	tap_is_int(R.expires, T0 + 65 * DAY, "a delivery in clear does not renew");
	not_offered(T0 + 7 * DAY);
	cert_fail(T0 + 8 * DAY);
	tap_is_int(R.expires, T0 + 65 * DAY, "failures do not renew");
	tls(T0 + 64 * DAY, TLSLEVEL_ANONYMOUS, "mx.example.com");
	tap_ok(R.state == STATE_ENCRYPT && R.expires == T0 + 124 * DAY,
	    "an encrypted (Anonymous) delivery just before expiry renews");

	fresh();
	P.max_age = 0;
	pin_encrypt(T0);
	tap_ok(R.state == STATE_ENCRYPT && R.expires == 0,
	    "max_age 0: a pin that never expires");
	invariants("renew");
}

static void
test_expire(void)
{
	struct record_event ev;
	struct record before;
	uint64_t exp;

	fresh();
	pin_encrypt(T0);
	exp = R.expires;
	before = R;
	memset(&ev, 0, sizeof(ev));
	tap_is_int(learn_expire(&R, DOMAIN, exp - 1, &P, &ev), LEARN_UNCHANGED,
	    "learn_expire one second before expiry: unchanged");
	tap_ok(record_same(&R, &before), "and the record is untouched");
	tap_is_int(learn_expire(&R, DOMAIN, exp, &P, &ev), LEARN_CHANGED,
	    "learn_expire at the expiry: changed");
	tap_is_int(R.state, STATE_EXPIRED, "state expired");
	tap_ok(R.reply_len == 0 && R.reply[0] == '\0' &&
	    R.level == LEVEL_NONE && R.expires == 0,
	    "no reply, level none, no expiry");
	tap_ok(R.streak == 0 && R.streak_first == 0,
	    "an expired pin starts a new run");
	tap_ok(ev.time == exp && ev.old_state == STATE_ENCRYPT &&
	    ev.new_state == STATE_EXPIRED && strcmp(ev.domain, DOMAIN) == 0,
	    "event encrypt -> expired, dated at the expiry");
	tap_ok(ev.reason_len > 0 && printable(ev.reason, ev.reason_len) &&
	    strstr(ev.reason, "expired") != NULL,
	    "with a reason (%s)", ev.reason);
	check_record();
	tap_is_int(learn_expire(&R, DOMAIN, exp + 10 * DAY, &P, &ev),
	    LEARN_UNCHANGED, "learn_expire on an expired domain: unchanged");

	fresh();
	pin_encrypt(T0);
	exp = R.expires;
	tap_is_int(learn_expire(&R, DOMAIN, exp + 365 * DAY, &P, &ev),
	    LEARN_CHANGED, "learn_expire long after the expiry: expired");
	tap_is_int(ev.time, exp, "still dated at the expiry, not at now");

	fresh();
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(learn_expire(&R, DOMAIN, T0 + 999 * DAY, &P, &ev),
	    LEARN_UNCHANGED, "learn_expire on an observing domain: unchanged");

	fresh();
	P.max_age = 0;
	pin_encrypt(T0);
	tap_is_int(learn_expire(&R, DOMAIN, UINT64_MAX, &P, &ev),
	    LEARN_UNCHANGED, "a pin with no expiry never expires");
	invariants("expire");
}

static void
test_expired_then_observation(void)
{
	char want[64];
	uint64_t exp, good;

	fresh();
	pin_encrypt(T0);
	good = R.last_good;
	exp = R.expires;
	tls(exp + 5, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(NEV, 1, "a delivery after the expiry, not yet noticed: "
	    "one event");
	tap_ok(EV[0].old_state == STATE_ENCRYPT &&
	    EV[0].new_state == STATE_EXPIRED && EV[0].time == exp,
	    "the expiry, dated when it happened");
	when(want, sizeof(want), good);
	tap_ok(strstr(EV[0].reason, want) != NULL,
	    "the reason names the last good delivery before it, %s (%s)",
	    want, EV[0].reason);
	tap_ok(R.state == STATE_EXPIRED && R.streak == 1 &&
	    R.streak_first == exp + 5 && R.reply_len == 0,
	    "expired, and the delivery starts a new run");

	fresh();
	P.min_deliveries = 1;
	P.min_span = 0;
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	exp = R.expires;
	tap_is_int(R.state, STATE_ENCRYPT, "pinned on the first delivery");
	tls(exp, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(NEV, 2, "a delivery at the expiry that re-pins: 2 events");
	tap_ok(NEV == 2 && EV[0].old_state == STATE_ENCRYPT &&
	    EV[0].new_state == STATE_EXPIRED && EV[0].time == exp &&
	    EV[1].old_state == STATE_EXPIRED &&
	    EV[1].new_state == STATE_ENCRYPT && EV[1].time == exp,
	    "ev[0] encrypt -> expired, ev[1] expired -> encrypt");
	tap_ok(R.state == STATE_ENCRYPT && R.expires == exp + P.max_age,
	    "pinned again with a new expiry");
	tls(exp + P.max_age - 1, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(NEV, 0, "a delivery one second before the expiry: no event");

	fresh();
	pin_encrypt(T0);
	exp = R.expires;
	plain(exp + 1, "mx.example.com");
	tap_ok(NEV == 1 && EV[0].new_state == STATE_EXPIRED &&
	    R.state == STATE_EXPIRED,
	    "a delivery in clear after the expiry: only the expiry, no "
	    "\"although pinned\" event");
	fresh();
	pin_encrypt(T0);
	exp = R.expires;
	not_offered(exp + 1);
	tap_ok(NEV == 1 && EV[0].new_state == STATE_EXPIRED &&
	    R.state == STATE_EXPIRED,
	    "a failure after the expiry: only the expiry");
	invariants("expired then observation");
}

static void
test_failures_on_pin(void)
{
	int i;

	fresh();
	pin_encrypt(T0);
	tap_is_int(R.failures, 0, "failures since the pin start at 0");
	cert_fail(T0 + DAY + 1);
	tap_ok(R.state == STATE_ENCRYPT && NEV == 1 &&
	    EV[0].old_state == STATE_ENCRYPT && EV[0].new_state == STATE_ENCRYPT,
	    "first failure on a pin: an event, no transition");
	tap_ok(strstr(EV[0].reason, "untrusted issuer") != NULL &&
	    strstr(EV[0].reason, "mx.example.com") != NULL,
	    "the event quotes the reason and the host (%s)", EV[0].reason);
	for (i = 2; i <= 50; i++) {
		if (i % 2)
			not_offered(T0 + DAY + (uint64_t)i);
		else
			cert_fail(T0 + DAY + (uint64_t)i);
		if (NEV != 0)
			break;
	}
	tap_is_int(i, 51, "49 more failures without a good delivery: no event");
	tap_ok(R.state == STATE_ENCRYPT && R.failures == 50 &&
	    strcmp(R.reply, "encrypt") == 0,
	    "50 failures: still pinned, counted");
	tap_ok(strstr(R.failure, "not offered") == NULL &&
	    strstr(R.failure, "untrusted issuer") != NULL,
	    "failure holds the last reason");
	tls(T0 + DAY + 100, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(NEV, 0, "a good delivery in between: no event");
	not_offered(T0 + DAY + 200);
	tap_is_int(NEV, 1, "the first failure after a good delivery: an event");
	tap_ok(R.state == STATE_ENCRYPT && R.streak == 4,
	    "a pin's run survives failures");
	not_offered(T0 + DAY + 300);
	tap_is_int(NEV, 0, "the next one: none");
	invariants("failures on a pin");
}

static void
test_plain_on_pin(void)
{
	fresh();
	pin_encrypt(T0);
	plain(T0 + DAY + 10, "mx.example.com");
	tap_ok(R.state == STATE_ENCRYPT && strcmp(R.reply, "encrypt") == 0,
	    "a delivery in clear on a pin does not unpin");
	tap_ok(NEV == 1 && EV[0].old_state == STATE_ENCRYPT &&
	    EV[0].new_state == STATE_ENCRYPT &&
	    strstr(EV[0].reason, "in clear") != NULL &&
	    strstr(EV[0].reason, "mx.example.com") != NULL,
	    "it is an event naming the host (%s)", NEV ? EV[0].reason : "");
	tap_ok(R.plaintext == 1 && R.streak == 0, "counted, run ended");
	plain(T0 + DAY + 20, "");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "the server") != NULL,
	    "every delivery in clear on a pin is an event, host or not");
	invariants("plaintext on a pin");
}

static void
manual(enum policy_level level, const char *reply)
{
	memset(&R, 0, sizeof(R));
	R.state = STATE_MANUAL;
	R.source = SOURCE_MANUAL;
	R.level = (uint8_t)level;
	R.expires = T0 + 1000;
	R.reply_len = (uint16_t)strlen(reply);
	memcpy(R.reply, reply, R.reply_len);
	R.note_len = 5;
	memcpy(R.note, "admin", 5);
	exists_ = 1;
}

static void
test_manual(void)
{
	struct record before;
	int i, changed = 0, events = 0;

	fresh();
	manual(LEVEL_SECURE, "secure match=mx.example.com");
	for (i = 0; i < 10; i++) {
		changed += tls(T0 + (uint64_t)i * DAY, TLSLEVEL_VERIFIED,
		    "mx.example.com") == LEARN_CHANGED;
		events += NEV;
	}
	plain(T0 + 20 * DAY, "mx.example.com");
	events += NEV;
	not_offered(T0 + 21 * DAY);
	events += NEV;
	tap_is_int(changed, 10, "manual: every delivery is written (evidence)");
	tap_ok(R.deliveries == 11 && R.tls == 10 && R.verified == 10 &&
	    R.plaintext == 1 && R.failures == 1 && R.last_good == T0 + 9 * DAY,
	    "manual: evidence counted");
	tap_ok(R.state == STATE_MANUAL && R.source == SOURCE_MANUAL &&
	    R.level == LEVEL_SECURE && R.expires == T0 + 1000 &&
	    strcmp(R.reply, "secure match=mx.example.com") == 0 &&
	    strcmp(R.note, "admin") == 0,
	    "manual: state, source, level, reply, expiry and note kept, even "
	    "past its expiry");
	tap_is_int(events, 0, "manual: no events");
	tap_ok(strncmp(R.seen, "mx.example.com=plain", 20) == 0,
	    "manual: seen evidence kept");

	fresh();
	manual(LEVEL_NONE, "none");
	before = R;
	tap_is_int(tls(T0, TLSLEVEL_VERIFIED, "mx.example.com"),
	    LEARN_UNCHANGED, "manual none: LEARN_UNCHANGED");
	tap_is_int(plain(T0 + 1, "mx.example.com"), LEARN_UNCHANGED,
	    "manual none: in clear, unchanged");
	tap_is_int(not_offered(T0 + 2), LEARN_UNCHANGED,
	    "manual none: failure, unchanged");
	tap_ok(memcmp(&R, &before, sizeof(R)) == 0 && NEV == 0,
	    "manual none: not one byte touched, no event");

	fresh();
	memset(&R, 0, sizeof(R));
	R.state = STATE_DANE;
	R.source = SOURCE_PROBE;
	R.level = LEVEL_DANE_ONLY;
	R.reply_len = 9;
	memcpy(R.reply, "dane-only", 9);
	exists_ = 1;
	for (i = 0; i < 5; i++)
		tls(T0 + (uint64_t)i * DAY, TLSLEVEL_VERIFIED, "mx.example.com");
	plain(T0 + 6 * DAY, "mx.example.com");
	tap_ok(R.state == STATE_DANE && R.level == LEVEL_DANE_ONLY &&
	    strcmp(R.reply, "dane-only") == 0 && R.deliveries == 6 &&
	    NEV == 0, "DANE: evidence only, state and reply untouched");
	invariants("manual and DANE");
}

/* Count the "host=level" tokens of seen and check each host once. */
static int
seen_tokens(const char *seen, int *dups)
{
	char copy[RECORD_SEEN_MAX + 1], *p, *save = NULL, *eq;
	char hosts[16][300];
	int n = 0, i;

	*dups = 0;
	snprintf(copy, sizeof(copy), "%s", seen);
	for (p = strtok_r(copy, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		eq = strchr(p, '=');
		if (eq == NULL)
			return -1;
		*eq = '\0';
		for (i = 0; i < n && i < 16; i++)
			if (strcmp(hosts[i], p) == 0)
				(*dups)++;
		if (n < 16)
			snprintf(hosts[n], sizeof(hosts[n]), "%s", p);
		n++;
	}
	return n;
}

/* A host name of len bytes: labels of 60 letters, ending ".example". */
static void
long_host(char *buf, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i + 1) % 61 == 0 ? '.' : c;
	if (len > 8)
		memcpy(buf + len - 8, ".example", 8);
	buf[len] = '\0';
}

static void
test_seen(void)
{
	char host[300];
	int i, dups, n, ok = 1;

	fresh();
	for (i = 0; i < 10; i++) {
		snprintf(host, sizeof(host), "mx%d.example.com", i);
		tls(T0 + (uint64_t)i, i % 2 ? TLSLEVEL_VERIFIED :
		    TLSLEVEL_TRUSTED, host);
	}
	tap_is_str(R.seen, "mx9.example.com=verified mx8.example.com=trusted "
	    "mx7.example.com=verified mx6.example.com=trusted "
	    "mx5.example.com=verified mx4.example.com=trusted "
	    "mx3.example.com=verified mx2.example.com=trusted",
	    "seen: 8 hosts, most recent first, with their level");
	tls(T0 + 20, TLSLEVEL_ANONYMOUS, "mx5.example.com");
	tap_is_str(R.seen, "mx5.example.com=anonymous mx9.example.com=verified "
	    "mx8.example.com=trusted mx7.example.com=verified "
	    "mx6.example.com=trusted mx4.example.com=trusted "
	    "mx3.example.com=verified mx2.example.com=trusted",
	    "seen: a host seen again moves to the front, once");
	plain(T0 + 21, "mx2.example.com");
	tap_ok(strncmp(R.seen, "mx2.example.com=plain mx5.example.com="
	    "anonymous", 40) == 0 && seen_tokens(R.seen, &dups) == 8 &&
	    dups == 0, "seen: a delivery in clear is \"plain\" (%s)", R.seen);
	tls(T0 + 22, TLSLEVEL_UNTRUSTED, "mx2.example.com");
	tap_ok(strncmp(R.seen, "mx2.example.com=untrusted mx5", 29) == 0,
	    "seen: untrusted");
	not_offered(T0 + 23);
	tap_ok(strncmp(R.seen, "mx2.example.com=untrusted mx5", 29) == 0,
	    "seen: failures are not in it");
	tls(T0 + 24, TLSLEVEL_TRUSTED, "");
	tap_ok(strncmp(R.seen, "mx2.example.com=untrusted mx5", 29) == 0,
	    "seen: a delivery without a host name adds nothing");

	fresh();
	for (i = 0; i < 40 && ok; i++) {
		long_host(host, (size_t)(200 + (i * 7) % 56), (char)('a' + i % 26));
		tls(T0 + (uint64_t)i, TLSLEVEL_TRUSTED, host);
		n = seen_tokens(R.seen, &dups);
		if (R.seen_len > RECORD_SEEN_MAX ||
		    R.seen_len != strlen(R.seen) || n < 1 || n > 8 ||
		    dups != 0 || strncmp(R.seen, host, strlen(host)) != 0)
			ok = 0;
	}
	tap_ok(ok, "seen with long host names: within RECORD_SEEN_MAX, the "
	    "latest first, no duplicates (%zu bytes)", (size_t)R.seen_len);
	long_host(host, 255, 'z');
	tls(T0 + 100, TLSLEVEL_ANONYMOUS, host);
	tap_ok(R.seen_len <= RECORD_SEEN_MAX &&
	    strncmp(R.seen, host, 255) == 0 &&
	    strncmp(R.seen + 255, "=anonymous", 10) == 0,
	    "a 255-byte host name fits first");
	invariants("seen");
}

static void
test_too_many_mx(void)
{
	char host[300];
	int i;

	/* four names of 249 bytes: 4 * 249 + 3 colons = 999 bytes */
	fresh();
	for (i = 0; i < 4; i++) {
		long_host(host, 249, (char)('a' + i));
		tls(T0 + (uint64_t)i * DAY / 3, TLSLEVEL_VERIFIED, host);
	}
	tap_is_int(R.state, STATE_SECURE,
	    "MX names that just fit RECORD_MATCH_MAX: secure");
	tap_ok(R.match_len == 999 && R.match_len <= RECORD_MATCH_MAX,
	    "the match list holds all of them (%u bytes)", R.match_len);

	fresh();
	for (i = 0; i < 5; i++) {
		long_host(host, 249, (char)('a' + i));
		tls(T0 + (uint64_t)i * DAY / 4, TLSLEVEL_VERIFIED, host);
	}
	tap_is_int(R.state, STATE_ENCRYPT,
	    "more MX names than RECORD_MATCH_MAX holds: encrypt, never a "
	    "secure pin that leaves one out");
	tap_ok(R.streak_hosts_len <= RECORD_MATCH_MAX && R.match_len == 0,
	    "the run's names stay within bounds");

	fresh();
	for (i = 0; i < 5; i++) {
		long_host(host, 249, (char)('a' + i));
		tls(T0 + (uint64_t)i, TLSLEVEL_VERIFIED, host);
	}
	for (i = 0; i < 4; i++) {
		long_host(host, 249, (char)('a' + i));
		tls(T0 + DAY + (uint64_t)i, TLSLEVEL_VERIFIED, host);
	}
	tap_is_int(R.state, STATE_ENCRYPT,
	    "the run that overflowed stays unfit for secure, however many "
	    "Verified deliveries to known names follow");
	invariants("too many MX names");
}

static void
test_out_of_order(void)
{
	fresh();
	tls(T0 + 100, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(T0, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_ok(R.first_seen == T0 && R.last_seen == T0 + 100 &&
	    R.last_good == T0 + 100 && R.streak_first == T0,
	    "an older observation: first_seen and the run start move back, "
	    "last_seen and last_good stay");
	tls(T0 + 50, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "out of order, 100 s in all: no pin (no wrap-around span)");
	tls(T0 - 5 * DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_ok(R.state == STATE_OBSERVING || R.state == STATE_ENCRYPT,
	    "a much older delivery: a sane state");
	tap_is_int(R.first_seen, T0 - 5 * DAY, "first_seen is the oldest");

	fresh();
	pin_encrypt(T0);
	tls(T0 - DAY, TLSLEVEL_TRUSTED, "mx.example.com");
	plain(T0 - 2 * DAY, "mx.example.com");
	cert_fail(T0 - 3 * DAY);
	tap_ok(R.state == STATE_ENCRYPT && R.expires == T0 + 61 * DAY &&
	    R.last_seen == T0 + DAY && R.last_good == T0 + DAY,
	    "old lines read after the pin: the pin and its expiry hold");

	fresh();
	tls(0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(0, TLSLEVEL_TRUSTED, "mx.example.com");
	tls(0, TLSLEVEL_TRUSTED, "mx.example.com");
	tap_is_int(R.state, STATE_OBSERVING,
	    "deliveries without a time never pin");
	invariants("out of order");
}

/* Text from outside (Postfix's reasons, hosts) that is not plain ASCII. */
static void
test_odd_text(void)
{
	fresh();
	pin_encrypt(T0);
	apply(LEARN_TLS_FAIL, T0 + DAY + 1, TLSLEVEL_UNTRUSTED,
	    "mx.example.com", "Server certificate not verified "
	    "(untrusted issuer /CN=Caf\xc3\xa9\tCA\x01)");
	tap_ok(NEV == 1, "a failure with UTF-8 and control bytes in its "
	    "reason is an event");
	tap_ok(R.failure_len > 0 && printable(R.failure, R.failure_len),
	    "the failure kept is printable (%s)", R.failure);
	plain(T0 + DAY + 2, "mx\x7f.example.com");
	tap_ok(NEV == 1 && printable(EV[0].reason, EV[0].reason_len),
	    "an odd host in an event is made printable");
	tap_ok(printable(R.seen, R.seen_len), "and in seen");
	invariants("odd text");
}

static void
test_words(void)
{
	char buf[32];

	tap_is_str(learn_level_word(TLSLEVEL_VERIFIED), "verified", "verified");
	tap_is_str(learn_level_word(TLSLEVEL_TRUSTED), "trusted", "trusted");
	tap_is_str(learn_level_word(TLSLEVEL_UNTRUSTED), "untrusted",
	    "untrusted");
	tap_is_str(learn_level_word(TLSLEVEL_ANONYMOUS), "anonymous",
	    "anonymous");
	tap_is_str(learn_level_word(TLSLEVEL_NONE), "plain", "none: plain");
	tap_is_str(learn_level_word(99), "plain", "unknown: plain");
	learn_span(buf, sizeof(buf), 40);
	tap_is_str(buf, "40s", "span 40s");
	learn_span(buf, sizeof(buf), 125);
	tap_is_str(buf, "2m 5s", "span 2m 5s");
	learn_span(buf, sizeof(buf), 7500);
	tap_is_str(buf, "2h 5m", "span 2h 5m");
	learn_span(buf, sizeof(buf), 3 * 86400 + 4 * 3600 + 59);
	tap_is_str(buf, "3d 4h", "span 3d 4h");
	learn_span(buf, 4, UINT64_MAX);
	tap_ok(strlen(buf) == 3, "span cut to the buffer");
}

/* ---------------------------------------------------------------- probe */

/* Feed a probe result to the record, checking the invariants. */
static void
probe(int verdict, const char *mx, const char *verified, int dnssec,
    uint64_t t)
{
	struct learn_probe pr;

	memset(&pr, 0, sizeof(pr));
	pr.time = t;
	pr.verdict = verdict;
	pr.dnssec = dnssec;
	snprintf(pr.mx, sizeof(pr.mx), "%s", mx);
	snprintf(pr.verified, sizeof(pr.verified), "%s", verified);
	snprintf(pr.note, sizeof(pr.note), "probe: %s",
	    verdict == LEARN_PROBE_SECURE ? "secure" : "other");
	NEV = -1;
	learn_probe(&R, DOMAIN, &pr, &P, EV, &NEV);
	check_events();
	check_record();
}

/* An encrypt pin from Trusted deliveries, with the probe on. */
static void
probe_setup(void)
{
	fresh();
	P.secure_pins = 0;
	P.probe = 1;
	P.probe_interval = DAY;
	pin_encrypt(T0);
}

static void
test_probe_upgrade(void)
{
	struct learn_obs o;

	probe_setup();
	tap_is_int(R.state, STATE_ENCRYPT, "probe: Trusted run pins encrypt");
	memset(&o, 0, sizeof(o));
	o.kind = LEARN_TLS;
	o.level = TLSLEVEL_TRUSTED;
	tap_is_int(learn_wants_probe(&R, &o, T0 + DAY, &P),
	    LEARN_PROBE_UPGRADE, "an encrypt pin never probed is wanted");
	P.probe = 0;
	tap_is_int(learn_wants_probe(&R, &o, T0 + DAY, &P), LEARN_PROBE_NO,
	    "probe = no: never wanted");
	P.probe = 1;
	probe(LEARN_PROBE_ENCRYPT, "mx.example.com", "", 0, T0 + DAY);
	tap_is_int(R.state, STATE_ENCRYPT, "probe encrypt: stays encrypt");
	tap_is_int(NEV, 0, "no event for a probe that changes nothing");
	tap_ok(strstr(R.probe, "probe: other") != NULL,
	    "the probe's note is kept (%s)", R.probe);
	tap_ok(R.probed == T0 + DAY, "the probe's time is kept");
	tap_is_int(learn_wants_probe(&R, &o, T0 + DAY + 60, &P),
	    LEARN_PROBE_NO, "not probed again within probe_interval");
	tap_is_int(learn_wants_probe(&R, &o, T0 + 2 * DAY, &P),
	    LEARN_PROBE_UPGRADE, "probed again after probe_interval");
	probe(LEARN_PROBE_SECURE, "mx.example.com", "mx.example.com", 0,
	    T0 + 2 * DAY);
	tap_is_int(R.state, STATE_SECURE, "every MX proved: secure");
	tap_is_str(R.reply, "secure match=mx.example.com",
	    "the reply names the proved MX");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "upgraded") != NULL,
	    "one event says upgraded (%s)", NEV == 1 ? EV[0].reason : "");
	tap_ok(R.expires >= T0 + DAY + 60 * DAY,
	    "the upgrade does not shorten the pin");
	invariants("probe upgrade");
}

static void
test_probe_not_upgraded(void)
{
	probe_setup();
	tls(T0 + 2 * DAY, TLSLEVEL_UNTRUSTED, "mx.example.com");
	probe(LEARN_PROBE_SECURE, "mx.example.com", "mx.example.com", 0,
	    T0 + 2 * DAY);
	tap_is_int(R.state, STATE_ENCRYPT,
	    "an Untrusted delivery in the run: stays encrypt");
	tap_ok(strstr(R.probe, "Trusted the chain on 3 of the 4") != NULL,
	    "why says so (%s)", R.probe);
	probe_setup();
	tls(T0 + 2 * DAY, TLSLEVEL_TRUSTED, "mx2.example.com");
	probe(LEARN_PROBE_SECURE, "mx.example.com", "mx.example.com", 0,
	    T0 + 2 * DAY);
	tap_is_int(R.state, STATE_ENCRYPT,
	    "Postfix delivered to an MX the probe did not prove: encrypt");
	tap_ok(strstr(R.probe, "mx2.example.com") != NULL,
	    "why names it (%s)", R.probe);
	invariants("probe not upgraded");
}

static void
test_probe_dane(void)
{
	probe_setup();
	probe(LEARN_PROBE_DANE, "mx.example.com", "", 0, T0 + 2 * DAY);
	tap_is_int(R.state, STATE_DANE, "TLSA: state dane");
	tap_is_int(R.reply_len, 0, "TLSA: NOTFOUND");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "DANE") != NULL,
	    "the event says DANE");
	probe_setup();
	P.dane_only = 1;
	probe(LEARN_PROBE_DANE, "mx.example.com", "", 0, T0 + 2 * DAY);
	tap_is_str(R.reply, "dane-only", "dane_reply = dane-only");
	fresh();
	P.probe = 1;
	manual(LEVEL_ENCRYPT, "encrypt");
	probe(LEARN_PROBE_DANE, "mx.example.com", "", 0, T0);
	tap_is_int(R.state, STATE_MANUAL, "a manual entry stays manual");
	invariants("probe dane");
}

/* A secure pin on mx.example.com, then its MX moves to host. */
static void
mx_move(int mode, const char *host, int dnssec)
{
	char list[600];

	probe_setup();
	P.mx_change = mode;
	probe(LEARN_PROBE_SECURE, "mx.example.com", "mx.example.com", 0,
	    T0 + DAY);
	snprintf(list, sizeof(list), "%s", host);
	probe(LEARN_PROBE_SECURE, list, list, dnssec, T0 + 2 * DAY);
}

/* A secure pin on MX hosts mx1 and mx2, then its MX moves to host. */
static void
mx_move_from(const char *mx1, const char *mx2, const char *host)
{
	char both[600];

	fresh();
	P.secure_pins = 0;
	P.probe = 1;
	P.probe_interval = DAY;
	P.mx_change = MX_CHANGE_SAME_SUFFIX;
	tls(T0, TLSLEVEL_TRUSTED, mx1);
	tls(T0 + DAY / 2, TLSLEVEL_TRUSTED, mx2);
	tls(T0 + DAY, TLSLEVEL_TRUSTED, mx1);
	snprintf(both, sizeof(both), "%s:%s", mx1, mx2);
	probe(LEARN_PROBE_SECURE, both, both, 0, T0 + DAY);
	probe(LEARN_PROBE_SECURE, host, host, 0, T0 + 2 * DAY);
}

/* same-suffix: the shared suffix must be one party's domain, longer than
 * a public suffix of the ICANN section (co.uk, com.au) or the private one
 * (github.io: anyone can get a certificate for a name of their own). */
static void
test_probe_mx_public_suffix(void)
{
	static const struct {
		const char *mx1, *mx2, *host;
		int added;
	} t[] = {
		{ "mx1.a.co.uk", "mx2.b.co.uk", "mx.evil.co.uk", 0 },
		{ "mx1.a.com.au", "mx2.b.com.au", "mx.evil.com.au", 0 },
		{ "mx1.a.github.io", "mx2.b.github.io", "mx.evil.github.io",
		    0 },
		{ "mx1.provider.co.uk", "mx2.provider.co.uk",
		    "mx3.provider.co.uk", 1 },
		{ "mx1.eu.provider.co.uk", "mx2.eu.provider.co.uk",
		    "mx3.eu.provider.co.uk", 1 },
		{ "mx1.a.provider.github.io", "mx2.b.provider.github.io",
		    "mx3.c.provider.github.io", 1 },
	};
	char want[600], name[600];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mx_move_from(t[i].mx1, t[i].mx2, t[i].host);
		snprintf(want, sizeof(want), "secure match=%s:%s%s%s",
		    t[i].mx1, t[i].mx2, t[i].added ? ":" : "",
		    t[i].added ? t[i].host : "");
		snprintf(name, sizeof(name), "same-suffix: %s after %s and %s "
		    "%s", t[i].host, t[i].mx1, t[i].mx2, t[i].added ?
		    "is added" : "is not added (public suffix)");
		tap_is_str(R.reply, want, name);
	}
	invariants("probe mx_change public suffix");
}

static void
test_probe_mx_change(void)
{
	struct learn_obs o;

	probe_setup();
	probe(LEARN_PROBE_SECURE, "mx.example.com", "mx.example.com", 0,
	    T0 + DAY);
	memset(&o, 0, sizeof(o));
	o.kind = LEARN_TLS_FAIL;
	snprintf(o.host, sizeof(o.host), "MX2.example.com");
	tap_is_int(learn_wants_probe(&R, &o, T0 + DAY + 601, &P),
	    LEARN_PROBE_NEW_MX, "a secure pin deferred at a new MX is probed");
	tap_is_int(learn_wants_probe(&R, &o, T0 + DAY + 30, &P),
	    LEARN_PROBE_NO, "not twice within 10 minutes");
	snprintf(o.host, sizeof(o.host), "mx.example.com");
	tap_is_int(learn_wants_probe(&R, &o, T0 + 2 * DAY, &P),
	    LEARN_PROBE_NO, "deferred at a pinned MX: no probe");

	mx_move(MX_CHANGE_SAME_SUFFIX, "mx2.example.com", 0);
	tap_is_str(R.reply, "secure match=mx.example.com:mx2.example.com",
	    "same-suffix: a new MX under the domain is added");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "MX change accepted") != NULL,
	    "with an event (%s)", NEV == 1 ? EV[0].reason : "");
	mx_move(MX_CHANGE_SAME_SUFFIX, "mx.evil.test", 0);
	tap_is_str(R.reply, "secure match=mx.example.com",
	    "same-suffix: a new MX elsewhere is not added");
	tap_ok(NEV == 1 && strstr(EV[0].reason, "tlspin pin example.com "
	    "--level secure --match mx.example.com:mx.evil.test") != NULL,
	    "the event names the command (%s)", NEV == 1 ? EV[0].reason : "");
	probe(LEARN_PROBE_SECURE, "mx.evil.test", "mx.evil.test", 0,
	    T0 + 3 * DAY);
	tap_is_int(NEV, 0, "the same refusal is reported once");
	mx_move(MX_CHANGE_SAME_SUFFIX, "mx.evil.test", 1);
	tap_is_str(R.reply, "secure match=mx.evil.test:mx.example.com",
	    "same-suffix: a DNSSEC-validated MX is added");
	mx_move(MX_CHANGE_STRICT, "mx2.example.com", 1);
	tap_is_str(R.reply, "secure match=mx.example.com",
	    "strict: nothing is added");
	mx_move(MX_CHANGE_ACCEPT_VERIFIED, "mx.evil.test", 0);
	tap_is_str(R.reply, "secure match=mx.evil.test:mx.example.com",
	    "accept-verified: any proved MX is added");
	mx_move(MX_CHANGE_ACCEPT_VERIFIED, "mx.evil.test", 0);
	probe(LEARN_PROBE_NONE, "mx.evil.test", "", 0, T0 + 4 * DAY);
	tap_is_int(R.state, STATE_SECURE, "a failed probe never weakens a "
	    "pin");
	tap_ok(strstr(R.probe, "the pin holds") != NULL, "why says so");
	invariants("probe mx_change");
}

int
main(void)
{
	test_pin_encrypt();
	test_not_before();
	test_plain_resets();
	test_not_offered();
	test_secure();
	test_upgrade();
	test_renew();
	test_expire();
	test_expired_then_observation();
	test_failures_on_pin();
	test_plain_on_pin();
	test_manual();
	test_seen();
	test_too_many_mx();
	test_out_of_order();
	test_odd_text();
	test_words();
	test_probe_upgrade();
	test_probe_not_upgraded();
	test_probe_dane();
	test_probe_mx_change();
	test_probe_mx_public_suffix();
	return tap_done();
}
