#!/bin/sh
# tlspind's metrics_listen: Prometheus scrapes GET /metrics over HTTP/1.0
# on a loopback port or a Unix socket (curl, promtool check metrics); the
# lookup counters are live; a request too long, too slow, with another
# method or path, or one scraper too many gets its status, and tlspind
# answers Postfix's lookups all the while.
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" promtool curl python3

# a TCP port nobody listens on now
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/metrics

# scrape [CURL-ARGS...]: GET with curl; STATUS, CTYPE, BODY of the answer
scrape() {
	curl -sS --max-time 10 -D "$T/h" -o "$T/b" "$@" >/dev/null 2>"$T/curl.err"
	STATUS=$(sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$T/h" | tr -d '\r')
	CTYPE=$(sed -n 's/^Content-Type: //ip' "$T/h" | tr -d '\r')
	BODY=$(cat "$T/b")
}
val() { printf '%s\n' "$BODY" | awk -v s="$1" '$1 == s { print $2 }'; }

# raw MODE: a client of its own (python3), for what curl will not send:
#   long  - a 5 KiB request line, then read the answer
#   slow  - half a request line, then wait for the answer (up to 10 s)
#   crowd - 4 connections that send nothing, then a 5th that reads
# prints the first line of the (last) answer and the seconds it took;
# "ready" goes to $T/ready once the connections are open
raw() {
	python3 - "$1" "$PORT" "$T/ready" <<'EOF'
import socket, sys, time
mode, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    return s
def answer(s):
    data = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    return data.split(b"\r\n")[0].decode() or "(nothing)"
t0 = time.monotonic()
held = []
if mode == "long":
    s = conn()
    s.sendall(b"GET /" + b"x" * 5120 + b" HTTP/1.0\r\n\r\n")
elif mode == "slow":
    s = conn()
    s.sendall(b"GET /met")
else:
    held = [conn() for _ in range(4)]
    s = conn()
open(ready, "w").write("ready\n")
line = answer(s)
print("%s %.1f" % (line, time.monotonic() - t0))
EOF
}

pin a.test --level encrypt
pin b.test --level secure --match mx.b.test

# --- a loopback port ------------------------------------------------------------
start_daemon -o metrics_listen=inet:127.0.0.1:$PORT
ok $? "tlspind runs with metrics_listen = inet:127.0.0.1:$PORT"
scrape "$URL"
is "$STATUS" 200 "GET /metrics: 200"
is "$CTYPE" "text/plain; version=0.0.4; charset=utf-8" "the exposition's content type"
PROM=$(printf '%s\n' "$BODY" | promtool check metrics 2>&1)
ok $? "promtool check metrics accepts it"
is "$PROM" "" "and has nothing to lint"
is "$(val tlspin_up)" 1 "tlspin_up 1"
# the store's figures come from a count in a child process that tlspind
# starts with the listener: poll until it is in
manual_pins() { scrape "$URL"; [ "$(val 'tlspin_pins{state="manual"}')" = "$1" ]; }
wait_for manual_pins 2
is "$(val 'tlspin_pins{state="manual"}')" 2 "two manual pins"
is "$(val 'tlspin_lookups_total{answer="ok"}')" 0 "no lookup yet"

pm a.test;	is "$PM_OUT" encrypt "a lookup"
pm b.test
pm nothing.test
scrape "$URL"
is "$(val 'tlspin_lookups_total{answer="ok"}')" 2 "the two OK lookups show at once (live counters)"
is "$(val 'tlspin_lookups_total{answer="notfound"}')" 1 "and the NOTFOUND"
conns=$(val tlspin_connections_total)
ok "$([ "${conns:-0}" -ge 3 ]; echo $?)" "Postfix's connections counted ($conns)"

scrape "http://127.0.0.1:$PORT/"
is "$STATUS" 404 "another path: 404"
scrape "$URL?name[]=tlspin_up"
is "$STATUS" 200 "a query string is ignored: 200"
scrape -X POST -d x=1 "$URL"
is "$STATUS" 405 "POST: 405"
is "$(sed -n 's/^Allow: //ip' "$T/h" | tr -d '\r')" GET "with Allow: GET"

out=$(raw long)
is "${out% *}" "HTTP/1.0 414 URI Too Long" "a 5 KiB request line: 414"

rm -f "$T/ready"
raw slow > "$T/slow.out" &
SLOW=$!
wait_for test -s "$T/ready"
pm a.test;	is "$PM_OUT" encrypt "lookups are answered while a scraper dawdles"
wait "$SLOW"
out=$(cat "$T/slow.out")
is "${out% *}" "HTTP/1.0 408 Request Timeout" "the slow scraper gets 408"
secs=${out##* }
ok "$(awk -v s="$secs" 'BEGIN { exit !(s >= 1.5 && s < 5) }'; echo $?)" \
	"after about 2 seconds ($secs)"

rm -f "$T/ready"
raw crowd > "$T/crowd.out" &
CROWD=$!
wait_for test -s "$T/ready"
pm b.test;	is "$PM_OUT" "secure match=mx.b.test" "lookups are answered with 4 scrapers connected"
wait "$CROWD"
out=$(cat "$T/crowd.out")
is "${out% *}" "HTTP/1.0 503 Service Unavailable" "a 5th scraper at once: 503"
secs=${out##* }
ok "$(awk -v s="$secs" 'BEGIN { exit !(s < 1.5) }'; echo $?)" "at once ($secs s)"
scrape "$URL"
is "$STATUS" 200 "once they are gone, a scrape is served again"

# the port is taken: tlspind does not start, and says which setting
"$TLSPIND" --foreground -c /dev/null --store "$STORE" --listen "unix:$T/other.sock" \
	-o log_source=none -o probe=no $AS_ROOT -o metrics_listen=inet:127.0.0.1:$PORT \
	2>"$T/busy.err"
ok "$([ $? -ne 0 ]; echo $?)" "a second tlspind on the same metrics port fails"
grep -q "metrics_listen: cannot listen on inet:127.0.0.1:$PORT" "$T/busy.err"
ok $? "naming metrics_listen and the address" || diag < "$T/busy.err"
stop_daemon
is "$DAEMON_STATUS" 0 "tlspind stops cleanly"

# --- a Unix socket --------------------------------------------------------------
start_daemon -o metrics_listen=unix:$T/metrics.sock
ok $? "tlspind runs with metrics_listen = unix:$T/metrics.sock"
scrape --unix-socket "$T/metrics.sock" http://localhost/metrics
is "$STATUS" 200 "GET /metrics on the Unix socket: 200"
printf '%s\n' "$BODY" | promtool check metrics >/dev/null 2>&1
ok $? "promtool check metrics accepts it"
stop_daemon
ok "$([ ! -e "$T/metrics.sock" ]; echo $?)" "the socket is removed at stop"

# --- the setting ----------------------------------------------------------------
printf 'metrics_listen = 127.0.0.1:9578\n' > "$T/bad.conf"
"$TLSPIND" --check-config -c "$T/bad.conf" >/dev/null 2>"$T/bad.err"
ok "$([ $? -ne 0 ]; echo $?)" "metrics_listen without inet: or unix: is refused"
grep -q "metrics_listen.*expected unix:PATH or inet:HOST:PORT" "$T/bad.err"
ok $? "saying what it expects" || diag < "$T/bad.err"
done_testing
