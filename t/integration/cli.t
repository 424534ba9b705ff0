#!/bin/sh
# The tlspin CLI on a real store: pin/unpin/show/list/import/export/stats,
# documented exit codes, and messages that name the input and the problem.
. "$abs_top_srcdir/t/integration/lib.sh"
need socat

tl() { OUT=$("$TLSPIN" --store "$STORE" "$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }

tl show a.test;		is "$RC" 3 "show on a store that does not exist: exit 3"
like "$ERR" "pin a domain" "and says how to create one"
tl pin A.Test --level encrypt --note "hello world"
is "$RC/$OUT" "0/a.test: OK encrypt (expires never)" "pin lowercases and confirms"
tl show a.test;		is "$RC" 0 "show a pinned domain"
like "$OUT" "postfix gets: OK encrypt" "show says what Postfix gets"
like "$OUT" "note:         hello world" "show has the note"
tl show --json a.test
like "$OUT" '"answer":"OK encrypt"' "show --json"
like "$OUT" '"state":"manual"' "show --json state"
tl show nothere.test;	is "$RC" 1 "show unknown domain: exit 1"
tl pin b.test --level secure --match mx1.b.test:mx2.b.test --expires 90d
is "$RC" 0 "pin secure with two match names and expiry"
tl pin c.test --level encrypt --match mx.c.test
is "$RC" 2 "match= at encrypt is refused (Postfix would defer): exit 2"
like "$ERR" "not valid at this level" "and says why"
tl pin d.test --level bogus; is "$RC" 2 "unknown level: exit 2"
like "$ERR" 'unknown level "bogus"' "names the level"
tl pin 'bad..name' --level encrypt; is "$RC" 2 "invalid domain: exit 2"
like "$ERR" '"bad..name" is not a valid domain name' "names the domain"
tl pin e.test --level encrypt --expires soon; is "$RC" 2 "bad --expires: exit 2"
tl pin e.test;		is "$RC" 2 "missing --level: exit 2"
tl pin --help;		is "$RC" 0 "pin --help"
like "$OUT" "--level" "pin --help shows options"
tl frobnicate;		is "$RC" 2 "unknown command: exit 2"
tl list
is "$(echo "$OUT" | awk 'NR>1 {print $1}' | tr '\n' ' ')" "a.test b.test " "list shows both, sorted"
tl list --state manual --json
like "$OUT" '"domain":"b.test"' "list --state manual --json"
tl list --state observing; is "$(echo "$OUT" | wc -l)" 1 "list --state observing: header only"
tl list --state nonsense;  is "$RC" 2 "unknown state: exit 2"

cat > "$T/policy" <<'EOT'
# a Postfix tls_policy table
imp1.test	encrypt
imp2.test   secure match=mx.imp2.test ciphers=high
.imp3.test	verify match=hostname:nexthop

EOT
tl import "$T/policy";	is "$RC" 0 "import a tls_policy file"
like "$OUT" "imported 3 new and 0 replaced" "import summary"
tl show imp2.test;	like "$OUT" "OK secure match=mx.imp2.test ciphers=high" "imported policy kept whole"
like "$OUT" "match:        mx.imp2.test" "imported match names recorded"
printf 'ok.test encrypt\nbad.test encrypt match=x\n' > "$T/bad"
tl import "$T/bad";	is "$RC" 2 "import with a bad line: exit 2"
like "$ERR" "line 2: policy" "names the line"
tl show ok.test;	is "$RC" 1 "all or nothing: the good line was not imported"
tl import "$T/missing";	is "$RC" 2 "import of a missing file: exit 2"
echo "imp1.test dane-only" | "$TLSPIN" --store "$STORE" import - >/dev/null
tl show imp1.test;	like "$OUT" "OK dane-only" "import from stdin replaces"

tl export
like "$OUT" "$(printf 'b.test\tsecure match=mx1.b.test:mx2.b.test')" "export as tls_policy"
echo "$OUT" > "$T/exported"
"$TLSPIN" --store "$T/store2" import "$T/exported" >/dev/null
is "$("$TLSPIN" --store "$T/store2" export | grep -v '^#')" "$(echo "$OUT" | grep -v '^#')" "export | import round-trips"
tl export --format json; like "$OUT" '"domain":"imp2.test"' "export --format json"

tl unpin a.test;	is "$RC/$OUT" "0/a.test: removed" "unpin"
tl unpin a.test;	is "$RC" 1 "unpin again: exit 1"
tl stats
like "$OUT" "domains:    4" "stats counts domains"
like "$OUT" "manual     4" "stats counts per state"
tl stats --json;	like "$OUT" '"domains":4' "stats --json"

TLSPIN_STORE=$STORE "$TLSPIN" show b.test >/dev/null; ok $? "TLSPIN_STORE selects the store"
printf 'store = %s\n' "$STORE" > "$T/tlspin.conf"
"$TLSPIN" -c "$T/tlspin.conf" show b.test >/dev/null; ok $? "store from the config file"
printf 'stroe = x\n' > "$T/bad.conf"
"$TLSPIN" -c "$T/bad.conf" show b.test 2>"$T/err"; is "$?" 2 "bad config file: exit 2"
like "$(cat "$T/err")" 'bad.conf, line 1: unknown setting "stroe"' "names file, line, key"
# --help reads no tlspin.conf: a broken one does not hide the usage
for cmd in pin unpin show list query import export learn why events check stats; do
	"$TLSPIN" -c "$T/bad.conf" $cmd --help >"$T/out" 2>"$T/err"
	is "$?/$(head -c 20 "$T/out")/$(cat "$T/err")" "0/usage: tlspin [--sto/" \
	    "$cmd --help with a broken tlspin.conf: the usage, exit 0"
done
"$TLSPIN" -c "$T/bad.conf" pin x.test -h --level encrypt >/dev/null 2>&1
is "$?" 0 "pin -h after other options too"
"$TLSPIN" -c "$T/bad.conf" pin x.test --note --help --level encrypt 2>"$T/err"
is "$?" 2 "--help as the value of --note is no --help: the config error"
like "$(cat "$T/err")" 'unknown setting "stroe"' "and it says so"
"$TLSPIN" -c "$T/bad.conf" check --timeout 5 x.test 2>"$T/err"
is "$?" 3 "check with a broken tlspin.conf: could not check (exit 3)"

start_daemon
tl query --socket "$SOCK" b.test; is "$RC/$OUT" "0/OK secure match=mx1.b.test:mx2.b.test" "query prints the raw reply"
tl query --socket "$SOCK" zz.test; is "$RC/$OUT" "1/NOTFOUND " "query NOTFOUND: exit 1"
tl query --socket "$SOCK" --map other b.test; is "$RC" 4 "query PERM: exit 4"
tl query --socket "$T/nosock" b.test; is "$RC" 4 "query without a daemon: exit 4"
like "$ERR" "is tlspind running" "and says what to check"
done_testing
