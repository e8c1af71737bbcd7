/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which road an image is inspected on (see road.h): the direct road, and
 * the switch to the guestfs road when the direct one finds no operating
 * system but a partition it cannot open holds something libguestfs opens.
 */
#include "engine/road.h"
#include "util.h"

/* Filesystem / container types (libblkid TYPE) the guestfs appliance
 * opens and the direct road does not. */
static const char *const guestfs_types[] = {
        "LVM2_member",
        "crypto_LUKS",
        "btrfs",
        "xfs",
        "linux_raid_member",
        "zfs_member",
        "f2fs",
        "jfs",
        "reiserfs",
        "ddf_raid_member",
        "isw_raid_member",
        "hfsplus",
};

static bool
guestfs_type(const char *t)
{
	for (size_t i = 0; t && i < ELEMENTSOF(guestfs_types); i++)
		if (streq(t, guestfs_types[i]))
			return true;
	return false;
}

/* "partition 1: ext4 (no OS on it); partition 2: LVM2_member" and
 * whether the guestfs road would open more than the direct one. */
static int
describe_parts(struct fixup_image *img, bool *ret_helps, char **ret)
{
	const struct fixup_disk_layout *l = fixup_image_layout(img);
	_cleanup_free_ char *s = NULL;
	bool helps = false;

	for (size_t i = 0; i < l->n_parts; i++) {
		const struct fixup_partition *p = &l->parts[i];
		bool opens = fixup_image_can_open(img, i);
		char *n = NULL;

		helps = helps || (!opens && guestfs_type(p->fstype));
		if (util_asprintf(&n, "%s%s%s %u: %s%s", s ? s : "",
		                  s ? "; " : "",
		                  p->number ? "partition" : "disk", p->number,
		                  p->fstype ? p->fstype : "no filesystem",
		                  opens ? " (no OS on it)"
		                  : guestfs_type(p->fstype)
		                          ? " (the guestfs road opens it)"
		                          : " (not opened)") < 0)
			return -ENOMEM;
		free(s);
		s = n;
	}
	*ret_helps = helps;
	*ret = s ? TAKE_PTR(s) : strdup("no partitions");
	return *ret ? 0 : -ENOMEM;
}

static int
set_road(struct fixup_guest *g, size_t n, const char *road, const char *reason)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = util_strmap_set(g[i].facts, "image.road", road);
		if (r >= 0 && reason)
			r = util_strmap_set(g[i].facts, "image.road_reason",
			                    reason);
	}
	return r;
}

int
fixup_road_open_inspect(const char *path, unsigned flags,
                        const struct fixup_image_options *o,
                        struct fixup_image **ret_img,
                        struct fixup_guest **ret_guests, size_t *ret_n)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *desc = NULL, *reason = NULL, *detail = NULL;
	struct fixup_guest *gs = NULL;
	size_t n = 0;
	bool helps = false;
	int r;

	if (o && o->more_disks && o->more_disks[0] &&
	    !(flags & FIXUP_OPEN_GUESTFS)) {
		if (flags & FIXUP_OPEN_DIRECT)
			return fixup_set_error(-EINVAL,
			                       "%s: several disks of one guest "
			                       "need the guestfs road (not "
			                       "--backend direct)",
			                       path);
		flags |= FIXUP_OPEN_GUESTFS;
		reason = strdup("several disks of one guest");
		if (!reason)
			return -ENOMEM;
		log_info("%s: %s: taking the guestfs road.", path, reason);
	}
	r = fixup_image_open_opts(path, flags, o, &img);
	if (r < 0)
		return r;
	util_log_phase("open image");
	if (fixup_image_is_guestfs(img) && !(flags & FIXUP_OPEN_GUESTFS) &&
	    !reason) {
		reason = strdup("the direct road opens no partition of the "
		                "image (LVM, LUKS, xfs, btrfs ...)");
		if (!reason)
			return -ENOMEM;
		log_info("%s: %s: took the guestfs road.", path, reason);
	}
	r = fixup_inspect(img, &gs, &n);
	util_log_phase("inspect");
	if (r >= 0)
		goto found;
	if ((r != FIXUP_E_NO_OS && r != FIXUP_E_NO_FILESYSTEM) ||
	    fixup_image_is_guestfs(img) || fixup_image_is_dir(img))
		return r;
	detail = strdup(fixup_error_detail() ? fixup_error_detail() : "");
	if (!detail || describe_parts(img, &helps, &desc) < 0)
		return -ENOMEM;
	if (!helps && r == FIXUP_E_NO_FILESYSTEM)
		return r; /* the detail lists the partitions already */
	if (!helps || (flags & FIXUP_OPEN_DIRECT))
		return fixup_set_error(
		        r, "%s; what the direct road saw: %s%s", detail, desc,
		        helps ? "; --backend direct keeps off the guestfs "
		                "road, which opens them"
		              : "");
	free(reason);
	if (util_asprintf(&reason,
	                  "the direct road finds no operating system (%s)",
	                  desc) < 0)
		return -ENOMEM;
	log_info("%s: %s: taking the guestfs road.", path, reason);
	img = fixup_image_free(img);
	fixup_clear_error();
	r = fixup_image_open_opts(path, flags | FIXUP_OPEN_GUESTFS, o, &img);
	if (r >= 0) {
		util_log_phase("open image (guestfs)");
		r = fixup_inspect(img, &gs, &n);
		util_log_phase("inspect (guestfs)");
	}
	if (r < 0) {
		_cleanup_free_ char *d =
		        strdup(fixup_error_detail() ? fixup_error_detail()
		                                    : strerror(-r));

		return fixup_set_error(r, "%s: %s, and on the guestfs road: %s",
		                       path, reason, d ? d : "?");
	}
found:
	r = set_road(gs, n, fixup_image_is_guestfs(img) ? "guestfs" : "direct",
	             reason);
	if (r < 0) {
		fixup_guests_free(gs, n);
		return r;
	}
	*ret_img = TAKE_PTR(img);
	*ret_guests = gs;
	*ret_n = n;
	return 0;
}
