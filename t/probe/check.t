#!/bin/bash
# check.t: "tlspin check" against local mail servers of every kind. One
# fakesmtp per case on its own loopback port (good, wildcard, EC and DANE
# certificates; self-signed, wrong name, expired, untrusted, TLS 1.0; no
# STARTTLS, refused, broken TLS, stalls, garbage, a 10 MB banner, a web
# server; IMAP and POP3 with STARTTLS and implicit TLS), the PKI of
# pki.sh, and a private unbound answering MX, A, AAAA, TXT (MTA-STS) and
# TLSA for the test domains (not signed: no dane verdict here). Every check reads the JSON with jq; on a
# failure the JSON is printed.
#
# Exit status of tlspin check: 0 pass (secure, dane), 1 warn (encrypt),
# 2 fail (none), 3 could not check (usage errors, a resolver that does not
# answer). --plugin: the monitoring plugin's status line and perf data.
. "$abs_top_srcdir/t/probe/lib.sh"
need openssl jq timeout socat
[ -x "${UNBOUND:-/usr/sbin/unbound}" ] || skip_all "unbound is not installed"

help=$("$TLSPIN" check --help 2>&1)
case $help in
*"unknown command"*)
	ok 1 "tlspin has no check command"
	diag <<<"$help"
	done_testing ;;
esac
ok 0 "tlspin has a check command"

probe_pki

# --- the servers: NAME, then fakesmtp's arguments --------------------------
tls_server good good --name mx.good.test
tls_server wild wild --name mx.wild.test
tls_server self self --name mx.self.test
tls_server wrong wrong --name mx.wrong.test
tls_server expired expired --name mx.expired.test
tls_server ec ec --name mx.ec.test
tls_server rogue rogue --name mx.good.test
tls_server tls10 tls10 --tls-max 1.0 --name mx.tls10.test
tls_server dane dane --name mx.dane.test
server plain --mode nostarttls --name mx.plain.test
server refuse --mode refuse --name mx.refuse.test
server badtls --mode badtls --name mx.badtls.test
server stall --mode stall-ehlo --name mx.stall.test
server stallbanner --mode stall-banner
server garbage --mode garbage
server big --mode bigbanner
server http --mode http
# multi.test: two MX on one port at two loopback addresses, one good,
# one without STARTTLS.
tls_server multi1 multi --listen 127.0.0.2 --name mx1.multi.test
server multi2 --mode nostarttls --listen 127.0.0.3 --port "$PORT" \
	--name mx2.multi.test
# v6.test: one MX with an A and an AAAA record, served on both (the
# port is taken on 127.0.0.1 first: it is the busier address).
tls_server v4 v6 --listen 127.0.0.1 --name mx.v6.test
tls_server v6 v6 --listen ::1 --port "$PORT" --name mx.v6.test
tls_server smtps good --implicit --name mx.good.test
tls_server imap good --proto imap
server imapplain --proto imap --mode nostarttls
tls_server imaps good --proto imap --implicit
tls_server pop3 good --proto pop3
tls_server pop3s good --proto pop3 --implicit

# --- the DNS -----------------------------------------------------------------
dane_hash=$(openssl x509 -in "$PKI/dane.pem" -noout -pubkey |
	openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
{
	for d in good wild self wrong expired ec tls10 dane plain refuse \
	    badtls stall stallbanner garbage big http v6; do
		echo "$d.test. MX 10 mx.$d.test."
		echo "mx.$d.test. A 127.0.0.1"
	done
	echo '_mta-sts.good.test. TXT "v=STSv1; id=20240101"'
	echo "_$(port_of dane)._tcp.mx.dane.test. TLSA 3 1 1 $dane_hash"
	echo "rogue.test. MX 10 mx.good.test."
	echo "multi.test. MX 10 mx1.multi.test."
	echo "multi.test. MX 20 mx2.multi.test."
	echo "mx1.multi.test. A 127.0.0.2"
	echo "mx2.multi.test. A 127.0.0.3"
	echo "mx.v6.test. AAAA ::1"
	echo "nomx.test. A 127.0.0.1"
} > "$T/zone"
dns_start "$T/dns" "$T/zone"
case $? in
0) ;;
77) skip_all "unbound is not installed" ;;
*) bail_out "unbound does not start" ;;
esac

# --- helpers -----------------------------------------------------------------
# tlspin_check SERVER DOMAIN [ARGS...]: tlspin check DOMAIN ARGS against
# SERVER's port with the test CA and resolver, --timeout $TMO (default 5).
tlspin_check() {
	local port
	port=$(port_of "$1")
	shift
	timeout 30 "$TLSPIN" check "$@" --cafile "$PKI/ca.pem" \
		--resolver "127.0.0.1:$DNS_PORT" --port "$port" --timeout "${TMO:-5}"
}

# run_check SERVER DOMAIN [ARGS...]: tlspin_check with --json; sets J (the
# JSON), RC (the exit status) and CASE (for the test names).
run_check() {
	CASE="${*:2}"
	J=$(tlspin_check "$@" --json 2>"$T/check.err")
	RC=$?
}

# for_a_person SERVER DOMAIN EXIT VERDICT MX: without --json, the exit
# status, and the MX name and the verdict in the text.
for_a_person() {
	local out rc
	out=$(tlspin_check "$1" "$2" 2>&1)
	rc=$?
	is "$rc" "$3" "$2, for a person: exit $3"
	like "$out" "$5" "$2, for a person: the MX name"
	like "$out" "$4" "$2, for a person: the verdict"
}

# show_json: print the case's JSON and stderr once, after a failure.
SHOWN=
show_json() {
	[ "$SHOWN" = "$CASE" ] && return
	SHOWN=$CASE
	{
		echo "tlspin check $CASE: exit $RC"
		jq . <<<"$J" 2>/dev/null || printf '%s\n' "$J"
		cat "$T/check.err"
	} | diag
}

# jis FILTER WANT DESCRIPTION: jq -r FILTER on $J prints WANT.
jis() {
	local got
	got=$(jq -r "$1" <<<"$J" 2>&1)
	if [ "$got" = "$2" ]; then ok 0 "$CASE: $3"; else
		ok 1 "$CASE: $3"
		printf 'jq %s\ngot:  "%s"\nwant: "%s"\n' "$1" "$got" "$2" | diag
		show_json
	fi
}

# jtrue FILTER DESCRIPTION: jq -e FILTER on $J is true.
jtrue() {
	if jq -e "$1" <<<"$J" >/dev/null 2>&1; then ok 0 "$CASE: $2"; else
		ok 1 "$CASE: $2"
		echo "jq -e $1: not true" | diag
		show_json
	fi
}

# jgrep FILTER REGEX DESCRIPTION: what jq -r FILTER prints matches the
# extended REGEX, ignoring case.
jgrep() {
	if jq -r "$1" <<<"$J" 2>/dev/null | grep -Eiq -- "$2"; then
		ok 0 "$CASE: $3"
	else
		ok 1 "$CASE: $3"
		echo "jq -r $1 does not match /$2/" | diag
		show_json
	fi
}

# verdict VERDICT STATUS EXIT: the verdict, the status and the exit status.
verdict() {
	if [ "$(jq -r type <<<"$J" 2>/dev/null)" = object ]; then
		ok 0 "$CASE: one JSON object"
	else
		ok 1 "$CASE: one JSON object"
		show_json
	fi
	is "$RC" "$3" "$CASE: exit status $3"
	[ "$RC" = "$3" ] || show_json
	jis .verdict "$1" "verdict $1"
	jis .status "$2" "status $2"
}

# Everything every MX address of the case says about itself, once.
ADDR='.mx[0].addresses[0]'

# --- secure ------------------------------------------------------------------
run_check good good.test
verdict secure pass 0
jis .domain good.test "the domain"
jis .policy "secure match=mx.good.test" "the Postfix policy"
jis .mx_source dns "MX from DNS"
jis .dnssec false "no DNSSEC"
jis .mta_sts true "MTA-STS record found"
jis '.problems | length' 0 "no problems"
jis '.mx | length' 1 "one MX"
jis '.mx[0].name' mx.good.test "the MX name"
jis '.mx[0].preference' 10 "its preference"
jis '.mx[0].tlsa' false "no TLSA"
jis "$ADDR.address" 127.0.0.1 "the address"
jis "$ADDR.port" "$(port_of good)" "the port"
jtrue "$ADDR.ms | type == \"number\" and . >= 0" "a time in ms"
jis "$ADDR.connected" true "connected"
jis "$ADDR.banner" "220 mx.good.test ESMTP fakesmtp" "the banner"
jis "$ADDR.starttls" true "STARTTLS"
jis "$ADDR.error" "" "no error"
jis "$ADDR.tls.protocol" TLSv1.3 "TLS 1.3"
jtrue "$ADDR.tls.cipher | startswith(\"TLS_\")" "a TLS 1.3 cipher"
jis "$ADDR.tls.subject" CN=mx.good.test "the subject"
jis "$ADDR.tls.names | join(\",\")" mx.good.test "the names"
jis "$ADDR.tls.issuer" "CN=tlspin test CA" "the issuer"
jtrue "$ADDR.tls.not_before | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\")" \
	"not_before in UTC"
jtrue "$ADDR.tls.not_after | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\")" \
	"not_after in UTC"
jtrue "$ADDR.tls.days_left | . >= 363 and . <= 365" "about 365 days left"
jis "$ADDR.tls.key" "RSA 2048" "an RSA 2048 key"
jis "$ADDR.tls.chain_length" 2 "a chain of two"
jis "$ADDR.tls.chain_verified" true "the chain verifies"
jis "$ADDR.tls.verify_error" "" "no verify error"
jis "$ADDR.tls.name_matched" true "the name matches"
jis "$ADDR.tls.expired" false "not expired"

for_a_person good good.test 0 secure mx.good.test

run_check wild wild.test
verdict secure pass 0
jis .mta_sts false "no MTA-STS"
jis "$ADDR.tls.names | join(\",\")" "*.wild.test" "a wildcard name"
jis "$ADDR.tls.name_matched" true "*.wild.test matches mx.wild.test"

run_check ec ec.test
verdict secure pass 0
jgrep "$ADDR.tls.key" "^(EC|ECDSA)" "an EC key"
jis "$ADDR.tls.chain_verified" true "the chain verifies"

# The test zone is not signed (unbound's local-data cannot be), so the
# TLSA records are seen but not DNSSEC-validated: Postfix would not use
# them, and the verdict is secure, not dane.
run_check dane dane.test
verdict secure pass 0
jis '.mx[0].tlsa' true "a TLSA record"
jis .dnssec false "no DNSSEC"
jgrep '.problems[]' "DNSSEC" "a problem says the TLSA records are not validated"

run_check v4 v6.test
verdict secure pass 0
jis '[.mx[0].addresses[].address] | sort | join(",")' "127.0.0.1,::1" \
	"both addresses, IPv4 and IPv6"
jis '[.mx[0].addresses[].tls.chain_verified] | all' true "both verified"

# --- encrypt -----------------------------------------------------------------
run_check self self.test
verdict encrypt warn 1
jis .mta_sts false "no MTA-STS"
jis "$ADDR.tls.chain_verified" false "the chain does not verify"
jis "$ADDR.tls.name_matched" true "the name matches"
jgrep "$ADDR.tls.verify_error" "self.signed" "the verify error says self-signed"
jgrep '.problems[]' "self.signed" "a problem says self-signed"

run_check wrong wrong.test
verdict encrypt warn 1
jis "$ADDR.tls.chain_verified" true "the chain verifies"
jis "$ADDR.tls.name_matched" false "the name does not match"
jis "$ADDR.tls.names | join(\",\")" mx.other.test "the certificate's name"
jgrep '.problems[]' "mx\\.wrong\\.test" "a problem names the host"

run_check expired expired.test
verdict encrypt warn 1
jis "$ADDR.tls.expired" true "expired"
jtrue "$ADDR.tls.days_left < 0" "days_left below zero"
jis "$ADDR.tls.not_after" 2021-01-01T00:00:00Z "not_after"
jgrep '.problems[]' "expired" "a problem says expired"

run_check rogue rogue.test
verdict encrypt warn 1
jis '.mx[0].name' mx.good.test "the MX"
jis "$ADDR.tls.chain_verified" false "the chain does not verify"
jis "$ADDR.tls.name_matched" true "the name matches"
jis "$ADDR.tls.issuer" "CN=tlspin rogue CA" "the rogue issuer"
jgrep '.problems[]' "not verified|untrusted|unknown (ca|issuer)|not trusted" \
	"a problem says the issuer is not trusted"

run_check tls10 tls10.test
verdict encrypt warn 1
jgrep "$ADDR.tls.protocol" "^TLSv1(\\.0)?$" "TLS 1.0 negotiated"
jis "$ADDR.tls.chain_verified" true "the chain verifies"
jgrep '.problems[]' "TLS ?1\\.0" "a problem names TLS 1.0"

# --- none --------------------------------------------------------------------
# none CASE-ARGS...: run_check, then the checks of every failed case.
none() {
	run_check "$@"
	verdict none fail 2
	jis .policy "" "no policy string"
	jis .mta_sts false "no MTA-STS"
}
NOT_SMTP="not (an |a )?SMTP|not SMTP|longer than|too long|garbage|binary|invalid|unexpected|HTTP|web server|not a mail server"

none plain plain.test
jis "$ADDR.connected" true "connected"
jis "$ADDR.starttls" false "no STARTTLS"
jis "$ADDR.tls" null "no TLS"
jgrep "$ADDR.error" "STARTTLS" "the error says STARTTLS"
for_a_person plain plain.test 2 none mx.plain.test

none refuse refuse.test
jis "$ADDR.tls" null "no TLS"
jgrep "$ADDR.error" "STARTTLS" "the error says STARTTLS"

none badtls badtls.test
jis "$ADDR.tls" null "no TLS"
jgrep "$ADDR.error" "TLS|handshake" "the error says TLS"

TMO=2 none stall stall.test
jgrep "$ADDR.error" "timed out" "the error says timed out"
TMO=2 none stallbanner stallbanner.test
jis "$ADDR.connected" true "connected"
jis "$ADDR.reached" false "but not reached: no banner"
jgrep "$ADDR.error" "timed out" "the error says timed out"
jtrue '[.problems[] | test("would defer the mail that goes to the servers without TLS")] | any | not' \
	"not taken for a server in clear"
out=$(TMO=2 tlspin_check stallbanner stallbanner.test 2>&1)
like "$out" "STARTTLS     not reached (connected, but no banner)" \
	"stallbanner.test, for a person: not reached"
case $out in
*"NOT offered"*) ok 1 "stallbanner.test, for a person: not \"STARTTLS NOT offered\"" ;;
*) ok 0 "stallbanner.test, for a person: not \"STARTTLS NOT offered\"" ;;
esac
run_check plain plain.test
jis "$ADDR.reached" true "a server that sent its banner was reached"

none garbage garbage.test
jgrep "$ADDR.error" "$NOT_SMTP" "the error says it is not SMTP"
start=$SECONDS
none big big.test
jgrep "$ADDR.error" "$NOT_SMTP" "the error says the banner is too long"
test $((SECONDS - start)) -lt 5; ok $? "big.test: the check does not read 10 MB"
none http http.test
jgrep "$ADDR.error" "$NOT_SMTP" "the error says it is not SMTP"

none good nxdomain.test
jtrue '.problems | length > 0' "a problem"
jgrep '.problems[]' "nxdomain|not exist|no such|not found|no mx|no address" \
	"the problem says the domain does not exist"

none multi1 multi.test
jis '[.mx[] | "\(.preference) \(.name)"] | join(",")' \
	"10 mx1.multi.test,20 mx2.multi.test" "two MX, by preference"
jis '.mx[0].addresses[0].tls.chain_verified' true "the first MX is good"
jis '.mx[1].addresses[0].address' 127.0.0.3 "the second at its address"
jis '.mx[1].addresses[0].starttls' false "the second has no STARTTLS"
jgrep '.problems[]' "mx2\\.multi\\.test" "a problem names the bad MX"

# --- where the MX come from ----------------------------------------------------
run_check good nomx.test
jis .mx_source implicit "no MX record: the domain is its own MX"
jis '.mx[0].name' nomx.test "the MX name"
jis "$ADDR.connected" true "connected"

run_check good good.test --mx mx.good.test
verdict secure pass 0
jis .mx_source given "--mx: the MX given"

run_check good nodns.test --mx mx.good.test --address 127.0.0.1
verdict secure pass 0
jis .mx_source given "--mx and --address: no DNS needed"
jis '.mx[0].name' mx.good.test "the name checked is the MX name"
jis "$ADDR.address" 127.0.0.1 "the address given"

# --- other protocols ---------------------------------------------------------
run_check good mx.good.test --starttls submission
verdict secure pass 0
run_check smtps mx.good.test --tls
verdict secure pass 0
jis "$ADDR.tls.name_matched" true "implicit TLS: the name matches"
run_check imap mx.good.test --starttls imap
verdict secure pass 0
jis "$ADDR.tls.chain_verified" true "IMAP STARTTLS: verified"
run_check imapplain mx.good.test --starttls imap
verdict none fail 2
run_check imaps mx.good.test --tls
verdict secure pass 0
run_check pop3 mx.good.test --starttls pop3
verdict secure pass 0
jis "$ADDR.tls.chain_verified" true "POP3 STLS: verified"
run_check pop3s mx.good.test --tls
verdict secure pass 0

# --- as a monitoring plugin ---------------------------------------------------
# plugin SERVER DOMAIN EXIT WORD: --plugin's exit status and status line
# "TLSPIN WORD - DOMAIN: ... | time=Nms[ days_left=N]"; sets P (the output).
PERF='\| time=[0-9]+ms( days_left=-?[0-9]+)?$'
plugin() {
	P=$(tlspin_check "$1" "$2" --plugin 2>"$T/plugin.err")
	local rc=$?
	is "$rc" "$3" "--plugin $2: exit $3"
	printf '%s\n' "$P" | head -n 1 | grep -Eq "^TLSPIN $4 - $2: .*$PERF"
	ok $? "--plugin $2: TLSPIN $4 status line with perf data"
	[ $? = 0 ] || printf '%s\n' "$P" | diag
}
plugin good good.test 0 OK
printf '%s\n' "$P" | head -n 1 | grep -Eq ' \| time=[0-9]+ms days_left=36[3-5]$'
ok $? "--plugin good.test: time in ms, days_left of the certificate"
like "$P" 'would pin "secure match=mx.good.test"' "--plugin good.test: says the policy"
plugin self self.test 1 WARNING
like "$P" "self" "--plugin self.test: the problem on a line of its own"
plugin plain plain.test 2 CRITICAL
printf '%s\n' "$P" | head -n 1 | grep -Eq ' \| time=[0-9]+ms$'
ok $? "--plugin plain.test: no certificate, no days_left"
timeout 30 "$TLSPIN" check good.test --json --plugin >/dev/null 2>&1
is "$?" 3 "--json with --plugin: a usage error, exit 3"

# --- the check itself could not run: exit 3, UNKNOWN ---------------------------
# A resolver that takes the queries and never answers (socat reads them
# and says nothing), and a port nothing listens on.
SILENT_PORT=$((20000 + RANDOM % 20000))
socat -u UDP-RECV:"$SILENT_PORT",bind=127.0.0.1 /dev/null 2>/dev/null &
SERVER_PIDS="$SERVER_PIDS $!"
silent() {
	timeout 30 "$TLSPIN" check "$@" --cafile "$PKI/ca.pem" \
		--resolver "127.0.0.1:$SILENT_PORT" --timeout 1
}
CASE="silent resolver"
J=$(silent good.test --json 2>"$T/check.err"); RC=$?
is "$RC" 3 "a resolver that does not answer: exit 3 (could not check), not 2"
jis .status unknown "status unknown"
jis .resolver "127.0.0.1:$SILENT_PORT" "names the resolver"
jgrep .could_not_check "127\\.0\\.0\\.1:$SILENT_PORT did not answer within 1 s" \
	"says the resolver and the timeout"
like "$(cat "$T/check.err")" "could not check good.test" "and says so on stderr"
P=$(silent good.test --plugin 2>/dev/null); RC=$?
is "$RC" 3 "--plugin, silent resolver: exit 3"
printf '%s\n' "$P" | head -n 1 | grep -Eq "^TLSPIN UNKNOWN - good.test: could not check: the resolver 127\.0\.0\.1:$SILENT_PORT did not answer within 1 s.*$PERF"
ok $? "--plugin, silent resolver: TLSPIN UNKNOWN, naming the resolver and the timeout"
out=$(silent good.test 2>&1); RC=$?
is "$RC" 3 "for a person, silent resolver: exit 3"
like "$out" "verdict:        unknown: could not check: the resolver 127.0.0.1:$SILENT_PORT did not answer within 1 s" \
	"for a person: the verdict says it could not check, and why"
J=$(silent good.test --mx mx.good.test --json 2>/dev/null); RC=$?
is "$RC" 3 "--mx given, the address lookups unanswered: exit 3"
# A resolver that answers NXDOMAIN is an answer: the domain fails (2).
none good nxdomain.test
jis .could_not_check null "NXDOMAIN is an answer: the check ran"

# --- usage errors ------------------------------------------------------------
usage() {	# usage DESCRIPTION ARGS...: tlspin check ARGS exits 3
	local what=$1
	shift
	timeout 30 "$TLSPIN" check "$@" >/dev/null 2>"$T/usage.err"
	is "$?" 3 "usage error: $what"
}
usage "no domain"
usage "an unknown protocol" good.test --starttls gopher
usage "a port that is not a number" good.test --port smtp
usage "port 0" good.test --port 0
usage "a timeout that is not a number" good.test --timeout soon
usage "a resolver that is not an address" good.test --resolver nowhere:x
done_testing
