/*
 * mxmatch: RFC 8461 section 4.1 matching, and the coverage report.
 * Quadratic in patterns x hosts, both capped by the callers (a policy body
 * of 64 KiB holds at most a few thousand patterns; MX answers are capped by
 * the DNS client), so the product stays small.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mxmatch.h"

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

const char *mx_pattern_check(const char *p, size_t len)
{
	size_t i, label = 0, labels = 1;
	bool all_digits = true;

	if (len == 0)
		return "the mx value is empty";
	if (len >= 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		len -= 2;
		if (len == 0)
			return "\"*.\" must be followed by a domain";
	}
	if (p[len - 1] == '.')
		return "a trailing dot (write the name without it; mailauth "
		       "refuses it and other senders never match it)";
	if (len > MX_NAME_MAX)
		return "the name is longer than 253 characters";
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '.') {
			if (label == 0)
				return "an empty label (\"..\" or a leading dot)";
			if (p[i - 1] == '-')
				return "a label ends with '-'";
			labels++;
			label = 0;
			continue;
		}
		if (c == '*')
			return "'*' is allowed only as \"*.\" at the start";
		if (!is_ldh(c))
			return "a character other than letters, digits, '-' "
			       "and '.' (IDNs must be written as xn-- A-labels)";
		if (c == '-' && label == 0)
			return "a label starts with '-'";
		if (c < '0' || c > '9')
			all_digits = false;
		if (++label > 63)
			return "a label is longer than 63 characters";
	}
	if (p[len - 1] == '-')
		return "a label ends with '-'";
	if (labels < 2)
		return "a single-label name (mx needs a full host name)";
	if (all_digits)
		return "an IP address (mx lists host names, never addresses)";
	return NULL;
}

bool mx_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl = strlen(pattern);
	const char *dot;

	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl == 0 || pl == 0 || pattern[pl - 1] == '.')
		return false;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*" is exactly the first label of host, which is not empty */
		dot = memchr(host, '.', hl);
		if (!dot || dot == host)
			return false;
		return (size_t)(host + hl - dot) == pl - 1 &&
		       strncasecmp(dot, pattern + 1, pl - 1) == 0;
	}
	return hl == pl && strncasecmp(host, pattern, pl) == 0;
}

static const char *mode_word(enum mx_mode mode)
{
	return mode == MX_MODE_ENFORCE ? "enforce" :
	       mode == MX_MODE_TESTING ? "testing" : "none";
}

void mx_check(const char *const *patterns, size_t np,
              const char *const *hosts, size_t nh, enum mx_mode mode,
              struct check_report *r, size_t *host_pattern)
{
	size_t h, p;

	for (h = 0; h < nh; h++) {
		size_t found = (size_t)-1, hl = strlen(hosts[h]);
		int shown = (int)(hl && hosts[h][hl - 1] == '.' ? hl - 1 : hl);

		for (p = 0; p < np && found == (size_t)-1; p++)
			if (mx_match(patterns[p], hosts[h]))
				found = p;
		if (host_pattern)
			host_pattern[h] = found;
		if (found != (size_t)-1) {
			check_add(r, "mx.covered", CHECK_OK, NULL,
				  "MX %.*s matches mx: %s", shown, hosts[h],
				  patterns[found]);
		} else {
			char fix[MX_NAME_MAX + 64];
			enum check_status st =
				mode == MX_MODE_ENFORCE ? CHECK_ERROR :
				mode == MX_MODE_TESTING ? CHECK_WARNING : CHECK_INFO;

			snprintf(fix, sizeof(fix), "add \"mx: %.*s\" to the policy",
				 shown, hosts[h]);
			check_add(r, "mx.covered", st, fix,
				  "MX %.*s matches no mx pattern of the policy "
				  "(mode %s%s)", shown, hosts[h], mode_word(mode),
				  mode == MX_MODE_ENFORCE ?
				  ": senders refuse to deliver to it" :
				  mode == MX_MODE_TESTING ?
				  ": senders report it as a failure" : "");
		}
	}
	for (p = 0; p < np; p++) {
		bool used = false, wild = patterns[p][0] == '*';

		for (h = 0; h < nh && !used; h++)
			used = mx_match(patterns[p], hosts[h]);
		if (used)
			continue;
		check_add(r, "mx.unused", wild ? CHECK_INFO : CHECK_WARNING,
			  wild ? NULL : "remove it from the policy, or add the MX",
			  "mx: %s matches none of the domain's MX hosts",
			  patterns[p]);
	}
}
