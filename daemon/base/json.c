/*
 * NAME
 *	json - escape strings for the CLI's --json output
 * SYNOPSIS
 *	#include "json.h"
 *
 *	void json_string(f, s)
 * DESCRIPTION
 *	Writes s as a quoted JSON string: quote, backslash and control
 *	characters escaped, bytes >= 0x80 written as \u00XX so the output is
 *	valid JSON whatever a record or note holds.
 */
#include "autoconf.h"

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
