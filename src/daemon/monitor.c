/*
 * monitor: the background checks of every served domain (see monitor.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "conf.h"
#include "diagnose.h"
#include "dns.h"
#include "log.h"
#include "monitor.h"
#include "snapshot.h"
#include "stats.h"
#include "tlsclient.h"

#define MONITOR_MAX_WORKERS CONF_MAX_MONITOR_CONCURRENCY
#define MONITOR_MAX_PROBLEMS 16         /* kept per domain for the page */

struct monitor {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	/* The plan: domain k is due at base + k * interval / n, and again
	 * every interval after; `next` is the next one to take. */
	char **domains;
	size_t n, next;
	double base;                    /* CLOCK_MONOTONIC seconds */
	unsigned interval;
	char **urgent;                  /* checked before the plan */
	size_t n_urgent;
	bool enabled;
	gnutls_certificate_credentials_t creds;
	char ehlo[256];
	pthread_t workers[MONITOR_MAX_WORKERS];
	size_t n_workers;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* ---- the plan (under lock) ------------------------------------------------- */

static char **copy_domains(const struct conf *c, size_t *n)
{
	char **list = calloc(c->n_domains ? c->n_domains : 1, sizeof(*list));

	*n = 0;
	for (size_t i = 0; list && i < c->n_domains; i++)
		if ((list[*n] = strdup(c->domains[i].policy.domain)) != NULL)
			(*n)++;
	return list;
}

static void plan(struct monitor *m, const struct conf *c)
{
	free_list(m->domains, m->n);
	m->domains = copy_domains(c, &m->n);
	if (m->domains == NULL)
		m->n = 0;
	m->next = 0;
	m->base = now_mono();
	m->interval = c->monitor_interval;
	m->enabled = c->monitor_enabled;
}

static void add_urgent(struct monitor *m, const char *domain)
{
	char **grown = realloc(m->urgent, (m->n_urgent + 1) * sizeof(*grown));

	if (grown == NULL)
		return;         /* it will come in its turn */
	m->urgent = grown;
	if ((m->urgent[m->n_urgent] = strdup(domain)) != NULL)
		m->n_urgent++;
}

/* The next domain to check (malloc'd), or NULL with *wait_s set. */
static char *take(struct monitor *m, double *wait_s)
{
	double due;

	*wait_s = 3600;
	if (!m->enabled)
		return NULL;
	if (m->n_urgent > 0)
		return m->urgent[--m->n_urgent];
	if (m->n == 0)
		return NULL;
	due = m->base + (double)m->next * m->interval / (double)m->n;
	if (due > now_mono()) {
		*wait_s = due - now_mono();
		return NULL;
	}
	if (++m->next == m->n) {
		m->next = 0;
		m->base += m->interval;
	}
	return strdup(m->domains[m->next ? m->next - 1 : m->n - 1]);
}

/* ---- one check ---------------------------------------------------------------- */

static bool same_problem(const struct stats_problem *p, const struct check *c)
{
	return strcmp(p->id, c->id) == 0 && p->status == (int)c->status;
}

static bool is_problem(enum check_status st)
{
	return st == CHECK_WARNING || st == CHECK_ERROR;
}

/* The result of `r` for the status page and metrics; logs what changed
 * since `old`. */
static void record(const char *domain, const struct check_report *r,
                   const struct stats_monitor *old)
{
	struct stats_monitor m = { .checked = time(NULL) };

	m.verdict = (int)check_verdict(r);
	m.problems = calloc(MONITOR_MAX_PROBLEMS, sizeof(*m.problems));
	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->checks[i];
		bool known = false;

		if (!is_problem(c->status))
			continue;
		for (size_t j = 0; j < old->n_problems; j++)
			known = known || same_problem(&old->problems[j], c);
		if (!known)
			log_warnx("monitor: %s: %s %s: %s%s%s", domain,
			          c->id, check_status_name(c->status),
			          c->message, c->fix ? "; fix: " : "",
			          c->fix ? c->fix : "");
		if (m.problems && m.n_problems < MONITOR_MAX_PROBLEMS) {
			struct stats_problem *p = &m.problems[m.n_problems];

			snprintf(p->id, sizeof(p->id), "%s", c->id);
			p->status = (int)c->status;
			if (asprintf(&p->text, "%s%s%s", c->message,
			             c->fix ? "; fix: " : "",
			             c->fix ? c->fix : "") >= 0)
				m.n_problems++;
		}
	}
	for (size_t j = 0; j < old->n_problems; j++) {
		const struct check *c = check_find(r, old->problems[j].id);

		if (c == NULL || !is_problem(c->status))
			log_info("monitor: %s: %s is ok again", domain,
			         old->problems[j].id);
	}
	stats_set_monitor(domain, &m);
}

static void check_domain(struct monitor *m, const char *domain)
{
	struct snapshot *s = snapshot_acquire();
	const struct conf_domain *cd;
	struct stats_monitor old = { 0 };
	struct check_report r;
	struct dns_client *dns;
	struct dns_opts o = { 0 };
	const char *err;

	if (s == NULL)
		return;
	cd = conf_find_domain(s->conf, domain);
	o.resolver = s->conf->monitor_resolver;
	o.timeout_ms = (int)s->conf->monitor_timeout * 1000;
	dns = cd ? dns_client_new(&o, &err) : NULL;
	if (cd != NULL && dns == NULL)
		log_warnx("monitor: no DNS client: %s", err);
	if (dns != NULL && check_report_init(&r, domain) == 0) {
		struct diagnose_env env = {
			m->creds, (int)s->conf->monitor_timeout * 1000,
			!s->conf->monitor_smtp, m->ehlo,
		};

		diagnose_domain(dns, &env, domain, &cd->policy, &r);
		stats_take_monitor(domain, &old);
		record(domain, &r, &old);
		stats_monitor_free(&old);
		check_report_clear(&r);
	}
	dns_client_free(dns);
	snapshot_release(s);
}

/* ---- the workers ------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct monitor *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		double wait_s;
		char *domain = take(m, &wait_s);
		struct timespec until;

		if (domain != NULL) {
			pthread_mutex_unlock(&m->lock);
			check_domain(m, domain);
			free(domain);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)wait_s;
		until.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->wake, &m->lock, &until);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

struct monitor *monitor_start(void)
{
	struct monitor *m = calloc(1, sizeof(*m));
	struct snapshot *s = snapshot_acquire();
	const char *err = NULL;
	size_t want;

	if (m == NULL || s == NULL) {
		free(m);
		snapshot_release(s);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	if (gethostname(m->ehlo, sizeof(m->ehlo) - 1) != 0 ||
	    strchr(m->ehlo, '.') == NULL)
		snprintf(m->ehlo, sizeof(m->ehlo), "stsd-monitor.invalid");
	m->creds = tlsclient_creds(s->conf->monitor_ca_file, &err);
	if (m->creds == NULL)
		log_warnx("monitor: no TLS credentials (%s): it stays off",
		          err ? err : "?");
	plan(m, s->conf);
	want = s->conf->monitor_concurrency;
	snapshot_release(s);
	for (size_t i = 0; m->creds && i < want; i++)
		if (pthread_create(&m->workers[m->n_workers], NULL, worker_main,
		                   m) == 0)
			m->n_workers++;
	if (m->enabled && m->n_workers > 0)
		log_info("monitor: %zu domains, each every %u s, %zu at once",
		         m->n, m->interval, m->n_workers);
	return m;
}

void monitor_replan(struct monitor *m, const struct conf *old_conf,
                    const struct conf *now_conf)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	plan(m, now_conf);
	for (size_t i = 0; m->enabled && i < now_conf->n_domains; i++) {
		const struct policy *p = &now_conf->domains[i].policy;
		const struct conf_domain *was = conf_find_domain(old_conf,
		                                                 p->domain);

		if (was == NULL || strcmp(was->policy.id, p->id) != 0)
			add_urgent(m, p->domain);
	}
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

void monitor_stop(struct monitor *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < m->n_workers; i++)
		pthread_join(m->workers[i], NULL);
	free_list(m->domains, m->n);
	free_list(m->urgent, m->n_urgent);
	if (m->creds)
		gnutls_certificate_free_credentials(m->creds);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	free(m);
}
