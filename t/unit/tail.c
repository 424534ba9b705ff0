/*
 * NAME
 *	t/unit/tail - tests for the log follower
 * DESCRIPTION
 *	Real files in a mkdtemp directory, written the way syslog and
 *	logrotate write them. First scenarios one by one: plain following,
 *	lines arriving in pieces, empty lines and NUL bytes, rename+create
 *	rotation with lines written to the old file after the rename,
 *	rotation without create, copytruncate, resuming from a saved
 *	position (same file; rotated with PATH.1 there; rotated with PATH.1
 *	gone or replaced; truncated while stopped; removed), long lines, a
 *	file that appears later, and errors. After every line the position
 *	is checked against the byte offset just after its '\n'.
 *
 *	Then a property test: for each seed a writer appends random lines
 *	in random pieces (some longer than TAIL_LINE_MAX or than the whole
 *	buffer, some with NUL bytes), the log is rotated at random in three
 *	rename styles (logrotate create, savelog with PATH.2, nocreate with
 *	the writer creating PATH at its HUP) while the writer keeps writing
 *	to the renamed file until its HUP, and the follower is read, its
 *	position committed, crashed (closed, uncommitted lines forgotten)
 *	and reopened from the committed position at random, also while a
 *	rotation is under way. Every line handed out must be the next line
 *	written, cut exactly when too long, at exactly the position after
 *	its '\n'; at the end every line must have been handed out. The
 *	schedule keeps to what the module promises: no rotation while the
 *	follower (or its committed position) is still on the previous file,
 *	and the writer reopens at line boundaries, as syslog does.
 *	copytruncate is left out there: it loses lines by design.
 *	TLSPIN_TAIL_SEED=N runs only seed N.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tail.h"
#include "tap.h"

static char tmpdir[256];
static char err[TAIL_ERR_MAX];

/* tmpdir/NAME into buf. */
static const char *
at(char *buf, size_t bufsz, const char *name)
{
	if (snprintf(buf, bufsz, "%s/%s", tmpdir, name) >= (int)bufsz)
		abort();
	return buf;
}

/* Write all of DATA to FD or abort: the test's own I/O must not fail. */
static void
put(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n <= 0) {
			printf("# write: %s\n", strerror(errno));
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}

/* A writer's descriptor on PATH, created if needed, appending. */
static int
writer(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd == -1) {
		printf("# open %s: %s\n", path, strerror(errno));
		abort();
	}
	return fd;
}

/* Append the C string S to PATH. */
static void
append(const char *path, const char *s)
{
	int fd = writer(path);

	put(fd, s, strlen(s));
	close(fd);
}

/* Inode of PATH (0 when missing). */
static uint64_t
inode(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

/* Remove every file in tmpdir: each test starts from an empty one. */
static void
clean(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlink(at(p, sizeof(p), e->d_name));
	closedir(d);
}

/* Open PATH without a saved position; abort on failure. */
static struct tail *
open_plain(const char *path)
{
	struct tail *t;
	char note[256];

	if (tail_open(&t, path, NULL, note, sizeof(note), err,
	    sizeof(err)) != 0) {
		printf("# tail_open %s: %s\n", path, err);
		abort();
	}
	return t;
}

/* The next line must be WANT (WLEN bytes, not cut), ending at OFFSET. */
static void
want_line(struct tail *t, const char *want, size_t wlen, uint64_t offset,
    const char *name)
{
	const char *line = NULL;
	size_t len = 0;
	int cut = -1, r;
	struct tail_pos pos;

	r = tail_next(t, &line, &len, &cut, err, sizeof(err));
	tap_ok(r == 1 && len == wlen && memcmp(line, want, wlen) == 0 &&
	    cut == 0, "%s", name);
	if (r != 1)
		printf("# tail_next returned %d (%s)\n", r, r < 0 ? err : "");
	else if (len != wlen || memcmp(line, want, wlen) != 0 || cut != 0)
		printf("# got \"%.*s\" (%zu bytes, cut %d), want \"%.*s\"\n",
		    (int)(len > 80 ? 80 : len), line, len, cut,
		    (int)(wlen > 80 ? 80 : wlen), want);
	tail_position(t, &pos);
	if (pos.offset != offset) {
		tap_ok(0, "%s: position", name);
		printf("# position %llu, want %llu\n",
		    (unsigned long long)pos.offset,
		    (unsigned long long)offset);
	}
}

/* The next line must be the C string WANT, ending at OFFSET. */
static void
want_str(struct tail *t, const char *want, uint64_t offset, const char *name)
{
	want_line(t, want, strlen(want), offset, name);
}

/* tail_next must have nothing now. */
static void
want_none(struct tail *t, const char *name)
{
	const char *line;
	size_t len;
	int cut, r;

	r = tail_next(t, &line, &len, &cut, err, sizeof(err));
	tap_ok(r == 0, "%s", name);
	if (r == 1)
		printf("# got a line: \"%.*s\"\n", (int)(len > 80 ? 80 : len),
		    line);
	else if (r < 0)
		printf("# error: %s\n", err);
}

/* The position must be (inode INO, OFFSET). */
static void
want_pos(struct tail *t, uint64_t ino, uint64_t offset, const char *name)
{
	struct tail_pos pos;

	tail_position(t, &pos);
	tap_ok(pos.ino == ino && pos.offset == offset, "%s", name);
	if (pos.ino != ino || pos.offset != offset)
		printf("# position ino %llu offset %llu, want ino %llu "
		    "offset %llu\n", (unsigned long long)pos.ino,
		    (unsigned long long)pos.offset, (unsigned long long)ino,
		    (unsigned long long)offset);
}

static void
test_plain(void)
{
	char p[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;
	struct tail_stats st;

	append(path, "one\ntwo\nthree\n");
	t = open_plain(path);
	want_pos(t, inode(path), 0, "plain: position at 0 before any line");
	want_str(t, "one", 4, "plain: first line");
	want_str(t, "two", 8, "plain: second line");
	want_str(t, "three", 14, "plain: third line");
	want_none(t, "plain: nothing more");
	want_none(t, "plain: still nothing");
	append(path, "four\n");
	want_str(t, "four", 19, "plain: appended line");
	want_none(t, "plain: nothing after the append");
	tail_stats(t, &st);
	tap_is_int((long long)st.lines, 4, "plain: 4 lines counted");
	tap_is_int((long long)(st.rotations + st.truncations + st.cut), 0,
	    "plain: no rotation, truncation or cut");
	tail_close(t);
	clean();
}

static void
test_pieces(void)
{
	char p[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;
	int w = writer(path);

	t = open_plain(path);
	put(w, "ab", 2);
	want_none(t, "pieces: partial line not returned");
	put(w, "cd", 2);
	want_none(t, "pieces: still partial");
	want_pos(t, inode(path), 0, "pieces: position stays at 0");
	put(w, "e\nf", 3);
	want_str(t, "abcde", 6, "pieces: line completed by a third write");
	want_none(t, "pieces: the next partial line waits");
	put(w, "g\n\n", 3);
	want_str(t, "fg", 9, "pieces: second line");
	want_str(t, "", 10, "pieces: empty line after it");
	want_none(t, "pieces: nothing more");
	close(w);
	tail_close(t);
	clean();
}

static void
test_empty_nul(void)
{
	char p[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;
	int w = writer(path);

	put(w, "\n\n\nx\n", 5);
	put(w, "a\0b\0\n\0\n", 7);
	t = open_plain(path);
	want_str(t, "", 1, "empty: first empty line");
	want_str(t, "", 2, "empty: second empty line");
	want_str(t, "", 3, "empty: third empty line");
	want_str(t, "x", 5, "empty: then x");
	want_line(t, "a\0b\0", 4, 10, "NUL bytes inside a line are kept");
	want_line(t, "\0", 1, 12, "a line that is one NUL byte");
	want_none(t, "empty/NUL: nothing more");
	close(w);
	tail_close(t);
	clean();
}

/* logrotate's default: rename, create; syslog writes to the old file
 * until its HUP. */
static void
test_rotate(void)
{
	char p[512], p1[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	struct tail_stats st;
	uint64_t ino_old, ino_new;
	int w = writer(path), w2;

	put(w, "a\nb\n", 4);
	t = open_plain(path);
	ino_old = inode(path);
	want_str(t, "a", 2, "rotate: first line");
	if (rename(path, old) != 0)
		abort();
	put(w, "c\n", 2);
	w2 = writer(path);		/* create */
	ino_new = inode(path);
	want_str(t, "b", 4, "rotate: rest of the old file");
	want_str(t, "c", 6, "rotate: line written to the old file after "
	    "the rename");
	want_none(t, "rotate: new file empty: nothing, and no switch yet");
	want_pos(t, ino_old, 6, "rotate: still on the old file");
	put(w, "d\npart", 6);
	want_str(t, "d", 8, "rotate: old file still followed until the "
	    "new one has data");
	want_none(t, "rotate: partial last line waits while the old file "
	    "may still grow");
	close(w);			/* the HUP */
	put(w2, "e\n", 2);
	want_str(t, "part", 12, "rotate: partial last line returned once "
	    "rotated away");
	want_pos(t, ino_old, 12, "rotate: its position is the old file's "
	    "end");
	want_str(t, "e", 2, "rotate: new file from offset 0");
	want_pos(t, ino_new, 2, "rotate: position on the new file");
	want_none(t, "rotate: nothing more");
	tail_stats(t, &st);
	tap_is_int((long long)st.rotations, 1, "rotate: one rotation counted");
	tap_is_int((long long)st.lines, 6, "rotate: 6 lines counted");
	close(w2);
	tail_close(t);
	clean();
}

/*
 * Fault injection: the follower's lstat(2) of PATH comes here (this
 * definition takes the place of libc's in the test program), so a test
 * can append to the old file in the instant between the follower's
 * last read and its look at PATH, a window no schedule can hit.
 */
static int late_fd = -1;
static const char *late_data;

int
stat(const char *restrict name, struct stat *restrict sb)
{
	if (late_fd != -1) {
		put(late_fd, late_data, strlen(late_data));
		late_fd = -1;
	}
	return fstatat(AT_FDCWD, name, sb, 0);
}

/* The same for lstat(2), which tail uses to look at PATH. */
int
lstat(const char *restrict name, struct stat *restrict sb)
{
	if (late_fd != -1) {
		put(late_fd, late_data, strlen(late_data));
		late_fd = -1;
	}
	return fstatat(AT_FDCWD, name, sb, AT_SYMLINK_NOFOLLOW);
}

/* Lines written after our last read of the old file, just before we
 * find the new one: read to the true end before switching. */
static void
test_rotate_race(void)
{
	char p[512], p1[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	int w = writer(path), fired;

	put(w, "a\n", 2);
	t = open_plain(path);
	want_str(t, "a", 2, "race: first line");
	want_none(t, "race: at the end");
	if (rename(path, old) != 0)
		abort();
	append(path, "n\n");
	late_fd = w;
	late_data = "late\n";
	want_str(t, "late", 7, "race: a line the writer added between our "
	    "last read and our stat of PATH is read before switching");
	fired = late_fd == -1;
	late_fd = -1;
	if (!fired)
		tap_ok(1, "# SKIP stat(2) could not be intercepted here");
	want_str(t, "n", 2, "race: then the new file");
	close(w);
	tail_close(t);
	clean();
}

/* Rotation without create (rsyslog creates the file on its next write),
 * a new file that is empty when we switch, and two rotations in a row. */
static void
test_rotate_nocreate(void)
{
	char p[512], p1[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	struct tail_stats st;
	int w = writer(path);

	put(w, "a\n", 2);
	t = open_plain(path);
	want_str(t, "a", 2, "nocreate: first line");
	if (rename(path, old) != 0)
		abort();
	put(w, "b\n", 2);
	want_str(t, "b", 4, "nocreate: PATH missing, old file followed");
	want_none(t, "nocreate: nothing while PATH is missing");
	close(w);
	w = writer(path);
	want_none(t, "nocreate: new empty PATH: nothing");
	put(w, "c\nd\n", 4);
	want_str(t, "c", 2, "nocreate: new file once it has data");
	want_pos(t, inode(path), 2, "nocreate: on the new file");
	/* second rotation; the writer reopens right away */
	if (rename(path, old) != 0)
		abort();
	close(w);
	w = writer(path);
	put(w, "e\n", 2);
	want_str(t, "d", 4, "nocreate: second rotation: old file first");
	want_str(t, "e", 2, "nocreate: then the newest file");
	tail_stats(t, &st);
	tap_is_int((long long)st.rotations, 2, "nocreate: two rotations");
	close(w);
	tail_close(t);
	clean();
}

static void
test_copytruncate(void)
{
	char p[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;
	struct tail_stats st;
	uint64_t ino;
	int w = writer(path);

	put(w, "one\ntwo\n", 8);
	t = open_plain(path);
	ino = inode(path);
	want_str(t, "one", 4, "copytruncate: first line");
	want_str(t, "two", 8, "copytruncate: second line");
	if (ftruncate(w, 0) != 0)
		abort();
	put(w, "x\n", 2);
	want_str(t, "x", 2, "copytruncate: restart at 0 after truncation");
	want_pos(t, ino, 2, "copytruncate: same inode, offset 2");
	put(w, "ab", 2);
	want_none(t, "copytruncate: partial line waits");
	if (ftruncate(w, 0) != 0)
		abort();
	put(w, "cd\n", 3);
	want_str(t, "cd", 3, "copytruncate: partial line before the "
	    "truncation is dropped, not glued to the next one");
	tail_stats(t, &st);
	tap_is_int((long long)st.truncations, 2, "copytruncate: two counted");
	tap_is_int((long long)st.rotations, 0, "copytruncate: no rotation");
	close(w);
	tail_close(t);
	clean();
}

/* Open PATH at POS; returns the tail, note in NOTE. */
static struct tail *
open_at(const char *path, const struct tail_pos *pos, char *note,
    size_t notesz)
{
	struct tail *t;

	if (tail_open(&t, path, pos, note, notesz, err, sizeof(err)) != 0) {
		printf("# tail_open %s: %s\n", path, err);
		abort();
	}
	return t;
}

static void
test_resume_same(void)
{
	char p[512], note[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;
	struct tail_pos pos;

	append(path, "l1\nl2\nl3\n");
	t = open_plain(path);
	want_str(t, "l1", 3, "resume same: l1");
	want_str(t, "l2", 6, "resume same: l2");
	tail_position(t, &pos);
	tail_close(t);
	append(path, "l4\n");
	t = open_at(path, &pos, note, sizeof(note));
	tap_is_str(note, "", "resume same: no note");
	want_pos(t, inode(path), 6, "resume same: position as saved");
	want_str(t, "l3", 9, "resume same: continues with l3, l2 not "
	    "repeated");
	want_str(t, "l4", 12, "resume same: then l4");
	tail_position(t, &pos);
	tail_close(t);
	t = open_at(path, &pos, note, sizeof(note));
	want_none(t, "resume same: at the end exactly: nothing");
	append(path, "l5\n");
	want_str(t, "l5", 15, "resume same: a later line");
	tail_close(t);
	clean();
}

/* Read the first line of "r1\nr2\nr3\n", stop, rotate with new lines. */
static struct tail_pos
stop_and_rotate(const char *path, const char *old)
{
	struct tail *t;
	struct tail_pos pos;

	append(path, "r1\nr2\nr3\n");
	t = open_plain(path);
	want_str(t, "r1", 3, "stopped after r1");
	tail_position(t, &pos);
	tail_close(t);
	if (rename(path, old) != 0)
		abort();
	append(path, "n1\n");
	return pos;
}

static void
test_resume_rotated(void)
{
	char p[512], p1[512], note[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	struct tail_pos pos;
	struct tail_stats st;

	pos = stop_and_rotate(path, old);
	t = open_at(path, &pos, note, sizeof(note));
	tap_is_str(note, "", "resume rotated: PATH.1 found, no note");
	want_pos(t, pos.ino, 3, "resume rotated: position on PATH.1 as "
	    "saved");
	want_str(t, "r2", 6, "resume rotated: rest of PATH.1 first");
	want_str(t, "r3", 9, "resume rotated: last line of PATH.1");
	want_str(t, "n1", 3, "resume rotated: then PATH from 0");
	want_pos(t, inode(path), 3, "resume rotated: on PATH now");
	tail_stats(t, &st);
	tap_is_int((long long)st.rotations, 1, "resume rotated: a rotation");
	tail_close(t);
	clean();
}

static void
test_resume_gone(void)
{
	char p[512], p1[512], note[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	struct tail_pos pos;
	struct tail_stats st;
	int w;

	pos = stop_and_rotate(path, old);
	unlink(old);
	t = open_at(path, &pos, note, sizeof(note));
	tap_ok(strstr(note, path) != NULL && strstr(note, "was rotated") &&
	    strstr(note, "mail.log.1 is gone") &&
	    strstr(note, "offset 3 of the old file were not read"),
	    "resume gone: note says so: %s", note);
	want_str(t, "n1", 3, "resume gone: PATH from 0");
	tail_close(t);
	clean();

	/* rotated twice: PATH.1 is there but it is another file */
	pos = stop_and_rotate(path, old);
	if (rename(path, old) != 0)
		abort();
	append(path, "n2\n");
	t = open_at(path, &pos, note, sizeof(note));
	/* the filesystem may give PATH the inode number of the deleted
	 * file (ext4 and tmpfs do): then only the head hash tells */
	tap_ok(strstr(note, "offset 3 of the old") != NULL &&
	    (strstr(note, "is a newer file") != NULL ||
	    strstr(note, "truncated or replaced") != NULL),
	    "resume: PATH.1 another file: note says so: %s", note);
	want_str(t, "n2", 3, "resume: PATH.1 another file: PATH from 0");
	tail_close(t);
	clean();

	/* PATH and PATH.1 both gone; PATH comes back later */
	pos = stop_and_rotate(path, old);
	unlink(old);
	unlink(path);
	t = open_at(path, &pos, note, sizeof(note));
	tap_ok(strstr(note, "was removed") && strstr(note, "is gone"),
	    "resume: both gone: note says so: %s", note);
	want_pos(t, 0, 0, "resume: both gone: no position yet");
	want_none(t, "resume: both gone: nothing");
	append(path, "back\n");
	want_str(t, "back", 5, "resume: both gone: PATH read once it is "
	    "back");
	tail_close(t);
	clean();

	/* copytruncate while stopped: same inode, shorter */
	append(path, "aaaa\nbbbb\n");
	t = open_plain(path);
	want_str(t, "aaaa", 5, "truncated while stopped: first line");
	want_str(t, "bbbb", 10, "truncated while stopped: second line");
	tail_position(t, &pos);
	tail_close(t);
	if (truncate(path, 0) != 0)
		abort();
	append(path, "c\n");
	t = open_at(path, &pos, note, sizeof(note));
	tap_ok(strstr(note, "was truncated or replaced") != NULL &&
	    strstr(note, "offset 10") != NULL,
	    "truncated while stopped: note says so: %s", note);
	want_str(t, "c", 2, "truncated while stopped: read from 0");
	tail_stats(t, &st);
	tap_is_int((long long)st.truncations, 1,
	    "truncated while stopped: counted");
	tail_close(t);
	clean();

	/* rewritten in place, same inode, same length: the head differs */
	append(path, "aaaa\nbbbb\n");
	t = open_plain(path);
	want_str(t, "aaaa", 5, "rewritten: first line");
	tail_position(t, &pos);
	tail_close(t);
	w = open(path, O_WRONLY | O_CLOEXEC);
	if (w == -1 || pwrite(w, "cccc\ndddd\n", 10, 0) != 10)
		abort();
	close(w);
	t = open_at(path, &pos, note, sizeof(note));
	tap_ok(strstr(note, "truncated or replaced") != NULL,
	    "rewritten while stopped: not taken for the same file: %s",
	    note);
	want_str(t, "cccc", 5, "rewritten while stopped: read from 0");
	tail_close(t);
	/* a position without a head (0) is trusted on dev, ino, offset */
	pos.head = 0;
	t = open_at(path, &pos, note, sizeof(note));
	tap_is_str(note, "", "head 0: no check, no note");
	want_str(t, "dddd", 10, "head 0: resumed at the offset");
	tail_close(t);
	clean();

	/* a zero position (saved before any file existed) is no position */
	memset(&pos, 0, sizeof(pos));
	append(path, "z\n");
	t = open_at(path, &pos, note, sizeof(note));
	tap_is_str(note, "", "zero position: no note");
	want_str(t, "z", 2, "zero position: from the start");
	tail_close(t);
	clean();
}

/* LEN bytes of a recognisable pattern without '\n'. */
static char *
pattern(size_t len, char seed)
{
	char *s = malloc(len ? len : 1);
	size_t i;

	if (s == NULL)
		abort();
	for (i = 0; i < len; i++)
		s[i] = (char)('A' + (seed + i * 7 + i / 251) % 26);
	return s;
}

/* The next line must be cut: first TAIL_LINE_MAX bytes of WANT. */
static void
want_cut(struct tail *t, const char *want, uint64_t offset, const char *name)
{
	const char *line = NULL;
	size_t len = 0;
	int cut = 0, r, ok;
	struct tail_pos pos;

	r = tail_next(t, &line, &len, &cut, err, sizeof(err));
	tail_position(t, &pos);
	ok = r == 1 && cut == 1 && len == TAIL_LINE_MAX &&
	    memcmp(line, want, TAIL_LINE_MAX) == 0 && pos.offset == offset;
	tap_ok(ok, "%s", name);
	if (r != 1)
		printf("# tail_next returned %d (%s)\n", r, r < 0 ? err : "");
	else if (!ok)
		printf("# got %zu bytes, cut %d, position %llu (want %llu)\n",
		    len, cut, (unsigned long long)pos.offset,
		    (unsigned long long)offset);
}

static void
test_long(void)
{
	char p[512], p1[512], note[64];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *old = at(p1, sizeof(p1), "mail.log.1");
	struct tail *t;
	struct tail_stats st;
	struct tail_pos pos;
	size_t huge = 200000, off = 0, i;
	char *a = pattern(TAIL_LINE_MAX, 1);
	char *b = pattern(TAIL_LINE_MAX + 1, 2);
	char *c = pattern(huge, 3);
	int w = writer(path);

	put(w, a, TAIL_LINE_MAX);
	put(w, "\n", 1);
	put(w, b, TAIL_LINE_MAX + 1);
	put(w, "\n", 1);
	put(w, c, huge);
	put(w, "\nshort\n", 7);
	t = open_plain(path);
	off += TAIL_LINE_MAX + 1;
	want_line(t, a, TAIL_LINE_MAX, off, "long: exactly TAIL_LINE_MAX "
	    "bytes is not cut");
	off += TAIL_LINE_MAX + 2;
	want_cut(t, b, off, "long: TAIL_LINE_MAX + 1 bytes is cut");
	off += huge + 1;
	want_cut(t, c, off, "long: a line longer than the whole buffer is "
	    "cut");
	off += 6;
	want_str(t, "short", off, "long: the next line is intact");
	want_none(t, "long: nothing more");

	/* a long line arriving in pieces, and a crash in the middle */
	put(w, c, 5000);
	want_none(t, "long pieces: 5000 bytes, no line yet");
	put(w, c + 5000, 5000);
	want_none(t, "long pieces: over TAIL_LINE_MAX, still no line");
	put(w, c + 10000, 100000);
	want_none(t, "long pieces: 110000 bytes, still no line");
	tail_position(t, &pos);
	tap_is_int((long long)pos.offset, (long long)off,
	    "long pieces: position still before the long line");
	tail_close(t);
	t = open_at(path, &pos, note, sizeof(note));
	for (i = 0; i < 3; i++)
		want_none(t, "long pieces: after a restart, still no line");
	put(w, "\nz\n", 3);
	off += 110001;
	want_cut(t, c, off, "long pieces: the line, once, after the restart");
	off += 2;
	want_str(t, "z", off, "long pieces: then the next");

	/* a long last line without '\n' in a rotated-away file */
	put(w, c, TAIL_LINE_MAX + 10);
	want_none(t, "long partial: waits");
	if (rename(path, old) != 0)
		abort();
	close(w);
	w = writer(path);
	put(w, "new\n", 4);
	off += TAIL_LINE_MAX + 10;
	want_cut(t, c, off, "long partial: handed out cut once rotated away");
	want_str(t, "new", 4, "long partial: then the new file");
	tail_stats(t, &st);
	tap_is_int((long long)st.cut, 2, "long: 2 cut lines counted since "
	    "the restart");
	close(w);
	tail_close(t);
	free(a);
	free(b);
	free(c);
	clean();
}

static void
test_missing(void)
{
	char p[512], p2[512], note[64];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t;

	snprintf(note, sizeof(note), "junk");
	if (tail_open(&t, path, NULL, note, sizeof(note), err,
	    sizeof(err)) != 0)
		abort();
	tap_is_str(note, "", "missing: open succeeds, note cleared");
	want_pos(t, 0, 0, "missing: no position");
	want_none(t, "missing: nothing");
	want_none(t, "missing: still nothing");
	append(path, "hello\n");
	want_str(t, "hello", 6, "missing: the file once it appears");
	want_pos(t, inode(path), 6, "missing: position on it");
	tail_close(t);
	clean();

	/* a missing directory is the same */
	if (tail_open(&t, at(p2, sizeof(p2), "nodir/mail.log"), NULL, NULL, 0,
	    err, sizeof(err)) != 0)
		abort();
	want_none(t, "missing directory: nothing, no error");
	tail_close(t);
}

static void
test_errors(void)
{
	char p[512];
	const char *path = at(p, sizeof(p), "mail.log");
	struct tail *t = NULL;
	char big[5000];
	int r;

	r = tail_open(&t, tmpdir, NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == -1 && t == NULL && strstr(err, "not a regular file"),
	    "a directory is an error: %s", err);
	r = tail_open(&t, "", NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == -1 && strstr(err, "empty"), "an empty name is an error: "
	    "%s", err);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = tail_open(&t, big, NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == -1 && strstr(err, "too long"), "a too long name is an "
	    "error: %s", err);
	if (geteuid() == 0) {
		tap_ok(1, "# SKIP permission test as root");
		return;
	}
	append(path, "x\n");
	chmod(path, 0);
	r = tail_open(&t, path, NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == -1 && strstr(err, "Permission denied") &&
	    strstr(err, "group"), "unreadable: error with a hint: %s", err);
	clean();
}

/* A symbolic link at PATH is refused, at the start and after rotation. */
static void
test_symlink(void)
{
	char p[512], rp[512], op[512];
	const char *path = at(p, sizeof(p), "mail.log");
	const char *real = at(rp, sizeof(rp), "real.log");
	const char *other = at(op, sizeof(op), "other.log");
	struct tail *t = NULL;
	const char *line;
	size_t len;
	int r, cut;

	append(real, "a\n");
	if (symlink(real, path) != 0)
		abort();
	r = tail_open(&t, path, NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == -1 && t == NULL && strstr(err, "symbolic link") &&
	    strstr(err, real) && strstr(err, "log_source"),
	    "a link at PATH is refused, naming its target and the fix: %s",
	    err);
	unlink(path);

	append(path, "b\n");
	append(other, "c\n");
	r = tail_open(&t, path, NULL, NULL, 0, err, sizeof(err));
	tap_ok(r == 0 && tail_next(t, &line, &len, &cut, err,
	    sizeof(err)) == 1 && len == 1 && line[0] == 'b', "a real file "
	    "is followed");
	if (rename(path, at(rp, sizeof(rp), "mail.log.1")) != 0 ||
	    symlink(other, path) != 0)
		abort();
	r = tail_next(t, &line, &len, &cut, err, sizeof(err));
	tap_ok(r == -1 && strstr(err, "symbolic link"), "a link put at PATH "
	    "by a rotation is refused: %s", err);
	tail_close(t);
	clean();
}

/* --- property test -------------------------------------------------- */

/* xorshift64*: reproducible from the seed alone. */
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/* 0..n-1 */
static size_t
below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* Byte J of the line with seed S: any byte but '\n', NUL included. */
static char
line_byte(uint64_t s, size_t j)
{
	uint64_t x = s + j * 0x9e3779b97f4a7c15ULL;
	unsigned char c;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	c = (unsigned char)x;
	if (s & 1)		/* half the lines printable, like logs */
		c = (unsigned char)(' ' + c % 95);
	return c == '\n' ? 'N' : (char)c;
}

struct pline {
	uint64_t seed, ino, end;	/* end: offset after '\n' in file ino */
	size_t len;
};

struct prop {
	const char *path, *old, *old2;
	struct pline *lines;
	size_t nlines, cap;		/* lines[nlines-1] may be unfinished */
	size_t done;			/* bytes of the unfinished line written */
	int open_line;			/* lines[nlines-1] is unfinished */
	int w;				/* writer's fd */
	uint64_t wino, woff, dev;
	int rotated, style;		/* renamed, writer not yet reopened */
	struct tail *t;
	size_t nrecv, committed;
	struct tail_pos cpos;
	int failed;
	/* how much of each thing happened, to prove the test covered it */
	unsigned long rot[3], crashes, resumes_old, cuts, waits, lines_out;
};

/* Start a new line of random length. */
static void
prop_new_line(struct prop *pr)
{
	struct pline *l;
	size_t k = below(1000);

	if (pr->nlines == pr->cap) {
		pr->cap = pr->cap ? pr->cap * 2 : 256;
		pr->lines = realloc(pr->lines, pr->cap * sizeof(*pr->lines));
		if (pr->lines == NULL)
			abort();
	}
	l = &pr->lines[pr->nlines++];
	l->seed = rnd();
	if (k < 700)
		l->len = below(81);
	else if (k < 940)
		l->len = 80 + below(1000);
	else if (k < 985)
		l->len = TAIL_LINE_MAX - 2 + below(5);
	else
		l->len = TAIL_LINE_MAX + below(3 * 73728);
	pr->done = 0;
	pr->open_line = 1;
}

/* Write the next piece of the stream: part of a line, maybe its end. */
static void
prop_write(struct prop *pr, size_t max)
{
	char buf[4096];
	struct pline *l;
	size_t n, i, left;

	if (!pr->open_line)
		prop_new_line(pr);
	l = &pr->lines[pr->nlines - 1];
	left = l->len + 1 - pr->done;
	n = 1 + below(max);
	if (n > left)
		n = left;
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		for (i = 0; i < k; i++)
			buf[i] = pr->done + i == l->len ? '\n' :
			    line_byte(l->seed, pr->done + i);
		put(pr->w, buf, k);
		pr->done += k;
		pr->woff += k;
		n -= k;
	}
	if (pr->done == l->len + 1) {
		l->ino = pr->wino;
		l->end = pr->woff;
		pr->open_line = 0;
	}
}

/* The writer (re)opens PATH: syslog after its HUP. */
static void
prop_reopen_writer(struct prop *pr)
{
	struct stat sb;

	if (pr->w != -1)
		close(pr->w);
	pr->w = writer(pr->path);
	if (fstat(pr->w, &sb) != 0)
		abort();
	pr->wino = (uint64_t)sb.st_ino;
	pr->woff = (uint64_t)sb.st_size;
	pr->dev = (uint64_t)sb.st_dev;
}

/* Record a failure once, with what the seed needs to reproduce it. */
static void
prop_fail(struct prop *pr, uint64_t seed, const char *what)
{
	if (pr->failed)
		return;
	pr->failed = 1;
	printf("# seed %llu, after %zu lines handed out: %s\n",
	    (unsigned long long)seed, pr->nrecv, what);
}

/* Check one line handed out against the next line written. */
static void
prop_check(struct prop *pr, uint64_t seed, const char *line, size_t len,
    int cut)
{
	struct pline *l;
	struct tail_pos pos;
	size_t want, j;

	if (pr->nrecv >= pr->nlines - (pr->open_line ? 1 : 0)) {
		prop_fail(pr, seed, "a line that was never written");
		return;
	}
	l = &pr->lines[pr->nrecv];
	want = l->len > TAIL_LINE_MAX ? TAIL_LINE_MAX : l->len;
	if (len != want || cut != (l->len > TAIL_LINE_MAX)) {
		printf("# len %zu cut %d, want len %zu of %zu\n", len, cut,
		    want, l->len);
		prop_fail(pr, seed, "wrong length or cut flag");
		return;
	}
	for (j = 0; j < len; j++)
		if (line[j] != line_byte(l->seed, j)) {
			prop_fail(pr, seed, "wrong bytes");
			return;
		}
	tail_position(pr->t, &pos);
	if (pos.dev != pr->dev || pos.ino != l->ino || pos.offset != l->end) {
		printf("# position ino %llu offset %llu, want %llu %llu\n",
		    (unsigned long long)pos.ino,
		    (unsigned long long)pos.offset,
		    (unsigned long long)l->ino, (unsigned long long)l->end);
		prop_fail(pr, seed, "wrong position after a line");
		return;
	}
	pr->nrecv++;
	pr->lines_out++;
	if (cut)
		pr->cuts++;
}

/* Call tail_next up to N times. */
static void
prop_read(struct prop *pr, uint64_t seed, size_t n)
{
	const char *line;
	size_t len;
	int cut, r;

	while (n-- > 0 && !pr->failed) {
		r = tail_next(pr->t, &line, &len, &cut, err, sizeof(err));
		if (r < 0) {
			printf("# %s\n", err);
			prop_fail(pr, seed, "tail_next failed");
		} else if (r == 0) {
			if (pr->open_line && pr->done > 0)
				pr->waits++;
			return;
		} else
			prop_check(pr, seed, line, len, cut);
	}
}

/* Reopen the follower from the committed position. */
static void
prop_open(struct prop *pr, uint64_t seed)
{
	char note[TAIL_ERR_MAX];
	struct tail_pos pos;

	if (tail_open(&pr->t, pr->path, &pr->cpos, note, sizeof(note), err,
	    sizeof(err)) != 0) {
		printf("# %s\n", err);
		prop_fail(pr, seed, "tail_open failed");
		return;
	}
	if (note[0] != '\0') {
		printf("# note: %s\n", note);
		prop_fail(pr, seed, "a note on resume: lines were lost");
	}
	tail_position(pr->t, &pos);
	if (pr->cpos.ino != 0 && memcmp(&pos, &pr->cpos, sizeof(pos)) != 0)
		prop_fail(pr, seed, "position after resume is not the saved "
		    "one");
	if (pr->cpos.ino != inode(pr->path))
		pr->resumes_old++;
}

/* Rename the log away in one of three styles. */
static void
prop_rotate(struct prop *pr)
{
	pr->style = (int)below(3);
	if (pr->style == 1 && inode(pr->old) != 0 &&
	    rename(pr->old, pr->old2) != 0)
		abort();
	if (rename(pr->path, pr->old) != 0)
		abort();
	if (pr->style != 2)	/* logrotate's create; nocreate leaves none */
		close(writer(pr->path));
	pr->rotated = 1;
	pr->rot[pr->style]++;
}

/* May the log be rotated now without losing lines? Only when both the
 * follower and its committed position are on the current file. */
static int
prop_can_rotate(struct prop *pr)
{
	struct tail_pos pos;

	if (pr->rotated || pr->cpos.ino != pr->wino)
		return 0;
	if (pr->t == NULL)
		return 1;
	tail_position(pr->t, &pos);
	return pos.ino == pr->wino;
}

/* One seed: a random schedule, then everything must have come out. */
static int
prop_run(uint64_t seed, struct prop *pr, const char *path, const char *old,
    const char *old2)
{
	size_t op, k;
	int spins;

	memset(pr, 0, sizeof(*pr));
	pr->path = path;
	pr->old = old;
	pr->old2 = old2;
	pr->w = -1;
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	prop_reopen_writer(pr);
	prop_open(pr, seed);	/* cpos is all zero: from the start */
	tail_position(pr->t, &pr->cpos);
	for (op = 0; op < 3000 && !pr->failed; op++) {
		k = below(100);
		if (pr->t == NULL) {
			if (k < 30)
				prop_open(pr, seed);
			else if (k < 90)
				prop_write(pr, 200);
			else if (k < 95 && prop_can_rotate(pr))
				prop_rotate(pr);
			else if (pr->rotated && !pr->open_line) {
				prop_reopen_writer(pr);
				pr->rotated = 0;
			}
		} else if (k < 40)
			prop_write(pr, k < 5 ? 70000 : 300);
		else if (k < 75)
			prop_read(pr, seed, 1 + below(8));
		else if (k < 85) {
			pr->committed = pr->nrecv;
			tail_position(pr->t, &pr->cpos);
		} else if (k < 88) {
			tail_close(pr->t);
			pr->t = NULL;
			pr->nrecv = pr->committed;
			pr->crashes++;
		} else if (k < 93 && prop_can_rotate(pr))
			prop_rotate(pr);
		else if (pr->rotated && !pr->open_line) {
			prop_reopen_writer(pr);	/* the HUP */
			pr->rotated = 0;
		}
	}
	/* finish: the writer ends its line and reopens, the follower reads
	 * until it has nothing */
	while (pr->open_line)
		prop_write(pr, 70000);
	if (pr->rotated) {
		prop_reopen_writer(pr);
		pr->rotated = 0;
	}
	if (pr->t == NULL && !pr->failed)
		prop_open(pr, seed);
	for (spins = 0; spins < 1000 && !pr->failed &&
	    pr->nrecv < pr->nlines; spins++)
		prop_read(pr, seed, 1000);
	if (!pr->failed && pr->nrecv != pr->nlines) {
		printf("# %zu of %zu lines handed out\n", pr->nrecv,
		    pr->nlines);
		prop_fail(pr, seed, "lines missing at the end");
	}
	if (!pr->failed)
		prop_read(pr, seed, 1);	/* and nothing more */
	if (pr->t != NULL)
		tail_close(pr->t);
	close(pr->w);
	free(pr->lines);
	clean();
	return !pr->failed;
}

static void
test_property(void)
{
	char p[512], p1[512], p2[512];
	const char *env = getenv("TLSPIN_TAIL_SEED");
	uint64_t first = 1, last = 40, s;
	unsigned long rot[3] = { 0 }, crashes = 0, resumes = 0, cuts = 0;
	unsigned long waits = 0, lines = 0;
	struct prop pr;
	int ok = 1;

	if (env != NULL && *env != '\0')
		first = last = strtoull(env, NULL, 10);
	at(p, sizeof(p), "mail.log");
	at(p1, sizeof(p1), "mail.log.1");
	at(p2, sizeof(p2), "mail.log.2");
	for (s = first; s <= last; s++) {
		if (!prop_run(s, &pr, p, p1, p2))
			ok = 0;
		rot[0] += pr.rot[0];
		rot[1] += pr.rot[1];
		rot[2] += pr.rot[2];
		crashes += pr.crashes;
		resumes += pr.resumes_old;
		cuts += pr.cuts;
		waits += pr.waits;
		lines += pr.lines_out;
	}
	tap_ok(ok, "property: seeds %llu..%llu: every line exactly once, "
	    "in order, at its position", (unsigned long long)first,
	    (unsigned long long)last);
	printf("# %lu lines out, rotations %lu/%lu/%lu, %lu crashes, %lu "
	    "resumes on the rotated file, %lu cut, %lu waits on a partial "
	    "line\n", lines, rot[0], rot[1], rot[2], crashes, resumes, cuts,
	    waits);
	if (first == last)
		return;
	tap_ok(rot[0] > 0 && rot[1] > 0 && rot[2] > 0,
	    "property: all three rotation styles happened");
	tap_ok(crashes > 0 && resumes > 0,
	    "property: crashes, some resumed on the rotated file");
	tap_ok(cuts > 0 && waits > 0,
	    "property: cut lines and partial lines happened");
}

int
main(void)
{
	const char *base = getenv("TMPDIR");
	int rc;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/tlspin-tail.XXXXXX",
	    base) >= (int)sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot make a temporary directory in %s\n",
		    base);
		return 99;
	}
	test_plain();
	test_pieces();
	test_empty_nul();
	test_rotate();
	test_rotate_race();
	test_rotate_nocreate();
	test_copytruncate();
	test_resume_same();
	test_resume_rotated();
	test_resume_gone();
	test_long();
	test_missing();
	test_errors();
	test_symlink();
	test_property();
	clean();
	rc = rmdir(tmpdir);
	tap_ok(rc == 0, "temporary directory removed");
	return tap_done();
}
