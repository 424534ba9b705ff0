/*
 * NAME
 *	t/unit/answer - the socketmap answer, request bytes to reply bytes
 * DESCRIPTION
 *	answer_request() on a real LMDB store in a mkdtemp directory: a pin
 *	is OK, an unknown domain NOTFOUND, a corrupt record or a reply newer
 *	than postfix_compat TEMP (never NOTFOUND), a malformed netstring or
 *	request PERM and close, a wrong map name PERM; observe mode answers
 *	NOTFOUND and counts; addresses, "[host]:port" and uppercase keys
 *	are normalised, and answer_key() gives what the learner is told.
 */
#include "autoconf.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "record.h"
#include "store.h"
#include "tap.h"

static char dir[64];
static struct config cfg;

/* Pin domain with reply in the store, through the store's own writer. */
static void
pin(const char *domain, const char *reply)
{
	struct store *s;
	struct store_txn *t;
	struct record r;
	char err[STORE_ERR_MAX];

	memset(&r, 0, sizeof(r));
	r.state = STATE_MANUAL;
	r.level = LEVEL_ENCRYPT;
	r.source = SOURCE_MANUAL;
	r.reply_len = (uint16_t)strlen(reply);
	memcpy(r.reply, reply, r.reply_len);
	if (!store_open(&s, dir, STORE_CREATE, err, sizeof(err)) ||
	    !store_begin(s, &t, err, sizeof(err)) ||
	    !store_txn_put(t, domain, &r, err, sizeof(err)) ||
	    !store_commit(t, err, sizeof(err))) {
		printf("Bail out! cannot pin %s in %s: %s\n", domain, dir, err);
		exit(99);
	}
	store_close(s);
}

/* Write bytes that are no record under domain, with LMDB itself. */
static void
corrupt(const char *domain)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val k = { strlen(domain), (void *)domain };
	MDB_val v = { 3, (void *)"\001\003\007" };

	/* lookups read the reply table: damage the entry there too */
	if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 8) != 0 ||
	    mdb_env_open(env, dir, 0, 0600) != 0 ||
	    mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, "domains", 0, &dbi) != 0 ||
	    mdb_put(txn, dbi, &k, &v, 0) != 0 ||
	    mdb_dbi_open(txn, "replies", 0, &dbi) != 0 ||
	    mdb_put(txn, dbi, &k, &v, 0) != 0 || mdb_txn_commit(txn) != 0) {
		printf("Bail out! cannot write a corrupt record in %s\n", dir);
		exit(99);
	}
	mdb_env_close(env);
}

/* Send raw request bytes; the reply as a string, with *close_after. */
static const char *
ask_raw(struct answer *a, const char *req, size_t len, int *close_after)
{
	static char out[ANSWER_REPLY_MAX + 16];
	size_t used, n;

	n = answer_request(a, req, len, out, sizeof(out) - 1, &used,
	    close_after);
	out[n] = '\0';
	return out;
}

/* Send "policy KEY" as a netstring; the reply. */
static const char *
ask(struct answer *a, const char *key)
{
	char req[600];
	int close_after, n;

	n = snprintf(req, sizeof(req), "%zu:policy %s,", strlen(key) + 7, key);
	return ask_raw(a, req, (size_t)n, &close_after);
}

/* The key the learner would hear of after the last request. */
static const char *
key_of(struct answer *a)
{
	size_t len;
	const char *k = answer_key(a, &len);

	return k != NULL ? k : "(none)";
}

static void
test_lookups(struct answer *a)
{
	const struct answer_stats *st = answer_stats(a);

	tap_is_str(ask(a, "example.test"), "10:OK encrypt,", "a pin is OK");
	tap_is_str(key_of(a), "example.test", "its key is told");
	tap_is_str(ask(a, "unknown.test"), "9:NOTFOUND ,",
	    "an unknown domain is NOTFOUND");
	tap_is_str(ask(a, "EXAMPLE.Test."), "10:OK encrypt,",
	    "uppercase and a trailing dot are the same domain");
	tap_is_str(key_of(a), "example.test", "told lowercase");
	tap_is_str(ask(a, "[Example.test]:587"), "10:OK encrypt,",
	    "[host]:port is the host");
	tap_is_str(ask(a, "[example.test]"), "10:OK encrypt,",
	    "[host] is the host");
	tap_is_str(ask(a, "[192.0.2.1]:25"), "9:NOTFOUND ,",
	    "an IP address is NOTFOUND");
	tap_is_str(key_of(a), "192.0.2.1", "yet the learner hears of it");
	tap_is_str(ask(a, "bad..name"), "9:NOTFOUND ,",
	    "an invalid name is NOTFOUND");
	tap_is_str(key_of(a), "(none)", "and is not told");
	tap_ok(strstr(ask(a, "corrupt.test"),
	    ":TEMP tlspin: reply record is ") != NULL,
	    "a corrupt record is TEMP, not NOTFOUND");
	tap_ok(strstr(ask(a, "newer.test"), "TEMP tlspin: attribute is "
	    "newer than postfix_compat") != NULL,
	    "a reply newer than postfix_compat is TEMP");
	tap_is_int((long long)st->requests, 9, "9 requests counted");
	tap_is_int((long long)st->ok, 4, "4 OK");
	tap_is_int((long long)st->notfound, 3, "3 NOTFOUND");
	tap_is_int((long long)st->temp, 2, "2 TEMP");
}

static void
test_malformed(struct answer *a)
{
	int close_after;
	size_t used;
	char out[256];

	tap_is_str(ask_raw(a, "18:other example.test,", 22, &close_after),
	    "65:PERM unknown map name (tlspind answers map_name from "
	    "tlspin.conf),", "a wrong map name is PERM");
	tap_is_int(close_after, 0, "and the connection stays");
	tap_ok(strstr(ask_raw(a, "6:policy,", 9, &close_after), ":PERM "
	    "malformed request") != NULL, "no \"MAP KEY\" is PERM");
	tap_is_int(close_after, 1, "and closes");
	tap_ok(strstr(ask_raw(a, "x:policy a,", 11, &close_after), ":PERM ") !=
	    NULL, "a bad netstring is PERM");
	tap_is_int(close_after, 1, "and closes");
	tap_is_int((long long)answer_request(a, "19:policy exam", 14, out,
	    sizeof(out), &used, &close_after), 0,
	    "a partial request: no reply");
	tap_is_int((long long)used, 0, "and nothing used");
	tap_is_int((long long)answer_request(a, "3:x y,3:x z,", 12, out,
	    sizeof(out), &used, &close_after), 69, "two requests: one reply");
	tap_is_int((long long)used, 6, "that took the first one only");
	tap_is_int((long long)answer_stats(a)->perm, 4, "PERM counted");
}

static void
test_observe(void)
{
	struct config c = cfg;
	struct answer *a;

	c.mode = MODE_OBSERVE;
	a = answer_new(&c);
	tap_is_str(ask(a, "example.test"), "9:NOTFOUND ,",
	    "observe: a pin is NOTFOUND");
	tap_is_int((long long)answer_stats(a)->observed, 1, "and observed");
	tap_is_str(ask(a, "corrupt.test"), "9:NOTFOUND ,",
	    "observe: a store error holds no mail either");
	answer_configure(a, &cfg);
	tap_is_str(ask(a, "example.test"), "10:OK encrypt,",
	    "a reload to enforce answers OK");
	answer_free(a);
}

/* The values that passed are remembered per postfix_compat: a reload to
 * an older Postfix must check them again. */
static void
test_compat_reload(void)
{
	struct config c = cfg;
	struct answer *a;

	c.postfix_compat = 309;
	a = answer_new(&c);
	tap_is_str(ask(a, "newer.test"), "25:OK encrypt enable_rpk=yes,",
	    "postfix_compat 3.9: enable_rpk= goes out");
	tap_is_str(ask(a, "newer.test"), "25:OK encrypt enable_rpk=yes,",
	    "and again");
	c.postfix_compat = 308;
	answer_configure(a, &c);
	tap_ok(strstr(ask(a, "newer.test"), "TEMP tlspin: attribute is "
	    "newer than postfix_compat") != NULL,
	    "a reload to 3.8: the same value is TEMP");
	tap_is_str(ask(a, "example.test"), "10:OK encrypt,",
	    "while an older value still goes out");
	c.postfix_compat = 309;
	answer_configure(a, &c);
	tap_is_str(ask(a, "newer.test"), "25:OK encrypt enable_rpk=yes,",
	    "back to 3.9: OK again");
	answer_free(a);
}

static void
test_no_store(void)
{
	struct config c = cfg;
	struct answer *a;

	snprintf(c.store, sizeof(c.store), "%s/data.mdb/sub", dir);
	a = answer_new(&c);
	tap_is_int(answer_open_store(a, NULL, 0), 0, "a store that cannot open");
	tap_ok(strstr(ask(a, "example.test"), ":TEMP tlspin: store "
	    "unavailable,") != NULL, "is TEMP");
	answer_free(a);
}

int
main(void)
{
	struct answer *a;
	char path[128];

	log_init("answer", LOG_TARGET_STDERR);
	snprintf(dir, sizeof(dir), "/tmp/tlspin-answer.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 99;
	}
	config_defaults(&cfg);
	snprintf(cfg.store, sizeof(cfg.store), "%s", dir);
	pin("example.test", "encrypt");
	pin("newer.test", "encrypt enable_rpk=yes");
	pin("corrupt.test", "encrypt");
	corrupt("corrupt.test");
	a = answer_new(&cfg);
	tap_ok(a != NULL && answer_open_store(a, NULL, 0), "the store opens");
	test_lookups(a);
	test_malformed(a);
	answer_free(a);
	test_observe();
	test_compat_reload();
	test_no_store();
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
