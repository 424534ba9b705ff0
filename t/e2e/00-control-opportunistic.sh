#!/bin/bash
# 00: control. Domains nobody pinned keep Postfix's opportunistic TLS: mail
# goes out whatever the MX offers, in clear to a server without STARTTLS.
# This also shows that each receiver of the test world behaves as intended
# and that the sender logs the TLS level it saw (Trusted, Untrusted,
# Anonymous, none).
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

# domain, its MX, and the TLS line the sender must log (none = clear).
cases="
open-plain.test mx.plain.test none
open-good.test mx.good.test Trusted
open-self.test mx.selfsigned.test Untrusted
open-evil.test mx.evil.test Trusted
open-tls12.test mx.tls12.test Anonymous
"

while read -r domain mx _; do
	[ -n "$domain" ] || continue
	e2e_dns_mx "$domain" "$mx"
	reply=$(e2e_query "$domain")
	e2e_expect_match "$reply" '^NOTFOUND ?$' "tlspin query $domain"
done <<<"$cases"

# Send all at once, then check each delivery.
mark=$(e2e_mark)
declare -A msgid
while read -r domain mx _; do
	[ -n "$domain" ] || continue
	e2e_send "user0@$domain"
	msgid[$domain]=$E2E_MSGID
done <<<"$cases"

while read -r domain mx tls; do
	[ -n "$domain" ] || continue
	e2e_expect_delivery "user0@$domain" "$mark" sent 2.0.0
	e2e_expect_tls "$tls"
	e2e_expect_match "$E2E_DELIVERY" " relay=${mx//./\\.}\[" "delivery line"
	case $mx in
	mx.plain.test)		rcv=plain ;;
	mx.good.test)		rcv=good ;;
	mx.selfsigned.test)	rcv=selfsigned ;;
	mx.evil.test)		rcv=wrongname ;;
	mx.tls12.test)		rcv=tls12 ;;
	esac
	e2e_expect_received "$rcv" "${msgid[$domain]}"
done <<<"$cases"

# An MX where nothing listens: deferred as a connection failure (4.4.1),
# not a TLS one. The message is then removed from the queue.
e2e_dns_set mx.dead.test "A 127.0.0.9"
e2e_dns_mx open-dead.test mx.dead.test
mark=$(e2e_mark)
e2e_send "user0@open-dead.test"
e2e_expect_delivery "user0@open-dead.test" "$mark" deferred 4.4.1
e2e_expect_match "$E2E_DELIVERY" 'connect to mx\.dead\.test\[127\.0\.0\.9\]:25: Connection refused' "deferral"
e2e_drop "$E2E_DELIVERY"
exit 0
