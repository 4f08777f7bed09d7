/*
 * tls_internal: what the two halves of the tls module share, and nothing
 * else includes. tls_load.c reads, parses and checks certificate files and
 * builds a struct tls_store; tls.c owns the store afterwards (its SNI index,
 * lookups, freeing) and serves handshakes from it.
 */
#ifndef STSD_TLS_INTERNAL_H
#define STSD_TLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "hostmap.h"
#include "tls.h"

struct tls_chain {
	gnutls_pcert_st *pcerts;        /* leaf first */
	unsigned n_pcerts;
	unsigned n_owned;               /* pcerts[0..n_owned) are this chain's;
	                                 * the rest are shallow copies of the
	                                 * store's shared intermediates */
	gnutls_privkey_t key;           /* NULL when the key failed to load */
	time_t not_after;               /* of the leaf */
	char **names;                   /* SAN dNSNames, lowercase: map keys */
	size_t n_names;
	char *cert_path;                /* for messages and tls_store_lookup */
	size_t order;                   /* load order, breaks expiry ties */
	bool acme;                      /* from the ACME state directory */
};

struct tls_store {
	struct tls_chain **chains;      /* pointers: the map points at chains */
	size_t n_chains, cap_chains;
	struct hostmap *map;            /* name -> struct tls_chain */
	const struct tls_chain *default_chain;  /* for clients without SNI */
	gnutls_pcert_st **shared;       /* intermediates shared by chains */
	size_t n_shared, cap_shared;
	bool tickets;
};

/* Frees a chain and everything it holds; NULL is fine. */
void tls_chain_free(struct tls_chain *ch);

/*
 * Builds s->map from the names of every chain in s->chains (which it sorts:
 * later expiry first, then load order, so that the best chain claims a
 * name shared by several). Call once, after the last chain is added.
 * 0, or -1 on ENOMEM.
 */
int tls_store_build_index(struct tls_store *s);

/*
 * The chain for a lookup key of `len` bytes: exact name, then "*." + its
 * parent; NULL when none (or before the index is built). Allocation-free.
 */
const struct tls_chain *tls_store_find(const struct tls_store *s,
                                       const char *key, size_t len);

/* ---- tls_alpn.c: the tls-alpn-01 hooks ---------------------------------- */

/* At session set-up: 1 when no answer is in place (offer what you always
 * do), 0 when it offered "http/1.1" and "acme-tls/1", -1 on error. */
int tls_alpn_offer(gnutls_session_t session);
/* In the post-ClientHello hook: 0 when acme-tls/1 was not negotiated, 1
 * when it was and tc->acme now holds the answer for the SNI name, -1 when
 * it was and there is none (refuse the handshake). */
int tls_alpn_hello(gnutls_session_t session, struct tls_conn *tc);
/* The answer's certificate and key, for the certificate callback. */
void tls_alpn_cert(const struct tls_conn *tc, gnutls_pcert_st **pcert,
                   unsigned *n, gnutls_privkey_t *key);

#endif
