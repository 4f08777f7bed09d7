# notify.sh: a stand-in for systemd's notification socket (sourced after
# common.sh, POSIX sh; needs python3).
#
#   notify_start FILE    a receiver on $T/notify.sock writes one line per
#                        datagram to FILE: "RECV_USEC=<its CLOCK_MONOTONIC>|"
#                        then the datagram with newlines as "|". Point
#                        NOTIFY_SOCKET at $T/notify.sock for the daemon.
#   notify_stop          stops it.
#   msgs FILE            the messages without the receive time and the
#                        watchdog pings.
notify_start() {
	rm -f "$T/notify.sock"
	: >"$1"
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(65536).decode("utf-8", "replace")
        f.write("RECV_USEC=%d|%s\n" % (time.monotonic_ns() // 1000,
                                       d.rstrip("\n").replace("\n", "|")))
        f.flush()' "$T/notify.sock" "$1" &
	NOTIFY_PID=$!
	t_pids="$t_pids $NOTIFY_PID"
	wait_for test -S "$T/notify.sock"
}
notify_stop() {
	kill "$NOTIFY_PID" 2>/dev/null
	wait "$NOTIFY_PID" 2>/dev/null
}
msgs() {
	sed 's/^RECV_USEC=[0-9]*|//' "$1" | grep -v '^WATCHDOG=1$'
}
