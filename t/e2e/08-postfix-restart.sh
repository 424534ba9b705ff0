#!/bin/bash
# 08: the sending Postfix restarts while tlspind runs on. Its smtp(8)
# processes held connections to tlspind's socket; they end with Postfix
# (tlspind sees its clients go), and the new ones connect again by
# themselves: mail queued while Postfix was down goes out under the pin
# (Verified), and after a "postfix reload" with mail in the queue a
# STARTTLS strip is still deferred (4.7.4), as in 02, until the attacker
# leaves.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

domain=restart8.test
e2e_dns_mx "$domain" mx.good.test
e2e_pin "$domain" secure mx.good.test

# Should the scenario stop half-way, the next one needs the sender back.
sender_up() {
	local pid
	pid=$(e2e_master_pid sender)
	[ -n "$pid" ] && ! e2e_pid_gone "$pid"
}
trap 'sender_up || e2e_postfix_start sender' EXIT

# tlspind's counters (SIGUSR1 logs them): sets clients and connections.
counters() {
	local mark line
	mark=$(wc -l <"$E2E_TLSPIND_LOG")
	kill -USR1 "$(e2e_tlspind_pid)" || e2e_broken "cannot signal tlspind"
	e2e_wait 5 "tlspind to log its counters" \
		e2e_tlspind_logged "$mark" ' clients=[0-9]+ connections=' ||
		e2e_fail "tlspind did not log its counters on SIGUSR1"
	line=$(tail -n "+$((mark + 1))" "$E2E_TLSPIND_LOG" |
		grep -E ' clients=[0-9]+ connections=' | tail -n 1)
	clients=$(printf '%s\n' "$line" | sed -n 's/.* clients=\([0-9]*\) .*/\1/p')
	connections=$(printf '%s\n' "$line" | sed -n 's/.* connections=\([0-9]*\) .*/\1/p')
	e2e_note "tlspind: clients=$clients connections=$connections"
}
smtp_pid() {	# the pid of the smtp process of the last expected delivery
	printf '%s\n' "$E2E_DELIVERY" | sed -n 's/.* postfix\/smtp\[\([0-9]*\)\]: .*/\1/p'
}

# Before: delivered under the pin; the smtp process keeps its connection.
mark=$(e2e_mark)
e2e_send "before@$domain"
e2e_expect_delivery "before@$domain" "$mark" sent 2.0.0
e2e_expect_tls Verified
pid_before=$(smtp_pid)
counters
[ "$clients" -ge 1 ] ||
	e2e_fail "no smtp process holds a connection to tlspind after a delivery"
conn_before=$connections

# 1. postfix stop: its smtp processes go, and their connections with them.
e2e_note "postfix stop"
e2e_postfix_stop sender
sender_up && e2e_broken "the sender Postfix did not stop"
e2e_wait 5 "tlspind to see its clients go" eval 'counters 2>/dev/null; [ "$clients" = 0 ]' ||
	e2e_fail "tlspind still has $clients clients with Postfix stopped"

# Mail submitted while Postfix is down waits in the maildrop queue.
e2e_send "stopped@$domain"
queued=$E2E_MSGID
mark=$(e2e_mark)
e2e_note "postfix start"
e2e_postfix_start sender || e2e_broken "the sender Postfix did not start again"
e2e_expect_delivery "stopped@$domain" "$mark" sent 2.0.0
e2e_expect_tls Verified
e2e_expect_received good "$queued"
[ "$(smtp_pid)" != "$pid_before" ] ||
	e2e_fail "the delivery after the restart came from the old smtp process"
counters
[ "$connections" -gt "$conn_before" ] ||
	e2e_fail "no new connection to tlspind after the restart"

# 2. A strip attack after the restart is deferred, and stays deferred
# across a postfix reload with the message in the queue.
e2e_strip_attack "$domain"
pid_before=$(smtp_pid)

e2e_note "postfix reload, the message queued"
mark=$(e2e_mark)
e2e_postfix sender reload >/dev/null 2>&1 || e2e_broken "postfix reload failed"
e2e_wait "$E2E_TIMEOUT" "the sender to log its reload" \
	eval 'e2e_log_since "$mark" | grep -q "reload -- version"' ||
	e2e_fail "the sender did not reload"
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "during@$domain" "$mark" deferred 4.7.4
[ "$(smtp_pid)" != "$pid_before" ] ||
	e2e_fail "the retry after the reload came from the old smtp process"
e2e_expect_not_received "$held"

# The attacker leaves; the held message goes out, verified.
e2e_note "attack over"
e2e_dns_baseline
e2e_expect_released "during@$domain" "$held" Verified
exit 0
