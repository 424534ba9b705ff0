/*
 * NAME
 *	dnsmsg - the DNS answers a probe reads: MX, A/AAAA, TLSA, TXT
 * SYNOPSIS
 *	#include "dnsmsg.h"
 *
 *	int dnsmsg_parse(msg, len, type, out, err, errsz)
 *	int dnsmsg_name_ok(name)
 *	size_t dnsmsg_query(id, name, type, buf, bufsz)
 *	int dnsmsg_is_reply(query, qlen, msg, len)
 *	int dnsmsg_resolver_parse(s, len, addr, port)
 * DESCRIPTION
 *	dnsmsg_parse() reads a DNS response of len bytes (what res_nquery()
 *	returned, from a server the probe does not control) for a query of
 *	type and keeps what the probe needs: the response code, the AD bit,
 *	and of the answers of that type: MX hosts sorted by preference
 *	(null MX noted), addresses as text, whether a TLSA record exists,
 *	whether a TXT record is an MTA-STS one ("v=STSv1"). Answers of other
 *	types (the CNAMEs a resolver followed) are skipped. libc's ns_*
 *	functions walk the message with explicit bounds; we add the checks
 *	on the data: names become lowercase without the trailing dot, and a
 *	name with bytes no host name has is not kept (counted in skipped).
 *	Pure: no I/O, no allocation. Returns 1, or 0 with ERR for a message
 *	that is not a well-formed DNS response.
 *
 *	dnsmsg_name_ok() says whether name is a host name we can use.
 *
 *	dnsmsg_query() writes the query tlspin doctor sends to learn whether
 *	a resolver validates DNSSEC: name ("" or "." for the root) and type,
 *	with RD, the AD bit (RFC 6840: show me AD) and an EDNS0 OPT record
 *	with the DO bit (RFC 3225: send DNSSEC records), as a validating
 *	stub would ask. Returns its length, or 0 when name is not one we can
 *	ask or buf is too small. dnsmsg_is_reply() says whether msg answers
 *	that query: the same id, QR set, the same one question.
 *
 *	dnsmsg_resolver_parse() reads the resolver a probe asks instead of
 *	/etc/resolv.conf ("ADDR" or "ADDR:PORT", IPv4; port 53 by default),
 *	for tlspin.conf's probe_resolver and tlspin check --resolver alike.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

/* Letters, digits, '-', '_' and dots between non-empty labels. */
int
dnsmsg_name_ok(const char *name)
{
	size_t i, label = 0;

	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] == '.') {
			if (label == 0 || label > 63)
				return 0;
			label = 0;
			continue;
		}
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		    name[i] == '_'))
			return 0;
		label++;
	}
	return i > 0 && i <= DNSMSG_NAME_MAX && label > 0 && label <= 63;
}

/* Uncompress the name from p to end into out, lowercase, no trailing dot. */
static int
dnsmsg_name(const ns_msg *h, const unsigned char *p, const unsigned char *end,
    char *out, size_t outsz)
{
	char buf[NS_MAXDNAME];
	size_t n, i;
	int used;

	/* a name that runs past its RDATA is another record's bytes */
	used = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), p, buf,
	    sizeof(buf));
	if (used < 0 || used != end - p)
		return 0;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n >= outsz)
		return 0;
	for (i = 0; i <= n; i++)
		out[i] = buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i];
	return 1;
}

/* Insert an MX, keeping the list sorted by preference (stable). */
static void
dnsmsg_mx_add(struct dnsmsg *out, unsigned pref, const char *name)
{
	unsigned i, at;

	for (i = 0; i < out->nmx; i++)
		if (strcmp(out->mx[i].name, name) == 0)
			break;
	if (i < out->nmx) {
		if (out->mx[i].pref <= pref)
			return;	/* the same host again, no better */
		/* again with a better preference: it moves up */
		memmove(&out->mx[i], &out->mx[i + 1],
		    (out->nmx - i - 1) * sizeof(out->mx[0]));
		out->nmx--;
	}
	for (at = out->nmx; at > 0 && out->mx[at - 1].pref > pref; at--)
		;
	if (at == DNSMSG_MX_MAX)
		return;
	if (out->nmx == DNSMSG_MX_MAX)
		out->nmx--;	/* the worst one goes */
	memmove(&out->mx[at + 1], &out->mx[at],
	    (out->nmx - at) * sizeof(out->mx[0]));
	out->mx[at].pref = pref;
	memcpy(out->mx[at].name, name, strlen(name) + 1);
	out->nmx++;
}

static void
dnsmsg_mx(const ns_msg *h, const ns_rr *rr, struct dnsmsg *out)
{
	char name[DNSMSG_NAME_MAX + 1];
	const unsigned char *rd = ns_rr_rdata(*rr);
	unsigned pref;

	if (ns_rr_rdlen(*rr) < 3) {
		out->skipped++;
		return;
	}
	pref = (unsigned)rd[0] << 8 | rd[1];
	if (rd[2] == 0 && ns_rr_rdlen(*rr) == 3) {
		out->null_mx = 1;	/* "MX 0 .": the domain takes no mail */
		return;
	}
	if (!dnsmsg_name(h, rd + 2, rd + ns_rr_rdlen(*rr), name,
	    sizeof(name)) ||
	    !dnsmsg_name_ok(name)) {
		out->skipped++;
		return;
	}
	dnsmsg_mx_add(out, pref, name);
}

static void
dnsmsg_addr(const ns_rr *rr, int family, struct dnsmsg *out)
{
	size_t want = family == AF_INET ? 4 : 16;

	if (ns_rr_rdlen(*rr) != want || out->naddr == DNSMSG_ADDR_MAX ||
	    inet_ntop(family, ns_rr_rdata(*rr), out->addr[out->naddr],
	    DNSMSG_ADDR_LEN) == NULL)
		return;
	out->naddr++;
}

/* An MTA-STS record: its character-strings begin with "v=STSv1". */
static void
dnsmsg_txt(const ns_rr *rr, struct dnsmsg *out)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t n = ns_rr_rdlen(*rr);

	if (n >= 8 && rd[0] >= 7 && (size_t)rd[0] + 1 <= n &&
	    memcmp(rd + 1, "v=STSv1", 7) == 0 &&
	    (rd[0] == 7 || rd[8] == ';' || rd[8] == ' '))
		out->sts = 1;
}

int
dnsmsg_parse(const unsigned char *msg, size_t len, int type,
    struct dnsmsg *out, char *err, size_t errsz)
{
	ns_msg h;
	ns_rr rr;
	int i, n;

	memset(out, 0, sizeof(*out));
	if (len > NS_MAXMSG || ns_initparse(msg, (int)len, &h) < 0) {
		snprintf(err, errsz, "the DNS answer is malformed");
		return 0;
	}
	out->rcode = (int)ns_msg_getflag(h, ns_f_rcode);
	out->ad = ns_msg_getflag(h, ns_f_ad) != 0;
	n = ns_msg_count(h, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0) {
			snprintf(err, errsz, "the DNS answer is malformed "
			    "(record %d)", i + 1);
			return 0;
		}
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		out->answers++;
		if (type == DNSMSG_MX)
			dnsmsg_mx(&h, &rr, out);
		else if (type == DNSMSG_A)
			dnsmsg_addr(&rr, AF_INET, out);
		else if (type == DNSMSG_AAAA)
			dnsmsg_addr(&rr, AF_INET6, out);
		else if (type == DNSMSG_TXT)
			dnsmsg_txt(&rr, out);
	}
	return 1;
}

/* Append a 16-bit number in network order at *at. */
static void
dnsmsg_put16(unsigned char *buf, size_t *at, unsigned v)
{
	buf[(*at)++] = (unsigned char)(v >> 8);
	buf[(*at)++] = (unsigned char)v;
}

size_t
dnsmsg_query(unsigned id, const char *name, int type, unsigned char *buf,
    size_t bufsz)
{
	size_t at = 0, n, i;
	const char *p;

	if (strcmp(name, ".") == 0)
		name = "";
	if ((name[0] != '\0' && !dnsmsg_name_ok(name)) ||
	    bufsz < strlen(name) + 2 + 12 + 4 + 11)
		return 0;
	dnsmsg_put16(buf, &at, id & 0xffff);
	dnsmsg_put16(buf, &at, 0x0120);	/* RD, AD */
	dnsmsg_put16(buf, &at, 1);	/* one question */
	dnsmsg_put16(buf, &at, 0);
	dnsmsg_put16(buf, &at, 0);
	dnsmsg_put16(buf, &at, 1);	/* the OPT record */
	for (p = name; *p != '\0'; p += n + (p[n] == '.')) {
		n = strcspn(p, ".");
		buf[at++] = (unsigned char)n;
		for (i = 0; i < n; i++)
			buf[at++] = (unsigned char)p[i];
	}
	buf[at++] = 0;
	dnsmsg_put16(buf, &at, (unsigned)type);
	dnsmsg_put16(buf, &at, ns_c_in);
	buf[at++] = 0;		/* OPT: the root name */
	dnsmsg_put16(buf, &at, ns_t_opt);
	dnsmsg_put16(buf, &at, 1232);	/* UDP payload size (DNS flag day) */
	dnsmsg_put16(buf, &at, 0);	/* extended rcode, version 0 */
	dnsmsg_put16(buf, &at, 0x8000);	/* DO */
	dnsmsg_put16(buf, &at, 0);	/* no options */
	return at;
}

/* Bytes of the question that starts at q (our own query's). */
static size_t
dnsmsg_question_len(const unsigned char *q, size_t len)
{
	size_t at = 0;

	while (at < len && q[at] != 0)
		at += (size_t)q[at] + 1;
	return at + 5 <= len ? at + 5 : 0;	/* the 0, type, class */
}

int
dnsmsg_is_reply(const unsigned char *query, size_t qlen,
    const unsigned char *msg, size_t len)
{
	size_t n = qlen > NS_HFIXEDSZ ?
	    dnsmsg_question_len(query + NS_HFIXEDSZ, qlen - NS_HFIXEDSZ) : 0;
	size_t i;
	unsigned char a, b;

	if (n == 0 || len < NS_HFIXEDSZ + n || msg[0] != query[0] ||
	    msg[1] != query[1] || !(msg[2] & 0x80) || (msg[2] & 0x78) != 0 ||
	    msg[4] != 0 || msg[5] != 1)
		return 0;
	for (i = NS_HFIXEDSZ; i < NS_HFIXEDSZ + n; i++) {
		a = query[i] >= 'A' && query[i] <= 'Z' ? query[i] + 32 :
		    query[i];
		b = msg[i] >= 'A' && msg[i] <= 'Z' ? msg[i] + 32 : msg[i];
		if (a != b)
			return 0;
	}
	return 1;
}

/* "ADDR" or "ADDR:PORT" (IPv4) into addr and port; 0 if it is not one. */
int
dnsmsg_resolver_parse(const char *s, size_t len, struct in_addr *addr,
    unsigned *port)
{
	char buf[64], *colon, *end;
	unsigned long p = 53;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		errno = 0;
		p = strtoul(colon + 1, &end, 10);
		if (errno || *end != '\0' || p == 0 || p > 65535)
			return 0;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		return 0;
	*port = (unsigned)p;
	return 1;
}
