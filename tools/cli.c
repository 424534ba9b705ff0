/*
 * NAME
 *	cli - what the tlspin commands share
 * SYNOPSIS
 *	#include "cli.h"
 * DESCRIPTION
 *	Finding and opening the store the daemon uses (--store, then
 *	$TLSPIN_STORE, then "store" in tlspin.conf, then the built-in
 *	default), switching from root to the store's owner so files the
 *	CLI creates stay readable by tlspind, normalising domain arguments,
 *	and printing records as text or JSON.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "key.h"
#include "policy.h"

/* Read tlspin.conf (if any) and decide which store to open. */
int
cli_setup(struct cli *c)
{
	char err[CONFIG_ERR_MAX];
	const char *env = getenv("TLSPIN_STORE");

	config_defaults(&c->cfg);
	if (!config_load(&c->cfg, c->config_file, c->config_given, err,
	    sizeof(err))) {
		fprintf(stderr, "tlspin: %s\n", err);
		return EXIT_USAGE;
	}
	if (c->store_arg != NULL)
		c->store_path = c->store_arg;
	else if (env != NULL && env[0] != '\0')
		c->store_path = env;
	else
		c->store_path = c->cfg.store;
	return EXIT_OKAY;
}

/* As root, act as the owner of an existing store directory, so that the
 * files LMDB creates or grows stay usable by tlspind. */
static int
cli_become_owner(const char *dir)
{
	struct stat sb;

	if (geteuid() != 0 || stat(dir, &sb) != 0 || sb.st_uid == 0)
		return 1;
	if (setgid(sb.st_gid) != 0 || setuid(sb.st_uid) != 0) {
		fprintf(stderr, "tlspin: cannot act as the owner (uid %u) of "
		    "store %s: %s\n", (unsigned)sb.st_uid, dir,
		    strerror(errno));
		return 0;
	}
	return 1;
}

/* Open the store; prints the error and returns EXIT_STORE on failure. */
int
cli_open(struct cli *c, int flags, struct store **out)
{
	char err[STORE_ERR_MAX];

	if (!cli_become_owner(c->store_path))
		return EXIT_STORE;
	if (!store_open(out, c->store_path, flags, err, sizeof(err))) {
		fprintf(stderr, "tlspin: %s\n", err);
		return EXIT_STORE;
	}
	return EXIT_OKAY;
}

/* Normalise a domain argument; prints why and returns 0 if invalid. */
int
cli_key(const char *arg, char *out)
{
	size_t len;

	if (key_normalize(arg, strlen(arg), out, &len) != KEY_OK) {
		fprintf(stderr, "tlspin: \"%s\" is not a valid domain name "
		    "(expected e.g. example.com, or .example.com for its "
		    "subdomains)\n", arg);
		return 0;
	}
	return 1;
}

/* Wall-clock seconds. */
uint64_t
cli_now(void)
{
	return (uint64_t)time(NULL);
}

/* Format a time as ISO 8601 UTC, or "never" for 0. */
void
cli_time(char *buf, size_t bufsz, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, bufsz, "%s", t == 0 ? "never" : "?");
		return;
	}
	strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What Postfix gets for this record right now, as tlspin query prints it. */
const char *
cli_answer(const struct record *r, uint64_t now, char *buf, size_t bufsz)
{
	if (r->reply_len == 0 || (r->expires != 0 && r->expires <= now))
		snprintf(buf, bufsz, "NOTFOUND");
	else
		snprintf(buf, bufsz, "OK %s", r->reply);
	return buf;
}

/* Print a record for a person. */
void
cli_record_text(FILE *f, const char *key, const struct record *r,
    uint64_t now)
{
	char t[64], ans[REPLY_MAX + 16];

	fprintf(f, "domain:       %s\n", key);
	fprintf(f, "postfix gets: %s\n", cli_answer(r, now, ans, sizeof(ans)));
	fprintf(f, "state:        %s (source: %s)\n",
	    policy_state_name(r->state), policy_source_name(r->source));
	fprintf(f, "level:        %s\n", policy_level_name(r->level));
	if (r->match_len)
		fprintf(f, "match:        %s\n", r->match);
	cli_time(t, sizeof(t), r->expires);
	fprintf(f, "expires:      %s%s\n", t, r->expires && r->expires <= now ?
	    " (expired)" : "");
	cli_time(t, sizeof(t), r->pinned_at);
	fprintf(f, "pinned at:    %s\n", t);
	cli_time(t, sizeof(t), r->updated);
	fprintf(f, "updated:      %s\n", t);
	if (r->first_seen) {
		cli_time(t, sizeof(t), r->first_seen);
		fprintf(f, "first seen:   %s\n", t);
		cli_time(t, sizeof(t), r->last_seen);
		fprintf(f, "last seen:    %s\n", t);
		cli_time(t, sizeof(t), r->last_good);
		fprintf(f, "last good:    %s\n", t);
	}
	fprintf(f, "deliveries:   %u (tls %u, trusted %u, verified %u, "
	    "plaintext %u; failures since pin %u)\n", r->deliveries, r->tls,
	    r->trusted, r->verified, r->plaintext, r->failures);
	if (r->note_len)
		fprintf(f, "note:         %s\n", r->note);
}

/* Print a "name": "time" pair, null for "never". */
static void
cli_json_time(FILE *f, const char *name, uint64_t t)
{
	char buf[64];

	fprintf(f, ",\"%s\":", name);
	if (t == 0) {
		fputs("null", f);
		return;
	}
	cli_time(buf, sizeof(buf), t);
	json_string(f, buf);
}

/* Print a record as one JSON object. */
void
cli_record_json(FILE *f, const char *key, const struct record *r,
    uint64_t now)
{
	char ans[REPLY_MAX + 16];

	fputs("{\"domain\":", f);
	json_string(f, key);
	fputs(",\"answer\":", f);
	json_string(f, cli_answer(r, now, ans, sizeof(ans)));
	fputs(",\"state\":", f);
	json_string(f, policy_state_name(r->state));
	fputs(",\"source\":", f);
	json_string(f, policy_source_name(r->source));
	fputs(",\"level\":", f);
	json_string(f, policy_level_name(r->level));
	fputs(",\"policy\":", f);
	json_string(f, r->reply);
	fputs(",\"match\":", f);
	json_string(f, r->match);
	cli_json_time(f, "expires", r->expires);
	cli_json_time(f, "pinned_at", r->pinned_at);
	cli_json_time(f, "updated", r->updated);
	cli_json_time(f, "first_seen", r->first_seen);
	cli_json_time(f, "last_seen", r->last_seen);
	cli_json_time(f, "last_good", r->last_good);
	fprintf(f, ",\"deliveries\":%u,\"tls\":%u,\"trusted\":%u,"
	    "\"verified\":%u,\"plaintext\":%u,\"failures\":%u,\"note\":",
	    r->deliveries, r->tls, r->trusted, r->verified, r->plaintext,
	    r->failures);
	json_string(f, r->note);
	cli_json_time(f, "last_plain", r->last_plain);
	cli_json_time(f, "last_failure", r->last_failure);
	fputs(",\"failure\":", f);
	json_string(f, r->failure);
	fputs(",\"seen\":", f);
	json_string(f, r->seen);
	cli_json_time(f, "run_since", r->streak_first);
	fprintf(f, ",\"run\":%u,\"run_verified\":%u,\"run_trusted\":%u,"
	    "\"run_hosts\":", r->streak, r->streak_verified, r->streak_trusted);
	json_string(f, r->streak_hosts);
	cli_json_time(f, "probed", r->probed);
	fputs(",\"probe\":", f);
	json_string(f, r->probe);
	fputc('}', f);
}

/* Report a usage error for cmd and return EXIT_USAGE. */
int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlspin %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see tlspin %s --help)\n", cmd);
	return EXIT_USAGE;
}
