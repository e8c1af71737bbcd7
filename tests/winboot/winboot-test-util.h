/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the winboot tests: phony hives built at test time from .reg
 * text with `hivexregedit --merge` onto a copy of the corpus seed hive (no
 * shell: fork + execvp), and applying edits to re-read the result.
 * Include after tests.h.
 */
#ifndef IMGFIX_TESTS_WINBOOT_UTIL_H
#define IMGFIX_TESTS_WINBOOT_UTIL_H

#include <sys/wait.h>

#include "hive.h"

static inline int
wb_run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Builds tmpdir/name from the seed plus reg_text (written to a file);
 * prefix is hivexregedit's --prefix (NULL: keys are "\..." paths). */
static inline char *
wb_build_hive(const char *name, const char *reg_path, const char *prefix)
{
	_cleanup_free_ char *seed = tests_corpus("hives/seed/minimal");
	_cleanup_free_ char *buf = NULL;
	char *out = util_path_join(tests_tmpdir(), name);
	size_t len;
	int r;

	ASSERT_NOT_NULL(out);
	ASSERT_OK(util_read_file(seed, 1 << 20, &buf, &len));
	ASSERT_OK(util_write_file_atomic(out, buf, len));
	if (prefix) {
		char *argv[] = {(char *)"hivexregedit",
		                (char *)"--merge",
		                (char *)"--prefix",
		                (char *)prefix,
		                out,
		                (char *)reg_path,
		                NULL};
		r = wb_run(argv);
	} else {
		char *argv[] = {(char *)"hivexregedit", (char *)"--merge", out,
		                (char *)reg_path, NULL};
		r = wb_run(argv);
	}
	if (r == -ENOENT)
		TEST_SKIP("hivexregedit not installed (libwin-hivex-perl)");
	ASSERT_OK(r);
	return out;
}

/* Writes text to tmpdir/name and returns the path. */
static inline char *
wb_write_tmp(const char *name, const char *text)
{
	char *p = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(p);
	ASSERT_OK(util_write_file_atomic(p, text, strlen(text)));
	return p;
}

/* Applies edits to a writable copy of path, commits to path.new and
 * returns the re-opened result. */
static inline struct hive *
wb_apply(const char *path, const struct hive_edits *edits)
{
	_cleanup_(hive_freep) struct hive *w = NULL;
	_cleanup_free_ char *out = NULL;
	struct hive *h = NULL;

	ASSERT_OK(util_asprintf(&out, "%s.new", path));
	ASSERT_OK(hive_open(path, HIVE_OPEN_WRITE, &w));
	ASSERT_OK(hive_apply_edits(w, edits->v, edits->n, NULL));
	ASSERT_OK(hive_commit(w, out));
	ASSERT_OK(hive_open(out, 0, &h));
	return h;
}

#endif
