/*
 * NAME
 *	probe - the active TLS probe of a mail domain's servers
 * SYNOPSIS
 *	#include "probe.h"
 *
 *	int probe_run(domain, opts, result)
 *	void probe_judge(result, now)
 * DESCRIPTION
 *	At "may" Postfix does not check certificate names, so its logs
 *	cannot say whether a domain could be pinned "secure". The probe
 *	finds out: probe_run() resolves the domain's MX hosts (libc's
 *	resolver, /etc/resolv.conf or opts->resolver; the AD bit noted),
 *	their A/AAAA addresses, TLSA records at _PORT._tcp.MX and
 *	_mta-sts.DOMAIN, and for each address connects, reads the banner,
 *	says EHLO, sees whether STARTTLS is offered, starts TLS with SNI and
 *	records protocol, cipher, key, the certificate's names, issuer and
 *	dates, whether the chain verifies against the CA store (the
 *	system's, or opts->cafile) and whether a name covers the MX host
 *	(X509_check_host() without partial wildcards, as Postfix checks).
 *	IMAP and POP3 with STARTTLS,
 *	and implicit TLS, use the same steps.
 *
 *	Every step has its own deadline (opts->timeout_ms): nothing waits
 *	longer, whatever the server does, and nothing a server sends is read
 *	past a fixed buffer (smtpresp refuses a line over 1000 bytes).
 *	probe_run() blocks; tlspind runs it in processes of its own that have
 *	no privileges and no store (learnd.c), never on the lookup path.
 *	Returns 1 when the result says something (possibly "unreachable"),
 *	0 with r->error when the probe could not start (a bad resolver
 *	address, CA file, no memory).
 *
 *	probe_judge() turns the facts into a verdict: secure when every
 *	server proved a certificate valid for its own name over TLS 1.2 or
 *	better, dane when TLSA records exist (Postfix's DANE must decide),
 *	encrypt when every server that answered did TLS but not all proved
 *	their name, none otherwise; with the policy tlspin would pin and
 *	the problems in words an admin can act on.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probe.h"
#include "smtpresp.h"

#define PROBE_BUF 16384		/* bytes of a reply we read, at most */
#define PROBE_DNS_BUF 8192
#define PROBE_SOON_DAYS 14	/* "expires soon" */

struct probe_conn {
	int fd;
	SSL *ssl;
	const struct probe_opts *o;
	uint64_t deadline;	/* monotonic ms: the current step's end */
	size_t len;		/* bytes in buf */
	char buf[PROBE_BUF];
	char *err;		/* the address's error text */
};

/* ------------------------------------------------------------- names */

int
probe_proto_parse(const char *s, enum probe_proto *out)
{
	static const char *names[] = { "smtp", "submission", "imap", "pop3" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum probe_proto)i;
			return 1;
		}
	return 0;
}

const char *
probe_proto_name(enum probe_proto p)
{
	switch (p) {
	case PROBE_SUBMISSION: return "submission";
	case PROBE_IMAP: return "imap";
	case PROBE_POP3: return "pop3";
	default: return "smtp";
	}
}

const char *
probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PROBE_SECURE: return "secure";
	case PROBE_ENCRYPT: return "encrypt";
	case PROBE_DANE: return "dane";
	default: return "none";
	}
}

/* The port a protocol listens on, with STARTTLS or implicit TLS. */
static unsigned
probe_default_port(enum probe_proto p, int implicit_tls)
{
	switch (p) {
	case PROBE_SUBMISSION: return implicit_tls ? 465 : 587;
	case PROBE_IMAP: return implicit_tls ? 993 : 143;
	case PROBE_POP3: return implicit_tls ? 995 : 110;
	default: return implicit_tls ? 465 : 25;
	}
}

/* ---------------------------------------------------------------- time */

static uint64_t
probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Start a step: it must end within the timeout. */
static void
probe_step(struct probe_conn *c)
{
	c->deadline = probe_now_ms() + c->o->timeout_ms;
}

/* Wait until fd is ready for events; 0 (error set) at the deadline. */
static int
probe_wait(struct probe_conn *c, short events, const char *what)
{
	struct pollfd p = { c->fd, events, 0 };
	uint64_t now;
	int rc;

	for (;;) {
		now = probe_now_ms();
		if (now >= c->deadline) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "timed out after "
			    "%u ms %s", c->o->timeout_ms, what);
			return 0;
		}
		rc = poll(&p, 1, (int)(c->deadline - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "poll: %s",
			    strerror(errno));
			return 0;
		}
	}
}

/* ------------------------------------------------------------------ I/O */

/* Why OpenSSL failed, in one line. */
static void
probe_ssl_error(struct probe_conn *c, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", errno ? strerror(errno) :
		    "the server closed the connection");
	snprintf(c->err, PROBE_TEXT_MAX + 1, "%s: %s", what, buf);
	ERR_clear_error();
}

/* Wait as OpenSSL asks after a WANT_READ/WANT_WRITE; 0 on other errors. */
static int
probe_ssl_wait(struct probe_conn *c, int rc, const char *what)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return probe_wait(c, POLLIN, what);
	case SSL_ERROR_WANT_WRITE:
		return probe_wait(c, POLLOUT, what);
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->err, PROBE_TEXT_MAX + 1, "the server ended TLS %s",
		    what);
		return 0;
	default:
		probe_ssl_error(c, what);
		return 0;
	}
}

/* Append what the server sends to buf; 0 (error set) on EOF or timeout. */
static int
probe_read(struct probe_conn *c, const char *what)
{
	size_t room = sizeof(c->buf) - c->len;
	ssize_t n;
	int rc;

	if (room == 0) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "the server sent more "
		    "than %u bytes without a complete reply %s", PROBE_BUF,
		    what);
		return 0;
	}
	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			rc = SSL_read(c->ssl, c->buf + c->len, (int)room);
			if (rc > 0) {
				c->len += (size_t)rc;
				return 1;
			}
			if (!probe_ssl_wait(c, rc, what))
				return 0;
			continue;
		}
		n = read(c->fd, c->buf + c->len, room);
		if (n > 0) {
			c->len += (size_t)n;
			return 1;
		}
		if (n == 0) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "the server closed "
			    "the connection %s", what);
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "read %s: %s", what,
			    strerror(errno));
			return 0;
		}
		if (!probe_wait(c, POLLIN, what))
			return 0;
	}
}

/* Send a command line (CRLF added). */
static int
probe_send(struct probe_conn *c, const char *line)
{
	char out[300];
	size_t n, off = 0;
	ssize_t w;
	int rc;

	n = (size_t)snprintf(out, sizeof(out), "%s\r\n", line);
	probe_step(c);
	while (off < n) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			rc = SSL_write(c->ssl, out + off, (int)(n - off));
			if (rc > 0)
				off += (size_t)rc;
			else if (!probe_ssl_wait(c, rc, "sending a command"))
				return 0;
			continue;
		}
		w = write(c->fd, out + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "write: %s",
			    strerror(errno));
			return 0;
		} else if (!probe_wait(c, POLLOUT, "sending a command"))
			return 0;
	}
	return 1;
}

/* Drop the first n bytes of buf (a reply that has been used). */
static void
probe_consume(struct probe_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* The next SMTP reply, whole. */
static int
probe_smtp_reply(struct probe_conn *c, struct smtpresp *r, const char *what)
{
	char err[PROBE_TEXT_MAX + 1];
	size_t used;
	int st;

	probe_step(c);
	for (;;) {
		st = smtpresp_parse(c->buf, c->len, r, &used, err, sizeof(err));
		if (st == SMTPRESP_DONE) {
			probe_consume(c, used);
			return 1;
		}
		if (st == SMTPRESP_BAD) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "not an SMTP server "
			    "%s: %.180s", what, err);
			return 0;
		}
		if (!probe_read(c, what))
			return 0;
	}
}

/* The next IMAP or POP3 response line. */
static int
probe_line(struct probe_conn *c, struct smtpresp_line *r, const char *what)
{
	char err[PROBE_TEXT_MAX + 1];
	size_t used;
	int st;

	probe_step(c);
	for (;;) {
		st = c->o->proto == PROBE_IMAP ?
		    smtpresp_imap(c->buf, c->len, r, &used, err, sizeof(err)) :
		    smtpresp_pop3(c->buf, c->len, r, &used, err, sizeof(err));
		if (st == SMTPRESP_DONE) {
			probe_consume(c, used);
			return 1;
		}
		if (st == SMTPRESP_BAD) {
			snprintf(c->err, PROBE_TEXT_MAX + 1, "not an %s server %s: "
			    "%.180s", c->o->proto == PROBE_IMAP ? "IMAP" : "POP3",
			    what, err);
			return 0;
		}
		if (!probe_read(c, what))
			return 0;
	}
}

/* -------------------------------------------------------------- connect */

/* A non-blocking TCP connection to address:port within the deadline. */
static int
probe_connect(struct probe_conn *c, struct probe_addr *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl, el = sizeof(int);
	int e = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)a->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, a->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)a->port);
		sl = sizeof(*s6);
	} else {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "\"%s\" is not an IP "
		    "address", a->address);
		return 0;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "socket: %s",
		    strerror(errno));
		a->unroutable = errno == EAFNOSUPPORT;
		return 0;
	}
	probe_step(c);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0)
		return 1;
	if (errno == EINPROGRESS) {
		if (!probe_wait(c, POLLOUT, "connecting"))
			return 0;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
		    e == 0)
			return 1;
		errno = e;
	}
	a->unroutable = errno == ENETUNREACH || errno == EADDRNOTAVAIL ||
	    errno == EHOSTUNREACH;
	snprintf(c->err, PROBE_TEXT_MAX + 1, "cannot connect: %s",
	    strerror(errno));
	return 0;
}

/* ------------------------------------------------------------- dialogue */

static void
probe_copy(char *dst, const char *src)
{
	snprintf(dst, PROBE_TEXT_MAX + 1, "%s", src);
}

/* SMTP: banner, EHLO, STARTTLS; 1 to go on with TLS. */
static int
probe_smtp(struct probe_conn *c, struct probe_addr *a, const char *helo)
{
	char cmd[300];
	struct smtpresp r;

	/* with implicit TLS the banner comes inside TLS, but it comes */
	if (!probe_smtp_reply(c, &r, "waiting for the banner"))
		return 0;
	snprintf(a->banner, sizeof(a->banner), "%d %s", r.code, r.text);
	if (r.code != 220) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "the server does not take "
		    "mail: \"%.180s\"", a->banner);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s", helo);
	if (!probe_send(c, cmd) ||
	    !probe_smtp_reply(c, &r, "after EHLO"))
		return 0;
	if (r.code != 250) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "EHLO refused: \"%d %s\"",
		    r.code, r.text);
		return 0;
	}
	if (c->o->implicit_tls)
		return 1;
	a->starttls = (r.flags & SMTPRESP_STARTTLS) != 0;
	if (!a->starttls) {
		probe_copy(c->err, "STARTTLS is not offered: mail to this "
		    "server goes in clear");
		return 0;
	}
	if (!probe_send(c, "STARTTLS") ||
	    !probe_smtp_reply(c, &r, "after STARTTLS"))
		return 0;
	if (r.code != 220) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "STARTTLS is offered but "
		    "refused: \"%d %s\"", r.code, r.text);
		a->starttls = 0;
		return 0;
	}
	return 1;
}

/* IMAP: greeting, CAPABILITY (unless the greeting had it), STARTTLS. */
static int
probe_imap(struct probe_conn *c, struct probe_addr *a)
{
	struct smtpresp_line r;

	if (!probe_line(c, &r, "waiting for the greeting"))
		return 0;
	snprintf(a->banner, sizeof(a->banner), "* %s", r.text);
	if (!r.ok) {
		probe_copy(c->err, "the server refused us in its greeting");
		return 0;
	}
	if (c->o->implicit_tls)
		return 1;
	a->starttls = (r.flags & SMTPRESP_STARTTLS) != 0;
	if (!a->starttls) {
		if (!probe_send(c, "a1 CAPABILITY"))
			return 0;
		do {
			if (!probe_line(c, &r, "after CAPABILITY"))
				return 0;
			a->starttls |= (r.flags & SMTPRESP_STARTTLS) != 0;
		} while (r.imap_kind != SMTPRESP_IMAP_TAGGED);
	}
	if (!a->starttls) {
		probe_copy(c->err, "STARTTLS is not offered");
		return 0;
	}
	if (!probe_send(c, "a2 STARTTLS"))
		return 0;
	do {
		if (!probe_line(c, &r, "after STARTTLS"))
			return 0;
	} while (r.imap_kind != SMTPRESP_IMAP_TAGGED);
	if (!r.ok) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "STARTTLS refused: "
		    "\"%s\"", r.text);
		return 0;
	}
	return 1;
}

/* POP3: greeting, CAPA, STLS. */
static int
probe_pop3(struct probe_conn *c, struct probe_addr *a)
{
	struct smtpresp_line r;

	if (!probe_line(c, &r, "waiting for the greeting"))
		return 0;
	snprintf(a->banner, sizeof(a->banner), "+OK %s", r.text);
	if (!r.ok) {
		probe_copy(c->err, "the server refused us in its greeting");
		return 0;
	}
	if (c->o->implicit_tls)
		return 1;
	if (!probe_send(c, "CAPA") || !probe_line(c, &r, "after CAPA"))
		return 0;
	if (r.ok) {
		do {
			if (!probe_line(c, &r, "after CAPA"))
				return 0;
			a->starttls |= (r.flags & SMTPRESP_STARTTLS) != 0;
		} while (!r.end);
	}
	if (!a->starttls) {
		probe_copy(c->err, "STLS is not offered");
		return 0;
	}
	if (!probe_send(c, "STLS") || !probe_line(c, &r, "after STLS"))
		return 0;
	if (!r.ok) {
		snprintf(c->err, PROBE_TEXT_MAX + 1, "STLS refused: \"%s\"",
		    r.text);
		return 0;
	}
	return 1;
}

/* The protocol's part before TLS (or, for implicit TLS, after). */
static int
probe_dialogue(struct probe_conn *c, struct probe_addr *a, const char *helo)
{
	switch (c->o->proto) {
	case PROBE_IMAP:
		return probe_imap(c, a);
	case PROBE_POP3:
		return probe_pop3(c, a);
	default:
		return probe_smtp(c, a, helo);
	}
}

/* ------------------------------------------------------------------ TLS */

/* One certificate's subject or issuer as "CN=..., O=...". */
static void
probe_x509_name(X509_NAME *name, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, out, (int)outsz - 1);
		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

/* Append one DNS name (printable ASCII only) to the space list. */
static void
probe_name_add(struct probe_tls *t, const unsigned char *s, int n)
{
	size_t used = strlen(t->names), i;

	if (n <= 0 || used + (used ? 1 : 0) + (size_t)n > PROBE_NAMES_MAX)
		return;
	for (i = 0; i < (size_t)n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return;
	if (used)
		t->names[used++] = ' ';
	memcpy(t->names + used, s, (size_t)n);
	t->names[used + (size_t)n] = '\0';
}

/* The certificate's DNS names: its SANs, or its CN when it has none. */
static void
probe_cert_names(X509 *x, struct probe_tls *t)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	X509_NAME *subj = X509_get_subject_name(x);
	X509_NAME_ENTRY *e;
	ASN1_STRING *s;
	int i, dns = 0;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		dns = 1;
		probe_name_add(t, ASN1_STRING_get0_data(g->d.dNSName),
		    ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (dns || subj == NULL)
		return;
	i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (i >= 0 && (e = X509_NAME_get_entry(subj, i)) != NULL &&
	    (s = X509_NAME_ENTRY_get_data(e)) != NULL)
		probe_name_add(t, ASN1_STRING_get0_data(s),
		    ASN1_STRING_length(s));
}

static int64_t
probe_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* What the handshake gave: protocol, cipher, certificate, verification. */
static void
probe_tls_facts(struct probe_conn *c, const char *host, struct probe_tls *t)
{
	X509 *x = SSL_get1_peer_certificate(c->ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
	EVP_PKEY *k;
	long v;

	snprintf(t->protocol, sizeof(t->protocol), "%s",
	    SSL_get_version(c->ssl));
	snprintf(t->cipher, sizeof(t->cipher), "%s",
	    SSL_get_cipher_name(c->ssl));
	t->chain_length = chain ? sk_X509_num(chain) : 0;
	if (x == NULL) {
		probe_copy(t->verify_error, "the server sent no certificate");
		return;
	}
	probe_x509_name(X509_get_subject_name(x), t->subject,
	    sizeof(t->subject));
	probe_x509_name(X509_get_issuer_name(x), t->issuer, sizeof(t->issuer));
	probe_cert_names(x, t);
	t->not_before = probe_asn1_time(X509_get0_notBefore(x));
	t->not_after = probe_asn1_time(X509_get0_notAfter(x));
	t->expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
	if ((k = X509_get0_pubkey(x)) != NULL)
		snprintf(t->key, sizeof(t->key), "%s %d",
		    EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "RSA" :
		    EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "EC" :
		    OBJ_nid2sn(EVP_PKEY_get_base_id(k)), EVP_PKEY_get_bits(k));
	v = SSL_get_verify_result(c->ssl);
	t->chain_verified = v == X509_V_OK;
	if (v != X509_V_OK)
		probe_copy(t->verify_error, X509_verify_cert_error_string(v));
	/* OpenSSL's own check, with Postfix's flag: no "f*.example.com" */
	t->name_matched = X509_check_host(x, host, strlen(host),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	X509_free(x);
}

/* The TLS handshake, with SNI = host. */
static int
probe_handshake(struct probe_conn *c, SSL_CTX *ctx, const char *host,
    struct probe_addr *a)
{
	int rc;

	c->len = 0;	/* bytes sent before TLS must not count after it */
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, host)) {
		probe_ssl_error(c, "cannot set up TLS");
		return 0;
	}
	probe_step(c);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		rc = SSL_connect(c->ssl);
		if (rc == 1)
			break;
		if (!probe_ssl_wait(c, rc, "in the TLS handshake"))
			return 0;
	}
	a->tls_done = 1;
	probe_tls_facts(c, host, &a->tls);
	return 1;
}

/* A client context that lets us see old servers, and verifies chains. */
static SSL_CTX *
probe_ctx(const struct probe_opts *o, char *err, size_t errsz)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ok;

	if (ctx == NULL) {
		snprintf(err, errsz, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	(void)SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ok = o->cafile != NULL ?
	    SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) :
	    SSL_CTX_set_default_verify_paths(ctx);
	if (!ok) {
		snprintf(err, errsz, "cannot load the CA certificates%s%s",
		    o->cafile ? " from " : "", o->cafile ? o->cafile : "");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* One address of one host: everything from connect to TLS. */
static void
probe_address(SSL_CTX *ctx, const struct probe_opts *o, const char *host,
    const char *helo, struct probe_addr *a, struct probe_conn *c)
{
	char scratch[PROBE_TEXT_MAX + 1];
	uint64_t t0 = probe_now_ms();
	int ok;

	memset(c, 0, offsetof(struct probe_conn, buf));
	c->fd = -1;
	c->o = o;
	c->err = a->error;
	ok = probe_connect(c, a);
	a->connected = ok;
	if (ok && o->implicit_tls) {
		a->starttls = 1;
		if (probe_handshake(c, ctx, host, a))
			(void)probe_dialogue(c, a, helo);
		a->error[0] = '\0';	/* TLS worked: the rest is a bonus */
	} else if (ok && probe_dialogue(c, a, helo))
		(void)probe_handshake(c, ctx, host, a);
	if (a->connected && a->error[0] == '\0') {
		c->err = scratch;	/* a polite goodbye, whatever it gives */
		(void)probe_send(c, o->proto == PROBE_IMAP ? "a9 LOGOUT" :
		    "QUIT");
	}
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	a->ms = (unsigned)(probe_now_ms() - t0);
}

/* ------------------------------------------------------------------ DNS */

/* A resolver as opts say: /etc/resolv.conf, or one "ADDR[:PORT]". */
static int
probe_res_init(res_state st, const struct probe_opts *o, char *err,
    size_t errsz)
{
	struct in_addr in;
	unsigned port;

	memset(st, 0, sizeof(*st));
	if (res_ninit(st) != 0) {
		snprintf(err, errsz, "cannot read /etc/resolv.conf");
		return 0;
	}
	st->retrans = (int)(o->timeout_ms + 999) / 1000;
	st->retry = 1;	/* one try per server: a step is one timeout */
	st->options |= RES_USE_EDNS0;
#ifdef RES_TRUSTAD
	st->options |= RES_TRUSTAD;	/* we want to see the AD bit */
#endif
	if (o->resolver == NULL)
		return 1;
	if (!dnsmsg_resolver_parse(o->resolver, strlen(o->resolver), &in,
	    &port)) {
		res_nclose(st);
		snprintf(err, errsz, "resolver \"%s\" is not ADDR or ADDR:PORT "
		    "(an IPv4 address)", o->resolver);
		return 0;
	}
	st->nscount = 1;
	memset(&st->nsaddr_list[0], 0, sizeof(st->nsaddr_list[0]));
	st->nsaddr_list[0].sin_family = AF_INET;
	st->nsaddr_list[0].sin_addr = in;
	st->nsaddr_list[0].sin_port = htons((uint16_t)port);
	return 1;
}

/* The resolver asked, as ADDR:PORT, for a message that names it. */
static void
probe_res_name(const struct __res_state *st, char *out, size_t outsz)
{
	char a[INET_ADDRSTRLEN];

	if (st->nscount > 0 && st->nsaddr_list[0].sin_family == AF_INET &&
	    inet_ntop(AF_INET, &st->nsaddr_list[0].sin_addr, a,
	    sizeof(a)) != NULL)
		snprintf(out, outsz, "%s:%u", a,
		    (unsigned)ntohs(st->nsaddr_list[0].sin_port));
	else
		snprintf(out, outsz, "the resolver of /etc/resolv.conf");
}

/*
 * Ask for name/type. 1 with out filled (no records: out->answers == 0),
 * 0 with ERR when the name does not exist (*why PROBE_DNS_NX) or DNS
 * failed: PROBE_DNS_SILENT when no resolver answered at all (timed out
 * or refused: the check itself could not run), else PROBE_DNS_FAILED.
 */
static int
probe_dns(res_state st, const char *name, int type, struct dnsmsg *out,
    int *why, char *err, size_t errsz)
{
	unsigned char ans[PROBE_DNS_BUF];
	int n;

	*why = 0;
	memset(out, 0, sizeof(*out));
	errno = 0;
	n = res_nquery(st, name, ns_c_in, type, ans, sizeof(ans));
	if (n < 0) {
		switch (st->res_h_errno) {
		case NO_DATA:
			return 1;
		case HOST_NOT_FOUND:
			*why = PROBE_DNS_NX;
			snprintf(err, errsz, "%s does not exist in DNS", name);
			return 0;
		case TRY_AGAIN:
			if (errno != ETIMEDOUT && errno != ECONNREFUSED)
				break;
			*why = PROBE_DNS_SILENT;
			snprintf(err, errsz, "DNS lookup of %s failed (no answer "
			    "from the resolver within %d s)", name,
			    st->retrans);
			return 0;
		default:
			snprintf(err, errsz, "DNS lookup of %s failed (%s)",
			    name, st->res_h_errno == TRY_AGAIN ? "no answer "
			    "from the resolver, or a server failure" :
			    "refused or malformed");
			return 0;
		}
		*why = PROBE_DNS_FAILED;
		snprintf(err, errsz, "DNS lookup of %s failed (a server "
		    "failure)", name);
		return 0;
	}
	if (n > (int)sizeof(ans))
		n = sizeof(ans);	/* truncated: parse what we have */
	return dnsmsg_parse(ans, (size_t)n, type, out, err, errsz);
}

/* The addresses of one MX host (or opts->address). */
static void
probe_mx_addresses(res_state st, const struct probe_opts *o,
    struct probe_mx *mx, unsigned port)
{
	static const int types[] = { DNSMSG_A, DNSMSG_AAAA };
	struct dnsmsg d;
	char err[DNSMSG_ERR_MAX];
	unsigned i, j;
	int nx;

	if (o->address != NULL) {
		snprintf(mx->addr[0].address, sizeof(mx->addr[0].address),
		    "%s", o->address);
		mx->addr[0].port = port;
		mx->naddr = 1;
		return;
	}
	for (i = 0; i < 2; i++) {
		if (!probe_dns(st, mx->name, types[i], &d, &nx, err,
		    sizeof(err))) {
			mx->dns_silent |= nx == PROBE_DNS_SILENT;
			if (mx->error[0] == '\0')
				probe_copy(mx->error, err);
			continue;
		}
		for (j = 0; j < d.naddr && mx->naddr < PROBE_ADDR_MAX; j++) {
			memcpy(mx->addr[mx->naddr].address, d.addr[j],
			    sizeof(d.addr[j]));
			mx->addr[mx->naddr++].port = port;
		}
	}
	if (mx->naddr > 0)
		mx->error[0] = '\0';
	else if (mx->error[0] == '\0') {
		/* through err: name and error are in the same struct */
		snprintf(err, sizeof(err), "%.180s has no address", mx->name);
		probe_copy(mx->error, err);
	}
}

/* The hosts to probe: MX records, the domain itself, or the one given. */
static int
probe_hosts(res_state st, const char *domain, const struct probe_opts *o,
    struct probe_result *r)
{
	struct dnsmsg d;
	unsigned i;
	int nx;

	if (o->mx != NULL || o->proto != PROBE_SMTP || o->implicit_tls) {
		r->mx_source = o->mx != NULL ? PROBE_MX_GIVEN :
		    PROBE_MX_IMPLICIT;
		snprintf(r->mx[0].name, sizeof(r->mx[0].name), "%s",
		    o->mx != NULL ? o->mx : domain);
		r->nmx = 1;
		return 1;
	}
	if (!probe_dns(st, domain, DNSMSG_MX, &d, &nx, r->error,
	    sizeof(r->error))) {
		r->dns_silent = nx == PROBE_DNS_SILENT;
		return 0;
	}
	r->dnssec = d.ad;
	if (d.null_mx) {
		snprintf(r->error, sizeof(r->error), "%.200s accepts no mail "
		    "(null MX)", domain);
		return 0;
	}
	if (d.nmx == 0) {
		/* no MX: mail goes to the domain's own address (RFC 5321) */
		r->mx_source = PROBE_MX_IMPLICIT;
		snprintf(r->mx[0].name, sizeof(r->mx[0].name), "%s", domain);
		r->nmx = 1;
		return 1;
	}
	for (i = 0; i < d.nmx; i++) {
		memcpy(r->mx[i].name, d.mx[i].name, sizeof(d.mx[i].name));
		r->mx[i].preference = d.mx[i].pref;
	}
	r->nmx = d.nmx;
	return 1;
}

/* TLSA at _PORT._tcp.HOST and the domain's MTA-STS record. */
static void
probe_dane_sts(res_state st, const char *domain, unsigned port,
    struct probe_result *r)
{
	char name[DNSMSG_NAME_MAX + 32], err[DNSMSG_ERR_MAX];
	struct dnsmsg d;
	unsigned i;
	int nx;

	for (i = 0; i < r->nmx; i++) {
		snprintf(name, sizeof(name), "_%u._tcp.%s", port,
		    r->mx[i].name);
		if (probe_dns(st, name, DNSMSG_TLSA, &d, &nx, err,
		    sizeof(err)) && d.answers > 0)
			r->mx[i].tlsa = d.ad ? 2 : 1;
	}
	if (r->proto != PROBE_SMTP)
		return;
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	r->mta_sts = probe_dns(st, name, DNSMSG_TXT, &d, &nx, err,
	    sizeof(err)) && d.sts;
}

/* Lowercase, without a trailing dot, and a name DNS can hold. */
static int
probe_domain_set(struct probe_result *r, const char *domain)
{
	size_t n = strlen(domain), i;

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DNSMSG_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		r->domain[i] = domain[i] >= 'A' && domain[i] <= 'Z' ?
		    domain[i] + 32 : domain[i];
	r->domain[n] = '\0';
	return dnsmsg_name_ok(r->domain);
}

int
probe_run(const char *domain, const struct probe_opts *o,
    struct probe_result *r)
{
	struct __res_state st;
	struct probe_conn *c;
	char helo[256];
	unsigned port, i, j;
	uint64_t t0 = probe_now_ms();
	SSL_CTX *ctx;

	memset(r, 0, sizeof(*r));
	r->proto = o->proto;
	port = o->port ? o->port : probe_default_port(o->proto,
	    o->implicit_tls);
	if (!probe_domain_set(r, domain)) {
		snprintf(r->error, sizeof(r->error), "\"%.200s\" is not a "
		    "domain name", domain);
		return 1;
	}
	if (o->helo != NULL)
		snprintf(helo, sizeof(helo), "%s", o->helo);
	else if (gethostname(helo, sizeof(helo)) != 0 || helo[0] == '\0')
		snprintf(helo, sizeof(helo), "localhost");
	helo[sizeof(helo) - 1] = '\0';
	if (!probe_res_init(&st, o, r->error, sizeof(r->error)))
		return 0;
	probe_res_name(&st, r->resolver, sizeof(r->resolver));
	c = malloc(sizeof(*c));
	ctx = probe_ctx(o, r->error, sizeof(r->error));
	if (c == NULL || ctx == NULL) {
		res_nclose(&st);
		free(c);
		SSL_CTX_free(ctx);
		return 0;
	}
	if (probe_hosts(&st, r->domain, o, r)) {
		probe_dane_sts(&st, r->domain, port, r);
		for (i = 0; i < r->nmx; i++) {
			probe_mx_addresses(&st, o, &r->mx[i], port);
			for (j = 0; j < r->mx[i].naddr; j++)
				probe_address(ctx, o, r->mx[i].name, helo,
				    &r->mx[i].addr[j], c);
		}
	}
	res_nclose(&st);
	SSL_CTX_free(ctx);
	free(c);
	r->ms = (unsigned)(probe_now_ms() - t0);
	return 1;
}

/* --------------------------------------------------------------- verdict */

static void probe_problem(struct probe_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One problem, in words an admin can act on. */
static void
probe_problem(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nproblems == PROBE_PROBLEMS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(r->problems[r->nproblems++], PROBE_TEXT_MAX + 1, fmt, ap);
	va_end(ap);
}

static void
probe_date(char *buf, size_t bufsz, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, bufsz, "?");
}

/* Is this TLS good enough for "secure"? Problems go to r. */
static int
probe_tls_proved(struct probe_result *r, const char *host,
    const struct probe_addr *a, int64_t now)
{
	const struct probe_tls *t = &a->tls;
	char where[DNSMSG_NAME_MAX + DNSMSG_ADDR_LEN + 4], date[32];
	int ok = 1;

	snprintf(where, sizeof(where), "%s[%s]", host, a->address);
	if (t->expired) {
		probe_date(date, sizeof(date), t->not_after);
		probe_problem(r, "%s: the certificate expired on %s; renew it",
		    where, date);
		ok = 0;
	} else if (!t->chain_verified && strcmp(t->verify_error,
	    "self-signed certificate") == 0) {
		probe_problem(r, "%s: the certificate is self-signed (%s); "
		    "Postfix cannot verify it, so only \"encrypt\" can be "
		    "pinned", where, t->verify_error);
		ok = 0;
	} else if (!t->chain_verified) {
		probe_problem(r, "%s: the certificate chain is not verified "
		    "(%s): an untrusted issuer, or a missing intermediate "
		    "certificate", where, t->verify_error);
		ok = 0;
	}
	if (!t->name_matched) {
		probe_problem(r, "%s: the certificate is not valid for %s "
		    "(it names: %.100s)", where, host,
		    t->names[0] ? t->names : "nothing");
		ok = 0;
	}
	if (strcmp(t->protocol, "TLSv1") == 0 ||
	    strcmp(t->protocol, "TLSv1.1") == 0 ||
	    strncmp(t->protocol, "SSL", 3) == 0) {
		probe_problem(r, "%s: %s is obsolete; the server should offer "
		    "TLS 1.2 or 1.3", where, strcmp(t->protocol, "TLSv1") ==
		    0 ? "TLS 1.0" : t->protocol);
		ok = 0;
	}
	if (ok && t->not_after != 0 &&
	    t->not_after - now < PROBE_SOON_DAYS * 86400) {
		probe_date(date, sizeof(date), t->not_after);
		probe_problem(r, "%s: the certificate expires soon (%s)",
		    where, date);
	}
	return ok;
}

static int
probe_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The MX names (all, or those probe_judge() found proved), sorted and
 * colon-separated: a match list. A name that does not fit is left out.
 */
void
probe_mx_names(const struct probe_result *r, int proved_only, char *out,
    size_t outsz)
{
	const char *names[PROBE_MX_MAX];
	size_t n = 0, i, used = 0, len;

	for (i = 0; i < r->nmx; i++)
		if (!proved_only || r->mx[i].proved)
			names[n++] = r->mx[i].name;
	qsort(names, n, sizeof(names[0]), probe_name_cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (used + (used ? 1 : 0) + len >= outsz)
			continue;
		used += (size_t)snprintf(out + used, outsz - used, "%s%s",
		    used ? ":" : "", names[i]);
	}
}

/* What the servers did, over all hosts. */
struct probe_count {
	unsigned proved;	/* TLS with a certificate valid for the host */
	unsigned tls;		/* TLS */
	unsigned clear;		/* answered, but no TLS */
	unsigned unreachable;	/* no answer, or no address */
	unsigned tlsa;		/* hosts with TLSA records */
};

/* One host's addresses, counted; problems go to r. */
static void
probe_judge_mx(struct probe_result *r, struct probe_mx *mx,
    int64_t now, struct probe_count *n)
{
	const struct probe_addr *a;
	unsigned j, mine = 0, tried = 0;

	n->tlsa += mx->tlsa == 2;
	if (mx->tlsa == 1)
		probe_problem(r, "%s: TLSA records exist but the answer was "
		    "not DNSSEC-validated here: Postfix ignores them, and so "
		    "does tlspin", mx->name);
	for (j = 0; j < mx->naddr; j++) {
		a = &mx->addr[j];
		if (a->unroutable)
			continue;	/* e.g. IPv6 on a machine without it */
		tried++;
		if (!a->tls_done) {
			/* no banner: not reached, not a server in clear */
			if (a->connected && a->banner[0] != '\0')
				n->clear++;
			else
				n->unreachable++;
			probe_problem(r, "%s[%s]: %s", mx->name, a->address,
			    a->error[0] ? a->error : "no TLS");
			continue;
		}
		n->tls++;
		if (probe_tls_proved(r, mx->name, a, now)) {
			n->proved++;
			mine++;
		}
	}
	mx->proved = tried > 0 && mine == tried;
	if (tried == 0) {
		n->unreachable++;
		probe_problem(r, "%s: %s", mx->name, mx->error[0] ? mx->error :
		    "no address this machine can reach");
	}
}

void
probe_judge(struct probe_result *r, int64_t now)
{
	struct probe_count n;
	unsigned i;

	memset(&n, 0, sizeof(n));
	r->nproblems = 0;
	r->verified[0] = r->policy[0] = '\0';
	r->verdict = PROBE_NONE;
	if (r->error[0] != '\0' || r->nmx == 0) {
		probe_problem(r, "%s", r->error[0] ? r->error : "no server to "
		    "probe");
		return;
	}
	for (i = 0; i < r->nmx; i++)
		probe_judge_mx(r, &r->mx[i], now, &n);
	probe_mx_names(r, 1, r->verified, sizeof(r->verified));
	if (n.tlsa > 0) {
		r->verdict = PROBE_DANE;
		probe_problem(r, "TLSA records exist: Postfix's own DANE "
		    "authenticates this domain (smtp_tls_security_level = dane "
		    "and smtp_dns_support_level = dnssec); tlspin leaves it "
		    "to Postfix");
		return;
	}
	if (n.tls == 0)
		return;
	if (n.clear > 0) {
		probe_problem(r, "a pin would defer the mail that goes to the "
		    "servers without TLS above");
		return;
	}
	if (n.proved == n.tls && n.unreachable == 0) {
		r->verdict = PROBE_SECURE;
		snprintf(r->policy, sizeof(r->policy), "secure match=%.1000s",
		    r->verified);
		return;
	}
	if (n.unreachable > 0)
		probe_problem(r, "servers that did not answer are not proved: "
		    "at most \"encrypt\" until they are");
	r->verdict = PROBE_ENCRYPT;
	snprintf(r->policy, sizeof(r->policy), "encrypt");
}
