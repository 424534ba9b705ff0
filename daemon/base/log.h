/* log.h: diagnostics for tlspind and tlspin (see log.c). */
#ifndef TLSPIN_LOG_H
#define TLSPIN_LOG_H

#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR = 0,	/* "prog: message" for terminals */
	LOG_TARGET_JOURNAL,	/* "<N>message" on stderr, read by journald */
	LOG_TARGET_SYSLOG	/* syslog(3), when daemonized */
};

void log_init(const char *prog, enum log_target target);
void log_set_debug(int on);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
