#!/bin/sh
# corpus.t: replay every saved fuzz input through its target (TAP).
#
# For each t/fuzz/corpus/TARGET directory, runs the plain replay program
# t/fuzz/replay-TARGET (fuzz-TARGET.c linked with driver.c, built by
# "make check" with the normal compiler and sanitizer flags) over all of
# it: one test per target. Then one test per line of t/fuzz/crashes.list,
# each an input the fuzzer once crashed on, kept in t/fuzz/crashes/TARGET.
# A line marked "open" is a bug not fixed yet: its test is a TAP TODO, so
# it does not fail the suite, and when the bug is fixed it shows up as an
# unexpected pass, which does: then change "open" to "fixed" in the list.
# A last test checks that every file under t/fuzz/crashes is listed.
#
# Exit status: 0 (results are in the TAP lines), 99 on a hard error.

: "${abs_top_srcdir:?abs_top_srcdir is not set (run through make check)}"
: "${abs_top_builddir:?abs_top_builddir is not set (run through make check)}"

fuzzdir=$abs_top_srcdir/t/fuzz
bindir=$abs_top_builddir/t/fuzz
list=$fuzzdir/crashes.list

if ! test -d "$fuzzdir/corpus" || ! test -f "$list"; then
	echo "Bail out! $fuzzdir/corpus or $list is missing"
	exit 99
fi
log=$(mktemp "${TMPDIR:-/tmp}/tlspin-corpus.XXXXXX") || exit 99
trap 'rm -f "$log"' EXIT

# The list without comments and blank lines: TARGET FILE STATUS WHY...
entries() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"
}

ntargets=0
for dir in "$fuzzdir"/corpus/*/; do
	test -d "$dir" && ntargets=$((ntargets + 1))
done
nentries=$(entries | wc -l)
echo "1..$((ntargets + nentries + 1))"
n=0

# replay TARGET PATH DESCRIPTION [DIRECTIVE]: one TAP line.
replay() {
	n=$((n + 1))
	bin=$bindir/replay-$1
	if ! test -x "$bin"; then
		echo "not ok $n - $3: $bin is not built$4"
		return
	fi
	if "$bin" -q "$2" >"$log" 2>&1; then
		echo "ok $n - $3 ($(tail -n 1 "$log"))$4"
	else
		echo "not ok $n - $3$4"
		sed -e 's/^/# /' "$log" | tail -n 20
	fi
}

for dir in "$fuzzdir"/corpus/*/; do
	test -d "$dir" || continue
	target=$(basename "$dir")
	replay "$target" "${dir%/}" "$target: seed corpus"
done

entries | while read -r target file status why; do
	case $status in
	open)	directive=" # TODO open bug: $why" ;;
	fixed)	directive="" ;;
	*)	directive=" # TODO bad status \"$status\" in crashes.list" ;;
	esac
	replay "$target" "$fuzzdir/crashes/$target/$file" \
	    "$target: crash $file" "$directive"
done
n=$((n + nentries))

n=$((n + 1))
unlisted=
if test -d "$fuzzdir/crashes"; then
	for path in "$fuzzdir"/crashes/*/*; do
		test -f "$path" || continue
		file=$(basename "$path")
		target=$(basename "$(dirname "$path")")
		entries | awk -v t="$target" -v f="$file" \
		    '$1 == t && $2 == f { found = 1 } END { exit !found }' ||
		    unlisted="$unlisted $target/$file"
	done
fi
if test -z "$unlisted"; then
	echo "ok $n - every saved crash input is in crashes.list"
else
	echo "not ok $n - every saved crash input is in crashes.list"
	echo "# not listed:$unlisted"
fi
exit 0
