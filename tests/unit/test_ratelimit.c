/*
 * test_ratelimit: at most `limit` events per key and window.
 */
#include "config.h"

#include <stdlib.h>

#include "ratelimit.h"
#include "tap.h"

int main(void)
{
	struct ratelimit *rl = malloc(sizeof(*rl));
	unsigned n = 0;

	if (rl == NULL)
		abort();
	ratelimit_init(rl, 3, 60);
	for (int i = 0; i < 5; i++)
		n += ratelimit_allow(rl, "192.0.2.1", 1000);
	is_int(n, 3, "three of five events in one window");
	ok(ratelimit_allow(rl, "192.0.2.2", 1000), "another key has its own count");
	ok(!ratelimit_allow(rl, "192.0.2.1", 1059), "still refused at the window's last second");
	ok(ratelimit_allow(rl, "192.0.2.1", 1060), "a new window: allowed again");
	ok(ratelimit_allow(rl, "192.0.2.1", 500), "a clock going back starts a new window");
	ratelimit_init(rl, 0, 60);
	ok(!ratelimit_allow(rl, "192.0.2.1", 1), "limit 0 refuses everything");
	free(rl);
	return tap_done();
}
