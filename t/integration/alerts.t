#!/bin/bash
# alerts.t: alert_command. A real tlspind follows a log file; a pin whose
# mail has been deferred for longer than alert_after runs the program once
# with the alert as JSON on stdin, not again within alert_interval (not
# even after a restart: the state is in the store directory), mail in
# clear to a pinned domain alerts too, and a program that fails, is
# missing or hangs is logged (once per interval), killed at alert_timeout
# and does not stop the learner.
. "$abs_top_srcdir/t/integration/lib.sh"
need jq

LOG=$T/maillog
: > "$LOG"
mkdir "$T/alerts"
stamp() { date -u -d "${1:-now}" +%Y-%m-%dT%H:%M:%S.%6N+00:00; }

deferral() {	# deferral WHEN PID DOMAIN
	printf '%s mx postfix/smtp[%s]: 4D%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.04, delays=0.02/0/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.%s[192.0.2.10])\n' \
		"$(stamp "$1")" "$2" "$2" "$3" "$3" "$3"
}
clear_delivery() {	# clear_delivery PID DOMAIN
	printf '%s mx postfix/smtp[%s]: 4C%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n' \
		"$(stamp)" "$1" "$1" "$2" "$2"
}
tls_delivery() {	# tls_delivery PID DOMAIN
	printf '%s mx postfix/smtp[%s]: Trusted TLS connection established to mx.%s[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' \
		"$(stamp)" "$1" "$2"
	printf '%s mx postfix/smtp[%s]: 4E%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n' \
		"$(stamp)" "$1" "$1" "$2" "$2"
}

# the admin's program: each alert into a file of its own, with its argv
cat > "$T/alert.sh" <<EOS
#!/bin/sh
f=\$(mktemp "$T/alerts/a.XXXXXX")
cat > "\$f"
echo "\$1 \$2" > "\$f.argv"
EOS
printf '#!/bin/sh\ncat >/dev/null\nexit 3\n' > "$T/fail.sh"
printf '#!/bin/sh\necho $$ > "%s/hang.pid"\nexec sleep 60\n' "$T" > "$T/hang.sh"
chmod +x "$T/alert.sh" "$T/fail.sh" "$T/hang.sh"

alerts_for() {	# alerts_for KIND DOMAIN: how many alerts the program got
	cat "$T"/alerts/a.?????? 2>/dev/null |
		jq -s --arg k "$1" --arg d "$2" \
		'[.[] | select(.kind == $k and .domain == $d)] | length'
}
alerts_are() { [ "$(alerts_for "$1" "$2")" = "$3" ]; }
logged() { grep -q -- "$1" "$T/daemon.log"; }
state_is() {
	"$TLSPIN" --store "$STORE" show --json "$1" 2>/dev/null |
		grep -q "\"state\":\"$2\""
}

pin deferring.test --level encrypt
pin second.test --level encrypt
pin clear.test --level encrypt
start_daemon -o "log_source=file:$LOG" -o "alert_command=$T/alert.sh" \
	-o pin_min_span=0s
ok $? "tlspind starts with alert_command"

# 1. deferred since two hours (alert_after = 1h): one alert
{ deferral '-2 hours' 101 deferring.test; deferral now 102 deferring.test; } >> "$LOG"
wait_for alerts_are deferring deferring.test 1
ok $? "a pin deferring for longer than alert_after fires an alert"
a=$(grep -l '"deferring.test"' "$T"/alerts/a.?????? | head -1)
diag < "$a"
first=$(awk '{ print $1; exit }' "$LOG")
is "$(jq -r .since "$a")" "$(date -u -d "$first" +%Y-%m-%dT%H:%M:%SZ)" \
	"since: the first deferral"
is "$(jq -r .hint "$a")" "tlspin why deferring.test" "the hint names tlspin why"
is "$(jq -r .host "$a")" "$(hostname)" "the host name"
is "$(jq -r .reply "$a")" "encrypt" "the pin's reply"
is "$(jq -r .mx "$a")" "mx.deferring.test" "the MX"
like "$(jq -r .what "$a")" "deferred by its pin (encrypt) since" "what happened"
like "$(jq -r .last_failure "$a")" "TLS is required, but was not offered" "Postfix's reason"
like "$(jq -r .time "$a")" "$(date -u +%Y-%m-%dT)" "the time, ISO 8601"
is "$(cat "$a.argv")" "deferring deferring.test" "kind and domain as arguments"

# 2. deferring again within alert_interval: no second one. second.test,
# only just deferring, alerts nothing; its old line after it does
{ deferral now 103 deferring.test; deferral now 104 second.test
  deferral '-3 hours' 105 second.test; } >> "$LOG"
wait_for alerts_are deferring second.test 1
ok $? "a deferral dated 3 hours back alerts for second.test"
is "$(alerts_for deferring deferring.test)" 1 "no second alert within alert_interval"

# 3. after a restart, still none; mail in clear to a pinned domain alerts
stop_daemon
start_daemon -o "log_source=file:$LOG" -o "alert_command=$T/alert.sh" \
	-o pin_min_span=0s
{ deferral now 106 deferring.test; clear_delivery 107 clear.test; } >> "$LOG"
wait_for alerts_are clear_while_pinned clear.test 1
ok $? "mail in clear to a pinned domain fires clear_while_pinned"
is "$(alerts_for deferring deferring.test)" 1 "a restarted learner does not fire again"
test -s "$STORE/alerts.state"
ok $? "the rate limit is kept in alerts.state in the store directory"
stop_daemon

# 4. a failing program is logged, once per interval
start_daemon -o "log_source=file:$LOG" -o "alert_command=$T/fail.sh" \
	-o pin_min_span=0s -o alert_interval=1h
pin fail1.test --level encrypt
pin fail2.test --level encrypt
{ deferral '-2 hours' 110 fail1.test; deferral now 111 fail1.test; } >> "$LOG"
wait_for logged "fail.sh, run for deferring (fail1.test), exited with status 3"
ok $? "a program that exits 3 is logged with its status"
{ deferral '-2 hours' 112 fail2.test; deferral now 113 fail2.test
  tls_delivery 114 after-fail.test; } >> "$LOG"
wait_for state_is after-fail.test observing
ok $? "the learner goes on"
is "$(grep -c 'fail.sh, run for' "$T/daemon.log")" 1 "the failure is logged once per alert_interval"
stop_daemon

# 5. a missing program
start_daemon -o "log_source=file:$LOG" -o "alert_command=$T/missing" \
	-o pin_min_span=0s
pin missing.test --level encrypt
{ deferral '-2 hours' 120 missing.test; deferral now 121 missing.test; } >> "$LOG"
wait_for logged "missing, run for deferring (missing.test), could not be run: No such file"
ok $? "a missing program is logged: could not be run"
stop_daemon

# 6. a hanging program is killed at alert_timeout; learning goes on
start_daemon -o "log_source=file:$LOG" -o "alert_command=$T/hang.sh" \
	-o pin_min_span=0s -o alert_timeout=1s
pin hang.test --level encrypt
{ deferral '-2 hours' 130 hang.test; deferral now 131 hang.test
  for i in 1 2 3; do tls_delivery $((140 + i)) learned.test; done; } >> "$LOG"
wait_for state_is learned.test encrypt
ok $? "the learner pins while the program hangs"
wait_for logged "hang.sh, run for deferring (hang.test), killed after alert_timeout (1s)"
ok $? "a hanging program is killed after alert_timeout and logged"
hang_gone() { ! kill -0 "$(cat "$T/hang.pid")" 2>/dev/null; }
wait_for hang_gone
ok $? "its process group is gone"
stop_daemon

done_testing
