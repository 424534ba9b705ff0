#!/bin/sh
# soak.sh: "make bench-soak".  tlspind answers for SOAK_DURATION seconds
# (default 600) while 50 connections churn (each reconnects every 100
# requests, as Postfix's connections age out) and 100 idle ones sit open;
# RssAnon is sampled every SOAK_INTERVAL seconds.  Fails when RssAnon at
# the end exceeds its value after the first minute by more than
# SOAK_TOLERANCE_KB (default 256): a leak per connection or per request
# shows up as steady growth over the churn of ~hundreds of thousands of
# connections.

. "${BENCH_LIB:-$(dirname "$0")/lib.sh}"
: "${SOAK_DURATION:=600}"
: "${SOAK_INTERVAL:=30}"
: "${SOAK_TOLERANCE_KB:=256}"
: "${SOAK_SIZE:=100000}"
: "${SOAK_CONCURRENCY:=50}"
: "${SOAK_CHURN:=100}"

for prog in "$BENCH" "$TLSPIND" "$TLSPIN"; do
	[ -x "$prog" ] || bench_die "$prog is not built (run make first)"
done
bench_setup
W=$BENCH_WORK

echo "log_source = none" > "$W/tlspin.conf"	# lookups only
bench_gen_policies "$SOAK_SIZE" "$W/policies"
bench_gen_keys d "$SOAK_SIZE" "$W/hits"
"$TLSPIN" --store "$W/store" -c "$W/tlspin.conf" import "$W/policies" >"$W/import.log" 2>&1 \
	|| { cat "$W/import.log" >&2; bench_die "tlspin import failed"; }

bench_start tlspind "$TLSPIND" --foreground -c "$W/tlspin.conf" $AS_ROOT --store "$W/store" \
	--listen "unix:$W/tlspind.sock"
pid=$server_pid
bench_wait_ready "$W/tlspind.sock" "$pid" tlspind

# shellcheck disable=SC2046
$(bench_pin "$CLIENT_CPU") "$BENCH" --socket "$W/tlspind.sock" --concurrency "$SOAK_CONCURRENCY" \
	--idle 100 --churn "$SOAK_CHURN" --duration "$SOAK_DURATION" --keys "$W/hits" \
	--order zipf --expect ok --kv >"$W/soak.out" 2>"$W/soak.err" &
client=$!
bench_pids="$bench_pids $client"

echo "## Soak: ${SOAK_DURATION} s, $SOAK_CONCURRENCY connections reconnecting every $SOAK_CHURN requests, 100 idle, $SOAK_SIZE domains"
echo
echo "| t (s) | VmRSS kB | RssAnon kB | server CPU s |"
echo "|---:|---:|---:|---:|"
start=$(date +%s)
base=
last=
while kill -0 "$client" 2>/dev/null; do
	sleep "$SOAK_INTERVAL"
	kill -0 "$pid" 2>/dev/null || bench_die "tlspind died during the soak (log: $W/tlspind.log)"
	t=$(( $(date +%s) - start ))
	anon=$(proc_kb "$pid" RssAnon)
	echo "| $t | $(proc_kb "$pid" VmRSS) | $anon | $(awk -v t="$(proc_ticks "$pid")" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", t / hz}') |"
	[ -z "$base" ] && [ "$t" -ge 60 ] && base=$anon
	last=$anon
done
wait "$client"
rc=$?
echo
line=$(cat "$W/soak.out")
echo "- client: $(kv_get "$line" requests) requests, $(kv_get "$line" rps) req/s, p99 $(kv_get "$line" p99_us) us, max $(kv_get "$line" max_us) us, $(kv_get "$line" reconnects) reconnects, errors $(kv_get "$line" errors), not OK $(kv_get "$line" mismatched)"
[ -z "$base" ] && base=$last
growth=$(( ${last:-0} - ${base:-0} ))
echo "- RssAnon after the first minute: $base kB; at the end: $last kB; growth $growth kB (tolerance $SOAK_TOLERANCE_KB kB)"
status=0
if [ $rc -ne 0 ]; then
	echo "- FAIL: tlspin-bench exited $rc: $(tail -n 2 "$W/soak.err" | tr '\n' ' ')"
	status=1
fi
if [ "$growth" -gt "$SOAK_TOLERANCE_KB" ]; then
	echo "- FAIL: RssAnon grew by $growth kB"
	status=1
fi
[ $status -eq 0 ] && echo "- PASS"
exit $status
