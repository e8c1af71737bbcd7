/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the hive tests: phony hives built at test time from the
 * corpus seed (hivexregedit --merge of .reg text), file copies and whole
 * file comparisons.  Included once per test executable, after tests.h.
 */
#ifndef IMGFIX_HIVE_TEST_UTIL_H
#define IMGFIX_HIVE_TEST_UTIL_H

#include <sys/wait.h>

#include "hive.h"

#define HKLM_SYSTEM "HKEY_LOCAL_MACHINE\\SYSTEM"

static unsigned hive_test_counter;

/* A fresh path in the test's temp dir: <tmp>/<tag>-<n>. */
static inline char *
hive_test_path(const char *tag)
{
	char *p;

	if (util_asprintf(&p, "%s/%s-%u", tests_tmpdir(), tag,
	                  hive_test_counter++) < 0)
		TEST_FAIL("out of memory");
	return p;
}

static inline void
hive_test_copy(const char *from, const char *to)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	ASSERT_OK(util_read_file(from, HIVE_MAX_FILE_SIZE, &buf, &len));
	ASSERT_OK(util_write_file_atomic(to, buf, len));
}

/* Runs a shell command built from test-controlled paths; returns status. */
static inline int
hive_test_run(const char *cmd)
{
	int st = system(cmd);

	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A copy of the corpus seed hive (hivex's minimal hive). */
static inline char *
hive_test_seed(void)
{
	_cleanup_free_ char *seed = tests_corpus("hives/seed/minimal");
	char *p = hive_test_path("seed");

	hive_test_copy(seed, p);
	return p;
}

/* A phony hive: the seed with reg (.reg text, keys under HKLM\SYSTEM)
 * merged by hivexregedit. */
static inline char *
hive_test_from_reg(const char *reg)
{
	_cleanup_free_ char *regfile = hive_test_path("reg");
	_cleanup_free_ char *cmd = NULL;
	char *p = hive_test_seed();

	ASSERT_OK(util_write_file_atomic(regfile, reg, strlen(reg)));
	ASSERT_OK(util_asprintf(&cmd,
	                        "hivexregedit --merge --prefix '%s' '%s' '%s'",
	                        HKLM_SYSTEM, p, regfile));
	ASSERT_EQ(hive_test_run(cmd), 0);
	return p;
}

/* Reads a whole text file (for golden comparisons). */
static inline char *
hive_test_read(const char *path)
{
	char *buf;
	size_t len;

	ASSERT_OK(util_read_file(path, 256u << 20, &buf, &len));
	return buf;
}

/* Export of key as a malloc'd string. */
static inline char *
hive_test_export(struct hive *h, const char *key, const char *prefix)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NOT_NULL(f);
	ASSERT_OK(hive_export_reg(h, key, prefix, f));
	ASSERT_EQ(fclose(f), 0);
	return buf;
}

/* Diff a -> b as a malloc'd string; *ret_count gets the result. */
static inline char *
hive_test_diff(struct hive *a, struct hive *b, const char *prefix,
               int *ret_count)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	ASSERT_NOT_NULL(f);
	r = hive_diff(a, b, prefix, f);
	ASSERT_EQ(fclose(f), 0);
	if (r < 0)
		TEST_FAIL("hive_diff: %s (%s)", strerror(-r),
		          hive_last_error(a) ? hive_last_error(a) : "-");
	*ret_count = r;
	return buf;
}

#endif
