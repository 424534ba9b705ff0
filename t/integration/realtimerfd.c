/*
 * NAME
 *	realtimerfd - LD_PRELOAD shim: timerfd deadlines go to the kernel as set
 * SYNOPSIS
 *	LD_PRELOAD="realtimerfd.so libfaketime.so.1" FAKETIME_DONT_FAKE_MONOTONIC=1 tlspind ...
 * DESCRIPTION
 *	For t/integration/clock.t, which runs tlspind for days on a wall
 *	clock faked by libfaketime. libfaketime 0.9.10 (Debian 12) rewrites
 *	every absolute timerfd_settime() deadline as if it were on the faked
 *	wall clock, also for a CLOCK_MONOTONIC timer and with
 *	FAKETIME_DONT_FAKE_MONOTONIC=1: with the wall clock a day off,
 *	sd-event's timers fire a day late, or the call fails (a negative
 *	deadline). Preloaded before libfaketime, these two functions make
 *	the system call as the program asked; the wall clock (time(),
 *	clock_gettime(CLOCK_REALTIME)) stays faked, the monotonic clock real.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

int
timerfd_settime(int fd, int flags, const struct itimerspec *value,
    struct itimerspec *old)
{
	return (int)syscall(SYS_timerfd_settime, fd, flags, value, old);
}

int
timerfd_gettime(int fd, struct itimerspec *value)
{
	return (int)syscall(SYS_timerfd_gettime, fd, value);
}
