/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HAL and kernel swaps for NT5 (and Vista x86): the HAL types (WINDOWS.md
 * 1.4) as data, the current HAL from the registry and repair\setup.log, and
 * the plan of a swap — which cached files go where, the registry edit and
 * either the boot.ini entry (non-destructive mode) or the originals to
 * journal (replace mode).  ACPI <-> non-ACPI switches are refused
 * (KB309283).  The plan is plain data; fixup/ applies it.
 */
#include "patchcache-internal.h"

static const struct pcache_hal_type hal_types[] = {
        {"e_isa_up", "hal.dll", "Standard PC", false, false},
        {"acpipic_up", "halacpi.dll",
         "Advanced Configuration and Power "
         "Interface (ACPI) PC",
         true, false},
        {"acpiapic_up", "halaacpi.dll", "ACPI Uniprocessor PC", true, false},
        {"acpiapic_mp", "halmacpi.dll", "ACPI Multiprocessor PC", true, true},
        {"mps_up", "halapic.dll", "MPS Uniprocessor PC", false, false},
        {"mps_mp", "halmps.dll", "MPS Multiprocessor PC", false, true},
};

size_t
pcache_hal_types(const struct pcache_hal_type **ret)
{
	*ret = hal_types;
	return ELEMENTSOF(hal_types);
}

const struct pcache_hal_type *
pcache_hal_lookup(const char *hwid_or_file)
{
	if (!hwid_or_file)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(hal_types); i++)
		if (strcaseeq(hwid_or_file, hal_types[i].hwid) ||
		    strcaseeq(hwid_or_file, hal_types[i].file))
			return &hal_types[i];
	return NULL;
}

/* ---- current HAL -------------------------------------------------------- */

static char *
mfree_str(char *s)
{
	free(s);
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
pcache_setup_log_hal(const char *text, size_t len, char **ret_file)
{
	_cleanup_free_ char *conv = NULL, *copy = NULL;
	bool in_section = false;
	char *p, *nl;

	if (len > PCACHE_MAX_SETUP_LOG)
		return -EFBIG;
	/* setup.log is ANSI on NT5; accept UTF-16LE with a BOM too. */
	if (len >= 2 && (uint8_t)text[0] == 0xff && (uint8_t)text[1] == 0xfe) {
		size_t n;
		int r = util_utf16le_to_utf8(text + 2, (len - 2) & ~(size_t)1,
		                             &conv, &n);

		if (r < 0)
			return -EBADMSG;
		text = conv;
		len = n;
	}
	copy = util_strndup0(text, len);
	if (!copy)
		return -ENOMEM;
	for (p = copy; p && *p; p = nl) {
		char *line, *eq, *val, *q;

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		line = trim(p);
		if (line[0] == '[') {
			in_section =
			        util_startswith_case(line, "[Files.WinNt]");
			continue;
		}
		if (!in_section)
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!util_endswith_case(trim(line), "\\system32\\hal.dll"))
			continue;
		val = trim(eq + 1);
		if (val[0] != '"')
			return -EBADMSG;
		q = strchr(val + 1, '"');
		if (!q || q == val + 1)
			return -EBADMSG;
		*q = '\0';
		return pcache_normalize_name(val + 1, ret_file) < 0 ? -EBADMSG
		                                                    : 0;
	}
	return -ENOENT;
}

int
pcache_hal_read_current(struct hive *system, const char *control_set,
                        char **ret_hwid)
{
	static const char *const keys[] = {"ACPI_HAL", "PCI_HAL"};

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		_cleanup_strv_free_ char **ids = NULL;
		_cleanup_free_ char *key = NULL;
		int r;

		if (util_asprintf(&key, "%s\\Enum\\Root\\%s\\0000", control_set,
		                  keys[i]) < 0)
			return -ENOMEM;
		r = hive_get_multi_sz(system, key, "HardwareID", &ids);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (!ids || !ids[0] || !*ids[0] ||
		    strlen(ids[0]) > PCACHE_MAX_NAME)
			return -EBADMSG;
		key = mfree_str(key);
		key = strdup(ids[0]);
		if (!key)
			return -ENOMEM;
		*ret_hwid = util_strtolower(TAKE_PTR(key));
		return 0;
	}
	return -ENOENT;
}

/* ---- planning ----------------------------------------------------------- */

void
pcache_hal_plan_done(struct pcache_hal_plan *p)
{
	for (size_t i = 0; i < p->n_puts; i++) {
		free(p->puts[i].host_path);
		free(p->puts[i].guest_path);
		free(p->puts[i].source_name);
	}
	free(p->puts);
	hive_edits_done(&p->edits);
	free(p->bootini.title_suffix);
	free(p->bootini.switches);
	util_strv_free(p->journal);
	*p = (struct pcache_hal_plan){0};
}

static bool
guest_has(const struct pcache_hal_request *req, const char *guest_path)
{
	static const char *const installed[] = {
	        "system32\\hal.dll",
	        "system32\\ntoskrnl.exe",
	        "system32\\ntkrnlpa.exe",
	};
	struct pcache_pe_info pi;

	if (req->reader && req->reader->read_pe)
		return req->reader->read_pe(req->reader->userdata, guest_path,
		                            &pi) != -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(installed); i++)
		if (strcaseeq(guest_path, installed[i]))
			return true;
	return false;
}

/* The cached copy of name at exactly version. */
static int
find_exact(const struct pcache *c, const char *name, enum pcache_arch arch,
           uint64_t version, char **ret_path, char **ret_error)
{
	_cleanup_free_ const struct pcache_entry **cand = NULL;
	_cleanup_free_ char *have = NULL;
	char want[PCACHE_VERSION_STRLEN];
	int n;

	n = c ? pcache_find(c, name, arch, &cand) : 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (cand[i]->version == version) {
			*ret_path = pcache_entry_path(c, cand[i]);
			return *ret_path ? 0 : -ENOMEM;
		}
	for (int i = 0; i < n; i++) {
		char v[PCACHE_VERSION_STRLEN];
		char *nh = NULL;

		if (util_asprintf(
		            &nh, "%s%s%s", have ? have : "", have ? ", " : "",
		            pcache_version_format(cand[i]->version, v)) < 0)
			return -ENOMEM;
		free(have);
		have = nh;
	}
	pcache_version_format(version, want);
	pcache_set_error(ret_error, NULL, 0,
	                 "the patch cache has no %s %s at version %s (the "
	                 "guest kernel's version)%s%s; add the files of the "
	                 "guest's service pack/hotfix level",
	                 pcache_arch_to_string(arch), name, want,
	                 have ? ", only " : "", have ? have : "");
	return -ENOENT;
}

static int
add_put(struct pcache_hal_plan *p, char *host_path, const char *guest_path,
        const char *source_name, uint64_t version)
{
	struct pcache_file_put *v;

	v = realloc(p->puts, (p->n_puts + 1) * sizeof(*v));
	if (!v) {
		free(host_path);
		return -ENOMEM;
	}
	p->puts = v;
	v[p->n_puts] = (struct pcache_file_put){
	        .host_path = host_path,
	        .guest_path = strdup(guest_path),
	        .source_name = strdup(source_name),
	        .version = version,
	};
	p->n_puts++;
	if (!v[p->n_puts - 1].guest_path || !v[p->n_puts - 1].source_name)
		return -ENOMEM;
	return 0;
}

/* A System32 name for a copy that must not clash with a guest file:
 * the media name when free, else IFHALn.DLL / IFKRNn.EXE (8.3). */
static int
free_name(const struct pcache_hal_request *req, const char *media_name,
          const char *alt_stem, const char *ext, char **ret)
{
	_cleanup_free_ char *gp = NULL;

	if (util_asprintf(&gp, "system32\\%s", media_name) < 0)
		return -ENOMEM;
	if (!guest_has(req, gp)) {
		*ret = strdup(media_name);
		return *ret ? 0 : -ENOMEM;
	}
	for (unsigned i = 1; i <= 9; i++) {
		_cleanup_free_ char *name = NULL;

		free(gp);
		gp = NULL;
		if (util_asprintf(&name, "%s%u.%s", alt_stem, i, ext) < 0 ||
		    util_asprintf(&gp, "system32\\%s", name) < 0)
			return -ENOMEM;
		if (!guest_has(req, gp)) {
			*ret = TAKE_PTR(name);
			return 0;
		}
	}
	return -EEXIST;
}

static int
plan_nondestructive(const struct pcache_hal_request *req,
                    struct pcache_hal_plan *p, const char *hal_src,
                    char *hal_host, const char *krnl_src, char *krnl_host,
                    char **ret_error)
{
	_cleanup_free_ char *hal_name = NULL, *krnl_name = NULL;
	_cleanup_free_ char *gp = NULL;
	int r;

	r = free_name(req, hal_src, "ifhal", "dll", &hal_name);
	if (r >= 0)
		r = free_name(req, krnl_src, "ifkrn", "exe", &krnl_name);
	if (r < 0) {
		free(hal_host);
		free(krnl_host);
		pcache_set_error(ret_error, NULL, 0,
		                 "no free file name for the HAL/kernel copy in "
		                 "System32");
		return r;
	}
	if (util_asprintf(&gp, "system32\\%s", hal_name) < 0) {
		free(krnl_host);
		free(hal_host);
		return -ENOMEM;
	}
	r = add_put(p, hal_host, gp, hal_src, p->kernel_version);
	free(gp);
	gp = NULL;
	if (r < 0) {
		free(krnl_host);
		return r;
	}
	if (util_asprintf(&gp, "system32\\%s", krnl_name) < 0) {
		free(krnl_host);
		return -ENOMEM;
	}
	r = add_put(p, krnl_host, gp, krnl_src, p->kernel_version);
	if (r < 0)
		return r;
	/* /PAE or /NOPAE keeps the loader's paging mode in line with the
	 * kernel named by /kernel=. */
	if (util_asprintf(&p->bootini.switches, "/kernel=%s /hal=%s %s",
	                  krnl_name, hal_name,
	                  req->pae ? "/PAE" : "/NOPAE") < 0 ||
	    util_asprintf(&p->bootini.title_suffix, " [imgfix: %s]",
	                  p->to->title) < 0)
		return -ENOMEM;
	p->bootini.make_default = true;
	return 0;
}

static int
plan_replace(const struct pcache_hal_request *req, struct pcache_hal_plan *p,
             const char *hal_src, char *hal_host, char **ret_error)
{
	/* Kernels by installed name: the MP or UP build of each. */
	const char *krnl_src[2] = {
	        p->to->mp ? "ntkrnlmp.exe" : "ntoskrnl.exe",
	        p->to->mp ? "ntkrpamp.exe" : "ntkrnlpa.exe",
	};
	static const char *const krnl_dst[2] = {"ntoskrnl.exe", "ntkrnlpa.exe"};
	_cleanup_free_ char *key = NULL;
	int r;

	if (!req->control_set) {
		free(hal_host);
		pcache_set_error(ret_error, NULL, 0,
		                 "replace mode needs the control set");
		return -EINVAL;
	}
	r = add_put(p, hal_host, "system32\\hal.dll", hal_src,
	            p->kernel_version);
	if (r < 0)
		return r;
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *gp = NULL;
		char *host = NULL;

		if (util_asprintf(&gp, "system32\\%s", krnl_dst[i]) < 0)
			return -ENOMEM;
		/* The PAE kernel only when the guest has one installed. */
		if (i == 1 && !guest_has(req, gp))
			continue;
		r = find_exact(req->cache, krnl_src[i], req->guest->arch,
		               p->kernel_version, &host, ret_error);
		if (r < 0)
			return r;
		r = add_put(p, host, gp, krnl_src[i], p->kernel_version);
		if (r < 0)
			return r;
	}
	/* Windows File Protection would put the old files back from
	 * dllcache: update the copies that exist there. */
	for (size_t i = 0, n = p->n_puts; i < n; i++) {
		_cleanup_free_ char *gp = NULL, *host = NULL;
		const char *base = strrchr(p->puts[i].guest_path, '\\') + 1;

		if (util_asprintf(&gp, "system32\\dllcache\\%s", base) < 0)
			return -ENOMEM;
		if (req->reader && !guest_has(req, gp))
			continue;
		host = strdup(p->puts[i].host_path);
		if (!host)
			return -ENOMEM;
		r = add_put(p, TAKE_PTR(host), gp, p->puts[i].source_name,
		            p->puts[i].version);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->n_puts; i++) {
		r = util_strv_push(&p->journal, p->puts[i].guest_path);
		if (r < 0)
			return r;
	}
	if (util_asprintf(&key, "%s\\Enum\\Root\\%s\\0000", req->control_set,
	                  p->to->acpi ? "ACPI_HAL" : "PCI_HAL") < 0)
		return -ENOMEM;
	return hive_edits_set_multi_sz(&p->edits, key, "HardwareID",
	                               (char *[]){(char *)p->to->hwid, NULL});
}

int
pcache_hal_plan(const struct pcache_hal_request *req,
                struct pcache_hal_plan *ret, char **ret_error)
{
	struct pcache_hal_plan p = {.mode = req->mode};
	const char *cur = req->current_hal ? req->current_hal : req->guest->hal;
	char *hal_host = NULL, *krnl_host = NULL;
	const char *krnl_src;
	int r;

	p.from = pcache_hal_lookup(cur);
	p.to = pcache_hal_lookup(req->target_hal);
	if (!p.from) {
		pcache_set_error(ret_error, NULL, 0,
		                 "the guest's current HAL '%s' is unknown",
		                 cur ? cur : "");
		return -EINVAL;
	}
	if (!p.to) {
		pcache_set_error(ret_error, NULL, 0, "unknown target HAL '%s'",
		                 req->target_hal ? req->target_hal : "");
		return -EINVAL;
	}
	if (p.from == p.to) {
		pcache_set_error(ret_error, NULL, 0,
		                 "the guest already uses the %s HAL (%s)",
		                 p.to->hwid, p.to->file);
		return -EALREADY;
	}
	if (p.from->acpi != p.to->acpi) {
		pcache_set_error(
		        ret_error, NULL, 0,
		        "refusing to switch from the %s HAL (%s) to the "
		        "%s HAL (%s): switching between ACPI and "
		        "non-ACPI HALs is not supported (KB309283); "
		        "repair-install Windows instead",
		        p.from->acpi ? "ACPI" : "non-ACPI", p.from->hwid,
		        p.to->acpi ? "ACPI" : "non-ACPI", p.to->hwid);
		return -EXDEV;
	}
	if (req->guest->os_major == 6 && req->guest->os_minor == 0) {
		pcache_set_error(ret_error, NULL, 0,
		                 "Vista detects its HAL at boot: set the BCD "
		                 "element detecthal (0x26000010) instead of "
		                 "swapping files");
		return -EOPNOTSUPP;
	}
	if (req->guest->arch != PCACHE_ARCH_I386 || req->guest->os_major != 5) {
		pcache_set_error(ret_error, NULL, 0,
		                 "HAL/kernel file swaps apply to x86 Windows "
		                 "2000, XP and 2003 only");
		return -EOPNOTSUPP;
	}
	p.kernel_version = req->kernel_version;
	if (!p.kernel_version && req->reader && req->reader->read_pe) {
		struct pcache_pe_info pi;

		if (req->reader->read_pe(req->reader->userdata,
		                         "system32\\ntoskrnl.exe", &pi) >= 0 &&
		    pi.has_version)
			p.kernel_version = pi.file_version;
	}
	if (!p.kernel_version) {
		pcache_set_error(ret_error, NULL, 0,
		                 "cannot tell the version of the guest's "
		                 "System32\\ntoskrnl.exe");
		return -ENOENT;
	}

	r = find_exact(req->cache, p.to->file, PCACHE_ARCH_I386,
	               p.kernel_version, &hal_host, ret_error);
	if (r < 0)
		return r;
	if (req->mode == PCACHE_HAL_NONDESTRUCTIVE) {
		krnl_src =
		        p.to->mp ? (req->pae ? "ntkrpamp.exe" : "ntkrnlmp.exe")
		                 : (req->pae ? "ntkrnlpa.exe" : "ntoskrnl.exe");
		r = find_exact(req->cache, krnl_src, PCACHE_ARCH_I386,
		               p.kernel_version, &krnl_host, ret_error);
		if (r < 0) {
			free(hal_host);
			return r;
		}
		r = plan_nondestructive(req, &p, p.to->file, hal_host, krnl_src,
		                        krnl_host, ret_error);
	} else
		r = plan_replace(req, &p, p.to->file, hal_host, ret_error);
	if (r < 0) {
		pcache_hal_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}
