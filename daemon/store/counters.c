/*
 * NAME
 *	counters - tlspind's counters file in the store directory
 * SYNOPSIS
 *	#include "counters.h"
 *
 *	int counters_check(buf, len, why)
 *	int counters_save(dir, text, len, err, errsz)
 *	enum counters_status counters_load(dir, buf, bufsz, len, err, errsz)
 * DESCRIPTION
 *	The process that answers Postfix keeps its counters (requests, ok,
 *	notfound, ...) in a small text file, COUNTERS_FILE, next to the
 *	LMDB files, for "tlspin stats". Not in LMDB: a write transaction
 *	would wait for LMDB's one write lock, which "tlspin import" or the
 *	learner can hold for seconds, and no lookup is answered while the
 *	process waits. A file written to a temporary name and renamed costs
 *	no lock and a reader never sees half of it. There is no fsync: the
 *	counters are a figure to look at, saved again every COUNTERS_EVERY
 *	seconds, not data to keep across a crash.
 *
 *	The text is lines "name=value" (saved=, mode=, clients=, requests=,
 *	...). counters_check() is the pure check of a file's bytes before
 *	they reach a terminal: lines of a name in [a-z_] and printable ASCII
 *	after "=", each ended by a newline, at most COUNTERS_MAX bytes.
 *
 *	counters_load() tells apart a file that is there (COUNTERS_OK), one
 *	that is not (COUNTERS_ABSENT: tlspind has not run on this store) and
 *	one that cannot be read or is damaged (COUNTERS_ERROR, with err).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"

#define COUNTERS_PATH_MAX 4200

/* 1 if buf[0..len) is lines "name=value\n"; else 0 with why. */
int
counters_check(const char *buf, size_t len, const char **why)
{
	size_t i, name = 0;
	int value = 0;

	if (len > COUNTERS_MAX) {
		*why = "longer than a counters file can be";
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			if (!value) {
				*why = "a line is not name=value";
				return 0;
			}
			name = 0;
			value = 0;
		} else if (value) {
			if (ch < 0x20 || ch > 0x7e) {
				*why = "a value holds a byte that is not "
				    "printable ASCII";
				return 0;
			}
		} else if (ch == '=' && name > 0) {
			value = 1;
		} else if ((ch >= 'a' && ch <= 'z') || ch == '_') {
			name++;
		} else {
			*why = "a name holds a byte other than a-z and _";
			return 0;
		}
	}
	if (name > 0 || value) {
		*why = "the last line has no newline (cut short)";
		return 0;
	}
	return 1;
}

/* dir/COUNTERS_FILE plus suffix into path; 0 if it does not fit. */
static int
counters_path(char *path, size_t pathsz, const char *dir, const char *suffix)
{
	int n = snprintf(path, pathsz, "%s/%s%s", dir, COUNTERS_FILE, suffix);

	return n > 0 && (size_t)n < pathsz;
}

/* Write all of buf to fd; 0 with errno set on failure. */
static int
counters_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return 0;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 1;
}

/* Replace the counters file in dir with text; see the file header. */
int
counters_save(const char *dir, const char *text, size_t len, char *err,
    size_t errsz)
{
	char tmp[COUNTERS_PATH_MAX], path[COUNTERS_PATH_MAX];
	int fd, ok;

	if (!counters_path(tmp, sizeof(tmp), dir, ".tmp") ||
	    !counters_path(path, sizeof(path), dir, "")) {
		snprintf(err, errsz, "store path is too long: %s", dir);
		return 0;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd < 0) {
		snprintf(err, errsz, "cannot write %s: %s (the store "
		    "directory must be writable by tlspind's user)", tmp,
		    strerror(errno));
		return 0;
	}
	ok = counters_write_all(fd, text, len);
	if (!ok)
		snprintf(err, errsz, "cannot write %s: %s", tmp,
		    strerror(errno));
	if (close(fd) != 0 && ok) {
		snprintf(err, errsz, "cannot write %s: %s", tmp,
		    strerror(errno));
		ok = 0;
	}
	if (ok && rename(tmp, path) != 0) {
		snprintf(err, errsz, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		ok = 0;
	}
	if (!ok)
		(void)unlink(tmp);
	return ok;
}

/* Read at most COUNTERS_MAX + 1 bytes of fd into buf; -1 on error. */
static ssize_t
counters_read_all(int fd, char *buf, size_t bufsz)
{
	size_t got = 0;
	ssize_t n;

	while (got < bufsz) {
		n = read(fd, buf + got, bufsz - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Read and check the counters file in dir into buf (NUL-terminated). */
enum counters_status
counters_load(const char *dir, char *buf, size_t bufsz, size_t *len,
    char *err, size_t errsz)
{
	char path[COUNTERS_PATH_MAX], text[COUNTERS_MAX + 1];
	const char *why;
	ssize_t n;
	int fd;

	*len = 0;
	if (bufsz > 0)
		buf[0] = '\0';
	if (!counters_path(path, sizeof(path), dir, "")) {
		snprintf(err, errsz, "store path is too long: %s", dir);
		return COUNTERS_ERROR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return COUNTERS_ABSENT;
	if (fd < 0) {
		snprintf(err, errsz, "cannot read %s: %s", path,
		    strerror(errno));
		return COUNTERS_ERROR;
	}
	n = counters_read_all(fd, text, sizeof(text));
	if (n < 0)
		snprintf(err, errsz, "cannot read %s: %s", path,
		    strerror(errno));
	(void)close(fd);
	if (n < 0)
		return COUNTERS_ERROR;
	if (!counters_check(text, (size_t)n, &why) || (size_t)n >= bufsz) {
		snprintf(err, errsz, "%s is damaged: %s (tlspind rewrites it "
		    "every %d s while it runs: remove it)", path,
		    (size_t)n >= bufsz ? "too long" : why, COUNTERS_EVERY);
		return COUNTERS_ERROR;
	}
	memcpy(buf, text, (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return COUNTERS_OK;
}
