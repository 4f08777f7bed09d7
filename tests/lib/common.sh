# common.sh: shared helpers for stsd's shell tests (sourced, POSIX sh).
#
# Output is TAP: each check prints "ok N - ..." or "not ok N - ...";
# t_done prints the plan. A test that cannot run here calls t_skip_all,
# which prints "1..0 # SKIP why" and exits 0. Every process a test starts
# is recorded by PID and killed by the EXIT trap; every file lives in $T.

: "${STSD:=$top_builddir/stsd}"
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
# STSD_WRAPPER runs the daemon under a tool, e.g. "valgrind --error-exitcode=99 ...".
: "${STSD_WRAPPER:=}"

# wrapped_bound NATIVE WRAPPED: a time bound in seconds, NATIVE for the
# daemon as built, WRAPPED under STSD_WRAPPER, where everything is slower:
# a valgrind process's first TLS handshake (valgrind translating GnuTLS's
# code) took 2.5 s on a busy 2-core machine. That includes the timeouts
# stsd itself enforces; the checks stay the same.
wrapped_bound() {
	if [ -n "$STSD_WRAPPER" ]; then echo "$2"; else echo "$1"; fi
}

t_n=0
t_failed=0
t_pids=

T=$(mktemp -d "${TMPDIR:-/tmp}/stsd-test.XXXXXX")

t_cleanup() {
	for p in $t_pids; do
		kill "$p" 2>/dev/null || :
	done
	for p in $t_pids; do
		wait "$p" 2>/dev/null || :
	done
	[ -n "${T_KEEP:-}" ] || rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 99' INT TERM

t_ok() {  # t_ok STATUS DESCRIPTION  (STATUS 0 = pass)
	t_n=$((t_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t_n - $2"
	else
		# A "# TODO why" in the description marks a known failure (XFAIL).
		case $2 in
		*"# TODO"*) ;;
		*) t_failed=$((t_failed + 1)) ;;
		esac
		echo "not ok $t_n - $2"
	fi
}

t_diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }

t_is() {  # t_is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		t_diag "got:  $1" "want: $2"
	fi
}

t_like() {  # t_like TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		t_diag "text: $(printf '%s' "$1" | head -c 600)" "does not match: $2"
	fi
}

t_unlike() {  # t_unlike TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		t_ok 1 "$3"
		t_diag "text: $(printf '%s' "$1" | head -c 600)" "matches: $2"
	else
		t_ok 0 "$3"
	fi
}

t_files_equal() {  # t_files_equal GOT-FILE WANT-FILE DESCRIPTION
	if cmp -s "$1" "$2"; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		diff -u "$2" "$1" | head -40 | sed 's/^/#   /'
	fi
}

# The TAP plan "1..0 # SKIP" is what marks a skipped test; the TAP driver
# would count a non-zero exit (even 77) as an error.
t_skip_all() { echo "1..0 # SKIP $*"; exit 0; }

t_bail() { echo "Bail out! $*"; exit 99; }

t_done() {
	echo "1..$t_n"
	[ "$t_failed" -eq 0 ]
}

t_need() {  # t_need COMMAND...: skip the whole test unless each exists
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || t_skip_all "$c is not installed"
	done
}

# ---- the daemon ---------------------------------------------------------

# alive PID: the process exists and has not exited. "kill -0" is not enough:
# a child that has exited but was not yet waited for (a zombie) still takes
# signals, and sh reaps its children only in "wait".
alive() {
	_al_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_al_state" ] && [ "$_al_state" != Z ] && [ "$_al_state" != X ]
}

# t_alive PID DESCRIPTION: a check that PID is alive.
t_alive() {
	alive "$1"
	t_ok $? "$2"
}

# wait_for COMMAND... : retries COMMAND every 50 ms for up to 15 s.
wait_for() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || return 1
		sleep 0.05
	done
}

# no_packet_leaves CONFIG: no test may send a packet beyond the machine, and
# the daemon's monitor checks the world (DNS, HTTPS, SMTP): outside a
# private network namespace of the test's own, a configuration must turn it
# off. Checked at every start and reload, so a test cannot forget it.
no_packet_leaves() {
	[ -n "${STSD_IN_NETNS:-}" ] && return 0
	grep -Eq '^monitor: *\{ *enabled: *false *\}' "$1" && return 0
	t_diag "$1 must set \"monitor: {enabled: false}\" outside a network namespace"
	t_ok 1 "the configuration keeps every packet on the machine"
	return 1
}

# stsd_start CONFIG [ARGS...]: starts the daemon with its log in $T/stsd.log
# and waits until it has printed "ready". Sets STSD_PID, and HTTPS_PORT /
# HTTP_PORT to the first listener of each kind (tests bind port 0).
stsd_start() {
	conf=$1
	shift
	no_packet_leaves "$conf" || return 1
	STSD_CONF=$conf
	: >"$T/stsd.log"
	$STSD_WRAPPER "$STSD" -c "$conf" "$@" 2>>"$T/stsd.log" &
	STSD_PID=$!
	t_pids="$t_pids $STSD_PID"
	wait_for stsd_ready
	if ! grep -q " ready: " "$T/stsd.log" || ! alive "$STSD_PID"; then
		t_diag "stsd did not become ready; its log:"
		sed 's/^/#   /' "$T/stsd.log"
		return 1
	fi
	HTTPS_PORT=$(sed -n 's|.*listening on https://.*:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)
	HTTP_PORT=$(sed -n 's|.*listening on http://.*:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)
}

stsd_ready() {
	# An exited daemon will never become ready: stop waiting.
	alive "$STSD_PID" || return 0
	grep -q " ready: " "$T/stsd.log"
}

# stsd_stop: SIGTERM, then waits for the exit; sets STSD_STATUS.
stsd_stop() {
	kill -TERM "$STSD_PID" 2>/dev/null || :
	STSD_STATUS=0
	wait "$STSD_PID" || STSD_STATUS=$?
}

# stsd_reload [complete|failed]: SIGHUP, then waits for the reload to finish
# and expects it to end as given (default: complete). Anything else (no
# daemon to signal, no "reload complete|failed" line within the wait_for
# time, or the other outcome) is a failed check of its own and returns 1, so
# no test can pass without the reload it asked for.
stsd_reload() {
	_rl_want=${1:-complete}
	if [ "$_rl_want" = complete ]; then
		no_packet_leaves "$STSD_CONF" || return 1
	fi
	_rl_n=$(grep -c -E "reload complete|reload failed" "$T/stsd.log")
	if ! alive "$STSD_PID" || ! kill -HUP "$STSD_PID"; then
		t_ok 1 "SIGHUP: stsd (pid $STSD_PID) is running to reload"
		return 1
	fi
	if ! wait_for stsd_reloaded "$_rl_n"; then
		t_ok 1 "SIGHUP: the reload finished (no new \"reload complete|failed\" line in the log)"
		return 1
	fi
	_rl_got=$(grep -o -E "reload (complete|failed)" "$T/stsd.log" | sed -n "$((_rl_n + 1))p")
	if [ "$_rl_got" != "reload $_rl_want" ]; then
		t_ok 1 "SIGHUP: reload $_rl_want (the log says: $_rl_got)"
		return 1
	fi
}

stsd_reloaded() {
	[ "$(grep -c -E "reload complete|reload failed" "$T/stsd.log")" -gt "$1" ]
}

# nfds PID: prints how many descriptors PID has open; fails (printing
# nothing) when that cannot be read, e.g. once the process is gone.
nfds() {
	[ -d "/proc/$1/fd" ] || return 1
	_nf_list=$(ls "/proc/$1/fd") || return 1
	printf '%s\n' "$_nf_list" | grep -c .
}

# ---- helpers for the integration tests (tests/integration/) ---------------

# t_skip DESCRIPTION REASON: one check that cannot run here ("ok N # skip").
t_skip() {
	t_n=$((t_n + 1))
	echo "ok $t_n - $1 # skip $2"
}

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago (for
# programs that cannot bind port 0 and report it, e.g. nginx or
# systemd-socket-activate).
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# raw_http ADDR PORT <REQUEST >RESPONSE: sends the bytes of stdin as they are
# over one TCP connection (ADDR "unix" and PORT a path: a unix socket), then
# copies everything the server sends to stdout until it closes the
# connection, or sends nothing for 5 s. For requests curl will not make
# (hostile Host, bodies on GET, HEAD without a body reader).
raw_http() {
	python3 -c 'import socket, sys
addr, port = sys.argv[1], sys.argv[2]
if addr == "unix":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(port)
else:
    s = socket.create_connection((addr, int(port)), timeout=10)
s.settimeout(5)
s.sendall(sys.stdin.buffer.read())
out = sys.stdout.buffer
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out.write(b)
except (socket.timeout, ConnectionResetError):
    pass
out.flush()' "$@"
}

# http_get NAME CURL-ARGS...: one curl request; the body goes to $T/NAME.body,
# the response head (CRs removed) to $T/NAME.head; prints the status code
# ("000" when curl failed: then $T/NAME.err says why).
http_get() {
	_hg_name=$1
	shift
	: >"$T/$_hg_name.raw"
	curl -sS --max-time 20 -o "$T/$_hg_name.body" -D "$T/$_hg_name.raw" \
		-w '%{http_code}' "$@" 2>"$T/$_hg_name.err"
	tr -d '\r' <"$T/$_hg_name.raw" >"$T/$_hg_name.head"
}

# hdr NAME FIELD: the value(s) of header FIELD (any case) in $T/NAME.head.
hdr() {
	awk -v f="$2" 'BEGIN { f = tolower(f) }
	{
		i = index($0, ":")
		if (i > 1 && tolower(substr($0, 1, i - 1)) == f) {
			v = substr($0, i + 1)
			sub(/^[ \t]+/, "", v)
			print v
		}
	}' "$T/$1.head"
}
