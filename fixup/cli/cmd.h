/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The imgfix command line: one function per subcommand, each in its own
 * fixup/cli/cmd-<name>.c, registered in the table of fixup/cli/main.c.  A
 * command gets argv with argv[0] = its name, parses its own options with
 * getopt_long, prints its own --help, and returns an IMGFIX_EXIT_* code
 * (engine/runtime.h).
 */
#ifndef IMGFIX_CMD_H
#define IMGFIX_CMD_H

#include <stdbool.h>

struct imgfix_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* imgfix_globals, imgfix_data_path(), the exit codes */
#include "engine/runtime.h"

/* --key SELECTOR:key:KEY | SELECTOR:file:FILE (cli-keys.c): appends the
 * (selector, key) pair to *keys; logs its errors, never the key. */
int imgfix_parse_key(const char *arg, char ***keys);
/* Wipes and frees a key list. */
void imgfix_keys_free(char **keys);
static inline void
imgfix_keys_freep(char ***keys)
{
	imgfix_keys_free(*keys);
}

int cmd_hive(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_drivers(int argc, char **argv);
int cmd_patchcache(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fix(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_batch(int argc, char **argv);

#endif
