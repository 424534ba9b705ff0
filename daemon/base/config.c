/*
 * NAME
 *	config - parse tlspin.conf
 * SYNOPSIS
 *	#include "config.h"
 *
 *	void config_defaults(c)
 *	int config_parse(c, buf, len, filename, err, errsz)
 *	int config_load(c, path, must_exist, err, errsz)
 * DESCRIPTION
 *	tlspin.conf looks like Postfix's main.cf: "key = value" lines,
 *	whole-line "#" comments, blank lines, and lines that start with
 *	white space continue the previous setting (comment and blank lines
 *	in between are skipped, as in main.cf). config_parse() is pure over
 *	(buf, len): it applies each setting to c and stops at the first
 *	problem with "FILE, line N: ..." in err, naming the key, what is
 *	wrong and what is allowed. Unknown keys are errors, so a typo never
 *	silently leaves a default in force. A later setting of the same key
 *	wins, as in main.cf.
 *
 *	config_set() applies one setting and is also what command-line
 *	options use. config_load() reads a file (at most CONFIG_FILE_MAX
 *	bytes) and parses it into a copy, so c is changed only when the
 *	whole file is good: this is what keeps the old settings on a bad
 *	reload.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "key.h"
#include "reply.h"
#include "config.h"

typedef int (*config_setter)(struct config *c, const char *v, size_t len,
    const char **err);

struct config_key {
	const char *name;
	config_setter set;
};

/* Copy v into a fixed field; refuses empty or too-long values. */
static int
config_copy(char *dst, size_t dstsz, const char *v, size_t len,
    const char **err)
{
	if (len == 0) {
		*err = "value is empty";
		return 0;
	}
	if (len >= dstsz) {
		*err = "value is too long";
		return 0;
	}
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 1;
}

/* Parse an unsigned decimal in [lo, hi] with base 10 or 8. */
static int
config_uint(const char *v, size_t len, int base, unsigned long lo,
    unsigned long hi, unsigned long *out)
{
	char buf[32], *end;
	unsigned long n;

	if (len == 0 || len >= sizeof(buf) || v[0] == '-' || v[0] == '+')
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	errno = 0;
	n = strtoul(buf, &end, base);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return 0;
	*out = n;
	return 1;
}

/* Parse "90", "30s", "5m", "24h", "60d", "2w" into seconds; 1 if good. */
int
config_duration_parse(const char *s, size_t len, uint64_t *secs)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 },
	    { 'd', 86400 }, { 'w', 604800 } };
	uint64_t mult = 1, n = 0;
	size_t i, digits = len;

	if (len > 0 && (s[len - 1] < '0' || s[len - 1] > '9')) {
		digits = len - 1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (s[len - 1] == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return 0;
		mult = units[i].mult;
	}
	if (digits == 0 || digits > 12)
		return 0;
	for (i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*secs = n * mult;
	return 1;
}

/* A duration the way an admin writes it: the largest exact unit (hours
 * up to 2 days: "24h" reads better than "1d"). */
void
config_duration_format(char *buf, size_t bufsz, uint64_t secs)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (secs != 0 && secs % units[i].mult == 0 &&
		    !(units[i].unit == 'd' && secs < 2 * 86400)) {
			snprintf(buf, bufsz, "%llu%c", (unsigned long long)
			    (secs / units[i].mult), units[i].unit);
			return;
		}
	snprintf(buf, bufsz, "%llus", (unsigned long long)secs);
}

/* Check "unix:PATH" or "inet:HOST:PORT" syntax; 1 if good. */
int
config_listen_check(const char *a, size_t len, const char **err)
{
	const char *colon;
	unsigned long port;

	if (len >= CONFIG_ADDR_MAX) {
		*err = "address is longer than 107 bytes";
		return 0;
	}
	if (len > 5 && memcmp(a, "unix:", 5) == 0)
		return 1;
	if (len > 5 && memcmp(a, "inet:", 5) == 0) {
		colon = a + len;
		while (colon > a + 5 && colon[-1] != ':')
			colon--;
		if (colon == a + 5 || colon - 1 == a + 5 ||
		    !config_uint(colon, (size_t)(a + len - colon), 10, 1,
		    65535, &port)) {
			*err = "expected inet:HOST:PORT with a port from 1 "
			    "to 65535";
			return 0;
		}
		return 1;
	}
	*err = "expected unix:PATH or inet:HOST:PORT";
	return 0;
}

static int
config_set_store(struct config *c, const char *v, size_t len, const char **err)
{
	return config_copy(c->store, sizeof(c->store), v, len, err);
}

/* listen: one or more addresses separated by blanks or commas. */
static int
config_set_listen(struct config *c, const char *v, size_t len,
    const char **err)
{
	size_t i = 0, start;

	c->nlisten = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && v[i] != ' ' && v[i] != '\t' && v[i] != ',')
			i++;
		if (c->nlisten == CONFIG_LISTEN_MAX) {
			*err = "too many addresses (at most 16)";
			return 0;
		}
		if (!config_listen_check(v + start, i - start, err))
			return 0;
		memcpy(c->listen[c->nlisten], v + start, i - start);
		c->listen[c->nlisten++][i - start] = '\0';
	}
	if (c->nlisten == 0) {
		*err = "value is empty (expected unix:PATH or inet:HOST:PORT)";
		return 0;
	}
	return 1;
}

/* metrics_listen: one address for Prometheus, or none (the default). */
static int
config_set_metrics_listen(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (len == 0 || (len == 4 && memcmp(v, "none", 4) == 0)) {
		c->metrics_listen[0] = '\0';
		return 1;
	}
	if (!config_listen_check(v, len, err))
		return 0;
	memcpy(c->metrics_listen, v, len);
	c->metrics_listen[len] = '\0';
	return 1;
}

static int
config_set_map_name(struct config *c, const char *v, size_t len,
    const char **err)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.')) {
			*err = "map name may hold only letters, digits, "
			    "'_', '-' and '.'";
			return 0;
		}
	}
	return config_copy(c->map_name, sizeof(c->map_name), v, len, err);
}

static int
config_set_mode(struct config *c, const char *v, size_t len, const char **err)
{
	if (len == 7 && memcmp(v, "enforce", 7) == 0)
		c->mode = MODE_ENFORCE;
	else if (len == 7 && memcmp(v, "observe", 7) == 0)
		c->mode = MODE_OBSERVE;
	else {
		*err = "expected enforce or observe";
		return 0;
	}
	return 1;
}

static int
config_set_unix_mode(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 8, 0, 0777, &n)) {
		*err = "expected an octal mode such as 0660";
		return 0;
	}
	c->unix_mode = (unsigned)n;
	return 1;
}

static int
config_set_unix_group(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_copy(c->unix_group, sizeof(c->unix_group), v, len, err);
}

static int
config_set_user(struct config *c, const char *v, size_t len, const char **err)
{
	return config_copy(c->user, sizeof(c->user), v, len, err);
}

static int
config_set_max_clients(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 10, 1, 100000, &n)) {
		*err = "expected a number from 1 to 100000";
		return 0;
	}
	c->max_clients = (unsigned)n;
	return 1;
}

/* Parse a duration in [lo, hi] seconds into *out. */
static int
config_timeout(uint64_t *out, const char *v, size_t len, uint64_t lo,
    uint64_t hi, const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s < lo || s > hi) {
		*err = "expected a duration such as 30s, 5m or 1h "
		    "(1 second to 1 hour)";
		return 0;
	}
	*out = s;
	return 1;
}

static int
config_set_idle_timeout(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_timeout(&c->idle_timeout, v, len, 1, 3600, err);
}

static int
config_set_read_timeout(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_timeout(&c->read_timeout, v, len, 1, 3600, err);
}

static int
config_set_postfix_compat(struct config *c, const char *v, size_t len,
    const char **err)
{
	char buf[16];

	if (len == 0 || len >= sizeof(buf)) {
		*err = "expected a Postfix version such as 3.7";
		return 0;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (!reply_compat_parse(buf, &c->postfix_compat)) {
		*err = "expected a Postfix version such as 3.7";
		return 0;
	}
	return 1;
}

static int
config_yesno(int *out, const char *v, size_t len, const char **err)
{
	if (len == 3 && memcmp(v, "yes", 3) == 0)
		*out = 1;
	else if (len == 2 && memcmp(v, "no", 2) == 0)
		*out = 0;
	else {
		*err = "expected yes or no";
		return 0;
	}
	return 1;
}

static int
config_set_debug(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_yesno(&c->debug, v, len, err);
}

/* An absolute path, or nothing to unset (so -o KEY= undoes the file). */
static int
config_path(char *dst, size_t dstsz, const char *v, size_t len,
    const char **err)
{
	if (len == 0) {
		dst[0] = '\0';
		return 1;
	}
	if (v[0] != '/') {
		*err = "expected an absolute path, or nothing for none";
		return 0;
	}
	return config_copy(dst, dstsz, v, len, err);
}

static int
config_set_pidfile(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_path(c->pidfile, sizeof(c->pidfile), v, len, err);
}

static int
config_set_log_file(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_path(c->log_file, sizeof(c->log_file), v, len, err);
}

static int
config_set_secure_pins(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_yesno(&c->secure_pins, v, len, err);
}

static int
config_set_private_mx(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_yesno(&c->private_mx, v, len, err);
}

static int
config_set_pin_min_deliveries(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 10, 1, 1000000, &n)) {
		*err = "expected a number from 1 to 1000000";
		return 0;
	}
	c->pin_min_deliveries = (unsigned)n;
	return 1;
}

static int
config_set_pin_min_span(struct config *c, const char *v, size_t len,
    const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s > 365 * 86400ULL) {
		*err = "expected a duration such as 24h or 7d (0s to 365d)";
		return 0;
	}
	c->pin_min_span = s;
	return 1;
}

static int
config_set_pin_max_age(struct config *c, const char *v, size_t len,
    const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s < 60 ||
	    s > 3650 * 86400ULL) {
		*err = "expected a duration such as 60d (1m to 3650d)";
		return 0;
	}
	c->pin_max_age = s;
	return 1;
}

static int
config_set_observe_max_age(struct config *c, const char *v, size_t len,
    const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s < 3600 ||
	    s > 3650 * 86400ULL) {
		*err = "expected a duration such as 30d (1h to 3650d)";
		return 0;
	}
	c->observe_max_age = s;
	return 1;
}

static int
config_set_max_observing(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 10, 100, 1000000000, &n)) {
		*err = "expected a number from 100 to 1000000000";
		return 0;
	}
	c->max_observing = n;
	return 1;
}

static int
config_set_log_source(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (!((len == 7 && memcmp(v, "journal", 7) == 0) ||
	    (len == 4 && memcmp(v, "none", 4) == 0) ||
	    (len > 8 && memcmp(v, "journal:", 8) == 0 && v[8] == '/') ||
	    (len > 5 && memcmp(v, "file:", 5) == 0 && v[5] == '/'))) {
		*err = "expected journal, journal:/DIR, file:/PATH or none";
		return 0;
	}
	return config_copy(c->log_source, sizeof(c->log_source), v, len, err);
}

/* One or more syslog_name values, separated by spaces or commas. */
static int
config_set_syslog_name(struct config *c, const char *v, size_t len,
    const char **err)
{
	size_t i = 0, start;
	unsigned n = 0;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == ',' || v[i] == '\t'))
			i++;
		if (i == len)
			break;
		for (start = i; i < len && v[i] != ' ' && v[i] != ',' &&
		    v[i] != '\t'; i++)
			if (!(isalnum((unsigned char)v[i]) || v[i] == '-' ||
			    v[i] == '_' || v[i] == '.' || v[i] == '/')) {
				*err = "expected names such as postfix or "
				    "postfix-out";
				return 0;
			}
		if (n == CONFIG_NAMES_MAX) {
			*err = "too many names (at most 8)";
			return 0;
		}
		if (!config_copy(c->syslog_names[n], sizeof(c->syslog_names[n]),
		    v + start, i - start, err))
			return 0;
		n++;
	}
	if (n == 0) {
		*err = "expected at least one name, such as postfix";
		return 0;
	}
	c->nsyslog_names = n;
	return 1;
}

static int
config_set_postfix_user(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_copy(c->postfix_user, sizeof(c->postfix_user), v, len,
	    err);
}

static int
config_set_probe(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_yesno(&c->probe, v, len, err);
}

static int
config_set_probe_concurrency(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 10, 1, 16, &n)) {
		*err = "expected a number of probe processes from 1 to 16";
		return 0;
	}
	c->probe_concurrency = (unsigned)n;
	return 1;
}

static int
config_set_probe_timeout(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (!config_timeout(&c->probe_timeout, v, len, 1, 120, err)) {
		*err = "expected a duration such as 10s (1 second to 2 minutes)";
		return 0;
	}
	return 1;
}

static int
config_set_probe_interval(struct config *c, const char *v, size_t len,
    const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s > 365 * 86400ULL) {
		*err = "expected a duration such as 1d or 12h (0s to 365d)";
		return 0;
	}
	c->probe_interval = s;
	return 1;
}

static int
config_set_probe_port(struct config *c, const char *v, size_t len,
    const char **err)
{
	unsigned long n;

	if (!config_uint(v, len, 10, 1, 65535, &n)) {
		*err = "expected a TCP port from 1 to 65535";
		return 0;
	}
	c->probe_port = (unsigned)n;
	return 1;
}

static int
config_set_probe_cafile(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (len > 0 && v[0] != '/') {
		*err = "expected an absolute path to a PEM file of CA "
		    "certificates, or nothing for the system's CA store";
		return 0;
	}
	return config_copy(c->probe_cafile, sizeof(c->probe_cafile), v, len,
	    err);
}

/* "", or an IPv4 address with an optional :PORT. */
static int
config_set_probe_resolver(struct config *c, const char *v, size_t len,
    const char **err)
{
	struct in_addr in;
	unsigned port;

	if (len > 0 && !dnsmsg_resolver_parse(v, len, &in, &port)) {
		*err = "expected ADDR or ADDR:PORT (an IPv4 address), or "
		    "nothing for /etc/resolv.conf";
		return 0;
	}
	return config_copy(c->probe_resolver, sizeof(c->probe_resolver), v,
	    len, err);
}

static int
config_set_probe_user(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_copy(c->probe_user, sizeof(c->probe_user), v, len, err);
}

static int
config_set_mx_change(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (len == 11 && memcmp(v, "same-suffix", 11) == 0)
		c->mx_change = MX_CHANGE_SAME_SUFFIX;
	else if (len == 15 && memcmp(v, "accept-verified", 15) == 0)
		c->mx_change = MX_CHANGE_ACCEPT_VERIFIED;
	else if (len == 6 && memcmp(v, "strict", 6) == 0)
		c->mx_change = MX_CHANGE_STRICT;
	else {
		*err = "expected same-suffix, accept-verified or strict";
		return 0;
	}
	return 1;
}

const char *
config_mx_change_name(enum config_mx_change m)
{
	switch (m) {
	case MX_CHANGE_ACCEPT_VERIFIED: return "accept-verified";
	case MX_CHANGE_STRICT: return "strict";
	default: return "same-suffix";
	}
}

static int
config_set_dane_reply(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (len == 8 && memcmp(v, "notfound", 8) == 0)
		c->dane_only = 0;
	else if (len == 9 && memcmp(v, "dane-only", 9) == 0)
		c->dane_only = 1;
	else {
		*err = "expected notfound or dane-only";
		return 0;
	}
	return 1;
}

static int
config_set_alert_command(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (len > 0 && v[0] != '/') {
		*err = "expected the absolute path of a program, or nothing "
		    "for no alerts";
		return 0;
	}
	return config_path(c->alert_command, sizeof(c->alert_command), v,
	    len, err);
}

static int
config_set_alert_timeout(struct config *c, const char *v, size_t len,
    const char **err)
{
	if (!config_timeout(&c->alert_timeout, v, len, 1, 600, err)) {
		*err = "expected a duration such as 10s (1 second to 10 "
		    "minutes)";
		return 0;
	}
	return 1;
}

/* A duration from lo to hi seconds; msg says which, for the admin. */
static int
config_span(uint64_t *out, const char *v, size_t len, uint64_t lo,
    uint64_t hi, const char *msg, const char **err)
{
	uint64_t s;

	if (!config_duration_parse(v, len, &s) || s < lo || s > hi) {
		*err = msg;
		return 0;
	}
	*out = s;
	return 1;
}

static int
config_set_alert_interval(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_span(&c->alert_interval, v, len, 1, 30 * 86400ULL,
	    "expected a duration such as 1h or 1d (1 second to 30d)", err);
}

static int
config_set_alert_after(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_span(&c->alert_after, v, len, 0, 30 * 86400ULL,
	    "expected a duration such as 1h (0s to 30d)", err);
}

static int
config_set_alert_behind(struct config *c, const char *v, size_t len,
    const char **err)
{
	return config_span(&c->alert_behind, v, len, 1, 30 * 86400ULL,
	    "expected a duration such as 10m (1 second to 30d)", err);
}

static const struct config_key config_keys[] = {
	{ "store", config_set_store },
	{ "listen", config_set_listen },
	{ "metrics_listen", config_set_metrics_listen },
	{ "map_name", config_set_map_name },
	{ "mode", config_set_mode },
	{ "unix_mode", config_set_unix_mode },
	{ "unix_group", config_set_unix_group },
	{ "user", config_set_user },
	{ "max_clients", config_set_max_clients },
	{ "idle_timeout", config_set_idle_timeout },
	{ "read_timeout", config_set_read_timeout },
	{ "postfix_compat", config_set_postfix_compat },
	{ "debug", config_set_debug },
	{ "pidfile", config_set_pidfile },
	{ "log_file", config_set_log_file },
	{ "pin_min_deliveries", config_set_pin_min_deliveries },
	{ "pin_min_span", config_set_pin_min_span },
	{ "pin_max_age", config_set_pin_max_age },
	{ "observe_max_age", config_set_observe_max_age },
	{ "max_observing", config_set_max_observing },
	{ "secure_pins", config_set_secure_pins },
	{ "private_mx", config_set_private_mx },
	{ "log_source", config_set_log_source },
	{ "syslog_name", config_set_syslog_name },
	{ "postfix_user", config_set_postfix_user },
	{ "probe", config_set_probe },
	{ "probe_concurrency", config_set_probe_concurrency },
	{ "probe_timeout", config_set_probe_timeout },
	{ "probe_interval", config_set_probe_interval },
	{ "probe_port", config_set_probe_port },
	{ "probe_cafile", config_set_probe_cafile },
	{ "probe_resolver", config_set_probe_resolver },
	{ "probe_user", config_set_probe_user },
	{ "mx_change", config_set_mx_change },
	{ "dane_reply", config_set_dane_reply },
	{ "alert_command", config_set_alert_command },
	{ "alert_timeout", config_set_alert_timeout },
	{ "alert_interval", config_set_alert_interval },
	{ "alert_after", config_set_alert_after },
	{ "alert_behind", config_set_alert_behind },
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The built-in settings. */
void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "%s", TLSPIN_STORE_DIR);
	snprintf(c->listen[0], sizeof(c->listen[0]), "%s",
	    "unix:/var/spool/postfix/private/tlspin");
	c->nlisten = 1;
	snprintf(c->map_name, sizeof(c->map_name), "%s", "policy");
	c->mode = MODE_ENFORCE;
	c->unix_mode = 0660;
	c->max_clients = 1000;
	c->idle_timeout = 300;
	c->read_timeout = 10;
	c->postfix_compat = REPLY_COMPAT_DEFAULT;
	c->pin_min_deliveries = 3;
	c->pin_min_span = 86400;
	c->pin_max_age = 60 * 86400;
	c->observe_max_age = 30 * 86400;
	c->max_observing = 1000000;
	c->secure_pins = 0;	/* a learned secure pin would override DANE */
	snprintf(c->log_source, sizeof(c->log_source), "%s", "journal");
	snprintf(c->syslog_names[0], sizeof(c->syslog_names[0]), "postfix");
	/* Debian's master.cf: relay ... smtp -o syslog_name=postfix/relay */
	snprintf(c->syslog_names[1], sizeof(c->syslog_names[1]),
	    "postfix/relay");
	c->nsyslog_names = 2;
	snprintf(c->postfix_user, sizeof(c->postfix_user), "postfix");
	c->probe = 1;
	c->probe_concurrency = 2;
	c->probe_timeout = 10;
	c->probe_interval = 86400;
	c->probe_port = 25;
	snprintf(c->probe_user, sizeof(c->probe_user), "nobody");
	c->mx_change = MX_CHANGE_SAME_SUFFIX;
	c->alert_timeout = 10;
	c->alert_interval = 3600;
	c->alert_after = 3600;
	c->alert_behind = 600;
}

/* Apply one setting; err gets "KEY: problem". */
int
config_set(struct config *c, const char *key, const char *value,
    size_t vlen, char *err, size_t errsz)
{
	const char *why = NULL;
	size_t i;

	if (memchr(value, '\0', vlen) != NULL) {
		snprintf(err, errsz, "%s: value holds a NUL byte", key);
		return 0;
	}
	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(config_keys[i].name, key) != 0)
			continue;
		if (config_keys[i].set(c, value, vlen, &why))
			return 1;
		snprintf(err, errsz, "%s = %.*s: %s", key,
		    (int)(vlen > 200 ? 200 : vlen), value, why);
		return 0;
	}
	snprintf(err, errsz, "unknown setting \"%.64s\" (see tlspin.conf(5) "
	    "for the settings there are)", key);
	return 0;
}

/* Trim blanks (space, tab, CR) at both ends of [*s, *s + *len). */
static void
config_trim(const char **s, size_t *len)
{
	while (*len > 0 && strchr(" \t\r", (*s)[0]) != NULL) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && strchr(" \t\r", (*s)[*len - 1]) != NULL)
		(*len)--;
}

/* Parse one logical line "key = value" and apply it. */
static int
config_line(struct config *c, const char *line, size_t len, char *err,
    size_t errsz)
{
	char key[64];
	const char *eq = memchr(line, '=', len), *k = line, *v;
	size_t klen, vlen, i;

	if (eq == NULL) {
		snprintf(err, errsz, "expected \"key = value\"");
		return 0;
	}
	klen = (size_t)(eq - line);
	config_trim(&k, &klen);
	if (klen == 0 || klen >= sizeof(key)) {
		snprintf(err, errsz, "missing or overlong setting name "
		    "before '='");
		return 0;
	}
	memcpy(key, k, klen);
	key[klen] = '\0';
	v = eq + 1;
	vlen = len - (size_t)(v - line);
	config_trim(&v, &vlen);
	for (i = 0; i < vlen; i++) {
		if ((unsigned char)v[i] < ' ' && v[i] != '\t') {
			snprintf(err, errsz, "%s: value holds a control "
			    "character", key);
			return 0;
		}
	}
	return config_set(c, key, v, vlen, err, errsz);
}

enum config_kind {
	LINE_SKIP,		/* blank or a comment */
	LINE_MORE,		/* starts with a blank: continues a setting */
	LINE_START		/* starts a setting */
};

/* What a physical line is, as main.cf defines it. */
static enum config_kind
config_kind(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'))
		i++;
	if (i == len || line[i] == '#')
		return LINE_SKIP;
	return i > 0 ? LINE_MORE : LINE_START;
}

/* Append a physical line to the logical one, joined by one space. */
static int
config_append(char *logical, size_t *ll, size_t max, const char *line,
    size_t len)
{
	config_trim(&line, &len);
	if (*ll + 1 + len >= max)
		return 0;
	if (*ll > 0)
		logical[(*ll)++] = ' ';
	memcpy(logical + *ll, line, len);
	*ll += len;
	return 1;
}

/* Apply the logical line that started at line start. */
static int
config_flush(struct config *c, const char *logical, size_t ll,
    const char *filename, unsigned start, char *err, size_t errsz)
{
	char why[CONFIG_ERR_MAX];

	if (config_line(c, logical, ll, why, sizeof(why)))
		return 1;
	snprintf(err, errsz, "%s, line %u: %s", filename, start, why);
	return 0;
}

/* Parse a whole file's text; see the file header. Comment and blank
 * lines are skipped, also between a setting and its continuation lines,
 * as in Postfix's main.cf. */
int
config_parse(struct config *c, const char *buf, size_t len,
    const char *filename, char *err, size_t errsz)
{
	char logical[4096];
	const char *line, *nl;
	size_t i = 0, n, ll = 0;
	unsigned lineno = 0, start = 0;
	enum config_kind kind;

	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errsz, "%s: holds a NUL byte: not a text file",
		    filename);
		return 0;
	}
	while (i < len) {
		line = buf + i;
		nl = memchr(line, '\n', len - i);
		n = nl ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		lineno++;
		kind = config_kind(line, n);
		if (kind == LINE_SKIP)
			continue;
		if (kind == LINE_MORE && start == 0) {
			snprintf(err, errsz, "%s, line %u: starts with a blank "
			    "but continues no setting", filename, lineno);
			return 0;
		}
		if (kind == LINE_START) {
			if (start != 0 && !config_flush(c, logical, ll,
			    filename, start, err, errsz))
				return 0;
			ll = 0;
			start = lineno;
		}
		if (!config_append(logical, &ll, sizeof(logical), line, n)) {
			snprintf(err, errsz, "%s, line %u: setting is longer "
			    "than %zu bytes", filename, start,
			    sizeof(logical) - 1);
			return 0;
		}
	}
	return start == 0 || config_flush(c, logical, ll, filename, start,
	    err, errsz);
}

/* Read and parse a file; c changes only if all of it is good. */
int
config_load(struct config *c, const char *path, int must_exist, char *err,
    size_t errsz)
{
	struct config *tmp;
	FILE *f;
	char *buf;
	size_t n;
	int ok;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 1;
		snprintf(err, errsz, "cannot open config file %s: %s", path,
		    strerror(errno));
		return 0;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	tmp = malloc(sizeof(*tmp));
	if (buf == NULL || tmp == NULL) {
		snprintf(err, errsz, "out of memory reading %s", path);
		ok = 0;
		goto out;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f) || n > CONFIG_FILE_MAX) {
		snprintf(err, errsz, "cannot read config file %s: %s", path,
		    ferror(f) ? strerror(errno) : "larger than 1 MiB");
		ok = 0;
		goto out;
	}
	*tmp = *c;
	ok = config_parse(tmp, buf, n, path, err, errsz);
	if (ok)
		*c = *tmp;
out:
	free(buf);
	free(tmp);
	fclose(f);
	return ok;
}

/* Name of a mode, as written in the config. */
const char *
config_mode_name(enum config_mode mode)
{
	return mode == MODE_OBSERVE ? "observe" : "enforce";
}
