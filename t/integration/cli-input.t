#!/bin/sh
# cli-input.t: what a new admin types, and a store with one bad record.
#
# A note tlspin cannot store is refused at input; a record corrupted on
# disk (bytes written with mdb_load) breaks none of list, export, stats
# and learn, which warn and go on. One option parser: options after the
# operand, --opt=value, errors that name the option. Exit codes as
# tlspin(1) says; mode = observe shown as tlspind answers it; pins that
# would pin too much (.com, an IP) refused; learn on a file that is not a
# log, a truncated gzip, and --all; small wording.
. "$abs_top_srcdir/t/integration/lib.sh"
need socat mdb_dump mdb_load gzip

tl() { OUT=$("$TLSPIN" --store "$STORE" "$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }
stamp() { date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00; }

# tls_delivery PID DOMAIN: one TLS delivery to mx.DOMAIN, as Postfix 3.7.
tls_delivery() {
	ts=$(stamp)
	printf '%s mx postfix/smtp[%s]: Trusted TLS connection established to mx.%s[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' \
		"$ts" "$1" "$2"
	printf '%s mx postfix/smtp[%s]: 4AB%05d: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' \
		"$ts" "$1" "$1" "$2" "$2"
}

# --- 1. notes the record format cannot hold are refused at input ---------
tl pin a.test --level encrypt
tl pin note.test --level encrypt --note "ünïcödé"
is "$RC" 2 "a UTF-8 --note is refused: exit 2"
like "$ERR" "--note has byte 0xc3 (not ASCII) at byte 1" "names the option, the byte and where"
like "$ERR" "printable ASCII" "and says what is allowed"
for c in '\t' '\r' '\n'; do
	tl pin note.test --level encrypt --note "$(printf "a${c}b")x"
	is "$RC" 2 "a --note with $c is refused"
done
like "$ERR" "a line feed (0x0a) at byte 2" "names a control character"
tl show note.test;	is "$RC" 1 "nothing was stored"
printf 'imp.test encrypt\n' > "$T/one"
tl import --note "$(printf 'x\ty')" "$T/one"
is "$RC" 2 "import --note with a tab is refused"

# --- 2. a record corrupted on disk ----------------------------------------
tl pin bad.test --level encrypt --note hello
tl pin z.test --level encrypt
# "hello" -> "h<TAB>llo", same length: what an old tlspin stored
mdb_dump -s domains "$STORE" | sed 's/68656c6c6f/68096c6c6f/' |
	mdb_load -s domains "$STORE" 2>/dev/null
tl show bad.test
is "$RC" 3 "show on the corrupt record: exit 3"
like "$ERR" "record for bad.test in store $STORE is corrupt: a text field" "names the domain and the cause"
tl list
is "$RC" 0 "list goes on past a corrupt record: exit 0"
is "$(echo "$OUT" | awk 'NR>1 {print $1}' | tr '\n' ' ')" "a.test z.test " "and lists the others"
like "$ERR" "warning: skipped bad.test" "list warns, naming the domain"
like "$ERR" "tlspin unpin bad.test" "and the fix"
tl list --sort last-seen
is "$RC/$(echo "$OUT" | wc -l)" "0/3" "list --sort last-seen too"
tl list --json
is "$(echo "$OUT" | jq -r '.[].domain' | tr '\n' ' ')" "a.test z.test " "list --json stays valid JSON"
tl export
is "$RC" 3 "export skips it but exits 3, so a backup script notices"
like "$OUT" "$(printf 'z.test\tencrypt')" "export writes the records after it"
like "$OUT" "# bad.test: not exported" "and marks the skipped one in the table"
like "$ERR" "warning: skipped bad.test" "export warns, naming the domain"
tl export --format json
is "$RC/$(echo "$OUT" | jq length)" "3/2" "export --format json: valid JSON of the others, exit 3"
tl stats
is "$RC" 0 "stats goes on past it"
like "$OUT" "corrupt    1" "and counts it"
like "$ERR" "its record in store $STORE is corrupt" "and names the store it warns about"
tl stats --json;	is "$(echo "$OUT" | jq .corrupt)" 1 "stats --json counts it"
tls_delivery 101 new.test > "$T/one.log"
tl learn "$T/one.log"
is "$RC" 0 "learn on a store with a corrupt record: exit 0"
tl show new.test;	is "$RC" 0 "and it learned the log"
tl unpin bad.test;	is "$RC" 0 "unpin removes the corrupt record"
tl export;		is "$RC" 0 "then export exits 0"

# --- 3. one option parser ---------------------------------------------------
tl show a.test --json
is "$RC" 0 "show DOMAIN --json: options after the operand"
like "$OUT" '"domain":"a.test"' "and it is JSON"
OUT=$("$TLSPIN" --store="$STORE" list --state=manual 2>"$T/err"); RC=$?
is "$RC" 0 "--store=DIR and --state=manual"
like "$OUT" "a.test" "with the store given that way"
tl unpin a.test --help;	is "$RC" 0 "unpin DOMAIN --help"
"$TLSPIN" --store 2>"$T/err"; RC=$?
is "$RC" 2 "--store without a value: exit 2"
is "$(cat "$T/err")" "tlspin: option '--store' requires an argument (--store DIR)" "says what it needs"
tl events --limit
is "$ERR" "tlspin events: option '--limit' requires an argument (--limit N)" "a command's option too"
tl list --store "$STORE"
is "$RC" 2 "--store after the command: exit 2"
like "$ERR" "global option: give it before the command" "and says where it goes"
tl list --frob;		like "$ERR" "unknown option '--frob'" "an unknown option is named"
tl list --s;		like "$ERR" "'--s' is ambiguous (--state, --sort)" "an ambiguous one too"
tl show --json=yes a.test; like "$ERR" "option '--json' takes no value" "a flag given a value"
tl show "$(printf -- '--js\001on')" a.test
like "$ERR" "unknown option '--js\\x01on'" "a control byte in an option is shown as \\x01"
tl show "$(printf -- '--json\nfoo')" a.test
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "an option error is one line, whatever the argument holds"
tl help;		is "$RC" 0 "tlspin help"
like "$OUT" "commands:" "lists the commands"
tl help learn;		is "$RC" 0 "tlspin help COMMAND"
like "$OUT" "usage: tlspin [--store DIR] learn" "prints its usage"
tl help nosuch;		is "$RC" 2 "tlspin help with an unknown command: exit 2"

# --- 4. exit codes as tlspin(1) says ----------------------------------------
tl learn "$T/missing.log"
is "$RC" 2 "learn on a missing file: exit 2 (usage, as import's missing file)"
like "$ERR" "cannot read $T/missing.log" "names the file"
tl query --connect nohost z.test
is "$RC" 2 "query --connect without a port: exit 2"
like "$ERR" "expected HOST:PORT" "says what it expects"
tl query --connect nohost.invalid:25 z.test
is "$RC" 2 "query --connect to a host that does not exist: exit 2"

# --- 5. learn: not a log, a truncated gzip, --all ---------------------------
printf '\177ELF\002\001\001\000\000\000binary\n' > "$T/bin"
tl learn "$T/bin"
is "$RC" 2 "learn on a binary file: exit 2"
like "$ERR" "$T/bin: not a text log" "names the file and the cause"
i=0
while [ $i -lt 30 ]; do i=$((i + 1)); tls_delivery $((200 + i)) "d$i.test"; done > "$T/many.log"
gzip -c "$T/many.log" > "$T/many.log.gz"
head -c 400 "$T/many.log.gz" > "$T/cut.gz"
tl learn --dry-run "$T/cut.gz"
is "$RC" 2 "learn on a truncated .gz: exit 2"
like "$ERR" "$T/cut.gz: truncated gzip" "names the file and the cause"
printf 'pin_min_deliveries = 1\npin_min_span = 0s\n' > "$T/conf"
tlc() { OUT=$("$TLSPIN" -c "$T/conf" --store "$STORE" "$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }
tlc learn --dry-run "$T/many.log.gz"
is "$RC" 0 "learn --dry-run on the whole .gz: exit 0"
like "$OUT" "... and 10 more: add --all to list them all" "the cut says how to see all"
tlc learn --dry-run --all "$T/many.log.gz"
is "$(echo "$OUT" | grep -c ' pinned: ')" 30 "--all lists every change"
tlc learn --dry-run --json "$T/many.log.gz"
is "$(echo "$OUT" | jq '.transitions | length'),$(echo "$OUT" | jq .more)" "20,10" "--json says how many were left out"
tlc learn --dry-run --json --all "$T/many.log.gz"
is "$(echo "$OUT" | jq '.transitions | length'),$(echo "$OUT" | jq .more)" "30,0" "--json --all has them all"
like "$(echo "$OUT" | jq -r '.transitions[0].reason')" "1 TLS delivery over" "one delivery, singular"

# --- 6. pins that pin too much or nothing -----------------------------------
tl pin .com --level encrypt
is "$RC" 2 "pin .com: exit 2"
like "$ERR" "com is a single label (a top-level domain)" "says why"
like "$ERR" "--force" "and how to insist"
tl pin co.uk --level encrypt;	like "$ERR" "a public suffix" "pin co.uk: a public suffix"
tl pin .com --level encrypt --force; is "$RC" 0 "pin .com --force"
tl pin 192.0.2.1 --level encrypt
is "$RC" 2 "pin of an IP literal: exit 2"
like "$ERR" "is an IP address" "says why"
tl pin '[192.0.2.1]:25' --level encrypt;	is "$RC" 2 "bracketed too"
tl pin '[ipv6:2001:db8::1]' --level encrypt
is "$RC" 2 "pin of an IPv6 literal: exit 2"
like "$ERR" "is an IP address" "says why"
tl show 192.0.2.1;	like "$ERR" "is an IP address" "show refuses an address"
printf '[192.0.2.1]:25 encrypt\n' > "$T/ip.policy"
tl import "$T/ip.policy"
is "$RC" 2 "import of an address line: exit 2"
like "$ERR" "line 1: \"[192.0.2.1]:25\" is an IP address" "names the line"
tl pin s.test --level secure
is "$RC" 2 "pin --level secure without --match: exit 2"
like "$ERR" "--match mx1.example.com:mx2.example.com" "shows an example"
tl pin s.test --level secure --match nexthop:dot-nexthop
is "$RC" 0 "Postfix's default, asked for on purpose"

# --- 7. mode = observe: what tlspind answers --------------------------------
printf 'mode = observe\n' > "$T/observe.conf"
OUT=$("$TLSPIN" -c "$T/observe.conf" --store "$STORE" show z.test)
like "$OUT" "postfix gets: NOTFOUND (mode = observe; in enforce mode: OK encrypt)" "show in observe mode"
OUT=$("$TLSPIN" -c "$T/observe.conf" --store "$STORE" why z.test)
like "$OUT" "postfix gets: NOTFOUND (mode = observe" "why in observe mode"
OUT=$("$TLSPIN" -c "$T/observe.conf" --store "$STORE" show --json z.test)
is "$(echo "$OUT" | jq -r '.answer + "/" + .enforce_answer')" "NOTFOUND/OK encrypt" "show --json in observe mode"
start_daemon -o mode=observe
tl query --socket "$SOCK" z.test
is "$RC/$OUT" "1/NOTFOUND " "and that is what tlspind answers"
stop_daemon

# --- 8. small things ----------------------------------------------------------
tls_delivery 300 obs.test > "$T/obs.log"
tl learn "$T/obs.log"
tl list --state observing
like "$OUT" "obs.test" "an observing domain is listed"
like "$(echo "$OUT" | grep obs.test)" "- (not pinned)" "with EXPIRES '-', not never"
tl show obs.test;	like "$OUT" "expires:      - (not pinned)" "show too"
tl why obs.test;	like "$OUT" "1 delivery:" "why: 1 delivery, singular"
printf 'dup.test encrypt\nother.test encrypt\ndup.test dane-only\n' > "$T/dups"
tl import "$T/dups"
is "$RC" 0 "import with a domain twice: exit 0"
like "$ERR" "dup.test is on lines 1, 3; the last one (line 3) is kept" "warns with the line numbers"
like "$OUT" "imported 2 new and 0 replaced entries" "counts each domain once"
like "$OUT" "1 duplicate line" "and the duplicates"
tl show dup.test;	like "$OUT" "OK dane-only" "the last line wins"

# the socket's group, when this user may not open it
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	mkdir "$T/run"
	chmod 711 "$T"
	chmod 755 "$T/run"
	socat UNIX-LISTEN:"$T/run/sock",mode=660,group=daemon /dev/null &
	SOCAT=$!
	wait_for test -S "$T/run/sock"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$TLSPIN" -c /dev/null --store "$STORE" query --socket "$T/run/sock" x.test 2>"$T/err"
	is "$?" 4 "query on a socket this user may not open: exit 4"
	like "$(cat "$T/err")" "member of group daemon" "names the group to join"
	kill "$SOCAT" 2>/dev/null
	wait "$SOCAT" 2>/dev/null
fi
done_testing
