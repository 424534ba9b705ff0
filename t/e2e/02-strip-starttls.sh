#!/bin/bash
# 02: an attacker strips STARTTLS from a pinned domain's MX. Postfix must
# defer (dsn 4.7.4) and keep the message; once the attacker is gone and the
# queue is flushed, the message goes out over verified TLS. Nothing is lost
# and nothing is sent in clear. An unpinned domain under the same attack
# goes out in clear: the attack is real, the pin is what stops it.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

domain=strip2.test
open=open2.test
e2e_dns_mx "$domain" mx.good.test
e2e_dns_mx "$open" mx.good.test
e2e_pin "$domain" secure mx.good.test

# Before the attack: verified TLS.
mark=$(e2e_mark)
e2e_send "before@$domain"
e2e_expect_delivery "before@$domain" "$mark" sent 2.0.0
e2e_expect_tls Verified

# On-path attacker: mx.good.test's address now leads to a server that
# does not offer STARTTLS.
e2e_strip_attack "$domain"
e2e_note "queue: $(e2e_queue_entry "during@$domain")"

# The same attack on a domain without a pin: delivered in clear.
e2e_send "during@$open"
e2e_expect_delivery "during@$open" "$mark" sent 2.0.0
e2e_expect_tls none
e2e_expect_received plain "$E2E_MSGID"

# A retry while the attacker is still there changes nothing.
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "during@$domain" "$mark" deferred 4.7.4

# DNS attacker: the MX itself now names the server without STARTTLS.
e2e_dns_baseline
e2e_note "attack: MX of $domain -> mx.plain.test"
e2e_dns_mx "$domain" mx.plain.test
mark=$(e2e_mark)
e2e_flush
e2e_expect_delivery "during@$domain" "$mark" deferred 4.7.4
e2e_expect_match "$E2E_DELIVERY" \
	'TLS is required, but was not offered by host mx\.plain\.test\[127\.0\.0\.5\]' \
	"deferral"
e2e_expect_not_received "$held"

# The attacker leaves; the held message goes out, verified.
e2e_note "attack over"
e2e_dns_mx "$domain" mx.good.test
e2e_expect_released "during@$domain" "$held" Verified
exit 0
