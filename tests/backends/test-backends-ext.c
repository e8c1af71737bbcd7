/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext backend (fixup/image/volume-ext.c) on raw ext4 images built at test
 * time from the Linux fixture tree (sfdisk + mkfs.ext4 -E offset -d, no
 * root): reads, symlinks resolved inside the filesystem, writes checked by
 * e2fsck -fn and debugfs, the overlay (dry run) and undo log of
 * fixup/image/disk.c, and hostile images that must give clear errors.
 */
#include "tests.h"

#include "backends-test-util.h"

static char *image; /* pristine image, built once */
static char *tree;  /* the tree it was built from */
static char image_sha[UTIL_SHA256_HEX_LEN + 1];

static void
build_once(void)
{
	if (image)
		return;
	bt_need("debugfs");
	bt_need("e2fsck");
	tree = bt_linux_tree();
	image = bt_path("base.img");
	bt_build_ext4(image, tree, NULL);
	bt_sha256_file(image, image_sha);
}

/* A private copy of the base image. */
static char *
copy_image(const char *name)
{
	char *p;

	build_once();
	p = bt_path(name);
	ASSERT_EQ(tests_sh("cp '%s' '%s'", image, p), 0);
	return p;
}

struct opened {
	struct fixup_disk *disk;
	struct fixup_volume *v;
};

static int
open_ext(const char *img, bool write, struct opened *ret)
{
	struct fixup_disk *d = NULL;
	struct fixup_volume *v;
	int r;

	r = fixup_disk_open(img, write, &d);
	if (r < 0)
		return r;
	v = bt_volume_new();
	r = fixup_volume_ext_open(v, d, BT_PART_START, BT_PART_SIZE,
	                          write ? FIXUP_OPEN_WRITE : 0);
	if (r < 0) {
		bt_volume_free(v);
		fixup_disk_free(d);
		return r;
	}
	*ret = (struct opened){d, v};
	return 0;
}

/* Closes the volume (flushing libext2fs) and commits the overlay. */
static void
close_commit(struct opened *o, const char *undo)
{
	ASSERT_OK(bt_volume_free(o->v));
	if (undo)
		ASSERT_OK(fixup_disk_commit(o->disk, undo));
	fixup_disk_free(o->disk);
	*o = (struct opened){0};
}

static void
fsck_clean(const char *img)
{
	ASSERT_EQ(
	        tests_sh("PATH=$PATH:/usr/sbin:/sbin e2fsck -fn '%s?offset=%u' "
	                 ">/dev/null 2>&1",
	                 img, BT_PART_START),
	        0);
}

/* debugfs -R 'cat PATH' of img into a string. */
static char *
debugfs_cat(const char *img, const char *path)
{
	_cleanup_free_ char *out = bt_path("debugfs.out");
	char *buf = NULL;
	size_t len;

	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -R 'cat %s' "
	                   "'%s?offset=%u' >'%s' 2>/dev/null",
	                   path, img, BT_PART_START, out),
	          0);
	ASSERT_OK(util_read_file(out, 16u << 20, &buf, &len));
	return buf;
}

static char *
tree_file(const char *rel)
{
	_cleanup_free_ char *p = util_path_join(tree, rel);
	char *buf = NULL;
	size_t len;

	ASSERT_NOT_NULL(p);
	ASSERT_OK(util_read_file(p, 16u << 20, &buf, &len));
	return buf;
}

TEST(read_list_stat)
{
	_cleanup_free_ char *buf = NULL, *want = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct fixup_stat st;
	struct opened o;
	char head[8];
	size_t len, n = 0;

	build_once();
	ASSERT_OK(open_ext(image, false, &o));
	ASSERT_STREQ(fixup_volume_backend(o.v), "ext");
	ASSERT_TRUE(!o.v->writable);

	want = tree_file("etc/fstab");
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/fstab", 1u << 20, &buf,
	                                 &len));
	ASSERT_EQ(len, strlen(want));
	ASSERT_STREQ(buf, want);
	ASSERT_EQ(buf[len], '\0');
	ASSERT_ERR(fixup_volume_read_file(o.v, "/etc/fstab", 10, &buf, &len),
	           -EFBIG);

	ASSERT_OK(fixup_volume_read_at(o.v, "etc\\fstab", 2, head, sizeof(head),
	                               &n));
	ASSERT_EQ(n, sizeof(head));
	ASSERT_MEMEQ(head, want + 2, sizeof(head));
	ASSERT_OK(fixup_volume_read_at(o.v, "/etc/fstab", strlen(want) - 3,
	                               head, sizeof(head), &n));
	ASSERT_EQ(n, 3);
	ASSERT_OK(fixup_volume_read_at(o.v, "/etc/fstab", 1u << 30, head,
	                               sizeof(head), &n));
	ASSERT_EQ(n, 0);

	ASSERT_OK(fixup_volume_stat(o.v, "/etc", &st));
	ASSERT_TRUE(st.is_dir);
	ASSERT_TRUE(!st.has_attributes);
	ASSERT_OK(fixup_volume_stat(o.v, "/etc/fstab", &st));
	ASSERT_TRUE(!st.is_dir);
	ASSERT_EQ(st.size, strlen(want));
	ASSERT_ERR(fixup_volume_stat(o.v, "/etc/nonexistent", &st), -ENOENT);
	ASSERT_ERR(fixup_volume_stat(o.v, "/etc/fstab/x", &st), -ENOTDIR);
	ASSERT_ERR(fixup_volume_read_file(o.v, "/etc", 1024, &buf, &len),
	           -EISDIR);

	ASSERT_OK(fixup_volume_list(o.v, "/", &names));
	ASSERT_TRUE(util_strv_contains(names, "etc"));
	ASSERT_TRUE(util_strv_contains(names, "boot"));
	ASSERT_TRUE(util_strv_contains(names, "lost+found"));
	ASSERT_TRUE(!util_strv_contains(names, "."));
	ASSERT_TRUE(!util_strv_contains(names, ".."));
	util_strv_free(names);
	names = NULL;
	ASSERT_OK(fixup_volume_list(o.v, "/var/empty", &names));
	ASSERT_EQ(util_strv_length(names), 0);
	ASSERT_ERR(fixup_volume_list(o.v, "/etc/fstab", &names), -ENOTDIR);

	/* Windows-style case-insensitive lookup works over this backend. */
	_cleanup_free_ char *real = NULL;
	ASSERT_OK(fixup_volume_lookup(o.v, "ETC\\FSTAB", &real));
	ASSERT_STREQ(real, "/etc/fstab");

	/* Read-only: every write is refused. */
	ASSERT_ERR(fixup_volume_write_file(o.v, "/etc/x", "x", 1), -EROFS);
	ASSERT_ERR(fixup_volume_mkdir_p(o.v, "/etc/y"), -EROFS);
	close_commit(&o, NULL);

	char sha[UTIL_SHA256_HEX_LEN + 1];
	bt_sha256_file(image, sha);
	ASSERT_STREQ(sha, image_sha);
}

TEST(symlinks_stay_inside)
{
	_cleanup_free_ char *hostname = NULL, *fstab = NULL;
	struct fixup_stat st;
	struct opened o;
	char *buf = NULL;
	size_t len;

	build_once();
	hostname = tree_file("etc/hostname");
	fstab = tree_file("etc/fstab");
	ASSERT_OK(open_ext(image, false, &o));

	/* absolute link: relative to the guest root */
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/link-abs", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, fstab);
	free(buf);
	ASSERT_OK(fixup_volume_read_file(o.v, "/boot/link-rel", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, hostname);
	free(buf);
	/* ".." beyond the root stays at the root: the guest's file, never
	 * the host's /etc/hostname */
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/escape", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, hostname);
	free(buf);
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/escape-abs", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, hostname);
	free(buf);
	/* a chain of links, and a link to a directory in the middle */
	ASSERT_OK(fixup_volume_read_file(o.v, "/link-chain", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, fstab);
	free(buf);
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc-link/fstab", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, fstab);
	free(buf);
	ASSERT_OK(fixup_volume_stat(o.v, "/etc-link", &st));
	ASSERT_TRUE(st.is_dir);

	ASSERT_ERR(fixup_volume_stat(o.v, "/etc/loop-a", &st), -ELOOP);
	ASSERT_NOT_NULL(fixup_error_detail());
	ASSERT_TRUE(strstr(fixup_error_detail(), "symlinks") != NULL);
	ASSERT_ERR(fixup_volume_stat(o.v, "/etc/dangling", &st), -ENOENT);
	close_commit(&o, NULL);
}

TEST(symlink_limit)
{
	_cleanup_free_ char *t = bt_path("chain-tree");
	_cleanup_free_ char *img = bt_path("chain.img");
	struct fixup_stat st;
	struct opened o;

	/* l0 -> target, l1 -> l0, ... l40 -> l39: l39 needs 40 links
	 * (allowed), l40 needs 41 (refused). */
	ASSERT_EQ(tests_sh("rm -rf '%s' && mkdir -p '%s' && cd '%s' && "
	                   "echo x >target && ln -s target l0 && "
	                   "i=1; while [ $i -le 40 ]; do "
	                   "ln -s l$((i-1)) l$i; i=$((i+1)); done",
	                   t, t, t),
	          0);
	bt_build_ext4(img, t, "-b 4096"); /* and 4 KiB blocks */
	ASSERT_OK(open_ext(img, false, &o));
	ASSERT_OK(fixup_volume_stat(o.v, "/l39", &st));
	ASSERT_EQ(st.size, 2);
	ASSERT_ERR(fixup_volume_stat(o.v, "/l40", &st), -ELOOP);
	close_commit(&o, NULL);
}

TEST(write_commit_fsck)
{
	_cleanup_free_ char *img = copy_image("write.img");
	_cleanup_free_ char *undo = bt_path("write.undo");
	_cleanup_free_ char *big = NULL, *got = NULL, *fstab = NULL;
	_cleanup_strv_free_ char **names = NULL;
	const char *newfstab = "UUID=1234 / ext4 defaults 0 1\n";
	size_t big_len = 3u * 1024 * 1024 + 17, len;
	struct fixup_stat st;
	struct opened o;
	char sha[UTIL_SHA256_HEX_LEN + 1];

	big = malloc(big_len);
	ASSERT_NOT_NULL(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 4096);

	ASSERT_OK(open_ext(img, true, &o));
	ASSERT_TRUE(o.v->writable);
	/* in place (existing file), through a symlink, new files, mkdir -p,
	 * a big file (extents), overwrite with less, rename, remove */
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/fstab", newfstab,
	                                  strlen(newfstab)));
	ASSERT_OK(fixup_volume_write_file(o.v, "/boot/link-rel", "guest\n", 6));
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/modprobe.d/virtio.conf",
	                                  "# virtio\n", 9));
	ASSERT_OK(fixup_volume_mkdir_p(o.v, "/etc/imgfix/a/b"));
	ASSERT_ERR(fixup_volume_mkdir_p(o.v, "/etc/fstab/x"), -ENOTDIR);
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/imgfix/a/b/big", big,
	                                  big_len));
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/imgfix/a/b/big", big_len,
	                                 &got, &len));
	ASSERT_EQ(len, big_len);
	ASSERT_MEMEQ(got, big, big_len);
	free(got);
	got = NULL;
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/imgfix/a/b/small", big,
	                                  100));
	ASSERT_OK(
	        fixup_volume_write_file(o.v, "/etc/imgfix/a/b/big", big, 5000));
	ASSERT_OK(fixup_volume_rename(o.v, "/etc/imgfix/a/b/small",
	                              "/etc/imgfix/a/moved"));
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/imgfix/a/victim", "v", 1));
	ASSERT_OK(fixup_volume_rename(o.v, "/etc/imgfix/a/moved",
	                              "/etc/imgfix/a/victim"));
	ASSERT_ERR(fixup_volume_rename(o.v, "/etc/imgfix/a", "/etc/imgfix/c"),
	           -EISDIR);
	ASSERT_ERR(fixup_volume_remove(o.v, "/etc/imgfix/a"), -ENOTEMPTY);
	ASSERT_OK(fixup_volume_remove(o.v, "/etc/modprobe.d/vmware-scsi.conf"));
	ASSERT_ERR(fixup_volume_remove(o.v, "/etc/modprobe.d/vmware-scsi.conf"),
	           -ENOENT);
	ASSERT_OK(fixup_volume_remove(o.v, "/var/empty"));
	ASSERT_OK(fixup_volume_remove(o.v, "/etc/dangling"));
	/* many new entries: the directory has to grow */
	for (int i = 0; i < 200; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/etc/imgfix/many-file-name-%03d", i);
		ASSERT_OK(fixup_volume_write_file(o.v, p, p, strlen(p)));
	}
	ASSERT_OK(fixup_volume_sync(o.v));
	/* Nothing reached the image yet: it is all in the overlay. */
	bt_sha256_file(img, sha);
	ASSERT_STREQ(sha, image_sha);
	ASSERT_TRUE(fixup_disk_dirty_bytes(o.disk) > 0);
	close_commit(&o, undo);

	fsck_clean(img);
	got = debugfs_cat(img, "/etc/fstab");
	ASSERT_STREQ(got, newfstab);
	free(got);
	got = debugfs_cat(img, "/etc/hostname");
	ASSERT_STREQ(got, "guest\n");
	free(got);
	got = NULL;
	/* the in-place write kept owner and mode; new files are 0644 root */
	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -R 'stat "
	                   "/etc/modprobe.d/virtio.conf' '%s?offset=%u' "
	                   "2>/dev/null | grep -q 'Mode:  0644'",
	                   img, BT_PART_START),
	          0);
	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -R 'stat "
	                   "/etc/imgfix/a' '%s?offset=%u' 2>/dev/null | "
	                   "grep -q 'Mode:  0755'",
	                   img, BT_PART_START),
	          0);

	/* Reopen: what was written reads back. */
	ASSERT_OK(open_ext(img, false, &o));
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/imgfix/a/b/big", big_len,
	                                 &got, &len));
	ASSERT_EQ(len, 5000);
	ASSERT_MEMEQ(got, big, 5000);
	ASSERT_OK(fixup_volume_stat(o.v, "/etc/imgfix/a/victim", &st));
	ASSERT_EQ(st.size, 100);
	ASSERT_ERR(fixup_volume_stat(o.v, "/etc/imgfix/a/moved", &st), -ENOENT);
	ASSERT_ERR(fixup_volume_stat(o.v, "/var/empty", &st), -ENOENT);
	ASSERT_OK(fixup_volume_list(o.v, "/etc/imgfix", &names));
	ASSERT_EQ(util_strv_length(names), 201);
	fstab = tree_file("etc/fstab");
	close_commit(&o, NULL);

	/* The undo log puts every byte back. */
	ASSERT_OK(fixup_disk_undo(img, undo, false));
	bt_sha256_file(img, sha);
	ASSERT_STREQ(sha, image_sha);
}

TEST(dry_run_discard)
{
	_cleanup_free_ char *img = copy_image("dry.img");
	struct opened o;
	char sha[UTIL_SHA256_HEX_LEN + 1];
	char *buf = NULL;
	size_t len;

	ASSERT_OK(open_ext(img, true, &o));
	ASSERT_OK(fixup_volume_write_file(o.v, "/etc/fstab", "dry\n", 4));
	ASSERT_OK(fixup_volume_mkdir_p(o.v, "/new/dir"));
	ASSERT_OK(fixup_volume_read_file(o.v, "/etc/fstab", 100, &buf, &len));
	ASSERT_STREQ(buf, "dry\n");
	free(buf);
	ASSERT_OK(bt_volume_free(o.v));
	fixup_disk_discard(o.disk);
	fixup_disk_free(o.disk);
	bt_sha256_file(img, sha);
	ASSERT_STREQ(sha, image_sha);
}

TEST(fs_uuid)
{
	_cleanup_free_ char *uuid = NULL, *out = bt_path("uuid.out");
	_cleanup_free_ char *want = NULL;
	struct opened o;
	size_t len;

	build_once();
	ASSERT_EQ(
	        tests_sh(
	                "PATH=$PATH:/usr/sbin:/sbin dumpe2fs -h '%s?offset=%u' "
	                "2>/dev/null | sed -n 's/^Filesystem UUID: *//p' "
	                "| tr -d '\\n' >'%s'",
	                image, BT_PART_START, out),
	        0);
	ASSERT_OK(util_read_file(out, 100, &want, &len));
	ASSERT_EQ(len, 36);
	ASSERT_OK(open_ext(image, false, &o));
	ASSERT_OK(fixup_volume_fs_uuid(o.v, &uuid));
	ASSERT_STREQ(uuid, want);
	close_commit(&o, NULL);
}

/* ---- hostile and refused images ------------------------------------------ */

TEST(zeroed_superblock)
{
	_cleanup_free_ char *img = copy_image("zero.img");
	struct opened o;

	ASSERT_EQ(tests_sh("dd if=/dev/zero of='%s' bs=1024 seek=%u count=1 "
	                   "conv=notrunc status=none",
	                   img, BT_PART_START / 1024 + 1),
	          0);
	ASSERT_ERR(open_ext(img, false, &o), FIXUP_E_NO_FILESYSTEM);
	ASSERT_NOT_NULL(fixup_error_detail());
	ASSERT_TRUE(strstr(fixup_error_detail(), img) != NULL);
	ASSERT_TRUE(strstr(fixup_error_detail(), "superblock") != NULL);
}

TEST(garbage_superblock)
{
	_cleanup_free_ char *img = copy_image("garbage.img");
	struct opened o;

	/* s_log_block_size (offset 24) = 200: corrupt, with a stale csum */
	ASSERT_EQ(tests_sh("printf '\\310\\0\\0\\0' | dd of='%s' bs=1 seek=%u "
	                   "conv=notrunc status=none",
	                   img, BT_PART_START + 1024 + 24),
	          0);
	ASSERT_TRUE(open_ext(img, false, &o) < 0);
	ASSERT_NOT_NULL(fixup_error_detail());
	ASSERT_TRUE(strstr(fixup_error_detail(), img) != NULL);
}

TEST(truncated_image)
{
	_cleanup_free_ char *img = copy_image("trunc.img");
	struct fixup_disk *d = NULL;
	struct fixup_volume *v;
	struct opened o;
	char *buf = NULL;
	size_t len;
	int r;

	/* The table says 63 MiB; the file ends after 3 MiB. */
	ASSERT_EQ(tests_sh("truncate -s 3M '%s'", img), 0);
	ASSERT_OK(fixup_disk_open(img, false, &d));
	v = bt_volume_new();
	ASSERT_ERR(fixup_volume_ext_open(v, d, BT_PART_START, BT_PART_SIZE, 0),
	           FIXUP_E_BEYOND_EOF);
	ASSERT_TRUE(strstr(fixup_error_detail(), "beyond the end") != NULL);
	/* Told the partition is the 2 MiB that exist, libext2fs meets block
	 * numbers past it: errors, never reads outside the window. */
	r = fixup_volume_ext_open(v, d, BT_PART_START, 2u * 1024 * 1024, 0);
	if (r >= 0) {
		r = fixup_volume_read_file(v, "/etc/fstab", 1u << 20, &buf,
		                           &len);
		free(buf);
	}
	ASSERT_TRUE(r < 0);
	bt_volume_free(v);
	fixup_disk_free(d);
	(void)o;
}

TEST(needs_recovery_refused_for_writing)
{
	_cleanup_free_ char *img = copy_image("recover.img");
	struct opened o;

	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -w -R 'feature "
	                   "needs_recovery' '%s?offset=%u' >/dev/null 2>&1",
	                   img, BT_PART_START),
	          0);
	ASSERT_ERR(open_ext(img, true, &o), FIXUP_E_UNCLEAN);
	ASSERT_TRUE(strstr(fixup_error_detail(), "needs recovery") != NULL);
	/* reading is fine */
	ASSERT_OK(open_ext(img, false, &o));
	close_commit(&o, NULL);
}

TEST(errors_flag_refused_for_writing)
{
	_cleanup_free_ char *img = copy_image("errors.img");
	struct opened o;

	ASSERT_EQ(
	        tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -w -R 'ssv state "
	                 "3' '%s?offset=%u' >/dev/null 2>&1",
	                 img, BT_PART_START),
	        0);
	ASSERT_ERR(open_ext(img, true, &o), FIXUP_E_UNCLEAN);
	ASSERT_TRUE(strstr(fixup_error_detail(), "e2fsck") != NULL);
}

TEST(unsupported_feature)
{
	_cleanup_free_ char *img = copy_image("feature.img");
	struct opened o;

	/* An incompat bit libext2fs does not know (1 << 30). */
	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin debugfs -w -R 'ssv "
	                   "feature_incompat 0x400002c2' '%s?offset=%u' "
	                   ">/dev/null 2>&1",
	                   img, BT_PART_START),
	          0);
	ASSERT_ERR(open_ext(img, true, &o), -EOPNOTSUPP);
	ASSERT_TRUE(strstr(fixup_error_detail(), "features") != NULL);
}

TEST(too_small_partition)
{
	struct fixup_disk *d = NULL;
	struct fixup_volume *v;

	build_once();
	ASSERT_OK(fixup_disk_open(image, false, &d));
	v = bt_volume_new();
	ASSERT_ERR(fixup_volume_ext_open(v, d, BT_PART_START, 1024, 0),
	           FIXUP_E_NO_FILESYSTEM);
	ASSERT_ERR(fixup_volume_ext_open(v, d, BT_PART_START, BT_PART_SIZE,
	                                 FIXUP_OPEN_WRITE),
	           -EROFS);
	bt_volume_free(v);
	fixup_disk_free(d);
}
