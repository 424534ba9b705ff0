/*
 * NAME
 *	fuzz-getopt - fuzz target for the option parser of the tlspin commands
 * SYNOPSIS
 *	fuzz-getopt [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	Every argument an admin types goes through opts_next() (tools/
 *	opts.c). The first input byte picks the table: even, a command's
 *	(options and operands in any order, like pin's, with --notify next
 *	to --note so that "--no" is ambiguous); odd, the global options
 *	before COMMAND ("+", the first operand ends them). The rest is split
 *	into arguments at each NUL or newline, at most FUZZ_ARGS of at most
 *	FUZZ_ARG_LEN bytes (longer ones are cut), each in an exactly sized
 *	heap block, and argv itself holds exactly argc pointers, no NULL
 *	after them, so AddressSanitizer sees a read past either. Then:
 *
 *	- a model of the GNU rules, written here from getopt(3) and not
 *	  from the parser, says which options with which values come, in
 *	  order, and which arguments are operands, or at which option the
 *	  input is wrong; opts_next() must agree, the values being the same
 *	  bytes of argv (optarg points into the argument, after '=', or is
 *	  the next one);
 *	- after the last option argv is a permutation of what it was, and
 *	  argv[optind..argc-1] are the operands, in their order;
 *	- an error is one line of printable ASCII, under OPTS_ERR_MAX;
 *	- with every "--opt=value" of an option that takes a value split
 *	  into "--opt" "value", the options, values and operands are the
 *	  same, and so is whether there is an error.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "check.h"

#define T "fuzz-getopt"
#define FUZZ_ARGS 32		/* arguments after argv[0] */
#define FUZZ_ARG_LEN 256
#define FUZZ_OPTS_KEPT 256	/* "-fff..." is many: the first are compared */

static const struct option fuzz_cmd_opts[] = {
	{ "level", required_argument, NULL, 'l' },
	{ "match", required_argument, NULL, 'm' },
	{ "expires", required_argument, NULL, 'e' },
	{ "note", required_argument, NULL, 'n' },
	{ "notify", no_argument, NULL, 'N' },
	{ "force", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};
static const char fuzz_cmd_short[] = "l:m:e:n:Nfjh";
static const char fuzz_cmd_usage[] = "DOMAIN --level encrypt|secure "
    "[--match A:B] [--expires DURATION|never] [--note TEXT] [--notify]\n"
    "Pin DOMAIN.\n";

static const struct option fuzz_global_opts[] = {
	{ "store", required_argument, NULL, 's' },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* What one parse gave: the options in order, then the operands. */
struct fuzz_parse {
	int error;		/* the input is wrong at option nopts */
	int nopts, noperands;
	int val[FUZZ_OPTS_KEPT];
	const char *value[FUZZ_OPTS_KEPT];	/* NULL: none */
	const char *operand[2 * FUZZ_ARGS + 1];
};

struct fuzz_table {
	const char *cmd, *usage, *shortopts;
	const struct option *longopts;
	int in_order;		/* '+': the first operand ends options */
};

/* The long option named by the n bytes at name: exact, else the only
 * one it abbreviates (the tables' values all differ), else NULL. */
static const struct option *
fuzz_long(const struct option *opts, const char *name, size_t n)
{
	const struct option *o, *found = NULL;

	for (o = opts; o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	for (o = opts; o->name != NULL; o++) {
		if (strncmp(o->name, name, n) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = o;
	}
	return found;
}

/* Record one option and its value (NULL: none). */
static void
fuzz_emit(struct fuzz_parse *p, int val, const char *value)
{
	if (p->nopts < FUZZ_OPTS_KEPT) {
		p->val[p->nopts] = val;
		p->value[p->nopts] = value;
	}
	p->nopts++;
}

/* The long option argv[*i]: 0 when wrong. Sets *split when it is
 * "--opt=value" of an option that takes a value. */
static int
fuzz_model_long(const struct fuzz_table *t, int argc, char **argv, int *i,
    struct fuzz_parse *p, int *split)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const struct option *o = fuzz_long(t->longopts, a, n);

	if (o == NULL || (eq != NULL && o->has_arg == no_argument))
		return 0;
	if (eq != NULL) {
		*split = 1;
		fuzz_emit(p, o->val, eq + 1);
	} else if (o->has_arg == required_argument) {
		if (*i + 1 >= argc)
			return 0;
		fuzz_emit(p, o->val, argv[++*i]);
	} else {
		fuzz_emit(p, o->val, NULL);
	}
	++*i;
	return 1;
}

/* The cluster of short options argv[*i]: 0 when wrong. */
static int
fuzz_model_short(const struct fuzz_table *t, int argc, char **argv, int *i,
    struct fuzz_parse *p)
{
	const char *a = argv[*i], *spec;
	size_t j;

	for (j = 1; a[j] != '\0'; j++) {
		spec = a[j] == ':' || a[j] == '+' ? NULL :
		    strchr(t->shortopts, a[j]);
		if (spec == NULL)
			return 0;
		if (spec[1] != ':') {
			fuzz_emit(p, a[j], NULL);
			continue;
		}
		if (a[j + 1] != '\0') {
			fuzz_emit(p, a[j], a + j + 1);
		} else {
			if (*i + 1 >= argc)
				return 0;
			fuzz_emit(p, a[j], argv[++*i]);
		}
		break;
	}
	++*i;
	return 1;
}

/* What getopt(3) says of argv: options, operands, where it is wrong;
 * split[i] is set for each "--opt=value" that takes a value. */
static void
fuzz_model(const struct fuzz_table *t, int argc, char **argv,
    struct fuzz_parse *p, int *split)
{
	int i = 1;

	memset(p, 0, sizeof(*p));
	while (i < argc) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				p->operand[p->noperands++] = argv[i];
			return;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (t->in_order) {
				for (; i < argc; i++)
					p->operand[p->noperands++] = argv[i];
				return;
			}
			p->operand[p->noperands++] = a;
			i++;
			continue;
		}
		if (!(a[1] == '-' ? fuzz_model_long(t, argc, argv, &i, p,
		    &split[i]) : fuzz_model_short(t, argc, argv, &i, p))) {
			p->error = 1;
			return;
		}
	}
}

/* Parse argv with opts_next() until the end or the first error. */
static void
fuzz_run(const struct fuzz_table *t, int argc, char **argv,
    struct fuzz_parse *p)
{
	char err[OPTS_ERR_MAX];
	size_t len;
	int o, i;

	memset(p, 0, sizeof(*p));
	optind = 0;
	while ((o = opts_next(t->cmd, t->usage, argc, argv, t->shortopts,
	    t->longopts, err, sizeof(err))) != -1) {
		if (o == '?') {
			len = strnlen(err, sizeof(err));
			check_that(len > 0 && len < sizeof(err), T,
			    "an error is a NUL-terminated string");
			check_that(check_printable(err, len), T,
			    "an error is one line of printable ASCII");
			p->error = 1;
			return;
		}
		check_that(p->nopts < FUZZ_ARGS * FUZZ_ARG_LEN, T,
		    "no more options than argument bytes");
		fuzz_emit(p, o, optarg);
	}
	check_that(optind >= 1 && optind <= argc, T,
	    "optind ends inside argv");
	for (i = optind; i < argc; i++)
		p->operand[p->noperands++] = argv[i];
}

/* Same options and values (as pointers, or as strings), operands. */
static void
fuzz_same(const struct fuzz_parse *a, const struct fuzz_parse *b,
    int by_string, const char *what)
{
	int i;

	check_that(a->error == b->error, T, what);
	check_that(a->nopts == b->nopts, T, what);
	for (i = 0; i < a->nopts && i < FUZZ_OPTS_KEPT; i++) {
		check_that(a->val[i] == b->val[i], T, what);
		check_that((a->value[i] == NULL) == (b->value[i] == NULL), T,
		    what);
		if (a->value[i] != NULL)
			check_that(by_string ? strcmp(a->value[i],
			    b->value[i]) == 0 : a->value[i] == b->value[i], T,
			    what);
	}
	if (a->error)
		return;
	check_that(a->noperands == b->noperands, T, what);
	for (i = 0; i < a->noperands; i++)
		check_that(by_string ? strcmp(a->operand[i],
		    b->operand[i]) == 0 : a->operand[i] == b->operand[i], T,
		    what);
}

/* Order pointers, for qsort(). */
static int
fuzz_ptr_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return x < y ? -1 : x > y;
}

/* argv after parsing holds the same pointers as orig. */
static void
fuzz_permutation(int argc, char **argv, char **orig)
{
	char *x[FUZZ_ARGS * 2 + 1], *y[FUZZ_ARGS * 2 + 1];
	int i;

	memcpy(x, argv, (size_t)argc * sizeof(*x));
	memcpy(y, orig, (size_t)argc * sizeof(*y));
	qsort(x, (size_t)argc, sizeof(*x), fuzz_ptr_cmp);
	qsort(y, (size_t)argc, sizeof(*y), fuzz_ptr_cmp);
	for (i = 0; i < argc; i++)
		check_that(x[i] == y[i], T, "argv is a permutation of itself");
	check_that(argv[0] == orig[0], T, "argv[0] stays");
}

/* Copy n bytes into an exactly sized C string. */
static char *
fuzz_str(const char *s, size_t n)
{
	char *p = check_alloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The arguments of the input, after argv[0]; returns argc. */
static int
fuzz_split(const unsigned char *data, size_t size, const char *name,
    char **args)
{
	size_t start = 0, i, n;
	int argc = 0;

	args[argc++] = fuzz_str(name, strlen(name));
	for (i = 0; i <= size && argc <= FUZZ_ARGS; i++) {
		if (i < size && data[i] != '\0' && data[i] != '\n')
			continue;
		n = i - start < FUZZ_ARG_LEN ? i - start : FUZZ_ARG_LEN;
		args[argc++] = fuzz_str((const char *)data + start, n);
		start = i + 1;
	}
	return argc;
}

/* argv with each marked "--opt=value" as "--opt" "value"; returns argc. */
static int
fuzz_split_values(int argc, char **orig, const int *split, char **out)
{
	int i, n = 0;
	const char *eq;

	for (i = 0; i < argc; i++) {
		eq = strchr(orig[i], '=');
		if (!split[i] || eq == NULL) {
			out[n++] = fuzz_str(orig[i], strlen(orig[i]));
			continue;
		}
		out[n++] = fuzz_str(orig[i], (size_t)(eq - orig[i]));
		out[n++] = fuzz_str(eq + 1, strlen(eq + 1));
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const struct fuzz_table tables[2] = {
		{ "pin", fuzz_cmd_usage, fuzz_cmd_short, fuzz_cmd_opts, 0 },
		{ NULL, "[--store DIR] [--config FILE]", "+s:c:hV",
		    fuzz_global_opts, 1 },
	};
	const struct fuzz_table *t;
	char *orig[FUZZ_ARGS + 1], *split_args[2 * FUZZ_ARGS + 1];
	char **argv, **argv2;
	int split[FUZZ_ARGS + 1] = { 0 };
	int argc, argc2, i;
	struct fuzz_parse *model, *got, *got2;

	if (size == 0)
		return 0;
	unsetenv("POSIXLY_CORRECT");
	t = &tables[data[0] & 1];
	argc = fuzz_split(data + 1, size - 1, t->cmd ? t->cmd : "tlspin",
	    orig);
	model = check_alloc(sizeof(*model));
	got = check_alloc(sizeof(*got));
	got2 = check_alloc(sizeof(*got2));

	fuzz_model(t, argc, orig, model, split);
	argv = check_alloc((size_t)argc * sizeof(*argv));
	memcpy(argv, orig, (size_t)argc * sizeof(*argv));
	fuzz_run(t, argc, argv, got);
	fuzz_same(model, got, 0, "opts_next() parses as getopt(3) says");
	if (!got->error)
		fuzz_permutation(argc, argv, orig);

	argc2 = fuzz_split_values(argc, orig, split, split_args);
	argv2 = check_alloc((size_t)argc2 * sizeof(*argv2));
	memcpy(argv2, split_args, (size_t)argc2 * sizeof(*argv2));
	fuzz_run(t, argc2, argv2, got2);
	fuzz_same(got, got2, 1, "--opt=value parses as --opt value");

	for (i = 0; i < argc2; i++)
		free(split_args[i]);
	for (i = 0; i < argc; i++)
		free(orig[i]);
	free(argv2);
	free(argv);
	free(got2);
	free(got);
	free(model);
	return 0;
}
