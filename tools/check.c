/*
 * NAME
 *	check - tlspin check: grade a mail domain's TLS like tlspind would
 * SYNOPSIS
 *	tlspin check [--json|--plugin] [--mx HOST] [--address ADDR] [--port N]
 *	    [--starttls smtp|submission|imap|pop3] [--tls] [--cafile FILE]
 *	    [--resolver ADDR[:PORT]] [--timeout SECONDS] DOMAIN
 * DESCRIPTION
 *	Mail admins ask for an "SSL Labs for mail servers". This runs the
 *	daemon's own probe (probe.c) against DOMAIN now and prints, per MX
 *	host and address: STARTTLS, protocol and cipher, the certificate's
 *	subject, names, issuer, key and dates, whether the chain verifies
 *	and the name matches, TLSA and MTA-STS records; then the verdict:
 *	the policy tlspin would pin and, in words, what stands in the way.
 *
 *	Exit status like a monitoring plugin: 0 pass (secure, or DANE),
 *	1 warn (encrypt: TLS, but not every certificate proved), 2 fail
 *	(no TLS we could pin, or no server answered), 3 could not check
 *	(bad arguments, no resolver answered, no route to any server: the
 *	trouble is here, not at DOMAIN). With --plugin the output is a
 *	monitoring plugin's: one status line "TLSPIN OK - ..." with
 *	performance data after "|", then the problems. The CA store,
 *	resolver and timeout default to tlspind's probe settings in
 *	tlspin.conf.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "probe.h"

#define CHECK_PASS 0
#define CHECK_WARN 1
#define CHECK_FAIL 2
#define CHECK_UNKNOWN 3

/*
 * Why the check itself could not run, or NULL: no resolver answered
 * the MX lookup (or any address lookup), or this machine has no route
 * to any address. Then nothing was learned about DOMAIN: exit 3.
 */
static const char *
check_could_not(const struct probe_result *r, unsigned secs, char *buf,
    size_t bufsz)
{
	unsigned i, j, silent = 0, addrs = 0, unroutable = 0;

	for (i = 0; i < r->nmx; i++) {
		silent += r->mx[i].naddr == 0 && r->mx[i].dns_silent;
		for (j = 0; j < r->mx[i].naddr; j++, addrs++)
			unroutable += r->mx[i].addr[j].unroutable;
	}
	if (r->dns_silent || (r->nmx > 0 && silent == r->nmx)) {
		snprintf(buf, bufsz, "the resolver %s did not answer within "
		    "%u s: check that it runs, or name one with --resolver "
		    "(probe_resolver in tlspin.conf) or a longer --timeout",
		    r->resolver, secs);
		return buf;
	}
	if (addrs > 0 && unroutable == addrs) {
		snprintf(buf, bufsz, "this machine has no route to any "
		    "address of the MX hosts (no network?)");
		return buf;
	}
	return NULL;
}

/* An address connected but sent no banner: it was not reached. */
static int
check_reached(const struct probe_addr *a)
{
	return a->connected && (a->banner[0] != '\0' || a->tls_done);
}

static const char *
check_status(enum probe_verdict v)
{
	return v == PROBE_SECURE || v == PROBE_DANE ? "pass" :
	    v == PROBE_ENCRYPT ? "warn" : "fail";
}

static int
check_exit(enum probe_verdict v)
{
	return v == PROBE_SECURE || v == PROBE_DANE ? CHECK_PASS :
	    v == PROBE_ENCRYPT ? CHECK_WARN : CHECK_FAIL;
}

/* A certificate's date as every tlspin time: cli_time(); "?" if unset
 * or before 1970. */
static void
check_date(char *buf, size_t bufsz, int64_t t)
{
	if (t <= 0)
		snprintf(buf, bufsz, "?");
	else
		cli_time(buf, bufsz, (uint64_t)t);
}

/* ----------------------------------------------------------------- text */

static const char *
check_tlsa_word(int tlsa)
{
	return tlsa == 2 ? "  (TLSA records, DNSSEC-validated)" : tlsa ?
	    "  (TLSA records, not validated: ignored)" : "";
}

static void
check_text_tls(const struct probe_tls *t, const char *host, int64_t now)
{
	char nb[32], na[32];

	check_date(nb, sizeof(nb), t->not_before);
	check_date(na, sizeof(na), t->not_after);
	printf("    TLS          %s, %s\n", t->protocol, t->cipher);
	printf("    certificate  %s\n", t->subject[0] ? t->subject : "(none)");
	printf("      names      %s\n", t->names[0] ? t->names : "(none)");
	printf("      issuer     %s\n", t->issuer);
	printf("      key        %s\n", t->key);
	printf("      valid      %s to %s (%s%lld days left)\n", nb, na,
	    t->expired ? "EXPIRED, " : "",
	    (long long)((t->not_after - now) / 86400));
	printf("      chain      %s (%d certificate%s sent)%s%s\n",
	    t->chain_verified ? "verified" : "NOT verified", t->chain_length,
	    t->chain_length == 1 ? "" : "s", t->verify_error[0] ? ": " : "",
	    t->verify_error);
	printf("      name       %s %s\n", t->name_matched ? "matches" :
	    "DOES NOT match", host);
}

static void
check_text_addr(const struct probe_addr *a, const struct probe_result *r,
    const char *host, int64_t now)
{
	printf("  %s [%s]:%u  %u ms\n", host, a->address, a->port, a->ms);
	if (a->banner[0])
		printf("    banner       %s\n", a->banner);
	if (a->connected && !check_reached(a))
		printf("    %-12s not reached (connected, but no banner)\n",
		    r->proto == PROBE_POP3 ? "STLS" : "STARTTLS");
	else if (a->connected)
		printf("    %-12s %s\n", r->proto == PROBE_POP3 ? "STLS" :
		    "STARTTLS", a->starttls ? "offered" : "NOT offered");
	if (a->tls_done)
		check_text_tls(&a->tls, host, now);
	if (a->error[0])
		printf("    error        %s\n", a->error);
}

static void
check_text(const struct probe_result *r, int64_t now, const char *unknown)
{
	static const char *src[] = { "DNS", "no MX: the domain itself",
	    "given" };
	const struct probe_mx *mx;
	unsigned i, j;

	printf("tlspin check %s (%s)\n", r->domain, probe_proto_name(r->proto));
	if (r->nmx > 0)
		printf("MX hosts (%s%s):\n", src[r->mx_source],
		    r->mx_source == PROBE_MX_DNS ? (r->dnssec ?
		    ", DNSSEC-validated" : ", not DNSSEC-validated") : "");
	for (i = 0; i < r->nmx; i++) {
		mx = &r->mx[i];
		if (r->mx_source == PROBE_MX_DNS)
			printf("  %u %s%s\n", mx->preference, mx->name,
			    check_tlsa_word(mx->tlsa));
		else
			printf("  %s%s\n", mx->name, check_tlsa_word(mx->tlsa));
	}
	for (i = 0; i < r->nmx; i++) {
		mx = &r->mx[i];
		if (mx->naddr == 0)
			printf("  %s: %s\n", mx->name, mx->error);
		for (j = 0; j < mx->naddr; j++)
			check_text_addr(&mx->addr[j], r, mx->name, now);
	}
	if (r->proto == PROBE_SMTP && !r->error[0])
		printf("MTA-STS:        %s%s%s\n", r->mta_sts ?
		    "_mta-sts." : "no _mta-sts TXT record",
		    r->mta_sts ? r->domain : "", r->mta_sts ? " has a "
		    "v=STSv1 TXT record (the policy is not fetched)" : "");
	if (unknown) {
		printf("verdict:        unknown: could not check: %s\n(%u ms)\n",
		    unknown, r->ms);
		return;
	}
	printf("verdict:        %s (%s)\n", probe_verdict_name(r->verdict),
	    check_status(r->verdict));
	if (r->policy[0])
		printf("tlspin would pin: %s\n", r->policy);
	else if (r->verdict == PROBE_DANE)
		printf("tlspin would pin: nothing (Postfix's DANE decides)\n");
	else
		printf("tlspin would pin: nothing\n");
	for (i = 0; i < r->nproblems; i++)
		printf("  - %s\n", r->problems[i]);
	printf("(%u ms)\n", r->ms);
}

/* ----------------------------------------------------------------- JSON */

static void
check_json_names(const char *names)
{
	const char *p = names, *sp;
	char one[PROBE_NAMES_MAX + 1];
	size_t n;
	int first = 1;

	putchar('[');
	while (*p != '\0') {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		memcpy(one, p, n);
		one[n] = '\0';
		if (!first)
			putchar(',');
		json_string(stdout, one);
		first = 0;
		p += n + (sp != NULL);
	}
	putchar(']');
}

static void
check_json_tls(const struct probe_tls *t, int64_t now)
{
	char nb[32], na[32];

	check_date(nb, sizeof(nb), t->not_before);
	check_date(na, sizeof(na), t->not_after);
	printf("{\"protocol\":");
	json_string(stdout, t->protocol);
	printf(",\"cipher\":");
	json_string(stdout, t->cipher);
	printf(",\"subject\":");
	json_string(stdout, t->subject);
	printf(",\"names\":");
	check_json_names(t->names);
	printf(",\"issuer\":");
	json_string(stdout, t->issuer);
	printf(",\"not_before\":\"%s\",\"not_after\":\"%s\",\"days_left\":%lld,"
	    "\"key\":", nb, na, (long long)((t->not_after - now) / 86400));
	json_string(stdout, t->key);
	printf(",\"chain_length\":%d,\"chain_verified\":%s,\"verify_error\":",
	    t->chain_length, t->chain_verified ? "true" : "false");
	json_string(stdout, t->verify_error);
	printf(",\"name_matched\":%s,\"expired\":%s}", t->name_matched ?
	    "true" : "false", t->expired ? "true" : "false");
}

static void
check_json_addr(const struct probe_addr *a, int64_t now)
{
	printf("{\"address\":");
	json_string(stdout, a->address);
	printf(",\"port\":%u,\"ms\":%u,\"connected\":%s,\"banner\":", a->port,
	    a->ms, a->connected ? "true" : "false");
	json_string(stdout, a->banner);
	printf(",\"reached\":%s,\"starttls\":%s,\"error\":",
	    check_reached(a) ? "true" : "false", a->starttls ? "true" :
	    "false");
	json_string(stdout, a->error);
	printf(",\"tls\":");
	if (a->tls_done)
		check_json_tls(&a->tls, now);
	else
		printf("null");
	putchar('}');
}

static void
check_json(const struct probe_result *r, int64_t now, const char *unknown)
{
	static const char *src[] = { "dns", "implicit", "given" };
	const struct probe_mx *mx;
	unsigned i, j;

	printf("{\"domain\":");
	json_string(stdout, r->domain);
	printf(",\"protocol\":\"%s\",\"verdict\":\"%s\",\"status\":\"%s\","
	    "\"policy\":", probe_proto_name(r->proto),
	    probe_verdict_name(r->verdict), unknown ? "unknown" :
	    check_status(r->verdict));
	json_string(stdout, r->policy);
	printf(",\"resolver\":");
	json_string(stdout, r->resolver);
	printf(",\"could_not_check\":");
	if (unknown)
		json_string(stdout, unknown);
	else
		fputs("null", stdout);
	printf(",\"mx_source\":\"%s\",\"dnssec\":%s,\"mta_sts\":%s,"
	    "\"error\":", src[r->mx_source], r->dnssec ? "true" : "false",
	    r->mta_sts ? "true" : "false");
	json_string(stdout, r->error);
	printf(",\"ms\":%u,\"problems\":[", r->ms);
	for (i = 0; i < r->nproblems; i++) {
		if (i)
			putchar(',');
		json_string(stdout, r->problems[i]);
	}
	printf("],\"mx\":[");
	for (i = 0; i < r->nmx; i++) {
		mx = &r->mx[i];
		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, mx->name);
		printf(",\"preference\":%u,\"tlsa\":%s,\"tlsa_validated\":%s,"
		    "\"error\":", mx->preference, mx->tlsa ? "true" : "false",
		    mx->tlsa == 2 ? "true" : "false");
		json_string(stdout, mx->error);
		printf(",\"addresses\":[");
		for (j = 0; j < mx->naddr; j++) {
			if (j)
				putchar(',');
			check_json_addr(&mx->addr[j], now);
		}
		printf("]}");
	}
	printf("]}\n");
}

/* --------------------------------------------------------------- plugin */

/* The fewest days left of any certificate seen; 0 with none seen. */
static int
check_days_left(const struct probe_result *r, int64_t now, long long *out)
{
	const struct probe_addr *a;
	unsigned i, j;
	int any = 0;

	for (i = 0; i < r->nmx; i++)
		for (j = 0; j < r->mx[i].naddr; j++) {
			a = &r->mx[i].addr[j];
			if (!a->tls_done)
				continue;
			if (!any || (a->tls.not_after - now) / 86400 < *out)
				*out = (a->tls.not_after - now) / 86400;
			any = 1;
		}
	return any;
}

/*
 * As a monitoring plugin (Nagios, Icinga, Naemon): one status line,
 * "TLSPIN WORD - what | perfdata", then one line a problem. time is
 * the whole check; days_left the certificate nearest its end.
 */
static void
check_plugin(const struct probe_result *r, int64_t now, int rc,
    const char *unknown)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };
	long long days;
	unsigned i;

	printf("TLSPIN %s - %s: ", word[rc], r->domain);
	if (unknown)
		printf("could not check: %s", unknown);
	else if (r->policy[0])
		printf("%s, tlspin would pin \"%s\"",
		    probe_verdict_name(r->verdict), r->policy);
	else
		printf("%s, %s", probe_verdict_name(r->verdict),
		    r->nproblems ? r->problems[0] : "nothing to pin");
	printf(" | time=%ums", r->ms);
	if (check_days_left(r, now, &days))
		printf(" days_left=%lld", days);
	putchar('\n');
	for (i = 0; i < r->nproblems; i++)
		printf("%s\n", r->problems[i]);
}

/* ------------------------------------------------------------- command */

static int check_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A usage error: what is wrong, then the usage; exit 3. */
static int
check_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlspin check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: tlspin check [--json|--plugin] [--mx HOST] "
	    "[--address ADDR] [--port N]\n    [--starttls smtp|submission|"
	    "imap|pop3] [--tls] [--cafile FILE]\n    [--resolver ADDR[:PORT]] "
	    "[--timeout SECONDS] DOMAIN\n");
	return CHECK_UNKNOWN;
}

/* A number in [lo, hi] for an option; 0 when it is not one. */
static int
check_number(const char *s, unsigned long lo, unsigned long hi,
    unsigned *out)
{
	char *end;
	unsigned long v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return 0;
	*out = (unsigned)v;
	return 1;
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "plugin", no_argument, NULL, 'P' },
		{ "mx", required_argument, NULL, 'm' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "starttls", required_argument, NULL, 's' },
		{ "tls", no_argument, NULL, 'T' },
		{ "cafile", required_argument, NULL, 'C' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct probe_result *r;
	struct probe_opts o;
	unsigned secs = 0;
	int json = 0, plugin = 0, cafile = 0, resolver = 0, ch, rc;
	char why[300];
	const char *unknown;
	int64_t now;

	memset(&o, 0, sizeof(o));
	while ((ch = cli_getopt("check", argc, argv, "jPm:a:p:s:TC:r:t:h",
	    opts)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'P': plugin = 1; break;
		case 'm': o.mx = optarg; break;
		case 'a': o.address = optarg; break;
		case 'T': o.implicit_tls = 1; break;
		case 'C': o.cafile = optarg; cafile = 1; break;
		case 'r': o.resolver = optarg; resolver = 1; break;
		case 'p':
			if (!check_number(optarg, 1, 65535, &o.port))
				return check_usage("--port %s: expected 1 to "
				    "65535", optarg);
			break;
		case 't':
			if (!check_number(optarg, 1, 120, &secs))
				return check_usage("--timeout %s: expected 1 to "
				    "120 seconds", optarg);
			break;
		case 's':
			if (!probe_proto_parse(optarg, &o.proto))
				return check_usage("--starttls %s: expected smtp,"
				    " submission, imap or pop3", optarg);
			break;
		case 'h': cmd_help("check"); return CHECK_PASS;
		default: return CHECK_UNKNOWN;	/* cli_getopt said why */
		}
	}
	if (cli_setup(c) != 0)	/* tlspin.conf: the defaults */
		return CHECK_UNKNOWN;
	if (secs == 0)
		secs = (unsigned)c->cfg.probe_timeout;
	if (!cafile && c->cfg.probe_cafile[0])
		o.cafile = c->cfg.probe_cafile;
	if (!resolver && c->cfg.probe_resolver[0])
		o.resolver = c->cfg.probe_resolver;
	if (optind + 1 != argc)
		return check_usage("%s", "expected one DOMAIN");
	if (json && plugin)
		return check_usage("%s", "--json and --plugin: one or the "
		    "other");
	o.timeout_ms = secs * 1000;
	r = malloc(sizeof(*r));
	if (r == NULL) {
		fprintf(stderr, "tlspin check: out of memory\n");
		return CHECK_UNKNOWN;
	}
	if (!probe_run(argv[optind], &o, r)) {
		fprintf(stderr, "tlspin check: %s\n", r->error[0] ? r->error :
		    "cannot start the probe");
		free(r);
		return CHECK_UNKNOWN;
	}
	now = (int64_t)time(NULL);
	probe_judge(r, now);
	unknown = check_could_not(r, secs, why, sizeof(why));
	rc = unknown ? CHECK_UNKNOWN : check_exit(r->verdict);
	if (plugin)
		check_plugin(r, now, rc, unknown);
	else if (json)
		check_json(r, now, unknown);
	else
		check_text(r, now, unknown);
	if (unknown && json)
		fprintf(stderr, "tlspin check: could not check %s: %s (exit "
		    "3)\n", r->domain, unknown);
	free(r);
	return rc;
}
