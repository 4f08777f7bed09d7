/*
 * httphead: one pass over the lines of the head. Lines end in CRLF or LF;
 * obsolete line folding is refused (RFC 9112 section 5.2 lets a client
 * reject it); values are trimmed and cut to HTTPHEAD_VALUE_MAX bytes.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "httphead.h"

static void set_value(char *dst, bool *has, const char *v, size_t vl)
{
	if (vl > HTTPHEAD_VALUE_MAX)
		vl = HTTPHEAD_VALUE_MAX;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	*has = true;
}

long httphead_parse(const char *buf, size_t len, struct httphead *out,
                    const char **err)
{
	size_t pos = 0, fields = 0;
	const char *dummy;
	bool first = true;

	if (!err)
		err = &dummy;
	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t ll;

		if (!nl) {
			if (len > HTTPHEAD_MAX) {
				*err = "the response head is over 16 KiB";
				return -1;
			}
			return 0;
		}
		if ((size_t)(nl - buf) + 1 > HTTPHEAD_MAX) {
			*err = "the response head is over 16 KiB";
			return -1;
		}
		ll = (size_t)(nl - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		pos = (size_t)(nl - buf) + 1;
		if (first) {
			/* HTTP/1.x SP 3DIGIT [SP reason] */
			if (ll < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
			    p[8] != ' ' || p[9] < '1' || p[9] > '5' ||
			    p[10] < '0' || p[10] > '9' || p[11] < '0' ||
			    p[11] > '9' || (ll > 12 && p[12] != ' ')) {
				*err = "the response does not start with an "
				       "HTTP/1.x status line";
				return -1;
			}
			out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
				      (p[11] - '0');
			first = false;
			continue;
		}
		if (ll == 0)
			return (long)pos;
		if (p[0] == ' ' || p[0] == '\t') {
			*err = "a folded header line";
			return -1;
		}
		if (++fields > HTTPHEAD_MAX_FIELDS) {
			*err = "more than 100 header fields";
			return -1;
		}
		{
			const char *colon = memchr(p, ':', ll), *v;
			size_t nl_len, vl;

			if (!colon || colon == p) {
				*err = "a header line without a name and ':'";
				return -1;
			}
			nl_len = (size_t)(colon - p);
			v = colon + 1;
			vl = ll - nl_len - 1;
			while (vl && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
#define IS(name) (nl_len == sizeof(name) - 1 && strncasecmp(p, name, nl_len) == 0)
			if (IS("Content-Type")) {
				set_value(out->content_type, &out->has_content_type, v, vl);
			} else if (IS("Content-Encoding")) {
				set_value(out->content_encoding,
					  &out->has_content_encoding, v, vl);
			} else if (IS("Location")) {
				set_value(out->location, &out->has_location, v, vl);
			} else if (IS("Transfer-Encoding")) {
				out->chunked = vl >= 7 &&
					strncasecmp(v + vl - 7, "chunked", 7) == 0;
			} else if (IS("Content-Length")) {
				size_t i;
				unsigned long long n = 0;

				if (vl == 0 || vl > 18) {
					*err = "a bad Content-Length";
					return -1;
				}
				for (i = 0; i < vl; i++) {
					if (v[i] < '0' || v[i] > '9') {
						*err = "a bad Content-Length";
						return -1;
					}
					n = n * 10 + (unsigned)(v[i] - '0');
				}
				out->content_length = n;
				out->has_content_length = true;
			}
#undef IS
		}
	}
}
