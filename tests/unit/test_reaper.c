/* reaper: deadlines shut down exactly the sockets past them. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reaper.h"
#include "tap.h"

/* True when the peer of a socket that was shut down sees end of file
 * within `ms` milliseconds. */
static int peer_sees_eof(int peer, int ms)
{
	struct pollfd p = { .fd = peer, .events = POLLIN };
	char b;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return recv(peer, &b, 1, MSG_DONTWAIT) == 0;
}

static void test_sweep(void)
{
	struct reaper *r = reaper_start(60000);   /* the thread stays asleep */
	struct reaper_entry late, early, none, gone;
	int sv[4][2];
	int64_t now = 1000000;

	ok(r != NULL, "reaper_start");
	for (int i = 0; i < 4; i++)
		ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]) == 0, "socketpair %d", i);
	reaper_add(r, &late, sv[0][0], now - 1);
	reaper_add(r, &early, sv[1][0], now + 1);
	reaper_add(r, &none, sv[2][0], REAPER_NONE);
	reaper_add(r, &gone, sv[3][0], now - 5);
	reaper_remove(r, &gone);

	is_int(reaper_sweep(r, now), 1, "one entry is past its deadline");
	ok(peer_sees_eof(sv[0][1], 0), "its socket was shut down");
	ok(!peer_sees_eof(sv[1][1], 0), "an entry due later is left alone");
	ok(!peer_sees_eof(sv[2][1], 0), "an entry without a deadline is left alone");
	ok(!peer_sees_eof(sv[3][1], 0), "a removed entry is never touched");
	is_int(reaper_sweep(r, now), 0, "a shut-down entry is not counted twice");

	is_int(reaper_sweep(r, now + 1), 1, "at its deadline, the next one goes");
	ok(peer_sees_eof(sv[1][1], 0), "and its socket is shut down");

	reaper_set_due(&none, now + 10);
	is_int(reaper_sweep(r, now + 9), 0, "a new deadline is honoured: not yet");
	is_int(reaper_sweep(r, now + 10), 1, "a new deadline is honoured: now");

	/* Removing from the head, the middle and the tail keeps the list whole. */
	reaper_remove(r, &late);
	reaper_remove(r, &none);
	reaper_remove(r, &early);
	is_int(reaper_sweep(r, INT64_MAX), 0, "an empty reaper sweeps nothing");
	reaper_stop(r);
	for (int i = 0; i < 4; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
}

static void test_thread(void)
{
	struct reaper *r = reaper_start(10);
	struct reaper_entry e;
	int sv[2];

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "thread: socketpair");
	reaper_add(r, &e, sv[0], reaper_now_ms() + 30);
	ok(!peer_sees_eof(sv[1], 0), "thread: not before the deadline");
	ok(peer_sees_eof(sv[1], 5000), "thread: the sweeper thread shuts it down after");
	reaper_remove(r, &e);
	reaper_stop(r);
	close(sv[0]);
	close(sv[1]);
	reaper_stop(NULL);
	ok(1, "reaper_stop(NULL) is harmless");
}

int main(void)
{
	test_sweep();
	test_thread();
	return tap_done();
}
