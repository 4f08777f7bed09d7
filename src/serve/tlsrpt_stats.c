/*
 * tlsrpt_stats: the intake's counters (see tlsrpt_stats.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "tlsrpt_stats.h"

struct dom {
	char *name;
	uint64_t successful, failed;
	int64_t last;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t counts[TLSRPT_STATS_N];
static struct dom *doms;                /* sorted by name */
static size_t n_doms, cap_doms;

static const char *const names[TLSRPT_STATS_N] = {
	[TLSRPT_STATS_STORED] = "stored",
	[TLSRPT_STATS_DUPLICATE] = "duplicate",
	[TLSRPT_STATS_NOT_GZIP] = "gzip",
	[TLSRPT_STATS_TOO_LARGE] = "too-large",
	[TLSRPT_STATS_JSON] = "json",
	[TLSRPT_STATS_SCHEMA] = "schema",
	[TLSRPT_STATS_NOT_OURS] = "not-ours",
	[TLSRPT_STATS_METHOD] = "method",
	[TLSRPT_STATS_BUSY] = "busy",
	[TLSRPT_STATS_RATE] = "rate",
};

const char *tlsrpt_stats_name(enum tlsrpt_stats_result r)
{
	return r < TLSRPT_STATS_N ? names[r] : "other";
}

void tlsrpt_stats_count(enum tlsrpt_stats_result r)
{
	if (r >= TLSRPT_STATS_N)
		return;
	pthread_mutex_lock(&lock);
	counts[r]++;
	pthread_mutex_unlock(&lock);
}

/* The entry of `name`, added in order if new; NULL on ENOMEM. Locked. */
static struct dom *find(const char *name)
{
	size_t lo = 0, hi = n_doms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(doms[mid].name, name);

		if (c == 0)
			return &doms[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n_doms == cap_doms) {
		size_t cap = cap_doms ? cap_doms * 2 : 16;
		struct dom *g = realloc(doms, cap * sizeof(*g));

		if (g == NULL)
			return NULL;
		doms = g;
		cap_doms = cap;
	}
	memmove(&doms[lo + 1], &doms[lo], (n_doms - lo) * sizeof(*doms));
	doms[lo] = (struct dom){ .name = strdup(name) };
	if (doms[lo].name == NULL) {
		memmove(&doms[lo], &doms[lo + 1], (n_doms - lo) * sizeof(*doms));
		return NULL;
	}
	n_doms++;
	return &doms[lo];
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void tlsrpt_stats_report(const struct tlsrpt_report *r,
                         const char *const *domains, size_t n, int64_t now)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct tlsrpt_policy *p = &r->policies[i];
		struct dom *d;
		bool ours = false;

		for (size_t j = 0; j < n && !ours; j++)
			ours = strcmp(domains[j], p->domain) == 0;
		if (!ours || (d = find(p->domain)) == NULL)
			continue;
		d->successful = add_sat(d->successful, p->successful);
		d->failed = add_sat(d->failed, p->failed);
		if (now > d->last)
			d->last = now;
	}
	pthread_mutex_unlock(&lock);
}

static void family(FILE *out, const char *name, const char *type,
                   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void tlsrpt_stats_write(FILE *out)
{
	pthread_mutex_lock(&lock);
	family(out, "stsd_tlsrpt_reports_total", "counter",
	       "TLS reports received over HTTPS and stored, or already stored.");
	for (int r = TLSRPT_STATS_STORED; r <= TLSRPT_STATS_DUPLICATE; r++)
		fprintf(out, "stsd_tlsrpt_reports_total{result=\"%s\"} %llu\n",
		        names[r], (unsigned long long)counts[r]);
	family(out, "stsd_tlsrpt_rejected_total", "counter",
	       "TLS report uploads refused, by reason.");
	for (int r = TLSRPT_STATS_NOT_GZIP; r < TLSRPT_STATS_N; r++)
		fprintf(out, "stsd_tlsrpt_rejected_total{reason=\"%s\"} %llu\n",
		        names[r], (unsigned long long)counts[r]);
	family(out, "stsd_tlsrpt_sessions_total", "counter",
	       "SMTP sessions counted by the TLS reports received over HTTPS, "
	       "by policy domain and result (summary totals).");
	for (size_t i = 0; i < n_doms; i++) {
		fputs("stsd_tlsrpt_sessions_total{domain=", out);
		escape_prom_label(out, doms[i].name);
		fprintf(out, ",result=\"successful\"} %llu\n",
		        (unsigned long long)doms[i].successful);
		fputs("stsd_tlsrpt_sessions_total{domain=", out);
		escape_prom_label(out, doms[i].name);
		fprintf(out, ",result=\"failed\"} %llu\n",
		        (unsigned long long)doms[i].failed);
	}
	family(out, "stsd_tlsrpt_last_report_timestamp_seconds", "gauge",
	       "When the last TLS report about each domain was stored over "
	       "HTTPS, since the Unix epoch.");
	for (size_t i = 0; i < n_doms; i++) {
		fputs("stsd_tlsrpt_last_report_timestamp_seconds{domain=", out);
		escape_prom_label(out, doms[i].name);
		fprintf(out, "} %lld\n", (long long)doms[i].last);
	}
	pthread_mutex_unlock(&lock);
}

void tlsrpt_stats_shutdown(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_doms; i++)
		free(doms[i].name);
	free(doms);
	doms = NULL;
	n_doms = cap_doms = 0;
	pthread_mutex_unlock(&lock);
}
