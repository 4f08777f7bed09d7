#!/bin/bash
# bench/profile.sh: where the time goes, per request, for stsd and nginx.
#
#   bench/profile.sh [--domains N] [--work DIR]
#
# Needs a finished bench/run.sh (it reuses $WORK: the built stsd, hsload,
# certificates and the configurations of --domains N, default 1000).
# Hardware counters are not available on every machine (perf stat -e
# instructions), so this counts instructions with callgrind, which does not
# depend on what else runs on the machine: each server runs under
# valgrind --tool=callgrind; for each kind of load, two paced runs of
# different lengths are measured (counters zeroed before and dumped after
# each), and the difference divided by the difference in requests gives the
# user-space instructions per request, free of start-up and warm-up costs.
# Then the system calls per request are counted with strace -c on the
# uninstrumented servers under a saturating load. Writes a summary to
# stdout and the callgrind files to $WORK/profile/.
set -eu -o pipefail
N=1000
WORK=${TMPDIR:-/tmp}/stsd-bench
while [ $# -gt 0 ]; do
	case $1 in
	--domains) N=$2; shift ;;
	--work) WORK=$2; shift ;;
	*) echo "usage: bench/profile.sh [--domains N] [--work DIR]" >&2; exit 2 ;;
	esac
	shift
done
P=$WORK/profile
HERE=$(cd "$(dirname "$0")" && pwd)
HS=$WORK/bin/hsload
host=mta-sts.d$N.test
[ -x "$HS" ] && [ -f "$WORK/s-$N/stsd.yaml" ] && [ -f "$WORK/n-$N/nginx.conf" ] \
	|| { echo "profile.sh: run bench/run.sh (with --sizes $N) first" >&2; exit 1; }
for t in valgrind callgrind_control callgrind_annotate strace; do
	command -v $t >/dev/null || { echo "profile.sh: $t not found" >&2; exit 1; }
done
rm -rf "$P"; mkdir -p "$P"

PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
kv() {
	printf ' %s\n' "$1" | sed -n -e "s/.* $2=\"\([^\"]*\)\".*/\1/p" \
		-e "t" -e "s/.* $2=\([^ ]*\).*/\1/p" | head -1
}
HP=$(free_port); PP=$(free_port)

# configurations: the bench's, with new ports; nginx as one process
sed -e "s#conf.d/#$WORK/s-$N/conf.d/#" \
    -e "s#https: \"127.0.0.1:[0-9]*\"#https: \"127.0.0.1:$HP\"#" \
    -e "s#http: \"127.0.0.1:[0-9]*\"#http: \"127.0.0.1:$PP\"#" \
	"$WORK/s-$N/stsd.yaml" >"$P/stsd.yaml"
mkdir -p "$P/nginx/tmp"
sed -e "s#^master_process on;#master_process off;#" \
    -e "s#^pid .*#pid $P/nginx/nginx.pid;#" \
    -e "s#listen 127.0.0.1:[0-9]* ssl;#listen 127.0.0.1:$HP ssl;#" \
    -e "s#listen 127.0.0.1:[0-9]*;#listen 127.0.0.1:$PP;#" \
	"$WORK/n-$N/nginx.conf" >"$P/nginx/nginx.conf"

wait_up() {
	"$HS" -w 300 -s "$host" -e "mx.d$N.test" 127.0.0.1 "$HP" >/dev/null \
		|| { echo "profile.sh: server did not come up" >&2; exit 1; }
}

# cg PID ARGS...: a callgrind_control command. Callgrind serves it only
# when the server runs, so poke the server with one request meanwhile (the
# same poke in both runs of a pair cancels out in the difference).
cg() {
	local pid=$1 c
	shift
	callgrind_control "$@" "$pid" >/dev/null 2>&1 &
	c=$!
	sleep 0.3
	"$HS" -w 10 -s "$host" -e "mx.d$N.test" 127.0.0.1 "$HP" >/dev/null || true
	wait "$c" || true
}

# measure NAME PID HSLOAD-ARGS-A -- HSLOAD-ARGS-B: instructions per request
measure() {
	local name=$1 pid=$2 a b out ia ib ra rb
	shift 2
	a=(); while [ "$1" != -- ]; do a+=("$1"); shift; done; shift; b=("$@")
	cg "$pid" -z
	out=$(taskset -c 1 "$HS" "${a[@]}") || true
	ra=$(kv "$out" requests)
	cg "$pid" -d "$name-a"
	cg "$pid" -z
	out=$(taskset -c 1 "$HS" "${b[@]}") || true
	rb=$(kv "$out" requests)
	cg "$pid" -d "$name-b"
	ia=$(grep -l "Trigger.*$name-a\$" "$P"/cg.* | head -1)
	ib=$(grep -l "Trigger.*$name-b\$" "$P"/cg.* | head -1)
	[ -n "$ia" ] && [ -n "$ib" ] || { echo "profile.sh: no dump for $name" >&2; exit 1; }
	[ "${rb:-0}" -gt "${ra:-0}" ] || { echo "profile.sh: $name: no requests ($out)" >&2; exit 1; }
	echo "$name ($ra and $rb requests):"
	python3 "$HERE/cgdiff.py" "$ia" "$ib" "$ra" "$rb" 12
	cp "$ia" "$P/$name-a.callgrind"; cp "$ib" "$P/$name-b.callgrind"
}

profile_server() {
	local kind=$1 pid
	if [ "$kind" = stsd ]; then
		taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$P/cg.%p" \
			"$WORK/build/stsd" -c "$P/stsd.yaml" >"$P/stsd.log" 2>&1 &
	else
		taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$P/cg.%p" \
			nginx -p "$P/nginx" -e "$P/nginx/error.log" -c "$P/nginx/nginx.conf" \
			>"$P/nginx.log" 2>&1 &
	fi
	pid=$!; PIDS+=("$pid")
	wait_up
	# warm up once (lazy initialisation must not fall into one run only)
	taskset -c 1 "$HS" -k -R 100 -c 10 -t 2 -s "$host" 127.0.0.1 "$HP" >/dev/null || true
	taskset -c 1 "$HS" -P -k -R 100 -c 10 -t 2 -s "$host" 127.0.0.1 "$PP" >/dev/null || true
	taskset -c 1 "$HS" -r -R 10 -c 2 -t 2 -s "$host" 127.0.0.1 "$HP" >/dev/null || true
	measure "$kind-https-keepalive" "$pid" -k -R 250 -c 50 -t 8 -s "$host" 127.0.0.1 "$HP" \
		-- -k -R 250 -c 50 -t 24 -s "$host" 127.0.0.1 "$HP"
	measure "$kind-http-keepalive" "$pid" -P -k -R 250 -c 50 -t 8 -s "$host" 127.0.0.1 "$PP" \
		-- -P -k -R 250 -c 50 -t 24 -s "$host" 127.0.0.1 "$PP"
	measure "$kind-full-handshake" "$pid" -R 10 -c 2 -t 10 -s "$host" 127.0.0.1 "$HP" \
		-- -R 10 -c 2 -t 30 -s "$host" 127.0.0.1 "$HP"
	measure "$kind-resumed-handshake" "$pid" -r -R 10 -c 2 -t 10 -s "$host" 127.0.0.1 "$HP" \
		-- -r -R 10 -c 2 -t 30 -s "$host" 127.0.0.1 "$HP"
	kill "$pid"; wait "$pid" 2>/dev/null || true
}

syscalls() {
	local kind=$1 pid
	if [ "$kind" = stsd ]; then
		taskset -c 0 "$WORK/build/stsd" -c "$P/stsd.yaml" >/dev/null 2>&1 &
	else
		taskset -c 0 nginx -p "$P/nginx" -e "$P/nginx/error.log" \
			-c "$P/nginx/nginx.conf" >/dev/null 2>&1 &
	fi
	pid=$!; PIDS+=("$pid")
	wait_up
	for mode in https http; do
		local port=$HP plain=
		[ $mode = http ] && { port=$PP; plain=-P; }
		taskset -c 1 "$HS" $plain -k -c 50 -t 6 -s "$host" 127.0.0.1 "$port" >"$P/sc-$kind-$mode.load" &
		local l=$!
		sleep 1
		timeout 3 strace -c -f -p "$pid" -o "$P/sc-$kind-$mode.txt" >/dev/null 2>&1 || true
		wait "$l" || true
		echo "$kind $mode keep-alive syscalls (3 s under strace):"
		awk 'NR > 2 && $1 !~ /^-/ && $NF != "total" { printf "    %-14s %s\n", $NF, $4 }' "$P/sc-$kind-$mode.txt"
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "== instructions per request (callgrind, user space only), $N domains"
profile_server stsd
profile_server nginx
echo
echo "== system calls under saturating keep-alive load (divide by the requests"
echo "   answered in the same 3 s; the sendmsg/write count is about one per request)"
syscalls stsd
syscalls nginx
echo
echo "callgrind files: $P/*.callgrind"
