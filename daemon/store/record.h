/* record.h: byte layout of store records (see record.c). */
#ifndef TLSPIN_RECORD_H
#define TLSPIN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "reply.h"

#define RECORD_VERSION 3	/* 1: no learning, 2: no probe; still read */
#define RECORD_MATCH_MAX 1000	/* learned MX names, colon-separated */
#define RECORD_NOTE_MAX 500	/* admin's note */
#define RECORD_SEEN_MAX 600	/* "host=level" tokens, latest first */
#define RECORD_FAILURE_MAX 300	/* the last failure, as Postfix said it */
#define RECORD_PROBE_MAX 500	/* what the last probe found */
#define RECORD_HEADER 14	/* version..reply_len: the lookup's part */
#define RECORD_ENCODED_MAX (RECORD_HEADER + REPLY_MAX + 5 * 8 + 6 * 4 + \
	2 + RECORD_MATCH_MAX + 2 + RECORD_NOTE_MAX + 3 * 8 + 2 * 4 + \
	2 + RECORD_MATCH_MAX + 2 + RECORD_SEEN_MAX + 2 + RECORD_FAILURE_MAX + \
	4 + 8 + 2 + RECORD_PROBE_MAX)

/* One next-hop domain. Times are Unix seconds; 0 means "never"/"not yet". */
struct record {
	uint8_t state;		/* enum policy_state */
	uint8_t level;		/* enum policy_level of the reply */
	uint8_t source;		/* enum policy_source */
	uint64_t expires;	/* reply stops at this time; 0 = never */
	uint16_t reply_len;	/* 0: no reply (NOTFOUND) */
	char reply[REPLY_MAX + 1];
	uint64_t first_seen, last_seen, last_good, pinned_at, updated;
	uint32_t deliveries, tls, trusted, verified, plaintext, failures;
	uint16_t match_len;
	char match[RECORD_MATCH_MAX + 1];
	uint16_t note_len;
	char note[RECORD_NOTE_MAX + 1];
	/* learning (version 2): the current run of good TLS deliveries */
	uint64_t streak_first;	/* first TLS delivery of the run; 0 = none */
	uint64_t last_plain, last_failure;
	uint32_t streak;	/* TLS deliveries in the run, none in clear */
	uint32_t streak_verified;	/* of those, names Verified by Postfix */
	uint16_t streak_hosts_len;	/* MX names of the run, colon-separated */
	char streak_hosts[RECORD_MATCH_MAX + 1];
	uint16_t seen_len;	/* "host=level" tokens, most recent first */
	char seen[RECORD_SEEN_MAX + 1];
	uint16_t failure_len;	/* the last failure's reason */
	char failure[RECORD_FAILURE_MAX + 1];
	/* the probe (version 3) */
	uint32_t streak_trusted;	/* of the run, chain Trusted or Verified */
	uint64_t probed;	/* when the last probe ended; 0 = never */
	uint16_t probe_len;	/* what it found, for people */
	char probe[RECORD_PROBE_MAX + 1];
};

#define EVENT_VERSION 1
#define EVENT_STATE_NONE 0xff	/* no record before (new) or after (removed) */
#define EVENT_REASON_MAX 1000
#define EVENT_ENCODED_MAX (1 + 8 + 2 + 2 + KEY_MAX + 2 + EVENT_REASON_MAX)

/* One state transition, for the audit trail. */
struct record_event {
	uint64_t time;
	uint8_t old_state, new_state;
	uint16_t domain_len;
	char domain[KEY_MAX + 1];
	uint16_t reason_len;
	char reason[EVENT_REASON_MAX + 1];
};

size_t record_encode(const struct record *r, unsigned char *buf, size_t bufsz);
int record_decode(const unsigned char *buf, size_t len, struct record *r,
    const char **err);
int record_reply_view(const unsigned char *buf, size_t len,
    uint64_t *expires, const char **reply, size_t *reply_len,
    const char **err);
int record_same(const struct record *a, const struct record *b);
int record_is_evidence(const struct record *r);
int record_expiry(const struct record *r, uint64_t *when);
int record_idle_since(const struct record *r, uint64_t *when);
size_t record_text_bad(const char *s, size_t n);
size_t record_event_encode(const struct record_event *e, unsigned char *buf,
    size_t bufsz);
int record_event_decode(const unsigned char *buf, size_t len,
    struct record_event *e, const char **err);

#endif
