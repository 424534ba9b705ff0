# t/probe/dns.sh: a private DNS server for the probe tests, without root.
#
# Source it from bash (it uses $RANDOM and local), then:
#   dns_start DIR ZONEFILE   run unbound as the current user on 127.0.0.1
#                            at a free high port, answering the records of
#                            ZONEFILE and NXDOMAIN for every other name;
#                            sets DNS_PORT and DNS_PID. Returns 77 when
#                            unbound is not installed, 1 when it cannot
#                            start (its log is printed on stderr).
#   dns_stop                 stop it, by pid.
#   dns_query NAME TYPE      ask it (A, AAAA, MX, TXT, TLSA, ...): prints
#                            one answer a line in zone file form ("10
#                            mx.good.test.", "\"v=STSv1; id=1\"", "3 1 1
#                            abcd...") or the RCODE (NXDOMAIN); returns 0
#                            with answers, 1 without, 2 on no reply, 77
#                            without python3 (the only DNS client
#                            Debian's test machines are sure to have:
#                            dig and unbound-host are not installed).
#
# ZONEFILE has one record a line in zone file form, with absolute names:
#   good.test. MX 10 mx.good.test.
#   mx.good.test. A 127.0.0.1
#   _mta-sts.good.test. TXT "v=STSv1; id=20240101"
#   _2525._tcp.mx.dane.test. TLSA 3 1 1 <64 hex digits>
# Blank lines and lines starting with # are left out. The records become
# unbound "local-data:"; every name is in local zones (test. and the
# root) so unbound never sends a query off this machine.

DNS_PORT=
DNS_PID=
DNS_DIR=

# dns_write_conf DIR ZONEFILE PORT: write DIR/unbound.conf.
dns_write_conf() {
	{
		echo "server:"
		echo "  interface: 127.0.0.1"
		echo "  port: $3"
		# Off, or a second unbound could share the port and the queries.
		echo "  so-reuseport: no"
		echo "  do-ip6: no"
		echo "  do-daemonize: no"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  directory: \"$1\""
		echo "  pidfile: \"\""
		echo "  use-syslog: no"
		echo "  logfile: \"\""
		echo "  verbosity: 1"
		echo "  num-threads: 1"
		echo "  access-control: 127.0.0.0/8 allow"
		echo "  do-not-query-localhost: no"
		# No validator: the test zones are not signed, no trust anchor.
		echo "  module-config: \"iterator\""
		echo "  local-zone: \".\" static"
		echo "  local-zone: \"test.\" static"
		sed -e 's/^[[:space:]]*//' -e '/^$/d' -e '/^#/d' \
			-e "s/.*/  local-data: '&'/" "$2"
		echo "remote-control:"
		echo "  control-enable: no"
	} > "$1/unbound.conf"
}

dns_start() {
	local dir=$1 zone=$2 try port i
	UNBOUND=${UNBOUND:-/usr/sbin/unbound}
	[ -x "$UNBOUND" ] || return 77
	[ -r "$zone" ] || { echo "dns_start: cannot read $zone" >&2; return 1; }
	mkdir -p "$dir" || return 1
	DNS_DIR=$dir
	for try in 1 2 3 4 5 6 7 8; do
		# Below the kernel's ephemeral range, where the servers under
		# test get their ports.
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		dns_write_conf "$dir" "$zone" "$port" || return 1
		if [ "$try" = 1 ] && [ -x "${UNBOUND}-checkconf" ]; then
			"${UNBOUND}-checkconf" "$dir/unbound.conf" > "$dir/checkconf.log" 2>&1 || {
				cat "$dir/checkconf.log" >&2
				return 1
			}
		fi
		: > "$dir/unbound.log"
		"$UNBOUND" -d -c "$dir/unbound.conf" >> "$dir/unbound.log" 2>&1 &
		DNS_PID=$!
		# Logged once the ports are open and the worker runs.
		i=0
		while [ $i -lt 200 ]; do
			if grep -q "start of service" "$dir/unbound.log"; then
				DNS_PORT=$port
				return 0
			fi
			kill -0 "$DNS_PID" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
		DNS_PID=
		# Only a port in use is worth another try.
		grep -q "could not open ports\|can't bind" "$dir/unbound.log" || break
	done
	echo "dns_start: unbound did not start:" >&2
	cat "$dir/unbound.log" >&2
	return 1
}

dns_stop() {
	[ -n "$DNS_PID" ] || return 0
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	DNS_PID=
}

dns_query() {
	local py=python3
	# The system's own, not a wrapper that may stand first in PATH.
	[ -x /usr/bin/python3 ] && py=/usr/bin/python3
	command -v "$py" >/dev/null 2>&1 || return 77
	"$py" - "$1" "$2" "$DNS_PORT" <<'EOF'
# A DNS query over UDP with the standard library only; prints the answers
# of the asked type in zone file form.
import random, socket, struct, sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16,
         "AAAA": 28, "TLSA": 52}
RCODES = {1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
name, qtype, port = sys.argv[1], TYPES[sys.argv[2].upper()], int(sys.argv[3])

qid = random.randrange(65536)
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    query += bytes([len(label)]) + label.encode()
query += b"\0" + struct.pack(">HH", qtype, 1)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(query, ("127.0.0.1", port))
    msg = s.recv(65535)
except OSError as e:
    print("no reply: %s" % e)
    sys.exit(2)

def read_name(off):
    """The name at OFF and the offset after it (compression followed)."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n >= 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 50:
                raise ValueError("compression loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)

rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
if rid != qid:
    print("wrong id")
    sys.exit(2)
if flags & 0xF:
    print(RCODES.get(flags & 0xF, "RCODE%d" % (flags & 0xF)))
    sys.exit(1)
off = 12
for _ in range(qd):
    off = read_name(off)[1] + 4
found = 0
for _ in range(an):
    off = read_name(off)[1]
    rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
    off += 10
    rdata = msg[off:off + rdlen]
    if rtype == qtype:
        found += 1
        if rtype == 1:
            print(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28:
            print(socket.inet_ntop(socket.AF_INET6, rdata))
        elif rtype == 15:
            print("%d %s" % (struct.unpack(">H", rdata[:2])[0], read_name(off + 2)[0]))
        elif rtype == 16:
            parts, i = [], 0
            while i < len(rdata):
                parts.append('"%s"' % rdata[i + 1:i + 1 + rdata[i]].decode("ascii", "replace"))
                i += 1 + rdata[i]
            print(" ".join(parts))
        elif rtype == 52:
            print("%d %d %d %s" % (rdata[0], rdata[1], rdata[2], rdata[3:].hex()))
        elif rtype in (2, 5):
            print(read_name(off)[0])
        else:
            print(rdata.hex())
    off += rdlen
sys.exit(0 if found else 1)
EOF
}
