#!/bin/sh
# SIGHUP re-reads tlspin.conf: a good file takes effect (RELOADING=1 then
# READY=1), a bad one is reported and the running settings stay. Observe
# mode answers NOTFOUND and counts what it would have said.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat jq

pin r.test --level secure --match mx.r.test
CONF=$T/tlspin.conf
printf 'store = %s\nlisten = unix:%s\nmode = enforce\nlog_source = none\n' "$STORE" "$SOCK" > "$CONF"
notify_listen "$T/notify.log"
NOTIFY_SOCKET=$NOTIFY "$TLSPIND" --foreground -c "$CONF" $AS_ROOT 2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_for grep -q READY=1 "$T/notify.log"; ok $? "started from a config file"
pm r.test;	is "$PM_OUT" "secure match=mx.r.test" "enforce: the pin is answered"

sed -i 's/mode = enforce/mode = observe/' "$CONF"
kill -HUP "$DAEMON_PID"
wait_for grep -q "reloaded $CONF: mode = observe" "$T/daemon.log"; ok $? "SIGHUP reloads"
grep -q RELOADING=1 "$T/notify.log"; ok $? "RELOADING=1 sent"
pm r.test;	is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "observe: NOTFOUND for a pinned domain"

printf 'mode = enforce\nmax_clients = lots\n' >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_for grep -q "reload failed, keeping the running settings" "$T/daemon.log"
ok $? "a bad file is reported"
like "$(cat "$T/daemon.log")" "tlspin.conf, line 6: max_clients = lots: expected a number" "naming file, line and key"
pm r.test;	is "$PM_OUT/$PM_RC" "/1" "the old settings (observe) stay"

sed -i '/max_clients = lots/d' "$CONF"
printf 'listen = unix:%s/other.sock\n' "$T" >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_for grep -q "reloaded $CONF: mode = enforce" "$T/daemon.log"; ok $? "fixed file reloads"
like "$(cat "$T/daemon.log")" "restart tlspind to apply them" "a listen change says it needs a restart"
pm r.test;	is "$PM_OUT" "secure match=mx.r.test" "enforce again"

kill -USR1 "$DAEMON_PID"
wait_for grep -q "observed=2" "$T/daemon.log"; ok $? "SIGUSR1 logs counters, observe counted both"
stop_daemon
is "$DAEMON_STATUS" 0 "stops cleanly"
out=$("$TLSPIN" --store "$STORE" stats --json)
is "$(echo "$out" | jq .daemon.replies.observed)" 2 "counters are saved in the store for tlspin stats"
is "$(echo "$out" | jq .daemon.requests)" 4 "every request counted"
done_testing
