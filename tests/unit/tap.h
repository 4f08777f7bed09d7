/*
 * tap.h: a tiny Test Anything Protocol producer for the C unit tests.
 * Each check prints "ok N - name" or "not ok N - name" plus a diagnostic;
 * tap_done() prints the plan and returns the exit status.
 */
#ifndef STSD_TAP_H
#define STSD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tap_count, tap_failures;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failures++;
	printf("%sok %u - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Strings: NULL compares equal only to NULL. */
#define is_str(got, want, ...) do {                                        \
	const char *g_ = (got), *w_ = (want);                              \
	int p_ = (g_ == NULL || w_ == NULL) ? g_ == w_ : strcmp(g_, w_) == 0; \
	if (!tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__))                   \
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n",               \
		       g_ ? g_ : "(null)", w_ ? w_ : "(null)");             \
} while (0)

#define is_int(got, want, ...) do {                                        \
	long long g_ = (long long)(got), w_ = (long long)(want);            \
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))             \
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);         \
} while (0)

/* Byte strings of known length (bodies with CRLF). */
#define is_mem(got, got_len, want, want_len, ...) do {                     \
	size_t gl_ = (got_len), wl_ = (want_len);                           \
	int p_ = gl_ == wl_ && memcmp((got), (want), gl_) == 0;             \
	if (!tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__))                   \
		printf("#   lengths: got %zu, want %zu\n", gl_, wl_);       \
} while (0)

/* A new private directory "$TMPDIR/NAME.XXXXXX" (TMPDIR defaults to
 * /tmp): a static buffer, overwritten by the next call. Aborts on failure. */
__attribute__((unused))
static char *tap_mkdtemp(const char *name)
{
	static char path[4096];
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp",
	         name);
	if (mkdtemp(path) == NULL) {
		perror(path);
		abort();
	}
	return path;
}

static int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif
