/*
 * tls: certificates, keys and SNI selection (GnuTLS, which this header
 * keeps to itself: a TLS session is passed as the `void *` that
 * libmicrohttpd hands out, a gnutls_session_t).
 *
 * A tls_store holds every configured chain and key, and a table from host
 * name (exact "mta-sts.example.com" and wildcard "*.example.com" SANs) to the
 * chain to present. It is built at load time, checked (SAN coverage of every
 * served name, key/certificate match, expiry, key file permissions), and
 * immutable afterwards: any number of handshakes may read it at once.
 */
#ifndef STSD_TLS_H
#define STSD_TLS_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "diag.h"

struct tls_store;
struct tls_alpn_answer;

/* Process-wide state (the session ticket master key). Call once before any
 * server starts; tls_global_fini() at exit. 0 or -1. */
int tls_global_init(void);
void tls_global_fini(void);

/*
 * Loads every certificates: entry of `c` and checks it against the served
 * names (mta-sts.<domain> for each domain). Errors and warnings go to `d`
 * with the location of the offending entry. Returns NULL when anything was
 * an error. Reads files; never called on the request path. The pairs are
 * parsed on one thread per usable CPU; messages and results are those of
 * one thread, in configuration order. `live` (or NULL) is the store
 * serving now: a pair whose files have not changed since it loaded them is
 * copied from it, not parsed again, with the same messages. Only read, and
 * it must stay alive meanwhile.
 */
struct tls_store *tls_store_load(const struct conf *c,
                                 const struct tls_store *live,
                                 struct diag *d);

/* How many threads tls_store_load() parses with at most; 0 (the default):
 * one per CPU the process may run on. For tests and benchmarks. */
void tls_store_set_load_threads(unsigned n);
void tls_store_free(struct tls_store *s);

/* Number of chains loaded (for status lines). */
size_t tls_store_count(const struct tls_store *s);

/*
 * The certificate file whose chain a client asking for `host` gets (exact
 * SAN first, then "*." + parent), or NULL when no chain covers it. `host`
 * is a lookup key as name_host_key() makes it. Points into `s`. For tests
 * and status output.
 */
const char *tls_store_lookup(const struct tls_store *s, const char *host);

/* What the handshake hook refused, if anything. */
enum tls_refusal {
	TLS_REFUSED_NONE,
	TLS_REFUSED_NO_SNI,         /* no name and no tls.default_host */
	TLS_REFUSED_UNKNOWN_SNI,    /* a name no certificate covers */
};

struct tls_material;

/* One connection's TLS state, owned by the caller (in its connection
 * struct): set `store`, then call tls_session_setup(); `refused` says what
 * the hook refused. */
struct tls_conn {
	const struct tls_store *store;
	enum tls_refusal refused;
	struct tls_alpn_answer *acme;   /* tls-alpn-01 (tls_alpn.h), or NULL */
	struct tls_material *material;  /* the chain a full handshake sent */
};

/* At the connection's close: lets go of what its handshake held. */
void tls_conn_clear(struct tls_conn *tc);

/* Who covers `host` (a lookup key): no chain, a configured certificate, or
 * one stored by the ACME thread. Configured certificates always win. */
enum tls_source { TLS_SOURCE_NONE, TLS_SOURCE_CONFIGURED, TLS_SOURCE_ACME };
enum tls_source tls_store_source(const struct tls_store *s, const char *host);

/*
 * Prepares a freshly created server session before its handshake: remembers
 * `tc` for tls_cert_callback (gnutls_db_set_ptr: libmicrohttpd owns the
 * session pointer), refuses unknown SNI names with an unrecognized_name
 * alert, enables session tickets, offers ALPN "http/1.1" only (never h2;
 * start libmicrohttpd with MHD_OPTION_TLS_NO_ALPN). `tc` and its store
 * must outlive the session. 0, or -1 (also when tc or its store is NULL).
 */
int tls_session_setup(struct tls_conn *tc, void *session);

/*
 * The value for MHD_OPTION_HTTPS_CERT_CALLBACK: a
 * gnutls_certificate_retrieve_function2 that picks the chain for the
 * session's SNI name; with no SNI, the configured default host's chain or
 * none; for an unknown name it fails the handshake with an
 * unrecognized_name alert.
 */
void *tls_cert_callback_option(void);

/* The leaf's notAfter of the chain a client asking for `host` (a lookup
 * key) gets, or 0 when none covers it. */
time_t tls_store_expiry(const struct tls_store *s, const char *host);

/* Calls fn for every chain: its file, the first name of its leaf, and its
 * expiry. */
typedef void tls_chain_fn(void *ctx, const char *file, const char *name,
                          time_t not_after);
void tls_store_each(const struct tls_store *s, tls_chain_fn *fn, void *ctx);

/* Copies the session's SNI name (NUL-terminated, maybe truncated) to out;
 * returns its length, 0 when the client sent none. For the access log. */
size_t tls_session_sni(void *session, char *out, size_t out_len);

#endif
