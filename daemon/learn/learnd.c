/*
 * NAME
 *	learnd - tlspind's supervisor of the learner process
 * SYNOPSIS
 *	#include "learnd.h"
 *
 *	struct learnd *learnd_new(ev, cfg, launcher, channel, arg)
 *	void learnd_start(ld)
 *	void learnd_reload(ld, cfg)
 *	void learnd_free(ld)
 * DESCRIPTION
 *	Learning runs in a child process of tlspind, never in the process
 *	that answers Postfix: a slow disk, a huge backlog of log lines or a
 *	bug in learning cannot delay a lookup, and if the learner dies the
 *	lookups go on and the parent starts a new learner (after 1 s, then
 *	backing off to a minute) that resumes from the position committed
 *	in the store. This file is the parent's side, run in tlspind's
 *	process: fork (learnchild.c is the child's whole life), restart
 *	with backoff, reload (a new child that reads the new settings),
 *	stop (SIGTERM, LEARND_STOP_WAIT for its commit, then SIGKILL).
 *
 *	Each child gets a fresh datagram socket pair, its hint channel: the
 *	parent's end goes to the channel callback (tlspind.c sends the
 *	(pid, time, key) of each lookup on it, hints.c), so that a delivery
 *	is attributed to the next hop Postfix asked about.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learnchild.h"
#include "learnd.h"
#include "log.h"

#define USEC 1000000ULL
#define LEARND_BACKOFF_MAX 60	/* seconds between restarts, at most */
#define LEARND_HEALTHY 60	/* seconds of running that reset the backoff */
#define LEARND_STOP_WAIT 5	/* seconds for the child to commit and exit */

struct learnd {
	sd_event *ev;
	learnd_channel_fn *channel;	/* told of each new hint channel */
	int launcher;		/* the probe launcher's channel, or -1 */
	void *channel_arg;
	struct config cfg;
	pid_t pid;		/* the child; 0 when none runs */
	int hint_fd;		/* our end of the socket pair */
	sd_event_source *child, *restart;
	unsigned backoff;	/* seconds before the next restart */
	uint64_t started;	/* monotonic usec the child was forked */
	int stopping;
};

static void learnd_spawn(struct learnd *ld);

static int
learnd_on_restart(sd_event_source *s, uint64_t usec, void *arg)
{
	struct learnd *ld = arg;

	ld->restart = sd_event_source_unref(ld->restart);
	learnd_spawn(ld);
	return 0;
}

/* The child ended: unless we asked it to, start another later. */
static int
learnd_on_child(sd_event_source *s, const siginfo_t *si, void *arg)
{
	struct learnd *ld = arg;
	uint64_t now = 0;

	ld->child = sd_event_source_unref(ld->child);
	ld->pid = 0;
	if (ld->stopping)
		return 0;
	(void)sd_event_now(ld->ev, CLOCK_MONOTONIC, &now);
	if (now - ld->started >= LEARND_HEALTHY * USEC)
		ld->backoff = 1;	/* it ran fine for a while: a new fault */
	log_warn("learner (pid %d) %s %d; lookups go on, learning restarts "
	    "in %u s from the last committed position", (int)si->si_pid,
	    si->si_code == CLD_EXITED ? "exited with status" :
	    "was killed by signal", si->si_status, ld->backoff);
	(void)sd_event_add_time(ld->ev, &ld->restart, CLOCK_MONOTONIC,
	    now + ld->backoff * USEC, USEC / 10, learnd_on_restart, ld);
	ld->backoff = ld->backoff * 2 > LEARND_BACKOFF_MAX ?
	    LEARND_BACKOFF_MAX : ld->backoff * 2;
	return 0;
}

/* Fork the learner with a fresh hint socket pair. */
static void
learnd_spawn(struct learnd *ld)
{
	int sv[2];
	pid_t pid;

	if (strcmp(ld->cfg.log_source, "none") == 0 || ld->stopping)
		return;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("learner: socketpair: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		learnchild_main(&ld->cfg, sv[1], ld->launcher);
	}
	close(sv[1]);
	if (pid < 0) {
		log_err("learner: fork: %s", strerror(errno));
		close(sv[0]);
		return;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (ld->hint_fd >= 0)
		close(ld->hint_fd);
	ld->hint_fd = sv[0];
	ld->channel(ld->channel_arg, sv[0]);
	ld->pid = pid;
	(void)sd_event_now(ld->ev, CLOCK_MONOTONIC, &ld->started);
	if (sd_event_add_child(ld->ev, &ld->child, pid, WEXITED,
	    learnd_on_child, ld) < 0)
		log_warn("learner: cannot watch pid %d", (int)pid);
}

struct learnd *
learnd_new(sd_event *ev, const struct config *cfg, int launcher,
    learnd_channel_fn *channel, void *arg)
{
	struct learnd *ld = calloc(1, sizeof(*ld));

	if (ld == NULL)
		return NULL;
	ld->ev = ev;
	ld->channel = channel;
	ld->launcher = launcher;
	ld->channel_arg = arg;
	ld->cfg = *cfg;
	ld->hint_fd = -1;
	ld->backoff = 1;
	return ld;
}

void
learnd_start(struct learnd *ld)
{
	learnd_spawn(ld);
}

/* Stop the child: SIGTERM, wait for its commit, then SIGKILL. */
static void
learnd_stop(struct learnd *ld)
{
	int i, status;

	ld->stopping = 1;
	ld->restart = sd_event_source_unref(ld->restart);
	ld->child = sd_event_source_unref(ld->child);
	if (ld->pid > 0) {
		kill(ld->pid, SIGTERM);
		for (i = 0; i < LEARND_STOP_WAIT * 20; i++) {
			if (waitpid(ld->pid, &status, WNOHANG) == ld->pid)
				break;
			usleep(50000);
		}
		if (i == LEARND_STOP_WAIT * 20) {
			kill(ld->pid, SIGKILL);
			(void)waitpid(ld->pid, &status, 0);
		}
		ld->pid = 0;
	}
	ld->channel(ld->channel_arg, -1);
	if (ld->hint_fd >= 0)
		close(ld->hint_fd);
	ld->hint_fd = -1;
}

/* New settings: a new learner that reads them (it resumes exactly). */
void
learnd_reload(struct learnd *ld, const struct config *cfg)
{
	learnd_stop(ld);
	ld->cfg = *cfg;
	ld->stopping = 0;
	ld->backoff = 1;
	learnd_spawn(ld);
}

void
learnd_free(struct learnd *ld)
{
	if (ld == NULL)
		return;
	learnd_stop(ld);
	free(ld);
}
