#!/bin/sh
# The daemon's own ACME (issue 14) against Debian's pebble, in a private
# network namespace (only "lo"; dnsmasq answers mta-sts.* with 127.0.0.1,
# so pebble validates against stsd itself on ports 443 and 80). No real
# CA is ever contacted.
#
#  1. tls-alpn-01: stsd starts with no certificate for mta-sts.example.com
#     (--check and the log say why), answers pebble's acme-tls/1 handshake,
#     stores the certificate (0600) and makes it live with a reload; curl
#     trusting pebble's root gets the policy. example.org has a configured
#     certificate: it is served and never ordered. --acme-status and the
#     status page list both (source, expiry, next renewal); the swap
#     updates systemd's STATUS= (a fake notification socket).
#  2. A restart reuses the stored certificate: no new order at pebble.
#  3. http-01 (a reload switches the challenge and adds example.net):
#     answered on stsd's plain-HTTP listener, then served over HTTPS.
#     /metrics has the ACME certificate's expiry and the order count.
#  4. The CA unreachable with 23 names waiting: one attempt, logged with its
#     backoff, then every name pauses (no error storm); --acme-status shows
#     the error, and so does the status page; the stored certificates keep
#     serving.
#  5. Renewal: pebble issuing 24-second certificates; the renewal at two
#     thirds of the lifetime is swapped in while a request loop runs, and
#     no request fails. pebble refusing one name (its block list) holds up
#     only that name.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/pebble.sh"
. "$top_srcdir/tests/lib/notify.sh"
t_need pebble certtool curl
netns_enter "$@"
netns_setup

C=$T/certs
make_ca "$C" && make_leaf "$C" pebble localhost &&
	make_leaf "$C" org mta-sts.example.org ||
	t_bail "cannot make the test certificates"
netns_dns_start $(netns_a_record example.com) $(netns_a_record example.org) \
	$(netns_a_record example.net) $(netns_a_record example.biz) ||
	t_bail "dnsmasq does not start"

DIR=$PEBBLE_DIR
S=$T/state
orders() { pebble_orders; }

# write_conf CHALLENGE DIRECTORY DOMAIN...: the configuration, acme for
# every domain but example.org (which has its own certificate).
write_conf() {
	_ch=$1 _dir=$2
	shift 2
	{
		cat <<-EOF
		listen:
		  - https: "127.0.0.1:443"
		  - http: "127.0.0.1:80"
		  - admin: "127.0.0.1:9100"
		certificates:
		  - cert: $C/org.pem
		    key: $C/org.key
		state_dir: $S
		allow_root: true
		http:
		  access_log: $T/access.log
		acme:
		  directory: $_dir
		  ca_file: $C/ca.pem
		  email: hostmaster@example.com
		  accept_terms: true
		  challenge: $_ch
		defaults:
		  mode: enforce
		  max_age: 604800
		  mx: [mail.example.com]
		domains:
		  example.org: {}
		EOF
		for d in "$@"; do
			printf '  %s: {}\n' "$d"
		done
	} >"$T/stsd.yaml"
}

# fetch DOMAIN: the policy over HTTPS, trusting pebble's root only.
fetch() {
	curl -sf --max-time 20 --cacert "$T/root.pem" \
		--resolve "mta-sts.$1:443:127.0.0.1" \
		"https://mta-sts.$1/.well-known/mta-sts.txt"
}

issued() { [ "$(grep -c "acme: mta-sts.$1: certificate issued" "$T/stsd.log")" -ge "${2:-1}" ]; }
live() { fetch "$1" >/dev/null; }
mode() { stat -c %a "$1" 2>/dev/null; }
no_sanitizer_report() {
	t_unlike "$(cat "$T/stsd.log")" 'AddressSanitizer|LeakSanitizer|runtime error|==[0-9]+==' \
		"$1: no sanitizer or valgrind report in the log"
}

# The bundled example must never send anyone to a real CA.
t_unlike "$(cat "$top_srcdir/etc/stsd.yaml")" "^acme:" "etc/stsd.yaml does not enable acme:"

# ---- 1. tls-alpn-01 ----------------------------------------------------------
pebble_start "$C"
write_conf tls-alpn-01 "$DIR" example.com
out=$("$STSD" --check -c "$T/stsd.yaml" 2>&1)
t_like "$out" "warning: no certificate for mta-sts.example.com yet: it is ordered from the ACME CA" \
	"--check: a name waiting for its first certificate is a warning, and says why"
t_like "$out" "configuration OK" "--check: the configuration is OK"

# systemd's notification socket, faked: the ACME swap updates STATUS=.
have_sd=yes
ldd "$STSD" 2>/dev/null | grep -q libsystemd || have_sd=no
if [ $have_sd = yes ]; then
	notify_start "$T/notify.log"
	NOTIFY_SOCKET=$T/notify.sock
	export NOTIFY_SOCKET
fi
stsd_start "$T/stsd.yaml" || t_bail "stsd does not start"
unset NOTIFY_SOCKET
# A half-edited configuration on disk meanwhile: the new certificate goes
# live with the configuration that is live, without reading the file.
cp "$T/stsd.yaml" "$T/stsd.yaml.good"
echo "domains: [" >>"$T/stsd.yaml"
if wait_for issued example.com && wait_for live example.com; then
	t_ok 0 "tls-alpn-01: issued (pebble validated against stsd) and served"
else
	t_ok 1 "tls-alpn-01: issued (pebble validated against stsd) and served"
	t_diag "$(tail -n 20 "$T/stsd.log")" "$(tail -n 20 "$T/pebble.log")"
fi
mv "$T/stsd.yaml.good" "$T/stsd.yaml"
t_like "$(cat "$T/stsd.log")" "acme: new certificates live: generation 2" \
	"the certificate went live with the same swap as a reload (generation 2)"
t_unlike "$(cat "$T/stsd.log")" "reloading " "without reading the configuration file"
if [ $have_sd = yes ]; then
	acme_status_sent() { msgs "$T/notify.log" | grep -q '^STATUS=.*ACME: 1 issued'; }
	wait_for acme_status_sent
	t_like "$(msgs "$T/notify.log")" \
		'^STATUS=serving 2 domains, 2 certificates; ACME: 1 issued, 0 waiting; started$' \
		"systemd: the ACME swap updates STATUS= (and sends no READY=1 of a reload)"
	t_is "$(msgs "$T/notify.log" | grep -c READY=1)" 1 "systemd: READY=1 once, at the start"
	notify_stop
else
	t_skip "systemd STATUS= after the ACME swap" "stsd was built without libsystemd"
fi
t_like "$(fetch example.com)" "^version: STSv1" "curl trusting pebble's root gets the policy"
t_like "$(curl -s --max-time 20 --cacert "$C/ca.pem" --resolve mta-sts.example.org:443:127.0.0.1 \
	https://mta-sts.example.org/.well-known/mta-sts.txt)" "^version: STSv1" \
	"example.org: its configured certificate is served"
t_unlike "$(cat "$T/stsd.log")" "mta-sts.example.org: ordering" \
	"example.org: a configured certificate is never ordered"
t_is "$(mode "$S/acme/account.key") $(mode "$S/acme/certs/mta-sts.example.com.pem") $(mode "$S/acme/certs/mta-sts.example.com.key")" \
	"600 600 600" "the account key, the chain and its key are 0600"
metrics() { curl -sf --max-time 5 http://127.0.0.1:9100/metrics; }
m=$(metrics)
t_like "$m" '^stsd_acme_certificate_expiry_timestamp_seconds\{name="mta-sts\.example\.com"\} [1-9][0-9]+$' \
	"/metrics: the ACME certificate's expiry"
t_like "$m" '^stsd_acme_orders_total\{result="ok"\} 1$' "/metrics: one order, ok"
t_unlike "$m" '^stsd_acme_[a-z_]+\{name="mta-sts\.example\.org"' "/metrics: the configured name is not an ACME name"
st=$("$STSD" --acme-status -c "$T/stsd.yaml" 2>&1)
t_like "$st" "^mta-sts\.example\.com +Pebble Intermediate.* 20[0-9-]+ [0-9:]+ UTC +20[0-9-]+ .* -$" \
	"--acme-status: issuer, expiry, next renewal, no error"
t_like "$st" "^mta-sts\.example\.org +\(a configured certificate covers it" \
	"--acme-status: the configured name is not ordered"

# The status page: the certificate source of each name, the ACME name's
# expiry and next renewal.
page() { curl -sf --max-time 5 http://127.0.0.1:9100/; }
p=$(page)
t_like "$p" '<th id="acme">Certificate source \(ACME\)</th>' "status page: the ACME column"
# (example.com is the only ACME name; its row spans lines: the monitor's
# problems are a <pre>.)
t_like "$p" '<td class="acme"><span class="source">ACME</span>; expires <span class="when">20[0-9-]+T[0-9:]+Z</span>; next renewal <span class="when">20[0-9-]+T[0-9:]+Z</span></td></tr>' \
	"status page: example.com from ACME, with its expiry and next renewal"
t_like "$p" '<td class="domain">example\.org</td>.*<td class="acme"><span class="source">configured</span></td></tr>' \
	"status page: example.org's configured certificate"

# ---- 2. a restart orders nothing ---------------------------------------------
n=$(orders)
stsd_stop
t_is "$STSD_STATUS" 0 "first run: stsd exits 0"
no_sanitizer_report "first run"
rm -f "$S/acme/status"
stsd_start "$T/stsd.yaml" || t_bail "stsd does not restart"
t_like "$(fetch example.com)" "^version: STSv1" "restart: the stored certificate is served at once"
wait_for test -f "$S/acme/status"
t_is "$(orders)" "$n" "restart: no new order at pebble"
t_unlike "$(cat "$T/stsd.log")" "ordering a certificate" "restart: nothing ordered"

# ---- 3. http-01 --------------------------------------------------------------
write_conf http-01 "$DIR" example.com example.net
stsd_reload
if wait_for issued example.net && wait_for live example.net; then
	t_ok 0 "http-01: issued (answered on stsd's plain-HTTP listener) and served"
else
	t_ok 1 "http-01: issued (answered on stsd's plain-HTTP listener) and served"
	t_diag "$(tail -n 20 "$T/stsd.log")"
fi
t_like "$(cat "$T/access.log")" '"GET /\.well-known/acme-challenge/[A-Za-z0-9_-]+" 200 ' \
	"http-01: pebble's request was answered 200 on the plain-HTTP listener"
t_is "$(grep -c 'mta-sts.example.com: ordering' "$T/stsd.log")" 0 \
	"http-01: example.com, already issued, is not ordered again"

# ---- 4. the CA unreachable ---------------------------------------------------
pebble_stop
extra=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	extra="$extra n$i.example"
done
# shellcheck disable=SC2086 # one argument per domain
write_conf http-01 "https://localhost:14009/dir" example.com example.net example.biz $extra
stsd_reload
if wait_for grep -q "acme: mta-sts[a-z0-9.]*: network: .*next attempt in [0-9]* s" "$T/stsd.log"; then
	t_ok 0 "CA unreachable: the failure is logged with its backoff"
else
	t_ok 1 "CA unreachable: the failure is logged with its backoff"
	t_diag "$(tail -n 10 "$T/stsd.log")"
fi
# The status file is written after each attempt, before the next one.
wait_for grep -q "network: " "$S/acme/status"
t_is "$(grep -c 'acme: .*: network: ' "$T/stsd.log")" 1 \
	"CA unreachable: 21 names waiting, one attempt (no error storm)"
now=$(date +%s)
min_next=$(awk -F'\t' '!/^#/ && $1 !~ /example\.(com|net)$/ { print $2 }' "$S/acme/status" |
	sort -n | head -n 1)
t_ok "$([ "${min_next:-0}" -ge $((now + 240)) ]; echo $?)" \
	"CA unreachable: every waiting name pauses for the backoff (next at $min_next, now $now)"
t_like "$(fetch example.com)" "^version: STSv1" "CA unreachable: example.com keeps its certificate"
t_like "$(fetch example.net)" "^version: STSv1" "CA unreachable: example.net keeps its certificate"
js=$(curl -sf --max-time 5 http://127.0.0.1:9100/status.json | python3 -c '
import json, sys
d = json.load(sys.stdin)
bad = [a for a in d["acme"] if a["failures"] == 1 and a["last_error"].startswith("network: ")]
ok = [a for a in d["acme"] if a["name"] == "mta-sts.example.com" and a["certificate_expires"]]
print(len(d["acme"]), len(bad), len(ok))' 2>&1)
t_is "$js" "23 1 1" "status.json: 23 ACME names, the failed one with its error, example.com with its expiry"
t_like "$(metrics)" '^stsd_acme_consecutive_failures\{name="mta-sts\.[a-z0-9.]+"\} 1$' \
	"/metrics: the failed name counts one failure"
"$STSD" --acme-status -c "$T/stsd.yaml" >"$T/acme-status.txt" 2>&1
t_like "$(cat "$T/acme-status.txt")" "^mta-sts\.[a-z0-9.]+ +\(none yet\) +- +20[0-9-]+ [0-9:]+ UTC network: " \
	"--acme-status: the name that failed shows the error"
t_like "$(page)" '<td class="acme"><span class="source">none</span>; next order <span class="when">20[0-9-]+T[0-9:]+Z</span><br><span class="warn">last error \(1 in a row\): network: ' \
	"status page: the name that failed, with no certificate, its next order and the error"
kill -0 "$STSD_PID" 2>/dev/null
t_ok $? "CA unreachable: stsd keeps serving"

# ---- 5. renewal under load ---------------------------------------------------
: >"$T/pebble.log"
pebble_start "$C" 24
write_conf http-01 "$DIR" example.com example.net example.biz blocked.example
stsd_reload
wait_for issued example.biz && wait_for live example.biz ||
	t_diag "example.biz not issued: $(tail -n 10 "$T/stsd.log")"
serial() {
	echo | timeout 5 openssl s_client -connect 127.0.0.1:443 \
		-servername mta-sts.example.biz 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null
}
first=$(serial)
fails=0 total=0
# Requests until the renewal (issued twice) is live and then some more.
while ! issued example.biz 2 || [ "$(serial)" = "$first" ]; do
	total=$((total + 1))
	fetch example.biz >/dev/null || fails=$((fails + 1))
	[ "$total" -lt 5000 ] || break
done
for i in 1 2 3 4 5 6 7 8 9 10; do
	total=$((total + 1))
	fetch example.biz >/dev/null || fails=$((fails + 1))
done
t_ok $([ "$(serial)" != "$first" ] && [ -n "$first" ]; echo $?) \
	"renewal: a new certificate is served (was $first)"
t_is "$fails" 0 "renewal: none of $total requests during the swap failed"
t_like "$(cat "$T/stsd.log")" "acme: mta-sts.example.biz: ordering a certificate \(renewal\)" \
	"renewal: logged as a renewal"
t_like "$(cat "$T/stsd.log")" "acme: mta-sts.blocked.example: ca: .*; next attempt in [0-9]+ s" \
	"a name the CA refuses: logged, with its own backoff (the others went on)"
# The CA's text (quotes and all) reaches the status page escaped.
t_like "$(page)" 'last error \([0-9]+ in a row\): ca: [^<"]*&quot;mta-sts\.blocked\.example&quot;' \
	"status page: the CA's error, escaped"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd stops cleanly"
no_sanitizer_report "second run"
t_done
