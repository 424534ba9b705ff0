/* learn.h: the per-domain policy state machine (see learn.c). */
#ifndef TLSPIN_LEARN_H
#define TLSPIN_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* What one delivery attempt taught us about a next-hop domain. */
enum learn_kind {
	LEARN_TLS = 1,		/* status=sent over TLS */
	LEARN_PLAIN,		/* status=sent in clear */
	LEARN_TLS_FAIL,		/* deferred/bounced for a TLS reason */
	LEARN_NOT_OFFERED	/* deferred: "TLS is required, but was not offered" */
};

struct learn_obs {
	enum learn_kind kind;
	uint64_t time;		/* log time, Unix seconds */
	int level;		/* enum logparse_tls_level of the connection */
	char host[256];		/* the MX host that answered */
	char reason[RECORD_FAILURE_MAX + 1];	/* failures: why */
};

/* The settings of tlspin.conf that drive the state machine. */
struct learn_params {
	unsigned min_deliveries;	/* pin_min_deliveries */
	uint64_t min_span;		/* pin_min_span, seconds */
	uint64_t max_age;		/* pin_max_age, seconds */
	int secure_pins;		/* secure_pins */
	unsigned compat;		/* postfix_compat, for the reply */
	int private_mx;			/* private_mx: LAN port 25 is an MX */
	int probe;			/* probe: prove names for secure */
	uint64_t probe_interval;	/* seconds between probes of a domain */
	int mx_change;			/* enum config_mx_change */
	int dane_only;			/* dane_reply = dane-only */
	uint64_t observe_max_age;	/* evidence kept this long; 0: ever */
	uint64_t max_observing;		/* evidence-only records; 0: no cap */
};

/* What a probe of the domain's MX hosts found (probe_judge's verdict). */
enum learn_probe_verdict {
	LEARN_PROBE_NONE = 0,	/* some server without TLS, or no answer */
	LEARN_PROBE_ENCRYPT,	/* TLS, but not every name proved */
	LEARN_PROBE_SECURE,	/* every MX proved a certificate for its name */
	LEARN_PROBE_DANE	/* TLSA records: Postfix's DANE decides */
};

struct learn_probe {
	uint64_t time;		/* wall clock, when it ended */
	int verdict;		/* enum learn_probe_verdict */
	int dnssec;		/* the MX answer was DNSSEC-validated */
	char mx[RECORD_MATCH_MAX + 1];		/* every MX name, sorted */
	char verified[RECORD_MATCH_MAX + 1];	/* those proved, sorted */
	char note[RECORD_PROBE_MAX + 1];	/* the findings, for people */
};

/* Why a domain is worth a probe now (learn_wants_probe). */
enum learn_probe_why {
	LEARN_PROBE_NO = 0,
	LEARN_PROBE_UPGRADE,	/* an encrypt pin that may become secure */
	LEARN_PROBE_NEW_MX	/* a secure pin deferred at an unknown MX */
};

enum learn_result {
	LEARN_UNCHANGED = 0,	/* nothing to write (e.g. a manual "none") */
	LEARN_CHANGED = 1	/* the record must be written */
};

#define LEARN_EVENTS_MAX 2	/* transitions one observation can cause */

int learn_apply(struct record *r, int exists, const char *domain,
    const struct learn_obs *o, const struct learn_params *p,
    struct record_event ev[LEARN_EVENTS_MAX], int *nev);
int learn_expire(struct record *r, const char *domain, uint64_t now,
    const struct learn_params *p, struct record_event *ev);
void learn_probe(struct record *r, const char *domain,
    const struct learn_probe *pr, const struct learn_params *p,
    struct record_event *ev, int *nev);
int learn_wants_probe(const struct record *r, const struct learn_obs *o,
    uint64_t now, const struct learn_params *p);
const char *learn_level_word(int level);
void learn_span(char *buf, size_t bufsz, uint64_t secs);

#endif
