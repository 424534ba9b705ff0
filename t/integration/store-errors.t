#!/bin/sh
# When the store fails, tlspind answers TEMP (Postfix defers the mail)
# and never NOTFOUND (Postfix would send in clear): a corrupt record, a
# store that is not LMDB, a store it may not read, a newer schema. It
# keeps running and recovers once the store is good again.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat mdb_load

# mdb_load STORE DB KEY VALUE: write raw bytes (print format escapes).
raw_put() {
	printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n %s\n %s\nDATA=END\n' \
		"$3" "$4" | mdb_load -s "$2" "$1"
}

# A lookup reads the reply table (key -> expiry + reply), not the
# records: damage it there, and the records too for tlspin show.
pin good.test --level encrypt
raw_put "$STORE" domains corrupt.test '\01\03\07'
ok $? "wrote a truncated record with mdb_load"
raw_put "$STORE" replies corrupt.test '\01\03\07'
ok $? "and a truncated entry of the reply table"
raw_put "$STORE" replies long.test "\\00\\00\\00\\00\\00\\00\\00\\00$(head -c 2001 /dev/zero | tr '\0' e)"
start_daemon
pm corrupt.test
is "$PM_OUT/$PM_RC" "/1" "corrupt record: the query fails"
like "$PM_ERR" "temporary error" "corrupt record is TEMP, not NOTFOUND"
pm long.test
like "$PM_ERR" "temporary error" "a reply entry longer than a reply is TEMP"
pm good.test;	is "$PM_OUT" "encrypt" "other records still answer"
like "$(cat "$T/daemon.log")" "lookup of corrupt.test failed: reply record is truncated" "the failure is logged with the domain"
"$TLSPIN" --store "$STORE" show corrupt.test >/dev/null 2>"$T/err"
is "$?" 3 "tlspin show of a corrupt record: exit 3"
like "$(cat "$T/err")" "corrupt.test in store $STORE is corrupt" "and names the record"
"$TLSPIN" --store "$STORE" unpin corrupt.test >/dev/null
pm corrupt.test; is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "a corrupt record can be removed"
stop_daemon

# a store directory that holds something that is not LMDB
STORE=$T/notlmdb
mkdir -p "$STORE"
head -c 65536 /dev/urandom > "$STORE/data.mdb"
start_daemon
ok $? "tlspind starts even when the store cannot be opened"
pm good.test
like "$PM_ERR" "temporary error" "unopenable store: TEMP"
like "$PM_ERR" "store unavailable" "with a reason Postfix logs"
like "$(cat "$T/daemon.log")" "answering TEMP (Postfix defers)" "the daemon says so in its log"
stop_daemon
start_daemon --mode observe
pm good.test
is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "observe mode: a store failure is NOTFOUND (nothing is enforced, nothing held)"
like "$(cat "$T/daemon.log")" "answering NOTFOUND (mode = observe)" "and logged as a failure"
stop_daemon
start_daemon
rm -f "$STORE/data.mdb" "$STORE/lock.mdb"
pin fixed.test --level encrypt
# the open is retried at most once a second: poll
answers() { pm "$1"; [ "$PM_OUT/$PM_RC" = "$2" ]; }	# answers KEY OUT/RC
wait_for answers fixed.test encrypt/0
is "$PM_OUT/$PM_RC" "encrypt/0" "once the store is good it answers without a restart"
stop_daemon

# a newer schema version
STORE=$T/newer
pin x.test --level encrypt
raw_put "$STORE" meta schema '\03\00\00\00'
"$TLSPIN" --store "$STORE" show x.test >/dev/null 2>"$T/err"
is "$?" 3 "a store of a newer schema: exit 3"
like "$(cat "$T/err")" "schema version 3, but this tlspin reads version 2 (it was written by a newer tlspin: upgrade tlspin)" "says what to do"
start_daemon
pm x.test
like "$PM_ERR" "temporary error" "daemon on a newer schema: TEMP"
stop_daemon

# a store the daemon's user may not read
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	STORE=$T/private
	pin p.test --level encrypt
	chmod 700 "$STORE"
	chmod 711 "$T"
	mkdir -m 1777 "$T/run"
	notify_listen "$T/notify2.log"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env NOTIFY_SOCKET= "$TLSPIND" --foreground -c /dev/null -o log_source=none --store "$STORE" \
		--listen "unix:$T/run/nobody.sock" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	wait_for test -S "$T/run/nobody.sock"
	SOCK=$T/run/nobody.sock
	pm p.test
	like "$PM_ERR" "temporary error" "store without permission: TEMP"
	like "$(cat "$T/daemon.log")" "Permission denied (run as the user that owns the store" "log says what to do"
	stop_daemon
else
	ok 0 "# SKIP permission test needs root and setpriv"
fi
# a store that others may write: refused, for reading too (whoever can
# write it can unpin a domain)
STORE=$T/open
pin o.test --level encrypt
chmod 0777 "$STORE"
"$TLSPIN" --store "$STORE" show o.test >/dev/null 2>"$T/err"
is "$?" 3 "a world-writable store: tlspin show exits 3"
like "$(cat "$T/err")" "refusing store $STORE: $STORE is owned by" "names the store"
like "$(cat "$T/err")" "mode 0777" "and the mode found"
like "$(cat "$T/err")" "chown tlspin: $STORE; chmod 0750 $STORE" "and the fix"
"$TLSPIN" --store "$STORE" pin o2.test --level encrypt 2>"$T/err"
is "$?" 3 "tlspin pin refuses it too"
start_daemon
pm o.test
like "$PM_ERR" "temporary error" "tlspind on a world-writable store: TEMP"
like "$(cat "$T/daemon.log")" "refusing store $STORE" "and logs why"
stop_daemon
chmod 0750 "$STORE"
chmod 0666 "$STORE/data.mdb"
"$TLSPIN" --store "$STORE" show o.test >/dev/null 2>"$T/err"
is "$?" 3 "a group-writable data file: refused"
like "$(cat "$T/err")" "$STORE/data.mdb is owned by" "names the file"
chmod 0640 "$STORE/data.mdb"
"$TLSPIN" --store "$STORE" show o.test >/dev/null 2>"$T/err"
is "$?" 0 "once fixed the store opens"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chown -R nobody "$STORE"
	chmod 0777 "$STORE"
	"$TLSPIN" --store "$STORE" show o.test >/dev/null 2>"$T/err"
	is "$?" 3 "owned by nobody, mode 0777: root's tlspin refuses it"
	like "$(cat "$T/err")" "owned by nobody with mode 0777" "and says whose it is"
	chmod 0750 "$STORE"
	"$TLSPIN" --store "$STORE" show o.test >/dev/null
	is "$?" 0 "root's tlspin trusts the owner of a closed store (sudo tlspin show)"
	"$TLSPIN" --store "$STORE" pin o3.test --level encrypt >/dev/null
	is "$?" 0 "and pins in it (sudo tlspin pin on tlspin's store)"
	chmod 0755 "$STORE"
	setpriv --reuid=daemon --regid=daemon --clear-groups \
		"$TLSPIN" --store "$STORE" pin o4.test --level encrypt 2>"$T/err"
	[ "$?" -ne 0 ] && grep -q "not by root or by daemon" "$T/err"
	ok $? "a writer other than root refuses a store another user owns"
else
	ok 0 "# SKIP ownership test needs root"
fi
done_testing
