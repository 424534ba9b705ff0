#!/bin/sh
# t/systemd/inside.sh: the commands the real-systemd test runs inside its
# container (copied there by run.sh, run with nsenter as root), one per
# subcommand, so that the harness outside needs no quoting of scripts.
#
#   inside.sh postfix-setup      configure and start Postfix (below)
#   inside.sh send ADDR SUBJECT  hand one message to Postfix's sendmail
#   inside.sh procs              "pid comm groups capprm capeff capamb" of
#                                each process of tlspind.service
#   inside.sh journal-as USER ID LINE...  write LINEs to the journal as
#                                syslog identifier ID from a process of
#                                USER named "smtp" (a copy of logger), and
#                                keep it alive until journald has read them
#   inside.sh bad-config / good-config   add or remove the test's bad line
#   inside.sh setting KEY VALUE  set KEY in tlspin.conf (replacing it)
set -eu
CONF=/etc/tlspin/tlspin.conf
BAD="this_is_not_a_setting = 1"

# Postfix as the sender of the test, and two receivers on the same
# instance: mx.plain.test (127.0.0.2) offers no STARTTLS, mx.tls.test
# (127.0.0.3) offers it with the snakeoil certificate. Both discard what
# they accept. Next hops come from /etc/hosts (no DNS in the container):
# pinned.test, crash.test and plain.test go to the first, learned.test
# to the second.
postfix_setup() {
	cat >/etc/postfix/main.cf <<'EOT'
# the sender of the real-systemd test (t/systemd), in its container
compatibility_level = 3.6
myhostname = sender.test
mydomain = sender.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_policy_maps = socketmap:unix:private/tlspin:policy
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = none
EOT
	cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
	cat >>/etc/postfix/master.cf <<'EOT'
127.0.0.2:25 inet n - y - - smtpd -o myhostname=mx.plain.test -o content_filter=discard: -o smtpd_tls_security_level=none
127.0.0.3:25 inet n - y - - smtpd -o myhostname=mx.tls.test -o content_filter=discard: -o smtpd_tls_security_level=may
EOT
	grep -q pinned.test /etc/hosts ||
		printf '%s\n' '127.0.0.2 mx.plain.test plain.test pinned.test crash.test' \
		    '127.0.0.3 mx.tls.test learned.test' >>/etc/hosts
	# smtp(8) runs chrooted (Debian's master.cf): it reads the copy of
	# /etc/hosts that Postfix's start script makes in the queue directory
	systemctl restart postfix
}

procs() {
	cg=$(systemctl show -p ControlGroup --value tlspind.service)
	[ -n "$cg" ] || return 0
	for f in /sys/fs/cgroup/unified"$cg"/cgroup.procs \
	    /sys/fs/cgroup/systemd"$cg"/cgroup.procs /sys/fs/cgroup"$cg"/cgroup.procs; do
		[ -r "$f" ] && break
	done
	while read -r pid; do
		[ -r "/proc/$pid/status" ] || continue
		awk -v pid="$pid" '
			/^Name:/ { name = $2 }
			/^Groups:/ { $1 = ""; sub(/^ /, ""); gsub(/ /, ","); groups = $0 }
			/^CapPrm:/ { prm = $2 } /^CapEff:/ { eff = $2 }
			/^CapAmb:/ { amb = $2 }
			END { printf "%s %s groups=%s prm=%s eff=%s amb=%s\n",
			    pid, name, groups == "" ? "-" : groups, prm, eff, amb }
		' "/proc/$pid/status"
	done <"$f"
}

# journal_as USER IDENT LINE...: see the top. The last line carries a
# marker the loop below waits for: journald reads _COMM from /proc when
# it receives a line, so the sender must still be alive then.
journal_as() {
	user=$1 ident=$2
	shift 2
	dir=$(mktemp -d /tmp/journal-as.XXXXXX)
	chmod 755 "$dir"
	cp /usr/bin/logger "$dir/smtp"
	last=
	for line in "$@"; do last=$line; done
	{
		for line in "$@"; do printf '%s\n' "$line"; done
		i=0
		while [ $i -lt 100 ]; do
			journalctl -q -o cat -t "$ident" _COMM=smtp 2>/dev/null |
				grep -qF -- "$last" && break
			sleep 0.1
			i=$((i + 1))
		done
	} | runuser -u "$user" -- "$dir/smtp" -t "$ident"
	rm -rf "$dir"
	journalctl -q -o cat -t "$ident" _COMM=smtp | grep -qF -- "$last"
}

setting() {
	sed -i "/^$1 *=/d" "$CONF"
	printf '%s = %s\n' "$1" "$2" >>"$CONF"
}

case $1 in
postfix-setup) postfix_setup ;;
send) printf 'Subject: %s\n\nA message of the real-systemd test.\n' "$3" |
	sendmail -f root@sender.test "$2" ;;
procs) procs ;;
journal-as) shift; journal_as "$@" ;;
bad-config) printf '%s\n' "$BAD" >>"$CONF" ;;
good-config) sed -i "/^$BAD\$/d" "$CONF" ;;
setting) setting "$2" "$3" ;;
*) echo "inside.sh: unknown command $1" >&2; exit 2 ;;
esac
