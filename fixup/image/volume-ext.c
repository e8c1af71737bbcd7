/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext volume backend: an ext2/3/4 filesystem inside a raw image, opened
 * with libext2fs through our own struct struct_io_manager whose channel
 * reads and writes through struct fixup_disk (the copy-on-write overlay of
 * disk.c) at the partition's byte offset (volume-ext-io.c).  No file
 * descriptor of the image, no loop device, no root.  Paths are resolved
 * inside the filesystem by volume-ext-path.c.  This file: the volume
 * operations, opening, and the backend's table.
 *
 * Written against libext2fs 1.47.0 (Debian 12).  <ext2fs/...> headers are
 * included by the ext backend's files only (volume-ext-internal.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "image/disk.h"
#include "image/volume-ext-internal.h"
#include "util.h"

/* The ext superblock lives 1024 bytes into the partition. */
#define EXT_MIN_PARTITION (2u * 1024)
#define EXT_NEW_FILE_MODE 0644
#define EXT_INODE_FLAGS_NO_WRITE \
	(EXT2_IMMUTABLE_FL | EXT2_APPEND_FL | EXT4_ENCRYPT_FL | EXT4_VERITY_FL)

static const struct fixup_volume_ops ext_ops;

static struct ext_vol *
ext_of(struct fixup_volume *v)
{
	return v->data;
}

/* ---- read operations ---------------------------------------------------- */

static int
ext_stat(struct fixup_volume *v, const char *path, struct fixup_stat *ret)
{
	struct ext_vol *e = ext_of(v);
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r;

	r = ext_resolve_inode(e, path, true, &ino, &inode);
	if (r < 0)
		return r;
	*ret = (struct fixup_stat){
	        .is_dir = LINUX_S_ISDIR(inode.i_mode),
	        .size = EXT2_I_SIZE(&inode),
	};
	return 0;
}

struct list_ctx {
	char **names;
	size_t n;
	int r;
};

/* The target of the symlink path, not followed (-EINVAL: not a link). */
static int
ext_readlink(struct fixup_volume *v, const char *path, char **ret)
{
	struct ext_vol *e = ext_of(v);
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r = ext_resolve_inode(e, path, false, &ino, &inode);

	if (r < 0)
		return r;
	if (!LINUX_S_ISLNK(inode.i_mode))
		return -EINVAL;
	return ext_read_symlink(e, ino, &inode, ret);
}

static int
list_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent, int offset,
          int blocksize, char *buf, void *priv)
{
	struct list_ctx *c = priv;
	size_t len = (size_t)ext2fs_dirent_name_len(dirent);
	char *name;

	if ((len == 1 && dirent->name[0] == '.') ||
	    (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
		return 0;
	/* A name no path can address (hostile image): not listed. */
	if (len == 0 || memchr(dirent->name, '/', len) ||
	    memchr(dirent->name, '\0', len))
		return 0;
	if (c->n >= FIXUP_MAX_DIR_ENTRIES) {
		c->r = -E2BIG;
		return DIRENT_ABORT;
	}
	name = util_strndup0(dirent->name, len);
	if (!name || util_strv_consume(&c->names, name) < 0) {
		c->r = -ENOMEM;
		return DIRENT_ABORT;
	}
	c->n++;
	return 0;
}

static int
ext_list(struct fixup_volume *v, const char *path, char ***ret)
{
	struct ext_vol *e = ext_of(v);
	struct list_ctx c = {0};
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t code;
	int r;

	r = ext_resolve_inode(e, path, true, &ino, &inode);
	if (r < 0)
		return r;
	if (!LINUX_S_ISDIR(inode.i_mode))
		return -ENOTDIR;
	code = ext2fs_dir_iterate2(e->fs, ino, 0, NULL, list_proc, &c);
	if (c.r < 0 || code) {
		util_strv_free(c.names);
		return c.r < 0 ? c.r : ext_fail(e, code, "cannot list", path);
	}
	if (!c.names) {
		c.names = calloc(1, sizeof(char *));
		if (!c.names)
			return -ENOMEM;
	}
	*ret = c.names;
	return 0;
}

/* Opens path (links followed) as a regular file. */
static int
open_regular(struct ext_vol *e, const char *path, int flags,
             ext2_ino_t *ret_ino, ext2_file_t *ret)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t code;
	int r;

	r = ext_resolve_inode(e, path, true, &ino, &inode);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(inode.i_mode))
		return -EISDIR;
	if (!LINUX_S_ISREG(inode.i_mode))
		return -EINVAL;
	if (inode.i_flags & EXT4_ENCRYPT_FL)
		return ext_error(e, -EOPNOTSUPP, ": %s is encrypted (fscrypt)",
		                 path);
	code = ext2fs_file_open2(e->fs, ino, &inode, flags, ret);
	if (code)
		return ext_fail(e, code, "cannot open", path);
	if (ret_ino)
		*ret_ino = ino;
	return 0;
}

static int
read_exact(struct ext_vol *e, ext2_file_t f, const char *path, char *buf,
           size_t len, size_t *ret_n)
{
	size_t done = 0;

	while (done < len) {
		unsigned int want = (unsigned int)MIN(len - done, 1u << 30);
		unsigned int got = 0;
		errcode_t code = ext2fs_file_read(f, buf + done, want, &got);

		if (code)
			return ext_fail(e, code, "cannot read", path);
		if (got == 0)
			break;
		done += got;
	}
	*ret_n = done;
	return 0;
}

static int
ext_read_file(struct fixup_volume *v, const char *path, size_t max, char **ret,
              size_t *ret_len)
{
	struct ext_vol *e = ext_of(v);
	_cleanup_free_ char *buf = NULL;
	ext2_file_t f = NULL;
	__u64 size = 0;
	size_t n = 0;
	int r;

	r = open_regular(e, path, 0, NULL, &f);
	if (r < 0)
		return r;
	if (ext2fs_file_get_lsize(f, &size) || size > max || size >= SIZE_MAX) {
		(void)ext2fs_file_close(f);
		return -EFBIG;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		(void)ext2fs_file_close(f);
		return -ENOMEM;
	}
	r = read_exact(e, f, path, buf, (size_t)size, &n);
	(void)ext2fs_file_close(f);
	if (r < 0)
		return r;
	if (n != size)
		return ext_error(e, -EBADMSG,
		                 ": %s: read %zu of %" PRIu64 " bytes", path, n,
		                 (uint64_t)size);
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int
ext_read_at(struct fixup_volume *v, const char *path, uint64_t off, void *buf,
            size_t len, size_t *ret_n)
{
	struct ext_vol *e = ext_of(v);
	ext2_file_t f = NULL;
	errcode_t code;
	__u64 size = 0;
	size_t n = 0;
	int r;

	r = open_regular(e, path, 0, NULL, &f);
	if (r < 0)
		return r;
	code = ext2fs_file_get_lsize(f, &size);
	if (code) {
		(void)ext2fs_file_close(f);
		return ext_fail(e, code, "cannot read the size of", path);
	}
	if (off >= size) {
		(void)ext2fs_file_close(f);
		*ret_n = 0;
		return 0;
	}
	code = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL);
	if (code) {
		(void)ext2fs_file_close(f);
		return ext_fail(e, code, "cannot seek in", path);
	}
	r = read_exact(e, f, path, buf, len, &n);
	(void)ext2fs_file_close(f);
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

/* ---- write operations --------------------------------------------------- */

static int
need_bitmaps(struct ext_vol *e)
{
	errcode_t code;

	if (e->bitmaps_loaded)
		return 0;
	code = ext2fs_read_bitmaps(e->fs);
	if (code)
		return ext_fail(e, code, "cannot read the allocation bitmaps",
		                NULL);
	e->bitmaps_loaded = true;
	return 0;
}

static uint32_t
now32(void)
{
	return (uint32_t)time(NULL);
}

static int
write_content(struct ext_vol *e, ext2_ino_t ino, const char *path,
              const void *buf, size_t len)
{
	ext2_file_t f = NULL;
	size_t done = 0;
	errcode_t code, k;

	code = ext2fs_file_open(e->fs, ino, EXT2_FILE_WRITE, &f);
	if (code)
		return ext_fail(e, code, "cannot open for writing", path);
	/* Free the old blocks, then write: the journal holds the original. */
	code = ext2fs_file_set_size2(f, 0);
	while (!code && done < len) {
		unsigned int want = (unsigned int)MIN(len - done, 1u << 30);
		unsigned int put = 0;

		code = ext2fs_file_write(f, (const char *)buf + done, want,
		                         &put);
		if (!code && put == 0)
			code = EXT2_ET_SHORT_WRITE;
		done += put;
	}
	if (!code)
		code = ext2fs_file_set_size2(f, len);
	k = ext2fs_file_close(f);
	if (!code)
		code = k;
	return code ? ext_fail(e, code, "cannot write", path) : 0;
}

/* Links ino as name in dir, growing the directory when it is full. */
static errcode_t
link_entry(ext2_filsys fs, ext2_ino_t dir, const char *name, ext2_ino_t ino,
           int filetype)
{
	errcode_t code = ext2fs_link(fs, dir, name, ino, filetype);

	if (code == EXT2_ET_DIR_NO_SPACE) {
		code = ext2fs_expand_dir(fs, dir);
		if (!code)
			code = ext2fs_link(fs, dir, name, ino, filetype);
	}
	return code;
}

/* Where a write operation acts: the bitmaps loaded, path's parent
 * directory resolved and its last component looked up.  0 with *ret_ino
 * set; -ENOENT (with *ret_dir and *ret_name set) when the entry is absent;
 * other -errno. */
static int
write_target(struct ext_vol *e, const char *path, ext2_ino_t *ret_dir,
             const char **ret_name, ext2_ino_t *ret_ino)
{
	int r = need_bitmaps(e);

	if (r < 0)
		return r;
	r = ext_resolve_parent(e, path, ret_dir, ret_name);
	if (r < 0)
		return r;
	return ext_lookup_entry(e, *ret_dir, *ret_name, ret_ino);
}

static int
update_inode(struct ext_vol *e, ext2_ino_t ino, struct ext2_inode *inode,
             const char *what, const char *path)
{
	errcode_t code = ext2fs_write_inode(e->fs, ino, inode);

	return code ? ext_fail(e, code, what, path) : 0;
}

static int
unlink_entry(struct ext_vol *e, ext2_ino_t dir, const char *name,
             ext2_ino_t ino, const char *path)
{
	errcode_t code = ext2fs_unlink(e->fs, dir, name, ino, 0);

	return code ? ext_fail(e, code, "cannot unlink", path) : 0;
}

static int
create_file(struct ext_vol *e, ext2_ino_t dir, const char *name,
            const char *path, ext2_ino_t *ret)
{
	ext2_filsys fs = e->fs;
	struct ext2_inode inode = {0};
	ext2_ino_t ino;
	errcode_t code;
	uint32_t now = now32();

	code = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | EXT_NEW_FILE_MODE, 0,
	                        &ino);
	if (code)
		return ext_fail(e, code, "cannot allocate an inode for", path);
	inode.i_mode = LINUX_S_IFREG | EXT_NEW_FILE_MODE;
	inode.i_links_count = 1;
	inode.i_atime = inode.i_ctime = inode.i_mtime = now;
	if (ext2fs_has_feature_extents(fs->super)) {
		ext2_extent_handle_t h;

		/* Sets EXT4_EXTENTS_FL and an empty extent tree in i_block. */
		code = ext2fs_extent_open2(fs, ino, &inode, &h);
		if (code)
			return ext_fail(e, code, "cannot set up extents of",
			                path);
		ext2fs_extent_free(h);
	}
	code = ext2fs_write_new_inode(fs, ino, &inode);
	if (code)
		return ext_fail(e, code, "cannot write the inode of", path);
	code = link_entry(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (code)
		return ext_fail(e, code, "cannot link", path);
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	*ret = ino;
	return 0;
}

static int
ext_write_file(struct fixup_volume *v, const char *path, const void *buf,
               size_t len)
{
	struct ext_vol *e = ext_of(v);
	struct ext2_inode inode;
	const char *name;
	ext2_ino_t dir, ino;
	int r;

	r = write_target(e, path, &dir, &name, &ino);
	if (r == -ENOENT) {
		r = create_file(e, dir, name, path, &ino);
		if (r < 0)
			return r;
	} else if (r < 0) {
		return r;
	} else {
		/* Existing entry: a symlink is followed inside the fs. */
		r = ext_resolve_inode(e, path, true, &ino, &inode);
		if (r < 0)
			return r;
		if (LINUX_S_ISDIR(inode.i_mode))
			return -EISDIR;
		if (!LINUX_S_ISREG(inode.i_mode))
			return -EINVAL;
		if (inode.i_flags & EXT_INODE_FLAGS_NO_WRITE)
			return ext_error(
			        e, -EPERM,
			        ": %s is immutable, append-only, encrypted or "
			        "verity-protected (inode flags 0x%x)",
			        path, inode.i_flags & EXT_INODE_FLAGS_NO_WRITE);
		inode.i_mtime = inode.i_ctime = now32();
		r = update_inode(e, ino, &inode, "cannot update the inode of",
		                 path);
		if (r < 0)
			return r;
	}
	return write_content(e, ino, path, buf, len);
}

static int
ext_mkdir(struct fixup_volume *v, const char *path)
{
	struct ext_vol *e = ext_of(v);
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t code;
	int r;

	r = write_target(e, path, &dir, &name, &ino);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	code = ext2fs_mkdir(e->fs, dir, 0, name);
	if (code == EXT2_ET_DIR_NO_SPACE) {
		code = ext2fs_expand_dir(e->fs, dir);
		if (!code)
			code = ext2fs_mkdir(e->fs, dir, 0, name);
	}
	return code ? ext_fail(e, code, "cannot create directory", path) : 0;
}

struct empty_ctx {
	bool empty;
};

static int
empty_proc(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent, int offset,
           int blocksize, char *buf, void *priv)
{
	struct empty_ctx *c = priv;
	int len = ext2fs_dirent_name_len(dirent);

	if ((len == 1 && dirent->name[0] == '.') ||
	    (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
		return 0;
	c->empty = false;
	return DIRENT_ABORT;
}

/* Drops one link of ino; frees its blocks, xattr block and inode when it
 * was the last. */
static int
drop_inode(struct ext_vol *e, ext2_ino_t ino, const char *path)
{
	ext2_filsys fs = e->fs;
	struct ext2_inode inode;
	blk64_t ea;
	errcode_t code;
	bool is_dir;
	int r;

	r = ext_read_inode(e, ino, &inode);
	if (r < 0)
		return r;
	is_dir = LINUX_S_ISDIR(inode.i_mode);
	if (!is_dir && inode.i_links_count > 1) {
		inode.i_links_count--;
		inode.i_ctime = now32();
		return update_inode(e, ino, &inode, "cannot update", path);
	}
	if (ext2fs_inode_has_valid_blocks2(fs, &inode)) {
		code = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL);
		if (code)
			return ext_fail(e, code, "cannot free the blocks of",
			                path);
	}
	ea = ext2fs_file_acl_block(fs, &inode);
	if (ea) {
		__u32 refs = 0;

		code = ext2fs_adjust_ea_refcount3(fs, ea, NULL, -1, &refs, ino);
		if (code)
			return ext_fail(e, code,
			                "cannot release the xattr block of",
			                path);
		if (refs == 0)
			ext2fs_block_alloc_stats2(fs, ea, -1);
		ext2fs_file_acl_block_set(fs, &inode, 0);
	}
	inode.i_links_count = 0;
	inode.i_dtime = now32();
	r = update_inode(e, ino, &inode, "cannot update", path);
	if (r < 0)
		return r;
	ext2fs_inode_alloc_stats2(fs, ino, -1, is_dir);
	return 0;
}

static int
ext_remove(struct fixup_volume *v, const char *path)
{
	struct ext_vol *e = ext_of(v);
	struct ext2_inode inode, dinode;
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t code;
	int r;

	r = write_target(e, path, &dir, &name, &ino);
	if (r < 0)
		return r;
	r = ext_read_inode(e, ino, &inode);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(inode.i_mode)) {
		struct empty_ctx c = {.empty = true};

		code = ext2fs_dir_iterate2(e->fs, ino, 0, NULL, empty_proc, &c);
		if (code)
			return ext_fail(e, code, "cannot read directory", path);
		if (!c.empty)
			return -ENOTEMPTY;
	}
	r = unlink_entry(e, dir, name, ino, path);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(inode.i_mode)) {
		/* The removed directory's ".." was a link of its parent. */
		r = ext_read_inode(e, dir, &dinode);
		if (r < 0)
			return r;
		if (dinode.i_links_count > 1)
			dinode.i_links_count--;
		dinode.i_mtime = dinode.i_ctime = now32();
		r = update_inode(e, dir, &dinode, "cannot update the parent of",
		                 path);
		if (r < 0)
			return r;
	}
	return drop_inode(e, ino, path);
}

/* The directory entry file type of an inode mode. */
static int
dirent_type(uint16_t mode)
{
	if (LINUX_S_ISREG(mode))
		return EXT2_FT_REG_FILE;
	if (LINUX_S_ISDIR(mode))
		return EXT2_FT_DIR;
	if (LINUX_S_ISLNK(mode))
		return EXT2_FT_SYMLINK;
	if (LINUX_S_ISCHR(mode))
		return EXT2_FT_CHRDEV;
	if (LINUX_S_ISBLK(mode))
		return EXT2_FT_BLKDEV;
	if (LINUX_S_ISFIFO(mode))
		return EXT2_FT_FIFO;
	if (LINUX_S_ISSOCK(mode))
		return EXT2_FT_SOCK;
	return EXT2_FT_UNKNOWN;
}

static int
ext_rename(struct fixup_volume *v, const char *from, const char *to)
{
	struct ext_vol *e = ext_of(v);
	struct ext2_inode inode;
	const char *fname, *tname;
	ext2_ino_t fdir, tdir, ino, old;
	errcode_t code;
	int r, ft;

	r = write_target(e, from, &fdir, &fname, &ino);
	if (r < 0)
		return r;
	r = ext_read_inode(e, ino, &inode);
	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(inode.i_mode))
		return -EISDIR;
	ft = dirent_type(inode.i_mode);
	r = write_target(e, to, &tdir, &tname, &old);
	if (r == 0) {
		struct ext2_inode oinode;

		if (old == ino)
			return 0; /* same file */
		r = ext_read_inode(e, old, &oinode);
		if (r < 0)
			return r;
		if (LINUX_S_ISDIR(oinode.i_mode))
			return -EISDIR;
		r = unlink_entry(e, tdir, tname, old, to);
		if (r < 0)
			return r;
		r = drop_inode(e, old, to);
		if (r < 0)
			return r;
	} else if (r != -ENOENT)
		return r;
	code = link_entry(e->fs, tdir, tname, ino, ft);
	if (code)
		return ext_fail(e, code, "cannot link", to);
	return unlink_entry(e, fdir, fname, ino, from);
}

static int
ext_sync(struct fixup_volume *v)
{
	struct ext_vol *e = ext_of(v);
	errcode_t code;

	if (!(e->fs->flags & EXT2_FLAG_RW))
		return 0;
	code = ext2fs_flush(e->fs);
	return code ? ext_fail(e, code, "cannot flush the metadata", NULL) : 0;
}

static int
ext_close(struct fixup_volume *v)
{
	struct ext_vol *e = ext_of(v);
	errcode_t code = 0;
	int r = 0;

	if (!e)
		return 0;
	if (e->fs) {
		code = ext2fs_close2(e->fs, 0);
		if (code) {
			r = ext_fail(e, code, "cannot close", NULL);
			ext2fs_free(e->fs);
		}
	}
	free(e->image_path);
	free(e);
	v->data = NULL;
	return r;
}

/* ---- open --------------------------------------------------------------- */

static int
check_writable(struct ext_vol *e)
{
	struct ext2_super_block *sb = e->fs->super;

	if (ext2fs_has_feature_journal_needs_recovery(sb))
		return ext_error(
		        e, FIXUP_E_UNCLEAN,
		        " has a journal that needs recovery (the system was "
		        "not shut down cleanly, or the image was taken while "
		        "it was mounted): run 'e2fsck' on it (or boot it once) "
		        "before fixing it");
	if (sb->s_state & EXT2_ERROR_FS || !(sb->s_state & EXT2_VALID_FS))
		return ext_error(
		        e, FIXUP_E_UNCLEAN,
		        " is marked %s: run 'e2fsck -f' on it before fixing it",
		        sb->s_state & EXT2_ERROR_FS ? "as having errors"
		                                    : "not cleanly unmounted");
	if (ext2fs_has_feature_mmp(sb))
		return ext_error(
		        e, -EOPNOTSUPP,
		        " uses multi-mount protection (mmp), which imgfix does "
		        "not write; clear it with 'tune2fs -O ^mmp' first");
	return 0;
}

/* The detail of a failed ext2fs_open2(); returns -errno. */
static int
open_error(struct ext_vol *e, errcode_t code)
{
	switch (code) {
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_SHORT_READ:
		return fixup_set_error(FIXUP_E_NO_FILESYSTEM,
		                       "%s: partition at offset %" PRIu64
		                       ": no valid ext2/3/4 superblock (%s)",
		                       e->image_path, e->start,
		                       error_message(code));
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
		return ext_error(e, -EOPNOTSUPP,
		                 " uses features libext2fs cannot %s (%s)",
		                 code == EXT2_ET_RO_UNSUPP_FEATURE ? "write"
		                                                   : "open",
		                 error_message(code));
	default:
		return ext_error(
		        e,
		        ext_errno(code) == -EOPNOTSUPP ? -EOPNOTSUPP : -EBADMSG,
		        ": libext2fs cannot open it: %s", error_message(code));
	}
}

int
fixup_volume_ext_open(struct fixup_volume *v, struct fixup_disk *disk,
                      uint64_t start, uint64_t size, unsigned flags)
{
	struct ext_io *io;
	struct ext_vol *e;
	bool rw = (flags & FIXUP_OPEN_WRITE) != 0;
	int oflags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;
	errcode_t code;
	int r;

	if (!v || !disk)
		return -EINVAL;
	if (start > fixup_disk_size(disk) ||
	    size > fixup_disk_size(disk) - start)
		return fixup_set_error(FIXUP_E_BEYOND_EOF,
		                       "%s: partition at offset %" PRIu64
		                       " (%" PRIu64
		                       " bytes) lies beyond the end "
		                       "of the image",
		                       fixup_disk_path(disk), start, size);
	if (size < EXT_MIN_PARTITION)
		return fixup_set_error(FIXUP_E_NO_FILESYSTEM,
		                       "%s: partition at offset %" PRIu64
		                       " is too small (%" PRIu64
		                       " bytes) to hold an ext filesystem",
		                       fixup_disk_path(disk), start, size);
	if (rw && !fixup_disk_writable(disk))
		return -EROFS;
	e = calloc(1, sizeof(*e));
	io = calloc(1, sizeof(*io));
	if (e)
		e->image_path = strdup(fixup_disk_path(disk));
	if (!e || !io || !e->image_path) {
		if (e)
			free(e->image_path);
		free(e);
		free(io);
		return -ENOMEM;
	}
	*io = (struct ext_io){.magic = EXT_IO_MAGIC,
	                      .disk = disk,
	                      .start = start,
	                      .size = size,
	                      .writable = rw};
	e->start = start;
	if (rw)
		oflags |= EXT2_FLAG_RW;
	code = ext_io_open_fs(io, oflags, &e->fs); /* takes io */
	if (code) {
		e->fs = NULL;
		r = open_error(e, code);
		goto fail;
	}
	e->io = e->fs->io->private_data;
	if (rw) {
		r = check_writable(e);
		if (r < 0) {
			ext2fs_free(e->fs);
			goto fail;
		}
	}
	v->ops = &ext_ops;
	v->data = e;
	v->writable = rw;
	return 0;
fail:
	free(e->image_path);
	free(e);
	return r;
}

/* ---- filesystem UUID ---------------------------------------------------- */

static int
format_uuid(const uint8_t u[16], char **ret)
{
	static const uint8_t zero[16];

	if (memcmp(u, zero, sizeof(zero)) == 0)
		return -ENODATA;
	return util_asprintf(ret,
	                     "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                     "%02x%02x%02x%02x%02x%02x",
	                     u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
	                     u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	                     u[15]) < 0
	               ? -ENOMEM
	               : 0;
}

static int
ext_fs_uuid(struct fixup_volume *v, char **ret)
{
	return format_uuid(ext_of(v)->fs->super->s_uuid, ret);
}

/* The boot sector, through the overlay like the rest. */
static int
ext_boot_io(struct fixup_volume *v, bool write, uint64_t off, void *buf,
            size_t len)
{
	struct ext_io *io = ext_of(v)->io;

	return write ? fixup_disk_pwrite(io->disk, buf, len, io->start + off)
	             : fixup_disk_pread(io->disk, buf, len, io->start + off);
}

static const struct fixup_volume_ops ext_ops = {
        .name = "ext",
        .stat = ext_stat,
        .list = ext_list,
        .read_file = ext_read_file,
        .read_at = ext_read_at,
        .write_file = ext_write_file,
        .mkdir = ext_mkdir,
        .remove = ext_remove,
        .rename = ext_rename,
        .set_attributes = NULL,
        .sync = ext_sync,
        .mark_dirty = NULL,
        .readlink = ext_readlink,
        .boot_io = ext_boot_io,
        .fs_uuid = ext_fs_uuid,
        .close = ext_close,
};

static int
ext_backend_open(struct fixup_volume *v, const struct fixup_volume_place *at,
                 unsigned flags)
{
	return fixup_volume_ext_open(v, at->disk, at->start, at->size, flags);
}

static const char *const ext_fstypes[] = {"ext2", "ext3", "ext4", NULL};

const struct fixup_backend fixup_backend_ext = {
        .name = "ext",
        .fstypes = ext_fstypes,
        .open = ext_backend_open,
};
