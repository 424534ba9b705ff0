/* stelist.h: read the STARTTLS Everywhere policy list (see stelist.c). */
#ifndef TLSPIN_STELIST_H
#define TLSPIN_STELIST_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "record.h"

#define STELIST_FILE_MAX (16 * 1024 * 1024)	/* bytes of a list, at most */
#define STELIST_ERR_MAX 512

/* One domain's policy, its alias resolved. */
struct stelist_policy {
	char domain[KEY_MAX + 1];	/* normalised: lowercase */
	int enforce;			/* mode enforce, else testing */
	char alias[64];			/* its policy-alias, or "" */
	char match[RECORD_MATCH_MAX + 1];	/* mxs patterns, ':' between */
	size_t offset;			/* of its name in the file */
};

/* What the list says of itself; a time is 0 when absent or unreadable. */
struct stelist_info {
	uint64_t timestamp, expires;	/* Unix seconds */
	size_t policies;		/* domains in "policies" */
};

/* Told each usable policy; returns 0 to stop the reading. */
typedef int (*stelist_policy_fn)(void *arg, const struct stelist_policy *p);
/* Told each policy that is left out, and why (text for a person). */
typedef void (*stelist_skip_fn)(void *arg, const char *domain, size_t offset,
    const char *why);

struct stelist;

int stelist_parse(const char *buf, size_t len, struct stelist **out,
    struct stelist_info *info, char *err, size_t errsz);
int stelist_each(struct stelist *l, stelist_policy_fn fn,
    stelist_skip_fn skip, void *arg);
void stelist_free(struct stelist *l);
int stelist_time(const char *s, size_t len, uint64_t *out);

#endif
