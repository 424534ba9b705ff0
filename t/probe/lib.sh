# t/probe/lib.sh: what the probe tests (servers.t, check.t) share, on top
# of the integration helpers (TAP output, the temp directory $T, need,
# wait_for, skip_all): the test PKI in $PKI, fakesmtp servers started
# and stopped by pid, and the private DNS of dns.sh. Needs bash.

. "$abs_top_srcdir/t/integration/lib.sh"
. "$abs_top_srcdir/t/probe/dns.sh"
FAKESMTP=${FAKESMTP:-$abs_top_builddir/t/probe/fakesmtp}
PKI=$T/pki
SERVER_PIDS=

probe_cleanup() {
	local p
	for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; done
	dns_stop
	lib_cleanup
}
trap probe_cleanup EXIT

# bail_out REASON: the harness itself is broken (exit 99).
bail_out() {
	echo "Bail out! $1"
	exit 99
}

# probe_pki: make the certificates in $PKI, or bail out.
probe_pki() {
	need openssl
	sh "$abs_top_srcdir/t/probe/pki.sh" "$PKI" || bail_out "pki.sh failed"
}

# server NAME [FAKESMTP-ARGS...]: start a fakesmtp and wait until it
# listens; sets PORT and SERVER_PID, keeps the port in $T/NAME.port and
# what it says in $T/NAME.log.
server() {
	local name=$1
	shift
	[ -x "$FAKESMTP" ] || bail_out "$FAKESMTP is not built"
	rm -f "$T/$name.port"
	"$FAKESMTP" --port-file "$T/$name.port" "$@" 2>>"$T/$name.log" &
	SERVER_PID=$!
	SERVER_PIDS="$SERVER_PIDS $SERVER_PID"
	wait_for test -s "$T/$name.port" || {
		diag < "$T/$name.log"
		bail_out "fakesmtp $name ($*) did not start"
	}
	PORT=$(cat "$T/$name.port")
}

port_of() { cat "$T/$1.port"; }	# port_of NAME: the port of server NAME

# tls_server NAME LEAF [FAKESMTP-ARGS...]: a server with $PKI/LEAF.pem.
tls_server() {
	local name=$1 leaf=$2
	shift 2
	server "$name" --cert "$PKI/$leaf.pem" --key "$PKI/$leaf.key" "$@"
}
