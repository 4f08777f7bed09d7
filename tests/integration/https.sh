#!/bin/sh
# The TLS listener: three domains, each with its own certificate (one a
# wildcard), issued through an intermediate CA. curl gets the exact policy per
# name; gnutls-cli checks the chain presented per SNI name (leaf and
# intermediate), unknown and missing SNI, protocol versions, ALPN and session
# resumption. The https and http listeners serve the same bytes (PROXY-1).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/fixture.sh"
t_need curl gnutls-cli certtool

fixture_certs ica '*.example.net' || t_bail "cannot make the certificates"

write_conf() {  # write_conf FILE [EXTRA-TLS-LINES]
	{
		fixture_head https http
		fixture_certificates com org net
		printf 'tls:\n%s\n  expiry_warning_days: 14\n' "$2"
		fixture_domains own
	} >"$1"
}
write_conf "$T/stsd.yaml" ""
write_conf "$T/default-host.yaml" "  default_host: mta-sts.example.org
  session_tickets: false"

fixture_want own || t_bail "cannot write the expected bodies"

# first_cert FILE: the first PEM certificate of FILE.
first_cert() {
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q}' "$1"
}

# tls NAME ARGS...: a gnutls-cli handshake with 127.0.0.1:$HTTPS_PORT trusting
# the test CA; output in $T/NAME.out, the chain received in $T/NAME.chain;
# returns gnutls-cli's status. It closes when stdin ends.
tls() {
	_t_name=$1
	shift
	rm -f "$T/$_t_name.chain"
	gnutls-cli --x509cafile="$C/ca.pem" -p "$HTTPS_PORT" \
		--save-cert="$T/$_t_name.chain" "$@" 127.0.0.1 \
		</dev/null >"$T/$_t_name.out" 2>&1
}

stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"
t_like "$HTTPS_PORT" '^[0-9]+$' "the log names the https port"
t_like "$HTTP_PORT" '^[0-9]+$' "the log names the http port"

# --- the policy of each name, and the chain presented for it ----------------
for d in example.com example.org example.net; do
	h=mta-sts.$d
	st=$(http_get "$d" --cacert "$C/ca.pem" --resolve "$h:$HTTPS_PORT:127.0.0.1" \
		"https://$h:$HTTPS_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "https $h: 200 (curl verified the chain and the name)"
	[ "$st" = 200 ] || t_diag "$(cat "$T/$d.err")"
	t_files_equal "$T/$d.body" "$T/want.$d" "https $h: exact policy bytes"
	t_is "$(hdr "$d" Content-Type)" "text/plain" "https $h: Content-Type text/plain"
	t_is "$(hdr "$d" Content-Length)" "$(wc -c <"$T/want.$d" | tr -d ' ')" "https $h: Content-Length"
	t_is "$(hdr "$d" Content-Encoding)" "" "https $h: no Content-Encoding"

	tls "sni-$d" --sni-hostname="$h" --verify-hostname="$h"
	t_is "$?" 0 "gnutls-cli $h: the handshake succeeds and the chain verifies"
	case $d in
	example.com) leaf=com ;;
	example.org) leaf=org ;;
	*) leaf=net ;;
	esac
	first_cert "$T/sni-$d.chain" >"$T/got-leaf"
	first_cert "$C/$leaf.pem" >"$T/want-leaf"
	t_files_equal "$T/got-leaf" "$T/want-leaf" "$h: the leaf presented is $leaf.pem"
	certtool -i <"$T/got-leaf" >"$T/leaf.txt" 2>&1
	if [ "$leaf" = net ]; then
		t_like "$(cat "$T/leaf.txt")" 'DNSname: \*\.example\.net' "$h: the wildcard certificate's SAN"
	else
		t_like "$(cat "$T/leaf.txt")" "DNSname: mta-sts\\.$d" "$h: the leaf's SAN names $h"
	fi
	t_is "$(grep -c 'BEGIN CERTIFICATE' "$T/sni-$d.chain")" 2 "$h: two certificates sent (leaf + intermediate)"
	sed -n '/-----BEGIN CERTIFICATE-----/,$p' "$T/sni-$d.chain" |
		awk '/-----BEGIN/{n++} n==2' >"$T/got-ica"
	t_files_equal "$T/got-ica" "$C/ica.pem" "$h: the second certificate is the intermediate"
done

# Upper case and a trailing dot in SNI are the same name.
tls sni-upper --sni-hostname=MTA-STS.EXAMPLE.ORG --verify-hostname=mta-sts.example.org
t_is "$?" 0 "SNI MTA-STS.EXAMPLE.ORG: served"
first_cert "$T/sni-upper.chain" >"$T/got-leaf"
first_cert "$C/org.pem" >"$T/want-leaf"
t_files_equal "$T/got-leaf" "$T/want-leaf" "SNI MTA-STS.EXAMPLE.ORG: the example.org leaf"

# --- unknown SNI, no SNI ---------------------------------------------------
tls sni-unknown --sni-hostname=mta-sts.unknown-zzz.example --verify-hostname=mta-sts.unknown-zzz.example
rc=$?
t_ok "$([ "$rc" -ne 0 ]; echo $?)" "unknown SNI: the handshake fails"
t_like "$(cat "$T/sni-unknown.out")" 'not recognized|nrecognized' "unknown SNI: an unrecognized_name alert"
t_diag "gnutls-cli says: $(grep -E 'alert|Fatal|Error' "$T/sni-unknown.out" | tr '\n' ' ')"
t_ok "$([ ! -s "$T/sni-unknown.chain" ]; echo $?)" "unknown SNI: no certificate is sent"
# A sibling of a wildcard name is not covered by it: *.example.net covers
# mta-sts.example.net, but example.com's chain must not cover x.example.com.
tls sni-sibling --sni-hostname=www.example.com --verify-hostname=www.example.com
t_ok "$([ $? -ne 0 ] && [ ! -s "$T/sni-sibling.chain" ]; echo $?)" "SNI www.example.com: refused"
st=$(http_get unknown -k --resolve "mta-sts.unknown-zzz.example:$HTTPS_PORT:127.0.0.1" \
	"https://mta-sts.unknown-zzz.example:$HTTPS_PORT/.well-known/mta-sts.txt")
t_is "$st" 000 "curl -k with an unknown SNI: no HTTP answer at all"

tls nosni --disable-sni --verify-hostname=mta-sts.example.com
t_ok "$([ $? -ne 0 ]; echo $?)" "no SNI and no tls.default_host: the handshake fails"
t_diag "gnutls-cli says: $(grep -E 'alert|Fatal|Error' "$T/nosni.out" | tr '\n' ' ')"
t_ok "$([ ! -s "$T/nosni.chain" ]; echo $?)" "no SNI: no certificate is sent"

# --- protocol versions -------------------------------------------------------
tls v11 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.1
t_ok "$([ $? -ne 0 ]; echo $?)" "TLS 1.1 only: the handshake fails"
tls v10 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.0
t_ok "$([ $? -ne 0 ]; echo $?)" "TLS 1.0 only: the handshake fails"
tls v12 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.2
t_is "$?" 0 "TLS 1.2 only: the handshake succeeds"
t_like "$(cat "$T/v12.out")" 'Description: \(TLS1\.2-' "TLS 1.2 only: TLS 1.2 negotiated"
tls v13 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.3
t_is "$?" 0 "TLS 1.3 only: the handshake succeeds"
t_like "$(cat "$T/v13.out")" 'Description: \(TLS1\.3-' "TLS 1.3 only: TLS 1.3 negotiated"
tls v12cbc --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC'
t_ok "$([ $? -ne 0 ]; echo $?)" "TLS 1.2 with CBC ciphers only: the handshake fails (AEAD only)"
for v in 1.2 1.3; do
	st=$(http_get "curl$v" --cacert "$C/ca.pem" --tlsv$v --tls-max $v \
		--resolve "mta-sts.example.org:$HTTPS_PORT:127.0.0.1" \
		"https://mta-sts.example.org:$HTTPS_PORT/.well-known/mta-sts.txt")
	t_is "$st" 200 "curl over TLS $v (OpenSSL): 200"
	t_files_equal "$T/curl$v.body" "$T/want.example.org" "curl over TLS $v: the policy"
done

# --- ALPN: never h2 ----------------------------------------------------------
tls alpn-h2 --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com --alpn h2
t_is "$?" 0 "ALPN h2 only: the handshake still succeeds"
t_unlike "$(cat "$T/alpn-h2.out")" 'Application protocol: h2' "ALPN h2 only: h2 not negotiated"
tls alpn-both --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
	--alpn h2 --alpn http/1.1
t_is "$?" 0 "ALPN h2 + http/1.1: the handshake succeeds"
t_unlike "$(cat "$T/alpn-both.out")" 'Application protocol: h2' "ALPN h2 + http/1.1: h2 not negotiated"
t_like "$(cat "$T/alpn-both.out")" 'Application protocol: http/1\.1' "ALPN h2 + http/1.1: http/1.1 negotiated"
st=$(curl -sS --http2 -o "$T/h2.body" -w '%{http_version}' --cacert "$C/ca.pem" \
	--resolve "mta-sts.example.com:$HTTPS_PORT:127.0.0.1" \
	"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt" 2>"$T/h2.err")
t_is "$st" 1.1 "curl --http2: HTTP/1.1 is used"
t_files_equal "$T/h2.body" "$T/want.example.com" "curl --http2: the policy"

# --- session resumption ------------------------------------------------------
for v in 1.2 1.3; do
	tls "resume$v" --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS$v" --resume --waitresumption
	t_is "$?" 0 "TLS $v --resume: both handshakes succeed"
	t_like "$(cat "$T/resume$v.out")" 'This is a resumed session' "TLS $v: the session is resumed"
done

# --- key exchange: X25519 first, so OpenSSL clients need no second hello ---
# OpenSSL (curl, Python and Go senders likewise) sends an X25519 key share
# first; a server preferring another group answers with a HelloRetryRequest
# and costs every fetch an extra round trip.
if command -v openssl >/dev/null 2>&1; then
	echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername mta-sts.example.com \
		-msg >"$T/ossl.out" 2>&1
	t_like "$(cat "$T/ossl.out")" 'Server Temp Key: X25519' "an OpenSSL client gets X25519"
	t_is "$(grep -c 'ServerHello' "$T/ossl.out")" 1 "in one ServerHello (no HelloRetryRequest)"
else
	t_skip "key exchange with an OpenSSL client" "openssl is not installed"
fi

# --- https and http serve the same bytes (PROXY-1) -------------------------
for d in example.com example.org; do
	h=mta-sts.$d
	http_get "s-$d" --cacert "$C/ca.pem" --resolve "$h:$HTTPS_PORT:127.0.0.1" \
		"https://$h:$HTTPS_PORT/.well-known/mta-sts.txt" >/dev/null
	http_get "p-$d" -H "Host: $h" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt" >/dev/null
	t_files_equal "$T/p-$d.body" "$T/s-$d.body" "$d: the same body on http and https"
	grep -iv '^date:' "$T/s-$d.head" >"$T/s-$d.h"
	grep -iv '^date:' "$T/p-$d.head" >"$T/p-$d.h"
	t_files_equal "$T/p-$d.h" "$T/s-$d.h" "$d: the same headers (but Date) on http and https"
done

# --- the access log names the SNI ---------------------------------------------
http_get sni-log --cacert "$C/ca.pem" -A stsd-sni-probe --resolve "mta-sts.example.net:$HTTPS_PORT:127.0.0.1" \
	"https://mta-sts.example.net:$HTTPS_PORT/.well-known/mta-sts.txt" >/dev/null
wait_for grep -q stsd-sni-probe "$T/stsd.log"
t_like "$(grep stsd-sni-probe "$T/stsd.log")" ' host=mta-sts\.example\.net:[0-9]+ sni=mta-sts\.example\.net "GET ' \
	"access log: host and SNI of an https request"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"

# --- with tls.default_host (and session_tickets: false) ----------------------
stsd_start "$T/default-host.yaml" || t_bail "stsd did not start (default-host.yaml)"
tls nosni2 --disable-sni --verify-hostname=mta-sts.example.org
t_is "$?" 0 "no SNI with tls.default_host: the handshake succeeds"
first_cert "$T/nosni2.chain" >"$T/got-leaf"
first_cert "$C/org.pem" >"$T/want-leaf"
t_files_equal "$T/got-leaf" "$T/want-leaf" "no SNI: the default host's leaf (org.pem)"
tls sni-unknown2 --sni-hostname=mta-sts.unknown-zzz.example --verify-hostname=mta-sts.unknown-zzz.example
t_ok "$([ $? -ne 0 ]; echo $?)" "with tls.default_host an unknown SNI is still refused"
# curl sends no SNI to an IP address; -k as the name cannot match 127.0.0.1.
st=$(curl -sS -k -o "$T/nosni.body" -w '%{http_code}' \
	-H "Host: mta-sts.example.org" "https://127.0.0.1:$HTTPS_PORT/.well-known/mta-sts.txt" 2>"$T/nosni.err")
t_is "$st" 200 "curl to https://127.0.0.1 (no SNI), Host mta-sts.example.org: 200"
t_files_equal "$T/nosni.body" "$T/want.example.org" "no SNI: the Host's policy"
# TLS 1.2 only: a TLS 1.3 client would wait for a ticket that never comes.
for v in 1.2; do
	tls "noresume$v" --sni-hostname=mta-sts.example.com --verify-hostname=mta-sts.example.com \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS$v" --resume
	t_is "$?" 0 "session_tickets: false, TLS $v --resume: both handshakes succeed"
	t_unlike "$(cat "$T/noresume$v.out")" 'This is a resumed session' \
		"session_tickets: false, TLS $v: no resumption"
done
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM (default-host.yaml)"

t_done
