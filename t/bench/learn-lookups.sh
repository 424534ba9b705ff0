#!/bin/sh
# t/bench/learn-lookups.sh: does learning slow the lookup path? Not a test
# (not in make check): "make bench-learn-lookups", or by hand:
#
#   TLSPIND=build/daemon/tlspind BENCH=build/tools/tlspin-bench \
#   GENLOG=t/learn/genlog t/bench/learn-lookups.sh [LINES]
#
# Runs tlspind twice on the same store and asks it, with tlspin-bench at
# concurrency 10 (10 smtp processes) for BENCH_DURATION seconds, the
# domains of a generated log, in random order:
#   idle      the learner follows an empty log file;
#   learning  the learner follows a log that a writer fills with LINES
#             lines (default 1,000,000) of generated Postfix traffic over
#             the same seconds, in 50 slices, while the lookups run.
# Prints throughput and latency percentiles for both, the lines the
# learner got through and its CPU time. The learner is a child process
# with its own LMDB write transactions; the lookups share only LMDB's
# MVCC pages with it, so the two rows should match within noise.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GENLOG=${GENLOG:-$here/../learn/genlog}
TLSPIND=${TLSPIND:-tlspind}
BENCH=${BENCH:-tlspin-bench}
N=${1:-${LEARN_LINES:-1000000}}
D=${BENCH_DURATION:-10}
# tlspind refuses to run as root unless told to (user = root)
AS_ROOT=
[ "$(id -u)" -eq 0 ] && AS_ROOT="-o user=root"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-bench-ll.XXXXXX")
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

echo "generating $N lines (t/learn/genlog bulk $N)..."
"$GENLOG" bulk "$N" --seed 1 --expect "$work/expect" >"$work/bulk.log"
awk '{ print $1 }' "$work/expect" >"$work/keys"
split -n l/50 -d -a 2 "$work/bulk.log" "$work/slice."
echo "keys: $(wc -l <"$work/keys") domains of the log"

# start LOG: tlspind learning from LOG; sets daemon.
start() {
	rm -f "$work/sock"
	"$TLSPIND" --foreground -c /dev/null $AS_ROOT --store "$work/store" \
		--listen "unix:$work/sock" -o "log_source=file:$1" \
		-o pin_min_span=0s 2>>"$work/daemon.log" &
	daemon=$!
	i=0
	while [ ! -S "$work/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.5
}

stop() {
	kill "$daemon"
	wait "$daemon" 2>/dev/null || true
	daemon=
}

# learner_cpu: user+sys seconds of tlspind's child (the learner).
learner_cpu() {
	pid=$(pgrep -P "$daemon" -x tlspind-learn | head -1)
	[ -n "$pid" ] || { echo "?"; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	    "/proc/$pid/stat"
}

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

: >"$work/empty.log"
start "$work/empty.log"
idle=$(bench)
stop

: >"$work/grow.log"
start "$work/grow.log"
(
	sleep 1	# the bench's warmup
	for f in "$work"/slice.*; do
		cat "$f" >>"$work/grow.log"
		sleep "$(awk -v d="$D" 'BEGIN { print d / 50 }')"
	done
) &
writer=$!
busy=$(bench)
wait "$writer"
cpu=$(learner_cpu)
sleep 2
learned=$(grep -c '' "$work/grow.log")
stop

echo
printf "%-10s %10s %9s %9s %9s %9s\n" "learner" "lookups/s" "p50 us" \
	"p99 us" "p99.9 us" "max us"
row idle "$idle"
row learning "$busy"
echo
echo "while learning: the writer appended $learned lines in ${D} s; learner CPU ${cpu} s"
