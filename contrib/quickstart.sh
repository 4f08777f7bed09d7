#!/bin/sh
# From a fresh clone on Debian 12, in one command:
#   contrib/quickstart.sh
# installs the build dependencies (sudo when not root), builds stsd in
# build/quickstart, checks the bundled example configuration, prints the DNS
# records it would have you publish, and runs stsd on it in the foreground:
# plain HTTP on 127.0.0.1:8461, no root, no certificates. Ctrl-C stops it.
#
# The build is out of tree, so tests/run-all.sh works in the same checkout
# before or after this, and running it again only rebuilds what changed. A
# checkout that was configured in place (./configure run there by hand) is
# left as it is: contrib/srcdir.sh gives a clean copy of it to build from
# (made anew each time, so then everything is rebuilt).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

contrib/deps.sh build
src=$(contrib/srcdir.sh)
b=build/quickstart
# A build configured from another source directory (the checkout before it
# was configured in place, or the copy after) would mix the two: start over.
if [ "$(cat "$b/.srcdir" 2>/dev/null)" != "$src" ]; then
	rm -rf "$b"
	mkdir -p "$b"
	(cd "$b" && "$src/configure" -q)
	echo "$src" >"$b/.srcdir"
fi
make -s -C "$b" -j"$(nproc 2>/dev/null || echo 2)"
stsd=$top/$b/stsd

"$stsd" --check -c etc/stsd.yaml
echo
echo "DNS records to publish (stsd --print-dns -c etc/stsd.yaml):"
"$stsd" --print-dns -c etc/stsd.yaml
cat <<'TXT'

stsd is starting on http://127.0.0.1:8461 (Ctrl-C stops it). In another terminal:
  curl -i -H 'Host: mta-sts.example.com' http://127.0.0.1:8461/.well-known/mta-sts.txt
  curl -H 'Host: mta-sts.example.com' http://127.0.0.1:8461/

TXT
# stsd refuses to serve as root without a configured user; the example has
# none, so as root, stsd gets the example plus "user: nobody" and drops to it
# itself once the configuration is read and the socket open (starting it as
# nobody would fail in a checkout nobody cannot read, such as one in /root).
if [ "$(id -u)" -eq 0 ]; then
	{ cat etc/stsd.yaml; printf 'user: nobody\ngroup: nogroup\n'; } >"$b/stsd-root.yaml"
	exec "$stsd" -c "$b/stsd-root.yaml"
fi
exec "$stsd" -c etc/stsd.yaml
