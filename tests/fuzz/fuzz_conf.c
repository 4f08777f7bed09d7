/*
 * fuzz_conf: the configuration loader, conf_load().
 *
 * Input: a YAML file. If it contains a line "#%inc", the bytes after that
 * line become a second file, inc.yaml, next to the main file stsd.yaml, so
 * that includes ("include: inc.yaml", "include: '*.yaml'", an included file
 * including itself) are exercised with fuzzed content too.
 *
 * Includes and the file system: conf_load() reads every file an include
 * names, so an input could make it read any file on the machine, or glob
 * its way through the whole tree (levels of "*" under "/"), which makes
 * runs slow and their results depend on the machine. Both files live in a private
 * directory made by mkdtemp() that holds nothing else, and while conf_load()
 * runs the harness confines the loader to it: open() (which the loader
 * uses for every file it reads) refuses paths outside the directory or with
 * a ".." in them, and glob() matches nothing unless the pattern names files
 * in the directory itself (no '/' after its prefix). Both wrappers override
 * the sanitizers' weak interceptors and call the C library's functions
 * through dlsym(RTLD_NEXT). Outside conf_load() they pass everything
 * through.
 *
 * Invariants (trap on violation):
 *  - NULL is returned exactly when errors were reported;
 *  - on success: the domains are sorted and unique, each is in normal form
 *    and found by conf_find_domain(); each policy is well-formed (mode,
 *    max_age, mx patterns normalised and unique, tls_rpt URIs valid, a
 *    valid id that is the derived one unless explicit, a body that is the
 *    canonical rendering of the policy and within POLICY_BODY_MAX); every
 *    location names a file that was read; conf_has_tls() agrees with the
 *    listeners; dnsrec_write() of all domains gives valid JSON.
 *
 * FUZZ_CONF_VERBOSE=1 in the environment prints the diagnostics to stderr
 * (handy when replaying one input).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <limits.h>
#include <unistd.h>

#include "conf.h"
#include "dnsrec.h"
#include "fuzz_common.h"
#include "name.h"
#include "policy.h"

#define INC_MARKER "#%inc\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];              /* realpath of the private dir */
static size_t dir_len;
static char main_path[PATH_MAX], inc_path[PATH_MAX];
static FILE *diag_out;
static bool confined;                   /* inside conf_load() */

/* ---- confinement --------------------------------------------------------- */

static bool inside_dir(const char *path)
{
	return strncmp(path, dir, dir_len) == 0 && path[dir_len] == '/';
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "open");
	if (confined && (!inside_dir(path) || strstr(path, "/..") != NULL)) {
		errno = EACCES;
		return -1;
	}
	return real(path, flags, mode);
}

int glob(const char *restrict pattern, int flags,
	 int (*errfunc)(const char *, int), glob_t *restrict g)
{
	static int (*real)(const char *restrict, int,
			   int (*)(const char *, int), glob_t *restrict);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "glob");
	if (confined && (!inside_dir(pattern) ||
			 strchr(pattern + dir_len + 1, '/'))) {
		if (!(flags & GLOB_APPEND))
			memset(g, 0, sizeof(*g));
		return GLOB_NOMATCH;
	}
	return real(pattern, flags, errfunc, g);
}

/* ---- set-up -------------------------------------------------------------- */

static void remove_dir(void)
{
	unlink(main_path);
	unlink(inc_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(tmpl, sizeof(tmpl), "%s/stsd-fuzz-conf.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir)) {
		perror("fuzz_conf: temporary directory");
		abort();
	}
	dir_len = strlen(dir);
	snprintf(main_path, sizeof(main_path), "%s/stsd.yaml", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/inc.yaml", dir);
	atexit(remove_dir);

	if (getenv("FUZZ_CONF_VERBOSE"))
		diag_out = stderr;
	else
		diag_out = fopen("/dev/null", "w");
	if (!diag_out) {
		perror("fuzz_conf: /dev/null");
		abort();
	}
	return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

/* ---- invariants ---------------------------------------------------------- */

static void check_loc(const struct conf *c, const struct loc *at)
{
	size_t i;

	if (!at->file)
		return;
	for (i = 0; i < c->n_files; i++)
		if (at->file == c->files[i])
			return;
	CHECK(!"a location names a file that the configuration does not own");
}

static void check_policy(const struct policy *p)
{
	char out[NAME_MAX_LEN + 1], id[POLICY_DERIVED_ID_DIGITS + 1];
	struct policy copy;
	size_t i, j;

	CHECK(p->domain != NULL);
	CHECK(name_normalize(p->domain, out, 0) == NULL);
	CHECK(strcmp(out, p->domain) == 0);
	CHECK(p->mode == POLICY_MODE_ENFORCE || p->mode == POLICY_MODE_TESTING ||
	      p->mode == POLICY_MODE_NONE);
	CHECK(p->max_age <= POLICY_MAX_AGE_MAX);
	for (i = 0; i < p->n_mx; i++) {
		CHECK(name_normalize(p->mx[i], out, NAME_ALLOW_WILDCARD) == NULL);
		CHECK(strcmp(out, p->mx[i]) == 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(p->mx[i], p->mx[j]) != 0);
	}
	for (i = 0; i < p->n_tls_rpt; i++)
		CHECK(dnsrec_tlsrpt_uri_check(p->tls_rpt[i]) == NULL);
	CHECK(policy_id_check(p->id) == NULL);

	CHECK(p->body != NULL);
	CHECK(p->body_len <= POLICY_BODY_MAX);
	if (!p->id_explicit) {
		policy_derive_id(p->body, p->body_len, id);
		CHECK(strcmp(id, p->id) == 0);
	}

	/* The body is the canonical rendering of the policy as loaded. */
	memset(&copy, 0, sizeof(copy));
	copy.mode = p->mode;
	copy.max_age = p->max_age;
	for (i = 0; i < p->n_mx; i++)
		if (policy_add_mx(&copy, p->mx[i]) != 1)
			abort();
	copy.id_explicit = true;
	if (policy_render(&copy) != 0)
		abort();
	CHECK(copy.body_len == p->body_len &&
	      memcmp(copy.body, p->body, p->body_len) == 0);
	policy_clear(&copy);
}

static void check_dnsrec(const struct conf *c)
{
	const struct policy **ptrs;
	struct dnsrec_opts opts = {
		c->dns_ttl, c->dns_host_cname, c->dns_host_addrs,
		c->n_dns_host_addrs,
	};
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	ptrs = fuzz_xmalloc(c->n_domains * sizeof(*ptrs));
	for (i = 0; i < c->n_domains; i++)
		ptrs[i] = &c->domains[i].policy;
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	CHECK(dnsrec_write(f, DNSREC_JSON, ptrs, c->n_domains, &opts) == 0);
	if (fclose(f) != 0)
		abort();
	CHECK(fuzz_json_check(buf, len, NULL, NULL));
	free(buf);
	free(ptrs);
}

static void check_conf(const struct conf *c)
{
	bool tls = false;
	size_t i;

	CHECK(c->path && strcmp(c->path, main_path) == 0);
	CHECK(c->n_files >= 1 && strcmp(c->files[0], main_path) == 0);
	for (i = 0; i < c->n_listeners; i++) {
		const struct conf_listener *l = &c->listeners[i];

		CHECK(l->kind == LISTEN_HTTPS || l->kind == LISTEN_HTTP ||
		      l->kind == LISTEN_UNIX);
		CHECK(l->text != NULL);
		CHECK(l->addr_len <= sizeof(l->addr));
		check_loc(c, &l->loc);
		tls = tls || l->kind == LISTEN_HTTPS;
	}
	CHECK(conf_has_tls(c) == tls);
	for (i = 0; i < c->n_certs; i++) {
		const struct conf_cert *ce = &c->certs[i];

		CHECK((ce->dir != NULL) != (ce->cert != NULL));
		CHECK((ce->cert != NULL) == (ce->key != NULL));
		check_loc(c, &ce->loc);
	}
	for (i = 0; i < c->n_domains; i++) {
		const struct conf_domain *d = &c->domains[i];

		check_policy(&d->policy);
		check_loc(c, &d->loc);
		if (i)
			CHECK(strcmp(c->domains[i - 1].policy.domain,
				     d->policy.domain) < 0);
		CHECK(conf_find_domain(c, d->policy.domain) == d);
	}
	CHECK(conf_find_domain(c, "no-such-domain.invalid.") == NULL);
	check_loc(c, &c->tls_default_host_loc);
	check_loc(c, &c->index_template_loc);
	CHECK(c->tls_priorities != NULL && c->cache_control != NULL);
	check_dnsrec(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { diag_out, 0, 0 };
	const uint8_t *inc = NULL;
	size_t main_size = size, i;
	struct conf *c;

	for (i = 0; i + strlen(INC_MARKER) <= size; i++)
		if ((i == 0 || data[i - 1] == '\n') &&
		    memcmp(data + i, INC_MARKER, strlen(INC_MARKER)) == 0) {
			main_size = i;
			inc = data + i + strlen(INC_MARKER);
			break;
		}
	write_file(main_path, data, main_size);
	if (inc)
		write_file(inc_path, inc, size - (size_t)(inc - data));
	else
		unlink(inc_path);

	confined = true;
	c = conf_load(main_path, &d);
	confined = false;

	CHECK((c == NULL) == (d.errors > 0));
	if (c)
		check_conf(c);
	conf_free(c);
	if (diag_out != stderr)
		rewind(diag_out);
	return 0;
}
