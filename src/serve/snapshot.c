#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "conf.h"
#include "site.h"
#include "snapshot.h"
#include "stats.h"
#include "tls.h"

/*
 * The current snapshot. Readers take a reference under the lock, so that the
 * pointer they read cannot be freed between reading it and counting it. The
 * lock is taken once per connection, not per request, and is never held for
 * more than a few instructions.
 */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;
static uint64_t last_generation;

/*
 * Freeing a snapshot of 100 000 domains with their certificates takes
 * about 70 ms. Its last reference is usually dropped by a connection that
 * closes after a reload, on its listener's only thread, which would stall
 * every other connection of that listener meanwhile. So once the first
 * snapshot is published, dead snapshots go to a thread of their own, the
 * reclaimer; before that (--check and the other commands), and after
 * snapshot_shutdown(), they are freed where they die.
 */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reclaim_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t reclaim_idle = PTHREAD_COND_INITIALIZER;
static struct snapshot *reclaim_list;   /* through next_dead */
static bool reclaim_running;
static bool reclaim_stopping;           /* for good: snapshot_shutdown() */
static bool reclaim_busy;               /* freeing what it took off the list */
static pthread_t reclaim_thread;
static unsigned long reclaimed;

static void snapshot_free(struct snapshot *s)
{
	if (s->base != NULL) {          /* only the tls store is its own */
		tls_store_free(s->tls);
		snapshot_release(s->base);
		free(s);
		return;
	}
	/* Reverse order of construction: the site points into the conf. */
	stats_counters_retire(s->stats);
	http_site_free(s->site);
	tls_store_free(s->tls);
	conf_free(s->conf);
	free(s);
}

/* Hands s to the reclaimer; false when it is not running. */
static bool reclaim_defer(struct snapshot *s)
{
	bool queued;

	pthread_mutex_lock(&reclaim_lock);
	queued = reclaim_running;
	if (queued) {
		s->next_dead = reclaim_list;
		reclaim_list = s;
		pthread_cond_signal(&reclaim_wake);
	}
	pthread_mutex_unlock(&reclaim_lock);
	return queued;
}

/* Frees what dies until asked to stop with nothing left. A snapshot
 * borrowing from a base releases it while being freed: the base comes
 * back on the list, and is freed in a later round. */
static void *reclaimer(void *arg)
{
	struct snapshot *s, *next;
	unsigned long n;

	pthread_mutex_lock(&reclaim_lock);
	for (;;) {
		while (reclaim_list == NULL && !reclaim_stopping)
			pthread_cond_wait(&reclaim_wake, &reclaim_lock);
		if (reclaim_list == NULL) {
			reclaim_running = false;        /* from now on: inline */
			break;
		}
		s = reclaim_list;
		reclaim_list = NULL;
		reclaim_busy = true;
		pthread_mutex_unlock(&reclaim_lock);
		for (n = 0; s != NULL; s = next, n++) {
			next = s->next_dead;
			snapshot_free(s);
		}
		pthread_mutex_lock(&reclaim_lock);
		reclaimed += n;
		reclaim_busy = false;
		if (reclaim_list == NULL)
			pthread_cond_broadcast(&reclaim_idle);
	}
	pthread_cond_broadcast(&reclaim_idle);
	pthread_mutex_unlock(&reclaim_lock);
	return NULL;
}

/* Starts the reclaimer once; if it cannot start, snapshots are freed
 * inline, as before. */
static void reclaim_start(void)
{
	pthread_mutex_lock(&reclaim_lock);
	if (!reclaim_running && !reclaim_stopping &&
	    pthread_create(&reclaim_thread, NULL, reclaimer, NULL) == 0)
		reclaim_running = true;
	pthread_mutex_unlock(&reclaim_lock);
}

/* Frees everything queued, then ends the reclaimer (joined) for good. */
static void reclaim_stop(void)
{
	bool joinable;

	pthread_mutex_lock(&reclaim_lock);
	joinable = reclaim_running;
	reclaim_stopping = true;
	pthread_cond_signal(&reclaim_wake);
	pthread_mutex_unlock(&reclaim_lock);
	if (joinable)
		pthread_join(reclaim_thread, NULL);
}

void snapshot_reclaim_wait(void)
{
	pthread_mutex_lock(&reclaim_lock);
	while (reclaim_running && (reclaim_list != NULL || reclaim_busy))
		pthread_cond_wait(&reclaim_idle, &reclaim_lock);
	pthread_mutex_unlock(&reclaim_lock);
}

unsigned long snapshot_reclaimed(void)
{
	unsigned long n;

	pthread_mutex_lock(&reclaim_lock);
	n = reclaimed;
	pthread_mutex_unlock(&reclaim_lock);
	return n;
}

struct snapshot *snapshot_build(const char *path, const struct snapshot *live,
                                struct diag *d)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		diag_error(d, NULL, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->conf = conf_load(path, d);
	if (s->conf != NULL && conf_has_tls(s->conf))
		s->tls = tls_store_load(s->conf, live ? live->tls : NULL, d);
	if (s->conf != NULL && d->errors == 0)
		s->site = http_site_build(s->conf, d);
	if (s->site != NULL)
		s->stats = stats_counters_new(s->conf);
	if (d->errors > 0 || s->conf == NULL || s->site == NULL ||
	    s->stats == NULL ||
	    (conf_has_tls(s->conf) && s->tls == NULL)) {
		if (d->errors == 0)
			diag_error(d, NULL, "out of memory");
		snapshot_free(s);
		return NULL;
	}
	return s;
}

struct snapshot *snapshot_rebuild_tls(struct snapshot *cur, struct diag *d)
{
	struct snapshot *root = cur->base ? cur->base : cur;
	struct snapshot *s;

	if (!conf_has_tls(root->conf)) {
		diag_error(d, NULL, "no https listener: no certificates to load");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		diag_error(d, NULL, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->tls = tls_store_load(root->conf, cur->tls, d);
	if (s->tls == NULL) {
		free(s);
		return NULL;
	}
	/* Borrow from the root, never from another rebuild: no chains. */
	atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
	s->base = root;
	s->conf = root->conf;
	s->site = root->site;
	s->stats = root->stats;
	return s;
}

void snapshot_publish(struct snapshot *s)
{
	struct snapshot *old;

	reclaim_start();
	stats_note_published(s->conf, time(NULL));
	pthread_mutex_lock(&current_lock);
	s->generation = ++last_generation;
	old = current;
	current = s;
	pthread_mutex_unlock(&current_lock);
	snapshot_release(old);
}

struct snapshot *snapshot_acquire(void)
{
	struct snapshot *s;

	pthread_mutex_lock(&current_lock);
	s = current;
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&current_lock);
	return s;
}

void snapshot_release(struct snapshot *s)
{
	/* acq_rel: whoever frees must see every other holder's last use. */
	if (s != NULL &&
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1 &&
	    !reclaim_defer(s))
		snapshot_free(s);
}

void snapshot_shutdown(void)
{
	struct snapshot *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&current_lock);
	snapshot_release(old);
	reclaim_stop();
}
