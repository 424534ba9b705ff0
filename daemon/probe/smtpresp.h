/* smtpresp.h: SMTP, IMAP and POP3 responses a probe reads (see smtpresp.c). */
#ifndef TLSPIN_SMTPRESP_H
#define TLSPIN_SMTPRESP_H

#include <stddef.h>

#define SMTPRESP_LINE_MAX 1000	/* one line, without CRLF; RFC 5321 says
				 * 512, real servers exceed it */
#define SMTPRESP_LINES_MAX 100	/* lines in one multi-line reply */
#define SMTPRESP_TEXT_MAX 200	/* text kept from the first line */

/* EHLO keywords we care about (and STARTTLS/STLS for IMAP and POP3). */
#define SMTPRESP_STARTTLS 0x1
#define SMTPRESP_PIPELINING 0x2
#define SMTPRESP_8BITMIME 0x4
#define SMTPRESP_SIZE 0x8

enum smtpresp_status {
	SMTPRESP_MORE = 0,	/* nothing wrong yet: read more */
	SMTPRESP_DONE = 1,	/* one complete reply or line */
	SMTPRESP_BAD = -1	/* not this protocol, or over a limit */
};

/* One SMTP reply, single- or multi-line. */
struct smtpresp {
	int code;		/* 200..599 */
	unsigned lines;		/* lines in the reply */
	unsigned flags;		/* SMTPRESP_* keywords of lines 2.. */
	char text[SMTPRESP_TEXT_MAX + 1];	/* line 1 after "NNN-"/"NNN ",
						 * printable, truncated */
};

enum smtpresp_imap_kind {
	SMTPRESP_IMAP_UNTAGGED = 1,	/* "* ..." */
	SMTPRESP_IMAP_TAGGED		/* "TAG OK|NO|BAD ..." */
};

/* One IMAP or POP3 response line. */
struct smtpresp_line {
	int ok;			/* IMAP: OK or PREAUTH; POP3: "+OK" */
	int imap_kind;		/* IMAP only: enum smtpresp_imap_kind */
	char tag[32];		/* IMAP tagged: the tag */
	int end;		/* POP3 only: the line is "." (ends a listing) */
	unsigned flags;		/* SMTPRESP_STARTTLS: the line offers it */
	char text[SMTPRESP_TEXT_MAX + 1];	/* printable, truncated */
};

int smtpresp_parse(const char *buf, size_t len, struct smtpresp *r,
    size_t *used, char *err, size_t errsz);
int smtpresp_imap(const char *buf, size_t len, struct smtpresp_line *r,
    size_t *used, char *err, size_t errsz);
int smtpresp_pop3(const char *buf, size_t len, struct smtpresp_line *r,
    size_t *used, char *err, size_t errsz);

#endif
