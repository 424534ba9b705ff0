#!/bin/bash
# 07: the active probe and MX migration. With probe = yes a domain that
# learning pins "encrypt" is probed at once: its MX presents a certificate
# valid for its own name, and Postfix Trusted every delivery, so the pin
# becomes "secure match=mx.good.test". Then the domain moves:
#
# - to mx.migrate7.test (the tls12 receiver, whose CA-signed certificate
#   is valid for that name): Postfix defers (4.7.5, the name is not in the
#   match list), the deferral sends the domain to the probe, the new MX
#   proves its name and lies under the domain, so mx_change = same-suffix
#   (the default) adds it; the held mail goes out Verified on a flush;
# - to mx.evil.test (a valid certificate for its own name, the attacker's
#   host): deferred 4.7.5 and NOT added; the event and tlspin why name the
#   command that accepts it; the admin runs it; the mail goes out.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"
e2e_require_learning

domain=migrate7.test
e2e_dns_mx "$domain" mx.good.test
e2e_dns_set mx.migrate7.test "A 127.0.0.6"
e2e_tlspind_set probe yes

# Learn: 3 Trusted deliveries pin encrypt; the probe upgrades to secure.
for i in 1 2 3; do
	mark=$(e2e_mark)
	e2e_send "learn$i@$domain"
	e2e_expect_delivery "learn$i@$domain" "$mark" sent 2.0.0
	e2e_expect_tls Trusted
	[ "$i" = 3 ] && break
	e2e_wait "$E2E_TIMEOUT" "tlspind to count delivery $i to $domain" \
		e2e_record_has "$domain" tls "$i" ||
		e2e_fail "$domain: delivery $i not learned: $(e2e_tlspin show "$domain" 2>&1)"
done
e2e_wait "$E2E_TIMEOUT" "the probe to upgrade $domain to secure" \
	e2e_query_matches "$domain" '^OK secure match=mx\.good\.test$' ||
	e2e_fail "$domain not upgraded by the probe: $(e2e_query "$domain"); $(e2e_tlspin why "$domain" 2>&1)"
e2e_note "tlspin query $domain: $(e2e_query "$domain")"
why=$(e2e_tlspin why "$domain")
printf '%s\n' "$why" | sed 's/^/# why: /' >&2
e2e_expect_match "$why" 'encrypt -> secure: upgraded: the probe proved a certificate valid for its own name at every MX \(mx\.good\.test\)' "tlspin why: the upgrade"
e2e_expect_match "$why" '^probe: +.*probe: secure' "tlspin why: the probe's finding"

# A legitimate migration under the domain: deferred once, then accepted.
e2e_note "migration: $domain MX -> mx.migrate7.test (127.0.0.6, CA-signed for its name)"
e2e_dns_mx "$domain" mx.migrate7.test
rcpt=moved@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
held=$E2E_MSGID
e2e_expect_delivery "$rcpt" "$mark" deferred 4.7.5
e2e_expect_match "$E2E_DELIVERY" 'relay=mx\.migrate7\.test\[127\.0\.0\.6\]:25,' "deferral at the new MX"
e2e_queued "$rcpt" || e2e_fail "<$rcpt> is not in the queue"
e2e_wait "$E2E_TIMEOUT" "mx_change to add mx.migrate7.test" \
	e2e_query_matches "$domain" '^OK secure match=mx\.good\.test:mx\.migrate7\.test$' ||
	e2e_fail "mx.migrate7.test not accepted: $(e2e_query "$domain"); $(e2e_tlspin why "$domain" 2>&1)"
events=$(e2e_tlspin events "$domain")
e2e_note "event: $(printf '%s\n' "$events" | grep 'MX change accepted')"
e2e_expect_match "$events" 'MX change accepted: mx\.migrate7\.test proves a certificate valid for its own name and it lies under migrate7\.test' "the event explains the migration"
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "$rcpt" "$mark" sent 2.0.0
e2e_expect_tls Verified
e2e_expect_received tls12 "$held"

# An attacker's MX with a valid certificate for its own name: refused.
e2e_note "attack: $domain MX -> mx.evil.test (127.0.0.4, CA-signed for mx.evil.test)"
e2e_dns_mx "$domain" mx.evil.test
rcpt=evil@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
held=$E2E_MSGID
e2e_expect_delivery "$rcpt" "$mark" deferred 4.7.5
e2e_expect_match "$E2E_DELIVERY" 'status=deferred \(Server certificate not verified\)' "deferral"
e2e_wait "$E2E_TIMEOUT" "the probe to judge mx.evil.test" \
	e2e_events_match "$domain" 'new MX mx\.evil\.test proves its name but is not added' ||
	e2e_fail "no event for mx.evil.test: $(e2e_tlspin events "$domain" 2>&1)"
e2e_expect_match "$(e2e_query "$domain")" '^OK secure match=mx\.good\.test:mx\.migrate7\.test$' "the pin is unchanged"
e2e_queued "$rcpt" || e2e_fail "<$rcpt> is not in the queue"
e2e_expect_not_received "$held"
why=$(e2e_tlspin why "$domain")
printf '%s\n' "$why" | grep -E 'new MX|tlspin pin' | sed 's/^/# why: /' >&2
cmd=$(printf '%s\n' "$why" | grep -oE 'tlspin pin migrate7\.test --level secure --match [a-z0-9.:]+' | head -n 1)
[ "$cmd" = "tlspin pin migrate7.test --level secure --match mx.good.test:mx.migrate7.test:mx.evil.test" ] ||
	e2e_fail "tlspin why does not name the command that accepts mx.evil.test: \"$cmd\""
# The admin decides the move is real and runs it.
e2e_tlspin ${cmd#tlspin } >/dev/null || e2e_fail "$cmd failed"
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "$rcpt" "$mark" sent 2.0.0
e2e_expect_tls Verified
e2e_expect_received wrongname "$held"

e2e_tlspind_set probe no
exit 0
