#!/bin/bash
# 06: mode = observe. tlspind learns and reports but answers NOTFOUND to
# everything, so an admin can roll it out and watch first: a domain it
# pins while observing still gets mail under attack (in clear), and tlspin
# why and tlspin events show that clear delivery against the pin. Switched
# back to enforce (a reload), the pin learned while observing applies at
# once, and the same attack is deferred.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"
e2e_require_learning

domain=observe6.test
e2e_dns_mx "$domain" mx.good.test

# (Should this scenario stop half-way, run.sh puts the config back and
# reloads tlspind before the next one.)
e2e_note "mode = observe"
e2e_tlspind_mode observe

for i in 1 2 3; do
	mark=$(e2e_mark)
	e2e_send "learn$i@$domain"
	e2e_expect_delivery "learn$i@$domain" "$mark" sent 2.0.0
	e2e_expect_tls Trusted
done
e2e_wait "$E2E_TIMEOUT" "tlspind to pin $domain while observing" \
	e2e_state_matches "$domain" 'encrypt|secure' ||
	e2e_fail "$domain not learned in observe mode: state '$(e2e_state "$domain")'; $(e2e_tlspin why "$domain" 2>&1)"
# Trusted at may, not Verified: an encrypt pin (see 04).
e2e_expect_match "$(e2e_state "$domain")" '^encrypt$' "state learned while observing"
# tlspin show says what tlspind answers now, and what enforce mode would
e2e_expect_match "$(e2e_tlspin show "$domain")" \
	'^postfix gets: NOTFOUND \(mode = observe; in enforce mode: OK encrypt\)$' "tlspin show"

# What Postfix gets while observing: nothing.
reply=$(e2e_query "$domain")
e2e_note "tlspin query $domain: $reply"
e2e_expect_match "$reply" '^NOTFOUND ?$' "reply in observe mode"
e2e_expect_match "$(e2e_postmap_query "$domain")" '^NOTFOUND$' "postmap -q in observe mode"

# Under attack the mail goes out in clear (observe does not enforce)...
e2e_note "attack: mx.good.test -> 127.0.0.5 (no STARTTLS)"
e2e_dns_a mx.good.test 127.0.0.5
mark=$(e2e_mark)
e2e_send "strip@$domain"
e2e_expect_delivery "strip@$domain" "$mark" sent 2.0.0
e2e_expect_tls none
e2e_expect_received plain "$E2E_MSGID"
e2e_dns_baseline

# ... and tlspin says so: a clear delivery while pinned, the pin kept.
e2e_wait "$E2E_TIMEOUT" "tlspind to record the clear delivery to $domain" \
	e2e_record_has "$domain" plaintext 1 ||
	e2e_fail "$domain: clear delivery not learned: $(e2e_tlspin show "$domain" 2>&1)"
e2e_expect_match "$(e2e_state "$domain")" '^encrypt$' "state after the clear delivery"
events=$(e2e_tlspin events "$domain")
printf '%s\n' "$events" | sed 's/^/# events: /' >&2
e2e_expect_match "$events" \
	'encrypt -> encrypt: delivered in clear to mx\.good\.test although pinned: Postfix did not get the pin \(mode = observe' \
	"tlspin events"
why=$(e2e_tlspin why "$domain")
e2e_expect_match "$why" '^evidence: +4 deliveries: 3 over TLS \(0 verified, 3 trusted\), 1 in clear$' "tlspin why"
e2e_expect_match "$why" '^mx seen: +mx\.good\.test=plain' "tlspin why"
e2e_expect_match "$why" 'delivered in clear to mx\.good\.test although pinned' "tlspin why history"

# Back to enforce: the pin learned while observing applies at once.
e2e_note "mode = enforce"
e2e_tlspind_mode enforce
e2e_wait "$E2E_TIMEOUT" "tlspind to enforce $domain" \
	e2e_query_matches "$domain" '^OK encrypt$' ||
	e2e_fail "$domain not enforced after switching to mode = enforce: $(e2e_query "$domain")"
e2e_expect_match "$(e2e_postmap_query "$domain")" '^OK encrypt$' "postmap -q in enforce mode"

# The same attack is now deferred; after it, delivered over TLS.
e2e_note "attack: mx.good.test -> 127.0.0.5 (no STARTTLS)"
e2e_dns_a mx.good.test 127.0.0.5
mark=$(e2e_mark)
e2e_send "strip2@$domain"
held=$E2E_MSGID
e2e_expect_delivery "strip2@$domain" "$mark" deferred 4.7.4
e2e_expect_not_received "$held"
e2e_dns_baseline
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "strip2@$domain" "$mark" sent 2.0.0
e2e_expect_tls Trusted
e2e_expect_received good "$held"
exit 0
