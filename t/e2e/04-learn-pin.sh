#!/bin/bash
# 04: learning. A fresh domain whose MX always offers TLS is pinned by
# tlspind after 3 TLS deliveries (pin_min_deliveries), with no admin
# involved; from then on a STARTTLS strip is deferred (4.7.4) instead of
# sent in clear, and the mail goes out once the attacker is gone.
#
# The pin is "encrypt", not "secure match=...": at smtp_tls_security_level
# = may Postfix checks the chain but not the name, and logs "Trusted",
# never "Verified". A secure pin needs every delivery of the run Verified
# (the certificate valid for the MX name), which opportunistic deliveries
# cannot show.
#
# The MX is on 127.0.0.2 and the harness runs with private_mx = no, so a
# delivery there counts only when the learner ties it to the next hop the
# smtp(8) process asked tlspind about (the pid of the lookup, from
# SO_PEERCRED). Without that hint, the recipient-domain fallback ignores
# loopback relays: the pin below exists only through the hint path.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"
e2e_require_learning

domain=learn4.test
e2e_dns_mx "$domain" mx.good.test
e2e_expect_match "$(e2e_query "$domain")" '^NOTFOUND ?$' "reply before learning"
[ -z "$(e2e_state "$domain")" ] ||
	e2e_fail "$domain is in the store before any delivery: $(e2e_state "$domain")"
e2e_expect_match "$(e2e_tlspind_setting private_mx)" '^no$' "private_mx in force"

# What the learner counted as a local hop (no hint: nothing learned) so
# far, once it has read the log up to now.
e2e_wait "$E2E_TIMEOUT" "the learner to catch up with the sender's log" \
	e2e_learner_caught_up || e2e_fail "the learner does not read $E2E_SENDER_LOG"
local0=$(e2e_learn_stat local)

# 3 deliveries over opportunistic TLS (Trusted at may). After the first
# two the domain is observed, not pinned.
for i in 1 2 3; do
	mark=$(e2e_mark)
	e2e_send "learn$i@$domain"
	e2e_expect_delivery "learn$i@$domain" "$mark" sent 2.0.0
	e2e_expect_tls Trusted
	e2e_expect_match "$E2E_DELIVERY" ' relay=mx\.good\.test\[127\.0\.0\.2\]:25,' "delivery line"
	e2e_expect_received good "$E2E_MSGID"
	[ "$i" = 3 ] && break
	e2e_wait "$E2E_TIMEOUT" "tlspind to count delivery $i to $domain" \
		e2e_record_has "$domain" tls "$i" ||
		e2e_fail "$domain: delivery $i not learned (its MX is on loopback: only the lookup hint attributes it): $(e2e_tlspin show "$domain" 2>&1)"
	e2e_expect_match "$(e2e_state "$domain")" '^observing$' "state after $i deliveries"
	e2e_expect_match "$(e2e_query "$domain")" '^NOTFOUND ?$' "reply after $i deliveries"
done

e2e_wait "$E2E_TIMEOUT" "tlspind to pin $domain" \
	e2e_query_matches "$domain" '^OK ' ||
	e2e_fail "$domain not pinned after 3 TLS deliveries: $(e2e_query "$domain"); $(e2e_tlspin why "$domain" 2>&1)"
reply=$(e2e_query "$domain")
e2e_note "tlspin query $domain: $reply"
e2e_expect_match "$reply" '^OK encrypt$' "learned reply"
reply=$(e2e_postmap_query "$domain")
e2e_note "postmap -q $domain: $reply"
e2e_expect_match "$reply" '^OK encrypt$' "postmap -q reply"
e2e_expect_match "$(e2e_state "$domain")" '^encrypt$' "state"

# The hint path: attributed to the domain although the MX is on loopback,
# and not one of the three deliveries was a local hop without a hint.
e2e_wait "$E2E_TIMEOUT" "the learner to catch up with the sender's log" \
	e2e_learner_caught_up || e2e_fail "the learner stopped reading"
local1=$(e2e_learn_stat local)
[ "$local1" = "$local0" ] ||
	e2e_fail "local hops skipped went from $local0 to $local1: deliveries to $domain were not attributed through the lookup hint"

# tlspin why tells the story: the deliveries, the MX, the pin.
why=$(e2e_tlspin why "$domain") || e2e_fail "tlspin why $domain failed: $why"
printf '%s\n' "$why" | sed 's/^/# why: /' >&2
e2e_expect_match "$why" '^postfix gets: OK encrypt$' "tlspin why"
e2e_expect_match "$why" '^state: +encrypt \(learned, since ' "tlspin why"
e2e_expect_match "$why" '^evidence: +3 deliveries: 3 over TLS \(0 verified, 3 trusted\), 0 in clear$' "tlspin why"
e2e_expect_match "$why" '^mx seen: +mx\.good\.test=trusted$' "tlspin why"
e2e_expect_match "$why" ' observing -> encrypt: pinned: 3 TLS deliveries over [0-9]+s, none in clear; Postfix now gets "encrypt"$' "tlspin why history"

# The learned pin holds against a strip: deferred, queued, received nowhere.
e2e_note "attack: mx.good.test -> 127.0.0.5 (no STARTTLS)"
e2e_dns_a mx.good.test 127.0.0.5
mark=$(e2e_mark)
e2e_send "strip@$domain"
held=$E2E_MSGID
e2e_expect_delivery "strip@$domain" "$mark" deferred 4.7.4
e2e_expect_match "$E2E_DELIVERY" \
	'status=deferred \(TLS is required, but was not offered by host mx\.good\.test\[127\.0\.0\.5\]\)' \
	"deferral"
e2e_queued "strip@$domain" || e2e_fail "<strip@$domain> is not in the queue"
e2e_expect_not_received "$held"

# The failure is recorded, and the pin stays.
e2e_wait "$E2E_TIMEOUT" "tlspind to record the deferral of $domain" \
	e2e_record_has "$domain" failures 1 ||
	e2e_fail "$domain: deferral not learned: $(e2e_tlspin show "$domain" 2>&1)"
e2e_expect_match "$(e2e_state "$domain")" '^encrypt$' "state after the deferral"
e2e_expect_match "$(e2e_tlspin events "$domain")" \
	'encrypt -> encrypt: deferred by the pin \(it holds\): TLS is required, but was not offered by host mx\.good\.test\[127\.0\.0\.5\]' \
	"tlspin events"

# The attacker leaves: the held message goes out over TLS.
e2e_note "attack over"
e2e_dns_baseline
e2e_expect_released "strip@$domain" "$held" Trusted
exit 0
