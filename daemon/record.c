/*
 * NAME
 *	record - versioned byte layout of domain and event records
 * SYNOPSIS
 *	#include "record.h"
 *
 *	size_t record_encode(r, buf, bufsz)
 *	int record_decode(buf, len, r, err)
 *	int record_reply_view(buf, len, expires, reply, reply_len, err)
 *	int record_same(a, b)
 *	int record_is_evidence(r)
 *	int record_expiry(r, when)
 *	int record_idle_since(r, when)
 *	size_t record_text_bad(s, n)
 *	size_t record_event_encode(e, buf, bufsz)
 *	int record_event_decode(buf, len, e, err)
 * DESCRIPTION
 *	Records live in LMDB and outlive the program that wrote them, so
 *	they are never raw C structs. A domain record, version 3, is, all
 *	integers little-endian:
 *
 *	offset	size	field
 *	0	1	version (1)
 *	1	1	state (enum policy_state)
 *	2	1	level (enum policy_level)
 *	3	1	source (enum policy_source)
 *	4	8	expires (Unix seconds, 0 = never)
 *	12	2	reply length R (0 = no reply)
 *	14	R	reply: the exact policy value Postfix gets
 *	14+R	5x8	first_seen, last_seen, last_good, pinned_at, updated
 *	...	6x4	deliveries, tls, trusted, verified, plaintext, failures
 *	...	2+M	match list (length-prefixed)
 *	...	2+N	note (length-prefixed)
 *	...	3x8	streak_first, last_plain, last_failure
 *	...	2x4	streak, streak_verified
 *	...	2+H	streak_hosts (MX names of the current run)
 *	...	2+S	seen ("host=level" tokens, most recent first)
 *	...	2+F	failure (the last failure's reason)
 *	...	4	streak_trusted (of the run: chain Trusted or Verified)
 *	...	8	probed (when the last probe ended)
 *	...	2+P	probe (what it found)
 *
 *	Version 1 records end after the note, version 2 after the failure;
 *	they decode with the later fields zero and are written back as
 *	version 3.
 *
 *	The lookup path reads only the first 14 + R bytes through
 *	record_reply_view(). Decoders check every length against what is
 *	left and reject a newer version, unknown enum values, bytes that are
 *	not printable ASCII in text fields and trailing bytes, with a
 *	reason in *err: a corrupt record is an error, never a guess.
 *
 *	record_is_evidence(), record_expiry() and record_idle_since() say
 *	which of the store's indexes a record belongs in: the learned pins
 *	by the time they expire, the evidence-only records by the time of
 *	their last activity (see store.c).
 *
 *	record_text_bad() finds the first byte of a text that a record cannot
 *	hold, so writers can refuse it with a reason before it is stored.
 *
 *	An event record is: version (1), time (8), old state (1), new state
 *	(1), domain (2+D), reason (2+N). A state of EVENT_STATE_NONE (255)
 *	means there was no record before (a new entry) or after (removed).
 */
#include "autoconf.h"

#include <string.h>

#include "le.h"
#include "policy.h"
#include "record.h"

/* A bounded reader over a byte buffer; any overrun sets bad. */
struct record_cursor {
	const unsigned char *p;
	size_t left;
	int bad;
	int badtext;	/* a text field holds a byte it may not */
};

/* A bounded writer; any overflow sets bad. */
struct record_sink {
	unsigned char *p;
	size_t left, used;
	int bad;
};

static uint64_t
record_get(struct record_cursor *c, size_t width)
{
	uint64_t v = 0;

	if (c->bad || c->left < width) {
		c->bad = 1;
		return 0;
	}
	v = le_get(c->p, width);
	c->p += width;
	c->left -= width;
	return v;
}

/* Offset of the first byte of s[0..n) that is not printable ASCII
 * (0x20-0x7e), the only bytes text fields hold; n if there is none. */
size_t
record_text_bad(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	return i;
}

/* Read a length-prefixed printable string of at most max bytes into dst. */
static uint16_t
record_get_text(struct record_cursor *c, char *dst, size_t max)
{
	size_t n = (size_t)record_get(c, 2);

	if (c->bad || n > max || n > c->left) {
		c->bad = 1;
		dst[0] = '\0';
		return 0;
	}
	if (record_text_bad((const char *)c->p, n) != n)
		c->badtext = 1;
	memcpy(dst, c->p, n);
	dst[n] = '\0';
	c->p += n;
	c->left -= n;
	return (uint16_t)n;
}

static void
record_put(struct record_sink *s, uint64_t v, size_t width)
{

	if (s->bad || s->left < width) {
		s->bad = 1;
		return;
	}
	le_put(s->p + s->used, v, width);
	s->used += width;
	s->left -= width;
}

static void
record_put_bytes(struct record_sink *s, const char *src, size_t n)
{
	if (s->bad || s->left < n) {
		s->bad = 1;
		return;
	}
	memcpy(s->p + s->used, src, n);
	s->used += n;
	s->left -= n;
}

static void
record_put_text(struct record_sink *s, const char *src, size_t n)
{
	record_put(s, n, 2);
	record_put_bytes(s, src, n);
}

/* Encode r into buf; returns the length, or 0 if a field is out of range. */
size_t
record_encode(const struct record *r, unsigned char *buf, size_t bufsz)
{
	struct record_sink s = { buf, bufsz, 0, 0 };

	if (r->reply_len > REPLY_MAX || r->match_len > RECORD_MATCH_MAX ||
	    r->note_len > RECORD_NOTE_MAX ||
	    r->streak_hosts_len > RECORD_MATCH_MAX ||
	    r->seen_len > RECORD_SEEN_MAX ||
	    r->failure_len > RECORD_FAILURE_MAX ||
	    r->probe_len > RECORD_PROBE_MAX)
		return 0;
	record_put(&s, RECORD_VERSION, 1);
	record_put(&s, r->state, 1);
	record_put(&s, r->level, 1);
	record_put(&s, r->source, 1);
	record_put(&s, r->expires, 8);
	record_put_text(&s, r->reply, r->reply_len);
	record_put(&s, r->first_seen, 8);
	record_put(&s, r->last_seen, 8);
	record_put(&s, r->last_good, 8);
	record_put(&s, r->pinned_at, 8);
	record_put(&s, r->updated, 8);
	record_put(&s, r->deliveries, 4);
	record_put(&s, r->tls, 4);
	record_put(&s, r->trusted, 4);
	record_put(&s, r->verified, 4);
	record_put(&s, r->plaintext, 4);
	record_put(&s, r->failures, 4);
	record_put_text(&s, r->match, r->match_len);
	record_put_text(&s, r->note, r->note_len);
	record_put(&s, r->streak_first, 8);
	record_put(&s, r->last_plain, 8);
	record_put(&s, r->last_failure, 8);
	record_put(&s, r->streak, 4);
	record_put(&s, r->streak_verified, 4);
	record_put_text(&s, r->streak_hosts, r->streak_hosts_len);
	record_put_text(&s, r->seen, r->seen_len);
	record_put_text(&s, r->failure, r->failure_len);
	record_put(&s, r->streak_trusted, 4);
	record_put(&s, r->probed, 8);
	record_put_text(&s, r->probe, r->probe_len);
	return s.bad ? 0 : s.used;
}

/* Check the version byte; sets *err on a record we cannot read. */
static int
record_version_ok(const unsigned char *buf, size_t len, const char **err)
{
	if (len < 1) {
		*err = "record is empty";
		return 0;
	}
	if (buf[0] < 1 || buf[0] > RECORD_VERSION) {
		*err = buf[0] > RECORD_VERSION ?
		    "record was written by a newer tlspin" :
		    "record has an invalid version byte";
		return 0;
	}
	return 1;
}

/* The lookup's view: expiry and reply bytes, bounds-checked, no copy. */
int
record_reply_view(const unsigned char *buf, size_t len, uint64_t *expires,
    const char **reply, size_t *reply_len, const char **err)
{
	struct record_cursor c = { buf, len, 0, 0 };
	size_t n;

	if (!record_version_ok(buf, len, err))
		return 0;
	if (len < RECORD_HEADER) {
		*err = "record is truncated";
		return 0;
	}
	c.p += 4;
	c.left -= 4;
	*expires = record_get(&c, 8);
	n = (size_t)record_get(&c, 2);
	if (n > REPLY_MAX || n > c.left) {
		*err = "record reply length is out of bounds";
		return 0;
	}
	*reply = (const char *)c.p;
	*reply_len = n;
	return 1;
}

/* A record that holds only evidence: no reply, nobody else's entry. */
int
record_is_evidence(const struct record *r)
{
	return r->reply_len == 0 && (r->state == STATE_OBSERVING ||
	    r->state == STATE_EXPIRED);
}

/* A learned pin that expires: 1 with the time in *when. */
int
record_expiry(const struct record *r, uint64_t *when)
{
	*when = r->expires;
	return (r->state == STATE_ENCRYPT || r->state == STATE_SECURE) &&
	    r->source == SOURCE_LEARNED && r->expires != 0;
}

/* An evidence-only record: 1 with its last activity in *when. */
int
record_idle_since(const struct record *r, uint64_t *when)
{
	uint64_t t = r->last_seen > r->updated ? r->last_seen : r->updated;

	*when = r->first_seen > t ? r->first_seen : t;
	return record_is_evidence(r);
}

/* The version 2 tail: what learning keeps about the current run. */
static void
record_decode_learning(struct record_cursor *c, struct record *r)
{
	r->streak_first = record_get(c, 8);
	r->last_plain = record_get(c, 8);
	r->last_failure = record_get(c, 8);
	r->streak = (uint32_t)record_get(c, 4);
	r->streak_verified = (uint32_t)record_get(c, 4);
	r->streak_hosts_len = record_get_text(c, r->streak_hosts,
	    RECORD_MATCH_MAX);
	r->seen_len = record_get_text(c, r->seen, RECORD_SEEN_MAX);
	r->failure_len = record_get_text(c, r->failure, RECORD_FAILURE_MAX);
}

/* Decode a whole domain record; see the file header. */
int
record_decode(const unsigned char *buf, size_t len, struct record *r,
    const char **err)
{
	struct record_cursor c = { buf, len, 0, 0 };

	memset(r, 0, sizeof(*r));
	if (!record_version_ok(buf, len, err))
		return 0;
	record_get(&c, 1);
	r->state = (uint8_t)record_get(&c, 1);
	r->level = (uint8_t)record_get(&c, 1);
	r->source = (uint8_t)record_get(&c, 1);
	r->expires = record_get(&c, 8);
	r->reply_len = record_get_text(&c, r->reply, REPLY_MAX);
	r->first_seen = record_get(&c, 8);
	r->last_seen = record_get(&c, 8);
	r->last_good = record_get(&c, 8);
	r->pinned_at = record_get(&c, 8);
	r->updated = record_get(&c, 8);
	r->deliveries = (uint32_t)record_get(&c, 4);
	r->tls = (uint32_t)record_get(&c, 4);
	r->trusted = (uint32_t)record_get(&c, 4);
	r->verified = (uint32_t)record_get(&c, 4);
	r->plaintext = (uint32_t)record_get(&c, 4);
	r->failures = (uint32_t)record_get(&c, 4);
	r->match_len = record_get_text(&c, r->match, RECORD_MATCH_MAX);
	r->note_len = record_get_text(&c, r->note, RECORD_NOTE_MAX);
	if (buf[0] >= 2)
		record_decode_learning(&c, r);
	if (buf[0] >= 3) {
		r->streak_trusted = (uint32_t)record_get(&c, 4);
		r->probed = record_get(&c, 8);
		r->probe_len = record_get_text(&c, r->probe, RECORD_PROBE_MAX);
	}
	if (c.bad) {
		*err = "record is truncated or has a field out of bounds";
		return 0;
	}
	if (c.badtext) {
		*err = "a text field (such as the note) holds a byte that is "
		    "not printable ASCII";
		return 0;
	}
	if (c.left != 0) {
		*err = "record has trailing bytes";
		return 0;
	}
	if (r->state >= STATE_COUNT || r->level >= LEVEL_COUNT ||
	    r->source >= SOURCE_COUNT) {
		*err = "record has an unknown state, level or source";
		return 0;
	}
	return 1;
}

/* Same fields? (Field by field: the padding and the bytes after each
 * string's NUL may differ between two equal records.) */
int
record_same(const struct record *a, const struct record *b)
{
	return a->state == b->state && a->level == b->level &&
	    a->source == b->source && a->expires == b->expires &&
	    a->reply_len == b->reply_len &&
	    memcmp(a->reply, b->reply, a->reply_len + 1) == 0 &&
	    a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
	    a->last_good == b->last_good && a->pinned_at == b->pinned_at &&
	    a->updated == b->updated && a->deliveries == b->deliveries &&
	    a->tls == b->tls && a->trusted == b->trusted &&
	    a->verified == b->verified && a->plaintext == b->plaintext &&
	    a->failures == b->failures && a->match_len == b->match_len &&
	    memcmp(a->match, b->match, a->match_len + 1) == 0 &&
	    a->note_len == b->note_len &&
	    memcmp(a->note, b->note, a->note_len + 1) == 0 &&
	    a->streak_first == b->streak_first &&
	    a->last_plain == b->last_plain &&
	    a->last_failure == b->last_failure && a->streak == b->streak &&
	    a->streak_verified == b->streak_verified &&
	    a->streak_hosts_len == b->streak_hosts_len &&
	    memcmp(a->streak_hosts, b->streak_hosts,
	    a->streak_hosts_len + 1) == 0 &&
	    a->seen_len == b->seen_len &&
	    memcmp(a->seen, b->seen, a->seen_len + 1) == 0 &&
	    a->failure_len == b->failure_len &&
	    memcmp(a->failure, b->failure, a->failure_len + 1) == 0 &&
	    a->streak_trusted == b->streak_trusted &&
	    a->probed == b->probed && a->probe_len == b->probe_len &&
	    memcmp(a->probe, b->probe, a->probe_len + 1) == 0;
}

/* Encode an audit event; 0 if a field is out of range. */
size_t
record_event_encode(const struct record_event *e, unsigned char *buf,
    size_t bufsz)
{
	struct record_sink s = { buf, bufsz, 0, 0 };

	if (e->domain_len > KEY_MAX || e->reason_len > EVENT_REASON_MAX)
		return 0;
	record_put(&s, EVENT_VERSION, 1);
	record_put(&s, e->time, 8);
	record_put(&s, e->old_state, 1);
	record_put(&s, e->new_state, 1);
	record_put_text(&s, e->domain, e->domain_len);
	record_put_text(&s, e->reason, e->reason_len);
	return s.bad ? 0 : s.used;
}

/* Decode an audit event. */
int
record_event_decode(const unsigned char *buf, size_t len,
    struct record_event *e, const char **err)
{
	struct record_cursor c = { buf, len, 0, 0 };

	memset(e, 0, sizeof(*e));
	if (len < 1 || buf[0] != EVENT_VERSION) {
		*err = "event record has an unknown version";
		return 0;
	}
	record_get(&c, 1);
	e->time = record_get(&c, 8);
	e->old_state = (uint8_t)record_get(&c, 1);
	e->new_state = (uint8_t)record_get(&c, 1);
	e->domain_len = record_get_text(&c, e->domain, KEY_MAX);
	e->reason_len = record_get_text(&c, e->reason, EVENT_REASON_MAX);
	if (c.bad || c.badtext || c.left != 0) {
		*err = "event record is truncated or malformed";
		return 0;
	}
	if ((e->old_state >= STATE_COUNT && e->old_state != EVENT_STATE_NONE) ||
	    (e->new_state >= STATE_COUNT && e->new_state != EVENT_STATE_NONE)) {
		*err = "event record has an unknown state";
		return 0;
	}
	return 1;
}
