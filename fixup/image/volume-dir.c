/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dir volume backend: a guest filesystem tree that is already mounted
 * (or unpacked) on the host.  Every path is resolved component by
 * component from a directory fd of the root with O_PATH|O_NOFOLLOW, so the
 * kernel never follows a guest symlink for us: symlinks are read with
 * readlinkat() and resolved as the guest would see them, inside the root
 * (an absolute target starts again at the root, like chroot).  A ".." that
 * would climb above the root is refused with FIXUP_E_SYMLINK_ESCAPE: a
 * guest symlink can never lead a read or a write outside the guest.  This is
 * the portable equivalent of openat2(RESOLVE_IN_ROOT), with an error
 * instead of silent clamping.
 *
 * Writes go to a temp file in the target's directory, are fsync'ed and
 * renamed over the target (the old file's mode is kept).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "util.h"
#include "image/volume-dir.h"

#define DIR_MAX_DEPTH 512 /* directory levels on a resolved path */
#define DIR_READ_CHUNK (1024 * 1024)

struct dir_vol {
	int root_fd;
	char *root;
};

static struct dir_vol *
dv(struct fixup_volume *v)
{
	return v->data;
}

/*
 * Resolves a normalised path inside the root.  On success *ret_dirfd is a
 * new fd of the directory holding the final component and *ret_name the
 * final component ("." for the root itself).  With follow, a final symlink
 * is resolved too, so *ret_name is never a symlink then (it may not exist).
 */
static int
resolve(struct fixup_volume *v, const char *path, bool follow, int *ret_dirfd,
        char **ret_name)
{
	_cleanup_free_ char *rest = NULL;
	int stack[DIR_MAX_DEPTH];
	size_t depth = 0;
	unsigned links = 0;
	int r;

	stack[depth] =
	        openat(dv(v)->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (stack[depth] < 0)
		return -errno;
	depth++;
	rest = strdup(path[0] == '/' ? path + 1 : path);
	if (!rest) {
		r = -ENOMEM;
		goto out;
	}

	for (;;) {
		_cleanup_free_ char *comp = NULL, *target = NULL;
		char *tail;
		size_t n = strcspn(rest, "/");
		bool last;
		struct stat st;
		int fd;

		if (n == 0 && rest[0] == '/') {
			memmove(rest, rest + 1, strlen(rest));
			continue;
		}
		if (n == 0) { /* nothing left: the directory on top */
			*ret_name = strdup(".");
			if (!*ret_name) {
				r = -ENOMEM;
				goto out;
			}
			break;
		}
		comp = util_strndup0(rest, n);
		if (!comp) {
			r = -ENOMEM;
			goto out;
		}
		tail = rest + n + (rest[n] == '/');
		last = strspn(tail, "/") == strlen(tail);
		memmove(rest, tail, strlen(tail) + 1);

		if (streq(comp, "."))
			continue;
		if (streq(comp, "..")) {
			if (depth == 1) {
				r = fixup_set_error(
				        FIXUP_E_SYMLINK_ESCAPE,
				        "%s: a symlink on the path '%s' leads "
				        "outside the guest root",
				        dv(v)->root, path);
				goto out;
			}
			close(stack[--depth]);
			continue;
		}
		if (last && !follow) {
			*ret_name = TAKE_PTR(comp);
			break;
		}
		fd = openat(stack[depth - 1], comp,
		            O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			if (r == -ENOENT && last) {
				*ret_name = TAKE_PTR(comp);
				break;
			}
			goto out;
		}
		if (fstat(fd, &st) < 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char *nr;
			ssize_t len;

			if (++links > FIXUP_MAX_SYMLINKS) {
				close(fd);
				r = -ELOOP;
				goto out;
			}
			target = malloc(FIXUP_MAX_PATH + 1);
			if (!target) {
				close(fd);
				r = -ENOMEM;
				goto out;
			}
			len = readlinkat(fd, "", target, FIXUP_MAX_PATH + 1);
			r = len < 0 ? -errno : 0;
			close(fd);
			if (r < 0)
				goto out;
			if (len == 0 || len > (ssize_t)FIXUP_MAX_PATH) {
				r = -ENAMETOOLONG;
				goto out;
			}
			target[len] = '\0';
			if (target[0] == '/')
				while (depth > 1)
					close(stack[--depth]);
			if (util_asprintf(&nr, "%s/%s", target, rest) < 0) {
				r = -ENOMEM;
				goto out;
			}
			free(rest);
			rest = nr;
			continue;
		}
		if (last) {
			close(fd);
			*ret_name = TAKE_PTR(comp);
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			r = -ENOTDIR;
			goto out;
		}
		if (depth >= DIR_MAX_DEPTH) {
			close(fd);
			r = -ENAMETOOLONG;
			goto out;
		}
		stack[depth++] = fd;
	}
	*ret_dirfd = stack[--depth];
	r = 0;
out:
	while (depth > 0)
		close(stack[--depth]);
	return r;
}

static int
d_stat(struct fixup_volume *v, const char *path, struct fixup_stat *ret)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	struct stat st;
	int r = resolve(v, path, true, &dfd, &name);

	if (r < 0)
		return r;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret = (struct fixup_stat){
	        .is_dir = S_ISDIR(st.st_mode),
	        .size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
	};
	return 0;
}

static int
open_final(struct fixup_volume *v, const char *path, int flags, int *ret)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	int fd, r = resolve(v, path, true, &dfd, &name);

	if (r < 0)
		return r;
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

static int
d_list(struct fixup_volume *v, const char *path, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, r = open_final(v, path, O_RDONLY | O_DIRECTORY, &fd);

	if (r < 0)
		return r;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (++n > FIXUP_MAX_DIR_ENTRIES) {
			closedir(d);
			return -E2BIG;
		}
		r = util_strv_push(&l, de->d_name);
		if (r < 0) {
			closedir(d);
			return r;
		}
	}
	r = errno ? -errno : 0;
	closedir(d);
	if (r < 0)
		return r;
	if (!l) {
		l = calloc(1, sizeof(char *));
		if (!l)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

static int
read_full(int fd, uint64_t off, void *buf, size_t len, size_t *ret_n)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (uint8_t *)buf + done,
		          MIN(len - done, (size_t)DIR_READ_CHUNK),
		          (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
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
d_read_at(struct fixup_volume *v, const char *path, uint64_t off, void *buf,
          size_t len, size_t *ret_n)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r = open_final(v, path, O_RDONLY, &fd);

	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	return read_full(fd, off, buf, len, ret_n);
}

static int
d_read_file(struct fixup_volume *v, const char *path, size_t max, char **ret,
            size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n;
	int r = open_final(v, path, O_RDONLY, &fd);

	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD; /* devices, fifos: never read from a guest */
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	r = read_full(fd, 0, buf, (size_t)st.st_size, &n);
	if (r < 0)
		return r;
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int
d_write_file(struct fixup_volume *v, const char *path, const void *buf,
             size_t len)
{
	_cleanup_close_ int dfd = -1, fd = -1, dirw = -1;
	_cleanup_free_ char *name = NULL, *tmp = NULL;
	mode_t mode = 0644;
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int r = resolve(v, path, true, &dfd, &name);

	if (r < 0)
		return r;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return -EBADFD;
		mode = st.st_mode & 07777;
	} else if (errno != ENOENT) {
		return -errno;
	}
	for (unsigned i = 0;; i++) {
		free(tmp);
		tmp = NULL;
		if (util_asprintf(&tmp, ".imgfix-%ld-%u.tmp", (long)getpid(),
		                  i) < 0)
			return -ENOMEM;
		fd = openat(dfd, tmp,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                    O_CLOEXEC,
		            mode);
		if (fd >= 0)
			break;
		if (errno != EEXIST || i > 100)
			return -errno;
	}
	while (done < len) {
		n = write(fd, (const uint8_t *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (renameat(dfd, tmp, dfd, name) < 0) {
		r = -errno;
		goto fail;
	}
	dirw = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirw >= 0)
		(void)fsync(dirw);
	return 0;
fail:
	(void)unlinkat(dfd, tmp, 0);
	return r;
}

static int
d_mkdir(struct fixup_volume *v, const char *path)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	int r = resolve(v, path, false, &dfd, &name);

	if (r < 0)
		return r;
	if (mkdirat(dfd, name, 0755) < 0)
		return -errno;
	return 0;
}

static int
d_remove(struct fixup_volume *v, const char *path)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	struct stat st;
	int r = resolve(v, path, false, &dfd, &name);

	if (r < 0)
		return r;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		return -errno;
	return 0;
}

static int
d_readlink(struct fixup_volume *v, const char *path, char **ret)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	char buf[FIXUP_MAX_PATH];
	ssize_t n;
	int r = resolve(v, path, false, &dfd, &name);

	if (r < 0)
		return r;
	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static int
d_symlink(struct fixup_volume *v, const char *target, const char *path)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *name = NULL;
	int r = resolve(v, path, false, &dfd, &name);

	if (r < 0)
		return r;
	/* The link is only created; following it later goes through
	 * resolve(), which keeps it inside the root. */
	if (symlinkat(target, dfd, name) < 0)
		return -errno;
	return 0;
}

static int
d_rename(struct fixup_volume *v, const char *from, const char *to)
{
	_cleanup_close_ int dfrom = -1, dto = -1;
	_cleanup_free_ char *nfrom = NULL, *nto = NULL;
	int r = resolve(v, from, false, &dfrom, &nfrom);

	if (r < 0)
		return r;
	r = resolve(v, to, false, &dto, &nto);
	if (r < 0)
		return r;
	if (renameat(dfrom, nfrom, dto, nto) < 0)
		return -errno;
	return 0;
}

static int
d_sync(struct fixup_volume *v)
{
	if (v->writable && syncfs(dv(v)->root_fd) < 0)
		return -errno;
	return 0;
}

static int
d_close(struct fixup_volume *v)
{
	struct dir_vol *d = v->data;
	int r;

	if (!d)
		return 0;
	r = d_sync(v);
	close(d->root_fd);
	free(d->root);
	free(d);
	v->data = NULL;
	return r;
}

static const struct fixup_volume_ops dir_ops = {
        .name = "dir",
        .stat = d_stat,
        .list = d_list,
        .read_file = d_read_file,
        .read_at = d_read_at,
        .write_file = d_write_file,
        .mkdir = d_mkdir,
        .remove = d_remove,
        .rename = d_rename,
        .set_attributes = NULL,
        .sync = d_sync,
        .mark_dirty = NULL,
        .readlink = d_readlink,
        .symlink = d_symlink,
        .close = d_close,
};

static int
dir_open(struct fixup_volume *v, const struct fixup_volume_place *at,
         unsigned flags)
{
	const char *root = at->image_path;
	struct dir_vol *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->root = strdup(root);
	d->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!d->root || d->root_fd < 0) {
		int r = d->root ? -errno : -ENOMEM;

		if (d->root_fd >= 0)
			close(d->root_fd);
		free(d->root);
		free(d);
		return r;
	}
	v->data = d;
	v->ops = &dir_ops;
	v->writable = (flags & FIXUP_OPEN_WRITE) != 0;
	return 0;
}

static const char *const dir_fstypes[] = {"dir", NULL};

const struct fixup_backend fixup_backend_dir = {
        .name = "dir",
        .fstypes = dir_fstypes,
        .open = dir_open,
};
