#!/bin/sh
# tlspin metrics prints Prometheus' text exposition (format 0.0.4) that a
# real parser and linter accepts (promtool check metrics, from Debian's
# prometheus package), with the figures of the store and of the running
# tlspind: lookups by answer, domains by state, the learner's counters.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" promtool

tl() { OUT=$("$TLSPIN" --store "$STORE" "$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }
# val SAMPLE: the value of the sample line "SAMPLE value" in the last OUT
val() { printf '%s\n' "$OUT" | awk -v s="$1" '$1 == s { print $2 }'; }
# promcheck: promtool parses and lints the last OUT; its complaints in PROM
promcheck() {
	PROM=$(printf '%s\n' "$OUT" | promtool check metrics 2>&1)
}

pin a.test --level encrypt
pin b.test --level secure --match mx.b.test --expires 30d
ts=$(date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00)
printf '%s mx postfix/smtp[101]: Trusted TLS connection established to mx.c.test[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n%s mx postfix/smtp[101]: 4AB00101: to=<u@c.test>, relay=mx.c.test[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' \
	"$ts" "$ts" > "$T/one.log"
printf 'pin_min_deliveries = 1\npin_min_span = 0s\n' > "$T/one.conf"
"$TLSPIN" --store "$STORE" --config "$T/one.conf" learn "$T/one.log" >/dev/null
ok $? "c.test learned from a log"

# --- before tlspind ever ran -------------------------------------------------
tl metrics
ok $RC "tlspin metrics exits 0 on a store tlspind has not run on"
promcheck
ok $? "promtool check metrics accepts it"
is "$PROM" "" "and has nothing to lint"
is "$(val tlspin_up)" 0 "tlspin_up 0: no counters"
is "$(printf '%s\n' "$OUT" | grep -c '^tlspin_lookups_total')" 0 \
	"no lookup counters without tlspind's counters"
is "$(val 'tlspin_pins{state="manual"}')" 2 "two manual pins"
is "$(val 'tlspin_pins{state="encrypt"}')" 1 "one learned encrypt pin"
is "$(val 'tlspin_pins{state="observing"}')" 0 "no domain observing"
is "$(val tlspin_pins_answering)" 3 "three domains answered with a policy"
is "$(val tlspin_learner_lines_total)" 2 "the learner read two lines"
is "$(val tlspin_learner_deliveries_total)" 1 "and counted one delivery"
lag=$(val tlspin_learner_lag_seconds)
ok "$([ -n "$lag" ] && [ "$lag" -le 60 ]; echo $?)" "learner lag in seconds ($lag)"
used=$(val tlspin_store_used_bytes) size=$(val tlspin_store_map_size_bytes)
free=$(val tlspin_store_free_bytes)
is "$((size - used))" "$free" "free bytes are map size minus used"
# every family has its HELP and TYPE before its samples
fams=$(printf '%s\n' "$OUT" | sed -n 's/^\(tlspin_[a-z_]*\).*/\1/p' | sort -u)
missing=0
for f in $fams; do
	printf '%s\n' "$OUT" | grep -q "^# HELP $f " &&
		printf '%s\n' "$OUT" | grep -q "^# TYPE $f " || missing=$((missing + 1))
done
is "$missing" 0 "each family has # HELP and # TYPE"

# the check can fail: promtool refuses a broken exposition
OUT=$(printf '%s\n' "$OUT" | sed 's/^tlspin_up 0$/tlspin_up zero/')
promcheck
ok "$([ $? -ne 0 ]; echo $?)" "promtool rejects a sample that is not a number"

# --- while tlspind runs --------------------------------------------------------
start_daemon
ok $? "tlspind runs"
pm a.test;	is "$PM_OUT" "encrypt" "a lookup"
pm nothing.test
pm b.test
pm c.test
three() { "$TLSPIN" --store "$STORE" metrics | grep -qx 'tlspin_lookups_total{answer="ok"} 3'; }
wait_for three;	ok $? "the three OK lookups are counted while tlspind runs"
tl metrics
ok $RC "tlspin metrics exits 0"
promcheck
ok $? "promtool check metrics accepts it"
is "$PROM" "" "and has nothing to lint"
is "$(val tlspin_up)" 1 "tlspin_up 1 while tlspind runs"
is "$(val 'tlspin_lookups_total{answer="notfound"}')" 1 "one NOTFOUND"
is "$(val 'tlspin_lookups_total{answer="temp"}')" 0 "no TEMP"
is "$(val 'tlspin_lookups_total{answer="perm"}')" 0 "no PERM"
is "$(val tlspin_lookups_observed_total)" 0 "nothing observed (mode enforce)"
is "$(val tlspin_observe_mode)" 0 "tlspin_observe_mode 0"
age=$(val tlspin_counters_age_seconds)
ok "$([ -n "$age" ] && [ "$age" -le 3 ]; echo $?)" "counters are seconds old ($age)"
conns=$(val tlspin_connections_total)
ok "$([ -n "$conns" ] && [ "$conns" -ge 4 ]; echo $?)" "connections counted ($conns)"
printf '%s\n' "$OUT" | diag
stop_daemon

# --- a stale counters file: tlspind stopped ------------------------------------
tl metrics
is "$(val tlspin_up)" 1 "right after a stop the counters are still fresh"
printf 'saved=1000\nmode=observe\nok=7\n' > "$STORE/tlspind.counters"
tl metrics
is "$(val tlspin_up)" 0 "tlspin_up 0 when the counters are old"
is "$(val 'tlspin_lookups_total{answer="ok"}')" 7 "the last counters are still shown"
is "$(val tlspin_observe_mode)" 1 "mode = observe shows"

tl metrics extra
is "$RC" 2 "an unexpected argument is a usage error"
done_testing
