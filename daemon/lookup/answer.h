/* answer.h: one socketmap request in, one reply out (see answer.c). */
#ifndef TLSPIN_ANSWER_H
#define TLSPIN_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "reply.h"
#include "store.h"

#define ANSWER_REPLY_MAX (REPLY_MAX + 32)	/* one encoded reply */

struct answer;

/* What the answers were, since start. */
struct answer_stats {
	uint64_t requests;
	uint64_t ok, notfound, temp, perm;
	uint64_t observed;	/* observe mode: OK we answered as NOTFOUND */
};

struct answer *answer_new(const struct config *cfg);
void answer_configure(struct answer *a, const struct config *cfg);
int answer_open_store(struct answer *a, char *err, size_t errsz);
struct store *answer_store(const struct answer *a);
size_t answer_request(struct answer *a, const char *buf, size_t len,
    char *out, size_t outsz, size_t *used, int *close_after);
const char *answer_key(const struct answer *a, size_t *keylen);
const struct answer_stats *answer_stats(const struct answer *a);
size_t answer_reply(char *out, size_t outsz, const char *word,
    const char *text, size_t len);
void answer_free(struct answer *a);

#endif
