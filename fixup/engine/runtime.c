/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process-wide state of runtime.h: the global options, and
 * imgfix_data_path() ($IMGFIX_DATADIR, the source tree when running from
 * the build tree, else the installed datadir).
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "engine/runtime.h"
#include "util.h"

struct imgfix_globals imgfix_globals;

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
