/* learnd.h: tlspind's learner child process (see learnd.c). */
#ifndef TLSPIN_LEARND_H
#define TLSPIN_LEARND_H

#include <systemd/sd-event.h>

#include "config.h"
#include "server.h"

struct learnd;

struct learnd *learnd_new(sd_event *ev, struct server *srv,
    const struct config *cfg);
void learnd_start(struct learnd *ld);
void learnd_reload(struct learnd *ld, const struct config *cfg);
void learnd_stop(struct learnd *ld);
void learnd_free(struct learnd *ld);

#endif
