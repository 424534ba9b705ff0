# t/systemd/image.sh: the Debian 12 tree the real-systemd test boots,
# sourced by t/systemd/run.sh (bash).
#
# sd_image_ensure builds it once and caches it as a tarball in
# SD_CACHE (default /var/cache/tlspin-test), named after a hash of what
# goes into it (the package list, the suite, the mirror and the version of
# this recipe): a changed list is a new tarball, a missing one is rebuilt.
# The tree comes from the Debian mirror this machine's apt is configured
# with (read from its sources, never a host written here): debootstrap
# (minbase) with systemd as init, then, in a chroot, the machine's apt
# sources, Postfix with the debconf answer "No configuration" (the test
# configures it inside the container) and the libraries tlspin links
# against, so that the package or "make install" output runs there with
# no network.

# What the tree holds. Bump SD_IMAGE_RECIPE when the recipe changes in a
# way the lists do not show.
SD_IMAGE_RECIPE=1
SD_SUITE=bookworm
SD_DEBOOTSTRAP_PKGS="systemd,systemd-sysv"
SD_APT_PKGS="postfix iproute2 adduser ca-certificates liblmdb0 libssl3 \
libsystemd0 libpsl5 zlib1g publicsuffix"
SD_CACHE=${SD_CACHE:-/var/cache/tlspin-test}
SD_NET_LIMIT=900	# seconds debootstrap, or apt in the tree, may take

# sd_mirror: the URI of the first Debian archive in this machine's apt
# sources that serves SD_SUITE (deb822 .sources files first, then
# one-line sources.list files); fails when there is none.
sd_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SD_SUITE" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && uri != "" &&
				    (" " suites " ") ~ (" " suite " ")) {
					print uri; found = 1; exit
				}
				types = uri = suites = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			END { if (!found) flush() }
		' "$f" | head -1
	done | head -1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$SD_SUITE" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) while ($i !~ /\]$/) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				if ($(i + 1) == suite) { print $i; exit }
			}' | grep .
}

# sd_image_key MIRROR: the cache name for the tree made from MIRROR.
sd_image_key() {
	printf '%s\n' "$SD_IMAGE_RECIPE" "$SD_SUITE" "$1" \
	    "$SD_DEBOOTSTRAP_PKGS" "$SD_APT_PKGS" | sha256sum | cut -c1-16
}

# sd_image_apt_sources ROOT: this machine's apt sources for SD_SUITE (and
# its -updates and -security suites) into the tree, so that its packages
# are the versions the host builds against.
sd_image_apt_sources() {
	local f
	rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
	    /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		grep -qw "$SD_SUITE" "$f" || continue
		case $f in
		*.sources) awk -v suite="$SD_SUITE" '
			# whole paragraphs whose suites are all ours
			function flush() {
				if (keep && para != "") printf "%s\n", para
				para = ""; keep = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^Suites:/ {
				keep = 1
				for (i = 2; i <= NF; i++)
					if ($i !~ "^" suite "(-|$)") keep = 0
			}
			{ para = para $0 "\n" }
			END { flush() }' "$f" \
			>"$1/etc/apt/sources.list.d/$(basename "$f")" ;;
		*) grep -E "^deb[[:space:]].*[[:space:]]$SD_SUITE(-[a-z]+)?[[:space:]]" "$f" \
			>>"$1/etc/apt/sources.list" ;;
		esac
	done
}

# sd_image_build ROOT MIRROR: make the tree in ROOT (an empty directory).
sd_image_build() {
	local root=$1 mirror=$2
	timeout "$SD_NET_LIMIT" debootstrap --variant=minbase \
	    --include="$SD_DEBOOTSTRAP_PKGS" "$SD_SUITE" "$root" "$mirror" ||
		return 1
	sd_image_apt_sources "$root"
	# nothing starts while packages install; "No configuration" leaves
	# Postfix without a main.cf (the test writes one in the container)
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	echo "postfix postfix/main_mailer_type select No configuration" |
		chroot "$root" debconf-set-selections || return 1
	timeout "$SD_NET_LIMIT" chroot "$root" sh -c 'apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get -y -qq upgrade &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends '"$SD_APT_PKGS"' &&
		apt-get clean' || return 1
	rm -f "$root/usr/sbin/policy-rc.d"
	rm -rf "$root"/var/lib/apt/lists/*
	# every boot of a copy gets a fresh machine id from nspawn
	: >"$root/etc/machine-id"
}

# sd_image_discard ROOT: remove a tree that failed to build, unmounting
# what debootstrap left mounted in it; never across a mount point.
sd_image_discard() {
	local m
	grep -F " $1/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$1"
}

# sd_image_ensure: print the path of the cached tarball, building it
# first when it is missing (the time that took goes to stderr). One
# build at a time: a second run waits for the first one's tarball.
sd_image_ensure() {
	local mirror key tarball tmp t0 rc
	mirror=$(sd_mirror) || {
		echo "no apt source for $SD_SUITE in /etc/apt/sources.list*" >&2
		return 1
	}
	key=$(sd_image_key "$mirror")
	tarball=$SD_CACHE/$SD_SUITE-$key.tar.zst
	mkdir -p "$SD_CACHE" || return 1
	exec 8>"$SD_CACHE/.lock"
	flock 8
	if [ ! -s "$tarball" ]; then
		t0=$(date +%s)
		tmp=$(mktemp -d "$SD_CACHE/build.XXXXXX") || return 1
		echo "systemd test: building the $SD_SUITE tree from $mirror (cached as $tarball)" >&2
		sd_image_build "$tmp/root" "$mirror" >"$tmp/build.log" 2>&1 &&
			tar -C "$tmp/root" -I 'zstd -T0 -3' -cf "$tmp/tree.tar.zst" . &&
			mv "$tmp/tree.tar.zst" "$tarball"
		rc=$?
		if [ $rc != 0 ]; then
			echo "systemd test: building the tree failed; the last lines of $tmp/build.log:" >&2
			tail -20 "$tmp/build.log" >&2
			# debootstrap may leave /proc or /sys mounted in it
			sd_image_discard "$tmp/root"
			exec 8>&-
			return 1
		fi
		rm -rf "$tmp"
		echo "systemd test: tree built in $(($(date +%s) - t0)) s" >&2
	fi
	exec 8>&-
	echo "$tarball"
}
