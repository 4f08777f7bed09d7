#!/bin/sh
# From a fresh clone on Debian 12, in one command:
#   contrib/quickstart.sh
# installs the build dependencies (sudo when not root), builds stsd, checks
# the bundled example configuration, prints the DNS records it would have you
# publish, and runs stsd on it in the foreground: plain HTTP on
# 127.0.0.1:8461, no root, no certificates. Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."

contrib/deps.sh build
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc 2>/dev/null || echo 2)"

./stsd --check -c etc/stsd.yaml
echo
echo "DNS records to publish (stsd --print-dns -c etc/stsd.yaml):"
./stsd --print-dns -c etc/stsd.yaml
cat <<'TXT'

stsd is starting on http://127.0.0.1:8461 (Ctrl-C stops it). In another terminal:
  curl -i -H 'Host: mta-sts.example.com' http://127.0.0.1:8461/.well-known/mta-sts.txt
  curl -H 'Host: mta-sts.example.com' http://127.0.0.1:8461/

TXT
# stsd refuses to serve as root without a configured user; the example has
# none, so when this script runs as root, run stsd as nobody.
if [ "$(id -u)" -eq 0 ]; then
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups ./stsd -c etc/stsd.yaml
fi
exec ./stsd -c etc/stsd.yaml
