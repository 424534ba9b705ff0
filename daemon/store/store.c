/*
 * NAME
 *	store - the LMDB store shared by tlspind and the tlspin CLI
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int store_open(out, dir, flags, err, errsz)
 *	enum store_status store_lookup(s, key, keylen, now, reply, ...)
 *	int store_begin(s, txn, err, errsz) ... store_commit(txn, err, errsz)
 *	int store_due(s, index, upto, pos, fn, arg, err, errsz)
 * DESCRIPTION
 *	One LMDB environment in a directory holds six named databases:
 *	"domains" (next-hop domain -> record, see record.c), "meta" (schema
 *	version, log position, counters), "events" (8-byte big-endian
 *	sequence -> event record, a bounded audit trail), and what is
 *	derived from the records, written in the same transactions:
 *	"replies" (domain -> expiry, 8 bytes little-endian, 0 = never, then
 *	the exact reply; only records with a reply have one), "expiry"
 *	(8-byte big-endian time + domain -> nothing, for each learned pin
 *	that expires) and "idle" (the same, by last activity, for each
 *	record that holds only evidence). LMDB lets the daemon and the CLI
 *	use it at once: readers never wait for the one writer, and every
 *	write is one transaction that commits whole.
 *
 *	store_lookup() is the socketmap lookup path: one read transaction
 *	(renewed, never reallocated; store_read_hold() lets the lookups of
 *	one loop wakeup share it), one get in "replies", whose entries are
 *	small enough that a 4 KB page holds ~50 of them (a record with its
 *	evidence is ~11 a page, and random keys then miss the CPU caches),
 *	a bounds check, a copy, and a reset. It returns STORE_NOTFOUND when
 *	there is no entry (no record, or observing) or the reply expired,
 *	and STORE_ERROR, never NOTFOUND, when LMDB or the entry fails.
 *
 *	Schema 1 stores (a tlspin before the reply table) are migrated when
 *	a writer opens them (tlspin pin, import, learn; tlspind's learner):
 *	one write transaction builds the three derived databases from the
 *	records and sets schema 2, so a reader sees the old store or the
 *	whole new one. A corrupt record gets the reply entry the old lookup
 *	path would have answered from (its header), or one that reads as
 *	damaged, so a lookup stays TEMP for it. The lookup process
 *	(STORE_LOOKUP) never takes the write lock to migrate: until a writer
 *	has, it answers from the records as schema 1 did, and looks once a
 *	second whether the store was migrated meanwhile. A store of a newer
 *	schema is refused.
 *
 *	store_due() scans an index up to a time, for the learner's expiry
 *	sweep, which so touches only what falls due.
 *
 *	store_open() refuses a store directory, or data file, that its group
 *	or others may write, for reading too: whoever can write the store
 *	can unpin a domain, so neither what tlspind answers from it nor what
 *	tlspin shows of it can be trusted. A writer other than root also
 *	refuses one that another user (not root) owns; root, and readers
 *	(group members running tlspin show), trust the owner.
 *
 *	Errors are written to err as sentences naming the store and the
 *	cause, ready for a person.
 */
#include "autoconf.h"

#include <errno.h>
#include <lmdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "errbuf.h"
#include "bytes.h"
#include "store.h"

#define STORE_FULL_BELOW (1024 * 1024)	/* free bytes: a full file system */

#define STORE_INDEX_KEY (8 + KEY_MAX)	/* big-endian time + domain */

struct store {
	MDB_env *env;
	MDB_dbi domains, meta, events;
	MDB_dbi replies, index[2];	/* schema 2: derived from domains */
	MDB_txn *rtxn;		/* reset between lookups, renewed for each */
	int held;		/* rtxn renewed for a batch of lookups */
	int readonly;
	int lookup;		/* STORE_LOOKUP: never migrates */
	unsigned schema;	/* as opened */
	uint64_t checked;	/* schema 1: when we last looked for 2 */
	char dir[4096];
};

static const char *const store_index_name[2] = { "expiry", "idle" };

struct store_txn {
	struct store *s;
	MDB_txn *txn;
};

/* A hint for the errors an admin can fix. */
static const char *
store_hint(int rc)
{
	switch (rc) {
	case EACCES:
	case EPERM:
		return " (run as the user that owns the store, or use --store)";
	case ENOENT:
		return " (start tlspind once, or pin a domain, to create it)";
	case ENOSPC:
		return " (the file system that holds the store is full: free "
		    "space on it)";
	case MDB_MAP_FULL:
		return " (the store reached its map size: raise "
		    "TLSPIN_MAP_SIZE_MB in the environment of tlspind and "
		    "tlspin, then restart tlspind)";
	case MDB_INVALID:
	case MDB_CORRUPTED:
		return " (not an LMDB store, or damaged: restore it from a "
		    "backup or move it away)";
	case MDB_VERSION_MISMATCH:
		return " (written by a different LMDB version)";
	default:
		return "";
	}
}

/* Virtual size of the map: LMDB files grow only as they are used. */
static size_t
store_map_size(void)
{
	const char *e = getenv("TLSPIN_MAP_SIZE_MB");
	unsigned long mb;
	char *end;

	if (e != NULL) {
		errno = 0;
		mb = strtoul(e, &end, 10);
		if (errno == 0 && *end == '\0' && mb >= 1 &&
		    mb <= (sizeof(size_t) > 4 ? 1024UL * 1024 : 2048))
			return (size_t)mb << 20;
	}
	return sizeof(size_t) > 4 ? (size_t)16 << 30 : (size_t)512 << 20;
}

/* Write schema version ver inside the write transaction txn. */
static int
store_schema_put(struct store *s, MDB_txn *txn, unsigned ver)
{
	MDB_val k = { 6, (void *)"schema" }, v;
	unsigned char b[4];

	b[0] = (unsigned char)ver;
	b[1] = b[2] = b[3] = 0;
	v.mv_size = 4;
	v.mv_data = b;
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* Read the schema version inside txn into s->schema, or set it when
 * create is set and there is none; STORE_NOTFOUND when there is none
 * and create is not. Versions 1 (migrated) to STORE_SCHEMA are read. */
static enum store_status
store_schema(struct store *s, MDB_txn *txn, int create, char *err,
    size_t errsz)
{
	MDB_val k = { 6, (void *)"schema" }, v;
	unsigned char b[4];
	unsigned ver;
	int rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND && !create)
		return STORE_NOTFOUND;
	if (rc == MDB_NOTFOUND) {
		rc = store_schema_put(s, txn, STORE_SCHEMA);
		s->schema = STORE_SCHEMA;
		if (rc == 0)
			return STORE_OK;
	}
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot read the schema version of "
		    "store %s: %s", s->dir, mdb_strerror(rc));
		return STORE_ERROR;
	}
	if (v.mv_size != 4) {
		errbuf_printf(err, errsz, "store %s has a malformed schema "
		    "version", s->dir);
		return STORE_ERROR;
	}
	memcpy(b, v.mv_data, 4);
	ver = b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
	    (unsigned)b[3] << 24;
	if (ver < STORE_SCHEMA_RECORDS || ver > STORE_SCHEMA) {
		errbuf_printf(err, errsz, "store %s has schema version %u, but "
		    "this tlspin reads version %u%s", s->dir, ver,
		    STORE_SCHEMA, ver > STORE_SCHEMA ?
		    " (it was written by a newer tlspin: upgrade tlspin)" :
		    " (it is damaged)");
		return STORE_ERROR;
	}
	s->schema = ver;
	return STORE_OK;
}

/* Open the databases derived from the records (schema 2), creating
 * them with flags MDB_CREATE. */
static int
store_open_derived(struct store *s, MDB_txn *txn, unsigned flags)
{
	int rc;

	rc = mdb_dbi_open(txn, "replies", flags, &s->replies);
	if (rc == 0)
		rc = mdb_dbi_open(txn, store_index_name[STORE_EXPIRY], flags,
		    &s->index[STORE_EXPIRY]);
	if (rc == 0)
		rc = mdb_dbi_open(txn, store_index_name[STORE_IDLE], flags,
		    &s->index[STORE_IDLE]);
	return rc;
}

static int store_derive_all(struct store *s, MDB_txn *txn);

/* Open the three named databases and check the schema in one
 * transaction: a read-only one, or with create a write one that makes
 * what is missing. STORE_NOTFOUND when, without create, a database or
 * the schema version is missing. A new store is made at STORE_SCHEMA. */
static enum store_status
store_open_dbs_in(struct store *s, int create, char *err, size_t errsz)
{
	MDB_txn *txn = NULL;
	unsigned flags = create ? MDB_CREATE : 0;
	enum store_status st;
	int rc, fresh = 0;
	MDB_val k = { 6, (void *)"schema" }, v;

	rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "domains", flags, &s->domains);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", flags, &s->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "events", flags, &s->events);
	if (rc == 0 && create)
		fresh = mdb_get(txn, s->meta, &k, &v) == MDB_NOTFOUND;
	if (rc == MDB_NOTFOUND && !create && !s->readonly) {
		mdb_txn_abort(txn);
		return STORE_NOTFOUND;
	}
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot open the databases in store "
		    "%s: %s%s", s->dir, mdb_strerror(rc),
		    rc == MDB_NOTFOUND ? " (the store was never initialised: "
		    "start tlspind once, or pin a domain)" : store_hint(rc));
		if (txn != NULL)
			mdb_txn_abort(txn);
		return STORE_ERROR;
	}
	st = store_schema(s, txn, create, err, errsz);
	if (st == STORE_NOTFOUND && s->readonly) {
		errbuf_printf(err, errsz, "cannot read the schema version of "
		    "store %s: %s", s->dir, mdb_strerror(MDB_NOTFOUND));
		st = STORE_ERROR;
	}
	if (st != STORE_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	rc = s->schema == STORE_SCHEMA ? store_open_derived(s, txn, flags) : 0;
	if (rc == 0 && fresh)	/* records without a schema: derive them */
		rc = store_derive_all(s, txn);
	if (rc == 0)
		rc = mdb_txn_commit(txn); /* read-only too: keeps the handles */
	else
		mdb_txn_abort(txn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot initialise store %s: %s%s",
		    s->dir, mdb_strerror(rc), rc == MDB_NOTFOUND ? " (its "
		    "reply table is missing: the store is damaged; restore it "
		    "from a backup, or tlspin export it and import it into a "
		    "new store)" : store_hint(rc));
		return STORE_ERROR;
	}
	return STORE_OK;
}

/*
 * Migrate a schema 1 store: in one write transaction, build the reply
 * table and the indexes from every record and set the schema, so that
 * no reader ever sees half of it. Another writer may have done it
 * meanwhile; then this only opens the databases.
 */
static int
store_migrate(struct store *s, char *err, size_t errsz)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot migrate store %s to schema "
		    "%u: %s%s", s->dir, STORE_SCHEMA, mdb_strerror(rc),
		    store_hint(rc));
		return 0;
	}
	if (store_schema(s, txn, 0, err, errsz) != STORE_OK) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = store_open_derived(s, txn, MDB_CREATE);
	if (rc == 0 && s->schema < STORE_SCHEMA) {
		rc = store_derive_all(s, txn);
		if (rc == 0)
			rc = store_schema_put(s, txn, STORE_SCHEMA);
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot migrate store %s to schema "
		    "%u: %s%s", s->dir, STORE_SCHEMA, mdb_strerror(rc),
		    store_hint(rc));
		s->schema = STORE_SCHEMA_RECORDS;
		return 0;
	}
	s->schema = STORE_SCHEMA;
	return 1;
}

/* Open the named databases. A read-only transaction when they exist, so
 * opening never waits for LMDB's write lock (an import or the learner
 * can hold it for seconds, and the process answering Postfix reopens
 * the store); a write transaction only to create what is missing, or
 * for a writer (not the lookup process) to migrate a schema 1 store. */
static int
store_open_dbs(struct store *s, char *err, size_t errsz)
{
	enum store_status st = store_open_dbs_in(s, 0, err, errsz);

	if (st == STORE_NOTFOUND)
		st = store_open_dbs_in(s, 1, err, errsz);
	if (st == STORE_OK && s->schema < STORE_SCHEMA && !s->readonly &&
	    !s->lookup)
		return store_migrate(s, err, errsz);
	return st == STORE_OK;
}

/* The name of user uid, or "uid N" in buf. */
static const char *
store_user(uid_t uid, char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		return pw->pw_name;
	snprintf(buf, bufsz, "uid %lu", (unsigned long)uid);
	return buf;
}

/*
 * Refuse path (the store directory or its data file) when someone other
 * than us or root could write it: its owner is another user, or its
 * group or others may write. 1: fine or missing (LMDB says why), 0: ERR.
 */
static int
store_check_owner(const char *dir, const char *path, int readonly,
    char *err, size_t errsz)
{
	struct stat sb;
	char owner[32], me[32], why[128];
	uid_t uid = geteuid();

	if (stat(path, &sb) != 0)
		return 1;
	/* root (sudo tlspin pin) and a reader in the store's group (tlspin
	 * show) trust the owner tlspind runs as; a writer that is neither
	 * must own the store itself */
	if (uid != 0 && !readonly && sb.st_uid != uid && sb.st_uid != 0)
		snprintf(why, sizeof(why), "not by %s%s, whom this runs as: "
		    "that user", uid == 0 ? "" : "root or by ", store_user(uid,
		    me, sizeof(me)));
	else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		snprintf(why, sizeof(why), "so its group or others may write "
		    "it and");
	else
		return 1;
	errbuf_printf(err, errsz, "refusing store %s: %s is owned by %s with "
	    "mode %04o, %s could forge or remove pins (fix: chown tlspin: "
	    "%s; chmod 0750 %s; with the user tlspind runs as)", dir, path,
	    store_user(sb.st_uid, owner, sizeof(owner)),
	    (unsigned)(sb.st_mode & 07777), why, dir, dir);
	return 0;
}

/* Nobody but the owner (ours, or root's) may write the store. */
static int
store_check_dir(const char *dir, int readonly, char *err, size_t errsz)
{
	char data[4200];

	if (!store_check_owner(dir, dir, readonly, err, errsz))
		return 0;
	snprintf(data, sizeof(data), "%s/data.mdb", dir);
	return store_check_owner(dir, data, readonly, err, errsz);
}

/* Whether a writer (tlspind, tlspin pin) would trust the store in dir,
 * by owner and mode, without opening it; 0 with err if not. */
int
store_trusted(const char *dir, char *err, size_t errsz)
{
	return store_check_dir(dir, 0, err, errsz);
}

/* Open the store in dir; see the file header. */
int
store_open(struct store **out, const char *dir, int flags, char *err,
    size_t errsz)
{
	struct store *s;
	unsigned envflags = MDB_NOTLS;
	int rc, dead;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errbuf_printf(err, errsz, "out of memory opening store %s",
		    dir);
		return 0;
	}
	if (strlen(dir) >= sizeof(s->dir)) {
		errbuf_printf(err, errsz, "store path is too long: %s", dir);
		free(s);
		return 0;
	}
	memcpy(s->dir, dir, strlen(dir) + 1);
	s->readonly = (flags & STORE_READONLY) != 0;
	s->lookup = (flags & STORE_LOOKUP) != 0;
	if (s->readonly)
		envflags |= MDB_RDONLY;
	if (s->readonly && (flags & STORE_NOLOCK))
		envflags |= MDB_NOLOCK;
	if ((flags & STORE_CREATE) && mkdir(dir, 0750) != 0 &&
	    errno != EEXIST) {
		errbuf_printf(err, errsz, "cannot create store directory %s: "
		    "%s%s", dir, strerror(errno), store_hint(errno));
		free(s);
		return 0;
	}
	if (!store_check_dir(dir, s->readonly, err, errsz)) {
		free(s);
		return 0;
	}
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, 8);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, store_map_size());
	if (rc == 0)
		rc = mdb_env_open(s->env, dir, envflags, 0640);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot open store %s: %s%s", dir,
		    mdb_strerror(rc), store_hint(rc));
		goto fail;
	}
	(void)mdb_reader_check(s->env, &dead);
	if (!store_open_dbs(s, err, errsz))
		goto fail;
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot start reading store %s: %s",
		    dir, mdb_strerror(rc));
		goto fail;
	}
	mdb_txn_reset(s->rtxn);
	*out = s;
	return 1;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return 0;
}

/* Close the store and free it. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_read_release(s);
	if (s->rtxn != NULL)
		mdb_txn_abort(s->rtxn);
	mdb_env_close(s->env);
	free(s);
}

/* The directory the store lives in. */
const char *
store_dir(const struct store *s)
{
	return s->dir;
}

/* Keep one read transaction for the lookups of one loop wakeup, so they
 * share a renew and a reset; 0 if it cannot be had (lookups then renew
 * their own and report the error). */
int
store_read_hold(struct store *s)
{
	if (!s->held && mdb_txn_renew(s->rtxn) == 0)
		s->held = 1;
	return s->held;
}

/* End what store_read_hold() started. */
void
store_read_release(struct store *s)
{
	if (s->held) {
		mdb_txn_reset(s->rtxn);
		s->held = 0;
	}
}

static void store_schema_recheck_in(struct store *s);

/*
 * A schema 1 store, opened by the lookup process: whether a writer has
 * migrated it since. A short read transaction, at most once a second
 * (now), with rtxn reset (its snapshot may predate the new databases;
 * a renew after this sees them).
 */
static void
store_schema_recheck(struct store *s, uint64_t now)
{
	int held = s->held;

	if (s->schema == STORE_SCHEMA || now == s->checked)
		return;
	s->checked = now;
	store_read_release(s);
	store_schema_recheck_in(s);
	if (held)
		(void)store_read_hold(s);
}

/* The recheck itself, with rtxn reset. */
static void
store_schema_recheck_in(struct store *s)
{
	MDB_txn *txn;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
		return;
	if (store_schema(s, txn, 0, NULL, 0) != STORE_OK ||
	    s->schema != STORE_SCHEMA ||
	    store_open_derived(s, txn, 0) != 0) {
		s->schema = STORE_SCHEMA_RECORDS;
		mdb_txn_abort(txn);
		return;
	}
	if (mdb_txn_commit(txn) != 0)	/* keeps the handles */
		s->schema = STORE_SCHEMA_RECORDS;
}

/* The reply and expiry of a schema 1 record, for the lookup path. */
static int
store_view_record(const MDB_val *v, uint64_t *expires, const char **view,
    size_t *n, const char **err)
{
	return record_reply_view(v->mv_data, v->mv_size, expires, view, n,
	    err);
}

/* bytes_le_get(p, 8), spelt out so that the compiler makes it one load:
 * it runs on every lookup. */
static uint64_t
store_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/* The reply and expiry of an entry of the reply table. */
static int
store_view_reply(const MDB_val *v, uint64_t *expires, const char **view,
    size_t *n, const char **err)
{
	if (v->mv_size <= 8) {
		*err = "reply record is truncated";
		return 0;
	}
	if (v->mv_size - 8 > REPLY_MAX) {
		*err = "reply record is longer than a reply";
		return 0;
	}
	*expires = store_le64(v->mv_data);
	*view = (const char *)v->mv_data + 8;
	*n = v->mv_size - 8;
	return 1;
}

/* The socketmap lookup path; see the file header. */
enum store_status
store_lookup(struct store *s, const char *key, size_t keylen, uint64_t now,
    char *reply, size_t replysz, size_t *reply_len, const char **err)
{
	MDB_val k = { keylen, (void *)key }, v;
	enum store_status st = STORE_NOTFOUND;
	const char *view;
	uint64_t expires;
	size_t n;
	int rc, own = !s->held, table;

	store_schema_recheck(s, now);
	table = s->schema == STORE_SCHEMA;
	rc = own ? mdb_txn_renew(s->rtxn) : 0;
	if (rc != 0) {
		*err = mdb_strerror(rc);
		return STORE_ERROR;
	}
	rc = mdb_get(s->rtxn, table ? s->replies : s->domains, &k, &v);
	if (rc == 0) {
		if (!(table ? store_view_reply(&v, &expires, &view, &n, err) :
		    store_view_record(&v, &expires, &view, &n, err)))
			st = STORE_ERROR;
		else if (n > 0 && (expires == 0 || expires > now)) {
			if (n >= replysz) {
				*err = "stored reply is larger than the "
				    "reply buffer";
				st = STORE_ERROR;
			} else {
				memcpy(reply, view, n);
				reply[n] = '\0';
				*reply_len = n;
				st = STORE_OK;
			}
		}
	} else if (rc != MDB_NOTFOUND) {
		*err = mdb_strerror(rc);
		st = STORE_ERROR;
	}
	if (own)
		mdb_txn_reset(s->rtxn);
	return st;
}

/* ------------------------------------------------ the derived databases */

/* An index key: when, big-endian (so keys sort by time), then key. */
static MDB_val
store_index_key(unsigned char *buf, uint64_t when, const char *key,
    size_t keylen)
{
	MDB_val k;
	int i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(when >> (8 * (7 - i)));
	memcpy(buf + 8, key, keylen);
	k.mv_size = 8 + keylen;
	k.mv_data = buf;
	return k;
}

/* Put (del 0) or delete (del 1) key's entry in index which at when. */
static int
store_index_set(struct store *s, MDB_txn *txn, enum store_index which,
    uint64_t when, const char *key, size_t keylen, int del)
{
	unsigned char buf[STORE_INDEX_KEY];
	MDB_val k = store_index_key(buf, when, key, keylen), v = { 0, "" };
	int rc;

	if (del) {
		rc = mdb_del(txn, s->index[which], &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	return mdb_put(txn, s->index[which], &k, &v, 0);
}

/* Add (del 0) or remove (del 1) the index entries of record r. */
static int
store_index_record(struct store *s, MDB_txn *txn, const char *key,
    size_t keylen, const struct record *r, int del)
{
	uint64_t when;
	int rc = 0;

	if (record_expiry(r, &when))
		rc = store_index_set(s, txn, STORE_EXPIRY, when, key, keylen,
		    del);
	if (rc == 0 && record_idle_since(r, &when))
		rc = store_index_set(s, txn, STORE_IDLE, when, key, keylen,
		    del);
	return rc;
}

/* Write key's reply entry: expiry and reply, or none without a reply
 * (flags: MDB_APPEND when filling the table in key order). */
static int
store_reply_put(struct store *s, MDB_txn *txn, const MDB_val *k,
    uint64_t expires, const char *reply, size_t n, unsigned flags)
{
	unsigned char buf[8 + REPLY_MAX];
	MDB_val v = { 8 + n, buf };
	int rc;

	if (n == 0 || n > REPLY_MAX) {
		rc = mdb_del(txn, s->replies, (MDB_val *)k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	bytes_le_put(buf, expires, 8);
	memcpy(buf + 8, reply, n);
	return mdb_put(txn, s->replies, (MDB_val *)k, &v, flags);
}

/*
 * What key's record r (NULL when there is none) puts in the derived
 * databases, before it is written: the old record's index entries go
 * (a corrupt old record's cannot be found: the sweep drops those when
 * it meets them), the new ones and the reply entry come.
 */
static int
store_derive(struct store_txn *t, const MDB_val *k, const struct record *r)
{
	struct store *s = t->s;
	struct record *old;
	MDB_val v;
	const char *why;
	int rc;

	rc = mdb_get(t->txn, s->domains, (MDB_val *)k, &v);
	if (rc == 0) {
		if ((old = malloc(sizeof(*old))) == NULL)
			return ENOMEM;
		if (record_decode(v.mv_data, v.mv_size, old, &why))
			rc = store_index_record(s, t->txn, k->mv_data,
			    k->mv_size, old, 1);
		free(old);
	} else if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && r != NULL)
		rc = store_index_record(s, t->txn, k->mv_data, k->mv_size, r,
		    0);
	if (rc == 0)
		rc = store_reply_put(s, t->txn, k, r ? r->expires : 0,
		    r ? r->reply : NULL, r ? r->reply_len : 0, 0);
	return rc;
}

/*
 * One record of a store being migrated, into the derived databases. A
 * corrupt one gets the reply the schema 1 lookup read from its header,
 * or an entry that reads as damaged (a lookup stays TEMP), and no index
 * entry: the admin fixes it with tlspin pin or unpin.
 */
static int
store_derive_one(struct store *s, MDB_txn *txn, const MDB_val *k,
    const MDB_val *v, struct record *r)
{
	unsigned char damaged[8] = { 0 };
	MDB_val bad = { sizeof(damaged), damaged };
	const char *why, *view;
	uint64_t expires;
	size_t n;
	int rc;

	if (record_decode(v->mv_data, v->mv_size, r, &why)) {
		rc = store_index_record(s, txn, k->mv_data, k->mv_size, r, 0);
		return rc != 0 ? rc : store_reply_put(s, txn, k, r->expires,
		    r->reply, r->reply_len, MDB_APPEND);
	}
	if (store_view_record(v, &expires, &view, &n, &why))
		return store_reply_put(s, txn, k, expires, view, n,
		    MDB_APPEND);
	return mdb_put(txn, s->replies, (MDB_val *)k, &bad, MDB_APPEND);
}

/* Build the derived databases from every record, inside txn. */
static int
store_derive_all(struct store *s, MDB_txn *txn)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct record *r;
	int rc;

	rc = mdb_drop(txn, s->replies, 0);
	if (rc == 0)
		rc = mdb_drop(txn, s->index[STORE_EXPIRY], 0);
	if (rc == 0)
		rc = mdb_drop(txn, s->index[STORE_IDLE], 0);
	if (rc != 0)
		return rc;
	if ((r = malloc(sizeof(*r))) == NULL)
		return ENOMEM;
	rc = mdb_cursor_open(txn, s->domains, &cur);
	if (rc != 0) {
		free(r);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (k.mv_size <= KEY_MAX &&
		    (rc = store_derive_one(s, txn, &k, &v, r)) != 0)
			break;
	mdb_cursor_close(cur);
	free(r);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Read and decode one record inside an LMDB transaction. */
static enum store_status
store_get_in(struct store *s, MDB_txn *txn, const char *key,
    struct record *r, char *err, size_t errsz)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	const char *why;
	int rc;

	rc = mdb_get(txn, s->domains, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot read %s from store %s: %s",
		    key, s->dir, mdb_strerror(rc));
		return STORE_ERROR;
	}
	if (!record_decode(v.mv_data, v.mv_size, r, &why)) {
		errbuf_printf(err, errsz, "record for %s in store %s is "
		    "corrupt: %s (pin or unpin it again to rewrite it)", key,
		    s->dir, why);
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* Start a short read transaction, reporting failure in err. */
static MDB_txn *
store_read_begin(struct store *s, char *err, size_t errsz)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot read store %s: %s", s->dir,
		    mdb_strerror(rc));
		return NULL;
	}
	return txn;
}

/* Read one domain's record. */
enum store_status
store_get(struct store *s, const char *key, struct record *r, char *err,
    size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	enum store_status st;

	if (txn == NULL)
		return STORE_ERROR;
	st = store_get_in(s, txn, key, r, err, errsz);
	mdb_txn_abort(txn);
	return st;
}

/*
 * Call fn for each domain whose key starts with prefix (all, with NULL),
 * in key order, in one read transaction; stops early when fn returns
 * non-zero. A corrupt record goes to bad and the walk goes on: one bad
 * record must not hide the others from a listing, a backup or the
 * counts. Without bad it is an error.
 */
int
store_walk(struct store *s, const char *prefix, store_domain_fn fn,
    store_corrupt_fn bad, void *arg, char *err, size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	MDB_cursor *cur;
	MDB_val k, v;
	struct record *r;
	char key[KEY_MAX + 1];
	size_t plen = prefix ? strlen(prefix) : 0;
	const char *why;
	int rc, ok = 1;

	if (txn == NULL)
		return 0;
	r = malloc(sizeof(*r));
	rc = r ? mdb_cursor_open(txn, s->domains, &cur) : ENOMEM;
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot list store %s: %s", s->dir,
		    mdb_strerror(rc));
		free(r);
		mdb_txn_abort(txn);
		return 0;
	}
	k.mv_size = plen;
	k.mv_data = (void *)prefix;
	rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (plen && (k.mv_size < plen ||
		    memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if (k.mv_size > KEY_MAX)
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (!record_decode(v.mv_data, v.mv_size, r, &why)) {
			if (bad != NULL) {
				if (bad(arg, key, why) != 0)
					break;
				continue;
			}
			errbuf_printf(err, errsz, "record for %s in store %s "
			    "is corrupt: %s", key, s->dir, why);
			ok = 0;
			break;
		}
		if (fn(arg, key, k.mv_size, r) != 0)
			break;
	}
	if (ok && rc != 0 && rc != MDB_NOTFOUND) {
		errbuf_printf(err, errsz, "cannot list store %s: %s", s->dir,
		    mdb_strerror(rc));
		ok = 0;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	free(r);
	return ok;
}

/* Decode an 8-byte big-endian sequence number. */
static uint64_t
store_seq_decode(const MDB_val *k)
{
	const unsigned char *p = k->mv_data;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && i < k->mv_size; i++)
		v = v << 8 | p[i];
	return v;
}

/* Call fn for each event (of domain, if given), oldest first. */
int
store_events_foreach(struct store *s, const char *domain, store_event_fn fn,
    void *arg, char *err, size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	MDB_cursor *cur;
	MDB_val k, v;
	struct record_event *e;
	const char *why;
	int rc;

	if (txn == NULL)
		return 0;
	e = malloc(sizeof(*e));
	rc = e ? mdb_cursor_open(txn, s->events, &cur) : ENOMEM;
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot read events of store %s: %s",
		    s->dir, mdb_strerror(rc));
		free(e);
		mdb_txn_abort(txn);
		return 0;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!record_event_decode(v.mv_data, v.mv_size, e, &why))
			continue; /* one bad event must not hide the rest */
		if (domain && strcmp(domain, e->domain) != 0)
			continue;
		if (fn(arg, store_seq_decode(&k), e) != 0)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	free(e);
	return 1;
}

/* Position the cursor on the first entry after pos (the first of all
 * when pos has not started). */
static int
store_due_first(MDB_cursor *cur, const struct store_due *pos, MDB_val *k,
    MDB_val *v)
{
	unsigned char buf[STORE_INDEX_KEY];
	MDB_val at;
	int rc;

	if (!pos->started)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	at = store_index_key(buf, pos->when, pos->key, strlen(pos->key));
	*k = at;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && k->mv_size == at.mv_size &&
	    memcmp(k->mv_data, buf, at.mv_size) == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

/*
 * Call fn for each entry of index which, after pos, whose time is at
 * most upto, in time order, in one read transaction; pos follows the
 * scan, and fn returns non-zero to stop it (a caller goes on later
 * from pos, in a new transaction). 0 on a store error.
 */
int
store_due(struct store *s, enum store_index which, uint64_t upto,
    struct store_due *pos, store_due_fn fn, void *arg, char *err,
    size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint64_t when;
	size_t n;
	int rc;

	if (txn == NULL)
		return 0;
	if (s->schema != STORE_SCHEMA) {	/* read-only, not migrated */
		mdb_txn_abort(txn);
		return 1;
	}
	rc = mdb_cursor_open(txn, s->index[which], &cur);
	if (rc == 0)
		rc = store_due_first(cur, pos, &k, &v);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= 8 || k.mv_size > STORE_INDEX_KEY)
			continue;	/* not ours: skip it */
		when = store_seq_decode(&k);
		if (when > upto)
			break;
		n = k.mv_size - 8;
		pos->started = 1;
		pos->when = when;
		memcpy(pos->key, (const char *)k.mv_data + 8, n);
		pos->key[n] = '\0';
		if (fn(arg, when, pos->key, n) != 0)
			break;
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		errbuf_printf(err, errsz, "cannot read the %s index of store "
		    "%s: %s", store_index_name[which], s->dir,
		    mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* Drop key's entry at when from index which (one that no longer
 * matches its record); a missing one is not an error. */
int
store_txn_unindex(struct store_txn *t, enum store_index which, uint64_t when,
    const char *key, char *err, size_t errsz)
{
	size_t n = strlen(key);
	int rc;

	rc = n <= KEY_MAX ? store_index_set(t->s, t->txn, which, when, key, n,
	    1) : 0;
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot update the %s index of store "
		    "%s: %s", store_index_name[which], t->s->dir,
		    mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* How many entries index which holds, as the transaction sees it. */
int
store_txn_index_count(struct store_txn *t, enum store_index which,
    size_t *n, char *err, size_t errsz)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->s->index[which], &st);

	*n = rc == 0 ? st.ms_entries : 0;
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot read the %s index of store "
		    "%s: %s", store_index_name[which], t->s->dir,
		    mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* Copy a meta value into buf (*len 0 when absent); 0 on a store error. */
int
store_meta_get(struct store *s, const char *name, void *buf, size_t bufsz,
    size_t *len, char *err, size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	*len = 0;
	if (txn == NULL)
		return 0;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0) {
		*len = v.mv_size < bufsz ? v.mv_size : bufsz;
		memcpy(buf, v.mv_data, *len);
	}
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		errbuf_printf(err, errsz, "cannot read %s from store %s: %s",
		    name, s->dir, mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* A meta value as the write transaction sees it; *len 0 when absent. */
int
store_txn_meta_get(struct store_txn *t, const char *name, void *buf,
    size_t bufsz, size_t *len, char *err, size_t errsz)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc;

	*len = 0;
	rc = mdb_get(t->txn, t->s->meta, &k, &v);
	if (rc == 0) {
		*len = v.mv_size < bufsz ? v.mv_size : bufsz;
		memcpy(buf, v.mv_data, *len);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		errbuf_printf(err, errsz, "cannot read %s from store %s: %s",
		    name, t->s->dir, mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* Sizes and counts for tlspin stats. */
int
store_info(struct store *s, struct store_info *info, char *err, size_t errsz)
{
	MDB_txn *txn = store_read_begin(s, err, errsz);
	MDB_envinfo ei;
	MDB_stat st;

	memset(info, 0, sizeof(*info));
	if (txn == NULL)
		return 0;
	if (mdb_stat(txn, s->domains, &st) == 0)
		info->domains = st.ms_entries;
	if (mdb_stat(txn, s->events, &st) == 0)
		info->events = st.ms_entries;
	if (mdb_stat(txn, s->meta, &st) == 0)
		info->meta = st.ms_entries;
	if (s->schema == STORE_SCHEMA && mdb_stat(txn, s->replies, &st) == 0)
		info->replies = st.ms_entries;
	mdb_txn_abort(txn);
	if (mdb_env_info(s->env, &ei) == 0 && mdb_env_stat(s->env, &st) == 0) {
		info->map_size = ei.me_mapsize;
		info->map_used = (ei.me_last_pgno + 1) * (size_t)st.ms_psize;
		info->max_readers = ei.me_maxreaders;
		info->readers = ei.me_numreaders;
	}
	info->schema = s->schema;
	return 1;
}

/* Start the one write transaction. */
int
store_begin(struct store *s, struct store_txn **out, char *err, size_t errsz)
{
	struct store_txn *t;
	int rc;

	*out = NULL;
	if (s->readonly || s->schema != STORE_SCHEMA) {
		errbuf_printf(err, errsz, "store %s is open read-only", s->dir);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errbuf_printf(err, errsz, "out of memory");
		return 0;
	}
	rc = mdb_txn_begin(s->env, NULL, 0, &t->txn);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot write to store %s: %s%s",
		    s->dir, mdb_strerror(rc), store_hint(rc));
		free(t);
		return 0;
	}
	t->s = s;
	*out = t;
	return 1;
}

/* Read a record inside the write transaction (sees its own writes). */
enum store_status
store_txn_get(struct store_txn *t, const char *key, struct record *r,
    char *err, size_t errsz)
{
	return store_get_in(t->s, t->txn, key, r, err, errsz);
}

/* Write one domain record, and what is derived from it. */
int
store_txn_put(struct store_txn *t, const char *key, const struct record *r,
    char *err, size_t errsz)
{
	unsigned char buf[RECORD_ENCODED_MAX];
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc;

	v.mv_size = record_encode(r, buf, sizeof(buf));
	v.mv_data = buf;
	if (v.mv_size == 0 || k.mv_size == 0 || k.mv_size > KEY_MAX) {
		errbuf_printf(err, errsz, "cannot encode the record for %s",
		    key);
		return 0;
	}
	rc = store_derive(t, &k, r);
	if (rc == 0)
		rc = mdb_put(t->txn, t->s->domains, &k, &v, 0);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot write %s to store %s: %s%s",
		    key, t->s->dir, mdb_strerror(rc), store_hint(rc));
		return 0;
	}
	return 1;
}

/* Delete one domain record and what is derived from it; deleting a
 * missing one is not an error. */
int
store_txn_del(struct store_txn *t, const char *key, char *err, size_t errsz)
{
	MDB_val k = { strlen(key), (void *)key };
	int rc;

	rc = k.mv_size <= KEY_MAX ? store_derive(t, &k, NULL) : 0;
	if (rc == 0)
		rc = mdb_del(t->txn, t->s->domains, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		errbuf_printf(err, errsz, "cannot delete %s from store %s: %s",
		    key, t->s->dir, mdb_strerror(rc));
		return 0;
	}
	return 1;
}

/* Drop the oldest events until at most STORE_EVENTS_MAX remain. */
static int
store_events_trim(struct store_txn *t, MDB_cursor *cur)
{
	MDB_stat st;
	MDB_val k, v;
	size_t extra;
	int rc;

	rc = mdb_stat(t->txn, t->s->events, &st);
	if (rc != 0 || st.ms_entries <= STORE_EVENTS_MAX)
		return rc;
	extra = st.ms_entries - STORE_EVENTS_MAX;
	while (extra-- > 0 && rc == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		if (rc == 0)
			rc = mdb_cursor_del(cur, 0);
	}
	return rc;
}

/* Append one event to the audit trail, keeping it bounded. */
int
store_txn_event(struct store_txn *t, const struct record_event *e, char *err,
    size_t errsz)
{
	unsigned char buf[EVENT_ENCODED_MAX], kb[8];
	MDB_cursor *cur;
	MDB_val k, v, last;
	uint64_t seq = 1;
	int rc, i;

	v.mv_size = record_event_encode(e, buf, sizeof(buf));
	v.mv_data = buf;
	if (v.mv_size == 0) {
		errbuf_printf(err, errsz, "cannot encode an event for %s",
		    e->domain);
		return 0;
	}
	rc = mdb_cursor_open(t->txn, t->s->events, &cur);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot record an event in store %s: "
		    "%s", t->s->dir, mdb_strerror(rc));
		return 0;
	}
	rc = mdb_cursor_get(cur, &k, &last, MDB_LAST);
	if (rc == 0)
		seq = store_seq_decode(&k) + 1;
	if (rc == 0 || rc == MDB_NOTFOUND) {
		for (i = 0; i < 8; i++)
			kb[i] = (unsigned char)(seq >> (8 * (7 - i)));
		k.mv_size = 8;
		k.mv_data = kb;
		rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
	}
	if (rc == 0)
		rc = store_events_trim(t, cur);
	mdb_cursor_close(cur);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot record an event in store %s: "
		    "%s%s", t->s->dir, mdb_strerror(rc), store_hint(rc));
		return 0;
	}
	return 1;
}

/* Write a meta value. */
int
store_txn_meta_put(struct store_txn *t, const char *name, const void *val,
    size_t len, char *err, size_t errsz)
{
	MDB_val k = { strlen(name), (void *)name }, v = { len, (void *)val };
	int rc;

	rc = mdb_put(t->txn, t->s->meta, &k, &v, 0);
	if (rc != 0) {
		errbuf_printf(err, errsz, "cannot write %s to store %s: %s%s",
		    name, t->s->dir, mdb_strerror(rc), store_hint(rc));
		return 0;
	}
	return 1;
}

/*
 * LMDB reports a short write(2) of its pages, the way a file system that
 * fills up mid-commit shows itself, as EIO ("short write, filesystem
 * full?" in its source), and only a write that wrote nothing as ENOSPC.
 * Tell the admin what it is: ENOSPC when the store's file system has
 * (almost) no room left for us.
 */
static int
store_commit_errno(const struct store *s, int rc)
{
	struct statvfs fs;

	if (rc == EIO && statvfs(s->dir, &fs) == 0 &&
	    (uint64_t)fs.f_bavail * fs.f_frsize < STORE_FULL_BELOW)
		return ENOSPC;
	return rc;
}

/* Commit the write transaction; the handle is freed either way. */
int
store_commit(struct store_txn *t, char *err, size_t errsz)
{
	int rc = mdb_txn_commit(t->txn);

	rc = rc == 0 ? 0 : store_commit_errno(t->s, rc);
	if (rc != 0)
		errbuf_printf(err, errsz, "cannot commit to store %s: %s%s",
		    t->s->dir, mdb_strerror(rc), store_hint(rc));
	free(t);
	return rc == 0;
}

/* Abandon the write transaction. */
void
store_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}
