#!/bin/sh
# The TLS write and read path (src/serve/tlsio.c) in the real daemon: over
# one keep-alive TLS connection, a pipelined burst of requests (GET of a
# policy, HEAD, a 404, GET /, a 405 last) gets exactly the bytes the plain
# HTTP listener sends for the same burst (Date aside), over TLS 1.2 and
# TLS 1.3, fresh and resumed; requests sent one by one on one connection
# too; clients that vanish in the middle of many pipelined responses leave
# the daemon serving (and, under the sanitizer and valgrind builds, clean).
# And the system calls: 200 keep-alive responses cost one sendmsg each and
# no setsockopt (src/serve/tcpopt.c), counted by strace.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
t_need certtool python3

C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
make_leaf "$C" com mta-sts.example.com || t_bail "cannot make the certificate"

cat >"$T/stsd.yaml" <<EOF
listen:
  - https: "127.0.0.1:0"
  - http: "127.0.0.1:0"
allow_root: true
monitor: {enabled: false}
http:
  access_log: off
certificates:
  - cert: $C/com.pem
    key: $C/com.key
defaults:
  mode: enforce
  max_age: 604800
domains:
  example.com:
    mx: [mx1.example.com]
EOF
stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"

# client.py MODE PORT TLS-VERSION [OUT]: MODE burst sends every request in
# one write and reads until the server closes; MODE serial sends them one at
# a time on one connection, reading each response by its Content-Length;
# MODE vanish sends 200 pipelined GETs and closes at once (20 connections);
# MODE resumed makes two connections, the second resuming the first;
# MODE many sends 200 GETs one at a time on one connection.
# The output (all responses, Date lines removed) goes to OUT.
cat >"$T/client.py" <<'EOF'
import re, socket, ssl, sys
mode, port, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = sys.argv[4] if len(sys.argv) > 4 else None
H = b"Host: mta-sts.example.com\r\n"
REQS = [
    b"GET /.well-known/mta-sts.txt HTTP/1.1\r\n" + H + b"\r\n",
    b"HEAD /.well-known/mta-sts.txt HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.org\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /.well-known/mta-sts.txt HTTP/1.1\r\n" + H + b"\r\n",
    b"OPTIONS /.well-known/mta-sts.txt HTTP/1.1\r\n" + H
    + b"Connection: close\r\n\r\n",
]
ctx = None
if version != "plain":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v

def connect(session=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ctx is not None:
        s = ctx.wrap_socket(s, server_hostname="mta-sts.example.com",
                            session=session)
    return s

def read_all(s):
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not b:
            break
        data += b
    return data

def read_response(s, buf, head_only):
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            raise SystemExit("connection closed mid-response")
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    n = 0 if head_only or not m else int(m.group(1))
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            raise SystemExit("connection closed mid-body")
        rest += b
    return head + b"\r\n\r\n" + rest[:n], rest[n:]

def burst(s):
    s.sendall(b"".join(REQS))
    return read_all(s)

def serial(s):
    data, buf = b"", b""
    for r in REQS:
        s.sendall(r)
        resp, buf = read_response(s, buf, r.startswith(b"HEAD"))
        data += resp
    return data + buf + read_all(s)

if mode == "burst":
    data = burst(connect())
elif mode == "serial":
    data = serial(connect())
elif mode == "resumed":
    s = connect()
    data = serial(s)
    sess = s.session
    s.close()
    s = connect(sess)
    if not s.session_reused:
        raise SystemExit("not resumed")
    data += burst(s)
elif mode == "many":
    s, buf = connect(), b""
    for i in range(200):
        s.sendall(REQS[0])
        resp, buf = read_response(s, buf, False)
        if not resp.startswith(b"HTTP/1.1 200"):
            raise SystemExit("response %d: %r" % (i, resp[:40]))
    data = b"200 responses\n"
elif mode == "vanish":
    for i in range(20):
        s = connect()
        s.sendall(REQS[0] * 200)
        if i % 2:
            s.recv(100)        # some read a little first
        s.close()
    data = b"vanished\n"
data = re.sub(rb"(?im)^date: [^\r\n]*\r\n", b"", data)
if out:
    open(out, "wb").write(data)
EOF

python3 "$T/client.py" burst "$HTTP_PORT" plain "$T/want.burst" ||
	t_bail "the plain HTTP burst failed"
python3 "$T/client.py" serial "$HTTP_PORT" plain "$T/want.serial" ||
	t_bail "the plain HTTP serial requests failed"
t_like "$(grep -c '^HTTP/1.1 ' "$T/want.burst")" '^6$' "plain HTTP: six responses to the burst"
t_like "$(head -c 15 "$T/want.burst")" '^HTTP/1.1 200' "plain HTTP: the first is a 200"

for v in 1.3 1.2; do
	python3 "$T/client.py" burst "$HTTPS_PORT" "$v" "$T/got.burst.$v"
	t_ok $? "TLS $v: the pipelined burst"
	t_files_equal "$T/got.burst.$v" "$T/want.burst" \
		"TLS $v: pipelined GET, HEAD, 404, GET /, GET, 405: the plain listener's bytes"
	python3 "$T/client.py" serial "$HTTPS_PORT" "$v" "$T/got.serial.$v"
	t_ok $? "TLS $v: one request at a time on one connection"
	t_files_equal "$T/got.serial.$v" "$T/want.serial" \
		"TLS $v: one at a time: the plain listener's bytes"
	cat "$T/want.serial" "$T/want.burst" >"$T/want.resumed"
	python3 "$T/client.py" resumed "$HTTPS_PORT" "$v" "$T/got.resumed.$v"
	t_ok $? "TLS $v: a resumed connection"
	t_files_equal "$T/got.resumed.$v" "$T/want.resumed" \
		"TLS $v: resumed: the plain listener's bytes"
	python3 "$T/client.py" vanish "$HTTPS_PORT" "$v"
	t_ok $? "TLS $v: 20 clients vanish in the middle of 200 pipelined responses"
	python3 "$T/client.py" burst "$HTTPS_PORT" "$v" "$T/after.$v"
	t_files_equal "$T/after.$v" "$T/want.burst" "TLS $v: and the daemon still answers exactly"
done

# System calls per keep-alive TLS response, counted by strace attached to
# the daemon (not under a wrapper: valgrind's own calls would be counted).
syscalls_per_response() {
	strace -f -qq -c -e trace=sendmsg,setsockopt -p "$STSD_PID" \
		-o "$T/strace.out" 2>"$T/strace.err" &
	spid=$!
	t_pids="$t_pids $spid"
	# strace says nothing once attached: wait until the daemon's
	# TracerPid shows it.
	wait_for grep -q "^TracerPid:[[:space:]]*$spid\$" "/proc/$STSD_PID/status" ||
		return 1
	python3 "$T/client.py" many "$HTTPS_PORT" "$1" || return 1
	kill -INT "$spid"
	wait "$spid" 2>/dev/null
	awk '$NF == "sendmsg" || $NF == "setsockopt" { print $NF "=" $(NF-1) }' \
		"$T/strace.out" | sort | tr '\n' ' '
}
if [ -n "$STSD_WRAPPER" ] || ! command -v strace >/dev/null 2>&1; then
	for v in 1.3 1.2; do
		t_skip "TLS $v: system calls per response" \
			"strace is missing, or stsd runs under a wrapper"
	done
else
	for v in 1.3 1.2; do
		counts=$(syscalls_per_response "$v")
		t_like "$counts" '(^| )sendmsg=20[0-9]( |$)' \
			"TLS $v: 200 keep-alive responses, one sendmsg each ($counts)"
		case $counts in
		*setsockopt=*) n=${counts#*setsockopt=}; n=${n%% *} ;;
		*) n=0 ;;
		esac
		t_ok "$([ "$n" -le 2 ] && echo 0 || echo 1)" \
			"TLS $v: and no setsockopt per response (TCP_NODELAY once: $n)"
	done
fi

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"
t_done
