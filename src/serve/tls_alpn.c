/*
 * tls_alpn: the tls-alpn-01 answer table and its handshake hooks (see
 * tls_alpn.h; the hooks' declarations are in tls_internal.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "log.h"
#include "name.h"
#include "tls.h"
#include "tls_alpn.h"
#include "tls_internal.h"

#define ACME_TLS_1 "acme-tls/1"

struct tls_alpn_answer {
	atomic_uint refs;
	char name[NAME_MAX_LEN + 1];
	gnutls_pcert_st pcert;
	gnutls_privkey_t key;
};

/* The table: a few entries at most (one order at a time, a few names
 * each), so a linear scan under the lock is the fastest lookup there is. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_alpn_answer *answers[TLS_ALPN_MAX_ANSWERS];
static atomic_uint n_answers;           /* read without the lock */

static void answer_unref(struct tls_alpn_answer *a)
{
	if (a == NULL ||
	    atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
		return;
	gnutls_pcert_deinit(&a->pcert);
	gnutls_privkey_deinit(a->key);
	free(a);
}

static struct tls_alpn_answer *answer_new(const char *name,
                                          const char *cert_pem,
                                          const char *key_pem)
{
	struct tls_alpn_answer *a = calloc(1, sizeof(*a));
	gnutls_datum_t cert = { (unsigned char *)cert_pem,
	                        (unsigned)strlen(cert_pem) };
	gnutls_datum_t key = { (unsigned char *)key_pem,
	                       (unsigned)strlen(key_pem) };

	if (a == NULL || strlen(name) > NAME_MAX_LEN)
		goto fail;
	strcpy(a->name, name);
	atomic_init(&a->refs, 1);
	if (gnutls_pcert_import_x509_raw(&a->pcert, &cert,
	                                 GNUTLS_X509_FMT_PEM, 0) < 0)
		goto fail;
	if (gnutls_privkey_init(&a->key) < 0) {
		gnutls_pcert_deinit(&a->pcert);
		goto fail;
	}
	if (gnutls_privkey_import_x509_raw(a->key, &key, GNUTLS_X509_FMT_PEM,
	                                   NULL, 0) < 0) {
		gnutls_privkey_deinit(a->key);
		gnutls_pcert_deinit(&a->pcert);
		goto fail;
	}
	return a;
fail:
	free(a);
	return NULL;
}

int tls_alpn_put(const char *name, const char *cert_pem, const char *key_pem)
{
	struct tls_alpn_answer *a = answer_new(name, cert_pem, key_pem), *old;
	unsigned n, i;

	if (a == NULL)
		return -1;
	pthread_mutex_lock(&lock);
	n = atomic_load(&n_answers);
	for (i = 0; i < n && strcmp(answers[i]->name, name) != 0; i++)
		;
	if (i == TLS_ALPN_MAX_ANSWERS) {
		pthread_mutex_unlock(&lock);
		answer_unref(a);
		return -1;
	}
	old = i < n ? answers[i] : NULL;
	answers[i] = a;
	if (i == n)
		atomic_store(&n_answers, n + 1);
	pthread_mutex_unlock(&lock);
	answer_unref(old);
	return 0;
}

void tls_alpn_remove(const char *name)
{
	struct tls_alpn_answer *gone = NULL;
	unsigned n, i;

	pthread_mutex_lock(&lock);
	n = atomic_load(&n_answers);
	for (i = 0; i < n; i++)
		if (!strcmp(answers[i]->name, name)) {
			gone = answers[i];
			answers[i] = answers[n - 1];
			answers[n - 1] = NULL;
			atomic_store(&n_answers, n - 1);
			break;
		}
	pthread_mutex_unlock(&lock);
	answer_unref(gone);
}

void tls_alpn_clear_all(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < atomic_load(&n_answers); i++) {
		answer_unref(answers[i]);
		answers[i] = NULL;
	}
	atomic_store(&n_answers, 0);
	pthread_mutex_unlock(&lock);
}

/* ---- the hooks (tls_internal.h) ------------------------------------------ */

int tls_alpn_offer(gnutls_session_t session)
{
	static const gnutls_datum_t with_acme[2] = {
		{ (unsigned char *)"http/1.1", 8 },
		{ (unsigned char *)ACME_TLS_1, sizeof(ACME_TLS_1) - 1 },
	};

	if (atomic_load_explicit(&n_answers, memory_order_relaxed) == 0)
		return 1;       /* the caller offers http/1.1 as always */
	return gnutls_alpn_set_protocols(session, with_acme, 2, 0) < 0 ? -1 : 0;
}

int tls_alpn_hello(gnutls_session_t session, struct tls_conn *tc)
{
	gnutls_datum_t proto;
	char sni[NAME_MAX_LEN + 2], key[NAME_MAX_LEN + 1];
	size_t len = sizeof(sni);
	unsigned type, n, i;
	int k;

	if (gnutls_alpn_get_selected_protocol(session, &proto) < 0 ||
	    proto.size != sizeof(ACME_TLS_1) - 1 ||
	    memcmp(proto.data, ACME_TLS_1, proto.size) != 0)
		return 0;
	/* acme-tls/1 was negotiated: a challenge certificate or nothing,
	 * never the name's real chain (RFC 8737 section 3). */
	if (gnutls_server_name_get(session, sni, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS ||
	    (k = name_host_key(sni, len, key)) < 0)
		return -1;
	pthread_mutex_lock(&lock);
	n = atomic_load(&n_answers);
	for (i = 0; i < n; i++)
		if (strlen(answers[i]->name) == (size_t)k &&
		    !memcmp(answers[i]->name, key, (size_t)k)) {
			atomic_fetch_add(&answers[i]->refs, 1);
			tc->acme = answers[i];
			break;
		}
	pthread_mutex_unlock(&lock);
	if (tc->acme == NULL)
		return -1;
	log_debug("tls: answering a tls-alpn-01 challenge for %s", key);
	return 1;
}

void tls_alpn_cert(const struct tls_conn *tc, gnutls_pcert_st **pcert,
                   unsigned *n, gnutls_privkey_t *key)
{
	*pcert = &tc->acme->pcert;
	*n = 1;
	*key = tc->acme->key;
}

void tls_alpn_conn_clear(struct tls_conn *tc)
{
	answer_unref(tc->acme);
	tc->acme = NULL;
}
