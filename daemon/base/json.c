/*
 * NAME
 *	json - write JSON strings for --json output; read JSON documents
 * SYNOPSIS
 *	#include "json.h"
 *
 *	void json_string(f, s)
 *	int json_parse(buf, len, tok, max, ntok, e)
 *	int json_string_get(buf, t, out, outsz, outlen)
 *	int json_string_is(buf, t, s)
 *	void json_position(buf, len, offset, line, column)
 * DESCRIPTION
 *	json_string() writes s as a quoted JSON string: quote, backslash and
 *	control characters escaped, bytes >= 0x80 written as \u00XX so the
 *	output is valid JSON whatever a record or note holds.
 *
 *	json_parse() reads one JSON text (RFC 8259) of len bytes, which need
 *	not end with a NUL, into at most max tokens, one per value (see
 *	json.h), and returns 1; or 0 with the byte offset and the reason in
 *	e. It is pure and bounded: no allocation, no recursion (an explicit
 *	stack of JSON_DEPTH_MAX containers), every byte read once. It is
 *	strict: strings must be valid UTF-8 without raw control characters,
 *	escapes and numbers as the RFC spells them, nothing but white space
 *	after the value. It is for documents an admin feeds tlspin (such as
 *	the STARTTLS Everywhere policy list), never for what the daemon
 *	reads from the network.
 *
 *	json_string_get() decodes a string token's escapes into out, as
 *	UTF-8 (surrogate pairs joined); \u0000 gives a NUL byte, so a caller
 *	that wants C strings compares outlen with strlen(out).
 *	json_position() turns an offset into a line and a column (both
 *	from 1, the column counted in bytes), for error messages.
 */
#include "autoconf.h"

#include <string.h>

#include "json.h"

/* Write s as one JSON string. */
void
json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Where the parser is, and what it expects next. */
enum json_want {
	WANT_VALUE,		/* a value (after ':' or ',' in an array) */
	WANT_VALUE_OR_END,	/* a value or ']' (just after '[') */
	WANT_KEY,		/* a member name (after ',' in an object) */
	WANT_KEY_OR_END,	/* a member name or '}' (just after '{') */
	WANT_COLON,
	WANT_COMMA_OR_END,	/* ',' or the end of the container */
	WANT_NOTHING		/* the value is complete */
};

struct json_parser {
	const unsigned char *buf;
	size_t len, pos;
	struct json_tok *tok;
	size_t max, n;
	uint32_t stack[JSON_DEPTH_MAX];	/* open containers' tokens */
	size_t depth;
	enum json_want want;
	struct json_error *e;
};

/* Fail at offset at with reason what. */
static int
json_fail(struct json_parser *p, size_t at, const char *what)
{
	p->e->offset = at;
	p->e->what = what;
	return 0;
}

/* Add a token for the value that starts at pos; its index, or -1. */
static long
json_add(struct json_parser *p, enum json_type type)
{
	struct json_tok *t;

	if (p->n == p->max)
		return json_fail(p, p->pos, "too many values"), -1;
	t = &p->tok[p->n];
	t->type = (uint8_t)type;
	t->start = t->end = (uint32_t)p->pos;
	t->size = 0;
	t->next = (uint32_t)(p->n + 1);
	if (p->depth > 0 && p->tok[p->stack[p->depth - 1]].type == JSON_ARRAY)
		p->tok[p->stack[p->depth - 1]].size++;
	return (long)p->n++;
}

/* A value is complete: what comes next depends on its container. */
static void
json_value_done(struct json_parser *p)
{
	p->want = p->depth == 0 ? WANT_NOTHING : WANT_COMMA_OR_END;
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not one: overlong forms, surrogates and values past U+10FFFF are
 * not. */
static size_t
json_utf8(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need, min, cp, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* The value of 4 hex digits at s (n bytes there), or -1. */
static long
json_hex4(const unsigned char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			v |= (s[i] | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/* The escape at p->pos (after the backslash): its length, or 0. */
static size_t
json_escape(struct json_parser *p)
{
	const unsigned char *s = p->buf + p->pos;
	size_t n = p->len - p->pos;
	long hi, lo;

	if (n > 0 && strchr("\"\\/bfnrt", s[0]) != NULL && s[0] != '\0')
		return 1;
	if (n == 0 || s[0] != 'u' || (hi = json_hex4(s + 1, n - 1)) < 0)
		return json_fail(p, p->pos - 1, "invalid escape in a string");
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return json_fail(p, p->pos - 1, "\\u escape of a lone low "
		    "surrogate");
	if (hi < 0xd800 || hi > 0xdbff)
		return 5;
	if (n < 11 || s[5] != '\\' || s[6] != 'u' ||
	    (lo = json_hex4(s + 7, n - 7)) < 0xdc00 || lo > 0xdfff)
		return json_fail(p, p->pos - 1, "\\u escape of a high "
		    "surrogate without its low one");
	return 11;
}

/* A string at p->pos (its opening quote): its token, or 0. */
static int
json_string_token(struct json_parser *p)
{
	long i = json_add(p, JSON_STRING);
	size_t start = p->pos, k;
	unsigned char c;

	if (i < 0)
		return 0;
	p->tok[i].start = (uint32_t)++p->pos;
	while (p->pos < p->len) {
		c = p->buf[p->pos];
		if (c == '"') {
			p->tok[i].end = (uint32_t)p->pos++;
			return 1;
		}
		if (c < 0x20)
			return json_fail(p, p->pos, "control character in a "
			    "string (escape it)");
		if (c == '\\') {
			p->pos++;
			if ((k = json_escape(p)) == 0)
				return 0;
		} else if ((k = json_utf8(p->buf + p->pos,
		    p->len - p->pos)) == 0)
			return json_fail(p, p->pos, "invalid UTF-8 in a "
			    "string");
		p->pos += k;
	}
	return json_fail(p, start, "string without its closing quote");
}

/* Digits at p->pos: how many. */
static size_t
json_digits(struct json_parser *p)
{
	size_t n = 0;

	while (p->pos < p->len && p->buf[p->pos] >= '0' &&
	    p->buf[p->pos] <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

/* A number at p->pos: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(struct json_parser *p)
{
	long i = json_add(p, JSON_NUMBER);
	size_t start = p->pos;

	if (i < 0)
		return 0;
	if (p->buf[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->buf[p->pos] == '0')
		p->pos++;
	else if (json_digits(p) == 0)
		return json_fail(p, start, "invalid number");
	if (p->pos < p->len && p->buf[p->pos] == '.') {
		p->pos++;
		if (json_digits(p) == 0)
			return json_fail(p, start, "invalid number");
	}
	if (p->pos < p->len && (p->buf[p->pos] | 0x20) == 'e') {
		p->pos++;
		if (p->pos < p->len && (p->buf[p->pos] == '+' ||
		    p->buf[p->pos] == '-'))
			p->pos++;
		if (json_digits(p) == 0)
			return json_fail(p, start, "invalid number");
	}
	p->tok[i].end = (uint32_t)p->pos;
	return 1;
}

/* true, false or null at p->pos. */
static int
json_literal(struct json_parser *p)
{
	static const struct {
		const char *word;
		enum json_type type;
	} lit[] = { { "true", JSON_TRUE }, { "false", JSON_FALSE },
	    { "null", JSON_NULL } };
	size_t i, n;
	long t;

	for (i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		n = strlen(lit[i].word);
		if (p->len - p->pos < n ||
		    memcmp(p->buf + p->pos, lit[i].word, n) != 0)
			continue;
		if ((t = json_add(p, lit[i].type)) < 0)
			return 0;
		p->pos += n;
		p->tok[t].end = (uint32_t)p->pos;
		return 1;
	}
	return json_fail(p, p->pos, "expected a value (a string, number, "
	    "object, array, true, false or null)");
}

/* '{' or '[' at p->pos: open a container. */
static int
json_open(struct json_parser *p, enum json_type type)
{
	long i;

	if (p->depth == JSON_DEPTH_MAX)
		return json_fail(p, p->pos, "nested too deep");
	if ((i = json_add(p, type)) < 0)
		return 0;
	p->stack[p->depth++] = (uint32_t)i;
	p->pos++;
	p->want = type == JSON_OBJECT ? WANT_KEY_OR_END : WANT_VALUE_OR_END;
	return 1;
}

/* '}' or ']' at p->pos closes the innermost container. */
static void
json_close(struct json_parser *p)
{
	struct json_tok *t = &p->tok[p->stack[--p->depth]];

	t->end = (uint32_t)++p->pos;
	t->next = (uint32_t)p->n;
	json_value_done(p);
}

/* One value at p->pos. */
static int
json_value(struct json_parser *p)
{
	unsigned char c = p->buf[p->pos];
	int ok;

	if (c == '{' || c == '[')
		return json_open(p, c == '{' ? JSON_OBJECT : JSON_ARRAY);
	if (c == '"')
		ok = json_string_token(p);
	else if (c == '-' || (c >= '0' && c <= '9'))
		ok = json_number(p);
	else
		ok = json_literal(p);
	if (ok)
		json_value_done(p);
	return ok;
}

/* A member name at p->pos, in the innermost object. */
static int
json_key(struct json_parser *p)
{
	if (p->buf[p->pos] != '"')
		return json_fail(p, p->pos, "expected a member name in "
		    "double quotes");
	p->tok[p->stack[p->depth - 1]].size++;
	if (!json_string_token(p))
		return 0;
	p->want = WANT_COLON;
	return 1;
}

/* After a value inside a container: ',' or its closing bracket. */
static int
json_comma_or_end(struct json_parser *p)
{
	int object = p->tok[p->stack[p->depth - 1]].type == JSON_OBJECT;
	unsigned char c = p->buf[p->pos];

	if (c == ',') {
		p->pos++;
		p->want = object ? WANT_KEY : WANT_VALUE;
		return 1;
	}
	if (c == (object ? '}' : ']')) {
		json_close(p);
		return 1;
	}
	return json_fail(p, p->pos, object ? "expected ',' or '}' after a "
	    "member" : "expected ',' or ']' after an element");
}

/* One step at the byte p->pos, which is not white space. */
static int
json_step(struct json_parser *p)
{
	unsigned char c = p->buf[p->pos];

	switch (p->want) {
	case WANT_VALUE_OR_END:
		if (c == ']') {
			json_close(p);
			return 1;
		}
		/* FALLTHROUGH */
	case WANT_VALUE:
		return json_value(p);
	case WANT_KEY_OR_END:
		if (c == '}') {
			json_close(p);
			return 1;
		}
		/* FALLTHROUGH */
	case WANT_KEY:
		return json_key(p);
	case WANT_COLON:
		if (c != ':')
			return json_fail(p, p->pos, "expected ':' after a "
			    "member name");
		p->pos++;
		p->want = WANT_VALUE;
		return 1;
	case WANT_COMMA_OR_END:
		return json_comma_or_end(p);
	default:
		return json_fail(p, p->pos, "more after the end of the "
		    "document");
	}
}

/* Parse a whole document; see the file header. */
int
json_parse(const char *buf, size_t len, struct json_tok *tok, size_t max,
    size_t *ntok, struct json_error *e)
{
	struct json_parser p = { .buf = (const unsigned char *)buf,
	    .len = len, .tok = tok, .max = max, .want = WANT_VALUE, .e = e };

	*ntok = 0;
	if (len >= UINT32_MAX)
		return json_fail(&p, 0, "document larger than 4 GiB");
	if (p.max > JSON_TOKENS_MAX)
		p.max = JSON_TOKENS_MAX;
	for (;;) {
		while (p.pos < len && strchr(" \t\r\n", p.buf[p.pos]) != NULL &&
		    p.buf[p.pos] != '\0')
			p.pos++;
		if (p.pos == len)
			break;
		if (!json_step(&p))
			return 0;
	}
	if (p.want != WANT_NOTHING)
		return json_fail(&p, len, p.n == 0 ? "empty document" :
		    "the document ends inside a value");
	*ntok = p.n;
	return 1;
}

/* Append code point cp to out as UTF-8; 0 if it does not fit. */
static int
json_put_utf8(char *out, size_t outsz, size_t *n, unsigned long cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80)
		b[0] = (unsigned char)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (unsigned char)(0xc0 | cp >> 6),
		b[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
	else if (cp < 0x10000)
		b[0] = (unsigned char)(0xe0 | cp >> 12),
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f)),
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)), k = 3;
	else
		b[0] = (unsigned char)(0xf0 | cp >> 18),
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f)),
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f)),
		b[3] = (unsigned char)(0x80 | (cp & 0x3f)), k = 4;
	if (*n + k >= outsz)
		return 0;
	memcpy(out + *n, b, k);
	*n += k;
	return 1;
}

/* The code point of the \u escape(s) at s; *used gets their length. */
static unsigned long
json_unicode(const unsigned char *s, size_t n, size_t *used)
{
	unsigned long hi = (unsigned long)json_hex4(s + 2, n - 2), lo;

	*used = 6;
	if (hi < 0xd800 || hi > 0xdbff)
		return hi;
	lo = (unsigned long)json_hex4(s + 8, n - 8);
	*used = 12;
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

/* Decode string token t of a parsed document into out (NUL-terminated);
 * 0 if it is no string or does not fit in outsz. */
int
json_string_get(const char *buf, const struct json_tok *t, char *out,
    size_t outsz, size_t *outlen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const unsigned char *s = (const unsigned char *)buf + t->start;
	size_t i = 0, n = t->end - t->start, k = 0, used;
	const char *e;

	if (t->type != JSON_STRING || outsz == 0)
		return 0;
	while (i < n) {
		if (s[i] != '\\') {
			if (k + 1 >= outsz)
				return 0;
			out[k++] = (char)s[i++];
		} else if (s[i + 1] == 'u') {
			if (!json_put_utf8(out, outsz, &k,
			    json_unicode(s + i, n - i, &used)))
				return 0;
			i += used;
		} else {
			if (k + 1 >= outsz ||
			    (e = strchr(from, s[i + 1])) == NULL)
				return 0;
			out[k++] = to[e - from];
			i += 2;
		}
	}
	out[k] = '\0';
	if (outlen != NULL)
		*outlen = k;
	return 1;
}

/* Whether string token t decodes to exactly s. */
int
json_string_is(const char *buf, const struct json_tok *t, const char *s)
{
	char tmp[256];
	size_t n;

	return json_string_get(buf, t, tmp, sizeof(tmp), &n) &&
	    n == strlen(s) && memcmp(tmp, s, n) == 0;
}

/* The line and column (from 1; the column in bytes) of offset in buf. */
void
json_position(const char *buf, size_t len, size_t offset, unsigned *line,
    unsigned *column)
{
	size_t i, bol = 0;

	*line = 1;
	if (offset > len)
		offset = len;
	for (i = 0; i < offset; i++)
		if (buf[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	*column = (unsigned)(offset - bol + 1);
}
