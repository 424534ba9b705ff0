#!/bin/sh
# docs.t: the shipped documentation says what the programs do.
#
# Fails when a setting, option or command exists in the code but not in
# the manual pages or the example config, when the example config does not
# parse or states a wrong default, and when a manual page has groff (or
# mandoc) warnings. Unbound's habit: an undocumented option is a bug.
# Prints TAP; make check passes abs_top_srcdir, abs_top_builddir, TLSPIND
# and TLSPIN.

src=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${abs_top_builddir:-$src}
TLSPIND=${TLSPIND:-$build/daemon/tlspind}
TLSPIN=${TLSPIN:-$build/tools/tlspin}

man8=$src/doc/tlspind.8
man1=$src/doc/tlspin.1
man5=$src/doc/tlspin.conf.5
example=$src/contrib/tlspin.conf.example

for f in "$TLSPIND" "$TLSPIN"; do
	if [ ! -x "$f" ]; then
		echo "Bail out! $f is not built"
		exit 99
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlspin-docs.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- what the code has --------------------------------------------------

# Keys of config_keys[] in daemon/base/config.c.
keys=$(sed -n '/^static const struct config_key config_keys\[\] = {/,/^};/p' \
    "$src/daemon/base/config.c" |
    sed -n 's/^[[:space:]]*{ "\([a-z0-9_]*\)",.*/\1/p')

# Long options that tlspind --help and tlspin --help list.
long_options() {
	tr -cs 'A-Za-z0-9-' '\n' | sed -n 's/^\(--[a-z][a-z-]*\)$/\1/p' | sort -u
}
dopts=$("$TLSPIND" --help | long_options)
topts=$("$TLSPIN" --help | sed '/^commands:/,$d' | long_options)

# Commands of tlspin --help: the lines after "commands:", up to a blank.
cmds=$("$TLSPIN" --help | sed -n '/^commands:/,/^$/p' |
    sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')

# --- TAP helpers --------------------------------------------------------

n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# How a name is written in man source: every "-" as "\-".
man_escape() {
	printf '%s\n' "$1" | sed 's/-/\\-/g'
}

# True if FILE has an entry (.TP, then a tag line) whose tag holds TEXT.
tp_tag_has() {
	awk -v text="$2" '
		tag { if (index($0, text)) found = 1; tag = 0; next }
		/^\.TP/ { tag = 1 }
		END { exit !found }' "$1"
}

# True if FILE has a settings entry: .TP, then .BI "KEY = " or .B KEY.
tp_key_entry() {
	awk -v key="$2" '
		tag {
			line = $0
			sub(/^\.B[IR]? +"?/, "", line)
			split(line, w, /[ "=]/)
			if (w[1] == key) found = 1
			tag = 0
			next
		}
		/^\.TP/ { tag = 1 }
		END { exit !found }' "$1"
}

# Text of the entry for KEY in tlspin.conf.5, macros and escapes removed.
key_entry_text() {
	awk -v key="$2" '
		/^\.TP/ { if (in_entry) exit; tag = 1; next }
		/^\.S[HS]/ { if (in_entry) exit }
		tag {
			line = $0
			sub(/^\.B[IR]? +"?/, "", line)
			split(line, w, /[ "=]/)
			if (w[1] == key) in_entry = 1
			tag = 0
			next
		}
		in_entry {
			line = $0
			sub(/^\.[A-Za-z]+ */, "", line)
			gsub(/\\-/, "-", line)
			gsub(/\\f[BIRP]/, "", line)
			gsub(/"/, "", line)
			printf "%s ", line
		}' "$1"
}

# Text of section ".SS NAME" in FILE.
section_text() {
	awk -v name="$2" '
		/^\.S[HS]/ { if (in_sec) exit; if ($0 == ".SS " name) in_sec = 1;
		    next }
		in_sec { print }' "$1"
}

# --- tests --------------------------------------------------------------

if [ -z "$keys" ]; then
	not_ok "found the keys in config_keys[] of daemon/base/config.c"
else
	ok "found the keys in config_keys[] of daemon/base/config.c"
fi
for k in $keys; do
	check "tlspin.conf(5) has an entry for $k" tp_key_entry "$man5" "$k"
	check "tlspin.conf.example shows $k" \
	    grep -q "^#$k = " "$example"
done

# The defaults the man page and the example state are the built-in ones.
"$TLSPIND" -c /dev/null --check-config > "$tmp/defaults" 2>&1
for k in $keys; do
	def=$(sed -n "s/^$k = //p" "$tmp/defaults")
	if [ -z "$def" ]; then
		continue	# unset by default: nothing to compare
	fi
	text=$(key_entry_text "$man5" "$k")
	case "$text" in
	*"Default: $def "*)
		ok "tlspin.conf(5) gives $k's default, $def" ;;
	*)
		not_ok "tlspin.conf(5) gives $k's default, $def"
		echo "# entry text: $text" ;;
	esac
	if grep -qxF "#$k = $def" "$example"; then
		ok "tlspin.conf.example gives $k's default, $def"
	else
		not_ok "tlspin.conf.example gives $k's default, $def"
	fi
done

check "tlspind --help lists long options" test -n "$dopts"
for o in $dopts; do
	check "tlspind(8) has an entry for $o" \
	    tp_tag_has "$man8" "$(man_escape "$o")"
done

check "tlspin --help lists long options" test -n "$topts"
for o in $topts; do
	check "tlspin(1) has an entry for $o" \
	    tp_tag_has "$man1" "$(man_escape "$o")"
done

check "tlspin --help lists commands" test -n "$cmds"
for c in $cmds; do
	section_text "$man1" "$c" > "$tmp/section"
	check "tlspin(1) has a section for the command $c" test -s "$tmp/section"
	# the options its usage line names are described there
	missing=
	for o in $("$TLSPIN" -c /dev/null "$c" --help |
	    sed -n "1s/^usage: .* $c //p" | long_options)
	do
		grep -qF -- "$(man_escape "$o")" "$tmp/section" ||
		    missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		ok "tlspin(1) describes the options of tlspin $c"
	else
		not_ok "tlspin(1) describes the options of tlspin $c"
		echo "# missing:$missing"
	fi
done

if "$TLSPIND" -c "$example" --store "$tmp/store" --check-config \
    > "$tmp/out" 2>&1; then
	ok "contrib/tlspin.conf.example parses (tlspind --check-config)"
else
	not_ok "contrib/tlspin.conf.example parses (tlspind --check-config)"
	sed 's/^/# /' "$tmp/out"
fi

# Uncommenting every setting must give a good file too. --check-config
# also looks at the store as the user: the example's (tlspin) need not
# exist on this machine, nor its store, so both are ours here.
sed 's/^#\([a-z0-9_]* = \)/\1/' "$example" > "$tmp/uncommented.conf"
if "$TLSPIND" -c "$tmp/uncommented.conf" -o "user=$(id -un)" \
    --store "$tmp/store" --check-config > "$tmp/out" 2>&1
then
	ok "tlspin.conf.example with every setting uncommented parses"
else
	not_ok "tlspin.conf.example with every setting uncommented parses"
	sed 's/^/# /' "$tmp/out"
fi

for page in "$man8" "$man1" "$man5"; do
	name=$(basename "$page")
	if ! command -v groff > /dev/null 2>&1; then
		skip "$name renders without groff warnings (no groff)"
		continue
	fi
	groff -man -Tutf8 -ww "$page" 2> "$tmp/warn" > /dev/null
	if [ ! -s "$tmp/warn" ] && [ -s "$page" ]; then
		ok "$name renders without groff warnings"
	else
		not_ok "$name renders without groff warnings"
		sed 's/^/# /' "$tmp/warn"
	fi
done

for page in "$man8" "$man1" "$man5"; do
	name=$(basename "$page")
	if ! command -v mandoc > /dev/null 2>&1; then
		skip "$name passes mandoc -Tlint (no mandoc)"
		continue
	fi
	if mandoc -Tlint -W warning "$page" > "$tmp/warn" 2>&1; then
		ok "$name passes mandoc -Tlint"
	else
		not_ok "$name passes mandoc -Tlint"
		sed 's/^/# /' "$tmp/warn"
	fi
done

echo "1..$n"
exit 0
