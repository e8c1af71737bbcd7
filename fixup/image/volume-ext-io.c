/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext backend's io_manager: libext2fs reads and writes the partition
 * [start, start+size) of a raw image through struct fixup_disk (the
 * copy-on-write overlay of disk.c), never through a file descriptor of the
 * image.  Every channel access is bounds-checked to the partition.
 */
#include <stdlib.h>
#include <string.h>

#include "image/disk.h"
#include "image/volume-ext-internal.h"
#include "util.h"

/* ---- the io_manager: a window [start, start+size) of a fixup_disk ------- */

/* ext2fs_open2() calls our open() synchronously; it finds the partition
 * here (one open at a time per thread). */
static __thread struct ext_io *pending_io;

static struct struct_io_manager ext_io_manager;

static errcode_t
ext_io_open(const char *name, int flags, io_channel *ret)
{
	struct ext_io *io = pending_io;
	io_channel ch = NULL;
	errcode_t e;

	if (!io || io->magic != EXT_IO_MAGIC)
		return EXT2_ET_BAD_DEVICE_NAME;
	if ((flags & IO_FLAG_RW) && !io->writable)
		return EROFS;
	e = ext2fs_get_memzero(sizeof(*ch), &ch);
	if (e)
		return e;
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = &ext_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = io;
	e = ext2fs_get_mem(strlen(name) + 1, &ch->name);
	if (e) {
		ext2fs_free_mem(&ch);
		return e;
	}
	strcpy(ch->name, name);
	pending_io = NULL; /* the channel owns io now */
	*ret = ch;
	return 0;
}

static errcode_t
ext_io_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->private_data);
	ext2fs_free_mem(&ch->name);
	ext2fs_free_mem(&ch);
	return 0;
}

static errcode_t
ext_io_set_blksize(io_channel ch, int blksize)
{
	/* ext block sizes are 1 KiB .. 64 KiB, powers of two */
	if (blksize < 1024 || blksize > EXT2_MAX_BLOCK_SIZE ||
	    (blksize & (blksize - 1)))
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

/* Byte range of (block, count) in the partition, bounds-checked.  count < 0
 * is a byte count (libext2fs convention). */
static errcode_t
ext_io_range(io_channel ch, unsigned long long block, int count, uint64_t *off,
             size_t *len, bool write)
{
	struct ext_io *io = ch->private_data;
	uint64_t o, l;

	if (count < 0)
		l = (uint64_t)(-(int64_t)count);
	else
		l = (uint64_t)count * (uint64_t)ch->block_size;
	if (block > UINT64_MAX / (uint64_t)ch->block_size)
		return write ? EXT2_ET_SHORT_WRITE : EXT2_ET_SHORT_READ;
	o = block * (uint64_t)ch->block_size;
	if (o > io->size || l > io->size - o || l > SIZE_MAX)
		return write ? EXT2_ET_SHORT_WRITE : EXT2_ET_SHORT_READ;
	*off = io->start + o;
	*len = (size_t)l;
	return 0;
}

static errcode_t
ext_io_read64(io_channel ch, unsigned long long block, int count, void *buf)
{
	struct ext_io *io = ch->private_data;
	uint64_t off;
	size_t len;
	errcode_t e = ext_io_range(ch, block, count, &off, &len, false);
	int r;

	if (e)
		return e;
	r = fixup_disk_pread(io->disk, buf, len, off);
	return r < 0 ? (r == -EIO ? EXT2_ET_SHORT_READ : (errcode_t)-r) : 0;
}

static errcode_t
ext_io_write64(io_channel ch, unsigned long long block, int count,
               const void *buf)
{
	struct ext_io *io = ch->private_data;
	uint64_t off;
	size_t len;
	errcode_t e;
	int r;

	if (!io->writable)
		return EROFS;
	e = ext_io_range(ch, block, count, &off, &len, true);
	if (e)
		return e;
	r = fixup_disk_pwrite(io->disk, buf, len, off);
	return r < 0 ? (errcode_t)-r : 0;
}

static errcode_t
ext_io_read(io_channel ch, unsigned long block, int count, void *buf)
{
	return ext_io_read64(ch, block, count, buf);
}

static errcode_t
ext_io_write(io_channel ch, unsigned long block, int count, const void *buf)
{
	return ext_io_write64(ch, block, count, buf);
}

static errcode_t
ext_io_write_byte(io_channel ch, unsigned long offset, int count,
                  const void *buf)
{
	struct ext_io *io = ch->private_data;
	int r;

	if (!io->writable)
		return EROFS;
	if (count < 0 || offset > io->size ||
	    (uint64_t)count > io->size - offset)
		return EXT2_ET_SHORT_WRITE;
	r = fixup_disk_pwrite(io->disk, buf, (size_t)count, io->start + offset);
	return r < 0 ? (errcode_t)-r : 0;
}

static errcode_t
ext_io_flush(io_channel ch)
{
	/* Writes are in the disk overlay already; disk.c commits them. */
	return 0;
}

static errcode_t
ext_io_set_option(io_channel ch, const char *option, const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static struct struct_io_manager ext_io_manager = {
        .magic = EXT2_ET_MAGIC_IO_MANAGER,
        .name = "imgfix fixup_disk I/O manager",
        .open = ext_io_open,
        .close = ext_io_close,
        .set_blksize = ext_io_set_blksize,
        .read_blk = ext_io_read,
        .write_blk = ext_io_write,
        .flush = ext_io_flush,
        .write_byte = ext_io_write_byte,
        .set_option = ext_io_set_option,
        .read_blk64 = ext_io_read64,
        .write_blk64 = ext_io_write64,
};

errcode_t
ext_io_open_fs(struct ext_io *io, int flags, ext2_filsys *ret)
{
	errcode_t code;

	pending_io = io;
	code = ext2fs_open2("imgfix-partition", NULL, flags, 0, 0,
	                    &ext_io_manager, ret);
	if (pending_io) {
		/* open() was not reached: io is still ours */
		pending_io = NULL;
		free(io);
	}
	/* else owned by the channel (freed by close) */
	return code;
}
