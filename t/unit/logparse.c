/*
 * NAME
 *	t/unit/logparse - tests for the Postfix log-line parser
 * DESCRIPTION
 *	First every line of the real Postfix 3.7.11 logs in
 *	t/data/postfix-3.7 (read through $abs_top_srcdir), counted by kind
 *	and compared with numbers found independently with grep, and the
 *	facts that t/data/postfix-3.7/README.md lists checked line by line.
 *	Then hand-written lines: every TLS level, IPv6, ports, conn_use,
 *	relays, odd recipients, prefixes, other services, truncated, long,
 *	non-UTF-8 and NUL-holding lines.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logparse.h"
#include "tap.h"

static struct logparse_event ev;

/* Parse a C string as a whole line. */
static enum logparse_kind
parse(const char *line)
{
	return logparse_line(line, strlen(line), &ev);
}

/* What one log file holds, by kind and detail. */
struct counts {
	int lines, other, tls[5], tls12, tls13, delivery, status[5];
	int not_offered, cert_fail, lookup, relay_none, conn_use, dsn475;
};

/* Parse every line of t/data/postfix-3.7/NAME into *n; 0 on I/O error. */
static int
count_file(const char *name, struct counts *n)
{
	char path[4096], line[8192];
	const char *top = getenv("abs_top_srcdir");
	FILE *f;
	enum logparse_kind k;

	memset(n, 0, sizeof(*n));
	if (top == NULL)
		top = ".";
	if (snprintf(path, sizeof(path), "%s/t/data/postfix-3.7/%s", top,
	    name) >= (int)sizeof(path))
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		printf("# cannot open %s\n", path);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n->lines++;
		k = logparse_line(line, strlen(line), &ev);
		switch (k) {
		case LOGPARSE_OTHER:
			n->other++;
			break;
		case LOGPARSE_TLS:
			n->tls[ev.level]++;
			n->tls12 += strcmp(ev.protocol, "TLSv1.2") == 0;
			n->tls13 += strcmp(ev.protocol, "TLSv1.3") == 0;
			break;
		case LOGPARSE_DELIVERY:
			n->delivery++;
			n->status[ev.status]++;
			n->not_offered += ev.tls_not_offered;
			n->relay_none += ev.relay == RELAY_NONE;
			n->conn_use += ev.conn_use != 0;
			n->dsn475 += strcmp(ev.dsn, "4.7.5") == 0;
			break;
		case LOGPARSE_CERT_FAIL:
			n->cert_fail++;
			break;
		case LOGPARSE_LOOKUP_ERROR:
			n->lookup++;
			break;
		}
	}
	fclose(f);
	return 1;
}

/*
 * The sender's logs. Expected numbers come from grep on the files, e.g.
 *   grep -cE '/smtp\[[0-9]+\]: Verified TLS connection established to'
 *   grep -cE '/smtp\[[0-9]+\]: [0-9A-F]+: to=<'        (deliveries)
 *   grep -cE '/smtp\[[0-9]+\]: .*status=sent \('       (and deferred)
 *   grep -cE '/smtp\[[0-9]+\]: .*TLS is required, but was not offered'
 *   grep -cE '/smtp\[[0-9]+\]: (server )?certificate verification failed for'
 *   grep -cE '/smtp\[[0-9]+\]: warning: TLS policy lookup for'
 *   grep -cE '/smtp\[[0-9]+\]: .*relay=none', grep -c 'TLSv1.2 with',
 *   grep -c 'dsn=4.7.5', wc -l
 * and the per-scenario files add up to sender.log.
 */
static void
test_sender_logs(void)
{
	static const struct {
		const char *file;
		int lines, anon, untr, trust, verif, deliv, sent, deferred;
		int not_offered, cert_fail, lookup, relay_none;
	} want[] = {
		{ "sender.log", 172, 1, 5, 2, 11, 31, 19, 12, 3, 4, 4, 5 },
		{ "sender-00-control-opportunistic.log", 36, 1, 1, 2, 0,
		    6, 5, 1, 0, 0, 0, 1 },
		{ "sender-01-pinned-verified.log", 12, 0, 0, 0, 2,
		    2, 2, 0, 0, 0, 0, 0 },
		{ "sender-02-strip-starttls.log", 23, 0, 0, 0, 2,
		    6, 3, 3, 3, 0, 0, 0 },
		{ "sender-03-cert-replaced.log", 40, 0, 4, 0, 4,
		    8, 4, 4, 0, 4, 0, 0 },
		{ "sender-05-daemon-down.log", 59, 0, 0, 0, 3,
		    9, 5, 4, 0, 0, 4, 4 },
		/* the learning scenarios, from a later run (not in sender.log) */
		{ "sender-04-learn-pin.log", 26, 0, 0, 4, 0,
		    5, 4, 1, 1, 0, 0, 0 },
		{ "sender-06-observe-mode.log", 31, 0, 0, 4, 0,
		    6, 5, 1, 1, 0, 0, 0 },
	};
	struct counts n;
	size_t i;
	char name[160];

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *f = want[i].file;
		int tls = want[i].anon + want[i].untr + want[i].trust +
		    want[i].verif;

		tap_ok(count_file(f, &n), "%s: read", f);
#define IS(got, w, what) do { \
	snprintf(name, sizeof(name), "%s: %s", f, what); \
	tap_is_int(got, w, name); \
} while (0)
		IS(n.lines, want[i].lines, "lines");
		IS(n.tls[TLSLEVEL_ANONYMOUS], want[i].anon, "Anonymous TLS");
		IS(n.tls[TLSLEVEL_UNTRUSTED], want[i].untr, "Untrusted TLS");
		IS(n.tls[TLSLEVEL_TRUSTED], want[i].trust, "Trusted TLS");
		IS(n.tls[TLSLEVEL_VERIFIED], want[i].verif, "Verified TLS");
		IS(n.tls[TLSLEVEL_NONE], 0, "no TLS event without a level");
		IS(n.delivery, want[i].deliv, "deliveries");
		IS(n.status[STATUS_SENT], want[i].sent, "status=sent");
		IS(n.status[STATUS_DEFERRED], want[i].deferred,
		    "status=deferred");
		IS(n.status[STATUS_BOUNCED] + n.status[STATUS_OTHER], 0,
		    "no other status");
		IS(n.not_offered, want[i].not_offered, "TLS not offered");
		IS(n.cert_fail, want[i].cert_fail, "cert failures");
		IS(n.lookup, want[i].lookup, "policy lookup errors");
		IS(n.relay_none, want[i].relay_none, "relay=none");
		IS(n.conn_use, 0, "no conn_use (no reuse)");
		IS(n.other, want[i].lines - tls - want[i].deliv -
		    want[i].cert_fail - want[i].lookup, "the rest is OTHER");
		if (i == 0) {
			IS(n.tls12, 2, "TLSv1.2 lines");
			IS(n.tls13, 17, "TLSv1.3 lines");
			IS(n.dsn475, 8, "dsn=4.7.5");
		}
#undef IS
	}
}

/* The receivers' logs: smtpd, discard and the rest; nothing counts. */
static void
test_receiver_logs(void)
{
	static const struct {
		const char *file;
		int lines;
	} want[] = {
		/* wc -l; they hold "established from" and discard's
		 * "to=<...>, relay=none, ..., status=sent" lines */
		{ "receiver-good.log", 90 },
		{ "receiver-plain.log", 36 },
		{ "receiver-rogue.log", 5 },
		{ "receiver-selfsigned.log", 13 },
		{ "receiver-tls12.log", 18 },
		{ "receiver-wrongname.log", 16 },
	};
	struct counts n;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tap_ok(count_file(want[i].file, &n) &&
		    n.lines == want[i].lines && n.other == n.lines,
		    "%s: all %d lines are OTHER", want[i].file, want[i].lines);
		if (n.other != n.lines)
			printf("# %d of %d\n", n.other, n.lines);
	}
}

/* Lines from sender.log and what the README says they mean. */
static void
test_sender_facts(void)
{
	tap_is_int(parse("Nov 23 11:10:36 sender postfix/smtp[441]: Trusted "
	    "TLS connection established to mx.good.test[127.0.0.2]:25: "
	    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
	    "key-exchange X25519 server-signature RSA-PSS (2048 bits) "
	    "server-digest SHA256"), LOGPARSE_TLS, "TLS 1.3 line");
	tap_is_int(ev.level, TLSLEVEL_TRUSTED, "  Trusted");
	tap_is_str(ev.service, "postfix/smtp", "  service");
	tap_is_int((long long)ev.pid, 441, "  pid");
	tap_ok(ev.month == 11 && ev.day == 23 && ev.hour == 11 &&
	    ev.min == 10 && ev.sec == 36 && ev.time == -1,
	    "  classic time, no year");
	tap_is_str(ev.host, "mx.good.test", "  host");
	tap_is_str(ev.addr, "127.0.0.2", "  addr");
	tap_is_int(ev.port, 25, "  port");
	tap_is_str(ev.protocol, "TLSv1.3", "  protocol");
	tap_is_str(ev.cipher, "TLS_AES_256_GCM_SHA384", "  cipher");
	tap_is_int(ev.reused, 0, "  not reused");

	tap_is_int(parse("Nov 23 11:10:37 sender postfix/smtp[441]: Anonymous "
	    "TLS connection established to mx.tls12.test[127.0.0.6]:25: "
	    "TLSv1.2 with cipher ADH-AES256-GCM-SHA384 (256/256 bits)"),
	    LOGPARSE_TLS, "TLS 1.2 line without key-exchange tail");
	tap_ok(ev.level == TLSLEVEL_ANONYMOUS &&
	    strcmp(ev.cipher, "ADH-AES256-GCM-SHA384") == 0 &&
	    strcmp(ev.protocol, "TLSv1.2") == 0, "  Anonymous ADH TLSv1.2");

	tap_is_int(parse("Nov 23 11:10:36 sender postfix/smtp[437]: "
	    "05FE4A7623D: to=<user0@open-plain.test>, "
	    "relay=mx.plain.test[127.0.0.5]:25, delay=0.38, "
	    "delays=0.07/0.07/0.15/0.08, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as 5636AA7624A)"), LOGPARSE_DELIVERY,
	    "delivery sent");
	tap_is_str(ev.queue_id, "05FE4A7623D", "  queue id");
	tap_is_str(ev.rcpt_domain, "open-plain.test", "  recipient domain");
	tap_ok(ev.relay == RELAY_ADDR && strcmp(ev.host, "mx.plain.test") ==
	    0 && strcmp(ev.addr, "127.0.0.5") == 0 && ev.port == 25,
	    "  relay host, addr, port");
	tap_is_str(ev.dsn, "2.0.0", "  dsn");
	tap_is_int(ev.status, STATUS_SENT, "  sent");
	tap_is_str(ev.reason, "250 2.0.0 Ok: queued as 5636AA7624A",
	    "  reason");
	tap_ok(ev.conn_use == 0 && ev.tls_not_offered == 0 &&
	    ev.level == TLSLEVEL_NONE, "  no conn_use, no TLS fields");

	tap_is_int(parse("Nov 23 11:10:37 sender postfix/smtp[437]: "
	    "B8F8CA76254: to=<user0@open-dead.test>, relay=none, delay=0.01, "
	    "delays=0.01/0.01/0/0, dsn=4.4.1, status=deferred (connect to "
	    "mx.dead.test[127.0.0.9]:25: Connection refused)"),
	    LOGPARSE_DELIVERY, "deferred, relay=none");
	tap_ok(ev.relay == RELAY_NONE && ev.host[0] == '\0' &&
	    ev.status == STATUS_DEFERRED && strcmp(ev.dsn, "4.4.1") == 0,
	    "  relay none, 4.4.1");
	tap_is_str(ev.reason, "connect to mx.dead.test[127.0.0.9]:25: "
	    "Connection refused", "  reason keeps its brackets");

	tap_is_int(parse("Nov 23 11:10:39 sender postfix/smtp[452]: "
	    "92488A76290: to=<during@strip2.test>, "
	    "relay=mx.good.test[127.0.0.5]:25, delay=0.04, "
	    "delays=0.02/0/0.01/0, dsn=4.7.4, status=deferred (TLS is "
	    "required, but was not offered by host mx.good.test[127.0.0.5])"),
	    LOGPARSE_DELIVERY, "STARTTLS stripped");
	tap_ok(ev.tls_not_offered && strcmp(ev.dsn, "4.7.4") == 0,
	    "  tls_not_offered, 4.7.4");

	tap_is_int(parse("Nov 23 11:10:41 sender postfix/smtp[452]: "
	    "certificate verification failed for mx.good.test[127.0.0.3]:25: "
	    "self-signed certificate"), LOGPARSE_CERT_FAIL, "cert failure");
	tap_ok(strcmp(ev.host, "mx.good.test") == 0 &&
	    strcmp(ev.addr, "127.0.0.3") == 0 && ev.port == 25,
	    "  peer");
	tap_is_str(ev.reason, "self-signed certificate", "  reason");
	tap_is_int(parse("Nov 23 11:10:43 sender postfix/smtp[441]: server "
	    "certificate verification failed for mx.good.test[127.0.0.4]:25: "
	    "num=62:hostname mismatch"), LOGPARSE_CERT_FAIL,
	    "server cert failure");
	tap_is_str(ev.reason, "num=62:hostname mismatch", "  reason");

	tap_is_int(parse("Nov 23 11:10:46 sender postfix/smtp[437]: warning: "
	    "TLS policy lookup for down5.test/mx.good.test: client TLS "
	    "configuration problem"), LOGPARSE_LOOKUP_ERROR,
	    "policy lookup error");
	tap_ok(strcmp(ev.dest, "down5.test") == 0 &&
	    strcmp(ev.host, "mx.good.test") == 0 &&
	    strcmp(ev.reason, "client TLS configuration problem") == 0,
	    "  dest, host, reason");
	tap_is_int(parse("Nov 23 11:10:46 sender postfix/smtp[437]: warning: "
	    "smtp_tls_policy_maps, next-hop destination \"down5.test\": "
	    "policy table lookup error"), LOGPARSE_OTHER,
	    "the lookup error's precursor warning is OTHER");
	tap_is_int(parse("Nov 23 11:10:45 sender postfix/postmap[1132]: "
	    "warning: TLS policy lookup for down5.test/mx.good.test: client "
	    "TLS configuration problem"), LOGPARSE_OTHER,
	    "the same warning from postmap is OTHER");
	tap_is_str(ev.service, "postfix/postmap", "  service still set");
	tap_is_int(parse("Nov 23 11:10:36 mx postfix-good/smtpd[445]: "
	    "Anonymous TLS connection established from unknown[127.0.0.10]: "
	    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"),
	    LOGPARSE_OTHER, "smtpd \"established from\" is OTHER");
	tap_is_int(parse("Nov 23 11:10:36 mx postfix-good/discard[468]: "
	    "A0E37A7624E: to=<user0@open-good.test>, relay=none, delay=0.22, "
	    "delays=0.13/0.09/0/0, dsn=2.0.0, status=sent (accepted)"),
	    LOGPARSE_OTHER, "discard delivery is OTHER");
	tap_is_int(parse("Nov 23 11:10:36 sender postfix/qmgr[333]: "
	    "05FE4A7623D: from=<e2e@sender.test>, size=377, nrcpt=1 "
	    "(queue active)"), LOGPARSE_OTHER, "qmgr is OTHER");
}

/* Every level, reuse, IPv6, ports, lmtp and syslog_name prefixes. */
static void
test_tls_lines(void)
{
	static const char *lv[] = { "Anonymous", "Untrusted", "Trusted",
	    "Verified" };
	char line[512];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "Jan  2 03:04:05 h postfix/smtp"
		    "[9]: %s TLS connection established to a.example[192.0.2.1]"
		    ":25: TLSv1.3 with cipher X (1/1 bits)", lv[i]);
		tap_ok(parse(line) == LOGPARSE_TLS &&
		    (int)ev.level == i + 1, "level %s", lv[i]);
	}
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Bogus TLS connection "
	    "established to a[1.2.3.4]:25: TLSv1.3 with cipher X") ==
	    LOGPARSE_OTHER, "unknown level is OTHER");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: verified TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher X")
	    == LOGPARSE_OTHER, "level is case-sensitive");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Verified TLS "
	    "connection reused to a[1.2.3.4]:25: TLSv1.3 with cipher X") ==
	    LOGPARSE_TLS && ev.reused, "reused connection");
	tap_ok(parse("Jan  2 03:04:05 h postfix-out/smtp[9]: Verified TLS "
	    "connection established to mx.example[2001:db8::1]:587: TLSv1.3 "
	    "with cipher TLS_AES_128_GCM_SHA256") == LOGPARSE_TLS &&
	    strcmp(ev.addr, "2001:db8::1") == 0 && ev.port == 587 &&
	    strcmp(ev.service, "postfix-out/smtp") == 0,
	    "IPv6, port 587, postfix-out/smtp, no tail");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Trusted TLS "
	    "connection established to 2001:db8::25[2001:db8::25]:25: TLSv1.3 "
	    "with cipher X (1/1 bits)") == LOGPARSE_TLS &&
	    strcmp(ev.host, "2001:db8::25") == 0, "IPv6 literal as host");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Trusted TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher "
	    "ECDHE (256/256 bits) some-future-field FOO (bar) baz") ==
	    LOGPARSE_TLS && strcmp(ev.cipher, "ECDHE") == 0,
	    "unknown tail is ignored");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Trusted TLS "
	    "connection established to a[1.2.3.4]:99999: TLSv1.3 with cipher "
	    "X") == LOGPARSE_OTHER, "port over 65535 is OTHER");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: Trusted TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3.0.0.0.0.0.0.0.0 "
	    "with cipher X") == LOGPARSE_OTHER,
	    "protocol longer than its field is OTHER, not cut");
	tap_ok(parse("Jan  2 03:04:05 h postfix/lmtp[9]: Verified TLS "
	    "connection established to lmtp.example[192.0.2.9]:24: TLSv1.3 "
	    "with cipher X") == LOGPARSE_TLS && ev.lmtp == 1 && ev.port == 24,
	    "lmtp TLS line");
	tap_ok(parse("Jan  2 03:04:05 h postfix/relay/smtp[9]: Verified TLS "
	    "connection established to r[192.0.2.9]:25: TLSv1.3 with cipher "
	    "X") == LOGPARSE_TLS, "syslog_name postfix/relay");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtpd[9]: Verified TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher X")
	    == LOGPARSE_OTHER, "forged-looking smtpd line is OTHER");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp-x[9]: Verified TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher X")
	    == LOGPARSE_OTHER, "postfix/smtp-x is OTHER");
	tap_ok(parse("Jan  2 03:04:05 h smtp[9]: Verified TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher X")
	    == LOGPARSE_OTHER, "bare smtp tag is OTHER");
}

/* Delivery lines: relays, conn_use, statuses and odd recipients. */
static void
test_deliveries(void)
{
	static const char *pre = "Jan  2 03:04:05 h postfix/smtp[9]: ABC: ";
	static const struct {
		const char *rest;
		enum logparse_kind kind;
		const char *domain;
		const char *what;
	} t[] = {
		{ "to=<user@Example.COM>, relay=mx[1.2.3.4]:25, delay=1, "
		  "dsn=2.0.0, status=sent (ok)", LOGPARSE_DELIVERY,
		  "example.com", "domain is lowercased" },
		{ "to=<>, relay=mx[1.2.3.4]:25, dsn=2.0.0, status=sent (ok)",
		  LOGPARSE_DELIVERY, "", "to=<> has no domain" },
		{ "to=<postmaster>, relay=local, dsn=2.0.0, status=sent (ok)",
		  LOGPARSE_DELIVERY, "", "no domain" },
		{ "to=<\"a@evil.test\"@good.test>, relay=m[1.2.3.4]:25, "
		  "dsn=2.0.0, status=sent (ok)", LOGPARSE_DELIVERY,
		  "good.test", "quoted '@' in local part" },
		{ "to=<\"a>, relay=x[9.9.9.9]:25, dsn=2.0.0, status=sent "
		  "(x)@evil.test\"@good.test>, relay=m[1.2.3.4]:25, "
		  "dsn=4.7.5, status=deferred (no)", LOGPARSE_DELIVERY,
		  "good.test", "quoted '>' and forged fields in local part" },
		{ "to=<\"a\\\"b>\"@good.test>, relay=m[1.2.3.4]:25, "
		  "dsn=2.0.0, status=sent (ok)", LOGPARSE_DELIVERY,
		  "good.test", "escaped quote inside quotes" },
		{ "to=<\"unterminated@good.test>, relay=m[1.2.3.4]:25, "
		  "dsn=2.0.0, status=sent (ok)", LOGPARSE_OTHER, "",
		  "unterminated quote is OTHER" },
		{ "to=<user@good.test, relay=m[1.2.3.4]:25, dsn=2.0.0, "
		  "status=sent (ok)", LOGPARSE_OTHER, "", "no '>' is OTHER" },
		{ "to=<a@b@c.test>, relay=m[1.2.3.4]:25, dsn=2.0.0, "
		  "status=sent (ok)", LOGPARSE_DELIVERY, "c.test",
		  "last '@' wins" },
		{ "to=<a@>, relay=m[1.2.3.4]:25, dsn=2.0.0, status=sent (ok)",
		  LOGPARSE_DELIVERY, "", "empty domain" },
		{ "to=<a@[192.0.2.1]>, relay=m[192.0.2.1]:25, dsn=2.0.0, "
		  "status=sent (ok)", LOGPARSE_DELIVERY, "[192.0.2.1]",
		  "address literal domain" },
		{ "to=<a@b.test>, orig_to=<alias@Other.test>, relay=m[1.2.3.4]"
		  ":25, dsn=2.0.0, status=sent (ok)", LOGPARSE_DELIVERY,
		  "b.test", "orig_to is skipped" },
		{ "to=<a@b.test>, relay=m[1.2.3.4]:25, dsn=2.0.0, "
		  "status=bounced (host said: 550 no such user)",
		  LOGPARSE_DELIVERY, "b.test", "bounced" },
		{ "to=<a@b.test>, relay=m[1.2.3.4]:25, dsn=2.0.0, "
		  "status=sent ok", LOGPARSE_OTHER, "", "status without (reason)" },
		{ "to=<a@b.test>, relay=m[1.2.3.4]:25, status=sent (ok)",
		  LOGPARSE_OTHER, "", "no dsn is OTHER" },
		{ "to=<a@b.test>, dsn=2.0.0, status=sent (ok)",
		  LOGPARSE_OTHER, "", "no relay is OTHER" },
		{ "to=<a@b.test>, relay=m[1.2.3.4]:25, dsn=2.x.0, "
		  "status=sent (ok)", LOGPARSE_OTHER, "", "bad dsn is OTHER" },
		{ "to=<a@b.test>, relay=m[1.2.3.4]:25, dsn=2.0.0, "
		  "status=sent (ok), status=deferred (x)", LOGPARSE_DELIVERY,
		  "b.test", "status is last: later text is its reason" },
	};
	char line[1024];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", pre, t[i].rest);
		tap_ok(parse(line) == t[i].kind &&
		    strcmp(ev.rcpt_domain, t[i].domain) == 0, "%s", t[i].what);
		if (ev.kind != t[i].kind || strcmp(ev.rcpt_domain,
		    t[i].domain) != 0)
			printf("# kind %d domain \"%s\"\n", ev.kind,
			    ev.rcpt_domain);
	}
	snprintf(line, sizeof(line), "%s%s", pre, t[4].rest);
	parse(line);
	tap_ok(ev.status == STATUS_DEFERRED && strcmp(ev.addr, "1.2.3.4") ==
	    0 && strcmp(ev.dsn, "4.7.5") == 0, "  the forged fields did not win");
	parse("Jan  2 03:04:05 h postfix/smtp[9]: ABC: to=<a@b.test>, "
	    "relay=m[1.2.3.4]:25, dsn=2.0.0, status=expired (too old)");
	tap_is_int(ev.status, STATUS_OTHER, "another status word");

	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: 3Ng4Rz2dRDz9tNP: "
	    "to=<a@b.test>, relay=mx.b.test[192.0.2.7]:25, conn_use=2, "
	    "delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (ok)") ==
	    LOGPARSE_DELIVERY && ev.conn_use == 2 &&
	    strcmp(ev.queue_id, "3Ng4Rz2dRDz9tNP") == 0,
	    "conn_use=2, long queue id");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: ABC: to=<a@b.test>, "
	    "relay=127.0.0.1[127.0.0.1]:10024, delay=1, dsn=2.0.0, "
	    "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 "
	    "2.0.0 Ok: queued as X)") == LOGPARSE_DELIVERY &&
	    ev.relay == RELAY_ADDR && ev.port == 10024 &&
	    strcmp(ev.host, "127.0.0.1") == 0, "content filter relay");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: ABC: to=<a@b.test>, "
	    "relay=smtp.relay.example[198.51.100.5]:587, dsn=2.0.0, "
	    "status=sent (ok)") == LOGPARSE_DELIVERY && ev.port == 587 &&
	    strcmp(ev.host, "smtp.relay.example") == 0, "relayhost on 587");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: ABC: to=<a@b.test>, "
	    "relay=mx.b.test[2001:db8::25]:25, dsn=4.7.5, status=deferred "
	    "(Server certificate not verified)") == LOGPARSE_DELIVERY &&
	    strcmp(ev.addr, "2001:db8::25") == 0, "IPv6 relay");
	tap_ok(parse("Jan  2 03:04:05 h postfix/lmtp[9]: ABC: to=<a@b.test>, "
	    "relay=mail.b.test[private/dovecot-lmtp], dsn=2.0.0, status=sent "
	    "(ok)") == LOGPARSE_DELIVERY && ev.port == 0 && ev.lmtp &&
	    strcmp(ev.addr, "private/dovecot-lmtp") == 0,
	    "lmtp over a unix socket: no port");
	tap_ok(parse("Jan  2 03:04:05 h postfix/smtp[9]: ABC: to=<a@b.test>, "
	    "relay=local, dsn=2.0.0, status=sent (ok)") == LOGPARSE_DELIVERY &&
	    ev.relay == RELAY_OTHER && strcmp(ev.host, "local") == 0,
	    "relay=local");
}

/* Syslog prefixes: classic, maillog_file, RFC 3339, journalctl, bad. */
static void
test_prefixes(void)
{
	static const char *msg = "postfix/smtp[77]: Verified TLS connection "
	    "established to a[1.2.3.4]:25: TLSv1.3 with cipher X";
	static const char *jmsg = "Verified TLS connection established to "
	    "a[1.2.3.4]:25: TLSv1.3 with cipher X";
	char line[512];

	snprintf(line, sizeof(line), "2026-11-23T08:30:26.123456+00:00 h %s",
	    msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.time == 1795422626 &&
	    ev.month == 11 && ev.day == 23 && ev.hour == 8 && ev.pid == 77,
	    "RFC 3339 with microseconds");
	snprintf(line, sizeof(line), "2026-11-23T09:30:26+01:00 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.time == 1795422626,
	    "RFC 3339 with +01:00");
	snprintf(line, sizeof(line), "2026-11-23T08:30:26Z h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.time == 1795422626,
	    "RFC 3339 with Z");
	snprintf(line, sizeof(line), "2026-11-23T03:30:26-0500 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.time == 1795422626,
	    "journalctl short-iso -0500");
	snprintf(line, sizeof(line), "2024-02-29T00:00:00Z h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.time == 1709164800,
	    "leap day");
	snprintf(line, sizeof(line), "2026-02-29T00:00:00Z h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER, "no Feb 29 in 2026");
	snprintf(line, sizeof(line), "2026-11-23 08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER, "no T: OTHER");
	snprintf(line, sizeof(line), "2026-11-23T08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER, "no zone: OTHER");
	snprintf(line, sizeof(line), "Nov  3 08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.day == 3 && ev.time == -1,
	    "classic, space-padded day");
	snprintf(line, sizeof(line), "Nov 03 08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.day == 3,
	    "classic, zero-padded day");
	snprintf(line, sizeof(line), "Dec 31 23:59:60 h %s\n", msg);
	tap_ok(parse(line) == LOGPARSE_TLS && ev.month == 12 && ev.sec == 60,
	    "trailing newline, leap second");
	snprintf(line, sizeof(line), "Nov 32 08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER, "day 32: OTHER");
	snprintf(line, sizeof(line), "Nov 23 24:00:00 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER, "hour 24: OTHER");
	snprintf(line, sizeof(line), "Foo 23 08:30:26 h %s", msg);
	tap_ok(parse(line) == LOGPARSE_OTHER && ev.service[0] == '\0',
	    "bad month: OTHER, no service");
	tap_ok(parse("Nov 23 08:30:26 h postfix/smtp: Verified TLS connection "
	    "established to a[1.2.3.4]:25: TLSv1.3 with cipher X") ==
	    LOGPARSE_OTHER, "no pid: OTHER");
	tap_ok(parse("Nov 23 08:30:26 h postfix/smtp[0]: Verified TLS "
	    "connection established to a[1.2.3.4]:25: TLSv1.3 with cipher X")
	    == LOGPARSE_OTHER, "pid 0: OTHER");
	tap_ok(parse("Nov 23 08:30:26 h postfix/smtp[12345678901]: Verified "
	    "TLS connection established to a[1.2.3.4]:25: TLSv1.3 with cipher "
	    "X") == LOGPARSE_OTHER, "pid too long: OTHER");
	tap_ok(parse("Nov 23 08:30:26 h a-very-long-syslog-name-for-posfix/"
	    "smtp[9]: Verified TLS connection established to a[1.2.3.4]:25: "
	    "TLSv1.3 with cipher X") == LOGPARSE_OTHER,
	    "tag longer than service[]: OTHER");
	tap_ok(parse("") == LOGPARSE_OTHER && parse("\n") == LOGPARSE_OTHER,
	    "empty lines");

	tap_ok(logparse_message("postfix/smtp", 12, 437, jmsg, strlen(jmsg),
	    &ev) == LOGPARSE_TLS && ev.pid == 437 && ev.time == -1 &&
	    strcmp(ev.service, "postfix/smtp") == 0, "journal entry");
	tap_ok(logparse_message("postfix/smtpd", 13, 437, jmsg, strlen(jmsg),
	    &ev) == LOGPARSE_OTHER, "journal entry from smtpd");
	tap_ok(logparse_is_smtp("postfix/smtp", 12) &&
	    logparse_is_smtp("postfix-out/smtp", 16) &&
	    !logparse_is_smtp("postfix/smtpd", 13) &&
	    !logparse_is_smtp("smtp", 4) && !logparse_is_smtp("/smtp", 5) &&
	    !logparse_is_smtp("postfix//smtp", 13) &&
	    !logparse_is_smtp("post fix/smtp", 13) &&
	    !logparse_is_smtp("postfix/lmtp", 12) &&
	    logparse_is_lmtp("postfix/lmtp", 12) &&
	    !logparse_is_smtp("postfix/smtp", 11), "logparse_is_smtp");
}

/* Damage: every prefix of good lines, long lines, odd bytes, NULs. */
static void
test_damage(void)
{
	static const char *good[] = {
		"Nov 23 11:10:36 sender postfix/smtp[441]: Trusted TLS "
		"connection established to mx.good.test[127.0.0.2]:25: TLSv1.3 "
		"with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
		"Nov 23 11:10:39 sender postfix/smtp[452]: 92488A76290: "
		"to=<during@strip2.test>, relay=mx.good.test[127.0.0.5]:25, "
		"conn_use=3, delay=0.04, delays=0.02/0/0.01/0, dsn=4.7.4, "
		"status=deferred (TLS is required, but was not offered by host "
		"mx.good.test[127.0.0.5])",
		"Nov 23 11:10:43 sender postfix/smtp[441]: server certificate "
		"verification failed for mx.good.test[127.0.0.4]:25: "
		"num=62:hostname mismatch",
		"Nov 23 11:10:46 sender postfix/smtp[437]: warning: TLS policy "
		"lookup for down5.test/mx.good.test: client TLS configuration "
		"problem",
	};
	size_t i, n, len, bad;
	char *big;
	enum logparse_kind full, k;
	struct logparse_event whole;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = strlen(good[i]);
		full = logparse_line(good[i], len, &whole);
		bad = 0;
		for (n = 0; n < len; n++) {
			/* a heap copy of exactly n bytes: ASan sees overreads */
			char *p = malloc(n ? n : 1);

			memcpy(p, good[i], n);
			k = logparse_line(p, n, &ev);
			if (k != LOGPARSE_OTHER && (k != full ||
			    strcmp(ev.host, whole.host) != 0 ||
			    strcmp(ev.addr, whole.addr) != 0 ||
			    ev.port != whole.port ||
			    strcmp(ev.queue_id, whole.queue_id) != 0 ||
			    strcmp(ev.dsn, whole.dsn) != 0 ||
			    strcmp(ev.protocol, whole.protocol) != 0 ||
			    strncmp(ev.reason, whole.reason,
			    strlen(ev.reason)) != 0))
				bad++;
			if (k == LOGPARSE_DELIVERY)
				bad++;	/* a cut delivery lost its ')' */
			free(p);
		}
		tap_ok(full != LOGPARSE_OTHER && bad == 0,
		    "every prefix of good line %zu is OTHER or a consistent "
		    "part", i);
	}

	/* 100 KB lines: a long reason is cut, a long host is OTHER */
	big = malloc(100001);
	len = (size_t)snprintf(big, 100001, "Nov 23 11:10:39 s postfix/smtp"
	    "[4]: ABC: to=<a@b.test>, relay=m[1.2.3.4]:25, dsn=5.0.0, "
	    "status=bounced (");
	memset(big + len, 'x', 100000 - len - 1);
	/* a two-byte UTF-8 character across the cut at 511 bytes */
	big[len + 510] = (char)0xc3;
	big[len + 511] = (char)0xa9;
	big[99999] = ')';
	tap_ok(logparse_line(big, 100000, &ev) == LOGPARSE_DELIVERY &&
	    ev.reason_truncated && strlen(ev.reason) == 510,
	    "100 KB reason: cut before a split UTF-8 character");
	len = (size_t)snprintf(big, 100001, "Nov 23 11:10:39 s postfix/smtp"
	    "[4]: Verified TLS connection established to ");
	memset(big + len, 'h', 100000 - len);
	tap_ok(logparse_line(big, 100000, &ev) == LOGPARSE_OTHER,
	    "100 KB host: OTHER");
	memset(big, 'A', 100000);
	tap_ok(logparse_line(big, 100000, &ev) == LOGPARSE_OTHER,
	    "100 KB of garbage: OTHER");
	free(big);

	tap_ok(parse("Nov 23 11:10:36 s postfix/smtp[4]: ABC: to=<\xff\xfe@"
	    "\xc3\xa9xample.test>, relay=m[1.2.3.4]:25, dsn=2.0.0, "
	    "status=sent (\x80\x81)") == LOGPARSE_DELIVERY &&
	    strcmp(ev.rcpt_domain, "\xc3\xa9xample.test") == 0,
	    "non-UTF-8 and UTF-8 bytes are data");
	tap_ok(parse("Nov 23 11:10:36 s postfix/smtp[4]: Trusted TLS "
	    "connection established to m\xff[1.2.3.4]:25: TLSv1.3 with cipher "
	    "X") == LOGPARSE_OTHER, "a non-ASCII host name is OTHER");
	{
		static const char nul[] = "Nov 23 11:10:36 s postfix/smtp[4]: "
		    "Trusted TLS connection established to m[1.2.3.4]:25: "
		    "TLSv1.3 with cipher X\0 (tail)";

		tap_ok(logparse_line(nul, sizeof(nul) - 1, &ev) ==
		    LOGPARSE_OTHER, "a NUL in the message: OTHER");
		tap_ok(logparse_line(nul, 40, &ev) == LOGPARSE_OTHER &&
		    strcmp(ev.service, "postfix/smtp") == 0,
		    "  but the prefix before it parses");
	}
	{
		static const char nul2[] = "Nov 23 11:10:36 s\0x postfix/smtp[4]"
		    ": Trusted TLS connection established to m[1.2.3.4]:25: "
		    "TLSv1.3 with cipher X";

		tap_ok(logparse_line(nul2, sizeof(nul2) - 1, &ev) ==
		    LOGPARSE_OTHER, "a NUL in the host name: OTHER");
	}
}

int
main(void)
{
	test_sender_logs();
	test_receiver_logs();
	test_sender_facts();
	test_tls_lines();
	test_deliveries();
	test_prefixes();
	test_damage();
	return tap_done();
}
