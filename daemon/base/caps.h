/* caps.h: tlspind's one capability, CAP_SETGID, and giving it up (see caps.c). */
#ifndef TLSPIN_CAPS_H
#define TLSPIN_CAPS_H

#include <stddef.h>

void caps_park(void);
void caps_drop(void);
int caps_clear_groups(char *err, size_t errsz);

#endif
