# t/learn/lib.sh: helpers for the learner's tests (month.t, crash.t), on top
# of t/integration/lib.sh (TAP, $T, $TLSPIN).
#
# The logs come from t/learn/genlog, which also writes what the store must
# hold afterwards (its --expect file: "DOMAIN STATE MATCH key=value..." or
# "DOMAIN absent"); expect_compare holds a store against such a file.
. "$abs_top_srcdir/t/integration/lib.sh"

GENLOG=$abs_top_srcdir/t/learn/genlog

# learn STORE CONF ARGS...: run tlspin learn; sets OUT, ERR, RC.
learn() {
	_s=$1 _c=$2
	shift 2
	OUT=$("$TLSPIN" --store "$_s" -c "$_c" learn "$@" 2>"$T/err")
	RC=$?
	ERR=$(cat "$T/err")
}

# dump STORE NAME: list --json and events --json of STORE into $T/NAME.*
dump() {
	"$TLSPIN" --store "$1" -c /dev/null list --json >"$T/$2.list" 2>&1
	"$TLSPIN" --store "$1" -c /dev/null events --json >"$T/$2.events" 2>&1
}

# same NAME1 NAME2 WHAT: the two dumps are byte-identical.
same() {
	if cmp -s "$T/$1.list" "$T/$2.list" && cmp -s "$T/$1.events" "$T/$2.events"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		{
			diff "$T/$1.list" "$T/$2.list" | head -10
			diff "$T/$1.events" "$T/$2.events" | head -10
		} 2>&1 | cut -c1-400 | diag
	fi
}

# flat STORE: one line per domain of the store, in the expected file's
# format, from list --json: DOMAIN STATE MATCH key=value... answer=ANSWER
flat() {
	"$TLSPIN" --store "$1" -c /dev/null list --json | awk '
	# The value of "KEY": a string (no escapes in these fields), a number or null.
	function jv(s, k,   i, r) {
		i = index(s, "\"" k "\":")
		if (i == 0) return "(none)"
		r = substr(s, i + length(k) + 3)
		if (substr(r, 1, 1) == "\"") { r = substr(r, 2); sub(/".*/, "", r); return r }
		sub(/[,}].*/, "", r)
		return r
	}
	BEGIN { RS = "}" }	# one object a record (no "}" inside these values)
	index($0, "\"domain\":") {
		m = jv($0, "match")
		printf "%s %s %s deliveries=%s tls=%s plaintext=%s failures=%s pinned_at=%s expires=%s answer=%s\n",
		    jv($0, "domain"), jv($0, "state"), m == "" ? "-" : m,
		    jv($0, "deliveries"), jv($0, "tls"), jv($0, "plaintext"),
		    jv($0, "failures"), jv($0, "pinned_at"), jv($0, "expires"),
		    jv($0, "answer")
	}'
}

# expect_compare STORE EXPECT: one line per domain, sorted,
# "DOMAIN<TAB>STATE<TAB>RESULT", RESULT "ok", "skip" (the expected file
# marks the domain ambiguous: the rules leave its case open) or what
# differs. Every key of the expected line is compared, and the answer
# Postfix gets follows from the state. Domains in the store that the
# expected file does not have are listed too.
expect_compare() {
	flat "$1" >"$T/got"
	awk '
	NR == FNR {
		d = $1; G[d] = 1; GS[d] = $2; GM[d] = $3
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^answer=/) {
				a = substr($i, 8)
				for (j = i + 1; j <= NF; j++) a = a " " $j
				GA[d] = a
				break
			}
			k = $i; sub(/=.*/, "", k)
			GK[d, k] = substr($i, length(k) + 2)
		}
		next
	}
	{
		d = $1; E[d] = 1; why = ""
		if ($0 ~ / ambiguous=/) { print d "\t" $2 "\tskip"; next }
		if ($2 == "absent") {
			if (d in G) why = " in the store as " GS[d] " (only hops that count for nothing)"
			print d "\t" $2 "\t" (why == "" ? "ok" : substr(why, 2))
			next
		}
		if (!(d in G)) { print d "\t" $2 "\tnot in the store"; next }
		if (GS[d] != $2) why = why " state=" GS[d] " (want " $2 ")"
		if (GM[d] != $3) why = why " match=" GM[d] " (want " $3 ")"
		for (i = 4; i <= NF; i++) {
			k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2)
			if (GK[d, k] != v) why = why " " k "=" GK[d, k] " (want " v ")"
		}
		want = $2 == "encrypt" ? "OK encrypt" : $2 == "secure" ? "OK secure match=" $3 : "NOTFOUND"
		if (GA[d] != want) why = why " answer=\"" GA[d] "\" (want \"" want "\")"
		print d "\t" $2 "\t" (why == "" ? "ok" : substr(why, 2))
	}
	END {
		for (d in G) if (!(d in E)) print d "\t" GS[d] "\tin the store, never a delivery in the log"
	}' "$T/got" "$2" | LC_ALL=C sort
}
