#!/bin/sh
# pki.sh DIR: make the probe tests' certificates in DIR, at test time, so
# that no key is ever committed. Quiet on success; on failure it prints
# openssl's messages and exits 1. Running it again on a complete DIR does
# nothing.
#
# In DIR:
#   ca.pem, ca.key              "tlspin test CA", the CA the probe trusts
#   rogue-ca.pem, rogue-ca.key  "tlspin rogue CA", one it does not trust
#   NAME.pem, NAME.key          a server: its certificate, then its CA's
#                               (none for self), and its key
# The servers (NAME: names in the certificate, key, issuer):
#   good     mx.good.test                RSA 2048  CA, valid 1 year
#   wild     *.wild.test                 EC P-256  CA
#   self     mx.self.test (CN and SAN)   RSA 2048  itself
#   wrong    mx.other.test               EC P-256  CA (served as mx.wrong.test)
#   expired  mx.expired.test             EC P-256  CA, 2020-01-01 to 2021-01-01
#   ec       mx.ec.test                  EC P-256  CA
#   rogue    mx.good.test                RSA 2048  the rogue CA
#   tls10    mx.tls10.test               RSA 2048  CA (for a TLS 1.0 server)
#   dane     mx.dane.test                EC P-256  CA
#   multi    mx1.multi.test mx2.multi.test  EC P-256  CA
#   v6       mx.v6.test                  EC P-256  CA
# The CAs are EC and most leaves too: RSA key generation is what makes
# this slow, and only the servers that stand for an ordinary or an old
# server need RSA.
set -u

[ $# -eq 1 ] || { echo "usage: pki.sh DIR" >&2; exit 2; }
DIR=$1
LEAVES="good wild self wrong expired ec rogue tls10 dane multi v6"

# pki_complete: true if every file is already there.
pki_complete() {
	for f in ca rogue-ca $LEAVES; do
		[ -s "$DIR/$f.pem" ] && [ -s "$DIR/$f.key" ] || return 1
	done
}

pki_complete && exit 0
mkdir -p "$DIR" || exit 1
cd "$DIR" || exit 1
umask 077
rm -rf ca.db && mkdir ca.db && : > ca.db/index.txt || exit 1
LOG=$(pwd)/pki.log
: > "$LOG"

# pki_fail WHAT: print the log and stop.
pki_fail() {
	echo "pki.sh: cannot make $1 in $DIR:" >&2
	cat "$LOG" >&2
	exit 1
}

# pki_key NAME rsa|ec: a new private key in NAME.key.
pki_key() {
	if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$1.key" 2>>"$LOG"
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$1.key" 2>>"$LOG"
	fi
}

# pki_ca NAME "COMMON NAME": a self-signed CA in NAME.pem and NAME.key.
pki_ca() {
	pki_key "$1" ec &&
	openssl req -x509 -new -key "$1.key" -days 3650 -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$1.pem" 2>>"$LOG"
}

# The configuration "openssl ca" needs; it is the only way in OpenSSL 3.0
# to give a certificate a start date in the past (for "expired").
cat > ca.cnf <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca.db/index.txt
new_certs_dir = ca.db
rand_serial = yes
unique_subject = no
default_md = sha256
default_days = 365
policy = any_cn
email_in_dn = no
copy_extensions = none
[ any_cn ]
commonName = supplied
EOF

# pki_leaf NAME rsa|ec CA "DNS:a,DNS:b" [START END]: NAME.key and NAME.pem
# (the certificate then CA.pem), signed by CA, for the given names, for a
# year from now or from START to END (YYYYMMDDHHMMSSZ).
pki_leaf() {
	name=$1 type=$2 ca=$3 san=$4
	cn=${san%%,*}
	cn=${cn#DNS:}
	pki_key "$name" "$type" || return 1
	openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" \
		2>>"$LOG" || return 1
	printf '%s\n' \
		"subjectAltName=$san" \
		"basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" \
		"subjectKeyIdentifier=hash" \
		"authorityKeyIdentifier=keyid" > "$name.ext"
	if [ $# -ge 6 ]; then
		set -- -startdate "$5" -enddate "$6"
	else
		set -- -days 365
	fi
	openssl ca -batch -notext -config ca.cnf -cert "$ca.pem" \
		-keyfile "$ca.key" -extfile "$name.ext" -in "$name.csr" \
		-out "$name.crt" "$@" >>"$LOG" 2>&1 || return 1
	cat "$name.crt" "$ca.pem" > "$name.pem" || return 1
	rm -f "$name.csr" "$name.ext" "$name.crt"
}

pki_ca ca "tlspin test CA" || pki_fail ca.pem
pki_ca rogue-ca "tlspin rogue CA" || pki_fail rogue-ca.pem

pki_leaf good rsa ca DNS:mx.good.test || pki_fail good.pem
pki_leaf wild ec ca "DNS:*.wild.test" || pki_fail wild.pem
pki_leaf wrong ec ca DNS:mx.other.test || pki_fail wrong.pem
pki_leaf expired ec ca DNS:mx.expired.test 20200101000000Z 20210101000000Z ||
	pki_fail expired.pem
pki_leaf ec ec ca DNS:mx.ec.test || pki_fail ec.pem
pki_leaf rogue rsa rogue-ca DNS:mx.good.test || pki_fail rogue.pem
pki_leaf tls10 rsa ca DNS:mx.tls10.test || pki_fail tls10.pem
pki_leaf dane ec ca DNS:mx.dane.test || pki_fail dane.pem
pki_leaf multi ec ca DNS:mx1.multi.test,DNS:mx2.multi.test || pki_fail multi.pem
pki_leaf v6 ec ca DNS:mx.v6.test || pki_fail v6.pem

pki_key self rsa &&
openssl req -x509 -new -key self.key -days 365 -subj "/CN=mx.self.test" \
	-addext "subjectAltName=DNS:mx.self.test" -out self.pem 2>>"$LOG" ||
	pki_fail self.pem

rm -rf ca.db ca.cnf "$LOG"
pki_complete || { echo "pki.sh: $DIR is incomplete" >&2; exit 1; }
exit 0
