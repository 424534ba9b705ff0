#!/bin/sh
# ste.t: tlspin import --format starttls-everywhere, on the EFF's last
# list (t/data/starttls-everywhere/policy.json, of 2020-05-20).
#
# jq reads the same file as the oracle: every enforce policy becomes
# "secure match=" its mxs joined by ':', and nothing else; testing ones
# only with --include-testing (aliases resolved). Manual pins stay; a
# second import refreshes its own; the list expired in 2020, so the pins
# get 30 days; a malformed file names the line and column and imports
# nothing; Postfix (postmap -q) gets the pins from tlspind.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" jq

LIST=$abs_top_srcdir/t/data/starttls-everywhere/policy.json

tl() {	# tl ARGS...: run tlspin on $STORE; sets OUT, ERR, RC
	"$TLSPIN" --store "$STORE" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
import() { tl import --format starttls-everywhere "$@"; IERR=$ERR; }

# What the store should answer, from the file by jq: "domain<TAB>policy",
# sorted. $1: the policies' filter (enforce only, or all).
expected() {
	jq -r --arg all "$1" '."policy-aliases" as $a | .policies | to_entries[] |
		(if .value["policy-alias"] then $a[.value["policy-alias"]]
		 else .value end) as $p |
		select($all == "all" or $p.mode == "enforce") |
		"\(.key | ascii_downcase)\tsecure match=\($p.mxs |
		    map(ascii_downcase | sub("\\.$"; "")) | join(":"))"' "$LIST" |
		sort
}
answers() { "$TLSPIN" --store "$STORE" export | grep -v '^#' | sort; }

enforce=$(jq '[.policies[] | select(.mode == "enforce")] | length' "$LIST")
total=$(jq '.policies | length' "$LIST")
now=$(date +%s)

import "$LIST"
is "$RC" 0 "the last STARTTLS Everywhere list imports"
like "$OUT" "imported $enforce new and 0 replaced entries" \
	"one pin for each of its $enforce enforce policies"
like "$OUT" "$((total - enforce)) policies in mode testing not imported" \
	"the $((total - enforce)) in mode testing are counted, not imported"
is "$(expected enforce | wc -l)/$(answers | wc -l)" "$enforce/$enforce" \
	"$enforce pins in the store, as jq counts in the file"
is "$(answers)" "$(expected enforce)" \
	"every pin is secure match= the policy's mxs, as in the file"
like "$ERR" "expired on 2020-06-03T17:25:12Z, and the STARTTLS Everywhere project stopped in 2020: all its $total policies are past that date" \
	"the list's expiry (2020-06-03) is said, for all its policies"

tl show gmail.com
like "$OUT" "postfix gets: OK secure match=gmail-smtp-in.l.google.com:.gmail-smtp-in.l.google.com" \
	"tlspin show gmail.com: the file's mxs, the .suffix pattern kept"
like "$OUT" "state:        manual (source: import)" "a manual entry from an import"
like "$OUT" "note:         from the STARTTLS Everywhere list of 2020-05-20, mode enforce" \
	"noted as from the list"
tl show --json comcast.net
is "$(echo "$OUT" | jq -r .policy)" "secure match=mx1.comcast.net:mx2.comcast.net" \
	"comcast.net: both its mx names"
exp=$(echo "$OUT" | jq -r .expires)
exp=$(date -d "$exp" +%s)
ok "$([ "$exp" -ge $((now + 30 * 86400)) ] && [ "$exp" -le $((now + 30 * 86400 + 600)) ]; echo $?)" \
	"expires 30 days from now, as the list's own expiry has passed"
tl show yahoo.com
is "$RC" 1 "yahoo.com (mode testing, by its alias): not imported"

# Postfix asks tlspind
start_daemon
pm gmail.com
is "$PM_OUT" "secure match=gmail-smtp-in.l.google.com:.gmail-smtp-in.l.google.com" \
	"postmap -q gmail.com: Postfix gets the secure pin"
pm alainwolf.ch
is "$PM_OUT" "secure match=norris.urown.net:pace.urown.net:mail.urown.net" \
	"postmap -q alainwolf.ch: three mx names"
pm yahoo.com
is "$PM_OUT/$PM_RC" "/1" "postmap -q yahoo.com: NOTFOUND"
stop_daemon

# a second import refreshes its own pins; manual and learned ones stay
tl pin comcast.net --level encrypt --note "our own"
tl unpin gmail.com
import "$LIST" --expires 7d
like "$OUT" "imported 1 new and $((enforce - 2)) replaced entries" \
	"a second import: gmail.com anew, its own pins refreshed"
like "$OUT" "1 domain kept as the store has them (1 manual, 0 learned" \
	"the manual pin is counted as kept"
tl show comcast.net
like "$OUT" "postfix gets: OK encrypt" "and keeps its policy"
like "$OUT" "note:         our own" "and its note"
tl show --json gmail.com
exp=$(date -d "$(echo "$OUT" | jq -r .expires)" +%s)
ok "$([ "$exp" -le $((now + 7 * 86400 + 600)) ]; echo $?)" "--expires 7d chooses the expiry"
ok "$(echo "$IERR" | grep -q "expired on"; echo $((!$?)))" \
	"and then no warning about the list's own"

# --include-testing: every policy, aliases resolved
STORE=$T/all
import --include-testing "$LIST"
is "$RC" 0 "--include-testing imports"
like "$OUT" "imported $total new" "all $total policies"
is "$(answers)" "$(expected all)" "with each alias resolved to its mxs"
tl show hotmail.com
like "$OUT" "note:         from the STARTTLS Everywhere list of 2020-05-20, mode testing, policy-alias outlook" \
	"the note says the mode and the alias"

# the same list from standard input
STORE=$T/stdin
"$TLSPIN" --store "$STORE" import --format starttls-everywhere - <"$LIST" \
	>"$T/out" 2>/dev/null
is "$?/$(answers | wc -l)" "0/$enforce" "read from standard input (-)"

# malformed: the comma after "author" removed (line 5)
STORE=$T/bad
sed '5s/,$//' "$LIST" >"$T/broken.json"
import "$T/broken.json"
is "$RC" 2 "a malformed list: exit 2"
like "$ERR" "$T/broken.json, line 6, column 3: expected ',' or '}' after a member" \
	"the error names the line and column"
like "$ERR" "nothing was imported" "and nothing is imported"
test ! -e "$STORE/data.mdb" || [ "$(answers | wc -l)" -eq 0 ]
ok $? "the store holds no pin"
printf '{"policies": ["a.test"]}' >"$T/notalist.json"
import "$T/notalist.json"
like "$RC/$ERR" '2/tlspin import: '"$T"'/notalist.json, not a STARTTLS Everywhere policy list: no "policies" object' \
	"JSON that is no such list: said so"

# a policy that cannot be used whole is left out, the others imported
cat >"$T/some.json" <<'EOF'
{
  "expires": "2999-01-01T00:00:00Z",
  "timestamp": 1589995512,
  "policies": {
    "good.test": { "mode": "enforce", "mxs": ["MX.Good.Test.", ".mail.good.test"] },
    "odd.test": { "mode": "enforce", "mxs": ["mx.odd.test", "[192.0.2.1]"] },
    "lost.test": { "policy-alias": "nowhere" }
  }
}
EOF
STORE=$T/some
import "$T/some.json"
is "$RC" 0 "a list with unusable policies imports the others"
like "$ERR" "some.json, line 6: odd.test is left out: mxs holds \"[192.0.2.1]\", which is no host name nor .domain pattern" \
	"a bad pattern leaves its policy out, with its line"
like "$ERR" "some.json, line 7: lost.test is left out: its policy-alias \"nowhere\" is not in policy-aliases" \
	"so does an unknown alias"
is "$(answers)" "$(printf 'good.test\tsecure match=mx.good.test:.mail.good.test')" \
	"the good one is pinned, lowercase, without the trailing dot"
like "$OUT" "2 policies left out" "and the summary counts them"
tl show --json good.test
is "$(echo "$OUT" | jq -r .expires)" "2999-01-01T00:00:00Z" \
	"a list still valid gives its pins its own expiry"
ok "$(echo "$IERR" | grep -q "expire"; echo $((!$?)))" "without a warning"

# a domain twice in the list: the last one wins, as for tls_policy
printf '{"policies": {"dup.test": {"mode": "enforce", "mxs": ["a.test"]},\n "dup.test": {"mode": "enforce", "mxs": ["b.test"]}}}' >"$T/dup.json"
STORE=$T/dup
import --expires 1d "$T/dup.json"
like "$IERR" "dup.json: dup.test is on lines 1, 2; the last one (line 2) is kept" \
	"a domain twice in the list: a warning naming the lines"
is "$(answers)" "$(printf 'dup.test\tsecure match=b.test')" "the last one is pinned"
like "$OUT" "a STARTTLS Everywhere list of unknown date, 2 policies" \
	"a list without timestamp: its date is unknown"

tl import --include-testing "$T/some.json"
is "$RC" 2 "--include-testing without --format starttls-everywhere: usage error"

done_testing
