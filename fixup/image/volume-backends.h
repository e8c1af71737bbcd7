/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backends of issue 8 behind struct fixup_volume_ops (volume.h):
 *
 *   ext      (volume-ext.c)      ext2/3/4 at a partition's byte offset of a
 *                                raw image, through libext2fs with an
 *                                io_manager that does all I/O through
 *                                struct fixup_disk (overlay + undo log);
 *   guestfs  (volume-guestfs.c)  any image libguestfs opens (qcow2, vmdk,
 *                                vhd(x), LVM, LUKS, xfs, btrfs ...), one
 *                                appliance per image.
 *
 * Paths are guest paths inside the filesystem; symbolic links met on the
 * way are resolved inside the filesystem (an absolute target starts again
 * at the filesystem root, ".." never climbs above it), at most
 * FIXUP_MAX_SYMLINKS per lookup (-ELOOP beyond).
 */
#ifndef IMGFIX_FIXUP_VOLUME_BACKENDS_H
#define IMGFIX_FIXUP_VOLUME_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/volume.h"

struct fixup_disk;

/* ---- ext2/3/4 (libext2fs) ----------------------------------------------- */

/* Longest symlink target read from an ext inode; longer is corrupt. */
#define FIXUP_EXT_MAX_SYMLINK_TARGET FIXUP_MAX_PATH

/*
 * Opens the ext2/3/4 filesystem in [start, start+size) of disk.  Every
 * read and write of libext2fs goes through fixup_disk_pread/pwrite, bounded
 * to the partition; the image file itself is never touched here.
 * FIXUP_OPEN_WRITE opens read-write; the filesystem is then refused with
 * FIXUP_E_UNCLEAN when its journal needs recovery or it is marked with
 * errors / not cleanly unmounted, and with -EOPNOTSUPP when it uses a
 * feature libext2fs cannot write.  Errors: FIXUP_E_NO_FILESYSTEM (no ext
 * superblock), -EBADMSG (corrupt metadata), -errno; the detail
 * (fixup_error_detail()) names the image and what is wrong.
 *
 * write_file writes an existing regular file in place (mode, owner,
 * extended attributes kept; a symlink is followed inside the filesystem),
 * or creates a new file with mode 0644, owner root.  mkdir creates mode
 * 0755 owned by root.  remove frees the inode when its last link goes.
 * rename moves files and symlinks (an existing target file is replaced);
 * directories are -EISDIR.  set_attributes and mark_dirty: not supported.
 */
int fixup_volume_ext_open(struct fixup_volume *v, struct fixup_disk *disk,
                          uint64_t start, uint64_t size, unsigned flags);

/*
 * The filesystem UUID of v, lower-case "xxxxxxxx-xxxx-xxxx-xxxx-
 * xxxxxxxxxxxx" as in /dev/disk/by-uuid and fstab's UUID=.  ext and guestfs
 * volumes; -EOPNOTSUPP for other backends, -ENODATA when the filesystem
 * has none (all zero).
 */
int fixup_volume_fs_uuid(struct fixup_volume *v, char **ret);

/* ---- guestfs (libguestfs) ----------------------------------------------- */

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

/* The filesystems found at open: device names ("/dev/sda1",
 * "/dev/vg/root") and their types ("ext4", "ntfs", ...). */
size_t fixup_guestfs_n_filesystems(const struct fixup_guestfs *g);
const char *fixup_guestfs_device(const struct fixup_guestfs *g, size_t i);
const char *fixup_guestfs_fstype(const struct fixup_guestfs *g, size_t i);

/*
 * The image's layout as libguestfs sees it: the partitions of the disk's
 * table in table order (MBR signature / GPT GUID, offsets, types, like
 * fixup_probe_disk()), then the filesystems that are no partition (LVM
 * logical volumes, LUKS mappings, btrfs subvolumes, a whole-disk
 * filesystem) as entries with number 0.  (*ret_fs)[i] is the filesystem
 * index (for fixup_volume_guestfs_open()) of entry i, or -1 when it holds
 * none.  Free with fixup_disk_layout_done() and free().
 */
int fixup_guestfs_layout(struct fixup_guestfs *g, struct fixup_disk_layout *ret,
                         ssize_t **ret_fs);
/* Raw I/O on the whole disk device (MBR, GPT).  Writes need a writable
 * handle; they reach the image directly (no overlay). */
int fixup_guestfs_disk_io(struct fixup_guestfs *g, bool write, uint64_t off,
                          void *buf, size_t len);
/* Raw I/O on the device of a guestfs volume (boot sector). */
int fixup_volume_guestfs_boot_io(struct fixup_volume *v, bool write,
                                 uint64_t off, void *buf, size_t len);

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
/* fixup_volume_fs_uuid() of a guestfs volume (guestfs_vfs_uuid). */
int fixup_volume_guestfs_uuid(struct fixup_volume *v, char **ret);

#endif
