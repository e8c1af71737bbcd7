/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every part of the guestfs backend does with a handle: turn a failed
 * libguestfs call into -errno and a detail, mount a filesystem at "/" (an
 * operating system root with the guest's other filesystems at their fstab
 * mount points under it), and raw I/O on a device in chunks the protocol
 * carries.
 */
#include <stdlib.h>
#include <string.h>

#include "image/volume-guestfs-internal.h"
#include "util.h"

/* ---- errors ------------------------------------------------------------- */

/* The errno of the failed call (daemon-side errno when it has one). */
static int
gfs_errno(guestfs_h *g)
{
	int e = sym_guestfs_last_errno(g);

	return e > 0 ? -e : -EIO;
}

int
gfs_fail(struct fixup_guestfs *f, const char *what, const char *path)
{
	int r = gfs_errno(f->g);
	const char *msg = sym_guestfs_last_error(f->g);

	if (r == -ENOENT || r == -EEXIST || r == -ENOTDIR)
		return r;
	return fixup_set_error(r, "%s (guestfs): %s %s: %s", f->path, what,
	                       path ? path : "", msg ? msg : strerror(-r));
}

/* ---- mounting ----------------------------------------------------------- */

static int
mount_one(struct fixup_guestfs *f, const char *dev, const char *where)
{
	int r = f->writable ? sym_guestfs_mount(f->g, dev, where)
	                    : sym_guestfs_mount_ro(f->g, dev, where);

	if (r < 0)
		return fixup_set_error(
		        gfs_errno(f->g),
		        "%s (guestfs): cannot mount %s on %s: %s", f->path, dev,
		        where, sym_guestfs_last_error(f->g));
	return 0;
}

static int
cmp_mountpoint(const void *a, const void *b)
{
	/* pairs (mountpoint, device): shorter mount points first */
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x[0], y[0]);
}

/* Mounts the guest's other filesystems under the OS root dev. */
static int
mount_submounts(struct fixup_guestfs *f, const char *root)
{
	char **mp = sym_guestfs_inspect_get_mountpoints(f->g, root);
	size_t n;
	int r = 0;

	if (!mp)
		return gfs_fail(f, "cannot read the mount points of", root);
	n = util_strv_length(mp) / 2;
	if (n > GFS_MAX_MOUNTPOINTS) {
		util_strv_free(mp);
		return fixup_set_error(-E2BIG,
		                       "%s (guestfs): %s has %zu mount points "
		                       "(limit %u)",
		                       f->path, root, n, GFS_MAX_MOUNTPOINTS);
	}
	qsort(mp, n, 2 * sizeof(char *), cmp_mountpoint);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *where = mp[2 * i], *dev = mp[2 * i + 1];

		if (streq(where, "/") || where[0] != '/')
			continue;
		if (sym_guestfs_is_dir_opts(f->g, where, -1) <= 0)
			continue; /* fstab names a place the root lacks */
		r = mount_one(f, dev, where);
	}
	util_strv_free(mp);
	return r;
}

static bool
is_root(const struct fixup_guestfs *f, const char *dev)
{
	return util_strv_contains(f->roots, dev);
}

/* Makes filesystem i the one at "/". */
int
gfs_mount(struct fixup_guestfs *f, size_t i)
{
	int r;

	if (f->mounted == (ssize_t)i)
		return 0;
	if (f->mounted >= 0) {
		if (f->writable && sym_guestfs_sync(f->g) < 0)
			return gfs_fail(f, "cannot sync", NULL);
		if (sym_guestfs_umount_all(f->g) < 0)
			return gfs_fail(f, "cannot unmount", "the filesystems");
		f->mounted = -1;
	}
	r = mount_one(f, f->devices[i], "/");
	if (r < 0)
		return r;
	f->mounted = (ssize_t)i;
	if (is_root(f, f->devices[i])) {
		r = mount_submounts(f, f->devices[i]);
		if (r < 0) {
			(void)sym_guestfs_umount_all(f->g);
			f->mounted = -1;
			return r;
		}
	}
	return 0;
}

/* ---- raw device I/O ----------------------------------------------------- */

/* Raw device I/O in chunks the protocol carries. */
int
gfs_device_io(struct fixup_guestfs *f, const char *dev, bool write,
              uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (write && !f->writable)
		return -EROFS;
	if (off > INT64_MAX || len > INT64_MAX - off)
		return -EINVAL;
	if (write && f->mounted >= 0 && sym_guestfs_sync(f->g) < 0)
		return gfs_fail(f, "cannot sync", NULL);
	while (done < len) {
		size_t want = MIN(len - done, (size_t)GFS_CHUNK), got = 0;
		char *p;

		if (write) {
			int n = sym_guestfs_pwrite_device(
			        f->g, dev, (const char *)buf + done, want,
			        (int64_t)(off + done));

			if (n <= 0)
				return gfs_fail(f, "cannot write to", dev);
			done += (size_t)n;
			continue;
		}
		p = sym_guestfs_pread_device(f->g, dev, (int)want,
		                             (int64_t)(off + done), &got);
		if (!p)
			return gfs_fail(f, "cannot read from", dev);
		if (got == 0 || got > want) {
			free(p);
			return -EIO;
		}
		memcpy((uint8_t *)buf + done, p, got);
		free(p);
		done += got;
	}
	return 0;
}
