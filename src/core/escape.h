/*
 * escape: text made safe for JSON strings, HTML and Prometheus label
 * values (pure). One place for each rule, shared by every writer.
 */
#ifndef STSD_ESCAPE_H
#define STSD_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The inside of a JSON string (RFC 8259 section 7): `len` bytes of s. */
void escape_json_chars(FILE *out, const char *s, size_t len);

/* s as a JSON string, quotes included. */
void escape_json_str(FILE *out, const char *s);

/* The HTML text for `ch` in text and attribute values, or NULL when it
 * stands for itself; with `drop_cr`, "" for a carriage return. */
const char *escape_html_char(char ch, bool drop_cr);

/* s escaped for HTML text and attribute values. */
void escape_html_str(FILE *out, const char *s);

/* s as a Prometheus label value, quotes included: backslash, double quote
 * and newline escaped (text exposition format 0.0.4). */
void escape_prom_label(FILE *out, const char *s);

#endif
