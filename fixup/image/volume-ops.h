/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tables behind the volume layer (volume.c): what a backend offers, and
 * the only way the generic layer and the backends reach each other.
 *
 *   struct fixup_volume_ops      one per filesystem backend (ntfs3g, dir,
 *                                ext, guestfs): the operations on an open
 *                                volume;
 *   struct fixup_backend  how the direct road opens a partition
 *                                with a backend, and which filesystem
 *                                types (libblkid TYPE) it takes;
 *   struct fixup_source_ops      an image-level "source" that is not a raw
 *                                file read through disk.c (the guestfs
 *                                road: an appliance that opens the image,
 *                                sees its layout, does raw disk I/O and
 *                                opens its filesystems as volumes).
 *
 * Rules (tests/check-layering.py enforces them): one file per backend
 * (volume-<name>.c, plus helper files volume-<name>-*.c of its own), whose
 * only extern names are its table(s) and the constructors its own header
 * (volume-<name>.h) declares for tests; a backend includes the generic
 * headers (volume.h, volume-ops.h, error.h, disk.h, util) and its own, never
 * another backend's, and never calls volume.c; the generic layer names no
 * backend: it finds them through backends.h (backends.c, the one file that
 * lists them).
 *
 * Contract of every member, unless it says otherwise: returns 0 (or a
 * count) on success and -errno on failure, with a detail left through
 * fixup_set_error() (error.h) when the reason is specific; ret_* are
 * untouched on failure.  Paths reaching a backend are normalised by
 * volume.c: "/" followed by components joined with "/", no "." / "..", no
 * empty component; the root is "/".  volume.c checks writability (-EROFS)
 * and region bounds (-ERANGE) before calling a member that writes.
 */
#ifndef IMGFIX_FIXUP_VOLUME_OPS_H
#define IMGFIX_FIXUP_VOLUME_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/volume.h"

/* ---- a volume ----------------------------------------------------------- */

struct fixup_volume_ops {
	const char *name;
	/* Attributes, size, type of path (not following a final symlink
	 * outside the root: dir resolves links inside the root). */
	int (*stat)(struct fixup_volume *v, const char *path,
	            struct fixup_stat *ret);
	/* Unsorted names; volume.c sorts and limits. */
	int (*list)(struct fixup_volume *v, const char *path, char ***ret);
	/* Whole file, at most max bytes (-EFBIG), NUL-terminated buffer. */
	int (*read_file)(struct fixup_volume *v, const char *path, size_t max,
	                 char **ret, size_t *ret_len);
	/* Up to len bytes at off; *ret_n = bytes read (short at EOF). */
	int (*read_at)(struct fixup_volume *v, const char *path, uint64_t off,
	               void *buf, size_t len, size_t *ret_n);
	/* Whole file into the empty host file fd (at most max bytes,
	 * -EFBIG).  NULL or -EOPNOTSUPP (before writing anything): volume.c
	 * goes through read_file. */
	int (*copy_out)(struct fixup_volume *v, const char *path, size_t max,
	                int fd);
	/* See fixup_volume_write_file() for each backend's semantics. */
	int (*write_file)(struct fixup_volume *v, const char *path,
	                  const void *buf, size_t len);
	/* One level; the parent exists; -EEXIST when path exists. */
	int (*mkdir)(struct fixup_volume *v, const char *path);
	/* A file or an empty directory. */
	int (*remove)(struct fixup_volume *v, const char *path);
	/* An existing target file is replaced. */
	int (*rename)(struct fixup_volume *v, const char *from, const char *to);
	/* FIXUP_ATTR_* bits.  NULL: not supported (-EOPNOTSUPP). */
	int (*set_attributes)(struct fixup_volume *v, const char *path,
	                      uint32_t attributes);
	/* Flushes caches to the image (for raw images: into the overlay).
	 * NULL: nothing to flush. */
	int (*sync)(struct fixup_volume *v);
	/* Sets the "needs checking" flag.  NULL: not supported. */
	int (*mark_dirty)(struct fixup_volume *v);
	/* The target of the symlink path (not followed); -EINVAL when path
	 * is not a symlink.  NULL: the backend has no symlinks to journal. */
	int (*readlink)(struct fixup_volume *v, const char *path, char **ret);
	/* Creates symlink path -> target (target stored as given). */
	int (*symlink)(struct fixup_volume *v, const char *target,
	               const char *path);
	/* Raw I/O on [off, off+len) of the volume's own device (boot sector,
	 * boot code); volume.c has checked the region and synced the volume.
	 * NULL: no such region (-EOPNOTSUPP). */
	int (*boot_io)(struct fixup_volume *v, bool write, uint64_t off,
	               void *buf, size_t len);
	/* The filesystem UUID, lower case "xxxxxxxx-xxxx-xxxx-xxxx-
	 * xxxxxxxxxxxx"; -ENODATA when it has none.  NULL: -EOPNOTSUPP. */
	int (*fs_uuid)(struct fixup_volume *v, char **ret);
	/* Unmounts and frees v->data whatever happens; returns the first
	 * error (a failed flush of a writable volume). */
	int (*close)(struct fixup_volume *v);
};

struct fixup_volume {
	const struct fixup_volume_ops *ops;
	struct fixup_image *image;
	size_t index; /* partition index in the image layout */
	bool writable;
	char *name; /* fixup_volume_name() */
	void *data; /* backend state */
};

/* ---- opening a partition of a raw image or a directory ------------------ */

/* Where the volume to open lies. */
struct fixup_volume_place {
	const char *image_path;  /* for messages; the root of a directory */
	struct fixup_disk *disk; /* raw images: all I/O goes through it */
	uint64_t start, size;    /* the partition, bytes of the image */
	unsigned number;         /* partition number, for messages */
};

struct fixup_backend {
	const char *name;
	/* libblkid TYPEs ("ntfs", "ext4") it opens, NULL-terminated; "dir"
	 * for a directory image. */
	const char *const *fstypes;
	/* Fills v->ops and v->data (v->writable with FIXUP_OPEN_WRITE).  On
	 * failure the backend has freed its own state; v->ops may be left
	 * set, v->data is not to be used.  Errors: FIXUP_E_NO_FILESYSTEM,
	 * FIXUP_E_HIBERNATED, FIXUP_E_UNCLEAN, -EBADMSG, -errno. */
	int (*open)(struct fixup_volume *v, const struct fixup_volume_place *at,
	            unsigned flags);
};

/* ---- an image source other than a raw file ------------------------------ */

struct fixup_source_ops {
	const char *name;
	/* Opens path (o may be NULL) into *ret (the source's state).
	 * Errors: -EOPNOTSUPP (the library is missing), -ENXIO (it cannot
	 * start), -EINVAL (it cannot open the image), -ENOMEM. */
	int (*open)(const char *path, unsigned flags,
	            const struct fixup_image_options *o, void **ret);
	/* The layout as the source sees it; (*ret_fs)[i] is the filesystem
	 * index of layout entry i (for open_volume and device), or -1 when
	 * it holds none.  Entries with number 0 are not on the disk (LVs,
	 * LUKS mappings, a whole-disk filesystem).  Free with
	 * fixup_disk_layout_done() and free(). */
	int (*layout)(void *src, struct fixup_disk_layout *ret,
	              ssize_t **ret_fs);
	/* Raw I/O on the whole disk (MBR, GPT), the region checked by
	 * volume.c.  Writes reach the image directly (no overlay). */
	int (*disk_io)(void *src, bool write, uint64_t off, void *buf,
	               size_t len);
	/* The device name of filesystem fs ("/dev/sda1", "/dev/vg/root"),
	 * or NULL when fs is out of range. */
	const char *(*device)(void *src, size_t fs);
	/* Opens filesystem fs as volume v (fills v->ops, v->data,
	 * v->writable).  -EINVAL when fs is out of range, -EROFS for a
	 * writable open of a read-only source, -EBUSY when the source holds
	 * one volume at a time. */
	int (*open_volume)(struct fixup_volume *v, void *src, size_t fs,
	                   unsigned flags);
	/* Optional: writes what the volumes changed to the image, with the
	 * undo log undo_path (NULL: none); returns the number of extents
	 * written.  Sources without it write in place. */
	int (*commit)(void *src, const char *undo_path);
	/* Frees src (NULL is fine); returns the first error of a writable
	 * source (a failed shutdown may have lost writes). */
	int (*close)(void *src);
};

#endif
