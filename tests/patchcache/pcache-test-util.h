/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fixtures shared by the patchcache tests: PE files with known versions built
 * at test time by mkpe.sh (mingw-w64 binutils), a fake guest file reader,
 * and running fixed helper commands.  Include after tests.h.
 */
#ifndef PCACHE_TEST_UTIL_H
#define PCACHE_TEST_UTIL_H

#include "patchcache.h"

/* Runs a formatted shell command (tests_sh()) that must succeed; skips the
 * executable when it exits 77 (a tool it needs is missing). */
#define pt_runf(fmt, ...)                                                      \
	do {                                                                   \
		int _st = tests_sh(fmt, __VA_ARGS__);                          \
		if (_st == 77)                                                 \
			TEST_SKIP("tool missing for: %s", fmt);                \
		if (_st != 0)                                                  \
			TEST_FAIL("command failed (status %d): %s", _st, fmt); \
	} while (0)

/* Builds PE files NAMES (space separated) of arch/version into dir. */
static inline void
pt_mkpe(const char *dir, const char *arch, const char *version,
        const char *names)
{
	pt_runf("'%s/tests/patchcache/mkpe.sh' '%s' %s %s %s", tests_srcdir(),
	        dir, arch, version, names);
}

/*
 * A new cache <tmp>/cache-<tag> holding the i386 PE files names (space
 * separated) at version.  The PE files are built once per version and
 * name into <tmp>/pe-<version> and copied from there.
 */
static inline struct pcache *
pt_cache(const char *tag, const char *version, const char *names)
{
	_cleanup_free_ char *pe = NULL, *src = NULL, *dir = NULL;
	_cleanup_free_ char *err = NULL;
	_cleanup_strv_free_ char **l = NULL;
	struct pcache *c = NULL;

	if (util_asprintf(&pe, "%s/pe-%s", tests_tmpdir(), version) < 0 ||
	    util_asprintf(&src, "%s/src-%s", tests_tmpdir(), tag) < 0 ||
	    util_asprintf(&dir, "%s/cache-%s", tests_tmpdir(), tag) < 0 ||
	    util_strv_split(names, " ", &l) < 0 || util_mkdir_p(src) < 0)
		TEST_FAIL("OOM");
	{
		_cleanup_strv_free_ char **missing = NULL;
		_cleanup_free_ char *m = NULL;

		STRV_FOREACH (n, l) {
			_cleanup_free_ char *f = util_path_join(pe, *n);

			if (access(f, F_OK) < 0 &&
			    util_strv_push(&missing, *n) < 0)
				TEST_FAIL("OOM");
		}
		if (missing) {
			m = util_strv_join(missing, " ");
			pt_mkpe(pe, "i386", version, m);
		}
	}
	STRV_FOREACH (n, l)
		pt_runf("cp '%s/%s' '%s/'", pe, *n, src);
	if (pcache_open(dir, true, &c, &err) < 0 ||
	    pcache_add(c, src, NULL, &err) < 0)
		TEST_FAIL("cache %s: %s", tag, err);
	return c;
}

/* A temp subdirectory of the test's temp dir (created). */
static inline char *
pt_dir(const char *name)
{
	char *p = util_path_join(tests_tmpdir(), name);

	if (!p || util_mkdir_p(p) < 0)
		TEST_FAIL("cannot create %s", name);
	return p;
}

/* The fake guest: a table of guest paths and versions. */
struct pt_guest_file {
	const char *path; /* "system32\\ntoskrnl.exe" */
	uint64_t version;
};

static inline int
pt_read_pe(void *userdata, const char *guest_path, struct pcache_pe_info *ret)
{
	for (const struct pt_guest_file *f = userdata; f && f->path; f++)
		if (strcaseeq(f->path, guest_path)) {
			*ret = (struct pcache_pe_info){
			        .machine = PCACHE_PE_MACHINE_I386,
			        .arch = PCACHE_ARCH_I386,
			        .subsystem = 1,
			        .has_version = true,
			        .file_version = f->version,
			        .product_version = f->version,
			};
			return 0;
		}
	return -ENOENT;
}

static inline char *
pt_manifest_dir(void)
{
	return util_path_join(tests_srcdir(), "patchcache/manifests");
}

static inline char *
pt_schema(void)
{
	return util_path_join(tests_srcdir(), "patchcache/schema/manifest.rng");
}

#endif
