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
const char *learn_level_word(int level);
void learn_span(char *buf, size_t bufsz, uint64_t secs);

#endif
