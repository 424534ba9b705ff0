/* learnd.h: tlspind's learner child process (see learnd.c). */
#ifndef TLSPIN_LEARND_H
#define TLSPIN_LEARND_H

#include <systemd/sd-event.h>

#include "config.h"

struct learnd;

/* A learner started (fd: the parent's end of its hint channel) or
 * stopped (fd = -1). fd stays the supervisor's. */
typedef void learnd_channel_fn(void *arg, int fd);

struct learnd *learnd_new(sd_event *ev, const struct config *cfg,
    int launcher, learnd_channel_fn *channel, void *arg);
void learnd_start(struct learnd *ld);
void learnd_reload(struct learnd *ld, const struct config *cfg);
void learnd_free(struct learnd *ld);

#endif
