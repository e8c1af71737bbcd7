/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs backend (fixup/image/volume-guestfs.c) on a qcow2 image: a raw
 * ext4 image of the Linux fixture tree converted with qemu-img.  One
 * appliance launch for the whole executable (the handle is shared by the
 * test cases, which run in order); exit 77 when no appliance can start.
 * Writes are checked afterwards on the raw conversion of the qcow2 with
 * e2fsck -fn and debugfs, and compared with the same writes done by the
 * ext backend on the raw image.  The appliance writes a qcow2 overlay:
 * the image is unchanged until fixup_guestfs_commit(), whose undo log
 * then gives back every byte.
 */
#include "image/disk-io.h"
#include "tests.h"

#include "backends-test-util.h"

static char *tree, *raw, *qcow2;
static struct fixup_guestfs *gfs;
static struct fixup_volume *vol;

static void
shutdown_at_exit(void)
{
	bt_volume_free(vol);
	fixup_guestfs_close(gfs);
}

static void
setup(void)
{
	int r;

	if (gfs)
		return;
	bt_need("qemu-img");
	bt_need("debugfs");
	tree = bt_linux_tree();
	raw = bt_path("linux.img");
	qcow2 = bt_path("linux.qcow2");
	bt_build_ext4(raw, tree, NULL);
	ASSERT_EQ(tests_sh("qemu-img convert -f raw -O qcow2 '%s' '%s'", raw,
	                   qcow2),
	          0);
	r = fixup_guestfs_open(qcow2, NULL, NULL, NULL, FIXUP_OPEN_WRITE, &gfs);
	if (r == -ENXIO)
		TEST_SKIP("no libguestfs appliance: %s",
		          fixup_error_detail() ? fixup_error_detail() : "?");
	ASSERT_OK(r);
	atexit(shutdown_at_exit);
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

TEST(filesystems)
{
	setup();
	ASSERT_EQ(fixup_guestfs_n_filesystems(gfs), 1);
	ASSERT_STREQ(fixup_guestfs_device(gfs, 0), "/dev/sda1");
	ASSERT_STREQ(fixup_guestfs_fstype(gfs, 0), "ext4");
	ASSERT_NULL(fixup_guestfs_device(gfs, 1));
	vol = bt_volume_new();
	ASSERT_OK(fixup_volume_guestfs_open(vol, gfs, 0, FIXUP_OPEN_WRITE));
	ASSERT_STREQ(fixup_volume_backend(vol), "guestfs");
	ASSERT_TRUE(fixup_volume_is_guestfs(vol));
	ASSERT_TRUE(vol->writable);
	struct fixup_volume *other = bt_volume_new();
	ASSERT_ERR(fixup_volume_guestfs_open(other, gfs, 7, 0), -EINVAL);
	bt_volume_free(other);
}

TEST(read_list_stat)
{
	_cleanup_free_ char *buf = NULL, *want = NULL, *real = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct fixup_stat st;
	char head[8];
	size_t len, n;

	setup();
	want = tree_file("etc/fstab");
	ASSERT_OK(fixup_volume_read_file(vol, "/etc/fstab", 1u << 20, &buf,
	                                 &len));
	ASSERT_EQ(len, strlen(want));
	ASSERT_STREQ(buf, want);
	ASSERT_ERR(fixup_volume_read_file(vol, "/etc/fstab", 10, &buf, &len),
	           -EFBIG);
	ASSERT_ERR(fixup_volume_read_file(vol, "/etc", 100, &buf, &len),
	           -EISDIR);
	ASSERT_OK(fixup_volume_read_at(vol, "/etc/fstab", 2, head, sizeof(head),
	                               &n));
	ASSERT_EQ(n, sizeof(head));
	ASSERT_MEMEQ(head, want + 2, sizeof(head));
	ASSERT_OK(fixup_volume_read_at(vol, "/etc/fstab", strlen(want) - 3,
	                               head, sizeof(head), &n));
	ASSERT_EQ(n, 3);
	ASSERT_OK(fixup_volume_stat(vol, "/etc", &st));
	ASSERT_TRUE(st.is_dir);
	ASSERT_OK(fixup_volume_stat(vol, "/etc/fstab", &st));
	ASSERT_EQ(st.size, strlen(want));
	ASSERT_ERR(fixup_volume_stat(vol, "/etc/nonexistent", &st), -ENOENT);
	ASSERT_OK(fixup_volume_list(vol, "/", &names));
	ASSERT_TRUE(util_strv_contains(names, "etc"));
	ASSERT_TRUE(util_strv_contains(names, "lost+found"));
	ASSERT_OK(fixup_volume_lookup(vol, "ETC\\FSTAB", &real));
	ASSERT_STREQ(real, "/etc/fstab");
}

TEST(symlinks_stay_inside)
{
	_cleanup_free_ char *hostname = NULL, *fstab = NULL;
	char *buf = NULL;
	size_t len;

	setup();
	hostname = tree_file("etc/hostname");
	fstab = tree_file("etc/fstab");
	ASSERT_OK(fixup_volume_read_file(vol, "/etc/link-abs", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, fstab);
	free(buf);
	ASSERT_OK(fixup_volume_read_file(vol, "/etc/escape", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, hostname);
	free(buf);
	ASSERT_OK(fixup_volume_read_file(vol, "/etc/escape-abs", 1u << 20, &buf,
	                                 &len));
	ASSERT_STREQ(buf, hostname);
	free(buf);
	ASSERT_TRUE(fixup_volume_read_file(vol, "/etc/loop-a", 100, &buf,
	                                   &len) < 0);
}

TEST(uuid)
{
	_cleanup_free_ char *uuid = NULL, *want = NULL, *out = NULL;
	size_t len;

	setup();
	out = bt_path("uuid.out");
	ASSERT_EQ(
	        tests_sh(
	                "PATH=$PATH:/usr/sbin:/sbin dumpe2fs -h '%s?offset=%u' "
	                "2>/dev/null | sed -n 's/^Filesystem UUID: *//p' "
	                "| tr -d '\\n' >'%s'",
	                raw, BT_PART_START, out),
	        0);
	ASSERT_OK(util_read_file(out, 100, &want, &len));
	ASSERT_OK(fixup_volume_fs_uuid(vol, &uuid));
	ASSERT_STREQ(uuid, want);
}

/* The same edits, on any backend. */
static void
edit(struct fixup_volume *v)
{
	const char *fstab = "UUID=1234 / ext4 defaults 0 1\n";
	_cleanup_free_ char *big = malloc(3u << 20);

	ASSERT_NOT_NULL(big);
	for (size_t i = 0; i < (3u << 20); i++)
		big[i] = (char)(i * 13 + i / 1000);
	ASSERT_OK(
	        fixup_volume_write_file(v, "/etc/fstab", fstab, strlen(fstab)));
	ASSERT_OK(fixup_volume_write_file(v, "/etc/link-abs", "via link\n", 9));
	ASSERT_OK(fixup_volume_mkdir_p(v, "/etc/imgfix/a"));
	ASSERT_OK(
	        fixup_volume_write_file(v, "/etc/imgfix/a/big", big, 3u << 20));
	ASSERT_OK(fixup_volume_write_file(v, "/etc/imgfix/a/new", "new\n", 4));
	ASSERT_OK(fixup_volume_rename(v, "/etc/imgfix/a/new",
	                              "/etc/imgfix/renamed"));
	ASSERT_OK(fixup_volume_remove(v, "/etc/modprobe.d/vmware-scsi.conf"));
	ASSERT_OK(fixup_volume_remove(v, "/var/empty"));
	ASSERT_OK(fixup_volume_sync(v));
}

static const char *const compared[] = {
        "/etc/fstab",    "/etc/imgfix/a/big", "/etc/imgfix/renamed",
        "/etc/hostname", "/etc/default/grub",
};

TEST(write_and_run)
{
	_cleanup_free_ char *out = NULL;
	const char *tool = NULL;
	char *argv[] = {(char *)"/bin/true", NULL};
	struct fixup_stat st;

	setup();
	edit(vol);
	ASSERT_ERR(fixup_volume_stat(vol, "/var/empty", &st), -ENOENT);
	ASSERT_OK(fixup_volume_stat(vol, "/etc/imgfix/a/big", &st));
	ASSERT_EQ(st.size, 3u << 20);
	/* The fixture tree has no programs: nothing to run. */
	ASSERT_ERR(fixup_volume_guestfs_run(vol, argv, &out), -ENOENT);
	ASSERT_ERR(fixup_volume_guestfs_rebuild_initramfs(vol, &tool), -ENOENT);
	ASSERT_NULL(tool);
	ASSERT_TRUE(strstr(fixup_error_detail(), "dracut") != NULL);
}

/* Runs last: commits, shuts the appliance down and checks what reached the
 * image against the direct road doing the same edits on the raw image. */
TEST(zz_same_as_direct_road)
{
	_cleanup_free_ char *back = NULL, *direct = NULL, *orig_raw = NULL,
	                    *gfs_undo = NULL;
	struct fixup_io *io = NULL;
	struct fixup_disk *d = NULL;
	struct fixup_volume *v;

	setup();
	ASSERT_OK(bt_volume_free(vol));
	vol = NULL;
	/* The appliance wrote a qcow2 overlay: the image is untouched until
	 * the commit, which writes it through an undo log. */
	orig_raw = bt_path("orig.img");
	ASSERT_EQ(tests_sh("qemu-img convert -f qcow2 -O raw '%s' '%s' && "
	                   "cmp -s '%s' '%s'",
	                   qcow2, orig_raw, orig_raw, raw),
	          0);
	gfs_undo = bt_path("gfs.undo");
	ASSERT_TRUE(fixup_guestfs_commit(gfs, gfs_undo) > 0);
	ASSERT_OK(fixup_guestfs_close(gfs));
	gfs = NULL;

	back = bt_path("back.img");
	ASSERT_EQ(tests_sh("qemu-img convert -f qcow2 -O raw '%s' '%s'", qcow2,
	                   back),
	          0);
	ASSERT_EQ(tests_sh("PATH=$PATH:/usr/sbin:/sbin e2fsck -fn "
	                   "'%s?offset=%u' >/dev/null 2>&1",
	                   back, BT_PART_START),
	          0);

	/* The direct road, same edits, on the raw original. */
	direct = bt_path("direct.img");
	ASSERT_EQ(tests_sh("cp '%s' '%s'", raw, direct), 0);
	ASSERT_OK(fixup_disk_open(direct, true, &d));
	v = bt_volume_new();
	ASSERT_OK(fixup_volume_ext_open(v, d, BT_PART_START, BT_PART_SIZE,
	                                FIXUP_OPEN_WRITE));
	edit(v);
	ASSERT_OK(bt_volume_free(v));
	_cleanup_free_ char *undo = bt_path("direct.undo");
	ASSERT_OK(fixup_disk_commit(d, undo));
	fixup_disk_free(d);

	for (size_t i = 0; i < ELEMENTSOF(compared); i++) {
		ASSERT_EQ(
		        tests_sh("cd '%s' && for i in back direct; do "
		                 "PATH=$PATH:/usr/sbin:/sbin debugfs -R 'cat "
		                 "%s' \"$i.img?offset=%u\" >$i.out 2>/dev/null "
		                 "|| exit 2; done; cmp -s back.out direct.out",
		                 tests_tmpdir(), compared[i], BT_PART_START),
		        0);
	}
	ASSERT_EQ(tests_sh("cd '%s' && for i in back direct; do "
	                   "PATH=$PATH:/usr/sbin:/sbin debugfs -R 'ls -l /etc' "
	                   "\"$i.img?offset=%u\" 2>/dev/null | awk '{print $2, "
	                   "$3, $4, $5, $6, $NF}' | sort >$i.ls; done; "
	                   "cmp -s back.ls direct.ls",
	                   tests_tmpdir(), BT_PART_START),
	          0);

	/* The undo log gives back every byte of the qcow2's disk. */
	ASSERT_OK(fixup_io_open(qcow2, "qcow2", true, &io));
	ASSERT_OK(fixup_disk_undo_io(io, gfs_undo, false));
	fixup_io_free(io);
	ASSERT_EQ(tests_sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'",
	                   qcow2, orig_raw),
	          0);
}
