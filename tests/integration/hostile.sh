#!/bin/sh
# Hostile clients against the running daemon: slowloris (trickling and idle,
# plain and TLS), connection floods above the per-address and total limits,
# oversized and malformed requests (long URL, big headers, NUL and control
# bytes, bad Host values, ambiguous framing, bodies, pipelined garbage),
# and on the TLS port garbage, odd handshakes (unknown/no SNI, TLS 1.0/1.1,
# odd and malformed ALPN lists) and clients that vanish mid-handshake.
# Every case gets a short, fixed answer or a close, never an echo of the
# hostile bytes, never a hang past the configured timeout; after each case a
# well-behaved client still gets the exact policy. Afterwards the daemon's
# open descriptors are back near their starting count, its log holds no
# sanitizer or valgrind report, and it exits 0 on SIGTERM.
#
# The raw clients are one python3 script (tests/lib/hostile_client.py) that
# prints one "ok<TAB>description" or "not ok<TAB>description<TAB>detail" line
# per check; relay() turns them into TAP. Every loop in it is bounded in count
# and time, and it waits for conditions (the server's side of the sockets in
# /proc/net/tcp), never for a fixed time.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/fixture.sh"
t_need curl gnutls-cli certtool python3

# Bounds wider under a wrapper (wrapped_bound), stsd's own timeouts among
# them: a connection's first request head, TLS handshake included, must be
# in within `timeout`.
SLACK=$(wrapped_bound 5 30)
SLOW_TIMEOUT=$(wrapped_bound 2 8)
MAIN_TIMEOUT=$(wrapped_bound 3 8)

fixture_certs || t_bail "cannot make the certificates"

# write_conf FILE CONNECTIONS PER-IP TIMEOUT
write_conf() {
	{
		fixture_head https http
		fixture_certificates com org
		cat <<-EOF
		limits:
		  connections: $2
		  connections_per_ip: $3
		  timeout: $4
		EOF
		fixture_domains
	} >"$1"
}
write_conf "$T/slow.yaml" 300 250 "$SLOW_TIMEOUT"
write_conf "$T/limits.yaml" 10 5 120
write_conf "$T/main.yaml" 1024 32 "$MAIN_TIMEOUT"
fixture_want || t_bail "cannot write the expected bodies"

HC=$top_srcdir/tests/lib/hostile_client.py
export T SLACK

# relay FILE: the python script's result lines as TAP checks.
relay() {
	while IFS='	' read -r _r_res _r_desc _r_detail; do
		if [ "$_r_res" = ok ]; then
			t_ok 0 "$_r_desc"
		else
			t_ok 1 "$_r_desc"
			[ -z "$_r_detail" ] || t_diag "$_r_detail"
		fi
	done <"$1"
}

# hpy NAME MODE ARGS...: runs one mode of the script with its results in
# $T/NAME.out (its stderr in $T/NAME.err) and relays them.
hpy() {
	_h_name=$1
	shift
	_h_t0=$(date +%s)
	python3 "$HC" "$@" >"$T/$_h_name.out" 2>"$T/$_h_name.err"
	_h_rc=$?
	relay "$T/$_h_name.out"
	t_diag "($_h_name: $(($(date +%s) - _h_t0)) s)"
	t_is "$_h_rc" 0 "the $_h_name client script ran to its end"
	[ "$_h_rc" -eq 0 ] || t_diag "$(tail -n 5 "$T/$_h_name.err")"
}

# policy_ok NAME: an honest curl over https (verifying the chain and the
# name) and over http both get the exact policy.
policy_ok() {
	st=$(http_get "$1-s" --cacert "$C/ca.pem" --resolve "mta-sts.example.com:$HTTPS_PORT:127.0.0.1" \
		"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt")
	t_ok "$([ "$st" = 200 ] && cmp -s "$T/$1-s.body" "$T/want.example.com"; echo $?)" \
		"$1: curl over https gets the policy ($st)"
	[ "$st" = 200 ] || t_diag "$(cat "$T/$1-s.err")"
	st=$(http_get "$1-p" -H "Host: mta-sts.example.com" \
		"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
	t_ok "$([ "$st" = 200 ] && cmp -s "$T/$1-p.body" "$T/want.example.com"; echo $?)" \
		"$1: curl over http gets the policy ($st)"
	[ "$st" = 200 ] || t_diag "$(cat "$T/$1-p.err")"
}

# fds_back: the running daemon has at most 2 descriptors more than at its
# start (never true of a daemon that is gone, or exited and not yet reaped).
fds_back() {
	alive "$STSD_PID" && _fb_n=$(nfds "$STSD_PID") && [ "$_fb_n" -le $((FD0 + 2)) ]
}

# started LABEL: the daemon is up; records its descriptor count.
started() {
	policy_ok "$1: start"
	FD0=$(nfds "$STSD_PID")
	t_like "$FD0" '^[1-9][0-9]*$' "$1: stsd has $FD0 descriptors open"
}

# finished LABEL: descriptors back near the start, a clean log, exit 0.
finished() {
	t_alive "$STSD_PID" "$1: stsd is still running"
	policy_ok "$1: end"
	wait_for fds_back
	t_ok $? "$1: open descriptors back near the start ($(nfds "$STSD_PID"), started with $FD0)"
	fds_back || t_diag "$(ls -l "/proc/$STSD_PID/fd")"
	stsd_stop
	t_is "$STSD_STATUS" 0 "$1: stsd exits 0 on SIGTERM"
	t_unlike "$(grep -v 'GET \|HEAD \|"-" ' "$T/stsd.log")" \
		'AddressSanitizer|LeakSanitizer|runtime error|==[0-9]+==' \
		"$1: no sanitizer or valgrind report in the log"
	cp "$T/stsd.log" "$T/$1.log"
}

# --- slowloris (connections 300, per ip 250, timeout $SLOW_TIMEOUT s) ----------
stsd_start "$T/slow.yaml" || t_bail "stsd did not start (slow.yaml)"
started slow
for mode in trickle idle tls; do
	port=$HTTP_PORT
	[ "$mode" = tls ] && port=$HTTPS_PORT
	rm -f "$T/slow.started"
	python3 "$HC" slowloris "$port" 200 "$SLOW_TIMEOUT" "$mode" "$T/slow.started" \
		>"$T/slow-$mode.out" 2>"$T/slow-$mode.err" &
	spid=$!
	wait_for test -e "$T/slow.started"
	python3 "$HC" accepted "$port" 2>"$T/slow-$mode.accepted"
	t_ok $? "slowloris ($mode): stsd accepted all 200 connections"
	[ -s "$T/slow-$mode.accepted" ] && t_diag "$(cat "$T/slow-$mode.accepted")"
	# While the slow clients hold their connections, an honest one is served.
	policy_ok "during slowloris ($mode)"
	rc=0
	wait "$spid" || rc=$?
	relay "$T/slow-$mode.out"
	t_is "$rc" 0 "the slowloris ($mode) client script ran to its end"
	[ "$rc" -eq 0 ] || t_diag "$(tail -n 5 "$T/slow-$mode.err")"
	policy_ok "after slowloris ($mode)"
done
finished slow

# --- connection limits (connections 10, per ip 5, timeout 120) ----------------
stsd_start "$T/limits.yaml" || t_bail "stsd did not start (limits.yaml)"
started limits
hpy limit-ip limit "$HTTP_PORT" "$HTTPS_PORT" http 127.0.0.1x5 127.0.0.1x10 \
	127.0.0.9 "http, per address (5)"
hpy limit-ip-tls limit "$HTTP_PORT" "$HTTPS_PORT" https 127.0.0.1x5 127.0.0.1x10 \
	127.0.0.9 "https, per address (5)"
hpy limit-all limit "$HTTP_PORT" "$HTTPS_PORT" http 127.0.0.1x5,127.0.0.2x5 \
	127.0.0.3x1,127.0.0.4x1 - "http, in total (10)"
hpy limit-all-tls limit "$HTTP_PORT" "$HTTPS_PORT" https 127.0.0.1x5,127.0.0.2x5 \
	127.0.0.3x1,127.0.0.4x1 - "https, in total (10)"
finished limits

# --- malformed requests and the TLS port (defaults, timeout $MAIN_TIMEOUT s) ---
stsd_start "$T/main.yaml" || t_bail "stsd did not start (main.yaml)"
started main
hpy cases cases "$HTTP_PORT" "$HTTPS_PORT" "$MAIN_TIMEOUT"
policy_ok "after the malformed requests"

hpy tls tls "$HTTP_PORT" "$HTTPS_PORT" "$MAIN_TIMEOUT"
tls() {  # tls NAME ARGS...: gnutls-cli against the https listener
	_tls_name=$1
	shift
	gnutls-cli --x509cafile="$C/ca.pem" -p "$HTTPS_PORT" "$@" 127.0.0.1 \
		</dev/null >"$T/$_tls_name.out" 2>&1
}
tls unknown-sni --sni-hostname=mta-sts.zqx.example --verify-hostname=mta-sts.zqx.example
t_ok "$([ $? -ne 0 ]; echo $?)" "unknown SNI: the handshake fails"
tls no-sni --disable-sni --verify-hostname=mta-sts.example.com
t_ok "$([ $? -ne 0 ]; echo $?)" "no SNI (no default_host): the handshake fails"
for v in 1.0 1.1; do
	tls "v$v" --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS$v"
	t_ok "$([ $? -ne 0 ]; echo $?)" "only TLS $v offered: the handshake fails"
done
tls v10-11 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1"
t_ok "$([ $? -ne 0 ]; echo $?)" "only TLS 1.0 and 1.1 offered: the handshake fails"
set --
i=0
while [ $i -lt 20 ]; do
	set -- "$@" --alpn "zqx-made-up-$i"
	i=$((i + 1))
done
tls alpn20 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com "$@"
rc=$?
t_unlike "$(cat "$T/alpn20.out")" 'Application protocol: zqx' \
	"gnutls-cli, 20 made-up ALPN protocols: none of them is chosen (handshake status $rc)"
tls alpn-h2 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com --alpn h2
t_is "$?" 0 "gnutls-cli, ALPN h2 only: the handshake succeeds"
t_unlike "$(cat "$T/alpn-h2.out")" 'Application protocol: h2' "gnutls-cli, ALPN h2 only: h2 not chosen"
tls alpn-empty --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com --alpn ''
t_unlike "$(cat "$T/alpn-empty.out")" 'Application protocol: .' \
	"gnutls-cli, an empty ALPN name: nothing chosen"
policy_ok "after the odd handshakes"
finished main

t_done
