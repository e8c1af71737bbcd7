/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Security tests of the driver path (drivers.h): INF packages whose
 * CopyFiles names, DestinationDirs subdirectories, SourceDisksNames paths
 * or SourceDisksFiles subdirectories hold "..\", absolute paths or drive
 * letters.  Store scan → selection → injection must refuse such a package
 * or produce copies that read only inside the package and write only below
 * the guest's Windows directory.  Files planted next to the store (where
 * an escaping name would land) must never be picked as a source.
 *
 * A sane package goes through the same steps and must inject, so the test
 * fails if the pipeline stops working altogether.
 */
#include <limits.h>

#include "tests.h"
#include "drivers.h"

struct pkg {
	const char *id;   /* device ID suffix, unique per package */
	const char *inf;  /* text after HEAD() */
	bool must_inject; /* the sane control package */
};

static const struct pkg pkgs[] = {
        {"1000",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\ndrv.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n[F]\r\ndrv.sys\r\n",
         true},
        /* CopyFiles target name climbing out */
        {"1001",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\ndrv.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n"
         "[F]\r\n..\\..\\..\\evil.sys,drv.sys\r\n",
         false},
        /* absolute / drive-letter target names */
        {"1002",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\ndrv.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n"
         "[F]\r\nC:\\evil.sys,drv.sys\r\n\\evil2.sys,drv.sys\r\n",
         false},
        /* DestinationDirs subdirectory climbing out */
        {"1003",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\nF=12,..\\..\\..\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\ndrv.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n[F]\r\ndrv.sys\r\n",
         false},
        /* source taken from outside the package (SourceDisksNames path) */
        {"1004",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk,,,..\\..\r\n"
         "[SourceDisksFiles]\r\nplanted.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n[F]\r\nplanted.sys\r\n",
         false},
        /* source taken from outside (SourceDisksFiles subdir, absolute) */
        {"1005",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\nplanted.sys=1,..\\..\r\n"
         "passwd=1,\\etc\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=F\r\n[F]\r\nplanted.sys\r\n"
         "passwd\r\n",
         false},
        /* CopyFiles=@file with a path */
        {"1006",
         "[DestinationDirs]\r\nDefaultDestDir=12\r\n"
         "[SourceDisksNames]\r\n1=Disk\r\n"
         "[SourceDisksFiles]\r\nplanted.sys=1\r\n"
         "[Inst.NTamd64]\r\nCopyFiles=@..\\..\\planted.sys\r\n",
         false},
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = util_path_join(dir, name);

	ASSERT_NOT_NULL(p);
	ASSERT_OK(util_write_file_atomic(p, text, strlen(text)));
}

/* Builds tmp/store/pkgNNNN/{x.inf,drv.sys} and the planted files. */
static const char *
build_store(void)
{
	static char *store;
	const char *tmp = tests_tmpdir();

	if (store)
		return store;
	store = util_path_join(tmp, "store");
	ASSERT_NOT_NULL(store);
	ASSERT_OK(util_mkdir_p(store));
	/* where "..\.." from a package directory lands */
	write_file(tmp, "planted.sys", "PLANTED-OUTSIDE\n");
	write_file(store, "planted.sys", "PLANTED-STORE-ROOT\n");
	for (size_t i = 0; i < ELEMENTSOF(pkgs); i++) {
		_cleanup_free_ char *dir = NULL, *name = NULL, *text = NULL;

		ASSERT_OK(util_asprintf(&name, "pkg%s", pkgs[i].id));
		dir = util_path_join(store, name);
		ASSERT_NOT_NULL(dir);
		ASSERT_OK(util_mkdir_p(dir));
		ASSERT_OK(util_asprintf(
		        &text,
		        "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n"
		        "Class=SCSIAdapter\r\n"
		        "ClassGuid={4D36E97B-E325-11CE-BFC1-"
		        "08002BE10318}\r\n"
		        "Provider=Test\r\n"
		        "DriverVer=01/01/2024,1.0.0.0\r\n"
		        "[Manufacturer]\r\nTest=Models,NTamd64\r\n"
		        "[Models.NTamd64]\r\n"
		        "Dev=Inst,PCI\\VEN_1AF4&DEV_%s\r\n"
		        "[Inst.NTamd64.Services]\r\n"
		        "AddService=svc%s,0x00000002,Svc\r\n"
		        "[Svc]\r\nServiceType=1\r\nStartType=0\r\n"
		        "ErrorControl=1\r\n"
		        "ServiceBinary=%%12%%\\drv.sys\r\n%s",
		        pkgs[i].id, pkgs[i].id, pkgs[i].inf));
		write_file(dir, "x.inf", text);
		write_file(dir, "drv.sys", "DRIVER\n");
	}
	return store;
}

static bool
guest_path_safe(const char *p)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (!p || !util_startswith_case(p, "Windows\\"))
		return false;
	if (strchr(p, ':') || strchr(p, '/'))
		return false;
	copy = strdup(p);
	ASSERT_NOT_NULL(copy);
	for (char *t = strtok_r(copy, "\\", &save); t;
	     t = strtok_r(NULL, "\\", &save))
		if (streq(t, "..") || streq(t, "."))
			return false;
	return true;
}

/* host must resolve to a file inside the package directory. */
static bool
host_path_inside(const char *host, const char *pkg_dir)
{
	char real[PATH_MAX], real_dir[PATH_MAX];
	size_t n;

	if (!realpath(pkg_dir, real_dir))
		return false;
	if (!realpath(host, real))
		return true; /* does not exist: nothing can be read */
	n = strlen(real_dir);
	return strncmp(real, real_dir, n) == 0 && real[n] == '/';
}

/* Returns 1 when injected (copies checked), 0 when refused. */
static int
select_and_inject(const struct drivers_store *s, const char *id)
{
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	_cleanup_free_ char *hwid = NULL;
	struct drivers_injection inj;
	struct drivers_guest g = {
	        .target = {10, 0, 19045, "amd64", false},
	        .systemroot = "Windows",
	        .control_set = "ControlSet001",
	        .driver_database = true,
	        .device_path = "%SystemRoot%\\inf",
	        .boot_critical = true,
	        .store_name = "imgfix",
	};
	int r;

	ASSERT_OK(util_asprintf(&hwid, "PCI\\VEN_1AF4&DEV_%s", id));
	char *ids[] = {hwid, NULL};
	struct drivers_query q = {
	        .target = g.target,
	        .device_ids = ids,
	};
	r = drivers_select(s, &q, &sel);
	if (r < 0) {
		fprintf(stderr, "  %s: not selected (%s)\n", id,
		        sel.rejected ? sel.rejected[0] : "no candidate");
		return 0;
	}
	/* what selection resolved must already stay inside */
	for (size_t i = 0; i < sel.install.n_files; i++) {
		const struct drivers_file *f = &sel.install.files[i];

		if (f->host_path &&
		    !host_path_inside(f->host_path, sel.install.package_dir))
			TEST_FAIL(
			        "%s: file %s resolved outside the package: %s",
			        id, f->name, f->host_path);
	}
	r = drivers_inject(&sel.install, &g, &inj);
	if (r < 0) {
		fprintf(stderr, "  %s: injection refused (%s)\n", id,
		        inj.notes ? inj.notes[0] : strerror(-r));
		drivers_injection_done(&inj);
		return 0;
	}
	for (size_t i = 0; i < inj.n_copies; i++) {
		const struct drivers_copy *c = &inj.copies[i];

		if (!guest_path_safe(c->guest_path))
			TEST_FAIL("%s: copy writes outside Windows\\: %s", id,
			          c->guest_path);
		if (!host_path_inside(c->host_path, sel.install.package_dir))
			TEST_FAIL("%s: copy reads outside the package: %s", id,
			          c->host_path);
		fprintf(stderr, "  %s: %s -> %s\n", id, c->host_path,
		        c->guest_path);
	}
	r = inj.n_copies > 0;
	drivers_injection_done(&inj);
	return r;
}

TEST(sane_package_injects)
{
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	_cleanup_free_ char *err = NULL;

	ASSERT_OK(drivers_store_new(&s));
	ASSERT_OK(drivers_store_add(s, build_store(), &err));
	ASSERT_EQ(drivers_store_n_packages(s), ELEMENTSOF(pkgs));
	ASSERT_EQ(select_and_inject(s, pkgs[0].id), 1);
}

TEST(escaping_names_refused_or_contained)
{
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	_cleanup_free_ char *err = NULL;
	size_t refused = 0;

	ASSERT_OK(drivers_store_new(&s));
	ASSERT_OK(drivers_store_add(s, build_store(), &err));
	for (size_t i = 0; i < ELEMENTSOF(pkgs); i++) {
		if (pkgs[i].must_inject)
			continue;
		/* select_and_inject fails the test on any escape */
		if (select_and_inject(s, pkgs[i].id) == 0)
			refused++;
	}
	/* the target-name escapes cannot be "contained": they must be
	 * refused outright (1001, 1002, 1003 at least) */
	ASSERT_TRUE(refused >= 3);
}

TEST(parser_keeps_names_verbatim)
{
	/* The parser does not clean names: it reports them as written so
	 * that injection can refuse them (and say which). */
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_inf_line *l;
	size_t n = 0;
	static const char text[] = "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n"
	                           "[F]\r\n..\\..\\evil.sys,drv.sys\r\n";

	ASSERT_OK(drivers_inf_parse_buffer("t.inf", text, sizeof(text) - 1,
	                                   NULL, &inf, NULL));
	l = drivers_inf_section(inf, "F", &n);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(l[0].fields[0], "..\\..\\evil.sys");
}
