/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Linux guest's file tree across its mounts, read-only: the root volume
 * plus the partitions of the same image that its etc/fstab mounts
 * elsewhere (a separate /usr, /boot, /var ...), so that a path is read as
 * the guest would read it: "/etc/os-release" -> "../usr/lib/os-release"
 * on a root whose /usr is another partition reaches that partition.
 *
 * Symlinks are resolved component by component here (absolute targets
 * restart at the guest's "/", ".." never climbs above it), at most
 * FIXUP_MAX_SYMLINKS per lookup (-ELOOP beyond).  With no extra mount (a
 * directory image, a guest on one filesystem, the guestfs road whose
 * appliance mounts the guest's filesystems itself) every call goes
 * straight to the root volume and its backend's own rules.
 *
 * fstab device names understood: UUID=, LABEL=, PARTUUID=, PARTLABEL=
 * (GPT), /dev/disk/by-{uuid,label,partuuid}/, and /dev/sdXN /dev/vdXN
 * /dev/hdXN /dev/xvdXN /dev/nvme0n1pN /dev/mmcblk0pN (partition N of the
 * image).  Others (LVM, md) are not mounted.
 */
#ifndef IMGFIX_FIXUP_LINUX_GUEST_TREE_H
#define IMGFIX_FIXUP_LINUX_GUEST_TREE_H

#include "image/volume.h"

/* fstab lines parsed and mounts opened, at most. */
#define LINUX_TREE_MAX_MOUNTS 64u
#define LINUX_FSTAB_MAX (1024u * 1024)

struct linux_tree;

/* One fstab entry: spec, mount point, type. */
struct linux_fstab_entry {
	char *spec, *mnt, *type;
};

/*
 * Parses fstab text: entries with a device (not proc, tmpfs, swap, bind
 * mounts, "none", CD-ROM or floppy drives, noauto) and an absolute mount point,
 * in file order, at most LINUX_TREE_MAX_MOUNTS.  Fields are unescaped (\040).
 */
int linux_fstab_parse(const char *text, struct linux_fstab_entry **ret,
                      size_t *ret_n);
void linux_fstab_free(struct linux_fstab_entry *e, size_t n);

/* Builds the tree of root from its /etc/fstab (absent: root alone). */
int linux_tree_new(struct fixup_volume *root, struct linux_tree **ret);
struct linux_tree *linux_tree_free(struct linux_tree *t);
static inline void
linux_tree_freep(struct linux_tree **t)
{
	if (*t)
		linux_tree_free(*t);
}

/* The fstab entries read (mount points the guest declares). */
size_t linux_tree_n_fstab(const struct linux_tree *t);
const struct linux_fstab_entry *linux_tree_fstab(const struct linux_tree *t,
                                                 size_t i);

/* As fixup_volume_read_file / read_at / stat / list, on guest paths. */
int linux_tree_read_file(struct linux_tree *t, const char *path, size_t max,
                         char **ret, size_t *ret_len);
int linux_tree_read_at(struct linux_tree *t, const char *path, uint64_t off,
                       void *buf, size_t len, size_t *ret_n);
int linux_tree_stat(struct linux_tree *t, const char *path,
                    struct fixup_stat *ret);
int linux_tree_list(struct linux_tree *t, const char *path, char ***ret);

#endif
