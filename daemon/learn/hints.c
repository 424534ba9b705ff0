/*
 * NAME
 *	hints - which next hop each smtp pid asked tlspind about, and when
 * SYNOPSIS
 *	#include "hints.h"
 *
 *	void hints_add(h, query)
 *	int hints_find(h, pid, t, rcpt_domain, out, outsz)
 *	size_t hints_encode(query, buf, bufsz)
 *	size_t hints_decode(buf, len, query)
 *
 *	void hints_forward_add(f, pid, time, key, keylen)
 *	void hints_forward_flush(f)
 *	void hints_forward_set_fd(f, fd)
 * DESCRIPTION
 *	Postfix asks smtp_tls_policy_maps for the next hop ("example.com",
 *	"[relay.example]:587") before it connects, from the smtp process
 *	that then logs the delivery. tlspind learns that process's pid from
 *	SO_PEERCRED and sends (pid, time, key) to the learner, which keeps
 *	the last HINTS_RING queries per pid here. A hint only confirms, it
 *	never guesses: for a delivery line of pid at time t, to a recipient
 *	domain through a relay host, the next hop is the recipient domain if
 *	that pid asked for it at most HINTS_MAX_AGE before t (or HINTS_SLACK
 *	after, for log stamps cut to the second), else the relay's name if
 *	it asked for that (a relayhost, a [host] transport), else there is
 *	no hint. Taking "the pid's latest query" instead would count a
 *	delivery whose own query was lost (a learner restart, a full
 *	socket) for whatever domain the pid asked about next.
 *	Parent-domain lookups (".example.com") are not next hops and are
 *	never recorded.
 *
 *	The wire form is a sequence of: pid (4), time (8), key length (2),
 *	key, little-endian; hints_decode() is a bounded parser that returns
 *	the bytes it used, 0 for a malformed entry.
 *
 *	The sending side, in the lookup process: hints_forward_add() queues
 *	a lookup, hints_forward_flush() sends the queue as one datagram
 *	without ever blocking (a learner that does not keep up loses hints
 *	and falls back to the recipient domain). A new learner (started, or
 *	restarted after a crash or SIGHUP: hints_forward_set_fd) first gets
 *	the last HINTS_KEPT lookups: the log lines it has yet to read may be
 *	about them.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bytes.h"
#include "hints.h"
#include "pidtab.h"

struct hints_pid {
	struct pidtab_head h;	/* pid (0: free), last query */
	unsigned next;		/* ring slot to write */
	struct {
		uint64_t time;	/* 0: empty */
		char key[KEY_MAX + 1];
	} q[HINTS_RING];
};

struct hints {
	struct hints_pid pids[HINTS_PIDS];
	struct pidtab tab;	/* over pids */
};

struct hints *
hints_new(void)
{
	struct hints *h = calloc(1, sizeof(struct hints));

	if (h != NULL)
		pidtab_init(&h->tab, h->pids, HINTS_PIDS, sizeof(h->pids[0]));
	return h;
}

void
hints_free(struct hints *h)
{
	free(h);
}

static char
hints_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

void
hints_add(struct hints *h, const struct hint *q)
{
	struct hints_pid *p;
	size_t i;

	if (q->pid == 0 || q->keylen == 0 || q->keylen > KEY_MAX ||
	    q->key[0] == '.')
		return;
	p = pidtab_get(&h->tab, q->pid);
	p->q[p->next].time = q->time ? q->time : 1;
	for (i = 0; i < q->keylen; i++)	/* store keys are lowercase */
		p->q[p->next].key[i] = hints_lower(q->key[i]);
	p->q[p->next].key[q->keylen] = '\0';
	p->next = (p->next + 1) % HINTS_RING;
}

/* name equals key, ignoring ASCII case and a trailing dot of name. */
static int
hints_same(const char *key, const char *name)
{
	size_t i;

	for (i = 0; key[i] != '\0' && name[i] != '\0'; i++)
		if (hints_lower(key[i]) != hints_lower(name[i]))
			return 0;
	return key[i] == '\0' && (name[i] == '\0' ||
	    (name[i] == '.' && name[i + 1] == '\0'));
}

/* A correlate_hint_fn: 1 with the next hop in out. */
int
hints_find(void *arg, unsigned long pid, uint64_t t, const char *rcpt_domain,
    const char *relay_host, char *out, size_t outsz)
{
	struct hints *h = arg;
	struct hints_pid *p;
	const char *best = NULL;
	uint64_t qt;
	unsigned i;

	if (pid == 0 || pid > UINT32_MAX ||
	    (p = pidtab_find(&h->tab, pid)) == NULL)
		return 0;
	for (i = 0; i < HINTS_RING; i++) {
		qt = p->q[i].time;
		/* qt in [t - HINTS_MAX_AGE, t + HINTS_SLACK], without
		 * wrapping around at either end of uint64_t */
		if (qt == 0 || (qt > t && qt - t > HINTS_SLACK) ||
		    (qt < t && t - qt > HINTS_MAX_AGE))
			continue;
		if (hints_same(p->q[i].key, rcpt_domain)) {
			best = p->q[i].key;
			break;
		}
		if (relay_host != NULL && hints_same(p->q[i].key, relay_host))
			best = p->q[i].key;
	}
	if (best == NULL || strlen(best) >= outsz)
		return 0;
	memcpy(out, best, strlen(best) + 1);
	return 1;
}

/* One hint in its wire form; 0 when it does not fit in bufsz. */
size_t
hints_encode(const struct hint *q, unsigned char *buf, size_t bufsz)
{
	struct bytes_writer w;

	if (q->keylen > KEY_MAX)
		return 0;
	bytes_writer_init(&w, buf, bufsz);
	bytes_put_u32(&w, q->pid);
	bytes_put_u64(&w, q->time);
	bytes_put_str(&w, q->key, q->keylen);
	return bytes_written(&w);
}

/* The first hint of buf; the bytes it used, 0 when it is malformed. */
size_t
hints_decode(const unsigned char *buf, size_t len, struct hint *q)
{
	struct bytes_reader r;

	memset(q, 0, sizeof(*q));
	bytes_reader_init(&r, buf, len);
	q->pid = bytes_get_u32(&r);
	q->time = bytes_get_u64(&r);
	q->keylen = (uint16_t)bytes_get_str(&r, q->key, KEY_MAX);
	if (r.bad || q->keylen == 0)
		return 0;
	return r.off;
}

/* ---------------------------------------------- the lookup process's side */

struct hints_forward {
	int fd;			/* -1: no learner */
	unsigned char buf[HINTS_WIRE_MAX];
	size_t len;
	struct hint recent[HINTS_KEPT];	/* replayed to a new learner */
	size_t nrecent;		/* hints ever recorded (ring: mod KEPT) */
};

struct hints_forward *
hints_forward_new(void)
{
	struct hints_forward *f = calloc(1, sizeof(*f));

	if (f != NULL)
		f->fd = -1;
	return f;
}

void
hints_forward_free(struct hints_forward *f)
{
	free(f);
}

/* Send the queued hints; never block, drop them if the learner lags. */
void
hints_forward_flush(struct hints_forward *f)
{
	if (f->len > 0 && f->fd >= 0)
		(void)send(f->fd, f->buf, f->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	f->len = 0;
}

static void
hints_forward_queue(struct hints_forward *f, const struct hint *q)
{
	if (sizeof(f->buf) - f->len < 14 + KEY_MAX)
		hints_forward_flush(f);
	f->len += hints_encode(q, f->buf + f->len, sizeof(f->buf) - f->len);
}

/* Remember that pid asked for key at time (Unix seconds). Parent-domain
 * lookups (".example.com") are no next hops: not recorded. */
void
hints_forward_add(struct hints_forward *f, uint32_t pid, uint64_t time,
    const char *key, size_t keylen)
{
	struct hint *q;

	if (pid == 0 || keylen == 0 || keylen > KEY_MAX || key[0] == '.')
		return;
	/* written in place: this runs on every lookup */
	q = &f->recent[f->nrecent++ % HINTS_KEPT];
	q->pid = pid;
	q->time = time;
	q->keylen = (uint16_t)keylen;
	memcpy(q->key, key, keylen);
	q->key[keylen] = '\0';
	if (f->fd >= 0)
		hints_forward_queue(f, q);
}

/* Where hints go from now on (-1: nowhere); a new learner first gets the
 * last HINTS_KEPT. The caller owns fd. */
void
hints_forward_set_fd(struct hints_forward *f, int fd)
{
	size_t i, first;

	f->len = 0;
	f->fd = fd;
	if (fd < 0)
		return;
	first = f->nrecent > HINTS_KEPT ? f->nrecent - HINTS_KEPT : 0;
	for (i = first; i < f->nrecent; i++)
		hints_forward_queue(f, &f->recent[i % HINTS_KEPT]);
	hints_forward_flush(f);
}
