#!/bin/sh
# migrate.t: a store an older tlspin wrote (schema 1: records only) is
# read as it is by tlspind's lookup process, which never takes the write
# lock to migrate it, and migrated to schema 2 (a reply table and two
# indexes by time, derived from the records) by the first writer that
# opens it; the running tlspind then reads the reply table without a
# restart. Lookups answer what they answered before, a corrupt record
# included (TEMP).
#
# t/data/schema1/store.dump is `mdb_dump -a` of a store made with the
# tlspin of commit 27780ef: pin a.test, b.test (secure, --expires
# 30000d), none.test, gone.test (expired in 2020); import c.test,
# [d.test]:25 dane; learn a log (l1.test, l2.test pinned by learning,
# expiring 2027-02-02T10:00:00Z; o.test observing since 2026-12-05).
. "$abs_top_srcdir/t/integration/lib.sh"
need "$POSTMAP" socat mdb_load mdb_dump

# mdb_load STORE DB KEY VALUE: write raw bytes (print format escapes).
raw_put() {
	printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n %s\n %s\nDATA=END\n' \
		"$3" "$4" | mdb_load -s "$2" "$1"
}
# keys DB: the keys of a database in hex, one a line
keys() { mdb_dump -s "$1" "$STORE" | sed '1,/^HEADER=END/d; /^DATA=END/d' | sed -n '1~2p' | sed 's/^ //'; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
hexkeys() { for k in "$@"; do hex "$k"; echo; done; }
answers() { pm "$1"; [ "$PM_OUT/$PM_RC" = "$2" ]; }	# answers KEY OUT/RC

mkdir -m 0750 "$STORE"
mdb_load -f "$abs_top_srcdir/t/data/schema1/store.dump" "$STORE"
ok $? "loaded the schema 1 store an older tlspin wrote"
# what a disk error or an older bug can leave: a record cut after its
# reply (the schema 1 lookup answered from the header) and one cut
# inside it (TEMP)
raw_put "$STORE" domains head.test '\03\03\02\01\00\00\00\00\00\00\00\00\07\00encrypt\00'
raw_put "$STORE" domains trunc.test '\03\03\02'
sum=$(md5sum < "$STORE/data.mdb")

start_daemon
pm a.test;	is "$PM_OUT" "encrypt" "tlspind on a schema 1 store: a pin answers"
pm b.test;	is "$PM_OUT" "secure match=mx.b.test" "a secure pin"
pm none.test;	is "$PM_OUT" "none" "an explicit none"
pm gone.test;	is "$PM_OUT/$PM_RC" "/1" "an expired pin is NOTFOUND"
pm o.test;	is "$PM_OUT/$PM_RC" "/1" "an observing domain is NOTFOUND"
pm head.test;	is "$PM_OUT" "encrypt" "a record cut after its reply answers, as before"
pm trunc.test;	like "$PM_ERR" "temporary error" "a record cut inside its reply is TEMP"
is "$(md5sum < "$STORE/data.mdb")" "$sum" "the lookup process wrote nothing: no migration, no write lock"
like "$("$TLSPIN" --store "$STORE" stats)" "(schema 1," "tlspin stats reads it without migrating"

pin new.test --level encrypt
ok $? "tlspin pin on a schema 1 store"
like "$("$TLSPIN" --store "$STORE" stats)" "(schema 2," "migrated it to schema 2"
is "$(keys replies)" "$(hexkeys a.test b.test c.test d.test gone.test head.test l1.test l2.test new.test none.test trunc.test)" \
	"the reply table: every record with a reply, none for o.test"
is "$(mdb_dump -p -s replies "$STORE" | grep -A1 '^ a.test$' | tail -1)" " \00\00\00\00\00\00\00\00encrypt" \
	"an entry: expiry (never) and the exact reply"
ts=$(printf '%016x' "$(date -u -d 2027-02-02T10:00:00Z +%s)")
is "$(keys expiry)" "$(printf '%s%s\n%s%s' "$ts" "$(hex l1.test)" "$ts" "$(hex l2.test)")" \
	"the expiry index: the learned pins, by expiry (big-endian)"
ts=$(printf '%016x' "$(date -u -d 2026-12-05T10:00:00Z +%s)")
is "$(keys idle)" "$ts$(hex o.test)" "the idle index: the evidence-only record, by last activity"

# the running tlspind opened the store as schema 1: damage a.test's
# record, which the records path answers TEMP, and wait for it to read
# the reply table instead
raw_put "$STORE" domains a.test '\03\03'
wait_for answers a.test encrypt/0
is "$PM_OUT/$PM_RC" "encrypt/0" "the running tlspind reads the reply table without a restart"
pm new.test;	is "$PM_OUT" "encrypt" "the new pin answers"
pm b.test;	is "$PM_OUT" "secure match=mx.b.test" "the secure pin still answers"
pm gone.test;	is "$PM_OUT/$PM_RC" "/1" "the expired pin is still NOTFOUND"
pm o.test;	is "$PM_OUT/$PM_RC" "/1" "the observing domain too"
pm head.test;	is "$PM_OUT" "encrypt" "the record cut after its reply answers as before"
pm trunc.test;	like "$PM_ERR" "temporary error" "the record cut inside it is still TEMP, never NOTFOUND"
"$TLSPIN" --store "$STORE" unpin trunc.test >/dev/null
pm trunc.test;	is "$PM_OUT/$PM_RC/$PM_ERR" "/1/" "unpin removes it, reply entry included"
stop_daemon
start_daemon
pm new.test;	is "$PM_OUT" "encrypt" "a restarted tlspind reads the migrated store"
stop_daemon
done_testing
