/*
 * test_tcpopt: src/serve/tcpopt.c on a real loopback TCP connection. A
 * taken socket has TCP_NODELAY on, is never corked whatever setsockopt()
 * is asked, and costs no system call for those calls; "nodelay off" hands
 * it back; a socket not taken, and every other option, reach the kernel
 * unchanged (the kernel's own getsockopt() is the witness).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpopt.h"
#include "tap.h"

/* A connected loopback pair: *client and the accepted *server. */
static void tcp_pair(int *client, int *server)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0 ||
	    (*client = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(*client, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (*server = accept(l, NULL, NULL)) < 0) {
		perror("tcp_pair");
		exit(99);
	}
	close(l);
}

static int kernel_opt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, name, &v, &len) != 0)
		return -1;
	return v;
}

static int set(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

int main(void)
{
	int c, s, c2, s2, pair[2];
	unsigned long before;

	tcp_pair(&c, &s);
	tcp_pair(&c2, &s2);

	is_int(kernel_opt(s, TCP_NODELAY), 0, "a new socket has Nagle on");
	ok(tcpopt_take(s), "a TCP socket is taken");
	ok(tcpopt_taken(s), "and is marked taken");
	is_int(kernel_opt(s, TCP_NODELAY), 1, "taking sets TCP_NODELAY");

	before = tcpopt_saved();
	is_int(set(s, IPPROTO_TCP, TCP_CORK, 1), 0, "cork on: success");
	is_int(kernel_opt(s, TCP_CORK), 0, "but the socket is not corked");
	is_int(set(s, IPPROTO_TCP, TCP_NODELAY, 1), 0, "nodelay on: success");
	is_int(set(s, IPPROTO_TCP, TCP_CORK, 0), 0, "cork off: success");
	is_int((int)(tcpopt_saved() - before), 3,
	       "the three calls made no system call");
	is_int(kernel_opt(s, TCP_NODELAY), 1, "nodelay is still on");

	/* Other options on a taken socket pass. */
	is_int(set(s, IPPROTO_TCP, TCP_KEEPIDLE, 77), 0, "TCP_KEEPIDLE set");
	is_int(kernel_opt(s, TCP_KEEPIDLE), 77, "TCP_KEEPIDLE reached the kernel");
	is_int(set(s, SOL_SOCKET, SO_KEEPALIVE, 1), 0, "SO_KEEPALIVE set");

	/* Nodelay off is the caller's choice: the socket is handed back. */
	is_int(set(s, IPPROTO_TCP, TCP_NODELAY, 0), 0, "nodelay off: success");
	is_int(kernel_opt(s, TCP_NODELAY), 0, "nodelay off reached the kernel");
	ok(!tcpopt_taken(s), "and released the socket");
	is_int(set(s, IPPROTO_TCP, TCP_CORK, 1), 0, "cork on, released socket");
	is_int(kernel_opt(s, TCP_CORK), 1, "now really corks");

	/* A socket never taken is untouched. */
	ok(!tcpopt_taken(c2), "another socket is not taken");
	is_int(set(c2, IPPROTO_TCP, TCP_CORK, 1), 0, "cork on, not taken");
	is_int(kernel_opt(c2, TCP_CORK), 1, "reaches the kernel");

	/* Released explicitly, a descriptor number reused later is fresh. */
	ok(tcpopt_take(s2), "take a second socket");
	tcpopt_release(s2);
	ok(!tcpopt_taken(s2), "released");
	is_int(set(s2, IPPROTO_TCP, TCP_CORK, 1), 0, "cork on after release");
	is_int(kernel_opt(s2, TCP_CORK), 1, "reaches the kernel");

	/* What cannot be taken. */
	ok(!tcpopt_take(-1), "a negative descriptor is refused");
	ok(!tcpopt_take(TCPOPT_MAX_FD), "one past the table is refused");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		return 99;
	ok(!tcpopt_take(pair[0]), "an AF_UNIX socket is refused");
	ok(!tcpopt_taken(pair[0]), "and not marked");
	tcpopt_release(TCPOPT_MAX_FD + 5);      /* harmless */

	close(pair[0]);
	close(pair[1]);
	close(c);
	close(s);
	close(c2);
	close(s2);
	return tap_done();
}
