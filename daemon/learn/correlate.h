/* correlate.h: join one smtp pid's log lines into deliveries (see correlate.c). */
#ifndef TLSPIN_CORRELATE_H
#define TLSPIN_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "learn.h"
#include "logparse.h"

#define CORRELATE_PIDS 1024	/* smtp processes followed at once */
#define CORRELATE_CONN_MAX_AGE 3600	/* a TLS line older than this is stale */
#define CORRELATE_CONN_IDLE 60	/* a connection quiet this long was closed */
#define CORRELATE_RCPT_WINDOW 2	/* recipient lines of one delivery */
/* correlate_save() at its longest: per pid its slot, numbers and six
 * strings (host, address, 2 queue ids, address, certificate reason) */
#define CORRELATE_SAVE_PID_MAX (2 + 5 * 8 + 1 + 2 * 2 + 6 * 2 + \
	255 + 63 + 31 + 31 + 63 + RECORD_FAILURE_MAX)
#define CORRELATE_SAVE_MAX (1 + 8 + 2 + \
	CORRELATE_PIDS * CORRELATE_SAVE_PID_MAX)

/* One delivery attempt, attributed to a next-hop domain. */
struct correlate_out {
	char domain[KEY_MAX + 1];
	char queue_id[32];
	struct learn_obs obs;
};

/*
 * The next hop an smtp pid asked tlspind about around time t (the query
 * key, normalised): rcpt_domain or relay_host when the pid asked for
 * one of them. 1 with out set, 0 when tlspind has no such record.
 */
typedef int (*correlate_hint_fn)(void *arg, unsigned long pid, uint64_t t,
    const char *rcpt_domain, const char *relay_host, char *out,
    size_t outsz);

struct correlate_stats {
	uint64_t deliveries;	/* observations handed out */
	uint64_t local;		/* hops to a content filter or private relay */
	uint64_t duplicate;	/* more recipients of one message, same hop */
	uint64_t unattributed;	/* no next hop: to=<> or a bad domain */
	uint64_t other;		/* deliveries that say nothing about TLS */
};

struct correlator;

struct correlator *correlate_new(void);
void correlate_free(struct correlator *c);
void correlate_set_hint(struct correlator *c, correlate_hint_fn fn,
    void *arg);
int correlate_feed(struct correlator *c, const struct logparse_event *ev,
    uint64_t t, struct correlate_out *out);
void correlate_set_private_mx(struct correlator *c, int on);
const struct correlate_stats *correlate_stats(const struct correlator *c);
size_t correlate_save(const struct correlator *c, unsigned char *buf,
    size_t bufsz);
int correlate_load(struct correlator *c, const unsigned char *buf,
    size_t len);
int correlate_addr_local(const char *addr);

#endif
