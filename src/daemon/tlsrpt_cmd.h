/*
 * tlsrpt_cmd: the TLS report commands on the state database.
 *
 *   stsd --import-report [-c FILE] [-v] [FILE...]
 *       import_report.c reads and parses; this file stores each report in
 *       the state_dir of the configuration, indexed under the policy
 *       domains the configuration serves. A report about none of them is
 *       counted and dropped. Exit statuses: import_report.h, and 75 when
 *       the configuration or the database cannot be opened (the MTA keeps
 *       the message), 64 on a usage error.
 *
 *   stsd --report [-c FILE] [--since YYYY-MM-DD] [--format text|json]
 *                 [DOMAIN...]
 *       reads the database read-only (works while the daemon runs),
 *       re-parses the stored JSON and renders tlsrpt_summary's text or
 *       JSON, with the ready-for-enforce verdict over tlsrpt.ready_days.
 *       Without DOMAIN: every served domain with reports in the days
 *       shown. Exit status 0, 1 on an error (no database, unreadable,
 *       busy, bad configuration), 2 on a usage error.
 */
#ifndef STSD_TLSRPT_CMD_H
#define STSD_TLSRPT_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "store.h"
#include "tlsrpt_summary.h"

/* True when argv asks for --import-report or --report: main() then hands
 * the whole command line to tlsrpt_cmd_main(). */
int tlsrpt_cmd_wanted(int argc, char **argv);

/* Parses the command line and runs the command; returns the exit
 * status. */
int tlsrpt_cmd_main(int argc, char **argv);

enum tlsrpt_cmd_format { TLSRPT_CMD_TEXT, TLSRPT_CMD_JSON };

/* --report itself, for the configuration c at time `now` (Unix seconds):
 * the report of `names` (as written by the user: any case, trailing dot,
 * U-labels; n = 0: every served domain with reports) since `since`
 * ("YYYY-MM-DD", or NULL for the last 30 days) to out; problems to err.
 * Exit status as above. */
int tlsrpt_report_run(const struct conf *c, char **names, int n,
                      const char *since, enum tlsrpt_cmd_format format,
                      int64_t now, FILE *out, FILE *err);

/* For the daemon: the summary of the last days (as --report without
 * --since) of every served domain with reports, from the open database
 * `s`; fn gets each domain's summary (valid during the call only). 0, or
 * -1 on a database error or ENOMEM. */
typedef void tlsrpt_recent_fn(void *arg, const struct tlsrpt_domain_summary *d);
int tlsrpt_recent(struct store *s, const struct conf *c, int64_t now,
                  tlsrpt_recent_fn *fn, void *arg);

#endif
