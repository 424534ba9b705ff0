/*
 * NAME
 *	fuzz-smtpresp - fuzz target for the SMTP, IMAP and POP3 parsers
 * SYNOPSIS
 *	fuzz-smtpresp [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The probe reads a mail server's replies with smtpresp_parse(),
 *	smtpresp_imap() or smtpresp_pop3(), after each read, on all the
 *	bytes it has so far. The first input byte picks the parser (0 SMTP,
 *	1 IMAP, 2 POP3, modulo 3; "smtp-", "imap-", "pop3-" seeds start
 *	with '0', '1', '2'), the rest is what the server sent. What must
 *	hold, besides not reading past len:
 *
 *	- the status is MORE, DONE or BAD; BAD comes with a reason, MORE
 *	  and DONE with none, and only DONE sets used, to 0 < used <= len
 *	  where a line ends;
 *	- a result's text is NUL-terminated, at most SMTPRESP_TEXT_MAX
 *	  bytes, printable ASCII; an SMTP code is 200..599 and is the first
 *	  three bytes, its lines are the line ends in the used bytes, and
 *	  its STARTTLS flag is there exactly when a line after the first
 *	  has the word STARTTLS first; an IMAP line is tagged (with a tag)
 *	  or untagged; a POP3 "." line ends a listing and offers nothing;
 *	- the used bytes alone give the same result: what follows a reply
 *	  does not change it;
 *	- the parsers look at the bytes in order and never take back a
 *	  verdict: every strict prefix of a DONE reply is MORE (a server
 *	  that sends its reply a byte at a time is neither answered early
 *	  nor refused), and a prefix is either MORE or has the verdict of
 *	  the whole (BAD stays BAD, DONE stays DONE with the same used);
 *	- a reason is cut to fit a small err without writing past it.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpresp.h"
#include "check.h"

#define T "fuzz-smtpresp"
#define FUZZ_PREFIXES 128	/* prefixes tried of a long input */

/* Any of the three parsers, through one shape. */
struct fuzz_result {
	struct smtpresp smtp;
	struct smtpresp_line line;
};

/* Parse buf[0..len) with parser which, into res; the status. */
static int
fuzz_smtpresp_run(int which, const char *buf, size_t len,
    struct fuzz_result *res, size_t *used, char *err, size_t errsz)
{
	memset(res, 0, sizeof(*res));
	if (which == 0)
		return smtpresp_parse(buf, len, &res->smtp, used, err, errsz);
	if (which == 1)
		return smtpresp_imap(buf, len, &res->line, used, err, errsz);
	return smtpresp_pop3(buf, len, &res->line, used, err, errsz);
}

/* True when text is a NUL-terminated printable result text. */
static int
fuzz_smtpresp_text(const char *text)
{
	size_t n = strnlen(text, SMTPRESP_TEXT_MAX + 1);

	return n <= SMTPRESP_TEXT_MAX && check_printable(text, n);
}

/* Does an SMTP line after the first, in buf[0..used), say STARTTLS? */
static int
fuzz_smtpresp_starttls(const char *buf, size_t used)
{
	const char *p, *w;
	size_t i;

	for (i = 0; i + 1 < used; i++) {
		if (buf[i] != '\n' || used - i - 1 < 4 + 8 + 1)
			continue;
		p = buf + i + 1;
		w = p + 4 + 8;
		if (strncasecmp(p + 4, "STARTTLS", 8) == 0 &&
		    (*w == ' ' || *w == '\n' || (*w == '\r' && w[1] == '\n')))
			return 1;
	}
	return 0;
}

/* Check a DONE result against the bytes it used. */
static void
fuzz_smtpresp_done(int which, const char *buf, size_t used,
    const struct fuzz_result *res)
{
	const struct smtpresp *s = &res->smtp;
	const struct smtpresp_line *l = &res->line;
	size_t i, lines = 0;

	if (which == 0) {
		for (i = 0; i < used; i++)
			lines += buf[i] == '\n';
		check_that(s->code >= 200 && s->code <= 599 &&
		    s->code == (buf[0] - '0') * 100 + (buf[1] - '0') * 10 +
		    (buf[2] - '0'), T, "the code is 200..599, the first bytes");
		check_that(s->lines >= 1 && s->lines <= SMTPRESP_LINES_MAX &&
		    s->lines == lines, T, "lines are the line ends used, 1..100");
		check_that((s->flags & ~0xfu) == 0, T, "only known flags");
		check_that(!(s->flags & SMTPRESP_STARTTLS) ==
		    !fuzz_smtpresp_starttls(buf, used), T,
		    "STARTTLS exactly when a later line starts with it");
		check_that(fuzz_smtpresp_text(s->text), T,
		    "the text is NUL-terminated, printable, bounded");
		return;
	}
	check_that((l->flags & ~(unsigned)SMTPRESP_STARTTLS) == 0, T,
	    "an IMAP or POP3 line offers STARTTLS or nothing");
	check_that(fuzz_smtpresp_text(l->text), T,
	    "the text is NUL-terminated, printable, bounded");
	check_that(l->ok == 0 || l->ok == 1, T, "ok is 0 or 1");
	if (which == 1) {
		check_that(l->imap_kind == SMTPRESP_IMAP_UNTAGGED ||
		    l->imap_kind == SMTPRESP_IMAP_TAGGED, T,
		    "an IMAP line is tagged or untagged");
		check_that(strnlen(l->tag, sizeof(l->tag)) < sizeof(l->tag), T,
		    "the tag is NUL-terminated");
		check_that((l->imap_kind == SMTPRESP_IMAP_TAGGED) ==
		    (l->tag[0] != '\0') && (l->tag[0] != '\0') ==
		    (buf[0] != '*'), T, "a tag exactly when not untagged");
		check_that(!l->end, T, "IMAP lines do not end a listing");
	} else {
		check_that(l->imap_kind == 0 && l->tag[0] == '\0', T,
		    "POP3 lines have no IMAP kind or tag");
		check_that(l->end == ((used == 2 || (used == 3 &&
		    buf[1] == '\r')) && buf[0] == '.'), T,
		    "end exactly for a \".\" line");
		check_that(!l->end || (l->flags == 0 && !l->ok), T,
		    "an end line offers nothing");
	}
}

/* Check the parse of buf[0..len) with parser which; see the header. */
static void
fuzz_smtpresp_check(int which, const char *buf, size_t len)
{
	struct fuzz_result res, again;
	char err[256], *small;
	size_t used = 7, used2 = 7, k, step, nl = 0;
	int st, st2;

	st = fuzz_smtpresp_run(which, buf, len, &res, &used, err, sizeof(err));
	check_that(st == SMTPRESP_MORE || st == SMTPRESP_DONE ||
	    st == SMTPRESP_BAD, T, "the status is MORE, DONE or BAD");
	check_that(strnlen(err, sizeof(err)) < sizeof(err), T,
	    "err is NUL-terminated");
	check_that((st == SMTPRESP_BAD) == (err[0] != '\0'), T,
	    "a reason exactly when BAD");
	if (st != SMTPRESP_DONE)
		check_that(used == 0, T, "used is 0 unless DONE");
	else {
		check_that(used > 0 && used <= len && buf[used - 1] == '\n', T,
		    "DONE uses 1..len bytes, up to a line end");
		fuzz_smtpresp_done(which, buf, used, &res);
		st2 = fuzz_smtpresp_run(which, buf, used, &again, &used2, err,
		    sizeof(err));
		check_that(st2 == SMTPRESP_DONE && used2 == used &&
		    memcmp(&res, &again, sizeof(res)) == 0, T,
		    "the used bytes alone give the same result");
	}

	/* prefixes: all of a short input, a spread and line ends of a long */
	step = len <= 2 * FUZZ_PREFIXES ? 1 : len / FUZZ_PREFIXES;
	for (k = 0; k < len; k++) {
		if (k % step != 0 && buf[k] != '\n' && (k == 0 ||
		    buf[k - 1] != '\n'))
			continue;
		if (k % step != 0 && ++nl > 2 * SMTPRESP_LINES_MAX)
			continue;
		st2 = fuzz_smtpresp_run(which, buf, k, &again, &used2, err,
		    sizeof(err));
		if (st == SMTPRESP_DONE && k < used)
			check_that(st2 == SMTPRESP_MORE, T,
			    "every strict prefix of a DONE reply is MORE");
		check_that(st2 == SMTPRESP_MORE || (st2 == st &&
		    (st != SMTPRESP_DONE || used2 == used)), T,
		    "a prefix is MORE or has the whole input's verdict");
	}

	if (st == SMTPRESP_BAD) {
		small = check_alloc(5);
		fuzz_smtpresp_run(which, buf, len, &again, &used2, small, 5);
		check_that(strlen(small) == 4, T, "a reason cut to a small err");
		free(small);
		check_that(fuzz_smtpresp_run(which, buf, len, &again, &used2,
		    NULL, 0) == SMTPRESP_BAD, T, "err may be NULL");
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_smtpresp_check(data[0] % 3, (const char *)data + 1, size - 1);
	return 0;
}
