# t/systemd/local.mk: the real-systemd test, included from the top
# Makefile.am (paths are from the top).
#
# "make check-systemd" runs t/systemd/run.sh: as root, it boots a Debian
# 12 container (systemd-nspawn) with systemd 252 and Postfix 3.7, installs
# tlspin in it (the package when there is one, else "make install" of this
# build tree) and checks the units and the daemon under the real systemd:
# socket activation, Type=notify, the sandbox's exposure, the probes'
# privileges, a chrooted Postfix asking tlspind, journal learning, reload,
# a crash loop and the watchdog. The Debian tree is built once with
# debootstrap from this machine's apt mirror and cached in
# /var/cache/tlspin-test (SD_CACHE). Not part of TESTS: "make check" stays
# unprivileged. See t/systemd/run.sh.
# Without root, systemd-nspawn or debootstrap it is skipped (and make
# check-systemd succeeds); with SYSTEMD_REQUIRE=1 (dev.sh sets it when it
# runs as root, as in CI) that is a failure instead.

EXTRA_DIST += t/systemd/run.sh t/systemd/lib.sh t/systemd/image.sh \
	t/systemd/inside.sh

check-systemd: all
	@status=0; \
	abs_top_srcdir='$(abs_top_srcdir)'; export abs_top_srcdir; \
	abs_top_builddir='$(abs_top_builddir)'; export abs_top_builddir; \
	bash '$(abs_top_srcdir)/t/systemd/run.sh' || status=$$?; \
	if test $$status = 77 && test "$${SYSTEMD_REQUIRE:-0}" != 1; then \
		status=0; \
	fi; \
	exit $$status

.PHONY: check-systemd
