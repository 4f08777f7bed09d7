#!/bin/sh
# Memory after 1000 reloads is about the memory after 1: a configuration of
# 50 domains, each with its own certificate on an https listener (so the TLS
# state is rebuilt on every reload too), is reloaded by SIGHUP 1000 times,
# one after another, each waiting for its "reload complete" line. VmRSS
# after the first reload and after the last may differ by less than 2 MiB;
# the open descriptors must not grow; the daemon serves the right policy
# between batches of reloads and exits 0 (under valgrind: without errors or
# definite leaks) on SIGTERM.
#
# Under STSD_WRAPPER (valgrind) a reload takes far longer: 50 reloads are
# done instead, and the descriptions say so; the RSS comparison is skipped
# there (the tool's own memory dominates) and its leak check at exit, seen in
# the exit status, stands in for it. Likewise in an AddressSanitizer build
# (its quarantine holds freed memory), where LeakSanitizer stands in.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
t_need curl certtool python3

NDOMAINS=50
if [ -n "$STSD_WRAPPER" ]; then
	RELOADS=50
	BATCH=10
	why=" (50 reloads, not 1000: running under $(echo "$STSD_WRAPPER" | cut -d' ' -f1))"
else
	RELOADS=1000
	BATCH=100
	why=
fi
DEADLINE=120            # seconds for all the reloads together
MAX_GROWTH_KB=2048

C=$T/certs
make_ca "$C" || t_bail "cannot make the test CA"
i=1
while [ $i -le $NDOMAINS ]; do
	make_leaf "$C" "d$i" "mta-sts.d$i.example" || t_bail "cannot make certificate $i"
	i=$((i + 1))
done

{
	cat <<-EOF
	listen:
	  - https: "127.0.0.1:0"
	  - http: "127.0.0.1:0"
	allow_root: true
	monitor: {enabled: false}
	certificates:
	EOF
	i=1
	while [ $i -le $NDOMAINS ]; do
		printf '  - cert: %s\n    key: %s\n' "$C/d$i.pem" "$C/d$i.key"
		i=$((i + 1))
	done
	cat <<-EOF
	defaults:
	  mode: enforce
	  max_age: 604800
	domains:
	EOF
	i=1
	while [ $i -le $NDOMAINS ]; do
		printf '  d%s.example:\n    mx: [mx1.d%s.example, "*.mx.d%s.example"]\n' $i $i $i
		i=$((i + 1))
	done
} >"$T/stsd.yaml"

# want N: the policy of domain dN.
want() {
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.d%s.example\r\nmx: *.mx.d%s.example\r\nmax_age: 604800\r\n' "$1" "$1"
}

# serves N LABEL: domain dN's exact policy over https (chain and name
# verified) and over http.
serves() {
	h=mta-sts.d$1.example
	want "$1" >"$T/want"
	st=$(http_get s --cacert "$C/ca.pem" --resolve "$h:$HTTPS_PORT:127.0.0.1" \
		"https://$h:$HTTPS_PORT/.well-known/mta-sts.txt")
	t_ok "$([ "$st" = 200 ] && cmp -s "$T/s.body" "$T/want"; echo $?)" \
		"$2: https $h serves its policy ($st)"
	[ "$st" = 200 ] || t_diag "$(cat "$T/s.err")"
	st=$(http_get p -H "Host: $h" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
	t_ok "$([ "$st" = 200 ] && cmp -s "$T/p.body" "$T/want"; echo $?)" \
		"$2: http $h serves its policy ($st)"
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$STSD_PID/status"; }

# reloads N SECONDS: N SIGHUPs, each sent once the previous reload has
# logged "reload complete", all within SECONDS; prints how many completed.
# A "reload failed" line stops it.
reloads() {
	python3 - "$STSD_PID" "$T/stsd.log" "$1" "$2" <<-'EOF'
	import os, signal, sys, time
	pid, log, n, limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
	deadline = time.monotonic() + limit
	f = open(log, "rb")
	buf = b""
	done = 0
	def complete():
	    """Lines completed since the last call: (completes, failures)."""
	    global buf
	    buf += f.read()
	    lines = buf.split(b"\n")
	    buf = lines.pop()
	    return (sum(b"reload complete" in l for l in lines),
	            sum(b"reload failed" in l for l in lines))
	complete()                      # skip what is logged already
	failed = 0
	while done < n and not failed and time.monotonic() < deadline:
	    os.kill(pid, signal.SIGHUP)
	    got = 0
	    while not got and not failed and time.monotonic() < deadline:
	        time.sleep(0.002)
	        got, failed = complete()
	    done += got
	print(done, "failed" if failed else "")
	EOF
}

stsd_start "$T/stsd.yaml" || t_bail "stsd did not start"
# Warm up: one request of each kind, so that the threads' allocator arenas
# and the TLS libraries' lazy state exist before the first measurement.
serves 1 "before any reload"

stsd_reload
t_like "$(tail -n 3 "$T/stsd.log")" 'reload complete' "the first reload completes"
serves 2 "after the first reload"
rss1=$(rss_kb)
fds1=$(nfds "$STSD_PID")
t_like "$rss1" '^[1-9][0-9]*$' "VmRSS after the first reload: $rss1 kB ($fds1 descriptors)"

start=$(date +%s)
total=0
batch=0
failed=
while [ "$total" -lt "$RELOADS" ]; do
	left=$((DEADLINE - ($(date +%s) - start)))
	[ "$left" -gt 0 ] || break
	out=$(reloads "$BATCH" "$left")
	n=${out%% *}
	case $out in *failed*) failed=yes ;; esac
	total=$((total + n))
	batch=$((batch + 1))
	[ "$n" -eq "$BATCH" ] || break
	# Keep serving in between; a different domain every batch.
	serves $((batch % NDOMAINS + 1)) "after $total reloads"
done
took=$(($(date +%s) - start))
t_ok "$([ -z "$failed" ]; echo $?)" "no reload failed"
t_is "$total" "$RELOADS" "$RELOADS reloads completed within $DEADLINE s (took $took s)$why"
t_is "$(grep -c 'reload complete' "$T/stsd.log")" $((RELOADS + 1)) \
	"the log has one \"reload complete\" per SIGHUP$why"

rss2=$(rss_kb)
fds2=$(nfds "$STSD_PID")
growth=$((rss2 - rss1))
desc="VmRSS after 1 reload $rss1 kB, after $((total + 1)) reloads $rss2 kB: growth $growth kB < $MAX_GROWTH_KB kB"
if grep -q __asan_init "$STSD" 2>/dev/null; then
	# ASan holds freed memory in its quarantine (256 MB by default).
	t_skip "$desc" "RSS is not stsd's in an AddressSanitizer build"
elif [ -n "$STSD_WRAPPER" ]; then
	# memcheck keeps freed blocks in a queue (--freelist-vol, 20 MB by
	# default): the RSS of the process says nothing about stsd's. Its leak
	# check at exit (the exit status below) stands in.
	t_skip "$desc$why" "RSS is not stsd's under $(echo "$STSD_WRAPPER" | cut -d' ' -f1)"
else
	t_ok "$([ "$growth" -lt "$MAX_GROWTH_KB" ]; echo $?)" "$desc"
fi
t_ok "$([ -n "$fds1" ] && [ "$fds2" = "$fds1" ]; echo $?)" "open descriptors after 1 reload and after $((total + 1)) ($fds2)"
serves 50 "at the end"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0 on SIGTERM"
t_unlike "$(cat "$T/stsd.log")" 'AddressSanitizer|LeakSanitizer|runtime error|==[0-9]+==' \
	"no sanitizer or valgrind report in the log"

t_done
