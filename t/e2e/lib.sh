# t/e2e/lib.sh: shared setup and helpers for the tlspin end-to-end tests.
#
# NAME
#	lib.sh - a private mail world for testing tlspind against real Postfix
#
# SYNOPSIS
#	. t/e2e/lib.sh		(from run.sh and from every scenario script)
#
# DESCRIPTION
#	run.sh enters a private network, mount and PID namespace and calls
#	e2e_setup once. That builds, under one work directory:
#
#	- a test PKI made with openssl at run time (nothing is committed):
#	  a CA, a CA-signed certificate for mx.good.test, a self-signed one
#	  for the same name, a CA-signed one for the wrong name
#	  (mx.evil.test), one for mx.tls12.test, and one for mx.good.test
#	  from a rogue CA that the sender does not trust;
#	- unbound on 127.0.0.1:53 serving local zones only, and a resolv.conf
#	  bind-mounted over /etc/resolv.conf (the mount namespace keeps it
#	  private), so test domains resolve and nothing waits on the Internet;
#	- six receiving Postfix instances on their own loopback addresses,
#	  each with its own config_directory, queue_directory and maillog_file:
#	    good        127.0.0.2  mx.good.test        CA-signed certificate
#	    selfsigned  127.0.0.3  mx.selfsigned.test  self-signed, named mx.good.test
#	    wrongname   127.0.0.4  mx.evil.test        CA-signed, for mx.evil.test
#	    plain       127.0.0.5  mx.plain.test       no STARTTLS at all
#	    tls12       127.0.0.6  mx.tls12.test       CA-signed, TLS 1.2 at most
#	    rogue       127.0.0.7  mx.rogue.test       for mx.good.test, from an
#	                                               unknown CA
#	  They accept mail for any domain from 127.0.0.0/8 and discard it;
#	- one sending Postfix instance on 127.0.0.10 (not loopback-only, or
#	  Postfix would call the 127.x receivers "myself"), with
#	  smtp_tls_security_level = may, smtp_tls_loglevel = 1, the test CA as
#	  smtp_tls_CAfile and smtp_tls_policy_maps pointing at tlspind;
#	- tlspind, with its store in the work directory, learning from the
#	  sender's maillog (log_source = file:..., pin_min_span = 0s,
#	  private_mx = no; see e2e_tlspind_config).
#
#	The sender's smtp(8) runs without chroot (master.cf "n"): a chrooted
#	smtp would need private copies of resolv.conf, hosts, services and the
#	NSS libraries inside each test queue directory to use the test DNS.
#	The tlspind socket still lives where production puts it, in the
#	sender's queue_directory/private/ (mode 0700, owner postfix), and the
#	map names it by absolute path so that smtp(8) and postmap -q from the
#	harness see the same socket.
#
#	Attacks are simulated by changing DNS with unbound-control: pointing
#	mx.good.test's address at another receiver is an on-path attacker
#	(STARTTLS stripped, certificate replaced), pointing a domain's MX at
#	another host is a DNS attacker or a legitimate MX migration.
#
#	Scenario scripts (NN-name.sh) source this file, call e2e_scenario_begin
#	and then use the helpers below. They exit 0 (pass), 1 (fail), 77 (skip)
#	or 99 (the harness itself is broken). Every wait is a bounded poll.
#
# ENVIRONMENT
#	TLSPIND, TLSPIN	programs under test (default: the build tree)
#	E2E_WORK	work directory of a running harness (set by run.sh)
#	E2E_TIMEOUT	seconds one wait may take (default 20)
#	E2E_REQUIRE=1	a scenario that would skip fails instead (CI)

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${E2E_TIMEOUT:=20}"

# The build tree: make check-e2e exports TLSPIND and TLSPIN; by hand an
# in-tree build is assumed.
: "${abs_top_builddir:=$(cd "$E2E_DIR/../.." && pwd)}"
: "${TLSPIND:=$abs_top_builddir/daemon/tlspind}"
: "${TLSPIN:=$abs_top_builddir/tools/tlspin}"
export TLSPIND TLSPIN

PATH=$PATH:/usr/sbin:/sbin
export PATH

# Names and addresses of the test world.
E2E_RECEIVERS="good selfsigned wrongname plain tls12 rogue"
E2E_SENDER_ADDR=127.0.0.10
E2E_MAP_NAME=policy

# Per-receiver facts, looked up by name.
e2e_rcv_addr() {
	case $1 in
	good)		echo 127.0.0.2 ;;
	selfsigned)	echo 127.0.0.3 ;;
	wrongname)	echo 127.0.0.4 ;;
	plain)		echo 127.0.0.5 ;;
	tls12)		echo 127.0.0.6 ;;
	rogue)		echo 127.0.0.7 ;;
	*)		e2e_broken "no receiver named $1" ;;
	esac
}

e2e_rcv_host() {
	case $1 in
	good)		echo mx.good.test ;;
	selfsigned)	echo mx.selfsigned.test ;;
	wrongname)	echo mx.evil.test ;;
	plain)		echo mx.plain.test ;;
	tls12)		echo mx.tls12.test ;;
	rogue)		echo mx.rogue.test ;;
	*)		e2e_broken "no receiver named $1" ;;
	esac
}

# Paths derived from the work directory; called whenever E2E_WORK is known.
e2e_paths() {
	E2E_PKI=$E2E_WORK/pki
	E2E_DNS=$E2E_WORK/dns
	E2E_MTA=$E2E_WORK/mta
	E2E_SENDER_ETC=$E2E_MTA/sender/etc
	E2E_SENDER_QUEUE=$E2E_MTA/sender/queue
	E2E_SENDER_LOG=$E2E_MTA/sender/maillog
	E2E_STORE=$E2E_WORK/store
	E2E_TLSPIND_DIR=$E2E_WORK/tlspind
	E2E_TLSPIND_CONF=$E2E_TLSPIND_DIR/tlspind.conf
	E2E_TLSPIND_LOG=$E2E_TLSPIND_DIR/tlspind.log
	E2E_TLSPIND_PIDFILE=$E2E_TLSPIND_DIR/tlspind.pid
	E2E_SOCKET=$E2E_SENDER_QUEUE/private/tlspin
	E2E_MAP=socketmap:unix:$E2E_SOCKET:$E2E_MAP_NAME
}

# ---------------------------------------------------------------- outcomes

# Print a progress note on stderr (the driver keeps it in the scenario log).
e2e_note() {
	printf '# %s\n' "$*" >&2
}

# Fail the current scenario: what was expected did not happen.
e2e_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Skip the current scenario: it cannot run here. Under E2E_REQUIRE=1
# (CI, where everything must run) that is a failure, with the reason.
e2e_skip() {
	if [ "${E2E_REQUIRE:-0}" = 1 ]; then
		printf 'FAIL: would skip, and E2E_REQUIRE=1: %s\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# The harness itself is broken (setup failed, a tool misbehaved).
e2e_broken() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 99
}

# Milliseconds since the epoch, for bounded waits.
e2e_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# Poll a command until it succeeds or TIMEOUT seconds pass.
# Usage: e2e_wait TIMEOUT "what we wait for" command [args...]
e2e_wait() {
	local timeout=$1 what=$2 end
	shift 2
	end=$(( $(e2e_now_ms) + timeout * 1000 ))
	while :; do
		"$@" && return 0
		if [ "$(e2e_now_ms)" -ge "$end" ]; then
			e2e_note "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.1
	done
}

# ---------------------------------------------------------------- PKI

# Make the CA and the three server certificates. Keys live only in the
# work directory of this run.
e2e_pki_make() {
	local d=$E2E_PKI
	mkdir -p "$d" && chmod 700 "$d" || return 1
	(
	cd "$d" || exit 1
	exec 2>openssl.log
	# EC keys where the key type does not show in Postfix's logs: RSA
	# key generation is the slow part of the setup.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -days 2 \
		-keyout ca.key -out ca.crt -subj "/CN=tlspin e2e test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" || exit 1

	# good: RSA, CA-signed, for the MX name the pin expects.
	e2e_pki_leaf good rsa:2048 mx.good.test || exit 1
	# wrongname: ECDSA (so the logs show both key types), CA-signed,
	# valid for the attacker's own host only.
	e2e_pki_leaf wrongname ec mx.evil.test || exit 1
	# tls12: an older server's RSA certificate; also valid for
	# mx.migrate7.test, where 07's domain legitimately moves.
	e2e_pki_leaf tls12 rsa:2048 "mx.tls12.test mx.migrate7.test" || exit 1
	# rogue: the right name, issued by a CA the sender does not trust.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -days 2 -keyout rogue-ca.key -out rogue-ca.crt \
		-subj "/CN=tlspin e2e rogue CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" || exit 1
	e2e_pki_leaf rogue ec mx.good.test rogue-ca || exit 1
	# selfsigned: claims the right name but no CA vouches for it.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-keyout selfsigned.key -out selfsigned.crt \
		-subj "/CN=mx.good.test" \
		-addext "subjectAltName=DNS:mx.good.test" || exit 1
	)
}

# One CA-signed server certificate: e2e_pki_leaf NAME KEYTYPE DNSNAMES [CA]
# (DNSNAMES: one or more names separated by spaces; the first is the CN).
e2e_pki_leaf() {
	local name=$1 keytype=$2 dns=${3%% *} ca=${4:-ca} san="" n
	for n in $3; do san="$san${san:+,}DNS:$n"; done
	if [ "$keytype" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$name.key" || return 1
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$name.key" || return 1
	fi
	openssl req -new -key "$name.key" -subj "/CN=$dns" -out "$name.csr" ||
		return 1
	printf '%s\n' \
		"subjectAltName=$san" \
		"basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" \
		-CAcreateserial -days 2 -extfile "$name.ext" -out "$name.crt"
}

# ---------------------------------------------------------------- DNS

# The A records every scenario starts from.
e2e_dns_baseline_records() {
	local r
	for r in $E2E_RECEIVERS; do
		echo "$(e2e_rcv_host "$r"). 5 IN A $(e2e_rcv_addr "$r")"
	done
	echo "sender.test. 5 IN A $E2E_SENDER_ADDR"
}

# Start unbound on 127.0.0.1:53 with local data only.
e2e_dns_start() {
	local d=$E2E_DNS rr
	mkdir -p "$d" || return 1
	{
		echo "server:"
		echo "  interface: 127.0.0.1"
		echo "  port: 53"
		echo "  do-ip6: no"
		echo "  do-daemonize: no"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  directory: \"$d\""
		echo "  pidfile: \"\""
		echo "  use-syslog: no"
		echo "  logfile: \"$d/unbound.log\""
		echo "  verbosity: 1"
		echo "  num-threads: 1"
		echo "  access-control: 127.0.0.0/8 allow"
		# No validator: the test zones are not signed, and there is no
		# trust anchor to fetch.
		echo "  module-config: \"iterator\""
		# Everything not listed here is NXDOMAIN at once.
		echo "  local-zone: \".\" static"
		e2e_dns_baseline_records | while read -r rr; do
			echo "  local-data: \"$rr\""
		done
		echo "remote-control:"
		echo "  control-enable: yes"
		echo "  control-interface: \"$d/control.sock\""
	} >"$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >"$d/checkconf.log" 2>&1 || {
		cat "$d/checkconf.log" >&2
		return 1
	}
	# setsid: a Ctrl-C meant for the harness must not kill the daemons
	# under the scenario that is running; cleanup stops them by pid.
	setsid unbound -d -c "$d/unbound.conf" >>"$d/unbound.stderr" 2>&1 &
	echo $! >"$d/unbound.pid"

	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' \
		>"$E2E_WORK/resolv.conf"
	mount --bind "$E2E_WORK/resolv.conf" /etc/resolv.conf || return 1
	e2e_wait 10 "unbound to answer" e2e_dns_resolves mx.good.test 127.0.0.2
}

# True if NAME resolves to ADDR through the system resolver.
e2e_dns_resolves() {
	getent ahostsv4 "$1" 2>/dev/null | grep -q "^$2 "
}

e2e_unbound_control() {
	unbound-control -c "$E2E_DNS/unbound.conf" "$@" >/dev/null
}

# Replace all records of NAME by the given ones ("TYPE DATA" each).
# Usage: e2e_dns_set NAME "MX 10 mx.good.test." ["A 127.0.0.2" ...]
e2e_dns_set() {
	local name=${1%.}. rr
	shift
	e2e_unbound_control local_data_remove "$name" ||
		e2e_broken "unbound-control local_data_remove $name failed"
	for rr in "$@"; do
		e2e_unbound_control local_data "$name 5 IN $rr" ||
			e2e_broken "unbound-control local_data $name $rr failed"
	done
	# Remember which names no longer hold their setup records, so that
	# e2e_dns_baseline restores only those (each call costs ~50 ms).
	touch "$E2E_DNS/changed.$name"
}

# Give DOMAIN one MX host. Usage: e2e_dns_mx DOMAIN HOST
e2e_dns_mx() {
	e2e_dns_set "$1" "MX 10 ${2%.}."
}

# Point NAME's A record at ADDR (for example mx.good.test at an attacker).
e2e_dns_a() {
	e2e_dns_set "$1" "A $2"
}

# Put the A records of the test hosts back as setup made them.
e2e_dns_baseline() {
	local r host
	for r in $E2E_RECEIVERS; do
		host=$(e2e_rcv_host "$r")
		[ -e "$E2E_DNS/changed.$host." ] || continue
		e2e_dns_a "$host" "$(e2e_rcv_addr "$r")"
		rm -f "$E2E_DNS/changed.$host."
	done
}

# ---------------------------------------------------------------- Postfix

# main.cf settings every instance shares: own directories, own log, IPv4
# only, nothing delivered locally, no DNS for the local hostname.
e2e_postfix_common_cf() {
	local name=$1 addr=$2 host=$3 base=$E2E_MTA/$1
	cat <<EOF
# Postfix instance "$name" of the tlspin end-to-end harness (generated).
compatibility_level = 3.6
config_directory = $base/etc
queue_directory = $base/queue
data_directory = $base/data
maillog_file = $base/maillog
maillog_file_prefixes = $E2E_WORK
myhostname = $host
mydomain = ${host#*.}
myorigin = \$myhostname
mydestination =
relay_domains =
inet_interfaces = $addr
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
notify_classes =
delay_warning_time = 0
EOF
}

# master.cf services every instance needs; nothing is chrooted (see above).
e2e_postfix_common_master() {
	cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# Write the configuration of receiver NAME.
e2e_receiver_config() {
	local name=$1 addr host etc=$E2E_MTA/$1/etc
	addr=$(e2e_rcv_addr "$name")
	host=$(e2e_rcv_host "$name")
	mkdir -p "$etc" "$E2E_MTA/$name/queue" || return 1
	{
		e2e_postfix_common_cf "$name" "$addr" "$host"
		cat <<EOF
syslog_name = postfix-$name
smtpd_banner = \$myhostname ESMTP e2e-$name
smtpd_relay_restrictions = permit_mynetworks, reject
# Accept for any domain, keep nothing.
default_transport = discard:accepted by e2e receiver $name
relay_transport = \$default_transport
local_transport = \$default_transport
smtpd_tls_loglevel = 1
EOF
		case $name in
		plain)
			echo "smtpd_tls_security_level = none"
			;;
		tls12)
			# TLS 1.2 at most, like many older servers. Postfix to
			# Postfix at "may" then agrees on an anonymous cipher
			# (no certificate sent: logged "Anonymous"); at
			# "secure" the client excludes those ciphers.
			echo "smtpd_tls_security_level = may"
			echo "smtpd_tls_cert_file = $E2E_PKI/$name.crt"
			echo "smtpd_tls_key_file = $E2E_PKI/$name.key"
			echo "smtpd_tls_protocols = <=TLSv1.2"
			;;
		*)
			echo "smtpd_tls_security_level = may"
			echo "smtpd_tls_cert_file = $E2E_PKI/$name.crt"
			echo "smtpd_tls_key_file = $E2E_PKI/$name.key"
			;;
		esac
	} >"$etc/main.cf"
	{
		echo "smtp      inet  n       -       n       -       -       smtpd"
		e2e_postfix_common_master
	} >"$etc/master.cf"
}

# Write the configuration of the sending instance.
e2e_sender_config() {
	local etc=$E2E_SENDER_ETC
	mkdir -p "$etc" "$E2E_SENDER_QUEUE" || return 1
	{
		e2e_postfix_common_cf sender "$E2E_SENDER_ADDR" sender.test
		cat <<EOF
smtp_bind_address = $E2E_SENDER_ADDR
local_transport = error:5.1.1 local delivery is off in the e2e sender
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_CAfile = $E2E_PKI/ca.crt
smtp_tls_policy_maps = $E2E_MAP
# One connection per delivery, so every delivery line has its own TLS line.
smtp_connection_cache_on_demand = no
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_starttls_timeout = 10s
# Retries happen when a scenario flushes the queue, not on a timer.
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
EOF
	} >"$etc/main.cf"
	e2e_postfix_common_master >"$etc/master.cf"
	echo "smtp      unix  -       -       n       -       -       smtp" \
		>>"$etc/master.cf"
}

e2e_postfix() {
	postfix -c "$E2E_MTA/$1/etc" "${@:2}"
}

e2e_master_pid() {
	sed -n '1s/^ *\([0-9][0-9]*\).*/\1/p' \
		"$E2E_MTA/$1/queue/pid/master.pid" 2>/dev/null
}

# Start instance NAME whose queue directory is already prepared.
e2e_postfix_start() {
	local name=$1
	touch "$E2E_MTA/$name/queue/quick-start"
	if ! e2e_postfix "$name" start >"$E2E_MTA/$name/start.log" 2>&1; then
		e2e_note "postfix instance $name did not start:"
		tail -n 20 "$E2E_MTA/$name/maillog" "$E2E_MTA/$name/start.log" >&2
		return 1
	fi
}

# Stop instance NAME by its master's pid; the master takes its children.
e2e_postfix_stop() {
	local name=$1 pid
	pid=$(e2e_master_pid "$name")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	e2e_wait 10 "postfix $name (pid $pid) to exit" \
		e2e_pid_gone "$pid" || kill -KILL -- "-$pid" 2>/dev/null
}

e2e_pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# Create all queue directories: Postfix's own post-install builds one, the
# others are copies of it (saves ~1 s of post-install per instance).
e2e_postfix_prepare() {
	local r
	e2e_sender_config || return 1
	for r in $E2E_RECEIVERS; do
		e2e_receiver_config "$r" || return 1
	done
	postfix -c "$E2E_SENDER_ETC" check >"$E2E_MTA/sender/check.log" 2>&1 || {
		cat "$E2E_MTA/sender/check.log" >&2
		return 1
	}
	for r in $E2E_RECEIVERS; do
		rm -rf "$E2E_MTA/$r/queue" &&
		cp -a "$E2E_SENDER_QUEUE" "$E2E_MTA/$r/queue" &&
		cp -a "$E2E_MTA/sender/data" "$E2E_MTA/$r/data" || return 1
	done
}

e2e_postfix_start_all() {
	local r pids="" rc=0 p
	for r in sender $E2E_RECEIVERS; do
		e2e_postfix_start "$r" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || rc=1
	done
	return $rc
}

# ---------------------------------------------------------------- tlspind

# tlspind runs as it should in production: it binds its socket as root,
# then drops to an unprivileged user (nobody here, so the harness creates
# no account) who owns the store. tlspin, run as root, acts as the store's
# owner by itself.
E2E_TLSPIND_USER=nobody

e2e_tlspind_config() {
	mkdir -p "$E2E_TLSPIND_DIR" "$E2E_STORE" || return 1
	chown "$E2E_TLSPIND_USER" "$E2E_STORE" || return 1
	cat >"$E2E_TLSPIND_CONF" <<EOF
# tlspind configuration of the tlspin end-to-end harness (generated).
store = $E2E_STORE
listen = unix:$E2E_SOCKET
map_name = $E2E_MAP_NAME
mode = enforce
unix_mode = 0666
user = $E2E_TLSPIND_USER
idle_timeout = 60s
EOF
	# the probes run as $E2E_TLSPIND_USER: the PKI directory is root's
	install -m 0644 "$E2E_PKI/ca.crt" "$E2E_TLSPIND_DIR/probe-ca.crt" ||
		return 1
	if e2e_tlspind_can_learn; then
		cat >>"$E2E_TLSPIND_CONF" <<EOF
# Learning: the learner child follows the sender's maillog_file (it is
# world-readable, and the learner runs as $E2E_TLSPIND_USER too).
log_source = file:$E2E_SENDER_LOG
# The default, spelt out: 04 and 06 send exactly this many.
pin_min_deliveries = 3
# The default is 24h: a run of TLS deliveries must span a day before it
# pins. The harness cannot wait that long, so here 3 deliveries made
# within a second pin at once. pin_max_age and secure_pins are the
# defaults.
pin_min_span = 0s
# Every MX of the test world is on 127.0.0.x. With private_mx = no a
# delivery to a loopback address counts only when the learner ties it to
# the next hop that same smtp(8) process (its pid, from SO_PEERCRED) asked
# tlspind about: 04 and 06 pin only if that path works. Keep it no.
private_mx = no
# The active probe is off except in 07, which turns it on: 04 shows what
# learning from the logs alone gives. When on, it checks the test world's
# certificates with the test CA, as the sender's Postfix does.
probe = no
probe_cafile = $E2E_TLSPIND_DIR/probe-ca.crt
probe_timeout = 5s
probe_interval = 0s
EOF
	else
		e2e_note "tlspind does not take log_source: it will not learn, and the scenarios that need learning skip (fail under E2E_REQUIRE=1)"
	fi
}

# True if tlspind accepts the learning settings (tlspind --check-config).
e2e_tlspind_can_learn() {
	local probe=$E2E_TLSPIND_DIR/can-learn.conf rc
	printf 'log_source = none\npin_min_span = 0s\nprivate_mx = no\n' >"$probe"
	"$TLSPIND" --check-config -c "$probe" >/dev/null 2>&1
	rc=$?
	rm -f "$probe"
	return $rc
}

e2e_tlspind_pid() {
	cat "$E2E_TLSPIND_PIDFILE" 2>/dev/null
}

# Ask the daemon through Postfix's own client; prints the reply class.
# OK VALUE, NOTFOUND, or ERROR text (postmap exits 1 for both of the last).
e2e_postmap_query() {
	local out err rc
	err=$(mktemp)
	out=$(postmap -c "$E2E_SENDER_ETC" -q "$1" "$E2E_MAP" 2>"$err")
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "OK $out"
	elif [ -s "$err" ]; then
		echo "ERROR $(tr '\n' ' ' <"$err")"
	else
		echo "NOTFOUND"
	fi
	rm -f "$err"
}

e2e_tlspind_answers() {
	case $(e2e_postmap_query e2e-ready.invalid) in
	OK*|NOTFOUND) return 0 ;;
	*) return 1 ;;
	esac
}

# Start tlspind in the foreground (in the background of this shell),
# without waiting for it.
e2e_tlspind_start_unchecked() {
	[ -x "$TLSPIND" ] || e2e_broken "no tlspind at $TLSPIND"
	setsid "$TLSPIND" --foreground -c "$E2E_TLSPIND_CONF" \
		>>"$E2E_TLSPIND_LOG" 2>&1 </dev/null &
	echo $! >"$E2E_TLSPIND_PIDFILE"
}

# Start tlspind and wait until Postfix's own client gets an answer (OK or
# NOTFOUND) from it.
e2e_tlspind_start() {
	local pid
	e2e_tlspind_start_unchecked
	pid=$(e2e_tlspind_pid)
	if ! e2e_wait 10 "tlspind to answer on $E2E_SOCKET" \
	    e2e_tlspind_answers; then
		e2e_note "tlspind log:"
		tail -n 20 "$E2E_TLSPIND_LOG" >&2
		e2e_pid_gone "$pid" && e2e_note "tlspind (pid $pid) has exited"
		return 1
	fi
}

# Stop tlspind by pid and wait until it is gone.
e2e_tlspind_stop() {
	local pid
	pid=$(e2e_tlspind_pid)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	e2e_wait 10 "tlspind (pid $pid) to exit" e2e_pid_gone "$pid" ||
		kill -KILL "$pid" 2>/dev/null
	rm -f "$E2E_TLSPIND_PIDFILE"
}

# The CLI on the harness store, with the harness's settings (so that
# tlspin why reckons with its pin_min_span): e2e_tlspin pin DOMAIN ...
e2e_tlspin() {
	[ -x "$TLSPIN" ] || e2e_broken "no tlspin at $TLSPIN"
	"$TLSPIN" -c "$E2E_TLSPIND_CONF" --store "$E2E_STORE" "$@"
}

# Pin DOMAIN by hand. Usage: e2e_pin DOMAIN LEVEL [MATCH]
e2e_pin() {
	local domain=$1 level=$2 match=${3-}
	if [ -n "$match" ]; then
		e2e_tlspin pin "$domain" --level "$level" --match "$match"
	else
		e2e_tlspin pin "$domain" --level "$level"
	fi || e2e_broken "tlspin pin $domain failed"
}

# What the daemon answers for DOMAIN, as tlspin query prints it (its exit
# status is 0 for OK, 1 for NOTFOUND, 4 for anything else).
e2e_query() {
	"$TLSPIN" query --socket "$E2E_SOCKET" "$1" 2>&1
}

# True if tlspin query DOMAIN prints a line matching REGEX.
e2e_query_matches() {
	e2e_query "$1" | grep -qE -- "$2"
}

# True if one of DOMAIN's events matches the extended REGEX.
e2e_events_match() {
	e2e_tlspin events "$1" 2>/dev/null | grep -qE -- "$2"
}

# ---------------------------------------------------------------- learning

# Scenarios that need tlspind to learn from Postfix's log call this first.
# It skips them (fails them under E2E_REQUIRE=1) unless tlspind, reading the harness config, follows the
# sender's maillog (a tlspind without log_source gets no learning settings
# from e2e_tlspind_config).
e2e_require_learning() {
	[ "$(e2e_tlspind_setting log_source)" = "file:$E2E_SENDER_LOG" ] ||
		e2e_skip "needs learning: this tlspind does not take log_source = file:PATH (issue 4)"
}

# The value of SETTING in force, as tlspind --check-config prints it.
e2e_tlspind_setting() {
	"$TLSPIND" --check-config -c "$E2E_TLSPIND_CONF" 2>/dev/null |
		sed -n "s/^$1 = //p"
}

# Set mode = enforce|observe in the config, reload tlspind (SIGHUP) and
# wait until it logs that it runs with it. A reload also restarts the
# learner child, which resumes from the position committed in the store.
e2e_tlspind_mode() {
	e2e_tlspind_set mode "$1" "reloaded .*: mode = $1,"
}

# Set KEY = VALUE in the config (the line must exist), reload tlspind
# (SIGHUP), wait until it logs a line matching LOGREGEX (default: that it
# reloaded) and check it has the setting:
# e2e_tlspind_set KEY VALUE [LOGREGEX], e.g. e2e_tlspind_set probe yes
e2e_tlspind_set() {
	local key=$1 value=$2 logged=${3:-"reloaded "} mark
	grep -q "^$key = " "$E2E_TLSPIND_CONF" ||
		e2e_broken "$key is not in $E2E_TLSPIND_CONF"
	sed -i "s|^$key = .*|$key = $value|" "$E2E_TLSPIND_CONF" ||
		e2e_broken "cannot edit $E2E_TLSPIND_CONF"
	mark=$(wc -l <"$E2E_TLSPIND_LOG")
	kill -HUP "$(e2e_tlspind_pid)" || e2e_broken "cannot signal tlspind"
	e2e_wait 10 "tlspind to reload with $key = $value" \
		e2e_tlspind_logged "$mark" "$logged" ||
		e2e_fail "tlspind did not reload with $key = $value: $(tail -n 5 "$E2E_TLSPIND_LOG")"
	[ "$(e2e_tlspind_setting "$key")" = "$value" ] ||
		e2e_fail "tlspind does not have $key = $value"
}

# True if tlspind logged a line matching REGEX after line MARK of its log.
e2e_tlspind_logged() {
	tail -n "+$(($1 + 1))" "$E2E_TLSPIND_LOG" | grep -qE -- "$2"
}

# The state of DOMAIN in the store (observing, encrypt, secure, manual,
# expired, dane) from tlspin show --json; empty when it is not there.
e2e_state() {
	e2e_tlspin show --json "$1" 2>/dev/null |
		sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}

# True if DOMAIN's state matches the extended regular expression REGEX.
e2e_state_matches() {
	e2e_state "$1" | grep -qxE -- "$2"
}

# A counter of DOMAIN's record from tlspin show --json ("deliveries",
# "tls", "trusted", "verified", "plaintext", "failures", "run").
e2e_record_count() {
	e2e_tlspin show --json "$1" 2>/dev/null |
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# True if DOMAIN's record has counter FIELD = N: e2e_record_has D FIELD N
e2e_record_has() {
	[ "$(e2e_record_count "$1" "$2")" = "$3" ]
}

# A counter of what the learner has read over all its runs, from tlspin
# stats --json ("lines", "smtp", "deliveries", "local", "transitions").
e2e_learn_stat() {
	e2e_tlspin stats --json 2>/dev/null |
		sed -n "s/.*\"learning\":{.*\"$1\":\([0-9]*\).*/\1/p"
}

# True once the learner has committed every line the sender's log holds
# now: the offset of its committed position is the size of the file.
e2e_learner_caught_up() {
	local off size
	off=$(e2e_tlspin stats --json 2>/dev/null |
		sed -n 's/.*"position":"[^"]*, offset \([0-9]*\)".*/\1/p')
	size=$(stat -c %s "$E2E_SENDER_LOG" 2>/dev/null)
	[ -n "$off" ] && [ "$off" = "$size" ]
}

# ---------------------------------------------------------------- mail

E2E_SEQ=0

# e2e_expect_released RCPT HELD LEVEL: once an attack is over, a flush
# delivers the held message HELD to RCPT: sent 2.0.0 over a LEVEL
# (Verified, Trusted) TLS connection, received by the good server, and
# no longer queued.
e2e_expect_released() {
	local mark
	mark=$(e2e_mark)
	e2e_flush
	e2e_expect_delivery "$1" "$mark" sent 2.0.0
	e2e_expect_tls "$3"
	e2e_expect_received good "$2"
	e2e_queued "$1" && e2e_fail "<$1> still queued"
}

# e2e_strip_attack DOMAIN: the on-path attacker of 02 and 08:
# mx.good.test's address now leads to a server that does not offer
# STARTTLS. A message to during@DOMAIN must be deferred 4.7.4, with
# Postfix's reason, and stay queued. Sets mark (before the send) and held
# (its queue id).
e2e_strip_attack() {
	e2e_note "attack: mx.good.test -> 127.0.0.5 (no STARTTLS)"
	e2e_dns_a mx.good.test 127.0.0.5
	mark=$(e2e_mark)
	e2e_send "during@$1"
	held=$E2E_MSGID
	e2e_expect_delivery "during@$1" "$mark" deferred 4.7.4
	e2e_expect_match "$E2E_DELIVERY" \
		'status=deferred \(TLS is required, but was not offered by host mx\.good\.test\[127\.0\.0\.5\]\)' \
		"deferral"
	e2e_queued "during@$1" || e2e_fail "<during@$1> is not in the queue"
}

# Inject one message for RCPT through the sender's sendmail. Sets
# E2E_MSGID to its Message-ID (without the angle brackets).
e2e_send() {
	local rcpt=$1
	E2E_SEQ=$((E2E_SEQ + 1))
	E2E_MSGID="e2e.$$.$E2E_SEQ.${EPOCHREALTIME/[.,]/}@sender.test"
	{
		echo "From: tlspin e2e <e2e@sender.test>"
		echo "To: <$rcpt>"
		echo "Subject: tlspin e2e $E2E_SCENARIO message $E2E_SEQ"
		echo "Message-ID: <$E2E_MSGID>"
		echo "Date: $(LC_ALL=C date -R)"
		echo
		echo "Test message $E2E_SEQ of scenario $E2E_SCENARIO."
	} | sendmail -C "$E2E_SENDER_ETC" -i -f e2e@sender.test -- "$rcpt" ||
		e2e_broken "sendmail refused a message for $rcpt"
}

# Number of lines in the sender log now; later searches start after it.
e2e_mark() {
	if [ -f "$E2E_SENDER_LOG" ]; then
		wc -l <"$E2E_SENDER_LOG"
	else
		echo 0
	fi
}

# Sender log lines after MARK.
e2e_log_since() {
	tail -n "+$(($1 + 1))" "$E2E_SENDER_LOG"
}

# The first delivery line (status sent, deferred, bounced or expired) for
# RCPT after MARK, if there is one.
e2e_delivery_line() {
	local rcpt=$1 mark=$2
	e2e_log_since "$mark" |
		grep -F ": to=<$rcpt>," |
		grep -E ' status=(sent|deferred|bounced|expired) ' |
		head -n 1
}

e2e_have_delivery() {
	E2E_DELIVERY=$(e2e_delivery_line "$1" "$2")
	[ -n "$E2E_DELIVERY" ]
}

# Wait for the next delivery attempt of RCPT after MARK and check its
# status and dsn. Sets E2E_DELIVERY (the line) and E2E_TLS (the TLS line
# the same smtp process logged for it, empty when it sent in clear).
# Usage: e2e_expect_delivery RCPT MARK STATUS [DSN]
e2e_expect_delivery() {
	local rcpt=$1 mark=$2 status=$3 dsn=${4-}
	E2E_DELIVERY=
	E2E_TLS=
	e2e_wait "$E2E_TIMEOUT" "a delivery attempt for <$rcpt>" \
		e2e_have_delivery "$rcpt" "$mark" ||
		e2e_fail "no delivery attempt for <$rcpt> was logged"
	e2e_note "delivery: ${E2E_DELIVERY#* postfix/}"
	E2E_TLS=$(e2e_tls_line_for "$E2E_DELIVERY")
	[ -z "$E2E_TLS" ] || e2e_note "tls: ${E2E_TLS#* postfix/}"
	case $E2E_DELIVERY in
	*" status=$status "*) ;;
	*) e2e_fail "<$rcpt>: expected status=$status, got: $E2E_DELIVERY" ;;
	esac
	if [ -n "$dsn" ]; then
		case $E2E_DELIVERY in
		*" dsn=$dsn, "*) ;;
		*) e2e_fail "<$rcpt>: expected dsn=$dsn, got: $E2E_DELIVERY" ;;
		esac
	fi
}

# The "... TLS connection established ..." line that the smtp process of
# DELIVERY_LINE logged for that delivery (since its previous delivery).
e2e_tls_line_for() {
	awk -v target="$1" '
		match($0, / postfix\/smtp\[[0-9]+\]: /) == 0 { next }
		{ p = substr($0, RSTART, RLENGTH) }
		$0 == target { print tls[p]; exit }
		/ TLS connection established to / { tls[p] = $0; next }
		/: to=<.*, status=/ { tls[p] = "" }
	' "$E2E_SENDER_LOG"
}

# Sender log lines of the smtp process of DELIVERY_LINE, from its previous
# delivery up to this one (certificate errors, warnings).
e2e_smtp_lines_for() {
	awk -v target="$1" '
		match($0, / postfix\/smtp\[[0-9]+\]: /) == 0 { next }
		{ p = substr($0, RSTART, RLENGTH) }
		$0 == target { printf "%s", buf[p]; print; exit }
		{ buf[p] = buf[p] $0 "\n" }
		/: to=<.*, status=/ { buf[p] = "" }
	' "$E2E_SENDER_LOG"
}

# Check the TLS line of the last expected delivery: e2e_expect_tls LEVEL
# where LEVEL is Verified, Trusted, Untrusted, Anonymous, or none (clear).
e2e_expect_tls() {
	if [ "$1" = none ]; then
		[ -z "$E2E_TLS" ] ||
			e2e_fail "expected no TLS, got: $E2E_TLS"
		return 0
	fi
	case $E2E_TLS in
	*" postfix/smtp["*"]: $1 TLS connection established to "*) ;;
	"") e2e_fail "expected a $1 TLS connection, none logged for: $E2E_DELIVERY" ;;
	*) e2e_fail "expected a $1 TLS connection, got: $E2E_TLS" ;;
	esac
}

# Ask the sender's queue manager to retry everything now (and forget that
# a destination was dead).
e2e_flush() {
	postqueue -c "$E2E_SENDER_ETC" -f ||
		e2e_broken "postqueue -f failed"
}

# Delete from the sender's queue the message of DELIVERY_LINE.
e2e_drop() {
	local qid
	qid=$(printf '%s\n' "$1" |
		sed -n 's/.* postfix\/smtp\[[0-9]*\]: \([0-9A-Za-z]*\): to=.*/\1/p')
	[ -n "$qid" ] || e2e_broken "no queue id in: $1"
	postsuper -c "$E2E_SENDER_ETC" -d "$qid" 2>/dev/null ||
		e2e_broken "postsuper -d $qid failed"
}

# True if a message for RCPT is still in the sender's queue.
e2e_queued() {
	postqueue -c "$E2E_SENDER_ETC" -j | grep -qF "\"address\": \"$1\""
}

# The queue entry of RCPT as postqueue -j prints it.
e2e_queue_entry() {
	postqueue -c "$E2E_SENDER_ETC" -j | grep -F "\"address\": \"$1\""
}

# True if receiver NAME has accepted the message with Message-ID MSGID.
e2e_received() {
	grep -qF "message-id=<$2>" "$E2E_MTA/$1/maillog" 2>/dev/null
}

# Fail if any receiver accepted MSGID (e.g. while an attack was going on).
e2e_expect_not_received() {
	local r
	for r in $E2E_RECEIVERS; do
		if e2e_received "$r" "$1"; then
			e2e_fail "message <$1> reached receiver $r"
		fi
	done
}

# Fail unless receiver NAME accepted MSGID (waits: the receiver logs a bit
# after the sender does).
e2e_expect_received() {
	e2e_wait "$E2E_TIMEOUT" "receiver $1 to log <$2>" e2e_received "$1" "$2" ||
		e2e_fail "receiver $1 never logged message <$2>"
}

# Fail unless STRING matches the extended regular expression REGEX.
e2e_expect_match() {
	printf '%s\n' "$1" | grep -qE -- "$2" ||
		e2e_fail "${3:-text} does not match /$2/: $1"
}

# ---------------------------------------------------------------- scenarios

# Called at the top of every scenario script. Run by hand outside the
# harness, a scenario asks run.sh to set up the world and run just it.
e2e_scenario_begin() {
	local script=$1
	E2E_SCENARIO=$(basename "$script" .sh)
	if [ -z "${E2E_WORK-}" ]; then
		exec bash "$E2E_DIR/run.sh" "$E2E_SCENARIO"
	fi
	e2e_paths
	if [ "${E2E_TRACE:-0}" = 1 ]; then
		PS4='+ ${EPOCHREALTIME} '
		set -x
	fi
	# Every scenario starts from the same DNS.
	e2e_dns_baseline
}
