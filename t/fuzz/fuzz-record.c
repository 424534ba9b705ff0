/*
 * NAME
 *	fuzz-record - fuzz target for store records read back from LMDB
 * SYNOPSIS
 *	fuzz-record [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	Records on disk outlive the program that wrote them and may be
 *	damaged, so record_decode(), record_reply_view() and
 *	record_event_decode() must take any bytes and say "corrupt" rather
 *	than guess. The input is given to all three, as a domain record and
 *	as an audit event (both start with version byte 1). What must hold:
 *
 *	- a decoder that fails gives a reason;
 *	- the encoding is canonical: when decode succeeds, encoding what it
 *	  decoded gives back exactly the input bytes, and encoding into a
 *	  buffer one byte shorter fails without writing past it;
 *	- the lookup path agrees with the full decode: when record_decode()
 *	  succeeds, record_reply_view() succeeds too with the same expiry
 *	  and reply bytes, and any view it gives lies inside the input;
 *	- text fields of a decoded record are printable and NUL-free.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "check.h"

#define T "fuzz-record"

/* An older record is written back in the current layout: same fields. */
static void
fuzz_record_upgrade(const struct record *r)
{
	struct record *again = check_alloc(sizeof(*again));
	unsigned char *enc = check_alloc(RECORD_ENCODED_MAX);
	const char *err = NULL;
	size_t n = record_encode(r, enc, RECORD_ENCODED_MAX);

	check_that(n > 0 && enc[0] == RECORD_VERSION, T,
	    "an older record is written back in the current version");
	check_that(record_decode(enc, n, again, &err) &&
	    memcmp(r, again, sizeof(*r)) == 0, T,
	    "an older record keeps every field when written back");
	free(enc);
	free(again);
}

/* Check record_decode(), record_reply_view() and re-encoding. */
static void
fuzz_record_domain(const unsigned char *data, size_t size)
{
	struct record *r = check_alloc(sizeof(*r));
	const char *err = NULL, *verr = NULL, *reply = NULL;
	unsigned char *enc;
	uint64_t expires = 0;
	size_t reply_len = 0, n;
	int ok, vok;

	vok = record_reply_view(data, size, &expires, &reply, &reply_len,
	    &verr);
	if (vok)
		check_that(reply >= (const char *)data && reply_len <=
		    REPLY_MAX && reply + reply_len <= (const char *)data +
		    size, T, "the reply view lies inside the record");
	else
		check_that(verr != NULL, T, "a failed view gives a reason");

	ok = record_decode(data, size, r, &err);
	if (!ok) {
		check_that(err != NULL, T, "a failed decode gives a reason");
		free(r);
		return;
	}
	check_that(size <= RECORD_ENCODED_MAX, T,
	    "a decoded record is at most RECORD_ENCODED_MAX bytes");
	check_that(vok, T, "the reply view accepts what decode accepts");
	check_that(expires == r->expires, T,
	    "the reply view and decode agree on the expiry");
	check_that(reply_len == r->reply_len &&
	    memcmp(reply, r->reply, reply_len) == 0, T,
	    "the reply view and decode agree on the reply");
	check_that(r->reply[r->reply_len] == '\0' &&
	    r->match[r->match_len] == '\0' && r->note[r->note_len] == '\0', T,
	    "decoded text fields are NUL-terminated");
	check_that(check_printable(r->reply, r->reply_len) &&
	    check_printable(r->match, r->match_len) &&
	    check_printable(r->note, r->note_len), T,
	    "decoded text fields are printable");

	if (data[0] != RECORD_VERSION) {
		fuzz_record_upgrade(r);
		free(r);
		return;
	}
	enc = check_alloc(size);
	n = record_encode(r, enc, size);
	check_that(n == size && memcmp(enc, data, size) == 0, T,
	    "encoding a decoded record gives back the same bytes");
	check_that(record_encode(r, enc, size - 1) == 0, T,
	    "encoding into a buffer one byte short fails");
	free(enc);
	free(r);
}

/* Check record_event_decode() and re-encoding. */
static void
fuzz_record_event(const unsigned char *data, size_t size)
{
	struct record_event *e = check_alloc(sizeof(*e));
	const char *err = NULL;
	unsigned char *enc;
	size_t n;

	if (!record_event_decode(data, size, e, &err)) {
		check_that(err != NULL, T,
		    "a failed event decode gives a reason");
		free(e);
		return;
	}
	check_that(size <= EVENT_ENCODED_MAX, T,
	    "a decoded event is at most EVENT_ENCODED_MAX bytes");
	check_that(e->domain[e->domain_len] == '\0' &&
	    e->reason[e->reason_len] == '\0', T,
	    "decoded event text is NUL-terminated");
	check_that(check_printable(e->domain, e->domain_len) &&
	    check_printable(e->reason, e->reason_len), T,
	    "decoded event text is printable");
	enc = check_alloc(size);
	n = record_event_encode(e, enc, size);
	check_that(n == size && memcmp(enc, data, size) == 0, T,
	    "encoding a decoded event gives back the same bytes");
	check_that(record_event_encode(e, enc, size - 1) == 0, T,
	    "encoding an event into a buffer one byte short fails");
	free(enc);
	free(e);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	fuzz_record_domain(data, size);
	fuzz_record_event(data, size);
	return 0;
}
