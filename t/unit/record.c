/*
 * NAME
 *	t/unit/record - tests for the record codec
 * DESCRIPTION
 *	Round trips of domain and event records, the fixed offsets the
 *	lookup path relies on, and rejection (never a crash, never a read
 *	out of bounds) of every truncation, a newer version, bad enum values,
 *	over-long length fields, control bytes and trailing bytes.
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

/* Zero the version 3 tail (the probe). */
static void
zero_probe(struct record *r)
{
	r->streak_trusted = 0;
	r->probed = 0;
	r->probe_len = 0;
	memset(r->probe, 0, sizeof(r->probe));
}

/* A version 2 record (no probe tail) still decodes, tail zeroed. */
static void
test_version2(void)
{
	struct record a, b;
	unsigned char buf[RECORD_ENCODED_MAX];
	const char *err = NULL;
	size_t n, tail = 4 + 8 + 2;

	fill(&a);
	zero_probe(&a);
	n = record_encode(&a, buf, sizeof(buf));
	buf[0] = 2;
	tap_ok(record_decode(buf, n - tail, &b, &err),
	    "version 2 record decodes (%s)", err ? err : "ok");
	tap_ok(memcmp(&a, &b, sizeof(a)) == 0,
	    "version 2 record decodes to the same fields, probe zero");
	tap_ok(!record_decode(buf, n, &b, &err),
	    "version 2 record with a version 3 tail is rejected");
}

/* A version 1 record (no learning tail) still decodes, tail zeroed. */
static void
test_version1(void)
{
	struct record a, b;
	unsigned char buf[RECORD_ENCODED_MAX];
	const char *err = NULL;
	size_t n, tail = 3 * 8 + 2 * 4 + 3 * 2 + 4 + 8 + 2;

	fill(&a);
	zero_probe(&a);
	a.streak_first = a.last_plain = a.last_failure = 0;
	a.streak = a.streak_verified = 0;
	a.streak_hosts_len = a.seen_len = a.failure_len = 0;
	memset(a.streak_hosts, 0, sizeof(a.streak_hosts));
	memset(a.seen, 0, sizeof(a.seen));
	memset(a.failure, 0, sizeof(a.failure));
	n = record_encode(&a, buf, sizeof(buf));
	buf[0] = 1;
	tap_ok(record_decode(buf, n - tail, &b, &err),
	    "version 1 record decodes (%s)", err ? err : "ok");
	tap_ok(memcmp(&a, &b, sizeof(a)) == 0,
	    "version 1 record decodes to the same fields, learning zero");
	tap_ok(!record_decode(buf, n, &b, &err),
	    "version 1 record with a version 2 tail is rejected");
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
