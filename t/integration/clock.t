#!/bin/bash
# clock.t: time is an input. A real tlspind learns from a log_source =
# file: with classic syslog stamps ("Dec  7 16:55:39", no year) while
# libfaketime moves its wall clock a day at a time (FAKETIME_TIMESTAMP_FILE,
# re-read at every call with FAKETIME_NO_CACHE=1; the monotonic clock is
# left alone so the event loop runs as usual). Over three days the
# learner dates each day's lines in this year: a domain pinned 25 h after
# the start is pinned now, not a year back, and a pin's TLS deliveries
# keep moving last_good and expires; Postfix (postmap -q) gets the pins.
# Then lines dated 2099 (a deferral, a delivery in clear, a Verified
# delivery) leave an encrypt pin encrypt and answered: nothing from the
# log may unpin, and the learner says the log's clock is off.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat jq
LIBFT=${LIBFAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
[ -r "$LIBFT" ] || skip_all "libfaketime is not installed ($LIBFT)"
# libfaketime 0.9.10 would move sd-event's timer deadlines by the fake
# offset: this shim, preloaded first, keeps them (t/integration/realtimerfd.c)
SHIM=$abs_top_builddir/t/integration/realtimerfd.so
[ -r "$SHIM" ] || skip_all "$SHIM is not built (make check builds it)"
PRELOAD="$SHIM $LIBFT"

LOG=$T/maillog
: > "$LOG"
FT=$T/faketime
set_clock() { echo "$1" > "$FT"; }	# set_clock "YYYY-MM-DD hh:mm:ss" (UTC)
# faked COMMAND...: run it on the fake clock (ASan: libraries preloaded)
printf '#!/bin/sh\nexec env LD_PRELOAD="%s" FAKETIME_TIMESTAMP_FILE="%s" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC ASAN_OPTIONS="%s" "$@"\n' \
	"$PRELOAD" "$FT" "${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" > "$T/faked"
chmod +x "$T/faked"
faked() { "$T/faked" "$@"; }
tl() { faked "$TLSPIN" --store "$STORE" "$@"; }
field() {	# field DOMAIN NAME: one field of tlspin show --json
	tl show --json "$1" 2>/dev/null | jq -r ".$2"
}
classic() { date -u -d "$1" '+%b %e %H:%M:%S'; }	# classic "YYYY-MM-DD hh:mm:ss"
rfc3339() { date -u -d "$1" '+%Y-%m-%dT%H:%M:%S.000000+00:00'; }

# tls_delivery PREFIX PID DOMAIN [LEVEL]: one TLS delivery, as Postfix 3.7.
tls_delivery() {
	printf '%s mx postfix/smtp[%s]: %s TLS connection established to mx.%s[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256\n' \
		"$1" "$2" "${4:-Trusted}" "$3"
	printf '%s mx postfix/smtp[%s]: 4A%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n' \
		"$1" "$2" "$2" "$3" "$3"
}
clear_delivery() {	# PREFIX PID DOMAIN
	printf '%s mx postfix/smtp[%s]: 4C%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)\n' \
		"$1" "$2" "$2" "$3" "$3"
}
deferral() {	# PREFIX PID DOMAIN
	printf '%s mx postfix/smtp[%s]: 4D%05X: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=0.04, delays=0.02/0/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.%s[192.0.2.10])\n' \
		"$1" "$2" "$2" "$3" "$3" "$3"
}
pins() {	# pins DAY DOMAIN PID: three TLS deliveries a minute apart, ending at DAY
	for i in 2 1 0; do
		tls_delivery "$(classic "$1 $((i)) minutes ago")" $(($3 + i)) "$2"
	done
}
deliveries_of() { field "$1" deliveries; }
field_is() { test "$(field "$1" "$2")" = "$3"; }	# for wait_for: DOMAIN NAME VALUE
answer() { pm "$1"; echo "$PM_OUT"; }

# the daemon's wall clock is the fake one from the start (only its: the
# test's own sleeps and polls keep the real clock)
set_clock "2026-12-07 16:00:00"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$T/faked" "$TLSPIND" > "$T/tlspind"
chmod +x "$T/tlspind"
TLSPIND=$T/tlspind start_daemon -o "log_source=file:$LOG" -o pin_min_span=0s
ok $? "tlspind starts on the fake clock with log_source = file:"

# day 0: pinned, dated as the stamps say
pins "2026-12-07 15:59:00" day0.test 100 >> "$LOG"
wait_for field_is day0.test state encrypt
is "$(field day0.test state)" encrypt "day 0: three TLS deliveries pin day0.test"
is "$(field day0.test pinned_at)" 2026-12-07T15:59:00Z "day 0: pinned at the last delivery"

# 25.5 h on (the stamps' hour starts more than a day after the start): a
# new domain is pinned in this year; day0.test is renewed
set_clock "2026-12-08 17:30:00"
{
	pins "2026-12-08 17:29:00" late.test 200
	tls_delivery "$(classic "2026-12-08 17:29:30")" 210 day0.test
} >> "$LOG"
wait_for field_is day0.test deliveries 4
is "$(field late.test state)" encrypt "25 h on: three TLS deliveries pin late.test"
is "$(field late.test pinned_at)" 2026-12-08T17:29:00Z "25 h on: pinned now, not a year back"
is "$(field late.test expires)" 2027-02-06T17:29:00Z "25 h on: expires pin_max_age (60 d) later"
is "$(answer late.test)" encrypt "25 h on: postmap -q gets the new pin"
is "$(field day0.test last_good)" 2026-12-08T17:29:30Z "25 h on: last_good moves"
is "$(field day0.test expires)" 2027-02-06T17:29:30Z "25 h on: the pin is renewed"

# days 2 and 3: each day's TLS delivery renews the pins
n=4
for day in 2026-12-09 2026-12-10; do
	set_clock "$day 18:00:00"
	n=$((n + 1))
	{
		tls_delivery "$(classic "$day 17:30:00")" $((300 + n)) day0.test
		tls_delivery "$(classic "$day 17:30:01")" $((400 + n)) late.test
	} >> "$LOG"
	# the two lines may land in two of the learner's slices: wait for both
	wait_for field_is day0.test deliveries $n
	wait_for field_is late.test last_good "${day}T17:30:01Z"
	is "$(field day0.test last_good)" "${day}T17:30:00Z" "$day: last_good moves"
	want=$(date -u -d "$day 17:30:00 60 days" +%Y-%m-%dT%H:%M:%SZ)
	is "$(field day0.test expires)" "$want" "$day: expires moves to 60 d after it"
	is "$(field late.test last_good)" "${day}T17:30:01Z" "$day: late.test renewed too"
done
is "$(answer day0.test)/$(answer late.test)" encrypt/encrypt \
	"three days on: postmap -q gets both pins"
q=$(tl query --socket "$SOCK" day0.test 2>&1)
like "$q" "encrypt" "tlspin query gets the pin"
is "$(field day0.test answer)" "OK encrypt" "tlspin show: Postfix gets encrypt"

# lines dated 2099: a deferral, a delivery in clear, a Verified delivery
{
	deferral "$(rfc3339 "2099-01-01 00:00:00")" 501 day0.test
	clear_delivery "$(rfc3339 "2099-01-01 00:00:01")" 502 day0.test
	tls_delivery "$(rfc3339 "2099-01-01 00:00:02")" 503 day0.test Verified
	deferral "$(classic "2026-12-10 23:00:00")" 504 late.test
} >> "$LOG"
wait_for field_is day0.test deliveries $((n + 2))
is "$(deliveries_of day0.test)" $((n + 2)) "the lines dated 2099 are read"
is "$(field day0.test state)" encrypt "a deferral, a delivery in clear and a Verified delivery dated 2099 leave the pin encrypt"
is "$(answer day0.test)" encrypt "and postmap -q still gets it"
is "$(field day0.test expires)" 2027-02-08T18:00:00Z "the Verified delivery renews it to now + 60 d, not 2099"
is "$(field late.test state)" encrypt "a classic stamp 5 h ahead leaves late.test pinned"
expired=$(tl events --json 2>/dev/null | jq '[.[] | select(.state == "expired")] | length')
is "$expired" 0 "no pin expired"
future() { tl stats --json | jq .learning.future; }
future_is() { test "$(future)" = "$1"; }
wait_for future_is 5
is "$(future)" 5 "tlspin stats counts the five lines dated in the future"
wait_for grep -q "dated in the future" "$T/daemon.log"
like "$(grep "dated in the future" "$T/daemon.log")" \
	"log lines dated in the future (up to 2099-01-01T" \
	"the learner logs that lines were dated in the future"
like "$(grep "dated in the future" "$T/daemon.log")" \
	"were taken as now; check the clock of the host that writes the log" \
	"and what to do about it"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"
done_testing
