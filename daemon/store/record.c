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

#include "bytes.h"
#include "policy.h"
#include "record.h"

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

/* Read a length-prefixed string of at most max bytes into dst[max + 1];
 * a byte a text may not hold sets *badtext (its own error message). */
static uint16_t
record_get_text(struct bytes_reader *c, char *dst, size_t max, int *badtext)
{
	size_t n;
	const unsigned char *at = bytes_get_view(c, max, &n);

	dst[0] = '\0';
	if (at == NULL)
		return 0;
	if (record_text_bad((const char *)at, n) != n)
		*badtext = 1;
	memcpy(dst, at, n);
	dst[n] = '\0';
	return (uint16_t)n;
}

/* Encode r into buf; returns the length, or 0 if a field is out of range. */
size_t
record_encode(const struct record *r, unsigned char *buf, size_t bufsz)
{
	struct bytes_writer s;

	bytes_writer_init(&s, buf, bufsz);
	if (r->reply_len > REPLY_MAX || r->match_len > RECORD_MATCH_MAX ||
	    r->note_len > RECORD_NOTE_MAX ||
	    r->streak_hosts_len > RECORD_MATCH_MAX ||
	    r->seen_len > RECORD_SEEN_MAX ||
	    r->failure_len > RECORD_FAILURE_MAX ||
	    r->probe_len > RECORD_PROBE_MAX)
		return 0;
	bytes_put_u8(&s, RECORD_VERSION);
	bytes_put_u8(&s, r->state);
	bytes_put_u8(&s, r->level);
	bytes_put_u8(&s, r->source);
	bytes_put_u64(&s, r->expires);
	bytes_put_str(&s, r->reply, r->reply_len);
	bytes_put_u64(&s, r->first_seen);
	bytes_put_u64(&s, r->last_seen);
	bytes_put_u64(&s, r->last_good);
	bytes_put_u64(&s, r->pinned_at);
	bytes_put_u64(&s, r->updated);
	bytes_put_u32(&s, r->deliveries);
	bytes_put_u32(&s, r->tls);
	bytes_put_u32(&s, r->trusted);
	bytes_put_u32(&s, r->verified);
	bytes_put_u32(&s, r->plaintext);
	bytes_put_u32(&s, r->failures);
	bytes_put_str(&s, r->match, r->match_len);
	bytes_put_str(&s, r->note, r->note_len);
	bytes_put_u64(&s, r->streak_first);
	bytes_put_u64(&s, r->last_plain);
	bytes_put_u64(&s, r->last_failure);
	bytes_put_u32(&s, r->streak);
	bytes_put_u32(&s, r->streak_verified);
	bytes_put_str(&s, r->streak_hosts, r->streak_hosts_len);
	bytes_put_str(&s, r->seen, r->seen_len);
	bytes_put_str(&s, r->failure, r->failure_len);
	bytes_put_u32(&s, r->streak_trusted);
	bytes_put_u64(&s, r->probed);
	bytes_put_str(&s, r->probe, r->probe_len);
	return bytes_written(&s);
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
	struct bytes_reader c;
	const unsigned char *at;

	if (!record_version_ok(buf, len, err))
		return 0;
	if (len < RECORD_HEADER) {
		*err = "record is truncated";
		return 0;
	}
	bytes_reader_init(&c, buf + 4, len - 4);
	*expires = bytes_get_u64(&c);
	if ((at = bytes_get_view(&c, REPLY_MAX, reply_len)) == NULL) {
		*err = "record reply length is out of bounds";
		return 0;
	}
	*reply = (const char *)at;
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
record_decode_learning(struct bytes_reader *c, struct record *r,
    int *badtext)
{
	r->streak_first = bytes_get_u64(c);
	r->last_plain = bytes_get_u64(c);
	r->last_failure = bytes_get_u64(c);
	r->streak = bytes_get_u32(c);
	r->streak_verified = bytes_get_u32(c);
	r->streak_hosts_len = record_get_text(c, r->streak_hosts,
	    RECORD_MATCH_MAX, badtext);
	r->seen_len = record_get_text(c, r->seen, RECORD_SEEN_MAX, badtext);
	r->failure_len = record_get_text(c, r->failure, RECORD_FAILURE_MAX,
	    badtext);
}

/* Decode a whole domain record; see the file header. */
int
record_decode(const unsigned char *buf, size_t len, struct record *r,
    const char **err)
{
	struct bytes_reader c;
	int badtext = 0;

	memset(r, 0, sizeof(*r));
	bytes_reader_init(&c, buf, len);
	if (!record_version_ok(buf, len, err))
		return 0;
	(void)bytes_get_u8(&c);	/* the version, checked above */
	r->state = bytes_get_u8(&c);
	r->level = bytes_get_u8(&c);
	r->source = bytes_get_u8(&c);
	r->expires = bytes_get_u64(&c);
	r->reply_len = record_get_text(&c, r->reply, REPLY_MAX,
	    &badtext);
	r->first_seen = bytes_get_u64(&c);
	r->last_seen = bytes_get_u64(&c);
	r->last_good = bytes_get_u64(&c);
	r->pinned_at = bytes_get_u64(&c);
	r->updated = bytes_get_u64(&c);
	r->deliveries = bytes_get_u32(&c);
	r->tls = bytes_get_u32(&c);
	r->trusted = bytes_get_u32(&c);
	r->verified = bytes_get_u32(&c);
	r->plaintext = bytes_get_u32(&c);
	r->failures = bytes_get_u32(&c);
	r->match_len = record_get_text(&c, r->match, RECORD_MATCH_MAX,
	    &badtext);
	r->note_len = record_get_text(&c, r->note, RECORD_NOTE_MAX,
	    &badtext);
	if (buf[0] >= 2)
		record_decode_learning(&c, r, &badtext);
	if (buf[0] >= 3) {
		r->streak_trusted = bytes_get_u32(&c);
		r->probed = bytes_get_u64(&c);
		r->probe_len = record_get_text(&c, r->probe, RECORD_PROBE_MAX,
		    &badtext);
	}
	if (c.bad) {
		*err = "record is truncated or has a field out of bounds";
		return 0;
	}
	if (badtext) {
		*err = "a text field (such as the note) holds a byte that is "
		    "not printable ASCII";
		return 0;
	}
	if (!bytes_end(&c)) {
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
	struct bytes_writer s;

	bytes_writer_init(&s, buf, bufsz);
	if (e->domain_len > KEY_MAX || e->reason_len > EVENT_REASON_MAX)
		return 0;
	bytes_put_u8(&s, EVENT_VERSION);
	bytes_put_u64(&s, e->time);
	bytes_put_u8(&s, e->old_state);
	bytes_put_u8(&s, e->new_state);
	bytes_put_str(&s, e->domain, e->domain_len);
	bytes_put_str(&s, e->reason, e->reason_len);
	return bytes_written(&s);
}

/* Decode an audit event. */
int
record_event_decode(const unsigned char *buf, size_t len,
    struct record_event *e, const char **err)
{
	struct bytes_reader c;
	int badtext = 0;

	memset(e, 0, sizeof(*e));
	bytes_reader_init(&c, buf, len);
	if (len < 1 || buf[0] != EVENT_VERSION) {
		*err = "event record has an unknown version";
		return 0;
	}
	(void)bytes_get_u8(&c);	/* the version, checked above */
	e->time = bytes_get_u64(&c);
	e->old_state = bytes_get_u8(&c);
	e->new_state = bytes_get_u8(&c);
	e->domain_len = record_get_text(&c, e->domain, KEY_MAX, &badtext);
	e->reason_len = record_get_text(&c, e->reason, EVENT_REASON_MAX,
	    &badtext);
	if (badtext || !bytes_end(&c)) {
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
