# report.sh: print the Markdown report of a benchmark run from its work
# directory (rows, stores, state, machine.md).  Sourced by run.sh at the
# end of a run; run by hand it prints the report of a kept run again,
# e.g. with another BENCH_PICK:
#   BENCH_KEEP=1 make bench ...; sh t/bench/report.sh WORKDIR

# bench_report: the whole report on stdout.
bench_report() {
	echo "## Benchmark"
	echo
	cat "$W/machine.md"
	echo
	echo "### Throughput and latency ($MAIN_SIZE-domain store)"
	echo
	bench_table echo hit miss mta_hit mta_miss
	echo
	[ -n "$MTA_NOTE" ] && echo "postfix-mta-sts-resolver: $MTA_NOTE" && echo
	echo "### Targets (ratios of the runs shown, all from this run)"
	echo
	echo "| concurrency | tlspind / echo req/s (target >= 0.95) | tlspind p99 / echo p99 (target <= 1.2) | unknown / echo req/s | unknown p99 / echo p99 |"
	echo "|---:|---:|---:|---:|---:|"
	for conc in $BENCH_CONCURRENCY; do
		echo "| $conc | $(ratio "$(bench_row hit "$conc" 5)" "$(bench_row echo "$conc" 5)") | $(ratio "$(bench_row hit "$conc" 8)" "$(bench_row echo "$conc" 8)") | $(ratio "$(bench_row miss "$conc" 5)" "$(bench_row echo "$conc" 5)") | $(ratio "$(bench_row miss "$conc" 8)" "$(bench_row echo "$conc" 8)") |"
	done
	echo
	echo "- tlspind RssAnon with $MAIN_SIZE domains after all the points above: $(awk -v a="$main_anon" 'BEGIN {printf "%.2f MB (%d kB)", a / 1024, a}') (target < 4 MB)"
	echo
	echo "### Store size"
	echo
	echo "| domains | import time | data.mdb |"
	echo "|---:|---:|---:|"
	awk -F '\t' '{ printf "| %s | %s s | %s MB |\n", $1, $2, $3 }' "$W/stores"
	echo
	bench_table size1 size10
	echo
	echo "| concurrency | p50 largest / smallest store | p99 largest / smallest store | req/s largest / smallest |"
	echo "|---:|---:|---:|---:|"
	first=$(echo "$BENCH_SIZES" | awk '{print $1}')
	last=$(echo "$BENCH_SIZES" | awk '{print $NF}')
	for conc in 1 10; do
		lo=$(awk -F '\t' -v t="size$conc" -v s="$first" '$1 == t && $3 == s' "$W/medians")
		hi=$(awk -F '\t' -v t="size$conc" -v s="$last" '$1 == t && $3 == s' "$W/medians")
		echo "| $conc | $(ratio "$(echo "$hi" | cut -f6)" "$(echo "$lo" | cut -f6)") | $(ratio "$(echo "$hi" | cut -f8)" "$(echo "$lo" | cut -f8)") | $(ratio "$(echo "$hi" | cut -f5)" "$(echo "$lo" | cut -f5)") |"
	done
	echo
	echo "### Under load (concurrency 10)"
	echo
	bench_table quiet write base10 idle
	echo
	echo "- writer: tlspin $WRITER of $writer_lines lines into the $MAIN_SIZE-domain store being read, in a loop while each \"while writes\" point ran ($writer_runs runs, $writer_avg s each on average), not pinned to a core (it competes with both)"
	[ "$WRITER" = import ] && echo "- tlspin learn does not exist yet: tlspin import stands in for the learner's writes"
	echo "- idle: 1000 connections opened before the clock starts and held open while 10 others send; \"pinned\" beside it is the same daemon without them (max_clients = 2000 for this run: the default 1000 refuses the 1001st connection)"
}

# ratio A B: A/B with two decimals, or - when a figure is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'
}

if [ -z "$BENCH_LIB" ] && [ $# -eq 1 ]; then
	# run by hand on a kept work directory
	BENCH=unused
	BENCH_WORK=$1
	W=$1
	. "$(dirname "$0")/lib.sh"
	. "$W/state"
	bench_report
fi
