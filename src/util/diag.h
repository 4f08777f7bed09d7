/*
 * diag: compiler-style diagnostics for configuration problems.
 *
 * Every problem found while loading a configuration is reported as
 *   FILE:LINE:COL: error: MESSAGE
 * (or "warning:"), all of them in one run, and counted. A location always
 * points into the user's file, never into stsd's source.
 */
#ifndef STSD_DIAG_H
#define STSD_DIAG_H

#include <stdio.h>

/* A position in a configuration file. `file` is not owned: it points at a
 * string that lives as long as the configuration that produced it. Lines and
 * columns count from 1; 0 means "unknown" and is not printed ("FILE: error:"
 * for a problem with a whole file). A NULL loc or file prints "stsd: ". */
struct loc {
	const char *file;
	unsigned line;
	unsigned col;
};

/* Messages kept for later instead of printed (see diag.queue). */
struct diag_msg {
	int error;          /* 1 error, 0 warning */
	int has_at;
	struct loc at;
	char *text;
};
struct diag_queue {
	struct diag_msg *v;
	size_t n, cap;
	size_t lost;        /* messages there was no memory to keep */
};

/* A sink for diagnostics. Zero-initialise it, or set `out` to send the lines
 * to a stream instead of the log (tests use open_memstream), or `queue` to
 * keep them, in order, for diag_replay(): work done on several threads
 * reports through one queue per item and is replayed in the order a single
 * thread would have printed it. */
struct diag {
	FILE *out;          /* NULL: through log_msg(), journald-friendly */
	unsigned errors;
	unsigned warnings;
	struct diag_queue *queue;   /* non-NULL: keep, do not print */
};

/* Past this many lines (a config with a million bad values, an alias bomb),
 * problems are still counted but no longer printed. */
#define DIAG_MAX_PRINTED 1000

void diag_error(struct diag *d, const struct loc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, const struct loc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports every message of q into d, as if reported there; then frees them
 * and empties q. Messages that could not be kept for lack of memory are
 * replayed as "out of memory" errors. */
void diag_replay(struct diag *d, struct diag_queue *q);

/* Frees q's messages without reporting them. */
void diag_queue_clear(struct diag_queue *q);

/* Prints "N error(s), M warning(s)" when there was anything to report. */
void diag_summary(const struct diag *d);

#endif
