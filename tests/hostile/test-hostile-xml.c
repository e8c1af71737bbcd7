/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XML read escapes: rule files (rules_load) and patch-cache manifests
 * (pcache_manifest_load_file) that try to pull in a host file through an
 * external entity, a parameter entity, an external DTD or XInclude.  The
 * secret file's content must show up nowhere: not in what loads, not in a
 * diagnostic.  (tests/rules/test-rules-load.c covers external entities,
 * external DTDs, billion laughs and include-by-path for rule files; this
 * adds parameter entities and XInclude, and the manifest loader.)
 */
#include "tests.h"
#include "config.h"
#include "patchcache.h"
#include "rules.h"

#define SECRET "TOPSECRET-hostile-4b1d"

static char *secret_path;

static const char *
secret(void)
{
	if (!secret_path) {
		secret_path = util_path_join(tests_tmpdir(), "secret.txt");
		ASSERT_NOT_NULL(secret_path);
		ASSERT_OK(util_write_file_atomic(secret_path, SECRET "\n",
		                                 strlen(SECRET) + 1));
	}
	return secret_path;
}

/* Writes tmpl with "@S@" replaced by the secret's path. */
static char *
write_xml(const char *name, const char *tmpl)
{
	_cleanup_free_ char *text = NULL;
	const char *at = strstr(tmpl, "@S@");
	char *p;

	if (at)
		ASSERT_OK(util_asprintf(&text, "%.*s%s%s", (int)(at - tmpl),
		                        tmpl, secret(), at + 3));
	else
		text = strdup(tmpl);
	ASSERT_NOT_NULL(text);
	p = util_path_join(tests_tmpdir(), name);
	ASSERT_NOT_NULL(p);
	ASSERT_OK(util_write_file_atomic(p, text, strlen(text)));
	return p;
}

/* The attacks, each a rule file (@S@ = the secret's path). */
static const char *const rule_attacks[] = {
        /* parameter entity pulling the file into the DTD */
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE ruleset [<!ENTITY % p SYSTEM \"file://@S@\"> %p;]>\n"
        "<ruleset name=\"pe\"><description>x</description></ruleset>\n",
        /* XInclude as text inside a description */
        "<?xml version=\"1.0\"?>\n"
        "<ruleset name=\"xi\" "
        "xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
        "<description><xi:include href=\"@S@\" parse=\"text\"/>"
        "</description>\n"
        "<rule id=\"a\"><description>d</description>"
        "<warn message=\"m\"/></rule></ruleset>\n",
        /* XInclude as a sibling element */
        "<?xml version=\"1.0\"?>\n"
        "<ruleset name=\"xi2\" "
        "xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
        "<description>d</description>"
        "<xi:include href=\"@S@\" parse=\"text\"/>\n"
        "</ruleset>\n",
        /* external entity inside an attribute */
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE ruleset [<!ENTITY x SYSTEM \"file://@S@\">]>\n"
        "<ruleset name=\"at\"><description>d</description>"
        "<rule id=\"a\"><description>d</description>"
        "<warn message=\"&x;\"/></rule></ruleset>\n",
};

static void
assert_no_secret(const char *what, const char *s)
{
	if (s && strstr(s, "TOPSECRET"))
		TEST_FAIL("%s leaked the secret: %s", what, s);
}

TEST(rules_never_read_outside)
{
	for (size_t i = 0; i < ELEMENTSOF(rule_attacks); i++) {
		_cleanup_(rules_freep) struct rules *r = rules_new(NULL);
		_cleanup_free_ char *name = NULL, *path = NULL;
		int k;

		ASSERT_NOT_NULL(r);
		ASSERT_OK(util_asprintf(&name, "attack%zu.xml", i));
		path = write_xml(name, rule_attacks[i]);
		k = rules_load(r, path);
		fprintf(stderr, "  %s: %d\n", name, k);
		STRV_FOREACH (d, rules_diagnostics(r))
			assert_no_secret("diagnostic", *d);
		/* refusing is the expected outcome; if it loads, nothing it
		 * holds may come from the secret file */
		for (size_t j = 0; j < rules_n_sets(r); j++)
			assert_no_secret("description",
			                 rules_set_description(r, j));
		if (k >= 0) {
			_cleanup_(util_strmap_freep) struct util_strmap *f =
			        util_strmap_new();
			_cleanup_(rules_result_freep) struct rules_result *res =
			        NULL;

			ASSERT_NOT_NULL(f);
			ASSERT_OK(rules_eval(r, f, &res));
			for (size_t j = 0; j < rules_result_size(res); j++) {
				const struct rules_action *a =
				        rules_result_get(res, j);

				for (size_t n = 0; n < a->n_attrs; n++)
					assert_no_secret("attribute",
					                 a->attrs[n].value);
			}
		}
		/* the entity and parameter-entity attacks must be refused */
		if (i == 0 || i == 3)
			ASSERT_TRUE(k < 0);
	}
}

static const char *const manifest_attacks[] = {
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE manifest [<!ENTITY x SYSTEM \"file://@S@\">]>\n"
        "<manifest id=\"a\" title=\"&x;\">\n"
        "<os version=\"5.1\" arch=\"i386\"/>\n<hint>&x;</hint>\n"
        "</manifest>\n",
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE manifest [<!ENTITY % p SYSTEM \"file://@S@\"> %p;]>\n"
        "<manifest id=\"a\" title=\"t\">\n"
        "<os version=\"5.1\" arch=\"i386\"/>\n</manifest>\n",
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE manifest SYSTEM \"file://@S@\">\n"
        "<manifest id=\"a\" title=\"t\">\n"
        "<os version=\"5.1\" arch=\"i386\"/>\n</manifest>\n",
        "<?xml version=\"1.0\"?>\n"
        "<manifest id=\"a\" title=\"t\" "
        "xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
        "<os version=\"5.1\" arch=\"i386\"/>\n"
        "<hint><xi:include href=\"@S@\" parse=\"text\"/></hint>\n"
        "</manifest>\n",
};

TEST(manifests_never_read_outside)
{
	_cleanup_free_ char *schema = util_path_join(
	        tests_srcdir(), "patchcache/schema/manifest.rng");

	ASSERT_NOT_NULL(schema);
	for (size_t i = 0; i < ELEMENTSOF(manifest_attacks); i++) {
		struct pcache_manifest_set set = {0};
		_cleanup_free_ char *name = NULL, *path = NULL, *err = NULL;
		int k;

		ASSERT_OK(util_asprintf(&name, "manifest%zu.xml", i));
		path = write_xml(name, manifest_attacks[i]);
		k = pcache_manifest_load_file(&set, path, schema, &err);
		fprintf(stderr, "  %s: %d %s\n", name, k, err ? err : "");
		assert_no_secret("error", err);
		for (size_t j = 0; j < set.n; j++) {
			assert_no_secret("title", set.v[j].title);
			assert_no_secret("id", set.v[j].id);
			for (size_t f = 0; f < set.v[j].n_files; f++)
				STRV_FOREACH (h, set.v[j].files[f].hints)
					assert_no_secret("hint", *h);
		}
		pcache_manifest_set_done(&set);
		/* DOCTYPEs are refused outright */
		if (i < 3)
			ASSERT_ERR(k, -EBADMSG);
	}
	free(secret_path);
	secret_path = NULL;
}
