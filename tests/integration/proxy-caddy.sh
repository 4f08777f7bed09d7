#!/bin/sh
# stsd as a plain-HTTP backend behind Caddy, configured with the site block
# of contrib/proxy/Caddyfile as shipped plus what a test needs: a global block
# (no automatic HTTPS, no admin endpoint, storage in $T) and "tls CERT KEY"
# with a certificate from the test CA. The policy fetched through Caddy (over
# HTTP/2 and HTTP/1.1) is byte-identical to the one stsd serves directly,
# with the same Content-Type, Content-Length and Cache-Control.
# As root, inside a private network namespace, the site listens on port 443
# exactly as shipped and mta-sts-query (a real sender, with dnsmasq for DNS)
# fetches every policy through it. Otherwise Caddy listens on a free
# loopback port ("bind 127.0.0.1" added) and only curl is used.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/fixture.sh"
. "$top_srcdir/tests/lib/proxy.sh"
CADDY=${CADDY:-$(command -v caddy 2>/dev/null || echo /usr/bin/caddy)}
[ -x "$CADDY" ] || t_skip_all "caddy is not installed ($CADDY)"
t_need curl certtool python3
netns_try Caddy "$@"

fixture_proxy_cert || t_bail "cannot make the certificate"

proxy_stsd_start || t_bail "stsd did not start"

# --- the Caddyfile from contrib/proxy/Caddyfile ------------------------------
site='mta-sts.example.com, mta-sts.example.org {'
if [ $in_ns = yes ]; then
	CPORT=443
	site_sed='s|@@none@@||'
	extra=
else
	CPORT=$(free_port)
	site_sed="s|^$site\$|mta-sts.example.com:$CPORT, mta-sts.example.org:$CPORT {|"
	extra="	bind 127.0.0.1"
fi
K=$T/caddy
mkdir -p "$K/home" "$K/data" "$K/config"
{
	cat <<-EOF
	{
		auto_https off
		admin off
		storage file_system $K/storage
	}
	EOF
	sed -e "s|127\\.0\\.0\\.1:8461|127.0.0.1:$HTTP_PORT|" \
		"$top_srcdir/contrib/proxy/Caddyfile" |
		awk -v site="$site" -v tls="	tls $C/proxy.pem $C/proxy.key" \
			-v extra="$extra" '
		{ print }
		$0 == site { print tls; if (extra != "") print extra }' |
		sed -e "$site_sed"
} >"$K/Caddyfile"
conf=$(grep -v '^[[:space:]]*#' "$K/Caddyfile")
t_unlike "$conf" ':8461' "contrib/proxy/Caddyfile: port substituted"
t_like "$conf" "^	reverse_proxy 127\\.0\\.0\\.1:$HTTP_PORT\$" "contrib/proxy/Caddyfile: reverse_proxy to stsd"
t_like "$conf" "^	tls $C/proxy\\.pem " "contrib/proxy/Caddyfile: the site block found, the test certificate added"
t_unlike "$conf" '^[[:space:]]*(encode|redir|header|rewrite|uri)[[:space:]]' \
	"contrib/proxy/Caddyfile: no encode, redirect or header rewriting"

# Caddy's own files (autosave.json, storage) stay in $T. "env" execs caddy,
# so $! below is caddy's own PID.
caddy_env="HOME=$K/home XDG_DATA_HOME=$K/data XDG_CONFIG_HOME=$K/config"
env $caddy_env "$CADDY" validate --config "$K/Caddyfile" --adapter caddyfile \
	>"$K/validate.log" 2>&1
rc=$?
t_ok $rc "caddy validate accepts the generated Caddyfile"
[ $rc -eq 0 ] || t_diag "$(cat "$K/Caddyfile")" "$(tail -5 "$K/validate.log")"
env $caddy_env "$CADDY" run --config "$K/Caddyfile" --adapter caddyfile >"$K/caddy.log" 2>&1 &
CADDY_PID=$!
t_pids="$t_pids $CADDY_PID"
caddy_up() {
	alive "$CADDY_PID" || return 0
	grep -q '"serving initial configuration"' "$K/caddy.log"
}
wait_for caddy_up
if ! alive "$CADDY_PID" || ! caddy_up; then
	t_diag "caddy did not start; its log:" "$(tail -20 "$K/caddy.log")"
	t_bail "caddy did not start"
fi

# --- through Caddy versus direct ---------------------------------------------
proxy_check_policies caddy "$CPORT"
proto=$(curl -sS --max-time 20 -o /dev/null -w '%{http_version}' --cacert "$C/ca.pem" \
	--resolve "mta-sts.example.com:$CPORT:127.0.0.1" \
	"https://mta-sts.example.com:$CPORT/.well-known/mta-sts.txt" 2>/dev/null)
t_is "$proto" 2 "curl and Caddy speak HTTP/2 (the checks above)"
proxy_check_policies caddy-h1 "$CPORT" --http1.1

# An unknown name: Caddy has no certificate for it and refuses the handshake.
st=$(http_get unknown-sni -k --resolve "mta-sts.example.net:$CPORT:127.0.0.1" \
	"https://mta-sts.example.net:$CPORT/.well-known/mta-sts.txt")
t_is "$st" 000 "an unknown name (SNI) through Caddy: the TLS handshake is refused"
# A known SNI with another Host matches no site: Caddy answers itself (an
# empty 200) and the request never reaches stsd, so no policy can leak.
st=$(http_get unknown-host --cacert "$C/ca.pem" --http1.1 -A via-caddy-unknown-host \
	--resolve "mta-sts.example.com:$CPORT:127.0.0.1" -H "Host: mta-sts.example.net" \
	"https://mta-sts.example.com:$CPORT/.well-known/mta-sts.txt")
t_diag "a known SNI with Host mta-sts.example.net: Caddy answers $st"
t_is "$(wc -c <"$T/unknown-host.body" | tr -d ' ')" 0 \
	"a known SNI with an unknown Host through Caddy: no body"
t_unlike "$(cat "$T/stsd.log")" via-caddy-unknown-host \
	"a known SNI with an unknown Host through Caddy: stsd never sees it"

proxy_check_spoof caddy "$CPORT"
proxy_check_burst caddy "$CPORT"

# --- a real sender through Caddy (namespace only), then the end --------------
proxy_finish Caddy "$CADDY_PID"
t_done
