/*
 * fileio: reading a regular file whole, bounded (see fileio.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

/* Why the open descriptor fd cannot be read as a file of at most max
 * bytes (an error as fileio_read returns it), or 0. */
static int check_kind(int fd, size_t max, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return errno;
	if (S_ISDIR(st->st_mode))
		return EISDIR;
	if (!S_ISREG(st->st_mode))
		return FILEIO_ENOTREG;
	if ((uintmax_t)st->st_size > max)
		return EFBIG;
	return 0;
}

/* Reads fd to its end into a buffer of the size fstat() gave, growing it
 * when the file grew meanwhile, up to max bytes. NULL with errno set. */
static char *read_whole(int fd, size_t size, size_t max, size_t *len)
{
	size_t used = 0, cap = size + 2;
	char *buf = malloc(cap), *q;

	if (buf == NULL)
		return NULL;
	for (;;) {
		size_t want;
		ssize_t n;

		if (used + 1 == cap) {                  /* the file grew */
			if (used > max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			q = realloc(buf, cap * 2);
			if (q == NULL) {
				free(buf);
				return NULL;
			}
			buf = q;
			cap *= 2;
		}
		want = cap - used - 1;
		n = read(fd, buf + used, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buf);
			errno = saved;
			return NULL;
		}
		used += (size_t)n;
		/* A regular file returns less than asked only at its end: one
		 * read() per file when its size is as fstat() said. */
		if ((size_t)n < want)
			break;
	}
	if (used > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

int fileio_read(const char *path, size_t max, struct fileio_data *out)
{
	int fd, err;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	err = check_kind(fd, max, &out->st);
	if (err == 0) {
		out->data = read_whole(fd, (size_t)out->st.st_size, max,
		                       &out->len);
		if (out->data == NULL)
			err = errno;
	}
	close(fd);
	return err;
}

const char *fileio_strerror(int err)
{
	return err == FILEIO_ENOTREG ? "not a regular file" : strerror(err);
}

void fileio_free(struct fileio_data *out)
{
	if (out->data) {
		explicit_bzero(out->data, out->len);
		free(out->data);
	}
	out->data = NULL;
	out->len = 0;
}
