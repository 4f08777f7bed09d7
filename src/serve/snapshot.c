#include "config.h"

#include <pthread.h>
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
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
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
}
