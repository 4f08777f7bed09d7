/*
 * history_cmd: `stsd --history [DOMAIN...] [--format text|json]`, what the
 * state database remembers of each domain (see store.h, history_fmt.h).
 *
 * It reads the database read-only and never the configuration's policies:
 * it works while the daemon runs. The directory is --state-dir, or the
 * state_dir of the configuration (-c FILE, or the default file).
 */
#ifndef STSD_HISTORY_CMD_H
#define STSD_HISTORY_CMD_H

#include <stdio.h>

#include "history_fmt.h"

/* True when argv asks for --history: main() then hands the whole command
 * line to history_main(). */
int history_wanted(int argc, char **argv);

/* Parses the command line (--history, -c FILE, --state-dir DIR, --format
 * text|json, -v, DOMAIN...) and runs it. Returns the exit status: 0, 1 on
 * an error (no database, unreadable, busy), 2 on a usage error. */
int history_main(int argc, char **argv);

/* The command itself: the history of `names` (as written by the user: any
 * case, trailing dot, U-labels; all domains when n is 0) from
 * state_dir/stsd.db to out; problems to err. Exit status as above. */
int history_run(const char *state_dir, char **names, int n,
                enum history_format format, FILE *out, FILE *err);

#endif
