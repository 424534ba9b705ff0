/*
 * NAME
 *	learn - the per-domain policy state machine
 * SYNOPSIS
 *	#include "learn.h"
 *
 *	int learn_apply(r, exists, domain, obs, params, ev)
 *	int learn_expire(r, domain, now, params, ev)
 *	void learn_probe(r, domain, probe, params, ev, nev)
 *	int learn_wants_probe(r, obs, now, params)
 * DESCRIPTION
 *	DESIGN.md's state machine as pure functions on a record: no I/O,
 *	no clock (times come from the log, never later than the caller's
 *	clock: see learner.c), so the same log always gives the same store
 *	and every rule can be tested on its own.
 *
 *	learn_apply() counts one delivery attempt and moves the domain (a
 *	failure for a domain without a record creates none):
 *	observing (or expired) -> encrypt once the current run has at least
 *	min_deliveries TLS deliveries spanning min_span with none in clear;
 *	-> secure instead (match = the MX names of the run) when secure_pins
 *	is on and Postfix Verified every delivery of the run; encrypt ->
 *	secure when a later run qualifies. A plaintext delivery or "TLS is
 *	required, but was not offered" ends the run. A Verified delivery to
 *	a domain without a pin, with secure_pins off (the default), moves it
 *	to dane: Postfix's own policy authenticated it, and a learned pin
 *	would replace that policy. A good delivery renews a pin's expiry. Failures are counted and reported and never unpin:
 *	an attacker must not be able to turn a pin off. Manual and DANE
 *	entries only gain evidence; a manual "none" is left alone entirely.
 *
 *	learn_expire() turns a learned pin whose expiry has passed into
 *	expired (no reply), dated at the moment it expired.
 *
 *	Both return LEARN_CHANGED when the record must be written; the
 *	transitions (at most LEARN_EVENTS_MAX: an expiry noticed late, then
 *	what the new delivery did) go to ev[], with a reason a person can
 *	read.
 *
 *	learn_wants_probe() says whether an observation should send the
 *	domain to tlspind's probe: an encrypt pin not probed for
 *	probe_interval, or a secure pin deferred at an MX not in its match
 *	list. learn_probe() applies what the probe found (the record is
 *	always written: it keeps the finding): an encrypt pin becomes secure
 *	when every MX proved its name and Postfix Trusted the whole run;
 *	DNSSEC-validated TLSA leaves the domain to Postfix's DANE; new MX
 *	names under a secure pin are added as mx_change allows, a refusal
 *	reported once. A probe never weakens a pin.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "certname.h"
#include "clock.h"
#include "config.h"
#include "learn.h"
#include "logparse.h"
#include "policy.h"
#include "pubsuffix.h"
#include "reply.h"

#define LEARN_SEEN_HOSTS 8	/* MX names kept in the evidence */

/* The word for a connection's TLS level, as Postfix logs it. */
const char *
learn_level_word(int level)
{
	switch (level) {
	case TLSLEVEL_ANONYMOUS: return "anonymous";
	case TLSLEVEL_UNTRUSTED: return "untrusted";
	case TLSLEVEL_TRUSTED: return "trusted";
	case TLSLEVEL_VERIFIED: return "verified";
	default: return "plain";
	}
}

/* A duration for people: "3d 4h", "2h 5m", "40s". */
void
learn_span(char *buf, size_t bufsz, uint64_t s)
{
	if (s >= 86400)
		snprintf(buf, bufsz, "%llud %lluh", (unsigned long long)s / 86400,
		    (unsigned long long)s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, bufsz, "%lluh %llum", (unsigned long long)s / 3600,
		    (unsigned long long)s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, bufsz, "%llum %llus", (unsigned long long)s / 60,
		    (unsigned long long)s % 60);
	else
		snprintf(buf, bufsz, "%llus", (unsigned long long)s);
}

/*
 * Copy n bytes of text from outside (Postfix's reasons, host names) with
 * every byte that is not printable ASCII as '?': record_decode() and
 * record_event_decode() reject anything else, so one odd byte would make
 * the record or the event unreadable.
 */
static void
learn_text(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] >= 0x7f ? '?' : src[i];
	dst[n] = '\0';
}

/* Fill *ev for a transition of domain at time t. */
static void
learn_event(struct record_event *ev, const char *domain, uint64_t t,
    int old_state, int new_state, const char *reason)
{
	size_t n = strlen(domain), m = strlen(reason);

	memset(ev, 0, sizeof(*ev));
	ev->time = t;
	ev->old_state = (uint8_t)old_state;
	ev->new_state = (uint8_t)new_state;
	if (n > KEY_MAX)
		n = KEY_MAX;
	if (m > EVENT_REASON_MAX)
		m = EVENT_REASON_MAX;
	learn_text(ev->domain, domain, n);
	ev->domain_len = (uint16_t)n;
	learn_text(ev->reason, reason, m);
	ev->reason_len = (uint16_t)m;
}

/*
 * A host name we can keep: letters, digits, '-', '.', '_' (what DNS
 * gives Postfix). Anything else could not go in a match list (':' is
 * its separator, ',' and blanks end a Postfix value) nor in "seen".
 */
static int
learn_host_ok(const char *host)
{
	size_t i;

	for (i = 0; host[i] != '\0'; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9') || host[i] == '-' ||
		    host[i] == '.' || host[i] == '_'))
			return 0;
	return i > 0;
}

/* Is name one of the colon-separated names in list? */
static int
learn_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *end;

	while (*p != '\0') {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == n && memcmp(p, name, n) == 0)
			return 1;
		p = *end == ':' ? end + 1 : end;
	}
	return 0;
}

/* Add host to the run's MX names; 0 when the list is full. */
static int
learn_hosts_add(struct record *r, const char *host)
{
	size_t n = strlen(host), need;

	if (n == 0)
		return 1;
	if (!learn_host_ok(host))
		return 0;	/* a name no match list can hold */
	if (learn_list_has(r->streak_hosts, host))
		return 1;
	need = r->streak_hosts_len + (r->streak_hosts_len ? 1 : 0) + n;
	if (need > RECORD_MATCH_MAX)
		return 0;
	if (r->streak_hosts_len)
		r->streak_hosts[r->streak_hosts_len++] = ':';
	memcpy(r->streak_hosts + r->streak_hosts_len, host, n + 1);
	r->streak_hosts_len = (uint16_t)need;
	return 1;
}

static int
learn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of two colon lists, sorted, without duplicates, into out
 * (the secure match list is the run's MX names this way); 0 when it
 * does not fit.
 */
static int
learn_list_union(const char *a, const char *b, char *out, size_t outsz)
{
	char copy[2 * RECORD_MATCH_MAX + 2], *names[RECORD_MATCH_MAX + 1];
	char *p, *save = NULL;
	size_t n = 0, i, used = 0;

	snprintf(copy, sizeof(copy), "%s:%s", a, b);
	for (p = strtok_r(copy, ":", &save); p != NULL;
	    p = strtok_r(NULL, ":", &save))
		names[n++] = p;
	qsort(names, n, sizeof(names[0]), learn_cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (used + strlen(names[i]) + 1 >= outsz)
			return 0;
		used += (size_t)snprintf(out + used, outsz - used, "%s%s",
		    used ? ":" : "", names[i]);
	}
	return 1;
}

/* Put "host=level" first in the evidence, dropping its older token. */
static void
learn_seen_add(struct record *r, const char *host, const char *word)
{
	char out[RECORD_SEEN_MAX + 1], tok[300];
	const char *p = r->seen, *sp;
	size_t used, n, hn = strlen(host), kept = 1;

	if (!learn_host_ok(host))
		return;
	used = (size_t)snprintf(out, sizeof(out), "%s=%s", host, word);
	if (used >= sizeof(out))
		return;
	while (*p != '\0' && kept < LEARN_SEEN_HOSTS) {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		if (n < sizeof(tok) && !(n > hn && memcmp(p, host, hn) == 0 &&
		    p[hn] == '=') && used + 1 + n <= RECORD_SEEN_MAX) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			used += (size_t)snprintf(out + used, sizeof(out) - used,
			    " %s", tok);
			kept++;
		}
		p = sp ? sp + 1 : p + n;
	}
	memcpy(r->seen, out, used + 1);
	r->seen_len = (uint16_t)used;
}

static void
learn_failure_set(struct record *r, const char *reason)
{
	size_t n = strlen(reason);

	if (n > RECORD_FAILURE_MAX)
		n = RECORD_FAILURE_MAX;
	learn_text(r->failure, reason, n);
	r->failure_len = (uint16_t)n;
}

static void
learn_run_reset(struct record *r)
{
	r->streak = r->streak_verified = r->streak_trusted = 0;
	r->streak_first = 0;
	r->streak_hosts[0] = '\0';
	r->streak_hosts_len = 0;
}

static int
learn_pinned(const struct record *r)
{
	return r->state == STATE_ENCRYPT || r->state == STATE_SECURE;
}

/* A record for a domain seen for the first time. */
static void
learn_new(struct record *r, uint64_t t)
{
	memset(r, 0, sizeof(*r));
	r->state = STATE_OBSERVING;
	r->source = SOURCE_LEARNED;
	r->level = LEVEL_NONE;
	r->first_seen = t;
}

/* The counters every kind of entry keeps. */
static void
learn_evidence(struct record *r, const struct learn_obs *o)
{
	if (r->first_seen == 0 || o->time < r->first_seen)
		r->first_seen = o->time;
	if (o->time > r->last_seen)
		r->last_seen = o->time;
	if (o->time > r->updated)
		r->updated = o->time;
	switch (o->kind) {
	case LEARN_TLS:
		r->deliveries++;
		r->tls++;
		if (o->level == TLSLEVEL_TRUSTED)
			r->trusted++;
		if (o->level == TLSLEVEL_VERIFIED)
			r->verified++;
		if (o->time > r->last_good)
			r->last_good = o->time;
		learn_seen_add(r, o->host, learn_level_word(o->level));
		break;
	case LEARN_PLAIN:
		r->deliveries++;
		r->plaintext++;
		if (o->time > r->last_plain)
			r->last_plain = o->time;
		learn_seen_add(r, o->host, "plain");
		break;
	case LEARN_TLS_FAIL:
	case LEARN_NOT_OFFERED:
		r->failures++;
		if (o->time > r->last_failure)
			r->last_failure = o->time;
		learn_failure_set(r, o->reason);
		break;
	}
}

/*
 * Make r a learned pin at level (encrypt or secure, with names: the run's
 * MX names when NULL); 0 if no reply fits.
 */
static int
learn_pin(struct record *r, enum policy_state state, const char *names,
    uint64_t t, const struct learn_params *p)
{
	char policy[RECORD_MATCH_MAX + 32], match[RECORD_MATCH_MAX + 1];
	char reply[sizeof(r->reply)];
	const char *err;
	size_t n;

	match[0] = '\0';
	if (state == STATE_SECURE) {
		if (names != NULL)
			snprintf(match, sizeof(match), "%s", names);
		else
			(void)learn_list_union(r->streak_hosts, "", match,
			    sizeof(match));
		snprintf(policy, sizeof(policy), "secure match=%s", match);
	} else
		snprintf(policy, sizeof(policy), "encrypt");
	/* into a buffer of our own: a refused reply must leave r as it was */
	n = reply_build(reply, sizeof(reply), policy, strlen(policy),
	    p->compat, &err);
	if (n == 0)
		return 0;
	memcpy(r->reply, reply, n + 1);
	r->reply_len = (uint16_t)n;
	r->state = (uint8_t)state;
	r->level = state == STATE_SECURE ? LEVEL_SECURE : LEVEL_ENCRYPT;
	r->source = SOURCE_LEARNED;
	r->match_len = (uint16_t)strlen(match);
	memcpy(r->match, match, r->match_len + 1);
	r->pinned_at = t;
	r->expires = p->max_age ? t + p->max_age : 0;
	r->failures = 0;
	return 1;
}

/* After a TLS delivery: pin or upgrade when the run qualifies. */
static int
learn_promote(struct record *r, const char *domain, uint64_t t,
    const struct learn_params *p, struct record_event *ev)
{
	char reason[EVENT_REASON_MAX], span[32];
	int old = r->state, secure;
	enum policy_state target;

	if (r->streak < p->min_deliveries || r->streak_first == 0 ||
	    t - r->streak_first < p->min_span)
		return 0;
	secure = p->secure_pins && r->streak_verified == r->streak &&
	    r->streak_hosts_len > 0;
	target = secure ? STATE_SECURE : STATE_ENCRYPT;
	if (r->state == STATE_SECURE ||
	    (r->state == STATE_ENCRYPT && target == STATE_ENCRYPT))
		return 0;
	if (!learn_pin(r, target, NULL, t, p) &&
	    (target == STATE_ENCRYPT || r->state == STATE_ENCRYPT ||
	    !learn_pin(r, target = STATE_ENCRYPT, NULL, t, p)))
		return 0;
	learn_span(span, sizeof(span), t - r->streak_first);
	snprintf(reason, sizeof(reason), "%s: %u TLS deliver%s over %s, "
	    "none in clear%s%.400s; Postfix now gets \"%.400s\"",
	    old == STATE_ENCRYPT ? "upgraded" : "pinned", r->streak,
	    r->streak == 1 ? "y" : "ies", span,
	    target == STATE_SECURE ? ", every certificate Verified for " : "",
	    target == STATE_SECURE ? r->match : "", r->reply);
	learn_event(ev, domain, t, old, r->state, reason);
	return 1;
}

/* A learned pin that has aged out: no reply any more. */
static void
learn_to_expired(struct record *r, const char *domain,
    const struct learn_params *p, struct record_event *ev)
{
	char reason[EVENT_REASON_MAX], when[32], age[32];
	int old = r->state;
	uint64_t t = r->expires;

	clock_iso(when, sizeof(when), r->last_good);
	learn_span(age, sizeof(age), p->max_age);
	r->state = STATE_EXPIRED;
	r->level = LEVEL_NONE;
	r->reply_len = 0;
	r->reply[0] = '\0';
	r->expires = 0;
	learn_run_reset(r);
	snprintf(reason, sizeof(reason), "expired: no good delivery since %s "
	    "(pin_max_age %s); Postfix gets NOTFOUND until the domain "
	    "qualifies again", when, age);
	learn_event(ev, domain, t, old, r->state, reason);
}

int
learn_expire(struct record *r, const char *domain, uint64_t now,
    const struct learn_params *p, struct record_event *ev)
{
	if (!learn_pinned(r) || r->source != SOURCE_LEARNED ||
	    r->expires == 0 || now < r->expires)
		return LEARN_UNCHANGED;
	learn_to_expired(r, domain, p, ev);
	return LEARN_CHANGED;
}

/* A failure on a pinned domain: report the first since the last good one. */
static int
learn_failure_event(const struct record *r, uint64_t prev_failure,
    const char *domain, const struct learn_obs *o, struct record_event *ev)
{
	char reason[EVENT_REASON_MAX];
	int named;

	if (!learn_pinned(r) || (prev_failure != 0 &&
	    prev_failure >= r->last_good))
		return 0;
	named = o->host[0] == '\0' || strstr(o->reason, o->host) != NULL;
	snprintf(reason, sizeof(reason), "deferred by the pin (it holds): "
	    "%s%s%.255s", o->reason, named ? "" : " at ", named ? "" :
	    o->host);
	learn_event(ev, domain, o->time, r->state, r->state, reason);
	return 1;
}

/* A delivery in clear on a pinned domain: the pin was not enforced. */
static int
learn_clear_event(const struct record *r, const char *domain,
    const struct learn_obs *o, struct record_event *ev)
{
	char reason[EVENT_REASON_MAX];

	snprintf(reason, sizeof(reason), "delivered in clear to %s although "
	    "pinned: Postfix did not get the pin (mode = observe, or "
	    "smtp_tls_policy_maps does not ask tlspind)",
	    o->host[0] ? o->host : "the server");
	learn_event(ev, domain, o->time, r->state, r->state, reason);
	return 1;
}

/*
 * Postfix Verified a certificate while tlspind had no pin for the domain:
 * Postfix's own policy authenticates it (smtp_tls_security_level = dane
 * with TLSA records, verify, secure, or another table). A learned pin
 * would replace that policy for the domain: "encrypt" drops the
 * authentication, "secure" breaks DANE-EE with a self-signed
 * certificate. Unless secure_pins says to pin such domains, leave them to
 * Postfix (state dane: NOTFOUND, evidence still counted).
 */
static int
learn_leave_to_postfix(struct record *r, const char *domain,
    const struct learn_obs *o, struct record_event *ev)
{
	char reason[EVENT_REASON_MAX];
	int old = r->state;

	r->state = STATE_DANE;
	r->level = LEVEL_NONE;
	r->reply_len = 0;
	r->reply[0] = '\0';
	r->expires = 0;
	snprintf(reason, sizeof(reason), "left to Postfix: it Verified the "
	    "certificate of %.255s itself (its own DANE or verify policy), "
	    "which a learned pin would replace; Postfix gets NOTFOUND "
	    "(secure_pins = yes pins such domains secure instead)",
	    o->host[0] ? o->host : "the server");
	learn_event(ev, domain, o->time, old, r->state, reason);
	return 1;
}

/* The learned states: observing, encrypt, secure, expired. */
static int
learn_step(struct record *r, const char *domain, const struct learn_obs *o,
    const struct learn_params *p, uint64_t prev_failure,
    struct record_event *ev)
{
	switch (o->kind) {
	case LEARN_TLS:
		if (r->streak == 0 || r->streak_first == 0 ||
		    o->time < r->streak_first)
			r->streak_first = o->time;
		r->streak++;
		if (o->level == TLSLEVEL_VERIFIED)
			r->streak_verified++;
		if (o->level == TLSLEVEL_VERIFIED ||
		    o->level == TLSLEVEL_TRUSTED)
			r->streak_trusted++;
		if (!learn_hosts_add(r, o->host))
			r->streak_verified = 0;	/* no match list can hold it */
		if (learn_pinned(r) && p->max_age && o->time + p->max_age >
		    r->expires)
			r->expires = o->time + p->max_age;
		if (o->level == TLSLEVEL_VERIFIED && !p->secure_pins &&
		    !learn_pinned(r))
			return learn_leave_to_postfix(r, domain, o, ev);
		return learn_promote(r, domain, o->time, p, ev);
	case LEARN_PLAIN:
		learn_run_reset(r);
		return learn_pinned(r) && learn_clear_event(r, domain, o, ev);
	case LEARN_NOT_OFFERED:
		if (!learn_pinned(r))
			learn_run_reset(r);
		/* FALLTHROUGH */
	case LEARN_TLS_FAIL:
		return learn_failure_event(r, prev_failure, domain, o, ev);
	}
	return 0;
}

int
learn_apply(struct record *r, int exists, const char *domain,
    const struct learn_obs *o, const struct learn_params *p,
    struct record_event ev[LEARN_EVENTS_MAX], int *nev)
{
	uint64_t prev_failure;

	*nev = 0;
	/* a failure teaches nothing about a domain we hold nothing for, and
	 * must not let a flood of them (bounces to made-up domains) grow the
	 * store: only deliveries create records */
	if (!exists && (o->kind == LEARN_TLS_FAIL ||
	    o->kind == LEARN_NOT_OFFERED))
		return LEARN_UNCHANGED;
	if (!exists)
		learn_new(r, o->time);
	if (r->state == STATE_MANUAL && r->level == LEVEL_NONE)
		return LEARN_UNCHANGED;	/* the admin said: no TLS, no learning */
	/*
	 * A pin that lapsed before this attempt expires first, so a TLS
	 * delivery after the lapse starts a new run instead of renewing a
	 * pin nobody used for pin_max_age (tlspind's sweep runs every 10
	 * minutes; tlspin learn reads months of logs at once). This is
	 * decided by the clock, not by the log: the caller never passes a
	 * time later than its clock (learner.c takes a line dated in the
	 * future as now), so a line can only expire what the clock already
	 * has. Before the evidence: the reason names the last good delivery
	 * before the expiry, not this one.
	 */
	if (learn_pinned(r) && r->source == SOURCE_LEARNED &&
	    r->expires != 0 && o->time >= r->expires)
		learn_to_expired(r, domain, p, &ev[(*nev)++]);
	prev_failure = r->last_failure;
	learn_evidence(r, o);
	if (r->state == STATE_MANUAL || r->state == STATE_DANE)
		return LEARN_CHANGED;
	if (learn_step(r, domain, o, p, prev_failure, &ev[*nev]))
		(*nev)++;
	return LEARN_CHANGED;
}

/* ---------------------------------------------------------------- probe */

#define LEARN_NEW_MX_REPROBE 600	/* seconds: a new MX, probed again */

/* Is every name of list a (colon-separated) in list b? */
static int
learn_list_subset(const char *a, const char *b)
{
	char name[RECORD_MATCH_MAX + 1];
	const char *p = a, *end;
	size_t n;

	while (*p != '\0') {
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		memcpy(name, p, n);
		name[n] = '\0';
		if (!learn_list_has(b, name))
			return 0;
		p += n + (end != NULL);
	}
	return 1;
}

/* Keep what the probe found (and what we made of it) for tlspin why. */
static void
learn_probe_note(struct record *r, const struct learn_probe *pr,
    const char *why)
{
	char note[RECORD_PROBE_MAX + 1];
	size_t n;

	errbuf_printf(note, sizeof(note), "%s%s%s", pr->note, why[0] ? "; " :
	    "", why);
	n = strlen(note);
	learn_text(r->probe, note, n);
	r->probe_len = (uint16_t)n;
}

/* TLSA records: leave the domain to Postfix's own DANE. */
static int
learn_probe_dane(struct record *r, const char *domain,
    const struct learn_probe *pr, const struct learn_params *p,
    struct record_event *ev)
{
	char reason[EVENT_REASON_MAX], reply[sizeof(r->reply)];
	const char *err;
	int old = r->state;
	size_t n = 0;

	if (p->dane_only && (n = reply_build(reply, sizeof(reply),
	    "dane-only", 9, p->compat, &err)) == 0)
		return 0;
	r->state = STATE_DANE;
	r->level = n ? LEVEL_DANE_ONLY : LEVEL_NONE;
	memcpy(r->reply, reply, n);
	r->reply[n] = '\0';
	r->reply_len = (uint16_t)n;
	r->expires = 0;
	r->match[0] = '\0';
	r->match_len = 0;
	errbuf_printf(reason, sizeof(reason), "left to Postfix's DANE: the "
	    "probe found TLSA records for its MX hosts; a pin would switch "
	    "DANE off for the domain, so Postfix gets %s%s%s", n ? "\"" : "", n
	    ? r->reply : "NOTFOUND (its own DANE policy decides)", n ? "\" "
	    "(dane_reply = dane-only)" : "");
	learn_event(ev, domain, pr->time, old, r->state, reason);
	return 1;
}

/* An encrypt pin whose every MX proved its name: secure. */
static int
learn_probe_upgrade(struct record *r, const char *domain,
    const struct learn_probe *pr, const struct learn_params *p,
    struct record_event *ev, char *why, size_t whysz)
{
	char reason[EVENT_REASON_MAX];
	uint64_t expires = r->expires;

	if (r->streak == 0 || r->streak_trusted < r->streak) {
		errbuf_printf(why, whysz, "stays encrypt: Postfix Trusted the "
		    "chain on %u of the %u deliveries of the run, and secure "
		    "needs all (Postfix's own CA store must verify it too)",
		    r->streak_trusted, r->streak);
		return 0;
	}
	if (!learn_list_subset(r->streak_hosts, pr->verified)) {
		errbuf_printf(why, whysz, "stays encrypt: Postfix delivered to "
		    "%.300s, and the probe proved only %.300s", r->streak_hosts,
		    pr->verified[0] ? pr->verified : "none");
		return 0;
	}
	if (!learn_pin(r, STATE_SECURE, pr->verified, pr->time, p)) {
		errbuf_printf(why, whysz, "stays encrypt: no secure reply "
		    "fits the MX names");
		return 0;
	}
	if (expires > r->expires)
		r->expires = expires;
	errbuf_printf(reason, sizeof(reason), "upgraded: the probe proved a "
	    "certificate valid for its own name at every MX (%.400s), and "
	    "Postfix Trusted the chain on all %u deliveries of the run; "
	    "Postfix now gets \"%.400s\"", pr->verified, r->streak, r->reply);
	learn_event(ev, domain, pr->time, STATE_ENCRYPT, r->state, reason);
	return 1;
}

/* Why mx_change lets host into a secure pin; NULL when it does not. */
static const char *
learn_mx_accepts(const struct record *r, const char *domain,
    const char *host, int dnssec, const struct learn_params *p,
    char *buf, size_t bufsz)
{
	char suffix[RECORD_MATCH_MAX + 1];

	if (p->mx_change == MX_CHANGE_ACCEPT_VERIFIED)
		return "mx_change = accept-verified takes any MX that proves "
		    "its name";
	if (p->mx_change == MX_CHANGE_STRICT)
		return NULL;
	if (certname_under(host, domain)) {
		errbuf_printf(buf, bufsz, "it lies under %s", domain);
		return buf;
	}
	/* a shared public suffix (co.uk, github.io) is strangers' common
	 * ground, not the domain's: only one party's domain counts */
	if (certname_common_suffix(r->match, suffix, sizeof(suffix)) > 0 &&
	    pubsuffix_below(suffix) && certname_under(host, suffix)) {
		errbuf_printf(buf, bufsz, "it lies under %s, like the pinned "
		    "names", suffix);
		return buf;
	}
	if (dnssec)
		return "the MX answer was DNSSEC-validated";
	return NULL;
}

/* New MX names under a secure pin: add those mx_change accepts. */
static int
learn_probe_mx_change(struct record *r, const char *domain,
    const struct learn_probe *pr, const struct learn_params *p,
    struct record_event *ev, char *why, size_t whysz)
{
	char copy[RECORD_MATCH_MAX + 1], added[RECORD_MATCH_MAX + 1] = "";
	char refused[RECORD_MATCH_MAX + 1] = "", match[RECORD_MATCH_MAX + 1];
	char reason[EVENT_REASON_MAX], buf[300], because[300] = "";
	char *h, *save = NULL;
	const char *ok;
	uint64_t pinned_at = r->pinned_at, expires = r->expires;

	errbuf_printf(copy, sizeof(copy), "%s", pr->verified);
	for (h = strtok_r(copy, ":", &save); h != NULL;
	    h = strtok_r(NULL, ":", &save)) {
		if (learn_list_has(r->match, h))
			continue;
		ok = learn_mx_accepts(r, domain, h, pr->dnssec, p, buf,
		    sizeof(buf));
		if (ok != NULL && because[0] == '\0')
			errbuf_printf(because, sizeof(because), "%s", ok);
		(void)learn_list_union(ok ? added : refused, h, ok ? added :
		    refused, RECORD_MATCH_MAX + 1);
	}
	if (refused[0] != '\0')
		errbuf_printf(why, whysz, "new MX %.200s proves its name but "
		    "is not added (mx_change = %s: not under %.200s nor the "
		    "pinned names' suffix, and not DNSSEC-validated); if the "
		    "domain really moved: tlspin pin %s --level secure "
		    "--match %.300s:%.200s", refused,
		    config_mx_change_name(p->mx_change), domain, domain,
		    r->match, refused);
	if (added[0] == '\0' ||
	    !learn_list_union(r->match, added, match, sizeof(match)) ||
	    !learn_pin(r, STATE_SECURE, match, pr->time, p))
		return 0;
	r->pinned_at = pinned_at;
	if (expires > r->expires)
		r->expires = expires;
	errbuf_printf(reason, sizeof(reason), "MX change accepted: %.200s "
	    "proves a certificate valid for its own name and %.300s; Postfix "
	    "now gets \"%.400s\"", added, because, r->reply);
	learn_event(ev, domain, pr->time, STATE_SECURE, STATE_SECURE, reason);
	return 1;
}

/* A refused new MX, reported once (while the finding stays the same). */
static int
learn_probe_refused(const struct record *r, const char *domain,
    const char *old_note, const struct learn_probe *pr,
    struct record_event *ev)
{
	const char *p = strstr(r->probe, "new MX ");

	if (p == NULL || strstr(old_note, p) != NULL)
		return 0;
	learn_event(ev, domain, pr->time, r->state, r->state, p);
	return 1;
}

void
learn_probe(struct record *r, const char *domain,
    const struct learn_probe *pr, const struct learn_params *p,
    struct record_event *ev, int *nev)
{
	char why[RECORD_PROBE_MAX + 1] = "", old[RECORD_PROBE_MAX + 1];
	int pinned = learn_pinned(r) && r->source == SOURCE_LEARNED;

	*nev = 0;
	memcpy(old, r->probe, r->probe_len + 1);
	r->probed = pr->time;
	if (pr->verdict == LEARN_PROBE_DANE && r->state != STATE_MANUAL &&
	    r->state != STATE_DANE)
		*nev += learn_probe_dane(r, domain, pr, p, &ev[*nev]);
	else if (pr->verdict == LEARN_PROBE_SECURE && pinned &&
	    r->state == STATE_ENCRYPT)
		*nev += learn_probe_upgrade(r, domain, pr, p, &ev[*nev], why,
		    sizeof(why));
	else if (pr->verdict == LEARN_PROBE_SECURE && pinned)
		*nev += learn_probe_mx_change(r, domain, pr, p, &ev[*nev], why,
		    sizeof(why));
	else if (pinned && r->state == STATE_SECURE)
		errbuf_printf(why, sizeof(why), "the pin holds: a probe never "
		    "weakens it");
	learn_probe_note(r, pr, why);
	if (*nev == 0)
		*nev += learn_probe_refused(r, domain, old, pr, &ev[*nev]);
}

/* Should this observation send the domain to the probe? */
int
learn_wants_probe(const struct record *r, const struct learn_obs *o,
    uint64_t now, const struct learn_params *p)
{
	char host[256];
	size_t i;
	uint64_t wait = p->probe_interval;

	if (!p->probe || r->source != SOURCE_LEARNED)
		return LEARN_PROBE_NO;
	if (r->state == STATE_ENCRYPT && o->kind == LEARN_TLS &&
	    (r->probed == 0 || now >= r->probed + wait))
		return LEARN_PROBE_UPGRADE;
	if (r->state != STATE_SECURE || o->kind != LEARN_TLS_FAIL ||
	    o->host[0] == '\0')
		return LEARN_PROBE_NO;
	for (i = 0; o->host[i] != '\0' && i < sizeof(host) - 1; i++)
		host[i] = o->host[i] >= 'A' && o->host[i] <= 'Z' ?
		    o->host[i] + 32 : o->host[i];
	host[i] = '\0';
	if (learn_list_has(r->match, host))
		return LEARN_PROBE_NO;
	if (wait > LEARN_NEW_MX_REPROBE)
		wait = LEARN_NEW_MX_REPROBE;
	return r->probed == 0 || now >= r->probed + wait ?
	    LEARN_PROBE_NEW_MX : LEARN_PROBE_NO;
}
