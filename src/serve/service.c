#include "config.h"

#include <stdio.h>
#include <time.h>

#include "service.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void service_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void service_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void service_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)ts.tv_sec * 1000000ull +
	           (unsigned long long)ts.tv_nsec / 1000ull);
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

uint64_t service_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

void service_watchdog_ping(void)
{
	sd_notify(0, "WATCHDOG=1");
}

int service_listen_fds(int *first)
{
	int n = sd_listen_fds(1);   /* 1: unset the variables, children must not see them */

	*first = SD_LISTEN_FDS_START;
	return n > 0 ? n : 0;
}

#else /* !HAVE_SYSTEMD */

void service_ready(const char *status) {}
void service_status(const char *status) {}
void service_reloading(void) {}
void service_stopping(void) {}
uint64_t service_watchdog_usec(void) { return 0; }
void service_watchdog_ping(void) {}

int service_listen_fds(int *first)
{
	*first = 3;
	return 0;
}

#endif
