/*
 * acme_renew: the ACME thread (see acme_renew.h).
 *
 * Everything in struct acme_renew below the lock is the thread's own; the
 * main thread touches only stop/poked (under the lock) and `cancel`.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "acme.h"
#include "acme_http.h"
#include "acme_report.h"
#include "acme_renew.h"
#include "acme_store.h"
#include "conf.h"
#include "hostmap.h"
#include "log.h"
#include "name.h"
#include "snapshot.h"
#include "tls.h"
#include "tls_alpn.h"
#include "tokenbucket.h"

/* One name the thread looks after. */
struct name_state {
	char name[NAME_MAX_LEN + 1];
	bool seen;                      /* wanted by the current snapshot */
	bool have;                      /* a stored certificate */
	time_t not_before, not_after;
	time_t due;                     /* next order (renewal or retry) */
	time_t ari_due;                 /* next renewalInfo query, 0: none */
	unsigned failures;
	char error[512];
	long queued;                    /* names ahead for a token, -1: not due */
	time_t queue_at;                /* when its order may start, if queued */
};

struct acme_renew {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, poked;               /* under lock */
	atomic_bool cancel;             /* stops an order in progress */

	char *cfg_id;                   /* what the client was made from */
	struct acme_config cfg;         /* strings owned (copies) */
	char *state_dir;
	struct acme_client *client;
	struct name_state *names;
	size_t n_names, cap_names;
	time_t global_until;            /* a CA-wide failure: nobody before */
	unsigned global_failures;
	bool ari_none;                  /* the CA has no renewalInfo */
	bool swap_pending;
	time_t last_swap;
	bool dir_failed;                /* logged once */
	struct tokenbucket bucket;      /* new orders (tokenbucket.h) */
	bool bucket_ready;              /* set up by the first acme: seen */
	unsigned orders_per_hour;
	time_t queue_logged;            /* last "queued" line, 0: none due */
	size_t *order;                  /* pace()'s scratch: indices */
};

/* ---- configuration ------------------------------------------------------- */

static void cfg_clear(struct acme_renew *r)
{
	acme_client_free(r->client);
	r->client = NULL;
	free((char *)r->cfg.directory_url);
	free((char *)r->cfg.ca_file);
	free((char *)r->cfg.email);
	free((char *)r->cfg.eab_kid);
	free((char *)r->cfg.eab_hmac_key);
	memset(&r->cfg, 0, sizeof(r->cfg));
	free(r->cfg_id);
	r->cfg_id = NULL;
	free(r->state_dir);
	r->state_dir = NULL;
	r->n_names = 0;
	r->global_until = 0;
	r->global_failures = 0;
	r->ari_none = false;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Takes the acme: settings of `c` when they changed. false on ENOMEM. */
static bool cfg_take(struct acme_renew *r, const struct conf *c)
{
	const struct conf_acme *a = &c->acme;
	char *id;

	if (asprintf(&id, "%s\n%s\n%s\n%s\n%s\n%d\n%s\n%d", a->directory,
	             a->email ? a->email : "", a->ca_file ? a->ca_file : "",
	             a->eab_kid ? a->eab_kid : "",
	             a->eab_hmac_key ? a->eab_hmac_key : "", (int)a->challenge,
	             c->state_dir, (int)a->accept_terms) < 0)
		return false;
	if (r->cfg_id != NULL && !strcmp(id, r->cfg_id)) {
		free(id);
		return true;
	}
	cfg_clear(r);
	r->cfg_id = id;
	r->cfg.directory_url = dup_or_null(a->directory);
	r->cfg.ca_file = dup_or_null(a->ca_file);
	r->cfg.email = dup_or_null(a->email);
	r->cfg.eab_kid = dup_or_null(a->eab_kid);
	r->cfg.eab_hmac_key = dup_or_null(a->eab_hmac_key);
	r->cfg.accept_terms = a->accept_terms;
	r->cfg.challenge = a->challenge == CONF_ACME_HTTP_01 ?
		ACME_CHALLENGE_HTTP_01 : ACME_CHALLENGE_TLS_ALPN_01;
	r->cfg.order_timeout_s = 300;
	r->cfg.cancel = &r->cancel;
	r->state_dir = strdup(c->state_dir);
	return r->state_dir != NULL && r->cfg.directory_url != NULL;
}

/* The order bucket follows acme.orders_per_hour. It starts full once (or
 * as the state directory kept it: a restart, even a crash loop, does not
 * refill it), and a reload (or acme: off and on again) keeps what is left:
 * only time refills it, so neither can make a storm. */
static void bucket_take_conf(struct acme_renew *r, const struct conf_acme *a,
                             time_t now)
{
	unsigned rate = a->orders_per_hour;
	unsigned burst = rate < CONF_ACME_ORDERS_BURST ? rate
	                                              : CONF_ACME_ORDERS_BURST;
	uint64_t level;
	int64_t at;

	if (!r->bucket_ready && acme_bucket_read(r->state_dir, &level,
	                                         &at) == 0)
		tokenbucket_resume(&r->bucket, rate, burst, level, at, now);
	else if (!r->bucket_ready)
		tokenbucket_init(&r->bucket, rate, burst, now);
	else if (rate != r->orders_per_hour)
		tokenbucket_configure(&r->bucket, rate, burst, now);
	r->bucket_ready = true;
	r->orders_per_hour = rate;
}

/* ---- names --------------------------------------------------------------- */

static time_t renew_at(const struct name_state *ns)
{
	if (ns->not_after <= ns->not_before)
		return 0;
	return ns->not_before + (ns->not_after - ns->not_before) / 3 * 2;
}

/* What the state directory holds for ns: sets have, validity and due. */
static void name_load(struct acme_renew *r, struct name_state *ns, time_t now)
{
	char *pem = acme_store_cert_path(r->state_dir, ns->name, "pem");
	struct acme_cert_info info;

	ns->have = pem && acme_store_cert_info(pem, &info) == 0 &&
	           info.not_after > now;
	free(pem);
	if (ns->have) {
		ns->not_before = info.not_before;
		ns->not_after = info.not_after;
		ns->due = renew_at(ns);
		ns->ari_due = r->ari_none ? 0 : now;
	} else {
		ns->due = now;
		ns->ari_due = 0;
	}
}

/* Room for `more` names, so that no pointer into r->names moves while a
 * round indexes them. */
static bool names_reserve(struct acme_renew *r, size_t more)
{
	struct name_state *n;
	size_t *idx, cap = r->n_names + more;

	if (cap <= r->cap_names)
		return true;
	n = realloc(r->names, cap * sizeof(*n));
	if (n == NULL)
		return false;
	r->names = n;
	idx = realloc(r->order, cap * sizeof(*idx));
	if (idx == NULL)
		return false;
	r->order = idx;
	r->cap_names = cap;
	return true;
}

/* After names_reserve(). */
static struct name_state *name_add(struct acme_renew *r, const char *name,
                                   time_t now)
{
	struct name_state *ns = &r->names[r->n_names++];

	memset(ns, 0, sizeof(*ns));
	ns->queued = -1;
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	name_load(r, ns, now);
	return ns;
}

/*
 * Reads the current snapshot: the settings, and which names want an ACME
 * certificate (wanted domains that no configured certificate covers).
 * false when ACME is off.
 */
static bool sync_names(struct acme_renew *r, time_t now)
{
	struct snapshot *snap = snapshot_acquire();
	const struct conf *c = snap ? snap->conf : NULL;
	char host[NAME_MAX_LEN + 1];
	struct hostmap *index;
	size_t i, kept = 0;

	if (c == NULL || !c->acme.enabled) {
		snapshot_release(snap);
		cfg_clear(r);
		return false;
	}
	if (!cfg_take(r, c)) {
		snapshot_release(snap);
		log_warnx("acme: out of memory");
		cfg_clear(r);
		return false;
	}
	bucket_take_conf(r, &c->acme, now);
	if (acme_store_mkdirs(r->state_dir) != 0) {
		if (!r->dir_failed)
			log_warnx("acme: cannot create %s/%s: %s (no certificate "
			          "can be stored; retrying)", r->state_dir,
			          CONF_ACME_CERTS_DIR, strerror(errno));
		r->dir_failed = true;
	} else {
		r->dir_failed = false;
	}
	/* One hash index per round: linear at 10 000 names. */
	if (!names_reserve(r, c->n_domains) ||
	    (index = hostmap_new(r->n_names + c->n_domains)) == NULL) {
		snapshot_release(snap);
		log_warnx("acme: out of memory");
		return r->n_names > 0;
	}
	for (i = 0; i < r->n_names; i++) {
		r->names[i].seen = false;
		hostmap_put(index, r->names[i].name, &r->names[i]);
	}
	for (i = 0; i < c->n_domains; i++) {
		const char *domain = c->domains[i].policy.domain;
		struct name_state *ns;
		int n = snprintf(host, sizeof(host), "mta-sts.%s", domain);

		if (!conf_acme_wants(c, domain) || n < 0 ||
		    (size_t)n >= sizeof(host) ||
		    tls_store_source(snap->tls, host) == TLS_SOURCE_CONFIGURED)
			continue;
		ns = hostmap_get(index, host, (size_t)n);
		if (ns == NULL) {
			ns = name_add(r, host, now);
			hostmap_put(index, ns->name, ns);
		}
		ns->seen = true;
	}
	hostmap_free(index);
	snapshot_release(snap);
	for (i = 0; i < r->n_names; i++)
		if (r->names[i].seen)
			r->names[kept++] = r->names[i];
	r->n_names = kept;
	return true;
}

/* ---- pacing -------------------------------------------------------------- */

/* When ns may be ordered, the bucket aside: its due time, or later when
 * the whole CA is in backoff. */
static time_t due_at(const struct acme_renew *r, const struct name_state *ns)
{
	return ns->due > r->global_until ? ns->due : r->global_until;
}

/* When ns's next order should start: its turn at the bucket if queued. */
static time_t next_attempt(const struct acme_renew *r,
                           const struct name_state *ns)
{
	return ns->queued >= 0 ? ns->queue_at : due_at(r, ns);
}

/* The queue's order: the most overdue first (a renewal near expiry before
 * a retry), then the configuration's order. */
static int by_due(const void *a, const void *b, void *arg)
{
	const struct name_state *names = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (names[i].due != names[j].due)
		return names[i].due < names[j].due ? -1 : 1;
	return i < j ? -1 : i > j;
}

static void queue_log(struct acme_renew *r, size_t n_due, time_t now)
{
	const struct name_state *head = NULL;
	int64_t wait;

	if (n_due == 0) {
		r->queue_logged = 0;
		return;
	}
	head = &r->names[r->order[0]];
	wait = head->queue_at - now;
	if (wait <= 0 || (r->queue_logged &&
	                  now - r->queue_logged < ACME_QUEUE_LOG_EVERY))
		return;
	r->queue_logged = now;
	log_info("acme: %zu name%s queued for the order budget "
	         "(acme.orders_per_hour: %u): next order in %lld s (%s), "
	         "the last in about %lld s", n_due, n_due == 1 ? "" : "s",
	         r->orders_per_hour, (long long)wait, head->name,
	         (long long)(r->names[r->order[n_due - 1]].queue_at - now));
}

/*
 * Queues the names whose order is due (not before `now`, the CA not in
 * backoff) by due time, and gives each its turn at the bucket: the k-th
 * waits for k + 1 tokens. Names not due are not queued.
 */
static void pace(struct acme_renew *r, time_t now)
{
	size_t n_due = 0;

	for (size_t i = 0; i < r->n_names; i++) {
		r->names[i].queued = -1;
		if (due_at(r, &r->names[i]) <= now)
			r->order[n_due++] = i;
	}
	qsort_r(r->order, n_due, sizeof(*r->order), by_due, r->names);
	for (size_t k = 0; k < n_due; k++) {
		struct name_state *ns = &r->names[r->order[k]];

		ns->queued = (long)k;
		ns->queue_at = now + (time_t)tokenbucket_wait(&r->bucket, now,
		                                              k + 1);
	}
	queue_log(r, n_due, now);
}

/* The same table for /metrics (acme_report.h). */
static void report(const struct acme_renew *r)
{
	struct acme_report_row *rows;

	if (r->state_dir == NULL) {
		acme_report_clear();    /* ACME is off */
		return;
	}
	rows = calloc(r->n_names ? r->n_names : 1, sizeof(*rows));
	if (rows == NULL)
		return;
	for (size_t i = 0; i < r->n_names; i++) {
		const struct name_state *ns = &r->names[i];

		rows[i] = (struct acme_report_row){
			.name = ns->name,
			.not_after = ns->have ? ns->not_after : 0,
			.next = next_attempt(r, ns),
			.failures = ns->failures,
			.queued = ns->queued,
			.error = ns->error,
		};
	}
	acme_report_set(rows, r->n_names);
	free(rows);
}

static void status_save(struct acme_renew *r)
{
	struct acme_status_row *rows;

	report(r);
	if (r->state_dir == NULL || r->dir_failed)
		return;
	rows = calloc(r->n_names ? r->n_names : 1, sizeof(*rows));
	if (rows == NULL)
		return;
	for (size_t i = 0; i < r->n_names; i++) {
		const struct name_state *ns = &r->names[i];

		memcpy(rows[i].name, ns->name, sizeof(rows[i].name));
		rows[i].next = next_attempt(r, ns);
		rows[i].failures = ns->failures;
		rows[i].queued = ns->queued;
		memcpy(rows[i].error, ns->error, sizeof(rows[i].error));
	}
	if (acme_status_write(r->state_dir, rows, r->n_names) != 0)
		log_debug("acme: cannot write the status file: %s",
		          strerror(errno));
	free(rows);
}

/* ---- orders -------------------------------------------------------------- */

/* Challenges go up and down in the process-wide tables the listeners
 * read (tls_alpn.c, acme_http.c). */
static int challenge(void *arg, enum acme_challenge_op op,
                     const struct acme_challenge_info *ch)
{
	if (ch->type == ACME_CHALLENGE_TLS_ALPN_01) {
		if (op == ACME_CHALLENGE_PROVISION)
			return tls_alpn_put(ch->name, ch->cert_pem, ch->key_pem);
		tls_alpn_remove(ch->name);
		return 0;
	}
	if (op == ACME_CHALLENGE_PROVISION)
		return acme_http_put(ch->token, ch->key_authorization);
	acme_http_remove(ch->token);
	return 0;
}

/* The client, with the stored account key (or a new one, stored first). */
static int client_ready(struct acme_renew *r, struct acme_error *err)
{
	char *path, *key;

	if (r->client != NULL)
		return 0;
	path = acme_store_path(r->state_dir, CONF_ACME_ACCOUNT_KEY);
	if (path == NULL)
		goto oom;
	key = acme_store_read(path);
	r->client = acme_client_new(&r->cfg, key, err);
	free(key);
	if (r->client != NULL && key == NULL) {
		char *pem = acme_client_account_key_pem(r->client);

		/* Never use an account whose key is not safely stored: every
		 * restart would make another one. */
		if (pem == NULL || acme_store_write(path, pem) != 0) {
			snprintf(err->message, sizeof(err->message), "cannot "
			         "store the account key in %s: %s", path,
			         pem ? strerror(errno) : "out of memory");
			err->kind = ACME_ERR_LOCAL;
			err->retry_after = -1;
			acme_client_free(r->client);
			r->client = NULL;
		} else {
			log_info("acme: new account key stored in %s", path);
		}
		free(pem);
	}
	free(path);
	return r->client != NULL ? 0 : -1;
oom:
	memset(err, 0, sizeof(*err));
	err->kind = ACME_ERR_LOCAL;
	err->retry_after = -1;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return -1;
}

/* Failures that say the CA (or the way to it) is unwell, not one name. */
static bool ca_wide(const struct acme_error *e)
{
	return e->kind == ACME_ERR_NETWORK || e->kind == ACME_ERR_TIMEOUT ||
	       e->kind == ACME_ERR_PROTOCOL || e->kind == ACME_ERR_CONFIG ||
	       e->kind == ACME_ERR_LOCAL ||
	       strstr(e->problem_type, ":rateLimited") != NULL ||
	       e->http_status >= 500;
}

static void failed(struct acme_renew *r, struct name_state *ns,
                   const struct acme_error *e, time_t now)
{
	int64_t wait;

	ns->failures++;
	wait = acme_error_backoff(e, ns->failures);
	if (ca_wide(e)) {
		r->global_failures++;
		wait = acme_error_backoff(e, r->global_failures);
		r->global_until = now + wait;
	}
	ns->due = now + wait;
	snprintf(ns->error, sizeof(ns->error), "%s: %.400s",
	         acme_error_kind_name(e->kind), e->message);
	log_warnx("acme: %s: %s; %s in %lld s", ns->name, ns->error,
	          ns->have ? "the current certificate keeps serving; next "
	                     "attempt" : "next attempt", (long long)wait);
}

static int store_cert(struct acme_renew *r, struct name_state *ns,
                      const struct acme_certificate *cert)
{
	char *pem = acme_store_cert_path(r->state_dir, ns->name, "pem");
	char *key = acme_store_cert_path(r->state_dir, ns->name, "key");
	int rc = -1;

	/* The key first: the loader keys on the chain, and a chain next to
	 * an old key is refused (and ordered again), never served wrongly. */
	if (pem && key && acme_store_write(key, cert->key_pem) == 0 &&
	    acme_store_write(pem, cert->chain_pem) == 0)
		rc = 0;
	free(pem);
	free(key);
	return rc;
}

static void order(struct acme_renew *r, struct name_state *ns)
{
	struct acme_certificate cert;
	struct acme_error err;
	const char *names[1] = { ns->name };
	char until[32], due[32];

	memset(&err, 0, sizeof(err));
	memset(&cert, 0, sizeof(cert));
	ns->queued = -1;
	if (!tokenbucket_take(&r->bucket, time(NULL)))
		return;         /* not its turn after all: pace() again */
	if (acme_bucket_write(r->state_dir, r->bucket.level, r->bucket.at) != 0)
		log_debug("acme: cannot save the order bucket: %s",
		          strerror(errno));
	log_info("acme: %s: ordering a certificate (%s)", ns->name,
	         ns->have ? "renewal" : "none yet");
	if (client_ready(r, &err) != 0 ||
	    acme_issue(r->client, names, 1, NULL, challenge, r, &cert,
	               &err) != 0) {
		if (err.kind != ACME_ERR_CANCELLED) {
			failed(r, ns, &err, time(NULL));
			acme_report_order(false);
		}
		return;
	}
	if (store_cert(r, ns, &cert) != 0) {
		err.kind = ACME_ERR_LOCAL;
		err.retry_after = -1;
		snprintf(err.message, sizeof(err.message), "cannot store the "
		         "certificate in %s/%s: %s", r->state_dir,
		         CONF_ACME_CERTS_DIR, strerror(errno));
		acme_certificate_clear(&cert);
		failed(r, ns, &err, time(NULL));
		acme_report_order(false);
		return;
	}
	acme_certificate_clear(&cert);
	name_load(r, ns, time(NULL));
	ns->failures = 0;
	ns->error[0] = '\0';
	r->global_failures = 0;
	r->swap_pending = true;
	acme_report_order(true);
	acme_store_format_time(ns->not_after, until, sizeof(until));
	acme_store_format_time(ns->due, due, sizeof(due));
	log_info("acme: %s: certificate issued, valid until %s; renewal due "
	         "at %s", ns->name, until, due);
}

/* A uniformly random offset in [0, span] from the kernel (random() was
 * never seeded: every stsd picked the same points). Its modulo bias is
 * below 2^-32 for any window shorter than a century. When getrandom
 * fails, the middle of the window: still inside it. */
static time_t random_offset(time_t span)
{
	uint64_t x;

	if (span <= 0)
		return 0;
	if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
		return span / 2;
	return (time_t)(x % ((uint64_t)span + 1));
}

/* RFC 9773: the CA's window, when it has one, moves the renewal. */
static void ari_query(struct acme_renew *r, struct name_state *ns, time_t now)
{
	struct acme_renewal_info info = { 0 };
	struct acme_error err;
	int64_t poll = 6 * 3600;
	char *path = acme_store_cert_path(r->state_dir, ns->name, "pem");
	char *pem = path ? acme_store_read(path) : NULL;
	int rc = -1;

	memset(&err, 0, sizeof(err));
	free(path);
	if (pem != NULL && client_ready(r, &err) == 0)
		rc = acme_renewal_info(r->client, pem, &info, &poll, &err);
	free(pem);
	ns->ari_due = now + (poll > 60 ? poll : 60);
	if (rc == 1) {
		r->ari_none = true;     /* two thirds of the lifetime, always */
		for (size_t i = 0; i < r->n_names; i++)
			r->names[i].ari_due = 0;
		log_debug("acme: the CA offers no renewal information");
	} else if (rc == 0) {
		time_t span = info.end > info.start ? info.end - info.start : 0;

		/* A random point of the window (RFC 9773 section 4.2), so
		 * that many names do not renew at one instant. */
		ns->due = (time_t)info.start + random_offset(span);
		acme_renewal_info_clear(&info);
	} else {
		log_debug("acme: %s: renewalInfo: %s", ns->name, err.message);
	}
}

/* ---- the thread ---------------------------------------------------------- */

/* Sleeps until `until` or a stop (or a poke, when poke_wakes). */
static bool nap(struct acme_renew *r, time_t until, bool poke_wakes)
{
	struct timespec ts = { .tv_sec = until };
	bool stop;

	pthread_mutex_lock(&r->lock);
	while (!r->stop && !(poke_wakes && r->poked) && time(NULL) < until)
		if (pthread_cond_timedwait(&r->wake, &r->lock, &ts) == ETIMEDOUT)
			break;
	if (poke_wakes)
		r->poked = false;
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return !stop;
}

static void swap(struct acme_renew *r, time_t now)
{
	log_info("acme: new certificates: loading them");
	r->swap_pending = false;
	r->last_swap = now;
	kill(getpid(), SIGUSR1);
}

/* The next job: an order (the head of the queue, or a name that comes
 * due) or a renewalInfo query, and when. NULL when there is nothing. */
static struct name_state *next_job(struct acme_renew *r, time_t *next,
                                   bool *ari)
{
	struct name_state *job = NULL;

	for (size_t i = 0; i < r->n_names; i++) {
		struct name_state *ns = &r->names[i];
		time_t t = next_attempt(r, ns);
		bool is_ari = false;

		/* A renewalInfo query before the order it may move. */
		if (!r->ari_none && ns->ari_due && ns->ari_due < t) {
			t = ns->ari_due;
			if (t < r->global_until)
				t = r->global_until;
			is_ari = true;
		}
		/* Ties (several tokens at hand) go in queue order. */
		if (t < *next || (t == *next && job && !*ari && !is_ari &&
		                  ns->queued >= 0 && ns->queued < job->queued)) {
			*next = t;
			job = ns;
			*ari = is_ari;
		}
	}
	return job;
}

static void *run(void *arg)
{
	struct acme_renew *r = arg;

	for (;;) {
		time_t now = time(NULL), next = now + ACME_IDLE_CHECK;
		struct name_state *job = NULL;
		bool ari = false;

		if (sync_names(r, now)) {
			pace(r, now);
			job = next_job(r, &next, &ari);
		}
		if (job == NULL || next > now) {
			if (r->swap_pending)
				swap(r, now);
			status_save(r);
			if (!nap(r, job ? next : now + ACME_IDLE_CHECK, true))
				break;
			continue;
		}
		if (ari)
			ari_query(r, job, now);
		else
			order(r, job);
		now = time(NULL);
		pace(r, now);
		status_save(r);
		if (r->swap_pending && now - r->last_swap >= ACME_SWAP_EVERY)
			swap(r, now);
		/* No pause after an order (the bucket paces them); a
		 * second after a renewalInfo query, which the bucket does not
		 * count, so 10 000 names do not query the CA at once. A stop
		 * is seen here, after at most one job. */
		if (!nap(r, now + (ari ? ACME_ARI_GAP : 0), false))
			break;
	}
	return NULL;
}

struct acme_renew *acme_renew_start(void)
{
	struct acme_renew *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		log_warnx("acme: out of memory; no certificates will be ordered");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	atomic_init(&r->cancel, false);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		log_warnx("acme: cannot start the thread; no certificates will "
		          "be ordered");
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return r;
}

void acme_renew_poke(struct acme_renew *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->poked = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void acme_renew_stop(struct acme_renew *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->cancel, true);
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	cfg_clear(r);
	free(r->names);
	free(r->order);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
	tls_alpn_clear_all();
	acme_http_clear_all();
	acme_report_clear();
}
