/*
 * NAME
 *	fuzz-correlate-load - fuzz target for the correlator's saved table
 * SYNOPSIS
 *	fuzz-correlate-load [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The learner keeps the correlator's table in the store with the log
 *	position and reads it back after a restart, so correlate_load()
 *	must take any bytes (a damaged or hand-edited store) and either
 *	restore a table the correlator can work with or refuse. The input is
 *	given to correlate_load(). What must hold:
 *
 *	- a refused blob leaves the table empty, whatever it held: saving
 *	  it gives the empty table's bytes;
 *	- an accepted blob is canonical: it is at most CORRELATE_SAVE_MAX
 *	  bytes, saving the loaded table gives back exactly the input
 *	  (clock and every pid's last use included), and saving into a
 *	  buffer one byte short fails;
 *	- the loaded table works: after a few log lines for pids it may
 *	  hold (TLS lines, deliveries, certificate failures, enough new pids
 *	  to evict), the observations are sane, and the table saves within
 *	  CORRELATE_SAVE_MAX and loads again to the same bytes.
 *
 *	The two tables are made once and reused: correlate_load() empties
 *	a table before it reads, so every input still starts from the same
 *	state, without the cost of mapping 800 KB twice per input.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "key.h"
#include "logparse.h"
#include "check.h"

#define T "fuzz-correlate-load"

static unsigned char fuzz_cl_empty[64];
static size_t fuzz_cl_empty_len;
static struct correlator *fuzz_cl_c, *fuzz_cl_d;

/* The two tables and the bytes of an empty one, once. */
static void
fuzz_cl_init(void)
{
	if (fuzz_cl_empty_len != 0)
		return;
	fuzz_cl_c = correlate_new();
	fuzz_cl_d = correlate_new();
	check_that(fuzz_cl_c != NULL && fuzz_cl_d != NULL, T,
	    "correlate_new gives a table");
	fuzz_cl_empty_len = correlate_save(fuzz_cl_c, fuzz_cl_empty,
	    sizeof(fuzz_cl_empty));
	check_that(fuzz_cl_empty_len > 0, T, "an empty table saves");
}

/* A message of pid through the parser and c; checks what comes out. */
static void
fuzz_cl_line(struct correlator *c, const char *msg, unsigned long pid,
    uint64_t t)
{
	struct logparse_event ev;
	struct correlate_out out;
	char line[512];
	int n = snprintf(line, sizeof(line), "Nov 23 11:10:36 sender "
	    "postfix/smtp[%lu]: %s", pid, msg);

	check_that(n > 0 && (size_t)n < sizeof(line), T, "test line fits");
	logparse_line(line, (size_t)n, &ev);
	if (!correlate_feed(c, &ev, t, &out))
		return;
	check_that(out.obs.kind >= LEARN_TLS &&
	    out.obs.kind <= LEARN_NOT_OFFERED &&
	    out.obs.level >= TLSLEVEL_NONE &&
	    out.obs.level <= TLSLEVEL_VERIFIED, T,
	    "an observation has a known kind and level");
	check_that(key_domain_valid(out.domain, strlen(out.domain)), T,
	    "an observation's domain is a valid key");
	check_that(memchr(out.obs.reason, '\0', sizeof(out.obs.reason)) !=
	    NULL && memchr(out.obs.host, '\0', sizeof(out.obs.host)) != NULL,
	    T, "an observation's text is terminated");
}

/* Lines for pid: a TLS line, a delivery, a certificate failure. */
static void
fuzz_cl_use(struct correlator *c, unsigned long pid, uint64_t t)
{
	fuzz_cl_line(c, "B2C3D: to=<u@example.com>, "
	    "relay=mx.example.com[192.0.2.25]:25, delay=1, delays=0/0/0/0, "
	    "dsn=2.0.0, status=sent (250 ok)", pid, t);
	fuzz_cl_line(c, "Trusted TLS connection established to "
	    "mx.example.com[192.0.2.25]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits)", pid, t);
	fuzz_cl_line(c, "A1B2C: to=<u@example.com>, "
	    "relay=mx.example.com[192.0.2.25]:25, delay=1, delays=0/0/0/0, "
	    "dsn=2.0.0, status=sent (250 ok)", pid, t + 1);
	fuzz_cl_line(c, "certificate verification failed for "
	    "mx.example.com[192.0.2.25]:25: untrusted issuer", pid, t + 2);
	fuzz_cl_line(c, "A1B2D: to=<u@example.com>, "
	    "relay=mx.example.com[192.0.2.25]:25, delay=1, delays=0/0/0/0, "
	    "dsn=4.7.5, status=deferred (Server certificate not verified)",
	    pid, t + 3);
}

/* Work with a loaded table, then save and load it once more. */
static void
fuzz_cl_work(struct correlator *c, const unsigned char *data, size_t size)
{
	static unsigned char a[CORRELATE_SAVE_MAX], b[CORRELATE_SAVE_MAX];
	struct correlator *d = fuzz_cl_d;
	unsigned long pid;
	size_t i, n, m;

	/* pids the blob names (its first pid sits at offset 13), some
	 * more, and enough new ones to fill the table and evict */
	pid = size >= 21 ? (unsigned long)data[13] | (unsigned long)data[14] <<
	    8 | (unsigned long)data[15] << 16 : 1;
	fuzz_cl_use(c, pid ? pid : 1, 1795000000);
	for (i = 1; i <= 4; i++)
		fuzz_cl_use(c, i, 1795000000 + i);
	if (size > 0 && data[size - 1] == 0xee)
		for (i = 0; i < CORRELATE_PIDS + 2; i++)
			fuzz_cl_use(c, 100000 + i, 1795001000);
	n = correlate_save(c, a, sizeof(a));
	check_that(n > 0, T, "a table in use saves within CORRELATE_SAVE_MAX");
	check_that(correlate_load(d, a, n), T,
	    "what correlate_save() writes, correlate_load() takes");
	m = correlate_save(d, b, sizeof(b));
	check_that(m == n && memcmp(a, b, n) == 0, T,
	    "a saved table loads and saves to the same bytes");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static unsigned char small[64];
	struct correlator *c;
	unsigned char *out;
	size_t n;

	fuzz_cl_init();
	c = fuzz_cl_c;
	fuzz_cl_use(c, 77, 1795000000);	/* something to be emptied */
	if (!correlate_load(c, data, size)) {
		n = correlate_save(c, small, sizeof(small));
		check_that(n == fuzz_cl_empty_len &&
		    memcmp(small, fuzz_cl_empty, n) == 0, T,
		    "a refused blob leaves the table empty");
		return 0;
	}
	check_that(size <= CORRELATE_SAVE_MAX, T,
	    "an accepted blob is at most CORRELATE_SAVE_MAX bytes");
	out = check_alloc(size);
	n = correlate_save(c, out, size);
	check_that(n == size && memcmp(out, data, size) == 0, T,
	    "saving a loaded table gives back exactly the input");
	check_that(size == 0 || correlate_save(c, out, size - 1) == 0, T,
	    "saving into a buffer one byte short fails");
	free(out);
	fuzz_cl_work(c, data, size);
	return 0;
}
