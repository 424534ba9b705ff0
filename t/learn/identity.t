#!/bin/sh
# tlspin learn knows a file by its content: by its first line (the store
# key, as ever) and, under it, by a hash of its first 4 KiB with the
# length it covered. Files that start with the same line are distinct
# files, each learned whole; a file that grew is resumed; a rotated or
# compressed copy is "already learned"; and a store whose positions an
# older tlspin wrote (8 bytes: the offset only) relearns nothing.
. "$abs_top_srcdir/t/learn/lib.sh"
need gzip python3 mdb_dump mdb_load

CONF=$T/tlspin.conf
: > "$CONF"
S=$T/store
HEADER='Nov 23 08:00:00 mail rsyslogd: [origin software="rsyslogd"] start'

# deliver PID QID DOMAIN SECOND: a TLS delivery to mx.DOMAIN, two lines
deliver() {
	printf 'Nov 23 11:%02d:%02d mail postfix/smtp[%s]: Trusted TLS connection established to mx.%s[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n' \
		"$(($4 / 60))" "$(($4 % 60))" "$1" "$3"
	printf 'Nov 23 11:%02d:%02d mail postfix/smtp[%s]: %s: to=<u@%s>, relay=mx.%s[192.0.2.10]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' \
		"$(($4 / 60))" "$(($4 % 60))" "$1" "$2" "$3" "$3"
}

# deliveries STORE DOMAIN: the domain's delivery count, or "absent"
deliveries() {
	"$TLSPIN" --store "$1" -c /dev/null show --json "$2" 2>/dev/null |
		sed -n 's/.*"deliveries":\([0-9]*\).*/\1/p' | grep . || echo absent
}

{ echo "$HEADER"; deliver 100 A1 a.test 1; deliver 100 A2 a.test 2
  deliver 100 A3 a.test 3; } > "$T/a.log"
{ echo "$HEADER"; deliver 200 B1 b.test 10; } > "$T/b.log"

learn "$S" "$CONF" "$T/a.log"
is "$RC/$(deliveries "$S" a.test)" "0/3" "a.log: learned, 3 deliveries"
learn "$S" "$CONF" "$T/b.log"
is "$RC" 0 "b.log, same first line, shorter: exit 0"
like "$OUT" "b.log: 3 new lines" "b.log is a file of its own, learned whole ($OUT)"
test -z "$ERR"; ok $? "and not taken for a.log cut short ($ERR)"
is "$(deliveries "$S" b.test)" 1 "b.test learned"

# a longer file with a.log's first line but other content: not resumed
{ echo "$HEADER"; deliver 300 C1 c.test 20; deliver 300 C2 c.test 21
  deliver 300 C3 c.test 22; deliver 300 C4 c.test 23; } > "$T/c.log"
learn "$S" "$CONF" "$T/c.log"
like "$OUT" "c.log: 9 new lines" "c.log, longer, other content: learned whole ($OUT)"
is "$(deliveries "$S" c.test)" 4 "all of c.test's deliveries"

# a.log grows: only the new lines; then it is already learned
deliver 100 A4 a.test 4 >> "$T/a.log"
learn "$S" "$CONF" "$T/a.log"
like "$OUT" "a.log: 2 new lines (resumed)" "a.log grown: resumed ($OUT)"
is "$(deliveries "$S" a.test)" 4 "the new delivery counted once"
learn "$S" "$CONF" "$T/a.log" "$T/b.log" "$T/c.log"
like "$OUT" "a.log: 0 new lines (already learned)" "a.log again: already learned"
like "$OUT" "b.log: 0 new lines (already learned)" "b.log again: already learned"
like "$OUT" "c.log: 0 new lines (already learned)" "c.log again: already learned"

# rotated and compressed: the same file
gzip -c "$T/a.log" > "$T/a.log.2.gz"
learn "$S" "$CONF" "$T/a.log.2.gz"
like "$OUT" "a.log.2.gz: 0 new lines (already learned)" "a.log.2.gz: already learned"

# a file longer than 4 KiB, grown past it: resumed
{ echo "$HEADER"; i=0; while [ $i -lt 40 ]; do deliver 400 D$i d.test $i; i=$((i + 1)); done; } > "$T/d.log"
learn "$S" "$CONF" "$T/d.log"
is "$(deliveries "$S" d.test)" 40 "d.log (over 4 KiB): 40 deliveries"
deliver 400 D40 d.test 40 >> "$T/d.log"
learn "$S" "$CONF" "$T/d.log"
like "$OUT" "d.log: 2 new lines (resumed)" "d.log grown: resumed"
is "$(deliveries "$S" d.test)" 41 "d.test counted once each"

# an old store: the position is the offset only (what tlspin wrote before)
O=$T/old
learn "$O" "$CONF" "$T/a.log"
is "$(deliveries "$O" a.test)" 4 "store O: a.log learned"
# rewrite each learn: position's blob (version, length, position, rest)
# with an 8-byte position holding the offset of the entry's first 8 bytes
mdb_dump -s meta "$O" > "$T/meta.dump" &&
python3 - "$T/meta.dump" > "$T/meta.old" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
out, i = [], 0
while i < len(lines):
    l = lines[i]
    out.append(l)
    if l.startswith(" ") and bytes.fromhex(l[1:]).startswith(b"learn:"):
        v = bytes.fromhex(lines[i + 1][1:])
        n = v[1] | v[2] << 8
        v = bytes([v[0], 8, 0]) + v[3:11] + v[3 + n:]
        out.append(" " + v.hex())
        i += 2
        continue
    i += 1
sys.stdout.write("\n".join(out))
PY
ok $? "rewrote the position in the old format"
mdb_load -s meta "$O" < "$T/meta.old" 2>"$T/mdb.err"
ok $? "loaded it into store O"
learn "$O" "$CONF" "$T/a.log"
like "$OUT" "a.log: 0 new lines (already learned)" "an old position: not relearned ($OUT)"
is "$(deliveries "$O" a.test)" 4 "nothing counted twice"
deliver 100 A5 a.test 5 >> "$T/a.log"
learn "$O" "$CONF" "$T/a.log"
like "$OUT" "a.log: 2 new lines (resumed)" "an old position: resumed"
learn "$O" "$CONF" "$T/b.log"
like "$OUT" "b.log: 3 new lines" "after the rewrite, b.log is told apart"
done_testing
