/*
 * fuzz_common: helpers shared by the libFuzzer harnesses (header-only, each
 * harness is a single translation unit).
 *
 *  - CHECK(): an invariant. On violation it prints what failed and traps, so
 *    that libFuzzer saves the input as a crash.
 *  - fuzz_lines: the input split at '\n' into NUL-terminated copies.
 *  - fuzz_json_check(): a small strict JSON (RFC 8259) validator that also
 *    hands every object member whose value is a string to a callback, so a
 *    harness can compare the decoded values with what it expects.
 */
#ifndef STSD_FUZZ_COMMON_H
#define STSD_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant violated: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		__builtin_trap();					\
	}								\
} while (0)

/* A failed allocation in a harness is not a finding: give the input up. */
static void *fuzz_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("fuzz: out of memory\n", stderr);
		abort();
	}
	return p;
}

/*
 * RFC 3629 UTF-8: what a YAML scalar always is.
 *
 * The oracle is deliberately built unlike the decoder it checks (name.c's
 * valid_utf8(), which computes code points and then rejects overlong forms,
 * surrogates and values above U+10FFFF): it computes no code point at all
 * and only compares bytes with the ranges of the Unicode Standard's table
 * "Well-Formed UTF-8 Byte Sequences" (chapter 3, table 3-7), where those
 * three rules are already folded into the allowed second bytes. A shared
 * mistake would have to be made twice, in two different shapes.
 */
struct fuzz_utf8_row {
	unsigned char lead_lo, lead_hi;         /* the first byte */
	unsigned char second_lo, second_hi;     /* the second byte */
	unsigned char len;                      /* bytes in the sequence */
};

static const struct fuzz_utf8_row fuzz_utf8_table[] = {
	{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
	{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
	{ 0xe1, 0xec, 0x80, 0xbf, 3 },
	{ 0xed, 0xed, 0x80, 0x9f, 3 },
	{ 0xee, 0xef, 0x80, 0xbf, 3 },
	{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
	{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
	{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
};

/* The length of the well-formed sequence at the start of s (n bytes
 * available, n > 0), or 0 when it is not one. */
static __attribute__((unused)) size_t fuzz_utf8_seq(const unsigned char *s,
                                                    size_t n)
{
	size_t r, k;

	if (s[0] <= 0x7f)
		return 1;
	for (r = 0; r < sizeof(fuzz_utf8_table) / sizeof(fuzz_utf8_table[0]); r++) {
		const struct fuzz_utf8_row *row = &fuzz_utf8_table[r];

		if (s[0] < row->lead_lo || s[0] > row->lead_hi)
			continue;
		if (n < row->len || s[1] < row->second_lo || s[1] > row->second_hi)
			return 0;
		for (k = 2; k < row->len; k++)
			if (s[k] < 0x80 || s[k] > 0xbf)
				return 0;
		return row->len;
	}
	return 0;   /* 0x80..0xc1 and 0xf5..0xff never start a sequence */
}

static __attribute__((unused)) bool fuzz_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i = 0, k;

	while (i < len) {
		k = fuzz_utf8_seq(s + i, len - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* ---- lines --------------------------------------------------------------- */

struct fuzz_lines {
	char **line;            /* NUL-terminated copies (an embedded NUL ends
	                           a line early, as it would for a C caller) */
	size_t *len;            /* bytes before '\n', NULs included */
	size_t n;
};

static __attribute__((unused)) void fuzz_lines_split(struct fuzz_lines *l, const uint8_t *data,
			     size_t size)
{
	size_t i, start = 0, n = 1;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	l->line = fuzz_xmalloc(n * sizeof(*l->line));
	l->len = fuzz_xmalloc(n * sizeof(*l->len));
	l->n = 0;
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		l->len[l->n] = i - start;
		l->line[l->n] = fuzz_xmalloc(i - start + 1);
		memcpy(l->line[l->n], data + start, i - start);
		l->line[l->n][i - start] = '\0';
		l->n++;
		start = i + 1;
	}
}

static __attribute__((unused)) void fuzz_lines_free(struct fuzz_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	free(l->len);
}

/* ---- JSON ---------------------------------------------------------------- */

/* Called for each `"key": "value"` member, with both strings decoded
 * (value_len bytes; a "\u0000" escape would be kept as a NUL). */
typedef void (*fuzz_json_member_fn)(void *ctx, const char *key,
				    const char *value, size_t value_len);

struct fuzz_json {
	const char *s;
	size_t len, pos;
	unsigned depth;
	fuzz_json_member_fn member;
	void *ctx;
	char *buf;              /* decoded string (owned) */
	size_t buf_len, buf_cap;
};

#define FUZZ_JSON_MAX_DEPTH 64

static bool fj_value(struct fuzz_json *j);

static void fj_ws(struct fuzz_json *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
				   j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
		j->pos++;
}

static bool fj_lit(struct fuzz_json *j, const char *lit)
{
	size_t n = strlen(lit);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, lit, n) != 0)
		return false;
	j->pos += n;
	return true;
}

static void fj_put(struct fuzz_json *j, char c)
{
	if (j->buf_len + 1 >= j->buf_cap) {
		size_t cap = j->buf_cap ? j->buf_cap * 2 : 256;
		char *b = realloc(j->buf, cap);

		if (!b)
			abort();
		j->buf = b;
		j->buf_cap = cap;
	}
	j->buf[j->buf_len++] = c;
	j->buf[j->buf_len] = '\0';
}

static int fj_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends code point cp as UTF-8. */
static void fj_put_utf8(struct fuzz_json *j, unsigned long cp)
{
	if (cp < 0x80) {
		fj_put(j, (char)cp);
	} else if (cp < 0x800) {
		fj_put(j, (char)(0xc0 | cp >> 6));
		fj_put(j, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		fj_put(j, (char)(0xe0 | cp >> 12));
		fj_put(j, (char)(0x80 | (cp >> 6 & 0x3f)));
		fj_put(j, (char)(0x80 | (cp & 0x3f)));
	} else {
		fj_put(j, (char)(0xf0 | cp >> 18));
		fj_put(j, (char)(0x80 | (cp >> 12 & 0x3f)));
		fj_put(j, (char)(0x80 | (cp >> 6 & 0x3f)));
		fj_put(j, (char)(0x80 | (cp & 0x3f)));
	}
}

static bool fj_u4(struct fuzz_json *j, unsigned long *cp)
{
	int k;

	*cp = 0;
	if (j->len - j->pos < 4)
		return false;
	for (k = 0; k < 4; k++) {
		int h = fj_hex(j->s[j->pos + (size_t)k]);

		if (h < 0)
			return false;
		*cp = *cp << 4 | (unsigned long)h;
	}
	j->pos += 4;
	return true;
}

/* A string; its decoded bytes end up in j->buf / j->buf_len. Raw control
 * characters are refused (RFC 8259 section 7); bytes >= 0x80 must form
 * valid UTF-8 (section 8.1). */
static bool fj_string(struct fuzz_json *j)
{
	j->buf_len = 0;
	fj_put(j, 'x');
	j->buf_len = 0;
	if (j->pos >= j->len || j->s[j->pos] != '"')
		return false;
	j->pos++;
	while (j->pos < j->len) {
		unsigned char c = (unsigned char)j->s[j->pos++];
		unsigned long cp;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			/* Raw non-ASCII bytes: a well-formed sequence (the
			 * table oracle above), copied as it is. */
			const unsigned char *at =
				(const unsigned char *)j->s + j->pos - 1;
			size_t k, n = fuzz_utf8_seq(at, j->len - j->pos + 1);

			if (n == 0)
				return false;
			for (k = 0; k < n; k++)
				fj_put(j, (char)at[k]);
			j->pos += n - 1;
			continue;
		}
		if (c != '\\') {
			fj_put(j, (char)c);
			continue;
		}
		if (j->pos >= j->len)
			return false;
		c = (unsigned char)j->s[j->pos++];
		switch (c) {
		case '"': fj_put(j, '"'); break;
		case '\\': fj_put(j, '\\'); break;
		case '/': fj_put(j, '/'); break;
		case 'b': fj_put(j, '\b'); break;
		case 'f': fj_put(j, '\f'); break;
		case 'n': fj_put(j, '\n'); break;
		case 'r': fj_put(j, '\r'); break;
		case 't': fj_put(j, '\t'); break;
		case 'u':
			if (!fj_u4(j, &cp))
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned long lo;

				if (!fj_lit(j, "\\u") || !fj_u4(j, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return false;
			}
			fj_put_utf8(j, cp);
			break;
		default:
			return false;
		}
	}
	return false;
}

static bool fj_number(struct fuzz_json *j)
{
	size_t start = j->pos;

	if (j->pos < j->len && j->s[j->pos] == '-')
		j->pos++;
	if (j->pos < j->len && j->s[j->pos] == '0') {
		j->pos++;
	} else {
		if (j->pos >= j->len || j->s[j->pos] < '1' || j->s[j->pos] > '9')
			return false;
		while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
			j->pos++;
	}
	if (j->pos < j->len && j->s[j->pos] == '.') {
		j->pos++;
		if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
			return false;
		while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
			j->pos++;
	}
	if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
			j->pos++;
		if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
			return false;
		while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
			j->pos++;
	}
	return j->pos > start;
}

static bool fj_object(struct fuzz_json *j)
{
	j->pos++;       /* '{' */
	fj_ws(j);
	if (j->pos < j->len && j->s[j->pos] == '}') {
		j->pos++;
		return true;
	}
	for (;;) {
		char *key;

		fj_ws(j);
		if (!fj_string(j))
			return false;
		key = strdup(j->buf);
		if (!key)
			abort();
		fj_ws(j);
		if (j->pos >= j->len || j->s[j->pos] != ':') {
			free(key);
			return false;
		}
		j->pos++;
		fj_ws(j);
		if (j->pos < j->len && j->s[j->pos] == '"') {
			if (!fj_string(j)) {
				free(key);
				return false;
			}
			if (j->member)
				j->member(j->ctx, key, j->buf, j->buf_len);
		} else if (!fj_value(j)) {
			free(key);
			return false;
		}
		free(key);
		fj_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == '}') {
			j->pos++;
			return true;
		}
		return false;
	}
}

static bool fj_array(struct fuzz_json *j)
{
	j->pos++;       /* '[' */
	fj_ws(j);
	if (j->pos < j->len && j->s[j->pos] == ']') {
		j->pos++;
		return true;
	}
	for (;;) {
		fj_ws(j);
		if (!fj_value(j))
			return false;
		fj_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == ']') {
			j->pos++;
			return true;
		}
		return false;
	}
}

static bool fj_value(struct fuzz_json *j)
{
	bool ok;

	fj_ws(j);
	if (j->pos >= j->len)
		return false;
	if (++j->depth > FUZZ_JSON_MAX_DEPTH)
		return false;
	switch (j->s[j->pos]) {
	case '{': ok = fj_object(j); break;
	case '[': ok = fj_array(j); break;
	case '"': ok = fj_string(j); break;
	case 't': ok = fj_lit(j, "true"); break;
	case 'f': ok = fj_lit(j, "false"); break;
	case 'n': ok = fj_lit(j, "null"); break;
	default: ok = fj_number(j); break;
	}
	j->depth--;
	return ok;
}

/* True when s[0..len) is exactly one JSON value (surrounded by optional
 * whitespace). `member` may be NULL. */
static __attribute__((unused)) bool fuzz_json_check(const char *s, size_t len,
			    fuzz_json_member_fn member, void *ctx)
{
	struct fuzz_json j = { s, len, 0, 0, member, ctx, NULL, 0, 0 };
	bool ok = fj_value(&j);

	fj_ws(&j);
	ok = ok && j.pos == len;
	free(j.buf);
	return ok;
}

#endif
