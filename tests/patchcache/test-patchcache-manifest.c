/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manifests: every shipped manifest loads and validates; their content is
 * what the issue asks for; broken manifests give file:line errors; entity
 * tricks are refused; selection by guest facts.
 */
#include "tests.h"
#include "pcache-test-util.h"

static const struct pcache_manifest *
find(const struct pcache_manifest_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->v[i].id, id))
			return &s->v[i];
	TEST_FAIL("manifest %s not loaded", id);
}

static const struct pcache_manifest_file *
file(const struct pcache_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n_files; i++)
		if (streq(m->files[i].name, name))
			return &m->files[i];
	return NULL;
}

TEST(shipped_manifests)
{
	_cleanup_free_ char *dir = pt_manifest_dir(), *schema = pt_schema();
	_cleanup_free_ char *err = NULL;
	struct pcache_manifest_set set = {0};
	const struct pcache_manifest *m;
	const struct pcache_manifest_file *f;
	int n;

	n = pcache_manifest_load_dir(&set, dir, schema, &err);
	if (n < 0)
		TEST_FAIL("load: %s", err);
	ASSERT_EQ(n, 11);
	ASSERT_EQ(set.n, 11);

	m = find(&set, "xp-sp3-x86");
	ASSERT_EQ(m->os_major, 5);
	ASSERT_EQ(m->os_minor, 1);
	ASSERT_EQ(m->sp_min, 3);
	ASSERT_EQ(m->arch, PCACHE_ARCH_I386);
	ASSERT_EQ(m->n_files, 14);
	f = file(m, "halmacpi.dll");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(f->role, PCACHE_ROLE_HAL);
	ASSERT_STREQ(f->hal, "acpiapic_mp");
	ASSERT_EQ(f->min_version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_EQ(f->below_version, 0);
	ASSERT_STREQ(f->hints[0], "I386\\HALMACPI.DL_ on the install media");
	ASSERT_TRUE(util_strv_contains(
	        f->hints, "KB936929: WindowsXP-KB936929-SP3-x86-ENU.exe, "
	                  "unpack with /x"));
	f = file(m, "atapi.sys");
	ASSERT_NOT_NULL(f);
	ASSERT_STREQ(f->guest_path, "system32\\drivers\\atapi.sys");
	ASSERT_EQ(f->role, PCACHE_ROLE_IDE_DRIVER);

	m = find(&set, "xp-sp2-x86");
	f = file(m, "ntkrpamp.exe");
	ASSERT_EQ(f->min_version, PCACHE_VERSION(5, 1, 2600, 2180));
	ASSERT_EQ(f->below_version, PCACHE_VERSION(5, 1, 2600, 5512));

	m = find(&set, "win2003-sp2-x86");
	ASSERT_NOT_NULL(file(m, "storport.sys"));
	ASSERT_EQ(file(m, "hal.dll")->min_version,
	          PCACHE_VERSION(5, 2, 3790, 3959));
	m = find(&set, "win2003-sp1-x64");
	ASSERT_EQ(m->arch, PCACHE_ARCH_AMD64);
	ASSERT_EQ(file(m, "ntoskrnl.exe")->below_version,
	          PCACHE_VERSION(5, 2, 3790, 3959));
	m = find(&set, "win2000-sp4-x86");
	ASSERT_EQ(file(m, "ntoskrnl.exe")->min_version,
	          PCACHE_VERSION(5, 0, 2195, 6717));
	m = find(&set, "vista-sp2-x86");
	ASSERT_EQ(file(m, "ntkrnlpa.exe")->min_version,
	          PCACHE_VERSION(6, 0, 6002, 18005));
	find(&set, "xp-x64-sp2");

	m = find(&set, "win7-sp1-sha2");
	ASSERT_EQ(m->n_updates, 2);
	ASSERT_STREQ(m->updates[0].kb, "KB4490628");
	ASSERT_STREQ(m->updates[1].kb, "KB4474419");
	ASSERT_EQ(m->arch, PCACHE_ARCH_ANY);
	m = find(&set, "win2008-sp2-sha2");
	ASSERT_STREQ(m->updates[0].kb, "KB4493730");
	pcache_manifest_set_done(&set);
}

static int
load_text(const char *name, const char *text, char **ret_error)
{
	_cleanup_free_ char *p = util_path_join(tests_tmpdir(), name);
	_cleanup_free_ char *schema = pt_schema();
	struct pcache_manifest_set set = {0};
	int r;

	ASSERT_OK(util_write_file_atomic(p, text, strlen(text)));
	r = pcache_manifest_load_file(&set, p, schema, ret_error);
	pcache_manifest_set_done(&set);
	return r;
}

TEST(bad_manifests)
{
	char *err = NULL;

	/* Not well-formed: the error names file and line. */
	ASSERT_ERR(load_text("broken.xml",
	                     "<manifest id=\"a\" title=\"t\">\n"
	                     "<os version=\"5.1\" arch=\"i386\">\n"
	                     "</manifest>\n",
	                     &err),
	           -EBADMSG);
	ASSERT_NOT_NULL(err);
	ASSERT_TRUE(strstr(err, "broken.xml:3:") != NULL);
	free(err);
	err = NULL;

	/* Schema: unknown role, on line 3. */
	ASSERT_ERR(load_text("schema.xml",
	                     "<manifest id=\"a\" title=\"t\">\n"
	                     "<os version=\"5.1\" arch=\"i386\"/>\n"
	                     "<file name=\"x.dll\" role=\"bogus\"/>\n"
	                     "</manifest>\n",
	                     &err),
	           -EBADMSG);
	ASSERT_TRUE(strstr(err, "schema.xml:3:") != NULL);
	ASSERT_TRUE(strstr(err, "schema") != NULL);
	free(err);
	err = NULL;

	/* Entities: a DOCTYPE is refused outright (no expansion). */
	ASSERT_ERR(load_text("entity.xml",
	                     "<?xml version=\"1.0\"?>\n"
	                     "<!DOCTYPE manifest [<!ENTITY x \"boom\">]>\n"
	                     "<manifest id=\"a\" title=\"t\">\n"
	                     "<os version=\"5.1\" arch=\"i386\"/>\n"
	                     "<hint>&x;</hint>\n"
	                     "</manifest>\n",
	                     &err),
	           -EBADMSG);
	ASSERT_TRUE(strstr(err, "DOCTYPE") != NULL);
	free(err);
	err = NULL;

	/* Semantics: below-version not above min-version, on line 3. */
	ASSERT_ERR(load_text("range.xml",
	                     "<manifest id=\"a\" title=\"t\">\n"
	                     "<os version=\"5.1\" arch=\"i386\"/>\n"
	                     "<file name=\"x.dll\" role=\"other\" "
	                     "min-version=\"5.1.2600.5512\" "
	                     "below-version=\"5.1.2600.2180\"/>\n"
	                     "</manifest>\n",
	                     &err),
	           -EBADMSG);
	ASSERT_TRUE(strstr(err, "range.xml:3:") != NULL);
	free(err);
	err = NULL;

	/* Unknown HAL type. */
	ASSERT_ERR(load_text("hal.xml",
	                     "<manifest id=\"a\" title=\"t\">\n"
	                     "<os version=\"5.1\" arch=\"i386\"/>\n"
	                     "<file name=\"x.dll\" role=\"hal\" "
	                     "hal=\"nonsense\"/>\n"
	                     "</manifest>\n",
	                     &err),
	           -EBADMSG);
	ASSERT_TRUE(strstr(err, "nonsense") != NULL);
	free(err);
	err = NULL;

	/* A good minimal one loads. */
	ASSERT_OK(load_text("good.xml",
	                    "<manifest id=\"a\" title=\"t\">\n"
	                    "<os version=\"5.1\" arch=\"i386\"/>\n"
	                    "<file name=\"X.DLL\" role=\"other\"/>\n"
	                    "</manifest>\n",
	                    &err));
	ASSERT_NULL(err);
}

TEST(select_by_facts)
{
	_cleanup_free_ char *dir = pt_manifest_dir(), *schema = pt_schema();
	_cleanup_(util_strmap_freep) struct util_strmap *facts =
	        util_strmap_new();
	_cleanup_free_ const struct pcache_manifest **sel = NULL;
	struct pcache_manifest_set set = {0};
	struct pcache_guest g = {0};
	char *err = NULL;
	size_t n;

	ASSERT_TRUE(pcache_manifest_load_dir(&set, dir, schema, NULL) > 0);
	ASSERT_OK(util_strmap_set(facts, "os.version", "5.2"));
	ASSERT_OK(util_strmap_set(facts, "os.service_pack", "Service Pack 2"));
	ASSERT_OK(util_strmap_set(facts, "os.arch", "x86_64"));
	ASSERT_OK(util_strmap_set(facts, "os.product_type", "WinNT"));
	ASSERT_OK(pcache_guest_from_facts(facts, &g, NULL));
	ASSERT_EQ(g.sp, 2);
	ASSERT_STREQ(g.product_type, "client");
	ASSERT_OK(pcache_manifest_select(&set, &g, &sel, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(sel[0]->id, "xp-x64-sp2");
	pcache_guest_done(&g);
	free(sel);
	sel = NULL;

	ASSERT_OK(util_strmap_set(facts, "os.version", "6.1"));
	ASSERT_OK(util_strmap_set(facts, "os.service_pack", "1"));
	ASSERT_OK(util_strmap_set(facts, "os.product_type", "ServerNT"));
	ASSERT_OK(pcache_guest_from_facts(facts, &g, NULL));
	ASSERT_OK(pcache_manifest_select(&set, &g, &sel, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(sel[0]->id, "win7-sp1-sha2");
	pcache_guest_done(&g);

	ASSERT_OK(util_strmap_remove(facts, "os.version"));
	ASSERT_ERR(pcache_guest_from_facts(facts, &g, &err), -EINVAL);
	ASSERT_TRUE(strstr(err, "os.version") != NULL);
	free(err);
	pcache_manifest_set_done(&set);
}
