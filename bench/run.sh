#!/bin/bash
# bench/run.sh: stsd against a well-tuned nginx, side by side in one run.
# See bench/README for what is measured, how, and the options.
#
# Every server runs on CPU $SERVER_CPU and every load client on CPU
# $CLIENT_CPU; all traffic is on 127.0.0.1. Every process started here is
# stopped by its PID (also on error or ^C); every wait is bounded.

set -eu -o pipefail

ORIG_ARGS="$*"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")

RUNS=3
SECS=10
SIZES="1 1000"                  # domains, for throughput, CPU and latency
RSS_SIZES="1 1000 10000"        # domains, for the idle memory figures
START_SIZES="10000 100000"      # domains, for stsd start-up and reload
NGINX_START=10000               # domains, for nginx start-up and reload
SCALE_N=100000                  # domains of stsd in the scale comparison
SECTIONS="throughput syscalls scale rss startup"
WORK=${TMPDIR:-/tmp}/stsd-bench
OUT=
STSD=
WAIT_QUIET=0                    # minutes to wait for a quiet machine
REPORT_ONLY=0
ANALYSIS=                       # a Markdown file appended to the report
SERVER_CPU=0
CLIENT_CPU=1
HS_WORKERS=16                   # parallel connections of the handshake runs
KA_CONNS=50                     # wrk and latency connections
LAT_RATE=2000                   # requests/s of the latency run

usage() {
	cat <<-EOF
	usage: bench/run.sh [options]
	  --runs N           repetitions of every measurement (default $RUNS; median reported)
	  --secs S           seconds per load run (default $SECS)
	  --sizes "N ..."    domain counts for throughput/CPU/latency (default "$SIZES")
	  --rss-sizes "N ..."    domain counts for idle memory (default "$RSS_SIZES")
	  --start-sizes "N ..."  domain counts for stsd start-up/reload (default "$START_SIZES")
	  --nginx-start N    domain count for nginx start-up/reload (default $NGINX_START)
	  --scale N          stsd's domains in the scale comparison against nginx
	                     at 1 domain (default $SCALE_N)
	  --sections "..."   any of: throughput syscalls scale rss startup
	                     (default all)
	  --quick            a smoke run: 1 run of 3 s, 10 domains everywhere
	  --stsd PATH        use this stsd binary instead of building one
	  --work DIR         scratch directory (default $WORK; certificates are cached there)
	  --out FILE         the Markdown report (default bench/results/DATE.md)
	  --wait-quiet MIN   first wait up to MIN minutes for load < 0.5 and no
	                     fuzzers, test suites or valgrind (polled every 60 s)
	  --report-only      render the report again from the last run's
	                     $WORK/results.tsv and $WORK/report.env
	  --analysis FILE    append this Markdown file to the report
	EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--rss-sizes) RSS_SIZES=$2; shift ;;
	--start-sizes) START_SIZES=$2; shift ;;
	--nginx-start) NGINX_START=$2; shift ;;
	--scale) SCALE_N=$2; shift ;;
	--sections) SECTIONS=$2; shift ;;
	--quick) RUNS=1 SECS=3 SIZES=10 RSS_SIZES=10 START_SIZES=10
	         NGINX_START=10 SCALE_N=100 ;;
	--stsd) STSD=$2; shift ;;
	--work) WORK=$2; shift ;;
	--out) OUT=$2; shift ;;
	--wait-quiet) WAIT_QUIET=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	--analysis) ANALYSIS=$2; shift ;;
	*) usage ;;
	esac
	shift
done
: "${OUT:=$HERE/results/$(date -u +%Y-%m-%d).md}"
COMMAND="bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}"

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- processes -------------------------------------------------------------

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		stop_pid "$p"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# ---- /proc readings ----------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# the PIDs of a server: stsd itself, or nginx's master and its workers
server_pids() {
	echo "$1"
	pgrep -P "$1" 2>/dev/null || true
}

# cpu_ticks PID...: utime + stime of the processes (all their threads)
cpu_ticks() {
	local p sum=0 rest
	for p in "$@"; do
		rest=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		set -- $rest
		# after "pid (comm) ", utime and stime are fields 12 and 13
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}

status_kb() {   # status_kb PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

pss_kb() {
	awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null \
		|| echo 0
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ns() { date +%s%N; }

# ---- machine ----------------------------------------------------------------

is_quiet() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	awk -v l="$load" 'BEGIN { exit !(l < 0.5) }' || return 1
	! pgrep -f 'fuzz_|make check|valgrind' >/dev/null
}

busy_report() {
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
	pgrep -fa 'fuzz_|make check|valgrind' 2>/dev/null \
		| grep -v -e pgrep -e bench/run.sh | cut -c1-100 | head -5 \
		| sed 's/^/  running: /' || true
}

wait_quiet() {
	local i
	QUIET_NOTE="not waited for"
	[ "$WAIT_QUIET" -gt 0 ] || return 0
	for i in $(seq "$WAIT_QUIET"); do
		if is_quiet; then
			QUIET_NOTE="quiet (load < 0.5, no fuzzers/test suites) at start"
			return 0
		fi
		log "machine busy ($(cut -d' ' -f1 /proc/loadavg)); waiting ($i/$WAIT_QUIET min)"
		sleep 60
	done
	if is_quiet; then
		QUIET_NOTE="quiet (load < 0.5, no fuzzers/test suites) at start"
	else
		QUIET_NOTE="NOT quiet after $WAIT_QUIET min of waiting; ran anyway"
	fi
}

# ---- build -------------------------------------------------------------------

build_tools() {
	mkdir -p "$WORK/bin"
	local f
	for f in hsload mkcerts; do
		# shellcheck disable=SC2046 # pkg-config's flags are words
		cc -O2 -g -Wall -Wextra -o "$WORK/bin/$f" "$HERE/$f.c" \
			$(pkg-config --cflags --libs gnutls) -lpthread \
			|| die "cannot build $f"
	done
}

# An optimised stsd from a copy of the working tree (the tree itself is
# configured in place, so it cannot host a separate build directory).
build_stsd() {
	if [ -n "$STSD" ]; then
		[ -x "$STSD" ] || die "$STSD is not executable"
		return
	fi
	local b=$WORK/build
	log "building stsd (-O2 -g) in $b"
	rm -rf "$b"
	mkdir -p "$b"
	(cd "$SRC" && git ls-files -co --exclude-standard -z \
		| grep -zv -e '^bench/' -e '^tests/fuzz/run/' \
		| tar cf - --ignore-failed-read --null -T - 2>/dev/null) | tar xf - -C "$b"
	(cd "$b" && autoreconf -fi >build.log 2>&1 \
		&& ./configure CFLAGS='-O2 -g' >>build.log 2>&1 \
		&& make -j2 >>build.log 2>&1) \
		|| { tail -20 "$b/build.log" >&2; die "stsd build failed"; }
	STSD=$b/stsd
}

# ---- test data ---------------------------------------------------------------

# certificates for domains 1..N in $WORK/certs-N (cached between runs)
make_certs() {
	local n=$1 dir=$WORK/certs-$1
	if [ ! -f "$WORK/ca/ca.pem" ]; then
		log "making the test CA"
		# shellcheck source=../tests/lib/certs.sh
		. "$SRC/tests/lib/certs.sh"
		rm -rf "$WORK/ca"
		make_ca "$WORK/ca" || die "cannot make the test CA"
	fi
	mkdir -p "$dir"
	if [ "$(find "$dir" -name '*.pem' | wc -l)" -ne "$n" ]; then
		log "issuing $n certificates"
		rm -rf "$dir"
		mkdir -p "$dir"
		"$WORK/bin/mkcerts" "$WORK/ca/ca.pem" "$WORK/ca/ca.key" "$dir" \
			1 "$n" || die "mkcerts failed"
	fi
}

# the policy body of domain I, exactly as stsd renders it (checked below)
body_of() {
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.d%s.test\r\nmax_age: 604800\r\n' "$1"
}

# write_domains DIR N [CHANGED]: DIR/conf.d/part-*.yaml, 1 000 domains per
# file; with CHANGED the last domain gets mx2.dN.test instead
write_domains() {
	local dir=$1 n=$2 changed=${3:-}
	rm -rf "$dir/conf.d"
	mkdir -p "$dir/conf.d"
	awk -v n="$n" -v dir="$dir/conf.d" -v changed="$changed" 'BEGIN {
		f = ""
		for (i = 1; i <= n; i++) {
			if ((i - 1) % 1000 == 0) {
				if (f != "") close(f)
				f = sprintf("%s/part-%05d.yaml", dir, int((i - 1) / 1000))
				print "domains:" > f
			}
			mx = (changed != "" && i == n) ? "mx2" : "mx"
			printf "  d%d.test:\n    mx: %s.d%d.test\n", i, mx, i > f
		}
		close(f)
	}'
}

# write_stsd_conf DIR N KIND HTTPS_PORT HTTP_PORT; KIND tls or backend
write_stsd_conf() {
	local dir=$1 n=$2 kind=$3 hp=$4 pp=$5
	mkdir -p "$dir"
	write_domains "$dir" "$n"
	{
		echo "allow_root: true"
		echo "listen:"
		[ "$kind" = tls ] && echo "  - https: \"127.0.0.1:$hp\""
		echo "  - http: \"127.0.0.1:$pp\""
		if [ "$kind" = tls ]; then
			echo "certificates:"
			echo "  - dir: $WORK/certs-$n"
		fi
		echo "http:"
		echo "  access_log: off"
		echo "limits:"
		echo "  connections: 4096"
		echo "  connections_per_ip: 4096"
		echo "defaults:"
		echo "  mode: enforce"
		echo "  max_age: 604800"
		echo "include: \"conf.d/*.yaml\""
	} >"$dir/stsd.yaml"
}

# nginx: one worker, one server {} per domain with its own certificate,
# the protocols, ciphers and groups of stsd's default priority string.
write_nginx_conf() {
	local dir=$1 n=$2 hp=$3 pp=$4 changed=${5:-}
	mkdir -p "$dir/tmp"
	{
		cat <<-EOF
		worker_processes 1;
		daemon off;
		master_process on;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events {
		    worker_connections 8192;
		    use epoll;
		}
		http {
		    access_log off;
		    server_tokens off;
		    default_type text/plain;
		    keepalive_timeout 65s;
		    keepalive_requests 10000000;
		    client_body_temp_path $dir/tmp/body;
		    proxy_temp_path $dir/tmp/proxy;
		    fastcgi_temp_path $dir/tmp/fastcgi;
		    scgi_temp_path $dir/tmp/scgi;
		    uwsgi_temp_path $dir/tmp/uwsgi;
		    server_names_hash_max_size 262144;
		    server_names_hash_bucket_size 128;
		    ssl_protocols TLSv1.2 TLSv1.3;
		    ssl_prefer_server_ciphers on;
		    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;
		    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
		    ssl_ecdh_curve prime256v1:secp384r1:secp521r1:X25519:X448;
		    ssl_session_cache shared:SSL:10m;
		    ssl_session_tickets on;
		EOF
		awk -v n="$n" -v hp="$hp" -v pp="$pp" -v certs="$WORK/certs-$n" \
		    -v changed="$changed" 'BEGIN {
			for (i = 1; i <= n; i++) {
				mx = (changed != "" && i == n) ? "mx2" : "mx"
				h = sprintf("mta-sts.d%d.test", i)
				printf "    server {\n"
				printf "        listen 127.0.0.1:%s ssl;\n", hp
				printf "        listen 127.0.0.1:%s;\n", pp
				printf "        server_name %s;\n", h
				printf "        ssl_certificate %s/%s.pem;\n", certs, h
				printf "        ssl_certificate_key %s/%s.key;\n", certs, h
				printf "        location = /.well-known/mta-sts.txt {\n"
				printf "            add_header Cache-Control no-cache;\n"
				printf "            return 200 \"version: STSv1\\r\\nmode: enforce\\r\\nmx: %s.d%d.test\\r\\nmax_age: 604800\\r\\n\";\n", mx, i
				printf "        }\n"
				printf "    }\n"
			}
		}'
		echo "}"
	} >"$dir/nginx.conf"
}

# ---- servers -----------------------------------------------------------------

# start_stsd DIR: sets SERVER_PID; stderr goes to DIR/stsd.log. On
# $SERVER_CPU, or on the CPUs in $STSD_CPUS when set (start-up "all CPUs").
start_stsd() {
	taskset -c "${STSD_CPUS:-$SERVER_CPU}" "$STSD" -c "$1/stsd.yaml" \
		>"$1/stsd.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
}

start_nginx() {
	taskset -c "$SERVER_CPU" nginx -p "$1" -e "$1/error.log" \
		-c "$1/nginx.conf" >"$1/nginx.out" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
}

stop_server() {
	stop_pid "$1"
	forget_pid "$1"
}

# wait_ready PID PORT HOST STRING [plain] [SECS]: until a correct response;
# prints the CLOCK_REALTIME (ns) of that response
wait_ready() {
	local pid=$1 port=$2 host=$3 expect=$4 plain=${5:-} secs=${6:-120}
	local out
	out=$("$WORK/bin/hsload" ${plain:+-P} -w "$secs" -s "$host" \
		-e "$expect" 127.0.0.1 "$port") \
		|| die "no correct response from $host on port $port: $out"
	kill -0 "$pid" 2>/dev/null || die "server $pid died"
	kv "$out" realtime_ns
}

# kv "k=v k=v" KEY: the value of KEY
kv() {
	printf ' %s\n' "$1" | sed -n -e "s/.* $2=\"\([^\"]*\)\".*/\1/p" \
		-e "t" -e "s/.* $2=\([^ ]*\).*/\1/p" | head -1
}

# ---- results -----------------------------------------------------------------

RESULTS=$WORK/results.tsv
SECTION=throughput      # the section run_metric records under
# record SECTION N METRIC SERVER VALUE [UNIT] [NOTE]
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" \
		"${6:-}" "${7:-}" >>"$RESULTS"
}

# ---- load runs -----------------------------------------------------------------

# the client, pinned; hosts for wrk's SNI come from a private /etc/hosts
# (a mount namespace), so the system's file is never touched
client() { taskset -c "$CLIENT_CPU" "$@"; }

wrk_sni() {
	unshare --mount -- sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		sh "$WORK/hosts" taskset -c "$CLIENT_CPU" wrk "$@"
}

# run_metric KIND SERVER-PID N METRIC PORT HOST: one run; records the
# request rate, server CPU per 10 000 requests, and latency figures
run_metric() {
	local kind=$1 pid=$2 n=$3 metric=$4 port=$5 host=$6
	local pids t0 t1 out reqs rate errs cpu secs
	pids=$(server_pids "$pid")
	local i=${host#mta-sts.d}
	i=${i%.test}
	t0=$(cpu_ticks $pids)
	case $metric in
	https_keepalive|http_keepalive)
		if [ "$metric" = https_keepalive ]; then
			out=$(wrk_sni -t1 -c"$KA_CONNS" -d"${SECS}s" \
				"https://$host:$port/.well-known/mta-sts.txt" 2>&1) || true
		else
			out=$(client wrk -t1 -c"$KA_CONNS" -d"${SECS}s" \
				-H "Host: $host" \
				"http://127.0.0.1:$port/.well-known/mta-sts.txt" 2>&1) || true
		fi
		reqs=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
		rate=$(printf '%s\n' "$out" | awk '/Requests\/sec/ { print $2 }')
		errs=$(printf '%s\n' "$out" | awk '
			/Non-2xx/ { e += $NF }
			/Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
			END { print e + 0 }')
		[ -n "$reqs" ] || die "wrk failed: $out"
		;;
	full_handshakes|resumed_handshakes)
		local resume=
		[ "$metric" = resumed_handshakes ] && resume=-r
		out=$(client "$WORK/bin/hsload" -c "$HS_WORKERS" -t "$SECS" \
			$resume -s "$host" -e "mx.d$i.test" \
			127.0.0.1 "$port") || true
		;;
	latency)
		out=$(client "$WORK/bin/hsload" -k -R "$LAT_RATE" \
			-c "$KA_CONNS" -t "$SECS" -s "$host" -e "mx.d$i.test" \
			127.0.0.1 "$port") || true
		;;
	esac
	t1=$(cpu_ticks $pids)
	kill -0 "$pid" 2>/dev/null || die "server $pid died during $metric"
	case $metric in
	full_handshakes|resumed_handshakes|latency)
		reqs=$(kv "$out" requests)
		rate=$(kv "$out" rate)
		errs=$(kv "$out" errors)
		[ -n "$reqs" ] || die "hsload failed: $out"
		;;
	esac
	cpu=$(awk -v d=$((t1 - t0)) -v r="$reqs" -v hz="$CLK_TCK" \
		'BEGIN { printf "%.1f", r ? d * 1000 / hz / r * 10000 : 0 }')
	local note="errors=$errs"
	[ -n "$(kv "$out" client_cpu_ms)" ] && \
		note="$note client_cpu_ms=$(kv "$out" client_cpu_ms)"
	record "$SECTION" "$n" "$metric" "$kind" "$rate" "req/s" "$note"
	record "$SECTION" "$n" "${metric}_cpu" "$kind" "$cpu" "ms/10k" ""
	if [ "$metric" = latency ] || [ "$metric" = full_handshakes ]; then
		record throughput "$n" "${metric}_p50" "$kind" "$(kv "$out" p50_us)" us ""
		record throughput "$n" "${metric}_p99" "$kind" "$(kv "$out" p99_us)" us ""
		record throughput "$n" "${metric}_max" "$kind" "$(kv "$out" max_us)" us ""
	fi
	if [ "$metric" = resumed_handshakes ]; then
		record throughput "$n" "${metric}_share" "$kind" \
			"$(awk -v a="$(kv "$out" resumed)" -v b="$(kv "$out" connections)" \
			'BEGIN { printf "%.3f", b ? a / b : 0 }')" "" ""
	fi
	case $metric in
	full_handshakes|latency)
		record info "$n" "tls_$kind" "$kind" "$(kv "$out" tls)" "" "" ;;
	esac
	[ "${errs:-0}" = 0 ] || log "WARNING: $kind $metric: $errs errors: $(kv "$out" last_error)"
	log "  $kind n=$n $metric: $rate/s, server CPU $cpu ms per 10k, errors ${errs:-0}"
}

# check that both servers send the same policy body for domain I
check_bodies() {
	local i=$1 hp_s=$2 pp_s=$3 hp_n=$4 pp_n=$5 h="mta-sts.d$1.test" want
	want=$(body_of "$i" | od -An -c)
	for spec in "https $hp_s" "http $pp_s" "https $hp_n" "http $pp_n"; do
		set -- $spec
		local got
		got=$(curl -sk --max-time 5 --resolve "$h:$2:127.0.0.1" \
			"$1://$h:$2/.well-known/mta-sts.txt" | od -An -c)
		[ "$got" = "$want" ] || die "wrong body from $1 port $2 for $h"
	done
	[ "$("$STSD" -c "$WORK/s-$N_CUR/stsd.yaml" --print-policy "d$i.test" \
		| od -An -c)" = "$want" ] || die "stsd --print-policy differs from the bench's body"
}

section_throughput() {
	local n
	for n in $SIZES; do
		N_CUR=$n
		local sd=$WORK/s-$n nd=$WORK/n-$n
		local hp_s pp_s hp_n pp_n spid npid host
		hp_s=$(free_port); pp_s=$(free_port); hp_n=$(free_port); pp_n=$(free_port)
		make_certs "$n"
		write_stsd_conf "$sd" "$n" tls "$hp_s" "$pp_s"
		rm -rf "$nd"; write_nginx_conf "$nd" "$n" "$hp_n" "$pp_n"
		host=mta-sts.d$n.test
		echo "127.0.0.1 localhost $host" >"$WORK/hosts"
		start_stsd "$sd"; spid=$SERVER_PID
		start_nginx "$nd"; npid=$SERVER_PID
		wait_ready "$spid" "$hp_s" "$host" "mx.d$n.test" >/dev/null
		wait_ready "$npid" "$hp_n" "$host" "mx.d$n.test" >/dev/null
		check_bodies "$n" "$hp_s" "$pp_s" "$hp_n" "$pp_n"
		log "throughput at $n domains: stsd pid $spid, nginx pid $npid"
		local r metric
		for r in $(seq "$RUNS"); do
			for metric in https_keepalive http_keepalive \
			              full_handshakes resumed_handshakes latency; do
				local port_s=$hp_s port_n=$hp_n
				if [ "$metric" = http_keepalive ]; then
					port_s=$pp_s; port_n=$pp_n
				fi
				# alternate which server goes first
				if [ $((r % 2)) = 1 ]; then
					run_metric stsd "$spid" "$n" "$metric" "$port_s" "$host"
					run_metric nginx "$npid" "$n" "$metric" "$port_n" "$host"
				else
					run_metric nginx "$npid" "$n" "$metric" "$port_n" "$host"
					run_metric stsd "$spid" "$n" "$metric" "$port_s" "$host"
				fi
			done
		done
		record throughput "$n" rss_after_load stsd "$(status_kb "$spid" VmHWM)" kB ""
		stop_server "$spid"
		stop_server "$npid"
	done
}

# ---- issue 12: system calls per response, and stsd at scale vs nginx at 1 ----

# count_syscalls KIND PID N PORT HOST: keep-alive HTTPS under wrk with
# strace -c -f attached to the server's processes; records the system calls
# per response (all of them, and the main ones). strace slows the server
# down: the rate is meaningless here, the count per response is not.
count_syscalls() {
	local kind=$1 pid=$2 n=$3 port=$4 host=$5 p out reqs f sp
	local args=()
	for p in $(server_pids "$pid"); do args+=(-p "$p"); done
	f=$WORK/strace-$kind-$n.txt
	strace -f -c -o "$f" "${args[@]}" 2>/dev/null &
	sp=$!
	PIDS+=("$sp")
	sleep 1     # attached
	out=$(wrk_sni -t1 -c"$KA_CONNS" -d"${SECS}s" \
		"https://$host:$port/.well-known/mta-sts.txt" 2>&1) || true
	kill -INT "$sp" 2>/dev/null || true
	wait "$sp" 2>/dev/null || true
	forget_pid "$sp"
	reqs=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "wrk under strace failed: $out"
	# strace -c: "% time seconds usecs/call calls [errors] syscall"
	local per detail
	per=$(awk -v r="$reqs" '$NF == "total" { printf "%.2f", $4 / r }' "$f")
	detail=$(awk -v r="$reqs" 'NF >= 5 && $4 ~ /^[0-9]+$/ && $NF != "total" &&
		$4 / r >= 0.01 { printf "%s%s=%.2f", sep, $NF, $4 / r; sep = "," }' "$f")
	record syscalls "$n" syscalls_per_response "$kind" "$per" "" "$detail"
	log "  $kind n=$n: $per system calls per keep-alive HTTPS response ($detail)"
}

section_syscalls() {
	command -v strace >/dev/null || { log "no strace: section skipped"; return; }
	local n=1 sd=$WORK/sc-s nd=$WORK/sc-n hp_s pp_s hp_n pp_n spid npid
	local host=mta-sts.d1.test
	hp_s=$(free_port); pp_s=$(free_port); hp_n=$(free_port); pp_n=$(free_port)
	make_certs "$n"
	write_stsd_conf "$sd" "$n" tls "$hp_s" "$pp_s"
	rm -rf "$nd"; write_nginx_conf "$nd" "$n" "$hp_n" "$pp_n"
	echo "127.0.0.1 localhost $host" >"$WORK/hosts"
	start_stsd "$sd"; spid=$SERVER_PID
	start_nginx "$nd"; npid=$SERVER_PID
	wait_ready "$spid" "$hp_s" "$host" "mx.d1.test" >/dev/null
	wait_ready "$npid" "$hp_n" "$host" "mx.d1.test" >/dev/null
	log "system calls per keep-alive HTTPS response (wrk -c$KA_CONNS)"
	count_syscalls stsd "$spid" "$n" "$hp_s" "$host"
	count_syscalls nginx "$npid" "$n" "$hp_n" "$host"
	stop_server "$spid"
	stop_server "$npid"
}

# stsd serving SCALE_N domains (one certificate each) against nginx serving
# one: keep-alive HTTPS, the last domain of stsd's, alternating who goes
# first. Recorded under section "scale" with N = SCALE_N for both rows.
section_scale() {
	local n=$SCALE_N sd=$WORK/sc-big nd=$WORK/sc-one
	local hp_s pp_s hp_n pp_n spid npid r
	local big=mta-sts.d$n.test one=mta-sts.d1.test
	hp_s=$(free_port); pp_s=$(free_port); hp_n=$(free_port); pp_n=$(free_port)
	make_certs "$n"
	make_certs 1
	write_stsd_conf "$sd" "$n" tls "$hp_s" "$pp_s"
	rm -rf "$nd"; write_nginx_conf "$nd" 1 "$hp_n" "$pp_n"
	echo "127.0.0.1 localhost $big $one" >"$WORK/hosts"
	start_stsd "$sd"; spid=$SERVER_PID
	start_nginx "$nd"; npid=$SERVER_PID
	wait_ready "$spid" "$hp_s" "$big" "mx.d$n.test" "" 600 >/dev/null
	wait_ready "$npid" "$hp_n" "$one" "mx.d1.test" >/dev/null
	log "stsd at $n domains (pid $spid) vs nginx at 1 (pid $npid)"
	SECTION=scale
	for r in $(seq "$RUNS"); do
		if [ $((r % 2)) = 1 ]; then
			run_metric stsd "$spid" "$n" https_keepalive "$hp_s" "$big"
			run_metric nginx "$npid" "$n" https_keepalive "$hp_n" "$one"
		else
			run_metric nginx "$npid" "$n" https_keepalive "$hp_n" "$one"
			run_metric stsd "$spid" "$n" https_keepalive "$hp_s" "$big"
		fi
	done
	SECTION=throughput
	record scale "$n" rss stsd "$(status_kb "$spid" VmHWM)" kB ""
	stop_server "$spid"
	stop_server "$npid"
}

section_rss() {
	local n
	for n in $RSS_SIZES; do
		local sd=$WORK/rs-$n nd=$WORK/rn-$n hp pp pid w r
		make_certs "$n"
		for r in $(seq "$RUNS"); do
			hp=$(free_port); pp=$(free_port)
			write_stsd_conf "$sd" "$n" tls "$hp" "$pp"
			start_stsd "$sd"; pid=$SERVER_PID
			wait_ready "$pid" "$hp" "mta-sts.d$n.test" "mx.d$n.test" >/dev/null
			client "$WORK/bin/hsload" -c 4 -t 1 -s "mta-sts.d$n.test" \
				127.0.0.1 "$hp" >/dev/null || true
			sleep 1
			record rss "$n" vmhwm stsd "$(status_kb "$pid" VmHWM)" kB ""
			record rss "$n" vmrss stsd "$(status_kb "$pid" VmRSS)" kB ""
			stop_server "$pid"

			hp=$(free_port); pp=$(free_port)
			rm -rf "$nd"; write_nginx_conf "$nd" "$n" "$hp" "$pp"
			start_nginx "$nd"; pid=$SERVER_PID
			wait_ready "$pid" "$hp" "mta-sts.d$n.test" "mx.d$n.test" "" 300 >/dev/null
			client "$WORK/bin/hsload" -c 4 -t 1 -s "mta-sts.d$n.test" \
				127.0.0.1 "$hp" >/dev/null || true
			sleep 1
			w=$(pgrep -P "$pid" | head -1)
			record rss "$n" vmhwm nginx "$(status_kb "$w" VmHWM)" kB "worker"
			record rss "$n" vmhwm_master nginx "$(status_kb "$pid" VmHWM)" kB "master"
			record rss "$n" vmrss nginx "$(status_kb "$w" VmRSS)" kB "worker"
			record rss "$n" pss_total nginx $(( $(pss_kb "$pid") + $(pss_kb "$w") )) kB "master+worker"
			stop_server "$pid"
			log "  memory at $n domains, run $r recorded"
		done
	done
}

# reload_under_load KIND PID DIR N PORT PLAIN WRITE-CMD...: starts a paced
# keep-alive load and a paced new-connection load, rewrites the config with
# the last domain changed, sends SIGHUP and measures until the new policy is
# served; records the reload time and the failed requests of both loads
reload_under_load() {
	local kind=$1 pid=$2 dir=$3 n=$4 port=$5 plain=$6
	shift 6
	local host=mta-sts.d$n.test ka nc t0 t1 out_ka out_nc
	# loads run until stopped by SIGTERM (at most 600 s)
	# taskset execs hsload, so $! is hsload's own PID
	taskset -c "$CLIENT_CPU" "$WORK/bin/hsload" ${plain:+-P} -k -R 1000 -c 8 -t 600 \
		-s "$host" -e "version: STSv1" 127.0.0.1 "$port" >"$dir/load-ka.out" &
	ka=$!; PIDS+=("$ka")
	taskset -c "$CLIENT_CPU" "$WORK/bin/hsload" ${plain:+-P} -R 50 -c 4 -t 600 \
		-s "$host" -e "version: STSv1" 127.0.0.1 "$port" >"$dir/load-nc.out" &
	nc=$!; PIDS+=("$nc")
	sleep 2
	"$@"   # rewrite the configuration with the changed domain
	t0=$(now_ns)
	kill -HUP "$pid"
	t1=$(wait_ready "$pid" "$port" "$host" "mx2.d$n.test" "$plain" 120)
	sleep 2
	stop_pid "$ka"; forget_pid "$ka"
	stop_pid "$nc"; forget_pid "$nc"
	out_ka=$(cat "$dir/load-ka.out"); out_nc=$(cat "$dir/load-nc.out")
	[ -n "$(kv "$out_ka" requests)" ] && [ -n "$(kv "$out_nc" requests)" ] \
		|| die "a load client during the reload printed nothing"
	local ms=$(( (t1 - t0) / 1000000 ))
	local errs=$(( $(kv "$out_ka" errors) + $(kv "$out_nc" errors) ))
	local reqs=$(( $(kv "$out_ka" requests) + $(kv "$out_nc" requests) ))
	record startup "$n" "reload_$kind" "${kind%%_*}" "$ms" ms \
		"failed=$errs/$reqs retried=$(kv "$out_ka" retried) ka_max_us=$(kv "$out_ka" max_us) nc_max_us=$(kv "$out_nc" max_us)"
	log "  $kind reload at $n domains: $ms ms, $errs of $reqs requests failed, $(kv "$out_ka" retried) retried"
	[ "$errs" = 0 ] || log "  last errors: $(kv "$out_ka" last_error) / $(kv "$out_nc" last_error)"
}

section_startup() {
	local n kind r
	for n in $START_SIZES; do
		# tls_all: the same as tls, stsd on every CPU (it parses
		# certificates on one thread per CPU it may use); the paced
		# loads of the reload share them.
		for kind in backend tls tls_all; do
			[ "$kind" = backend ] || make_certs "$n"
			for r in $(seq "$RUNS"); do
				local d=$WORK/st-$kind-$n hp pp port plain="" t0 t1 pid
				hp=$(free_port); pp=$(free_port)
				write_stsd_conf "$d" "$n" "${kind%_all}" "$hp" "$pp"
				if [ "$kind" = backend ]; then port=$pp; plain=1; else port=$hp; fi
				sync
				t0=$(now_ns)
				STSD_CPUS=
				[ "$kind" = tls_all ] && STSD_CPUS="0-$(( $(nproc) - 1 ))"
				start_stsd "$d"; pid=$SERVER_PID
				STSD_CPUS=
				t1=$(wait_ready "$pid" "$port" "mta-sts.d$n.test" \
					"mx.d$n.test" "$plain" 300)
				local ms=$(( (t1 - t0) / 1000000 ))
				record startup "$n" "start_stsd_$kind" stsd "$ms" ms ""
				record startup "$n" "rss_stsd_$kind" stsd "$(status_kb "$pid" VmHWM)" kB ""
				log "  stsd $kind start at $n domains: $ms ms"
				reload_under_load "stsd_$kind" "$pid" "$d" "$n" "$port" \
					"$plain" write_domains "$d" "$n" changed
				grep -q 'reload complete' "$d/stsd.log" \
					|| log "WARNING: no 'reload complete' in $d/stsd.log"
				stop_server "$pid"
			done
		done
	done
	n=$NGINX_START
	make_certs "$n"
	for r in $(seq "$RUNS"); do
		local d=$WORK/st-nginx-$n hp pp t0 t1 pid
		hp=$(free_port); pp=$(free_port)
		rm -rf "$d"; write_nginx_conf "$d" "$n" "$hp" "$pp"
		sync
		t0=$(now_ns)
		start_nginx "$d"; pid=$SERVER_PID
		t1=$(wait_ready "$pid" "$hp" "mta-sts.d$n.test" "mx.d$n.test" "" 300)
		local ms=$(( (t1 - t0) / 1000000 ))
		record startup "$n" start_nginx_tls nginx "$ms" ms ""
		log "  nginx tls start at $n domains: $ms ms"
		reload_under_load nginx_tls "$pid" "$d" "$n" "$hp" "" \
			write_nginx_conf "$d" "$n" "$hp" "$pp" changed
		stop_server "$pid"
	done
}

# ---- main --------------------------------------------------------------------

render_report() {
	(
		set -a
		. "$WORK/report.env"
		# shellcheck disable=SC2034 # exported to report.py by set -a
		ANALYSIS=$ANALYSIS
		# shellcheck disable=SC2034
		MACHINE_FILE=$WORK/machine.json
		set +a
		python3 "$HERE/report.py" "$RESULTS"
	) >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
}

main() {
	if [ "$REPORT_ONLY" = 1 ]; then
		[ -f "$WORK/report.env" ] || die "no finished run in $WORK"
		render_report
		log "wrote $OUT"
		return
	fi
	[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server and client pinned apart)"
	local t
	for t in wrk nginx certtool cc taskset unshare curl python3 autoreconf; do
		command -v "$t" >/dev/null || die "$t not found (see bench/README)"
	done
	mkdir -p "$WORK" "$(dirname "$OUT")"
	wait_quiet
	BUSY_BEFORE=$(busy_report)
	build_tools
	build_stsd
	: >"$RESULTS"
	local started ended
	started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	log "stsd: $STSD; results: $RESULTS"
	local s
	for s in $SECTIONS; do
		log "section $s"
		"section_$s"
	done
	ended=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	BUSY_AFTER=$(busy_report)
	{
		printf 'STSD=%q\nSTARTED=%q\nENDED=%q\nCOMMAND=%q\n' \
			"$STSD" "$started" "$ended" "$COMMAND"
		printf 'RUNS=%q\nSECS=%q\nQUIET_NOTE=%q\n' "$RUNS" "$SECS" "$QUIET_NOTE"
		printf 'BUSY_BEFORE=%q\nBUSY_AFTER=%q\nSRC=%q\n' \
			"$BUSY_BEFORE" "$BUSY_AFTER" "$SRC"
		printf 'HS_WORKERS=%q\nKA_CONNS=%q\nLAT_RATE=%q\nSCALE_N=%q\n' \
			"$HS_WORKERS" "$KA_CONNS" "$LAT_RATE" "$SCALE_N"
	} >"$WORK/report.env"
	rm -f "$WORK/machine.json"
	render_report
	log "wrote $OUT"
}

main
