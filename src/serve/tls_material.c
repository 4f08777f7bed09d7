/*
 * tls_material: a chain's leaf and key parsed for handshakes, on demand,
 * and a small cache of them (see tls_internal.h).
 *
 * Why on demand: what GnuTLS keeps for a parsed private key (2.6 KB) and
 * leaf (1.1 KB) is most of what a domain costs; at 100 000 domains that is
 * 370 MB for keys and certificates that are mostly never used between two
 * reloads. The store keeps their DER (checked when loading: a chain that
 * loaded parses again), and a full handshake parses the chain it needs,
 * about 40 us against the 500 us of the handshake's signature. The cache
 * keeps the last TLS_MATERIAL_SLOTS chains used, so that a domain asked
 * for again (and every domain of a small configuration) is parsed once:
 * at most about 4 MB. Resumed handshakes send no certificate and need none.
 *
 * Slot i holds a chain whose load order is i modulo the slot count: chains
 * loaded together never push each other out, and the slot is found without
 * hashing. A slot is replaced under the lock; the material it held lives
 * on until the last connection using it lets go (reference counts).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "log.h"
#include "tls.h"
#include "tls_internal.h"

struct tls_material_cache {
	pthread_mutex_t lock;
	struct tls_material *slots[TLS_MATERIAL_SLOTS];
};

struct tls_material_cache *tls_material_cache_new(void)
{
	struct tls_material_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void tls_material_put(struct tls_material *m)
{
	if (m == NULL ||
	    atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (m->pcerts != NULL)
		gnutls_pcert_deinit(&m->pcerts[0]);     /* the rest: shallow */
	free(m->pcerts);
	if (m->key != NULL)
		gnutls_privkey_deinit(m->key);
	free(m);
}

void tls_material_cache_free(struct tls_material_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < TLS_MATERIAL_SLOTS; i++)
		tls_material_put(c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Parses ch's leaf and key; one reference, the caller's. NULL on failure
 * (logged: the same bytes parsed when the chain was loaded). */
static struct tls_material *material_new(const struct tls_chain *ch)
{
	struct tls_material *m = calloc(1, sizeof(*m));
	int ret = GNUTLS_E_MEMORY_ERROR;

	if (m == NULL)
		goto fail;
	atomic_init(&m->refs, 1);
	m->chain = ch;
	m->pcerts = calloc(1 + ch->n_icas, sizeof(*m->pcerts));
	if (m->pcerts == NULL)
		goto fail;
	ret = gnutls_pcert_import_x509_raw(&m->pcerts[0], &ch->leaf,
	                                   GNUTLS_X509_FMT_DER, 0);
	if (ret < 0) {
		free(m->pcerts);
		m->pcerts = NULL;
		goto fail;
	}
	if (ch->n_icas > 0)
		memcpy(&m->pcerts[1], ch->icas, ch->n_icas * sizeof(*ch->icas));
	m->n_pcerts = 1 + ch->n_icas;
	ret = gnutls_privkey_init(&m->key);
	if (ret < 0) {
		m->key = NULL;
		goto fail;
	}
	ret = gnutls_privkey_import_x509_raw(m->key, &ch->key,
	                                     GNUTLS_X509_FMT_DER, NULL, 0);
	if (ret < 0)
		goto fail;
	return m;
fail:
	log_warnx("tls: cannot use %s for a handshake: %s", ch->cert_path,
	          gnutls_strerror(ret));
	tls_material_put(m);
	return NULL;
}

struct tls_material *tls_material_get(struct tls_material_cache *c,
                                      const struct tls_chain *ch)
{
	struct tls_material **slot = &c->slots[ch->order % TLS_MATERIAL_SLOTS];
	struct tls_material *m, *old;

	pthread_mutex_lock(&c->lock);
	m = *slot;
	if (m != NULL && m->chain == ch)
		atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	else
		m = NULL;
	pthread_mutex_unlock(&c->lock);
	if (m != NULL)
		return m;

	/* Parsed without the lock: other handshakes go on meanwhile. */
	m = material_new(ch);
	if (m == NULL)
		return NULL;
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	pthread_mutex_lock(&c->lock);
	old = *slot;
	*slot = m;                      /* the newest use keeps the slot */
	pthread_mutex_unlock(&c->lock);
	tls_material_put(old);
	return m;
}
