/*
 * NAME
 *	t/unit/jsource - tests for the journal source, on a real journal
 * DESCRIPTION
 *	Run by t/integration/journal.t, which builds a journal with
 *	systemd-journal-remote from t/data/journal/sender.export (real
 *	Postfix 3.7 smtp lines, forged copies, other services) and three
 *	entries export format needs in binary or at length, and passes in
 *	the environment:
 *
 *	JSOURCE_DIR	the directory holding that journal as a.journal
 *	JSOURCE_EMPTY	an empty directory
 *	JSOURCE_UID	the _UID of the genuine Postfix entries
 *	JSOURCE_REMOTE	systemd-journal-remote, to write entries later
 *	JSOURCE_MORE	export entries written to a new file in the
 *			directory while a jsource is open
 *	JSOURCE_LATER	export entries appended to a.journal likewise,
 *			the last without MESSAGE
 *
 *	It checks that exactly the Postfix smtp entries of the configured
 *	syslog names come back, in order, with tag, pid, time, message and
 *	trust right; resuming after the cursor of every entry; a cursor
 *	whose entry is gone or no longer matches; entries that arrive in
 *	new and in existing files while open; and the refusals. Without
 *	JSOURCE_DIR it skips: it needs the journal the driver builds.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsource.h"
#include "tap.h"

/* One entry jsource should return. */
struct want {
	const char *tag;
	unsigned long pid;
	int trusted;
	uint64_t time_us;
	const char *msg;	/* NULL: JSOURCE_MSG_MAX bytes of 'X', cut */
	size_t msglen;		/* 0: strlen(msg) */
};

static const char binary_msg[] = "warning: line one\nline two\0\377end";

/*
 * Every entry the journal holds under postfix/smtp or postfix-out/smtp
 * with a MESSAGE, in journal order: 0-13 from the first build, 14-15
 * from JSOURCE_MORE, 16 from JSOURCE_LATER.
 */
static const struct want all[] = {
	{ "postfix/smtp", 437, 1, 1763896236020000ULL,
	    "05FE4A7623D: to=<user0@open-plain.test>, "
	    "relay=mx.plain.test[127.0.0.5]:25, delay=0.38, "
	    "delays=0.07/0.07/0.15/0.08, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as 5636AA7624A)", 0 },
	{ "postfix/smtp", 441, 1, 1763896236030000ULL,
	    "Trusted TLS connection established to "
	    "mx.good.test[127.0.0.2]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
	    "server-signature RSA-PSS (2048 bits) server-digest SHA256", 0 },
	/* logger -t postfix/smtp by uid 1000: _PID is logger's */
	{ "postfix/smtp", 2201, 0, 1763896236050000ULL,
	    "Verified TLS connection established to "
	    "mx.evil.test[192.0.2.66]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits)", 0 },
	{ "postfix/smtp", 441, 1, 1763896236060000ULL,
	    "24CA1A76240: to=<user0@open-good.test>, "
	    "relay=mx.good.test[127.0.0.2]:25, delay=0.52, "
	    "delays=0.01/0.05/0.29/0.17, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as A0E37A7624E)", 0 },
	{ "postfix-out/smtp", 452, 1, 1763896238010000ULL,
	    "Verified TLS connection established to "
	    "mx.good.test[127.0.0.2]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
	    "server-signature RSA-PSS (2048 bits) server-digest SHA256", 0 },
	{ "postfix-out/smtp", 452, 1, 1763896238020000ULL,
	    "5D0E4A7628A: to=<user1@pinned1.test>, "
	    "relay=mx.good.test[127.0.0.2]:25, delay=0.03, "
	    "delays=0.01/0/0.01/0.01, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as 6165BA76224)", 0 },
	/* a user's own program named smtp: right _COMM, wrong _UID */
	{ "postfix/smtp", 3100, 0, 1763896238030000ULL,
	    "5D0E4A7628A: to=<user1@pinned1.test>, "
	    "relay=mx.evil.test[192.0.2.66]:25, delay=0.03, "
	    "delays=0.01/0/0.01/0.01, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as 6165BA76225)", 0 },
	/* logger run as the postfix user: right _UID, wrong _COMM */
	{ "postfix/smtp", 3101, 0, 1763896238040000ULL,
	    "Trusted TLS connection established to "
	    "mx.evil.test[192.0.2.66]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits)", 0 },
	/* no trusted fields at all (imported): pid from SYSLOG_PID */
	{ "postfix/smtp", 452, 0, 1763896241010000ULL,
	    "certificate verification failed for "
	    "mx.good.test[127.0.0.3]:25: self-signed certificate", 0 },
	/* _UID "0107" and "1070": only the exact decimal form counts */
	{ "postfix/smtp", 3102, 0, 1763896241020000ULL,
	    "4A77AA76095: to=<held@cert3.test>, "
	    "relay=mx.good.test[127.0.0.3]:25, delay=0.03, "
	    "delays=0.02/0/0.01/0, dsn=4.7.5, status=deferred "
	    "(Server certificate not verified)", 0 },
	{ "postfix/smtp", 3103, 0, 1763896241030000ULL,
	    "Verified TLS connection established to "
	    "mx.good.test[127.0.0.2]:25: TLSv1.3 with cipher "
	    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
	    "server-signature RSA-PSS (2048 bits) server-digest SHA256", 0 },
	{ "postfix/smtp", 437, 1, 1763896241040000ULL,
	    binary_msg, sizeof(binary_msg) - 1 },
	{ "postfix/smtp", 3104, 0, 1763896241050000ULL, NULL, 0 },
	{ "postfix/smtp", 437, 1, 1763896241060000ULL,
	    "1490DA76085: to=<before@cert3.test>, "
	    "relay=mx.good.test[127.0.0.2]:25, delay=0.02, "
	    "delays=0.01/0/0.01/0, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as 18C72A76083)", 0 },
	{ "postfix/smtp", 441, 1, 1763896250010000ULL,
	    "Verified TLS connection established to "
	    "mx.tls12.test[127.0.0.6]:25: TLSv1.2 with cipher "
	    "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)", 0 },
	{ "postfix-out/smtp", 452, 1, 1763896250030000ULL,
	    "BB6F8A76285: to=<user1@pinned1-tls12.test>, "
	    "relay=mx.tls12.test[127.0.0.6]:25, delay=0.02, "
	    "delays=0.01/0/0.01/0.01, dsn=2.0.0, status=sent "
	    "(250 2.0.0 Ok: queued as BEC18A7628B)", 0 },
	{ "postfix/smtp", 437, 1, 1763896260020000ULL,
	    "warning: TLS policy lookup for down5.test/mx.good.test: "
	    "client TLS configuration problem", 0 },
};

#define FIRST_BUILD 14		/* all[0..13] are in the first build */

static const char *const both[] = { "postfix", "postfix-out" };
static const char *const only_postfix[] = { "postfix" };
static const char *const only_out[] = { "postfix-out" };

static const char *dir, *empty_dir, *remote, *more, *later;
static uid_t pf_uid;
static char cursors[FIRST_BUILD][JSOURCE_CURSOR_MAX];

/* Does e hold what w says (trust forced off with untrusted)? */
static int
same_entry(const struct jsource_entry *e, const struct want *w,
    int untrusted)
{
	size_t wlen = w->msg == NULL ? JSOURCE_MSG_MAX :
	    w->msglen ? w->msglen : strlen(w->msg);
	int ok = 1;
	size_t i;

	if (e->taglen != strlen(w->tag) ||
	    memcmp(e->tag, w->tag, e->taglen) != 0) {
		printf("# tag \"%.*s\", want \"%s\"\n", (int)e->taglen, e->tag,
		    w->tag);
		ok = 0;
	}
	if (e->pid != w->pid || e->time_us != w->time_us ||
	    e->trusted != (untrusted ? 0 : w->trusted)) {
		printf("# pid %lu time %llu trusted %d, want %lu %llu %d\n",
		    e->pid, (unsigned long long)e->time_us, e->trusted,
		    w->pid, (unsigned long long)w->time_us,
		    untrusted ? 0 : w->trusted);
		ok = 0;
	}
	if (e->msglen != wlen || e->cut != (w->msg == NULL)) {
		printf("# msglen %zu cut %d, want %zu %d\n", e->msglen,
		    e->cut, wlen, w->msg == NULL);
		return 0;
	}
	if (w->msg != NULL && memcmp(e->msg, w->msg, wlen) != 0) {
		printf("# msg \"%.*s\"\n#  want \"%s\"\n", (int)e->msglen,
		    e->msg, w->msg);
		ok = 0;
	}
	for (i = 0; w->msg == NULL && i < wlen; i++) {
		if (e->msg[i] != 'X') {
			printf("# long msg: byte %zu is 0x%02x\n", i,
			    (unsigned char)e->msg[i]);
			return 0;
		}
	}
	return ok;
}

/* Read entries: they must be all[idx[0..n-1]], then nothing more now. */
static void
expect(struct jsource *j, const int *idx, size_t n, int untrusted,
    const char *what)
{
	struct jsource_entry e;
	char err[256] = "";
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = jsource_next(j, &e, err, sizeof(err));
		if (r != 1) {
			tap_ok(0, "%s: entry %zu is all[%d]", what, i, idx[i]);
			printf("# jsource_next gave %d: %s\n", r, err);
			return;
		}
		tap_ok(same_entry(&e, &all[idx[i]], untrusted),
		    "%s: entry %zu is all[%d] (%s[%lu])", what, i, idx[i],
		    all[idx[i]].tag, all[idx[i]].pid);
	}
	r = jsource_next(j, &e, err, sizeof(err));
	tap_ok(r == 0, "%s: then nothing more", what);
	if (r != 0)
		printf("# jsource_next gave %d (%s)\n", r, err);
}

/* Open dir with names and cursor; NULL (and a failed check) if it fails. */
static struct jsource *
open_or_fail(const char *d, const char *const *names, size_t n, uid_t uid,
    const char *cursor, const char *what)
{
	struct jsource *j;
	char err[512] = "";

	if (jsource_open(&j, d, names, n, uid, cursor, err, sizeof(err)) !=
	    0) {
		tap_ok(0, "%s: open", what);
		printf("# %s\n", err);
		return NULL;
	}
	return j;
}

/* Run systemd-journal-remote: entries from export file in -> out. */
static int
journal_remote(const char *in, const char *out)
{
	posix_spawn_file_actions_t fa;
	char output[4096];
	char *argv[4];
	pid_t pid;
	int st, r;

	snprintf(output, sizeof(output), "--output=%s", out);
	argv[0] = (char *)remote;
	argv[1] = output;
	argv[2] = (char *)"-";
	argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, remote, &fa, NULL, argv, NULL);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Wait (bounded) for the journal fd, then let sd-journal take it in. */
static void
wait_and_process(struct jsource *j, const char *what)
{
	struct pollfd p;
	int r;

	p.fd = jsource_fd(j);
	p.events = POLLIN;
	p.revents = 0;
	/* the inotify event is queued before journal-remote exits: no
	 * race, the timeout only stops a broken build from hanging */
	r = poll(&p, 1, 10000);
	tap_ok(r == 1 && (p.revents & POLLIN), "%s: the fd is readable", what);
	r = jsource_process(j);
	tap_ok(r > 0, "%s: jsource_process says something changed (%d)",
	    what, r);
}

/* Everything, in order, from both names; keep each entry's cursor. */
static void
test_read_all(void)
{
	struct jsource_entry e;
	struct jsource *j;
	char err[256] = "", buf[JSOURCE_CURSOR_MAX];
	size_t i;
	int r;

	j = open_or_fail(dir, both, 2, pf_uid, NULL, "read all");
	if (j == NULL)
		return;
	tap_is_str(jsource_note(j), "", "no note when starting fresh");
	tap_ok(jsource_fd(j) >= 0, "jsource_fd gives an fd");
	tap_ok(jsource_cursor(j, buf, sizeof(buf)) == 0 && buf[0] == '\0',
	    "cursor before the first entry is empty");
	for (i = 0; i < FIRST_BUILD; i++) {
		r = jsource_next(j, &e, err, sizeof(err));
		if (r != 1) {
			tap_ok(0, "read all: entry %zu", i);
			printf("# jsource_next gave %d: %s\n", r, err);
			jsource_close(j);
			return;
		}
		tap_ok(same_entry(&e, &all[i], 0), "read all: entry %zu is "
		    "%s[%lu]%s", i, all[i].tag, all[i].pid,
		    all[i].trusted ? "" : ", untrusted");
		r = jsource_cursor(j, cursors[i], sizeof(cursors[i]));
		tap_ok(r == 0 && cursors[i][0] != '\0' &&
		    (i == 0 || strcmp(cursors[i], cursors[i - 1]) != 0),
		    "read all: entry %zu has its own cursor", i);
	}
	tap_is_int(jsource_next(j, &e, err, sizeof(err)), 0,
	    "read all: nothing more (qmgr, smtpd, sshd, postfix-in, the "
	    "entry without MESSAGE and those with two tags never come)");
	tap_is_int(jsource_next(j, &e, err, sizeof(err)), 0,
	    "read all: still nothing at the end");
	tap_ok(jsource_cursor(j, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, cursors[FIRST_BUILD - 1]) == 0,
	    "cursor at the end is the last entry's");
	tap_is_int(jsource_cursor(j, buf, 16), -1,
	    "cursor into a too small buffer fails");
	jsource_close(j);
}

/* One name at a time, and a uid that matches nothing. */
static void
test_names(void)
{
	static const int pf[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13 };
	static const int out[] = { 4, 5 };
	static const int every[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13 };
	struct jsource *j;

	if ((j = open_or_fail(dir, only_postfix, 1, pf_uid, NULL,
	    "postfix only")) != NULL) {
		expect(j, pf, sizeof(pf) / sizeof(pf[0]), 0, "postfix only");
		jsource_close(j);
	}
	if ((j = open_or_fail(dir, only_out, 1, pf_uid, NULL,
	    "postfix-out only")) != NULL) {
		expect(j, out, 2, 0, "postfix-out only");
		jsource_close(j);
	}
	/* the same entries, none of them trusted, for another uid */
	if ((j = open_or_fail(dir, both, 2, pf_uid + 1, NULL,
	    "other uid")) != NULL) {
		expect(j, every, FIRST_BUILD, 1, "other uid");
		jsource_close(j);
	}
}

/* Re-open after the cursor of entry k: reading goes on with k + 1. */
static void
test_resume(void)
{
	static const int every[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13 };
	struct jsource *j;
	char what[64], buf[JSOURCE_CURSOR_MAX];
	int k;

	for (k = 0; k < FIRST_BUILD; k++) {
		snprintf(what, sizeof(what), "resume after entry %d", k);
		j = open_or_fail(dir, both, 2, pf_uid, cursors[k], what);
		if (j == NULL)
			continue;
		tap_ok(jsource_note(j)[0] == '\0' &&
		    jsource_cursor(j, buf, sizeof(buf)) == 0 &&
		    strcmp(buf, cursors[k]) == 0, "%s: no note, and the "
		    "cursor before reading is the one resumed from", what);
		expect(j, every + k + 1, (size_t)(FIRST_BUILD - k - 1), 0,
		    what);
		jsource_close(j);
	}
}

/* Cursors whose entry is gone, no longer matches, or is no cursor. */
static void
test_bad_cursors(void)
{
	static const int every[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13 };
	static const int after5[] = { 6, 7, 8, 9, 10, 11, 12, 13 };
	/* well-formed, from another journal, dated far in the future:
	 * resuming "after" it would silently skip everything here */
	static const char foreign[] = "s=0123456789abcdef0123456789abcdef;"
	    "i=99;b=fedcba9876543210fedcba9876543210;m=ffffffff;"
	    "t=7fffffffffffff;x=1";
	struct jsource *j;
	char err[512] = "", buf[JSOURCE_CURSOR_MAX], lng[700];

	if ((j = open_or_fail(dir, both, 2, pf_uid, foreign,
	    "foreign cursor")) != NULL) {
		tap_ok(strstr(jsource_note(j), "gone") != NULL,
		    "foreign cursor: the note says the entry is gone");
		printf("# note: %s\n", jsource_note(j));
		tap_ok(jsource_cursor(j, buf, sizeof(buf)) == 0 &&
		    buf[0] == '\0', "foreign cursor: cursor before reading "
		    "is empty, as when starting fresh");
		expect(j, every, FIRST_BUILD, 0,
		    "foreign cursor: from the oldest entry");
		jsource_close(j);
	}
	/* entry 5 is postfix-out's: dropping that name from the config
	 * must not make the learner read everything again */
	if ((j = open_or_fail(dir, only_postfix, 1, pf_uid, cursors[5],
	    "cursor of an entry no longer matched")) != NULL) {
		tap_is_str(jsource_note(j), "",
		    "cursor of an entry no longer matched: no note");
		expect(j, after5, sizeof(after5) / sizeof(after5[0]), 0,
		    "cursor of an entry no longer matched: resumes after it");
		jsource_close(j);
	}
	tap_is_int(jsource_open(&j, dir, both, 2, pf_uid, "not-a-cursor",
	    err, sizeof(err)), -1, "a malformed cursor is an error");
	tap_ok(strstr(err, "not a journal cursor") != NULL &&
	    strstr(err, "not-a-cursor") != NULL, "  naming it: %s", err);
	tap_ok(j == NULL, "  and gives no jsource");
	memset(lng, 'i', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	tap_is_int(jsource_open(&j, dir, both, 2, pf_uid, lng, err,
	    sizeof(err)), -1, "an over-long cursor is an error");
	tap_ok(strstr(err, "longer than") != NULL, "  saying so: %s", err);
}

/*
 * Call jsource_close(j), j NULL, in a child process: 1 if the child
 * exits 0, 0 if it crashed (or could not be run), so that a close that
 * dereferences NULL fails this check instead of ending the test.
 */
static int
closes_null_cleanly(struct jsource *j)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		jsource_close(j);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Arguments jsource_open refuses. */
static void
test_refusals(void)
{
	static const char *const nine[] = { "a", "b", "c", "d", "e", "f",
	    "g", "h", "i" };
	static const char *const blank[] = { "postfix", "" };
	static const char *const spaced[] = { "post fix" };
	static const char *const toolong[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct jsource *j;
	char err[512] = "", missing[4096];

	tap_is_int(jsource_open(&j, dir, both, 0, pf_uid, NULL, err,
	    sizeof(err)), -1, "no syslog name: refused");
	tap_is_int(jsource_open(&j, dir, nine, 9, pf_uid, NULL, err,
	    sizeof(err)), -1, "nine syslog names: refused");
	tap_ok(strstr(err, "1 to 8") != NULL, "  saying how many: %s", err);
	tap_is_int(jsource_open(&j, dir, blank, 2, pf_uid, NULL, err,
	    sizeof(err)), -1, "an empty syslog name: refused");
	tap_is_int(jsource_open(&j, dir, spaced, 1, pf_uid, NULL, err,
	    sizeof(err)), -1, "a syslog name with a space: refused");
	tap_is_int(jsource_open(&j, dir, toolong, 1, pf_uid, NULL, err,
	    sizeof(err)), -1, "a 65-byte syslog name: refused");
	snprintf(missing, sizeof(missing), "%s/no-such-dir", dir);
	tap_is_int(jsource_open(&j, missing, both, 2, pf_uid, NULL, err,
	    sizeof(err)), -1, "a missing directory: refused");
	tap_ok(strstr(err, missing) != NULL &&
	    strstr(err, "No such file") != NULL, "  naming it: %s", err);
	tap_ok(j == NULL, "a refused open gives no jsource");
	tap_ok(closes_null_cleanly(j),
	    "jsource_close of it (NULL) is harmless: a child that calls it "
	    "exits 0");
}

/*
 * Entries written while open: to a new file, then to an existing one,
 * whose last entry has no MESSAGE. Leaves in c16 the cursor of entry
 * 16, and in last the cursor after reading everything.
 */
static void
test_follow(char *c16, char *last, size_t sz)
{
	static const int added[] = { 14, 15 };
	static const int every[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13 };
	struct jsource_entry e;
	struct jsource *j;
	char path[4096], err[256] = "";

	j = open_or_fail(dir, both, 2, pf_uid, NULL, "follow");
	if (j == NULL)
		return;
	expect(j, every, FIRST_BUILD, 0, "follow: first build");
	snprintf(path, sizeof(path), "%s/b.journal", dir);
	tap_ok(journal_remote(more, path), "journal-remote writes b.journal");
	wait_and_process(j, "new file");
	expect(j, added, 2, 0, "new file");
	snprintf(path, sizeof(path), "%s/a.journal", dir);
	tap_ok(journal_remote(later, path),
	    "journal-remote appends to a.journal");
	wait_and_process(j, "appended");
	tap_ok(jsource_next(j, &e, err, sizeof(err)) == 1 &&
	    same_entry(&e, &all[16], 0), "appended: entry 0 is all[16]");
	tap_ok(jsource_cursor(j, c16, sz) == 0 && c16[0] != '\0',
	    "appended: its cursor");
	tap_is_int(jsource_next(j, &e, err, sizeof(err)), 0,
	    "appended: then nothing more");
	/* the entry without MESSAGE after it was read and passed over */
	tap_ok(jsource_cursor(j, last, sz) == 0 && last[0] != '\0' &&
	    strcmp(last, c16) != 0,
	    "follow: the cursor moved past the entry without MESSAGE");
	jsource_close(j);
}

/* A directory with no journal yet: entries come once a file appears. */
static void
test_empty_dir(void)
{
	static const int added[] = { 14, 15 };
	struct jsource *j;
	char path[4096];

	j = open_or_fail(empty_dir, both, 2, pf_uid, NULL, "empty dir");
	if (j == NULL)
		return;
	expect(j, NULL, 0, 0, "empty dir: nothing yet");
	snprintf(path, sizeof(path), "%s/c.journal", empty_dir);
	tap_ok(journal_remote(more, path), "journal-remote writes c.journal");
	wait_and_process(j, "empty dir");
	expect(j, added, 2, 0, "empty dir: the new file's entries");
	jsource_close(j);
}

/*
 * After the follow test: resume across files, then remove a.journal as
 * journald's vacuum does and resume from a cursor that was in it.
 */
static void
test_vacuum(const char *c16, const char *last)
{
	static const int added[] = { 14, 15 };
	static const int across[] = { 14, 15, 16 };
	struct jsource *j;
	char path[4096];

	/* entry 13 is the last of a.journal's first build: next is in
	 * b.journal, then back in a.journal */
	if ((j = open_or_fail(dir, both, 2, pf_uid, cursors[13],
	    "resume across files")) != NULL) {
		expect(j, across, 3, 0,
		    "resume across files: b.journal, then a.journal again");
		jsource_close(j);
	}
	if ((j = open_or_fail(dir, both, 2, pf_uid, c16,
	    "resume after the last entry")) != NULL) {
		expect(j, NULL, 0, 0, "resume after the last entry");
		jsource_close(j);
	}
	if ((j = open_or_fail(dir, both, 2, pf_uid, last,
	    "resume after the entry passed over")) != NULL) {
		tap_is_str(jsource_note(j), "",
		    "resume after the entry passed over: found it");
		expect(j, NULL, 0, 0, "resume after the entry passed over");
		jsource_close(j);
	}
	snprintf(path, sizeof(path), "%s/a.journal", dir);
	tap_ok(unlink(path) == 0, "a.journal removed (vacuumed)");
	if ((j = open_or_fail(dir, both, 2, pf_uid, cursors[1],
	    "vacuumed cursor")) != NULL) {
		tap_ok(strstr(jsource_note(j), "gone") != NULL,
		    "vacuumed cursor: the note says so");
		expect(j, added, 2, 0,
		    "vacuumed cursor: from the oldest entry");
		jsource_close(j);
	}
}

int
main(void)
{
	char c16[JSOURCE_CURSOR_MAX] = "", last[JSOURCE_CURSOR_MAX] = "";
	const char *uid;

	dir = getenv("JSOURCE_DIR");
	empty_dir = getenv("JSOURCE_EMPTY");
	uid = getenv("JSOURCE_UID");
	remote = getenv("JSOURCE_REMOTE");
	more = getenv("JSOURCE_MORE");
	later = getenv("JSOURCE_LATER");
	if (dir == NULL || empty_dir == NULL || uid == NULL ||
	    remote == NULL || more == NULL || later == NULL) {
		printf("1..0 # SKIP needs the journal t/integration/journal.t "
		    "builds (JSOURCE_DIR ...)\n");
		return 0;
	}
	pf_uid = (uid_t)strtoul(uid, NULL, 10);
	test_read_all();
	test_names();
	test_resume();
	test_bad_cursors();
	test_refusals();
	test_follow(c16, last, sizeof(last));
	test_empty_dir();
	test_vacuum(c16, last);
	return tap_done();
}
