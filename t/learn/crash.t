#!/bin/sh
# tlspin learn killed with SIGKILL at random moments, and started again until
# a run completes, leaves exactly the store one uninterrupted run leaves:
# what the killed runs committed is neither lost nor counted twice (the
# file position is committed with what those lines taught, and the smtp
# processes' TLS state with it). The bulk log is t/learn/genlog's: ~200k
# lines over 10k domains, long queue ids, interleaved smtp pids that come
# back after exiting.
#
# The kill delays are fractions of the time one uninterrupted run took on
# this machine (so a fast build and an ASan build are both interrupted);
# how many kills it takes varies from run to run, the result may not. For
# "a killed run had committed progress" the learner must commit more than
# once per file (DESIGN.md: the position goes with each batch).
. "$abs_top_srcdir/t/learn/lib.sh"

NLINES=${CRASH_LINES:-200000}
SEED=${CRASH_SEED:-11}
END=${CRASH_END:-$(($(date +%s) - 60))}
MAXKILLS=25

# milliseconds since the epoch
ms() { date +%s%N | cut -c1-13; }

LOG=$T/bulk.log
# genlog's oracle pins Verified runs "secure" (secure_pins = yes); the
# default (no) leaves domains Postfix verifies itself to Postfix
CONF=$T/tlspin.conf
echo "secure_pins = yes" > "$CONF"
echo "# genlog bulk $NLINES --seed $SEED --end $END --long-ids"
"$GENLOG" bulk "$NLINES" --seed "$SEED" --end "$END" --long-ids \
	--expect "$T/bulk.expect" >"$LOG"
ok $? "genlog bulk: $(wc -l <"$LOG") lines, $(wc -l <"$T/bulk.expect") domains"

# --- A: one run -----------------------------------------------------------------
t0=$(ms)
learn "$T/a" "$CONF" "$LOG"
TA=$(($(ms) - t0))
is "$RC" 0 "store A: learn in one run: exit 0"
[ "$RC" -eq 0 ] || echo "$ERR" | diag
echo "# one uninterrupted run: $TA ms"
dump "$T/a" a
NPIN=$(grep -o '"state":"encrypt"' "$T/a.list" | wc -l)
[ "$NPIN" -gt 0 ]
ok $? "store A has encrypt pins ($NPIN)"

# --- B: killed until a run completes ------------------------------------------
# delay FACTOR: a random pause of (0.05 .. 0.05 + FACTOR) x TA, in seconds.
delay() {
	awk -v s="$$$(ms)" -v ta="$TA" -v f="$1" 'BEGIN {
		srand(s % 100000); d = ta * (0.05 + f * rand()) / 1000
		printf "%.3f", d < 0.005 ? 0.005 : d }'
}

B=$T/b
kills=0 runs=0 progress=0 round=1 factor=0.6 failed=0
prev=$(printf '' | cksum)
tb=$(ms)
budget=$((6 * TA + 10000))
while :; do
	runs=$((runs + 1))
	"$TLSPIN" --store "$B" -c "$CONF" learn "$LOG" >"$T/b.out" 2>"$T/b.err" &
	pid=$!
	if [ "$kills" -lt "$MAXKILLS" ] && [ $(($(ms) - tb)) -lt "$budget" ]; then
		sleep "$(delay "$factor")"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	st=$?
	if [ "$st" -eq 137 ]; then
		kills=$((kills + 1))
		cur=$("$TLSPIN" --store "$B" -c "$CONF" list --json 2>/dev/null | cksum)
		if [ "$cur" != "$prev" ]; then
			progress=$((progress + 1))
		else
			# nothing committed yet: the learner commits in larger
			# steps than these pauses; let them grow to a whole run
			factor=$(awk -v f="$factor" 'BEGIN { f *= 1.4; print (f > 1 ? 1 : f) }')
		fi
		prev=$cur
		continue
	fi
	if [ "$st" -ne 0 ]; then
		failed=1
		echo "run $runs exited $st:" | diag
		diag <"$T/b.err"
		break
	fi
	# It completed. If nothing was interrupted the pauses were too long
	# for this machine: start over, shorter.
	if [ "$kills" -eq 0 ] && [ "$round" -lt 5 ]; then
		round=$((round + 1))
		factor=$(awk -v f="$factor" 'BEGIN { print f / 2 }')
		rm -rf "$B"
		continue
	fi
	break
done
echo "# store B: $runs runs, $kills killed ($progress of them after committing progress), $(($(ms) - tb)) ms"
ok "$failed" "store B: every run ended by SIGKILL or exit 0, the last one 0"
[ "$kills" -gt 0 ]
ok $? "store B: at least one run was killed ($kills)"
[ "$progress" -gt 0 ]
ok $? "store B: a killed run had committed part of the file, so a later run resumed"
dump "$B" b
same a b "list --json and events --json of A and B are byte-identical"

# --- B again: a completed file adds nothing ---------------------------------------
learn "$B" "$CONF" "$LOG"
is "$RC" 0 "learn the completed file again: exit 0"
dump "$B" b2
same a b2 "and it changes nothing"

# --- A against the generator's oracle ---------------------------------------------
# Not about crashes: the same rules as month.t, on 10k domains. Domains
# whose story touches a case the rules leave open are skipped.
expect_compare "$T/a" "$T/bulk.expect" >"$T/cmp"
NOK=$(grep -c '	ok$' "$T/cmp")
NSKIP=$(grep -c '	skip$' "$T/cmp")
grep -v '	ok$' "$T/cmp" | grep -v '	skip$' >"$T/bad"
NBAD=$(wc -l <"$T/bad")
is "$NBAD" 0 "store A agrees with the oracle on all $NOK domains ($NSKIP skipped)"
head -10 "$T/bad" | diag

done_testing
