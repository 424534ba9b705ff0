/*
 * NAME
 *	correlate - join one smtp pid's log lines into delivery observations
 * SYNOPSIS
 *	#include "correlate.h"
 *
 *	int correlate_feed(c, ev, t, out)
 *	size_t correlate_save(c, buf, bufsz)
 *	int correlate_load(c, buf, len)
 * DESCRIPTION
 *	Postfix logs one delivery over several lines that share the smtp
 *	process id: "LEVEL TLS connection established to HOST[ADDR]:PORT"
 *	(and, before it, perhaps "certificate verification failed"), then
 *	one "QUEUEID: to=<...>, relay=HOST[ADDR]:PORT, ..., status=..." line
 *	per recipient. Lines of different pids interleave; a pid delivers
 *	many messages one after another; a pid number comes back after its
 *	process exited.
 *
 *	Per pid we remember the last TLS connection (level, host, address,
 *	port, time) and the message that used it. A delivery line is over
 *	TLS when that connection goes to the same address and port, is less
 *	than CORRELATE_CONN_MAX_AGE old and either no message used it yet
 *	or this is the same message (more recipients). A different message
 *	without a new TLS line went over a connection that was not TLS:
 *	Postfix reuses TLS connections only with smtp_tls_connection_reuse,
 *	and then logs "TLS connection reused", which counts as a new TLS
 *	line. So conn_use > 1 with no TLS line is a plaintext delivery.
 *
 *	The next hop is what the pid asked tlspind (the hint function, fed
 *	from SO_PEERCRED), unless that was an IP address. Without a hint:
 *	a relay at a loopback or private address (a content filter, a LAN
 *	relayhost; IPv4 or IPv6 in any spelling inet_pton reads, and an
 *	IPv4 one inside IPv6: mapped ::ffff:10.0.0.1, NAT64 64:ff9b::/96,
 *	6to4) says nothing about the recipient domain's TLS and counts
 *	for nothing, unless private_mx says port 25 there is a real MX (test
 *	networks, partners over a VPN); a relay on port 25 is the recipient
 *	domain's MX; on another port it is a relayhost or [host]:port
 *	transport, attributed to its name.
 *
 *	Outcomes: status=sent over TLS or in clear; deferred or bounced
 *	because "TLS is required, but was not offered" or the certificate
 *	did not verify (the reason of the earlier certificate line is kept).
 *	Other failures (connection refused, a 4xx from the server) say
 *	nothing about TLS and are not handed out.
 *
 *	The table holds CORRELATE_PIDS pids; the least recently used goes
 *	first. correlate_save() writes the table so that the learner can
 *	commit it with the log position, and correlate_load() reads it back
 *	after a restart: a TLS line read before the crash still pairs with
 *	the delivery line read after it. Each pid is saved with its slot,
 *	so the table comes back exactly as it was and saving it again gives
 *	the same bytes. correlate_load() is a bounded parser of untrusted
 *	bytes: any inconsistency (slots out of order, a pid its lookup would
 *	not find, a use newer than the table's clock, a clock near
 *	wrapping around) rejects the whole blob.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "correlate.h"
#include "pidtab.h"

#define CORRELATE_SAVE_VERSION 3	/* 1: no slots; 2: no last uses */
/* A clock this far from wrapping around cannot get there (one tick a
 * line); a saved one beyond it is damage, and would wrap to 0. */
#define CORRELATE_TICK_MAX (UINT64_MAX >> 1)

/* What we remember about one smtp process. */
struct correlate_pid {
	struct pidtab_head h;	/* pid (0: free slot), last use */
	uint64_t conn_time;	/* time of the TLS line; 0: no connection */
	int level;
	unsigned port;
	char host[256], addr[64];
	char conn_qid[32];	/* message that used the connection */
	char last_qid[32], last_addr[64];	/* last delivery handed out */
	unsigned last_port;
	uint64_t last_time;	/* when it was logged */
	uint64_t conn_last;	/* last line that used the TLS connection */
	char cert[RECORD_FAILURE_MAX + 1];	/* last certificate failure */
};

/* The longest string each field holds, as CORRELATE_SAVE_PID_MAX says. */
#define CORRELATE_FIELD_MAX(f) (sizeof(((struct correlate_pid *)0)->f) - 1)
_Static_assert(CORRELATE_SAVE_PID_MAX == 2 + 5 * 8 + 1 + 2 * 2 + 6 * 2 +
    CORRELATE_FIELD_MAX(host) + CORRELATE_FIELD_MAX(addr) +
    CORRELATE_FIELD_MAX(conn_qid) + CORRELATE_FIELD_MAX(last_qid) +
    CORRELATE_FIELD_MAX(last_addr) + CORRELATE_FIELD_MAX(cert),
    "CORRELATE_SAVE_PID_MAX does not match struct correlate_pid");

struct correlator {
	struct correlate_pid pids[CORRELATE_PIDS];
	struct pidtab tab;	/* over pids; its tick is saved */
	correlate_hint_fn hint;
	void *hint_arg;
	int private_mx;		/* port 25 at a private address is an MX */
	struct correlate_stats stats;
};

struct correlator *
correlate_new(void)
{
	struct correlator *c = calloc(1, sizeof(struct correlator));

	if (c != NULL)
		pidtab_init(&c->tab, c->pids, CORRELATE_PIDS,
		    sizeof(c->pids[0]));
	return c;
}

void
correlate_free(struct correlator *c)
{
	free(c);
}

void
correlate_set_hint(struct correlator *c, correlate_hint_fn fn, void *arg)
{
	c->hint = fn;
	c->hint_arg = arg;
}

void
correlate_set_private_mx(struct correlator *c, int on)
{
	c->private_mx = on;
}

const struct correlate_stats *
correlate_stats(const struct correlator *c)
{
	return &c->stats;
}

/* Copy a NUL-terminated string into a fixed field, cutting if needed. */
static void
correlate_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * The IPv4 address that the IPv6 address a stands for, into v4: the
 * IPv4-mapped ::ffff:0:0/96, the deprecated IPv4-compatible ::/96 (but
 * not :: or ::1), NAT64's well-known prefix 64:ff9b::/96 (RFC 6052) and
 * 6to4's 2002::/16 (RFC 3056). 0: a native IPv6 address.
 */
static int
correlate_addr_embedded(const unsigned char *a, unsigned char *v4)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] =
	    { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char zero[12];

	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 ||
	    (memcmp(a, zero, 12) == 0 && (a[12] | a[13] | a[14]) != 0)) {
		memcpy(v4, a + 12, 4);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		memcpy(v4, a + 2, 4);
		return 1;
	}
	return 0;
}

/*
 * The IPv4 address that addr is or embeds into v4 (1), or addr as an
 * IPv6 address into v6 (0); -1 when addr is not an address at all.
 */
static int
correlate_addr_parse(const char *addr, unsigned char *v4, unsigned char *v6)
{
	if (inet_pton(AF_INET, addr, v4) == 1)
		return 1;
	if (inet_pton(AF_INET6, addr, v6) != 1)
		return -1;
	return correlate_addr_embedded(v6, v4);
}

/* A loopback, unspecified, private, link-local or shared (CGN) IPv4. */
static int
correlate_v4_local(const unsigned char *a)
{
	return a[0] == 127 || a[0] == 10 || a[0] == 0 ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) ||
	    (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64);
}

/* Loopback ::1, unspecified ::, link-local fe80::/10, site-local
 * fec0::/10, unique local fc00::/7 or multicast ff00::/8. */
static int
correlate_v6_local(const unsigned char *a)
{
	static const unsigned char zero[15];

	return (memcmp(a, zero, 15) == 0 && a[15] <= 1) ||
	    (a[0] == 0xfe && (a[1] & 0x80) == 0x80) ||
	    (a[0] & 0xfe) == 0xfc || a[0] == 0xff;
}

/*
 * A loopback, private or link-local address, in any spelling inet_pton
 * reads, and an IPv4 one inside an IPv6 address (mapped, NAT64, 6to4):
 * a local hop, not an MX.
 */
int
correlate_addr_local(const char *addr)
{
	unsigned char v4[4], v6[16];

	switch (correlate_addr_parse(addr, v4, v6)) {
	case 1:
		return correlate_v4_local(v4);
	case 0:
		return correlate_v6_local(v6);
	default:
		return 1;	/* not an address at all: not an MX either */
	}
}

/* A loopback address (127/8, ::1, or 127/8 inside IPv6), where content
 * filters listen. */
static int
correlate_loopback(const char *addr)
{
	static const unsigned char one[16] = { [15] = 1 };
	unsigned char v4[4], v6[16];

	switch (correlate_addr_parse(addr, v4, v6)) {
	case 1:
		return v4[0] == 127;
	case 0:
		return memcmp(v6, one, 16) == 0;
	default:
		return 0;
	}
}

/* An IPv4 literal ("[192.0.2.1]:25" as a next hop): not a domain. */
static int
correlate_ip_literal(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && dot[1] >= '0' && dot[1] <= '9';
}

/* The next-hop domain of a delivery; 0 when it counts for nothing. */
static int
correlate_domain(struct correlator *c, const struct logparse_event *ev,
    uint64_t t, char *out)
{
	char hint[KEY_MAX + 1];
	const char *name;
	size_t n, i;
	int local = correlate_addr_local(ev->addr);

	if (correlate_loopback(ev->addr) && ev->port != 25) {
		/* a content filter is nobody's next hop, whatever Postfix
		 * asked about it ("[localhost]:10024") */
		c->stats.local++;
		return 0;
	}
	if (c->hint != NULL && c->hint(c->hint_arg, ev->pid, t,
	    ev->rcpt_domain, ev->host, hint, sizeof(hint)))
		name = hint;	/* what Postfix asked us: the next hop */
	else if (local && !(c->private_mx && ev->port == 25))
		name = NULL;	/* a content filter or a LAN relay */
	else if (ev->port != 25 && ev->port != 0)
		name = ev->host;	/* a relayhost or [host]:port transport */
	else
		name = ev->rcpt_domain;
	if (name == NULL || correlate_ip_literal(name)) {
		c->stats.local++;
		return 0;
	}
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > KEY_MAX) {
		c->stats.unattributed++;
		return 0;
	}
	/* keys are lowercase; a relay's name is logged as configured */
	for (i = 0; i < n; i++)
		out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] + ('a' - 'A') : name[i]);
	out[n] = '\0';
	if (!key_domain_valid(out, n)) {
		c->stats.unattributed++;
		return 0;
	}
	return 1;
}

/* Was this delivery line carried by the pid's TLS connection? */
static int
correlate_over_tls(struct correlate_pid *p, const struct logparse_event *ev,
    uint64_t t)
{
	if (p == NULL || p->conn_time == 0 || p->port != ev->port ||
	    strcmp(p->addr, ev->addr) != 0 ||
	    t > p->conn_time + CORRELATE_CONN_MAX_AGE)
		return 0;
	if (p->conn_qid[0] == '\0')
		correlate_copy(p->conn_qid, sizeof(p->conn_qid), ev->queue_id);
	else if (t > p->conn_last + CORRELATE_CONN_IDLE)
		return 0;	/* a retry, later, over a new connection */
	if (strcmp(p->conn_qid, ev->queue_id) != 0)
		return 0;
	p->conn_last = t;
	return 1;
}

/* The failures that are about TLS; the rest say nothing about it. */
static int
correlate_tls_failure(const struct logparse_event *ev)
{
	if (ev->status != STATUS_DEFERRED && ev->status != STATUS_BOUNCED)
		return 0;
	if (ev->tls_not_offered)
		return LEARN_NOT_OFFERED;
	if (strstr(ev->reason, "Server certificate not verified") != NULL ||
	    strstr(ev->reason, "Cannot start TLS") != NULL)
		return LEARN_TLS_FAIL;
	return 0;
}

/* Classify a delivery line; 0 when it is not a lesson. */
static int
correlate_outcome(struct correlate_pid *p, const struct logparse_event *ev,
    uint64_t t, struct learn_obs *o)
{
	int tls = correlate_over_tls(p, ev, t), fail;

	o->time = t;
	o->level = tls ? p->level : TLSLEVEL_NONE;
	correlate_copy(o->host, sizeof(o->host), ev->host);
	if (ev->status == STATUS_SENT) {
		o->kind = tls ? LEARN_TLS : LEARN_PLAIN;
		return 1;
	}
	if ((fail = correlate_tls_failure(ev)) == 0)
		return 0;
	o->kind = (enum learn_kind)fail;
	if (fail == LEARN_TLS_FAIL && p != NULL && p->cert[0] != '\0')
		snprintf(o->reason, sizeof(o->reason), "%.150s (%.140s)",
		    ev->reason, p->cert);
	else
		correlate_copy(o->reason, sizeof(o->reason), ev->reason);
	return 1;
}

/*
 * Another recipient of the delivery last counted: same message, same
 * server, logged with it (a retry later by the same process is a new
 * attempt and counts again).
 */
static int
correlate_duplicate(const struct correlate_pid *p,
    const struct logparse_event *ev, uint64_t t)
{
	return strcmp(p->last_qid, ev->queue_id) == 0 &&
	    strcmp(p->last_addr, ev->addr) == 0 && p->last_port == ev->port &&
	    t <= p->last_time + CORRELATE_RCPT_WINDOW;
}

/* Remember the delivery just counted, for correlate_duplicate. */
static void
correlate_counted(struct correlate_pid *p, const struct logparse_event *ev,
    uint64_t t)
{
	correlate_copy(p->last_qid, sizeof(p->last_qid), ev->queue_id);
	correlate_copy(p->last_addr, sizeof(p->last_addr), ev->addr);
	p->last_port = ev->port;
	p->last_time = t;
}

static int
correlate_delivery(struct correlator *c, const struct logparse_event *ev,
    uint64_t t, struct correlate_out *out)
{
	struct correlate_pid *p;

	if (ev->relay != RELAY_ADDR || ev->lmtp)
		return 0;	/* no server reached, or not an MX */
	memset(out, 0, sizeof(*out));
	if (!correlate_domain(c, ev, t, out->domain))
		return 0;
	p = pidtab_get(&c->tab, ev->pid);
	if (correlate_duplicate(p, ev, t)) {
		c->stats.duplicate++;
		return 0;
	}
	if (!correlate_outcome(p, ev, t, &out->obs)) {
		p->cert[0] = '\0';
		c->stats.other++;
		return 0;
	}
	p->cert[0] = '\0';	/* it explained this delivery, no later one */
	correlate_counted(p, ev, t);
	correlate_copy(out->queue_id, sizeof(out->queue_id), ev->queue_id);
	c->stats.deliveries++;
	return 1;
}

/* A new TLS connection (or a reused one) for the pid. */
static void
correlate_tls(struct correlator *c, const struct logparse_event *ev,
    uint64_t t)
{
	struct correlate_pid *p = pidtab_get(&c->tab, ev->pid);

	p->conn_time = t ? t : 1;
	p->conn_last = p->conn_time;
	p->last_qid[0] = '\0';	/* a new connection: nothing counted on it */
	p->level = ev->level;
	p->port = ev->port;
	correlate_copy(p->host, sizeof(p->host), ev->host);
	correlate_copy(p->addr, sizeof(p->addr), ev->addr);
	p->conn_qid[0] = '\0';
}

int
correlate_feed(struct correlator *c, const struct logparse_event *ev,
    uint64_t t, struct correlate_out *out)
{
	struct correlate_pid *p;

	if (ev->lmtp)
		return 0;
	switch (ev->kind) {
	case LOGPARSE_TLS:
		correlate_tls(c, ev, t);
		return 0;
	case LOGPARSE_CERT_FAIL:
		p = pidtab_get(&c->tab, ev->pid);
		correlate_copy(p->cert, sizeof(p->cert), ev->reason);
		return 0;
	case LOGPARSE_DELIVERY:
		return correlate_delivery(c, ev, t, out);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ save/load */

static void
correlate_put_pid(struct bytes_writer *b, size_t slot,
    const struct correlate_pid *p)
{
	bytes_put_u16(b, slot);
	bytes_put_u64(b, p->h.pid);
	bytes_put_u64(b, p->h.tick);
	bytes_put_u64(b, p->conn_time);
	bytes_put_u8(b, (uint8_t)p->level);
	bytes_put_u16(b, p->port);
	bytes_put_u16(b, p->last_port);
	bytes_put_u64(b, p->last_time);
	bytes_put_u64(b, p->conn_last);
	bytes_put_str(b, p->host, strlen(p->host));
	bytes_put_str(b, p->addr, strlen(p->addr));
	bytes_put_str(b, p->conn_qid, strlen(p->conn_qid));
	bytes_put_str(b, p->last_qid, strlen(p->last_qid));
	bytes_put_str(b, p->last_addr, strlen(p->last_addr));
	bytes_put_str(b, p->cert, strlen(p->cert));
}

/* The table as bytes; 0 when buf is too small. */
size_t
correlate_save(const struct correlator *c, unsigned char *buf, size_t bufsz)
{
	struct bytes_writer b;
	size_t i, n = 0;

	bytes_writer_init(&b, buf, bufsz);
	for (i = 0; i < CORRELATE_PIDS; i++)
		n += c->pids[i].h.pid != 0;
	bytes_put_u8(&b, CORRELATE_SAVE_VERSION);
	bytes_put_u64(&b, c->tab.tick);
	bytes_put_u16(&b, n);
	for (i = 0; i < CORRELATE_PIDS; i++)
		if (c->pids[i].h.pid != 0)
			correlate_put_pid(&b, i, &c->pids[i]);
	return bytes_written(&b);
}

static void
correlate_get_pid(struct bytes_reader *b, struct correlate_pid *p)
{
	p->h.pid = bytes_get_u64(b);
	p->h.tick = bytes_get_u64(b);
	p->conn_time = bytes_get_u64(b);
	p->level = bytes_get_u8(b);
	p->port = bytes_get_u16(b);
	p->last_port = bytes_get_u16(b);
	p->last_time = bytes_get_u64(b);
	p->conn_last = bytes_get_u64(b);
	bytes_get_str(b, p->host, sizeof(p->host) - 1);
	bytes_get_str(b, p->addr, sizeof(p->addr) - 1);
	bytes_get_str(b, p->conn_qid, sizeof(p->conn_qid) - 1);
	bytes_get_str(b, p->last_qid, sizeof(p->last_qid) - 1);
	bytes_get_str(b, p->last_addr, sizeof(p->last_addr) - 1);
	bytes_get_str(b, p->cert, sizeof(p->cert) - 1);
	if (p->h.pid == 0 || p->h.tick == 0 || p->level > TLSLEVEL_VERIFIED)
		b->bad = 1;
}

/* Restore a saved table; 0 (table left empty) when the bytes are bad. */
int
correlate_load(struct correlator *c, const unsigned char *buf, size_t len)
{
	struct bytes_reader b;
	struct correlate_pid p;
	size_t n, i, slot, next = 0;
	uint64_t tick;

	memset(c->pids, 0, sizeof(c->pids));
	c->tab.tick = 0;
	bytes_reader_init(&b, buf, len);
	if (bytes_get_u8(&b) != CORRELATE_SAVE_VERSION)
		return 0;
	tick = bytes_get_u64(&b);
	if (tick > CORRELATE_TICK_MAX)
		goto bad;
	n = bytes_get_u16(&b);
	for (i = 0; i < n && !b.bad && n <= CORRELATE_PIDS; i++) {
		slot = bytes_get_u16(&b);
		memset(&p, 0, sizeof(p));
		correlate_get_pid(&b, &p);
		/* slots in increasing order, as correlate_save() writes them */
		if (b.bad || slot < next || slot >= CORRELATE_PIDS ||
		    p.h.tick > tick)
			break;
		c->pids[slot] = p;
		next = slot + 1;
	}
	if (i != n || !bytes_end(&b))
		goto bad;
	/* every pid where its lookup finds it, and only once */
	for (i = 0; i < CORRELATE_PIDS; i++)
		if (c->pids[i].h.pid != 0 &&
		    pidtab_index(&c->tab, c->pids[i].h.pid) != i)
			goto bad;
	c->tab.tick = tick;	/* as it was, so eviction order is the same */
	return 1;
bad:
	memset(c->pids, 0, sizeof(c->pids));
	c->tab.tick = 0;
	return 0;
}
