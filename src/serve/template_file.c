/*
 * template_file: the index page template, read from disk (see
 * template_file.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fileio.h"
#include "template.h"
#include "template_file.h"

char *template_read(const char *path, const struct loc *at, struct diag *d)
{
	struct fileio_data f;
	int err = fileio_read(path, TEMPLATE_MAX_BYTES, &f);

	if (err == EFBIG) {
		diag_error(d, at, "index template %s is larger than %d bytes",
		           path, TEMPLATE_MAX_BYTES);
		return NULL;
	}
	if (err) {
		diag_error(d, at, "cannot read index template %s: %s", path,
		           fileio_strerror(err));
		return NULL;
	}
	if (memchr(f.data, '\0', f.len) != NULL) {
		diag_error(d, at, "index template %s contains a NUL byte", path);
		fileio_free(&f);
		return NULL;
	}
	return f.data;
}
