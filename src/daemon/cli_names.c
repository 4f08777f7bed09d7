/*
 * cli_names: normalising the commands' DOMAIN arguments (see cli_names.h).
 */
#include "config.h"

#include "cli_names.h"

int cli_names_normalize(char **names, int n, char (*norm)[NAME_MAX_LEN + 1],
                        const char **list, FILE *err)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		const char *why = name_normalize(names[i], norm[i], 0);

		if (why != NULL) {
			fprintf(err, "stsd: \"%s\" is not a domain name: %s\n",
			        names[i], why);
			rc = -1;
		}
		list[i] = norm[i];
	}
	return rc;
}
