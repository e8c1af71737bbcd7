/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs backend's volumes: a filesystem of the appliance mounted at
 * "/" on demand (one at a time per handle), its files read and written
 * through the daemon, which resolves every path chrooted into the mounted
 * guest (guest symlinks stay inside it); and commands run inside the
 * guest root (guestfs_command), such as an initramfs rebuild.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "image/volume-guestfs-internal.h"
#include "util.h"

static const struct fixup_volume_ops gfs_ops;

/* ---- the volume operations ---------------------------------------------- */

/* Raw I/O on the device of a guestfs volume (boot sector). */
static int
gfs_boot_io(struct fixup_volume *v, bool write, uint64_t off, void *buf,
            size_t len)
{
	struct gfs_vol *gv = v->data;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	if (write && !v->writable)
		return -EROFS;
	return gfs_device_io(gv->gfs, gv->gfs->devices[gv->index], write, off,
	                     buf, len);
}

static struct fixup_guestfs *
gfs_of(struct fixup_volume *v)
{
	return ((struct gfs_vol *)v->data)->gfs;
}

static int
gfs_enter(struct fixup_volume *v, struct fixup_guestfs **ret)
{
	struct gfs_vol *gv = v->data;

	*ret = gv->gfs;
	return gfs_mount(gv->gfs, gv->index);
}

static int
gfs_stat(struct fixup_volume *v, const char *path, struct fixup_stat *ret)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_statns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	*ret = (struct fixup_stat){
	        .is_dir = S_ISDIR(st->st_mode),
	        .size = st->st_size > 0 ? (uint64_t)st->st_size : 0,
	};
	sym_guestfs_free_statns(st);
	return 0;
}

static int
gfs_list(struct fixup_volume *v, const char *path, char ***ret)
{
	struct fixup_guestfs *f;
	char **l;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	l = sym_guestfs_ls(f->g, path);
	if (!l)
		return gfs_fail(f, "cannot list", path);
	if (util_strv_length(l) > FIXUP_MAX_DIR_ENTRIES) {
		util_strv_free(l);
		return -E2BIG;
	}
	*ret = l;
	return 0;
}

/* Size of a regular file (links followed inside the guest). */
static int
regular_size(struct fixup_guestfs *f, const char *path, uint64_t *ret)
{
	struct guestfs_statns *st = sym_guestfs_statns(f->g, path);
	int r = 0;

	if (!st)
		return gfs_fail(f, "cannot stat", path);
	if (S_ISDIR(st->st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st->st_mode))
		r = -EINVAL;
	else
		*ret = st->st_size > 0 ? (uint64_t)st->st_size : 0;
	sym_guestfs_free_statns(st);
	return r;
}

static int
gfs_read_file(struct fixup_volume *v, const char *path, size_t max, char **ret,
              size_t *ret_len)
{
	struct fixup_guestfs *f;
	uint64_t size;
	size_t n = 0;
	char *buf, *out;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	r = regular_size(f, path, &size);
	if (r < 0)
		return r;
	if (size > max)
		return -EFBIG;
	buf = sym_guestfs_read_file(f->g, path, &n);
	if (!buf)
		return gfs_fail(f, "cannot read", path);
	if (n > max) { /* grew since stat */
		free(buf);
		return -EFBIG;
	}
	/* guestfs returns n bytes plus a NUL; keep our contract explicit. */
	out = realloc(buf, n + 1);
	if (!out) {
		free(buf);
		return -ENOMEM;
	}
	out[n] = '\0';
	*ret = out;
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int
gfs_read_at(struct fixup_volume *v, const char *path, uint64_t off, void *buf,
            size_t len, size_t *ret_n)
{
	struct fixup_guestfs *f;
	uint64_t size;
	size_t done = 0;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	r = regular_size(f, path, &size);
	if (r < 0)
		return r;
	if (off > INT64_MAX)
		return -EINVAL;
	while (done < len && off + done < size) {
		size_t want = MIN(len - done, (size_t)GFS_CHUNK), got = 0;
		char *p = sym_guestfs_pread(f->g, path, (int)want,
		                            (int64_t)(off + done), &got);

		if (!p)
			return gfs_fail(f, "cannot read", path);
		if (got > want) {
			free(p);
			return -EIO;
		}
		memcpy((uint8_t *)buf + done, p, got);
		free(p);
		if (got == 0)
			break;
		done += got;
	}
	*ret_n = done;
	return 0;
}

/* Large contents go through a host temp file and guestfs_upload (no
 * protocol message size limit); both keep an existing file's inode. */
static int
upload(struct fixup_guestfs *f, const char *path, const void *buf, size_t len)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	int r;

	r = util_mkdtemp("guestfs-upload", &dir);
	if (r < 0)
		return r;
	tmp = util_path_join(dir, "content");
	if (!tmp) {
		(void)util_rmdtemp(dir);
		return -ENOMEM;
	}
	r = util_write_file_atomic(tmp, buf, len);
	if (r >= 0 && sym_guestfs_upload(f->g, tmp, path) < 0)
		r = gfs_fail(f, "cannot write", path);
	(void)util_rmdtemp(dir);
	return r;
}

static int
gfs_write_file(struct fixup_volume *v, const char *path, const void *buf,
               size_t len)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (len > GFS_CHUNK)
		return upload(f, path, buf, len);
	if (sym_guestfs_write(f->g, path, buf, len) < 0)
		return gfs_fail(f, "cannot write", path);
	return 0;
}

static int
gfs_mkdir(struct fixup_volume *v, const char *path)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_mkdir(f->g, path) < 0)
		return gfs_fail(f, "cannot create directory", path);
	return 0;
}

static int
gfs_remove(struct fixup_volume *v, const char *path)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	bool dir;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_lstatns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	dir = S_ISDIR(st->st_mode);
	sym_guestfs_free_statns(st);
	r = dir ? sym_guestfs_rmdir(f->g, path) : sym_guestfs_rm(f->g, path);
	return r < 0 ? gfs_fail(f, "cannot remove", path) : 0;
}

static int
gfs_readlink(struct fixup_volume *v, const char *path, char **ret)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	bool link;
	char *t;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_lstatns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	link = S_ISLNK(st->st_mode);
	sym_guestfs_free_statns(st);
	if (!link)
		return -EINVAL;
	t = sym_guestfs_readlink(f->g, path);
	if (!t)
		return gfs_fail(f, "cannot read the link", path);
	*ret = t;
	return 0;
}

static int
gfs_symlink(struct fixup_volume *v, const char *target, const char *path)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_ln_s(f->g, target, path) < 0)
		return gfs_fail(f, "cannot create the link", path);
	return 0;
}

static int
gfs_rename(struct fixup_volume *v, const char *from, const char *to)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_rename(f->g, from, to) < 0)
		return gfs_fail(f, "cannot rename", from);
	return 0;
}

static int
gfs_sync(struct fixup_volume *v)
{
	struct fixup_guestfs *f = gfs_of(v);

	if (f->writable && f->mounted >= 0 && sym_guestfs_sync(f->g) < 0)
		return gfs_fail(f, "cannot sync", NULL);
	return 0;
}

static int
gfs_close(struct fixup_volume *v)
{
	int r = gfs_sync(v);

	free(v->data);
	v->data = NULL;
	return r;
}

/* The filesystem UUID (guestfs_vfs_uuid). */
static int
gfs_fs_uuid(struct fixup_volume *v, char **ret)
{
	struct gfs_vol *gv = v->data;
	struct fixup_guestfs *f;
	char *u;

	f = gv->gfs;
	u = sym_guestfs_vfs_uuid(f->g, f->devices[gv->index]);
	if (!u)
		return gfs_fail(f, "cannot read the UUID of",
		                f->devices[gv->index]);
	if (!*u) {
		free(u);
		return -ENODATA;
	}
	*ret = u;
	return 0;
}

static const struct fixup_volume_ops gfs_ops = {
        .name = "guestfs",
        .stat = gfs_stat,
        .list = gfs_list,
        .read_file = gfs_read_file,
        .read_at = gfs_read_at,
        .write_file = gfs_write_file,
        .mkdir = gfs_mkdir,
        .remove = gfs_remove,
        .rename = gfs_rename,
        .set_attributes = NULL,
        .sync = gfs_sync,
        .mark_dirty = NULL,
        .readlink = gfs_readlink,
        .symlink = gfs_symlink,
        .boot_io = gfs_boot_io,
        .fs_uuid = gfs_fs_uuid,
        .close = gfs_close,
};

int
fixup_volume_guestfs_open(struct fixup_volume *v, struct fixup_guestfs *f,
                          size_t i, unsigned flags)
{
	struct gfs_vol *gv;
	int r;

	if (i >= f->n)
		return -EINVAL;
	if ((flags & FIXUP_OPEN_WRITE) && !f->writable)
		return -EROFS;
	if (!f->g) /* committed: the appliance is down */
		return -ESHUTDOWN;
	r = gfs_mount(f, i);
	if (r < 0)
		return r;
	gv = calloc(1, sizeof(*gv));
	if (!gv)
		return -ENOMEM;
	gv->gfs = f;
	gv->index = i;
	v->ops = &gfs_ops;
	v->data = gv;
	v->writable = f->writable && (flags & FIXUP_OPEN_WRITE);
	return 0;
}

bool
fixup_volume_is_guestfs(const struct fixup_volume *v)
{
	return v && v->ops == &gfs_ops;
}

/* ---- commands inside the guest ------------------------------------------ */

/* Guest path of a program: argv[0] itself when it has a '/', else the
 * first of the usual bin directories that holds it. */
static int
find_program(struct fixup_guestfs *f, const char *name, char **ret)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin",
	                                   "/bin"};

	if (strchr(name, '/')) {
		if (sym_guestfs_is_file_opts(
		            f->g, name, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
		            -1) <= 0)
			return -ENOENT;
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = util_path_join(dirs[i], name);

		if (!p)
			return -ENOMEM;
		if (sym_guestfs_is_file_opts(
		            f->g, p, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
		            -1) > 0) {
			*ret = TAKE_PTR(p);
			return 0;
		}
	}
	return -ENOENT;
}

int
fixup_volume_guestfs_run(struct fixup_volume *v, char *const *argv,
                         char **ret_output)
{
	_cleanup_strv_free_ char **args = NULL;
	struct fixup_guestfs *f;
	char *prog = NULL, *out;
	int r;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	if (!argv || !argv[0])
		return -EINVAL;
	if (!v->writable)
		return -EROFS;
	r = gfs_enter(v, &f);
	if (r < 0)
		return r;
	r = find_program(f, argv[0], &prog);
	if (r < 0)
		return r;
	args = util_strv_copy(argv);
	if (!args) {
		free(prog);
		return -ENOMEM;
	}
	free(args[0]);
	args[0] = prog;
	out = sym_guestfs_command(f->g, args);
	if (!out)
		return fixup_set_error(
		        -EIO, "%s (guestfs): %s failed in the guest: %s",
		        f->path, args[0], sym_guestfs_last_error(f->g));
	if (strlen(out) > FIXUP_GUESTFS_OUTPUT_MAX)
		out[FIXUP_GUESTFS_OUTPUT_MAX] = '\0';
	if (ret_output)
		*ret_output = out;
	else
		free(out);
	return 0;
}

int
fixup_volume_guestfs_rebuild_initramfs(struct fixup_volume *v,
                                       const char **ret_tool)
{
	static const struct {
		const char *tool;
		const char *argv[5];
	} tools[] = {
	        {"dracut", {"dracut", "-f", "--regenerate-all", NULL}},
	        {"update-initramfs",
	         {"update-initramfs", "-u", "-k", "all", NULL}},
	        {"mkinitrd", {"mkinitrd", NULL}},
	};
	struct fixup_guestfs *f;
	int r;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	r = gfs_enter(v, &f);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
		_cleanup_free_ char *prog = NULL;

		if (find_program(f, tools[i].tool, &prog) < 0)
			continue;
		r = fixup_volume_guestfs_run(v, (char *const *)tools[i].argv,
		                             NULL);
		if (r >= 0 && ret_tool)
			*ret_tool = tools[i].tool;
		return r;
	}
	return fixup_set_error(-ENOENT,
	                       "%s (guestfs): the guest has none of dracut, "
	                       "update-initramfs, mkinitrd",
	                       f->path);
}
