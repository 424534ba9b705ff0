#!/bin/bash
# 05: tlspind is stopped, then its store is unreadable. Postfix must defer
# (dsn 4.7.5) mail for every domain, pinned or not: a lookup that fails is
# never taken as "no policy", so nothing goes out in clear. When the
# daemon is back, or the store readable again, everything flows.
. "$(dirname "$0")/lib.sh"
e2e_scenario_begin "$0"

domain=down5.test	# pinned; its MX offers verified TLS
open=open5.test		# not pinned; its MX has no STARTTLS
e2e_dns_mx "$domain" mx.good.test
e2e_dns_mx "$open" mx.plain.test
e2e_pin "$domain" secure mx.good.test

mark=$(e2e_mark)
e2e_send "before@$domain"
e2e_expect_delivery "before@$domain" "$mark" sent 2.0.0
e2e_expect_tls Verified

# Expect both held messages deferred as a policy failure, still queued,
# received nowhere. Usage: expect_held MARK
expect_held() {
	local rcpt
	for rcpt in "$pinned_rcpt" "$open_rcpt"; do
		e2e_expect_delivery "$rcpt" "$1" deferred 4.7.5
		e2e_expect_tls none
		e2e_expect_match "$E2E_DELIVERY" \
			'status=deferred \(client TLS configuration problem\)' \
			"deferral"
		e2e_smtp_lines_for "$E2E_DELIVERY" | grep -F warning: |
			sed 's/.* postfix\//# why: /' >&2
		e2e_queued "$rcpt" || e2e_fail "<$rcpt> is not in the queue"
	done
	e2e_expect_not_received "$pinned_id"
	e2e_expect_not_received "$open_id"
}

# Expect both held messages delivered after a flush: the pinned one
# verified, the other one in clear as before (no pin, no STARTTLS).
expect_flowing() {
	local mark
	mark=$(e2e_mark)
	e2e_flush
	e2e_expect_delivery "$pinned_rcpt" "$mark" sent 2.0.0
	e2e_expect_tls Verified
	e2e_expect_received good "$pinned_id"
	e2e_expect_delivery "$open_rcpt" "$mark" sent 2.0.0
	e2e_expect_tls none
	e2e_expect_received plain "$open_id"
}

# Send one message to each domain. Usage: send_pair TAG
send_pair() {
	pinned_rcpt=$1@$domain
	open_rcpt=$1@$open
	e2e_send "$pinned_rcpt"
	pinned_id=$E2E_MSGID
	e2e_send "$open_rcpt"
	open_id=$E2E_MSGID
}

# 1. The daemon is stopped.
e2e_note "tlspind stopped"
e2e_tlspind_stop
reply=$(e2e_postmap_query "$domain")
e2e_note "postmap -q $domain: $reply"
e2e_expect_match "$reply" '^ERROR ' "postmap -q with tlspind stopped"
mark=$(e2e_mark)
send_pair stopped
expect_held "$mark"

e2e_note "tlspind started"
e2e_tlspind_start || e2e_fail "tlspind did not restart"
expect_flowing

# 2. The store is unreadable: tlspind restarts on a store whose data file
# is not an LMDB file. It must answer TEMP, not NOTFOUND.
e2e_note "tlspind restarted on an unreadable store"
e2e_tlspind_stop
mv "$E2E_STORE" "$E2E_STORE.saved" || e2e_broken "cannot move the store aside"
mkdir "$E2E_STORE" || e2e_broken "cannot make a broken store"
yes 'garbage, not an LMDB file' | head -c 16384 >"$E2E_STORE/data.mdb"
# Owned by tlspind's user, so that what it meets is bad data, not a
# permission problem.
chown -R "$E2E_TLSPIND_USER" "$E2E_STORE"
e2e_tlspind_start_unchecked
e2e_wait 10 "tlspind to answer TEMP" e2e_query_matches "$domain" '^TEMP ' ||
	e2e_fail "tlspind on an unreadable store: tlspin query $domain said: $(e2e_query "$domain")"
e2e_note "tlspin query $domain: $(e2e_query "$domain")"
reply=$(e2e_postmap_query "$domain")
e2e_note "postmap -q $domain: $reply"
e2e_expect_match "$reply" '^ERROR ' "postmap -q on an unreadable store"
mark=$(e2e_mark)
send_pair unreadable
expect_held "$mark"

# The store comes back; tlspind retries opening it by itself.
e2e_note "store readable again"
rm -rf "$E2E_STORE" && mv "$E2E_STORE.saved" "$E2E_STORE" ||
	e2e_broken "cannot put the store back"
e2e_wait 10 "tlspind to open the store again" \
	e2e_query_matches "$domain" '^OK secure match=mx\.good\.test$' ||
	e2e_fail "tlspind did not pick up the readable store: $(e2e_query "$domain")"
expect_flowing
exit 0
