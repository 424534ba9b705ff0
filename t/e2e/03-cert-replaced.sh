#!/bin/bash
# 03: the certificate of a pinned domain's MX is replaced: by a self-signed
# one with the right name (on-path attacker), by one with the right name
# from an untrusted CA, by a CA-signed one for another name at the right
# address, and by a DNS attacker whose MX has a valid certificate for its
# own name. Under "secure match=mx.good.test" Postfix must defer each time
# (dsn 4.7.5) and deliver, verified, after restore.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

domain=cert3.test
e2e_dns_mx "$domain" mx.good.test
e2e_pin "$domain" secure mx.good.test

mark=$(e2e_mark)
e2e_send "before@$domain"
e2e_expect_delivery "before@$domain" "$mark" sent 2.0.0
e2e_expect_tls Verified

# Expect the held message's next attempt to be deferred as unverified and
# the smtp process to have said why. Usage: expect_unverified MARK WHY_REGEX
expect_unverified() {
	local why
	e2e_expect_delivery "$rcpt" "$1" deferred 4.7.5
	e2e_expect_match "$E2E_DELIVERY" 'status=deferred \(Server certificate not verified\)' "deferral"
	why=$(e2e_smtp_lines_for "$E2E_DELIVERY" | grep -E 'certificate verification failed|certificate name|verification error' | head -n 1)
	e2e_note "why: ${why#* postfix/}"
	e2e_expect_match "$why" "$2" "verification failure line"
	e2e_queued "$rcpt" || e2e_fail "<$rcpt> is not in the queue"
	e2e_expect_not_received "$held"
}

# 1. Self-signed certificate for mx.good.test at mx.good.test's address.
e2e_note "attack: mx.good.test -> 127.0.0.3 (self-signed)"
e2e_dns_a mx.good.test 127.0.0.3
rcpt=held@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
held=$E2E_MSGID
expect_unverified "$mark" 'certificate verification failed for mx\.good\.test\[127\.0\.0\.3\]:25: '
e2e_expect_tls Untrusted

# Restored: delivered, verified.
e2e_dns_baseline
e2e_expect_released "$rcpt" "$held" Verified

# 2. The right name, but issued by a CA the sender does not trust.
e2e_note "attack: mx.good.test -> 127.0.0.7 (mx.good.test from a rogue CA)"
e2e_dns_a mx.good.test 127.0.0.7
rcpt=rogue@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
held=$E2E_MSGID
expect_unverified "$mark" 'certificate verification failed for mx\.good\.test\[127\.0\.0\.7\]:25: untrusted issuer'
e2e_expect_tls Untrusted
e2e_dns_baseline
e2e_expect_released "$rcpt" "$held" Verified

# 3. A CA-signed certificate for another name at mx.good.test's address.
e2e_note "attack: mx.good.test -> 127.0.0.4 (CA-signed for mx.evil.test)"
e2e_dns_a mx.good.test 127.0.0.4
rcpt=wrongname@$domain
mark=$(e2e_mark)
e2e_send "$rcpt"
held=$E2E_MSGID
expect_unverified "$mark" 'mx\.good\.test\[127\.0\.0\.4\]:25'

# 4. DNS attacker: the MX is the attacker's host, which has a valid
# certificate for its own name (mx.evil.test), not for the pinned one.
e2e_dns_baseline
e2e_note "attack: MX of $domain -> mx.evil.test"
e2e_dns_mx "$domain" mx.evil.test
mark=$(e2e_mark)
e2e_flush
expect_unverified "$mark" 'mx\.evil\.test\[127\.0\.0\.4\]:25'

# Restored: delivered, verified.
e2e_dns_mx "$domain" mx.good.test
e2e_expect_released "$rcpt" "$held" Verified
exit 0
