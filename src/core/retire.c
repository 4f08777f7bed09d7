/*
 * retire: RFC 8461 section 8.3 arithmetic and its wording. See retire.h for
 * the rule; the choices made here are at the edges:
 *  - the wait ends exactly at until: a policy fetched at the last moment it
 *    was served has expired when max_age seconds have passed;
 *  - a domain that never served enforce or testing (in the recorded
 *    history) has nothing to wait for: safe since its history began;
 *  - no history at all is not "safe": the database may have been lost, so
 *    the answer is the procedure with the longest max_age allowed.
 */
#include "config.h"

#include <stdio.h>

#include "policy.h"
#include "retire.h"

void retire_compute(const struct retire_facts *f, enum retire_serving serving,
                    int64_t now, struct retire_result *out)
{
	*out = (struct retire_result){ .state = RETIRE_UNKNOWN,
	                               .max_age = f->known ? f->largest_max_age : 0 };
	if (serving == RETIRE_SERVING_ACTIVE) {
		out->state = RETIRE_ACTIVE;
		return;
	}
	if (!f->known)
		return;
	if (!f->ever_active) {
		out->state = RETIRE_SAFE;
		out->until = f->first_served;
		return;
	}
	out->until = f->last_active_served + (int64_t)f->largest_max_age;
	out->state = now >= out->until ? RETIRE_SAFE : RETIRE_RETIRING;
}

void retire_facts_from_history(const struct history_domain *d,
                               struct retire_facts *out)
{
	*out = (struct retire_facts){ 0 };
	for (size_t i = 0; i < d->n_policies; i++) {
		const struct history_policy *p = &d->policies[i];

		if (!out->known || p->first_served < out->first_served)
			out->first_served = p->first_served;
		out->known = true;
		if (p->max_age > out->largest_max_age)
			out->largest_max_age = p->max_age;
		if (p->mode != POLICY_MODE_NONE) {
			if (!out->ever_active || p->last_served > out->last_active_served)
				out->last_active_served = p->last_served;
			out->ever_active = true;
		}
	}
}

const char *retire_state_name(enum retire_state state)
{
	switch (state) {
	case RETIRE_ACTIVE: return "active";
	case RETIRE_RETIRING: return "retiring";
	case RETIRE_SAFE: return "safe-to-delete";
	case RETIRE_UNKNOWN: return "unknown";
	}
	return "?";
}

size_t retire_describe(const char *domain, const struct retire_facts *f,
                       const struct retire_result *r, char *buf, size_t len)
{
	char when[HISTORY_TIME_LEN];
	int n;

	switch (r->state) {
	case RETIRE_ACTIVE:
		n = snprintf(buf, len, "in use; to retire: serve mode none under a "
		             "new id for %u s (the largest max_age served), then "
		             "delete _mta-sts.%s TXT and stop serving",
		             (unsigned)r->max_age, domain);
		break;
	case RETIRE_RETIRING:
		n = snprintf(buf, len, "serve mode none until %s, then delete "
		             "_mta-sts.%s TXT and stop serving",
		             history_time(r->until, when), domain);
		break;
	case RETIRE_SAFE:
		n = snprintf(buf, len, "safe to delete since %s%s: delete "
		             "_mta-sts.%s TXT and stop serving",
		             history_time(r->until, when),
		             f->ever_active ? "" : " (no enforce or testing policy "
		             "was served since its history began)", domain);
		break;
	default:
		n = snprintf(buf, len, "no history for %s: serve mode none under a "
		             "new id for the largest max_age ever published (at most "
		             "%u s), then delete _mta-sts.%s TXT and stop serving",
		             domain, (unsigned)POLICY_MAX_AGE_MAX, domain);
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}
