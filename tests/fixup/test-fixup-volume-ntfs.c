/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ntfs3g backend on raw images built at test time by
 * tests/fixtures/mkimage (mkntfs + our own backend): every vtable
 * operation, attributes kept across an in-place write, raw boot-sector
 * I/O bounds, MBR and GPT layouts, read-only opens that change no byte,
 * and the hibernated and unclean (dirty flag) refusals.  Skips (77) without
 * mkntfs/sfdisk.
 */
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests.h"
#include "image/disk.h"
#include "image/volume.h"

/* Builds an image: mkimage -o tmp/name args... */
static char *
build(const char *name, const char *args)
{
	_cleanup_free_ char *cmd = NULL;
	char *img = util_path_join(tests_tmpdir(), name);
	int st;

	ASSERT_NOT_NULL(img);
	ASSERT_OK(util_asprintf(&cmd, "'%s' -o '%s' %s", tests_mkimage(), img,
	                        args));
	st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		TEST_FAIL("mkimage failed: %s", cmd);
	return img;
}

static char *
host_file(const char *name, const char *content)
{
	char *p = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(p);
	ASSERT_OK(util_write_file_atomic(p, content, strlen(content)));
	return p;
}

static struct fixup_volume *
open_ntfs(const char *path, unsigned flags, struct fixup_image **img)
{
	const struct fixup_disk_layout *l;
	struct fixup_volume *v = NULL;

	ASSERT_OK(fixup_image_open(path, flags, img));
	l = fixup_image_layout(*img);
	for (size_t i = 0; i < l->n_parts; i++)
		if (l->parts[i].fstype && streq(l->parts[i].fstype, "ntfs")) {
			int r = fixup_image_open_volume(*img, i, &v);

			if (r < 0)
				TEST_FAIL("open volume: %s",
				          fixup_error_detail());
		}
	ASSERT_NOT_NULL(v);
	ASSERT_STREQ(fixup_volume_backend(v), "ntfs3g");
	return v;
}

TEST(ntfs_read_only_changes_nothing)
{
	_cleanup_free_ char *bootini = NULL, *img = NULL, *buf = NULL,
	                    *real = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct fixup_image *image = NULL;
	struct fixup_volume *v;
	struct fixup_stat st;
	char before[65], after[65];
	size_t len;

	bootini = host_file("boot.ini", "[boot loader]\r\ntimeout=30\r\n");
	{
		_cleanup_free_ char *args = NULL;

		ASSERT_OK(util_asprintf(&args,
		                        "--size 64M --offset 32256 --put "
		                        "'%s:/boot.ini' --mkdir "
		                        "/Windows/System32/config --attr "
		                        "/boot.ini:rhs",
		                        bootini));
		img = build("ro.img", args);
	}
	ASSERT_OK(util_sha256_file(img, before));
	v = open_ntfs(img, 0, &image);
	ASSERT_EQ(fixup_volume_partition(v)->start, 32256);
	ASSERT_TRUE(!fixup_volume_writable(v));

	ASSERT_OK(fixup_volume_read_file(v, "boot.ini", 4096, &buf, &len));
	ASSERT_STREQ(buf, "[boot loader]\r\ntimeout=30\r\n");
	ASSERT_OK(fixup_volume_stat(v, "/boot.ini", &st));
	ASSERT_TRUE(st.has_attributes);
	ASSERT_EQ(st.attributes & 7,
	          FIXUP_ATTR_READONLY | FIXUP_ATTR_HIDDEN | FIXUP_ATTR_SYSTEM);
	ASSERT_EQ(st.size, len);
	ASSERT_OK(fixup_volume_lookup(v, "WINDOWS\\system32\\Config", &real));
	ASSERT_STREQ(real, "/Windows/System32/config");
	ASSERT_OK(fixup_volume_list(v, "/", &names));
	ASSERT_TRUE(util_strv_contains(names, "boot.ini"));
	ASSERT_TRUE(util_strv_contains(names, "Windows"));
	ASSERT_TRUE(!util_strv_contains(names, "$MFT"));
	ASSERT_ERR(fixup_volume_write_file(v, "boot.ini", "x", 1), -EROFS);
	ASSERT_ERR(fixup_volume_write_boot(v, 0, "x", 1), -EROFS);
	ASSERT_OK(fixup_image_close_volumes(image));
	fixup_image_free(image);
	ASSERT_OK(util_sha256_file(img, after));
	ASSERT_STREQ(before, after);
}

TEST(ntfs_write_ops)
{
	_cleanup_free_ char *bootini = NULL, *img = NULL, *args = NULL;
	struct fixup_image *image = NULL;
	struct fixup_volume *v;
	struct fixup_stat st;
	uint8_t bs[512];
	size_t n;

	bootini = host_file("boot2.ini", "old contents of boot.ini\r\n");
	ASSERT_OK(util_asprintf(&args,
	                        "--size 64M --table gpt --esp --put "
	                        "'%s:/boot.ini' --attr /boot.ini:hs",
	                        bootini));
	img = build("rw.img", args);

	v = open_ntfs(img, FIXUP_OPEN_WRITE, &image);
	{
		const struct fixup_disk_layout *l = fixup_image_layout(image);

		ASSERT_EQ(l->style, FIXUP_DISK_GPT);
		ASSERT_STREQ(l->gpt_guid,
		             "0B5E5F1A-7C3D-4E2B-9A61-1D2C3B4A5F60");
		ASSERT_EQ(l->n_parts, 2);
		ASSERT_STREQ(l->parts[0].uuid,
		             "6A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9");
		ASSERT_TRUE(!l->parts[0].esp);
		ASSERT_TRUE(l->parts[1].esp);
	}
	/* in-place replace keeps the attributes */
	ASSERT_OK(fixup_volume_write_file(v, "/boot.ini", "new\r\n", 5));
	ASSERT_OK(fixup_volume_stat(v, "/boot.ini", &st));
	ASSERT_EQ(st.size, 5);
	ASSERT_EQ(st.attributes & 7, FIXUP_ATTR_HIDDEN | FIXUP_ATTR_SYSTEM);

	ASSERT_OK(fixup_volume_mkdir_p(v, "Windows/System32/drivers"));
	ASSERT_OK(fixup_volume_write_file(v, "Windows/System32/drivers/a.sys",
	                                  "MZ", 2));
	ASSERT_OK(fixup_volume_rename(v, "Windows/System32/drivers/a.sys",
	                              "Windows/b.sys"));
	ASSERT_ERR(fixup_volume_stat(v, "Windows/System32/drivers/a.sys", &st),
	           -ENOENT);
	ASSERT_OK(fixup_volume_stat(v, "Windows/b.sys", &st));
	ASSERT_EQ(st.size, 2);
	ASSERT_OK(fixup_volume_rename(v, "Windows/b.sys", "Windows/c.sys"));
	ASSERT_OK(fixup_volume_remove(v, "Windows/c.sys"));
	ASSERT_ERR(fixup_volume_remove(v, "Windows/System32"), -ENOTEMPTY);
	ASSERT_OK(fixup_volume_set_attributes(v, "boot.ini", 0));

	/* boot sector: NTFS OEM id, hidden sectors = partition start */
	ASSERT_OK(fixup_volume_read_boot(v, 0, bs, sizeof(bs)));
	ASSERT_MEMEQ(bs + 3, "NTFS    ", 8);
	ASSERT_EQ(util_le32(bs + 0x1c), fixup_volume_partition(v)->start / 512);
	ASSERT_OK(fixup_volume_write_boot(v, 0, bs, sizeof(bs)));
	ASSERT_ERR(fixup_volume_read_boot(v, FIXUP_RAW_REGION_MAX - 256, bs,
	                                  sizeof(bs)),
	           -ERANGE);
	ASSERT_OK(fixup_image_read_disk(image, 0, bs, sizeof(bs)));
	ASSERT_EQ(bs[510], 0x55);
	ASSERT_OK(fixup_image_commit(image, NULL) < 0 ? -EIO : 0);
	fixup_image_free(image);

	/* everything persisted */
	v = open_ntfs(img, 0, &image);
	{
		_cleanup_free_ char *buf = NULL;

		ASSERT_OK(fixup_volume_read_file(v, "boot.ini", 100, &buf, &n));
		ASSERT_STREQ(buf, "new\r\n");
	}
	ASSERT_OK(fixup_volume_stat(v, "/boot.ini", &st));
	ASSERT_EQ(st.attributes & 7, 0);
	ASSERT_OK(fixup_volume_stat(v, "Windows/System32/drivers", &st));
	ASSERT_TRUE(st.is_dir);
	{
		char part[4];

		ASSERT_OK(fixup_volume_read_at(v, "boot.ini", 3, part,
		                               sizeof(part), &n));
		ASSERT_EQ(n, 2);
		ASSERT_MEMEQ(part, "\r\n", 2);
	}
	fixup_image_free(image);
}

TEST(ntfs_hibernated)
{
	_cleanup_free_ char *img = build("hib.img", "--size 64M --hiberfil");
	struct fixup_image *image = NULL;
	struct fixup_volume *v = NULL;
	char before[65], after[65];

	ASSERT_OK(util_sha256_file(img, before));
	ASSERT_OK(fixup_image_open(img, 0, &image));
	ASSERT_ERR(fixup_image_open_volume(image, 0, &v), FIXUP_E_HIBERNATED);
	ASSERT_TRUE(strstr(fixup_error_detail(), "hibernated"));
	fixup_image_free(image);
	ASSERT_OK(fixup_image_open(img, FIXUP_OPEN_WRITE, &image));
	ASSERT_ERR(fixup_image_open_volume(image, 0, &v), FIXUP_E_HIBERNATED);
	fixup_image_free(image);
	/* allowed for reading on request */
	ASSERT_OK(fixup_image_open(img, FIXUP_OPEN_ALLOW_UNCLEAN, &image));
	ASSERT_OK(fixup_image_open_volume(image, 0, &v));
	fixup_image_free(image);
	ASSERT_OK(util_sha256_file(img, after));
	ASSERT_STREQ(before, after);
}

TEST(ntfs_unclean)
{
	_cleanup_free_ char *img = build("dirty.img", "--size 64M --dirty");
	struct fixup_image *image = NULL;
	struct fixup_volume *v = NULL;
	char before[65], after[65];

	ASSERT_OK(util_sha256_file(img, before));
	ASSERT_OK(fixup_image_open(img, 0, &image));
	ASSERT_ERR(fixup_image_open_volume(image, 0, &v), FIXUP_E_UNCLEAN);
	ASSERT_TRUE(strstr(fixup_error_detail(), "marked dirty"));
	fixup_image_free(image);
	ASSERT_OK(fixup_image_open(img, FIXUP_OPEN_WRITE, &image));
	ASSERT_ERR(fixup_image_open_volume(image, 0, &v), FIXUP_E_UNCLEAN);
	fixup_image_free(image);
	ASSERT_OK(fixup_image_open(img, FIXUP_OPEN_ALLOW_UNCLEAN, &image));
	ASSERT_OK(fixup_image_open_volume(image, 0, &v));
	fixup_image_free(image);
	ASSERT_OK(util_sha256_file(img, after));
	ASSERT_STREQ(before, after);
}

/* read_file and copy_out (the kernel-side copy of the runs, through the
 * overlay where it is dirty) both give want. */
static void
assert_file(struct fixup_volume *v, const char *path, const uint8_t *want,
            size_t len)
{
	static unsigned n_copies;
	_cleanup_free_ char *buf = NULL, *host = NULL, *name = NULL;
	size_t n;

	ASSERT_OK(fixup_volume_read_file(v, path, 16u << 20, &buf, &n));
	ASSERT_EQ(n, len);
	ASSERT_MEMEQ(buf, want, len);
	free(buf);
	buf = NULL;
	ASSERT_OK(util_asprintf(&name, "copy-%u", n_copies++));
	host = util_path_join(tests_tmpdir(), name);
	ASSERT_NOT_NULL(host);
	ASSERT_OK(fixup_volume_copy_out(v, path, 16u << 20, host));
	ASSERT_OK(util_read_file(host, 16u << 20, &buf, &n));
	ASSERT_EQ(n, len);
	ASSERT_MEMEQ(buf, want, len);
	ASSERT_ERR(fixup_volume_copy_out(v, path, len - 1, host), -EEXIST);
	(void)unlink(host);
	ASSERT_ERR(fixup_volume_copy_out(v, path, len - 1, host), -EFBIG);
	ASSERT_ERR(access(host, F_OK), -1);
}

/* Rewriting a big existing file writes the changed blocks in place: the
 * overlay grows by those blocks, not by the file; growing and shrinking
 * keep every byte right, also after a commit and a reopen. */
TEST(ntfs_rewrite_in_place)
{
	_cleanup_free_ char *img = NULL, *args = NULL, *big = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	const size_t len = 3u << 20;
	struct fixup_image *image = NULL;
	struct fixup_volume *v;
	struct fixup_disk *d;
	uint64_t before;

	data = malloc(len + (1u << 20));
	ASSERT_NOT_NULL(data);
	for (size_t i = 0; i < len + (1u << 20); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 12));
	big = util_path_join(tests_tmpdir(), "big.bin");
	ASSERT_OK(util_write_file_atomic(big, data, len));
	ASSERT_OK(util_asprintf(&args, "--size 64M --put '%s:/big.bin'", big));
	img = build("inplace.img", args);

	v = open_ntfs(img, FIXUP_OPEN_WRITE, &image);
	d = fixup_image_disk(image);
	ASSERT_NOT_NULL(d);
	assert_file(v, "big.bin", data, len);
	before = fixup_disk_dirty_bytes(d);

	/* two bytes in two distant blocks change */
	data[5000] ^= 0xff;
	data[2u << 20] ^= 0x01;
	ASSERT_OK(fixup_volume_write_file(v, "big.bin", data, len));
	assert_file(v, "big.bin", data, len);
	/* two 4 KiB data blocks and some metadata, not 3 MiB */
	if (fixup_disk_dirty_bytes(d) - before > 256u * 1024)
		TEST_FAIL("rewrite dirtied %" PRIu64 " bytes",
		          fixup_disk_dirty_bytes(d) - before);

	/* the same bytes again: no data block written */
	before = fixup_disk_dirty_bytes(d);
	ASSERT_OK(fixup_volume_write_file(v, "big.bin", data, len));
	if (fixup_disk_dirty_bytes(d) - before > 64u * 1024)
		TEST_FAIL("identical rewrite dirtied %" PRIu64 " bytes",
		          fixup_disk_dirty_bytes(d) - before);

	/* grow by 1 MiB plus an odd tail, then shrink to an odd size */
	ASSERT_OK(fixup_volume_write_file(v, "big.bin", data,
	                                  len + (1u << 20) - 3));
	assert_file(v, "big.bin", data, len + (1u << 20) - 3);
	data[100] ^= 0x55;
	ASSERT_OK(fixup_volume_write_file(v, "big.bin", data, 12345));
	assert_file(v, "big.bin", data, 12345);
	ASSERT_OK(fixup_image_commit(image, NULL) < 0 ? -EIO : 0);
	fixup_image_free(image);

	v = open_ntfs(img, 0, &image);
	assert_file(v, "big.bin", data, 12345);
	fixup_image_free(image);
}
