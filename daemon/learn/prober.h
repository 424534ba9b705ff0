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

#define PROBER_MSG_MAX (1 + 8 + 2 + 4 * 2 + KEY_MAX + \
	2 * RECORD_MATCH_MAX + RECORD_PROBE_MAX)

size_t prober_result_encode(const char *domain, const struct learn_probe *pr,
    unsigned char *buf, size_t bufsz);
int prober_result_decode(const unsigned char *buf, size_t len,
    char domain[KEY_MAX + 1], struct learn_probe *pr, const char **err);
void prober_summarize(const struct probe_result *res, uint64_t now,
    struct learn_probe *pr);
int prober_spawn(const struct config *cfg, unsigned n, pid_t *pids,
    int fd[2]);
pid_t prober_respawn(const struct config *cfg, const int fd[2]);

#endif
