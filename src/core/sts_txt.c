/*
 * sts_txt: the _mta-sts TXT record against the readings of real senders.
 *
 * Three readings matter (spec 3.13 table A):
 *  - lax: a record counts when it starts with "v=STSv1" in any case after
 *    leading spaces (mailauth); one such record and an id is enough;
 *  - prefix: exactly "v=STSv1;" at byte 0 (chasquid, Halon), or with WSP
 *    before ';' (the ABNF, mox);
 *  - strict: the full ABNF (mox, postfix-tlspol): a syntax error anywhere
 *    means no policy.
 * Every function is bounded by the record length (at most TXTREC_MAX_LEN,
 * enforced by the client, but nothing here relies on it).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sts_txt.h"

#define QUOTE_MAX 120           /* bytes of a record quoted in a message */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* sts-ext-value: %x21-3A / %x3C / %x3E-7E */
static bool is_ext_value_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && c != '=' && c != ';';
}

/* Lax candidate: "v=STSv1" in any case after optional leading blanks. */
static bool lax_candidate(const char *d, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(d[i]))
		i++;
	return len - i >= 7 && strncasecmp(d + i, "v=STSv1", 7) == 0;
}

/* One field "name=value" of [s, e). */
static const char *parse_field(const char *s, const char *e,
                               char id[STS_ID_MAX + 1], bool *have_id,
                               size_t *n_ext)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	size_t nlen, vlen;
	const char *p;

	if (s == e)
		return "an empty field (\";;\" or a ';' with nothing after '=')";
	if (!eq)
		return "a field without '=' (fields are name=value)";
	nlen = (size_t)(eq - s);
	vlen = (size_t)(e - eq - 1);
	if (nlen == 2 && memcmp(s, "id", 2) == 0) {
		if (*have_id)
			return "a second id= field";
		if (vlen == 0 || vlen > STS_ID_MAX)
			return "the id must be 1 to 32 letters and digits";
		for (p = eq + 1; p < e; p++)
			if (!is_alnum(*p))
				return "the id must be 1 to 32 letters and digits "
				       "(no '+', '/', '-', '_' or spaces)";
		memcpy(id, eq + 1, vlen);
		id[vlen] = '\0';
		*have_id = true;
		return NULL;
	}
	if (nlen == 0 || nlen > 32 || !is_alnum(s[0]))
		return "a field name must start with a letter or digit "
		       "and be at most 32 characters";
	for (p = s; p < eq; p++)
		if (!is_alnum(*p) && *p != '_' && *p != '-' && *p != '.')
			return "a field name has a character other than "
			       "letters, digits, '_', '-' and '.'";
	if (vlen == 0)
		return "a field has an empty value";
	for (p = eq + 1; p < e; p++)
		if (!is_ext_value_char(*p))
			return "a field value has a space, '=', a control or "
			       "non-ASCII character";
	if (n_ext)
		(*n_ext)++;
	return NULL;
}

const char *sts_txt_parse(const char *d, size_t len, char id[STS_ID_MAX + 1],
                          size_t *n_ext)
{
	const char *p = d, *end = d + len;
	bool have_id = false;

	id[0] = '\0';
	if (n_ext)
		*n_ext = 0;
	if (len < 7 || memcmp(d, "v=STSv1", 7) != 0)
		return "the record does not start with exactly \"v=STSv1\"";
	p += 7;
	/* 1*(sts-field-delim sts-field) [sts-field-delim] */
	for (;;) {
		const char *f, *fe;
		const char *err;

		while (p < end && is_wsp(*p))
			p++;
		if (p == end)
			break;
		if (*p != ';')
			return "\"v=STSv1\" must be followed by ';' and the next field";
		p++;
		while (p < end && is_wsp(*p))
			p++;
		if (p == end)
			break;                  /* the optional final delimiter */
		f = p;
		while (p < end && *p != ';' && !is_wsp(*p))
			p++;
		fe = p;
		err = parse_field(f, fe, id, &have_id, n_ext);
		if (err)
			return err;
		/* Only WSP then ';' or the end may follow a field. */
		{
			const char *q = p;

			while (q < end && is_wsp(*q))
				q++;
			if (q < end && *q != ';')
				return "a space inside a field (fields are "
				       "separated by ';')";
		}
	}
	if (!have_id)
		return "the record has no id= field";
	return NULL;
}

/* A sane id for the fix: the given one, or the record's alphanumerics. */
static void fix_id(const char *suggest, const char *d, size_t len,
                   char out[STS_ID_MAX + 1])
{
	const char *p = NULL;
	size_t i, n = 0;

	if (suggest && *suggest) {
		snprintf(out, STS_ID_MAX + 1, "%s", suggest);
		return;
	}
	for (i = 0; d && i + 3 <= len; i++) {
		if (memcmp(d + i, "id=", 3) == 0 &&
		    (i == 0 || d[i - 1] == ';' || is_wsp(d[i - 1]))) {
			p = d + i + 3;
			break;
		}
	}
	for (; p && p < d + len && *p != ';' && n < STS_ID_MAX; p++)
		if (is_alnum(*p))
			out[n++] = *p;
	if (n == 0)
		out[n++] = '1';
	out[n] = '\0';
}

static void add_fix_record(struct check_report *r, const char *check_id,
                           enum check_status st, const char *id,
                           const char *msg, const char *d, size_t len)
{
	char fix[256];

	snprintf(fix, sizeof(fix),
		 "publish exactly one record: _mta-sts.%s. IN TXT \"v=STSv1; id=%s\"",
		 r->domain, id);
	if (len == 0)
		check_add(r, check_id, st, fix, "%s", msg);
	else
		check_add(r, check_id, st, fix, "%s: \"%.*s\"", msg,
			  (int)(len > QUOTE_MAX ? QUOTE_MAX : len), d);
}

void sts_txt_check(const struct txtrec *recs, size_t n,
                   const char *suggest_id, struct check_report *r,
                   struct sts_txt_result *out)
{
	size_t i, lax = 0, other = 0, which = 0, n_ext = 0;
	const struct txtrec *rec;
	char id[STS_ID_MAX + 1], fid[STS_ID_MAX + 1];
	const char *err;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (lax_candidate(recs[i].data, recs[i].len)) {
			if (lax++ == 0)
				which = i;
		} else {
			other++;
		}
	}
	if (lax == 0) {
		fix_id(suggest_id, NULL, 0, fid);
		add_fix_record(r, "txt.present", CHECK_ERROR, fid,
			       n ? "no v=STSv1 record among the TXT records at "
				   "_mta-sts, so senders see no policy"
				 : "no TXT record at _mta-sts, so senders see no "
				   "policy (postfix-mta-sts-resolver: "
				   "STSFetchResult.NONE)",
			       n ? recs[0].data : "", n ? recs[0].len : 0);
		return;
	}
	check_add(r, "txt.present", CHECK_OK, NULL,
		  "_mta-sts.%s has a v=STSv1 TXT record", r->domain);
	if (lax > 1) {
		fix_id(suggest_id, recs[which].data, recs[which].len, fid);
		add_fix_record(r, "txt.single", CHECK_ERROR, fid,
			       "several v=STSv1 records: senders then see no "
			       "policy at all (RFC 8461 section 3.1); the first",
			       recs[which].data, recs[which].len);
		return;
	}
	check_add(r, "txt.single", CHECK_OK, NULL, "exactly one v=STSv1 record");
	out->lax_usable = true;
	if (other) {
		check_add(r, "txt.only", CHECK_ERROR,
			  "remove the other TXT records at _mta-sts (keep them "
			  "at another name)",
			  "_mta-sts has %zu other TXT record%s: maddy ignores the "
			  "policy and KumoMTA reads a corrupted record", other,
			  other == 1 ? "" : "s");
	}
	rec = &recs[which];
	if (rec->n_strings > 1)
		check_add(r, "txt.strings", CHECK_WARNING,
			  "publish the record as one character-string (one "
			  "pair of quotes)",
			  "the record is split into %u character-strings; senders "
			  "must join them, but at least one checker does not",
			  rec->n_strings);

	if (rec->len < 8 || memcmp(rec->data, "v=STSv1;", 8) != 0) {
		const char *why = "the record must start with exactly "
				  "\"v=STSv1;\" (chasquid and Halon compare "
				  "this prefix)";

		if (rec->len >= 7 && memcmp(rec->data, "v=STSv1", 7) != 0 &&
		    strncasecmp(rec->data, "v=STSv1", 7) == 0)
			why = "\"v=STSv1\" is case-sensitive";
		else if (rec->len && is_wsp(rec->data[0]))
			why = "the record starts with a space";
		fix_id(suggest_id, rec->data, rec->len, fid);
		add_fix_record(r, "txt.prefix", CHECK_ERROR, fid, why,
			       rec->data, rec->len);
	} else {
		check_add(r, "txt.prefix", CHECK_OK, NULL,
			  "the record starts with \"v=STSv1;\"");
	}

	err = sts_txt_parse(rec->data, rec->len, id, &n_ext);
	if (err && (rec->len < 7 || memcmp(rec->data, "v=STSv1", 7) != 0))
		return;                 /* txt.prefix said it already */
	if (err) {
		bool id_err = strstr(err, "id=") != NULL ||
			      strncmp(err, "the id", 6) == 0;

		fix_id(suggest_id, rec->data, rec->len, fid);
		add_fix_record(r, id_err ? "txt.id" : "txt.syntax", CHECK_ERROR,
			       fid, err, rec->data, rec->len);
		return;
	}
	check_add(r, "txt.syntax", CHECK_OK, NULL,
		  "the record follows the RFC 8461 grammar");
	check_add(r, "txt.id", CHECK_OK, NULL, "policy id %s", id);
	if (n_ext)
		check_add(r, "txt.extensions", CHECK_WARNING,
			  "remove the extra fields: \"v=STSv1; id=...\" is all "
			  "senders use",
			  "the record has %zu field%s other than v and id "
			  "(allowed, but some checkers flag them)", n_ext,
			  n_ext == 1 ? "" : "s");
	out->usable = true;
	memcpy(out->id, id, sizeof(out->id));
}
