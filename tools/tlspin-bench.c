/*
 * NAME
 *	tlspin-bench - socketmap load generator for tlspind
 * SYNOPSIS
 *	tlspin-bench (--socket PATH | --connect HOST:PORT) [--map NAME]
 *	    [--concurrency N] [--duration S | --requests N] [--warmup S]
 *	    [--keys FILE [--order sequential|random|zipf]] [--key KEY]
 *	    [--expect ok|notfound] [--idle N] [--churn K] [--json | --kv]
 * DESCRIPTION
 *	tlspin-bench speaks the Postfix socketmap protocol exactly as
 *	Postfix's smtp(8) processes do: each request is one netstring
 *	"NAME KEY", each connection has one request in flight and is
 *	reused for many requests.  --concurrency N connections stand for
 *	N smtp processes.
 *
 *	One thread drives all connections through epoll, so the client
 *	costs little next to the server it measures; t/bench/echo, a server
 *	that answers without looking anything up, gives the ceiling.  Each
 *	request is timed with CLOCK_MONOTONIC and its latency goes into a
 *	fixed-size log-linear histogram (bounded memory, < 1% error).
 *
 *	It prints requests per second, latency percentiles, and the count
 *	of every kind of reply (OK, NOTFOUND, TEMP, PERM, TIMEOUT) and of
 *	every failure, so that a fast wrong answer cannot pass for a good
 *	result.  With --expect it exits non-zero when any reply differs.
 *
 *	Exit status: 0 all requests answered (and as expected); 1 some
 *	request failed or was answered otherwise than --expect says; 2 bad
 *	usage or the benchmark could not start.
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
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BENCH_NORETURN __attribute__((noreturn))
#else
#define BENCH_PRINTF(f, a)
#define BENCH_NORETURN
#endif

#define PROG "tlspin-bench"

#define KEY_MAX 1024		/* longest key accepted from --keys or --key */
#define MAP_MAX 256		/* longest --map name */
#define REQ_MAX (16 + MAP_MAX + 1 + KEY_MAX + 1)
#define REPLY_MAX_DEFAULT 100000	/* Postfix's socketmap_max_reply */
#define REPLY_HEAD 128		/* reply bytes kept for classifying and showing */
#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* Latency histogram: exact below 2^HIST_SUB_BITS ns, then 2^HIST_SUB_BITS
 * buckets per power of two, which bounds the error at 1/128. */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

enum order { ORDER_SEQUENTIAL, ORDER_RANDOM, ORDER_ZIPF };
enum expect { EXPECT_ANY, EXPECT_OK, EXPECT_NOTFOUND };
enum format { FORMAT_HUMAN, FORMAT_JSON, FORMAT_KV };

/* Reply kinds, in the order they are reported. */
enum kind { KIND_OK, KIND_NOTFOUND, KIND_TEMP, KIND_PERM, KIND_TIMEOUT,
	KIND_BAD, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {
	"OK", "NOTFOUND", "TEMP", "PERM", "TIMEOUT", "bad reply"
};

struct opts {
	const char *socket_path;
	const char *connect_spec;
	const char *map;
	const char *keys_file;
	const char *key;
	unsigned long concurrency;
	unsigned long idle;
	unsigned long long churn;
	unsigned long long requests;
	double duration;
	double warmup;
	double timeout;
	double zipf_s;
	unsigned long long seed;
	unsigned long max_reply;
	enum order order;
	enum expect expect;
	enum format format;
};

struct keys {
	char *buf;		/* all keys, back to back */
	uint32_t *off;		/* key i is buf[off[i] .. off[i+1]) */
	size_t n;
	size_t cursor;		/* next key for --order sequential */
};

struct zipf {
	double s, hx1, hn, sconst;
	size_t n;
};

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
	uint64_t max;
	long double sum;
};

/* Incremental netstring reply parser, one per connection. */
struct reply {
	enum { RP_LEN, RP_BODY, RP_COMMA } state;
	size_t len;		/* announced body length */
	size_t got;		/* body bytes seen */
	unsigned ndigits;
	char head[REPLY_HEAD];	/* first bytes of the body */
};

enum conn_state { CONN_DEAD, CONN_IDLE, CONN_SENDING, CONN_WAITING };

struct conn {
	int fd;
	int is_idle;		/* one of the --idle connections */
	enum conn_state state;
	uint32_t events;	/* what epoll watches now */
	uint64_t t_send;	/* ns, when the request in flight was sent */
	uint64_t t_open;	/* ns, when the connection was opened */
	int measured;		/* request in flight counts in the results */
	uint64_t used;		/* requests on this connection, for --churn */
	size_t key_index;	/* key of the request in flight */
	size_t req_len, req_off;
	char req[REQ_MAX];
	struct reply rp;
};

struct stats {
	uint64_t kinds[KIND_COUNT];	/* measured replies, by kind */
	uint64_t err_bad;	/* malformed reply or unknown status */
	uint64_t err_closed;	/* connection lost with a request in flight */
	uint64_t err_timeout;	/* no reply within --timeout */
	uint64_t err_connect;	/* reconnect failed */
	uint64_t mismatched;	/* not what --expect asked for */
	uint64_t reconnects;
	uint64_t idle_reopened;
	uint64_t issued;	/* measured requests sent */
	uint64_t completed;	/* measured replies received */
	struct hist hist;
};

struct bench {
	struct opts o;
	struct keys keys;
	struct zipf zipf;
	uint64_t rng;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char target[600];	/* unix:PATH or inet:HOST:PORT, for messages */
	int ep;
	struct conn *conns;	/* active connections, then idle ones */
	size_t nconns;
	size_t inflight;
	size_t alive;		/* active connections not dead */
	uint64_t t_start, t_measure, t_deadline, t_end;
	int stopping;
	struct stats st;
	char first_reply[KIND_COUNT][REPLY_HEAD + 1];
	char first_reply_key[KIND_COUNT][KEY_MAX + 1];
	char first_error[1024];
};

static volatile sig_atomic_t bench_interrupted;
static char bench_rbuf[65536];	/* single-threaded: one read buffer for all */

static void die(int status, const char *fmt, ...) BENCH_PRINTF(2, 3) BENCH_NORETURN;
static void warnx_(const char *fmt, ...) BENCH_PRINTF(1, 2);

/* Print "tlspin-bench: MESSAGE" on stderr and exit with STATUS. */
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Print "tlspin-bench: MESSAGE" on stderr and go on. */
static void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Allocate or exit: the benchmark cannot run with less memory. */
static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		die(EXIT_USAGE, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

/* Return CLOCK_MONOTONIC in nanoseconds. */
static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Return the next number of a xorshift64* sequence. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Return a uniform double in [0, 1). */
static double rng_double(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Seed the generator; splitmix64 spreads small seeds over all bits. */
static uint64_t rng_seed(unsigned long long seed)
{
	uint64_t z = (uint64_t)seed + 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return z ? z : 1;
}

/*
 * Zipf sampling by rejection-inversion (Hoermann and Derflinger, 1996):
 * O(1) memory, so it works for any number of keys.  Rank 1 (the first
 * key of the file) is the most popular; P(k) is proportional to k^-s.
 */

/* Return log1p(x)/x, with its limit 1 near 0. */
static double zipf_log1p_ratio(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x / 2.0;
}

/* Return expm1(x)/x, with its limit 1 near 0. */
static double zipf_expm1_ratio(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x / 2.0;
}

/* Return H(x), an antiderivative of h(x) = x^-s. */
static double zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);

	return zipf_expm1_ratio((1.0 - z->s) * lx) * lx;
}

/* Return the inverse of H. */
static double zipf_Hinv(const struct zipf *z, double y)
{
	double t = y * (1.0 - z->s);

	if (t < -1.0)
		t = -1.0;
	return exp(zipf_log1p_ratio(t) * y);
}

/* Prepare sampling ranks 1..n with exponent s > 0. */
static void zipf_init(struct zipf *z, size_t n, double s)
{
	z->n = n;
	z->s = s;
	z->hx1 = zipf_H(z, 1.5) - 1.0;
	z->hn = zipf_H(z, (double)n + 0.5);
	z->sconst = 2.0 - zipf_Hinv(z, zipf_H(z, 2.5) - pow(2.0, -s));
}

/* Return a rank in 1..n. */
static size_t zipf_sample(const struct zipf *z, uint64_t *rng)
{
	for (;;) {
		double u = z->hn + rng_double(rng) * (z->hx1 - z->hn);
		double x = zipf_Hinv(z, u);
		double k = floor(x + 0.5);

		if (k < 1.0)
			k = 1.0;
		else if (k > (double)z->n)
			k = (double)z->n;
		if (k - x <= z->sconst
		    || u >= zipf_H(z, k + 0.5) - pow(k, -z->s))
			return (size_t)k;
	}
}

/* Return the bucket of a latency of V nanoseconds. */
static size_t hist_bucket(uint64_t v)
{
	unsigned msb = 0;
	unsigned shift;

	if (v < 2 * HIST_SUB)
		return (size_t)v;
	for (uint64_t t = v; t > 1; t >>= 1)
		msb++;
	shift = msb - HIST_SUB_BITS;
	return (size_t)(shift + 1) * HIST_SUB + (size_t)((v >> shift) - HIST_SUB);
}

/* Return the largest latency that falls in bucket I. */
static uint64_t hist_bucket_high(size_t i)
{
	unsigned shift;
	uint64_t mant;

	if (i < 2 * HIST_SUB)
		return (uint64_t)i;
	shift = (unsigned)(i / HIST_SUB) - 1;
	mant = (uint64_t)(i % HIST_SUB) + HIST_SUB;
	return (mant << shift) + ((uint64_t)1 << shift) - 1;
}

/* Count one latency of V nanoseconds. */
static void hist_add(struct hist *h, uint64_t v)
{
	h->count[hist_bucket(v)]++;
	h->total++;
	h->sum += (long double)v;
	if (v > h->max)
		h->max = v;
}

/* Return the latency (ns) below or at which a fraction Q of requests fell. */
static uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->total == 0)
		return 0;
	want = (uint64_t)ceil(q * (double)h->total);
	if (want < 1)
		want = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want) {
			uint64_t v = hist_bucket_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* Return 1 if KEY can go into a request as it is. */
static int keys_valid(const char *key, size_t len)
{
	if (len == 0 || len > KEY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c <= ' ' || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Append one key; the caller has checked it. */
static void keys_append(struct keys *k, size_t *cap_keys, size_t *cap_buf,
			const char *key, size_t len)
{
	size_t used = k->n ? k->off[k->n] : 0;

	if (k->n + 2 > *cap_keys) {
		size_t ncap = *cap_keys ? *cap_keys * 2 : 1024;
		uint32_t *noff = realloc(k->off, ncap * sizeof(*noff));

		if (noff == NULL)
			die(EXIT_USAGE, "out of memory loading keys");
		k->off = noff;
		*cap_keys = ncap;
	}
	if (used + len > *cap_buf) {
		size_t ncap = *cap_buf ? *cap_buf * 2 : 65536;
		char *nbuf;

		while (ncap < used + len)
			ncap *= 2;
		if ((nbuf = realloc(k->buf, ncap)) == NULL)
			die(EXIT_USAGE, "out of memory loading keys");
		k->buf = nbuf;
		*cap_buf = ncap;
	}
	if (used + len > UINT32_MAX)
		die(EXIT_USAGE, "keys file holds more than 4 GiB of keys");
	memcpy(k->buf + used, key, len);
	k->off[k->n] = (uint32_t)used;
	k->off[k->n + 1] = (uint32_t)(used + len);
	k->n++;
}

/* Load one key per line from PATH; skip blank lines and # comments. */
static void keys_load(struct keys *k, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, cap_keys = 0, cap_buf = 0;
	unsigned long lineno = 0;
	ssize_t n;

	if (fp == NULL)
		die(EXIT_USAGE, "cannot open keys file %s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, fp)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		if (len > KEY_MAX)
			die(EXIT_USAGE, "keys file %s line %lu: key longer than %d bytes",
			    path, lineno, KEY_MAX);
		if (!keys_valid(line, len))
			die(EXIT_USAGE, "keys file %s line %lu: key contains a space or "
			    "control character (one key per line, nothing else)",
			    path, lineno);
		keys_append(k, &cap_keys, &cap_buf, line, len);
	}
	if (ferror(fp))
		die(EXIT_USAGE, "cannot read keys file %s: %s", path, strerror(errno));
	free(line);
	fclose(fp);
	if (k->n == 0)
		die(EXIT_USAGE, "keys file %s holds no keys (one per line)", path);
}

/* Use the single key KEY. */
static void keys_single(struct keys *k, const char *key)
{
	size_t cap_keys = 0, cap_buf = 0;

	if (!keys_valid(key, strlen(key)))
		die(EXIT_USAGE, "--key '%s': a key is 1 to %d bytes without spaces "
		    "or control characters", key, KEY_MAX);
	keys_append(k, &cap_keys, &cap_buf, key, strlen(key));
}

/* Return the index of the next key to ask for. */
static size_t bench_pick_key(struct bench *b)
{
	size_t i;

	switch (b->o.order) {
	case ORDER_RANDOM:
		return (size_t)(rng_double(&b->rng) * (double)b->keys.n);
	case ORDER_ZIPF:
		return zipf_sample(&b->zipf, &b->rng) - 1;
	case ORDER_SEQUENTIAL:
	default:
		i = b->keys.cursor;
		b->keys.cursor = (i + 1 == b->keys.n) ? 0 : i + 1;
		return i;
	}
}

/* Turn --socket or --connect into an address and a name for messages. */
static void bench_resolve(struct bench *b)
{
	if (b->o.socket_path != NULL) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&b->addr;
		size_t len = strlen(b->o.socket_path);

		if (len == 0 || len >= sizeof(sun->sun_path))
			die(EXIT_USAGE, "--socket %s: a socket path is 1 to %zu bytes",
			    b->o.socket_path, sizeof(sun->sun_path) - 1);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, b->o.socket_path, len + 1);
		b->addrlen = (socklen_t)sizeof(*sun);
		snprintf(b->target, sizeof(b->target), "unix:%s", b->o.socket_path);
	} else {
		const char *spec = b->o.connect_spec;
		char host[256];
		const char *port, *colon;
		size_t hlen;
		struct addrinfo hints, *res;
		int rc;

		if (spec[0] == '[') {
			const char *end = strchr(spec, ']');

			if (end == NULL || end[1] != ':')
				die(EXIT_USAGE, "--connect %s: expected HOST:PORT or [ADDR]:PORT", spec);
			hlen = (size_t)(end - spec - 1);
			if (hlen < sizeof(host))
				memcpy(host, spec + 1, hlen);
			port = end + 2;
		} else {
			if ((colon = strrchr(spec, ':')) == NULL)
				die(EXIT_USAGE, "--connect %s: expected HOST:PORT or [ADDR]:PORT", spec);
			hlen = (size_t)(colon - spec);
			if (hlen < sizeof(host))
				memcpy(host, spec, hlen);
			port = colon + 1;
		}
		if (hlen == 0 || hlen >= sizeof(host) || *port == '\0')
			die(EXIT_USAGE, "--connect %s: expected HOST:PORT or [ADDR]:PORT", spec);
		host[hlen] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
			die(EXIT_USAGE, "--connect %s: cannot resolve: %s", spec, gai_strerror(rc));
		memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
		b->addrlen = res->ai_addrlen;
		freeaddrinfo(res);
		snprintf(b->target, sizeof(b->target), "inet:%s", spec);
	}
}

/* Raise the open-file limit so N sockets fit, or explain why not. */
static void bench_need_fds(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		die(EXIT_USAGE, "%zu connections need %llu file descriptors but the "
		    "hard limit is %llu (raise it with ulimit -Hn as root)",
		    n, (unsigned long long)want, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die(EXIT_USAGE, "cannot raise the open-file limit to %llu: %s",
		    (unsigned long long)want, strerror(errno));
}

/* Open one connection to the server; return the fd or -1 with errno. */
static int bench_dial(const struct bench *b)
{
	struct timeval tv;
	int fd, saved;

	if ((fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* A connect to a server whose backlog is full would wait forever. */
	tv.tv_sec = (time_t)b->o.timeout;
	tv.tv_usec = (suseconds_t)((b->o.timeout - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&b->addr, b->addrlen) != 0
	    || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Tell epoll to watch C for EVENTS. */
static void conn_watch(struct bench *b, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(b->ep, op, c->fd, &ev) != 0)
		die(EXIT_FAIL, "epoll_ctl: %s", strerror(errno));
	c->events = events;
}

/* Connect C and register it with epoll; return 0 or -1 with errno. */
static int conn_open(struct bench *b, struct conn *c)
{
	if ((c->fd = bench_dial(b)) < 0)
		return -1;
	memset(&c->rp, 0, sizeof(c->rp));
	c->used = 0;
	c->t_open = clock_ns();
	c->state = CONN_IDLE;
	conn_watch(b, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
	return 0;
}

/* Close C; it stays CONN_DEAD until conn_open. */
static void conn_close(struct bench *b, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	if (c->state == CONN_SENDING || c->state == CONN_WAITING)
		b->inflight--;
	c->fd = -1;
	c->state = CONN_DEAD;
}

/* Remember the first failure so the report can say what went wrong. */
static void bench_note(struct bench *b, const char *what, const struct conn *c)
{
	const char *key = b->keys.buf + b->keys.off[c->key_index];
	int klen = (int)(b->keys.off[c->key_index + 1] - b->keys.off[c->key_index]);

	if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error), "%s (key %.*s)",
			 what, klen, key);
}

/* Reconnect C after a failure or for --churn; a failed one stays dead. */
static void conn_reopen(struct bench *b, struct conn *c)
{
	conn_close(b, c);
	if (conn_open(b, c) == 0) {
		b->st.reconnects++;
		return;
	}
	b->st.err_connect++;
	if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error),
			 "cannot reconnect to %s: %s", b->target, strerror(errno));
	if (!c->is_idle)
		b->alive--;
}

/* Give up on the request in flight on C, count WHY, and reconnect. */
static void conn_fail(struct bench *b, struct conn *c, uint64_t *counter,
		      const char *why)
{
	(*counter)++;
	bench_note(b, why, c);
	conn_reopen(b, c);
}

/* Return 1 if another request may be sent now. */
static int bench_may_send(const struct bench *b, uint64_t now)
{
	if (b->stopping || bench_interrupted)
		return 0;
	if (b->o.duration > 0 && now >= b->t_deadline)
		return 0;
	if (b->o.requests > 0 && now >= b->t_measure
	    && b->st.issued >= b->o.requests)
		return 0;
	return 1;
}

/* Write what is left of C's request; wait for EPOLLOUT if it does not fit. */
static void conn_flush(struct bench *b, struct conn *c)
{
	while (c->req_off < c->req_len) {
		ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			c->req_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!(c->events & EPOLLOUT))
				conn_watch(b, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP,
					   EPOLL_CTL_MOD);
			return;
		}
		conn_fail(b, c, &b->st.err_closed, "connection lost while sending");
		return;
	}
	if (c->events & EPOLLOUT)
		conn_watch(b, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
	c->state = CONN_WAITING;
}

/* Build the next request netstring on C and send it, if one is due. */
static void conn_send(struct bench *b, struct conn *c)
{
	size_t ki, klen, blen;
	int n;
	uint64_t now = clock_ns();

	if (c->state != CONN_IDLE || !bench_may_send(b, now))
		return;
	ki = bench_pick_key(b);
	klen = b->keys.off[ki + 1] - b->keys.off[ki];
	blen = strlen(b->o.map) + 1 + klen;
	n = snprintf(c->req, sizeof(c->req), "%zu:%s %.*s,", blen, b->o.map,
		     (int)klen, b->keys.buf + b->keys.off[ki]);
	if (n < 0 || (size_t)n >= sizeof(c->req))
		die(EXIT_FAIL, "request too long for key %zu", ki);
	c->req_len = (size_t)n;
	c->req_off = 0;
	c->key_index = ki;
	c->measured = now >= b->t_measure;
	if (c->measured)
		b->st.issued++;
	memset(&c->rp, 0, sizeof(c->rp));
	c->state = CONN_SENDING;
	b->inflight++;
	c->t_send = clock_ns();
	conn_flush(b, c);
}

/*
 * Feed N bytes to the reply parser.  Return 1 when a whole reply was
 * read (*used tells how many bytes it took), 0 when more is needed, -1
 * on a malformed reply with *err saying why.
 */
static int reply_feed(struct reply *r, const char *p, size_t n, size_t max,
		      size_t *used, const char **err)
{
	size_t i = 0;

	while (i < n) {
		char ch = p[i];

		switch (r->state) {
		case RP_LEN:
			i++;
			if (ch >= '0' && ch <= '9') {
				if (++r->ndigits > 9) {
					*err = "reply length has too many digits";
					return -1;
				}
				r->len = r->len * 10 + (size_t)(ch - '0');
				if (r->len > max) {
					*err = "reply longer than the maximum Postfix accepts";
					return -1;
				}
			} else if (ch == ':' && r->ndigits > 0) {
				r->state = r->len ? RP_BODY : RP_COMMA;
			} else {
				*err = "reply does not start with a netstring length";
				return -1;
			}
			break;
		case RP_BODY: {
			size_t take = n - i;

			if (take > r->len - r->got)
				take = r->len - r->got;
			if (r->got < REPLY_HEAD) {
				size_t keep = REPLY_HEAD - r->got;

				memcpy(r->head + r->got, p + i, take < keep ? take : keep);
			}
			r->got += take;
			i += take;
			if (r->got == r->len)
				r->state = RP_COMMA;
			break;
		}
		case RP_COMMA:
			i++;
			if (ch != ',') {
				*err = "reply netstring does not end with a comma";
				return -1;
			}
			*used = i;
			return 1;
		}
	}
	*used = i;
	return 0;
}

/* Classify a whole reply the way Postfix's dict_sockmap does. */
static enum kind reply_kind(const struct reply *r)
{
	size_t len = r->len < REPLY_HEAD ? r->len : REPLY_HEAD;
	size_t w = 0;

	while (w < len && r->head[w] != ' ')
		w++;
#define REPLY_IS(word) (w == sizeof(word) - 1 && memcmp(r->head, word, w) == 0)
	if (REPLY_IS("OK"))
		/* Postfix would pass an empty value on as a policy: wrong. */
		return r->len > 3 ? KIND_OK : KIND_BAD;
	if (REPLY_IS("NOTFOUND"))
		return KIND_NOTFOUND;
	if (REPLY_IS("TEMP"))
		return KIND_TEMP;
	if (REPLY_IS("PERM"))
		return KIND_PERM;
	if (REPLY_IS("TIMEOUT"))
		return KIND_TIMEOUT;
#undef REPLY_IS
	return KIND_BAD;
}

/* Copy the start of a reply or key, made printable, into DST. */
static void bench_printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < len && j + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[j++] = (ch >= ' ' && ch < 0x7f && ch != '"' && ch != '\\') ? (char)ch : '?';
	}
	dst[j] = '\0';
}

/* Account for the whole reply on C, then send the next request. */
static void conn_done(struct bench *b, struct conn *c, uint64_t now)
{
	enum kind k = reply_kind(&c->rp);
	const char *key = b->keys.buf + b->keys.off[c->key_index];
	size_t klen = b->keys.off[c->key_index + 1] - b->keys.off[c->key_index];
	int wrong = (b->o.expect == EXPECT_OK && k != KIND_OK)
	    || (b->o.expect == EXPECT_NOTFOUND && k != KIND_NOTFOUND);

	b->inflight--;
	c->state = CONN_IDLE;
	c->used++;
	if (b->first_reply[k][0] == '\0') {
		bench_printable(b->first_reply[k], sizeof(b->first_reply[k]), c->rp.head,
				c->rp.len < REPLY_HEAD ? c->rp.len : REPLY_HEAD);
		bench_printable(b->first_reply_key[k], sizeof(b->first_reply_key[k]), key, klen);
	}
	if (wrong)
		b->st.mismatched++;
	if (k == KIND_BAD) {
		/* After a reply it cannot use, Postfix drops the connection. */
		conn_fail(b, c, &b->st.err_bad, "reply is not OK value, NOTFOUND, "
			  "TEMP, PERM or TIMEOUT");
	} else {
		if (c->measured) {
			b->st.kinds[k]++;
			b->st.completed++;
			hist_add(&b->st.hist, now - c->t_send);
		}
		if (b->o.churn > 0 && c->used % b->o.churn == 0)
			conn_reopen(b, c);
	}
	if (c->state == CONN_IDLE)
		conn_send(b, c);
}

/* Read what the server sent on C. */
static void conn_read(struct bench *b, struct conn *c)
{
	ssize_t n = read(c->fd, bench_rbuf, sizeof(bench_rbuf));
	size_t used = 0;
	const char *err = NULL;
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (c->is_idle) {
		/* The server closed an idle connection: keep N open.  One closed
		 * at once was refused (a connection limit): retry it later, in
		 * bench_check_timeouts, rather than in a loop. */
		if (n <= 0) {
			b->st.idle_reopened++;
			conn_close(b, c);
			if (clock_ns() - c->t_open >= 1000000000u && conn_open(b, c) != 0)
				b->st.err_connect++;
		}
		return;
	}
	if (n <= 0) {
		if (c->state == CONN_SENDING || c->state == CONN_WAITING)
			conn_fail(b, c, &b->st.err_closed, n == 0
				  ? "server closed the connection before replying"
				  : "connection reset before the reply");
		else
			conn_reopen(b, c);
		return;
	}
	if (c->state != CONN_WAITING && c->state != CONN_SENDING) {
		conn_fail(b, c, &b->st.err_bad, "data from the server with no request");
		return;
	}
	rc = reply_feed(&c->rp, bench_rbuf, (size_t)n, b->o.max_reply, &used, &err);
	if (rc == 0)
		return;
	if (rc > 0 && used != (size_t)n) {
		rc = -1;
		err = "more data after the reply";
	}
	if (rc < 0) {
		/* Postfix drops such a connection: so do we. */
		conn_fail(b, c, &b->st.err_bad, err);
		return;
	}
	conn_done(b, c, clock_ns());
}

/* Fail requests that waited longer than --timeout; reopen idle
 * connections that were refused a second ago or more. */
static void bench_check_timeouts(struct bench *b, uint64_t now)
{
	uint64_t limit = (uint64_t)(b->o.timeout * 1e9);

	for (size_t i = b->o.concurrency; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];

		if (c->state == CONN_DEAD && now - c->t_open >= 1000000000u
		    && conn_open(b, c) != 0) {
			c->t_open = now;
			b->st.err_connect++;
		}
	}

	for (size_t i = 0; i < b->o.concurrency; i++) {
		struct conn *c = &b->conns[i];

		if ((c->state == CONN_SENDING || c->state == CONN_WAITING)
		    && now - c->t_send > limit) {
			conn_fail(b, c, &b->st.err_timeout, "no reply within --timeout");
			conn_send(b, c);
		}
	}
}

/* Open every connection before the clock starts. */
static void bench_connect(struct bench *b)
{
	b->nconns = b->o.concurrency + b->o.idle;
	bench_need_fds(b->nconns);
	if ((b->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die(EXIT_USAGE, "epoll_create1: %s", strerror(errno));
	b->conns = xcalloc(b->nconns, sizeof(*b->conns));
	for (size_t i = 0; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];

		c->fd = -1;
		c->is_idle = i >= b->o.concurrency;
		if (conn_open(b, c) != 0)
			die(EXIT_USAGE, "cannot connect to %s (connection %zu of %zu): %s%s",
			    b->target, i + 1, b->nconns, strerror(errno),
			    errno == ENOENT || errno == ECONNREFUSED
			    ? " (is the server running?)" : "");
	}
	b->alive = b->o.concurrency;
}

/* Drive all connections until the run is over. */
static void bench_run(struct bench *b)
{
	struct epoll_event evs[256];
	uint64_t last_check;

	b->t_start = clock_ns();
	b->t_measure = b->t_start + (uint64_t)(b->o.warmup * 1e9);
	b->t_deadline = b->t_measure + (uint64_t)(b->o.duration * 1e9);
	last_check = b->t_start;
	for (size_t i = 0; i < b->o.concurrency; i++)
		conn_send(b, &b->conns[i]);
	while (b->alive > 0) {
		uint64_t now;
		int n = epoll_wait(b->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), 100);

		if (n < 0 && errno != EINTR)
			die(EXIT_FAIL, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->state == CONN_DEAD)
				continue;
			if ((evs[i].events & EPOLLOUT) && c->state == CONN_SENDING)
				conn_flush(b, c);
			else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				conn_read(b, c);
		}
		now = clock_ns();
		if (now - last_check >= 100000000u) {
			bench_check_timeouts(b, now);
			last_check = now;
		}
		/* Connections whose churn or failure left them without a
		 * request in flight, and the end of the run. */
		if (!bench_may_send(b, now)) {
			if (b->inflight == 0)
				break;
		} else if (b->inflight < b->alive) {
			for (size_t i = 0; i < b->o.concurrency; i++)
				conn_send(b, &b->conns[i]);
		}
	}
	b->t_end = clock_ns();
	if (b->alive == 0 && b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error),
			 "all connections to %s failed", b->target);
}

/* Return the seconds over which results were measured. */
static double bench_seconds(const struct bench *b)
{
	uint64_t end = b->t_end;

	if (end <= b->t_measure)
		return 0.0;
	return (double)(end - b->t_measure) / 1e9;
}

/* Return the CPU time (user + system) this process used, in seconds. */
static double bench_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0.0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
	    + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Return the number of failed requests. */
static uint64_t bench_errors(const struct bench *b)
{
	return b->st.err_bad + b->st.err_closed + b->st.err_timeout
	    + b->st.err_connect;
}

static const char *const order_names[] = { "sequential", "random", "zipf" };
static const char *const expect_names[] = { "any", "ok", "notfound" };

/* Print S as a JSON string. */
static void report_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(fp, "\\u%04x", ch);
		else
			fputc(ch, fp);
	}
	fputc('"', fp);
}

/* Fill the latency figures, in microseconds. */
static void report_latencies(const struct bench *b, double lat[6])
{
	const struct hist *h = &b->st.hist;

	lat[0] = (double)hist_quantile(h, 0.50) / 1e3;
	lat[1] = (double)hist_quantile(h, 0.90) / 1e3;
	lat[2] = (double)hist_quantile(h, 0.99) / 1e3;
	lat[3] = (double)hist_quantile(h, 0.999) / 1e3;
	lat[4] = (double)h->max / 1e3;
	lat[5] = h->total ? (double)(h->sum / (long double)h->total) / 1e3 : 0.0;
}

/* Print the results as one JSON object on one line. */
static void report_json(const struct bench *b)
{
	double lat[6], secs = bench_seconds(b);
	const struct stats *s = &b->st;

	report_latencies(b, lat);
	fputs("{\"target\":", stdout);
	report_json_string(stdout, b->target);
	fputs(",\"map\":", stdout);
	report_json_string(stdout, b->o.map);
	printf(",\"concurrency\":%lu,\"idle\":%lu,\"churn\":%llu,\"keys\":%zu,"
	       "\"order\":\"%s\",\"expect\":\"%s\",\"seconds\":%.3f,"
	       "\"requests\":%llu,\"rps\":%.1f,",
	       b->o.concurrency, b->o.idle, b->o.churn, b->keys.n,
	       order_names[b->o.order], expect_names[b->o.expect], secs,
	       (unsigned long long)s->completed,
	       secs > 0 ? (double)s->completed / secs : 0.0);
	printf("\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
	       "\"p99.9\":%.1f,\"max\":%.1f,\"mean\":%.1f},",
	       lat[0], lat[1], lat[2], lat[3], lat[4], lat[5]);
	printf("\"replies\":{\"ok\":%llu,\"notfound\":%llu,\"temp\":%llu,"
	       "\"perm\":%llu,\"timeout\":%llu},",
	       (unsigned long long)s->kinds[KIND_OK],
	       (unsigned long long)s->kinds[KIND_NOTFOUND],
	       (unsigned long long)s->kinds[KIND_TEMP],
	       (unsigned long long)s->kinds[KIND_PERM],
	       (unsigned long long)s->kinds[KIND_TIMEOUT]);
	printf("\"errors\":%llu,\"err_bad\":%llu,\"err_closed\":%llu,\"err_timeout\":%llu,"
	       "\"err_connect\":%llu,\"mismatched\":%llu,\"reconnects\":%llu,"
	       "\"idle_reopened\":%llu,\"client_cpu_s\":%.3f,\"first_error\":",
	       (unsigned long long)bench_errors(b),
	       (unsigned long long)s->err_bad,
	       (unsigned long long)s->err_closed,
	       (unsigned long long)s->err_timeout,
	       (unsigned long long)s->err_connect,
	       (unsigned long long)s->mismatched,
	       (unsigned long long)s->reconnects,
	       (unsigned long long)s->idle_reopened, bench_cpu_seconds());
	report_json_string(stdout, b->first_error);
	fputs("}\n", stdout);
}

/* Print the results as key=value words on one line, for shell scripts. */
static void report_kv(const struct bench *b)
{
	double lat[6], secs = bench_seconds(b);
	const struct stats *s = &b->st;

	report_latencies(b, lat);
	printf("concurrency=%lu idle=%lu churn=%llu keys=%zu order=%s "
	       "seconds=%.3f requests=%llu rps=%.1f "
	       "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
	       "mean_us=%.1f ok=%llu notfound=%llu temp=%llu perm=%llu "
	       "timeout=%llu errors=%llu err_bad=%llu err_closed=%llu "
	       "err_timeout=%llu err_connect=%llu mismatched=%llu "
	       "reconnects=%llu idle_reopened=%llu client_cpu_s=%.3f\n",
	       b->o.concurrency, b->o.idle, b->o.churn, b->keys.n,
	       order_names[b->o.order], secs, (unsigned long long)s->completed,
	       secs > 0 ? (double)s->completed / secs : 0.0,
	       lat[0], lat[1], lat[2], lat[3], lat[4], lat[5],
	       (unsigned long long)s->kinds[KIND_OK],
	       (unsigned long long)s->kinds[KIND_NOTFOUND],
	       (unsigned long long)s->kinds[KIND_TEMP],
	       (unsigned long long)s->kinds[KIND_PERM],
	       (unsigned long long)s->kinds[KIND_TIMEOUT],
	       (unsigned long long)bench_errors(b),
	       (unsigned long long)s->err_bad,
	       (unsigned long long)s->err_closed,
	       (unsigned long long)s->err_timeout,
	       (unsigned long long)s->err_connect,
	       (unsigned long long)s->mismatched,
	       (unsigned long long)s->reconnects,
	       (unsigned long long)s->idle_reopened, bench_cpu_seconds());
}

/* Print the results for a person. */
static void report_human(const struct bench *b)
{
	double lat[6], secs = bench_seconds(b);
	const struct stats *s = &b->st;

	report_latencies(b, lat);
	printf("%s map %s: %lu connection%s", b->target, b->o.map,
	       b->o.concurrency, b->o.concurrency == 1 ? "" : "s");
	if (b->o.idle)
		printf(" + %lu idle", b->o.idle);
	if (b->o.churn)
		printf(", reconnect every %llu requests", b->o.churn);
	printf(", %zu key%s (%s)\n", b->keys.n, b->keys.n == 1 ? "" : "s",
	       order_names[b->o.order]);
	printf("  requests   %llu in %.2f s: %.1f requests/s\n",
	       (unsigned long long)s->completed, secs,
	       secs > 0 ? (double)s->completed / secs : 0.0);
	printf("  latency    p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, "
	       "max %.1f us (mean %.1f us)\n",
	       lat[0], lat[1], lat[2], lat[3], lat[4], lat[5]);
	printf("  replies    OK %llu, NOTFOUND %llu, TEMP %llu, PERM %llu, "
	       "TIMEOUT %llu\n",
	       (unsigned long long)s->kinds[KIND_OK],
	       (unsigned long long)s->kinds[KIND_NOTFOUND],
	       (unsigned long long)s->kinds[KIND_TEMP],
	       (unsigned long long)s->kinds[KIND_PERM],
	       (unsigned long long)s->kinds[KIND_TIMEOUT]);
	printf("  errors     %llu (bad reply %llu, connection lost %llu, "
	       "timed out %llu, reconnect failed %llu)",
	       (unsigned long long)bench_errors(b),
	       (unsigned long long)s->err_bad,
	       (unsigned long long)s->err_closed,
	       (unsigned long long)s->err_timeout,
	       (unsigned long long)s->err_connect);
	if (b->o.expect != EXPECT_ANY)
		printf(", not %s: %llu", b->o.expect == EXPECT_OK ? "OK" : "NOTFOUND",
		       (unsigned long long)s->mismatched);
	putchar('\n');
	printf("  client     %.2f s CPU in %.2f s (warm-up and connecting included)\n",
	       bench_cpu_seconds(), (double)(b->t_end - b->t_start) / 1e9);
	if (b->o.churn || s->reconnects || s->idle_reopened)
		printf("  reconnects %llu, idle connections reopened %llu\n",
		       (unsigned long long)s->reconnects,
		       (unsigned long long)s->idle_reopened);
	for (int k = 0; k < KIND_COUNT; k++)
		if (b->first_reply[k][0] != '\0')
			printf("  first %-9s \"%s\" for %s\n", kind_names[k],
			       b->first_reply[k], b->first_reply_key[k]);
	if (b->first_error[0] != '\0')
		printf("  first error: %s\n", b->first_error);
}

/* Print the usage summary. */
static void usage(FILE *fp)
{
	fputs(
"Usage: tlspin-bench (--socket PATH | --connect HOST:PORT) [OPTION...]\n"
"Load-test a Postfix socketmap server (tlspind) the way Postfix's smtp\n"
"processes use it: netstring requests \"MAP KEY\", one request in flight per\n"
"connection, connections reused.\n"
"\n"
"Where:\n"
"  -s, --socket PATH       Unix socket of the server\n"
"  -C, --connect HOST:PORT TCP address of the server ([ADDR]:PORT for IPv6)\n"
"  -m, --map NAME          socketmap name sent before each key (default policy)\n"
"\n"
"How much:\n"
"  -c, --concurrency N     connections, one request in flight each, like N\n"
"                          smtp processes (default 1)\n"
"  -d, --duration S        stop sending after S seconds (default 10 when\n"
"                          --requests is not given)\n"
"  -n, --requests N        stop after N requests (with -d: whichever first)\n"
"  -w, --warmup S          send for S seconds before measuring (default 0)\n"
"  -t, --timeout S         a reply later than S seconds is an error and the\n"
"                          connection is reopened (default 10)\n"
"      --idle N            also hold N idle connections open (reopened when\n"
"                          the server closes them)\n"
"      --churn K           reconnect each connection after K requests\n"
"\n"
"What to ask:\n"
"  -k, --keys FILE         keys, one per line; blank and # lines skipped\n"
"  -K, --key KEY           ask for KEY only (default example.com)\n"
"  -o, --order ORDER       sequential (default), random (uniform), or zipf:\n"
"                          the first key is the most popular\n"
"      --zipf-s S          zipf exponent (default 1.0)\n"
"      --seed N            random seed, for repeatable runs (default 1)\n"
"      --max-reply N       longest reply accepted (default 100000, as Postfix)\n"
"\n"
"Checks and output:\n"
"  -e, --expect KIND       ok or notfound: exit 1 if any reply is another kind\n"
"  -j, --json              print one JSON object on one line\n"
"      --kv                print key=value words on one line (for shell)\n"
"  -h, --help              show this help\n"
"  -V, --version           show the version\n"
"\n"
"Exit status: 0 all requests answered (as --expect says); 1 a request failed\n"
"(lost connection, timeout, malformed reply) or got another kind of reply\n"
"than --expect; 2 bad usage or the server could not be reached.\n"
"\n"
"Example:\n"
"  tlspin-bench --socket /var/spool/postfix/private/tlspin --concurrency 10 \\\n"
"      --duration 10 --keys domains.txt --order zipf --expect ok\n", fp);
}

/* Parse an unsigned number for option NAME in [MIN, MAX] or exit. */
static unsigned long long opt_number(const char *name, const char *arg,
				     unsigned long long min, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] == '-' || arg[0] == '\0' || *end != '\0' || errno != 0
	    || v < min || v > max)
		die(EXIT_USAGE, "%s '%s': expected a whole number from %llu to %llu",
		    name, arg, min, max);
	return v;
}

/* Parse a number of seconds (or another positive real) for NAME or exit. */
static double opt_real(const char *name, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (arg[0] == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
		die(EXIT_USAGE, "%s '%s': expected a number from %g to %g",
		    name, arg, min, max);
	return v;
}

/* Parse the command line into O. */
static void opts_parse(struct opts *o, int argc, char **argv)
{
	enum { OPT_IDLE = 256, OPT_CHURN, OPT_ZIPF_S, OPT_SEED, OPT_MAX_REPLY, OPT_KV };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'C' },
		{ "map", required_argument, NULL, 'm' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keys", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, 'K' },
		{ "order", required_argument, NULL, 'o' },
		{ "expect", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "kv", no_argument, NULL, OPT_KV },
		{ "idle", required_argument, NULL, OPT_IDLE },
		{ "churn", required_argument, NULL, OPT_CHURN },
		{ "zipf-s", required_argument, NULL, OPT_ZIPF_S },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "max-reply", required_argument, NULL, OPT_MAX_REPLY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->map = "policy";
	o->concurrency = 1;
	o->timeout = 10.0;
	o->zipf_s = 1.0;
	o->seed = 1;
	o->max_reply = REPLY_MAX_DEFAULT;
	while ((ch = getopt_long(argc, argv, "s:C:m:c:d:n:w:t:k:K:o:e:jhV",
				 longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->socket_path = optarg; break;
		case 'C': o->connect_spec = optarg; break;
		case 'm': o->map = optarg; break;
		case 'c': o->concurrency = (unsigned long)opt_number("--concurrency", optarg, 1, 100000); break;
		case 'd': o->duration = opt_real("--duration", optarg, 0.001, 1e7); break;
		case 'n': o->requests = opt_number("--requests", optarg, 1, UINT64_MAX / 2); break;
		case 'w': o->warmup = opt_real("--warmup", optarg, 0.0, 1e6); break;
		case 't': o->timeout = opt_real("--timeout", optarg, 0.001, 1e6); break;
		case 'k': o->keys_file = optarg; break;
		case 'K': o->key = optarg; break;
		case 'o':
			if (strcmp(optarg, "sequential") == 0)
				o->order = ORDER_SEQUENTIAL;
			else if (strcmp(optarg, "random") == 0)
				o->order = ORDER_RANDOM;
			else if (strcmp(optarg, "zipf") == 0)
				o->order = ORDER_ZIPF;
			else
				die(EXIT_USAGE, "--order '%s': expected sequential, random or zipf", optarg);
			break;
		case 'e':
			if (strcmp(optarg, "ok") == 0)
				o->expect = EXPECT_OK;
			else if (strcmp(optarg, "notfound") == 0)
				o->expect = EXPECT_NOTFOUND;
			else
				die(EXIT_USAGE, "--expect '%s': expected ok or notfound", optarg);
			break;
		case 'j': o->format = FORMAT_JSON; break;
		case OPT_KV: o->format = FORMAT_KV; break;
		case OPT_IDLE: o->idle = (unsigned long)opt_number("--idle", optarg, 0, 1000000); break;
		case OPT_CHURN: o->churn = opt_number("--churn", optarg, 1, UINT64_MAX / 2); break;
		case OPT_ZIPF_S: o->zipf_s = opt_real("--zipf-s", optarg, 0.01, 10.0); break;
		case OPT_SEED: o->seed = opt_number("--seed", optarg, 0, UINT64_MAX); break;
		case OPT_MAX_REPLY: o->max_reply = (unsigned long)opt_number("--max-reply", optarg, 4, 100000000); break;
		case 'h': usage(stdout); exit(0);
		case 'V': puts(PROG " " PACKAGE_VERSION); exit(0);
		default:
			fputs("Try 'tlspin-bench --help'.\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (try --help)", argv[optind]);
	if ((o->socket_path == NULL) == (o->connect_spec == NULL))
		die(EXIT_USAGE, "give exactly one of --socket PATH or --connect HOST:PORT (try --help)");
	if (o->keys_file != NULL && o->key != NULL)
		die(EXIT_USAGE, "give --keys FILE or --key KEY, not both");
	if (o->map[0] == '\0' || strlen(o->map) > MAP_MAX || strchr(o->map, ' ') != NULL)
		die(EXIT_USAGE, "--map '%s': a map name is 1 to %d bytes without spaces",
		    o->map, MAP_MAX);
	if (o->duration == 0 && o->requests == 0)
		o->duration = 10.0;
}

/* Stop sending on SIGINT or SIGTERM and report what was measured. */
static void bench_on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

int main(int argc, char **argv)
{
	static struct bench b;	/* static: the histogram is 58 KiB */
	struct sigaction sa;
	uint64_t errors;

	opts_parse(&b.o, argc, argv);
	if (b.o.keys_file != NULL)
		keys_load(&b.keys, b.o.keys_file);
	else
		keys_single(&b.keys, b.o.key != NULL ? b.o.key : "example.com");
	if (b.o.order == ORDER_ZIPF)
		zipf_init(&b.zipf, b.keys.n, b.o.zipf_s);
	b.rng = rng_seed(b.o.seed);
	bench_resolve(&b);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bench_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	bench_connect(&b);
	bench_run(&b);

	if (b.o.format == FORMAT_JSON)
		report_json(&b);
	else if (b.o.format == FORMAT_KV)
		report_kv(&b);
	else
		report_human(&b);
	fflush(stdout);

	errors = bench_errors(&b);
	if (errors > 0)
		warnx_("%llu error%s; first: %s", (unsigned long long)errors,
		       errors == 1 ? "" : "s", b.first_error);
	if (b.o.expect != EXPECT_ANY && b.st.mismatched > 0)
		warnx_("%llu repl%s not %s", (unsigned long long)b.st.mismatched,
		       b.st.mismatched == 1 ? "y was" : "ies were",
		       b.o.expect == EXPECT_OK ? "OK" : "NOTFOUND");
	if (errors > 0 || (b.o.expect != EXPECT_ANY && b.st.mismatched > 0))
		return EXIT_FAIL;
	return 0;
}
