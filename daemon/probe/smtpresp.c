/*
 * NAME
 *	smtpresp - SMTP, IMAP and POP3 responses as a probe reads them
 * SYNOPSIS
 *	#include "smtpresp.h"
 *
 *	int smtpresp_parse(buf, len, reply, used, err, errsz)
 *	int smtpresp_imap(buf, len, line, used, err, errsz)
 *	int smtpresp_pop3(buf, len, line, used, err, errsz)
 * DESCRIPTION
 *	The active probe talks to a mail server up to STARTTLS: it reads the
 *	greeting, sends EHLO (CAPABILITY, CAPA) and looks for STARTTLS
 *	(STLS) in the answer. What it reads comes from any host on the
 *	Internet, so these are pure, bounded parsers: each looks at the
 *	start of buf[0..len), and says SMTPRESP_DONE with *used set to the
 *	bytes of one complete response, SMTPRESP_MORE when none is complete
 *	yet and nothing is wrong so far (read more and call again with the
 *	bytes so far), or SMTPRESP_BAD with a reason in err for an admin.
 *	A line ends in CRLF or a bare LF and holds at most SMTPRESP_LINE_MAX
 *	bytes before it; a longer one is BAD as soon as that many bytes have
 *	come without an end, so a server that streams a huge banner is
 *	refused after a kilobyte. A NUL byte is always BAD. On MORE and BAD,
 *	*used is 0 and the result is zeroed; err is "" unless BAD.
 *
 *	smtpresp_parse() reads one SMTP reply (RFC 5321 4.2): lines of a
 *	three-digit code, first digit 2 to 5, then '-' (more lines follow),
 *	' ' or the end of the line (the last line), at most
 *	SMTPRESP_LINES_MAX of them, all with the same code. The code and
 *	separator are checked as the bytes arrive, so "HTTP/1.1 400" or a
 *	binary banner is BAD at its first byte. reply->text is line 1 after
 *	the code; reply->flags has the EHLO keywords (the first word of
 *	lines 2 and later, any case) STARTTLS, PIPELINING, 8BITMIME and
 *	SIZE.
 *
 *	smtpresp_imap() reads one IMAP line (RFC 3501 7): untagged
 *	("* WORD ...") or tagged ("TAG OK|NO|BAD ..."); line->ok is true for
 *	OK and PREAUTH, line->text is the line after "* " or the tag, and
 *	line->flags has SMTPRESP_STARTTLS for a "* CAPABILITY" line listing
 *	the atom STARTTLS, or an OK or PREAUTH line whose response code is
 *	"[CAPABILITY ... STARTTLS ...]" (a greeting, or a tagged OK). A
 *	continuation request ("+ ...") is BAD: the probe never sends
 *	anything that asks for one.
 *
 *	smtpresp_pop3() reads one POP3 line (RFC 1939, RFC 2449 CAPA): a
 *	status line ("+OK ...", line->ok true, or "-ERR ..."), or a line of
 *	a multi-line listing, where "." alone ends the listing (line->end
 *	true; the caller stops there) and the line "STLS" (any case) sets
 *	SMTPRESP_STARTTLS. line->text is the whole line, so that a greeting
 *	that is neither +OK nor -ERR (an SMTP banner, say) shows what it
 *	was; in a listing the dot-stuffing of RFC 1939 3 is undone.
 *
 *	text fields hold at most SMTPRESP_TEXT_MAX bytes, NUL-terminated,
 *	with every byte that is not printable ASCII replaced by '?'.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smtpresp.h"

#define SMTPRESP_QUOTE 24	/* bytes of a line quoted in an error */

/* Write a reason into err (when there is room) and return BAD. */
static int
smtpresp_bad(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
smtpresp_bad(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return SMTPRESP_BAD;
}

/* Copy at most n bytes of p into out (SMTPRESP_TEXT_MAX + 1), printable. */
static void
smtpresp_text(char *out, const char *p, size_t n)
{
	size_t i;

	if (n > SMTPRESP_TEXT_MAX)
		n = SMTPRESP_TEXT_MAX;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f ? p[i] : '?';
	out[n] = '\0';
}

/* The start of a line, printable, for an error message. */
static const char *
smtpresp_quote(char *out, size_t outsz, const char *p, size_t n)
{
	char text[SMTPRESP_TEXT_MAX + 1];

	smtpresp_text(text, p, n);
	snprintf(out, outsz, "%.*s%s", SMTPRESP_QUOTE, text,
	    n > SMTPRESP_QUOTE ? "..." : "");
	return out;
}

/* True when n bytes of p are the uppercase word w, ignoring ASCII case. */
static int
smtpresp_word(const char *p, size_t n, const char *w)
{
	size_t i;
	char c;

	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++) {
		c = p[i] >= 'a' && p[i] <= 'z' ? (char)(p[i] - 'a' + 'A') : p[i];
		if (c != w[i])
			return 0;
	}
	return 1;
}

/*
 * Find the end of the line that starts at buf[pos]: DONE with its length
 * without CRLF (or LF) in *clen and the offset after it in *next, MORE
 * with the bytes so far in *clen (less a last CR, which may be the CR of
 * CRLF), or BAD for a NUL byte or a line over SMTPRESP_LINE_MAX.
 */
static int
smtpresp_line(const char *buf, size_t len, size_t pos, const char *what,
    size_t *clen, size_t *next, char *err, size_t errsz)
{
	size_t i, lim = len - pos;

	/* SMTPRESP_LINE_MAX bytes, CR and LF: nothing valid is longer */
	if (lim > SMTPRESP_LINE_MAX + 2)
		lim = SMTPRESP_LINE_MAX + 2;
	for (i = 0; i < lim && buf[pos + i] != '\n'; i++)
		if (buf[pos + i] == '\0')
			return smtpresp_bad(err, errsz, "NUL byte in the %s",
			    what);
	*clen = i > 0 && buf[pos + i - 1] == '\r' ? i - 1 : i;
	if (*clen > SMTPRESP_LINE_MAX)
		return smtpresp_bad(err, errsz, "%s line longer than %d bytes",
		    what, SMTPRESP_LINE_MAX);
	if (i == lim)
		return SMTPRESP_MORE;
	*next = pos + i + 1;
	return SMTPRESP_DONE;
}

/* Check the code and separator of SMTP line n as far as they have come. */
static int
smtpresp_code(const char *p, size_t clen, int done, unsigned n, int code,
    char *err, size_t errsz)
{
	char q[SMTPRESP_QUOTE + 4];
	size_t i;
	int d;

	for (i = 0; i < clen && i < 3; i++)
		if (p[i] < (i == 0 ? '2' : '0') || p[i] > (i == 0 ? '5' : '9'))
			break;
	if (i < clen && i < 3)
		goto garbage;
	if ((done && clen < 3) || (clen > 3 && p[3] != '-' && p[3] != ' '))
		goto garbage;
	if (clen < 3 || n == 1)
		return SMTPRESP_MORE;
	d = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (d != code)
		return smtpresp_bad(err, errsz, "line %u has code %d but line 1 "
		    "had %d", n, d, code);
	if (clen > 3 && p[3] == '-' && n == SMTPRESP_LINES_MAX)
		return smtpresp_bad(err, errsz, "more than %d lines in one "
		    "reply", SMTPRESP_LINES_MAX);
	return SMTPRESP_MORE;
garbage:
	return smtpresp_bad(err, errsz, "line %u is not an SMTP reply "
	    "(\"%s\")", n, smtpresp_quote(q, sizeof(q), p, clen));
}

/* The SMTPRESP_* flag for the EHLO keyword that starts text, or 0. */
static unsigned
smtpresp_keyword(const char *text, size_t n)
{
	static const struct {
		const char *word;
		unsigned flag;
	} words[] = {
		{ "STARTTLS", SMTPRESP_STARTTLS },
		{ "PIPELINING", SMTPRESP_PIPELINING },
		{ "8BITMIME", SMTPRESP_8BITMIME },
		{ "SIZE", SMTPRESP_SIZE },
	};
	const char *sp = memchr(text, ' ', n);
	size_t i;

	if (sp != NULL)
		n = (size_t)(sp - text);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (smtpresp_word(text, n, words[i].word))
			return words[i].flag;
	return 0;
}

/* Look for one complete SMTP reply at the start of buf. */
int
smtpresp_parse(const char *buf, size_t len, struct smtpresp *r, size_t *used,
    char *err, size_t errsz)
{
	size_t pos = 0, clen = 0, next = 0;
	unsigned n;
	int st;

	memset(r, 0, sizeof(*r));
	*used = 0;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	for (n = 1; pos < len; n++) {
		st = smtpresp_line(buf, len, pos, "reply", &clen, &next, err,
		    errsz);
		if (st == SMTPRESP_BAD)
			goto bad;
		if (smtpresp_code(buf + pos, clen, st == SMTPRESP_DONE, n,
		    r->code, err, errsz) == SMTPRESP_BAD)
			goto bad;
		if (st == SMTPRESP_MORE)
			break;
		if (n == 1) {
			r->code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 +
			    (buf[2] - '0');
			if (clen > 4)
				smtpresp_text(r->text, buf + 4, clen - 4);
		} else if (clen > 4)
			r->flags |= smtpresp_keyword(buf + pos + 4, clen - 4);
		if (clen == 3 || buf[pos + 3] == ' ') {
			r->lines = n;
			*used = next;
			return SMTPRESP_DONE;
		}
		pos = next;
	}
	memset(r, 0, sizeof(*r));
	return SMTPRESP_MORE;
bad:
	memset(r, 0, sizeof(*r));
	return SMTPRESP_BAD;
}

/* Clear an IMAP or POP3 result and find the end of its one line. */
static int
smtpresp_one_line(const char *buf, size_t len, struct smtpresp_line *r,
    size_t *used, size_t *clen, size_t *next, char *err, size_t errsz)
{
	memset(r, 0, sizeof(*r));
	*used = 0;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (len == 0)
		return SMTPRESP_MORE;
	return smtpresp_line(buf, len, 0, "response", clen, next, err, errsz);
}

/* True for the bytes of an IMAP tag: ASTRING-CHAR except '+'. */
static int
smtpresp_imap_tagchar(char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", c) == NULL;
}

/* True when the atom STARTTLS is in the space-separated list p[0..n). */
static int
smtpresp_imap_starttls(const char *p, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		start = i;
		while (i < n && p[i] != ' ')
			i++;
		if (smtpresp_word(p + start, i - start, "STARTTLS"))
			return 1;
		i++;
	}
	return 0;
}

/* Read one IMAP response line at the start of buf. */
int
smtpresp_imap(const char *buf, size_t len, struct smtpresp_line *r,
    size_t *used, char *err, size_t errsz)
{
	char q[SMTPRESP_QUOTE + 4];
	const char *rest, *close;
	size_t clen = 0, next = 0, i, n, w;
	int st;

	st = smtpresp_one_line(buf, len, r, used, &clen, &next, err, errsz);
	if (st != SMTPRESP_DONE)
		return st;

	for (i = 0; i < clen && smtpresp_imap_tagchar(buf[i]); i++)
		;
	if (clen >= 2 && buf[0] == '*' && buf[1] == ' ') {
		r->imap_kind = SMTPRESP_IMAP_UNTAGGED;
		i = 1;
	} else if (i > 0 && i < clen && buf[i] == ' ') {
		if (i >= sizeof(r->tag)) {
			memset(r, 0, sizeof(*r));
			return smtpresp_bad(err, errsz, "IMAP tag longer than "
			    "%zu bytes (\"%s\")", sizeof(r->tag) - 1,
			    smtpresp_quote(q, sizeof(q), buf, clen));
		}
		r->imap_kind = SMTPRESP_IMAP_TAGGED;
		memcpy(r->tag, buf, i);
		r->tag[i] = '\0';
	} else
		goto garbage;
	rest = buf + i + 1;
	n = clen - i - 1;
	for (w = 0; w < n && rest[w] != ' '; w++)
		;
	r->ok = smtpresp_word(rest, w, "OK") || smtpresp_word(rest, w,
	    "PREAUTH");
	if (w == 0 || (r->imap_kind == SMTPRESP_IMAP_TAGGED && !r->ok &&
	    !smtpresp_word(rest, w, "NO") && !smtpresp_word(rest, w, "BAD")))
		goto garbage;

	if (r->imap_kind == SMTPRESP_IMAP_UNTAGGED &&
	    smtpresp_word(rest, w, "CAPABILITY")) {
		if (smtpresp_imap_starttls(rest + w, n - w))
			r->flags |= SMTPRESP_STARTTLS;
	} else if (r->ok && n - w > 13 && smtpresp_word(rest + w, 13,
	    " [CAPABILITY ") && (close = memchr(rest + w + 13, ']',
	    n - w - 13)) != NULL) {
		if (smtpresp_imap_starttls(rest + w + 13,
		    (size_t)(close - (rest + w + 13))))
			r->flags |= SMTPRESP_STARTTLS;
	}
	smtpresp_text(r->text, rest, n);
	*used = next;
	return SMTPRESP_DONE;
garbage:
	memset(r, 0, sizeof(*r));
	return smtpresp_bad(err, errsz, "not an IMAP response (\"%s\")",
	    smtpresp_quote(q, sizeof(q), buf, clen));
}

/* Read one POP3 response line at the start of buf. */
int
smtpresp_pop3(const char *buf, size_t len, struct smtpresp_line *r,
    size_t *used, char *err, size_t errsz)
{
	size_t clen = 0, next = 0;
	int st;

	st = smtpresp_one_line(buf, len, r, used, &clen, &next, err, errsz);
	if (st != SMTPRESP_DONE)
		return st;

	if (clen >= 3 && smtpresp_word(buf, 3, "+OK") &&
	    (clen == 3 || buf[3] == ' '))
		r->ok = 1;
	else if (clen >= 4 && smtpresp_word(buf, 4, "-ERR") &&
	    (clen == 4 || buf[4] == ' '))
		r->ok = 0;
	else if (clen == 1 && buf[0] == '.')
		r->end = 1;
	else if (clen > 0 && buf[0] == '.') {
		/* a byte-stuffed listing line: ".." stands for "." */
		buf++;
		clen--;
	}
	if (!r->end && smtpresp_word(buf, clen, "STLS"))
		r->flags |= SMTPRESP_STARTTLS;
	smtpresp_text(r->text, buf, clen);
	*used = next;
	return SMTPRESP_DONE;
}
