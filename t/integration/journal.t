#!/bin/sh
# jsource on a real journal: systemd-journal-remote turns export-format
# entries (t/data/journal: real Postfix 3.7 smtp lines, forged copies
# with the wrong _UID or _COMM, qmgr, smtpd and sshd, plus a binary and an
# over-long MESSAGE made here) into journal files, and t/unit/jsource
# reads them back, follows what is written later and resumes by cursor.
. "$abs_top_srcdir/t/integration/lib.sh"

# journal-remote lives outside PATH on Debian
REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
[ -x "$REMOTE" ] ||
	skip_all "$REMOTE is not installed (Debian package systemd-journal-remote)"
JSOURCE=$abs_top_builddir/t/unit/jsource
[ -x "$JSOURCE" ] || { echo "Bail out! $JSOURCE is not built"; exit 99; }
DATA=$abs_top_srcdir/t/data/journal
UID_PF=107	# the _UID of the genuine entries in the data files
BOOT=5a1e7c0ffee04b1d9e2a6c3b8f7d4e21

# head_fields REALTIME MONOTONIC IDENT PID UID COMM: fields before MESSAGE.
# Every entry states its own __REALTIME_TIMESTAMP: journal-remote drops a
# first entry without one ("Entry is invalid") and silently gives a later
# one the timestamps of the entry before it.
head_fields() {
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n' "$1" "$2"
	printf '_BOOT_ID=%s\n_HOSTNAME=sender\n_TRANSPORT=syslog\n' "$BOOT"
	printf 'SYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%s\n_PID=%s\n' "$3" "$4" "$4"
	printf '_UID=%s\n_COMM=%s\n' "$5" "$6"
}

# Entries a text file cannot hold, then one to show reading goes on.
generated() {
	# binary field: name, 64-bit little-endian length (31), bytes
	head_fields 1763896241040000 10040000 postfix/smtp 437 $UID_PF smtp
	printf 'MESSAGE\n\037\000\000\000\000\000\000\000'
	printf 'warning: line one\nline two\000\377end\n\n'
	# forged and longer than jsource keeps (JSOURCE_MSG_MAX, 64 KiB)
	head_fields 1763896241050000 10050000 postfix/smtp 3104 1000 logger
	printf 'MESSAGE='
	head -c 70000 /dev/zero | tr '\000' X
	printf '\n\n'
	head_fields 1763896241060000 10060000 postfix/smtp 437 $UID_PF smtp
	printf 'MESSAGE=%s %s %s\n\n' '1490DA76085: to=<before@cert3.test>,' \
		'relay=mx.good.test[127.0.0.2]:25, delay=0.02, delays=0.01/0/0.01/0,' \
		'dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 18C72A76083)'
}

mkdir "$T/journal" "$T/empty"
{ cat "$DATA/sender.export"; generated; } >"$T/sender.export"
"$REMOTE" --output="$T/journal/a.journal" - <"$T/sender.export" \
	>"$T/remote.log" 2>&1 ||
	{ echo "Bail out! journal-remote failed:"; diag <"$T/remote.log"
	  exit 99; }
# every entry must have made it, or the checks below test the wrong thing
n=$(journalctl -D "$T/journal" -o export 2>/dev/null | grep -a -c '^__CURSOR=')
[ "$n" = 21 ] ||
	{ echo "Bail out! the journal holds $n entries, not 21:"
	  diag <"$T/remote.log"; exit 99; }

JSOURCE_DIR=$T/journal JSOURCE_EMPTY=$T/empty JSOURCE_UID=$UID_PF \
	JSOURCE_REMOTE=$REMOTE JSOURCE_MORE=$DATA/more.export \
	JSOURCE_LATER=$DATA/later.export "$JSOURCE"
exit $?
