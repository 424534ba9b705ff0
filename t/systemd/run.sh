#!/bin/bash
# t/systemd/run.sh: tlspin under a real systemd, as a Debian 12 host runs it.
#
# NAME
#	run.sh - the real-systemd test ("make check-systemd")
#
# DESCRIPTION
#	Boots a Debian 12 container (systemd-nspawn, systemd 252 as PID 1,
#	Postfix 3.7; the tree is built once with debootstrap and cached, see
#	image.sh), installs tlspin in it (the .deb, see sd_install in
#	lib.sh), configures Postfix to ask tlspind for TLS policies, and
#	checks, each by watching what happens rather than by reading the
#	units:
#	  - tlspind.socket makes the socket as its unit says, and the first
#	    query starts tlspind.service (socket activation);
#	  - the service is active only once tlspind has said READY=1;
#	  - systemd-analyze security's exposure score (printed, bounded);
#	  - no process of the service holds a capability after start-up, the
#	    probe processes hold no supplementary group, the learner keeps
#	    systemd-journal;
#	  - a real chrooted Postfix asks socketmap:unix:private/tlspin:policy:
#	    mail to a pinned domain whose server offers no STARTTLS is
#	    deferred, mail to an unpinned one is sent;
#	  - the learner pins a domain from Postfix's own journal entries (real
#	    TLS deliveries, and lines logged as user postfix by a program named
#	    smtp) and not from the same lines logged by another user;
#	  - reload: a bad config makes "systemctl reload" fail and the running
#	    settings stay; a good one is applied;
#	  - a crash loop (a bad line, restarts, automatic retries) never fails
#	    tlspind.socket nor removes the socket; Postfix's query waits in it
#	    and the mail is held, then handled by the pin once the file is
#	    fixed, when "systemctl restart" works at once;
#	  - the watchdog: pets are seen, and a stopped tlspind is restarted;
#	  - with probe = no, PrivateNetwork=yes (as the unit suggests) works;
#	  - a stop ends every process of the service cleanly.
#	Prints TAP and the time each phase took. The container is powered off
#	and the work directory removed at the end, whatever happened (the
#	directory is kept when a check or the harness failed, or with
#	SD_KEEP=1).
#
#	Exit status: 0 all passed, 1 a check failed, 77 cannot run here (not
#	root, no systemd-nspawn or debootstrap), 99 the harness failed. With
#	SYSTEMD_REQUIRE=1 (dev.sh sets it as root, as in CI), not being able
#	to run is a failure (1), never a skip.
#
# ENVIRONMENT
#	abs_top_srcdir, abs_top_builddir  the source and build trees (make
#			check-systemd sets them)
#	TLSPIN_DEB	the package to install (default build-deb/tlspin.deb
#			in the source tree)
#	SD_CACHE	where the tree is cached (/var/cache/tlspin-test)
#	SD_TIMEOUT	seconds any one wait may take (30)
#	SD_KEEP=1	keep the work directory
#	TMPDIR		where the work directory is made (/var/tmp)

set -u
SD_DIR=$(cd "$(dirname "$0")" && pwd)
abs_top_srcdir=${abs_top_srcdir:-$(cd "$SD_DIR/../.." && pwd)}
abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
. "$SD_DIR/image.sh"
. "$SD_DIR/lib.sh"

SD_EXPOSURE_MAX=2.0	# systemd-analyze security, at most
SOCK=/var/spool/postfix/private/tlspin

# ------------------------------------------------------------- can it run

sd_cannot_run() {
	if [ "${SYSTEMD_REQUIRE:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - the real-systemd test cannot run here, and SYSTEMD_REQUIRE=1: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 77
}

sd_preflight() {
	local c
	[ "$(id -u)" = 0 ] ||
		sd_cannot_run "must run as root (debootstrap, systemd-nspawn)"
	for c in systemd-nspawn debootstrap nsenter zstd tar flock pgrep \
	    sha256sum make jq; do
		command -v "$c" >/dev/null 2>&1 ||
			sd_cannot_run "$c not found (Debian: apt-get install systemd-container debootstrap zstd util-linux procps)"
	done
	[ -d /sys/fs/cgroup ] || sd_cannot_run "no /sys/fs/cgroup"
}

# ------------------------------------------------------------- helpers

# sd_prop UNIT PROPERTY: one property of a unit in the container.
sd_prop() { sd_in systemctl show -p "$2" --value "$1"; }

# sd_query KEY: what Postfix's own client gets, asked as smtp(8) does,
# as user postfix from the queue directory: "exit status:output".
sd_query() {
	local out rc
	out=$(sd_in sh -c 'cd /var/spool/postfix && runuser -u postfix -- postmap -q "$1" socketmap:unix:private/tlspin:policy 2>&1' sh "$1")
	rc=$?
	echo "$rc:$out"
}

sd_query_is() { [ "$(sd_query "$1")" = "$2" ]; }

# sd_mark: a mark in the journal (an entry of its own, identifier
# tlspin-test); sd_log ARGS: what journalctl ARGS shows after it (messages
# only). Not --after-cursor: journalctl 252 with a match skips the first
# matching entry after a cursor that does not match itself.
SD_MARKS=0
sd_mark_logged() {
	SD_CURSOR=$(sd_in journalctl -q -t tlspin-test -n 1 --show-cursor \
	    -o cat | sed -n "/^mark $SD_MARKS\$/{n;s/^-- cursor: //p;}")
	[ -n "$SD_CURSOR" ]
}
sd_mark() {
	SD_MARKS=$((SD_MARKS + 1))
	sd_in logger -t tlspin-test "mark $SD_MARKS"
	sd_wait "$SD_TIMEOUT" "a mark in the journal" sd_mark_logged ||
		sd_bail "the journal does not take a line"
}
sd_log() { sd_in journalctl -q --no-pager -o cat --cursor="$SD_CURSOR" "$@"; }
sd_log_has() {	# sd_log_has REGEX JOURNALCTL-ARGS...
	local re=$1
	shift
	sd_log "$@" | grep -Eq -- "$re"
}

# sd_delivery ADDR: Postfix's delivery line for ADDR since the mark.
sd_delivery() { sd_log -t postfix/smtp | grep -F "to=<$1>" | tail -1; }
sd_delivered() { [ -n "$(sd_delivery "$1")" ]; }

sd_pin() { sd_in tlspin pin "$1" --level encrypt --note "t/systemd" >/dev/null; }

# sd_dropin NAME TEXT: a drop-in for tlspind.service ("" removes it).
sd_dropin() {
	local d=$SD_ROOT/etc/systemd/system/tlspind.service.d
	if [ -z "$2" ]; then
		rm -f "$d/$1.conf"
	else
		mkdir -p "$d" && printf '[Service]\n%s\n' "$2" >"$d/$1.conf"
	fi
	sd_in systemctl daemon-reload
}

sd_main_pid() { sd_prop tlspind.service MainPID; }
sd_active() { [ "$(sd_in systemctl is-active "$1")" = active ]; }

# ------------------------------------------------------------- checks

check_socket() {
	local want user group mode
	user=$(sd_prop tlspind.socket SocketUser)
	group=$(sd_prop tlspind.socket SocketGroup)
	mode=$(sd_prop tlspind.socket SocketMode)
	want="socket ${user:-root} ${group:-root} ${mode#0}"
	sd_is "$(sd_in stat -c '%F %U %G %a' "$SOCK" 2>&1)" "$want" \
		"tlspind.socket made $SOCK as its unit says ($want)"
}

check_activation() {
	sd_in systemctl stop tlspind.service 2>/dev/null
	sd_is "$(sd_in systemctl is-active tlspind.service)/$(sd_in systemctl is-active tlspind.socket)" \
		"inactive/active" "before any query: tlspind.service inactive, tlspind.socket listening"
	sd_is "$(sd_query first.test)" "1:" \
		"the first query (postmap as user postfix) gets NOTFOUND"
	sd_is "$(sd_in systemctl is-active tlspind.service)" active \
		"... from tlspind.service, which that query started"
	sd_is "$(sd_in cat /proc/"$(sd_main_pid)"/comm)" tlspind \
		"its main process is tlspind"
}

# Active only after READY=1: with the notification socket taken away
# (UnsetEnvironment=), tlspind runs and answers but the unit stays
# "activating" until its start times out.
check_notify() {
	local t
	sd_is "$(sd_prop tlspind.service Type)/$(sd_prop tlspind.service StatusText)" \
		"notify/Answering policy queries" \
		"Type=notify, and systemd has tlspind's READY=1 status text"
	sd_dropin zz-test-noready $'UnsetEnvironment=NOTIFY_SOCKET\nTimeoutStartSec=4s\nRestart=no'
	sd_mark
	sd_in systemctl restart --no-block tlspind.service
	sd_wait "$SD_TIMEOUT" "tlspind to answer without NOTIFY_SOCKET" \
		sd_log_has "answering map policy" -u tlspind.service
	sd_is "$(sd_prop tlspind.service ActiveState)" activating \
		"without READY=1 the unit is still activating while tlspind answers"
	t=$(sd_ms)
	sd_wait "$SD_TIMEOUT" "the start to time out" \
		sd_log_has "start operation timed out|Failed with result 'timeout'" -u tlspind.service
	sd_is "$(sd_prop tlspind.service Result)" timeout \
		"... and never becomes active: the start fails by timeout ($(sd_secs "$t") s)"
	sd_dropin zz-test-noready ""
	sd_in systemctl restart tlspind.service
	sd_is "$?/$(sd_in systemctl is-active tlspind.service)" "0/active" \
		"with READY=1 back, it starts again at once"
}

check_security() {
	local out score
	out=$(sd_in systemd-analyze security --no-pager tlspind.service 2>&1)
	score=$(printf '%s\n' "$out" |
		sed -n 's/.*Overall exposure level for tlspind.service: \([0-9.]*\).*/\1/p')
	printf '%s\n' "$out" | grep -E '^✗' | sed 's/  */ /g' | sd_diag
	echo "# systemd-analyze security tlspind.service: exposure $score"
	[ -n "$score" ] && awk -v s="$score" -v m="$SD_EXPOSURE_MAX" 'BEGIN { exit !(s <= m) }'
	sd_ok $? "systemd-analyze security: exposure $score, at most $SD_EXPOSURE_MAX"
}

sd_have_probes() { sd_inside procs | grep -q ' tlspind-probe '; }

# /proc/PID/status of each process of the service (inside.sh procs).
check_privileges() {
	local procs jgid zero=0000000000000000 line probes=0 bad
	sd_wait "$SD_TIMEOUT" "the probe processes" sd_have_probes
	procs=$(sd_inside procs)
	printf '%s\n' "$procs" | sd_diag
	bad=$(printf '%s\n' "$procs" | grep -v "prm=$zero eff=$zero amb=$zero\$")
	sd_is "$bad" "" "no process of tlspind.service holds a capability after start-up"
	bad=
	while read -r line; do
		case $line in
		*" tlspind-probe "*|*" tlspind-probes "*)
			probes=$((probes + 1))
			case $line in *" groups=- "*) ;; *) bad="$bad $line" ;; esac ;;
		esac
	done <<<"$procs"
	sd_ok "$([ "$probes" -ge 2 ] && [ -z "$bad" ]; echo $?)" \
		"the probe launcher and probes ($probes processes) hold no supplementary group" ||
		echo "# with groups:$bad"
	jgid=$(sd_in getent group systemd-journal | cut -d: -f3)
	sd_like "$(printf '%s\n' "$procs" | grep ' tlspind-learn ')" \
		"groups=([0-9]+,)*$jgid(,|[ ])" \
		"the learner keeps group systemd-journal ($jgid)"
}

# A real Postfix, its smtp(8) chrooted, asks tlspind.
check_postfix() {
	local d
	sd_pin pinned.test
	sd_is "$(sd_query pinned.test)" "0:encrypt" \
		"postmap -q pinned.test socketmap:unix:private/tlspin:policy from Postfix's queue directory"
	sd_mark
	sd_inside send u1@pinned.test "to a pinned domain"
	sd_inside send u1@plain.test "to a domain without a pin"
	sd_wait "$SD_TIMEOUT" "Postfix to try u1@pinned.test" sd_delivered u1@pinned.test
	sd_wait "$SD_TIMEOUT" "Postfix to deliver u1@plain.test" sd_delivered u1@plain.test
	d=$(sd_delivery u1@pinned.test)
	echo "# $d"
	sd_like "$d" 'dsn=4\.7\.4, status=deferred \(TLS is required, but was not offered' \
		"mail to pinned.test (its server offers no STARTTLS) is deferred, not sent in clear"
	sd_like "$(sd_delivery u1@plain.test)" 'dsn=2\.0\.0, status=sent' \
		"mail to plain.test (same server, no pin) is sent"
	sd_like "$(sd_in postqueue -p)" 'u1@pinned\.test' "the deferred mail is still in the queue"
}

# journal_lines DOMAIN N: N TLS deliveries to DOMAIN as Postfix 3.7 logs
# them, from a public address (no lookup hint needed to count them).
journal_lines() {
	local i
	for i in $(seq 1 "$2"); do
		echo "Trusted TLS connection established to mx.$1[192.0.2.25]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"
		echo "4SD${i}0A7628A: to=<u$i@$1>, relay=mx.$1[192.0.2.25]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9SD$i)"
	done
}

check_learning() {
	local i nuid n lines
	sd_mark
	for i in 1 2 3; do
		sd_inside send "u$i@learned.test" "learning $i"
	done
	sd_wait "$SD_TIMEOUT" "tlspind to pin learned.test" \
		sd_query_is learned.test "0:encrypt"
	sd_is "$(sd_query learned.test)" "0:encrypt" \
		"3 real TLS deliveries to learned.test, read from the journal: pinned"
	n=$(sd_log -t postfix/smtp | grep -c 'Untrusted TLS connection established to learned\.test')
	sd_is "$n" 3 "... they were 3 TLS connections Postfix logged"
	# the same lines, forged by another user, then genuine
	nuid=$(sd_in id -u nobody)
	mapfile -t lines < <(journal_lines forged.test 4)
	sd_inside journal-as nobody postfix/smtp "${lines[@]}"
	n=$(sd_in journalctl -q -o cat -t postfix/smtp _COMM=smtp _UID="$nuid" | grep -c 'forged\.test')
	sd_ok "$([ "$n" -ge 8 ]; echo $?)" \
		"user nobody logged $n lines for forged.test as postfix/smtp from a process named smtp"
	mapfile -t lines < <(journal_lines genuine.test 4)
	sd_inside journal-as postfix postfix/smtp "${lines[@]}"
	sd_wait "$SD_TIMEOUT" "tlspind to pin genuine.test" \
		sd_query_is genuine.test "0:encrypt"
	sd_is "$(sd_query genuine.test)" "0:encrypt" \
		"the same lines logged by user postfix pin genuine.test"
	sd_is "$(sd_query forged.test)" "1:" \
		"... and those of user nobody, read before them, pinned nothing"
}

check_reload() {
	local pid rc
	pid=$(sd_main_pid)
	sd_inside setting mode observe
	sd_inside bad-config
	sd_mark
	sd_in systemctl reload tlspind.service >/dev/null 2>&1
	rc=$?
	sd_ok "$([ "$rc" != 0 ]; echo $?)" "systemctl reload with a bad tlspin.conf fails (exit status $rc)"
	sd_like "$(sd_log -u tlspind.service)" 'unknown setting "this_is_not_a_setting"' \
		"... and the journal says which line is wrong"
	sd_is "$(sd_main_pid)/$(sd_in systemctl is-active tlspind.service)" "$pid/active" \
		"... tlspind runs on, same process"
	sd_is "$(sd_query pinned.test)" "0:encrypt" \
		"... with its settings (mode = enforce, not the file's observe)"
	sd_inside good-config
	sd_in systemctl reload tlspind.service
	sd_is "$?" 0 "with the bad line gone, systemctl reload succeeds"
	sd_wait "$SD_TIMEOUT" "mode = observe to apply" sd_query_is pinned.test "1:"
	sd_is "$(sd_query pinned.test)" "1:" "... and applies the file (observe: NOTFOUND)"
	sd_inside setting mode enforce
	sd_in systemctl reload tlspind.service
	sd_wait "$SD_TIMEOUT" "mode = enforce to apply" sd_query_is pinned.test "0:encrypt"
}

# The accept queue of the listening socket (ss: Recv-Q of a listener).
sd_backlog() { sd_in ss -xlH src "$SOCK" | awk '{ print $3 }'; }
sd_backlog_is() { [ "$(sd_backlog)" = "$1" ]; }
sd_restarts_over() { [ "$(sd_prop tlspind.service NRestarts)" -ge "$1" ]; }

check_crash_loop() {
	local i fails=0 n0 t d
	sd_pin crash.test
	sd_mark
	sd_inside bad-config
	for i in 1 2 3 4 5 6 7; do
		sd_in systemctl restart tlspind.service >/dev/null 2>&1 || fails=$((fails + 1))
	done
	sd_is "$fails" 7 "a bad line in tlspin.conf: 7 restarts in a row, each fails visibly"
	sd_is "$(sd_in stat -c %F "$SOCK" 2>&1)" socket "... $SOCK is still there"
	sd_is "$(sd_in systemctl is-active tlspind.socket)" active \
		"... tlspind.socket is still active (not failed)"
	sd_ok "$(! sd_log_has 'start-limit|repeated too quickly' -u tlspind.socket -u tlspind.service; echo $?)" \
		"... no start limit was hit"
	n0=$(sd_prop tlspind.service NRestarts)
	sd_wait "$SD_TIMEOUT" "two automatic restarts" sd_restarts_over $((n0 + 2))
	sd_ok $? "systemd goes on retrying (NRestarts $n0 -> $(sd_prop tlspind.service NRestarts)), the socket stays ($(sd_in systemctl is-active tlspind.socket))"
	sd_inside send u1@crash.test "during a crash loop"
	sd_wait "$SD_TIMEOUT" "Postfix's query in the socket's queue" sd_backlog_is 1
	sd_ok $? "Postfix's policy query for crash.test waits in the socket (accept queue $(sd_backlog))"
	sd_like "$(sd_in postqueue -p)" 'u1@crash\.test' "... the mail is held in the queue"
	sd_is "$(sd_delivery u1@crash.test)" "" "... neither sent nor bounced"
	sd_inside good-config
	t=$(sd_ms)
	sd_in systemctl restart tlspind.service
	sd_is "$?/$(sd_in systemctl is-active tlspind.service)" "0/active" \
		"file fixed: systemctl restart works at once ($(sd_secs "$t") s), no reset-failed"
	sd_wait "$SD_TIMEOUT" "the held delivery" sd_delivered u1@crash.test
	d=$(sd_delivery u1@crash.test)
	echo "# $d"
	sd_like "$d" 'dsn=4\.7\.4, status=deferred \(TLS is required' \
		"the waiting query got the pin: the mail is deferred, not sent in clear"
	sd_is "$(sd_backlog)" 0 "the socket's queue is empty again"
}

sd_watchdog_pets() { [ "$(sd_prop tlspind.service WatchdogTimestampMonotonic)" != "$1" ]; }
sd_pid_changed() {
	local p
	p=$(sd_main_pid)
	[ "$p" != "$1" ] && [ "$p" != 0 ] && sd_active tlspind.service
}

check_watchdog() {
	local pid w t
	sd_dropin zz-test-watchdog "WatchdogSec=2s"
	sd_in systemctl restart tlspind.service
	pid=$(sd_main_pid)
	w=$(sd_prop tlspind.service WatchdogTimestampMonotonic)
	sd_wait "$SD_TIMEOUT" "a watchdog ping" sd_watchdog_pets "$w"
	sd_ok $? "WatchdogSec=2s: tlspind pets the watchdog"
	sd_mark
	t=$(sd_ms)
	sd_in sh -c 'kill -STOP "$1"' sh "$pid"
	sd_wait "$SD_TIMEOUT" "systemd to replace the stopped tlspind" sd_pid_changed "$pid"
	sd_ok $? "tlspind stopped (SIGSTOP): systemd replaces it ($(sd_secs "$t") s)"
	sd_like "$(sd_log -u tlspind.service)" 'Watchdog timeout' "... because of the watchdog"
	sd_is "$(sd_query pinned.test)" "0:encrypt" "the new tlspind answers on the same socket"
	sd_dropin zz-test-watchdog ""
	sd_in systemctl restart tlspind.service
}

# What the unit's comment says of probe = no: with PrivateNetwork=yes
# added, tlspind answers on the socket systemd passes and learns from the
# journal.
check_private_network() {
	local lines
	sd_inside setting probe no
	sd_dropin zz-test-nonet "PrivateNetwork=yes"
	sd_in systemctl restart tlspind.service
	sd_is "$?/$(sd_query pinned.test)" "0/0:encrypt" \
		"probe = no and PrivateNetwork=yes: tlspind starts and answers"
	mapfile -t lines < <(journal_lines nonet.test 3)
	sd_inside journal-as postfix postfix/smtp "${lines[@]}"
	sd_wait "$SD_TIMEOUT" "tlspind to pin nonet.test" \
		sd_query_is nonet.test "0:encrypt"
	sd_ok $? "... and learns from the journal"
	sd_dropin zz-test-nonet ""
	sd_inside setting probe yes
	sd_in systemctl restart tlspind.service
}

# What the package set up: the socket enabled and listening, the service
# left to it, the config a conffile, the store tlspin's alone.
check_package() {
	sd_is "$(sd_in dpkg-query -W -f '${Status}' tlspin)" "install ok installed" \
		"dpkg: tlspin is installed ($SD_INSTALLED)"
	sd_is "$(sd_in systemctl is-enabled tlspind.socket)/$(sd_in systemctl is-enabled tlspind.service)" \
		"enabled/disabled" \
		"the package enabled tlspind.socket; tlspind.service is started by it"
	sd_like "$(sd_in dpkg-query -W -f '${Conffiles}' tlspin)" '^ /etc/tlspin/tlspin\.conf [0-9a-f]{32}$' \
		"/etc/tlspin/tlspin.conf is a conffile"
	sd_is "$(sd_in stat -c '%U:%G %a' /var/lib/tlspin)" "tlspin:tlspin 750" \
		"/var/lib/tlspin: tlspin's, mode 750"
}

# tlspin doctor on the container: nothing wrong once Postfix trusts the
# system's CAs (DANE is off here, smtp_dns_support_level = disabled, so
# the DNSSEC check is a note: it asks 127.0.0.1, where nothing answers,
# as the container has no network), then a broken setting found with
# its fix.
doctor_json() { sd_in tlspin doctor --json --resolver 127.0.0.1:53 --timeout 1; }
doctor_sev() {	# doctor_sev JSON ID: the severity of finding ID
	printf '%s' "$1" | jq -r --arg id "$2" '.findings[] | select(.id == $id) | .severity'
}
check_doctor() {
	local j rc id
	sd_in postconf -e smtp_tls_CAfile=/etc/ssl/certs/ca-certificates.crt
	sd_in postfix reload >/dev/null 2>&1
	j=$(doctor_json)
	rc=$?
	printf '%s' "$j" | jq -r '.findings[] | "# doctor: \(.severity) \(.id): \(.message)"' 2>/dev/null
	sd_is "$rc/$(printf '%s' "$j" | jq -r '.errors')/$(printf '%s' "$j" | jq -r '.warnings')" "0/0/0" \
		"tlspin doctor: exit 0, no error, no warning"
	for id in postfix.policy_maps socket.access tlspind.answer learner.access postfix.ca; do
		sd_is "$(doctor_sev "$j" "$id")" ok "tlspin doctor: $id ok"
	done
	sd_in postconf -e smtp_tls_loglevel=0
	j=$(doctor_json)
	rc=$?
	sd_is "$rc/$(doctor_sev "$j" postfix.tls_loglevel)" "2/error" \
		"smtp_tls_loglevel = 0: doctor exits 2 with an error"
	sd_like "$(printf '%s' "$j" | jq -r '.findings[] | select(.id == "postfix.tls_loglevel") | .fix')" \
		"postconf -e 'smtp_tls_loglevel = 1'" "... and says how to fix it"
	sd_in postconf -e smtp_tls_loglevel=1
}

# A stop ends tlspind, its learner, the probe launcher and the probes
# without a probe replaced or anything killed, and leaves the socket.
check_stop() {
	local t
	sd_in systemctl start tlspind.service
	sd_wait "$SD_TIMEOUT" "the probe processes" sd_have_probes
	sd_mark
	t=$(sd_ms)
	sd_in systemctl stop tlspind.service 2>/dev/null
	sd_is "$?/$(sd_prop tlspind.service Result)" "0/success" \
		"systemctl stop: tlspind ends cleanly ($(sd_secs "$t") s)"
	sd_is "$(sd_inside procs)" "" "... no process of the service is left"
	sd_is "$(sd_log -u tlspind.service | grep -E 'probe|[Kk]ill|timed out')" "" \
		"... none was killed or replaced on the way"
	sd_is "$(sd_in systemctl is-active tlspind.socket)" active "... the socket stays"
}

# ------------------------------------------------------------- run

sd_exit() {
	local rc=$?
	trap - EXIT INT TERM
	sd_stop
	# kept for a look when something failed (not when interrupted)
	if [ "${SD_KEEP:-0}" = 1 ] || [ "$rc" = 99 ] || [ "$SD_FAILED" != 0 ]; then
		[ -n "${SD_WORK-}" ] && echo "# work directory kept: $SD_WORK"
	else
		sd_cleanup_work
	fi
	[ -n "${SD_T0-}" ] && echo "# systemd test: $(sd_secs "$SD_T0") s in all"
	exit "$rc"
}

sd_preflight
SD_T0=$(sd_ms)
trap sd_exit EXIT
trap 'exit 130' INT TERM

tarball=$(sd_image_ensure) || sd_bail "cannot build the Debian 12 tree"
echo "# tree: $tarball ($(sd_secs "$SD_T0") s to get it)"
SD_WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/tlspin-systemd.XXXXXX") ||
	sd_bail "cannot make a work directory"
t=$(sd_ms)
sd_unpack "$tarball" || sd_bail "cannot unpack $tarball"
echo "# unpacked in $(sd_secs "$t") s"
t=$(sd_ms)
sd_boot || sd_bail "the container does not boot"
echo "# booted in $(sd_secs "$t") s: $(sd_in systemctl --version | head -1)"
t=$(sd_ms)
sd_inside postfix-setup >"$SD_WORK/postfix.log" 2>&1 ||
	{ sd_diag <"$SD_WORK/postfix.log"; sd_bail "cannot set up Postfix"; }
echo "# Postfix $(sd_in postconf -h mail_version) set up in $(sd_secs "$t") s"
t=$(sd_ms)
sd_install || sd_bail "cannot install tlspin"
echo "# installed ($SD_INSTALLED) in $(sd_secs "$t") s"
# learn at once (the default waits 24 h between deliveries)
sd_inside setting pin_min_span 0s
sd_in systemctl restart tlspind.service >/dev/null 2>&1

t=$(sd_ms)
for c in package socket activation notify security privileges postfix learning \
    doctor reload crash_loop watchdog private_network stop; do
	tc=$(sd_ms)
	"check_$c"
	echo "# $c: $(sd_secs "$tc") s"
done
echo "# checks: $(sd_secs "$t") s"
echo "1..$SD_TESTS"
[ "$SD_FAILED" = 0 ] || exit 1
exit 0
