# t/e2e/local.mk: end-to-end tests of tlspind and tlspin against a real
# Postfix, included from the top Makefile.am (paths are from the top).
#
# "make check-e2e" runs t/e2e/run.sh, which needs root (it makes its own
# network, mount and PID namespaces and starts seven Postfix instances,
# unbound and tlspind in them) and takes under a minute. It is not part
# of TESTS: "make check" stays unprivileged. See t/e2e/README.
# Select scenarios with "make check-e2e E2E='02 03'". When the suite
# cannot run (not root, no Postfix) it reports every scenario as skipped
# and succeeds. With E2E_REQUIRE=1 in the environment (dev.sh sets it when
# it runs as root, as in CI) nothing may skip: a scenario that would skip,
# or the whole suite when it cannot run, is reported as failed.

E2E_SCENARIOS = \
	t/e2e/00-control-opportunistic.sh \
	t/e2e/01-pinned-verified.sh \
	t/e2e/02-strip-starttls.sh \
	t/e2e/03-cert-replaced.sh \
	t/e2e/04-learn-pin.sh \
	t/e2e/05-daemon-down.sh \
	t/e2e/06-observe-mode.sh \
	t/e2e/07-mx-migration.sh \
	t/e2e/08-postfix-restart.sh

# Real Postfix 3.7 logs of one run (E2E_CAPTURE), for the log parser tests.
E2E_CAPTURED = \
	t/data/postfix-3.7/README.md \
	t/data/postfix-3.7/sender.log \
	t/data/postfix-3.7/sender-00-control-opportunistic.log \
	t/data/postfix-3.7/sender-01-pinned-verified.log \
	t/data/postfix-3.7/sender-02-strip-starttls.log \
	t/data/postfix-3.7/sender-03-cert-replaced.log \
	t/data/postfix-3.7/sender-05-daemon-down.log \
	t/data/postfix-3.7/sender-04-learn-pin.log \
	t/data/postfix-3.7/sender-06-observe-mode.log \
	t/data/postfix-3.7/receiver-good.log \
	t/data/postfix-3.7/receiver-plain.log \
	t/data/postfix-3.7/receiver-rogue.log \
	t/data/postfix-3.7/receiver-selfsigned.log \
	t/data/postfix-3.7/receiver-tls12.log \
	t/data/postfix-3.7/receiver-wrongname.log

EXTRA_DIST += t/e2e/README t/e2e/run.sh t/e2e/lib.sh $(E2E_SCENARIOS) \
	$(E2E_CAPTURED)

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
