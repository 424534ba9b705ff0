/*
 * NAME
 *	fakesmtp - SMTP, IMAP and POP3 servers, good and bad, for probe tests
 * SYNOPSIS
 *	fakesmtp --port-file FILE [--listen ADDR] [--port N]
 *		[--proto smtp|imap|pop3] [--implicit] [--mode MODE]
 *		[--cert PEM --key PEM] [--tls-max 1.0|1.1|1.2|1.3]
 *		[--name BANNER_HOST]
 * DESCRIPTION
 *	fakesmtp is what "tlspin check" is tested against: a mail server on
 *	the loopback that behaves well (STARTTLS with a given certificate
 *	chain) or in one chosen bad way.  It listens on ADDR (default
 *	127.0.0.1) at a port the kernel picks, or at --port N so that two
 *	servers on two loopback addresses share a port as the MX hosts of
 *	one domain do.  It writes the port to FILE (write and rename, so a
 *	reader never sees half a number), then serves every connection in a
 *	forked child until SIGTERM or SIGINT: a stalled client never blocks
 *	the next one.  Children die with the parent (PR_SET_PDEATHSIG), and
 *	no connection lives longer than CONN_SECONDS.
 *
 *	MODE is one of:
 *	starttls	(default) STARTTLS offered and done with --cert/--key.
 *	nostarttls	STARTTLS (STLS) neither offered nor accepted.
 *	refuse		STARTTLS offered, refused with a temporary error.
 *	badtls		STARTTLS accepted, then junk that is not TLS
 *			in answer to the client's hello.
 *	stall-banner	accept, then say nothing.
 *	stall-ehlo	greet, then answer nothing.
 *	garbage		4 KB of random binary with NULs instead of a greeting.
 *	bigbanner	"220 " then 10 MB without a newline.
 *	http		"HTTP/1.1 400 Bad Request" and close.
 *	The stalls hold the connection until the client closes it or
 *	HOLD_SECONDS pass.
 *
 *	--implicit does the TLS handshake first (ports 465, 993, 995) and
 *	then speaks the protocol inside TLS.  --tls-max caps the protocol
 *	version and, so that a probe can meet a TLS 1.0 server, also allows
 *	every old version and cipher (security level 0).
 *
 *	Everything a client sends is read through a bounded line buffer; a
 *	line longer than LINE_MAX_LEN gets the protocol's error and ends the
 *	connection.  Plain text a client sent after STARTTLS is dropped, not
 *	read as if it came in TLS.  SIGPIPE is ignored: a client that goes
 *	away is the normal case here.
 */

#ifdef HAVE_CONFIG_H
#include "autoconf.h"	/* the project's configure results */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1		/* getopt_long, accept4, ppoll */
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#if defined(__GNUC__)
#define FAKESMTP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FAKESMTP_NORETURN __attribute__((noreturn))
#else
#define FAKESMTP_PRINTF(f, a)
#define FAKESMTP_NORETURN
#endif

#define LINE_MAX_LEN 1000	/* a longer command line ends the connection */
#define HOLD_SECONDS 120	/* how long the stall modes hold a client */
#define IO_SECONDS 120		/* one read or write waits at most this long */
#define CONN_SECONDS 300	/* no connection outlives this (alarm) */
#define LINGER_MS 2000		/* draining the client before close */
#define GARBAGE_LEN 4096
#define BIGBANNER_LEN (10 * 1024 * 1024)
#define JUNK_LEN 200

enum fakesmtp_proto { PROTO_SMTP, PROTO_IMAP, PROTO_POP3 };

enum fakesmtp_mode {
	MODE_STARTTLS, MODE_NOSTARTTLS, MODE_REFUSE, MODE_BADTLS,
	MODE_STALL_BANNER, MODE_STALL_EHLO, MODE_GARBAGE, MODE_BIGBANNER,
	MODE_HTTP
};

static const char *const fakesmtp_proto_names[] = { "smtp", "imap", "pop3" };

static const char *const fakesmtp_mode_names[] = {
	"starttls", "nostarttls", "refuse", "badtls", "stall-banner",
	"stall-ehlo", "garbage", "bigbanner", "http"
};

struct fakesmtp_opts {
	const char *port_file;
	const char *listen;
	unsigned port;			/* 0: the kernel picks */
	const char *cert;
	const char *key;
	const char *name;		/* the host name in the SMTP banner */
	enum fakesmtp_proto proto;
	enum fakesmtp_mode mode;
	int implicit;
	int tls_max;			/* 0: OpenSSL's defaults */
};

/* One client connection, in its own child process. */
struct fakesmtp_conn {
	int fd;
	SSL *ssl;			/* NULL until the handshake is done */
	SSL_CTX *ctx;
	const struct fakesmtp_opts *o;
	size_t in_len;			/* bytes read and not yet returned */
	char in[LINE_MAX_LEN + 2];
};

static volatile sig_atomic_t fakesmtp_stop;

static void fakesmtp_die(const char *, ...)
    FAKESMTP_PRINTF(1, 2) FAKESMTP_NORETURN;
static void fakesmtp_warn(const char *, ...) FAKESMTP_PRINTF(1, 2);
static int fakesmtp_sendf(struct fakesmtp_conn *, const char *, ...)
    FAKESMTP_PRINTF(2, 3);

/* Print "fakesmtp: MESSAGE" on stderr and exit 1. */
static void
fakesmtp_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fakesmtp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Print "fakesmtp[PID]: MESSAGE" on stderr and go on. */
static void
fakesmtp_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fakesmtp[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print the usage summary. */
static void
fakesmtp_usage(FILE *fp)
{
	fputs(
"Usage: fakesmtp --port-file FILE [--listen ADDR] [--port N]\n"
"                [--proto smtp|imap|pop3] [--implicit] [--mode MODE]\n"
"                [--cert PEM --key PEM]\n"
"                [--tls-max 1.0|1.1|1.2|1.3] [--name BANNER_HOST]\n"
"A mail server for tests: listens on ADDR (default 127.0.0.1) at a free\n"
"port (or port N), writes the port to FILE, serves until SIGTERM.\n"
"  --proto P       smtp (default), imap or pop3\n"
"  --mode MODE     starttls (default), nostarttls, refuse, badtls,\n"
"                  stall-banner, stall-ehlo, garbage, bigbanner, http\n"
"  --implicit      TLS from the first byte (like ports 465, 993, 995)\n"
"  --cert, --key   the certificate (with its chain) and key for TLS\n"
"  --tls-max V     highest TLS version; also allows TLS 1.0 and old ciphers\n"
"  --name HOST     the host name in the SMTP banner (default localhost)\n", fp);
}

/* The index of S among the N NAMES, or die naming OPT and the choices. */
static size_t
fakesmtp_choose(const char *opt, const char *s, const char *const *names,
    size_t n)
{
	char list[256];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : ", ", names[i]);

		if (w < 0 || (size_t)w >= sizeof(list) - len)
			break;
		len += (size_t)w;
	}
	fakesmtp_die("%s '%s': expected one of %s", opt, s, list);
}

#define FAKESMTP_CHOOSE(opt, s, names) \
	fakesmtp_choose((opt), (s), (names), sizeof(names) / sizeof((names)[0]))

/* Parse a --tls-max value into an OpenSSL version number, or die. */
static int
fakesmtp_parse_tls_version(const char *s)
{
	static const char *const names[] = { "1.0", "1.1", "1.2", "1.3" };
	static const int versions[] = {
		TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION
	};

	return versions[FAKESMTP_CHOOSE("--tls-max", s, names)];
}

/* Die with OpenSSL's first queued error after WHAT. */
static void
fakesmtp_die_tls(const char *what)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	fakesmtp_die("%s: %s", what, buf);
}

/* Make the server TLS context from the options. */
static SSL_CTX *
fakesmtp_tls_init(const struct fakesmtp_opts *o)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fakesmtp_die_tls("SSL_CTX_new");
	if (o->tls_max != 0) {
		/* An old server: everything down to TLS 1.0 and SHA-1. */
		SSL_CTX_set_security_level(ctx, 0);
		if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1)
			fakesmtp_die_tls("cipher list DEFAULT:@SECLEVEL=0");
		if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
		    SSL_CTX_set_max_proto_version(ctx, o->tls_max) != 1)
			fakesmtp_die_tls("--tls-max");
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
		fakesmtp_die_tls(o->cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
		fakesmtp_die_tls(o->key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		fakesmtp_die_tls("the key does not match the certificate");
	return ctx;
}

/* Listen on ADDR at *PORT, or at a port the kernel picks; return the socket. */
static int
fakesmtp_listen(const char *addr, unsigned *port)
{
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char service[8];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", *port);
	if ((rc = getaddrinfo(addr, service, &hints, &ai)) != 0)
		fakesmtp_die("--listen '%s': %s (give a numeric address)", addr,
		    gai_strerror(rc));
	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fakesmtp_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		fakesmtp_die("bind %s port %u: %s", addr, *port,
		    strerror(errno));
	freeaddrinfo(ai);
	if (listen(fd, 64) < 0)
		fakesmtp_die("listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		fakesmtp_die("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Write PORT to FILE through a temporary file and a rename. */
static void
fakesmtp_write_port(const char *file, unsigned port)
{
	char tmp[PATH_MAX], line[16];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		fakesmtp_die("--port-file '%s': name too long", file);
	n = snprintf(line, sizeof(line), "%u\n", port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fakesmtp_die("cannot create %s: %s", tmp, strerror(errno));
	if (write(fd, line, (size_t)n) != n || close(fd) != 0)
		fakesmtp_die("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, file) != 0)
		fakesmtp_die("cannot rename %s to %s: %s", tmp, file,
		    strerror(errno));
}

/* Send LEN bytes, in TLS once it is on; -1 when the client is gone. */
static int
fakesmtp_send(struct fakesmtp_conn *c, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		size_t chunk = len > INT_MAX ? INT_MAX : len;
		ssize_t n;

		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, p, (int)chunk);

			if (w <= 0)
				return -1;
			n = w;
		} else {
			n = write(c->fd, p, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send a formatted reply (at most 1 KB); -1 when the client is gone. */
static int
fakesmtp_sendf(struct fakesmtp_conn *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return fakesmtp_send(c, buf, (size_t)n);
}

/* Read what is there, up to LEN bytes; 0 at the end, -1 on error or timeout. */
static ssize_t
fakesmtp_recv(struct fakesmtp_conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	if (c->ssl != NULL) {
		int r = SSL_read(c->ssl, buf, (int)len);

		if (r > 0)
			return r;
		if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
			return 0;
		return -1;
	}
	do
		n = read(c->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Get the next command line, without its CR LF, NUL-terminated, into
 * LINE (LINE_MAX_LEN + 1 bytes): its length, -1 at the end of the
 * connection, -2 for a line that is too long.
 */
static ssize_t
fakesmtp_getline(struct fakesmtp_conn *c, char *line)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t len, used;
		ssize_t n;

		if (nl != NULL) {
			used = (size_t)(nl - c->in) + 1;
			len = used - 1;
			if (len > 0 && c->in[len - 1] == '\r')
				len--;
			if (len > LINE_MAX_LEN)
				return -2;
			memcpy(line, c->in, len);
			line[len] = '\0';
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			return (ssize_t)len;
		}
		if (c->in_len >= sizeof(c->in))
			return -2;
		n = fakesmtp_recv(c, c->in + c->in_len,
		    sizeof(c->in) - c->in_len);
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
}

/* Milliseconds on the monotonic clock. */
static long long
fakesmtp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read and drop what the client sends until it closes or MS pass. */
static void
fakesmtp_drain(struct fakesmtp_conn *c, long long ms)
{
	long long end = fakesmtp_now_ms() + ms;
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left = end - fakesmtp_now_ms();
		int rc;

		if (left <= 0)
			return;
		if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
			rc = poll(&pfd, 1, (int)left);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc <= 0)
				return;
		}
		if (fakesmtp_recv(c, buf, sizeof(buf)) <= 0)
			return;
	}
}

/* Hold the connection without a word, as a stalled server does. */
static void
fakesmtp_hold(struct fakesmtp_conn *c)
{
	fakesmtp_drain(c, (long long)HOLD_SECONDS * 1000);
}

/*
 * End the connection.  When GENTLE, half-close and drain first: closing
 * with unread input makes the kernel send a reset, which could throw away
 * the last reply before the client has read it.
 */
static void
fakesmtp_close(struct fakesmtp_conn *c, int gentle)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		if (gentle) {
			shutdown(c->fd, SHUT_WR);
			fakesmtp_drain(c, LINGER_MS);
		}
		SSL_free(c->ssl);
		c->ssl = NULL;
	} else if (gentle) {
		shutdown(c->fd, SHUT_WR);
		fakesmtp_drain(c, LINGER_MS);
	}
	close(c->fd);
	c->fd = -1;
}

/* Do the server side of the TLS handshake; -1 (logged) if it fails. */
static int
fakesmtp_handshake(struct fakesmtp_conn *c)
{
	char buf[256];
	int rc;

	/* Plain text sent after STARTTLS must not be read as if in TLS. */
	c->in_len = 0;
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		fakesmtp_warn("SSL_new failed");
		return -1;
	}
	errno = 0;
	if ((rc = SSL_accept(c->ssl)) != 1) {
		unsigned long e = ERR_get_error();

		if (e != 0)
			ERR_error_string_n(e, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "SSL error %d, %s",
			    SSL_get_error(c->ssl, rc),
			    errno != 0 ? strerror(errno) : "connection closed");
		fakesmtp_warn("TLS handshake failed: %s", buf);
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	return 0;
}

/*
 * Answer the client's TLS hello with JUNK_LEN bytes that no TLS client
 * can take for a handshake.  Waiting for the hello matters: junk sent
 * right after the go-ahead can land in the client's line buffer with the
 * go-ahead and be thrown away with it (openssl s_client does that), and
 * the client would see a close instead of a broken handshake.
 */
static void
fakesmtp_send_junk(struct fakesmtp_conn *c)
{
	static const char word[] = "this is not TLS ";
	char junk[JUNK_LEN];
	size_t i;

	if (c->in_len == 0 && fakesmtp_recv(c, junk, sizeof(junk)) <= 0)
		return;
	c->in_len = 0;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = word[i % (sizeof(word) - 1)];
	fakesmtp_send(c, junk, sizeof(junk));
}

/* Send random binary with NUL bytes in it. */
static void
fakesmtp_send_garbage(struct fakesmtp_conn *c)
{
	unsigned char buf[GARBAGE_LEN];
	size_t i;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		memset(buf, 0xA5, sizeof(buf));
	for (i = 0; i < sizeof(buf); i += 61)
		buf[i] = 0;	/* NULs for sure, and never a "220 " start */
	fakesmtp_send(c, buf, sizeof(buf));
}

/* Send PREFIX then BIGBANNER_LEN 'A's; stop quietly when the client goes. */
static void
fakesmtp_send_bigbanner(struct fakesmtp_conn *c, const char *prefix)
{
	char buf[16384];
	size_t sent;

	memset(buf, 'A', sizeof(buf));
	if (fakesmtp_send(c, prefix, strlen(prefix)) < 0)
		return;
	for (sent = 0; sent < BIGBANNER_LEN; sent += sizeof(buf))
		if (fakesmtp_send(c, buf, sizeof(buf)) < 0)
			return;
}

/* True if STARTTLS (STLS) is to be offered right now. */
static int
fakesmtp_offers_tls(const struct fakesmtp_conn *c)
{
	enum fakesmtp_mode m = c->o->mode;

	return c->ssl == NULL &&
	    (m == MODE_STARTTLS || m == MODE_REFUSE || m == MODE_BADTLS);
}

/* A protocol's answers to a request for TLS, without their CR LF. */
struct fakesmtp_tls_replies {
	const char *active;		/* TLS is on already */
	const char *unknown;		/* mode nostarttls */
	const char *refused;		/* mode refuse */
	const char *go;			/* go ahead: the handshake follows */
};

static const struct fakesmtp_tls_replies fakesmtp_smtp_tls = {
	"554 5.5.1 Error: TLS already active",
	"502 5.5.1 Error: command not implemented",
	"454 4.7.0 TLS not available due to local problem",
	"220 2.0.0 Ready to start TLS"
};
static const struct fakesmtp_tls_replies fakesmtp_imap_tls = {
	"BAD TLS already active", "BAD unknown command",
	"NO [UNAVAILABLE] TLS not available", "OK Begin TLS"
};
static const struct fakesmtp_tls_replies fakesmtp_pop3_tls = {
	"-ERR TLS already active", "-ERR unknown command",
	"-ERR TLS not available", "+OK Begin TLS"
};

/*
 * Answer STARTTLS (STLS) as the mode says, each reply after the first
 * TAG_LEN bytes of TAG (the IMAP tag and its space): 0 to go on, in TLS
 * or not, -1 to end the connection.
 */
static int
fakesmtp_starttls(struct fakesmtp_conn *c, const char *tag, int tag_len,
    const struct fakesmtp_tls_replies *r)
{
	const char *reply = r->go;

	if (c->ssl != NULL)
		reply = r->active;
	else if (c->o->mode == MODE_NOSTARTTLS)
		reply = r->unknown;
	else if (c->o->mode == MODE_REFUSE)
		reply = r->refused;
	if (fakesmtp_sendf(c, "%.*s%s\r\n", tag_len, tag, reply) < 0)
		return -1;
	if (reply != r->go)
		return 0;
	if (c->o->mode == MODE_BADTLS) {
		fakesmtp_send_junk(c);
		return -1;
	}
	return fakesmtp_handshake(c);
}

/* True if LINE's first word is VERB, in any case. */
static int
fakesmtp_verb_is(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	return strncasecmp(line, verb, n) == 0 &&
	    (line[n] == '\0' || line[n] == ' ');
}

/* Send the SMTP banner. */
static int
fakesmtp_smtp_greet(struct fakesmtp_conn *c)
{
	return fakesmtp_sendf(c, "220 %s ESMTP fakesmtp\r\n", c->o->name);
}

/* Answer one SMTP command: 0 to go on, -1 to end the connection. */
static int
fakesmtp_smtp_answer(struct fakesmtp_conn *c, char *line)
{
	const char *name = c->o->name;

	if (fakesmtp_verb_is(line, "EHLO")) {
		if (line[4] == '\0')
			return fakesmtp_sendf(c,
			    "501 5.5.4 Syntax: EHLO hostname\r\n");
		return fakesmtp_sendf(c, "250-%s\r\n250-PIPELINING\r\n"
		    "250-SIZE 10240000\r\n%s250 8BITMIME\r\n", name,
		    fakesmtp_offers_tls(c) ? "250-STARTTLS\r\n" : "");
	}
	if (fakesmtp_verb_is(line, "HELO"))
		return fakesmtp_sendf(c, "250 %s\r\n", name);
	if (fakesmtp_verb_is(line, "STARTTLS"))
		return fakesmtp_starttls(c, "", 0, &fakesmtp_smtp_tls);
	if (fakesmtp_verb_is(line, "RSET") || fakesmtp_verb_is(line, "NOOP"))
		return fakesmtp_sendf(c, "250 2.0.0 Ok\r\n");
	if (fakesmtp_verb_is(line, "QUIT")) {
		fakesmtp_sendf(c, "221 2.0.0 Bye\r\n");
		return -1;
	}
	return fakesmtp_sendf(c, "502 5.5.2 Error: command not recognized\r\n");
}

/* Send the IMAP greeting, with the capabilities. */
static int
fakesmtp_imap_greet(struct fakesmtp_conn *c)
{
	return fakesmtp_sendf(c,
	    "* OK [CAPABILITY IMAP4rev1%s] fakesmtp ready\r\n",
	    fakesmtp_offers_tls(c) ? " STARTTLS" : "");
}

/* Answer one tagged IMAP command: 0 to go on, -1 to end the connection. */
static int
fakesmtp_imap_answer(struct fakesmtp_conn *c, char *line)
{
	char *sp = strchr(line, ' ');
	const char *cmd;
	int tag_len;

	if (sp == NULL || sp == line)
		return fakesmtp_sendf(c,
		    "* BAD expected a tag and a command\r\n");
	tag_len = (int)(sp - line);
	cmd = sp + 1;
	if (fakesmtp_verb_is(cmd, "CAPABILITY"))
		return fakesmtp_sendf(c, "* CAPABILITY IMAP4rev1%s\r\n"
		    "%.*s OK CAPABILITY completed\r\n",
		    fakesmtp_offers_tls(c) ? " STARTTLS" : "", tag_len, line);
	if (fakesmtp_verb_is(cmd, "STARTTLS"))
		return fakesmtp_starttls(c, line, tag_len + 1,
		    &fakesmtp_imap_tls);
	if (fakesmtp_verb_is(cmd, "NOOP"))
		return fakesmtp_sendf(c, "%.*s OK NOOP completed\r\n",
		    tag_len, line);
	if (fakesmtp_verb_is(cmd, "LOGOUT")) {
		fakesmtp_sendf(c, "* BYE fakesmtp logging out\r\n"
		    "%.*s OK LOGOUT completed\r\n", tag_len, line);
		return -1;
	}
	return fakesmtp_sendf(c, "%.*s BAD unknown command\r\n", tag_len, line);
}

/* Send the POP3 greeting. */
static int
fakesmtp_pop3_greet(struct fakesmtp_conn *c)
{
	return fakesmtp_sendf(c, "+OK fakesmtp ready\r\n");
}

/* Answer one POP3 command: 0 to go on, -1 to end the connection. */
static int
fakesmtp_pop3_answer(struct fakesmtp_conn *c, char *line)
{
	if (fakesmtp_verb_is(line, "CAPA"))
		return fakesmtp_sendf(c, "+OK\r\nUSER\r\n%s.\r\n",
		    fakesmtp_offers_tls(c) ? "STLS\r\n" : "");
	if (fakesmtp_verb_is(line, "STLS"))
		return fakesmtp_starttls(c, "", 0, &fakesmtp_pop3_tls);
	if (fakesmtp_verb_is(line, "NOOP"))
		return fakesmtp_sendf(c, "+OK\r\n");
	if (fakesmtp_verb_is(line, "QUIT")) {
		fakesmtp_sendf(c, "+OK\r\n");
		return -1;
	}
	return fakesmtp_sendf(c, "-ERR unknown command\r\n");
}

/* How one protocol greets and answers, indexed by enum fakesmtp_proto. */
static const struct fakesmtp_proto_ops {
	const char *greeting_start;	/* what mode bigbanner sends first */
	const char *too_long;		/* the answer to a line too long */
	int (*greet)(struct fakesmtp_conn *);
	int (*answer)(struct fakesmtp_conn *, char *);
} fakesmtp_protos[] = {
	{ "220 ", "500 5.5.0 Error: line too long",
	    fakesmtp_smtp_greet, fakesmtp_smtp_answer },
	{ "* OK ", "* BYE line too long",
	    fakesmtp_imap_greet, fakesmtp_imap_answer },
	{ "+OK ", "-ERR line too long",
	    fakesmtp_pop3_greet, fakesmtp_pop3_answer },
};

/* Greet, then answer command lines until the client leaves or misbehaves. */
static void
fakesmtp_session(struct fakesmtp_conn *c, const struct fakesmtp_proto_ops *p)
{
	char line[LINE_MAX_LEN + 1];
	ssize_t n;

	if (p->greet(c) < 0)
		return;
	if (c->o->mode == MODE_STALL_EHLO) {
		fakesmtp_hold(c);
		return;
	}
	while ((n = fakesmtp_getline(c, line)) >= 0)
		if (p->answer(c, line) < 0)
			return;
	if (n == -2)
		fakesmtp_sendf(c, "%s\r\n", p->too_long);
}

/* Serve one connection, in the child, from accept to close. */
static void
fakesmtp_conn_serve(struct fakesmtp_conn *c)
{
	const struct fakesmtp_proto_ops *p = &fakesmtp_protos[c->o->proto];
	struct timeval tv = { .tv_sec = IO_SECONDS };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (c->o->implicit) {
		if (c->o->mode == MODE_BADTLS) {
			fakesmtp_send_junk(c);
			fakesmtp_close(c, 1);
			return;
		}
		if (fakesmtp_handshake(c) < 0) {
			fakesmtp_close(c, 0);
			return;
		}
	}
	switch (c->o->mode) {
	case MODE_STALL_BANNER:
		fakesmtp_hold(c);
		break;
	case MODE_GARBAGE:
		fakesmtp_send_garbage(c);
		break;
	case MODE_BIGBANNER:
		fakesmtp_send_bigbanner(c, p->greeting_start);
		break;
	case MODE_HTTP:
		fakesmtp_sendf(c, "HTTP/1.1 400 Bad Request\r\n\r\n");
		break;
	default:
		fakesmtp_session(c, p);
		break;
	}
	fakesmtp_close(c, c->o->mode != MODE_BIGBANNER);
}

/* Note SIGTERM or SIGINT: the accept loop stops. */
static void
fakesmtp_on_stop(int sig)
{
	(void)sig;
	fakesmtp_stop = 1;
}

/* Wake the accept loop so that it reaps the child. */
static void
fakesmtp_on_child(int sig)
{
	(void)sig;
}

/* Start the child for connection FD; the parent just goes on. */
static void
fakesmtp_fork(int lfd, int fd, SSL_CTX *ctx, const struct fakesmtp_opts *o,
    const sigset_t *unblocked, pid_t parent)
{
	static struct fakesmtp_conn conn;	/* big: not on the stack */
	pid_t pid = fork();

	if (pid < 0) {
		fakesmtp_warn("fork: %s", strerror(errno));
		close(fd);
		return;
	}
	if (pid > 0) {
		close(fd);
		return;
	}
	/* The child: it must not outlive the server nor a slow client. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	close(lfd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, unblocked, NULL);
	alarm(CONN_SECONDS);
	memset(&conn, 0, sizeof(conn));
	conn.fd = fd;
	conn.ctx = ctx;
	conn.o = o;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	fakesmtp_conn_serve(&conn);
	_exit(0);
}

/* Accept and fork until SIGTERM or SIGINT, reaping finished children. */
static void
fakesmtp_serve(int lfd, SSL_CTX *ctx, const struct fakesmtp_opts *o)
{
	struct sigaction sa;
	sigset_t block, unblocked;
	pid_t self = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fakesmtp_on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = fakesmtp_on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);

	/* Signals are only taken inside ppoll, so none is lost in between. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &unblocked);

	while (!fakesmtp_stop) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int rc = ppoll(&pfd, 1, NULL, &unblocked);
		int err = errno, fd;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (rc < 0 && err != EINTR)
			fakesmtp_die("poll: %s", strerror(err));
		if (rc <= 0 || fakesmtp_stop)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				fakesmtp_warn("accept: %s", strerror(errno));
				poll(NULL, 0, 100);	/* children may end */
			}
			continue;
		}
		fakesmtp_fork(lfd, fd, ctx, o, &unblocked, self);
	}
	close(lfd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port-file", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'o' },
		{ "proto", required_argument, NULL, 'P' },
		{ "implicit", no_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "tls-max", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fakesmtp_opts o;
	SSL_CTX *ctx = NULL;
	unsigned long v;
	char *end;
	int ch, lfd, needs_tls;

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1";
	o.name = "localhost";
	o.proto = PROTO_SMTP;
	o.mode = MODE_STARTTLS;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': o.port_file = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'o':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (optarg[0] == '-' || *end != '\0' || errno != 0 ||
			    v > 65535)
				fakesmtp_die("--port '%s': expected a number "
				    "from 0 to 65535", optarg);
			o.port = (unsigned)v;
			break;
		case 'P':
			o.proto = (enum fakesmtp_proto)FAKESMTP_CHOOSE(
			    "--proto", optarg, fakesmtp_proto_names);
			break;
		case 'i': o.implicit = 1; break;
		case 'm':
			o.mode = (enum fakesmtp_mode)FAKESMTP_CHOOSE(
			    "--mode", optarg, fakesmtp_mode_names);
			break;
		case 'c': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case 't': o.tls_max = fakesmtp_parse_tls_version(optarg); break;
		case 'n': o.name = optarg; break;
		case 'h': fakesmtp_usage(stdout); return 0;
		default: fakesmtp_usage(stderr); return 64;
		}
	}
	if (o.port_file == NULL || optind != argc) {
		fakesmtp_usage(stderr);
		return 64;
	}
	if (strlen(o.name) > 200)
		fakesmtp_die("--name: at most 200 characters");
	needs_tls = (o.implicit && o.mode != MODE_BADTLS) ||
	    o.mode == MODE_STARTTLS;
	if ((o.cert == NULL) != (o.key == NULL))
		fakesmtp_die("--cert and --key go together");
	if (needs_tls && o.cert == NULL)
		fakesmtp_die("mode %s%s needs --cert and --key",
		    fakesmtp_mode_names[o.mode],
		    o.implicit ? " with --implicit" : "");
	if (o.cert != NULL)
		ctx = fakesmtp_tls_init(&o);

	signal(SIGPIPE, SIG_IGN);
	lfd = fakesmtp_listen(o.listen, &o.port);
	fakesmtp_write_port(o.port_file, o.port);
	fakesmtp_serve(lfd, ctx, &o);
	SSL_CTX_free(ctx);
	return 0;
}
