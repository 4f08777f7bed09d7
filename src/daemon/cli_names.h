/*
 * cli_names: the DOMAIN arguments of the commands (--history, --report):
 * as a user writes them (any case, a trailing dot, U-labels), normalised.
 */
#ifndef STSD_CLI_NAMES_H
#define STSD_CLI_NAMES_H

#include <stdio.h>

#include "name.h"

/* Normalises names[0..n) into norm[i], with list[i] pointing at each;
 * every name that is not a domain name is reported on err. Returns 0, or
 * -1 when any was not. */
int cli_names_normalize(char **names, int n, char (*norm)[NAME_MAX_LEN + 1],
                        const char **list, FILE *err);

#endif
