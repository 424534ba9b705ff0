#!/bin/sh
# t/bench/learn.sh: how fast "tlspin learn" reads Postfix logs, and in how
# much memory. Not a test (not in make check): run it by hand or with
# "make bench-learn" (LEARN_LINES=N to change the size).
#
#   TLSPIN=build/tools/tlspin t/bench/learn.sh [LINES]
#
# Generates LINES (default 1,000,000) lines of mixed Postfix 3.7 traffic
# over 10k domains with t/learn/genlog, then times tlspin learn on a fresh
# store: the plain file, the same file gzip'd, and the plain file again
# (already learned: it should only check its position). For each it prints
# wall time, lines/s and peak RSS (GNU time's %M when /usr/bin/time is
# GNU time, else the VmHWM of /proc/PID/status polled every 20 ms, which
# can miss a peak in the last 20 ms).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GENLOG=${GENLOG:-$here/../learn/genlog}
TLSPIN=${TLSPIN:-tlspin}
N=${1:-${LEARN_LINES:-1000000}}

work=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-bench-learn.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

ms() { date +%s%N | cut -c1-13; }

if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
	rss_how="GNU time %M"
else
	rss_how="VmHWM polled every 20 ms"
fi

# run STORE FILE...: learn; sets WALL (ms) and RSS (kB); fails on exit != 0.
run() {
	_store=$1
	shift
	t0=$(ms)
	if [ "$rss_how" = "GNU time %M" ]; then
		/usr/bin/time -f %M -o "$work/rss" "$TLSPIN" --store "$_store" \
			-c /dev/null learn "$@" >"$work/out" 2>"$work/err" ||
			{ cat "$work/err" >&2; exit 1; }
		RSS=$(tail -n 1 "$work/rss")
	else
		"$TLSPIN" --store "$_store" -c /dev/null learn "$@" \
			>"$work/out" 2>"$work/err" &
		pid=$!
		RSS=0
		while kill -0 "$pid" 2>/dev/null; do
			h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
			[ -n "$h" ] && RSS=$h
			sleep 0.02
		done
		wait "$pid" || { cat "$work/err" >&2; exit 1; }
	fi
	WALL=$(($(ms) - t0))
}

# report WHAT: one line of the table.
report() {
	awk -v what="$1" -v n="$N" -v ms="$WALL" -v rss="$RSS" 'BEGIN {
		s = ms / 1000
		printf "%-28s %8.2f s %12.0f lines/s %8.1f MB\n", what, s,
		    (s > 0 ? n / s : 0), rss / 1024 }'
}

echo "generating $N lines (t/learn/genlog bulk $N --long-ids)..."
t0=$(ms)
"$GENLOG" bulk "$N" --long-ids --seed 1 --expect "$work/expect" >"$work/bulk.log"
gen=$(($(ms) - t0))
gzip -c "$work/bulk.log" >"$work/bulk.log.gz"
size=$(($(wc -c <"$work/bulk.log") / 1048576))
gzsize=$(($(wc -c <"$work/bulk.log.gz") / 1048576))
domains=$(grep -vc ' absent$' "$work/expect" || true)
echo "log: $N lines, $size MB ($gzsize MB gzip'd), $domains domains with deliveries; generated in $((gen / 1000)) s"
echo "tlspin: $TLSPIN; peak RSS by $rss_how"
echo
printf "%-28s %10s %20s %11s\n" "" "wall" "rate" "peak RSS"
run "$work/s1" "$work/bulk.log"
report "plain file, fresh store"
echo "  summary: $(tr '\n' ' ' <"$work/out" | cut -c1-200)"
run "$work/s2" "$work/bulk.log.gz"
report "gzip'd file, fresh store"
run "$work/s1" "$work/bulk.log"
report "plain file, already learned"
echo
echo "store: $(du -sk "$work/s1" 2>/dev/null | cut -f1) kB on disk"
