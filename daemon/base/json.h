/* json.h: write JSON strings for --json output (see json.c). */
#ifndef TLSPIN_JSON_H
#define TLSPIN_JSON_H

#include <stdio.h>

void json_string(FILE *f, const char *s);

#endif
