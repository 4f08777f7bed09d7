#!/bin/sh
# stsd as a plain-HTTP backend behind HAProxy, configured with
# contrib/proxy/haproxy.cfg as shipped (certificate directory and ports
# substituted) after a global section and no defaults section, so the
# snippet must stand on its own. The crt directory holds one PEM (chain, then
# key) per name, each certificate naming only its host, so a check against
# the test CA also proves HAProxy chose the certificate by SNI. The policy
# fetched through HAProxy is byte-identical to the one stsd serves directly,
# with the same Content-Type, Content-Length and Cache-Control.
# As root, inside a private network namespace, HAProxy binds :::443 exactly
# as shipped and mta-sts-query (a real sender, with dnsmasq for DNS) fetches
# every policy through it. Otherwise HAProxy binds a free loopback port and
# only curl is used.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/fixture.sh"
. "$top_srcdir/tests/lib/proxy.sh"
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
[ -x "$HAPROXY" ] || t_skip_all "haproxy is not installed ($HAPROXY)"
t_need curl certtool python3
netns_try HAProxy "$@"

fixture_certs ica || t_bail "cannot make the certificates"
H=$T/haproxy
mkdir -p "$H/crt"
(umask 077 &&
	cat "$C/com.pem" "$C/com.key" >"$H/crt/mta-sts.example.com.pem" &&
	cat "$C/org.pem" "$C/org.key" >"$H/crt/mta-sts.example.org.pem") ||
	t_bail "cannot write the crt directory"

proxy_stsd_start || t_bail "stsd did not start"

# --- haproxy.cfg from contrib/proxy/haproxy.cfg ------------------------------
bind='    bind :::443 v4v6 ssl crt /etc/haproxy/mta-sts/ alpn http/1.1'
if [ $in_ns = yes ]; then
	HPORT=443
	bind_sed='s|@@none@@||'
	# Without IPv6 in this kernel, ":::443 v4v6" cannot bind.
	[ -e /proc/sys/net/ipv6 ] || bind_sed='s|bind :::443 v4v6 |bind 127.0.0.1:443 |'
else
	HPORT=$(free_port)
	bind_sed="s|bind :::443 v4v6 |bind 127.0.0.1:$HPORT |"
fi
{
	# HAProxy's own log (one line per request) on stderr; nothing else.
	printf 'global\n    log stderr format raw local0\n\n'
	sed -e "s|127\\.0\\.0\\.1:8461|127.0.0.1:$HTTP_PORT|" \
		-e "s| crt /etc/haproxy/mta-sts/ | crt $H/crt/ |" \
		-e "$bind_sed" \
		"$top_srcdir/contrib/proxy/haproxy.cfg"
} >"$H/haproxy.cfg"
t_like "$(cat "$top_srcdir/contrib/proxy/haproxy.cfg")" "^$bind\$" "contrib/proxy/haproxy.cfg: the bind line as expected"
conf=$(grep -v '^[[:space:]]*#' "$H/haproxy.cfg")
t_unlike "$conf" '/etc/haproxy|:8461' "contrib/proxy/haproxy.cfg: paths and port substituted"
t_like "$conf" "^    server stsd 127\\.0\\.0\\.1:$HTTP_PORT\$" "contrib/proxy/haproxy.cfg: the backend is stsd"
t_like "$conf" "^    bind .*:$HPORT .*ssl crt $H/crt/ alpn http/1\\.1\$" "contrib/proxy/haproxy.cfg: TLS on $HPORT with the test crt directory"
t_unlike "$conf" '^[[:space:]]*(defaults|compression|redirect|http-response)' \
	"contrib/proxy/haproxy.cfg: no defaults section, compression, redirect or response rewriting"

"$HAPROXY" -c -f "$H/haproxy.cfg" >"$H/check.log" 2>&1
rc=$?
t_ok $rc "haproxy -c accepts the generated configuration"
t_unlike "$(cat "$H/check.log")" 'WARNING|ALERT' "haproxy -c: no warning (every timeout is set)"
[ $rc -eq 0 ] || t_diag "$(cat "$H/check.log")"
"$HAPROXY" -db -f "$H/haproxy.cfg" >"$H/haproxy.log" 2>&1 &
HAPROXY_PID=$!
t_pids="$t_pids $HAPROXY_PID"
haproxy_up() {
	alive "$HAPROXY_PID" || return 0
	python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$HPORT"
}
wait_for haproxy_up
if ! alive "$HAPROXY_PID"; then
	t_diag "haproxy exited; its log:" "$(tail -20 "$H/haproxy.log")"
	t_bail "haproxy did not start"
fi

# --- through HAProxy versus direct -------------------------------------------
proxy_check_policies haproxy "$HPORT"

# An unknown name gets HAProxy's first certificate (the one for
# mta-sts.example.com), which a sender rejects; one that ignores that reaches
# stsd, which answers 404.
st=$(http_get unknown-sni --cacert "$C/ca.pem" \
	--resolve "mta-sts.example.net:$HPORT:127.0.0.1" \
	"https://mta-sts.example.net:$HPORT/.well-known/mta-sts.txt")
t_is "$st" 000 "an unknown name (SNI) through HAProxy: no certificate for it"
st=$(http_get unknown-sni-k -k -A via-haproxy-unknown-sni \
	--resolve "mta-sts.example.net:$HPORT:127.0.0.1" \
	"https://mta-sts.example.net:$HPORT/.well-known/mta-sts.txt")
t_is "$st" 404 "an unknown name through HAProxy, certificate ignored: stsd's 404"
wait_for grep -q via-haproxy-unknown-sni "$T/stsd.log"
t_like "$(grep via-haproxy-unknown-sni "$T/stsd.log")" " host=mta-sts\\.example\\.net(:$HPORT)? .* 404 " \
	"an unknown name through HAProxy: the 404 is stsd's"
st=$(http_get unknown-host --cacert "$C/ca.pem" -A via-haproxy-unknown-host \
	--resolve "mta-sts.example.com:$HPORT:127.0.0.1" -H "Host: mta-sts.example.net" \
	"https://mta-sts.example.com:$HPORT/.well-known/mta-sts.txt")
t_is "$st" 404 "a known SNI with an unknown Host through HAProxy: 404"
wait_for grep -q via-haproxy-unknown-host "$T/stsd.log"
t_like "$(grep via-haproxy-unknown-host "$T/stsd.log")" " host=mta-sts\\.example\\.net .* 404 " \
	"a known SNI with an unknown Host through HAProxy: the 404 is stsd's"

proxy_check_spoof haproxy "$HPORT"
proxy_check_burst haproxy "$HPORT"

# --- a real sender through HAProxy (namespace only), then the end ------------
proxy_finish HAProxy "$HAPROXY_PID"
t_done
