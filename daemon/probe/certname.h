/* certname.h: certificate names as Postfix checks them (see certname.c). */
#ifndef TLSPIN_CERTNAME_H
#define TLSPIN_CERTNAME_H

#include <stddef.h>

int certname_match(const char *pattern, size_t plen, const char *host,
    size_t hlen);
size_t certname_common_suffix(const char *list, char *out, size_t outsz);
int certname_under(const char *host, const char *suffix);

#endif
