/* reaper: deadlines shut down exactly the sockets past them. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* The sweeper thread, without any assumption about how fast it runs: an
 * entry already past its deadline and one due in an hour go in together.
 * Once the thread has shut the first down, it has swept at least once, and
 * must have left the second alone; a deadline moved to now is then met. The
 * only time limit is a generous bound on the waits for the thread. */
static void test_thread(void)
{
	struct reaper *r = reaper_start(10);
	struct reaper_entry due, later;
	int sv[2][2];

	ok(r != NULL, "thread: reaper_start");
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[0]) == 0 &&
	   socketpair(AF_UNIX, SOCK_STREAM, 0, sv[1]) == 0, "thread: socketpairs");
	reaper_add(r, &later, sv[1][0], reaper_now_ms() + 3600 * 1000);
	reaper_add(r, &due, sv[0][0], reaper_now_ms() - 1);
	ok(peer_sees_eof(sv[0][1], 10000),
	   "thread: the sweeper thread shuts down an entry past its deadline");
	ok(!peer_sees_eof(sv[1][1], 0),
	   "thread: in the same sweeps, an entry not yet due is left alone");
	reaper_set_due(&later, reaper_now_ms());
	ok(peer_sees_eof(sv[1][1], 10000),
	   "thread: a deadline moved to now is met by the thread");
	reaper_remove(r, &due);
	reaper_remove(r, &later);
	reaper_stop(r);
	for (int i = 0; i < 2; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
}

/* reaper_stop(NULL) does nothing; in a child, so that a crash is a failed
 * check rather than the end of the test program. */
static void test_stop_null(void)
{
	int status = 0;
	pid_t pid = fork();
	bool reaped;

	if (pid == 0) {
		reaper_stop(NULL);
		_exit(0);
	}
	reaped = pid > 0 && waitpid(pid, &status, 0) == pid;

	ok(reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "reaper_stop(NULL) is harmless (status %#x)", (unsigned)status);
}

int main(void)
{
	test_sweep();
	test_thread();
	test_stop_null();
	return tap_done();
}
