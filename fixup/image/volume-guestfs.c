/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs volume backend: the slow, complete road.  One libguestfs
 * handle per image (any format qemu reads: qcow2, vmdk, vhd(x), raw ...);
 * LVM, LUKS (with keys) and btrfs subvolumes are found by the appliance.
 * Each filesystem is a "partition" of the image.  This file: the handle
 * (open, LUKS/LVM discovery, close), the disk layout as libguestfs sees
 * it, and the image source table (struct fixup_source_ops) volume.c
 * reaches the backend through.  Launching the appliance is
 * volume-guestfs-launch.c; errors, mounting and raw device I/O are
 * volume-guestfs-dev.c; the volumes and commands inside the guest are
 * volume-guestfs-fs.c.
 *
 * libguestfs is not linked: fixup_guestfs_open(), the only way to a
 * handle, loads it first (guestfs-dl.h), and every call goes through its
 * sym_guestfs_* pointers.  The other entry points need a handle or a
 * volume of one, so libguestfs is loaded by the time they run.
 *
 * Written against libguestfs 1.48 (Debian 12).  <guestfs.h> is included by
 * the guestfs backend's files (volume-guestfs-internal.h) and
 * guestfs-dl.{h,c} only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "image/qcow2-merge.h"
#include "image/volume-guestfs-internal.h"
#include "util.h"

/* ---- discovery ---------------------------------------------------------- */

/* True when the --key selector sel names the LUKS device dev. */
static bool
key_selects(const char *sel, const char *dev, const char *uuid)
{
	return streq(sel, "all") || streq(sel, dev) ||
	       (uuid && *uuid && strcaseeq(sel, uuid));
}

/* Opens every LUKS device with the keys that select it, then activates
 * LVM.  A device no key selects or opens is -ENOKEY: its filesystems
 * would be missing from the inspection without a word. */
static int
gfs_unlock(struct fixup_guestfs *f, char *const *keys)
{
	char **fs = NULL;
	size_t opened = 0;
	int r = 0;

	/* list_filesystems does not show LUKS: every disk and partition */
	fs = sym_guestfs_list_devices(f->g);
	if (!fs)
		return gfs_fail(f, "cannot list the disks", NULL);
	{
		char **parts = sym_guestfs_list_partitions(f->g);

		if (!parts) {
			util_strv_free(fs);
			return gfs_fail(f, "cannot list the partitions", NULL);
		}
		STRV_FOREACH (p, parts)
			if (r >= 0)
				r = util_strv_push(&fs, *p);
		util_strv_free(parts);
	}
	for (size_t i = 0; r >= 0 && fs[i]; i++) {
		_cleanup_free_ char *uuid = NULL, *type = NULL;
		bool tried = false, ok = false;
		char map[32];

		type = sym_guestfs_vfs_type(f->g, fs[i]);
		if (!type || !streq(type, "crypto_LUKS"))
			continue;
		uuid = sym_guestfs_vfs_uuid(f->g, fs[i]);
		snprintf(map, sizeof(map), "imgfix-luks%zu", opened);
		for (size_t k = 0; !ok && keys && keys[k] && keys[k + 1];
		     k += 2) {
			if (!key_selects(keys[k], fs[i], uuid))
				continue;
			tried = true;
			ok = sym_guestfs_cryptsetup_open(
			             f->g, fs[i], keys[k + 1], map, -1) >= 0;
		}
		if (ok) {
			opened++;
			continue;
		}
		if (tried)
			r = fixup_set_error(
			        -ENOKEY,
			        "%s: %s is encrypted (LUKS UUID %s) "
			        "and the key(s) given for it do not "
			        "open it",
			        f->path, fs[i], uuid ? uuid : "?");
		else
			r = fixup_set_error(
			        -ENOKEY,
			        "%s: %s is encrypted (LUKS UUID %s): "
			        "give its key with --key %s:key:KEY "
			        "or --key %s:file:FILE",
			        f->path, fs[i], uuid ? uuid : "?", fs[i],
			        uuid ? uuid : fs[i]);
	}
	util_strv_free(fs);
	if (r < 0)
		return r;
	if (opened > 0 && sym_guestfs_lvm_scan(f->g, 1) < 0)
		return gfs_fail(f, "cannot activate LVM on the opened LUKS",
		                "devices");
	return 0;
}

static int
gfs_discover(struct fixup_guestfs *f)
{
	char **devs = sym_guestfs_list_devices(f->g);
	char **fs, **roots;

	if (!devs || !devs[0]) {
		util_strv_free(devs);
		return gfs_fail(f, "cannot find the disk device", NULL);
	}
	f->disk = strdup(devs[0]);
	util_strv_free(devs);
	if (!f->disk)
		return -ENOMEM;
	fs = sym_guestfs_list_filesystems(f->g);
	if (!fs)
		return gfs_fail(f, "cannot list filesystems", NULL);
	for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
		const char *t = fs[i + 1];

		if (streq(t, "swap") || streq(t, "unknown") ||
		    streq(t, "crypto_LUKS") || streq(t, "LVM2_member"))
			continue;
		if (f->n >= GFS_MAX_FILESYSTEMS)
			break;
		if (util_strv_push(&f->devices, fs[i]) < 0 ||
		    util_strv_push(&f->fstypes, t) < 0) {
			util_strv_free(fs);
			return -ENOMEM;
		}
		f->n++;
	}
	util_strv_free(fs);
	/* Inspection: which filesystems are OS roots (none is fine). */
	roots = sym_guestfs_inspect_os(f->g);
	f->roots = roots ? roots : calloc(1, sizeof(char *));
	return f->roots ? 0 : -ENOMEM;
}

int
fixup_guestfs_open(const char *path, char *const *more, const char *format,
                   char *const *keys, unsigned flags,
                   struct fixup_guestfs **ret)
{
	struct fixup_guestfs *f;
	int r;

	fixup_clear_error();
	r = fixup_guestfs_dl_open();
	if (r < 0)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->mounted = -1;
	f->flags = flags;
	f->writable = (flags & FIXUP_OPEN_WRITE) != 0;
	f->path = strdup(path);
	f->format = format ? strdup(format) : NULL;
	f->more = util_strv_copy(more);
	if (!f->path || (format && !f->format) || (more && !f->more)) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i <= util_strv_length(more); i++) {
		const char *p = i == 0 ? path : more[i - 1];

		if (access(p, f->writable ? R_OK | W_OK : R_OK) < 0) {
			r = fixup_set_error(-errno, "%s: %s", p,
			                    strerror(errno));
			goto fail;
		}
	}
	r = gfs_launch(f);
	if (r < 0)
		goto fail;
	r = gfs_unlock(f, keys);
	if (r >= 0)
		r = gfs_discover(f);
	if (r < 0)
		goto fail;
	*ret = f;
	return 0;
fail:
	(void)fixup_guestfs_close(f);
	return r;
}

int
fixup_guestfs_close(struct fixup_guestfs *f)
{
	bool writable;
	int r = 0;

	if (!f)
		return 0;
	writable = f->writable;
	if (f->g) {
		if (f->mounted >= 0 && sym_guestfs_umount_all(f->g) < 0)
			r = gfs_fail(f, "cannot unmount", "the filesystems");
		if (sym_guestfs_shutdown(f->g) < 0 && r == 0)
			r = gfs_fail(f, "cannot shut the appliance down", NULL);
		sym_guestfs_close(f->g);
	}
	gfs_overlays_remove(f);
	util_progress_end(f->progress);
	util_strv_free(f->devices);
	util_strv_free(f->fstypes);
	util_strv_free(f->roots);
	free(f->disk);
	free(f->format);
	util_strv_free(f->more);
	free(f->path);
	free(f);
	return writable ? r : 0;
}

int
fixup_guestfs_commit(struct fixup_guestfs *f, const char *undo_path)
{
	int r = 0, total = 0;

	if (!f->writable || !f->g)
		return fixup_set_error(
		        -EBADF, "%s: no writable appliance to commit", f->path);
	/* Everything the appliance wrote is in the overlays once it is
	 * down. */
	if (f->mounted >= 0 && sym_guestfs_umount_all(f->g) < 0)
		r = gfs_fail(f, "cannot unmount", "the filesystems");
	f->mounted = -1;
	if (sym_guestfs_shutdown(f->g) < 0 && r == 0)
		r = gfs_fail(f, "cannot shut the appliance down", NULL);
	sym_guestfs_close(f->g);
	f->g = NULL;
	/* One disk after the other, each with its own undo log: a disk
	 * without a complete undo log was not written. */
	for (size_t i = 0; r >= 0 && f->overlays && f->overlays[i]; i++) {
		const char *p = i == 0 ? f->path : f->more[i - 1];
		_cleanup_free_ char *undo = NULL;

		if (undo_path) {
			undo = fixup_merge_undo_path(undo_path, i);
			if (!undo) {
				r = -ENOMEM;
				break;
			}
		}
		r = fixup_merge_commit(p, f->format, f->overlays[i], undo);
		if (r >= 0)
			total += r;
	}
	gfs_overlays_remove(f);
	return r < 0 ? r : total;
}

size_t
fixup_guestfs_n_filesystems(const struct fixup_guestfs *f)
{
	return f->n;
}

const char *
fixup_guestfs_device(const struct fixup_guestfs *f, size_t i)
{
	return i < f->n ? f->devices[i] : NULL;
}

const char *
fixup_guestfs_fstype(const struct fixup_guestfs *f, size_t i)
{
	return i < f->n ? f->fstypes[i] : NULL;
}

/* ---- the disk layout as libguestfs sees it ------------------------------ */

#define GPT_ESP_TYPE "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

static char *
upper(char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

static ssize_t
fs_index(const struct fixup_guestfs *f, const char *dev)
{
	for (size_t i = 0; i < f->n; i++)
		if (streq(f->devices[i], dev))
			return (ssize_t)i;
	return -1;
}

/* Fills one layout entry of a partition (number > 0) or filesystem. */
static int
fill_part(struct fixup_guestfs *f, const char *dev, const char *style, int num,
          const struct guestfs_partition *gp, struct fixup_partition *p)
{
	ssize_t k = fs_index(f, dev);
	int64_t size;

	p->number = num > 0 ? (unsigned)num : 0;
	if (gp) {
		p->start = gp->part_start;
		p->size = gp->part_size;
	} else {
		size = sym_guestfs_blockdev_getsize64(f->g, dev);
		p->size = size > 0 ? (uint64_t)size : 0;
	}
	if (num > 0 && streq(style, "msdos")) {
		int id = sym_guestfs_part_get_mbr_id(f->g, f->disk, num);

		if (id >= 0 && util_asprintf(&p->type, "0x%02x", id) < 0)
			return -ENOMEM;
		p->bootable =
		        sym_guestfs_part_get_bootable(f->g, f->disk, num) > 0;
	} else if (num > 0 && streq(style, "gpt")) {
		p->type = upper(
		        sym_guestfs_part_get_gpt_type(f->g, f->disk, num));
		p->uuid = upper(
		        sym_guestfs_part_get_gpt_guid(f->g, f->disk, num));
		p->esp = p->type && streq(p->type, GPT_ESP_TYPE);
	}
	if (k >= 0) {
		p->fstype = strdup(f->fstypes[k]);
		if (!p->fstype)
			return -ENOMEM;
		p->label = sym_guestfs_vfs_label(f->g, dev);
		if (p->label && !*p->label) {
			free(p->label);
			p->label = NULL;
		}
	} else {
		char *t = sym_guestfs_vfs_type(f->g, dev);

		if (t && *t)
			p->fstype = t;
		else
			free(t);
	}
	return 0;
}

/*
 * The image's layout as libguestfs sees it: the partitions of the disk's
 * table in table order (MBR signature / GPT GUID, offsets, types, like
 * fixup_probe_disk()), then the filesystems that are no partition (LVM
 * logical volumes, LUKS mappings, btrfs subvolumes, a whole-disk
 * filesystem) as entries with number 0.  (*ret_fs)[i] is the filesystem
 * index (for fixup_volume_guestfs_open()) of entry i, or -1 when it holds
 * none.  Free with fixup_disk_layout_done() and free().
 */
static int
gfs_layout(void *src, struct fixup_disk_layout *ret, ssize_t **ret_fs)
{
	struct fixup_guestfs *f = src;
	struct fixup_disk_layout l = {0};
	_cleanup_free_ ssize_t *map = NULL;
	_cleanup_free_ char *style = NULL;
	struct guestfs_partition_list *pl = NULL;
	bool *covered = NULL;
	size_t max;
	int64_t size;
	int r = 0;

	size = sym_guestfs_blockdev_getsize64(f->g, f->disk);
	if (size < 0)
		return gfs_fail(f, "cannot read the size of", f->disk);
	l.size = (uint64_t)size;
	style = sym_guestfs_part_get_parttype(f->g, f->disk);
	if (style)
		pl = sym_guestfs_part_list(f->g, f->disk);
	if (style && !pl)
		return gfs_fail(f, "cannot read the partition table of",
		                f->disk);
	max = (pl ? pl->len : 0) + f->n;
	if (max > FIXUP_MAX_PARTITIONS)
		max = FIXUP_MAX_PARTITIONS;
	l.parts = calloc(max ? max : 1, sizeof(*l.parts));
	map = calloc(max ? max : 1, sizeof(*map));
	covered = calloc(f->n ? f->n : 1, sizeof(*covered));
	if (!l.parts || !map || !covered) {
		r = -ENOMEM;
		goto out;
	}
	if (style && streq(style, "msdos")) {
		size_t n = 0;
		char *sig = sym_guestfs_pread_device(f->g, f->disk, 4, 440, &n);

		l.style = FIXUP_DISK_MBR;
		if (sig && n == 4)
			l.mbr_signature = util_le32(sig);
		free(sig);
	} else if (style && streq(style, "gpt")) {
		l.style = FIXUP_DISK_GPT;
		l.gpt_guid =
		        upper(sym_guestfs_part_get_disk_guid(f->g, f->disk));
	}
	/* The partitions of the table, in table order. */
	for (size_t i = 0; pl && i < pl->len && l.n_parts < max; i++) {
		const struct guestfs_partition *gp = &pl->val[i];
		_cleanup_free_ char *dev = NULL;
		ssize_t k;

		if (gp->part_num <= 0 ||
		    util_asprintf(&dev, "%s%d", f->disk, gp->part_num) < 0) {
			r = gp->part_num <= 0 ? -EBADMSG : -ENOMEM;
			goto out;
		}
		r = fill_part(f, dev, style, gp->part_num, gp,
		              &l.parts[l.n_parts]);
		if (r < 0)
			goto out;
		k = fs_index(f, dev);
		map[l.n_parts++] = k;
		if (k >= 0)
			covered[k] = true;
	}
	/* Then the filesystems that are no partition: a whole-disk
	 * filesystem, LVM logical volumes, LUKS mappings, btrfs
	 * subvolumes. */
	for (size_t k = 0; k < f->n && l.n_parts < max; k++) {
		if (covered[k])
			continue;
		r = fill_part(f, f->devices[k], style ? style : "", 0, NULL,
		              &l.parts[l.n_parts]);
		if (r < 0)
			goto out;
		map[l.n_parts++] = (ssize_t)k;
	}
	*ret = l;
	l = (struct fixup_disk_layout){0};
	*ret_fs = TAKE_PTR(map);
out:
	if (pl)
		sym_guestfs_free_partition_list(pl);
	free(covered);
	fixup_disk_layout_done(&l);
	return r;
}

/* Raw I/O on the whole disk device (MBR, GPT).  Writes need a writable
 * handle; they reach the image directly (no overlay). */
static int
gfs_disk_io(void *src, bool write, uint64_t off, void *buf, size_t len)
{
	struct fixup_guestfs *f = src;

	return gfs_device_io(f, f->disk, write, off, buf, len);
}

/* ---- the image source --------------------------------------------------- */

static int
gfs_source_open(const char *path, unsigned flags,
                const struct fixup_image_options *o, void **ret)
{
	struct fixup_guestfs *f = NULL;
	int r = fixup_guestfs_open(path, o ? o->more_disks : NULL,
	                           o ? o->format : NULL, o ? o->keys : NULL,
	                           flags, &f);

	if (r < 0)
		return r;
	*ret = f;
	return 0;
}

static const char *
gfs_source_device(void *src, size_t fs)
{
	return fixup_guestfs_device(src, fs);
}

static int
gfs_source_open_volume(struct fixup_volume *v, void *src, size_t fs,
                       unsigned flags)
{
	return fixup_volume_guestfs_open(v, src, fs, flags);
}

static int
gfs_source_commit(void *src, const char *undo_path)
{
	return fixup_guestfs_commit(src, undo_path);
}

static int
gfs_source_close(void *src)
{
	return fixup_guestfs_close(src);
}

const struct fixup_source_ops fixup_source_guestfs = {
        .name = "guestfs",
        .open = gfs_source_open,
        .layout = gfs_layout,
        .disk_io = gfs_disk_io,
        .device = gfs_source_device,
        .open_volume = gfs_source_open_volume,
        .commit = gfs_source_commit,
        .close = gfs_source_close,
};
