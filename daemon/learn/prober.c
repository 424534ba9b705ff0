/*
 * NAME
 *	prober - tlspind's probe processes, and what they tell the learner
 * SYNOPSIS
 *	#include "prober.h"
 *
 *	int prober_spawn(cfg, n, pids, fd)
 *	void prober_summarize(result, now, pr)
 *	size_t prober_result_encode(domain, pr, buf, bufsz)
 *	int prober_result_decode(buf, len, domain, pr, err)
 * DESCRIPTION
 *	A probe talks to servers on the Internet, so it runs where it can do
 *	the least harm: prober_spawn() forks n processes (the learner does
 *	this before it opens the store, so they never hold the store's
 *	writer) that share one end of a SOCK_SEQPACKET socket pair. Each
 *	takes one request at a time (a domain name), runs probe_run(), and
 *	sends back one message. A prober started as root drops to
 *	probe_user (nobody) with no supplementary groups first; every prober
 *	then limits itself (64 MB of heap, 32 descriptors, no core file, no
 *	new privileges) and dies with its parent.
 *
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
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "bytes.h"
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

/* The probe's settings from tlspin.conf. */
static void
prober_opts(const struct config *cfg, struct probe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->proto = PROBE_SMTP;
	o->port = cfg->probe_port;
	o->timeout_ms = (unsigned)cfg->probe_timeout * 1000;
	o->cafile = cfg->probe_cafile[0] ? cfg->probe_cafile : NULL;
	o->resolver = cfg->probe_resolver[0] ? cfg->probe_resolver : NULL;
}

/* Root has no business talking to the Internet: become probe_user. */
static int
prober_drop(const struct config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 1;
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

/* One worker: requests in, results out, until the learner goes. */
static void
prober_main(const struct config *cfg, int fd)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct learn_probe pr;
	struct probe_opts o;
	unsigned char out[PROBER_MSG_MAX];
	char domain[KEY_MAX + 1];
	ssize_t n;
	size_t m;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, "tlspind-probe");
	signal(SIGPIPE, SIG_IGN);
	if (res == NULL || !prober_drop(cfg))
		_exit(1);
	prober_limit();
	prober_opts(cfg, &o);
	for (;;) {
		n = recv(fd, domain, sizeof(domain) - 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(0);	/* the learner closed its end */
		}
		domain[n] = '\0';
		(void)probe_run(domain, &o, res);	/* r->error says why not */
		probe_judge(res, (int64_t)time(NULL));
		prober_summarize(res, (uint64_t)time(NULL), &pr);
		m = prober_result_encode(domain, &pr, out, sizeof(out));
		if (m == 0 || send(fd, out, m, MSG_NOSIGNAL) < 0)
			_exit(1);
	}
}

/*
 * Fork n probers sharing one end of a socket pair: fd[0] is ours (to
 * send requests and read results), fd[1] theirs. Their pids go to
 * pids[]. 0 (logged) on failure.
 */
int
prober_spawn(const struct config *cfg, unsigned n, pid_t *pids, int fd[2])
{
	int sv[2];
	unsigned i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("probe: socketpair: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			/* nothing of the learner's: not the store, not hints */
			if (sv[1] > 3)
				(void)close_range(3, (unsigned)sv[1] - 1, 0);
			(void)close_range((unsigned)sv[1] + 1, ~0U, 0);
			prober_main(cfg, sv[1]);
		}
		if (pids[i] < 0) {
			log_err("probe: fork: %s", strerror(errno));
			break;
		}
	}
	if (i == 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	fd[0] = sv[0];
	fd[1] = sv[1];	/* kept to start a prober again */
	return 1;
}

/* One more prober on the kept end of the socket pair. */
pid_t
prober_respawn(const struct config *cfg, const int fd[2])
{
	pid_t pid = fork();

	if (pid == 0) {
		if (fd[1] > 3)
			(void)close_range(3, (unsigned)fd[1] - 1, 0);
		(void)close_range((unsigned)fd[1] + 1, ~0U, 0);
		prober_main(cfg, fd[1]);
	}
	if (pid < 0)
		log_err("probe: fork: %s", strerror(errno));
	return pid;
}
