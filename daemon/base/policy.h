/* policy.h: TLS levels, per-domain states and sources (see policy.c). */
#ifndef TLSPIN_POLICY_H
#define TLSPIN_POLICY_H

#include <stddef.h>

/* Postfix TLS security levels, in Postfix's own order of strength. */
enum policy_level {
	LEVEL_NONE = 0,
	LEVEL_MAY,
	LEVEL_ENCRYPT,
	LEVEL_FINGERPRINT,
	LEVEL_DANE,
	LEVEL_DANE_ONLY,
	LEVEL_VERIFY,
	LEVEL_SECURE,
	LEVEL_COUNT
};

/* Where a domain is in the state machine of DESIGN.md. */
enum policy_state {
	STATE_OBSERVING = 0,	/* learning; no reply */
	STATE_ENCRYPT,		/* learned pin: encrypt */
	STATE_SECURE,		/* learned pin: secure match=... */
	STATE_MANUAL,		/* set by an admin (pin or import) */
	STATE_EXPIRED,		/* a pin that aged out; no reply */
	STATE_DANE,		/* left to Postfix's DANE */
	STATE_COUNT
};

/* Who made the entry. */
enum policy_source {
	SOURCE_LEARNED = 0,
	SOURCE_MANUAL,
	SOURCE_IMPORT,
	SOURCE_PROBE,
	SOURCE_COUNT
};

const char *policy_level_name(enum policy_level level);
int policy_level_parse(const char *s, size_t len, enum policy_level *out);
const char *policy_state_name(enum policy_state state);
int policy_state_parse(const char *s, enum policy_state *out);
const char *policy_source_name(enum policy_source source);

#endif
