/*
 * NAME
 *	abuse - misbehaving socketmap clients for t/integration/abuse.t
 * SYNOPSIS
 *	abuse hold N KEY SOCKET
 *	abuse slowloris N KEY SOCKET
 *	abuse idle N SOCKET
 *	abuse bigprefix SOCKET
 *	abuse garbage BYTES SOCKET
 *	abuse framed BYTES KEY SOCKET
 *	abuse halfclose N KEY SOCKET
 *	abuse noread N KEY SOCKET
 * DESCRIPTION
 *	Each mode plays one kind of bad client against tlspind on a Unix
 *	socket and prints what the server did as key=value words on one
 *	line; the test script makes the assertions. Every wait is bounded
 *	(ABUSE_WAIT_MS or the mode's own deadline), so a server that hangs
 *	shows as a count (hung=, open=, closed=0), never as a stuck test.
 *
 *	hold: open N connections and ask "policy KEY" on each. Prints held=
 *	(answered OK), refused= ("TEMP ... too many connections"),
 *	refused_closed= (of those, closed by the server after it), bad=,
 *	dropped= (closed without a reply), hung= (no reply at all). Then
 *	keeps the held ones open: each line read on stdin asks KEY again on
 *	every one and prints served=, failed=, lost= (closed by the server
 *	since), held=. Exits at end of stdin.
 *
 *	slowloris: N connections each send "policy KEY" as a netstring one
 *	byte a second. idle: N connections send nothing. Both print
 *	dropped= (the server closed them), answered=, alive=, and the
 *	shortest and longest time to the drop (min_ms=, max_ms=).
 *
 *	bigprefix: netstring lengths far over the limit ("99999999999:",
 *	2^64, the limit plus one) and one of exactly the limit, each on its
 *	own connection: prints CASE=KIND/closed|open per case.
 *
 *	garbage: BYTES of pseudo-random bytes as fast as the server takes
 *	them, reading what comes back: prints sent=, reply=, closed=, ms=.
 *
 *	framed: BYTES of netstring requests "policy <random bytes>", every
 *	50th "policy KEY", replies read as they come: prints requests=,
 *	replies= and the count of each reply kind.
 *
 *	halfclose: N pipelined requests, then shutdown(SHUT_WR); once more
 *	with half a request after them. Prints the replies, ok=, closed=.
 *
 *	noread: N connections pipeline requests as fast as they can and
 *	never read a reply. Prints sent_max= (most bytes one connection got
 *	the server to take), closed=, and stall_ms_min/max (from the last
 *	byte taken to the server's close).
 *
 *	Exit status: 0 the run finished (whatever the server did), 1 the
 *	client failed (no socket, out of memory), 2 bad usage.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ABUSE_BUF 1024		/* replies read but not yet parsed, per conn */
#define ABUSE_WAIT_MS 10000	/* longest wait for a reply or a close */
#define ABUSE_CHUNK 65536	/* bytes offered per write(2) */
#define ABUSE_NOREAD_CAP (256UL << 20)	/* "unbounded" past this */
#define ABUSE_FRAMED_VALID 50	/* every Nth framed request is valid */

enum abuse_kind { KIND_OK, KIND_NOTFOUND, KIND_TEMP, KIND_PERM, KIND_BAD,
	KIND_NONE };

static const char *const abuse_kind_names[] = { "OK", "NOTFOUND", "TEMP",
	"PERM", "BAD", "none" };

struct aconn {
	int fd;			/* -1 once closed */
	int state;		/* per mode */
	int64_t t0, tlast;	/* ms: connected, last byte written */
	size_t pos;		/* bytes written */
	size_t len;		/* bytes in buf */
	char buf[ABUSE_BUF];
};

static void
abuse_die(const char *fmt, ...)
{
	va_list ap;

	fputs("abuse: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
abuse_usage(void)
{
	fputs("usage: abuse hold N KEY SOCKET | slowloris N KEY SOCKET |\n"
	    "       idle N SOCKET | bigprefix SOCKET | garbage BYTES SOCKET |\n"
	    "       framed BYTES KEY SOCKET | halfclose N KEY SOCKET |\n"
	    "       noread N KEY SOCKET\n", stderr);
	exit(2);
}

/* Monotonic time in milliseconds. */
static int64_t
abuse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(2); 0 once past. */
static int
abuse_left(int64_t deadline)
{
	int64_t d = deadline - abuse_now();

	return d < 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

/* A decimal count in [1, max], or a usage error. */
static size_t
abuse_number(const char *s, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max)
		abuse_usage();
	return (size_t)v;
}

/* Raise the open-file limit so n sockets fit. */
static void
abuse_fds(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		abuse_die("%zu connections need %llu files; the hard limit is "
		    "%llu", n, (unsigned long long)want,
		    (unsigned long long)rl.rlim_max);
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		abuse_die("setrlimit: %s", strerror(errno));
}

/* Connect to the Unix socket path (a full backlog waits at most 5 s);
 * a non-blocking fd, or -1. */
static int
abuse_dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		abuse_die("socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abuse_die("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect n times into cs; the count of failed connects. */
static size_t
abuse_dial_all(struct aconn *cs, size_t n, const char *path)
{
	size_t i, failed = 0;

	for (i = 0; i < n; i++) {
		cs[i].fd = abuse_dial(path);
		cs[i].t0 = cs[i].tlast = abuse_now();
		if (cs[i].fd < 0)
			failed++;
	}
	return failed;
}

static void *
abuse_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abuse_die("out of memory");
	return p;
}

/* Encode data as a netstring into dst; the length, 0 if it does not fit. */
static size_t
abuse_netstring(char *dst, size_t dstsz, const char *data, size_t len)
{
	int h = snprintf(dst, dstsz, "%zu:", len);

	if (h < 0 || (size_t)h + len + 1 > dstsz)
		return 0;
	memcpy(dst + h, data, len);
	dst[(size_t)h + len] = ',';
	return (size_t)h + len + 1;
}

/* The request "policy KEY" as a netstring into dst. */
static size_t
abuse_request(char *dst, size_t dstsz, const char *key)
{
	char req[600];
	int n = snprintf(req, sizeof(req), "policy %s", key);

	if (n < 0 || (size_t)n >= sizeof(req))
		abuse_die("key too long: %s", key);
	return abuse_netstring(dst, dstsz, req, (size_t)n);
}

/* Next pseudo-random number (xorshift64: same bytes every run). */
static uint64_t
abuse_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Close a connection. */
static void
abuse_close(struct aconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Write what the peer takes; bytes written, 0 if it would block, -1 if
 * the peer is gone. */
static ssize_t
abuse_send(int fd, const char *p, size_t len)
{
	ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n;
}

/* Read into c->buf: bytes read, 0 at EOF, -1 on an error (the server
 * closed with our bytes unread: ECONNRESET), -2 if nothing is there. */
static ssize_t
abuse_read(struct aconn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -1;	/* a reply longer than any valid one */
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -2;
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Take one netstring reply off c->buf into text: 1 taken, 0 incomplete,
 * -1 not a netstring. */
static int
abuse_take(struct aconn *c, char *text, size_t textsz)
{
	size_t i = 0, n = 0, m;

	while (i < c->len && c->buf[i] >= '0' && c->buf[i] <= '9' && i < 6)
		n = n * 10 + (size_t)(c->buf[i++] - '0');
	if (i == c->len)
		return 0;
	if (i == 0 || c->buf[i] != ':')
		return -1;
	if (c->len - i - 1 < n + 1)
		return c->len == sizeof(c->buf) ? -1 : 0;
	if (c->buf[i + 1 + n] != ',')
		return -1;
	m = n < textsz - 1 ? n : textsz - 1;
	memcpy(text, c->buf + i + 1, m);
	text[m] = '\0';
	c->len -= i + n + 2;
	memmove(c->buf, c->buf + i + n + 2, c->len);
	return 1;
}

/* What kind of socketmap reply text is. */
static enum abuse_kind
abuse_kind(const char *text)
{
	if (strncmp(text, "OK ", 3) == 0 && text[3] != '\0')
		return KIND_OK;
	if (strncmp(text, "NOTFOUND ", 9) == 0)
		return KIND_NOTFOUND;
	if (strncmp(text, "TEMP ", 5) == 0)
		return KIND_TEMP;
	if (strncmp(text, "PERM ", 5) == 0)
		return KIND_PERM;
	return KIND_BAD;
}

/* --- hold ----------------------------------------------------------- */

enum { HOLD_DEAD, HOLD_NEW, HOLD_WAIT, HOLD_HELD, HOLD_REFUSED };

struct hold_count {
	size_t ok, refused, refused_closed, bad, dropped, hung;
};

/* A reply to a connection waiting for one. */
static void
hold_reply(struct aconn *c, const char *text, struct hold_count *hc,
    size_t *pending)
{
	if (c->state == HOLD_WAIT && abuse_kind(text) == KIND_OK) {
		c->state = HOLD_HELD;
		hc->ok++;
		(*pending)--;
	} else if (c->state == HOLD_WAIT && abuse_kind(text) == KIND_TEMP &&
	    strstr(text, "too many connections") != NULL) {
		c->state = HOLD_REFUSED;	/* now wait for the close */
		hc->refused++;
	} else {
		hc->bad++;
		c->state = HOLD_DEAD;
		abuse_close(c);
		(*pending)--;
	}
}

/* Read what came for c during a round. */
static void
hold_input(struct aconn *c, struct hold_count *hc, size_t *pending)
{
	char text[ABUSE_BUF];
	ssize_t r = abuse_read(c);
	int k;

	if (r == -2)
		return;
	while (r > 0 && c->state != HOLD_DEAD &&
	    (k = abuse_take(c, text, sizeof(text))) != 0) {
		if (k < 0)
			text[0] = '\0';
		hold_reply(c, text, hc, pending);
	}
	if (r <= 0 && c->state != HOLD_DEAD) {
		if (c->state == HOLD_REFUSED)
			hc->refused_closed++;
		else
			hc->dropped++;
		c->state = HOLD_DEAD;
		abuse_close(c);
		(*pending)--;
	}
}

/* Ask req on every connection in state from; wait for every reply (and
 * for refused ones, the close) for at most ABUSE_WAIT_MS. */
static void
hold_round(struct aconn *cs, size_t n, struct pollfd *pfd, int from,
    const char *req, size_t reqlen, struct hold_count *hc)
{
	int64_t deadline = abuse_now() + ABUSE_WAIT_MS;
	size_t i, np, pending = 0;

	for (i = 0; i < n; i++) {
		if (cs[i].state != from)
			continue;
		(void)abuse_send(cs[i].fd, req, reqlen); /* refused: EPIPE */
		cs[i].state = HOLD_WAIT;
		pending++;
	}
	while (pending > 0 && abuse_now() < deadline) {
		for (i = 0, np = 0; i < n; i++)
			if (cs[i].state == HOLD_WAIT ||
			    cs[i].state == HOLD_REFUSED)
				pfd[np++] = (struct pollfd){ .fd = cs[i].fd,
				    .events = POLLIN };
		if (poll(pfd, np, abuse_left(deadline)) < 0 && errno != EINTR)
			abuse_die("poll: %s", strerror(errno));
		for (i = 0, np = 0; i < n; i++) {
			if (cs[i].state != HOLD_WAIT &&
			    cs[i].state != HOLD_REFUSED)
				continue;
			if (pfd[np++].revents != 0)
				hold_input(&cs[i], hc, &pending);
		}
	}
	for (i = 0; i < n; i++) {
		if (cs[i].state == HOLD_WAIT)
			hc->hung++;
		if (cs[i].state == HOLD_WAIT || cs[i].state == HOLD_REFUSED) {
			cs[i].state = HOLD_DEAD;
			abuse_close(&cs[i]);
		}
	}
}

/* Between rounds: wait for a line on stdin (1) or its end (0); count
 * held connections the server closes meanwhile in *lost. */
static int
hold_wait(struct aconn *cs, size_t n, struct pollfd *pfd, size_t *lost)
{
	char line[256];
	size_t i, np;
	ssize_t r;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
		for (i = 0, np = 1; i < n; i++)
			if (cs[i].state == HOLD_HELD)
				pfd[np++] = (struct pollfd){ .fd = cs[i].fd,
				    .events = POLLIN };
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			abuse_die("poll: %s", strerror(errno));
		}
		for (i = 0, np = 1; i < n; i++) {
			if (cs[i].state != HOLD_HELD)
				continue;
			if (pfd[np++].revents == 0)
				continue;
			r = abuse_read(&cs[i]);
			if (r == -2)
				continue;
			(*lost)++;	/* closed, or talking unasked */
			cs[i].state = HOLD_DEAD;
			abuse_close(&cs[i]);
		}
		if (pfd[0].revents != 0) {
			r = read(0, line, sizeof(line));
			if (r < 0 && errno == EINTR)
				continue;
			return r > 0;
		}
	}
}

static int
mode_hold(size_t n, const char *key, const char *path)
{
	struct aconn *cs = abuse_calloc(n, sizeof(*cs));
	struct pollfd *pfd = abuse_calloc(n + 1, sizeof(*pfd));
	struct hold_count hc = { 0 };
	char req[700];
	size_t i, reqlen = abuse_request(req, sizeof(req), key), failed, lost;
	int64_t t0 = abuse_now();

	abuse_fds(n);
	failed = abuse_dial_all(cs, n, path);
	for (i = 0; i < n; i++)
		cs[i].state = cs[i].fd < 0 ? HOLD_DEAD : HOLD_NEW;
	hold_round(cs, n, pfd, HOLD_NEW, req, reqlen, &hc);
	printf("held=%zu refused=%zu refused_closed=%zu bad=%zu dropped=%zu "
	    "hung=%zu connect_failed=%zu ms=%lld\n", hc.ok, hc.refused,
	    hc.refused_closed, hc.bad, hc.dropped, hc.hung, failed,
	    (long long)(abuse_now() - t0));
	fflush(stdout);
	for (lost = 0; hold_wait(cs, n, pfd, &lost); lost = 0) {
		memset(&hc, 0, sizeof(hc));
		t0 = abuse_now();
		hold_round(cs, n, pfd, HOLD_HELD, req, reqlen, &hc);
		printf("served=%zu failed=%zu lost=%zu held=%zu ms=%lld\n",
		    hc.ok, hc.bad + hc.dropped + hc.hung + hc.refused, lost,
		    hc.ok, (long long)(abuse_now() - t0));
		fflush(stdout);
	}
	free(pfd);
	free(cs);
	return 0;
}

/* --- slowloris and idle --------------------------------------------- */

/* Send the next byte of msg on every open connection that has one. */
static void
trickle_tick(struct aconn *cs, size_t n, const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cs[i].fd >= 0 && cs[i].pos < len &&
		    abuse_send(cs[i].fd, msg + cs[i].pos, 1) == 1)
			cs[i].pos++;
}

/* msg NULL: idle connections. Otherwise one byte of msg a second. */
static int
mode_trickle(size_t n, const char *msg, size_t len, const char *path)
{
	struct aconn *cs = abuse_calloc(n, sizeof(*cs));
	struct pollfd *pfd = abuse_calloc(n, sizeof(*pfd));
	size_t i, np, open, failed, dropped = 0, answered = 0, sent_max = 0;
	int64_t now, tick, deadline, lo = -1, hi = -1, d;
	ssize_t r;

	abuse_fds(n);
	failed = abuse_dial_all(cs, n, path);
	open = n - failed;
	now = abuse_now();
	tick = now;
	deadline = now + ABUSE_WAIT_MS;
	while (open > 0 && (now = abuse_now()) < deadline) {
		if (msg != NULL && now >= tick) {
			trickle_tick(cs, n, msg, len);
			tick += 1000;
		}
		for (i = 0, np = 0; i < n; i++)
			if (cs[i].fd >= 0)
				pfd[np++] = (struct pollfd){ .fd = cs[i].fd,
				    .events = POLLIN };
		if (poll(pfd, np, abuse_left(msg != NULL && tick < deadline ?
		    tick : deadline)) < 0 && errno != EINTR)
			abuse_die("poll: %s", strerror(errno));
		for (i = 0, np = 0; i < n; i++) {
			if (cs[i].fd < 0 || pfd[np++].revents == 0)
				continue;
			r = abuse_read(&cs[i]);
			if (r > 0)
				answered++;	/* nothing should come */
			cs[i].len = 0;
			if (r != 0 && r != -1)
				continue;
			d = abuse_now() - cs[i].t0;
			lo = lo < 0 || d < lo ? d : lo;
			hi = d > hi ? d : hi;
			dropped++;
			open--;
			abuse_close(&cs[i]);
		}
	}
	for (i = 0; i < n; i++)
		sent_max = cs[i].pos > sent_max ? cs[i].pos : sent_max;
	printf("conns=%zu connect_failed=%zu dropped=%zu answered=%zu "
	    "alive=%zu min_ms=%lld max_ms=%lld sent_max=%zu\n", n, failed,
	    dropped, answered, open, (long long)lo, (long long)hi, sent_max);
	for (i = 0; i < n; i++)
		abuse_close(&cs[i]);
	free(pfd);
	free(cs);
	return 0;
}

/* --- one connection: send bytes, read replies ------------------------ */

struct talk {
	size_t sent, replies, kinds[KIND_NONE];
	enum abuse_kind first;
	int closed;		/* the server closed it */
	int64_t ms;		/* until the close, or until we stopped */
};

/* Count every whole reply in c->buf; 0 if one is not a netstring. */
static int
talk_replies(struct aconn *c, struct talk *t)
{
	char text[ABUSE_BUF];
	enum abuse_kind k;
	int r;

	while ((r = abuse_take(c, text, sizeof(text))) != 0) {
		k = r < 0 ? KIND_BAD : abuse_kind(text);
		if (t->replies++ == 0)
			t->first = k;
		t->kinds[k]++;
		if (r < 0)
			return 0;
	}
	return 1;
}

/*
 * Send the bytes next() makes (it fills a buffer and returns how many,
 * 0 when done) while reading replies; then shutdown(SHUT_WR) if
 * half_close. Stop at the server's close, at want replies (0: wait for
 * the close), or at the deadline.
 */
static void
talk_run(const char *path, size_t (*next)(char *, size_t, void *),
    void *arg, int half_close, size_t want, struct talk *t)
{
	struct aconn c = { .fd = abuse_dial(path) };
	char *out = abuse_calloc(1, ABUSE_CHUNK);
	size_t olen = 0, ooff = 0;
	int64_t t0 = abuse_now(), deadline = t0 + ABUSE_WAIT_MS;
	int writing = 1;
	struct pollfd p;
	ssize_t r;

	memset(t, 0, sizeof(*t));
	t->first = KIND_NONE;
	if (c.fd < 0)
		abuse_die("cannot connect to %s: %s", path, strerror(errno));
	while (abuse_now() < deadline && (want == 0 || t->replies < want)) {
		if (writing && ooff == olen) {
			olen = next(out, ABUSE_CHUNK, arg);
			ooff = 0;
			if (olen == 0) {
				writing = 0;
				if (half_close)
					(void)shutdown(c.fd, SHUT_WR);
			}
		}
		p = (struct pollfd){ .fd = c.fd,
		    .events = POLLIN | (writing ? POLLOUT : 0) };
		if (poll(&p, 1, abuse_left(deadline)) < 0 && errno != EINTR)
			abuse_die("poll: %s", strerror(errno));
		if (writing && (p.revents & POLLOUT)) {
			r = abuse_send(c.fd, out + ooff, olen - ooff);
			if (r < 0)
				writing = 0;	/* closed: read what came */
			else {
				ooff += (size_t)r;
				t->sent += (size_t)r;
			}
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = abuse_read(&c);
		if (r == -2)
			continue;
		if (r <= 0 || !talk_replies(&c, t)) {
			t->closed = r <= 0;
			break;
		}
	}
	t->ms = abuse_now() - t0;
	abuse_close(&c);
	free(out);
}

/* Fixed bytes, once: next() for talk_run. */
struct fixed {
	const char *p;
	size_t len, off;
};

static size_t
fixed_next(char *buf, size_t size, void *arg)
{
	struct fixed *f = arg;
	size_t n = f->len - f->off < size ? f->len - f->off : size;

	memcpy(buf, f->p + f->off, n);
	f->off += n;
	return n;
}

/* --- bigprefix ------------------------------------------------------ */

static void
bigprefix_case(const char *path, const char *name, const char *bytes,
    size_t len, size_t want)
{
	struct fixed f = { .p = bytes, .len = len };
	struct talk t;

	talk_run(path, fixed_next, &f, 0, want, &t);
	printf(" %s=%s/%s %s_ms=%lld", name, abuse_kind_names[t.first],
	    t.closed ? "closed" : "open", name, (long long)t.ms);
}

static int
mode_bigprefix(const char *path)
{
	char max[1100], req[1024];
	size_t n;
	static const char huge[] = "99999999999:";
	static const char wrap[] = "18446744073709551616:";
	static const char over[] = "1025:policy ";

	memcpy(req, "policy ", 7);
	memset(req + 7, 'a', sizeof(req) - 7);
	n = abuse_netstring(max, sizeof(max), req, sizeof(req));
	printf("cases=4");
	bigprefix_case(path, "huge", huge, sizeof(huge) - 1, 0);
	bigprefix_case(path, "wrap", wrap, sizeof(wrap) - 1, 0);
	bigprefix_case(path, "over", over, sizeof(over) - 1, 0);
	bigprefix_case(path, "max", max, n, 1);
	printf("\n");
	return 0;
}

/* --- garbage and framed ---------------------------------------------- */

struct gen {
	uint64_t seed;
	size_t bytes, made, requests, valid;
	char req[700];		/* the valid request */
	size_t reqlen;
};

/* Pseudo-random bytes until g->bytes are made. */
static size_t
garbage_next(char *buf, size_t size, void *arg)
{
	struct gen *g = arg;
	size_t i, n = g->bytes - g->made < size ? g->bytes - g->made : size;

	for (i = 0; i < n; i++)
		buf[i] = (char)(abuse_random(&g->seed) >> 32);
	g->made += n;
	return n;
}

static int
mode_garbage(size_t bytes, const char *path)
{
	struct gen g = { .seed = 0x9e3779b97f4a7c15ULL, .bytes = bytes };
	struct talk t;

	talk_run(path, garbage_next, &g, 0, 0, &t);
	printf("bytes=%zu sent=%zu reply=%s replies=%zu closed=%d ms=%lld\n",
	    bytes, t.sent, abuse_kind_names[t.first], t.replies, t.closed,
	    (long long)t.ms);
	return 0;
}

/* Whole netstring requests, about g->bytes in all: every
 * ABUSE_FRAMED_VALID-th the valid one, the others "policy " and up to
 * 1000 random bytes. */
static size_t
framed_next(char *buf, size_t size, void *arg)
{
	struct gen *g = arg;
	char body[1100];
	size_t i, n = 0, len, m;

	while (g->made < g->bytes) {
		if (g->requests % ABUSE_FRAMED_VALID == 0) {
			if (size - n < g->reqlen)
				break;
			memcpy(buf + n, g->req, g->reqlen);
			m = g->reqlen;
			g->valid++;
		} else {
			len = 7 + abuse_random(&g->seed) % 1000;
			memcpy(body, "policy ", 7);
			for (i = 7; i < len; i++)
				body[i] = (char)(abuse_random(&g->seed) >> 32);
			m = abuse_netstring(buf + n, size - n, body, len);
			if (m == 0)
				break;
		}
		n += m;
		g->made += m;
		g->requests++;
	}
	return n;
}

static int
mode_framed(size_t bytes, const char *key, const char *path)
{
	struct gen g = { .seed = 0x2545f4914f6cdd1dULL, .bytes = bytes }, dry;
	char *scratch = abuse_calloc(1, ABUSE_CHUNK);
	struct talk t;

	g.reqlen = abuse_request(g.req, sizeof(g.req), key);
	dry = g;	/* count the requests first: wait for every reply */
	while (framed_next(scratch, ABUSE_CHUNK, &dry) > 0)
		continue;
	free(scratch);
	talk_run(path, framed_next, &g, 0, dry.requests, &t);
	printf("bytes=%zu sent=%zu requests=%zu valid=%zu replies=%zu ok=%zu "
	    "notfound=%zu temp=%zu perm=%zu bad=%zu closed=%d ms=%lld\n",
	    bytes, t.sent, g.requests, g.valid, t.replies, t.kinds[KIND_OK],
	    t.kinds[KIND_NOTFOUND], t.kinds[KIND_TEMP], t.kinds[KIND_PERM],
	    t.kinds[KIND_BAD], t.closed, (long long)t.ms);
	return 0;
}

/* --- halfclose ------------------------------------------------------- */

static void
halfclose_case(const char *path, size_t n, const char *key, int partial,
    const char *prefix)
{
	char req[700], *all;
	size_t i, reqlen = abuse_request(req, sizeof(req), key);
	struct fixed f = { .len = n * reqlen + (partial ? 5 : 0) };
	struct talk t;

	all = abuse_calloc(1, f.len + 1);
	for (i = 0; i < n; i++)
		memcpy(all + i * reqlen, req, reqlen);
	memcpy(all + n * reqlen, req, partial ? 5 : 0);
	f.p = all;
	talk_run(path, fixed_next, &f, 1, 0, &t);
	printf(" %sreplies=%zu %sok=%zu %sclosed=%d %sms=%lld", prefix,
	    t.replies, prefix, t.kinds[KIND_OK], prefix, t.closed, prefix,
	    (long long)t.ms);
	free(all);
}

static int
mode_halfclose(size_t n, const char *key, const char *path)
{
	printf("requests=%zu", n);
	halfclose_case(path, n, key, 0, "");
	halfclose_case(path, n, key, 1, "partial_");
	printf("\n");
	return 0;
}

/* --- noread ---------------------------------------------------------- */

/* Offer the next bytes of the endless request stream to c. */
static void
noread_write(struct aconn *c, const char *stream, size_t period,
    size_t *closed)
{
	size_t off = c->pos % period;
	ssize_t r = abuse_send(c->fd, stream + off, period - off);

	if (r > 0) {
		c->pos += (size_t)r;
		c->tlast = abuse_now();
	}
	if (r < 0) {		/* the server closed it */
		c->state = 1;
		(*closed)++;
	}
}

static int
mode_noread(size_t n, const char *key, const char *path)
{
	struct aconn *cs = abuse_calloc(n, sizeof(*cs));
	struct pollfd *pfd = abuse_calloc(n, sizeof(*pfd));
	char req[700], *stream = abuse_calloc(1, ABUSE_CHUNK);
	size_t i, np, reqlen = abuse_request(req, sizeof(req), key), period;
	size_t failed, closed = 0, unbounded = 0, sent_max = 0, total = 0;
	int64_t deadline = abuse_now() + 2 * ABUSE_WAIT_MS, lo = -1, hi = -1, d;

	abuse_fds(n);
	for (period = 0; period + reqlen <= ABUSE_CHUNK; period += reqlen)
		memcpy(stream + period, req, reqlen);
	failed = abuse_dial_all(cs, n, path);
	for (i = 0; i < n; i++)
		cs[i].state = cs[i].fd < 0;	/* 1: done */
	while (closed + failed + unbounded < n && abuse_now() < deadline) {
		for (i = 0, np = 0; i < n; i++)
			if (cs[i].state == 0)
				pfd[np++] = (struct pollfd){ .fd = cs[i].fd,
				    .events = POLLOUT };
		if (poll(pfd, np, abuse_left(deadline)) < 0 && errno != EINTR)
			abuse_die("poll: %s", strerror(errno));
		for (i = 0, np = 0; i < n; i++) {
			if (cs[i].state != 0 || pfd[np++].revents == 0)
				continue;
			if (pfd[np - 1].revents & (POLLHUP | POLLERR)) {
				cs[i].state = 1;
				closed++;
			} else
				noread_write(&cs[i], stream, period, &closed);
			if (cs[i].state == 1) {
				d = abuse_now() - cs[i].tlast;
				lo = lo < 0 || d < lo ? d : lo;
				hi = d > hi ? d : hi;
			} else if (cs[i].pos >= ABUSE_NOREAD_CAP) {
				cs[i].state = 2;
				unbounded++;
			}
		}
	}
	for (i = 0; i < n; i++) {
		sent_max = cs[i].pos > sent_max ? cs[i].pos : sent_max;
		total += cs[i].pos;
		abuse_close(&cs[i]);
	}
	printf("conns=%zu connect_failed=%zu closed=%zu open=%zu unbounded=%zu "
	    "sent_max=%zu sent_total=%zu stall_ms_min=%lld stall_ms_max=%lld\n",
	    n, failed, closed, n - failed - closed - unbounded, unbounded,
	    sent_max, total, (long long)lo, (long long)hi);
	free(stream);
	free(pfd);
	free(cs);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	char msg[700];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(m, "hold") == 0 && argc == 5)
		return mode_hold(abuse_number(argv[2], 1000000), argv[3],
		    argv[4]);
	if (strcmp(m, "slowloris") == 0 && argc == 5)
		return mode_trickle(abuse_number(argv[2], 1000000), msg,
		    abuse_request(msg, sizeof(msg), argv[3]), argv[4]);
	if (strcmp(m, "idle") == 0 && argc == 4)
		return mode_trickle(abuse_number(argv[2], 1000000), NULL, 0,
		    argv[3]);
	if (strcmp(m, "bigprefix") == 0 && argc == 3)
		return mode_bigprefix(argv[2]);
	if (strcmp(m, "garbage") == 0 && argc == 4)
		return mode_garbage(abuse_number(argv[2], SIZE_MAX / 2),
		    argv[3]);
	if (strcmp(m, "framed") == 0 && argc == 5)
		return mode_framed(abuse_number(argv[2], SIZE_MAX / 2),
		    argv[3], argv[4]);
	if (strcmp(m, "halfclose") == 0 && argc == 5)
		return mode_halfclose(abuse_number(argv[2], 100000), argv[3],
		    argv[4]);
	if (strcmp(m, "noread") == 0 && argc == 5)
		return mode_noread(abuse_number(argv[2], 1000000), argv[3],
		    argv[4]);
	abuse_usage();
	return 2;
}
