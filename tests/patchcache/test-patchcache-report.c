/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The check report: an XP SP3 guest with a complete cache needs nothing;
 * with one file gone from the cache that file is missing, named with its
 * hints; an SP2 guest with only SP3 files gets a version mismatch; rule
 * requirements and required updates are counted; text and JSON forms.
 */
#include "tests.h"
#include "pcache-test-util.h"

#define XP_SP3_FILES                                                     \
	"hal.dll halacpi.dll halaacpi.dll halmacpi.dll halapic.dll "     \
	"halmps.dll "                                                    \
	"ntoskrnl.exe ntkrnlpa.exe ntkrnlmp.exe ntkrpamp.exe atapi.sys " \
	"intelide.sys pciide.sys pciidex.sys"

static struct pcache_manifest_set manifests;

static void
free_manifests(void)
{
	pcache_manifest_set_done(&manifests);
}

static void
load_manifests(void)
{
	_cleanup_free_ char *dir = pt_manifest_dir(), *schema = pt_schema();
	_cleanup_free_ char *err = NULL;

	if (manifests.n)
		return;
	if (pcache_manifest_load_dir(&manifests, dir, schema, &err) < 0)
		TEST_FAIL("manifests: %s", err);
	atexit(free_manifests);
}

static void
guest(struct pcache_guest *g, const char *version, const char *sp,
      const char *arch, const char *product)
{
	_cleanup_(util_strmap_freep) struct util_strmap *f = util_strmap_new();

	ASSERT_NOT_NULL(f);
	ASSERT_OK(util_strmap_set(f, "os.version", version));
	ASSERT_OK(util_strmap_set(f, "os.service_pack", sp));
	ASSERT_OK(util_strmap_set(f, "os.arch", arch));
	ASSERT_OK(util_strmap_set(f, "os.product_type", product));
	ASSERT_OK(util_strmap_set(f, "windows.hal", "acpiapic_up"));
	ASSERT_OK(pcache_guest_from_facts(f, g, NULL));
}

static const struct pcache_report_item *
item(const struct pcache_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (streq(r->items[i].name, name))
			return &r->items[i];
	TEST_FAIL("no report item %s", name);
}

/* The XP SP3 guest's own files: its kernel and IDE drivers. */
static const struct pt_guest_file xp_sp3_guest[] = {
        {"system32\\ntoskrnl.exe", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\hal.dll", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\drivers\\atapi.sys", PCACHE_VERSION(5, 1, 2600, 5512)},
        {NULL, 0},
};

TEST(xp_sp3_complete)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("full", "5.1.2600.5512", XP_SP3_FILES);
	struct pcache_guest_reader reader = {pt_read_pe, (void *)xp_sp3_guest};
	struct pcache_report r = {0};
	struct pcache_guest g;
	_cleanup_free_ char *json = NULL, *text = NULL;
	size_t tlen = 0;
	FILE *f;

	load_manifests();
	guest(&g, "5.1", "Service Pack 3", "i386", "WinNT");
	ASSERT_OK(pcache_report_build(
	        &(struct pcache_report_input){.guest = &g,
	                                      .manifests = &manifests,
	                                      .cache = c,
	                                      .reader = &reader},
	        &r));
	ASSERT_EQ(r.n_missing, 0);
	ASSERT_EQ(r.n_items, 14);
	ASSERT_STREQ(r.manifests[0], "xp-sp3-x86");
	ASSERT_EQ(r.guest_kernel_version, PCACHE_VERSION(5, 1, 2600, 5512));
	/* atapi.sys is in the guest; HALs/kernels always from the cache. */
	ASSERT_EQ(item(&r, "atapi.sys")->status, PCACHE_STATUS_IN_GUEST);
	ASSERT_EQ(item(&r, "atapi.sys")->guest_version,
	          PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_EQ(item(&r, "hal.dll")->status, PCACHE_STATUS_IN_CACHE);
	ASSERT_EQ(item(&r, "halmacpi.dll")->status, PCACHE_STATUS_IN_CACHE);
	ASSERT_EQ(item(&r, "halmacpi.dll")->cache_version,
	          PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_TRUE(strstr(item(&r, "halmacpi.dll")->cache_path, "/objects/") !=
	            NULL);

	ASSERT_OK(pcache_report_to_json(&r, &json));
	ASSERT_TRUE(strstr(json, "\"ok\": true") != NULL);
	ASSERT_TRUE(strstr(json, "\"status\": \"in-guest\"") != NULL);
	ASSERT_TRUE(strstr(json, "\"missing\": 0") != NULL);

	f = open_memstream(&text, &tlen);
	ASSERT_NOT_NULL(f);
	ASSERT_OK(pcache_report_write_text(&r, f));
	ASSERT_EQ(fclose(f), 0);
	ASSERT_TRUE(strstr(text, "0 required item(s) missing.") != NULL);
	ASSERT_TRUE(strstr(text, "Manifests: xp-sp3-x86") != NULL);
	pcache_report_done(&r);
	pcache_guest_done(&g);
}

TEST(xp_sp3_one_missing)
{
	_cleanup_(pcache_freep) struct pcache *c = pt_cache(
	        "nohal", "5.1.2600.5512",
	        "hal.dll halacpi.dll halaacpi.dll halapic.dll halmps.dll "
	        "ntoskrnl.exe ntkrnlpa.exe ntkrnlmp.exe ntkrpamp.exe atapi.sys "
	        "intelide.sys pciide.sys pciidex.sys");
	struct pcache_guest_reader reader = {pt_read_pe, (void *)xp_sp3_guest};
	struct pcache_report r = {0};
	const struct pcache_report_item *it;
	struct pcache_guest g;
	_cleanup_free_ char *json = NULL, *text = NULL;
	size_t tlen = 0;
	FILE *f;

	load_manifests();
	guest(&g, "5.1", "3", "i386", "client");
	ASSERT_OK(pcache_report_build(
	        &(struct pcache_report_input){.guest = &g,
	                                      .manifests = &manifests,
	                                      .cache = c,
	                                      .reader = &reader},
	        &r));
	ASSERT_EQ(r.n_missing, 1);
	it = item(&r, "halmacpi.dll");
	ASSERT_EQ(it->status, PCACHE_STATUS_MISSING);
	ASSERT_TRUE(strstr(it->detail, "halmacpi.dll") != NULL);
	ASSERT_STREQ(it->hints[0], "I386\\HALMACPI.DL_ on the install media");

	f = open_memstream(&text, &tlen);
	ASSERT_NOT_NULL(f);
	ASSERT_OK(pcache_report_write_text(&r, f));
	ASSERT_EQ(fclose(f), 0);
	ASSERT_TRUE(strstr(text, "MISSING: halmacpi.dll") != NULL);
	ASSERT_TRUE(strstr(text, "get it from: I386\\HALMACPI.DL_") != NULL);
	ASSERT_TRUE(strstr(text, "1 required item(s) missing.") != NULL);

	ASSERT_OK(pcache_report_to_json(&r, &json));
	ASSERT_TRUE(strstr(json, "\"status\": \"missing\"") != NULL);
	ASSERT_TRUE(strstr(json, "\"ok\": false") != NULL);
	pcache_report_done(&r);
	pcache_guest_done(&g);
}

TEST(sp2_guest_sp3_files)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("full2", "5.1.2600.5512", XP_SP3_FILES);
	static const struct pt_guest_file sp2_guest[] = {
	        {"system32\\ntoskrnl.exe", PCACHE_VERSION(5, 1, 2600, 2180)},
	        {NULL, 0},
	};
	struct pcache_guest_reader reader = {pt_read_pe, (void *)sp2_guest};
	struct pcache_report r = {0};
	const struct pcache_report_item *it;
	struct pcache_guest g;
	_cleanup_free_ char *json = NULL;

	load_manifests();
	guest(&g, "5.1", "Service Pack 2", "i386", "client");
	ASSERT_OK(pcache_report_build(
	        &(struct pcache_report_input){.guest = &g,
	                                      .manifests = &manifests,
	                                      .cache = c,
	                                      .reader = &reader},
	        &r));
	ASSERT_STREQ(r.manifests[0], "xp-sp2-x86");
	ASSERT_EQ(r.n_missing, 14);
	it = item(&r, "ntoskrnl.exe");
	ASSERT_EQ(it->status, PCACHE_STATUS_VERSION_MISMATCH);
	ASSERT_EQ(it->cache_version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_TRUE(strstr(it->detail, "later service pack") != NULL);
	ASSERT_TRUE(strstr(it->detail, "5.1.2600.2180") != NULL);
	ASSERT_OK(pcache_report_to_json(&r, &json));
	ASSERT_TRUE(strstr(json, "\"status\": \"version-mismatch\"") != NULL);
	pcache_report_done(&r);
	pcache_guest_done(&g);
}

TEST(rule_requirements_and_updates)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("w7", "6.1.7601.17514", "viostor.sys");
	_cleanup_free_ struct pcache_requirement *hal = NULL;
	_cleanup_strv_free_ char **installed = NULL;
	struct pcache_requirement req[2] = {
	        {.name = "viostor.sys",
	         .role = PCACHE_ROLE_STORAGE_PORT,
	         .origin = "kvm-virtio/viostor"},
	        {.name = "storport.sys",
	         .role = PCACHE_ROLE_STORAGE_PORT,
	         .min_version = PCACHE_VERSION(6, 1, 7601, 24000),
	         .origin = "kvm-virtio/storport",
	         .hint = "KB1234567 (test)"},
	};
	struct pcache_report r = {0};
	struct pcache_guest g;
	size_t n;

	load_manifests();
	ASSERT_OK(util_strv_push(&installed, "KB4490628"));
	guest(&g, "6.1", "Service Pack 1", "x86_64", "ServerNT");
	g.arch = PCACHE_ARCH_I386; /* the fixture cache is i386 */
	ASSERT_OK(pcache_report_build(
	        &(struct pcache_report_input){.guest = &g,
	                                      .manifests = &manifests,
	                                      .cache = c,
	                                      .extra = req,
	                                      .n_extra = 2,
	                                      .installed_updates = installed},
	        &r));
	ASSERT_EQ(item(&r, "viostor.sys")->status, PCACHE_STATUS_IN_CACHE);
	ASSERT_STREQ(item(&r, "viostor.sys")->origin, "kvm-virtio/viostor");
	ASSERT_EQ(item(&r, "storport.sys")->status, PCACHE_STATUS_MISSING);
	ASSERT_STREQ(item(&r, "storport.sys")->hints[0], "KB1234567 (test)");
	ASSERT_EQ(r.n_updates, 2);
	ASSERT_STREQ(r.updates[0].kb, "KB4490628");
	ASSERT_TRUE(r.updates[0].installed);
	ASSERT_STREQ(r.updates[1].kb, "KB4474419");
	ASSERT_TRUE(!r.updates[1].installed);
	/* storport.sys + KB4474419 */
	ASSERT_EQ(r.n_missing, 2);
	pcache_report_done(&r);
	pcache_guest_done(&g);

	/* swap-hal requirements: the HAL and the kernels for its CPU count. */
	ASSERT_OK(pcache_requirements_for_hal("acpiapic_mp", "r1", &hal, &n));
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(hal[0].name, "halmacpi.dll");
	ASSERT_STREQ(hal[1].name, "ntkrnlmp.exe");
	ASSERT_STREQ(hal[2].name, "ntkrpamp.exe");
	ASSERT_ERR(pcache_requirements_for_hal("bogus", NULL, &hal, &n),
	           -EINVAL);
}
