#!/bin/sh
# deb.t: the Debian package, installed on this machine with dpkg.
#
#   t/deb/deb.t PATH.deb        (./dev.sh deb builds it and prints PATH)
#
# Installs the .deb and checks what it sets up: the tlspin system user, the
# store directory, the conffile, the binaries and manual pages (and no
# tlspin-bench), the units and which one is enabled; then runs the
# installed tlspind the way tlspind.service does (as tlspin, with the
# packaged config and store) and asks it like Postfix. Then it pins a
# domain, edits the config, upgrades to the same package with a higher
# version, removes, reinstalls and purges: the store and the config must
# survive everything but the purge. It purges the package at the end, and
# removes the tlspin user if it made it.
#
# systemd does not need to run here (postinst then only enables the
# socket); t/systemd/ installs the same .deb under a real systemd.
# Skips when not root, or when the package or its directories are on this
# machine already (they would be removed); with DEB_REQUIRE=1 (./dev.sh
# test as root) a skip is a failure.

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
TLSPIND=/usr/sbin/tlspind
TLSPIN=/usr/bin/tlspin
. "$src/t/integration/lib.sh"

deb=${1:-}
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	echo "Bail out! usage: t/deb/deb.t PATH.deb (no .deb at '$deb'; ./dev.sh deb builds it)"
	exit 99
fi

deb_skip() {
	if [ "${DEB_REQUIRE:-0}" = 1 ]; then
		echo "not ok 1 - the package test runs (DEB_REQUIRE=1), but: $1"
		echo "1..1"
		exit 1
	fi
	skip_all "$1"
}

[ "$(id -u)" -eq 0 ] || deb_skip "needs root (dpkg -i)"
need dpkg dpkg-deb dpkg-query setpriv socat
status=$(dpkg-query -W -f='${Status}' tlspin 2>/dev/null)
case $status in
"" | "unknown ok not-installed") ;;
*) deb_skip "the package tlspin is on this machine ($status): the test would remove it" ;;
esac
for d in /var/lib/tlspin /etc/tlspin; do
	[ -e "$d" ] && deb_skip "$d exists (a make install?): the purge would remove it"
done
made_user=yes
getent passwd tlspin >/dev/null && made_user=no

deb_cleanup() {
	dpkg -P tlspin >/dev/null 2>&1
	if [ "$made_user" = yes ]; then
		userdel tlspin 2>/dev/null
		groupdel tlspin 2>/dev/null
	fi
	lib_cleanup
}
trap deb_cleanup EXIT

ver=$(dpkg-deb -f "$deb" Version)
conf=/etc/tlspin/tlspin.conf
unitdir=/lib/systemd/system
wants=/etc/systemd/system

# run NAME COMMAND...: run it, output in $T/NAME.out, status in RC
run() {
	name=$1; shift
	"$@" >"$T/$name.out" 2>&1
	RC=$?
	[ "$RC" -eq 0 ] || { echo "$* exited $RC:"; cat "$T/$name.out"; } | diag
}
pkg_status() { dpkg-query -W -f='${Status} ${Version}' tlspin 2>/dev/null; }
owner_mode() { stat -c '%U:%G %a' "$1" 2>&1; }

# --- install ---------------------------------------------------------------
run install dpkg -i "$deb"
ok "$RC" "dpkg -i installs $(basename "$deb")"
is "$(pkg_status)" "install ok installed $ver" "dpkg has it installed"

pw=$(getent passwd tlspin)
ok $? "postinst made the user tlspin"
uid=$(echo "$pw" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ]
ok $? "a system user (uid $uid)"
is "$(echo "$pw" | cut -d: -f6)" /var/lib/tlspin "its home is the store directory"
is "$(echo "$pw" | cut -d: -f7)" /usr/sbin/nologin "it cannot log in"
is "$(id -gn tlspin 2>&1)" tlspin "its group is tlspin"
is "$(owner_mode /var/lib/tlspin)" "tlspin:tlspin 750" \
	"/var/lib/tlspin: tlspin's, group tlspin may read, nobody else"

like "$(dpkg-query -W -f='${Conffiles}' tlspin)" " $conf " "$conf is a conffile"
cmp -s "$conf" "$src/contrib/tlspin.conf.example"
ok $? "$conf is contrib/tlspin.conf.example"
run check-config "$TLSPIND" --check-config
ok "$RC" "tlspind --check-config accepts it"
for kv in "store = /var/lib/tlspin" "log_source = journal" \
    "listen = unix:/var/spool/postfix/private/tlspin" "mode = enforce"; do
	grep -qx "$kv" "$T/check-config.out"
	ok $? "the packaged settings: $kv"
done

run help "$TLSPIN" --help
ok "$RC" "tlspin --help"
like "$(cat "$T/help.out")" "commands:" "and it lists the commands"
run dhelp "$TLSPIND" --help
ok "$RC" "tlspind --help"
for m in man1/tlspin.1 man5/tlspin.conf.5 man8/tlspind.8; do
	test -f "/usr/share/man/$m.gz"
	ok $? "manual page $m"
done
is "$(dpkg -L tlspin | grep -c bench)" 0 "no tlspin-bench, nor its manual page"

for u in tlspind.service tlspind.socket; do
	test -f "$unitdir/$u"
	ok $? "unit $unitdir/$u"
done
exec_start=$(sed -n 's/^ExecStart=//p' "$unitdir/tlspind.service")
is "$exec_start" "/usr/sbin/tlspind --foreground" "ExecStart= names the installed tlspind"
if command -v systemd-analyze >/dev/null 2>&1; then
	man=yes
	command -v man >/dev/null 2>&1 || man=no
	run verify systemd-analyze verify --man=$man "$unitdir/tlspind.socket" \
		"$unitdir/tlspind.service"
	ok "$RC" "systemd-analyze verify: the units, their programs and man pages"
else
	ok 0 "# SKIP systemd-analyze verify (no systemd-analyze)"
fi
test -L "$wants/sockets.target.wants/tlspind.socket"
ok $? "tlspind.socket is enabled"
test ! -e "$wants/multi-user.target.wants/tlspind.service"
ok $? "tlspind.service is not (the socket starts it)"

# --- the packaged daemon, as tlspind.service runs it -----------------------
run pin "$TLSPIN" pin example.com --level secure --match mx.example.com \
	--note "deb.t"
ok "$RC" "root pins a domain with tlspin"
is "$(owner_mode /var/lib/tlspin/data.mdb)" "tlspin:tlspin 640" \
	"the store it made is tlspin's"

chmod 0711 "$T"		# tlspind, as tlspin, reaches its socket and NOTIFY
mkdir "$T/run" && chown tlspin:tlspin "$T/run"
notify_listen "$T/notify.log"
NOTIFY_SOCKET=$NOTIFY setpriv --reuid=tlspin --regid=tlspin --clear-groups \
	"$TLSPIND" --foreground -o "listen=unix:$T/run/tlspin.sock" \
	-o log_source=none -o probe=no 2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_for grep -q READY=1 "$T/notify.log"
ok $? "tlspind runs as tlspin with the packaged config and store"
SOCK=$T/run/tlspin.sock
pm example.com
is "$PM_OUT" "secure match=mx.example.com" "and answers postmap -q example.com with the pin"
stop_daemon
is "$DAEMON_STATUS" 0 "and stops on TERM"
[ "$DAEMON_STATUS" -eq 0 ] || diag < "$T/daemon.log"

# --- upgrade -----------------------------------------------------------------
echo "# edited by deb.t" >> "$conf"
# the same package, one version later (what dpkg does with the maintainer
# scripts depends on the versions, not on the contents)
up=$ver+1
mkdir "$T/up"
dpkg-deb -R "$deb" "$T/up/pkg" &&
	sed -i "s/^Version: .*/Version: $up/" "$T/up/pkg/DEBIAN/control" &&
	dpkg-deb --root-owner-group -b "$T/up/pkg" "$T/up/tlspin_$up.deb" >/dev/null
ok $? "a package of version $up"
run upgrade dpkg -i "$T/up/tlspin_$up.deb"
ok "$RC" "dpkg -i upgrades to it"
is "$(pkg_status)" "install ok installed $up" "dpkg has $up installed"
is "$(tail -1 "$conf")" "# edited by deb.t" "the edited config is kept"
is "$(ls /etc/tlspin)" tlspin.conf "no .dpkg-dist or .dpkg-old beside it"
run show "$TLSPIN" show example.com
ok "$RC" "the pin is kept"
like "$(cat "$T/show.out")" "postfix gets: OK secure match=mx.example.com" "unchanged"
is "$(owner_mode /var/lib/tlspin)" "tlspin:tlspin 750" "so are the store directory's owner and mode"

# --- remove, reinstall, purge ----------------------------------------------
# Postfix still asking the socket: prerm says that mail will be deferred
mkdir -p "$PFCONF"
echo "smtp_tls_policy_maps = socketmap:unix:private/tlspin:policy" > "$PFCONF/main.cf"
run remove env MAIL_CONFIG="$PFCONF" dpkg -r tlspin
ok "$RC" "dpkg -r removes it"
like "$(cat "$T/remove.out")" "smtp_tls_policy_maps still names private/tlspin" \
	"and warns that main.cf still names the socket"
is "$(pkg_status)" "deinstall ok config-files $up" "only its config files are left"
test ! -e "$TLSPIND" && test ! -e "$unitdir/tlspind.service"
ok $? "tlspind and the units are gone"
is "$(tail -1 "$conf" 2>&1)" "# edited by deb.t" "the config is kept"
test -s /var/lib/tlspin/data.mdb
ok $? "the store is kept"

run reinstall dpkg -i "$T/up/tlspin_$up.deb"
ok "$RC" "dpkg -i installs it again"
run show "$TLSPIN" show example.com
ok "$RC" "with the pin of before"
is "$(tail -1 "$conf")" "# edited by deb.t" "and the config of before"

: > "$PFCONF/main.cf"
run purge env MAIL_CONFIG="$PFCONF" dpkg -P tlspin
ok "$RC" "dpkg -P purges it"
is "$(pkg_status)" "" "dpkg knows nothing of it"
test ! -e /var/lib/tlspin
ok $? "the store is gone"
test ! -e /etc/tlspin
ok $? "the config is gone"
test ! -e "$wants/sockets.target.wants/tlspind.socket"
ok $? "tlspind.socket is no longer enabled"
getent passwd tlspin >/dev/null
ok $? "the user tlspin stays (Debian's way with system users)"
grep -q "private/tlspin" "$T/purge.out"
ok $((!$?)) "no warning when main.cf does not name the socket"

done_testing
