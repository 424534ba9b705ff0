/*
 * NAME
 *	learn - tlspin learn: bootstrap the store from Postfix log history
 * SYNOPSIS
 *	tlspin learn [--dry-run] [--all] [--json] FILE...
 * DESCRIPTION
 *	Reads Postfix logs (plain or gzip: zlib reads both), oldest first as
 *	given, through the same learner as tlspind, and prints what it
 *	pinned and why.
 *
 *	Each file is known by its content, not its name or inode, so
 *	mail.log learned today is recognised tomorrow as mail.log.1 and next
 *	week as mail.log.2.gz: the store's key is a hash of its first line,
 *	and under that key each file that starts with that line has an
 *	entry (its position, and a hash of its first LEARN_HEAD_MAX bytes
 *	with the length it covered). A file is an entry's when its first
 *	bytes, as many as the entry covered, hash the same: a longer file
 *	with that start is the same file grown, and its entry then covers
 *	more. Distinct files with the same first line (a header, a restart
 *	message) have entries of their own, LEARN_FILES_MAX per line.
 *	A position stored by an older tlspin (8 bytes: the offset only)
 *	is taken for the file as before, and rewritten as an entry at the
 *	next commit, so an old store relearns nothing. The position in a file
 *	(bytes of complete lines read) is committed with what those lines
 *	taught, every LEARN_BATCH lines: a run that is killed resumes where
 *	the last commit stands, and learning a file again adds only what is
 *	new. A last line without its newline is left for the next run (the
 *	file may be mail.log, still being written).
 *
 *	Times come from the lines; the learner's clock (the year of a
 *	classic syslog stamp, the latest a line may be dated) is set from
 *	the wall clock for every file and every batch.
 *
 *	--dry-run runs everything in one transaction and aborts it; on a
 *	store that does not exist yet it learns into a temporary one.
 *
 *	Lines two learners both read count twice. tlspin learn may run
 *	beside tlspind's learner (it reads older files, by design), but
 *	not beside another tlspin learn on the same store (LEARN_LOCK in
 *	the store directory, flock(2)), and it refuses the file that
 *	log_source names: tlspind learns that one.
 *	A file that is not a text log (a NUL byte or the magic of another
 *	compressor at its start) or a gzip file that ends early is an error
 *	that names the file and the cause, exit 2, like a file that cannot
 *	be opened; exit 3 is for the store only.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "cli.h"
#include "json.h"
#include "learner.h"
#include "policy.h"

#define LEARN_BATCH 100000	/* lines per commit */
#define LEARN_READ (256 * 1024)
#define LEARN_LINE_MAX 65536	/* longer lines are skipped whole */
#define LEARN_SHOW 20		/* transitions listed in the summary */
#define LEARN_HEAD_MAX 4096	/* first bytes that tell files apart */
#define LEARN_FILES_MAX 16	/* files remembered per first line */
#define LEARN_ENTRY 18		/* offset 8, covered length 2, hash 8 */
#define LEARN_FNV_BASIS 14695981039346656037ULL
#define LEARN_FNV_PRIME 1099511628211ULL

_Static_assert(LEARN_FILES_MAX * LEARN_ENTRY <= LEARNER_POS_MAX,
    "the entries of one first line fit in a position");

/* One file learned: its position and what identifies it. */
struct learn_entry {
	uint64_t offset;	/* bytes of complete lines learned */
	uint16_t covered;	/* bytes hashed; 0: an old position, any file */
	uint64_t hash;		/* FNV-1a 64 of the first covered bytes */
};

/* The files learned under one first line, the current one first. */
struct learn_known {
	struct learn_entry e[LEARN_FILES_MAX];
	size_t n;
	struct learn_entry self;	/* the file being learned */
};
#define LEARN_LOCK "learn.lock"	/* one tlspin learn a store at a time */
#define LEARN_SNIFF 4096	/* bytes checked for "is this a text log" */

struct learn_run {
	struct learner *l;
	int dry, json, all;
	uint64_t pinned, upgraded, expired, other;
	struct record_event *shown;	/* LEARN_SHOW, or all with --all */
	size_t nshown, cap;
	unsigned char *buf;	/* LEARN_READ + LEARN_LINE_MAX */
};

/* Keep e for the summary: the first LEARN_SHOW, or all with --all. */
static void
learn_keep(struct learn_run *x, const struct record_event *e)
{
	struct record_event *grown;

	if (x->nshown == x->cap) {
		if (!x->all && x->cap >= LEARN_SHOW)
			return;
		x->cap = x->cap ? x->cap * 2 : LEARN_SHOW;
		grown = realloc(x->shown, x->cap * sizeof(*x->shown));
		if (grown == NULL) {
			x->cap = x->nshown;	/* the summary says how many */
			return;
		}
		x->shown = grown;
	}
	x->shown[x->nshown++] = *e;
}

/* Every transition: count it, keep it (or the first few) for the summary. */
static void
learn_note(void *arg, const struct record_event *e)
{
	struct learn_run *x = arg;

	if (e->old_state == e->new_state)
		return;	/* a failure or a delivery in clear, not a transition */
	if (e->new_state == STATE_EXPIRED)
		x->expired++;
	else if (e->old_state == STATE_ENCRYPT && e->new_state == STATE_SECURE)
		x->upgraded++;
	else if (e->new_state == STATE_ENCRYPT || e->new_state == STATE_SECURE)
		x->pinned++;
	else
		x->other++;
	learn_keep(x, e);
}

/* FNV-1a 64 of n bytes. */
static uint64_t
learn_hash(const unsigned char *p, size_t n)
{
	uint64_t h = LEARN_FNV_BASIS;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * LEARN_FNV_PRIME;
	return h;
}

/* The store key of a log: the hash of its first line (as ever). */
static void
learn_key(const unsigned char *line, size_t n, char *key, size_t keysz)
{
	snprintf(key, keysz, "learn:%016llx",
	    (unsigned long long)learn_hash(line, n));
}

struct learn_file {
	const char *name;
	gzFile gz;
	size_t have, at;	/* bytes in buf, next unread byte */
	uint64_t offset;	/* bytes of complete lines consumed */
	uint64_t lines;
	int eof;
	unsigned char head[LEARN_HEAD_MAX];	/* the file's first bytes */
	size_t headlen;
};

/* At the end of a gzip file: did its compressed stream stop early? */
static int
learn_truncated(gzFile gz)
{
	int e;

	(void)gzerror(gz, &e);
	return e == Z_BUF_ERROR;
}

/* Refill the buffer, keeping the unread tail. -1 on a read error, -2 when
 * a gzip file ends early. */
static int
learn_fill(struct learn_file *f, unsigned char *buf)
{
	int n;

	if (f->at > 0) {
		memmove(buf, buf + f->at, f->have - f->at);
		f->have -= f->at;
		f->at = 0;
	}
	n = gzread(f->gz, buf + f->have,
	    (unsigned)(LEARN_READ + LEARN_LINE_MAX - f->have));
	if (n < 0)
		return -1;
	if (n == 0 && learn_truncated(f->gz))
		return -2;
	if (n == 0)
		f->eof = 1;
	f->have += (size_t)n;
	return n;
}

/*
 * The next complete line: 1 with *line and *len, 0 at the end, -1 on a
 * read error, -2 for a truncated gzip file. A line longer than
 * LEARN_LINE_MAX comes back with *len 0 (skipped).
 */
static int
learn_next(struct learn_file *f, unsigned char *buf, const char **line,
    size_t *len)
{
	unsigned char *nl;
	int skipping = 0, rc;

	for (;;) {
		nl = memchr(buf + f->at, '\n', f->have - f->at);
		if (nl != NULL) {
			*line = (const char *)buf + f->at;
			*len = skipping ? 0 : (size_t)(nl - (buf + f->at));
			f->offset += (uint64_t)(nl - (buf + f->at)) + 1;
			f->at = (size_t)(nl - buf) + 1;
			f->lines++;
			return 1;
		}
		if (f->have - f->at >= LEARN_LINE_MAX) {
			f->offset += f->have - f->at;	/* drop the long head */
			f->at = f->have;
			skipping = 1;
		}
		if (f->eof)
			return 0;
		if ((rc = learn_fill(f, buf)) < 0)
			return rc;
	}
}

/* Skip the first offset bytes (already learned). 0 if the file is shorter. */
static int
learn_skip(struct learn_file *f, unsigned char *buf, uint64_t offset)
{
	size_t step;

	while (f->offset < offset) {
		if (f->at == f->have && (f->eof || learn_fill(f, buf) <= 0))
			return 0;
		step = f->have - f->at;
		if (step > offset - f->offset)
			step = (size_t)(offset - f->offset);
		f->at += step;
		f->offset += step;
	}
	return 1;
}

/*
 * Open every FILE first: as root, tlspin becomes the store's owner
 * before it touches the store, and that user may not read
 * /var/log/mail.log (root:adm 0640). -1 on the first one that fails.
 */
static int
learn_open_all(int n, char **names, int *fds)
{
	int i, j;

	for (i = 0; i < n; i++) {
		fds[i] = strcmp(names[i], "-") == 0 ? dup(0) :
		    open(names[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "tlspin learn: cannot read %s: %s%s\n",
			    names[i], strerror(errno), errno == EACCES ?
			    " (run it as root, or as a member of the group "
			    "that owns the log, such as adm)" : "");
			for (j = 0; j < i; j++)
				close(fds[j]);
			return -1;
		}
	}
	return 0;
}

static int
learn_open(struct learn_file *f, const char *name, int fd)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	if ((f->gz = gzdopen(fd, "rb")) == NULL) {
		fprintf(stderr, "tlspin learn: cannot read %s: %s\n", name,
		    strerror(errno));
		close(fd);
		return 0;
	}
	gzbuffer(f->gz, 128 * 1024);
	return 1;
}

/* Read the first LEARN_HEAD_MAX bytes (fewer in a shorter file); 0, or
 * learn_fill's error. */
static int
learn_head(struct learn_file *f, unsigned char *buf)
{
	int rc;

	while (!f->eof && f->have < LEARN_HEAD_MAX)
		if ((rc = learn_fill(f, buf)) < 0)
			return rc;	/* -1 read error, -2 truncated gzip */
	f->headlen = f->have < LEARN_HEAD_MAX ? f->have : LEARN_HEAD_MAX;
	memcpy(f->head, buf, f->headlen);
	return 0;
}

/* Whether entry e is the file f: its first e->covered bytes hash so. */
static int
learn_entry_is(const struct learn_entry *e, const struct learn_file *f)
{
	return e->covered == 0 || (e->covered <= f->headlen &&
	    learn_hash(f->head, e->covered) == e->hash);
}

/* Parse a stored position: 8 bytes (an old one) or entries; 0: damaged. */
static int
learn_known_parse(struct learn_known *k, const unsigned char *pos, size_t n)
{
	size_t i;

	k->n = 0;
	if (n == 8) {
		k->e[0].offset = bytes_le_get(pos, 8);
		k->e[0].covered = 0;
		k->e[0].hash = 0;
		k->n = 1;
		return 1;
	}
	if (n % LEARN_ENTRY != 0 || n / LEARN_ENTRY > LEARN_FILES_MAX)
		return 0;
	for (i = 0; i < n / LEARN_ENTRY; i++, pos += LEARN_ENTRY) {
		k->e[i].offset = bytes_le_get(pos, 8);
		k->e[i].covered = (uint16_t)bytes_le_get(pos + 8, 2);
		k->e[i].hash = bytes_le_get(pos + 10, 8);
		if (k->e[i].covered == 0 || k->e[i].covered > LEARN_HEAD_MAX)
			return 0;
	}
	k->n = i;
	return 1;
}

/*
 * Find f among the known entries: the one that covers most of its
 * head. Its offset comes back (0: a file not learned yet), and it
 * leaves the list, to come back first, as f's entry, at each commit.
 */
static uint64_t
learn_known_take(struct learn_known *k, const struct learn_file *f)
{
	size_t i, best = k->n;
	uint64_t offset;

	for (i = 0; i < k->n; i++)
		if (learn_entry_is(&k->e[i], f) && (best == k->n ||
		    k->e[i].covered > k->e[best].covered))
			best = i;
	k->self.covered = (uint16_t)f->headlen;
	k->self.hash = learn_hash(f->head, f->headlen);
	if (best == k->n)
		return 0;
	offset = k->e[best].offset;
	memmove(&k->e[best], &k->e[best + 1],
	    (k->n - best - 1) * sizeof(k->e[0]));
	k->n--;
	return offset;
}

/* The position to store: f's entry first, then the others that fit. */
static size_t
learn_known_put(const struct learn_known *k, uint64_t offset,
    unsigned char *pos)
{
	size_t i, n = 0;
	const struct learn_entry *e;

	for (i = 0; i <= k->n && i < LEARN_FILES_MAX; i++) {
		e = i == 0 ? &k->self : &k->e[i - 1];
		bytes_le_put(pos + n, i == 0 ? offset : e->offset, 8);
		bytes_le_put(pos + n + 8, e->covered, 2);
		bytes_le_put(pos + n + 10, e->hash, 8);
		n += LEARN_ENTRY;
	}
	return n;
}

static int
learn_commit(struct learn_run *x, const char *name, const char *key,
    const struct learn_known *k, uint64_t offset)
{
	unsigned char pos[LEARN_FILES_MAX * LEARN_ENTRY];
	char err[STORE_ERR_MAX], where[4200];
	size_t n;

	if (x->dry)
		return 1;
	n = learn_known_put(k, offset, pos);
	snprintf(where, sizeof(where), "tlspin learn %s, offset %llu", name,
	    (unsigned long long)offset);
	if (!learner_commit(x->l, key, pos, n, where, err, sizeof(err))) {
		fprintf(stderr, "tlspin learn: %s\n", err);
		return 0;
	}
	return 1;
}

/* Where a previous run stopped in file f (0: never learned). */
static int
learn_resume(struct learn_run *x, const char *key,
    const struct learn_file *f, struct learn_known *k, uint64_t *offset)
{
	unsigned char pos[LEARNER_POS_MAX];
	char err[STORE_ERR_MAX];
	size_t n;

	*offset = 0;
	k->n = 0;
	if (!learner_resume(x->l, key, pos, sizeof(pos), &n, err,
	    sizeof(err))) {
		fprintf(stderr, "tlspin learn: %s\n", err);
		return 0;
	}
	if (n > 0 && !learn_known_parse(k, pos, n)) {
		fprintf(stderr, "tlspin learn: warning: the position stored "
		    "for %s (%s) is damaged; it is learned from the start\n",
		    f->name, key);
		k->n = 0;
	}
	*offset = learn_known_take(k, f);
	return 1;
}

/* Why the start of a file shows it is no text log, or NULL. */
static const char *
learn_sniff(const unsigned char *p, size_t n)
{
	if (n > LEARN_SNIFF)
		n = LEARN_SNIFF;
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return "not a text log but bzip2 data (bzcat FILE | tlspin "
		    "learn -)";
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ", 6) == 0)
		return "not a text log but xz data (xzcat FILE | tlspin "
		    "learn -)";
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return "not a text log but zstd data (zstdcat FILE | tlspin "
		    "learn -)";
	if (memchr(p, '\0', n) != NULL)
		return "not a text log: it starts with binary data (a NUL "
		    "byte); give a Postfix log, plain or gzip";
	return NULL;
}

/* Say why a file could not be read to its end: rc is learn_next's. */
static void
learn_read_error(struct learn_file *f, int rc)
{
	int e;

	if (rc == -2)
		fprintf(stderr, "tlspin learn: %s: truncated gzip: the "
		    "compressed data ends early (a copy cut short, or a file "
		    "still being compressed); %llu lines before the cut were "
		    "read\n", f->name, (unsigned long long)f->lines);
	else
		fprintf(stderr, "tlspin learn: cannot read %s: %s\n", f->name,
		    gzerror(f->gz, &e));
}

/* Learn the lines of f after the first, from where a previous run
 * stopped; the exit code. */
static int
learn_lines(struct learn_run *x, struct learn_file *f, const char *key,
    int *rcp)
{
	char err[STORE_ERR_MAX];
	const char *line;
	size_t len;
	struct learn_known known;
	uint64_t start;
	int rc = 1, ok;

	ok = learn_resume(x, key, f, &known, &start);
	if (ok && !learn_skip(f, x->buf, start)) {
		fprintf(stderr, "tlspin learn: warning: %s is shorter than when "
		    "it was learned; skipped\n", f->name);
		rc = 0;
	}
	while (ok && rc != 0 && (rc = learn_next(f, x->buf, &line, &len)) == 1) {
		if (!learner_line(x->l, line, len, err, sizeof(err))) {
			fprintf(stderr, "tlspin learn: %s\n", err);
			ok = 0;
		} else if (f->lines % LEARN_BATCH == 0) {
			ok = learn_commit(x, f->name, key, &known, f->offset);
			learner_set_now(x->l, (int64_t)cli_now());
		}
	}
	/* what was read before a cut in a gzip file is kept */
	if (ok && rc <= 0)
		ok = learn_commit(x, f->name, key, &known, f->offset);
	if (!x->json)
		printf("%s: %llu new lines%s\n", f->name,
		    (unsigned long long)f->lines, start && f->lines == 0 ?
		    " (already learned)" : start ? " (resumed)" : "");
	*rcp = rc;
	return ok ? EXIT_OKAY : EXIT_STORE;
}

/* Learn one file from where we stopped: EXIT_OKAY, EXIT_USAGE for a
 * file that cannot be read or is no log, EXIT_STORE. */
static int
learn_file(struct learn_run *x, const char *name, int fd)
{
	struct learn_file f;
	const char *line, *why;
	char key[32];
	size_t len;
	int rc, ret = EXIT_OKAY;

	if (!learn_open(&f, name, fd))
		return EXIT_USAGE;
	learner_set_now(x->l, (int64_t)cli_now());
	rc = learn_head(&f, x->buf);
	if (rc == 0)
		rc = learn_next(&f, x->buf, &line, &len);
	if (rc >= 0 && (why = learn_sniff(x->buf, f.have)) != NULL) {
		fprintf(stderr, "tlspin learn: %s: %s\n", name, why);
		gzclose(f.gz);
		return EXIT_USAGE;
	}
	if (rc == 1) {
		learn_key((const unsigned char *)line, len, key, sizeof(key));
		f.at = 0;
		f.offset = 0;
		f.lines = 0;
		ret = learn_lines(x, &f, key, &rc);
	}
	if (rc < 0) {
		learn_read_error(&f, rc);
		if (ret == EXIT_OKAY)
			ret = EXIT_USAGE;
	}
	gzclose(f.gz);
	return ret;
}

/* Changes of state counted but not kept for the summary. */
static uint64_t
learn_more(const struct learn_run *x)
{
	uint64_t all = x->pinned + x->upgraded + x->expired + x->other;

	return all > x->nshown ? all - x->nshown : 0;
}

static void
learn_summary_text(struct learn_run *x)
{
	struct learner_stats s, *st = &s;
	char t[64];
	size_t i;

	learner_stats(x->l, st);
	printf("%s%llu lines, %llu from the SMTP client (%llu used, %llu "
	    "ignored), %llu deliver%s counted, %llu local hop%s skipped\n",
	    x->dry ? "dry run, nothing written: " : "",
	    (unsigned long long)st->lines, (unsigned long long)st->smtp,
	    (unsigned long long)st->used, (unsigned long long)st->ignored,
	    (unsigned long long)st->observations,
	    st->observations == 1 ? "y" : "ies",
	    (unsigned long long)st->local, st->local == 1 ? "" : "s");
	if (st->future > 0)
		printf("%llu lines dated in the future were taken as now; check "
		    "the clock of the host that writes the log\n",
		    (unsigned long long)st->future);
	printf("%s %llu, upgraded to secure %llu, expired %llu\n",
	    x->dry ? "would pin" : "pinned", (unsigned long long)x->pinned,
	    (unsigned long long)x->upgraded, (unsigned long long)x->expired);
	if (st->unrecorded > 0)
		printf("%llu new domains not recorded: the store holds "
		    "max_observing domains without a pin (raise it in "
		    "tlspin.conf)\n", (unsigned long long)st->unrecorded);
	if (st->aged > 0)
		printf("%llu records without a pin dropped: no delivery for "
		    "observe_max_age\n", (unsigned long long)st->aged);
	for (i = 0; i < x->nshown; i++) {
		cli_time(t, sizeof(t), x->shown[i].time);
		printf("  %s  %-30s %s\n", t, x->shown[i].domain,
		    x->shown[i].reason);
	}
	if (learn_more(x) > 0)
		printf("  ... and %llu more: add --all to list them all%s\n",
		    (unsigned long long)learn_more(x), x->dry ? "" :
		    " (or see tlspin events, tlspin list --state encrypt)");
}

static void
learn_summary_json(struct learn_run *x)
{
	struct learner_stats s, *st = &s;
	size_t i;

	learner_stats(x->l, st);
	printf("{\"dry_run\":%s,\"lines\":%llu,\"smtp\":%llu,\"used\":%llu,"
	    "\"ignored\":%llu,\"deliveries\":%llu,\"local\":%llu,"
	    "\"future\":%llu,\"pinned\":%llu,\"upgraded\":%llu,"
	    "\"expired\":%llu,\"unrecorded\":%llu,\"aged\":%llu,"
	    "\"transitions\":[", x->dry ? "true" : "false",
	    (unsigned long long)st->lines, (unsigned long long)st->smtp,
	    (unsigned long long)st->used, (unsigned long long)st->ignored,
	    (unsigned long long)st->observations,
	    (unsigned long long)st->local, (unsigned long long)st->future,
	    (unsigned long long)x->pinned,
	    (unsigned long long)x->upgraded, (unsigned long long)x->expired,
	    (unsigned long long)st->unrecorded, (unsigned long long)st->aged);
	for (i = 0; i < x->nshown; i++) {
		printf("%s{\"time\":", i ? "," : "");
		cli_json_iso(stdout, x->shown[i].time);
		printf(",\"domain\":");
		json_string(stdout, x->shown[i].domain);
		printf(",\"state\":\"%s\",\"reason\":",
		    policy_state_name(x->shown[i].new_state));
		json_string(stdout, x->shown[i].reason);
		printf("}");
	}
	printf("],\"more\":%llu}\n", (unsigned long long)learn_more(x));
}

/*
 * The file tlspind follows (log_source = file:PATH) is its to learn:
 * read here too, each of its deliveries would count twice. 0 if a FILE
 * is that file.
 */
static int
learn_not_daemons(const struct cli *c, int n, char **names, const int *fds)
{
	const char *src = c->cfg.log_source;
	struct stat daemon, st;
	int i;

	if (strncmp(src, "file:", 5) != 0 || stat(src + 5, &daemon) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if (fstat(fds[i], &st) == 0 && st.st_dev == daemon.st_dev &&
		    st.st_ino == daemon.st_ino) {
			fprintf(stderr, "tlspin learn: %s is the file tlspind "
			    "learns from (log_source = %s): its deliveries "
			    "would count twice; give only the files it does "
			    "not read, such as the rotated ones\n", names[i],
			    src);
			return 0;
		}
	return 1;
}

/*
 * One tlspin learn a store at a time: two would read the same lines from
 * the same saved position and count them twice. The lock is the file's
 * descriptor, held until the process exits; -1 (said) if another holds it.
 */
static int
learn_lock(const char *dir)
{
	char path[4200], buf[32];
	ssize_t n;
	int fd, len;

	snprintf(path, sizeof(path), "%s/%s", dir, LEARN_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "tlspin learn: cannot open %s: %s (run as "
		    "the store's owner)\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "tlspin learn: another tlspin learn (pid %s) "
		    "is learning into store %s; run this one when it is "
		    "done\n", buf[0] ? buf : "unknown", dir);
		close(fd);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		fprintf(stderr, "tlspin learn: warning: cannot write to %s: "
		    "%s\n", path, strerror(errno));
	return fd;
}

/* A dry run on a store that does not exist: learn into a scratch one. */
static int
learn_scratch(struct cli *c, char *dir, size_t dirsz)
{
	struct stat st;

	if (stat(c->store_path, &st) == 0)
		return 1;
	snprintf(dir, dirsz, "/tmp/tlspin-dry.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "tlspin learn: cannot make a scratch store: "
		    "%s\n", strerror(errno));
		return 0;
	}
	c->store_path = dir;
	return 1;
}

static void
learn_scratch_remove(const char *dir)
{
	char path[4200];

	if (dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

static int
learn_opts(int argc, char **argv, struct learn_run *x)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	while ((o = cli_getopt("learn", argc, argv, "najh", opts)) != -1) {
		switch (o) {
		case 'n': x->dry = 1; break;
		case 'a': x->all = 1; break;
		case 'j': x->json = 1; break;
		case 'h': return cmd_help("learn");
		default: return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return cli_usage_error("learn", "expected one or more FILE "
		    "(/var/log/mail.log, mail.log.2.gz, - for stdin)");
	return -1;
}

static int
learn_all(struct learn_run *x, int n, char **files, int *fds)
{
	char err[STORE_ERR_MAX];
	struct learner_stats st;
	uint64_t upto;
	int i, ok = 1, rc = EXIT_OKAY;

	for (i = 0; i < n; i++) {
		if (ok)
			ok = (rc = learn_file(x, files[i], fds[i])) == EXIT_OKAY;
		else
			close(fds[i]);
	}
	/*
	 * Expire pins as of the newest line read, not the clock: learning
	 * mail.log.3.gz today and mail.log.2.gz tomorrow must let the second
	 * renew what the first pinned. (Lookups check expiry against the
	 * clock anyway.) Never past the clock: the learner dates no line
	 * later than it, and upto is capped again here.
	 */
	learner_stats(x->l, &st);
	upto = st.last_time && st.last_time < cli_now() ? st.last_time :
	    cli_now();
	if (ok && !x->dry && !learner_expire(x->l, upto, err, sizeof(err))) {
		fprintf(stderr, "tlspin learn: %s\n", err);
		ok = 0;
	}
	/* a dry run's transaction dies with learner_free */
	return ok ? EXIT_OKAY : rc != EXIT_OKAY ? rc : EXIT_STORE;
}

int
cmd_learn(struct cli *c, int argc, char **argv)
{
	struct learn_run x;
	struct learn_params p;
	struct store *s;
	char scratch[64] = "";
	int rc, *fds, lock = -1;

	memset(&x, 0, sizeof(x));
	if ((rc = learn_opts(argc, argv, &x)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	fds = calloc((size_t)(argc - optind), sizeof(*fds));
	if (fds == NULL || learn_open_all(argc - optind, argv + optind,
	    fds) < 0) {
		free(fds);
		return EXIT_USAGE;
	}
	if (!learn_not_daemons(c, argc - optind, argv + optind, fds)) {
		for (rc = 0; rc < argc - optind; rc++)
			close(fds[rc]);
		free(fds);
		return EXIT_USAGE;
	}
	if ((x.dry && !learn_scratch(c, scratch, sizeof(scratch))) ||
	    (rc = cli_open(c, STORE_CREATE, &s)) != 0 ||
	    (!x.dry && (lock = learn_lock(c->store_path)) < 0)) {
		if (rc == 0 && lock < 0 && !x.dry)
			store_close(s);
		for (rc = 0; rc < argc - optind; rc++)
			close(fds[rc]);
		free(fds);
		return EXIT_STORE;
	}
	learner_params(&c->cfg, &p);
	x.l = learner_new(s, &p, 1024);
	x.buf = malloc(LEARN_READ + LEARN_LINE_MAX);
	rc = EXIT_STORE;
	if (x.l != NULL && x.buf != NULL) {
		learner_set_event_fn(x.l, learn_note, &x);
		learner_set_shared(x.l, "learn:last");
		rc = learn_all(&x, argc - optind, argv + optind, fds);
		if (x.json)
			learn_summary_json(&x);
		else
			learn_summary_text(&x);
	}
	learner_free(x.l);
	free(x.buf);
	free(x.shown);
	free(fds);
	store_close(s);
	if (lock >= 0)
		close(lock);
	learn_scratch_remove(scratch);
	return rc;
}
