#!/bin/bash
# learners.t: one learner per store. Two tlspind on one store that follow
# one log file would count every delivery twice (3 deliveries counted 6,
# pinned under pin_min_deliveries = 5). The second one's learner must say
# that it does not learn and count nothing; when the first stops, it
# takes over where the first committed. Two tlspin learn on one store at
# once are refused, and so is tlspin learn of tlspind's own file.
. "$abs_top_srcdir/t/integration/lib.sh"
need socat

LOG=$T/maillog
: > "$LOG"
stamp() { date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00; }
n=0
delivery() {	# delivery DOMAIN: one Trusted TLS delivery, as Postfix 3.7
	local ts
	ts=$(stamp)
	n=$((n + 1))
	printf '%s mx postfix/smtp[%s]: Trusted TLS connection established to mx.%s[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' \
		"$ts" $((200 + n)) "$1"
	printf '%s mx postfix/smtp[%s]: %05X%05X: to=<u%s@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' \
		"$ts" $((200 + n)) $((200 + n)) "$n" "$n" "$1" "$1"
}
deliveries_of() {
	"$TLSPIN" --store "$STORE" show --json "$1" 2>/dev/null |
		sed -n 's/.*"deliveries":\([0-9]*\).*/\1/p'
}
state_of() {
	"$TLSPIN" --store "$STORE" show --json "$1" 2>/dev/null |
		sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' | grep . || echo absent
}
# where_offset: the byte offset the learner committed in the log
where_offset() {
	"$TLSPIN" --store "$STORE" stats 2>/dev/null |
		sed -n 's/^position:.*offset \([0-9]*\).*/\1/p'
}
at_end() { [ "$(where_offset)" = "$(stat -c %s "$LOG")" ]; }
LEARN="-o log_source=file:$LOG -o pin_min_span=0s -o pin_min_deliveries=5"

for i in 1 2 3; do delivery two.test; done >> "$LOG"
# A: learns
start_daemon $LEARN
ok $? "tlspind A starts"
A=$DAEMON_PID
wait_for grep -q "learner: following $LOG" "$T/daemon.log"
ok $? "A's learner follows the log"
wait_for at_end
is "$(deliveries_of two.test)" 3 "A counted the 3 deliveries"

# B: same store, same log, its own socket
B_SOCK=$T/b.sock
: > "$T/b.notify.log"
socat -u UNIX-RECV:"$T/b.notify",mode=777 OPEN:"$T/b.notify.log",append &
B_NOTIFY=$!
wait_for test -S "$T/b.notify"
NOTIFY_SOCKET=$T/b.notify "$TLSPIND" --foreground -c /dev/null \
	--store "$STORE" --listen "unix:$B_SOCK" -o probe=no $AS_ROOT $LEARN \
	2>>"$T/b.log" &
B=$!
trap 'kill $B $B_NOTIFY 2>/dev/null; lib_cleanup' EXIT
wait_for grep -q READY=1 "$T/b.notify.log"
ok $? "tlspind B starts on the same store"
wait_for grep -q "another tlspind (pid $A) is already learning into store $STORE; this one only answers lookups until it stops" "$T/b.log"
ok $? "B's learner says that A learns and it does not"
"$POSTMAP" -c "$PFCONF" -q two.test "socketmap:unix:$B_SOCK:policy" >/dev/null 2>&1
is "$?" 1 "B answers lookups (NOTFOUND for the domain still observing)"

delivery two.test >> "$LOG"
wait_for at_end
# not a synchronisation: the time a second learner that wrongly reads the
# log would need to count the line too (B polls every 0.25 s)
sleep 1
is "$(deliveries_of two.test)" 4 "the 4th delivery is counted once, not twice"
is "$(state_of two.test)" observing "4 deliveries do not pin under pin_min_deliveries = 5"
is "$(grep -c 'another tlspind' "$T/b.log")" 1 "B said it once"

# A stops: B takes over, from A's position
stop_daemon
wait_for grep -q "this one learns now" "$T/b.log"
ok $? "B's learner takes over when A stops"
delivery two.test >> "$LOG"
wait_for at_end
is "$(deliveries_of two.test)" 5 "B counts the 5th delivery once and nothing A had counted"
is "$(state_of two.test)" encrypt "5 deliveries pin two.test"
kill -TERM $B; wait $B
kill $B_NOTIFY 2>/dev/null

# tlspin learn: not tlspind's own file, not two at once
CONF=$T/tlspin.conf
printf 'log_source = file:%s\n' "$LOG" > "$CONF"
out=$("$TLSPIN" --store "$STORE" -c "$CONF" learn "$LOG" 2>&1)
is "$?" 2 "tlspin learn refuses the file tlspind learns from"
like "$out" "is the file tlspind learns from" "and says why"
exec 9>"$STORE/learn.lock"
flock 9
echo 12345 >&9
: > "$T/old.log"
out=$("$TLSPIN" --store "$STORE" -c /dev/null learn "$T/old.log" 2>&1)
is "$?" 3 "a second tlspin learn on the store is refused"
like "$out" "another tlspin learn (pid 12345) is learning into store $STORE" "and names the first"
exec 9>&-
"$TLSPIN" --store "$STORE" -c /dev/null learn "$T/old.log" >/dev/null 2>&1
is "$?" 0 "once it is done, tlspin learn runs"
done_testing
