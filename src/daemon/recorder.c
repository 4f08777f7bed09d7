/*
 * recorder: the state database's thread (see recorder.h).
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostmap.h"
#include "log.h"
#include "recorder.h"
#include "retire.h"
#include "snapshot.h"
#include "stats.h"
#include "store.h"
#include "tlsrpt_cmd.h"
#include "store_tlsrpt.h"

/* Fetch counts not yet in the database, merged by (domain, id). */
struct pending {
	struct store_fetch *items;      /* domain and id strings owned here */
	size_t n, cap;
	struct hostmap *index;          /* "domain id" -> item index + 1 */
	char **keys;                    /* the index's keys, owned */
	bool failed;                    /* out of memory: counts were lost */
};

/* What was last logged about a domain's retirement (or removal). */
struct told {
	char *domain;
	int state;
	int64_t until;
};

struct recorder {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, record_now;          /* under lock */
	struct store *store;
	char *store_dir;                /* the directory `store` was opened in */
	bool store_failing;             /* logged: quiet until it recovers */
	time_t last_record;
	time_t last_prune;
	struct pending pending;
	struct told *told;
	size_t n_told;
};

/* ---- pending fetch counts -------------------------------------------------- */

static void pending_add(void *ctx, const char *domain, const char *id,
                        uint64_t count)
{
	struct pending *p = ctx;
	char *key;
	size_t i;

	if (asprintf(&key, "%s %s", domain, id) < 0) {
		p->failed = true;
		return;
	}
	if (p->index == NULL && (p->index = hostmap_new(256)) == NULL)
		goto oom;
	i = (size_t)(uintptr_t)hostmap_get(p->index, key, strlen(key));
	if (i != 0) {
		p->items[i - 1].count += count;
		free(key);
		return;
	}
	/* hostmap cannot remove: the index is rebuilt after each flush. */
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		struct store_fetch *items = realloc(p->items, cap * sizeof(*items));
		char **keys = realloc(p->keys, cap * sizeof(*keys));

		if (items)
			p->items = items;
		if (keys)
			p->keys = keys;
		if (!items || !keys)
			goto oom;
		p->cap = cap;
	}
	p->items[p->n] = (struct store_fetch){
		strdup(domain), strdup(id), 0, count,
	};
	if (p->items[p->n].domain == NULL || p->items[p->n].id == NULL ||
	    hostmap_put(p->index, key, (void *)(uintptr_t)(p->n + 1)) < 0) {
		free((char *)p->items[p->n].domain);
		free((char *)p->items[p->n].id);
		goto oom;
	}
	p->keys[p->n++] = key;
	return;
oom:
	free(key);
	p->failed = true;
}

static void pending_clear(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->items[i].domain);
		free((char *)p->items[i].id);
		free(p->keys[i]);
	}
	hostmap_free(p->index);
	p->index = NULL;
	p->n = 0;
}

/* ---- the database -------------------------------------------------------- */

/* Logs a database problem once, until it recovers. */
static void store_failed(struct recorder *r, const char *what, const char *why)
{
	if (!r->store_failing)
		log_warnx("state database in %s: %s: %s; serving goes on, history "
		          "and fetch counts wait in memory (retrying every %d s)",
		          r->store_dir ? r->store_dir : "?", what, why,
		          RECORDER_INTERVAL);
	r->store_failing = true;
	store_close(r->store);
	r->store = NULL;
}

/* The open database for `dir`, or NULL. The directory is the operator's
 * (systemd's StateDirectory=, or made by hand): it is not created here. */
static struct store *open_store(struct recorder *r, const char *dir)
{
	char err[STORE_ERR_LEN];

	if (r->store != NULL && r->store_dir && strcmp(r->store_dir, dir) == 0)
		return r->store;
	store_close(r->store);
	r->store = NULL;
	free(r->store_dir);
	r->store_dir = strdup(dir);
	r->store = store_open(dir, 0, NULL, err, sizeof(err));
	if (r->store == NULL) {
		store_failed(r, "cannot open", err);
		return NULL;
	}
	if (r->store_failing)
		log_info("state database in %s works again", dir);
	r->store_failing = false;
	return r->store;
}

static void flush_fetches(struct recorder *r, time_t now)
{
	stats_take_unflushed(pending_add, &r->pending);
	if (r->pending.failed) {
		log_warnx("out of memory: some fetch counts are not recorded");
		r->pending.failed = false;
	}
	if (r->pending.n == 0 || r->store == NULL)
		return;
	for (size_t i = 0; i < r->pending.n; i++)
		r->pending.items[i].when = now;
	if (store_add_fetches(r->store, r->pending.items, r->pending.n) !=
	    STORE_OK) {
		store_failed(r, "cannot add fetch counts", store_errmsg(r->store));
		return;
	}
	pending_clear(&r->pending);
}

/* ---- retirement -------------------------------------------------------------- */

static struct told *told_of(struct recorder *r, const char *domain)
{
	struct told *t;

	for (size_t i = 0; i < r->n_told; i++)
		if (strcmp(r->told[i].domain, domain) == 0)
			return &r->told[i];
	t = realloc(r->told, (r->n_told + 1) * sizeof(*t));
	if (t == NULL)
		return NULL;
	r->told = t;
	t = &r->told[r->n_told];
	*t = (struct told){ strdup(domain), RETIRE_ACTIVE, 0 };
	if (t->domain == NULL)
		return NULL;
	r->n_told++;
	return t;
}

/* Logs the retirement state of a domain when it changed since last told. */
static void tell(struct recorder *r, const char *domain,
                 const struct retire_facts *f, const struct retire_result *res,
                 bool removed)
{
	struct told *t = told_of(r, domain);
	char words[512];

	if (t == NULL || (t->state == (int)res->state && t->until == res->until))
		return;
	t->state = (int)res->state;
	t->until = res->until;
	if (res->state == RETIRE_ACTIVE)
		return;
	retire_describe(domain, f, res, words, sizeof(words));
	if (removed && res->state == RETIRE_RETIRING)
		log_warnx("domain %s was removed while senders may still hold "
		          "its enforce or testing policy: they keep it until the "
		          "date below. Better: put it back with \"retire: "
		          "true\" and %s", domain, words);
	else if (res->state == RETIRE_SAFE)
		log_info("domain %s: %s", domain, words);
	else
		log_info("domain %s: retiring: %s", domain, words);
}

struct read_ctx {
	struct recorder *r;
	const struct conf *c;
	time_t now;
};

/* The first-served time of each domain's current id. */
static int first_served_row(void *arg, const char *domain, const char *id,
                            int64_t first_served)
{
	struct read_ctx *x = arg;
	const struct conf_domain *cd = conf_find_domain(x->c, domain);
	struct stats_facts sf;

	if (cd == NULL || strcmp(cd->policy.id, id) != 0)
		return 0;
	stats_get_facts(domain, &sf);
	sf.first_served = (time_t)first_served;
	stats_set_facts(domain, &sf);
	return 0;
}

/* The retirement state of each domain the history knows. */
static int retire_row(void *arg, const char *domain,
                      const struct retire_facts *f)
{
	struct read_ctx *x = arg;
	const struct conf_domain *cd = conf_find_domain(x->c, domain);
	enum retire_serving serving = cd == NULL ? RETIRE_SERVING_NOTHING
		: cd->policy.mode == POLICY_MODE_NONE ? RETIRE_SERVING_NONE
		: RETIRE_SERVING_ACTIVE;
	struct retire_result res;
	struct stats_facts sf;

	retire_compute(f, serving, (int64_t)x->now, &res);
	if (cd != NULL) {
		stats_get_facts(domain, &sf);
		sf.known = true;
		sf.retire_state = (int)res.state;
		sf.retire_until = (time_t)res.until;
		stats_set_facts(domain, &sf);
	}
	/* A removed domain is told about once it was served here. */
	if (cd != NULL || f->ever_active)
		tell(x->r, domain, f, &res, cd == NULL);
	return 0;
}

/* After a record: per domain, its retirement state and since when its
 * current id is served, for the status page, the metrics and the log.
 * Two light queries (no bodies), then the memory they used goes back to
 * the system: this runs hourly at 100 000 domains. */
static void read_back(struct recorder *r, const struct conf *c, time_t now)
{
	struct read_ctx x = { r, c, now };

	if (store_retire_facts_all(r->store, retire_row, &x) < 0 ||
	    store_first_served_all(r->store, first_served_row, &x) < 0)
		store_failed(r, "cannot read the history", store_errmsg(r->store));
	malloc_trim(0);
}

/* One domain's TLS reports of the last days, for the page and metrics. */
static void tlsrpt_row(void *arg, const struct tlsrpt_domain_summary *d)
{
	struct stats_tlsrpt t = {
		.known = true, .verdict = (int)d->verdict.status,
		.successful = d->successful, .failed = d->failed,
	};

	if (d->n_groups > 0 &&
	    asprintf(&t.top_failure, "%llu sessions: %s%s%s",
	             (unsigned long long)d->groups[0].sessions,
	             d->groups[0].explanation ? d->groups[0].explanation : "",
	             d->groups[0].fix ? " Fix: " : "",
	             d->groups[0].fix ? d->groups[0].fix : "") < 0)
		t.top_failure = NULL;
	stats_set_tlsrpt(d->domain, &t);
}

static void record(struct recorder *r, const struct conf *c, time_t now)
{
	uint64_t deleted;

	if (store_record_conf(r->store, c, (int64_t)now) != STORE_OK) {
		store_failed(r, "cannot record the policies",
		             store_errmsg(r->store));
		return;
	}
	r->last_record = now;
	read_back(r, c, now);
	if (r->store != NULL &&
	    tlsrpt_recent(r->store, c, (int64_t)now, tlsrpt_row, NULL) != 0)
		log_warnx("cannot summarise the TLS reports: %s",
		          store_errmsg(r->store));
	if (r->store != NULL && now - r->last_prune > 86400 &&
	    store_prune_fetches(r->store, RECORDER_KEEP_DAYS, (int64_t)now,
	                        &deleted) == STORE_OK &&
	    store_tlsrpt_prune(r->store, c->tlsrpt_keep_days, (int64_t)now,
	                       &deleted) == STORE_OK)
		r->last_prune = now;
}

/* ---- the thread ------------------------------------------------------------ */

/* One round: drain, flush, and record when due. */
static void round_once(struct recorder *r, bool record_now)
{
	struct snapshot *s = snapshot_acquire();
	time_t now = time(NULL);

	if (s == NULL)
		return;
	stats_collect(s->stats);
	if (open_store(r, s->conf->state_dir) != NULL) {
		flush_fetches(r, now);
		if (r->store != NULL &&
		    (record_now || now - r->last_record >= RECORDER_RECORD_EVERY))
			record(r, s->conf, now);
	} else {
		/* Keep the counts in memory for when it works again. */
		stats_take_unflushed(pending_add, &r->pending);
	}
	snapshot_release(s);
}

static void *recorder_main(void *arg)
{
	struct recorder *r = arg;
	bool record_now = true, stop = false;

	while (!stop) {
		struct timespec until;

		round_once(r, record_now);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RECORDER_INTERVAL;
		pthread_mutex_lock(&r->lock);
		while (!r->stop && !r->record_now &&
		       pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
			;
		stop = r->stop;
		record_now = r->record_now || stop;
		r->record_now = false;
		pthread_mutex_unlock(&r->lock);
	}
	round_once(r, true);            /* the last counts, and last_served */
	return NULL;
}

struct recorder *recorder_start(void)
{
	struct recorder *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, recorder_main, r) != 0) {
		log_warnx("cannot start the state database thread: history is "
		          "not recorded");
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r);
		return NULL;
	}
	return r;
}

void recorder_poke(struct recorder *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->record_now = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void recorder_stop(struct recorder *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pending_clear(&r->pending);
	free(r->pending.items);
	free(r->pending.keys);
	for (size_t i = 0; i < r->n_told; i++)
		free(r->told[i].domain);
	free(r->told);
	store_close(r->store);
	free(r->store_dir);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
