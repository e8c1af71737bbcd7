/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux guest fixers as pure text/buffer transformations (LINUX.md): device
 * name remapping in fstab/crypttab/GRUB/BLS/device.map/sysconfig, /dev →
 * UUID= conversion, modprobe aliases, ifcfg HWADDR, X driver names, and the
 * initramfs scanner.  Every rewrite keeps every byte it does not change, so
 * a plan can show an exact unified diff.  The plan layer reads the files
 * through the volume and writes the results back.
 */
#ifndef IMGFIX_FIXUP_LINUX_H
#define IMGFIX_FIXUP_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINUX_MAX_CONF_SIZE (4u * 1024 * 1024)
#define LINUX_MAX_INITRAMFS_SIZE (1024u * 1024 * 1024)
#define LINUX_MAX_INITRAMFS_ENTRIES 200000
#define LINUX_MAX_SEGMENTS 16

/* Which syntax a configuration file has. */
enum linux_conf_kind {
	LINUX_CONF_FSTAB,        /* spec in field 1 */
	LINUX_CONF_CRYPTTAB,     /* device in field 2 */
	LINUX_CONF_GRUB_LEGACY,  /* kernel lines: root=, resume= */
	LINUX_CONF_GRUB2_CFG,    /* linux/linux16/linuxefi lines */
	LINUX_CONF_GRUB_DEFAULT, /* GRUB_CMDLINE_LINUX[_DEFAULT]= */
	LINUX_CONF_BLS,          /* options line */
	LINUX_CONF_DEVICE_MAP,   /* (hd0) /dev/sda */
	LINUX_CONF_SYSCONFIG,    /* any root=/resume= in key=value lines */
};

/* Returns the kind for a guest path (etc/fstab, boot/grub2/grub.cfg, ...),
 * or -ENOENT when the path is not one of the files remapped. */
int linux_conf_kind_for_path(const char *path, enum linux_conf_kind *ret);

/*
 * Maps one device node to its new name, or returns NULL to leave it.
 * e.g. "/dev/sda1" -> "/dev/vda1" or "UUID=...".  The result is malloc'd.
 */
typedef char *(*linux_map_fn)(const char *dev, void *userdata);

/*
 * The remap rule of a `remap-disks` action: device names whose prefix is in
 * from (e.g. "sd", "hd", "xvd", "cciss/c0d", "nvme") become to_prefix + the
 * same disk letter and partition ("vd").  nvmeXn1pY and cciss/cXdYpZ are
 * numbered, the others lettered.
 */
struct linux_remap {
	char *const *from; /* NULL-terminated */
	const char *to_prefix;
};
/* A linux_map_fn for struct linux_remap (userdata). */
char *linux_remap_device(const char *dev, void *userdata);

/*
 * Rewrites the device names in text (len bytes) of the given kind with map.
 * *ret gets the new text (NUL-terminated, *ret_len bytes), *ret_changes
 * the number of replaced names (0 → *ret is an identical copy).
 */
int linux_conf_rewrite(const char *text, size_t len, enum linux_conf_kind kind,
                       linux_map_fn map, void *userdata, char **ret,
                       size_t *ret_len, unsigned *ret_changes);

/* modprobe.d: `alias scsi_hostadapter* X` -> one alias to target_storage
 * (others commented out), `alias ethN X` -> target_net. */
int linux_modprobe_rewrite(const char *text, size_t len,
                           const char *target_storage, const char *target_net,
                           char **ret, size_t *ret_len, unsigned *ret_changes);

/* ifcfg-*: drops HWADDR= / MACADDR= lines. */
int linux_ifcfg_drop_hwaddr(const char *text, size_t len, char **ret,
                            size_t *ret_len, unsigned *ret_changes);

/* xorg.conf(.d): Driver "from[i]" -> Driver "to". */
int linux_xorg_rewrite(const char *text, size_t len, char *const *from,
                       const char *to, char **ret, size_t *ret_len,
                       unsigned *ret_changes);

/*
 * Initramfs: lists the member paths of every segment (uncompressed early
 * cpio, then gzip/xz/zstd/lz4/lzma/bzip2-compressed cpio), read with
 * libarchive.  *ret_segments (may be NULL) gets the number of segments.
 */
int linux_initramfs_list(const void *buf, size_t len, char ***ret_members,
                         unsigned *ret_segments);
/* True when members hold module `name` (any .ko/.ko.xz/.ko.zst/.ko.gz
 * under lib/modules or usr/lib/modules; '-' and '_' equivalent). */
bool linux_members_have_module(char *const *members, const char *name);

/* The config line that makes the next initramfs build include modules:
 * dracut (`add_drivers+=" a b "`), initramfs-tools (one per line),
 * SUSE mkinitrd (INITRD_MODULES="..."); returns the file content. */
int linux_initramfs_config(const char *tool, char *const *modules, char **ret);

#endif
