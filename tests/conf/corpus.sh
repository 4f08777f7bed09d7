#!/bin/sh
# The configuration corpus: every tests/conf/good/*.yaml must pass
# `stsd --check` (exit 0, "configuration OK"), and every tests/conf/bad/*.yaml
# must fail (exit 1) with exactly the diagnostics in its .expect file. A good
# file may have a .expect file too (its warnings).
#
# Only stderr lines that start with the file's directory are compared: the
# summary line ("N errors, M warnings") is diag_summary()'s, not the
# loader's. Cases too big to commit (or needing special files) are made in
# $T at test time: the 64000/64001-byte policy bodies, 100 000-deep nesting,
# an alias bomb, include depth, unreadable and special files.
#
# Environment: STSD (the binary), top_srcdir. Output: TAP.
. "$top_srcdir/tests/lib/common.sh"

cd "$top_srcdir" || t_bail "no source dir $top_srcdir"
[ -x "$STSD" ] || t_bail "no stsd binary at $STSD"

# run FILE: runs --check; sets rc, and leaves stdout in $T/out and stderr in
# $T/err.
run() {
	rc=0
	"$STSD" --check -c "$1" >"$T/out" 2>"$T/err" || rc=$?
}

# diag_lines PREFIX: the diagnostics of files under PREFIX, from $T/err.
diag_lines() {
	awk -v p="$1" 'index($0, p) == 1' "$T/err" >"$T/got"
}

# compare EXPECT-FILE DESCRIPTION: $T/got against EXPECT-FILE.
compare() {
	if cmp -s "$1" "$T/got"; then
		t_ok 0 "$2"
	else
		t_ok 1 "$2"
		diff -u "$1" "$T/got" | sed 's/^/#   /'
	fi
}

# ---- the committed corpus ------------------------------------------------

for f in tests/conf/good/*.yaml; do
	run "$f"
	t_is "$rc:$(cat "$T/out")" "0:configuration OK" "$f passes"
	if [ "$rc" -ne 0 ]; then
		sed 's/^/#   /' "$T/err"
	fi
	want=${f%.yaml}.expect
	if [ -f "$want" ]; then
		diag_lines tests/conf/
		compare "$want" "$f: warnings as expected"
	else
		t_is "$(cat "$T/err")" "" "$f: no diagnostics"
	fi
done

for f in tests/conf/bad/*.yaml; do
	run "$f"
	t_is "$rc" 1 "$f fails with status 1"
	diag_lines tests/conf/
	compare "${f%.yaml}.expect" "$f: diagnostics as expected"
done

# ---- cases made at test time ----------------------------------------------

# A file that does not exist: reported with its name and no line.
run tests/conf/bad/does-not-exist.yaml
t_is "$rc" 1 "a missing main file fails"
t_is "$(cat "$T/err" | head -n 1)" \
	'tests/conf/bad/does-not-exist.yaml: error: cannot read "tests/conf/bad/does-not-exist.yaml": No such file or directory' \
	"a missing main file is reported without a line number"

# Bodies of exactly 64000 and 64001 bytes. A body is 16 ("version") + 15
# ("mode: enforce") + 17 ("max_age: 604800") bytes, plus len + 6 per mx:
# 2557 names of 19 characters and one of 21 make 64000 bytes.
body_conf() {  # body_conf FILE LAST-MX
	{
		printf 'domains:\n  example.com:\n    mode: enforce\n'
		printf '    max_age: 604800\n    mx:\n'
		awk 'BEGIN { for (i = 0; i < 2557; i++)
			printf "      - mx%05d.example.com\n", i }'
		printf '      - %s\n' "$2"
	} >"$1"
}
body_conf "$T/body-64000.yaml" mx0000000.example.com
run "$T/body-64000.yaml"
t_is "$rc:$(cat "$T/out")" "0:configuration OK" "a 64000-byte body is accepted"
diag_lines "$T/"
t_is "$(cat "$T/got")" \
	"$T/body-64000.yaml:2:3: warning: policy body is 64000 bytes; some senders truncate bodies over 10240 bytes" \
	"a 64000-byte body gets the size warning"
if [ "$rc" -eq 0 ]; then
	"$STSD" --print-policy example.com -c "$T/body-64000.yaml" >"$T/body" 2>/dev/null
	t_is "$(wc -c <"$T/body" | tr -d ' ')" 64000 "the served body is 64000 bytes"
fi
body_conf "$T/body-64001.yaml" mx00000000.example.com
run "$T/body-64001.yaml"
t_is "$rc" 1 "a 64001-byte body is refused"
diag_lines "$T/"
t_is "$(cat "$T/got")" \
	"$T/body-64001.yaml:2:3: error: policy body of example.com is 64001 bytes, over the limit of 64000" \
	"a 64001-byte body is reported at its domain"

# 100 000 levels of nesting: libyaml alone takes ~25 s on this (quadratic in
# the depth), so the loader must stop early. The 10 s bound only catches
# that regression; a normal run takes milliseconds.
awk 'BEGIN { printf "domains: "; for (i = 0; i < 100000; i++) printf "[";
	for (i = 0; i < 100000; i++) printf "]"; printf "\n" }' >"$T/deep.yaml"
start=$(date +%s)
run "$T/deep.yaml"
end=$(date +%s)
t_is "$rc" 1 "100000-deep nesting fails"
diag_lines "$T/"
t_is "$(cat "$T/got")" \
	"$T/deep.yaml:1:73: error: nesting is deeper than 64 levels" \
	"deep nesting is reported where it passes the limit"
t_ok "$([ $((end - start)) -le 10 ] && echo 0 || echo 1)" \
	"deep nesting is refused quickly ($((end - start)) s)"

# An alias bomb that the schema walk does expand: 2200 domains share one
# mapping whose mx list has 500 patterns (a 7048-byte body each, no
# warning): 1.1 million visits from 2700 lines. Exactly one error, then the
# rest of the file is ignored.
{
	printf 'defaults:\n  mode: enforce\n  max_age: 604800\ndomains:\n'
	printf '  d0.example: &d\n    mx:\n'
	awk 'BEGIN { for (i = 0; i < 500; i++) printf "      - m%03d.ex\n", i }'
	awk 'BEGIN { for (i = 1; i < 2200; i++) printf "  d%d.example: *d\n", i }'
} >"$T/bomb.yaml"
start=$(date +%s)
run "$T/bomb.yaml"
end=$(date +%s)
t_is "$rc" 1 "an alias bomb fails"
diag_lines "$T/"
t_is "$(wc -l <"$T/got" | tr -d ' ')" 1 "an alias bomb gives exactly one diagnostic"
t_like "$(cat "$T/got")" \
	"^$T/bomb.yaml:[0-9]+:[0-9]+: error: aliases expand to more than 1000000 nodes; the rest of this file is ignored\$" \
	"an alias bomb is reported as such"
t_ok "$([ $((end - start)) -le 10 ] && echo 0 || echo 1)" \
	"an alias bomb is refused quickly ($((end - start)) s)"

# Include depth: the main file and 16 nested includes are fine, a 17th
# nested include is refused at the include that names it.
chain() {  # chain DIR N: DIR/f0.yaml includes f1.yaml ... f(N-1).yaml
	mkdir -p "$1"
	i=0
	while [ $i -lt "$2" ]; do
		{
			printf 'domains:\n  d%d.example:\n    mode: enforce\n' $i
			printf '    max_age: 604800\n    mx: mx.example.net\n'
			[ $((i + 1)) -lt "$2" ] && printf 'include: f%d.yaml\n' $((i + 1))
		} >"$1/f$i.yaml"
		i=$((i + 1))
	done
}
chain "$T/depth17" 17
run "$T/depth17/f0.yaml"
t_is "$rc:$(cat "$T/out")" "0:configuration OK" "16 nested includes are fine"
chain "$T/depth18" 18
run "$T/depth18/f0.yaml"
t_is "$rc" 1 "17 nested includes fail"
diag_lines "$T/"
t_is "$(cat "$T/got")" \
	"$T/depth18/f16.yaml:6:10: error: includes are nested more than 16 deep" \
	"the include past the depth limit is reported"

# Special files are refused, not read: a FIFO would block forever.
if command -v mkfifo >/dev/null 2>&1 && mkfifo "$T/fifo.yaml"; then
	printf 'include: fifo.yaml\ndomains: {example.com: {mode: none, max_age: 86400, mx: mx.example.net}}\n' \
		>"$T/special.yaml"
	run "$T/special.yaml"
	t_is "$rc" 1 "including a FIFO fails (and does not hang)"
	diag_lines "$T/"
	t_is "$(cat "$T/got")" \
		"$T/special.yaml:1:10: error: cannot read \"$T/fifo.yaml\": not a regular file" \
		"a FIFO is reported as not a regular file"
else
	t_skip "including a FIFO" "no mkfifo"
fi

# Unreadable files (root reads everything: skipped then).
cp tests/conf/good/minimal.yaml "$T/locked.yaml"
chmod 000 "$T/locked.yaml"
if [ -r "$T/locked.yaml" ]; then
	t_skip "an unreadable main file" "running as root"
	t_skip "an unreadable included file" "running as root"
else
	run "$T/locked.yaml"
	diag_lines "$T/"
	t_is "$rc:$(cat "$T/got")" \
		"1:$T/locked.yaml: error: cannot read \"$T/locked.yaml\": Permission denied" \
		"an unreadable main file is reported without a line"
	printf 'include: locked.yaml\n' >"$T/inc-locked.yaml"
	run "$T/inc-locked.yaml"
	diag_lines "$T/"
	t_is "$rc:$(cat "$T/got")" \
		"1:$T/inc-locked.yaml:1:10: error: cannot read \"$T/locked.yaml\": Permission denied" \
		"an unreadable included file is reported at its include"
fi

t_done
