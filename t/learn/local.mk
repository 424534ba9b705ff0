# t/learn/local.mk: the learner's big tests, included by the top Makefile.am
# (paths are from the top).
#
# t/learn/genlog writes realistic, deterministic Postfix 3.7 logs and what
# the store must hold after learning them. month.t learns a generated
# month with a known cast of domains; crash.t kills tlspin learn with
# SIGKILL until a run completes and compares with an uninterrupted run.
# "make bench-learn" times tlspin learn on 1M generated lines (not a test).

TESTS += t/learn/month.t t/learn/crash.t t/learn/flood.t t/learn/identity.t \
	t/learn/bound.t t/learn/sweep.t
EXTRA_DIST += t/learn/month.t t/learn/crash.t t/learn/flood.t t/learn/identity.t \
	t/learn/bound.t t/learn/sweep.t t/learn/lib.sh t/learn/genlog \
	t/bench/learn.sh t/bench/learn-lookups.sh t/bench/expiry.sh

bench-learn: tools/tlspin
	TLSPIN='$(abs_top_builddir)/tools/tlspin' \
	GENLOG='$(abs_top_srcdir)/t/learn/genlog' \
	$(SHELL) $(abs_top_srcdir)/t/bench/learn.sh $(LEARN_LINES)

# "make bench-learn-lookups": lookup latency with the learner idle and busy.
bench-learn-lookups: daemon/tlspind tools/tlspin-bench
	TLSPIND='$(abs_top_builddir)/daemon/tlspind' \
	BENCH='$(abs_top_builddir)/tools/tlspin-bench' \
	GENLOG='$(abs_top_srcdir)/t/learn/genlog' \
	$(SHELL) $(abs_top_srcdir)/t/bench/learn-lookups.sh $(LEARN_LINES)

# "make bench-expiry": the expiry sweep of 1M pins, and lookups beside it.
bench-expiry: daemon/tlspind tools/tlspin tools/tlspin-bench t/learn/mkpins
	TLSPIND='$(abs_top_builddir)/daemon/tlspind' \
	TLSPIN='$(abs_top_builddir)/tools/tlspin' \
	BENCH='$(abs_top_builddir)/tools/tlspin-bench' \
	MKPINS='$(abs_top_builddir)/t/learn/mkpins' \
	$(SHELL) $(abs_top_srcdir)/t/bench/expiry.sh $(EXPIRY_PINS)

.PHONY: bench-learn bench-learn-lookups bench-expiry

# sweep.t and t/bench/expiry.sh make their stores of pins with this
check_PROGRAMS += t/learn/mkpins
t_learn_mkpins_SOURCES = t/learn/mkpins.c
t_learn_mkpins_LDADD = $(CORE_LIBS)
