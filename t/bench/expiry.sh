#!/bin/sh
# t/bench/expiry.sh: the expiry sweep of a big store, and the lookups
# beside it. Not a test (not in make check): "make bench-expiry", or
#
#   TLSPIN=build/tools/tlspin TLSPIND=build/daemon/tlspind \
#   BENCH=build/tools/tlspin-bench MKPINS=build/t/learn/mkpins \
#   t/bench/expiry.sh [PINS]
#
# Writes PINS (default 1,000,000) learned encrypt pins with
# t/learn/mkpins, all past their expiry, starts tlspind (not learning) on
# the store and asks it, with tlspin-bench at concurrency 10 for
# BENCH_DURATION seconds, for random ones of them: once idle, once while
# tlspin learn (on one log line dated after the expiry) expires them all.
# Prints the sweep's time, its peak resident memory (maxrss, which counts
# the store's mapped pages too) and its peak private memory (RssAnon,
# sampled), and the lookups' throughput and latency percentiles of both
# runs: the worst lookup is what a sweep holding LMDB's write lock costs
# the lookups (the lookups' process also takes the write lock to save
# its counters every minute).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
TLSPIN=${TLSPIN:-tlspin}
TLSPIND=${TLSPIND:-tlspind}
BENCH=${BENCH:-tlspin-bench}
MKPINS=${MKPINS:-$here/../../build/t/learn/mkpins}
N=${1:-${EXPIRY_PINS:-1000000}}
D=${BENCH_DURATION:-15}
AS_ROOT=
[ "$(id -u)" -eq 0 ] && AS_ROOT="-o user=root"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-bench-exp.XXXXXX")
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

now=$(date +%s)
t0=$((now - 3 * 86400))
echo "writing $N learned pins that expired two days ago (mkpins)..."
start=$(date +%s.%N)
"$MKPINS" "$work/store" "$N" "$t0" 86400
echo "  $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, store $(du -m "$work/store/data.mdb" | cut -f1) MB"
awk -v n="$N" 'BEGIN { srand(1); for (i = 0; i < 100000; i++) printf "p%d.pins.test\n", int(rand() * n) }' >"$work/keys"
late=$(date -u -d "@$((now - 86400))" +%Y-%m-%dT%H:%M:%S.000000+00:00)
{
	echo "$late mx postfix/smtp[3001]: Trusted TLS connection established to mx.late.test[192.0.2.25]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
	echo "$late mx postfix/smtp[3001]: 1ABCDEA: to=<u@late.test>, relay=mx.late.test[192.0.2.25]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
} >"$work/late.log"

"$TLSPIND" --foreground -c /dev/null $AS_ROOT --store "$work/store" \
	--listen "unix:$work/sock" -o log_source=none 2>>"$work/daemon.log" &
daemon=$!
i=0
while [ ! -S "$work/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

bench() {
	"$BENCH" -s "$work/sock" -c 10 -d "$D" -w 1 -k "$work/keys" -o random \
		--kv
}
row() {	# row NAME KV
	echo "$2" | tr ' ' '\n' | awk -F= -v name="$1" '
		{ v[$1] = $2 }
		END { printf "%-10s %10.0f %9s %9s %9s %9s\n", name, v["rps"],
		    v["p50_us"], v["p99_us"], v["p999_us"], v["max_us"] }'
}

idle=$(bench)

bench >"$work/busy" &
bpid=$!
sleep 1	# the bench's warmup
start=$(date +%s.%N)
"$TLSPIN" --store "$work/store" -c /dev/null learn "$work/late.log" \
	>"$work/learn.out" 2>&1 &
lpid=$!
peak=0
hwm=0
while kill -0 $lpid 2>/dev/null; do
	a=$(awk '/^RssAnon/ { print $2 }' /proc/$lpid/status 2>/dev/null || true)
	h=$(awk '/^VmHWM/ { print $2 }' /proc/$lpid/status 2>/dev/null || true)
	[ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
	[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	sleep 0.01
done
wait $lpid || echo "tlspin learn failed: $(tail -1 "$work/learn.out")"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
wait $bpid
busy=$(cat "$work/busy")

echo
echo "sweep: $(grep -o 'expired [0-9]*' "$work/learn.out" | head -1) pins in $took s;" \
	"peak RssAnon $((peak / 1024)) MB, VmHWM $((hwm / 1024)) MB (sampled every 10 ms)"
echo
printf "%-10s %10s %9s %9s %9s %9s\n" "sweep" "lookups/s" "p50 us" \
	"p99 us" "p99.9 us" "max us"
row idle "$idle"
row expiring "$busy"
