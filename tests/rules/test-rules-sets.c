/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shipped rule sets (every XML file of rules/sets): each one loads and
 * passes every schema and semantic check, by name and by path, and produces the
 * actions WINDOWS.md and LINUX.md ask for on typical guests.
 */
#include <dirent.h>

#include "rules-test.h"

static char *
sets_dir(void)
{
	char *d = util_path_join(tests_srcdir(), "rules/sets");

	ASSERT_NOT_NULL(d);
	return d;
}

static struct rules *
shipped(void)
{
	_cleanup_free_ char *d = sets_dir();
	char *dirs[] = {d, NULL};
	struct rules *r = rules_new(dirs);

	ASSERT_NOT_NULL(r);
	return r;
}

/* Names of every shipped set, sorted. */
static char **
all_set_names(void)
{
	_cleanup_free_ char *d = sets_dir();
	char **names = NULL;
	DIR *dir = opendir(d);
	struct dirent *de;

	if (!dir)
		TEST_FAIL("cannot open %s", d);
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);

		if (n > 4 && streq(de->d_name + n - 4, ".xml"))
			ASSERT_OK(util_strv_consume(
			        &names, util_strndup0(de->d_name, n - 4)));
	}
	closedir(dir);
	ASSERT_NOT_NULL(names);
	qsort(names, util_strv_length(names), sizeof(char *),
	      (int (*)(const void *, const void *))strcmp);
	return names;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(every_shipped_set_validates)
{
	_cleanup_strv_free_ char **names = all_set_names();
	static const char *const expected[] = {
	        "common",       "generic-ide",          "hyperv",
	        "kvm-virtio",   "kvm-virtio-extras",    "kvm-virtio-scsi",
	        "linux-virtio", "remove-foreign-tools", "vmware",
	};

	qsort(names, util_strv_length(names), sizeof(char *), cmpstr);
	for (size_t i = 0; i < ELEMENTSOF(expected); i++)
		if (!util_strv_contains(names, expected[i]))
			TEST_FAIL("shipped set %s missing", expected[i]);
	STRV_FOREACH (n, names) {
		_cleanup_(rules_freep) struct rules *r = shipped();
		_cleanup_(rules_freep) struct rules *r2 = shipped();
		_cleanup_free_ char *d = sets_dir(), *p = NULL;

		if (rules_load(r, *n) < 0) {
			rt_dump_diags(r);
			TEST_FAIL("shipped set %s does not validate", *n);
		}
		ASSERT_STREQ(rules_set_name(r, rules_n_sets(r) - 1), *n);
		ASSERT_NOT_NULL(rules_set_description(r, rules_n_sets(r) - 1));
		ASSERT_OK(util_asprintf(&p, "%s/%s.xml", d, *n));
		ASSERT_OK(rules_load(r2, p));
		ASSERT_EQ(rules_n_sets(r2), rules_n_sets(r));
	}
}

TEST(all_sets_together)
{
	_cleanup_strv_free_ char **names = all_set_names();
	_cleanup_(rules_freep) struct rules *r = shipped();
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f = rt_facts(
	        (const char *const[]){"os.family=windows", "os.version=10.0",
	                              "os.build=19041", "os.arch=x86_64",
	                              "windows.driver_database=true",
	                              "windows.boot_driver=storahci",
	                              "service.storahci.start=0", NULL});

	STRV_FOREACH (n, names)
		ASSERT_OK(rules_load(r, *n));
	ASSERT_EQ(rules_n_sets(r), util_strv_length(names));
	/* a physical Windows 10: no foreign tools, no conflicts */
	ASSERT_OK(rules_eval(r, f, &res));
	ASSERT_TRUE(rules_result_size(res) > 10);
}

/* Finds the first action of kind (and rule id, when given). */
static const struct rules_action *
find(const struct rules_result *res, enum rules_action_kind kind,
     const char *rule_id)
{
	for (size_t i = 0; i < rules_result_size(res); i++) {
		const struct rules_action *a = rules_result_get(res, i);

		if (a->kind == kind && (!rule_id || streq(a->rule_id, rule_id)))
			return a;
	}
	return NULL;
}

static size_t
count(const struct rules_result *res, enum rules_action_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < rules_result_size(res); i++)
		n += rules_result_get(res, i)->kind == kind;
	return n;
}

/* Evaluates shipped sets; *keep receives the rules the result borrows
 * from (free it after the result). */
static struct rules_result *
eval_sets(struct rules **keep, const char *const *sets, const char *const *kv)
{
	struct rules *r = shipped();
	_cleanup_(util_strmap_freep) struct util_strmap *f = rt_facts(kv);
	struct rules_result *res = NULL;

	for (; *sets; sets++)
		ASSERT_OK(rules_load(r, *sets));
	if (rules_eval(r, f, &res) < 0) {
		rt_dump_diags(r);
		TEST_FAIL("eval failed");
	}
	*keep = r;
	return res;
}

#define SETS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define FACTS(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(kvm_virtio_windows10)
{
	_cleanup_(rules_freep) struct rules *k1 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = eval_sets(
	        &k1, SETS("kvm-virtio"),
	        FACTS("os.family=windows", "os.version=10.0", "os.build=19041",
	              "windows.driver_database=true"));
	const struct rules_action *a;

	/* common first (included twice, loaded once), then the extras */
	a = rules_result_get(res, 0);
	ASSERT_STREQ(a->set_name, "common");
	ASSERT_STREQ(a->rule_id, "crash-no-autoreboot");
	ASSERT_EQ(a->kind, RULES_ACTION_REGISTRY);
	ASSERT_STREQ(rules_action_get(a, "value"), "AutoReboot");
	ASSERT_STREQ(rules_action_get(a, "data"), "0");
	a = find(res, RULES_ACTION_INJECT_DRIVER, "viostor");
	ASSERT_NOT_NULL(a);
	ASSERT_STREQ(a->set_name, "kvm-virtio");
	ASSERT_STREQ(rules_action_get(a, "boot-critical"), "true");
	ASSERT_STREQ(rules_action_get(a, "service"), "viostor");
	ASSERT_TRUE(strstr(rules_action_get(a, "hwid"),
	                   "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01") !=
	            NULL);
	ASSERT_NOT_NULL(find(res, RULES_ACTION_INJECT_DRIVER, "netkvm"));
	ASSERT_NOT_NULL(
	        find(res, RULES_ACTION_STAGE_DRIVER_PACKAGE, "stage-viostor"));
	ASSERT_NULL(find(res, RULES_ACTION_INJECT_DRIVER, "vioscsi"));
	/* no warnings for a modern guest with a known boot driver... except
	 * that one */
	a = find(res, RULES_ACTION_WARN, NULL);
	ASSERT_NOT_NULL(a);
	ASSERT_STREQ(a->rule_id, "warn-no-boot-driver");
	ASSERT_EQ(count(res, RULES_ACTION_WARN), 1);
}

TEST(kvm_virtio_scsi_and_old_windows)
{
	_cleanup_(rules_freep) struct rules *k2 = NULL;
	_cleanup_(rules_freep) struct rules *k3 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *scsi =
	        eval_sets(&k2, SETS("kvm-virtio-scsi"),
	                  FACTS("os.family=windows", "os.version=6.1",
	                        "windows.boot_driver=LSI_SAS"));
	_cleanup_(rules_result_freep) struct rules_result *xp =
	        eval_sets(&k3, SETS("kvm-virtio"),
	                  FACTS("os.family=windows", "os.version=5.1",
	                        "windows.boot_driver=intelide"));
	const struct rules_action *a;

	a = find(scsi, RULES_ACTION_INJECT_DRIVER, "vioscsi");
	ASSERT_NOT_NULL(a);
	ASSERT_STREQ(rules_action_get(a, "boot-critical"), "true");
	ASSERT_NULL(find(scsi, RULES_ACTION_INJECT_DRIVER, "viostor"));
	ASSERT_NULL(find(scsi, RULES_ACTION_STAGE_DRIVER_PACKAGE, NULL));
	ASSERT_NOT_NULL(find(scsi, RULES_ACTION_WARN, "warn-sha2-nt61"));
	ASSERT_NOT_NULL(find(xp, RULES_ACTION_WARN, "warn-nt5"));
	ASSERT_NULL(find(xp, RULES_ACTION_WARN, "warn-sha2-nt61"));
}

TEST(generic_ide_nt5_only)
{
	_cleanup_(rules_freep) struct rules *k4 = NULL;
	_cleanup_(rules_freep) struct rules *k5 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *xp =
	        eval_sets(&k4, SETS("generic-ide"),
	                  FACTS("os.family=windows", "os.version=5.1",
	                        "windows.boot_driver=iaStor"));
	_cleanup_(rules_result_freep) struct rules_result *w7 =
	        eval_sets(&k5, SETS("generic-ide"),
	                  FACTS("os.family=windows", "os.version=6.1",
	                        "windows.boot_driver=iaStorV"));
	bool piix3 = false, gendisk = false;

	/* 13 CDDB keys x 2 values + 3 services x 4 values */
	ASSERT_EQ(count(xp, RULES_ACTION_REGISTRY), 1 + 26 + 12);
	ASSERT_EQ(count(xp, RULES_ACTION_SET_SERVICE_START), 3);
	ASSERT_EQ(count(xp, RULES_ACTION_REQUIRE_FILE), 4);
	ASSERT_NOT_NULL(find(xp, RULES_ACTION_BOOT_INI, NULL));
	ASSERT_NOT_NULL(find(xp, RULES_ACTION_NTFS_GEOMETRY, NULL));
	for (size_t i = 0; i < rules_result_size(xp); i++) {
		const struct rules_action *a = rules_result_get(xp, i);
		const char *key = rules_action_get(a, "key");

		if (a->kind != RULES_ACTION_REGISTRY)
			continue;
		if (streq(key,
		          "CurrentControlSet\\Control\\"
		          "CriticalDeviceDatabase\\pci#ven_8086&dev_7010") &&
		    streq(rules_action_get(a, "value"), "Service"))
			piix3 = streq(rules_action_get(a, "data"), "intelide");
		if (streq(key, "CurrentControlSet\\Control\\"
		               "CriticalDeviceDatabase\\gendisk") &&
		    streq(rules_action_get(a, "value"), "ClassGUID"))
			gendisk =
			        streq(rules_action_get(a, "data"),
			              "{4D36E967-E325-11CE-BFC1-08002BE10318}");
	}
	ASSERT_TRUE(piix3);
	ASSERT_TRUE(gendisk);
	/* NT 6: only AutoReboot and the warning */
	ASSERT_EQ(rules_result_size(w7), 2);
	ASSERT_NOT_NULL(find(w7, RULES_ACTION_WARN, "warn-not-nt5"));
}

TEST(remove_foreign_tools)
{
	_cleanup_(rules_freep) struct rules *k6 = NULL;
	_cleanup_(rules_freep) struct rules *k7 = NULL;
	_cleanup_(rules_freep) struct rules *k8 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *vbox =
	        eval_sets(&k6, SETS("remove-foreign-tools"),
	                  FACTS("os.family=windows", "os.version=10.0",
	                        "service.VBoxGuest.start=0",
	                        "service.vboxmouse.start=1"));
	_cleanup_(rules_result_freep) struct rules_result *clean =
	        eval_sets(&k7, SETS("remove-foreign-tools"),
	                  FACTS("os.family=windows", "os.version=10.0",
	                        "service.storahci.start=0"));
	_cleanup_(rules_result_freep) struct rules_result *xen =
	        eval_sets(&k8, SETS("remove-foreign-tools"),
	                  FACTS("os.family=windows", "os.version=6.1",
	                        "service.xenfilt.start=0"));
	const struct rules_action *a;

	ASSERT_EQ(count(vbox, RULES_ACTION_DISABLE_SERVICE), 6);
	a = find(vbox, RULES_ACTION_DISABLE_SERVICE, "virtualbox");
	ASSERT_STREQ(rules_action_get(a, "name"), "VBoxGuest");
	ASSERT_STREQ(rules_action_get(a, "filters"), "true");
	ASSERT_EQ(rules_result_size(clean), 0);
	ASSERT_EQ(count(xen, RULES_ACTION_DISABLE_SERVICE), 7);
	ASSERT_NOT_NULL(find(xen, RULES_ACTION_WARN, "xen"));
}

TEST(vmware_and_remove_foreign_tools_conflict)
{
	_cleanup_(rules_freep) struct rules *r = shipped();
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f =
	        rt_facts(FACTS("os.family=windows", "os.version=10.0",
	                       "service.pvscsi.start=0"));

	ASSERT_OK(rules_load(r, "vmware"));
	ASSERT_OK(rules_load(r, "remove-foreign-tools"));
	ASSERT_ERR(rules_eval(r, f, &res), -EINVAL);
	ASSERT_DIAG(r, "service 'pvscsi' is disabled and also installed by "
	               "inject-driver");
}

TEST(hyperv)
{
	_cleanup_(rules_freep) struct rules *k9 = NULL;
	_cleanup_(rules_freep) struct rules *k10 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *w12 =
	        eval_sets(&k9, SETS("hyperv"),
	                  FACTS("os.family=windows", "os.version=6.3",
	                        "windows.boot_driver=storahci"));
	_cleanup_(rules_result_freep) struct rules_result *xp =
	        eval_sets(&k10, SETS("hyperv"),
	                  FACTS("os.family=windows", "os.version=5.2",
	                        "windows.boot_driver=atapi"));

	ASSERT_EQ(count(w12, RULES_ACTION_SET_SERVICE_START), 5);
	ASSERT_EQ(count(w12, RULES_ACTION_REMOVE_START_OVERRIDE), 5);
	ASSERT_NULL(find(w12, RULES_ACTION_REQUIRE_FILE, NULL));
	/* NT 5: the MergeIDE set through the include */
	ASSERT_NOT_NULL(find(xp, RULES_ACTION_REQUIRE_FILE, "ide-files"));
	ASSERT_NOT_NULL(find(xp, RULES_ACTION_WARN, "warn-nt5"));
	ASSERT_NULL(find(xp, RULES_ACTION_REMOVE_START_OVERRIDE, NULL));
}

TEST(linux_virtio)
{
	_cleanup_(rules_freep) struct rules *k11 = NULL;
	_cleanup_(rules_freep) struct rules *k12 = NULL;
	_cleanup_(rules_result_freep) struct rules_result *lin = eval_sets(
	        &k11, SETS("linux-virtio"),
	        FACTS("os.family=linux", "os.distro=rhel", "os.version=7.9",
	              "linux.initramfs_tool=dracut"));
	_cleanup_(rules_result_freep) struct rules_result *win =
	        eval_sets(&k12, SETS("linux-virtio"),
	                  FACTS("os.family=windows", "os.version=10.0",
	                        "windows.boot_driver=storahci"));
	const struct rules_action *a;

	a = find(lin, RULES_ACTION_REMAP_DISKS, NULL);
	ASSERT_NOT_NULL(a);
	ASSERT_STREQ(rules_action_get(a, "to"), "vd");
	a = find(lin, RULES_ACTION_INITRAMFS_MODULES, NULL);
	ASSERT_TRUE(strstr(rules_action_get(a, "modules"), "virtio_blk") !=
	            NULL);
	ASSERT_NOT_NULL(find(lin, RULES_ACTION_FSTAB_TO_UUID, NULL));
	ASSERT_NOT_NULL(find(lin, RULES_ACTION_REMOVE_PERSISTENT_NET, NULL));
	ASSERT_EQ(count(lin, RULES_ACTION_DISABLE_UNIT), 7);
	ASSERT_NOT_NULL(find(lin, RULES_ACTION_XORG_DRIVER, NULL));
	ASSERT_EQ(count(lin, RULES_ACTION_WARN), 0);
	ASSERT_EQ(count(lin, RULES_ACTION_REGISTRY), 0);
	/* on Windows only common's rules apply */
	ASSERT_EQ(rules_result_size(win), 1);
	ASSERT_EQ(rules_result_get(win, 0)->kind, RULES_ACTION_REGISTRY);
}
