/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows inspection: find the systemroot, copy SYSTEM (and SOFTWARE) out
 * of the volume into a private temp dir, open them read-only with hive/ and
 * turn what they say into facts (see inspect.h).
 *
 * windows.boot_driver heuristic: candidates are the services of the control
 * set with Start=0 that are a known storage controller driver or in the
 * "SCSI miniport" group, minus those a StartOverride value demotes (8+).
 * Each gets a score: +4 when a device instance of any Enum bus but Root
 * names it as its Service (a device that was present), +2 when a
 * CriticalDeviceDatabase entry names it or, only to break a tie at the
 * top, a DriverDatabase package configuration does, -1 for the generic IDE
 * drivers
 * (atapi, pciide, intelide, ...) that are boot-start on every NT5 system.
 * The highest score wins; ties go to the first name in strcmp order.
 *
 * source.platform: the first of vmware, virtualbox, xen, parallels whose
 * guest-tools services exist with Start != 4; else hyperv when
 * Enum\VMBUS holds devices; else physical.
 */
#include <ctype.h>
#include <inttypes.h>

#include "hive.h"
#include "engine/inspect.h"
#include "util.h"
#include "image/volume.h"
#include "engine/hive-logs.h"
#include "windows/inspect-windows.h"
#include "windows/family-windows.h"

#define PE_HEADER_READ 4096u
#define ENUM_MAX_DEVICES 100000u

static const char *const systemroots[] = {"Windows", "WINNT", "Win32", "Win",
                                          "ReactOS"};

/* NULL-terminated, for util_strv_contains_case(). */
static char *const storage_drivers[] = {
        "atapi",     "intelide", "pciide",    "viaide",    "cmdide",
        "aliide",    "msahci",   "storahci",  "stornvme",  "iastorv",
        "iastora",   "iastorav", "iastor",    "iastore",   "amdsata",
        "amd_sata",  "nvstor",   "nvraid",    "lsi_sas",   "lsi_sas2",
        "lsi_sas3",  "lsi_scsi", "lsi_fc",    "megasas",   "megasas2i",
        "megasas35", "megasr",   "percsas2i", "percsas3i", "hpsamd",
        "smartpqi",  "arcsas",   "pvscsi",    "vmscsi",    "viostor",
        "vioscsi",   "xenvbd",   "storvsc",   "aic78xx",   "adp94xx",
        "ql2300",    "ql40xx",   "vsmraid",   "sisraid2",  "nfrd960",
        "mraid35x",  "iirsp",    "rhelscsi",  "prl_scsi",  "buslogic",
        NULL,
};

static char *const generic_ide[] = {"atapi",  "intelide", "pciide", "viaide",
                                    "cmdide", "aliide",   NULL};

struct platform_tools {
	const char *platform;
	const char *services[12];
};

static const struct platform_tools platforms[] = {
        {"vmware",
         {"VMTools", "vmhgfs", "vmmemctl", "vm3dmp", "vmci", "vmmouse",
          "vmusbmouse", "vmrawdsk", "vmxnet3ndis6", "vmxnet3", "VGAuthService",
          NULL}},
        {"virtualbox",
         {"VBoxGuest", "VBoxService", "VBoxSF", "VBoxMouse", "VBoxVideo",
          "VBoxWddm", NULL}},
        {"xen",
         {"xenbus", "xenfilt", "xenvbd", "xennet", "xenvif", "xeniface", NULL}},
        {"parallels",
         {"prl_tg", "prl_fs", "prl_eth5", "prl_strg", "prl_boot", "prl_dd",
          "prl_memdev", "prl_mouf", "prl_pv32", "prl_pv64", NULL}},
};

struct win_ctx {
	struct fixup_volume *v;
	struct fixup_guest *g;
	char *tmpdir;
	char *sysroot; /* "/Windows" */
	struct hive *system;
	char *cs; /* "ControlSet001" */
	char **services;
};

static int
set_fact(struct win_ctx *c, const char *key, const char *value)
{
	return util_strmap_set(c->g->facts, key, value);
}

/* Finds the systemroot: 1 and c->sysroot set, 0 when none. */
static int
find_systemroot(struct win_ctx *c)
{
	for (size_t i = 0; i < ELEMENTSOF(systemroots); i++) {
		_cleanup_free_ char *p = NULL, *real = NULL;
		int r;

		if (util_asprintf(&p, "/%s/System32/config/SYSTEM",
		                  systemroots[i]) < 0)
			return -ENOMEM;
		r = fixup_volume_lookup(c->v, p, &real);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		/* real = "/<Root>/System32/config/SYSTEM" */
		c->sysroot = util_strndup0(real, strcspn(real + 1, "/") + 1);
		return c->sysroot ? 1 : -ENOMEM;
	}
	return 0;
}

/* Copies <sysroot>/System32/config/<name> out with its transaction logs,
 * replays them into the copy and opens it read-only; -ENOENT when the file
 * is absent.  A dirty hive whose logs cannot be used is read as it is,
 * with a warning naming it and why; the SYSTEM hive's state is in facts. */
static int
open_hive(struct win_ctx *c, const char *name, struct hive **ret)
{
	_cleanup_free_ char *p = NULL, *real = NULL, *host = NULL;
	struct fixup_hive_copy hc = {0};
	int r;

	if (util_asprintf(&p, "%s/System32/config/%s", c->sysroot, name) < 0)
		return -ENOMEM;
	r = fixup_volume_lookup(c->v, p, &real);
	if (r < 0)
		return r;
	host = util_path_join(c->tmpdir, name);
	if (!host)
		return -ENOMEM;
	r = fixup_hive_copy_out(c->v, real, FIXUP_HIVE_MAX, host, &hc);
	if (r == -EFBIG)
		return fixup_set_error(
		        r, "%s: %s: hive %s is larger than %u MiB",
		        fixup_image_path(fixup_volume_image(c->v)),
		        fixup_volume_name(c->v), real, FIXUP_HIVE_MAX >> 20);
	if (r < 0)
		return fixup_set_error(
		        r, "%s: %s: cannot read hive %s: %s",
		        fixup_image_path(fixup_volume_image(c->v)),
		        fixup_volume_name(c->v), real, strerror(-r));
	r = 0;
	if (hc.rec.dirty && !hc.rec.recovered)
		r = util_strv_pushf(
		        &c->g->warnings,
		        "%s hive %s is dirty: %s. Read as it is, without the "
		        "changes only its logs hold; a fix that edits it needs "
		        "--force " FIXUP_PROBLEM_DIRTY_HIVE,
		        name, real, hc.rec.problem);
	if (r >= 0 && streq(name, "SYSTEM")) {
		/* the primary in the guest; recovered: the logs replayed */
		r = set_fact(c, "windows.hive_dirty",
		             hc.rec.dirty ? "true" : "false");
		if (r >= 0 && hc.rec.dirty)
			r = set_fact(c, "windows.hive_recovered",
			             hc.rec.recovered ? "true" : "false");
		if (r >= 0 && hc.rec.recovered)
			r = set_fact(c, "windows.hive_logs", hc.rec.logs);
	}
	fixup_hive_copy_done(&hc);
	if (r < 0)
		return r;
	r = hive_open(host, 0, ret);
	if (r < 0)
		return fixup_set_error(
		        r == -ENOENT ? -EBADMSG : r,
		        "%s: %s: %s is not a readable registry hive (%s)",
		        fixup_image_path(fixup_volume_image(c->v)),
		        fixup_volume_name(c->v), real, strerror(-r));
	return 0;
}

static int
key_join(char **ret, const char *a, const char *b)
{
	return util_asprintf(ret, "%s\\%s", a, b);
}

static int
services_facts(struct win_ctx *c)
{
	_cleanup_free_ char *key = NULL;
	int r;

	if (key_join(&key, c->cs, "Services") < 0)
		return -ENOMEM;
	r = hive_list_subkeys(c->system, key, &c->services);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (s, c->services) {
		_cleanup_free_ char *k = NULL, *f = NULL;
		uint32_t start;

		if (key_join(&k, key, *s) < 0)
			return -ENOMEM;
		r = hive_get_dword(c->system, k, "Start", &start);
		if (r < 0 && r != -ENOENT && r != -EMEDIUMTYPE)
			return r;
		if (util_asprintf(&f, "service.%s.start", *s) < 0)
			return -ENOMEM;
		/* A key without a DWORD Start (perf-counter keys, leftovers)
		 * still exists as far as rules are concerned: "none". */
		r = r < 0 ? util_strmap_set(c->g->facts, f, "none")
		          : util_strmap_setf(c->g->facts, f, "%" PRIu32, start);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Start value of a service, -1 when absent. */
static long
service_start(struct win_ctx *c, const char *name)
{
	STRV_FOREACH (s, c->services)
		if (strcaseeq(*s, name)) {
			_cleanup_free_ char *f = NULL;
			const char *v;
			uint32_t n;

			if (util_asprintf(&f, "service.%s.start", *s) < 0)
				return -1;
			v = util_strmap_get(c->g->facts, f);
			if (v && util_parse_u32(v, &n) == 0)
				return (long)n;
			return -1;
		}
	return -1;
}

static int
hal_fact(struct win_ctx *c)
{
	static const char *const hals[] = {"ACPI_HAL", "PCI_HAL"};

	for (size_t i = 0; i < ELEMENTSOF(hals); i++) {
		_cleanup_free_ char *key = NULL;
		_cleanup_strv_free_ char **ids = NULL;
		int r;

		if (util_asprintf(&key, "%s\\Enum\\Root\\%s\\0000", c->cs,
		                  hals[i]) < 0)
			return -ENOMEM;
		r = hive_get_multi_sz(c->system, key, "HardwareID", &ids);
		if (r == -ENOENT || r == -EMEDIUMTYPE)
			continue;
		if (r < 0)
			return r;
		if (ids && ids[0] && ids[0][0])
			return set_fact(c, "windows.hal",
			                util_strtolower(ids[0]));
	}
	return 0;
}

/* Sets score[i] += add for every Enum instance of bus naming a candidate. */
static int
score_enum(struct win_ctx *c, const char *bus, char **cands, int *score)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_strv_free_ char **devs = NULL;
	size_t seen = 0;
	int r;

	if (util_asprintf(&key, "%s\\Enum\\%s", c->cs, bus) < 0)
		return -ENOMEM;
	r = hive_list_subkeys(c->system, key, &devs);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (d, devs) {
		_cleanup_free_ char *dk = NULL;
		_cleanup_strv_free_ char **insts = NULL;

		if (key_join(&dk, key, *d) < 0)
			return -ENOMEM;
		r = hive_list_subkeys(c->system, dk, &insts);
		if (r < 0)
			continue;
		STRV_FOREACH (in, insts) {
			_cleanup_free_ char *ik = NULL, *svc = NULL;

			if (++seen > ENUM_MAX_DEVICES)
				return 0;
			if (key_join(&ik, dk, *in) < 0)
				return -ENOMEM;
			if (hive_get_string(c->system, ik, "Service", &svc) < 0)
				continue;
			for (size_t i = 0; cands[i]; i++)
				if (strcaseeq(cands[i], svc)) {
					score[i] += 4;
					break;
				}
		}
	}
	return 0;
}

/* Every bus of Enum except Root (legacy and software devices: NT5 lists a
 * LEGACY_<driver> instance for every loaded driver, present device or not). */
static int
score_enum_all(struct win_ctx *c, char **cands, int *score)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_strv_free_ char **buses = NULL;
	int r;

	if (util_asprintf(&key, "%s\\Enum", c->cs) < 0)
		return -ENOMEM;
	r = hive_list_subkeys(c->system, key, &buses);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (b, buses) {
		if (strcaseeq(*b, "Root") || strcaseeq(*b, "SW"))
			continue;
		r = score_enum(c, *b, cands, score);
		if (r < 0)
			return r;
	}
	return 0;
}

/* +2 for each of the n candidates the Service value of key names, once
 * per candidate (seen) for the CDDB and once for the DriverDatabase. */
static void
score_service(struct win_ctx *c, const char *key, char **cands, size_t n,
              bool *seen, int *score)
{
	_cleanup_free_ char *svc = NULL;

	if (hive_get_string(c->system, key, "Service", &svc) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (!seen[i] && strcaseeq(cands[i], svc)) {
			seen[i] = true;
			score[i] += 2;
		}
}

static int
score_cddb(struct win_ctx *c, char **cands, int *score)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_free_ bool *seen = NULL;
	size_t n = util_strv_length(cands);
	int r;

	if (util_asprintf(&key, "%s\\Control\\CriticalDeviceDatabase", c->cs) <
	    0)
		return -ENOMEM;
	r = hive_list_subkeys(c->system, key, &ids);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	seen = calloc(n + 1, sizeof(bool));
	if (!seen)
		return -ENOMEM;
	STRV_FOREACH (id, ids) {
		_cleanup_free_ char *k = NULL;

		if (key_join(&k, key, *id) < 0)
			return -ENOMEM;
		score_service(c, k, cands, n, seen, score);
	}
	return 0;
}

/* +2 for a DriverDatabase package configuration naming a candidate as its
 * Service (8 and later register boot drivers there, not in the CDDB). */
static int
score_driverdb(struct win_ctx *c, char **cands, int *score)
{
	static const char key[] = "DriverDatabase\\DriverPackages";
	_cleanup_strv_free_ char **pkgs = NULL;
	_cleanup_free_ bool *seen = NULL;
	size_t n = util_strv_length(cands);
	int r;

	r = hive_list_subkeys(c->system, key, &pkgs);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	seen = calloc(n + 1, sizeof(bool));
	if (!seen)
		return -ENOMEM;
	STRV_FOREACH (p, pkgs) {
		_cleanup_free_ char *ck = NULL;
		_cleanup_strv_free_ char **confs = NULL;

		if (util_asprintf(&ck, "%s\\%s\\Configurations", key, *p) < 0)
			return -ENOMEM;
		if (hive_list_subkeys(c->system, ck, &confs) < 0)
			continue;
		STRV_FOREACH (cf, confs) {
			_cleanup_free_ char *k = NULL;

			if (key_join(&k, ck, *cf) < 0)
				return -ENOMEM;
			score_service(c, k, cands, n, seen, score);
		}
	}
	return 0;
}

/* True when Services\<svc>\StartOverride demotes it (any value != 0). */
static bool
start_overridden(struct win_ctx *c, const char *svc)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_strv_free_ char **vals = NULL;

	if (util_asprintf(&key, "%s\\Services\\%s\\StartOverride", c->cs, svc) <
	    0)
		return false;
	if (hive_list_values(c->system, key, &vals) < 0)
		return false;
	STRV_FOREACH (n, vals) {
		uint32_t d;

		if (hive_get_dword(c->system, key, *n, &d) == 0 && d != 0)
			return true;
	}
	return false;
}

static int
boot_driver_fact(struct win_ctx *c)
{
	_cleanup_strv_free_ char **cands = NULL;
	_cleanup_free_ int *score = NULL;
	size_t n, best = 0;
	int r;

	STRV_FOREACH (s, c->services) {
		_cleanup_free_ char *k = NULL, *group = NULL;
		bool storage = util_strv_contains_case(storage_drivers, *s);

		if (service_start(c, *s) != 0)
			continue;
		if (!storage) {
			if (util_asprintf(&k, "%s\\Services\\%s", c->cs, *s) <
			    0)
				return -ENOMEM;
			if (hive_get_string(c->system, k, "Group", &group) <
			            0 ||
			    !strcaseeq(group, "SCSI miniport"))
				continue;
		}
		if (start_overridden(c, *s))
			continue;
		r = util_strv_push(&cands, *s);
		if (r < 0)
			return r;
	}
	n = util_strv_length(cands);
	if (n == 0)
		return 0;
	score = calloc(n, sizeof(int));
	if (!score)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (util_strv_contains_case(generic_ide, cands[i]))
			score[i] -= 1;
	r = score_enum_all(c, cands, score);
	if (r >= 0)
		r = score_cddb(c, cands, score);
	if (r < 0)
		return r;
	/* The DriverDatabase walk is costly on a real hive (every package's
	 * configurations): only to break a tie at the top. */
	{
		int top = score[0], at_top = 0;

		for (size_t i = 1; i < n; i++)
			top = MAX(top, score[i]);
		for (size_t i = 0; i < n; i++)
			at_top += score[i] == top;
		if (at_top > 1 && (r = score_driverdb(c, cands, score)) < 0)
			return r;
	}
	for (size_t i = 1; i < n; i++)
		if (score[i] > score[best] ||
		    (score[i] == score[best] &&
		     strcmp(cands[i], cands[best]) < 0))
			best = i;
	return set_fact(c, "windows.boot_driver", cands[best]);
}

static int
platform_fact(struct win_ctx *c)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_strv_free_ char **vmbus = NULL;

	for (size_t i = 0; i < ELEMENTSOF(platforms); i++)
		for (size_t k = 0; platforms[i].services[k]; k++) {
			long start = service_start(c, platforms[i].services[k]);

			if (start >= 0 && start != 4)
				return set_fact(c, "source.platform",
				                platforms[i].platform);
		}
	if (util_asprintf(&key, "%s\\Enum\\VMBUS", c->cs) < 0)
		return -ENOMEM;
	if (hive_list_subkeys(c->system, key, &vmbus) == 0 && vmbus && vmbus[0])
		return set_fact(c, "source.platform", "hyperv");
	return set_fact(c, "source.platform", "physical");
}

static const char *
pe_machine_arch(uint16_t m)
{
	switch (m) {
	case 0x014c:
		return "i386";
	case 0x8664:
		return "x86_64";
	case 0xaa64:
		return "aarch64";
	case 0x0200:
		return "ia64";
	default:
		return NULL;
	}
}

/* The PE Machine of sysroot/System32/name: 1 and *ret, 0 when the file
 * is absent or no PE image of a known machine. */
static int
pe_file_arch(struct win_ctx *c, const char *name, const char **ret)
{
	_cleanup_free_ char *p = NULL, *real = NULL;
	uint8_t buf[PE_HEADER_READ];
	size_t n = 0;
	int r;

	if (util_asprintf(&p, "%s/System32/%s", c->sysroot, name) < 0)
		return -ENOMEM;
	r = fixup_volume_lookup(c->v, p, &real);
	if (r == 0)
		r = fixup_volume_read_at(c->v, real, 0, buf, sizeof(buf), &n);
	if (r == -ENOENT || r == -EISDIR)
		return 0;
	if (r < 0)
		return r;
	if (n >= 0x40 && buf[0] == 'M' && buf[1] == 'Z') {
		uint32_t pe = util_le32(buf + 0x3c);

		if (pe <= n - 6 && memcmp(buf + pe, "PE\0\0", 4) == 0 &&
		    (*ret = pe_machine_arch(util_le16(buf + pe + 4))))
			return 1;
	}
	(void)util_strv_pushf(&c->g->warnings, "%s: no valid PE header", real);
	return 0;
}

/* os.arch: the PE header of ntoskrnl.exe, else of the other System32
 * binaries every Windows has (cmd.exe is what libguestfs reads), else
 * PROCESSOR_ARCHITECTURE of Session Manager\Environment.  Nothing:
 * no fact (never guessed). */
static int
arch_fact(struct win_ctx *c)
{
	static const char *const bins[] = {
	        "ntoskrnl.exe", "cmd.exe",  "hal.dll",    "kernel32.dll",
	        "ntdll.dll",    "smss.exe", "winload.exe"};
	_cleanup_free_ char *key = NULL, *pa = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(bins); i++) {
		const char *a = NULL;

		r = pe_file_arch(c, bins[i], &a);
		if (r < 0)
			return r;
		if (r > 0)
			return set_fact(c, "os.arch", a);
	}

	if (util_asprintf(&key, "%s\\Control\\Session Manager\\Environment",
	                  c->cs) < 0)
		return -ENOMEM;
	r = hive_get_string(c->system, key, "PROCESSOR_ARCHITECTURE", &pa);
	if (r == 0) {
		if (strcaseeq(pa, "x86"))
			return set_fact(c, "os.arch", "i386");
		if (strcaseeq(pa, "AMD64"))
			return set_fact(c, "os.arch", "x86_64");
		if (strcaseeq(pa, "ARM64"))
			return set_fact(c, "os.arch", "aarch64");
		if (strcaseeq(pa, "IA64"))
			return set_fact(c, "os.arch", "ia64");
	}
	return util_strv_pushf(
	        &c->g->warnings,
	        "architecture unknown (no PE header in System32's "
	        "ntoskrnl.exe, cmd.exe, hal.dll ..., no "
	        "PROCESSOR_ARCHITECTURE): os.arch not set");
}

static int
version_facts(struct win_ctx *c)
{
	static const char *cv = "Microsoft\\Windows NT\\CurrentVersion";
	_cleanup_(hive_freep) struct hive *sw = NULL;
	_cleanup_free_ char *product = NULL, *ver = NULL, *build = NULL,
	                    *csd = NULL, *itype = NULL, *pt_key = NULL,
	                    *ptype = NULL, *sp = NULL;
	const char *type = NULL;
	uint32_t major, minor;
	int r = open_hive(c, "SOFTWARE", &sw);

	if (r == -ENOENT || r == -ENOTDIR)
		return util_strv_pushf(
		        &c->g->warnings,
		        "%s/System32/config/SOFTWARE is missing: no "
		        "version facts",
		        c->sysroot);
	if (r < 0)
		return r;
	if (hive_get_string(sw, cv, "ProductName", &product) == 0) {
		r = set_fact(c, "os.product", product);
		if (r < 0)
			return r;
	}
	if (hive_get_dword(sw, cv, "CurrentMajorVersionNumber", &major) == 0 &&
	    hive_get_dword(sw, cv, "CurrentMinorVersionNumber", &minor) == 0)
		r = util_strmap_setf(c->g->facts, "os.version",
		                     "%" PRIu32 ".%" PRIu32, major, minor);
	else if (hive_get_string(sw, cv, "CurrentVersion", &ver) == 0)
		r = set_fact(c, "os.version", ver);
	if (r < 0)
		return r;
	if (hive_get_string(sw, cv, "CurrentBuildNumber", &build) == 0 ||
	    hive_get_string(sw, cv, "CurrentBuild", &build) == 0) {
		r = set_fact(c, "os.build", build);
		if (r < 0)
			return r;
	}
	if (hive_get_string(sw, cv, "CSDVersion", &csd) == 0) {
		/* "Service Pack 3" -> "3" */
		const char *d = csd + strcspn(csd, "0123456789");

		d = util_strndup0(d, strspn(d, "0123456789"));
		if (!d)
			return -ENOMEM;
		sp = (char *)d;
	}
	r = set_fact(c, "os.service_pack", sp && sp[0] ? sp : "0");
	if (r < 0)
		return r;
	if (hive_get_string(sw, cv, "InstallationType", &itype) == 0)
		type = strcasestr(itype, "server") ? "server" : "client";
	else if (product && strcasestr(product, "server"))
		type = "server";
	else {
		if (util_asprintf(&pt_key, "%s\\Control\\ProductOptions",
		                  c->cs) < 0)
			return -ENOMEM;
		if (hive_get_string(c->system, pt_key, "ProductType", &ptype) ==
		    0)
			type = strcaseeq(ptype, "WinNT") ? "client" : "server";
		else if (product)
			type = "client";
	}
	if (type)
		return set_fact(c, "os.product_type", type);
	return 0;
}

int
fixup_inspect_windows(struct fixup_volume *v, struct fixup_guest *g)
{
	struct win_ctx c = {.v = v, .g = g};
	_cleanup_free_ char *sr = NULL;
	int r;

	r = find_systemroot(&c);
	if (r <= 0)
		return r;
	r = util_mkdtemp("inspect", &c.tmpdir);
	if (r < 0)
		goto out;
	r = open_hive(&c, "SYSTEM", &c.system);
	if (r < 0)
		goto out;

	r = hive_current_control_set(c.system, &c.cs);
	if (r < 0) {
		r = fixup_set_error(r == -ENOENT ? -EBADMSG : r,
		                    "%s: %s: %s/System32/config/SYSTEM has no "
		                    "usable control set (Select\\Current)",
		                    fixup_image_path(fixup_volume_image(v)),
		                    fixup_volume_name(v), c.sysroot);
		goto out;
	}
	if (r > 0)
		(void)util_strv_pushf(
		        &c.g->warnings,
		        "SYSTEM\\Select\\Current missing: using %s", c.cs);
	g->systemroot = strdup(c.sysroot);
	sr = strdup(c.sysroot);
	if (!g->systemroot || !sr) {
		r = -ENOMEM;
		goto out;
	}
	for (char *p = sr; *p; p++)
		if (*p == '/')
			*p = '\\';
	if ((r = set_fact(&c, "os.family", "windows")) < 0 ||
	    (r = set_fact(&c, "os.distro", "windows")) < 0 ||
	    (r = set_fact(&c, "windows.systemroot", sr)) < 0 ||
	    (r = set_fact(&c, "windows.control_set", c.cs)) < 0 ||
	    (r = set_fact(&c, "windows.driver_database",
	                  hive_key_exists(c.system, "DriverDatabase") == 0
	                          ? "true"
	                          : "false")) < 0)
		goto out;
	if ((r = services_facts(&c)) < 0 || (r = hal_fact(&c)) < 0 ||
	    (r = boot_driver_fact(&c)) < 0 || (r = platform_fact(&c)) < 0 ||
	    (r = arch_fact(&c)) < 0 || (r = version_facts(&c)) < 0 ||
	    (r = win_hostname_fact(c.system, c.cs, g->facts)) < 0 ||
	    (r = win_drive_facts(c.system,
	                         fixup_image_layout(fixup_volume_image(v)),
	                         g->facts)) < 0)
		goto out;
	/* The plan reads the same hive: hand it over. */
	g->system_copy = util_path_join(c.tmpdir, "SYSTEM");
	if (!g->system_copy) {
		r = -ENOMEM;
		goto out;
	}
	g->tmpdir = TAKE_PTR(c.tmpdir);
	g->system_hive = TAKE_PTR(c.system);
	r = 1;
out:
	hive_free(c.system);
	free(c.cs);
	free(c.sysroot);
	util_strv_free(c.services);
	if (c.tmpdir) {
		(void)util_rmdtemp(c.tmpdir);
		free(c.tmpdir);
	}
	return r;
}
