/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext backend (volume-ext.c): ext2/3/4 at a partition's byte offset of
 * a raw image, through libext2fs with an io_manager that does all I/O
 * through struct fixup_disk (overlay + undo log).  volume.c reaches it
 * through fixup_backend_ext (backends.c); the constructor is here for the
 * backend's own tests.
 *
 * Paths are guest paths inside the filesystem; symbolic links met on the
 * way are resolved inside the filesystem (an absolute target starts again
 * at the filesystem root, ".." never climbs above it), at most
 * FIXUP_MAX_SYMLINKS per lookup (-ELOOP beyond).
 */
#ifndef IMGFIX_FIXUP_VOLUME_EXT_H
#define IMGFIX_FIXUP_VOLUME_EXT_H

#include <stdint.h>

#include "image/volume-ops.h"

struct fixup_disk;

extern const struct fixup_backend fixup_backend_ext;

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

#endif
