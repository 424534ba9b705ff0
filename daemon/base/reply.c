/*
 * NAME
 *	reply - the one place where policy values for Postfix are made
 * SYNOPSIS
 *	#include "reply.h"
 *
 *	size_t reply_build(out, outsz, policy, len, compat, err)
 *	int reply_validate(value, len, compat, err)
 *	int reply_compat_parse(s, compat)
 * DESCRIPTION
 *	A policy value is "level [name=value ...]". Postfix rejects the
 *	whole policy, and defers the mail with "client TLS configuration
 *	problem", when a level or attribute is unknown to it, an attribute is
 *	used at a level where it means nothing (match= at encrypt), a value
 *	is empty or malformed, or a single-instance attribute repeats. Since
 *	a reply Postfix rejects stops mail, every value tlspin stores goes
 *	through reply_build() and every value it sends through
 *	reply_validate(), both against the Postfix version configured in
 *	postfix_compat (attributes newer than it never leave).
 *
 *	reply_build() normalises an admin's text (runs of blanks to one
 *	space, lowercase level and attribute names) and validates it;
 *	it returns the length written to out (NUL-terminated), or 0 with
 *	*err set. Values may not hold blanks, commas (Postfix splits on
 *	both) or braces (3.7 has no { } syntax in this table).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "key.h"
#include "policy.h"
#include "reply.h"

enum reply_value_kind {
	VALUE_TEXT,		/* any allowed characters */
	VALUE_YESNO,		/* yes | no */
	VALUE_HOST		/* "hostname" or a host name */
};

struct reply_attr {
	const char *name;
	unsigned since;		/* first Postfix version that accepts it */
	int repeatable;		/* may appear more than once */
	unsigned levels;	/* bit mask of levels it is valid at; 0 = all */
	enum reply_value_kind kind;
};

#define LV(l) (1u << (l))

static const struct reply_attr reply_attrs[] = {
	{ "match", 200, 1,
	    LV(LEVEL_FINGERPRINT) | LV(LEVEL_VERIFY) | LV(LEVEL_SECURE),
	    VALUE_TEXT },
	{ "protocols", 200, 0, 0, VALUE_TEXT },
	{ "ciphers", 200, 0, 0, VALUE_TEXT },
	{ "exclude", 206, 0, 0, VALUE_TEXT },
	{ "tafile", 211, 1, LV(LEVEL_VERIFY) | LV(LEVEL_SECURE), VALUE_TEXT },
	{ "servername", 304, 0, 0, VALUE_HOST },
	{ "connection_reuse", 304, 0, 0, VALUE_YESNO },
	{ "enable_rpk", 309, 0, 0, VALUE_YESNO },
};

#define REPLY_NATTRS (sizeof(reply_attrs) / sizeof(reply_attrs[0]))

/* Parse "3.7" into 307; 1 on success. Only 2.x and 3.x exist. */
int
reply_compat_parse(const char *s, unsigned *compat)
{
	unsigned major, minor;
	char tail;

	if (sscanf(s, "%u.%u%c", &major, &minor, &tail) != 2 ||
	    major < 2 || major > 3 || minor > 99)
		return 0;
	*compat = major * 100 + minor;
	return 1;
}

/* Find the attribute called name (len bytes, any case). */
static const struct reply_attr *
reply_attr_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < REPLY_NATTRS; i++)
		if (strlen(reply_attrs[i].name) == len &&
		    strncasecmp(reply_attrs[i].name, name, len) == 0)
			return &reply_attrs[i];
	return NULL;
}

/* Check one attribute value's characters and kind. */
static int
reply_value_ok(const struct reply_attr *a, const char *v, size_t len,
    const char **err)
{
	size_t i;

	if (len == 0) {
		*err = "attribute has an empty value";
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c >= 0x7f || c == ',' || c == '{' || c == '}') {
			*err = "attribute value holds a blank, comma, brace or "
			    "control character";
			return 0;
		}
	}
	if (a->kind == VALUE_YESNO && !(len == 3 &&
	    strncasecmp(v, "yes", 3) == 0) && !(len == 2 &&
	    strncasecmp(v, "no", 2) == 0)) {
		*err = "attribute value must be yes or no";
		return 0;
	}
	if (a->kind == VALUE_HOST && !(len == 8 &&
	    strncmp(v, "hostname", 8) == 0) && !key_domain_valid(v, len)) {
		*err = "servername must be a lowercase host name or \"hostname\"";
		return 0;
	}
	return 1;
}

/* Check one "name=value" token at level; seen tracks single attributes. */
static int
reply_attr_ok(const char *tok, size_t len, enum policy_level level,
    unsigned compat, unsigned *seen, const char **err)
{
	const char *eq = memchr(tok, '=', len);
	const struct reply_attr *a;
	size_t idx;

	if (eq == NULL || eq == tok) {
		*err = "attribute is not name=value";
		return 0;
	}
	a = reply_attr_find(tok, (size_t)(eq - tok));
	if (a == NULL || a->since > compat) {
		*err = a == NULL ? "unknown attribute" :
		    "attribute is newer than postfix_compat";
		return 0;
	}
	if (a->levels != 0 && (a->levels & LV(level)) == 0) {
		*err = "attribute is not valid at this level";
		return 0;
	}
	idx = (size_t)(a - reply_attrs);
	if (!a->repeatable && (*seen & (1u << idx))) {
		*err = "attribute may appear only once";
		return 0;
	}
	*seen |= 1u << idx;
	return reply_value_ok(a, eq + 1, len - (size_t)(eq - tok) - 1, err);
}

/* Validate a policy value exactly as it will be sent; 1 if Postfix takes it. */
int
reply_validate(const char *value, size_t len, unsigned compat,
    const char **err)
{
	enum policy_level level;
	size_t i = 0, start;
	unsigned seen = 0;

	if (len == 0 || len > REPLY_MAX) {
		*err = len ? "policy value too long" : "policy value is empty";
		return 0;
	}
	while (i < len && value[i] != ' ')
		i++;
	if (!policy_level_parse(value, i, &level)) {
		*err = "unknown TLS security level";
		return 0;
	}
	if (level == LEVEL_FINGERPRINT && (len == i ||
	    memmem(value + i, len - i, " match=", 7) == NULL)) {
		*err = "fingerprint level needs match=";
		return 0;
	}
	while (i < len) {
		if (value[i] != ' ' || i + 1 == len || value[i + 1] == ' ') {
			*err = "policy value is not single-space separated";
			return 0;
		}
		start = ++i;
		while (i < len && value[i] != ' ')
			i++;
		if (!reply_attr_ok(value + start, i - start, level, compat,
		    &seen, err))
			return 0;
	}
	return 1;
}

/* Lowercase bytes [from, to) of s in place. */
static void
reply_lower(char *s, size_t from, size_t to)
{
	for (; from < to; from++)
		if (s[from] >= 'A' && s[from] <= 'Z')
			s[from] = (char)(s[from] + ('a' - 'A'));
}

/* End of the word to lowercase in token [tok, n): the level, or a name. */
static size_t
reply_name_end(const char *s, size_t tok, size_t n)
{
	const char *eq;

	if (tok == 0)
		return n;
	eq = memchr(s + tok, '=', n - tok);
	return eq ? (size_t)(eq - s) : n;
}

/* Normalise and validate an admin-written policy; see the file header. */
size_t
reply_build(char *out, size_t outsz, const char *policy, size_t len,
    unsigned compat, const char **err)
{
	size_t i = 0, n = 0, tok;

	if (outsz == 0) {
		*err = "no room for the policy value";
		return 0;
	}
	while (i < len) {
		while (i < len && (policy[i] == ' ' || policy[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n > 0) {
			if (n + 1 >= outsz)
				goto toolong;
			out[n++] = ' ';
		}
		tok = n;
		while (i < len && policy[i] != ' ' && policy[i] != '\t') {
			if (n + 1 >= outsz)
				goto toolong;
			out[n++] = policy[i++];
		}
		reply_lower(out, tok, reply_name_end(out, tok, n));
	}
	out[n] = '\0';
	if (!reply_validate(out, n, compat, err))
		return 0;
	return n;
toolong:
	*err = "policy value too long";
	return 0;
}
