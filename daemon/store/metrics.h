/* metrics.h: the Prometheus text exposition of tlspin's figures (see metrics.c). */
#ifndef TLSPIN_METRICS_H
#define TLSPIN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define METRICS_MAX 8192	/* bytes of exposition, at most */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the exposition is made of; fill it, then metrics_render(). */
struct metrics {
	uint64_t now;			/* Unix seconds */
	/* the store, when have_store (else its families are left out) */
	int have_store;
	size_t states[STATE_COUNT];	/* domains by state */
	size_t answering;		/* with a policy Postfix gets now */
	size_t corrupt;			/* records that did not decode */
	size_t events;			/* audit events kept */
	size_t map_size, map_used;	/* bytes */
	/* the lookup server's counters (counters.c), when have_counters */
	int have_counters;
	uint64_t saved;			/* Unix seconds */
	int observe;			/* mode = observe */
	uint64_t clients, connections, refused, timeouts;
	uint64_t ok, notfound, temp, perm, observed;
	/* the learner's counters, when have_learner */
	int have_learner;
	uint64_t lines, deliveries, transitions, last_line;
};

void metrics_counters(struct metrics *m, const char *text);
size_t metrics_render(const struct metrics *m, char *buf, size_t bufsz);

#endif
