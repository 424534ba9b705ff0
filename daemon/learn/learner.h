/* learner.h: log lines in, pins out, in LMDB transactions (see learner.c). */
#ifndef TLSPIN_LEARNER_H
#define TLSPIN_LEARNER_H

#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "learn.h"
#include "store.h"

#define LEARNER_POS_MAX 600	/* a source's own position bytes */
#define LEARNER_STATS_KEY "learn.stats"
#define LEARNER_WHERE_KEY "learn.where"	/* the last position, for people */
#define LEARNER_EVIDENCE_KEY "learn.evidence"	/* evidence-only records */

/* Counters kept in the store (meta "learn.stats"), over all runs. */
struct learner_stats {
	uint64_t lines;		/* read */
	uint64_t smtp;		/* from the Postfix SMTP client */
	uint64_t used;		/* TLS, delivery and certificate lines */
	uint64_t ignored;	/* smtp lines we do not learn from */
	uint64_t unparsed;	/* no syslog prefix we know: not Postfix's */
	uint64_t forged;	/* journal entries not written by smtp(8) */
	uint64_t observations;	/* deliveries counted for a domain */
	uint64_t local;		/* hops to a content filter or LAN relay */
	uint64_t transitions;	/* events written */
	uint64_t last_time;	/* log time of the newest line used */
	uint64_t unrecorded;	/* new domains not recorded: max_observing */
	uint64_t aged;		/* evidence-only records aged out */
	uint64_t future;	/* lines dated after the clock, taken as now */
};
#define LEARNER_STATS_N 13
#define LEARNER_FUTURE_SLACK 300	/* seconds ahead before we count it */

/* A domain worth probing now (learn_wants_probe), for tlspind's learner. */
typedef void (*learner_probe_fn)(void *arg, const char *domain, int why);

/* Every observation, with the domain's record after it (alert.c). */
typedef void (*learner_obs_fn)(void *arg, const char *domain,
    const struct learn_obs *o, const struct record *r);

/* A transition, as tlspin learn's summary reports it. */
typedef void (*learner_event_fn)(void *arg, const struct record_event *e);

struct learner;
struct config;

void learner_params(const struct config *c, struct learn_params *p);

struct learner *learner_new(struct store *s, const struct learn_params *p,
    size_t cache);
void learner_free(struct learner *l);
void learner_set_hint(struct learner *l, correlate_hint_fn fn, void *arg);
void learner_set_event_fn(struct learner *l, learner_event_fn fn, void *arg);
void learner_set_obs_fn(struct learner *l, learner_obs_fn fn, void *arg);
void learner_set_now(struct learner *l, int64_t now);
void learner_set_probe_fn(struct learner *l, learner_probe_fn fn, void *arg);
int learner_probe(struct learner *l, const char *domain,
    const struct learn_probe *pr, char *err, size_t errsz);
void learner_set_shared(struct learner *l, const char *key);

int learner_resume(struct learner *l, const char *pos_key, void *pos,
    size_t possz, size_t *poslen, char *err, size_t errsz);
int learner_line(struct learner *l, const char *line, size_t len,
    char *err, size_t errsz);
int learner_entry(struct learner *l, const char *tag, size_t taglen,
    unsigned long pid, const char *msg, size_t msglen, uint64_t time,
    int trusted, char *err, size_t errsz);
int learner_commit(struct learner *l, const char *pos_key, const void *pos,
    size_t poslen, const char *where, char *err, size_t errsz);
int learner_expire(struct learner *l, uint64_t now, char *err, size_t errsz);
uint64_t learner_evidence(const struct learner *l);
void learner_stats(const struct learner *l, struct learner_stats *st);
uint64_t learner_future_take(struct learner *l, uint64_t *newest);
int learner_stats_load(struct store *s, struct learner_stats *st,
    char *err, size_t errsz);
int learner_position_load(struct store *s, const char *pos_key, void *pos,
    size_t possz, size_t *poslen, char *err, size_t errsz);

#endif
