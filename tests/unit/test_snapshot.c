/*
 * test_snapshot: who frees a snapshot. Before the first publish (the
 * commands) the last release frees it at once; once one is published, a
 * dead snapshot is freed on the reclaimer thread, never on the thread that
 * dropped it (a listener's, at 100 000 domains that took 70 ms), and
 * snapshot_reclaim_wait() returns once it is; shutdown frees what is left
 * and stops that thread.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* stats_take_unflushed(): the policy fetches counted since the last call. */
static void add_fetches(void *ctx, const char *domain, const char *id,
                        uint64_t count)
{
	*(uint64_t *)ctx += count;
}

static struct snapshot *build(const char *path)
{
	struct diag d = { 0 };
	struct snapshot *s = snapshot_build(path, NULL, &d);

	ok(s != NULL && d.errors == 0, "the configuration builds");
	return s;
}

int main(void)
{
	char *dir = tap_mkdtemp("test_snapshot");
	char path[4200];
	struct snapshot *first, *second, *held, *late;
	uint64_t fetches;
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
	stats_count_request(held->stats, 0, 0, 200, true);     /* it fetches */
	second = build(path);
	snapshot_publish(second);       /* a reload */
	snapshot_reclaim_wait();
	is_int(snapshot_reclaimed(), 0, "a snapshot a connection still holds "
	       "is not freed");
	is_int(atomic_load(&first->refs), 1, "... its one reference is the "
	       "connection's");
	snapshot_release(held);         /* the connection closes */
	snapshot_reclaim_wait();
	is_int(snapshot_reclaimed(), 1, "its last release hands it to the "
	       "reclaimer thread, which has freed it when the wait returns");
	fetches = 0;
	stats_take_unflushed(add_fetches, &fetches);
	is_int(fetches, 1, "... and its counts are in the totals, for the "
	       "last record at exit");

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
