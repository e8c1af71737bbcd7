/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ntfs3g volume backend: an NTFS partition inside a raw image file (or
 * block device), opened with libntfs-3g through our own
 * struct ntfs_device_operations that reads and writes at the partition's
 * byte offset of the image.  No FUSE, no loop device, no root.  Every device
 * access is bounds-checked to the partition; a read-only volume refuses any
 * write at the device level (and the image fd is O_RDONLY anyway).
 *
 * Written against libntfs-3g 2022.10.3 (Debian 12).  <ntfs-3g/...> headers
 * are included in this file only.
 *
 * Safety checks at open, in this order: the volume is first mounted
 * read-only; a hibernated Windows (hiberfil.sys starting with "hibr"/"HIBR"
 * or shorter than its header, as ntfs_volume_check_hiberfile() tests) is
 * FIXUP_E_HIBERNATED; a volume whose dirty flag is set is FIXUP_E_UNCLEAN.
 * FIXUP_OPEN_ALLOW_UNCLEAN lets a read-only open pass both.  A writable open
 * then remounts read-write, where libntfs-3g itself refuses an unclean
 * $LogFile (reported as FIXUP_E_UNCLEAN) unless FIXUP_OPEN_RESET_JOURNAL:
 * then it is reset (NTFS_MNT_RECOVER) and the volume marked dirty.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/volume.h>
#pragma GCC diagnostic pop

#include "image/disk.h"
#include "util.h"
#include "image/volume-ntfs3g.h"

struct ntfs3g_dev {
	struct fixup_disk *disk; /* the image, through its overlay */
	uint64_t start, size;
	int64_t pos;
	bool writable;
};

struct ntfs3g_vol {
	struct ntfs3g_dev dev;
	ntfs_volume *vol;
	char *image_path;
};

/* ---- device operations: the partition as a bounded window of fd --------- */

static int
dev_open(struct ntfs_device *dev, int flags)
{
	struct ntfs3g_dev *d = dev->d_private;

	if ((flags & O_ACCMODE) != O_RDONLY && !d->writable) {
		errno = EROFS;
		return -1;
	}
	if ((flags & O_ACCMODE) == O_RDONLY)
		NDevSetReadOnly(dev);
	else
		NDevClearReadOnly(dev);
	NDevSetOpen(dev);
	d->pos = 0;
	return 0;
}

static int
dev_close(struct ntfs_device *dev)
{
	NDevClearOpen(dev);
	return 0;
}

static s64
dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct ntfs3g_dev *d = dev->d_private;
	s64 base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = d->pos;
		break;
	case SEEK_END:
		base = (s64)d->size;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if ((offset < 0 && -offset > base) ||
	    (offset > 0 && offset > (s64)d->size - base)) {
		errno = EINVAL;
		return -1;
	}
	d->pos = base + offset;
	return d->pos;
}

static s64
dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct ntfs3g_dev *d = dev->d_private;
	s64 done = 0;

	if (offset < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)offset >= d->size)
		return 0;
	count = MIN(count, (s64)(d->size - (uint64_t)offset));
	if (fixup_disk_pread(d->disk, buf, (size_t)count,
	                     d->start + (uint64_t)offset) < 0) {
		errno = EIO;
		return -1;
	}
	done = count;
	return done;
}

static s64
dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	struct ntfs3g_dev *d = dev->d_private;
	s64 done = 0;
	int r;

	if (!d->writable || NDevReadOnly(dev)) {
		errno = EROFS;
		return -1;
	}
	if (offset < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)offset > d->size ||
	    (uint64_t)count > d->size - (uint64_t)offset) {
		errno = ENOSPC;
		return -1;
	}
	NDevSetDirty(dev);
	r = fixup_disk_pwrite(d->disk, buf, (size_t)count,
	                      d->start + (uint64_t)offset);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	done = count;
	return done;
}

static s64
dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct ntfs3g_dev *d = dev->d_private;
	s64 n = dev_pread(dev, buf, count, d->pos);

	if (n > 0)
		d->pos += n;
	return n;
}

static s64
dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct ntfs3g_dev *d = dev->d_private;
	s64 n = dev_pwrite(dev, buf, count, d->pos);

	if (n > 0)
		d->pos += n;
	return n;
}

static int
dev_sync(struct ntfs_device *dev)
{
	struct ntfs3g_dev *d = dev->d_private;

	if (d->writable && !NDevReadOnly(dev)) {
		/* Writes sit in the disk overlay until the image is
		 * committed (fixup_image_commit). */
		NDevClearDirty(dev);
	}
	return 0;
}

static int
dev_stat(struct ntfs_device *dev, struct stat *buf)
{
	struct ntfs3g_dev *d = dev->d_private;

	memset(buf, 0, sizeof(*buf));
	buf->st_mode = S_IFREG | 0600;
	buf->st_size = (off_t)d->size;
	buf->st_blksize = FIXUP_SECTOR_SIZE;
	return 0;
}

static int
dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct ntfs3g_dev *d = dev->d_private;

	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = d->size;
		return 0;
	case BLKSSZGET:
		*(int *)argp = FIXUP_SECTOR_SIZE;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations device_ops = {
        .open = dev_open,
        .close = dev_close,
        .seek = dev_seek,
        .read = dev_read,
        .write = dev_write,
        .pread = dev_pread,
        .pwrite = dev_pwrite,
        .sync = dev_sync,
        .stat = dev_stat,
        .ioctl = dev_ioctl,
};

/* ---- helpers ------------------------------------------------------------ */

static ntfs_volume *
vol_of(struct fixup_volume *v)
{
	return ((struct ntfs3g_vol *)v->data)->vol;
}

static void
inode_closep(ntfs_inode **ni)
{
	if (*ni)
		(void)ntfs_inode_close(*ni);
}

static void
attr_closep(ntfs_attr **na)
{
	if (*na)
		ntfs_attr_close(*na);
}

/* Opens the inode at a normalised path; -errno (ENOENT when absent). */
static int
open_inode(struct fixup_volume *v, const char *path, ntfs_inode **ret)
{
	ntfs_inode *ni = ntfs_pathname_to_inode(vol_of(v), NULL, path);

	if (!ni)
		return errno ? -errno : -EIO;
	*ret = ni;
	return 0;
}

/* Splits "/a/b/c" into the parent inode ("/a/b") and the UTF-16 name. */
static int
open_parent(struct fixup_volume *v, const char *path, ntfs_inode **ret_dir,
            ntfschar **ret_name, u8 *ret_len)
{
	_cleanup_free_ char *parent = NULL;
	const char *base = strrchr(path, '/');
	void *u = NULL;
	size_t ulen;
	int r;

	if (!base || !base[1])
		return -EINVAL;
	parent = util_strndup0(path, (size_t)(base - path));
	if (!parent)
		return -ENOMEM;
	r = util_utf8_to_utf16le(base + 1, strlen(base + 1), &u, &ulen);
	if (r < 0)
		return r;
	if (ulen / 2 > 255 || ulen == 0) {
		free(u);
		return -ENAMETOOLONG;
	}
	r = open_inode(v, parent[0] ? parent : "/", ret_dir);
	if (r < 0) {
		free(u);
		return r;
	}
	if (!((*ret_dir)->mrec->flags & MFT_RECORD_IS_DIRECTORY)) {
		(void)ntfs_inode_close(*ret_dir);
		free(u);
		return -ENOTDIR;
	}
	*ret_name = u;
	*ret_len = (u8)(ulen / 2);
	return 0;
}

static bool
is_dir(ntfs_inode *ni)
{
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

/* ---- ops ---------------------------------------------------------------- */

static int
n3_stat(struct fixup_volume *v, const char *path, struct fixup_stat *ret)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	_cleanup_(attr_closep) ntfs_attr *na = NULL;
	struct fixup_stat st = {.has_attributes = true};
	int r = open_inode(v, path, &ni);

	if (r < 0)
		return r;
	st.is_dir = is_dir(ni);
	st.attributes = le32_to_cpu(ni->flags) & 0xffff;
	if (st.is_dir)
		st.attributes |= FIXUP_ATTR_DIRECTORY;
	else {
		na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
		if (na)
			st.size = (uint64_t)MAX(na->data_size, 0);
	}
	*ret = st;
	return 0;
}

struct list_ctx {
	char **names;
	size_t n;
	bool root;
	int error;
};

static int
list_filldir(void *dirent, const ntfschar *name, const int name_len,
             const int name_type, const s64 pos, const MFT_REF mref,
             const unsigned dt_type)
{
	struct list_ctx *c = dirent;
	char *s = NULL;
	int r;

	if (name_type == FILE_NAME_DOS)
		return 0;
	if (c->root && MREF(mref) < FILE_first_user)
		return 0; /* $MFT, $Bitmap, ... and "." */
	if (c->n >= FIXUP_MAX_DIR_ENTRIES) {
		c->error = -E2BIG;
		return -1;
	}
	r = util_utf16le_to_utf8(name, (size_t)name_len * 2, &s, NULL);
	if (r < 0) {
		c->error = r;
		return -1;
	}
	if (streq(s, ".") || streq(s, "..")) {
		free(s);
		return 0;
	}
	r = util_strv_consume(&c->names, s);
	if (r < 0) {
		c->error = r;
		return -1;
	}
	c->n++;
	return 0;
}

static int
n3_list(struct fixup_volume *v, const char *path, char ***ret)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	struct list_ctx c = {.root = streq(path, "/")};
	s64 pos = 0;
	int r = open_inode(v, path, &ni);

	if (r < 0)
		return r;
	if (!is_dir(ni))
		return -ENOTDIR;
	if (ntfs_readdir(ni, &pos, &c, list_filldir) < 0 && !c.error)
		c.error = errno ? -errno : -EIO;
	if (c.error < 0) {
		util_strv_free(c.names);
		return c.error;
	}
	if (!c.names) {
		c.names = calloc(1, sizeof(char *));
		if (!c.names)
			return -ENOMEM;
	}
	*ret = c.names;
	return 0;
}

/* The unnamed $DATA of the file path: -EISDIR for a directory. */
static int
open_data(struct fixup_volume *v, const char *path, ntfs_inode **ret_ni,
          ntfs_attr **ret_na)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	int r = open_inode(v, path, &ni);

	if (r < 0)
		return r;
	if (is_dir(ni))
		return -EISDIR;
	*ret_na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!*ret_na)
		return -errno;
	*ret_ni = TAKE_PTR(ni);
	return 0;
}

static int
n3_read_at(struct fixup_volume *v, const char *path, uint64_t off, void *buf,
           size_t len, size_t *ret_n)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	_cleanup_(attr_closep) ntfs_attr *na = NULL;
	size_t done = 0;
	s64 n;
	int r = open_data(v, path, &ni, &na);

	if (r < 0)
		return r;
	if (na->data_size < 0)
		return -EBADMSG;
	if (off >= (uint64_t)na->data_size) {
		*ret_n = 0;
		return 0;
	}
	len = (size_t)MIN((uint64_t)len, (uint64_t)na->data_size - off);
	while (done < len) {
		n = ntfs_attr_pread(na, (s64)(off + done), (s64)(len - done),
		                    (uint8_t *)buf + done);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*ret_n = done;
	return 0;
}

static int
n3_read_file(struct fixup_volume *v, const char *path, size_t max, char **ret,
             size_t *ret_len)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	_cleanup_(attr_closep) ntfs_attr *na = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len, done = 0;
	s64 n;
	int r = open_data(v, path, &ni, &na);

	if (r < 0)
		return r;
	if (na->data_size < 0)
		return -EBADMSG;
	if ((uint64_t)na->data_size > max)
		return -EFBIG;
	len = (size_t)na->data_size;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		n = ntfs_attr_pread(na, (s64)done, (s64)(len - done),
		                    buf + done);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* runlist shorter than data_size */
		done += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int
pwrite_full(ntfs_attr *na, size_t off, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		s64 n = ntfs_attr_pwrite(na, (s64)(off + done),
		                         (s64)(len - done), buf + done);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

#define DELTA_BLOCK 4096u
#define DELTA_CHUNK (256u * 1024)

/*
 * Rewrites a plain non-resident $DATA in place, writing only the 4 KiB
 * blocks whose bytes change; the allocation is kept and growing allocates
 * the tail only.  A registry hive edit changes a few percent of a 10+ MiB
 * file: the overlay, the undo log and the commit stay proportional to the
 * change, and no cluster search runs over a big volume's bitmap.
 */
static int
write_delta(ntfs_attr *na, const uint8_t *buf, size_t len)
{
	_cleanup_free_ uint8_t *cur = NULL;
	size_t old = (size_t)na->data_size, same;
	int r;

	if (len != old && ntfs_attr_truncate(na, (s64)len) < 0)
		return -errno;
	same = MIN(old, len);
	cur = malloc(DELTA_CHUNK);
	if (!cur)
		return -ENOMEM;
	for (size_t off = 0; off < same; off += DELTA_CHUNK) {
		size_t n = MIN((size_t)DELTA_CHUNK, same - off), got = 0;

		while (got < n) {
			s64 k = ntfs_attr_pread(na, (s64)(off + got),
			                        (s64)(n - got), cur + got);

			if (k < 0)
				return -errno;
			if (k == 0)
				return -EIO;
			got += (size_t)k;
		}
		for (size_t b = 0; b < n;) {
			size_t e;

			if (memcmp(cur + b, buf + off + b,
			           MIN(DELTA_BLOCK, n - b)) == 0) {
				b += DELTA_BLOCK;
				continue;
			}
			/* a run of changed blocks: one write */
			for (e = b + DELTA_BLOCK;
			     e < n && memcmp(cur + e, buf + off + e,
			                     MIN(DELTA_BLOCK, n - e)) != 0;
			     e += DELTA_BLOCK)
				;
			e = MIN(e, n);
			r = pwrite_full(na, off + b, buf + off + b, e - b);
			if (r < 0)
				return r;
			b = e;
		}
	}
	return len > same ? pwrite_full(na, same, buf + same, len - same) : 0;
}

/*
 * copy_out of a plain non-resident $DATA: its runs are copied from the
 * image to fd in the kernel (a hive is 10+ MiB: no page-faulting it into
 * a fresh buffer and writing it out again).  Holes and the part beyond
 * the initialized size stay holes of fd (zeros).  Compressed, encrypted,
 * sparse-flagged and resident data: -EOPNOTSUPP (read_file does it).
 */
static int
n3_copy_out(struct fixup_volume *v, const char *path, size_t max, int fd)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	_cleanup_(attr_closep) ntfs_attr *na = NULL;
	ntfs_volume *vol = vol_of(v);
	struct ntfs3g_dev *d = vol->dev->d_private;
	unsigned bits = vol->cluster_size_bits;
	uint64_t init, want = 0;
	int r = open_data(v, path, &ni, &na);

	if (r < 0)
		return r;
	if (!NAttrNonResident(na) ||
	    (na->data_flags &
	     (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE | ATTR_IS_ENCRYPTED)))
		return -EOPNOTSUPP;
	if (na->data_size < 0 || na->initialized_size < 0)
		return -EBADMSG;
	if ((uint64_t)na->data_size > max)
		return -EFBIG;
	if (ntfs_attr_map_whole_runlist(na) < 0)
		return -errno;
	init = MIN((uint64_t)na->initialized_size, (uint64_t)na->data_size);
	for (const runlist_element *rl = na->rl; rl && rl->length; rl++) {
		uint64_t voff, len, doff;

		if (rl->vcn < 0 || rl->length < 0 ||
		    (uint64_t)rl->vcn > (UINT64_MAX >> bits) ||
		    (uint64_t)rl->length > (UINT64_MAX >> bits))
			return -EBADMSG;
		voff = (uint64_t)rl->vcn << bits;
		if (voff >= init)
			break;
		/* runs follow each other: anything else is corrupt */
		if (voff != want)
			return -EBADMSG;
		len = MIN((uint64_t)rl->length << bits, init - voff);
		want = voff + ((uint64_t)rl->length << bits);
		if (rl->lcn == LCN_HOLE)
			continue;
		if (rl->lcn < 0 || (uint64_t)rl->lcn > (d->size >> bits))
			return -EBADMSG;
		doff = (uint64_t)rl->lcn << bits;
		if (doff > d->size || len > d->size - doff)
			return -EBADMSG; /* a run outside the partition */
		r = fixup_disk_copy_to_fd(d->disk, d->start + doff, (size_t)len,
		                          fd, voff);
		if (r < 0)
			return r;
	}
	if (want < init)
		return -EBADMSG; /* runlist shorter than the data */
	if (ftruncate(fd, (off_t)na->data_size) < 0)
		return -errno;
	return 0;
}

static int
write_data(ntfs_inode *ni, const void *buf, size_t len)
{
	_cleanup_(attr_closep) ntfs_attr *na = NULL;
	size_t done = 0;
	s64 n;

	if (ni->flags & FILE_ATTR_ENCRYPTED)
		return -EOPNOTSUPP;
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na && errno == ENOENT) {
		if (ntfs_attr_add(ni, AT_DATA, AT_UNNAMED, 0, NULL, 0) < 0)
			return -errno;
		na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	}
	if (!na)
		return -errno;
	if (NAttrNonResident(na) && na->data_size >= 0 &&
	    !(na->data_flags &
	      (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE | ATTR_IS_ENCRYPTED))) {
		int r = write_delta(na, buf, len);

		if (r < 0)
			return r;
		ntfs_inode_update_times(ni, NTFS_UPDATE_MCTIME);
		return 0;
	}
	if (ntfs_attr_truncate(na, 0) < 0)
		return -errno;
	while (done < len) {
		n = ntfs_attr_pwrite(na, (s64)done, (s64)(len - done),
		                     (const uint8_t *)buf + done);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	ntfs_inode_update_times(ni, NTFS_UPDATE_MCTIME);
	return 0;
}

static int
n3_write_file(struct fixup_volume *v, const char *path, const void *buf,
              size_t len)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	_cleanup_(inode_closep) ntfs_inode *dir_ni = NULL;
	_cleanup_free_ ntfschar *uname = NULL;
	u8 ulen;
	int r = open_inode(v, path, &ni);

	if (r == -ENOENT) {
		r = open_parent(v, path, &dir_ni, &uname, &ulen);
		if (r < 0)
			return r;
		ni = ntfs_create(dir_ni, const_cpu_to_le32(0), uname, ulen,
		                 S_IFREG);
		if (!ni)
			return -errno;
	} else if (r < 0) {
		return r;
	}
	if (is_dir(ni))
		return -EISDIR;
	r = write_data(ni, buf, len);
	if (r < 0)
		return r;
	/* A new inode is closed while its parent is still open: its name
	 * must be synced into the open parent's index. */
	if (dir_ni ? ntfs_inode_close_in_dir(TAKE_PTR(ni), dir_ni) < 0
	           : ntfs_inode_close(TAKE_PTR(ni)) < 0)
		return -errno;
	return 0;
}

static int
n3_mkdir(struct fixup_volume *v, const char *path)
{
	_cleanup_(inode_closep) ntfs_inode *dir_ni = NULL;
	_cleanup_free_ ntfschar *uname = NULL;
	ntfs_inode *ni;
	u8 ulen;
	int r = open_parent(v, path, &dir_ni, &uname, &ulen);

	if (r < 0)
		return r;
	ni = ntfs_create(dir_ni, const_cpu_to_le32(0), uname, ulen, S_IFDIR);
	if (!ni)
		return -errno;
	if (ntfs_inode_close_in_dir(ni, dir_ni) < 0)
		return -errno;
	return 0;
}

/* ntfs_delete() closes ni and dir_ni, whatever it returns. */
static int
delete_name(struct fixup_volume *v, const char *path, ntfs_inode *ni,
            ntfs_inode *dir_ni, ntfschar *uname, u8 ulen)
{
	if (ntfs_delete(vol_of(v), path, ni, dir_ni, uname, ulen) < 0)
		return -errno;
	return 0;
}

static int
n3_remove(struct fixup_volume *v, const char *path)
{
	_cleanup_free_ ntfschar *uname = NULL;
	ntfs_inode *dir_ni = NULL, *ni = NULL;
	u8 ulen;
	int r = open_parent(v, path, &dir_ni, &uname, &ulen);

	if (r < 0)
		return r;
	r = open_inode(v, path, &ni);
	if (r < 0) {
		(void)ntfs_inode_close(dir_ni);
		return r;
	}
	return delete_name(v, path, ni, dir_ni, uname, ulen);
}

static int
n3_rename(struct fixup_volume *v, const char *from, const char *to)
{
	_cleanup_free_ ntfschar *uold = NULL, *unew = NULL;
	_cleanup_free_ char *from_parent = NULL, *to_parent = NULL;
	ntfs_inode *ni = NULL, *old_dir = NULL, *new_dir = NULL;
	struct fixup_stat st;
	u8 lold, lnew;
	int r;

	r = n3_stat(v, from, &st);
	if (r < 0)
		return r;
	if (st.is_dir)
		return -EOPNOTSUPP; /* libntfs-3g links files only */
	r = n3_stat(v, to, &st);
	if (r == 0) {
		if (st.is_dir)
			return -EISDIR;
		r = n3_remove(v, to);
	}
	if (r < 0 && r != -ENOENT)
		return r;

	from_parent = util_strndup0(from, (size_t)(strrchr(from, '/') - from));
	to_parent = util_strndup0(to, (size_t)(strrchr(to, '/') - to));
	if (!from_parent || !to_parent)
		return -ENOMEM;
	r = open_parent(v, from, &old_dir, &uold, &lold);
	if (r < 0)
		return r;
	r = open_inode(v, from, &ni);
	if (r < 0)
		goto fail;
	if (streq(from_parent, to_parent)) {
		void *u = NULL;
		size_t ulen;
		const char *base = strrchr(to, '/') + 1;

		r = util_utf8_to_utf16le(base, strlen(base), &u, &ulen);
		if (r < 0)
			goto fail;
		unew = u;
		if (ulen / 2 > 255 || ulen == 0) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		lnew = (u8)(ulen / 2);
		if (ntfs_link(ni, old_dir, unew, lnew) < 0) {
			r = -errno;
			goto fail;
		}
	} else {
		r = open_parent(v, to, &new_dir, &unew, &lnew);
		if (r < 0)
			goto fail;
		if (ntfs_link(ni, new_dir, unew, lnew) < 0) {
			r = -errno;
			goto fail;
		}
		if (ntfs_inode_close(TAKE_PTR(new_dir)) < 0) {
			r = -errno;
			goto fail;
		}
	}
	return delete_name(v, from, ni, old_dir, uold, lold);
fail:
	if (ni)
		(void)ntfs_inode_close(ni);
	if (new_dir)
		(void)ntfs_inode_close(new_dir);
	(void)ntfs_inode_close(old_dir);
	return r;
}

static int
n3_set_attributes(struct fixup_volume *v, const char *path, uint32_t attributes)
{
	_cleanup_(inode_closep) ntfs_inode *ni = NULL;
	uint32_t value = attributes & (FIXUP_ATTR_READONLY | FIXUP_ATTR_HIDDEN |
	                               FIXUP_ATTR_SYSTEM | FIXUP_ATTR_ARCHIVE);
	int r = open_inode(v, path, &ni);

	if (r < 0)
		return r;
	/* value is a host-endian u32, as the xattr "system.ntfs_attrib" */
	if (ntfs_set_ntfs_attrib(ni, (const char *)&value, sizeof(value), 0) <
	    0)
		return -errno;
	if (ntfs_inode_close(TAKE_PTR(ni)) < 0)
		return -errno;
	return 0;
}

static int
n3_sync(struct fixup_volume *v)
{
	ntfs_volume *vol = vol_of(v);

	if (!v->writable)
		return 0;
	if (ntfs_device_sync(vol->dev) < 0)
		return -errno;
	return 0;
}

static int
n3_mark_dirty(struct fixup_volume *v)
{
	ntfs_volume *vol = vol_of(v);

	if (ntfs_volume_write_flags(vol, vol->flags | VOLUME_IS_DIRTY) < 0)
		return -errno;
	return 0;
}

static int
n3_close(struct fixup_volume *v)
{
	struct ntfs3g_vol *n = v->data;
	int r = 0;

	if (!n)
		return 0;
	if (n->vol && ntfs_umount(n->vol, FALSE) < 0)
		r = -errno;
	free(n->image_path);
	free(n);
	v->data = NULL;
	return r;
}

/* The boot sector and boot code, through the overlay like the rest. */
static int
n3_boot_io(struct fixup_volume *v, bool write, uint64_t off, void *buf,
           size_t len)
{
	struct ntfs3g_vol *n = v->data;

	return write ? fixup_disk_pwrite(n->dev.disk, buf, len,
	                                 n->dev.start + off)
	             : fixup_disk_pread(n->dev.disk, buf, len,
	                                n->dev.start + off);
}

static const struct fixup_volume_ops ntfs3g_ops = {
        .name = "ntfs3g",
        .stat = n3_stat,
        .list = n3_list,
        .read_file = n3_read_file,
        .read_at = n3_read_at,
        .copy_out = n3_copy_out,
        .write_file = n3_write_file,
        .mkdir = n3_mkdir,
        .remove = n3_remove,
        .rename = n3_rename,
        .set_attributes = n3_set_attributes,
        .sync = n3_sync,
        .mark_dirty = n3_mark_dirty,
        .boot_io = n3_boot_io,
        .close = n3_close,
};

/* ---- open --------------------------------------------------------------- */

static int
mount_dev(struct ntfs3g_vol *n, unsigned long mflags, ntfs_volume **ret)
{
	struct ntfs_device *dev;
	ntfs_volume *vol;
	int r;

	dev = ntfs_device_alloc(n->image_path, 0, &device_ops, &n->dev);
	if (!dev)
		return -errno;
	vol = ntfs_device_mount(dev, mflags);
	if (!vol) {
		r = errno ? -errno : -EIO;
		if (NDevOpen(dev))
			(void)dev->d_ops->close(dev);
		(void)ntfs_device_free(dev);
		return r;
	}
	*ret = vol;
	return 0;
}

static int
ntfs3g_open(struct fixup_volume *v, const struct fixup_volume_place *at,
            unsigned flags)
{
	const char *img = at->image_path;
	struct fixup_disk *disk = at->disk;
	uint64_t start = at->start, size = at->size;
	struct ntfs3g_vol *n;
	bool allow_unclean = (flags & FIXUP_OPEN_ALLOW_UNCLEAN) &&
	                     !(flags & FIXUP_OPEN_WRITE);
	unsigned number = at->number;
	int r;

	ntfs_log_set_handler((flags & FIXUP_OPEN_VERBOSE)
	                             ? ntfs_log_handler_stderr
	                             : ntfs_log_handler_null);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->dev = (struct ntfs3g_dev){
	        .disk = disk,
	        .start = start,
	        .size = size,
	        .writable = false,
	};
	if (util_asprintf(&n->image_path, "%s@%" PRIu64, img, start) < 0) {
		free(n);
		return -ENOMEM;
	}
	v->data = n;
	v->ops = &ntfs3g_ops;

	r = mount_dev(n, NTFS_MNT_RDONLY, &n->vol);
	if (r < 0) {
		r = fixup_set_error(-EBADMSG,
		                    "%s: partition %u: libntfs-3g cannot "
		                    "mount the NTFS filesystem (%s): damaged "
		                    "volume, run chkdsk in Windows",
		                    img, number, strerror(-r));
		goto fail;
	}
	if (ntfs_volume_check_hiberfile(n->vol, 0) < 0 && !allow_unclean) {
		r = errno == EPERM
		            ? fixup_set_error(
		                      FIXUP_E_HIBERNATED,
		                      "%s: partition %u: Windows is "
		                      "hibernated or shut down with Fast "
		                      "Startup (hiberfil.sys is active): boot "
		                      "it and shut down fully (shutdown /s "
		                      "/t 0, or disable Fast Startup / "
		                      "powercfg /h off)",
		                      img, number)
		            : fixup_set_error(-errno,
		                              "%s: partition %u: cannot check "
		                              "hiberfil.sys: %s",
		                              img, number, strerror(errno));
		goto fail;
	}
	/* --force ntfs-journal marks the volume dirty itself (and verify
	 * reopens it): a chkdsk pending is accepted then */
	if ((n->vol->flags & VOLUME_IS_DIRTY) && !allow_unclean &&
	    !(flags & FIXUP_OPEN_RESET_JOURNAL)) {
		r = fixup_set_error(FIXUP_E_UNCLEAN,
		                    "%s: partition %u: the NTFS volume is "
		                    "marked dirty (unclean shutdown or chkdsk "
		                    "pending): run chkdsk /f in Windows first",
		                    img, number);
		goto fail;
	}
	if (flags & FIXUP_OPEN_WRITE) {
		r = ntfs_umount(n->vol, FALSE) < 0 ? -errno : 0;
		n->vol = NULL;
		if (r < 0)
			goto fail;
		n->dev.writable = true;
		v->writable = true;
		r = mount_dev(n, NTFS_MNT_NONE, &n->vol);
		if (r == -EOPNOTSUPP && (flags & FIXUP_OPEN_RESET_JOURNAL)) {
			/* libntfs-3g's recover: the journal is emptied; what
			 * it held and the volume does not, chkdsk finds */
			r = mount_dev(n, NTFS_MNT_RECOVER, &n->vol);
			if (r >= 0 &&
			    ntfs_volume_write_flags(
			            n->vol, n->vol->flags | VOLUME_IS_DIRTY) <
			            0)
				r = -errno;
		}
		if (r == -EPERM) {
			r = fixup_set_error(
			        FIXUP_E_HIBERNATED,
			        "%s: partition %u: Windows is "
			        "hibernated (Fast Startup): shut it "
			        "down fully first",
			        img, number);
			goto fail;
		}
		if (r < 0) {
			r = fixup_set_error(
			        FIXUP_E_UNCLEAN,
			        "%s: partition %u: libntfs-3g refuses "
			        "to mount read-write (%s): the journal "
			        "($LogFile) is unclean, Windows was not shut "
			        "down cleanly.  Boot it and shut it down, or "
			        "reset the journal as part of the fix with "
			        "--force " FIXUP_FORCE_NTFS_JOURNAL " (as "
			        "ntfs-3g's mount does; rollback restores it, "
			        "and Windows checks the volume at its next "
			        "boot)",
			        img, number, strerror(-r));
			goto fail;
		}
	}
	return 0;
fail:
	(void)n3_close(v);
	v->ops = NULL;
	return r;
}

static const char *const ntfs3g_fstypes[] = {"ntfs", NULL};

const struct fixup_backend fixup_backend_ntfs3g = {
        .name = "ntfs3g",
        .fstypes = ntfs3g_fstypes,
        .open = ntfs3g_open,
};
