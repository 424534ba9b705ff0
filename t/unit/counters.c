/*
 * NAME
 *	t/unit/counters - tests for tlspind's counters file
 * DESCRIPTION
 *	counters_check() takes lines "name=value\n" with a name of a-z and _
 *	and a printable ASCII value, and refuses a line cut short, a line
 *	with no "=", a control byte or escape in a value, other bytes in a
 *	name and more than COUNTERS_MAX bytes. counters_save() and
 *	counters_load() round-trip through a real file in a temporary
 *	directory, replacing it whole; a missing file is COUNTERS_ABSENT, a
 *	damaged one or one larger than the caller's buffer COUNTERS_ERROR
 *	with the path in the message, and a store directory that is missing
 *	fails the save with the path named.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "tap.h"

static const char TEXT[] = "saved=1795000000\nmode=enforce\nclients=2\n"
    "requests=10\nok=7\nnotfound=3\n";

/* 1 if counters_check accepts the NUL-terminated s. */
static int
check(const char *s)
{
	const char *why = NULL;

	return counters_check(s, strlen(s), &why);
}

static void
test_check(void)
{
	char big[COUNTERS_MAX + 2];
	const char *why = NULL;
	size_t i;

	tap_ok(check(TEXT), "the daemon's text is accepted");
	tap_ok(check(""), "an empty file is accepted (nothing to show)");
	tap_ok(check("a_b=x y-z:1\n"), "a value is any printable ASCII");
	tap_ok(check("ok=\n"), "an empty value is accepted");
	tap_ok(!check("requests=10"), "a last line with no newline is refused");
	tap_ok(!check("requests\n"), "a line with no = is refused");
	tap_ok(!check("=10\n"), "a line with no name is refused");
	tap_ok(!check("\n"), "an empty line is refused");
	tap_ok(!check("Requests=1\n"), "an upper-case name is refused");
	tap_ok(!check("mode=\033[2J\n"), "an escape in a value is refused");
	tap_ok(!check("mode=a\tb\n"), "a tab in a value is refused");
	tap_ok(!check("mode=\xc3\xa9\n"), "a byte over 0x7e is refused");
	tap_ok(counters_check("ok=1\n\0", 6, &why) == 0,
	    "a NUL byte is refused");
	for (i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = 'a';
		big[i + 1] = '=';
	}
	big[sizeof(big) - 1] = '\n';
	why = NULL;
	tap_ok(!counters_check(big, sizeof(big), &why) && why != NULL,
	    "more than COUNTERS_MAX bytes is refused, with a reason");
}

/* Write len bytes of s to dir/COUNTERS_FILE directly. */
static void
put_raw(const char *dir, const char *s, size_t len)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, COUNTERS_FILE);
	f = fopen(path, "w");
	if (f == NULL || fwrite(s, 1, len, f) != len || fclose(f) != 0)
		tap_ok(0, "cannot write %s", path);
}

static void
test_files(const char *dir)
{
	char buf[COUNTERS_MAX + 1], small[5], err[512], missing[4200];
	size_t len = 99;

	tap_is_int(counters_load(dir, buf, sizeof(buf), &len, err,
	    sizeof(err)), COUNTERS_ABSENT, "no file: absent");
	tap_is_int((long long)len, 0, "absent: length 0");
	tap_is_str(buf, "", "absent: an empty string");
	tap_ok(counters_save(dir, TEXT, strlen(TEXT), err, sizeof(err)),
	    "save");
	tap_is_int(counters_load(dir, buf, sizeof(buf), &len, err,
	    sizeof(err)), COUNTERS_OK, "load after save");
	tap_is_str(buf, TEXT, "what was saved is read back");
	tap_is_int((long long)len, (long long)strlen(TEXT), "and its length");
	tap_ok(counters_save(dir, "ok=1\n", 5, err, sizeof(err)) &&
	    counters_load(dir, buf, sizeof(buf), &len, err, sizeof(err)) ==
	    COUNTERS_OK && strcmp(buf, "ok=1\n") == 0,
	    "a shorter save replaces the file whole");
	snprintf(missing, sizeof(missing), "%s/%s.tmp", dir, COUNTERS_FILE);
	tap_ok(access(missing, F_OK) != 0, "no temporary file is left");
	tap_is_int(counters_load(dir, small, sizeof(small), &len, err,
	    sizeof(err)), COUNTERS_ERROR, "a buffer that cannot hold it and a NUL: error");
	put_raw(dir, "ok=1\nmode=\033[2J", 15);
	tap_is_int(counters_load(dir, buf, sizeof(buf), &len, err,
	    sizeof(err)), COUNTERS_ERROR, "a damaged file: error");
	tap_ok(strstr(err, COUNTERS_FILE " is damaged") != NULL &&
	    strstr(err, "remove it") != NULL,
	    "names the file and what to do: %s", err);
	snprintf(missing, sizeof(missing), "%s/no/such/dir", dir);
	tap_ok(!counters_save(missing, TEXT, strlen(TEXT), err, sizeof(err)) &&
	    strstr(err, missing) != NULL, "a save to a missing directory "
	    "fails and names it: %s", err);
}

int
main(void)
{
	char dir[] = "/tmp/tlspin-counters.XXXXXX", path[4200];

	test_check();
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp: cannot make a temporary directory");
		return tap_done();
	}
	test_files(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, COUNTERS_FILE);
	(void)unlink(path);
	(void)rmdir(dir);
	return tap_done();
}
