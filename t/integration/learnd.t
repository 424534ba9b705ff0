#!/bin/bash
# learnd.t: tlspind learns while it answers. A real tlspind follows a real
# log file (and a real journal built with systemd-journal-remote): three
# TLS deliveries pin a domain and postmap -q gets the pin; a delivery is
# attributed to the key its smtp pid asked over the socket (SO_PEERCRED);
# the learner child can be killed -9 at any time, or restarted by SIGHUP,
# without lookups stopping or a line counted twice; forged journal
# entries teach nothing.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat

LOG=$T/maillog
: > "$LOG"
stamp() { date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00; }

# tls_delivery PID RCPT HOST ADDR [LEVEL]: one TLS delivery, as Postfix 3.7.
tls_delivery() {
	local ts qid
	ts=$(stamp)
	qid=$(printf '%X%05X' "$1" "$RANDOM$RANDOM" | cut -c1-11)
	printf '%s mx postfix/smtp[%s]: %s TLS connection established to %s[%s]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256\n' \
		"$ts" "$1" "${5:-Trusted}" "$3" "$4"
	printf '%s mx postfix/smtp[%s]: %s: to=<%s>, relay=%s[%s]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n' \
		"$ts" "$1" "$qid" "$2" "$3" "$4"
}

state_of() {	# state_of DOMAIN: its state, or "absent"
	"$TLSPIN" --store "$STORE" show --json "$1" 2>/dev/null |
		sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' | grep . || echo absent
}
deliveries_of() {
	"$TLSPIN" --store "$STORE" show --json "$1" 2>/dev/null |
		sed -n 's/.*"deliveries":\([0-9]*\).*/\1/p'
}
learner_pid() { pgrep -P "$DAEMON_PID" -x tlspind-learn | head -1; }
# Conditions for wait_for, which runs its arguments again at each poll: a
# "$(...)" in them would be run once, before the first poll.
state_is() { [ "$(state_of "$1")" = "$2" ]; }	# state_is DOMAIN STATE
deliveries_are() { [ "$(deliveries_of "$1")" = "$2" ]; }
# new_learner [OLDPID]: a learner runs and it is not OLDPID
new_learner() { _p=$(learner_pid); [ -n "$_p" ] && [ "$_p" != "${1-}" ]; }

start_daemon -o "log_source=file:$LOG" -o pin_min_span=0s
ok $? "tlspind starts with log_source = file:"
wait_for new_learner; ok $? "a learner child process runs"

# 1. three TLS deliveries through a public MX: pinned, and Postfix sees it
for i in 1 2 3; do tls_delivery $((100 + i)) "u$i@file.test" mx.file.test 192.0.2.10; done >> "$LOG"
wait_for state_is file.test encrypt
is "$(state_of file.test)" encrypt "three TLS deliveries pin file.test"
pm file.test;	is "$PM_OUT" "encrypt" "postmap -q gets the learned pin"
why=$("$TLSPIN" --store "$STORE" why file.test)
like "$why" "pinned: 3 TLS deliveries" "tlspin why gives the reason"
like "$why" "mx.file.test=trusted" "tlspin why names the MX and its TLS level"

# 2. the hint: smtp pids ask over the socket, their MX is on loopback
# (private_mx = no), so only the SO_PEERCRED hint can attribute them
ask() {	# ask KEY: a client that asks for KEY; sets asker, its pid
	ns "policy $1" | socat -t5 - UNIX-CONNECT:"$SOCK" \
		>"$T/ask.$1" 2>&1 &
	asker=$!
}
answered() { test -s "$T/ask.$1"; }	# answered KEY: ask KEY got its reply
ask hint.test;	mx_asker=$asker
ask relay.test;	relay_asker=$asker
ask asked.test;	other_asker=$asker
# tlspind sends the learner the hints of a wakeup after that wakeup's
# replies: one more reply, to a later request, says they have been sent
wait_for answered hint.test && wait_for answered relay.test &&
	wait_for answered asked.test && pm sync.test
ok $? "the three smtp pids got their replies, so their hints were sent"
for i in 1 2 3; do
	tls_delivery "$mx_asker" "u$i@hint.test" mx.hint.test 127.0.0.5
	tls_delivery "$relay_asker" "u$i@rcpt.test" relay.test 127.0.0.7
	tls_delivery "$other_asker" "u$i@lost.test" mx.lost.test 127.0.0.8
done >> "$LOG"
wait_for state_is relay.test encrypt && wait_for state_is hint.test encrypt
is "$(state_of hint.test)" encrypt "a loopback MX counts for the domain its pid asked for"
is "$(state_of relay.test)" encrypt "a relay counts for the relay its pid asked for"
is "$(state_of rcpt.test)" absent "not for the recipient's domain behind the relay"
is "$(state_of lost.test)/$(state_of asked.test)" absent/absent \
	"a pid that asked for another domain confirms nothing: no guess"
# then a public MX after them: once it is pinned, those lines were read
for i in 1 2 3; do tls_delivery 4242 "u$i@nohint.test" mx.nohint.test 127.0.0.6; done >> "$LOG"
for i in 1 2 3; do tls_delivery 4243 "u$i@after.test" mx.after.test 192.0.2.11; done >> "$LOG"
wait_for state_is after.test encrypt; ok $? "the lines after them pin after.test"
is "$(state_of nohint.test)" absent "without a hint a loopback relay counts for nothing"

# 3. kill -9 the learner between batches: restarted, nothing counted twice
before=$(learner_pid)
kill -9 "$before"
pm file.test;	is "$PM_OUT" "encrypt" "lookups go on while the learner is down"
wait_for new_learner "$before"; ok $? "a learner killed with -9 is restarted"
tls_delivery 201 "a@file.test" mx.file.test 192.0.2.10 >> "$LOG"
wait_for deliveries_are file.test 4
is "$(deliveries_of file.test)" 4 "the restarted learner counts the new delivery once"
after=$(learner_pid)
test -n "$after" && test "$after" != "$before"; ok $? "a new learner process was started"
grep -q "learner (pid $before) was killed by signal 9" "$T/daemon.log"
ok $? "the learner's death is logged"

# 4. SIGHUP restarts the learner with the new settings; it resumes exactly
kill -HUP "$DAEMON_PID"
wait_for new_learner "$after"; ok $? "SIGHUP starts a new learner"
tls_delivery 202 "b@file.test" mx.file.test 192.0.2.10 >> "$LOG"
wait_for deliveries_are file.test 5
is "$(deliveries_of file.test)" 5 "after SIGHUP the learner resumes where it stopped"

# 5. rotation (rename + create): the old file's tail, then the new file
tls_delivery 203 "c@file.test" mx.file.test 192.0.2.10 >> "$LOG"
mv "$LOG" "$LOG.1"
tls_delivery 204 "d@file.test" mx.file.test 192.0.2.10 >> "$LOG.1"
tls_delivery 205 "e@file.test" mx.file.test 192.0.2.10 >> "$LOG"
wait_for deliveries_are file.test 8
is "$(deliveries_of file.test)" 8 "lines before and after a rotation are all counted"

stats=$("$TLSPIN" --store "$STORE" stats)
like "$stats" "position:   file:$LOG, inode" "tlspin stats shows where the learner stands"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly with its learner"
test -z "$(pgrep -f "tlspind.*$T" )"; ok $? "no learner process is left behind"

# 6. the journal: trusted entries teach, forged ones (logger) do not
REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
PFUID=$(id -u postfix 2>/dev/null)
if [ -x "$REMOTE" ] && [ -n "$PFUID" ]; then
	entry() {	# entry USEC PID UID COMM MESSAGE
		printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n' "$1" "$1"
		printf '_BOOT_ID=5a1e7c0ffee04b1d9e2a6c3b8f7d4e21\n_TRANSPORT=syslog\n'
		printf 'SYSLOG_IDENTIFIER=postfix/smtp\nSYSLOG_PID=%s\n_PID=%s\n' "$2" "$2"
		printf '_UID=%s\n_COMM=%s\nMESSAGE=%s\n\n' "$3" "$4" "$5"
	}
	journal_delivery() {	# USEC PID UID COMM DOMAIN
		entry "$1" "$2" "$3" "$4" "Trusted TLS connection established to mx.$5[192.0.2.20]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
		entry $(($1 + 1000)) "$2" "$3" "$4" "1A2B3C$2: to=<u@$5>, relay=mx.$5[192.0.2.20]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
	}
	now=$(($(date +%s) * 1000000))
	{
		for i in 1 2 3; do
			journal_delivery $((now + i * 10000)) $((300 + i)) "$PFUID" smtp journal.test
			journal_delivery $((now + i * 10000 + 5000)) $((400 + i)) 1000 logger forged.test
		done
	} > "$T/entries.export"
	mkdir "$T/journal"
	"$REMOTE" --output="$T/journal/remote.journal" - < "$T/entries.export" 2>"$T/remote.err"
	ok $? "systemd-journal-remote builds a journal"
	rm -rf "$STORE"
	start_daemon -o "log_source=journal:$T/journal" -o pin_min_span=0s
	wait_for state_is journal.test encrypt
	is "$(state_of journal.test)" encrypt "entries written by Postfix's smtp pin a domain"
	is "$(state_of forged.test)" absent "forged entries (logger, another uid) teach nothing"
	like "$("$TLSPIN" --store "$STORE" stats)" "6 forged" "tlspin stats counts the forged entries"
	stop_daemon
else
	ok 0 "# SKIP no systemd-journal-remote or no postfix user"
fi
done_testing
