/*
 * NAME
 *	errbuf - bounded messages for people in a caller's buffer
 * SYNOPSIS
 *	#include "errbuf.h"
 *
 *	void errbuf_printf(buf, bufsz, fmt, ...)
 * DESCRIPTION
 *	Most functions report a failure as a sentence in a buffer their
 *	caller gives (char *err, size_t errsz), and reasons and notes for
 *	people are bounded the same way. errbuf_printf() formats into buf,
 *	cut to fit bufsz and always NUL-terminated; it does nothing when buf
 *	is NULL or bufsz is 0, so a caller that does not want the message
 *	passes (NULL, 0). The one home of what store.c, tail.c, jsource.c
 *	and learn.c each wrote for themselves.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "errbuf.h"

/* Format a message into buf[bufsz], cut to fit; nothing without room. */
void
errbuf_printf(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || bufsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
}
