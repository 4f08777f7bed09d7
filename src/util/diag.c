#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Appends a message to d->queue. Without memory for it, it is replayed as
 * an "out of memory" error: never lost silently. */
static void diag_keep(struct diag *d, int error, const struct loc *at,
                      const char *fmt, va_list ap)
{
	struct diag_queue *q = d->queue;
	struct diag_msg *m;
	char *text = NULL;

	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 2;
		struct diag_msg *v = realloc(q->v, cap * sizeof(*v));

		if (v == NULL) {
			q->lost++;
			return;
		}
		q->v = v;
		q->cap = cap;
	}
	if (vasprintf(&text, fmt, ap) < 0) {
		text = NULL;
		error = 1;
	}
	m = &q->v[q->n++];
	m->error = error;
	m->has_at = at != NULL;
	m->at = at ? *at : (struct loc){ 0 };
	m->text = text;
}

void diag_error(struct diag *d, const struct loc *at, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	if (d->queue != NULL)
		diag_keep(d, 1, at, fmt, ap);
	else
		diag_emit(d, LOG_LEVEL_ERR, "error", at, fmt, ap);
	va_end(ap);
}

void diag_warning(struct diag *d, const struct loc *at, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	if (d->queue != NULL)
		diag_keep(d, 0, at, fmt, ap);
	else
		diag_emit(d, LOG_LEVEL_WARNING, "warning", at, fmt, ap);
	va_end(ap);
}

void diag_replay(struct diag *d, struct diag_queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		const struct diag_msg *m = &q->v[i];
		const struct loc *at = m->has_at ? &m->at : NULL;

		if (m->text == NULL)
			diag_error(d, at, "out of memory");
		else if (m->error)
			diag_error(d, at, "%s", m->text);
		else
			diag_warning(d, at, "%s", m->text);
	}
	for (size_t i = 0; i < q->lost; i++)
		diag_error(d, NULL, "out of memory");
	diag_queue_clear(q);
}

void diag_queue_clear(struct diag_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].text);
	free(q->v);
	memset(q, 0, sizeof(*q));
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
