/*
 * stats: request counters per snapshot, totals per process (see stats.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hostmap.h"
#include "stats.h"
#include "tlsrpt_stats.h"

struct stats_counters {
	size_t n_listeners, n_domains;
	_Atomic uint64_t *listener_status;  /* n_listeners * STATS_N_STATUS */
	_Atomic uint64_t *domain_status;    /* n_domains * STATS_N_STATUS */
	_Atomic uint64_t *fetches;          /* n_domains: policy 200s */
	char (*ids)[33];                    /* n_domains: the id served */
	char **names;                       /* n_domains: not owned (conf) */
};

/* The totals of one domain, kept for the life of the process. */
struct domain_total {
	char *name;
	struct stats_facts facts;
	struct stats_monitor monitor;
	struct stats_tlsrpt tlsrpt;
	uint64_t status[STATS_N_STATUS];
	struct stats_id_total *ids;
	size_t n_ids, ids_cap;
};

/* Event counters: atomics, added to from any thread. */
static _Atomic uint64_t refused[CONF_MAX_LISTENERS];
static _Atomic uint64_t connections[CONF_MAX_LISTENERS];
static _Atomic uint64_t tls_handshakes;
static _Atomic uint64_t tls_failures[STATS_TLS_N_FAILURE];

/* Everything below is under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hostmap *by_name;          /* name -> struct domain_total */
static struct domain_total **domains;
static size_t n_domains, domains_cap;
static uint64_t listener_status[CONF_MAX_LISTENERS][STATS_N_STATUS];
static uint64_t reloads_ok, reloads_failed;
static time_t last_reload, last_reload_ok_time, started;
static bool last_reload_ok = true;

static const unsigned status_codes[STATS_OTHER] = {
	[STATS_200] = 200, [STATS_400] = 400, [STATS_404] = 404,
	[STATS_405] = 405, [STATS_413] = 413, [STATS_431] = 431,
};

enum stats_status stats_status_of(unsigned http_status)
{
	for (int s = 0; s < STATS_OTHER; s++)
		if (status_codes[s] == http_status)
			return (enum stats_status)s;
	return STATS_OTHER;
}

const char *stats_status_name(enum stats_status s)
{
	static const char *const names[STATS_N_STATUS] = {
		[STATS_200] = "200", [STATS_400] = "400", [STATS_404] = "404",
		[STATS_405] = "405", [STATS_413] = "413", [STATS_431] = "431",
		[STATS_OTHER] = "other",
	};

	return names[s];
}

const char *stats_tls_failure_name(enum stats_tls_failure f)
{
	static const char *const names[STATS_TLS_N_FAILURE] = {
		[STATS_TLS_UNKNOWN_SNI] = "unknown_sni",
		[STATS_TLS_NO_SNI] = "no_sni",
		[STATS_TLS_OTHER] = "other",
	};

	return names[f];
}

/* ---- the request path -------------------------------------------------- */

static void counters_free(struct stats_counters *k)
{
	if (k == NULL)
		return;
	free(k->listener_status);
	free(k->domain_status);
	free(k->fetches);
	free(k->ids);
	free(k->names);
	free(k);
}

struct stats_counters *stats_counters_new(const struct conf *c)
{
	struct stats_counters *k = calloc(1, sizeof(*k));
	size_t nd = c->n_domains ? c->n_domains : 1;

	if (k == NULL)
		return NULL;
	k->n_listeners = c->n_listeners;
	k->n_domains = c->n_domains;
	k->listener_status = calloc((c->n_listeners ? c->n_listeners : 1) *
	                            STATS_N_STATUS, sizeof(*k->listener_status));
	k->domain_status = calloc(nd * STATS_N_STATUS, sizeof(*k->domain_status));
	k->fetches = calloc(nd, sizeof(*k->fetches));
	k->ids = calloc(nd, sizeof(*k->ids));
	k->names = calloc(nd, sizeof(*k->names));
	if (!k->listener_status || !k->domain_status || !k->fetches || !k->ids ||
	    !k->names) {
		counters_free(k);
		return NULL;
	}
	for (size_t i = 0; i < c->n_domains; i++) {
		k->names[i] = c->domains[i].policy.domain;
		memcpy(k->ids[i], c->domains[i].policy.id, sizeof(k->ids[i]));
	}
	return k;
}

void stats_count_request(struct stats_counters *k, size_t listener,
                         size_t domain, unsigned http_status, bool policy)
{
	enum stats_status s = stats_status_of(http_status);

	if (k == NULL)
		return;
	if (listener < k->n_listeners)
		atomic_fetch_add_explicit(
			&k->listener_status[listener * STATS_N_STATUS + s], 1,
			memory_order_relaxed);
	if (domain >= k->n_domains)
		return;
	atomic_fetch_add_explicit(&k->domain_status[domain * STATS_N_STATUS + s],
	                          1, memory_order_relaxed);
	if (policy)
		atomic_fetch_add_explicit(&k->fetches[domain], 1,
		                          memory_order_relaxed);
}

void stats_count_tls_failure(enum stats_tls_failure f)
{
	atomic_fetch_add_explicit(&tls_failures[f], 1, memory_order_relaxed);
}

void stats_count_tls_handshake(void)
{
	atomic_fetch_add_explicit(&tls_handshakes, 1, memory_order_relaxed);
}

void stats_count_refused(size_t listener)
{
	if (listener < CONF_MAX_LISTENERS)
		atomic_fetch_add_explicit(&refused[listener], 1,
		                          memory_order_relaxed);
}

static void drain_counters(struct stats_counters *k);

void stats_count_connection(size_t listener, int delta)
{
	if (listener < CONF_MAX_LISTENERS)
		atomic_fetch_add_explicit(&connections[listener], (uint64_t)delta,
		                          memory_order_relaxed);
}

void stats_counters_retire(struct stats_counters *k)
{
	if (k == NULL)
		return;
	/* Drained now, while the names it points to (its conf) still live:
	 * once per reload, a pass over the domains. */
	pthread_mutex_lock(&lock);
	drain_counters(k);
	pthread_mutex_unlock(&lock);
	counters_free(k);
}

/* ---- collecting (under lock) ------------------------------------------- */

static uint64_t drain(_Atomic uint64_t *ctr)
{
	/* Cheap when nothing was counted: no write to a quiet line. */
	if (atomic_load_explicit(ctr, memory_order_relaxed) == 0)
		return 0;
	return atomic_exchange_explicit(ctr, 0, memory_order_relaxed);
}

/* The totals of domain `name`, made on first use. NULL on ENOMEM. */
static struct domain_total *domain_total(const char *name)
{
	struct domain_total *t, **grown;

	if (by_name == NULL && (by_name = hostmap_new(1024)) == NULL)
		return NULL;
	t = hostmap_get(by_name, name, strlen(name));
	if (t != NULL)
		return t;
	if (n_domains == domains_cap) {
		size_t cap = domains_cap ? 2 * domains_cap : 1024;

		grown = realloc(domains, cap * sizeof(*domains));
		if (grown == NULL)
			return NULL;
		domains = grown;
		domains_cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->name = strdup(name)) == NULL ||
	    hostmap_put(by_name, t->name, t) < 0) {
		if (t)
			free(t->name);
		free(t);
		return NULL;
	}
	domains[n_domains++] = t;
	return t;
}

/* The totals of `id` within t, made on first use. NULL on ENOMEM. */
static struct stats_id_total *id_total(struct domain_total *t, const char *id,
                                       time_t now)
{
	struct stats_id_total *grown;

	for (size_t i = 0; i < t->n_ids; i++)
		if (strcmp(t->ids[i].id, id) == 0)
			return &t->ids[i];
	if (t->n_ids == t->ids_cap) {
		size_t cap = t->ids_cap ? 2 * t->ids_cap : 2;

		grown = realloc(t->ids, cap * sizeof(*t->ids));
		if (grown == NULL)
			return NULL;
		t->ids = grown;
		t->ids_cap = cap;
	}
	memset(&t->ids[t->n_ids], 0, sizeof(t->ids[t->n_ids]));
	snprintf(t->ids[t->n_ids].id, sizeof(t->ids[t->n_ids].id), "%s", id);
	t->ids[t->n_ids].first_served = now;
	return &t->ids[t->n_ids++];
}

static void drain_counters(struct stats_counters *k)
{
	time_t now = time(NULL);

	for (size_t l = 0; l < k->n_listeners && l < CONF_MAX_LISTENERS; l++)
		for (int s = 0; s < STATS_N_STATUS; s++)
			listener_status[l][s] +=
				drain(&k->listener_status[l * STATS_N_STATUS + s]);
	for (size_t i = 0; i < k->n_domains; i++) {
		uint64_t got[STATS_N_STATUS], fetches, any = 0;
		struct domain_total *t;
		struct stats_id_total *it;

		for (int s = 0; s < STATS_N_STATUS; s++)
			any |= got[s] = drain(&k->domain_status[i * STATS_N_STATUS + s]);
		fetches = drain(&k->fetches[i]);
		if (!any && !fetches)
			continue;
		t = domain_total(k->names[i]);
		if (t == NULL)
			continue;       /* out of memory: these counts are lost */
		for (int s = 0; s < STATS_N_STATUS; s++)
			t->status[s] += got[s];
		it = fetches ? id_total(t, k->ids[i], now) : NULL;
		if (it) {
			it->fetches += fetches;
			it->unflushed += fetches;
		}
	}
}

void stats_collect(struct stats_counters *current)
{
	pthread_mutex_lock(&lock);
	if (current != NULL)
		drain_counters(current);
	pthread_mutex_unlock(&lock);
}

void stats_note_reload(bool ok)
{
	pthread_mutex_lock(&lock);
	last_reload = time(NULL);
	last_reload_ok = ok;
	if (ok) {
		reloads_ok++;
		last_reload_ok_time = last_reload;
	} else {
		reloads_failed++;
	}
	pthread_mutex_unlock(&lock);
}

void stats_note_published(const struct conf *c, time_t now)
{
	/* Totals are made on a domain's first request, not here: at 100 000
	 * domains most are quiet, and the database knows when each id was
	 * first served. */
	pthread_mutex_lock(&lock);
	if (started == 0)
		started = now;
	pthread_mutex_unlock(&lock);
}

void stats_read(const struct conf *c, stats_domain_fn *fn, void *ctx,
                struct stats_process_view *p)
{
	static const struct stats_domain_view none;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; fn && c && i < c->n_domains; i++) {
		const char *name = c->domains[i].policy.domain;
		const struct domain_total *t =
			by_name ? hostmap_get(by_name, name, strlen(name)) : NULL;
		static const struct stats_monitor unchecked;
		static const struct stats_tlsrpt no_reports;
		struct stats_domain_view v = none;

		v.monitor = &unchecked;
		v.tlsrpt = &no_reports;
		if (t != NULL) {
			memcpy(v.status, t->status, sizeof(v.status));
			v.ids = t->ids;
			v.n_ids = t->n_ids;
			v.facts = t->facts;
			v.monitor = &t->monitor;
			v.tlsrpt = &t->tlsrpt;
		}
		fn(ctx, i, &v);
	}
	if (p != NULL) {
		memset(p, 0, sizeof(*p));
		memcpy(p->listener_status, listener_status, sizeof(listener_status));
		for (size_t l = 0; l < CONF_MAX_LISTENERS; l++)
			p->refused[l] = atomic_load(&refused[l]);
		for (size_t l = 0; l < CONF_MAX_LISTENERS; l++)
			p->connections[l] = atomic_load(&connections[l]);
		p->tls_handshakes = atomic_load(&tls_handshakes);
		for (int f = 0; f < STATS_TLS_N_FAILURE; f++)
			p->tls_failures[f] = atomic_load(&tls_failures[f]);
		p->reloads_ok = reloads_ok;
		p->reloads_failed = reloads_failed;
		p->last_reload = last_reload;
		p->last_reload_ok_time = last_reload_ok_time;
		p->last_reload_ok = last_reload_ok;
		p->started = started;
	}
	pthread_mutex_unlock(&lock);
}

void stats_take_unflushed(stats_unflushed_fn *fn, void *ctx)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_domains; i++)
		for (size_t j = 0; j < domains[i]->n_ids; j++) {
			struct stats_id_total *it = &domains[i]->ids[j];

			if (it->unflushed == 0)
				continue;
			fn(ctx, domains[i]->name, it->id, it->unflushed);
			it->unflushed = 0;
		}
	pthread_mutex_unlock(&lock);
}

void stats_set_facts(const char *domain, const struct stats_facts *f)
{
	struct domain_total *t;

	pthread_mutex_lock(&lock);
	t = domain_total(domain);
	if (t != NULL)
		t->facts = *f;
	pthread_mutex_unlock(&lock);
}

static void monitor_clear(struct stats_monitor *m)
{
	for (size_t i = 0; i < m->n_problems; i++)
		free(m->problems[i].text);
	free(m->problems);
	memset(m, 0, sizeof(*m));
}

void stats_monitor_free(struct stats_monitor *m)
{
	monitor_clear(m);
}

void stats_take_monitor(const char *domain, struct stats_monitor *out)
{
	struct domain_total *t;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&lock);
	t = by_name ? hostmap_get(by_name, domain, strlen(domain)) : NULL;
	if (t != NULL) {
		*out = t->monitor;
		memset(&t->monitor, 0, sizeof(t->monitor));
	}
	pthread_mutex_unlock(&lock);
}

void stats_set_monitor(const char *domain, struct stats_monitor *m)
{
	struct domain_total *t;

	pthread_mutex_lock(&lock);
	t = domain_total(domain);
	if (t != NULL) {
		monitor_clear(&t->monitor);
		t->monitor = *m;
	}
	pthread_mutex_unlock(&lock);
	if (t == NULL)
		monitor_clear(m);
	memset(m, 0, sizeof(*m));
}

void stats_set_tlsrpt(const char *domain, struct stats_tlsrpt *r)
{
	struct domain_total *t;
	char *old = NULL;

	pthread_mutex_lock(&lock);
	t = domain_total(domain);
	if (t != NULL) {
		old = t->tlsrpt.top_failure;
		t->tlsrpt = *r;
	} else {
		old = r->top_failure;
	}
	pthread_mutex_unlock(&lock);
	free(old);
	r->top_failure = NULL;
}

void stats_get_facts(const char *domain, struct stats_facts *f)
{
	const struct domain_total *t;

	memset(f, 0, sizeof(*f));
	pthread_mutex_lock(&lock);
	t = by_name ? hostmap_get(by_name, domain, strlen(domain)) : NULL;
	if (t != NULL)
		*f = t->facts;
	pthread_mutex_unlock(&lock);
}

void stats_shutdown(void)
{
	tlsrpt_stats_shutdown();
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_domains; i++) {
		monitor_clear(&domains[i]->monitor);
		free(domains[i]->tlsrpt.top_failure);
		free(domains[i]->name);
		free(domains[i]->ids);
		free(domains[i]);
	}
	free(domains);
	domains = NULL;
	n_domains = domains_cap = 0;
	hostmap_free(by_name);
	by_name = NULL;
	pthread_mutex_unlock(&lock);
}
