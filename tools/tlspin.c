/*
 * NAME
 *	tlspin - inspect and pin next-hop domains in the tlspin store
 * SYNOPSIS
 *	tlspin [--store DIR] [-c FILE] COMMAND [ARGS]
 * DESCRIPTION
 *	The admin's tool. It opens the same LMDB store as tlspind (LMDB
 *	lets both work at once) and has one function per command:
 *	pin, unpin, show, list, query, import, export, learn, why, events,
 *	check, doctor, stats, help. Each command takes --help, and parses its
 *	options with cli_getopt() (GNU style: options after operands too).
 *	Exit codes: 0 done, 1 not found, 2 usage error, 3 store error, 4 the
 *	daemon did not answer OK/NOTFOUND (query).
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <unistd.h>

#include "cli.h"
#include "counters.h"
#include "learner.h"
#include "metrics.h"
#include "json.h"
#include "key.h"
#include "netstring.h"
#include "policy.h"
#include "reply.h"
#include "stelist.h"

struct cmd {
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv);
	const char *usage;
};

static const struct cmd *cmd_find(const char *name);
static void tlspin_usage(FILE *f);
static int cmd_helpcmd(struct cli *c, int argc, char **argv);

/* Print a command's usage; returns EXIT_OKAY for --help. */
int
cmd_help(const char *name)
{
	const struct cmd *k = cmd_find(name);

	/* a command without arguments has a usage that starts on its own line */
	printf("usage: tlspin [--store DIR] %s%s%s", name,
	    k->usage[0] == '\n' ? "" : " ", k->usage);
	return EXIT_OKAY;
}

/* A command's usage text (its options, then what it does). */
const char *
cmd_usage(const char *name)
{
	const struct cmd *k = cmd_find(name);

	return k != NULL ? k->usage : "";
}

/* The options of a command that takes only --help (and maybe --json):
 * -1 to go on, or the exit code. */
static int
cmd_flags(const char *name, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	if (json != NULL)
		*json = 0;
	while ((o = cli_getopt(name, argc, argv, json ? "jh" : "h",
	    json ? opts : help_only)) != -1) {
		if (o == 'h')
			return cmd_help(name);
		if (o == 'j')
			*json = 1;
		else
			return EXIT_USAGE;
	}
	return -1;
}

/* Parse DURATION|never for --expires into an absolute time (0 = never). */
static int
cmd_expires(const char *arg, uint64_t now, uint64_t *out)
{
	uint64_t secs;

	if (strcmp(arg, "never") == 0) {
		*out = 0;
		return 1;
	}
	if (!config_duration_parse(arg, strlen(arg), &secs) || secs == 0)
		return 0;
	*out = now + secs;
	return 1;
}

/* Write one record and its event in one transaction. */
static int
cmd_write(struct store *s, const char *key, const struct record *r,
    const struct record_event *e, int del)
{
	char err[STORE_ERR_MAX];
	struct store_txn *t;

	if (!store_begin(s, &t, err, sizeof(err)))
		goto fail;
	if ((del ? !store_txn_del(t, key, err, sizeof(err)) :
	    !store_txn_put(t, key, r, err, sizeof(err))) ||
	    !store_txn_event(t, e, err, sizeof(err))) {
		store_abort(t);
		goto fail;
	}
	if (store_commit(t, err, sizeof(err)))
		return EXIT_OKAY;
fail:
	fprintf(stderr, "tlspin: %s\n", err);
	return EXIT_STORE;
}

/* Fill an event. */
static void
cmd_event(struct record_event *e, const char *key, int old_state,
    int new_state, uint64_t now, const char *reason)
{
	memset(e, 0, sizeof(*e));
	e->time = now;
	e->old_state = (uint8_t)old_state;
	e->new_state = (uint8_t)new_state;
	e->domain_len = (uint16_t)strlen(key);
	memcpy(e->domain, key, e->domain_len);
	e->reason_len = (uint16_t)snprintf(e->reason, sizeof(e->reason),
	    "%s", reason);
	if (e->reason_len >= sizeof(e->reason))
		e->reason_len = sizeof(e->reason) - 1;
}

/* Build "level match=..." and validate it like every reply. */
static int
cmd_policy(struct cli *c, const char *level, const char *match,
    char *out, size_t outsz, enum policy_level *lv)
{
	char text[REPLY_MAX + 64];
	const char *why;
	int n;

	if (!policy_level_parse(level, strlen(level), lv))
		return cli_usage_error("pin", "unknown level \"%s\" (expected "
		    "encrypt, secure, verify, dane-only, none, may, dane or "
		    "fingerprint)", level);
	n = snprintf(text, sizeof(text), "%s%s%s", level, match ? " match=" :
	    "", match ? match : "");
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    reply_build(out, outsz, text, (size_t)n, c->cfg.postfix_compat,
	    &why) == 0)
		return cli_usage_error("pin", "policy \"%s\" would be rejected "
		    "by Postfix %u.%u: %s", text, c->cfg.postfix_compat / 100,
		    c->cfg.postfix_compat % 100, n < 0 ? "too long" : why);
	return EXIT_OKAY;
}

/* Turn an existing (or empty) record into a manual pin. */
static void
cmd_pin_record(struct record *r, enum policy_level lv, const char *reply,
    const char *match, const char *note, uint64_t expires, uint64_t now,
    enum policy_source source)
{
	r->state = STATE_MANUAL;
	r->source = (uint8_t)source;
	r->level = (uint8_t)lv;
	r->expires = expires;
	r->reply_len = (uint16_t)strlen(reply);
	memcpy(r->reply, reply, r->reply_len + 1);
	r->match_len = (uint16_t)strlen(match);
	memcpy(r->match, match, r->match_len + 1);
	if (note != NULL) {
		r->note_len = (uint16_t)strlen(note);
		memcpy(r->note, note, r->note_len + 1);
	}
	r->pinned_at = now;
	r->updated = now;
}

/* tlspin pin DOMAIN --level L [--match A:B] [--expires D] [--note T] */
static int
cmd_pin(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "level", required_argument, NULL, 'l' },
		{ "match", required_argument, NULL, 'm' },
		{ "expires", required_argument, NULL, 'e' },
		{ "note", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *level = NULL, *match = NULL, *note = NULL, *exp = "never";
	int force = 0;
	char key[KEY_MAX + 1], reply[REPLY_MAX + 1], err[STORE_ERR_MAX];
	char reason[EVENT_REASON_MAX], t[64];
	struct record *r;
	struct record_event e;
	struct store *s;
	enum policy_level lv;
	enum store_status st;
	uint64_t now = cli_now(), expires;
	int o, rc, old;

	while ((o = cli_getopt("pin", argc, argv, "l:m:e:n:fh", opts)) != -1) {
		switch (o) {
		case 'l': level = optarg; break;
		case 'm': match = optarg; break;
		case 'e': exp = optarg; break;
		case 'n': note = optarg; break;
		case 'f': force = 1; break;
		case 'h': return cmd_help("pin");
		default: return EXIT_USAGE;
		}
	}
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("pin", "expected one DOMAIN");
	if (level == NULL)
		return cli_usage_error("pin", "--level is required");
	if (!cli_key(argv[optind], key, 0) ||
	    !cli_pin_ok("pin", argv[optind], key, force))
		return EXIT_USAGE;
	if (!cmd_expires(exp, now, &expires))
		return cli_usage_error("pin", "--expires %s: expected a "
		    "duration such as 90d, 12h or never", exp);
	if ((note != NULL && !cli_text_ok("pin", "--note", note,
	    RECORD_NOTE_MAX)) || (match != NULL && !cli_text_ok("pin",
	    "--match", match, RECORD_MATCH_MAX)))
		return EXIT_USAGE;
	if ((rc = cmd_policy(c, level, match, reply, sizeof(reply), &lv)) != 0)
		return rc;
	if (lv == LEVEL_SECURE && match == NULL)
		return cli_usage_error("pin", "--level secure needs --match: "
		    "without it Postfix checks the certificate against the "
		    "next-hop domain and its subdomains (nexthop:dot-nexthop), "
		    "rarely the MX host's name, and defers the mail. Give the "
		    "MX names, e.g. tlspin pin example.com --level secure "
		    "--match mx1.example.com:mx2.example.com (tlspin check "
		    "shows them), or --match nexthop:dot-nexthop for Postfix's "
		    "default");
	if ((rc = cli_open(c, STORE_CREATE, &s)) != 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return EXIT_STORE;
	st = store_get(s, key, r, err, sizeof(err));
	if (st == STORE_ERROR)
		fprintf(stderr, "tlspin: warning: %s; writing a new record\n",
		    err);
	old = st == STORE_OK ? r->state : EVENT_STATE_NONE;
	if (st != STORE_OK)
		memset(r, 0, sizeof(*r));
	cmd_pin_record(r, lv, reply, match ? match : "", note, expires, now,
	    SOURCE_MANUAL);
	cli_time(t, sizeof(t), expires);
	snprintf(reason, sizeof(reason), "pinned by admin: %.400s (expires %s)%s%.500s",
	    reply, t, note ? ": " : "", note ? note : "");
	cmd_event(&e, key, old, STATE_MANUAL, now, reason);
	rc = cmd_write(s, key, r, &e, 0);
	if (rc == EXIT_OKAY)
		printf("%s: OK %s (expires %s)\n", key, reply, t);
	free(r);
	store_close(s);
	return rc;
}

/* tlspin unpin DOMAIN */
static int
cmd_unpin(struct cli *c, int argc, char **argv)
{
	char key[KEY_MAX + 1], err[STORE_ERR_MAX];
	struct record_event e;
	struct record *r;
	struct store *s;
	enum store_status st;
	int rc;

	if ((rc = cmd_flags("unpin", argc, argv, NULL)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("unpin", "expected one DOMAIN");
	if (!cli_key(argv[optind], key, 1))
		return EXIT_USAGE;
	if ((rc = cli_open(c, 0, &s)) != 0)
		return rc;
	r = malloc(sizeof(*r));
	st = r ? store_get(s, key, r, err, sizeof(err)) : STORE_ERROR;
	if (st == STORE_NOTFOUND) {
		fprintf(stderr, "tlspin: %s is not in store %s\n", key,
		    c->store_path);
		rc = EXIT_NOTFOUND;
	} else {
		/* a corrupt record can still be removed */
		cmd_event(&e, key, st == STORE_OK ? r->state : EVENT_STATE_NONE,
		    EVENT_STATE_NONE, cli_now(), "unpinned by admin");
		rc = cmd_write(s, key, NULL, &e, 1);
		if (rc == EXIT_OKAY)
			printf("%s: removed\n", key);
	}
	free(r);
	store_close(s);
	return rc;
}

/* tlspin show DOMAIN [--json] */
static int
cmd_show(struct cli *c, int argc, char **argv)
{
	char key[KEY_MAX + 1], err[STORE_ERR_MAX];
	struct record *r;
	struct store *s;
	enum store_status st;
	int json, rc;

	if ((rc = cmd_flags("show", argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("show", "expected one DOMAIN");
	if (!cli_key(argv[optind], key, 0))
		return EXIT_USAGE;
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	r = malloc(sizeof(*r));
	st = r ? store_get(s, key, r, err, sizeof(err)) : STORE_ERROR;
	if (st == STORE_OK && json) {
		cli_record_json(stdout, c, key, r, cli_now());
		putchar('\n');
	} else if (st == STORE_OK)
		cli_record_text(stdout, c, key, r, cli_now());
	else if (st == STORE_NOTFOUND)
		fprintf(stderr, "tlspin: %s is not in store %s (Postfix gets "
		    "NOTFOUND: opportunistic TLS)\n", key, c->store_path);
	else
		fprintf(stderr, "tlspin: %s\n", r ? err : "out of memory");
	free(r);
	store_close(s);
	return st == STORE_OK ? EXIT_OKAY : st == STORE_NOTFOUND ?
	    EXIT_NOTFOUND : EXIT_STORE;
}

/* A domain to list, for --sort last-seen. */
struct cmd_list_item {
	uint64_t last_seen;
	char key[KEY_MAX + 1];
};

struct cmd_list_ctx {
	const struct cli *c;
	int json, have_state, by_seen;
	size_t corrupt;		/* records skipped */
	enum policy_state state;
	size_t n;
	uint64_t now;
	struct cmd_list_item *items;	/* by_seen: collected, then sorted */
	size_t nitems, cap;
};

static int
cmd_list_collect(struct cmd_list_ctx *x, const char *key, size_t keylen,
    const struct record *r)
{
	struct cmd_list_item *grown;

	if (x->nitems == x->cap) {
		x->cap *= 2;
		grown = realloc(x->items, x->cap * sizeof(*x->items));
		if (grown == NULL)
			return 1;
		x->items = grown;
	}
	x->items[x->nitems].last_seen = r->last_seen;
	memcpy(x->items[x->nitems].key, key, keylen + 1);
	x->nitems++;
	return 0;
}

/* Most recently seen first; then by name. */
static int
cmd_list_cmp(const void *a, const void *b)
{
	const struct cmd_list_item *p = a, *q = b;

	if (p->last_seen != q->last_seen)
		return p->last_seen < q->last_seen ? 1 : -1;
	return strcmp(p->key, q->key);
}

static int cmd_list_one(void *arg, const char *key, size_t keylen,
    const struct record *r);

/* A corrupt record: warn, count, go on with the others. */
static int
cmd_list_corrupt(void *arg, const char *key, const char *why)
{
	struct cmd_list_ctx *x = arg;

	cli_corrupt("list", x->c->store_path, key, why);
	x->corrupt++;
	return 0;
}

/* --sort last-seen: collect, sort, then print each record. */
static int
cmd_list_by_seen(struct store *s, struct cmd_list_ctx *x, char *err,
    size_t errsz)
{
	struct record *r = malloc(sizeof(*r));
	size_t i;
	int ok;

	x->cap = 256;
	x->items = malloc(x->cap * sizeof(*x->items));
	if (r == NULL || x->items == NULL) {
		free(r);
		free(x->items);
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	ok = store_walk(s, NULL, cmd_list_one, cmd_list_corrupt, x, err,
	    errsz);
	qsort(x->items, x->nitems, sizeof(*x->items), cmd_list_cmp);
	for (i = 0; ok && i < x->nitems; i++) {
		if (store_get(s, x->items[i].key, r, err, errsz) != STORE_OK)
			continue;	/* removed meanwhile */
		x->by_seen = 0;
		cmd_list_one(x, x->items[i].key, strlen(x->items[i].key), r);
		x->by_seen = 1;
	}
	free(x->items);
	free(r);
	return ok;
}

/* Print one line (or JSON object) of tlspin list. */
static int
cmd_list_one(void *arg, const char *key, size_t keylen,
    const struct record *r)
{
	struct cmd_list_ctx *x = arg;
	char t[64], ans[REPLY_MAX + 64];

	if (x->have_state && r->state != x->state)
		return 0;
	if (x->by_seen && x->items != NULL)	/* collecting */
		return cmd_list_collect(x, key, keylen, r);
	if (x->json) {
		fputs(x->n ? ",\n" : "\n", stdout);
		cli_record_json(stdout, x->c, key, r, x->now);
	} else {
		cli_expires(t, sizeof(t), r);
		printf("%-40s %-9s %-20s %s\n", key,
		    policy_state_name(r->state), t,
		    cli_answer(x->c, r, x->now, ans, sizeof(ans)));
	}
	x->n++;
	return 0;
}

/* tlspin list [--state S] [--sort K] [--json] */
static int
cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "sort", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_list_ctx x = { 0 };
	char err[STORE_ERR_MAX];
	struct store *s;
	int o, rc, ok;

	x.c = c;
	while ((o = cli_getopt("list", argc, argv, "s:o:jh", opts)) != -1) {
		if (o == 'h')
			return cmd_help("list");
		else if (o == 'j')
			x.json = 1;
		else if (o == 'o' && strcmp(optarg, "last-seen") == 0)
			x.by_seen = 1;
		else if (o == 'o' && strcmp(optarg, "domain") == 0)
			x.by_seen = 0;
		else if (o == 'o')
			return cli_usage_error("list", "--sort %s: expected "
			    "domain or last-seen", optarg);
		else if (o == 's' && policy_state_parse(optarg, &x.state))
			x.have_state = 1;
		else if (o == 's')
			return cli_usage_error("list", "unknown state \"%s\" "
			    "(expected observing, encrypt, secure, manual, "
			    "expired or dane)", optarg);
		else
			return EXIT_USAGE;
	}
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error("list", "unexpected argument %s",
		    argv[optind]);
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	x.now = cli_now();
	if (x.json)
		fputs("[", stdout);
	else
		printf("%-40s %-9s %-20s %s\n", "DOMAIN", "STATE", "EXPIRES",
		    "POSTFIX GETS");
	ok = x.by_seen ? cmd_list_by_seen(s, &x, err, sizeof(err)) :
	    store_walk(s, NULL, cmd_list_one, cmd_list_corrupt, &x, err,
	    sizeof(err));
	if (x.json)
		fputs("\n]\n", stdout);
	store_close(s);
	if (!ok) {
		fprintf(stderr, "tlspin: %s\n", err);
		return EXIT_STORE;
	}
	return EXIT_OKAY;
}

/* Why a Unix socket cannot be opened, and what to do about it. */
static void
cmd_connect_unix_error(const char *sock, int error)
{
	struct group *g;
	struct stat sb;

	if (error == EACCES && stat(sock, &sb) == 0 &&
	    (g = getgrgid(sb.st_gid)) != NULL)
		fprintf(stderr, "tlspin: cannot connect to %s: %s (run as "
		    "root or as a member of group %s, which owns the "
		    "socket)\n", sock, strerror(error), g->gr_name);
	else if (error == EACCES)
		fprintf(stderr, "tlspin: cannot connect to %s: %s (run as "
		    "root or as a user allowed into its directory)\n", sock,
		    strerror(error));
	else
		fprintf(stderr, "tlspin: cannot connect to %s: %s (is tlspind "
		    "running? see --socket)\n", sock, strerror(error));
}

/*
 * Connect to unix:PATH, a bare PATH, or HOST:PORT. -1 with a message
 * when the daemon cannot be reached, -2 when the address itself is wrong
 * (a usage error: no port, a host name that does not exist).
 */
static int
cmd_connect(const char *sock, const char *hostport)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	const char *colon;
	int fd = -1, rc;

	if (sock != NULL) {
		if (strncmp(sock, "unix:", 5) == 0)
			sock += 5;
		if (strlen(sock) >= sizeof(sun.sun_path)) {
			fprintf(stderr, "tlspin: socket path %s is longer than "
			    "%zu bytes\n", sock, sizeof(sun.sun_path) - 1);
			return -2;
		}
		memcpy(sun.sun_path, sock, strlen(sock) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0)
			return fd;
		cmd_connect_unix_error(sock, errno);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	colon = strrchr(hostport, ':');
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host)) {
		fprintf(stderr, "tlspin query: --connect %s: expected HOST:PORT, "
		    "such as 127.0.0.1:10028\n", hostport);
		return -2;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[' && colon > hostport + 1 && colon[-1] == ']') {
		/* [::1]:PORT */
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "tlspin query: --connect %s: %s\n", hostport,
		    gai_strerror(rc));
		/* a name or port that does not exist is the argument's fault;
		 * a resolver that does not answer is not */
		return rc == EAI_NONAME || rc == EAI_SERVICE ? -2 : -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "tlspin: cannot connect to %s: %s (is tlspind "
		    "listening there?)\n", hostport, strerror(errno));
	return fd;
}

/* Send one request, read one netstring reply into out. */
static int
cmd_roundtrip(int fd, const char *req, char *out, size_t outsz)
{
	char buf[REPLY_MAX + 256];
	struct netstring ns;
	const char *why;
	size_t n = netstring_encode(buf, sizeof(buf), req, strlen(req)), have;
	ssize_t r;

	if (n == 0 || write(fd, buf, n) != (ssize_t)n)
		return 0;
	for (have = 0; have < sizeof(buf);) {
		switch (netstring_parse(buf, have, sizeof(buf), &ns, &why)) {
		case NETSTRING_OK:
			snprintf(out, outsz, "%.*s", (int)ns.len, ns.data);
			return 1;
		case NETSTRING_ERROR:
			snprintf(out, outsz, "(garbled reply: %s)", why);
			return 0;
		default:
			break;
		}
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			snprintf(out, outsz, "(connection closed without a "
			    "reply)");
			return 0;
		}
		have += (size_t)r;
	}
	return 0;
}

/* tlspin query [--socket PATH | --connect HOST:PORT] [--map NAME] KEY */
static int
cmd_query(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'c' },
		{ "map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sock = NULL, *hostport = NULL, *map = NULL;
	char req[NETSTRING_REQUEST_MAX + 1], reply[REPLY_MAX + 64];
	int o, fd, ok;

	while ((o = cli_getopt("query", argc, argv, "s:c:m:h", opts)) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 'c': hostport = optarg; break;
		case 'm': map = optarg; break;
		case 'h': return cmd_help("query");
		default: return EXIT_USAGE;
		}
	}
	if ((o = cli_setup(c)) != 0)
		return o;
	if (map == NULL)
		map = c->cfg.map_name;
	if (optind + 1 != argc)
		return cli_usage_error("query", "expected one KEY");
	if (sock == NULL && hostport == NULL) {
		if (strncmp(c->cfg.listen[0], "unix:", 5) == 0)
			sock = c->cfg.listen[0] + 5;
		else
			hostport = c->cfg.listen[0] + 5;
	}
	if ((size_t)snprintf(req, sizeof(req), "%s %s", map, argv[optind]) >=
	    sizeof(req))
		return cli_usage_error("query", "KEY is too long");
	fd = cmd_connect(sock, hostport);
	if (fd < 0)
		return fd == -2 ? EXIT_USAGE : EXIT_DAEMON;
	ok = cmd_roundtrip(fd, req, reply, sizeof(reply));
	close(fd);
	printf("%s\n", reply);
	if (!ok)
		return EXIT_DAEMON;
	if (strncmp(reply, "OK ", 3) == 0)
		return EXIT_OKAY;
	return strncmp(reply, "NOTFOUND", 8) == 0 ? EXIT_NOTFOUND : EXIT_DAEMON;
}

/* A domain an import wrote, and on which line, to find duplicates. */
struct cmd_import_seen {
	char *key;
	unsigned line;
};

struct cmd_import_ctx {
	struct cli *c;
	struct store_txn *t;
	const char *file;
	const char *note;
	uint64_t now, expires;
	size_t added, replaced, dups;
	struct cmd_import_seen *seen;
	size_t nseen, capseen;
	struct record r;
	/* --format starttls-everywhere */
	const char *buf;	/* the list, for line numbers */
	size_t len;
	int testing;		/* --include-testing */
	char listdate[24];	/* of its timestamp: "2020-05-20" */
	size_t kept[STATE_COUNT];	/* existing entries left alone */
	size_t nkept, skipped, untested;
};

#define CMD_STE_NOTE "from the STARTTLS Everywhere list"
#define CMD_STE_EXPIRES (30 * 86400ULL)	/* when the list has expired */

/* Remember that line wrote key; 0 when out of memory. */
static int
cmd_import_remember(struct cmd_import_ctx *x, const char *key,
    unsigned line)
{
	struct cmd_import_seen *grown;

	if (x->nseen == x->capseen) {
		x->capseen = x->capseen ? x->capseen * 2 : 256;
		grown = realloc(x->seen, x->capseen * sizeof(*x->seen));
		if (grown == NULL)
			return 0;
		x->seen = grown;
	}
	if ((x->seen[x->nseen].key = strdup(key)) == NULL)
		return 0;
	x->seen[x->nseen++].line = line;
	return 1;
}

/* By domain, then by line. */
static int
cmd_import_seen_cmp(const void *a, const void *b)
{
	const struct cmd_import_seen *p = a, *q = b;
	int d = strcmp(p->key, q->key);

	return d ? d : p->line < q->line ? -1 : p->line > q->line;
}

/* Warn about each domain on more than one line (the last one wins, as
 * in a Postfix table built with postmap it would not: say so), and take
 * the repeats out of the "replaced" count. */
static void
cmd_import_dups(struct cmd_import_ctx *x)
{
	char lines[256];
	size_t i, j, used;

	qsort(x->seen, x->nseen, sizeof(*x->seen), cmd_import_seen_cmp);
	for (i = 0; i < x->nseen; i = j) {
		used = 0;
		lines[0] = '\0';
		for (j = i; j < x->nseen && strcmp(x->seen[j].key,
		    x->seen[i].key) == 0; j++)
			if (used < sizeof(lines))
				used += (size_t)snprintf(lines + used,
				    sizeof(lines) - used, "%s%u", j > i ?
				    ", " : "", x->seen[j].line);
		if (j - i < 2)
			continue;
		x->dups += j - i - 1;
		fprintf(stderr, "tlspin import: warning: %s: %s is on lines "
		    "%s; the last one (line %u) is kept\n", x->file,
		    x->seen[i].key, lines, x->seen[j - 1].line);
	}
	x->replaced -= x->dups;
}

static void
cmd_import_free(struct cmd_import_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nseen; i++)
		free(x->seen[i].key);
	free(x->seen);
	free(x);
}

/* Import one "domain policy" line; 0 with a message on error. */
static int
cmd_import_line(struct cmd_import_ctx *x, char *line, unsigned lineno)
{
	char key[KEY_MAX + 1], reply[REPLY_MAX + 1], err[STORE_ERR_MAX];
	char *p = line, *domain, *m;
	enum policy_level lv;
	enum store_status st;
	const char *why;
	size_t len, n;
	enum key_status ks;

	p[strcspn(p, "\r\n")] = '\0';
	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#')
		return 1;
	domain = p;
	p += strcspn(p, " \t");
	if (*p != '\0')
		*p++ = '\0';
	p += strspn(p, " \t");
	if ((ks = key_normalize(domain, strlen(domain), key, &len)) !=
	    KEY_OK) {
		fprintf(stderr, "tlspin import: %s, line %u: \"%s\" is %s\n",
		    x->file, lineno, domain, ks == KEY_ADDRESS ? "an IP "
		    "address: tlspind answers NOTFOUND for an address next "
		    "hop, as pins are per domain (remove the line)" :
		    "not a valid domain name");
		return 0;
	}
	n = reply_build(reply, sizeof(reply), p, strlen(p),
	    x->c->cfg.postfix_compat, &why);
	if (n == 0) {
		fprintf(stderr, "tlspin import: %s, line %u: policy \"%s\" for "
		    "%s would be rejected by Postfix: %s\n", x->file, lineno,
		    p, key, why);
		return 0;
	}
	(void)policy_level_parse(reply, strcspn(reply, " "), &lv);
	st = store_txn_get(x->t, key, &x->r, err, sizeof(err));
	if (st != STORE_OK)
		memset(&x->r, 0, sizeof(x->r));
	m = strstr(reply, " match=");
	cmd_pin_record(&x->r, lv, reply, "", x->note, x->expires, x->now,
	    SOURCE_IMPORT);
	if (m != NULL && strcspn(m + 7, " ") <= RECORD_MATCH_MAX) {
		x->r.match_len = (uint16_t)strcspn(m + 7, " ");
		memcpy(x->r.match, m + 7, x->r.match_len);
		x->r.match[x->r.match_len] = '\0';
	}
	if (!store_txn_put(x->t, key, &x->r, err, sizeof(err))) {
		fprintf(stderr, "tlspin import: %s\n", err);
		return 0;
	}
	if (!cmd_import_remember(x, key, lineno)) {
		fprintf(stderr, "tlspin import: out of memory\n");
		return 0;
	}
	if (st == STORE_OK)
		x->replaced++;
	else
		x->added++;
	return 1;
}

/* Read lines of f into the import transaction; 0 on the first error. */
static int
cmd_import_file(struct cmd_import_ctx *x, FILE *f)
{
	char line[REPLY_MAX + KEY_MAX + 64];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "tlspin import: %s, line %u: line is "
			    "too long\n", x->file, lineno);
			return 0;
		}
		if (!cmd_import_line(x, line, lineno))
			return 0;
	}
	if (ferror(f)) {
		fprintf(stderr, "tlspin import: cannot read %s: %s\n", x->file,
		    strerror(errno));
		return 0;
	}
	return 1;
}

/* Commit an import with one summary event. */
static int
cmd_import_commit(struct cmd_import_ctx *x)
{
	char reason[EVENT_REASON_MAX], err[STORE_ERR_MAX];
	struct record_event e;

	cmd_import_dups(x);
	if (x->dups)
		snprintf(reason, sizeof(reason), "imported %zu new and %zu "
		    "replaced entries from %s (%zu duplicate line%s: the last "
		    "of each domain was kept)", x->added, x->replaced, x->file,
		    x->dups, x->dups == 1 ? "" : "s");
	else
		snprintf(reason, sizeof(reason), "imported %zu new and %zu "
		    "replaced entries from %s", x->added, x->replaced, x->file);
	cmd_event(&e, "*", EVENT_STATE_NONE, STATE_MANUAL, x->now, reason);
	if (!store_txn_event(x->t, &e, err, sizeof(err)) ||
	    !store_commit(x->t, err, sizeof(err))) {
		fprintf(stderr, "tlspin import: %s\n", err);
		return 0;
	}
	printf("tlspin import: %s\n", reason);
	return 1;
}

/* Whether an existing record is an earlier import of the STARTTLS
 * Everywhere list, which a new import refreshes. */
static int
cmd_ste_ours(const struct record *r)
{
	return r->state == STATE_MANUAL && r->source == SOURCE_IMPORT &&
	    strncmp(r->note, CMD_STE_NOTE, strlen(CMD_STE_NOTE)) == 0;
}

/* A policy of the list that is left out: say which and why. */
static void
cmd_ste_skip(void *arg, const char *domain, size_t offset, const char *why)
{
	struct cmd_import_ctx *x = arg;
	char name[KEY_MAX + 2];
	unsigned line, col;
	size_t i;

	for (i = 0; domain[i] != '\0' && i + 1 < sizeof(name); i++)
		name[i] = domain[i] < ' ' || domain[i] > '~' ? '?' : domain[i];
	name[i] = '\0';
	json_position(x->buf, x->len, offset, &line, &col);
	fprintf(stderr, "tlspin import: warning: %s, line %u: %s is left "
	    "out: %s\n", x->file, line, name, why);
	x->skipped++;
}

/* Whether the import may pin over what the store holds for a domain:
 * evidence only (observing, expired) or its own earlier pin. A manual
 * entry (tlspin pin, a tls_policy import), a learned pin and a domain
 * left to DANE are the admin's, or fresher than a list of 2020: kept. */
static int
cmd_ste_may(const struct record *r)
{
	return r->state == STATE_OBSERVING || r->state == STATE_EXPIRED ||
	    cmd_ste_ours(r);
}

/* One policy of the list: a secure pin with its mxs as match=, unless
 * it is in mode testing or the store holds better. */
static int
cmd_ste_one(void *arg, const struct stelist_policy *p)
{
	struct cmd_import_ctx *x = arg;
	char text[RECORD_MATCH_MAX + 32], reply[REPLY_MAX + 1];
	char err[STORE_ERR_MAX], note[RECORD_NOTE_MAX + 1];
	enum store_status st;
	unsigned line, col;
	const char *why;
	int ours = 0;

	if (!p->enforce && !x->testing) {
		x->untested++;
		return 1;
	}
	snprintf(text, sizeof(text), "secure match=%s", p->match);
	if (reply_build(reply, sizeof(reply), text, strlen(text),
	    x->c->cfg.postfix_compat, &why) == 0) {
		cmd_ste_skip(x, p->domain, p->offset, why);
		return 1;
	}
	st = store_txn_get(x->t, p->domain, &x->r, err, sizeof(err));
	if (st == STORE_OK && !cmd_ste_may(&x->r)) {
		x->kept[x->r.state < STATE_COUNT ? x->r.state : 0]++;
		x->nkept++;
		return 1;
	}
	if (st == STORE_OK)
		ours = cmd_ste_ours(&x->r);
	else
		memset(&x->r, 0, sizeof(x->r));
	snprintf(note, sizeof(note), "%s of %s, mode %s%s%s%s%.300s",
	    CMD_STE_NOTE, x->listdate, p->enforce ? "enforce" : "testing",
	    p->alias[0] ? ", policy-alias " : "", p->alias,
	    x->note ? ": " : "", x->note ? x->note : "");
	cmd_pin_record(&x->r, LEVEL_SECURE, reply, p->match, note, x->expires,
	    x->now, SOURCE_IMPORT);
	json_position(x->buf, x->len, p->offset, &line, &col);
	if (!store_txn_put(x->t, p->domain, &x->r, err, sizeof(err))) {
		fprintf(stderr, "tlspin import: %s\n", err);
		return 0;
	}
	if (!cmd_import_remember(x, p->domain, line)) {
		fprintf(stderr, "tlspin import: out of memory\n");
		return 0;
	}
	if (ours)
		x->replaced++;
	else
		x->added++;
	return 1;
}

/* Read all of f (at most max bytes) into a new buffer. */
static char *
cmd_slurp(FILE *f, const char *file, size_t max, size_t *len)
{
	char *buf = malloc(max + 1);

	if (buf == NULL) {
		fprintf(stderr, "tlspin import: out of memory\n");
		return NULL;
	}
	*len = fread(buf, 1, max + 1, f);
	if (ferror(f) || *len > max) {
		fprintf(stderr, "tlspin import: cannot read %s: %s\n", file,
		    ferror(f) ? strerror(errno) : "larger than 16 MiB");
		free(buf);
		return NULL;
	}
	return buf;
}

/* The pins' expiry: --expires, else the list's own if it is still to
 * come, else CMD_STE_EXPIRES from now; says which, for a stale list. */
static int
cmd_ste_expiry(struct cmd_import_ctx *x, const char *exp,
    const struct stelist_info *info)
{
	char when[64], t[64];

	cli_time(t, sizeof(t), info->timestamp);
	if (info->timestamp != 0)
		snprintf(x->listdate, sizeof(x->listdate), "%.10s", t);
	else
		snprintf(x->listdate, sizeof(x->listdate), "unknown date");
	if (exp != NULL)
		return cmd_expires(exp, x->now, &x->expires);
	if (info->expires > x->now) {
		x->expires = info->expires;
		return 1;
	}
	x->expires = x->now + CMD_STE_EXPIRES;
	cli_time(when, sizeof(when), info->expires);
	cli_time(t, sizeof(t), x->expires);
	if (info->expires != 0)
		fprintf(stderr, "tlspin import: warning: %s expired on %s, and "
		    "the STARTTLS Everywhere project stopped in 2020: all its "
		    "%zu policies are past that date. Their pins expire on %s, "
		    "30 days from now (--expires to choose)\n", x->file, when,
		    info->policies, t);
	else
		fprintf(stderr, "tlspin import: warning: %s gives no expiry "
		    "date: its pins expire on %s, 30 days from now (--expires "
		    "to choose)\n", x->file, t);
	return 1;
}

/* What the import left alone, after its summary. */
static void
cmd_ste_report(const struct cmd_import_ctx *x)
{
	if (x->untested)
		printf("tlspin import: %zu polic%s in mode testing not "
		    "imported: the list asks senders not to hold mail for "
		    "them (--include-testing imports them too)\n", x->untested,
		    x->untested == 1 ? "y" : "ies");
	if (x->nkept)
		printf("tlspin import: %zu domain%s kept as the store has "
		    "them (%zu manual, %zu learned, %zu left to DANE)\n",
		    x->nkept, x->nkept == 1 ? "" : "s",
		    x->kept[STATE_MANUAL], x->kept[STATE_ENCRYPT] +
		    x->kept[STATE_SECURE], x->kept[STATE_DANE]);
	if (x->skipped)
		printf("tlspin import: %zu polic%s left out (see the warnings)"
		    "\n", x->skipped, x->skipped == 1 ? "y" : "ies");
}

/* --format starttls-everywhere: the list in f, into the transaction. */
static int
cmd_import_ste(struct cmd_import_ctx *x, FILE *f, const char *exp,
    int *usage)
{
	struct stelist_info info;
	struct stelist *l = NULL;
	char err[STELIST_ERR_MAX];
	char *buf;
	size_t len;
	int ok = 0;

	*usage = 1;
	if ((buf = cmd_slurp(f, x->file, STELIST_FILE_MAX, &len)) == NULL)
		return 0;
	x->buf = buf;
	x->len = len;
	if (!stelist_parse(buf, len, &l, &info, err, sizeof(err)))
		fprintf(stderr, "tlspin import: %s, %s\n", x->file, err);
	else if (!cmd_ste_expiry(x, exp, &info))
		fprintf(stderr, "tlspin import: --expires %s: expected a "
		    "duration such as 90d or never\n", exp);
	else {
		*usage = 0;
		ok = stelist_each(l, cmd_ste_one, cmd_ste_skip, x);
	}
	stelist_free(l);
	if (ok)
		printf("tlspin import: %s: a STARTTLS Everywhere list of %s, "
		    "%zu policies\n", x->file, x->listdate, info.policies);
	x->buf = NULL;
	free(buf);
	return ok;
}

/* tlspin import [--format tls_policy] [--expires D] [--note T] FILE|- */
static int
cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "expires", required_argument, NULL, 'e' },
		{ "note", required_argument, NULL, 'n' },
		{ "include-testing", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_import_ctx *x = calloc(1, sizeof(*x));
	char err[STORE_ERR_MAX];
	const char *exp = NULL;
	struct store *s = NULL;
	FILE *f = NULL;
	int o, rc = EXIT_USAGE, ste = 0, ok, usage;

	if (x == NULL)
		return EXIT_STORE;
	x->c = c;
	x->now = cli_now();
	while ((o = cli_getopt("import", argc, argv, "f:e:n:th", opts)) != -1) {
		if (o == 'h') {
			rc = cmd_help("import");
			goto out;
		} else if (o == 'f' && strcmp(optarg, "tls_policy") != 0 &&
		    strcmp(optarg, "starttls-everywhere") != 0) {
			rc = cli_usage_error("import", "unknown --format %s "
			    "(tls_policy or starttls-everywhere)", optarg);
			goto out;
		} else if (o == 'f')
			ste = strcmp(optarg, "starttls-everywhere") == 0;
		else if (o == 'e')
			exp = optarg;
		else if (o == 't')
			x->testing = 1;
		else if (o == 'n' && cli_text_ok("import", "--note", optarg,
		    RECORD_NOTE_MAX))
			x->note = optarg;
		else
			goto out;	/* rc is EXIT_USAGE */
	}
	if ((rc = cli_setup(c)) != 0)
		goto out;
	rc = EXIT_USAGE;
	if (optind + 1 != argc) {
		rc = cli_usage_error("import", "expected one FILE (or - for "
		    "standard input)");
		goto out;
	}
	if (x->testing && !ste) {
		rc = cli_usage_error("import", "--include-testing is for "
		    "--format starttls-everywhere");
		goto out;
	}
	if (ste && x->note != NULL && strlen(x->note) > 300) {
		rc = cli_usage_error("import", "--note: at most 300 characters "
		    "with --format starttls-everywhere (the rest of the note "
		    "says where the pin came from)");
		goto out;
	}
	if (!ste && !cmd_expires(exp ? exp : "never", x->now, &x->expires)) {
		rc = cli_usage_error("import", "--expires %s: expected a "
		    "duration such as 90d or never", exp);
		goto out;
	}
	x->file = strcmp(argv[optind], "-") == 0 ? "(stdin)" : argv[optind];
	f = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "r");
	if (f == NULL) {
		fprintf(stderr, "tlspin import: cannot open %s: %s\n", x->file,
		    strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = cli_open(c, STORE_CREATE, &s)) != 0)
		goto out;
	if (!store_begin(s, &x->t, err, sizeof(err))) {
		fprintf(stderr, "tlspin import: %s\n", err);
		rc = EXIT_STORE;
		goto out;
	}
	/* all or nothing: one bad line leaves the store as it was */
	usage = 1;
	ok = ste ? cmd_import_ste(x, f, exp, &usage) : cmd_import_file(x, f);
	if (!ok) {
		store_abort(x->t);
		fprintf(stderr, "tlspin import: nothing was imported\n");
		rc = usage ? EXIT_USAGE : EXIT_STORE;
	} else {
		rc = cmd_import_commit(x) ? EXIT_OKAY : EXIT_STORE;
		if (ste && rc == EXIT_OKAY)
			cmd_ste_report(x);
	}
out:
	if (f != NULL && f != stdin)
		fclose(f);
	store_close(s);
	cmd_import_free(x);
	return rc;
}

struct cmd_export_ctx {
	const struct cli *c;
	int json;
	size_t n, corrupt;
	uint64_t now;
};

/* A corrupt record: warn, note it in the table too, go on. */
static int
cmd_export_corrupt(void *arg, const char *key, const char *why)
{
	struct cmd_export_ctx *x = arg;

	cli_corrupt("export", x->c->store_path, key, why);
	if (!x->json)
		printf("# %s: not exported, its record is corrupt\n", key);
	x->corrupt++;
	return 0;
}

/* Print one entry of tlspin export. */
static int
cmd_export_one(void *arg, const char *key, size_t keylen,
    const struct record *r)
{
	struct cmd_export_ctx *x = arg;

	if (x->json) {
		fputs(x->n ? ",\n" : "\n", stdout);
		cli_record_json(stdout, x->c, key, r, x->now);
	} else if (r->reply_len > 0 && (r->expires == 0 || r->expires > x->now))
		printf("%s\t%s\n", key, r->reply);
	x->n++;
	return 0;
}

/* tlspin export [--format tls_policy|json] */
static int
cmd_export(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_export_ctx x = { 0 };
	char err[STORE_ERR_MAX], t[64];
	struct store *s;
	int o, rc, ok;

	x.c = c;
	while ((o = cli_getopt("export", argc, argv, "f:h", opts)) != -1) {
		if (o == 'h')
			return cmd_help("export");
		if (o != 'f')
			return EXIT_USAGE;
		if (strcmp(optarg, "json") != 0 &&
		    strcmp(optarg, "tls_policy") != 0)
			return cli_usage_error("export", "--format %s: expected "
			    "tls_policy or json", optarg);
		x.json = strcmp(optarg, "json") == 0;
	}
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error("export", "unexpected argument %s",
		    argv[optind]);
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	x.now = cli_now();
	cli_time(t, sizeof(t), x.now);
	if (x.json)
		fputs("[", stdout);
	else
		printf("# tlspin export of %s at %s: the policies Postfix gets "
		    "now.\n# Usable as a Postfix table (postmap) or with "
		    "tlspin import.\n", c->store_path, t);
	ok = store_walk(s, NULL, cmd_export_one, cmd_export_corrupt, &x, err,
	    sizeof(err));
	if (x.json)
		fputs("\n]\n", stdout);
	store_close(s);
	if (!ok)
		fprintf(stderr, "tlspin export: %s\n", err);
	else if (x.corrupt)
		fprintf(stderr, "tlspin export: %zu corrupt record%s not "
		    "exported: the export is incomplete (exit 3)\n", x.corrupt,
		    x.corrupt == 1 ? "" : "s");
	/* a backup script must notice a missing entry */
	return ok && x.corrupt == 0 ? EXIT_OKAY : EXIT_STORE;
}

struct cmd_stats_ctx {
	size_t states[STATE_COUNT];
	size_t answering;
	uint64_t now;
	const char *store;
	size_t corrupt;
};

/* A corrupt record: warn, count it apart, go on. */
static int
cmd_stats_corrupt(void *arg, const char *key, const char *why)
{
	struct cmd_stats_ctx *x = arg;

	cli_corrupt("stats", x->store, key, why);
	x->corrupt++;
	return 0;
}

static int
cmd_stats_one(void *arg, const char *key, size_t keylen,
    const struct record *r)
{
	struct cmd_stats_ctx *x = arg;

	x->states[r->state]++;
	if (r->reply_len > 0 && (r->expires == 0 || r->expires > x->now))
		x->answering++;
	return 0;
}

/* tlspin stats [--json] */
/* What learning read, over every run, and where it stands. */
static void
cmd_stats_learn_text(const struct learner_stats *ls, const char *where)
{
	char t[64];

	cli_time(t, sizeof(t), ls->last_time);
	printf("learning:   %llu lines read, %llu from the SMTP client "
	    "(%llu used, %llu not\n            about TLS), %llu without a "
	    "syslog prefix tlspin reads, %llu forged\n            journal "
	    "entries ignored; "
	    "%llu deliver%s counted, %llu local hops skipped, %llu "
	    "transitions\n", (unsigned long long)ls->lines,
	    (unsigned long long)ls->smtp, (unsigned long long)ls->used,
	    (unsigned long long)ls->ignored, (unsigned long long)ls->unparsed,
	    (unsigned long long)ls->forged,
	    (unsigned long long)ls->observations,
	    ls->observations == 1 ? "y" : "ies",
	    (unsigned long long)ls->local,
	    (unsigned long long)ls->transitions);
	if (ls->unrecorded + ls->aged > 0)
		printf("bounds:     %llu new domains not recorded (max_observing)"
		    ", %llu records\n            without a pin aged out "
		    "(observe_max_age)\n", (unsigned long long)ls->unrecorded,
		    (unsigned long long)ls->aged);
	if (ls->future > 0)
		printf("future:     %llu lines dated after the clock were taken "
		    "as now (check\n            the clock of the host that "
		    "writes the log)\n", (unsigned long long)ls->future);
	printf("last line:  %s\nposition:   %s\n", t,
	    where[0] ? where : "none yet (nothing learned)");
}

static void
cmd_stats_learn_json(const struct learner_stats *ls, const char *where)
{
	printf(",\"learning\":{\"lines\":%llu,\"smtp\":%llu,\"used\":%llu,"
	    "\"ignored\":%llu,\"unparsed\":%llu,\"forged\":%llu,"
	    "\"deliveries\":%llu,\"local\":%llu,\"transitions\":%llu,"
	    "\"unrecorded\":%llu,\"aged\":%llu,"
	    "\"future\":%llu,\"last_time\":",
	    (unsigned long long)ls->lines, (unsigned long long)ls->smtp,
	    (unsigned long long)ls->used, (unsigned long long)ls->ignored,
	    (unsigned long long)ls->unparsed, (unsigned long long)ls->forged,
	    (unsigned long long)ls->observations,
	    (unsigned long long)ls->local,
	    (unsigned long long)ls->transitions,
	    (unsigned long long)ls->unrecorded, (unsigned long long)ls->aged,
	    (unsigned long long)ls->future);
	cli_json_iso(stdout, ls->last_time);
	printf(",\"position\":");
	json_string(stdout, where);
	putchar('}');
}

/*
 * tlspind's counters file is lines "name=value" (counters.c). For people
 * and for --json: saved= is a time, mode= a word, the rest numbers; the
 * replies by kind are grouped under "replies".
 */
static const char *const stats_replies[] = {
	"ok", "notfound", "temp", "perm", "observed", NULL
};

/* The value of name in the counters text, or NULL; its length in len. */
static const char *
cmd_stats_counter(const char *text, const char *name, size_t *len)
{
	const char *p = text, *end;
	size_t n = strlen(name);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p += p != NULL)
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			end = strchr(p + n + 1, '\n');
			*len = end != NULL ? (size_t)(end - p - n - 1) :
			    strlen(p + n + 1);
			return p + n + 1;
		}
	return NULL;
}

/* A counter as a number (0 when absent or not a number). */
static uint64_t
cmd_stats_number(const char *text, const char *name)
{
	size_t len;
	const char *v = cmd_stats_counter(text, name, &len);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

static int
cmd_stats_is_reply(const char *name, size_t len)
{
	int i;

	for (i = 0; stats_replies[i] != NULL; i++)
		if (strlen(stats_replies[i]) == len &&
		    strncmp(stats_replies[i], name, len) == 0)
			return 1;
	return 0;
}

/* One counter line "name=value" as "name":value, digits as a number. */
static void
cmd_stats_json_pair(const char *line, size_t len, int *first)
{
	const char *eq = memchr(line, '=', len);
	size_t nlen = (size_t)(eq - line), vlen = len - nlen - 1, i;
	int digits = vlen > 0 && vlen < 20;
	char v[COUNTERS_MAX + 1];

	for (i = 0; i < vlen && digits; i++)
		digits = eq[1 + i] >= '0' && eq[1 + i] <= '9';
	printf("%s\"%.*s\":", *first ? "" : ",", (int)nlen, line);
	*first = 0;
	if (digits) {
		printf("%.*s", (int)vlen, eq + 1);
		return;
	}
	memcpy(v, eq + 1, vlen);
	v[vlen] = '\0';
	json_string(stdout, v);
}

/* Every counter but saved= and the replies (put apart), in file order. */
static void
cmd_stats_json_rest(const char *text, int replies, int *first)
{
	const char *p = text, *end, *eq;
	size_t len;

	for (; *p != '\0'; p = end + 1) {
		end = strchr(p, '\n');
		if (end == NULL)
			break;
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		if (eq == NULL || (eq - p == 5 && strncmp(p, "saved", 5) == 0))
			continue;
		if (cmd_stats_is_reply(p, (size_t)(eq - p)) == replies)
			cmd_stats_json_pair(p, len, first);
	}
}

/* "daemon": null, or its counters as an object (see doc/tlspin.1). */
static void
cmd_stats_daemon_json(const char *text, size_t len, uint64_t now)
{
	uint64_t saved = cmd_stats_number(text, "saved");
	int first = 0;

	if (len == 0) {
		printf(",\"daemon\":null");
		return;
	}
	printf(",\"daemon\":{\"saved\":");
	cli_json_iso(stdout, saved);
	printf(",\"age_seconds\":%llu,\"live\":%s",
	    (unsigned long long)(now > saved ? now - saved : 0),
	    saved + COUNTERS_STALE >= now ? "true" : "false");
	cmd_stats_json_rest(text, 0, &first);
	printf(",\"replies\":{");
	first = 1;
	cmd_stats_json_rest(text, 1, &first);
	printf("}}");
}

/* The daemon's counters for people: when saved (an age), then figures. */
static void
cmd_stats_daemon_text(const char *text, size_t len, uint64_t now)
{
	uint64_t saved = cmd_stats_number(text, "saved"), age;
	size_t mlen = 0;
	const char *mode = cmd_stats_counter(text, "mode", &mlen);
	char t[64];
	int i;

	if (len == 0) {
		printf("daemon:     no counters yet (tlspind has not run on this "
		    "store)\n");
		return;
	}
	age = now > saved ? now - saved : 0;
	cli_time(t, sizeof(t), saved);
	printf("daemon:     counters saved %llu s ago (%s), mode %.*s%s\n",
	    (unsigned long long)age, t, mode ? (int)mlen : 1,
	    mode ? mode : "?", saved + COUNTERS_STALE >= now ? "" :
	    "\n            (stale: tlspind saves them every second while it "
	    "runs on this store;\n            it is stopped, or uses another "
	    "store)");
	printf("  clients     %llu connected\n  connections %llu (%llu "
	    "refused, %llu timed out)\n  requests    %llu:",
	    (unsigned long long)cmd_stats_number(text, "clients"),
	    (unsigned long long)cmd_stats_number(text, "connections"),
	    (unsigned long long)cmd_stats_number(text, "refused"),
	    (unsigned long long)cmd_stats_number(text, "timeouts"),
	    (unsigned long long)cmd_stats_number(text, "requests"));
	for (i = 0; stats_replies[i] != NULL; i++)
		printf("%s %s %llu", i ? "," : "", stats_replies[i],
		    (unsigned long long)cmd_stats_number(text,
		    stats_replies[i]));
	putchar('\n');
}

static int
cmd_stats(struct cli *c, int argc, char **argv)
{
	struct cmd_stats_ctx x = { { 0 }, 0, cli_now(), NULL, 0 };
	struct store_info info;
	struct learner_stats ls;
	char err[STORE_ERR_MAX], daemon[COUNTERS_MAX + 1], where[4300];
	struct store *s;
	size_t dlen = 0, wlen = 0;
	int json, i, rc, ok;

	if ((rc = cmd_flags("stats", argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error("stats", "unexpected argument %s",
		    argv[optind]);
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	x.store = c->store_path;	/* known once cli_setup read the config */
	ok = store_info(s, &info, err, sizeof(err)) &&
	    store_walk(s, NULL, cmd_stats_one, cmd_stats_corrupt, &x, err,
	    sizeof(err)) &&
	    counters_load(c->store_path, daemon, sizeof(daemon), &dlen, err,
	    sizeof(err)) != COUNTERS_ERROR &&
	    learner_stats_load(s, &ls, err, sizeof(err)) &&
	    store_meta_get(s, LEARNER_WHERE_KEY, where, sizeof(where) - 1,
	    &wlen, err, sizeof(err));
	store_close(s);
	where[wlen] = '\0';
	if (!ok) {
		fprintf(stderr, "tlspin stats: %s\n", err);
		return EXIT_STORE;
	}
	if (json) {
		printf("{\"store\":");
		json_string(stdout, c->store_path);
		printf(",\"schema\":%u,\"domains\":%zu,\"answering\":%zu,"
		    "\"corrupt\":%zu,\"events\":%zu,\"map_used\":%zu,"
		    "\"map_size\":%zu,\"states\":{", info.schema, info.domains,
		    x.answering, x.corrupt, info.events, info.map_used,
		    info.map_size);
		for (i = 0; i < STATE_COUNT; i++)
			printf("%s\"%s\":%zu", i ? "," : "",
			    policy_state_name((enum policy_state)i),
			    x.states[i]);
		printf("}");
		cmd_stats_daemon_json(daemon, dlen, x.now);
		cmd_stats_learn_json(&ls, where);
		printf("}\n");
		return EXIT_OKAY;
	}
	printf("store:      %s (schema %u, %zu KiB used of %zu MiB map)\n",
	    c->store_path, info.schema, info.map_used / 1024,
	    info.map_size >> 20);
	printf("domains:    %zu (%zu answered with a policy now)\n",
	    info.domains, x.answering);
	for (i = 0; i < STATE_COUNT; i++)
		printf("  %-10s %zu\n", policy_state_name((enum policy_state)i),
		    x.states[i]);
	if (x.corrupt)
		printf("  %-10s %zu (skipped; see the warnings)\n", "corrupt",
		    x.corrupt);
	printf("events:     %zu (kept at most %d)\n", info.events,
	    STORE_EVENTS_MAX);
	cmd_stats_learn_text(&ls, where);
	cmd_stats_daemon_text(daemon, dlen, x.now);
	return EXIT_OKAY;
}

/* tlspin metrics: the figures of tlspin stats as Prometheus text. */
static int
cmd_metrics(struct cli *c, int argc, char **argv)
{
	struct cmd_stats_ctx x = { { 0 }, 0, cli_now(), NULL, 0 };
	struct metrics m;
	struct store_info info;
	struct learner_stats ls;
	char err[STORE_ERR_MAX], daemon[COUNTERS_MAX + 1], out[METRICS_MAX];
	enum counters_status cs = COUNTERS_ERROR;
	struct store *s;
	size_t dlen = 0, len;
	int rc, ok;

	if ((rc = cmd_flags("metrics", argc, argv, NULL)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error("metrics", "unexpected argument %s",
		    argv[optind]);
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	x.store = c->store_path;
	ok = store_info(s, &info, err, sizeof(err)) &&
	    store_walk(s, NULL, cmd_stats_one, cmd_stats_corrupt, &x, err,
	    sizeof(err)) &&
	    (cs = counters_load(c->store_path, daemon, sizeof(daemon), &dlen,
	    err, sizeof(err))) != COUNTERS_ERROR &&
	    learner_stats_load(s, &ls, err, sizeof(err));
	store_close(s);
	if (!ok) {
		fprintf(stderr, "tlspin metrics: %s\n", err);
		return EXIT_STORE;
	}
	memset(&m, 0, sizeof(m));
	m.now = x.now;
	m.have_store = 1;
	memcpy(m.states, x.states, sizeof(m.states));
	m.answering = x.answering;
	m.corrupt = x.corrupt;
	m.events = info.events;
	m.map_size = info.map_size;
	m.map_used = info.map_used;
	if (cs == COUNTERS_OK)
		metrics_counters(&m, daemon);
	m.have_learner = 1;
	m.lines = ls.lines;
	m.deliveries = ls.observations;
	m.transitions = ls.transitions;
	m.last_line = ls.last_time;
	len = metrics_render(&m, out, sizeof(out));
	if (len >= sizeof(out)) {
		fprintf(stderr, "tlspin metrics: the exposition is longer than "
		    "%d bytes (a bug: report it)\n", METRICS_MAX);
		return EXIT_STORE;
	}
	if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "tlspin metrics: cannot write: %s\n",
		    strerror(errno));
		return EXIT_STORE;
	}
	return EXIT_OKAY;
}

static const struct cmd cmds[] = {
	{ "pin", cmd_pin, "DOMAIN --level encrypt|secure|verify|dane-only|none"
	    " [--match A:B] [--expires DURATION|never] [--note TEXT] "
	    "[--force]\n"
	    "(also may, dane, fingerprint; fingerprint --match separates "
	    "values with |)\n"
	    "Pin DOMAIN by hand. Manual entries beat learning; --level none "
	    "sends without TLS\n(an explicit exception for a broken peer). "
	    "DOMAIN may be .example.com for its\nsubdomains. DURATION is like "
	    "90d, 12h, 30m; the default is never. secure needs\n--match (the "
	    "MX names, or nexthop:dot-nexthop). TEXT is printable ASCII.\n"
	    "--force pins a public suffix or top-level domain (such as .com)."
	    "\n" },
	{ "unpin", cmd_unpin, "DOMAIN\nRemove DOMAIN from the store.\n" },
	{ "show", cmd_show, "[--json] DOMAIN\nShow what Postfix gets for DOMAIN"
	    " and the record behind it.\n" },
	{ "list", cmd_list, "[--state observing|encrypt|secure|manual|expired|"
	    "dane] [--sort domain|last-seen] [--json]\nList the domains in "
	    "the store, by name or most recently seen first.\n" },
	{ "query", cmd_query, "[--socket PATH | --connect HOST:PORT] "
	    "[--map NAME] KEY\nAsk the running tlspind exactly as Postfix "
	    "would and print the raw reply.\nExit 0 on OK, 1 on NOTFOUND, 4 on"
	    " TEMP/PERM or no answer.\n" },
	{ "import", cmd_import, "[--format tls_policy|starttls-everywhere] "
	    "[--expires DURATION] [--note TEXT] [--include-testing] FILE|-\n"
	    "Import Postfix tls_policy lines (\"domain level "
	    "attr=value...\") as manual\nentries. All or nothing: a bad line "
	    "names the line and imports nothing.\nOr the EFF's STARTTLS "
	    "Everywhere list (unmaintained since 2020): its enforce\n"
	    "policies become secure pins matching their mxs; manual and "
	    "learned pins stay.\n" },
	{ "export", cmd_export, "[--format tls_policy|json]\nPrint the "
	    "policies Postfix gets now as a tls_policy table, or every\nrecord "
	    "as JSON.\n" },
	{ "learn", cmd_learn, "[--dry-run] [--all] [--json] FILE...\nLearn from "
	    "Postfix logs (plain or .gz; - for stdin), oldest first, and\n"
	    "print what was pinned and why. A file learned before continues "
	    "where it\nstopped (files are known by their first line, so "
	    "mail.log becomes mail.log.1\nwithout being counted twice). "
	    "--dry-run shows what would be pinned and\nwrites nothing. "
	    "--all lists every change of state, not the first 20.\n" },
	{ "why", cmd_why, "[--json] [--limit N] DOMAIN\nExplain DOMAIN: the reply Postfix "
	    "gets now, the state, the evidence\n(deliveries, TLS levels and MX "
	    "names seen, failures), the transitions with\ntheir reasons and "
	    "when the pin expires.\n--limit N shows the last N transitions (default "
	    "20).\n" },
	{ "events", cmd_events, "[--json] [--limit N] [DOMAIN]\nThe audit "
	    "trail of state changes, oldest first (the last N, default 50;\n"
	    "0 for all).\n" },
	{ "check", cmd_check, "[--json|--plugin] [--mx HOST] [--address ADDR] "
	    "[--port N]\n    [--starttls smtp|submission|imap|pop3] [--tls] "
	    "[--cafile FILE]\n    [--resolver ADDR[:PORT]] [--timeout SECONDS] "
	    "DOMAIN\nProbe DOMAIN's mail servers now: STARTTLS, protocol, "
	    "certificate, chain,\nname, DANE TLSA and MTA-STS records, and the "
	    "policy tlspin would pin.\nExit 0 pass (secure or DANE), 1 warn "
	    "(encrypt), 2 fail (no TLS to pin, no server\nanswered), 3 could "
	    "not check (bad arguments, no answer from the resolver\nwithin "
	    "--timeout, no network). --plugin: as a monitoring plugin, one "
	    "line\n\"TLSPIN OK|WARNING|CRITICAL|UNKNOWN - ... | time=MSms "
	    "days_left=N\" and the\nproblems. --starttls imap|pop3 and --tls "
	    "check the host DOMAIN itself.\n" },
	{ "doctor", cmd_doctor, "[--json] [--postfix-config DIR] "
	    "[--socket PATH]\n    [--resolver ADDR[:PORT]] [--timeout SECONDS]"
	    "\nAudit this host's Postfix and tlspin setup: each finding with "
	    "its severity\n(ok, info, warning, error) and the command that "
	    "fixes it. Postfix's settings\nare read with postconf (-c DIR "
	    "with --postfix-config). Run it as root to\ncheck as Postfix's "
	    "and tlspind's users. Exit 0 all ok, 1 warnings, 2 errors,\n"
	    "3 could not check.\n" },
	{ "stats", cmd_stats, "[--json]\nCounts per state, store size, what "
	    "learning read and where it stands,\nand the daemon's counters.\n" },
	{ "metrics", cmd_metrics, "\nThe figures of stats in Prometheus' text "
	    "format, for node_exporter's\ntextfile collector: lookups by "
	    "answer, domains by state, store size,\nthe learner's lag "
	    "(tlspin metrics > DIR/tlspin.prom.tmp && mv ...).\n" },
	{ "help", cmd_helpcmd, "[COMMAND]\nList the commands, or show "
	    "COMMAND's usage (as tlspin COMMAND --help does).\n" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void
tlspin_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tlspin [--store DIR] [-c FILE] COMMAND [ARGS]\n"
	    "Inspect and pin next-hop domains in the tlspin store.\n\n"
	    "  -s, --store DIR   store directory (default: $TLSPIN_STORE, "
	    "else 'store' in\n                    the config file, else %s)\n"
	    "  -c, --config FILE settings file (default %s)\n"
	    "  -h, --help        this list; -V, --version: the version\n\n"
	    "commands:\n", TLSPIN_STORE_DIR, TLSPIN_CONFIG_FILE);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %.*s\n", cmds[i].name,
		    (int)strcspn(cmds[i].usage, "\n"), cmds[i].usage);
	fprintf(f, "\n'tlspin help COMMAND' or 'tlspin COMMAND --help' for "
	    "more. Exit codes: 0 done,\n1 not found, 2 usage, 3 store error, "
	    "4 daemon error. See tlspin(1).\n");
}

/* tlspin help [COMMAND] */
static int
cmd_helpcmd(struct cli *c, int argc, char **argv)
{
	int rc;

	(void)c;
	if ((rc = cmd_flags("help", argc, argv, NULL)) >= 0)
		return rc;
	if (optind == argc) {
		tlspin_usage(stdout);
		return EXIT_OKAY;
	}
	if (optind + 1 != argc)
		return cli_usage_error("help", "expected at most one COMMAND");
	if (cmd_find(argv[optind]) == NULL) {
		fprintf(stderr, "tlspin help: unknown command \"%s\" (tlspin "
		    "help lists them)\n", argv[optind]);
		return EXIT_USAGE;
	}
	return cmd_help(argv[optind]);
}

/* The global options, before COMMAND; -1 to go on, or the exit code. */
static int
tlspin_opts(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	while ((o = cli_getopt(NULL, argc, argv, "+s:c:hV", opts)) != -1) {
		switch (o) {
		case 's': c->store_arg = optarg; break;
		case 'c': c->config_file = optarg; c->config_given = 1; break;
		case 'h': tlspin_usage(stdout); return EXIT_OKAY;
		case 'V': printf("tlspin %s\n", PACKAGE_VERSION);
			return EXIT_OKAY;
		default: return EXIT_USAGE;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct cmd *k;
	int i, rc;

	c.config_file = TLSPIN_CONFIG_FILE;
	if ((rc = tlspin_opts(&c, argc, argv)) >= 0)
		return rc;
	i = optind;
	if (i == argc) {
		fprintf(stderr, "tlspin: no COMMAND given\n");
		tlspin_usage(stderr);
		return EXIT_USAGE;
	}
	k = cmd_find(argv[i]);
	if (k == NULL) {
		fprintf(stderr, "tlspin: unknown command \"%s\" (see tlspin "
		    "help)\n", argv[i]);
		return EXIT_USAGE;
	}
	/* each command reads tlspin.conf once its options are parsed, so
	 * that help and --help work with a broken one */
	optind = 0;	/* a new argv for getopt: reinitialise it */
	return k->run(&c, argc - i, argv + i);
}
