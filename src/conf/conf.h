/*
 * conf: the YAML configuration (libyaml) turned into a validated tree.
 *
 * conf_load() reads the main file and everything it includes, applies
 * defaults and aliases, validates every value, renders every policy (so the
 * size limit and ids are known), and reports every problem through the diag
 * sink as FILE:LINE:COL. It never stops at the first error. It performs no
 * network I/O and does not open certificate files (that is tls.c's job; it
 * only records their paths and locations).
 */
#ifndef STSD_CONF_H
#define STSD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "fileio.h"
#include "forward.h"
#include "policy.h"

enum listen_kind {
	LISTEN_HTTPS,   /* TLS, "https: ADDR:PORT" */
	LISTEN_HTTP,    /* plain HTTP backend, "http: ADDR:PORT" */
	LISTEN_UNIX,    /* plain HTTP on a unix socket, "unix: /path" */
	LISTEN_ADMIN,   /* metrics and status, "admin: ADDR:PORT" or "/path" */
};

struct conf_listener {
	enum listen_kind kind;
	char *text;                     /* as written, for messages */
	struct sockaddr_storage addr;   /* numeric only; port may be 0 */
	socklen_t addr_len;             /* for LISTEN_UNIX: sockaddr_un length */
	struct loc loc;
};

/* One "certificates:" entry: either a cert/key pair or a directory. */
struct conf_cert {
	char *cert;         /* PEM chain, leaf first; NULL for a dir entry */
	char *key;          /* PEM private key; NULL for a dir entry */
	char *dir;          /* directory of pairs (see stsd.yaml(5)); or NULL */
	struct loc loc;     /* of the entry */
	struct loc cert_loc, key_loc, dir_loc;
};


/* "acme:" (see stsd.yaml(5)): certificates from an ACME CA for the served
 * names no configured certificate covers. */
enum conf_acme_challenge { CONF_ACME_TLS_ALPN_01, CONF_ACME_HTTP_01 };
enum conf_acme_key_type { CONF_ACME_KEY_ECDSA_P256 };

struct conf_acme {
	bool enabled;                   /* an acme: section is present */
	char *directory;                /* https:// URL */
	char *email;                    /* or NULL */
	bool accept_terms;
	char *ca_file;                  /* extra trust for the directory, or NULL */
	enum conf_acme_challenge challenge;
	char *eab_kid, *eab_hmac_key;   /* both or neither */
	enum conf_acme_key_type key_type;
	bool domains_listed;            /* false: every configured domain */
	char **domains;                 /* normalised policy domains */
	size_t n_domains;
	unsigned orders_per_hour;       /* new orders an hour, on average */
	struct loc loc;                 /* of the acme: key */
};

/* Per-domain: the policy plus where its pieces were written. */
struct conf_domain {
	struct policy policy;
	struct loc loc;             /* the domain's key in "domains:" */
	bool retire;                /* retire: true (policy.mode is none) */
};

struct conf {
	char *path;                     /* main file, as given */
	char **files;                   /* every file read (owns the strings that
	                                   every struct loc points to) */
	size_t n_files;

	struct conf_listener *listeners;
	size_t n_listeners;
	struct conf_cert *certs;
	size_t n_certs;

	struct conf_domain *domains;    /* sorted by policy.domain */
	size_t n_domains;

	/* tls: */
	char *tls_priorities;           /* GnuTLS priority string */
	char *tls_default_host;         /* certificate for clients without SNI, or NULL */
	struct loc tls_default_host_loc;
	unsigned tls_expiry_warn_days;  /* default 14 */
	bool tls_session_tickets;       /* default true */

	/* http: */
	char *cache_control;            /* default "no-cache" */
	bool index_page;                /* default true: GET / shows a small page */
	char *index_template;           /* file, or NULL for the built-in template */
	struct loc index_template_loc;
	char *access_log;               /* NULL: off; "-": stderr; else a file path */
	struct forward_net *proxies;    /* trusted reverse proxies */
	size_t n_proxies;
	struct forward_net *admin_allow;/* who may use the admin listener */
	size_t n_admin_allow;

	/* limits: */
	unsigned max_connections;       /* default 1024 */
	unsigned max_connections_per_ip;/* default 32 */
	unsigned timeout_seconds;       /* default 10: idle/read timeout */
	unsigned max_header_bytes;      /* default 8192 */

	/* dns: */
	uint32_t dns_ttl;               /* default 3600 */
	char *dns_host_cname;           /* or NULL */
	char **dns_host_addrs;          /* or none */
	size_t n_dns_host_addrs;

	char *state_dir;                /* the state database's directory */
	bool state_dir_set;             /* written in the file (not the default) */

	/* monitor: what senders see of every served domain, in the background */
	bool monitor_enabled;           /* default true */
	unsigned monitor_interval;      /* seconds between two checks of a domain */
	unsigned monitor_concurrency;   /* domains checked at once */
	unsigned monitor_timeout;       /* seconds per network step */
	bool monitor_smtp;              /* probe every MX's STARTTLS */
	char *monitor_resolver;         /* "ADDR[@PORT]", or NULL: resolv.conf */
	char *monitor_ca_file;          /* trusted beside the system's, or NULL */
	/* tlsrpt: */
	unsigned tlsrpt_keep_days;      /* reports kept this long (default 400) */
	unsigned tlsrpt_ready_days;     /* ready-for-enforce window (14) */
	unsigned tlsrpt_ready_orgs;     /* organisations it needs (2) */
	char *tlsrpt_path;              /* HTTPS intake path, or NULL: off */
	unsigned tlsrpt_per_address;    /* uploads per client address a minute */
	struct conf_acme acme;

	/* process: */
	char *user;                     /* drop to this user when started as root */
	char *group;
	bool allow_root;                /* default false */
};

/* Defaults for the tunables, used by conf_load and documented in stsd.yaml(5). */
#define CONF_DEFAULT_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE"
#define CONF_DEFAULT_CACHE_CONTROL "no-cache"
#define CONF_DEFAULT_MAX_CONNECTIONS 1024
#define CONF_DEFAULT_MAX_CONNECTIONS_PER_IP 32
#define CONF_DEFAULT_TIMEOUT 10
#define CONF_DEFAULT_MAX_HEADER_BYTES 8192
#define CONF_DEFAULT_DNS_TTL 3600
#define CONF_DEFAULT_EXPIRY_WARN_DAYS 14
#define CONF_DEFAULT_MONITOR_INTERVAL 3600
#define CONF_MIN_MONITOR_INTERVAL 5
#define CONF_MAX_MONITOR_INTERVAL 604800
#define CONF_DEFAULT_MONITOR_CONCURRENCY 4
#define CONF_MAX_MONITOR_CONCURRENCY 64
#define CONF_DEFAULT_MONITOR_TIMEOUT 10
#define CONF_MAX_MONITOR_TIMEOUT 120
#define CONF_DEFAULT_FILE SYSCONFDIR "/stsd/stsd.yaml"
#define CONF_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/stsd"
#define CONF_DEFAULT_TLSRPT_KEEP_DAYS 400
#define CONF_MAX_TLSRPT_KEEP_DAYS 3660  /* ten years */
#define CONF_DEFAULT_TLSRPT_READY_DAYS 14
#define CONF_MAX_TLSRPT_READY_DAYS 366
#define CONF_DEFAULT_TLSRPT_READY_ORGS 2
#define CONF_MAX_TLSRPT_READY_ORGS 1000
#define CONF_MAX_TLSRPT_PATH 256        /* bytes of tlsrpt.path */
#define CONF_DEFAULT_TLSRPT_PER_ADDRESS 600
#define CONF_MAX_TLSRPT_PER_ADDRESS 100000
/* Under state_dir: the ACME account key, and HOST.pem + HOST.key per name. */
#define CONF_ACME_ACCOUNT_KEY "acme/account.key"
#define CONF_ACME_CERTS_DIR "acme/certs"
#define CONF_DEFAULT_ACME_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"
/* New orders (first issuance, renewal and retry alike) go through a token
 * bucket (core/tokenbucket.h): Let's Encrypt allows 300 new orders per
 * account in 3 hours, refilled one every 36 s, i.e. 100 an hour. stsd
 * takes that rate but a burst of only 30, far inside the CA's 300; the
 * bucket is saved in the state directory, so a restart does not refill
 * it. */
#define CONF_DEFAULT_ACME_ORDERS_PER_HOUR 100
#define CONF_MAX_ACME_ORDERS_PER_HOUR 360000    /* 100 a second: test CAs */
#define CONF_ACME_ORDERS_BURST 30       /* or orders_per_hour, if smaller */
/* Bounds of the tunables (stsd.yaml(5) shows these very numbers: the man
 * page is made from this header). */
#define CONF_MAX_CONNECTIONS 1000000    /* connections, connections_per_ip */
#define CONF_MAX_TIMEOUT 3600           /* seconds */
#define CONF_MIN_HEADER_BYTES 1024
#define CONF_MAX_HEADER_BYTES 1048576
#define CONF_MAX_DNS_TTL 2147483647     /* RFC 2181 section 8 */
#define CONF_MAX_INCLUDE_DEPTH 16
#define CONF_MAX_LISTENERS 16
#define CONF_MAX_YAML_NODES 1000000     /* bounds alias expansion */

/* Loads `path` from the file system. Returns the configuration, or NULL
 * when d->errors > 0 after loading (every error has been reported) or on
 * ENOMEM. Caller frees with conf_free(). */
struct conf *conf_load(const char *path, struct diag *d);

/* Where the loader's files come from. conf_fs_source is the file system;
 * tests and the fuzzer give their own, in memory. */
#define CONF_SOURCE_NOMATCH (-1)
struct conf_source {
	/* As fileio_read: 0 and *out filled, or an errno value /
	 * FILEIO_ENOTREG. out->st identifies the file (st_dev, st_ino). */
	int (*read)(void *ctx, const char *path, size_t max,
	            struct fileio_data *out);
	/* Expands a glob(7) pattern: 0 and *paths, *n (sorted; the caller
	 * frees each and the array), CONF_SOURCE_NOMATCH, or an errno. */
	int (*expand)(void *ctx, const char *pattern, char ***paths, size_t *n);
	void *ctx;
};
extern const struct conf_source conf_fs_source;

/* conf_load with files from `src`. */
struct conf *conf_load_from(const char *path, const struct conf_source *src,
                            struct diag *d);

/* True when some listener is LISTEN_HTTPS (certificates are then needed). */
bool conf_has_tls(const struct conf *c);

/* True when acme: is enabled and its certificates include the policy
 * domain `domain` (normalised): listed, or every domain by default. Whether
 * a configured certificate covers it is the tls store's business. */
bool conf_acme_wants(const struct conf *c, const char *domain);

/* The domain named `name` (normalised), or NULL. Binary search. */
const struct conf_domain *conf_find_domain(const struct conf *c, const char *name);

void conf_free(struct conf *c);

#endif
