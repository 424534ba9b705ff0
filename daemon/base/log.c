/*
 * NAME
 *	log - diagnostics for tlspind and the tlspin CLI
 * SYNOPSIS
 *	#include "log.h"
 *
 *	void log_init(prog, target)
 *	void log_msg(prio, fmt, ...)
 * DESCRIPTION
 *	One place decides where messages go. On a terminal: "prog: text" on
 *	stderr. Under systemd (JOURNAL_STREAM set): "<prio>text" on stderr,
 *	so journald keeps the priority. Daemonized: syslog(3), mail facility,
 *	like Postfix. Debug messages are dropped unless log_set_debug(1).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const char *log_prog = "tlspin";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_debug_on;

/* Choose the program name and where messages go. */
void
log_init(const char *prog, enum log_target target)
{
	log_prog = prog;
	log_target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog(prog, LOG_PID, LOG_MAIL);
}

/* Turn debug messages on or off. */
void
log_set_debug(int on)
{
	log_debug_on = on;
}

/* Write one message at priority prio. */
void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	char buf[2048];

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	switch (log_target) {
	case LOG_TARGET_SYSLOG:
		syslog(prio, "%s", buf);
		break;
	case LOG_TARGET_JOURNAL:
		fprintf(stderr, "<%d>%s\n", prio, buf);
		break;
	default:
		fprintf(stderr, "%s: %s\n", log_prog, buf);
		break;
	}
}
