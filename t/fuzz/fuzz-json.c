/*
 * NAME
 *	fuzz-json - fuzz target for the JSON reader
 * SYNOPSIS
 *	fuzz-json [libFuzzer options] [CORPUS...]
 * DESCRIPTION
 *	tlspin import --format starttls-everywhere reads a JSON file from
 *	the Internet with json_parse() (daemon/base/json.c). The input is
 *	the document, in an exactly sized buffer with no NUL after it, read
 *	into an exactly sized token array. What must hold, besides not
 *	reading past either:
 *
 *	- a refusal has a reason and an offset inside the document (or at
 *	  its end), and json_position() gives a line and column from 1;
 *	- an accepted document's tokens lie inside it, in order, the first
 *	  spans them all (next == ntok), and each container's children,
 *	  walked by next, are exactly its size (twice as many tokens, name
 *	  and value, for an object) and end where it does;
 *	- each string decodes (json_string_get) into as many bytes as its
 *	  escaped form at most, and no more than that fits one byte less;
 *	- with one token fewer allowed, the same document is refused;
 *	- written out again (names and strings with json_string(), numbers
 *	  and literals as they were), it parses to the same structure:
 *	  types and sizes, token for token.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "check.h"

#define T "fuzz-json"
#define FUZZ_TOKENS 4096

/* The children of container i, walked by next, match its size and end. */
static void
fuzz_json_children(const struct json_tok *tok, size_t i)
{
	size_t k, j = i + 1, want = tok[i].size;

	if (tok[i].type == JSON_OBJECT)
		want *= 2;
	for (k = 0; k < want; k++) {
		check_that(j < tok[i].next, T, "a child lies inside its "
		    "container");
		check_that(tok[j].start >= tok[i].start &&
		    tok[j].end <= tok[i].end, T, "a child's bytes lie inside "
		    "its container's");
		if (tok[i].type == JSON_OBJECT && k % 2 == 0)
			check_that(tok[j].type == JSON_STRING, T, "a member "
			    "name is a string");
		j = tok[j].next;
	}
	check_that(j == tok[i].next, T, "a container's children end where "
	    "it does");
}

/* Each string decodes, within its escaped size. */
static void
fuzz_json_string(const char *doc, const struct json_tok *t)
{
	size_t raw = t->end - t->start, n = 0;
	char *out = check_alloc(raw + 1);

	check_that(json_string_get(doc, t, out, raw + 1, &n), T,
	    "a string decodes into its escaped size");
	check_that(n <= raw && out[n] == '\0', T, "and is NUL-terminated "
	    "within it");
	if (n > 0)
		check_that(!json_string_get(doc, t, out, n, NULL), T,
		    "a buffer one byte short is refused");
	free(out);
}

/* Write the document back out from its tokens. */
static void
fuzz_json_write(FILE *f, const char *doc, const struct json_tok *tok,
    size_t i)
{
	size_t k, j = i + 1, n;
	char *s;

	switch (tok[i].type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		fputc(tok[i].type == JSON_OBJECT ? '{' : '[', f);
		n = tok[i].size * (tok[i].type == JSON_OBJECT ? 2 : 1);
		for (k = 0; k < n; k++) {
			if (k > 0)
				fputc(tok[i].type == JSON_OBJECT && k % 2 ?
				    ':' : ',', f);
			fuzz_json_write(f, doc, tok, j);
			j = tok[j].next;
		}
		fputc(tok[i].type == JSON_OBJECT ? '}' : ']', f);
		break;
	case JSON_STRING:
		s = check_alloc(tok[i].end - tok[i].start + 1);
		(void)json_string_get(doc, &tok[i], s,
		    tok[i].end - tok[i].start + 1, NULL);
		json_string(f, s);
		free(s);
		break;
	default:
		fwrite(doc + tok[i].start, 1, tok[i].end - tok[i].start, f);
		break;
	}
}

/* Written out and read again: the same structure. */
static void
fuzz_json_again(const char *doc, const struct json_tok *tok, size_t ntok)
{
	struct json_tok *again = check_alloc(ntok * sizeof(*again));
	struct json_error e;
	char *text = NULL;
	size_t len = 0, n = 0, i;
	FILE *f = open_memstream(&text, &len);

	check_that(f != NULL, T, "open_memstream works");
	fuzz_json_write(f, doc, tok, 0);
	fclose(f);
	check_that(json_parse(text, len, again, ntok, &n, &e) && n == ntok, T,
	    "the document written out again parses to as many tokens");
	for (i = 0; i < ntok; i++)
		check_that(again[i].type == tok[i].type &&
		    again[i].size == tok[i].size &&
		    again[i].next == tok[i].next, T,
		    "with the same types, sizes and nesting");
	free(text);
	free(again);
}

/* An accepted document's properties. */
static void
fuzz_json_accepted(const char *doc, size_t size, struct json_tok *tok,
    size_t ntok)
{
	struct json_error e;
	size_t i, n;

	check_that(ntok >= 1 && tok[0].next == ntok, T, "the first token "
	    "spans them all");
	for (i = 0; i < ntok; i++) {
		check_that(tok[i].start <= tok[i].end && tok[i].end <= size &&
		    tok[i].next > i && tok[i].next <= ntok, T,
		    "a token lies inside the document");
		check_that(i == 0 || tok[i].start >= tok[i - 1].start, T,
		    "tokens are in document order");
		if (tok[i].type == JSON_OBJECT || tok[i].type == JSON_ARRAY)
			fuzz_json_children(tok, i);
		else
			check_that(tok[i].next == i + 1, T, "a scalar holds "
			    "nothing");
		if (tok[i].type == JSON_STRING)
			fuzz_json_string(doc, &tok[i]);
	}
	fuzz_json_again(doc, tok, ntok);
	/* last: it overwrites tok */
	check_that(!json_parse(doc, size, tok, ntok - 1, &n, &e) &&
	    strcmp(e.what, "too many values") == 0, T,
	    "one token fewer is refused as too many values");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct json_tok *tok = check_alloc(FUZZ_TOKENS * sizeof(*tok));
	struct json_error e = { 0, NULL };
	const char *doc = (const char *)data;
	unsigned line = 0, col = 0;
	size_t ntok = 0;

	if (json_parse(doc, size, tok, FUZZ_TOKENS, &ntok, &e))
		fuzz_json_accepted(doc, size, tok, ntok);
	else {
		check_that(e.what != NULL && e.what[0] != '\0', T,
		    "a refusal has a reason");
		check_that(e.offset <= size, T, "at an offset in the document");
		json_position(doc, size, e.offset, &line, &col);
		check_that(line >= 1 && col >= 1, T, "a line and a column "
		    "from 1");
	}
	free(tok);
	return 0;
}
