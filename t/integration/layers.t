#!/bin/sh
# layers.t: the module groups of doc/ARCHITECTURE.md, and which group may
# call which, checked on every #include "x.h" in daemon/. A lower group
# never includes a higher one's header (it could not call it without),
# and every module belongs to exactly one group, so a new file has to be
# placed before it builds green.
. "$abs_top_srcdir/t/integration/lib.sh"

D=$abs_top_srcdir/daemon

# group MODULE: the group a daemon/ module belongs to (doc/ARCHITECTURE.md)
group() {
	case $1 in
	errbuf|log|config|policy|key|reply|bytes|pidtab|json|netstring) echo base ;;
	record|store|counters) echo store ;;
	answer|server) echo lookup ;;
	probe|smtpresp|certname|dnsmsg) echo probe ;;
	logparse|correlate|hints|learn|learner|tail|jsource|pubsuffix|prober|\
	learnchild|learnd) echo learn ;;
	tlspind) echo program ;;
	*) echo unknown ;;
	esac
}

# may FROM TO: 0 when group FROM may include group TO's headers
may() {
	[ "$1" = "$2" ] && return 0
	case "$1:$2" in
	store:base|lookup:base|lookup:store|probe:base) return 0 ;;
	learn:base|learn:store|learn:probe) return 0 ;;
	program:*) return 0 ;;
	esac
	return 1
}

# the one exception, and why: probe_resolver in tlspin.conf is checked
# by the parser tlspin check --resolver uses, so a value both accept is
# the same value
exception() {
	[ "$1:$2" = "config:dnsmsg" ]
}

bad=0 n=0
for f in "$D"/*.c "$D"/*.h; do
	m=$(basename "$f"); m=${m%.[ch]}
	g=$(group "$m")
	if [ "$g" = unknown ]; then
		ok 1 "daemon/$(basename "$f") is in no group of doc/ARCHITECTURE.md (add it to layers.t and the doc)"
		bad=$((bad + 1))
		continue
	fi
	for inc in $(sed -n 's/^#include "\([a-z_-]*\)\.h".*/\1/p' "$f"); do
		[ "$inc" = autoconf ] && continue
		[ "$inc" = "$m" ] && continue
		n=$((n + 1))
		ig=$(group "$inc")
		if ! may "$g" "$ig" && ! exception "$m" "$inc"; then
			ok 1 "daemon/$(basename "$f") ($g) includes $inc.h ($ig): $g may not call $ig"
			bad=$((bad + 1))
		fi
	done
done
ok "$bad" "every include between modules follows the layers ($n checked)"
[ "$n" -gt 50 ]
ok $? "the check read the includes ($n of them)"

# the groups the test knows are the ones the document names
for g in base store lookup probe learn; do
	grep -q "^| \*\*$g\*\*" "$abs_top_srcdir/doc/ARCHITECTURE.md"
	ok $? "doc/ARCHITECTURE.md describes the $g group"
done
done_testing
