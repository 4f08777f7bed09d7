/*
 * history: freeing the history model and the one timestamp format it is
 * shown in.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"

void history_free(struct history *h)
{
	for (size_t i = 0; i < h->n_domains; i++) {
		struct history_domain *d = &h->domains[i];

		for (size_t j = 0; j < d->n_policies; j++) {
			struct history_policy *p = &d->policies[j];

			for (size_t k = 0; k < p->n_mx; k++)
				free(p->mx[k]);
			free(p->mx);
			free(p->body);
		}
		free(d->policies);
		free(d->domain);
	}
	free(h->domains);
	*h = (struct history){ 0 };
}

char *history_time(int64_t t, char out[HISTORY_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* gmtime_r fails only for years past INT_MAX; say so rather than
	 * print garbage. */
	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, HISTORY_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, HISTORY_TIME_LEN, "@%lld", (long long)t);
	return out;
}
