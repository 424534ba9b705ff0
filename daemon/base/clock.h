/* clock.h: microsecond clocks (no system call), a once-every limit, ISO times. */
#ifndef TLSPIN_CLOCK_H
#define TLSPIN_CLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CLOCK_USEC 1000000ULL	/* microseconds in a second */

/*
 * The clock id (CLOCK_REALTIME, CLOCK_MONOTONIC) in microseconds, read
 * through the vDSO: cheap enough to call for every lookup.
 */
static inline uint64_t
clock_usec(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * CLOCK_USEC +
	    (uint64_t)ts.tv_nsec / 1000;
}

/*
 * 1 at most once every `every` microseconds per *last (0: never yet),
 * for warnings a flood must not repeat into the log.
 */
static inline int
clock_every(uint64_t *last, uint64_t every)
{
	uint64_t now = clock_usec(CLOCK_MONOTONIC);

	if (*last != 0 && now - *last < every)
		return 0;
	*last = now;
	return 1;
}

/* Unix time t as 2025-01-31T12:00:00Z into buf ("@t" if it has no date). */
static inline void
clock_iso(char *buf, size_t bufsz, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "@%llu", (unsigned long long)t);
}

#endif
