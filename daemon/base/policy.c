/*
 * NAME
 *	policy - names of TLS levels, domain states and entry sources
 * SYNOPSIS
 *	#include "policy.h"
 * DESCRIPTION
 *	The enums are stored as bytes in records (record.c), so their values
 *	never change; these functions map them to the words Postfix and the
 *	admin use, and back. Parsers return 0 for anything unknown.
 */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "policy.h"

static const char *const policy_levels[LEVEL_COUNT] = {
	"none", "may", "encrypt", "fingerprint", "dane", "dane-only",
	"verify", "secure",
};

static const char *const policy_states[STATE_COUNT] = {
	"observing", "encrypt", "secure", "manual", "expired", "dane",
};

static const char *const policy_sources[SOURCE_COUNT] = {
	"learned", "manual", "import", "probe",
};

/* Name of a level as Postfix spells it. */
const char *
policy_level_name(enum policy_level level)
{
	return (unsigned)level < LEVEL_COUNT ? policy_levels[level] : "invalid";
}

/* Parse a level name (case-insensitive, as Postfix does); 1 on success. */
int
policy_level_parse(const char *s, size_t len, enum policy_level *out)
{
	int i;

	for (i = 0; i < LEVEL_COUNT; i++) {
		if (strlen(policy_levels[i]) == len &&
		    strncasecmp(policy_levels[i], s, len) == 0) {
			*out = (enum policy_level)i;
			return 1;
		}
	}
	return 0;
}

/* Name of a state, as tlspin list shows it. */
const char *
policy_state_name(enum policy_state state)
{
	return (unsigned)state < STATE_COUNT ? policy_states[state] : "invalid";
}

/* Parse a state name; 1 on success. */
int
policy_state_parse(const char *s, enum policy_state *out)
{
	int i;

	for (i = 0; i < STATE_COUNT; i++) {
		if (strcmp(policy_states[i], s) == 0) {
			*out = (enum policy_state)i;
			return 1;
		}
	}
	return 0;
}

/* Name of a source. */
const char *
policy_source_name(enum policy_source source)
{
	return (unsigned)source < SOURCE_COUNT ? policy_sources[source] :
	    "invalid";
}
