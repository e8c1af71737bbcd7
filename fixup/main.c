/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * imgfix — offline fix-up and driver injection for captured disk images.
 * This file is the front door: global options and the subcommand table.
 */
#include <getopt.h>
#include <limits.h>

#include "config.h"
#include "cmd.h"
#include "util.h"

struct imgfix_globals imgfix_globals;

static const struct imgfix_cmd commands[] = {
        /* One line per command, kept in this order (see cmd.h). */
        {NULL, NULL, NULL},
};

char *
imgfix_data_path(const char *rel)
{
	const char *env = getenv("IMGFIX_DATADIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return util_path_join(env, rel);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (util_startswith(exe, IMGFIX_BUILD_ROOT "/"))
			return util_path_join(IMGFIX_SOURCE_ROOT, rel);
	}
	return util_path_join(IMGFIX_DATADIR, rel);
}

static void
usage(FILE *f)
{
	fprintf(f, "Usage: imgfix [-v] [--quiet] COMMAND [ARGS...]\n\n"
	           "Offline fix-up and driver injection for disk images.\n\n"
	           "Commands:\n");
	for (size_t i = 0; commands[i].name; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
		        commands[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  -v, --verbose   more messages (repeat for debug)\n"
	           "  -q, --quiet     no progress, only errors\n"
	           "  -h, --help      this help\n"
	           "  -V, --version   print the version\n"
	           "\nSee imgfix(1) and 'imgfix COMMAND --help'.\n");
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
	        {"verbose", no_argument, NULL, 'v'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	util_log_set_prefix("imgfix");
	/* Stop at the first non-option: the subcommand parses the rest. */
	while ((c = getopt_long(argc, argv, "+vqhV", options, NULL)) >= 0) {
		switch (c) {
		case 'v':
			imgfix_globals.verbose++;
			break;
		case 'q':
			imgfix_globals.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return IMGFIX_EXIT_OK;
		case 'V':
			printf("imgfix %s\n", IMGFIX_VERSION);
			return IMGFIX_EXIT_OK;
		default:
			usage(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (imgfix_globals.verbose >= 2)
		util_log_set_level(UTIL_LOG_DEBUG);
	else if (imgfix_globals.verbose == 1)
		util_log_set_level(UTIL_LOG_INFO);
	else if (imgfix_globals.quiet)
		util_log_set_level(UTIL_LOG_ERR);

	if (optind >= argc) {
		usage(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	for (size_t i = 0; commands[i].name; i++)
		if (streq(argv[optind], commands[i].name)) {
			int sub = optind;

			/* Each command sees argv from its own name on; optind
			 * 0 makes glibc's getopt start over. */
			optind = 0;
			return commands[i].run(argc - sub, argv + sub);
		}
	log_error("Unknown command '%s'. See 'imgfix --help'.", argv[optind]);
	return IMGFIX_EXIT_USAGE;
}
