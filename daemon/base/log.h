/* log.h: diagnostics for tlspind and tlspin (see log.c). */
#ifndef TLSPIN_LOG_H
#define TLSPIN_LOG_H

#include <stddef.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR = 0,	/* "prog: message" for terminals */
	LOG_TARGET_JOURNAL,	/* "<N>message" on stderr, read by journald */
	LOG_TARGET_SYSLOG,	/* syslog(3), when daemonized */
	LOG_TARGET_FILE		/* log_file: "TIME prog[pid]: text" lines */
};

void log_init(const char *prog, enum log_target target);
int log_file_open(const char *path, char *err, size_t errsz);
int log_file_reopen(char *err, size_t errsz);
const char *log_file_path(void);
void log_set_debug(int on);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
