#!/bin/sh
# The command line: options, exit codes, and golden outputs of
# --print-policy and --print-dns for the configuration in tests/golden/.
. "$top_srcdir/tests/lib/common.sh"

g=$top_srcdir/tests/golden
cd "$top_srcdir" || t_bail "no source dir"
conf=tests/golden/stsd.yaml

# --help and --version
out=$("$STSD" --help); rc=$?
t_is "$rc" 0 "--help exits 0"
t_like "$out" "--print-dns" "--help lists --print-dns"
out=$("$STSD" -V); rc=$?
t_is "$rc" 0 "-V exits 0"
t_like "$out" "^stsd [0-9]+\.[0-9]+" "-V prints the version"

# Usage errors exit 2 and say what is wrong.
"$STSD" --no-such-option >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 2 "an unknown option exits 2"
"$STSD" --print-dns --format yaml -c "$conf" >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 2 "--format yaml exits 2"
t_like "$(cat "$T/err")" "--format takes zone or json" "--format error names the choices"
"$STSD" --check --format json -c "$conf" >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 2 "--format without --print-dns exits 2"
"$STSD" --check -c "$conf" extra >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 2 "a stray argument exits 2"

# --check
out=$("$STSD" --check -c "$conf"); rc=$?
t_is "$rc" 0 "--check on a good configuration exits 0"
t_is "$out" "configuration OK" "--check prints configuration OK"
out=$("$STSD" -n -c etc/stsd.yaml); rc=$?
t_is "$rc" 0 "the shipped etc/stsd.yaml passes --check"
"$STSD" --check -c tests/golden/does-not-exist.yaml >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 1 "--check on a missing file exits 1"
t_like "$(cat "$T/err")" "^tests/golden/does-not-exist.yaml: error: .*No such file" \
	"a missing file is reported with its name"

# A flood of problems is counted in full but printed only up to a limit.
{
	echo "domains:"
	i=0
	while [ $i -lt 1200 ]; do
		echo "  d$i.example.com: {mode: bad, max_age: 604800, mx: mx.example.com}"
		i=$((i + 1))
	done
} >"$T/flood.yaml"
"$STSD" --check -c "$T/flood.yaml" >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 1 "a configuration with 1200 errors exits 1"
t_is "$(grep -c ': error: unknown mode' "$T/err")" 1000 "the first 1000 problems are printed"
t_like "$(cat "$T/err")" "too many problems; the rest are counted" "then one line says the rest are not"
t_is "$(tail -n 1 "$T/err")" "1200 errors, 0 warnings" "and the summary counts them all"

# Log lines carry journald priorities when stderr is the journal, which
# systemd announces with JOURNAL_STREAM=dev:inode of that stream.
: >"$T/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal") "$STSD" --check -c "$T/flood.yaml" \
	>/dev/null 2>>"$T/journal"
t_like "$(head -n 1 "$T/journal")" '^<3>.*: error: unknown mode' "stderr is the journal: errors carry <3>"
t_like "$(tail -n 1 "$T/journal")" '^<3>1200 errors' "and the summary too"
JOURNAL_STREAM=1:1 "$STSD" --check -c "$T/flood.yaml" >/dev/null 2>"$T/notjournal"
t_like "$(head -n 1 "$T/notjournal")" '^[^<].*: error: unknown mode' \
	"a JOURNAL_STREAM that is not our stderr (inherited) adds no prefix"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal") "$STSD" --check -c tests/golden/stsd.yaml \
	>/dev/null 2>"$T/journal"
t_like "$(head -n 1 "$T/journal")" '^<4>.*: warning: testing' "warnings carry <4>"

# --print-policy: the exact served bytes.
for d in example.com example.org example.net; do
	"$STSD" --print-policy "$d" -c "$conf" >"$T/$d.txt"; rc=$?
	t_is "$rc" 0 "--print-policy $d exits 0"
	t_files_equal "$T/$d.txt" "$g/$d.policy" "--print-policy $d matches the golden body"
done
"$STSD" --print-policy EXAMPLE.COM. -c "$conf" >"$T/upper.txt"
t_files_equal "$T/upper.txt" "$g/example.com.policy" "--print-policy accepts any case and a trailing dot"
"$STSD" --print-policy nowhere.example -c "$conf" >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 1 "--print-policy of an unknown domain exits 1"
t_like "$(cat "$T/err")" "nowhere.example is not a configured domain" "and says so"

# --print-dns, both formats, all domains and a selection.
"$STSD" --print-dns -c "$conf" >"$T/zone"; rc=$?
t_is "$rc" 0 "--print-dns exits 0"
t_files_equal "$T/zone" "$g/print-dns.zone" "--print-dns zone output matches the golden file"
"$STSD" --print-dns --format json -c "$conf" >"$T/json"; rc=$?
t_is "$rc" 0 "--print-dns --format json exits 0"
t_files_equal "$T/json" "$g/print-dns.json" "--print-dns json output matches the golden file"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/json"
	t_ok $? "the json output parses as JSON"
fi
"$STSD" --print-dns -c "$conf" example.org >"$T/one"; rc=$?
t_is "$rc" 0 "--print-dns DOMAIN exits 0"
t_like "$(cat "$T/one")" "^_mta-sts\.example\.org\. 3600 IN TXT \"v=STSv1; id=20261123a\"$" \
	"--print-dns DOMAIN prints that domain's TXT record"
t_unlike "$(cat "$T/one")" "example\.com" "--print-dns DOMAIN prints no other domain"
"$STSD" --print-dns -c "$conf" example.org nowhere.example >/dev/null 2>"$T/err"; rc=$?
t_is "$rc" 1 "--print-dns with an unknown domain exits 1"

# The TXT id printed is the id of the served bytes: it changes with the body.
id1=$(sed -n 's/^_mta-sts\.example\.com\. .*id=\([0-9]*\)".*/\1/p' "$T/zone")
sed 's/max_age: 604800/max_age: 604801/' "$conf" >"$T/changed.yaml"
id2=$("$STSD" --print-dns -c "$T/changed.yaml" example.com | sed -n 's/^_mta-sts.*id=\([0-9]*\)".*/\1/p')
t_ok "$([ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]; echo $?)" \
	"a one-byte change of the policy changes the id ($id1 -> $id2)"
id3=$("$STSD" --print-dns -c "$conf" example.com | sed -n 's/^_mta-sts.*id=\([0-9]*\)".*/\1/p')
t_is "$id3" "$id1" "the same configuration gives the same id again"

t_done
