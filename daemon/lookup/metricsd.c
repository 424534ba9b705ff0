/*
 * NAME
 *	metricsd - tlspind's Prometheus endpoint (metrics_listen)
 * SYNOPSIS
 *	#include "metricsd.h"
 *
 *	struct metricsd *metricsd_new(ev, srv, store_fn, arg)
 *	int metricsd_listen(md, addr, err, errsz)
 *	void metricsd_free(md)
 * DESCRIPTION
 *	A minimal HTTP/1.0 server on one listener of its own, run by
 *	sd-event between the lookups' wakeups (server.c), never on their
 *	path: "GET /metrics" gets 200 and the exposition of metrics.c
 *	(Content-Type text/plain; version=0.0.4), another path 404, another
 *	method 405; one response, then the connection closes.
 *
 *	A scraper is bounded: the request line and headers (up to the
 *	blank line) fit in METRICSD_REQUEST_MAX bytes or get 414/431, they
 *	arrive within METRICSD_TIMEOUT seconds (and the response is taken
 *	within them) or the connection closes, and beyond METRICSD_CLIENTS
 *	at once a scraper gets 503.
 *
 *	The lookup counters are the server's own, live (server_stats). The
 *	store's figures (pins by state, sizes, the learner's counters) need
 *	a walk of the store, which the daemon's only thread must never do:
 *	store_fn gives the figures it has (tlspind counts in a child process
 *	and keeps what the last count said) and is asked at most once every
 *	METRICSD_STORE_EVERY seconds, on a scrape, or at every scrape until
 *	it has some.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "log.h"
#include "metricsd.h"

#define USEC 1000000ULL

struct metricsd_conn {
	struct metricsd *md;
	int fd;
	sd_event_source *io, *timer;
	char in[METRICSD_REQUEST_MAX];
	size_t inlen;
	char *out;		/* the response, once there is one */
	size_t outlen, outoff;
	struct metricsd_conn *prev, *next;
};

struct metricsd {
	sd_event *ev;
	struct server *srv;
	metricsd_store_fn store_fn;
	void *arg;
	int fd;
	sd_event_source *io;
	char unlink_path[CONFIG_ADDR_MAX];
	struct metricsd_conn *conns;
	unsigned nconns;
	struct metrics store;	/* the store's figures, as last filled */
	uint64_t store_at;	/* monotonic usec they were; 0: never */
	int store_ok;
	uint64_t last_warn;
};

/* Close a scraper's connection and free it. */
static void
metricsd_conn_close(struct metricsd_conn *c)
{
	struct metricsd *md = c->md;

	if (c->prev)
		c->prev->next = c->next;
	else
		md->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	md->nconns--;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	free(c->out);
	free(c);
}

/* The store's figures, refreshed when older than METRICSD_STORE_EVERY. */
static void
metricsd_store(struct metricsd *md)
{
	uint64_t now = clock_usec(CLOCK_MONOTONIC);

	if (md->store_at != 0 && now - md->store_at < METRICSD_STORE_EVERY *
	    USEC)
		return;
	memset(&md->store, 0, sizeof(md->store));
	md->store_ok = md->store_fn != NULL && md->store_fn(md->arg,
	    &md->store);
	/* none yet (the first count still runs): ask again at the next scrape */
	if (md->store_ok)
		md->store_at = now;
}

/* The exposition now into buf; its length, or 0 if it did not fit. */
static size_t
metricsd_render(struct metricsd *md, char *buf, size_t bufsz)
{
	const struct server_stats *st = server_stats(md->srv);
	struct metrics m;
	size_t len;

	metricsd_store(md);
	m = md->store;
	m.now = clock_usec(CLOCK_REALTIME) / USEC;
	m.have_counters = 1;
	m.saved = m.now;
	m.observe = server_observe(md->srv);
	m.clients = server_clients(md->srv);
	m.connections = st->connections;
	m.refused = st->refused;
	m.timeouts = st->timeouts;
	m.ok = st->ok;
	m.notfound = st->notfound;
	m.temp = st->temp;
	m.perm = st->perm;
	m.observed = st->observed;
	len = metrics_render(&m, buf, bufsz);
	return len < bufsz ? len : 0;
}

/* Queue the response: status, headers, body; then write it. */
static void
metricsd_respond(struct metricsd_conn *c, const char *status,
    const char *extra, const char *body, size_t bodylen)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
	    bodylen > 0 && strncmp(status, "200", 3) == 0 ?
	    METRICS_CONTENT_TYPE : "text/plain; charset=utf-8", bodylen,
	    extra);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (c->out = malloc((size_t)n + bodylen)) == NULL) {
		metricsd_conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)n);
	memcpy(c->out + n, body, bodylen);
	c->outlen = (size_t)n + bodylen;
	(void)sd_event_source_set_io_events(c->io, EPOLLOUT);
}

/* An error response with its reason as the body. */
static void
metricsd_error(struct metricsd_conn *c, const char *status,
    const char *extra, const char *why)
{
	metricsd_respond(c, status, extra, why, strlen(why));
}

/* The whole request is in: answer its request line. */
static void
metricsd_request(struct metricsd_conn *c)
{
	static char body[METRICS_MAX];
	const char *sp = memchr(c->in, ' ', c->inlen), *path, *end;
	size_t plen, len;

	if (sp == NULL) {
		metricsd_error(c, "400 Bad Request", "", "expected "
		    "GET /metrics HTTP/1.0\n");
		return;
	}
	path = sp + 1;
	end = path;
	while (end < c->in + c->inlen && *end != ' ' && *end != '\r' &&
	    *end != '\n' && *end != '?')
		end++;
	plen = (size_t)(end - path);
	if (plen != 8 || memcmp(path, "/metrics", 8) != 0) {
		metricsd_error(c, "404 Not Found", "", "tlspind serves "
		    "/metrics only\n");
		return;
	}
	if (sp - c->in != 3 || memcmp(c->in, "GET", 3) != 0) {
		metricsd_error(c, "405 Method Not Allowed", "Allow: GET\r\n",
		    "only GET /metrics\n");
		return;
	}
	len = metricsd_render(c->md, body, sizeof(body));
	if (len == 0) {
		metricsd_error(c, "500 Internal Server Error", "", "the "
		    "exposition did not fit (a bug: report it)\n");
		return;
	}
	metricsd_respond(c, "200 OK", "", body, len);
}

/* 1 when in[0, inlen) holds the blank line that ends the headers. */
static int
metricsd_complete(const struct metricsd_conn *c)
{
	size_t i;

	for (i = 0; i + 1 < c->inlen; i++)
		if (c->in[i] == '\n' && (c->in[i + 1] == '\n' ||
		    (c->in[i + 1] == '\r' && i + 2 < c->inlen &&
		    c->in[i + 2] == '\n')))
			return 1;
	return 0;
}

/* Read more of the request; answer once it is complete or too long. */
static void
metricsd_conn_read(struct metricsd_conn *c)
{
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		metricsd_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if (metricsd_complete(c))
		metricsd_request(c);
	else if (c->inlen == sizeof(c->in))
		metricsd_error(c, memchr(c->in, '\n', c->inlen) == NULL ?
		    "414 URI Too Long" : "431 Request Header Fields Too Large",
		    "", "the request is longer than 4096 bytes\n");
}

/* Write what is left of the response; close when it is out. */
static void
metricsd_conn_write(struct metricsd_conn *c)
{
	ssize_t n;

	n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		metricsd_conn_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen) {
		(void)shutdown(c->fd, SHUT_WR);
		metricsd_conn_close(c);
	}
}

static int
metricsd_on_conn(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct metricsd_conn *c = arg;

	(void)s;
	(void)fd;
	if (c->out != NULL)
		metricsd_conn_write(c);
	else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		metricsd_conn_read(c);
	return 0;
}

/* METRICSD_TIMEOUT passed: the scraper was too slow to ask or to read. */
static int
metricsd_on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct metricsd_conn *c = arg;
	static const char msg[] = "HTTP/1.0 408 Request Timeout\r\n"
	    "Connection: close\r\n\r\n";

	(void)s;
	(void)usec;
	if (c->out == NULL && write(c->fd, msg, sizeof(msg) - 1) < 0) {
		/* the scraper is gone: nothing to tell it */
	}
	log_debug("metrics_listen: closing a scraper's connection: no "
	    "request or no reading within %d s", METRICSD_TIMEOUT);
	metricsd_conn_close(c);
	return 0;
}

/* Over METRICSD_CLIENTS: 503 at once, and close. */
static void
metricsd_refuse(struct metricsd *md, int fd)
{
	static const char msg[] = "HTTP/1.0 503 Service Unavailable\r\n"
	    "Connection: close\r\n\r\ntoo many scrapers at once\n";

	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		/* the scraper is gone */
	}
	close(fd);
	if (clock_every(&md->last_warn, 10 * USEC))
		log_warn("metrics_listen: refused a scraper: %d are "
		    "connected already", METRICSD_CLIENTS);
}

/* A new scraper: read its request with a deadline. */
static void
metricsd_conn_new(struct metricsd *md, int fd)
{
	struct metricsd_conn *c = calloc(1, sizeof(*c));

	if (c == NULL || sd_event_add_io(md->ev, &c->io, fd, EPOLLIN,
	    metricsd_on_conn, c) < 0 || sd_event_add_time_relative(md->ev,
	    &c->timer, CLOCK_MONOTONIC, METRICSD_TIMEOUT * USEC, USEC / 10,
	    metricsd_on_timeout, c) < 0) {
		if (c != NULL)
			sd_event_source_disable_unref(c->io);
		free(c);
		close(fd);
		return;
	}
	c->md = md;
	c->fd = fd;
	c->next = md->conns;
	if (md->conns)
		md->conns->prev = c;
	md->conns = c;
	md->nconns++;
}

static int
metricsd_accept(sd_event_source *s, int lfd, uint32_t revents, void *arg)
{
	struct metricsd *md = arg;
	int fd;

	(void)s;
	(void)revents;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED &&
			    clock_every(&md->last_warn, 10 * USEC))
				log_warn("metrics_listen: accept: %s",
				    strerror(errno));
			return 0;
		}
		if (md->nconns >= METRICSD_CLIENTS)
			metricsd_refuse(md, fd);
		else
			metricsd_conn_new(md, fd);
	}
}

/* The endpoint; nothing listens until metricsd_listen(). */
struct metricsd *
metricsd_new(sd_event *ev, struct server *srv, metricsd_store_fn store_fn,
    void *arg)
{
	struct metricsd *md = calloc(1, sizeof(*md));

	if (md == NULL)
		return NULL;
	md->ev = ev;
	md->srv = srv;
	md->store_fn = store_fn;
	md->arg = arg;
	md->fd = -1;
	return md;
}

/* Listen on addr (unix:PATH or inet:HOST:PORT); 1, or 0 with err. */
int
metricsd_listen(struct metricsd *md, const char *addr, char *err,
    size_t errsz)
{
	char why[256];

	md->fd = server_bind(md->srv, addr, md->unlink_path, why,
	    sizeof(why));
	if (md->fd < 0) {
		errbuf_printf(err, errsz, "metrics_listen: %s", why);
		return 0;
	}
	if (listen(md->fd, 16) != 0 || sd_event_add_io(md->ev, &md->io,
	    md->fd, EPOLLIN, metricsd_accept, md) < 0) {
		errbuf_printf(err, errsz, "metrics_listen = %s: cannot listen: "
		    "%s", addr, strerror(errno));
		return 0;
	}
	return 1;
}

/* Close every scraper and the listener. */
void
metricsd_free(struct metricsd *md)
{
	if (md == NULL)
		return;
	while (md->conns)
		metricsd_conn_close(md->conns);
	sd_event_source_disable_unref(md->io);
	if (md->fd >= 0)
		close(md->fd);
	if (md->unlink_path[0] != '\0')
		(void)unlink(md->unlink_path);
	free(md);
}
