#!/bin/sh
# Installs what stsd needs on Debian 12 (or any recent Debian/Ubuntu).
#   contrib/deps.sh build   - to build and run stsd
#   contrib/deps.sh test    - to build and run the whole test suite
# Uses sudo when not root. The one place where the package lists live.
set -eu

build_pkgs="build-essential autoconf automake pkg-config
	libmicrohttpd-dev libgnutls28-dev libyaml-dev libidn2-dev libjansson-dev
	libsqlite3-dev zlib1g-dev libcurl4-gnutls-dev libunbound-dev
	libsystemd-dev curl"
# Real clients and peers for the integration tests: curl, gnutls-cli and
# certtool (gnutls-bin), the postfix-mta-sts-resolver sender, dnsmasq for its
# DNS, nginx, Caddy and HAProxy as reverse proxies, systemd-socket-activate (systemd),
# valgrind, clang for the fuzzers, python3 for small test helpers; pebble
# (an ACME test CA), prometheus (promtool and a real scrape) and chromium
# (the status page, headless); postfix (real SMTP servers with STARTTLS for
# --diagnose and TLS report delivery; swaks sends those reports); clang-tools:
# scan-build, the clang static analyzer job of tests/run-all.sh; strace
# counts the daemon's system calls per response (tests/integration/https-io.sh).
test_pkgs="gnutls-bin openssl postfix-mta-sts-resolver dnsmasq-base nginx-light
	systemd valgrind clang python3 iproute2 util-linux procps caddy haproxy
	pebble prometheus chromium clang-tools postfix swaks strace"

case "${1:-build}" in
build) pkgs=$build_pkgs ;;
test) pkgs="$build_pkgs $test_pkgs" ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing" >&2
$sudo apt-get update -qq
# nginx-light must not start a server on port 80 as a side effect.
$sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
