#!/bin/sh
# bound.t: what an attacker's mail can make the store hold is bounded.
# Deliveries to thousands of made-up subdomains used to leave one
# observing record each, forever. Past max_observing records that hold
# only evidence (observing, expired) a new domain is not recorded but
# counted; records idle for observe_max_age are dropped by the expiry
# sweep (tlspin learn sweeps as of its newest line). Pins, the admin's
# and learned ones, are never dropped, and a domain the store already
# knows goes on learning.
. "$abs_top_srcdir/t/learn/lib.sh"

N=${BOUND_DOMAINS:-3000}
CAP=1000
CONF=$T/tlspin.conf
printf 'pin_min_span = 0s\nmax_observing = %s\nobserve_max_age = 2d\n' \
	"$CAP" > "$CONF"

# tls DAY DOMAIN N: N TLS deliveries on 2026-11-DAY, to DOMAIN, or with
# DOMAIN "many:X" one each to N domains X1.flood.test ...
tls() {
	awk -v day="$1" -v dom="$2" -v n="$3" 'BEGIN {
		ts = sprintf("2026-11-%02dT10:00:00.000000+00:00", day)
		for (i = 1; i <= n; i++) {
			d = dom ~ /^many:/ ? substr(dom, 6) i ".flood.test" : dom
			p = 3000 + i % 500
			q = sprintf("%X", 1048576 + i + day * 100000)
			h = "mx." d "[192.0.2.25]:25"
			pre = ts " mx postfix/smtp[" p "]: "
			print pre "Trusted TLS connection established to " h ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
			print pre q "A: to=<u" i "@" d ">, relay=" h ", delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
		}
	}'
}
count() {	# count STATE: domains of the store in STATE
	"$TLSPIN" --store "$STORE" -c "$CONF" list --state "$1" --json |
		grep -o '"domain"' | wc -l
}
stat_of() {	# stat_of KEY: a learning counter of tlspin stats --json
	"$TLSPIN" --store "$STORE" -c "$CONF" stats --json |
		sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

"$TLSPIN" --store "$STORE" -c "$CONF" pin manual.test --level secure \
	--match mx.manual.test >/dev/null
{ tls 1 pinned.test 3; tls 1 early.test 1; } > "$T/day1.log"
learn "$STORE" "$CONF" "$T/day1.log"
is "$RC" 0 "day 1: a pin and a domain on its way"
# the flood: N made-up subdomains, one delivery each, and then the domain
# the store knew before it goes on to its pin
{ tls 2 many:d "$N"; tls 2 early.test 2; } > "$T/day2.log"
learn "$STORE" "$CONF" "$T/day2.log"
is "$RC" 0 "day 2: $N made-up domains learned"
like "$OUT" "$((N - CAP + 1)) new domains not recorded" "tlspin learn says how many were not recorded"
# early.test was one of the $CAP, and left them for its pin
obs=$(count observing)
is "$obs" "$((CAP - 1))" "the store holds max_observing = $CAP records without a pin, no more"
is "$(stat_of unrecorded)" "$((N - CAP + 1))" "tlspin stats counts the domains not recorded"
like "$("$TLSPIN" --store "$STORE" -c "$CONF" stats)" \
	"$((N - CAP + 1)) new domains not recorded (max_observing)" "and says so in words"
is "$(count encrypt)" 2 "pinned.test stays pinned and early.test, known before, got its pin"
is "$(count manual)" 1 "the admin's pin stays"

# day 5: deliveries to the pin only; the sweep as of day 5 drops the
# records nothing happened to since day 2 (observe_max_age = 2d)
tls 5 pinned.test 1 > "$T/day5.log"
learn "$STORE" "$CONF" "$T/day5.log"
like "$OUT" "$((CAP - 1)) records without a pin dropped" "tlspin learn says how many aged out"
is "$(count observing)" 0 "idle records without a pin are gone"
is "$(stat_of aged)" "$((CAP - 1))" "tlspin stats counts them"
is "$(count encrypt)/$(count manual)" 2/1 "pins never age out with them"

# room again: new domains are recorded
tls 6 many:n 10 > "$T/day6.log"
learn "$STORE" "$CONF" "$T/day6.log"
is "$(count observing)" 10 "once aged out, new domains are recorded again"
is "$(stat_of unrecorded)" "$((N - CAP + 1))" "and none was refused"
done_testing
