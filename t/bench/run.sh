#!/bin/sh
# run.sh: "make bench".  Builds stores of generated domains, runs tlspind
# on one core and tlspin-bench on the other, and prints, as Markdown for
# the README: throughput and latency at concurrency 1/10/50/100 next to
# the echo ceiling and (when installed) postfix-mta-sts-resolver, the
# daemon's CPU and memory, latency against store size, latency while the
# store is written, and with 1000 idle connections; then the targets as
# ratios measured in this same run.
#
# Settings (environment): BENCH_DURATION (5 s per point), BENCH_WARMUP (1),
# BENCH_REPEAT (3 runs per point, the median is shown),
# BENCH_CONCURRENCY ("1 10 50 100"), BENCH_SIZES ("1000 100000 1000000"),
# BENCH_10M=1 (add a 10M-domain store: slow), BENCH_MTA_STS=0 (skip the
# resolver), BENCH_PIN=0 (no taskset), BENCH_QUIET_PCT / BENCH_QUIET_WAIT
# (wait for a quiet machine before each point), BENCH_WORK (work dir),
# BENCH_KEEP=1 (keep it).

. "${BENCH_LIB:-$(dirname "$0")/lib.sh}"
: "${BENCH_CONCURRENCY:=1 10 50 100}"
: "${BENCH_SIZES:=1000 100000 1000000}"
[ "${BENCH_10M:-0}" = 1 ] && BENCH_SIZES="$BENCH_SIZES 10000000"
: "${BENCH_REPEAT:=3}"
MAIN_SIZE=100000	# the store of the main table

for prog in "$BENCH" "$BENCH_ECHO" "$TLSPIND" "$TLSPIN"; do
	[ -x "$prog" ] || bench_die "$prog is not built (run make first)"
done
[ -n "$BENCH_SAN_CFLAGS" ] && bench_log "WARNING: built with sanitizers ($BENCH_SAN_CFLAGS): figures are not meaningful; configure without --enable-sanitizers"
bench_setup
W=$BENCH_WORK
CONF=$W/tlspin.conf
# 1000 idle connections + 10 busy ones are more than tlspind's default
# max_clients (1000), which refuses the rest: raise it for this.
printf "max_clients = 2000\nlog_source = none\n" >"$CONF"

# --- stores ----------------------------------------------------------------
# One store per size; the import time is part of the report.
build_store() {
	size=$1
	bench_gen_policies "$size" "$W/policies.$size"
	bench_gen_keys d "$size" "$W/hits.$size"
	t0=$(now_s)
	"$TLSPIN" --store "$W/store.$size" -c "$CONF" import "$W/policies.$size" \
		>"$W/import.$size.log" 2>&1 || {
		cat "$W/import.$size.log" >&2
		bench_die "tlspin import of $size domains failed"
	}
	t1=$(now_s)
	printf '%s\t%s\t%s\n' "$size" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')" \
		"$(du -k "$W/store.$size/data.mdb" | awk '{printf "%.1f", $1 / 1024}')" >>"$W/stores"
	rm -f "$W/policies.$size"
	bench_log "store of $size domains built"
}

for size in $BENCH_SIZES; do
	build_store "$size"
done
case " $BENCH_SIZES " in
*" $MAIN_SIZE "*) ;;
*) build_store "$MAIN_SIZE" ;;
esac
bench_gen_misses "$MAIN_SIZE" "$W/misses"

# start_tlspind SIZE: tlspind on the store of SIZE domains, socket
# tlspind.SIZE.sock; sets tlspind_pid.
start_tlspind() {
	rm -f "$W/tlspind.$1.sock"
	bench_start "tlspind.$1" "$TLSPIND" --foreground -c "$CONF" $AS_ROOT \
		--store "$W/store.$1" --listen "unix:$W/tlspind.$1.sock"
	tlspind_pid=$server_pid
	bench_wait_ready "$W/tlspind.$1.sock" "$tlspind_pid" "tlspind.$1"
}

# Servers that are compared run side by side on the server core (only
# the one being measured is busy) and their points alternate, repeated
# BENCH_REPEAT times, so that a slow moment of a shared machine hits
# all of them; tables show the median run and the range.
rm -f "$W/echo.sock"
bench_start echo "$BENCH_ECHO" --listen "unix:$W/echo.sock"
echo_pid=$server_pid
bench_wait_ready "$W/echo.sock" "$echo_pid" echo
start_tlspind "$MAIN_SIZE"
main_pid=$tlspind_pid
MAIN_SOCK=$W/tlspind.$MAIN_SIZE.sock

# --- echo ceiling, tlspind pinned and unknown domains ------------------------
for conc in $BENCH_CONCURRENCY; do
	rep=0
	while [ $rep -lt "$BENCH_REPEAT" ]; do
		bench_point echo "$echo_pid" "echo (ceiling)" - --socket "$W/echo.sock" \
			--concurrency "$conc" --keys "$W/hits.$MAIN_SIZE" --order random --expect ok
		bench_point hit "$main_pid" "tlspind, pinned" "$MAIN_SIZE" --socket "$MAIN_SOCK" \
			--concurrency "$conc" --keys "$W/hits.$MAIN_SIZE" --order random --expect ok
		bench_point miss "$main_pid" "tlspind, unknown" "$MAIN_SIZE" --socket "$MAIN_SOCK" \
			--concurrency "$conc" --keys "$W/misses" --order random --expect notfound
		rep=$((rep + 1))
	done
done
main_anon=$(proc_kb "$main_pid" RssAnon)

# --- 1000 idle connections ---------------------------------------------------
rep=0
while [ $rep -lt "$BENCH_REPEAT" ]; do
	bench_point base10 "$main_pid" "tlspind, pinned" "$MAIN_SIZE" --socket "$MAIN_SOCK" \
		--concurrency 10 --keys "$W/hits.$MAIN_SIZE" --order random --expect ok
	bench_point idle "$main_pid" "tlspind, pinned, +1000 idle conns" "$MAIN_SIZE" \
		--socket "$MAIN_SOCK" --concurrency 10 --idle 1000 \
		--keys "$W/hits.$MAIN_SIZE" --order random --expect ok
	rep=$((rep + 1))
done
bench_stop "$echo_pid"

# --- store size: one daemon per store, points alternate ----------------------
size_pids=
for size in $BENCH_SIZES; do
	if [ "$size" = "$MAIN_SIZE" ]; then
		size_pids="$size_pids $main_pid"
	else
		start_tlspind "$size"
		size_pids="$size_pids $tlspind_pid"
	fi
done
for conc in 1 10; do
	rep=0
	while [ $rep -lt "$BENCH_REPEAT" ]; do
		set -- $size_pids
		for size in $BENCH_SIZES; do
			bench_point "size$conc" "$1" "tlspind, pinned" "$size" --socket "$W/tlspind.$size.sock" \
				--concurrency "$conc" --keys "$W/hits.$size" --order random --expect ok
			shift
		done
		rep=$((rep + 1))
	done
done
for spid in $size_pids; do
	[ "$spid" = "$main_pid" ] || bench_stop "$spid"
done

# --- while the store is written ------------------------------------------------
# "tlspin learn" is the real writer; until it exists, "tlspin import" of
# new domains into the store being read stands in for it.
if "$TLSPIN" --help 2>&1 | grep -q '^ *learn '; then
	WRITER=learn
	awk -v n=200000 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "Nov 23 08:30:%02d mx postfix/smtp[%d]: Trusted TLS connection established to mx1.w%d.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n", i % 60, 1000 + i % 100, i
			printf "Nov 23 08:30:%02d mx postfix/smtp[%d]: %05X%d: to=<u@w%d.example>, relay=mx1.w%d.example[192.0.2.1]:25, delay=0.5, delays=0.01/0/0.3/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n", i % 60, 1000 + i % 100, i, i, i, i
		}
	}' >"$W/writer.input"
else
	WRITER=import
	awk -v n=1000000 'BEGIN { for (i = 1; i <= n; i++) printf "w%d.example encrypt\n", i }' >"$W/writer.input"
fi
: >"$W/writer.runs"
write_s=0
rep=0
while [ $rep -lt "$BENCH_REPEAT" ]; do
	bench_point quiet "$main_pid" "tlspind, pinned, store quiet" "$MAIN_SIZE" --socket "$MAIN_SOCK" \
		--concurrency 10 --keys "$W/hits.$MAIN_SIZE" --order random --expect ok
	# The writer loops until the point is over, then finishes its run.
	rm -f "$W/writer.stop"
	(
		while [ ! -e "$W/writer.stop" ]; do
			ws=$(now_s)
			"$TLSPIN" --store "$W/store.$MAIN_SIZE" -c "$CONF" $WRITER "$W/writer.input" \
				>>"$W/writer.log" 2>&1 || { echo "writer failed" >>"$W/writer.log"; break; }
			echo "$ws $(now_s)" >>"$W/writer.runs"
		done
	) &
	writer_pid=$!
	bench_pids="$bench_pids $writer_pid"
	bench_point write "$main_pid" "tlspind, pinned, while tlspin $WRITER writes" "$MAIN_SIZE" \
		--socket "$MAIN_SOCK" --concurrency 10 --keys "$W/hits.$MAIN_SIZE" --order random --expect ok
	touch "$W/writer.stop"
	bench_wait_gone "$writer_pid" 600
	rep=$((rep + 1))
done
grep -q "writer failed" "$W/writer.log" 2>/dev/null && bench_log "the writer failed: $(tail -n 3 "$W/writer.log")"
writer_runs=$(wc -l <"$W/writer.runs")
writer_avg=$(awk '{ t += $2 - $1 } END { if (NR) printf "%.1f", t / NR; else print "-" }' "$W/writer.runs")
bench_stop "$main_pid"

# --- postfix-mta-sts-resolver ------------------------------------------------------
MTA_NOTE=
if [ "${BENCH_MTA_STS:-1}" = 0 ]; then
	MTA_NOTE="skipped (BENCH_MTA_STS=0)"
elif ! command -v mta-sts-daemon >/dev/null 2>&1; then
	MTA_NOTE="skipped: postfix-mta-sts-resolver is not installed (apt-get install postfix-mta-sts-resolver)"
else
	. "$(dirname "$BENCH_LIB")/mta-sts.sh"
	mta_sts_run "$MAIN_SIZE"
fi

# --- report ------------------------------------------------------------------------
writer_lines=$(wc -l <"$W/writer.input")
bench_machine >"$W/machine.md"
state() {	# state NAME: save a variable for report.sh, quoted for sh
	eval "v=\${$1}"
	printf "%s='%s'\n" "$1" "$(printf '%s' "$v" | sed "s/'/'\\\\''/g")"
}
for var in MAIN_SIZE BENCH_SIZES BENCH_CONCURRENCY MTA_NOTE main_anon WRITER \
	writer_runs writer_avg writer_lines; do
	state "$var"
done >"$W/state"
. "$(dirname "$BENCH_LIB")/report.sh"
bench_report
exit 0
