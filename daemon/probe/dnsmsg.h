/* dnsmsg.h: the DNS answers a probe reads (see dnsmsg.c). */
#ifndef TLSPIN_DNSMSG_H
#define TLSPIN_DNSMSG_H

#include <stddef.h>
#include <netinet/in.h>

#define DNSMSG_NAME_MAX 253	/* a host name, without the trailing dot */
#define DNSMSG_MX_MAX 10	/* MX hosts kept, lowest preference first */
#define DNSMSG_ADDR_MAX 4	/* addresses kept per answer */
#define DNSMSG_ADDR_LEN 46	/* INET6_ADDRSTRLEN */
#define DNSMSG_ERR_MAX 200

/* Record types we ask for. */
#define DNSMSG_A 1
#define DNSMSG_MX 15
#define DNSMSG_TXT 16
#define DNSMSG_AAAA 28
#define DNSMSG_TLSA 52
#define DNSMSG_SOA 6

#define DNSMSG_QUERY_MAX 512	/* a query dnsmsg_query() writes fits */

struct dnsmsg_mx {
	unsigned pref;
	char name[DNSMSG_NAME_MAX + 1];
};

struct dnsmsg {
	int rcode;		/* 0 NOERROR, 3 NXDOMAIN, ... */
	int ad;			/* the resolver says it validated (AD bit) */
	unsigned answers;	/* records of the type asked */
	unsigned nmx;
	struct dnsmsg_mx mx[DNSMSG_MX_MAX];
	int null_mx;		/* "MX 0 ." (RFC 7505): no mail at all */
	unsigned skipped;	/* MX names we could not use */
	unsigned naddr;
	char addr[DNSMSG_ADDR_MAX][DNSMSG_ADDR_LEN];
	int sts;		/* a TXT record "v=STSv1..." (MTA-STS) */
};

int dnsmsg_parse(const unsigned char *msg, size_t len, int type,
    struct dnsmsg *out, char *err, size_t errsz);
int dnsmsg_name_ok(const char *name);
size_t dnsmsg_query(unsigned id, const char *name, int type,
    unsigned char *buf, size_t bufsz);
int dnsmsg_is_reply(const unsigned char *query, size_t qlen,
    const unsigned char *msg, size_t len);
int dnsmsg_resolver_parse(const char *s, size_t len, struct in_addr *addr,
    unsigned *port);

#endif
