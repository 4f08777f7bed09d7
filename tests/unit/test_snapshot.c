/*
 * test_snapshot: who frees a snapshot. Before the first publish (the
 * commands) the last release frees it at once; once one is published, a
 * dead snapshot is freed on the reclaimer thread, never on the thread that
 * dropped it (a listener's, at 100 000 domains that took 70 ms); shutdown
 * frees what is left and stops that thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "snapshot.h"
#include "stats.h"
#include "tap.h"

static const char conf_text[] =
	"listen:\n"
	"  - http: \"127.0.0.1:0\"\n"
	"defaults: {mode: enforce, max_age: 604800}\n"
	"domains:\n"
	"  example.com: {mx: mx.example.com}\n";

static struct snapshot *build(const char *path)
{
	struct diag d = { 0 };
	struct snapshot *s = snapshot_build(path, NULL, &d);

	ok(s != NULL && d.errors == 0, "the configuration builds");
	return s;
}

/* Waits (up to 10 s) until the reclaimer has freed `n` snapshots. */
static unsigned long reclaimed_wait(unsigned long n)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 1000 && snapshot_reclaimed() < n; i++)
		nanosleep(&tick, NULL);
	return snapshot_reclaimed();
}

int main(void)
{
	char *dir = tap_mkdtemp("test_snapshot");
	char path[4200];
	struct snapshot *first, *second, *held, *late;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/stsd.yaml", dir) >= (int)sizeof(path))
		return 99;
	f = fopen(path, "w");
	if (f == NULL || fputs(conf_text, f) < 0 || fclose(f) != 0)
		return 99;

	/* A command's snapshot: never published, freed by its release. */
	snapshot_release(build(path));
	is_int(snapshot_reclaimed(), 0, "before any publish: freed where it "
	       "was released, not by a reclaimer");

	first = build(path);
	snapshot_publish(first);
	held = snapshot_acquire();      /* a connection on the first */
	ok(held == first, "acquire returns the published snapshot");
	second = build(path);
	snapshot_publish(second);       /* a reload */
	is_int(snapshot_reclaimed(), 0, "a snapshot a connection still holds "
	       "is not freed");
	snapshot_release(held);         /* the connection closes */
	is_int(reclaimed_wait(1), 1, "its last release hands it to the "
	       "reclaimer thread, which frees it");

	snapshot_shutdown();
	is_int(snapshot_reclaimed(), 2, "shutdown: the current snapshot is "
	       "freed by the reclaimer before it stops");
	late = build(path);
	snapshot_release(late);
	is_int(snapshot_reclaimed(), 2, "after shutdown: freed where "
	       "released again");
	stats_shutdown();
	remove(path);
	rmdir(dir);
	return tap_done();
}
