#!/bin/sh
# bench/counters.sh OLD-STSD NEW-STSD [N]: what the request counters (and
# the state database thread) cost per request, in instructions counted by
# callgrind: deterministic, so the comparison holds on a busy machine,
# where req/s would not. Each binary serves N (default 2000) keep-alive
# plain-HTTP requests of one policy on 127.0.0.1; the instructions of an
# idle run (start, one probe, stop) are subtracted.
#
#   bench/counters.sh /tmp/before/stsd build/stsd
#
# OLD-STSD may predate state_dir: it gets a configuration without it.
set -eu
old=$1 new=$2 n=${3:-2000}
work=$(mktemp -d "${TMPDIR:-/tmp}/stsd-counters.XXXXXX")
trap 'rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/old.yaml" <<EOF2
listen:
  - http: "127.0.0.1:$port"
allow_root: true
http: {access_log: "off"}
defaults: {mode: enforce, max_age: 604800}
domains:
  example.com: {mx: mail.example.com}
EOF2
mkdir "$work/state"
{ cat "$work/old.yaml"; echo "state_dir: $work/state"; echo "monitor: {enabled: false}"; } >"$work/new.yaml"

# instructions BIN CONF REQUESTS: callgrind's total for the whole run.
instructions() {
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$1" -c "$2" 2>/dev/null &
	pid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { kill "$pid"; echo "no answer" >&2; exit 1; }
		sleep 0.1
	done
	if [ "$3" -gt 0 ]; then
		urls=
		i=0
		while [ $i -lt "$3" ]; do
			urls="$urls http://127.0.0.1:$port/.well-known/mta-sts.txt"
			i=$((i + 1))
		done
		# shellcheck disable=SC2086 # one URL per word: one connection
		curl -s -H 'Host: mta-sts.example.com' $urls >/dev/null
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || :
	awk '/^totals:/ { print $2 }' "$work/cg.out"
}

for which in old new; do
	eval bin=\$$which
	idle=$(instructions "$bin" "$work/$which.yaml" 0)
	busy=$(instructions "$bin" "$work/$which.yaml" "$n")
	echo "$which ($bin): $(( (busy - idle) / n )) instructions per request ($n keep-alive requests)"
done
