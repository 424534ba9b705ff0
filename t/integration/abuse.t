#!/bin/sh
# abuse.t: clients that misbehave on purpose (t/integration/abuse), each
# phase while tlspin-bench plays the honest Postfix clients beside them:
# 5000 connections at once and 1000 more over max_clients (refused with
# TEMP and closed, the held ones still served), a reconnecting refusal
# storm, slowloris and idle connections (dropped after read_timeout and
# idle_timeout), oversized netstring lengths, 10 MB of garbage, 10 MB of
# framed junk, half-closed sockets, clients that never read their
# replies, and running out of file descriptors below max_clients.
#
# Asserted: every honest request got its OK and none failed, each abuse
# ended the way the server promises, the daemon's RssAnon stayed under
# 16 MB (not under sanitizers), and it logged the refusals a few times,
# not once per refusal. Latencies are printed ("# abuse: ..."), never
# asserted: a shared machine makes them noise.
. "$abs_top_srcdir/t/integration/lib.sh"
need socat
ABUSE=${ABUSE:-$abs_top_builddir/t/integration/abuse}
BENCH=${BENCH:-$abs_top_builddir/tools/tlspin-bench}
[ -x "$ABUSE" ] || skip_all "$ABUSE is not built"
[ -x "$BENCH" ] || skip_all "$BENCH is not built"

HOLD=5000		# connections held at once
MAX=$((HOLD + 10))	# max_clients: room for 5 bench connections and 5 more
MB10=10485760
RSS_MAX_KB=16384
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((HOLD + 300)) ] ||
	skip_all "$HOLD connections need an open-file hard limit over $((HOLD + 300)) (ulimit -Hn is $hard)"
# as on a stock system: tlspind must raise its soft limit to max_clients
ulimit -Sn 1024
START=$(date +%s)

note() { echo "# abuse: $*"; }
check() { if eval "$2"; then ok 0 "$1"; else ok 1 "$1"; fi; }	# check DESC SH-CONDITION
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n 1; }	# kv FIELD LINE

# rss_check PHASE WHEN: print the daemon's VmRSS and RssAnon (kB) and
# bound RssAnon
rss_check() {
	set -- "$1" "$2" $(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
		END { print r + 0, a + 0 }' "/proc/$DAEMON_PID/status")
	ANON_KB=$4
	note "$1: $2: VmRSS=${3}kB RssAnon=${4}kB"
	if [ -n "$SANITIZED" ]; then
		ok 0 "# SKIP $1: RssAnon bound ($2): sanitizers own the heap"
	else
		check "$1: RssAnon ${ANON_KB} kB < $RSS_MAX_KB kB ($2)" \
			'[ "$ANON_KB" -lt "$RSS_MAX_KB" ]'
	fi
}
fds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
fds_below() { [ "$(fds)" -lt "$1" ]; }	# for wait_for
fds_over() { [ "$(fds)" -gt "$1" ]; }

# bench_start NAME [SECONDS]: the honest clients, 5 connections asking
# for the pinned good.test, in the background
bench_start() {
	"$BENCH" --socket "$SOCK" --key good.test --concurrency 5 \
		--duration "${2:-3}" --timeout 5 --expect ok --kv \
		>"$T/$1.bench" 2>"$T/$1.bench.err" &
	BENCH_PID=$!
}
# bench_check NAME: they were all answered OK; print their latencies
bench_check() {
	wait "$BENCH_PID"
	brc=$?
	b=$(cat "$T/$1.bench")
	check "$1: other clients: only OK replies, no errors" \
		'[ $brc -eq 0 ] && [ "$(kv errors "$b")" = 0 ] &&
		[ "$(kv mismatched "$b")" = 0 ] && [ "$(kv ok "$b")" -gt 0 ] &&
		[ "$(kv ok "$b")" = "$(kv requests "$b")" ]'
	[ $brc -eq 0 ] || diag < "$T/$1.bench.err"
	note "$1: other clients: requests=$(kv requests "$b")" \
		"errors=$(kv errors "$b") p50_us=$(kv p50_us "$b")" \
		"p99_us=$(kv p99_us "$b") max_us=$(kv max_us "$b")"
}
# all_lines FILE ERE: FILE has lines and every one matches ERE
all_lines() { [ -s "$1" ] && ! grep -Evq "$2" "$1"; }
# awk: exit 0 if on every "abuse framed" line all requests were answered
FRAMED_OK='{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["replies"] != v["requests"] || v["ok"] != v["valid"] ||
	    v["ok"] + v["notfound"] != v["replies"] || v["closed"] != 0 ||
	    v["sent"] < B)
		bad++
} END { exit bad > 0 }'

pin good.test --level encrypt
start_daemon -o max_clients=$MAX -o idle_timeout=60s -o read_timeout=2s
ok $? "tlspind started, max_clients = $MAX"
SANITIZED=
grep -q 'lib[at]san' "/proc/$DAEMON_PID/maps" && SANITIZED=1

# --- quiet baseline -------------------------------------------------------
rss_check quiet before
bench_start quiet
bench_check quiet
rss_check quiet after

# --- 5000 connections, then 1000 over max_clients ---------------------------
# hold_line KEY: wait (30 s at most) for the hold client's KEY= line
hold_line() {
	i=0
	while ! grep -q "^$1=" "$T/hold.out" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
fds0=$(fds)
mkfifo "$T/hold.in"
"$ABUSE" hold $HOLD good.test "$SOCK" <"$T/hold.in" >"$T/hold.out" 2>&1 &
HOLD_PID=$!
exec 3>"$T/hold.in"
hold_line held
h=$(grep '^held=' "$T/hold.out")
note "hold: $h"
check "hold: $HOLD connections accepted and answered" \
	'[ "$(kv held "$h")" = $HOLD ] && [ "$(kv refused "$h")" = 0 ] &&
	[ "$(kv hung "$h")" = 0 ] && [ "$(kv connect_failed "$h")" = 0 ]'
nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$DAEMON_PID/limits")
check "hold: tlspind raised its open-file limit from 1024 to $nofile" \
	'[ "$nofile" -ge $MAX ]'
rss_check hold "$HOLD held"
bench_start hold 4
i=0
while [ "$(fds)" -lt $((fds0 + HOLD + 5)) ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
r=$("$ABUSE" hold 1000 good.test "$SOCK" </dev/null)
note "over max_clients: $r"
check "over max_clients: 5 get the last places, 995 get TEMP" \
	'[ "$(kv held "$r")" = 5 ] && [ "$(kv refused "$r")" = 995 ]'
check "over max_clients: every refused one is closed, none hangs" \
	'[ "$(kv refused_closed "$r")" = 995 ] && [ "$(kv hung "$r")" = 0 ] &&
	[ "$(kv dropped "$r")" = 0 ] && [ "$(kv bad "$r")" = 0 ]'
# a client that reconnects each refused connection at once, for 2 s
"$BENCH" --socket "$SOCK" --key good.test --idle 1000 --duration 2 \
	--timeout 5 --kv >"$T/storm.bench" 2>/dev/null &
STORM_PID=$!
wait "$STORM_PID"
storm=$(kv idle_reopened "$(cat "$T/storm.bench")")
note "refusal storm: idle_reopened=$storm"
check "refusal storm: the client was refused and reconnected" '[ "${storm:-0}" -gt 0 ]'
rss_check hold "$HOLD held, after a refusal storm"
bench_check hold
echo >&3
hold_line served
s=$(grep '^served=' "$T/hold.out")
note "hold after the refusals: $s"
check "hold: all $HOLD held connections are still served" \
	'[ "$(kv served "$s")" = $HOLD ] && [ "$(kv failed "$s")" = 0 ] &&
	[ "$(kv lost "$s")" = 0 ]'
exec 3>&-
wait "$HOLD_PID"
refusals=$(grep -c 'refused a connection' "$T/daemon.log")
note "hold: 'refused a connection' logged $refusals times"
check "refusals are logged a few times, not once each" '[ "$refusals" -ge 1 ] && [ "$refusals" -le 3 ]'
wait_for fds_below $((fds0 + 6))
check "hold: every held connection is closed" '[ $? -eq 0 ]'
rss_check hold "after, connections closed"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind exits 0 after the hold phase"

# --- slowloris and idle connections ----------------------------------------
start_daemon -o max_clients=$MAX -o idle_timeout=2s -o read_timeout=2s
rss_check timeouts before
fds1=$(fds)
bench_start timeouts 4
"$ABUSE" slowloris 500 good.test "$SOCK" >"$T/slow.out" &
SLOW_PID=$!
"$ABUSE" idle 500 "$SOCK" >"$T/idle.out" &
IDLE_PID=$!
wait_for fds_over $((fds1 + 5 + 999))	# the bench's 5 and the 1000
check "timeouts: the 1000 slow or idle connections are open" '[ $? -eq 0 ]'
rss_check timeouts "1000 slow or idle connections"
wait "$SLOW_PID" "$IDLE_PID"
s=$(cat "$T/slow.out")
note "slowloris (1 byte/s, read_timeout 2s): $s"
check "slowloris: every connection dropped, none answered" \
	'[ "$(kv dropped "$s")" = 500 ] && [ "$(kv alive "$s")" = 0 ] &&
	[ "$(kv answered "$s")" = 0 ] && [ "$(kv connect_failed "$s")" = 0 ]'
# lower bounds only, and loose: tlspind stamps a connection with the time
# its loop woke up, which can be a little before the client connected
check "slowloris: dropped by read_timeout, not at once" '[ "$(kv min_ms "$s")" -ge 1000 ]'
s=$(cat "$T/idle.out")
note "idle (idle_timeout 2s): $s"
check "idle: every connection dropped" \
	'[ "$(kv dropped "$s")" = 500 ] && [ "$(kv alive "$s")" = 0 ] &&
	[ "$(kv connect_failed "$s")" = 0 ]'
check "idle: dropped by idle_timeout, not at once" '[ "$(kv min_ms "$s")" -ge 1000 ]'
bench_check timeouts
rss_check timeouts after

# --- bad framing, garbage, half-closed sockets -------------------------------
bench_start framing
rounds=0
while [ ! -s "$T/framing.bench" ] && [ $rounds -lt 1000 ]; do
	"$ABUSE" bigprefix "$SOCK" >>"$T/bigprefix.out"
	"$ABUSE" garbage $MB10 "$SOCK" >>"$T/garbage.out"
	"$ABUSE" framed $MB10 good.test "$SOCK" >>"$T/framed.out"
	"$ABUSE" halfclose 1000 good.test "$SOCK" >>"$T/halfclose.out"
	[ $rounds -eq 0 ] && rss_check framing "abuse running"
	rounds=$((rounds + 1))
done
note "framing: $rounds rounds during the 3 s of other clients"
note "bigprefix: $(tail -n 1 "$T/bigprefix.out")"
check "oversized lengths: PERM and closed at once, the largest valid one answered" \
	'all_lines "$T/bigprefix.out" "huge=PERM/closed .*wrap=PERM/closed .*over=PERM/closed .*max=NOTFOUND/open"'
note "garbage: $(tail -n 1 "$T/garbage.out")"
check "10 MB of garbage: PERM, closed, the rest never read" \
	'all_lines "$T/garbage.out" "^bytes=$MB10 sent=[0-9]{1,7} reply=PERM replies=1 closed=1 "'
f=$(tail -n 1 "$T/framed.out")
note "framed: $f"
check "10 MB of framed junk: every request answered, every valid one OK" \
	'[ -s "$T/framed.out" ] && awk -v B=$MB10 "$FRAMED_OK" "$T/framed.out"'
note "halfclose: $(tail -n 1 "$T/halfclose.out")"
check "half-closed after 1000 requests: 1000 OK, then closed" \
	'all_lines "$T/halfclose.out" "^requests=1000 replies=1000 ok=1000 closed=1 "'
check "half-closed inside a request: the whole ones answered, then closed" \
	'all_lines "$T/halfclose.out" " partial_replies=1000 partial_ok=1000 partial_closed=1 "'
bench_check framing
rss_check framing after

# --- clients that never read their replies ----------------------------------
fds1=$(fds)
bench_start noread
"$ABUSE" noread 200 good.test "$SOCK" >"$T/noread.out" &
NOREAD_PID=$!
wait_for fds_over $((fds1 + 5 + 199))
check "noread: the 200 connections are open" '[ $? -eq 0 ]'
rss_check noread "200 connections not reading"
wait "$NOREAD_PID"
s=$(cat "$T/noread.out")
note "noread (read_timeout 2s): $s"
check "noread: the server stops reading (under 16 MB taken from one)" \
	'[ "$(kv unbounded "$s")" = 0 ] && [ "$(kv sent_max "$s")" -lt 16777216 ]'
check "noread: every connection closed after read_timeout" \
	'[ "$(kv closed "$s")" = 200 ] && [ "$(kv open "$s")" = 0 ] &&
	[ "$(kv connect_failed "$s")" = 0 ]'
bench_check noread
rss_check noread after

# --- out of file descriptors below max_clients ------------------------------
if command -v prlimit >/dev/null 2>&1; then
	lim=$(($(fds) + 300))
	prlimit --pid "$DAEMON_PID" --nofile=$lim:$lim
	r=$("$ABUSE" hold 1000 good.test "$SOCK" </dev/null)
	note "open-file limit $lim: $r"
	check "out of descriptors: the clients over it get TEMP and are closed, none hangs" \
		'[ "$(kv held "$r")" -ge 250 ] && [ "$(kv refused "$r")" -ge 600 ] &&
		[ "$(kv refused_closed "$r")" = "$(kv refused "$r")" ] &&
		[ $(($(kv held "$r") + $(kv refused "$r"))) = 1000 ] &&
		[ "$(kv hung "$r")" = 0 ]'
	like "$(cat "$T/daemon.log")" "(out of file descriptors: raise the open-file limit)" \
		"and the log says why"
	wait_for fds_below $((lim - 250))
	check "out of descriptors: the held connections are closed" '[ $? -eq 0 ]'
	bench_start fdlimit 1
	bench_check fdlimit
else
	ok 0 "# SKIP out of descriptors: prlimit is not installed"
	ok 0 "# SKIP out of descriptors: log"
	ok 0 "# SKIP out of descriptors: closed"
	ok 0 "# SKIP out of descriptors: other clients"
fi

stop_daemon
is "$DAEMON_STATUS" 0 "tlspind exits 0 after all that"
lines=$(wc -l <"$T/daemon.log")
note "daemon.log: $lines lines in all; test took $(($(date +%s) - START)) s"
check "the log stays short ($lines lines)" '[ "$lines" -le 40 ]'
[ "$tap_failed" -eq 0 ] || diag <"$T/daemon.log"
done_testing
