/* reply.h: build and validate the policy values sent to Postfix (see reply.c). */
#ifndef TLSPIN_REPLY_H
#define TLSPIN_REPLY_H

#include <stddef.h>

/* Longest policy value tlspin stores or sends (Postfix accepts 100000). */
#define REPLY_MAX 2000

/* Postfix versions as major * 100 + minor: 3.7 is 307. */
#define REPLY_COMPAT_DEFAULT 307

int reply_compat_parse(const char *s, unsigned *compat);
size_t reply_build(char *out, size_t outsz, const char *policy, size_t len,
    unsigned compat, const char **err);
int reply_validate(const char *value, size_t len, unsigned compat,
    const char **err);

#endif
