# fixture.sh: the test domains, their certificates and the exact bodies they
# serve, in one place for the integration tests (sourced after common.sh and
# certs.sh). Every file goes into $T.
#
#   fixture_ca [ica]          C=$T/certs: the test CA; with "ica" also an
#                             intermediate CA, which then signs the leaves
#                             made after it (LEAF_ISSUER=ica, chain appended).
#   fixture_certs [ica] [NET-SAN]
#                             fixture_ca, then the leaves com
#                             (mta-sts.example.com), org (mta-sts.example.org)
#                             and net (NET-SAN, default mta-sts.example.net).
#   fixture_proxy_cert        fixture_ca ica, then one leaf, proxy, for both
#                             mta-sts.example.com and mta-sts.example.org (what
#                             a reverse proxy in front of stsd presents).
#   fixture_head LISTENER...  prints the start of a configuration: "listen:"
#                             with each LISTENER (http or https: on
#                             127.0.0.1:0; or KIND=ADDRESS), "allow_root:
#                             true", the monitor off (no packet may leave
#                             the machine), and "http:" with access_log "-"
#                             (more http keys may follow).
#   fixture_certificates NAME...
#                             prints the "certificates:" block of a
#                             configuration for those leaves (com org net).
#   fixture_domains [same_as|own]
#                             prints the "defaults:" and "domains:" blocks, the
#                             end of a configuration: example.com (enforce,
#                             max_age 604800, mx1.example.com and
#                             *.mail.example.net), example.org (testing,
#                             max_age 86400, mail.example.org) and, when asked,
#                             example.net: the same policy as example.com
#                             (same_as) or its own (own: enforce, max_age
#                             604800, mx.example.net).
#   fixture_want [same_as|own]
#                             $T/want.example.com, $T/want.example.org and,
#                             when asked, $T/want.example.net: the exact bytes
#                             every sender must get for the domains of
#                             fixture_domains (RFC 8461 section 3.2, CRLF).
# Each returns non-zero when it cannot make its files.

fixture_ca() {
	C=$T/certs
	make_ca "$C" || return 1
	if [ "${1:-}" = ica ]; then
		make_intermediate "$C" || return 1
		LEAF_ISSUER=ica
	fi
}

fixture_certs() {
	fixture_ca "${1:-}" || return 1
	_fx_rc=0
	make_leaf "$C" com mta-sts.example.com &&
		make_leaf "$C" org mta-sts.example.org &&
		make_leaf "$C" net "${2:-mta-sts.example.net}" || _fx_rc=1
	unset LEAF_ISSUER
	return $_fx_rc
}

fixture_proxy_cert() {
	fixture_ca ica || return 1
	_fx_rc=0
	make_leaf "$C" proxy mta-sts.example.com mta-sts.example.org || _fx_rc=1
	unset LEAF_ISSUER
	return $_fx_rc
}

fixture_head() {
	echo "listen:"
	for _fx_l in "$@"; do
		case $_fx_l in
		*=*) printf '  - %s: "%s"\n' "${_fx_l%%=*}" "${_fx_l#*=}" ;;
		*) printf '  - %s: "127.0.0.1:0"\n' "$_fx_l" ;;
		esac
	done
	printf 'allow_root: true\nmonitor: {enabled: false}\nhttp:\n  access_log: "-"\n'
}

fixture_certificates() {
	echo "certificates:"
	for _fx_n in "$@"; do
		printf '  - cert: %s\n    key: %s\n' "$C/$_fx_n.pem" "$C/$_fx_n.key"
	done
}

fixture_domains() {
	cat <<-EOF
	defaults:
	  mode: enforce
	  max_age: 604800
	domains:
	  example.com:
	    mx: [mx1.example.com, "*.mail.example.net"]
	  example.org:
	    mode: testing
	    max_age: 86400
	    mx: mail.example.org
	EOF
	case ${1:-} in
	same_as) printf '  example.net:\n    same_as: example.com\n' ;;
	own) printf '  example.net:\n    mx: mx.example.net\n' ;;
	esac
}

fixture_want() {
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mail.example.net\r\nmax_age: 604800\r\n' \
		>"$T/want.example.com" &&
	printf 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n' \
		>"$T/want.example.org" || return 1
	case ${1:-} in
	same_as) cp "$T/want.example.com" "$T/want.example.net" ;;
	own) printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\nmax_age: 604800\r\n' \
		>"$T/want.example.net" ;;
	esac
}
