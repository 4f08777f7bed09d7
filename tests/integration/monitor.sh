#!/bin/sh
# The monitor, in a private network namespace: dnsmasq publishes an old
# _mta-sts id, the monitor logs the drift once with the record to publish
# and shows it in /metrics and status.json; once the DNS names the served
# id it logs the recovery. A reload that changes the policy is checked at
# once (not at the next interval).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
t_need curl certtool python3
netns_enter "$@"
netns_setup

C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
make_leaf "$C" com mta-sts.example.com || t_bail "cannot make the certificate"

write_conf() {  # write_conf MX
	cat >"$T/stsd.yaml" <<EOF2
listen:
  - https: "127.0.0.1:443"
  - admin: "127.0.0.1:0"
allow_root: true
certificates:
  - cert: $C/com.pem
    key: $C/com.key
monitor:
  interval: 5
  smtp: false
  timeout: 3
  ca_file: $C/ca.pem
defaults: {mode: enforce, max_age: 604800}
domains:
  example.com: {mx: $1}
EOF2
}
dns_start() {  # dns_start ID: dnsmasq publishing _mta-sts.example.com id ID
	netns_dns_stop
	netns_dns_start --txt-record="_mta-sts.example.com,v=STSv1; id=$1" \
		--address=/mta-sts.example.com/127.0.0.1 \
		--mx-host=example.com,mx.example.com,10 \
		--address=/mx.example.com/127.0.0.1
}
write_conf mx.example.com
id=$("$STSD" --print-dns -c "$T/stsd.yaml" example.com |
	sed -n 's/.*"v=STSv1; id=\([0-9A-Za-z]*\)".*/\1/p')
dns_start 12345 || t_bail "dnsmasq did not start"
stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"
admin=http://127.0.0.1:$(sed -n 's|.*admin (metrics, status) on .*:\([0-9]*\)$|\1|p' "$T/stsd.log" | head -n1)

wait_for grep -q "monitor: example.com: txt.id_current error" "$T/stsd.log"
line=$(grep "monitor: example.com: txt.id_current error" "$T/stsd.log")
t_like "$line" "fix: .*_mta-sts.example.com.* IN TXT \"v=STSv1; id=$id\"" \
	"the drift is logged with the record to publish now"
t_like "$(curl -s "$admin/metrics")" \
	'stsd_monitor_problem\{domain="example.com",check="txt.id_current",status="error"\} 1' \
	"/metrics: the problem, by domain and check"
t_like "$(curl -s "$admin/status.json")" '"monitor": \{"verdict": "error"' \
	"status.json: the monitor's verdict"
# Several rounds (every 5 s) log the same problem once.
n=$(grep -c "monitor: example.com: txt.id_current error" "$T/stsd.log")
wait_for sh -c "[ \$(grep -c 'monitor: example.com: txt.id_current' '$T/stsd.log') -ge 1 ] && sleep 0 && curl -s '$admin/metrics' | awk '/^stsd_monitor_last_check_timestamp_seconds/ {print \$2}' | grep -qv '^$'"
first=$(curl -s "$admin/metrics" | awk '/^stsd_monitor_last_check_timestamp_seconds/ {print $2}')
wait_for sh -c "curl -s '$admin/metrics' | awk '/^stsd_monitor_last_check_timestamp_seconds/ {print \$2}' | grep -qv '^$first\$'"
t_is "$(grep -c "monitor: example.com: txt.id_current error" "$T/stsd.log")" "$n" \
	"a second round logs nothing new"

# The DNS catches up: the recovery is logged.
dns_start "$id" || t_bail "dnsmasq did not restart"
wait_for grep -q "monitor: example.com: txt.id_current is ok again" "$T/stsd.log"
t_like "$(cat "$T/stsd.log")" "monitor: example.com: txt.id_current is ok again" \
	"the recovery is logged"
wait_for sh -c "curl -s '$admin/metrics' | grep -q 'stsd_monitor_problem' && exit 1 || exit 0"
t_unlike "$(curl -s "$admin/metrics")" 'stsd_monitor_problem\{domain="example.com",check="txt.id_current"' \
	"/metrics: the problem is gone"

# A reload that changes the policy: checked at once, the DNS is behind again.
write_conf mx2.example.com
stsd_reload
drift_logged() {  # drift_logged N: the drift is in the log more than N times
	[ "$(grep -c "monitor: example.com: txt.id_current error" "$T/stsd.log")" -gt "$1" ]
}
wait_for drift_logged "$n"
t_is "$(grep -c "monitor: example.com: txt.id_current error" "$T/stsd.log")" "$((n + 1))" \
	"after a reload that changed the policy, the drift is found again"
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"
t_done
