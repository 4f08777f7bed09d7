#!/bin/sh
# The whole test suite, from a fresh clone on Debian 12:
#   tests/run-all.sh
# installs the build and test dependencies (sudo when not root), then builds
# and runs `make check` three ways: a -Werror build, an ASan+UBSan build, and
# the daemon tests again under valgrind memcheck; then `make distcheck` and
# the clang static analyzer (scan-build) over the daemon's build.
# The last line is "N passed, N failed[, N skipped]"; the exit status is
# non-zero when anything failed.
#
# STSD_QUICK=1 runs only the first build (for a fast local loop).
#
# Every build is out of tree, under build/. In a checkout configured in place
# (./configure run there by hand) they build from a clean copy of the sources
# (contrib/srcdir.sh), so the developer's own build is left as it is.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

contrib/deps.sh test || { echo "0 passed, 1 failed"; exit 1; }
src=$(contrib/srcdir.sh) || { echo "FAILED: autoreconf"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0

# count BUILDDIR: adds the TAP totals of that build's test-suite.log.
count() {
	log=$1/test-suite.log
	if [ ! -f "$log" ]; then
		failed=$((failed + 1))
		return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$log")
	f=$(sed -n 's/^# FAIL: *//p' "$log")
	e=$(sed -n 's/^# ERROR: *//p' "$log")
	x=$(sed -n 's/^# XPASS: *//p' "$log")
	s=$(sed -n 's/^# SKIP: *//p' "$log")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
}

# step NAME COMMAND...: a build step that counts as one test.
step() {
	name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $name"
		failed=$((failed + 1))
		return 1
	fi
}

# suite DIR CONFIGURE-ARGS... : configure and build in DIR, run make check
# (only the tests in $SUITE_TESTS when that is set).
suite() {
	dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	step "build $dir" sh -c "cd '$dir' && '$src/configure' -q $* && make -s -j$jobs" || return
	echo "=== check $dir"
	if [ -n "${SUITE_TESTS:-}" ]; then
		(cd "$dir" && make -s -j"$jobs" check TESTS="$SUITE_TESTS") || true
	else
		(cd "$dir" && make -s -j"$jobs" check) || true
	fi
	count "$dir"
}

# scan: the clang static analyzer over a build of the daemon (no tests, no
# sanitizers); any report fails the step, and is kept in build/scan-build/report.
scan() {
	rm -rf build/scan-build
	mkdir -p build/scan-build
	(cd build/scan-build && scan-build "$src/configure" -q >/dev/null &&
		scan-build --status-bugs -o report make -s -j"$jobs")
}

suite build/werror --enable-werror
if [ -z "${STSD_QUICK:-}" ]; then
	suite build/sanitizers --enable-werror --enable-sanitizers
	# The daemon under valgrind: only the tests that start stsd honour
	# STSD_WRAPPER; unit tests are covered by the sanitizer build.
	STSD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no"
	export STSD_WRAPPER
	suite build/valgrind --enable-werror
	unset STSD_WRAPPER
	# libsystemd is optional: build without it and run the tests that
	# start the daemon under a service manager or need its notifications.
	SUITE_TESTS="tests/cli.sh tests/integration/http.sh tests/integration/systemd.sh"
	suite build/no-systemd --enable-werror --with-systemd=no
	SUITE_TESTS=
	step distcheck sh -c "cd build/werror && make -s -j$jobs distcheck >/dev/null"
	step scan-build scan
fi

# Each failed check with the diagnostics that follow it (at most 8 lines),
# so that a CI log says why; known failures ("# TODO") are not repeated.
for d in build/*/; do
	[ -f "$d/test-suite.log" ] || continue
	for log in "$d"/tests/*.log "$d"/tests/*/*.log; do
		[ -f "$log" ] || continue
		# The TAP driver writes its own result line (FAIL:, PASS: ...)
		# between a check and its diagnostics: skipped, not a reset.
		awk -v f="$log" '
			/^not ok/ && !/# TODO/ { print f ": " $0; n = 8; next }
			/^(ERROR|XPASS):/ { print f ": " $0; n = 0; next }
			/^(PASS|FAIL|XFAIL|SKIP):/ { next }
			/^#/ && n > 0 { print f ": " $0; n--; next }
			{ n = 0 }' "$log"
	done
done | head -100
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
