/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the fuzz targets (tests/fuzz/fuzz-*.c): the libFuzzer entry
 * point's prototype, an abort-on-failure check that works in both builds
 * (libFuzzer and replay), and a private temp directory for the targets
 * whose API only takes paths (hives, rule files, manifests).
 *
 * Every target is a plain C file defining LLVMFuzzerTestOneInput(); with
 * -Dfuzz=true it links against libFuzzer, otherwise against fuzz-replay.c,
 * whose main() runs it over files and directories given as arguments.
 */
#ifndef IMGFIX_TESTS_FUZZ_H
#define IMGFIX_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep; failing it is a finding. */
#define FUZZ_CHECK(expr)                                                  \
	do {                                                              \
		if (!(expr)) {                                            \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", \
			        __FILE__, __LINE__, #expr);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* Removed at exit (unless IMGFIX_TEST_KEEP is set). */
static char *fuzz_tmp;

static inline void
fuzz_tmp_cleanup(void)
{
	if (fuzz_tmp && !getenv("IMGFIX_TEST_KEEP"))
		(void)util_rm_rf(fuzz_tmp);
	free(fuzz_tmp);
	fuzz_tmp = NULL;
}

/* Writes data to <private temp dir>/name and returns that path (static
 * per target: one input at a time). */
static inline const char *
fuzz_write_temp(const char *name, const uint8_t *data, size_t size)
{
	static char *path;
	FILE *f;

	if (!fuzz_tmp) {
		if (util_mkdtemp("fuzz", &fuzz_tmp) < 0)
			abort();
		atexit(fuzz_tmp_cleanup);
	}
	free(path);
	path = util_path_join(fuzz_tmp, name);
	FUZZ_CHECK(path);
	f = fopen(path, "we");
	FUZZ_CHECK(f);
	FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	FUZZ_CHECK(fclose(f) == 0);
	return path;
}

#endif
