# proxy.sh: checks shared by the reverse-proxy tests (tests/integration/
# proxy.sh, proxy-caddy.sh, proxy-haproxy.sh); sourced after common.sh,
# netns.sh and fixture.sh.
#
#   proxy_stsd_start      writes $T/stsd.yaml (example.com enforce, example.org
#                         testing, a plain-HTTP listener on 127.0.0.1:0, the
#                         proxy trusted as the snippets say) and starts
#                         stsd; sets HTTP_PORT.
#   proxy_check_policies NAME PORT [CURL-ARGS...]
#                         for both domains, through the proxy NAME on PORT
#                         (TLS checked against $C/ca.pem) versus stsd direct:
#                         status, bytes, Content-Type/-Length, Cache-Control,
#                         no Content-Encoding even when gzip is asked for, the
#                         Host stsd saw; then upper-case Host, a trailing
#                         slash (404, no redirect) and HEAD.
#   proxy_check_spoof NAME PORT
#                         a client's own X-Forwarded-Host / Forwarded: host=
#                         does not choose the policy (stsd trusts the proxy).
#   proxy_check_burst NAME PORT
#                         200 senders at once (stsd's per-address limit is 32
#                         when the proxy is not trusted) all get the policy.
#   proxy_check_sender NAME
#                         inside the namespace (port 443): mta-sts-query
#                         resolves both domains VALID through the proxy.
#   proxy_finish NAME PID
#                         proxy_check_sender inside the namespace (a skip
#                         outside), then stops the proxy (PID) and stsd,
#                         which must exit 0.

proxy_stsd_start() {
	{
		fixture_head http
		printf '  cache_control: "max-age=300"\n  trusted_proxies: ["127.0.0.1"]\n'
		fixture_domains
	} >"$T/stsd.yaml"
	stsd_start "$T/stsd.yaml"
}

# proxy_get NAME PORT HOST OUT [CURL-ARGS...]: GET the policy of HOST through
# the proxy; prints the status.
proxy_get() {
	_pg_port=$2
	_pg_host=$3
	_pg_out=$4
	shift 4
	http_get "$_pg_out" --cacert "$C/ca.pem" \
		--resolve "$_pg_host:$_pg_port:127.0.0.1" "$@" \
		"https://$_pg_host:$_pg_port/.well-known/mta-sts.txt"
}

proxy_check_policies() {
	_pc_name=$1
	_pc_port=$2
	shift 2
	for _pc_d in example.com example.org; do
		_pc_h=mta-sts.$_pc_d
		_pc_st=$(proxy_get "$_pc_name" "$_pc_port" "$_pc_h" "p-$_pc_d" \
			-A "via-$_pc_name-$_pc_d" "$@")
		t_is "$_pc_st" 200 "$_pc_h through $_pc_name: 200"
		[ "$_pc_st" = 200 ] || t_diag "$(cat "$T/p-$_pc_d.err")"
		_pc_st=$(http_get "d-$_pc_d" -H "Host: $_pc_h" \
			"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
		t_is "$_pc_st" 200 "$_pc_h direct: 200"
		"$STSD" --print-policy "$_pc_d" -c "$T/stsd.yaml" >"$T/want-$_pc_d" 2>/dev/null
		t_files_equal "$T/d-$_pc_d.body" "$T/want-$_pc_d" \
			"$_pc_h direct: the --print-policy bytes"
		t_files_equal "$T/p-$_pc_d.body" "$T/d-$_pc_d.body" \
			"$_pc_h: through $_pc_name byte-identical to direct"
		for _pc_f in Content-Type Content-Length Cache-Control; do
			t_is "$(hdr "p-$_pc_d" $_pc_f)" "$(hdr "d-$_pc_d" $_pc_f)" \
				"$_pc_h through $_pc_name: the same $_pc_f"
		done
		t_is "$(hdr "p-$_pc_d" Content-Type)" text/plain \
			"$_pc_h through $_pc_name: Content-Type exactly text/plain"
		t_is "$(hdr "p-$_pc_d" Content-Encoding)" "" \
			"$_pc_h through $_pc_name: no Content-Encoding"
		t_is "$(hdr "p-$_pc_d" Location)" "" \
			"$_pc_h through $_pc_name: no Location"
		# The client's Host, as curl sends it (with the port unless 443).
		wait_for grep -q "via-$_pc_name-$_pc_d" "$T/stsd.log"
		t_like "$(grep "via-$_pc_name-$_pc_d" "$T/stsd.log")" \
			" host=$_pc_h(:$_pc_port)? sni=- \"GET /\\.well-known/mta-sts\\.txt\" 200 " \
			"$_pc_h: the request reached stsd through $_pc_name with Host $_pc_h"
		_pc_st=$(proxy_get "$_pc_name" "$_pc_port" "$_pc_h" "z-$_pc_d" \
			-H 'Accept-Encoding: gzip, deflate, br' "$@")
		t_is "$_pc_st" 200 "$_pc_h through $_pc_name with Accept-Encoding: gzip: 200"
		t_is "$(hdr "z-$_pc_d" Content-Encoding)" "" \
			"$_pc_h through $_pc_name with Accept-Encoding: gzip: no Content-Encoding"
		t_files_equal "$T/z-$_pc_d.body" "$T/d-$_pc_d.body" \
			"$_pc_h through $_pc_name with Accept-Encoding: gzip: the same bytes"
		t_is "$(hdr "z-$_pc_d" Content-Type)" text/plain \
			"$_pc_h through $_pc_name with Accept-Encoding: gzip: Content-Type exactly text/plain"
	done
	_pc_st=$(proxy_get "$_pc_name" "$_pc_port" mta-sts.example.org upper \
		-H "Host: MTA-STS.EXAMPLE.ORG" "$@")
	t_is "$_pc_st" 200 "Host in upper case through $_pc_name: 200"
	t_files_equal "$T/upper.body" "$T/d-example.org.body" \
		"Host in upper case through $_pc_name: the policy"
	_pc_st=$(http_get slash --cacert "$C/ca.pem" \
		--resolve "mta-sts.example.com:$_pc_port:127.0.0.1" "$@" \
		"https://mta-sts.example.com:$_pc_port/.well-known/mta-sts.txt/")
	t_is "$_pc_st" 404 "a trailing slash through $_pc_name: stsd's 404"
	t_is "$(hdr slash Location)" "" "a trailing slash through $_pc_name: no redirect"
	_pc_st=$(proxy_get "$_pc_name" "$_pc_port" mta-sts.example.com head -I "$@")
	t_is "$_pc_st" 200 "HEAD through $_pc_name: 200"
	t_is "$(hdr head Content-Length)" "$(hdr d-example.com Content-Length)" \
		"HEAD through $_pc_name: the same Content-Length"
}

proxy_check_spoof() {
	_sp_st=$(proxy_get "$1" "$2" mta-sts.example.com spoof \
		-H "X-Forwarded-Host: mta-sts.example.org" \
		-H "Forwarded: host=mta-sts.example.org")
	t_is "$_sp_st" 200 "$1, a client's X-Forwarded-Host and Forwarded: 200"
	t_files_equal "$T/spoof.body" "$T/d-example.com.body" \
		"$1, a client's X-Forwarded-Host and Forwarded: the policy of the Host it connected to"
	# stsd reads Forwarded only without X-Forwarded-Host: try it alone.
	_sp_st=$(proxy_get "$1" "$2" mta-sts.example.com spoof2 \
		-H "Forwarded: for=192.0.2.1;host=mta-sts.example.org")
	t_is "$_sp_st" 200 "$1, a client's Forwarded alone: 200"
	t_files_equal "$T/spoof2.body" "$T/d-example.com.body" \
		"$1, a client's Forwarded alone: the policy of the Host it connected to"
}

proxy_check_burst() {
	_pb_pids=
	_pb_i=0
	while [ $_pb_i -lt 200 ]; do
		_pb_i=$((_pb_i + 1))
		curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' \
			--cacert "$C/ca.pem" \
			--resolve "mta-sts.example.com:$2:127.0.0.1" \
			"https://mta-sts.example.com:$2/.well-known/mta-sts.txt" \
			>"$T/burst.$_pb_i" 2>&1 &
		_pb_pids="$_pb_pids $!"
	done
	for _pb_p in $_pb_pids; do
		wait "$_pb_p"
	done
	_pb_codes=$(cat "$T"/burst.* | sort | uniq -c | tr -s ' \n' '  ')
	t_is "$_pb_codes" " 200 200 " "$1, 200 requests at once: all 200"
}

proxy_check_sender() {
	if ! command -v mta-sts-query >/dev/null 2>&1; then
		t_skip "mta-sts-query through $1" "mta-sts-query is not installed"
		return 0
	fi
	set --  "$1"
	for _ps_d in example.com example.org; do
		set -- "$@" "$(netns_sts_txt "$T/stsd.yaml" "$_ps_d")" \
			"$(netns_a_record "$_ps_d")"
	done
	_ps_name=$1
	shift
	netns_dns_start "$@" || t_bail "dnsmasq did not start"
	for _ps_d in example.com example.org; do
		_ps_id=$("$STSD" --print-dns -c "$T/stsd.yaml" "$_ps_d" 2>/dev/null |
			sed -n 's/^_mta-sts\..* IN TXT "v=STSv1; id=\([A-Za-z0-9]*\)".*/\1/p')
		_ps_out=$(SSL_CERT_FILE=$C/ca.pem mta-sts-query "$_ps_d" 2>"$T/query.err")
		t_like "$_ps_out" "^\\(<STSFetchResult\\.VALID: .*'$_ps_id'" \
			"mta-sts-query $_ps_d through $_ps_name: VALID with id $_ps_id"
		[ -n "$_ps_id" ] || t_diag "no id from stsd --print-dns"
		case $_ps_d in
		example.com) _ps_mode=enforce
			_ps_mx="'mx1\\.example\\.com', '\\*\\.mail\\.example\\.net'" ;;
		*) _ps_mode=testing _ps_mx="'mail\\.example\\.org'" ;;
		esac
		t_like "$_ps_out" "'mode': '$_ps_mode'" \
			"mta-sts-query $_ps_d through $_ps_name: mode $_ps_mode"
		t_like "$_ps_out" "'mx': \\[$_ps_mx\\]" \
			"mta-sts-query $_ps_d through $_ps_name: its mx"
	done
	netns_dns_stop
}

proxy_finish() {
	if [ "$in_ns" = yes ]; then
		proxy_check_sender "$1"
	else
		t_skip "mta-sts-query through $1" "not in a network namespace: $NETNS_WHY_NOT"
	fi
	kill "$2"
	wait "$2" 2>/dev/null
	stsd_stop
	t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"
}
