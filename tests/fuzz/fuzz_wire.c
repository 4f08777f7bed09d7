/*
 * fuzz_wire: the readers of raw DNS RDATA (dnswire.c) and HTTP response
 * heads (httphead.c).
 *
 * Input: any bytes, read as TXT RDATA, as a name, as MX RDATA and as an
 * HTTP head. Invariants: nothing is read past the input (ASan); a TXT
 * result is at most the cap and never longer than the RDATA; a name is at
 * most 255 bytes of printable ASCII without spaces ending in '.', and
 * consumed no more than the input; a parsed head's length is within the
 * input and the limit, its status 100..599, its values NUL-terminated
 * within their size; any shorter prefix of a complete head is incomplete.
 */
#include "config.h"

#include "dnswire.h"
#include "fuzz_common.h"
#include "httphead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *n)
{
	size_t i, len = strlen(n);

	CHECK(len >= 1 && len <= DNSWIRE_NAME_MAX);
	CHECK(n[len - 1] == '.');
	for (i = 0; i < len; i++)
		CHECK(n[i] > 0x20 && n[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[300], name[DNSWIRE_NAME_MAX + 1];
	size_t len = 0, pos = 0;
	uint16_t pref;
	struct httphead h;
	long hl;
	int n;

	n = dnswire_txt(data, size, out, sizeof(out), &len);
	CHECK(n >= -1);
	if (n > 0)
		CHECK(len <= sizeof(out) && len <= size);
	if (dnswire_name(data, size, &pos, name) == 0) {
		check_name(name);
		CHECK(pos >= 1 && pos <= size);
	}
	if (dnswire_mx(data, size, &pref, name) == 0)
		check_name(name);

	hl = httphead_parse((const char *)data, size, &h, NULL);
	if (hl > 0) {
		struct httphead h2;

		CHECK((size_t)hl <= size && hl <= HTTPHEAD_MAX);
		CHECK(h.status >= 100 && h.status <= 599);
		CHECK(strlen(h.content_type) <= HTTPHEAD_VALUE_MAX);
		CHECK(strlen(h.location) <= HTTPHEAD_VALUE_MAX);
		CHECK(httphead_parse((const char *)data, (size_t)hl - 1, &h2, NULL) <= 0);
	}
	return 0;
}
