# t/bench/local.mk: the socketmap load generator (tools/tlspin-bench), the
# echo server that gives its ceiling, a smoke test for make check, and the
# "make bench" / "make bench-soak" targets.  Included by the top
# Makefile.am; paths are relative to the top source directory.

# A tool of the tests (abuse.t, faults.t, smoke.t) and of "make bench":
# built by make, not installed, and neither is its manual page.
noinst_PROGRAMS += tools/tlspin-bench
tools_tlspin_bench_SOURCES = tools/tlspin-bench.c
tools_tlspin_bench_LDADD = -lm

# Only the tests and the benchmarks use it: not installed.
check_PROGRAMS += t/bench/echo
t_bench_echo_SOURCES = t/bench/echo.c

EXTRA_DIST += doc/tlspin-bench.1

TESTS += t/bench/smoke.t
EXTRA_DIST += t/bench/smoke.t t/bench/run.sh t/bench/soak.sh t/bench/lib.sh \
	t/bench/mta-sts.sh t/bench/report.sh t/bench/import-lookups.sh \
	t/bench/big.sh

# Benchmarks are not tests: they take minutes, need both cores to
# themselves, and their figures mean nothing under sanitizers.
BENCH_ENV = \
	BENCH='$(abs_top_builddir)/tools/tlspin-bench' \
	BENCH_ECHO='$(abs_top_builddir)/t/bench/echo' \
	TLSPIND='$(abs_top_builddir)/daemon/tlspind' \
	TLSPIN='$(abs_top_builddir)/tools/tlspin' \
	BENCH_LIB='$(abs_top_srcdir)/t/bench/lib.sh' \
	BENCH_SAN_CFLAGS='$(SAN_CFLAGS)' \
	BENCH_CFLAGS='$(CFLAGS)'
BENCH_DEPS = tools/tlspin-bench t/bench/echo daemon/tlspind tools/tlspin

bench: $(BENCH_DEPS)
	$(BENCH_ENV) $(SHELL) $(abs_top_srcdir)/t/bench/run.sh

bench-soak: $(BENCH_DEPS)
	$(BENCH_ENV) $(SHELL) $(abs_top_srcdir)/t/bench/soak.sh

# Lookup latency while "tlspin import" holds LMDB's write lock
# (IMPORT_ENTRIES, default 10M; takes about two minutes).
bench-import-lookups: daemon/tlspind tools/tlspin tools/tlspin-bench
	TLSPIND='$(abs_top_builddir)/daemon/tlspind' \
	TLSPIN='$(abs_top_builddir)/tools/tlspin' \
	BENCH='$(abs_top_builddir)/tools/tlspin-bench' \
	$(SHELL) $(abs_top_srcdir)/t/bench/import-lookups.sh $(IMPORT_ENTRIES)

# The figures of a 10M-domain store (BIG_DOMAINS): import, size, start,
# latency, the learner's throughput on it.
bench-big: $(BENCH_DEPS)
	$(BENCH_ENV) GENLOG='$(abs_top_srcdir)/t/learn/genlog' \
	$(SHELL) $(abs_top_srcdir)/t/bench/big.sh

.PHONY: bench bench-soak bench-import-lookups bench-big
