# t/e2e/local.mk: end-to-end tests of tlspind and tlspin against a real
# Postfix, included from the top Makefile.am (paths are from the top).
#
# "make check-e2e" runs t/e2e/run.sh, which needs root (it makes its own
# network, mount and PID namespaces and starts five Postfix instances,
# unbound and tlspind in them) and takes under a minute. It is not part
# of TESTS: "make check" stays unprivileged. Select scenarios with
# "make check-e2e E2E='02 03'". When the suite cannot run (not root, no
# Postfix) it reports every scenario as skipped and succeeds, unless
# E2E_REQUIRE=1 is set in the environment (CI sets it).

E2E_SCENARIOS = \
	t/e2e/00-control-opportunistic.sh \
	t/e2e/01-pinned-verified.sh \
	t/e2e/02-strip-starttls.sh \
	t/e2e/03-cert-replaced.sh \
	t/e2e/04-learn-pin.sh \
	t/e2e/05-daemon-down.sh \
	t/e2e/06-observe-mode.sh \
	t/e2e/07-mx-migration.sh

EXTRA_DIST += t/e2e/run.sh t/e2e/lib.sh $(E2E_SCENARIOS)

E2E =

check-e2e: all
	@status=0; \
	TLSPIND='$(abs_top_builddir)/daemon/tlspind'; export TLSPIND; \
	TLSPIN='$(abs_top_builddir)/tools/tlspin'; export TLSPIN; \
	bash '$(abs_top_srcdir)/t/e2e/run.sh' $(E2E) || status=$$?; \
	if test $$status = 77 && test "$${E2E_REQUIRE:-0}" != 1; then \
		status=0; \
	fi; \
	exit $$status

.PHONY: check-e2e
