#!/bin/sh
# faults.t: tlspind under faults it cannot fix, with a real learner child
# following a file log (t/learn/genlog's Postfix 3.7 lines, fed in chunks).
#
# 1. The store's file system fills up (a small tmpfs): learning stops
#    with a log line that names the store, says "No space left on device"
#    and what to do; the learner does not spin (a few lines and restarts
#    with a backoff, little CPU); every committed pin is answered exactly
#    while clients reconnect for every request; nothing half-learned is
#    committed; once there is room (the tmpfs remounted bigger) learning
#    goes on by itself from the committed position, and the store ends
#    exactly as one uninterrupted tlspin learn of the same log leaves it:
#    no line lost, none counted twice.
# 2. The LMDB map is full: TLSPIN_MAP_SIZE_MB reaches the lookup process
#    and the learner (their maps of data.mdb), the learner's line names
#    the variable, lookups go on; restarted with a bigger map it resumes
#    exactly.
# 3. Postfix's smtp processes come and go: clients that reconnect for
#    every request, idle ones, all of them killed at once and back, while
#    the learner is restarted (SIGHUP, kill -9) under that load: not one
#    error, and the daemon stays up.
#
# Mounting needs root; the test runs itself in a private mount namespace
# (unshare -m), so the tmpfs is seen by nothing outside and goes away
# with it. A corrupt record or unreadable store (store-errors.t), a
# reload with a broken file (reload.t) and kill -9 during learning
# (learnd.t, t/learn/crash.t) are tested elsewhere.
if [ -z "${FAULTS_NS-}" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root (mounts a small tmpfs)"
		exit 0
	fi
	if ! command -v unshare >/dev/null 2>&1 ||
	    ! command -v mount >/dev/null 2>&1 ||
	    ! unshare -m --propagation private true 2>/dev/null; then
		echo "1..0 # SKIP no private mount namespace (unshare -m)"
		exit 0
	fi
	FAULTS_NS=1
	export FAULTS_NS
	exec unshare -m --propagation private sh "$0" "$@"
fi
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat pgrep
BENCH=${BENCH:-$abs_top_builddir/tools/tlspin-bench}
GENLOG=$abs_top_srcdir/t/learn/genlog
[ -x "$BENCH" ] || skip_all "no tlspin-bench at $BENCH"

MNT=$T/mnt
mkdir -p "$MNT"
# Stop the daemon before the tmpfs goes, the tmpfs before $T goes.
# FAULTS_KEEP=DIR keeps a copy of the work directory there.
faults_cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null &&
		wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	[ -n "${BG_PID-}" ] && kill "$BG_PID" 2>/dev/null
	umount "$MNT" 2>/dev/null
	if [ -n "${FAULTS_KEEP-}" ]; then
		rm -rf "$FAULTS_KEEP"
		cp -a "$T" "$FAULTS_KEEP"
	fi
	lib_cleanup
}
trap faults_cleanup EXIT
mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null ||
	skip_all "cannot mount a tmpfs here"
umount "$MNT"

ms() { date +%s%3N; }	# milliseconds since the epoch

# The learner's committed counters and position (tlspin stats --json).
stat_json() { "$TLSPIN" --store "$STORE" stats --json 2>/dev/null; }
committed_offset() {
	stat_json | sed -n 's/.*"position":"[^"]*, offset \([0-9]*\)".*/\1/p'
}
committed_lines() {
	stat_json | sed -n 's/.*"learning":{"lines":\([0-9]*\).*/\1/p'
}
caught_up() { [ "$(committed_offset)" = "$(stat -c %s "$LOG")" ]; }
# The learner's own line about a failed write to the store (the parent's
# "exited ..." and the lookup process's counters are other lines).
FAIL_RE="^tlspind: learner: cannot .* store"
store_failed() { grep -q "$FAIL_RE $STORE" "$T/daemon.log"; }
caught_up_or_failed() { caught_up || store_failed; }
learner_pid() { pgrep -P "$DAEMON_PID" -x tlspind-learn | head -1; }
# new_learner [OLDPID]: a learner runs and it is not OLDPID
new_learner() { _p=$(learner_pid); [ -n "$_p" ] && [ "$_p" != "${1-}" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }	# gone PID: ended and reaped
# sockets_of PID: how many sockets PID has open
sockets_of() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:'; }
# connected PID N: PID has at least N sockets open
connected() { [ "$(sockets_of "$1")" -ge "$2" ]; }

# wait_long SECONDS COMMAND...: poll up to SECONDS.
wait_long() {
	_end=$(($(ms) + $1 * 1000))
	shift
	until "$@" 2>/dev/null; do
		[ "$(ms)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}

# CPU ticks (user + system) of the learners: those the daemon reaped
# (cutime + cstime) and the one running now.
learner_ticks() {
	_t=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	for _k in $(learner_pid); do
		_t=$((_t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$_k/stat" 2>/dev/null || echo 0)))
	done
	echo "$_t"
}
HZ=$(getconf CLK_TCK)

# map_kib PID: the size in KiB of PID's maps of the store's data.mdb, one
# line each, repeats dropped (a learner also holds the map it inherited)
map_kib() {
	for _r in $(grep "$STORE/data.mdb" "/proc/$1/maps" | cut -d' ' -f1); do
		echo $(((0x${_r#*-} - 0x${_r%-*}) / 1024))
	done | sort -u
}

# answers KEYFILE: ask for every key of KEYFILE, as Postfix asks
# (postmap -q -); prints "KEY<TAB>VALUE" for each one found, sorted.
answers() {
	"$POSTMAP" -c "$PFCONF" -q - "socketmap:unix:$SOCK:policy" <"$1" \
		2>"$T/pm.err" | LC_ALL=C sort
}

# pins LISTFILE: "KEY<TAB>VALUE" of every domain of a list --json dump
# answered OK, sorted: what Postfix must get.
pins() {
	sed -n 's/.*"domain":"\([^"]*\)","answer":"OK \([^"]*\)".*/\1	\2/p' "$1" |
		LC_ALL=C sort
}

# dump STORE FILE: list --json of STORE; FILE.learned: the learned records
# only (the pins made by hand carry the time they were made).
dump() {
	"$TLSPIN" --store "$1" list --json >"$2"
	grep -v '"source":"manual"' "$2" >"$2.learned"
}

# prepin STORE: the pins made by hand before learning starts.
prepin() {
	{ "$TLSPIN" --store "$1" pin keep-encrypt.test --level encrypt &&
	"$TLSPIN" --store "$1" pin keep-secure.test --level secure \
		--match mx.keep-secure.test &&
	"$TLSPIN" --store "$1" pin keep-none.test --level none \
		--note "broken STARTTLS"; } >/dev/null
}

# same_pins WANTFILE WHAT: postmap -q gets exactly the pins of WANTFILE.
same_pins() {
	cut -f1 "$1" >"$T/keys"
	answers "$T/keys" >"$T/got.pins"
	cmp -s "$T/got.pins" "$1"
	ok $? "$2 ($(wc -l <"$T/got.pins") of $(wc -l <"$1") answered as committed)"
	diff "$1" "$T/got.pins" | head -5 | diag
}

# The log: genlog bulk, ending two days ago so that no lookup made here
# can be taken for a hint about one of its deliveries.
NLINES=${FAULTS_LINES:-40000}
CHUNK=${FAULTS_CHUNK:-4000}
END=$(($(date +%s) - 2 * 86400))
sh "$GENLOG" bulk "$NLINES" --domains 4000 --days 5 --seed 7 --end "$END" \
	>"$T/all.log"
ok $? "genlog bulk: $(wc -l <"$T/all.log") lines"
split -l "$CHUNK" -a 3 -d "$T/all.log" "$T/chunk."

# The store one uninterrupted tlspin learn of the whole log leaves.
REF=$T/ref
prepin "$REF"
"$TLSPIN" --store "$REF" -c /dev/null learn "$T/all.log" >/dev/null 2>"$T/ref.err"
ok $? "reference: tlspin learn of the whole log"
dump "$REF" "$T/ref.list"
pins "$T/ref.list" >"$T/ref.pins"
echo "# reference: $(wc -l <"$T/ref.pins") domains answered with a pin"

# feed: append chunks to $LOG, each once the learner has committed the
# one before, until it fails to write to the store; FED: lines given.
feed() {
	FED=0
	for c in "$T"/chunk.*; do
		cat "$c" >>"$LOG"
		FED=$((FED + $(wc -l <"$c")))
		wait_long 20 caught_up_or_failed
		store_failed && return 0
	done
	return 1
}

# resume: the rest of the log; the learner catches up and the store is
# the reference store.
resume() {
	tail -n +"$((FED + 1))" "$T/all.log" >>"$LOG"
	wait_long 40 caught_up
	ok $? "$1: the learner catches up by itself"
	echo "# $1: learning caught up $(( $(ms) - t_room )) ms later"
	is "$(committed_lines)" "$NLINES" "$1: every line of the log counted once"
	dump "$STORE" "$T/after.list"
	cmp -s "$T/ref.list.learned" "$T/after.list.learned"
	ok $? "$1: the store is what one uninterrupted tlspin learn leaves"
	diff "$T/ref.list.learned" "$T/after.list.learned" | head -5 |
		cut -c1-300 | diag
	same_pins "$T/ref.pins" "$1: postmap -q gets every pin"
}

# ------------------------------------------------------------------------
# 1. ENOSPC: the store on a tmpfs that fills up while the learner works
SIZE_KB=${FAULTS_TMPFS_KB:-896}
mount -t tmpfs -o "size=${SIZE_KB}k" tmpfs "$MNT"
ok $? "a ${SIZE_KB} KiB tmpfs for the store"
STORE=$MNT/store
prepin "$STORE"
LOG=$T/mail.log
: >"$LOG"
start_daemon -o "log_source=file:$LOG"
ok $? "tlspind starts on it, learning from $LOG"

feed
ok $? "ENOSPC: the file system fills up while the learner commits ($FED lines fed)"
t_full=$(ms)
echo "# lines committed before the file system was full: $(committed_lines) of $FED"
line=$(grep "$FAIL_RE $STORE" "$T/daemon.log" | head -1)
echo "$line" | diag
like "$line" "store $STORE:" "ENOSPC: the learner's line names the store"
like "$line" "No space left on device" "and says the file system is full"
like "$line" "(the file system that holds the store is full: free space on it)" "and what to do"
dump "$STORE" "$T/fault.list"
pins "$T/fault.list" >"$T/fault.pins"
grep -q '"state":"encrypt","source":"learned"' "$T/fault.list"
ok $? "learned pins were committed before it was full"

# While full: a few log lines, not thousands; little CPU; every committed
# pin answered while clients reconnect for every request.
n0=$(wc -l <"$T/daemon.log")
c0=$(learner_ticks)
cut -f1 "$T/fault.pins" >"$T/fault.keys"
"$BENCH" --socket "$SOCK" -c 16 --churn 1 -d 4 -k "$T/fault.keys" \
	-o random --expect ok --kv >"$T/bench.kv" 2>&1
ok $? "ENOSPC: 4 s of lookups of the $(wc -l <"$T/fault.keys") committed pins, a new connection each: all OK"
n1=$(wc -l <"$T/daemon.log")
c1=$(learner_ticks)
cpu=$(( (c1 - c0) * 1000 / HZ ))
echo "# while full: $((n1 - n0)) log lines and $cpu ms of learner CPU in 4 s;" \
	"$(tr ' ' '\n' <"$T/bench.kv" | grep -E '^(requests|rps|ok|notfound|temp|errors|reconnects)=' | tr '\n' ' ')"
[ $((n1 - n0)) -le 40 ]
ok $? "ENOSPC: the learner does not spin: $((n1 - n0)) log lines in 4 s"
tail -n +"$((n0 + 1))" "$T/daemon.log" | head -12 | diag
[ "$cpu" -lt 2000 ]
ok $? "ENOSPC: the learners used $cpu ms of CPU in 4 s"
same_pins "$T/fault.pins" "ENOSPC: postmap -q gets every committed pin exactly"
pm keep-none.test;	is "$PM_OUT" "none" "a --level none exception too"
dump "$STORE" "$T/fault2.list"
cmp -s "$T/fault.list" "$T/fault2.list"
ok $? "ENOSPC: nothing half-learned was committed while full"
# pins that were never committed are not announced in the log
awk -F'	' '{ print $1 ": pinned: " }' "$T/ref.pins" >"$T/pinned.pat"
grep -F -f "$T/pinned.pat" "$T/daemon.log" | sed 's/^tlspind: \([^:]*\): .*/\1/' |
	LC_ALL=C sort -u >"$T/announced"
cut -f1 "$T/fault.pins" | LC_ALL=C sort -u >"$T/committed"
is "$(LC_ALL=C comm -23 "$T/announced" "$T/committed" | wc -l)" 0 \
	"ENOSPC: no pin that never reached the store is announced in the log"

# Room again: learning resumes from the committed position.
mount -o remount,size=16m "$MNT"
t_room=$(ms)
echo "# remounted $(( t_room - t_full )) ms after the fault was seen"
resume "ENOSPC"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"
umount "$MNT"

# ------------------------------------------------------------------------
# 2. MDB_MAP_FULL: a 1 MiB map through TLSPIN_MAP_SIZE_MB
STORE=$T/mapfull
prepin "$STORE"
LOG=$T/map.log
: >"$LOG"
TLSPIN_MAP_SIZE_MB=1
export TLSPIN_MAP_SIZE_MB
start_daemon -o "log_source=file:$LOG"
unset TLSPIN_MAP_SIZE_MB
# the learner's own map, beside the one it inherited
learner_mapped() {
	[ "$(grep -c "$STORE/data.mdb" "/proc/$(learner_pid)/maps")" -ge 2 ]
}
wait_for learner_mapped; ok $? "MAP_FULL: the learner has mapped the store"
is "$(map_kib "$DAEMON_PID")" 1024 "MAP_FULL: TLSPIN_MAP_SIZE_MB=1 gives the lookup process a 1 MiB map"
is "$(map_kib "$(learner_pid)")" 1024 "and the learner"
feed
ok $? "MAP_FULL: the map fills up while the learner works ($FED lines fed)"
echo "# lines committed before the map was full: $(committed_lines) of $FED"
line=$(grep "$FAIL_RE $STORE" "$T/daemon.log" | head -1)
echo "$line" | diag
like "$line" "store $STORE:" "MAP_FULL: the learner's line names the store"
like "$line" "MDB_MAP_FULL" "and the cause"
like "$line" "raise TLSPIN_MAP_SIZE_MB in the environment of tlspind and tlspin, then restart tlspind" "and what to do"
dump "$STORE" "$T/fault.list"
pins "$T/fault.list" >"$T/fault.pins"
same_pins "$T/fault.pins" "MAP_FULL: postmap -q gets every committed pin exactly"
n0=$(wc -l <"$T/daemon.log")
sleep 2
n1=$(wc -l <"$T/daemon.log")
[ $((n1 - n0)) -le 20 ]
ok $? "MAP_FULL: the learner does not spin: $((n1 - n0)) log lines in 2 s"
stop_daemon
TLSPIN_MAP_SIZE_MB=64
export TLSPIN_MAP_SIZE_MB
start_daemon -o "log_source=file:$LOG"
unset TLSPIN_MAP_SIZE_MB
t_room=$(ms)
resume "MAP_FULL, restarted with 64 MiB"

# ------------------------------------------------------------------------
# 3. Postfix's smtp processes come and go (the daemon of 2 runs on)
cut -f1 "$T/ref.pins" >"$T/ref.keys"
"$BENCH" --socket "$SOCK" -c 32 --idle 16 --churn 1 -d 30 -k "$T/ref.keys" \
	-o random --expect ok --kv >"$T/bg.kv" 2>&1 &
BG_PID=$!
wait_for connected "$BG_PID" 16
ok $? "churn: the clients are connected ($(sockets_of "$BG_PID") sockets)"
kill -KILL "$BG_PID"	# postfix stop, the hard way: every client at once
wait "$BG_PID" 2>/dev/null
BG_PID=
"$BENCH" --socket "$SOCK" -c 32 --idle 16 --churn 1 -d 4 -k "$T/ref.keys" \
	-o random --expect ok --kv >"$T/churn.kv" 2>&1 &
BG_PID=$!
# restart the learner under that load: a reload, a crash, a reload
wait_for connected "$BG_PID" 16
ok $? "churn: the clients are back ($(sockets_of "$BG_PID") sockets)"
l0=$(learner_pid)
kill -HUP "$DAEMON_PID"
wait_for new_learner "$l0"
ok $? "churn: SIGHUP replaces learner $l0 by $(learner_pid)"
l1=$(learner_pid)
pkill -KILL -P "$DAEMON_PID" -x tlspind-learn
ok $? "churn: pkill -9 finds the learner"
wait_for gone "$l1"; ok $? "churn: learner $l1 is gone after kill -9"
wait_for new_learner "$l1"
ok $? "churn: a new learner $(learner_pid) replaces it"
l2=$(learner_pid)
kill -HUP "$DAEMON_PID"
wait_for new_learner "$l2"
ok $? "churn: SIGHUP replaces learner $l2 by $(learner_pid)"
kill -0 "$BG_PID"
ok $? "churn: the clients were still running through the restarts"
wait "$BG_PID"
ok $? "churn: clients reconnecting for every request, idle ones, learner restarts: all OK"
BG_PID=
echo "# $(tr ' ' '\n' <"$T/churn.kv" | grep -E '^(concurrency|idle|requests|rps|ok|errors|reconnects|idle_reopened)=' | tr '\n' ' ')"
grep -q "errors=0 " "$T/churn.kv"
ok $? "churn: zero errors"
kill -0 "$DAEMON_PID"
ok $? "churn: tlspind is still running"
same_pins "$T/ref.pins" "churn: postmap -q gets every pin"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"
done_testing
