#!/bin/sh
# t/runner.sh TEST [ARGS...]: run one test of make check so that it can
# never stall the whole suite (the harness has no time limit of its own).
#
# - The test's output goes to a file, printed when the test ends: a process
#   the test left behind cannot keep the harness's pipe open for ever.
# - After TEST_TIMEOUT seconds (default 600; the slowest test takes about
#   20 s, 60 s under ASan) the processes running are listed in the log, the
#   test and its process group are killed (TERM, KILL 10 s later) and the
#   test is an error.
# - A process still holding the test's output once the test has ended was
#   left running by it (a daemon not stopped, an orphaned child): it is
#   named, killed, and the test is an error.
# - The test's wall time is written at the end of its log.
limit=${TEST_TIMEOUT:-600}
out=$(mktemp "${TMPDIR:-/tmp}/tlspin-run.XXXXXX") || exit 99
start=$(date +%s)
# just before the limit: what is still running, for the log
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep $((limit > 2 ? limit - 2 : 1)) & nap=$!
	wait "$nap"
	{ echo "# $1: still running after $((limit - 2)) s; processes:"
	  ps -N --ppid 2 -o pid,ppid,pgid,etime,args --forest | sed 's/^/# /'; } >>"$out"
) >/dev/null 2>&1 </dev/null &
watch=$!
timeout -k 10 "$limit" "$@" >"$out" 2>&1 </dev/null
rc=$?
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
cat "$out"
echo "# $1: exit $rc after $(($(date +%s) - start)) s"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "Bail out! $1 did not end within TEST_TIMEOUT=$limit s: killed"
	rc=99
fi

# runner_holders FILE: pids of the processes that have FILE open
runner_holders() {
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] || continue
		p=${fd#/proc/}
		echo "${p%%/*}"
	done | sort -u
}
# a child may still be on its way out (a probe process sees its learner
# go): give them 3 s
i=0
left=$(runner_holders "$out")
while [ -n "$left" ] && [ "$i" -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
	left=$(runner_holders "$out")
done
if [ -n "$left" ]; then
	for p in $left; do
		echo "# left running by $1: pid $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
	done
	# shellcheck disable=SC2086
	kill -9 $left 2>/dev/null
	echo "Bail out! $1 left processes running after it ended"
	rc=99
fi
rm -f "$out"
exit "$rc"
