#!/bin/sh
# stsd --diagnose against a small world in a private network namespace:
# dnsmasq answers for the test domains, stsd is the policy host of
# example.com and example.org on 127.0.0.1:443, a Python HTTPS server on
# 127.0.0.4:443 plays a misconfigured policy host (a charset, LF lines,
# "Version:", a redirect), and real Postfix smtpd instances listen on the
# MX addresses: 127.0.0.2 (STARTTLS, certificate for its name), 127.0.0.3
# (STARTTLS, certificate for another name), 127.0.0.6 (no STARTTLS);
# nothing listens on 127.0.0.5. Every certificate comes from the test CA,
# which --diagnose trusts through --ca-file.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
t_need certtool python3
[ -x /usr/lib/postfix/sbin/master ] || t_skip_all "postfix is not installed"
netns_enter "$@"
netns_setup
for a in 2 3 4 5 6 7 8 9; do
	ip addr add "127.0.0.$a/8" dev lo 2>/dev/null || :
done
# 198.51.100.0/24 (TEST-NET-2) is routed into lo, where nothing owns it:
# SYNs vanish and connects time out, as on a network that filters port 25.
# The route exists only in this namespace.
ip route add 198.51.100.0/24 dev lo || t_bail "cannot add the blackhole route"

C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
make_leaf "$C" com mta-sts.example.com &&
	make_leaf "$C" hostile mta-sts.endless.example mta-sts.huge.example \
		mta-sts.silent.example &&
	make_leaf "$C" org mta-sts.example.org &&
	make_leaf "$C" bad mta-sts.example.net mta-sts.example.info \
		mta-sts.gzip.example mta-sts.missing.example &&
	make_leaf "$C" mx1 mx1.example.com &&
	make_leaf "$C" wrong wrong.example &&
	make_leaf_expiring "$C" soon 5 mta-sts.expired.example &&
	make_leaf_expired "$C" old mx.expired.example ||
	t_bail "cannot make the certificates"

# ---- stsd: the policy host of example.com and example.org ----------------
cat >"$T/stsd.yaml" <<EOF2
listen:
  - https: "127.0.0.1:443"
allow_root: true
certificates:
  - cert: $C/com.pem
    key: $C/com.key
  - cert: $C/org.pem
    key: $C/org.key
  - cert: $C/soon.pem
    key: $C/soon.key
defaults:
  max_age: 2419200
domains:
  example.com:
    mode: enforce
    mx: mx1.example.com
    tls_rpt: "mailto:tlsrpt@example.com"
  example.org:
    mode: testing
    mx: mx.example.org
  expired.example:
    mode: enforce
    mx: mx.expired.example
EOF2
stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"

# ---- Postfix smtpd instances ------------------------------------------
# pf_start NAME ADDR HOSTNAME [CERT-NAME]: a minimal Postfix (master,
# smtpd, postlogd, proxymap, tlsmgr: smtpd offers no TLS without it) with its own configuration and queue
# directories; STARTTLS with $C/CERT-NAME.pem when CERT-NAME is given.
pf_start() {
	# Postfix's daemons run as the postfix user: they must traverse $T.
	chmod 711 "$T"
	d=$T/pf-$1
	mkdir -p "$d/queue/pid" "$d/queue/private" "$d/queue/public" "$d/data"
	chown postfix "$d/queue/private" "$d/queue/public" "$d/data"
	{
		echo "compatibility_level = 3.6"
		echo "queue_directory = $d/queue"
		echo "data_directory = $d/data"
		echo "mail_owner = postfix"
		echo "inet_interfaces = $2"
		echo "inet_protocols = ipv4"
		echo "myhostname = $3"
		echo "mydestination ="
		echo "maillog_file = $d/maillog"
		echo "maillog_file_prefixes = $d"
		echo "smtpd_client_connection_count_limit = 0"
		if [ -n "${4:-}" ]; then
			echo "smtpd_tls_security_level = may"
			echo "smtpd_tls_chain_files = $C/$4.key, $C/$4.pem"
		else
			echo "smtpd_tls_security_level = none"
		fi
	} >"$d/main.cf"
	cat >"$d/master.cf" <<-EOF2
	$2:smtp inet n - n - - smtpd
	postlog unix-dgram n - n - 1 postlogd
	proxymap unix - - n - - proxymap
	tlsmgr unix - - n 1000? 1 tlsmgr
	EOF2
	/usr/lib/postfix/sbin/master -c "$d" -d 2>"$d/master.err" &
	t_pids="$t_pids $!"
	wait_for smtp_ready "$2" || {
		t_diag "postfix on $2 did not start:" "$(cat "$d/maillog" "$d/master.err" 2>/dev/null)"
		return 1
	}
}

smtp_ready() {
	python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 25), timeout=2)
assert s.recv(100).startswith(b"220")' "$1"
}

pf_start good 127.0.0.2 mx1.example.com mx1 || t_bail "postfix (good) did not start"
pf_start wrong 127.0.0.3 mx.example.org wrong || t_bail "postfix (wrong name) did not start"
pf_start notls 127.0.0.6 mx.example.net || t_bail "postfix (no TLS) did not start"
pf_start old 127.0.0.9 mx.expired.example old || t_bail "postfix (expired) did not start"

# ---- a misconfigured policy host --------------------------------------
python3 - "$C/bad.pem" "$C/bad.key" >"$T/badhost.log" 2>&1 <<'PY' &
import http.server, ssl, sys

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers.get("Host", "")
        if host == "mta-sts.example.info":
            self.send_response(301)
            self.send_header("Location", "https://www.example.info/mta-sts.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if host == "mta-sts.missing.example":
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"Version: STSv1\nmode: enforce\nmx: mx.example.net\nmx: old.example.net\nmax_age: 86400\n"
        self.send_response(200)
        if host == "mta-sts.gzip.example":
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = http.server.HTTPServer(("127.0.0.4", 443), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
PY
t_pids="$t_pids $!"
wait_for grep -q ready "$T/badhost.log" || t_bail "the bad policy host did not start: $(cat "$T/badhost.log")"

# ---- hostile servers -------------------------------------------------------
# 127.0.0.7:443 (TLS, by SNI): endless headers, a body of 1 MiB, silence;
# 127.0.0.8:25: an endless SMTP banner.
python3 - "$C/hostile.pem" "$C/hostile.key" >"$T/hostile.log" 2>&1 <<'PY' &
import socket, ssl, sys, threading, time

def https(conn):
    try:
        name = conn.server_hostname or ""
        conn.recv(4096)
        if name.startswith("mta-sts.endless."):
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while True:
                conn.sendall(b"X-Filler: " + b"y" * 100 + b"\r\n")
        elif name.startswith("mta-sts.huge."):
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            for _ in range(1024):
                conn.sendall(b"x" * 1024)
        else:
            time.sleep(30)
    except OSError:
        pass
    finally:
        conn.close()

def smtp(conn):
    try:
        if conn.getsockname()[0] == "127.0.0.8":
            conn.sendall(b"220-" + b"z" * 60 + b"\r\n")
            while True:
                conn.sendall(b"220-more\r\n")
    except OSError:
        pass
    finally:
        conn.close()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ctx.sni_callback = lambda s, n, c: setattr(s, "server_hostname_seen", n)

h = socket.create_server(("127.0.0.7", 443))
m = socket.create_server(("127.0.0.8", 25))

def serve_https():
    while True:
        c, _ = h.accept()
        def run(c=c):
            try:
                t = ctx.wrap_socket(c, server_side=True)
                t.server_hostname = getattr(t, "server_hostname_seen", "")
                https(t)
            except (OSError, ssl.SSLError):
                c.close()
        threading.Thread(target=run, daemon=True).start()

def serve_smtp():
    while True:
        c, _ = m.accept()
        threading.Thread(target=smtp, args=(c,), daemon=True).start()

threading.Thread(target=serve_smtp, daemon=True).start()
print("ready", flush=True)
serve_https()
PY
t_pids="$t_pids $!"
wait_for grep -q ready "$T/hostile.log" || t_bail "the hostile servers did not start: $(cat "$T/hostile.log")"

# ---- DNS ------------------------------------------------------------------
id_com=$("$STSD" --print-dns -c "$T/stsd.yaml" example.com |
	sed -n 's/.*IN TXT "v=STSv1; id=\([0-9A-Za-z]*\)".*/\1/p')
id_exp=$("$STSD" --print-dns -c "$T/stsd.yaml" expired.example |
	sed -n 's/.*IN TXT "v=STSv1; id=\([0-9A-Za-z]*\)".*/\1/p')
[ -n "$id_com" ] || t_bail "no id for example.com"

# dns_start ID: the world, with ID in example.com's TXT record.
dns_start() {
	netns_dns_start \
		"--txt-record=_mta-sts.example.com,v=STSv1; id=$1" \
		"--address=/mta-sts.example.com/127.0.0.1" \
		"--mx-host=example.com,mx1.example.com,10" \
		"--address=/mx1.example.com/127.0.0.2" \
		"--txt-record=_smtp._tls.example.com,v=TLSRPTv1; rua=mailto:tlsrpt@example.com" \
		"--txt-record=_mta-sts.example.org,v=STSv1; id=1" \
		"--txt-record=_mta-sts.example.org,v=STSv1; id=2" \
		"--address=/mta-sts.example.org/127.0.0.1" \
		"--mx-host=example.org,mx.example.org,10" \
		"--mx-host=example.org,mx2.example.org,20" \
		"--address=/mx.example.org/127.0.0.3" \
		"--address=/mx2.example.org/127.0.0.5" \
		"--address=/mta-sts.example.net/127.0.0.4" \
		"--mx-host=example.net,mx.example.net,10" \
		"--address=/mx.example.net/127.0.0.6" \
		"--mx-host=example.net,noaddr.example.net,20" \
		"--address=/mta-sts.gzip.example/127.0.0.4" \
		"--address=/mta-sts.missing.example/127.0.0.4" \
		"--mx-host=null.example,.,0" \
		"--txt-record=_mta-sts.example.info,v=STSv1; ,id=7" \
		"--address=/mta-sts.example.info/127.0.0.4" \
		"--mx-host=blocked.example,mx.blocked.example,10" \
		"--address=/mx.blocked.example/198.51.100.25" \
		"--address=/bulk.example/127.0.0.1" \
		"--txt-record=_mta-sts.expired.example,v=STSv1; id=$id_exp" \
		"--address=/mta-sts.expired.example/127.0.0.1" \
		"--mx-host=expired.example,mx.expired.example,10" \
		"--address=/mx.expired.example/127.0.0.9" \
		"--address=/mta-sts.endless.example/127.0.0.7" \
		"--address=/mta-sts.huge.example/127.0.0.7" \
		"--address=/mta-sts.silent.example/127.0.0.7" \
		"--mx-host=endless.example,mx.endless.example,10" \
		"--address=/mx.endless.example/127.0.0.8" \
		"--mx-host=silent.example,mx.silent.example,10" \
		"--address=/mx.silent.example/127.0.0.8"
}
dns_start "$id_com" || t_bail "dnsmasq did not start"

# diag NAME ARGS...: runs stsd --diagnose against this world; output in
# $T/NAME.out, stderr in $T/NAME.err, exit status in $rc. Each step may take
# DIAG_TIMEOUT (an ARGS --timeout comes later and wins); the hostile
# servers' bound is HOSTILE_TIMEOUT.
DIAG_TIMEOUT=$(wrapped_bound 5 20)
HOSTILE_TIMEOUT=$(wrapped_bound 3 10)
diag() {
	_n=$1
	shift
	rc=0
	# timeout(1) only guards against a hang (status 124 fails the test).
	timeout 300 $STSD_WRAPPER "$STSD" --diagnose --resolver 127.0.0.1 --ca-file "$C/ca.pem" \
		--timeout "$DIAG_TIMEOUT" "$@" >"$T/$_n.out" 2>"$T/$_n.err" || rc=$?
}

# checks NAME: "domain id status" per check of the JSON in $T/NAME.out.
checks() {
	python3 -c 'import json, sys
for d in json.load(open(sys.argv[1]))["domains"]:
    print(d["domain"], "verdict", d["verdict"])
    for c in d["checks"]:
        print(d["domain"], c["id"], c["status"])' "$T/$1.out"
}

# has NAME DOMAIN ID STATUS DESCRIPTION
has() {
	t_like "$(checks "$1")" "^$2 $(echo "$3" | sed 's/\./\\./g') $4\$" "$5"
}

# ---- a healthy domain ------------------------------------------------------
diag good --format json example.com
t_is "$rc" 0 "example.com: exit 0 (no error)"
python3 -m json.tool <"$T/good.out" >/dev/null
t_is "$?" 0 "example.com: the JSON parses"
has good example.com verdict ok "example.com: verdict ok"
for c in txt.present txt.single txt.prefix txt.syntax txt.id policy.host \
	policy.tls policy.cert policy.status policy.content_type policy.size \
	policy.encoding policy.syntax policy.version policy.mode policy.max_age \
	policy.mx mx.lookup mx.covered smtp.connect smtp.starttls smtp.tls \
	smtp.cert tlsrpt.present tlsrpt.single tlsrpt.syntax tlsrpt.rua; do
	has good example.com "$c" ok "example.com: $c ok"
done
has good example.com dnssec info "example.com: dnssec info (no trust anchor here)"
[ -s "$T/good.err" ] && t_diag "stderr:" "$(cat "$T/good.err")"
[ "$rc" -eq 0 ] || t_diag "$(python3 -c 'import json,sys; [print(c["id"], c["status"], c["message"]) for d in json.load(open(sys.argv[1]))["domains"] for c in d["checks"] if c["status"] in ("error","warning")]' "$T/good.out")"

diag good-text example.com
t_is "$rc" 0 "text: exit 0"
t_like "$(head -n 1 "$T/good-text.out")" '^example\.com: ok$' "text: the domain's verdict first"
t_like "$(tail -n 1 "$T/good-text.out")" '^1 domain: 1 ok, 0 with warnings, 0 with errors$' "text: a summary line"

# ---- everything that can go wrong -----------------------------------------
diag bad --format json example.com example.org example.net example.info \
	nxdomain.example gzip.example missing.example null.example
t_is "$rc" 1 "with errors: exit 1"
python3 -m json.tool <"$T/bad.out" >/dev/null
t_is "$?" 0 "with errors: the JSON parses"
has bad example.com verdict ok "example.com still ok beside the others"
has bad example.org verdict error "example.org: verdict error"
has bad example.org txt.single error "two v=STSv1 records: txt.single error"
has bad example.org policy.mode info "example.org: mode testing is info"
has bad example.org mx.covered ok "mx.example.org is covered"
has bad example.org mx.covered warning "mx2.example.org is not covered: warning in testing"
has bad example.org smtp.cert error "mx.example.org's certificate names another host: smtp.cert error"
has bad example.org smtp.connect error "nothing listens on mx2.example.org: smtp.connect error"
has bad example.org tlsrpt.present warning "no _smtp._tls record: warning"
has bad example.net txt.present error "example.net: no TXT: txt.present error"
has bad example.net policy.content_type warning "a charset: policy.content_type warning"
has bad example.net policy.field_case error "\"Version:\": policy.field_case error"
has bad example.net policy.line_endings warning "LF lines: policy.line_endings warning"
has bad example.net policy.max_age warning "one day in enforce: policy.max_age warning"
has bad example.net smtp.starttls error "no STARTTLS: smtp.starttls error"
has bad example.net mx.unused warning "a pattern no MX uses: mx.unused warning"
has bad example.net mx.address error "an MX host without an address: mx.address error"
has bad example.net mx.covered error "... nor covered in enforce: mx.covered error"
has bad example.info policy.redirect error "a redirect: policy.redirect error"
has bad example.info policy.cert ok "... over a valid certificate"
has bad example.info txt.strings warning "a record in two character-strings: txt.strings warning"
has bad example.info txt.id ok "... still read as one record"
has bad nxdomain.example txt.present error "an unknown domain: txt.present error"
has bad nxdomain.example policy.host error "... policy.host error"
has bad nxdomain.example mx.lookup error "... mx.lookup error"
has bad gzip.example policy.content_encoding error "Content-Encoding: gzip: error"
has bad missing.example policy.status error "404: policy.status error"
has bad null.example mx.null error "a null MX: mx.null error"

diag expired --format json expired.example
has expired expired.example policy.cert ok "a policy host certificate valid for 5 more days: policy.cert ok"
has expired expired.example policy.cert_expiry warning "... and policy.cert_expiry warning"
has expired expired.example smtp.cert error "an expired MX certificate under enforce: smtp.cert error"
t_like "$(cat "$T/expired.out")" 'mx\.expired\.example: the certificate has expired' "... the message says it has expired"

diag bad-text example.org example.net
out=$(cat "$T/bad-text.out")
t_diag "stsd --diagnose example.org example.net:" "$out"
t_like "$out" 'error   txt\.single +several v=STSv1 records' "text: the txt.single message"
t_like "$out" 'fix: publish exactly one record: _mta-sts\.example\.org\. IN TXT "v=STSv1; id=[0-9]+"' \
	"text: the fix names the record, with the id stsd would serve"
t_like "$out" 'fix: add "mx: mx2\.example\.org" to the policy' "text: the fix names the pattern to add"
t_like "$out" 'mx2\.example\.org \(127\.0\.0\.5\): .*refused by the host' "text: a refused port 25 says so"
t_like "$out" 'mx\.example\.org: the certificate does not name the host' "text: the wrong certificate name"
t_like "$out" 'mx\.example\.net: EHLO does not offer STARTTLS' "text: no STARTTLS"
t_like "$out" '^2 domains: 0 ok, 0 with warnings, 2 with errors$' "text: the summary counts both"
first_ok=$(grep -n '^  ok ' "$T/bad-text.out" | head -n 1 | cut -d: -f1)
last_err=$(grep -n '^  error ' "$T/bad-text.out" | sed -n 1p | cut -d: -f1)
t_ok "$([ "$last_err" -lt "$first_ok" ]; echo $?)" "text: failures come before what passed"

diag nosmtp --format json --no-smtp example.net
has nosmtp example.net smtp.connect skipped "--no-smtp: smtp.connect skipped"
t_unlike "$(checks nosmtp)" 'smtp\.starttls' "--no-smtp: no STARTTLS check"

diag blocked --format json --timeout 2 blocked.example
has blocked blocked.example smtp.connect skipped "a port 25 that times out: smtp.connect skipped, not an error"
t_like "$(cat "$T/blocked.out")" 'port 25 looks blocked from here' "... and the message says the port looks blocked from here"

# Hostile servers: every step ends within its limits and its timeout.
start=$(date +%s)
diag hostile --format json --timeout "$HOSTILE_TIMEOUT" endless.example huge.example silent.example
end=$(date +%s)
t_is "$rc" 1 "hostile servers: exit 1"
python3 -m json.tool <"$T/hostile.out" >/dev/null
t_is "$?" 0 "hostile servers: the JSON parses"
has hostile endless.example policy.fetch error "endless headers: policy.fetch error"
t_like "$(cat "$T/hostile.out")" 'over 16 KiB|more than 100 header fields' "... the head is capped (16 KiB, 100 fields)"
has hostile huge.example policy.size error "a 1 MiB body: policy.size error"
has hostile silent.example policy.fetch error "a silent policy host: policy.fetch error"
t_like "$(cat "$T/hostile.out")" 'before the timeout' "... after the timeout"
has hostile endless.example smtp.connect error "an endless SMTP banner: smtp.connect error"
t_like "$(cat "$T/hostile.out")" 'too (many lines|long)' "... the reply is capped"
t_diag "hostile servers: done in $((end - start)) s"

# Many domains at once: d1.bulk.example ... d200.bulk.example all resolve
# to stsd, which has no certificate for them. Every domain's checks must be
# there; the time taken is shown, not asserted.
set --
i=1
while [ $i -le 200 ]; do
	set -- "$@" "d$i.bulk.example"
	i=$((i + 1))
done
start=$(date +%s%N)
diag bulk --format json --no-smtp "$@"
end=$(date +%s%N)
t_is "$rc" 1 "200 domains: exit 1"
t_is "$(checks bulk | grep -c ' verdict ')" 200 "200 domains: 200 reports"
t_is "$(checks bulk | grep -c ' policy\.tls error$')" 200 "200 domains: each has its policy.tls finding"
t_diag "200 domains diagnosed in $(( (end - start) / 1000000 )) ms"

# DNSSEC: with a trust anchor for the root (the root's published KSK DS
# record) and a resolver that has no signatures, every answer is bogus.
echo ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D" >"$T/root.ds"
diag bogus --format json --no-smtp --trust-anchor "$T/root.ds" example.com
t_is "$rc" 1 "DNSSEC bogus: exit 1"
has bogus example.com dnssec error "DNSSEC bogus: dnssec error"
t_like "$(cat "$T/bogus.out")" 'DNSSEC validation failed for' "... and it says where"
diag noanchor --format json --no-smtp example.com
has noanchor example.com dnssec info "no trust anchor: dnssec info, nothing validated"
diag badanchor --trust-anchor /nonexistent example.com
t_is "$rc" 2 "an unreadable trust anchor: exit 2"
t_like "$(cat "$T/badanchor.err")" 'cannot read the trust anchor file' "... and it says so"
diag badca --ca-file /nonexistent example.com
t_is "$rc" 2 "an unreadable --ca-file: exit 2"

# ---- the configured domains, compared with what stsd serves ---------------
diag conf --format json -c "$T/stsd.yaml"
has conf example.com txt.id_current ok "configured: the DNS names the id stsd serves"
has conf example.com policy.matches_served ok "configured: the fetched body is stsd's"
t_like "$(checks conf)" '^example\.org verdict error' "configured: example.org is diagnosed too"

netns_dns_stop
dns_start 42 || t_bail "dnsmasq did not restart"
diag stale -c "$T/stsd.yaml" example.com
t_is "$rc" 1 "an old id in the DNS: exit 1"
t_like "$(cat "$T/stale.out")" "error   txt\\.id_current +the DNS names id 42 but stsd serves id $id_com" \
	"an old id: txt.id_current error"
t_like "$(cat "$T/stale.out")" "fix: publish _mta-sts\\.example\\.com\\. IN TXT \"v=STSv1; id=$id_com\"" \
	"... the fix is the record to publish now"

# ---- usage ----------------------------------------------------------------
diag usage1 --format yaml example.com
t_is "$rc" 2 "--format yaml: exit 2"
diag usage2 'not a domain'
t_is "$rc" 2 "a bad domain: exit 2"
diag usage3 --timeout 0 example.com
t_is "$rc" 2 "--timeout 0: exit 2"

stsd_stop
netns_dns_stop
t_done
