#!/bin/bash
# t/e2e/run.sh: run the tlspin end-to-end scenarios against real Postfix.
#
# NAME
#	run.sh - end-to-end test driver
#
# SYNOPSIS
#	bash t/e2e/run.sh [SCENARIO ...]
#
# DESCRIPTION
#	Checks that it can run (root, Postfix, unbound, openssl, unshare, the
#	programs under test), then re-executes itself inside new network,
#	mount and PID namespaces: nothing it starts can reach or disturb the
#	rest of the machine, and when it exits the kernel ends whatever might
#	be left in its PID namespace. Inside, it builds one shared test world
#	(see lib.sh), runs each scenario script t/e2e/NN-*.sh in sequence
#	(or only those named, by number or name), prints PASS, FAIL or SKIP for
#	each, and ends with the line "e2e: N passed, N failed, N skipped".
#	Before each scenario it puts back the tlspind config setup wrote
#	(reloading tlspind if a scenario changed it), restarts tlspind if it
#	is not running, and waits (at most E2E_TIMEOUT) until tlspind's
#	learner has read the sender's log so far; the scenario itself resets
#	the DNS.
#
#	Exit status: 0 when nothing failed and something passed, 1 when a
#	scenario failed, 77 when everything was skipped, 99 when the harness
#	could not set up its world. Under E2E_REQUIRE=1 nothing may skip: a
#	scenario that skips, or the whole suite when it cannot run here, is
#	reported as FAIL with its reason.
#
# ENVIRONMENT
#	TLSPIND, TLSPIN	the programs under test (default: the build tree)
#	E2E_KEEP=1	keep the work directory (it is kept anyway on failure)
#	E2E_CAPTURE=DIR	copy every Postfix log (sender.log, receiver-*.log),
#			per-scenario slices of the sender's log
#			(sender-NN-name.log) and tlspind's stderr to DIR
#			(this is how t/data/postfix-3.7 was made)
#	E2E_VERBOSE=1	show the notes of passing scenarios too
#	E2E_REQUIRE=1	every scenario must run: a skip is a failure (CI;
#			dev.sh sets it when it runs as root)
#	TMPDIR		where the work directory is made (default /tmp)

set -u

E2E_SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
. "$(dirname "$E2E_SELF")/lib.sh"

# The scenario scripts to run: all of them, or those named on the command
# line (by number "02" or by name "02-strip-starttls").
e2e_list_scenarios() {
	local f name arg
	for f in "$E2E_DIR"/[0-9][0-9]-*.sh; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .sh)
		if [ $# -eq 0 ]; then
			echo "$name"
			continue
		fi
		for arg in "$@"; do
			case $name in
			"${arg%.sh}"|"${arg%.sh}"-*) echo "$name"; break ;;
			esac
		done
	done
}

e2e_summary() {
	echo "e2e: $1 passed, $2 failed, $3 skipped"
}

# Report every scenario as skipped because the suite cannot run here, or
# as failed under E2E_REQUIRE=1.
e2e_skip_all() {
	local n s
	n=$(e2e_list_scenarios "$@" | wc -l)
	if [ "${E2E_REQUIRE:-0}" = 1 ]; then
		for s in $(e2e_list_scenarios "$@"); do
			echo "FAIL: $s (would skip, and E2E_REQUIRE=1: $E2E_SKIP_REASON)"
		done
		e2e_summary 0 "$n" 0
		exit 1
	fi
	echo "SKIP: e2e suite: $E2E_SKIP_REASON"
	e2e_summary 0 0 "$n"
	exit 77
}

e2e_preflight() {
	local c
	if [ "$(id -u)" != 0 ]; then
		E2E_SKIP_REASON="must run as root (network namespaces, Postfix instances)"
		return 1
	fi
	for c in postfix postconf postqueue postmap sendmail unbound \
	    postsuper unbound-control unbound-checkconf openssl unshare ip mount \
	    getent timeout awk runuser setsid; do
		command -v "$c" >/dev/null 2>&1 || {
			E2E_SKIP_REASON="$c not found (Debian: apt-get install postfix unbound openssl iproute2 util-linux)"
			return 1
		}
	done
	if [ ! -x "$TLSPIND" ] || [ ! -x "$TLSPIN" ]; then
		E2E_SKIP_REASON="programs under test not built: $TLSPIND, $TLSPIN (run make, or set TLSPIND and TLSPIN)"
		return 1
	fi
	if ! unshare --net --mount --pid --fork true 2>/dev/null; then
		E2E_SKIP_REASON="cannot create namespaces here (unshare --net --mount --pid failed)"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- outside

if [ -z "${E2E_INSIDE-}" ]; then
	if ! e2e_preflight; then
		e2e_skip_all "$@"
	fi
	E2E_INSIDE=1
	export E2E_INSIDE
	exec unshare --net --mount --pid --fork --kill-child=TERM --mount-proc \
		--propagation private bash "$E2E_SELF" "$@"
	echo "e2e: cannot enter namespaces" >&2
	exit 99
fi

# ---------------------------------------------------------------- inside

# Everything below changes the network, mounts and processes of whatever
# namespace it runs in: only ever in the one made above, where this shell
# is the first process.
if [ "$$" != 1 ]; then
	echo "e2e: E2E_INSIDE is set but this is not the harness's own namespace; refusing to run" >&2
	exit 99
fi

E2E_START_MS=$(e2e_now_ms)

e2e_elapsed() {
	local ms=$(( $(e2e_now_ms) - $1 ))
	printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# Stop everything this run started, each by its pid, then remove the work
# directory unless it should be kept.
e2e_cleanup() {
	local rc=$? r pid
	trap - EXIT INT TERM
	if [ -n "${E2E_WORK-}" ] && [ -d "$E2E_WORK" ]; then
		e2e_tlspind_stop 2>/dev/null
		for r in sender $E2E_RECEIVERS; do
			e2e_postfix_stop "$r" 2>/dev/null
		done
		pid=$(cat "$E2E_DNS/unbound.pid" 2>/dev/null)
		if [ -n "$pid" ]; then
			kill -TERM "$pid" 2>/dev/null
			e2e_wait 5 "unbound to exit" e2e_pid_gone "$pid" ||
				kill -KILL "$pid" 2>/dev/null
		fi
		if [ "${E2E_KEEP:-0}" = 1 ] || [ "$E2E_FAILED" != 0 ] ||
		    { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
			echo "e2e: work directory kept: $E2E_WORK" >&2
		else
			rm -rf "$E2E_WORK"
		fi
	fi
	exit "$rc"
}

# On Ctrl-C or SIGTERM: stop the running scenario (it runs in its own
# process group under timeout(1)), then clean up and exit.
e2e_on_signal() {
	E2E_INTERRUPTED=1
	if [ -n "$E2E_CHILD" ]; then
		kill -TERM "$E2E_CHILD" 2>/dev/null
	else
		exit 130
	fi
}

E2E_FAILED=0
E2E_CHILD=
E2E_INTERRUPTED=
trap e2e_cleanup EXIT
trap e2e_on_signal INT TERM

E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-e2e.XXXXXX") ||
	e2e_broken "cannot make a work directory"
# Postfix daemons run as user postfix and must reach their queue.
chmod 755 "$E2E_WORK"
export E2E_WORK
e2e_paths

# Build the world once for all scenarios.
e2e_setup() {
	local r
	if ! runuser -u postfix -- test -x "$E2E_WORK"; then
		e2e_note "user postfix cannot reach $E2E_WORK: set TMPDIR to a directory every user can enter (such as /tmp)"
		return 1
	fi
	ip link set lo up || return 1
	for r in $E2E_RECEIVERS; do
		ip addr add "$(e2e_rcv_addr "$r")/8" dev lo || return 1
	done
	ip addr add "$E2E_SENDER_ADDR/8" dev lo || return 1
	e2e_note "setup: test PKI (at $(e2e_elapsed "$E2E_START_MS"))"
	e2e_pki_make || { cat "$E2E_PKI/openssl.log" >&2; return 1; }
	e2e_note "setup: unbound (at $(e2e_elapsed "$E2E_START_MS"))"
	e2e_dns_start || return 1
	e2e_note "setup: Postfix instances (at $(e2e_elapsed "$E2E_START_MS"))"
	e2e_postfix_prepare || return 1
	e2e_postfix_start_all || return 1
	e2e_note "setup: tlspind (at $(e2e_elapsed "$E2E_START_MS"))"
	e2e_tlspind_config || return 1
	cp "$E2E_TLSPIND_CONF" "$E2E_TLSPIND_CONF.setup" || return 1
	e2e_tlspind_start || return 1
	e2e_note "setup: done (at $(e2e_elapsed "$E2E_START_MS"))"
}

mapfile -t E2E_LIST < <(e2e_list_scenarios "$@")
if [ ${#E2E_LIST[@]} -eq 0 ]; then
	echo "e2e: no scenario matches: $*" >&2
	exit 99
fi

mkdir -p "$E2E_WORK/scenarios"
if ! e2e_setup 2>"$E2E_WORK/setup.log"; then
	sed 's/^/  /' "$E2E_WORK/setup.log"
	for s in "${E2E_LIST[@]}"; do
		echo "ERROR: $s (harness setup failed)"
	done
	E2E_FAILED=${#E2E_LIST[@]}
	e2e_summary 0 "$E2E_FAILED" 0
	exit 99
fi
echo "e2e: world ready in $(e2e_elapsed "$E2E_START_MS") ($E2E_WORK)"

if [ -n "${E2E_CAPTURE-}" ]; then
	mkdir -p "$E2E_CAPTURE" || e2e_broken "cannot make $E2E_CAPTURE"
fi

# Put back the tlspind config setup wrote (a scenario such as 06 changes
# the mode) and reload the running daemon with it.
e2e_tlspind_config_reset() {
	local mark pid
	cmp -s "$E2E_TLSPIND_CONF.setup" "$E2E_TLSPIND_CONF" && return 0
	cp "$E2E_TLSPIND_CONF.setup" "$E2E_TLSPIND_CONF" || return 1
	pid=$(e2e_tlspind_pid)
	{ [ -n "$pid" ] && ! e2e_pid_gone "$pid"; } || return 0
	mark=$(wc -l <"$E2E_TLSPIND_LOG")
	kill -HUP "$pid" &&
	e2e_wait 10 "tlspind to reload its setup config" \
		e2e_tlspind_logged "$mark" "reloaded "
}

# Let the learner read what the scenario before wrote to the sender's
# log before the next one makes lookups. Otherwise a delivery whose own
# lookup the learner never saw (made while it was down or restarting, as
# at the end of 05) can be tied to a lookup the same smtp pid makes a
# second later for the next scenario's domain, and count for that domain.
# A learner restarting after a failure may take a few seconds; this never
# fails a scenario.
e2e_learner_settle() {
	grep -q '^log_source = file:' "$E2E_TLSPIND_CONF" || return 0
	e2e_wait "$E2E_TIMEOUT" "the learner to read the sender's log" \
		e2e_learner_caught_up
}

passed=0 skipped=0 broken=0
for s in "${E2E_LIST[@]}"; do
	e2e_tlspind_config_reset 2>>"$E2E_WORK/setup.log" ||
		e2e_note "tlspind config not reset before $s"
	# A scenario that failed half-way may have left the daemon stopped.
	if [ -z "$(e2e_tlspind_pid)" ] || e2e_pid_gone "$(e2e_tlspind_pid)"; then
		e2e_tlspind_start 2>>"$E2E_WORK/setup.log" ||
			e2e_note "tlspind did not restart before $s"
	fi
	e2e_learner_settle 2>>"$E2E_WORK/setup.log" ||
		e2e_note "the learner has not read the whole sender log before $s"
	out=$E2E_WORK/scenarios/$s.log
	t0=$(e2e_now_ms)
	mark=$(e2e_mark)
	timeout --kill-after=5 120 bash "$E2E_DIR/$s.sh" >"$out" 2>&1 &
	E2E_CHILD=$!
	# wait returns early when a signal arrives; wait again until the
	# scenario is really gone.
	while :; do
		wait "$E2E_CHILD"
		rc=$?
		kill -0 "$E2E_CHILD" 2>/dev/null || break
	done
	E2E_CHILD=
	if [ -n "$E2E_INTERRUPTED" ]; then
		echo "e2e: interrupted during $s"
		exit 130
	fi
	took=$(e2e_elapsed "$t0")
	if [ -n "${E2E_CAPTURE-}" ] && [ $rc != 77 ]; then
		e2e_log_since "$mark" >"$E2E_CAPTURE/sender-$s.log"
	fi
	# a scenario that exits 77 by itself under E2E_REQUIRE=1 fails too
	if [ $rc = 77 ] && [ "${E2E_REQUIRE:-0}" = 1 ]; then
		echo "FAIL: would skip, and E2E_REQUIRE=1: $(sed -n 's/^SKIP: //p' "$out" | tail -n 1)" >>"$out"
		rc=1
	fi
	case $rc in
	0)	passed=$((passed + 1))
		echo "PASS: $s ($took)" ;;
	77)	skipped=$((skipped + 1))
		echo "SKIP: $s: $(sed -n 's/^SKIP: //p' "$out" | tail -n 1)" ;;
	*)	E2E_FAILED=$((E2E_FAILED + 1))
		[ $rc = 99 ] && broken=$((broken + 1))
		[ $rc = 124 ] && echo "  (timed out after 120s)" >>"$out"
		echo "FAIL: $s (exit $rc, $took)"
		sed 's/^/  | /' "$out" ;;
	esac
	if [ "${E2E_VERBOSE:-0}" = 1 ] && [ $rc = 0 ]; then
		sed 's/^/  | /' "$out"
	fi
done

if [ -n "${E2E_CAPTURE-}" ]; then
	cp "$E2E_SENDER_LOG" "$E2E_CAPTURE/sender.log"
	for r in $E2E_RECEIVERS; do
		cp "$E2E_MTA/$r/maillog" "$E2E_CAPTURE/receiver-$r.log"
	done
	cp "$E2E_TLSPIND_LOG" "$E2E_CAPTURE/tlspind.stderr"
fi

echo "e2e: total $(e2e_elapsed "$E2E_START_MS")"
e2e_summary "$passed" "$E2E_FAILED" "$skipped"
if [ "$E2E_FAILED" != 0 ]; then
	[ "$broken" = "$E2E_FAILED" ] && exit 99
	exit 1
fi
[ "$passed" = 0 ] && exit 77
exit 0
