/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A raw disk image with a copy-on-write overlay and an undo log.
 *
 * Every backend that reads an image file directly (ntfs3g, ext) does its I/O
 * through a struct fixup_disk.  Writes never reach the image while a fix is
 * being built: they land in an in-memory overlay of 4 KiB blocks, and reads
 * see the overlay.  That makes a dry run (`imgfix plan`) exact — it performs
 * the whole fix and throws the overlay away — and makes committing safe:
 *
 *   1. the original bytes of every dirty extent are written to an undo log
 *      (with a trailer holding a count and a SHA-256 of the log), fsync'd,
 *      and renamed into place;
 *   2. the extents are written to the image and the image is fsync'd;
 *   3. everything written is read back and compared.
 *
 * Killed before 1 completes, the image is untouched; killed during 2 or 3,
 * fixup_disk_undo() puts every original byte back.  The undo log restores the
 * image byte for byte, file system metadata included.
 */
#ifndef IMGFIX_FIXUP_DISK_H
#define IMGFIX_FIXUP_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIXUP_DISK_BLOCK 4096u
/* Upper bound of the overlay: a fix that changes more is refused. */
#define FIXUP_DISK_MAX_DIRTY (2048ull * 1024 * 1024)
#define FIXUP_DISK_UNDO_MAGIC "IMGFIX-UNDO-2\n"

struct fixup_disk;

/* Opens an image file or block device.  writable = the overlay may later be
 * committed (the file is opened O_RDWR; -EROFS/-EACCES when it cannot be). */
int fixup_disk_open(const char *path, bool writable, struct fixup_disk **ret);
struct fixup_disk *fixup_disk_free(struct fixup_disk *d);
static inline void
fixup_disk_freep(struct fixup_disk **d)
{
	if (*d)
		fixup_disk_free(*d);
}

const char *fixup_disk_path(const struct fixup_disk *d);
uint64_t fixup_disk_size(const struct fixup_disk *d);
bool fixup_disk_writable(const struct fixup_disk *d);

/* Reads/writes exactly len bytes at off; beyond the end is -ENOSPC for
 * writes and -EIO for reads (short image).  Writes go to the overlay. */
int fixup_disk_pread(struct fixup_disk *d, void *buf, size_t len, uint64_t off);
int fixup_disk_pwrite(struct fixup_disk *d, const void *buf, size_t len,
                      uint64_t off);

/* Copies len bytes at off, as fixup_disk_pread() sees them, to fd at
 * fd_off.  Clean ranges are copied in the kernel (copy_file_range: no
 * trip through user memory); dirty ones from the overlay.  -EIO beyond
 * the end of the image. */
int fixup_disk_copy_to_fd(struct fixup_disk *d, uint64_t off, size_t len,
                          int fd, uint64_t fd_off);

/* Bytes read from and written to the image file so far (not the overlay):
 * what a fix costs in I/O, whatever the image's size. */
void fixup_disk_io(const struct fixup_disk *d, uint64_t *ret_read,
                   uint64_t *ret_written);

/* Number of dirty bytes in the overlay (whole blocks). */
uint64_t fixup_disk_dirty_bytes(const struct fixup_disk *d);
/* Drops the overlay (dry run). */
void fixup_disk_discard(struct fixup_disk *d);

/*
 * Fault injection for tests: after `writes` image writes during commit,
 * either fail (-EIO) or kill the process with SIGKILL.  Also read from
 * $IMGFIX_FAULT_WRITES=N and $IMGFIX_FAULT_MODE=fail|kill at open.
 */
void fixup_disk_set_fault(struct fixup_disk *d, long writes, bool kill);

/*
 * Commits the overlay as described above, writing the undo log to
 * undo_path (NULL: no undo log, for callers that keep their own copy, such
 * as the fixture builder).  Returns the number of extents written.  When
 * nothing is dirty, writes no log and returns 0.
 */
int fixup_disk_commit(struct fixup_disk *d, const char *undo_path);

/*
 * Restores the image at image_path from an undo log written by
 * fixup_disk_commit().  A log without a valid trailer was never followed by
 * image writes, so it is -ENODATA and nothing is written.  The image size
 * recorded in the log must match (-EINVAL otherwise).  The log also holds
 * the SHA-256 of what the commit wrote to each extent: an extent that holds
 * neither that nor the original bytes was changed after the fix (the guest
 * ran, another tool wrote) and restoring it would corrupt the filesystem:
 * -ESTALE, nothing written, unless force.
 */
int fixup_disk_undo(const char *image_path, const char *undo_path, bool force);

#endif
