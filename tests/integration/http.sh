#!/bin/sh
# The plain-HTTP listener (RFC 8461 section 8.2 backend mode) against curl and
# raw requests: exact status, headers and body bytes per domain, HEAD, 404,
# 405, no redirects, Host normalisation, the index page, keep-alive, bodies
# refused, X-Forwarded-Host from trusted proxies only, a unix-socket
# listener, and the access log line.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fixture.sh"
t_need curl python3

{
	fixture_head http "unix=$T/stsd.sock"
	printf '  cache_control: "max-age=60"\n  trusted_proxies: ["127.0.0.1"]\n'
	fixture_domains same_as
} >"$T/trusting.yaml"
# The same, but trusting no proxy and with the default Cache-Control.
sed -e '/trusted_proxies:/d' -e '/cache_control:/d' "$T/trusting.yaml" >"$T/untrusting.yaml"

fixture_want same_as || t_bail "cannot write the expected bodies"

stsd_start "$T/trusting.yaml" || t_bail "stsd did not start"
t_like "$HTTP_PORT" '^[0-9]+$' "the log names the http port"
base=http://127.0.0.1:$HTTP_PORT
url=$base/.well-known/mta-sts.txt

# --- the policy of each domain ---------------------------------------------
for d in example.com example.org example.net; do
	st=$(http_get "$d" -H "Host: mta-sts.$d" -A "stsd-test/$d" "$url")
	t_is "$st" 200 "GET $d: 200"
	t_files_equal "$T/$d.body" "$T/want.$d" "GET $d: exact policy bytes"
	t_is "$(head -n1 "$T/$d.head")" "HTTP/1.1 200 OK" "GET $d: status line"
	t_is "$(hdr "$d" Content-Type)" "text/plain" "GET $d: Content-Type is exactly text/plain"
	t_is "$(hdr "$d" Content-Length)" "$(wc -c <"$T/want.$d" | tr -d ' ')" \
		"GET $d: Content-Length is the body length"
	t_is "$(hdr "$d" Content-Encoding)" "" "GET $d: no Content-Encoding"
	t_is "$(hdr "$d" Cache-Control)" "max-age=60" "GET $d: Cache-Control as configured"
	t_is "$(hdr "$d" Location)" "" "GET $d: no Location"
	t_is "$(hdr "$d" Content-Type | wc -l | tr -d ' ')" 1 "GET $d: one Content-Type"
done

# A sender asking for compression still gets the plain bytes.
st=$(http_get gz -H "Host: mta-sts.example.com" -H "Accept-Encoding: gzip, deflate, br" "$url")
t_is "$st" 200 "Accept-Encoding: gzip: 200"
t_is "$(hdr gz Content-Encoding)" "" "Accept-Encoding: gzip: still no Content-Encoding"
t_files_equal "$T/gz.body" "$T/want.example.com" "Accept-Encoding: gzip: identity body"

# No User-Agent at all (mailauth sends none): served the same way.
st=$(http_get noua -H "Host: mta-sts.example.com" -H "User-Agent:" "$url")
t_is "$st" 200 "no User-Agent: 200"
t_files_equal "$T/noua.body" "$T/want.example.com" "no User-Agent: the policy"

# Conditional requests never get a 304.
st=$(http_get cond -H "Host: mta-sts.example.com" -H 'If-None-Match: *' \
	-H "If-Modified-Since: $(date -u '+%a, %d %b %Y %H:%M:%S GMT')" "$url")
t_is "$st" 200 "If-None-Match / If-Modified-Since: 200, never 304"

# --- HEAD --------------------------------------------------------------------
st=$(http_get head -I -H "Host: mta-sts.example.com" "$url")
t_is "$st" 200 "HEAD: 200"
t_is "$(hdr head Content-Type)" "text/plain" "HEAD: Content-Type text/plain"
t_is "$(hdr head Content-Length)" "$(hdr example.com Content-Length)" "HEAD: the GET's Content-Length"
t_is "$(hdr head Cache-Control)" "max-age=60" "HEAD: the GET's Cache-Control"
# curl -I cannot see bytes after the head: ask on a raw connection.
printf 'HEAD /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\nConnection: close\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/rawhead"
t_like "$(head -n1 "$T/rawhead")" '^HTTP/1.1 200 ' "raw HEAD: 200"
t_is "$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d) - d.index(b"\r\n\r\n") - 4)' "$T/rawhead")" 0 \
	"raw HEAD: nothing after the head"

# --- 404 ---------------------------------------------------------------------
st=$(http_get unknown -H "Host: mta-sts.unknown-zzz.example" "$url")
t_is "$st" 404 "unknown host: 404"
t_unlike "$(cat "$T/unknown.body")" "unknown-zzz" "unknown host: the body does not echo the host"
t_ok "$([ "$(wc -c <"$T/unknown.body")" -le 64 ]; echo $?)" "unknown host: a short body"
cp "$T/unknown.body" "$T/body404"
# The policy host of a domain, but without the mta-sts. label.
st=$(http_get bare -H "Host: example.com" "$url")
t_is "$st" 404 "Host example.com (no mta-sts. label): 404"
for p in /.well-known/mta-sts.txtx /.well-known/mta-sts /.well-known/ \
	/.well-known/mta-sts.txt/ /mta-sts.txt /index.html /.well-known/MTA-STS.TXT \
	"/.well-known/mta-sts.txt%00" "/<script>zzz"; do
	st=$(http_get other -g --path-as-is -H "Host: mta-sts.example.com" "$base$p")
	t_is "$st" 404 "path $p: 404"
	t_files_equal "$T/other.body" "$T/body404" "path $p: the fixed 404 body"
	t_is "$(hdr other Location)" "" "path $p: no Location"
done
t_unlike "$(cat "$T"/other.body)" "script|zzz" "a 404 does not echo the path"

# No 3xx, ever.
for p in //.well-known/mta-sts.txt /.well-known//mta-sts.txt /./.well-known/mta-sts.txt \
	/.well-known/../.well-known/mta-sts.txt; do
	st=$(http_get slash --path-as-is -H "Host: mta-sts.example.com" "$base$p")
	t_like "$st" '^(200|404)$' "path $p: 200 or 404, not a redirect ($st)"
	t_is "$(hdr slash Location)" "" "path $p: no Location"
done

# --- Host normalisation ----------------------------------------------------
for h in MTA-STS.EXAMPLE.COM Mta-Sts.Example.Com mta-sts.example.com. \
	mta-sts.example.com:8080 MTA-STS.EXAMPLE.COM.:443 mta-sts.example.com:; do
	st=$(http_get host -H "Host: $h" "$url")
	t_is "$st" 200 "Host $h: 200"
	t_files_equal "$T/host.body" "$T/want.example.com" "Host $h: the example.com policy"
done
for h in mta-sts.example.com.. .mta-sts.example.com "mta-sts.example.com:x" \
	"mta-sts.example.com:443:443" "mta-sts.example.com/x"; do
	st=$(http_get badhost -H "Host: $h" "$url")
	t_like "$st" '^(400|404)$' "Host \"$h\": 400 or 404 ($st)"
done

# A query string is ignored.
st=$(http_get query -H "Host: mta-sts.example.com" "$url?foo=bar&x=1")
t_is "$st" 200 "a query string: 200"
t_files_equal "$T/query.body" "$T/want.example.com" "a query string: the policy"

# --- the index page --------------------------------------------------------
st=$(http_get index -H "Host: mta-sts.example.com" "$base/")
t_is "$st" 200 "GET /: 200"
t_like "$(hdr index Content-Type)" '^text/html' "GET /: text/html"
t_like "$(cat "$T/index.body")" 'https://mta-sts\.example\.com/\.well-known/mta-sts\.txt' \
	"GET /: the page names the policy URL"
st=$(http_get index2 -H "Host: MTA-STS.EXAMPLE.ORG." "$base/")
t_is "$st" 200 "GET / with Host MTA-STS.EXAMPLE.ORG.: 200"
t_like "$(cat "$T/index2.body")" 'https://mta-sts\.example\.org/\.well-known/mta-sts\.txt' \
	"GET / of example.org: its own policy URL"
printf 'GET / HTTP/1.1\r\nHost: mta-sts.example.com<script>alert(1)</script>\r\nConnection: close\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/hostile"
t_like "$(head -n1 "$T/hostile")" '^HTTP/1.1 (400|404) ' "GET / with a hostile Host: 400 or 404"
t_unlike "$(cat "$T/hostile")" '<script>|alert' "GET / with a hostile Host: not echoed"

# --- methods -----------------------------------------------------------------
for m in POST PUT DELETE OPTIONS PATCH; do
	st=$(http_get meth -X "$m" -H "Host: mta-sts.example.com" "$url")
	t_is "$st" 405 "$m: 405"
	t_is "$(hdr meth Allow)" "GET, HEAD" "$m: Allow: GET, HEAD"
done

# --- keep-alive: two URLs on one connection --------------------------------
curl -sS -v -o "$T/ka1" -o "$T/ka2" -H "Host: mta-sts.example.com" \
	"$url" "$url?second" 2>"$T/ka.err"
t_files_equal "$T/ka1" "$T/want.example.com" "keep-alive: first response"
t_files_equal "$T/ka2" "$T/want.example.com" "keep-alive: second response"
t_like "$(cat "$T/ka.err")" 'Re-using existing connection' "keep-alive: curl reused the connection"
t_unlike "$(grep -i '^< connection:' "$T/ka.err")" '[Cc]lose' "keep-alive: no Connection: close"

# --- a request with a body is refused --------------------------------------
printf 'GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello-zzzzz' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/withbody"
t_like "$(head -n1 "$T/withbody")" '^HTTP/1.1 4[0-9][0-9] ' "GET with a body: refused with a 4xx"
t_unlike "$(cat "$T/withbody")" 'hello-zzzzz|version: STSv1' "GET with a body: no policy, no echo"
printf 'GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/chunked"
t_like "$(head -n1 "$T/chunked")" '^HTTP/1.1 4[0-9][0-9] ' "GET with a chunked body: refused with a 4xx"
st=$(http_get post -H "Host: mta-sts.example.com" --data-binary 'hello' "$url")
t_like "$st" '^4[0-9][0-9]$' "POST with a body: a 4xx ($st)"
printf 'GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\nHost: mta-sts.example.org\r\nConnection: close\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/twohosts"
t_like "$(head -n1 "$T/twohosts")" '^HTTP/1.1 400 ' "two Host headers: 400"
printf 'GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/nohost"
t_like "$(head -n1 "$T/nohost")" '^HTTP/1.[01] 4[0-9][0-9] ' "HTTP/1.0 without Host: a 4xx"
printf 'GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: mta-sts.example.org\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >"$T/http10"
t_like "$(head -n1 "$T/http10")" '^HTTP/1.[01] 200 ' "HTTP/1.0 with Host: 200"

# --- X-Forwarded-Host from a trusted proxy (127.0.0.1) ---------------------
st=$(http_get xfh1 -H "Host: 127.0.0.1:$HTTP_PORT" -H "X-Forwarded-Host: mta-sts.example.org" "$url")
t_is "$st" 200 "trusted proxy: X-Forwarded-Host names the host"
t_files_equal "$T/xfh1.body" "$T/want.example.org" "trusted proxy: the X-Forwarded-Host's policy"
st=$(http_get xfh2 -H "Host: mta-sts.example.com" -H "X-Forwarded-Host: mta-sts.example.org" "$url")
t_files_equal "$T/xfh2.body" "$T/want.example.org" "trusted proxy: X-Forwarded-Host wins over Host"
st=$(http_get xfh3 -H "Host: mta-sts.example.com" -H "X-Forwarded-Host: MTA-STS.EXAMPLE.ORG.:443, proxy.example" "$url")
t_files_equal "$T/xfh3.body" "$T/want.example.org" "trusted proxy: the first X-Forwarded-Host value, normalised"
st=$(http_get fwd -H "Host: 127.0.0.1" -H 'Forwarded: for=192.0.2.1;host="mta-sts.example.org";proto=https' "$url")
t_is "$st" 200 "trusted proxy: Forwarded: host= names the host"
t_files_equal "$T/fwd.body" "$T/want.example.org" "trusted proxy: the Forwarded host's policy"
st=$(http_get xfhbad -H "Host: mta-sts.example.com" -H "X-Forwarded-Host: mta-sts.unknown-zzz.example" "$url")
t_is "$st" 404 "trusted proxy: an unknown X-Forwarded-Host: 404"

# --- the unix-socket listener ----------------------------------------------
t_ok "$([ -S "$T/stsd.sock" ]; echo $?)" "the unix socket exists"
t_is "$(stat -c %a "$T/stsd.sock" 2>/dev/null)" 666 "the unix socket is mode 0666"
st=$(http_get unix --unix-socket "$T/stsd.sock" -H "Host: mta-sts.example.org" \
	http://localhost/.well-known/mta-sts.txt)
t_is "$st" 200 "unix socket: 200"
t_files_equal "$T/unix.body" "$T/want.example.org" "unix socket: exact policy bytes"
t_is "$(hdr unix Content-Type)" "text/plain" "unix socket: Content-Type text/plain"
st=$(http_get unix404 --unix-socket "$T/stsd.sock" -H "Host: localhost" \
	http://localhost/.well-known/mta-sts.txt)
t_is "$st" 404 "unix socket: unknown host: 404"

# --- the access log (access_log: "-") ----------------------------------------
st=$(http_get logged -H "Host: mta-sts.example.org" -A 'stsd-log-probe/1 "quoted"' "$url?q=zz")
wait_for grep -q 'stsd-log-probe' "$T/stsd.log"
line=$(grep 'stsd-log-probe' "$T/stsd.log")
t_is "$(printf '%s\n' "$line" | wc -l | tr -d ' ')" 1 "access log: one line per request"
t_like "$line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z 127\.0\.0\.1 host=mta-sts\.example\.org sni=- "GET /\.well-known/mta-sts\.txt" 200 '"$(wc -c <"$T/want.example.org" | tr -d ' ')"' [0-9]+\.[0-9]{3}ms "stsd-log-probe/1 \\x22quoted\\x22"$' \
	"access log: time, peer, host, sni, request, status, bytes, latency, user agent"
grep 'stsd-test/example.com' "$T/stsd.log" >"$T/line.com"
t_like "$(cat "$T/line.com")" ' host=mta-sts\.example\.com sni=- "GET /\.well-known/mta-sts\.txt" 200 '"$(wc -c <"$T/want.example.com" | tr -d ' ')"' ' \
	"access log: the example.com request"
st=$(http_get logged2 -H "Host: mta-sts.unknown-zzz.example" -A 'stsd-log-probe-2' "$url")
wait_for grep -q 'stsd-log-probe-2' "$T/stsd.log"
t_like "$(grep 'stsd-log-probe-2' "$T/stsd.log")" ' host=mta-sts\.unknown-zzz\.example sni=- "GET /\.well-known/mta-sts\.txt" 404 ' \
	"access log: a 404 with its host"
st=$(http_get logged3 -I -H "Host: mta-sts.example.com" -A 'stsd-log-probe-3' "$url")
wait_for grep -q 'stsd-log-probe-3' "$T/stsd.log"
t_like "$(grep 'stsd-log-probe-3' "$T/stsd.log")" '"HEAD /\.well-known/mta-sts\.txt" 200 0 ' \
	"access log: HEAD logs 0 body bytes"
printf 'GET / HTTP/1.1\r\nHost: x\033[31mred\r\nUser-Agent: stsd-log-probe-4\r\nConnection: close\r\n\r\n' |
	raw_http 127.0.0.1 "$HTTP_PORT" >/dev/null
wait_for grep -q 'stsd-log-probe-4' "$T/stsd.log"
line=$(grep 'stsd-log-probe-4' "$T/stsd.log")
t_unlike "$line" "$(printf '\033')" "access log: control bytes from the client are escaped"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"

# --- the same requests against a configuration that trusts no proxy ---------
stsd_start "$T/untrusting.yaml" || t_bail "stsd did not start (untrusting.yaml)"
url=http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt
st=$(http_get n1 -H "Host: mta-sts.example.com" "$url")
t_is "$(hdr n1 Cache-Control)" "no-cache" "default Cache-Control is no-cache"
st=$(http_get n2 -H "Host: 127.0.0.1:$HTTP_PORT" -H "X-Forwarded-Host: mta-sts.example.org" "$url")
t_is "$st" 404 "untrusted peer: X-Forwarded-Host is ignored (404 for the real Host)"
st=$(http_get n3 -H "Host: mta-sts.example.com" -H "X-Forwarded-Host: mta-sts.example.org" "$url")
t_files_equal "$T/n3.body" "$T/want.example.com" "untrusted peer: the Host's policy, not the X-Forwarded-Host's"
st=$(http_get n4 -H "Host: mta-sts.example.com" -H 'Forwarded: host=mta-sts.example.org' "$url")
t_files_equal "$T/n4.body" "$T/want.example.com" "untrusted peer: Forwarded: host= is ignored"
st=$(http_get n5 --unix-socket "$T/stsd.sock" -H "Host: localhost" \
	-H "X-Forwarded-Host: mta-sts.example.org" http://localhost/.well-known/mta-sts.txt)
t_is "$st" 200 "unix socket peers are trusted: X-Forwarded-Host honoured"
t_files_equal "$T/n5.body" "$T/want.example.org" "unix socket: the X-Forwarded-Host's policy"
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM (untrusting.yaml)"
t_ok "$([ ! -e "$T/stsd.sock" ] || [ -S "$T/stsd.sock" ]; echo $?)" "nothing but a socket is left at the unix path"

t_done
