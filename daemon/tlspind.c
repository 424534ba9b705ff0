/*
 * NAME
 *	tlspind - TLS policy daemon for Postfix's smtp_tls_policy_maps
 * SYNOPSIS
 *	tlspind [-c FILE] [--foreground] [--store DIR] [--listen ADDR]...
 *		[--mode enforce|observe] [--pidfile FILE] [--debug]
 *		[--check-config]
 * DESCRIPTION
 *	Reads tlspin.conf, applies command-line overrides, listens (or takes
 *	the sockets systemd passes), opens the store and answers socketmap
 *	queries until SIGTERM. SIGHUP re-reads the config (a bad file is
 *	reported and the running settings stay) and reopens log_file.
 *	SIGUSR1 logs the counters. With systemd it reports READY=1,
 *	RELOADING=1 and STOPPING=1 and pets the watchdog when WATCHDOG_USEC
 *	is set.
 *
 *	Without systemd: without --foreground it detaches, and the starting
 *	process waits for the detached one's report, so whatever goes wrong
 *	is said on its stderr: it exits 1 if the daemon could not start
 *	(a socket it cannot bind), 3 if it runs but cannot open its store
 *	(it answers TEMP until it can, as under systemd), 0 if all is well.
 *	A pidfile is written once the daemon answers and removed at exit;
 *	log_file replaces syslog. --check-config also opens the store
 *	read-only, as the user tlspind would run as, and says what it finds.
 *
 *	This process owns both the connection engine (server.c) and the
 *	learner's supervisor (learnd.c), and wires them: each lookup the
 *	engine answers goes, with the asking smtp process's pid, to the
 *	learner's hint channel (hints.c), so neither knows of the other.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "caps.h"
#include "clock.h"
#include "config.h"
#include "counters.h"
#include "errbuf.h"
#include "hints.h"
#include "log.h"
#include "learnd.h"
#include "learner.h"
#include "metricsd.h"
#include "prober.h"
#include "server.h"
#include "store.h"

#define TLSPIND_OVERRIDES_MAX (CONFIG_LISTEN_MAX + 8)
#define TLSPIND_FDS_OWN 64	/* listeners, store, learner, event loop */

/* Command-line settings, re-applied over the file at every reload. */
struct tlspind_override {
	const char *key;
	const char *value;
};

struct tlspind {
	const char *config_file;
	int config_given;
	struct tlspind_override over[TLSPIND_OVERRIDES_MAX];
	unsigned nover;
	char listen_joined[CONFIG_LISTEN_MAX * CONFIG_ADDR_MAX];
	struct config cfg;
	sd_event *ev;
	struct server *srv;
	struct metricsd *md;	/* metrics_listen, or NULL */
	struct tlspind_count {	/* the store's figures for metricsd */
		sd_event_source *io, *child;
		pid_t pid;	/* the counting child, or 0 */
		int have;	/* m holds what the last count said */
		struct metrics m;
	} count;
	struct learnd *ld;	/* the learner child process */
	struct hints_forward *hf;	/* lookups, on their way to it */
	int ready_fd;		/* pipe to the waiting parent, or -1 */
	int pid_fd;		/* the pidfile, once claimed, or -1 */
	char pidfile[4096];	/* its path (pidfile at start) */
	int launcher;		/* channel to the probe launcher, or -1 */
};

/* The starting process's exit status when the daemon runs without a
 * store (tlspind(8), EXIT STATUS), and --check-config's for a store
 * that would make lookups fail. */
#define TLSPIND_EXIT_STORE 3

static void
tlspind_usage(FILE *f)
{
	fprintf(f,
	    "usage: tlspind [options]\n"
	    "Answer Postfix smtp_tls_policy_maps socketmap queries from the "
	    "tlspin store.\n\n"
	    "  -c, --config FILE     settings file (default %s)\n"
	    "  -f, --foreground      stay in the foreground, log to stderr (or "
	    "log_file)\n"
	    "  -s, --store DIR       store directory (overrides 'store')\n"
	    "  -l, --listen ADDR     unix:PATH or inet:HOST:PORT; repeat for "
	    "several\n"
	    "                        (overrides 'listen')\n"
	    "  -m, --mode MODE       enforce or observe (overrides 'mode')\n"
	    "  -p, --pidfile FILE    write the daemon's pid to FILE once it "
	    "answers\n"
	    "                        (overrides 'pidfile')\n"
	    "  -o, --set KEY=VALUE   any tlspin.conf setting (overrides the "
	    "file)\n"
	    "  -d, --debug           log debug messages\n"
	    "  -n, --check-config    check the settings and the store "
	    "(read-only),\n                        print them, exit\n"
	    "  -h, --help            this help\n"
	    "  -V, --version         print the version\n\n"
	    "Signals: HUP reloads the settings (a bad file keeps the old "
	    "ones) and reopens\nlog_file, USR1 logs counters, TERM stops.\n\n"
	    "Without --foreground the exit status says how the start went: "
	    "0 answering,\n1 not started, 3 running without its store "
	    "(answering TEMP until it opens).\nSee tlspind(8), "
	    "tlspin.conf(5).\n", TLSPIN_CONFIG_FILE);
}

/* Remember a command-line setting. */
static int
tlspind_override(struct tlspind *d, const char *key, const char *value)
{
	if (d->nover == TLSPIND_OVERRIDES_MAX)
		return 0;
	d->over[d->nover].key = key;
	d->over[d->nover++].value = value;
	return 1;
}

/* Build a config: defaults, then the file, then the command line. */
static int
tlspind_load(struct tlspind *d, struct config *c, char *err, size_t errsz)
{
	unsigned i;

	config_defaults(c);
	if (!config_load(c, d->config_file, d->config_given, err, errsz))
		return 0;
	for (i = 0; i < d->nover; i++) {
		char why[CONFIG_ERR_MAX];

		if (!config_set(c, d->over[i].key, d->over[i].value,
		    strlen(d->over[i].value), why, sizeof(why))) {
			snprintf(err, errsz, "command line: %s", why);
			return 0;
		}
	}
	return 1;
}

/* The probe's settings, for tlspind_print_config(). */
static void
tlspind_print_probe(const struct config *c)
{
	char timeout[32], interval[32];

	config_duration_format(timeout, sizeof(timeout), c->probe_timeout);
	config_duration_format(interval, sizeof(interval), c->probe_interval);
	printf("probe = %s\nprobe_concurrency = %u\nprobe_timeout = %s\n"
	    "probe_interval = %s\nprobe_port = %u\n%sprobe_cafile = %s\n"
	    "%sprobe_resolver = %s\nprobe_user = %s\nmx_change = %s\n"
	    "dane_reply = %s\n", c->probe ? "yes" : "no",
	    c->probe_concurrency, timeout, interval, c->probe_port,
	    c->probe_cafile[0] ? "" : "# (not set: the system's CA store) ",
	    c->probe_cafile, c->probe_resolver[0] ? "" :
	    "# (not set: /etc/resolv.conf) ", c->probe_resolver,
	    c->probe_user, config_mx_change_name(c->mx_change),
	    c->dane_only ? "dane-only" : "notfound");
}

/* The alerts' settings, for tlspind_print_config(). */
static void
tlspind_print_alert(const struct config *c)
{
	char timeout[32], interval[32], after[32], behind[32];

	config_duration_format(timeout, sizeof(timeout), c->alert_timeout);
	config_duration_format(interval, sizeof(interval), c->alert_interval);
	config_duration_format(after, sizeof(after), c->alert_after);
	config_duration_format(behind, sizeof(behind), c->alert_behind);
	printf("%salert_command = %s\nalert_timeout = %s\n"
	    "alert_interval = %s\nalert_after = %s\nalert_behind = %s\n",
	    c->alert_command[0] ? "" : "# (not set: no alerts) ",
	    c->alert_command, timeout, interval, after, behind);
}

/* Print the settings in force, like postconf -n. */
static void
tlspind_print_config(const struct config *c)
{
	char span[32], age[32], oage[32];
	unsigned i;

	printf("store = %s\nlisten =", c->store);
	for (i = 0; i < c->nlisten; i++)
		printf(" %s", c->listen[i]);
	printf("\n%smetrics_listen = %s", c->metrics_listen[0] ? "" :
	    "# (not set) ", c->metrics_listen);
	printf("\nmap_name = %s\nmode = %s\nunix_mode = %04o\n"
	    "%sunix_group = %s\n%suser = %s\nmax_clients = %u\n"
	    "idle_timeout = %llus\nread_timeout = %llus\n"
	    "postfix_compat = %u.%u\ndebug = %s\n%spidfile = %s\n"
	    "%slog_file = %s\n", c->map_name,
	    config_mode_name(c->mode), c->unix_mode,
	    c->unix_group[0] ? "" : "# (not set) ", c->unix_group,
	    c->user[0] ? "" : "# (not set) ", c->user, c->max_clients, (unsigned long long)c->idle_timeout,
	    (unsigned long long)c->read_timeout, c->postfix_compat / 100,
	    c->postfix_compat % 100, c->debug ? "yes" : "no",
	    c->pidfile[0] ? "" : "# (not set) ", c->pidfile,
	    c->log_file[0] ? "" : "# (not set: syslog, or stderr with "
	    "--foreground) ", c->log_file);
	config_duration_format(span, sizeof(span), c->pin_min_span);
	config_duration_format(age, sizeof(age), c->pin_max_age);
	config_duration_format(oage, sizeof(oage), c->observe_max_age);
	printf("pin_min_deliveries = %u\npin_min_span = %s\n"
	    "pin_max_age = %s\nobserve_max_age = %s\nmax_observing = %lu\n"
	    "secure_pins = %s\nprivate_mx = %s\n"
	    "log_source = %s\nsyslog_name =", c->pin_min_deliveries, span,
	    age, oage, c->max_observing, c->secure_pins ? "yes" : "no",
	    c->private_mx ? "yes" : "no", c->log_source);
	for (i = 0; i < c->nsyslog_names; i++)
		printf(" %s", c->syslog_names[i]);
	printf("\npostfix_user = %s\n", c->postfix_user);
	tlspind_print_probe(c);
	tlspind_print_alert(c);
}

/* -o KEY=VALUE: split in place; a missing '=' is a usage error. */
static int
tlspind_set(struct tlspind *d, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "tlspind: -o %s: expected KEY=VALUE, such as "
		    "-o log_source=none\n", arg);
		exit(2);
	}
	*eq = '\0';
	return tlspind_override(d, arg, eq + 1);
}

/* Parse the command line into d; exits on --help, --version, errors. */
static void
tlspind_args(struct tlspind *d, int argc, char **argv, int *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "store", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'd' },
		{ "set", required_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	size_t used = 0;
	int o, ok = 1;

	while ((o = getopt_long(argc, argv, "c:fs:l:m:p:do:nhV", opts,
	    NULL)) != -1) {
		switch (o) {
		case 'c':
			d->config_file = optarg;
			d->config_given = 1;
			break;
		case 'f':
			d->ready_fd = -2;	/* marks foreground */
			break;
		case 's':
			ok = tlspind_override(d, "store", optarg);
			break;
		case 'l':
			/* repeated --listen options add up to one list */
			if (used + strlen(optarg) + 2 > sizeof(d->listen_joined)) {
				ok = 0;
				break;
			}
			used += (size_t)snprintf(d->listen_joined + used,
			    sizeof(d->listen_joined) - used, "%s%s",
			    used ? " " : "", optarg);
			break;
		case 'm':
			ok = tlspind_override(d, "mode", optarg);
			break;
		case 'p':
			ok = tlspind_override(d, "pidfile", optarg);
			break;
		case 'd':
			ok = tlspind_override(d, "debug", "yes");
			break;
		case 'o':
			ok = tlspind_set(d, optarg);
			break;
		case 'n':
			*check = 1;
			break;
		case 'h':
			tlspind_usage(stdout);
			exit(0);
		case 'V':
			printf("tlspind %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			tlspind_usage(stderr);
			exit(2);
		}
		if (!ok) {
			fprintf(stderr, "tlspind: too many command-line "
			    "settings\n");
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlspind: unexpected argument \"%s\" (see "
		    "tlspind --help)\n", argv[optind]);
		exit(2);
	}
	if (used > 0)
		(void)tlspind_override(d, "listen", d->listen_joined);
}

/* The parent of a detached start: wait for the daemon's report, say it
 * on stderr, and exit with what init scripts need (see the header). */
static void
tlspind_wait_report(int fd)
{
	char msg[1024];
	size_t have = 0;
	ssize_t n;

	while (have < sizeof(msg) - 1 &&
	    (n = read(fd, msg + have, sizeof(msg) - 1 - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		have += (size_t)n;
	}
	msg[have] = '\0';
	if (strcmp(msg, "ok") == 0)
		exit(0);
	if (strncmp(msg, "warn:", 5) == 0) {
		fprintf(stderr, "tlspind: warning: %s\n", msg + 5);
		exit(TLSPIND_EXIT_STORE);
	}
	fprintf(stderr, "tlspind: %s\n", have > 0 ? msg :
	    "the daemon died while starting");
	exit(1);
}

/* Detach; the parent waits until the child reports ready or failed. */
static void
tlspind_daemonize(struct tlspind *d)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "tlspind: cannot detach: %s\n",
		    strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		tlspind_wait_report(p[0]);
	}
	close(p[0]);
	d->ready_fd = p[1];
	if (setsid() < 0 || chdir("/") != 0) {
		/* still attached: not fatal */
	}
	log_init("tlspind", LOG_TARGET_SYSLOG);	/* unless log_file is set */
}

/* Tell the waiting parent how the start went (failure: it did not; else
 * warning: it runs, but not well; else all is well); detach stdio once
 * the daemon runs. */
static void
tlspind_report(struct tlspind *d, const char *failure, const char *warning)
{
	char m[1100];
	int fd;

	if (d->ready_fd < 0)
		return;
	if (failure != NULL)
		snprintf(m, sizeof(m), "%s", failure);
	else if (warning != NULL)
		snprintf(m, sizeof(m), "warn:%s; tlspind runs (pid %ld) and "
		    "opens it as soon as it can", warning, (long)getpid());
	else
		snprintf(m, sizeof(m), "ok");
	if (write(d->ready_fd, m, strlen(m)) < 0) {
		/* parent gone: nobody to tell */
	}
	close(d->ready_fd);
	d->ready_fd = -1;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* Whether pid is a running tlspind: 1 yes, 0 no (no such process, one
 * that has exited but is not reaped yet, or another program that got
 * the pid); -1 alive but /proc cannot tell. */
static int
tlspind_pid_is_tlspind(long pid)
{
	char path[64], line[256], *lp, *rp;
	FILE *f;
	size_t n;

	if (pid <= 0 || pid == (long)getpid() ||
	    (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return 0;
	/* "PID (COMM) STATE ...": COMM may hold ')' itself */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	lp = strchr(line, '(');
	rp = strrchr(line, ')');
	if (lp == NULL || rp == NULL || rp < lp || rp[1] != ' ')
		return -1;
	if (rp[2] == 'Z' || rp[2] == 'X')
		return 0;
	return rp - lp - 1 == 7 && memcmp(lp + 1, "tlspind", 7) == 0;
}

/*
 * Before binding: open the pidfile (as root, if started so, so that it
 * may live in /run), refusing one that names a running tlspind; a stale
 * one is kept open to be overwritten once the daemon answers.
 */
static int
tlspind_pidfile_claim(struct tlspind *d, char *err, size_t errsz)
{
	char buf[32];
	ssize_t n;
	long pid = 0;
	int fd, live;

	if (d->cfg.pidfile[0] == '\0')
		return 1;
	memcpy(d->pidfile, d->cfg.pidfile, sizeof(d->pidfile));
	fd = open(d->pidfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY, 0644);
	if (fd < 0) {
		snprintf(err, errsz, "cannot open pidfile %.400s: %s",
		    d->pidfile, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0)
		pid = strtol(buf, NULL, 10);
	live = tlspind_pid_is_tlspind(pid);
	if (live != 0) {
		snprintf(err, errsz, "pidfile %.400s names pid %ld, %s: stop "
		    "it first (kill %ld), or give this one another --pidfile",
		    d->pidfile, pid, live > 0 ? "a running tlspind" :
		    "a running process (/proc cannot tell which)", pid);
		close(fd);
		return 0;
	}
	if (pid > 0)
		log_info("replacing the stale pidfile %s (pid %ld is not a "
		    "running tlspind)", d->pidfile, pid);
	d->pid_fd = fd;
	return 1;
}

/* The daemon answers: write its pid. */
static int
tlspind_pidfile_write(struct tlspind *d, char *err, size_t errsz)
{
	char buf[32];
	int n;

	if (d->pid_fd < 0)
		return 1;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(d->pid_fd, 0) != 0 ||
	    pwrite(d->pid_fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errsz, "cannot write pidfile %.400s: %s",
		    d->pidfile, strerror(errno));
		return 0;
	}
	return 1;
}

/* Clean exit: remove the pidfile, or empty it when the user tlspind
 * switched to may not remove it (an empty pidfile is stale to all). */
static void
tlspind_pidfile_remove(struct tlspind *d)
{
	if (d->pid_fd < 0)
		return;
	if (unlink(d->pidfile) != 0 && ftruncate(d->pid_fd, 0) != 0)
		log_warn("cannot remove pidfile %s: %s", d->pidfile,
		    strerror(errno));
	close(d->pid_fd);
	d->pid_fd = -1;
}

/*
 * Become the configured user, after binding sockets: its own group and
 * the groups /etc/group gives it (so an admin can let it read the
 * journal or mail.log), none of root's. Root without "user" is refused:
 * a parser bug must not become a root compromise. "user = root" is the
 * explicit way to stay root, and is logged.
 */
static int
tlspind_drop(const struct config *c, const char *file, char *err,
    size_t errsz)
{
	struct passwd *pw;

	if (c->user[0] == '\0') {
		if (geteuid() != 0)
			return 1;
		snprintf(err, errsz, "refusing to run as root: set user = "
		    "tlspin in %s (tlspind switches to it after binding its "
		    "sockets; create it with: adduser --system --group "
		    "tlspin), or user = root to really stay root", file);
		return 0;
	}
	pw = getpwnam(c->user);
	if (pw == NULL) {
		snprintf(err, errsz, "user = %s: no such user (create it "
		    "with: adduser --system --group %s)", c->user, c->user);
		return 0;
	}
	if (geteuid() == pw->pw_uid) {
		if (pw->pw_uid == 0)
			log_warn("user = root: running as root as %s says; a "
			    "bug in tlspind would be a root compromise", file);
		return 1;
	}
	if (geteuid() != 0) {
		snprintf(err, errsz, "user = %s: cannot switch users without "
		    "root", c->user);
		return 0;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errsz, "cannot become user %s: %s", c->user,
		    strerror(errno));
		return 0;
	}
	if (setuid(0) == 0) {
		snprintf(err, errsz, "switched to user %s but could get root "
		    "back: refusing to run", c->user);
		return 0;
	}
	return 1;
}

/*
 * Room for max_clients connections plus our own descriptors: raise the
 * soft open-file limit up to the hard one (1024 by default would refuse
 * clients long before max_clients), and say so when even that is short.
 */
static void
tlspind_nofile(const struct config *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_clients + TLSPIND_FDS_OWN;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warn("max_clients = %u, but only %llu file descriptors are "
		    "allowed (hard limit): raise it (LimitNOFILE= in the "
		    "unit, ulimit -Hn) or lower max_clients", c->max_clients,
		    (unsigned long long)rl.rlim_cur);
}

/* Log the counters. */
static void
tlspind_log_stats(struct tlspind *d)
{
	const struct server_stats *st = server_stats(d->srv);

	log_info("clients=%u connections=%llu refused=%llu timeouts=%llu "
	    "requests=%llu ok=%llu notfound=%llu temp=%llu perm=%llu "
	    "observed=%llu", server_clients(d->srv),
	    (unsigned long long)st->connections,
	    (unsigned long long)st->refused, (unsigned long long)st->timeouts,
	    (unsigned long long)st->requests, (unsigned long long)st->ok,
	    (unsigned long long)st->notfound, (unsigned long long)st->temp,
	    (unsigned long long)st->perm, (unsigned long long)st->observed);
}

/* Warn about settings that only a restart applies. */
static void
tlspind_restart_only(const struct config *old, const struct config *new)
{
	if (strcmp(old->store, new->store) != 0 ||
	    old->nlisten != new->nlisten ||
	    memcmp(old->listen, new->listen, sizeof(old->listen)) != 0 ||
	    strcmp(old->metrics_listen, new->metrics_listen) != 0 ||
	    old->unix_mode != new->unix_mode ||
	    strcmp(old->unix_group, new->unix_group) != 0 ||
	    strcmp(old->user, new->user) != 0 ||
	    strcmp(old->pidfile, new->pidfile) != 0 ||
	    strcmp(old->probe_user, new->probe_user) != 0)
		log_warn("store, listen, metrics_listen, unix_mode, unix_group, user, pidfile "
		    "or probe_user changed: restart tlspind to apply them "
		    "(kept the running ones)");
}

/*
 * SIGHUP, before the settings: open log_file again (logrotate renamed
 * it), or the file the new settings name. When it cannot be opened the
 * old one stays in use, and the reason goes there. The learner, which
 * a good reload restarts, gets the new descriptor.
 */
static void
tlspind_log_reopen(const struct config *new)
{
	const char *cur = log_file_path();
	char err[4200];
	int ok;

	if (new != NULL && new->log_file[0] != '\0' &&
	    (cur == NULL || strcmp(cur, new->log_file) != 0))
		ok = log_file_open(new->log_file, err, sizeof(err));
	else
		ok = log_file_reopen(err, sizeof(err));
	if (!ok)
		log_err("%s; still writing to %s", err, cur ? cur :
		    "the log as before");
	if (new != NULL && new->log_file[0] == '\0' && cur != NULL)
		log_warn("log_file was removed from the settings: restart "
		    "tlspind to log elsewhere (still writing to %s)", cur);
}

/* SIGHUP: reload the settings, keeping the old ones if the file is bad. */
static int
tlspind_on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
    void *arg)
{
	struct tlspind *d = arg;
	struct config *c = malloc(sizeof(*c));
	char err[CONFIG_ERR_MAX];

	(void)sd_notify(0, "RELOADING=1\nSTATUS=Reloading settings");
	if (c == NULL || !tlspind_load(d, c, err, sizeof(err))) {
		tlspind_log_reopen(NULL);
		log_err("reload failed, keeping the running settings: %s",
		    c ? err : "out of memory");
	} else {
		tlspind_log_reopen(c);
		tlspind_restart_only(&d->cfg, c);
		log_set_debug(c->debug);
		server_configure(d->srv, c);
		tlspind_nofile(c);
		d->cfg.mode = c->mode;
		memcpy(c->store, d->cfg.store, sizeof(c->store));
		learnd_reload(d->ld, c);
		log_info("reloaded %s: mode = %s, map_name = %s",
		    d->config_file, config_mode_name(c->mode), c->map_name);
	}
	free(c);
	(void)sd_notify(0, "READY=1\nSTATUS=Answering policy queries");
	return 0;
}

static int
tlspind_on_term(sd_event_source *s, const struct signalfd_siginfo *si,
    void *arg)
{
	(void)sd_notify(0, "STOPPING=1");
	log_info("stopping on signal %u", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int
tlspind_on_usr1(sd_event_source *s, const struct signalfd_siginfo *si,
    void *arg)
{
	tlspind_log_stats(arg);
	return 0;
}

/* Every COUNTERS_EVERY seconds: keep the counters for tlspin stats. */
static int
tlspind_on_save(sd_event_source *s, uint64_t usec, void *arg)
{
	struct tlspind *d = arg;

	server_stats_save(d->srv);
	return sd_event_source_set_time(s, usec + COUNTERS_EVERY * 1000000ULL);
}

/* The engine answered pid's lookup of key: a hint for the learner. */
static void
tlspind_on_lookup(void *arg, pid_t pid, const char *key, size_t keylen)
{
	struct tlspind *d = arg;
	struct timespec ts;

	if (pid <= 0)
		return;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	hints_forward_add(d->hf, (uint32_t)pid, (uint64_t)ts.tv_sec, key,
	    keylen);
}

/* The engine's wakeup is over: send its hints in one datagram. */
static void
tlspind_on_wakeup_done(void *arg)
{
	struct tlspind *d = arg;

	hints_forward_flush(d->hf);
}

/* A learner started (fd: its hint channel) or stopped (fd = -1). */
static void
tlspind_on_learner(void *arg, int fd)
{
	struct tlspind *d = arg;

	hints_forward_set_fd(d->hf, fd);
}

/* Wire the engine's lookups to the learner's hint channel. */
static int
tlspind_wire(struct tlspind *d)
{
	const struct server_lookup_hook hook = {
		.answered = tlspind_on_lookup,
		.wakeup_done = tlspind_on_wakeup_done,
		.arg = d,
	};

	d->hf = hints_forward_new();
	d->ld = learnd_new(d->ev, &d->cfg, d->launcher, tlspind_on_learner, d);
	if (d->hf == NULL || d->ld == NULL)
		return 0;
	server_set_lookup_hook(d->srv, &hook);
	return 1;
}

/* Counting the store's domains for metrics_listen. */
struct tlspind_walk {
	struct metrics *m;
	uint64_t now;
};

static int
tlspind_walk_one(void *arg, const char *key, size_t keylen,
    const struct record *r)
{
	struct tlspind_walk *w = arg;

	(void)key;
	(void)keylen;
	w->m->states[r->state]++;
	if (r->reply_len > 0 && (r->expires == 0 || r->expires > w->now))
		w->m->answering++;
	return 0;
}

static int
tlspind_walk_corrupt(void *arg, const char *key, const char *why)
{
	struct tlspind_walk *w = arg;

	(void)key;
	(void)why;
	w->m->corrupt++;
	return 0;
}

/* A walk of store s and the learner's counters into m. */
static int
tlspind_count_store(struct store *s, struct metrics *m, char *err,
    size_t errsz)
{
	struct tlspind_walk w = { m, clock_usec(CLOCK_REALTIME) / 1000000 };
	struct store_info info;
	struct learner_stats ls;

	if (!store_info(s, &info, err, errsz) ||
	    !store_walk(s, NULL, tlspind_walk_one, tlspind_walk_corrupt, &w,
	    err, errsz) ||
	    !learner_stats_load(s, &ls, err, errsz))
		return 0;
	m->have_store = 1;
	m->events = info.events;
	m->map_size = info.map_size;
	m->map_used = info.map_used;
	m->have_learner = 1;
	m->lines = ls.lines;
	m->deliveries = ls.observations;
	m->transitions = ls.transitions;
	m->last_line = ls.last_time;
	return 1;
}

/* The counting child: its own handle on the store (an LMDB environment
 * is not used across fork), the figures written whole to fd (one write,
 * under PIPE_BUF), then gone. Never returns. */
static void
tlspind_count_child(const struct config *cfg, int fd)
{
	struct metrics m;
	struct store *s = NULL;
	char err[STORE_ERR_MAX];
	int ok;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, "tlspind-count");
	memset(&m, 0, sizeof(m));
	ok = store_open(&s, cfg->store, STORE_READONLY | STORE_LOOKUP, err,
	    sizeof(err)) && tlspind_count_store(s, &m, err, sizeof(err));
	if (ok)
		ok = write(fd, &m, sizeof(m)) == (ssize_t)sizeof(m);
	else
		log_warn("metrics_listen: cannot count the store's domains: %s",
		    err);
	_exit(ok ? 0 : 1);
}

static int
tlspind_on_count(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct tlspind *d = arg;
	struct metrics m;

	(void)revents;
	if (read(fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		d->count.m = m;
		d->count.have = 1;
	}
	d->count.io = sd_event_source_disable_unref(src);
	return 0;
}

static int
tlspind_on_count_exit(sd_event_source *src, const siginfo_t *si, void *arg)
{
	struct tlspind *d = arg;

	(void)si;
	d->count.pid = 0;
	d->count.child = sd_event_source_disable_unref(src);
	return 0;
}

/* Start a count unless one runs. */
static void
tlspind_count_start(struct tlspind *d)
{
	int p[2];

	if (d->count.pid > 0 || d->count.io != NULL ||
	    pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return;
	d->count.pid = fork();
	if (d->count.pid == 0) {
		close(p[0]);
		tlspind_count_child(&d->cfg, p[1]);
	}
	close(p[1]);
	if (d->count.pid < 0 ||
	    sd_event_add_io(d->ev, &d->count.io, p[0], EPOLLIN,
	    tlspind_on_count, d) < 0) {
		close(p[0]);
		d->count.pid = d->count.pid < 0 ? 0 : d->count.pid;
		return;
	}
	(void)sd_event_source_set_io_fd_own(d->count.io, 1);
	if (d->count.pid > 0 && sd_event_add_child(d->ev, &d->count.child,
	    d->count.pid, WEXITED, tlspind_on_count_exit, d) < 0)
		d->count.pid = 0;
}

/*
 * metricsd's store figures (it asks at most once a minute): what the
 * last count said, and a new count started. Counting walks every record
 * (34-65 ms for 100k domains), so it runs in a child process, never in
 * the loop that answers Postfix; the figures are thus up to a count
 * behind. 0 until the first count is in (metricsd asks again then).
 */
static int
tlspind_metrics_store(void *arg, struct metrics *m)
{
	struct tlspind *d = arg;

	tlspind_count_start(d);
	if (!d->count.have)
		return 0;
	m->have_store = d->count.m.have_store;
	memcpy(m->states, d->count.m.states, sizeof(m->states));
	m->answering = d->count.m.answering;
	m->corrupt = d->count.m.corrupt;
	m->events = d->count.m.events;
	m->map_size = d->count.m.map_size;
	m->map_used = d->count.m.map_used;
	m->have_learner = d->count.m.have_learner;
	m->lines = d->count.m.lines;
	m->deliveries = d->count.m.deliveries;
	m->transitions = d->count.m.transitions;
	m->last_line = d->count.m.last_line;
	return 1;
}

/* metrics_listen, when set: the endpoint on its own listener. */
static int
tlspind_metrics(struct tlspind *d, char *err, size_t errsz)
{
	if (d->cfg.metrics_listen[0] == '\0')
		return 1;
	d->md = metricsd_new(d->ev, d->srv, tlspind_metrics_store, d);
	if (d->md == NULL) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	if (!metricsd_listen(d->md, d->cfg.metrics_listen, err, errsz))
		return 0;
	tlspind_count_start(d);	/* so that the first scrape has them */
	return 1;
}

/* Set up the loop, signals, server; 0 with err on failure. A store that
 * does not open is no failure (lookups answer TEMP until it does): then
 * warn gets the reason. */
static int
tlspind_start(struct tlspind *d, char *err, size_t errsz, char *warn,
    size_t warnsz)
{
	sigset_t ss;
	sd_event_source *save;
	uint64_t now;
	int n;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGCHLD);	/* the learner, via sd_event_add_child */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) != 0 ||
	    sd_event_default(&d->ev) < 0 ||
	    sd_event_add_signal(d->ev, NULL, SIGTERM, tlspind_on_term, d) < 0 ||
	    sd_event_add_signal(d->ev, NULL, SIGINT, tlspind_on_term, d) < 0 ||
	    sd_event_add_signal(d->ev, NULL, SIGHUP, tlspind_on_hup, d) < 0 ||
	    sd_event_add_signal(d->ev, NULL, SIGUSR1, tlspind_on_usr1, d) < 0 ||
	    sd_event_now(d->ev, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_add_time(d->ev, &save, CLOCK_MONOTONIC,
	    now + COUNTERS_EVERY * 1000000ULL, 100000ULL, tlspind_on_save,
	    d) < 0 ||
	    sd_event_set_watchdog(d->ev, 1) < 0) {
		snprintf(err, errsz, "cannot set up the event loop");
		return 0;
	}
	(void)sd_event_source_set_enabled(save, SD_EVENT_ON);
	d->srv = server_new(d->ev, &d->cfg);
	if (d->srv == NULL) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	tlspind_nofile(&d->cfg);
	n = sd_listen_fds(1);
	if (!tlspind_pidfile_claim(d, err, errsz) ||
	    !server_listen(d->srv, n, err, errsz) ||
	    !tlspind_metrics(d, err, errsz) ||
	    !tlspind_drop(&d->cfg, d->config_file, err, errsz))
		return 0;
	if (!server_open_store(d->srv, warn, warnsz))
		log_warn("starting without a store: every lookup answers "
		    "%s until %s opens", d->cfg.mode == MODE_OBSERVE ?
		    "NOTFOUND (mode = observe)" : "TEMP, so Postfix defers "
		    "mail,", d->cfg.store);
	else
		server_stats_save(d->srv);	/* tlspin stats: running now */
	if (!tlspind_wire(d)) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	log_info("answering map %s on %s%s, mode = %s, store %s",
	    d->cfg.map_name, n > 0 ? "sockets from systemd" :
	    d->cfg.listen[0], n <= 0 && d->cfg.nlisten > 1 ? " and more" : "",
	    config_mode_name(d->cfg.mode), d->cfg.store);
	return 1;
}

/* --check-config found a store problem: say it, and what it means. */
static int
tlspind_check_bad(const struct config *c, const char *err)
{
	fprintf(stderr, "tlspind: %s\ntlspind: with this store every lookup "
	    "answers %s until it is fixed\n", err, c->mode == MODE_OBSERVE ?
	    "NOTFOUND (mode = observe: nothing is enforced)" :
	    "TEMP (Postfix defers the mail)");
	return TLSPIND_EXIT_STORE;
}

/* A store directory that does not exist yet: tlspind makes it (one
 * level: mkdir) if its parent exists. */
static int
tlspind_check_missing(const struct config *c)
{
	char parent[4096], err[4200];
	char *slash;
	struct stat sb;

	memcpy(parent, c->store, sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash != NULL)
		*(slash == parent ? slash + 1 : slash) = '\0';
	if (slash == NULL || (stat(parent, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		printf("# store %s: does not exist yet; tlspind creates it at "
		    "its first start (%s must be writable by the user it runs "
		    "as)\n", c->store, slash ? parent : ".");
		return 0;
	}
	errbuf_printf(err, sizeof(err), "store %s cannot be created: its parent "
	    "directory %s does not exist (create it, or set store)", c->store,
	    parent);
	return tlspind_check_bad(c, err);
}

/*
 * What tlspind would find in its store, opened read-only: never created,
 * migrated nor write-locked, and without making a lock.mdb when there is
 * none (it would belong to whoever ran this). as: the user we check as.
 */
static int
tlspind_check_store(const struct config *c, const char *as)
{
	char path[4200], err[STORE_ERR_MAX];
	struct store *s;
	struct store_info info;
	struct stat sb;
	int flags = STORE_READONLY;

	if (stat(c->store, &sb) != 0 && errno == ENOENT)
		return tlspind_check_missing(c);
	if (!store_trusted(c->store, err, sizeof(err)))
		return tlspind_check_bad(c, err);
	snprintf(path, sizeof(path), "%s/data.mdb", c->store);
	if (S_ISDIR(sb.st_mode) && stat(path, &sb) != 0 && errno == ENOENT) {
		printf("# store %s: empty; tlspind creates its databases at "
		    "its first start\n", c->store);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/lock.mdb", c->store);
	if (stat(path, &sb) != 0 && errno == ENOENT)
		flags |= STORE_NOLOCK;
	if (!store_open(&s, c->store, flags, err, sizeof(err)))
		return tlspind_check_bad(c, err);
	if (!store_info(s, &info, err, sizeof(err))) {
		store_close(s);
		return tlspind_check_bad(c, err);
	}
	printf("# store %s: schema %u, %zu domain%s", c->store, info.schema,
	    info.domains, info.domains == 1 ? "" : "s");
	if (info.schema == STORE_SCHEMA)
		printf(", %zu with a reply for Postfix", info.replies);
	else
		printf(" (schema 1: the learner, or a tlspin command that "
		    "writes, moves it to schema %u)", STORE_SCHEMA);
	printf("; read as %s\n", as);
	store_close(s);
	return 0;
}

/*
 * --check-config, after the settings: the store, as the user tlspind
 * would run as (started as root with user set: a child switches to it,
 * so a store only root may read shows). 0 good, 1 tlspind would not
 * start, 3 every lookup would fail.
 */
static int
tlspind_check(struct tlspind *d)
{
	struct passwd *pw = getpwuid(geteuid());
	char err[CONFIG_ERR_MAX], me[64];
	pid_t pid;
	int st, rc;

	if (pw != NULL)
		snprintf(me, sizeof(me), "%s", pw->pw_name);
	else
		snprintf(me, sizeof(me), "uid %lu", (unsigned long)geteuid());
	fflush(stdout);
	if (geteuid() != 0 || d->cfg.user[0] == '\0' ||
	    strcmp(d->cfg.user, "root") == 0)
		return tlspind_check_store(&d->cfg, me);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "tlspind: cannot check the store: fork: %s\n",
		    strerror(errno));
		return 1;
	}
	if (pid == 0) {
		rc = tlspind_drop(&d->cfg, d->config_file, err, sizeof(err)) ?
		    tlspind_check_store(&d->cfg, d->cfg.user) : 1;
		if (rc == 1)
			fprintf(stderr, "tlspind: %s\n", err);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* A start that failed: say why where the admin looks, and stop. */
static int
tlspind_fail(struct tlspind *d, const char *err)
{
	log_err("%s", err);
	/* started in the foreground with log_file: the terminal, too */
	if (d->ready_fd == -2 && log_file_path() != NULL)
		fprintf(stderr, "tlspind: %s\n", err);
	tlspind_report(d, err, NULL);
	tlspind_pidfile_remove(d);
	return 1;
}

/* Before detaching: log_file, so a path that cannot be opened is said
 * on the terminal. */
static int
tlspind_log_open(struct tlspind *d)
{
	char err[4200];

	if (d->cfg.log_file[0] == '\0' ||
	    log_file_open(d->cfg.log_file, err, sizeof(err)))
		return 1;
	fprintf(stderr, "tlspind: %s\n", err);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tlspind *d = calloc(1, sizeof(*d));
	char err[CONFIG_ERR_MAX + 64], warn[STORE_ERR_MAX + 80];
	int check = 0, rc;

	/* CAP_SETGID (tlspind.service) waits, unusable, for the launcher */
	caps_park();
	if (d == NULL)
		return 1;
	d->config_file = TLSPIN_CONFIG_FILE;
	d->ready_fd = -1;
	d->pid_fd = -1;
	log_init("tlspind", getenv("JOURNAL_STREAM") ? LOG_TARGET_JOURNAL :
	    LOG_TARGET_STDERR);
	tlspind_args(d, argc, argv, &check);
	if (!tlspind_load(d, &d->cfg, err, sizeof(err))) {
		log_err("%s", err);
		free(d);
		return 1;
	}
	if (check) {
		tlspind_print_config(&d->cfg);
		rc = tlspind_check(d);
		free(d);
		return rc;
	}
	log_set_debug(d->cfg.debug);
	if (!tlspind_log_open(d)) {
		free(d);
		return 1;
	}
	if (d->ready_fd == -1)
		tlspind_daemonize(d);
	/* before any socket, the store or a change of user: see prober.c */
	d->launcher = prober_launcher_start(&d->cfg);
	caps_drop();
	warn[0] = '\0';
	if (!tlspind_start(d, err, sizeof(err), warn, sizeof(warn)) ||
	    !tlspind_pidfile_write(d, err, sizeof(err)))
		return tlspind_fail(d, err);
	tlspind_report(d, NULL, warn[0] ? warn : NULL);
	/* after the report: the learner must not hold the starter's stdio */
	learnd_start(d->ld);
	(void)sd_notify(0, "READY=1\nSTATUS=Answering policy queries");
	rc = server_run(d->srv);
	learnd_free(d->ld);
	hints_forward_free(d->hf);
	tlspind_log_stats(d);
	server_stats_save(d->srv);
	metricsd_free(d->md);
	d->count.io = sd_event_source_disable_unref(d->count.io);
	d->count.child = sd_event_source_disable_unref(d->count.child);
	server_free(d->srv);
	sd_event_unref(d->ev);
	tlspind_pidfile_remove(d);
	free(d);
	return rc < 0 ? 1 : 0;
}
