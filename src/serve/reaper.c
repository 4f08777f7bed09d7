#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "reaper.h"

struct reaper {
	pthread_mutex_t lock;           /* guards the list and `stop` */
	pthread_cond_t wake;            /* signalled to stop early */
	struct reaper_entry *head;
	unsigned period_ms;
	bool stop;
	pthread_t thread;
};

int64_t reaper_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void reaper_add(struct reaper *r, struct reaper_entry *e, int fd, int64_t due_ms)
{
	e->fd = fd;
	atomic_init(&e->due_ms, due_ms);
	pthread_mutex_lock(&r->lock);
	e->prev = NULL;
	e->next = r->head;
	if (r->head != NULL)
		r->head->prev = e;
	r->head = e;
	pthread_mutex_unlock(&r->lock);
}

void reaper_remove(struct reaper *r, struct reaper_entry *e)
{
	pthread_mutex_lock(&r->lock);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		r->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	pthread_mutex_unlock(&r->lock);
}

void reaper_set_due(struct reaper_entry *e, int64_t due_ms)
{
	atomic_store_explicit(&e->due_ms, due_ms, memory_order_relaxed);
}

unsigned reaper_sweep(struct reaper *r, int64_t now_ms)
{
	unsigned n = 0;

	pthread_mutex_lock(&r->lock);
	for (struct reaper_entry *e = r->head; e != NULL; e = e->next) {
		int64_t due = atomic_load_explicit(&e->due_ms, memory_order_relaxed);

		if (due == REAPER_NONE || now_ms < due)
			continue;
		/* Both directions: the peer sees the end, and libmicrohttpd's
		 * next read returns 0, so it closes the connection itself. */
		shutdown(e->fd, SHUT_RDWR);
		reaper_set_due(e, REAPER_NONE);
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;
	struct timespec until;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(r->period_ms % 1000) * 1000000L;
		until.tv_sec += r->period_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		unsigned n = reaper_sweep(r, reaper_now_ms());
		if (n > 0)
			log_debug("closed %u connection%s that did not send a "
			          "request in time", n, n == 1 ? "" : "s");
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct reaper *reaper_start(unsigned period_ms)
{
	struct reaper *r = calloc(1, sizeof(*r));
	pthread_condattr_t attr;

	if (r == NULL)
		return NULL;
	r->period_ms = period_ms ? period_ms : 1;
	pthread_mutex_init(&r->lock, NULL);
	/* Timed waits on the monotonic clock: immune to clock changes. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	errno = pthread_create(&r->thread, NULL, reaper_main, r);
	if (errno != 0) {
		log_warn("cannot start the connection reaper");
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return r;
}

void reaper_stop(struct reaper *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
