#!/bin/sh
# A real sender: postfix-mta-sts-resolver's mta-sts-query fetches every
# policy from stsd on 127.0.0.1:443, inside a private network namespace where
# dnsmasq answers the _mta-sts TXT and mta-sts.<domain> A records and the
# test CA is the only trusted one. Then the policy changes (SIGHUP, new TXT
# id) and the sender must see the new policy under the new id.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/fixture.sh"
t_need curl certtool mta-sts-query
netns_enter "$@"
netns_setup

fixture_certs ica '*.example.net' || t_bail "cannot make the certificates"

# write_conf MX...: the configuration, with example.com's mx list.
write_conf() {
	{
		fixture_head https=127.0.0.1:443
		fixture_certificates com org net
		cat <<-EOF
		defaults:
		  max_age: 604800
		domains:
		  example.com:
		    mode: enforce
		EOF
		printf '    mx: ['
		sep=
		for mx in "$@"; do
			printf '%s"%s"' "$sep" "$mx"
			sep=", "
		done
		printf ']\n'
		cat <<-EOF
		  example.org:
		    mode: testing
		    mx: mail.example.org
		  example.net:
		    mode: none
		    max_age: 86400
		    mx: mx.example.net
		EOF
	} >"$T/stsd.yaml.new" && mv "$T/stsd.yaml.new" "$T/stsd.yaml"
}

# dns_start: dnsmasq with the TXT records that stsd --print-dns prints now.
dns_start() {
	set --
	for d in example.com example.org example.net; do
		txt=$(netns_sts_txt "$T/stsd.yaml" "$d") || t_bail "no TXT record for $d"
		set -- "$@" "$txt" "$(netns_a_record "$d")"
	done
	netns_dns_start "$@"
}

txt_id() {  # txt_id DOMAIN: the id stsd --print-dns prints for DOMAIN now
	"$STSD" --print-dns -c "$T/stsd.yaml" "$1" 2>/dev/null |
		sed -n 's/^_mta-sts\..* IN TXT "v=STSv1; id=\([A-Za-z0-9]*\)".*/\1/p'
}

# query DOMAIN [KNOWN-ID]: mta-sts-query trusting only the test CA.
query() {
	SSL_CERT_FILE=$C/ca.pem REQUESTS_CA_BUNDLE=$C/ca.pem \
		mta-sts-query "$@" 2>"$T/query.err"
}

write_conf mx1.example.com "*.mail.example.net"
dns_start || t_bail "dnsmasq did not start"
stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"
t_is "$HTTPS_PORT" 443 "stsd listens on 127.0.0.1:443 in the namespace"

# The plumbing first, so that a failure below is stsd's, not the test's.
t_like "$(getent ahosts mta-sts.example.org)" '^127\.0\.0\.1 ' "dnsmasq resolves mta-sts.example.org to 127.0.0.1"
st=$(http_get curl --cacert "$C/ca.pem" https://mta-sts.example.com/.well-known/mta-sts.txt)
t_is "$st" 200 "curl through the namespace's DNS: 200"

id_com=$(txt_id example.com)
out=$(query example.com)
t_like "$out" '^\(<STSFetchResult\.VALID: ' "mta-sts-query example.com: VALID"
t_like "$out" "'$id_com'" "mta-sts-query example.com: the TXT id $id_com"
t_like "$out" "'mode': 'enforce'" "mta-sts-query example.com: mode enforce"
t_like "$out" "'mx': \\['mx1\\.example\\.com', '\\*\\.mail\\.example\\.net'\\]" \
	"mta-sts-query example.com: both mx, in order"
t_like "$out" "'max_age': 604800" "mta-sts-query example.com: max_age 604800"
[ -s "$T/query.err" ] && t_diag "mta-sts-query said:" "$(cat "$T/query.err")"

out=$(query example.org)
t_like "$out" '^\(<STSFetchResult\.VALID: ' "mta-sts-query example.org: VALID"
t_like "$out" "'$(txt_id example.org)'" "mta-sts-query example.org: its TXT id"
t_like "$out" "'mode': 'testing'" "mta-sts-query example.org: mode testing"
t_like "$out" "'mx': \\['mail\\.example\\.org'\\]" "mta-sts-query example.org: its mx"

out=$(query example.net)
t_like "$out" '^\(<STSFetchResult\.VALID: ' "mta-sts-query example.net (wildcard certificate): VALID"
t_like "$out" "'mode': 'none'" "mta-sts-query example.net: mode none"
t_like "$out" "'mx': \\['mx\\.example\\.net'\\]" "mta-sts-query example.net: mode none still has its mx"
t_like "$out" "'max_age': 86400" "mta-sts-query example.net: max_age 86400"

out=$(query example.com "$id_com")
t_like "$out" 'STSFetchResult\.NOT_CHANGED' "mta-sts-query with the current id: NOT_CHANGED"

# The sender does verify the chain: without the test CA the fetch fails, so
# the VALID results above mean the chain stsd sent verified.
out=$(SSL_CERT_FILE=/dev/null mta-sts-query example.com 2>/dev/null)
t_like "$out" 'STSFetchResult\.FETCH_ERROR' "mta-sts-query without the test CA: FETCH_ERROR"

# A domain stsd does not serve has no TXT record: NONE, not an error.
out=$(query example.invalid)
t_like "$out" 'STSFetchResult\.NONE' "mta-sts-query of an unpublished domain: NONE"

# --- a policy change: new mx, SIGHUP, then the new TXT id is published -------
write_conf mx2.example.com
new_id=$(txt_id example.com)
t_ok "$([ -n "$new_id" ] && [ "$new_id" != "$id_com" ]; echo $?)" \
	"the new policy has a new id ($id_com -> $new_id)"
stsd_reload
t_like "$(cat "$T/stsd.log")" "domain example\\.com changed .*id $id_com -> $new_id" \
	"the reload logs example.com's id change"
netns_dns_stop
dns_start || t_bail "dnsmasq did not restart"

out=$(query example.com)
t_like "$out" '^\(<STSFetchResult\.VALID: ' "after the change: VALID"
t_like "$out" "'$new_id'" "after the change: the new id $new_id"
t_like "$out" "'mx': \\['mx2\\.example\\.com'\\]" "after the change: the new mx"
out=$(query example.com "$id_com")
t_like "$out" "VALID.*'mx': \\['mx2\\.example\\.com'\\]" \
	"a sender that knows the old id fetches the new policy"
out=$(query example.com "$new_id")
t_like "$out" 'STSFetchResult\.NOT_CHANGED' "a sender that knows the new id: NOT_CHANGED"
out=$(query example.org)
t_like "$out" "VALID.*'mode': 'testing'" "example.org is unchanged after the reload"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"
netns_dns_stop
t_done
