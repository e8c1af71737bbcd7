/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the tests of rules/: write a rule file into the test's
 * temp dir, load it, look for a diagnostic, build facts from "k=v" strings.
 * Included once per test executable, after tests.h.
 */
#ifndef IMGFIX_TESTS_RULES_TEST_H
#define IMGFIX_TESTS_RULES_TEST_H

#include "rules.h"
#include "tests.h"

/* Writes content to <tmpdir>/name; returns the malloc'd path. */
static inline char *
rt_write(const char *name, const char *content, size_t len)
{
	char *p = util_path_join(tests_tmpdir(), name);
	FILE *f;

	/* plain stdio: no fsync, the tests write hundreds of files */
	ASSERT_NOT_NULL(p);
	f = fopen(p, "we");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fwrite(content, 1, len, f), len);
	ASSERT_EQ(fclose(f), 0);
	return p;
}

/* A new context searching the temp dir. */
static inline struct rules *
rt_new(void)
{
	char *dirs[] = {(char *)tests_tmpdir(), NULL};
	struct rules *r = rules_new(dirs);

	ASSERT_NOT_NULL(r);
	return r;
}

/* Writes xml to a fresh file and loads it into a new context *ret. */
static inline int
rt_load(const char *xml, struct rules **ret)
{
	static unsigned counter;
	char name[64];
	_cleanup_free_ char *p = NULL;

	snprintf(name, sizeof(name), "t%u.xml", counter++);
	p = rt_write(name, xml, strlen(xml));
	*ret = rt_new();
	return rules_load(*ret, p);
}

static inline bool
rt_diag_has(const struct rules *r, const char *needle)
{
	STRV_FOREACH (d, rules_diagnostics(r))
		if (strstr(*d, needle))
			return true;
	return false;
}

static inline void
rt_dump_diags(const struct rules *r)
{
	STRV_FOREACH (d, rules_diagnostics(r))
		fprintf(stderr, "  diag: %s\n", *d);
}

#define ASSERT_DIAG(r, needle)                                       \
	do {                                                         \
		if (!rt_diag_has((r), (needle))) {                   \
			rt_dump_diags(r);                            \
			TEST_FAIL("no diagnostic containing \"%s\"", \
			          (needle));                         \
		}                                                    \
	} while (0)

/* Facts from "name=value" strings, NULL-terminated. */
static inline struct util_strmap *
rt_facts(const char *const *kv)
{
	struct util_strmap *m = util_strmap_new();

	ASSERT_NOT_NULL(m);
	for (; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		_cleanup_free_ char *k = NULL;

		ASSERT_NOT_NULL(eq);
		k = util_strndup0(*kv, (size_t)(eq - *kv));
		ASSERT_NOT_NULL(k);
		ASSERT_OK(util_strmap_set(m, k, eq + 1));
	}
	return m;
}

#endif
