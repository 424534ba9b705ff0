/* opts.h: the GNU option parser of the tlspin commands (see opts.c). */
#ifndef TLSPIN_OPTS_H
#define TLSPIN_OPTS_H

#include <getopt.h>
#include <stddef.h>

/* An error from opts_next() fits in this, NUL included. */
#define OPTS_ERR_MAX 512

int opts_next(const char *cmd, const char *usage, int argc, char **argv,
    const char *shortopts, const struct option *longopts, char *err,
    size_t errsz);

#endif
