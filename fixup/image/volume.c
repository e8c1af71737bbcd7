/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The common part of the volume layer: opening an image (file, block device
 * or directory), choosing the backend for a partition, path normalisation,
 * case-insensitive lookup, mkdir -p, bounds-checked raw sector I/O, and the
 * per-thread error detail.  See volume.h for the contracts.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/disk.h"
#include "image/backends.h"
#include "image/volume-ops.h"
#include "image/volume.h"

#define BITLOCKER_OEM_ID "-FVE-FS-"

struct fixup_image {
	char *path;
	struct fixup_disk *disk; /* all volume I/O: overlay + undo log */
	bool is_dir;
	char *format; /* of the file: "raw", "qcow2" ... (format.c) */
	unsigned flags;
	struct fixup_disk_layout layout;
	struct fixup_volume **vols; /* layout.n_parts slots */
	/* guestfs road: the source (appliance) the image is read through */
	const struct fixup_source_ops *src_ops;
	void *src;
	ssize_t *src_fs;   /* layout index -> filesystem, or -1 */
	char **more_disks; /* the guest's other disks (guestfs) */
};

const char *
fixup_disk_style_to_string(enum fixup_disk_style s)
{
	switch (s) {
	case FIXUP_DISK_MBR:
		return "mbr";
	case FIXUP_DISK_GPT:
		return "gpt";
	case FIXUP_DISK_NONE:
		break;
	}
	return "none";
}

/* ---- paths -------------------------------------------------------------- */

/* "a\\b//c" -> "/a/b/c"; refuses "." / "..", over-long names and paths. */
static int
normalize_path(const char *path, char **ret)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0, n;
	const char *p = path;

	if (!path)
		return -EINVAL;
	if (strlen(path) > FIXUP_MAX_PATH)
		return -ENAMETOOLONG;
	out = malloc(strlen(path) + 2);
	if (!out)
		return -ENOMEM;
	while (*p) {
		while (*p == '/' || *p == '\\')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/\\");
		if (n > FIXUP_MAX_NAME)
			return -ENAMETOOLONG;
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- images ------------------------------------------------------------- */

static int
image_open_dir(struct fixup_image *img)
{
	struct fixup_partition *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	img->layout.parts = p;
	img->layout.n_parts = 1;
	p->fstype = strdup("dir");
	if (!p->fstype)
		return -ENOMEM;
	return 0;
}

/* A raw file or block device (its fd probed by libblkid), or a container
 * format or NBD export through NBD (probed through a shadow). */
static int
image_open_file(struct fixup_image *img, const char *format)
{
	const struct fixup_io *io;
	struct fixup_io *nio;
	int r;

	r = fixup_io_open(img->path, format,
	                  (img->flags & FIXUP_OPEN_WRITE) != 0, &nio);
	if (r < 0)
		return r;
	r = fixup_disk_open_io(img->path, nio, &img->disk);
	if (r < 0)
		return r;
	io = fixup_disk_get_io(img->disk);
	img->format = strdup(io->format);
	if (!img->format)
		return -ENOMEM;
	if (io->size < FIXUP_SECTOR_SIZE)
		return fixup_set_error(FIXUP_E_NOT_IMAGE,
		                       "%s: not a disk image (%" PRIu64
		                       " bytes, smaller than one sector)",
		                       img->path, io->size);
	if (io->fd >= 0)
		return fixup_probe_disk(io->fd, io->size, img->path,
		                        &img->layout);
	return fixup_probe_disk_shadow(img->disk, img->path, &img->layout);
}

static int
image_open_direct(const char *path, unsigned flags, const char *format,
                  struct fixup_image **ret)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct stat st;
	int r;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->flags = flags;
	img->path = strdup(path);
	if (!img->path)
		return -ENOMEM;
	if (!fixup_io_is_nbd_uri(path)) {
		if (stat(path, &st) < 0)
			return fixup_set_error(-errno, "%s: %s", path,
			                       strerror(errno));
		img->is_dir = S_ISDIR(st.st_mode);
	}
	r = img->is_dir ? image_open_dir(img) : image_open_file(img, format);
	if (r < 0)
		return r;
	img->vols = calloc(img->layout.n_parts, sizeof(*img->vols));
	if (!img->vols)
		return -ENOMEM;
	*ret = TAKE_PTR(img);
	return 0;
}

static int
image_open_guestfs(const char *path, unsigned flags,
                   const struct fixup_image_options *o,
                   struct fixup_image **ret)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	int r;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->flags = flags;
	img->path = strdup(path);
	img->format = strdup(o && o->format ? o->format : "auto");
	if (!img->path || !img->format)
		return -ENOMEM;
	img->src_ops = fixup_source_find("guestfs");
	if (!img->src_ops)
		return -EOPNOTSUPP;
	r = img->src_ops->open(path, flags, o, &img->src);
	if (r < 0)
		return r;
	if (o && o->more_disks &&
	    !(img->more_disks = util_strv_copy(o->more_disks)))
		return -ENOMEM;
	r = img->src_ops->layout(img->src, &img->layout, &img->src_fs);
	if (r < 0)
		return r;
	if (img->layout.n_parts == 0)
		return fixup_set_error(FIXUP_E_NO_PARTITIONS,
		                       "%s: libguestfs finds no partition and "
		                       "no filesystem on it",
		                       path);
	img->vols = calloc(img->layout.n_parts, sizeof(*img->vols));
	if (!img->vols)
		return -ENOMEM;
	*ret = TAKE_PTR(img);
	return 0;
}

/* A raw image whose partitions the direct road cannot open, but one holds
 * something libguestfs handles. */
static bool
wants_guestfs(const struct fixup_image *img)
{
	static const char *const types[] = {"LVM2_member", "crypto_LUKS", "xfs",
	                                    "btrfs"};
	bool other = false;

	if (img->is_dir)
		return false;
	for (size_t i = 0; i < img->layout.n_parts; i++) {
		const char *t = img->layout.parts[i].fstype;

		if (fixup_image_can_open(img, i))
			return false;
		for (size_t k = 0; t && k < ELEMENTSOF(types); k++)
			other = other || streq(t, types[k]);
	}
	return other;
}

int
fixup_image_open_opts(const char *path, unsigned flags,
                      const struct fixup_image_options *o,
                      struct fixup_image **ret)
{
	struct fixup_image_options go =
	        o ? *o : (struct fixup_image_options){0};
	_cleanup_free_ char *format = NULL;
	struct fixup_image *img = NULL;
	int r;

	fixup_clear_error();
	if (!(flags & FIXUP_OPEN_GUESTFS)) {
		/* Every format the direct road reads (raw; qcow2, vmdk,
		 * vhd(x), vdi and NBD exports through NBD): libguestfs only
		 * for what it finds but cannot open (LVM, LUKS, xfs, btrfs). */
		r = image_open_direct(path, flags, go.format, &img);
		if (r < 0)
			return r;
		if ((flags & FIXUP_OPEN_DIRECT) || !wants_guestfs(img)) {
			*ret = img;
			return 0;
		}
		/* The appliance gets the format found here, never a probe. */
		if (img->format && !go.format && !fixup_io_is_nbd_uri(path)) {
			format = TAKE_PTR(img->format);
			go.format = format;
		}
		fixup_image_free(img);
		fixup_clear_error();
	}
	r = image_open_guestfs(path, flags, &go, ret);
	if (r < 0 && !(flags & FIXUP_OPEN_GUESTFS)) {
		_cleanup_free_ char *d =
		        strdup(fixup_error_detail() ? fixup_error_detail()
		                                    : strerror(-r));

		fixup_set_error(r,
		                "%s: the direct road cannot open it (no "
		                "filesystem it can open), and the guestfs road "
		                "failed: %s",
		                path, d ? d : "?");
	}
	return r;
}

int
fixup_image_open(const char *path, unsigned flags, struct fixup_image **ret)
{
	/* The direct road only: guestfs is the caller's explicit choice. */
	if (!(flags & FIXUP_OPEN_GUESTFS))
		flags |= FIXUP_OPEN_DIRECT;
	return fixup_image_open_opts(path, flags, NULL, ret);
}

char *const *
fixup_image_more_disks(const struct fixup_image *img)
{
	return img->more_disks;
}

bool
fixup_image_is_guestfs(const struct fixup_image *img)
{
	return img->src != NULL;
}

const char *
fixup_image_format(const struct fixup_image *img)
{
	return img->is_dir ? "dir" : img->format;
}

static int
volume_close(struct fixup_volume *v)
{
	int r = 0;

	if (!v)
		return 0;
	if (v->ops && v->ops->close)
		r = v->ops->close(v);
	free(v->name);
	free(v);
	return r;
}

int
fixup_image_close_volumes(struct fixup_image *img)
{
	int r = 0, k;

	for (size_t i = 0; img->vols && i < img->layout.n_parts; i++) {
		k = volume_close(img->vols[i]);
		img->vols[i] = NULL;
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

int
fixup_image_commit(struct fixup_image *img, const char *undo_path)
{
	int r = fixup_image_close_volumes(img);

	if (r >= 0 && img->src_ops && img->src_ops->commit)
		return img->src_ops->commit(img->src, undo_path);
	if (r < 0 || img->is_dir || !img->disk)
		return r;
	return fixup_disk_commit(img->disk, undo_path);
}

struct fixup_disk *
fixup_image_disk(struct fixup_image *img)
{
	return img->disk;
}

struct fixup_image *
fixup_image_free(struct fixup_image *img)
{
	if (!img)
		return NULL;
	(void)fixup_image_close_volumes(img);
	free(img->vols);
	fixup_disk_layout_done(&img->layout);
	fixup_disk_freep(&img->disk);
	free(img->format);
	if (img->src_ops)
		(void)img->src_ops->close(img->src);
	free(img->src_fs);
	util_strv_free(img->more_disks);
	free(img->path);
	free(img);
	return NULL;
}

const char *
fixup_image_path(const struct fixup_image *img)
{
	return img->path;
}

bool
fixup_image_is_dir(const struct fixup_image *img)
{
	return img->is_dir;
}

bool
fixup_image_writable(const struct fixup_image *img)
{
	return (img->flags & FIXUP_OPEN_WRITE) != 0;
}

const struct fixup_disk_layout *
fixup_image_layout(const struct fixup_image *img)
{
	return &img->layout;
}

bool
fixup_image_can_open(const struct fixup_image *img, size_t i)
{
	const char *t;

	if (i >= img->layout.n_parts)
		return false;
	if (img->src)
		return img->src_fs[i] >= 0;
	t = img->layout.parts[i].fstype;
	return fixup_backend_for(t) != NULL;
}

static int
raw_io(struct fixup_disk *d, bool write, uint64_t off, void *buf, size_t len)
{
	/* Through the overlay: written at commit, with the rest. */
	return write ? fixup_disk_pwrite(d, buf, len, off)
	             : fixup_disk_pread(d, buf, len, off);
}

static int
disk_region_check(struct fixup_image *img, uint64_t off, size_t len)
{
	uint64_t limit = MIN((uint64_t)FIXUP_RAW_REGION_MAX, img->layout.size);

	if (img->is_dir)
		return -EOPNOTSUPP;
	if (img->src && img->layout.style == FIXUP_DISK_NONE)
		limit = 0; /* a filesystem on the whole disk */
	for (size_t i = 0; i < img->layout.n_parts; i++)
		/* guestfs: LVs and the like (number 0) are not on the disk */
		if (!img->src || img->layout.parts[i].number > 0)
			limit = MIN(limit, img->layout.parts[i].start);
	if (off > limit || len > limit - off)
		return -ERANGE;
	return 0;
}

/* What fixup_image_read_disk() and fixup_image_write_disk() share. */
static int
disk_io(struct fixup_image *img, bool write, uint64_t off, void *buf,
        size_t len)
{
	int r = disk_region_check(img, off, len);

	if (r < 0)
		return r;
	if (write && !(img->flags & FIXUP_OPEN_WRITE))
		return -EROFS;
	if (img->src)
		return img->src_ops->disk_io(img->src, write, off, buf, len);
	return raw_io(img->disk, write, off, buf, len);
}

int
fixup_image_read_disk(struct fixup_image *img, uint64_t off, void *buf,
                      size_t len)
{
	return disk_io(img, false, off, buf, len);
}

int
fixup_image_write_disk(struct fixup_image *img, uint64_t off, const void *buf,
                       size_t len)
{
	return disk_io(img, true, off, (void *)buf, len);
}

static int
check_bitlocker(struct fixup_image *img, const struct fixup_partition *p)
{
	uint8_t bs[FIXUP_SECTOR_SIZE];
	int r;

	if (p->size < sizeof(bs))
		return 0;
	r = raw_io(img->disk, false, p->start, bs, sizeof(bs));
	if (r < 0)
		return r;
	if (memcmp(bs + 3, BITLOCKER_OEM_ID, strlen(BITLOCKER_OEM_ID)) == 0 ||
	    (p->fstype && strcaseeq(p->fstype, "BitLocker")))
		return fixup_set_error(
		        FIXUP_E_BITLOCKER,
		        "%s: partition %u is BitLocker-encrypted (boot sector "
		        "OEM id \"-FVE-FS-\"): decrypt it in Windows "
		        "(manage-bde -off) or suspend protection and convert a "
		        "decrypted copy",
		        img->path, p->number);
	return 0;
}

int
fixup_image_open_volume(struct fixup_image *img, size_t i,
                        struct fixup_volume **ret)
{
	const struct fixup_partition *p;
	struct fixup_volume *v;
	int r;

	fixup_clear_error();
	if (i >= img->layout.n_parts)
		return -EINVAL;
	if (img->vols[i]) {
		*ret = img->vols[i];
		return 0;
	}
	p = &img->layout.parts[i];
	if (!img->is_dir && !img->src) {
		r = check_bitlocker(img, p);
		if (r < 0)
			return r;
	}
	if (!fixup_image_can_open(img, i)) {
		if (p->fstype)
			return fixup_set_error(
			        FIXUP_E_NO_FILESYSTEM,
			        "%s: partition %u holds %s, which "
			        "imgfix cannot open directly yet",
			        img->path, p->number, p->fstype);
		return fixup_set_error(FIXUP_E_NO_FILESYSTEM,
		                       "%s: partition %u: no known filesystem "
		                       "(libblkid recognises none)",
		                       img->path, p->number);
	}

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->image = img;
	v->index = i;
	v->writable = (img->flags & FIXUP_OPEN_WRITE) != 0;
	if (img->is_dir)
		r = util_asprintf(&v->name, "dir");
	else if (img->src && p->number == 0)
		r = util_asprintf(
		        &v->name, "%s",
		        img->src_ops->device(img->src, (size_t)img->src_fs[i]));
	else if (p->number == 0)
		r = util_asprintf(&v->name, "disk");
	else
		r = util_asprintf(&v->name, "partition %u", p->number);
	if (r < 0) {
		free(v);
		return -ENOMEM;
	}
	if (img->src) {
		r = img->src_ops->open_volume(
		        v, img->src, (size_t)img->src_fs[i], img->flags);
	} else {
		const struct fixup_volume_place at = {
		        .image_path = img->path,
		        .disk = img->disk,
		        .start = p->start,
		        .size = p->size,
		        .number = p->number,
		};

		r = fixup_backend_for(p->fstype)->open(v, &at, img->flags);
	}
	if (r < 0) {
		/* the backend freed its own state */
		free(v->name);
		free(v);
		if (!fixup_error_detail())
			fixup_set_error(r, "%s: cannot open partition %u: %s",
			                img->path, p->number, strerror(-r));
		return r;
	}
	img->vols[i] = v;
	*ret = v;
	return 0;
}

/* ---- volumes ------------------------------------------------------------ */

const char *
fixup_volume_backend(const struct fixup_volume *v)
{
	return v->ops->name;
}

struct fixup_image *
fixup_volume_image(const struct fixup_volume *v)
{
	return v->image;
}

const struct fixup_partition *
fixup_volume_partition(const struct fixup_volume *v)
{
	return &v->image->layout.parts[v->index];
}

size_t
fixup_volume_index(const struct fixup_volume *v)
{
	return v->index;
}

bool
fixup_volume_writable(const struct fixup_volume *v)
{
	return v->writable;
}

const char *
fixup_volume_name(const struct fixup_volume *v)
{
	return v->name;
}

int
fixup_volume_read_file(struct fixup_volume *v, const char *path, size_t max,
                       char **ret, size_t *ret_len)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	return r < 0 ? r : v->ops->read_file(v, p, max, ret, ret_len);
}

int
fixup_volume_read_at(struct fixup_volume *v, const char *path, uint64_t off,
                     void *buf, size_t len, size_t *ret_n)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	return r < 0 ? r : v->ops->read_at(v, p, off, buf, len, ret_n);
}

int
fixup_volume_write_file(struct fixup_volume *v, const char *path,
                        const void *buf, size_t len)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	if (streq(p, "/"))
		return -EISDIR;
	return v->ops->write_file(v, p, buf, len);
}

int
fixup_volume_stat(struct fixup_volume *v, const char *path,
                  struct fixup_stat *ret)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	return r < 0 ? r : v->ops->stat(v, p, ret);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fixup_volume_list(struct fixup_volume *v, const char *path, char ***ret)
{
	_cleanup_free_ char *p = NULL;
	char **l = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	r = v->ops->list(v, p, &l);
	if (r < 0)
		return r;
	qsort(l, util_strv_length(l), sizeof(char *), cmp_str);
	*ret = l;
	return 0;
}

int
fixup_volume_mkdir_p(struct fixup_volume *v, const char *path)
{
	_cleanup_free_ char *p = NULL;
	struct fixup_stat st;
	char *slash;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	/* Walk "/a", "/a/b", ... creating what is missing. */
	for (slash = p + 1;; slash++) {
		bool last;

		slash = strchr(slash, '/');
		last = !slash;
		if (slash)
			*slash = '\0';
		r = v->ops->stat(v, p, &st);
		if (r == -ENOENT)
			r = v->ops->mkdir(v, p);
		else if (r == 0 && !st.is_dir)
			r = -ENOTDIR;
		if (r < 0)
			return r;
		if (last)
			return 0;
		*slash = '/';
	}
}

int
fixup_volume_readlink(struct fixup_volume *v, const char *path, char **ret)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->ops->readlink)
		return -EOPNOTSUPP;
	return v->ops->readlink(v, p, ret);
}

int
fixup_volume_symlink(struct fixup_volume *v, const char *target,
                     const char *path)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	if (!v->ops->symlink)
		return -EOPNOTSUPP;
	if (!*target || strlen(target) >= FIXUP_MAX_PATH)
		return -EINVAL;
	return v->ops->symlink(v, target, p);
}

int
fixup_volume_remove(struct fixup_volume *v, const char *path)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	if (streq(p, "/"))
		return -EBUSY;
	return v->ops->remove(v, p);
}

int
fixup_volume_rename(struct fixup_volume *v, const char *from, const char *to)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	int r = normalize_path(from, &a);

	if (r < 0)
		return r;
	r = normalize_path(to, &b);
	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	if (streq(a, "/") || streq(b, "/"))
		return -EBUSY;
	return v->ops->rename(v, a, b);
}

int
fixup_volume_set_attributes(struct fixup_volume *v, const char *path,
                            uint32_t attributes)
{
	_cleanup_free_ char *p = NULL;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	if (!v->writable)
		return -EROFS;
	if (!v->ops->set_attributes)
		return -EOPNOTSUPP;
	return v->ops->set_attributes(v, p, attributes);
}

int
fixup_volume_lookup(struct fixup_volume *v, const char *path, char **ret)
{
	_cleanup_free_ char *p = NULL, *out = NULL;
	struct fixup_stat st;
	size_t len = 0;
	char *comp, *next;
	int r = normalize_path(path, &p);

	if (r < 0)
		return r;
	out = malloc(strlen(p) + 2);
	if (!out)
		return -ENOMEM;
	out[0] = '\0';
	for (comp = p + 1; *comp; comp = next) {
		_cleanup_strv_free_ char **names = NULL;
		const char *found = NULL;
		size_t n;

		next = strchr(comp, '/');
		n = next ? (size_t)(next - comp) : strlen(comp);
		next = next ? next + 1 : comp + n;
		/* Fast path: the exact name exists. */
		out[len] = '/';
		memcpy(out + len + 1, comp, n);
		out[len + 1 + n] = '\0';
		r = v->ops->stat(v, out, &st);
		if (r == 0) {
			len += 1 + n;
			continue;
		}
		if (r != -ENOENT)
			return r;
		out[len] = '\0';
		r = v->ops->list(v, len ? out : "/", &names);
		if (r < 0)
			return r;
		if (util_strv_length(names) > FIXUP_MAX_DIR_ENTRIES)
			return -E2BIG;
		qsort(names, util_strv_length(names), sizeof(char *), cmp_str);
		STRV_FOREACH (s, names)
			if (strlen(*s) == n && strncasecmp(*s, comp, n) == 0) {
				found = *s;
				break;
			}
		if (!found)
			return -ENOENT;
		out[len] = '/';
		memcpy(out + len + 1, found, n);
		len += 1 + n;
		out[len] = '\0';
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int
fixup_volume_copy_out(struct fixup_volume *v, const char *path, size_t max,
                      const char *host_path)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len, done = 0;
	ssize_t n;
	int r;

	if (v->ops->copy_out) {
		_cleanup_free_ char *real = NULL;

		/* same path rules as read_file */
		r = normalize_path(path, &real);
		if (r < 0)
			return r;
		fd = open(host_path,
		          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		          0600);
		if (fd < 0)
			return -errno;
		r = v->ops->copy_out(v, real, max, fd);
		if (r != -EOPNOTSUPP) {
			if (r < 0) {
				(void)unlink(host_path);
				return r;
			}
			return close(TAKE_FD(fd)) < 0 ? -errno : 0;
		}
		close(TAKE_FD(fd));
		(void)unlink(host_path);
	}
	r = fixup_volume_read_file(v, path, max, &buf, &len);
	if (r < 0)
		return r;
	fd = open(host_path,
	          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	if (close(TAKE_FD(fd)) < 0)
		return -errno;
	return 0;
}

int
fixup_volume_sync(struct fixup_volume *v)
{
	return v->ops->sync ? v->ops->sync(v) : 0;
}

int
fixup_volume_mark_dirty(struct fixup_volume *v)
{
	if (!v->writable)
		return -EROFS;
	if (!v->ops->mark_dirty)
		return -EOPNOTSUPP;
	return v->ops->mark_dirty(v);
}

int
fixup_volume_fs_uuid(struct fixup_volume *v, char **ret)
{
	if (!v->ops->fs_uuid)
		return -EOPNOTSUPP;
	return v->ops->fs_uuid(v, ret);
}

static int
boot_region_check(struct fixup_volume *v, uint64_t off, size_t len)
{
	const struct fixup_partition *p = fixup_volume_partition(v);
	uint64_t limit = MIN((uint64_t)FIXUP_RAW_REGION_MAX, p->size);

	if (v->image->is_dir)
		return -EOPNOTSUPP;
	if (off > limit || len > limit - off)
		return -ERANGE;
	return 0;
}

/* What fixup_volume_read_boot() and fixup_volume_write_boot() share. */
static int
boot_io(struct fixup_volume *v, bool write, uint64_t off, void *buf, size_t len)
{
	int r = boot_region_check(v, off, len);

	if (r < 0)
		return r;
	if (write && !v->writable)
		return -EROFS;
	r = fixup_volume_sync(v);
	if (r < 0)
		return r;
	if (!v->ops->boot_io)
		return -EOPNOTSUPP;
	return v->ops->boot_io(v, write, off, buf, len);
}

int
fixup_volume_read_boot(struct fixup_volume *v, uint64_t off, void *buf,
                       size_t len)
{
	return boot_io(v, false, off, buf, len);
}

int
fixup_volume_write_boot(struct fixup_volume *v, uint64_t off, const void *buf,
                        size_t len)
{
	return boot_io(v, true, off, (void *)buf, len);
}
