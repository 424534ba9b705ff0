/*
 * NAME
 *	stelist - read the STARTTLS Everywhere policy list for tlspin import
 * SYNOPSIS
 *	#include "stelist.h"
 *
 *	int stelist_parse(buf, len, out, info, err, errsz)
 *	int stelist_each(l, fn, skip, arg)
 *	void stelist_free(l)
 *	int stelist_time(s, len, out)
 * DESCRIPTION
 *	The EFF's STARTTLS Everywhere list (its last version is of May
 *	2020; the project stopped then) is one JSON object: "timestamp" and
 *	"expires" (RFC 3339 text, or Unix seconds), "policy-aliases" (name ->
 *	policy) and "policies" (mail domain -> policy, or {"policy-alias":
 *	name}); a policy has "mode" (testing or enforce; testing when absent)
 *	and "mxs", the names a server certificate may be valid for: a host
 *	name, or ".example.net" for any name under example.net, at any depth
 *	(Postfix's "match" patterns mean the same).
 *
 *	stelist_parse() parses buf (which must outlive the list) with
 *	json_parse() and fills info, or returns 0 with err ("line L, column
 *	C: ..." for JSON errors) when it is not such a list.
 *	stelist_each() calls fn for each usable policy, in the file's order,
 *	with its domain lowercase and its patterns joined by ':' as a
 *	"match=" value wants them. A policy that cannot be used as a whole
 *	(a domain name or pattern that is not one, an unknown alias or mode,
 *	no mxs, too many) goes to skip with the reason: a partial list of
 *	patterns would defer the mail of the servers left out. It returns 0
 *	if fn stopped it. Neither touches a store or the clock: tlspin
 *	import decides what the policies become.
 *
 *	stelist_time() reads "2020-06-03T10:25:12.710055-07:00" (fraction
 *	and zone optional: "Z", "+HH:MM", "+HHMM"; none is UTC) or decimal
 *	Unix seconds.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "stelist.h"

struct stelist_walk {
	const char *buf;
	size_t len;
	struct json_tok *tok;
	uint32_t aliases;	/* the policy-aliases object, or 0 */
	uint32_t policies;	/* the policies object */
	char why[160];		/* why the current policy is left out */
};

struct stelist {
	struct stelist_walk w;
	struct stelist_policy p;
};

/* s as printable ASCII (others as '?') into out, for a message. */
static const char *
stelist_shown(const char *s, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = s[i] < ' ' || s[i] > '~' ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* The value of member name in object obj, or 0. */
static uint32_t
stelist_member(const struct stelist_walk *w, uint32_t obj, const char *name)
{
	uint32_t i = obj + 1, k;

	if (w->tok[obj].type != JSON_OBJECT)
		return 0;
	for (k = 0; k < w->tok[obj].size; k++) {
		if (json_string_is(w->buf, &w->tok[i], name))
			return i + 1;
		i = w->tok[i + 1].next;
	}
	return 0;
}

/* The string at token t into out (outsz bytes, no NUL inside); 0 if it
 * is no string or too long. */
static int
stelist_text(const struct stelist_walk *w, uint32_t t, char *out,
    size_t outsz)
{
	size_t n;

	return t != 0 && json_string_get(w->buf, &w->tok[t], out, outsz, &n) &&
	    strlen(out) == n;
}

/* One mxs pattern into the match list; 0 with w->why if it is none. */
static int
stelist_pattern(struct stelist_walk *w, uint32_t t, char *match,
    size_t *used)
{
	char raw[KEY_MAX + 2], key[KEY_MAX + 1], shown[65];
	size_t n;

	if (!stelist_text(w, t, raw, sizeof(raw))) {
		snprintf(w->why, sizeof(w->why), "mxs holds a value that is no "
		    "host name (not a string, or too long)");
		return 0;
	}
	if (strpbrk(raw, "[]:") != NULL ||
	    key_normalize(raw, strlen(raw), key, &n) != KEY_OK) {
		snprintf(w->why, sizeof(w->why), "mxs holds \"%s\", which is "
		    "no host name nor .domain pattern", stelist_shown(raw,
		    shown, sizeof(shown)));
		return 0;
	}
	if (*used + (*used > 0) + n > RECORD_MATCH_MAX) {
		snprintf(w->why, sizeof(w->why), "its mxs are longer than %d "
		    "bytes together", RECORD_MATCH_MAX);
		return 0;
	}
	if (*used > 0)
		match[(*used)++] = ':';
	memcpy(match + *used, key, n + 1);
	*used += n;
	return 1;
}

/* A policy object (mode, mxs) into p; 0 with w->why if unusable. */
static int
stelist_rules(struct stelist_walk *w, uint32_t pol, struct stelist_policy *p)
{
	uint32_t mode = stelist_member(w, pol, "mode");
	uint32_t mxs = stelist_member(w, pol, "mxs"), i, k;
	size_t used = 0;

	if (mode != 0 && !json_string_is(w->buf, &w->tok[mode], "testing") &&
	    !json_string_is(w->buf, &w->tok[mode], "enforce")) {
		snprintf(w->why, sizeof(w->why), "its mode is neither testing "
		    "nor enforce");
		return 0;
	}
	p->enforce = mode != 0 && json_string_is(w->buf, &w->tok[mode],
	    "enforce");
	if (mxs == 0 || w->tok[mxs].type != JSON_ARRAY ||
	    w->tok[mxs].size == 0) {
		snprintf(w->why, sizeof(w->why), "it has no mxs list");
		return 0;
	}
	p->match[0] = '\0';
	for (i = mxs + 1, k = 0; k < w->tok[mxs].size; k++, i = w->tok[i].next)
		if (!stelist_pattern(w, i, p->match, &used))
			return 0;
	return 1;
}

/* The policy of domain token d (its value at d + 1) into p; 0 with
 * w->why if it is unusable. */
static int
stelist_policy(struct stelist_walk *w, uint32_t d, struct stelist_policy *p)
{
	char raw[KEY_MAX + 2], shown[65];
	uint32_t pol = d + 1, alias;
	size_t n;

	memset(p, 0, sizeof(*p));
	p->offset = w->tok[d].start;
	if (!stelist_text(w, d, raw, sizeof(raw)) || raw[0] == '.' ||
	    strpbrk(raw, "[]:") != NULL ||
	    key_normalize(raw, strlen(raw), p->domain, &n) != KEY_OK) {
		snprintf(w->why, sizeof(w->why), "it is no domain name");
		return 0;
	}
	if (w->tok[pol].type != JSON_OBJECT) {
		snprintf(w->why, sizeof(w->why), "its policy is no object");
		return 0;
	}
	alias = stelist_member(w, pol, "policy-alias");
	if (alias == 0)
		return stelist_rules(w, pol, p);
	if (!stelist_text(w, alias, p->alias, sizeof(p->alias))) {
		snprintf(w->why, sizeof(w->why), "its policy-alias is no "
		    "name (not a string, or too long)");
		return 0;
	}
	if (w->aliases == 0 ||
	    (pol = stelist_member(w, w->aliases, p->alias)) == 0 ||
	    w->tok[pol].type != JSON_OBJECT) {
		snprintf(w->why, sizeof(w->why), "its policy-alias \"%s\" is "
		    "not in policy-aliases", stelist_shown(p->alias, shown,
		    sizeof(shown)));
		return 0;
	}
	return stelist_rules(w, pol, p);
}

/* A time member ("expires", "timestamp") of the root, or 0. */
static uint64_t
stelist_root_time(const struct stelist_walk *w, const char *name)
{
	uint32_t t = stelist_member(w, 0, name);
	uint64_t when = 0;

	if (t == 0 || (w->tok[t].type != JSON_STRING &&
	    w->tok[t].type != JSON_NUMBER))
		return 0;
	if (!stelist_time(w->buf + w->tok[t].start,
	    w->tok[t].end - w->tok[t].start, &when))
		return 0;
	return when;
}

/* Every policy, to fn or skip; 0 if fn stopped. */
int
stelist_each(struct stelist *l, stelist_policy_fn fn, stelist_skip_fn skip,
    void *arg)
{
	struct stelist_walk *w = &l->w;
	char name[KEY_MAX + 2];
	uint32_t i, k;

	for (i = w->policies + 1, k = 0; k < w->tok[w->policies].size;
	    k++, i = w->tok[i + 1].next) {
		if (stelist_policy(w, i, &l->p)) {
			if (!fn(arg, &l->p))
				return 0;
			continue;
		}
		if (!json_string_get(w->buf, &w->tok[i], name, sizeof(name),
		    NULL))
			snprintf(name, sizeof(name), "(a long name)");
		skip(arg, name, w->tok[i].start, w->why);
	}
	return 1;
}

/* The document's root and its members; 0 with err if it is no list. */
static int
stelist_root(struct stelist_walk *w, char *err, size_t errsz)
{
	if (w->tok[0].type != JSON_OBJECT) {
		snprintf(err, errsz, "not a STARTTLS Everywhere policy list: "
		    "the document is no JSON object");
		return 0;
	}
	w->policies = stelist_member(w, 0, "policies");
	if (w->policies == 0 || w->tok[w->policies].type != JSON_OBJECT) {
		snprintf(err, errsz, "not a STARTTLS Everywhere policy list: "
		    "no \"policies\" object");
		return 0;
	}
	w->aliases = stelist_member(w, 0, "policy-aliases");
	if (w->aliases != 0 && w->tok[w->aliases].type != JSON_OBJECT) {
		snprintf(err, errsz, "not a STARTTLS Everywhere policy list: "
		    "\"policy-aliases\" is no object");
		return 0;
	}
	return 1;
}

/* Parse a list; see the file header. */
int
stelist_parse(const char *buf, size_t len, struct stelist **out,
    struct stelist_info *info, char *err, size_t errsz)
{
	struct stelist *l = calloc(1, sizeof(*l));
	struct json_error e;
	size_t max = len / 2 + 2, ntok;
	unsigned line, col;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (max > JSON_TOKENS_MAX)
		max = JSON_TOKENS_MAX;
	if (l == NULL || (l->w.tok = malloc(max * sizeof(*l->w.tok))) == NULL) {
		snprintf(err, errsz, "out of memory");
		stelist_free(l);
		return 0;
	}
	l->w.buf = buf;
	l->w.len = len;
	if (!json_parse(buf, len, l->w.tok, max, &ntok, &e)) {
		json_position(buf, len, e.offset, &line, &col);
		snprintf(err, errsz, "line %u, column %u: %s", line, col,
		    e.what);
		stelist_free(l);
		return 0;
	}
	if (!stelist_root(&l->w, err, errsz)) {
		stelist_free(l);
		return 0;
	}
	info->timestamp = stelist_root_time(&l->w, "timestamp");
	info->expires = stelist_root_time(&l->w, "expires");
	info->policies = l->w.tok[l->w.policies].size;
	*out = l;
	return 1;
}

/* Free a list. */
void
stelist_free(struct stelist *l)
{
	if (l == NULL)
		return;
	free(l->w.tok);
	free(l);
}

/* n decimal digits at s into *v; 0 if any is not one. */
static int
stelist_num(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
stelist_days(unsigned y, unsigned m, unsigned d)
{
	int64_t yy = (int64_t)y - (m <= 2), era, doe, yoe;
	unsigned mp = (m + 9) % 12;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doe = (153 * (int64_t)mp + 2) / 5 + d - 1;
	doe += yoe * 365 + yoe / 4 - yoe / 100;
	return era * 146097 + doe - 719468;
}

/* The zone after the seconds (and fraction) at s: its offset east of
 * UTC in seconds; 0 if it is none of "", "Z", "+HH:MM", "+HHMM". */
static int
stelist_zone(const char *s, size_t n, int64_t *east)
{
	unsigned h, m;

	*east = 0;
	if (n == 0 || (n == 1 && (s[0] == 'Z' || s[0] == 'z')))
		return 1;
	if ((s[0] != '+' && s[0] != '-') || !stelist_num(s + 1, 2, &h) ||
	    h > 23)
		return 0;
	if (n == 6 && s[3] == ':' && stelist_num(s + 4, 2, &m) && m < 60)
		;
	else if (!(n == 5 && stelist_num(s + 3, 2, &m) && m < 60))
		return 0;
	*east = (s[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
	return 1;
}

/* Read a time; see the file header. */
int
stelist_time(const char *s, size_t len, uint64_t *out)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	unsigned y, mo, d, h, mi, sec;
	size_t i;
	int64_t east, t;

	for (i = 0; i < len && i < 13 && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (len > 0 && i == len && len <= 12) {	/* Unix seconds */
		for (*out = 0, i = 0; i < len; i++)
			*out = *out * 10 + (uint64_t)(s[i] - '0');
		return 1;
	}
	i = 19;
	if (len < 19 || !stelist_num(s, 4, &y) || s[4] != '-' ||
	    !stelist_num(s + 5, 2, &mo) || s[7] != '-' ||
	    !stelist_num(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' &&
	    s[10] != ' ') || !stelist_num(s + 11, 2, &h) || s[13] != ':' ||
	    !stelist_num(s + 14, 2, &mi) || s[16] != ':' ||
	    !stelist_num(s + 17, 2, &sec) || y < 1970 || mo < 1 || mo > 12 ||
	    d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return 0;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (!stelist_zone(s + i, len - i, &east))
		return 0;
	t = stelist_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - east;
	if (t < 0)
		return 0;
	*out = (uint64_t)t;
	return 1;
}
