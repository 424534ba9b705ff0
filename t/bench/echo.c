/*
 * NAME
 *	echo - trivial socketmap server, the ceiling for tlspin-bench
 * SYNOPSIS
 *	echo --listen unix:PATH|inet:HOST:PORT [--reply TEXT]
 * DESCRIPTION
 *	echo answers every socketmap request with one fixed reply (default
 *	"OK encrypt") without looking anything up.  It still does the work
 *	every socketmap server must do: accept connections, read netstrings
 *	"NAME KEY" with a bounded length, write a netstring reply.  One
 *	thread and epoll, like tlspind.  What tlspin-bench measures against
 *	it is the cost of the client, the kernel and the protocol: a server
 *	that answers cannot beat it, so it is the ceiling in "make bench".
 *
 *	A request longer than --max-request bytes, or one that is not
 *	"NAME KEY", gets "PERM reason" and the connection is closed, as
 *	tlspind does.  SIGTERM or SIGINT removes the socket and exits 0.
 */

#ifdef HAVE_CONFIG_H
#include "autoconf.h"	/* the project's configure results */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1		/* getopt_long, getline when built by hand */
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#if defined(__GNUC__)
#define ECHO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ECHO_NORETURN __attribute__((noreturn))
#else
#define ECHO_PRINTF(f, a)
#define ECHO_NORETURN
#endif

#define REQUEST_MAX_DEFAULT 4096
#define OUT_MAX 8192		/* replies queued for a client that does not read */

struct echo_conn {
	int fd;
	size_t in_len;
	size_t out_len, out_off;
	int closing;		/* close once the output is written */
	char *in;		/* request bytes not yet parsed */
	char out[OUT_MAX];
};

struct echo {
	int lfd;
	int ep;
	const char *unix_path;
	const char *reply;	/* the reply body */
	size_t reply_len;
	size_t max_request;
	size_t in_size;
};

static volatile sig_atomic_t echo_stop;

static void echo_die(const char *fmt, ...) ECHO_PRINTF(1, 2) ECHO_NORETURN;

/* Print "echo: MESSAGE" on stderr and exit 2. */
static void echo_die(const char *fmt, ...)
{
	va_list ap;

	fputs("echo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Print the usage summary. */
static void echo_usage(FILE *fp)
{
	fputs(
"Usage: echo --listen unix:PATH|inet:HOST:PORT [--reply TEXT] [--max-request N]\n"
"Answer every socketmap request with TEXT (default \"OK encrypt\") without\n"
"any lookup: the ceiling a real socketmap server is measured against.\n"
"  -l, --listen ADDR       where to listen (a unix socket is replaced)\n"
"  -r, --reply TEXT        the reply, e.g. \"OK encrypt\" or \"NOTFOUND \"\n"
"      --max-request N     longest request accepted (default 4096)\n"
"  -h, --help              show this help\n", fp);
}

/* Make FD non-blocking or exit. */
static void echo_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		echo_die("fcntl O_NONBLOCK: %s", strerror(errno));
}

/* Listen on unix:PATH; an old socket at PATH is replaced. */
static int echo_listen_unix(struct echo *e, const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	size_t len = strlen(path);
	int fd;

	if (len == 0 || len >= sizeof(sun.sun_path))
		echo_die("--listen unix:%s: a socket path is 1 to %zu bytes",
			 path, sizeof(sun.sun_path) - 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			echo_die("--listen unix:%s: exists and is not a socket", path);
		unlink(path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0
	    || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		echo_die("cannot listen on unix:%s: %s", path, strerror(errno));
	e->unix_path = path;
	return fd;
}

/* Listen on inet:HOST:PORT. */
static int echo_listen_inet(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *res;
	size_t hlen;
	int fd, one = 1, rc;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		echo_die("--listen inet:%s: expected inet:HOST:PORT", spec);
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[' && colon[-1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		echo_die("--listen inet:%s: expected inet:HOST:PORT", spec);
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
		echo_die("--listen inet:%s: %s", spec, gai_strerror(rc));
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		echo_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
		echo_die("cannot listen on inet:%s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Open the listening socket named by ADDR. */
static void echo_listen(struct echo *e, const char *addr)
{
	struct epoll_event ev;

	if (strncmp(addr, "unix:", 5) == 0)
		e->lfd = echo_listen_unix(e, addr + 5);
	else if (strncmp(addr, "inet:", 5) == 0)
		e->lfd = echo_listen_inet(addr + 5);
	else
		echo_die("--listen %s: expected unix:PATH or inet:HOST:PORT", addr);
	if (listen(e->lfd, SOMAXCONN) != 0)
		echo_die("listen %s: %s", addr, strerror(errno));
	echo_nonblock(e->lfd);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* NULL marks the listening socket */
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, e->lfd, &ev) != 0)
		echo_die("epoll_ctl: %s", strerror(errno));
}

/* Close C and forget it. */
static void echo_close(struct echo *e, struct echo_conn *c)
{
	epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c);
}

/* Accept every pending connection. */
static void echo_accept(struct echo *e)
{
	for (;;) {
		struct epoll_event ev;
		struct echo_conn *c;
		int fd = accept(e->lfd, NULL, NULL);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
			    && errno != ECONNABORTED)
				fprintf(stderr, "echo: accept: %s\n", strerror(errno));
			return;
		}
		echo_nonblock(fd);
		if ((c = calloc(1, sizeof(*c))) == NULL
		    || (c->in = malloc(e->in_size)) == NULL) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c->in);
			free(c);
		}
	}
}

/* Queue BODY as a netstring reply on C; 0 if there is no room. */
static int echo_queue(struct echo_conn *c, const char *body, size_t len)
{
	int n;

	if (OUT_MAX - c->out_len < len + 16)
		return 0;
	n = snprintf(c->out + c->out_len, OUT_MAX - c->out_len, "%zu:", len);
	if (n < 0)
		return 0;
	c->out_len += (size_t)n;
	memcpy(c->out + c->out_len, body, len);
	c->out_len += len;
	c->out[c->out_len++] = ',';
	return 1;
}

/* Refuse C's input with "PERM WHY" and close after writing it. */
static void echo_refuse(struct echo_conn *c, const char *why)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "PERM %s", why);

	c->out_len = c->out_off = 0;
	echo_queue(c, body, (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
	c->closing = 1;
	c->in_len = 0;
}

/*
 * Parse the complete requests in C's input and queue a reply for each.
 * Return the number of bytes used; stop early when the output is full.
 */
static size_t echo_parse(struct echo *e, struct echo_conn *c)
{
	size_t pos = 0;

	while (pos < c->in_len && !c->closing) {
		size_t i = pos, len = 0, digits = 0;
		const char *body, *space;

		while (i < c->in_len && c->in[i] >= '0' && c->in[i] <= '9' && digits < 8) {
			len = len * 10 + (size_t)(c->in[i] - '0');
			i++;
			digits++;
		}
		if (i == c->in_len)
			break;	/* the length is not all here yet */
		if (digits == 0 || c->in[i] != ':') {
			echo_refuse(c, "request is not a netstring");
			break;
		}
		if (len > e->max_request) {
			echo_refuse(c, "request too long");
			break;
		}
		if (c->in_len - (i + 1) < len + 1)
			break;	/* the body is not all here yet */
		body = c->in + i + 1;
		if (body[len] != ',') {
			echo_refuse(c, "netstring does not end with a comma");
			break;
		}
		space = memchr(body, ' ', len);
		if (space == NULL || space == body || space == body + len - 1) {
			echo_refuse(c, "request is not NAME KEY");
			break;
		}
		if (!echo_queue(c, e->reply, e->reply_len))
			break;	/* client is not reading: try this one later */
		pos = i + 1 + len + 1;
	}
	return pos;
}

/* Write C's queued replies; return -1 if the connection is gone. */
static int echo_flush(struct echo *e, struct echo_conn *c)
{
	struct epoll_event ev;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Stop reading until the client reads its replies. */
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 0;
		} else {
			return -1;
		}
	}
	c->out_len = c->out_off = 0;
	if (c->closing)
		return -1;
	return 0;
}

/* Serve one readiness event on C. */
static void echo_serve(struct echo *e, struct echo_conn *c, uint32_t events)
{
	struct epoll_event ev;
	size_t used;
	ssize_t n;

	if (events & EPOLLOUT) {
		if (echo_flush(e, c) < 0) {
			echo_close(e, c);
			return;
		}
		if (c->out_len != 0)
			return;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd, &ev);
	} else {
		n = read(c->fd, c->in + c->in_len, e->in_size - c->in_len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			echo_close(e, c);
			return;
		}
		c->in_len += (size_t)n;
	}
	used = echo_parse(e, c);
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	if (echo_flush(e, c) < 0)
		echo_close(e, c);
}

/* Stop the event loop. */
static void echo_on_signal(int sig)
{
	(void)sig;
	echo_stop = 1;
}

/* Raise the soft open-file limit to the hard one: many idle clients. */
static void echo_raise_fds(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Use TEXT as the reply body; echo_queue adds the netstring framing. */
static void echo_set_reply(struct echo *e, const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len + 16 > OUT_MAX)
		echo_die("--reply '%s': 1 to %d bytes", text, OUT_MAX - 16);
	e->reply = text;
	e->reply_len = len;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "reply", required_argument, NULL, 'r' },
		{ "max-request", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct echo e;
	struct sigaction sa;
	struct epoll_event evs[256];
	const char *listen_addr = NULL, *reply = "OK encrypt";
	char *end;
	unsigned long v;
	int ch;

	memset(&e, 0, sizeof(e));
	e.max_request = REQUEST_MAX_DEFAULT;
	while ((ch = getopt_long(argc, argv, "l:r:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_addr = optarg; break;
		case 'r': reply = optarg; break;
		case 'M':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (optarg[0] == '-' || *end != '\0' || errno != 0 || v < 8 || v > 1000000)
				echo_die("--max-request '%s': expected a number from 8 to 1000000", optarg);
			e.max_request = v;
			break;
		case 'h': echo_usage(stdout); return 0;
		default: echo_usage(stderr); return 2;
		}
	}
	if (listen_addr == NULL || optind != argc) {
		echo_usage(stderr);
		return 2;
	}
	echo_set_reply(&e, reply);
	e.in_size = e.max_request + 16;
	echo_raise_fds();
	if ((e.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		echo_die("epoll_create1: %s", strerror(errno));
	echo_listen(&e, listen_addr);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!echo_stop) {
		int n = epoll_wait(e.ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);

		if (n < 0 && errno != EINTR)
			echo_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				echo_accept(&e);
			else
				echo_serve(&e, evs[i].data.ptr, evs[i].events);
		}
	}
	if (e.unix_path != NULL)
		unlink(e.unix_path);
	return 0;
}
