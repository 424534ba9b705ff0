#!/bin/sh
# t/bench/import-lookups.sh: do lookups wait while "tlspin import" holds
# LMDB's write lock? Not a test (not in make check): "make
# bench-import-lookups", or by hand:
#
#   TLSPIND=build/daemon/tlspind TLSPIN=build/tools/tlspin \
#   BENCH=build/tools/tlspin-bench t/bench/import-lookups.sh [ENTRIES]
#
# Generates a tls_policy file of ENTRIES lines (default 10,000,000),
# starts tlspind on a new store and asks it, with tlspin-bench at
# concurrency 10 (10 smtp processes), 1000 of the file's domains in
# random order:
#   idle    for BENCH_DURATION seconds (default 10), nothing else running;
#   import  while "tlspin import" of the whole file runs again and again
#           for at least IMPORT_SECONDS (default 65), so that a
#           once-a-minute job of the daemon falls inside an import.
# Each import is one LMDB write transaction: it holds the write lock
# from its first line to its commit. Prints each import's rate and the
# lookup throughput and latency percentiles of both phases; the worst
# lookup (max) is the figure that matters: a lookup process that waited
# for the write lock shows it as a max of seconds.
set -eu
TLSPIND=${TLSPIND:-tlspind}
TLSPIN=${TLSPIN:-tlspin}
BENCH=${BENCH:-tlspin-bench}
N=${1:-${IMPORT_ENTRIES:-10000000}}
D=${BENCH_DURATION:-10}
IMPORT_SECONDS=${IMPORT_SECONDS:-65}
# tlspind refuses to run as root unless told to (user = root)
AS_ROOT=
[ "$(id -u)" -eq 0 ] && AS_ROOT="-o user=root"

work=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-bench-il.XXXXXX")
daemon=
bench=
cleanup() {
	[ -n "$bench" ] && kill "$bench" 2>/dev/null && wait "$bench" 2>/dev/null
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

now_ms() { date +%s%3N; }

echo "generating $N tls_policy lines..."
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "d%09d.example encrypt\n", i }' >"$work/policy"
awk -v n="$N" 'BEGIN { for (i = 0; i < 1000; i++)
	printf "d%09d.example\n", int(i * n / 1000) }' >"$work/keys"

"$TLSPIND" --foreground -c /dev/null $AS_ROOT --store "$work/store" \
	--listen "unix:$work/sock" -o log_source=none -o probe=no \
	2>>"$work/daemon.log" &
daemon=$!
i=0
while [ ! -S "$work/sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$work/sock" ] || { echo "tlspind did not start:"; cat "$work/daemon.log"; exit 1; }

bench_args="-s $work/sock -c 10 -k $work/keys -o random -t 600 --kv"

row() {	# row NAME KV
	echo "$2" | tr ' ' '\n' | awk -F= -v name="$1" '
		{ v[$1] = $2 }
		END { printf "%-8s %10.0f %9s %9s %9s %11s %7s\n", name, v["rps"],
		    v["p50_us"], v["p99_us"], v["p999_us"], v["max_us"],
		    v["errors"] }'
}

idle=$("$BENCH" $bench_args -d "$D" -w 1)

"$BENCH" $bench_args -d 100000 >"$work/bench.out" &
bench=$!
sleep 1	# the bench is connected and asking
start=$(now_ms)
runs=0
while :; do
	t0=$(now_ms)
	"$TLSPIN" --store "$work/store" import "$work/policy" >/dev/null
	t1=$(now_ms)
	runs=$((runs + 1))
	echo "import $runs: $N entries in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s," \
	    "$((N * 1000 / (t1 - t0 + 1))) entries/s"
	[ $((t1 - start)) -lt $((IMPORT_SECONDS * 1000)) ] || break
done
kill -TERM "$bench"
wait "$bench" || true
bench=
busy=$(cat "$work/bench.out")

echo
printf "%-8s %10s %9s %9s %9s %11s %7s\n" "lookups" "per s" "p50 us" \
	"p99 us" "p99.9 us" "max us" "errors"
row idle "$idle"
row import "$busy"
echo
echo "store: $(du -sh "$work/store" | cut -f1) after $runs imports of $N entries"
