#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static bool log_journal;        /* stderr is the journal: prefix "<N>" */
static bool log_verbose;

void log_init(bool verbose)
{
	/* systemd sets JOURNAL_STREAM to "dev:inode" of the stream it hands us;
	 * only trust it when it still describes our stderr (a child of a
	 * service run from a terminal inherits the variable, not the stream). */
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	log_verbose = verbose;
	log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	              fstat(STDERR_FILENO, &st) == 0 &&
	              (unsigned long long)st.st_dev == dev &&
	              (unsigned long long)st.st_ino == ino;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n = 0;

	if (level == LOG_LEVEL_DEBUG && !log_verbose)
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	/* One fputs of a whole line: lines from several threads never mix. */
	n = (int)strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);
	fflush(stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* The message, then ": strerror(saved errno)". */
static void log_verrno(enum log_level level, int err, const char *fmt, va_list ap)
{
	char buf[1536];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(level, "%s: %s", buf, strerror(err));
}

void log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_LEVEL_WARNING, err, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_LEVEL_ERR, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
