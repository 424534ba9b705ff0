/*
 * NAME
 *	fuzz-logparse - fuzz target for the Postfix log-line parser
 * SYNOPSIS
 *	fuzz-logparse [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	Log lines come from whoever can write to syslog, so the parser must
 *	hold against any bytes. This target gives the input, in an exactly
 *	sized buffer, to logparse_line(), and split at its first newline
 *	into a tag and a message to logparse_message(), as the journal
 *	gives them. For every result:
 *
 *	- every string field is NUL-terminated within its array;
 *	- the kind agrees with the fields: TLS has a level, host, addr,
 *	  protocol and cipher; DELIVERY a queue id, relay, dsn and status;
 *	  CERT_FAIL a host and addr; LOOKUP_ERROR a dest and host; an
 *	  OTHER event has every field from level on zero;
 *	- only an smtp or lmtp client's tag gives anything but OTHER, and
 *	  rcpt_domain has no upper-case letter;
 *	- parsing again gives the same event (no hidden state);
 *	- a message that logparse_message() accepts gives the same event
 *	  when written as a classic syslog line and read by logparse_line().
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logparse.h"
#include "check.h"

#define T "fuzz-logparse"

/* True when the array of size n holds a NUL. */
static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* Check the properties that hold for every event. */
static void
check_event(enum logparse_kind k, const struct logparse_event *ev)
{
	size_t off = offsetof(struct logparse_event, level), i;
	const unsigned char *b = (const unsigned char *)ev;
	size_t slen;

	check_that(k == ev->kind, T, "the return value is ev->kind");
	check_that(terminated(ev->service, sizeof(ev->service)) &&
	    terminated(ev->host, sizeof(ev->host)) &&
	    terminated(ev->addr, sizeof(ev->addr)) &&
	    terminated(ev->protocol, sizeof(ev->protocol)) &&
	    terminated(ev->cipher, sizeof(ev->cipher)) &&
	    terminated(ev->dest, sizeof(ev->dest)) &&
	    terminated(ev->queue_id, sizeof(ev->queue_id)) &&
	    terminated(ev->rcpt_domain, sizeof(ev->rcpt_domain)) &&
	    terminated(ev->dsn, sizeof(ev->dsn)) &&
	    terminated(ev->reason, sizeof(ev->reason)), T,
	    "every string field is NUL-terminated within its array");
	slen = strlen(ev->service);
	switch (k) {
	case LOGPARSE_OTHER:
		for (i = off; i < sizeof(*ev); i++)
			check_that(b[i] == 0, T,
			    "an OTHER event is zero from level on");
		return;
	case LOGPARSE_TLS:
		check_that(ev->level != TLSLEVEL_NONE && ev->host[0] &&
		    ev->addr[0] && ev->protocol[0] && ev->cipher[0], T,
		    "TLS has level, host, addr, protocol and cipher");
		break;
	case LOGPARSE_DELIVERY:
		check_that(ev->queue_id[0] && ev->relay != RELAY_ABSENT &&
		    ev->dsn[0] && ev->status != STATUS_NONE, T,
		    "DELIVERY has queue id, relay, dsn and status");
		check_that(ev->relay != RELAY_ADDR ||
		    (ev->host[0] && ev->addr[0]), T,
		    "relay=HOST[ADDR] fills host and addr");
		for (i = 0; ev->rcpt_domain[i]; i++)
			check_that(ev->rcpt_domain[i] < 'A' ||
			    ev->rcpt_domain[i] > 'Z', T,
			    "rcpt_domain is lower case");
		break;
	case LOGPARSE_CERT_FAIL:
		check_that(ev->host[0] && ev->addr[0], T,
		    "CERT_FAIL has host and addr");
		break;
	case LOGPARSE_LOOKUP_ERROR:
		check_that(ev->dest[0] && ev->host[0], T,
		    "LOOKUP_ERROR has dest and host");
		break;
	default:
		check_that(0, T, "the kind is one of the enum");
	}
	check_that(logparse_is_smtp(ev->service, slen) ||
	    logparse_is_lmtp(ev->service, slen), T,
	    "only smtp and lmtp lines are events");
	check_that(ev->port <= 65535, T, "a port is at most 65535");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *in = (const char *)data, *nl, *msg;
	struct logparse_event *ev, *again;
	enum logparse_kind k;
	size_t taglen, msglen, linelen;
	char *line;

	ev = check_alloc(sizeof(*ev));
	again = check_alloc(sizeof(*again));

	k = logparse_line(in, size, ev);
	check_event(k, ev);
	check_that(logparse_line(in, size, again) == k &&
	    memcmp(ev, again, sizeof(*ev)) == 0, T,
	    "parsing a line twice gives the same event");

	nl = memchr(in, '\n', size);
	taglen = nl ? (size_t)(nl - in) : size;
	msg = nl ? nl + 1 : in + size;
	msglen = nl ? size - taglen - 1 : 0;
	k = logparse_message(in, taglen, 1234, msg, msglen, ev);
	check_event(k, ev);
	check_that(ev->pid == 1234, T, "the journal pid is kept");

	/* the same message as a file line must read the same */
	if (k != LOGPARSE_OTHER && (msglen == 0 ||
	    (msg[msglen - 1] != '\n' && msg[msglen - 1] != '\r'))) {
		line = check_alloc(taglen + msglen + 64);
		linelen = (size_t)snprintf(line, taglen + msglen + 64,
		    "Jan  1 00:00:00 host %.*s[1234]: ", (int)taglen, in);
		memcpy(line + linelen, msg, msglen);
		linelen += msglen;
		check_that(logparse_line(line, linelen, again) == k, T,
		    "a message reads the same as a syslog line");
		again->month = again->day = 0;
		check_that(memcmp(ev, again, sizeof(*ev)) == 0, T,
		    "a syslog line gives the journal's event");
		free(line);
	}
	free(again);
	free(ev);
	return 0;
}
