/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs backend (volume-guestfs.c): any image libguestfs opens
 * (qcow2, vmdk, vhd(x), LVM, LUKS, xfs, btrfs ...), one appliance per
 * image.  volume.c reaches it through fixup_source_guestfs (backends.c):
 * it is an image source (struct fixup_source_ops) whose filesystems open
 * as volumes (struct fixup_volume_ops).  The functions below are for the
 * backend's own tests and for callers that run commands in the guest.
 *
 * Paths are guest paths inside the filesystem, resolved by the appliance
 * chrooted into it.
 */
#ifndef IMGFIX_FIXUP_VOLUME_GUESTFS_H
#define IMGFIX_FIXUP_VOLUME_GUESTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "image/volume-ops.h"

extern const struct fixup_source_ops fixup_source_guestfs;

struct fixup_guestfs;

/*
 * Loads libguestfs (dlopen, on the first call: guestfs-dl.h), adds path
 * (format: "raw", "qcow2", "vmdk", "vhdx", "vpc" ...; NULL = let qemu
 * detect it) to a new libguestfs handle and launches the
 * appliance: KVM first, TCG when KVM cannot be used (or when
 * LIBGUESTFS_BACKEND_SETTINGS already says force_tcg).  more (may be
 * NULL): further disks of the same guest, added after path in the same
 * format (md RAID, LVM over several disks).  Launch progress is
 * shown through util/progress (terminal only).  keys: LUKS keys as
 * (selector, passphrase) pairs (see struct fixup_image_options; may be
 * NULL); an encrypted device no key selects, or that its keys do not
 * open, is -ENOKEY with a detail naming it.  LVM volume
 * groups are activated by the appliance.  FIXUP_OPEN_WRITE adds the disk
 * read-write; FIXUP_OPEN_VERBOSE turns on libguestfs's verbose output.
 * The filesystems found (guestfs_list_filesystems, swap and unknown
 * skipped) are the image's "partitions", in that order.
 * Errors: -EOPNOTSUPP (libguestfs is not installed or too old: the detail
 * names the library), -ENXIO (no appliance could start: the detail says
 * why), -EINVAL (libguestfs cannot open the image), -ENOMEM.
 */
int fixup_guestfs_open(const char *path, char *const *more, const char *format,
                       char *const *keys, unsigned flags,
                       struct fixup_guestfs **ret);
/* Unmounts everything, shuts the appliance down (errors of a writable
 * handle are returned: a failed shutdown may have lost writes) and frees.
 * Accepts NULL. */
int fixup_guestfs_close(struct fixup_guestfs *g);
static inline void
fixup_guestfs_closep(struct fixup_guestfs **g)
{
	if (*g)
		(void)fixup_guestfs_close(*g);
}

/*
 * Commits what the appliance of a writable handle wrote: shuts it down
 * (every write is then in the qcow2 overlays) and puts each overlay's top
 * layer into its disk through disk.c's overlay and undo log
 * (qcow2-merge.h): undo_path for the first disk, fixup_merge_undo_path()
 * for the others (NULL: no undo log).  The disks are untouched before
 * this call.  Afterwards the handle opens no volume.  Returns the number
 * of extents written.
 */
int fixup_guestfs_commit(struct fixup_guestfs *g, const char *undo_path);

/* The filesystems found at open: device names ("/dev/sda1",
 * "/dev/vg/root") and their types ("ext4", "ntfs", ...). */
size_t fixup_guestfs_n_filesystems(const struct fixup_guestfs *g);
const char *fixup_guestfs_device(const struct fixup_guestfs *g, size_t i);
const char *fixup_guestfs_fstype(const struct fixup_guestfs *g, size_t i);

/*
 * Opens filesystem i as a volume: it is mounted on its own at the
 * appliance's root, so paths are paths inside that filesystem — as on the
 * direct road.  When i is an operating system root found by libguestfs
 * inspection, the guest's other filesystems are mounted at their fstab
 * mount points under it, so "/boot/grub/grub.cfg" reaches a separate /boot
 * too.  One volume may be open at a time per handle (a second open of a
 * different filesystem is -EBUSY).  v->name and v->image are the caller's;
 * v->ops and v->data are filled.
 */
int fixup_volume_guestfs_open(struct fixup_volume *v, struct fixup_guestfs *g,
                              size_t i, unsigned flags);

/*
 * Runs argv inside the guest root mounted by the guestfs volume v
 * (guestfs_command: chroot into the guest, no shell): argv[0] is a guest
 * path or name.  Returns the exit status (0..255), -ENOENT when argv[0]
 * does not exist in the guest, -EOPNOTSUPP on a non-guestfs volume; the
 * output (at most FIXUP_GUESTFS_OUTPUT_MAX bytes, stdout and stderr) is
 * put in *ret_output when it is non-NULL.
 */
#define FIXUP_GUESTFS_OUTPUT_MAX (1024u * 1024)
int fixup_volume_guestfs_run(struct fixup_volume *v, char *const *argv,
                             char **ret_output);

/*
 * Rebuilds the guest's initramfs with the tool it has: dracut -f
 * --regenerate-all, update-initramfs -u -k all, or mkinitrd — tried in
 * that order, the first one present in the guest runs.  *ret_tool (may be
 * NULL) names it.  -ENOENT when the guest has none of them, -EIO when the
 * tool failed (its output is in the error detail).
 */
int fixup_volume_guestfs_rebuild_initramfs(struct fixup_volume *v,
                                           const char **ret_tool);

/* True when v is a guestfs volume. */
bool fixup_volume_is_guestfs(const struct fixup_volume *v);

#endif
