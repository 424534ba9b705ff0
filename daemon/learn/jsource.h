/* jsource.h: Postfix smtp entries from the systemd journal (see jsource.c). */
#ifndef TLSPIN_JSOURCE_H
#define TLSPIN_JSOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JSOURCE_CURSOR_MAX 512
#define JSOURCE_NAMES_MAX 8
#define JSOURCE_NAME_MAX 64	/* one syslog_name, without "/smtp" */
#define JSOURCE_MSG_MAX 65536	/* longer MESSAGEs are cut */
#define JSOURCE_NOTE_MAX 512

struct jsource;

/*
 * One journal entry whose SYSLOG_IDENTIFIER is "<syslog_name>/smtp" for
 * one of the configured syslog names. `trusted` is 1 only when the
 * journal's own trusted fields say Postfix's smtp(8) wrote it: _UID is
 * the Postfix uid and _COMM is "smtp". Anything else (`logger -t
 * postfix/smtp ...`) comes back with trusted = 0, to be counted and
 * ignored. Pointers are valid until the next jsource_next. MESSAGE is
 * returned as stored: not NUL-terminated, and it may hold newlines, NUL
 * or non-UTF-8 bytes (a journal binary field); cut says it was longer
 * than JSOURCE_MSG_MAX and msglen stops there.
 */
struct jsource_entry {
	const char *tag;	/* SYSLOG_IDENTIFIER */
	size_t taglen;
	unsigned long pid;	/* _PID (trusted) or SYSLOG_PID */
	const char *msg;	/* MESSAGE */
	size_t msglen;
	int cut;
	uint64_t time_us;	/* __REALTIME_TIMESTAMP */
	int trusted;
};

/*
 * Open the journal: DIR = NULL for the local system journal, else a
 * directory of journal files (sd_journal_open_directory; tests build one
 * with systemd-journal-remote). NAMES: the syslog_name values to match
 * ("postfix", "postfix-out"), at most JSOURCE_NAMES_MAX. UID: Postfix's
 * uid (mail_owner). CURSOR: resume after this entry; NULL or "" = from
 * the oldest entry; when the entry it names is gone (vacuumed, or a
 * different journal), reading starts from the oldest entry and
 * jsource_note says so. -1 with ERR on failure (a malformed CURSOR is
 * one: it means the saved state is damaged).
 */
int jsource_open(struct jsource **out, const char *dir,
    const char *const *names, size_t nnames, uid_t uid, const char *cursor,
    char *err, size_t errsz);

/*
 * 1: next entry in *e. 0: none now. -1: error (ERR); the entry that could
 * not be read is passed over, so calling again goes on with the next.
 */
int jsource_next(struct jsource *j, struct jsource_entry *e, char *err,
    size_t errsz);

/*
 * Cursor of the last entry read: the one last returned, or a later one
 * jsource_next passed over (resuming there reads neither again). Before
 * the first: the CURSOR resumed from, or "" when reading from the oldest
 * entry. 0, or -1 when BUFSZ is too small or the journal fails.
 */
int jsource_cursor(struct jsource *j, char *buf, size_t bufsz);

/*
 * What jsource_open had to tell beyond success, for the log: the saved
 * cursor's entry is gone, or no journal file could be read. "" if none.
 */
const char *jsource_note(const struct jsource *j);

/*
 * For an event loop: jsource_fd is an fd to watch for POLLIN (negative
 * errno on failure); when it is readable call jsource_process (0 nothing
 * changed, > 0 entries or files may have changed: call jsource_next until
 * it returns 0; negative errno on failure).
 */
int jsource_fd(struct jsource *j);
int jsource_process(struct jsource *j);

void jsource_close(struct jsource *j);

#endif
