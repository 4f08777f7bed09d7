# pebble.sh: Debian's pebble (an ACME test CA) for the ACME tests, inside
# the test's own network namespace (sourced after common.sh and netns.sh,
# POSIX sh). Never a real CA.
#
#   pebble_start CERTDIR [VALIDITY]   starts pebble on 127.0.0.1:14000
#                        (management on :15000) with CERTDIR/pebble.pem and
#                        .key (make_leaf CERTDIR pebble localhost), validating
#                        for real (tls-alpn-01 on 443, http-01 on 80), its
#                        log in $T/pebble.log; VALIDITY: certificate lifetime
#                        in seconds. Fetches its root to $T/root.pem; sets
#                        PEBBLE_PID and PEBBLE_DIR (the directory URL).
#   pebble_stop          stops it.
#   pebble_orders        how many new orders pebble has seen.
PEBBLE_DIR=https://localhost:14000/dir

pebble_start() {
	_pb_certs=$1 _pb_validity=
	[ -z "${2:-}" ] || _pb_validity=", \"certificateValidityPeriod\": $2"
	cat >"$T/pebble.json" <<-EOF
	{ "pebble": {
	    "listenAddress": "127.0.0.1:14000",
	    "managementListenAddress": "127.0.0.1:15000",
	    "certificate": "$_pb_certs/pebble.pem", "privateKey": "$_pb_certs/pebble.key",
	    "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "",
	    "domainBlocklist": ["blocked.example"],
	    "externalAccountBindingRequired": false$_pb_validity } }
	EOF
	env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
		pebble -config "$T/pebble.json" -dnsserver 127.0.0.1:53 \
		>>"$T/pebble.log" 2>&1 &
	PEBBLE_PID=$!
	t_pids="$t_pids $PEBBLE_PID"
	wait_for curl -sf --max-time 2 --cacert "$_pb_certs/ca.pem" "$PEBBLE_DIR" ||
		t_bail "pebble does not start"
	curl -sf --cacert "$_pb_certs/ca.pem" -o "$T/root.pem" \
		https://localhost:15000/roots/0 || t_bail "cannot fetch pebble's root"
}

pebble_stop() {
	kill "$PEBBLE_PID" 2>/dev/null || :
	wait "$PEBBLE_PID" 2>/dev/null || :
}

pebble_orders() { grep -c 'POST /order-plz' "$T/pebble.log"; }
