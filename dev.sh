#!/bin/sh
# dev.sh: the two commands a new user needs on a fresh Debian 12.
#
#   ./dev.sh demo   install build dependencies, build, and run tlspind on a
#                   self-contained store and socket under ./run with a few
#                   example pins, then ask it like Postfix does.
#   ./dev.sh test   install test dependencies and run every test: make check
#                   (hardened -O2 -D_FORTIFY_SOURCE=3 -Werror build), make
#                   check again under ASan+UBSan, make distcheck, the
#                   end-to-end suite with a real Postfix (root), the Debian
#                   package: built, checked with lintian, installed,
#                   upgraded and purged (t/deb/deb.t, root), that package
#                   under a real systemd in a Debian 12 container (root),
#                   and a fuzz smoke run.
#   ./dev.sh deb    build the Debian package from a make dist tarball in
#                   build-deb/, check it with lintian, print its path; the
#                   newest is also build-deb/tlspin.deb.
#
# Dependencies are installed with apt-get (as root, or through sudo).
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

BUILD_DEPS="build-essential autoconf automake pkg-config liblmdb-dev libssl-dev libsystemd-dev zlib1g-dev libpsl-dev"
# dpkg-buildpackage (dpkg-dev), dh and dh_autoreconf come with debhelper
DEB_DEPS="debhelper lintian"
TEST_DEPS="postfix lmdb-utils socat curl jq python3 strace systemd systemd-journal-remote unbound ldnsutils swaks faketime openssl clang libclang-rt-14-dev iproute2 util-linux procps groff-base publicsuffix mandoc systemd-container debootstrap zstd prometheus"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing$missing"
	# Postfix must not ask questions; "No configuration" leaves the
	# system's mail setup alone (the tests run their own instances).
	echo "postfix postfix/main_mailer_type select No configuration" |
		as_root debconf-set-selections
	as_root apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
}

# build DIR CONFIGURE-ARGS...: configure and build out of tree in DIR.
build() {
	dir=$1; shift
	[ -x configure ] || ./autogen.sh
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" "$@" >config.out 2>&1 ||
		{ cat config.out; exit 1; })
	make -C "$dir" -j"$(nproc)" >/dev/null
}

# demo_log DOMAIN: three TLS deliveries to DOMAIN as Postfix 3.7 logs them.
demo_log() {
	for i in 1 2 3; do
		ts=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
		echo "$ts demo postfix/smtp[$((4200 + i))]: Trusted TLS connection established to mx.$1[192.0.2.25]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"
		echo "$ts demo postfix/smtp[$((4200 + i))]: 4DEMO${i}A7628A: to=<user$i@$1>, relay=mx.$1[192.0.2.25]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9DEMO$i)"
	done
}

demo() {
	install_deps $BUILD_DEPS postfix
	build build --enable-werror
	run=$top/run
	mkdir -p "$run"
	cat > "$run/tlspin.conf" <<EOT
# Self-contained demo settings: store and socket under $run
store = $run/store
listen = unix:$run/tlspin.sock
mode = enforce
# Learn from a demo log (below). A real setup reads the journal or
# /var/log/mail.log, and keeps the 24h minimum span between deliveries.
log_source = file:$run/maillog
pin_min_span = 0s
EOT
	# tlspind refuses root unless told; the demo's files are root's
	[ "$(id -u)" -eq 0 ] && printf '%s\n' "# demo only: a real setup uses user = tlspin" \
		"user = root" >> "$run/tlspin.conf"
	: > "$run/maillog"
	tl="build/tools/tlspin -c $run/tlspin.conf"
	if [ -f "$run/tlspind.pid" ] && kill "$(cat "$run/tlspind.pid")" 2>/dev/null; then
		sleep 0.5
	fi
	$tl pin example.com --level secure --match mx.example.com --note "demo pin"
	$tl pin example.net --level encrypt --expires 60d
	$tl pin broken.example --level none --note "their STARTTLS is broken"
	build/daemon/tlspind -c "$run/tlspin.conf"
	pgrep -f "tlspind -c $run/tlspin.conf" | head -1 > "$run/tlspind.pid"
	echo
	echo "tlspind is running (pid $(cat "$run/tlspind.pid")), store $run/store"
	echo "Asking it as Postfix does:"
	mkdir -p "$run/postfix" && : > "$run/postfix/main.cf"
	for k in example.com '[example.net]:25' unknown.example; do
		printf '  postmap -q %-18s -> ' "$k"
		/usr/sbin/postmap -c "$run/postfix" -q "$k" \
			"socketmap:unix:$run/tlspin.sock:policy" || echo "(not found: opportunistic TLS)"
	done
	echo
	echo "Postfix delivers three messages to learned.example over TLS:"
	demo_log learned.example >> "$run/maillog"
	sleep 1.5
	$tl list
	echo
	$tl why learned.example
	echo
	echo "Try: $tl show example.com; $tl events; $tl query learned.example; $tl stats"
	echo "Stop it with: kill \$(cat $run/tlspind.pid)"
}

# deb_build: build the Debian package out of a clean copy of the sources
# (a make dist tarball unpacked in build-deb/, so that dpkg-buildpackage
# writes into build-deb/ and nowhere else), fail on any lintian error or
# warning, and print the .deb's path on stdout (the rest goes to stderr).
# build-deb/tlspin.deb names the newest: t/deb/deb.t and the systemd test
# install it.
deb_build() {
	out=$top/build-deb
	ver=$(sed -n 's/^AC_INIT(\[tlspin\], \[\([^]]*\)\].*/\1/p' configure.ac)
	dver=$(dpkg-parsechangelog -l debian/changelog -S Version)
	if [ "$ver" != "$dver" ]; then
		echo "dev.sh: configure.ac says version $ver, debian/changelog $dver:" \
			"they must agree (a release adds an entry for its version" \
			"at the top of debian/changelog)" >&2
		exit 1
	fi
	[ -x configure ] || ./autogen.sh >&2
	mkdir -p "$out/dist"
	(cd "$out/dist" && "$top/configure" >config.out 2>&1) ||
		{ cat "$out/dist/config.out" >&2; exit 1; }
	make -C "$out/dist" dist >/dev/null
	src=$out/tlspin-$ver
	rm -rf "$src" "$out"/tlspin_* "$out"/tlspin-dbgsym_* "$out/tlspin.deb"
	tar -C "$out" -xzf "$out/dist/tlspin-$ver.tar.gz"
	if [ -d .git ] || [ -f .git ]; then
		for f in $(git ls-files debian); do
			[ -e "$src/$f" ] && continue
			echo "dev.sh: $f is not in make dist's tarball:" \
				"add it to EXTRA_DIST in Makefile.am" >&2
			exit 1
		done
	fi
	t0=$(date +%s)
	(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") \
		>"$out/build.log" 2>&1 ||
		{ tail -40 "$out/build.log" >&2
		  echo "dev.sh: dpkg-buildpackage failed, see $out/build.log" >&2
		  exit 1; }
	arch=$(dpkg --print-architecture)
	deb=$out/tlspin_${ver}_$arch.deb
	echo "dev.sh: dpkg-buildpackage took $(($(date +%s) - t0)) s" >&2
	echo "dev.sh: lintian (fails on any error or warning):" >&2
	lintian --fail-on error,warning --display-info --pedantic --show-overrides \
		"$out/tlspin_${ver}_$arch.changes" >&2 ||
		{ echo "dev.sh: lintian found errors or warnings" >&2; exit 1; }
	ln -sf "$(basename "$deb")" "$out/tlspin.deb"
	echo "$deb"
}

# phase TITLE: a heading in the test log, with the time it starts at
phase() { echo "== $(date -u +%H:%M:%S) $*"; }

test_all() {
	phase "installing test dependencies"
	install_deps $BUILD_DEPS $TEST_DEPS $DEB_DEPS
	[ -x configure ] || ./autogen.sh
	phase "make check: hardened build (-O2 -D_FORTIFY_SOURCE=3 -Werror)"
	build build-check --enable-werror CFLAGS="-O2 -g -D_FORTIFY_SOURCE=3"
	make -C build-check check
	phase "make check: ASan+UBSan build"
	build build-asan --enable-werror --enable-sanitizers CFLAGS="-O1 -g"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -C build-asan check
	phase "make distcheck"
	make -C build-check distcheck >build-check/distcheck.out 2>&1 ||
		{ tail -50 build-check/distcheck.out; exit 1; }
	phase "end-to-end: a real Postfix through tlspind"
	# as root (CI) every e2e scenario must run: a skip is a failure
	if [ "$(id -u)" -eq 0 ]; then
		E2E_REQUIRE=1 make -C build-check check-e2e
	else
		make -C build-check check-e2e
	fi
	phase "Debian package: build, lintian, install, upgrade, purge"
	deb=$(deb_build)
	echo "built $deb (also build-deb/tlspin.deb)"
	# as root (CI) it must run: a skip is a failure
	if [ "$(id -u)" -eq 0 ]; then
		DEB_REQUIRE=1 sh t/runner.sh t/deb/deb.t "$deb"
	else
		sh t/runner.sh t/deb/deb.t "$deb"
	fi
	phase "real systemd: the package and its units in a Debian 12 container"
	# as root (CI) it must run: not being able to is a failure
	if [ "$(id -u)" -eq 0 ]; then
		SYSTEMD_REQUIRE=1 make -C build-check check-systemd
	else
		make -C build-check check-systemd
	fi
	phase "fuzz smoke"
	make -C build-check fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
	phase "dev.sh test: all suites passed"
}

case ${1:-} in
demo) demo ;;
test) test_all ;;
deb)
	install_deps $BUILD_DEPS $DEB_DEPS >&2
	deb_build
	;;
*) echo "usage: ./dev.sh demo | ./dev.sh test | ./dev.sh deb" >&2; exit 2 ;;
esac
