#!/bin/sh
# The HTTPS intake of TLS reports (tlsrpt.path) with curl against the real
# daemon, which serves its policies throughout: gzip and JSON over TLS
# and plain HTTP, the gzip magic sniffed whatever the Content-Type, a
# duplicate, and each refusal with its status and short body (not a POST,
# too large by Content-Length and chunked, a gzip bomb, truncated gzip,
# invalid JSON, a schema error, a domain not served, an empty body); more
# uploads at once than the intake takes (200 or 503, nothing else); the
# policy path still GET/HEAD only; the admin listener and a configuration
# without tlsrpt.path not taking reports; the metrics; --report reading
# what came in.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
t_need curl certtool python3 gzip

F=$top_srcdir/tests/fixtures/tlsrpt
C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
make_leaf "$C" com mta-sts.example.com || t_bail "cannot make the certificate"
state=$T/state
mkdir -p "$state"
write_conf() {  # write_conf FILE TLSRPT-LINE
	cat >"$1" <<EOF
listen:
  - https: "127.0.0.1:0"
  - http: "127.0.0.1:0"
  - admin: "127.0.0.1:0"
allow_root: true
monitor: {enabled: false}
certificates:
  - cert: $C/com.pem
    key: $C/com.key
state_dir: $state
$2
defaults: {mode: testing, max_age: 604800}
domains:
  example.com: {mx: [mx1.example.com, mx2.example.com]}
EOF
}
write_conf "$T/stsd.yaml" "tlsrpt: {path: /tlsrpt}"
write_conf "$T/off.yaml" ""

stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"
ADMIN_PORT=$(sed -n 's|.*admin (metrics, status) on 127.0.0.1:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)
https_url="https://mta-sts.example.com:$HTTPS_PORT/tlsrpt"
resolve="mta-sts.example.com:$HTTPS_PORT:127.0.0.1"

post() {  # post FILE [CURL-ARGS...]: prints "STATUS BODY" (over TLS)
	f=$1
	shift
	curl -s --cacert "$C/ca.pem" --resolve "$resolve" -o "$T/body" \
		-w '%{http_code}' --data-binary "@$f" "$@" "$https_url" >"$T/code"
	printf '%s %s' "$(cat "$T/code")" "$(cat "$T/body")"
}
policy() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --resolve "$resolve" \
		"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt"
}

gzip -9n <"$F/google.json" >"$T/google.json.gz"
t_is "$(post "$T/google.json.gz" -H 'Content-Type: application/tlsrpt+gzip')" \
	"200 report stored" "gzip over TLS: 200, stored"
t_is "$(post "$T/google.json.gz" -H 'Content-Type: application/tlsrpt+gzip')" \
	"200 report already stored" "the same report again: 200, a duplicate"
t_is "$(post "$F/microsoft-nozone.json" -H 'Content-Type: application/tlsrpt+gzip')" \
	"200 report stored" "plain JSON labelled +gzip: sniffed, stored"
gzip -9n <"$F/mailru-freetext.json" >"$T/mailru.json.gz"
t_is "$(post "$T/mailru.json.gz" -H 'Content-Type: text/plain')" \
	"200 report stored" "gzip labelled text/plain: sniffed, stored"
t_is "$(curl -s -w ' %{http_code}' -H 'Content-Type: application/tlsrpt+json' \
	--data-binary "@$F/totals-disagree.json" "http://127.0.0.1:$HTTP_PORT/tlsrpt")" \
	"report stored
 200" "JSON on the plain-HTTP listener: stored"
t_is "$(policy)" 200 "the policy is served meanwhile"

# Refusals: fixed short bodies, never 5xx.
t_is "$(curl -s --cacert "$C/ca.pem" --resolve "$resolve" -D "$T/h" -o "$T/body" \
	-w '%{http_code}' "$https_url") $(cat "$T/body")" "405 POST a TLS report here" "GET: 405"
t_like "$(cat "$T/h")" "[Aa]llow: POST" "... with Allow: POST"
head -c 1048577 /dev/zero >"$T/big"
t_is "$(post "$T/big")" "413 report too large" "a body over 1 MiB (Content-Length): 413"
t_is "$(post "$T/big" -H 'Transfer-Encoding: chunked')" "413 report too large" \
	"a chunked body over 1 MiB: 413"
head -c 60000000 /dev/zero | gzip -9 >"$T/bomb.gz"
t_is "$(post "$T/bomb.gz")" "413 report too large" \
	"a gzip bomb ($(wc -c <"$T/bomb.gz") bytes to 60 MB): 413"
head -c 200 "$T/mailru.json.gz" >"$T/trunc.gz"
t_is "$(post "$T/trunc.gz")" "400 not a TLS report" "truncated gzip: 400"
printf '{"organization-name": "x", ' >"$T/bad.json"
t_is "$(post "$T/bad.json")" "400 not a TLS report" "invalid JSON: 400"
t_is "$(post "$F/bad-duplicate-key.json")" "400 not a TLS report" "duplicate keys: 400"
t_is "$(post "$F/bad-negative-count.json")" "400 not a TLS report" "a negative count: 400"
t_is "$(post "$F/no-policy-found.json")" "400 no policy domain of the report is served here" \
	"a report about a domain not served: 400"
: >"$T/empty"
t_is "$(post "$T/empty")" "400 not a TLS report" "an empty body: 400"

# More uploads at once than the intake takes, while policies are fetched.
gzip -9n <"$F/several-domains.json" >"$T/several.gz"
i=0
burst=
while [ $i -lt 24 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' --cacert "$C/ca.pem" --resolve "$resolve" \
		--data-binary "@$T/several.gz" "$https_url" >"$T/burst.$i" &
	burst="$burst $!"
	i=$((i + 1))
done
t_pids="$t_pids $burst"
fails=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(policy)" = 200 ] || fails=$((fails + 1))
done
for p in $burst; do wait "$p"; done
t_is "$(cat "$T"/burst.* | sort | uniq -c | awk '$2 != 200 && $2 != 503 { print }')" "" \
	"24 uploads at once: each 200 or 503, nothing else"
t_is "$(cat "$T"/burst.* | grep -c '^200$' | awk '{ print ($1 > 0) }')" 1 "... and some stored"
t_is "$fails" 0 "every policy fetch during the uploads: 200"

# The policy path is as strict as it was.
t_is "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --resolve "$resolve" \
	--data-binary "@$T/google.json.gz" \
	"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt")" 405 \
	"a POST to the policy path: still 405"
t_unlike "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/google.json.gz" \
	"http://127.0.0.1:$ADMIN_PORT/tlsrpt")" "^200$" "the admin listener takes no report"

# Metrics.
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/metrics"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_reports_total\{result="stored"\} ([5-9]|1[0-9])$' \
	"metrics: reports stored"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_reports_total\{result="duplicate"\} ([1-9]|[12][0-9])$' \
	"metrics: duplicates"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_rejected_total\{reason="too-large"\} 3$' \
	"metrics: rejected as too large (3)"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_rejected_total\{reason="not-ours"\} 1$' \
	"metrics: rejected as not ours (1)"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_rejected_total\{reason="gzip"\} 1$' \
	"metrics: rejected as bad gzip (1)"
t_like "$(cat "$T/metrics")" 'stsd_tlsrpt_sessions_total\{domain="example.com",result="successful"\} 277$' \
	"metrics: sessions of example.com (120 + 40 + 10 + 100 + 7)"
t_unlike "$(cat "$T/metrics")" 'domain="example.org"' "metrics: no domain not served"

# --report reads what came in over HTTPS.
"$STSD" --report -c "$T/stsd.yaml" --since 2026-11-01 --format json >"$T/r.json" 2>"$T/r.err"
t_is "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([(x["domain"], x["successful"], x["failed"], x["reports"]) for x in d["domains"]])' "$T/r.json")" \
	"[('example.com', 277, 15, 5)]" "--report: the five reports, each once"

# The daemon's own summary of the last days (status page, metrics): a
# report of yesterday, made now, then a reload (which records at once).
python3 -c 'import json, sys, datetime
r = json.load(open(sys.argv[1]))
d = (datetime.datetime.utcnow() - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
r["date-range"] = {"start-datetime": d + "T00:00:00Z", "end-datetime": d + "T23:59:59Z"}
r["report-id"] = "recent-" + d
json.dump(r, open(sys.argv[2], "w"))' "$F/google.json" "$T/recent.json"
t_like "$(post "$T/recent.json" -H 'Content-Type: application/tlsrpt+json')" "^200 " \
	"a report of yesterday is stored"
stsd_reload
wait_for sh -c "curl -s http://127.0.0.1:$ADMIN_PORT/metrics | grep -q '^stsd_tlsrpt_ready_for_enforce{domain=\"example.com\"}'"
t_like "$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics")" \
	'stsd_tlsrpt_ready_for_enforce\{domain="example.com"\} 0' \
	"metrics: not ready for enforce (one day of reports is not the window)"
t_like "$(curl -s "http://127.0.0.1:$ADMIN_PORT/status.json")" \
	'"tls_reports": \{"successful": [1-9][0-9]*, "failed": [0-9]+, "ready_for_enforce": "not-ready"' \
	"status.json: the last days' sessions and the verdict"
t_like "$(curl -s "http://127.0.0.1:$ADMIN_PORT/")" "ok, [0-9]+ failed; enforce: not-ready" \
	"the status page: the last days' failures and the verdict"

# One address may post tlsrpt.per_address_per_minute reports a minute.
write_conf "$T/stsd.yaml" "tlsrpt: {path: /tlsrpt, per_address_per_minute: 3}"
stsd_reload
codes=
for i in 1 2 3 4 5; do
	codes="$codes $(post "$T/google.json.gz" -H 'Content-Type: application/tlsrpt+gzip' | cut -d' ' -f1)"
done
t_is "$codes" " 200 200 200 429 429" \
	"per_address_per_minute 3: the fourth and fifth in a minute get 429"
t_like "$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics")" \
	'stsd_tlsrpt_rejected_total\{reason="rate"\} 2$' "metrics: rejected by rate (2)"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"

# Without tlsrpt.path there is no intake.
stsd_start "$T/off.yaml" || t_bail "stsd did not start"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/google.json.gz" \
	"http://127.0.0.1:$HTTP_PORT/tlsrpt")" 404 "no tlsrpt.path: 404"
stsd_stop
t_done
