/* tap.h: Test Anything Protocol output for the C unit tests (see tap.c). */
#ifndef TLSPIN_TAP_H
#define TLSPIN_TAP_H

#include <stddef.h>

void tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tap_is_int(long long got, long long want, const char *name);
void tap_is_str(const char *got, const char *want, const char *name);
void tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *name);
int tap_done(void);

#endif
