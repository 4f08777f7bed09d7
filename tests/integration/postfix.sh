#!/bin/sh
# A real MTA delivering TLS reports into stsd: in a private network
# namespace, a minimal Postfix (its own configuration and queue under $T,
# listening on 127.0.0.1 only) routes tlsrpt@example.com to a pipe(8)
# transport running "stsd --import-report -c CONF" as nobody. swaks sends
# report messages over SMTP; the pipe's exit status is what Postfix acts
# on: a report is delivered (sent) and stored, a message without a report
# bounces with 5.6.0 (65, permanent), a locked database defers it (75) and
# a flush after the lock is gone delivers it. `stsd --report` shows what
# arrived. The same recipe is in README.md ("Reading TLS reports").
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/netns.sh"
t_need postfix postqueue swaks python3 gzip base64
netns_enter "$@"
netns_setup

F=$top_srcdir/tests/fixtures/tlsrpt
PF=$T/postfix
state=$T/state
conf=$T/stsd.yaml
# The pipe runs stsd as nobody: it must reach the configuration and own
# the state directory.
chmod 755 "$T"
mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$state" "$T/in"
chown postfix "$PF/data"
chown nobody "$state"
cat >"$conf" <<EOF
state_dir: $state
defaults: {mode: testing, max_age: 604800}
domains:
  example.com: {mx: [mx1.example.com, mx2.example.com]}
EOF
chmod 644 "$conf"

PORT=2525
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.test.example
mydomain = test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtp_dns_support_level = disabled
# Reports for example.com: the one address goes to stsd.
relay_domains = example.com
transport_maps = inline:{ tlsrpt@example.com=stsd: }
EOF
# Every service unchrooted (the queue is under \$T), logging through
# postlogd to maillog_file (there is no syslog in the namespace).
cat >"$PF/etc/master.cf" <<EOF
$PORT     inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
stsd      unix  -       n       n       -       -       pipe
  flags=R user=nobody argv=$STSD --import-report -c $conf
EOF

postfix -c "$PF/etc" start >"$T/postfix.out" 2>&1 ||
	{ t_diag "$(cat "$T/postfix.out")" "$(cat "$PF/maillog" 2>/dev/null)"; t_bail "postfix does not start"; }
master=$(tr -d ' ' <"$PF/spool/pid/master.pid")
t_pids="$t_pids $master"
stop_postfix() {
	postfix -c "$PF/etc" stop >/dev/null 2>&1 || kill "$master" 2>/dev/null
	wait_for sh -c "! kill -0 $master 2>/dev/null"
}
smtp_up() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PORT"
}
wait_for smtp_up || t_bail "postfix does not listen on 127.0.0.1:$PORT"

# message TEMPLATE JSON OUT: a fixture message with the report filled in.
message() {
	gzip -9n <"$F/$2" | base64 -w 76 >"$T/b64"
	sed -e "/^@GZIP_BASE64@\$/{r $T/b64" -e 'd}' "$F/$1" >"$3"
}
send() {  # send FILE: submits the message over SMTP, prints the queue id
	swaks --server "127.0.0.1:$PORT" --from noreply-smtp-tls-reporting@google.com \
		--to tlsrpt@example.com --data "$1" >"$T/swaks.out" 2>&1
	sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' "$T/swaks.out"
}
logged() {  # logged QUEUEID REGEX: the pipe's delivery line for that message
	grep "postfix/pipe.*$1: to=<tlsrpt@example.com>.*relay=stsd" "$PF/maillog" | grep -Eq "$2"
}
report_json() {
	"$STSD" --report -c "$conf" --since 2026-11-01 --format json >"$T/r.json" 2>"$T/r.err"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
print(eval(sys.argv[2]))' "$T/r.json" "$1"
}

# A report, delivered.
message msg-multipart-gzip.eml.in google.json "$T/in/google.eml"
id=$(send "$T/in/google.eml")
t_like "$id" '^[0-9A-F]+$' "swaks: the report message is queued"
wait_for logged "$id" "status=(sent|bounced|deferred)"
t_ok "$(logged "$id" "status=sent" && echo 0 || echo 1)" "Postfix delivers it through the stsd pipe (status=sent)"
t_like "$(grep "$id" "$PF/maillog" | tail -n 3)" "delivered via stsd service" "... as logged by pipe(8)"
t_ok "$([ -f "$state/stsd.db" ] && [ "$(stat -c %U "$state/stsd.db")" = nobody ] && echo 0 || echo 1)" \
	"the database is created by the pipe's user"
t_is "$(report_json 'dom["example.com"]["successful"], dom["example.com"]["reports"]')" "(120, 1)" \
	"stsd --report shows the delivered report"

# The same report again: delivered (a duplicate is no error), stored once.
id=$(send "$T/in/google.eml")
wait_for logged "$id" "status="
t_ok "$(logged "$id" "status=sent" && echo 0 || echo 1)" "a duplicate is delivered too (exit 0)"
t_is "$(report_json 'dom["example.com"]["successful"], dom["example.com"]["reports"]')" "(120, 1)" \
	"... and counted once"

# Not a report: bounced, permanently.
id=$(send "$F/msg-no-report.eml")
wait_for logged "$id" "status="
t_ok "$(logged "$id" "status=bounced" && echo 0 || echo 1)" "a message without a report bounces (exit 65)"
t_ok "$(logged "$id" "dsn=5\.6\.0" && echo 0 || echo 1)" "... with 5.6.0, data format error"

# A locked database: deferred, then delivered once the lock is gone.
python3 -c 'import sqlite3, sys, os, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
db.execute("ROLLBACK")' "$state/stsd.db" "$T/locked" "$T/release" &
lock_pid=$!
t_pids="$t_pids $lock_pid"
wait_for test -f "$T/locked"
message msg-multipart-gzip.eml.in microsoft-nozone.json "$T/in/ms.eml"
id=$(send "$T/in/ms.eml")
wait_for logged "$id" "status="
t_ok "$(logged "$id" "status=deferred" && echo 0 || echo 1)" "the database locked: deferred (exit 75)"
touch "$T/release"
wait "$lock_pid"
postqueue -c "$PF/etc" -f
wait_for logged "$id" "status=sent"
t_ok "$(logged "$id" "status=sent" && echo 0 || echo 1)" "after the lock, a flush delivers it"
t_is "$(report_json 'dom["example.com"]["successful"], dom["example.com"]["failed"], dom["example.com"]["reports"]')" \
	"(160, 3, 2)" "stsd --report: both reports"
"$STSD" --report -c "$conf" --since 2026-11-01 >"$T/r.txt" 2>&1
t_like "$(cat "$T/r.txt")" "certificate-host-mismatch at mx2.example.com from 1 organisation" \
	"--report text: the delivered failure in words"

stop_postfix
t_done
