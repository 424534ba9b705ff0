# mta-sts.sh: run.sh's comparison with postfix-mta-sts-resolver (Debian
# package postfix-mta-sts-resolver, daemon mta-sts-daemon).  Sourced by
# run.sh after lib.sh.
#
# Its two paths:
# - cached: a domain whose policy is in its cache.  Real policies need DNS
#   and HTTPS, so the sqlite cache is filled beforehand with SIZE enforce
#   policies (its own table layout) and cache_grace is set so high that
#   it answers from the cache without asking DNS whether the policy id
#   changed.
# - unknown: a domain with no cached policy, which costs a DNS TXT query
#   for _mta-sts.DOMAIN on every request (negative answers are not
#   cached by the daemon).  The answer comes from a local unbound that
#   answers NXDOMAIN for everything, as a warm recursive resolver would
#   for a domain without MTA-STS.
#
# Both run in a network namespace of their own that has only a loopback
# interface, with /etc/resolv.conf bind-mounted to that unbound: no query
# can leave the machine.  The socket is a Unix socket, reachable from the
# benchmark's namespace.

# mta_sts_prefill SIZE DB: SIZE cached enforce policies for d1..dSIZE.example.
mta_sts_prefill() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, sqlite3, sys, time
size, path = int(sys.argv[1]), sys.argv[2]
db = sqlite3.connect(path)
# the layout postfix_mta_sts_resolver/sqlite_cache.py creates
db.execute("create table if not exists proactive_fetch_ts "
           "(id integer primary key, last_fetch_ts integer)")
db.execute("create table if not exists sts_policy_cache "
           "(domain text, ts integer, pol_id text, pol_body text)")
db.execute("create unique index if not exists sts_policy_domain "
           "on sts_policy_cache (domain)")
db.execute("create index if not exists sts_policy_domain_ts "
           "on sts_policy_cache (domain, ts)")
now = int(time.time())
db.executemany("insert or replace into sts_policy_cache values (?, ?, ?, ?)",
               ((f"d{i}.example", now, "bench1",
                 json.dumps({"mode": "enforce", "max_age": 86400 * 365,
                             "mx": [f"mx1.d{i}.example"]}))
                for i in range(1, size + 1)))
db.commit()
EOF
}

# mta_sts_run SIZE: the mta_hit and mta_miss rows; sets MTA_NOTE.
mta_sts_run() {
	mdir=$W/mta-sts
	mkdir -p "$mdir"
	if ! command -v unbound >/dev/null 2>&1; then
		MTA_NOTE="skipped: unbound is not installed (needed as the resolver inside the isolated network namespace)"
		return 0
	fi
	if ! unshare -n -m true 2>/dev/null; then
		MTA_NOTE="skipped: cannot create a network namespace (unshare -n -m; run as root)"
		return 0
	fi
	mta_sts_prefill "$1" "$mdir/cache.db" || {
		MTA_NOTE="skipped: could not fill its sqlite cache"
		return 0
	}
	cat >"$mdir/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$mdir"
  pidfile: "$mdir/unbound.pid"
  use-syslog: no
  verbosity: 0
  do-ip6: no
  local-zone: "." static
remote-control:
  control-enable: no
EOF
	echo "nameserver 127.0.0.1" >"$mdir/resolv.conf"
	bench_pidfiles="$bench_pidfiles $mdir/unbound.pid"
	cat >"$mdir/mta-sts-daemon.yml" <<EOF
path: "$mdir/mta-sts.sock"
mode: 0666
cache_grace: 1000000000
cache:
  type: sqlite
  options:
    filename: "$mdir/cache.db"
default_zone:
  strict_testing: false
  timeout: 4
EOF
	# unshare execs sh, which execs the daemon: server_pid is the daemon.
	bench_start mta-sts unshare -n -m sh -c '
		ip link set lo up &&
		mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		{ unbound -c "$1/unbound.conf" >"$1/unbound.log" 2>&1 & } &&
		exec mta-sts-daemon -c "$1/mta-sts-daemon.yml"' sh "$mdir"
	mta_pid=$server_pid
	bench_wait_ready "$mdir/mta-sts.sock" "$mta_pid" mta-sts
	for conc in $BENCH_CONCURRENCY; do
		bench_point mta_hit "$mta_pid" "mta-sts-resolver, cached" "$1 (sqlite)" \
			--socket "$mdir/mta-sts.sock" --concurrency "$conc" \
			--keys "$W/hits.$1" --order random --expect ok
	done
	for conc in $BENCH_CONCURRENCY; do
		bench_point mta_miss "$mta_pid" "mta-sts-resolver, unknown" "$1 (sqlite)" \
			--socket "$mdir/mta-sts.sock" --concurrency "$conc" \
			--keys "$W/misses" --order random --expect notfound
	done
	bench_stop "$mta_pid"
	if [ -s "$mdir/unbound.pid" ]; then
		kill "$(cat "$mdir/unbound.pid")" 2>/dev/null
	fi
	MTA_NOTE="$(dpkg-query -W -f '${Version}' postfix-mta-sts-resolver 2>/dev/null) with its sqlite cache; \"cached\" = policy pre-filled in its cache (answer OK secure match=...), \"unknown\" = a DNS TXT query per request answered NXDOMAIN by a local unbound; both in an isolated network namespace. Its server CPU is the Python process only (unbound not counted)."
}
