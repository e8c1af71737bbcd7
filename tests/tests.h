/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tiny test harness every tests/test-*.c uses: TEST() registers a test
 * function, the ASSERT_* macros fail it with file:line and the values seen,
 * and main() runs all tests (or those named on the command line).  Exit 0 on
 * success, 1 on failure, 77 when a test asked to be skipped (missing corpus).
 *
 * One executable per module/topic; include this header once, in one file.
 */
#ifndef IMGFIX_TESTS_H
#define IMGFIX_TESTS_H

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TESTS_MAX 512
static struct test_case tests_all[TESTS_MAX];
static size_t tests_n;
static const char *tests_current;

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void test_register_##name(void) \
	{                                                                   \
		if (tests_n < TESTS_MAX)                                    \
			tests_all[tests_n++] =                              \
			        (struct test_case){#name, test_##name};     \
	}                                                                   \
	static void test_##name(void)

#define TEST_FAIL(...)                                              \
	do {                                                        \
		fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, \
		        tests_current);                             \
		fprintf(stderr, __VA_ARGS__);                       \
		fputc('\n', stderr);                                \
		exit(1);                                            \
	} while (0)

/* Skips the whole executable (exit 77), e.g. when ../shared/corpus is absent.
 */
#define TEST_SKIP(...)                                         \
	do {                                                   \
		fprintf(stderr, "SKIP [%s]: ", tests_current); \
		fprintf(stderr, __VA_ARGS__);                  \
		fputc('\n', stderr);                           \
		exit(77);                                      \
	} while (0)

#define ASSERT_TRUE(expr)                                         \
	do {                                                      \
		if (!(expr))                                      \
			TEST_FAIL("assertion failed: %s", #expr); \
	} while (0)

#define ASSERT_OK(expr)                                              \
	do {                                                         \
		long long _r = (long long)(expr);                    \
		if (_r < 0)                                          \
			TEST_FAIL("%s failed: %lld (%s)", #expr, _r, \
			          strerror((int)-_r));               \
	} while (0)

/* expr must return exactly err (a negative errno). */
#define ASSERT_ERR(expr, err)                                             \
	do {                                                              \
		long long _r = (long long)(expr);                         \
		if (_r != (long long)(err))                               \
			TEST_FAIL("%s returned %lld, expected %lld (%s)", \
			          #expr, _r, (long long)(err), #err);     \
	} while (0)

#define ASSERT_EQ(a, b)                                                      \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		if (_a != _b)                                                \
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)

#define ASSERT_STREQ(a, b)                                                 \
	do {                                                               \
		const char *_a = (a), *_b = (b);                           \
		if (!_a || !_b || strcmp(_a, _b) != 0)                     \
			TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,    \
			          _a ? _a : "(null)", _b ? _b : "(null)"); \
	} while (0)

#define ASSERT_MEMEQ(a, b, n)                                  \
	do {                                                   \
		if (memcmp((a), (b), (n)) != 0)                \
			TEST_FAIL("%s and %s differ", #a, #b); \
	} while (0)

#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

/*
 * Path of a file in ../shared/corpus (from $IMGFIX_CORPUS, set by meson), or
 * skip the executable when the corpus is absent.  Returns malloc'd memory.
 */
static inline char *
tests_corpus(const char *rel)
{
	const char *root = getenv("IMGFIX_CORPUS");
	struct stat st;
	char *p;

	if (!root || stat(root, &st) < 0)
		TEST_SKIP("corpus not found (IMGFIX_CORPUS=%s)",
		          root ? root : "unset");
	p = util_path_join(root, rel);
	if (!p || stat(p, &st) < 0)
		TEST_SKIP("corpus file %s missing", rel);
	return p;
}

/* A private temp directory for this test executable, removed at exit. */
static char *tests_tmp;

static inline void
tests_tmp_cleanup(void)
{
	if (tests_tmp && getenv("IMGFIX_TEST_KEEP"))
		(void)util_keepdtemp(tests_tmp);
	else if (tests_tmp)
		(void)util_rmdtemp(tests_tmp);
	free(tests_tmp);
}

static inline const char *
tests_tmpdir(void)
{
	if (!tests_tmp) {
		if (util_mkdtemp("test", &tests_tmp) < 0)
			TEST_FAIL("cannot create temp dir");
		atexit(tests_tmp_cleanup);
	}
	return tests_tmp;
}

#define TESTS_AGE_S 3600

static inline int
tests_age_one(const char *path, const struct stat *st, int type,
              struct FTW *ftw)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	ts[1].tv_sec -= TESTS_AGE_S;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* Every file and directory under path made TESTS_AGE_S older (contents
 * before their directory): a tree copied a while ago.  A driver store's
 * catalog cache trusts no key within its timestamp tick of the scan. */
static inline void
tests_age_tree(const char *path)
{
	if (nftw(path, tests_age_one, 16, FTW_PHYS | FTW_DEPTH) != 0)
		TEST_FAIL("cannot age %s", path);
}

/*
 * Path of an executable of the build tree ($IMGFIX_BUILD_ROOT, set by meson;
 * "." otherwise), e.g. "fixup/imgfix", or skip the test when it is not
 * built.  The same pointer for the same rel (at most 8 of them).
 */
static inline const char *
tests_build_exe(const char *rel)
{
	static struct {
		const char *rel;
		char *path;
	} cache[8];
	const char *b = getenv("IMGFIX_BUILD_ROOT");
	size_t i;

	for (i = 0; i < 8 && cache[i].rel; i++)
		if (strcmp(cache[i].rel, rel) == 0)
			break;
	if (i == 8)
		TEST_FAIL("tests_build_exe: too many executables");
	if (!cache[i].rel) {
		cache[i].path = util_path_join(b ? b : ".", rel);
		ASSERT_NOT_NULL(cache[i].path);
		cache[i].rel = rel;
	}
	if (access(cache[i].path, X_OK) < 0)
		TEST_SKIP("%s not built", cache[i].path);
	return cache[i].path;
}

/* tests/fixtures/mkimage, skipping without it or without mkntfs. */
static inline const char *
tests_mkimage(void)
{
	const char *p = tests_build_exe("tests/fixtures/mkimage");

	if (access("/usr/sbin/mkntfs", X_OK) < 0 &&
	    access("/sbin/mkntfs", X_OK) < 0)
		TEST_SKIP("mkntfs not installed");
	return p;
}

/* Source dir of the project ($IMGFIX_SOURCE_ROOT, set by meson). */
static inline const char *
tests_srcdir(void)
{
	const char *s = getenv("IMGFIX_SOURCE_ROOT");

	return s ? s : ".";
}

/*
 * Runs a shell command formatted from strings the test controls (its temp
 * paths, fixed tool arguments; never outside input) with system(3).
 * Returns its exit status, -1 when it did not exit normally (killed, or no
 * shell); fails the test when out of memory.
 */
static inline int _printf_(1, 2) tests_sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0) {
		cmd = NULL;
		TEST_FAIL("out of memory");
	}
	r = system(cmd);
	if (r == -1 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

int
main(int argc, char **argv)
{
	size_t run = 0;

	for (size_t i = 0; i < tests_n; i++) {
		bool selected = argc < 2;

		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests_all[i].name) == 0)
				selected = true;
		if (!selected)
			continue;
		tests_current = tests_all[i].name;
		fprintf(stderr, "=== %s\n", tests_current);
		tests_all[i].fn();
		run++;
	}
	fprintf(stderr, "%zu test(s) passed\n", run);
	return run > 0 || argc < 2 ? 0 : 1;
}

#endif
