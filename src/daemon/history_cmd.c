/*
 * history_cmd: the --history command line, and the command: normalise the
 * names, open the database read-only, read, render.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "conf.h"
#include "history_cmd.h"
#include "name.h"
#include "store.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

int history_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--history") == 0)
			return 1;
	return 0;
}

int history_main(int argc, char **argv)
{
	enum { OPT_HISTORY = 256, OPT_STATE_DIR, OPT_FORMAT };
	static const struct option longopts[] = {
		{ "history", no_argument, NULL, OPT_HISTORY },
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL, *config = CONF_DEFAULT_FILE;
	enum history_format format = HISTORY_TEXT;
	struct conf *c = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:v", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HISTORY: case 'v': break;
		case 'c': config = optarg; break;
		case OPT_STATE_DIR: state_dir = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				format = HISTORY_TEXT;
			else if (strcmp(optarg, "json") == 0)
				format = HISTORY_JSON;
			else {
				fprintf(stderr, "stsd: --history --format takes "
				        "text or json, not \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: stsd --history [--state-dir DIR] "
			        "[--format text|json] [DOMAIN...]\n");
			return EXIT_USAGE;
		}
	}
	if (state_dir == NULL) {
		/* The configuration names it (state_dir:, or the default). */
		struct diag d = { 0 };

		c = conf_load(config, &d);
		diag_summary(&d);
		if (c == NULL)
			return EXIT_ERROR;
		state_dir = c->state_dir;
	}
	rc = history_run(state_dir, argv + optind, argc - optind, format,
	                 stdout, stderr);
	conf_free(c);
	return rc;
}

int history_run(const char *state_dir, char **names, int n,
                enum history_format format, FILE *out, FILE *err)
{
	char (*norm)[NAME_MAX_LEN + 1] = calloc(n > 0 ? (size_t)n : 1, sizeof(*norm));
	const char **list = calloc(n > 0 ? (size_t)n : 1, sizeof(*list));
	struct history h = { 0 };
	struct store *s = NULL;
	char msg[STORE_ERR_LEN];
	int rc = EXIT_OK;

	if (norm == NULL || list == NULL) {
		fprintf(err, "stsd: out of memory\n");
		rc = EXIT_ERROR;
		goto out;
	}
	if (cli_names_normalize(names, n, norm, list, err) != 0)
		rc = EXIT_USAGE;
	if (rc != EXIT_OK)
		goto out;
	s = store_open(state_dir, STORE_READONLY, NULL, msg, sizeof(msg));
	if (s == NULL) {
		fprintf(err, "stsd: %s\n", msg);
		rc = EXIT_ERROR;
		goto out;
	}
	if (store_history(s, list, (size_t)n, &h) != STORE_OK) {
		fprintf(err, "stsd: %s\n", store_errmsg(s));
		rc = EXIT_ERROR;
	} else if (history_fmt_write(out, format, &h) != 0 || fflush(out) != 0) {
		fprintf(err, "stsd: writing the history failed\n");
		rc = EXIT_ERROR;
	}
out:
	history_free(&h);
	store_close(s);
	free(list);
	free(norm);
	return rc;
}
