# t/fuzz/local.mk: fuzz targets for the parsers of outside bytes, included
# from the top Makefile.am (paths are from the top).
#
# Each t/fuzz/fuzz-TARGET.c defines LLVMFuzzerTestOneInput() for one
# parser and checks properties on top of "does not crash" (round trips,
# idempotence, exact buffer bounds). It is built two ways:
#
# - t/fuzz/replay-TARGET, always, for "make check": the target linked
#   with driver.c, which replays saved inputs. t/fuzz/corpus.t runs it on
#   t/fuzz/corpus/TARGET and on the crashes listed in t/fuzz/crashes.list,
#   so a crash once found stays fixed, and a --enable-sanitizers build
#   replays them under ASan+UBSan.
# - t/fuzz/fuzz-TARGET, a libFuzzer program, when configured with
#   "CC=clang ./configure --enable-fuzzing". It compiles the daemon
#   sources it needs itself (not daemon/libtlspin.a) so that they carry
#   the fuzzer's coverage instrumentation.
#
# "make fuzz-smoke" needs no such configure: t/fuzz/smoke.sh makes its own
# clang build in fuzz-build/ under the build directory and fuzzes each
# target for FUZZ_SECONDS (default 60) on a copy of its seed corpus.
# "make fuzz-smoke FUZZ_TARGETS='key reply'" runs some of them only.

FUZZ_TARGETS = netstring key record reply config config-value logparse \
	correlate-load hints learn smtpresp certname dnsmsg probe-wire getopt

FUZZ_CFLAGS = -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -g

FUZZ_COMMON = t/fuzz/check.c t/fuzz/check.h
FUZZ_SRC_netstring = daemon/base/netstring.c
FUZZ_SRC_key = daemon/base/key.c
FUZZ_SRC_record = daemon/store/record.c daemon/base/bytes.c daemon/base/policy.c
FUZZ_SRC_reply = daemon/base/reply.c daemon/base/key.c daemon/base/policy.c
FUZZ_SRC_config = t/fuzz/check-config.c t/fuzz/check-config.h \
	daemon/base/config.c daemon/base/reply.c daemon/base/key.c daemon/base/policy.c \
	daemon/probe/dnsmsg.c
FUZZ_SRC_logparse = daemon/learn/logparse.c
FUZZ_SRC_correlate_load = daemon/learn/correlate.c daemon/base/bytes.c \
	daemon/base/pidtab.c daemon/base/key.c daemon/learn/logparse.c
FUZZ_SRC_hints = daemon/learn/hints.c daemon/base/bytes.c daemon/base/pidtab.c
FUZZ_SRC_learn = daemon/learn/learn.c daemon/learn/correlate.c daemon/learn/logparse.c \
	daemon/base/errbuf.c daemon/base/bytes.c daemon/base/pidtab.c \
	daemon/store/record.c daemon/base/reply.c daemon/base/key.c daemon/base/policy.c \
	daemon/probe/certname.c daemon/base/config.c daemon/probe/dnsmsg.c daemon/learn/pubsuffix.c
FUZZ_SRC_smtpresp = daemon/probe/smtpresp.c
FUZZ_SRC_certname = daemon/probe/certname.c
FUZZ_SRC_dnsmsg = daemon/probe/dnsmsg.c
# prober.c starts the probes too: it links all of the probe and OpenSSL
FUZZ_SRC_probe_wire = daemon/learn/prober.c daemon/base/bytes.c daemon/probe/dnsmsg.c \
	daemon/probe/probe.c daemon/probe/smtpresp.c daemon/probe/certname.c daemon/base/log.c \
	daemon/base/caps.c daemon/base/errbuf.c
# the option parser of tlspin: the one target from tools/
FUZZ_SRC_getopt = tools/opts.c tools/opts.h

# --- replay programs and the corpus test (every build) ---------------------
REPLAY_BINS = t/fuzz/replay-netstring t/fuzz/replay-key \
	t/fuzz/replay-record t/fuzz/replay-reply t/fuzz/replay-config \
	t/fuzz/replay-config-value t/fuzz/replay-logparse \
	t/fuzz/replay-correlate-load t/fuzz/replay-hints t/fuzz/replay-learn \
	t/fuzz/replay-smtpresp t/fuzz/replay-certname t/fuzz/replay-dnsmsg \
	t/fuzz/replay-probe-wire t/fuzz/replay-getopt
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
t_fuzz_replay_logparse_SOURCES = t/fuzz/fuzz-logparse.c $(REPLAY_COMMON)
t_fuzz_replay_logparse_LDADD = daemon/libtlspin.a
t_fuzz_replay_correlate_load_SOURCES = t/fuzz/fuzz-correlate-load.c \
	$(REPLAY_COMMON)
t_fuzz_replay_correlate_load_LDADD = daemon/libtlspin.a
t_fuzz_replay_hints_SOURCES = t/fuzz/fuzz-hints.c $(REPLAY_COMMON)
t_fuzz_replay_hints_LDADD = daemon/libtlspin.a
t_fuzz_replay_learn_SOURCES = t/fuzz/fuzz-learn.c $(REPLAY_COMMON)
t_fuzz_replay_learn_LDADD = daemon/libtlspin.a $(PSL_LIBS)
t_fuzz_replay_smtpresp_SOURCES = t/fuzz/fuzz-smtpresp.c $(REPLAY_COMMON)
t_fuzz_replay_smtpresp_LDADD = daemon/libtlspin.a
t_fuzz_replay_certname_SOURCES = t/fuzz/fuzz-certname.c $(REPLAY_COMMON)
t_fuzz_replay_certname_LDADD = daemon/libtlspin.a
t_fuzz_replay_dnsmsg_SOURCES = t/fuzz/fuzz-dnsmsg.c $(REPLAY_COMMON)
t_fuzz_replay_dnsmsg_LDADD = daemon/libtlspin.a
t_fuzz_replay_probe_wire_SOURCES = t/fuzz/fuzz-probe-wire.c $(REPLAY_COMMON)
t_fuzz_replay_probe_wire_LDADD = daemon/libtlspin.a $(OPENSSL_LIBS)
t_fuzz_replay_getopt_SOURCES = t/fuzz/fuzz-getopt.c $(FUZZ_SRC_getopt) \
	$(REPLAY_COMMON)
t_fuzz_replay_getopt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools

TESTS += t/fuzz/corpus.t
EXTRA_DIST += t/fuzz/corpus.t t/fuzz/smoke.sh t/fuzz/corpus t/fuzz/crashes \
	t/fuzz/crashes.list t/fuzz/config.dict t/fuzz/reply.dict \
	t/fuzz/logparse.dict t/fuzz/learn.dict t/fuzz/smtpresp.dict \
	t/fuzz/getopt.dict

# --- libFuzzer programs (configure --enable-fuzzing, clang) ---------------
if ENABLE_FUZZING
noinst_PROGRAMS += t/fuzz/fuzz-netstring t/fuzz/fuzz-key \
	t/fuzz/fuzz-record t/fuzz/fuzz-reply t/fuzz/fuzz-config \
	t/fuzz/fuzz-config-value t/fuzz/fuzz-logparse \
	t/fuzz/fuzz-correlate-load t/fuzz/fuzz-hints t/fuzz/fuzz-learn \
	t/fuzz/fuzz-smtpresp t/fuzz/fuzz-certname t/fuzz/fuzz-dnsmsg \
	t/fuzz/fuzz-probe-wire t/fuzz/fuzz-getopt
t_fuzz_fuzz_netstring_SOURCES = t/fuzz/fuzz-netstring.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_netstring)
t_fuzz_fuzz_netstring_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_key_SOURCES = t/fuzz/fuzz-key.c $(FUZZ_COMMON) $(FUZZ_SRC_key)
t_fuzz_fuzz_key_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_record_SOURCES = t/fuzz/fuzz-record.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_record)
t_fuzz_fuzz_record_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_reply_SOURCES = t/fuzz/fuzz-reply.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_reply)
t_fuzz_fuzz_reply_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_config_SOURCES = t/fuzz/fuzz-config.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_config)
t_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_config_value_SOURCES = t/fuzz/fuzz-config-value.c \
	$(FUZZ_COMMON) $(FUZZ_SRC_config)
t_fuzz_fuzz_config_value_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_logparse_SOURCES = t/fuzz/fuzz-logparse.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_logparse)
t_fuzz_fuzz_logparse_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_correlate_load_SOURCES = t/fuzz/fuzz-correlate-load.c \
	$(FUZZ_COMMON) $(FUZZ_SRC_correlate_load)
t_fuzz_fuzz_correlate_load_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_hints_SOURCES = t/fuzz/fuzz-hints.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_hints)
t_fuzz_fuzz_hints_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_learn_SOURCES = t/fuzz/fuzz-learn.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_learn)
t_fuzz_fuzz_learn_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_learn_LDADD = $(PSL_LIBS)
t_fuzz_fuzz_smtpresp_SOURCES = t/fuzz/fuzz-smtpresp.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_smtpresp)
t_fuzz_fuzz_smtpresp_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_certname_SOURCES = t/fuzz/fuzz-certname.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_certname)
t_fuzz_fuzz_certname_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_dnsmsg_SOURCES = t/fuzz/fuzz-dnsmsg.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_dnsmsg)
t_fuzz_fuzz_dnsmsg_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_probe_wire_SOURCES = t/fuzz/fuzz-probe-wire.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_probe_wire)
t_fuzz_fuzz_probe_wire_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
t_fuzz_fuzz_probe_wire_LDADD = $(OPENSSL_LIBS)
t_fuzz_fuzz_getopt_SOURCES = t/fuzz/fuzz-getopt.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_getopt)
t_fuzz_fuzz_getopt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
t_fuzz_fuzz_getopt_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
endif

# --- counters: tlspind's counters file, shown by tlspin stats -------------
FUZZ_TARGETS += counters
FUZZ_SRC_counters = daemon/store/counters.c daemon/store/metrics.c \
	daemon/base/policy.c
check_PROGRAMS += t/fuzz/replay-counters
t_fuzz_replay_counters_SOURCES = t/fuzz/fuzz-counters.c $(REPLAY_COMMON)
t_fuzz_replay_counters_LDADD = daemon/libtlspin.a
if ENABLE_FUZZING
noinst_PROGRAMS += t/fuzz/fuzz-counters
t_fuzz_fuzz_counters_SOURCES = t/fuzz/fuzz-counters.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_counters)
t_fuzz_fuzz_counters_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
endif

# --- json: the JSON reader (tlspin import --format starttls-everywhere) --
FUZZ_TARGETS += json
FUZZ_SRC_json = daemon/base/json.c
check_PROGRAMS += t/fuzz/replay-json
t_fuzz_replay_json_SOURCES = t/fuzz/fuzz-json.c $(REPLAY_COMMON)
t_fuzz_replay_json_LDADD = daemon/libtlspin.a
EXTRA_DIST += t/fuzz/json.dict t/fuzz/stelist.dict
if ENABLE_FUZZING
noinst_PROGRAMS += t/fuzz/fuzz-json
t_fuzz_fuzz_json_SOURCES = t/fuzz/fuzz-json.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_json)
t_fuzz_fuzz_json_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
endif

# --- stelist: the STARTTLS Everywhere list, from tools/ -------------------
FUZZ_TARGETS += stelist
FUZZ_SRC_stelist = tools/stelist.c tools/stelist.h daemon/base/json.c \
	daemon/base/key.c
check_PROGRAMS += t/fuzz/replay-stelist
t_fuzz_replay_stelist_SOURCES = t/fuzz/fuzz-stelist.c tools/stelist.c \
	tools/stelist.h $(REPLAY_COMMON)
t_fuzz_replay_stelist_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
t_fuzz_replay_stelist_LDADD = daemon/libtlspin.a
if ENABLE_FUZZING
noinst_PROGRAMS += t/fuzz/fuzz-stelist
t_fuzz_fuzz_stelist_SOURCES = t/fuzz/fuzz-stelist.c $(FUZZ_COMMON) \
	$(FUZZ_SRC_stelist)
t_fuzz_fuzz_stelist_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
t_fuzz_fuzz_stelist_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
endif

# --- make fuzz-smoke / fuzz-clean ------------------------------------------
# FUZZ_SECONDS, FUZZ_CC, FUZZ_BUILDDIR and FUZZ_KEEP_GOING come from the
# command line or the environment; smoke.sh has the defaults.
fuzz-smoke:
	@abs_top_srcdir='$(abs_top_srcdir)' \
	abs_top_builddir='$(abs_top_builddir)' \
	FUZZ_TARGETS='$(FUZZ_TARGETS)' FUZZ_SECONDS='$(FUZZ_SECONDS)' \
	FUZZ_CC='$(FUZZ_CC)' FUZZ_BUILDDIR='$(FUZZ_BUILDDIR)' \
	FUZZ_KEEP_GOING='$(FUZZ_KEEP_GOING)' \
	$(SHELL) '$(abs_top_srcdir)/t/fuzz/smoke.sh'

fuzz-clean:
	rm -rf '$(abs_top_builddir)/fuzz-build'

.PHONY: fuzz-smoke fuzz-clean
