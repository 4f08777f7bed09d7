/*
 * stsd: an HTTPS server for MTA-STS policies (RFC 8461).
 *
 * main() reads like the architecture: parse the command line, build a
 * snapshot (configuration → policies → certificates → prebuilt responses),
 * then either report on it (--check, --print-policy, --print-dns) or serve
 * it: open the listeners, drop privileges, start the HTTP server, tell the
 * service manager, and wait for signals. Teardown runs in reverse.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme.h"
#include "acme_renew.h"
#include "acme_report.h"
#include "acme_store.h"
#include "changes.h"
#include "conf.h"
#include "diag.h"
#include "diagnose.h"
#include "dnsrec.h"
#include "history_cmd.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "name.h"
#include "monitor.h"
#include "priv.h"
#include "recorder.h"
#include "retire.h"
#include "store.h"
#include "service.h"
#include "snapshot.h"
#include "stats.h"
#include "tls.h"
#include "tlsrpt_cmd.h"

#define DEFAULT_CONFIG CONF_DEFAULT_FILE
#define STOP_GRACE_SECONDS 5

enum exit_code {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,    /* configuration or run-time error */
	EXIT_USAGE = 2,
};

enum action {
	ACTION_SERVE,
	ACTION_CHECK,
	ACTION_PRINT_POLICY,
	ACTION_PRINT_DNS,
	ACTION_ACME_STATUS,
};

struct options {
	const char *config;
	enum action action;
	const char *policy_domain;          /* --print-policy */
	enum dnsrec_format dns_format;      /* --print-dns --format */
	char **domains;                     /* --print-dns DOMAIN... */
	int n_domains;
	bool verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: stsd [-c FILE] [-v]                     serve policies\n"
	        "       stsd [-c FILE] -n|--check               validate the configuration\n"
	        "       stsd [-c FILE] --print-policy DOMAIN    print the exact served body\n"
	        "       stsd [-c FILE] --print-dns [--format zone|json] [DOMAIN...]\n"
	        "                                               print the DNS records to publish\n"
	        "       stsd [-c FILE] --diagnose [DOMAIN...]   what senders see (--diagnose --help)\n"
	        "       stsd [-c FILE] --acme-status            ACME certificates: expiry, renewal, errors\n"
	        "       stsd --history [--state-dir DIR] [--format text|json] [DOMAIN...]\n"
	        "                                               what each domain served, and when\n"
	        "       stsd --import-report [-c FILE] [FILE...]  store TLS reports (mail, .json, .json.gz)\n"
	        "       stsd --report [-c FILE] [--since YYYY-MM-DD] [--format text|json] [DOMAIN...]\n"
	        "                                               what the TLS reports say, and if enforce is safe\n"
	        "       stsd -h|--help | -V|--version\n"
	        "\n"
	        "  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
	        "  -v, --verbose       log debug messages\n"
	        "\n"
	        "Signals: HUP reloads (the old configuration keeps serving if the new one\n"
	        "fails), TERM and INT stop after requests in flight. See stsd(8), stsd.yaml(5).\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_PRINT_POLICY = 256, OPT_PRINT_DNS, OPT_FORMAT,
	       OPT_ACME_STATUS };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "print-policy", required_argument, NULL, OPT_PRINT_POLICY },
		{ "print-dns", no_argument, NULL, OPT_PRINT_DNS },
		{ "acme-status", no_argument, NULL, OPT_ACME_STATUS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int ch;

	*o = (struct options){ .config = DEFAULT_CONFIG, .dns_format = DNSREC_ZONE };
	while ((ch = getopt_long(argc, argv, "c:nvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'n': o->action = ACTION_CHECK; break;
		case 'v': o->verbose = true; break;
		case OPT_PRINT_POLICY:
			o->action = ACTION_PRINT_POLICY;
			o->policy_domain = optarg;
			break;
		case OPT_PRINT_DNS: o->action = ACTION_PRINT_DNS; break;
		case OPT_ACME_STATUS: o->action = ACTION_ACME_STATUS; break;
		case OPT_FORMAT: format = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("stsd %s\n", PACKAGE_VERSION); exit(EXIT_OK);
		default: usage(stderr); return -1;
		}
	}
	if (format != NULL) {
		if (o->action != ACTION_PRINT_DNS) {
			fprintf(stderr, "stsd: --format goes with --print-dns\n");
			return -1;
		}
		if (strcmp(format, "zone") == 0)
			o->dns_format = DNSREC_ZONE;
		else if (strcmp(format, "json") == 0)
			o->dns_format = DNSREC_JSON;
		else {
			fprintf(stderr, "stsd: --format takes zone or json, not \"%s\"\n", format);
			return -1;
		}
	}
	o->domains = argv + optind;
	o->n_domains = argc - optind;
	if (o->n_domains > 0 && o->action != ACTION_PRINT_DNS) {
		fprintf(stderr, "stsd: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Finds a domain named on the command line, written as the user likes
 * (any case, trailing dot, U-labels). */
static const struct policy *find_policy(const struct conf *c, const char *arg)
{
	char name[NAME_MAX_LEN + 1];
	const struct conf_domain *cd;

	if (name_normalize(arg, name, 0) != NULL)
		return NULL;
	cd = conf_find_domain(c, name);
	return cd ? &cd->policy : NULL;
}

static int print_policy(const struct conf *c, const char *domain)
{
	const struct policy *p = find_policy(c, domain);

	if (p == NULL) {
		fprintf(stderr, "stsd: %s is not a configured domain in %s\n", domain, c->path);
		return EXIT_CONFIG;
	}
	if (fwrite(p->body, 1, p->body_len, stdout) != p->body_len || fflush(stdout) != 0)
		return EXIT_CONFIG;
	return EXIT_OK;
}

/* Zone-file comments, from the state database, for the domains of `list`
 * in mode none: until when to keep serving, or that the records may go
 * (RFC 8461 section 8.3). Nothing when the database cannot be read or
 * does not know the domain: the records then carry the procedure alone. */
static void print_retirement(const struct conf *c, const struct policy **list,
                             size_t n)
{
	struct store *s = NULL;
	char err[STORE_ERR_LEN], words[512];

	for (size_t i = 0; i < n; i++) {
		struct retire_facts f;
		struct retire_result r;

		if (list[i]->mode != POLICY_MODE_NONE)
			continue;
		if (s == NULL)
			s = store_open(c->state_dir, STORE_READONLY, NULL, err,
			               sizeof(err));
		if (s == NULL)
			return;
		if (store_retire_facts(s, list[i]->domain, &f) != STORE_OK ||
		    !f.known)
			continue;
		retire_compute(&f, RETIRE_SERVING_NONE, (int64_t)time(NULL), &r);
		retire_describe(list[i]->domain, &f, &r, words, sizeof(words));
		printf("; %s (mode none): %s\n", list[i]->domain, words);
	}
	store_close(s);
}

/* --check: is the state database usable? Never the exit status: serving
 * works without it. The default directory is the installation's to make:
 * only a state_dir the file names is checked. */
static void check_state(const struct conf *c)
{
	char msg[STORE_ERR_LEN];

	if (c->state_dir_set &&
	    store_check(c->state_dir, msg, sizeof(msg)) != STORE_OK)
		log_warnx("%s: warning: state database: %s; stsd serves without "
		          "it (no history, no fetch counts, no retirement dates)",
		          c->path, msg);
}

static int print_dns(const struct conf *c, char **names, int n_names,
                     enum dnsrec_format format)
{
	const struct policy **list;
	size_t n = 0;
	int rc = EXIT_OK;
	struct dnsrec_opts opts = {
		.ttl = c->dns_ttl,
		.host_cname = c->dns_host_cname,
		.host_addrs = c->dns_host_addrs,
		.n_host_addrs = c->n_dns_host_addrs,
	};

	list = calloc(n_names > 0 ? (size_t)n_names : c->n_domains + 1, sizeof(*list));
	if (list == NULL)
		fatal("calloc");
	if (n_names == 0)
		for (; n < c->n_domains; n++)
			list[n] = &c->domains[n].policy;
	for (int i = 0; i < n_names; i++) {
		list[n] = find_policy(c, names[i]);
		if (list[n] == NULL) {
			fprintf(stderr, "stsd: %s is not a configured domain in %s\n",
			        names[i], c->path);
			rc = EXIT_CONFIG;
		} else {
			n++;
		}
	}
	if (rc == EXIT_OK && format == DNSREC_ZONE)
		print_retirement(c, list, n);
	if (rc == EXIT_OK && (dnsrec_write(stdout, format, list, n, &opts) != 0 ||
	                      fflush(stdout) != 0)) {
		fprintf(stderr, "stsd: writing the records failed: %s\n", strerror(errno));
		rc = EXIT_CONFIG;
	}
	free(list);
	return rc;
}

/* ---- serving ------------------------------------------------------------ */

/* The last start or reload, as the STATUS= line says it (main thread). */
static char last_reload[64] = "started";

/* "serving N domains, M certificates; [ACME: X issued, Y waiting; ]WHEN" */
static void status_line(const struct snapshot *s, char *out, size_t len)
{
	size_t issued, waiting;
	char acme[96] = "";

	if (acme_report_counts(&issued, &waiting))
		snprintf(acme, sizeof(acme), "ACME: %zu issued, %zu waiting; ",
		         issued, waiting);
	snprintf(out, len, "serving %zu domain%s, %zu certificate%s; %s%s",
	         s->conf->n_domains, s->conf->n_domains == 1 ? "" : "s",
	         s->tls ? tls_store_count(s->tls) : (size_t)0,
	         s->tls && tls_store_count(s->tls) == 1 ? "" : "s", acme,
	         last_reload);
}

/* Builds a new snapshot beside the live one; on success swaps it in and tells
 * the operator what to publish; on failure the old one keeps serving. */
static void reload(const char *path, struct recorder *rec,
                   struct monitor *mon, struct acme_renew *acme)
{
	struct diag d = { 0 };
	struct snapshot *old = snapshot_acquire(), *new;
	char status[256], when[64];
	time_t now = time(NULL);

	service_reloading();
	log_info("reloading %s", path);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	new = snapshot_build(path, old, &d);
	stats_note_reload(new != NULL);
	if (new == NULL) {
		diag_summary(&d);
		log_warnx("reload failed; still serving the configuration loaded before "
		          "(generation %llu)", (unsigned long long)old->generation);
		snprintf(when + strlen(when), sizeof(when) - strlen(when), " reload FAILED");
		snprintf(last_reload, sizeof(last_reload), "%s", when);
		status_line(old, status, sizeof(status));
	} else {
		diag_summary(&d);
		changes_warn_restart_only(old->conf, new->conf);
		snapshot_publish(new);
		/* Only now, with the new policies live, tell what to publish. */
		changes_log(old->conf, new->conf);
		recorder_poke(rec);
		monitor_replan(mon, old->conf, new->conf);
		acme_renew_poke(acme);
		log_info("reload complete: generation %llu live",
		         (unsigned long long)new->generation);
		snprintf(when + strlen(when), sizeof(when) - strlen(when), " reload ok");
		snprintf(last_reload, sizeof(last_reload), "%s", when);
		status_line(new, status, sizeof(status));
	}
	snapshot_release(old);
	service_ready(status);
}

/* New certificates from the ACME thread: the live configuration with its
 * certificates loaded again, swapped in like a reload (the configuration
 * file is not read: an edit in progress is not picked up by surprise). */
static void reload_certificates(void)
{
	struct diag d = { 0 };
	struct snapshot *old = snapshot_acquire(), *new;
	char status[256];

	new = old ? snapshot_rebuild_tls(old, &d) : NULL;
	diag_summary(&d);
	if (new == NULL) {
		log_warnx("acme: loading the new certificates failed; the "
		          "certificates loaded before keep serving");
	} else {
		snapshot_publish(new);
		log_info("acme: new certificates live: generation %llu",
		         (unsigned long long)new->generation);
		/* Not a reload for systemd: STATUS= only, no READY=1. */
		status_line(new, status, sizeof(status));
		service_status(status);
	}
	snapshot_release(old);
}

/* Waits for signals and reloads or stops. The signals are blocked in every
 * thread and taken here synchronously, so no code runs in a signal handler. */
static void serve_loop(const char *path, const sigset_t *signals,
                       struct recorder *rec, struct monitor *mon,
                       struct acme_renew *acme)
{
	uint64_t wd_usec = service_watchdog_usec();
	struct timespec tick = { .tv_sec = (time_t)(wd_usec / 2000000u),
	                         .tv_nsec = (long)(wd_usec / 2 % 1000000u) * 1000 };

	for (;;) {
		siginfo_t si;
		int sig = wd_usec ? sigtimedwait(signals, &si, &tick)
		                  : sigwaitinfo(signals, &si);

		if (wd_usec)
			service_watchdog_ping();
		if (sig < 0)
			continue;   /* watchdog tick or EINTR */
		if (sig == SIGHUP) {
			reload(path, rec, mon, acme);
			continue;
		}
		/* From the ACME thread (acme_renew.c): new certificates in
		 * the state directory. */
		if (sig == SIGUSR1) {
			reload_certificates();
			continue;
		}
		log_info("%s received, stopping", strsignal(sig));
		return;
	}
}

/* The first snapshot with its listeners open (fds, one per listener;
 * caller frees), or NULL after reporting why. */
static struct snapshot *first_snapshot(const char *path, int **fds)
{
	struct diag d = { 0 };
	struct snapshot *snap = snapshot_build(path, NULL, &d);

	diag_summary(&d);
	if (snap == NULL)
		return NULL;
	if (snap->conf->n_listeners == 0) {
		log_warnx("%s: error: nothing to serve on: add a \"listen:\" entry",
		          path);
		snapshot_release(snap);
		return NULL;
	}
	*fds = calloc(snap->conf->n_listeners, sizeof(**fds));
	if (*fds == NULL)
		fatal("calloc");
	if (listen_open(snap->conf, *fds, &d) != 0) {
		diag_summary(&d);
		free(*fds);
		*fds = NULL;
		snapshot_release(snap);
		return NULL;
	}
	return snap;
}

/* Serves the published snapshot `snap` on fds (taken over) until a
 * signal says stop. EXIT_OK, or EXIT_CONFIG when serving cannot start. */
static int run_server(const char *path, struct snapshot *snap, int *fds,
                      const sigset_t *signals)
{
	struct http_server *srv;
	struct recorder *rec;
	struct monitor *mon;
	struct acme_renew *acme = NULL;
	char status[256];
	size_t i;

	if (priv_drop(snap->conf) != 0) {
		for (i = 0; i < snap->conf->n_listeners; i++)
			close(fds[i]);
		return EXIT_CONFIG;
	}
	srv = http_server_start(snap->conf, fds, snap->conf->n_listeners);
	if (srv == NULL)
		return EXIT_CONFIG;
	/* After the privilege drop: the database belongs to the user that
	 * serves. */
	rec = recorder_start();
	mon = monitor_start();
	/* Also after the drop: it writes the state directory. It looks at
	 * acme: at every round, so it idles when there is none. */
	acme = acme_renew_start();
	status_line(snap, status, sizeof(status));
	log_info("stsd %s ready: %s", PACKAGE_VERSION, status);
	service_ready(status);

	serve_loop(path, signals, rec, mon, acme);

	service_stopping();
	monitor_stop(mon);
	acme_renew_stop(acme);          /* cancels an order in progress */
	http_server_stop(srv, STOP_GRACE_SECONDS);
	/* The connections' snapshots are freed, their counts drained: */
	snapshot_reclaim_wait();
	recorder_stop(rec);             /* the last counts, after the last request */
	log_info("stopped");
	return EXIT_OK;
}

/* Start-up in dependency order, and every step undone in reverse on every
 * path out. */
static int serve(const struct options *o)
{
	struct snapshot *snap;
	sigset_t signals;
	int *fds = NULL, rc = EXIT_CONFIG;

	/* Block before any thread exists, so that every thread inherits it. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (tls_global_init() != 0)
		fatalx("cannot initialise TLS");
	/* libcurl's global set-up is not thread-safe: before any thread. */
	if (acme_global_init() != 0)
		fatalx("cannot initialise libcurl");
	snap = first_snapshot(o->config, &fds);
	if (snap) {
		snapshot_publish(snap);
		rc = run_server(o->config, snap, fds, &signals);
		free(fds);
		snapshot_shutdown();
	}
	stats_shutdown();
	acme_global_cleanup();
	tls_global_fini();
	return rc;
}

static int report(const struct options *o)
{
	struct diag d = { 0 };
	struct snapshot *snap;
	int rc;

	if (tls_global_init() != 0)
		fatalx("cannot initialise TLS");
	snap = snapshot_build(o->config, NULL, &d);
	diag_summary(&d);
	if (snap == NULL) {
		tls_global_fini();
		return EXIT_CONFIG;
	}
	switch (o->action) {
	case ACTION_CHECK:
		check_state(snap->conf);
		printf("configuration OK\n");
		rc = EXIT_OK;
		break;
	case ACTION_PRINT_POLICY:
		rc = print_policy(snap->conf, o->policy_domain);
		break;
	case ACTION_ACME_STATUS:
		rc = acme_status_print(stdout, snap->conf, snap->tls,
		                       time(NULL)) == 0 ?
		     EXIT_OK : EXIT_CONFIG;
		break;
	default:
		rc = print_dns(snap->conf, o->domains, o->n_domains, o->dns_format);
		break;
	}
	snapshot_release(snap);
	tls_global_fini();
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;

	if (history_wanted(argc, argv))
		return history_main(argc, argv);
	if (diagnose_requested(argc, argv))     /* its own options */
		return diagnose_main(argc, argv);
	if (tlsrpt_cmd_wanted(argc, argv))
		return tlsrpt_cmd_main(argc, argv);
	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	log_init(o.verbose);
	return o.action == ACTION_SERVE ? serve(&o) : report(&o);
}
