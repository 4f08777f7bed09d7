#!/bin/sh
# The state database while serving: fetch counts reach it exactly (after a
# flush), history survives restart and reload, `stsd --history` reads it
# (text and JSON), a database destroyed while serving never fails a request,
# and retire: true is logged with the date from the history.
. "$top_srcdir/tests/lib/common.sh"
t_need curl python3

state=$T/state
mkdir -p "$state"
conf=$T/stsd.yaml
write_conf() {  # write_conf EXAMPLE-ORG-EXTRA
	cat >"$conf" <<EOF2
listen:
  - http: "127.0.0.1:0"
allow_root: true
monitor: {enabled: false}
state_dir: $state
defaults: {mode: enforce, max_age: 86400}
domains:
  example.com: {mx: mx.example.com}
  example.org: {mx: mx.example.org$1}
EOF2
}
get() {  # get HOST: prints the status
	curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" \
		"http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt"
}
json() {  # json PYTHON-EXPRESSION-OF-d: evaluated on --history --format json
	"$STSD" --history -c "$conf" --format json >"$T/h.json" 2>"$T/h.err"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
print(eval(sys.argv[2]))' "$T/h.json" "$1"
}

write_conf ""
stsd_start "$conf" || t_bail "stsd did not start"
for i in 1 2 3 4 5; do get mta-sts.example.com >/dev/null; done
get mta-sts.example.org >/dev/null
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"
t_ok "$([ -f "$state/stsd.db" ] && echo 0 || echo 1)" "the database is in state_dir"
t_is "$(json 'dom["example.com"]["policies"][0]["mode"], dom["example.com"]["policies"][0]["max_age"], len(dom["example.com"]["policies"])')" \
	"('enforce', 86400, 1)" "--history --format json: mode, max_age, one id"
t_is "$(json 'dom["example.com"]["policies"][0]["fetches"], dom["example.org"]["policies"][0]["fetches"]')" \
	"(5, 1)" "fetch counts in the database match the requests exactly"
id1=$(json 'dom["example.org"]["policies"][0]["id"]')

# A restart adds to the same history.
stsd_start "$conf" || t_bail "stsd did not restart"
for i in 1 2 3; do get mta-sts.example.com >/dev/null; done
stsd_stop
t_is "$(json 'dom["example.com"]["policies"][0]["fetches"]')" 8 \
	"after a restart the counts add up (5 + 3)"

# retire: true serves mode none with a new id, logged with its date.
stsd_start "$conf" || t_bail "stsd did not start"
write_conf ", retire: true"
stsd_reload
wait_for grep -q "domain example.org: retiring" "$T/stsd.log"
line=$(grep "domain example.org: retiring" "$T/stsd.log")
t_like "$line" "serve mode none until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z, then delete _mta-sts.example.org TXT and stop serving" \
	"retire: true: the log says until when, and what to delete"
until=$(printf '%s\n' "$line" | sed -n 's/.*until \([0-9T:-]*Z\).*/\1/p')
want=$(json 'dom["example.org"]["policies"][0]["last_served"]')
want=$(python3 -c 'import sys, datetime
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(seconds=86400)
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$want")
t_is "$until" "$want" "the date is the last enforce policy served + its max_age"
t_like "$("$STSD" --print-dns -c "$conf" example.org)" \
	"^; example.org \(mode none\): serve mode none until $until, then delete _mta-sts.example.org TXT" \
	"--print-dns says until when to keep serving, with the date"
t_like "$(curl -s -H 'Host: mta-sts.example.org' "http://127.0.0.1:$HTTP_PORT/.well-known/mta-sts.txt" | tr -d '\r')" \
	"mode: none" "a retiring domain is served with mode none"
t_unlike "$(json 'dom["example.org"]["policies"][-1]["id"]')" "^$id1\$" \
	"... under a new id"

# A database destroyed under the running daemon: not one request fails.
fails=0
for i in $(seq 1 40); do
	[ "$i" -eq 10 ] && { rm -f "$state"/stsd.db*; printf 'garbage' >"$state/stsd.db"; }
	[ "$(get mta-sts.example.com)" = 200 ] || fails=$((fails + 1))
done
stsd_reload
for i in $(seq 1 20); do
	[ "$(get mta-sts.example.com)" = 200 ] || fails=$((fails + 1))
done
t_is "$fails" 0 "the database destroyed while serving: no request failed"
wait_for grep -q "state database in $state" "$T/stsd.log"
t_is "$(grep -c "state database in $state: " "$T/stsd.log")" 1 \
	"the failure is logged once"
t_ok "$(kill -0 "$STSD_PID" 2>/dev/null && echo 0 || echo 1)" "stsd still runs"

# ... and when the directory works again, so does the history.
rm -f "$state"/stsd.db*
wait_for grep -q "state database in $state works again" "$T/stsd.log"
t_like "$(grep "works again" "$T/stsd.log")" "works again" "recovery is logged"
stsd_stop
t_is "$STSD_STATUS" 0 "stsd exits 0"
t_like "$("$STSD" --history -c "$conf" example.com)" "example.com" \
	"--history (text) after recovery names the domain"

# --check says when the state directory cannot be used (and still passes).
sed "s|state_dir: $state|state_dir: $T/no-such-dir|" "$conf" >"$T/nodir.yaml"
out=$("$STSD" --check -c "$T/nodir.yaml" 2>&1)
st=$?
t_is "$st" 0 "--check passes without a usable state directory"
t_like "$out" "nodir.yaml: warning: state database: state directory $T/no-such-dir: No such file or directory" \
	"--check says why the state database cannot be used"
t_done
