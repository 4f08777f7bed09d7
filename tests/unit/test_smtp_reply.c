/* Unit tests for smtp_reply.c: SMTP replies, bounded. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"
#include "tap.h"

static enum smtp_parse parse(const char *s, struct smtp_reply *r, size_t *used)
{
	return smtp_reply_parse(s, strlen(s), r, used, NULL);
}

int main(void)
{
	struct smtp_reply r;
	size_t used;
	const char *err = NULL;
	char *big;
	size_t i;

	is_int(parse("220 mx.example.com ESMTP Postfix\r\n", &r, &used), SMTP_REPLY_DONE, "a banner");
	is_int(r.code, 220, "... code 220");
	is_str(r.text, "mx.example.com ESMTP Postfix", "... its text");
	is_int(used, 34, "... all bytes used");
	is_int(parse("220 mx.example.com ESMTP", &r, &used), SMTP_REPLY_MORE, "no line end yet: more");
	is_int(parse("", &r, &used), SMTP_REPLY_MORE, "nothing yet: more");
	is_int(parse("220-first\r\n220-second\r\n", &r, &used), SMTP_REPLY_MORE, "a continued reply: more");
	is_int(parse("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n250 8BITMIME\r\nXXX", &r, &used),
	       SMTP_REPLY_DONE, "an EHLO reply");
	ok(r.starttls, "... STARTTLS found, case-insensitively");
	is_int(r.n_lines, 5, "... five lines");
	is_int(used, 83, "... the bytes after it are left");
	parse("250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE\r\n", &r, &used);
	ok(!r.starttls, "no STARTTLS keyword: none");
	parse("250-mx.example.com STARTTLS\r\n250 SIZE\r\n", &r, &used);
	ok(!r.starttls, "STARTTLS on the greeting line is not a keyword");
	parse("250-mx.example.com\r\n250-STARTTLSX\r\n250 X-STARTTLS\r\n", &r, &used);
	ok(!r.starttls, "keywords that only contain STARTTLS do not count");
	parse("250-mx.example.com\r\n250 STARTTLS\r\n", &r, &used);
	ok(r.starttls, "STARTTLS as the last line");
	is_int(parse("220\r\n", &r, &used), SMTP_REPLY_DONE, "a bare code");
	is_int(parse("220 ok\n", &r, &used), SMTP_REPLY_DONE, "a bare LF");
	is_int(parse("554 5.7.1 go away\r\n", &r, &used), SMTP_REPLY_DONE, "a refusal parses");
	is_int(r.code, 554, "... its code");

	is_int(smtp_reply_parse("HTTP/1.1 400\r\n", 14, &r, &used, &err), SMTP_REPLY_BAD, "not SMTP: bad");
	ok(err && strstr(err, "three-digit"), "... with a reason");
	is_int(parse("220-a\r\n250 b\r\n", &r, &used), SMTP_REPLY_BAD, "mixed codes: bad");
	is_int(parse("22 x\r\n", &r, &used), SMTP_REPLY_BAD, "two digits: bad");
	is_int(parse("220x\r\n", &r, &used), SMTP_REPLY_BAD, "no separator: bad");
	is_int(parse("620 x\r\n", &r, &used), SMTP_REPLY_BAD, "code 6xx: bad");

	big = malloc(SMTP_LINE_MAX + 10);
	memset(big, 'a', SMTP_LINE_MAX + 9);
	memcpy(big, "220 ", 4);
	big[SMTP_LINE_MAX + 9] = '\0';
	is_int(parse(big, &r, &used), SMTP_REPLY_BAD, "an endless line without LF: bad, not more");
	big[SMTP_LINE_MAX + 5] = '\n';
	is_int(parse(big, &r, &used), SMTP_REPLY_BAD, "an over-long line: bad");
	free(big);
	big = malloc((SMTP_LINES_MAX + 2) * 8 + 1);
	big[0] = '\0';
	for (i = 0; i < SMTP_LINES_MAX + 2; i++)
		strcat(big, "250-ab\r\n");
	is_int(parse(big, &r, &used), SMTP_REPLY_BAD, "too many lines: bad");
	free(big);
	parse("220 \x01\x7f\xff ok\r\n", &r, &used);
	is_str(r.text, "??? ok", "the kept text is printable");
	return tap_done();
}
