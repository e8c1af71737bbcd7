/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of driver stores (drivers/store.c) and selection (drivers/select.c):
 * a virtio-win-shaped store built from virt-v2v's file list scans, and for
 * every Windows version directory of every layout the package of that
 * directory is selected; ranking (hardware vs compatible ID, decoration,
 * DriverVer), the older-OS fallback, packages missing files, ISO images.
 */
#include <spawn.h>
#include <sys/wait.h>

#include "drivers.h"
#include "store-builder.h"
#include "tests.h"

extern char **environ;

static char *store_dir;
static int store_files;

static const char *
virtio_store(void)
{
	_cleanup_free_ char *list = NULL, *corpus = NULL;

	if (store_dir)
		return store_dir;
	list = tests_corpus(
	        "phony-guests/virt-v2v/virtio-win-drivers-list.txt");
	corpus = tests_corpus("");
	store_dir = util_path_join(tests_tmpdir(), "virtio-win");
	ASSERT_NOT_NULL(store_dir);
	store_files = sb_build(list, corpus, store_dir);
	ASSERT_OK(store_files);
	return store_dir;
}

static struct drivers_store *
scan(const char *const *dirs)
{
	struct drivers_store *s = NULL;

	ASSERT_OK(drivers_store_new(&s));
	for (; *dirs; dirs++) {
		_cleanup_free_ char *err = NULL;

		if (drivers_store_add(s, *dirs, &err) < 0)
			TEST_FAIL("scan %s: %s", *dirs, err);
	}
	return s;
}

static const struct drivers_package *
find_pkg(const struct drivers_store *s, const char *rel)
{
	for (size_t i = 0; i < drivers_store_n_packages(s); i++)
		if (streq(drivers_store_package(s, i)->inf_rel, rel))
			return drivers_store_package(s, i);
	TEST_FAIL("no package %s", rel);
}

TEST(scan_catalog)
{
	const char *dirs[] = {virtio_store(), NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *s = scan(dirs);
	const struct drivers_package *p;
	size_t broken = 0, good = 0;

	ASSERT_TRUE(store_files > 1900);
	for (size_t i = 0; i < drivers_store_n_packages(s); i++) {
		p = drivers_store_package(s, i);
		if (p->error) {
			broken++;
			/* the empty INFs of the other drivers */
			ASSERT_NOT_NULL(strstr(p->error, "not an INF"));
		} else
			good++;
	}
	fprintf(stderr, "%d files, %zu packages usable, %zu broken\n",
	        store_files, good, broken);
	ASSERT_EQ(good, 144);

	p = find_pkg(s, "drivers/by-driver/viostor/2k19/amd64/viostor.inf");
	ASSERT_STREQ(p->class_name, "SCSIAdapter");
	ASSERT_STREQ(p->class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
	ASSERT_STREQ(p->provider, "Red Hat, Inc.");
	ASSERT_STREQ(p->driver_date, "06/01/2024");
	ASSERT_STREQ(p->driver_version, "100.95.104.26200");
	ASSERT_STREQ(p->catalog_file, "viostor.cat");
	ASSERT_TRUE(p->catalog_present);
	ASSERT_STREQ(p->archs[0], "amd64");
	ASSERT_NULL(p->archs[1]);
	ASSERT_STREQ(p->os_targets[0], "NTamd64.10.0.3..17763");
	ASSERT_EQ(p->n_devices, 2);
	ASSERT_STREQ(p->devices[1].ids[0],
	             "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01");
	ASSERT_STREQ(p->services[0], "viostor");
	ASSERT_STREQ(p->files_present[0], "viostor.sys");
	ASSERT_NULL(p->files_missing);
	ASSERT_NULL(p->warnings);

	p = find_pkg(s, "drivers/i386/Win8.1/vioscsi.inf");
	ASSERT_STREQ(p->archs[0], "x86");
	ASSERT_STREQ(p->os_targets[0], "NTx86.6.3.1");
}

/* Every OS directory of a layout holding drv_inf gets its own package. */
static size_t
check_layout(const char *const *roots, const char *drv_inf,
             char *const *device_ids)
{
	_cleanup_(drivers_store_freep) struct drivers_store *s = scan(roots);
	size_t checked = 0;

	for (size_t i = 0; i < drivers_store_n_packages(s); i++) {
		const struct drivers_package *p = drivers_store_package(s, i);
		const char *base = strrchr(p->inf_rel, '/');
		struct drivers_selection sel = {0};
		const struct sb_os *os;
		const char *arch;
		int r;

		if (!base || !strcaseeq(base + 1, drv_inf))
			continue;
		ASSERT_TRUE(sb_classify(p->inf_path, &os, &arch));
		struct drivers_query q = {
		        .target = {os->major, os->minor, os->build, arch,
		                   os->server},
		        .device_ids = device_ids,
		};
		r = drivers_select(s, &q, &sel);
		if (r < 0)
			TEST_FAIL("%s: nothing selected for %s/%s (%s)",
			          p->inf_rel, os->dir[0], arch,
			          sel.rejected ? sel.rejected[0] : "-");
		const struct sb_os *sos;
		const char *sarch;

		/* The ISO layout holds some OS dirs twice (cd/amd64/2k16
		 * and cd/viostor/2k16/amd64): either is right. */
		ASSERT_TRUE(sb_classify(sel.package->inf_path, &sos, &sarch));
		if (sel.package != p && (sos != os || !streq(sarch, arch)))
			TEST_FAIL("%s/%s: selected %s, expected %s", os->dir[0],
			          arch, sel.package->inf_rel, p->inf_rel);
		ASSERT_TRUE(!sel.fallback);
		ASSERT_STREQ(sel.install.arch, arch);
		ASSERT_STREQ(sel.install.inf_name, drv_inf);
		ASSERT_STREQ(sel.install.package_dir, sel.package->package_dir);
		for (size_t f = 0; f < sel.install.n_files; f++)
			ASSERT_NOT_NULL(sel.install.files[f].host_path);
		ASSERT_STREQ(sel.install.package_files[0], drv_inf);
		drivers_selection_done(&sel);
		checked++;
	}
	return checked;
}

TEST(select_every_os_dir)
{
	const char *root = virtio_store();
	_cleanup_free_ char *amd = util_path_join(root, "drivers/amd64"),
	                    *i386 = util_path_join(root, "drivers/i386"),
	                    *byos = util_path_join(root, "drivers/by-os"),
	                    *bydrv = util_path_join(root, "drivers/by-driver");
	const char *long_layout[] = {amd, i386, NULL};
	const char *byos_layout[] = {byos, NULL};
	const char *bydrv_layout[] = {bydrv, NULL};
	const char *const *layouts[] = {long_layout, byos_layout, bydrv_layout};
	char *viostor_ids[] = {"PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
	                       "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4",
	                       "PCI\\VEN_1AF4&DEV_1001&REV_00",
	                       "PCI\\VEN_1AF4&DEV_1001", NULL};
	char *vioscsi_ids[] = {"PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01",
	                       "PCI\\VEN_1AF4&DEV_1048&REV_01", NULL};
	char *netkvmp_ids[] = {"VIOPROT", NULL};
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(layouts); i++) {
		n += check_layout(layouts[i], "viostor.inf", viostor_ids);
		n += check_layout(layouts[i], "vioscsi.inf", vioscsi_ids);
		n += check_layout(layouts[i], "netkvm.inf", netkvmp_ids);
	}
	fprintf(stderr, "%zu (OS dir, driver) pairs selected right\n", n);
	ASSERT_EQ(n, 144);
}

TEST(select_every_os_dir_iso_layout)
{
	_cleanup_free_ char
	        *list = tests_corpus(
	                "phony-guests/virt-v2v/virtio-win-iso-list.txt"),
	        *corpus = tests_corpus(""),
	        *dir = util_path_join(tests_tmpdir(), "iso-layout"), *cd = NULL;
	char *viostor_ids[] = {"PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
	                       "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4",
	                       "PCI\\VEN_1AF4&DEV_1042&REV_01",
	                       "PCI\\VEN_1AF4&DEV_1042", NULL};
	char *vioscsi_ids[] = {"PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
	                       "PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4",
	                       "PCI\\VEN_1AF4&DEV_1004&REV_00",
	                       "PCI\\VEN_1AF4&DEV_1004", NULL};
	size_t n = 0;

	ASSERT_TRUE(sb_build(list, corpus, dir) > 1000);
	cd = util_path_join(dir, "cd");
	const char *layout[] = {cd, NULL};
	n += check_layout(layout, "viostor.inf", viostor_ids);
	n += check_layout(layout, "vioscsi.inf", vioscsi_ids);
	fprintf(stderr, "%zu (OS dir, driver) pairs selected right\n", n);
	ASSERT_EQ(n, 46);
}

TEST(select_install_filled)
{
	_cleanup_free_ char *root =
	        util_path_join(virtio_store(), "drivers/by-os");
	const char *dirs[] = {root, NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *s = scan(dirs);
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	struct drivers_query q = {
	        .target = {6, 1, 7601, "amd64", false},
	        .name = "viostor",
	};
	_cleanup_free_ char *sys = NULL;

	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_NOT_NULL(strstr(sel.install.inf_path, "by-os/amd64/w7/"));
	ASSERT_STREQ(sel.decoration, "NTamd64.6.1.1");
	ASSERT_STREQ(sel.install.hardware_ids[0],
	             "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00");
	ASSERT_STREQ(sel.install.hardware_ids[1], "PCI\\VEN_1AF4&DEV_1001");
	/* the other line installed by the same DDInstall */
	ASSERT_STREQ(sel.install.hardware_ids[2],
	             "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01");
	ASSERT_STREQ(sel.install.hardware_ids[3], "PCI\\VEN_1AF4&DEV_1042");
	ASSERT_NULL(sel.install.hardware_ids[4]);
	ASSERT_STREQ(sel.install.services[0].name, "viostor");
	ASSERT_EQ(sel.install.services[0].start, 0);
	ASSERT_STREQ(sel.install.driver_version, "100.95.104.26200");
	sys = util_path_join(sel.install.package_dir, "viostor.sys");
	ASSERT_STREQ(sel.install.files[0].host_path, sys);
	ASSERT_STREQ(sel.install.package_files[0], "viostor.inf");
	ASSERT_STREQ(sel.install.package_files[1], "viostor.cat");
	ASSERT_STREQ(sel.install.package_files[2], "viostor.sys");
	ASSERT_NULL(sel.install.package_files[3]);

	/* by class: the SCSI adapter with the best decoration */
	drivers_selection_done(&sel);
	q.name = NULL;
	q.class_name = "{4d36e97b-e325-11ce-bfc1-08002be10318}";
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.install.class_name, "SCSIAdapter");
	ASSERT_NOT_NULL(strstr(sel.install.inf_path, "/w7/"));
}

TEST(select_fallback)
{
	const char *root = virtio_store();
	_cleanup_free_ char *a = util_path_join(
	                            root, "drivers/by-driver/viostor/2k12"),
	                    *b = util_path_join(
	                            root, "drivers/by-driver/viostor/2k8R2");
	const char *dirs[] = {a, b, NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *s = scan(dirs);
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	struct drivers_query q = {
	        .target = {6, 3, 9600, "amd64", true}, /* 2012 R2 */
	        .name = "viostor.inf",
	};

	ASSERT_ERR(drivers_select(s, &q, &sel), -ENOENT);
	ASSERT_NOT_NULL(sel.rejected);
	ASSERT_NOT_NULL(strstr(sel.rejected[0], "targets an older OS"));
	drivers_selection_done(&sel);
	q.allow_fallback = true;
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_TRUE(sel.fallback);
	ASSERT_NOT_NULL(strstr(sel.install.inf_path, "/2k12/"));
	/* a client OS never gets a server package, fallback or not */
	drivers_selection_done(&sel);
	q.target.server = false;
	ASSERT_ERR(drivers_select(s, &q, &sel), -ENOENT);
	/* nor an x86 guest an amd64 one */
	drivers_selection_done(&sel);
	q.target = (struct drivers_target){6, 2, 9200, "x86", true};
	ASSERT_ERR(drivers_select(s, &q, &sel), -ENOENT);
}

static void
put(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = util_path_join(dir, name);

	ASSERT_OK(sb_write(p, text));
}

#define SMALL_INF(drv, date_ver, models)                                    \
	"[Version]\nSignature=\"$Windows NT$\"\nClass=SCSIAdapter\n"        \
	"ClassGuid={4D36E97B-E325-11CE-BFC1-08002BE10318}\nProvider=V\n"    \
	"DriverVer=" date_ver "\n[Manufacturer]\nV=M,NTamd64\n"             \
	"[M.NTamd64]\n" models "\n[SourceDisksNames]\n1=d\n"                \
	"[SourceDisksFiles]\n" drv ".sys=1\n[DestinationDirs]\n"            \
	"DefaultDestDir=12\n[inst]\nCopyFiles=@" drv ".sys\n"               \
	"[inst.Services]\nAddService=" drv ",2,svc\n[svc]\nServiceType=1\n" \
	"StartType=0\nErrorControl=1\nServiceBinary=%12%\\" drv ".sys\n"

TEST(select_ranking_and_missing)
{
	_cleanup_free_ char *root = util_path_join(tests_tmpdir(), "rank"),
	                    *d1 = util_path_join(root, "old"),
	                    *d2 = util_path_join(root, "new"),
	                    *d3 = util_path_join(root, "compat"),
	                    *d4 = util_path_join(root, "missing");
	const char *dirs[] = {root, NULL};
	char *ids[] = {"PCI\\VEN_1000&DEV_0030&SUBSYS_12345678",
	               "PCI\\VEN_1000&DEV_0030", NULL};
	struct drivers_store *s;
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	struct drivers_query q = {
	        .target = {10, 0, 19045, "amd64", true},
	        .device_ids = ids,
	};

	put(d1, "a.inf",
	    SMALL_INF("a", "01/01/2020,1.0.0.0",
	              "d=inst,PCI\\VEN_1000&DEV_0030"));
	put(d1, "a.sys", "");
	put(d2, "a.inf",
	    SMALL_INF("a", "06/01/2023,1.2.0.0",
	              "d=inst,PCI\\VEN_1000&DEV_0030"));
	put(d2, "A.SYS", ""); /* case-insensitive lookup */
	/* a newer one that only lists the ID as a compatible ID */
	put(d3, "c.inf",
	    SMALL_INF("c", "01/01/2025,9.0.0.0",
	              "d=inst,PCI\\VEN_FFFF&DEV_0001,"
	              "PCI\\VEN_1000&DEV_0030&SUBSYS_12345678"));
	put(d3, "c.sys", "");
	/* the newest, most specific one lacks its .sys */
	put(d4, "m.inf",
	    SMALL_INF("m", "01/01/2026,9.9.0.0",
	              "d=inst,PCI\\VEN_1000&DEV_0030&SUBSYS_12345678"));
	s = scan(dirs);
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "new/a.inf");
	ASSERT_TRUE(!sel.compatible_match);
	ASSERT_STREQ(sel.install.driver_date, "06/01/2023");
	ASSERT_NOT_NULL(sel.rejected);
	ASSERT_NOT_NULL(strstr(sel.rejected[0],
	                       "m.inf: missing files the INF needs: m.sys"));
	ASSERT_NULL(sel.rejected[1]);
	ASSERT_NOT_NULL(strstr(sel.install.files[0].host_path, "new/A.SYS"));
	drivers_selection_done(&sel);

	/* only the compatible-ID package matches this device */
	ids[1] = NULL;
	put(d1, "a.inf", "");
	put(d2, "a.inf", "");
	drivers_store_free(s);
	s = scan(dirs);
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "compat/c.inf");
	ASSERT_TRUE(sel.compatible_match);
	drivers_store_free(s);
}

/* Issue 18: a virtio-win-shaped store whose OS folders hold equally
 * ranked INFs (same undecorated NTamd64 models, the 2k19 one newer): the
 * folder names the guest's Windows and breaks the tie before DriverVer. */
TEST(select_folder_breaks_tie)
{
	_cleanup_free_ char *root = util_path_join(tests_tmpdir(), "folders");
	static const char *const oses[] = {"w7", "2k19", "w10", "2k8R2"};
#define VIOSTOR_INF(date_ver) \
	SMALL_INF("viostor", date_ver, "d=inst,PCI\\VEN_1AF4&DEV_1001")
	static const char *const infs[] = {
	        VIOSTOR_INF("01/01/2020,100.0.0.0"),
	        VIOSTOR_INF("06/01/2024,100.9.0.0"),
	        VIOSTOR_INF("01/01/2021,100.1.0.0"),
	        VIOSTOR_INF("01/01/2019,99.0.0.0"),
	};
#undef VIOSTOR_INF
	const char *dirs[] = {root, NULL};
	struct drivers_store *s;
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	struct drivers_query q = {
	        .target = {6, 1, 7601, "amd64", false}, /* Windows 7 */
	        .name = "viostor.inf",
	};

	for (size_t i = 0; i < ELEMENTSOF(oses); i++) {
		_cleanup_free_ char *d = NULL;

		ASSERT_OK(util_asprintf(&d, "%s/viostor/%s/amd64", root,
		                        oses[i]));
		put(d, "viostor.inf", infs[i]);
		put(d, "viostor.sys", "");
	}
	s = scan(dirs);
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "viostor/w7/amd64/viostor.inf");
	drivers_selection_done(&sel);
	/* 2008 R2: same version, the server folder */
	q.target.server = true;
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "viostor/2k8R2/amd64/viostor.inf");
	drivers_selection_done(&sel);
	/* 2019 by its build; Windows 10 client */
	q.target = (struct drivers_target){10, 0, 17763, "amd64", true};
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "viostor/2k19/amd64/viostor.inf");
	drivers_selection_done(&sel);
	q.target = (struct drivers_target){10, 0, 19045, "amd64", false};
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "viostor/w10/amd64/viostor.inf");
	drivers_selection_done(&sel);
	/* Windows 8 has no folder here: the newest DriverVer, as before */
	q.target = (struct drivers_target){6, 2, 9200, "amd64", false};
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "viostor/2k19/amd64/viostor.inf");
	drivers_store_free(s);
}

static int
run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(iso_store)
{
	_cleanup_free_ char *src = util_path_join(virtio_store(),
	                                          "drivers/by-driver/vioscsi"),
	                    *iso = util_path_join(tests_tmpdir(), "v.iso");
	char *argv[] = {"bsdtar", "--format", "iso9660", "-cf", iso,
	                "-C",     src,        ".",       NULL};
	const char *dirs[] = {iso, NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	char *ids[] = {"PCI\\VEN_1AF4&DEV_1004&REV_00",
	               "PCI\\VEN_1AF4&DEV_1004", NULL};
	struct drivers_query q = {
	        .target = {10, 0, 20348, "amd64", true},
	        .device_ids = ids,
	};
	_cleanup_free_ char *bad = util_path_join(tests_tmpdir(), "bad.iso"),
	                    *err = NULL;
	struct drivers_store *s2 = NULL;

	if (run(argv) != 0) {
		/* bsdtar (libarchive-tools) missing: skip only this test */
		fprintf(stderr, "SKIP: bsdtar cannot write an ISO image\n");
		return;
	}
	s = scan(dirs);
	ASSERT_EQ(drivers_store_n_packages(s), 16);
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.package->inf_rel, "2k22/amd64/vioscsi.inf");
	ASSERT_STREQ(sel.package->store, iso);
	ASSERT_NOT_NULL(sel.install.files[0].host_path);
	ASSERT_TRUE(sel.package->catalog_present);

	ASSERT_OK(sb_write(bad, "this is not an image"));
	ASSERT_OK(drivers_store_new(&s2));
	ASSERT_ERR(drivers_store_add(s2, bad, &err), -EBADMSG);
	ASSERT_NOT_NULL(strstr(err, "bad.iso"));
	drivers_store_free(s2);
}

/* The seam: a selection is what drivers_inject() consumes. */
TEST(select_then_inject)
{
	_cleanup_free_ char *root =
	        util_path_join(virtio_store(), "drivers/by-os");
	const char *dirs[] = {root, NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *s = scan(dirs);
	static const struct {
		struct drivers_target t;
		bool db;
	} guests[] = {
	        {{6, 1, 7601, "amd64", false}, false},
	        {{6, 1, 7601, "x86", false}, false},
	        {{10, 0, 19045, "amd64", false}, true},
	        {{10, 0, 20348, "amd64", true}, true},
	};

	for (size_t i = 0; i < ELEMENTSOF(guests); i++) {
		_cleanup_(
		        drivers_selection_done) struct drivers_selection sel = {
		        0};
		struct drivers_injection inj = {0};
		struct drivers_query q = {.target = guests[i].t,
		                          .name = "viostor"};
		struct drivers_guest g = {
		        .target = guests[i].t,
		        .systemroot = "Windows",
		        .control_set = "ControlSet001",
		        .driver_database = guests[i].db,
		        .boot_critical = true,
		        .store_name = "virtio",
		};
		bool start = false;

		ASSERT_OK(drivers_select(s, &q, &sel));
		ASSERT_OK(drivers_inject(&sel.install, &g, &inj));
		for (size_t k = 0; k < inj.system.n; k++)
			if (inj.system.v[k].name &&
			    streq(inj.system.v[k].key,
			          "ControlSet001\\Services\\viostor") &&
			    streq(inj.system.v[k].name, "Start"))
				start = true;
		ASSERT_TRUE(start);
		ASSERT_TRUE(inj.n_copies >= 2);
		drivers_injection_done(&inj);
	}
}
