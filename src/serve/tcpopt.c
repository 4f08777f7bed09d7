/*
 * tcpopt: see tcpopt.h for why stsd defines setsockopt().
 */
#include "config.h"

#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tcpopt.h"

#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)

/* 8 KB of zeroed data: pages never written cost no memory. */
static atomic_ulong taken[TCPOPT_MAX_FD / WORD_BITS];
static atomic_ulong saved;

/* The kernel's setsockopt: not glibc's symbol, which is this file's. */
static int kernel_setsockopt(int fd, int level, int name, const void *val,
                             socklen_t len)
{
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

static bool in_range(int fd)
{
	return fd >= 0 && fd < TCPOPT_MAX_FD;
}

static unsigned long bit(int fd)
{
	return 1UL << ((unsigned)fd % WORD_BITS);
}

bool tcpopt_taken(int fd)
{
	return in_range(fd) &&
	       (atomic_load_explicit(&taken[(unsigned)fd / WORD_BITS],
	                             memory_order_relaxed) & bit(fd)) != 0;
}

bool tcpopt_take(int fd)
{
	int on = 1;

	if (!in_range(fd) || kernel_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
	                                       &on, sizeof(on)) != 0)
		return false;
	atomic_fetch_or_explicit(&taken[(unsigned)fd / WORD_BITS], bit(fd),
	                         memory_order_relaxed);
	return true;
}

void tcpopt_release(int fd)
{
	if (in_range(fd))
		atomic_fetch_and_explicit(&taken[(unsigned)fd / WORD_BITS],
		                          ~bit(fd), memory_order_relaxed);
}

unsigned long tcpopt_saved(void)
{
	return atomic_load_explicit(&saved, memory_order_relaxed);
}

/* Whether a call on a taken socket needs no system call: the socket is
 * never corked and always has TCP_NODELAY. */
static bool answered_here(int name, int value)
{
	return name == TCP_CORK || (name == TCP_NODELAY && value != 0);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_TCP && val != NULL && len == sizeof(int) &&
	    (name == TCP_CORK || name == TCP_NODELAY) && tcpopt_taken(fd)) {
		int value = *(const int *)val;

		if (answered_here(name, value)) {
			atomic_fetch_add_explicit(&saved, 1,
			                          memory_order_relaxed);
			return 0;
		}
		tcpopt_release(fd);     /* nodelay off: the caller's choice */
	}
	return kernel_setsockopt(fd, level, name, val, len);
}
