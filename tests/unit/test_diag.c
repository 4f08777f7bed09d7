/*
 * test_diag: src/util/diag.c. Printed messages have their location; a
 * queued diag keeps messages (counted, not printed) and diag_replay()
 * reports them later, in order, exactly as if reported directly.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"

/* Runs the same reports into d. */
static void report_some(struct diag *d)
{
	struct loc at = { "stsd.yaml", 3, 7 }, line = { "x.yaml", 9, 0 };

	diag_error(d, &at, "bad %s", "value");
	diag_warning(d, NULL, "no location");
	diag_warning(d, &line, "line only: %d", 42);
}

int main(void)
{
	char *direct = NULL, *replayed = NULL;
	size_t len = 0, len2 = 0;
	struct diag d = { .out = open_memstream(&direct, &len) };
	struct diag r = { .out = open_memstream(&replayed, &len2) };
	struct diag_queue q = { 0 }, q2 = { 0 };
	struct diag qd = { .queue = &q }, qd2 = { .queue = &q2 };

	if (d.out == NULL || r.out == NULL)
		return 99;
	report_some(&d);
	fflush(d.out);
	is_str(direct, "stsd.yaml:3:7: error: bad value\n"
	       "stsd: warning: no location\n"
	       "x.yaml:9: warning: line only: 42\n", "printed with locations");

	report_some(&qd);
	is_int((int)qd.errors, 1, "queued: the error counted");
	is_int((int)qd.warnings, 2, "queued: the warnings counted");
	is_int((int)q.n, 3, "queued: three messages kept");
	diag_replay(&r, &q);
	fflush(r.out);
	is_str(replayed, direct, "replayed: the same text, in order");
	is_int((int)r.errors, 1, "replayed: the error counted");
	is_int((int)r.warnings, 2, "replayed: the warnings counted");
	is_int((int)q.n, 0, "replayed: the queue is empty");
	ok(q.v == NULL, "and freed");

	report_some(&qd2);
	diag_queue_clear(&q2);
	ok(q2.n == 0 && q2.v == NULL, "cleared without a report");
	q2.lost = 2;
	diag_replay(&r, &q2);
	is_int((int)r.errors, 3, "messages lost for memory: errors still");
	fclose(d.out);
	fclose(r.out);
	ok(strstr(replayed, "stsd: error: out of memory\n") != NULL,
	   "and said as out of memory");
	free(direct);
	free(replayed);
	return tap_done();
}
