/* alert.h: the admin's alert_command, run by the learner (see alert.c). */
#ifndef TLSPIN_ALERT_H
#define TLSPIN_ALERT_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "learn.h"
#include "record.h"

#define ALERT_STATE "alerts.state"	/* in the store directory */

enum alert_kind {
	ALERT_DEFERRING = 0,	/* a pin has held mail for alert_after */
	ALERT_CLEAR,		/* mail went out in clear to a pinned domain */
	ALERT_BEHIND,		/* the learner lags the log by alert_behind */
	ALERT_KINDS
};

struct alert;
struct config;

struct alert *alert_new(const struct config *cfg, sd_event *ev);
void alert_free(struct alert *a);
void alert_observe(struct alert *a, const char *domain,
    const struct learn_obs *o, const struct record *r);
void alert_behind(struct alert *a, uint64_t newest, uint64_t now);
void alert_flush(struct alert *a);
const char *alert_kind_name(enum alert_kind k);

#endif
