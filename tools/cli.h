/* cli.h: helpers shared by the tlspin commands (see cli.c). */
#ifndef TLSPIN_CLI_H
#define TLSPIN_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "opts.h"
#include "record.h"
#include "store.h"

/* Exit codes, documented in tlspin(1). */
enum cli_exit {
	EXIT_OKAY = 0,
	EXIT_NOTFOUND = 1,
	EXIT_USAGE = 2,
	EXIT_STORE = 3,
	EXIT_DAEMON = 4
};

struct cli {
	const char *store_arg;	/* --store, or NULL */
	const char *config_file;
	int config_given;
	struct config cfg;	/* the daemon's settings, for defaults */
	const char *store_path;	/* what we open */
};

/* The global options, as cli_getopt() finds their argument's name. */
#define CLI_GLOBAL_USAGE "[--store DIR] [--config FILE]"

int cli_setup(struct cli *c);
int cli_setup_err(struct cli *c, char *err, size_t errsz);
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
    const struct option *longopts);
int cli_text_ok(const char *cmd, const char *opt, const char *text,
    size_t max);
int cli_pin_ok(const char *cmd, const char *arg, const char *key, int force);
void cli_corrupt(const char *cmd, const char *store, const char *key,
    const char *why);
int cli_open(struct cli *c, int flags, struct store **out);
int cli_key(const char *arg, char *out, int address);
uint64_t cli_now(void);
void cli_time(char *buf, size_t bufsz, uint64_t t);
void cli_json_iso(FILE *f, uint64_t t);
void cli_expires(char *buf, size_t bufsz, const struct record *r);
const char *cli_answer(const struct cli *c, const struct record *r,
    uint64_t now, char *buf, size_t bufsz);
const char *cli_enforce_answer(const struct record *r, uint64_t now,
    char *buf, size_t bufsz);
void cli_record_text(FILE *f, const struct cli *c, const char *key,
    const struct record *r, uint64_t now);
void cli_record_json(FILE *f, const struct cli *c, const char *key,
    const struct record *r, uint64_t now);
int cmd_help(const char *name);
const char *cmd_usage(const char *name);
int cmd_learn(struct cli *c, int argc, char **argv);
int cmd_why(struct cli *c, int argc, char **argv);
int cmd_events(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_doctor(struct cli *c, int argc, char **argv);
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
