/*
 * NAME
 *	netstring - parse and encode netstrings (socketmap framing)
 * SYNOPSIS
 *	#include "netstring.h"
 *
 *	enum netstring_status netstring_parse(buf, len, max, out, err)
 *	size_t netstring_encode(dst, dstsz, data, len)
 * DESCRIPTION
 *	Postfix's socketmap client frames each request and reply as a
 *	netstring, "<decimal length>:<bytes>,". netstring_parse() looks at
 *	the start of buf and reports one complete netstring, "need more
 *	input", or an error. It is pure and bounded: it reads at most len
 *	bytes, rejects a length over max as soon as the digits say so (before
 *	any body is buffered), and rejects leading zeros, a missing colon or
 *	comma, and lengths with more digits than could be valid.
 *
 *	netstring_encode() writes one netstring into dst and returns its
 *	length, or 0 if it does not fit.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "netstring.h"

/* Parse one netstring at the start of buf; see the file header. */
enum netstring_status
netstring_parse(const char *buf, size_t len, size_t max,
    struct netstring *out, const char **err)
{
	size_t i = 0, n = 0, d;

	*err = NULL;
	if (len == 0)
		return NETSTRING_MORE;
	if (buf[0] < '0' || buf[0] > '9') {
		*err = "netstring does not start with a digit";
		return NETSTRING_ERROR;
	}
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == 1 && buf[0] == '0') {
			*err = "netstring length has a leading zero";
			return NETSTRING_ERROR;
		}
		d = (size_t)(buf[i] - '0');
		if (d > max || n > (max - d) / 10) {
			*err = "netstring length over the limit";
			return NETSTRING_ERROR;
		}
		n = n * 10 + d;
		i++;
	}
	if (i == len)
		return NETSTRING_MORE;
	if (buf[i] != ':') {
		*err = "netstring length not followed by ':'";
		return NETSTRING_ERROR;
	}
	i++;
	if (len - i <= n)
		return NETSTRING_MORE;
	if (buf[i + n] != ',') {
		*err = "netstring not terminated by ','";
		return NETSTRING_ERROR;
	}
	out->data = buf + i;
	out->len = n;
	out->consumed = i + n + 1;
	return NETSTRING_OK;
}

/* Encode data as a netstring into dst; 0 when dstsz is too small. The
 * length is written by hand: this runs once per reply. */
size_t
netstring_encode(char *dst, size_t dstsz, const char *data, size_t len)
{
	char digits[24];
	size_t nd = 0, v = len, hdr;

	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	hdr = nd + 1;
	if (hdr > dstsz || dstsz - hdr < len + 1)
		return 0;
	for (v = 0; v < nd; v++)
		dst[v] = digits[nd - 1 - v];
	dst[nd] = ':';
	memcpy(dst + hdr, data, len);
	dst[hdr + len] = ',';
	return hdr + len + 1;
}
