/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations of the ext backend, shared by its files:
 * volume-ext.c (the volume operations, open), volume-ext-io.c (the
 * io_manager over struct fixup_disk) and volume-ext-path.c (errors and path
 * resolution).  <ext2fs/...> headers are included here and in those files
 * only.
 */
#ifndef IMGFIX_FIXUP_VOLUME_EXT_INTERNAL_H
#define IMGFIX_FIXUP_VOLUME_EXT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#pragma GCC diagnostic pop

#include "image/volume-ext.h"

#define EXT_IO_MAGIC 0x696d6766u /* "imgf": our channel's private data */

struct ext_io {
	uint32_t magic;
	struct fixup_disk *disk;
	uint64_t start, size;
	bool writable;
};

struct ext_vol {
	ext2_filsys fs;
	struct ext_io *io; /* owned by the channel */
	char *image_path;
	uint64_t start; /* of the partition, for messages */
	bool bitmaps_loaded;
};

/* ---- volume-ext-io.c ---------------------------------------------------- */

/*
 * Opens the filesystem of io (taken: freed here, or by the channel when
 * libext2fs closes it) through our io_manager, with ext2fs_open2()'s
 * flags; returns its error code (0 on success).
 */
errcode_t ext_io_open_fs(struct ext_io *io, int flags, ext2_filsys *ret);

/* ---- volume-ext-path.c -------------------------------------------------- */

/* libext2fs returns errno values or com_err codes; -errno of either. */
int ext_errno(errcode_t e);
/* Records "image: ext filesystem at offset N: what path: libext2fs
 * message" and returns -errno of code; -ENOENT, -EEXIST and -ENOTDIR are
 * returned without a detail (ordinary answers). */
int ext_fail(const struct ext_vol *e, errcode_t code, const char *what,
             const char *path);
/* Records "image: ext filesystem at offset N" followed by fmt and returns
 * r. */
int ext_error(const struct ext_vol *e, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Reads inode ino, which must lie in the inode table (-EBADMSG). */
int ext_read_inode(struct ext_vol *e, ext2_ino_t ino, struct ext2_inode *ret);
/* Reads the target of the symlink ino (inode read already) into a new
 * string; -EBADMSG when it is empty, too long or holds a NUL. */
int ext_read_symlink(struct ext_vol *e, ext2_ino_t ino,
                     struct ext2_inode *inode, char **ret);
/*
 * Resolves path (absolute inside the filesystem) to an inode.  Symlinks in
 * the middle are always followed; the last component is followed when
 * follow is set.  ext_resolve_inode() reads the inode too.
 */
int ext_resolve(struct ext_vol *e, const char *path, bool follow,
                ext2_ino_t *ret);
int ext_resolve_inode(struct ext_vol *e, const char *path, bool follow,
                      ext2_ino_t *ret_ino, struct ext2_inode *ret);
/* Splits "/a/b/c" into the parent directory's inode (links followed) and
 * the final name "c" (pointing into path). */
int ext_resolve_parent(struct ext_vol *e, const char *path, ext2_ino_t *ret_dir,
                       const char **ret_name);
/* Looks name up in dir without following it. */
int ext_lookup_entry(struct ext_vol *e, ext2_ino_t dir, const char *name,
                     ext2_ino_t *ret);

#endif
