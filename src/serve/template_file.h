/*
 * template_file: reading an operator's index page template from disk, for
 * the site builder. The template itself (checking, rendering) is core's
 * template.h.
 */
#ifndef STSD_TEMPLATE_FILE_H
#define STSD_TEMPLATE_FILE_H

#include "diag.h"

/*
 * Reads the template file at `path`: a regular file of at most
 * TEMPLATE_MAX_BYTES, no NUL byte. Returns the NUL-terminated text, or NULL
 * after reporting why through `d` at `at`. Caller frees.
 */
char *template_read(const char *path, const struct loc *at, struct diag *d);

#endif
