/*
 * NAME
 *	t/unit/config - tests for the tlspin.conf parser
 * DESCRIPTION
 *	Every key with good and bad values, comments, continuation lines,
 *	errors that name the file, line and key, and that a bad file leaves
 *	the settings untouched (what a failed reload relies on).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static int
parse(struct config *c, const char *text, char *err, size_t errsz)
{
	config_defaults(c);
	err[0] = '\0';
	return config_parse(c, text, strlen(text), "test.conf", err, errsz);
}

static void
test_good(void)
{
	struct config c;
	char err[CONFIG_ERR_MAX];
	int ok;

	ok = parse(&c, "# a comment\n\n   # indented comment\n"
	    "store = /tmp/store\n"
	    "listen = unix:/tmp/a.sock, inet:127.0.0.1:9999\n"
	    "    inet:[::1]:10000\n"
	    "map_name = tls_policy\nmode = observe\nunix_mode = 0666\n"
	    "unix_group = postfix\nuser = tlspin\nmax_clients = 50\n"
	    "idle_timeout = 2m\nread_timeout = 5s\npostfix_compat = 3.9\n"
	    "debug = yes\n", err, sizeof(err));
	tap_ok(ok, "a file with every key parses%s%s", ok ? "" : ": ", err);
	tap_is_str(c.store, "/tmp/store", "store");
	tap_is_int(c.nlisten, 3, "three listen addresses (one continued)");
	tap_is_str(c.listen[2], "inet:[::1]:10000", "continued address");
	tap_is_str(c.map_name, "tls_policy", "map_name");
	tap_is_int(c.mode, MODE_OBSERVE, "mode");
	tap_is_int(c.unix_mode, 0666, "unix_mode is octal");
	tap_is_str(c.unix_group, "postfix", "unix_group");
	tap_is_str(c.user, "tlspin", "user");
	tap_is_int(c.max_clients, 50, "max_clients");
	tap_is_int((long long)c.idle_timeout, 120, "idle_timeout 2m");
	tap_is_int((long long)c.read_timeout, 5, "read_timeout 5s");
	tap_is_int(c.postfix_compat, 309, "postfix_compat");
	tap_is_int(c.debug, 1, "debug");
	ok = parse(&c, "pidfile = /run/tlspind.pid\n"
	    "log_file = /var/log/tlspind.log\n", err, sizeof(err));
	tap_ok(ok && strcmp(c.pidfile, "/run/tlspind.pid") == 0 &&
	    strcmp(c.log_file, "/var/log/tlspind.log") == 0,
	    "pidfile and log_file%s%s", ok ? "" : ": ", err);
	ok = parse(&c, "log_file = /var/log/x\nlog_file =\n", err,
	    sizeof(err));
	tap_ok(ok && c.log_file[0] == '\0', "an empty log_file unsets it "
	    "(-o log_file= over the file)");
	ok = parse(&c, "mode = observe\nmode = enforce", err, sizeof(err));
	tap_ok(ok && c.mode == MODE_ENFORCE, "later setting wins; no final "
	    "newline needed");
	ok = parse(&c, "store=/x\r\n", err, sizeof(err));
	tap_ok(ok && strcmp(c.store, "/x") == 0, "no spaces, CRLF");
	ok = parse(&c, "listen = unix:/a\n  # a comment inside\n\n"
	    "  inet:127.0.0.1:1\n", err, sizeof(err));
	tap_ok(ok && c.nlisten == 2, "comment and blank lines inside a "
	    "continuation are skipped, the continuation kept");
	ok = parse(&c, "  store = x\n", err, sizeof(err));
	tap_ok(!ok && strstr(err, "line 1: starts with a blank"),
	    "a first line that starts with a blank: %s", err);
	ok = parse(&c, "# only\n  store = x\n", err, sizeof(err));
	tap_ok(!ok && strstr(err, "line 2: starts with a blank"),
	    "an indented line after a comment continues nothing: %s", err);
	ok = parse(&c, "", err, sizeof(err));
	tap_ok(ok && c.mode == MODE_ENFORCE && c.max_clients == 1000 &&
	    strcmp(c.map_name, "policy") == 0, "empty file keeps defaults");
}

static void
bad(const char *text, const char *want)
{
	struct config c;
	char err[CONFIG_ERR_MAX];
	int ok = parse(&c, text, err, sizeof(err));

	tap_ok(!ok && strstr(err, want) != NULL, "rejected with \"%s\": %s",
	    want, err);
}

static void
test_bad(void)
{
	bad("bogus = 1\n", "test.conf, line 1: unknown setting \"bogus\"");
	bad("\n\nmode = maybe\n", "test.conf, line 3: mode = maybe: expected "
	    "enforce or observe");
	bad("store\n", "line 1: expected \"key = value\"");
	bad("store =\n", "store = : value is empty");
	bad("pidfile = run/tlspind.pid\n", "pidfile = run/tlspind.pid: "
	    "expected an absolute path");
	bad("log_file = tlspind.log\n", "expected an absolute path");
	bad("= x\n", "missing or overlong setting name");
	bad("listen = tcp:1.2.3.4:5\n", "expected unix:PATH or inet:HOST:PORT");
	bad("listen = inet:127.0.0.1:0\n", "port from 1 to 65535");
	bad("listen = inet:127.0.0.1:65536\n", "port from 1 to 65535");
	bad("listen = inet:127.0.0.1\n", "port from 1 to 65535");
	bad("listen = ,\n", "value is empty");
	bad("listen = inet:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:25\n", "longer than 107");
	bad("unix_mode = 0999\n", "octal mode");
	bad("unix_mode = 01777\n", "octal mode");
	bad("max_clients = 0\n", "from 1 to 100000");
	bad("max_clients = -5\n", "from 1 to 100000");
	bad("max_clients = 10x\n", "from 1 to 100000");
	bad("max_clients = 99999999999999999999\n", "from 1 to 100000");
	bad("idle_timeout = 0\n", "duration");
	bad("idle_timeout = 5y\n", "duration");
	bad("idle_timeout = 2h\n", "duration");
	bad("read_timeout = s\n", "duration");
	bad("postfix_compat = 4.0\n", "Postfix version");
	bad("map_name = po licy\n", "map name may hold only");
	bad("debug = maybe\n", "yes or no");
	bad("alert_command = tlspin-alert-mail\n", "absolute path of a "
	    "program");
	bad("alert_timeout = 0\n", "1 second to 10 minutes");
	bad("alert_timeout = 11m\n", "1 second to 10 minutes");
	bad("alert_interval = 0\n", "1 second to 30d");
	bad("alert_after = 31d\n", "0s to 30d");
	bad("alert_behind = soon\n", "1 second to 30d");
	{
		static const char nul[] = "mode = enforce\0oops";
		struct config c;
		char err[CONFIG_ERR_MAX];

		config_defaults(&c);
		tap_ok(!config_parse(&c, nul, sizeof(nul) - 1, "test.conf", err,
		    sizeof(err)) && strstr(err, "NUL byte"),
		    "a NUL byte is rejected: %s", err);
	}
}

static void
test_load(void)
{
	struct config c;
	char path[] = "/tmp/tlspin-config-test-XXXXXX", err[CONFIG_ERR_MAX];
	FILE *f;
	int fd;

	config_defaults(&c);
	tap_ok(config_load(&c, "/nonexistent/tlspin.conf", 0, err,
	    sizeof(err)), "a missing default file is not an error");
	tap_ok(!config_load(&c, "/nonexistent/tlspin.conf", 1, err,
	    sizeof(err)) && strstr(err, "/nonexistent/tlspin.conf"),
	    "a missing given file is: %s", err);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("mode = observe\nmax_clients = 7\nidle_timeout = never\n", f);
	fclose(f);
	tap_ok(!config_load(&c, path, 1, err, sizeof(err)) &&
	    strstr(err, ", line 3: idle_timeout"), "bad line 3 reported: %s",
	    err);
	tap_ok(c.mode == MODE_ENFORCE && c.max_clients == 1000,
	    "a bad file leaves the settings untouched");
	unlink(path);
}

static void
test_alert(void)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	tap_is_str(c.alert_command, "", "alert_command: none by default");
	tap_is_int((long long)c.alert_timeout, 10, "alert_timeout 10s");
	tap_is_int((long long)c.alert_interval, 3600, "alert_interval 1h");
	tap_is_int((long long)c.alert_after, 3600, "alert_after 1h");
	tap_is_int((long long)c.alert_behind, 600, "alert_behind 10m");
	tap_ok(parse(&c, "alert_command = /usr/bin/tlspin-alert-mail\n"
	    "alert_timeout = 30s\nalert_interval = 1d\nalert_after = 0\n"
	    "alert_behind = 1h\n", err, sizeof(err)), "alert settings: %s",
	    err);
	tap_is_str(c.alert_command, "/usr/bin/tlspin-alert-mail",
	    "alert_command set");
	tap_is_int((long long)c.alert_timeout, 30, "alert_timeout 30s");
	tap_is_int((long long)c.alert_interval, 86400, "alert_interval 1d");
	tap_is_int((long long)c.alert_after, 0, "alert_after 0");
	tap_is_int((long long)c.alert_behind, 3600, "alert_behind 1h");
	tap_ok(parse(&c, "alert_command =\n", err, sizeof(err)) &&
	    c.alert_command[0] == '\0', "alert_command empty: none");
}

static void
test_duration(void)
{
	uint64_t s = 0;

	tap_ok(config_duration_parse("90", 2, &s) && s == 90, "90 = 90 s");
	tap_ok(config_duration_parse("60d", 3, &s) && s == 60 * 86400,
	    "60d");
	tap_ok(config_duration_parse("2w", 2, &s) && s == 2 * 604800, "2w");
	tap_ok(!config_duration_parse("d", 1, &s), "unit alone is bad");
	tap_ok(!config_duration_parse("1.5h", 4, &s), "fractions are bad");
	tap_ok(!config_duration_parse("9999999999999d", 14, &s),
	    "over 12 digits is bad");
}

int
main(void)
{
	test_good();
	test_bad();
	test_load();
	test_duration();
	test_alert();
	return tap_done();
}
