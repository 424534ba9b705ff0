/*
 * NAME
 *	metrics - tlspin's figures as a Prometheus text exposition
 * SYNOPSIS
 *	#include "metrics.h"
 *
 *	void metrics_counters(m, text)
 *	size_t metrics_render(m, buf, bufsz)
 * DESCRIPTION
 *	One pure renderer, so that "tlspin metrics" (for node_exporter's
 *	textfile collector) and anything tlspind serves print the same
 *	names: struct metrics in, the text exposition format 0.0.4 out,
 *	"# HELP" and "# TYPE" before each family. Counters end in _total,
 *	times are seconds and sizes bytes (Prometheus' conventions).
 *
 *	metrics_counters() reads the lookup server's counters file (lines
 *	"name=value", already checked by counters_check) into m; a name it
 *	does not know is skipped, a value that is not a number reads as 0.
 *	It sets have_counters.
 *
 *	metrics_render() writes the exposition into buf (NUL-terminated
 *	when bufsz > 0) and returns its length, or the length it would
 *	have had when that is bufsz or more (as snprintf does). Families of
 *	the daemon's counters are left out when there are none (tlspind has
 *	not run on this store) and tlspin_up says 0; the learner's likewise.
 *	The lookup counters count answers, not levels: an OK is not split
 *	by TLS level, since the server does not keep that apart.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "metrics.h"

#define METRICS_STR2(x) #x
#define METRICS_STR(x) METRICS_STR2(x)

struct metrics_out {
	char *buf;
	size_t size, len;
};

/* A counters file name and the field of struct metrics it fills. */
static const struct {
	const char *name;
	size_t off;
} metrics_fields[] = {
	{ "saved", offsetof(struct metrics, saved) },
	{ "clients", offsetof(struct metrics, clients) },
	{ "connections", offsetof(struct metrics, connections) },
	{ "refused", offsetof(struct metrics, refused) },
	{ "timeouts", offsetof(struct metrics, timeouts) },
	{ "ok", offsetof(struct metrics, ok) },
	{ "notfound", offsetof(struct metrics, notfound) },
	{ "temp", offsetof(struct metrics, temp) },
	{ "perm", offsetof(struct metrics, perm) },
	{ "observed", offsetof(struct metrics, observed) },
};

#define METRICS_NFIELDS (sizeof(metrics_fields) / sizeof(metrics_fields[0]))

/* Decimal digits of v[0..len) as a number; 0 if any is not a digit. */
static uint64_t
metrics_number(const char *v, size_t len)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 19)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	return n;
}

/* One line "name=value" (without its newline) into m. */
static void
metrics_counter_line(struct metrics *m, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t nlen, vlen, i;

	if (eq == NULL)
		return;
	nlen = (size_t)(eq - p);
	vlen = len - nlen - 1;
	if (nlen == 4 && strncmp(p, "mode", 4) == 0) {
		m->observe = vlen == 7 && strncmp(eq + 1, "observe", 7) == 0;
		return;
	}
	for (i = 0; i < METRICS_NFIELDS; i++)
		if (strlen(metrics_fields[i].name) == nlen &&
		    strncmp(metrics_fields[i].name, p, nlen) == 0) {
			*(uint64_t *)(void *)((char *)m +
			    metrics_fields[i].off) = metrics_number(eq + 1,
			    vlen);
			return;
		}
}

/* Read the counters file's text (see the header) into m. */
void
metrics_counters(struct metrics *m, const char *text)
{
	const char *p = text, *end;

	m->have_counters = 1;
	while (*p != '\0') {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		metrics_counter_line(m, p, (size_t)(end - p));
		p = *end != '\0' ? end + 1 : end;
	}
}

/* printf into out; past its size only the length grows. */
static void
metrics_printf(struct metrics_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
metrics_printf(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
	    o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* "# HELP" and "# TYPE" of a family. */
static void
metrics_family(struct metrics_out *o, const char *name, const char *type,
    const char *help)
{
	metrics_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A family of one sample without labels. */
static void
metrics_one(struct metrics_out *o, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_family(o, name, type, help);
	metrics_printf(o, "%s %llu\n", name, (unsigned long long)v);
}

/* The lookup server's counters (the counters file). */
static void
metrics_render_daemon(struct metrics_out *o, const struct metrics *m)
{
	static const char *const answers[] = { "ok", "notfound", "temp",
	    "perm" };
	const uint64_t counts[] = { m->ok, m->notfound, m->temp, m->perm };
	size_t i;

	metrics_one(o, "tlspin_counters_age_seconds", "gauge", "Seconds since "
	    "tlspind last saved its counters (it saves them every second).",
	    m->now > m->saved ? m->now - m->saved : 0);
	metrics_one(o, "tlspin_observe_mode", "gauge", "1 when tlspind runs "
	    "with mode = observe (pins are not enforced).",
	    (uint64_t)(m->observe != 0));
	metrics_one(o, "tlspin_clients", "gauge", "Postfix connections open "
	    "to tlspind.", m->clients);
	metrics_one(o, "tlspin_connections_total", "counter", "Connections "
	    "tlspind accepted.", m->connections);
	metrics_one(o, "tlspin_connections_refused_total", "counter",
	    "Connections refused because max_clients were open.", m->refused);
	metrics_one(o, "tlspin_connection_timeouts_total", "counter",
	    "Connections closed for idle_timeout or read_timeout.",
	    m->timeouts);
	metrics_family(o, "tlspin_lookups_total", "counter", "Policy lookups "
	    "answered, by answer (temp: the store could not be read).");
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		metrics_printf(o, "tlspin_lookups_total{answer=\"%s\"} %llu\n",
		    answers[i], (unsigned long long)counts[i]);
	metrics_one(o, "tlspin_lookups_observed_total", "counter", "Lookups "
	    "with a pin answered NOTFOUND because mode = observe.",
	    m->observed);
}

/* Domains by state and the store's size. */
static void
metrics_render_store(struct metrics_out *o, const struct metrics *m)
{
	int i;

	metrics_family(o, "tlspin_pins", "gauge", "Domains in the store, by "
	    "state.");
	for (i = 0; i < STATE_COUNT; i++)
		metrics_printf(o, "tlspin_pins{state=\"%s\"} %zu\n",
		    policy_state_name((enum policy_state)i), m->states[i]);
	metrics_one(o, "tlspin_pins_answering", "gauge", "Domains Postfix "
	    "gets a policy for now.", m->answering);
	metrics_one(o, "tlspin_records_corrupt", "gauge", "Records in the "
	    "store that could not be read.", m->corrupt);
	metrics_one(o, "tlspin_events", "gauge", "Audit events kept in the "
	    "store.", m->events);
	metrics_one(o, "tlspin_store_map_size_bytes", "gauge", "Size of the "
	    "LMDB map (map_size): the most the store can hold.", m->map_size);
	metrics_one(o, "tlspin_store_used_bytes", "gauge", "Bytes of the map "
	    "in use.", m->map_used);
	metrics_one(o, "tlspin_store_free_bytes", "gauge", "Bytes of the map "
	    "still free.", m->map_size > m->map_used ?
	    m->map_size - m->map_used : 0);
}

/* What the learner read of Postfix's log. */
static void
metrics_render_learner(struct metrics_out *o, const struct metrics *m)
{
	metrics_one(o, "tlspin_learner_lines_total", "counter", "Log lines "
	    "the learner read.", m->lines);
	metrics_one(o, "tlspin_learner_deliveries_total", "counter",
	    "Deliveries the learner counted for a domain.", m->deliveries);
	metrics_one(o, "tlspin_learner_transitions_total", "counter",
	    "Changes of state the learner made (events written).",
	    m->transitions);
	if (m->last_line == 0)
		return;
	metrics_one(o, "tlspin_learner_last_line_timestamp_seconds", "gauge",
	    "Log time of the newest line the learner used.", m->last_line);
	metrics_one(o, "tlspin_learner_lag_seconds", "gauge", "Seconds "
	    "between now and the newest line the learner used.",
	    m->now > m->last_line ? m->now - m->last_line : 0);
}

/* The whole exposition of m into buf; see the header. */
size_t
metrics_render(const struct metrics *m, char *buf, size_t bufsz)
{
	struct metrics_out o = { buf, bufsz, 0 };
	int up = m->have_counters && m->saved + COUNTERS_STALE >= m->now;

	if (bufsz > 0)
		buf[0] = '\0';
	metrics_family(&o, "tlspin_up", "gauge", "1 when tlspind saved its "
	    "counters for this store in the last " METRICS_STR(COUNTERS_STALE)
	    " seconds.");
	metrics_printf(&o, "tlspin_up %d\n", up);
	if (m->have_counters)
		metrics_render_daemon(&o, m);
	if (m->have_store)
		metrics_render_store(&o, m);
	if (m->have_learner)
		metrics_render_learner(&o, m);
	return o.len;
}
