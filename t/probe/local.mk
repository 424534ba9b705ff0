# t/probe/local.mk: the servers "tlspin check" is tested against, and its
# tests; included by the top Makefile.am (paths are from the top).
#
# t/probe/fakesmtp is an SMTP, IMAP and POP3 server with TLS that behaves
# well or in one chosen bad way (no STARTTLS, junk, stalls, huge banner).
# pki.sh makes the test certificates at test time (no key is committed);
# dns.sh runs a private unbound on a high loopback port. servers.t checks
# all three with openssl s_client and a small DNS client; check.t runs
# "tlspin check" against them. sandbox.t checks the systemd unit's
# sandbox against the system calls tlspind, its learner and its probes make.

# Only the tests use it: not installed, and it needs no libtlspin.
check_PROGRAMS += t/probe/fakesmtp
t_probe_fakesmtp_SOURCES = t/probe/fakesmtp.c
t_probe_fakesmtp_LDADD = $(OPENSSL_LIBS)

PROBE_TESTS = t/probe/servers.t t/probe/check.t t/probe/sandbox.t
TESTS += $(PROBE_TESTS)
EXTRA_DIST += $(PROBE_TESTS) t/probe/pki.sh t/probe/dns.sh t/probe/lib.sh
