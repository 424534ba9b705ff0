#!/bin/bash
# servers.t: the things "tlspin check" is tested against work as check.t
# expects, checked with independent clients. fakesmtp in every mode and
# protocol is spoken to with bash's /dev/tcp and openssl s_client; the
# certificates of pki.sh are checked with openssl verify and x509; the
# private unbound of dns.sh answers MX, A, AAAA, TXT and TLSA.
. "$abs_top_srcdir/t/probe/lib.sh"
need openssl timeout
probe_pki

# talk PORT TEXT [HOST [LINES]]: send TEXT (printf %b), print what the
# server says (CRs removed) until it closes, or its first LINES lines,
# for at most 5 s.
talk() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$2/$0" || exit 1
		printf "%b" "$1" >&3; head -n "$3" <&3 | tr -d "\r"' \
		"$1" "$2" "${3:-127.0.0.1}" "${4:-1000000}"
}

# raw PORT [TEXT]: like talk, but the bytes as they come.
raw() {
	timeout 20 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
		printf "%b" "$1" >&3; cat <&3' "$1" "${2:-}"
}

# silent PORT SECONDS [TEXT]: true if the server sends nothing for SECONDS
# (after its banner and TEXT, if TEXT is given) and keeps the connection
# open all that time.
silent() {
	timeout "$2" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
		if [ -n "$1" ]; then read -r banner <&3; printf "%b" "$1" >&3; fi
		head -c 1 <&3 >"$2"; exit 3' "$1" "${3:-}" "$T/silent.out"
	[ $? -eq 124 ] && [ ! -s "$T/silent.out" ]
}

# gone PID: true if process PID has ended (a zombie counts as ended).
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# sc [S_CLIENT-ARGS...]: openssl s_client against 127.0.0.1:$PORT trusting
# the test CA, nothing sent; prints what it says, with s_client's status.
sc() {
	timeout 10 openssl s_client -connect "127.0.0.1:$PORT" \
		-CAfile "$PKI/ca.pem" "$@" </dev/null 2>&1
}

# sc_say TEXT [S_CLIENT-ARGS...]: send TEXT inside TLS and print what the
# server says there until it closes (-quiet: no handshake summary).
sc_say() {
	local text=$1
	shift
	printf '%b' "$text" | timeout 10 openssl s_client -quiet \
		-connect "127.0.0.1:$PORT" -CAfile "$PKI/ca.pem" "$@" 2>/dev/null |
		tr -d '\r'
}

# --- the PKI ---------------------------------------------------------------
# verify LEAF [ARGS...]: openssl verify of $PKI/LEAF.pem with its chain.
verify() {
	local leaf=$1
	shift
	openssl verify -CAfile "$PKI/ca.pem" -untrusted "$PKI/$leaf.pem" "$@" \
		"$PKI/$leaf.pem" 2>&1
}
like "$(verify good -verify_hostname mx.good.test)" ": OK" \
	"good: signed by the test CA, for mx.good.test"
like "$(openssl x509 -in "$PKI/good.pem" -noout -text)" "Public-Key: (2048 bit)" \
	"good: an RSA 2048 key"
openssl x509 -in "$PKI/good.pem" -noout -checkend $((364 * 86400)) >/dev/null &&
	! openssl x509 -in "$PKI/good.pem" -noout -checkend $((366 * 86400)) >/dev/null
ok $? "good: valid for one year"
is "$(grep -c 'BEGIN CERTIFICATE' "$PKI/good.pem")" 2 "good.pem: the leaf, then the CA"
is "$(openssl x509 -in "$PKI/ca.pem" -noout -subject)" "subject=CN = tlspin test CA" \
	"the CA is \"tlspin test CA\""
like "$(verify wild -verify_hostname mx.wild.test)" ": OK" "wild: *.wild.test covers mx.wild.test"
like "$(verify self)" "self-signed certificate" "self: self-signed"
like "$(openssl x509 -in "$PKI/self.pem" -noout -subject -ext subjectAltName)" \
	"CN = mx.self.test" "self: CN mx.self.test"
like "$(verify wrong)" ": OK" "wrong: signed by the test CA"
like "$(verify wrong -verify_hostname mx.wrong.test)" "hostname mismatch" \
	"wrong: not for mx.wrong.test"
like "$(verify expired)" "certificate has expired" "expired: expired"
is "$(openssl x509 -in "$PKI/expired.pem" -noout -startdate -enddate | tr '\n' ' ')" \
	"notBefore=Jan  1 00:00:00 2020 GMT notAfter=Jan  1 00:00:00 2021 GMT " \
	"expired: from 2020-01-01 to 2021-01-01"
like "$(verify ec -verify_hostname mx.ec.test)" ": OK" "ec: signed by the test CA"
like "$(openssl x509 -in "$PKI/ec.pem" -noout -text)" "ASN1 OID: prime256v1" \
	"ec: an EC P-256 key"
like "$(verify rogue)" "self-signed certificate in certificate chain" \
	"rogue: its chain ends at a CA that is not the test CA"
like "$(openssl verify -CAfile "$PKI/rogue-ca.pem" -verify_hostname mx.good.test \
	"$PKI/rogue.pem" 2>&1)" ": OK" "rogue: mx.good.test, from the rogue CA"
for leaf in tls10 dane multi v6; do
	like "$(verify $leaf)" ": OK" "$leaf: signed by the test CA"
done
sh "$abs_top_srcdir/t/probe/pki.sh" "$PKI" >"$T/pki.out" 2>&1
is "$?/$(cat "$T/pki.out")" "0/" "pki.sh again: nothing to do, nothing said"
! grep -q -e "-----BEGIN [A-Z ]*PRIVATE KEY-----" "$abs_top_srcdir/t/probe/"*
ok $? "no private key in the source tree"

# --- fakesmtp itself -----------------------------------------------------
"$FAKESMTP" >/dev/null 2>&1
is "$?" 64 "fakesmtp without --port-file: usage error"
err=$("$FAKESMTP" --port-file "$T/x.port" 2>&1)
like "$err" "needs --cert and --key" "mode starttls without a certificate is refused"
err=$("$FAKESMTP" --port-file "$T/x.port" --mode nosuch 2>&1)
like "$err" "expected one of starttls, nostarttls" "an unknown mode is named"

# --- SMTP, mode starttls -------------------------------------------------
tls_server good good --name mx.good.test
case $PORT in *[!0-9]*|'') ok 1 "the port file holds a port number" ;;
*) ok 0 "the port file holds a port number" ;; esac
out=$(talk "$PORT" 'EHLO client.test\r\nHELO client.test\r\nNOOP\r\nRSET\r\nVRFY x\r\nQUIT\r\n')
is "$out" "220 mx.good.test ESMTP fakesmtp
250-mx.good.test
250-PIPELINING
250-SIZE 10240000
250-STARTTLS
250 8BITMIME
250 mx.good.test
250 2.0.0 Ok
250 2.0.0 Ok
502 5.5.2 Error: command not recognized
221 2.0.0 Bye" "starttls: banner, EHLO with STARTTLS, HELO, NOOP, RSET, 502, QUIT"
like "$(talk "$PORT" 'EHLO x\r\nSTARTTLS\r\n' 127.0.0.1 7 | tail -1)" "220 2.0.0 Ready to start TLS" \
	"STARTTLS: 220 Ready to start TLS"
out=$(sc -starttls smtp -verify_hostname mx.good.test -verify_return_error -showcerts)
like "$out" "Verify return code: 0 (ok)" "s_client -starttls smtp: verified as mx.good.test"
like "$out" "New, TLSv1.3" "TLS 1.3 by default"
is "$(grep -c 'BEGIN CERTIFICATE' <<<"$out")" 2 "the server sends the chain"
out=$(sc_say 'EHLO client.test\nQUIT\n' -starttls smtp)
is "$out" "250-mx.good.test
250-PIPELINING
250-SIZE 10240000
250 8BITMIME
221 2.0.0 Bye" "inside TLS: EHLO again, without STARTTLS, then QUIT"

# A client that holds a connection blocks nobody, and rude clients do
# not stop the server.
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
like "$(talk "$PORT" 'QUIT\r\n')" "221" "a second client is served while one stalls"
exec 4<&-
long=$(head -c 5000 /dev/zero | tr '\0' x)
like "$(talk "$PORT" "EHLO $long\r\n")" "500 5.5.0 Error: line too long" \
	"a 5000-byte line: 500 and close"
head -c 3000 /dev/urandom > "$T/junk"
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"; cat "$1" >&3
	printf "\r\nQUIT\r\n" >&3; cat <&3' "$PORT" "$T/junk" >/dev/null 2>&1
for i in 1 2 3 4 5; do
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$PORT"
done
like "$(talk "$PORT" 'EHLO x\r\nSTARTTLS\r\nnot a TLS hello\r\n' 127.0.0.1 7)" "Ready to start TLS" \
	"plain text after STARTTLS: a failed handshake"
like "$(talk "$PORT" 'QUIT\r\n')" "221" "the server lives on after junk and hang-ups"
kill -0 "$SERVER_PID"; ok $? "fakesmtp is still running"

# --- SMTP, the bad modes -------------------------------------------------
server plain --mode nostarttls --name mx.plain.test
out=$(talk "$PORT" 'EHLO x\r\nSTARTTLS\r\nQUIT\r\n')
case $out in *STARTTLS*) ok 1 "nostarttls: EHLO without STARTTLS" ;;
*) ok 0 "nostarttls: EHLO without STARTTLS" ;; esac
like "$out" "502 5.5.1 Error: command not implemented" "nostarttls: STARTTLS gets 502"

server refuse --mode refuse
out=$(talk "$PORT" 'EHLO x\r\nSTARTTLS\r\nQUIT\r\n')
like "$out" "250-STARTTLS" "refuse: STARTTLS offered"
like "$out" "454 4.7.0 TLS not available due to local problem" "refuse: and refused with 454"

server badtls --mode badtls
out=$(talk "$PORT" 'EHLO x\r\nSTARTTLS\r\nnot a TLS hello\r\n')
like "$out" "220 2.0.0 Ready to start TLS
this is not TLS" "badtls: 220, then junk for the client's hello"
raw "$PORT" 'STARTTLS\r\nnot a TLS hello\r\n' > "$T/badtls"
replies=$(printf '220 localhost ESMTP fakesmtp\r\n220 2.0.0 Ready to start TLS\r\n' | wc -c)
is "$(wc -c < "$T/badtls")/$(tail -c 200 "$T/badtls" | tr -d 'a-zA-Z ' | wc -c)" \
	"$((replies + 200))/0" "badtls: 200 bytes of junk and close"
out=$(sc -starttls smtp)
like "$out" "wrong version number" "badtls: s_client's handshake fails"

server stallbanner --mode stall-banner
silent "$PORT" 2; ok $? "stall-banner: nothing in 2 s, the connection held"

server stall --mode stall-ehlo
is "$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"; head -1 <&3' "$PORT" | tr -d '\r')" \
	"220 localhost ESMTP fakesmtp" "stall-ehlo: a banner (host localhost by default)"
silent "$PORT" 3 'EHLO x\r\n'; ok $? "stall-ehlo: then nothing after EHLO"

server garbage --mode garbage
raw "$PORT" > "$T/garbage"
is "$(wc -c < "$T/garbage")" 4096 "garbage: 4096 bytes, then close"
test "$(tr -d '\000' < "$T/garbage" | wc -c)" -le $((4096 - 68))
ok $? "garbage: with NULs in it"

server big --mode bigbanner
raw "$PORT" > "$T/big"
is "$(wc -c < "$T/big")" $((4 + 10 * 1024 * 1024)) "bigbanner: 10 MB after the 220"
is "$(head -c 4 "$T/big")/$(tail -c +5 "$T/big" | tr -d A | wc -c)" "220 /0" \
	"bigbanner: '220 ' then only A, no newline"
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"; head -c 100 <&3 >/dev/null' "$PORT"
like "$(talk "$PORT" '' | head -c 4)" "220" "bigbanner: a client that goes early is no trouble"
is "$(grep -c . "$T/big.log")" 0 "bigbanner: and the server says nothing about it"

server http --mode http
is "$(talk "$PORT" 'EHLO x\r\n')" "HTTP/1.1 400 Bad Request" "http: an HTTP error and close"

# --- implicit TLS, version caps, IPv6, shared ports ----------------------
tls_server smtps good --implicit --name mx.good.test
out=$(sc_say 'EHLO x\nQUIT\n' -verify_hostname mx.good.test -verify_return_error)
like "$out" "220 mx.good.test ESMTP fakesmtp" "--implicit: the banner comes inside TLS"
case $out in *STARTTLS*) ok 1 "--implicit: no STARTTLS offered in TLS" ;;
*) ok 0 "--implicit: no STARTTLS offered in TLS" ;; esac

tls_server tls10 tls10 --tls-max 1.0 --name mx.tls10.test
out=$(sc -starttls smtp -tls1 -cipher DEFAULT@SECLEVEL=0 -verify_hostname mx.tls10.test)
like "$out" "Protocol  : TLSv1
" "--tls-max 1.0: Debian's OpenSSL negotiates TLS 1.0 (client at SECLEVEL=0)"
like "$out" "Verify return code: 0 (ok)" "--tls-max 1.0: and the chain verifies"
like "$(sc -starttls smtp)" "legacy sigalg disallowed" \
	"--tls-max 1.0: a client at the default security level fails"
like "$(sc -starttls smtp -tls1_2)" "unsupported protocol" "--tls-max 1.0: no TLS 1.2"
tls_server tls12 good --tls-max 1.2
like "$(sc -starttls smtp)" "New, TLSv1.2" "--tls-max 1.2: TLS 1.2"

tls_server v4 v6 --listen 127.0.0.1 --name mx.v6.test
v4port=$PORT
tls_server v6 v6 --listen ::1 --port "$v4port" --name mx.v6.test
is "$PORT" "$v4port" "--port N: the same port on ::1"
like "$(talk "$PORT" 'QUIT\r\n' ::1)" "220 mx.v6.test" "--listen ::1: served on IPv6"
tls_server mx1 multi --listen 127.0.0.2 --name mx1.multi.test
server mx2 --mode nostarttls --listen 127.0.0.3 --port "$PORT" --name mx2.multi.test
like "$(talk "$PORT" 'QUIT\r\n' 127.0.0.3)/$(talk "$PORT" 'QUIT\r\n' 127.0.0.2)" \
	"220 mx2.multi.test ESMTP fakesmtp
221 2.0.0 Bye/220 mx1.multi.test" "two servers on one port, two loopback addresses"

# --- IMAP and POP3 ---------------------------------------------------------
tls_server imap good --proto imap
is "$(talk "$PORT" 'a1 CAPABILITY\r\na2 NOOP\r\na3 FROB\r\nnotag\r\na4 LOGOUT\r\n')" \
"* OK [CAPABILITY IMAP4rev1 STARTTLS] fakesmtp ready
* CAPABILITY IMAP4rev1 STARTTLS
a1 OK CAPABILITY completed
a2 OK NOOP completed
a3 BAD unknown command
* BAD expected a tag and a command
* BYE fakesmtp logging out
a4 OK LOGOUT completed" "imap: greeting, CAPABILITY, NOOP, BAD, LOGOUT"
like "$(talk "$PORT" 'a1 STARTTLS\r\n' 127.0.0.1 2 | tail -1)" "a1 OK Begin TLS" "imap: STARTTLS: OK Begin TLS"
out=$(sc -starttls imap -verify_hostname mx.good.test -verify_return_error)
like "$out" "Verify return code: 0 (ok)" "imap: s_client -starttls imap verifies"
out=$(sc_say 'b1 CAPABILITY\nb2 STARTTLS\nb3 LOGOUT\n' -starttls imap)
like "$out" "* CAPABILITY IMAP4rev1
b1 OK" "imap: inside TLS, CAPABILITY without STARTTLS"
like "$out" "b2 BAD TLS already active" "imap: no second STARTTLS"
like "$out" "b3 OK LOGOUT completed" "imap: LOGOUT inside TLS"

server imapplain --proto imap --mode nostarttls
out=$(talk "$PORT" 'a1 CAPABILITY\r\na2 STARTTLS\r\na3 LOGOUT\r\n')
case $out in *STARTTLS*) ok 1 "imap nostarttls: STARTTLS never offered" ;;
*) ok 0 "imap nostarttls: STARTTLS never offered" ;; esac
like "$out" "a2 BAD" "imap nostarttls: STARTTLS refused"

tls_server imaps good --proto imap --implicit
out=$(sc_say 'a1 LOGOUT\n' -verify_hostname mx.good.test -verify_return_error)
like "$out" "* OK [CAPABILITY IMAP4rev1] fakesmtp ready" "imap --implicit: the greeting inside TLS"

tls_server pop3 good --proto pop3
is "$(talk "$PORT" 'CAPA\r\nNOOP\r\nUSER x\r\nQUIT\r\n')" "+OK fakesmtp ready
+OK
USER
STLS
.
+OK
-ERR unknown command
+OK" "pop3: greeting, CAPA with STLS, NOOP, -ERR, QUIT"
like "$(talk "$PORT" 'STLS\r\n' 127.0.0.1 2 | tail -1)" "+OK Begin TLS" "pop3: STLS: +OK Begin TLS"
out=$(sc -starttls pop3 -verify_hostname mx.good.test -verify_return_error)
like "$out" "Verify return code: 0 (ok)" "pop3: s_client -starttls pop3 verifies"
is "$(sc_say 'CAPA\nQUIT\n' -starttls pop3)" "+OK
USER
.
+OK" "pop3: inside TLS, CAPA without STLS"

server pop3plain --proto pop3 --mode nostarttls
out=$(talk "$PORT" 'CAPA\r\nSTLS\r\nQUIT\r\n')
case $out in *STLS*) ok 1 "pop3 nostarttls: STLS not offered" ;;
*) ok 0 "pop3 nostarttls: STLS not offered" ;; esac
like "$out" "-ERR unknown command" "pop3 nostarttls: STLS refused"

tls_server pop3s good --proto pop3 --implicit
like "$(sc_say 'QUIT\n' -verify_hostname mx.good.test -verify_return_error)" \
	"+OK fakesmtp ready" "pop3 --implicit: the greeting inside TLS"

# --- stopping ----------------------------------------------------------------
server holder --mode stall-banner
holder=$SERVER_PID
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
has_child() { [ -n "$(pgrep -P "$1")" ]; }	# has_child PID: PID has a child
wait_for has_child "$holder"
child=$(pgrep -P "$holder")
test -n "$child"; ok $? "each connection has its own child process"
kill -TERM "$holder"
wait "$holder"
is "$?" 0 "SIGTERM: fakesmtp exits 0"
wait_for gone "$child"
ok $? "its children die with it"
exec 4<&-

# Under ASan and UBSan a child's report lands in its server's log.
if cat "$T"/*.log | grep -q "Sanitizer\|runtime error"; then
	ok 1 "no fakesmtp reported a memory error"
	cat "$T"/*.log | diag
else
	ok 0 "no fakesmtp reported a memory error"
fi

# --- DNS ---------------------------------------------------------------------
cat > "$T/zone" <<EOF
# a comment and a blank line are left out

good.test. MX 10 mx.good.test.
mx.good.test. A 127.0.0.1
mx.v6.test. AAAA ::1
_mta-sts.good.test. TXT "v=STSv1; id=20240101"
_2525._tcp.mx.dane.test. TLSA 3 1 1 $(printf '%064d' 7)
EOF
dns_start "$T/dns" "$T/zone"
case $? in
0)	ok 0 "unbound starts on port $DNS_PORT without root"
	if command -v python3 >/dev/null 2>&1; then
		is "$(dns_query good.test MX)" "10 mx.good.test." "DNS: MX"
		is "$(dns_query mx.good.test A)" "127.0.0.1" "DNS: A"
		is "$(dns_query mx.v6.test AAAA)" "::1" "DNS: AAAA"
		is "$(dns_query _mta-sts.good.test TXT)" '"v=STSv1; id=20240101"' "DNS: TXT"
		is "$(dns_query _2525._tcp.mx.dane.test TLSA)" "3 1 1 $(printf '%064d' 7)" \
			"DNS: TLSA"
		is "$(dns_query nothing.test A)" "NXDOMAIN" "DNS: NXDOMAIN in test."
		is "$(dns_query example.com A)" "NXDOMAIN" "DNS: and outside it, without recursion"
	else
		ok 0 "# SKIP no python3 to ask unbound"
	fi
	dns_stop ;;
77)	ok 0 "# SKIP unbound is not installed" ;;
*)	ok 1 "unbound starts" ;;
esac
done_testing
