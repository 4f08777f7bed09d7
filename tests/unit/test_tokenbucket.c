/*
 * test_tokenbucket: the ACME order pacing's arithmetic (core/tokenbucket.c).
 */
#include "config.h"

#include "tap.h"
#include "tokenbucket.h"

static unsigned takes(struct tokenbucket *b, int64_t now, unsigned tries)
{
	unsigned n = 0;

	while (tries--)
		n += tokenbucket_take(b, now);
	return n;
}

int main(void)
{
	struct tokenbucket b;

	/* Let's Encrypt's numbers as stsd's default: 100 an hour, 30 at once. */
	tokenbucket_init(&b, 100, 30, 1000);
	is_int(takes(&b, 1000, 40), 30, "a full bucket: the burst at once, no more");
	is_int(tokenbucket_wait(&b, 1000, 1), 36, "then one every 36 s (100 an hour)");
	is_int(tokenbucket_wait(&b, 1000, 3), 108, "the third in line waits three refills");
	ok(!tokenbucket_take(&b, 1035), "not one second early");
	ok(tokenbucket_take(&b, 1036), "on time");
	is_int(tokenbucket_wait(&b, 1036, 1), 36, "and the next 36 s later");
	is_int(takes(&b, 1036 + 3600, 200), 30, "an idle hour refills the burst, not more");
	is_int(takes(&b, 1036 + 7200, 200), 30, "an idle hour refills the burst, not more");
	is_int(tokenbucket_wait(&b, 1036 + 7200, 100), 3600,
	       "100 names in line: the last in an hour (the burst does not bound the line)");

	/* 7 an hour: 3600/7 is not whole; no drift over a day while the
	 * bucket is below its burst... */
	tokenbucket_init(&b, 7, 2, 0);
	{
		unsigned n = takes(&b, 0, 2);

		for (int64_t t = 1; t <= 86400; t++)
			n += tokenbucket_take(&b, t);
		is_int(n, 2 + 7 * 24, "7 an hour: exactly 168 in a day after the burst");
	}
	/* ...and a full bucket sampled once a second only loses a fraction:
	 * slower, never faster. */
	tokenbucket_init(&b, 7, 1, 0);
	{
		unsigned n = takes(&b, 0, 1);

		for (int64_t t = 1; t <= 86400; t++)
			n += tokenbucket_take(&b, t);
		ok(n <= 1 + 7 * 24 && n >= 7 * 23, "burst 1: never more than the rate (%u)", n);
	}

	tokenbucket_init(&b, 100, 30, 1000);
	takes(&b, 1000, 30);
	tokenbucket_configure(&b, 3600, 60, 1000);
	ok(!tokenbucket_take(&b, 1000), "new numbers (a reload) do not refill the bucket");
	ok(tokenbucket_take(&b, 1001), "but the new rate counts at once (one a second)");
	tokenbucket_init(&b, 100, 30, 1000);
	tokenbucket_configure(&b, 100, 2, 1000);
	is_int(takes(&b, 1000, 10), 2, "a smaller burst clamps what is left");

	tokenbucket_init(&b, 100, 1, 1000);
	ok(tokenbucket_take(&b, 1000), "burst 1");
	ok(!tokenbucket_take(&b, 500), "a clock going back refills nothing");
	ok(!tokenbucket_take(&b, 1035), "nor does it shorten the wait");
	ok(tokenbucket_take(&b, 1036), "36 s after the last real take");
	is_int(tokenbucket_wait(&b, INT64_MAX / 2, 1), 0, "a very long idle time: full, no overflow");

	/* A restart resumes the saved bucket instead of a full one. */
	tokenbucket_init(&b, 100, 30, 1000);
	takes(&b, 1000, 30);
	{
		struct tokenbucket saved = b, again;

		tokenbucket_resume(&again, 100, 30, saved.level, saved.at, 1010);
		ok(!tokenbucket_take(&again, 1010), "resumed: still empty 10 s later");
		ok(tokenbucket_take(&again, 1036), "resumed: refilled from the saved time");
		tokenbucket_resume(&again, 100, 30, 1u << 30, 5000, 1000);
		is_int(takes(&again, 1000, 100), 30,
		       "resumed: a level above the burst is clamped; a saved time ahead is now");
		ok(!tokenbucket_take(&again, 1035), "resumed: and refills from now");
	}

	tokenbucket_init(&b, 0, 0, 0);
	is_int(takes(&b, 0, 5), 1, "0 counts as 1 (burst)");
	is_int(tokenbucket_wait(&b, 0, 1), 3600, "0 counts as 1 (an hour)");
	return tap_done();
}
