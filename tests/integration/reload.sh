#!/bin/sh
# SIGHUP and SIGTERM: a new policy and id served after HUP, and logged with
# the TXT record to publish; a bad configuration on HUP keeps the old one
# serving and is reported as file:line:col; a renewed certificate is served
# after HUP; a burst of HUPs under a loop of requests never yields a wrong
# answer; SIGTERM exits 0 and lets a request in flight complete.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/certs.sh"
. "$top_srcdir/tests/lib/fixture.sh"
t_need curl gnutls-cli certtool python3

fixture_certs || t_bail "cannot make the certificates"

# write_conf FILE MX: example.com's policy has the one mx MX.
write_conf() {
	{
		printf 'listen:\n  - https: "127.0.0.1:0"\n  - http: "127.0.0.1:0"\nallow_root: true\nmonitor: {enabled: false}\n'
		fixture_certificates com org net
	} >"$1"
	cat >>"$1" <<EOF
defaults:
  mode: enforce
  max_age: 604800
domains:
  example.com:
    mx: $2
  example.org:
    mx: mail.example.org
EOF
}
write_conf "$T/a.yaml" mx-a.example.com
write_conf "$T/b.yaml" mx-b.example.com
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx-a.example.com\r\nmax_age: 604800\r\n' >"$T/want.a"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx-b.example.com\r\nmax_age: 604800\r\n' >"$T/want.b"

conf=$T/stsd.yaml
use() {  # use a|b|FILE: make it the live configuration file, atomically
	case $1 in
	a | b) cp "$T/$1.yaml" "$conf.tmp" ;;
	*) cp "$1" "$conf.tmp" ;;
	esac
	mv "$conf.tmp" "$conf"
}
txt_id() {  # txt_id FILE DOMAIN
	"$STSD" --print-dns -c "$1" "$2" 2>/dev/null |
		sed -n 's/^_mta-sts\..* IN TXT "v=STSv1; id=\([A-Za-z0-9]*\)".*/\1/p'
}
get() {  # get NAME: GET example.com's policy over plain HTTP; prints the status
	http_get "$1" -H "Host: mta-sts.example.com" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt"
}
serial() {  # serial: the serial number of the certificate served for example.com
	gnutls-cli --x509cafile="$C/ca.pem" -p "$HTTPS_PORT" --sni-hostname=mta-sts.example.com \
		--verify-hostname=mta-sts.example.com --save-cert="$T/served.pem" 127.0.0.1 \
		</dev/null >/dev/null 2>&1 || return 1
	file_serial "$T/served.pem"
}
file_serial() {
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q}' "$1" |
		certtool -i 2>/dev/null | sed -n 's/.*Serial Number (hex): *//p'
}

id_a=$(txt_id "$T/a.yaml" example.com)
id_b=$(txt_id "$T/b.yaml" example.com)
t_ok "$([ -n "$id_a" ] && [ -n "$id_b" ] && [ "$id_a" != "$id_b" ]; echo $?)" \
	"the two configurations have different ids ($id_a, $id_b)"

use a
stsd_start "$conf" || t_bail "stsd did not start"
st=$(get a1)
t_is "$st" 200 "before HUP: 200"
t_files_equal "$T/a1.body" "$T/want.a" "before HUP: policy a"

# --- a good new configuration ------------------------------------------------
use b
stsd_reload
st=$(get b1)
t_is "$st" 200 "after HUP: 200"
t_files_equal "$T/b1.body" "$T/want.b" "after HUP: the new policy b"
t_like "$(cat "$T/stsd.log")" 'reload complete' "the log says the reload completed"
line=$(grep 'domain example\.com changed' "$T/stsd.log")
t_like "$line" "id $id_a -> $id_b" "the log names example.com with old id -> new id"
t_like "$line" "_mta-sts\\.example\\.com\\. [0-9]+ IN TXT \"v=STSv1; id=$id_b\"" \
	"the log gives the TXT record to publish"
t_unlike "$(cat "$T/stsd.log")" 'domain example\.org' "the unchanged example.org is not named"

# An unchanged configuration reloads without naming any domain.
n_changed=$(grep -c 'changed' "$T/stsd.log")
stsd_reload
t_is "$(grep -c 'changed' "$T/stsd.log")" "$n_changed" "a reload without changes logs no change"

# --- domains added and removed, and an explicit id that did not change ------
sed -e 's/^  example\.org:$/  example.net:/' -e 's/mail\.example\.org/mail.example.net/' \
	"$T/b.yaml" >"$T/c.yaml"
use "$T/c.yaml"
stsd_reload
t_like "$(grep 'domain example\.net added' "$T/stsd.log")" \
	"_mta-sts\\.example\\.net\\. [0-9]+ IN TXT \"v=STSv1; id=$(txt_id "$T/c.yaml" example.net)\"" \
	"an added domain is logged with the TXT record to publish"
t_like "$(grep 'domain example\.org removed' "$T/stsd.log")" 'serve "mode: none" under a new id' \
	"a removed domain is logged with the retirement procedure"
st=$(http_get net1 -H "Host: mta-sts.example.net" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
t_is "$st" 200 "the added domain is served"
st=$(http_get org1 -H "Host: mta-sts.example.org" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
t_is "$st" 404 "the removed domain is not"

sed 's/^    mx: mx-b\.example\.com$/    mx: mx-b.example.com\n    id: "fixed1"/' "$T/b.yaml" >"$T/d.yaml"
sed 's/^    mx: mx-a\.example\.com$/    mx: mx-a.example.com\n    id: "fixed1"/' "$T/a.yaml" >"$T/e.yaml"
use "$T/d.yaml"
stsd_reload
use "$T/e.yaml"
stsd_reload
t_like "$(cat "$T/stsd.log")" 'example\.com: policy changed but its explicit id fixed1 did not' \
	"a changed policy under an unchanged explicit id is warned about"
use b
stsd_reload
st=$(get b2)
t_files_equal "$T/b2.body" "$T/want.b" "back to configuration b"

# --- a bad configuration keeps the old one serving ---------------------------
cp "$T/a.yaml" "$T/bad.yaml"
printf '  example.net:\n    mode: enforce\n    mxs: [mail.example.net]\n' >>"$T/bad.yaml"
bad_line=$(grep -n 'mxs:' "$T/bad.yaml" | cut -d: -f1)
use "$T/bad.yaml"
stsd_reload failed
t_alive "$STSD_PID" "bad configuration: stsd still runs"
t_like "$(cat "$T/stsd.log")" 'reload failed' "bad configuration: the log says the reload failed"
t_like "$(cat "$T/stsd.log")" "$conf:$bad_line:[0-9]+: error: .*mxs" \
	"bad configuration: the error names $conf:$bad_line:col"
st=$(get bad1)
t_is "$st" 200 "bad configuration: still 200"
t_files_equal "$T/bad1.body" "$T/want.b" "bad configuration: the old policy b is still served"
st=$(http_get bad2 -H "Host: mta-sts.example.net" "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt")
t_is "$st" 404 "bad configuration: nothing of it is served"
# A file that is not YAML at all.
printf 'domains: [\n  "unterminated\n' >"$T/bad2.yaml"
use "$T/bad2.yaml"
n_fail=$(grep -c 'reload failed' "$T/stsd.log")
stsd_reload failed
t_is "$(grep -c 'reload failed' "$T/stsd.log")" "$((n_fail + 1))" "broken YAML: the reload fails"
t_like "$(cat "$T/stsd.log")" "$conf:[0-9]+:[0-9]+: error:" "broken YAML: the error has file:line:col"
st=$(get bad3)
t_files_equal "$T/bad3.body" "$T/want.b" "broken YAML: the old policy b is still served"
# A missing file.
rm -f "$conf"
stsd_reload failed
st=$(get bad4)
t_files_equal "$T/bad4.body" "$T/want.b" "a missing file: the old policy b is still served"
t_alive "$STSD_PID" "a missing file: stsd still runs"
# And back to a good one.
use a
stsd_reload
st=$(get a2)
t_files_equal "$T/a2.body" "$T/want.a" "a good configuration after bad ones: policy a"

# --- a renewed certificate ---------------------------------------------------
old_serial=$(serial)
t_is "$old_serial" "$(file_serial "$C/com.pem")" "the served certificate is com.pem"
# Renew the way certbot does: new files, then renamed over the old ones.
mkdir "$C/new" && cp "$C/ca.pem" "$C/ca.key" "$C/new/" &&
	make_leaf "$C/new" com mta-sts.example.com || t_bail "cannot renew the certificate"
mv "$C/new/com.key" "$C/com.key" && mv "$C/new/com.pem" "$C/com.pem"
new_serial=$(file_serial "$C/com.pem")
t_ok "$([ -n "$new_serial" ] && [ "$new_serial" != "$old_serial" ]; echo $?)" "the renewed certificate has a new serial"
t_is "$(serial)" "$old_serial" "before HUP the old certificate is still served"
stsd_reload
t_is "$(serial)" "$new_serial" "after HUP the renewed certificate is served"
st=$(http_get tls1 --cacert "$C/ca.pem" --resolve "mta-sts.example.com:$HTTPS_PORT:127.0.0.1" \
	"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt")
t_is "$st" 200 "after the renewal: https 200"
t_files_equal "$T/tls1.body" "$T/want.a" "after the renewal: the policy"

# --- a burst of HUPs under load ------------------------------------------------
mkdir "$T/burst"
n_fail=$(grep -c 'reload failed' "$T/stsd.log")
# client KIND: bounded request loops until $T/stop appears; every response
# body is kept, every status recorded.
client() {
	i=0
	while [ ! -e "$T/stop" ] && [ $i -lt 400 ]; do
		i=$((i + 1))
		if [ "$1" = http ]; then
			curl -s -o "$T/burst/$1-$i-#1" -w '%{http_code}\n' \
				-H "Host: mta-sts.example.com" \
				"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt?n=[1-5]"
		else
			curl -s -o "$T/burst/$1-$i-#1" -w '%{http_code}\n' --cacert "$C/ca.pem" \
				--resolve "mta-sts.example.com:$HTTPS_PORT:127.0.0.1" \
				"https://mta-sts.example.com:$HTTPS_PORT/.well-known/mta-sts.txt?n=[1-5]"
		fi
	done >>"$T/burst-$1.codes"
}
client http &
c1=$!
client https &
c2=$!
t_pids="$t_pids $c1 $c2"
wait_for test -s "$T/burst-http.codes"
wait_for test -s "$T/burst-https.codes"
# 20 HUPs back to back (the kernel may merge some), the file alternating ...
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	if [ $((i % 2)) -eq 1 ]; then use b; else use a; fi
	kill -HUP "$STSD_PID"
done
# ... then 20 more, each waiting for its reload to finish.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	if [ $((i % 2)) -eq 1 ]; then use b; else use a; fi
	stsd_reload
done
touch "$T/stop"
wait "$c1" "$c2"
t_alive "$STSD_PID" "after 40 HUPs under load stsd still runs"
t_is "$(grep -c 'reload failed' "$T/stsd.log")" "$n_fail" "no reload failed during the burst"
n=$(cat "$T/burst-http.codes" "$T/burst-https.codes" | wc -l | tr -d ' ')
t_ok "$([ "$n" -ge 10 ]; echo $?)" "the request loops ran ($n requests)"
t_is "$(cat "$T/burst-http.codes" "$T/burst-https.codes" | grep -vc '^200$')" 0 \
	"every request during the HUPs got a 200"
bad=0
for f in "$T"/burst/*; do
	cmp -s "$f" "$T/want.a" || cmp -s "$f" "$T/want.b" || {
		bad=$((bad + 1))
		t_diag "unexpected body in $f: $(od -c "$f" | head -3)"
	}
done
t_is "$bad" 0 "every body during the HUPs was policy a or policy b"
t_is "$(ls "$T/burst" | wc -l | tr -d ' ')" "$n" "one body per request"
st=$(get last)
t_files_equal "$T/last.body" "$T/want.a" "after the burst the last configuration (a) is served"

# --- SIGTERM -----------------------------------------------------------------
stsd_stop
t_is "$STSD_STATUS" 0 "SIGTERM: exit status 0"
t_like "$(tail -n 3 "$T/stsd.log")" 'stopped' "SIGTERM: the log says stopped"

# A request in flight at SIGTERM completes: the client sends half of its
# request head, stsd gets SIGTERM, then the client sends the rest.
stsd_start "$conf" || t_bail "stsd did not restart"
n_fds() { ls "/proc/$STSD_PID/fd" | wc -l; }
fds_above() { [ "$(n_fds)" -gt "$1" ]; }
fds0=$(n_fds)
python3 - "$HTTP_PORT" "$T" >"$T/slow.out" 2>"$T/slow.err" <<'EOF' &
import os, socket, sys, time
port, T = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\n")
open(T + "/part1", "w").close()
deadline = time.monotonic() + 20
while not os.path.exists(T + "/part2") and time.monotonic() < deadline:
    time.sleep(0.02)
s.sendall(b"User-Agent: slow-client\r\nConnection: close\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
EOF
slow=$!
t_pids="$t_pids $slow"
wait_for test -e "$T/part1"
# stsd has accepted the connection when it holds one more descriptor.
wait_for fds_above "$fds0"
t_ok $? "the slow client's connection is accepted"
kill -TERM "$STSD_PID"
wait_for grep -q 'received, stopping' "$T/stsd.log"
t_ok $? "SIGTERM with a request in flight: stsd is stopping"
touch "$T/part2"
wait "$slow"
t_like "$(head -n1 "$T/slow.out")" '^HTTP/1.1 200 ' "the request in flight at SIGTERM got a 200"
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[d.find(b"\r\n\r\n") + 4:])' \
	"$T/slow.out" >"$T/slow.body"
t_files_equal "$T/slow.body" "$T/want.a" "the request in flight at SIGTERM got the whole policy"
STSD_STATUS=0
wait "$STSD_PID" || STSD_STATUS=$?
t_is "$STSD_STATUS" 0 "SIGTERM with a request in flight: exit status 0"
st=$(get after)
t_is "$st" 000 "after exit nothing listens any more"

t_done
