/*
 * NAME
 *	doctor - tlspin doctor: audit a host's Postfix and tlspin setup
 * SYNOPSIS
 *	tlspin [--store DIR] [-c FILE] doctor [--json] [--postfix-config DIR]
 *	    [--socket PATH] [--resolver ADDR[:PORT]] [--timeout SECONDS]
 * DESCRIPTION
 *	What an experienced Postfix admin looks at before trusting tlspin
 *	on a host, as findings with a severity (ok, info, warning, error)
 *	and the exact command that fixes each:
 *
 *	Postfix, read with postconf(1) only (never main.cf itself):
 *	smtp_tls_policy_maps reaches the socket tlspind serves from every
 *	smtp(8) service of master.cf, chrooted or not (postconf -M);
 *	smtp_tls_security_level is set (Debian leaves it empty without the
 *	snakeoil key); smtp_tls_loglevel >= 1; a CA file or directory that
 *	is there (in the chroot, for CApath); DANE's prerequisites and
 *	whether the resolver validates (a query with the DO bit, the AD bit
 *	of the answer); the chroot's copy of resolv.conf.
 *
 *	tlspind: whether Postfix's user (mail_owner, with its primary group
 *	only, as Postfix runs) can connect to the socket (as root: tried
 *	for real in a child that becomes that user); whether tlspind answers
 *	a query; whether its request counter moves while Postfix delivers;
 *	whether its user can read the log or journal it learns from (as
 *	root: tried with the running daemon's own credentials); how far the
 *	learner is behind; the store's free map space; pins that expire
 *	within 7 days; the clock against the store's newest times.
 *
 *	A check that needs root when run as another user gives an "info"
 *	finding that says so ("cannot tell"). Exit status for monitoring:
 *	0 nothing worse than info, 1 warnings, 2 errors, 3 could not check
 *	(bad arguments), as tlspin check does.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "bytes.h"
#include "cli.h"
#include "counters.h"
#include "dnsmsg.h"
#include "jsource.h"
#include "json.h"
#include "learner.h"
#include "netstring.h"
#include "policy.h"
#include "reply.h"

#define DOCTOR_PASS 0
#define DOCTOR_WARN 1
#define DOCTOR_FAIL 2
#define DOCTOR_UNKNOWN 3

#define DOCTOR_FINDINGS_MAX 64
#define DOCTOR_TEXT_MAX 1536
#define DOCTOR_OUT_MAX 65536	/* bytes of postconf's output kept */
#define DOCTOR_SVC_MAX 32
#define DOCTOR_PATH_MAX 4096
#define DOCTOR_SOON (7 * 86400)	/* pins that expire within this */
#define DOCTOR_LAG 60		/* seconds a learner may be behind */
#define DOCTOR_SHOW 5		/* names shown of a list */
#define DOCTOR_JOURNAL_MAX 200000	/* entries counted, at most */

enum doctor_sev { SEV_OK = 0, SEV_INFO, SEV_WARN, SEV_ERROR };

struct doctor_finding {
	const char *id;
	enum doctor_sev sev;
	char msg[DOCTOR_TEXT_MAX];
	char fix[DOCTOR_TEXT_MAX];
};

/* An smtp(8) service of master.cf. */
struct doctor_svc {
	char name[64];
	int chroot;
	char maps[DOCTOR_PATH_MAX];	/* its smtp_tls_policy_maps */
	int reaches, done;		/* it asks tlspind; reported */
	char why[1024];			/* why it does not */
};

/* What a process's credentials are: the running tlspind's, or a user's. */
struct doctor_creds {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char who[160];		/* "tlspind (pid 42, user tlspin)" */
};

struct doctor {
	struct cli *c;
	const char *pfdir;	/* --postfix-config, or NULL */
	const char *socket;	/* unix path or inet:HOST:PORT tlspind serves */
	int inet;		/* it is inet:HOST:PORT */
	const char *resolver;	/* --resolver, or NULL */
	unsigned timeout_ms;
	int json, root;
	char config_err[CONFIG_ERR_MAX];
	/* Postfix */
	int postfix;		/* postconf answered */
	char params[DOCTOR_OUT_MAX];
	struct doctor_svc svc[DOCTOR_SVC_MAX];
	unsigned nsvc;
	int any_chroot;
	uid_t pf_uid;
	gid_t pf_gid;
	int pf_user;		/* mail_owner exists */
	/* tlspind and its store */
	int answered;		/* tlspind answered our query */
	char counters[COUNTERS_MAX + 1];	/* its counters, before it */
	char counters_err[STORE_ERR_MAX];
	enum counters_status counters_st;
	pid_t pid;		/* its pid (SO_PEERCRED), or 0 */
	uint64_t started;	/* when it started (epoch s), or 0 */
	struct store *store;
	size_t ndane;
	uint64_t newest;	/* the store's newest time */
	char newest_what[KEY_MAX + 64];
	struct doctor_finding f[DOCTOR_FINDINGS_MAX];
	unsigned n;
};

static void doctor_fmt(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf for text shown to people, where a cut end is acceptable. */
static void
doctor_fmt(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
}

static void doctor_add(struct doctor *d, const char *id, enum doctor_sev sev,
    const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Record a finding; fix is NULL or the command(s) that fix it. */
static void
doctor_add(struct doctor *d, const char *id, enum doctor_sev sev,
    const char *fix, const char *fmt, ...)
{
	struct doctor_finding *f;
	va_list ap;

	if (d->n == DOCTOR_FINDINGS_MAX)
		return;
	f = &d->f[d->n++];
	f->id = id;
	f->sev = sev;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
}

/* "postconf -e", with -c DIR when one was given. */
static const char *
doctor_pce(const struct doctor *d, char *buf, size_t bufsz)
{
	if (d->pfdir == NULL)
		return "postconf -e";
	snprintf(buf, bufsz, "postconf -c %s -e", d->pfdir);
	return buf;
}

/* "postfix reload", with -c DIR when one was given. */
static const char *
doctor_reload(const struct doctor *d, char *buf, size_t bufsz)
{
	if (d->pfdir == NULL)
		return "postfix reload";
	snprintf(buf, bufsz, "postfix -c %s reload", d->pfdir);
	return buf;
}

/* The fix "postconf -e 'SETTING'; postfix reload". */
static const char *
doctor_set_fix(const struct doctor *d, const char *setting, char *buf,
    size_t bufsz)
{
	char a[DOCTOR_PATH_MAX + 32], b[DOCTOR_PATH_MAX + 32];

	doctor_fmt(buf, bufsz, "%s '%s'; %s", doctor_pce(d, a, sizeof(a)),
	    setting, doctor_reload(d, b, sizeof(b)));
	return buf;
}

/* "3d", "5h", "12m" or "40s": how long secs is, roughly. */
static void
doctor_span(char *buf, size_t bufsz, uint64_t secs)
{
	if (secs >= 2 * 86400)
		snprintf(buf, bufsz, "%llud", (unsigned long long)secs / 86400);
	else if (secs >= 2 * 3600)
		snprintf(buf, bufsz, "%lluh", (unsigned long long)secs / 3600);
	else if (secs >= 120)
		snprintf(buf, bufsz, "%llum", (unsigned long long)secs / 60);
	else
		snprintf(buf, bufsz, "%llus", (unsigned long long)secs);
}

/* ------------------------------------------------------------ postconf */

/* Read fd to EOF into buf (at most bufsz - 1 bytes kept, NUL added). */
static void
doctor_slurp(int fd, char *buf, size_t bufsz)
{
	size_t have = 0;
	char junk[4096];
	ssize_t r;

	for (;;) {
		if (have + 1 < bufsz)
			r = read(fd, buf + have, bufsz - 1 - have);
		else
			r = read(fd, junk, sizeof(junk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (have + 1 < bufsz)
			have += (size_t)r;
	}
	buf[have] = '\0';
}

/* In the child: postconf [-c DIR] ARGS on fd 1 and 2 as given. */
static void
doctor_postconf_exec(const struct doctor *d, const char *const *args,
    int out, int err)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = "postconf";
	if (d->pfdir != NULL) {
		argv[n++] = "-c";
		argv[n++] = d->pfdir;
	}
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execvp("postconf", (char *const *)argv);
	execv("/usr/sbin/postconf", (char *const *)argv);
	fprintf(stderr, "cannot run postconf: %s (is Postfix installed?)\n",
	    strerror(errno));
	_exit(127);
}

/*
 * Run postconf with args; its output in out. 1 if it exited 0, else 0
 * with the first line it wrote on stderr (or why it did not run) in err.
 */
static int
doctor_postconf(const struct doctor *d, const char *const *args, char *out,
    size_t outsz, char *err, size_t errsz)
{
	int po[2], pe[2], status;
	char ebuf[2048];
	pid_t pid;

	out[0] = '\0';
	if (pipe(po) != 0)
		goto fail;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		goto fail;
	}
	pid = fork();
	if (pid == 0) {
		close(po[0]);
		close(pe[0]);
		doctor_postconf_exec(d, args, po[1], pe[1]);
	}
	close(po[1]);
	close(pe[1]);
	if (pid > 0)
		doctor_slurp(po[0], out, outsz);	/* stderr is small */
	ebuf[0] = '\0';
	if (pid > 0)
		doctor_slurp(pe[0], ebuf, sizeof(ebuf));
	close(po[0]);
	close(pe[0]);
	if (pid < 0)
		goto fail;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	ebuf[strcspn(ebuf, "\n")] = '\0';
	snprintf(err, errsz, "%s", ebuf[0] ? ebuf : "postconf failed");
	return 0;
fail:
	snprintf(err, errsz, "cannot run postconf: %s", strerror(errno));
	return 0;
}

/* The value of parameter name in postconf's "name = value" lines. */
static const char *
doctor_param(const struct doctor *d, const char *name, char *buf,
    size_t bufsz)
{
	const char *p = d->params, *nl;
	size_t n = strlen(name), len;

	buf[0] = '\0';
	for (; *p != '\0'; p = nl + (*nl != '\0')) {
		nl = p + strcspn(p, "\n");
		if (strncmp(p, name, n) != 0 || p[n] != ' ' || p[n + 1] != '=')
			continue;
		p += n + 2;
		p += *p == ' ';
		len = (size_t)(nl - p);
		snprintf(buf, bufsz, "%.*s", (int)len, p);
		break;
	}
	return buf;
}

/* Read one master.cf line of postconf -M: an smtp(8) service? */
static void
doctor_master_line(struct doctor *d, char *line, const char *main_maps)
{
	char *w[64], *save = NULL, *t;
	struct doctor_svc *s;
	int n = 0, i;

	for (t = strtok_r(line, " \t", &save); t != NULL && n < 64;
	    t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (n < 8 || strcmp(w[7], "smtp") != 0 || d->nsvc == DOCTOR_SVC_MAX)
		return;
	s = &d->svc[d->nsvc++];
	snprintf(s->name, sizeof(s->name), "%s/%s", w[0], w[1]);
	s->chroot = strcmp(w[4], "y") == 0;	/* "-": n since Postfix 3.0 */
	snprintf(s->maps, sizeof(s->maps), "%s", main_maps);
	for (i = 8; i + 1 < n; i++)
		if (strcmp(w[i], "-o") == 0 &&
		    strncmp(w[i + 1], "smtp_tls_policy_maps=", 21) == 0)
			snprintf(s->maps, sizeof(s->maps), "%s", w[i + 1] + 21);
	d->any_chroot |= s->chroot;
}

/* Postfix's settings and master.cf, through postconf. */
static void
doctor_read_postfix(struct doctor *d)
{
	static const char *const params[] = { "-x", "mail_owner",
	    "queue_directory", "config_directory", "smtp_tls_security_level",
	    "smtp_use_tls", "smtp_tls_loglevel", "smtp_tls_CAfile",
	    "smtp_tls_CApath", "tls_append_default_CA",
	    "smtp_tls_policy_maps", "smtp_dns_support_level", NULL };
	static const char *const master[] = { "-M", NULL };
	char err[2048], maps[DOCTOR_PATH_MAX], owner[256], *out, *line, *save;
	struct passwd *pw;

	if (!doctor_postconf(d, params, d->params, sizeof(d->params), err,
	    sizeof(err))) {
		doctor_add(d, "postfix.postconf", SEV_ERROR, "apt-get install "
		    "postfix, or give --postfix-config DIR (the directory of "
		    "main.cf and master.cf)", "cannot read Postfix's settings "
		    "with postconf%s%s: %s", d->pfdir ? " -c " : "",
		    d->pfdir ? d->pfdir : "", err);
		return;
	}
	d->postfix = 1;
	doctor_param(d, "mail_owner", owner, sizeof(owner));
	if ((pw = getpwnam(owner)) != NULL) {
		d->pf_user = 1;
		d->pf_uid = pw->pw_uid;
		d->pf_gid = pw->pw_gid;
	}
	doctor_param(d, "smtp_tls_policy_maps", maps, sizeof(maps));
	out = malloc(DOCTOR_OUT_MAX);
	if (out == NULL)
		return;
	if (!doctor_postconf(d, master, out, DOCTOR_OUT_MAX, err,
	    sizeof(err)))
		doctor_add(d, "postfix.master", SEV_WARN, NULL, "cannot read "
		    "master.cf with postconf -M (%s): the services' chroot "
		    "column is not known, so smtp is taken as not chrooted",
		    err);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		doctor_master_line(d, line, maps);
	free(out);
	if (d->nsvc == 0) {	/* no master.cf: the default smtp service */
		snprintf(d->svc[0].name, sizeof(d->svc[0].name), "smtp/unix");
		snprintf(d->svc[0].maps, sizeof(d->svc[0].maps), "%s", maps);
		d->nsvc = 1;
	}
}

/* ----------------------------------------------------- Postfix settings */

/* The socket file a map's unix:PATH names for a service. */
static void
doctor_map_path(const char *queue, const char *path, int chroot, char *out,
    size_t outsz)
{
	if (path[0] != '/' || chroot)	/* relative to the queue directory */
		snprintf(out, outsz, "%s%s%s", queue, path[0] == '/' ? "" : "/",
		    path);
	else
		snprintf(out, outsz, "%s", path);
}

/* Are a and b the same file (or, when not there, the same name)? */
static int
doctor_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return strcmp(a, b) == 0;
}

/* What the service s asks under smtp_tls_policy_maps: 1 when one of
 * its maps reaches tlspind's socket with tlspind's map name; else why
 * not (the socketmap it names and the file it opens) in why. */
static int
doctor_svc_reaches(const struct doctor *d, const struct doctor_svc *s,
    const char *queue, char *why, size_t whysz)
{
	char maps[DOCTOR_PATH_MAX], file[DOCTOR_PATH_MAX * 2], *t, *save;
	char *name, *addr;
	int chroot, found = 0;

	snprintf(maps, sizeof(maps), "%s", s->maps);
	snprintf(why, whysz, "it names no socketmap");
	for (t = strtok_r(maps, ", \t", &save); t != NULL;
	    t = strtok_r(NULL, ", \t", &save)) {
		chroot = s->chroot;
		if (strncmp(t, "proxy:", 6) == 0) {
			t += 6;	/* proxymap opens it, not chrooted on Debian */
			chroot = 0;
		}
		if (strncmp(t, "socketmap:", 10) != 0 ||
		    (name = strrchr(t + 10, ':')) == NULL)
			continue;
		*name++ = '\0';
		addr = t + 10;
		if (strncmp(addr, "unix:", 5) == 0)
			doctor_map_path(queue, addr + 5, chroot, file,
			    sizeof(file));
		else
			snprintf(file, sizeof(file), "%s", addr);
		if ((strncmp(addr, "unix:", 5) == 0 && !d->inet &&
		    doctor_same_file(file, d->socket)) ||
		    strcmp(addr, d->socket) == 0) {
			if (strcmp(name, d->c->cfg.map_name) == 0)
				return 1;
			snprintf(why, whysz, "socketmap:%s:%s reaches tlspind "
			    "but asks map \"%s\", and tlspind answers map_name "
			    "= %s", addr, name, name, d->c->cfg.map_name);
			return 0;
		}
		if (!found)
			doctor_fmt(why, whysz, "socketmap:%s:%s opens %s%s", addr,
			    name, file, chroot ? " (smtp is chrooted)" : "");
		found = 1;
	}
	return 0;
}

/* The map tlspind's socket should be named by, from every service. */
static int
doctor_wanted_map(const struct doctor *d, const char *queue, char *out,
    size_t outsz)
{
	size_t n = strlen(queue);

	if (d->inet)
		snprintf(out, outsz, "socketmap:%s:%s", d->socket,
		    d->c->cfg.map_name);
	else if (strncmp(d->socket, queue, n) == 0 && d->socket[n] == '/')
		snprintf(out, outsz, "socketmap:unix:%s:%s", d->socket + n + 1,
		    d->c->cfg.map_name);
	else if (!d->any_chroot)
		snprintf(out, outsz, "socketmap:unix:%s:%s", d->socket,
		    d->c->cfg.map_name);
	else
		return 0;	/* outside the chroot: no name reaches it */
	return 1;
}

/* The fix for a policy map that does not reach tlspind. */
static void
doctor_maps_fix(const struct doctor *d, const char *queue, char *fix,
    size_t fixsz)
{
	char want[DOCTOR_PATH_MAX], set[DOCTOR_PATH_MAX * 2];

	if (!doctor_wanted_map(d, queue, want, sizeof(want))) {
		doctor_fmt(fix, fixsz, "the chrooted smtp cannot reach %s: let "
		    "tlspind listen inside %s (ListenStream=%s/private/tlspin "
		    "in tlspind.socket, or listen = unix:%s/private/tlspin in "
		    "tlspin.conf), then name it socketmap:unix:private/tlspin:"
		    "%s", d->socket, queue, queue, queue, d->c->cfg.map_name);
		return;
	}
	snprintf(set, sizeof(set), "smtp_tls_policy_maps = %s", want);
	doctor_set_fix(d, set, fix, fixsz);
}

/* The services after s0 whose maps fail as s0's do, named in names. */
static void
doctor_same_failure(struct doctor *d, unsigned s0, char *names,
    size_t namesz)
{
	struct doctor_svc *a = &d->svc[s0], *b;
	size_t used;
	unsigned i;

	used = (size_t)snprintf(names, namesz, "%s", a->name);
	for (i = s0 + 1; i < d->nsvc && used < namesz; i++) {
		b = &d->svc[i];
		if (b->reaches || b->done || strcmp(a->maps, b->maps) != 0 ||
		    strcmp(a->why, b->why) != 0)
			continue;
		b->done = 1;
		used += (size_t)snprintf(names + used, namesz - used, ", %s",
		    b->name);
	}
}

/* smtp_tls_policy_maps of each smtp(8) service reaches tlspind. */
static void
doctor_check_maps(struct doctor *d)
{
	char queue[DOCTOR_PATH_MAX], fix[DOCTOR_TEXT_MAX], names[512];
	char good[512] = "";
	struct doctor_svc *s;
	unsigned i, bad = 0;
	size_t used = 0;

	doctor_param(d, "queue_directory", queue, sizeof(queue));
	doctor_maps_fix(d, queue, fix, sizeof(fix));
	for (i = 0; i < d->nsvc; i++) {
		s = &d->svc[i];
		s->reaches = doctor_svc_reaches(d, s, queue, s->why,
		    sizeof(s->why));
		if (s->reaches && used < sizeof(good))
			used += (size_t)snprintf(good + used, sizeof(good) -
			    used, "%s%s%s", used ? ", " : "", s->name,
			    s->chroot ? " (chrooted)" : "");
	}
	for (i = 0; i < d->nsvc; i++) {
		s = &d->svc[i];
		if (s->reaches || s->done)
			continue;
		doctor_same_failure(d, i, names, sizeof(names));
		doctor_add(d, "postfix.policy_maps", SEV_ERROR, fix,
		    "Postfix's %s do%s not ask tlspind: smtp_tls_policy_maps = "
		    "%s, where %s; tlspind listens on %s, so no pin is ever "
		    "applied", names, strchr(names, ',') ? "" : "es",
		    s->maps[0] ? s->maps : "(empty)", s->why, d->socket);
		bad++;
	}
	if (bad == 0)
		doctor_add(d, "postfix.policy_maps", SEV_OK, NULL,
		    "smtp_tls_policy_maps reaches tlspind at %s from %s",
		    d->socket, good);
}

/* smtp_tls_security_level: without TLS nothing is ever learned. */
static void
doctor_check_level(struct doctor *d)
{
	char level[256], legacy[64], fix[DOCTOR_TEXT_MAX];

	doctor_param(d, "smtp_tls_security_level", level, sizeof(level));
	doctor_param(d, "smtp_use_tls", legacy, sizeof(legacy));
	doctor_set_fix(d, "smtp_tls_security_level = may", fix, sizeof(fix));
	if (level[0] == '\0' && strcmp(legacy, "yes") == 0)
		doctor_add(d, "postfix.tls_level", SEV_WARN, fix,
		    "smtp_tls_security_level is empty and the obsolete "
		    "smtp_use_tls = yes stands for it: it works as may, but "
		    "say so with the current setting");
	else if (level[0] == '\0' || strcmp(level, "none") == 0)
		doctor_add(d, "postfix.tls_level", SEV_ERROR, fix,
		    "smtp_tls_security_level is %s: Postfix's SMTP client "
		    "never starts TLS (Debian leaves it empty when it found no "
		    "snakeoil key at install), so every delivery goes in clear "
		    "and tlspin never learns a pin", level[0] ? "none" :
		    "empty");
	else
		doctor_add(d, "postfix.tls_level", SEV_OK, NULL,
		    "smtp_tls_security_level = %s", level);
}

/* smtp_tls_loglevel >= 1: the learner reads the TLS lines. */
static void
doctor_check_loglevel(struct doctor *d)
{
	char v[64], fix[DOCTOR_TEXT_MAX];
	long level;
	char *end;

	doctor_param(d, "smtp_tls_loglevel", v, sizeof(v));
	level = strtol(v, &end, 10);
	doctor_set_fix(d, "smtp_tls_loglevel = 1", fix, sizeof(fix));
	if (v[0] == '\0' || *end != '\0' || level < 1)
		doctor_add(d, "postfix.tls_loglevel", SEV_ERROR, fix,
		    "smtp_tls_loglevel = %s: Postfix logs no TLS connection, "
		    "so every delivery looks like one in clear to the learner "
		    "and nothing is pinned", v[0] ? v : "(empty)");
	else
		doctor_add(d, "postfix.tls_loglevel", SEV_OK, NULL,
		    "smtp_tls_loglevel = %ld", level);
}

/* A CA file there and not empty: 1, else why not in why. */
static int
doctor_cafile_ok(const char *file, char *why, size_t whysz)
{
	struct stat sb;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(why, whysz, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
		snprintf(why, whysz, "%s", S_ISREG(sb.st_mode) ? "it is empty" :
		    "not a file");
		return 0;
	}
	return 1;
}

/* A CA directory that is there and holds something: 1, else why not. */
static int
doctor_capath_ok(const char *dir, char *why, size_t whysz)
{
	struct dirent *e;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL) {
		snprintf(why, whysz, "%s", strerror(errno));
		return 0;
	}
	while (n == 0 && (e = readdir(dp)) != NULL)
		n = e->d_name[0] != '.';
	closedir(dp);
	if (n == 0)
		snprintf(why, whysz, "it is empty");
	return n;
}

/* The fix that points Postfix at Debian's CA bundle. */
static const char *
doctor_ca_fix(const struct doctor *d, char *buf, size_t bufsz)
{
	char tmp[DOCTOR_TEXT_MAX];

	doctor_set_fix(d, "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt",
	    tmp, sizeof(tmp));
	doctor_fmt(buf, bufsz, "apt-get install ca-certificates; %s", tmp);
	return buf;
}

/* smtp_tls_CApath: there, and inside the chroot when smtp is chrooted
 * (Postfix opens its files lazily, after the chroot). 1 if usable. */
static int
doctor_check_capath(struct doctor *d, const char *capath, const char *queue)
{
	char inroot[DOCTOR_PATH_MAX * 2], why[256], fix[DOCTOR_TEXT_MAX];

	if (!doctor_capath_ok(capath, why, sizeof(why))) {
		doctor_add(d, "postfix.ca", SEV_ERROR, doctor_ca_fix(d, fix,
		    sizeof(fix)), "smtp_tls_CApath = %s: %s, so no "
		    "certificate verifies", capath, why);
		return 0;
	}
	snprintf(inroot, sizeof(inroot), "%s%s", queue, capath);
	if (d->any_chroot && !doctor_capath_ok(inroot, why, sizeof(why))) {
		doctor_add(d, "postfix.ca", SEV_WARN, doctor_ca_fix(d, fix,
		    sizeof(fix)), "smtp_tls_CApath = %s, but smtp runs "
		    "chrooted in %s, where %s does not exist: Postfix reads "
		    "CApath after the chroot, so no certificate verifies "
		    "(smtp_tls_CAfile is read before it)", capath, queue,
		    inroot);
		return 0;
	}
	return 1;
}

/* A CA file or directory: else nothing is Trusted, nothing secure. */
static void
doctor_check_ca(struct doctor *d)
{
	char file[DOCTOR_PATH_MAX], path[DOCTOR_PATH_MAX], append[16];
	char queue[DOCTOR_PATH_MAX], why[256], fix[DOCTOR_TEXT_MAX];

	doctor_param(d, "smtp_tls_CAfile", file, sizeof(file));
	doctor_param(d, "smtp_tls_CApath", path, sizeof(path));
	doctor_param(d, "tls_append_default_CA", append, sizeof(append));
	doctor_param(d, "queue_directory", queue, sizeof(queue));
	if (file[0] != '\0' && !doctor_cafile_ok(file, why, sizeof(why))) {
		doctor_add(d, "postfix.ca", SEV_ERROR, doctor_ca_fix(d, fix,
		    sizeof(fix)), "smtp_tls_CAfile = %s: %s; Postfix's SMTP "
		    "client cannot load it, so its TLS fails to start (or no "
		    "certificate verifies) and no delivery is Trusted", file,
		    why);
		return;
	}
	if (path[0] != '\0' && !doctor_check_capath(d, path, queue))
		return;
	if (file[0] == '\0' && path[0] == '\0' && strcmp(append, "yes") != 0)
		doctor_add(d, "postfix.ca", SEV_WARN, doctor_ca_fix(d, fix,
		    sizeof(fix)), "neither smtp_tls_CAfile nor smtp_tls_CApath "
		    "is set: Postfix verifies no certificate, logs every TLS "
		    "connection as Untrusted, and tlspin never pins a domain "
		    "secure");
	else
		doctor_add(d, "postfix.ca", SEV_OK, NULL, "CA certificates: %s%s"
		    "%s%s", file[0] ? file : "", file[0] && path[0] ? ", " : "",
		    path, !file[0] && !path[0] ? "the system's "
		    "(tls_append_default_CA = yes)" : "");
}

/* DANE: Postfix's, for the domains tlspin leaves to it. */
static void
doctor_check_dane(struct doctor *d)
{
	char level[256], dns[64], fix[DOCTOR_TEXT_MAX], a[DOCTOR_PATH_MAX];
	char b[DOCTOR_PATH_MAX];
	int dane, dnssec;

	doctor_param(d, "smtp_tls_security_level", level, sizeof(level));
	doctor_param(d, "smtp_dns_support_level", dns, sizeof(dns));
	dane = strncmp(level, "dane", 4) == 0;
	dnssec = strcmp(dns, "dnssec") == 0;
	doctor_fmt(fix, sizeof(fix), "%s 'smtp_dns_support_level = dnssec' "
	    "'smtp_tls_security_level = dane'; %s", doctor_pce(d, a, sizeof(a)),
	    doctor_reload(d, b, sizeof(b)));
	if ((dane || d->c->cfg.dane_only) && !dnssec)
		doctor_add(d, "postfix.dane", SEV_ERROR, doctor_set_fix(d,
		    "smtp_dns_support_level = dnssec", fix, sizeof(fix)),
		    "%s, but smtp_dns_support_level = %s: without DNSSEC "
		    "lookups Postfix finds no TLSA record, %s", dane ?
		    "smtp_tls_security_level is dane" : "tlspin.conf has "
		    "dane_reply = dane-only", dns[0] ? dns : "(empty)", dane ?
		    "and dane works as may" : "and mail to a domain answered "
		    "dane-only is deferred");
	else if (dane || d->c->cfg.dane_only)
		doctor_add(d, "postfix.dane", SEV_OK, NULL, "DANE is on "
		    "(smtp_tls_security_level = %s, smtp_dns_support_level "
		    "= dnssec)", level);
	else if (d->ndane > 0)
		doctor_add(d, "postfix.dane", SEV_WARN, fix, "%zu domain%s "
		    "publish%s TLSA records (state dane): tlspin leaves %s to "
		    "Postfix's DANE, which is off (smtp_tls_security_level = "
		    "%s), so %s get%s opportunistic TLS", d->ndane,
		    d->ndane == 1 ? "" : "s", d->ndane == 1 ? "es" : "",
		    d->ndane == 1 ? "it" : "them", level, d->ndane == 1 ?
		    "it" : "they", d->ndane == 1 ? "s" : "");
	else
		doctor_add(d, "postfix.dane", SEV_INFO, fix, "DANE is off "
		    "(smtp_tls_security_level = %s, smtp_dns_support_level = "
		    "%s); no domain in the store has TLSA records yet", level,
		    dns[0] ? dns : "(empty)");
}

/* The chroot's resolv.conf is the system's (Debian copies it at start). */
static void
doctor_check_chroot_resolv(struct doctor *d)
{
	char queue[DOCTOR_PATH_MAX], copy[DOCTOR_PATH_MAX + 32];
	char a[8192], b[8192], fix[DOCTOR_TEXT_MAX * 2];
	FILE *f;
	size_t na = 0, nb = 0;

	if (!d->any_chroot)
		return;
	doctor_param(d, "queue_directory", queue, sizeof(queue));
	snprintf(copy, sizeof(copy), "%s/etc/resolv.conf", queue);
	doctor_fmt(fix, sizeof(fix), "cp /etc/resolv.conf %s (Debian's postfix "
	    "service copies it at start: systemctl restart postfix)", copy);
	if ((f = fopen("/etc/resolv.conf", "r")) != NULL) {
		na = fread(a, 1, sizeof(a), f);
		fclose(f);
	}
	if ((f = fopen(copy, "r")) == NULL) {
		doctor_add(d, "postfix.chroot_resolv", SEV_WARN, fix, "smtp "
		    "runs chrooted in %s, which has no etc/resolv.conf: its "
		    "DNS lookups go to 127.0.0.1 whatever /etc/resolv.conf "
		    "says", queue);
		return;
	}
	nb = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (na != nb || memcmp(a, b, na) != 0)
		doctor_add(d, "postfix.chroot_resolv", SEV_WARN, fix, "%s "
		    "differs from /etc/resolv.conf: the chrooted smtp asks "
		    "other name servers than the rest of the host", copy);
	else
		doctor_add(d, "postfix.chroot_resolv", SEV_OK, NULL, "%s is "
		    "the same as /etc/resolv.conf", copy);
}

/* -------------------------------------------------------- DNS resolver */

/* The first "nameserver" of a resolv.conf, into sa; 0 if none. */
static int
doctor_nameserver(const char *file, struct sockaddr_storage *sa,
    socklen_t *salen, char *name, size_t namesz)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	char line[512], addr[256];
	FILE *f = fopen(file, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " nameserver %255s", addr) != 1)
			continue;
		memset(sa, 0, sizeof(*sa));
		if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(53);
			*salen = sizeof(*s4);
			found = 1;
		} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(53);
			*salen = sizeof(*s6);
			found = 1;
		}
		snprintf(name, namesz, "%s (%s)", addr, file);
	}
	fclose(f);
	return found;
}

/* Where to ask: --resolver, else the resolv.conf smtp reads. */
static int
doctor_resolver_addr(const struct doctor *d, struct sockaddr_storage *sa,
    socklen_t *salen, char *name, size_t namesz)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	char queue[DOCTOR_PATH_MAX], file[DOCTOR_PATH_MAX + 32];
	unsigned port;

	if (d->resolver != NULL) {
		memset(sa, 0, sizeof(*sa));
		if (!dnsmsg_resolver_parse(d->resolver, strlen(d->resolver),
		    &s4->sin_addr, &port))
			return 0;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*s4);
		snprintf(name, namesz, "%s", d->resolver);
		return 1;
	}
	doctor_param(d, "queue_directory", queue, sizeof(queue));
	snprintf(file, sizeof(file), "%s/etc/resolv.conf", queue);
	if (d->any_chroot && access(file, R_OK) == 0)
		return doctor_nameserver(file, sa, salen, name, namesz);
	return doctor_nameserver("/etc/resolv.conf", sa, salen, name, namesz);
}

/* Send q to sa over UDP; the reply to it in r. Its length, or 0. */
static size_t
doctor_udp(const struct sockaddr_storage *sa, socklen_t salen,
    const unsigned char *q, size_t qlen, unsigned char *r, size_t rsz,
    unsigned timeout_ms)
{
	struct pollfd p;
	struct timespec t0, t1;
	long left = (long)timeout_ms;
	ssize_t n;
	int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, salen) != 0 ||
	    send(fd, q, qlen, 0) != (ssize_t)qlen)
		goto none;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, r, rsz, 0);
		if (n > 0 && dnsmsg_is_reply(q, qlen, r, (size_t)n)) {
			close(fd);
			return (size_t)n;
		}
		if (n < 0 && errno != EINTR)
			break;	/* ICMP: port unreachable */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = (long)timeout_ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
none:
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Does the resolver validate DNSSEC? The root's SOA with the DO bit,
 * and the AD bit of the answer. Postfix's DANE needs one that does. */
static void
doctor_check_resolver(struct doctor *d)
{
	unsigned char q[DNSMSG_QUERY_MAX], r[4096];
	char name[DOCTOR_PATH_MAX + 64], level[256], err[DNSMSG_ERR_MAX];
	struct sockaddr_storage sa;
	struct dnsmsg m;
	socklen_t salen = 0;
	size_t qlen, n;
	int need;

	doctor_param(d, "smtp_tls_security_level", level, sizeof(level));
	need = strncmp(level, "dane", 4) == 0 || d->c->cfg.dane_only;
	if (!doctor_resolver_addr(d, &sa, &salen, name, sizeof(name))) {
		doctor_add(d, "dns.dnssec", need ? SEV_WARN : SEV_INFO, NULL,
		    "cannot tell whether the resolver validates DNSSEC: no "
		    "nameserver in resolv.conf");
		return;
	}
	qlen = dnsmsg_query((unsigned)getpid() ^ (unsigned)time(NULL), ".",
	    DNSMSG_SOA, q, sizeof(q));
	n = doctor_udp(&sa, salen, q, qlen, r, sizeof(r), d->timeout_ms);
	if (n == 0 || !dnsmsg_parse(r, n, DNSMSG_SOA, &m, err, sizeof(err)) ||
	    m.rcode != 0) {
		doctor_add(d, "dns.dnssec", need ? SEV_WARN : SEV_INFO, NULL,
		    "cannot tell whether the resolver %s validates DNSSEC: %s",
		    name, n == 0 ? "no answer to a query for the root's SOA "
		    "record" : "it failed the query for the root's SOA record");
		return;
	}
	if (m.ad)
		doctor_add(d, "dns.dnssec", SEV_OK, NULL, "the resolver %s "
		    "validates DNSSEC (the AD bit is set)", name);
	else
		doctor_add(d, "dns.dnssec", need ? SEV_ERROR : SEV_INFO,
		    "run a validating resolver on this host (apt-get install "
		    "unbound) and put nameserver 127.0.0.1 in /etc/resolv.conf",
		    "the resolver %s does not validate DNSSEC (no AD bit on the "
		    "root's signed SOA record): %s", name, need ? "Postfix "
		    "takes every TLSA record as insecure, so DANE never applies"
		    : "DANE would need one");
}

/* ----------------------------------------------------------- the socket */

/* May uid with only group gid do want (a W_OK/X_OK bit set) to sb? */
static int
doctor_may(const struct stat *sb, uid_t uid, gid_t gid, int want)
{
	int shift = sb->st_uid == uid ? 6 : sb->st_gid == gid ? 3 : 0;

	return uid == 0 || (sb->st_mode >> shift & (mode_t)want) != 0;
}

/* The first part of path that uid and gid may not pass (x on a
 * directory) or write (the socket), with its owner and mode; "" if
 * none is found (an ACL or a security module, then). */
static void
doctor_blocker(const char *path, uid_t uid, gid_t gid, char *out,
    size_t outsz)
{
	char part[DOCTOR_PATH_MAX];
	struct passwd *pw;
	struct group *gr;
	struct stat sb;
	size_t i, len = strlen(path);
	int last;

	out[0] = '\0';
	for (i = 1; i <= len && len < sizeof(part); i++) {
		last = i == len;
		if (!last && path[i] != '/')
			continue;
		memcpy(part, path, i);
		part[i] = '\0';
		if (stat(part, &sb) != 0 ||
		    doctor_may(&sb, uid, gid, last ? 2 : 1))
			continue;
		pw = getpwuid(sb.st_uid);
		gr = getgrgid(sb.st_gid);
		snprintf(out, outsz, "%s %s (%s:%s, mode %04o)", last ?
		    "the socket" : "directory", part, pw ? pw->pw_name : "?",
		    gr ? gr->gr_name : "?", (unsigned)(sb.st_mode & 07777));
		return;
	}
}

/* Connect to a unix socket; 0 or an errno. */
static int
doctor_connect_unix(const char *path, int *fdp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, e;

	*fdp = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = errno;
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* As root: try the connect as uid with only group gid, as Postfix's
 * smtp does (Postfix drops supplementary groups). 0 or an errno. */
static int
doctor_connect_as(const char *path, uid_t uid, gid_t gid)
{
	int status, fd, e;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0)
			_exit(255);
		e = doctor_connect_unix(path, &fd);
		_exit(e > 254 ? 254 : e);
	}
	if (pid < 0)
		return errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

/* The fix for a socket Postfix's user cannot reach. */
static void
doctor_socket_fix(const struct doctor *d, const char *blocker, char *fix,
    size_t fixsz)
{
	struct group *gr = getgrgid(d->pf_gid);
	const char *g = gr ? gr->gr_name : "postfix";
	char dir[DOCTOR_PATH_MAX];

	if (strncmp(blocker, "directory ", 10) == 0) {
		snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(blocker + 10,
		    " "), blocker + 10);
		doctor_fmt(fix, fixsz, "chgrp %s %s && chmod g+x %s (or move the "
		    "socket into %s's reach)", g, dir, dir, g);
		return;
	}
	snprintf(fix, fixsz, "unix_group = %s and unix_mode = 0660 in "
	    "tlspin.conf, or with socket activation SocketGroup=%s and "
	    "SocketMode=0660 in tlspind.socket (systemctl edit "
	    "tlspind.socket); then systemctl restart tlspind.socket tlspind",
	    g, g);
}

/* Can Postfix's user connect to the socket? */
static void
doctor_check_socket(struct doctor *d)
{
	char blocker[DOCTOR_PATH_MAX + 128], fix[DOCTOR_TEXT_MAX], who[64];
	struct passwd *pw = getpwuid(d->pf_uid);
	struct stat sb;
	int e, fd = -1;

	if (d->inet || !d->postfix || !d->pf_user)
		return;		/* inet, or no Postfix user to ask for */
	snprintf(who, sizeof(who), "%s", pw ? pw->pw_name : "postfix");
	if (stat(d->socket, &sb) != 0 && errno != EACCES) {
		doctor_add(d, "socket.access", SEV_ERROR, "systemctl enable "
		    "--now tlspind.socket (or start tlspind: it creates the "
		    "socket)", "no socket at %s: %s", d->socket,
		    strerror(errno));
		return;
	}
	if (!d->root && geteuid() != d->pf_uid) {
		doctor_add(d, "socket.access", SEV_INFO, NULL, "cannot tell "
		    "whether user %s can connect to %s: run tlspin doctor as "
		    "root", who, d->socket);
		return;
	}
	e = d->root ? doctor_connect_as(d->socket, d->pf_uid, d->pf_gid) :
	    doctor_connect_unix(d->socket, &fd);
	if (!d->root && fd >= 0)
		close(fd);
	if (e == 0 || e == ECONNREFUSED) {
		doctor_add(d, "socket.access", SEV_OK, NULL, "user %s (Postfix's "
		    "mail_owner) may connect to %s", who, d->socket);
		return;
	}
	doctor_blocker(d->socket, d->pf_uid, d->pf_gid, blocker,
	    sizeof(blocker));
	doctor_socket_fix(d, blocker, fix, sizeof(fix));
	doctor_add(d, "socket.access", SEV_ERROR, fix, "Postfix's smtp (user "
	    "%s, with its primary group only) cannot connect to %s: %s%s%s; "
	    "every lookup fails and Postfix defers the mail", who, d->socket,
	    strerror(e), blocker[0] ? ": blocked by " : "", blocker);
}

/* ------------------------------------------------------------- tlspind */

/* Connect to tlspind's socket: unix path or inet:HOST:PORT. */
static int
doctor_connect(const struct doctor *d, int *fdp)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], *port;
	int e = ECONNREFUSED, fd = -1;

	if (!d->inet)
		return doctor_connect_unix(d->socket, fdp);
	snprintf(host, sizeof(host), "%s", d->socket + 5);	/* "inet:" */
	port = strrchr(host, ':');
	if (port == NULL)
		return EINVAL;
	*port++ = '\0';
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return EHOSTUNREACH;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	*fdp = fd;
	return fd >= 0 ? 0 : e;
}

/* Ask one key; the reply in out. 0 when no reply came in time. */
static int
doctor_ask(int fd, const char *req, char *out, size_t outsz,
    unsigned timeout_ms)
{
	char buf[REPLY_MAX + 256];
	struct netstring ns;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *why;
	size_t n = netstring_encode(buf, sizeof(buf), req, strlen(req));
	size_t have = 0;
	ssize_t r;

	if (n == 0 || write(fd, buf, n) != (ssize_t)n)
		return 0;
	while (have < sizeof(buf) && poll(&p, 1, (int)timeout_ms) == 1) {
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			return 0;
		have += (size_t)r;
		switch (netstring_parse(buf, have, sizeof(buf), &ns, &why)) {
		case NETSTRING_OK:
			snprintf(out, outsz, "%.*s", (int)ns.len, ns.data);
			return 1;
		case NETSTRING_ERROR:
			return 0;
		default:
			break;
		}
	}
	return 0;
}

/* When process pid started (epoch seconds), or 0. */
static uint64_t
doctor_started(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	for (i = 0; p != NULL && i < 20; i++)	/* to field 22 */
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	if ((f = fopen("/proc/stat", "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? btime + ticks / (unsigned long long)sysconf(_SC_CLK_TCK)
	    : 0;
}

/* tlspind's own TLSPIN_MAP_SIZE_MB, so the store is measured as it
 * sees it (root only: another user's environ is not readable). */
static void
doctor_daemon_env(pid_t pid)
{
	char path[64], buf[32768];
	size_t n, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if (getenv("TLSPIN_MAP_SIZE_MB") != NULL ||
	    (f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		if (strncmp(buf + i, "TLSPIN_MAP_SIZE_MB=", 19) == 0)
			setenv("TLSPIN_MAP_SIZE_MB", buf + i + 19, 1);
}

/* tlspind's counters as saved in the store checked here, read before
 * doctor's own query adds to them. */
static void
doctor_load_counters(struct doctor *d)
{
	size_t len = 0;

	d->counters_st = counters_load(d->c->store_path, d->counters,
	    sizeof(d->counters), &len, d->counters_err,
	    sizeof(d->counters_err));
	d->counters[d->counters_st == COUNTERS_OK ? len : 0] = '\0';
}

/* Does tlspind answer a query on its socket? */
static void
doctor_check_answer(struct doctor *d)
{
	char req[128], reply[REPLY_MAX + 64];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, e;

	e = doctor_connect(d, &fd);
	if (e == EACCES || e == EPERM) {
		doctor_add(d, "tlspind.answer", SEV_INFO, NULL, "cannot tell "
		    "whether tlspind answers on %s: %s (run tlspin doctor as "
		    "root)", d->socket, strerror(e));
		return;
	}
	if (e != 0) {
		doctor_add(d, "tlspind.answer", SEV_ERROR, "systemctl start "
		    "tlspind.socket tlspind; journalctl -u tlspind says why it "
		    "stopped", "tlspind is not running: nothing answers on %s "
		    "(%s); Postfix defers all mail while its policy map does "
		    "not answer", d->socket, strerror(e));
		return;
	}
	doctor_load_counters(d);
	if (!d->inet && getsockopt(fd, SOL_SOCKET, SO_PEERCRED,
	    &cred, &len) == 0 && cred.pid > 0) {
		d->pid = cred.pid;
		d->started = doctor_started(cred.pid);
	}
	snprintf(req, sizeof(req), "%s tlspin-doctor.invalid",
	    d->c->cfg.map_name);
	if (!doctor_ask(fd, req, reply, sizeof(reply), d->timeout_ms))
		doctor_add(d, "tlspind.answer", SEV_ERROR, "journalctl -u "
		    "tlspind; systemctl restart tlspind", "tlspind took the "
		    "connection on %s but did not answer within %u ms",
		    d->socket, d->timeout_ms);
	else if (strncmp(reply, "OK", 2) == 0 ||
	    strncmp(reply, "NOTFOUND", 8) == 0) {
		d->answered = 1;
		doctor_add(d, "tlspind.answer", SEV_OK, NULL, "tlspind answers "
		    "on %s (pid %ld)", d->socket, (long)d->pid);
	} else
		doctor_add(d, "tlspind.answer", SEV_ERROR, "journalctl -u "
		    "tlspind; tlspin stats", "tlspind on %s answers \"%s\": "
		    "Postfix defers mail on such an answer", d->socket, reply);
	close(fd);
	if (d->pid > 0 && d->root)
		doctor_daemon_env(d->pid);
}

/* The value of name in the counters' "name=value" lines; 0 if absent. */
static uint64_t
doctor_counter(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p += p != NULL)
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

/*
 * Does tlspind count requests while Postfix delivers? A delivery Postfix
 * logged after tlspind started (by more than a save period) and before
 * its counters were last saved was looked up first, so it was counted.
 * Every doctor's own query counts too: after one, the counter is not
 * 0 and this says nothing until tlspind restarts.
 */
static void
doctor_check_requests(struct doctor *d, const struct learner_stats *ls)
{
	char t[64], up[32];
	uint64_t now = cli_now(), saved, requests;

	if (!d->answered)
		return;
	saved = doctor_counter(d->counters, "saved");
	requests = doctor_counter(d->counters, "requests");
	if (d->started > 0 && now > d->started + COUNTERS_STALE &&
	    (d->counters_st != COUNTERS_OK ||
	    saved + COUNTERS_STALE < now)) {
		doctor_add(d, "tlspind.requests", SEV_WARN, "tlspin --store DIR "
		    "doctor with the store tlspind uses (store = in "
		    "tlspin.conf, or its --store)", "the tlspind answering on "
		    "%s does not keep its counters in %s (%s): it uses another "
		    "store than the one checked here", d->socket,
		    d->c->store_path, d->counters_st == COUNTERS_OK ?
		    "they are stale" : d->counters_st == COUNTERS_ABSENT ?
		    "there are none" : d->counters_err);
		return;
	}
	doctor_span(up, sizeof(up), d->started && now > d->started ?
	    now - d->started : 0);
	cli_time(t, sizeof(t), ls->last_time);
	if (requests == 0 && d->started > 0 &&
	    ls->last_time > d->started + COUNTERS_EVERY &&
	    ls->last_time < saved)
		doctor_add(d, "tlspind.requests", SEV_WARN, "postconf -P | grep "
		    "policy_maps (a master.cf -o override?), and check that "
		    "this is the Postfix instance that delivers", "Postfix's "
		    "SMTP client logged a delivery since tlspind started (at "
		    "%s) but tlspind has counted no request: the Postfix that "
		    "delivers does not ask it", t);
	else
		doctor_add(d, "tlspind.requests", SEV_OK, NULL, "tlspind had "
		    "answered %llu request%s since it started%s%s%s",
		    (unsigned long long)requests, requests == 1 ? "" : "s",
		    d->started ? " (" : "", d->started ? up : "",
		    d->started ? " ago)" : "");
}

/* -------------------------------------------------- the learner's source */

/* The credentials of the running tlspind (its learner has the same),
 * else those tlspind takes from user = (its own groups only). */
static int
doctor_creds(const struct doctor *d, struct doctor_creds *cr)
{
	char path[64], line[1024], *p, *end;
	const char *user = d->c->cfg.user[0] ? d->c->cfg.user : "tlspin";
	struct passwd *pw;
	FILE *f;
	int got = 0;

	memset(cr, 0, sizeof(*cr));
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)d->pid);
	if (d->pid > 0 && (f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "Uid: %*u %u", &cr->uid) == 1)
				got |= 1;
			else if (sscanf(line, "Gid: %*u %u", &cr->gid) == 1)
				got |= 2;
			else if (strncmp(line, "Groups:", 7) == 0)
				for (p = line + 7; cr->ngroups < 64; p = end) {
					cr->groups[cr->ngroups] =
					    (gid_t)strtoul(p, &end, 10);
					if (end == p)
						break;
					cr->ngroups++;
				}
		}
		fclose(f);
		pw = getpwuid(cr->uid);
		snprintf(cr->who, sizeof(cr->who), "the running tlspind (pid "
		    "%ld, user %s)", (long)d->pid, pw ? pw->pw_name : "?");
		if (got == 3)
			return 1;
	}
	if ((pw = getpwnam(user)) == NULL)
		return 0;
	cr->uid = pw->pw_uid;
	cr->gid = pw->pw_gid;
	cr->ngroups = 64;
	if (getgrouplist(user, pw->pw_gid, cr->groups, &cr->ngroups) < 0)
		cr->ngroups = 0;
	snprintf(cr->who, sizeof(cr->who), "user %s with its groups", user);
	return 1;
}

/* Entries the journal shows (at most one): 1, 0 none, -1 error. */
static int
doctor_journal_any(const char *dir)
{
	sd_journal *j;
	int r;

	r = dir ? sd_journal_open_directory(&j, dir, 0) :
	    sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0)
		return -1;
	r = sd_journal_next(j);
	sd_journal_close(j);
	return r > 0 ? 1 : r == 0 ? 0 : -1;
}

/* In a child with creds: can it read the source? 0 or an errno. */
static int
doctor_read_as(const struct doctor_creds *cr, const char *src)
{
	int status, fd;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups((size_t)cr->ngroups, cr->groups) != 0 ||
		    setgid(cr->gid) != 0 || setuid(cr->uid) != 0)
			_exit(255);
		if (strncmp(src, "file:", 5) == 0) {
			fd = open(src + 5, O_RDONLY | O_CLOEXEC);
			_exit(fd < 0 ? (errno > 254 ? 254 : errno) : 0);
		}
		_exit(doctor_journal_any(strncmp(src, "journal:", 8) == 0 ?
		    src + 8 : NULL) > 0 ? 0 : EACCES);
	}
	if (pid < 0)
		return errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

/* The fix for a log tlspind's user cannot read: the group that may read
 * it (adm for a file of group root, as rsyslog's are on Debian). */
static void
doctor_source_fix(const char *file, const struct stat *sb,
    const struct doctor_creds *cr, char *fix, size_t fixsz)
{
	struct passwd *pw = getpwuid(cr->uid);
	struct group *gr = file && sb->st_gid != 0 ? getgrgid(sb->st_gid) :
	    NULL;
	const char *g = gr ? gr->gr_name : file ? "adm" : "systemd-journal";
	char pre[DOCTOR_PATH_MAX * 2] = "";
	size_t n = 0;

	if (file != NULL && sb->st_gid == 0)
		n += (size_t)snprintf(pre, sizeof(pre), "chgrp adm %s; ", file);
	if (file != NULL && !(sb->st_mode & S_IRGRP) && n < sizeof(pre))
		snprintf(pre + n, sizeof(pre) - n, "chmod g+r %s; ", file);
	doctor_fmt(fix, fixsz, "%sadduser %s %s; systemctl restart tlspind",
	    pre, pw ? pw->pw_name : "tlspin", g);
}

/* Can tlspind's user read the log or journal it learns from? */
static void
doctor_check_source(struct doctor *d)
{
	const char *src = d->c->cfg.log_source;
	int file = strncmp(src, "file:", 5) == 0, e;
	char fix[DOCTOR_TEXT_MAX];
	struct doctor_creds cr;
	struct stat sb;

	if (strcmp(src, "none") == 0) {
		doctor_add(d, "learner.access", SEV_INFO, NULL, "learning is "
		    "off (log_source = none): tlspind only answers the pins "
		    "made by hand");
		return;
	}
	if (file && stat(src + 5, &sb) != 0 && errno == EACCES && !d->root) {
		doctor_add(d, "learner.access", SEV_INFO, NULL, "cannot tell "
		    "whether tlspind's user may read %s: %s (run tlspin doctor "
		    "as root)", src + 5, strerror(errno));
		return;
	}
	if (file && stat(src + 5, &sb) != 0) {
		doctor_add(d, "learner.access", SEV_ERROR, "apt-get install "
		    "rsyslog, or log_source = journal in tlspin.conf",
		    "log_source = %s, but %s: %s, so nothing is learned", src,
		    src + 5, strerror(errno));
		return;
	}
	if (!file && doctor_journal_any(strncmp(src, "journal:", 8) == 0 ?
	    src + 8 : NULL) <= 0) {
		doctor_add(d, "learner.access", SEV_INFO, NULL, "cannot tell "
		    "whether tlspind can read the journal: it shows this "
		    "process no entry");
		return;
	}
	if (!d->root) {
		doctor_add(d, "learner.access", SEV_INFO, NULL, "cannot tell "
		    "whether tlspind's user may read %s: run tlspin doctor as "
		    "root", file ? src + 5 : "the journal");
		return;
	}
	if (!doctor_creds(d, &cr)) {
		doctor_add(d, "learner.access", SEV_WARN, "adduser --system "
		    "--group --home /var/lib/tlspin tlspin", "tlspind is not "
		    "running and its user (%s) does not exist", d->c->cfg.user[0]
		    ? d->c->cfg.user : "tlspin");
		return;
	}
	if ((e = doctor_read_as(&cr, src)) == 0) {
		doctor_add(d, "learner.access", SEV_OK, NULL, "%s may read %s",
		    cr.who, file ? src + 5 : "the journal");
		return;
	}
	doctor_source_fix(file ? src + 5 : NULL, file ? &sb : NULL, &cr, fix,
	    sizeof(fix));
	doctor_add(d, "learner.access", SEV_ERROR, fix, "%s cannot read %s%s%s"
	    ": the learner sees no delivery and never pins", cr.who,
	    file ? src + 5 : "the journal", file ? ": " : "", file ?
	    strerror(e) : "");
}

/* How far the learner is behind a log file. */
static void
doctor_lag_file(struct doctor *d, const char *path)
{
	char key[DOCTOR_PATH_MAX + 16], err[STORE_ERR_MAX], ago[32];
	unsigned char pos[32];
	uint64_t now = cli_now(), behind, offset = 0, ino = 0;
	struct stat sb;
	size_t n = 0;

	snprintf(key, sizeof(key), "pos:file:%s", path);
	if (stat(path, &sb) != 0)
		return;	/* learner.access said why */
	if (!learner_position_load(d->store, key, pos, sizeof(pos), &n, err,
	    sizeof(err))) {
		doctor_add(d, "learner.lag", SEV_ERROR, "systemctl restart "
		    "tlspind (the learner then reads the log from its start)",
		    "%s", err);
		return;
	}
	if (n == sizeof(pos)) {
		ino = bytes_le_get(pos + 8, 8);
		offset = bytes_le_get(pos + 16, 8);
	}
	behind = ino == (uint64_t)sb.st_ino && offset <= (uint64_t)sb.st_size ?
	    (uint64_t)sb.st_size - offset : (uint64_t)sb.st_size;
	doctor_span(ago, sizeof(ago), now > (uint64_t)sb.st_mtime ?
	    now - (uint64_t)sb.st_mtime : 0);
	if (behind > 0 && (uint64_t)sb.st_mtime + DOCTOR_LAG < now)
		doctor_add(d, "learner.lag", SEV_WARN, "journalctl -u tlspind "
		    "(the learner says why it stopped); systemctl restart "
		    "tlspind", "the learner is %llu bytes behind %s%s, which "
		    "was last written %s ago", (unsigned long long)behind, path,
		    n == 0 ? " (it has read nothing of it)" : "", ago);
	else
		doctor_add(d, "learner.lag", SEV_OK, NULL, "the learner keeps "
		    "up with %s (%llu bytes to read)", path,
		    (unsigned long long)behind);
}

/* How far the learner is behind the journal: Postfix smtp entries
 * after its cursor that are older than a minute. */
static void
doctor_lag_journal(struct doctor *d, const char *dir)
{
	const char *names[CONFIG_NAMES_MAX];
	char cursor[JSOURCE_CURSOR_MAX + 1], err[STORE_ERR_MAX], t[64];
	char key[DOCTOR_PATH_MAX + 16];
	struct jsource_entry e;
	struct jsource *js;
	uint64_t now = cli_now(), old = 0, first = 0, count = 0;
	size_t n = 0, i;

	snprintf(key, sizeof(key), "pos:journal%s%s", dir ? ":" : "",
	    dir ? dir : "");
	if (!learner_position_load(d->store, key, cursor, sizeof(cursor) - 1,
	    &n, err, sizeof(err))) {
		doctor_add(d, "learner.lag", SEV_ERROR, "systemctl restart "
		    "tlspind (the learner then reads the journal from its "
		    "start)", "%s", err);
		return;
	}
	cursor[n] = '\0';
	for (i = 0; i < d->c->cfg.nsyslog_names; i++)
		names[i] = d->c->cfg.syslog_names[i];
	if (jsource_open(&js, dir, names, d->c->cfg.nsyslog_names,
	    d->pf_uid, cursor, err, sizeof(err)) < 0) {
		doctor_add(d, "learner.lag", SEV_INFO, NULL, "cannot tell how "
		    "far the learner is behind the journal: %s", err);
		return;
	}
	while (count < DOCTOR_JOURNAL_MAX && jsource_next(js, &e, err,
	    sizeof(err)) > 0) {
		count++;
		if (e.time_us / 1000000 + DOCTOR_LAG < now && old++ == 0)
			first = e.time_us / 1000000;
	}
	jsource_close(js);
	cli_time(t, sizeof(t), first);
	if (old > 0)
		doctor_add(d, "learner.lag", SEV_WARN, "journalctl -u tlspind "
		    "(the learner says why it stopped); systemctl restart "
		    "tlspind", "the learner is behind the journal: %llu%s "
		    "entries of Postfix's SMTP client it has not read, the "
		    "oldest from %s", (unsigned long long)old,
		    count == DOCTOR_JOURNAL_MAX ? " or more" : "", t);
	else
		doctor_add(d, "learner.lag", SEV_OK, NULL, "the learner keeps up "
		    "with the journal (%llu new entries)",
		    (unsigned long long)count);
}

/* ---------------------------------------------------------- the store */

struct doctor_walk {
	uint64_t now;
	size_t soon, manual, dane;
	char names[DOCTOR_SHOW * (KEY_MAX + 32)];
	size_t used;
	char first[KEY_MAX + 1];
	struct record first_r;
	uint64_t newest;
	char newest_key[KEY_MAX + 1];
};

/* One record: pins expiring soon, DANE states, the newest time. */
static int
doctor_walk_one(void *arg, const char *key, size_t keylen,
    const struct record *r)
{
	struct doctor_walk *w = arg;
	char t[64];

	(void)keylen;
	w->dane += r->state == STATE_DANE;
	if (r->updated > w->newest || r->last_seen > w->newest) {
		w->newest = r->updated > r->last_seen ? r->updated :
		    r->last_seen;
		snprintf(w->newest_key, sizeof(w->newest_key), "%s", key);
	}
	if (r->reply_len == 0 || r->expires == 0 || r->expires <= w->now ||
	    r->expires > w->now + DOCTOR_SOON)
		return 0;
	if (w->soon++ < DOCTOR_SHOW) {
		cli_time(t, sizeof(t), r->expires);
		w->used += (size_t)snprintf(w->names + w->used,
		    sizeof(w->names) - w->used, "%s%s (%s, %s)", w->used ?
		    ", " : "", key, policy_state_name(r->state), t);
	}
	if (r->state == STATE_MANUAL && w->manual++ == 0) {
		snprintf(w->first, sizeof(w->first), "%s", key);
		w->first_r = *r;
	}
	return 0;
}

static int
doctor_walk_corrupt(void *arg, const char *key, const char *why)
{
	(void)arg;
	(void)key;
	(void)why;
	return 0;	/* tlspin stats names them */
}

/* The fix for manual pins that expire soon: renew the first. */
static void
doctor_renew_fix(const struct doctor_walk *w, char *fix, size_t fixsz)
{
	const struct record *r = &w->first_r;

	snprintf(fix, fixsz, "renew by hand: tlspin pin %s --level %.*s%s%s "
	    "--expires 90d%s", w->first, (int)strcspn(r->reply, " "),
	    r->reply, r->match_len ? " --match " : "", r->match_len ?
	    r->match : "", w->manual > 1 ? " (and the same for the others)" :
	    "");
}

/* Pins that expire within 7 days. */
static void
doctor_check_expiring(struct doctor *d, const struct doctor_walk *w)
{
	char fix[DOCTOR_TEXT_MAX];

	if (w->soon == 0) {
		doctor_add(d, "store.expiring", SEV_OK, NULL, "no pin expires "
		    "within 7 days");
		return;
	}
	if (w->manual > 0)
		doctor_renew_fix(w, fix, sizeof(fix));
	doctor_add(d, "store.expiring", w->manual ? SEV_WARN : SEV_INFO,
	    w->manual ? fix : NULL, "%zu pin%s expire%s within 7 days%s: "
	    "%s%s", w->soon, w->soon == 1 ? "" : "s", w->soon == 1 ? "s" : "",
	    w->manual ? "" : " (learned pins are renewed by the next delivery "
	    "over TLS)", w->names, w->soon > DOCTOR_SHOW ? ", ..." : "");
}

/* The map's free space, and the file system's. */
static void
doctor_check_space(struct doctor *d, const struct store_info *info)
{
	char fix[DOCTOR_TEXT_MAX];
	unsigned pct = info->map_size ? (unsigned)(info->map_used * 100 /
	    info->map_size) : 0;
	struct statvfs vfs;
	unsigned long long mb = info->map_size >> 20;

	snprintf(fix, sizeof(fix), "raise the map size: systemctl edit tlspind"
	    ", add Environment=TLSPIN_MAP_SIZE_MB=%llu under [Service], "
	    "systemctl restart tlspind (and set the same for tlspin)",
	    mb * 4 > 1024 ? mb * 4 : 1024);
	if (pct >= 75)
		doctor_add(d, "store.space", pct >= 90 ? SEV_ERROR : SEV_WARN,
		    fix, "the store's map is %u%% full (%zu KiB of %llu MiB): "
		    "when it is full, learning stops", pct,
		    info->map_used / 1024, mb);
	else
		doctor_add(d, "store.space", SEV_OK, NULL, "the store's map is "
		    "%u%% full (%zu KiB of %llu MiB)", pct,
		    info->map_used / 1024, mb);
	if (statvfs(d->c->store_path, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < 64ULL << 20)
		doctor_add(d, "store.disk", SEV_WARN, "free space on the file "
		    "system of the store", "the file system of %s has less "
		    "than 64 MiB free: the store cannot grow",
		    d->c->store_path);
}

/* The clock: ahead of the newest time the store holds, synchronised. */
static void
doctor_check_clock(struct doctor *d, const struct learner_stats *ls)
{
	char t[64], now_t[64], span[32];
	uint64_t now = cli_now();
	struct timex tx = { 0 };
	int state = adjtimex(&tx);

	cli_time(now_t, sizeof(now_t), now);
	cli_time(t, sizeof(t), d->newest);
	if (d->newest > now + LEARNER_FUTURE_SLACK) {
		doctor_span(span, sizeof(span), d->newest - now);
		doctor_add(d, "clock", SEV_ERROR, "set the clock right: "
		    "timedatectl set-ntp true (or chronyc makestep)", "the "
		    "clock says %s, but the store holds a time %s later (%s, "
		    "%s): the clock went back, or was ahead when that was "
		    "written; pins are dated and expire by this clock", now_t,
		    span, t, d->newest_what);
		return;
	}
	if (ls->future > 0) {
		doctor_add(d, "clock", SEV_WARN, "compare the clocks of this "
		    "host and of the host that writes the log (timedatectl)",
		    "%llu log line%s dated after this host's clock (taken as "
		    "written now): one of the two clocks is wrong",
		    (unsigned long long)ls->future, ls->future == 1 ? " was" :
		    "s were");
		return;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
		doctor_add(d, "clock", SEV_INFO, "timedatectl set-ntp true",
		    "the clock says %s and no time service has synchronised it",
		    now_t);
	else
		doctor_add(d, "clock", SEV_OK, NULL, "the clock says %s, after "
		    "the store's newest time", now_t);
}

/* Open the store read-only; as root, as the store's owner, so that a
 * lock file LMDB creates stays usable by tlspind. Root comes back for
 * the checks after (seteuid, not setuid). */
static int
doctor_store_open(struct doctor *d, char *err, size_t errsz)
{
	struct stat sb;
	int as_owner, ok;

	as_owner = d->root && stat(d->c->store_path, &sb) == 0 &&
	    sb.st_uid != 0;
	if (as_owner && (setegid(sb.st_gid) != 0 || seteuid(sb.st_uid) != 0)) {
		snprintf(err, errsz, "cannot act as the owner (uid %u) of %s: "
		    "%s", (unsigned)sb.st_uid, d->c->store_path,
		    strerror(errno));
		return 0;
	}
	ok = store_open(&d->store, d->c->store_path, STORE_READONLY, err,
	    errsz);
	if (as_owner && (seteuid(0) != 0 || setegid(0) != 0)) {
		fprintf(stderr, "tlspin doctor: cannot become root again: %s\n",
		    strerror(errno));
		exit(DOCTOR_UNKNOWN);
	}
	return ok;
}

/* Open the store and run the checks that read it. */
static void
doctor_check_store(struct doctor *d)
{
	struct doctor_walk *w = calloc(1, sizeof(*w));
	char err[STORE_ERR_MAX];
	struct store_info info;
	struct learner_stats ls;
	const char *src = d->c->cfg.log_source;

	memset(&ls, 0, sizeof(ls));
	if (w == NULL || !doctor_store_open(d, err, sizeof(err))) {
		doctor_add(d, "store.open", SEV_ERROR, "start tlspind once (it "
		    "creates the store), or give the store tlspind uses with "
		    "--store", "cannot open the store: %s", w ? err :
		    "out of memory");
		free(w);
		d->store = NULL;
		return;
	}
	w->now = cli_now();
	if (!store_info(d->store, &info, err, sizeof(err)) ||
	    !store_walk(d->store, NULL, doctor_walk_one, doctor_walk_corrupt,
	    w, err, sizeof(err)) ||
	    !learner_stats_load(d->store, &ls, err, sizeof(err))) {
		doctor_add(d, "store.open", SEV_ERROR, "tlspin stats (and see "
		    "tlspind(8), FILES)", "cannot read the store %s: %s",
		    d->c->store_path, err);
		free(w);
		return;
	}
	d->ndane = w->dane;
	d->newest = w->newest > ls.last_time ? w->newest : ls.last_time;
	snprintf(d->newest_what, sizeof(d->newest_what), "%s", w->newest >=
	    ls.last_time ? w->newest_key : "the learner's last log line");
	doctor_check_space(d, &info);
	doctor_check_expiring(d, w);
	doctor_check_requests(d, &ls);
	if (strncmp(src, "file:", 5) == 0)
		doctor_lag_file(d, src + 5);
	else if (strcmp(src, "none") != 0)
		doctor_lag_journal(d, strncmp(src, "journal:", 8) == 0 ?
		    src + 8 : NULL);
	doctor_check_clock(d, &ls);
	free(w);
}

/* ------------------------------------------------------------- output */

static const char *
doctor_sev_name(enum doctor_sev s)
{
	static const char *const names[] = { "ok", "info", "warning",
	    "error" };

	return names[s];
}

/* Print text from column 9 on, wrapped at 78. */
static void
doctor_wrap(const char *lead, const char *text)
{
	size_t col = 9, w;
	const char *p = text;

	printf("%-9s", lead);
	while (*p != '\0') {
		w = strcspn(p, " ");
		if (col > 9 && col + 1 + w > 78) {
			printf("\n%9s", "");
			col = 9;
		} else if (col > 9) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)w, p);
		col += w;
		p += w;
		p += strspn(p, " ");
	}
	putchar('\n');
}

static void
doctor_text(const struct doctor *d, int rc)
{
	const struct doctor_finding *f;
	unsigned i, count[4] = { 0 };
	char line[DOCTOR_TEXT_MAX + 64];

	printf("tlspin doctor: Postfix config %s, tlspin.conf %s, store %s\n",
	    d->pfdir ? d->pfdir : "(postconf's default)", d->c->config_file,
	    d->c->store_path);
	for (i = 0; i < d->n; i++) {
		f = &d->f[i];
		count[f->sev]++;
		snprintf(line, sizeof(line), "%s: %s", f->id, f->msg);
		doctor_wrap(doctor_sev_name(f->sev), line);
		if (f->fix[0] != '\0' && f->sev != SEV_OK) {
			snprintf(line, sizeof(line), "fix: %s", f->fix);
			doctor_wrap("", line);
		}
	}
	printf("%u error%s, %u warning%s, %u note%s, %u ok (exit %d)\n",
	    count[SEV_ERROR], count[SEV_ERROR] == 1 ? "" : "s",
	    count[SEV_WARN], count[SEV_WARN] == 1 ? "" : "s",
	    count[SEV_INFO], count[SEV_INFO] == 1 ? "" : "s", count[SEV_OK],
	    rc);
}

static void
doctor_json(const struct doctor *d, int rc)
{
	const struct doctor_finding *f;
	unsigned i, errors = 0, warnings = 0;

	printf("{\"postfix_config\":");
	if (d->pfdir != NULL)
		json_string(stdout, d->pfdir);
	else
		printf("null");
	printf(",\"config\":");
	json_string(stdout, d->c->config_file);
	printf(",\"store\":");
	json_string(stdout, d->c->store_path);
	printf(",\"socket\":");
	json_string(stdout, d->socket);
	printf(",\"findings\":[");
	for (i = 0; i < d->n; i++) {
		f = &d->f[i];
		errors += f->sev == SEV_ERROR;
		warnings += f->sev == SEV_WARN;
		printf("%s\n{\"id\":\"%s\",\"severity\":\"%s\",\"message\":",
		    i ? "," : "", f->id, doctor_sev_name(f->sev));
		json_string(stdout, f->msg);
		printf(",\"fix\":");
		json_string(stdout, f->fix);
		putchar('}');
	}
	printf("\n],\"errors\":%u,\"warnings\":%u,\"exit\":%d}\n", errors,
	    warnings, rc);
}

/* ------------------------------------------------------------- command */

static int doctor_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A usage error: what is wrong, then the usage; exit 3. */
static int
doctor_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlspin doctor: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: tlspin doctor [--json] [--postfix-config "
	    "DIR] [--socket PATH]\n    [--resolver ADDR[:PORT]] [--timeout "
	    "SECONDS]\n");
	return DOCTOR_UNKNOWN;
}

/* The options; -1 to go on, or the exit code. */
static int
doctor_opts(struct doctor *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "postfix-config", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 's' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct in_addr in;
	unsigned port;
	char *end;
	unsigned long v;
	int o;

	while ((o = cli_getopt("doctor", argc, argv, "jP:s:r:t:h", opts)) !=
	    -1) {
		switch (o) {
		case 'j': d->json = 1; break;
		case 'P': d->pfdir = optarg; break;
		case 's': d->socket = optarg; break;
		case 'r':
			if (!dnsmsg_resolver_parse(optarg, strlen(optarg), &in,
			    &port))
				return doctor_usage("--resolver %s: expected "
				    "ADDR or ADDR:PORT (IPv4)", optarg);
			d->resolver = optarg;
			break;
		case 't':
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 60)
				return doctor_usage("--timeout %s: expected 1 "
				    "to 60 seconds", optarg);
			d->timeout_ms = (unsigned)v * 1000;
			break;
		case 'h': cmd_help("doctor"); return DOCTOR_PASS;
		default: return DOCTOR_UNKNOWN;	/* cli_getopt said why */
		}
	}
	if (optind != argc)
		return doctor_usage("unexpected argument %s", argv[optind]);
	return -1;
}

/* Which socket tlspind serves: --socket, else listen = in tlspin.conf
 * (its first unix: address, else its first). */
static void
doctor_pick_socket(struct doctor *d)
{
	const struct config *cfg = &d->c->cfg;
	unsigned i;

	if (d->socket == NULL) {
		d->socket = cfg->listen[0];
		for (i = 0; i < cfg->nlisten; i++)
			if (strncmp(cfg->listen[i], "unix:", 5) == 0) {
				d->socket = cfg->listen[i];
				break;
			}
	}
	d->inet = strncmp(d->socket, "inet:", 5) == 0;
	if (strncmp(d->socket, "unix:", 5) == 0)
		d->socket += 5;
}

/* Where a finding is shown: Postfix first, then the socket, tlspind,
 * the learner, the store, the clock (the checks run in another order). */
static unsigned
doctor_rank(const char *id)
{
	static const char *const order[] = { "tlspin.config",
	    "postfix.postconf", "postfix.master", "postfix.policy_maps",
	    "postfix.tls_level", "postfix.tls_loglevel", "postfix.ca",
	    "postfix.dane", "dns.dnssec", "postfix.chroot_resolv",
	    "socket.access", "tlspind.answer", "tlspind.requests",
	    "learner.access", "learner.lag", "store.open", "store.space",
	    "store.disk", "store.expiring", "clock" };
	unsigned i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i], id) == 0)
			return i;
	return i;
}

/* Put the findings in that order, keeping the order within an id. */
static void
doctor_sort(struct doctor *d)
{
	struct doctor_finding tmp;
	unsigned i, j;

	for (i = 1; i < d->n; i++) {
		tmp = d->f[i];
		for (j = i; j > 0 && doctor_rank(d->f[j - 1].id) >
		    doctor_rank(tmp.id); j--)
			d->f[j] = d->f[j - 1];
		d->f[j] = tmp;
	}
}

static void
doctor_run(struct doctor *d)
{
	if (d->config_err[0] != '\0')
		doctor_add(d, "tlspin.config", SEV_ERROR, "fix the line it names;"
		    " tlspind --check-config says when it parses",
		    "%s (the checks below use the built-in settings)",
		    d->config_err);
	doctor_read_postfix(d);
	doctor_check_answer(d);	/* first: its pid and environment */
	if (d->postfix) {
		doctor_check_maps(d);
		doctor_check_level(d);
		doctor_check_loglevel(d);
		doctor_check_ca(d);
		doctor_check_socket(d);
	}
	doctor_check_source(d);
	doctor_check_store(d);
	if (d->postfix) {
		doctor_check_dane(d);
		doctor_check_resolver(d);
		doctor_check_chroot_resolv(d);
	}
	if (d->store != NULL)
		store_close(d->store);
	doctor_sort(d);
}

int
cmd_doctor(struct cli *c, int argc, char **argv)
{
	struct doctor *d = calloc(1, sizeof(*d));
	unsigned i;
	int rc;

	if (d == NULL) {
		fprintf(stderr, "tlspin doctor: out of memory\n");
		return DOCTOR_UNKNOWN;
	}
	d->c = c;
	d->timeout_ms = 2000;
	d->root = geteuid() == 0;
	if ((rc = doctor_opts(d, argc, argv)) >= 0) {
		free(d);
		return rc;
	}
	if (!cli_setup_err(c, d->config_err, sizeof(d->config_err)) &&
	    d->config_err[0] == '\0')
		snprintf(d->config_err, sizeof(d->config_err), "cannot read %s",
		    c->config_file);
	doctor_pick_socket(d);
	signal(SIGPIPE, SIG_IGN);
	doctor_run(d);
	rc = DOCTOR_PASS;
	for (i = 0; i < d->n; i++)
		if (d->f[i].sev == SEV_ERROR)
			rc = DOCTOR_FAIL;
		else if (d->f[i].sev == SEV_WARN && rc == DOCTOR_PASS)
			rc = DOCTOR_WARN;
	if (d->json)
		doctor_json(d, rc);
	else
		doctor_text(d, rc);
	free(d);
	return rc;
}
