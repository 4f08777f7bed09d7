/*
 * tls: SNI selection and handshakes (GnuTLS). Loading and checking the
 * certificate files is in tls_load.c; the store layout in tls_internal.h.
 *
 * Selection
 * ---------
 * Each chain is indexed by every dNSName in its leaf's subjectAltName,
 * lowercased, wildcards stored as written ("*.example.com"). A client's SNI
 * name is looked up exactly, then as "*." + its parent. When two chains
 * claim a name, the one expiring later wins (normal while a renewed
 * certificate sits next to the old one).
 *
 * How a session finds its store: gnutls_certificate_retrieve_function2 has
 * no user pointer, and libmicrohttpd (0.9.75 up to 1.0.1) keeps its
 * connection in gnutls_session_set_ptr() (read back by its PSK adapter). It
 * never uses the session's resumption-database functions, so the
 * connection's struct tls_conn (its store, and what the hook refused) lives
 * in gnutls_db_set_ptr(); GnuTLS only hands that pointer to
 * db store/retrieve callbacks, which nobody installs (tickets do not use
 * them).
 *
 * Unknown names are refused in a post-ClientHello hook, not in the
 * certificate callback: GnuTLS sends no alert on its own when a handshake
 * fails (that is left to the application, and libmicrohttpd just closes the
 * socket), so the hook sends the fatal alert itself, unrecognized_name
 * (RFC 6066 section 3) for an unknown name and missing_extension (RFC 8446
 * section 9.2) when there is no SNI and no default host, then fails the
 * handshake.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "hostmap.h"
#include "log.h"
#include "name.h"
#include "tls.h"
#include "tls_internal.h"

/* GnuTLS accepts an SNI name of any length; longer than this cannot be a
 * name we serve, and tls_session_sni() reports it as absent. */
#define TLS_SNI_BUF 1024

/*
 * The session ticket master key. Process-wide by nature (every connection
 * of every listener must accept tickets issued by any other); written once
 * by tls_global_init() before any server thread starts, read-only after.
 * GnuTLS (>= 3.6.3, lib/stek.c) never encrypts tickets with it directly: it
 * derives the ticket key as SHA3-512(T || master), T = now / (3 * ticket
 * lifetime) (18 h with the default 6 h lifetime), so ticket keys rotate by
 * themselves without any timer here.
 */
static gnutls_datum_t ticket_key;

int tls_global_init(void)
{
	if (ticket_key.data != NULL)
		return 0;
	if (gnutls_session_ticket_key_generate(&ticket_key) < 0) {
		ticket_key.data = NULL;
		ticket_key.size = 0;
		return -1;
	}
	return 0;
}

void tls_global_fini(void)
{
	if (ticket_key.data == NULL)
		return;
	gnutls_memset(ticket_key.data, 0, ticket_key.size);
	gnutls_free(ticket_key.data);
	ticket_key.data = NULL;
	ticket_key.size = 0;
}

/* ---- chains and the index ------------------------------------------------ */

void tls_chain_free(struct tls_chain *ch)
{
	size_t i;

	if (ch == NULL)
		return;
	if (ch->icas_owned)
		for (i = 0; i < ch->n_icas; i++)
			gnutls_pcert_deinit(&ch->icas[i]);
	if (ch->icas_alloc)
		free(ch->icas);
	gnutls_free(ch->leaf.data);
	if (ch->key.data != NULL) {
		gnutls_memset(ch->key.data, 0, ch->key.size);
		gnutls_free(ch->key.data);
	}
	free(ch->names);            /* the strings with it */
	free(ch->cert_path);
	free(ch);
}

/* Configured before ACME; then later expiry first; among equals, the one
 * configured first. */
static int chain_cmp(const void *a, const void *b)
{
	const struct tls_chain *x = *(struct tls_chain *const *)a;
	const struct tls_chain *y = *(struct tls_chain *const *)b;

	if (x->acme != y->acme)         /* configured certificates win */
		return x->acme ? 1 : -1;
	if (x->not_after != y->not_after)
		return x->not_after > y->not_after ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* hostmap_put keeps the first value for a key, so chains go in best first. */
int tls_store_build_index(struct tls_store *s)
{
	size_t i, j, total = 0;

	for (i = 0; i < s->n_chains; i++)
		total += s->chains[i]->n_names;
	s->map = hostmap_new(total);
	if (s->map == NULL)
		return -1;
	if (s->n_chains > 1)
		qsort(s->chains, s->n_chains, sizeof(*s->chains), chain_cmp);
	for (i = 0; i < s->n_chains; i++) {
		struct tls_chain *ch = s->chains[i];

		for (j = 0; j < ch->n_names; j++) {
			int r = hostmap_put(s->map, ch->names[j], ch);

			if (r < 0)
				return -1;
			if (r == 1)
				log_debug("tls: %s is also in %s; using the chain "
				          "that expires later", ch->names[j],
				          ch->cert_path);
		}
	}
	return 0;
}

/* ---- lookups and the store ----------------------------------------------- */

const struct tls_chain *tls_store_find(const struct tls_store *s,
                                       const char *key, size_t len)
{
	const struct tls_chain *ch;
	char wild[NAME_MAX_LEN + 3];
	const char *dot;
	size_t parent_len;

	if (s->map == NULL)
		return NULL;
	ch = hostmap_get(s->map, key, len);
	if (ch != NULL)
		return ch;
	dot = memchr(key, '.', len);
	if (dot == NULL || dot == key)
		return NULL;
	parent_len = len - (size_t)(dot - key);         /* with the dot */
	if (parent_len < 2 || parent_len + 1 > sizeof(wild))
		return NULL;
	wild[0] = '*';
	memcpy(wild + 1, dot, parent_len);
	return hostmap_get(s->map, wild, parent_len + 1);
}

const char *tls_store_lookup(const struct tls_store *s, const char *host)
{
	const struct tls_chain *ch = tls_store_find(s, host, strlen(host));

	return ch != NULL ? ch->cert_path : NULL;
}

time_t tls_store_expiry(const struct tls_store *s, const char *host)
{
	const struct tls_chain *ch;

	if (s == NULL)
		return 0;
	ch = tls_store_find(s, host, strlen(host));
	return ch != NULL ? ch->not_after : 0;
}

void tls_store_each(const struct tls_store *s, tls_chain_fn *fn, void *ctx)
{
	for (size_t i = 0; s != NULL && i < s->n_chains; i++) {
		const struct tls_chain *ch = s->chains[i];

		fn(ctx, ch->cert_path, ch->n_names ? ch->names[0] : "",
		   ch->not_after);
	}
}

void tls_store_free(struct tls_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	hostmap_free(s->map);
	tls_material_cache_free(s->materials);  /* before the chains */
	for (i = 0; i < s->n_chains; i++)
		tls_chain_free(s->chains[i]);
	free(s->chains);
	/* after the chains, whose copies of these are shallow */
	for (i = 0; i < s->n_shared; i++) {
		gnutls_pcert_deinit(s->shared[i]);
		free(s->shared[i]);
	}
	free(s->shared);
	free(s);
}

enum tls_source tls_store_source(const struct tls_store *s, const char *host)
{
	const struct tls_chain *ch;

	if (s == NULL)
		return TLS_SOURCE_NONE;
	ch = tls_store_find(s, host, strlen(host));
	if (ch == NULL)
		return TLS_SOURCE_NONE;
	return ch->acme ? TLS_SOURCE_ACME : TLS_SOURCE_CONFIGURED;
}

size_t tls_store_count(const struct tls_store *s)
{
	return s != NULL ? s->n_chains : 0;
}

/* ---- handshakes ---------------------------------------------------------- */

/*
 * The chain for this session's SNI name (or the default chain when there
 * is none), or NULL with the alert to send in *alert.
 */
static const struct tls_chain *session_chain(gnutls_session_t session,
                                             gnutls_alert_description_t *alert)
{
	const struct tls_conn *tc = gnutls_db_get_ptr(session);
	const struct tls_store *s = tc ? tc->store : NULL;
	const struct tls_chain *ch;
	char sni[NAME_MAX_LEN + 2];
	char key[NAME_MAX_LEN + 1];
	size_t len = sizeof(sni);
	unsigned type;
	int ret, n;

	*alert = GNUTLS_A_UNRECOGNIZED_NAME;
	if (s == NULL) {
		*alert = GNUTLS_A_INTERNAL_ERROR;
		return NULL;
	}
	ret = gnutls_server_name_get(session, sni, &len, &type, 0);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		if (s->default_chain == NULL)
			*alert = GNUTLS_A_MISSING_EXTENSION;
		return s->default_chain;
	}
	if (ret < 0 || type != GNUTLS_NAME_DNS)
		return NULL;    /* too long (or odd) to be one of ours */
	n = name_host_key(sni, len, key);
	if (n < 0)
		return NULL;
	ch = tls_store_find(s, key, (size_t)n);
	return ch != NULL && ch->key.size > 0 ? ch : NULL;
}

/* Runs once the ClientHello is parsed, before any certificate is chosen. */
static int check_client_hello(gnutls_session_t session)
{
	struct tls_conn *tc = gnutls_db_get_ptr(session);
	gnutls_alert_description_t alert;
	int acme = tc != NULL ? tls_alpn_hello(session, tc) : 0;

	if (acme != 0) {        /* acme-tls/1: a challenge, or nothing */
		if (acme > 0)
			return 0;
		(void)gnutls_alert_send(session, GNUTLS_AL_FATAL,
		                        GNUTLS_A_NO_APPLICATION_PROTOCOL);
		return GNUTLS_E_NO_APPLICATION_PROTOCOL;
	}
	if (session_chain(session, &alert) != NULL)
		return 0;
	if (tc != NULL)
		tc->refused = alert == GNUTLS_A_MISSING_EXTENSION
			? TLS_REFUSED_NO_SNI : TLS_REFUSED_UNKNOWN_SNI;
	/* Best effort: on a fresh non-blocking socket the alert fits. */
	(void)gnutls_alert_send(session, GNUTLS_AL_FATAL, alert);
	if (alert == GNUTLS_A_MISSING_EXTENSION)
		return GNUTLS_E_MISSING_EXTENSION;
	if (alert == GNUTLS_A_UNRECOGNIZED_NAME)
		return GNUTLS_E_UNRECOGNIZED_NAME;
	return GNUTLS_E_INTERNAL_ERROR;
}

int tls_session_setup(struct tls_conn *tc, void *tls_session)
{
	gnutls_session_t session = tls_session;
	gnutls_datum_t http11 = { (unsigned char *)"http/1.1", 8 };
	const struct tls_store *s = tc ? tc->store : NULL;

	if (s == NULL)
		return -1;
	tc->refused = TLS_REFUSED_NONE;
	gnutls_db_set_ptr(session, tc);
	gnutls_handshake_set_post_client_hello_function(session,
	                                                check_client_hello);
	if (s->tickets) {
		if (ticket_key.data == NULL)
			return -1;      /* tls_global_init() was not called */
		if (gnutls_session_ticket_enable_server(session,
		                                        &ticket_key) < 0)
			return -1;
	}
	/*
	 * Only HTTP/1.1: a client offering only h2 gets no ALPN at all and
	 * goes on (GnuTLS ignores protocols it does not know). Note that
	 * gnutls_alpn_set_protocols() appends to, rather than replaces, a
	 * list set before (GnuTLS 3.7 lib/ext/alpn.c), so libmicrohttpd's
	 * own list must be off (MHD_OPTION_TLS_NO_ALPN).
	 */
	switch (tls_alpn_offer(session)) {
	case 0:
		return 0;       /* http/1.1 and acme-tls/1 (tls_alpn.c) */
	case 1:
		break;
	default:
		return -1;
	}
	if (gnutls_alpn_set_protocols(session, &http11, 1, 0) < 0)
		return -1;
	return 0;
}

static int tls_cert_callback(gnutls_session_t session,
                             const gnutls_datum_t *req_ca_dn, int nreqs,
                             const gnutls_pk_algorithm_t *pk_algos,
                             int pk_algos_length, gnutls_pcert_st **pcert,
                             unsigned int *pcert_length,
                             gnutls_privkey_t *pkey)
{
	struct tls_conn *tc = gnutls_db_get_ptr(session);
	gnutls_alert_description_t alert;
	const struct tls_chain *ch;
	struct tls_material *m;

	if (tc != NULL && tc->acme != NULL) {
		tls_alpn_cert(tc, pcert, pcert_length, pkey);
		return 0;
	}
	/* check_client_hello has refused unknown names already; this is
	 * for sessions set up without it. GnuTLS does not free what we
	 * return (no GNUTLS_CERT_RETR_DEINIT_ALL with function2). */
	ch = session_chain(session, &alert);
	m = ch != NULL && tc != NULL ?
	    tls_material_get(tc->store->materials, ch) : NULL;
	if (m == NULL) {
		*pcert_length = 0;
		return -1;
	}
	/* The connection holds it until it closes: GnuTLS keeps pointing
	 * at the certificates and key (tls_conn_clear()). */
	tls_material_put(tc->material);
	tc->material = m;
	*pcert = m->pcerts;
	*pcert_length = m->n_pcerts;
	*pkey = m->key;
	return 0;
}

void tls_conn_clear(struct tls_conn *tc)
{
	tls_alpn_conn_clear(tc);
	tls_material_put(tc->material);
	tc->material = NULL;
}

void *tls_cert_callback_option(void)
{
	return (void *)tls_cert_callback;
}

size_t tls_session_sni(void *tls_session, char *out, size_t out_len)
{
	gnutls_session_t session = tls_session;
	char buf[TLS_SNI_BUF];
	size_t len = sizeof(buf), i;
	unsigned type;

	if (out_len == 0)
		return 0;
	out[0] = '\0';
	if (gnutls_server_name_get(session, buf, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS)
		return 0;
	if (len >= out_len)
		len = out_len - 1;
	/* GnuTLS admits only [A-Za-z0-9.-]; be safe for logs anyway. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		out[i] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	out[len] = '\0';
	return len;
}
