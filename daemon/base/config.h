/* config.h: tlspin.conf, the daemon's settings (see config.c). */
#ifndef TLSPIN_CONFIG_H
#define TLSPIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_LISTEN_MAX 16
#define CONFIG_ADDR_MAX 108	/* sun_path holds 108 bytes */
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_ERR_MAX 512
#define CONFIG_NAMES_MAX 8	/* syslog_name values followed */

enum config_mode {
	MODE_ENFORCE = 0,	/* answer with the pins */
	MODE_OBSERVE		/* answer NOTFOUND, count what we would say */
};

/* What a secure pin does with a new MX host (DESIGN.md). */
enum config_mx_change {
	MX_CHANGE_SAME_SUFFIX = 0,	/* under the domain or the pin's suffix */
	MX_CHANGE_ACCEPT_VERIFIED,	/* any MX whose certificate verifies */
	MX_CHANGE_STRICT		/* only the admin adds names */
};

struct config {
	char store[4096];
	char listen[CONFIG_LISTEN_MAX][CONFIG_ADDR_MAX];
	unsigned nlisten;
	char metrics_listen[CONFIG_ADDR_MAX];	/* "": no metrics listener */
	char map_name[64];
	enum config_mode mode;
	unsigned unix_mode;
	char unix_group[64];
	char user[64];
	unsigned max_clients;
	uint64_t idle_timeout;	/* seconds */
	uint64_t read_timeout;	/* seconds a partial request may take */
	unsigned postfix_compat;
	int debug;
	char pidfile[4096];	/* "": none */
	char log_file[4096];	/* "": journal, stderr or syslog */
	/* learning */
	unsigned pin_min_deliveries;
	uint64_t pin_min_span;	/* seconds */
	uint64_t pin_max_age;	/* seconds */
	uint64_t observe_max_age;	/* seconds an idle evidence record lives */
	unsigned long max_observing;	/* evidence-only records, at most */
	int secure_pins;
	int private_mx;		/* learn from port 25 at private addresses */
	char log_source[4096];	/* journal, journal:DIR, file:PATH, none */
	char syslog_names[CONFIG_NAMES_MAX][64];	/* "postfix", ... */
	unsigned nsyslog_names;
	char postfix_user[64];	/* whose journal entries are trusted */
	/* the active probe */
	int probe;		/* probe pins to prove secure, see DANE */
	unsigned probe_concurrency;	/* probe processes */
	uint64_t probe_timeout;	/* seconds, each step */
	uint64_t probe_interval;	/* seconds between probes of a domain */
	unsigned probe_port;
	char probe_cafile[4096];	/* "": the system's CA store */
	char probe_resolver[64];	/* "": /etc/resolv.conf */
	char probe_user[64];	/* whom probes run as when tlspind is root */
	enum config_mx_change mx_change;
	int dane_only;		/* dane_reply = dane-only */
	/* alerts: a program the learner runs (alert.c) */
	char alert_command[4096];	/* "": none */
	uint64_t alert_timeout;	/* seconds before it is killed */
	uint64_t alert_interval;	/* seconds: one per domain and kind */
	uint64_t alert_after;	/* seconds a pin defers before we say so */
	uint64_t alert_behind;	/* seconds the learner may lag the log */
};

void config_defaults(struct config *c);
int config_parse(struct config *c, const char *buf, size_t len,
    const char *filename, char *err, size_t errsz);
int config_load(struct config *c, const char *path, int must_exist,
    char *err, size_t errsz);
int config_set(struct config *c, const char *key, const char *value,
    size_t vlen, char *err, size_t errsz);
int config_duration_parse(const char *s, size_t len, uint64_t *secs);
void config_duration_format(char *buf, size_t bufsz, uint64_t secs);
int config_listen_check(const char *addr, size_t len, const char **err);
const char *config_mode_name(enum config_mode mode);
const char *config_mx_change_name(enum config_mx_change m);

#endif
