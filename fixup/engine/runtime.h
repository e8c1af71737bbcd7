/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the whole process shares: its exit codes, the global options main()
 * sets before a command runs (the engine reads them), and where imgfix's
 * shipped data lives (rule sets, patch-cache manifests and schemas).
 */
#ifndef IMGFIX_FIXUP_RUNTIME_H
#define IMGFIX_FIXUP_RUNTIME_H

#include <stdbool.h>

/* Exit codes of imgfix and its commands (engine commands such as
 * `rules test` return them too). */
enum {
	IMGFIX_EXIT_OK = 0,      /* success */
	IMGFIX_EXIT_FAILURE = 1, /* failed, or blocked (missing items) */
	IMGFIX_EXIT_USAGE = 2,   /* bad command line */
	IMGFIX_EXIT_NOTHING = 3, /* nothing to do, or refused for safety */
};

/* Global options, set by main() before a command runs. */
struct imgfix_globals {
	int verbose; /* -v, repeatable */
	bool quiet;  /* --quiet: no progress, fewer messages */
};
extern struct imgfix_globals imgfix_globals;

/*
 * Path of a data file shipped with imgfix (e.g. "rules/sets"): from
 * $IMGFIX_DATADIR when set, the source tree when this binary runs from its
 * build directory, else the installed datadir.  Returns malloc'd memory.
 */
char *imgfix_data_path(const char *rel);

#endif
