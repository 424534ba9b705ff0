#!/bin/sh
# nosd.t: tlspind without systemd, as an init script runs it.
#
# A detached start (no --foreground) waits for the daemon's report and
# says on stderr what went wrong: exit 1 when it could not start (a
# socket it cannot bind, a pidfile of a running tlspind, a log_file it
# cannot open), 3 when it runs without its store (answering TEMP until
# the store opens), 0 when it answers. --pidfile is written once the
# daemon answers and removed at stop; a stale one is replaced. log_file
# gets one line a message and is opened again at SIGHUP (logrotate).
# --check-config opens the store read-only and says what it finds.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" mdb_load

PIDFILE=$T/tlspind.pid
LOG=$T/tlspind.log

# detached [ARGS...]: start tlspind without --foreground on $STORE and
# $SOCK; sets RC and ERR (its stderr), and DAEMON_PID from the pidfile
# so that the test's cleanup stops it.
detached() {
	"$TLSPIND" -c /dev/null --store "$STORE" --listen "unix:$SOCK" \
		-o log_source=none -o probe=no $AS_ROOT "$@" 2>"$T/start.err"
	RC=$?
	ERR=$(cat "$T/start.err")
	if [ -s "$PIDFILE" ]; then DAEMON_PID=$(cat "$PIDFILE"); fi
}

# stop PID: SIGTERM, and wait until it is gone (a detached daemon's
# parent is init, which may take its time to reap it: a zombie is gone).
gone() { [ ! -e /proc/"$1" ] || grep -q '^State:.*zombie' /proc/"$1"/status; }
stop() {
	kill -TERM "$1" 2>/dev/null
	wait_for gone "$1"
	DAEMON_PID=
}
is_tlspind() { [ "$(cat /proc/"$1"/comm 2>/dev/null)" = tlspind ]; }

# --- pidfile -----------------------------------------------------------
pin a.test --level encrypt
detached --pidfile "$PIDFILE"
is "$RC/$ERR" "0/" "a detached start that answers: exit 0, nothing on stderr"
test -s "$PIDFILE"
ok $? "the pidfile is there when the starting process has exited"
pid=$(cat "$PIDFILE")
is_tlspind "$pid"
ok $? "it names the detached daemon (pid $pid, a tlspind)"
pm a.test
is "$PM_OUT" encrypt "which answers"
first=$pid

detached --pidfile "$PIDFILE" --listen "unix:$T/other.sock"
is "$RC" 1 "a second start on the same pidfile: exit 1"
like "$ERR" "pidfile $PIDFILE names pid $first, a running tlspind" \
	"saying which pid"
is "$(cat "$PIDFILE")" "$first" "the pidfile is left alone"
test ! -e "$T/other.sock"
ok $? "and the second binds nothing"
pm a.test
is "$PM_OUT" encrypt "the first still answers"

stop "$first"
test ! -e "$PIDFILE"
ok $? "a clean stop removes the pidfile"

# a pidfile left by a crash, whose pid is now another program's
sleep 60 &
other=$!
echo "$other" > "$PIDFILE"
detached --pidfile "$PIDFILE"
is "$RC" 0 "a stale pidfile (pid $other is sleep): the start goes on"
test "$(cat "$PIDFILE")" != "$other" && is_tlspind "$(cat "$PIDFILE")"
ok $? "and replaces it with the daemon's pid"
kill "$other"
stop "$DAEMON_PID"
# and one whose process is gone
echo 999999 > "$PIDFILE"
detached --pidfile "$PIDFILE"
is "$RC" 0 "a pidfile of a process that is gone: the start goes on"
stop "$DAEMON_PID"

detached --pidfile "$T/no/such/dir/tlspind.pid"
is "$RC" 1 "a pidfile that cannot be written: exit 1"
like "$ERR" "cannot open pidfile $T/no/such/dir/tlspind.pid: No such file or directory" \
	"with the reason"

# --- log_file ----------------------------------------------------------
detached --pidfile "$PIDFILE" -o "log_file=$LOG"
is "$RC" 0 "a detached start with log_file"
grep -q "tlspind\[$DAEMON_PID\]: answering map policy on unix:$SOCK" "$LOG"
ok $? "log_file gets the daemon's lines, with its pid"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} tlspind\[' "$LOG"
ok $? "each line starts with an ISO 8601 time"
mv "$LOG" "$LOG.1"
kill -HUP "$DAEMON_PID"
reloaded() { grep -q "reloaded /dev/null" "$LOG"; }
wait_for reloaded
ok $? "after logrotate's rename and SIGHUP, lines go to a new file"
grep -q "reloaded" "$LOG.1"
ok $((!$?)) "not to the renamed one"
kill -USR1 "$DAEMON_PID"
counted() { grep -q "requests=" "$LOG"; }
wait_for counted
ok $? "and the next ones too"
chmod 0555 "$T"
mv "$LOG" "$LOG.2" 2>/dev/null	# root may: then the reopen works
kill -HUP "$DAEMON_PID"
if [ "$(id -u)" -ne 0 ]; then
	failed() { grep -q "cannot open log_file" "$LOG"; }
	wait_for failed
	ok $? "a log_file that cannot be opened again: said in the old one"
fi
chmod 0755 "$T"
stop "$DAEMON_PID"

detached -o "log_file=$T/no/such/dir/tlspind.log"
is "$RC" 1 "a log_file that cannot be opened: exit 1"
like "$ERR" "cannot open log_file $T/no/such/dir/tlspind.log: No such file or directory" \
	"with the reason on stderr, before detaching"
"$TLSPIND" --foreground -c /dev/null --store "$STORE" -o log_source=none \
	--listen "unix:$T/no/such/dir/s.sock" -o "log_file=$LOG" $AS_ROOT \
	2>"$T/fg.err"
is "$?" 1 "in the foreground with log_file, a failed start: exit 1"
like "$(cat "$T/fg.err")" "cannot listen on $T/no/such/dir/s.sock" \
	"said on stderr too, not only in the file"

# --- a detached start that cannot open its store, or bind ---------------
good=$STORE
STORE=$T/notlmdb
mkdir -m 0750 "$STORE"
head -c 65536 /dev/urandom > "$STORE/data.mdb"
detached --pidfile "$PIDFILE"
is "$RC" 3 "a detached start whose store cannot be opened: exit 3"
like "$ERR" "tlspind: warning: cannot open store $STORE: MDB_INVALID" \
	"says which store and why on stderr"
like "$ERR" "answering TEMP (Postfix defers) until it opens; tlspind runs (pid $DAEMON_PID)" \
	"and what it does meanwhile"
pm a.test
like "$PM_ERR" "temporary error" "it runs, answering TEMP"
rm -f "$STORE/data.mdb" "$STORE/lock.mdb"
pin b.test --level encrypt
answers() { pm "$1"; [ "$PM_OUT/$PM_RC" = "$2" ]; }	# answers KEY OUT/RC
wait_for answers b.test encrypt/0
ok $? "and answers once the store is good, without a restart"
stop "$DAEMON_PID"
STORE=$good

detached --pidfile "$PIDFILE" --listen "unix:$T/no/such/dir/s.sock"
is "$RC" 1 "a detached start that cannot bind its socket: exit 1"
like "$ERR" "cannot listen on $T/no/such/dir/s.sock: No such file or directory" \
	"says which socket and why on stderr"
test ! -e "$PIDFILE"
ok $? "leaves no pidfile"
: > "$T/file"
detached --listen "unix:$T/file"
is "$RC" 1 "a file in the way of the socket: exit 1"
like "$ERR" "a file that is not a socket is in the way" "with the reason"

# --- --check-config: the store, read-only --------------------------------
check() {	# check STORE [ARGS...]: sets RC, OUT (the store line), ERR
	_s=$1
	shift
	"$TLSPIND" -c /dev/null --store "$_s" "$@" --check-config \
		>"$T/check.out" 2>"$T/check.err"
	RC=$?
	OUT=$(grep '^# store' "$T/check.out")
	ERR=$(cat "$T/check.err")
}
check "$STORE"
is "$RC" 0 "--check-config on a good store: exit 0"
like "$OUT" "# store $STORE: schema 2, 1 domain, 1 with a reply for Postfix; read as $(id -un)" \
	"says its schema and what it holds"
grep -q "^store = $STORE\$" "$T/check.out"
ok $? "after the settings"

check "$T/new"
is "$RC/$ERR" "0/" "a store that does not exist yet: exit 0"
like "$OUT" "does not exist yet; tlspind creates it at its first start" \
	"says it will be created"
test ! -e "$T/new"
ok $? "and does not create it"
check "$T/no/such/store"
is "$RC" 3 "a store whose parent directory is missing: exit 3"
like "$ERR" "its parent directory $T/no/such does not exist" "says so"

mkdir -m 0750 "$T/nolock"
"$TLSPIN" --store "$T/nolock" pin c.test --level encrypt >/dev/null
rm "$T/nolock/lock.mdb"
sum=$(md5sum < "$T/nolock/data.mdb")
check "$T/nolock"
is "$RC" 0 "a store without lock.mdb (restored from a backup): exit 0"
test ! -e "$T/nolock/lock.mdb"
ok $? "no lock.mdb made (it would belong to whoever checked)"
is "$(md5sum < "$T/nolock/data.mdb")" "$sum" "the store is not written"

mkdir -m 0750 "$T/schema1"
mdb_load -f "$abs_top_srcdir/t/data/schema1/store.dump" "$T/schema1"
sum=$(md5sum < "$T/schema1/data.mdb")
check "$T/schema1"
is "$RC" 0 "a schema 1 store: exit 0"
like "$OUT" "schema 1, 9 domains (schema 1: the learner" "says it is schema 1"
is "$(md5sum < "$T/schema1/data.mdb")" "$sum" "and does not migrate it"

mkdir -m 0750 "$T/garbage"
head -c 65536 /dev/urandom > "$T/garbage/data.mdb"
check "$T/garbage"
is "$RC" 3 "a store that is not LMDB: exit 3"
like "$ERR" "not an LMDB store, or damaged: restore it from a backup" \
	"says so, with the fix"
like "$ERR" "every lookup answers TEMP (Postfix defers the mail)" \
	"and what it means"
check "$T/garbage" --mode observe
like "$ERR" "answers NOTFOUND (mode = observe" "in observe mode, NOTFOUND"

cp -a "$STORE" "$T/newer"
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n schema\n \\03\\00\\00\\00\nDATA=END\n' |
	mdb_load -s meta "$T/newer"
check "$T/newer"
is "$RC" 3 "a store of a newer schema: exit 3"
like "$ERR" "schema version 3, but this tlspin reads version 2 (it was written by a newer tlspin: upgrade tlspin)" \
	"says so"

cp -a "$STORE" "$T/open"
chmod 0777 "$T/open"
check "$T/open"
is "$RC" 3 "a world-writable store: exit 3"
like "$ERR" "refusing store $T/open" "refused, as tlspind would"

check "$STORE" -o mode=maybe
is "$RC" 1 "bad settings: exit 1"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0711 "$T"
	cp -a "$STORE" "$T/rootonly"
	chmod 0700 "$T/rootonly"
	check "$T/rootonly" -o user=nobody
	is "$RC" 3 "as root with user = nobody: a store only root reads: exit 3"
	like "$ERR" "Permission denied" "checked as nobody, not as root"
	check "$T/rootonly" -o user=root
	like "$RC/$OUT" "0/# store $T/rootonly: schema 2" "as root with user = root: fine"
	check "$STORE" -o user=no-such-user-here
	is "$RC" 1 "user = a user that does not exist: exit 1"
	like "$ERR" "no-such-user-here: no such user" "says so"
	chmod 0755 "$T"
fi

done_testing
