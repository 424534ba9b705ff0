/*
 * NAME
 *	alert - the admin's alert_command, run by the learner
 * SYNOPSIS
 *	#include "alert.h"
 *
 *	struct alert *alert_new(cfg, ev)
 *	void alert_observe(a, domain, obs, record)
 *	void alert_behind(a, newest, now)
 *	void alert_flush(a)
 * DESCRIPTION
 *	Tells a person, through the program alert_command names, what the
 *	log alone would leave unnoticed: a pin that has deferred a domain's
 *	mail for alert_after (deferring), mail that went out in clear to a
 *	pinned domain (clear_while_pinned: observe mode, or Postfix not
 *	asking tlspind), and a learner more than alert_behind behind its
 *	log (learner_behind).
 *
 *	The learner (learner.c) shows alert_observe every observation with
 *	the domain's record after it; alert_observe decides and queues the
 *	alert, and alert_flush, called by learnchild.c once the slice is
 *	committed, runs it: a slice whose commit fails is read again by the
 *	next learner, which decides again. A domain deferring since the
 *	first deferral after its last good delivery alerts at the first
 *	deferral alert_after or more after that one (Postfix retries, so
 *	the log says when mail is still held).
 *
 *	At most one alert per kind and domain per alert_interval. The times
 *	they fired, and since when each domain is deferring, are kept in
 *	ALERT_STATE in the store directory, written (a new file, renamed
 *	over the old) when they change, so a restarted learner does not
 *	fire again: a file rather than the store, because it changes when
 *	an alert fires, after the slice's transaction, and is no business
 *	of the lookups or of tlspin's commands.
 *
 *	The program runs with posix_spawn, as the learner's user, in a
 *	process group of its own, with the alert as one JSON object on its
 *	standard input (one write into an empty pipe: the object is smaller
 *	than PIPE_BUF) and the kind and the domain as arguments. The event
 *	loop reaps it (a child source) and kills its process group after
 *	alert_timeout. It not starting, failing or being killed is logged,
 *	once per alert_interval with the number of failures not logged.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "config.h"
#include "errbuf.h"
#include "json.h"
#include "key.h"
#include "log.h"
#include "policy.h"

#define ALERT_TABLE_MAX 4096	/* domains and kinds remembered */
#define ALERT_PENDING_MAX 32	/* decided, waiting for the commit */
#define ALERT_RUNNING_MAX 8	/* programs running at once */
#define ALERT_JSON_MAX 3800	/* < PIPE_BUF: one write, never blocks */
#define ALERT_STALE (7 * 86400)	/* a deferral nobody retried: forgotten */

extern char **environ;

struct alert_entry {
	uint8_t kind;		/* enum alert_kind */
	char domain[KEY_MAX + 1];	/* "" for learner_behind */
	uint64_t fired;		/* wall clock; 0: never */
	uint64_t since, last;	/* deferring: first and last deferral */
};

struct alert_pending {
	uint8_t kind;
	char domain[KEY_MAX + 1];
	char *json;
};

struct alert_run {
	struct alert *a;
	pid_t pid;
	sd_event_source *child, *timer;
	int timed_out;
	uint8_t kind;
	char domain[KEY_MAX + 1];
};

struct alert {
	const struct config *cfg;
	sd_event *ev;
	char path[4200];	/* ALERT_STATE */
	struct alert_entry *tab;
	size_t n;
	struct alert_pending pend[ALERT_PENDING_MAX];
	unsigned npend, running;
	int dirty;
	uint64_t fail_said;	/* monotonic usec of the last failure logged */
	unsigned fail_quiet;	/* failures since, not logged */
	char host[256];
};

const char *
alert_kind_name(enum alert_kind k)
{
	switch (k) {
	case ALERT_DEFERRING: return "deferring";
	case ALERT_CLEAR: return "clear_while_pinned";
	case ALERT_BEHIND: return "learner_behind";
	default: return "unknown";
	}
}

/* The entry of (kind, domain); a new one (the stalest reused) if create. */
static struct alert_entry *
alert_find(struct alert *a, int kind, const char *domain, int create)
{
	struct alert_entry *e, *old = NULL;
	size_t i;

	for (i = 0; i < a->n; i++) {
		e = &a->tab[i];
		if (e->kind == kind && strcmp(e->domain, domain) == 0)
			return e;
		if (old == NULL || e->fired + e->last < old->fired + old->last)
			old = e;
	}
	if (!create)
		return NULL;
	e = a->n < ALERT_TABLE_MAX ? &a->tab[a->n++] : old;
	memset(e, 0, sizeof(*e));
	e->kind = (uint8_t)kind;
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	return e;
}

/* ALERT_STATE: "KIND FIRED SINCE LAST DOMAIN" a line; bad lines skipped. */
static void
alert_load(struct alert *a)
{
	char line[KEY_MAX + 128], dom[KEY_MAX + 1];
	unsigned long long fired, since, last;
	unsigned kind;
	struct alert_entry *e;
	FILE *f = fopen(a->path, "re");

	if (f == NULL) {
		if (errno != ENOENT)
			log_warn("alert: cannot read %s: %s; alerts may repeat "
			    "within alert_interval", a->path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		dom[0] = '\0';
		if (sscanf(line, "%u %llu %llu %llu %254s", &kind, &fired,
		    &since, &last, dom) < 4 || kind >= ALERT_KINDS)
			continue;
		e = alert_find(a, (int)kind, dom, 1);
		e->fired = fired;
		e->since = since;
		e->last = last;
	}
	fclose(f);
}

/* Write ALERT_STATE anew (renamed over the old), forgetting what is old. */
static void
alert_save(struct alert *a)
{
	char tmp[sizeof(a->path) + 8];
	uint64_t now = (uint64_t)time(NULL);
	struct alert_entry *e;
	FILE *f;
	size_t i;
	int ok;

	errbuf_printf(tmp, sizeof(tmp), "%s.new", a->path);
	f = fopen(tmp, "we");
	if (f == NULL) {
		log_warn("alert: cannot write %s: %s; alerts may repeat after "
		    "a restart", tmp, strerror(errno));
		return;
	}
	for (i = 0; i < a->n; i++) {
		e = &a->tab[i];
		if (e->fired + a->cfg->alert_interval < now &&
		    e->last + ALERT_STALE < now)
			continue;
		fprintf(f, "%u %llu %llu %llu %s\n", e->kind,
		    (unsigned long long)e->fired,
		    (unsigned long long)e->since,
		    (unsigned long long)e->last, e->domain);
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, a->path) != 0) {
		log_warn("alert: cannot write %s: %s; alerts may repeat after "
		    "a restart", a->path, strerror(errno));
		(void)unlink(tmp);
		return;
	}
	a->dirty = 0;
}

struct alert *
alert_new(const struct config *cfg, sd_event *ev)
{
	struct alert *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->tab = calloc(ALERT_TABLE_MAX,
	    sizeof(*a->tab))) == NULL) {
		free(a);
		return NULL;
	}
	a->cfg = cfg;
	a->ev = ev;
	errbuf_printf(a->path, sizeof(a->path), "%s/%s", cfg->store,
	    ALERT_STATE);
	if (gethostname(a->host, sizeof(a->host) - 1) != 0)
		snprintf(a->host, sizeof(a->host), "localhost");
	alert_load(a);
	return a;
}

void
alert_free(struct alert *a)
{
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < a->npend; i++)
		free(a->pend[i].json);
	free(a->tab);
	free(a);
}

/* A "name": "value" member, the value escaped; none when value is NULL. */
static void
alert_member(FILE *f, const char *name, const char *value)
{
	if (value == NULL)
		return;
	fprintf(f, ",\n  \"%s\": ", name);
	json_string(f, value);
}

/* What the alert says; the facts the JSON carries beside it. */
struct alert_facts {
	int kind;
	const char *domain;	/* "" for learner_behind */
	uint64_t since;
	const char *what;
	const struct record *r;	/* NULL for learner_behind */
	const char *mx;		/* the host of the observation, or NULL */
};

/* The JSON object, malloc'd; NULL when out of memory or too long. */
static char *
alert_json(struct alert *a, const struct alert_facts *x)
{
	char since[32], now[32], hint[KEY_MAX + 16];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	clock_iso(since, sizeof(since), x->since);
	clock_iso(now, sizeof(now), (uint64_t)time(NULL));
	fputs("{\n  \"kind\": ", f);
	json_string(f, alert_kind_name((enum alert_kind)x->kind));
	fputs(",\n  \"domain\": ", f);
	if (x->domain[0] != '\0')
		json_string(f, x->domain);
	else
		fputs("null", f);
	alert_member(f, "since", since);
	alert_member(f, "time", now);
	alert_member(f, "host", a->host);
	alert_member(f, "what", x->what);
	if (x->domain[0] != '\0')
		snprintf(hint, sizeof(hint), "tlspin why %s", x->domain);
	else
		snprintf(hint, sizeof(hint), "tlspin stats");
	alert_member(f, "hint", hint);
	alert_member(f, "mode", config_mode_name(a->cfg->mode));
	if (x->r != NULL) {
		alert_member(f, "state", policy_state_name(x->r->state));
		alert_member(f, "reply", x->r->reply);
		alert_member(f, "last_failure", x->r->failure_len ?
		    x->r->failure : NULL);
	}
	alert_member(f, "mx", x->mx != NULL && x->mx[0] ? x->mx : NULL);
	fputs("\n}\n", f);
	if (fclose(f) != 0 || len > ALERT_JSON_MAX) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Queue an alert unless one of its kind and domain fired lately. */
static void
alert_queue(struct alert *a, const struct alert_facts *x)
{
	struct alert_entry *e = alert_find(a, x->kind, x->domain, 0);
	struct alert_pending *p;
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;

	if (e != NULL && e->fired != 0 && now < e->fired +
	    a->cfg->alert_interval)
		return;
	for (i = 0; i < a->npend; i++)
		if (a->pend[i].kind == x->kind &&
		    strcmp(a->pend[i].domain, x->domain) == 0)
			return;
	if (a->npend == ALERT_PENDING_MAX)
		return;		/* decided again at the next line */
	p = &a->pend[a->npend];
	if ((p->json = alert_json(a, x)) == NULL) {
		log_warn("alert: %s for %s: out of memory or too long, not "
		    "sent", alert_kind_name((enum alert_kind)x->kind),
		    x->domain[0] ? x->domain : "the learner");
		return;
	}
	p->kind = (uint8_t)x->kind;
	snprintf(p->domain, sizeof(p->domain), "%s", x->domain);
	a->npend++;
}

/* A deferral of a pinned domain: since when, and is it long enough? */
static void
alert_deferral(struct alert *a, const char *domain,
    const struct learn_obs *o, const struct record *r)
{
	char what[EVENT_REASON_MAX], span[32], since[32];
	struct alert_entry *e = alert_find(a, ALERT_DEFERRING, domain, 1);
	struct alert_facts x;

	if (e->since == 0 || e->since <= r->last_good) {
		e->since = o->time;
		e->last = 0;
		a->dirty = 1;
	} else if (o->time < e->since) {
		e->since = o->time;
		a->dirty = 1;
	}
	if (o->time > e->last)
		e->last = o->time;
	if (e->last < e->since + a->cfg->alert_after)
		return;
	learn_span(span, sizeof(span), e->last - e->since);
	clock_iso(since, sizeof(since), e->since);
	errbuf_printf(what, sizeof(what), "mail to %s has been deferred by "
	    "its pin (%s) since %s, for %s, and still is: %s", domain,
	    r->reply, since, span, o->reason[0] ? o->reason :
	    "no reason logged");
	x = (struct alert_facts){ ALERT_DEFERRING, domain, e->since, what, r,
	    o->host };
	alert_queue(a, &x);
}

void
alert_observe(struct alert *a, const char *domain,
    const struct learn_obs *o, const struct record *r)
{
	char what[EVENT_REASON_MAX];
	struct alert_entry *e;
	struct alert_facts x;

	if (a == NULL || a->cfg->alert_command[0] == '\0')
		return;
	if (o->kind == LEARN_TLS) {
		e = alert_find(a, ALERT_DEFERRING, domain, 0);
		if (e != NULL && e->since != 0) {
			e->since = 0;	/* delivered: no longer deferring */
			a->dirty = 1;
		}
		return;
	}
	if (r->reply_len == 0)
		return;		/* not pinned: Postfix decides alone */
	if (o->kind == LEARN_TLS_FAIL || o->kind == LEARN_NOT_OFFERED) {
		alert_deferral(a, domain, o, r);
		return;
	}
	errbuf_printf(what, sizeof(what), "mail to %s went out in clear to "
	    "%s although it is pinned (%s): Postfix did not get the pin "
	    "(mode = %s, or smtp_tls_policy_maps does not ask tlspind)",
	    domain, o->host[0] ? o->host : "the server", r->reply,
	    config_mode_name(a->cfg->mode));
	x = (struct alert_facts){ ALERT_CLEAR, domain, o->time, what, r,
	    o->host };
	alert_queue(a, &x);
}

void
alert_behind(struct alert *a, uint64_t newest, uint64_t now)
{
	char what[256], span[32], when[32];
	struct alert_facts x;

	if (a == NULL || a->cfg->alert_command[0] == '\0' || newest == 0 ||
	    now < newest + a->cfg->alert_behind)
		return;
	learn_span(span, sizeof(span), now - newest);
	clock_iso(when, sizeof(when), newest);
	errbuf_printf(what, sizeof(what), "the learner is %s behind the log: "
	    "the newest line it has read is dated %s (alert_behind)", span,
	    when);
	x = (struct alert_facts){ ALERT_BEHIND, "", newest, what, NULL, NULL };
	alert_queue(a, &x);
}

/* The program did not do its job: say so, once per alert_interval. */
static void
alert_failed(struct alert *a, int kind, const char *domain, const char *why)
{
	if (!clock_every(&a->fail_said, a->cfg->alert_interval * CLOCK_USEC)) {
		a->fail_quiet++;
		return;
	}
	log_warn("alert: %s, run for %s (%s), %s; the next failure is logged "
	    "in alert_interval at the earliest (%u not logged before this)",
	    a->cfg->alert_command, alert_kind_name((enum alert_kind)kind),
	    domain[0] ? domain : "the learner", why, a->fail_quiet);
	a->fail_quiet = 0;
}

static void
alert_run_free(struct alert_run *run)
{
	sd_event_source_disable_unref(run->child);
	sd_event_source_disable_unref(run->timer);
	run->a->running--;
	free(run);
}

static int
alert_on_exit(sd_event_source *s, const siginfo_t *si, void *arg)
{
	struct alert_run *run = arg;
	char why[128];

	if (run->timed_out)
		errbuf_printf(why, sizeof(why), "killed after alert_timeout "
		    "(%llus)", (unsigned long long)run->a->cfg->alert_timeout);
	else if (si->si_code == CLD_EXITED && si->si_status != 0)
		errbuf_printf(why, sizeof(why), "exited with status %d",
		    si->si_status);
	else if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED)
		errbuf_printf(why, sizeof(why), "killed by signal %d",
		    si->si_status);
	else
		why[0] = '\0';
	if (why[0] != '\0')
		alert_failed(run->a, run->kind, run->domain, why);
	else
		log_info("alert: %s for %s sent to %s",
		    alert_kind_name((enum alert_kind)run->kind),
		    run->domain[0] ? run->domain : "the learner",
		    run->a->cfg->alert_command);
	alert_run_free(run);
	return 0;
}

static int
alert_on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct alert_run *run = arg;

	run->timed_out = 1;
	(void)kill(-run->pid, SIGKILL);
	return 0;
}

/* posix_spawn's settings: own process group, default signals, fds 0-2. */
static int
alert_spawn_setup(posix_spawnattr_t *at, posix_spawn_file_actions_t *fa,
    int in)
{
	sigset_t none, def;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	return posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) == 0 &&
	    posix_spawnattr_setpgroup(at, 0) == 0 &&
	    posix_spawnattr_setsigmask(at, &none) == 0 &&
	    posix_spawnattr_setsigdefault(at, &def) == 0 &&
	    posix_spawn_file_actions_adddup2(fa, in, 0) == 0 &&
	    posix_spawn_file_actions_addclosefrom_np(fa, 3) == 0;
}

/* Start the program for one alert, its JSON on stdin; 0 if it did not. */
static int
alert_spawn(struct alert *a, struct alert_pending *p, char *why,
    size_t whysz)
{
	char *argv[] = { (char *)a->cfg->alert_command,
	    (char *)alert_kind_name((enum alert_kind)p->kind), p->domain,
	    NULL };
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;
	struct alert_run *run;
	uint64_t now = 0;
	int fd[2], rc, ok;
	pid_t pid;
	size_t len = strlen(p->json);

	if (a->running >= ALERT_RUNNING_MAX) {
		errbuf_printf(why, whysz, "not started: %u alerts still "
		    "running", a->running);
		return 0;
	}
	if (pipe2(fd, O_CLOEXEC) != 0) {
		errbuf_printf(why, whysz, "no pipe: %s", strerror(errno));
		return 0;
	}
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_init(&fa);
	ok = alert_spawn_setup(&at, &fa, fd[0]);
	rc = ok ? posix_spawn(&pid, argv[0], &fa, &at, argv, environ) : errno;
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[0]);
	if (rc != 0) {
		close(fd[1]);
		errbuf_printf(why, whysz, "could not be run: %s", strerror(rc));
		return 0;
	}
	/* an empty pipe takes PIPE_BUF bytes at once: this never blocks */
	(void)fcntl(fd[1], F_SETFL, O_NONBLOCK);
	if (write(fd[1], p->json, len) != (ssize_t)len)
		log_debug("alert: the program did not read its alert");
	close(fd[1]);
	run = calloc(1, sizeof(*run));
	if (run == NULL || sd_event_now(a->ev, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_add_child(a->ev, &run->child, pid, WEXITED,
	    alert_on_exit, run) < 0 ||
	    sd_event_add_time(a->ev, &run->timer, CLOCK_MONOTONIC,
	    now + a->cfg->alert_timeout * CLOCK_USEC, 0, alert_on_timeout,
	    run) < 0) {
		/* cannot watch it: kill it now rather than leave it */
		(void)kill(-pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		if (run != NULL) {
			sd_event_source_disable_unref(run->child);
			free(run);
		}
		errbuf_printf(why, whysz, "could not be watched (out of "
		    "memory or event sources)");
		return 0;
	}
	run->a = a;
	run->pid = pid;
	run->kind = p->kind;
	snprintf(run->domain, sizeof(run->domain), "%s", p->domain);
	a->running++;
	return 1;
}

void
alert_flush(struct alert *a)
{
	char why[256];
	struct alert_entry *e;
	struct alert_pending *p;
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < a->npend; i++) {
		p = &a->pend[i];
		e = alert_find(a, p->kind, p->domain, 1);
		e->fired = now;
		a->dirty = 1;
		if (!alert_spawn(a, p, why, sizeof(why)))
			alert_failed(a, p->kind, p->domain, why);
		free(p->json);
		p->json = NULL;
	}
	a->npend = 0;
	if (a->dirty)
		alert_save(a);
}
