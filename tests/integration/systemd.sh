#!/bin/sh
# Running under a service manager: socket activation (systemd-socket-activate
# hands stsd its listening socket), sd_notify (READY=1, RELOADING=1 with
# MONOTONIC_USEC, READY=1, STOPPING=1, in that order; WATCHDOG=1), and, as
# root, dropping privileges to "user:" (and refusing to serve as root
# without it).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
t_need curl python3

have_sd=yes
ldd "$STSD" 2>/dev/null | grep -q libsystemd || have_sd=no
is_root=no
[ "$(id -u)" -eq 0 ] && is_root=yes
[ $have_sd = no ] && [ $is_root = no ] &&
	t_skip_all "stsd was built without libsystemd (ldd shows none) and the privilege tests need root"
no_sd="stsd was built without libsystemd"

write_conf() {  # write_conf FILE LISTEN-LINES [EXTRA-TOP-LEVEL-LINES]
	cat >"$1" <<EOF
listen:
$2
$3
monitor: {enabled: false}
defaults:
  mode: enforce
  max_age: 604800
domains:
  example.com:
    mx: mail.example.com
EOF
}
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n' >"$T/want"

# activate PORT CONFIG: stsd under systemd-socket-activate listening on
# 127.0.0.1:PORT. The activator execs stsd (same PID) at the first
# connection, so a first request goes out in the background: its answer is
# in $T/first.body, its status in $T/first.code. Sets STSD_PID, FIRST_PID.
activate() {
	: >"$T/stsd.log"
	systemd-socket-activate -l "127.0.0.1:$1" -- $STSD_WRAPPER "$STSD" -c "$2" \
		2>>"$T/stsd.log" &
	STSD_PID=$!
	t_pids="$t_pids $STSD_PID"
	wait_for grep -q "Listening on 127.0.0.1:$1" "$T/stsd.log" || return 1
	curl -sS --max-time 20 -o "$T/first.body" -w '%{http_code}' -H "Host: mta-sts.example.com" \
		"http://127.0.0.1:$1/.well-known/mta-sts.txt" >"$T/first.code" 2>"$T/first.err" &
	FIRST_PID=$!
	t_pids="$t_pids $FIRST_PID"
}

# --- socket activation -------------------------------------------------------
if [ $have_sd = no ]; then
	t_skip "socket activation" "$no_sd"
elif ! command -v systemd-socket-activate >/dev/null 2>&1; then
	t_skip "socket activation" "systemd-socket-activate is not installed"
else
	port=$(free_port)
	write_conf "$T/act.yaml" "  - http: \"127.0.0.1:$port\"" "allow_root: true"
	activate "$port" "$T/act.yaml"
	t_ok $? "systemd-socket-activate listens on 127.0.0.1:$port"
	wait_for stsd_ready
	t_like "$(cat "$T/stsd.log")" ' ready: ' "stsd started on the passed socket"
	t_alive "$STSD_PID" "stsd runs (it could not have bound the port itself: the activator holds it)"
	wait "$FIRST_PID"
	t_is "$(cat "$T/first.code")" 200 "the connection that triggered the activation is served"
	t_files_equal "$T/first.body" "$T/want" "the triggering request gets the policy"
	st=$(http_get act -H "Host: mta-sts.example.com" "http://127.0.0.1:$port/.well-known/mta-sts.txt")
	t_is "$st" 200 "later requests on the passed socket: 200"
	t_files_equal "$T/act.body" "$T/want" "later requests: the policy"
	t_like "$(cat "$T/stsd.log")" "listening on http://127\\.0\\.0\\.1:$port" "the log names the passed socket's address"
	stsd_stop
	t_is "$STSD_STATUS" 0 "socket-activated stsd exits 0 on SIGTERM"

	# A passed socket that no listener claims is an error, not ignored.
	port2=$(free_port)
	write_conf "$T/other.yaml" "  - http: \"127.0.0.1:$port2\"" "allow_root: true"
	activate "$port" "$T/other.yaml"
	wait "$FIRST_PID"
	rc=0
	wait "$STSD_PID" || rc=$?
	t_is "$rc" 1 "a passed socket matching no listener: exit 1"
	t_like "$(cat "$T/stsd.log")" "127\\.0\\.0\\.1:$port.*matches no listener" "and the log says which socket"

	# contrib/systemd/stsd.service runs stsd with PrivateNetwork=yes and
	# RestrictAddressFamilies=AF_UNIX: it must serve from a passed socket
	# while it has no network of its own. unshare --net execs stsd in the
	# same process, after the activator made the socket.
	if [ $is_root = yes ] && unshare --net true 2>/dev/null; then
		saved_wrapper=$STSD_WRAPPER
		STSD_WRAPPER="unshare --net $STSD_WRAPPER"
		activate "$port" "$T/act.yaml"
		STSD_WRAPPER=$saved_wrapper
		wait_for stsd_ready
		wait "$FIRST_PID"
		t_is "$(cat "$T/first.code")" 200 "socket-activated stsd in a private network namespace serves the passed socket"
		t_files_equal "$T/first.body" "$T/want" "and the body is the policy"
		stsd_stop
	else
		t_skip "private network namespace" "needs root and unshare --net"
	fi
fi

# --- sd_notify -----------------------------------------------------------------
. "$top_srcdir/tests/lib/notify.sh"
count_ge() {  # count_ge FILE REGEX N: FILE has at least N lines matching REGEX
	[ "$(grep -c -- "$2" "$1")" -ge "$3" ]
}

if [ $have_sd = no ]; then
	t_skip "sd_notify" "$no_sd"
else
	write_conf "$T/n.yaml" '  - http: "127.0.0.1:0"' "allow_root: true"
	notify_start "$T/notify.log"
	NOTIFY_SOCKET=$T/notify.sock
	export NOTIFY_SOCKET
	stsd_start "$T/n.yaml" || t_bail "stsd did not start with NOTIFY_SOCKET"
	unset NOTIFY_SOCKET
	wait_for grep -q 'READY=1' "$T/notify.log"
	t_like "$(msgs "$T/notify.log" | head -n1)" '^READY=1\|STATUS=serving 1 domain' "start: READY=1 with a STATUS="
	st=$(http_get n1 -H "Host: mta-sts.example.com" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "served while notifying"
	stsd_reload
	wait_for count_ge "$T/notify.log" 'READY=1' 2
	# A bad configuration: RELOADING=1 then READY=1 again, with the failure in STATUS.
	cp "$T/n.yaml" "$T/n.good"
	echo 'no_such_key: 1' >>"$T/n.yaml"
	stsd_reload failed
	wait_for count_ge "$T/notify.log" 'READY=1' 3
	cp "$T/n.good" "$T/n.yaml"
	stsd_stop
	t_is "$STSD_STATUS" 0 "stsd exits 0"
	wait_for grep -q 'STOPPING=1' "$T/notify.log"
	notify_stop
	msgs "$T/notify.log" >"$T/notify.msgs"
	t_diag "notifications:" "$(cat "$T/notify.msgs")"
	t_is "$(wc -l <"$T/notify.msgs" | tr -d ' ')" 6 "six notifications in all"
	t_like "$(sed -n 2p "$T/notify.msgs")" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "HUP: RELOADING=1 with MONOTONIC_USEC="
	t_like "$(sed -n 3p "$T/notify.msgs")" '^READY=1\|STATUS=.*reload ok' "after the reload: READY=1, STATUS= says reload ok"
	t_like "$(sed -n 4p "$T/notify.msgs")" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "bad HUP: RELOADING=1 with MONOTONIC_USEC="
	t_like "$(sed -n 5p "$T/notify.msgs")" '^READY=1\|STATUS=.*reload FAILED' "after the failed reload: READY=1, STATUS= says FAILED"
	t_is "$(sed -n 6p "$T/notify.msgs")" "STOPPING=1" "SIGTERM: STOPPING=1, last"
	# MONOTONIC_USEC is CLOCK_MONOTONIC (what systemd compares it with): not
	# after the moment the receiver got it, and not wall-clock time.
	grep 'RELOADING=1' "$T/notify.log" | head -n1 |
		sed 's/^RECV_USEC=\([0-9]*\)|.*MONOTONIC_USEC=\([0-9]*\).*/\1 \2/' >"$T/mono"
	read -r recv mono <"$T/mono"
	t_ok "$([ -n "$mono" ] && [ "$mono" -gt 0 ] && [ "$mono" -le "$recv" ] &&
		[ $((recv - mono)) -lt 600000000 ]; echo $?)" \
		"MONOTONIC_USEC ($mono) is on the monotonic clock, at or before its receipt ($recv)"

	# The watchdog: WATCHDOG_USEC set (no WATCHDOG_PID: any process may
	# ping), stsd pings WATCHDOG=1.
	notify_start "$T/wd.log"
	NOTIFY_SOCKET=$T/notify.sock
	WATCHDOG_USEC=200000
	export NOTIFY_SOCKET WATCHDOG_USEC
	stsd_start "$T/n.yaml" || t_bail "stsd did not start with WATCHDOG_USEC"
	unset NOTIFY_SOCKET WATCHDOG_USEC
	wait_for count_ge "$T/wd.log" 'WATCHDOG=1' 2
	t_ok $? "WATCHDOG_USEC set: stsd pings WATCHDOG=1"
	stsd_reload
	st=$(http_get wd -H "Host: mta-sts.example.com" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "served with the watchdog on, after a HUP"
	stsd_stop
	t_is "$STSD_STATUS" 0 "stsd with the watchdog exits 0"
	notify_stop
fi

# --- privilege drop --------------------------------------------------------------
if [ $is_root = no ]; then
	t_skip "privilege drop" "needs root"
elif ! id nobody >/dev/null 2>&1; then
	t_skip "privilege drop" "no user nobody"
else
	C=$T/certs
	make_ca "$C" && make_leaf "$C" com mta-sts.example.com || t_bail "cannot make the certificates"
	certs="certificates:
  - cert: $C/com.pem
    key: $C/com.key"
	listen='  - https: "127.0.0.1:0"
  - http: "127.0.0.1:0"'
	uid=$(id -u nobody)
	gid=$(id -g nobody)
	write_conf "$T/p.yaml" "$listen" "$certs
user: nobody"
	stsd_start "$T/p.yaml" || t_bail "stsd did not start with user: nobody"
	t_like "$(cat "$T/stsd.log")" "running as user nobody \\(uid $uid, gid $gid\\)" "the log says it runs as nobody"
	bad=0
	for st in /proc/"$STSD_PID"/task/*/status; do
		u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
		g=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")
		gr=$(awk '/^Groups:/ { $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); print }' "$st")
		[ "$u" = "$uid $uid $uid $uid" ] && [ "$g" = "$gid $gid $gid $gid" ] &&
			[ "$gr" = "$gid" ] || {
			bad=$((bad + 1))
			t_diag "$st: Uid $u, Gid $g, Groups $gr"
		}
	done
	t_is "$bad" 0 "every thread: real, effective, saved and fs uid/gid are nobody's, groups only $gid"
	t_like "$(awk '/^CapEff:/ { print $2 }' "/proc/$STSD_PID/status")" '^0+$' "no effective capabilities"
	st=$(http_get p1 --cacert "$C/ca.pem" --resolve "mta-sts.example.com:$HTTPS_PORT:127.0.0.1" \
		"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "as nobody: https 200 (the root-only key was read before the switch)"
	t_files_equal "$T/p1.body" "$T/want" "as nobody: the policy"
	stsd_stop
	t_is "$STSD_STATUS" 0 "stsd as nobody exits 0"

	# An explicit group.
	dgid=$(getent group daemon | cut -d: -f3)
	if [ -n "$dgid" ]; then
		write_conf "$T/g.yaml" '  - http: "127.0.0.1:0"' "user: nobody
group: daemon"
		stsd_start "$T/g.yaml" || t_bail "stsd did not start with group: daemon"
		t_is "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$STSD_PID/status")" \
			"$dgid $dgid $dgid $dgid" "group: daemon sets every gid to daemon's"
		stsd_stop
	fi

	# Refusals: each exits 1 before serving.
	refuse() {  # refuse NAME EXTRA-TOP-LEVEL-LINES MESSAGE-REGEX
		write_conf "$T/$1.yaml" '  - http: "127.0.0.1:0"' "$2"
		rc=0
		timeout 30 $STSD_WRAPPER "$STSD" -c "$T/$1.yaml" 2>"$T/$1.err" || rc=$?
		t_is "$rc" 1 "as root with $1: exit 1"
		t_like "$(cat "$T/$1.err")" "$3" "as root with $1: the reason is logged"
		t_unlike "$(cat "$T/$1.err")" ' ready: ' "as root with $1: never ready"
	}
	refuse no-user "" 'no "user:" configured'
	refuse user-root "user: root" 'is root'
	refuse user-unknown "user: no-such-user-zzz" 'no-such-user-zzz.*does not exist'
	refuse group-unknown "user: nobody
group: no-such-group-zzz" 'no-such-group-zzz.*does not exist'

	# allow_root: true serves as root, with a warning.
	write_conf "$T/r.yaml" '  - http: "127.0.0.1:0"' "allow_root: true"
	stsd_start "$T/r.yaml" || t_bail "stsd did not start with allow_root"
	t_like "$(cat "$T/stsd.log")" 'serving as root' "allow_root: true: serves as root and says so"
	t_is "$(awk '/^Uid:/ { print $3 }' "/proc/$STSD_PID/status")" 0 "allow_root: true: euid 0"
	stsd_stop
fi

t_done
