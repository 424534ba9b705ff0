#!/bin/bash
# probers.t: what the probe processes hold. They talk to servers on the
# Internet, so they must hold no supplementary group (the learner's
# systemd-journal and adm, which read every log on the machine) and no
# capability. tlspind runs here as tlspind.service starts it: an
# unprivileged user with group adm and CAP_SETGID as an ambient
# capability (setpriv does what systemd does); then without the
# capability (the groups stay, and the log says so); then started as root
# (the probes become probe_user). A prober that is killed is replaced by
# the probe launcher, with nothing more than the one it replaces.
. "$abs_top_srcdir/t/integration/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (setpriv to another user with a capability)"
need setpriv pgrep
id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1 ||
	skip_all "needs the users nobody and daemon"
getent group adm >/dev/null || skip_all "needs the group adm"
ADM=$(getent group adm | cut -d: -f3)
ZERO=0000000000000000

# everything under $T for user nobody: the store, the socket, the log
chmod 711 "$T"
mkdir "$T/run" && chown nobody "$T/run"
STORE=$T/run/store
SOCK=$T/run/tlspin.sock
: > "$T/run/maillog"
chmod 644 "$T/run/maillog"

# status PID FIELD: a field of /proc/PID/status ("Groups", "CapEff" ...)
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | sed 's/[[:space:]]*$//'; }
child() { pgrep -P "$1" -x "$2" | head -1; }	# child PID NAME
probes() { pgrep -P "$(child "$DAEMON_PID" tlspind-probes)" -x tlspind-probe; }
two_probes() { [ "$(probes | wc -l)" = 2 ]; }

# start PREFIX...: tlspind (probes on, learning from a file) under PREFIX,
# a command that execs it (setpriv): DAEMON_PID is tlspind itself.
start() {
	notify_listen "$T/notify.log"
	NOTIFY_SOCKET=$NOTIFY "$@" "$TLSPIND" --foreground -c /dev/null \
		--store "$STORE" --listen "unix:$SOCK" \
		-o "log_source=file:$T/run/maillog" -o probe=yes \
		-o probe_concurrency=2 -o probe_user=daemon ${EXTRA-} \
		2>"$T/daemon.log" &
	DAEMON_PID=$!
	wait_for grep -q READY=1 "$T/notify.log"
	ok $? "tlspind starts (${*:-as root})" || diag <"$T/daemon.log"
	wait_for two_probes
	ok $? "the launcher runs 2 probe processes" || diag <"$T/daemon.log"
}

# holds_nothing PID WHAT: no supplementary group, no capability
holds_nothing() {
	is "$(status "$1" Groups)|$(status "$1" CapPrm)|$(status "$1" CapEff)|$(status "$1" CapAmb)" \
		"|$ZERO|$ZERO|$ZERO" "$2 holds no supplementary group and no capability"
}

# 1. as under tlspind.service: user nobody, group adm, CAP_SETGID
start setpriv --reuid=nobody --regid=nogroup --groups="$ADM" \
	--inh-caps=+setgid --ambient-caps=+setgid
launcher=$(child "$DAEMON_PID" tlspind-probes)
learner=$(child "$DAEMON_PID" tlspind-learn)
holds_nothing "$launcher" "the probe launcher"
for p in $(probes); do holds_nothing "$p" "probe process $p"; done
is "$(status "$(probes | head -1)" Uid | awk '{ print $1 }')" "$(id -u nobody)" \
	"the probes run as tlspind's user (started unprivileged)"
for p in "$DAEMON_PID" "$learner"; do
	is "$(status "$p" Groups)|$(status "$p" CapPrm)|$(status "$p" CapEff)|$(status "$p" CapAmb)" \
		"$ADM|$ZERO|$ZERO|$ZERO" \
		"$(cat "/proc/$p/comm") ($p) keeps group adm, and holds no capability"
done

# a killed prober: the launcher starts another, without groups either
old=$(probes | head -1)
kill -KILL "$old"
replaced() { two_probes && ! probes | grep -qx "$old"; }
wait_for replaced
ok $? "a probe killed with SIGKILL is replaced"
like "$(cat "$T/daemon.log")" "prober (pid $old) was killed by signal 9; starting another" \
	"... and the log says so"
for p in $(probes); do holds_nothing "$p" "probe process $p"; done
stop_daemon

# 2. the same without the capability: the groups stay, and the log says so
start setpriv --reuid=nobody --regid=nogroup --groups="$ADM"
like "$(cat "$T/daemon.log")" "probe: the probe processes keep the supplementary groups $ADM (adm)" \
	"without CAP_SETGID the log names the groups the probes keep"
is "$(status "$(probes | head -1)" Groups)" "$ADM" "... which they do"
stop_daemon

# 3. started as root with user = nobody: tlspind becomes nobody, the
# probes probe_user (daemon), without groups
EXTRA="-o user=nobody" start
is "$(status "$DAEMON_PID" Uid | awk '{ print $1 }')" "$(id -u nobody)" \
	"tlspind started as root runs as user nobody"
for p in $(probes); do
	holds_nothing "$p" "probe process $p (tlspind started as root)"
	is "$(status "$p" Uid | awk '{ print $1 }')/$(status "$p" Gid | awk '{ print $1 }')" \
		"$(id -u daemon)/$(id -g daemon)" "... and runs as probe_user daemon"
done
stop_daemon
done_testing
