/* Unit tests for dnswire.c and httphead.c: bounded readers of what DNS
 * and HTTP servers send. */
#include "config.h"

#include <string.h>

#include "dnswire.h"
#include "httphead.h"
#include "tap.h"

static void test_dnswire(void)
{
	char out[64], name[DNSWIRE_NAME_MAX + 1];
	size_t len, pos;
	uint16_t pref;

	is_int(dnswire_txt((const uint8_t *)"\x07v=STSv1\x05; id=", 14, out, sizeof(out), &len), 2, "two strings");
	is_mem(out, len, "v=STSv1; id=", 12, "... joined without spaces");
	is_int(dnswire_txt((const uint8_t *)"\x00", 1, out, sizeof(out), &len), 1, "one empty string");
	is_int(len, 0, "... no bytes");
	is_int(dnswire_txt((const uint8_t *)"\x09short", 6, out, sizeof(out), &len), -1, "a string past the end: refused");
	is_int(dnswire_txt((const uint8_t *)"", 0, out, sizeof(out), &len), -1, "empty RDATA: refused");
	is_int(dnswire_txt((const uint8_t *)"\x05hello\x05world", 12, out, 7, &len), 2, "cut at the cap");
	is_mem(out, len, "hellowo", 7, "... seven bytes kept");

	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\x02mx\x07" "example\x03" "com\x00", 16, &pos, name), 0, "a name");
	is_str(name, "mx.example.com.", "... with its final dot");
	is_int(pos, 16, "... consumed");
	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\x00", 1, &pos, name), 0, "the root");
	is_str(name, ".", "... is \".\"");
	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\xc0\x0c", 2, &pos, name), -1, "a compression pointer: refused");
	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\x02mx", 3, &pos, name), -1, "no terminating label: refused");
	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\x03m.x\x00", 5, &pos, name), -1, "a dot inside a label: refused");
	pos = 0;
	is_int(dnswire_name((const uint8_t *)"\x03m x\x00", 5, &pos, name), -1, "a space inside a label: refused");
	{
		uint8_t big[300];
		size_t i;

		for (i = 0; i + 2 < sizeof(big); i += 2) {
			big[i] = 1;
			big[i + 1] = 'a';
		}
		big[298] = 0;
		pos = 0;
		is_int(dnswire_name(big, sizeof(big), &pos, name), -1, "a name over 255: refused");
	}

	is_int(dnswire_mx((const uint8_t *)"\x00\x0a\x02mx\x07" "example\x03" "com\x00", 18, &pref, name), 0, "MX");
	is_int(pref, 10, "... preference");
	is_str(name, "mx.example.com.", "... exchange");
	is_int(dnswire_mx((const uint8_t *)"\x00\x00\x00", 3, &pref, name), 0, "null MX parses");
	is_str(name, ".", "... to the root");
	is_int(dnswire_mx((const uint8_t *)"\x00\x00\x00X", 4, &pref, name), -1, "trailing bytes: refused");
	is_int(dnswire_mx((const uint8_t *)"\x00", 1, &pref, name), -1, "too short: refused");
}

static void test_httphead(void)
{
	struct httphead h;
	const char *err = NULL;
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Type:  text/plain \r\ncontent-length: 5\r\n\r\nhello";

	is_int(httphead_parse(r1, strlen(r1), &h, NULL), (long)strlen(r1) - 5, "a head: its length");
	is_int(h.status, 200, "... status");
	ok(h.has_content_type, "... has Content-Type");
	is_str(h.content_type, "text/plain", "... trimmed");
	ok(h.has_content_length && h.content_length == 5, "... Content-Length, any case");
	ok(!h.has_content_encoding && !h.has_location && !h.chunked, "... nothing else");
	is_int(httphead_parse(r1, 20, &h, NULL), 0, "cut: more needed");
	{
		const char *r = "HTTP/1.0 301 Moved\nLocation: https://example.com/\nContent-Encoding: gzip\nTransfer-Encoding: chunked\n\n";

		ok(httphead_parse(r, strlen(r), &h, NULL) > 0, "LF line ends");
		is_int(h.status, 301, "... status");
		is_str(h.location, "https://example.com/", "... Location");
		is_str(h.content_encoding, "gzip", "... Content-Encoding");
		ok(h.chunked, "... chunked");
	}
	is_int(httphead_parse("HTTP/1.1 200\r\n\r\n", 16, &h, NULL), 16, "no reason phrase");
	is_int(httphead_parse("SSH-2.0-x\r\n\r\n", 13, &h, &err), -1, "not HTTP: refused");
	ok(err != NULL, "... with a reason");
	is_int(httphead_parse("HTTP/1.1 200 OK\r\n folded\r\n\r\n", 28, &h, NULL), -1, "folding: refused");
	is_int(httphead_parse("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 39, &h, NULL), -1, "bad Content-Length: refused");
	is_int(httphead_parse("HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", 28, &h, NULL), -1, "no colon: refused");
	{
		static char big[HTTPHEAD_MAX + 100];
		size_t n;

		strcpy(big, "HTTP/1.1 200 OK\r\nX: ");
		n = strlen(big);
		memset(big + n, 'a', sizeof(big) - n);
		is_int(httphead_parse(big, sizeof(big), &h, NULL), -1, "over 16 KiB without an end: refused");
		strcpy(big, "HTTP/1.1 200 OK\r\n");
		for (n = 0; n < 101; n++)
			strcat(big, "X: y\r\n");
		strcat(big, "\r\n");
		is_int(httphead_parse(big, strlen(big), &h, NULL), -1, "over 100 fields: refused");
	}
	{
		char r[2000];
		size_t n;

		strcpy(r, "HTTP/1.1 200 OK\r\nContent-Type: ");
		n = strlen(r);
		memset(r + n, 'a', 700);
		strcpy(r + n + 700, "\r\n\r\n");
		ok(httphead_parse(r, strlen(r), &h, NULL) > 0, "a long value");
		is_int(strlen(h.content_type), HTTPHEAD_VALUE_MAX, "... is cut");
	}
}

int main(void)
{
	test_dnswire();
	test_httphead();
	return tap_done();
}
