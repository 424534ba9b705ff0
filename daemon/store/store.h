/* store.h: the LMDB store shared by tlspind and tlspin (see store.c). */
#ifndef TLSPIN_STORE_H
#define TLSPIN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define STORE_SCHEMA 2		/* layout of the named databases */
#define STORE_SCHEMA_RECORDS 1	/* no reply table: read and migrated */
#define STORE_EVENTS_MAX 100000	/* audit trail keeps this many events */
#define STORE_ERR_MAX 512

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_ERROR
};

enum store_open_flags {
	STORE_READONLY = 1,	/* never write (read-only commands) */
	STORE_CREATE = 2,	/* create the directory and databases */
	STORE_LOOKUP = 4,	/* the lookup process: never migrate */
	STORE_NOLOCK = 8	/* with READONLY: no lock.mdb (none exists, so
				 * no writer runs); never creates one */
};

/* The indexes of what falls due, by time (see store.c). */
enum store_index {
	STORE_EXPIRY = 0,	/* learned pins, by when they expire */
	STORE_IDLE		/* evidence-only records, by last activity */
};

/* Where a scan of an index got to; zeroed to start from the first. */
struct store_due {
	int started;
	uint64_t when;
	char key[KEY_MAX + 1];
};

struct store;
struct store_txn;

struct store_info {
	size_t domains, events, meta;
	size_t replies;		/* domains Postfix gets a reply for (schema 2) */
	size_t map_size, map_used;
	unsigned schema;
	unsigned max_readers, readers;
};

typedef int (*store_domain_fn)(void *arg, const char *key, size_t keylen,
    const struct record *r);
typedef int (*store_corrupt_fn)(void *arg, const char *key, const char *why);
typedef int (*store_due_fn)(void *arg, uint64_t when, const char *key,
    size_t keylen);
typedef int (*store_event_fn)(void *arg, uint64_t seq,
    const struct record_event *e);

int store_open(struct store **out, const char *dir, int flags, char *err,
    size_t errsz);
int store_trusted(const char *dir, char *err, size_t errsz);
void store_close(struct store *s);
const char *store_dir(const struct store *s);

int store_read_hold(struct store *s);
void store_read_release(struct store *s);
enum store_status store_lookup(struct store *s, const char *key,
    size_t keylen, uint64_t now, char *reply, size_t replysz,
    size_t *reply_len, const char **err);

enum store_status store_get(struct store *s, const char *key,
    struct record *r, char *err, size_t errsz);
int store_walk(struct store *s, const char *prefix, store_domain_fn fn,
    store_corrupt_fn bad, void *arg, char *err, size_t errsz);
int store_events_foreach(struct store *s, const char *domain,
    store_event_fn fn, void *arg, char *err, size_t errsz);
int store_due(struct store *s, enum store_index which, uint64_t upto,
    struct store_due *pos, store_due_fn fn, void *arg, char *err,
    size_t errsz);
int store_meta_get(struct store *s, const char *name, void *buf,
    size_t bufsz, size_t *len, char *err, size_t errsz);
int store_info(struct store *s, struct store_info *info, char *err,
    size_t errsz);

int store_begin(struct store *s, struct store_txn **out, char *err,
    size_t errsz);
enum store_status store_txn_get(struct store_txn *t, const char *key,
    struct record *r, char *err, size_t errsz);
int store_txn_put(struct store_txn *t, const char *key,
    const struct record *r, char *err, size_t errsz);
int store_txn_del(struct store_txn *t, const char *key, char *err,
    size_t errsz);
int store_txn_unindex(struct store_txn *t, enum store_index which,
    uint64_t when, const char *key, char *err, size_t errsz);
int store_txn_index_count(struct store_txn *t, enum store_index which,
    size_t *n, char *err, size_t errsz);
int store_txn_event(struct store_txn *t, const struct record_event *e,
    char *err, size_t errsz);
int store_txn_meta_put(struct store_txn *t, const char *name,
    const void *val, size_t len, char *err, size_t errsz);
int store_txn_meta_get(struct store_txn *t, const char *name, void *buf,
    size_t bufsz, size_t *len, char *err, size_t errsz);
int store_commit(struct store_txn *t, char *err, size_t errsz);
void store_abort(struct store_txn *t);

#endif
