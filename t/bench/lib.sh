# lib.sh: helpers shared by the benchmark scripts (run.sh, soak.sh,
# mta-sts.sh).  Sourced, not run.  Servers go on $SERVER_CPU, the client
# on $CLIENT_CPU; every process started here is recorded and stopped by
# its pid on exit.
#
# Needs: BENCH (tools/tlspin-bench), BENCH_ECHO, TLSPIND, TLSPIN, all set
# by "make bench" from the build tree.

: "${BENCH:?run through make bench (BENCH not set)}"
: "${BENCH_DURATION:=5}"	# seconds measured per point
: "${BENCH_WARMUP:=1}"		# seconds sent before measuring
: "${CLIENT_CPU:=0}"
: "${SERVER_CPU:=1}"

bench_pids=
bench_pidfiles=
CLK_TCK=$(getconf CLK_TCK)
# tlspind refuses to run as root unless told to (user = root)
AS_ROOT=
[ "$(id -u)" -eq 0 ] && AS_ROOT="-o user=root"

# bench_log MESSAGE: progress on stderr, so stdout is only the report.
bench_log() {
	printf '%s\n' "bench: $*" >&2
}

# bench_die MESSAGE: stop the run.
bench_die() {
	printf '%s\n' "bench: $*" >&2
	exit 1
}

# bench_pin CPU: the taskset prefix for CPU, empty if pinning is off.
bench_pin() {
	if [ -n "$BENCH_NOPIN" ]; then
		return 0
	fi
	printf 'taskset -c %s' "$1"
}

# bench_setup: work directory, CPU pinning, limits; call once.
bench_setup() {
	ncpu=$(getconf _NPROCESSORS_ONLN)
	BENCH_NOPIN=
	if [ "${BENCH_PIN:-1}" = 0 ]; then
		BENCH_NOPIN=1
	elif [ "$ncpu" -lt 2 ] || ! command -v taskset >/dev/null 2>&1; then
		BENCH_NOPIN=1
		bench_log "fewer than 2 CPUs or no taskset: client and server not pinned"
	fi
	# 1000 idle connections + 100 active need more than the usual 1024.
	ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
	: "${BENCH_WORK:=${TMPDIR:-/tmp}/tlspin-bench.$$}"
	mkdir -p "$BENCH_WORK" || bench_die "cannot create $BENCH_WORK"
	: >"$BENCH_WORK/tlspin.conf"	# defaults only, not /etc/tlspin
	BENCH_LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
	BENCH_STEAL_START=$(awk '$1 == "cpu" {print $9}' /proc/stat)
	BENCH_T_START=$(now_s)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# bench_cleanup: stop what we started (by pid), remove the work dir.
bench_cleanup() {
	for p in $bench_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $bench_pids; do
		bench_wait_gone "$p" 30
	done
	# helpers that wrote a pid file (unbound inside mta-sts.sh)
	for f in $bench_pidfiles; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	if [ -z "$BENCH_KEEP" ]; then
		rm -rf "$BENCH_WORK"
	else
		bench_log "kept $BENCH_WORK"
	fi
}

# bench_wait_gone PID SECONDS: wait for PID to exit, bounded.
bench_wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# bench_start NAME CMD...: start a server on $SERVER_CPU; sets server_pid.
bench_start() {
	name=$1
	shift
	# shellcheck disable=SC2046
	$(bench_pin "$SERVER_CPU") "$@" >"$BENCH_WORK/$name.log" 2>&1 &
	server_pid=$!
	bench_pids="$bench_pids $server_pid"
}

# bench_stop PID: stop a server we started and wait for it.
bench_stop() {
	kill "$1" 2>/dev/null
	bench_wait_gone "$1" 30
	rest=
	for p in $bench_pids; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	bench_pids=$rest
}

# bench_wait_ready SOCKET PID NAME: wait until a request is answered.
bench_wait_ready() {
	i=0
	while [ $i -lt 300 ]; do
		if [ -S "$1" ]; then
			"$BENCH" --socket "$1" --requests 1 --timeout 30 >/dev/null 2>&1
			[ $? -ne 2 ] && return 0
		fi
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/    /' "$BENCH_WORK/$3.log" >&2
	bench_die "$3 did not answer on $1 (log above)"
}

# proc_ticks PID: user+system CPU time of PID, in clock ticks.
proc_ticks() {
	# the command name in field 2 may hold spaces: count after ')'
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# proc_kb PID FIELD: a "FIELD: N kB" line of /proc/PID/status.
proc_kb() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null
}

# now_s: wall clock with fractions.
now_s() {
	date +%s.%N
}

# sys_busy: busy clock ticks of all CPUs since boot (all but idle, iowait).
sys_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# bench_quiet: before a point, wait (at most BENCH_QUIET_WAIT s, default
# 10) until the machine is quiet: less than BENCH_QUIET_PCT (default 10)
# percent of all CPUs busy over half a second.  On a shared machine other
# work would otherwise land in the figures.
bench_quiet() {
	waited=0
	while :; do
		b0=$(sys_busy)
		sleep 0.5
		b1=$(sys_busy)
		busy=$(awk -v a="$b0" -v b="$b1" -v hz="$CLK_TCK" -v n="$(getconf _NPROCESSORS_ONLN)" \
			'BEGIN { printf "%d", (b - a) / hz / 0.5 / n * 100 }')
		[ "$busy" -lt "${BENCH_QUIET_PCT:-10}" ] && break
		waited=$((waited + 1))
		if [ $waited -ge $((${BENCH_QUIET_WAIT:-10} * 2)) ]; then
			BENCH_BUSY_POINTS=$((BENCH_BUSY_POINTS + 1))
			break
		fi
	done
	BENCH_WAITED=$((BENCH_WAITED + waited))
}
BENCH_WAITED=0
BENCH_BUSY_POINTS=0

# kv_get LINE FIELD: a field of a tlspin-bench --kv line.
kv_get() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# bench_point TAG PID LABEL STORE ARGS...: run tlspin-bench against the
# server PID on its socket; append a result row to $BENCH_WORK/rows:
# tag label store conc rps p50 p90 p99 p999 max cpu% rss anon ok nf other
# client-cpu% foreign-cpu%
bench_point() {
	tag=$1 pid=$2 label=$3 store=$4
	shift 4
	bench_quiet
	t0=$(proc_ticks "$pid")
	s0=$(sys_busy)
	w0=$(now_s)
	# shellcheck disable=SC2046
	line=$($(bench_pin "$CLIENT_CPU") "$BENCH" --kv --warmup "$BENCH_WARMUP" \
		--duration "$BENCH_DURATION" "$@" 2>"$BENCH_WORK/point.err")
	rc=$?
	w1=$(now_s)
	s1=$(sys_busy)
	t1=$(proc_ticks "$pid")
	rss=$(proc_kb "$pid" VmRSS)
	anon=$(proc_kb "$pid" RssAnon)
	if [ -z "$line" ]; then
		cat "$BENCH_WORK/point.err" >&2
		bench_log "$label: tlspin-bench failed (exit $rc)"
		return 1
	fi
	if [ $rc -ne 0 ]; then
		bench_log "$label c=$(kv_get "$line" concurrency): $(tail -n 2 "$BENCH_WORK/point.err" | tr '\n' ' ')"
	fi
	cpu=$(awk -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$CLK_TCK" \
		'BEGIN { if (a == "" || b == "") print "-"; else printf "%.0f", (b - a) / hz / (w1 - w0) * 100 }')
	# CPU used by anything but this server and this client, % of all CPUs
	foreign=$(awk -v s0="$s0" -v s1="$s1" -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" \
		-v c="$(kv_get "$line" client_cpu_s)" -v hz="$CLK_TCK" -v n="$(getconf _NPROCESSORS_ONLN)" \
		'BEGIN { f = ((s1 - s0) - (b - a)) / hz - c; if (f < 0) f = 0;
			 printf "%.0f", f / (w1 - w0) / n * 100 }')
	client=$(awk -v c="$(kv_get "$line" client_cpu_s)" -v w0="$w0" -v w1="$w1" \
		'BEGIN { printf "%.0f", c / (w1 - w0) * 100 }')
	other=$(( $(kv_get "$line" temp) + $(kv_get "$line" perm) + $(kv_get "$line" timeout) + $(kv_get "$line" errors) ))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$tag" "$label" "$store" "$(kv_get "$line" concurrency)" \
		"$(kv_get "$line" rps)" "$(kv_get "$line" p50_us)" \
		"$(kv_get "$line" p90_us)" "$(kv_get "$line" p99_us)" \
		"$(kv_get "$line" p999_us)" "$(kv_get "$line" max_us)" \
		"$cpu" "${rss:--}" "${anon:--}" \
		"$(kv_get "$line" ok)" "$(kv_get "$line" notfound)" "$other" \
		"$client" "$foreign" >>"$BENCH_WORK/rows"
	bench_log "$label $store c=$(kv_get "$line" concurrency): $(kv_get "$line" rps) req/s, p99 $(kv_get "$line" p99_us) us, cpu $cpu%"
}

# bench_medians: one row per (tag, concurrency, store) out of its repeats,
# plus the lowest and highest req/s and the number of runs, into
# $BENCH_WORK/medians (columns as in rows, then min, max, runs).  Which
# run: BENCH_PICK=quietest (default) the median by req/s of the runs
# during which the rest of the machine used the least CPU (on a shared
# machine the others measure someone else's work too), or
# BENCH_PICK=median, the median of all.
bench_medians() {
	sort -t "$(printf '\t')" -k1,1 -k4,4n -k3,3 -k5,5g "$BENCH_WORK/rows" | awk -F '\t' \
	    -v pick="${BENCH_PICK:-quietest}" '
		function flush(   i, best, least, m, quiet) {
			if (n == 0) return
			best = int((n + 1) / 2)
			if (pick == "quietest") {
				# the runs within 2 points of the least disturbed
				# one; of those (sorted by req/s) the median
				least = other[1] + 0
				for (i = 2; i <= n; i++)
					if (other[i] + 0 < least)
						least = other[i] + 0
				m = 0
				for (i = 1; i <= n; i++)
					if (other[i] + 0 <= least + 2)
						quiet[++m] = i
				best = quiet[int((m + 1) / 2)]
			}
			print row[best] "\t" lo "\t" hi "\t" n
		}
		{
			key = $1 SUBSEP $3 SUBSEP $4
			if (key != last) { flush(); n = 0; lo = $5 }
			last = key
			row[++n] = $0
			other[n] = $18
			hi = $5
		}
		END { flush() }' OFS='\t' >"$BENCH_WORK/medians"
}

# bench_table TAG...: the median rows with these tags as a Markdown table.
bench_table() {
	bench_medians
	printf '| server | store | conc | req/s | req/s range | p50 us | p90 us | p99 us | p99.9 us | max us | server CPU | client CPU | other CPU | VmRSS | RssAnon | OK | NOTFOUND | other replies, errors |\n'
	printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
	for tag in "$@"; do
		awk -F '\t' -v t="$tag" '$1 == t {
			printf "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s%% | %s%% | %s%% | %s | %s | %s | %s | %s |\n",
			    $2, $3, $4, $5,
			    ($21 > 1 ? sprintf("%.0f-%.0f (%d runs)", $19, $20, $21) : "1 run"),
			    $6, $7, $8, $9, $10, $11, $17, $18,
			    ($12 == "-" ? "-" : sprintf("%.1f MB", $12 / 1024)),
			    ($13 == "-" ? "-" : sprintf("%.2f MB", $13 / 1024)),
			    $14, $15, $16 }' "$BENCH_WORK/medians"
	done
}

# bench_row TAG CONC FIELD: one figure of a median row (fields as in
# bench_point: 5 = req/s, 8 = p99, 13 = RssAnon kB).
bench_row() {
	bench_medians
	awk -F '\t' -v t="$1" -v c="$2" -v f="$3" '$1 == t && $4 == c { print $f; exit }' \
		"$BENCH_WORK/medians"
}

# bench_gen_policies N FILE: N tls_policy lines, every 10th a secure pin.
bench_gen_policies() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			if (i % 10 == 0)
				printf "d%d.example secure match=mx1.d%d.example:mx2.d%d.example\n", i, i, i
			else
				printf "d%d.example encrypt\n", i
	}' >"$2"
}

# bench_gen_misses N FILE: N unknown keys spread across the key space of
# bench_gen_policies' stores: dI.example.net sorts right after dI.example,
# so a miss walks the same B-tree pages as a hit, not the last leaf.
bench_gen_misses() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "d%d.example.net\n", i }' >"$2"
}

# bench_gen_keys PREFIX N FILE: N keys PREFIX1.example ... PREFIXN.example.
bench_gen_keys() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%d.example\n", p, i }' >"$3"
}

# bench_machine: the machine and the build, for the report.
bench_machine() {
	printf -- '- CPU: %s, %s cores online, %s\n' \
		"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)" \
		"$(getconf _NPROCESSORS_ONLN)" \
		"$(if grep -qw hypervisor /proc/cpuinfo; then echo "virtual machine $(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p')"; else echo "bare metal"; fi)"
	printf -- '- memory: %s MB; kernel %s; clocksource %s\n' \
		"$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)" "$(uname -r)" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	printf -- '- build: CFLAGS %s%s\n' "${BENCH_CFLAGS:-?}" \
		"${BENCH_SAN_CFLAGS:+ $BENCH_SAN_CFLAGS (SANITIZERS: figures not meaningful)}"
	if [ -n "$BENCH_NOPIN" ]; then
		printf -- '- client and server not pinned\n'
	else
		printf -- '- client pinned to CPU %s, server to CPU %s (taskset)\n' "$CLIENT_CPU" "$SERVER_CPU"
	fi
	printf -- '- load average at the start: %s, at the end: %s; CPU steal during the run: %s%%\n' \
		"$BENCH_LOAD_START" "$(cut -d ' ' -f 1-3 /proc/loadavg)" \
		"$(awk -v s0="$BENCH_STEAL_START" -v t0="$BENCH_T_START" -v t1="$(now_s)" \
		    -v hz="$CLK_TCK" -v n="$(getconf _NPROCESSORS_ONLN)" \
		    '$1 == "cpu" { printf "%.1f", ($9 - s0) / hz / (t1 - t0) / n * 100 }' /proc/stat)"
	printf -- '- waited %s s in all for a quiet machine (< %s%% CPU busy) before points; %s point(s) started on a busy one anyway\n' \
		"$((BENCH_WAITED / 2))" "${BENCH_QUIET_PCT:-10}" "$BENCH_BUSY_POINTS"
	printf -- '- server CPU: %% of one core; client CPU: %% of one core (tlspin-bench itself); other CPU: everything else on the machine, %% of all cores\n'
	printf -- '- %s s measured per point after %s s warm-up, each point run %s times; shown: the %s run, and the range of req/s over all runs; keys picked at random over the whole store\n' \
		"$BENCH_DURATION" "$BENCH_WARMUP" "${BENCH_REPEAT:-1}" \
		"$( [ "${BENCH_PICK:-quietest}" = median ] && echo median || echo "median of the quietest (other CPU within 2 points of the least)")"
}
