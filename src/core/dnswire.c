/*
 * dnswire: RFC 1035 section 3.3 RDATA formats, uncompressed (libunbound
 * decompresses names in the answers it returns).
 */
#include "config.h"

#include <string.h>

#include "dnswire.h"

int dnswire_txt(const uint8_t *rdata, size_t len, char *out, size_t cap,
                size_t *out_len)
{
	size_t pos = 0, n = 0;
	int strings = 0;

	*out_len = 0;
	if (len == 0)
		return -1;
	while (pos < len) {
		size_t sl = rdata[pos++], take;

		if (sl > len - pos)
			return -1;
		take = sl < cap - n ? sl : cap - n;
		memcpy(out + n, rdata + pos, take);
		n += take;
		pos += sl;
		strings++;
	}
	*out_len = n;
	return strings;
}

int dnswire_name(const uint8_t *rdata, size_t len, size_t *pos,
                 char out[DNSWIRE_NAME_MAX + 1])
{
	size_t p = *pos, n = 0;

	for (;;) {
		size_t ll, i;

		if (p >= len)
			return -1;
		ll = rdata[p++];
		if (ll == 0)
			break;
		if (ll > 63 || ll > len - p || n + ll + 1 > DNSWIRE_NAME_MAX - 1)
			return -1;      /* also refuses compression pointers */
		for (i = 0; i < ll; i++) {
			uint8_t c = rdata[p + i];

			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\')
				return -1;
			out[n++] = (char)c;
		}
		out[n++] = '.';
		p += ll;
	}
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	*pos = p;
	return 0;
}

int dnswire_mx(const uint8_t *rdata, size_t len, uint16_t *pref,
               char host[DNSWIRE_NAME_MAX + 1])
{
	size_t pos = 2;

	if (len < 3)
		return -1;
	*pref = (uint16_t)(rdata[0] << 8 | rdata[1]);
	if (dnswire_name(rdata, len, &pos, host) != 0)
		return -1;
	return pos == len ? 0 : -1;
}
