/*
 * NAME
 *	fuzz-config - fuzz target for tlspin.conf parsing
 * SYNOPSIS
 *	fuzz-config [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	The input is the text of a tlspin.conf, given to config_parse()
 *	over the built-in defaults, as config_load() does. The input sits
 *	in an exactly sized buffer with no NUL after it and the struct
 *	config in an exactly sized heap block, so AddressSanitizer sees any
 *	access outside either. What must hold:
 *
 *	- on failure the error is NUL-terminated inside its buffer, names
 *	  the file, and is not empty;
 *	- good or bad, every field is in the state check_config() expects
 *	  (strings terminated inside their arrays, numbers in range), and a
 *	  good config is complete;
 *	- parsing is deterministic: the same text over the defaults gives
 *	  the same settings again.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "check.h"
#include "check-config.h"

#define T "fuzz-config"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct config *c = check_alloc(sizeof(*c));
	struct config *d = check_alloc(sizeof(*d));
	char err[CONFIG_ERR_MAX];
	int ok;

	if (size > CONFIG_FILE_MAX) {
		free(d);
		free(c);
		return 0;
	}
	config_defaults(c);
	memset(err, 'x', sizeof(err));
	ok = config_parse(c, (const char *)data, size, "fuzz", err,
	    sizeof(err));
	if (!ok) {
		check_that(memchr(err, '\0', sizeof(err)) != NULL, T,
		    "the error is NUL-terminated inside its buffer");
		check_that(strncmp(err, "fuzz", 4) == 0 && err[4] != '\0', T,
		    "the error names the file and says more");
	}
	check_config(c, ok, T);

	config_defaults(d);
	check_that(config_parse(d, (const char *)data, size, "fuzz", err,
	    sizeof(err)) == ok, T, "parsing the same text gives the same "
	    "verdict");
	if (ok)
		check_that(memcmp(c, d, sizeof(*c)) == 0, T,
		    "parsing the same text gives the same settings");
	free(d);
	free(c);
	return 0;
}
