/*
 * utf8: the UTF-8 decoder (see utf8.h).
 */
#include "config.h"

#include "utf8.h"

size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned long cp;
	size_t n, k;

	if (len == 0)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n + 1;
}

bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
