/* json.h: write JSON strings, read JSON documents (see json.c). */
#ifndef TLSPIN_JSON_H
#define TLSPIN_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 64		/* arrays and objects inside each other */
#define JSON_TOKENS_MAX (1u << 20)	/* values in one document */

enum json_type {
	JSON_OBJECT = 1,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};

/*
 * One value of a document, in document order. A string's bytes are
 * inside the quotes, still escaped (json_string_get() decodes them); an
 * object holds size members, each a string token (the name) followed by
 * its value; an array holds size values. next is the index of the token
 * after this value and everything inside it.
 */
struct json_tok {
	uint8_t type;		/* enum json_type */
	uint32_t start, end;	/* [start, end) in the document */
	uint32_t size;		/* members or elements */
	uint32_t next;
};

/* Why a document was refused, and the byte where. */
struct json_error {
	size_t offset;
	const char *what;
};

void json_string(FILE *f, const char *s);
int json_parse(const char *buf, size_t len, struct json_tok *tok,
    size_t max, size_t *ntok, struct json_error *e);
int json_string_get(const char *buf, const struct json_tok *t, char *out,
    size_t outsz, size_t *outlen);
int json_string_is(const char *buf, const struct json_tok *t,
    const char *s);
void json_position(const char *buf, size_t len, size_t offset,
    unsigned *line, unsigned *column);

#endif
