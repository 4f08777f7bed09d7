/*
 * acme_report: the ACME thread's table for /metrics (see acme_report.h).
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme_report.h"
#include "escape.h"

struct row {
	char *name, *error;
	time_t not_after, next;
	unsigned failures;
	long queued;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct row *table;
static size_t n_table;
static bool on;
static uint64_t orders_ok, orders_failed;

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].error);
	}
	free(rows);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
	              ((const struct row *)b)->name);
}

int acme_report_set(const struct acme_report_row *rows, size_t n)
{
	struct row *copy = n ? calloc(n, sizeof(*copy)) : NULL, *old;
	size_t n_old;

	if (n && copy == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		copy[i].name = strdup(rows[i].name);
		copy[i].error = strdup(rows[i].error ? rows[i].error : "");
		if (copy[i].name == NULL || copy[i].error == NULL) {
			free_rows(copy, i + 1);
			return -1;
		}
		copy[i].not_after = rows[i].not_after;
		copy[i].next = rows[i].next;
		copy[i].failures = rows[i].failures;
		copy[i].queued = rows[i].queued;
	}
	/* Sorted for acme_report_find (and the metrics read better). */
	if (n > 1)
		qsort(copy, n, sizeof(*copy), by_name);
	pthread_mutex_lock(&lock);
	old = table;
	n_old = n_table;
	table = copy;
	n_table = n;
	on = true;
	pthread_mutex_unlock(&lock);
	free_rows(old, n_old);
	return 0;
}

void acme_report_order(bool ok)
{
	pthread_mutex_lock(&lock);
	if (ok)
		orders_ok++;
	else
		orders_failed++;
	pthread_mutex_unlock(&lock);
}

static void row(FILE *out, const char *metric, const char *name,
                long long value)
{
	fprintf(out, "%s{name=", metric);
	escape_prom_label(out, name);
	fprintf(out, "} %lld\n", value);
}

/* Names waiting for an order token (under the lock). */
static size_t queued_names(void)
{
	size_t n = 0;

	for (size_t i = 0; i < n_table; i++)
		n += table[i].queued >= 0;
	return n;
}

void acme_report_metrics(FILE *out)
{
	pthread_mutex_lock(&lock);
	if (!on) {
		pthread_mutex_unlock(&lock);
		return;
	}
	fputs("# HELP stsd_acme_orders_total ACME orders finished, by result.\n"
	      "# TYPE stsd_acme_orders_total counter\n", out);
	fprintf(out, "stsd_acme_orders_total{result=\"ok\"} %" PRIu64 "\n"
	        "stsd_acme_orders_total{result=\"error\"} %" PRIu64 "\n",
	        orders_ok, orders_failed);
	fprintf(out, "# HELP stsd_acme_names_queued Names whose order is due and "
	        "waits its turn (acme.orders_per_hour).\n"
	        "# TYPE stsd_acme_names_queued gauge\n"
	        "stsd_acme_names_queued %zu\n", queued_names());
	fputs("# HELP stsd_acme_certificate_expiry_timestamp_seconds When the "
	      "ACME certificate of each name expires (0: none yet).\n"
	      "# TYPE stsd_acme_certificate_expiry_timestamp_seconds gauge\n",
	      out);
	for (size_t i = 0; i < n_table; i++)
		row(out, "stsd_acme_certificate_expiry_timestamp_seconds",
		    table[i].name, (long long)table[i].not_after);
	fputs("# HELP stsd_acme_next_attempt_timestamp_seconds When the next "
	      "order or renewal of each name is due.\n"
	      "# TYPE stsd_acme_next_attempt_timestamp_seconds gauge\n", out);
	for (size_t i = 0; i < n_table; i++)
		row(out, "stsd_acme_next_attempt_timestamp_seconds",
		    table[i].name, (long long)table[i].next);
	fputs("# HELP stsd_acme_consecutive_failures Failed attempts in a row "
	      "for each name (0 after a success).\n"
	      "# TYPE stsd_acme_consecutive_failures gauge\n", out);
	for (size_t i = 0; i < n_table; i++)
		row(out, "stsd_acme_consecutive_failures", table[i].name,
		    (long long)table[i].failures);
	pthread_mutex_unlock(&lock);
}

static void json_time(FILE *out, const char *key, time_t t)
{
	struct tm tm;
	char buf[32];

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		fprintf(out, "\"%s\": null", key);
	else
		fprintf(out, "\"%s\": \"%s\"", key, buf);
}

void acme_report_json(FILE *out)
{
	pthread_mutex_lock(&lock);
	if (!on) {
		pthread_mutex_unlock(&lock);
		return;
	}
	fputs(",\n  \"acme\": [", out);
	for (size_t i = 0; i < n_table; i++) {
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		escape_json_str(out, table[i].name);
		fputs(", ", out);
		json_time(out, "certificate_expires", table[i].not_after);
		fputs(", ", out);
		json_time(out, "next_attempt", table[i].next);
		fprintf(out, ", \"failures\": %u, \"queued_ahead\": ",
		        table[i].failures);
		if (table[i].queued >= 0)
			fprintf(out, "%ld", table[i].queued);
		else
			fputs("null", out);
		fputs(", \"last_error\": ", out);
		escape_json_str(out, table[i].error);
		fputs("}", out);
	}
	fputs(n_table ? "\n  ]" : "]", out);
	pthread_mutex_unlock(&lock);
}

bool acme_report_find(const char *name, struct acme_report_view *out)
{
	struct row key = { .name = (char *)name }, *hit;

	pthread_mutex_lock(&lock);
	hit = n_table ? bsearch(&key, table, n_table, sizeof(*table), by_name)
	              : NULL;
	if (hit != NULL) {
		out->not_after = hit->not_after;
		out->next = hit->next;
		out->failures = hit->failures;
		out->queued = hit->queued;
		snprintf(out->error, sizeof(out->error), "%s", hit->error);
	}
	pthread_mutex_unlock(&lock);
	return hit != NULL;
}

bool acme_report_counts(size_t *issued, size_t *waiting)
{
	bool was_on;

	*issued = *waiting = 0;
	pthread_mutex_lock(&lock);
	was_on = on;
	for (size_t i = 0; i < n_table; i++) {
		if (table[i].not_after)
			(*issued)++;
		else
			(*waiting)++;
	}
	pthread_mutex_unlock(&lock);
	return was_on;
}

void acme_report_clear(void)
{
	pthread_mutex_lock(&lock);
	free_rows(table, n_table);
	table = NULL;
	n_table = 0;
	on = false;
	pthread_mutex_unlock(&lock);
}
