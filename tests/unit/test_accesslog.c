/*
 * test_accesslog: the access log line byte for byte: the field layout, "-"
 * for missing fields, \xNN for every byte outside 0x20..0x7e and for '"'
 * and '\\' (control bytes, DEL, UTF-8), each field's length limit and its
 * "...", the cap on the whole line, the UTC timestamp against gmtime_r()
 * over four centuries, the duration, and the single write(2).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accesslog.h"
#include "accesslog_io.h"
#include "tap.h"

/* 2026-11-29T15:04:05Z */
#define WHEN 1795964645

static struct accesslog_entry entry(void)
{
	struct accesslog_entry e = {
		.when = WHEN,
		.peer = "192.0.2.1",
		.host = "mta-sts.example.com", .host_len = 19,
		.sni = NULL,
		.method = "GET",
		.target = "/.well-known/mta-sts.txt",
		.status = 200,
		.body_len = 93,
		.duration_us = 42,
		.ua = "curl/8.0", .ua_len = 8,
	};

	return e;
}

/* The line for `e` as a string (a large buffer: no cap). Static storage. */
static const char *line(const struct accesslog_entry *e)
{
	static char out[8192];
	size_t len = accesslog_format(e, out, sizeof(out) - 1);

	out[len] = '\0';
	return out;
}

static void test_layout(void)
{
	struct accesslog_entry e = entry();

	is_str(line(&e), "2026-11-29T15:04:05Z 192.0.2.1 "
	       "host=mta-sts.example.com sni=- \"GET /.well-known/mta-sts.txt\" "
	       "200 93 0.042ms \"curl/8.0\"\n", "the whole line");

	e.sni = "mta-sts.example.com";
	e.sni_len = 19;
	e.host = NULL;
	e.ua = NULL;
	e.method = "HEAD";
	e.status = 404;
	e.body_len = 0;
	e.peer = "2001:db8::1";
	is_str(line(&e), "2026-11-29T15:04:05Z 2001:db8::1 host=- "
	       "sni=mta-sts.example.com \"HEAD /.well-known/mta-sts.txt\" "
	       "404 0 0.042ms \"-\"\n", "missing host and UA: -; SNI shown");

	e = entry();
	e.host = "";
	e.host_len = 0;
	e.sni = "";
	e.ua = "";
	e.ua_len = 0;
	e.method = "";
	e.target = "";
	is_str(line(&e), "2026-11-29T15:04:05Z 192.0.2.1 host= sni= \" \" "
	       "200 93 0.042ms \"\"\n", "empty (not missing) fields stay empty");

	e = entry();
	e.host_len = 7;
	e.ua_len = 4;
	is_str(line(&e), "2026-11-29T15:04:05Z 192.0.2.1 host=mta-sts "
	       "sni=- \"GET /.well-known/mta-sts.txt\" 200 93 0.042ms "
	       "\"curl\"\n", "host and UA are their length, not to a NUL");
}

static void durations(long long us, const char *want)
{
	struct accesslog_entry e = entry();
	const char *l;

	e.duration_us = us;
	l = line(&e);
	ok(strstr(l, want) != NULL, "%lld us shows as \"%s\"", us, want);
}

static void test_numbers(void)
{
	struct accesslog_entry e = entry();

	durations(0, " 0.000ms ");
	durations(1, " 0.001ms ");
	durations(999, " 0.999ms ");
	durations(1000, " 1.000ms ");
	durations(1234567, " 1234.567ms ");
	durations(10000000000LL, " 10000000.000ms ");

	e.status = 431;
	e.body_len = SIZE_MAX;
	ok(strstr(line(&e), "\" 431 18446744073709551615 0.042ms ") != NULL,
	   "status and the largest body length");
}

/* The expected \xNN form of `s`. Static storage. */
static const char *escaped(const unsigned char *s, size_t n)
{
	static char out[4 * 300 + 1];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] <= 0x7e && s[i] != '"' && s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", s[i]);
	}
	out[o] = '\0';
	return out;
}

/* The text between "host=" and " sni=" in the line for host `h`. */
static const char *host_field(const char *h, size_t len)
{
	static char out[2048];
	struct accesslog_entry e = entry();
	const char *l, *start, *end;

	e.host = h;
	e.host_len = len;
	l = line(&e);
	start = strstr(l, " host=") + 6;
	end = strstr(start, " sni=");
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return out;
}

static void test_escaping(void)
{
	unsigned char all[256];
	struct accesslog_entry e = entry();
	char want[4096];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	e.ua = (const char *)all;
	e.ua_len = 256;             /* exactly ACCESSLOG_UA_MAX: no "..." */
	snprintf(want, sizeof(want), "0.042ms \"%s\"\n", escaped(all, 256));
	ok(strstr(line(&e), want) != NULL,
	   "every byte 0x00..0xff in the UA: printable ASCII as is, the rest "
	   "\\xNN");
	ok(strstr(line(&e), "\\x00\\x01") && strstr(line(&e), "\\x7f\\x80") &&
	   strstr(line(&e), "\\xfe\\xff\"\n") && strstr(line(&e), " !\\x22#") &&
	   strstr(line(&e), "[\\x5c]") && strstr(line(&e), "}~\\x7f"),
	   "spot checks: NUL, DEL, 0xff, '\"' as \\x22, '\\\\' as \\x5c, "
	   "lowercase hex");

	is_str(host_field("a\nb", 3), "a\\x0ab", "LF escaped");
	is_str(host_field("a\r\nb", 4), "a\\x0d\\x0ab", "CRLF escaped");
	is_str(host_field("\t", 1), "\\x09", "tab escaped");
	is_str(host_field("a\0b", 3), "a\\x00b", "NUL inside the length kept");
	is_str(host_field("\x1b[31m", 5), "\\x1b[31m", "ESC escaped");
	is_str(host_field(" ~", 2), " ~", "0x20 and 0x7e as they are");
	is_str(host_field("\x1f\x7f", 2), "\\x1f\\x7f", "0x1f and 0x7f escaped");
	is_str(host_field("\xc3\xa9t\xc3\xa9", 5), "\\xc3\\xa9t\\xc3\\xa9",
	       "UTF-8 bytes escaped one by one");
	is_str(host_field("\"x\" \\y", 6), "\\x22x\\x22 \\x5cy",
	       "quote and backslash escaped");

	/* The method, the target and the SNI get the same treatment. */
	e = entry();
	e.method = "G\"T";
	e.target = "/a b\x01";
	e.sni = "s\\n";
	e.sni_len = 3;
	is_str(line(&e), "2026-11-29T15:04:05Z 192.0.2.1 "
	       "host=mta-sts.example.com sni=s\\x5cn \"G\\x22T /a b\\x01\" "
	       "200 93 0.042ms \"curl/8.0\"\n",
	       "method, target and SNI escaped");
}

/* The client fields, with the text around each in the line. */
enum field { F_HOST, F_SNI, F_METHOD, F_TARGET, F_UA };

static const struct {
	const char *name, *before, *after;
	size_t max;
} fields[] = {
	[F_HOST] = { "host", " host=", " sni=", ACCESSLOG_HOST_MAX },
	[F_SNI] = { "sni", " sni=", " \"", ACCESSLOG_SNI_MAX },
	[F_METHOD] = { "method", " \"", " /", ACCESSLOG_METHOD_MAX },
	[F_TARGET] = { "target", "GET ", "\" 200", ACCESSLOG_TARGET_MAX },
	[F_UA] = { "ua", "ms \"", "\"\n", ACCESSLOG_UA_MAX },
};

/* Sets field `f` to the `n` bytes at `v` (NUL-terminated at n). */
static void set_field(struct accesslog_entry *e, enum field f, const char *v,
                      size_t n)
{
	switch (f) {
	case F_HOST: e->host = v; e->host_len = n; break;
	case F_SNI: e->sni = v; e->sni_len = n; break;
	case F_METHOD: e->method = v; break;
	case F_TARGET: e->target = v; break;
	case F_UA: e->ua = v; e->ua_len = n; break;
	}
}

/* Field `f` of max - 1, max and max + 1 copies of `ch`: all shown up to the
 * limit, then cut, with "..." after. */
static void limit(enum field f, unsigned char ch)
{
	size_t max = fields[f].max;
	char *v = malloc(max + 2);
	char want[4 * 300 + 64];

	if (v == NULL)
		abort();
	for (size_t n = max - 1; n <= max + 1; n++) {
		struct accesslog_entry e = entry();
		size_t shown = n > max ? max : n;

		memset(v, ch, n);
		v[n] = '\0';
		set_field(&e, f, v, n);
		snprintf(want, sizeof(want), "%s%s%s%s", fields[f].before,
		         escaped((const unsigned char *)v, shown),
		         n > max ? "..." : "", fields[f].after);
		ok(strstr(line(&e), want) != NULL, "%s of %zu bytes 0x%02x "
		   "(limit %zu): %zu shown%s", fields[f].name, n, ch, max,
		   shown, n > max ? ", then ..." : "");
	}
	free(v);
}

static void test_limits(void)
{
	for (int f = F_HOST; f <= F_UA; f++) {
		limit((enum field)f, 'x');
		limit((enum field)f, 0xff);
	}
	is_int(ACCESSLOG_HOST_MAX, 128, "host limit 128");
	is_int(ACCESSLOG_SNI_MAX, 128, "SNI limit 128");
	is_int(ACCESSLOG_METHOD_MAX, 16, "method limit 16");
	is_int(ACCESSLOG_TARGET_MAX, 256, "target limit 256");
	is_int(ACCESSLOG_UA_MAX, 256, "UA limit 256");
}

/* Every field at its limit, every byte escaped: the line overflows. */
static void test_line_cap(void)
{
	enum { HOSTILE = 10240 };
	char *big = malloc(HOSTILE + 1);
	char full[8192], capped[ACCESSLOG_LINE_MAX + 16], small[8];
	struct accesslog_entry e = entry();
	size_t full_len, len;

	if (big == NULL)
		abort();
	memset(big, 0xff, HOSTILE);
	big[HOSTILE] = '\0';
	e.host = e.sni = e.ua = big;
	e.host_len = e.sni_len = e.ua_len = HOSTILE;
	e.method = e.target = big;
	full_len = accesslog_format(&e, full, sizeof(full));
	ok(full_len > ACCESSLOG_LINE_MAX && full_len < sizeof(full),
	   "10 KB hostile fields: the uncapped line is %zu bytes", full_len);
	memset(capped, '#', sizeof(capped));
	len = accesslog_format(&e, capped, ACCESSLOG_LINE_MAX);
	is_int(len, ACCESSLOG_LINE_MAX, "capped at ACCESSLOG_LINE_MAX bytes");
	is_int(capped[len - 1], '\n', "a capped line still ends in a newline");
	is_mem(capped, len - 1, full, len - 1,
	       "a capped line is the start of the whole one");
	is_int(capped[len], '#', "nothing written past the cap");
	ok(memchr(capped, '\n', len - 1) == NULL, "one line: no other newline");

	e = entry();
	is_int(accesslog_format(&e, small, 0), 0, "size 0: nothing");
	memset(small, '#', sizeof(small));
	is_int(accesslog_format(&e, small, 1), 1, "size 1: one byte");
	is_int(small[0], '\n', "size 1: just the newline");
	is_int(small[1], '#', "size 1: nothing past it");
	is_int(accesslog_format(&e, small, 6), 6, "size 6: six bytes");
	is_mem(small, 6, "2026-\n", 6, "size 6: five bytes and the newline");
	free(big);
}

/* The timestamp against gmtime_r() + strftime(). */
static int utc_matches(time_t t)
{
	struct accesslog_entry e = entry();
	char want[64];
	struct tm tm;
	const char *l;

	e.when = t;
	l = line(&e);
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	/* Not strftime: its %Y does not pad years below 1000. */
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	return strncmp(l, want, strlen(want)) == 0;
}

static void test_utc(void)
{
	static const struct {
		time_t t;
		const char *want;
	} fixed[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 59, "1970-01-01T00:00:59Z" },
		{ 86399, "1970-01-01T23:59:59Z" },
		{ 86400, "1970-01-02T00:00:00Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
		{ -86401, "1969-12-30T23:59:59Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 951868800, "2000-03-01T00:00:00Z" },
		{ 1709164800, "2024-02-29T00:00:00Z" },
		{ 2147483647, "2038-01-19T03:14:07Z" },
		{ 2147483648LL, "2038-01-19T03:14:08Z" },
		{ 4107456000LL, "2100-02-28T00:00:00Z" },
		{ 4107542400LL, "2100-03-01T00:00:00Z" },
		{ -2208988800LL, "1900-01-01T00:00:00Z" },
		{ -62167219200LL, "0000-01-01T00:00:00Z" },
		{ 253402300799LL, "9999-12-31T23:59:59Z" },
		{ WHEN, "2026-11-29T15:04:05Z" },
	};
	static const long long edges[] = {
		0, 951782400LL, 951868800LL, 4107542400LL,
	};
	unsigned bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct accesslog_entry e = entry();

		e.when = fixed[i].t;
		ok(strncmp(line(&e), fixed[i].want, 20) == 0 &&
		   line(&e)[20] == ' ', "%lld is %s", (long long)fixed[i].t,
		   fixed[i].want);
	}
	/* Year 0 to 9999, a step that is no multiple of a day, an hour or a
	 * minute, so every field takes many values. */
	for (long long t = -62167219200LL; t <= 253402300799LL;
	     t += 86400LL * 29 + 3600 * 5 + 60 * 7 + 11) {
		n++;
		if (!utc_matches((time_t)t) && bad++ < 5)
			printf("# %lld differs from gmtime_r\n", t);
	}
	is_int(bad, 0, "%u timestamps from year 0 to 9999 agree with gmtime_r",
	       n);
	bad = 0;
	/* Every second of an hour either side of day changes that matter. */
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (long long t = edges[i] - 3600; t < edges[i] + 3600; t++)
			if (!utc_matches((time_t)t) && bad++ < 5)
				printf("# %lld differs from gmtime_r\n", t);
	is_int(bad, 0, "every second around the epoch, 2000-02-29, "
	       "2000-03-01 and 2100-03-01 agrees with gmtime_r");
}

/* A log write that fails (a bad descriptor, one not open for writing) is
 * dropped: the call returns, and nothing goes anywhere else instead (not to
 * stdout or stderr). Run in a child, so that a crash or an abort is a failed
 * check here rather than the end of the test program. */
static void test_write_bad_fd(const struct accesslog_entry *e)
{
	int out[2], status = 0;
	char buf[256];
	ssize_t n;
	pid_t pid;
	bool reaped;

	if (pipe(out) != 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int rd[2];

		if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0 || pipe(rd) != 0)
			_exit(3);
		accesslog_write(-1, e);
		accesslog_write(rd[0], e);      /* open, but only for reading */
		_exit(0);
	}
	close(out[1]);
	n = read(out[0], buf, sizeof(buf));
	close(out[0]);
	reaped = waitpid(pid, &status, 0) == pid;
	ok(reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a bad fd: accesslog_write returns (status %#x)", (unsigned)status);
	is_int(n, 0, "a bad fd: nothing is written to stdout or stderr instead");
}

static void test_write(void)
{
	struct accesslog_entry e = entry();
	char want[ACCESSLOG_LINE_MAX], got[ACCESSLOG_LINE_MAX * 2];
	char *big = malloc(1000);
	size_t want_len;
	ssize_t n;
	int fds[2];

	if (big == NULL || pipe(fds) != 0)
		abort();
	want_len = accesslog_format(&e, want, sizeof(want));
	accesslog_write(fds[1], &e);
	n = read(fds[0], got, sizeof(got));
	is_mem(got, n > 0 ? (size_t)n : 0, want, want_len,
	       "accesslog_write: the formatted line, in one read");

	memset(big, '\\', 999);
	big[999] = '\0';
	e.target = big;
	e.ua = big;
	e.ua_len = 999;
	accesslog_write(fds[1], &e);
	n = read(fds[0], got, sizeof(got));
	is_int(n, ACCESSLOG_LINE_MAX, "a capped line: one write of 1024 bytes");
	is_int(n > 0 ? got[n - 1] : 0, '\n', "a capped line ends in newline");
	close(fds[0]);
	close(fds[1]);

	test_write_bad_fd(&e);
	free(big);
}

int main(void)
{
	test_layout();
	test_numbers();
	test_escaping();
	test_limits();
	test_line_cap();
	test_utc();
	test_write();
	return tap_done();
}
