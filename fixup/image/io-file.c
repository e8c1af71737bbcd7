/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file implementation of the disk I/O interface (disk-io.h): a raw
 * image file or block device read and written with pread/pwrite, made
 * durable with fsync.  The fd is exposed so that disk.c can copy clean
 * ranges in the kernel (copy_file_range).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/volume.h"

int
fixup_fd_pread(int fd, void *buf, size_t len, uint64_t off, size_t *ret_got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k = pread(fd, (uint8_t *)buf + done, len - done,
		                  (off_t)(off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	*ret_got = done;
	return 0;
}

int
fixup_fd_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t k = pwrite(fd, p, len, (off_t)off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int
file_pread(struct fixup_io *io, void *buf, size_t len, uint64_t off)
{
	size_t got;
	int r = fixup_fd_pread(io->fd, buf, len, off, &got);

	if (r < 0)
		return r;
	return got == len ? 0 : -EIO;
}

static int
file_pwrite(struct fixup_io *io, const void *buf, size_t len, uint64_t off)
{
	return fixup_fd_pwrite(io->fd, buf, len, off);
}

static int
file_flush(struct fixup_io *io)
{
	return fsync(io->fd) < 0 ? -errno : 0;
}

static void
file_free(struct fixup_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	free(io);
}

static const struct fixup_io_ops file_ops = {
        .pread = file_pread,
        .pwrite = file_pwrite,
        .flush = file_flush,
        .free = file_free,
};

int
fixup_io_file_open(const char *path, bool writable, struct fixup_io **ret)
{
	_cleanup_close_ int fd = -1;
	struct fixup_io *io;
	struct stat st;
	uint64_t size;

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fixup_set_error(-errno, "%s: cannot open: %s", path,
		                       strerror(errno));
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else
		return fixup_set_error(FIXUP_E_NOT_IMAGE,
		                       "%s: not a disk image (neither a "
		                       "regular file nor a block device)",
		                       path);
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->ops = &file_ops;
	io->size = size;
	io->fd = TAKE_FD(fd);
	io->writable = writable;
	strcpy(io->format, "raw");
	*ret = io;
	return 0;
}
