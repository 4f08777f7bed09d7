/*
 * fuzz_smtp_reply: SMTP reply parsing (smtp_reply.c) on hostile servers.
 *
 * Input: the bytes a server sends. Replies are parsed one after the other
 * as the prober does. Invariants: a complete reply uses 1..len bytes, ends
 * with '\n', has a code 100..599 and 1..SMTP_LINES_MAX lines, and its
 * text is printable; any shorter prefix of it is incomplete, never
 * complete; an incomplete answer never holds a line over SMTP_LINE_MAX.
 */
#include "config.h"

#include "fuzz_common.h"
#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t pos = 0;

	while (pos < size) {
		struct smtp_reply r, r2;
		size_t used = 0, used2, i;
		enum smtp_parse p = smtp_reply_parse(buf + pos, size - pos, &r,
						     &used, NULL);

		if (p != SMTP_REPLY_DONE) {
			if (p == SMTP_REPLY_MORE)
				CHECK(size - pos - (size_t)(
					(const char *)memrchr(buf + pos, '\n', size - pos) ?
					(const char *)memrchr(buf + pos, '\n', size - pos) + 1 - (buf + pos) : 0)
				      <= SMTP_LINE_MAX);
			break;
		}
		CHECK(used >= 1 && used <= size - pos);
		CHECK(buf[pos + used - 1] == '\n');
		CHECK(r.code >= 100 && r.code <= 599);
		CHECK(r.n_lines >= 1 && r.n_lines <= SMTP_LINES_MAX);
		for (i = 0; r.text[i]; i++)
			CHECK(r.text[i] >= 0x20 && r.text[i] < 0x7f);
		CHECK(smtp_reply_parse(buf + pos, used - 1, &r2, &used2, NULL) !=
		      SMTP_REPLY_DONE);
		pos += used;
	}
	return 0;
}
