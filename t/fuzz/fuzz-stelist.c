/*
 * NAME
 *	fuzz-stelist - fuzz target for the STARTTLS Everywhere list reader
 * SYNOPSIS
 *	fuzz-stelist [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	What tlspin import --format starttls-everywhere pins comes from
 *	stelist_parse() and stelist_each() (tools/stelist.c), over a file
 *	from the Internet. The input is that file, in an exactly sized
 *	buffer. What must hold, besides not reading past it:
 *
 *	- a refusal has a reason of printable ASCII;
 *	- an accepted list's policies, usable or left out, are as many as
 *	  it says it has, each left out with a reason;
 *	- a usable policy's domain is a valid lowercase domain name without
 *	  a leading dot, and its match value is one or more patterns joined
 *	  by ':', each a valid lowercase name with an optional leading dot,
 *	  at most RECORD_MATCH_MAX bytes in all: what becomes "secure
 *	  match=..." cannot hold anything Postfix would read as another
 *	  attribute or another pattern.
 */
#include "autoconf.h"

#include <string.h>

#include "stelist.h"
#include "check.h"

#define T "fuzz-stelist"

struct fuzz_stelist {
	size_t usable, skipped;
};

/* A lowercase name with an optional leading dot. */
static int
fuzz_stelist_name(const char *s, size_t n, int dot_ok)
{
	size_t i;

	if (dot_ok && n > 0 && s[0] == '.') {
		s++;
		n--;
	}
	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 0;
	return key_domain_valid(s, n);
}

static int
fuzz_stelist_usable(void *arg, const struct stelist_policy *p)
{
	struct fuzz_stelist *x = arg;
	const char *m = p->match, *c;
	size_t len = strlen(p->match), n;

	x->usable++;
	check_that(fuzz_stelist_name(p->domain, strlen(p->domain), 0), T,
	    "a domain is a valid lowercase name");
	check_that(len > 0 && len <= RECORD_MATCH_MAX, T,
	    "a match value has 1 to RECORD_MATCH_MAX bytes");
	for (;;) {
		c = strchr(m, ':');
		n = c ? (size_t)(c - m) : strlen(m);
		check_that(fuzz_stelist_name(m, n, 1), T, "each pattern is a "
		    "valid lowercase name, with an optional leading dot");
		if (c == NULL)
			break;
		m = c + 1;
	}
	return 1;
}

static void
fuzz_stelist_skip(void *arg, const char *domain, size_t offset,
    const char *why)
{
	struct fuzz_stelist *x = arg;

	x->skipped++;
	check_that(domain != NULL && why != NULL && why[0] != '\0' &&
	    check_printable(why, strlen(why)), T,
	    "a policy left out has a printable reason");
	(void)offset;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fuzz_stelist x = { 0, 0 };
	struct stelist_info info;
	struct stelist *l;
	char err[STELIST_ERR_MAX];

	if (!stelist_parse((const char *)data, size, &l, &info, err,
	    sizeof(err))) {
		check_that(err[0] != '\0' && check_printable(err, strlen(err)),
		    T, "a refusal has a printable reason");
		return 0;
	}
	check_that(stelist_each(l, fuzz_stelist_usable, fuzz_stelist_skip,
	    &x), T, "a list is read to its end");
	check_that(x.usable + x.skipped == info.policies, T,
	    "every policy is usable or left out");
	stelist_free(l);
	return 0;
}
