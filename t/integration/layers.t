#!/bin/sh
# layers.t: the module groups of doc/ARCHITECTURE.md, and which group may
# call which, checked on every #include "x.h" in daemon/. A group is a
# folder (daemon/base, store, lookup, probe, learn); a lower group never
# includes a higher one's header (it could not call it without), and
# every module lives in a group's folder, so a new file has to be placed
# before it builds green.
. "$abs_top_srcdir/t/integration/lib.sh"

D=$abs_top_srcdir/daemon
GROUPS="base store lookup probe learn"

# group MODULE: the folder of daemon/ that holds MODULE.h or MODULE.c
# (the folder is the group); "program" for tlspind.c, "unknown" else
group() {
	for g in $GROUPS; do
		if [ -f "$D/$g/$1.h" ] || [ -f "$D/$g/$1.c" ]; then
			echo "$g"
			return
		fi
	done
	[ "$1" = tlspind ] && echo program && return
	echo unknown
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
for f in "$D"/*.c "$D"/*.h "$D"/*/*.c "$D"/*/*.h; do
	[ -f "$f" ] || continue
	m=$(basename "$f"); m=${m%.[ch]}
	g=$(group "$m")
	if [ "$g" = unknown ]; then
		ok 1 "daemon/$(basename "$f") is in no group: move it to one of the folders $GROUPS (doc/ARCHITECTURE.md)"
		bad=$((bad + 1))
		continue
	fi
	for inc in $(sed -n 's/^#include "\([a-z_-]*\)\.h".*/\1/p' "$f"); do
		[ "$inc" = autoconf ] && continue
		[ "$inc" = "$m" ] && continue
		n=$((n + 1))
		ig=$(group "$inc")
		if ! may "$g" "$ig" && ! exception "$m" "$inc"; then
			ok 1 "${f#"$D"/} ($g) includes $inc.h ($ig): $g may not call $ig"
			bad=$((bad + 1))
		fi
	done
done
ok "$bad" "every include between modules follows the layers ($n checked)"
[ "$n" -gt 50 ]
ok $? "the check read the includes ($n of them)"

# each folder holds exactly the modules the document lists for its group
for g in $GROUPS; do
	doc=$(grep "^| \*\*$g\*\* |" "$abs_top_srcdir/doc/ARCHITECTURE.md" |
		cut -d'|' -f3 | tr -d '`' | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
	have=$(for f in "$D/$g"/*.[ch]; do m=$(basename "$f"); echo "${m%.[ch]}"; done |
		sort -u | tr '\n' ' ')
	is "$doc" "$have" "doc/ARCHITECTURE.md lists the modules of daemon/$g"
done
done_testing
