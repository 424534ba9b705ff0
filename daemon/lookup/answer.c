/*
 * NAME
 *	answer - one socketmap request in, one reply out
 * SYNOPSIS
 *	#include "answer.h"
 *
 *	struct answer *answer_new(cfg)
 *	size_t answer_request(a, buf, len, out, outsz, used, close_after)
 *	const char *answer_key(a, keylen)
 * DESCRIPTION
 *	The whole of what tlspind says to Postfix, without the sockets:
 *	answer_request() takes the bytes a client sent, parses the first
 *	netstring "MAP KEY" in them, normalises the key, looks it up in the
 *	store and writes one netstring reply. It is the only place replies
 *	are made (server.c moves the bytes):
 *
 *	OK <value>	a pin, validated against postfix_compat first
 *	NOTFOUND	no pin (or mode = observe: counted, not enforced)
 *	TEMP <why>	the store failed: Postfix defers, never sends in clear
 *	PERM <why>	unknown map name, or a malformed request (then close)
 *
 *	Values that passed the check are remembered with the postfix_compat
 *	they passed against (a few slots), so the check of a common value
 *	costs one comparison.
 *
 *	The lookup never waits on anything but one LMDB read transaction.
 *	When the store cannot be opened, each lookup answers TEMP and the
 *	open is retried at most once a second. answer_key() gives the
 *	normalised key of the last request (an address too: it is a next
 *	hop), which the daemon forwards to the learner as a hint.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "clock.h"
#include "key.h"
#include "log.h"
#include "netstring.h"

#define USEC 1000000ULL

/* Replies found valid lately: a reply is checked against postfix_compat
 * on every lookup, yet most pins share a few values ("encrypt"). */
#define ANSWER_VALID_SLOTS 8

struct answer_valid {
	unsigned compat;	/* postfix_compat it was checked against */
	size_t len;		/* 0: empty slot */
	char value[REPLY_MAX];
};

struct answer {
	struct config cfg;
	size_t map_len;		/* strlen(cfg.map_name) */
	struct store *store;
	uint64_t store_retry;	/* monotonic usec of the next open try */
	uint64_t last_warn;	/* rate limit for repeated warnings */
	struct answer_stats stats;
	char key[KEY_MAX + 1];	/* key of the last request */
	size_t keylen;		/* 0: the last request had no valid key */
	struct answer_valid valid[ANSWER_VALID_SLOTS];
};

/* Log a warning at most once every 10 s, so a flood cannot fill logs. */
static int
answer_warn_allowed(struct answer *a)
{
	return clock_every(&a->last_warn, 10 * USEC);
}

/* Make the answerer; the store opens on the first lookup, or with
 * answer_open_store(). */
struct answer *
answer_new(const struct config *cfg)
{
	struct answer *a = calloc(1, sizeof(*a));

	if (a != NULL) {
		a->cfg = *cfg;
		a->map_len = strlen(a->cfg.map_name);
	}
	return a;
}

/* Apply the settings that can change on reload. */
void
answer_configure(struct answer *a, const struct config *cfg)
{
	a->cfg.mode = cfg->mode;
	a->cfg.postfix_compat = cfg->postfix_compat;
	memcpy(a->cfg.map_name, cfg->map_name, sizeof(cfg->map_name));
	a->map_len = strlen(a->cfg.map_name);
}

/* Open the store if it is not open, at most once a second; 1 if open.
 * Otherwise the reason goes to the log (at most every 10 s) and, when
 * err is not NULL, to err, with what lookups answer meanwhile. */
int
answer_open_store(struct answer *a, char *err, size_t errsz)
{
	char why[STORE_ERR_MAX + 80];
	uint64_t now;

	if (a->store != NULL)
		return 1;
	now = clock_usec(CLOCK_MONOTONIC);
	if (now < a->store_retry && err == NULL)
		return 0;
	a->store_retry = now + USEC;
	if (!store_open(&a->store, a->cfg.store, STORE_CREATE | STORE_LOOKUP,
	    why, STORE_ERR_MAX)) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		    "; answering %s until it opens", a->cfg.mode ==
		    MODE_OBSERVE ? "NOTFOUND (mode = observe)" :
		    "TEMP (Postfix defers)");
		if (answer_warn_allowed(a))
			log_err("%s", why);
		if (err != NULL)
			snprintf(err, errsz, "%s", why);
		return 0;
	}
	log_info("store %s open", a->cfg.store);
	return 1;
}

/* The store if it is open, else NULL (no attempt to open it). */
struct store *
answer_store(const struct answer *a)
{
	return a->store;
}

/* Encode "WORD text" as a netstring into out; 0 if it does not fit. */
size_t
answer_reply(char *out, size_t outsz, const char *word, const char *text,
    size_t len)
{
	char buf[ANSWER_REPLY_MAX];
	size_t w = strlen(word);

	if (w + 1 + len > sizeof(buf))
		len = sizeof(buf) - w - 1;
	memcpy(buf, word, w);
	buf[w] = ' ';
	memcpy(buf + w + 1, text, len);
	return netstring_encode(out, outsz, buf, w + 1 + len);
}

/* Answer one request with TEMP, logging why (rate-limited). In observe
 * mode nothing is enforced, so a failure must not hold mail either: the
 * answer is NOTFOUND, as for every other lookup in that mode. */
static size_t
answer_temp(struct answer *a, char *out, size_t outsz, const char *key,
    const char *why)
{
	char text[512];
	int n, observe = a->cfg.mode == MODE_OBSERVE;

	a->stats.temp++;
	if (answer_warn_allowed(a))
		log_warn("lookup of %s failed: %s; answered %s", key, why,
		    observe ? "NOTFOUND (mode = observe)" :
		    "TEMP (Postfix defers the mail)");
	if (observe)
		return netstring_encode(out, outsz, "NOTFOUND ", 9);
	n = snprintf(text, sizeof(text), "tlspin: %s", why);
	return answer_reply(out, outsz, "TEMP", text,
	    n < 0 ? 0 : (size_t)n >= sizeof(text) ? sizeof(text) - 1 :
	    (size_t)n);
}

/* reply_validate(), remembering the values it passed: it depends on
 * nothing but the bytes and postfix_compat, so a value equal to one
 * that passed against the same compat passes again. */
static int
answer_validate(struct answer *a, const char *value, size_t n,
    const char **why)
{
	struct answer_valid *v;
	unsigned compat = a->cfg.postfix_compat;

	if (n == 0 || n > REPLY_MAX)
		return reply_validate(value, n, compat, why);
	v = &a->valid[(n ^ (unsigned char)value[n - 1]) % ANSWER_VALID_SLOTS];
	if (v->len == n && v->compat == compat && memcmp(v->value, value,
	    n) == 0)
		return 1;
	if (!reply_validate(value, n, compat, why))
		return 0;
	memcpy(v->value, value, n);
	v->len = n;
	v->compat = compat;
	return 1;
}

/* Look up a normalised key and answer; see the file header. */
static size_t
answer_lookup(struct answer *a, const char *key, size_t keylen, char *out,
    size_t outsz)
{
	char reply[3 + REPLY_MAX + 1];	/* "OK " then the value, in place */
	char *value = reply + 3;
	const char *why = "store unavailable";
	enum store_status rc;
	size_t n = 0;

	if (!answer_open_store(a, NULL, 0))
		return answer_temp(a, out, outsz, key, why);
	rc = store_lookup(a->store, key, keylen,
	    clock_usec(CLOCK_REALTIME) / USEC, value, sizeof(reply) - 3, &n,
	    &why);
	if (rc == STORE_ERROR)
		return answer_temp(a, out, outsz, key, why);
	if (rc == STORE_OK && !answer_validate(a, value, n, &why))
		return answer_temp(a, out, outsz, key, why);
	if (rc == STORE_OK && a->cfg.mode == MODE_OBSERVE) {
		a->stats.observed++;
		rc = STORE_NOTFOUND;
	}
	if (rc == STORE_NOTFOUND) {
		a->stats.notfound++;
		return netstring_encode(out, outsz, "NOTFOUND ", 9);
	}
	a->stats.ok++;
	memcpy(reply, "OK ", 3);
	return netstring_encode(out, outsz, reply, 3 + n);
}

/* Answer one request payload "MAP KEY" as one netstring. */
static size_t
answer_payload(struct answer *a, const char *req, size_t len, char *out,
    size_t outsz, int *close_after)
{
	const char *sp = memchr(req, ' ', len);
	char key[KEY_MAX + 1];
	size_t mlen, keylen;
	enum key_status st;
	static const char bad[] = "malformed request: expected \"MAP KEY\"";
	static const char nomap[] = "unknown map name (tlspind answers "
	    "map_name from tlspin.conf)";

	if (sp == NULL) {
		a->stats.perm++;
		*close_after = 1;
		return answer_reply(out, outsz, "PERM", bad, sizeof(bad) - 1);
	}
	mlen = (size_t)(sp - req);
	if (mlen != a->map_len ||
	    memcmp(req, a->cfg.map_name, mlen) != 0) {
		a->stats.perm++;
		return answer_reply(out, outsz, "PERM", nomap,
		    sizeof(nomap) - 1);
	}
	st = key_normalize(sp + 1, len - mlen - 1, key, &keylen);
	if (st != KEY_INVALID) {
		/* an address is a next hop too: the learner must hear of it
		 * to count the delivery for no domain */
		memcpy(a->key, key, keylen + 1);
		a->keylen = keylen;
	}
	if (st != KEY_OK) {
		a->stats.notfound++;
		return netstring_encode(out, outsz, "NOTFOUND ", 9);
	}
	return answer_lookup(a, key, keylen, out, outsz);
}

/*
 * Answer the first request in buf[0, len) into out; the reply's length.
 * *used is the bytes of buf it took: 0 (and no reply) when the request
 * is not complete yet. A malformed netstring takes all of buf and sets
 * *close_after, as does a payload without "MAP KEY".
 */
size_t
answer_request(struct answer *a, const char *buf, size_t len, char *out,
    size_t outsz, size_t *used, int *close_after)
{
	struct netstring ns;
	const char *why;
	enum netstring_status st;

	*used = 0;
	*close_after = 0;
	a->keylen = 0;
	st = netstring_parse(buf, len, NETSTRING_REQUEST_MAX, &ns, &why);
	if (st == NETSTRING_MORE)
		return 0;
	a->stats.requests++;
	if (st == NETSTRING_ERROR) {
		a->stats.perm++;
		*used = len;
		*close_after = 1;
		return answer_reply(out, outsz, "PERM", why, strlen(why));
	}
	*used = ns.consumed;
	return answer_payload(a, ns.data, ns.len, out, outsz, close_after);
}

/* The normalised key of the last request, NULL if it had none. */
const char *
answer_key(const struct answer *a, size_t *keylen)
{
	*keylen = a->keylen;
	return a->keylen > 0 ? a->key : NULL;
}

/* Counters since start. */
const struct answer_stats *
answer_stats(const struct answer *a)
{
	return &a->stats;
}

/* Close the store and free. */
void
answer_free(struct answer *a)
{
	if (a == NULL)
		return;
	store_close(a->store);
	free(a);
}
