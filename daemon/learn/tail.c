/*
 * NAME
 *	tail - follow a log file line by line across rotation and restarts
 * SYNOPSIS
 *	#include "tail.h"
 *
 *	int tail_open(out, path, resume, note, notesz, err, errsz)
 *	int tail_next(t, line, len, cut, err, errsz)
 *	void tail_position(t, pos)
 *	void tail_stats(t, st)
 *	void tail_close(t)
 * DESCRIPTION
 *	The learner reads the log file Postfix writes to (/var/log/mail.log)
 *	and commits what it learned together with tail_position(): the file
 *	(device, inode) and the byte offset just after the last line handed
 *	out. Reopened with that position after a crash or a restart, tail
 *	goes on with the next line: none skipped, none repeated.
 *
 *	Rename+create rotation (logrotate's default, savelog): at the end of
 *	the file we stat PATH. When it is another file that already holds
 *	data, the file we have open is read to its true end (the writer may
 *	have added lines after the rename), a last line without '\n' is
 *	handed out as it is, and PATH is read from offset 0. While the new
 *	PATH is still empty or missing we stay on the old file: until syslog
 *	reopens its files (the postrotate HUP) it keeps appending to the
 *	renamed one, and only after that does the new file get data. Waiting
 *	costs nothing; switching early would lose those lines.
 *
 *	copytruncate: PATH is still our file but shorter than what we read.
 *	We start again at 0. Lines written between the copy and the
 *	truncation are lost; that is inherent in copytruncate. A file that
 *	was truncated and grew past our offset again before we looked cannot
 *	be told from one that only grew.
 *
 *	Resume (tail_open with a position): if PATH is still that file and at
 *	least that long, continue there. If PATH is another file, the old one
 *	is looked for as PATH.1 and read from the offset first, then PATH
 *	from 0. If it cannot be found, PATH is read from 0 and NOTE says, in
 *	a sentence for the admin, which lines were not read. "That file"
 *	means the same device and inode and the same first bytes (the
 *	position's head hash): a filesystem hands the inode number of a
 *	deleted rotated file to the next file it creates, and seeking into
 *	that one would skip its first lines without a word.
 *
 *	A missing PATH is not an error: tail_next returns 0 until it exists.
 *	A symbolic link at PATH (or PATH.1) is: files are opened with
 *	O_NOFOLLOW, since whoever can write the link's directory could
 *	aim the learner, perhaps root, at any file; the error names the
 *	link, its target and the fix (name the real file).
 *	A line without '\n' at the end of the file is kept until the rest
 *	arrives, since syslog may write one line in more than one write(2).
 *
 *	Bounds: one buffer of TAIL_CHUNK + TAIL_LINE_MAX bytes, filled by
 *	read(2). A line longer than TAIL_LINE_MAX comes out once, as its
 *	first TAIL_LINE_MAX bytes with *cut set, after the rest of it has
 *	been read past, so the position is always at a line boundary.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "tail.h"

#define TAIL_CHUNK 65536	/* one read(2) */
#define TAIL_BUFSZ (TAIL_CHUNK + TAIL_LINE_MAX)
#define TAIL_PATH_MAX 4096
#define TAIL_HEAD 1024		/* first bytes that identify a file */
#define TAIL_FNV_BASIS 0xcbf29ce484222325ULL	/* hash of nothing */
#define TAIL_FNV_PRIME 0x100000001b3ULL

_Static_assert(TAIL_HEAD <= TAIL_LINE_MAX, "a cut line keeps the head bytes");

struct tail {
	int fd;			/* the file being read; -1 while there is none */
	uint64_t dev, ino;	/* of fd, or of the position when fd is -1 */
	uint64_t off;		/* just after the last line handed out */
	uint64_t head;		/* hash of bytes [0, min(off, TAIL_HEAD)) */
	uint64_t rdoff;		/* bytes of fd read into buf so far */
	size_t start, end;	/* unread bytes: buf[start..end) */
	int skipping;		/* buf[0..TAIL_LINE_MAX) holds a long line */
	uint64_t cutlen;	/* bytes of that long line seen so far */
	int final;		/* fd was rotated away: read it to its end */
	int drained;		/* ... and its end was reached */
	struct tail_stats st;
	char path[TAIL_PATH_MAX];
	char old[TAIL_PATH_MAX + 2];	/* PATH.1 */
	char buf[TAIL_BUFSZ];
};

/* What the admin can do about an errno from open or read. */
static const char *
tail_hint(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return " (tlspind must be able to read the log: add its user "
		    "to the group that owns it, e.g. adm)";
	case ELOOP:
	case ENOTDIR:
	case ENAMETOOLONG:
		return " (check the log file setting)";
	default:
		return "";
	}
}

/* Forget the buffered bytes and the state of the current file's end. */
static void
tail_reset(struct tail *t)
{
	t->start = t->end = 0;
	t->skipping = 0;
	t->cutlen = 0;
	t->final = t->drained = 0;
}

/* FNV-1a over N bytes, continuing from H. */
static uint64_t
tail_hash(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= TAIL_FNV_PRIME;
	}
	return h;
}

/* Read FD from OFFSET (HEAD: hash up to there) on; the position moves
 * there. */
static void
tail_attach(struct tail *t, int fd, const struct stat *sb, uint64_t offset,
    uint64_t head)
{
	if (t->fd != -1)
		close(t->fd);
	t->fd = fd;
	t->dev = (uint64_t)sb->st_dev;
	t->ino = (uint64_t)sb->st_ino;
	t->off = t->rdoff = offset;
	t->head = head;
	tail_reset(t);
}

/*
 * Hash of FD's first min(OFFSET, TAIL_HEAD) bytes into *head. 0 when the
 * file is shorter than that, -1 with ERR.
 */
static int
tail_head_of(int fd, const char *name, uint64_t offset, uint64_t *head,
    char *err, size_t errsz)
{
	char b[TAIL_HEAD];
	size_t want = offset < TAIL_HEAD ? (size_t)offset : TAIL_HEAD, got = 0;
	ssize_t n;
	int e;

	while (got < want) {
		n = pread(fd, b + got, want - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			errbuf_printf(err, errsz, "cannot read log file %s: "
			    "%s%s", name, strerror(e), tail_hint(e));
			return -1;
		}
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	*head = tail_hash(TAIL_FNV_BASIS, b, want);
	return 1;
}

/* The error for NAME, a symbolic link that open refused to follow. */
static void
tail_link_error(const char *name, char *err, size_t errsz)
{
	char target[TAIL_PATH_MAX];
	ssize_t n;

	n = readlink(name, target, sizeof(target) - 1);
	if (n < 0)
		n = 0;
	target[n] = '\0';
	errbuf_printf(err, errsz, "log file %s is a symbolic link to %s: "
	    "tlspind does not follow links, since whoever can write the "
	    "link's directory could make it read any file (set log_source "
	    "to the file syslog writes, e.g. log_source = file:%s)", name,
	    n > 0 ? target : "(unreadable)", n > 0 && target[0] == '/' ?
	    target : "/var/log/mail.log");
}

/*
 * Open NAME for reading, never through a symbolic link. The fd, or -1
 * when NAME does not exist (no error), or -2 with ERR.
 */
static int
tail_openfile(const char *name, struct stat *sb, char *err, size_t errsz)
{
	int fd, e;

	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd == -1) {
		e = errno;
		if (e == ENOENT)
			return -1;
		if (e == ELOOP && lstat(name, sb) == 0 &&
		    S_ISLNK(sb->st_mode)) {
			tail_link_error(name, err, errsz);
			return -2;
		}
		errbuf_printf(err, errsz, "cannot open log file %s: %s%s", name,
		    strerror(e), tail_hint(e));
		return -2;
	}
	if (fstat(fd, sb) == -1) {
		e = errno;
		close(fd);
		errbuf_printf(err, errsz, "cannot stat log file %s: %s", name,
		    strerror(e));
		return -2;
	}
	if (!S_ISREG(sb->st_mode)) {
		close(fd);
		errbuf_printf(err, errsz, "log file %s is not a regular file "
		    "(check the log file setting)", name);
		return -2;
	}
	return fd;
}

/* Start reading PATH from 0. 1: open, 0: PATH does not exist, -1: ERR. */
static int
tail_start(struct tail *t, char *err, size_t errsz)
{
	struct stat sb;
	int fd;

	fd = tail_openfile(t->path, &sb, err, errsz);
	if (fd < 0)
		return fd == -1 ? 0 : -1;
	tail_attach(t, fd, &sb, 0, TAIL_FNV_BASIS);
	return 1;
}

/* Whether SB is the file of position P. */
static int
tail_same(const struct stat *sb, uint64_t dev, uint64_t ino)
{
	return (uint64_t)sb->st_dev == dev && (uint64_t)sb->st_ino == ino;
}

/*
 * Open NAME and seek to P's offset if it is P's file. 1: attached. 0:
 * not that file: missing or another inode (*changed = 0), or the same
 * inode but shorter or with other first bytes (*changed = 1). -1: ERR.
 */
static int
tail_seek(struct tail *t, const char *name, const struct tail_pos *p,
    int *changed, char *err, size_t errsz)
{
	struct stat sb;
	uint64_t head = 0;
	int fd, e, r;

	*changed = 0;
	fd = tail_openfile(name, &sb, err, errsz);
	if (fd == -2)
		return -1;
	if (fd == -1)
		return 0;
	if (!tail_same(&sb, p->dev, p->ino)) {
		close(fd);
		return 0;
	}
	r = (uint64_t)sb.st_size < p->offset ? 0 :
	    tail_head_of(fd, name, p->offset, &head, err, errsz);
	if (r < 0) {
		close(fd);
		return -1;
	}
	if (r == 0 || (p->head != 0 && head != p->head)) {
		close(fd);
		*changed = 1;
		return 0;
	}
	if (lseek(fd, (off_t)p->offset, SEEK_SET) == (off_t)-1) {
		e = errno;
		close(fd);
		errbuf_printf(err, errsz, "cannot seek in log file %s: %s",
		    name, strerror(e));
		return -1;
	}
	tail_attach(t, fd, &sb, p->offset, head);
	return 1;
}

/*
 * Continue at a saved position, as the file header describes. NOTE gets
 * a sentence when lines could not be read.
 */
static int
tail_resume(struct tail *t, const struct tail_pos *p, char *note,
    size_t notesz, char *err, size_t errsz)
{
	struct stat sb;
	int r, changed, path_exists, old_exists;

	r = tail_seek(t, t->path, p, &changed, err, errsz);
	if (r != 0)
		return r;
	if (changed) {
		/* copytruncate while we were stopped, or the inode number
		 * of our deleted file given to a new one; a copy has
		 * another inode, so nothing says which file holds the rest */
		t->st.truncations++;
		errbuf_printf(note, notesz, "%s was truncated or replaced "
		    "while tlspind was stopped; it is read again from the "
		    "start and lines after offset %llu of the old content "
		    "were not read", t->path, (unsigned long long)p->offset);
		return tail_start(t, err, errsz) < 0 ? -1 : 0;
	}
	r = tail_seek(t, t->old, p, &changed, err, errsz);
	if (r != 0)
		return r;
	path_exists = stat(t->path, &sb) == 0;
	old_exists = stat(t->old, &sb) == 0;
	errbuf_printf(note, notesz, "%s %s while tlspind was stopped and %s "
	    "%s; lines after offset %llu of the old file were not read",
	    t->path, path_exists ? "was rotated" : "was removed", t->old,
	    old_exists ? "is a newer file (rotated more than once?)" : "is "
	    "gone", (unsigned long long)p->offset);
	return tail_start(t, err, errsz) < 0 ? -1 : 0;
}

/* Read more of fd into buf. Bytes read, 0 at the end, -1 with ERR. */
static ssize_t
tail_fill(struct tail *t, char *err, size_t errsz)
{
	size_t lo = t->skipping ? TAIL_LINE_MAX : 0;
	ssize_t n;
	int e;

	/* keep the unfinished line, at most TAIL_LINE_MAX bytes (more
	 * makes it a long line), so a whole chunk always fits after it */
	if (t->start > lo) {
		memmove(t->buf + lo, t->buf + t->start, t->end - t->start);
		t->end -= t->start - lo;
		t->start = lo;
	}
	do
		n = read(t->fd, t->buf + t->end, sizeof(t->buf) - t->end);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		e = errno;
		errbuf_printf(err, errsz, "cannot read log file %s: %s%s",
		    t->path, strerror(e), tail_hint(e));
		return -1;
	}
	t->end += (size_t)n;
	t->rdoff += (uint64_t)n;
	return n;
}

/*
 * Hand out LEN bytes at P as a line that took N bytes of the file (its
 * '\n' included, and for a cut line the part not kept).
 */
static int
tail_emit(struct tail *t, const char *p, size_t len, uint64_t n,
    const char **line, size_t *linelen)
{
	uint64_t i;
	char c;

	/* the head hash grows with the lines handed out; TAIL_HEAD <
	 * TAIL_LINE_MAX, so the bytes it needs were all kept */
	for (i = 0; i < n && t->off + i < TAIL_HEAD; i++) {
		c = i < len ? p[i] : '\n';
		t->head = tail_hash(t->head, &c, 1);
	}
	t->off += n;
	t->st.lines++;
	*line = p;
	*linelen = len;
	return 1;
}

/* Hand out the long line held at the start of buf. */
static int
tail_emit_cut(struct tail *t, const char **line, size_t *len, int *cut)
{
	uint64_t n = t->cutlen;

	*cut = 1;
	t->skipping = 0;
	t->cutlen = 0;
	t->st.cut++;
	return tail_emit(t, t->buf, TAIL_LINE_MAX, n, line, len);
}

/* Read past the rest of a long line; hand it out once its end is seen. */
static int
tail_take_cut(struct tail *t, const char **line, size_t *len, int *cut)
{
	char *p = t->buf + t->start, *nl;
	size_t n = t->end - t->start, k;

	nl = memchr(p, '\n', n);
	if (nl == NULL) {
		t->cutlen += n;
		t->start = t->end = TAIL_LINE_MAX;
		/* a rotated-away file ends here: what we have is the line */
		return t->drained ? tail_emit_cut(t, line, len, cut) : 0;
	}
	k = (size_t)(nl - p) + 1;
	t->cutlen += k;
	t->start += k;
	return tail_emit_cut(t, line, len, cut);
}

/* The next line in buf, if there is one. 1: *line set, 0: need more. */
static int
tail_take(struct tail *t, const char **line, size_t *len, int *cut)
{
	char *p = t->buf + t->start, *nl;
	size_t n = t->end - t->start, k;

	if (t->skipping)
		return tail_take_cut(t, line, len, cut);
	nl = memchr(p, '\n', n);
	k = nl != NULL ? (size_t)(nl - p) : n;
	if (k > TAIL_LINE_MAX) {
		/* keep the first TAIL_LINE_MAX bytes at buf[0]; the rest of
		 * buf then serves to read past the remainder of the line */
		memmove(t->buf, p, TAIL_LINE_MAX);
		t->start += TAIL_LINE_MAX;
		t->cutlen = TAIL_LINE_MAX;
		t->skipping = 1;
		return tail_take_cut(t, line, len, cut);
	}
	if (nl == NULL && (n == 0 || !t->drained))
		return 0;
	*cut = 0;
	/* a line without '\n' (the end of a rotated-away file) moves
	 * the position to that end and no further */
	t->start += nl != NULL ? k + 1 : k;
	return tail_emit(t, p, k, nl != NULL ? k + 1 : k, line, len);
}

/*
 * At the end of fd: has PATH been rotated or truncated? 1: something
 * changed (go on reading), 0: nothing new, -1: ERR.
 */
static int
tail_check(struct tail *t, char *err, size_t errsz)
{
	struct stat sb;
	int e;

	/* lstat: a link put at PATH is another file, refused on opening */
	if (lstat(t->path, &sb) == -1) {
		e = errno;
		if (e == ENOENT)
			return 0;	/* renamed, not yet created */
		errbuf_printf(err, errsz, "cannot stat log file %s: %s%s",
		    t->path, strerror(e), tail_hint(e));
		return -1;
	}
	if (tail_same(&sb, t->dev, t->ino)) {
		if ((uint64_t)sb.st_size >= t->rdoff)
			return 0;
		if (lseek(t->fd, 0, SEEK_SET) == (off_t)-1) {
			e = errno;
			errbuf_printf(err, errsz, "cannot seek in log file "
			    "%s: %s", t->path, strerror(e));
			return -1;
		}
		t->off = t->rdoff = 0;
		t->head = TAIL_FNV_BASIS;
		tail_reset(t);
		t->st.truncations++;
		return 1;
	}
	if (sb.st_size == 0)
		return 0;	/* the writer is still on the old file */
	t->final = 1;
	return 1;
}

/* The old file is read to its end: go on with PATH from 0. */
static int
tail_switch(struct tail *t, char *err, size_t errsz)
{
	close(t->fd);
	t->fd = -1;
	tail_reset(t);
	t->st.rotations++;
	/* if PATH vanished again, the position stays at the old file's
	 * end, which a resume finds as PATH.1 */
	return tail_start(t, err, errsz);
}

/* Open PATH, at RESUME when given; see tail.h. */
int
tail_open(struct tail **out, const char *path, const struct tail_pos *resume,
    char *note, size_t notesz, char *err, size_t errsz)
{
	struct tail *t;
	size_t n;
	int r;

	*out = NULL;
	if (note != NULL && notesz > 0)
		note[0] = '\0';
	n = path != NULL ? strlen(path) : 0;
	if (n == 0 || n >= TAIL_PATH_MAX) {
		errbuf_printf(err, errsz, "log file name is %s (check the log "
		    "file setting)", n == 0 ? "empty" : "too long");
		return -1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		errbuf_printf(err, errsz, "cannot follow %s: out of memory",
		    path);
		return -1;
	}
	t->fd = -1;
	memcpy(t->path, path, n + 1);
	memcpy(t->old, path, n);
	memcpy(t->old + n, ".1", 3);
	/* an all-zero position is one taken before any file existed */
	if (resume != NULL && (resume->dev != 0 || resume->ino != 0))
		r = tail_resume(t, resume, note, notesz, err, errsz);
	else
		r = tail_start(t, err, errsz);
	if (r < 0) {
		tail_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* The next complete line; see tail.h. */
int
tail_next(struct tail *t, const char **line, size_t *len, int *cut,
    char *err, size_t errsz)
{
	ssize_t n;
	int r;

	for (;;) {
		if (tail_take(t, line, len, cut))
			return 1;
		if (t->drained) {
			if ((r = tail_switch(t, err, errsz)) <= 0)
				return r;
			continue;
		}
		if (t->fd == -1) {
			if ((r = tail_start(t, err, errsz)) <= 0)
				return r;
			continue;
		}
		if ((n = tail_fill(t, err, errsz)) < 0)
			return -1;
		if (n > 0)
			continue;
		if (t->final) {
			t->drained = 1;
			continue;
		}
		if ((r = tail_check(t, err, errsz)) <= 0)
			return r;
	}
}

/* Where the next line starts. */
void
tail_position(const struct tail *t, struct tail_pos *pos)
{
	pos->dev = t->dev;
	pos->ino = t->ino;
	pos->offset = t->off;
	pos->head = t->ino != 0 ? t->head : 0;
}

/* Counters since tail_open. */
void
tail_stats(const struct tail *t, struct tail_stats *st)
{
	*st = t->st;
}

/* Close the file and free T (NULL is fine). */
void
tail_close(struct tail *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	free(t);
}
