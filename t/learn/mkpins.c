/*
 * NAME
 *	mkpins - a store of many learned pins, fast, for the expiry's tests
 * SYNOPSIS
 *	mkpins STORE N TIME MAX_AGE
 * DESCRIPTION
 *	Writes N domains p0.pins.test ... into STORE, each pinned encrypt
 *	by learn_apply() from one TLS delivery at TIME (Unix seconds) with
 *	pin_min_deliveries 1, so it expires at TIME + MAX_AGE seconds: the
 *	records tlspin learn would make of 3N log lines, in a fraction of
 *	the time. 10000 records a transaction. Used by t/learn/sweep.t and
 *	t/bench/expiry.sh; not installed.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "logparse.h"
#include "store.h"

#define MKPINS_BATCH 10000

/* A decimal argument, or exit with a usage error. */
static unsigned long long
mkpins_number(const char *s, const char *what)
{
	char *end;
	unsigned long long n = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "mkpins: %s: expected a number, got %s\n",
		    what, s);
		exit(2);
	}
	return n;
}

/* One learned encrypt pin for domain, as one TLS delivery makes it. */
static void
mkpins_record(struct record *r, const char *domain, uint64_t t,
    const struct learn_params *p)
{
	struct record_event ev[LEARN_EVENTS_MAX];
	struct learn_obs o;
	int nev;

	memset(&o, 0, sizeof(o));
	o.kind = LEARN_TLS;
	o.time = t;
	o.level = TLSLEVEL_TRUSTED;
	snprintf(o.host, sizeof(o.host), "mx.%s", domain);
	(void)learn_apply(r, 0, domain, &o, p, ev, &nev);
}

int
main(int argc, char **argv)
{
	struct learn_params p;
	struct store *s;
	struct store_txn *t = NULL;
	struct record *r = malloc(sizeof(*r));
	char err[STORE_ERR_MAX], key[64];
	unsigned long long n, i, when;
	int ok;

	if (argc != 5 || r == NULL) {
		fprintf(stderr, "usage: mkpins STORE N TIME MAX_AGE\n");
		return 2;
	}
	n = mkpins_number(argv[2], "N");
	when = mkpins_number(argv[3], "TIME");
	memset(&p, 0, sizeof(p));
	p.min_deliveries = 1;
	p.max_age = mkpins_number(argv[4], "MAX_AGE");
	p.compat = REPLY_COMPAT_DEFAULT;
	if (!store_open(&s, argv[1], STORE_CREATE, err, sizeof(err))) {
		fprintf(stderr, "mkpins: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "p%llu.pins.test", i);
		mkpins_record(r, key, when, &p);
		if ((t == NULL && !store_begin(s, &t, err, sizeof(err))) ||
		    !store_txn_put(t, key, r, err, sizeof(err)))
			break;
		if (i + 1 == n || (i + 1) % MKPINS_BATCH == 0) {
			ok = store_commit(t, err, sizeof(err));
			t = NULL;
			if (!ok)
				break;
		}
	}
	if (i < n) {
		fprintf(stderr, "mkpins: %s\n", err);
		return 1;
	}
	store_close(s);
	free(r);
	return 0;
}
