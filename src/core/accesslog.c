/*
 * accesslog: the access log line (see accesslog.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"

/* A bounded line being built; appends truncate silently, keeping one byte
 * for the final '\n'. */
struct line {
	char *p;
	size_t len, room;           /* room: bytes usable before the '\n' */
};

static void line_add(struct line *l, const char *s, size_t n)
{
	size_t left = l->room - l->len;

	if (n > left)
		n = left;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void line_adds(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void line_addf(struct line *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_add(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static int is_plain(unsigned char ch)
{
	return ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\';
}

/* Client-supplied bytes: at most `max` of them, anything not is_plain()
 * written as \xNN, "..." after a cut; "-" for none. */
static void line_add_client(struct line *l, const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";

	if (s == NULL) {
		line_adds(l, "-");
		return;
	}
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (is_plain(ch)) {
			line_add(l, (const char *)&ch, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };

			line_add(l, esc, 4);
		}
	}
	if (n > max)
		line_adds(l, "...");
}

/* "2026-11-29T15:04:05Z" without gmtime_r (which takes glibc's tz lock). */
static void line_add_utc(struct line *l, time_t t)
{
	long long days = (long long)t / 86400, secs = (long long)t % 86400;
	long long era, doe, yoe, doy, mp, y, m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Howard Hinnant's civil_from_days. */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	line_addf(l, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d,
	          secs / 3600, secs / 60 % 60, secs % 60);
}

size_t accesslog_format(const struct accesslog_entry *e, char *out,
                        size_t size)
{
	struct line l = { .p = out, .len = 0, .room = size ? size - 1 : 0 };
	long long us = e->duration_us;

	if (size == 0)
		return 0;
	line_add_utc(&l, e->when);
	line_adds(&l, " ");
	line_adds(&l, e->peer);
	line_adds(&l, " host=");
	line_add_client(&l, e->host, e->host_len, ACCESSLOG_HOST_MAX);
	line_adds(&l, " sni=");
	line_add_client(&l, e->sni, e->sni_len, ACCESSLOG_SNI_MAX);
	line_adds(&l, " \"");
	line_add_client(&l, e->method, strlen(e->method), ACCESSLOG_METHOD_MAX);
	line_adds(&l, " ");
	line_add_client(&l, e->target, strlen(e->target), ACCESSLOG_TARGET_MAX);
	line_addf(&l, "\" %u %zu %lld.%03lldms \"", e->status, e->body_len,
	          us / 1000, us % 1000);
	line_add_client(&l, e->ua, e->ua_len, ACCESSLOG_UA_MAX);
	line_adds(&l, "\"");
	l.p[l.len++] = '\n';
	return l.len;
}
