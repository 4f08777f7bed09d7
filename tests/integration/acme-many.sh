#!/bin/sh
# Many names at once (issue 14): the order budget, and 100 domains issued
# in one run, against Debian's pebble in a private network namespace
# (dnsmasq answers every mta-sts.*.example with 127.0.0.1, so pebble
# validates tls-alpn-01 against stsd itself on port 443). No real CA.
#
#  1. The order budget: acme.orders_per_hour: 2 (a burst of 2) and five
#     names: two orders, then the other three wait for a token; the log,
#     --acme-status ("queued: N names ahead, next order in S s") and
#     /metrics say so, pebble saw two orders, and stsd stops at once while
#     names wait. A restart does not refill the bucket (it is saved in the
#     state directory): still two orders.
#  2. 100 domains, orders_per_hour high enough: all 100 issued and served
#     (curl trusting pebble's root, SNI per name, 10 names sampled), and
#     /metrics and --acme-status count 100. Its run time is printed as a
#     diagnostic (no timing assertion); the wait is bounded.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/netns.sh"
. "$top_srcdir/tests/lib/pebble.sh"
t_need pebble certtool curl
netns_enter "$@"
netns_setup

C=$T/certs
make_ca "$C" && make_leaf "$C" pebble localhost ||
	t_bail "cannot make the test certificates"
netns_dns_start $(netns_a_record example.com) --address=/example/127.0.0.1 ||
	t_bail "dnsmasq does not start"
pebble_start "$C"

# write_conf STATE_DIR ORDERS_PER_HOUR N: d1.example ... dN.example, every
# certificate from pebble.
write_conf() {
	{
		cat <<-EOF
		listen:
		  - https: "127.0.0.1:443"
		  - admin: "127.0.0.1:9100"
		state_dir: $1
		allow_root: true
		acme:
		  directory: $PEBBLE_DIR
		  ca_file: $C/ca.pem
		  accept_terms: true
		  orders_per_hour: $2
		defaults:
		  mode: enforce
		  max_age: 604800
		  mx: [mail.example.com]
		domains:
		EOF
		i=1
		while [ "$i" -le "$3" ]; do
			printf '  d%s.example: {}\n' "$i"
			i=$((i + 1))
		done
	} >"$T/stsd.yaml"
}

issued() { grep -c 'acme: mta-sts\.[a-z0-9.]*: certificate issued' "$T/stsd.log"; }
metrics() { curl -sf --max-time 5 http://127.0.0.1:9100/metrics; }
fetch() {
	curl -sf --max-time 20 --cacert "$T/root.pem" \
		--resolve "mta-sts.$1:443:127.0.0.1" \
		"https://mta-sts.$1/.well-known/mta-sts.txt"
}
live() { fetch "$1" >/dev/null; }
# wait_long ROUNDS CMD...: wait_for, ROUNDS times over (a bound of about
# ROUNDS x 15 s), for what takes longer than one wait_for.
wait_long() {
	_wl=$1
	shift
	while [ "$_wl" -gt 0 ]; do
		wait_for "$@" && return 0
		_wl=$((_wl - 1))
	done
	return 1
}
no_sanitizer_report() {
	t_unlike "$(cat "$T/stsd.log")" 'AddressSanitizer|LeakSanitizer|runtime error|==[0-9]+==' \
		"$1: no sanitizer or valgrind report in the log"
}

# ---- 1. the order budget -----------------------------------------------------
write_conf "$T/state1" 2 5
stsd_start "$T/stsd.yaml" || t_bail "stsd does not start"
queued_logged() { grep -q 'names queued for the order budget' "$T/stsd.log"; }
if wait_for queued_logged && [ "$(issued)" -eq 2 ]; then
	t_ok 0 "orders_per_hour 2: two orders (the burst), then the others wait"
else
	t_ok 1 "orders_per_hour 2: two orders (the burst), then the others wait"
	t_diag "$(tail -n 20 "$T/stsd.log")"
fi
t_like "$(cat "$T/stsd.log")" \
	"acme: 3 names queued for the order budget \(acme\.orders_per_hour: 2\): next order in [0-9]+ s \(mta-sts\.d[0-9]\.example\), the last in about [0-9]+ s" \
	"the log says how many names wait for the budget, and when the next order is"
t_is "$(pebble_orders)" 2 "pebble saw two orders, not five"
# The status file (written after each round): the last in line, 2 ahead.
status_queued() { awk -F'\t' '$4 == 2' "$T/state1/acme/status" | grep -q .; }
wait_for status_queued
st=$("$STSD" --acme-status -c "$T/stsd.yaml" 2>&1)
t_like "$st" "^mta-sts\.d[0-9]\.example +\(none yet\) +- +20[0-9-]+ [0-9:]+ UTC +queued: 0 names ahead, next order in [0-9]+ s$" \
	"--acme-status: the head of the queue, and when its order is"
t_like "$st" "^mta-sts\.d[0-9]\.example +\(none yet\) +- +20[0-9-]+ [0-9:]+ UTC +queued: 2 names ahead, next order in [0-9]+ s$" \
	"--acme-status: the last in the queue, two names ahead"
t_is "$(printf '%s\n' "$st" | grep -c 'Pebble Intermediate')" 2 \
	"--acme-status: the two issued names"
t_like "$(metrics)" '^stsd_acme_names_queued 3$' "/metrics: three names queued"
kill -TERM "$STSD_PID"
if wait_for sh -c "! kill -0 $STSD_PID"; then
	t_ok 0 "stsd stops at once while names wait for the budget"
else
	t_ok 1 "stsd stops at once while names wait for the budget"
fi
stsd_stop
t_is "$STSD_STATUS" 0 "first run: stsd exits 0"
no_sanitizer_report "the order budget"
# A restart (even a crash loop) does not refill the bucket: it was saved.
stsd_start "$T/stsd.yaml" || t_bail "stsd does not restart"
if wait_for queued_logged; then
	t_ok 0 "restart: the three names are queued again"
else
	t_ok 1 "restart: the three names are queued again"
	t_diag "$(tail -n 10 "$T/stsd.log")"
fi
t_is "$(pebble_orders)" 2 "restart: the bucket is not refilled (still two orders at pebble)"
stsd_stop
t_is "$STSD_STATUS" 0 "restart: stsd exits 0"
no_sanitizer_report "the order budget, restarted"

# ---- 2. 100 domains in one run -----------------------------------------------
write_conf "$T/state2" 360000 100
started=$(date +%s)
stsd_start "$T/stsd.yaml" || t_bail "stsd does not start with 100 domains"
all_issued() { [ "$(issued)" -ge 100 ]; }
if wait_long 16 all_issued; then
	t_ok 0 "100 domains: 100 certificates issued in one run"
else
	t_ok 1 "100 domains: 100 certificates issued in one run ($(issued) issued)"
	t_diag "$(tail -n 20 "$T/stsd.log")"
fi
# Served: ten names sampled across the list, each by its own SNI.
ok=0
for i in 1 9 17 29 42 55 63 77 88 100; do
	wait_for live "d$i.example" && ok=$((ok + 1))
done
t_is "$ok" 10 "100 domains: ten sampled names served, each with its certificate (SNI)"
t_diag "100 domains issued and served in $(($(date +%s) - started)) s"
expiring() { metrics | grep -Ec '^stsd_acme_certificate_expiry_timestamp_seconds\{name="mta-sts\.d[0-9]+\.example"\} [1-9][0-9]+$'; }
t_is "$(expiring)" 100 "/metrics: 100 names with an ACME certificate"
t_is "$(pebble_orders)" 102 "pebble: 100 orders in this run (2 before)"
t_is "$("$STSD" --acme-status -c "$T/stsd.yaml" 2>&1 | grep -c 'Pebble Intermediate')" 100 \
	"--acme-status: 100 names with their issuer"
t_unlike "$(cat "$T/stsd.log")" "queued for the order budget" \
	"a budget high enough: nothing waited"
stsd_stop
t_is "$STSD_STATUS" 0 "100 domains: stsd exits 0"
no_sanitizer_report "100 domains"
t_done
