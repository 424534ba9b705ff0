/*
 * NAME
 *	jsource - Postfix smtp(8) entries from the systemd journal
 * SYNOPSIS
 *	#include "jsource.h"
 *
 *	int jsource_open(out, dir, names, nnames, uid, cursor, err, errsz)
 *	int jsource_next(j, e, err, errsz)
 *	int jsource_cursor(j, buf, bufsz)
 *	const char *jsource_note(j)
 *	int jsource_fd(j)
 *	int jsource_process(j)
 *	void jsource_close(j)
 * DESCRIPTION
 *	On a systemd machine what Postfix logs goes to the journal, and
 *	journald adds fields to each entry that the sender cannot choose:
 *	_UID, _PID and _COMM come from the kernel's credentials of the
 *	logging process. This module reads the entries of Postfix's SMTP
 *	client with sd-journal and says which of them really came from it,
 *	so the learner (PROTOCOLS.md section 4) never learns from a line
 *	that anyone could have written with logger(1).
 *
 *	jsource_open() opens the local system journal (DIR = NULL: local
 *	machine, system files only, no user journals) or every journal file
 *	in DIR. It matches SYSLOG_IDENTIFIER "NAME/smtp" for each syslog
 *	NAME (sd-journal ORs matches on one field) and positions after
 *	CURSOR. Whether CURSOR's entry still exists is checked before the
 *	matches are added, so an entry that no longer matches (a syslog
 *	name was dropped from the config) still counts as found and reading
 *	resumes after it. Only an entry that is gone restarts from the
 *	oldest entry, with a note: what is left is then newer than it or
 *	from another journal, and seeking "after" a position that no longer
 *	exists (compared by clock) could skip all of it.
 *
 *	jsource_next() returns the next matching entry that has a MESSAGE.
 *	An entry is trusted when its _UID is the decimal form of UID
 *	exactly (as journald writes it) and its _COMM is "smtp". pid is
 *	_PID, else SYSLOG_PID, else 0; the time is the entry's realtime
 *	timestamp. An entry with more than one SYSLOG_IDENTIFIER is passed
 *	over: which of them it "is" would be a guess.
 *
 *	Bounds: sd_journal_get_data() returns pointers into the journal's
 *	mmapped windows or its decompression buffer, valid only until the
 *	next call for another field. The message is therefore copied, at
 *	most JSOURCE_MSG_MAX bytes, into the jsource; the small fields are
 *	compared or parsed in place before the next field is read. The data
 *	threshold asks sd-journal to decompress no more than that, but
 *	libsystemd 252 (Debian 12) ignores it for zstd-compressed fields
 *	(a 10 MB MESSAGE came back whole with a threshold of 1000), so a
 *	forged entry can still make sd-journal hold a large buffer: the
 *	process's memory limit (MemoryMax=) is the real bound there.
 *
 *	Following: jsource_fd() is sd_journal_get_fd(), an inotify fd; when
 *	it is readable, jsource_process() lets sd-journal see appended
 *	entries and new or removed files. The fd is created in
 *	jsource_open(), so a failure to watch is an open error rather than
 *	a learner that silently stops seeing new entries.
 *
 *	A jsource is not usable after fork(), as sd-journal is not.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "errbuf.h"
#include "jsource.h"

#define JSOURCE_TAG_MAX (JSOURCE_NAME_MAX + sizeof("/smtp"))

struct jsource {
	sd_journal *sj;
	char tags[JSOURCE_NAMES_MAX][JSOURCE_TAG_MAX];	/* "NAME/smtp" */
	size_t taglens[JSOURCE_NAMES_MAX];
	size_t ntags;
	char uid[24];		/* UID as journald writes _UID */
	size_t uidlen;
	char resume[JSOURCE_CURSOR_MAX];	/* resumed after, or "" */
	int skip_resume;	/* the first entry may be resume's own */
	int have_entry;		/* sd-journal is on an entry we read */
	char note[JSOURCE_NOTE_MAX];
	char msg[JSOURCE_MSG_MAX];
};

/* Add a sentence to the note, after any earlier one. */
static void
jsource_note_add(struct jsource *j, const char *text)
{
	size_t used = strlen(j->note);

	snprintf(j->note + used, sizeof(j->note) - used, "%s%s",
	    used ? "; " : "", text);
}

/* Keep the syslog names as the tags to match; 0 with err if one is bad. */
static int
jsource_set_names(struct jsource *j, const char *const *names,
    size_t nnames, char *err, size_t errsz)
{
	size_t i, k, n;

	if (names == NULL || nnames == 0 || nnames > JSOURCE_NAMES_MAX) {
		errbuf_printf(err, errsz, "journal: %zu syslog names given; "
		    "1 to %d are supported", nnames, JSOURCE_NAMES_MAX);
		return 0;
	}
	for (i = 0; i < nnames; i++) {
		n = names[i] == NULL ? 0 : strlen(names[i]);
		if (n == 0 || n > JSOURCE_NAME_MAX) {
			errbuf_printf(err, errsz, "journal: syslog name %zu is "
			    "empty or longer than %d bytes", i + 1,
			    JSOURCE_NAME_MAX);
			return 0;
		}
		for (k = 0; k < n; k++) {
			if ((unsigned char)names[i][k] <= ' ' ||
			    names[i][k] == 0x7f) {
				errbuf_printf(err, errsz, "journal: syslog "
				    "name \"%.64s\" holds a space or control "
				    "byte", names[i]);
				return 0;
			}
		}
		snprintf(j->tags[i], sizeof(j->tags[i]), "%s/smtp", names[i]);
		j->taglens[i] = n + strlen("/smtp");
	}
	j->ntags = nnames;
	return 1;
}

/* Open the local system journal or the files in dir. */
static int
jsource_open_journal(struct jsource *j, const char *dir, char *err,
    size_t errsz)
{
	int r;

	if (dir == NULL)
		r = sd_journal_open(&j->sj,
		    SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	else
		r = sd_journal_open_directory(&j->sj, dir, 0);
	if (r < 0) {
		errbuf_printf(err, errsz, "cannot open the journal%s%s: %s",
		    dir ? " in " : "", dir ? dir : "", strerror(-r));
		j->sj = NULL;
		return 0;
	}
	/* A hint only: uncompressed fields come whole, and libsystemd
	 * 252 decompresses zstd fields whole too (see above). */
	sd_journal_set_data_threshold(j->sj,
	    JSOURCE_MSG_MAX + sizeof("MESSAGE="));
	r = sd_journal_get_fd(j->sj);
	if (r < 0) {
		errbuf_printf(err, errsz, "cannot watch the journal for new "
		    "entries: %s%s", strerror(-r), r == -EMFILE ||
		    r == -ENOSPC ? " (raise the sysctls fs.inotify."
		    "max_user_instances or max_user_watches)" : "");
		return 0;
	}
	/* sd-journal skips files it may not read without a word; these
	 * two only know paths under /run and /var, hence not for dir */
	if (dir == NULL && !sd_journal_has_runtime_files(j->sj) &&
	    !sd_journal_has_persistent_files(j->sj))
		jsource_note_add(j, "no journal file could be read (is the "
		    "user in the systemd-journal group?)");
	return 1;
}

/* Is cursor's own entry in the journal? 1 yes, 0 no, negative errno. */
static int
jsource_cursor_exists(sd_journal *sj, const char *cursor)
{
	int r;

	r = sd_journal_seek_cursor(sj, cursor);
	if (r < 0)
		return r;
	r = sd_journal_next(sj);
	if (r <= 0)
		return r;
	return sd_journal_test_cursor(sj, cursor);
}

/* Decide where reading starts: after cursor, or at the oldest entry. */
static int
jsource_check_resume(struct jsource *j, const char *cursor, char *err,
    size_t errsz)
{
	size_t n = cursor == NULL ? 0 : strlen(cursor);
	int r;

	if (n == 0)
		return 1;
	if (n >= sizeof(j->resume)) {
		errbuf_printf(err, errsz, "journal: saved cursor is longer "
		    "than %d bytes: the saved state is damaged",
		    JSOURCE_CURSOR_MAX - 1);
		return 0;
	}
	r = jsource_cursor_exists(j->sj, cursor);
	if (r == -EINVAL) {
		errbuf_printf(err, errsz, "journal: saved cursor \"%.80s\" is "
		    "not a journal cursor: the saved state is damaged",
		    cursor);
		return 0;
	}
	if (r < 0) {
		errbuf_printf(err, errsz, "journal: cannot look for the saved "
		    "cursor: %s", strerror(-r));
		return 0;
	}
	if (r == 0) {
		jsource_note_add(j, "the entry at the saved journal cursor is "
		    "gone (vacuumed, or another journal): reading from the "
		    "oldest entry");
		return 1;
	}
	memcpy(j->resume, cursor, n + 1);
	j->skip_resume = 1;
	return 1;
}

/* Match our tags (OR'd) and seek to where reading starts. */
static int
jsource_position(struct jsource *j, char *err, size_t errsz)
{
	char match[sizeof("SYSLOG_IDENTIFIER=") + JSOURCE_TAG_MAX];
	size_t i;
	int r;

	for (i = 0; i < j->ntags; i++) {
		snprintf(match, sizeof(match), "SYSLOG_IDENTIFIER=%s",
		    j->tags[i]);
		r = sd_journal_add_match(j->sj, match, 0);
		if (r < 0) {
			errbuf_printf(err, errsz, "journal: cannot match %s: "
			    "%s", match, strerror(-r));
			return 0;
		}
	}
	if (j->resume[0] != '\0')
		r = sd_journal_seek_cursor(j->sj, j->resume);
	else
		r = sd_journal_seek_head(j->sj);
	if (r < 0) {
		errbuf_printf(err, errsz, "journal: cannot seek: %s",
		    strerror(-r));
		return 0;
	}
	return 1;
}

/*
 * Open the journal, match the Postfix smtp tags, and stand before the
 * first entry to read.
 */
int
jsource_open(struct jsource **out, const char *dir,
    const char *const *names, size_t nnames, uid_t uid, const char *cursor,
    char *err, size_t errsz)
{
	struct jsource *j;

	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		errbuf_printf(err, errsz, "journal: out of memory");
		return -1;
	}
	j->uidlen = (size_t)snprintf(j->uid, sizeof(j->uid), "%lu",
	    (unsigned long)uid);
	if (!jsource_set_names(j, names, nnames, err, errsz) ||
	    !jsource_open_journal(j, dir, err, errsz) ||
	    !jsource_check_resume(j, cursor, err, errsz) ||
	    !jsource_position(j, err, errsz)) {
		jsource_close(j);
		return -1;
	}
	*out = j;
	return 0;
}

/*
 * Find field NAME in the current entry: 1 with *val and *len after "NAME=",
 * 0 when the entry has no such field, negative errno on failure. *val is
 * valid only until the next field is read.
 */
static int
jsource_field(struct jsource *j, const char *name, const char **val,
    size_t *len)
{
	const void *d;
	size_t n, k = strlen(name);
	int r;

	r = sd_journal_get_data(j->sj, name, &d, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (n <= k || memcmp(d, name, k) != 0 || ((const char *)d)[k] != '=')
		return -EBADMSG;
	*val = (const char *)d + k + 1;
	*len = n - k - 1;
	return 1;
}

/* Parse a pid: 1 to 10 decimal digits and nothing else. 0 if it is not. */
static unsigned long
jsource_pid_value(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v;
}

/* The entry's pid: _PID, else SYSLOG_PID (what the sender claims). */
static int
jsource_read_pid(struct jsource *j, unsigned long *pid)
{
	static const char *const fields[] = { "_PID", "SYSLOG_PID" };
	const char *v;
	size_t i, n;
	int r;

	*pid = 0;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		r = jsource_field(j, fields[i], &v, &n);
		if (r < 0)
			return r;
		if (r > 0 && (*pid = jsource_pid_value(v, n)) != 0)
			return 0;
	}
	return 0;
}

/* Did Postfix's smtp(8) write the entry? 1 yes, 0 no, negative errno. */
static int
jsource_read_trusted(struct jsource *j)
{
	const char *v;
	size_t n;
	int r;

	r = jsource_field(j, "_UID", &v, &n);
	if (r <= 0)
		return r;
	if (n != j->uidlen || memcmp(v, j->uid, n) != 0)
		return 0;
	r = jsource_field(j, "_COMM", &v, &n);
	if (r <= 0)
		return r;
	return n == strlen("smtp") && memcmp(v, "smtp", n) == 0;
}

/*
 * Point e at our copy of the entry's tag: 1 when the entry has exactly
 * one SYSLOG_IDENTIFIER and it is ours, 0 when not, negative errno.
 */
static int
jsource_read_tag(struct jsource *j, struct jsource_entry *e)
{
	static const char f[] = "SYSLOG_IDENTIFIER=";
	const size_t flen = sizeof(f) - 1;
	const void *d;
	const char *v;
	size_t i, n, seen = 0;
	int r;

	/* It matched through one value; a second one (only a client of
	 * the native protocol can send that) makes the tag ambiguous,
	 * whichever value sd_journal_get_data would pick first. */
	sd_journal_restart_data(j->sj);
	while ((r = sd_journal_enumerate_data(j->sj, &d, &n)) > 0) {
		if (n < flen || memcmp(d, f, flen) != 0)
			continue;
		if (++seen > 1)
			return 0;
		v = (const char *)d + flen;
		n -= flen;
		for (i = 0; i < j->ntags; i++) {
			if (n == j->taglens[i] &&
			    memcmp(v, j->tags[i], n) == 0) {
				e->tag = j->tags[i];
				e->taglen = n;
			}
		}
	}
	if (r < 0)
		return r;
	return e->tag != NULL;
}

/* Copy MESSAGE, cut at JSOURCE_MSG_MAX: 1, 0 without one, negative errno. */
static int
jsource_read_msg(struct jsource *j, struct jsource_entry *e)
{
	const char *v;
	size_t n;
	int r;

	r = jsource_field(j, "MESSAGE", &v, &n);
	if (r <= 0)
		return r;
	if (n > sizeof(j->msg)) {
		n = sizeof(j->msg);
		e->cut = 1;
	}
	memcpy(j->msg, v, n);
	e->msg = j->msg;
	e->msglen = n;
	return 1;
}

/* Fill e from the current entry: 1 done, 0 pass it over, negative errno. */
static int
jsource_read(struct jsource *j, struct jsource_entry *e)
{
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = jsource_read_tag(j, e)) <= 0)
		return r;
	if ((r = jsource_read_pid(j, &e->pid)) < 0)
		return r;
	if ((r = jsource_read_trusted(j)) < 0)
		return r;
	e->trusted = r;
	r = sd_journal_get_realtime_usec(j->sj, &e->time_us);
	if (r < 0)
		return r;
	/* last: its copy must not be overwritten, the others were used */
	return jsource_read_msg(j, e);
}

/*
 * Step to the next matching entry: 1, 0 at the end, negative errno.
 * The first step after seeking to a saved cursor lands on that entry
 * itself when it matches, and it was read before: step over it.
 */
static int
jsource_step(struct jsource *j)
{
	int r;

	r = sd_journal_next(j->sj);
	if (r > 0 && j->skip_resume) {
		j->skip_resume = 0;
		r = sd_journal_test_cursor(j->sj, j->resume);
		if (r > 0)
			r = sd_journal_next(j->sj);
		else if (r == 0)
			r = 1;
	}
	if (r > 0)
		j->have_entry = 1;
	return r;
}

/* Return the next matching entry that has a MESSAGE. */
int
jsource_next(struct jsource *j, struct jsource_entry *e, char *err,
    size_t errsz)
{
	char cur[JSOURCE_CURSOR_MAX];
	int r;

	for (;;) {
		r = jsource_step(j);
		if (r == 0)
			return 0;
		if (r < 0) {
			errbuf_printf(err, errsz, "cannot read the journal: %s",
			    strerror(-r));
			return -1;
		}
		r = jsource_read(j, e);
		if (r > 0)
			return 1;
		if (r < 0) {
			if (jsource_cursor(j, cur, sizeof(cur)) < 0)
				snprintf(cur, sizeof(cur), "(unknown)");
			errbuf_printf(err, errsz, "cannot read journal entry "
			    "%s: %s (passed over)", cur, strerror(-r));
			memset(e, 0, sizeof(*e));
			return -1;
		}
	}
}

/* Copy the cursor of the last entry read (or the resume cursor) to buf. */
int
jsource_cursor(struct jsource *j, char *buf, size_t bufsz)
{
	char *c = NULL;
	size_t n;

	if (bufsz == 0)
		return -1;
	buf[0] = '\0';
	if (!j->have_entry) {
		n = strlen(j->resume);
		if (n >= bufsz)
			return -1;
		memcpy(buf, j->resume, n + 1);
		return 0;
	}
	if (sd_journal_get_cursor(j->sj, &c) < 0)
		return -1;
	n = strlen(c);
	if (n >= bufsz) {
		free(c);
		return -1;
	}
	memcpy(buf, c, n + 1);
	free(c);
	return 0;
}

/* What jsource_open had to say beyond success ("" if nothing). */
const char *
jsource_note(const struct jsource *j)
{
	return j->note;
}

/* The fd that becomes readable when the journal changes. */
int
jsource_fd(struct jsource *j)
{
	return sd_journal_get_fd(j->sj);
}

/* Let sd-journal take in what changed since the fd became readable. */
int
jsource_process(struct jsource *j)
{
	return sd_journal_process(j->sj);
}

/* Close the journal and free j (NULL is fine). */
void
jsource_close(struct jsource *j)
{
	if (j == NULL)
		return;
	if (j->sj != NULL)
		sd_journal_close(j->sj);
	free(j);
}
