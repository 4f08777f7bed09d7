/*
 * monitor: what senders see of every served domain, checked in the
 * background with the checks of `stsd --diagnose` (DNS, the public policy
 * host, every MX's STARTTLS).
 *
 * Checks are spread evenly over monitor.interval (at 100 000 domains and an
 * hour, about 28 a second), never a burst at start-up or reload, run by
 * monitor.concurrency worker threads, each with its own DNS client and
 * every network step bounded by monitor.timeout. A change of a domain's
 * result is logged once, when it happens (the problem and its fix; and a
 * recovery too); the latest results go to the status page and the metrics
 * (stats_set_monitor). After a reload, domains whose policy changed (and
 * new ones) are checked at once, so that "publish this TXT now" is soon
 * followed by "the DNS now names the new id". Serving and reloads never
 * wait for it.
 */
#ifndef STSD_MONITOR_H
#define STSD_MONITOR_H

struct monitor;
struct conf;

/* Starts the workers for the current snapshot's configuration (nothing
 * runs while monitor.enabled is false). NULL when they cannot start
 * (logged; serving goes on without them). */
struct monitor *monitor_start(void);

/* A reload made `now_conf` current in place of `old_conf`: plan again,
 * changed and new domains first. */
void monitor_replan(struct monitor *m, const struct conf *old_conf,
                    const struct conf *now_conf);

/* Stops the workers (a check in flight ends within its timeouts) and
 * frees everything. NULL is fine. */
void monitor_stop(struct monitor *m);

#endif
