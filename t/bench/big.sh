#!/bin/sh
# big.sh: "make bench-big".  The figures of a store of BIG_DOMAINS
# (default 10M) generated domains: import time, size on disk, how long
# tlspind takes to answer its first lookup, p50/p99 at concurrency 10 on
# random pinned keys and on misses spread across the key space, the
# lookup process's RssAnon, then the learner's throughput on a store of
# that size (tlspin learn of BIG_LINES generated log lines) and an
# expiry sweep with nothing due. Prints Markdown; asserts nothing.

. "${BENCH_LIB:-$(dirname "$0")/lib.sh}"
: "${BIG_DOMAINS:=10000000}"
: "${BIG_LINES:=1000000}"
: "${BENCH_DURATION:=5}"
GENLOG=${GENLOG:?run through make bench-big (GENLOG not set)}

for prog in "$BENCH" "$TLSPIND" "$TLSPIN"; do
	[ -x "$prog" ] || bench_die "$prog is not built (run make first)"
done
bench_setup
W=$BENCH_WORK
CONF=$W/tlspin.conf
printf 'log_source = none\n' >"$CONF"

bench_log "generating $BIG_DOMAINS policies"
bench_gen_policies "$BIG_DOMAINS" "$W/policies"
t0=$(now_s)
"$TLSPIN" --store "$W/store" -c "$CONF" import "$W/policies" >"$W/import.log" 2>&1 ||
	{ cat "$W/import.log" >&2; bench_die "import failed"; }
t1=$(now_s)
rm -f "$W/policies"
size=$(du -k "$W/store/data.mdb" | awk '{printf "%.0f", $1 / 1024}')

# random keys: 100k pinned, 100k misses next to them in key order
awk -v n="$BIG_DOMAINS" 'BEGIN { srand(1); for (i = 0; i < 100000; i++)
	printf "d%d.example\n", 1 + int(rand() * n) }' >"$W/hits"
awk -v n="$BIG_DOMAINS" 'BEGIN { srand(2); for (i = 0; i < 100000; i++)
	printf "d%d.example.net\n", 1 + int(rand() * n) }' >"$W/misses"

# start: from exec to the first answer (the page cache is warm from the
# import; a cold start after a reboot reads more from disk)
sock=$W/tlspind.sock
t2=$(now_s)
bench_start tlspind "$TLSPIND" --foreground -c "$CONF" $AS_ROOT \
	--store "$W/store" --listen "unix:$sock"
pid=$server_pid
bench_wait_ready "$sock" "$pid" tlspind
t3=$(now_s)

point() {	# point LABEL KEYS
	# shellcheck disable=SC2046
	$(bench_pin "$CLIENT_CPU") "$BENCH" --kv --socket "$sock" --keys "$2" \
		--order random --concurrency 10 --warmup 1 --duration "$BENCH_DURATION" 2>/dev/null
}
hit=$(point hits "$W/hits")
miss=$(point misses "$W/misses")
anon=$(proc_kb "$pid" RssAnon)
bench_stop "$pid"

bench_log "generating $BIG_LINES log lines"
"$GENLOG" bulk "$BIG_LINES" --seed 1 >"$W/bulk.log"
t4=$(now_s)
"$TLSPIN" --store "$W/store" -c "$CONF" learn "$W/bulk.log" >"$W/learn.log" 2>&1 ||
	{ tail -5 "$W/learn.log" >&2; bench_die "learn failed"; }
t5=$(now_s)

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
echo "| what | $BIG_DOMAINS domains |"
echo "|---|---:|"
echo "| import | $(secs "$t0" "$t1") s |"
echo "| store on disk (data.mdb) | $size MB |"
echo "| tlspind start to first answer | $(secs "$t2" "$t3") s |"
echo "| pinned keys, c=10: req/s, p50, p99 | $(kv_get "$hit" rps), $(kv_get "$hit" p50_us) µs, $(kv_get "$hit" p99_us) µs |"
echo "| misses across the key space, c=10: req/s, p50, p99 | $(kv_get "$miss" rps), $(kv_get "$miss" p50_us) µs, $(kv_get "$miss" p99_us) µs |"
echo "| lookup process RssAnon | $anon kB |"
echo "| tlspin learn of $BIG_LINES lines into it (with its sweep) | $(secs "$t4" "$t5") s, $(awk -v a="$t4" -v b="$t5" -v n="$BIG_LINES" 'BEGIN { printf "%.0f", n / (b - a) }') lines/s |"
