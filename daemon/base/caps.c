/*
 * NAME
 *	caps - the one capability tlspind may start with, and giving it up
 * SYNOPSIS
 *	#include "caps.h"
 *
 *	void caps_park(void)
 *	void caps_drop(void)
 *	int caps_clear_groups(char *err, size_t errsz)
 * DESCRIPTION
 *	Under tlspind.service tlspind starts as user tlspin with the groups
 *	its learner needs to read Postfix's log (systemd-journal, adm) and
 *	with CAP_SETGID. The capability is there for one use: the probe
 *	launcher that tlspind forks before anything else (prober.c) gives up
 *	those groups with it, so that the processes that talk to servers on
 *	the Internet hold none. Groups cannot be given up without it, and
 *	every process but the launcher's first moments gives it up before it
 *	reads a byte from outside.
 *
 *	caps_park(), first thing in main(): the ambient, inheritable and
 *	effective sets emptied, the permitted set cut down to CAP_SETGID,
 *	so that nothing runs with a capability in effect until
 *	caps_clear_groups() raises it.
 *
 *	caps_drop(): no capability left in any set.
 *
 *	caps_clear_groups(): no supplementary groups left: raises CAP_SETGID
 *	from the permitted set for the one setgroups() call, then
 *	caps_drop(). 1 when the process holds no group but its own (it may
 *	have had none); 0 with the groups it keeps, and why, in err.
 *
 *	None of them changes a process running as root (effective uid 0):
 *	tlspind started as root gives up root, and every capability with
 *	it, by changing user (tlspind_drop, prober_drop).
 *
 *	System calls: capget, capset and prctl(PR_CAP_AMBIENT) (which the
 *	unit's SystemCallFilter allows), setgroups (allowed too: without
 *	CAP_SETGID it can only fail).
 */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "errbuf.h"

#define CAPS_GROUPS_MAX 64	/* named in an error, at most */

/* The process's capability sets (two words each, version 3). */
struct caps_sets {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct d[2];
};

static int
caps_get(struct caps_sets *c)
{
	memset(c, 0, sizeof(*c));
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	return (int)syscall(SYS_capget, &c->hdr, c->d);
}

static int
caps_set(struct caps_sets *c)
{
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	c->hdr.pid = 0;
	return (int)syscall(SYS_capset, &c->hdr, c->d);
}

static int
caps_any(const struct caps_sets *c)
{
	return (c->d[0].permitted | c->d[1].permitted | c->d[0].effective |
	    c->d[1].effective | c->d[0].inheritable |
	    c->d[1].inheritable) != 0;
}

void
caps_park(void)
{
	struct caps_sets c;
	const uint32_t setgid = 1U << CAP_SETGID;	/* word 0 */

	if (geteuid() == 0)
		return;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_get(&c) != 0 || !caps_any(&c))
		return;
	c.d[0].permitted &= setgid;
	c.d[1].permitted = 0;
	c.d[0].effective = c.d[1].effective = 0;
	c.d[0].inheritable = c.d[1].inheritable = 0;
	(void)caps_set(&c);
}

void
caps_drop(void)
{
	struct caps_sets c;

	if (geteuid() == 0)
		return;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_get(&c) != 0 || !caps_any(&c))
		return;
	memset(c.d, 0, sizeof(c.d));
	(void)caps_set(&c);
}

/* Groups other than our own in list[0..n); they are moved to its front. */
static int
caps_extra_groups(gid_t *list, int n)
{
	gid_t own = getegid();
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (list[i] != own)
			list[m++] = list[i];
	return m;
}

/* "4 (adm), 101 (systemd-journal)" into buf. */
static void
caps_name_groups(const gid_t *list, int n, char *buf, size_t bufsz)
{
	struct group *gr;
	size_t used = 0;
	int i, w;

	buf[0] = '\0';
	for (i = 0; i < n && used < bufsz; i++) {
		gr = getgrgid(list[i]);
		w = snprintf(buf + used, bufsz - used, "%s%lu%s%s%s",
		    i ? ", " : "", (unsigned long)list[i], gr ? " (" : "",
		    gr ? gr->gr_name : "", gr ? ")" : "");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int
caps_clear_groups(char *err, size_t errsz)
{
	gid_t list[CAPS_GROUPS_MAX];
	struct caps_sets c;
	char names[512];
	int n = getgroups(CAPS_GROUPS_MAX, list), saved;

	if (n >= 0 && caps_extra_groups(list, n) == 0)
		return 1;
	if (geteuid() != 0 && caps_get(&c) == 0 &&
	    (c.d[0].permitted & (1U << CAP_SETGID)) != 0) {
		c.d[0].effective = 1U << CAP_SETGID;
		c.d[1].effective = 0;
		(void)caps_set(&c);
	}
	saved = setgroups(0, NULL) == 0 ? 0 : errno;
	caps_drop();
	if (saved == 0)
		return 1;
	n = getgroups(CAPS_GROUPS_MAX, list);
	if (n < 0) {
		errbuf_printf(err, errsz, "cannot list its groups: %s",
		    strerror(errno));
		return 0;
	}
	caps_name_groups(list, caps_extra_groups(list, n), names,
	    sizeof(names));
	errbuf_printf(err, errsz, "%s (setgroups: %s%s)", names,
	    strerror(saved), saved == EPERM ? ": no CAP_SETGID, or a user "
	    "namespace that forbids it; tlspind.service grants it, or start "
	    "tlspind as root" : "");
	return 0;
}
