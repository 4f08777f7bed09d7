#!/bin/sh
# smoke.sh: a short run of every libFuzzer harness, for CI (TAP).
#
# Builds the harnesses with tests/fuzz/Makefile.fuzz (clang,
# -fsanitize=fuzzer,address,undefined), then for each one: replays every
# file in tests/fuzz/regressions/HARNESS/ (crashers found and fixed) and
# fuzzes for FUZZ_SMOKE_SECONDS (10) from a copy of its seed corpus. One TAP
# result per harness; a failure shows the end of the fuzzer's output and
# keeps the crashing input in the test's directory (T_KEEP=1 keeps it).
#
# Skipped when clang cannot link -fsanitize=fuzzer, when the libidn2 or
# libyaml development files are missing, and under STSD_WRAPPER (the
# valgrind pass of tests/run-all.sh: the harnesses carry their own
# sanitizers, one run is enough).
. "$top_srcdir/tests/lib/common.sh"

: "${FUZZ_SMOKE_SECONDS:=10}"
harnesses="fuzz_conf fuzz_policy fuzz_host fuzz_dnsrec fuzz_forward
	fuzz_gunzip fuzz_mime fuzz_tlsrpt fuzz_tlsrpt_summary fuzz_acme_msg
	fuzz_acme_chain fuzz_sts_txt fuzz_sts_body fuzz_mxmatch fuzz_smtp_reply
	fuzz_wire"
fuzzdir=$top_srcdir/tests/fuzz

[ -z "$STSD_WRAPPER" ] || t_skip_all "not under STSD_WRAPPER ($STSD_WRAPPER)"

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang clang-14 clang-15 clang-16; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
[ -n "$cc" ] || t_skip_all "clang is not installed"
command -v pkg-config >/dev/null 2>&1 || t_skip_all "pkg-config is not installed"
pkg-config --exists libidn2 jansson zlib yaml-0.1 sqlite3 gnutls libcurl ||
	t_skip_all "development files are missing (libidn2 jansson zlib yaml-0.1 sqlite3 gnutls libcurl)"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$T/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" \
	>"$T/probe.log" 2>&1 ||
	t_skip_all "$cc cannot link -fsanitize=fuzzer,address,undefined"

# A sub-make must not inherit the jobserver of `make check`.
unset MAKEFLAGS MFLAGS MAKELEVEL
# Where fuzz_conf makes its private directory (left behind by a crash).
mkdir -p "$T/tmp"
top_builddir=$(cd "$top_builddir" && pwd)
out=$top_builddir/tests/fuzz

dict_of() {
	case $1 in
	fuzz_conf) echo "$fuzzdir/yaml.dict" ;;
	fuzz_tlsrpt | fuzz_tlsrpt_summary) echo "$fuzzdir/tlsrpt.dict" ;;
	fuzz_acme_msg | fuzz_acme_chain) echo "$fuzzdir/acme.dict" ;;
	fuzz_gunzip | fuzz_mime) ;;
	*) echo "$fuzzdir/names.dict" ;;
	esac
}

# smoke HARNESS: build, replay, fuzz; status 0 when all three pass. The
# output of the failing step is in $T/HARNESS.log.
smoke() {
	h=$1
	log=$T/$h.log
	if ! ${MAKE:-make} -f "$fuzzdir/Makefile.fuzz" srcdir="$top_srcdir" \
		builddir="$top_builddir" FUZZ_CC="$cc" "$out/$h" >"$log" 2>&1; then
		echo "build failed" >>"$log"
		return 1
	fi

	regressions=$(find "$fuzzdir/regressions/$h" -type f 2>/dev/null | sort)
	if [ -n "$regressions" ]; then
		# shellcheck disable=SC2086 # one argument per file (no spaces)
		if ! TMPDIR=$T/tmp "$out/$h" -timeout=10 -rss_limit_mb=2048 $regressions \
			>"$log" 2>&1; then
			echo "a regression input fails again" >>"$log"
			return 1
		fi
	fi

	mkdir -p "$T/corpus/$h" "$T/artifacts/$h"
	cp "$fuzzdir/corpus/$h/"* "$T/corpus/$h/" 2>/dev/null || :
	if [ "$h" = fuzz_conf ]; then
		find "$top_srcdir/tests/conf" -name '*.yaml' -type f 2>/dev/null |
		while read -r f; do
			cp "$f" "$T/corpus/$h/seed$(echo "$f" | tr / _)"
		done
	fi
	dict=$(dict_of "$h")
	TMPDIR=$T/tmp "$out/$h" -timeout=10 -rss_limit_mb=2048 \
		-max_total_time="$FUZZ_SMOKE_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$T/artifacts/$h/" ${dict:+-dict="$dict"} \
		"$T/corpus/$h" >"$log" 2>&1
}

for h in $harnesses; do
	if smoke "$h"; then
		t_ok 0 "$h: builds, replays its regressions, fuzzes for ${FUZZ_SMOKE_SECONDS} s"
		t_diag "$(grep -E '^#[0-9]+.*DONE' "$T/$h.log" | tail -n 1)"
	else
		t_ok 1 "$h: builds, replays its regressions, fuzzes for ${FUZZ_SMOKE_SECONDS} s"
		t_diag "$(grep -v '^INFO:' "$T/$h.log" | tail -n 40)"
		for a in "$T/artifacts/$h/"*; do
			[ -f "$a" ] || continue
			t_diag "crash input $a (base64):" "$(base64 -w0 "$a")"
		done
	fi
done

t_done
