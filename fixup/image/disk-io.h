/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bytes under a struct fixup_disk (disk.h): a small I/O interface with
 * two implementations, so that the overlay, the undo log, commit, verify
 * and rollback work the same whatever holds the guest-visible bytes:
 *
 *   file (io-file.c)  a raw image file or block device, pread/pwrite/fsync;
 *   nbd  (io-nbd.c)   an NBD export through libnbd: a qemu-nbd that imgfix
 *                     starts by socket activation on a private Unix socket
 *                     for a qcow2/vmdk/vhdx/vhd/vdi file (format given with
 *                     -f, never probed), or an existing server named by an
 *                     nbd:// or nbd+unix:// URI.
 *
 * fixup_io_open() (format.c) picks the implementation for an IMAGE
 * argument.  Every function returns 0 or a negative errno and, on failure,
 * leaves a one-line explanation in fixup_error_detail() (volume.h).
 */
#ifndef IMGFIX_FIXUP_DISK_IO_H
#define IMGFIX_FIXUP_DISK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fixup_io;

struct fixup_io_ops {
	/* Exactly len bytes at off (the caller checks the bounds). */
	int (*pread)(struct fixup_io *io, void *buf, size_t len, uint64_t off);
	int (*pwrite)(struct fixup_io *io, const void *buf, size_t len,
	              uint64_t off);
	/* Makes every write so far durable (fsync, NBD_CMD_FLUSH). */
	int (*flush)(struct fixup_io *io);
	void (*free)(struct fixup_io *io);
};

struct fixup_io {
	const struct fixup_io_ops *ops;
	uint64_t size; /* guest-visible bytes */
	int fd;        /* file I/O: the image itself (copy_file_range), or -1 */
	bool writable;
	char format[16]; /* "raw", "qcow2", "vmdk", "vhdx", "vpc", "vdi" or
	                  * "nbd" (an export of an existing server) */
};

/* Image formats imgfix starts qemu-nbd for (qemu's driver names). */
#define FIXUP_IO_FORMATS "qcow2, vmdk, vhdx, vpc, vdi"

/* pread until len bytes or the end of the file (*ret_got says how many);
 * pwrite of all len bytes.  EINTR is retried. */
int fixup_fd_pread(int fd, void *buf, size_t len, uint64_t off,
                   size_t *ret_got);
int fixup_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off);

/* A raw image file or block device. */
int fixup_io_file_open(const char *path, bool writable, struct fixup_io **ret);
/* image: a file in format (qemu driver name), served by a qemu-nbd that
 * this call starts; or an nbd:// / nbd+unix:// URI (format NULL). */
int fixup_io_nbd_open(const char *image, const char *format, bool writable,
                      struct fixup_io **ret);
/* True for the URIs fixup_io_nbd_open() connects to. */
bool fixup_io_is_nbd_uri(const char *image);

/*
 * Opens image with the right implementation: an NBD URI; a file whose
 * format is format (NULL: detected from its header magic, format.c); raw
 * files and block devices directly.  A read-only format (vmdk
 * streamOptimized) opened writable is -EROFS with a detail saying what to do.
 */
int fixup_io_open(const char *image, const char *format, bool writable,
                  struct fixup_io **ret);
/*
 * Detects the format of the file open at fd from its header magic:
 * "raw", "qcow2", "vmdk", "vhdx", "vpc" or "vdi" (static strings).
 * *ret_readonly: a format qemu can read but not write in place (vmdk
 * streamOptimized).  -EBADMSG (with detail) for a header that names a
 * format but is damaged.
 */
int fixup_format_detect(int fd, const char *path, const char **ret,
                        bool *ret_readonly);

static inline struct fixup_io *
fixup_io_free(struct fixup_io *io)
{
	if (io)
		io->ops->free(io);
	return NULL;
}
static inline void
fixup_io_freep(struct fixup_io **io)
{
	if (*io)
		fixup_io_free(*io);
}

/* A struct fixup_disk over io (which it owns from then on, even on
 * failure); path names the image in messages. */
struct fixup_disk;
int fixup_disk_open_io(const char *path, struct fixup_io *io,
                       struct fixup_disk **ret);
/* The io under d: its format, for the report and the journal. */
const struct fixup_io *fixup_disk_get_io(const struct fixup_disk *d);
/* The undo-log rollback of disk.h through an open io (NBD or file). */
int fixup_disk_undo_io(struct fixup_io *io, const char *undo_path, bool force);
/* Only the check of fixup_disk_undo_io(), nothing written: 0 when every
 * extent holds what the fix wrote or the original bytes, -ESTALE when one
 * changed after the fix, -ENOENT/-ENODATA when the log was never completed
 * (the image was never written). */
int fixup_disk_undo_check_io(struct fixup_io *io, const char *undo_path);

#endif
