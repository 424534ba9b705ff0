/*
 * NAME
 *	log - diagnostics for tlspind and the tlspin CLI
 * SYNOPSIS
 *	#include "log.h"
 *
 *	void log_init(prog, target)
 *	int log_file_open(path, err, errsz)
 *	int log_file_reopen(err, errsz)
 *	void log_msg(prio, fmt, ...)
 * DESCRIPTION
 *	One place decides where messages go. On a terminal: "prog: text" on
 *	stderr. Under systemd (JOURNAL_STREAM set): "<prio>text" on stderr,
 *	so journald keeps the priority. Daemonized: syslog(3), mail facility,
 *	like Postfix. Debug messages are dropped unless log_set_debug(1).
 *
 *	With log_file_open() (the log_file setting) messages go to a file
 *	instead, whatever the target was: appended, one write(2) a line, so
 *	the lines of tlspind and of its children (which inherit the
 *	descriptor) never mix, each "TIME prog[pid]: level: text" with an
 *	ISO 8601 local time. log_file_reopen() opens the path again, for
 *	logrotate's SIGHUP; when it cannot, the old file goes on being
 *	written, and says so, so no message is lost.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "tlspin";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_debug_on;
static int log_fd = -1;			/* LOG_TARGET_FILE */
static char log_path[4096];

/* Choose the program name and where messages go. */
void
log_init(const char *prog, enum log_target target)
{
	log_prog = prog;
	if (log_fd >= 0)
		return;		/* the log file stays the target */
	log_target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog(prog, LOG_PID, LOG_MAIL);
}

/* Open path for appending; the descriptor, or -1 with err. */
static int
log_file_fd(const char *path, char *err, size_t errsz)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0640);

	if (fd < 0)
		snprintf(err, errsz, "cannot open log_file %s: %s%s", path,
		    strerror(errno), errno == EACCES ? " (it, or a new file "
		    "in its directory, must be writable by the user tlspind "
		    "runs as)" : "");
	return fd;
}

/* Send messages to the file at path from now on; 0 with err if it cannot
 * be opened (the target stays as it was). */
int
log_file_open(const char *path, char *err, size_t errsz)
{
	int fd;

	if (strlen(path) >= sizeof(log_path)) {
		snprintf(err, errsz, "log_file is too long");
		return 0;
	}
	if ((fd = log_file_fd(path, err, errsz)) < 0)
		return 0;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	memcpy(log_path, path, strlen(path) + 1);
	log_target = LOG_TARGET_FILE;
	return 1;
}

/* Open the log file's path again (it was rotated); 1 if not logging to a
 * file. On failure the old file stays open and err says why. */
int
log_file_reopen(char *err, size_t errsz)
{
	int fd;

	if (log_fd < 0)
		return 1;
	if ((fd = log_file_fd(log_path, err, errsz)) < 0)
		return 0;
	close(log_fd);
	log_fd = fd;
	return 1;
}

/* The path messages go to, or NULL when not to a file. */
const char *
log_file_path(void)
{
	return log_fd >= 0 ? log_path : NULL;
}

/* Turn debug messages on or off. */
void
log_set_debug(int on)
{
	log_debug_on = on;
}

/* "2026-12-01T10:00:00.123+01:00" for now, local time. */
static void
log_time(char *buf, size_t bufsz)
{
	struct timeval tv;
	struct tm tm;
	char date[32], zone[8];

	(void)gettimeofday(&tv, NULL);
	if (localtime_r(&tv.tv_sec, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		snprintf(buf, bufsz, "@%lld", (long long)tv.tv_sec);
		return;
	}
	snprintf(buf, bufsz, "%s.%03ld%.3s:%s", date,
	    (long)(tv.tv_usec / 1000), zone, zone + 3);
}

/* The word a line of the log file gives its priority, as Postfix does. */
static const char *
log_level_word(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "fatal: ";
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* One line to the log file, in one write(2). */
static void
log_file_write(int prio, const char *msg)
{
	char line[2300], when[80];
	int n;

	log_time(when, sizeof(when));
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s\n", when, log_prog,
	    (long)getpid(), log_level_word(prio), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
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
	case LOG_TARGET_FILE:
		log_file_write(prio, buf);
		break;
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
