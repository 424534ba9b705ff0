/*
 * NAME
 *	opts - the GNU option parser of the tlspin commands
 * SYNOPSIS
 *	#include "opts.h"
 *
 *	int opts_next(cmd, usage, argc, argv, shortopts, longopts, err,
 *	    errsz)
 * DESCRIPTION
 *	One option parser for every command and for the global options:
 *	getopt_long() with GNU conventions (options and operands in any
 *	order, "--" ends the options, --opt=value and --opt value alike,
 *	unique abbreviations), and errors that name the option and, for a
 *	missing value, what the usage line names it (usage is the command's
 *	usage text, "--level LEVEL" there makes "(--level LEVEL)"). cmd is
 *	the command, or NULL for the global options, where the error then
 *	points to "tlspin --help".
 *
 *	The error goes into err (errsz bytes, OPTS_ERR_MAX is enough for
 *	any): one line of printable ASCII without the "tlspin CMD: " prefix,
 *	whatever bytes the argument holds, for the caller to print. It
 *	prints nothing itself, so the fuzz target (t/fuzz/fuzz-getopt.c)
 *	can check every answer. It keeps getopt_long()'s state in optind,
 *	optarg and optopt, and permutes argv as getopt_long() does.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"

/* A bounded line being written: len never reaches size. */
struct opts_line {
	char *buf;
	size_t size, len;
};

static void opts_put(struct opts_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append text of our own (never argument bytes), cut at the end. */
static void
opts_put(struct opts_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < l->size - l->len ? (size_t)n :
		    l->size - l->len - 1;
}

/* Append n bytes of an argument, a byte that is not printable ASCII as
 * \xNN, so that the error stays one readable line. */
static void
opts_put_arg(struct opts_line *l, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n && l->len + 1 < l->size; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			opts_put(l, "%c", c);
		else
			opts_put(l, "\\x%02x", c);
	}
}

/* The long option whose value is val, or NULL. */
static const struct option *
opts_find(const struct option *longopts, int val)
{
	for (; longopts->name != NULL; longopts++)
		if (longopts->val == val)
			return longopts;
	return NULL;
}

/* Append what usage names the value of --name ("VALUE" if nothing). */
static void
opts_put_metavar(struct opts_line *l, const char *usage, const char *name)
{
	const char *p;
	size_t n = strlen(name);

	for (p = usage; p != NULL && (p = strstr(p, "--")) != NULL; p += 2) {
		if (strncmp(p + 2, name, n) != 0 || p[2 + n] != ' ')
			continue;
		p += 3 + n;
		opts_put_arg(l, p, strcspn(p, " ]\n"));
		return;
	}
	opts_put(l, "VALUE");
}

/* An option that needs a value came last: name it and what it takes. */
static void
opts_missing(struct opts_line *l, const char *usage,
    const struct option *longopts)
{
	const struct option *o = opts_find(longopts, optopt);
	char c = (char)optopt;

	if (o == NULL) {
		opts_put(l, "option '-");
		opts_put_arg(l, &c, 1);
		opts_put(l, "' requires an argument");
		return;
	}
	opts_put(l, "option '--%s' requires an argument (--%s ", o->name,
	    o->name);
	opts_put_metavar(l, usage, o->name);
	opts_put(l, ")");
}

/* How many long options start with the n bytes at name; their names
 * are appended to l, comma-separated, when cands is set. */
static size_t
opts_prefixes(struct opts_line *l, const struct option *longopts,
    const char *name, size_t n, int cands)
{
	size_t matches = 0;

	for (; longopts->name != NULL; longopts++) {
		if (strncmp(longopts->name, name, n) != 0)
			continue;
		if (cands)
			opts_put(l, "%s--%s", matches ? ", " : "",
			    longopts->name);
		matches++;
	}
	return matches;
}

/* An unknown, ambiguous or misused option: say which and why. */
static void
opts_unknown(struct opts_line *l, const char *cmd, const char *arg,
    const struct option *longopts)
{
	const struct option *o = optopt ? opts_find(longopts, optopt) : NULL;
	const char *sp = cmd ? " " : "", *name = cmd ? cmd : "";
	size_t n = strcspn(arg, "=");
	char c = (char)optopt;

	if (optopt != 0 && (o == NULL || strncmp(arg, "--", 2) != 0)) {
		opts_put(l, "unknown option '-");
		opts_put_arg(l, &c, 1);
		opts_put(l, "' (see tlspin%s%s --help)", sp, name);
	} else if (o != NULL) {
		opts_put(l, "option '--%s' takes no value", o->name);
	} else if (n > 2 && opts_prefixes(l, longopts, arg + 2, n - 2, 0) >
	    1) {
		opts_put(l, "option '");
		opts_put_arg(l, arg, n);
		opts_put(l, "' is ambiguous (");
		opts_prefixes(l, longopts, arg + 2, n - 2, 1);
		opts_put(l, ")");
	} else if (cmd != NULL && n > 2 && (strncmp(arg, "--store", n) == 0 ||
	    strncmp(arg, "--config", n) == 0)) {
		opts_put_arg(l, arg, n);
		opts_put(l, " is a global option: give it before the command "
		    "(tlspin ");
		opts_put_arg(l, arg, n);
		opts_put(l, " ... %s ...)", cmd);
	} else {
		opts_put(l, "unknown option '");
		opts_put_arg(l, arg, n);
		opts_put(l, "' (see tlspin%s%s --help)", sp, name);
	}
}

/*
 * The next option of cmd (NULL for the global options): its value, -1
 * after the last, or '?' with the reason in err. shortopts is as for
 * getopt_long, without the leading ':'; set optind to 0 before the first
 * call on a new argv.
 */
int
opts_next(const char *cmd, const char *usage, int argc, char **argv,
    const char *shortopts, const struct option *longopts, char *err,
    size_t errsz)
{
	struct opts_line l = { err, errsz, 0 };
	char spec[64];
	int o, plus = shortopts[0] == '+';

	if (errsz > 0)
		err[0] = '\0';
	snprintf(spec, sizeof(spec), "%s:%s", plus ? "+" : "",
	    shortopts + plus);
	opterr = 0;
	o = getopt_long(argc, argv, spec, longopts, NULL);
	if (o == ':')
		opts_missing(&l, usage, longopts);
	else if (o == '?')
		opts_unknown(&l, cmd, argv[optind - 1], longopts);
	return o == ':' ? '?' : o;
}
