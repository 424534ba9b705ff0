#!/bin/bash
# 01: a domain pinned by hand to "secure match=mx.good.test" gets its mail
# over TLS with the certificate verified against the pinned name.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

domain=pinned1.test
e2e_dns_mx "$domain" mx.good.test
e2e_pin "$domain" secure mx.good.test

reply=$(e2e_query "$domain")
e2e_note "tlspin query $domain: $reply"
e2e_expect_match "$reply" '^OK secure match=mx\.good\.test$' "tlspin query reply"
reply=$(e2e_postmap_query "$domain")
e2e_expect_match "$reply" '^OK secure match=mx\.good\.test$' "postmap -q reply"

rcpt=user1@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
e2e_expect_delivery "$rcpt" "$mark" sent 2.0.0
e2e_expect_tls Verified
e2e_expect_match "$E2E_TLS" 'TLS connection established to mx\.good\.test\[127\.0\.0\.2\]:25: ' "TLS line"
e2e_expect_received good "$E2E_MSGID"
e2e_queued "$rcpt" && e2e_fail "<$rcpt> is still queued after status=sent"

# The same with a TLS 1.2 server, which at "may" would have been
# Anonymous (see 00): a secure pin makes the client insist on a certificate.
domain=pinned1-tls12.test
e2e_dns_mx "$domain" mx.tls12.test
e2e_pin "$domain" secure mx.tls12.test
rcpt=user1@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
e2e_expect_delivery "$rcpt" "$mark" sent 2.0.0
e2e_expect_tls Verified
e2e_expect_match "$E2E_TLS" 'TLS connection established to mx\.tls12\.test\[127\.0\.0\.6\]:25: TLSv1\.2 ' "TLS line"
e2e_expect_received tls12 "$E2E_MSGID"
exit 0
