/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the tests/backends tests: build a raw MBR image with an ext4
 * partition populated from a directory (sfdisk + mkfs.ext4 -E offset -d, no
 * root), hash a file, and open a backend volume on its own
 * (without volume.c's image layer).  Include after tests.h.
 */
#ifndef IMGFIX_TESTS_BACKENDS_UTIL_H
#define IMGFIX_TESTS_BACKENDS_UTIL_H

#include "image/disk.h"
#include "image/volume-ext.h"
#include "image/volume-guestfs.h"
#include "image/volume.h"

#define BT_PART_START (1024u * 1024)
#define BT_IMAGE_MB 64u
#define BT_FS_MB (BT_IMAGE_MB - 1)
#define BT_PART_SIZE ((uint64_t)BT_FS_MB * 1024 * 1024)

/* Skips the executable when a tool the fixtures need is missing. */
static inline void
bt_need(const char *tool)
{
	if (tests_sh("PATH=$PATH:/usr/sbin:/sbin command -v %s >/dev/null 2>&1",
	             tool) != 0)
		TEST_SKIP("%s not installed", tool);
}

/* tmpdir/name as a new string. */
static inline char *
bt_path(const char *name)
{
	char *p = util_path_join(tests_tmpdir(), name);

	if (!p)
		TEST_FAIL("out of memory");
	return p;
}

/*
 * Builds image (BT_IMAGE_MB MiB, MBR, partition 1 at 1 MiB, type 83) with
 * an ext4 filesystem populated from tree; extra: more mkfs.ext4 options.
 */
static inline void
bt_build_ext4(const char *image, const char *tree, const char *extra)
{
	bt_need("sfdisk");
	bt_need("mkfs.ext4");
	ASSERT_EQ(tests_sh("rm -f '%s' && truncate -s %uM '%s' && "
	                   "printf 'label: dos\\nstart=2048, type=83\\n' | "
	                   "PATH=$PATH:/usr/sbin:/sbin sfdisk -q '%s'",
	                   image, BT_IMAGE_MB, image, image),
	          0);
	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -F -q -E "
	                   "offset=%u %s -d '%s' '%s' %uM",
	                   BT_PART_START, extra ? extra : "", tree, image,
	                   BT_FS_MB),
	          0);
}

/* A copy of the Linux fixture tree with test symlinks added. */
static inline char *
bt_linux_tree(void)
{
	char *tree = bt_path("tree");

	ASSERT_EQ(tests_sh("rm -rf '%s' && cp -a '%s/tests/fixtures/linux/"
	                   "debian12' '%s'",
	                   tree, tests_srcdir(), tree),
	          0);
	ASSERT_EQ(
	        tests_sh(
	                "cd '%s' && ln -s /etc/fstab etc/link-abs && "
	                "ln -s ../etc/hostname boot/link-rel && "
	                "ln -s ../../../../../../etc/hostname etc/escape && "
	                "ln -s /../../etc/hostname etc/escape-abs && "
	                "ln -s etc/link-abs link-chain && "
	                "ln -s loop-b etc/loop-a && ln -s loop-a etc/loop-b && "
	                "ln -s /nonexistent etc/dangling && "
	                "ln -s /etc etc-link && mkdir -p var/empty",
	                tree),
	        0);
	return tree;
}

/* A volume on its own: the backend's state with a name, no image. */
static inline struct fixup_volume *
bt_volume_new(void)
{
	struct fixup_volume *v = calloc(1, sizeof(*v));

	ASSERT_NOT_NULL(v);
	v->name = strdup("partition 1");
	ASSERT_NOT_NULL(v->name);
	return v;
}

/* Closes and frees a volume made by bt_volume_new(); returns close's r. */
static inline int
bt_volume_free(struct fixup_volume *v)
{
	int r = 0;

	if (!v)
		return 0;
	if (v->ops)
		r = v->ops->close(v);
	free(v->name);
	free(v);
	return r;
}

static inline void
bt_sha256_file(const char *path, char ret[UTIL_SHA256_HEX_LEN + 1])
{
	ASSERT_OK(util_sha256_file(path, ret));
}

#endif
