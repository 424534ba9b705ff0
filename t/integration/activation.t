#!/bin/sh
# How tlspind starts: systemd socket activation (LISTEN_FDS), readiness
# and watchdog on NOTIFY_SOCKET, detaching without --foreground (and
# failing loudly when the detached daemon cannot start), --check-config.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat systemd-socket-activate

pin act.test --level encrypt
notify_listen "$T/notify.log"
systemd-socket-activate -l "$SOCK" -E NOTIFY_SOCKET="$NOTIFY" \
	-E WATCHDOG_USEC=200000 \
	"$TLSPIND" --foreground -c /dev/null -o log_source=none $AS_ROOT --store "$STORE" \
	2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_for test -S "$SOCK"; ok $? "systemd-socket-activate listens"
pm act.test;	is "$PM_OUT/$PM_RC" "encrypt/0" "socket-activated tlspind answers"
like "$(cat "$T/daemon.log")" "on sockets from systemd" "it used the passed socket"
wait_for grep -q READY=1 "$T/notify.log"; ok $? "READY=1 sent"
wait_for grep -q WATCHDOG=1 "$T/notify.log"; ok $? "WATCHDOG=1 sent when WATCHDOG_USEC is set"
stop_daemon
is "$DAEMON_STATUS" 0 "stops cleanly"

# detached start
SOCK=$T/detached.sock
"$TLSPIND" -c /dev/null -o log_source=none $AS_ROOT --store "$STORE" --listen "unix:$SOCK" 2>"$T/err"
is "$?" 0 "without --foreground it detaches and exits 0 once ready"
pm act.test;	is "$PM_OUT/$PM_RC" "encrypt/0" "the detached daemon answers"
pid=$(pgrep -f "listen unix:$SOCK" | head -1)
[ -n "$pid" ] && kill "$pid"
wait_for sh -c "! kill -0 $pid"; ok $? "detached daemon stops on SIGTERM"

mkdir "$T/notasocket"
"$TLSPIND" -c /dev/null -o log_source=none $AS_ROOT --store "$STORE" --listen "unix:$T/notasocket" 2>"$T/err"
is "$?" 1 "a detached start that cannot listen exits 1"
like "$(cat "$T/err")" "a file that is not a socket is in the way" "and prints why"

start_daemon
"$TLSPIND" --foreground -c /dev/null -o log_source=none $AS_ROOT --store "$STORE" --listen "unix:$SOCK" 2>"$T/err"
is "$?" 1 "a second daemon on the same socket refuses to start"
like "$(cat "$T/err")" "another tlspind answers there" "and says so"
pm act.test;	is "$PM_OUT" "encrypt" "the first one keeps answering"
stop_daemon

printf 'mode = observe\nmax_clients = 5\n' > "$T/c.conf"
out=$("$TLSPIND" -c "$T/c.conf" --check-config)
like "$out" "mode = observe" "--check-config prints the settings"
like "$out" "max_clients = 5" "from the file"
"$TLSPIND" -c "$T/missing.conf" --check-config 2>"$T/err"
is "$?" 1 "a missing -c file is an error"
like "$(cat "$T/err")" "cannot open config file $T/missing.conf" "naming the file"
# privileges: root without "user" is refused; with it, tlspind switches
# to that user and keeps none of root's groups
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	SOCK=$T/priv.sock
	"$TLSPIND" --foreground -c /dev/null -o log_source=none --store "$STORE" \
		--listen "unix:$SOCK" 2>"$T/err"
	is "$?" 1 "as root without user: refuses to start"
	like "$(cat "$T/err")" "refusing to run as root: set user = tlspin" "and says what to set"
	chown -R nobody "$STORE"
	chmod 711 "$T"
	start_daemon -o user=nobody
	ok $? "as root with user = nobody: starts" || diag <"$T/daemon.log"
	pm act.test;	is "$PM_OUT/$PM_RC" "encrypt/0" "and answers from the store nobody owns"
	uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' "/proc/$DAEMON_PID/status")
	nuid=$(id -u nobody)
	is "$uid" "$nuid/$nuid/$nuid/$nuid" "real, effective, saved and fs uid are nobody's"
	want=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')
	got=$(awk '/^Groups:/ {for (i = 2; i <= NF; i++) print $i}' \
		"/proc/$DAEMON_PID/status" | sort -n | tr '\n' ' ')
	case " $got " in *" 0 "*) rootgrp=yes ;; *) rootgrp=no ;; esac
	is "$rootgrp" no "no root group left among the supplementary groups"
	ok "$([ "$got" = "$want" ] || [ -z "$got" ]; echo $?)" "only nobody's own groups ($want)"
	stop_daemon
fi

"$TLSPIND" --bogus 2>/dev/null; is "$?" 2 "unknown option: exit 2"
"$TLSPIND" --help | grep -q -- --check-config; ok $? "--help lists the options"
done_testing
