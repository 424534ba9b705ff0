/*
 * NAME
 *	server - serve Postfix's socketmap connections
 * SYNOPSIS
 *	#include "server.h"
 *
 *	struct server *server_new(ev, cfg)
 *	int server_listen(srv, activated, err, errsz)
 *	int server_run(srv)
 *	void server_set_lookup_hook(srv, hook)
 * DESCRIPTION
 *	server_run() is the daemon's main loop. Client sockets sit on an
 *	epoll set of our own that also holds sd-event's fd: one wakeup
 *	serves every ready connection with no more system calls than a read
 *	and a write each, and sd-event (signals, timers, listeners, the
 *	learner) runs an iteration only when it has work. Postfix's smtp processes
 *	each keep a connection open and send one netstring request at a
 *	time; answer_request() (answer.c) turns each into one reply. After
 *	each request with a valid key the lookup hook hears (peer pid, key),
 *	and once more when the wakeup's requests are all answered: the
 *	daemon forwards these to the learner (tlspind.c, hints.c).
 *
 *	Memory stays small with many idle connections: bytes are read into
 *	one shared buffer and replies built in another; a connection holds
 *	heap memory only while it has a partial request (at most one read's
 *	worth) or unsent replies (at most one write buffer), and it stops
 *	being read while replies are unsent. A timer sweeps connections once
 *	a second: idle ones go after idle_timeout, ones with a partial
 *	request or unread replies after read_timeout. Over max_clients a new
 *	connection gets "TEMP too many connections" and is closed; so does
 *	one that comes when the open-file limit is reached (a descriptor
 *	is kept spare to accept it with).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "answer.h"
#include "clock.h"
#include "counters.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "store.h"

#define SERVER_READ_MAX 4096	/* bytes read per read(2) */
#define SERVER_WRITE_MAX 16384	/* replies buffered before a write(2) */
#define USEC 1000000ULL

struct conn {
	struct server *srv;
	int fd;			/* on srv->epfd, with this conn as data */
	pid_t pid;		/* peer pid on Unix sockets, else 0 */
	uint64_t last_active;	/* monotonic usec */
	uint64_t partial_since;	/* monotonic usec; 0 = no partial input */
	char *in;		/* partial request bytes */
	size_t inlen;
	char *out;		/* replies not yet written */
	size_t outlen, outoff;
	int closing;		/* close once out is written */
	struct conn *prev, *next;
};

struct listener {
	sd_event_source *io;
	int fd;
	char unlink_path[CONFIG_ADDR_MAX];	/* socket file we made */
};

struct server {
	sd_event *ev;
	struct config cfg;
	struct answer *answer;	/* the replies, the store, their counters */
	struct server_lookup_hook hook;	/* told of each lookup */
	struct listener listeners[CONFIG_LISTEN_MAX];
	unsigned nlisteners;
	struct conn *conns;
	unsigned nconns;
	int epfd;		/* client connections and sd-event's fd */
	int spare_fd;		/* freed to refuse a client at EMFILE */
	sd_event_source *sweep;
	uint64_t last_warn;	/* rate limit for repeated warnings */
	struct server_stats stats;
	char rbuf[SERVER_READ_MAX + NETSTRING_REQUEST_MAX + 16];
	char wbuf[SERVER_WRITE_MAX];
	size_t wlen;
};

static void server_conn_close(struct conn *c);
static void server_conn_input(struct conn *c, size_t len);

/* Monotonic time in usec, from the vDSO. Not sd_event_now(): the
 * clients are served outside sd-event's iterations (server_run). */
static uint64_t
server_now(struct server *srv)
{
	(void)srv;
	return clock_usec(CLOCK_MONOTONIC);
}

/* Log a warning at most once every 10 s, so a flood cannot fill logs. */
static int
server_warn_allowed(struct server *srv)
{
	return clock_every(&srv->last_warn, 10 * USEC);
}

/* Turn reading on or off for a connection. */
static void
server_conn_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	(void)epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write srv->wbuf (and anything pending) to c; keep the rest pending.
 * Returns 0 if the connection was closed. */
static int
server_conn_flush(struct conn *c)
{
	struct server *srv = c->srv;
	ssize_t n;

	if (srv->wlen == 0)
		return 1;
	n = write(c->fd, srv->wbuf, srv->wlen);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		srv->wlen = 0;
		server_conn_close(c);
		return 0;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < srv->wlen) {
		c->out = malloc(srv->wlen - (size_t)n);
		if (c->out == NULL) {
			srv->wlen = 0;
			server_conn_close(c);
			return 0;
		}
		memcpy(c->out, srv->wbuf + n, srv->wlen - (size_t)n);
		c->outlen = srv->wlen - (size_t)n;
		c->outoff = 0;
		server_conn_events(c, EPOLLOUT);
	}
	srv->wlen = 0;
	return 1;
}

/* Keep bytes [from, len) of rbuf as the connection's partial input. */
static int
server_conn_keep(struct conn *c, size_t from, size_t len)
{
	char *p;

	if (from == len) {
		free(c->in);
		c->in = NULL;
		c->inlen = 0;
		c->partial_since = 0;
		return 1;
	}
	if (from == 0 && c->in != NULL && c->inlen == len)
		return 1;
	p = realloc(c->in, len - from);
	if (p == NULL)
		return 0;
	memmove(p, c->srv->rbuf + from, len - from);
	c->in = p;
	c->inlen = len - from;
	if (c->partial_since == 0)
		c->partial_since = server_now(c->srv);
	return 1;
}

/* Answer every complete request in rbuf[0, len). */
static void
server_conn_input(struct conn *c, size_t len)
{
	struct server *srv = c->srv;
	const char *key;
	size_t off = 0, used, keylen;
	int close_after = 0;

	srv->wlen = 0;
	while (off < len && !close_after && c->out == NULL) {
		srv->wlen += answer_request(srv->answer, srv->rbuf + off,
		    len - off, srv->wbuf + srv->wlen,
		    sizeof(srv->wbuf) - srv->wlen, &used, &close_after);
		if (used == 0)
			break;
		off += used;
		key = answer_key(srv->answer, &keylen);
		if (key != NULL && srv->hook.answered != NULL)
			srv->hook.answered(srv->hook.arg, c->pid, key, keylen);
		c->partial_since = 0;
		if (sizeof(srv->wbuf) - srv->wlen < ANSWER_REPLY_MAX &&
		    !server_conn_flush(c))
			return;
	}
	if (close_after)
		c->closing = 1;
	if (!server_conn_keep(c, off, len) || !server_conn_flush(c))
		return;
	if (c->closing && c->out == NULL)
		server_conn_close(c);
}

/* Read what the peer sent, after any partial request already held. */
static void
server_conn_read(struct conn *c)
{
	struct server *srv = c->srv;
	size_t have = c->inlen;
	ssize_t n;

	if (have > 0)
		memcpy(srv->rbuf, c->in, have);
	n = read(c->fd, srv->rbuf + have, SERVER_READ_MAX);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: a half-closed peer gets no more replies */
		server_conn_close(c);
		return;
	}
	c->last_active = server_now(srv);
	server_conn_input(c, have + (size_t)n);
}

/* Write pending replies; once all are out, read and answer again. */
static void
server_conn_write(struct conn *c)
{
	ssize_t n;

	n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		server_conn_close(c);
		return;
	}
	c->last_active = server_now(c->srv);
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	if (c->closing) {
		server_conn_close(c);
		return;
	}
	server_conn_events(c, EPOLLIN);
	if (c->inlen > 0) {
		memcpy(c->srv->rbuf, c->in, c->inlen);
		server_conn_input(c, c->inlen);
	}
}

/*
 * Wait for client connections and serve them until sd-event has work.
 * The clients live on our own epoll set, which also holds sd-event's
 * fd: a request costs one epoll_wait, one read and one write, as in the
 * simplest server. (Run by sd-event as one source among others, each
 * request also paid sd-event's own epoll_wait, a gettid and its
 * bookkeeping.) One read transaction serves every lookup of a wakeup.
 */
static void
server_wait(struct server *srv)
{
	struct epoll_event ev[128];
	struct store *st;
	struct conn *c;
	int i, n, loop = 0;

	while (!loop) {
		n = epoll_wait(srv->epfd, ev, 128, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;	/* cannot happen; let sd-event run */
		st = answer_store(srv->answer);
		if (st != NULL)
			(void)store_read_hold(st);
		for (i = 0; i < n; i++) {
			c = ev[i].data.ptr;
			if (c == NULL)
				loop = 1;	/* sd-event's fd */
			else if (ev[i].events & EPOLLOUT)
				server_conn_write(c);
			else
				server_conn_read(c);
		}
		if (st != NULL)
			store_read_release(st);
		if (srv->hook.wakeup_done != NULL)
			srv->hook.wakeup_done(srv->hook.arg);
	}
}

/*
 * The daemon's main loop, instead of sd_event_loop(): sd-event (signals,
 * timers, listeners, the learner) is embedded through its fd, and the
 * clients are served between its iterations. Returns the exit code given
 * to sd_event_exit(), or a negative errno.
 */
int
server_run(struct server *srv)
{
	sd_event *e = srv->ev;
	int r, code = 0;

	for (;;) {
		r = sd_event_prepare(e);
		if (r == 0) {
			server_wait(srv);
			r = sd_event_wait(e, 0);
		}
		if (r > 0)
			r = sd_event_dispatch(e);
		if (r < 0)
			return r;
		if (sd_event_get_state(e) == SD_EVENT_FINISHED)
			return sd_event_get_exit_code(e, &code) < 0 ? 0 : code;
	}
}

/* Close a connection and free it. */
static void
server_conn_close(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	/* leave srv->epfd explicitly: close() alone does not while a copy of
	 * the descriptor lives on (a learner just forked holds copies until
	 * it closes them), and the next event would use the freed conn */
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Close connections that idled or stalled too long; runs every second. */
static int
server_sweep(sd_event_source *s, uint64_t when, void *arg)
{
	struct server *srv = arg;
	uint64_t usec = server_now(srv);
	struct conn *c, *next;
	uint64_t idle = srv->cfg.idle_timeout * USEC;
	uint64_t slow = srv->cfg.read_timeout * USEC;

	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if ((c->partial_since && usec - c->partial_since > slow) ||
		    (c->out && usec - c->last_active > slow) ||
		    usec - c->last_active > idle) {
			srv->stats.timeouts++;
			log_debug("closing connection fd %d: %s", c->fd,
			    c->partial_since || c->out ? "request or reply "
			    "stalled past read_timeout" : "idle_timeout");
			server_conn_close(c);
		}
	}
	if (srv->nconns == 0)
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return sd_event_source_set_time(s, usec + USEC);
}

/* Refuse a connection over max_clients with a reply Postfix logs. */
static void
server_refuse(struct server *srv, int fd)
{
	char buf[128];
	size_t n;
	static const char why[] = "tlspin: too many connections (raise "
	    "max_clients)";

	srv->stats.refused++;
	n = answer_reply(buf, sizeof(buf), "TEMP", why, sizeof(why) - 1);
	if (write(fd, buf, n) < 0) {
		/* the peer is gone: nothing to tell it */
	}
	close(fd);
	if (server_warn_allowed(srv))
		log_warn("refused a connection: %u clients connected, "
		    "max_clients = %u%s", srv->nconns, srv->cfg.max_clients,
		    srv->nconns < srv->cfg.max_clients ? " (out of file "
		    "descriptors: raise the open-file limit)" : "");
}

/*
 * Out of file descriptors (EMFILE/ENFILE: the open-file limit is below
 * max_clients): free the spare descriptor kept for this, accept and
 * refuse the client, take the spare back. Without it the client would
 * wait unanswered in the backlog while the listener, still readable,
 * made the loop spin on accept(2). 1 if a client was refused.
 */
static int
server_refuse_spare(struct server *srv, int lfd)
{
	int fd;

	if (srv->spare_fd < 0)
		return 0;
	close(srv->spare_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		server_refuse(srv, fd);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

/* Set up a new connection. */
static void
server_conn_new(struct server *srv, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	c = calloc(1, sizeof(*c));
	ev.data.ptr = c;
	if (c == NULL || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		c->pid = cred.pid;
	c->last_active = server_now(srv);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	if (srv->nconns++ == 0) {
		(void)sd_event_source_set_time(srv->sweep,
		    c->last_active + USEC);
		(void)sd_event_source_set_enabled(srv->sweep, SD_EVENT_ON);
	}
	srv->stats.connections++;
}

/* sd-event callback for a listening socket: accept all that wait. */
static int
server_accept(sd_event_source *s, int lfd, uint32_t revents, void *arg)
{
	struct server *srv = arg;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    server_refuse_spare(srv, lfd))
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED && server_warn_allowed(srv))
				log_warn("accept: %s", strerror(errno));
			return 0;
		}
		if (srv->nconns >= srv->cfg.max_clients)
			server_refuse(srv, fd);
		else
			server_conn_new(srv, fd);
	}
}

/* Create the server; nothing listens until server_listen(). */
struct server *
server_new(sd_event *ev, const struct config *cfg)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct epoll_event loopev;

	if (srv == NULL)
		return NULL;
	srv->ev = ev;
	srv->cfg = *cfg;
	srv->answer = answer_new(cfg);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	loopev.events = EPOLLIN;
	loopev.data.ptr = NULL;	/* sd-event's fd: see server_wait */
	if (srv->answer == NULL || srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD,
	    sd_event_get_fd(ev), &loopev) != 0 || sd_event_add_time(ev,
	    &srv->sweep, CLOCK_MONOTONIC, 0, USEC / 10, server_sweep,
	    srv) < 0) {
		if (srv->epfd >= 0)
			close(srv->epfd);
		if (srv->spare_fd >= 0)
			close(srv->spare_fd);
		answer_free(srv->answer);
		free(srv);
		return NULL;
	}
	(void)sd_event_source_set_enabled(srv->sweep, SD_EVENT_OFF);
	return srv;
}

/* Open the store now, so a problem shows at start; 1 if it opened, else
 * 0 with the reason in err. */
int
server_open_store(struct server *srv, char *err, size_t errsz)
{
	return answer_open_store(srv->answer, err, errsz);
}

/* Save the counters for tlspin stats in the store directory: a file,
 * never an LMDB write, which would wait for LMDB's write lock (see
 * counters.c). About 0.2 ms a save on ext4, most of it the rename. */
void
server_stats_save(struct server *srv)
{
	struct server_stats *st = &srv->stats;
	char buf[COUNTERS_MAX], err[STORE_ERR_MAX];
	uint64_t now = 0;
	int n;

	if (answer_store(srv->answer) == NULL)
		return;
	(void)server_stats(srv);
	now = clock_usec(CLOCK_REALTIME);
	n = snprintf(buf, sizeof(buf), "saved=%llu\nmode=%s\nclients=%u\n"
	    "connections=%llu\nrefused=%llu\ntimeouts=%llu\nrequests=%llu\n"
	    "ok=%llu\nnotfound=%llu\ntemp=%llu\nperm=%llu\nobserved=%llu\n",
	    (unsigned long long)(now / USEC), config_mode_name(srv->cfg.mode),
	    srv->nconns, (unsigned long long)st->connections,
	    (unsigned long long)st->refused, (unsigned long long)st->timeouts,
	    (unsigned long long)st->requests, (unsigned long long)st->ok,
	    (unsigned long long)st->notfound, (unsigned long long)st->temp,
	    (unsigned long long)st->perm, (unsigned long long)st->observed);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if (!counters_save(srv->cfg.store, buf, (size_t)n, err, sizeof(err)) &&
	    server_warn_allowed(srv))
		log_warn("cannot save counters: %s", err);
}

/* Apply settings that can change on reload. */
void
server_configure(struct server *srv, const struct config *cfg)
{
	answer_configure(srv->answer, cfg);
	srv->cfg.mode = cfg->mode;
	srv->cfg.max_clients = cfg->max_clients;
	srv->cfg.idle_timeout = cfg->idle_timeout;
	srv->cfg.read_timeout = cfg->read_timeout;
	srv->cfg.postfix_compat = cfg->postfix_compat;
	memcpy(srv->cfg.map_name, cfg->map_name, sizeof(cfg->map_name));
}

/* Bind a Unix socket at path with the configured mode and group. */
static int
server_bind_unix(struct server *srv, struct listener *l, const char *path,
    char *err, size_t errsz)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	struct group *gr = NULL;
	mode_t old;
	int fd, rc;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (srv->cfg.unix_group[0] != '\0' &&
	    (gr = getgrnam(srv->cfg.unix_group)) == NULL) {
		snprintf(err, errsz, "unix_group %s: no such group",
		    srv->cfg.unix_group);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto syserr;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errsz, "cannot listen on %s: a file "
			    "that is not a socket is in the way", path);
			close(fd);
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			snprintf(err, errsz, "cannot listen on %s: another "
			    "tlspind answers there", path);
			close(fd);
			return -1;
		}
		unlink(path);	/* stale socket of a stopped tlspind */
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto syserr;
	}
	old = umask(0777);	/* nobody connects before chmod below */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || chmod(path, srv->cfg.unix_mode) != 0 ||
	    (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) != 0)) {
		snprintf(err, errsz, "cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(l->unlink_path, path, strlen(path) + 1);
	return fd;
syserr:
	snprintf(err, errsz, "cannot create a socket for %s: %s", path,
	    strerror(errno));
	return -1;
}

/* Bind a TCP socket to "HOST:PORT" ("[::1]:PORT" for IPv6). */
static int
server_bind_inet(const char *hostport, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE }, *res = NULL;
	char host[CONFIG_ADDR_MAX];
	const char *colon = strrchr(hostport, ':');
	size_t hlen = (size_t)(colon - hostport);
	int fd = -1, on = 1, rc;

	if (hlen >= 2 && hostport[0] == '[' && hostport[hlen - 1] == ']') {
		hostport++;
		hlen -= 2;
	}
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsz, "cannot listen on inet:%s: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		snprintf(err, errsz, "cannot listen on inet:%s:%s: %s", host,
		    colon + 1, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Bind "unix:PATH" or "inet:HOST:PORT" for another listener of tlspind
 * (metricsd.c), as listen's addresses are bound; the socket file to
 * remove at the end goes to unlink_path ("" for inet). The fd, or -1
 * with err. */
int
server_bind(struct server *srv, const char *addr,
    char unlink_path[CONFIG_ADDR_MAX], char *err, size_t errsz)
{
	struct listener l = { .fd = -1 };
	int fd;

	fd = strncmp(addr, "unix:", 5) == 0 ?
	    server_bind_unix(srv, &l, addr + 5, err, errsz) :
	    server_bind_inet(addr + 5, err, errsz);
	memcpy(unlink_path, l.unlink_path, CONFIG_ADDR_MAX);
	return fd;
}

/* Watch one listening fd. */
static int
server_add_listener(struct server *srv, int fd, char *err, size_t errsz)
{
	struct listener *l = &srv->listeners[srv->nlisteners];

	if (listen(fd, 1024) != 0 || sd_event_add_io(srv->ev, &l->io, fd,
	    EPOLLIN, server_accept, srv) < 0) {
		snprintf(err, errsz, "cannot listen: %s", strerror(errno));
		close(fd);
		return 0;
	}
	l->fd = fd;
	srv->nlisteners++;
	return 1;
}

/* Listen on the configured addresses, or on the sockets systemd passed
 * (activated = number of LISTEN_FDS). */
int
server_listen(struct server *srv, int activated, char *err, size_t errsz)
{
	unsigned i;
	int fd;

	if (activated > CONFIG_LISTEN_MAX) {
		snprintf(err, errsz, "systemd passed %d sockets; at most %d "
		    "are supported", activated, CONFIG_LISTEN_MAX);
		return 0;
	}
	for (i = 0; activated > 0 && i < (unsigned)activated; i++) {
		fd = SD_LISTEN_FDS_START + (int)i;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
		    !server_add_listener(srv, fd, err, errsz))
			return 0;
	}
	for (i = 0; activated <= 0 && i < srv->cfg.nlisten; i++) {
		const char *a = srv->cfg.listen[i];
		struct listener *l = &srv->listeners[srv->nlisteners];

		fd = strncmp(a, "unix:", 5) == 0 ?
		    server_bind_unix(srv, l, a + 5, err, errsz) :
		    server_bind_inet(a + 5, err, errsz);
		if (fd < 0 || !server_add_listener(srv, fd, err, errsz))
			return 0;
	}
	return 1;
}

/* Stop listening, close every connection and the store. */
void
server_free(struct server *srv)
{
	unsigned i;

	if (srv == NULL)
		return;
	while (srv->conns)
		server_conn_close(srv->conns);
	for (i = 0; i < srv->nlisteners; i++) {
		sd_event_source_disable_unref(srv->listeners[i].io);
		close(srv->listeners[i].fd);
		if (srv->listeners[i].unlink_path[0] != '\0')
			unlink(srv->listeners[i].unlink_path);
	}
	sd_event_source_disable_unref(srv->sweep);
	close(srv->epfd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	answer_free(srv->answer);
	free(srv);
}

/* Counters since start: the connections' and the answers'. */
const struct server_stats *
server_stats(struct server *srv)
{
	const struct answer_stats *a = answer_stats(srv->answer);

	srv->stats.requests = a->requests;
	srv->stats.ok = a->ok;
	srv->stats.notfound = a->notfound;
	srv->stats.temp = a->temp;
	srv->stats.perm = a->perm;
	srv->stats.observed = a->observed;
	return &srv->stats;
}

/* Who hears of each lookup (the daemon, for the learner); NULL: nobody. */
void
server_set_lookup_hook(struct server *srv,
    const struct server_lookup_hook *hook)
{
	static const struct server_lookup_hook none;

	srv->hook = hook != NULL ? *hook : none;
}

/* The store the lookups read, or NULL while it does not open. */
struct store *
server_store(struct server *srv)
{
	return answer_store(srv->answer);
}

/* 1 in mode = observe (as the last load or reload set it). */
int
server_observe(const struct server *srv)
{
	return srv->cfg.mode == MODE_OBSERVE;
}

/* Connections open now. */
unsigned
server_clients(const struct server *srv)
{
	return srv->nconns;
}
