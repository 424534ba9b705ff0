#!/bin/bash
# The shipped systemd unit's sandbox, checked without systemd as PID 1:
# systemd-analyze rates contrib/tlspind.service (exposure at most 2.0),
# and every system call tlspind makes - lookups, the learner following a
# log, a probe process probing a real TLS server - is one the unit's
# SystemCallFilter allows (strace -f against the filter's expanded list),
# while running as an unprivileged user, as under the unit. A syscall the
# filter refused would fail with EPERM in production and nowhere else.
. "$abs_top_srcdir/t/probe/lib.sh"
need systemd-analyze strace setpriv
UNIT=$abs_top_srcdir/contrib/tlspind.service

# --- the exposure score ------------------------------------------------------
out=$(systemd-analyze security --offline=yes "$UNIT" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for tlspind.service: \([0-9.]*\).*/\1/p')
echo "# sandbox: systemd-analyze security exposure $score"
ok "$([ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; echo $?)" \
	"exposure $score is at most 2.0"
like "$out" "OK" "rated OK or better"
out=$(systemd-analyze verify --man=no "$UNIT" 2>&1 | grep -v "is not executable")
is "$out" "" "systemd-analyze verify finds nothing but the missing binary"

# --- the system call filter ---------------------------------------------------
[ "$(id -u)" -eq 0 ] || { done_testing; }
id nobody >/dev/null 2>&1 || { done_testing; }

# expand GROUP: the system calls in a filter group, nested groups expanded.
expand() {
	systemd-analyze syscall-filter "$1" 2>/dev/null |
		awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }' |
		while read -r s; do
			case $s in @*) expand "$s" ;; *) echo "$s" ;; esac
		done
}
# the unit's SystemCallFilter= lines, in order: allow, ~deny, allow...
: > "$T/allowed"
grep '^SystemCallFilter=' "$UNIT" | sed 's/^SystemCallFilter=//' |
while read -r line; do
	case $line in
	"~"*) for g in ${line#\~}; do expand "$g"; done | sort -u > "$T/deny"
	      sort -u "$T/allowed" | comm -23 - "$T/deny" > "$T/a2"
	      mv "$T/a2" "$T/allowed" ;;
	*) for g in $line; do case $g in @*) expand "$g" ;; *) echo "$g" ;; esac
	   done >> "$T/allowed" ;;
	esac
done
sort -u -o "$T/allowed" "$T/allowed"
ok "$(grep -qx read "$T/allowed" && ! grep -qx setuid "$T/allowed"; echo $?)" \
	"the filter expands ($(wc -l < "$T/allowed") calls allowed)"

probe_pki
tls_server good good --name mx.good.test
printf '%s\n' "good.test. MX 10 mx.good.test." "mx.good.test. A 127.0.0.1" > "$T/zone"
dns_start "$T/dns" "$T/zone"
case $? in
0) ;;
77) skip_all "unbound is not installed" ;;
*) bail_out "unbound does not start" ;;
esac

# tlspind as nobody as the unit starts it as tlspin: a supplementary group
# (adm) and CAP_SETGID as an ambient capability, so that the probe
# launcher gives up the group (setgroups, capset) as under the unit; it
# learns from a log and probes good.test once it is pinned
chmod 711 "$T"
cp "$PKI/ca.pem" "$T/ca.pem" && chmod 644 "$T/ca.pem"
mkdir "$T/run" && chown nobody "$T/run"
: > "$T/maillog"; chmod 644 "$T/maillog"
pin other.test --level encrypt
chown -R nobody "$STORE"
cat > "$T/tlspin.conf" <<EOF
store = $STORE
listen = unix:$T/run/tlspin.sock
log_source = file:$T/maillog
pin_min_span = 0s
probe = yes
probe_interval = 0s
probe_port = $(port_of good)
probe_cafile = $T/ca.pem
probe_resolver = 127.0.0.1:$DNS_PORT
probe_timeout = 5s
EOF
chmod 644 "$T/tlspin.conf"
SOCK=$T/run/tlspin.sock
setpriv --reuid=nobody --regid=nogroup \
	--groups="$(getent group adm | cut -d: -f3)" \
	--inh-caps=+setgid --ambient-caps=+setgid \
	strace -f -qq -o "$T/run/strace" -e trace=all \
	"$TLSPIND" --foreground -c "$T/tlspin.conf" 2>>"$T/daemon.log" &
STRACE_PID=$!
wait_for test -S "$SOCK"; ok $? "tlspind starts as nobody under strace" || diag <"$T/daemon.log"
# signals go to tlspind itself, not to strace
DAEMON_PID=$(pgrep -o -u nobody -f "^$TLSPIND --foreground -c $T/tlspin.conf")

# delivery N: one TLS delivery to good.test as Postfix 3.7 logs it
delivery() {
	local ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
	echo "$ts mx postfix/smtp[$((4200 + $1))]: Trusted TLS connection established to mx.good.test[192.0.2.25]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
	echo "$ts mx postfix/smtp[$((4200 + $1))]: 4SBX${1}A7628A: to=<u$1@good.test>, relay=mx.good.test[192.0.2.25]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
}
for i in 1 2 3 4; do delivery "$i"; done >> "$T/maillog"
probed() { "$TLSPIN" --store "$STORE" why good.test 2>/dev/null | grep -q "probe:"; }
wait_for probed; ok $? "the learner pinned good.test and a probe process probed it"
pm other.test;	is "$PM_OUT" "encrypt" "lookups answer"
pm good.test;	is "$PM_OUT" "secure match=mx.good.test" "the probe upgraded the learned pin"
kill -USR1 "$DAEMON_PID"
wait_for grep -q " observed=" "$T/daemon.log"; ok $? "SIGUSR1 logs the counters"
kill -TERM "$DAEMON_PID"; wait "$STRACE_PID"; DAEMON_PID=

calls=$(sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$T/run/strace" | sort -u)
n=$(printf '%s\n' "$calls" | grep -c .)
ok "$([ "$n" -gt 20 ]; echo $?)" "strace saw $n distinct system calls"
bad=$(printf '%s\n' "$calls" | comm -23 - "$T/allowed" | grep -vx execve | tr '\n' ' ')
is "$bad" "" "every one of them is allowed by the unit's SystemCallFilter"
echo "# sandbox: system calls used: $(printf '%s\n' "$calls" | tr '\n' ' ')"
done_testing
