# t/systemd/lib.sh: TAP output, bounded waits, the container's life and the
# installation of tlspin in it; sourced by t/systemd/run.sh (bash).
#
# The container: a copy of the cached tree (image.sh) in a work directory,
# booted with systemd-nspawn (systemd as PID 1, a private network, no
# registration with a machined the host does not have) and entered with
# nsenter into every namespace of its PID 1. sd_stop powers it off (and
# kills it if it does not go in SD_STOP_WAIT seconds); run.sh calls it
# from its EXIT trap, so the container never outlives a run.

SD_TIMEOUT=${SD_TIMEOUT:-30}	# seconds any one wait may take
SD_STOP_WAIT=20
SD_TESTS=0
SD_FAILED=0

# --------------------------------------------------------------- TAP

sd_ok() {	# sd_ok STATUS DESCRIPTION
	SD_TESTS=$((SD_TESTS + 1))
	if [ "$1" = 0 ]; then
		echo "ok $SD_TESTS - $2"
	else
		echo "not ok $SD_TESTS - $2"
		SD_FAILED=$((SD_FAILED + 1))
	fi
	return "$1"
}

sd_is() {	# sd_is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	sd_ok $? "$3" || printf '#   got:  "%s"\n#   want: "%s"\n' "$1" "$2"
}

sd_like() {	# sd_like GOT REGEX DESCRIPTION
	printf '%s\n' "$1" | grep -Eq -- "$2"
	sd_ok $? "$3" || printf '#   got:  "%s"\n#   want: /%s/\n' "$1" "$2"
}

sd_diag() { sed 's/^/# /'; }

sd_bail() {
	echo "Bail out! $*"
	exit 99
}

# sd_wait SECONDS WHAT COMMAND...: run COMMAND every 0.1 s until it
# succeeds, for at most SECONDS; on a timeout say what was awaited.
sd_wait() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(date +%s%N) + limit * 1000000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -lt "$end" ] || break
		sleep 0.1
	done
	echo "# still waiting after ${limit}s for $what"
	return 1
}

sd_ms() { echo $(($(date +%s%N) / 1000000)); }
sd_secs() {	# sd_secs START_MS: seconds since then, one decimal
	local ms=$(($(sd_ms) - $1))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# --------------------------------------------------------------- container

# sd_in COMMAND...: run COMMAND in the container as its root, with a
# clean environment.
sd_in() {
	nsenter -t "$SD_PID1" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 HOME=/root "$@"
}

# sd_inside SUBCOMMAND ARGS...: t/systemd/inside.sh in the container.
sd_inside() { sd_in sh /usr/local/share/tlspin-test/inside.sh "$@"; }

# sd_unpack TARBALL: the container's tree in $SD_WORK/root.
sd_unpack() {
	SD_ROOT=$SD_WORK/root
	mkdir "$SD_ROOT" && tar -C "$SD_ROOT" -I zstd -xf "$1" || return 1
	mkdir -p "$SD_ROOT/usr/local/share/tlspin-test"
	cp "$SD_DIR/inside.sh" "$abs_top_srcdir/contrib/tlspin.conf.example" \
	    "$SD_ROOT/usr/local/share/tlspin-test/"
}

# The container's PID 1: nspawn's child once it has become systemd.
sd_find_pid1() {
	local p
	for p in $(pgrep -P "$SD_NSPAWN"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = systemd ] || continue
		SD_PID1=$p
		return 0
	done
	return 1
}

sd_running() {
	local s
	s=$(sd_in systemctl is-system-running 2>/dev/null)
	[ "$s" = running ] || [ "$s" = degraded ]
}

# sd_boot: boot the tree; 1 (with nspawn's output) if it does not come up.
sd_boot() {
	systemd-nspawn -D "$SD_ROOT" -b --register=no --keep-unit \
	    --private-network --console=passive \
	    -M "tlspin-test-$$" >"$SD_WORK/nspawn.log" 2>&1 &
	SD_NSPAWN=$!
	if ! sd_wait "$SD_TIMEOUT" "the container's systemd" sd_find_pid1 ||
	    ! sd_wait "$SD_TIMEOUT" "the container to finish booting" sd_running; then
		sd_diag <"$SD_WORK/nspawn.log"
		return 1
	fi
}

sd_gone() { ! kill -0 "$1" 2>/dev/null; }

# sd_stop: power the container off (SIGTERM to nspawn asks its systemd to),
# kill it if it is not gone in SD_STOP_WAIT seconds.
sd_stop() {
	[ -n "${SD_NSPAWN-}" ] || return 0
	kill -TERM "$SD_NSPAWN" 2>/dev/null
	if ! sd_wait "$SD_STOP_WAIT" "the container to power off" sd_gone "$SD_NSPAWN"; then
		[ -n "${SD_PID1-}" ] && kill -KILL "$SD_PID1" 2>/dev/null
		kill -KILL "$SD_NSPAWN" 2>/dev/null
	fi
	wait "$SD_NSPAWN" 2>/dev/null
	SD_NSPAWN=
}

# sd_cleanup_work: remove the work directory, unless something is still
# mounted under it (then it is left, and said).
sd_cleanup_work() {
	[ -n "${SD_WORK-}" ] && [ -d "$SD_WORK" ] || return 0
	if grep -qF " $SD_WORK/" /proc/self/mountinfo; then
		echo "# $SD_WORK still has mounts: left in place" >&2
		return 1
	fi
	rm -rf --one-file-system "$SD_WORK"
}

# --------------------------------------------------------------- install

# sd_install: put tlspin into the booted container the way an admin does:
# dpkg -i of the package (TLSPIN_DEB, default build-deb/tlspin.deb in the
# source tree, which dev.sh test builds just before this test; when it is
# missing, ./dev.sh deb builds it, lintian-checked, the same way).
sd_install() {
	local deb=${TLSPIN_DEB:-$abs_top_srcdir/build-deb/tlspin.deb}
	if [ ! -f "$deb" ]; then
		[ -z "${TLSPIN_DEB:-}" ] ||
			{ echo "# TLSPIN_DEB=$deb: no such file"; return 1; }
		"$abs_top_srcdir/dev.sh" deb >"$SD_WORK/deb-build.log" 2>&1 ||
			{ tail -30 "$SD_WORK/deb-build.log" | sd_diag; return 1; }
	fi
	SD_INSTALLED="package $(basename "$(readlink -f "$deb")")"
	cp "$deb" "$SD_ROOT/var/tmp/tlspin.deb" &&
		sd_in dpkg -i /var/tmp/tlspin.deb >"$SD_WORK/install.log" 2>&1 ||
		{ sd_diag <"$SD_WORK/install.log"; return 1; }
}
