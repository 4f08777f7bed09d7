/*
 * fileio: the one way stsd reads a file (configuration, include, template,
 * certificate, key).
 *
 * Only regular files are read, and only up to a size the caller names: a
 * FIFO named as a certificate would block a reload, /dev/zero would never
 * end, and a huge file would eat the memory of a running server. The file
 * is opened without blocking and read whole, so a file that changes while
 * it is read is read as one consistent size.
 */
#ifndef STSD_FILEIO_H
#define STSD_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>

/* A file read whole. `data` is NUL-terminated (data[len] == '\0') and owned
 * by the caller (fileio_free). `st` is the status of the descriptor that was
 * read: its identity (st_dev, st_ino) and mode, immune to renames and links. */
struct fileio_data {
	char *data;
	size_t len;
	struct stat st;
};

/* fileio_read's error for a FIFO, device or socket (errno has no name
 * for "not a regular file"). */
#define FILEIO_ENOTREG (-1)

/*
 * Reads the regular file at `path` if it holds at most `max` bytes.
 * Returns 0 (*out holds the file), or why not: an errno value (EISDIR for
 * a directory, EFBIG for a file larger than max, or the error of open or
 * read) or FILEIO_ENOTREG.
 */
int fileio_read(const char *path, size_t max, struct fileio_data *out);

/* The words for fileio_read's error: strerror(), or "not a regular file". */
const char *fileio_strerror(int err);

/* Frees out->data (clearing it first: key files pass through here). */
void fileio_free(struct fileio_data *out);

#endif
