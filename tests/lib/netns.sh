# netns.sh: run a test inside its own network and mount namespaces, with a
# private DNS server (sourced after common.sh, POSIX sh).
#
#   netns_enter "$@"     first thing in the test: re-runs the script under
#                        "unshare --net --mount" and exits with its status;
#                        t_skip_all when not root or when unshare fails.
#                        Inside, only "lo" exists: nothing can reach any
#                        other network, and port 443 is free.
#   netns_maybe_enter "$@"   the same when it can; returns 1 (and the test
#                        goes on outside) when not root, when unshare fails,
#                        or when STSD_NO_NETNS is set (to try that path).
#   netns_try WHAT "$@"  netns_maybe_enter, then netns_setup inside; outside,
#                        says why, and that WHAT runs on a free loopback port
#                        without mta-sts-query. Sets in_ns to yes or no.
#   netns_setup          inside: brings lo up and bind-mounts $T/resolv.conf
#                        (nameserver 127.0.0.1) and $T/hosts over /etc (the
#                        mounts are private to the namespace).
#   netns_dns_start ARGS...   starts dnsmasq on 127.0.0.1:53 with ARGS (e.g.
#                        --txt-record=... --address=...), answering NXDOMAIN
#                        for every other name (--local=/#/: never REFUSED,
#                        never forwarded), and waits until it answers.
#                        Sets DNSMASQ_PID.
#   netns_dns_stop       stops it.
#   netns_sts_txt CONFIG DOMAIN   prints the --txt-record=... argument for
#                        DOMAIN's _mta-sts TXT as "stsd --print-dns" prints it.
#   netns_a_record DOMAIN         prints --address=/mta-sts.DOMAIN/127.0.0.1

NETNS_DNSMASQ=${NETNS_DNSMASQ:-/usr/sbin/dnsmasq}

netns_enter() {
	netns_maybe_enter "$@" || t_skip_all "$NETNS_WHY_NOT"
}

netns_maybe_enter() {
	[ -n "${STSD_IN_NETNS:-}" ] && return 0
	NETNS_WHY_NOT=
	if [ -n "${STSD_NO_NETNS:-}" ]; then
		NETNS_WHY_NOT="STSD_NO_NETNS is set"
	elif [ "$(id -u)" -ne 0 ]; then
		NETNS_WHY_NOT="needs root for a private network namespace (unshare --net --mount)"
	elif ! command -v unshare >/dev/null 2>&1; then
		NETNS_WHY_NOT="unshare is not installed"
	elif ! command -v ip >/dev/null 2>&1; then
		NETNS_WHY_NOT="ip (iproute2) is not installed"
	elif ! unshare --net --mount true 2>"$T/unshare.err"; then
		NETNS_WHY_NOT="unshare --net --mount fails here: $(head -c 200 "$T/unshare.err")"
	fi
	[ -z "$NETNS_WHY_NOT" ] || return 1
	STSD_IN_NETNS=1
	export STSD_IN_NETNS
	# The outer shell only waits: its own $T is removed by its trap.
	unshare --net --mount --propagation private -- sh "$0" "$@"
	exit $?
}

netns_try() {
	_nt_what=$1
	shift
	in_ns=no
	if netns_maybe_enter "$@"; then
		in_ns=yes
		netns_setup
	else
		t_diag "not in a network namespace ($NETNS_WHY_NOT): $_nt_what on a free loopback port, no mta-sts-query"
	fi
}

netns_setup() {
	ip link set lo up || t_bail "cannot bring lo up in the namespace"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' >"$T/resolv.conf"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$T/hosts"
	mount --bind "$T/resolv.conf" /etc/resolv.conf ||
		t_bail "cannot bind-mount over /etc/resolv.conf in the namespace"
	mount --bind "$T/hosts" /etc/hosts ||
		t_bail "cannot bind-mount over /etc/hosts in the namespace"
	# Nothing may go through a proxy from the environment.
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
}

netns_dns_probe() {
	getent ahosts "$1" >/dev/null
}

netns_dns_start() {
	[ -x "$NETNS_DNSMASQ" ] || t_skip_all "dnsmasq is not installed ($NETNS_DNSMASQ)"
	: >"$T/dnsmasq.log"
	"$NETNS_DNSMASQ" --keep-in-foreground --conf-file=/dev/null --pid-file= \
		--user=root --port=53 --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --no-negcache --log-facility=- \
		--local=/#/ \
		"$@" >>"$T/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	t_pids="$t_pids $DNSMASQ_PID"
	# Ready when it answers: every test serves mta-sts.example.com.
	if ! wait_for netns_dns_probe mta-sts.example.com; then
		t_diag "dnsmasq does not answer; its log:"
		sed 's/^/#   /' "$T/dnsmasq.log"
		return 1
	fi
}

netns_dns_stop() {
	[ -n "${DNSMASQ_PID:-}" ] || return 0
	kill "$DNSMASQ_PID" 2>/dev/null || :
	wait "$DNSMASQ_PID" 2>/dev/null || :
	DNSMASQ_PID=
}

netns_sts_txt() {
	_nt_txt=$("$STSD" --print-dns -c "$1" "$2" 2>/dev/null |
		sed -n 's/^_mta-sts\.[^ ]* .* IN TXT "\(.*\)"$/\1/p')
	[ -n "$_nt_txt" ] || return 1
	printf -- '--txt-record=_mta-sts.%s,%s\n' "$2" "$_nt_txt"
}

netns_a_record() {
	printf -- '--address=/mta-sts.%s/127.0.0.1\n' "$1"
}
