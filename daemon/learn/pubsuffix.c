/*
 * NAME
 *	pubsuffix - where one party's names end: the Public Suffix List
 * SYNOPSIS
 *	#include "pubsuffix.h"
 *
 *	int pubsuffix_below(name)
 * DESCRIPTION
 *	mx_change = same-suffix takes a new MX host that lies under the
 *	suffix the pinned MX names share. "co.uk", "com.au" or "github.io"
 *	is such a suffix for names of strangers, who can each get a
 *	certificate for their own name under it; the suffix must be one
 *	party's domain, a registrable domain or a name under one.
 *
 *	pubsuffix_below() says whether name (ASCII, lowercase, no trailing
 *	dot) is a registrable domain or lies under one: 1 for "a.co.uk" and
 *	"mx.a.co.uk", 0 for "co.uk", "uk" and "github.io", and 0 when no
 *	list could be loaded, so that same-suffix then accepts nothing
 *	rather than everything.
 *
 *	The list is libpsl's: psl_latest() takes the newer of the copy
 *	built into libpsl and the one the Debian package publicsuffix
 *	installs (/usr/share/publicsuffix), so that updates of that package
 *	apply without a rebuild. It is loaded at the first call and kept
 *	for the life of the process. Both of its sections count: the ICANN
 *	one (co.uk) and the private one (github.io, herokuapp.com), whose
 *	entries are names under which a provider hands subdomains to its
 *	customers, exactly the strangers the rule must keep apart.
 */
#include "autoconf.h"

#include <libpsl.h>
#include <stddef.h>

#include "pubsuffix.h"

/* The list: the system's file if newer than libpsl's own; NULL if none. */
static const psl_ctx_t *
pubsuffix_list(void)
{
	static const psl_ctx_t *ctx;
	static int tried;

	if (!tried) {
		tried = 1;
		ctx = psl_latest(NULL);
		if (ctx == NULL)
			ctx = psl_builtin();
	}
	return ctx;
}

/* Is name a registrable domain or under one? 1 yes, 0 no or no list. */
int
pubsuffix_below(const char *name)
{
	const psl_ctx_t *ctx = pubsuffix_list();

	return ctx != NULL && name[0] != '\0' &&
	    psl_registrable_domain(ctx, name) != NULL;
}
