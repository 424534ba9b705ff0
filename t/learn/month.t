#!/bin/sh
# tlspin learn on a generated month of Postfix logs (t/learn/genlog month):
# every domain ends with the state, match list, counters and times that the
# generator's oracle computed from the truth of each line it wrote; a file
# learned again adds nothing; the month cut into three gzip'd files (cut
# between a TLS line and its delivery line) gives the same store, in one
# run or three; --dry-run writes nothing; the classic syslog prefix gives
# the same result as RFC 3339.
. "$abs_top_srcdir/t/learn/lib.sh"
need gzip

SEED=${LEARN_SEED:-1}
END=${LEARN_END:-$(($(date +%s) - 60))}

# The test configuration the month was designed for (genlog's defaults).
CONF=$T/learn.conf
cat >"$CONF" <<'EOT'
pin_min_deliveries = 3
pin_min_span = 24h
pin_max_age = 14d
secure_pins = yes
EOT
# The same with a max-age no pin of a 30-day log can reach (see "three runs").
CONF60=$T/learn60.conf
sed 's/^pin_max_age = .*/pin_max_age = 60d/' "$CONF" >"$CONF60"

# check STORE WHAT: one TAP line per domain of the expected file (and per
# domain in the store that it does not have).
check() {
	expect_compare "$1" "$EXPECT" >"$T/cmp"
	while IFS='	' read -r d st why; do
		if [ "$why" = ok ]; then
			ok 0 "$2: $d $st"
		else
			ok 1 "$2: $d $st"
			echo "$why" | diag
		fi
	done <"$T/cmp"
}

# --- the month --------------------------------------------------------------
LOG=$T/month.log
EXPECT=$T/month.expect
echo "# genlog month --seed $SEED --end $END"
"$GENLOG" month --seed "$SEED" --end "$END" --expect "$EXPECT" >"$LOG"
ok $? "genlog month: $(wc -l <"$LOG") lines, $(wc -l <"$EXPECT") domains, as designed"

A=$T/a
learn "$A" "$CONF" "$LOG"
is "$RC" 0 "learn the month: exit 0"
[ "$RC" -eq 0 ] || echo "$ERR" | diag
[ -n "$OUT" ]; ok $? "learn prints a summary"
check "$A" "month"

"$TLSPIN" --store "$A" -c /dev/null list --state encrypt >"$T/enc" 2>&1
is "$(awk 'NR > 1 { print $1 }' "$T/enc" | sort | tr '\n' ' ')" \
	"$(awk '$2 == "encrypt" { print $1 }' "$EXPECT" | sort | tr '\n' ' ')" \
	"list --state encrypt lists exactly the encrypt domains"
"$TLSPIN" --store "$A" -c /dev/null show --json trusted-a.example >"$T/show" 2>&1
like "$(cat "$T/show")" '"answer":"OK encrypt"' "show --json: what Postfix gets"
like "$(cat "$T/show")" '"match":""' "an encrypt pin has no match list"
EV=$("$TLSPIN" --store "$A" -c /dev/null events --json gone.example 2>&1)
like "$EV" '"expired"' "events --json gone.example: the pin ran out"
like "$EV" '"encrypt"' "events --json gone.example: it had been pinned"
NT=$(echo "$EV" | grep -c '"trusted-a.example"')
is "$NT" 0 "events --json DOMAIN: only that domain"

# --- again: nothing is counted twice ----------------------------------------
dump "$A" a1
learn "$A" "$CONF" "$LOG"
is "$RC" 0 "learn the same file again: exit 0"
dump "$A" a2
same a1 a2 "a file learned again adds nothing (list and events identical)"

# --- two stores, the same logs: the same bytes --------------------------------
learn "$T/a2" "$CONF" "$LOG"
dump "$T/a2" a3
same a1 a3 "a second store from the same log is byte-identical"

# --- cut in three, gzip'd ---------------------------------------------------
# Cut right after a "TLS connection established to" line, so that its
# delivery line is in the next file: rotation can fall there, and the
# learner must carry the smtp process's TLS state across files (and across
# runs: it is in the store, with the file position).
N=$(wc -l <"$LOG")
awk -v n="$N" -v dir="$T" '
	BEGIN { part = 1; f = dir "/part1" }
	{ print > f }
	part < 3 && NR >= n * part / 3 && /TLS connection established to/ {
		close(f); part++; f = dir "/part" part
	}' "$LOG"
for p in 1 2 3; do gzip -n "$T/part$p"; done
is "$(gzip -dc "$T/part1.gz" "$T/part2.gz" "$T/part3.gz" | cmp - "$LOG" && echo same)" same \
	"the three parts are the month"
gzip -dc "$T/part1.gz" | tail -n 1 | grep -q 'TLS connection established to'
ok $? "part 1 ends with a TLS line whose delivery line is in part 2"

learn "$T/b" "$CONF" "$T/part1.gz" "$T/part2.gz" "$T/part3.gz"
is "$RC" 0 "learn three gzip'd parts in one run: exit 0"
dump "$T/b" b
same a1 b "three gzip'd parts in one run: the same store as the whole month"
check "$T/b" "three parts"

# Three runs, one part each. With pin_max_age = 14d, the wall-clock expiry
# at the end of the first run (its logs are 20-30 days old) would expire
# pins that the second run's lines renew, so three runs may rightly differ
# from one; with 60 days nothing of this month can expire, and they must not.
learn "$T/c" "$CONF60" "$T/part1.gz"
R1=$RC
learn "$T/c" "$CONF60" "$T/part2.gz"
R2=$RC
learn "$T/c" "$CONF60" "$T/part3.gz"
is "$R1/$R2/$RC" "0/0/0" "learn the three parts in three runs (max age 60d): exit 0"
learn "$T/d" "$CONF60" "$LOG"
dump "$T/c" c
dump "$T/d" d
same c d "three parts in three runs: the same store as the whole month in one"
learn "$T/c" "$CONF60" "$T/part1.gz" "$T/part2.gz" "$T/part3.gz"
dump "$T/c" c2
same c c2 "learning the three parts again adds nothing"

# --- --dry-run ----------------------------------------------------------------
learn "$T/e" "$CONF" --dry-run "$LOG"
is "$RC" 0 "learn --dry-run: exit 0"
[ -n "$OUT" ]; ok $? "--dry-run still prints its summary"
L=$("$TLSPIN" --store "$T/e" -c /dev/null list --json 2>/dev/null)
case $L in *'"domain"'*) ok 1 "--dry-run leaves the store empty"; echo "$L" | head -5 | diag ;;
*) ok 0 "--dry-run leaves the store empty" ;; esac
learn "$T/e" "$CONF" "$LOG"
dump "$T/e" e
same a1 e "a file seen by --dry-run is learned in full afterwards"
"$GENLOG" month --seed $((SEED + 1)) --end "$END" >"$T/other.log"
learn "$A" "$CONF" --dry-run "$T/other.log"
is "$RC" 0 "--dry-run on a store that has pins: exit 0"
dump "$A" a4
same a1 a4 "--dry-run of another month changes nothing in it"

# --- classic syslog prefix ------------------------------------------------------
# "Nov 23 08:30:26 mail postfix/smtp[123]: ...": no year and no zone. The
# generator writes UTC, so the learner runs with TZ=UTC; the year is the
# latest that does not put a line more than a day in the future.
"$GENLOG" month --seed "$SEED" --end "$END" --classic >"$T/classic.log"
head -c 16 "$T/classic.log" | grep -q '^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:'
ok $? "the classic variant has classic prefixes"
TZ=UTC
export TZ
learn "$T/f" "$CONF" "$T/classic.log"
is "$RC" 0 "learn the classic variant: exit 0"
check "$T/f" "classic prefix"

done_testing
