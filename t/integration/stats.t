#!/bin/sh
# tlspin stats --json is an object of typed fields (numbers, booleans,
# nested objects for tlspind's counters) and every --json time is ISO 8601
# UTC (stats, events, show, list, learn agree). While tlspind runs, its
# counters are there from the start and seconds old, not a save period
# behind; the text says how old they are.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" jq

tl() { OUT=$("$TLSPIN" --store "$STORE" "$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }
# jqe FILTER: does the last OUT satisfy the jq filter?
jqe() { printf '%s\n' "$OUT" | jq -e "$1" >/dev/null; }
ISO='test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")'

pin a.test --level encrypt
pin b.test --level secure --match mx.b.test --expires 30d

# --- before tlspind ever ran -------------------------------------------------
tl stats --json
ok $? "stats --json"
jqe '.daemon == null'; ok $? "no counters yet: .daemon is null"
jqe '(.domains|type=="number") and (.answering|type=="number") and (.map_size|type=="number")'
ok $? "store figures are numbers"
jqe '.states.manual == 2'; ok $? ".states is an object of numbers"
jqe '.learning.last_time == null'; ok $? "nothing learned: .learning.last_time is null"
tl stats
like "$OUT" "tlspind has not run on this store" "the text says tlspind has not run"

# --- every --json time is ISO 8601 UTC ---------------------------------------
tl events --json
jqe "all(.[]; .time|$ISO)"; ok $? "events --json: times are ISO 8601 UTC"
tl show b.test --json
jqe ".pinned_at|$ISO"; ok $? "show --json: pinned_at is ISO 8601 UTC"
tl list --json
jqe "all(.[]; .updated|$ISO)"; ok $? "list --json: updated is ISO 8601 UTC"
ts=$(date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00)
printf '%s mx postfix/smtp[101]: Trusted TLS connection established to mx.c.test[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n%s mx postfix/smtp[101]: 4AB00101: to=<u@c.test>, relay=mx.c.test[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' \
	"$ts" "$ts" > "$T/one.log"
printf 'pin_min_deliveries = 1\npin_min_span = 0s\n' > "$T/one.conf"
tl --config "$T/one.conf" learn --json "$T/one.log"
jqe ".transitions|length > 0 and all(.[]; .time|$ISO)"
ok $? "learn --json: transition times are ISO 8601 UTC"
tl stats --json
jqe ".learning.last_time|$ISO"; ok $? "stats --json: learning.last_time is ISO 8601 UTC"

# --- while tlspind runs --------------------------------------------------------
start_daemon
ok $? "tlspind runs"
tl stats
case $OUT in
*"has not run"*) ok 1 "stats right after tlspind started: counters already there" ;;
*) ok 0 "stats right after tlspind started: counters already there" ;;
esac
like "$OUT" "counters saved " "the text says when they were saved"
printf '%s\n' "$OUT" | grep -Eq '^daemon: +counters saved [0-9]+ s ago \(.*Z\), mode enforce$'
ok $? "as an age, then the time and the mode"

pm a.test;	is "$PM_OUT" "encrypt" "a lookup"
pm nothing.test
pm b.test
# Live counters: the three lookups show within 3 s (a save period of 5 s
# would not show them until then).
t0=$(date +%s)
three() { [ "$("$TLSPIN" --store "$STORE" stats --json | jq .daemon.requests)" = 3 ]; }
wait_for three;	ok $? "stats counts the three lookups while tlspind runs"
t1=$(date +%s)
ok "$([ $((t1 - t0)) -le 3 ]; echo $?)" "within 3 s ($((t1 - t0)) s)"

tl stats --json
jqe '.daemon.requests|type=="number"';	ok $? ".daemon.requests is a number"
jqe '.daemon.live == true';		ok $? ".daemon.live is true while it runs"
jqe '.daemon.age_seconds|type=="number" and . <= 3'; ok $? ".daemon.age_seconds is a number, seconds"
jqe ".daemon.saved|$ISO";		ok $? ".daemon.saved is ISO 8601 UTC"
jqe '.daemon.mode == "enforce"';	ok $? ".daemon.mode is a string"
jqe '.daemon.replies == {"ok":2,"notfound":1,"temp":0,"perm":0,"observed":0}'
ok $? ".daemon.replies: an object of numbers by kind"
jqe '(.daemon.connections|type=="number") and (.daemon.clients|type=="number") and (.daemon.refused|type=="number") and (.daemon.timeouts|type=="number")'
ok $? "connection counters are numbers"
tl stats
like "$OUT" "requests    3: ok 2, notfound 1, temp 0, perm 0, observed 0" "the text lists the requests by reply"

stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"
# Saved long ago: not live, and the text says so. The file keeps its
# format; only its saved= time is moved back.
sed -i 's/^saved=.*/saved=1000000000/' "$STORE/tlspind.counters"
tl stats --json
jqe '.daemon.live == false and .daemon.saved == "2001-09-09T01:46:40Z"'
ok $? "counters saved long ago: .daemon.live is false"
tl stats
like "$OUT" "stale: tlspind saves them every second" "and the text says they are stale"
done_testing
