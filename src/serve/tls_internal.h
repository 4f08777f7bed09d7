/*
 * tls_internal: what the two halves of the tls module share, and nothing
 * else includes. tls_load.c reads, parses and checks certificate files and
 * builds a struct tls_store; tls.c owns the store afterwards (its SNI index,
 * lookups, freeing) and serves handshakes from it.
 */
#ifndef STSD_TLS_INTERNAL_H
#define STSD_TLS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "hostmap.h"
#include "tls.h"

/*
 * One certificate chain and its key, as the store keeps them: the leaf and
 * the key as DER only, parsed for a handshake by tls_material_get() (a
 * GnuTLS private key object alone is 2.6 KB; 100 000 of them resident would
 * be a quarter of a gigabyte), the intermediates parsed once.
 */
struct tls_chain {                  /* fields ordered to pack: 100 000
                                     * of these */
	gnutls_datum_t leaf;            /* the leaf's DER (gnutls_free) */
	gnutls_datum_t key;             /* the private key (gnutls_free,
	                                 * zeroed first); size 0 when it
	                                 * failed to load */
	gnutls_pcert_st *icas;          /* the intermediates, in order */
	char **names;                   /* SAN dNSNames, lowercase: map keys;
	                                 * one allocation, strings included */
	char *cert_path;                /* for messages and tls_store_lookup */
	time_t not_before, not_after;   /* of the leaf */
	uint64_t files_id;              /* both files as stat() saw them before
	                                 * they were read (see chain_reuse) */
	size_t n_names;
	size_t order;                   /* load order, breaks expiry ties */
	unsigned n_icas;
	unsigned sorted_at;             /* 0, or 1 + the first certificate
	                                 * out of order (sent sorted) */
	bool icas_owned;                /* parsed for this chain; else shallow
	                                 * copies of the store's shared ones */
	bool icas_alloc;                /* icas is this chain's array; else it
	                                 * is the store's one shared pcert */
	bool reused;                    /* copied from the live store */
	bool acme;                      /* from the ACME state directory */
};

struct tls_material_cache;

struct tls_store {
	struct tls_chain **chains;      /* pointers: the map points at chains */
	size_t n_chains, cap_chains;
	struct hostmap *map;            /* name -> struct tls_chain */
	const struct tls_chain *default_chain;  /* for clients without SNI */
	gnutls_pcert_st **shared;       /* intermediates shared by chains */
	size_t n_shared, cap_shared;
	struct tls_material_cache *materials;   /* see tls_material_get() */
	size_t n_reused;                /* chains copied from the live store */
	bool tickets;
};

/* ---- tls_material.c: chains made ready for handshakes ------------------- */

/*
 * What a handshake hands GnuTLS for one chain: the chain's certificates
 * (leaf first, the intermediates shallow copies of the chain's) and its
 * private key, parsed from the chain's DER. Reference-counted: the cache
 * holds one reference, each connection using it another.
 */
struct tls_material {
	gnutls_pcert_st *pcerts;
	unsigned n_pcerts;
	gnutls_privkey_t key;
	const struct tls_chain *chain;
	atomic_uint refs;
};

/* A cache of the materials of the most recently used chains, one slot per
 * (load order mod TLS_MATERIAL_SLOTS). NULL on ENOMEM. */
#define TLS_MATERIAL_SLOTS 1024
struct tls_material_cache *tls_material_cache_new(void);
/* After the last connection let go of its materials. NULL is fine. */
void tls_material_cache_free(struct tls_material_cache *c);

/*
 * The material of `ch` (a chain of the store that owns `c`), with a
 * reference for the caller: from the cache, or parsed now (and cached).
 * Any thread. NULL when it cannot be parsed (logged) or on ENOMEM.
 */
struct tls_material *tls_material_get(struct tls_material_cache *c,
                                      const struct tls_chain *ch);
/* Lets go of the caller's reference. NULL is fine. */
void tls_material_put(struct tls_material *m);

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
/* At the connection's close: lets go of its answer. */
void tls_alpn_conn_clear(struct tls_conn *tc);

#endif
