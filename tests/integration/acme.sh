#!/bin/sh
# The ACME client (src/clients/acme.c) against Debian's pebble, an ACME test
# CA, through tests/acme_driver, inside a private network namespace (only
# "lo"; dnsmasq answers the test names with 127.0.0.1 for pebble's
# validation). pebble's own HTTPS uses a certificate made here with
# certtool (the package ships none); the driver trusts it with --ca-file.
#
#  - issuance with PEBBLE_VA_ALWAYS_VALID=1 for 1 and for 3 names: the chain
#    names every name and verifies against pebble's root (management API
#    /roots/0), the key file matches; the same account key is reused
#    ("existing" account, same URL); onlyReturnExisting finds it, and finds
#    (and creates) none for a new key;
#  - pebble rejecting every nonce (PEBBLE_WFE_NONCEREJECT=100): a badNonce
#    error, after exactly one retry (two newAccount POSTs in pebble's log);
#  - External Account Binding required: refused without it (config error),
#    issued with pebble's example key, refused with a wrong MAC key; with
#    PEBBLE_AUTHZREUSE=100 a second order reuses the valid authorization
#    (nothing provisioned);
#  - 100 names in one order; a failing challenge callback (the order stops,
#    what was provisioned is removed);
#  - ca_file adds to the system store (pebble's CA bind-mounted as the
#    only system CA, an unrelated one as ca_file) and a CA trusted by
#    neither is refused;
#  - terms not accepted: config error, nothing sent;
#  - the CA unreachable (closed port: network error) and silent (accepts,
#    never answers: timeout error), each within its time limit;
#  - real validation (no ALWAYS_VALID): http-01 and tls-alpn-01 answered by
#    the driver on pebble's httpPort / tlsPort, and a validation failure
#    when nobody answers;
#  - ACME Renewal Information: pebble 2.4 has none ("ari none"); the
#    window from a fake CA that answers only the right certificate id;
#  - PEBBLE_ALTERNATE_ROOTS=1: the alternative chain (Link rel="alternate")
#    fetched, checked, verifying against pebble's second root;
#  - a hostile CA (a Python HTTPS server): an oversize directory, a
#    redirect, a file: URL, HTML, no Replay-Nonce, and a rateLimited problem
#    with Retry-After, each a structured error.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
t_need pebble certtool curl python3
DRIVER=${ACME_DRIVER:-$top_builddir/tests/acme_driver}
[ -x "$DRIVER" ] || t_skip_all "tests/acme_driver is not built"
netns_enter "$@"
netns_setup

C=$T/certs
make_ca "$C" && make_leaf "$C" pebble localhost || t_bail "cannot make pebble's certificate"
netns_dns_start $(netns_a_record example.com) $(netns_a_record example.org) \
	$(netns_a_record example.net) || t_bail "dnsmasq does not start"

DIR=https://localhost:14000/dir
EAB_KID=kid-1
EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W

# write_pebble_conf EAB(true|false): pebble's configuration.
write_pebble_conf() {
	cat >"$T/pebble.json" <<-EOF
	{
	  "pebble": {
	    "listenAddress": "127.0.0.1:14000",
	    "managementListenAddress": "127.0.0.1:15000",
	    "certificate": "$C/pebble.pem",
	    "privateKey": "$C/pebble.key",
	    "httpPort": 5002,
	    "tlsPort": 5001,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": $1,
	    "externalAccountMACKeys": { "$EAB_KID": "$EAB_KEY" }
	  }
	}
	EOF
}

pebble_up() {
	curl -sf --max-time 2 --cacert "$C/ca.pem" "$DIR" >/dev/null
}

# pebble_start EAB ENV...: starts pebble (VA without sleeps, no random
# nonce rejection, no reuse of valid authorizations, unless ENV says so)
# with its log in $T/pebble.log.
pebble_start() {
	write_pebble_conf "$1"
	shift
	: >"$T/pebble.log"
	env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 "$@" \
		pebble -config "$T/pebble.json" -dnsserver 127.0.0.1:53 \
		>>"$T/pebble.log" 2>&1 &
	PEBBLE_PID=$!
	t_pids="$t_pids $PEBBLE_PID"
	if ! wait_for pebble_up; then
		t_diag "pebble does not start; its log:"
		sed 's/^/#   /' "$T/pebble.log"
		t_bail "pebble does not start"
	fi
	curl -sf --cacert "$C/ca.pem" -o "$T/root.pem" https://localhost:15000/roots/0 ||
		t_bail "cannot fetch pebble's root"
}

pebble_stop() {
	kill "$PEBBLE_PID" 2>/dev/null || :
	wait "$PEBBLE_PID" 2>/dev/null || :
}

# drive NAME ARGS...: runs the driver (at most 120 s; a later --ca-file in
# ARGS replaces the default one); output in $T/NAME.out,
# its stderr in $T/NAME.err; sets DRIVE_STATUS.
drive() {
	_d_name=$1
	shift
	DRIVE_STATUS=0
	# shellcheck disable=SC2086 # STSD_WRAPPER is a command with arguments
	timeout 120 $STSD_WRAPPER "$DRIVER" --directory "$DIR" --ca-file "$C/ca.pem" \
		--email ops@example.com --order-timeout 60 "$@" \
		>"$T/$_d_name.out" 2>"$T/$_d_name.err" || DRIVE_STATUS=$?
	[ "$DRIVE_STATUS" -eq 0 ] || t_diag "$_d_name: $(cat "$T/$_d_name.out" "$T/$_d_name.err")"
}

# check_chain NAME SAN...: the chain $T/NAME.pem names every SAN, verifies
# against pebble's root, and its leaf matches the key $T/NAME.key.
check_chain() {
	_c_name=$1
	shift
	certtool -i --infile "$T/$_c_name.pem" >"$T/$_c_name.info" 2>&1
	_c_missing=
	for san in "$@"; do
		grep -q "DNSname: $san\$" "$T/$_c_name.info" || _c_missing="$_c_missing $san"
	done
	t_is "$_c_missing" "" "$_c_name: the certificate names $*"
	_c_verify=$(certtool --verify --load-ca-certificate "$T/root.pem" \
		--infile "$T/$_c_name.pem" 2>&1)
	t_like "$_c_verify" "Chain verification output: Verified" \
		"$_c_name: the chain verifies against pebble's root"
	_c_cert_id=$(certtool --pubkey-info --infile "$T/$_c_name.pem" 2>/dev/null |
		sed -n 's/.*Public Key ID:[[:space:]]*//p; /sha256:/p' | head -n 2 | tr -d ' \n')
	_c_key_id=$(certtool --pubkey-info --load-privkey "$T/$_c_name.key" 2>/dev/null |
		sed -n 's/.*Public Key ID:[[:space:]]*//p; /sha256:/p' | head -n 2 | tr -d ' \n')
	if [ -n "$_c_cert_id" ] && [ "$_c_cert_id" = "$_c_key_id" ]; then
		t_ok 0 "$_c_name: the key file is the certificate's key"
	else
		t_ok 1 "$_c_name: the key file is the certificate's key"
		t_diag "cert: $_c_cert_id" "key:  $_c_key_id"
	fi
}

# ---- always-valid issuance --------------------------------------------------
pebble_start false PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_ALTERNATE_ROOTS=1

drive one --account-key "$T/account.key" --chain "$T/one.pem" --key "$T/one.key" \
	--alternate "$T/one-alt.pem" mta-sts.example.com
t_is "$DRIVE_STATUS" 0 "one name: issued"
t_like "$(cat "$T/one.out")" "^account created https://localhost:14000/" "one name: a new account"
t_like "$(cat "$T/one.out")" "^issued names=1 not_after=[0-9]+ " "one name: issued line"
t_like "$(cat "$T/one.out")" "^provision tls-alpn-01 mta-sts.example.com" \
	"one name: the tls-alpn-01 answer was provisioned"
t_like "$(cat "$T/one.out")" "^remove tls-alpn-01 mta-sts.example.com" \
	"one name: and removed"
check_chain one mta-sts.example.com
# PEBBLE_ALTERNATE_ROOTS=1: the Link rel="alternate" chain, fetched and
# checked, verifies against pebble's second root.
t_like "$(cat "$T/one.out")" "alternates=1" "one name: one alternative chain offered"
t_like "$(cat "$T/one.out")" "^alternate ok" "one name: the alternative chain fetched"
curl -sf --cacert "$C/ca.pem" -o "$T/root1.pem" https://localhost:15000/roots/1
t_like "$(certtool --verify --load-ca-certificate "$T/root1.pem" --infile "$T/one-alt.pem" 2>&1)" \
	"Chain verification output: Verified" "one name: it verifies against pebble's second root"
[ "$(stat -c %a "$T/account.key")" != "" ] && grep -q "BEGIN PRIVATE KEY" "$T/account.key"
t_is $? 0 "the new account key was saved"

# Three names this account never validated: pebble 2.4 reuses a valid
# authorization one time in a hundred even with PEBBLE_AUTHZREUSE=0 (it
# compares rand.Intn(100) > 0), and a reused one needs no answer.
drive three --account-key "$T/account.key" --chain "$T/three.pem" --key "$T/three.key" \
	--challenge http-01 mta-sts.example.org mta-sts.example.net mta-sts.three.example
t_is "$DRIVE_STATUS" 0 "three names: issued"
check_chain three mta-sts.example.org mta-sts.example.net mta-sts.three.example
t_is "$(grep -c '^provision http-01 ' "$T/three.out")" 3 "three names: three http-01 answers"
t_is "$(grep -c '^remove http-01 ' "$T/three.out")" 3 "three names: all removed"
url1=$(sed -n 's/^account [a-z]* //p' "$T/one.out")
t_is "$(sed -n 's/^account \([a-z]*\) .*/\1/p' "$T/three.out")" existing \
	"account reuse: the CA already knows the key"
t_is "$(sed -n 's/^account [a-z]* //p' "$T/three.out")" "$url1" "account reuse: same account URL"

# onlyReturnExisting: finds the account of a known key, and none for a new
# key (without creating one).
drive find --account-key "$T/account.key" --find-account
t_is "$(cat "$T/find.out")" "account found $url1" "find the account of a known key"
drive find-none --account-key "$T/fresh.key" --find-account
t_is "$(cat "$T/find-none.out")" "account none" "no account for a new key"
drive find-again --account-key "$T/fresh.key" --find-account
t_is "$(cat "$T/find-again.out")" "account none" "and none created by looking"

drive ari --chain "$T/ari.pem" --ari mta-sts.example.com
t_like "$(cat "$T/ari.out")" "^ari none" "no renewalInfo in pebble's directory: ari none"

# 100 names in one order.
names=
i=1
while [ $i -le 100 ]; do
	names="$names d$i.example.com"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # one argument per name
drive hundred --account-key "$T/account.key" --chain "$T/hundred.pem" --key "$T/hundred.key" $names
t_is "$DRIVE_STATUS" 0 "100 names in one order: issued"
t_is "$(certtool -i --infile "$T/hundred.pem" | grep -c 'DNSname: d[0-9]*\.example\.com$')" 100 \
	"100 names in one order: all in the certificate"

# The callback refuses the second answer: the order stops, the first
# answer is removed.
drive cbfail --max-answers 1 mta-sts.example.com mta-sts.example.org
t_is "$DRIVE_STATUS" 1 "the challenge callback fails: the order fails"
t_like "$(cat "$T/cbfail.out")" "^error kind=callback .*name=mta-sts\\.example\\.(com|org): " \
	"the challenge callback fails: a callback error naming the identifier"
t_is "$(grep -c '^provision ' "$T/cbfail.out") $(grep -c '^remove ' "$T/cbfail.out")" "1 1" \
	"the challenge callback fails: what was provisioned is removed"

# ca_file is added to the system store, not used instead of it: with
# pebble's CA as the only "system" CA (bind-mounted over /etc/ssl/certs in
# this mount namespace) and an unrelated CA as ca_file, pebble is trusted;
# with neither, it is not.
make_ca "$T/other" || t_bail "cannot make a second CA"
mkdir -p "$T/sysca" "$T/nosysca"
cp "$C/ca.pem" "$T/sysca/ca-certificates.crt"
if mount --bind "$T/sysca" /etc/ssl/certs 2>/dev/null; then
	drive systrust --ca-file "$T/other/ca.pem" mta-sts.example.com
	t_is "$DRIVE_STATUS" 0 "ca_file adds to the system store (pebble's CA there, another in ca_file)"
	umount /etc/ssl/certs
	mount --bind "$T/nosysca" /etc/ssl/certs
	drive notrust --ca-file "$T/other/ca.pem" mta-sts.example.com
	t_like "$(cat "$T/notrust.out")" "^error kind=network " \
		"a CA certificate trusted by neither: a network (TLS) error"
	umount /etc/ssl/certs
else
	t_skip "ca_file adds to the system store" "cannot bind-mount over /etc/ssl/certs"
	t_skip "a CA certificate trusted by neither" "cannot bind-mount over /etc/ssl/certs"
fi

drive noterms --no-terms mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "terms not accepted: fails"
t_like "$(cat "$T/noterms.out")" "^error kind=config .*terms of service must be accepted" \
	"terms not accepted: a config error"
pebble_stop

# ---- badNonce ----------------------------------------------------------------
pebble_start false PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=100
: >"$T/pebble.log"
drive nonce mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "every nonce rejected: fails"
t_like "$(cat "$T/nonce.out")" \
	"^error kind=ca type=urn:ietf:params:acme:error:badNonce status=400 " \
	"every nonce rejected: a badNonce error"
t_is "$(grep -c 'POST /sign-me-up' "$T/pebble.log")" 2 \
	"badNonce: newAccount retried exactly once"
pebble_stop

# ---- External Account Binding ----------------------------------------------
pebble_start true PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_AUTHZREUSE=100
drive eab-none mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "EAB required, none given: fails"
t_like "$(cat "$T/eab-none.out")" "^error kind=config .*requires an external account binding" \
	"EAB required, none given: a config error"
drive eab --eab-kid "$EAB_KID" --eab-key "$EAB_KEY" --chain "$T/eab.pem" --key "$T/eab.key" \
	--account-key "$T/eab-account.key" mta-sts.example.com
t_is "$DRIVE_STATUS" 0 "EAB: issued with the right MAC key"
check_chain eab mta-sts.example.com
# PEBBLE_AUTHZREUSE=100: the account's valid authorization is reused.
drive reuse --eab-kid "$EAB_KID" --eab-key "$EAB_KEY" --chain "$T/reuse.pem" --key "$T/reuse.key" \
	--account-key "$T/eab-account.key" mta-sts.example.com
t_is "$DRIVE_STATUS" 0 "a valid authorization reused: issued"
t_is "$(grep -c '^provision ' "$T/reuse.out")" 0 "a valid authorization reused: nothing provisioned"
check_chain reuse mta-sts.example.com
drive eab-bad --eab-kid "$EAB_KID" \
	--eab-key AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
	mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "EAB with a wrong MAC key: fails"
t_like "$(cat "$T/eab-bad.out")" "^error kind=ca type=urn:ietf:params:acme:error:[a-zA-Z]+ status=4" \
	"EAB with a wrong MAC key: refused by the CA"
pebble_stop

# ---- the CA unreachable ------------------------------------------------------
start=$(date +%s)
drive closed --timeout-ms 3000 mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "nothing listening: fails"
t_like "$(cat "$T/closed.out")" "^error kind=network .*localhost:14000" \
	"nothing listening: a network error"
# A CA that accepts the connection and never says a word.
python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 14000)); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' &
SILENT_PID=$!
t_pids="$t_pids $SILENT_PID"
wait_for python3 -c 'import socket; socket.create_connection(("127.0.0.1", 14000), 1)'
drive silent --timeout-ms 2000 mta-sts.example.com
t_is "$DRIVE_STATUS" 1 "a silent CA: fails"
t_like "$(cat "$T/silent.out")" "^error kind=timeout " "a silent CA: a timeout error"
kill "$SILENT_PID" 2>/dev/null
wait "$SILENT_PID" 2>/dev/null
end=$(date +%s)
t_ok "$([ $((end - start)) -lt 60 ] && echo 0 || echo 1)" \
	"unreachable CAs: both failed within their limits ($((end - start)) s)"

# ---- a hostile CA --------------------------------------------------------------
# A small HTTPS server on pebble's port with a fixed answer per path.
cat >"$T/hostile.py" <<'PYEOF'
import http.server, json, ssl, sys
base = "https://localhost:14000"
def directory(prefix):
    return json.dumps({"newNonce": base + prefix + "/nonce",
                       "newAccount": base + prefix + "/account",
                       "newOrder": base + prefix + "/order"}).encode()
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_HEAD(self):
        if self.path == "/nononce/nonce":
            self.answer(200)
        else:
            self.answer(200, b"", [("Replay-Nonce", "bm9uY2U")])
    def do_GET(self):
        p = self.path
        if p == "/big":
            self.answer(200, b'{"x":"' + b"a" * 300000 + b'"}')
        elif p == "/redirect":
            self.answer(302, b"", [("Location", base + "/limited/dir")])
        elif p == "/baddir":
            self.answer(200, b'{"newNonce":"file:///etc/passwd","newAccount":"https://a/a","newOrder":"https://a/o"}')
        elif p == "/html":
            self.answer(200, b"<html><body>maintenance</body></html>", [("Content-Type", "text/html")])
        elif p in ("/nononce/dir", "/limited/dir"):
            self.answer(200, directory(p[:-4]))
        elif p == "/ari/dir":
            d = json.loads(directory("/ari"))
            d["renewalInfo"] = base + "/ari/renewal"
            self.answer(200, json.dumps(d).encode())
        elif p.startswith("/ari/renewal/"):
            with open(sys.argv[3]) as f:
                want = f.read().strip()
            if p[len("/ari/renewal/"):] == want:
                self.answer(200, json.dumps({"suggestedWindow": {
                    "start": "2030-01-02T00:00:00Z", "end": "2030-01-03T00:00:00Z"}}).encode(),
                    [("Content-Type", "application/json"), ("Retry-After", "21600")])
            else:
                self.answer(404)
        else:
            self.answer(404)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/limited/account":
            self.answer(429, json.dumps({"type": "urn:ietf:params:acme:error:rateLimited",
                "detail": "too many new accounts", "status": 429}).encode(),
                [("Content-Type", "application/problem+json"), ("Retry-After", "3600"),
                 ("Replay-Nonce", "bm9uY2U")])
        else:
            self.answer(404)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 14000), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PYEOF
sed -n 's/^issued .* ari=\([^ ]*\) .*/\1/p' "$T/one.out" >"$T/ari.id"
python3 "$T/hostile.py" "$C/pebble.pem" "$C/pebble.key" "$T/ari.id" 2>"$T/hostile.log" &
HOSTILE_PID=$!
t_pids="$t_pids $HOSTILE_PID"
wait_for curl -sf --cacert "$C/ca.pem" https://localhost:14000/nononce/dir ||
	t_bail "the hostile CA does not start: $(cat "$T/hostile.log")"

# hostile NAME PATH REGEX DESCRIPTION: the driver fails with a matching error.
hostile() {
	DIR=https://localhost:14000$2
	drive "$1" mta-sts.example.com
	DIR=https://localhost:14000/dir
	t_is "$DRIVE_STATUS" 1 "$4: fails"
	t_like "$(cat "$T/$1.out")" "$3" "$4: $(sed -n 's/^error kind=\([a-z]*\).*/\1/p' "$T/$1.out") error"
}
hostile big /big "^error kind=protocol .*over 262144 bytes" "a 300 kB directory"
hostile redirect /redirect "^error kind=ca type=- status=302 " "a redirect (not followed)"
hostile baddir /baddir '^error kind=protocol .*"newNonce": URL is not https://' \
	"a file: URL in the directory"
hostile html /html "^error kind=protocol .*directory: not valid JSON" "an HTML page"
hostile nononce /nononce/dir "^error kind=protocol .*no valid Replay-Nonce" "no nonce"
hostile limited /limited/dir \
	"^error kind=ca type=urn:ietf:params:acme:error:rateLimited status=429 retry_after=3600 " \
	"rate limited"
# RFC 9773: the renewalInfo URL is the directory's plus "/" and the
# certificate's identifier; the CA answers only that one.
t_like "$(cat "$T/ari.id")" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "ARI: the identifier of a pebble certificate"
DIR=https://localhost:14000/ari/dir
drive ari-window --ari-only "$T/one.pem"
DIR=https://localhost:14000/dir
t_is "$DRIVE_STATUS" 0 "ARI: renewal window fetched"
t_like "$(cat "$T/ari-window.out")" "^ari ok start=1893542400 end=1893628800 poll_after=21600$" \
	"ARI: window and Retry-After"
kill "$HOSTILE_PID" 2>/dev/null
wait "$HOSTILE_PID" 2>/dev/null

# ---- real validation -------------------------------------------------------
pebble_start false
drive http01 --challenge http-01 --serve-port 5002 --chain "$T/http01.pem" \
	--key "$T/http01.key" mta-sts.example.com mta-sts.example.org
t_is "$DRIVE_STATUS" 0 "http-01 validated by pebble: issued"
t_like "$(cat "$T/http01.out")" "^served http-01 mta-sts.example.org" \
	"http-01: pebble fetched the answer"
check_chain http01 mta-sts.example.com mta-sts.example.org

drive alpn --challenge tls-alpn-01 --serve-port 5001 --chain "$T/alpn.pem" \
	--key "$T/alpn.key" mta-sts.example.com
t_is "$DRIVE_STATUS" 0 "tls-alpn-01 validated by pebble: issued"
t_like "$(cat "$T/alpn.out")" "^served tls-alpn-01 mta-sts.example.com" \
	"tls-alpn-01: pebble completed the acme-tls/1 handshake"
check_chain alpn mta-sts.example.com

drive novalid --challenge http-01 mta-sts.example.net
t_is "$DRIVE_STATUS" 1 "nobody answers the challenge: fails"
t_like "$(cat "$T/novalid.out")" \
	"^error kind=validation type=urn:ietf:params:acme:error:[a-zA-Z]+ .*name=mta-sts.example.net" \
	"nobody answers: a validation error naming the identifier"
t_like "$(cat "$T/novalid.out")" "^remove http-01 mta-sts.example.net" \
	"nobody answers: the answer is still removed"
pebble_stop

t_done
