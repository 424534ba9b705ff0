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
 *
 *	cli_getopt() is the one option parser of every command and of the
 *	global options: opts_next() (GNU conventions, errors that name the
 *	option) with the command's usage line, printing what it says is
 *	wrong. cli_text_ok() and cli_pin_ok()
 *	check what an admin is about to store, so that nothing is written
 *	that the readers then reject or that pins more than was meant.
 */
#include "autoconf.h"

#include <errno.h>
#include <libpsl.h>
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

/* Read tlspin.conf (if any) and decide which store to open; 0 with err
 * when the file is bad (the built-in settings are then in c->cfg). */
int
cli_setup_err(struct cli *c, char *err, size_t errsz)
{
	const char *env = getenv("TLSPIN_STORE");
	int ok;

	config_defaults(&c->cfg);
	ok = config_load(&c->cfg, c->config_file, c->config_given, err, errsz);
	if (!ok)
		config_defaults(&c->cfg);
	if (c->store_arg != NULL)
		c->store_path = c->store_arg;
	else if (env != NULL && env[0] != '\0')
		c->store_path = env;
	else
		c->store_path = c->cfg.store;
	return ok;
}

/* Read tlspin.conf (if any) and decide which store to open. */
int
cli_setup(struct cli *c)
{
	char err[CONFIG_ERR_MAX];

	if (!cli_setup_err(c, err, sizeof(err))) {
		fprintf(stderr, "tlspin: %s\n", err);
		return EXIT_USAGE;
	}
	return EXIT_OKAY;
}

/*
 * The next option of cmd (NULL for the global options), as opts_next()
 * finds it with cmd's usage line; an error is printed, and is '?' (exit
 * 2). Set optind to 0 before the first call on a new argv.
 */
int
cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	char err[OPTS_ERR_MAX];
	int o;

	o = opts_next(cmd, cmd ? cmd_usage(cmd) : CLI_GLOBAL_USAGE, argc,
	    argv, shortopts, longopts, err, sizeof(err));
	if (o == '?')
		fprintf(stderr, "tlspin%s%s: %s\n", cmd ? " " : "",
		    cmd ? cmd : "", err);
	return o;
}

/* How a byte that text fields cannot hold is named in an error. */
static void
cli_byte_name(unsigned char b, char *buf, size_t bufsz)
{
	if (b == '\t')
		snprintf(buf, bufsz, "a tab (0x09)");
	else if (b == '\n')
		snprintf(buf, bufsz, "a line feed (0x0a)");
	else if (b == '\r')
		snprintf(buf, bufsz, "a carriage return (0x0d)");
	else if (b >= 0x80)
		snprintf(buf, bufsz, "byte 0x%02x (not ASCII)", b);
	else
		snprintf(buf, bufsz, "control byte 0x%02x", b);
}

/* Can the text given with option opt be stored? Says why not. */
int
cli_text_ok(const char *cmd, const char *opt, const char *text, size_t max)
{
	size_t len = strlen(text), bad = record_text_bad(text, len);
	char name[96];

	if (len > max) {
		cli_usage_error(cmd, "%s is %zu bytes, longer than the %zu a "
		    "record holds", opt, len, max);
		return 0;
	}
	if (bad == len)
		return 1;
	cli_byte_name((unsigned char)text[bad], name, sizeof(name));
	cli_usage_error(cmd, "%s has %s at byte %zu; allowed are printable "
	    "ASCII characters (0x20-0x7e: letters, digits, punctuation, "
	    "spaces), on one line", opt, name, bad + 1);
	return 0;
}

/* Would pinning key (arg as given) pin what the admin means? A
 * public suffix or TLD pins every domain under it, so it needs --force
 * (cli_key() has already refused IP addresses). */
int
cli_pin_ok(const char *cmd, const char *arg, const char *key, int force)
{
	const char *name = key + (key[0] == '.');
	const psl_ctx_t *psl = psl_builtin();
	int tld = strchr(name, '.') == NULL;

	if (force || !(tld || (psl != NULL &&
	    psl_is_public_suffix(psl, name))))
		return 1;
	cli_usage_error(cmd, "refusing to pin %s: %s is %s, so the policy "
	    "would %s; give a domain such as example.com (or .example.com "
	    "for its subdomains), or add --force if you mean it", arg, name,
	    tld ? "a single label (a top-level domain)" :
	    "a public suffix (publicsuffix.org)",
	    key[0] == '.' ? "apply to every domain under it" :
	    "be for a name that is no one's mail domain");
	return 0;
}

/* Warn that list, export or stats skipped key's corrupt record. */
void
cli_corrupt(const char *cmd, const char *store, const char *key,
    const char *why)
{
	fprintf(stderr, "tlspin %s: warning: skipped %s: its record in store "
	    "%s is corrupt (%s); tlspin show %s for more, tlspin unpin %s to "
	    "remove it (or pin it again to rewrite it)\n", cmd, key, store,
	    why, key, key);
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

/* Normalise a domain argument; prints why and returns 0 if invalid.
 * An IP address is refused unless address is set (unpin, to remove a
 * record an older tlspin let in): tlspind never looks one up. */
int
cli_key(const char *arg, char *out, int address)
{
	size_t len;
	enum key_status st = key_normalize(arg, strlen(arg), out, &len);

	if (st == KEY_OK || (st == KEY_ADDRESS && address))
		return 1;
	if (st == KEY_ADDRESS)
		fprintf(stderr, "tlspin: %s is an IP address, not a domain "
		    "name: tlspind answers NOTFOUND for an address next hop "
		    "(tlspind(8)), as pins are per domain; give the domain, "
		    "or the relay's host name in relayhost or the transport\n",
		    arg);
	else
		fprintf(stderr, "tlspin: \"%s\" is not a valid domain name "
		    "(expected e.g. example.com, or .example.com for its "
		    "subdomains)\n", arg);
	return 0;
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

/* The EXPIRES of a record: its time, "never", or "-" with no policy. */
void
cli_expires(char *buf, size_t bufsz, const struct record *r)
{
	if (r->reply_len == 0)
		snprintf(buf, bufsz, "- (not pinned)");
	else
		cli_time(buf, bufsz, r->expires);
}

/* What tlspind answers for this record in enforce mode, as tlspin query
 * prints it. */
const char *
cli_enforce_answer(const struct record *r, uint64_t now, char *buf,
    size_t bufsz)
{
	if (r->reply_len == 0 || (r->expires != 0 && r->expires <= now))
		snprintf(buf, bufsz, "NOTFOUND");
	else
		snprintf(buf, bufsz, "OK %s", r->reply);
	return buf;
}

/* What Postfix gets now, for people: in mode = observe tlspind answers
 * NOTFOUND, and this says what it would answer when enforcing. */
const char *
cli_answer(const struct cli *c, const struct record *r, uint64_t now,
    char *buf, size_t bufsz)
{
	char ans[REPLY_MAX + 16];

	cli_enforce_answer(r, now, ans, sizeof(ans));
	if (c->cfg.mode == MODE_OBSERVE && strcmp(ans, "NOTFOUND") != 0)
		snprintf(buf, bufsz, "NOTFOUND (mode = observe; in enforce "
		    "mode: %s)", ans);
	else
		snprintf(buf, bufsz, "%s", ans);
	return buf;
}

/* Print a record for a person. */
void
cli_record_text(FILE *f, const struct cli *c, const char *key,
    const struct record *r, uint64_t now)
{
	char t[64], ans[REPLY_MAX + 64];

	fprintf(f, "domain:       %s\n", key);
	fprintf(f, "postfix gets: %s\n", cli_answer(c, r, now, ans,
	    sizeof(ans)));
	fprintf(f, "state:        %s (source: %s)\n",
	    policy_state_name(r->state), policy_source_name(r->source));
	fprintf(f, "level:        %s\n", policy_level_name(r->level));
	if (r->match_len)
		fprintf(f, "match:        %s\n", r->match);
	cli_expires(t, sizeof(t), r);
	fprintf(f, "expires:      %s%s\n", t, r->reply_len && r->expires &&
	    r->expires <= now ? " (expired)" : "");
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

/* Print a time as a JSON value: an ISO 8601 UTC string as cli_time()
 * writes it, or null for "never". Every --json time goes through here. */
void
cli_json_iso(FILE *f, uint64_t t)
{
	char buf[64];

	if (t == 0) {
		fputs("null", f);
		return;
	}
	cli_time(buf, sizeof(buf), t);
	json_string(f, buf);
}

/* Print a "name": "time" pair, null for "never". */
static void
cli_json_time(FILE *f, const char *name, uint64_t t)
{
	fprintf(f, ",\"%s\":", name);
	cli_json_iso(f, t);
}

/* Print a record as one JSON object. */
void
cli_record_json(FILE *f, const struct cli *c, const char *key,
    const struct record *r, uint64_t now)
{
	char ans[REPLY_MAX + 16];
	int observe = c->cfg.mode == MODE_OBSERVE;

	cli_enforce_answer(r, now, ans, sizeof(ans));
	fputs("{\"domain\":", f);
	json_string(f, key);
	fputs(",\"answer\":", f);
	json_string(f, observe ? "NOTFOUND" : ans);
	fputs(",\"enforce_answer\":", f);
	json_string(f, ans);
	fputs(",\"mode\":", f);
	json_string(f, observe ? "observe" : "enforce");
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
