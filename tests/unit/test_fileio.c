/*
 * test_fileio: the one file reader (util/fileio.c): regular files only,
 * bounded, and never blocking on a FIFO.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "tap.h"

static const char *dir;

static char *path_of(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static char *write_file(const char *name, const char *text, size_t len)
{
	char *p = path_of(name);
	FILE *f = fopen(p, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		abort();
	return p;
}

static void test_regular(void)
{
	struct fileio_data f;
	char *p = write_file("a.txt", "hello\n", 6);
	struct stat st;

	is_int(fileio_read(p, 6, &f), 0, "a file of exactly max bytes is read");
	is_mem(f.data, f.len, "hello\n", 6, "its contents");
	is_int(f.data[f.len], 0, "NUL-terminated");
	stat(p, &st);
	ok(f.st.st_ino == st.st_ino && f.st.st_dev == st.st_dev,
	   "st identifies the file read");
	fileio_free(&f);
	ok(f.data == NULL && f.len == 0, "fileio_free clears");

	is_int(fileio_read(p, 5, &f), EFBIG, "one byte over max: EFBIG");
	ok(f.data == NULL, "nothing returned over max");
	free(p);

	p = write_file("empty.txt", "", 0);
	is_int(fileio_read(p, 0, &f), 0, "an empty file is read");
	is_int(f.len, 0, "... empty");
	fileio_free(&f);
	free(p);
}

static void test_refused(void)
{
	struct fileio_data f;
	char *p = path_of("missing");

	is_int(fileio_read(p, 100, &f), ENOENT, "a missing file: ENOENT");
	free(p);

	is_int(fileio_read(dir, 100, &f), EISDIR, "a directory: EISDIR");
	is_str(fileio_strerror(EISDIR), strerror(EISDIR), "its words");

	/* A FIFO with no writer would block open() and read() forever. */
	p = path_of("fifo");
	if (mkfifo(p, 0600) != 0)
		abort();
	is_int(fileio_read(p, 100, &f), FILEIO_ENOTREG,
	       "a FIFO is refused at once, not waited on");
	is_str(fileio_strerror(FILEIO_ENOTREG), "not a regular file",
	       "its words");
	unlink(p);
	free(p);

	is_int(fileio_read("/dev/null", 100, &f), FILEIO_ENOTREG,
	       "a device is refused");
}

int main(void)
{
	char *p;

	dir = tap_mkdtemp("test_fileio");
	test_regular();
	test_refused();
	p = path_of("a.txt");
	unlink(p);
	free(p);
	p = path_of("empty.txt");
	unlink(p);
	free(p);
	rmdir(dir);
	return tap_done();
}
