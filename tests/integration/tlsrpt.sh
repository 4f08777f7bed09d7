#!/bin/sh
# stsd --import-report and --report on a real state database, while the
# daemon serves from the same one: whole messages (multipart with a base64
# gzip attachment, the report as the body, nested, plain JSON in a +gzip
# part), bare .json and .json.gz files (gzip made here), stdin, a Maildir;
# the exit statuses an MTA acts on (0 stored or duplicate or not ours, 65
# never a report, 66 unreadable, 75 database busy); duplicates stored once;
# reports about domains not served dropped; and --report reading it all
# back (text and JSON) with the policies served throughout.
. "$top_srcdir/tests/lib/common.sh"
t_need curl python3 gzip base64

F=$top_srcdir/tests/fixtures/tlsrpt
state=$T/state
mkdir -p "$state" "$T/in"
conf=$T/stsd.yaml
cat >"$conf" <<EOF
listen:
  - http: "127.0.0.1:0"
allow_root: true
monitor: {enabled: false}
state_dir: $state
defaults: {mode: testing, max_age: 604800}
domains:
  example.com: {mx: [mx1.example.com, mx2.example.com]}
  example.net: {mx: mx.example.net, mode: enforce}
EOF

# message TEMPLATE JSON OUT: a fixture message with the report filled in.
message() {
	gzip -9n <"$F/$2" | base64 -w 76 >"$T/b64"
	base64 -w 60 <"$F/$2" | tr -d '=' >"$T/b64nopad"
	sed -e "/^@GZIP_BASE64@\$/{r $T/b64" -e 'd}' \
	    -e "/^@JSON_BASE64_NOPAD@\$/{r $T/b64nopad" -e 'd}' \
	    "$F/$1" >"$3"
}
import() {  # import ARGS...: prints the exit status
	"$STSD" --import-report -c "$conf" "$@" >>"$T/import.log" 2>&1
	echo $?
}
report_json() {  # report_json PYTHON-EXPRESSION-OF-d [ARGS...]
	expr=$1
	shift
	"$STSD" --report -c "$conf" --since 2026-11-01 --format json "$@" \
		>"$T/r.json" 2>"$T/r.err"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
print(eval(sys.argv[2]))' "$T/r.json" "$expr"
}
get() {
	curl -s -o /dev/null -w '%{http_code}' -H "Host: mta-sts.$1" \
		"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt"
}

stsd_start "$conf" || t_bail "stsd did not start"

message msg-multipart-gzip.eml.in google.json "$T/in/google.eml"
t_is "$(import "$T/in/google.eml")" 0 "a multipart/report message with a gzip attachment: 0"
t_like "$(tail -n 2 "$T/import.log")" "stored report 2026-11-30T00:00:00Z_example.com from Google Inc." \
	"... logged as stored"
t_is "$(import "$T/in/google.eml")" 0 "the same message again: 0 (a duplicate)"
t_like "$(tail -n 2 "$T/import.log")" "already stored" "... logged as a duplicate"

message msg-body-gzip.eml.in missing-details.json "$T/in/body.eml"
t_is "$(import <"$T/in/body.eml")" 0 "the report as the message body, on stdin: 0"
message msg-nested.eml.in empty-ip.json "$T/in/nested.eml"
message msg-plain-in-gzip.eml.in totals-disagree.json "$T/in/plain.eml"
t_is "$(import "$T/in/nested.eml" "$T/in/plain.eml")" 0 \
	"a nested message and plain JSON in a +gzip part: 0"
cp "$F/microsoft-nozone.json" "$T/in/ms.json"
t_is "$(import "$T/in/ms.json")" 0 "a bare .json file: 0"
gzip -9n <"$F/mailru-freetext.json" >"$T/in/mailru.json.gz"
t_is "$(import "$T/in/mailru.json.gz")" 0 "a bare .json.gz file: 0"

# A Maildir: a new report, one already stored, one about a domain not
# served here (counted and dropped, still 0 for the MTA).
mkdir -p "$T/Maildir/new" "$T/Maildir/cur" "$T/Maildir/tmp"
message msg-multipart-gzip.eml.in several-domains.json "$T/Maildir/new/1.host"
cp "$T/in/google.eml" "$T/Maildir/cur/2.host:2,S"
message msg-multipart-gzip.eml.in no-policy-found.json "$T/Maildir/new/3.host"
t_is "$(import "$T/Maildir")" 0 "a Maildir: 0"
t_like "$(tail -n 1 "$T/import.log")" \
	"^1 report stored, 1 already stored, 1 about no domain served here$" \
	"... one stored, one duplicate, one not ours"

# What can never be a report, and what cannot be read.
t_is "$(import "$F/msg-no-report.eml")" 65 "a message without a report: 65"
head -c 200 "$T/in/mailru.json.gz" >"$T/in/trunc.json.gz"
t_is "$(import "$T/in/trunc.json.gz")" 65 "truncated gzip: 65"
t_is "$(import "$F/bad-negative-count.json")" 65 "a report with a negative count: 65"
t_is "$(import "$T/in/missing")" 66 "a file that does not exist: 66"
t_is "$(import "$T/in/ms.json" "$F/msg-no-report.eml")" 65 "the worst input decides"

# A database locked by another writer longer than the busy timeout: 75,
# and the same report goes in once the lock is gone.
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
cp "$F/no-policy-found.json" "$T/in/np.json"
sed 's/"example.org"/"example.net"/; s/_example.org/_example.net/' "$T/in/np.json" >"$T/in/net.json"
t_is "$(import "$T/in/net.json")" 75 "the database locked: 75 (the MTA retries)"
touch "$T/release"
wait "$lock_pid"
t_is "$(import "$T/in/net.json")" 0 "unlocked: 0"
t_like "$(tail -n 1 "$T/import.log")" "^1 report stored" "... and stored"

# A configuration that cannot be loaded: 75 too (being fixed, perhaps).
t_is "$("$STSD" --import-report -c "$T/none.yaml" "$T/in/ms.json" >/dev/null 2>&1; echo $?)" 75 \
	"no configuration: 75"
t_is "$("$STSD" --import-report -c "$conf" --since 2026-11-01 >/dev/null 2>&1; echo $?)" 64 \
	"a usage error: 64"

t_is "$(get example.com)" 200 "the daemon served throughout"

# --report reads it all back.
t_is "$(report_json 'sorted(dom)')" "['example.com', 'example.net']" \
	"--report: the served domains with reports (not example.org)"
t_is "$(report_json 'dom["example.com"]["successful"], dom["example.com"]["failed"], dom["example.com"]["reports"]')" \
	"(288, 18, 7)" "example.com: sessions and reports, each report once"
t_is "$(report_json 'd["duplicates"]')" 0 "no copies stored"
t_is "$(report_json 'dom["example.net"]["successful"], dom["example.net"]["mode"]')" \
	"(17, 'enforce')" "example.net: the report shared with example.com and its own"
t_is "$(report_json '[x["domain"] for x in d["domains"]]' example.net)" "['example.net']" \
	"--report DOMAIN: only that domain"
t_is "$(report_json 'dom["example.com"]["ready-for-enforce"]["status"]')" "not-ready" \
	"example.com is not ready for enforce"
"$STSD" --report -c "$conf" --since 2026-11-01 example.com >"$T/r.txt" 2>&1
t_like "$(cat "$T/r.txt")" "certificate-host-mismatch at mx2.example.com from 2 organisations" \
	"--report text: the failure in words"
t_like "$(cat "$T/r.txt")" "Ready for enforce: not yet" "--report text: the verdict"
t_is "$("$STSD" --report -c "$conf" --since yesterday >/dev/null 2>&1; echo $?)" 2 \
	"--report --since not a date: 2"

stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"
t_done
