# t/fuzz/local.mk: fuzz targets for the parsers of outside bytes, included
# from the top Makefile.am (paths are from the top).
#
# Each t/fuzz/fuzz-TARGET.c defines LLVMFuzzerTestOneInput() for one
# parser and checks properties on top of "does not crash" (round trips,
# idempotence, exact buffer bounds). t/fuzz/replay-TARGET, built for
# "make check", is the target linked with driver.c, which replays saved
# inputs: t/fuzz/corpus.t runs it on t/fuzz/corpus/TARGET and on the
# crashes listed in t/fuzz/crashes.list, so a crash once found stays
# fixed, and a --enable-sanitizers build replays them under ASan+UBSan.

FUZZ_COMMON = t/fuzz/check.c t/fuzz/check.h

# --- replay programs and the corpus test (every build) ---------------------
REPLAY_BINS = t/fuzz/replay-netstring t/fuzz/replay-key \
	t/fuzz/replay-record t/fuzz/replay-reply t/fuzz/replay-config \
	t/fuzz/replay-config-value
check_PROGRAMS += $(REPLAY_BINS)
REPLAY_COMMON = $(FUZZ_COMMON) t/fuzz/driver.c
t_fuzz_replay_netstring_SOURCES = t/fuzz/fuzz-netstring.c $(REPLAY_COMMON)
t_fuzz_replay_netstring_LDADD = daemon/libtlspin.a
t_fuzz_replay_key_SOURCES = t/fuzz/fuzz-key.c $(REPLAY_COMMON)
t_fuzz_replay_key_LDADD = daemon/libtlspin.a
t_fuzz_replay_record_SOURCES = t/fuzz/fuzz-record.c $(REPLAY_COMMON)
t_fuzz_replay_record_LDADD = daemon/libtlspin.a
t_fuzz_replay_reply_SOURCES = t/fuzz/fuzz-reply.c $(REPLAY_COMMON)
t_fuzz_replay_reply_LDADD = daemon/libtlspin.a
t_fuzz_replay_config_SOURCES = t/fuzz/fuzz-config.c \
	t/fuzz/check-config.c t/fuzz/check-config.h $(REPLAY_COMMON)
t_fuzz_replay_config_LDADD = daemon/libtlspin.a
t_fuzz_replay_config_value_SOURCES = t/fuzz/fuzz-config-value.c \
	t/fuzz/check-config.c t/fuzz/check-config.h $(REPLAY_COMMON)
t_fuzz_replay_config_value_LDADD = daemon/libtlspin.a

TESTS += t/fuzz/corpus.t
EXTRA_DIST += t/fuzz/corpus.t t/fuzz/corpus t/fuzz/crashes \
	t/fuzz/crashes.list
