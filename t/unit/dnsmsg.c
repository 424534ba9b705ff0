/*
 * NAME
 *	t/unit/dnsmsg - tests for the DNS answers a probe reads
 * DESCRIPTION
 *	Real DNS responses, built here the way a resolver sends them:
 *	libc's res_mkquery() writes the header and the question, then the
 *	msg_* helpers append records with owner names compressed or not and
 *	MX targets compressed against the names before them (as dn_comp()
 *	does for a server). dnsmsg_parse() must give: MX hosts sorted by
 *	preference, each once, the DNSMSG_MX_MAX best of more, lowercase
 *	without the trailing dot; targets no host has (a space, a byte
 *	above 0x7f, a dot inside a label, a compression loop, too short)
 *	counted in skipped; the null MX; addresses as text, those of the
 *	wrong length ignored, at most DNSMSG_ADDR_MAX; the MTA-STS TXT
 *	record and its look-alikes; TLSA records counted; CNAMEs, other
 *	classes and the authority and additional sections passed over; the
 *	AD bit and the response code. A truncated message, a count past the
 *	records, bytes after them, an owner name that loops and a message
 *	over 64 KiB are refused with a reason. Then dnsmsg_name_ok() on the
 *	edges of a host name, and the query tlspin doctor sends: read back
 *	with libc's ns_* parser it has RD, AD, the question, and an OPT
 *	record with the DO bit; a reply to it is told from one to another
 *	query, and the AD bit of the reply is what dnsmsg_parse() reads.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "tap.h"

#define MSG_PTRS 64	/* names dn_comp() may compress against */

/* A response being built: its bytes and the names in it so far. */
struct msg {
	unsigned char buf[4096];
	size_t len;
	size_t rdlen_at;	/* where the open record's RDLENGTH goes */
	unsigned char *ptrs[MSG_PTRS];
};

static struct msg M;
static struct dnsmsg D;
static char E[DNSMSG_ERR_MAX];

/* Append n bytes, or abort: the test's own message must fit. */
static void
msg_put(struct msg *m, const void *p, size_t n)
{
	if (n > sizeof(m->buf) - m->len)
		abort();
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

/* Append a 16-bit number in network order. */
static void
msg_u16(struct msg *m, unsigned v)
{
	unsigned char b[2];

	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
	msg_put(m, b, 2);
}

/* Start a response to the query for qname and type, with no records. */
static void
msg_start(struct msg *m, const char *qname, int type)
{
	int n;

	memset(m, 0, sizeof(*m));
	n = res_mkquery(ns_o_query, qname, ns_c_in, type, NULL, 0, NULL,
	    m->buf, (int)sizeof(m->buf));
	if (n < NS_HFIXEDSZ) {
		printf("# res_mkquery %s: failed\n", qname);
		abort();
	}
	m->len = (size_t)n;
	m->buf[0] = 0x12;	/* a fixed id: the same bytes every run */
	m->buf[1] = 0x34;
	m->buf[2] |= 0x80;	/* QR: a response */
	m->buf[3] = 0x80;	/* RA, NOERROR */
	m->ptrs[0] = m->buf;
	m->ptrs[1] = m->buf + NS_HFIXEDSZ;	/* the question's name */
}

/* Set the response code and the AD bit. */
static void
msg_flags(struct msg *m, int rcode, int ad)
{
	m->buf[3] = (unsigned char)(0x80 | (ad ? 0x20 : 0) | (rcode & 0xf));
}

/* Append name, compressed against the names before it or not. */
static void
msg_name(struct msg *m, const char *name, int compress)
{
	int n;

	n = dn_comp(name, m->buf + m->len, (int)(sizeof(m->buf) - m->len),
	    compress ? m->ptrs : NULL, compress ? m->ptrs + MSG_PTRS : NULL);
	if (n < 0) {
		printf("# dn_comp %s: failed\n", name);
		abort();
	}
	m->len += (size_t)n;
}

/* After the owner name: type, class IN, TTL; RDATA follows. */
static void
msg_rr_head(struct msg *m, int type)
{
	msg_u16(m, (unsigned)type);
	msg_u16(m, ns_c_in);
	msg_put(m, "\0\0\x0e\x10", 4);	/* TTL 3600 */
	m->rdlen_at = m->len;
	msg_u16(m, 0);
}

/* Open a record of type at owner; its RDATA follows. */
static void
msg_rr(struct msg *m, const char *owner, int compress, int type)
{
	msg_name(m, owner, compress);
	msg_rr_head(m, type);
}

/* Close the open record: its RDLENGTH, and one more in section's count. */
static void
msg_rr_end(struct msg *m, ns_sect section)
{
	size_t rdlen = m->len - m->rdlen_at - 2, at = 4 + 2 * (size_t)section;
	unsigned count = (unsigned)m->buf[at] << 8 | m->buf[at + 1];

	m->buf[m->rdlen_at] = (unsigned char)(rdlen >> 8);
	m->buf[m->rdlen_at + 1] = (unsigned char)rdlen;
	count++;
	m->buf[at] = (unsigned char)(count >> 8);
	m->buf[at + 1] = (unsigned char)count;
}

/* An answer at owner with rdata as given. */
static void
add_rr(const char *owner, int type, const void *rdata, size_t n)
{
	msg_rr(&M, owner, 1, type);
	msg_put(&M, rdata, n);
	msg_rr_end(&M, ns_s_an);
}

/* An MX answer at owner (compressed or not), its target compressed. */
static void
add_mx(const char *owner, int compress, unsigned pref, const char *host)
{
	msg_rr(&M, owner, compress, ns_t_mx);
	msg_u16(&M, pref);
	msg_name(&M, host, 1);
	msg_rr_end(&M, ns_s_an);
}

/* An A or AAAA answer for the address in text. */
static void
add_addr(const char *owner, int family, const char *text)
{
	unsigned char a[16];

	if (inet_pton(family, text, a) != 1)
		abort();
	add_rr(owner, family == AF_INET ? ns_t_a : ns_t_aaaa, a,
	    family == AF_INET ? 4 : 16);
}

/* dnsmsg_parse() of the message built, for type, into D and E. */
static int
parse(int type)
{
	E[0] = '\0';
	return dnsmsg_parse(M.buf, M.len, type, &D, E, sizeof(E));
}

/* D's MX hosts as text: "10 a.example, 20 b.example". */
static const char *
mx_list(void)
{
	static char out[DNSMSG_MX_MAX * (DNSMSG_NAME_MAX + 16)];
	size_t used = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < D.nmx && used < sizeof(out); i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used,
		    "%s%u %s", i ? ", " : "", D.mx[i].pref, D.mx[i].name);
	return out;
}

static void
test_mx(void)
{
	size_t rdlen_at;

	msg_start(&M, "example.com", ns_t_mx);
	add_mx("example.com", 1, 20, "mx2.example.com");
	rdlen_at = M.rdlen_at;
	add_mx("example.com", 0, 10, "MX1.Example.COM.");
	add_mx("example.com", 1, 30, "mx3.example.net");
	add_mx("example.com", 1, 10, "mx1b.example.com");
	add_mx("example.com", 1, 20, "mx2.example.com");
	add_mx("example.com", 1, 40, "mx1.example.com");
	tap_is_int((long long)(M.buf[rdlen_at] << 8 | M.buf[rdlen_at + 1]),
	    2 + 4 + 2, "the first target is \"mx2\" and a pointer to the "
	    "question's name");
	tap_is_int(parse(DNSMSG_MX), 1, "six MX answers parse");
	tap_is_str(E, "", "with no reason");
	tap_is_str(mx_list(), "10 mx1.example.com, 10 mx1b.example.com, "
	    "20 mx2.example.com, 30 mx3.example.net",
	    "sorted by preference, equal ones in answer order, each host "
	    "once, lowercase, without the trailing dot");
	tap_is_int(D.answers, 6, "answers counts every MX record");
	tap_ok(D.nmx == 4 && D.skipped == 0 && D.null_mx == 0 &&
	    D.naddr == 0 && D.sts == 0, "nothing skipped, no null MX, no "
	    "addresses, no MTA-STS");
	tap_ok(D.rcode == 0 && D.ad == 0, "NOERROR, not validated");

	tap_is_int(parse(DNSMSG_A), 1, "the same message read for A");
	tap_ok(D.answers == 0 && D.nmx == 0 && D.naddr == 0,
	    "answers of another type are not counted");
}

/* n MX records at preferences base + step * i, i = 0..n-1. */
static void
add_mx_run(unsigned n, int base, int step)
{
	char name[64];
	unsigned i;
	int pref;

	for (i = 0; i < n; i++) {
		pref = base + step * (int)i;
		snprintf(name, sizeof(name), "mx%03d.example.com", pref);
		add_mx("example.com", 1, (unsigned)pref, name);
	}
}

static void
test_mx_many(void)
{
	msg_start(&M, "example.com", ns_t_mx);
	add_mx_run(12, 10, 10);
	tap_is_int(parse(DNSMSG_MX), 1, "twelve MX, best first");
	tap_ok(D.answers == 12 && D.nmx == DNSMSG_MX_MAX &&
	    D.mx[0].pref == 10 && D.mx[DNSMSG_MX_MAX - 1].pref == 100,
	    "the ten best are kept: %s", mx_list());

	msg_start(&M, "example.com", ns_t_mx);
	add_mx_run(12, 120, -10);
	tap_is_int(parse(DNSMSG_MX), 1, "twelve MX, worst first");
	tap_ok(D.nmx == DNSMSG_MX_MAX && D.mx[0].pref == 10 &&
	    D.mx[DNSMSG_MX_MAX - 1].pref == 100 &&
	    strcmp(D.mx[DNSMSG_MX_MAX - 1].name, "mx100.example.com") == 0,
	    "the worst ones go as better ones come: %s", mx_list());

	msg_start(&M, "example.com", ns_t_mx);
	add_mx_run(5, 60, 10);
	add_mx_run(5, 10, 10);
	add_mx("example.com", 1, 65, "mx060.example.com");
	add_mx("example.com", 1, 5, "mx005.example.com");
	add_mx("example.com", 1, 200, "mx200.example.com");
	tap_is_int(parse(DNSMSG_MX), 1, "ten MX, then a host again, a better "
	    "one and a worse one");
	tap_is_str(mx_list(), "5 mx005.example.com, 10 mx010.example.com, "
	    "20 mx020.example.com, 30 mx030.example.com, "
	    "40 mx040.example.com, 50 mx050.example.com, "
	    "60 mx060.example.com, 70 mx070.example.com, "
	    "80 mx080.example.com, 90 mx090.example.com",
	    "a host seen again at a worse preference is not added again, a "
	    "better one pushes out the worst, a worse one does not get in");
}

static void
test_mx_bad(void)
{
	unsigned char loop[4];

	msg_start(&M, "example.com", ns_t_mx);
	add_mx("example.com", 1, 10, "mx\\032a.example.com");
	add_mx("example.com", 1, 10, "mx\\200.example.com");
	add_mx("example.com", 1, 10, "a\\.b.example.com");
	add_mx("example.com", 1, 10, "mx;rm.example.com");
	add_mx("example.com", 1, 20, "good.example.com");
	add_rr("example.com", ns_t_mx, "\0\x0a", 2);
	add_rr("example.com", ns_t_mx, "\0\x0a\0\0", 4);
	/* a target that points at itself */
	msg_rr(&M, "example.com", 1, ns_t_mx);
	loop[0] = 0;
	loop[1] = 10;
	loop[2] = (unsigned char)(0xc0 | (M.len + 2) >> 8);
	loop[3] = (unsigned char)(M.len + 2);
	msg_put(&M, loop, 4);
	msg_rr_end(&M, ns_s_an);
	tap_is_int(parse(DNSMSG_MX), 1, "a message with bad MX targets parses");
	tap_is_str(mx_list(), "20 good.example.com", "only the host name is "
	    "kept");
	tap_is_int(D.skipped, 7, "a space, a byte above 0x7f, a dot in a "
	    "label, a ';', no target, an empty one, a loop: skipped");
	tap_ok(D.answers == 8 && D.null_mx == 0, "all counted as answers, "
	    "none a null MX");
}

static void
test_null_mx(void)
{
	msg_start(&M, "example.org", ns_t_mx);
	add_rr("example.org", ns_t_mx, "\0\0\0", 3);
	tap_is_int(parse(DNSMSG_MX), 1, "a null MX parses");
	tap_ok(D.null_mx == 1 && D.nmx == 0 && D.skipped == 0 &&
	    D.answers == 1, "\"MX 0 .\" sets null_mx and is no host");
}

static void
test_addr(void)
{
	msg_start(&M, "mx.example.com", ns_t_a);
	add_addr("mx.example.com", AF_INET, "192.0.2.1");
	add_rr("mx.example.com", ns_t_a, "\xc0\0\x02\x09\x09", 5);
	add_addr("mx.example.com", AF_INET, "192.0.2.2");
	add_addr("mx.example.com", AF_INET6, "2001:db8::9");
	add_addr("mx.example.com", AF_INET, "198.51.100.3");
	add_addr("mx.example.com", AF_INET, "203.0.113.4");
	add_addr("mx.example.com", AF_INET, "203.0.113.5");
	tap_is_int(parse(DNSMSG_A), 1, "A answers parse");
	tap_ok(D.naddr == DNSMSG_ADDR_MAX && strcmp(D.addr[0], "192.0.2.1") ==
	    0 && strcmp(D.addr[1], "192.0.2.2") == 0 &&
	    strcmp(D.addr[2], "198.51.100.3") == 0 &&
	    strcmp(D.addr[3], "203.0.113.4") == 0,
	    "the first four addresses as text, in order");
	tap_is_int(D.answers, 6, "the 5-byte A is counted but not kept, the "
	    "AAAA not counted");

	msg_start(&M, "mx.example.com", ns_t_aaaa);
	add_addr("mx.example.com", AF_INET6, "2001:DB8:0:0::25");
	add_rr("mx.example.com", ns_t_aaaa, "\xc0\0\x02\x09", 4);
	add_addr("mx.example.com", AF_INET6, "::ffff:192.0.2.7");
	tap_is_int(parse(DNSMSG_AAAA), 1, "AAAA answers parse");
	tap_ok(D.naddr == 2 && strcmp(D.addr[0], "2001:db8::25") == 0 &&
	    strcmp(D.addr[1], "::ffff:192.0.2.7") == 0,
	    "AAAA as canonical text; a 4-byte AAAA ignored");
}

/* The sts flag of a TXT answer with rdata as given. */
static int
txt_sts(const char *rdata, size_t n)
{
	msg_start(&M, "_mta-sts.example.com", ns_t_txt);
	add_rr("_mta-sts.example.com", ns_t_txt, rdata, n);
	if (!parse(DNSMSG_TXT) || D.answers != 1)
		return -1;
	return D.sts;
}

static void
test_txt(void)
{
	tap_is_int(txt_sts("\x0dv=STSv1; id=1", 14), 1, "\"v=STSv1; id=1\"");
	tap_is_int(txt_sts("\x0cv=STSv1 id=1", 13), 1, "\"v=STSv1 id=1\"");
	tap_is_int(txt_sts("\x07v=STSv1", 8), 1, "\"v=STSv1\" alone");
	tap_is_int(txt_sts("\x07v=STSv1\x05id=1;", 14), 1,
	    "\"v=STSv1\" then a second string");
	tap_is_int(txt_sts("\x08v=STSv10", 9), 0, "\"v=STSv10\": not it");
	tap_is_int(txt_sts("\x0bv=spf1 -all", 12), 0, "\"v=spf1 -all\": no");
	tap_is_int(txt_sts("\x05v=STS\x03v1;", 10), 0,
	    "\"v=STS\" \"v1;\" in two strings: no");
	tap_is_int(txt_sts("\x20v=STSv1;", 9), 0,
	    "a string length past the record: no");
	tap_is_int(txt_sts("\x07v=STSv", 7), 0, "a record cut short: no");
	tap_is_int(txt_sts("", 0), 0, "an empty TXT record: no");

	msg_start(&M, "_mta-sts.example.com", ns_t_txt);
	add_rr("_mta-sts.example.com", ns_t_txt, "\x0bv=spf1 -all", 12);
	add_rr("_mta-sts.example.com", ns_t_txt, "\x0dv=STSv1; id=1", 14);
	tap_ok(parse(DNSMSG_TXT) == 1 && D.sts == 1 && D.answers == 2,
	    "one MTA-STS record among two TXT records is enough");
	tap_ok(parse(DNSMSG_MX) == 1 && D.sts == 0 && D.answers == 0,
	    "TXT records are not read for MX");
}

static void
test_tlsa(void)
{
	unsigned char rd[3 + 32];

	memset(rd, 0xab, sizeof(rd));
	rd[0] = 3;
	rd[1] = 1;
	rd[2] = 1;
	msg_start(&M, "_25._tcp.mx.example.com", ns_t_tlsa);
	add_rr("_25._tcp.mx.example.com", ns_t_tlsa, rd, sizeof(rd));
	rd[3] = 0xcd;
	add_rr("_25._tcp.mx.example.com", ns_t_tlsa, rd, sizeof(rd));
	add_rr("_25._tcp.mx.example.com", ns_t_rrsig, rd, sizeof(rd));
	msg_flags(&M, ns_r_noerror, 1);
	tap_is_int(parse(DNSMSG_TLSA), 1, "TLSA answers parse");
	tap_ok(D.answers == 2 && D.ad == 1, "two TLSA records counted, the "
	    "RRSIG not; AD is set");
	tap_ok(D.nmx == 0 && D.naddr == 0 && D.sts == 0,
	    "and nothing else is kept");
}

static void
test_cname(void)
{
	msg_start(&M, "example.com", ns_t_mx);
	msg_rr(&M, "example.com", 1, ns_t_cname);
	msg_name(&M, "mail.example.NET", 0);
	msg_rr_end(&M, ns_s_an);
	add_mx("mail.example.net", 1, 10, "mx.mail.example.net");
	tap_is_int(parse(DNSMSG_MX), 1, "a CNAME then the MX at its target");
	tap_ok(D.answers == 1 && D.nmx == 1 && D.skipped == 0 &&
	    strcmp(D.mx[0].name, "mx.mail.example.net") == 0,
	    "the CNAME is passed over, the MX kept");

	msg_start(&M, "_25._tcp.mx.example.com", ns_t_tlsa);
	msg_rr(&M, "_25._tcp.mx.example.com", 1, ns_t_cname);
	msg_name(&M, "_25._tcp.mx.example.net", 1);
	msg_rr_end(&M, ns_s_an);
	add_rr("_25._tcp.mx.example.net", ns_t_tlsa, "\x03\x01\x01\xff", 4);
	tap_ok(parse(DNSMSG_TLSA) == 1 && D.answers == 1,
	    "a TLSA record behind a CNAME is counted");
}

static void
test_sections(void)
{
	msg_start(&M, "example.com", ns_t_mx);
	add_mx("example.com", 1, 10, "mx.example.com");
	/* the CH class and the other sections hold no answers */
	add_mx("example.com", 1, 5, "chaos.example.com");
	M.buf[M.rdlen_at - 6] = 0;
	M.buf[M.rdlen_at - 5] = ns_c_chaos;
	msg_rr(&M, "example.com", 1, ns_t_ns);
	msg_name(&M, "ns.example.com", 1);
	msg_rr_end(&M, ns_s_ns);
	msg_rr(&M, "example.com", 1, ns_t_mx);
	msg_u16(&M, 1);
	msg_name(&M, "additional.example.com", 1);
	msg_rr_end(&M, ns_s_ar);
	msg_rr(&M, "mx.example.com", 1, ns_t_a);
	msg_put(&M, "\xc0\0\x02\x01", 4);
	msg_rr_end(&M, ns_s_ar);
	tap_is_int(parse(DNSMSG_MX), 1, "answers, authority and additional");
	tap_ok(D.answers == 1 && D.nmx == 1 &&
	    strcmp(D.mx[0].name, "mx.example.com") == 0,
	    "only the IN answer counts: not class CH, not the authority or "
	    "additional section");
	tap_ok(parse(DNSMSG_A) == 1 && D.answers == 0 && D.naddr == 0,
	    "a glue A record in the additional section is not an answer");
}

static void
test_header(void)
{
	msg_start(&M, "nowhere.example", ns_t_mx);
	msg_flags(&M, ns_r_nxdomain, 0);
	msg_rr(&M, "example", 1, ns_t_soa);
	msg_name(&M, "ns.example", 1);
	msg_name(&M, "hostmaster.example", 1);
	/* serial 1, refresh 3600, retry 900, expire 604800, minimum 3600 */
	msg_put(&M, "\0\0\0\1" "\0\0\x0e\x10" "\0\0\x03\x84"
	    "\0\x09\x3a\x80" "\0\0\x0e\x10", 20);
	msg_rr_end(&M, ns_s_ns);
	tap_is_int(parse(DNSMSG_MX), 1, "an NXDOMAIN with its SOA parses");
	tap_ok(D.rcode == ns_r_nxdomain && D.ad == 0 && D.answers == 0,
	    "rcode 3, no AD, no answers");
	msg_flags(&M, ns_r_servfail, 0);
	tap_ok(parse(DNSMSG_MX) == 1 && D.rcode == ns_r_servfail,
	    "SERVFAIL: rcode 2");
	msg_flags(&M, ns_r_nxdomain, 1);
	tap_ok(parse(DNSMSG_MX) == 1 && D.rcode == ns_r_nxdomain && D.ad == 1,
	    "a validated NXDOMAIN: rcode 3 and AD");
	msg_flags(&M, ns_r_noerror, 1);
	tap_ok(parse(DNSMSG_MX) == 1 && D.rcode == 0 && D.ad == 1,
	    "a validated NODATA: rcode 0 and AD");
}

static void
test_malformed(void)
{
	static unsigned char big[NS_MAXMSG + 1];
	char small[8];
	size_t len, full, bad = 0;
	unsigned char self[2];

	msg_start(&M, "example.com", ns_t_mx);
	add_mx("example.com", 1, 10, "mx1.example.com");
	add_mx("example.com", 1, 20, "mx2.example.com");
	full = M.len;
	for (len = 0; len < full; len++) {
		E[0] = '\0';
		if (dnsmsg_parse(M.buf, len, DNSMSG_MX, &D, E,
		    sizeof(E)) != 0 || E[0] == '\0')
			bad++;
	}
	tap_is_int((long long)bad, 0, "every truncation is refused, with a "
	    "reason");
	E[0] = '\0';
	tap_is_int(dnsmsg_parse(M.buf, full - 1, DNSMSG_MX, &D, E, sizeof(E)),
	    0, "one byte short");
	tap_is_str(E, "the DNS answer is malformed", "the reason");
	tap_is_int(dnsmsg_parse(M.buf, full - 1, DNSMSG_MX, &D, small,
	    sizeof(small)), 0, "the same into a small err");
	tap_is_str(small, "the DNS", "the reason is cut to fit");

	M.buf[M.len++] = 0;
	tap_is_int(parse(DNSMSG_MX), 0, "a byte after the last record");
	M.len--;
	M.buf[7] = 3;
	tap_is_int(parse(DNSMSG_MX), 0, "three answers counted, two there");
	M.buf[7] = 2;

	/* an owner name that is a pointer to itself */
	self[0] = (unsigned char)(0xc0 | M.len >> 8);
	self[1] = (unsigned char)M.len;
	msg_put(&M, self, 2);
	msg_rr_head(&M, ns_t_mx);
	msg_put(&M, "\0\x0a\0", 3);
	msg_rr_end(&M, ns_s_an);
	tap_is_int(parse(DNSMSG_MX), 0, "an owner name that loops");
	tap_is_str(E, "the DNS answer is malformed (record 3)",
	    "the reason names the record");

	/* an owner name pointing past the end */
	M.len = full;
	M.buf[7] = 2;
	msg_put(&M, "\xcf\xff", 2);
	msg_rr_head(&M, ns_t_mx);
	msg_put(&M, "\0\x0a\0", 3);
	msg_rr_end(&M, ns_s_an);
	tap_is_int(parse(DNSMSG_MX), 0, "an owner name pointing past the end");

	memcpy(big, M.buf, full);
	tap_is_int(dnsmsg_parse(big, sizeof(big), DNSMSG_MX, &D, E, sizeof(E)),
	    0, "a message over 65535 bytes");
	tap_is_int(dnsmsg_parse(big, 0, DNSMSG_MX, &D, E, sizeof(E)), 0,
	    "an empty message");
}

static void
test_name_ok(void)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "mx.example.com", 1 },
		{ "localhost", 1 },
		{ "_mta-sts.example-1.com", 1 },
		{ "xn--bcher-kva.example", 1 },
		{ "", 0 },
		{ ".", 0 },
		{ "mx.example.com.", 0 },
		{ ".mx.example.com", 0 },
		{ "mx..example.com", 0 },
		{ "Mx.example.com", 0 },
		{ "mx.EXAMPLE.com", 0 },
		{ "mx example.com", 0 },
		{ "mx\\032.example.com", 0 },
		{ "mx*.example.com", 0 },
		{ "mx.example.com:25", 0 },
		{ "b\xc3\xbc" "cher.example", 0 },
	};
	char name[DNSMSG_NAME_MAX + 3];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_is_int(dnsmsg_name_ok(cases[i].name), cases[i].ok,
		    cases[i].name[0] ? cases[i].name : "(empty)");

	/* labels of 63 and 64 bytes, first, inside and last */
	memset(name, 'a', 63);
	memcpy(name + 63, ".example", 9);
	tap_is_int(dnsmsg_name_ok(name), 1, "a first label of 63 bytes");
	memset(name, 'a', 64);
	memcpy(name + 64, ".example", 9);
	tap_is_int(dnsmsg_name_ok(name), 0, "a first label of 64 bytes");
	memcpy(name, "mx.", 3);
	memset(name + 3, 'b', 63);
	memcpy(name + 66, ".example", 9);
	tap_is_int(dnsmsg_name_ok(name), 1, "a label of 63 inside");
	memset(name + 3, 'b', 64);
	memcpy(name + 67, ".example", 9);
	tap_is_int(dnsmsg_name_ok(name), 0, "a label of 64 inside");
	memset(name + 3, 'c', 63);
	name[66] = '\0';
	tap_is_int(dnsmsg_name_ok(name), 1, "a last label of 63 bytes");
	memset(name + 3, 'c', 64);
	name[67] = '\0';
	tap_is_int(dnsmsg_name_ok(name), 0, "a last label of 64 bytes");

	/* 253 bytes in all, and 254 */
	for (i = 0; i < DNSMSG_NAME_MAX; i++)
		name[i] = i % 50 == 49 ? '.' : 'd';
	name[DNSMSG_NAME_MAX] = '\0';
	tap_is_int(dnsmsg_name_ok(name), 1, "a name of 253 bytes");
	name[DNSMSG_NAME_MAX] = 'd';
	name[DNSMSG_NAME_MAX + 1] = '\0';
	tap_is_int(dnsmsg_name_ok(name), 0, "a name of 254 bytes");
}

static void
test_query(void)
{
	unsigned char q[DNSMSG_QUERY_MAX], r[DNSMSG_QUERY_MAX];
	char name[NS_MAXDNAME];
	size_t n, m;
	ns_msg h;
	ns_rr rr;

	n = dnsmsg_query(0xbeef, ".", DNSMSG_SOA, q, sizeof(q));
	tap_is_int((long long)n, 12 + 5 + 11, "the root SOA query: header, "
	    "question, OPT");
	tap_ok(ns_initparse(q, (int)n, &h) == 0 && ns_msg_id(h) == 0xbeef &&
	    ns_msg_getflag(h, ns_f_qr) == 0 && ns_msg_getflag(h, ns_f_rd) &&
	    ns_msg_getflag(h, ns_f_ad) && ns_msg_count(h, ns_s_qd) == 1 &&
	    ns_msg_count(h, ns_s_an) == 0 && ns_msg_count(h, ns_s_ar) == 1,
	    "libc reads it: the id, a query with RD and AD, one question, "
	    "one additional record");
	tap_ok(ns_parserr(&h, ns_s_qd, 0, &rr) == 0 &&
	    strcmp(ns_rr_name(rr), ".") == 0 && ns_rr_type(rr) == ns_t_soa &&
	    ns_rr_class(rr) == ns_c_in, "the question is . SOA IN");
	tap_ok(ns_parserr(&h, ns_s_ar, 0, &rr) == 0 &&
	    ns_rr_type(rr) == ns_t_opt && ns_rr_class(rr) == 1232 &&
	    ns_rr_ttl(rr) == 0x8000 && ns_rr_rdlen(rr) == 0,
	    "an EDNS0 OPT record: 1232 bytes, version 0, the DO bit");
	n = dnsmsg_query(7, "_25._tcp.mx.example.com", DNSMSG_TLSA, q,
	    sizeof(q));
	tap_ok(n > 0 && ns_initparse(q, (int)n, &h) == 0 &&
	    ns_parserr(&h, ns_s_qd, 0, &rr) == 0 &&
	    snprintf(name, sizeof(name), "%s", ns_rr_name(rr)) > 0 &&
	    strcmp(name, "_25._tcp.mx.example.com") == 0 &&
	    ns_rr_type(rr) == ns_t_tlsa, "a name of four labels reads back");
	tap_is_int((long long)dnsmsg_query(1, "mx example.com", DNSMSG_A, q,
	    sizeof(q)), 0, "no query for a name no host has");
	tap_is_int((long long)dnsmsg_query(1, "example.com", DNSMSG_A, q, 20),
	    0, "no query into a buffer too small");

	/* the reply: the query's bytes with QR, RA and AD; then not */
	n = dnsmsg_query(0x1234, "example.com", DNSMSG_SOA, q, sizeof(q));
	memcpy(r, q, n);
	r[2] |= 0x80;
	r[3] = 0xa0;
	tap_ok(dnsmsg_is_reply(q, n, r, n), "a reply with the same id and "
	    "question answers it");
	tap_ok(dnsmsg_parse(r, n, DNSMSG_SOA, &D, E, sizeof(E)) == 1 &&
	    D.ad == 1 && D.rcode == 0, "its AD bit is read: validated");
	r[3] = 0x80;
	tap_ok(dnsmsg_parse(r, n, DNSMSG_SOA, &D, E, sizeof(E)) == 1 &&
	    D.ad == 0, "without AD: not validated");
	r[NS_HFIXEDSZ + 1] = 'E';	/* "Example": 0x20 case is the same */
	tap_ok(dnsmsg_is_reply(q, n, r, n), "the question in another case "
	    "still answers it");
	r[NS_HFIXEDSZ + 1] = 'x';
	tap_ok(!dnsmsg_is_reply(q, n, r, n), "another question does not");
	r[NS_HFIXEDSZ + 1] = 'e';
	r[1] ^= 1;
	tap_ok(!dnsmsg_is_reply(q, n, r, n), "another id does not");
	r[1] ^= 1;
	r[2] &= 0x7f;
	tap_ok(!dnsmsg_is_reply(q, n, r, n), "a query (QR clear) does not");
	r[2] |= 0x80;
	m = NS_HFIXEDSZ + 4;
	tap_ok(!dnsmsg_is_reply(q, n, r, m), "a reply cut inside the "
	    "question does not");
	tap_ok(!dnsmsg_is_reply(q, 5, r, n), "nor one to a query too short");
}

int
main(void)
{
	test_mx();
	test_mx_many();
	test_mx_bad();
	test_null_mx();
	test_addr();
	test_txt();
	test_tlsa();
	test_cname();
	test_sections();
	test_header();
	test_malformed();
	test_name_ok();
	test_query();
	return tap_done();
}
