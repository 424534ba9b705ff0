/* netstring.h: netstring framing for the socketmap protocol (see netstring.c). */
#ifndef TLSPIN_NETSTRING_H
#define TLSPIN_NETSTRING_H

#include <stddef.h>

/* Largest request payload tlspind accepts: a map name, a space and a key
 * (domain names are at most 253 bytes; "[host]:port" adds a few). */
#define NETSTRING_REQUEST_MAX 1024

enum netstring_status {
	NETSTRING_OK = 0,	/* one complete netstring parsed */
	NETSTRING_MORE,		/* input ends before the netstring does */
	NETSTRING_ERROR		/* malformed or over the limit: close the peer */
};

struct netstring {
	const char *data;	/* payload, points into the input */
	size_t len;		/* payload length */
	size_t consumed;	/* bytes of input the whole netstring used */
};

enum netstring_status netstring_parse(const char *buf, size_t len, size_t max,
    struct netstring *out, const char **err);
size_t netstring_encode(char *dst, size_t dstsz, const char *data, size_t len);

#endif
