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

/* A sink for diagnostics. Zero-initialise it, or set `out` to send the lines
 * to a stream instead of the log (tests use open_memstream). */
struct diag {
	FILE *out;          /* NULL: through log_msg(), journald-friendly */
	unsigned errors;
	unsigned warnings;
};

/* Past this many lines (a config with a million bad values, an alias bomb),
 * problems are still counted but no longer printed. */
#define DIAG_MAX_PRINTED 1000

void diag_error(struct diag *d, const struct loc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, const struct loc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints "N error(s), M warning(s)" when there was anything to report. */
void diag_summary(const struct diag *d);

#endif
