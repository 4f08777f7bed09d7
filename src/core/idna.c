/*
 * idna: IDNA2008 conversions through libidn2 (see idna.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "idna.h"

/* libidn2 works on NUL-terminated strings; labels come as (pointer, len). */
static char *copy_label(const char *label, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, label, len);
		s[len] = '\0';
	}
	return s;
}

char *idna_to_ascii(const char *label, size_t len, bool strict_2008)
{
	char *in = copy_label(label, len), *out = NULL;
	int rc;

	if (in == NULL)
		return NULL;
	rc = idn2_to_ascii_8z(in, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc == IDN2_DISALLOWED && !strict_2008)
		rc = idn2_to_ascii_8z(in, &out,
		                      IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	free(in);
	if (rc != IDN2_OK) {
		free(out);
		return NULL;
	}
	return out;
}

char *idna_to_unicode(const char *label, size_t len)
{
	char *in = copy_label(label, len), *out = NULL;
	int rc;

	if (in == NULL)
		return NULL;
	rc = idn2_to_unicode_8z8z(in, &out, 0);
	free(in);
	if (rc != IDN2_OK) {
		free(out);
		return NULL;
	}
	return out;
}
