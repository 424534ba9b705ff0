/* errbuf.h: bounded messages for people in a caller's buffer (see errbuf.c). */
#ifndef TLSPIN_ERRBUF_H
#define TLSPIN_ERRBUF_H

#include <stddef.h>

void errbuf_printf(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
