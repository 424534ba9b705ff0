/*
 * NAME
 *	fuzz-config-value - fuzz target for single settings and their parsers
 * SYNOPSIS
 *	fuzz-config-value [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	config_set() is what tlspind's command-line options go through, so
 *	a value there is any bytes a user can type, without the line and
 *	comment handling of config_parse() in front. The first input byte
 *	picks what to call, the rest is the value (exactly sized, no NUL
 *	after it):
 *
 *	0	config_duration_parse(): when it accepts, the value is 1 to
 *		12 digits with at most one unit letter after, and the
 *		result is those digits times the unit;
 *	1	config_listen_check(): when it accepts, the value starts with
 *		"unix:" or "inet:"; when it refuses, it gives a reason;
 *	2...	config_set() of one of the twelve settings (byte modulo 14)
 *		over the defaults, in an exactly sized heap block: the
 *		error is NUL-terminated and names the setting, and the
 *		config is left in the state check_config() expects.
 *
 *	config_set() is only ever given C strings (command-line arguments)
 *	or text config_parse() has checked for NUL bytes, so the value is
 *	cut at its first NUL, as strlen() on an argument would.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "check.h"
#include "check-config.h"

#define T "fuzz-config-value"

/* The settings tlspin.conf(5) documents, in config.c's order. */
static const char *const fuzz_config_keys[] = {
	"store", "listen", "map_name", "mode", "unix_mode", "unix_group",
	"user", "max_clients", "idle_timeout", "read_timeout",
	"postfix_compat", "debug",
};

#define FUZZ_CONFIG_NKEYS \
	(sizeof(fuzz_config_keys) / sizeof(fuzz_config_keys[0]))

/* Check config_duration_parse() against a plain reading of the value. */
static void
fuzz_config_duration(const char *v, size_t len)
{
	uint64_t secs = 0, want = 0, mult = 1;
	size_t digits = len, i;

	if (!config_duration_parse(v, len, &secs))
		return;
	check_that(len >= 1, T, "an empty duration is refused");
	if (v[len - 1] < '0' || v[len - 1] > '9') {
		digits--;
		switch (v[len - 1]) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 604800;
			break;
		default:
			check_that(0, T, "a duration unit is s, m, h, d or w");
		}
	}
	check_that(digits >= 1 && digits <= 12, T,
	    "an accepted duration has 1 to 12 digits");
	for (i = 0; i < digits; i++) {
		check_that(v[i] >= '0' && v[i] <= '9', T,
		    "an accepted duration is digits before the unit");
		want = want * 10 + (uint64_t)(v[i] - '0');
	}
	check_that(secs == want * mult, T,
	    "a duration is its number times its unit");
}

/* Check config_listen_check() on one address. */
static void
fuzz_config_listen(const char *v, size_t len)
{
	const char *err = NULL;

	if (config_listen_check(v, len, &err))
		check_that(len > 5 && (memcmp(v, "unix:", 5) == 0 ||
		    memcmp(v, "inet:", 5) == 0), T,
		    "an accepted address is unix: or inet:");
	else
		check_that(err != NULL && err[0] != '\0', T,
		    "a refused address gives a reason");
}

/* Check config_set() of one setting over the defaults. */
static void
fuzz_config_set(const char *key, const char *v, size_t len)
{
	struct config *c = check_alloc(sizeof(*c));
	char err[CONFIG_ERR_MAX];
	int ok;

	config_defaults(c);
	memset(err, 'x', sizeof(err));
	ok = config_set(c, key, v, len, err, sizeof(err));
	if (!ok) {
		check_that(memchr(err, '\0', sizeof(err)) != NULL, T,
		    "the error is NUL-terminated inside its buffer");
		check_that(strncmp(err, key, strlen(key)) == 0, T,
		    "the error names the setting");
	}
	check_config(c, ok, T);
	free(c);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *v = (const char *)data + 1;
	unsigned op;

	if (size == 0)
		return 0;
	op = data[0] % (FUZZ_CONFIG_NKEYS + 2);
	if (op == 0)
		fuzz_config_duration(v, size - 1);
	else if (op == 1)
		fuzz_config_listen(v, size - 1);
	else {
		const char *nul = memchr(v, '\0', size - 1);

		fuzz_config_set(fuzz_config_keys[op - 2], v,
		    nul ? (size_t)(nul - v) : size - 1);
	}
	return 0;
}
