#!/bin/sh
# Postfix's own socketmap client (postmap -q) against a running tlspind:
# exact values for pins, exit 1 for unknown keys, [host]:port and case,
# parent-dot keys, PERM for garbage while the daemon keeps serving.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat

pin good.test --level secure --match mx.good.test
pin enc.test --level encrypt --expires 30d
pin .sub.test --level encrypt
pin broken.test --level none --note "their TLS is broken"
pin old.test --level encrypt --expires 1s
start_daemon
ok $? "tlspind reports READY=1 on NOTIFY_SOCKET"

pm good.test;		is "$PM_OUT/$PM_RC" "secure match=mx.good.test/0" "pinned domain returns the exact value"
pm enc.test;		is "$PM_OUT/$PM_RC" "encrypt/0" "encrypt pin"
pm GOOD.Test;		is "$PM_OUT/$PM_RC" "secure match=mx.good.test/0" "mixed case key"
pm '[good.test]:25';	is "$PM_OUT/$PM_RC" "secure match=mx.good.test/0" "[host]:port key"
pm '[good.test]';	is "$PM_OUT/$PM_RC" "secure match=mx.good.test/0" "[host] key"
pm broken.test;		is "$PM_OUT/$PM_RC" "none/0" "explicit none exception"
pm unknown.test;	is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "unknown domain: exit 1, nothing on stderr"
pm .good.test;		is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "parent-dot key of a plain pin is NOTFOUND"
pm .sub.test;		is "$PM_OUT/$PM_RC" "encrypt/0" "parent-dot key pinned on purpose answers"
pm x.sub.test;		is "$PM_OUT/$PM_RC" "/1" "subdomain itself is not the parent pin"
pm 'bad..name';		is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "invalid name is NOTFOUND"
# the pin of old.test lasts 1 s: poll until it has expired
notfound() { pm "$1"; [ "$PM_OUT/$PM_RC/$PM_ERR" = "/1/" ]; }
wait_for notfound old.test;	ok $? "expired pin is NOTFOUND"
pm good.test other;	is "$PM_RC" 1 "unknown map name fails the query"
like "$PM_ERR" "permanent error: unknown map name" "unknown map name is PERM"

out=$(printf 'good.test\nunknown.test\nenc.test\n' | "$POSTMAP" -c "$PFCONF" -q - "socketmap:unix:$SOCK:policy")
is "$out" "$(printf 'good.test\tsecure match=mx.good.test\nenc.test\tencrypt')" "many keys on one connection"

is "$(raw '8:nospacex,')" "$(ns 'PERM malformed request: expected "MAP KEY"')" "request without a key gets PERM"
is "$(raw 'xyz')" "$(ns 'PERM netstring does not start with a digit')" "garbled netstring gets PERM"
is "$(raw '99999:')" "$(ns 'PERM netstring length over the limit')" "oversized length gets PERM before any body"
is "$(raw '5:abc')" "" "truncated request: no reply, connection closed by the client"
is "$(raw '16:policy good.test;')" "$(ns "PERM netstring not terminated by ','")" "missing comma gets PERM"
is "$(raw '16:policy good.test,16:policy good.test,')" "$(ns 'OK secure match=mx.good.test')$(ns 'OK secure match=mx.good.test')" "pipelined requests both answered"
is "$(raw '18:nomap unknown.test,')" "$(ns 'PERM unknown map name (tlspind answers map_name from tlspin.conf)')" "unknown map gets PERM"
pm good.test;		is "$PM_OUT/$PM_RC" "secure match=mx.good.test/0" "daemon still serves the next client after garbage"
kill -0 "$DAEMON_PID";	ok $? "daemon is still running"

stop_daemon
is "$DAEMON_STATUS" 0 "SIGTERM stops it with status 0"
grep -q STOPPING=1 "$T/notify.log"; ok $? "STOPPING=1 sent"
test ! -e "$SOCK"; ok $? "socket removed on stop"
done_testing
