/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the patch-cache manifest loader (pcache_manifest_load_file
 * on a temp file, validated against the shipped RELAX NG schema) and the
 * manifest selection on what loads.  Properties: a failure appends
 * nothing and says why; a loaded manifest has an id and its files names.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "patchcache.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *schema;
	struct pcache_manifest_set set = {0};
	_cleanup_free_ char *error = NULL;
	const char *path;
	int r;

	if (!schema) {
		schema = util_path_join(IMGFIX_SOURCE_ROOT,
		                        "patchcache/schema/manifest.rng");
		FUZZ_CHECK(schema);
	}
	path = fuzz_write_temp("fuzz.xml", data, size);
	r = pcache_manifest_load_file(&set, path, schema, &error);
	if (r < 0) {
		FUZZ_CHECK(set.n == 0);
		FUZZ_CHECK(error);
	} else {
		for (size_t i = 0; i < set.n; i++) {
			FUZZ_CHECK(set.v[i].id);
			for (size_t j = 0; j < set.v[i].n_files; j++)
				FUZZ_CHECK(set.v[i].files[j].name);
		}
	}
	pcache_manifest_set_done(&set);
	return 0;
}
