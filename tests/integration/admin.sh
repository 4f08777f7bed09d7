#!/bin/sh
# The admin listener: /metrics counts exactly what was served (by listener,
# status, domain and policy id, across a reload), promtool finds nothing to
# fix, a real Prometheus scrapes it, /status.json and the status page say the
# same, headless Chromium renders the page; admin paths do not exist on the
# policy listener, and admin.allow keeps other clients out.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
t_need curl python3 certtool

C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
make_leaf "$C" com mta-sts.example.com &&
	make_leaf "$C" org mta-sts.example.org || t_bail "cannot make the certificates"

# write_conf FILE MX [ADMIN-SECTION]
write_conf() {
	cat >"$1" <<EOF2
listen:
  - http: "127.0.0.1:0"
  - https: "127.0.0.1:0"
  - admin: "127.0.0.1:0"
allow_root: true
monitor: {enabled: false}
certificates:
  - cert: $C/com.pem
    key: $C/com.key
  - cert: $C/org.pem
    key: $C/org.key
defaults: {mode: enforce, max_age: 604800}
domains:
  example.com: {mx: $2}
  example.org: {mode: testing, mx: mail.example.org}
$3
EOF2
}
conf=$T/stsd.yaml
write_conf "$conf" mx-a.example.com
stsd_start "$conf" || t_bail "stsd did not start"
ADMIN_PORT=$(sed -n 's|.*admin (metrics, status) on .*:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)
[ -n "$ADMIN_PORT" ] || t_bail "no admin port in the log"
admin=http://127.0.0.1:$ADMIN_PORT

policy_get() {  # policy_get HOST [CURL-ARGS]: prints the status
	h=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' -H "Host: $h" "$@" \
		"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt"
}
metric() {  # metric NAME-AND-LABELS: its value in the last scrape, or "none"
	v=$(awk -v k="$1" '$1 == k { print $2 }' "$T/metrics")
	echo "${v:-none}"
}
scrape() {
	curl -s -o "$T/metrics" -w '%{http_code}' "$admin/metrics"
}

id1=$("$STSD" --print-dns -c "$conf" example.com |
	sed -n 's/.*"v=STSv1; id=\([0-9A-Za-z]*\)".*/\1/p')
for i in 1 2 3 4 5 6 7; do policy_get mta-sts.example.com >/dev/null; done
policy_get mta-sts.example.com -I >/dev/null     # HEAD: not a fetch
policy_get mta-sts.unknown.example >/dev/null    # 404, no domain
curl -s -o /dev/null -H 'Host: mta-sts.example.com' "http://127.0.0.1:$HTTP_PORT/nope"

t_is "$(scrape)" 200 "GET /metrics on the admin listener: 200"
t_like "$(curl -s -D - -o /dev/null "$admin/metrics" | tr -d '\r')" \
	"Content-Type: text/plain; version=0.0.4" "the Prometheus text format"
t_is "$(metric "stsd_policy_fetches_total{domain=\"example.com\",id=\"$id1\"}")" 7 \
	"policy fetches: exactly the 7 GETs (HEAD is no fetch)"
t_is "$(metric 'stsd_domain_requests_total{domain="example.com",status="200"}')" 8 \
	"domain requests, 200: 7 GET + 1 HEAD"
t_is "$(metric 'stsd_domain_requests_total{domain="example.com",status="404"}')" 1 \
	"domain requests, 404: the unknown path"
t_is "$(metric "stsd_http_requests_total{listener=\"127.0.0.1:0\",kind=\"http\",status=\"404\"}")" 2 \
	"listener requests, 404: unknown host and unknown path"
t_is "$(metric 'stsd_domains')" 2 "configured domains"
t_is "$(metric 'stsd_domain_info{domain="example.org",mode="testing",id="'"$("$STSD" --print-dns -c "$conf" example.org | sed -n 's/.*id=\([0-9A-Za-z]*\)".*/\1/p')"'"}')" 1 \
	"domain info: mode and id"
t_like "$(grep '^stsd_certificate_expiry_timestamp_seconds' "$T/metrics")" \
	'name="mta-sts.example.com"\} [0-9]{10}$' "certificate expiry, per certificate"

if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1
	st=$?
	t_is "$st:$(cat "$T/promtool.out")" "0:" "promtool check metrics: nothing to fix"
else
	t_skip "promtool check metrics" "promtool (package prometheus) is not installed"
fi

# TLS: a handshake, one with an unknown name, one without SNI.
if command -v gnutls-cli >/dev/null 2>&1; then
	printf 'GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\nConnection: close\r\n\r\n' |
		gnutls-cli --x509cafile "$C/ca.pem" -p "$HTTPS_PORT" \
		--sni-hostname mta-sts.example.com \
		--verify-hostname mta-sts.example.com 127.0.0.1 >/dev/null 2>&1
	gnutls-cli --insecure -p "$HTTPS_PORT" \
		--sni-hostname mta-sts.other.example 127.0.0.1 </dev/null >/dev/null 2>&1
	gnutls-cli --insecure --disable-sni -p "$HTTPS_PORT" 127.0.0.1 \
		</dev/null >/dev/null 2>&1
	fetched=8       # the GET over TLS is a fetch too
	wait_for sh -c "curl -s $admin/metrics | grep -q '^stsd_tls_handshake_failures_total{reason=\"no_sni\"} 1'"
	scrape >/dev/null
	t_is "$(metric stsd_tls_handshakes_total)" 1 "TLS handshakes: 1"
	t_is "$(metric 'stsd_tls_handshake_failures_total{reason="unknown_sni"}')" 1 \
		"TLS failures: unknown SNI"
	t_is "$(metric 'stsd_tls_handshake_failures_total{reason="no_sni"}')" 1 \
		"TLS failures: no SNI"
else
	t_skip "TLS handshake counters" "gnutls-cli is not installed"
fi

# A reload with a new policy: the old id's count stays, the new one counts.
: "${fetched:=7}"
write_conf "$conf" mx-b.example.com
stsd_reload
id2=$("$STSD" --print-dns -c "$conf" example.com |
	sed -n 's/.*"v=STSv1; id=\([0-9A-Za-z]*\)".*/\1/p')
for i in 1 2 3; do policy_get mta-sts.example.com >/dev/null; done
scrape >/dev/null
t_is "$(metric "stsd_policy_fetches_total{domain=\"example.com\",id=\"$id1\"}")" "$fetched" \
	"after a reload: the old id's fetches are kept"
t_is "$(metric "stsd_policy_fetches_total{domain=\"example.com\",id=\"$id2\"}")" 3 \
	"after a reload: the new id counts from 0"
t_is "$(metric 'stsd_reloads_total{result="success"}')" 1 "reloads: one success"
echo "domains: [" >"$conf"
stsd_reload failed
scrape >/dev/null
t_is "$(metric 'stsd_reloads_total{result="failure"}')" 1 "reloads: one failure"
t_is "$(metric 'stsd_last_reload_success')" 0 "last reload failed"
write_conf "$conf" mx-b.example.com

# status.json and the page
t_is "$(curl -s -o "$T/status.json" -w '%{http_code}' "$admin/status.json")" 200 \
	"GET /status.json: 200"
t_is "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = [x for x in d["domains"] if x["domain"] == "example.com"][0]
print(c["mode"], c["id"], c["fetches_current_id"], c["fetches_older_ids"], d["summary"]["domains"])' "$T/status.json")" \
	"enforce $id2 3 $fetched 2" "status.json: mode, current id, fetches of this id and older ids"

t_is "$(http_get page "$admin/")" 200 "GET / (status page): 200"
t_like "$(hdr page Content-Type)" '^text/html; charset=utf-8$' "an HTML page"
t_like "$(cat "$T/page.body")" '<td class="domain">example.org</td>' "the page lists the domains"
t_is "$(http_get filtered "$admin/?q=example.org")" 200 "a filtered page"
t_unlike "$(cat "$T/filtered.body")" '<td class="domain">example.com</td>' \
	"... without the domains the filter leaves out"

# The admin paths do not exist on the policy listener, and the admin
# listener serves nothing else.
t_is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: mta-sts.example.com' "http://127.0.0.1:$HTTP_PORT/metrics")" 404 \
	"no /metrics on the policy listener"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: mta-sts.example.com' "http://127.0.0.1:$HTTP_PORT/status.json")" 404 \
	"no /status.json on the policy listener"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$admin/.well-known/mta-sts.txt")" 404 \
	"no policy on the admin listener"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$admin/metrics")" 405 \
	"POST /metrics: 405"

# A real Prometheus scraping /metrics, queried through its HTTP API.
if command -v prometheus >/dev/null 2>&1; then
	pport=$(free_port)
	cat >"$T/prometheus.yml" <<EOF2
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: stsd
    static_configs: [{targets: ["127.0.0.1:$ADMIN_PORT"]}]
EOF2
	prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/prometheus-data" \
		--web.listen-address="127.0.0.1:$pport" >"$T/prometheus.log" 2>&1 &
	t_pids="$t_pids $!"
	q="http://127.0.0.1:$pport/api/v1/query?query=stsd_policy_fetches_total%7Bid%3D%22$id2%22%7D"
	wait_for sh -c "curl -s '$q' | grep -q '\"value\":\[[0-9.]*,\"3\"\]'" ||
		wait_for sh -c "curl -s '$q' | grep -q '\"value\":\[[0-9.]*,\"3\"\]'"
	t_like "$(curl -s "$q")" '"value":\[[0-9.]+,"3"\]' \
		"Prometheus scraped stsd_policy_fetches_total of the new id: 3"
	t_like "$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=up%7Bjob%3D%22stsd%22%7D")" \
		'"value":\[[0-9.]+,"1"\]' "Prometheus: target up"
else
	t_skip "a real Prometheus scrape" "prometheus is not installed"
fi

# Headless Chromium renders the page; the screenshot is kept beside the log.
chrome=$(command -v chromium || command -v chromium-browser || :)
if [ -n "$chrome" ]; then
	shot=${top_builddir:-.}/tests/integration/admin-status.png
	flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update
		--disable-sync --user-data-dir=$T/chrome"
	# shellcheck disable=SC2086 # word splitting of the flags is intended
	timeout 60 "$chrome" $flags --dump-dom "$admin/" >"$T/dom.html" 2>"$T/chrome.err"
	t_like "$(cat "$T/dom.html")" '<strong id="n-domains">2</strong>' \
		"Chromium: the summary counts 2 domains"
	t_like "$(cat "$T/dom.html")" '<td class="domain">example.com</td><td class="mode">enforce</td>' \
		"Chromium: example.com's row, in enforce"
	# shellcheck disable=SC2086
	timeout 60 "$chrome" $flags --window-size=1200,600 --screenshot="$shot" \
		"$admin/" >/dev/null 2>>"$T/chrome.err"
	t_ok "$([ -s "$shot" ] && echo 0 || echo 1)" "Chromium: a screenshot ($shot)"
else
	t_skip "the status page in Chromium" "chromium is not installed"
fi
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"

# admin.allow: a client not listed is refused (connection closed).
write_conf "$T/allow.yaml" mx-a.example.com "admin: {allow: [\"10.0.0.0/8\"]}"
stsd_start "$T/allow.yaml" || t_bail "stsd did not start"
ADMIN_PORT=$(sed -n 's|.*admin (metrics, status) on .*:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)
t_is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/metrics")" 000 \
	"admin.allow without 127.0.0.1: the client is refused"
stsd_stop

# Off loopback an allow-list is required.
write_conf "$T/open.yaml" mx-a.example.com
sed -i 's|admin: "127.0.0.1:0"|admin: "0.0.0.0:0"|' "$T/open.yaml"
out=$("$STSD" --check -c "$T/open.yaml" 2>&1)
t_like "$out" 'open.yaml:4:5: error: admin listener "0.0.0.0:0" is not on a loopback address' \
	"--check: a non-loopback admin listener needs admin.allow"
t_done
