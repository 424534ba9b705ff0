#!/bin/sh
# NAME
#	smoke.sh - build the libFuzzer targets with clang and fuzz each briefly
# SYNOPSIS
#	make fuzz-smoke [FUZZ_SECONDS=60] [FUZZ_TARGETS='key reply']
#	    [FUZZ_CC=clang] [FUZZ_BUILDDIR=DIR] [FUZZ_KEEP_GOING=1]
# DESCRIPTION
#	Run by "make fuzz-smoke" from any configured tree (gcc or clang, in
#	the source directory or not). It configures a separate build with
#	CC=clang --enable-fuzzing in FUZZ_BUILDDIR (default fuzz-build/
#	under the build directory; kept between runs, so later runs only
#	recompile what changed), builds t/fuzz/fuzz-TARGET there, and runs
#	each target for FUZZ_SECONDS on a copy of t/fuzz/corpus/TARGET plus
#	the crash inputs marked "fixed" in t/fuzz/crashes.list, with the
#	libFuzzer dictionary t/fuzz/TARGET.dict when there is one: the
#	source tree is never written to. It then prints, per target, the runs,
#	the executions per second and the corpus size before and after, and
#	the total time.
#
#	With FUZZ_KEEP_GOING=1 a target goes on after a crash (libFuzzer's
#	-fork=1 -ignore_crashes=1) until its time is up, and the distinct
#	places it crashed at are listed: for finding the next bug while a
#	known one is still open. The runs are then fewer (each crash costs a
#	new process) and exec/s is runs divided by FUZZ_SECONDS.
#
#	When a source tree is configured in place, configure refuses a
#	second build from it; the build then uses a mirror of the source
#	tree made of symbolic links (FUZZ_BUILDDIR/src), without the files
#	that configure and make generated.
#
#	Exit status: 0 no target crashed; 1 a target crashed (the input is
#	kept under FUZZ_BUILDDIR/work/TARGET/ and named in the output), or
#	the build failed.

: "${abs_top_srcdir:?abs_top_srcdir is not set (run this through make fuzz-smoke)}"
: "${abs_top_builddir:?abs_top_builddir is not set (run this through make fuzz-smoke)}"
: "${FUZZ_TARGETS:?FUZZ_TARGETS is not set (run this through make fuzz-smoke)}"

secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
fbuild=${FUZZ_BUILDDIR:-$abs_top_builddir/fuzz-build}
srcdir=$abs_top_srcdir
me=fuzz-smoke

case $secs in
''|*[!0-9]*|0)
	echo "$me: FUZZ_SECONDS=$secs is not a whole number of seconds above 0" >&2
	exit 1 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "$me: cannot find the compiler $cc (install clang and" \
	    "libclang-rt-dev, or set FUZZ_CC)" >&2
	exit 1
fi

start=$(date +%s)
mkdir -p "$fbuild" || exit 1
fbuild=$(cd "$fbuild" && pwd) || exit 1
# keep a build inside a git checkout out of "git status"
test -f "$fbuild/.gitignore" || echo '*' >"$fbuild/.gitignore"

# crash_site PROGRAM INPUT: one line saying what INPUT does to PROGRAM,
# "KIND in FUNCTION FILE:LINE" from the sanitizer report, so that many
# inputs that hit the same bug count once.
crash_site() {
	"$1" "$2" >"$2.out" 2>&1
	prop=$(sed -n 's/^.*property violated: /property violated: /p' \
	    "$2.out" | head -n 1)
	if test -n "$prop"; then
		echo "$prop"
		return
	fi
	kind=$(sed -n 's/^SUMMARY: \([A-Za-z]*: [A-Za-z-]*\).*/\1/p' \
	    "$2.out" | head -n 1)
	frame=$(grep -E ' in [A-Za-z_0-9]+ [^ ]*/(daemon|tools)/[^ ]+' \
	    "$2.out" | head -n 1 |
	    sed -E 's#.* in ([A-Za-z_0-9]+) [^ ]*/((daemon|tools)/[^ ]+).*#\1 \2#')
	echo "${kind:-crash} in ${frame:-an unknown place}"
}

# mirror SRC DST: recreate DST as symbolic links to SRC's source files.
mirror() {
	rm -rf "$2" && mkdir -p "$2" || return 1
	(cd "$1" && find . \( -name .git -o -name autom4te.cache \
	    -o -name .deps -o -name .libs -o -name fuzz-build \) -prune \
	    -o -type f -print) |
	while read -r f; do
		case $f in
		./config.status|./config.log|./autoconf.h|./stamp-h1|\
		*/Makefile|*.o|*.a|*.log|*.trs)
			continue ;;
		esac
		mkdir -p "$2/${f%/*}" && ln -s "$1/${f#./}" "$2/$f" || exit 1
	done
}

if test -f "$srcdir/config.status"; then
	echo "$me: $srcdir is configured in place; building from a mirror" \
	    "of it in $fbuild/src"
	mirror "$srcdir" "$fbuild/src" || {
		echo "$me: cannot mirror $srcdir into $fbuild/src" >&2
		exit 1
	}
	srcdir=$fbuild/src
fi

# The sub-make must not see this make's job server or command line.
unset MAKEFLAGS MFLAGS MAKELEVEL
jobs=$(nproc 2>/dev/null || echo 2)

if ! test -f "$fbuild/config.status"; then
	echo "$me: configuring a clang --enable-fuzzing build in $fbuild"
	if ! (cd "$fbuild" && "$srcdir/configure" CC="$cc" \
	    --enable-fuzzing) >"$fbuild/configure.out" 2>&1; then
		tail -n 20 "$fbuild/configure.out" >&2
		echo "$me: configure failed; see $fbuild/configure.out and" \
		    "$fbuild/config.log" >&2
		rm -f "$fbuild/config.status"
		exit 1
	fi
fi

programs=
for t in $FUZZ_TARGETS; do
	programs="$programs t/fuzz/fuzz-$t"
done
echo "$me: building$programs"
if ! make -C "$fbuild" -j"$jobs" $programs >"$fbuild/build.out" 2>&1; then
	tail -n 30 "$fbuild/build.out" >&2
	echo "$me: the fuzz build failed; see $fbuild/build.out" >&2
	exit 1
fi

crashed=
results=
for t in $FUZZ_TARGETS; do
	work=$fbuild/work/$t
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts" || exit 1
	if test -d "$abs_top_srcdir/t/fuzz/corpus/$t"; then
		cp "$abs_top_srcdir/t/fuzz/corpus/$t"/* "$work/corpus/" || exit 1
	fi
	sed -e 's/#.*//' "$abs_top_srcdir/t/fuzz/crashes.list" |
	while read -r target file status why; do
		test "$target" = "$t" && test "$status" = fixed &&
		    cp "$abs_top_srcdir/t/fuzz/crashes/$t/$file" "$work/corpus/"
	done
	seeds=$(ls "$work/corpus" | wc -l)
	set --
	if test -f "$abs_top_srcdir/t/fuzz/$t.dict"; then
		set -- -dict="$abs_top_srcdir/t/fuzz/$t.dict"
	fi
	if test "${FUZZ_KEEP_GOING:-0}" = 1; then
		set -- "$@" -fork=1 -ignore_crashes=1
	fi
	echo "$me: fuzzing $t for $secs s ($seeds seeds)"
	"$fbuild/t/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" \
	    >"$work/log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	# a plain run ends with "#N DONE", a forked one with "#N: cov: ..."
	test -n "$runs" ||
	    runs=$(sed -n 's/^#\([0-9][0-9]*\):\{0,1\}[[:space:]].*/\1/p' \
	    "$work/log" | tail -n 1)
	test -n "$runs" || runs=?
	if test "${FUZZ_KEEP_GOING:-0}" = 1 && test "$runs" != ?; then
		eps=$((runs / secs))
	fi
	test -n "$eps" || eps=?
	grep '^Done [0-9]* runs' "$work/log"
	after=$(ls "$work/corpus" | wc -l)
	artifacts=$(ls "$work/artifacts" 2>/dev/null | grep -v '\.out$' |
	    head -n 100)
	if test "$rc" = 0 && test -z "$artifacts"; then
		verdict=ok
	else
		verdict="CRASH ($(echo "$artifacts" | grep -c .) inputs)"
		crashed="$crashed $t"
		echo "$me: $t crashed; log $work/log; where, and one input each:"
		for a in $artifacts; do
			printf '%s\t%s\n' "$(crash_site "$fbuild/t/fuzz/fuzz-$t" \
			    "$work/artifacts/$a")" "$work/artifacts/$a"
		done | sort -t "$(printf '\t')" -k 1,1 -u |
		    sed -e 's/^/    /' -e "s/$(printf '\t')/: /"
		echo "$me: replay one with $abs_top_builddir/t/fuzz/replay-$t" \
		    "FILE; keep it as t/fuzz/crashes/$t/NAME, listed in" \
		    "t/fuzz/crashes.list"
	fi
	results="$results
$(printf '%-14s %12s %10s %8s %8s  %s' "$t" "$runs" "$eps" "$seeds" \
    "$after" "$verdict")"
done

echo
printf '%-14s %12s %10s %8s %8s  %s\n' target runs exec/s seeds corpus \
    result
echo "$results" | sed 1d
echo "$me: $FUZZ_TARGETS for $secs s each: $(($(date +%s) - start)) s in all"
if test -n "$crashed"; then
	echo "$me: FAILED: crashed:$crashed" >&2
	exit 1
fi
exit 0
