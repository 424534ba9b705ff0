/*
 * NAME
 *	t/unit/hints - tests for the pid -> queried next hop table
 * DESCRIPTION
 *	hints_find() confirms the next hop of a delivery: the recipient's
 *	domain when that pid asked for it within [t - HINTS_MAX_AGE,
 *	t + HINTS_SLACK], else the relay's name when it asked for that, else
 *	nothing (a query for anything else is another delivery's, or the
 *	delivery's own query was lost); each pid keeps HINTS_RING
 *	queries and the table HINTS_PIDS pids; parent lookups (".example")
 *	and malformed queries are never kept. Then the wire codec: round
 *	trips, a sequence in one datagram, and rejection of every
 *	truncation, an empty or over-long key and a NUL in the key.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hints.h"
#include "tap.h"

#define T0 ((uint64_t)1795000000)

static struct hints *H;

static void
add(uint32_t pid, uint64_t t, const char *key)
{
	struct hint q;

	memset(&q, 0, sizeof(q));
	q.pid = pid;
	q.time = t;
	q.keylen = (uint16_t)strlen(key);
	memcpy(q.key, key, q.keylen + 1);
	hints_add(H, &q);
}

/* hints_find as text, for a delivery to rcpt via relay: the key or "-". */
static const char *
find2(unsigned long pid, uint64_t t, const char *rcpt, const char *relay)
{
	static char out[KEY_MAX + 1];

	if (!hints_find(H, pid, t, rcpt, relay, out, sizeof(out)))
		return "-";
	return out;
}

/* The same with the MX named after nothing the pid asked. */
static const char *
find(unsigned long pid, uint64_t t, const char *rcpt)
{
	return find2(pid, t, rcpt, "mx.unrelated.example");
}

static void
reset(void)
{
	hints_free(H);
	H = hints_new();
}

static void
test_window(void)
{
	reset();
	tap_is_str(find(100, T0, "a.example"), "-", "an unknown pid: none");
	add(100, T0, "a.example");
	tap_is_str(find(100, T0, "a.example"), "a.example",
	    "the pid asked for the recipient's domain, at the same second");
	tap_is_str(find(100, T0 + HINTS_MAX_AGE, "a.example"), "a.example",
	    "HINTS_MAX_AGE after it: still");
	tap_is_str(find(100, T0 + HINTS_MAX_AGE + 1, "a.example"), "-",
	    "one second more: too old");
	tap_is_str(find(100, T0 - HINTS_SLACK, "a.example"), "a.example",
	    "a log stamp HINTS_SLACK before the query: still");
	tap_is_str(find(100, T0 - HINTS_SLACK - 1, "a.example"), "-",
	    "one second more before it: the query came after");
	tap_is_str(find(100, T0, "x.example"), "-",
	    "a query for another domain does not explain this delivery");
	tap_is_str(find(101, T0, "a.example"), "-", "another pid: none");
	tap_is_str(find(0, T0, "a.example"), "-", "pid 0: none");
	tap_is_str(find(100 + ((unsigned long)1 << 32), T0, "a.example"), "-",
	    "a pid beyond 32 bits is not the same pid");
	{
		char small[4];

		tap_is_int(hints_find(H, 100, T0, "a.example", "mx", small,
		    sizeof(small)), 0, "a key longer than out: none");
	}
}

static void
test_prefer(void)
{
	reset();
	add(200, T0, "rcpt.example");
	add(200, T0 + 10, "relay.example");
	add(200, T0 + 20, "later.example");
	tap_is_str(find2(200, T0 + 30, "rcpt.example", "relay.example"),
	    "rcpt.example", "the recipient's domain is preferred when the pid "
	    "asked for it");
	tap_is_str(find2(200, T0 + 30, "other.example", "Relay.Example"),
	    "relay.example", "else the relay's name (any case) when it asked "
	    "for that: a relayhost or [host] transport");
	tap_is_str(find2(200, T0 + 30, "other.example", "mx.other.example"),
	    "-", "else nothing, however recent the pid's other queries");
	tap_is_str(find2(200, T0 + 5, "other.example", "relay.example"), "-",
	    "a query 5 s after the line's stamp is not its");
	tap_is_str(find2(200, T0 + 8, "other.example", "relay.example"),
	    "relay.example", "a query HINTS_SLACK after the line's stamp "
	    "counts");
	tap_is_str(find2(200, T0 + HINTS_MAX_AGE + 5, "rcpt.example",
	    "relay.example"), "relay.example",
	    "the recipient's query too old: the relay's");

	/* helper-10's case: the delivery's own query was lost, the same
	 * pid asked for the next domain in the same second */
	reset();
	add(443, T0, "observe6.test");
	tap_is_str(find2(443, T0, "down5.test", "mx.good.test"), "-",
	    "a lost hint is not replaced by the next delivery's query");
}

static void
test_ring(void)
{
	char key[32];
	int i;

	reset();
	for (i = 0; i < HINTS_RING + 1; i++) {
		snprintf(key, sizeof(key), "q%d.example", i);
		add(400, T0 + (uint64_t)i, key);
	}
	tap_is_str(find(400, T0 + 10, "q0.example"), "-",
	    "HINTS_RING + 1 queries: the first is gone");
	tap_is_str(find(400, T0 + 10, "q1.example"), "q1.example",
	    "the second is kept");
	snprintf(key, sizeof(key), "q%d.example", HINTS_RING);
	tap_is_str(find(400, T0 + 10, key), key, "the latest");
}

static void
test_not_stored(void)
{
	struct hint q;

	reset();
	add(500, T0, ".example.com");
	tap_is_str(find(500, T0, "example.com"), "-",
	    "a parent lookup (leading dot) is never kept");
	add(500, T0, "example.com");
	add(500, T0 + 1, ".example.com");
	tap_is_str(find(500, T0 + 1, "example.com"), "example.com",
	    "nor does it push out the query before it");
	add(0, T0, "zero.example");
	tap_is_str(find(0, T0, "zero.example"), "-", "pid 0 is never kept");
	add(501, T0, "");
	tap_is_str(find(501, T0, ""), "-", "an empty key is never kept");
	memset(&q, 0, sizeof(q));
	q.pid = 502;
	q.time = T0;
	q.keylen = KEY_MAX + 1;
	memset(q.key, 'a', KEY_MAX);
	hints_add(H, &q);
	q.key[KEY_MAX] = '\0';
	tap_is_str(find(502, T0, q.key), "-",
	    "a key longer than KEY_MAX is never kept");
	add(503, 0, "notime.example");
	tap_is_str(find(503, 0, "notime.example"), "notime.example",
	    "a query without a time is kept (as time 1)");
}

static void
test_pids(void)
{
	char key[32];
	uint32_t pid;
	int lost = 0;

	reset();
	for (pid = 1; pid <= HINTS_PIDS; pid++) {
		snprintf(key, sizeof(key), "p%u.example", (unsigned)pid);
		add(pid, T0, key);
	}
	add(1, T0 + 1, "again.example");
	add(HINTS_PIDS + 1, T0 + 1, "new.example");
	tap_is_str(find(2, T0 + 1, "p2.example"), "-",
	    "one pid too many: the least recently used is forgotten");
	tap_is_str(find(1, T0 + 1, "again.example"), "again.example",
	    "a pid used again since is kept");
	tap_is_str(find(HINTS_PIDS + 1, T0 + 1, "new.example"), "new.example",
	    "the new one is there");
	for (pid = 3; pid <= HINTS_PIDS; pid++) {
		snprintf(key, sizeof(key), "p%u.example", (unsigned)pid);
		if (strcmp(find(pid, T0, key), key) != 0)
			lost++;
	}
	tap_is_int(lost, 0, "the others are all kept");
}

static void
test_extreme_times(void)
{
	reset();
	add(600, UINT64_MAX - 1, "late.example");
	tap_is_str(find(600, UINT64_MAX - 1, "late.example"), "late.example",
	    "times at the end of uint64 do not wrap around");
	tap_is_str(find(600, UINT64_MAX, "late.example"), "late.example",
	    "nor one second later");
	add(601, 1, "early.example");
	tap_is_str(find(601, UINT64_MAX, "early.example"), "-",
	    "an ancient query is too old for any later time");
}

static void
test_codec(void)
{
	struct hint q, back;
	unsigned char wire[3 * (14 + KEY_MAX)], small[14 + KEY_MAX];
	size_t n, len, off, bad = 0;
	int i;

	memset(&q, 0, sizeof(q));
	q.pid = 0x01020304;
	q.time = 0x1122334455667788ULL;
	q.keylen = 11;
	memcpy(q.key, "example.com", 12);
	n = hints_encode(&q, wire, sizeof(wire));
	tap_is_int((long long)n, 25, "encoded: 14 + key bytes");
	tap_is_mem(wire, 14, "\x04\x03\x02\x01\x88\x77\x66\x55\x44\x33\x22\x11"
	    "\x0b\x00", 14, "little-endian pid, time, key length");
	tap_is_mem(wire + 14, 11, "example.com", 11, "then the key");
	tap_is_int((long long)hints_decode(wire, n, &back), 25,
	    "decode uses exactly those bytes");
	tap_ok(back.pid == q.pid && back.time == q.time &&
	    back.keylen == q.keylen && strcmp(back.key, q.key) == 0,
	    "and gives the same hint");
	tap_is_int((long long)hints_encode(&q, small, n - 1), 0,
	    "encode into a buffer one byte short: 0");

	for (len = 0; len < n; len++)
		if (hints_decode(wire, len, &back) != 0)
			bad++;
	tap_is_int((long long)bad, 0, "every truncation is rejected");

	/* a datagram of three */
	off = 0;
	for (i = 0; i < 3; i++) {
		q.pid = (uint32_t)(i + 1);
		q.keylen = (uint16_t)(i == 2 ? KEY_MAX : 5 + i);
		memset(q.key, 'a' + i, q.keylen);
		q.key[q.keylen] = '\0';
		off += hints_encode(&q, wire + off, sizeof(wire) - off);
	}
	for (i = 0, len = 0; len < off; i++) {
		n = hints_decode(wire + len, off - len, &back);
		if (n == 0 || back.pid != (uint32_t)(i + 1) ||
		    back.key[0] != 'a' + i ||
		    back.keylen != (i == 2 ? KEY_MAX : 5 + i))
			break;
		len += n;
	}
	tap_ok(i == 3 && len == off,
	    "three hints in one datagram decode one after another, the last "
	    "with a KEY_MAX key");

	memset(&q, 0, sizeof(q));
	q.pid = 7;
	q.keylen = 3;
	memcpy(q.key, "a.b", 4);
	n = hints_encode(&q, wire, sizeof(wire));
	wire[12] = 0;
	wire[13] = 0;
	tap_is_int((long long)hints_decode(wire, n, &back), 0,
	    "key length 0 is rejected");
	wire[12] = (unsigned char)((KEY_MAX + 1) & 0xff);
	wire[13] = (unsigned char)((KEY_MAX + 1) >> 8);
	memset(wire + 14, 'a', KEY_MAX + 1);
	tap_is_int((long long)hints_decode(wire, 14 + KEY_MAX + 1, &back), 0,
	    "key length KEY_MAX + 1 is rejected, bytes or not");
	wire[12] = 0xff;
	wire[13] = 0xff;
	tap_is_int((long long)hints_decode(wire, sizeof(wire), &back), 0,
	    "key length 65535 is rejected");
	n = hints_encode(&q, wire, sizeof(wire));
	wire[15] = '\0';
	tap_is_int((long long)hints_decode(wire, n, &back), 0,
	    "a NUL in the key is rejected");
	q.keylen = KEY_MAX + 1;
	tap_is_int((long long)hints_encode(&q, wire, sizeof(wire)), 0,
	    "encode refuses a key longer than KEY_MAX");
}

/* Receive one datagram from fd and decode its hints into q; how many. */
static size_t
forward_recv(int fd, struct hint *q, size_t max)
{
	unsigned char buf[HINTS_WIRE_MAX];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t off = 0, used, i;

	for (i = 0; n > 0 && i < max && off < (size_t)n; i++) {
		used = hints_decode(buf + off, (size_t)n - off, &q[i]);
		if (used == 0)
			break;
		off += used;
	}
	return i;
}

/* The sending side, over a real datagram socket pair. */
static void
test_forward(void)
{
	struct hints_forward *f = hints_forward_new();
	struct hint q[HINTS_KEPT + 1];
	char key[32];
	int sv[2], i;

	if (f == NULL || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
		printf("Bail out! hints_forward_new or socketpair\n");
		exit(99);
	}
	hints_forward_add(f, 10, 1000, "early.test", 10);
	hints_forward_set_fd(f, sv[0]);
	tap_is_int((long long)forward_recv(sv[1], q, 4), 1,
	    "a new learner first gets the lookups before it");
	tap_is_str(q[0].key, "early.test", "with the key");
	hints_forward_add(f, 11, 1001, "a.test", 6);
	hints_forward_add(f, 0, 1001, "nopid.test", 10);
	hints_forward_add(f, 12, 1001, ".parent.test", 12);
	hints_forward_add(f, 13, 1002, "b.test", 6);
	tap_is_int((long long)forward_recv(sv[1], q, 4), 0,
	    "nothing is sent before the flush");
	hints_forward_flush(f);
	tap_is_int((long long)forward_recv(sv[1], q, 4), 2,
	    "one datagram, without pid 0 or a parent lookup");
	tap_ok(q[0].pid == 11 && q[0].time == 1001 && q[1].pid == 13 &&
	    strcmp(q[1].key, "b.test") == 0, "pid, time and key in order");
	hints_forward_set_fd(f, -1);
	hints_forward_add(f, 14, 1003, "c.test", 6);
	hints_forward_flush(f);
	tap_is_int((long long)forward_recv(sv[1], q, 4), 0,
	    "no learner: nothing sent");
	for (i = 0; i < HINTS_KEPT; i++) {
		snprintf(key, sizeof(key), "k%d.test", i);
		hints_forward_add(f, 100 + (uint32_t)i, 2000, key, strlen(key));
	}
	hints_forward_set_fd(f, sv[0]);
	tap_is_int((long long)forward_recv(sv[1], q, HINTS_KEPT + 1),
	    HINTS_KEPT, "a restarted learner gets the last HINTS_KEPT");
	tap_is_str(q[0].key, "k0.test", "oldest first");
	close(sv[0]);
	close(sv[1]);
	hints_forward_free(f);
}

int
main(void)
{
	test_window();
	test_prefer();
	test_ring();
	test_not_stored();
	test_pids();
	test_extreme_times();
	test_codec();
	test_forward();
	hints_free(H);
	return tap_done();
}
