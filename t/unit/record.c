/*
 * NAME
 *	t/unit/record - tests for the record codec
 * DESCRIPTION
 *	Round trips of domain and event records, the fixed offsets the
 *	lookup path relies on, version 1 and 2 records as their encoders
 *	wrote them (bytes kept here) read field by field, and rejection
 *	(never a crash, never a read out of bounds) of every truncation, a
 *	newer version, bad enum values, over-long length fields, control
 *	bytes and trailing bytes.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "record.h"
#include "tap.h"

static void
fill(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->state = STATE_MANUAL;
	r->level = LEVEL_SECURE;
	r->source = SOURCE_MANUAL;
	r->expires = 1900000000;
	r->reply_len = (uint16_t)strlen("secure match=mx.example.com");
	memcpy(r->reply, "secure match=mx.example.com", r->reply_len);
	r->first_seen = 1;
	r->last_seen = 2;
	r->last_good = 3;
	r->pinned_at = 4;
	r->updated = 5;
	r->deliveries = 6;
	r->tls = 7;
	r->trusted = 8;
	r->verified = 9;
	r->plaintext = 10;
	r->failures = 0xffffffffu;
	r->match_len = 14;
	memcpy(r->match, "mx.example.com", 14);
	r->note_len = 4;
	memcpy(r->note, "note", 4);
	r->streak_first = 11;
	r->last_plain = 12;
	r->last_failure = 13;
	r->streak = 14;
	r->streak_verified = 15;
	r->streak_hosts_len = 7;
	memcpy(r->streak_hosts, "mx1:mx2", 7);
	r->seen_len = 12;
	memcpy(r->seen, "mx1=verified", 12);
	r->failure_len = 7;
	memcpy(r->failure, "refused", 7);
	r->streak_trusted = 16;
	r->probed = 17;
	r->probe_len = 8;
	memcpy(r->probe, "verified", 8);
}

/*
 * Records as the old encoders wrote them, kept as bytes: a version 1
 * record from the record_encode of commit cffd78c (171 bytes) and a
 * version 2 one from that of commit 6437442 (242 bytes), each built from
 * that commit's record.c. Today's encoder cannot make them: it writes
 * version 3 only. Integers are little-endian; a text is a 2-byte length
 * and its bytes.
 */
static const unsigned char golden_v1[] = {
	0x01,	/* version 1 */
	0x03, 0x07, 0x01,	/* state 3, level 7, source 1 */
	/* expires 1900000000 */
	0x00, 0xb3, 0x3f, 0x71, 0x00, 0x00, 0x00, 0x00,
	/* reply, 44 bytes: */
	/* "secure match=mx1.example.com:mx2.example.com" */
	0x2c, 0x00,
	0x73, 0x65, 0x63, 0x75, 0x72, 0x65, 0x20, 0x6d,
	0x61, 0x74, 0x63, 0x68, 0x3d, 0x6d, 0x78, 0x31,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x2e, 0x63, 0x6f, 0x6d, 0x3a, 0x6d, 0x78, 0x32,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x2e, 0x63, 0x6f, 0x6d,
	/* first_seen 1700000001 */
	0x01, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_seen 1700000002 */
	0x02, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_good 1700000003 */
	0x03, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* pinned_at 1700000004 */
	0x04, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* updated 0x102030405060708 */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	0x06, 0x00, 0x00, 0x00,	/* deliveries 6 */
	0x07, 0x00, 0x00, 0x00,	/* tls 7 */
	0x08, 0x00, 0x00, 0x00,	/* trusted 8 */
	0x09, 0x00, 0x00, 0x00,	/* verified 9 */
	0x0a, 0x00, 0x00, 0x00,	/* plaintext 10 */
	0xff, 0xff, 0xff, 0xff,	/* failures 4294967295 */
	/* match, 31 bytes: "mx1.example.com:mx2.example.com" */
	0x1f, 0x00,
	0x6d, 0x78, 0x31, 0x2e, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x3a,
	0x6d, 0x78, 0x32, 0x2e, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
	/* note, 14 bytes: "pinned by hand" */
	0x0e, 0x00,
	0x70, 0x69, 0x6e, 0x6e, 0x65, 0x64, 0x20, 0x62,
	0x79, 0x20, 0x68, 0x61, 0x6e, 0x64,
};

static const unsigned char golden_v2[] = {
	0x02,	/* version 2 */
	0x01, 0x02, 0x00,	/* state 1, level 2, source 0 */
	/* expires 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* reply, 7 bytes: "encrypt" */
	0x07, 0x00,
	0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74,
	/* first_seen 1700000011 */
	0x0b, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_seen 1700000012 */
	0x0c, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_good 1700000013 */
	0x0d, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* pinned_at 1700000014 */
	0x0e, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* updated 1700000015 */
	0x0f, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	0x15, 0x00, 0x00, 0x00,	/* deliveries 21 */
	0x14, 0x00, 0x00, 0x00,	/* tls 20 */
	0x13, 0x00, 0x00, 0x00,	/* trusted 19 */
	0x00, 0x00, 0x00, 0x00,	/* verified 0 */
	0x01, 0x00, 0x00, 0x00,	/* plaintext 1 */
	0x02, 0x00, 0x00, 0x00,	/* failures 2 */
	0x00, 0x00,	/* match length 0 */
	0x00, 0x00,	/* note length 0 */
	/* streak_first 1700000016 */
	0x10, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_plain 1700000017 */
	0x11, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
	/* last_failure 0xa0b0c0d0e0f1011 */
	0x11, 0x10, 0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a,
	0x12, 0x00, 0x00, 0x00,	/* streak 18 */
	0x01, 0x00, 0x00, 0x80,	/* streak_verified 2147483649 */
	/* streak_hosts, 30 bytes: "mx.example.net:mx2.example.net" */
	0x1e, 0x00,
	0x6d, 0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74, 0x3a, 0x6d,
	0x78, 0x32, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74,
	/* seen, 48 bytes: */
	/* "mx.example.net=trusted mx2.example.net=anonymous" */
	0x30, 0x00,
	0x6d, 0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74, 0x3d, 0x74,
	0x72, 0x75, 0x73, 0x74, 0x65, 0x64, 0x20, 0x6d,
	0x78, 0x32, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74, 0x3d, 0x61,
	0x6e, 0x6f, 0x6e, 0x79, 0x6d, 0x6f, 0x75, 0x73,
	/* failure, 37 bytes: "4.7.5 Server certificate not verified" */
	0x25, 0x00,
	0x34, 0x2e, 0x37, 0x2e, 0x35, 0x20, 0x53, 0x65,
	0x72, 0x76, 0x65, 0x72, 0x20, 0x63, 0x65, 0x72,
	0x74, 0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x65,
	0x20, 0x6e, 0x6f, 0x74, 0x20, 0x76, 0x65, 0x72,
	0x69, 0x66, 0x69, 0x65, 0x64,
};

/* What golden_v1 holds: its fields, and everything after the note zero. */
static void
want_v1(struct record *w)
{
	memset(w, 0, sizeof(*w));
	w->state = STATE_MANUAL;
	w->level = LEVEL_SECURE;
	w->source = SOURCE_MANUAL;
	w->expires = 1900000000;
	w->reply_len = 44;
	memcpy(w->reply, "secure match=mx1.example.com:mx2.example.com", 44);
	w->first_seen = 1700000001;
	w->last_seen = 1700000002;
	w->last_good = 1700000003;
	w->pinned_at = 1700000004;
	w->updated = 0x0102030405060708ull;
	w->deliveries = 6;
	w->tls = 7;
	w->trusted = 8;
	w->verified = 9;
	w->plaintext = 10;
	w->failures = 0xffffffffu;
	w->match_len = 31;
	memcpy(w->match, "mx1.example.com:mx2.example.com", 31);
	w->note_len = 14;
	memcpy(w->note, "pinned by hand", 14);
}

/* What golden_v2 holds: its fields, and the probe's zero. */
static void
want_v2(struct record *w)
{
	memset(w, 0, sizeof(*w));
	w->state = STATE_ENCRYPT;
	w->level = LEVEL_ENCRYPT;
	w->source = SOURCE_LEARNED;
	w->reply_len = 7;
	memcpy(w->reply, "encrypt", 7);
	w->first_seen = 1700000011;
	w->last_seen = 1700000012;
	w->last_good = 1700000013;
	w->pinned_at = 1700000014;
	w->updated = 1700000015;
	w->deliveries = 21;
	w->tls = 20;
	w->trusted = 19;
	w->plaintext = 1;
	w->failures = 2;
	w->streak_first = 1700000016;
	w->last_plain = 1700000017;
	w->last_failure = 0x0a0b0c0d0e0f1011ull;
	w->streak = 18;
	w->streak_verified = 0x80000001u;
	w->streak_hosts_len = 30;
	memcpy(w->streak_hosts, "mx.example.net:mx2.example.net", 30);
	w->seen_len = 48;
	memcpy(w->seen, "mx.example.net=trusted mx2.example.net=anonymous",
	    48);
	w->failure_len = 37;
	memcpy(w->failure, "4.7.5 Server certificate not verified", 37);
}

#define IS_NUM(f) tap_is_int((long long)g->f, (long long)w->f, \
	    (snprintf(name, sizeof(name), "%s: " #f, v), name))
#define IS_TEXT(f) tap_is_mem(g->f, g->f##_len, w->f, w->f##_len, \
	    (snprintf(name, sizeof(name), "%s: " #f, v), name))

/* Every field of g is that of w, one check each, named "V: field". */
static void
check_fields(const struct record *g, const struct record *w, const char *v)
{
	char name[128];

	IS_NUM(state);
	IS_NUM(level);
	IS_NUM(source);
	IS_NUM(expires);
	IS_TEXT(reply);
	IS_NUM(first_seen);
	IS_NUM(last_seen);
	IS_NUM(last_good);
	IS_NUM(pinned_at);
	IS_NUM(updated);
	IS_NUM(deliveries);
	IS_NUM(tls);
	IS_NUM(trusted);
	IS_NUM(verified);
	IS_NUM(plaintext);
	IS_NUM(failures);
	IS_TEXT(match);
	IS_TEXT(note);
	IS_NUM(streak_first);
	IS_NUM(last_plain);
	IS_NUM(last_failure);
	IS_NUM(streak);
	IS_NUM(streak_verified);
	IS_TEXT(streak_hosts);
	IS_TEXT(seen);
	IS_TEXT(failure);
	IS_NUM(streak_trusted);
	IS_NUM(probed);
	IS_TEXT(probe);
}

#undef IS_NUM
#undef IS_TEXT

/*
 * An old record, as its encoder wrote it, decoded by today's decoder:
 * every field as written, the later ones zero; the lookup's view reads
 * it; written back, it is version 3 with the same fields; with a tail
 * of the next version (zeros) or cut anywhere it is rejected.
 */
static void
test_old_version(const unsigned char *golden, size_t n, size_t next_tail,
    const struct record *want, const char *v)
{
	struct record got, again;
	unsigned char buf[RECORD_ENCODED_MAX], *copy;
	const char *err = NULL, *reply;
	size_t m, rlen, i;
	uint64_t exp;
	int rejected = 1;

	tap_ok(record_decode(golden, n, &got, &err), "%s: decodes (%s)", v,
	    err ? err : "ok");
	check_fields(&got, want, v);
	tap_ok(record_reply_view(golden, n, &exp, &reply, &rlen, &err) &&
	    exp == want->expires && rlen == want->reply_len &&
	    memcmp(reply, want->reply, rlen) == 0,
	    "%s: the lookup's view gives its expiry and reply", v);
	m = record_encode(&got, buf, sizeof(buf));
	tap_ok(m > 0 && buf[0] == RECORD_VERSION &&
	    record_decode(buf, m, &again, &err) && record_same(&again, want),
	    "%s: written back as version %d, same fields", v, RECORD_VERSION);
	memcpy(buf, golden, n);
	memset(buf + n, 0, next_tail);
	tap_ok(!record_decode(buf, n + next_tail, &got, &err),
	    "%s: with the next version's tail: rejected (%s)", v, err);
	for (i = 0; i < n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, golden, i);
		if (record_decode(copy, i, &got, &err))
			rejected = 0;
		free(copy);
	}
	tap_ok(rejected, "%s: every truncation is rejected", v);
}

static void
test_version1(void)
{
	struct record w;

	want_v1(&w);
	test_old_version(golden_v1, sizeof(golden_v1),
	    3 * 8 + 2 * 4 + 3 * 2, &w, "version 1");
}

static void
test_version2(void)
{
	struct record w;

	want_v2(&w);
	test_old_version(golden_v2, sizeof(golden_v2), 4 + 8 + 2, &w,
	    "version 2");
}

static void
test_roundtrip(void)
{
	struct record a, b;
	unsigned char buf[RECORD_ENCODED_MAX], again[RECORD_ENCODED_MAX];
	const char *err = NULL, *reply;
	size_t n, m, rlen;
	uint64_t exp;

	fill(&a);
	n = record_encode(&a, buf, sizeof(buf));
	tap_ok(n > RECORD_HEADER, "encode writes %zu bytes", n);
	tap_is_int(buf[0], RECORD_VERSION, "version byte at offset 0");
	tap_is_int(buf[4] | buf[5] << 8 | buf[6] << 16 | (long long)buf[7] << 24,
	    1900000000, "expiry little-endian at offset 4");
	tap_is_int(buf[12] | buf[13] << 8, a.reply_len, "reply length at 12");
	tap_is_mem(buf + 14, a.reply_len, a.reply, a.reply_len,
	    "reply bytes at 14");
	tap_ok(record_decode(buf, n, &b, &err), "decode succeeds");
	m = record_encode(&b, again, sizeof(again));
	tap_is_mem(again, m, buf, n, "re-encoding gives the same bytes");
	tap_is_str(b.match, "mx.example.com", "match survives");
	tap_is_int(b.failures, 0xffffffffu, "counters survive");
	tap_ok(record_reply_view(buf, n, &exp, &reply, &rlen, &err),
	    "reply view succeeds");
	tap_is_mem(reply, rlen, a.reply, a.reply_len, "view reply");
	tap_is_int((long long)exp, 1900000000, "view expiry");
	tap_is_int((long long)record_encode(&a, buf, n - 1), 0,
	    "encode into a short buffer fails");
}

static void
test_corrupt(void)
{
	struct record a, b;
	unsigned char buf[RECORD_ENCODED_MAX], *copy;
	const char *err, *reply;
	size_t n, i, rlen;
	uint64_t exp;
	int rejected = 1;

	fill(&a);
	n = record_encode(&a, buf, sizeof(buf));
	/* exact-size heap copies let ASan catch any read past the end */
	for (i = 0; i < n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, buf, i);
		if (record_decode(copy, i, &b, &err))
			rejected = 0;
		free(copy);
	}
	tap_ok(rejected, "every truncation is rejected");
	copy = malloc(n + 1);
	memcpy(copy, buf, n);
	copy[n] = 0;
	tap_ok(!record_decode(copy, n + 1, &b, &err), "trailing byte rejected: %s",
	    err);
	free(copy);
	buf[0] = RECORD_VERSION + 1;
	tap_ok(!record_decode(buf, n, &b, &err) && strstr(err, "newer"),
	    "newer version rejected: %s", err);
	tap_ok(!record_reply_view(buf, n, &exp, &reply, &rlen, &err),
	    "view rejects newer version too");
	buf[0] = RECORD_VERSION;
	buf[1] = STATE_COUNT;
	tap_ok(!record_decode(buf, n, &b, &err), "unknown state rejected");
	buf[1] = STATE_MANUAL;
	buf[12] = 0xff;
	buf[13] = 0xff;
	tap_ok(!record_decode(buf, n, &b, &err), "huge reply length rejected");
	tap_ok(!record_reply_view(buf, n, &exp, &reply, &rlen, &err),
	    "view rejects huge reply length");
	buf[12] = (unsigned char)a.reply_len;
	buf[13] = 0;
	buf[14] = '\n';
	tap_ok(!record_decode(buf, n, &b, &err) && strstr(err, "printable"),
	    "control byte in text rejected, and said so: %s", err);
	tap_ok(!record_decode(buf, 0, &b, &err), "empty record rejected");
	tap_ok(!record_reply_view(buf, 5, &exp, &reply, &rlen, &err),
	    "view rejects a short header");
}

static void
test_event(void)
{
	struct record_event e = { 0 }, f;
	unsigned char buf[EVENT_ENCODED_MAX];
	const char *err;
	size_t n, i;
	int rejected = 1;

	e.time = 1800000000;
	e.old_state = EVENT_STATE_NONE;
	e.new_state = STATE_MANUAL;
	e.domain_len = 11;
	memcpy(e.domain, "example.com", 11);
	e.reason_len = 15;
	memcpy(e.reason, "pinned by admin", 15);
	n = record_event_encode(&e, buf, sizeof(buf));
	tap_ok(n > 0 && record_event_decode(buf, n, &f, &err),
	    "event round trip");
	tap_is_str(f.domain, "example.com", "event domain");
	tap_is_str(f.reason, "pinned by admin", "event reason");
	tap_is_int(f.old_state, EVENT_STATE_NONE, "event old state none");
	for (i = 0; i < n; i++)
		if (record_event_decode(buf, i, &f, &err))
			rejected = 0;
	tap_ok(rejected, "every event truncation is rejected");
}

/* record_text_bad finds the first byte a text field cannot hold. */
static void
test_text_bad(void)
{
	tap_is_int((long long)record_text_bad("plain note", 10), 10,
	    "printable ASCII is whole");
	tap_is_int((long long)record_text_bad("a\tb", 3), 1, "a tab at 1");
	tap_is_int((long long)record_text_bad("ab\r", 3), 2, "a CR at 2");
	tap_is_int((long long)record_text_bad("\303\274", 2), 0,
	    "UTF-8 at 0");
	tap_is_int((long long)record_text_bad("x\177", 2), 1, "DEL at 1");
	tap_is_int((long long)record_text_bad("", 0), 0, "empty is whole");
}

int
main(void)
{
	test_text_bad();
	test_roundtrip();
	test_version1();
	test_version2();
	test_corrupt();
	test_event();
	return tap_done();
}
