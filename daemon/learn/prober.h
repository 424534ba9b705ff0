/* prober.h: tlspind's probe processes and their messages (see prober.c). */
#ifndef TLSPIN_PROBER_H
#define TLSPIN_PROBER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "key.h"
#include "learn.h"
#include "probe.h"

#define PROBER_POOL_MAX 16	/* probers one learner may ask for */
#define PROBER_MSG_MAX (1 + 8 + 2 + 4 * 2 + KEY_MAX + \
	2 * RECORD_MATCH_MAX + RECORD_PROBE_MAX)

size_t prober_result_encode(const char *domain, const struct learn_probe *pr,
    unsigned char *buf, size_t bufsz);
int prober_result_decode(const unsigned char *buf, size_t len,
    char domain[KEY_MAX + 1], struct learn_probe *pr, const char **err);
void prober_summarize(const struct probe_result *res, uint64_t now,
    struct learn_probe *pr);
int prober_launcher_start(const struct config *cfg);
int prober_spawn(int launcher, const struct config *cfg, unsigned n,
    int *fd);
int prober_is_lost(const unsigned char *buf, size_t len);

#endif
