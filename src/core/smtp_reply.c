/*
 * smtp_reply: one pass over the lines received. Each line is "DDD-text"
 * (more follow) or "DDD text" / "DDD" (last), ending in CRLF (a bare LF is
 * accepted: real servers send it and refusing helps nobody). Every line of
 * a reply must carry the same code.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void keep_text(struct smtp_reply *out, const char *p, size_t len)
{
	size_t i, n = len > SMTP_TEXT_MAX ? SMTP_TEXT_MAX : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		out->text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out->text[n] = '\0';
}

enum smtp_parse smtp_reply_parse(const char *buf, size_t len,
                                 struct smtp_reply *out, size_t *used,
                                 const char **err)
{
	size_t pos = 0;
	const char *dummy;

	if (!err)
		err = &dummy;
	memset(out, 0, sizeof(*out));
	*used = 0;
	for (;;) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t ll;
		int code;
		char sep;

		if (!nl) {
			if (len - pos > SMTP_LINE_MAX) {
				*err = "a reply line is too long";
				return SMTP_REPLY_BAD;
			}
			return SMTP_REPLY_MORE;
		}
		ll = (size_t)(nl - p);
		if (ll > SMTP_LINE_MAX) {
			*err = "a reply line is too long";
			return SMTP_REPLY_BAD;
		}
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll < 3 || !is_digit(p[0]) || !is_digit(p[1]) ||
		    !is_digit(p[2]) || p[0] < '1' || p[0] > '5' ||
		    (ll > 3 && p[3] != '-' && p[3] != ' ')) {
			*err = "a reply line does not start with a three-digit "
			       "code and '-' or ' '";
			return SMTP_REPLY_BAD;
		}
		code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (out->n_lines == 0) {
			out->code = code;
			keep_text(out, p + (ll > 4 ? 4 : ll), ll > 4 ? ll - 4 : 0);
		} else if (code != out->code) {
			*err = "the lines of a reply carry different codes";
			return SMTP_REPLY_BAD;
		} else {
			/* EHLO keyword: the first word of the line's text */
			const char *t = p + 4, *end = p + ll;
			size_t kl = 0;

			while (t + kl < end && t[kl] != ' ')
				kl++;
			if (ll > 4 && kl == 8 && strncasecmp(t, "STARTTLS", 8) == 0)
				out->starttls = true;
		}
		if (++out->n_lines > SMTP_LINES_MAX) {
			*err = "a reply has too many lines";
			return SMTP_REPLY_BAD;
		}
		sep = ll > 3 ? p[3] : ' ';
		pos = (size_t)(nl - buf) + 1;
		if (sep == ' ') {
			*used = pos;
			return SMTP_REPLY_DONE;
		}
	}
}
