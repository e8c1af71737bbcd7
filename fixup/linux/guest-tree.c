/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Linux guest's file tree across the mounts of its etc/fstab, read-only
 * (see guest-tree.h): fstab parsing, fstab device -> partition of the
 * image, and symlink resolution that crosses mount points.
 */
#include <ctype.h>

#include "linux/guest-tree.h"
#include "util.h"

struct tree_mount {
	char *mnt; /* "/usr": no trailing slash; "/" for the root */
	struct fixup_volume *v;
};

struct linux_tree {
	struct fixup_volume *root;
	struct tree_mount *mounts; /* [0] is the root */
	size_t n_mounts;
	struct linux_fstab_entry *fstab;
	size_t n_fstab;
};

/* ---- fstab -------------------------------------------------------------- */

/* fstab's octal escapes ("\040" for a space), in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (char *i = s; *i; i++) {
		if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' &&
		    i[2] <= '7' && i[3] >= '0' && i[3] <= '7') {
			*o++ = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 +
			              (i[3] - '0'));
			i += 3;
		} else
			*o++ = *i;
	}
	*o = '\0';
}

/* Removable media (CD-ROM, floppy) are no part of the guest's tree. */
static bool
is_removable(const char *spec, const char *type)
{
	static const char *const media[] = {"/dev/sr", "/dev/scd", "/dev/fd",
	                                    "/dev/cdrom", "/dev/dvd"};

	for (size_t i = 0; i < ELEMENTSOF(media); i++)
		if (util_startswith(spec, media[i]))
			return true;
	return type && (strstr(type, "iso9660") || strstr(type, "udf"));
}

/* True when the comma-separated mount options hold opt. */
static bool
has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *o = opts; o && *o;) {
		size_t l = strcspn(o, ",");

		if (l == n && strncmp(o, opt, n) == 0)
			return true;
		o += l + (o[l] == ',');
	}
	return false;
}

static bool
is_device_spec(const char *spec)
{
	static const char *const prefixes[] = {
	        "/dev/", "UUID=", "LABEL=", "PARTUUID=", "PARTLABEL="};

	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
		if (util_startswith(spec, prefixes[i]))
			return true;
	return false;
}

void
linux_fstab_free(struct linux_fstab_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].spec);
		free(e[i].mnt);
		free(e[i].type);
	}
	free(e);
}

int
linux_fstab_parse(const char *text, struct linux_fstab_entry **ret,
                  size_t *ret_n)
{
	_cleanup_free_ char *buf = strdup(text);
	struct linux_fstab_entry *v = NULL;
	char *save = NULL;
	size_t n = 0;

	if (!buf)
		return -ENOMEM;
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sv = NULL, *spec, *mnt, *type, *opts;
		struct linux_fstab_entry *nv;

		spec = strtok_r(line, " \t", &sv);
		mnt = spec ? strtok_r(NULL, " \t", &sv) : NULL;
		type = mnt ? strtok_r(NULL, " \t", &sv) : NULL;
		opts = type ? strtok_r(NULL, " \t", &sv) : NULL;
		if (!spec || spec[0] == '#' || !mnt || has_opt(opts, "noauto"))
			continue;
		unescape(spec);
		unescape(mnt);
		if (mnt[0] != '/' || !is_device_spec(spec) ||
		    is_removable(spec, type) ||
		    (type && (streq(type, "swap") || streq(type, "none"))))
			continue;
		if (n >= LINUX_TREE_MAX_MOUNTS)
			break;
		nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv) {
			linux_fstab_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n] = (struct linux_fstab_entry){
		        .spec = strdup(spec),
		        .mnt = strdup(mnt),
		        .type = strdup(type ? type : "auto"),
		};
		if (!v[n].spec || !v[n].mnt || !v[n].type) {
			linux_fstab_free(v, n + 1);
			return -ENOMEM;
		}
		/* "/usr/" -> "/usr" */
		for (size_t l = strlen(v[n].mnt);
		     l > 1 && v[n].mnt[l - 1] == '/'; l--)
			v[n].mnt[l - 1] = '\0';
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- fstab device -> partition of the image ---------------------------- */

/* The partition number N of /dev/sdaN, /dev/vdbN, /dev/nvme0n1pN ...;
 * 0 when dev names none. */
static unsigned
dev_partition_number(const char *dev)
{
	static const char *const disks[] = {"/dev/sd",   "/dev/vd",
	                                    "/dev/hd",   "/dev/xvd",
	                                    "/dev/nvme", "/dev/mmcblk"};
	const char *p = NULL;
	uint32_t n;

	for (size_t i = 0; !p && i < ELEMENTSOF(disks); i++)
		p = util_startswith(dev, disks[i]);
	if (!p)
		return 0;
	if (util_startswith(dev, "/dev/nvme") ||
	    util_startswith(dev, "/dev/mmcblk")) {
		p = strrchr(p, 'p');
		if (!p)
			return 0;
		p++;
	} else {
		while (*p >= 'a' && *p <= 'z')
			p++;
	}
	if (!*p || util_parse_u32(p, &n) < 0 || n == 0 ||
	    n > FIXUP_MAX_PARTITIONS)
		return 0;
	return n;
}

static bool
part_matches(const struct fixup_disk_layout *l, const struct fixup_partition *p,
             const char *spec)
{
	const char *s;

	if ((s = util_startswith(spec, "UUID=")) ||
	    (s = util_startswith(spec, "/dev/disk/by-uuid/")))
		return p->fsuuid && strcaseeq(p->fsuuid, s);
	if ((s = util_startswith(spec, "LABEL=")) ||
	    (s = util_startswith(spec, "/dev/disk/by-label/")))
		return p->label && streq(p->label, s);
	if ((s = util_startswith(spec, "PARTLABEL=")))
		return false; /* GPT names are not probed */
	if ((s = util_startswith(spec, "PARTUUID=")) ||
	    (s = util_startswith(spec, "/dev/disk/by-partuuid/"))) {
		char mbr[16];

		if (p->uuid)
			return strcaseeq(p->uuid, s);
		if (l->style != FIXUP_DISK_MBR)
			return false;
		snprintf(mbr, sizeof(mbr), "%08x-%02x", l->mbr_signature,
		         p->number);
		return strcaseeq(mbr, s);
	}
	return p->number != 0 && dev_partition_number(spec) == p->number;
}

/* Opens the partition of root's image that spec names; 0 and *ret NULL
 * when none (or it cannot be opened: that mount is then absent). */
static int
open_spec(struct fixup_volume *root, const char *spec,
          struct fixup_volume **ret)
{
	struct fixup_image *img = fixup_volume_image(root);
	const struct fixup_disk_layout *l = fixup_image_layout(img);

	*ret = NULL;
	for (size_t i = 0; i < l->n_parts; i++) {
		struct fixup_volume *v;
		int r;

		if (!part_matches(l, &l->parts[i], spec))
			continue;
		if (i == fixup_volume_index(root) ||
		    !fixup_image_can_open(img, i))
			return 0;
		r = fixup_image_open_volume(img, i, &v);
		if (r == -ENOMEM)
			return r;
		fixup_clear_error();
		if (r >= 0)
			*ret = v;
		return 0;
	}
	return 0;
}

struct linux_tree *
linux_tree_free(struct linux_tree *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_mounts; i++)
		free(t->mounts[i].mnt);
	free(t->mounts);
	linux_fstab_free(t->fstab, t->n_fstab);
	free(t);
	return NULL;
}

static int
add_mount(struct linux_tree *t, const char *mnt, struct fixup_volume *v)
{
	struct tree_mount *m =
	        reallocarray(t->mounts, t->n_mounts + 1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	t->mounts = m;
	m[t->n_mounts].mnt = strdup(mnt);
	m[t->n_mounts].v = v;
	if (!m[t->n_mounts].mnt)
		return -ENOMEM;
	t->n_mounts++;
	return 0;
}

int
linux_tree_new(struct fixup_volume *root, struct linux_tree **ret)
{
	_cleanup_(linux_tree_freep) struct linux_tree *t = NULL;
	_cleanup_free_ char *buf = NULL;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->root = root;
	r = add_mount(t, "/", root);
	if (r < 0)
		return r;
	r = fixup_volume_read_file(root, "/etc/fstab", LINUX_FSTAB_MAX, &buf,
	                           NULL);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR && r != -EISDIR &&
	    r != -ELOOP && r != FIXUP_E_SYMLINK_ESCAPE)
		return r;
	fixup_clear_error();
	if (r >= 0) {
		r = linux_fstab_parse(buf, &t->fstab, &t->n_fstab);
		if (r < 0)
			return r;
	}
	/* The guestfs appliance mounts the guest's filesystems itself; a
	 * directory image is one tree. */
	if (fixup_image_is_guestfs(fixup_volume_image(root)) ||
	    fixup_image_is_dir(fixup_volume_image(root)))
		goto done;
	for (size_t i = 0; i < t->n_fstab; i++) {
		struct fixup_volume *v;

		if (streq(t->fstab[i].mnt, "/"))
			continue;
		r = open_spec(root, t->fstab[i].spec, &v);
		if (r < 0)
			return r;
		if (v && (r = add_mount(t, t->fstab[i].mnt, v)) < 0)
			return r;
	}
done:
	*ret = TAKE_PTR(t);
	return 0;
}

size_t
linux_tree_n_fstab(const struct linux_tree *t)
{
	return t->n_fstab;
}

const struct linux_fstab_entry *
linux_tree_fstab(const struct linux_tree *t, size_t i)
{
	return i < t->n_fstab ? &t->fstab[i] : NULL;
}

/* ---- path resolution ---------------------------------------------------- */

/* The mount holding absolute path p (longest mount point prefix) and p
 * relative to it (pointing into p, "" for the mount point itself). */
static struct fixup_volume *
locate(const struct linux_tree *t, const char *p, const char **ret_rel)
{
	size_t best = 0, best_len = 0;

	for (size_t i = 1; i < t->n_mounts; i++) {
		size_t l = strlen(t->mounts[i].mnt);

		if (l > best_len && strncmp(p, t->mounts[i].mnt, l) == 0 &&
		    (p[l] == '\0' || p[l] == '/')) {
			best = i;
			best_len = l;
		}
	}
	*ret_rel = p + best_len;
	return t->mounts[best].v;
}

/* Resolves path (every symlink, the last component too) to a volume and
 * a path in it (*ret_path "/..." malloc'd). */
static int
resolve(const struct linux_tree *t, const char *path,
        struct fixup_volume **ret_v, char **ret_path)
{
	_cleanup_free_ char *cur = strdup(""), *rest = strdup(path);
	unsigned links = 0;

	if (!cur || !rest)
		return -ENOMEM;
	for (;;) {
		_cleanup_free_ char *cand = NULL, *target = NULL;
		char *comp = rest + strspn(rest, "/"), *end;
		struct fixup_volume *v;
		const char *rel;
		size_t cl;
		int r;

		if (!*comp)
			break;
		cl = strcspn(comp, "/");
		end = comp + cl;
		if ((cl == 1 && comp[0] == '.')) {
			memmove(rest, end, strlen(end) + 1);
			continue;
		}
		if (cl == 2 && comp[0] == '.' && comp[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (slash)
				*slash = '\0';
			memmove(rest, end, strlen(end) + 1);
			continue;
		}
		if (util_asprintf(&cand, "%s/%.*s", cur, (int)cl, comp) < 0)
			return -ENOMEM;
		v = locate(t, cand, &rel);
		r = fixup_volume_readlink(v, *rel ? rel : "/", &target);
		if (r >= 0) {
			char *n = NULL;

			if (++links > FIXUP_MAX_SYMLINKS)
				return fixup_set_error(
				        -ELOOP,
				        "%s: more than %u symlinks resolving "
				        "%s",
				        fixup_volume_name(t->root),
				        FIXUP_MAX_SYMLINKS, path);
			if (target[0] == '/')
				cur[0] = '\0';
			if (util_asprintf(&n, "%s/%s", target, end) < 0)
				return -ENOMEM;
			free(rest);
			rest = n;
			continue;
		}
		if (r != -EINVAL && r != -EOPNOTSUPP && r != -ENOENT &&
		    r != -ENOTDIR)
			return r;
		fixup_clear_error();
		free(cur);
		cur = TAKE_PTR(cand);
		memmove(rest, end, strlen(end) + 1);
	}
	{
		const char *rel;
		struct fixup_volume *v = locate(t, cur, &rel);
		char *p = strdup(*rel ? rel : "/");

		if (!p)
			return -ENOMEM;
		*ret_v = v;
		*ret_path = p;
	}
	return 0;
}

/* The volume and path in it for a guest path: straight through when the
 * tree has no mount but the root. */
static int
tree_at(const struct linux_tree *t, const char *path,
        struct fixup_volume **ret_v, char **ret_path)
{
	if (t->n_mounts > 1)
		return resolve(t, path, ret_v, ret_path);
	*ret_path = strdup(path);
	if (!*ret_path)
		return -ENOMEM;
	*ret_v = t->root;
	return 0;
}

int
linux_tree_read_file(struct linux_tree *t, const char *path, size_t max,
                     char **ret, size_t *ret_len)
{
	_cleanup_free_ char *p = NULL;
	struct fixup_volume *v;
	int r = tree_at(t, path, &v, &p);

	return r < 0 ? r : fixup_volume_read_file(v, p, max, ret, ret_len);
}

int
linux_tree_read_at(struct linux_tree *t, const char *path, uint64_t off,
                   void *buf, size_t len, size_t *ret_n)
{
	_cleanup_free_ char *p = NULL;
	struct fixup_volume *v;
	int r = tree_at(t, path, &v, &p);

	return r < 0 ? r : fixup_volume_read_at(v, p, off, buf, len, ret_n);
}

int
linux_tree_stat(struct linux_tree *t, const char *path, struct fixup_stat *ret)
{
	_cleanup_free_ char *p = NULL;
	struct fixup_volume *v;
	int r = tree_at(t, path, &v, &p);

	return r < 0 ? r : fixup_volume_stat(v, p, ret);
}

int
linux_tree_list(struct linux_tree *t, const char *path, char ***ret)
{
	_cleanup_free_ char *p = NULL;
	struct fixup_volume *v;
	int r = tree_at(t, path, &v, &p);

	return r < 0 ? r : fixup_volume_list(v, p, ret);
}
