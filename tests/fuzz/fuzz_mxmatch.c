/*
 * fuzz_mxmatch: RFC 8461 section 4.1 matching (mxmatch.c).
 *
 * Input: line 1 a pattern, the other lines MX hosts. Invariants: matching
 * ignores ASCII case and one trailing dot on the host; a pattern with a
 * trailing dot matches nothing; a wildcard match means the host has
 * exactly one more label, non-empty, than the pattern's suffix; a pattern
 * that mx_pattern_check accepts matches itself (and, when it has no '*',
 * is matched exactly); mx_check reports one mx.covered per host.
 */
#include "config.h"

#include <ctype.h>

#include "fuzz_report.h"
#include "mxmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *upper(const char *s)
{
	size_t i, n = strlen(s);
	char *u = fuzz_xmalloc(n + 1);

	for (i = 0; i <= n; i++)
		u[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_lines l;
	struct check_report r;
	const char *pat;
	const char *hosts[32];
	size_t i, nh = 0, pl;

	fuzz_lines_split(&l, data, size);
	pat = l.line[0];
	pl = strlen(pat);
	if (mx_pattern_check(pat, pl) == NULL) {
		CHECK(pl > 0 && pat[pl - 1] != '.');
		if (pat[0] != '*')
			CHECK(mx_match(pat, pat));
	}
	for (i = 1; i < l.n; i++) {
		const char *h = l.line[i];
		char *uh = upper(h), *up = upper(pat);
		bool m = mx_match(pat, h);
		size_t hl = strlen(h);

		CHECK(m == mx_match(up, uh));
		if (m) {
			CHECK(pl == 0 || pat[pl - 1] != '.');
			if (pat[0] == '*' && pat[1] == '.') {
				const char *dot = strchr(h, '.');

				CHECK(dot && dot != h);
				CHECK(strncasecmp(dot + 1, pat + 2, pl - 2) == 0);
			} else {
				CHECK(hl == pl || (hl == pl + 1 && h[pl] == '.'));
			}
		}
		if (hl && h[hl - 1] != '.' && hl < 600) {
			char dotted[602];

			snprintf(dotted, sizeof(dotted), "%s.", h);
			CHECK(m == mx_match(pat, dotted));
		}
		free(uh);
		free(up);
		if (nh < 32)
			hosts[nh++] = h;
	}
	if (check_report_init(&r, "example.com") != 0)
		abort();
	mx_check(&pat, 1, hosts, nh, MX_MODE_ENFORCE, &r, NULL);
	CHECK(check_count(&r, "mx.covered", CHECK_OK) +
	      check_count(&r, "mx.covered", CHECK_ERROR) == nh);
	fuzz_report_check(&r);
	check_report_clear(&r);
	fuzz_lines_free(&l);
	return 0;
}
