#!/bin/sh
# The process that answers Postfix never waits for LMDB's write lock,
# which "tlspin import" or the learner can hold for seconds. Another
# process (t/integration/writelock) holds the lock until the test lets
# go, and lookups must be answered meanwhile: when tlspind starts, while
# it saves its counters (every 5 s, COUNTERS_EVERY) and when it reopens
# a store that failed to open. Each lookup gets a generous bound
# (LOOKUP_BOUND seconds); the lock is held for as long as the test
# needs, so what is checked is "answered while the lock is held".
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat timeout jq
WRITELOCK=$abs_top_builddir/t/integration/writelock
LOOKUP_BOUND=10
HOLDER_PID=

trap '[ -n "$HOLDER_PID" ] && kill "$HOLDER_PID"; lib_cleanup' EXIT

# hold DIR: take LMDB's write lock on the store in DIR until release.
hold() {
	rm -f "$T/hold.in" "$T/hold.out"
	mkfifo "$T/hold.in"
	"$WRITELOCK" "$1" <"$T/hold.in" >"$T/hold.out" 2>>"$T/hold.err" &
	HOLDER_PID=$!
	exec 3>"$T/hold.in"
	wait_for grep -q held "$T/hold.out"
}

# release: let go of the lock; 0 if it was held until now. A line, not
# the end of input: the daemons started since hold share fd 3.
release() {
	[ -n "$HOLDER_PID" ] || return 1
	echo >&3
	exec 3>&-
	wait "$HOLDER_PID"
	HOLDER_PID=
	grep -q released "$T/hold.out"
}

# lookup KEY: pm with a bound, so a lookup that waits fails the test.
lookup() {
	PM_OUT=$(timeout "$LOOKUP_BOUND" "$POSTMAP" -c "$PFCONF" -q "$1" \
		"socketmap:unix:$SOCK:policy" 2>"$T/pm.err")
	PM_RC=$?
	PM_ERR=$(cat "$T/pm.err")
}

# counter NAME: its value in the counters tlspin stats shows.
counter() {
	"$TLSPIN" --store "$STORE" stats --json 2>/dev/null |
		jq ".daemon.$1 // .daemon.replies.$1"
}

pin locked.test --level encrypt

hold "$STORE"
ok $? "another process holds the store's write lock"
start_daemon
ok $? "tlspind starts (READY=1) while the write lock is held"
lookup locked.test
is "$PM_OUT/$PM_RC" "encrypt/0" "a lookup is answered while the lock is held"

release
ok $? "the lock was held until the test let go"

# The daemon runs; the lock is taken again. Look up until the counters
# shown by tlspin stats include a lookup made during the hold: a save
# ran while the lock was held, and no lookup waited for it.
asked=1	# the lookup above, before this hold
hold "$STORE"
ok $? "the write lock is held again, tlspind running"
saved=0
i=0
while [ $i -lt 150 ]; do	# at most 30 s, many save periods
	lookup locked.test
	[ "$PM_OUT" = encrypt ] || break
	asked=$((asked + 1))
	n=$(counter requests)
	if [ -n "$n" ] && [ "$n" -ge 2 ]; then	# one from this hold
		saved=1
		break
	fi
	sleep 0.2
	i=$((i + 1))
done
is "$PM_OUT/$PM_RC" "encrypt/0" "every lookup answered while the counters were saved ($asked lookups)"
is "$saved" 1 "the counters were saved while the lock was held"
release
ok $? "the lock was held until the test let go"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"
n=$(counter requests)
is "$n" "$asked" "the counters saved at stop count every lookup"

# A store that fails to open is retried at the next lookup (at most once
# a second); the retry must not wait for the lock either.
GOOD=$T/good
"$TLSPIN" --store "$GOOD" pin reopened.test --level encrypt >/dev/null
STORE=$T/broken
: > "$STORE"	# a file, not a directory: the store cannot open
start_daemon
lookup reopened.test
like "$PM_ERR" "temporary error" "a store that cannot open: TEMP"
rm -f "$STORE"
mv "$GOOD" "$STORE"
hold "$STORE"
ok $? "the write lock on the repaired store is held"
i=0
while [ $i -lt 100 ]; do	# at most 20 s; the retry comes within 1 s
	lookup reopened.test
	[ "$PM_OUT" = encrypt ] && break
	case $PM_ERR in *"temporary error"*) ;; *) break ;; esac
	sleep 0.2
	i=$((i + 1))
done
is "$PM_OUT/$PM_RC" "encrypt/0" "the store reopened and answers while the lock is held"
release
ok $? "the lock was held until the test let go"
stop_daemon
done_testing
