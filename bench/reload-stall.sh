#!/bin/bash
# bench/reload-stall.sh: what a reload costs the requests served after it.
#
#   bench/reload-stall.sh [--work DIR] [--domains N] [--runs N] STSD...
#
# Needs a finished `bench/run.sh --sections startup` (it reuses $WORK: the
# hsload client and the configuration and certificates of N domains,
# default 100 000). For each stsd binary, RUNS times (default 3): stsd
# starts with every CPU; an idle connection is opened to its HTTPS
# listener (it holds the configuration it was accepted under, as any
# keep-alive client does); SIGHUP, and once "reload complete" is logged,
# 300 keep-alive requests/s on 8 new connections measure latency for 8 s
# while the idle connection closes after 3 s: it is the old
# configuration's last holder, so its close is when the old snapshot is
# freed. Prints hsload's latency figures per run. A measurement, never a
# pass/fail test.
set -eu -o pipefail
N=100000
RUNS=3
WORK=${TMPDIR:-/tmp}/stsd-bench
while [ $# -gt 0 ]; do
	case $1 in
	--work) WORK=$2; shift ;;
	--domains) N=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--*) echo "usage: bench/reload-stall.sh [--work DIR] [--domains N] [--runs N] STSD..." >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "reload-stall.sh: name at least one stsd binary" >&2; exit 2; }
HS=$WORK/bin/hsload
D=$WORK/st-tls_all-$N
[ -x "$HS" ] && [ -f "$D/stsd.yaml" ] ||
	{ echo "reload-stall.sh: run bench/run.sh --sections startup --start-sizes $N first" >&2; exit 1; }
S=$(mktemp -d "${TMPDIR:-/tmp}/reload-stall.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$S"
	rm -f "$D/reload-stall.yaml"
}
trap cleanup EXIT
# The bench's configuration on free ports (port 0: stsd logs what it got),
# next to it so that its include: finds the domain files.
sed -e 's#\(https\?\): "127.0.0.1:[0-9]*"#\1: "127.0.0.1:0"#' "$D/stsd.yaml" >"$D/reload-stall.yaml"

# wait_log N TEXT: until the log has N lines with TEXT (at most 300 s).
wait_log() {
	local i=0
	until [ "$(grep -c "$2" "$S/stsd.log")" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { echo "reload-stall.sh: no \"$2\" in the log" >&2; exit 1; }
		sleep 0.1
	done
}

one_run() {
	local stsd=$1 pid port idle load
	: >"$S/stsd.log"
	"$stsd" -c "$D/reload-stall.yaml" 2>"$S/stsd.log" &
	pid=$!
	PIDS+=("$pid")
	wait_log 1 " ready: "
	port=$(sed -n 's|.*listening on https://.*:\([0-9]*\)$|\1|p' "$S/stsd.log" | head -n1)
	rm -f "$S/go"
	python3 -c '
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("open", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
time.sleep(3)
s.close()' "$port" "$S/go" >"$S/idle.out" &
	idle=$!
	PIDS+=("$idle")
	until grep -q open "$S/idle.out" 2>/dev/null; do sleep 0.05; done
	kill -HUP "$pid"
	wait_log 1 "reload complete"
	"$HS" -k -R 300 -c 8 -t 8 -s "mta-sts.d5.test" 127.0.0.1 "$port" >"$S/load.out" &
	load=$!
	PIDS+=("$load")
	: >"$S/go"                      # the idle connection: 3 s from now
	wait "$idle" || true
	wait "$load" || true
	kill "$pid"
	wait "$pid" || true
	echo "$stsd: $(tr ' ' '\n' <"$S/load.out" |
		grep -E '^(requests|errors|p50_us|p99_us|p999_us|max_us)=' | tr '\n' ' ')"
}

echo "reload-stall at $N domains, $(nproc) CPUs, $(date -u '+%F %T') UTC"
for r in $(seq "$RUNS"); do
	for b in "$@"; do
		one_run "$b"
	done
done
