/*
 * NAME
 *	t/unit/smtpresp - tests for the SMTP, IMAP and POP3 response parsers
 * DESCRIPTION
 *	Real replies (Postfix, Exim, Microsoft, Gmail, Dovecot) parse to
 *	their code, first line text and EHLO keywords, with STARTTLS found
 *	wherever it is listed and in any case, but only as a whole first
 *	word of a later line. Every prefix of a reply is MORE and the whole
 *	is DONE with the same result, LF works as CRLF does, and two replies
 *	back to back are read one at a time. What is refused, with a reason:
 *	a line over SMTPRESP_LINE_MAX as soon as it is (a 10 MB banner after
 *	1001 bytes), HTTP, binary and NUL bytes, codes that differ between
 *	lines or are outside 2xx-5xx, 101 lines. Then IMAP greetings with
 *	and without a CAPABILITY code, "* CAPABILITY" lines and tagged
 *	OK/NO/BAD, and POP3 +OK/-ERR, a CAPA listing with STLS and its "."
 *	end.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpresp.h"
#include "tap.h"

static struct smtpresp R;
static struct smtpresp_line L;
static size_t U;
static char E[256];

/* smtpresp_parse over n bytes of s, into R, U and E. */
static int
smtp_n(const char *s, size_t n)
{
	return smtpresp_parse(s, n, &R, &U, E, sizeof(E));
}

static int
smtp(const char *s)
{
	return smtp_n(s, strlen(s));
}

static int
imap(const char *s)
{
	return smtpresp_imap(s, strlen(s), &L, &U, E, sizeof(E));
}

static int
pop3(const char *s)
{
	return smtpresp_pop3(s, strlen(s), &L, &U, E, sizeof(E));
}

static const char POSTFIX_EHLO[] =
    "250-mx.example.net\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 52428800\r\n"
    "250-ETRN\r\n"
    "250-STARTTLS\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-8BITMIME\r\n"
    "250-DSN\r\n"
    "250-SMTPUTF8\r\n"
    "250 CHUNKING\r\n";

static const char GMAIL_EHLO[] =
    "250-mx.google.com at your service, [192.0.2.10]\r\n"
    "250-SIZE 157286400\r\n"
    "250-8BITMIME\r\n"
    "250-STARTTLS\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-PIPELINING\r\n"
    "250-CHUNKING\r\n"
    "250 SMTPUTF8\r\n";

static const char MICROSOFT_EHLO[] =
    "250-AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [192.0.2.10]\r\n"
    "250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n"
    "250-DSN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-STARTTLS\r\n"
    "250-8BITMIME\r\n"
    "250-BINARYMIME\r\n"
    "250-CHUNKING\r\n"
    "250 SMTPUTF8\r\n";

static const char EXIM_EHLO_LF[] =
    "250-mail.example.org Hello probe.example [192.0.2.10]\n"
    "250-SIZE 52428800\n"
    "250-8BITMIME\n"
    "250-PIPELINING\n"
    "250-PIPE_CONNECT\n"
    "250-CHUNKING\n"
    "250-STARTTLS\n"
    "250 HELP\n";

static void
test_single(void)
{
	const char *s = "220 mx.example.net ESMTP Postfix (Debian/GNU)\r\n";

	tap_is_int(smtp(s), SMTPRESP_DONE, "a Postfix banner is one reply");
	tap_is_int(R.code, 220, "its code");
	tap_is_int(R.lines, 1, "one line");
	tap_is_str(R.text, "mx.example.net ESMTP Postfix (Debian/GNU)",
	    "the text after \"220 \"");
	tap_is_int((long long)U, (long long)strlen(s),
	    "used: the whole reply with its CRLF");
	tap_is_str(E, "", "no reason when DONE");
	tap_is_int(R.flags, 0, "a one-line reply has no EHLO keywords");
	tap_is_int(smtp("250 STARTTLS\r\n"), SMTPRESP_DONE, "250 STARTTLS");
	tap_is_int(R.flags, 0, "line 1 is never an EHLO keyword");
	tap_is_int(smtp("554\r\n"), SMTPRESP_DONE, "a bare code is a last line");
	tap_ok(R.code == 554 && R.text[0] == '\0' && U == 5,
	    "with code 554, no text, 5 bytes used");
	tap_is_int(smtp("421-\r\n421 \r\n"), SMTPRESP_DONE,
	    "lines with a separator and no text");
	tap_ok(R.code == 421 && R.lines == 2 && R.text[0] == '\0',
	    "two lines, no text");
	tap_is_int(smtp(""), SMTPRESP_MORE, "nothing yet: MORE");
	tap_is_int(smtp_n("220 x", 5), SMTPRESP_MORE,
	    "no end of line yet: MORE");
	tap_ok(U == 0 && R.code == 0 && E[0] == '\0',
	    "MORE leaves used 0, the result zeroed and no reason");
}

static void
test_ehlo(void)
{
	tap_is_int(smtp(POSTFIX_EHLO), SMTPRESP_DONE, "Postfix's EHLO reply");
	tap_ok(R.code == 250 && R.lines == 10, "code 250, 10 lines");
	tap_is_str(R.text, "mx.example.net", "the text of line 1");
	tap_is_int(R.flags, SMTPRESP_STARTTLS | SMTPRESP_PIPELINING |
	    SMTPRESP_8BITMIME | SMTPRESP_SIZE, "STARTTLS, PIPELINING, "
	    "8BITMIME and SIZE (with its argument)");
	tap_is_int(smtp(GMAIL_EHLO), SMTPRESP_DONE, "Gmail's EHLO reply");
	tap_is_int(R.flags, SMTPRESP_STARTTLS | SMTPRESP_PIPELINING |
	    SMTPRESP_8BITMIME | SMTPRESP_SIZE, "all four keywords");
	tap_is_int(smtp(MICROSOFT_EHLO), SMTPRESP_DONE,
	    "Microsoft's EHLO reply");
	tap_is_str(R.text, "AM0PR01MB1234.eurprd01.prod.exchangelabs.com "
	    "Hello [192.0.2.10]", "its greeting line");
	tap_is_int(R.flags & SMTPRESP_STARTTLS, SMTPRESP_STARTTLS,
	    "STARTTLS in the middle");
	tap_is_int(smtp(EXIM_EHLO_LF), SMTPRESP_DONE, "Exim's, with bare LF");
	tap_ok(R.lines == 8 && (R.flags & SMTPRESP_STARTTLS) &&
	    U == sizeof(EXIM_EHLO_LF) - 1, "8 lines, STARTTLS, all bytes used");

	smtp("250-mx\r\n250 STARTTLS\r\n");
	tap_is_int(R.flags, SMTPRESP_STARTTLS, "STARTTLS on the last line");
	smtp("250-mx\r\n250-STARTTLS\r\n250 HELP\r\n");
	tap_is_int(R.flags, SMTPRESP_STARTTLS, "STARTTLS on line 2");
	smtp("250-mx\r\n250-starttls\r\n250-Pipelining\r\n250 8bitmime\r\n");
	tap_is_int(R.flags, SMTPRESP_STARTTLS | SMTPRESP_PIPELINING |
	    SMTPRESP_8BITMIME, "keywords in any case");
	smtp("250-mx\r\n250-STARTTLS \r\n250 SIZE\r\n");
	tap_is_int(R.flags, SMTPRESP_STARTTLS | SMTPRESP_SIZE,
	    "a trailing blank, SIZE without an argument");
	smtp("250-mx\r\n250-STARTTLSX\r\n250-XSTARTTLS\r\n"
	    "250-X-STARTTLS\r\n250 AUTH STARTTLS\r\n");
	tap_is_int(R.flags, 0, "STARTTLS only as the whole first word");
	smtp("250-mx\r\n250-SIZED\r\n250 PIPELINING2\r\n");
	tap_is_int(R.flags, 0, "nor other keywords as a prefix");
}

/* Every prefix of s is MORE, s is DONE with the result got (from s). */
static void
check_prefixes(const char *s, const char *name)
{
	struct smtpresp whole;
	size_t len = strlen(s), n, bad = 0;

	tap_is_int(smtp(s), SMTPRESP_DONE, name);
	whole = R;
	for (n = 0; n < len; n++)
		if (smtp_n(s, n) != SMTPRESP_MORE || U != 0 || E[0] != '\0')
			bad++;
	tap_is_int((long long)bad, 0, "every prefix of it is MORE");
	tap_ok(smtp_n(s, len) == SMTPRESP_DONE && U == len &&
	    memcmp(&whole, &R, sizeof(R)) == 0,
	    "and all of it DONE with the same result");
}

static void
test_split(void)
{
	struct smtpresp lf;

	check_prefixes(POSTFIX_EHLO, "split reads: Postfix's EHLO reply");
	check_prefixes(EXIM_EHLO_LF, "split reads: Exim's with bare LF");
	check_prefixes("220\r\n", "split reads: a bare code");

	smtp(EXIM_EHLO_LF);
	lf = R;
	{
		char crlf[sizeof(EXIM_EHLO_LF) * 2];
		size_t i, j = 0;

		for (i = 0; EXIM_EHLO_LF[i] != '\0'; i++) {
			if (EXIM_EHLO_LF[i] == '\n')
				crlf[j++] = '\r';
			crlf[j++] = EXIM_EHLO_LF[i];
		}
		crlf[j] = '\0';
		tap_ok(smtp(crlf) == SMTPRESP_DONE && U == j &&
		    memcmp(&lf, &R, sizeof(R)) == 0,
		    "CRLF and LF give the same reply");
	}
	tap_ok(smtp("250-a\n250-STARTTLS\r\n250 b\n") == SMTPRESP_DONE &&
	    R.lines == 3 && R.flags == SMTPRESP_STARTTLS,
	    "CRLF and LF mixed in one reply");
	tap_ok(smtp("220 a\r\r\n") == SMTPRESP_DONE &&
	    strcmp(R.text, "a?") == 0, "only the CR before LF ends a line");
}

static void
test_back_to_back(void)
{
	const char *s = "220 mx.example ESMTP\r\n250-mx.example\r\n"
	    "250 STARTTLS\r\n";
	size_t first;

	tap_is_int(smtp(s), SMTPRESP_DONE, "two replies in one read");
	tap_ok(R.code == 220 && U == 22, "the first: 220, 22 bytes used");
	first = U;
	tap_is_int(smtp(s + first), SMTPRESP_DONE, "then the second");
	tap_ok(R.code == 250 && R.lines == 2 && R.flags == SMTPRESP_STARTTLS &&
	    first + U == strlen(s), "250 with STARTTLS, up to the end");
	tap_is_int(smtp("250 ok\r\n554 no"), SMTPRESP_DONE,
	    "a complete reply followed by part of one");
	tap_is_int((long long)U, 8, "used stops after the first");
}

static void
test_limits(void)
{
	size_t big = 10 * 1024 * 1024, i, bad = 0;
	char *buf = malloc(big + 3);
	char line[SMTPRESP_LINES_MAX * 8 + 16];
	size_t n;

	if (buf == NULL) {
		tap_ok(0, "cannot allocate 10 MB");
		return;
	}
	memcpy(buf, "220 ", 4);
	memset(buf + 4, 'x', big - 4);
	tap_is_int(smtp_n(buf, SMTPRESP_LINE_MAX), SMTPRESP_MORE,
	    "a banner of 1000 bytes without an end yet: MORE");
	buf[SMTPRESP_LINE_MAX] = '\r';
	tap_is_int(smtp_n(buf, SMTPRESP_LINE_MAX + 1), SMTPRESP_MORE,
	    "1000 bytes and a CR: MORE (the CR may be CRLF's)");
	buf[SMTPRESP_LINE_MAX + 1] = '\n';
	tap_is_int(smtp_n(buf, SMTPRESP_LINE_MAX + 2), SMTPRESP_DONE,
	    "1000 bytes and CRLF: a reply");
	tap_is_int((long long)strlen(R.text), SMTPRESP_TEXT_MAX,
	    "its text cut to SMTPRESP_TEXT_MAX");
	buf[SMTPRESP_LINE_MAX] = 'x';
	buf[SMTPRESP_LINE_MAX + 1] = 'x';
	tap_is_int(smtp_n(buf, SMTPRESP_LINE_MAX + 1), SMTPRESP_BAD,
	    "1001 bytes without an end: BAD at once");
	tap_is_str(E, "reply line longer than 1000 bytes", "with the reason");
	tap_is_int(smtp_n(buf, big), SMTPRESP_BAD, "a 10 MB banner: BAD");
	buf[SMTPRESP_LINE_MAX + 1] = '\r';
	buf[SMTPRESP_LINE_MAX + 2] = '\n';
	tap_is_int(smtp_n(buf, SMTPRESP_LINE_MAX + 3), SMTPRESP_BAD,
	    "1001 bytes and CRLF: BAD");
	tap_is_int((long long)U, 0, "BAD leaves used 0");
	free(buf);

	n = 0;
	for (i = 0; i < SMTPRESP_LINES_MAX - 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "250-%02zu\r\n",
		    i % 100);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "250 end\r\n");
	tap_is_int(smtp_n(line, n), SMTPRESP_DONE, "100 lines: a reply");
	tap_is_int(R.lines, SMTPRESP_LINES_MAX, "of 100 lines");
	line[n - 6] = '-';
	n += (size_t)snprintf(line + n, sizeof(line) - n, "250 more\r\n");
	tap_is_int(smtp_n(line, n), SMTPRESP_BAD, "101 lines: BAD");
	tap_is_str(E, "more than 100 lines in one reply", "with the reason");
	tap_is_int(smtp_n(line, n - 10), SMTPRESP_BAD,
	    "BAD as soon as line 100 says more follow");
	/* line 100 starts after 99 lines of 8 bytes; its '-' is byte 3 */
	for (i = 0; i <= (SMTPRESP_LINES_MAX - 1) * 8 + 3; i++)
		if (smtp_n(line, i) != SMTPRESP_MORE)
			bad++;
	tap_is_int((long long)bad, 0, "but MORE up to that '-'");
}

static void
test_garbage(void)
{
	tap_is_int(smtp("HTTP/1.1 400 Bad Request\r\n"), SMTPRESP_BAD,
	    "an HTTP answer is BAD");
	tap_is_str(E, "line 1 is not an SMTP reply (\"HTTP/1.1 400 Bad "
	    "Request\")", "the reason quotes it");
	tap_is_int(smtp_n("H", 1), SMTPRESP_BAD,
	    "BAD at its first byte, without waiting for a line");
	tap_is_int(smtp_n("\x15\x03\x03\x00\x02\x02\x46", 7), SMTPRESP_BAD,
	    "a TLS alert (a server that wants TLS at once) is BAD");
	tap_is_int(smtp("\x80\xff" "abc\r\n"), SMTPRESP_BAD, "binary is BAD");
	tap_is_str(E, "line 1 is not an SMTP reply (\"??abc\")",
	    "quoted as printable");
	tap_is_int(smtp("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), SMTPRESP_BAD,
	    "an SSH banner is BAD");
	tap_is_int(smtp("+OK Dovecot ready.\r\n"), SMTPRESP_BAD,
	    "a POP3 greeting is BAD");
	tap_is_int(smtp_n("220 mx\0evil\r\n", 13), SMTPRESP_BAD,
	    "a NUL byte is BAD");
	tap_is_str(E, "NUL byte in the reply", "with the reason");
	tap_is_int(smtp_n("220 mx", 7), SMTPRESP_BAD,
	    "even before the line ends");
	tap_is_int(smtp("120 wait\r\n"), SMTPRESP_BAD, "code 1xx is BAD");
	tap_is_int(smtp("600 x\r\n"), SMTPRESP_BAD, "code 6xx is BAD");
	tap_is_int(smtp("2a0 x\r\n"), SMTPRESP_BAD, "a letter in the code");
	tap_is_int(smtp("22\r\n"), SMTPRESP_BAD, "a two-digit code");
	tap_is_int(smtp("220x\r\n"), SMTPRESP_BAD,
	    "no '-' or ' ' after the code");
	tap_is_int(smtp("2200 x\r\n"), SMTPRESP_BAD, "a four-digit code");
	tap_is_int(smtp("\r\n"), SMTPRESP_BAD, "an empty line");
	tap_is_int(smtp(" 220 x\r\n"), SMTPRESP_BAD, "a leading blank");
	tap_is_int(smtp("220-a\r\nfoo\r\n"), SMTPRESP_BAD,
	    "garbage on line 2");
	tap_is_str(E, "line 2 is not an SMTP reply (\"foo\")",
	    "the reason names the line");
	tap_is_int(smtp("220-a\r\n250 b\r\n"), SMTPRESP_BAD,
	    "line 2 with another code");
	tap_is_str(E, "line 2 has code 250 but line 1 had 220",
	    "the reason names both codes");
	tap_is_int(smtp("220-a\r\n22"), SMTPRESP_MORE,
	    "a code still arriving is not yet compared");
	tap_is_int(smtp("220-a\r\n221"), SMTPRESP_BAD,
	    "but is once it has three digits");
	{
		char small[16];
		size_t used = 99;

		tap_ok(smtpresp_parse("HTTP/1.1 400 Bad Request\r\n", 26, &R,
		    &used, small, sizeof(small)) == SMTPRESP_BAD &&
		    strlen(small) == sizeof(small) - 1 && used == 0,
		    "a small err gets the reason cut, used is 0");
		tap_is_int(smtpresp_parse("HTTP", 4, &R, &used, NULL, 0),
		    SMTPRESP_BAD, "err may be NULL with errsz 0");
	}
}

static void
test_text(void)
{
	tap_is_int(smtp("220 caf\xc3\xa9\tok\x7f\x01~ \r\n"), SMTPRESP_DONE,
	    "bytes outside printable ASCII in the text");
	/* split so that no "??" makes a trigraph */
	tap_is_str(R.text, "caf?" "?" "?ok?" "?~ ",
	    "are each replaced by '?'");
	tap_is_int(smtp("220-first\r\n220 second\r\n"), SMTPRESP_DONE,
	    "two lines");
	tap_is_str(R.text, "first", "the text is line 1's only");
}

static void
test_imap(void)
{
	const char *dovecot = "* OK [CAPABILITY IMAP4rev1 SASL-IR "
	    "LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
	    "LOGINDISABLED] Dovecot (Debian) ready.\r\n";
	char tag[64];
	size_t i, bad = 0;

	tap_is_int(imap(dovecot), SMTPRESP_DONE, "a Dovecot greeting");
	tap_ok(L.imap_kind == SMTPRESP_IMAP_UNTAGGED && L.ok &&
	    L.flags == SMTPRESP_STARTTLS && U == strlen(dovecot),
	    "untagged OK, STARTTLS in its CAPABILITY code, all used");
	tap_ok(strncmp(L.text, "OK [CAPABILITY IMAP4rev1", 24) == 0,
	    "text: the line after \"* \"");
	for (i = 0; i < strlen(dovecot); i++)
		if (smtpresp_imap(dovecot, i, &L, &U, E, sizeof(E)) !=
		    SMTPRESP_MORE || U != 0)
			bad++;
	tap_is_int((long long)bad, 0, "every prefix of it is MORE");

	tap_ok(imap("* OK Gimap ready for requests from 192.0.2.10 "
	    "a1b2c3\r\n") == SMTPRESP_DONE && L.ok && L.flags == 0,
	    "Gmail's greeting: OK, no capability code, no STARTTLS");
	tap_ok(imap("* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\n") ==
	    SMTPRESP_DONE && L.flags == 0, "a CAPABILITY code without it");
	tap_ok(imap("* OK [CAPABILITY IMAP4rev1 starttls] hi\r\n") ==
	    SMTPRESP_DONE && L.flags == SMTPRESP_STARTTLS,
	    "lowercase, last before ']'");
	tap_ok(imap("* OK [CAPABILITY IMAP4rev1 STARTTLSX] hi\r\n") ==
	    SMTPRESP_DONE && L.flags == 0, "STARTTLSX is another atom");
	tap_ok(imap("* OK [ALERT] STARTTLS soon\r\n") == SMTPRESP_DONE &&
	    L.flags == 0, "STARTTLS in other text does not count");
	tap_ok(imap("* OK [CAPABILITY IMAP4rev1 STARTTLS\r\n") ==
	    SMTPRESP_DONE && L.flags == 0, "nor in a code without its ']'");
	tap_ok(imap("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n") ==
	    SMTPRESP_DONE && L.ok && L.flags == SMTPRESP_STARTTLS,
	    "PREAUTH is ok, with its capability code");
	tap_ok(imap("* BYE [CAPABILITY IMAP4rev1 STARTTLS] busy\r\n") ==
	    SMTPRESP_DONE && !L.ok && L.flags == 0,
	    "BYE is not ok, and offers nothing");
	tap_ok(imap("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n") ==
	    SMTPRESP_DONE && L.flags == SMTPRESP_STARTTLS && !L.ok &&
	    L.imap_kind == SMTPRESP_IMAP_UNTAGGED, "* CAPABILITY with it");
	tap_ok(imap("* capability imap4rev1 StartTLS\n") == SMTPRESP_DONE &&
	    L.flags == SMTPRESP_STARTTLS, "in any case");
	tap_ok(imap("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n") ==
	    SMTPRESP_DONE && L.flags == 0, "* CAPABILITY without it");
	tap_ok(imap("* 3 EXISTS\r\n") == SMTPRESP_DONE && !L.ok &&
	    L.imap_kind == SMTPRESP_IMAP_UNTAGGED, "other untagged data");

	tap_ok(imap("a1 OK Begin TLS negotiation now\r\n") == SMTPRESP_DONE &&
	    L.imap_kind == SMTPRESP_IMAP_TAGGED && L.ok &&
	    strcmp(L.tag, "a1") == 0, "tagged OK, with its tag");
	tap_is_str(L.text, "OK Begin TLS negotiation now",
	    "text: the line after the tag");
	tap_ok(imap("a1 NO STARTTLS not available\r\n") == SMTPRESP_DONE &&
	    L.imap_kind == SMTPRESP_IMAP_TAGGED && !L.ok, "tagged NO");
	tap_ok(imap("a1 bad Unknown command\r\n") == SMTPRESP_DONE && !L.ok,
	    "tagged BAD, in any case");
	tap_ok(imap("a2 OK [CAPABILITY IMAP4rev1 STARTTLS] done\r\n") ==
	    SMTPRESP_DONE && L.flags == SMTPRESP_STARTTLS,
	    "a tagged OK's capability code counts too");
	tap_is_int(imap("a1 FOO bar\r\n"), SMTPRESP_BAD,
	    "a tagged line without OK, NO or BAD");
	memset(tag, 'a', 31);
	memcpy(tag + 31, " OK\r\n", 6);
	tap_ok(imap(tag) == SMTPRESP_DONE && strlen(L.tag) == 31,
	    "a 31-byte tag");
	memset(tag, 'a', 32);
	memcpy(tag + 32, " OK\r\n", 6);
	tap_is_int(imap(tag), SMTPRESP_BAD, "a 32-byte tag is BAD");
	tap_is_str(E, "IMAP tag longer than 31 bytes "
	    "(\"aaaaaaaaaaaaaaaaaaaaaaaa...\")", "with the reason");

	tap_is_int(imap("220 mx.example.com ESMTP Postfix\r\n"), SMTPRESP_BAD,
	    "an SMTP banner is not IMAP");
	tap_is_str(E, "not an IMAP response (\"220 mx.example.com ESMTP...\")",
	    "the reason quotes it");
	tap_is_int(imap("+ go ahead\r\n"), SMTPRESP_BAD,
	    "a continuation request is BAD");
	tap_is_int(imap("*\r\n"), SMTPRESP_BAD, "a bare '*'");
	tap_is_int(imap("* \r\n"), SMTPRESP_BAD, "'*' and nothing");
	tap_is_int(imap("\r\n"), SMTPRESP_BAD, "an empty line");
	tap_is_int(imap("a(1 OK x\r\n"), SMTPRESP_BAD, "a '(' in the tag");
	tap_is_int(smtpresp_imap("* OK \0\r\n", 8, &L, &U, E, sizeof(E)),
	    SMTPRESP_BAD, "a NUL byte");
	tap_is_int(imap(""), SMTPRESP_MORE, "nothing yet: MORE");
}

static void
test_pop3(void)
{
	static const char *capa[] = { "+OK\r\n", "CAPA\r\n", "TOP\r\n",
		"UIDL\r\n", "RESP-CODES\r\n", "PIPELINING\r\n",
		"AUTH-RESP-CODE\r\n", "USER\r\n", "SASL PLAIN LOGIN\r\n",
		"STLS\r\n", ".\r\n" };
	unsigned flags = 0, i, ends = 0;

	tap_ok(pop3("+OK Dovecot (Debian) ready.\r\n") == SMTPRESP_DONE &&
	    L.ok && !L.end && L.flags == 0, "a Dovecot greeting: +OK");
	tap_is_str(L.text, "+OK Dovecot (Debian) ready.",
	    "text: the whole line");
	tap_ok(pop3("-ERR [SYS/TEMP] try again later\r\n") == SMTPRESP_DONE &&
	    !L.ok && !L.end, "-ERR is not ok");
	tap_ok(pop3("+OK\n") == SMTPRESP_DONE && L.ok && U == 4,
	    "a bare +OK with LF");
	tap_ok(pop3("+OKAY\r\n") == SMTPRESP_DONE && !L.ok,
	    "+OKAY is not +OK");
	for (i = 0; i < sizeof(capa) / sizeof(capa[0]); i++) {
		if (pop3(capa[i]) != SMTPRESP_DONE ||
		    U != strlen(capa[i]))
			break;
		flags |= L.flags;
		ends += (unsigned)L.end;
	}
	tap_ok(i == sizeof(capa) / sizeof(capa[0]) &&
	    flags == SMTPRESP_STARTTLS && ends == 1 && L.end,
	    "a CAPA listing, line by line: STLS offered, '.' ends it");
	tap_ok(pop3("stls\r\n") == SMTPRESP_DONE &&
	    L.flags == SMTPRESP_STARTTLS, "stls in lowercase");
	tap_ok(pop3("STLS X\r\n") == SMTPRESP_DONE && L.flags == 0,
	    "STLS with more is not it");
	tap_ok(pop3("-ERR STLS\r\n") == SMTPRESP_DONE && L.flags == 0,
	    "nor is STLS in a status line");
	tap_ok(pop3("..\r\n") == SMTPRESP_DONE && !L.end &&
	    strcmp(L.text, ".") == 0, "\"..\" is a stuffed \".\", not the end");
	tap_ok(pop3("220 mx.example.com ESMTP\r\n") == SMTPRESP_DONE &&
	    !L.ok && strcmp(L.text, "220 mx.example.com ESMTP") == 0,
	    "an SMTP banner is a line that is not +OK, shown as it was");
	tap_is_int(pop3("+OK"), SMTPRESP_MORE, "no end of line yet: MORE");
	tap_is_int(smtpresp_pop3("+OK \0\r\n", 7, &L, &U, E, sizeof(E)),
	    SMTPRESP_BAD, "a NUL byte");
	{
		char line[SMTPRESP_LINE_MAX + 2];

		memset(line, 'x', sizeof(line));
		tap_is_int(smtpresp_pop3(line, SMTPRESP_LINE_MAX, &L, &U, E,
		    sizeof(E)), SMTPRESP_MORE, "1000 bytes: MORE");
		tap_is_int(smtpresp_pop3(line, SMTPRESP_LINE_MAX + 1, &L, &U,
		    E, sizeof(E)), SMTPRESP_BAD, "1001 bytes: BAD");
		tap_is_str(E, "response line longer than 1000 bytes",
		    "with the reason");
	}
}

int
main(void)
{
	test_single();
	test_ehlo();
	test_split();
	test_back_to_back();
	test_limits();
	test_garbage();
	test_text();
	test_imap();
	test_pop3();
	return tap_done();
}
