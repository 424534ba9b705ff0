# t/integration/lib.sh: shared helpers for the integration tests (TAP).
#
# Each test sources this file, gets a private temp directory ($T), can
# start tlspind on a temp store and socket with readiness read from a
# NOTIFY_SOCKET it listens on, and asks it questions with the real
# Postfix client (postmap -q ... socketmap:...). Everything started is
# stopped, by pid, when the test exits.

set -u
TLSPIND=${TLSPIND:-$abs_top_builddir/daemon/tlspind}
TLSPIN=${TLSPIN:-$abs_top_builddir/tools/tlspin}
POSTMAP=${POSTMAP:-postmap}
[ -n "$POSTMAP" ] || POSTMAP=postmap

T=$(mktemp -d /tmp/tlspin-test.XXXXXX)
STORE=$T/store
SOCK=$T/tlspin.sock
PFCONF=$T/postfix
mkdir -p "$PFCONF"
: > "$PFCONF/main.cf"	# postmap needs a main.cf, nothing in it
DAEMON_PID=
NOTIFY_PID=
NOTIFY_LOG=
# tlspind refuses to run as root unless told to: tests run as root in CI
AS_ROOT=
[ "$(id -u)" -eq 0 ] && AS_ROOT="-o user=root"
tap_n=0
tap_failed=0

lib_cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	[ -n "$NOTIFY_PID" ] && kill "$NOTIFY_PID" 2>/dev/null
	wait 2>/dev/null
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap lib_cleanup EXIT

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; printf 'got:  "%s"\nwant: "%s"\n' "$1" "$2" | diag
	fi
}

like() {	# like GOT SUBSTRING DESCRIPTION
	case $1 in
	*"$2"*) ok 0 "$3" ;;
	*) ok 1 "$3"; printf '"%s"\ndoes not contain "%s"\n' "$1" "$2" | diag ;;
	esac
}

diag() { sed 's/^/# /'; }	# TAP diagnostics: every line commented

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

need() {	# need PROGRAM...: skip the whole test if one is missing
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p is not installed"
	done
}

# wait_for COMMAND...: poll up to 10 s for COMMAND to succeed; run again
# at each poll, so a condition goes in a function (or sh -c '...'), not
# in a "$(...)" that the shell expands once, before wait_for starts.
# Its status is the test's to check (ok $? ...): a timeout is a failure.
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "# wait_for: still false after 10 s: $*"
	return 1
}

# notify_listen FILE: collect sd_notify datagrams into FILE.
notify_listen() {
	NOTIFY=$T/notify.sock
	NOTIFY_LOG=$1
	: > "$1"
	socat -u UNIX-RECV:"$NOTIFY" OPEN:"$1",append &
	NOTIFY_PID=$!
	wait_for test -S "$NOTIFY"
	chmod a+w "$NOTIFY"	# a daemon that switched user still reports
}

# start_daemon [ARGS...]: run tlspind on $STORE and $SOCK, wait for READY=1.
# It does not learn (the machine's journal is not the test's business)
# unless ARGS say otherwise with -o log_source=... , and does not probe
# (-o probe=yes to).
start_daemon() {
	notify_listen "$T/notify.log"
	NOTIFY_SOCKET=$NOTIFY "$TLSPIND" --foreground -c /dev/null \
		--store "$STORE" --listen "unix:$SOCK" -o log_source=none -o probe=no $AS_ROOT "$@" \
		2>>"$T/daemon.log" &
	DAEMON_PID=$!
	wait_for grep -q READY=1 "$T/notify.log"
}

stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	DAEMON_STATUS=$?
	DAEMON_PID=
	# a daemon that said READY=1 and stopped cleanly said STOPPING=1 on
	# its way out: let the listener write it down before it goes
	if [ "$DAEMON_STATUS" -eq 0 ] && grep -q READY=1 "$NOTIFY_LOG" 2>/dev/null; then
		wait_for grep -q STOPPING=1 "$NOTIFY_LOG" >/dev/null
	fi
	kill "$NOTIFY_PID" 2>/dev/null
	wait "$NOTIFY_PID" 2>/dev/null
	NOTIFY_PID=
}

# pm KEY [MAP]: ask like Postfix; sets PM_OUT, PM_ERR, PM_RC.
pm() {
	PM_OUT=$("$POSTMAP" -c "$PFCONF" -q "$1" \
		"socketmap:unix:$SOCK:${2:-policy}" 2>"$T/pm.err")
	PM_RC=$?
	PM_ERR=$(cat "$T/pm.err")
}

# raw BYTES: send bytes to the daemon, print what comes back.
raw() {
	printf '%s' "$1" | socat -t2 - UNIX-CONNECT:"$SOCK" 2>/dev/null
}

ns() { printf '%d:%s,' "${#1}" "$1"; }	# ns TEXT: TEXT as a netstring

pin() { "$TLSPIN" --store "$STORE" pin "$@" >/dev/null; }
