/*
 * log: the one logging API of stsd.
 *
 * Lines go to stderr. When stderr is connected to the journal (systemd sets
 * JOURNAL_STREAM) each line starts with a "<N>" priority prefix so that
 * journald files it at the right level. Otherwise lines are printed as they
 * are, so that stderr reads well in a terminal.
 *
 * Naming follows OpenBSD: log_warn() appends strerror(errno), log_warnx()
 * does not; fatal()/fatalx() log and exit(1).
 */
#ifndef STSD_LOG_H
#define STSD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* syslog(3) priorities, spelled out so that this header needs no <syslog.h>. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Reads JOURNAL_STREAM once. `verbose` enables log_debug(). */
void log_init(bool verbose);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
