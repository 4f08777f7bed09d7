/*
 * tls_load: reading and checking certificates and keys for the tls store.
 *
 * Certificate entries
 * -------------------
 * A "cert:/key:" pair is one PEM chain (leaf first, then the intermediates)
 * and one unencrypted PEM private key (RSA, ECDSA or Ed25519).
 *
 * A "dir:" entry is a directory holding any number of pairs, in either or
 * both of two layouts (entries starting with '.' are ignored):
 *   (a) flat:    DIR/NAME.pem (chain) next to DIR/NAME.key (key);
 *   (b) certbot: DIR/NAME/fullchain.pem and DIR/NAME/privkey.pem, so that
 *                "dir: /etc/letsencrypt/live" works as it is.
 * Anything else in DIR (certbot's README, other files, subdirectories
 * without fullchain.pem) is ignored. A NAME.pem without NAME.key, a NAME.key
 * without NAME.pem, and a NAME/ with fullchain.pem but no privkey.pem are
 * warned about and skipped. Which name a chain serves comes from its SANs,
 * never from NAME.
 *
 * Everything is read, parsed and checked in tls_store_load(), never on the
 * request path (no file I/O, no error found late). The store then keeps
 * each leaf and key as DER and drops GnuTLS's parsed objects (most of the
 * memory a domain costs); a full handshake parses its chain's again,
 * through a small cache (tls_material.c). What makes loading cost is
 * GnuTLS's ASN.1 parsing, so loading parses nothing twice: an
 * intermediate that many chains send is parsed once and shared (see
 * "shared intermediates"),
 * an elliptic-curve key is matched to its certificate by curve and point,
 * not by DER-encoding both public keys to hash them, and the SAN extension
 * is decoded once. The pairs are independent: they are parsed on one
 * thread per usable CPU (see "the plan"), and a directory's listing
 * answers "does NAME.key exist" without a stat() each.
 *
 * Every problem is reported through diag with the location of the entry
 * that named the file; tls_store_load() returns no store when any was an
 * error. Selection and handshakes are in tls.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "conf.h"
#include "diag.h"
#include "fileio.h"
#include "name.h"
#include "sha256.h"
#include "tls.h"
#include "tls_internal.h"

/* Names waiting for a first ACME certificate warned about one by one. */
#define TLS_ACME_WAITING_NAMED 10

/* PEM files bigger than this are not certificates or keys we want. */
#define TLS_MAX_PEM_FILE (1024 * 1024)

/* An intermediate certificate already loaded, keyed by its DER's SHA-256:
 * the parsed certificate (for the issuer checks, freed when loading ends)
 * and its pcert (the store's, shared by every chain that sends it). */
struct shared_cert {
	unsigned char digest[SHA256_DIGEST_LEN];
	gnutls_x509_crt_t crt;
	gnutls_pcert_st *pcert;
	bool in_store;                  /* a chain sends it: the store owns
	                                 * pcert; else shared_free() frees it */
};

/* The intermediates of one load, shared by the loading threads. Entries
 * are allocated one by one, so a pointer to one stays valid while the
 * table grows; `lock` guards the table, in_store and the store's list of
 * shared pcerts. An entry's crt is only read once it is in the table. */
struct shared_table {
	pthread_mutex_t lock;
	struct shared_cert **slots;     /* open addressing, power of two */
	size_t n, cap;
};

/* State while loading one configuration (a copy per loading thread, each
 * with its own diag). */
struct loader {
	const struct conf *c;
	struct diag *d;
	struct tls_store *s;
	time_t now;
	bool oom_reported;
	struct shared_table *shared;
	const struct hostmap *live;     /* the live store's chains by file,
	                                 * or NULL (see chain_reuse) */
};

/* ---- small helpers ------------------------------------------------------- */

static const struct loc *loc_or(const struct loc *specific,
                                const struct loc *fallback)
{
	return specific->file != NULL ? specific : fallback;
}

static void report_oom(struct loader *l, const struct loc *at)
{
	if (!l->oom_reported)
		diag_error(l->d, at, "out of memory");
	l->oom_reported = true;
}

static void format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	char *p = malloc(dl + nl + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (!slash)
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t sl = strlen(s), xl = strlen(suffix);

	return sl > xl && strcmp(s + sl - xl, suffix) == 0;
}

/*
 * Reads a PEM file (a regular file of at most TLS_MAX_PEM_FILE bytes) into
 * out (NUL-terminated, not counted in out->size; caller frees with
 * free_key_buffer when it held a key). `st` gets the file's status. 0, or
 * fileio_read's error.
 */
static int read_pem(const char *path, gnutls_datum_t *out, struct stat *st)
{
	struct fileio_data f;
	int err = fileio_read(path, TLS_MAX_PEM_FILE, &f);

	if (err)
		return err;
	*st = f.st;
	out->data = (unsigned char *)f.data;
	out->size = (unsigned)f.len;
	return 0;
}

static void free_key_buffer(gnutls_datum_t *data)
{
	if (data->data == NULL)
		return;
	explicit_bzero(data->data, data->size);
	free(data->data);
	data->data = NULL;
}

/* ---- chains -------------------------------------------------------------- */

static void free_crt_list(gnutls_x509_crt_t *crts, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* Index of the first certificate not issued by its successor, or n. */
static unsigned first_chain_break(gnutls_x509_crt_t *crts, unsigned n)
{
	unsigned i;

	for (i = 0; i + 1 < n; i++)
		if (!gnutls_x509_crt_check_issuer(crts[i], crts[i + 1]))
			return i;
	return n;
}

/*
 * Parses the PEM chain in `data`. A chain that is out of order (or carries
 * unrelated certificates) is warned about and sorted by GnuTLS, which keeps
 * the leaf first and drops what does not belong. Caller frees *crts with
 * free_crt_list. 0, or -1 after reporting.
 */
/* The warning for a chain sent sorted; `brk` from first_chain_break(). */
static void warn_chain_order(struct loader *l, const char *path,
                             const struct loc *at, unsigned brk)
{
	diag_warning(l->d, at, "certificates in %s are not a chain in order "
	             "(certificate %u is not issued by certificate %u); "
	             "sending them sorted", path, brk + 1, brk + 2);
}

static int parse_chain(struct loader *l, const char *path,
                       const struct loc *at, const gnutls_datum_t *data,
                       gnutls_x509_crt_t **crts, unsigned *n,
                       unsigned *sorted_at)
{
	unsigned brk;
	int ret;

	ret = gnutls_x509_crt_list_import2(crts, n, data,
	                                   GNUTLS_X509_FMT_PEM, 0);
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		diag_error(l->d, at, "no certificate found in %s", path);
		return -1;
	}
	if (ret < 0) {
		diag_error(l->d, at, "cannot parse certificates in %s: %s",
		           path, gnutls_strerror(ret));
		return -1;
	}
	if (gnutls_x509_crt_get_ca_status((*crts)[0], NULL) > 0) {
		diag_error(l->d, at, "the first certificate in %s is a CA "
		           "certificate; the server's own certificate must "
		           "come first", path);
		free_crt_list(*crts, *n);
		return -1;
	}
	brk = first_chain_break(*crts, *n);
	if (brk == *n)
		return 0;

	warn_chain_order(l, path, at, brk);
	*sorted_at = brk + 1;
	free_crt_list(*crts, *n);
	ret = gnutls_x509_crt_list_import2(crts, n, data, GNUTLS_X509_FMT_PEM,
	                                   GNUTLS_X509_CRT_LIST_SORT);
	if (ret < 0) {
		diag_error(l->d, at, "cannot sort certificates in %s: %s",
		           path, gnutls_strerror(ret));
		return -1;
	}
	return 0;
}

/* Lowercases a SAN dNSName in place; false when it cannot be a host name
 * or wildcard we could ever match (empty, odd bytes). One trailing dot is
 * dropped. */
static bool normalise_san(char *name, size_t len)
{
	size_t i;

	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch >= 'A' && ch <= 'Z')
			name[i] = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		           ch == '-' || ch == '.' || ch == '*'))
			return false;
	}
	return true;
}

/* Appends `len` bytes and a NUL to the growing buffer *buf. -1 on ENOMEM. */
static int append_name(char **buf, size_t *used, size_t *cap,
                       const char *name, size_t len)
{
	if (*used + len + 1 > *cap) {
		size_t ncap = *cap ? 2 * *cap : 128;
		char *nb;

		while (ncap < *used + len + 1)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *used, name, len);
	(*buf)[*used + len] = '\0';
	*used += len + 1;
	return 0;
}

/* ch->names from `n` NUL-terminated names in buf: one allocation, the
 * pointers first, the strings after them. -1 on ENOMEM. */
static int set_names(struct tls_chain *ch, const char *buf, size_t used,
                     size_t n)
{
	char *strings;

	if (n == 0)
		return 0;
	ch->names = malloc(n * sizeof(*ch->names) + used);
	if (ch->names == NULL)
		return -1;
	strings = (char *)(ch->names + n);
	memcpy(strings, buf, used);
	for (size_t i = 0; i < n; i++) {
		ch->names[i] = strings;
		strings += strlen(strings) + 1;
	}
	ch->n_names = n;
	return 0;
}

/* Collects the leaf's SAN dNSNames into ch->names. They are read from
 * what gnutls_x509_crt_import() already decoded (it parses the SAN for its
 * own name checks, and refuses a certificate whose SAN does not decode):
 * decoding the extension again cost a tenth of a pair's load time. The
 * size GnuTLS returns counts every byte, so a name with a NUL inside fails
 * normalise_san(); a name too long for the buffer is skipped. -1 on
 * ENOMEM. */
static int collect_names(struct tls_chain *ch, gnutls_x509_crt_t leaf)
{
	char *buf = NULL;
	size_t used = 0, cap = 0, n = 0;
	int rc = 0;

	for (unsigned seq = 0;; seq++) {
		char name[NAME_MAX_LEN + 2];
		size_t size = sizeof(name);
		int type = gnutls_x509_crt_get_subject_alt_name(leaf, seq, name,
		                                                &size, NULL);

		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;       /* too long to be a host name */
		if (type < 0)
			break;
		if (type != GNUTLS_SAN_DNSNAME || !normalise_san(name, size))
			continue;
		if (append_name(&buf, &used, &cap, name, strlen(name)) < 0) {
			rc = -1;
			goto out;
		}
		n++;
	}
	rc = set_names(ch, buf, used, n);
out:
	free(buf);
	return rc;
}

/* Validity period and SAN presence of the leaf. */
static void check_leaf(struct loader *l, const char *path,
                       const struct loc *at, const struct tls_chain *ch)
{
	time_t not_before = ch->not_before;
	time_t not_after = ch->not_after;
	time_t warn = (time_t)l->c->tls_expiry_warn_days * 86400;
	char date[64];

	if (not_after == (time_t)-1 || not_before == (time_t)-1) {
		diag_error(l->d, at, "cannot read the validity period of the "
		           "certificate in %s", path);
	} else if (not_after < l->now) {
		format_utc(not_after, date, sizeof(date));
		diag_error(l->d, at, "certificate %s expired on %s", path, date);
	} else if (not_before > l->now) {
		format_utc(not_before, date, sizeof(date));
		diag_error(l->d, at, "certificate %s is not valid before %s",
		           path, date);
	} else if (warn > 0 && not_after - l->now <= warn) {
		long long days = (not_after - l->now + 86399) / 86400;

		format_utc(not_after, date, sizeof(date));
		diag_warning(l->d, at, "certificate %s expires on %s (in %lld "
		             "day%s)", path, date, days, days == 1 ? "" : "s");
	}
	if (ch->n_names == 0)
		diag_error(l->d, at, "certificate %s has no DNS name in its "
		           "subjectAltName (RFC 8461 section 3.3 needs one; a "
		           "name only in the CN does not count)", path);
}

/* ---- shared intermediates ------------------------------------------------ */

/*
 * Chains from one CA carry the same intermediates: each distinct one is
 * parsed once, its pcert owned by the store (s->shared) and copied
 * (shallow) into every chain that sends it. Only a plain file takes this
 * path: PEM blocks "-----BEGIN CERTIFICATE-----", at least two, in chain
 * order, each parsing. Anything else (one certificate, another PEM label,
 * an undecodable block, a chain out of order, a CA first) goes through
 * parse_chain(), the general path, which reports it exactly as before.
 */

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"
#define MAX_FAST_CHAIN 8

static size_t count_str(const char *text, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	for (const char *p = strstr(text, needle); p != NULL;
	     p = strstr(p + len, needle))
		n++;
	return n;
}

/* The blocks of a plain chain file: 0 when it is not one. */
static unsigned split_pem(const char *text, gnutls_datum_t *blocks,
                          unsigned max)
{
	size_t n = count_str(text, PEM_CERT_BEGIN);
	const char *p = text;
	unsigned i;

	if (n < 2 || n > max || n != count_str(text, "-----BEGIN") ||
	    n != count_str(text, PEM_CERT_END))
		return 0;
	for (i = 0; i < n; i++) {
		const char *b = strstr(p, PEM_CERT_BEGIN);
		const char *e = b ? strstr(b, PEM_CERT_END) : NULL;

		if (e == NULL)
			return 0;
		e += strlen(PEM_CERT_END);
		blocks[i].data = (unsigned char *)(uintptr_t)b;
		blocks[i].size = (unsigned)(e - b);
		p = e;
	}
	return (unsigned)n;
}

/* SHA-256 through GnuTLS: nettle's code for this CPU (SHA-NI where there is
 * one) hashes an intermediate five times as fast as the portable
 * core/sha256.c, which gives the same digest when GnuTLS cannot. */
static void digest_sha256(const void *data, size_t len,
                          unsigned char digest[SHA256_DIGEST_LEN])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, digest) < 0)
		sha256(data, len, digest);
}

static size_t digest_slot(const unsigned char *digest, size_t cap)
{
	size_t h;

	memcpy(&h, digest, sizeof(h));  /* SHA-256 output is uniform */
	return h & (cap - 1);
}

/* Under t->lock. */
static struct shared_cert *shared_find(const struct shared_table *t,
                                       const unsigned char *digest)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = digest_slot(digest, t->cap); t->slots[i] != NULL;
	     i = (i + 1) & (t->cap - 1))
		if (memcmp(t->slots[i]->digest, digest, SHA256_DIGEST_LEN) == 0)
			return t->slots[i];
	return NULL;
}

/* Under t->lock: room for one more entry (load factor at most 1/2). -1 on
 * ENOMEM. */
static int shared_reserve(struct shared_table *t)
{
	struct shared_cert **old = t->slots, **nt;
	size_t old_cap = t->cap, ncap, i;

	if (2 * (t->n + 1) <= t->cap)
		return 0;
	ncap = old_cap ? 2 * old_cap : 16;
	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	for (i = 0; i < old_cap; i++) {
		size_t j;

		if (old[i] == NULL)
			continue;
		for (j = digest_slot(old[i]->digest, ncap); nt[j] != NULL;
		     j = (j + 1) & (ncap - 1))
			;
		nt[j] = old[i];
	}
	free(old);
	t->slots = nt;
	t->cap = ncap;
	return 0;
}

/* The store takes a pcert it will free. -1 on ENOMEM. */
static int store_keep_pcert(struct tls_store *s, gnutls_pcert_st *pc)
{
	if (s->n_shared == s->cap_shared) {
		size_t ncap = s->cap_shared ? 2 * s->cap_shared : 8;
		gnutls_pcert_st **n = realloc(s->shared, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		s->shared = n;
		s->cap_shared = ncap;
	}
	s->shared[s->n_shared++] = pc;
	return 0;
}

/* Under t->lock: parses the intermediate `der` into a new entry. */
static struct shared_cert *shared_add(struct shared_table *t,
                                      const gnutls_datum_t *der,
                                      const unsigned char *digest)
{
	struct shared_cert *e = calloc(1, sizeof(*e));
	size_t i;

	if (e == NULL)
		return NULL;
	memcpy(e->digest, digest, SHA256_DIGEST_LEN);
	if (gnutls_x509_crt_init(&e->crt) < 0) {
		free(e);
		return NULL;
	}
	if (gnutls_x509_crt_import(e->crt, der, GNUTLS_X509_FMT_DER) < 0 ||
	    (e->pcert = calloc(1, sizeof(*e->pcert))) == NULL ||
	    gnutls_pcert_import_x509(e->pcert, e->crt, 0) < 0 ||
	    shared_reserve(t) < 0) {
		if (e->pcert != NULL && e->pcert->cert.data != NULL)
			gnutls_pcert_deinit(e->pcert);
		free(e->pcert);
		gnutls_x509_crt_deinit(e->crt);
		free(e);
		return NULL;
	}
	for (i = digest_slot(digest, t->cap); t->slots[i] != NULL;
	     i = (i + 1) & (t->cap - 1))
		;
	t->slots[i] = e;
	t->n++;
	return e;
}

/* The shared entry for one intermediate's DER, parsing and adding it
 * when it is new; NULL when it does not parse (or ENOMEM). */
static struct shared_cert *shared_get_der(struct loader *l,
                                          const gnutls_datum_t *der)
{
	struct shared_table *t = l->shared;
	unsigned char digest[SHA256_DIGEST_LEN];
	struct shared_cert *e;

	digest_sha256(der->data, der->size, digest);
	/* A new intermediate is parsed under the lock: rare (one per CA),
	 * and no other thread parses it a second time meanwhile. */
	pthread_mutex_lock(&t->lock);
	e = shared_find(t, digest);
	if (e == NULL)
		e = shared_add(t, der, digest);
	pthread_mutex_unlock(&t->lock);
	return e;
}

/* The shared entry for one intermediate's PEM block, parsing and adding
 * it when it is new; NULL when it does not decode or parse (or ENOMEM):
 * the caller falls back to the general path. */
static struct shared_cert *shared_get(struct loader *l,
                                      const gnutls_datum_t *block)
{
	gnutls_datum_t der = { NULL, 0 };
	struct shared_cert *e;

	if (gnutls_pem_base64_decode2("CERTIFICATE", block, &der) < 0)
		return NULL;
	e = shared_get_der(l, &der);
	gnutls_free(der.data);
	return e;
}

/* The store takes e's pcert (once), for a chain that sends it. -1 on
 * ENOMEM. */
static int shared_keep(struct loader *l, struct shared_cert *e)
{
	int rc = 0;

	pthread_mutex_lock(&l->shared->lock);
	if (!e->in_store) {
		rc = store_keep_pcert(l->s, e->pcert);
		e->in_store = rc == 0;
	}
	pthread_mutex_unlock(&l->shared->lock);
	return rc;
}

static struct shared_table *shared_new(void)
{
	struct shared_table *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

/* Frees the parsed intermediates; the pcerts the store took stay. */
static void shared_free(struct shared_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++) {
		struct shared_cert *e = t->slots[i];

		if (e == NULL)
			continue;
		gnutls_x509_crt_deinit(e->crt);
		if (!e->in_store) {
			gnutls_pcert_deinit(e->pcert);
			free(e->pcert);
		}
		free(e);
	}
	free(t->slots);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The leaf as DER for ch->leaf (what GnuTLS parsed, byte for byte). -1 on
 * ENOMEM. */
static int keep_leaf(struct tls_chain *ch, gnutls_x509_crt_t leaf)
{
	return gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_DER,
	                               &ch->leaf) < 0 ? -1 : 0;
}

/* Clears what a failed fast path put in ch, for the general path. */
static void chain_reset(struct tls_chain *ch)
{
	free(ch->names);
	ch->names = NULL;
	ch->n_names = 0;
	gnutls_free(ch->leaf.data);
	ch->leaf.data = NULL;
	ch->leaf.size = 0;
	if (ch->icas_alloc)
		free(ch->icas);
	ch->icas = NULL;
	ch->n_icas = 0;
	ch->icas_alloc = false;
}

/*
 * The fast path of load_chain for a plain chain file in `text`: 1 when the
 * chain was loaded into ch (leaf kept as DER and returned parsed in *leaf,
 * intermediates shared), 0 when the file must take the general path, -1
 * after reporting an error.
 */
static int load_chain_shared(struct loader *l, struct tls_chain *ch,
                             const char *path, const struct loc *at,
                             const gnutls_datum_t *data,
                             gnutls_x509_crt_t *leaf_out)
{
	const char *text = (const char *)data->data;
	gnutls_datum_t blocks[MAX_FAST_CHAIN];
	struct shared_cert *ica[MAX_FAST_CHAIN];
	gnutls_x509_crt_t leaf = NULL;
	unsigned n, i;
	int rc = 0;

	if (strlen(text) != data->size)
		return 0;       /* a NUL inside: what follows it counts too */
	n = split_pem(text, blocks, MAX_FAST_CHAIN);
	if (n == 0)
		return 0;
	if (gnutls_x509_crt_init(&leaf) < 0)
		return 0;
	if (gnutls_x509_crt_import(leaf, &blocks[0], GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_ca_status(leaf, NULL) > 0)
		goto out;
	for (i = 1; i < n; i++) {
		ica[i] = shared_get(l, &blocks[i]);
		if (ica[i] == NULL)
			goto out;
		if (!gnutls_x509_crt_check_issuer(i == 1 ? leaf :
		                                  ica[i - 1]->crt, ica[i]->crt))
			goto out;       /* out of order: warned about there */
	}

	ch->not_before = gnutls_x509_crt_get_activation_time(leaf);
	ch->not_after = gnutls_x509_crt_get_expiration_time(leaf);
	if (collect_names(ch, leaf) < 0 || keep_leaf(ch, leaf) < 0)
		goto oom;
	check_leaf(l, path, at, ch);
	for (i = 1; i < n; i++)
		if (shared_keep(l, ica[i]) < 0)
			goto oom;
	if (n == 2) {
		ch->icas = ica[1]->pcert;       /* the common case: no copy */
	} else {
		ch->icas = calloc(n - 1, sizeof(*ch->icas));
		if (ch->icas == NULL)
			goto oom;
		ch->icas_alloc = true;
		for (i = 1; i < n; i++)
			ch->icas[i - 1] = *ica[i]->pcert;
	}
	ch->n_icas = n - 1;
	ch->icas_owned = false;
	*leaf_out = leaf;
	return 1;
oom:
	report_oom(l, at);
	rc = -1;
out:
	chain_reset(ch);
	gnutls_x509_crt_deinit(leaf);
	return rc;
}

/*
 * Reads and checks the chain file into ch (leaf, icas, names, not_after);
 * the leaf parsed in *leaf (the caller deinits it), the status of the file
 * read in *st. 0, or -1 after reporting.
 */
static int load_chain(struct loader *l, struct tls_chain *ch,
                      const char *path, const struct loc *at,
                      gnutls_x509_crt_t *leaf, struct stat *st)
{
	gnutls_datum_t data = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0, n_icas;
	int err;
	int ret;

	err = read_pem(path, &data, st);
	if (err) {
		diag_error(l->d, at, "cannot read %s: %s", path,
		           fileio_strerror(err));
		return -1;
	}
	ret = load_chain_shared(l, ch, path, at, &data, leaf);
	if (ret != 0) {
		free(data.data);
		return ret < 0 ? -1 : 0;
	}
	ret = parse_chain(l, path, at, &data, &crts, &n, &ch->sorted_at);
	free(data.data);
	if (ret < 0)
		return -1;

	ch->not_before = gnutls_x509_crt_get_activation_time(crts[0]);
	ch->not_after = gnutls_x509_crt_get_expiration_time(crts[0]);
	if (collect_names(ch, crts[0]) < 0 || keep_leaf(ch, crts[0]) < 0)
		goto oom;
	check_leaf(l, path, at, ch);

	if (n > 1) {
		ch->icas = calloc(n - 1, sizeof(*ch->icas));
		if (ch->icas == NULL)
			goto oom;
		n_icas = n - 1;
		ret = gnutls_pcert_import_x509_list(ch->icas, crts + 1,
		                                    &n_icas, 0);
		if (ret < 0) {
			diag_error(l->d, at, "cannot use certificates in %s: %s",
			           path, gnutls_strerror(ret));
			free(ch->icas);
			ch->icas = NULL;
			free_crt_list(crts, n);
			return -1;
		}
		ch->n_icas = n_icas;
		ch->icas_owned = true;
		ch->icas_alloc = true;
	}
	*leaf = crts[0];
	crts[0] = NULL;
	for (unsigned i = 1; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return 0;
oom:
	free_crt_list(crts, n);
	report_oom(l, at);
	return -1;
}

/* Says why the key in `text` (the file's NUL-terminated contents) did not
 * import with GnuTLS error `ret`: the common causes get their own words. */
static void report_key_error(struct loader *l, const char *path,
                             const struct loc *at, const char *text, int ret)
{
	if (strstr(text, "PRIVATE KEY-----") == NULL)
		diag_error(l->d, at, "no private key found in %s", path);
	else if (strstr(text, "ENCRYPTED") != NULL)
		diag_error(l->d, at, "private key %s is encrypted; stsd needs "
		           "it unencrypted", path);
	else
		diag_error(l->d, at, "cannot load private key %s: %s", path,
		           gnutls_strerror(ret));
}

/*
 * The DER of the first PEM block of `pem` (NUL-terminated) whose label is
 * one GnuTLS's DER import reads back (PKCS #8, PKCS #1, SEC 1, DSA): the
 * block its PEM import took. -1 when there is none (an OpenSSH key, say:
 * keep_key() then keeps GnuTLS's own export).
 */
static int key_block_der(const gnutls_datum_t *pem, gnutls_datum_t *der)
{
	static const char *const labels[] = {
		"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
		"DSA PRIVATE KEY",
	};
	static const char begin[] = "-----BEGIN ";
	const char *text = (const char *)pem->data, *p;

	for (p = strstr(text, begin); p != NULL; p = strstr(p + 1, begin)) {
		const char *label = p + sizeof(begin) - 1;

		for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
			size_t len = strlen(labels[i]);
			gnutls_datum_t block;

			if (strncmp(label, labels[i], len) != 0 ||
			    strncmp(label + len, "-----", 5) != 0)
				continue;
			block.data = (unsigned char *)(uintptr_t)p;
			block.size = pem->size - (unsigned)(p - text);
			return gnutls_pem_base64_decode2(labels[i], &block,
			                                 der) < 0 ? -1 : 0;
		}
	}
	return -1;
}

/* The key for ch->key: the DER of the file's key block, or else (a key
 * GnuTLS read in another format) its own unencrypted PKCS #8 export, which
 * it imports back for every key type. -1 on ENOMEM. */
static int keep_key(struct tls_chain *ch, gnutls_privkey_t key,
                    const gnutls_datum_t *pem)
{
	gnutls_x509_privkey_t x = NULL;
	int ret;

	if (key_block_der(pem, &ch->key) == 0)
		return 0;
	ret = gnutls_privkey_export_x509(key, &x);
	if (ret >= 0)
		ret = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_DER,
		                                        NULL, GNUTLS_PKCS_PLAIN,
		                                        &ch->key);
	gnutls_x509_privkey_deinit(x);
	return ret < 0 ? -1 : 0;
}

/* Reads and parses the key file into *key; also refuses loose
 * permissions. 0, or -1 after reporting (*key NULL when it did not
 * parse). `pem` gets the file's contents (free_key_buffer), *st the
 * status of the file read. */
static int load_key(struct loader *l, gnutls_privkey_t *key,
                    gnutls_datum_t *pem, const char *path,
                    const struct loc *at, struct stat *st)
{
	int ret, rc = 0, err;

	*key = NULL;
	err = read_pem(path, pem, st);
	if (err) {
		diag_error(l->d, at, "cannot read %s: %s", path,
		           fileio_strerror(err));
		return -1;
	}
	if ((st->st_mode & 077) != 0) {
		diag_error(l->d, at, "key file %s is readable by group or "
		           "others (mode %04o); chmod 600 it", path,
		           (unsigned)(st->st_mode & 07777));
		rc = -1;
	}
	ret = gnutls_privkey_init(key);
	if (ret < 0) {
		*key = NULL;
		report_oom(l, at);
		return -1;
	}
	ret = gnutls_privkey_import_x509_raw(*key, pem, GNUTLS_X509_FMT_PEM,
	                                     NULL, 0);
	if (ret < 0) {
		report_key_error(l, path, at, (const char *)pem->data, ret);
		gnutls_privkey_deinit(*key);
		*key = NULL;
		rc = -1;
	}
	return rc;
}

/*
 * For elliptic-curve keys (ECDSA, Ed25519, Ed448): 1 when the private key's
 * public point and curve are the certificate's, 0 when not, -1 when this
 * cannot tell (other algorithms, or an export failed). Equal curve and point
 * is equal SubjectPublicKeyInfo, what the key IDs compare, at a fortieth of
 * the cost (no DER encoding, no hashing).
 */
static int ecc_key_match(gnutls_privkey_t key, gnutls_pubkey_t pub)
{
	gnutls_datum_t kx = { NULL, 0 }, ky = { NULL, 0 };
	gnutls_datum_t px = { NULL, 0 }, py = { NULL, 0 };
	gnutls_ecc_curve_t kc, pc;
	int ka = gnutls_privkey_get_pk_algorithm(key, NULL);
	int rc = -1;

	if (ka != gnutls_pubkey_get_pk_algorithm(pub, NULL) ||
	    (ka != GNUTLS_PK_ECDSA && ka != GNUTLS_PK_EDDSA_ED25519 &&
	     ka != GNUTLS_PK_EDDSA_ED448))
		return -1;
	if (gnutls_privkey_export_ecc_raw2(key, &kc, &kx, &ky, NULL, 0) >= 0 &&
	    gnutls_pubkey_export_ecc_raw2(pub, &pc, &px, &py, 0) >= 0)
		rc = kc == pc && kx.size == px.size && ky.size == py.size &&
		     memcmp(kx.data, px.data, kx.size) == 0 &&
		     (ky.size == 0 || memcmp(ky.data, py.data, ky.size) == 0);
	gnutls_free(kx.data);
	gnutls_free(ky.data);
	gnutls_free(px.data);
	gnutls_free(py.data);
	return rc;
}

/* Compares the key IDs (SHA-256 of the SubjectPublicKeyInfo) of the leaf's
 * public key `cert_pub` and of the private key's public half. */
static void check_key_match(struct loader *l, gnutls_pubkey_t cert_pub,
                            gnutls_privkey_t key, const char *cert_path,
                            const char *key_path, const struct loc *key_at)
{
	unsigned char cert_id[64], key_id[64];
	size_t cert_id_len = sizeof(cert_id), key_id_len = sizeof(key_id);
	gnutls_pubkey_t pub;
	int ret;

	switch (ecc_key_match(key, cert_pub)) {
	case 1:
		return;
	case 0:
		diag_error(l->d, key_at, "private key %s does not match "
		           "certificate %s", key_path, cert_path);
		return;
	default:
		break;  /* compare the key IDs */
	}
	if (gnutls_pubkey_init(&pub) < 0) {
		report_oom(l, key_at);
		return;
	}
	ret = gnutls_pubkey_import_privkey(pub, key, 0, 0);
	if (ret >= 0)
		ret = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256,
		                               key_id, &key_id_len);
	if (ret >= 0)
		ret = gnutls_pubkey_get_key_id(cert_pub,
		                               GNUTLS_KEYID_USE_SHA256,
		                               cert_id, &cert_id_len);
	gnutls_pubkey_deinit(pub);
	if (ret < 0)
		diag_error(l->d, key_at, "cannot compare private key %s with "
		           "certificate %s: %s", key_path, cert_path,
		           gnutls_strerror(ret));
	else if (cert_id_len != key_id_len ||
	         memcmp(cert_id, key_id, key_id_len) != 0)
		diag_error(l->d, key_at, "private key %s does not match "
		           "certificate %s", key_path, cert_path);
}

static int store_add(struct tls_store *s, struct tls_chain *ch)
{
	if (s->n_chains == s->cap_chains) {
		size_t ncap = s->cap_chains ? 2 * s->cap_chains : 16;
		struct tls_chain **nc = realloc(s->chains, ncap * sizeof(*nc));

		if (nc == NULL)
			return -1;
		s->chains = nc;
		s->cap_chains = ncap;
	}
	ch->order = s->n_chains;
	s->chains[s->n_chains++] = ch;
	return 0;
}

/* The leaf's public key, as a handshake will parse it. NULL after
 * reporting. */
static gnutls_pubkey_t leaf_pubkey(struct loader *l, gnutls_x509_crt_t leaf,
                                   const char *path, const struct loc *at)
{
	gnutls_pubkey_t pub;
	int ret = gnutls_pubkey_init(&pub);

	if (ret < 0) {
		report_oom(l, at);
		return NULL;
	}
	ret = gnutls_pubkey_import_x509(pub, leaf, 0);
	if (ret < 0) {
		diag_error(l->d, at, "cannot use certificates in %s: %s", path,
		           gnutls_strerror(ret));
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	return pub;
}

/* ---- chains the live store already has ----------------------------------- */

/*
 * A reload (and each swap of new ACME certificates) loads the whole store
 * again, but most files have not changed: a pair whose two files stat()
 * as they did when the live store read them (device, inode, size, mode,
 * owner, modification and change times to the nanosecond), with the same
 * key path, is copied from the live store instead of parsed (a few
 * microseconds instead of eighty). The copy reports what parsing it would:
 * the order warning it had, and the validity checks, which depend on the
 * time, made again. A live chain had no error (a store with one never goes
 * live), and its key file's mode is part of what is compared.
 */

struct file_sig {
	uint64_t dev, ino, size, mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint64_t mode, uid;
};

static void file_sig(struct file_sig *f, const struct stat *st)
{
	*f = (struct file_sig){
		.dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_s = (uint64_t)st->st_mtim.tv_sec,
		.mtime_ns = (uint64_t)st->st_mtim.tv_nsec,
		.ctime_s = (uint64_t)st->st_ctim.tv_sec,
		.ctime_ns = (uint64_t)st->st_ctim.tv_nsec,
		.mode = (uint64_t)st->st_mode, .uid = (uint64_t)st->st_uid,
	};
}

struct pair_sig {
	struct file_sig cert, key;
	char key_path[PATH_MAX];
};

/* What identifies the two files of a pair with these statuses; 0 when
 * the key path is too long (it never matches: a real id of 0 only costs a
 * parse). */
static uint64_t pair_sig_id(const struct stat *cst, const struct stat *kst,
                            const char *key_path)
{
	struct pair_sig buf;
	unsigned char digest[SHA256_DIGEST_LEN];
	size_t klen = strlen(key_path);
	uint64_t id;

	if (klen >= sizeof(buf.key_path))
		return 0;
	file_sig(&buf.cert, cst);
	file_sig(&buf.key, kst);
	memcpy(buf.key_path, key_path, klen);
	digest_sha256(&buf, offsetof(struct pair_sig, key_path) + klen, digest);
	memcpy(&id, digest, sizeof(id));
	return id;
}

/* The id of the two files of a pair as they are now; 0 when either cannot
 * be stat()ed. */
static uint64_t pair_id(const char *cert_path, const char *key_path)
{
	struct stat cst, kst;

	if (stat(cert_path, &cst) != 0 || stat(key_path, &kst) != 0)
		return 0;
	return pair_sig_id(&cst, &kst, key_path);
}

/* ch->names as a copy of `from`'s (one allocation). -1 on ENOMEM. */
static int copy_names(struct tls_chain *ch, const struct tls_chain *from)
{
	size_t used = 0;

	for (size_t i = 0; i < from->n_names; i++)
		used += strlen(from->names[i]) + 1;
	return set_names(ch, from->n_names ? from->names[0] : "", used,
	                 from->n_names);
}

static int copy_datum(gnutls_datum_t *to, const gnutls_datum_t *from)
{
	to->data = gnutls_malloc(from->size ? from->size : 1);
	if (to->data == NULL)
		return -1;
	memcpy(to->data, from->data, from->size);
	to->size = from->size;
	return 0;
}

/* The intermediates of `from` in ch, through the loader's shared table
 * (parsed once per load, like any other). -1 on ENOMEM or a failed parse. */
static int reuse_icas(struct loader *l, struct tls_chain *ch,
                      const struct tls_chain *from)
{
	struct shared_cert *e[MAX_FAST_CHAIN];
	unsigned n = from->n_icas, i;

	if (n == 0)
		return 0;
	if (n > MAX_FAST_CHAIN)
		return -1;
	for (i = 0; i < n; i++)
		if ((e[i] = shared_get_der(l, &from->icas[i].cert)) == NULL ||
		    shared_keep(l, e[i]) < 0)
			return -1;
	if (n == 1) {
		ch->icas = e[0]->pcert;
	} else {
		ch->icas = calloc(n, sizeof(*ch->icas));
		if (ch->icas == NULL)
			return -1;
		ch->icas_alloc = true;
		for (i = 0; i < n; i++)
			ch->icas[i] = *e[i]->pcert;
	}
	ch->n_icas = n;
	return 0;
}

/* A copy of the live chain for these files when they have not changed
 * since it was loaded, with the messages loading them would give; NULL to
 * load them (nothing reported then). */
static struct tls_chain *chain_reuse(struct loader *l, uint64_t id,
                                     const char *cert_path,
                                     const struct loc *cert_at)
{
	const struct tls_chain *from;
	struct tls_chain *ch;

	if (l->live == NULL || id == 0 ||
	    (from = hostmap_get(l->live, cert_path, strlen(cert_path))) == NULL ||
	    from->files_id != id || from->key.size == 0)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL || (ch->cert_path = strdup(cert_path)) == NULL ||
	    copy_datum(&ch->leaf, &from->leaf) < 0 ||
	    copy_datum(&ch->key, &from->key) < 0 ||
	    copy_names(ch, from) < 0 || reuse_icas(l, ch, from) < 0) {
		tls_chain_free(ch);
		return NULL;
	}
	ch->files_id = id;
	ch->not_before = from->not_before;
	ch->not_after = from->not_after;
	ch->sorted_at = from->sorted_at;
	ch->reused = true;
	if (ch->sorted_at)
		warn_chain_order(l, cert_path, cert_at, ch->sorted_at - 1);
	check_leaf(l, cert_path, cert_at, ch);
	return ch;
}

/* An index of the live store's chains by certificate file. NULL when
 * there is none (or on ENOMEM: everything is parsed then). */
static struct hostmap *live_index(const struct tls_store *live)
{
	struct hostmap *m;

	if (live == NULL || live->n_chains == 0 ||
	    (m = hostmap_new(live->n_chains)) == NULL)
		return NULL;
	for (size_t i = 0; i < live->n_chains; i++)
		if (hostmap_put(m, live->chains[i]->cert_path,
		                live->chains[i]) < 0) {
			hostmap_free(m);
			return NULL;
		}
	return m;
}

/*
 * Loads one pair; safe on any thread with its own loader copy. Everything
 * a handshake will parse again is parsed and checked here; the chain keeps
 * only the DER (tls_material.c). A chain whose certificate parsed is
 * returned even when it had other errors (the store is thrown away then
 * anyway), so that the coverage check does not pile a second error on the
 * same name. NULL when it did not parse.
 */
static struct tls_chain *load_pair_chain(struct loader *l,
                                         const char *cert_path,
                                         const char *key_path,
                                         const struct loc *cert_at,
                                         const struct loc *key_at)
{
	/* Taken before reading, so that a change after it is seen at the next
	 * load: by stat() when there is a live store to compare with, else
	 * (start-up, --check) from the fstat() of each read, which saves two
	 * system calls per pair. */
	uint64_t id = l->live != NULL ? pair_id(cert_path, key_path) : 0;
	struct tls_chain *ch = chain_reuse(l, id, cert_path, cert_at);
	gnutls_x509_crt_t leaf = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	struct stat cst, kst;
	int cert_rc, key_rc;

	if (ch != NULL)
		return ch;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL || (ch->cert_path = strdup(cert_path)) == NULL) {
		free(ch);
		report_oom(l, cert_at);
		return NULL;
	}
	cert_rc = load_chain(l, ch, cert_path, cert_at, &leaf, &cst);
	if (cert_rc == 0 && (pub = leaf_pubkey(l, leaf, cert_path,
	                                       cert_at)) == NULL)
		cert_rc = -1;
	key_rc = load_key(l, &key, &pem, key_path, key_at, &kst); /* reports */
	if (l->live == NULL && cert_rc == 0 && key_rc == 0)
		id = pair_sig_id(&cst, &kst, key_path);
	ch->files_id = id;
	if (cert_rc == 0 && key != NULL)
		check_key_match(l, pub, key, cert_path, key_path, key_at);
	if (key != NULL && keep_key(ch, key, &pem) < 0)
		report_oom(l, key_at);
	free_key_buffer(&pem);
	if (key != NULL)
		gnutls_privkey_deinit(key);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (leaf != NULL)
		gnutls_x509_crt_deinit(leaf);
	if (cert_rc < 0) {
		tls_chain_free(ch);
		return NULL;
	}
	return ch;
}

static void store_add_or_report(struct loader *l, struct tls_chain *ch,
                                const struct loc *at)
{
	if (ch != NULL && store_add(l->s, ch) < 0) {
		tls_chain_free(ch);
		report_oom(l, at);
	} else if (ch != NULL && ch->reused) {
		l->s->n_reused++;
	}
}

static void load_pair(struct loader *l, const char *cert_path,
                      const char *key_path, const struct loc *cert_at,
                      const struct loc *key_at)
{
	store_add_or_report(l, load_pair_chain(l, cert_path, key_path,
	                                       cert_at, key_at), cert_at);
}

/* ---- the plan: every pair of the configuration, loaded in parallel ------- */

/*
 * Loading is almost all GnuTLS parsing, pair by pair, independent: the
 * configured entries are first listed into a plan (pairs, and the messages
 * of listing them), the pairs are then loaded by one thread per CPU this
 * process may run on, and finally, on this thread, every job's messages
 * are reported and its chain added in plan order: the output of --check
 * and the store are those of a single thread, whatever the timing.
 */

/* At most this many loading threads. */
#define TLS_LOAD_MAX_THREADS 8

struct load_job {
	char *cert_path, *key_path;     /* owned; NULL: messages only */
	const struct loc *cert_at, *key_at;
	struct diag_queue msgs;
	struct tls_chain *ch;           /* the loaded chain, for the store */
};

struct load_plan {
	struct load_job *v;
	size_t n, cap, pairs;
	atomic_size_t next;             /* the next job a thread takes */
	const struct loader *base;
};

/* A zeroed job at the end of the plan; NULL on ENOMEM. Invalidates earlier
 * job pointers. */
static struct load_job *plan_add(struct load_plan *p)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct load_job *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	memset(&p->v[p->n], 0, sizeof(p->v[0]));
	return &p->v[p->n++];
}

/* A diag whose messages go, in order, into a new messages-only job. Use it
 * before the next plan_add(). false on ENOMEM (reported). */
static bool plan_note(struct loader *l, struct load_plan *p, struct diag *qd,
                      const struct loc *at)
{
	struct load_job *j = plan_add(p);

	if (j == NULL) {
		report_oom(l, at);
		return false;
	}
	memset(qd, 0, sizeof(*qd));
	qd->queue = &j->msgs;
	return true;
}

static void plan_pair(struct loader *l, struct load_plan *p,
                      const char *cert_path, const char *key_path,
                      const struct loc *cert_at, const struct loc *key_at)
{
	struct load_job *j = plan_add(p);

	if (j == NULL || (j->cert_path = strdup(cert_path)) == NULL ||
	    (j->key_path = strdup(key_path)) == NULL) {
		if (j != NULL) {
			free(j->cert_path);
			j->cert_path = NULL;
		}
		report_oom(l, cert_at);
		return;
	}
	j->cert_at = cert_at;
	j->key_at = key_at;
	p->pairs++;
}

static void *plan_worker(void *arg)
{
	struct load_plan *p = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		struct load_job *j;
		struct diag qd = { 0 };
		struct loader wl;

		if (i >= p->n)
			return NULL;
		j = &p->v[i];
		if (j->cert_path == NULL)
			continue;
		qd.queue = &j->msgs;
		wl = *p->base;
		wl.d = &qd;
		wl.oom_reported = false;
		j->ch = load_pair_chain(&wl, j->cert_path, j->key_path,
		                        j->cert_at, j->key_at);
	}
}

static unsigned load_threads;   /* 0: usable_cpus() */

void tls_store_set_load_threads(unsigned n)
{
	load_threads = n;
}

/* The CPUs this process may run on (taskset, cgroups' cpusets). */
static unsigned usable_cpus(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (n = CPU_COUNT(&set)) > 0)
		return (unsigned)n;
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* Loads every pair of the plan, on up to one thread per usable CPU (this
 * one included; fewer when threads cannot be made). */
static void plan_load(struct loader *l, struct load_plan *p)
{
	pthread_t th[TLS_LOAD_MAX_THREADS - 1];
	unsigned want = load_threads ? load_threads : usable_cpus();
	unsigned started = 0, i;

	if (want > TLS_LOAD_MAX_THREADS)
		want = TLS_LOAD_MAX_THREADS;
	if (want > p->pairs)
		want = p->pairs > 0 ? (unsigned)p->pairs : 1;
	p->base = l;
	atomic_init(&p->next, 0);
	for (i = 1; i < want; i++)
		if (pthread_create(&th[started], NULL, plan_worker, p) == 0)
			started++;
	plan_worker(p);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/* Reports and adds, in plan order; frees the plan. */
static void plan_finish(struct loader *l, struct load_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct load_job *j = &p->v[i];

		diag_replay(l->d, &j->msgs);
		store_add_or_report(l, j->ch, j->cert_at);
		free(j->cert_path);
		free(j->key_path);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* ---- directories --------------------------------------------------------- */

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* One directory being listed: its entries, sorted by alphasort. */
struct listing {
	const char *dir;
	struct dirent **ents;
	int n;
	const struct loc *at;
};

static int entry_cmp(const void *key, const void *elem)
{
	const struct dirent *const *e = elem;

	return strcoll(key, (*e)->d_name);  /* alphasort's order */
}

/* Whether DIR/name exists, as stat() would say, without a stat() for the
 * plain files the listing already shows (two per pair at 100 000 pairs). */
static bool listed(const struct listing *ls, const char *name,
                   const char *path)
{
	struct dirent **e = bsearch(name, ls->ents, (size_t)ls->n,
	                            sizeof(*ls->ents), entry_cmp);

	if (e == NULL)
		return false;
	if ((*e)->d_type == DT_LNK || (*e)->d_type == DT_UNKNOWN)
		return exists(path);    /* a link may point nowhere */
	return true;
}

/* Layout (b): DIR/NAME/fullchain.pem + privkey.pem. 1 when planned, else 0. */
static int plan_certbot_dir(struct loader *l, struct load_plan *p,
                            const char *sub, const struct loc *at)
{
	char *chain = path_join(sub, "fullchain.pem");
	char *key = path_join(sub, "privkey.pem");
	struct diag qd;
	int planned = 0;

	if (chain == NULL || key == NULL) {
		report_oom(l, at);
	} else if (!exists(chain)) {
		/* not a certificate directory; ignore */
	} else if (!exists(key)) {
		if (plan_note(l, p, &qd, at))
			diag_warning(&qd, at, "%s has no privkey.pem next to "
			             "it; skipped", chain);
	} else {
		plan_pair(l, p, chain, key, at, at);
		planned = 1;
	}
	free(chain);
	free(key);
	return planned;
}

/* Layout (a): DIR/NAME.pem + DIR/NAME.key, given the .pem or .key entry.
 * 1 when a pair was planned, else 0. */
static int plan_flat_entry(struct loader *l, struct load_plan *p,
                           const struct listing *ls, const char *name,
                           const char *path)
{
	size_t base_len = strlen(name) - 4;     /* both suffixes are 4 long */
	bool is_pem = has_suffix(name, ".pem");
	char *other = malloc(base_len + 5), *other_path = NULL;
	struct diag qd;
	int planned = 0;

	if (other != NULL) {
		memcpy(other, name, base_len);
		memcpy(other + base_len, is_pem ? ".key" : ".pem", 5);
		other_path = path_join(ls->dir, other);
	}
	if (other_path == NULL) {
		report_oom(l, ls->at);
	} else if (!listed(ls, other, other_path)) {
		if (plan_note(l, p, &qd, ls->at))
			diag_warning(&qd, ls->at, "%s has no matching %s; "
			             "skipped", path, other_path);
	} else if (is_pem) {
		plan_pair(l, p, path, other_path, ls->at, ls->at);
		planned = 1;
	}
	/* a .key with its .pem is planned from the .pem entry */
	free(other);
	free(other_path);
	return planned;
}

/* Entry i of the listing, either layout. The number of pairs planned from
 * it (0 or 1). */
static int plan_dir_entry(struct loader *l, struct load_plan *p,
                          const struct listing *ls, int i)
{
	const struct dirent *e = ls->ents[i];
	bool is_dir = e->d_type == DT_DIR, is_file = e->d_type == DT_REG;
	struct diag qd;
	struct stat st;
	char *path;
	int pairs = 0;

	if (e->d_name[0] == '.')
		return 0;
	path = path_join(ls->dir, e->d_name);
	if (path == NULL) {
		report_oom(l, ls->at);
		return 0;
	}
	if (!is_dir && !is_file) {      /* a link, or a file system that
	                                 * does not say: ask */
		if (stat(path, &st) < 0) {
			if (plan_note(l, p, &qd, ls->at))
				diag_warning(&qd, ls->at, "cannot read %s: %s; "
				             "skipped", path, strerror(errno));
			free(path);
			return 0;
		}
		is_dir = S_ISDIR(st.st_mode);
	}
	if (is_dir)
		pairs = plan_certbot_dir(l, p, path, ls->at);
	else if (has_suffix(e->d_name, ".pem") ||
	         has_suffix(e->d_name, ".key"))
		pairs = plan_flat_entry(l, p, ls, e->d_name, path);
	free(path);
	return pairs;
}

static void plan_dir(struct loader *l, struct load_plan *p,
                     const struct conf_cert *e)
{
	struct listing ls = { .dir = e->dir,
	                      .at = loc_or(&e->dir_loc, &e->loc) };
	struct diag qd;
	int i, pairs = 0;

	ls.n = scandir(e->dir, &ls.ents, NULL, alphasort);
	if (ls.n < 0) {
		if (plan_note(l, p, &qd, ls.at))
			diag_error(&qd, ls.at, "cannot read directory %s: %s",
			           e->dir, strerror(errno));
		return;
	}
	for (i = 0; i < ls.n; i++)
		pairs += plan_dir_entry(l, p, &ls, i);
	for (i = 0; i < ls.n; i++)
		free(ls.ents[i]);
	free(ls.ents);
	if (pairs == 0 && plan_note(l, p, &qd, ls.at))
		diag_warning(&qd, ls.at, "no certificates found in directory "
		             "%s (expected NAME.pem with NAME.key, or "
		             "NAME/fullchain.pem with NAME/privkey.pem)", e->dir);
}

/* ---- certificates from the ACME thread ------------------------------------ */

/*
 * STATE_DIR/acme/certs/mta-sts.DOMAIN.pem and .key for each domain acme:
 * wants and no configured certificate covers (configured certificates
 * always win). A stored pair that is missing or unusable (expired,
 * damaged, a key that does not match) is only a warning: the ACME thread
 * orders a new one, and the name is not served over HTTPS until then.
 * Call with the index of the configured chains built; rebuilds it.
 */
static void load_acme(struct loader *l)
{
	const struct conf *c = l->c;
	char host[NAME_MAX_LEN + 1], *cert = NULL, *key = NULL;
	size_t i, added = 0;

	for (i = 0; i < c->n_domains; i++) {
		const char *domain = c->domains[i].policy.domain;
		const struct loc *at = &c->domains[i].loc;
		struct diag sub = { 0 };
		char *buf = NULL;
		size_t len = 0, before = l->s->n_chains;
		struct loader sl = *l;
		int n = snprintf(host, sizeof(host), "mta-sts.%s", domain);

		if (!conf_acme_wants(c, domain) || n < 0 ||
		    (size_t)n >= sizeof(host) ||
		    tls_store_find(l->s, host, (size_t)n) != NULL)
			continue;
		free(cert);
		free(key);
		if (asprintf(&cert, "%s/%s/%s.pem", c->state_dir,
		             CONF_ACME_CERTS_DIR, host) < 0)
			cert = NULL;
		if (asprintf(&key, "%s/%s/%s.key", c->state_dir,
		             CONF_ACME_CERTS_DIR, host) < 0)
			key = NULL;
		if (cert == NULL || key == NULL) {
			report_oom(l, at);
			break;
		}
		if (!exists(cert))
			continue;       /* not issued yet: check_coverage says */
		/* Its problems in a buffer: they become one warning. */
		sub.out = open_memstream(&buf, &len);
		if (sub.out == NULL) {
			report_oom(l, at);
			break;
		}
		sl.d = &sub;
		load_pair(&sl, cert, key, at, at);
		fclose(sub.out);
		if (sub.errors == 0 && l->s->n_chains > before) {
			l->s->chains[before]->acme = true;
			added++;
		} else {
			const char *why = buf ? strstr(buf, "error: ") : NULL;

			while (l->s->n_chains > before)
				tls_chain_free(l->s->chains[--l->s->n_chains]);
			diag_warning(l->d, at, "stored ACME certificate "
			             "%s is not used (%.*s); a new one is ordered",
			             cert, why ? (int)strcspn(why + 7, "\n") : 7,
			             why ? why + 7 : "unknown");
		}
		free(buf);
	}
	free(cert);
	free(key);
	if (added > 0) {
		hostmap_free(l->s->map);
		l->s->map = NULL;
		if (tls_store_build_index(l->s) < 0)
			report_oom(l, NULL);
	}
}

/* ---- checks against the served names ------------------------------------- */

/* Every served name must have a chain, or senders fail the policy fetch. */
static void check_coverage(struct loader *l)
{
	const struct conf *c = l->c;
	char host[NAME_MAX_LEN + 1];
	size_t i, waiting = 0;

	for (i = 0; i < c->n_domains; i++) {
		const char *domain = c->domains[i].policy.domain;
		int n = snprintf(host, sizeof(host), "mta-sts.%s", domain);

		if (n < 0 || (size_t)n >= sizeof(host)) {
			diag_error(l->d, &c->domains[i].loc, "mta-sts.%s is "
			           "too long to be a host name", domain);
			continue;
		}
		if (tls_store_find(l->s, host, (size_t)n) != NULL)
			continue;
		/* A few by name, then a count: while thousands of names
		 * get their first certificate, every reload would repeat
		 * them all. */
		if (conf_acme_wants(c, domain) &&
		    ++waiting <= TLS_ACME_WAITING_NAMED)
			diag_warning(l->d, &c->domains[i].loc, "no "
			             "certificate for %s yet: it is ordered "
			             "from the ACME CA, and HTTPS requests for it "
			             "fail until it arrives", host);
		else if (!conf_acme_wants(c, domain))
			diag_error(l->d, &c->domains[i].loc, "no certificate "
			           "covers %s (add one with SAN %s or *.%s)",
			           host, host, domain);
	}
	if (waiting > TLS_ACME_WAITING_NAMED)
		diag_warning(l->d, &c->acme.loc, "%zu more names wait for their "
		             "first ACME certificate (stsd --acme-status lists "
		             "them)", waiting - TLS_ACME_WAITING_NAMED);
}

static void resolve_default_host(struct loader *l)
{
	const struct conf *c = l->c;
	char key[NAME_MAX_LEN + 1];
	int n;

	n = name_host_key(c->tls_default_host, strlen(c->tls_default_host),
	                  key);
	if (n >= 0)
		l->s->default_chain = tls_store_find(l->s, key, (size_t)n);
	if (l->s->default_chain == NULL && conf_has_tls(c) && c->acme.enabled)
		diag_warning(l->d, &c->tls_default_host_loc, "no certificate "
		             "covers %s (the default host for clients without "
		             "SNI) yet", c->tls_default_host);
	else if (l->s->default_chain == NULL && conf_has_tls(c))
		diag_error(l->d, &c->tls_default_host_loc, "no certificate "
		           "covers %s, the default host for clients without "
		           "SNI", c->tls_default_host);
}

/* ---- the store ----------------------------------------------------------- */

struct tls_store *tls_store_load(const struct conf *c,
                                 const struct tls_store *live, struct diag *d)
{
	struct loader l = { .c = c, .d = d, .now = time(NULL) };
	struct hostmap *index = live_index(live);
	struct load_plan plan = { 0 };
	unsigned errors_before = d->errors;
	struct diag qd;
	size_t i;

	l.s = calloc(1, sizeof(*l.s));
	l.shared = shared_new();
	if (l.s == NULL || l.shared == NULL ||
	    (l.s->materials = tls_material_cache_new()) == NULL) {
		diag_error(d, NULL, "out of memory");
		tls_store_free(l.s);
		shared_free(l.shared);
		hostmap_free(index);
		return NULL;
	}
	l.s->tickets = c->tls_session_tickets;
	l.live = index;

	for (i = 0; i < c->n_certs; i++) {
		const struct conf_cert *e = &c->certs[i];

		if (e->dir != NULL)
			plan_dir(&l, &plan, e);
		else if (e->cert != NULL && e->key != NULL)
			plan_pair(&l, &plan, e->cert, e->key,
			          loc_or(&e->cert_loc, &e->loc),
			          loc_or(&e->key_loc, &e->loc));
		else if (plan_note(&l, &plan, &qd, &e->loc))
			diag_error(&qd, &e->loc, "certificate entry needs "
			           "cert and key, or dir");
	}
	plan_load(&l, &plan);
	plan_finish(&l, &plan);
	if (tls_store_build_index(l.s) < 0)
		report_oom(&l, NULL);
	if (c->acme.enabled && d->errors == errors_before)
		load_acme(&l);
	shared_free(l.shared);  /* the parsed intermediates; pcerts stay */
	hostmap_free(index);
	l.live = NULL;
	if (conf_has_tls(c))
		check_coverage(&l);
	if (c->tls_default_host != NULL)
		resolve_default_host(&l);

	if (d->errors != errors_before) {
		tls_store_free(l.s);
		return NULL;
	}
	return l.s;
}
