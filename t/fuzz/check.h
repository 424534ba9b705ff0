/* check.h: property checks shared by the fuzz targets (see check.c). */
#ifndef TLSPIN_FUZZ_CHECK_H
#define TLSPIN_FUZZ_CHECK_H

#include <stddef.h>

/* Every fuzz target defines this; libFuzzer or driver.c calls it. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

void check_that(int cond, const char *target, const char *what);
void *check_alloc(size_t size);
int check_printable(const char *s, size_t n);

#endif
