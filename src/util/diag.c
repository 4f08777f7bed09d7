#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "diag.h"
#include "log.h"

/* "file:line:col: " with the parts that are known. */
static void diag_format_loc(char *buf, size_t len, const struct loc *at)
{
	if (at == NULL || at->file == NULL)
		snprintf(buf, len, "stsd: ");
	else if (at->line == 0)
		snprintf(buf, len, "%s: ", at->file);
	else if (at->col == 0)
		snprintf(buf, len, "%s:%u: ", at->file, at->line);
	else
		snprintf(buf, len, "%s:%u:%u: ", at->file, at->line, at->col);
}

static void diag_emit(struct diag *d, enum log_level level, const char *what,
                      const struct loc *at, const char *fmt, va_list ap)
{
	char where[512], msg[1536];
	unsigned printed = d->errors + d->warnings;   /* this one included */

	if (printed > DIAG_MAX_PRINTED) {
		if (printed == DIAG_MAX_PRINTED + 1) {
			if (d->out != NULL)
				fprintf(d->out, "stsd: too many problems; the rest are counted, not printed\n");
			else
				log_msg(LOG_LEVEL_ERR, "stsd: too many problems; the rest are counted, not printed");
		}
		return;
	}
	diag_format_loc(where, sizeof(where), at);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (d->out != NULL)
		fprintf(d->out, "%s%s: %s\n", where, what, msg);
	else
		log_msg(level, "%s%s: %s", where, what, msg);
}

void diag_error(struct diag *d, const struct loc *at, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	diag_emit(d, LOG_LEVEL_ERR, "error", at, fmt, ap);
	va_end(ap);
}

void diag_warning(struct diag *d, const struct loc *at, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	diag_emit(d, LOG_LEVEL_WARNING, "warning", at, fmt, ap);
	va_end(ap);
}

void diag_summary(const struct diag *d)
{
	char line[128];

	if (d->errors == 0 && d->warnings == 0)
		return;
	snprintf(line, sizeof(line), "%u error%s, %u warning%s",
	         d->errors, d->errors == 1 ? "" : "s",
	         d->warnings, d->warnings == 1 ? "" : "s");
	if (d->out != NULL)
		fprintf(d->out, "%s\n", line);
	else
		log_msg(d->errors ? LOG_LEVEL_ERR : LOG_LEVEL_WARNING, "%s", line);
}
