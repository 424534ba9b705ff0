/*
 * NAME
 *	learnchild - the learner process: follows Postfix's log, pins
 * SYNOPSIS
 *	#include "learnchild.h"
 *
 *	void learnchild_main(cfg, hint_fd, launcher)
 * DESCRIPTION
 *	The whole life of the learner child that learnd.c forks, from fork
 *	to _exit: it never returns. It has its own LMDB handle; LMDB's MVCC
 *	lets its write transactions run beside the lookups' reads. hint_fd
 *	is its end of the hint channel: the (pid, time, key) of each lookup
 *	tlspind answered (hints.c), kept for the delivery lines to come;
 *	launcher is tlspind's channel to the probe launcher (-1: none).
 *
 *	The child follows log_source: the journal (sd-journal, trusting only
 *	entries written by Postfix's smtp(8)) or a file followed across
 *	rotation, feeds the learner in slices of at most LEARNCHILD_SLICE
 *	lines and commits after each slice, with the position, in one
 *	transaction; the transitions of the slice are logged once it is
 *	committed. The learner's clock is set from the wall clock before
 *	every slice: a classic syslog stamp gets its year from it, and no
 *	line is dated after it (lines that were are reported at most once an
 *	hour). A commit that fails (a full file system, a full map) ends the
 *	child: the parent's restart, with its backoff, is the retry.
 *	Every LEARNCHILD_EXPIRE_EVERY, and once at its start, it sweeps the
 *	store (learner_expire: pins past their expiry become expired, idle
 *	evidence goes). SIGTERM commits and exits. It asks the probe
 *	launcher for probers (prober.c) and feeds them the domains the
 *	learner asks about.
 *
 *	One learner per store: two tlspind on one store and one log would
 *	count every delivery twice. Before it reads a line the child takes
 *	an exclusive flock(2) on LEARNCHILD_LOCK in the store directory,
 *	held until it exits (the kernel drops it however it ends), and
 *	writes its tlspind's pid there for the other one's message. A child
 *	that cannot take it says so once, reads nothing and tries again
 *	every LEARNCHILD_LOCK_RETRY, so it takes over when the other tlspind
 *	stops.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "alert.h"
#include "bytes.h"
#include "clock.h"
#include "hints.h"
#include "prober.h"
#include "jsource.h"
#include "learnchild.h"
#include "learner.h"
#include "log.h"
#include "store.h"
#include "tail.h"

#define USEC 1000000ULL
#define LEARNCHILD_SLICE 20000	/* lines between commits */
#define LEARNCHILD_POLL (USEC / 4)	/* file source: look for new lines */
#define LEARNCHILD_EXPIRE_EVERY (600 * USEC)
#define LEARNCHILD_CACHE 256	/* decoded records per batch (~1.3 MB) */
#define LEARNCHILD_BAD_ENTRIES 1000	/* unreadable entries in a row */
#define LEARNCHILD_NICE 10	/* the learner's CPU priority (nice) */
#define LEARNCHILD_PROBE_QUEUE 256	/* domains waiting for a probe */
#define LEARNCHILD_EVENTS 65536	/* bytes of transitions per commit */
#define LEARNCHILD_LOCK "learner.lock"	/* in the store directory */
#define LEARNCHILD_LOCK_RETRY (2 * USEC)	/* another learner holds it */
#define LEARNCHILD_CAP_LOG (3600 * USEC)	/* max_observing: one line */
#define LEARNCHILD_FUTURE_EVERY (3600 * USEC)	/* "dated in the future" */

struct learnchild {
	const struct config *cfg;
	sd_event *ev;
	struct store *store;
	struct learner *l;
	struct hints *hints;
	int hint_fd;
	struct tail *tail;
	struct jsource *js;
	char pos_key[4200];
	sd_event_source *drain;
	uint64_t uncommitted;	/* lines read since the last commit */
	unsigned bad_entries;	/* unreadable journal entries in a row */
	char events[LEARNCHILD_EVENTS];	/* to log after the commit */
	size_t evlen;
	unsigned evmore;	/* transitions that did not fit */
	uint64_t future_n, future_max;	/* lines dated after the clock */
	uint64_t future_said;	/* monotonic usec of the last report */
	unsigned char hbuf[HINTS_WIRE_MAX];
	/* probes: requests wait in queue, at most nprobers in flight */
	int launcher;		/* the probe launcher (prober.c), or -1 */
	int probe_fd;		/* ours of the socket pair the probers share */
	unsigned nprobers;
	char (*queue)[KEY_MAX + 1];
	unsigned queued;
	char inflight[PROBER_POOL_MAX][KEY_MAX + 1];
	unsigned ninflight;
	unsigned char pbuf[PROBER_MSG_MAX];
	int lock_fd;		/* LEARNCHILD_LOCK, flocked: we learn */
	struct alert *alert;	/* alert_command, or NULL */
	uint64_t unrecorded;	/* learner_stats' count when last logged */
	uint64_t cap_logged;	/* monotonic usec of that line; 0: never */
};

/*
 * Every transition goes to the daemon's log too: admins watch it. Not as
 * it happens but once it is committed: a batch whose commit fails (a full
 * disk) is read again by the next learner, and "pinned: ... Postfix now
 * gets encrypt" would be logged for each try although Postfix got nothing.
 * The lines wait in k->events, NUL-separated, up to LEARNCHILD_EVENTS bytes.
 */
static void
learnchild_on_event(void *arg, const struct record_event *e)
{
	struct learnchild *k = arg;
	size_t room = LEARNCHILD_EVENTS - k->evlen;
	int n;

	n = snprintf(k->events + k->evlen, room, "%s: %s", e->domain,
	    e->reason);
	if (n < 0 || (size_t)n >= room) {
		k->evmore++;
		return;
	}
	k->evlen += (size_t)n + 1;
}

/* Each observation, for the alerts (alert.c). */
static void
learnchild_on_obs(void *arg, const char *domain, const struct learn_obs *o,
    const struct record *r)
{
	alert_observe(arg, domain, o, r);
}

/* Log the transitions held for a commit that succeeded, or drop them. */
static void
learnchild_events_done(struct learnchild *k, int committed)
{
	size_t off;

	for (off = 0; committed && off < k->evlen;
	    off += strlen(k->events + off) + 1)
		log_info("%s", k->events + off);
	if (committed && k->evmore > 0)
		log_info("learner: and %u more transitions (tlspin events "
		    "lists them)", k->evmore);
	k->evlen = 0;
	k->evmore = 0;
}

/*
 * New domains the learner did not record (max_observing): one line an
 * LEARNCHILD_CAP_LOG at most, saying how many and what to change.
 */
static void
learnchild_cap_log(struct learnchild *k)
{
	struct learner_stats st;

	learner_stats(k->l, &st);
	if (st.unrecorded == k->unrecorded ||
	    !clock_every(&k->cap_logged, LEARNCHILD_CAP_LOG))
		return;
	log_warn("learner: the store %s holds max_observing = %lu domains "
	    "without a pin; %llu new domains were not recorded since the "
	    "last such line (raise max_observing or lower observe_max_age "
	    "in tlspin.conf; tlspin stats counts them)", k->cfg->store,
	    k->cfg->max_observing,
	    (unsigned long long)(st.unrecorded - k->unrecorded));
	k->unrecorded = st.unrecorded;
}

/* Take every hint the parent sent; they must precede the log lines. */
static void
learnchild_hints_read(struct learnchild *k)
{
	struct hint q;
	ssize_t n;
	size_t off, used;

	while ((n = recv(k->hint_fd, k->hbuf, sizeof(k->hbuf),
	    MSG_DONTWAIT)) > 0)
		for (off = 0; off < (size_t)n; off += used) {
			used = hints_decode(k->hbuf + off, (size_t)n - off, &q);
			if (used == 0)
				break;
			hints_add(k->hints, &q);
		}
}

static int
learnchild_on_hints(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	learnchild_hints_read(arg);
	return 0;
}

/* Commit what the lines since the last commit taught, with the position. */
static int
learnchild_commit(struct learnchild *k)
{
	char err[STORE_ERR_MAX], cursor[JSOURCE_CURSOR_MAX];
	char where[JSOURCE_CURSOR_MAX + 4200];
	struct tail_pos tp;
	unsigned char pos[32];
	int ok;

	if (k->uncommitted == 0)
		return 1;
	if (k->tail != NULL) {
		tail_position(k->tail, &tp);
		bytes_le_put(pos, tp.dev, 8);
		bytes_le_put(pos + 8, tp.ino, 8);
		bytes_le_put(pos + 16, tp.offset, 8);
		bytes_le_put(pos + 24, tp.head, 8);
		snprintf(where, sizeof(where), "%s, inode %llu, offset %llu",
		    k->cfg->log_source, (unsigned long long)tp.ino,
		    (unsigned long long)tp.offset);
		ok = learner_commit(k->l, k->pos_key, pos, sizeof(pos), where,
		    err, sizeof(err));
	} else {
		jsource_cursor(k->js, cursor, sizeof(cursor));
		snprintf(where, sizeof(where), "%s, cursor %s",
		    k->cfg->log_source, cursor);
		ok = learner_commit(k->l, k->pos_key, cursor, strlen(cursor),
		    where, err, sizeof(err));
	}
	if (!ok) {
		log_err("learner: %s; restarting from the last commit", err);
		exit(1);
	}
	k->uncommitted = 0;
	learnchild_events_done(k, 1);
	alert_flush(k->alert);
	learnchild_cap_log(k);
	return 1;
}

/* One line or entry into the learner; 0 when the source has none now. */
static int
learnchild_one(struct learnchild *k)
{
	char err[STORE_ERR_MAX];
	struct jsource_entry e;
	const char *line;
	size_t len;
	int rc, cut, ok;

	if (k->tail != NULL) {
		rc = tail_next(k->tail, &line, &len, &cut, err, sizeof(err));
		ok = rc != 1 || learner_line(k->l, line, len, err,
		    sizeof(err));
	} else {
		rc = jsource_next(k->js, &e, err, sizeof(err));
		if (rc < 0 && ++k->bad_entries < LEARNCHILD_BAD_ENTRIES) {
			/* one unreadable entry: skipped, go on */
			log_warn("learner: %s", err);
			return 1;
		}
		if (rc == 1)
			k->bad_entries = 0;
		ok = rc != 1 || learner_entry(k->l, e.tag, e.taglen, e.pid,
		    e.msg, e.msglen, e.time_us / USEC, e.trusted, err,
		    sizeof(err));
	}
	if (rc < 0 || !ok) {
		log_err("learner: %s; restarting from the last commit", err);
		exit(1);
	}
	k->uncommitted += rc == 1;
	return rc == 1;
}

/*
 * Lines dated after the clock were taken as now: tell the admin, at most
 * once every LEARNCHILD_FUTURE_EVERY (a host whose clock runs ahead writes
 * such lines all day).
 */
static void
learnchild_future_report(struct learnchild *k)
{
	char when[32];
	struct tm tm;
	time_t t;
	uint64_t newest, n = learner_future_take(k->l, &newest);

	k->future_n += n;
	if (newest > k->future_max)
		k->future_max = newest;
	if (k->future_n == 0 ||
	    !clock_every(&k->future_said, LEARNCHILD_FUTURE_EVERY))
		return;
	t = (time_t)k->future_max;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "@%llu",
		    (unsigned long long)k->future_max);
	log_warn("learner: %llu log lines dated in the future (up to %s) were "
	    "taken as now; check the clock of the host that writes the log",
	    (unsigned long long)k->future_n, when);
	k->future_n = k->future_max = 0;
}

/*
 * A backlog whose newest line read is alert_behind old: the learner is
 * behind the log (without a backlog an old line only means a quiet log).
 */
static void
learnchild_lag(struct learnchild *k, int more)
{
	struct learner_stats st;

	if (k->alert == NULL || !more)
		return;
	learner_stats(k->l, &st);
	alert_behind(k->alert, st.last_time, (uint64_t)time(NULL));
	alert_flush(k->alert);
}

/* Read a slice of lines, commit; come back at once if there is more. */
static int
learnchild_on_drain(sd_event_source *s, uint64_t usec, void *arg)
{
	struct learnchild *k = arg;
	unsigned n = 0;
	int more = 0;

	learnchild_hints_read(k);
	if (k->js != NULL)
		(void)jsource_process(k->js);
	/* time is an input: the learner runs for months, its now must move */
	learner_set_now(k->l, (int64_t)time(NULL));
	while (n < LEARNCHILD_SLICE && (more = learnchild_one(k)))
		n++;
	learnchild_commit(k);
	learnchild_lag(k, more);
	learnchild_future_report(k);
	(void)sd_event_source_set_time(s, more ? usec : usec + LEARNCHILD_POLL);
	return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int
learnchild_on_journal(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct learnchild *k = arg;
	uint64_t now = 0;

	(void)sd_event_now(k->ev, CLOCK_MONOTONIC, &now);
	return learnchild_on_drain(k->drain, now, k);
}

static int
learnchild_on_expire(sd_event_source *s, uint64_t usec, void *arg)
{
	struct learnchild *k = arg;
	char err[STORE_ERR_MAX];
	struct learner_stats before, after;
	int ok;

	learnchild_commit(k);
	learner_stats(k->l, &before);
	ok = learner_expire(k->l, (uint64_t)time(NULL), err, sizeof(err));
	learnchild_events_done(k, ok);
	learner_stats(k->l, &after);
	if (after.aged > before.aged)
		log_info("learner: %llu records without a pin had no delivery "
		    "for observe_max_age and were dropped; %llu remain",
		    (unsigned long long)(after.aged - before.aged),
		    (unsigned long long)learner_evidence(k->l));
	if (!ok)
		log_warn("learner: expiry check failed: %s", err);
	/* a timer fires once: arm it again */
	(void)sd_event_source_set_time(s, usec + LEARNCHILD_EXPIRE_EVERY);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int
learnchild_on_term(sd_event_source *s, const struct signalfd_siginfo *si,
    void *arg)
{
	struct learnchild *k = arg;

	learnchild_commit(k);
	return sd_event_exit(k->ev, 0);
}

/* The uid whose journal entries are Postfix's own. */
static uid_t
learnchild_postfix_uid(const struct config *c)
{
	struct passwd *pw = getpwnam(c->postfix_user);

	if (pw == NULL) {
		log_warn("learner: postfix_user = %s: no such user; no "
		    "journal entry will be trusted", c->postfix_user);
		return (uid_t)-1;
	}
	return pw->pw_uid;
}

/* Open the file source where the store says we stopped. */
static int
learnchild_open_file(struct learnchild *k, const char *path)
{
	char err[TAIL_ERR_MAX], note[1024] = "";
	unsigned char pos[32];
	struct tail_pos tp = { 0, 0, 0, 0 };
	size_t n;

	snprintf(k->pos_key, sizeof(k->pos_key), "pos:file:%s", path);
	if (!learner_resume(k->l, k->pos_key, pos, sizeof(pos), &n, err,
	    sizeof(err)))
		log_warn("learner: %s; starting %s from the beginning", err,
		    path);
	if (n == sizeof(pos)) {
		tp.dev = bytes_le_get(pos, 8);
		tp.ino = bytes_le_get(pos + 8, 8);
		tp.offset = bytes_le_get(pos + 16, 8);
		tp.head = bytes_le_get(pos + 24, 8);
	}
	if (tail_open(&k->tail, path, n == sizeof(pos) ? &tp : NULL, note,
	    sizeof(note), err, sizeof(err)) < 0) {
		log_err("learner: %s", err);
		return 0;
	}
	if (note[0] != '\0')
		log_warn("learner: %s", note);
	log_info("learner: following %s%s", path, n ? " from the saved "
	    "position" : "");
	return 1;
}

/* Open the journal where the store says we stopped. */
static int
learnchild_open_journal(struct learnchild *k, const char *dir)
{
	const char *names[CONFIG_NAMES_MAX];
	char err[STORE_ERR_MAX], cursor[JSOURCE_CURSOR_MAX + 1];
	size_t n;
	unsigned i;

	snprintf(k->pos_key, sizeof(k->pos_key), "pos:journal%s%s",
	    dir ? ":" : "", dir ? dir : "");
	if (!learner_resume(k->l, k->pos_key, cursor, sizeof(cursor) - 1, &n,
	    err, sizeof(err)))
		log_warn("learner: %s; reading the journal from its start",
		    err);
	cursor[n] = '\0';
	for (i = 0; i < k->cfg->nsyslog_names; i++)
		names[i] = k->cfg->syslog_names[i];
	if (jsource_open(&k->js, dir, names, k->cfg->nsyslog_names,
	    learnchild_postfix_uid(k->cfg), cursor, err, sizeof(err)) < 0) {
		log_err("learner: %s", err);
		return 0;
	}
	if (jsource_note(k->js) != NULL && jsource_note(k->js)[0] != '\0')
		log_warn("learner: %s", jsource_note(k->js));
	log_info("learner: following the journal%s%s%s", dir ? " in " : "",
	    dir ? dir : "", n ? " from the saved cursor" : "");
	return sd_event_add_io(k->ev, NULL, jsource_fd(k->js), EPOLLIN,
	    learnchild_on_journal, k) >= 0;
}

static int
learnchild_open_source(struct learnchild *k)
{
	const char *src = k->cfg->log_source;

	if (strncmp(src, "file:", 5) == 0)
		return learnchild_open_file(k, src + 5);
	if (strncmp(src, "journal:", 8) == 0)
		return learnchild_open_journal(k, src + 8);
	return learnchild_open_journal(k, NULL);
}

/* Is domain waiting for a probe, or being probed? */
static int
learnchild_probe_pending(const struct learnchild *k, const char *domain)
{
	unsigned i;

	for (i = 0; i < k->queued; i++)
		if (strcmp(k->queue[i], domain) == 0)
			return 1;
	for (i = 0; i < k->ninflight; i++)
		if (strcmp(k->inflight[i], domain) == 0)
			return 1;
	return 0;
}

/* Hand queued domains to idle probers. */
static void
learnchild_probe_dispatch(struct learnchild *k)
{
	while (k->queued > 0 && k->ninflight < k->nprobers) {
		if (send(k->probe_fd, k->queue[0], strlen(k->queue[0]),
		    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return;	/* full: the next result makes room */
		memcpy(k->inflight[k->ninflight++], k->queue[0], KEY_MAX + 1);
		memmove(k->queue[0], k->queue[1], (k->queued - 1) *
		    sizeof(k->queue[0]));
		k->queued--;
	}
}

/* The learner found a domain worth probing. */
static void
learnchild_on_probe_wanted(void *arg, const char *domain, int why)
{
	struct learnchild *k = arg;

	if (learnchild_probe_pending(k, domain))
		return;
	if (k->queued == LEARNCHILD_PROBE_QUEUE) {
		log_warn("probe: %d domains wait already; %s is probed later",
		    LEARNCHILD_PROBE_QUEUE, domain);
		return;
	}
	memcpy(k->queue[k->queued++], domain, strlen(domain) + 1);
	if (k->cfg->debug)
		log_info("probe: %s queued (%s)", domain, why ==
		    LEARN_PROBE_NEW_MX ? "deferred at a new MX" :
		    "an encrypt pin that may become secure");
	learnchild_probe_dispatch(k);
}

static void
learnchild_probe_done(struct learnchild *k, const char *domain)
{
	unsigned i;

	for (i = 0; i < k->ninflight; i++)
		if (strcmp(k->inflight[i], domain) == 0) {
			memmove(k->inflight[i], k->inflight[i + 1],
			    (k->ninflight - i - 1) * sizeof(k->inflight[0]));
			k->ninflight--;
			return;
		}
}

/*
 * The probers are gone for good (the launcher refused them, or every one
 * of them exited on an error): the learner goes on without probes.
 */
static void
learnchild_probers_gone(struct learnchild *k, sd_event_source *s)
{
	log_err("probe: the probe processes are gone; this learner probes "
	    "nothing more (the next reload or restart starts new ones)");
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	k->nprobers = 0;
	k->ninflight = 0;
	k->queued = 0;
}

/* Results from the probers: into the records, committed at once. */
static int
learnchild_on_probe_result(sd_event_source *s, int fd, uint32_t revents,
    void *arg)
{
	struct learnchild *k = arg;
	char domain[KEY_MAX + 1], err[STORE_ERR_MAX];
	struct learn_probe pr;
	const char *why;
	ssize_t n;

	while ((n = recv(fd, k->pbuf, sizeof(k->pbuf), MSG_DONTWAIT)) > 0) {
		if (prober_is_lost(k->pbuf, (size_t)n)) {
			k->ninflight = 0;	/* a lost request is asked again later */
			continue;
		}
		if (!prober_result_decode(k->pbuf, (size_t)n, domain, &pr,
		    &why)) {
			log_warn("probe: %s; ignored", why);
			continue;
		}
		learnchild_probe_done(k, domain);
		log_info("%s: %s", domain, pr.note);
		if (!learner_probe(k->l, domain, &pr, err, sizeof(err))) {
			log_err("learner: %s; restarting from the last commit",
			    err);
			exit(1);
		}
		k->uncommitted++;
	}
	if (n == 0)
		learnchild_probers_gone(k, s);
	learnchild_commit(k);
	learnchild_probe_dispatch(k);
	return 0;
}

/* Probers from the launcher: its children, not ours, so they never held
 * the store, the log or our groups. */
static void
learnchild_probers_start(struct learnchild *k)
{
	unsigned n = k->cfg->probe_concurrency;

	k->probe_fd = -1;
	if (!k->cfg->probe)
		return;
	if (n > PROBER_POOL_MAX)
		n = PROBER_POOL_MAX;
	k->queue = calloc(LEARNCHILD_PROBE_QUEUE, sizeof(*k->queue));
	if (k->queue == NULL || !prober_spawn(k->launcher, k->cfg, n,
	    &k->probe_fd))
		return;
	k->nprobers = n;
}

/* Watch the probers and their results (once the event loop exists). */
static int
learnchild_probers_watch(struct learnchild *k)
{
	if (k->nprobers == 0)
		return 1;
	learner_set_probe_fn(k->l, learnchild_on_probe_wanted, k);
	return sd_event_add_io(k->ev, NULL, k->probe_fd, EPOLLIN,
	    learnchild_on_probe_result, k) >= 0;
}

/*
 * Take LEARNCHILD_LOCK: 1 when we hold it, 0 when another learner does (its
 * tlspind's pid in *holder, 0 if unknown), -1 (logged) on an error.
 */
static int
learnchild_lock_take(struct learnchild *k, long *holder)
{
	char path[4200], buf[32];
	ssize_t n;
	int len;

	*holder = 0;
	snprintf(path, sizeof(path), "%s/%s", k->cfg->store, LEARNCHILD_LOCK);
	if (k->lock_fd < 0 &&
	    (k->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_err("learner: cannot open %s: %s (the store directory "
		    "must be writable by tlspind's user)", path,
		    strerror(errno));
		return -1;
	}
	if (flock(k->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			log_err("learner: cannot lock %s: %s", path,
			    strerror(errno));
			return -1;
		}
		n = pread(k->lock_fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*holder = strtol(buf, NULL, 10);
		return 0;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getppid());
	if (ftruncate(k->lock_fd, 0) != 0 ||
	    pwrite(k->lock_fd, buf, (size_t)len, 0) != len)
		log_warn("learner: cannot write its pid to %s: %s", path,
		    strerror(errno));
	return 1;
}

/* Start learning: the log source, its slices, the expiry sweeps. */
static int
learnchild_begin(struct learnchild *k)
{
	uint64_t now = 0;

	if (sd_event_now(k->ev, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_add_time(k->ev, &k->drain, CLOCK_MONOTONIC, now, 0,
	    learnchild_on_drain, k) < 0 ||
	    sd_event_add_time(k->ev, NULL, CLOCK_MONOTONIC, now + USEC, USEC,
	    learnchild_on_expire, k) < 0) {
		log_err("learner: cannot set up its event loop");
		return 0;
	}
	if (k->alert != NULL)
		learner_set_obs_fn(k->l, learnchild_on_obs, k->alert);
	(void)sd_event_source_set_priority(k->drain, SD_EVENT_PRIORITY_IDLE);
	if (!learnchild_probers_watch(k)) {
		log_err("learner: cannot watch its probers");
		return 0;
	}
	return learnchild_open_source(k);
}

/* Another learner held the lock: try again, learn once we hold it. */
static int
learnchild_on_lock_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	struct learnchild *k = arg;
	long holder;
	int rc = learnchild_lock_take(k, &holder);

	if (rc == 0) {
		(void)sd_event_source_set_time(s, usec + LEARNCHILD_LOCK_RETRY);
		return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	if (rc < 0 || !learnchild_begin(k))
		return sd_event_exit(k->ev, 1);
	log_info("learner: the other tlspind stopped learning into store %s; "
	    "this one learns now", k->cfg->store);
	return 0;
}

/* Learn if no other learner does; else say so once and wait for it. */
static int
learnchild_lock(struct learnchild *k)
{
	uint64_t now = 0;
	long holder;
	int rc = learnchild_lock_take(k, &holder);

	if (rc != 0)
		return rc > 0 && learnchild_begin(k);
	if (holder > 0)
		log_warn("learner: another tlspind (pid %ld) is already "
		    "learning into store %s; this one only answers lookups "
		    "until it stops", holder, k->cfg->store);
	else
		log_warn("learner: another tlspind is already learning into "
		    "store %s; this one only answers lookups until it stops",
		    k->cfg->store);
	return sd_event_now(k->ev, CLOCK_MONOTONIC, &now) >= 0 &&
	    sd_event_add_time(k->ev, NULL, CLOCK_MONOTONIC,
	    now + LEARNCHILD_LOCK_RETRY, USEC / 10, learnchild_on_lock_retry,
	    k) >= 0;
}

/* Everything the child needs; 0 (logged) when it cannot run. */
static int
learnchild_setup(struct learnchild *k)
{
	char err[STORE_ERR_MAX];
	struct learn_params p;

	learner_params(k->cfg, &p);
	if (!store_open(&k->store, k->cfg->store, STORE_CREATE, err,
	    sizeof(err))) {
		log_err("learner: %s", err);
		return 0;
	}
	k->hints = hints_new();
	k->l = learner_new(k->store, &p, LEARNCHILD_CACHE);
	if (k->hints == NULL || k->l == NULL) {
		log_err("learner: out of memory");
		return 0;
	}
	learner_set_hint(k->l, hints_find, k->hints);
	learner_set_event_fn(k->l, learnchild_on_event, k);
	if (sd_event_new(&k->ev) < 0 ||
	    (k->cfg->alert_command[0] != '\0' &&
	    (k->alert = alert_new(k->cfg, k->ev)) == NULL) ||
	    sd_event_add_signal(k->ev, NULL, SIGTERM, learnchild_on_term,
	    k) < 0 ||
	    sd_event_add_signal(k->ev, NULL, SIGINT, learnchild_on_term,
	    k) < 0 ||
	    sd_event_add_io(k->ev, NULL, k->hint_fd, EPOLLIN,
	    learnchild_on_hints, k) < 0) {
		log_err("learner: cannot set up its event loop");
		return 0;
	}
	if (k->alert != NULL)
		learner_set_obs_fn(k->l, learnchild_on_obs, k->alert);
	return learnchild_lock(k);
}

/* The child: only the hint socket and stdio stay open. Never returns. */
void
learnchild_main(const struct config *cfg, int hint_fd, int launcher)
{
	struct learnchild *k = calloc(1, sizeof(*k));
	int rc = 1, h, l = -1;

	/* the hint channel as 3, the launcher's as 4, nothing else */
	h = fcntl(hint_fd, F_DUPFD_CLOEXEC, 10);
	if (launcher >= 0)
		l = fcntl(launcher, F_DUPFD_CLOEXEC, 10);
	if (h < 0 || dup2(h, 3) < 0 || (l >= 0 && dup2(l, 4) < 0))
		_exit(1);
	(void)close_range(l >= 0 ? 5 : 4, ~0U, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	(void)prctl(PR_SET_NAME, "tlspind-learn");
	/* background work: on a busy machine the lookups get the CPU first */
	(void)setpriority(PRIO_PROCESS, 0, LEARNCHILD_NICE);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	if (k != NULL) {
		k->cfg = cfg;
		k->hint_fd = 3;
		k->launcher = l >= 0 ? 4 : -1;
		k->lock_fd = -1;
		learnchild_probers_start(k);
		if (learnchild_setup(k))
			rc = sd_event_loop(k->ev) < 0;
	}
	_exit(rc);
}
