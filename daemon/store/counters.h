/* counters.h: tlspind's counters file in the store (see counters.c). */
#ifndef TLSPIN_COUNTERS_H
#define TLSPIN_COUNTERS_H

#include <stddef.h>

#define COUNTERS_FILE "tlspind.counters"	/* in the store directory */
#define COUNTERS_MAX 1024	/* bytes of text, at most */
#define COUNTERS_EVERY 1	/* seconds between saves */
/* Counters saved longer ago than this: tlspind is not running on this
 * store (or is stuck). Several periods, so a busy host is not flagged. */
#define COUNTERS_STALE 15

enum counters_status {
	COUNTERS_OK = 0,
	COUNTERS_ABSENT,	/* tlspind has not run on this store */
	COUNTERS_ERROR
};

int counters_check(const char *buf, size_t len, const char **why);
int counters_save(const char *dir, const char *text, size_t len, char *err,
    size_t errsz);
enum counters_status counters_load(const char *dir, char *buf, size_t bufsz,
    size_t *len, char *err, size_t errsz);

#endif
