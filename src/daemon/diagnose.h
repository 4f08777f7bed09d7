/*
 * diagnose: `stsd --diagnose`, what senders see of one or more domains.
 *
 * Walks each domain the way a sender does (TXT, policy host, HTTPS fetch,
 * policy, MX and their coverage, STARTTLS on each MX, TLS-RPT, DNSSEC) and
 * prints the check catalogue (checks.h) as text or JSON. Domains run
 * concurrently on a bounded pool of threads, each with its own DNS client.
 */
#ifndef STSD_DIAGNOSE_H
#define STSD_DIAGNOSE_H

#include <stdbool.h>

#include <gnutls/gnutls.h>

#include "checks.h"
#include "dns.h"
#include "policy.h"

/* What every diagnosis shares (read-only, across threads). */
struct diagnose_env {
	gnutls_certificate_credentials_t creds; /* tlsclient_creds() */
	int timeout_ms;                         /* per network step */
	bool no_smtp;                           /* skip the STARTTLS probes */
	const char *ehlo;                       /* our name in EHLO */
};

/*
 * Diagnoses one domain, adding every check to `r` (initialised by the
 * caller with the domain's name). `served` (may be NULL) is the policy this
 * configuration serves for it, for the comparisons (txt.id_current,
 * policy.matches_served). Blocking, bounded by the timeouts; thread-safe
 * with one dns client per thread. This is also the monitor's entry point.
 */
void diagnose_domain(struct dns_client *dns, const struct diagnose_env *env,
                     const char *domain, const struct policy *served,
                     struct check_report *r);

/* True when argv asks for --diagnose (main.c hands over to diagnose_main). */
int diagnose_requested(int argc, char **argv);

/* Parses its own options and runs. Returns the exit status: 0 when no
 * domain has an error, 1 when one has, 2 on a usage error. */
int diagnose_main(int argc, char **argv);

#endif
