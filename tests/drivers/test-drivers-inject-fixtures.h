/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fixtures shared by test-drivers-inject.c and test-drivers-inject-golden.c
 * (include after tests.h): the drivers as staged from the corpus INFs, the
 * Windows generation profiles, and the golden comparison.
 */
#ifndef IMGFIX_TEST_DRIVERS_INJECT_FIXTURES_H
#define IMGFIX_TEST_DRIVERS_INJECT_FIXTURES_H

#include "drivers.h"
#include "hive.h"

#define SCSI_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

/* ---- fixtures: the drivers ---------------------------------------------- */

struct fx_reg {
	const char *subkey, *name; /* name NULL: key only / key delete */
	uint32_t dword;
	bool del, key_only, is_sz;
	const char *sz;
};

struct fx_driver {
	const char *name;   /* in golden file names */
	const char *store;  /* package folder, also in the guest */
	const char *corpus; /* the INF/INX in the corpus */
	const char *inf_name;
	const char *driver_ver; /* DriverVer written by our stamping */
	const char *date, *version;
	const char *provider, *catalog, *ddinstall, *description;
	const char *ids[8]; /* every models line of ddinstall: hw, compat */
	const char *service, *binary, *group;
	uint32_t add_flags;
	struct fx_reg svc_reg[4];
	const char *sys;
};

/* Values of the stamping virtio-win's build does (INX_* placeholders). */
_unused_ static const char *const virtio_stamp[] = {
        "_INX_SUBSYS_VENDOR_ID",
        "1AF4",
        "INX_PLATFORM_DRIVERS_DIR",
        "12",
        "INX_COMPANY",
        "Red Hat, Inc.",
        "INX_PREFIX_VENDOR",
        "Red Hat ",
        "INX_COPYRIGHT_1",
        "Copyright (c) Red Hat, Inc.",
        "INX_COPYRIGHT_2",
        "All rights reserved.",
        NULL};

_unused_ static const struct fx_driver fx_viostor = {
        .name = "viostor",
        .store = "viostor",
        .corpus = "inf/virtio-win/viostor/viostor.inx",
        .inf_name = "viostor.inf",
        .driver_ver = "08/06/2024,100.95.104.26200",
        .date = "08/06/2024",
        .version = "100.95.104.26200",
        .provider = "Red Hat, Inc.",
        .catalog = "viostor.cat",
        .ddinstall = "scsi_inst",
        .description = "Red Hat VirtIO SCSI controller",
        .ids = {"PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
                "PCI\\VEN_1AF4&DEV_1001",
                "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
                "PCI\\VEN_1AF4&DEV_1042"},
        .service = "viostor",
        .binary = "%12%\\viostor.sys",
        .group = "SCSI miniport",
        .add_flags = 0x2,
        .svc_reg = {{"Parameters\\PnpInterface", "5", 1},
                    {"Parameters", "BusType", 1},
                    {"Parameters", "DmaRemappingCompatible", 0}},
        .sys = "viostor.sys",
};

_unused_ static const struct fx_driver fx_vioscsi = {
        .name = "vioscsi",
        .store = "vioscsi",
        .corpus = "inf/virtio-win/vioscsi/vioscsi.inx",
        .inf_name = "vioscsi.inf",
        .driver_ver = "08/06/2024,100.95.104.26200",
        .date = "08/06/2024",
        .version = "100.95.104.26200",
        .provider = "Red Hat, Inc.",
        .catalog = "vioscsi.cat",
        .ddinstall = "scsi_inst",
        .description = "Red Hat VirtIO SCSI pass-through controller",
        .ids = {"PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
                "PCI\\VEN_1AF4&DEV_1004",
                "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01",
                "PCI\\VEN_1AF4&DEV_1048"},
        .service = "vioscsi",
        .binary = "%12%\\vioscsi.sys",
        .group = "SCSI miniport",
        .add_flags = 0x2,
        .svc_reg = {{"Parameters\\PnpInterface", "5", 1},
                    {"Parameters", "BusType", 10},
                    {"Parameters", "DmaRemappingCompatible", 0}},
        .sys = "vioscsi.sys",
};

/* Microsoft's LSI Ultra3 StorPort miniport sample: a vendor driver with
 * VEN&DEV-only IDs and a mixed-case DDInstall. */
_unused_ static const struct fx_driver fx_lsi = {
        .name = "vendor",
        .store = "lsi_u3",
        .corpus = "inf/windows-driver-samples/storage/miniports/lsi_u3/src/"
                  "lsi_u3.inf",
        .inf_name = "lsi_u3.inf",
        .date = "06/12/2008",
        .version = "5.09.10.04",
        .provider = "LSI",
        .catalog = "lsi_u3.cat",
        .ddinstall = "LSI_U3_Inst",
        .description = "LSI Ultra3 PCI SCSI Adapter; 53C1010-33 (StorPort)",
        .ids = {"PCI\\VEN_1000&DEV_0020", "PCI\\VEN_1000&DEV_0021"},
        .service = "LSI_U3",
        .binary = "%12%\\lsi_u3.sys",
        .group = "SCSI Miniport",
        .add_flags = 0x2,
        .svc_reg = {{"Parameters\\PnpInterface", "5", 1},
                    {"Parameters", "BusType", 1}},
        .sys = "lsi_u3.sys",
};

_unused_ static const struct fx_driver *const fx_drivers[] = {
        &fx_viostor, &fx_vioscsi, &fx_lsi};

/* ---- fixtures: the guests ----------------------------------------------- */

struct fx_profile {
	const char *name;
	unsigned major, minor, build;
	const char *arch;
	bool server, driver_database;
	const char *systemroot;
};

_unused_ static const struct fx_profile fx_profiles[] = {
        {"xp", 5, 1, 2600, "x86", false, false, "WINDOWS"},
        {"2003-x64", 5, 2, 3790, "amd64", true, false, "WINDOWS"},
        {"7-x64", 6, 1, 7601, "amd64", false, false, "Windows"},
        {"2008r2", 6, 1, 7601, "amd64", true, false, "Windows"},
        {"2012r2", 6, 3, 9600, "amd64", true, true, "Windows"},
        {"2016", 10, 0, 14393, "amd64", true, true, "Windows"},
        {"2019", 10, 0, 17763, "amd64", true, true, "Windows"},
        {"2022", 10, 0, 20348, "amd64", true, true, "Windows"},
        {"10", 10, 0, 19041, "amd64", false, true, "Windows"},
        {"11", 10, 0, 22000, "amd64", false, true, "Windows"},
};

_unused_ static const struct fx_profile *
profile(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(fx_profiles); i++)
		if (streq(fx_profiles[i].name, name))
			return &fx_profiles[i];
	TEST_FAIL("no profile %s", name);
}

_unused_ static struct drivers_guest
guest_of(const struct fx_profile *p, const char *store)
{
	return (struct drivers_guest){
	        .target = {p->major, p->minor, p->build, p->arch, p->server},
	        .systemroot = p->systemroot,
	        .control_set = "ControlSet001",
	        .driver_database = p->driver_database,
	        .device_path = "%SystemRoot%\\inf",
	        .boot_critical = true,
	        .store_name = store,
	};
}

/* ---- staging the packages ----------------------------------------------- */

_unused_ static char *
replace_all(const char *s, const char *tok, const char *val)
{
	size_t tl = strlen(tok), vl = strlen(val), n = 0, len;
	char *out, *o;

	for (const char *p = strstr(s, tok); p; p = strstr(p + tl, tok))
		n++;
	len = strlen(s) + n * vl + 1;
	out = malloc(len);
	ASSERT_NOT_NULL(out);
	o = out;
	for (const char *p; (p = strstr(s, tok)); s = p + tl) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, val, vl);
		o += vl;
	}
	strcpy(o, s);
	return out;
}

_unused_ static void
write_file(const char *path, const char *text)
{
	ASSERT_OK(util_write_file_atomic(path, text, strlen(text)));
}

/* Stages <tmp>/<arch>/<name>/ with the stamped INF, the .sys and the .cat
 * (empty: their bytes do not matter to the injection). */
_unused_ static void
stage(const struct fx_driver *d, const char *arch)
{
	_cleanup_free_ char *src = tests_corpus(d->corpus), *text = NULL,
	                    *dir = NULL, *p = NULL;
	size_t len;

	ASSERT_OK(util_read_file(src, DRIVERS_MAX_INF_SIZE, &text, &len));
	{
		char *t = replace_all(text, "$ARCH$", arch);

		free(text);
		text = t;
	}
	if (d->driver_ver) {
		char *t = replace_all(text, "DriverVer=01/01/2008,0.0.0.1",
		                      "DriverVer=08/06/2024,100.95.104.26200");

		free(text);
		text = t;
		for (size_t i = 0; virtio_stamp[i]; i += 2) {
			t = replace_all(text, virtio_stamp[i],
			                virtio_stamp[i + 1]);
			free(text);
			text = t;
		}
	}
	ASSERT_OK(util_asprintf(&dir, "%s/%s", arch, d->store));
	ASSERT_OK(util_mkdir_p(dir));
	ASSERT_OK(util_asprintf(&p, "%s/%s", dir, d->inf_name));
	write_file(p, text);
	free(p);
	ASSERT_OK(util_asprintf(&p, "%s/%s", dir, d->sys));
	write_file(p, "");
	free(p);
	p = NULL;
	ASSERT_OK(util_asprintf(&p, "%s/%s", dir, d->catalog));
	write_file(p, "");
}

_unused_ static void
enter_tmpdir(void)
{
	ASSERT_OK(chdir(tests_tmpdir()));
}

_unused_ static char *
xstrdup(const char *s)
{
	char *r = s ? strdup(s) : NULL;

	if (s)
		ASSERT_NOT_NULL(r);
	return r;
}

_unused_ static char *
format(const struct drivers_injection *inj)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NOT_NULL(f);
	ASSERT_OK(drivers_injection_format(inj, f));
	ASSERT_EQ(fclose(f), 0);
	return buf;
}

/* ---- goldens ------------------------------------------------------------ */

_unused_ static void
check_golden(const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL, *want = NULL;
	size_t len;
	int r;

	ASSERT_OK(util_asprintf(&path, "%s/tests/drivers/golden/%s.reg",
	                        tests_srcdir(), name));
	if (getenv("IMGFIX_UPDATE_GOLDEN")) {
		ASSERT_OK(util_write_file_atomic(path, text, strlen(text)));
		return;
	}
	r = util_read_file(path, 1024 * 1024, &want, &len);
	if (r < 0)
		TEST_FAIL("golden %s missing (IMGFIX_UPDATE_GOLDEN=1 writes "
		          "it): %s",
		          path, strerror(-r));
	if (len != strlen(text) || memcmp(want, text, len) != 0) {
		_cleanup_free_ char *got = NULL;

		ASSERT_OK(util_asprintf(&got, "%s/%s.reg.got", tests_tmpdir(),
		                        name));
		ASSERT_OK(util_write_file_atomic(got, text, strlen(text)));
		setenv("IMGFIX_TEST_KEEP", "1", 1);
		TEST_FAIL("%s differs from the golden %s (diff -u %s %s)", got,
		          path, path, got);
	}
}

#endif
