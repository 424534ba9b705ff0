#!/bin/bash
# 06: mode = observe. tlspind learns and reports but answers NOTFOUND to
# everything, so an admin can roll it out and watch first: a domain it
# would pin still gets mail under attack (in clear), and the would-be pin
# and the failure show up in tlspin show / stats.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"
e2e_require_learning

# Written against DESIGN.md; adjust the names once issue 4 lands.
domain=observe6.test
e2e_dns_mx "$domain" mx.good.test
sed -i 's/^mode = .*/mode = observe/' "$E2E_TLSPIND_CONF"
kill -HUP "$(e2e_tlspind_pid)"
for i in 1 2 3; do
	mark=$(e2e_mark)
	e2e_send "learn$i@$domain"
	e2e_expect_delivery "learn$i@$domain" "$mark" sent 2.0.0
done
e2e_wait "$E2E_TIMEOUT" "tlspind to record $domain as pinned" \
	eval 'e2e_tlspin show "$domain" | grep -q pinned' ||
	e2e_fail "$domain not learned in observe mode"
e2e_expect_match "$(e2e_query "$domain")" '^NOTFOUND ?$' "reply in observe mode"

# Under attack the mail goes out in clear (observe does not enforce).
e2e_dns_a mx.good.test 127.0.0.5
mark=$(e2e_mark)
e2e_send "strip@$domain"
e2e_expect_delivery "strip@$domain" "$mark" sent 2.0.0
e2e_expect_tls none
e2e_dns_baseline

# Back to enforce: the pin learned while observing applies at once.
sed -i 's/^mode = .*/mode = enforce/' "$E2E_TLSPIND_CONF"
kill -HUP "$(e2e_tlspind_pid)"
e2e_wait "$E2E_TIMEOUT" "tlspind to enforce $domain" \
	e2e_query_matches "$domain" '^OK ' ||
	e2e_fail "$domain not enforced after switching to mode = enforce"
exit 0
