/*
 * name: DNS host names as stsd meets them (pure, no I/O).
 *
 * name_normalize() is for people: it is strict, and every refusal says which
 * label is wrong and why. name_host_key() is for the request path: it never
 * allocates, never explains, and refuses anything a configured name could
 * not be, so that a lookup can compare bytes.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "idna.h"
#include "name.h"
#include "utf8.h"

#define MSG_EMPTY "name is empty"
#define MSG_EMPTY_LABEL "empty label (two dots in a row, or a leading dot)"
#define MSG_LABEL_LONG "label is longer than 63 characters"
#define MSG_NAME_LONG "name is longer than 253 characters"
#define MSG_IP "IP addresses are not allowed here; use a host name"
#define MSG_PORT "a port is not allowed here"
#define MSG_SINGLE "name has a single label; use a fully qualified name"
#define MSG_NO_WILDCARD "a wildcard (\"*\") is not allowed here"
#define MSG_WILDCARD_PLACE \
	"\"*\" is only allowed as the whole leftmost label, as in \"*.example.com\""
#define MSG_UTF8 "name is not valid UTF-8"
#define ALLOWED "(only letters, digits and '-' are allowed)"

/*
 * Messages that quote the offending label are formatted here. Thread-local,
 * so that configurations may be loaded from any thread; the text stays valid
 * until the next name_normalize() call in the same thread, which is enough
 * for callers that print it at once.
 */
static _Thread_local char name_msg[256];

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* `label "x_y" contains '_' (...)`, quoting the label unless that would
 * print control characters. */
static const char *bad_char_msg(const char *label, size_t len, char c)
{
	char what[24];
	bool quote = true;
	size_t i;

	for (i = 0; i < len; i++)
		if (is_ctl((unsigned char)label[i]))
			quote = false;

	if (c == ' ')
		snprintf(what, sizeof(what), "a space");
	else if (is_ctl((unsigned char)c))
		snprintf(what, sizeof(what), "a control character");
	else
		snprintf(what, sizeof(what), "'%c'", c);

	if (quote)
		snprintf(name_msg, sizeof(name_msg), "label \"%.*s\" contains %s "
			 ALLOWED, (int)(len > 100 ? 100 : len), label, what);
	else
		snprintf(name_msg, sizeof(name_msg),
			 "a label contains %s " ALLOWED, what);
	return name_msg;
}

static const char *label_msg(const char *fmt_before, const char *label,
			     size_t len, const char *after)
{
	snprintf(name_msg, sizeof(name_msg), "%s\"%.*s\"%s", fmt_before,
		 (int)(len > 100 ? 100 : len), label, after);
	return name_msg;
}

/* An IPv6 literal ("[2001:db8::1]", "2001:db8::1") or a ":port". Checked
 * before anything else so that the message names the real mistake rather
 * than the first odd character. */
static const char *check_ip6_or_port(const char *in)
{
	const char *colon = strchr(in, ':');

	if (in[0] == '[')
		return MSG_IP;
	if (!colon)
		return NULL;
	if (strchr(colon + 1, ':'))
		return MSG_IP;
	return MSG_PORT;
}

/*
 * Converts one label that contains non-ASCII bytes to its A-label, into
 * `dst` (room for NAME_LABEL_MAX_LEN + 1). Labels are converted one by one,
 * and their ASCII characters checked first, because the UTS #46 mapping in
 * the IDNA library silently drops or rewrites characters such as '_', '*'
 * and ' ': a name the user mistyped must be refused, not quietly changed.
 * (Being per label, the check skips IDNA's cross-label Bidi rule.)
 */
static const char *idna_label(const char *label, size_t len, char *dst,
			      size_t *dst_len)
{
	const char *err = NULL;
	size_t i, a_len;
	char *a;

	for (i = 0; i < len; i++) {
		char c = label[i];

		if (!(c & 0x80) && !is_ldh(c))
			return bad_char_msg(label, len, c);
	}
	if (!utf8_valid((const unsigned char *)label, len))
		return MSG_UTF8;
	if (label[0] == '-')
		return label_msg("label ", label, len, " starts with '-'");
	if (label[len - 1] == '-')
		return label_msg("label ", label, len, " ends with '-'");

	/* IDNA2008 with the UTS #46 mapping (so "Ü" is "ü"). */
	a = idna_to_ascii(label, len, false);
	if (a == NULL)
		return label_msg("label ", label, len,
				 " is not a valid internationalised label "
				 "(IDNA2008), or is longer than 63 characters "
				 "as an A-label");

	a_len = strlen(a);
	if (a_len == 0 || a_len > NAME_LABEL_MAX_LEN) {
		err = a_len ? MSG_LABEL_LONG
			    : label_msg("label ", label, len,
					" is empty after IDNA mapping");
	} else {
		for (i = 0; i < a_len && !err; i++)
			if (!is_ldh(a[i]))
				err = label_msg("label ", label, len,
						" does not map to a single A-label");
	}
	if (!err) {
		for (i = 0; i < a_len; i++)
			dst[i] = ascii_lower(a[i]);
		*dst_len = a_len;
	}
	free(a);
	return err;
}

/* Checks a label already copied (lowercased, ASCII) into the output. */
static const char *check_ldh_label(const char *label, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_ldh(label[i]))
			return bad_char_msg(label, len, label[i]);
	if (label[0] == '-')
		return label_msg("label ", label, len, " starts with '-'");
	if (label[len - 1] == '-')
		return label_msg("label ", label, len, " ends with '-'");
	return NULL;
}

static bool has_non_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] & 0x80)
			return true;
	return false;
}

/* After the labels are fine: refuse IPv4 literals and numeric TLDs. */
static const char *check_numeric(const char *name, size_t len)
{
	const char *last = memrchr(name, '.', len);
	size_t i;
	bool all = true;

	for (i = 0; i < len && all; i++)
		all = is_digit(name[i]) || name[i] == '.';
	if (all)
		return MSG_IP;

	last = last ? last + 1 : name;
	for (i = 0; last + i < name + len; i++)
		if (!is_digit(last[i]))
			return NULL;
	return label_msg("the last label ", last, (size_t)(name + len - last),
			 " is all digits; no top-level domain is numeric");
}

/*
 * An A-label ("xn--...", ASCII, lowercase) must decode, and what it decodes
 * to must be a valid IDNA2008 label. The mapping that idna_label() applies
 * (UTS #46) lets through symbols that IDNA2008 disallows ("mail\u2603"), and
 * an "xn--" label written by hand may not decode at all: senders would then
 * see a name that no MX can ever match.
 */
static const char *check_a_label(const char *label, size_t len)
{
	char *u, *back = NULL;
	bool ok;

	if (len < 4 || memcmp(label, "xn--", 4) != 0)
		return NULL;
	u = idna_to_unicode(label, len);
	if (u)
		back = idna_to_ascii(u, strlen(u), true);
	ok = back && strlen(back) == len && memcmp(back, label, len) == 0;
	free(u);
	free(back);
	if (!ok)
		return label_msg("label ", label, len,
				 " is not a valid IDNA2008 A-label");
	return NULL;
}

/*
 * Appends one label of the input to `out` at *o, converting it and checking
 * it. `index` is its position (0 is the leftmost).
 */
static const char *append_label(const char *label, size_t len, unsigned index,
				unsigned flags, char *out, size_t *o,
				bool *wildcard)
{
	char a_label[NAME_LABEL_MAX_LEN + 1] = "";
	size_t need, i;
	const char *err;

	if (len == 0)
		return MSG_EMPTY_LABEL;

	if (memchr(label, '*', len)) {
		if (!(flags & NAME_ALLOW_WILDCARD))
			return MSG_NO_WILDCARD;
		if (index != 0 || len != 1)
			return MSG_WILDCARD_PLACE;
		*wildcard = true;
		out[(*o)++] = '*';
		return NULL;
	}

	if (has_non_ascii(label, len)) {
		err = idna_label(label, len, a_label, &len);
		if (err)
			return err;
		label = a_label;
	} else if (len > NAME_LABEL_MAX_LEN) {
		return MSG_LABEL_LONG;
	}

	need = *o + (*o ? 1 : 0) + len;
	if (need > NAME_MAX_LEN)
		return MSG_NAME_LONG;
	if (*o)
		out[(*o)++] = '.';
	for (i = 0; i < len; i++)
		out[*o + i] = ascii_lower(label[i]);
	err = check_ldh_label(out + *o, len);
	if (err == NULL)
		err = check_a_label(out + *o, len);
	*o += len;
	return err;
}

const char *name_normalize(const char *in, char out[NAME_MAX_LEN + 1],
			   unsigned flags)
{
	size_t in_len, start, o = 0;
	unsigned index = 0, labels = 0;
	bool wildcard = false;
	const char *err;

	out[0] = '\0';
	if (!in || !*in)
		return MSG_EMPTY;
	err = check_ip6_or_port(in);
	if (err)
		return err;

	in_len = strlen(in);
	if (in[in_len - 1] == '.')      /* one trailing dot: the root */
		in_len--;
	if (in_len == 0)
		return MSG_EMPTY;

	for (start = 0; start <= in_len; index++) {
		const char *dot = memchr(in + start, '.', in_len - start);
		size_t end = dot ? (size_t)(dot - in) : in_len;

		err = append_label(in + start, end - start, index, flags, out,
				   &o, &wildcard);
		if (err) {
			out[0] = '\0';
			return err;
		}
		start = end + 1;
	}
	out[o] = '\0';

	labels = index - (wildcard ? 1 : 0);
	if (wildcard && labels == 0)
		err = MSG_WILDCARD_PLACE;
	else if (wildcard)
		err = check_numeric(out + 2, o - 2);
	else
		err = check_numeric(out, o);
	if (!err && labels < 2)
		err = MSG_SINGLE;
	if (err)
		out[0] = '\0';
	return err;
}

/* Accepts "" (RFC 7230 allows an empty port) or 1-5 digits up to 65535. */
static bool valid_port(const char *p, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= 65535;
}

/*
 * A bracketed IPv6 literal ("[::1]:443") is refused outright without being
 * parsed: no configured name is an address, so it could only ever miss.
 * IPv4 literals pass the byte check and simply miss in the lookup. Empty
 * labels (leading dot, "..", two trailing dots) are refused for the same
 * reason.
 */
int name_host_key(const char *in, size_t len, char out[NAME_MAX_LEN + 1])
{
	const char *colon;
	size_t i;
	char prev = '.';

	if (!in || len == 0 || in[0] == '[')
		return -1;
	colon = memchr(in, ':', len);
	if (colon) {
		size_t host_len = (size_t)(colon - in);

		if (!valid_port(colon + 1, len - host_len - 1))
			return -1;
		len = host_len;
	}
	if (len && in[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return -1;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '.') {
			if (prev == '.')
				return -1;
		} else if (!is_ldh(c)) {
			return -1;
		}
		out[i] = ascii_lower(c);
		prev = c;
	}
	if (prev == '.')
		return -1;
	out[len] = '\0';
	return (int)len;
}
