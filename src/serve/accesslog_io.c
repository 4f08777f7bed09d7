/*
 * accesslog_io: one write(2) per access-log line (see accesslog_io.h).
 */
#include "config.h"

#include <unistd.h>

#include "accesslog_io.h"

void accesslog_write(int fd, const struct accesslog_entry *e)
{
	char buf[ACCESSLOG_LINE_MAX];
	size_t len = accesslog_format(e, buf, sizeof(buf));

	/* One write: lines from several threads never interleave (O_APPEND). */
	if (write(fd, buf, len) < 0) {
		/* Nothing sensible to do per request; the log is best effort. */
	}
}
