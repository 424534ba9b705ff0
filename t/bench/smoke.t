#!/bin/sh
# smoke.t: tlspin-bench against t/bench/echo, checking counts, not speed.
# Every check is about what was counted (requests, reply kinds, errors,
# reconnects) and the exit status, so a slow or busy machine passes too.

top=${abs_top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
BENCH=${BENCH:-$top/tools/tlspin-bench}
ECHO=${BENCH_ECHO:-$top/t/bench/echo}

if [ ! -x "$BENCH" ] || [ ! -x "$ECHO" ]; then
	echo "1..0 # SKIP $BENCH or $ECHO not built"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-bench-smoke.XXXXXX") || exit 99
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' INT TERM

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# kv FIELD: print FIELD's value from the last --kv line in $tmp/out.
kv() {
	tr ' ' '\n' < "$tmp/out" | sed -n "s/^$1=//p" | tail -n 1
}

# start_echo NAME [ARGS]: run an echo server on $tmp/NAME.sock and wait
# until it answers (bounded; a start that never answers fails the test).
start_echo() {
	name=$1
	shift
	"$ECHO" --listen "unix:$tmp/$name.sock" "$@" 2>"$tmp/$name.err" &
	pids="$pids $!"
	i=0
	while [ $i -lt 200 ]; do
		if [ -S "$tmp/$name.sock" ] \
		   && "$BENCH" --socket "$tmp/$name.sock" --requests 1 >/dev/null 2>&1; then
			return 0
		fi
		# a server answering PERM or NOTFOUND still proves it is up
		if [ -S "$tmp/$name.sock" ] \
		   && "$BENCH" --socket "$tmp/$name.sock" --requests 1 2>&1 \
		      | grep -q 'first \(NOTFOUND\|PERM\|bad reply\)'; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

echo "1..18"

check "echo server starts" 'start_echo ok'
S=$tmp/ok.sock

"$BENCH" --socket "$S" --requests 1000 --concurrency 4 --expect ok --kv >"$tmp/out" 2>"$tmp/err"
rc=$?
check "1000 requests, 4 connections: exit 0" '[ $rc -eq 0 ]'
check "exactly 1000 requests counted, all OK" \
	'[ "$(kv requests)" = 1000 ] && [ "$(kv ok)" = 1000 ] && [ "$(kv notfound)" = 0 ]'
check "no errors, nothing unexpected" '[ "$(kv errors)" = 0 ] && [ "$(kv mismatched)" = 0 ]'

"$BENCH" --socket "$S" --requests 500 --concurrency 2 --json >"$tmp/out" 2>"$tmp/err"
check "--json prints one line with the counts" \
	'[ "$(wc -l < "$tmp/out")" -eq 1 ] && grep -q "\"requests\":500,.*\"ok\":500," "$tmp/out"'

printf '# comment\na.example\n\nb.example\r\n[mx.c.example]:25\n' >"$tmp/keys"
"$BENCH" --socket "$S" --requests 300 --keys "$tmp/keys" --order zipf --kv >"$tmp/out" 2>"$tmp/err"
check "--keys with --order zipf: 3 keys read, 300 OK" \
	'[ "$(kv keys)" = 3 ] && [ "$(kv ok)" = 300 ]'

"$BENCH" --socket "$S" --requests 200 --churn 10 --kv >"$tmp/out" 2>"$tmp/err"
check "--churn 10: 200 requests reconnect 20 times without errors" \
	'[ "$(kv ok)" = 200 ] && [ "$(kv reconnects)" = 20 ] && [ "$(kv errors)" = 0 ]'

"$BENCH" --socket "$S" --requests 100 --concurrency 2 --idle 50 --kv >"$tmp/out" 2>"$tmp/err"
check "--idle 50: idle connections held, 100 OK" \
	'[ "$(kv ok)" = 100 ] && [ "$(kv idle)" = 50 ] && [ "$(kv idle_reopened)" = 0 ]'

check "echo --reply 'NOTFOUND ' starts" 'start_echo nf --reply "NOTFOUND "'
"$BENCH" --socket "$tmp/nf.sock" --requests 100 --expect ok --kv >"$tmp/out" 2>"$tmp/err"
rc=$?
check "--expect ok against NOTFOUND replies exits 1" \
	'[ $rc -eq 1 ] && [ "$(kv notfound)" = 100 ] && [ "$(kv mismatched)" = 100 ]'
check "and says why on stderr" 'grep -q "100 replies were not OK" "$tmp/err"'

check "echo --reply OK (no value) starts" 'start_echo bad --reply OK'
"$BENCH" --socket "$tmp/bad.sock" --requests 10 --kv >"$tmp/out" 2>"$tmp/err"
rc=$?
check "OK without a value is a bad reply: counted, exit 1" \
	'[ $rc -eq 1 ] && [ "$(kv err_bad)" = 10 ] && [ "$(kv ok)" = 0 ]'

check "echo --max-request 16 starts" 'start_echo perm --max-request 16'
"$BENCH" --socket "$tmp/perm.sock" --requests 1 --key a-rather-long-key.example --kv >"$tmp/out" 2>"$tmp/err"
check "a PERM reply is counted as PERM" '[ "$(kv perm)" = 1 ] && [ "$(kv ok)" = 0 ]'

"$BENCH" --socket "$tmp/nothing-here.sock" --requests 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no server: exit 2 naming the socket" \
	'[ $rc -eq 2 ] && grep -q "nothing-here.sock" "$tmp/err"'

"$BENCH" --requests 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no --socket or --connect: exit 2" '[ $rc -eq 2 ] && grep -q -- "--socket" "$tmp/err"'

printf 'good.example\nbad key.example\n' >"$tmp/badkeys"
"$BENCH" --socket "$S" --keys "$tmp/badkeys" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a bad keys file names file and line" \
	'[ $rc -eq 2 ] && grep -q "badkeys line 2" "$tmp/err"'

exit 0
