/*
 * fuzz_conf: the configuration loader, conf_load().
 *
 * Input: a YAML file. If it contains a line "#%inc", the bytes after that
 * line become a second file, inc.yaml, next to the main file stsd.yaml, so
 * that includes ("include: inc.yaml", "include: '*.yaml'", an included file
 * including itself) are exercised with fuzzed content too.
 *
 * Files: conf_load_from() reads through an in-memory source that knows
 * exactly those two files (/fuzz/stsd.yaml and /fuzz/inc.yaml): no file on
 * the machine is read, and an include pattern matches (fnmatch) only those
 * two names, so runs are fast and the same on every machine.
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

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>

#include "conf.h"
#include "dnsrec.h"
#include "fuzz_common.h"
#include "name.h"
#include "policy.h"

#define INC_MARKER "#%inc\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char main_path[] = "/fuzz/stsd.yaml";
static const char inc_path[] = "/fuzz/inc.yaml";

/* The two files of one input; inc is NULL when the input has none. */
static struct {
	const uint8_t *main, *inc;
	size_t main_size, inc_size;
} files;

static FILE *diag_out;

/* ---- the in-memory source ------------------------------------------------ */

static int mem_read(void *ctx, const char *path, size_t max,
                    struct fileio_data *out)
{
	const uint8_t *data = files.main;
	size_t size = files.main_size;

	memset(out, 0, sizeof(*out));
	if (strcmp(path, inc_path) == 0 && files.inc) {
		data = files.inc;
		size = files.inc_size;
		out->st.st_ino = 2;
	} else if (strcmp(path, main_path) == 0) {
		out->st.st_ino = 1;
	} else {
		return ENOENT;
	}
	if (size > max)
		return EFBIG;
	out->st.st_dev = 1;
	out->st.st_mode = S_IFREG | 0644;
	out->data = fuzz_xmalloc(size + 1);
	memcpy(out->data, data, size);
	out->data[size] = '\0';
	out->len = size;
	return 0;
}

static int mem_expand(void *ctx, const char *pattern, char ***paths, size_t *n)
{
	const char *names[2] = { inc_path, main_path };   /* sorted */
	size_t i;

	*n = 0;
	*paths = fuzz_xmalloc(2 * sizeof(**paths));
	for (i = 0; i < 2; i++)
		if ((names[i] != inc_path || files.inc) &&
		    fnmatch(pattern, names[i], FNM_PATHNAME | FNM_PERIOD) == 0)
			(*paths)[(*n)++] = strdup(names[i]);
	if (*n == 0) {
		free(*paths);
		*paths = NULL;
		return CONF_SOURCE_NOMATCH;
	}
	return 0;
}

static const struct conf_source mem_source = { mem_read, mem_expand, NULL };

/* ---- set-up -------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
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
	files.main = data;
	files.main_size = main_size;
	files.inc = inc;
	files.inc_size = inc ? size - (size_t)(inc - data) : 0;

	c = conf_load_from(main_path, &mem_source, &d);

	CHECK((c == NULL) == (d.errors > 0));
	if (c)
		check_conf(c);
	conf_free(c);
	if (diag_out != stderr)
		rewind(diag_out);
	return 0;
}
