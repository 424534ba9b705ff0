/*
 * NAME
 *	why - tlspin why and tlspin events: a domain's policy, explained
 * SYNOPSIS
 *	tlspin why [--json] DOMAIN
 *	tlspin events [--json] [--limit N] [DOMAIN]
 * DESCRIPTION
 *	An admin whose mail to a domain is deferred, or who wonders why a
 *	domain is not pinned yet, needs one answer: what Postfix gets now,
 *	the state, the evidence behind it (deliveries, TLS levels, MX names,
 *	failures), the history of transitions with their reasons, and what
 *	happens next (when the pin expires, what the domain still needs to
 *	be pinned, which command accepts a new MX). tlspin why prints that
 *	from the record and the events; tlspin events prints the trail.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "learn.h"
#include "policy.h"

#define WHY_EVENTS 20	/* transitions tlspin why shows */

/* The last `max` events (of one domain, or all), oldest first. */
struct why_trail {
	struct record_event *ev;
	size_t max, n;		/* n: events seen; the ring holds min(n, max) */
};

static int
why_trail_add(void *arg, uint64_t seq, const struct record_event *e)
{
	struct why_trail *w = arg;

	(void)seq;
	if (w->max > 0)
		w->ev[w->n % w->max] = *e;
	w->n++;
	return 0;
}

static const struct record_event *
why_trail_at(const struct why_trail *w, size_t i)
{
	size_t kept = w->n < w->max ? w->n : w->max;

	return &w->ev[(w->n - kept + i) % w->max];
}

static size_t
why_trail_kept(const struct why_trail *w)
{
	return w->n < w->max ? w->n : w->max;
}

static const char *
why_state(int s)
{
	return s == EVENT_STATE_NONE ? "-" : policy_state_name(s);
}

static int
why_trail_load(struct store *s, const char *domain, size_t max,
    struct why_trail *w)
{
	char err[STORE_ERR_MAX];

	w->max = max;
	w->n = 0;
	w->ev = calloc(max ? max : 1, sizeof(*w->ev));
	if (w->ev == NULL || !store_events_foreach(s, domain, why_trail_add,
	    w, err, sizeof(err))) {
		fprintf(stderr, "tlspin: %s\n", w->ev ? err : "out of memory");
		return 0;
	}
	return 1;
}

static void
why_event_text(const struct record_event *e, int with_domain)
{
	char t[64];

	cli_time(t, sizeof(t), e->time);
	printf("  %s  %s%s%s -> %s: %s\n", t, with_domain ? e->domain : "",
	    with_domain ? "  " : "", why_state(e->old_state),
	    why_state(e->new_state), e->reason);
}

static void
why_event_json(const struct record_event *e)
{
	printf("{\"time\":");
	cli_json_iso(stdout, e->time);
	printf(",\"domain\":");
	json_string(stdout, e->domain);
	printf(",\"from\":");
	json_string(stdout, why_state(e->old_state));
	printf(",\"to\":");
	json_string(stdout, why_state(e->new_state));
	printf(",\"reason\":");
	json_string(stdout, e->reason);
	putchar('}');
}

/* The host named in a failure ("... for HOST[ADDR]:PORT: ..."). */
static int
why_failed_host(const char *reason, char *host, size_t hostsz)
{
	const char *p = strstr(reason, " for "), *b;

	if (p == NULL || (b = strchr(p + 5, '[')) == NULL ||
	    (size_t)(b - (p + 5)) >= hostsz || b == p + 5)
		return 0;
	memcpy(host, p + 5, (size_t)(b - (p + 5)));
	host[b - (p + 5)] = '\0';
	return 1;
}

/* What happens next for an observing or expired domain. */
static void
why_next_observing(const struct cli *c, const struct record *r)
{
	const struct config *k = &c->cfg;
	char t[64], span[32];
	unsigned need = r->streak < k->pin_min_deliveries ?
	    k->pin_min_deliveries - r->streak : 0;

	learn_span(span, sizeof(span), k->pin_min_span);
	if (r->streak == 0) {
		printf("next:         pinned after %u TLS deliver%s over at "
		    "least %s with none in clear\n", k->pin_min_deliveries,
		    k->pin_min_deliveries == 1 ? "y" : "ies", span);
		return;
	}
	cli_time(t, sizeof(t), r->streak_first + k->pin_min_span);
	if (need)
		printf("next:         pinned after %u more TLS deliver%s with "
		    "none in clear, not before %s\n", need, need == 1 ? "y" :
		    "ies", t);
	else
		printf("next:         pinned at the first TLS delivery from %s "
		    "(pin_min_span), if none is in clear\n", t);
	if (k->secure_pins && r->streak_verified == r->streak)
		printf("              as secure: every delivery of the run was "
		    "Verified\n");
	else if (k->secure_pins)
		printf("              as encrypt: %u of %u deliver%s of the "
		    "run %s Verified (secure needs all)\n",
		    r->streak_verified, r->streak, r->streak == 1 ? "y" : "ies",
		    r->streak_verified == 1 ? "was" : "were");
}

/* What happens next for a learned pin. */
static void
why_next_pinned(const char *domain, const struct record *r)
{
	char t[64], host[256];

	cli_time(t, sizeof(t), r->expires);
	printf("next:         the pin expires %s unless a good delivery "
	    "renews it first\n", t);
	if (r->last_failure > r->last_good && r->state == STATE_SECURE &&
	    why_failed_host(r->failure, host, sizeof(host)) &&
	    strstr(r->match, host) == NULL)
		printf("              mail is deferred at %s, which is not in "
		    "the match list. If the\n              domain really moved "
		    "there, accept it:\n              tlspin pin %s --level "
		    "secure --match %s:%s\n", host, domain, r->match, host);
}

static void
why_evidence(const struct record *r)
{
	char t[64], t2[64], t3[64];

	printf("evidence:     %u deliver%s: %u over TLS (%u verified, %u "
	    "trusted), %u in clear\n", r->deliveries, r->deliveries == 1 ?
	    "y" : "ies", r->tls, r->verified, r->trusted, r->plaintext);
	cli_time(t, sizeof(t), r->first_seen);
	cli_time(t2, sizeof(t2), r->last_seen);
	cli_time(t3, sizeof(t3), r->last_good);
	printf("              first seen %s, last seen %s, last good %s\n", t,
	    t2, t3);
	cli_time(t, sizeof(t), r->last_plain);
	printf("              last in clear: %s\n", t);
	if (r->seen_len)
		printf("mx seen:      %s\n", r->seen);
	if (r->streak) {
		cli_time(t, sizeof(t), r->streak_first);
		printf("current run:  %u TLS deliver%s since %s, %u Verified, "
		    "MX %s\n", r->streak, r->streak == 1 ? "y" : "ies", t,
		    r->streak_verified, r->streak_hosts);
	}
	if (r->failures || r->last_failure) {
		cli_time(t, sizeof(t), r->last_failure);
		printf("failures:     %u%s, last %s: %s\n", r->failures,
		    r->state == STATE_ENCRYPT || r->state == STATE_SECURE ?
		    " since the pin (they never unpin)" : "", t, r->failure);
	}
}

static void
why_text(const struct cli *c, const char *key, const struct record *r,
    const struct why_trail *w)
{
	char ans[REPLY_MAX + 64], t[64];
	uint64_t now = cli_now();
	size_t i;

	printf("domain:       %s\n", key);
	printf("postfix gets: %s\n", cli_answer(c, r, now, ans, sizeof(ans)));
	cli_time(t, sizeof(t), r->pinned_at);
	printf("state:        %s (%s%s%s)\n", policy_state_name(r->state),
	    policy_source_name(r->source), r->pinned_at ? ", since " : "",
	    r->pinned_at ? t : "");
	if (r->state == STATE_MANUAL)
		printf("              set by an admin: learning never changes "
		    "it%s\n", r->level == LEVEL_NONE ?
		    "; level none also stops learning" : "");
	if (r->note_len)
		printf("note:         %s\n", r->note);
	why_evidence(r);
	if (r->probed) {
		cli_time(t, sizeof(t), r->probed);
		printf("probe:        %s: %s\n", t, r->probe);
	}
	if (r->state == STATE_OBSERVING || r->state == STATE_EXPIRED)
		why_next_observing(c, r);
	else if ((r->state == STATE_ENCRYPT || r->state == STATE_SECURE) &&
	    r->expires)
		why_next_pinned(key, r);
	printf("history:%s\n", why_trail_kept(w) ? "" : "      none");
	for (i = 0; i < why_trail_kept(w); i++)
		why_event_text(why_trail_at(w, i), 0);
}

static void
why_json(const struct cli *c, const char *key, const struct record *r,
    const struct why_trail *w)
{
	size_t i;

	printf("{\"record\":");
	cli_record_json(stdout, c, key, r, cli_now());
	printf(",\"history\":[");
	for (i = 0; i < why_trail_kept(w); i++) {
		if (i)
			putchar(',');
		why_event_json(why_trail_at(w, i));
	}
	printf("]}\n");
}

/* --json and --limit N, shared by why and events; -1: go on. */
static int
why_opts(const char *cmd, int argc, char **argv, int *json, size_t *limit)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int o;

	*json = 0;
	while ((o = cli_getopt(cmd, argc, argv, "jn:h", opts)) != -1) {
		switch (o) {
		case 'j': *json = 1; break;
		case 'n':
			*limit = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '-' ||
			    *limit > 1000000)
				return cli_usage_error(cmd, "--limit %s: "
				    "expected a number from 0 to 1000000",
				    optarg);
			break;
		case 'h': return cmd_help(cmd);
		default: return EXIT_USAGE;
		}
	}
	return -1;
}

int
cmd_why(struct cli *c, int argc, char **argv)
{
	char key[KEY_MAX + 1], err[STORE_ERR_MAX];
	struct why_trail w = { NULL, 0, 0 };
	struct record *r;
	struct store *s;
	enum store_status st;
	size_t limit = WHY_EVENTS;
	int json, rc;

	if ((rc = why_opts("why", argc, argv, &json, &limit)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("why", "expected one DOMAIN");
	if (!cli_key(argv[optind], key, 0))
		return EXIT_USAGE;
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	r = malloc(sizeof(*r));
	st = r ? store_get(s, key, r, err, sizeof(err)) : STORE_ERROR;
	if (st == STORE_OK && why_trail_load(s, key, limit, &w))
		json ? why_json(c, key, r, &w) : why_text(c, key, r, &w);
	else if (st == STORE_OK)
		st = STORE_ERROR;
	else if (st == STORE_NOTFOUND)
		printf("%s: not in store %s.\nPostfix gets NOTFOUND and sends "
		    "with its default (opportunistic TLS).\ntlspin has seen no "
		    "delivery to it; it learns from smtp(8) log lines\n(needs "
		    "smtp_tls_loglevel = 1) or pin it: tlspin pin %s --level "
		    "encrypt\n", key, c->store_path, key);
	else
		fprintf(stderr, "tlspin: %s\n", r ? err : "out of memory");
	free(w.ev);
	free(r);
	store_close(s);
	return st == STORE_OK ? EXIT_OKAY : st == STORE_NOTFOUND ?
	    EXIT_NOTFOUND : EXIT_STORE;
}

int
cmd_events(struct cli *c, int argc, char **argv)
{
	char key[KEY_MAX + 1];
	struct why_trail w = { NULL, 0, 0 };
	struct store *s;
	size_t limit = 50, i;
	int json, rc, ok;

	if ((rc = why_opts("events", argc, argv, &json, &limit)) >= 0)
		return rc;
	if ((rc = cli_setup(c)) != 0)
		return rc;
	if (optind + 1 < argc)
		return cli_usage_error("events", "expected at most one DOMAIN");
	if (optind < argc && !cli_key(argv[optind], key, 0))
		return EXIT_USAGE;
	if ((rc = cli_open(c, STORE_READONLY, &s)) != 0)
		return rc;
	ok = why_trail_load(s, optind < argc ? key : NULL,
	    limit ? limit : STORE_EVENTS_MAX, &w);
	if (ok && json) {
		putchar('[');
		for (i = 0; i < why_trail_kept(&w); i++) {
			printf("%s\n", i ? "," : "");
			why_event_json(why_trail_at(&w, i));
		}
		printf("\n]\n");
	} else if (ok)
		for (i = 0; i < why_trail_kept(&w); i++)
			why_event_text(why_trail_at(&w, i), 1);
	free(w.ev);
	store_close(s);
	return ok ? EXIT_OKAY : EXIT_STORE;
}
