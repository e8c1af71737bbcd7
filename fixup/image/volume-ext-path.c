/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext backend's errors and path resolution.  Path lookups are ours (not
 * ext2fs_namei): we keep the stack of directories walked, so ".." pops it
 * and never climbs above the filesystem root, an absolute symlink target
 * restarts at the root, and at most FIXUP_MAX_SYMLINKS links are followed
 * per lookup.  On-disk ".." entries are never trusted.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "image/volume-ext-internal.h"
#include "util.h"

#define EXT_ERROR_MAX 1024 /* bytes of a detail after the prefix */

/* ---- errors ------------------------------------------------------------- */

int
ext_errno(errcode_t e)
{
	if (e == 0)
		return 0;
	if (e > 0 && e < 4096)
		return -(int)e;
	switch (e) {
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_DIR_EXISTS:
		return -EEXIST;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
		return -ENOSPC;
	case EXT2_ET_NO_DIRECTORY:
		return -ENOTDIR;
	case EXT2_ET_SYMLINK_LOOP:
		return -ELOOP;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	case EXT2_ET_SHORT_READ:
	case EXT2_ET_SHORT_WRITE:
	case EXT2_ET_LLSEEK_FAILED:
		return -EIO;
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
	case EXT2_ET_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	default:
		return -EBADMSG; /* corrupt or unexpected metadata */
	}
}

int
ext_fail(const struct ext_vol *e, errcode_t code, const char *what,
         const char *path)
{
	int r = ext_errno(code);

	/* -ENOENT and friends are ordinary answers, not failures to explain */
	if (r == -ENOENT || r == -EEXIST || r == -ENOTDIR)
		return r;
	return ext_error(e, r, ": %s %s: %s", what, path ? path : "",
	                 error_message(code));
}

int
ext_error(const struct ext_vol *e, int r, const char *fmt, ...)
{
	char msg[EXT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fixup_set_error(r, "%s: ext filesystem at offset %" PRIu64 "%s",
	                       e->image_path, e->start, msg);
}

/* ---- path resolution ---------------------------------------------------- */

int
ext_read_inode(struct ext_vol *e, ext2_ino_t ino, struct ext2_inode *ret)
{
	errcode_t code;

	if (ino < EXT2_ROOT_INO || ino > e->fs->super->s_inodes_count)
		return ext_error(e, -EBADMSG,
		                 ": directory entry points to inode %u, "
		                 "outside the inode table",
		                 ino);
	code = ext2fs_read_inode(e->fs, ino, ret);
	return code ? ext_fail(e, code, "cannot read inode of", NULL) : 0;
}

int
ext_read_symlink(struct ext_vol *e, ext2_ino_t ino, struct ext2_inode *inode,
                 char **ret)
{
	_cleanup_free_ char *t = NULL;
	uint64_t size = EXT2_I_SIZE(inode);
	ext2_file_t f = NULL;
	unsigned int got = 0;
	errcode_t code;

	if (size == 0 || size > FIXUP_EXT_MAX_SYMLINK_TARGET)
		return ext_error(e, -EBADMSG,
		                 ": symlink inode %u has a target of "
		                 "%" PRIu64 " bytes (limit %u)",
		                 ino, size, FIXUP_EXT_MAX_SYMLINK_TARGET);
	t = calloc(1, (size_t)size + 1);
	if (!t)
		return -ENOMEM;
	if (ext2fs_is_fast_symlink(inode)) {
		if (size >= sizeof(inode->i_block))
			return -EBADMSG;
		memcpy(t, inode->i_block, (size_t)size);
	} else {
		code = ext2fs_file_open2(e->fs, ino, inode, 0, &f);
		if (code)
			return ext_fail(e, code, "cannot open symlink", NULL);
		code = ext2fs_file_read(f, t, (unsigned int)size, &got);
		(void)ext2fs_file_close(f);
		if (code)
			return ext_fail(e, code, "cannot read symlink", NULL);
		if (got != size)
			return -EBADMSG;
	}
	if (strlen(t) != size) /* embedded NUL */
		return -EBADMSG;
	*ret = TAKE_PTR(t);
	return 0;
}

struct walk {
	ext2_ino_t *stack; /* stack[0] = root; the current directory on top */
	size_t depth, alloc;
};

static int
walk_push(struct walk *w, ext2_ino_t ino)
{
	if (w->depth == w->alloc) {
		size_t n = w->alloc ? w->alloc * 2 : 16;
		ext2_ino_t *s = realloc(w->stack, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		w->stack = s;
		w->alloc = n;
	}
	w->stack[w->depth++] = ino;
	return 0;
}

int
ext_resolve(struct ext_vol *e, const char *path, bool follow, ext2_ino_t *ret)
{
	_cleanup_free_ char *rest = NULL;
	struct walk w = {0};
	unsigned links = 0;
	ext2_ino_t ino = EXT2_ROOT_INO, parent;
	char *p;
	int r;

	rest = strdup(path);
	if (!rest)
		return -ENOMEM;
	r = walk_push(&w, EXT2_ROOT_INO);
	p = rest;
	while (r >= 0) {
		struct ext2_inode dir_inode, inode;
		size_t n;
		bool last;

		p += strspn(p, "/");
		if (!*p)
			break;
		n = strcspn(p, "/");
		last = p[n + strspn(p + n, "/")] == '\0';
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* Lexical: the walked stack, never the on-disk "..";
			 * the root is its own parent. */
			if (w.depth > 1)
				w.depth--;
			ino = w.stack[w.depth - 1];
			p += n;
			continue;
		}
		if (n > EXT2_NAME_LEN) {
			r = -ENAMETOOLONG;
			break;
		}
		parent = w.stack[w.depth - 1];
		r = ext_read_inode(e, parent, &dir_inode);
		if (r < 0)
			break;
		if (!LINUX_S_ISDIR(dir_inode.i_mode)) {
			r = -ENOTDIR;
			break;
		}
		errcode_t code =
		        ext2fs_lookup(e->fs, parent, p, (int)n, NULL, &ino);
		if (code) {
			r = ext_fail(e, code, "cannot look up", path);
			break;
		}
		r = ext_read_inode(e, ino, &inode);
		if (r < 0)
			break;
		if (LINUX_S_ISLNK(inode.i_mode) && (!last || follow)) {
			_cleanup_free_ char *target = NULL;
			char *joined;

			if (++links > FIXUP_MAX_SYMLINKS) {
				r = ext_error(
				        e, -ELOOP,
				        ": more than %u symlinks resolving %s",
				        FIXUP_MAX_SYMLINKS, path);
				break;
			}
			r = ext_read_symlink(e, ino, &inode, &target);
			if (r < 0)
				break;
			if (strlen(p + n) + strlen(target) >
			    (size_t)FIXUP_MAX_PATH * FIXUP_MAX_SYMLINKS) {
				r = -ENAMETOOLONG;
				break;
			}
			if (util_asprintf(&joined, "%s/%s", target, p + n) <
			    0) {
				r = -ENOMEM;
				break;
			}
			free(rest);
			rest = p = joined;
			if (target[0] == '/')
				w.depth = 1; /* restart at the guest root */
			ino = w.stack[w.depth - 1];
			continue;
		}
		if (!last)
			r = walk_push(&w, ino);
		p += n;
	}
	if (r >= 0)
		*ret = ino;
	free(w.stack);
	return r;
}

int
ext_resolve_parent(struct ext_vol *e, const char *path, ext2_ino_t *ret_dir,
                   const char **ret_name)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/');
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r;

	if (!slash || !slash[1])
		return -EINVAL;
	if (strlen(slash + 1) > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	dir = util_strndup0(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	r = ext_resolve_inode(e, *dir ? dir : "/", true, &ino, &inode);
	if (r < 0)
		return r;
	if (!LINUX_S_ISDIR(inode.i_mode))
		return -ENOTDIR;
	*ret_dir = ino;
	*ret_name = slash + 1;
	return 0;
}

int
ext_lookup_entry(struct ext_vol *e, ext2_ino_t dir, const char *name,
                 ext2_ino_t *ret)
{
	errcode_t code =
	        ext2fs_lookup(e->fs, dir, name, (int)strlen(name), NULL, ret);

	return code ? ext_fail(e, code, "cannot look up", name) : 0;
}

int
ext_resolve_inode(struct ext_vol *e, const char *path, bool follow,
                  ext2_ino_t *ret_ino, struct ext2_inode *ret)
{
	ext2_ino_t ino;
	int r = ext_resolve(e, path, follow, &ino);

	if (r < 0)
		return r;
	r = ext_read_inode(e, ino, ret);
	if (r < 0)
		return r;
	if (ret_ino)
		*ret_ino = ino;
	return 0;
}
