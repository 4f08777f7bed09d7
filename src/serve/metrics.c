/*
 * metrics: Prometheus text exposition (see metrics.h).
 */
#include "config.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conf.h"
#include "acme_report.h"
#include "escape.h"
#include "metrics.h"
#include "retire.h"
#include "tlsrpt_summary.h"
#include "snapshot.h"
#include "stats.h"
#include "tls.h"
#include "tlsrpt_stats.h"

static void family(FILE *out, const char *name, const char *type,
                   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",k2="v2"} value; labels: NULL-terminated key, value pairs. */
static void sample(FILE *out, const char *name, const char *const *labels,
                   uint64_t value)
{
	fputs(name, out);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		fprintf(out, "%c%s=", i ? ',' : '{', labels[i]);
		escape_prom_label(out, labels[i + 1]);
	}
	fprintf(out, "%s %llu\n", labels && labels[0] ? "}" : "",
	        (unsigned long long)value);
}

static const char *kind_name(enum listen_kind k)
{
	switch (k) {
	case LISTEN_HTTPS: return "https";
	case LISTEN_HTTP: return "http";
	case LISTEN_UNIX: return "unix";
	case LISTEN_ADMIN: return "admin";
	}
	return "?";
}

/* ---- per domain ---------------------------------------------------------- */

struct domain_ctx {
	FILE *out;
	const struct conf *c;
	int part;                   /* which family is being written */
};

enum domain_part { PART_REQUESTS, PART_FETCHES, PART_INFO, PART_RETIRE,
                   PART_RETIRE_UNTIL, PART_MONITOR_CHECKED,
                   PART_MONITOR_PROBLEMS, PART_READY };

/* "retiring" or "safe" for a domain the history says is retiring or may
 * be deleted; NULL otherwise (active, or not known yet). */
static const char *retire_label(const struct stats_facts *f)
{
	if (!f->known)
		return NULL;
	if (f->retire_state == RETIRE_RETIRING)
		return "retiring";
	if (f->retire_state == RETIRE_SAFE)
		return "safe";
	return NULL;
}

static void domain_row(void *ctx, size_t i, const struct stats_domain_view *v)
{
	struct domain_ctx *x = ctx;
	const struct policy *p = &x->c->domains[i].policy;

	switch ((enum domain_part)x->part) {
	case PART_REQUESTS:
		for (int s = 0; s < STATS_N_STATUS; s++) {
			const char *l[] = { "domain", p->domain, "status",
			                    stats_status_name(s), NULL };

			if (v->status[s] || s == STATS_200)
				sample(x->out, "stsd_domain_requests_total", l,
				       v->status[s]);
		}
		break;
	case PART_FETCHES:
		for (size_t j = 0; j < v->n_ids; j++) {
			const char *l[] = { "domain", p->domain, "id",
			                    v->ids[j].id, NULL };

			sample(x->out, "stsd_policy_fetches_total", l,
			       v->ids[j].fetches);
		}
		break;
	case PART_INFO: {
		const char *l[] = { "domain", p->domain, "mode",
		                    policy_mode_name(p->mode), "id", p->id, NULL };

		sample(x->out, "stsd_domain_info", l, 1);
		break;
	}
	case PART_MONITOR_CHECKED: {
		const char *l[] = { "domain", p->domain, NULL };

		if (v->monitor->checked)
			sample(x->out, "stsd_monitor_last_check_timestamp_seconds",
			       l, (uint64_t)v->monitor->checked);
		break;
	}
	case PART_MONITOR_PROBLEMS:
		for (size_t j = 0; j < v->monitor->n_problems; j++) {
			const struct stats_problem *pr = &v->monitor->problems[j];
			const char *l[] = { "domain", p->domain, "check", pr->id,
			                    "status", pr->status == 4 ? "error"
			                    : "warning", NULL };

			sample(x->out, "stsd_monitor_problem", l, 1);
		}
		break;
	case PART_READY: {
		const char *l[] = { "domain", p->domain, NULL };

		if (p->mode == POLICY_MODE_TESTING && v->tlsrpt->known)
			sample(x->out, "stsd_tlsrpt_ready_for_enforce", l,
			       v->tlsrpt->verdict == TLSRPT_VERDICT_READY);
		break;
	}
	case PART_RETIRE:
	case PART_RETIRE_UNTIL: {
		const char *state = retire_label(&v->facts);
		const char *l[] = { "domain", p->domain, "state", state, NULL };
		const char *d[] = { "domain", p->domain, NULL };

		if (state == NULL)
			break;
		if (x->part == PART_RETIRE)
			sample(x->out, "stsd_domain_retirement", l, 1);
		else
			sample(x->out, "stsd_domain_retirement_until_timestamp_"
			       "seconds", d, (uint64_t)v->facts.retire_until);
		break;
	}
	}
}

static void domains(FILE *out, const struct conf *c)
{
	struct domain_ctx x = { out, c, PART_REQUESTS };

	family(out, "stsd_domains", "gauge", "Policy domains configured.");
	sample(out, "stsd_domains", NULL, c->n_domains);
	family(out, "stsd_domain_info", "gauge",
	       "Each configured domain, with its mode and current policy id.");
	x.part = PART_INFO;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_domain_requests_total", "counter",
	       "Requests for a configured domain's host, by status.");
	x.part = PART_REQUESTS;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_policy_fetches_total", "counter",
	       "Policies served (GET answered 200), by domain and policy id.");
	x.part = PART_FETCHES;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_domain_retirement", "gauge",
	       "Domains in mode none: retiring (senders may still hold an "
	       "enforce or testing policy) or safe (the records may be "
	       "deleted).");
	x.part = PART_RETIRE;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_domain_retirement_until_timestamp_seconds", "gauge",
	       "Retiring: until when; safe: since when.");
	x.part = PART_RETIRE_UNTIL;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_monitor_last_check_timestamp_seconds", "gauge",
	       "When the monitor last checked what senders see of a domain.");
	x.part = PART_MONITOR_CHECKED;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_tlsrpt_ready_for_enforce", "gauge",
	       "For a domain in testing with TLS reports: 1 when the reports "
	       "of the window say it may move to enforce (see stsd --report).");
	x.part = PART_READY;
	stats_read(c, domain_row, &x, NULL);
	family(out, "stsd_monitor_problem", "gauge",
	       "1 for each check the monitor found failing (error) or "
	       "fragile (warning), by domain and check id (see stsd(8)).");
	x.part = PART_MONITOR_PROBLEMS;
	stats_read(c, domain_row, &x, NULL);
}

/* ---- process-wide ---------------------------------------------------------- */

/* The policy listeners: the admin listener counts nothing of its own. */
static bool is_public(const struct conf *c, size_t i)
{
	return c->listeners[i].kind != LISTEN_ADMIN;
}

static void listeners(FILE *out, const struct conf *c,
                      const struct stats_process_view *p)
{
	family(out, "stsd_http_requests_total", "counter",
	       "Requests answered, by listener and status.");
	for (size_t i = 0; i < c->n_listeners && i < CONF_MAX_LISTENERS; i++)
		for (int s = 0; s < STATS_N_STATUS && is_public(c, i); s++) {
			const char *l[] = { "listener", c->listeners[i].text,
			                    "kind", kind_name(c->listeners[i].kind),
			                    "status", stats_status_name(s), NULL };

			if (p->listener_status[i][s] || s == STATS_200)
				sample(out, "stsd_http_requests_total", l,
				       p->listener_status[i][s]);
		}
	family(out, "stsd_connections_open", "gauge",
	       "Connections open now, by listener.");
	for (size_t i = 0; i < c->n_listeners && i < CONF_MAX_LISTENERS; i++) {
		const char *l[] = { "listener", c->listeners[i].text, "kind",
		                    kind_name(c->listeners[i].kind), NULL };

		if (is_public(c, i))
			sample(out, "stsd_connections_open", l,
			       p->connections[i]);
	}
	family(out, "stsd_connections_refused_total", "counter",
	       "Connections closed at once because limits.connections was "
	       "reached, by listener.");
	for (size_t i = 0; i < c->n_listeners && i < CONF_MAX_LISTENERS; i++) {
		const char *l[] = { "listener", c->listeners[i].text, "kind",
		                    kind_name(c->listeners[i].kind), NULL };

		if (is_public(c, i))
			sample(out, "stsd_connections_refused_total", l,
			       p->refused[i]);
	}
}

static void tls(FILE *out, const struct stats_process_view *p)
{
	family(out, "stsd_tls_handshakes_total", "counter",
	       "TLS handshakes completed.");
	sample(out, "stsd_tls_handshakes_total", NULL, p->tls_handshakes);
	family(out, "stsd_tls_handshake_failures_total", "counter",
	       "TLS connections closed without a completed handshake, by "
	       "reason.");
	for (int f = 0; f < STATS_TLS_N_FAILURE; f++) {
		const char *l[] = { "reason", stats_tls_failure_name(f), NULL };

		sample(out, "stsd_tls_handshake_failures_total", l,
		       p->tls_failures[f]);
	}
}

static void cert_row(void *ctx, const char *file, const char *name,
                     time_t not_after)
{
	const char *l[] = { "certificate", file, "name", name, NULL };

	sample(ctx, "stsd_certificate_expiry_timestamp_seconds", l,
	       not_after > 0 ? (uint64_t)not_after : 0);
}

static void reloads(FILE *out, const struct stats_process_view *p)
{
	const char *ok[] = { "result", "success", NULL };
	const char *failed[] = { "result", "failure", NULL };

	family(out, "stsd_reloads_total", "counter",
	       "Configuration reloads, by result.");
	sample(out, "stsd_reloads_total", ok, p->reloads_ok);
	sample(out, "stsd_reloads_total", failed, p->reloads_failed);
	family(out, "stsd_last_reload_success", "gauge",
	       "1 when the last reload succeeded (or none was tried), else 0.");
	sample(out, "stsd_last_reload_success", NULL, p->last_reload_ok);
	family(out, "stsd_last_reload_timestamp_seconds", "gauge",
	       "When the configuration was last loaded successfully (start-up "
	       "or reload).");
	sample(out, "stsd_last_reload_timestamp_seconds", NULL,
	       (uint64_t)(p->last_reload_ok_time ? p->last_reload_ok_time
	                                         : p->started));
}

/* ---- process (the standard process_ names) -------------------------------- */

/* utime + stime in ticks, vsize, rss pages and start time in ticks since
 * boot, from /proc/self/stat. */
static int proc_stat(unsigned long long *ticks, unsigned long long *vsize,
                     long long *rss, unsigned long long *start)
{
	char buf[1024], *p;
	unsigned long long ut, st;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* comm may hold spaces */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	                        "%*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
	                        "%llu %llu %lld", &ut, &st, start, vsize,
	                        rss) != 5)
		return -1;
	*ticks = ut + st;
	return 0;
}

static unsigned long long boot_time(void)
{
	char line[256];
	unsigned long long btime = 0;
	FILE *f = fopen("/proc/stat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	return btime;
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n ? n - 1 : 0;   /* the directory's own descriptor */
}

static void process(FILE *out)
{
	unsigned long long ticks, vsize, start;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	long long rss;

	if (proc_stat(&ticks, &vsize, &rss, &start) == 0 && hz > 0) {
		family(out, "process_cpu_seconds_total", "counter",
		       "User and system CPU time spent, in seconds.");
		fprintf(out, "process_cpu_seconds_total %.2f\n",
		        (double)ticks / (double)hz);
		family(out, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		fprintf(out, "process_resident_memory_bytes %lld\n", rss * page);
		family(out, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		fprintf(out, "process_virtual_memory_bytes %llu\n", vsize);
		family(out, "process_start_time_seconds", "gauge",
		       "Start time of the process since the Unix epoch, in "
		       "seconds.");
		fprintf(out, "process_start_time_seconds %.2f\n",
		        (double)boot_time() + (double)start / (double)hz);
	}
	family(out, "process_open_fds", "gauge", "Open file descriptors.");
	fprintf(out, "process_open_fds %u\n", open_fds());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		family(out, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.");
		fprintf(out, "process_max_fds %llu\n",
		        (unsigned long long)rl.rlim_cur);
	}
}

void metrics_write(FILE *out, const struct snapshot *s)
{
	struct stats_process_view p;
	const char *version[] = { "version", PACKAGE_VERSION, NULL };

	stats_read(NULL, NULL, NULL, &p);
	family(out, "stsd_build_info", "gauge",
	       "Always 1; the version of stsd as a label.");
	sample(out, "stsd_build_info", version, 1);
	domains(out, s->conf);
	listeners(out, s->conf, &p);
	tls(out, &p);
	family(out, "stsd_certificate_expiry_timestamp_seconds", "gauge",
	       "When each loaded certificate (leaf) expires, since the Unix "
	       "epoch.");
	tls_store_each(s->tls, cert_row, out);
	reloads(out, &p);
	tlsrpt_stats_write(out);
	acme_report_metrics(out);       /* only with acme: */
	process(out);
}
