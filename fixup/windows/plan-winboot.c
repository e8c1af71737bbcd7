/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows boot configuration and patch-cache actions → ops: boot.ini ARC
 * paths, BCD device elements (and detecthal, UEFI fallback loader),
 * MountedDevices, NTFS boot sector geometry (WINDOWS.md §3), require-file
 * and swap-hal through patchcache/ (WINDOWS.md §1.4, §4).  The fixers
 * themselves are pure (bootini.c, bcd.c, mounteddevices.c, bootsector.c);
 * this file feeds them the image's real layout and turns their results into
 * ops.
 */
#include "patchcache.h"
#include "rules.h"
#include "image/volume.h"
#include "windows/plan-windows.h"
#include "windows/winboot.h"

struct layout_buf {
	struct winboot_layout l;
	struct winboot_partition parts[FIXUP_MAX_PARTITIONS];
};

/* The image's layout in winboot's terms.  -EOPNOTSUPP for directories. */
static int
layout_of(struct win_ctx *w, struct layout_buf *b)
{
	const struct fixup_disk_layout *d = fixup_image_layout(w->in->image);
	size_t root = fixup_volume_index(w->in->root), n = 0;

	if (fixup_image_is_dir(w->in->image) || d->style == FIXUP_DISK_NONE)
		return -EOPNOTSUPP;
	*b = (struct layout_buf){0};
	b->l.style = d->style == FIXUP_DISK_GPT ? WINBOOT_STYLE_GPT
	                                        : WINBOOT_STYLE_MBR;
	b->l.mbr_signature = d->mbr_signature;
	if (d->gpt_guid)
		(void)winboot_guid_parse(d->gpt_guid, b->l.disk_guid);
	b->l.disk_size = d->size;
	b->l.windows_part = b->l.boot_part = -1;
	for (size_t i = 0; i < d->n_parts && n < FIXUP_MAX_PARTITIONS; i++) {
		const struct fixup_partition *fp = &d->parts[i];
		struct winboot_partition *wp = &b->parts[n];
		uint32_t t = 0;

		if (fp->number == 0)
			continue;
		wp->index = fp->number;
		wp->start = fp->start;
		wp->size = fp->size;
		if (fp->uuid)
			(void)winboot_guid_parse(fp->uuid, wp->guid);
		if (fp->type && b->l.style == WINBOOT_STYLE_GPT)
			(void)winboot_guid_parse(fp->type, wp->type_guid);
		else if (fp->type && util_parse_u32(fp->type, &t) == 0)
			wp->mbr_type = (uint8_t)t;
		if (i == root)
			b->l.windows_part = (int)n;
		if ((b->l.style == WINBOOT_STYLE_MBR && fp->bootable) ||
		    (b->l.style == WINBOOT_STYLE_GPT && fp->esp))
			b->l.boot_part = (int)n;
		n++;
	}
	if (b->l.boot_part < 0)
		b->l.boot_part = b->l.windows_part;
	b->l.partitions = b->parts;
	b->l.n_partitions = n;
	return winboot_layout_check(&b->l);
}

/* Partition index (in the image layout) of layout entry k. */
static size_t
image_index(struct win_ctx *w, const struct layout_buf *b, int k)
{
	const struct fixup_disk_layout *d = fixup_image_layout(w->in->image);

	for (size_t i = 0; i < d->n_parts; i++)
		if (d->parts[i].number == b->parts[k].index)
			return i;
	return fixup_volume_index(w->in->root);
}

static int
report_notes(struct win_ctx *w, const char *origin,
             const struct winboot_report *rep)
{
	for (size_t i = 0; i < rep->n_changes; i++)
		fixup_plan_record(
		        w->p, origin, "%s: %s -> %s", rep->changes[i].what,
		        rep->changes[i].before ? rep->changes[i].before
		                               : "(none)",
		        rep->changes[i].after ? rep->changes[i].after
		                              : "(removed)");
	STRV_FOREACH (n, rep->notes)
		fixup_plan_note(w->p, "%s: %s", origin, *n);
	return 0;
}

static int
not_on_dir(struct win_ctx *w, const char *origin, const char *what)
{
	return fixup_plan_note(w->p,
	                       "%s: %s skipped: the image is a directory, its "
	                       "disk layout is unknown",
	                       origin, what);
}

/* The volume of the partition the firmware boots (boot.ini, \Boot\BCD). */
static int
boot_volume(struct win_ctx *w, const struct layout_buf *b,
            struct fixup_volume **ret)
{
	return fixup_image_open_volume(w->in->image,
	                               image_index(w, b, b->l.boot_part), ret);
}

static int
boot_ini(struct win_ctx *w, const struct rules_action *a, const char *origin)
{
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *bi = NULL;
	_cleanup_free_ char *text = NULL, *out = NULL, *err = NULL,
	                    *path = NULL;
	struct winboot_report rep = {0};
	struct fixup_volume *v;
	struct layout_buf b;
	size_t len, n;
	int r;

	if (layout_of(w, &b) < 0)
		return not_on_dir(w, origin, "boot.ini");
	r = boot_volume(w, &b, &v);
	if (r < 0)
		return fixup_plan_add_problem(w->p, origin, false, NULL,
		                              "cannot open the boot partition "
		                              "to fix boot.ini: %s",
		                              strerror(-r));
	if (fixup_volume_lookup(v, "boot.ini", &path) < 0)
		return fixup_plan_warn(w->p, "%s: no boot.ini on %s", origin,
		                       fixup_volume_name(v));
	r = fixup_volume_read_file(v, path, WINBOOT_BOOTINI_MAX_SIZE, &text,
	                           &len);
	if (r < 0)
		return log_error_errno(r, "Failed to read %s: %m", path);
	r = winboot_bootini_parse(text, len, &bi, &err);
	if (r < 0)
		return log_error_errno(r, "%s: %s", path,
		                       err ? err : "bad file");
	/* A P2V/V2V copy usually has a new disk signature, but boot.ini still
	 * names the old one: the disk Windows was installed on (its C: in
	 * MountedDevices) is this disk now. */
	{
		struct hive_value c = {0};
		uint32_t old_sig;

		if (b.l.style == WINBOOT_STYLE_MBR &&
		    hive_get_value(w->system_ro, "MountedDevices",
		                   "\\DosDevices\\C:", &c) >= 0) {
			if (winboot_mdev_classify(c.data, c.len, &old_sig, NULL,
			                          NULL) == WINBOOT_MDEV_MBR &&
			    old_sig != b.l.mbr_signature) {
				fixup_plan_note(
				        w->p,
				        "%s: boot.ini paths naming the "
				        "old disk signature %08x are this "
				        "disk (%08x)",
				        origin, old_sig, b.l.mbr_signature);
				b.l.mbr_signature = old_sig;
			}
			hive_value_done(&c);
		}
	}
	r = winboot_bootini_fix_arc(bi, &b.l, &rep);
	if (r >= 0 && rules_action_get(a, "timeout"))
		fixup_plan_note(w->p, "%s: boot.ini timeout is left as it is",
		                origin);
	if (r >= 0)
		r = winboot_bootini_render(bi, &out, &n);
	if (r >= 0)
		r = fixup_plan_write_file(w->p, v, path, origin,
		                          "boot.ini ARC paths", out, n);
	if (r >= 0)
		report_notes(w, origin, &rep);
	winboot_report_done(&rep);
	return r;
}

static int
efi_exists(const char *path, void *userdata)
{
	struct fixup_volume *v = userdata;
	_cleanup_free_ char *real = NULL;
	int r = fixup_volume_lookup(v, path, &real);

	return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

static int
bcd_fix(struct win_ctx *w, const struct rules_action *a, const char *origin)
{
	const char *devices = rules_action_get(a, "devices");
	const char *detecthal = rules_action_get(a, "detecthal");
	const char *fallback = rules_action_get(a, "uefi-fallback");
	_cleanup_(hive_freep) struct hive *bcd = NULL;
	_cleanup_free_ char *path = NULL;
	struct winboot_report rep = {0};
	struct fixup_volume *v;
	struct fixup_op *op;
	struct layout_buf b;
	int r;

	if (layout_of(w, &b) < 0)
		return not_on_dir(w, origin, "BCD");
	r = boot_volume(w, &b, &v);
	if (r < 0) {
		const char *fst =
		        fixup_image_layout(w->in->image)
		                ->parts[image_index(w, &b, b.l.boot_part)]
		                .fstype;

		return fixup_plan_add_problem(
		        w->p, origin, false,
		        "a FAT EFI system partition needs the guestfs backend",
		        "cannot open the boot partition (%s) to fix the BCD: "
		        "%s",
		        fst ? fst : "unknown filesystem", strerror(-r));
	}
	if (fixup_volume_lookup(v, "Boot/BCD", &path) < 0 &&
	    fixup_volume_lookup(v, "EFI/Microsoft/Boot/BCD", &path) < 0)
		return fixup_plan_warn(w->p, "%s: no BCD store on %s", origin,
		                       fixup_volume_name(v));
	r = fixup_plan_hive_op(w->p, v, "BCD", path, origin, &op);
	if (r >= 0)
		r = hive_edits_set_origin(&op->edits, origin);
	if (r >= 0)
		r = hive_open(op->hive_before, 0, &bcd);
	if (r < 0)
		return log_error_errno(r, "Failed to read the BCD store %s: %m",
		                       path);
	if (!devices || !streq(devices, "false")) {
		r = winboot_bcd_fix_devices(bcd, &b.l, &op->edits, &rep);
		if (r < 0)
			return log_error_errno(r, "Failed to fix %s: %m", path);
	}
	if (detecthal && streq(detecthal, "true") &&
	    streq_ptr(win_fact(w, "os.version"), "6.0") &&
	    (r = win_need_arch(w, origin, "the Vista detecthal fix")) < 0)
		return r;
	if (detecthal && streq(detecthal, "true") &&
	    streq_ptr(win_fact(w, "os.arch"), "i386") &&
	    streq_ptr(win_fact(w, "os.version"), "6.0")) {
		r = winboot_bcd_set_detecthal(bcd, NULL, &op->edits, &rep);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (fallback && streq(fallback, "true") &&
	    b.l.style == WINBOOT_STYLE_GPT &&
	    (r = win_need_arch(w, origin, "the UEFI fallback loader")) != 0) {
		const char *src = NULL, *dst = NULL;

		if (r < 0)
			return r;

		r = winboot_uefi_fallback_needed(
		        streq_ptr(win_fact(w, "os.arch"), "i386") ? "x86"
		                                                  : "x64",
		        efi_exists, v, &src, &dst, &rep);
		if (r > 0) {
			_cleanup_free_ char *real = NULL, *buf = NULL;
			size_t n;

			r = fixup_volume_lookup(v, src, &real);
			if (r >= 0)
				r = fixup_volume_read_file(v, real, 64u << 20,
				                           &buf, &n);
			if (r >= 0) {
				_cleanup_free_ char *d = strdup(dst);
				for (char *q = d; q && *q; q++)
					if (*q == '\\')
						*q = '/';
				r = d ? fixup_plan_write_file(
				                w->p, v, d, origin,
				                "UEFI fallback boot loader",
				                buf, n)
				      : -ENOMEM;
			}
		}
		if (r < 0 && r != -ENOENT)
			return r;
	}
	report_notes(w, origin, &rep);
	winboot_report_done(&rep);
	return 0;
}

static int
mounted_devices(struct win_ctx *w, const struct rules_action *a,
                const char *origin)
{
	const char *mode = rules_action_get(a, "mode");
	struct winboot_report rep = {0};
	struct hive_edits *e;
	struct layout_buf b;
	int r;

	if (layout_of(w, &b) < 0)
		return not_on_dir(w, origin, "MountedDevices");
	r = win_system_edits(w, origin, &e);
	if (r < 0)
		return r;
	r = winboot_mdev_fix(w->system_ro, &b.l, 'C', e, &rep);
	if (r < 0)
		return log_error_errno(r, "Failed to check MountedDevices: %m");
	if (r > 0 && mode && streq(mode, "keep-signature"))
		fixup_plan_note(
		        w->p,
		        "%s: the disk signature changed; MountedDevices "
		        "rewritten to the new layout",
		        origin);
	report_notes(w, origin, &rep);
	winboot_report_done(&rep);
	return 0;
}

static int
ntfs_geometry(struct win_ctx *w, const struct rules_action *a,
              const char *origin)
{
	const char *heads = rules_action_get(a, "heads");
	bool nt5 = w->target.major > 0 && w->target.major < 6;
	uint8_t sector[512], orig[512];
	struct winboot_bootsector_result res;
	struct winboot_report rep = {0};
	const struct fixup_partition *part;
	struct fixup_op *op;
	struct layout_buf b;
	int r;

	if (layout_of(w, &b) < 0)
		return not_on_dir(w, origin, "NTFS geometry");
	part = fixup_volume_partition(w->in->root);
	r = fixup_volume_read_boot(w->in->root, 0, sector, sizeof(sector));
	if (r < 0)
		return log_error_errno(r, "Failed to read the boot sector: %m");
	memcpy(orig, sector, sizeof(sector));
	r = winboot_ntfs_bootsector_fix(
	        sector, sizeof(sector), part->start, b.l.disk_size,
	        nt5 && !(heads && streq(heads, "keep")), &res, &rep);
	if (r < 0)
		return log_error_errno(r, "The NTFS boot sector of %s: %m",
		                       fixup_volume_name(w->in->root));
	if (res.changed) {
		r = fixup_plan_add_op(w->p, FIXUP_OP_BOOT_BYTES,
		                      "(boot sector)", origin, &op);
		if (r < 0)
			return r;
		op->vol = w->in->root;
		op->data = malloc(sizeof(sector));
		op->old = malloc(sizeof(orig));
		if (!op->data || !op->old)
			return -ENOMEM;
		memcpy(op->data, sector, sizeof(sector));
		memcpy(op->old, orig, sizeof(orig));
		op->len = op->old_len = sizeof(sector);
		op->existed = true;
		if (util_asprintf(&op->summary,
		                  "NTFS boot sector: hidden sectors %u -> %u, "
		                  "heads %u -> %u",
		                  res.old_hidden, res.new_hidden, res.old_heads,
		                  res.new_heads) < 0)
			return -ENOMEM;
	}
	report_notes(w, origin, &rep);
	winboot_report_done(&rep);
	return 0;
}

/* Reads PE info of a guest file (relative to the systemroot). */
static int
read_pe(void *userdata, const char *guest_path, struct pcache_pe_info *ret)
{
	struct win_ctx *w = userdata;
	_cleanup_free_ char *p = win_path(w, guest_path), *buf = NULL;
	size_t len;
	int r;

	if (!p)
		return -ENOMEM;
	r = fixup_volume_read_file(w->in->root, p, 256u << 20, &buf, &len);
	if (r < 0)
		return r;
	return pcache_pe_parse(buf, len, ret);
}

static int
require_file(struct win_ctx *w, const struct rules_action *a,
             const char *origin)
{
	const char *file = rules_action_get(a, "file");
	const char *minv = rules_action_get(a, "min-version");
	const char *only = rules_action_get(a, "only-if-missing");
	_cleanup_(pcache_freep) struct pcache *cache = NULL;
	_cleanup_free_ char *err = NULL, *gp = NULL;
	struct pcache_pe_info pe;
	uint64_t want = 0;
	int r;

	if (!file)
		return -EINVAL;
	if (minv && pcache_version_parse(minv, &want) < 0)
		return log_error_errno(-EINVAL, "Rule %s: bad min-version %s.",
		                       origin, minv);
	/* Present in the guest at a good version: nothing to do. */
	r = read_pe(w, file, &pe);
	if (r >= 0 && (want == 0 || pe.file_version >= want))
		return fixup_plan_record(w->p, origin,
		                         "%s present in the guest", file);
	if (r >= 0 && only && streq(only, "true"))
		return 0;
	r = win_need_arch(w, origin, "a file from the patch cache");
	if (r <= 0)
		return r;
	if (!w->in->cache)
		return fixup_plan_add_problem(
		        w->p, origin, true,
		        "add install media or the file with 'imgfix "
		        "patchcache add' and pass -p CACHE",
		        "%s%s%s needed and no patch cache given", file,
		        minv ? " >= " : "", minv ? minv : "");
	r = pcache_open(w->in->cache, false, &cache, &err);
	if (r < 0)
		return log_error_errno(r, "Patch cache %s: %s", w->in->cache,
		                       err ? err : "%m");
	const char *base = strrchr(file, '\\');
	const struct pcache_entry **found = NULL;
	base = base ? base + 1 : file;
	r = pcache_find(cache, base,
	                streq_ptr(win_fact(w, "os.arch"), "i386")
	                        ? PCACHE_ARCH_I386
	                        : PCACHE_ARCH_AMD64,
	                &found);
	if (r < 0)
		return r;
	const struct pcache_entry *best = NULL;
	for (int i = 0; i < r; i++)
		if (want == 0 || found[i]->version >= want)
			best = found[i];
	free(found);
	if (!best)
		return fixup_plan_add_problem(
		        w->p, origin, true,
		        "add it with 'imgfix patchcache add' (see 'imgfix "
		        "check')",
		        "%s%s%s is neither in the guest nor in the patch cache",
		        file, minv ? " >= " : "", minv ? minv : "");
	gp = win_path(w, file);
	if (!gp)
		return -ENOMEM;
	struct fixup_op *op;
	r = fixup_plan_add_op(w->p, FIXUP_OP_PUT_FILE, gp, origin, &op);
	if (r < 0)
		return r;
	op->vol = w->in->root;
	op->source = pcache_entry_path(cache, best);
	if (!op->source ||
	    util_asprintf(&op->summary, "required file from the patch cache") <
	            0)
		return -ENOMEM;
	return fixup_plan_record(w->p, origin, "%s from the patch cache", file);
}

static int
swap_hal(struct win_ctx *w, const struct rules_action *a, const char *origin)
{
	const char *hal = rules_action_get(a, "hal");
	const char *mode = rules_action_get(a, "mode");
	_cleanup_(pcache_freep) struct pcache *cache = NULL;
	_cleanup_free_ char *err = NULL, *current = NULL;
	struct pcache_guest g = {0};
	struct pcache_hal_plan hp = {0};
	struct pcache_guest_reader reader = {read_pe, w};
	int r;

	if (!w->in->cache)
		return fixup_plan_add_problem(
		        w->p, origin, true,
		        "add the install media's I386 folder and service "
		        "pack with 'imgfix patchcache add' and pass -p CACHE",
		        "HAL swap to %s needs a patch cache", hal);
	r = pcache_open(w->in->cache, false, &cache, &err);
	if (r < 0)
		return log_error_errno(r, "Patch cache %s: %s", w->in->cache,
		                       err ? err : "%m");
	free(err);
	err = NULL;
	r = pcache_guest_from_facts(w->in->facts, &g, &err);
	if (r < 0)
		return log_error_errno(r, "%s", err ? err : "bad facts");
	(void)pcache_hal_read_current(w->system_ro, w->control_set, &current);
	struct pcache_hal_request req = {
	        .guest = &g,
	        .cache = cache,
	        .reader = &reader,
	        .current_hal = current,
	        .target_hal = hal,
	        .control_set = w->control_set,
	        .mode = mode && streq(mode, "replace")
	                        ? PCACHE_HAL_REPLACE
	                        : PCACHE_HAL_NONDESTRUCTIVE,
	};
	free(err);
	err = NULL;
	r = pcache_hal_plan(&req, &hp, &err);
	if (r == -EALREADY) {
		r = fixup_plan_record(w->p, origin, "HAL is already %s", hal);
		goto out;
	}
	if (r == -EXDEV || r == -ENOENT) {
		r = fixup_plan_add_problem(
		        w->p, origin, true,
		        r == -ENOENT ? "add the files with 'imgfix patchcache "
		                       "add' (see 'imgfix check')"
		                     : "ACPI and non-ACPI HALs cannot be "
		                       "swapped (KB309283)",
		        "HAL swap to %s: %s", hal, err ? err : strerror(-r));
		goto out;
	}
	if (r < 0) {
		log_error_errno(r, "HAL swap: %s", err ? err : "%m");
		goto out;
	}
	for (size_t i = 0; i < hp.n_puts && r >= 0; i++) {
		_cleanup_free_ char *gp = win_path(w, hp.puts[i].guest_path);
		struct fixup_op *op;

		r = gp ? fixup_plan_add_op(w->p, FIXUP_OP_PUT_FILE, gp, origin,
		                           &op)
		       : -ENOMEM;
		if (r >= 0) {
			op->vol = w->in->root;
			op->source = strdup(hp.puts[i].host_path);
			r = op->source && util_asprintf(
			                          &op->summary,
			                          "HAL/kernel file %s",
			                          hp.puts[i].source_name) >= 0
			            ? 0
			            : -ENOMEM;
		}
	}
	if (r >= 0 && hp.edits.n > 0) {
		struct hive_edits *e;

		r = win_system_edits(w, origin, &e);
		if (r >= 0)
			r = hive_edits_append(e, &hp.edits);
	}
	if (r >= 0 && hp.mode == PCACHE_HAL_NONDESTRUCTIVE &&
	    hp.bootini.switches) {
		/* The new boot.ini entry, default, original kept. */
		_cleanup_(winboot_bootini_freep) struct winboot_bootini *bi =
		        NULL;
		_cleanup_free_ char *path = NULL, *text = NULL, *out = NULL,
		                    *arc = NULL, *title = NULL;
		struct winboot_report rep = {0};
		struct fixup_volume *v;
		struct layout_buf b;
		size_t len, n;

		r = layout_of(w, &b);
		if (r >= 0)
			r = boot_volume(w, &b, &v);
		if (r >= 0)
			r = fixup_volume_lookup(v, "boot.ini", &path);
		if (r >= 0)
			r = fixup_volume_read_file(
			        v, path, WINBOOT_BOOTINI_MAX_SIZE, &text, &len);
		/* Build on an earlier boot.ini op (boot-ini action). */
		for (size_t i = 0; r >= 0 && i < w->p->n_ops; i++)
			if (w->p->ops[i].kind == FIXUP_OP_WRITE_FILE &&
			    w->p->ops[i].vol == v &&
			    streq(w->p->ops[i].path, path)) {
				free(text);
				text = util_strndup0((char *)w->p->ops[i].data,
				                     w->p->ops[i].len);
				len = w->p->ops[i].len;
			}
		if (r >= 0)
			r = winboot_bootini_parse(text, len, &bi, NULL);
		if (r >= 0)
			r = winboot_bootini_arc_path(&b.l, w->systemroot + 1,
			                             &arc);
		/* Spell the path as the file does (ntldr's default= picks the
		 * first entry with that path: the new one, listed first). */
		if (r >= 0 && winboot_bootini_default(bi) &&
		    strcaseeq(winboot_bootini_default(bi), arc)) {
			free(arc);
			arc = strdup(winboot_bootini_default(bi));
			if (!arc)
				r = -ENOMEM;
		}
		if (r >= 0 && util_asprintf(&title, "Windows%s",
		                            hp.bootini.title_suffix
		                                    ? hp.bootini.title_suffix
		                                    : " [imgfix]") < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = winboot_bootini_add_entry(
			        bi, arc, title, hp.bootini.switches,
			        hp.bootini.make_default, &rep);
		if (r >= 0)
			r = winboot_bootini_render(bi, &out, &n);
		if (r >= 0)
			r = fixup_plan_write_file(w->p, v, path, origin,
			                          "boot.ini entry with the new "
			                          "HAL/kernel",
			                          out, n);
		if (r < 0)
			r = fixup_plan_add_problem(
			        w->p, origin, true,
			        "use mode=\"replace\" for guests without "
			        "boot.ini",
			        "cannot add the boot.ini entry for the new "
			        "HAL: %s",
			        strerror(-r));
		report_notes(w, origin, &rep);
		winboot_report_done(&rep);
	}
	if (r >= 0)
		r = fixup_plan_record(w->p, origin, "HAL %s -> %s (%s)",
		                      hp.from ? hp.from->hwid : "?",
		                      hp.to ? hp.to->hwid : hal,
		                      hp.mode == PCACHE_HAL_REPLACE
		                              ? "replace"
		                              : "non-destructive");
out:
	pcache_hal_plan_done(&hp);
	pcache_guest_done(&g);
	return r;
}

int
win_boot_action(struct win_ctx *w, const struct rules_action *a,
                const char *origin)
{
	switch (a->kind) {
	case RULES_ACTION_BOOT_INI:
		return boot_ini(w, a, origin);
	case RULES_ACTION_BCD_FIX:
		return bcd_fix(w, a, origin);
	case RULES_ACTION_MOUNTED_DEVICES:
		return mounted_devices(w, a, origin);
	case RULES_ACTION_NTFS_GEOMETRY:
		return ntfs_geometry(w, a, origin);
	case RULES_ACTION_REQUIRE_FILE:
		return require_file(w, a, origin);
	case RULES_ACTION_SWAP_HAL:
		return swap_hal(w, a, origin);
	default:
		return fixup_plan_warn(w->p,
		                       "%s: %s is a Linux action, ignored on a "
		                       "Windows guest",
		                       origin,
		                       rules_action_kind_to_string(a->kind));
	}
}
