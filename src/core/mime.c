/*
 * mime: a small, bounded MIME walker that looks for one thing, the report
 * part. It never builds a tree: each entity is split into its header block
 * and body, the few header fields it needs are read straight from the block,
 * and multipart bodies are cut at their delimiter lines. See mime.h for the
 * selection rule.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define VALUE_MAX 2048          /* bytes kept of an unfolded header value */
#define TYPE_MAX 128

struct walk {
	unsigned parts;
	bool too_deep;
	enum mime_status err;
	/* The best candidate so far (see mime.h for the scores). */
	int best;
	const char *body;
	size_t body_len;
	char enc[32];
	char type[MIME_FIELD_MAX];
	char filename[MIME_FIELD_MAX];
};

const char *mime_strerror(enum mime_status st)
{
	switch (st) {
	case MIME_OK: return "ok";
	case MIME_ENOMEM: return "out of memory";
	case MIME_TOO_LARGE: return "message or header too large";
	case MIME_TOO_DEEP: return "message nested too deeply";
	case MIME_TOO_MANY_PARTS: return "message has too many parts";
	case MIME_NO_REPORT: return "no TLS report found in the message";
	}
	return "unknown MIME error";
}

void mime_report_free(struct mime_report *r)
{
	free(r->data);
	r->data = NULL;
	r->len = 0;
}

/* Copies printable ASCII, other bytes as '?', truncating to outsz - 1. */
static void copy_printable(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i;

	if (n > outsz - 1)
		n = outsz - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

/* ---- base64 and quoted-printable ---------------------------------------- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

size_t mime_base64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0;
	unsigned long acc = 0;
	unsigned n = 0;

	for (i = 0; i < len; i++) {
		int v;

		if (in[i] == '=')
			break;
		v = b64_value((unsigned char)in[i]);
		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned long)v;
		if (++n == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	/* Missing padding: 2 characters carry one byte, 3 carry two. */
	if (n == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (n == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t qp_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (in[i] != '=') {
			out[o++] = (unsigned char)in[i++];
			continue;
		}
		if (i + 2 < len && hexval(in[i + 1]) >= 0 &&
		    hexval(in[i + 2]) >= 0) {
			out[o++] = (unsigned char)(hexval(in[i + 1]) << 4 |
						   hexval(in[i + 2]));
			i += 3;
		} else if (i + 1 < len && in[i + 1] == '\n') {
			i += 2;                         /* soft line break */
		} else if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
			i += 3;
		} else {
			out[o++] = (unsigned char)in[i++];  /* a stray '=' */
		}
	}
	return o;
}

/* Decodes a body by its Content-Transfer-Encoding into a new buffer with a
 * NUL after it. Decoding never grows the data. */
static unsigned char *decode(const char *enc, const char *body, size_t len,
                             size_t *out_len)
{
	unsigned char *out = malloc(len + 1);

	if (!out)
		return NULL;
	if (strcasecmp(enc, "base64") == 0)
		*out_len = mime_base64_decode(body, len, out);
	else if (strcasecmp(enc, "quoted-printable") == 0)
		*out_len = qp_decode(body, len, out);
	else {
		if (len)
			memcpy(out, body, len);
		*out_len = len;
	}
	out[*out_len] = '\0';
	return out;
}

/* ---- header fields ------------------------------------------------------ */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the line at p (without its LF), and where the next begins. */
static size_t line_at(const char *p, size_t n, size_t *next)
{
	const char *lf = memchr(p, '\n', n);
	size_t l = lf ? (size_t)(lf - p) : n;

	*next = lf ? l + 1 : n;
	return l;
}

/* Trims blanks and a CR from both ends. */
static void trim(const char **s, size_t *n)
{
	while (*n && (is_wsp(**s) || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && (is_wsp((*s)[*n - 1]) || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/*
 * The first field `name` of the header block h[0..n): unfolded (each line
 * break before a continuation line dropped), blanks trimmed, truncated to
 * outsz - 1. Returns true when present.
 */
static bool header_get(const char *h, size_t n, const char *name, char *out,
                       size_t outsz)
{
	size_t nlen = strlen(name), pos = 0, next;

	out[0] = '\0';
	while (pos < n) {
		size_t l = line_at(h + pos, n - pos, &next), k;
		const char *line = h + pos;
		size_t o = 0;

		pos += next;
		if (l <= nlen || strncasecmp(line, name, nlen) != 0)
			continue;
		k = nlen;
		while (k < l && is_wsp(line[k]))
			k++;
		if (k >= l || line[k] != ':')
			continue;
		k++;
		for (;;) {
			const char *v = line + k;
			size_t vl = l - k;

			if (vl && v[vl - 1] == '\r')
				vl--;
			while (vl && o < outsz - 1) {
				out[o++] = *v++;
				vl--;
			}
			if (pos >= n || !is_wsp(h[pos]))
				break;
			line = h + pos;
			l = line_at(line, n - pos, &next);
			pos += next;
			k = 0;
		}
		out[o] = '\0';
		{
			const char *s = out;
			size_t sl = o;

			trim(&s, &sl);
			memmove(out, s, sl);
			out[sl] = '\0';
		}
		return true;
	}
	return false;
}

/* Is this line the start of a header field ("Name:" or "Name :")? */
static bool is_field_line(const char *p, size_t l)
{
	size_t i = 0;

	while (i < l && p[i] > 0x20 && p[i] < 0x7f && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < l && is_wsp(p[i]))
		i++;
	return i < l && p[i] == ':';
}

/*
 * Splits an entity into its header block and body. No header block when the
 * first line is neither a field nor empty (a bare body). Returns false when
 * the header block is over MIME_MAX_HEADER.
 */
static bool split_entity(const char *p, size_t n, size_t *hlen,
                         const char **body, size_t *blen)
{
	size_t pos = 0, next;

	for (;;) {
		size_t l;

		if (pos >= n) {                 /* headers only */
			*hlen = n;
			*body = p + n;
			*blen = 0;
			return n <= MIME_MAX_HEADER;
		}
		l = line_at(p + pos, n - pos, &next);
		if (l == 0 || (l == 1 && p[pos] == '\r')) {
			*hlen = pos;
			*body = p + pos + next;
			*blen = n - pos - next;
			return pos <= MIME_MAX_HEADER;
		}
		if (pos == 0 && !is_field_line(p, l)) {
			*hlen = 0;
			*body = p;
			*blen = n;
			return true;
		}
		pos += next;
		if (pos > MIME_MAX_HEADER)
			return false;
	}
}

/* ---- parameters --------------------------------------------------------- */

static bool is_tspecial_end(char c)
{
	return c == ';' || is_wsp(c) || c == '\r' || c == '\n';
}

/* Drops an RFC 2231 charset'lang' prefix and decodes %XX in place. */
static void rfc2231_value(char *v)
{
	char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	char *src = q2 ? q2 + 1 : v, *dst = v;

	while (*src) {
		if (src[0] == '%' && hexval(src[1]) >= 0 && hexval(src[2]) >= 0) {
			*dst++ = (char)(hexval(src[1]) << 4 | hexval(src[2]));
			src += 3;
		} else {
			*dst++ = *src++;
		}
	}
	*dst = '\0';
}

int mime_param(const char *value, const char *name, char *out, size_t outsz)
{
	const char *p = strchr(value, ';');
	size_t nlen = strlen(name);

	out[0] = '\0';
	while (p && *p) {
		const char *pn;
		size_t pl, o = 0;
		bool star = false, match;

		while (*p == ';' || is_wsp(*p) || *p == '\r' || *p == '\n')
			p++;
		pn = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		pl = (size_t)(p - pn);
		while (pl && is_wsp(pn[pl - 1]))
			pl--;
		if (*p != '=')
			continue;
		p++;
		while (is_wsp(*p))
			p++;
		if (pl == nlen + 1 && pn[nlen] == '*') {
			star = true;
			pl--;
		}
		match = pl == nlen && strncasecmp(pn, name, nlen) == 0;
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				if (match && o < outsz - 1)
					out[o++] = *p;
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && !is_tspecial_end(*p)) {
				if (match && o < outsz - 1)
					out[o++] = *p;
				p++;
			}
		}
		/* Skip to the next ';' (a comment or junk after the value). */
		while (*p && *p != ';')
			p++;
		if (match) {
			out[o] = '\0';
			if (star)
				rfc2231_value(out);
			return 1;
		}
	}
	return 0;
}

/* ---- the walk ----------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);

	return l >= sl && strcasecmp(s + l - sl, suffix) == 0;
}

/* Does the decoded body look like a report (gzip, or a JSON object)? */
static bool sniff_report(const char *enc, const char *body, size_t len)
{
	size_t dl, i = 0;
	unsigned char *d = decode(enc, body, len, &dl);
	bool yes;

	if (!d)
		return false;
	while (i < dl && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
			  d[i] == '\n'))
		i++;
	yes = (dl >= 2 && d[0] == 0x1f && d[1] == 0x8b) || (i < dl && d[i] == '{');
	free(d);
	return yes;
}

static void entity(struct walk *w, const char *p, size_t n, unsigned depth,
                   bool whole);

static void multipart(struct walk *w, const char *b, size_t n,
                      const char *boundary, unsigned depth)
{
	size_t blen = strlen(boundary), pos = 0, next;
	const char *part = NULL;

	while (pos < n && w->err == MIME_OK) {
		const char *line = b + pos;
		size_t l = line_at(line, n - pos, &next), r;
		bool closing = false;

		if (l < 2 + blen || line[0] != '-' || line[1] != '-' ||
		    memcmp(line + 2, boundary, blen) != 0) {
			pos += next;
			continue;
		}
		r = 2 + blen;
		if (l - r >= 2 && line[r] == '-' && line[r + 1] == '-') {
			closing = true;
			r += 2;
		}
		while (r < l && (is_wsp(line[r]) || line[r] == '\r'))
			r++;
		if (r != l) {                   /* "--boundaryX": not ours */
			pos += next;
			continue;
		}
		if (part) {
			/* The line break before the delimiter belongs to it. */
			size_t end = pos, start = (size_t)(part - b);

			if (end > start && b[end - 1] == '\n')
				end--;
			if (end > start && b[end - 1] == '\r')
				end--;
			entity(w, part, end - start, depth, false);
		}
		if (closing)
			return;
		pos += next;
		part = b + pos;
	}
	/* No closing delimiter: the last part runs to the end. */
	if (part && w->err == MIME_OK)
		entity(w, part, n - (size_t)(part - b), depth, false);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void entity(struct walk *w, const char *p, size_t n, unsigned depth,
                   bool whole)
{
	/* Initialised for the static analyzer: header_get() and mime_param()
	 * always write at least a NUL. */
	char ct[VALUE_MAX] = "", cd[VALUE_MAX] = "", enc[32] = "";
	char type[TYPE_MAX] = "", boundary[VALUE_MAX] = "", filename[VALUE_MAX] = "";
	const char *body;
	size_t hlen, blen, tl;
	int score = 0;

	if (++w->parts > MIME_MAX_PARTS) {
		w->err = MIME_TOO_MANY_PARTS;
		return;
	}
	if (!split_entity(p, n, &hlen, &body, &blen)) {
		w->err = MIME_TOO_LARGE;
		return;
	}
	header_get(p, hlen, "content-type", ct, sizeof(ct));
	header_get(p, hlen, "content-disposition", cd, sizeof(cd));
	if (!header_get(p, hlen, "content-transfer-encoding", enc, sizeof(enc)))
		enc[0] = '\0';
	tl = strcspn(ct, ";");
	while (tl && is_wsp(ct[tl - 1]))
		tl--;
	copy_printable(type, sizeof(type), ct, tl);
	lower(type);

	if (strncmp(type, "multipart/", 10) == 0 &&
	    mime_param(ct, "boundary", boundary, sizeof(boundary)) &&
	    boundary[0]) {
		if (depth + 1 > MIME_MAX_DEPTH) {
			w->too_deep = true;
			return;
		}
		multipart(w, body, blen, boundary, depth + 1);
		return;
	}
	if (strcmp(type, "message/rfc822") == 0) {
		if (depth + 1 > MIME_MAX_DEPTH) {
			w->too_deep = true;
			return;
		}
		entity(w, body, blen, depth + 1, true);
		return;
	}

	if (!mime_param(cd, "filename", filename, sizeof(filename)))
		mime_param(ct, "name", filename, sizeof(filename));
	if (strncmp(type, "application/tlsrpt", 18) == 0)
		score = 3;
	else if (ends_with(filename, ".json.gz") || ends_with(filename, ".json") ||
		 ends_with(filename, ".gz") ||
		 strcmp(type, "application/gzip") == 0 ||
		 strcmp(type, "application/x-gzip") == 0 ||
		 strcmp(type, "application/json") == 0)
		score = 2;
	else if (whole && sniff_report(enc, body, blen))
		score = 1;
	if (score <= w->best)
		return;
	w->best = score;
	w->body = body;
	w->body_len = blen;
	copy_printable(w->enc, sizeof(w->enc), enc, strlen(enc));
	copy_printable(w->type, sizeof(w->type), type, strlen(type));
	copy_printable(w->filename, sizeof(w->filename), filename,
		       strlen(filename));
}

/* A leading mbox "From " line (Postfix pipe flag F, procmail). */
static size_t skip_from_line(const char *p, size_t n)
{
	size_t next;

	if (n < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	line_at(p, n, &next);
	return next;
}

enum mime_status mime_find_report(const void *msg, size_t len,
                                  struct mime_report *out)
{
	const char *p = msg;
	struct walk w;
	char v[VALUE_MAX];
	size_t skip, hlen, blen;
	const char *body;

	memset(out, 0, sizeof(*out));
	if (len > MIME_MAX_MESSAGE)
		return MIME_TOO_LARGE;
	memset(&w, 0, sizeof(w));
	skip = skip_from_line(p, len);
	p += skip;
	len -= skip;

	if (!split_entity(p, len, &hlen, &body, &blen))
		return MIME_TOO_LARGE;
	if (header_get(p, hlen, "tls-report-domain", v, sizeof(v)))
		copy_printable(out->report_domain, sizeof(out->report_domain),
			       v, strlen(v));
	if (header_get(p, hlen, "tls-report-submitter", v, sizeof(v)))
		copy_printable(out->report_submitter,
			       sizeof(out->report_submitter), v, strlen(v));

	entity(&w, p, len, 0, true);
	if (w.err != MIME_OK && w.best < 3)
		return w.err;
	if (w.best == 0)
		return w.too_deep ? MIME_TOO_DEEP : MIME_NO_REPORT;
	out->data = decode(w.enc, w.body, w.body_len, &out->len);
	if (!out->data)
		return MIME_ENOMEM;
	memcpy(out->type, w.type, sizeof(out->type));
	memcpy(out->filename, w.filename, sizeof(out->filename));
	return MIME_OK;
}
