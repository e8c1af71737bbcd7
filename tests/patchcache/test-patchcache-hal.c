/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HAL/kernel swap plans on XP SP3 and 2003 SP2 profiles in both modes:
 * files from the cache at the guest kernel's version, the boot.ini entry
 * (non-destructive) or the journal, dllcache copies and the HardwareID edit
 * applied to a phony SYSTEM hive (replace); ACPI <-> non-ACPI refused.
 * Also: the current HAL from a hive and from repair\setup.log, and
 * installed updates from a phony SOFTWARE hive.
 */
#include "tests.h"
#include "pcache-test-util.h"

#define HAL_FILES                                                    \
	"hal.dll halacpi.dll halaacpi.dll halmacpi.dll halapic.dll " \
	"halmps.dll "                                                \
	"ntoskrnl.exe ntkrnlpa.exe ntkrnlmp.exe ntkrpamp.exe"

static void
guest(struct pcache_guest *g, unsigned minor, unsigned sp, const char *hal)
{
	*g = (struct pcache_guest){
	        .os_major = 5,
	        .os_minor = minor,
	        .sp = sp,
	        .arch = PCACHE_ARCH_I386,
	        .hal = strdup(hal),
	};
	ASSERT_NOT_NULL(g->hal);
}

static const struct pcache_file_put *
put(const struct pcache_hal_plan *p, const char *guest_path)
{
	for (size_t i = 0; i < p->n_puts; i++)
		if (strcaseeq(p->puts[i].guest_path, guest_path))
			return &p->puts[i];
	return NULL;
}

static const struct pt_guest_file xp_files[] = {
        {"system32\\ntoskrnl.exe", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\ntkrnlpa.exe", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\hal.dll", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\dllcache\\hal.dll", PCACHE_VERSION(5, 1, 2600, 5512)},
        {"system32\\dllcache\\ntoskrnl.exe", PCACHE_VERSION(5, 1, 2600, 5512)},
        {NULL, 0},
};

TEST(xp_nondestructive)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("xp", "5.1.2600.5512", HAL_FILES);
	struct pcache_guest_reader reader = {pt_read_pe, (void *)xp_files};
	struct pcache_hal_plan p = {0};
	const struct pcache_file_put *fp;
	struct pcache_guest g;
	char *err = NULL;

	guest(&g, 1, 3, "acpiapic_up");
	if (pcache_hal_plan(
	            &(struct pcache_hal_request){
	                    .guest = &g,
	                    .cache = c,
	                    .reader = &reader,
	                    .target_hal = "acpiapic_mp",
	                    .mode = PCACHE_HAL_NONDESTRUCTIVE},
	            &p, &err) < 0)
		TEST_FAIL("plan: %s", err);
	ASSERT_STREQ(p.from->hwid, "acpiapic_up");
	ASSERT_STREQ(p.to->file, "halmacpi.dll");
	ASSERT_EQ(p.kernel_version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_EQ(p.n_puts, 2);
	fp = put(&p, "system32\\halmacpi.dll");
	ASSERT_NOT_NULL(fp);
	ASSERT_STREQ(fp->source_name, "halmacpi.dll");
	ASSERT_TRUE(access(fp->host_path, R_OK) == 0);
	fp = put(&p, "system32\\ntkrnlmp.exe");
	ASSERT_NOT_NULL(fp);
	ASSERT_EQ(fp->version, PCACHE_VERSION(5, 1, 2600, 5512));
	/* boot.ini: a new default entry, the original kept. */
	ASSERT_STREQ(p.bootini.switches,
	             "/kernel=ntkrnlmp.exe /hal=halmacpi.dll /NOPAE");
	ASSERT_TRUE(p.bootini.make_default);
	ASSERT_STREQ(p.bootini.title_suffix,
	             " [imgfix: ACPI Multiprocessor PC]");
	ASSERT_EQ(p.edits.n, 0);
	ASSERT_NULL(p.journal);
	pcache_hal_plan_done(&p);

	/* PAE, and a guest that already has a file called halmacpi.dll. */
	{
		static const struct pt_guest_file clash[] = {
		        {"system32\\ntoskrnl.exe",
		         PCACHE_VERSION(5, 1, 2600, 5512)},
		        {"system32\\halmacpi.dll",
		         PCACHE_VERSION(5, 1, 2600, 1)},
		        {NULL, 0},
		};
		struct pcache_guest_reader r2 = {pt_read_pe, (void *)clash};

		ASSERT_OK(pcache_hal_plan(
		        &(struct pcache_hal_request){.guest = &g,
		                                     .cache = c,
		                                     .reader = &r2,
		                                     .target_hal =
		                                             "halmacpi.dll",
		                                     .pae = true},
		        &p, NULL));
		ASSERT_STREQ(p.bootini.switches,
		             "/kernel=ntkrpamp.exe /hal=ifhal1.dll /PAE");
		ASSERT_NOT_NULL(put(&p, "system32\\ifhal1.dll"));
		pcache_hal_plan_done(&p);
	}
	pcache_guest_done(&g);
}

/* Builds a phony SYSTEM hive from .reg text with hivexregedit. */
static char *
phony_hive(const char *tag, const char *prefix, const char *reg)
{
	_cleanup_free_ char *seed = tests_corpus("hives/seed/minimal");
	_cleanup_free_ char *regfile = NULL, *buf = NULL;
	char *p = NULL;
	size_t len;

	if (util_asprintf(&p, "%s/%s.hive", tests_tmpdir(), tag) < 0 ||
	    util_asprintf(&regfile, "%s/%s.reg", tests_tmpdir(), tag) < 0)
		TEST_FAIL("OOM");
	ASSERT_OK(util_read_file(seed, 1 << 20, &buf, &len));
	ASSERT_OK(util_write_file_atomic(p, buf, len));
	ASSERT_OK(util_write_file_atomic(regfile, reg, strlen(reg)));
	pt_runf("hivexregedit --merge --prefix '%s' '%s' '%s'", prefix, p,
	        regfile);
	return p;
}

static const char xp_system_reg[] =
        "Windows Registry Editor Version 5.00\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001]\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Enum]\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Enum\\Root]\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Enum\\Root\\ACPI_HAL]"
        "\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Enum\\Root\\ACPI_HAL\\"
        "0000]\n"
        "\"HardwareID\"=hex(7):61,00,63,00,70,00,69,00,61,00,70,00,69,00,63,"
        "00,5f,00,75,00,70,00,00,00,00,00\n";

TEST(xp_replace_applied_to_hive)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("xpr", "5.1.2600.5512", HAL_FILES);
	struct pcache_guest_reader reader = {pt_read_pe, (void *)xp_files};
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_free_ char *path = NULL, *cur = NULL, *err = NULL;
	struct pcache_hal_plan p = {0};
	const struct pcache_file_put *fp;
	struct pcache_guest g;

	path = phony_hive("xp-system", "HKEY_LOCAL_MACHINE\\SYSTEM",
	                  xp_system_reg);
	ASSERT_OK(hive_open(path, HIVE_OPEN_WRITE, &h));
	ASSERT_OK(pcache_hal_read_current(h, "ControlSet001", &cur));
	ASSERT_STREQ(cur, "acpiapic_up");

	guest(&g, 1, 3, cur);
	if (pcache_hal_plan(
	            &(struct pcache_hal_request){.guest = &g,
	                                         .cache = c,
	                                         .reader = &reader,
	                                         .target_hal = "acpiapic_mp",
	                                         .control_set = "ControlSet001",
	                                         .mode = PCACHE_HAL_REPLACE},
	            &p, &err) < 0)
		TEST_FAIL("plan: %s", err);
	/* hal.dll, ntoskrnl.exe, ntkrnlpa.exe + two dllcache copies. */
	ASSERT_EQ(p.n_puts, 5);
	fp = put(&p, "system32\\hal.dll");
	ASSERT_STREQ(fp->source_name, "halmacpi.dll");
	ASSERT_STREQ(put(&p, "system32\\ntoskrnl.exe")->source_name,
	             "ntkrnlmp.exe");
	ASSERT_STREQ(put(&p, "system32\\ntkrnlpa.exe")->source_name,
	             "ntkrpamp.exe");
	ASSERT_STREQ(put(&p, "system32\\dllcache\\hal.dll")->host_path,
	             fp->host_path);
	ASSERT_NOT_NULL(put(&p, "system32\\dllcache\\ntoskrnl.exe"));
	ASSERT_NULL(put(&p, "system32\\dllcache\\ntkrnlpa.exe"));
	ASSERT_EQ(util_strv_length(p.journal), 5);
	ASSERT_TRUE(util_strv_contains(p.journal, "system32\\hal.dll"));
	ASSERT_NULL(p.bootini.switches);

	/* The registry edit, applied to the phony hive. */
	ASSERT_EQ(p.edits.n, 1);
	ASSERT_OK(hive_apply_edits(h, p.edits.v, p.edits.n, NULL));
	ASSERT_OK(hive_get_multi_sz(h,
	                            "ControlSet001\\Enum\\Root\\ACPI_HAL\\0000",
	                            "HardwareID", &ids));
	ASSERT_STREQ(ids[0], "acpiapic_mp");
	ASSERT_NULL(ids[1]);
	pcache_hal_plan_done(&p);
	pcache_guest_done(&g);
}

TEST(win2003_both_modes)
{
	_cleanup_(pcache_freep) struct pcache *c =
	        pt_cache("w2k3", "5.2.3790.3959", HAL_FILES);
	struct pcache_hal_plan p = {0};
	struct pcache_guest g;
	char *err = NULL;

	/* MP -> UP, the kernel version given by the caller; no reader: the
	 * installed names are taken as present. */
	guest(&g, 2, 2, "acpiapic_mp");
	ASSERT_OK(pcache_hal_plan(
	        &(struct pcache_hal_request){
	                .guest = &g,
	                .cache = c,
	                .target_hal = "acpiapic_up",
	                .kernel_version = PCACHE_VERSION(5, 2, 3790, 3959),
	                .mode = PCACHE_HAL_NONDESTRUCTIVE},
	        &p, NULL));
	/* ntoskrnl.exe is the installed name: the copy gets a new one. */
	ASSERT_STREQ(p.bootini.switches,
	             "/kernel=ifkrn1.exe /hal=halaacpi.dll /NOPAE");
	ASSERT_STREQ(put(&p, "system32\\ifkrn1.exe")->source_name,
	             "ntoskrnl.exe");
	pcache_hal_plan_done(&p);

	ASSERT_OK(pcache_hal_plan(
	        &(struct pcache_hal_request){
	                .guest = &g,
	                .cache = c,
	                .target_hal = "acpiapic_up",
	                .control_set = "ControlSet002",
	                .kernel_version = PCACHE_VERSION(5, 2, 3790, 3959),
	                .mode = PCACHE_HAL_REPLACE},
	        &p, NULL));
	ASSERT_STREQ(put(&p, "system32\\hal.dll")->source_name, "halaacpi.dll");
	ASSERT_STREQ(put(&p, "system32\\ntoskrnl.exe")->source_name,
	             "ntoskrnl.exe");
	ASSERT_STREQ(p.edits.v[0].key,
	             "ControlSet002\\Enum\\Root\\ACPI_HAL\\0000");
	ASSERT_STREQ(p.edits.v[0].name, "HardwareID");
	ASSERT_EQ(p.edits.v[0].type, HIVE_T_MULTI_SZ);
	pcache_hal_plan_done(&p);

	/* Guest kernel at another build than the cache: refused. */
	ASSERT_ERR(pcache_hal_plan(
	                   &(struct pcache_hal_request){
	                           .guest = &g,
	                           .cache = c,
	                           .target_hal = "acpiapic_up",
	                           .kernel_version =
	                                   PCACHE_VERSION(5, 2, 3790, 4455),
	                           .mode = PCACHE_HAL_NONDESTRUCTIVE},
	                   &p, &err),
	           -ENOENT);
	ASSERT_TRUE(strstr(err, "5.2.3790.4455") != NULL);
	ASSERT_TRUE(strstr(err, "only 5.2.3790.3959") != NULL);
	free(err);
	err = NULL;

	/* Non-ACPI MPS -> ACPI: KB309283. */
	free(g.hal);
	g.hal = strdup("mps_mp");
	ASSERT_ERR(pcache_hal_plan(
	                   &(struct pcache_hal_request){
	                           .guest = &g,
	                           .cache = c,
	                           .target_hal = "acpiapic_mp",
	                           .kernel_version =
	                                   PCACHE_VERSION(5, 2, 3790, 3959)},
	                   &p, &err),
	           -EXDEV);
	ASSERT_TRUE(strstr(err, "KB309283") != NULL);
	free(err);
	err = NULL;
	/* ACPI -> Standard PC: refused too. */
	ASSERT_ERR(pcache_hal_plan(
	                   &(struct pcache_hal_request){
	                           .guest = &g,
	                           .cache = c,
	                           .current_hal = "halacpi.dll",
	                           .target_hal = "e_isa_up",
	                           .kernel_version =
	                                   PCACHE_VERSION(5, 2, 3790, 3959)},
	                   &p, NULL),
	           -EXDEV);
	/* Non-ACPI to non-ACPI is allowed: mps_mp -> mps_up. */
	ASSERT_OK(pcache_hal_plan(
	        &(struct pcache_hal_request){
	                .guest = &g,
	                .cache = c,
	                .target_hal = "mps_up",
	                .control_set = "ControlSet001",
	                .kernel_version = PCACHE_VERSION(5, 2, 3790, 3959),
	                .mode = PCACHE_HAL_REPLACE},
	        &p, NULL));
	ASSERT_STREQ(p.edits.v[0].key,
	             "ControlSet001\\Enum\\Root\\PCI_HAL\\0000");
	pcache_hal_plan_done(&p);
	/* Same HAL. */
	ASSERT_ERR(pcache_hal_plan(
	                   &(struct pcache_hal_request){.guest = &g,
	                                                .cache = c,
	                                                .target_hal = "mps_mp"},
	                   &p, NULL),
	           -EALREADY);
	pcache_guest_done(&g);
}

TEST(setup_log)
{
	static const char log[] =
	        "[Paths]\r\nTargetDirectory = \"\\WINDOWS\"\r\n"
	        "[Files.WinNt]\r\n"
	        "\\WINDOWS\\system32\\ntoskrnl.exe = "
	        "\"ntkrnlmp.exe\",\"1f5e8\"\r\n"
	        "\\WINDOWS\\system32\\hal.dll = \"HALMACPI.DLL\",\"2a7b1\"\r\n";
	static const char bad[] =
	        "[Files.WinNt]\n\\WINNT\\system32\\hal.dll = halmps.dll\n";
	static const char other_section[] =
	        "[Files.Other]\n\\WINNT\\system32\\hal.dll = \"halmps.dll\"\n";
	char *f = NULL;

	ASSERT_OK(pcache_setup_log_hal(log, strlen(log), &f));
	ASSERT_STREQ(f, "halmacpi.dll");
	ASSERT_STREQ(pcache_hal_lookup(f)->hwid, "acpiapic_mp");
	free(f);
	ASSERT_ERR(pcache_setup_log_hal(bad, strlen(bad), &f), -EBADMSG);
	ASSERT_ERR(
	        pcache_setup_log_hal(other_section, strlen(other_section), &f),
	        -ENOENT);
	ASSERT_ERR(pcache_setup_log_hal("", 0, &f), -ENOENT);
}

TEST(installed_updates)
{
	static const char reg[] =
	        "Windows Registry Editor Version 5.00\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\"
	        "CurrentVersion]\n\n"
	        "[HKEY_LOCAL_"
	        "MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	        "\\Component Based Servicing]\n\n"
	        "[HKEY_LOCAL_"
	        "MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	        "\\Component Based Servicing\\Packages]\n\n"
	        "[HKEY_LOCAL_"
	        "MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	        "\\Component Based Servicing\\Packages\\Package_for_KB4474419~"
	        "31bf3856ad364e35~amd64~~6.1.3.2]\n"
	        "\"CurrentState\"=dword:00000070\n\n"
	        "[HKEY_LOCAL_"
	        "MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	        "\\Component Based Servicing\\Packages\\Package_for_KB4490628~"
	        "31bf3856ad364e35~amd64~~6.1.1.1]\n"
	        "\"CurrentState\"=dword:00000005\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows XP]"
	        "\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows "
	        "XP\\"
	        "SP3]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows "
	        "XP\\"
	        "SP3\\KB942288-v3]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
	        "CurrentVersion]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
	        "CurrentVersion\\Hotfix]\n\n"
	        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\"
	        "CurrentVersion\\Hotfix\\KB835935]\n";
	_cleanup_free_ char *path =
	        phony_hive("software", "HKEY_LOCAL_MACHINE\\SOFTWARE", reg);
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_strv_free_ char **kbs = NULL;
	char *names[] = {"$NtUninstallKB123456$", "system32", NULL};

	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(pcache_read_installed_updates(h, &kbs), 3);
	/* KB4490628 has CurrentState 5 (staged): not installed. */
	ASSERT_STREQ(kbs[0], "KB4474419");
	ASSERT_STREQ(kbs[1], "KB835935");
	ASSERT_STREQ(kbs[2], "KB942288");
	ASSERT_OK(pcache_updates_from_names(names, &kbs));
	ASSERT_EQ(util_strv_length(kbs), 4);
	ASSERT_TRUE(util_strv_contains(kbs, "KB123456"));
}
