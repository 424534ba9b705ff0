/*
 * NAME
 *	logparse - read Postfix smtp(8) log lines as events tlspin learns from
 * SYNOPSIS
 *	#include "logparse.h"
 *
 *	enum logparse_kind logparse_line(line, len, ev)
 *	enum logparse_kind logparse_message(tag, taglen, pid, msg, msglen, ev)
 *	int logparse_is_smtp(tag, len)
 *	int logparse_is_lmtp(tag, len)
 * DESCRIPTION
 *	tlspin learns which destinations always use TLS from what the
 *	Postfix SMTP client logs (PROTOCOLS.md section 4). This module turns
 *	one log line into one event; putting lines of one smtp pid together
 *	is the caller's job.
 *
 *	logparse_line() takes a whole line from a log file: a classic
 *	syslog or Postfix maillog_file prefix ("Nov 23 11:10:34 host
 *	postfix/smtp[437]: ", day as "23", " 3" or "03", no year) or an
 *	RFC 3339 one ("2026-11-23T08:30:26.123456+00:00 host ...", also
 *	"Z" and journalctl's "+0000"), then the message. One trailing "\n"
 *	or "\r\n" is ignored. logparse_message() takes what the journal
 *	gives separately: the tag (SYSLOG_IDENTIFIER), the pid and the
 *	message. Both fill *ev and return its kind:
 *
 *	LOGPARSE_TLS	"LEVEL TLS connection established to HOST[ADDR]:PORT:
 *			PROTO with cipher CIPHER ..." ("reused" instead of
 *			"established" sets ev->reused). Only this much is
 *			parsed; the tail after CIPHER varies and is ignored.
 *	LOGPARSE_DELIVERY "QUEUEID: to=<RCPT>, [orig_to=<...>, ]relay=...,
 *			[conn_use=N, ]..., dsn=X.Y.Z, status=WORD (REASON)",
 *			with the status and its reason last on the line.
 *	LOGPARSE_CERT_FAIL "[server ]certificate verification failed for
 *			HOST[ADDR]:PORT: REASON".
 *	LOGPARSE_LOOKUP_ERROR "warning: TLS policy lookup for DEST/HOST:
 *			REASON" (tlspind down, a bad policy answer).
 *	LOGPARSE_OTHER	everything else, including every line of a service
 *			that is not the SMTP or LMTP client: smtpd's
 *			"established from" lines, qmgr, postmap, discard.
 *
 *	The prefix is parsed strictly; a line whose prefix does not parse is
 *	OTHER with no service. For an OTHER line the prefix fields are still
 *	set when they parsed, and every field from ev->level on is zero.
 *
 *	Bounds: the functions read at most len bytes and never write past a
 *	field. A NUL byte anywhere makes the line OTHER (journal and file
 *	text has none; a NUL is damage). Fields that identify something
 *	(service, host, addr, protocol, cipher, queue id, dsn, dest) are
 *	never truncated: one that does not fit makes the line OTHER, since
 *	a cut name would be a wrong name. A recipient domain that does not
 *	fit, or holds spaces or control bytes, leaves rcpt_domain empty, as
 *	for to=<> or a local part without a domain. Only free text (reason)
 *	is truncated, at a UTF-8 character boundary, and ev->reason_truncated
 *	says so. Other bytes above 127 are data. The work is linear in len.
 *
 *	The recipient in to=<...> is read the way Postfix writes it: a local
 *	part with special characters is quoted, so '>' and '@' inside
 *	"quotes" (and backslash escapes there) do not end the address or
 *	start the domain. The domain is what follows the last '@' outside
 *	quotes, lowercased.
 *
 *	logparse_is_smtp() is true for a tag "NAME/smtp" where NAME is a
 *	syslog_name ("postfix", "postfix-out", "postfix/relay"): not smtpd,
 *	not "smtp" alone, not "postfix/smtp-x". logparse_is_lmtp() is the
 *	same for lmtp.
 */
#include "autoconf.h"

#include <stddef.h>
#include <string.h>

#include "logparse.h"

/* The part of the input still to read. */
struct logparse_cur {
	const char *p;
	size_t len;
};

/* Zero every field from level on: an OTHER event keeps only its prefix. */
static void
logparse_clear_body(struct logparse_event *ev)
{
	size_t off = offsetof(struct logparse_event, level);

	memset((char *)ev + off, 0, sizeof(*ev) - off);
}

/* Start an event from nothing: no prefix, no time. */
static void
logparse_reset(struct logparse_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = -1;
}

/* Consume lit if the input starts with it. */
static int
logparse_take(struct logparse_cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if (c->len < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	c->len -= n;
	return 1;
}

/* Consume one byte ch if it comes next. */
static int
logparse_take_char(struct logparse_cur *c, char ch)
{
	if (c->len == 0 || c->p[0] != ch)
		return 0;
	c->p++;
	c->len--;
	return 1;
}

/* Consume min to max decimal digits into *out; the next byte is no digit. */
static int
logparse_digits(struct logparse_cur *c, size_t min, size_t max,
    unsigned long *out)
{
	size_t i = 0;
	unsigned long v = 0;

	while (i < c->len && c->p[i] >= '0' && c->p[i] <= '9') {
		if (i == max)
			return 0;
		v = v * 10 + (unsigned long)(c->p[i] - '0');
		i++;
	}
	if (i < min)
		return 0;
	c->p += i;
	c->len -= i;
	*out = v;
	return 1;
}

/* Consume exactly n digits into *out, whatever follows them. */
static int
logparse_fixed(struct logparse_cur *c, size_t n, unsigned long *out)
{
	size_t i;
	unsigned long v = 0;

	if (c->len < n)
		return 0;
	for (i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(c->p[i] - '0');
	}
	c->p += n;
	c->len -= n;
	*out = v;
	return 1;
}

/* Length of the run of bytes before the first stop byte (or the end). */
static size_t
logparse_span_until(const char *p, size_t len, char stop)
{
	const char *e = memchr(p, stop, len);

	return e == NULL ? len : (size_t)(e - p);
}

/* Copy n bytes as a C string if they fit in dstsz; 0 when they do not. */
static int
logparse_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		return 0;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 1;
}

/* Copy free text, cut at a UTF-8 character boundary when it is too long. */
static void
logparse_copy_text(char *dst, size_t dstsz, const char *src, size_t n,
    int *truncated)
{
	size_t k = n, back = 0;

	*truncated = 0;
	if (n >= dstsz) {
		*truncated = 1;
		k = dstsz - 1;
		/* src[k] is the first byte dropped: if it continues a
		 * character, drop that character's first bytes too */
		while (k > 0 && back < 3 &&
		    ((unsigned char)src[k] & 0xc0) == 0x80) {
			k--;
			back++;
		}
	}
	memcpy(dst, src, k);
	dst[k] = '\0';
}

/* True when the byte may appear in a syslog tag. */
static int
logparse_tagchar(unsigned char ch)
{
	return ch > ' ' && ch < 0x7f && ch != '[' && ch != ']' && ch != ':';
}

/* True when the byte may appear in HOST or ADDR of "HOST[ADDR]". */
static int
logparse_hostchar(unsigned char ch)
{
	return ch > ' ' && ch < 0x7f && ch != '[' && ch != ']';
}

/* True when tag is "NAME/base" with NAME made of non-empty components. */
static int
logparse_is_service(const char *tag, size_t len, const char *base)
{
	size_t blen = strlen(base), i;

	if (len < blen + 2 || memcmp(tag + len - blen, base, blen) != 0 ||
	    tag[len - blen - 1] != '/')
		return 0;
	for (i = 0; i < len - blen; i++) {
		if (!logparse_tagchar((unsigned char)tag[i]))
			return 0;
		if (tag[i] == '/' && (i == 0 || tag[i - 1] == '/'))
			return 0;
	}
	return 1;
}

/* True for the Postfix SMTP client's tag, "<syslog_name>/smtp". */
int
logparse_is_smtp(const char *tag, size_t len)
{
	return logparse_is_service(tag, len, "smtp");
}

/* True for the Postfix LMTP client's tag, "<syslog_name>/lmtp". */
int
logparse_is_lmtp(const char *tag, size_t len)
{
	return logparse_is_service(tag, len, "lmtp");
}

/* True when all n bytes are printable ASCII other than space. */
static int
logparse_printable(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return 0;
	return 1;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t
logparse_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Days in month m of year y. */
static int
logparse_mdays(long y, int m)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

/* Parse "HH:MM:SS" into ev and check the ranges. */
static int
logparse_clock(struct logparse_cur *c, struct logparse_event *ev)
{
	unsigned long h, mi, s;

	if (!logparse_digits(c, 2, 2, &h) || !logparse_take_char(c, ':') ||
	    !logparse_digits(c, 2, 2, &mi) || !logparse_take_char(c, ':') ||
	    !logparse_digits(c, 2, 2, &s))
		return 0;
	if (h > 23 || mi > 59 || s > 60)
		return 0;
	ev->hour = (int)h;
	ev->min = (int)mi;
	ev->sec = (int)s;
	return 1;
}

/* Parse a classic "Mon DD HH:MM:SS " prefix (day may be " D" or "0D"). */
static int
logparse_prefix_classic(struct logparse_cur *c, struct logparse_event *ev)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned long d;
	int m;

	if (c->len < 4 || c->p[3] != ' ')
		return 0;
	for (m = 0; m < 12; m++)
		if (memcmp(c->p, months + 3 * m, 3) == 0)
			break;
	if (m == 12)
		return 0;
	c->p += 4;
	c->len -= 4;
	if (logparse_take_char(c, ' ')) {
		if (!logparse_digits(c, 1, 1, &d))
			return 0;
	} else if (!logparse_digits(c, 1, 2, &d))
		return 0;
	if (d < 1 || d > 31 || !logparse_take_char(c, ' ') ||
	    !logparse_clock(c, ev) || !logparse_take_char(c, ' '))
		return 0;
	ev->month = m + 1;
	ev->day = (int)d;
	return 1;
}

/* Parse an RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f][Z|+HH:MM|+HHMM] " prefix. */
static int
logparse_prefix_rfc3339(struct logparse_cur *c, struct logparse_event *ev)
{
	unsigned long y, mo, d, frac, oh = 0, om = 0;
	int64_t t;
	char sign = 0;

	if (!logparse_digits(c, 4, 4, &y) || !logparse_take_char(c, '-') ||
	    !logparse_digits(c, 2, 2, &mo) || !logparse_take_char(c, '-') ||
	    !logparse_digits(c, 2, 2, &d) || !logparse_take_char(c, 'T') ||
	    !logparse_clock(c, ev))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > (unsigned long)logparse_mdays((long)y, (int)mo))
		return 0;
	if (logparse_take_char(c, '.') && !logparse_digits(c, 1, 9, &frac))
		return 0;
	if (!logparse_take_char(c, 'Z')) {
		if (c->len == 0 || (c->p[0] != '+' && c->p[0] != '-'))
			return 0;
		sign = c->p[0];
		c->p++;
		c->len--;
		if (!logparse_fixed(c, 2, &oh))
			return 0;
		(void)logparse_take_char(c, ':');
		if (!logparse_digits(c, 2, 2, &om) || oh > 23 || om > 59)
			return 0;
	}
	if (!logparse_take_char(c, ' '))
		return 0;
	ev->month = (int)mo;
	ev->day = (int)d;
	t = logparse_days((int64_t)y, (int)mo, (int)d) * 86400 +
	    ev->hour * 3600 + ev->min * 60 + ev->sec;
	if (sign == '+')
		t -= (int64_t)(oh * 3600 + om * 60);
	else if (sign == '-')
		t += (int64_t)(oh * 3600 + om * 60);
	ev->time = t;
	return 1;
}

/* Parse "host tag[pid]: " after the time; *tag and *taglen get the tag. */
static int
logparse_prefix_source(struct logparse_cur *c, struct logparse_event *ev,
    const char **tag, size_t *taglen)
{
	size_t n;
	unsigned long pid;

	/* the host name that logged (not kept): 1-255 bytes, no space */
	n = logparse_span_until(c->p, c->len < 256 ? c->len : 256, ' ');
	if (n == 0 || n == 256 || n == c->len || memchr(c->p, '\0', n) != NULL)
		return 0;
	c->p += n + 1;
	c->len -= n + 1;
	for (n = 0; n < c->len && n < sizeof(ev->service) &&
	    logparse_tagchar((unsigned char)c->p[n]); n++)
		;
	if (n == 0 || n == sizeof(ev->service) || n == c->len ||
	    c->p[n] != '[')
		return 0;
	*tag = c->p;
	*taglen = n;
	c->p += n + 1;
	c->len -= n + 1;
	if (!logparse_digits(c, 1, 9, &pid) || pid == 0 ||
	    !logparse_take(c, "]: "))
		return 0;
	ev->pid = pid;
	return 1;
}

/*
 * Parse "HOST[ADDR]" and an optional ":PORT" at the start of p; returns
 * the bytes used, 0 when it does not parse or a part does not fit.
 */
static size_t
logparse_namaddr(const char *p, size_t len, struct logparse_event *ev)
{
	size_t h, a, i, lim;
	unsigned long port = 0;

	h = logparse_span_until(p, len < sizeof(ev->host) ?
	    len : sizeof(ev->host), '[');
	if (h == 0 || h == len || h == sizeof(ev->host))
		return 0;
	for (i = 0; i < h; i++)
		if (!logparse_hostchar((unsigned char)p[i]))
			return 0;
	lim = len - h - 1 < sizeof(ev->addr) ? len - h - 1 : sizeof(ev->addr);
	a = logparse_span_until(p + h + 1, lim, ']');
	if (a == 0 || a == lim)
		return 0;
	for (i = h + 1; i < h + 1 + a; i++)
		if (!logparse_hostchar((unsigned char)p[i]))
			return 0;
	i = h + a + 2;
	if (i + 1 < len && p[i] == ':' && p[i + 1] >= '0' && p[i + 1] <= '9') {
		struct logparse_cur c = { p + i + 1, len - i - 1 };

		if (!logparse_digits(&c, 1, 5, &port) || port > 65535)
			return 0;
		i = (size_t)(c.p - p);
	}
	(void)logparse_copy(ev->host, sizeof(ev->host), p, h);
	(void)logparse_copy(ev->addr, sizeof(ev->addr), p + h + 1, a);
	ev->port = (unsigned)port;
	return i;
}

/* Parse "HOST[ADDR][:PORT]: " and advance past it. */
static int
logparse_peer(struct logparse_cur *c, struct logparse_event *ev)
{
	size_t n = logparse_namaddr(c->p, c->len, ev);

	if (n == 0)
		return 0;
	c->p += n;
	c->len -= n;
	return logparse_take(c, ": ");
}

/* Consume a token of 1 to dstsz - 1 bytes up to a space (or the end). */
static int
logparse_token(struct logparse_cur *c, char *dst, size_t dstsz)
{
	size_t n, i;

	n = logparse_span_until(c->p, c->len < dstsz ? c->len : dstsz, ' ');
	if (n == 0 || n == dstsz)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)c->p[i] < ' ' || c->p[i] == 0x7f)
			return 0;
	(void)logparse_copy(dst, dstsz, c->p, n);
	c->p += n;
	c->len -= n;
	return 1;
}

/* "LEVEL TLS connection established to HOST[ADDR]:PORT: PROTO with cipher C". */
static int
logparse_tls(struct logparse_cur *c, struct logparse_event *ev)
{
	if (logparse_take(c, "Anonymous"))
		ev->level = TLSLEVEL_ANONYMOUS;
	else if (logparse_take(c, "Untrusted"))
		ev->level = TLSLEVEL_UNTRUSTED;
	else if (logparse_take(c, "Trusted"))
		ev->level = TLSLEVEL_TRUSTED;
	else if (logparse_take(c, "Verified"))
		ev->level = TLSLEVEL_VERIFIED;
	else
		return 0;
	if (!logparse_take(c, " TLS connection "))
		return 0;
	if (logparse_take(c, "reused"))
		ev->reused = 1;
	else if (!logparse_take(c, "established"))
		return 0;
	return logparse_take(c, " to ") && logparse_peer(c, ev) &&
	    logparse_token(c, ev->protocol, sizeof(ev->protocol)) &&
	    logparse_take(c, " with cipher ") &&
	    logparse_token(c, ev->cipher, sizeof(ev->cipher));
}

/* "[server ]certificate verification failed for HOST[ADDR]:PORT: REASON". */
static int
logparse_cert_fail(struct logparse_cur *c, struct logparse_event *ev)
{
	(void)logparse_take(c, "server ");
	if (!logparse_take(c, "certificate verification failed for ") ||
	    !logparse_peer(c, ev))
		return 0;
	logparse_copy_text(ev->reason, sizeof(ev->reason), c->p, c->len,
	    &ev->reason_truncated);
	return 1;
}

/* "warning: TLS policy lookup for DEST/HOST: REASON". */
static int
logparse_lookup_error(struct logparse_cur *c, struct logparse_event *ev)
{
	size_t n, lim;

	if (!logparse_take(c, "warning: TLS policy lookup for "))
		return 0;
	lim = c->len < sizeof(ev->dest) ? c->len : sizeof(ev->dest);
	n = logparse_span_until(c->p, lim, '/');
	if (n == 0 || n == lim || !logparse_printable(c->p, n))
		return 0;
	(void)logparse_copy(ev->dest, sizeof(ev->dest), c->p, n);
	c->p += n + 1;
	c->len -= n + 1;
	lim = c->len < sizeof(ev->host) + 1 ? c->len : sizeof(ev->host) + 1;
	for (n = 0; n < lim && c->p[n] != ' '; n++)
		;
	/* HOST may hold ':' (an IPv6 address): it ends at ": " */
	if (n < 2 || n == lim || c->p[n - 1] != ':' ||
	    !logparse_printable(c->p, n - 1))
		return 0;
	n--;
	(void)logparse_copy(ev->host, sizeof(ev->host), c->p, n);
	c->p += n;
	c->len -= n;
	if (!logparse_take(c, ": "))
		return 0;
	logparse_copy_text(ev->reason, sizeof(ev->reason), c->p, c->len,
	    &ev->reason_truncated);
	return 1;
}

/*
 * Consume "<ADDRESS>" as Postfix writes it: quotes (with backslash
 * escapes inside) hide '>' and '@'. *at gets the offset of the last '@'
 * outside quotes within the address, or (size_t)-1.
 */
static int
logparse_angle(struct logparse_cur *c, const char **addr, size_t *alen,
    size_t *at)
{
	size_t i;
	int quoted = 0;

	if (!logparse_take_char(c, '<'))
		return 0;
	*at = (size_t)-1;
	for (i = 0; i < c->len; i++) {
		char ch = c->p[i];

		if (quoted) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				quoted = 0;
		} else if (ch == '"')
			quoted = 1;
		else if (ch == '@')
			*at = i;
		else if (ch == '>')
			break;
	}
	if (i >= c->len)
		return 0;
	*addr = c->p;
	*alen = i;
	c->p += i + 1;
	c->len -= i + 1;
	return 1;
}

/* Set rcpt_domain from the recipient, lowercased, if it is a plain name. */
static void
logparse_rcpt_domain(const char *addr, size_t alen, size_t at,
    struct logparse_event *ev)
{
	size_t i, n;

	if (at == (size_t)-1)
		return;
	n = alen - at - 1;
	if (n == 0 || n >= sizeof(ev->rcpt_domain))
		return;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)addr[at + 1 + i];

		if (ch <= ' ' || ch == 0x7f || ch == '"') {
			ev->rcpt_domain[0] = '\0';
			return;
		}
		ev->rcpt_domain[i] = (char)(ch >= 'A' && ch <= 'Z' ?
		    ch + ('a' - 'A') : ch);
	}
	ev->rcpt_domain[n] = '\0';
}

/* Parse relay=VALUE: none, HOST[ADDR][:PORT], or another word. */
static int
logparse_relay(const char *v, size_t n, struct logparse_event *ev)
{
	if (n == 4 && memcmp(v, "none", 4) == 0) {
		ev->relay = RELAY_NONE;
		return 1;
	}
	if (memchr(v, '[', n) != NULL) {
		if (logparse_namaddr(v, n, ev) != n)
			return 0;
		ev->relay = RELAY_ADDR;
		return 1;
	}
	if (n == 0 || memchr(v, ' ', n) != NULL ||
	    !logparse_copy(ev->host, sizeof(ev->host), v, n))
		return 0;
	ev->relay = RELAY_OTHER;
	return 1;
}

/* True when "X.Y.Z" is a DSN status code as Postfix logs it. */
static int
logparse_dsn_valid(const char *v, size_t n)
{
	struct logparse_cur c = { v, n };
	unsigned long x;

	return logparse_digits(&c, 1, 1, &x) && logparse_take_char(&c, '.') &&
	    logparse_digits(&c, 1, 3, &x) && logparse_take_char(&c, '.') &&
	    logparse_digits(&c, 1, 3, &x) && c.len == 0;
}

/* True when needle occurs in the n bytes at hay. */
static int
logparse_contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;
	const char *p;

	for (i = 0; i + m <= n; i++) {
		p = memchr(hay + i, needle[0], n - i - m + 1);
		if (p == NULL)
			return 0;
		i = (size_t)(p - hay);
		if (memcmp(p, needle, m) == 0)
			return 1;
	}
	return 0;
}

/* "status=WORD (REASON)" to the end of the message. */
static int
logparse_status(struct logparse_cur *c, struct logparse_event *ev)
{
	size_t n;

	for (n = 0; n < c->len && n < 16 && c->p[n] >= 'a' && c->p[n] <= 'z';
	    n++)
		;
	if (n == 0 || n == 16)
		return 0;
	if (n == 4 && memcmp(c->p, "sent", 4) == 0)
		ev->status = STATUS_SENT;
	else if (n == 8 && memcmp(c->p, "deferred", 8) == 0)
		ev->status = STATUS_DEFERRED;
	else if (n == 7 && memcmp(c->p, "bounced", 7) == 0)
		ev->status = STATUS_BOUNCED;
	else
		ev->status = STATUS_OTHER;
	c->p += n;
	c->len -= n;
	if (!logparse_take(c, " (") || c->len == 0 ||
	    c->p[c->len - 1] != ')')
		return 0;
	n = c->len - 1;
	ev->tls_not_offered = logparse_contains(c->p, n,
	    "TLS is required, but was not offered");
	logparse_copy_text(ev->reason, sizeof(ev->reason), c->p, n,
	    &ev->reason_truncated);
	return 1;
}

/* The key=value fields after to=<...>, up to and including status. */
static int
logparse_fields(struct logparse_cur *c, struct logparse_event *ev)
{
	const char *v, *a;
	size_t n, alen, at;
	unsigned long u;
	int have_dsn = 0;

	while (logparse_take(c, ", ")) {
		if (logparse_take(c, "status="))
			return ev->relay != RELAY_ABSENT && have_dsn &&
			    logparse_status(c, ev);
		if (logparse_take(c, "orig_to=")) {
			if (!logparse_angle(c, &a, &alen, &at))
				return 0;
			continue;
		}
		/* a plain field: KEY=VALUE, VALUE up to the next ", " */
		v = c->p;
		for (n = 0; n < c->len; n++)
			if (v[n] == ',' && n + 1 < c->len && v[n + 1] == ' ')
				break;
		c->p += n;
		c->len -= n;
		if (n > 6 && memcmp(v, "relay=", 6) == 0) {
			if (ev->relay != RELAY_ABSENT ||
			    !logparse_relay(v + 6, n - 6, ev))
				return 0;
		} else if (n > 9 && memcmp(v, "conn_use=", 9) == 0) {
			struct logparse_cur d = { v + 9, n - 9 };

			if (!logparse_digits(&d, 1, 9, &u) || d.len != 0)
				return 0;
			ev->conn_use = (unsigned)u;
		} else if (n > 4 && memcmp(v, "dsn=", 4) == 0) {
			if (!logparse_dsn_valid(v + 4, n - 4) ||
			    !logparse_copy(ev->dsn, sizeof(ev->dsn), v + 4,
			    n - 4))
				return 0;
			have_dsn = 1;
		} else if (memchr(v, '=', n) == NULL)
			return 0;
	}
	return 0;
}

/* "QUEUEID: to=<RCPT>, ..., status=WORD (REASON)". */
static int
logparse_delivery(struct logparse_cur *c, struct logparse_event *ev)
{
	const char *addr;
	size_t n, alen, at;

	for (n = 0; n < c->len && n < sizeof(ev->queue_id); n++) {
		char ch = c->p[n];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= 'a' && ch <= 'z')))
			break;
	}
	if (n == 0 || n == sizeof(ev->queue_id))
		return 0;
	(void)logparse_copy(ev->queue_id, sizeof(ev->queue_id), c->p, n);
	c->p += n;
	c->len -= n;
	if (!logparse_take(c, ": to=") ||
	    !logparse_angle(c, &addr, &alen, &at))
		return 0;
	logparse_rcpt_domain(addr, alen, at, ev);
	return logparse_fields(c, ev);
}

/* Classify a message of a known service; ev has its prefix already. */
static enum logparse_kind
logparse_body(const char *tag, size_t taglen, const char *msg,
    size_t msglen, struct logparse_event *ev)
{
	struct logparse_cur c = { msg, msglen };
	enum logparse_kind kind = LOGPARSE_OTHER;
	int ok = 0;

	if (!logparse_copy(ev->service, sizeof(ev->service), tag, taglen))
		return LOGPARSE_OTHER;
	if (logparse_is_lmtp(tag, taglen))
		ev->lmtp = 1;
	else if (!logparse_is_smtp(tag, taglen))
		return LOGPARSE_OTHER;
	if (memchr(msg, '\0', msglen) != NULL)
		return LOGPARSE_OTHER;
	if (msglen > 0 && (msg[0] == 'A' || msg[0] == 'U' || msg[0] == 'T' ||
	    msg[0] == 'V') && (ok = logparse_tls(&c, ev)))
		kind = LOGPARSE_TLS;
	else if (msglen > 0 && (msg[0] == 'c' || msg[0] == 's') &&
	    (ok = logparse_cert_fail(&c, ev)))
		kind = LOGPARSE_CERT_FAIL;
	else if (msglen > 0 && msg[0] == 'w' &&
	    (ok = logparse_lookup_error(&c, ev)))
		kind = LOGPARSE_LOOKUP_ERROR;
	else {
		logparse_clear_body(ev);
		c.p = msg;
		c.len = msglen;
		if ((ok = logparse_delivery(&c, ev)))
			kind = LOGPARSE_DELIVERY;
	}
	if (!ok) {
		logparse_clear_body(ev);
		return LOGPARSE_OTHER;
	}
	ev->kind = kind;
	return kind;
}

/* Parse one log line with its syslog prefix; see the file header. */
enum logparse_kind
logparse_line(const char *line, size_t len, struct logparse_event *ev)
{
	struct logparse_cur c;
	const char *tag;
	size_t taglen;

	logparse_reset(ev);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	c.p = line;
	c.len = len;
	if (len == 0)
		return LOGPARSE_OTHER;
	if (line[0] >= '0' && line[0] <= '9') {
		if (!logparse_prefix_rfc3339(&c, ev))
			goto bad;
	} else if (!logparse_prefix_classic(&c, ev))
		goto bad;
	if (!logparse_prefix_source(&c, ev, &tag, &taglen))
		goto bad;
	return logparse_body(tag, taglen, c.p, c.len, ev);
bad:
	logparse_reset(ev);
	return LOGPARSE_OTHER;
}

/* Parse one journal entry's tag, pid and message; see the file header. */
enum logparse_kind
logparse_message(const char *tag, size_t taglen, unsigned long pid,
    const char *msg, size_t msglen, struct logparse_event *ev)
{
	logparse_reset(ev);
	ev->pid = pid;
	return logparse_body(tag, taglen, msg, msglen, ev);
}
