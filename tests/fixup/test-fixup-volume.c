/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the volume layer without mkntfs: the dir backend (every
 * operation, case-insensitive lookup, symlinks inside and escaping the
 * root), path normalisation, and the image-open errors that need no
 * filesystem (tiny file, foreign format, no table, partition past EOF,
 * BitLocker boot sector, unknown filesystem, raw I/O bounds).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "engine/inspect.h"
#include "tests.h"
#include "image/volume.h"

static char *
mkpath(const char *rel)
{
	char *p = util_path_join(tests_tmpdir(), rel);

	ASSERT_NOT_NULL(p);
	return p;
}

static void
write_host(const char *rel, const char *content)
{
	_cleanup_free_ char *p = mkpath(rel);
	_cleanup_free_ char *dir = strdup(p);

	*strrchr(dir, '/') = '\0';
	ASSERT_OK(util_mkdir_p(dir));
	ASSERT_OK(util_write_file_atomic(p, content, strlen(content)));
}

static struct fixup_image *
open_dir(const char *rel, unsigned flags, struct fixup_volume **v)
{
	_cleanup_free_ char *p = mkpath(rel);
	struct fixup_image *img = NULL;

	ASSERT_OK(util_mkdir_p(p));
	ASSERT_OK(fixup_image_open(p, flags, &img));
	ASSERT_TRUE(fixup_image_is_dir(img));
	ASSERT_EQ(fixup_image_layout(img)->n_parts, 1);
	ASSERT_OK(fixup_image_open_volume(img, 0, v));
	ASSERT_STREQ(fixup_volume_backend(*v), "dir");
	return img;
}

TEST(dir_read_write_list)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *buf = NULL;
	struct fixup_volume *v;
	struct fixup_stat st;
	size_t len;

	write_host("rw/etc/hostname", "guest\n");
	img = open_dir("rw", FIXUP_OPEN_WRITE, &v);

	ASSERT_OK(fixup_volume_read_file(v, "/etc/hostname", 100, &buf, &len));
	ASSERT_EQ(len, 6);
	ASSERT_STREQ(buf, "guest\n");
	ASSERT_ERR(fixup_volume_read_file(v, "etc\\hostname", 3, &buf, &len),
	           -EFBIG);
	ASSERT_ERR(fixup_volume_read_file(v, "etc/nope", 100, &buf, &len),
	           -ENOENT);
	ASSERT_ERR(fixup_volume_read_file(v, "etc", 100, &buf, &len), -EISDIR);

	ASSERT_OK(fixup_volume_mkdir_p(v, "a/b\\c"));
	ASSERT_OK(fixup_volume_mkdir_p(v, "a/b/c")); /* exists: fine */
	ASSERT_OK(fixup_volume_write_file(v, "a/b/c/f.txt", "data", 4));
	ASSERT_ERR(fixup_volume_mkdir_p(v, "a/b/c/f.txt"), -ENOTDIR);
	ASSERT_OK(fixup_volume_stat(v, "a/b/c/f.txt", &st));
	ASSERT_EQ(st.size, 4);
	ASSERT_TRUE(!st.is_dir);
	ASSERT_TRUE(!st.has_attributes);
	ASSERT_OK(fixup_volume_stat(v, "/", &st));
	ASSERT_TRUE(st.is_dir);

	/* replace keeps the mode */
	{
		_cleanup_free_ char *hp = mkpath("rw/a/b/c/f.txt");
		struct stat hs;

		ASSERT_OK(chmod(hp, 0600));
		ASSERT_OK(
		        fixup_volume_write_file(v, "a/b/c/f.txt", "new!!", 5));
		ASSERT_OK(stat(hp, &hs));
		ASSERT_EQ(hs.st_mode & 0777, 0600);
		ASSERT_EQ(hs.st_size, 5);
	}

	ASSERT_OK(fixup_volume_list(v, "a/b/c", &names));
	ASSERT_EQ(util_strv_length(names), 1);
	ASSERT_STREQ(names[0], "f.txt");

	ASSERT_OK(fixup_volume_rename(v, "a/b/c/f.txt", "a/g.txt"));
	ASSERT_ERR(fixup_volume_stat(v, "a/b/c/f.txt", &st), -ENOENT);
	ASSERT_OK(fixup_volume_stat(v, "a/g.txt", &st));
	ASSERT_OK(fixup_volume_remove(v, "a/g.txt"));
	ASSERT_ERR(fixup_volume_remove(v, "a/b"), -ENOTEMPTY);
	ASSERT_OK(fixup_volume_remove(v, "a/b/c"));
	ASSERT_ERR(fixup_volume_set_attributes(v, "a", FIXUP_ATTR_HIDDEN),
	           -EOPNOTSUPP);
	ASSERT_ERR(fixup_volume_read_boot(v, 0, &st, 1), -EOPNOTSUPP);
	ASSERT_OK(fixup_image_close_volumes(img));
}

TEST(path_normalisation)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *buf = NULL;
	char longname[FIXUP_MAX_NAME + 2];
	struct fixup_volume *v;
	struct fixup_stat st;
	size_t len;

	write_host("norm/x", "x");
	img = open_dir("norm", 0, &v);
	ASSERT_ERR(fixup_volume_read_file(v, "../norm/x", 10, &buf, &len),
	           -EINVAL);
	ASSERT_ERR(fixup_volume_stat(v, "a/./x", &st), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ASSERT_ERR(fixup_volume_stat(v, longname, &st), -ENAMETOOLONG);
	ASSERT_OK(fixup_volume_stat(v, "//x//", &st));
}

TEST(dir_read_only)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_volume *v;

	write_host("ro/f", "f");
	img = open_dir("ro", 0, &v);
	ASSERT_TRUE(!fixup_volume_writable(v));
	ASSERT_ERR(fixup_volume_write_file(v, "f", "x", 1), -EROFS);
	ASSERT_ERR(fixup_volume_mkdir_p(v, "d"), -EROFS);
	ASSERT_ERR(fixup_volume_remove(v, "f"), -EROFS);
	ASSERT_ERR(fixup_volume_rename(v, "f", "g"), -EROFS);
}

TEST(lookup_case_insensitive)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *real = NULL;
	struct fixup_volume *v;

	write_host("ci/Windows/System32/config/SYSTEM", "regf");
	img = open_dir("ci", 0, &v);
	ASSERT_OK(fixup_volume_lookup(v, "windows\\system32\\CONFIG\\system",
	                              &real));
	ASSERT_STREQ(real, "/Windows/System32/config/SYSTEM");
	free(real);
	real = NULL;
	ASSERT_OK(fixup_volume_lookup(v, "/", &real));
	ASSERT_STREQ(real, "/");
	ASSERT_ERR(fixup_volume_lookup(v, "windows/system32/config/software",
	                               &real),
	           -ENOENT);
}

TEST(dir_symlinks_inside_root)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *buf = NULL, *l1 = NULL, *l2 = NULL;
	struct fixup_volume *v;
	size_t len;

	write_host("links/usr/lib/os-release", "ID=debian\n");
	l1 = mkpath("links/etc");
	ASSERT_OK(util_mkdir_p(l1));
	free(l1);
	l1 = mkpath("links/etc/os-release");
	ASSERT_OK(symlink("../usr/lib/os-release", l1));
	l2 = mkpath("links/etc/abs");
	ASSERT_OK(symlink("/usr/lib/os-release", l2)); /* guest-absolute */
	img = open_dir("links", 0, &v);
	ASSERT_OK(fixup_volume_read_file(v, "etc/os-release", 100, &buf, &len));
	ASSERT_STREQ(buf, "ID=debian\n");
	free(buf);
	buf = NULL;
	ASSERT_OK(fixup_volume_read_file(v, "etc/abs", 100, &buf, &len));
	ASSERT_STREQ(buf, "ID=debian\n");
}

TEST(dir_symlink_escape)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *buf = NULL, *l = NULL, *secret = NULL, *dir = NULL;
	struct fixup_volume *v;
	struct fixup_stat st;
	size_t len;

	/* a host file next to the guest root that must stay unreachable */
	write_host("outside-secret", "host secret\n");
	dir = mkpath("esc/etc");
	ASSERT_OK(util_mkdir_p(dir));
	l = mkpath("esc/etc/os-release");
	ASSERT_OK(symlink("../../outside-secret", l));
	img = open_dir("esc", FIXUP_OPEN_WRITE, &v);
	ASSERT_ERR(fixup_volume_read_file(v, "etc/os-release", 100, &buf, &len),
	           FIXUP_E_SYMLINK_ESCAPE);
	ASSERT_NOT_NULL(fixup_error_detail());
	ASSERT_TRUE(strstr(fixup_error_detail(), "outside the guest root"));
	ASSERT_ERR(fixup_volume_write_file(v, "etc/os-release", "x", 1),
	           FIXUP_E_SYMLINK_ESCAPE);
	ASSERT_ERR(fixup_volume_stat(v, "etc/os-release", &st),
	           FIXUP_E_SYMLINK_ESCAPE);
	secret = mkpath("outside-secret");
	ASSERT_OK(util_read_file(secret, 100, &buf, &len));
	ASSERT_STREQ(buf, "host secret\n");

	/* inspection reports it as its own error */
	{
		struct fixup_guest *g = NULL;
		size_t n = 0;

		ASSERT_ERR(fixup_inspect(img, &g, &n), FIXUP_E_SYMLINK_ESCAPE);
	}
}

TEST(dir_symlink_loop)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *l = NULL, *d = NULL;
	struct fixup_volume *v;
	struct fixup_stat st;

	d = mkpath("loop");
	ASSERT_OK(util_mkdir_p(d));
	l = mkpath("loop/a");
	ASSERT_OK(symlink("a", l));
	img = open_dir("loop", 0, &v);
	ASSERT_ERR(fixup_volume_stat(v, "a", &st), -ELOOP);
}

static char *
make_file(const char *rel, const void *data, size_t len, uint64_t size)
{
	char *p = mkpath(rel);
	_cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(ftruncate(fd, (off_t)size));
	if (len)
		ASSERT_EQ(pwrite(fd, data, len, 0), (ssize_t)len);
	return p;
}

/* An MBR with one partition of type 0x07 at start/size sectors. */
static void
mbr(uint8_t b[512], uint32_t start, uint32_t size)
{
	memset(b, 0, 512);
	util_put_le32(b + 0x1b8, 0xcafef00d);
	b[0x1be] = 0x80;
	b[0x1be + 4] = 0x07;
	util_put_le32(b + 0x1be + 8, start);
	util_put_le32(b + 0x1be + 12, size);
	b[510] = 0x55;
	b[511] = 0xaa;
}

TEST(image_errors)
{
	struct fixup_image *img = NULL;
	_cleanup_free_ char *tiny = NULL, *qcow = NULL, *zero = NULL,
	                    *past = NULL;
	uint8_t b[512];

	tiny = make_file("tiny.img", "x", 1, 100);
	ASSERT_ERR(fixup_image_open(tiny, 0, &img), FIXUP_E_NOT_IMAGE);
	ASSERT_TRUE(strstr(fixup_error_detail(), "smaller than one sector"));

	/* A qcow2 header of an unknown version: refused before qemu-nbd. */
	qcow = make_file("q.qcow2", "QFI\xfb\0\0\0\7", 8, 1 << 20);
	ASSERT_ERR(fixup_image_open(qcow, 0, &img), -EBADMSG);
	ASSERT_TRUE(strstr(fixup_error_detail(), "qcow2 magic but version 7"));
	free(qcow);
	/* Version 3 but the rest zeros: qemu-nbd refuses it (-EBADMSG with
	 * its message), or is not installed (-ENOENT); nothing opened. */
	qcow = make_file("q3.qcow2", "QFI\xfb\0\0\0\3", 8, 1 << 20);
	int r = fixup_image_open(qcow, 0, &img);
	ASSERT_TRUE(r == -EBADMSG || r == -ENOENT);
	ASSERT_TRUE(strstr(fixup_error_detail(), "qcow2"));
	ASSERT_NULL(img);

	zero = make_file("zero.img", NULL, 0, 4 << 20);
	ASSERT_ERR(fixup_image_open(zero, 0, &img), FIXUP_E_NO_PARTITIONS);

	mbr(b, 2048, 1u << 30); /* 512 GiB partition in a 4 MiB file */
	past = make_file("past.img", b, sizeof(b), 4 << 20);
	ASSERT_ERR(fixup_image_open(past, 0, &img), FIXUP_E_BEYOND_EOF);
	ASSERT_TRUE(strstr(fixup_error_detail(), "beyond the end"));
	ASSERT_NULL(img);
}

TEST(partition_layout_and_raw_io)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *p = NULL;
	const struct fixup_disk_layout *l;
	struct fixup_volume *v = NULL;
	uint8_t b[512], got[512];
	char sha_before[65], sha_after[65];

	mbr(b, 2048, 4096);
	p = make_file("layout.img", b, sizeof(b), 4 << 20);
	ASSERT_OK(util_sha256_file(p, sha_before));
	ASSERT_OK(fixup_image_open(p, 0, &img));
	l = fixup_image_layout(img);
	ASSERT_EQ(l->style, FIXUP_DISK_MBR);
	ASSERT_EQ(l->mbr_signature, 0xcafef00d);
	ASSERT_EQ(l->n_parts, 1);
	ASSERT_EQ(l->parts[0].number, 1);
	ASSERT_EQ(l->parts[0].start, 2048 * 512);
	ASSERT_EQ(l->parts[0].size, 4096 * 512);
	ASSERT_STREQ(l->parts[0].type, "0x07");
	ASSERT_TRUE(l->parts[0].bootable);
	ASSERT_NULL(l->parts[0].fstype);

	/* zeroed partition: no known filesystem */
	ASSERT_ERR(fixup_image_open_volume(img, 0, &v), FIXUP_E_NO_FILESYSTEM);
	ASSERT_TRUE(strstr(fixup_error_detail(), "no known filesystem"));

	/* raw disk access: bounded to before the first partition */
	ASSERT_OK(fixup_image_read_disk(img, 0, got, sizeof(got)));
	ASSERT_MEMEQ(got, b, sizeof(b));
	ASSERT_ERR(fixup_image_read_disk(img, 2048 * 512 - 256, got, 512),
	           -ERANGE);
	ASSERT_ERR(fixup_image_write_disk(img, 0, got, 512), -EROFS);
	ASSERT_OK(util_sha256_file(p, sha_after));
	ASSERT_STREQ(sha_before, sha_after);
}

TEST(bitlocker)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *p = NULL;
	struct fixup_volume *v = NULL;
	uint8_t b[512], bs[512] = {0xeb, 0x58, 0x90};
	int fd;

	mbr(b, 2048, 4096);
	p = make_file("bitlocker.img", b, sizeof(b), 4 << 20);
	memcpy(bs + 3, "-FVE-FS-", 8);
	bs[510] = 0x55;
	bs[511] = 0xaa;
	fd = open(p, O_WRONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, bs, sizeof(bs), 2048 * 512), 512);
	close(fd);
	ASSERT_OK(fixup_image_open(p, 0, &img));
	ASSERT_ERR(fixup_image_open_volume(img, 0, &v), FIXUP_E_BITLOCKER);
	ASSERT_TRUE(strstr(fixup_error_detail(), "BitLocker"));
	{
		struct fixup_guest *g = NULL;
		size_t n = 0;

		ASSERT_ERR(fixup_inspect(img, &g, &n), FIXUP_E_BITLOCKER);
	}
}

TEST(inspect_linux_dir)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_guest *g = NULL;
	struct fixup_volume *v;
	size_t n = 0;

	write_host("lin/etc/os-release",
	           "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n"
	           "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n# c\n");
	write_host("lin/etc/fstab",
	           "# <fs> <mnt>\n/dev/sda1 / ext4 "
	           "defaults 0 1\n/dev/sda2 none swap sw 0 0\n");
	img = open_dir("lin", 0, &v);
	ASSERT_OK(fixup_inspect(img, &g, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(g[0].root, "dir");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "os.family"), "linux");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "os.distro"), "debian");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "os.version"), "12.0");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "linux.family"), "debian");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "os.product"),
	             "Debian GNU/Linux 12 (bookworm)");
	ASSERT_STREQ(util_strmap_get(g[0].facts, "linux.root_device"),
	             "/dev/sda1");
	ASSERT_NULL(util_strmap_get(g[0].facts, "disk.style"));
	{
		_cleanup_free_ char *json = NULL;

		ASSERT_OK(fixup_guests_to_json(g, n, &json));
		ASSERT_TRUE(strstr(json, "\"os.distro\": \"debian\""));
		ASSERT_TRUE(strstr(json, "\"guests\""));
	}
	fixup_guests_free(g, n);
}

TEST(inspect_no_os)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_guest *g = NULL;
	struct fixup_volume *v;
	size_t n = 0;

	write_host("empty/readme.txt", "nothing here");
	img = open_dir("empty", 0, &v);
	ASSERT_ERR(fixup_inspect(img, &g, &n), FIXUP_E_NO_OS);
	ASSERT_TRUE(strstr(fixup_error_detail(), "no operating system"));
}
