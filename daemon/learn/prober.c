/*
 * NAME
 *	prober - tlspind's probe processes, and what they tell the learner
 * SYNOPSIS
 *	#include "prober.h"
 *
 *	int prober_launcher_start(cfg)
 *	int prober_spawn(launcher, cfg, n, fd)
 *	int prober_is_lost(buf, len)
 *	void prober_summarize(result, now, pr)
 *	size_t prober_result_encode(domain, pr, buf, bufsz)
 *	int prober_result_decode(buf, len, domain, pr, err)
 * DESCRIPTION
 *	A probe talks to servers on the Internet, so it runs where it can do
 *	the least harm, in processes that come from the probe launcher
 *	(tlspind-probes): tlspind forks it with prober_launcher_start() as
 *	soon as it has read its config, before it opens a socket or the
 *	store and before it gives up root or its capability, so the launcher
 *	holds none of them. The launcher then gives up what the probes must
 *	not have: started as root it becomes probe_user (nobody) with that
 *	user's group only; started as another user (tlspin, under the unit)
 *	it gives up the supplementary groups the learner reads the log with
 *	(systemd-journal, adm), with the CAP_SETGID the unit grants for that
 *	(caps.c), and then every capability. Everything it forks later
 *	inherits that.
 *
 *	A learner asks it for probers with prober_spawn(): the probe
 *	settings of the learner's config and, passed with SCM_RIGHTS, one end
 *	of a new SOCK_SEQPACKET socket pair. The launcher forks n probers
 *	that share that end; each takes one request at a time (a domain
 *	name), runs probe_run() and sends back one message. Every prober
 *	limits itself (64 MB of heap, 32 descriptors, no core file, no new
 *	privileges) and ends when the learner closes its end (a reload, a
 *	stop, a learner that died). The launcher starts another prober for
 *	one that was killed, and tells the learner that a prober's request
 *	in flight was lost with a one-byte message (prober_is_lost()), so it
 *	asks again later. The launcher ends with tlspind.

 *	prober_summarize() reduces a probe_result to what the state machine
 *	needs (struct learn_probe: verdict, MX names, those proved, a note).
 *	The message is: version (1), time (8), verdict (1), dnssec (1), then
 *	the domain, the MX names, the proved names and the note, each a
 *	little-endian 16-bit length and bytes. prober_result_decode() trusts
 *	nothing in it (the sender parsed bytes from the network): every
 *	length is bounded, names must be host names, the note printable.
 */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "bytes.h"
#include "caps.h"
#include "log.h"
#include "prober.h"

#define PROBER_VERSION 1
#define PROBER_DATA_MAX (64UL << 20)	/* heap of one prober: ~2 MB in use */
#define PROBER_FDS_MAX 32	/* its socket pair, one TCP and one DNS socket */

/* ---------------------------------------------------------------- codec */

/* The message for one probe; 0 when it does not fit in bufsz. */
size_t
prober_result_encode(const char *domain, const struct learn_probe *pr,
    unsigned char *buf, size_t bufsz)
{
	struct bytes_writer w;

	bytes_writer_init(&w, buf, bufsz);
	bytes_put_u8(&w, PROBER_VERSION);
	bytes_put_u64(&w, pr->time);
	bytes_put_u8(&w, (uint8_t)pr->verdict);
	bytes_put_u8(&w, pr->dnssec != 0);
	bytes_put_str(&w, domain, strlen(domain));
	bytes_put_str(&w, pr->mx, strlen(pr->mx));
	bytes_put_str(&w, pr->verified, strlen(pr->verified));
	bytes_put_str(&w, pr->note, strlen(pr->note));
	return bytes_written(&w);
}

/* A colon list of host names (possibly empty). */
static int
prober_names_ok(const char *list)
{
	char name[DNSMSG_NAME_MAX + 1];
	const char *p = list, *end;
	size_t n;

	while (*p != '\0') {
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n > DNSMSG_NAME_MAX)
			return 0;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!dnsmsg_name_ok(name))
			return 0;
		p += n + (end != NULL);
		if (end != NULL && *p == '\0')
			return 0;
	}
	return 1;
}

static int
prober_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
prober_result_decode(const unsigned char *buf, size_t len,
    char domain[KEY_MAX + 1], struct learn_probe *pr, const char **err)
{
	struct bytes_reader r;

	memset(pr, 0, sizeof(*pr));
	bytes_reader_init(&r, buf, len);
	if (bytes_get_u8(&r) != PROBER_VERSION || bytes_left(&r) < 10) {
		*err = "probe message is truncated or of an unknown version";
		return 0;
	}
	pr->time = bytes_get_u64(&r);
	pr->verdict = bytes_get_u8(&r);
	pr->dnssec = bytes_get_u8(&r);
	if (pr->verdict > LEARN_PROBE_DANE || pr->dnssec > 1) {
		*err = "probe message has an unknown verdict";
		return 0;
	}
	bytes_get_str(&r, domain, DNSMSG_NAME_MAX);
	bytes_get_str(&r, pr->mx, RECORD_MATCH_MAX);
	bytes_get_str(&r, pr->verified, RECORD_MATCH_MAX);
	bytes_get_str(&r, pr->note, RECORD_PROBE_MAX);
	if (!bytes_end(&r)) {
		*err = "probe message has a field out of bounds";
		return 0;
	}
	if (!dnsmsg_name_ok(domain) || !prober_names_ok(pr->mx) ||
	    !prober_names_ok(pr->verified) || !prober_printable(pr->note)) {
		*err = "probe message has a bad name or note";
		return 0;
	}
	return 1;
}

/* ------------------------------------------------------------- summary */

/* What the state machine needs from a probe. */
void
prober_summarize(const struct probe_result *res, uint64_t now,
    struct learn_probe *pr)
{
	size_t used, i;

	memset(pr, 0, sizeof(*pr));
	pr->time = now;
	pr->dnssec = res->dnssec;
	switch (res->verdict) {
	case PROBE_SECURE: pr->verdict = LEARN_PROBE_SECURE; break;
	case PROBE_ENCRYPT: pr->verdict = LEARN_PROBE_ENCRYPT; break;
	case PROBE_DANE: pr->verdict = LEARN_PROBE_DANE; break;
	default: pr->verdict = LEARN_PROBE_NONE; break;
	}
	probe_mx_names(res, 0, pr->mx, sizeof(pr->mx));
	if (strlen(res->verified) < sizeof(pr->verified))
		memcpy(pr->verified, res->verified, strlen(res->verified) + 1);
	used = (size_t)snprintf(pr->note, sizeof(pr->note), "probe: %s",
	    probe_verdict_name(res->verdict));
	for (i = 0; i < res->nproblems && used < sizeof(pr->note) - 1; i++)
		used += (size_t)snprintf(pr->note + used, sizeof(pr->note) -
		    used, "%s %s", i ? ";" : ":", res->problems[i]);
	for (i = 0; pr->note[i] != '\0'; i++)
		if ((unsigned char)pr->note[i] < 0x20 ||
		    (unsigned char)pr->note[i] >= 0x7f)
			pr->note[i] = '?';
}

/* ------------------------------------------------------------ processes */


#define PROBER_LOST 0xff	/* one byte from the launcher: a prober ended */
#define PROBER_POOLS_MAX 8	/* learners whose probers run at once */
#define PROBER_REQ_MAX (2 + 2 + 8 + 2 + 4096 + 2 + 64)

/* A learner's probers: their settings, their end of its socket pair. */
struct prober_pool {
	int fd;			/* -1: a free slot */
	unsigned n;		/* probers asked for */
	pid_t pids[PROBER_POOL_MAX];	/* 0: not running */
	char cafile[4096], resolver[64];
	struct probe_opts o;
};

struct prober_launcher {
	int chan;		/* requests from tlspind's learners */
	int sig;		/* signalfd: SIGCHLD */
	int usable;		/* 0: probers cannot be made safe */
	struct prober_pool pools[PROBER_POOLS_MAX];
};

/*
 * Root has no business talking to the Internet: become probe_user, with
 * its group only. Any other user gives up its supplementary groups (the
 * systemd-journal and adm groups the learner reads the log with) if it
 * can, and says so if it cannot. No capability is left either way.
 */
static int
prober_drop(const struct config *cfg)
{
	struct passwd *pw;
	char err[600];

	if (geteuid() != 0) {
		if (!caps_clear_groups(err, sizeof(err)))
			log_warn("probe: the probe processes keep the "
			    "supplementary groups %s", err);
		return 1;
	}
	pw = getpwnam(cfg->probe_user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_err("probe: probe_user = %s: %s; probes stay off",
		    cfg->probe_user, pw ? "is root" : "no such user");
		return 0;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		log_err("probe: cannot become %s: %s; probes stay off",
		    cfg->probe_user, strerror(errno));
		return 0;
	}
	return 1;
}

/*
 * Bounds for a process that talks to strangers: a hostile server or DNS
 * answer cannot make it eat the machine's memory or descriptors, leave
 * a core file with what it read, or gain privileges through exec.
 * (Not under ASan: its shadow memory is terabytes of address space.)
 */
static void
prober_limit(void)
{
	struct rlimit none = { 0, 0 };
	struct rlimit fds = { PROBER_FDS_MAX, PROBER_FDS_MAX };
#if !defined(__SANITIZE_ADDRESS__)
	struct rlimit data = { PROBER_DATA_MAX, PROBER_DATA_MAX };

	(void)setrlimit(RLIMIT_DATA, &data);
#endif
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)setrlimit(RLIMIT_NOFILE, &fds);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* One prober: requests in, results out, until the learner goes. */
static void
prober_main(const struct probe_opts *o, int fd)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct learn_probe pr;
	unsigned char out[PROBER_MSG_MAX];
	char domain[KEY_MAX + 1];
	ssize_t n;
	size_t m;

	if (res == NULL)
		_exit(1);
	prober_limit();
	for (;;) {
		n = recv(fd, domain, sizeof(domain) - 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(0);	/* the learner closed its end */
		}
		domain[n] = '\0';
		(void)probe_run(domain, o, res);	/* r->error says why not */
		probe_judge(res, (int64_t)time(NULL));
		prober_summarize(res, (uint64_t)time(NULL), &pr);
		m = prober_result_encode(domain, &pr, out, sizeof(out));
		if (m == 0 || send(fd, out, m, MSG_NOSIGNAL) < 0)
			_exit(1);
	}
}

/* The request for a pool: the settings of the learner's config. */
static size_t
prober_request_encode(const struct config *cfg, unsigned n,
    unsigned char *buf, size_t bufsz)
{
	struct bytes_writer w;

	bytes_writer_init(&w, buf, bufsz);
	bytes_put_u8(&w, PROBER_VERSION);
	bytes_put_u8(&w, (uint8_t)n);
	bytes_put_u16(&w, (uint16_t)cfg->probe_port);
	bytes_put_u64(&w, cfg->probe_timeout);
	bytes_put_str(&w, cfg->probe_cafile, strlen(cfg->probe_cafile));
	bytes_put_str(&w, cfg->probe_resolver, strlen(cfg->probe_resolver));
	return bytes_written(&w);
}

static int
prober_request_decode(const unsigned char *buf, size_t len,
    struct prober_pool *p)
{
	struct bytes_reader r;
	uint64_t timeout;

	bytes_reader_init(&r, buf, len);
	memset(&p->o, 0, sizeof(p->o));
	if (bytes_get_u8(&r) != PROBER_VERSION)
		return 0;
	p->n = bytes_get_u8(&r);
	p->o.proto = PROBE_SMTP;
	p->o.port = bytes_get_u16(&r);
	timeout = bytes_get_u64(&r);
	bytes_get_str(&r, p->cafile, sizeof(p->cafile) - 1);
	bytes_get_str(&r, p->resolver, sizeof(p->resolver) - 1);
	if (!bytes_end(&r) || p->n == 0 || p->n > PROBER_POOL_MAX ||
	    timeout == 0 || timeout > 3600)
		return 0;
	p->o.timeout_ms = (unsigned)timeout * 1000;
	p->o.cafile = p->cafile[0] ? p->cafile : NULL;
	p->o.resolver = p->resolver[0] ? p->resolver : NULL;
	return 1;
}

/* The launcher forks prober i of pool p; 0 (logged) if it cannot. */
static int
prober_fork(struct prober_pool *p, unsigned i)
{
	sigset_t ss;
	pid_t pid = fork();

	if (pid < 0) {
		log_err("probe: fork: %s", strerror(errno));
		p->pids[i] = 0;
		return 0;
	}
	if (pid > 0) {
		p->pids[i] = pid;
		return 1;
	}
	/* only its learner's socket: not the launcher's, not other pools' */
	if (dup2(p->fd, 3) < 0)
		_exit(1);
	(void)close_range(4, ~0U, 0);
	sigemptyset(&ss);
	(void)sigprocmask(SIG_SETMASK, &ss, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, "tlspind-probe");
	prober_main(&p->o, 3);
	_exit(0);
}

/* A pool whose probers are all gone is closed. */
static void
prober_pool_end_if_idle(struct prober_pool *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->pids[i] > 0)
			return;
	close(p->fd);
	p->fd = -1;
}

/* A learner asks for probers: a request and its end of a socket pair. */
static void
prober_launcher_request(struct prober_launcher *pl)
{
	unsigned char buf[PROBER_REQ_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	struct prober_pool *p = NULL;
	ssize_t n;
	int fd = -1;
	unsigned i;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	n = recvmsg(pl->chan, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0)
		_exit(0);	/* tlspind is gone */
	if (n < 0)
		return;
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	for (i = 0; i < PROBER_POOLS_MAX && p == NULL; i++)
		if (pl->pools[i].fd < 0)
			p = &pl->pools[i];
	/* refused: the learner sees its socket closed, and probes nothing */
	if (fd < 0 || !pl->usable || p == NULL || (mh.msg_flags & MSG_CTRUNC) ||
	    !prober_request_decode(buf, (size_t)n, p)) {
		if (pl->usable && fd >= 0)
			log_err("probe: a malformed request for probers, or %d "
			    "learners' at once; refused", PROBER_POOLS_MAX);
		if (fd >= 0)
			close(fd);
		return;
	}
	p->fd = fd;
	memset(p->pids, 0, sizeof(p->pids));
	for (i = 0; i < p->n; i++)
		(void)prober_fork(p, i);
	prober_pool_end_if_idle(p);
}

/*
 * A prober ended. Killed (a bug, the OOM killer): another one starts.
 * Exited: 0 means its learner went, anything else was deliberate (out
 * of memory): not again. Either way its request in flight is lost, and
 * the learner is told so (PROBER_LOST) to ask again later.
 */
static void
prober_launcher_reap(struct prober_launcher *pl, pid_t pid, int status)
{
	unsigned char lost = PROBER_LOST;
	struct prober_pool *p;
	unsigned i, j;

	for (i = 0; i < PROBER_POOLS_MAX; i++) {
		p = &pl->pools[i];
		for (j = 0; p->fd >= 0 && j < p->n; j++)
			if (p->pids[j] == pid)
				break;
		if (p->fd < 0 || j == p->n)
			continue;
		p->pids[j] = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			prober_pool_end_if_idle(p);
			return;
		}
		log_warn("probe: prober (pid %d) %s %d%s", (int)pid,
		    WIFSIGNALED(status) ? "was killed by signal" :
		    "exited with status", WIFSIGNALED(status) ?
		    WTERMSIG(status) : WEXITSTATUS(status), WIFSIGNALED(status) ?
		    "; starting another" : "");
		(void)send(p->fd, &lost, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (WIFSIGNALED(status))
			(void)prober_fork(p, j);
		prober_pool_end_if_idle(p);
		return;
	}
}

/* The launcher's life: requests and ended probers, until tlspind goes. */
static void
prober_launcher_run(struct prober_launcher *pl)
{
	struct pollfd pfd[2] = { { pl->chan, POLLIN, 0 }, { pl->sig, POLLIN,
	    0 } };
	struct signalfd_siginfo si;
	pid_t pid;
	int status;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pfd[0].revents != 0)
			prober_launcher_request(pl);
		if (pfd[1].revents != 0) {
			while (read(pl->sig, &si, sizeof(si)) > 0)
				;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				prober_launcher_reap(pl, pid, status);
		}
	}
}

/* The launcher, forked: nothing of tlspind's but the channel. */
static void
prober_launcher_main(const struct config *cfg, int chan, pid_t parent)
{
	struct prober_launcher *pl = calloc(1, sizeof(*pl));
	sigset_t ss;
	unsigned i;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || pl == NULL)
		_exit(0);
	(void)prctl(PR_SET_NAME, "tlspind-probes");
	if (dup2(chan, 3) < 0)
		_exit(1);
	(void)close_range(4, ~0U, 0);
	pl->chan = 3;
	for (i = 0; i < PROBER_POOLS_MAX; i++)
		pl->pools[i].fd = -1;
	/*
	 * The launcher and its probes end with the processes they serve
	 * (the channel or the learner's socket closes, or PDEATHSIG), not
	 * on the SIGTERM that systemd sends the whole service at a stop:
	 * probes killed by it would be replaced, and lost, for nothing.
	 */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) != 0 ||
	    (pl->sig = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		_exit(1);
	pl->usable = prober_drop(cfg);
	caps_drop();
	prober_launcher_run(pl);
}

/*
 * Fork the probe launcher: first thing after the config is read, before
 * tlspind opens a socket or the store, or gives up root or its
 * capability, so the launcher holds none of them. Returns tlspind's end
 * of the channel to it (learners inherit it, prober_spawn), -1 (logged)
 * when it cannot run: then no probe runs.
 */
int
prober_launcher_start(const struct config *cfg)
{
	int sv[2];
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("probe: socketpair: %s; probes stay off",
		    strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		prober_launcher_main(cfg, sv[1], parent);
		_exit(0);
	}
	close(sv[1]);
	if (pid < 0) {
		log_err("probe: fork: %s; probes stay off", strerror(errno));
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/*
 * A learner asks the launcher for n probers that share one end of a new
 * socket pair: fd[0] is ours (to send requests and read results), the
 * other end goes to the launcher with the request. 0 (logged) when the
 * launcher is not there.
 */
int
prober_spawn(int launcher, const struct config *cfg, unsigned n, int *fd)
{
	unsigned char buf[PROBER_REQ_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	size_t len = prober_request_encode(cfg, n, buf, sizeof(buf));
	int sv[2], ok;

	if (launcher < 0 || len == 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("probe: socketpair: %s", strerror(errno));
		return 0;
	}
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
	ok = sendmsg(launcher, &mh, MSG_NOSIGNAL) == (ssize_t)len;
	if (!ok)
		log_err("probe: the probe launcher (tlspind-probes) is gone: "
		    "%s; probes stay off until tlspind restarts",
		    strerror(errno));
	close(sv[1]);
	if (!ok) {
		close(sv[0]);
		return 0;
	}
	*fd = sv[0];
	return 1;
}

int
prober_is_lost(const unsigned char *buf, size_t len)
{
	return len == 1 && buf[0] == PROBER_LOST;
}
