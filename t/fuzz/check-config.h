/* check-config.h: invariants of a struct config (see check-config.c). */
#ifndef TLSPIN_FUZZ_CHECK_CONFIG_H
#define TLSPIN_FUZZ_CHECK_CONFIG_H

#include "config.h"

void check_config(const struct config *c, int good, const char *target);

#endif
