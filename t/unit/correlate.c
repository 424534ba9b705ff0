/*
 * NAME
 *	t/unit/correlate - tests for joining an smtp pid's lines into deliveries
 * DESCRIPTION
 *	Log lines written the way Postfix 3.7 writes them (see
 *	t/data/postfix-3.7/sender*.log) go through logparse_line() and
 *	correlate_feed(), and the observations that come out are checked:
 *	TLS or in clear and at which level, which next-hop domain, and what
 *	counts for nothing (content filters, LAN relays, failures that are
 *	not about TLS, more recipients of one message, lmtp).
 *
 *	Then the table itself: eviction of the least recently used pid,
 *	correlate_save()/correlate_load() (a state saved and loaded at any
 *	point of a sequence gives the same observations as no interruption,
 *	and saving the loaded state gives the same bytes), the largest table
 *	fits CORRELATE_SAVE_MAX, and correlate_load() rejects every
 *	truncation, trailing bytes and inconsistent tables, leaving the
 *	table empty.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "learn.h"
#include "logparse.h"
#include "tap.h"

#define T0 ((uint64_t)1795000000)

static struct correlator *C;
static struct correlate_out OUT;

/* A few line buffers, so that two lines can be built in one call. */
static char *
buf(void)
{
	static char lines[4][4096];
	static int i;

	i = (i + 1) % 4;
	return lines[i];
}

/* "LEVEL TLS connection established to HOST[ADDR]:PORT: ..." */
static const char *
tls_line(unsigned pid, const char *level, const char *host,
    const char *addr, unsigned port)
{
	char *b = buf();

	snprintf(b, 4096, "Nov 23 11:10:36 sender postfix/smtp[%u]: %s TLS "
	    "connection established to %s[%s]:%u: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
	    "server-signature RSA-PSS (2048 bits) server-digest SHA256",
	    pid, level, host, addr, port);
	return b;
}

/* "QUEUEID: to=<RCPT>, relay=HOST[ADDR]:PORT, [EXTRA]..., status=..." */
static const char *
dlv_line(unsigned pid, const char *qid, const char *rcpt, const char *host,
    const char *addr, unsigned port, const char *extra, const char *dsn,
    const char *status, const char *reason)
{
	char *b = buf();

	snprintf(b, 4096, "Nov 23 11:10:36 sender postfix/smtp[%u]: %s: "
	    "to=<%s>, relay=%s[%s]:%u, %sdelay=0.52, delays=0.01/0.05/0.29/"
	    "0.17, dsn=%s, status=%s (%s)", pid, qid, rcpt, host, addr, port,
	    extra, dsn, status, reason);
	return b;
}

/* A delivery that went through: sent, 250. */
static const char *
sent(unsigned pid, const char *qid, const char *rcpt, const char *host,
    const char *addr, unsigned port)
{
	return dlv_line(pid, qid, rcpt, host, addr, port, "", "2.0.0", "sent",
	    "250 2.0.0 Ok: queued as 5636AA7624A");
}

/* One line through the parser and the correlator; 1 with OUT set. */
static int
feed(const char *line, uint64_t t)
{
	struct logparse_event ev;

	logparse_line(line, strlen(line), &ev);
	memset(&OUT, 0, sizeof(OUT));
	return correlate_feed(C, &ev, t, &OUT);
}

static void
reset(int private_mx)
{
	correlate_free(C);
	C = correlate_new();
	correlate_set_private_mx(C, private_mx);
}

/* Did the last line give this observation? */
static void
is_obs(int got, enum learn_kind kind, int level, const char *domain,
    const char *name)
{
	int ok = got == 1 && OUT.obs.kind == kind && OUT.obs.level == level &&
	    strcmp(OUT.domain, domain) == 0;

	tap_ok(ok, "%s", name);
	if (!ok)
		printf("# got %d: kind %d level %d domain \"%s\"; want kind %d "
		    "level %d domain \"%s\"\n", got, got ? (int)OUT.obs.kind : 0,
		    got ? OUT.obs.level : 0, OUT.domain, (int)kind, level,
		    domain);
}

static void
test_tls_and_plain(void)
{
	static const char *const levels[] = {
		"Anonymous", "Untrusted", "Trusted", "Verified"
	};
	int i, got;

	reset(0);
	for (i = 0; i < 4; i++) {
		feed(tls_line(437, levels[i], "mx.example.com", "192.0.2.25",
		    25), T0 + (uint64_t)i * 10);
		got = feed(sent(437, i % 2 ? "24CA1A76240" : "05FE4A7623D",
		    "user0@Example.COM", "mx.example.com", "192.0.2.25", 25),
		    T0 + (uint64_t)i * 10 + 1);
		is_obs(got, LEARN_TLS, TLSLEVEL_ANONYMOUS + i, "example.com",
		    levels[i]);
	}
	tap_ok(strcmp(OUT.obs.host, "mx.example.com") == 0 &&
	    strcmp(OUT.queue_id, "24CA1A76240") == 0 &&
	    OUT.obs.time == T0 + 31 && OUT.obs.reason[0] == '\0',
	    "the observation has the host, queue id and time of the delivery");
	tap_is_int(correlate_stats(C)->deliveries, 4, "stats: 4 deliveries");

	got = feed(sent(441, "D0E54A76298", "during@open2.example",
	    "mx.plain.example", "198.51.100.5", 25), T0 + 100);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "open2.example",
	    "a delivery without a TLS line is in clear");
	got = feed(tls_line(442, "Trusted", "mx.example.com", "192.0.2.25",
	    25), T0 + 200);
	tap_is_int(got, 0, "a TLS line alone is no observation");
	got = feed(sent(442, "ABCDEF12345", "u@example.com", "mx2.example.com",
	    "192.0.2.26", 25), T0 + 201);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "example.com",
	    "TLS to one address, delivery from another: in clear");
}

static void
test_interleave_and_reuse(void)
{
	int got;

	reset(0);
	feed(tls_line(100, "Trusted", "mx.a.example", "192.0.2.1", 25), T0);
	feed(tls_line(200, "Verified", "mx.b.example", "192.0.2.2", 25), T0);
	got = feed(sent(200, "BBBB1", "x@b.example", "mx.b.example",
	    "192.0.2.2", 25), T0 + 1);
	is_obs(got, LEARN_TLS, TLSLEVEL_VERIFIED, "b.example",
	    "interleaved: B's delivery has B's level");
	got = feed(sent(100, "AAAA1", "x@a.example", "mx.a.example",
	    "192.0.2.1", 25), T0 + 2);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "a.example",
	    "interleaved: A's delivery has A's level");

	got = feed(sent(100, "AAAA2", "y@a.example", "mx.a.example",
	    "192.0.2.1", 25), T0 + 60);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "a.example",
	    "the same pid, a new message, no new TLS line: in clear");

	feed(tls_line(100, "Trusted", "mx.a.example", "192.0.2.1", 25), T0 + 70);
	got = feed(sent(100, "AAAA3", "z@a.example", "mx.a.example",
	    "192.0.2.1", 25), T0 + 70 + CORRELATE_CONN_MAX_AGE);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "a.example",
	    "a TLS line CORRELATE_CONN_MAX_AGE old still counts");
	feed(tls_line(100, "Trusted", "mx.a.example", "192.0.2.1", 25), T0 + 80);
	got = feed(sent(100, "AAAA4", "z@a.example", "mx.a.example",
	    "192.0.2.1", 25), T0 + 81 + CORRELATE_CONN_MAX_AGE);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "a.example",
	    "a TLS line older than CORRELATE_CONN_MAX_AGE is not used");

	feed(tls_line(300, "Trusted", "mx.c.example", "192.0.2.3", 25), T0);
	got = feed(sent(300, "CCCC1", "u@c.example", "mx.c.example",
	    "192.0.2.3", 25), T0 + 1);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "c.example", "conn_use=1 TLS");
	got = feed(dlv_line(300, "CCCC2", "u@c.example", "mx.c.example",
	    "192.0.2.3", 25, "conn_use=2, ", "2.0.0", "sent", "250 ok"),
	    T0 + 2);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "c.example",
	    "conn_use=2 with no new TLS line: in clear");
	feed("Nov 23 11:10:36 sender postfix/smtp[300]: Verified TLS "
	    "connection reused to mx.c.example[192.0.2.3]:25: TLSv1.3 with "
	    "cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", T0 + 3);
	got = feed(dlv_line(300, "CCCC3", "u@c.example", "mx.c.example",
	    "192.0.2.3", 25, "conn_use=3, ", "2.0.0", "sent", "250 ok"),
	    T0 + 4);
	is_obs(got, LEARN_TLS, TLSLEVEL_VERIFIED, "c.example",
	    "\"TLS connection reused\" counts as a TLS line");
}

static void
test_multi_recipient(void)
{
	int got, n = 0, i;

	reset(0);
	feed(tls_line(441, "Trusted", "mx.example.com", "192.0.2.25", 25), T0);
	for (i = 0; i < 3; i++) {
		char rcpt[64];

		snprintf(rcpt, sizeof(rcpt), "user%d@example.com", i);
		got = feed(sent(441, "24CA1A76240", rcpt, "mx.example.com",
		    "192.0.2.25", 25), T0 + 1);
		n += got;
		if (i == 0)
			is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "example.com",
			    "first recipient: TLS");
	}
	tap_is_int(n, 1, "three recipients of one message: counted once");
	tap_is_int(correlate_stats(C)->duplicate, 2, "stats: 2 duplicates");
	got = feed(sent(441, "9999A", "u@example.com", "mx.example.com",
	    "192.0.2.25", 25), T0 + 2);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "example.com",
	    "the next message on that pid without a TLS line: in clear");
}

static void
test_failures(void)
{
	int got;

	reset(0);
	got = feed(dlv_line(452, "92488A76290", "during@strip2.example",
	    "mx.good.example", "203.0.113.5", 25, "", "4.7.4", "deferred",
	    "TLS is required, but was not offered by host "
	    "mx.good.example[203.0.113.5]"), T0);
	is_obs(got, LEARN_NOT_OFFERED, TLSLEVEL_NONE, "strip2.example",
	    "deferred \"TLS is required, but was not offered\": NOT_OFFERED");
	tap_ok(strstr(OUT.obs.reason, "was not offered by host") != NULL,
	    "with Postfix's reason (%s)", OUT.obs.reason);

	feed("Nov 23 11:10:42 sender postfix/smtp[437]: certificate "
	    "verification failed for mx.good.example[203.0.113.7]:25: "
	    "untrusted issuer /CN=tlspin e2e rogue CA", T0 + 10);
	feed(tls_line(437, "Untrusted", "mx.good.example", "203.0.113.7", 25),
	    T0 + 10);
	got = feed(dlv_line(437, "17D02A760C3", "rogue@cert3.example",
	    "mx.good.example", "203.0.113.7", 25, "", "4.7.5", "deferred",
	    "Server certificate not verified"), T0 + 11);
	is_obs(got, LEARN_TLS_FAIL, TLSLEVEL_UNTRUSTED, "cert3.example",
	    "untrusted issuer, Untrusted TLS, deferred 4.7.5: TLS_FAIL");
	tap_ok(strstr(OUT.obs.reason, "Server certificate not verified") !=
	    NULL && strstr(OUT.obs.reason, "untrusted issuer /CN=tlspin e2e "
	    "rogue CA") != NULL, "the reason includes the certificate's (%s)",
	    OUT.obs.reason);
	feed(tls_line(437, "Untrusted", "mx.good.example", "203.0.113.4", 25),
	    T0 + 20);
	got = feed(dlv_line(437, "0954AA760E5", "w@cert3.example",
	    "mx.good.example", "203.0.113.4", 25, "", "4.7.5", "deferred",
	    "Server certificate not verified"), T0 + 21);
	tap_ok(got == 1 && OUT.obs.kind == LEARN_TLS_FAIL &&
	    strstr(OUT.obs.reason, "untrusted issuer") == NULL,
	    "a certificate reason explains one delivery, not the next (%s)",
	    OUT.obs.reason);
	got = feed(dlv_line(437, "AAAAA", "w@cert3.example",
	    "mx.good.example", "203.0.113.4", 25, "", "4.7.5", "bounced",
	    "Cannot start TLS: handshake failure"), T0 + 22);
	tap_ok(got == 1 && OUT.obs.kind == LEARN_TLS_FAIL,
	    "bounced \"Cannot start TLS\": TLS_FAIL");

	got = feed("Nov 23 11:10:37 sender postfix/smtp[437]: B8F8CA76254: "
	    "to=<user0@open-dead.example>, relay=none, delay=0.01, "
	    "delays=0.01/0.01/0/0, dsn=4.4.1, status=deferred (connect to "
	    "mx.dead.example[203.0.113.9]:25: Connection refused)", T0 + 30);
	tap_is_int(got, 0, "relay=none, Connection refused: nothing");
	got = feed(dlv_line(437, "BBBBB", "u@busy.example", "mx.busy.example",
	    "203.0.113.10", 25, "", "4.2.0", "deferred",
	    "host mx.busy.example[203.0.113.10] said: 450 4.2.0 try later "
	    "(in reply to RCPT TO command)"), T0 + 31);
	tap_is_int(got, 0, "a 450 from the server: nothing");
	tap_ok(correlate_stats(C)->other >= 1, "counted as other");
	got = feed(dlv_line(437, "CCCCC", "u@busy.example", "mx.busy.example",
	    "203.0.113.10", 25, "", "5.1.1", "bounced",
	    "host mx.busy.example[203.0.113.10] said: 550 5.1.1 no such user"),
	    T0 + 32);
	tap_is_int(got, 0, "a 550 bounce: nothing");
	got = feed("Nov 23 11:10:46 sender postfix/smtp[437]: 4CCC9A76214: "
	    "to=<stopped@down5.example>, relay=none, delay=0.01, "
	    "delays=0.01/0/0/0, dsn=4.7.5, status=deferred (client TLS "
	    "configuration problem)", T0 + 33);
	tap_is_int(got, 0, "client TLS configuration problem, relay=none: "
	    "nothing");
}

static void
test_hops(void)
{
	int got;
	uint64_t local0;

	reset(0);
	local0 = correlate_stats(C)->local;
	got = feed(sent(500, "AB12", "u@example.com", "127.0.0.1", "127.0.0.1",
	    10024), T0);
	tap_is_int(got, 0, "content filter at 127.0.0.1:10024: nothing");
	tap_is_int(correlate_stats(C)->local, local0 + 1, "counted as local");
	got = feed(sent(500, "AB13", "u@example.com", "mx.lan", "192.168.1.5",
	    25), T0 + 1);
	tap_is_int(got, 0, "port 25 at a private address: nothing");
	got = feed(sent(500, "AB14", "u@example.com", "mx.lan", "10.1.2.3",
	    25), T0 + 2);
	tap_is_int(got, 0, "port 25 at 10.x: nothing");
	got = feed(sent(500, "AB15", "u@example.com", "mx.lan",
	    "fd00::25", 25), T0 + 3);
	tap_is_int(got, 0, "port 25 at an IPv6 ULA: nothing");
	got = feed(sent(500, "AB16", "u@example.com", "localhost", "::1",
	    25), T0 + 4);
	tap_is_int(got, 0, "port 25 at ::1: nothing");
	got = feed(sent(500, "AB17", "u@example.com", "mx.lan",
	    "64:ff9b::a00:1", 25), T0 + 5);
	tap_is_int(got, 0, "port 25 at NAT64 of 10.0.0.1: nothing");
	got = feed(sent(500, "AB18", "u@example.com", "localhost",
	    "::ffff:7f00:1", 25), T0 + 6);
	tap_is_int(got, 0, "port 25 at ::ffff:7f00:1: nothing");
	got = feed(sent(500, "AB19", "u@example.com", "mx.lan",
	    "fec0::25", 25), T0 + 7);
	tap_is_int(got, 0, "port 25 at site-local fec0::25: nothing");

	reset(1);
	got = feed(sent(500, "AB12", "u@example.com", "127.0.0.1", "127.0.0.1",
	    10024), T0);
	tap_is_int(got, 0, "private_mx: a content filter is still nothing");
	feed(tls_line(500, "Trusted", "mx.lan", "192.168.1.5", 25), T0 + 1);
	got = feed(sent(500, "AB13", "u@example.com", "mx.lan", "192.168.1.5",
	    25), T0 + 2);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "example.com",
	    "private_mx: port 25 at a private address is the MX");

	reset(0);
	feed(tls_line(600, "Trusted", "smtp.provider.example",
	    "198.51.100.7", 587), T0);
	got = feed(sent(600, "AB20", "someone@gmail.example",
	    "smtp.provider.example", "198.51.100.7", 587), T0 + 1);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "smtp.provider.example",
	    "relayhost on 587 at a public address: its host name");
	got = feed(sent(600, "AB21", "someone@gmail.example",
	    "Smtp.Provider.Example", "198.51.100.7", 587), T0 + 2);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "smtp.provider.example",
	    "a relay host name in capitals: the lowercase key");
	got = feed(sent(600, "AB22", "someone@gmail.example",
	    "198.51.100.7", "198.51.100.7", 587), T0 + 3);
	tap_is_int(got, 0, "a relay by address on 587: nothing to pin");
	feed(tls_line(601, "Verified", "mx.example.net", "2001:db8::25", 25),
	    T0);
	got = feed(sent(601, "AB30", "u@example.net", "mx.example.net",
	    "2001:db8::25", 25), T0 + 1);
	is_obs(got, LEARN_TLS, TLSLEVEL_VERIFIED, "example.net",
	    "IPv6 relay [2001:db8::25]:25: the recipient domain");
	got = feed(sent(602, "AB31", "MAILER-DAEMON", "mx.example.net",
	    "2001:db8::25", 25), T0 + 1);
	tap_is_int(got, 0, "no recipient domain: nothing");
	tap_ok(correlate_stats(C)->unattributed >= 1, "counted unattributed");

	got = feed("Nov 23 11:10:36 sender postfix/lmtp[700]: Trusted TLS "
	    "connection established to mail.example[192.0.2.9]:24: TLSv1.3 "
	    "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", T0);
	tap_is_int(got, 0, "lmtp TLS line: nothing");
	got = feed("Nov 23 11:10:36 sender postfix/lmtp[700]: ABC123: "
	    "to=<u@example.com>, relay=mail.example[192.0.2.9]:24, delay=0.1, "
	    "delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)", T0 + 1);
	tap_is_int(got, 0, "lmtp delivery: nothing");
	got = feed(sent(700, "ABC124", "u@example.com", "mail.example",
	    "192.0.2.9", 25), T0 + 2);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "example.com",
	    "an lmtp TLS line is no TLS line for smtp");
}

/* A fake of hints_find: pid -> next hop, and what it was asked. */
static unsigned long hint_pid;
static const char *hint_key;
static unsigned long asked_pid;
static uint64_t asked_t;
static char asked_rcpt[256];

static int
fake_hint(void *arg, unsigned long pid, uint64_t t, const char *rcpt,
    const char *relay, char *out, size_t outsz)
{
	(void)relay;
	(void)arg;
	asked_pid = pid;
	asked_t = t;
	snprintf(asked_rcpt, sizeof(asked_rcpt), "%s", rcpt);
	if (pid != hint_pid || hint_key == NULL)
		return 0;
	snprintf(out, outsz, "%s", hint_key);
	return 1;
}

static void
test_hints(void)
{
	int got;

	reset(0);
	correlate_set_hint(C, fake_hint, NULL);
	hint_pid = 800;
	hint_key = "nexthop.example";
	feed(tls_line(800, "Trusted", "mx.other.example", "192.0.2.80", 25), T0);
	got = feed(sent(800, "H1", "u@rcpt.example", "mx.other.example",
	    "192.0.2.80", 25), T0 + 5);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "nexthop.example",
	    "a hint overrides the recipient domain");
	tap_ok(asked_pid == 800 && asked_t == T0 + 5 &&
	    strcmp(asked_rcpt, "rcpt.example") == 0,
	    "the hint is asked with the pid, the time and the recipient domain");
	got = feed(sent(801, "H2", "u@rcpt.example", "mx.other.example",
	    "192.0.2.80", 25), T0 + 6);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "rcpt.example",
	    "no hint for the pid: the recipient domain");
	hint_key = "192.0.2.80";
	got = feed(sent(800, "H3", "u@rcpt.example", "mx.other.example",
	    "192.0.2.80", 25), T0 + 7);
	tap_is_int(got, 0, "a hint that is an IPv4 literal counts for nothing");
	hint_key = "2001:db8::80";	/* "[ipv6:2001:db8::80]" asked */
	got = feed(sent(800, "H3b", "u@rcpt.example", "2001:db8::80",
	    "2001:db8::80", 25), T0 + 7);
	tap_is_int(got, 0, "a hint that is an IPv6 literal counts for nothing");
	hint_key = "nexthop.example.";
	got = feed(sent(800, "H4", "u@rcpt.example", "mx.other.example",
	    "192.0.2.80", 25), T0 + 8);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "nexthop.example",
	    "a hint with a trailing dot: without it");
	hint_key = "not a domain";
	got = feed(sent(800, "H5", "u@rcpt.example", "mx.other.example",
	    "192.0.2.80", 25), T0 + 9);
	tap_is_int(got, 0, "a hint that is no domain name: nothing");
	hint_key = "nexthop.example";
	got = feed(sent(800, "H6", "u@rcpt.example", "localhost",
	    "::ffff:7f00:1", 10024), T0 + 10);
	tap_is_int(got, 0, "a content filter at ::ffff:7f00:1:10024: nothing, "
	    "whatever the hint");
	got = feed(sent(800, "H7", "u@rcpt.example", "localhost",
	    "0:0:0:0:0:0:0:1", 10024), T0 + 11);
	tap_is_int(got, 0, "a content filter at 0:0:0:0:0:0:0:1:10024: "
	    "nothing");
	correlate_set_hint(C, NULL, NULL);
}

static void
test_eviction(void)
{
	unsigned pid;
	int got;

	reset(0);
	for (pid = 1000; pid < 1000 + CORRELATE_PIDS; pid++)
		feed(tls_line(pid, "Trusted", "mx.example.com", "192.0.2.25",
		    25), T0);
	feed(tls_line(1000, "Verified", "mx.example.com", "192.0.2.25", 25),
	    T0 + 1);
	feed(tls_line(1000 + CORRELATE_PIDS, "Trusted", "mx.example.com",
	    "192.0.2.25", 25), T0 + 2);
	got = feed(sent(1000, "E2", "u@example.com", "mx.example.com",
	    "192.0.2.25", 25), T0 + 3);
	is_obs(got, LEARN_TLS, TLSLEVEL_VERIFIED, "example.com",
	    "the oldest pid, used again since, is kept");
	got = feed(sent(1000 + CORRELATE_PIDS, "E3", "u@example.com",
	    "mx.example.com", "192.0.2.25", 25), T0 + 3);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "example.com",
	    "the new pid is there");
	got = feed(sent(1001, "E1", "u@example.com", "mx.example.com",
	    "192.0.2.25", 25), T0 + 3);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "example.com",
	    "one pid too many: the least recently used one was forgotten");
	got = feed(sent(1003, "E4", "u@example.com", "mx.example.com",
	    "192.0.2.25", 25), T0 + 3);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "example.com",
	    "the others are kept (1001's delivery took 1002's slot, the "
	    "least recent then)");
	got = feed(sent(1002, "E5", "u@example.com", "mx.example.com",
	    "192.0.2.25", 25), T0 + 3);
	is_obs(got, LEARN_PLAIN, TLSLEVEL_NONE, "example.com",
	    "1002 is gone");
}

/* A sequence of lines, for the save/load split test. */
struct step {
	const char *line;
	uint64_t t;
};

static struct step *steps;
static size_t nsteps;

static void
add(const char *line, uint64_t t)
{
	steps = realloc(steps, (nsteps + 1) * sizeof(*steps));
	if (steps == NULL)
		abort();
	steps[nsteps].line = strdup(line);
	steps[nsteps].t = t;
	nsteps++;
}

static void
build_sequence(void)
{
	unsigned pid;
	char qid[32];

	add(tls_line(100, "Trusted", "mx.a.example", "192.0.2.1", 25), T0);
	add(tls_line(200, "Verified", "mx.b.example", "192.0.2.2", 25), T0 + 1);
	add(sent(200, "BBBB1", "x@b.example", "mx.b.example", "192.0.2.2", 25),
	    T0 + 2);
	add(sent(200, "BBBB1", "y@b.example", "mx.b.example", "192.0.2.2", 25),
	    T0 + 2);
	add("Nov 23 11:10:42 sender postfix/smtp[300]: certificate "
	    "verification failed for mx.c.example[192.0.2.3]:25: untrusted "
	    "issuer /CN=rogue", T0 + 3);
	add(tls_line(300, "Untrusted", "mx.c.example", "192.0.2.3", 25), T0 + 3);
	add(sent(100, "AAAA1", "x@a.example", "mx.a.example", "192.0.2.1", 25),
	    T0 + 4);
	add(dlv_line(300, "CCCC1", "u@c.example", "mx.c.example", "192.0.2.3",
	    25, "", "4.7.5", "deferred", "Server certificate not verified"),
	    T0 + 5);
	add(sent(100, "AAAA2", "x@a.example", "mx.a.example", "192.0.2.1", 25),
	    T0 + 6);
	add(sent(400, "DDDD1", "u@d.example", "127.0.0.1", "127.0.0.1", 10024),
	    T0 + 7);
	add(tls_line(500, "Trusted", "relay.example", "198.51.100.1", 587),
	    T0 + 8);
	add(sent(500, "EEEE1", "u@gmail.example", "relay.example",
	    "198.51.100.1", 587), T0 + 9);
	add(tls_line(100, "Anonymous", "mx.a.example", "192.0.2.1", 25),
	    T0 + 10);
	add(dlv_line(100, "AAAA3", "x@a.example", "mx.a.example", "192.0.2.1",
	    25, "", "4.7.4", "deferred", "TLS is required, but was not "
	    "offered by host mx.a.example[192.0.2.1]"), T0 + 11);
	add(sent(100, "AAAA3", "x@a.example", "mx.a.example", "192.0.2.1", 25),
	    T0 + 11);
	/* enough pids to fill the table and evict */
	for (pid = 2000; pid < 2000 + CORRELATE_PIDS + 8; pid++) {
		add(tls_line(pid, "Trusted", "mx.f.example", "192.0.2.6", 25),
		    T0 + 20);
		if (pid % 97 == 0) {
			snprintf(qid, sizeof(qid), "F%u", pid);
			add(sent(pid, qid, "u@f.example", "mx.f.example",
			    "192.0.2.6", 25), T0 + 21);
		}
	}
	add(sent(200, "BBBB2", "x@b.example", "mx.b.example", "192.0.2.2", 25),
	    T0 + 30);
	add(sent(2010, "FFFF1", "u@f.example", "mx.f.example", "192.0.2.6", 25),
	    T0 + 31);
	add(sent(2000, "FFFF2", "u@f.example", "mx.f.example", "192.0.2.6", 25),
	    T0 + 32);
	add(sent(2000 + CORRELATE_PIDS + 7, "FFFF3", "u@f.example",
	    "mx.f.example", "192.0.2.6", 25), T0 + 33);
}

/* The observation of one step as text, "-" for none. */
static void
describe(int got, char *out, size_t outsz)
{
	if (!got) {
		snprintf(out, outsz, "-");
		return;
	}
	snprintf(out, outsz, "%s %s %d %d %s %llu %s", OUT.domain,
	    OUT.queue_id, (int)OUT.obs.kind, OUT.obs.level, OUT.obs.host,
	    (unsigned long long)OUT.obs.time, OUT.obs.reason);
}

/* Only the steps with a delivery line are worth a split there. */
static int
interesting(size_t k)
{
	return k < 20 || k + 10 > nsteps || strstr(steps[k].line, "to=<") ||
	    k % 64 == 0;
}

static void
test_save_load_split(void)
{
	static unsigned char blob[CORRELATE_SAVE_MAX], again[CORRELATE_SAVE_MAX];
	char (*want)[1200], got[1200];
	size_t k, i, n, m, splits = 0, bad = 0, bad_bytes = 0, bad_load = 0;

	build_sequence();
	want = calloc(nsteps, sizeof(*want));
	if (want == NULL)
		abort();
	reset(0);
	for (i = 0; i < nsteps; i++)
		describe(feed(steps[i].line, steps[i].t), want[i],
		    sizeof(want[i]));
	for (k = 0; k <= nsteps; k++) {
		if (!interesting(k))
			continue;
		splits++;
		reset(0);
		for (i = 0; i < k; i++)
			feed(steps[i].line, steps[i].t);
		n = correlate_save(C, blob, sizeof(blob));
		reset(0);
		if (n == 0 || !correlate_load(C, blob, n)) {
			bad_load++;
			continue;
		}
		m = correlate_save(C, again, sizeof(again));
		if (m != n || memcmp(blob, again, n) != 0)
			bad_bytes++;
		for (i = k; i < nsteps; i++) {
			describe(feed(steps[i].line, steps[i].t), got,
			    sizeof(got));
			if (strcmp(got, want[i]) != 0) {
				if (bad++ < 3)
					printf("# split at %zu, step %zu: got "
					    "\"%s\", want \"%s\"\n", k, i, got,
					    want[i]);
			}
		}
	}
	tap_ok(splits > 50, "%zu splits of %zu steps", splits, nsteps);
	tap_is_int((long long)bad_load, 0, "every saved state loads");
	tap_is_int((long long)bad_bytes, 0,
	    "saving a loaded state gives the same bytes, tick included");
	tap_is_int((long long)bad, 0, "the observations after a save and "
	    "load are those of an uninterrupted run");
	tap_ok(strcmp(want[2], "-") != 0 && strcmp(want[3], "-") == 0 &&
	    strstr(want[7], "untrusted issuer") != NULL,
	    "the sequence has deliveries, duplicates, certificate failures");
	free(want);
}

/* The table as saved when empty. */
static size_t
empty_blob(unsigned char *out, size_t outsz)
{
	struct correlator *e = correlate_new();
	size_t n = correlate_save(e, out, outsz);

	correlate_free(e);
	return n;
}

static void
test_load_rejects(void)
{
	static unsigned char blob[CORRELATE_SAVE_MAX + 1], out[CORRELATE_SAVE_MAX];
	unsigned char empty[64];
	size_t n, len, e, bad = 0, notempty = 0, m;
	int got;

	e = empty_blob(empty, sizeof(empty));
	tap_ok(e > 0 && e < 64, "an empty table saves (%zu bytes)", e);
	reset(0);
	tap_ok(correlate_load(C, empty, e), "and loads");

	reset(0);
	feed(tls_line(100, "Trusted", "mx.a.example", "192.0.2.1", 25), T0);
	feed(tls_line(200, "Verified", "mx.b.example", "192.0.2.2", 25), T0);
	feed(sent(200, "BBBB1", "x@b.example", "mx.b.example", "192.0.2.2", 25),
	    T0 + 1);
	feed("Nov 23 11:10:42 sender postfix/smtp[300]: certificate "
	    "verification failed for mx.c.example[192.0.2.3]:25: untrusted "
	    "issuer /CN=rogue", T0 + 3);
	feed(tls_line(100 + CORRELATE_PIDS, "Trusted", "mx.d.example",
	    "192.0.2.4", 25), T0);
	n = correlate_save(C, blob, sizeof(blob));
	tap_ok(n > e, "a table of 4 pids saves (%zu bytes)", n);

	for (len = 0; len < n; len++) {
		reset(0);
		feed(tls_line(9, "Trusted", "mx.z.example", "192.0.2.9", 25), T0);
		if (correlate_load(C, blob, len))
			bad++;
		m = correlate_save(C, out, sizeof(out));
		if (m != e || memcmp(out, empty, e) != 0)
			notempty++;
	}
	tap_is_int((long long)bad, 0, "every truncation is rejected");
	tap_is_int((long long)notempty, 0,
	    "and leaves the table empty, whatever it held");
	blob[n] = 0;
	reset(0);
	tap_ok(!correlate_load(C, blob, n + 1), "a trailing byte is rejected");
	blob[0] ^= 0xff;
	tap_ok(!correlate_load(C, blob, n), "another version is rejected");
	blob[0] ^= 0xff;

	reset(0);
	tap_ok(correlate_load(C, blob, n), "the whole blob loads");
	got = feed(sent(100, "AAAA1", "x@a.example", "mx.a.example",
	    "192.0.2.1", 25), T0 + 2);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "a.example",
	    "a TLS line saved before pairs with a delivery after the load");
	got = feed(sent(200, "BBBB1", "z@b.example", "mx.b.example",
	    "192.0.2.2", 25), T0 + 2);
	tap_is_int(got, 0, "the last message of a pid is kept: a duplicate");
	got = feed(dlv_line(300, "CCCC1", "u@c.example", "mx.c.example",
	    "192.0.2.3", 25, "", "4.7.5", "deferred",
	    "Server certificate not verified"), T0 + 5);
	tap_ok(got == 1 && strstr(OUT.obs.reason, "/CN=rogue") != NULL,
	    "a saved certificate failure explains a delivery after the load");
	got = feed(sent(100 + CORRELATE_PIDS, "DDDD1", "x@d.example",
	    "mx.d.example", "192.0.2.4", 25), T0 + 2);
	is_obs(got, LEARN_TLS, TLSLEVEL_TRUSTED, "d.example",
	    "two pids in one home slot both come back");
}

/* Hand-made saved tables: version 3, then per pid its slot and fields. */
static unsigned char craft[4096];
static size_t craftlen;

static void
put(uint64_t v, size_t width)
{
	size_t i;

	for (i = 0; i < width; i++)
		craft[craftlen++] = (unsigned char)(v >> (8 * i));
}

static void
craft_start(uint64_t tick, unsigned n)
{
	craftlen = 0;
	put(3, 1);
	put(tick, 8);
	put(n, 2);
}

/* One pid with the host string given (others empty). */
static void
craft_pid(unsigned slot, uint64_t pid, uint64_t tick, unsigned level,
    const char *host, size_t hostlen)
{
	int i;

	put(slot, 2);
	put(pid, 8);
	put(tick, 8);
	put(T0, 8);
	put(level, 1);
	put(25, 2);
	put(25, 2);
	put(T0, 8);	/* last_time */
	put(T0, 8);	/* conn_last */
	put(hostlen, 2);
	memcpy(craft + craftlen, host, hostlen);
	craftlen += hostlen;
	for (i = 0; i < 5; i++)
		put(0, 2);
}

/* Does the crafted table load, and save back to the same bytes? */
static int
craft_loads(void)
{
	static unsigned char out[8192];
	size_t n;

	reset(0);
	if (!correlate_load(C, craft, craftlen))
		return 0;
	n = correlate_save(C, out, sizeof(out));
	return n == craftlen && memcmp(out, craft, n) == 0 ? 1 : -1;
}

static void
test_load_crafted(void)
{
	char longhost[300];

	memset(longhost, 'h', sizeof(longhost));
	craft_start(2, 2);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	craft_pid(7, 7, 2, TLSLEVEL_VERIFIED, "mx", 2);
	tap_is_int(craft_loads(), 1, "crafted: two pids in their home slots "
	    "load and save back the same");
	craft_start(2, 2);
	craft_pid(7, 7, 2, TLSLEVEL_VERIFIED, "mx", 2);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: slots out of order");
	craft_start(2, 2);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	craft_pid(5, 7, 2, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: one slot twice");
	craft_start(2, 1);
	craft_pid(6, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0,
	    "crafted: a pid past a free slot, where no lookup finds it");
	craft_start(2, 2);
	craft_pid(5, 5 + CORRELATE_PIDS, 1, TLSLEVEL_TRUSTED, "mx", 2);
	craft_pid(6, 5, 2, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 1,
	    "crafted: a pid one past its home behind another: loads");
	craft_start(2, 2);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	craft_pid(6, 5, 2, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: one pid twice");
	craft_start(2, 2);
	craft_pid(0, CORRELATE_PIDS - 1, 1, TLSLEVEL_TRUSTED, "mx", 2);
	craft_pid(CORRELATE_PIDS - 1, 2 * CORRELATE_PIDS - 1, 2,
	    TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 1, "crafted: a chain wrapping around the "
	    "end of the table loads and saves back the same");
	craft_start(1, 1);
	craft_pid(5, 5, 2, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: a use newer than the clock");
	craft_start(UINT64_MAX >> 1, 1);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 1, "crafted: a clock of 2^63 - 1 loads");
	craft_start((UINT64_MAX >> 1) + 1, 1);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0,
	    "crafted: a clock of 2^63, which use could wrap to 0, does not");
	craft_start(2, 1);
	craft_pid(5, 5, 0, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: a pid never used");
	craft_start(2, 1);
	craft_pid(0, 0, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: pid 0");
	craft_start(2, 1);
	craft_pid(5, 5, 1, TLSLEVEL_VERIFIED + 1, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: an unknown TLS level");
	craft_start(2, 1);
	craft_pid(CORRELATE_PIDS, CORRELATE_PIDS, 1, TLSLEVEL_TRUSTED, "mx", 2);
	tap_is_int(craft_loads(), 0, "crafted: a slot past the table");
	craft_start(2, 1);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, "m\0x", 3);
	tap_is_int(craft_loads(), 0, "crafted: a NUL in a string");
	craft_start(2, 1);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, longhost, 255);
	tap_is_int(craft_loads(), 1, "crafted: a 255-byte host loads");
	craft_start(2, 1);
	craft_pid(5, 5, 1, TLSLEVEL_TRUSTED, longhost, 256);
	tap_is_int(craft_loads(), 0, "crafted: a 256-byte host does not");
	craft_start(2, CORRELATE_PIDS + 1);
	tap_is_int(craft_loads(), 0, "crafted: more pids than the table holds");
	craft_start(2, 0);
	craft[0] = 1;
	tap_is_int(craft_loads(), 0, "crafted: version 1 (no slots) is refused");
}

/* Every pid with the longest fields the parser lets through. */
static void
test_save_max(void)
{
	static unsigned char *blob;
	char host[256], addr[64], qid[32], cert[600], line[4096];
	unsigned pid;
	size_t n;
	int i;

	memset(host, 'h', 255);
	for (i = 60; i < 255; i += 61)
		host[i] = '.';
	host[255] = '\0';
	memset(addr, 'a', 63);
	addr[63] = '\0';
	memset(qid, 'Q', 31);
	qid[31] = '\0';
	memset(cert, 'c', 599);
	cert[599] = '\0';
	reset(1);
	for (pid = 1; pid <= CORRELATE_PIDS; pid++) {
		feed(tls_line(pid, "Trusted", host, addr, 25), T0);
		snprintf(line, sizeof(line), "Nov 23 11:10:36 sender "
		    "postfix/smtp[%u]: %s: to=<u@example.com>, relay=%s[%s]:25, "
		    "delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)",
		    pid, qid, host, addr);
		feed(line, T0 + 1);
		snprintf(line, sizeof(line), "Nov 23 11:10:36 sender "
		    "postfix/smtp[%u]: certificate verification failed for "
		    "%s[%s]:25: %s", pid, host, addr, cert);
		feed(line, T0 + 2);
	}
	blob = malloc(CORRELATE_SAVE_MAX);
	if (blob == NULL)
		abort();
	n = correlate_save(C, blob, CORRELATE_SAVE_MAX);
	tap_ok(n > 0, "a full table of the longest entries fits "
	    "CORRELATE_SAVE_MAX (%zu bytes)", n);
	reset(1);
	tap_ok(n > 0 && correlate_load(C, blob, n), "and loads");
	free(blob);
}

static void
test_addr_local(void)
{
	static const struct {
		const char *addr;
		int local;
	} cases[] = {
		{ "127.0.0.1", 1 }, { "127.255.0.9", 1 }, { "10.0.0.1", 1 },
		{ "172.16.0.1", 1 }, { "172.31.255.255", 1 },
		{ "172.32.0.1", 0 }, { "172.15.0.1", 0 },
		{ "192.168.0.1", 1 }, { "192.169.0.1", 0 },
		{ "169.254.1.1", 1 }, { "100.64.0.1", 1 },
		{ "100.127.0.1", 1 }, { "100.128.0.1", 0 }, { "0.0.0.0", 1 },
		{ "192.0.2.1", 0 }, { "8.8.8.8", 0 },
		{ "::1", 1 }, { "fe80::1", 1 }, { "fc00::1", 1 },
		{ "fd12:3456::1", 1 }, { "2001:db8::25", 0 },
		{ "::ffff:10.0.0.1", 1 }, { "::ffff:192.0.2.1", 0 },
		{ "mx.example.com", 1 }, { "", 1 }, { "1.2.3", 1 },
		/* every spelling inet_pton reads, and IPv4 inside IPv6 */
		{ "::ffff:127.0.0.1", 1 }, { "::ffff:7f00:1", 1 },
		{ "0:0:0:0:0:ffff:a00:1", 1 }, { "::FFFF:192.168.1.1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 }, { "::", 1 }, { "::10.0.0.1", 1 },
		{ "::192.0.2.1", 0 },
		{ "64:ff9b::a00:1", 1 }, { "64:ff9b::10.0.0.1", 1 },
		{ "64:ff9b::7f00:1", 1 }, { "64:ff9b::c0a8:101", 1 },
		{ "64:ff9b::c000:201", 0 }, { "64:ff9b::8.8.8.8", 0 },
		{ "2002:a00:1::1", 1 }, { "2002:c000:201::1", 0 },
		{ "fec0::1", 1 }, { "febf::1", 1 }, { "FE80::1", 1 },
		{ "ff02::1", 1 }, { "fbff::1", 0 }, { "2001:db8::", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_is_int(correlate_addr_local(cases[i].addr), cases[i].local,
		    cases[i].addr);
}

int
main(void)
{
	test_tls_and_plain();
	test_interleave_and_reuse();
	test_multi_recipient();
	test_failures();
	test_hops();
	test_hints();
	test_eviction();
	test_save_load_split();
	test_load_rejects();
	test_load_crafted();
	test_save_max();
	test_addr_local();
	correlate_free(C);
	return tap_done();
}
