/* key.h: normalise socketmap lookup keys to store keys (see key.c). */
#ifndef TLSPIN_KEY_H
#define TLSPIN_KEY_H

#include <stddef.h>

/* A domain name is at most 253 characters; one more for a leading dot. */
#define KEY_MAX 254

enum key_status {
	KEY_OK = 0,		/* out holds a valid lowercase name */
	KEY_ADDRESS,		/* out holds an IP address: answer NOTFOUND */
	KEY_INVALID		/* not a domain name: answer NOTFOUND */
};

enum key_status key_normalize(const char *in, size_t len, char *out,
    size_t *outlen);
int key_domain_valid(const char *name, size_t len);

#endif
