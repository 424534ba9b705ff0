#!/bin/sh
# Log lines shaped by an attacker: deliveries in clear, "TLS is required,
# but was not offered" and certificate failures, as many as a flood can
# write, for pinned domains and for 50,000 made-up ones. A pin survives
# every one of them (only a person or an expiry unpins), the store does
# not grow with the failures (a failure creates no record; a record has a
# fixed size; the events table is capped), and the learner says what it
# saw.
. "$abs_top_srcdir/t/learn/lib.sh"
need mdb_stat

N=${FLOOD_DOMAINS:-50000}
CONF=$T/tlspin.conf
printf 'pin_min_span = 0s\n' > "$CONF"

# lines KIND DOMAIN N: N log lines of one kind for DOMAIN (or, with
# DOMAIN "many:X", for N different domains X1.flood.test ...).
lines() {
	awk -v kind="$1" -v dom="$2" -v n="$3" 'BEGIN {
		ts = "2026-11-23T10:00:00.000000+00:00"
		for (i = 1; i <= n; i++) {
			d = dom ~ /^many:/ ? substr(dom, 6) i ".flood.test" : dom
			p = 3000 + i % 500
			q = sprintf("%X", 1048576 + i)
			h = "mx." d "[192.0.2.25]:25"
			pre = ts " mx postfix/smtp[" p "]: "
			if (kind == "tls") {
				print pre "Trusted TLS connection established to " h ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
				print pre q "A: to=<u" i "@" d ">, relay=" h ", delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
			} else if (kind == "plain") {
				print pre q "B: to=<u" i "@" d ">, relay=" h ", delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
			} else if (kind == "strip") {
				print pre q "C: to=<u" i "@" d ">, relay=" h ", delay=0.04, delays=0.02/0/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx." d "[192.0.2.25])"
			} else {
				print pre "Untrusted TLS connection established to " h ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
				print pre q "D: to=<u" i "@" d ">, relay=" h ", delay=0.04, delays=0.02/0/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)"
			}
		}
	}'
}

# the pins: one learned from three TLS deliveries, one set by the admin
lines tls learned.test 3 > "$T/pin.log"
learn "$STORE" "$CONF" "$T/pin.log"
is "$RC" 0 "three TLS deliveries learned"
"$TLSPIN" --store "$STORE" pin manual.test --level secure --match mx.manual.test >/dev/null
# q DOMAIN: what Postfix gets, from the store
q() { "$TLSPIN" --store "$STORE" why "$1" 2>&1 | sed -n 's/^postfix gets: *//p'; }
is "$(q learned.test)" "OK encrypt" "learned.test is pinned encrypt"
du_store() { du -k "$STORE/data.mdb" | cut -f1; }
# dpages: pages the domains table takes (the file also holds free pages)
dpages() {
	mdb_stat -s domains "$STORE" | awk '/Branch pages|Leaf pages|Overflow pages/ { n += $3 } END { print n }'
}
base=$(du_store)

# the flood: failures for the pins and for N made-up domains
{
	for d in learned.test manual.test; do
		lines plain "$d" 2000
		lines strip "$d" 2000
		lines cert "$d" 2000
	done
	lines strip many:d "$N"
	lines cert many:d "$N"
} > "$T/flood.log"
learn "$STORE" "$CONF" "$T/flood.log"
is "$RC" 0 "learned $(wc -l < "$T/flood.log") flood lines"
is "$(q learned.test)" "OK encrypt" "learned.test is still pinned encrypt"
is "$(q manual.test)" "OK secure match=mx.manual.test" "manual.test is still pinned secure"
after=$(du_store)
# the same flood again for N other domains, appended to the same log (a
# log file given to tlspin learn keeps its own position and correlator
# state, ~40 kB: one per file, not per line)
{ lines strip many:e "$N"; lines cert many:e "$N"; } >> "$T/flood.log"
learn "$STORE" "$CONF" "$T/flood.log"
after2=$(du_store)
echo "# flood: store $base kB, $after kB after the flood, $after2 kB after $((N * 3)) more lines"
n=$("$TLSPIN" --store "$STORE" list --json 2>/dev/null | grep -c '"domain"')
is "$n" 2 "failures for $((N * 2)) unknown domains add no records: the store holds the 2 it knew"
# deliveries in clear to the pins: each one is worth an event, the cap
# is the events table's
ev=$("$TLSPIN" --store "$STORE" events --json 2>/dev/null | grep -c '"domain"')
echo "# flood: $ev events"
ok "$([ "$ev" -le 100000 ]; echo $?)" "events stay under the cap ($ev)"
why=$("$TLSPIN" --store "$STORE" why learned.test 2>&1)
like "$why" "4000 since the pin (they never unpin)" "tlspin why counts the failures"
like "$why" "2000 in clear" "and the deliveries in clear"

# made-up domains that are delivered to in clear do get records (that is
# how "why is it not pinned" is answered); each has a fixed size
lines plain many:p "$N" >> "$T/flood.log"
learn "$STORE" "$CONF" "$T/flood.log"
big=$(dpages)
per=$((big * 4096 / N))
echo "# flood: $N domains delivered in clear: domains table $big pages, $per bytes a domain; file $(du_store) kB"
ok "$([ "$per" -le 1024 ]; echo $?)" "a domain's record stays small ($per bytes)"
lines plain many:p "$N" >> "$T/flood.log"
learn "$STORE" "$CONF" "$T/flood.log"
again=$(dpages)
ok "$([ "$again" -le $((big + big / 10)) ]; echo $?)" \
	"the same domains again do not grow the domains table ($big -> $again pages)"
done_testing
