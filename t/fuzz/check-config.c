/*
 * NAME
 *	check-config - the invariants of a struct config, for the fuzz targets
 * SYNOPSIS
 *	#include "check-config.h"
 *
 *	void check_config(c, good, target)
 * DESCRIPTION
 *	check_config() checks what a struct config must look like after
 *	config_parse() or config_set() returned. Whatever they returned,
 *	each string field is NUL-terminated inside its array and every
 *	number is in the range config.c promises (a setter checks a value
 *	before it stores it). When they succeeded (good), the config is
 *	also complete: at least one listen address, each one valid; after
 *	a failure the listen list may be cut short, since callers throw
 *	such a config away. A broken invariant aborts through check_that().
 *
 *	It is apart from check.c because it needs config.c, which only the
 *	config targets link.
 */
#include "autoconf.h"

#include <string.h>

#include "config.h"
#include "check.h"
#include "check-config.h"

/* True if s holds a NUL inside its size bytes. */
static int
check_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Check the invariants of a struct config; see the file header. */
void
check_config(const struct config *c, int good, const char *target)
{
	const char *why;
	unsigned i;

	check_that(check_terminated(c->store, sizeof(c->store)), target,
	    "store is NUL-terminated inside its array");
	check_that(check_terminated(c->map_name, sizeof(c->map_name)), target,
	    "map_name is NUL-terminated inside its array");
	check_that(check_terminated(c->unix_group, sizeof(c->unix_group)),
	    target, "unix_group is NUL-terminated inside its array");
	check_that(check_terminated(c->user, sizeof(c->user)), target,
	    "user is NUL-terminated inside its array");
	check_that(c->nlisten <= CONFIG_LISTEN_MAX, target,
	    "nlisten is at most CONFIG_LISTEN_MAX");
	check_that(!good || c->nlisten >= 1, target,
	    "a good config has at least one listen address");
	for (i = 0; i < c->nlisten; i++) {
		check_that(check_terminated(c->listen[i], CONFIG_ADDR_MAX),
		    target, "each listen address is NUL-terminated inside "
		    "its CONFIG_ADDR_MAX bytes");
		check_that(!good || config_listen_check(c->listen[i],
		    strlen(c->listen[i]), &why), target,
		    "each listen address of a good config passes "
		    "config_listen_check");
	}
	check_that(c->mode == MODE_ENFORCE || c->mode == MODE_OBSERVE, target,
	    "mode is enforce or observe");
	check_that(c->unix_mode <= 0777, target, "unix_mode is at most 0777");
	check_that(c->max_clients >= 1 && c->max_clients <= 100000, target,
	    "max_clients is from 1 to 100000");
	check_that(c->idle_timeout >= 1 && c->idle_timeout <= 3600, target,
	    "idle_timeout is from 1 second to 1 hour");
	check_that(c->read_timeout >= 1 && c->read_timeout <= 3600, target,
	    "read_timeout is from 1 second to 1 hour");
	check_that(c->postfix_compat >= 200 && c->postfix_compat <= 399,
	    target, "postfix_compat is a 2.x or 3.x version");
	check_that(c->debug == 0 || c->debug == 1, target,
	    "debug is 0 or 1");
}
