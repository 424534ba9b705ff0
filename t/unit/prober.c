/*
 * NAME
 *	t/unit/prober - tests for what a probe process tells the learner
 * DESCRIPTION
 *	prober_result_encode() and prober_result_decode(): a round trip
 *	gives every field back and the bytes are as prober.c documents;
 *	encoding into a buffer too small fails; every truncation and a byte
 *	too many are refused. Messages written here field by field check
 *	that each field at its maximum passes and one byte more fails, and
 *	that an unknown version or verdict, dnssec above 1, a NUL in a
 *	field, a domain or a name list that is not host names, and a note
 *	that is not printable are refused. Then prober_summarize() on
 *	hand-filled probe results: the verdict, the MX names sorted and what
 *	fits of them, the note and its non-printable bytes; and whatever it
 *	gives makes a message that decodes.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "learn.h"
#include "probe.h"
#include "prober.h"
#include "tap.h"

#define T0 ((uint64_t)1795000000)

/* Room for every field one byte over its maximum. */
#define WIRE_MAX (PROBER_MSG_MAX + 16)

static unsigned char W[WIRE_MAX];
static size_t WN;
static char DOM[KEY_MAX + 1];
static struct learn_probe P;
static const char *ERR;

/* Start a message by hand: version, time, verdict, dnssec. */
static void
wire_head(unsigned version, unsigned verdict, unsigned dnssec)
{
	size_t i;

	W[0] = (unsigned char)version;
	for (i = 0; i < 8; i++)
		W[1 + i] = (unsigned char)(T0 >> (8 * i));
	W[9] = (unsigned char)verdict;
	W[10] = (unsigned char)dnssec;
	WN = 11;
}

/* Append a field of n bytes (NUL bytes allowed) with its length. */
static void
wire_text(const char *s, size_t n)
{
	if (WN + 2 + n > sizeof(W))
		abort();
	W[WN] = (unsigned char)n;
	W[WN + 1] = (unsigned char)(n >> 8);
	memcpy(W + WN + 2, s, n);
	WN += 2 + n;
}

/* Decode the message in W into DOM, P and ERR. */
static int
decode(void)
{
	ERR = NULL;
	return prober_result_decode(W, WN, DOM, &P, &ERR);
}

/* Decode a message of this head and four fields of n[i] bytes each. */
static int
wire_fields(unsigned version, unsigned verdict, unsigned dnssec,
    const char *const f[4], const size_t n[4])
{
	size_t i;

	wire_head(version, verdict, dnssec);
	for (i = 0; i < 4; i++)
		wire_text(f[i], n[i]);
	return decode();
}

/* Decode a secure, validated message of these four fields. */
static int
wire(const char *domain, const char *mx, const char *verified,
    const char *note)
{
	const char *const f[4] = { domain, mx, verified, note };
	const size_t n[4] = {
		strlen(domain), strlen(mx), strlen(verified), strlen(note)
	};

	return wire_fields(1, LEARN_PROBE_SECURE, 1, f, n);
}

/* n bytes of host names joined by ':' into out (n + 1 bytes). */
static void
name_list(char *out, size_t n)
{
	size_t off = 0, k;

	while (off < n) {
		k = n - off <= 60 ? n - off : 50;
		memset(out + off, 'm', k);
		off += k;
		if (off < n)
			out[off++] = ':';
	}
	out[n] = '\0';
}

/* A host name of exactly n bytes (n <= 253) into out. */
static void
long_name(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = i % 60 == 59 && i + 1 < n ? '.' : 'h';
	out[n] = '\0';
}

static void
test_round_trip(void)
{
	struct learn_probe in, small;
	unsigned char buf[PROBER_MSG_MAX];
	size_t n, len, bad = 0;

	memset(&in, 0, sizeof(in));
	in.time = 0x1122334455667788ULL;
	in.verdict = LEARN_PROBE_SECURE;
	in.dnssec = 1;
	snprintf(in.mx, sizeof(in.mx), "mx1.example.com:mx2.example.com");
	snprintf(in.verified, sizeof(in.verified), "mx1.example.com");
	snprintf(in.note, sizeof(in.note), "probe: secure");
	n = prober_result_encode("example.com", &in, buf, sizeof(buf));
	tap_is_int((long long)n, 11 + 2 + 11 + 2 + 31 + 2 + 15 + 2 + 13,
	    "encoded: 11 bytes and four fields with their lengths");
	tap_is_mem(buf, 11, "\x01\x88\x77\x66\x55\x44\x33\x22\x11\x02\x01",
	    11, "version 1, little-endian time, verdict, dnssec");
	tap_is_mem(buf + 11, 13, "\x0b\x00" "example.com", 13,
	    "then the domain with its little-endian length");
	tap_is_mem(buf + n - 15, 15, "\x0d\x00" "probe: secure", 15,
	    "the note last");

	memcpy(W, buf, n);
	WN = n;
	tap_is_int(decode(), 1, "the message decodes");
	tap_ok(ERR == NULL, "with no reason");
	tap_ok(P.time == in.time && P.verdict == in.verdict &&
	    P.dnssec == 1 && strcmp(DOM, "example.com") == 0 &&
	    strcmp(P.mx, in.mx) == 0 && strcmp(P.verified, in.verified) == 0 &&
	    strcmp(P.note, in.note) == 0, "to every field given");

	for (len = 0; len < n; len++)
		if (prober_result_encode("example.com", &in, buf, len) != 0)
			bad++;
	tap_is_int((long long)bad, 0, "encoding into any smaller buffer fails");
	tap_is_int((long long)prober_result_encode("example.com", &in, buf, n),
	    (long long)n, "and into exactly enough works");

	for (len = 0, bad = 0; len < n; len++) {
		ERR = NULL;
		if (prober_result_decode(buf, len, DOM, &small, &ERR) != 0 ||
		    ERR == NULL)
			bad++;
	}
	tap_is_int((long long)bad, 0, "every truncation is refused, with a "
	    "reason");
	buf[n] = 0;
	tap_is_int(prober_result_decode(buf, n + 1, DOM, &small, &ERR), 0,
	    "a byte too many is refused");

	in.dnssec = 7;
	in.verdict = LEARN_PROBE_DANE;
	in.mx[0] = in.verified[0] = in.note[0] = '\0';
	n = prober_result_encode("a.example", &in, buf, sizeof(buf));
	tap_ok(n == 11 + 2 + 9 + 3 * 2 && buf[9] == LEARN_PROBE_DANE &&
	    buf[10] == 1, "dnssec is sent as 0 or 1; empty fields are "
	    "just their length");
	tap_ok(prober_result_decode(buf, n, DOM, &P, &ERR) == 1 &&
	    P.dnssec == 1 && P.verdict == LEARN_PROBE_DANE && P.mx[0] == '\0' &&
	    P.verified[0] == '\0' && P.note[0] == '\0', "and decodes so");
}

static void
test_bounds(void)
{
	static char big[0x10000 + 1];
	static char list[RECORD_MATCH_MAX + 2];
	static char note[RECORD_PROBE_MAX + 2];
	char name[DNSMSG_NAME_MAX + 2];
	unsigned char buf[16];

	long_name(name, DNSMSG_NAME_MAX);
	tap_is_int(wire(name, "", "", ""), 1, "a domain of 253 bytes");
	long_name(name, DNSMSG_NAME_MAX + 1);
	tap_is_int(wire(name, "", "", ""), 0, "a domain of 254 bytes");
	tap_is_str(ERR, "probe message has a field out of bounds",
	    "the reason");

	name_list(list, RECORD_MATCH_MAX);
	tap_is_int(wire("example.com", list, list, ""), 1,
	    "MX and proved lists of RECORD_MATCH_MAX bytes");
	tap_ok(strcmp(P.mx, list) == 0 && strcmp(P.verified, list) == 0,
	    "come back whole");
	name_list(list, RECORD_MATCH_MAX + 1);
	tap_is_int(wire("example.com", list, "", ""), 0,
	    "an MX list one byte longer");
	tap_is_int(wire("example.com", "", list, ""), 0,
	    "a proved list one byte longer");

	memset(note, '~', RECORD_PROBE_MAX);
	note[RECORD_PROBE_MAX] = '\0';
	tap_is_int(wire("example.com", "", "", note), 1,
	    "a note of RECORD_PROBE_MAX bytes");
	note[RECORD_PROBE_MAX] = ' ';
	note[RECORD_PROBE_MAX + 1] = '\0';
	tap_is_int(wire("example.com", "", "", note), 0,
	    "a note one byte longer");

	/* a length that promises more than there is, or 64 KiB */
	wire_head(1, 0, 0);
	wire_text("example.com", 11);
	W[WN++] = 0xff;
	W[WN++] = 0xff;
	tap_is_int(decode(), 0, "a length of 65535 with nothing after");

	memset(big, 'a', 0x10000);
	memset(&P, 0, sizeof(P));
	tap_is_int((long long)prober_result_encode(big, &P, buf, sizeof(buf)),
	    0, "encode refuses a field over 65535 bytes");
}

static void
test_refused(void)
{
	static const char *const names[] = {
		"", "a b", "Example.com", "a..b", ".a", "a.", "a:b",
		"exa\x80mple.com", "a_b.example;"
	};
	static const char *const lists[] = {
		"a b", "a::b", "a:", ":a", ":",
		"mx.example.com:MX2.example.com", "mx.example.com.",
		"mx.example.com:bad name"
	};
	static const char *const notes[] = {
		"tab\there", "new\nline", "del\x7f", "high\x80", "\x1b[31m"
	};
	static const struct {
		const char *f[4];
		size_t n[4];
		const char *what;
	} nuls[] = {
		{ { "exa\0mple.com", "", "", "" }, { 12, 0, 0, 0 },
		    "a NUL in the domain" },
		{ { "example.com", "mx.example.com\0", "", "" },
		    { 11, 15, 0, 0 }, "a NUL at the end of the MX list" },
		{ { "example.com", "", "", "probe:\0secure" }, { 11, 0, 0, 13 },
		    "a NUL in the note" },
	};
	static const char *const plain[4] = { "example.com", "", "", "" };
	static const size_t plain_n[4] = { 11, 0, 0, 0 };
	static const unsigned versions[] = { 0, 2, 255 };
	size_t i;
	int bad;

	tap_is_int(wire("example.com", "", "", ""), 1, "empty lists and note "
	    "are fine");
	tap_is_int(wire("example.com", "a:b.example:c_d.example",
	    "b.example", "probe: secure: ~!@#$%^&*()"), 1,
	    "lists of host names and a printable note are fine");

	for (i = 0, bad = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bad += wire(names[i], "", "", "") != 0;
	tap_is_int(bad, 0, "a domain that is not a host name is refused");
	tap_is_str(ERR, "probe message has a bad name or note", "the reason");
	for (i = 0, bad = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		bad += wire("example.com", lists[i], "", "") != 0 ||
		    wire("example.com", "", lists[i], "") != 0;
	tap_is_int(bad, 0, "an MX or proved list with an empty or bad name is "
	    "refused (\"a::b\", \"a:\", \"a b\", ...)");
	for (i = 0, bad = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		bad += wire("example.com", "", "", notes[i]) != 0;
	tap_is_int(bad, 0, "a note with a control byte, DEL or a byte above "
	    "0x7f is refused");

	for (i = 0; i < sizeof(nuls) / sizeof(nuls[0]); i++)
		tap_is_int(wire_fields(1, 0, 0, nuls[i].f, nuls[i].n), 0,
		    nuls[i].what);

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		tap_ok(wire_fields(versions[i], 0, 0, plain, plain_n) == 0,
		    "version %u is refused", versions[i]);
	tap_is_str(ERR, "probe message is truncated or of an unknown version",
	    "the reason");
	for (i = 0; i <= LEARN_PROBE_DANE + 1; i++)
		tap_ok(wire_fields(1, (unsigned)i, 0, plain, plain_n) ==
		    (i <= LEARN_PROBE_DANE), "verdict %zu is %s", i,
		    i <= LEARN_PROBE_DANE ? "taken" : "refused");
	tap_is_str(ERR, "probe message has an unknown verdict", "the reason");
	W[9] = 0xff;
	tap_is_int(decode(), 0, "verdict 255");
	W[9] = 0;
	W[10] = 2;
	tap_is_int(decode(), 0, "dnssec 2");
}

static struct probe_result R;

/* Set R's MX host i to name. */
static void
set_mx(unsigned i, const char *name)
{
	snprintf(R.mx[i].name, sizeof(R.mx[i].name), "%s", name);
}

/* Summarize R, encode and decode it: 1 when the learner would take it. */
static int
summarize(void)
{
	struct learn_probe back;
	unsigned char buf[PROBER_MSG_MAX];
	size_t n;

	prober_summarize(&R, T0, &P);
	n = prober_result_encode("example.com", &P, buf, sizeof(buf));
	return n > 0 && prober_result_decode(buf, n, DOM, &back, &ERR) &&
	    memcmp(&back, &P, sizeof(P)) == 0;
}

static void
test_summarize(void)
{
	static const struct {
		enum probe_verdict in;
		int out;
		const char *note;
	} verdicts[] = {
		{ PROBE_NONE, LEARN_PROBE_NONE, "probe: none" },
		{ PROBE_ENCRYPT, LEARN_PROBE_ENCRYPT, "probe: encrypt" },
		{ PROBE_SECURE, LEARN_PROBE_SECURE, "probe: secure" },
		{ PROBE_DANE, LEARN_PROBE_DANE, "probe: dane" },
		{ (enum probe_verdict)9, LEARN_PROBE_NONE, "probe: none" },
	};
	char name[DNSMSG_NAME_MAX + 1];
	size_t i;
	int bad;

	memset(&R, 0, sizeof(R));
	R.verdict = PROBE_SECURE;
	R.dnssec = 1;
	R.nmx = 3;
	set_mx(0, "mx2.example.com");
	set_mx(1, "mx1.example.com");
	set_mx(2, "a.example.net");
	snprintf(R.verified, sizeof(R.verified),
	    "mx1.example.com:mx2.example.com");
	tap_is_int(summarize(), 1, "a secure result makes a message that "
	    "decodes to the same");
	tap_ok(P.time == T0 && P.verdict == LEARN_PROBE_SECURE &&
	    P.dnssec == 1, "its time, verdict and dnssec");
	tap_is_str(P.mx, "a.example.net:mx1.example.com:mx2.example.com",
	    "the MX names sorted, joined by ':'");
	tap_is_str(P.verified, "mx1.example.com:mx2.example.com",
	    "the proved names as probe_judge() gave them");
	tap_is_str(P.note, "probe: secure", "a note of the verdict alone");

	R.nproblems = 2;
	snprintf(R.problems[0], sizeof(R.problems[0]),
	    "mx1.example.com[192.0.2.1]: no TLS");
	snprintf(R.problems[1], sizeof(R.problems[1]), "bad\x01" "byte\x80"
	    "\x7f");
	tap_is_int(summarize(), 1, "with problems");
	tap_is_str(P.note, "probe: secure: mx1.example.com[192.0.2.1]: no TLS; "
	    "bad?byte??", "the problems follow, non-printable bytes as '?'");

	for (i = 0, bad = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		R.verdict = verdicts[i].in;
		R.nproblems = 0;
		if (!summarize() || P.verdict != verdicts[i].out ||
		    strcmp(P.note, verdicts[i].note) != 0) {
			printf("# verdict %d: %d \"%s\"\n", (int)verdicts[i].in,
			    P.verdict, P.note);
			bad++;
		}
	}
	tap_is_int(bad, 0, "none, encrypt, secure, dane map across; an unknown "
	    "verdict is none");

	R.verdict = PROBE_ENCRYPT;
	R.nproblems = PROBE_PROBLEMS_MAX;
	for (i = 0; i < PROBE_PROBLEMS_MAX; i++) {
		memset(R.problems[i], 'x', PROBE_TEXT_MAX);
		R.problems[i][PROBE_TEXT_MAX] = '\0';
	}
	tap_is_int(summarize(), 1, "twelve long problems still decode");
	tap_is_int((long long)strlen(P.note), RECORD_PROBE_MAX,
	    "the note is cut at RECORD_PROBE_MAX");
	tap_ok(strncmp(P.note, "probe: encrypt: xxx", 19) == 0,
	    "and starts with the verdict");

	R.nproblems = 0;
	R.nmx = PROBE_MX_MAX;
	for (i = 0; i < PROBE_MX_MAX; i++) {
		long_name(name, DNSMSG_NAME_MAX);
		name[0] = (char)('j' - i);
		set_mx((unsigned)i, name);
	}
	R.verified[0] = '\0';
	tap_is_int(summarize(), 1, "ten MX names of 253 bytes still decode");
	tap_ok(strlen(P.mx) == 3 * DNSMSG_NAME_MAX + 2 && P.mx[0] == 'a' &&
	    P.mx[DNSMSG_NAME_MAX + 1] == 'b' &&
	    P.mx[2 * DNSMSG_NAME_MAX + 2] == 'c', "the first three in order "
	    "fit RECORD_MATCH_MAX");

	R.nmx = 0;
	R.verdict = PROBE_NONE;
	tap_is_int(summarize(), 1, "no MX at all");
	tap_ok(P.mx[0] == '\0' && P.verified[0] == '\0' &&
	    strcmp(P.note, "probe: none") == 0, "empty lists, note \"probe: "
	    "none\"");
}

int
main(void)
{
	test_round_trip();
	test_bounds();
	test_refused();
	test_summarize();
	return tap_done();
}
