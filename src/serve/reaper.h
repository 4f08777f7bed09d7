/*
 * reaper: closes connections that take too long to send a request.
 *
 * libmicrohttpd's timeout counts idle time only, so a client that trickles
 * one header byte at a time (slowloris) would hold its connection forever.
 * Each connection gets a deadline by which its request head must be in;
 * a thread sweeps the set a few times a second and shuts down the socket of
 * every connection past its deadline, which makes libmicrohttpd close it in
 * its own thread, the normal way.
 *
 * Thread safety: connections are added and removed under the reaper's lock,
 * and the owner of a connection removes it before the socket is closed
 * (libmicrohttpd notifies "closed" before it closes the socket), so the
 * sweeper never touches a descriptor that has been closed or reused.
 * Deadlines are atomics, updated without the lock.
 */
#ifndef STSD_REAPER_H
#define STSD_REAPER_H

#include <stdatomic.h>
#include <stdint.h>

#define REAPER_NONE 0       /* a deadline that never expires */

struct reaper;

/* One connection, embedded in the owner's per-connection state. */
struct reaper_entry {
	int fd;
	atomic_int_least64_t due_ms;    /* CLOCK_MONOTONIC ms, or REAPER_NONE */
	struct reaper_entry *prev, *next;
};

/* Starts a sweeper thread that runs every `period_ms`. NULL on failure. */
struct reaper *reaper_start(unsigned period_ms);

/* Stops the thread and frees the reaper (entries must be removed first, or
 * simply abandoned by an owner that is going away too). NULL is fine. */
void reaper_stop(struct reaper *r);

/* The monotonic clock in milliseconds, the unit of every deadline. */
int64_t reaper_now_ms(void);

void reaper_add(struct reaper *r, struct reaper_entry *e, int fd, int64_t due_ms);
void reaper_remove(struct reaper *r, struct reaper_entry *e);

/* Moves the deadline (REAPER_NONE: no deadline). Lock-free. */
void reaper_set_due(struct reaper_entry *e, int64_t due_ms);

/* One sweep now, at time `now_ms`: shuts down every entry past its deadline
 * (once) and returns how many. The thread calls this; tests call it too. */
unsigned reaper_sweep(struct reaper *r, int64_t now_ms);

#endif
