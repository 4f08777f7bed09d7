/*
 * escape: JSON, HTML and Prometheus escaping (see escape.h).
 */
#include "config.h"

#include <string.h>

#include "escape.h"

void escape_json_chars(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
}

void escape_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	escape_json_chars(out, s, strlen(s));
	fputc('"', out);
}

const char *escape_html_char(char ch, bool drop_cr)
{
	switch (ch) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\r': return drop_cr ? "" : NULL;
	default: return NULL;
	}
}

void escape_html_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		const char *rep = escape_html_char(*s, false);

		if (rep)
			fputs(rep, out);
		else
			fputc(*s, out);
	}
}

void escape_prom_label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}
