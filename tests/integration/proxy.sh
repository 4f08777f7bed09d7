#!/bin/sh
# stsd as a plain-HTTP backend behind nginx, configured with the server block
# of contrib/proxy/nginx.conf (certificate paths and ports substituted):
# the policy fetched through nginx is byte-identical to the one stsd serves
# directly, with the same Content-Type, Content-Length and Cache-Control.
# As root, inside a private network namespace, nginx listens on port 443
# exactly as shipped and mta-sts-query (a real sender, with dnsmasq for DNS)
# fetches every policy through it. Otherwise nginx listens on a free
# loopback port and only curl is used.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/fixture.sh"
. "$top_srcdir/tests/lib/proxy.sh"
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || t_skip_all "nginx is not installed ($NGINX)"
t_need curl certtool
netns_try nginx "$@"

fixture_proxy_cert || t_bail "cannot make the certificate"

{
	fixture_head http
	echo '  cache_control: "max-age=300"'
	fixture_domains
} >"$T/stsd.yaml"
stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"

# --- nginx.conf from contrib/proxy/nginx.conf --------------------------------
if [ $in_ns = yes ]; then
	NPORT=443
	listen_sed='s|@@none@@||'
else
	NPORT=$(free_port)
	listen_sed="s|listen 443 ssl;|listen 127.0.0.1:$NPORT ssl;|;/listen \\[::\\]:443 ssl;/d"
fi
sed -e "s|/etc/stsd/mta-sts.pem|$C/proxy.pem|" \
	-e "s|/etc/stsd/mta-sts.key|$C/proxy.key|" \
	-e "s|http://127.0.0.1:8461|http://127.0.0.1:$HTTP_PORT|" \
	-e "$listen_sed" \
	"$top_srcdir/contrib/proxy/nginx.conf" >"$T/server.conf"
t_unlike "$(grep -v '^[[:space:]]*#' "$T/server.conf")" '/etc/stsd|:8461' "contrib/proxy/nginx.conf: paths and port substituted"
t_like "$(cat "$T/server.conf")" "proxy_pass http://127\\.0\\.0\\.1:$HTTP_PORT;" "contrib/proxy/nginx.conf: proxy_pass to stsd"
t_like "$(cat "$T/server.conf")" 'proxy_set_header Host \$host;' "contrib/proxy/nginx.conf: passes Host"
t_like "$(cat "$T/server.conf")" "listen (127\\.0\\.0\\.1:)?$NPORT ssl;" "contrib/proxy/nginx.conf: listens on $NPORT"

N=$T/nginx
mkdir -p "$N"
user_line=
# As root the master keeps root and the workers run as nobody; they need no
# file of ours (small responses never touch the temp paths).
[ "$(id -u)" -eq 0 ] && user_line="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
cat >"$T/nginx.conf" <<EOF
$user_line
worker_processes 1;
events { worker_connections 64; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/client_body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    include $T/server.conf;
}
EOF
"$NGINX" -t -p "$N" -e stderr -c "$T/nginx.conf" -g "pid $N/nginx.pid; error_log stderr;" \
	>"$T/nginx-t.log" 2>&1
rc=$?
t_ok $rc "nginx -t accepts the generated configuration"
[ $rc -eq 0 ] || t_diag "$(cat "$T/nginx-t.log")"
"$NGINX" -p "$N" -e stderr -c "$T/nginx.conf" -g "daemon off; pid $N/nginx.pid; error_log stderr;" \
	>"$T/nginx.log" 2>&1 &
NGINX_PID=$!
t_pids="$t_pids $NGINX_PID"
# The pid file is written once the listening sockets are open.
nginx_up() { [ -s "$N/nginx.pid" ] || ! alive "$NGINX_PID"; }
wait_for nginx_up
if ! alive "$NGINX_PID"; then
	t_diag "nginx exited; its log:" "$(cat "$T/nginx.log")"
	t_bail "nginx did not start"
fi

# --- through nginx versus direct ---------------------------------------------
for d in example.com example.org; do
	h=mta-sts.$d
	st=$(http_get "n-$d" --cacert "$C/ca.pem" --resolve "$h:$NPORT:127.0.0.1" \
		-A "via-nginx-$d" "https://$h:$NPORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "$h through nginx: 200"
	[ "$st" = 200 ] || t_diag "$(cat "$T/n-$d.err")" "$(tail -5 "$T/nginx.log")"
	st=$(http_get "d-$d" -H "Host: $h" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "$h direct: 200"
	"$STSD" --print-policy "$d" -c "$T/stsd.yaml" >"$T/want-$d" 2>/dev/null
	t_files_equal "$T/d-$d.body" "$T/want-$d" "$h direct: the --print-policy bytes"
	t_files_equal "$T/n-$d.body" "$T/d-$d.body" "$h: through nginx byte-identical to direct"
	for f in Content-Type Content-Length Cache-Control; do
		t_is "$(hdr "n-$d" $f)" "$(hdr "d-$d" $f)" "$h through nginx: the same $f"
	done
	t_is "$(hdr "n-$d" Content-Type)" text/plain "$h through nginx: Content-Type exactly text/plain"
	t_is "$(hdr "n-$d" Content-Encoding)" "" "$h through nginx: no Content-Encoding"
	wait_for grep -q "via-nginx-$d" "$T/stsd.log"
	t_like "$(grep "via-nginx-$d" "$T/stsd.log")" " host=$h sni=- \"GET /\\.well-known/mta-sts\\.txt\" 200 " \
		"$h: the request reached stsd through nginx with Host $h"
	st=$(http_get "z-$d" --cacert "$C/ca.pem" --resolve "$h:$NPORT:127.0.0.1" \
		-H 'Accept-Encoding: gzip, deflate, br' "https://$h:$NPORT/.well-known/mta-sts.txt")
	t_is "$(hdr "z-$d" Content-Encoding)" "" "$h through nginx with Accept-Encoding: gzip: no Content-Encoding"
	t_files_equal "$T/z-$d.body" "$T/d-$d.body" "$h through nginx with Accept-Encoding: gzip: the same bytes"
done
st=$(http_get upper --cacert "$C/ca.pem" --resolve "mta-sts.example.org:$NPORT:127.0.0.1" \
	-H "Host: MTA-STS.EXAMPLE.ORG" "https://mta-sts.example.org:$NPORT/.well-known/mta-sts.txt")
t_files_equal "$T/upper.body" "$T/d-example.org.body" "Host in upper case through nginx: the policy"
st=$(http_get other --cacert "$C/ca.pem" --resolve "mta-sts.example.com:$NPORT:127.0.0.1" \
	"https://mta-sts.example.com:$NPORT/.well-known/mta-sts.txt/")
t_is "$st" 404 "a trailing slash through nginx: 404"
t_is "$(hdr other Location)" "" "a trailing slash through nginx: no redirect"
st=$(http_get head -I --cacert "$C/ca.pem" --resolve "mta-sts.example.com:$NPORT:127.0.0.1" \
	"https://mta-sts.example.com:$NPORT/.well-known/mta-sts.txt")
t_is "$st" 200 "HEAD through nginx: 200"
t_is "$(hdr head Content-Length)" "$(hdr d-example.com Content-Length)" "HEAD through nginx: the same Content-Length"

# --- a real sender through nginx (namespace only), then the end ----------------
proxy_finish nginx "$NGINX_PID"
t_done
