/*
 * fuzz_mime: mime_find_report() on arbitrary bytes, and on a well-formed
 * multipart/report message carrying the input as a base64 part.
 * Invariants (trap on violation):
 *  - a status other than MIME_OK leaves no data; MIME_OK gives data of at
 *    most the input's length, NUL-terminated;
 *  - the text fields are printable ASCII;
 *  - the input wrapped in a message comes back byte for byte;
 *  - mime_base64_decode() writes at most len * 3 / 4 + 1 bytes.
 */
#include "config.h"

#include "fuzz_common.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		CHECK(s[i] >= 0x20 && s[i] < 0x7f);
	CHECK(i < MIME_FIELD_MAX);
}

static char *b64(const uint8_t *in, size_t len)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = fuzz_xmalloc(len * 2 + 8), *o = out;
	size_t i;

	for (i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;
		size_t k, n = len - i >= 3 ? 4 : len - i + 1;

		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		for (k = 0; k < 4; k++)
			*o++ = k < n ? a[(v >> (18 - 6 * k)) & 63] : '=';
		if (i % 57 == 54)
			*o++ = '\n';
	}
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_report r;
	enum mime_status st = mime_find_report(data, size, &r);

	CHECK(mime_strerror(st)[0] != '\0');
	check_field(r.type);
	check_field(r.filename);
	check_field(r.report_domain);
	check_field(r.report_submitter);
	if (st != MIME_OK) {
		CHECK(r.data == NULL);
	} else {
		CHECK(r.data != NULL && r.len <= size && r.data[r.len] == '\0');
		mime_report_free(&r);
	}

	{
		char *enc = b64(data, size), *msg;
		size_t n;

		msg = fuzz_xmalloc(strlen(enc) + 512);
		n = (size_t)sprintf(msg,
			"Content-Type: multipart/report; report-type=tlsrpt; "
			"boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Type: text/plain\r\n"
			"\r\nreport\r\n--=_b\r\nContent-Type: application/tlsrpt+gzip\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--=_b--\r\n",
			enc);
		CHECK(mime_find_report(msg, n, &r) == MIME_OK);
		CHECK(r.len == size && memcmp(r.data, data, size) == 0);
		mime_report_free(&r);
		free(msg);
		free(enc);
	}

	{
		unsigned char *out = fuzz_xmalloc(size * 3 / 4 + 2);

		out[size * 3 / 4 + 1] = 0xa5;
		CHECK(mime_base64_decode((const char *)data, size, out) <=
		      size * 3 / 4 + 1);
		CHECK(out[size * 3 / 4 + 1] == 0xa5);
		free(out);
	}
	{
		char v[512], out[16];
		size_t n = size < sizeof(v) - 1 ? size : sizeof(v) - 1;

		memcpy(v, data, n);
		v[n] = '\0';
		if (mime_param(v, "boundary", out, sizeof(out)))
			CHECK(strlen(out) < sizeof(out));
	}
	return 0;
}
