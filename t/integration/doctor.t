#!/bin/bash
# doctor.t: tlspin doctor audits a host the way a Postfix admin would.
#
# A fake host: a private Postfix configuration directory (main.cf and
# master.cf, read by the real postconf -c DIR), a queue directory whose
# smtp(8) services run chrooted, a tlspind on a temporary store serving
# private/tlspin inside it and learning from a log file, and a local
# unbound that validates DNSSEC for a root zone signed here (ldnsutils).
# The correct host gives no warning and no error (exit 0). The broken
# one (empty smtp_tls_security_level, smtp_tls_loglevel 0, a policy map
# naming another socket, a missing CA file, DANE without DNSSEC, no
# resolver answering, a full store, a manual pin that expires in 2 days,
# a store dated after the clock, a log tlspind's user cannot read,
# tlspind not running) gives each finding with its fix and exit 2; a
# socket Postfix's user may not connect to, and a resolver that does not
# validate, are errors too. --json holds the same findings. The checks
# that act as Postfix's or tlspind's user run as root only: elsewhere
# they must say "cannot tell".
. "$abs_top_srcdir/t/integration/lib.sh"
need socat jq python3
POSTCONF=$(command -v postconf || echo /usr/sbin/postconf)
[ -x "$POSTCONF" ] || skip_all "postconf (Postfix) is not installed"
PATH=$PATH:$(dirname "$POSTCONF")	# tlspin doctor runs postconf
ROOT=
[ "$(id -u)" -eq 0 ] && id postfix >/dev/null 2>&1 && ROOT=1

skip() {	# skip DESCRIPTION REASON: a TAP skip, not a pass
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

chmod 755 "$T"	# Postfix's user must reach the socket below it
Q=$T/spool
mkdir -p "$Q/private" "$Q/etc"
[ -n "$ROOT" ] && chown postfix "$Q/private" && chmod 700 "$Q/private"
[ -r /etc/resolv.conf ] && cp /etc/resolv.conf "$Q/etc/resolv.conf"
SOCK=$Q/private/tlspin
SOCK_BAD=$Q/private/tlspin-bad	# where no tlspind runs
LOG=$T/mail.log
printf 'one CA certificate would be here\n' > "$T/ca.pem"

# postfix_conf DIR SETTINGS...: main.cf with the settings, and a
# master.cf with Debian's smtp and relay services, chrooted (CHROOT=n:
# not).
postfix_conf() {
	local dir=$1
	shift
	mkdir -p "$dir"
	printf '%s\n' "queue_directory = $Q" "$@" > "$dir/main.cf"
	cat > "$dir/master.cf" <<-EOF
	smtp      unix  -       -       ${CHROOT:-y}       -       -       smtp
	relay     unix  -       -       ${CHROOT:-y}       -       -       smtp
	        -o syslog_name=postfix/relay
	EOF
}

# One TLS delivery, as Postfix 3.7 logs it, an hour ago.
ts=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S.000000+00:00)
printf '%s mx postfix/smtp[4242]: Trusted TLS connection established to mx.good.test[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' "$ts" > "$LOG"
printf '%s mx postfix/smtp[4242]: 4AB00001: to=<u@good.test>, relay=mx.good.test[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' "$ts" >> "$LOG"
chmod 644 "$LOG"

# --- a validating resolver, for a root zone signed here -----------------

UNBOUND_PIDS=
# unbound_start DIR validate|plain: unbound on 127.0.0.1 serving the
# signed root zone, validating it against its key or not; sets UB_PORT.
unbound_start() {
	local dir=$1 ksk zsk try port modules=iterator
	mkdir -p "$dir"
	printf '%s\n' '$ORIGIN .' '$TTL 3600' \
		'. IN SOA ns.root. hostmaster.root. 1 3600 600 86400 300' \
		'. IN NS ns.root.' 'ns.root. IN A 127.0.0.1' > "$dir/root.zone"
	ksk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -k .) &&
	zsk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 .) &&
	(cd "$dir" && ldns-signzone -f root.zone.signed \
		-e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" root.zone "$ksk" "$zsk") ||
		return 1
	[ "$2" = validate ] && modules="validator iterator"
	for try in 1 2 3 4 5; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		cat > "$dir/unbound.conf" <<-EOF
		server:
		  interface: 127.0.0.1
		  port: $port
		  so-reuseport: no
		  do-ip6: no
		  do-daemonize: no
		  username: ""
		  chroot: ""
		  directory: "$dir"
		  pidfile: ""
		  use-syslog: no
		  logfile: ""
		  num-threads: 1
		  access-control: 127.0.0.0/8 allow
		  do-not-query-localhost: no
		  module-config: "$modules"
		  trust-anchor-file: "$dir/$ksk.key"
		auth-zone:
		  name: "."
		  zonefile: "$dir/root.zone.signed"
		  for-upstream: yes
		  for-downstream: no
		  fallback-enabled: no
		remote-control:
		  control-enable: no
		EOF
		: > "$dir/unbound.log"
		unbound -d -c "$dir/unbound.conf" >> "$dir/unbound.log" 2>&1 &
		UNBOUND_PIDS="$UNBOUND_PIDS $!"
		if wait_for grep -q "start of service" "$dir/unbound.log"; then
			UB_PORT=$port
			return 0
		fi
		grep -q "could not open ports\|can't bind" "$dir/unbound.log" ||
			break
	done
	cat "$dir/unbound.log" | diag
	return 1
}
unbound_stop() {
	for p in $UNBOUND_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap 'unbound_stop; lib_cleanup' EXIT

# A port nothing answers on: bound and closed again.
QUIET=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

VALIDATING= PLAIN=
if command -v unbound >/dev/null && command -v ldns-signzone >/dev/null; then
	unbound_start "$T/ub-valid" validate && VALIDATING=127.0.0.1:$UB_PORT
	unbound_start "$T/ub-plain" plain && PLAIN=127.0.0.1:$UB_PORT
fi

# doctor CONF PFDIR [ARGS...]: run it; sets OUT and RC.
doctor() {
	local conf=$1 pf=$2
	shift 2
	OUT=$("$TLSPIN" -c "$conf" doctor --postfix-config "$pf" --timeout 1 "$@" 2>&1)
	RC=$?
}
# finding SEVERITY ID: the text output has that finding.
finding() { printf '%s\n' "$OUT" | grep -q "^$1 *$2: "; }
# block_of ID: the finding's lines joined again (they wrap at spaces).
block_of() {
	printf '%s\n' "$OUT" | awk -v id="$1" '
		/^[^ ]/ { inb = ($0 ~ "^[a-z]+ +" id ": ") }
		inb { sub(/^ +/, ""); printf "%s ", $0 }'
}
msg_of() { b=$(block_of "$1"); printf '%s' "${b%% fix: *}"; }
fix_of() { b=$(block_of "$1"); case $b in *" fix: "*) printf '%s' "${b#* fix: }" ;; esac; }

# --- a correct host ---------------------------------------------------------

if [ -n "$VALIDATING" ]; then level=dane; else level=may; fi
postfix_conf "$T/pf-good" "smtp_tls_security_level = $level" \
	"smtp_tls_loglevel = 1" "smtp_tls_CAfile = $T/ca.pem" \
	"smtp_dns_support_level = dnssec" \
	"smtp_tls_policy_maps = socketmap:unix:private/tlspin:policy"
printf '%s\n' "store = $STORE" "listen = unix:$SOCK" "unix_group = postfix" \
	"log_source = file:$LOG" > "$T/good.conf"
[ -n "$ROOT" ] || sed -i '/unix_group/d' "$T/good.conf"
pin good.test --level encrypt --expires 90d
GROUP=
[ -n "$ROOT" ] && GROUP="-o unix_group=postfix"
start_daemon -o log_source="file:$LOG" $GROUP
ok $? "tlspind runs on the good host's store and socket"
wait_for test -s "$STORE/tlspind.counters"
ok $? "tlspind saved its counters"
learned() { "$TLSPIN" --store "$STORE" stats | grep -q "offset $(stat -c %s "$LOG")"; }
wait_for learned
ok $? "the learner has read the log to its end"

RESOLVER=${VALIDATING:-$QUIET}
doctor "$T/good.conf" "$T/pf-good" --resolver "$RESOLVER"
printf '%s\n' "$OUT" | diag
is "$RC" 0 "a correct host: exit 0"
! printf '%s\n' "$OUT" | grep -q '^\(warning\|error\) '
ok $? "a correct host: no warning, no error"
for id in postfix.policy_maps postfix.tls_level postfix.tls_loglevel \
	postfix.ca tlspind.answer tlspind.requests store.space store.expiring \
	learner.lag postfix.chroot_resolv; do
	finding ok "$id"; ok $? "a correct host: $id is ok"
done
like "$(msg_of postfix.policy_maps)" "reaches tlspind at $SOCK from smtp/unix (chrooted), relay/unix (chrooted)" \
	"the policy map is followed from both chrooted services"
if [ -n "$VALIDATING" ]; then
	finding ok dns.dnssec; ok $? "a validating resolver: the AD bit is seen"
	finding ok postfix.dane; ok $? "DANE on with DNSSEC lookups: ok"
else
	skip "a validating resolver: the AD bit is seen" "no unbound or ldnsutils"
	skip "DANE on with DNSSEC lookups: ok" "no unbound or ldnsutils"
fi
if [ -n "$ROOT" ]; then
	finding ok socket.access; ok $? "as root: user postfix may connect (tried as postfix)"
	finding ok learner.access; ok $? "as root: tlspind's user may read the log (tried as it)"
else
	finding info socket.access; ok $? "not root: whether postfix may connect is 'cannot tell'"
	like "$OUT" "cannot tell whether user postfix can connect" "... and says so"
	finding info learner.access; ok $? "not root: the log's permissions are 'cannot tell'"
fi

# the same, as JSON
JSON=$("$TLSPIN" -c "$T/good.conf" doctor --json --postfix-config "$T/pf-good" --timeout 1 --resolver "$RESOLVER")
is "$?" 0 "--json: the same exit status"
is "$(printf '%s' "$JSON" | jq -r '.exit')" 0 "--json: exit 0 in the object"
is "$(printf '%s' "$JSON" | jq -r '[.findings[] | select(.severity == "warning" or .severity == "error")] | length')" 0 \
	"--json: no warning, no error"

# --- Postfix's user may not connect -----------------------------------------

if [ -n "$ROOT" ]; then
	stop_daemon
	start_daemon -o log_source="file:$LOG" $GROUP -o unix_mode=0600
	doctor "$T/good.conf" "$T/pf-good" --resolver "$RESOLVER"
	printf '%s\n' "$OUT" | grep -A4 '^error' | diag
	is "$RC" 2 "a socket of mode 0600: exit 2"
	finding error socket.access; ok $? "a socket of mode 0600: user postfix cannot connect"
	like "$(msg_of socket.access)" "blocked by the socket $SOCK (root:postfix, mode 0600)" "... and the socket's mode is named"
	like "$(fix_of socket.access)" "unix_group = postfix and unix_mode = 0660" "... with the fix"
	finding ok tlspind.answer; ok $? "... while tlspind answers root"
else
	skip "a socket of mode 0600: user postfix cannot connect" "needs root"
fi
# tlspind goes on running on $SOCK: the last test asks it about a store
# it does not use

# --- a broken host ----------------------------------------------------------

STORE2=$T/store2
postfix_conf "$T/pf-bad" "smtp_tls_security_level =" "smtp_tls_loglevel = 0" \
	"smtp_tls_CAfile = $T/missing.pem" \
	"smtp_tls_policy_maps = socketmap:unix:private/other:policy"
LOG2=$T/mail2.log
cp "$LOG" "$LOG2"
chmod 600 "$LOG2"
touch -d '-10 min' "$LOG2"
printf '%s\n' "store = $STORE2" "listen = unix:$SOCK_BAD" "user = nobody" \
	"dane_reply = dane-only" "log_source = file:$LOG2" > "$T/bad.conf"
"$TLSPIN" --store "$STORE2" pin soon.test --level encrypt --expires 2d >/dev/null
ok $? "a manual pin that expires in 2 days"
if command -v faketime >/dev/null; then
	# ASan wants to come first; libfaketime's preload is fine after it
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f '+3d' "$TLSPIN" --store "$STORE2" pin later.test --level encrypt >/dev/null
	ok $? "a pin written with the clock 3 days ahead"
fi
# fill a store of 1 MiB until LMDB says it is full
full=
for chunk in $(seq 1 60); do
	seq -f "d%g-$chunk.fill.test encrypt" 1 200 > "$T/chunk"
	TLSPIN_MAP_SIZE_MB=1 "$TLSPIN" --store "$STORE2" import "$T/chunk" >/dev/null 2>"$T/import.err" ||
		{ full=1; break; }
done
[ -n "$full" ] && grep -q "map size" "$T/import.err"
ok $? "the store of 1 MiB is full"

TLSPIN_MAP_SIZE_MB=1 doctor "$T/bad.conf" "$T/pf-bad" --resolver "$QUIET"
printf '%s\n' "$OUT" | diag
is "$RC" 2 "a broken host: exit 2"
BAD=$OUT
check_finding() {	# check_finding SEVERITY ID MESSAGE-PART FIX-PART
	OUT=$BAD
	finding "$1" "$2"; ok $? "broken: $2 is $1"
	like "$(msg_of "$2")" "$3" "broken: $2 says why"
	[ -z "$4" ] || like "$(fix_of "$2")" "$4" "broken: $2 has its fix"
}
check_finding error postfix.tls_level "smtp_tls_security_level is empty" \
	"postconf -c $T/pf-bad -e 'smtp_tls_security_level = may'; postfix -c $T/pf-bad reload"
check_finding error postfix.tls_loglevel "smtp_tls_loglevel = 0" \
	"postconf -c $T/pf-bad -e 'smtp_tls_loglevel = 1'"
check_finding error postfix.policy_maps "smtp/unix, relay/unix do not ask tlspind: smtp_tls_policy_maps = socketmap:unix:private/other:policy, where socketmap:unix:private/other:policy opens $Q/private/other (smtp is chrooted)" \
	"'smtp_tls_policy_maps = socketmap:unix:private/tlspin-bad:policy'"
check_finding error postfix.ca "smtp_tls_CAfile = $T/missing.pem: No such file" \
	"smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt"
check_finding error postfix.dane "dane_reply = dane-only, but smtp_dns_support_level" \
	"'smtp_dns_support_level = dnssec'"
check_finding warning dns.dnssec "cannot tell whether the resolver $QUIET validates DNSSEC: no answer" ""
check_finding error tlspind.answer "tlspind is not running: nothing answers on $SOCK_BAD" \
	"systemctl start tlspind.socket tlspind"
check_finding error socket.access "no socket at $SOCK_BAD" "systemctl enable --now tlspind.socket"
check_finding error store.space "map is 9" "TLSPIN_MAP_SIZE_MB="
check_finding warning store.expiring "soon.test (manual," \
	"tlspin pin soon.test --level encrypt --expires 90d"
check_finding warning learner.lag "it has read nothing of it" "journalctl -u tlspind"
if command -v faketime >/dev/null; then
	check_finding error clock "but the store holds a time 2d later" \
		"timedatectl set-ntp true"
else
	skip "broken: clock is error" "faketime is not installed"
fi
if [ -n "$ROOT" ]; then
	check_finding error learner.access "user nobody with its groups cannot read $LOG2: Permission denied" \
		"chgrp adm $LOG2; chmod g+r $LOG2; adduser nobody adm; systemctl restart tlspind"
else
	check_finding info learner.access "cannot tell whether tlspind's user may read $LOG2" ""
fi

# the same findings as JSON
JSON=$(TLSPIN_MAP_SIZE_MB=1 "$TLSPIN" -c "$T/bad.conf" doctor --json --postfix-config "$T/pf-bad" --timeout 1 --resolver "$QUIET")
is "$?" 2 "--json, broken host: exit 2"
printf '%s' "$JSON" | jq -e . >/dev/null
ok $? "--json parses with jq"
is "$(printf '%s' "$JSON" | jq -r '.findings[] | "\(.severity) \(.id)"')" \
	"$(printf '%s\n' "$BAD" | sed -n 's/^\(ok\|info\|warning\|error\) *\([a-z_.]*\): .*/\1 \2/p')" \
	"--json has the same findings as the text, in the same order"
is "$(printf '%s' "$JSON" | jq -r '[.findings[] | select(.severity == "error" and .fix == "")] | length')" 0 \
	"--json: every error has its fix"
is "$(printf '%s' "$JSON" | jq -r '.errors > 5 and .exit == 2')" true "--json: the counts and the exit status"

# --- learning from a journal it is behind -----------------------------------

REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
if [ -x "$REMOTE" ]; then
	mkdir -p "$T/journal"
	"$REMOTE" --output="$T/journal/a.journal" - \
		< "$abs_top_srcdir/t/data/journal/sender.export" 2>"$T/remote.log"
	chmod 700 "$T/journal"
	printf '%s\n' "store = $T/store3" "listen = unix:$SOCK_BAD" "user = nobody" \
		"log_source = journal:$T/journal" > "$T/journal.conf"
	"$TLSPIN" --store "$T/store3" pin j.test --level encrypt >/dev/null
	doctor "$T/journal.conf" "$T/pf-good" --resolver "$QUIET"
	like "$(msg_of learner.lag)" "the learner is behind the journal: " \
		"a journal the learner has not read: learner.lag says how much"
	finding warning learner.lag; ok $? "... as a warning"
	if [ -n "$ROOT" ]; then
		finding error learner.access; ok $? "a journal user nobody cannot read: error"
		like "$(fix_of learner.access)" "adduser nobody systemd-journal" "... with the fix"
	else
		skip "a journal user nobody cannot read: error" "needs root"
	fi
else
	skip "a journal the learner has not read: learner.lag says how much" \
		"no systemd-journal-remote"
fi

# --- a resolver that answers but does not validate --------------------------

if [ -n "$PLAIN" ]; then
	postfix_conf "$T/pf-dane" "smtp_tls_security_level = dane" \
		"smtp_dns_support_level = dnssec"
	doctor "$T/bad.conf" "$T/pf-dane" --resolver "$PLAIN"
	OUT_DANE=$OUT
	finding error dns.dnssec; ok $? "a resolver that does not validate, with DANE on: error"
	like "$(msg_of dns.dnssec)" "does not validate DNSSEC (no AD bit" "... no AD bit, said so"
	like "$(fix_of dns.dnssec)" "apt-get install unbound" "... with the fix"
else
	skip "a resolver that does not validate, with DANE on: error" "no unbound or ldnsutils"
fi

# --- an absolute socket path, chrooted and not -------------------------------

postfix_conf "$T/pf-abs" "smtp_tls_policy_maps = socketmap:unix:$SOCK:policy"
doctor "$T/good.conf" "$T/pf-abs" --resolver "$QUIET"
finding error postfix.policy_maps
ok $? "an absolute path for a chrooted smtp: error"
like "$(msg_of postfix.policy_maps)" "opens $Q$SOCK (smtp is chrooted)" \
	"... it opens the path inside the chroot, said so"
like "$(fix_of postfix.policy_maps)" "'smtp_tls_policy_maps = socketmap:unix:private/tlspin:policy'" \
	"... and the name relative to the queue directory is the fix"
CHROOT=n postfix_conf "$T/pf-abs-n" "smtp_tls_policy_maps = socketmap:unix:$SOCK:policy"
doctor "$T/good.conf" "$T/pf-abs-n" --resolver "$QUIET"
finding ok postfix.policy_maps
ok $? "the same absolute path for an smtp not chrooted: ok"
CHROOT=n postfix_conf "$T/pf-map" "smtp_tls_policy_maps = socketmap:unix:$SOCK:tls"
doctor "$T/good.conf" "$T/pf-map" --resolver "$QUIET"
like "$(msg_of postfix.policy_maps)" "asks map \"tls\", and tlspind answers map_name = policy" \
	"the right socket with another map name: error, said so"

# tlspind on TCP: the map names inet:HOST:PORT
CHROOT=n postfix_conf "$T/pf-inet" "smtp_tls_policy_maps = socketmap:inet:127.0.0.1:${QUIET#*:}:policy"
doctor "$T/good.conf" "$T/pf-inet" --socket "inet:$QUIET" --resolver "$QUIET"
finding ok postfix.policy_maps
ok $? "socketmap:inet:HOST:PORT naming tlspind's inet address: ok"
like "$(msg_of tlspind.answer)" "tlspind is not running: nothing answers on inet:$QUIET (Connection refused)" \
	"... and nothing listening there is named"

# a tlspin.conf with a bad line is a finding, not the end
printf 'store = %s\nno_such_setting = 1\n' "$STORE" > "$T/broken.conf"
doctor "$T/broken.conf" "$T/pf-good" --resolver "$QUIET"
is "$RC" 2 "a bad tlspin.conf: exit 2"
like "$(msg_of tlspin.config)" "no_such_setting" "... the finding names the bad line"
finding ok postfix.tls_level; ok $? "... and the other checks still run"

# --- the tlspind that answers uses another store -----------------------------

# Its counters are saved every second: once it has run for 15 s, a store
# without them (or with stale ones) is not the one it serves.
other_store() {
	OUT=$("$TLSPIN" -c "$T/good.conf" --store "$STORE2" doctor \
		--postfix-config "$T/pf-good" --timeout 1 --resolver "$QUIET" 2>&1)
	finding warning tlspind.requests
}
i=0
until other_store || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
finding warning tlspind.requests
ok $? "doctor on a store the running tlspind does not use: a warning"
like "$(msg_of tlspind.requests)" "does not keep its counters in $STORE2 (there are none)" \
	"... that says so"
stop_daemon

# --- Postfix delivers, but never asks tlspind ---------------------------------

# A fresh tlspind that nothing asks; a delivery logged 7 s after it
# started, read by the learner, and counters saved after it.
start_daemon -o log_source="file:$LOG" $GROUP
t0=$(date +%s)
after() { [ "$(date +%s)" -ge "$1" ]; }
wait_for after $((t0 + 7))
ts=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
printf '%s mx postfix/smtp[4343]: Trusted TLS connection established to mx.good.test[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' "$ts" >> "$LOG"
printf '%s mx postfix/smtp[4343]: 4AB00002: to=<v@good.test>, relay=mx.good.test[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' "$ts" >> "$LOG"
line=$(date +%s)
wait_for learned
saved_after() { [ "$(sed -n 's/^saved=//p' "$STORE/tlspind.counters")" -gt "$line" ]; }
wait_for saved_after
ok $? "the learner read the delivery and tlspind saved its counters after it"
doctor "$T/good.conf" "$T/pf-good" --resolver "$QUIET"
finding warning tlspind.requests
ok $? "a delivery since tlspind started and no request counted: a warning"
like "$(msg_of tlspind.requests)" "logged a delivery since tlspind started" "... that says so"
counted() { [ "$(sed -n 's/^requests=//p' "$STORE/tlspind.counters")" -ge 1 ]; }
wait_for counted
doctor "$T/good.conf" "$T/pf-good" --resolver "$QUIET"
finding ok tlspind.requests
ok $? "... and not once a request was counted (doctor's own, here)"
stop_daemon

# --- usage -------------------------------------------------------------------

"$TLSPIN" doctor --timeout 0 >/dev/null 2>&1
is "$?" 3 "a bad --timeout: exit 3 (could not check), as tlspin check"
"$TLSPIN" doctor --resolver nowhere >/dev/null 2>&1
is "$?" 3 "a bad --resolver: exit 3"
"$TLSPIN" doctor --help | grep -q "Exit 0 all ok, 1 warnings, 2 errors"
ok $? "--help says the exit status"
done_testing
