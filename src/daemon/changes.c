#include "config.h"

#include <string.h>

#include "changes.h"
#include "dnsrec.h"
#include "log.h"

static void log_added(const struct conf *c, const struct policy *p)
{
	char txt[DNSREC_STS_LINE_MAX];

	dnsrec_sts_line(p, c->dns_ttl, txt, sizeof(txt));
	log_info("domain %s added (mode %s, id %s); publish now: %s",
	         p->domain, policy_mode_name(p->mode), p->id, txt);
}

static void log_removed(const struct policy *p)
{
	log_warnx("domain %s removed: senders that cached its policy keep it for "
	          "up to %u s. To retire MTA-STS safely, serve \"mode: none\" under "
	          "a new id for at least the longest max_age ever published, then "
	          "delete _mta-sts.%s (RFC 8461 section 8.3)",
	          p->domain, (unsigned)p->max_age, p->domain);
}

static void log_changed(const struct conf *c, const struct policy *was,
                        const struct policy *now)
{
	char txt[DNSREC_STS_LINE_MAX];

	if (strcmp(was->id, now->id) == 0) {
		/* Same id, different body: senders will not notice the change. */
		log_warnx("domain %s: policy changed but its explicit id %s did not; "
		          "senders will keep the old policy until you change id",
		          now->domain, now->id);
		return;
	}
	dnsrec_sts_line(now, c->dns_ttl, txt, sizeof(txt));
	log_info("domain %s changed (mode %s, id %s -> %s); publish now: %s",
	         now->domain, policy_mode_name(now->mode), was->id, now->id,
	         txt);
}

static bool policy_same(const struct policy *a, const struct policy *b)
{
	return a->body_len == b->body_len &&
	       memcmp(a->body, b->body, a->body_len) == 0 &&
	       strcmp(a->id, b->id) == 0;
}

size_t changes_log(const struct conf *old, const struct conf *new)
{
	size_t i = 0, j = 0, changed = 0;

	/* Both arrays are sorted by domain: one merge walk. */
	while (i < old->n_domains || j < new->n_domains) {
		const struct policy *a = i < old->n_domains ? &old->domains[i].policy : NULL;
		const struct policy *b = j < new->n_domains ? &new->domains[j].policy : NULL;

		if (a != NULL && (b == NULL || strcmp(a->domain, b->domain) < 0)) {
			log_removed(a);
			i++;
		} else if (b != NULL && (a == NULL || strcmp(a->domain, b->domain) > 0)) {
			log_added(new, b);
			j++;
		} else if (a != NULL && b != NULL) {
			if (policy_same(a, b)) {
				i++, j++;
				continue;
			}
			log_changed(new, a, b);
			i++, j++;
		}
		changed++;
	}
	return changed;
}

static bool listeners_same(const struct conf *a, const struct conf *b)
{
	if (a->n_listeners != b->n_listeners)
		return false;
	for (size_t i = 0; i < a->n_listeners; i++)
		if (a->listeners[i].kind != b->listeners[i].kind ||
		    strcmp(a->listeners[i].text, b->listeners[i].text) != 0)
			return false;
	return true;
}

void changes_warn_restart_only(const struct conf *old, const struct conf *new)
{
	if (!listeners_same(old, new))
		log_warnx("listen: changed; listeners are kept until restart");
	if (strcmp(old->tls_priorities, new->tls_priorities) != 0)
		log_warnx("tls.priorities changed; applied at restart only");
	if (old->max_connections != new->max_connections ||
	    old->max_connections_per_ip != new->max_connections_per_ip ||
	    old->timeout_seconds != new->timeout_seconds ||
	    old->max_header_bytes != new->max_header_bytes)
		log_warnx("limits: changed; applied at restart only");
}
