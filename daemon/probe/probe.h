/* probe.h: the active TLS probe of a mail domain's servers (see probe.c). */
#ifndef TLSPIN_PROBE_H
#define TLSPIN_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"

#define PROBE_MX_MAX DNSMSG_MX_MAX
#define PROBE_ADDR_MAX 4	/* addresses tried per MX host */
#define PROBE_TEXT_MAX 240	/* a banner, an error, a problem */
#define PROBE_NAMES_MAX 1000	/* a certificate's DNS names, space-separated */
#define PROBE_PROBLEMS_MAX 12
#define PROBE_POLICY_MAX 1100

/* Why a DNS lookup failed (probe.c) */
#define PROBE_DNS_NX 1		/* the name does not exist */
#define PROBE_DNS_SILENT 2	/* no resolver answered (timeout, refused) */
#define PROBE_DNS_FAILED 3	/* SERVFAIL and the like */

enum probe_proto { PROBE_SMTP = 0, PROBE_SUBMISSION, PROBE_IMAP, PROBE_POP3 };

enum probe_verdict {
	PROBE_NONE = 0,		/* no TLS we could pin */
	PROBE_ENCRYPT,		/* TLS everywhere, certificates not all valid */
	PROBE_SECURE,		/* every server's certificate valid for its name */
	PROBE_DANE		/* TLSA records: Postfix's DANE decides */
};

enum probe_mx_source { PROBE_MX_DNS = 0, PROBE_MX_IMPLICIT, PROBE_MX_GIVEN };

struct probe_opts {
	enum probe_proto proto;
	int implicit_tls;	/* TLS from the first byte (465, 993, 995) */
	unsigned port;		/* 0: the protocol's own */
	unsigned timeout_ms;	/* each step: DNS, connect, each reply, TLS */
	const char *cafile;	/* NULL: the system's CA store */
	const char *resolver;	/* "ADDR[:PORT]"; NULL: /etc/resolv.conf */
	const char *mx;		/* this host instead of the MX lookup */
	const char *address;	/* this address instead of the A lookup */
	const char *helo;	/* our EHLO name; NULL: the machine's */
};

struct probe_tls {
	char protocol[16], cipher[64];
	char subject[PROBE_TEXT_MAX + 1], issuer[PROBE_TEXT_MAX + 1];
	char names[PROBE_NAMES_MAX + 1];	/* SAN dNSNames, or the CN */
	int64_t not_before, not_after;
	char key[32];		/* "RSA 2048", "EC 256" */
	int chain_length;
	int chain_verified;	/* to a trusted CA, dates included */
	char verify_error[PROBE_TEXT_MAX + 1];
	int name_matched;	/* a name covers the host we asked for */
	int expired;
};

struct probe_addr {
	char address[DNSMSG_ADDR_LEN];
	unsigned port, ms;
	int connected;
	int unroutable;		/* this machine has no route: not counted */
	int starttls;		/* offered (implicit TLS: 1) */
	int tls_done;		/* handshake completed */
	char banner[PROBE_TEXT_MAX + 1];
	char error[PROBE_TEXT_MAX + 1];
	struct probe_tls tls;
};

struct probe_mx {
	char name[DNSMSG_NAME_MAX + 1];
	unsigned preference;
	int tlsa;		/* TLSA at _PORT._tcp.NAME: 1 found, 2 validated */
	unsigned naddr;
	struct probe_addr addr[PROBE_ADDR_MAX];
	char error[PROBE_TEXT_MAX + 1];	/* no address */
	int dns_silent;		/* an address lookup got no answer at all */
	int proved;		/* probe_judge(): every address proved it */
};

struct probe_result {
	char domain[DNSMSG_NAME_MAX + 1];
	enum probe_proto proto;
	enum probe_mx_source mx_source;
	int dnssec;		/* the MX answer had the AD bit */
	int mta_sts;		/* _mta-sts.DOMAIN has a v=STSv1 TXT */
	char error[PROBE_TEXT_MAX + 1];	/* the domain could not be probed */
	int dns_silent;		/* the MX lookup got no answer at all */
	char resolver[64];	/* the resolver asked: "ADDR:PORT" */
	unsigned nmx;
	struct probe_mx mx[PROBE_MX_MAX];
	/* probe_judge() */
	enum probe_verdict verdict;
	char policy[PROBE_POLICY_MAX + 1];	/* what tlspin would pin */
	char verified[PROBE_POLICY_MAX + 1];	/* MX names proved, sorted */
	unsigned nproblems;
	char problems[PROBE_PROBLEMS_MAX][PROBE_TEXT_MAX + 1];
	unsigned ms;		/* the whole probe */
};

int probe_proto_parse(const char *s, enum probe_proto *out);
const char *probe_proto_name(enum probe_proto p);
const char *probe_verdict_name(enum probe_verdict v);
int probe_run(const char *domain, const struct probe_opts *o,
    struct probe_result *r);
void probe_judge(struct probe_result *r, int64_t now);
void probe_mx_names(const struct probe_result *r, int proved_only,
    char *out, size_t outsz);

#endif
