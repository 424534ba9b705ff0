/* logparse.h: Postfix smtp(8) log lines into events (see logparse.c). */
#ifndef TLSPIN_LOGPARSE_H
#define TLSPIN_LOGPARSE_H

#include <stddef.h>
#include <stdint.h>

enum logparse_kind {
	LOGPARSE_OTHER = 0,	/* a line we do not learn from (counted, skipped) */
	LOGPARSE_TLS,		/* "LEVEL TLS connection established to HOST[ADDR]:PORT: PROTO with cipher CIPHER ..." */
	LOGPARSE_DELIVERY,	/* "QUEUEID: to=<RCPT>, relay=..., ..., dsn=X.Y.Z, status=WORD (REASON)" */
	LOGPARSE_CERT_FAIL,	/* "[server ]certificate verification failed for HOST[ADDR]:PORT: REASON" */
	LOGPARSE_LOOKUP_ERROR	/* "warning: TLS policy lookup for DEST/HOST: REASON" */
};

enum logparse_tls_level {
	TLSLEVEL_NONE = 0, TLSLEVEL_ANONYMOUS, TLSLEVEL_UNTRUSTED,
	TLSLEVEL_TRUSTED, TLSLEVEL_VERIFIED
};

enum logparse_status {
	STATUS_NONE = 0, STATUS_SENT, STATUS_DEFERRED, STATUS_BOUNCED,
	STATUS_OTHER		/* another word: expired, deliverable, ... */
};

/* What a delivery line says about relay=. */
enum logparse_relay {
	RELAY_ABSENT = 0,	/* not a delivery line */
	RELAY_NONE,		/* "relay=none": no server was reached */
	RELAY_ADDR,		/* "relay=HOST[ADDR]:PORT": host, addr, port set */
	RELAY_OTHER		/* anything else ("local", a unix path): in host */
};

/*
 * One parsed line. The prefix fields come first and survive when the
 * message is not one we learn from; everything from `level` on is zero
 * unless kind says otherwise (logparse.c clears it by offset).
 */
struct logparse_event {
	enum logparse_kind kind;
	/* prefix */
	char service[32];	/* the syslog tag: "postfix/smtp", "postfix-out/smtp" */
	unsigned long pid;
	int64_t time;		/* seconds since the epoch (RFC 3339 prefix); else -1 */
	int month, day, hour, min, sec;	/* as the prefix says; 0 if none */
	int lmtp;		/* 1 when the service is <name>/lmtp, not smtp */
	/* TLS, CERT_FAIL, LOOKUP_ERROR and DELIVERY (the relay) */
	enum logparse_tls_level level;
	int reused;		/* TLS: "TLS connection reused to" */
	char host[256], addr[64];	/* addr without brackets: 2001:db8::1 */
	unsigned port;		/* 0 when absent */
	char protocol[16], cipher[64];
	char dest[256];		/* LOOKUP_ERROR: the next-hop destination */
	/* delivery */
	enum logparse_relay relay;
	char queue_id[32];
	char rcpt_domain[256];	/* lowercased domain of to=<...>; empty if none */
	unsigned conn_use;	/* 0 when absent */
	char dsn[16];
	enum logparse_status status;
	int tls_not_offered;	/* reason says "TLS is required, but was not offered" */
	char reason[512];	/* status=...(REASON), cert failure or lookup reason */
	int reason_truncated;	/* reason was longer than fits and was cut */
};

enum logparse_kind logparse_line(const char *line, size_t len,
    struct logparse_event *ev);
enum logparse_kind logparse_message(const char *tag, size_t taglen,
    unsigned long pid, const char *msg, size_t msglen,
    struct logparse_event *ev);
int logparse_is_smtp(const char *tag, size_t len);
int logparse_is_lmtp(const char *tag, size_t len);

#endif
