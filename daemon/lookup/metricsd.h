/* metricsd.h: tlspind's Prometheus endpoint, metrics_listen (see metricsd.c). */
#ifndef TLSPIN_METRICSD_H
#define TLSPIN_METRICSD_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "metrics.h"
#include "server.h"

#define METRICSD_REQUEST_MAX 4096	/* bytes of request line and headers */
#define METRICSD_TIMEOUT 2		/* seconds to send the request */
#define METRICSD_CLIENTS 4		/* scrapers at once; more are refused */
#define METRICSD_STORE_EVERY 60		/* seconds the store figures are kept */

struct metricsd;

/* Fills the store's and the learner's figures of m (a store walk); 1 if
 * it could. Called at most once every METRICSD_STORE_EVERY seconds. */
typedef int (*metricsd_store_fn)(void *arg, struct metrics *m);

struct metricsd *metricsd_new(sd_event *ev, struct server *srv,
    metricsd_store_fn store_fn, void *arg);
int metricsd_listen(struct metricsd *md, const char *addr, char *err,
    size_t errsz);
void metricsd_free(struct metricsd *md);

#endif
