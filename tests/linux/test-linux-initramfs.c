/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for fixup/linux/linux-initramfs.c on initramfs images built here with
 * libarchive: early microcode cpio + compressed main cpio. */
#include <archive.h>
#include <archive_entry.h>

#include "linux/linux.h"
#include "tests.h"

static size_t
make_cpio(const char *filter, char *const *names, uint8_t *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	size_t used = 0;

	ASSERT_NOT_NULL(a);
	ASSERT_EQ(archive_write_set_format_cpio_newc(a), ARCHIVE_OK);
	if (filter)
		ASSERT_EQ(archive_write_add_filter_by_name(a, filter),
		          ARCHIVE_OK);
	ASSERT_EQ(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	ASSERT_EQ(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	STRV_FOREACH (n, names) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, *n);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 5);
		ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
		ASSERT_EQ(archive_write_data(a, "hello", 5), 5);
		archive_entry_free(e);
	}
	ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return used;
}

static char *const early[] = {"kernel/x86/microcode/GenuineIntel.bin", NULL};
static char *const main_members[] = {
        "init",
        "lib/modules/6.1.0-13-amd64/kernel/drivers/block/virtio_blk.ko",
        "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/virtio/"
        "virtio-pci.ko.xz",
        "lib/modules/6.1.0-13-amd64/kernel/drivers/ata/ata_piix.ko.zst",
        NULL,
};

TEST(multi_segment)
{
	static const char *const filters[] = {"gzip",  "xz",   "zstd", "lz4",
	                                      "bzip2", "lzma", NULL};

	for (size_t f = 0; f < ELEMENTSOF(filters); f++) {
		size_t cap = 1 << 20, n;
		_cleanup_free_ uint8_t *buf = calloc(1, cap);
		_cleanup_strv_free_ char **m = NULL;
		unsigned segs;

		n = make_cpio(NULL, early, buf, cap);
		n = (n + 511) & ~(size_t)511; /* NUL padding between */
		n += make_cpio(filters[f], main_members, buf + n, cap - n);
		ASSERT_OK(linux_initramfs_list(buf, n, &m, &segs));
		ASSERT_EQ(segs, 2);
		ASSERT_TRUE(util_strv_contains(m, early[0]));
		ASSERT_TRUE(util_strv_contains(m, "init"));
		ASSERT_TRUE(linux_members_have_module(m, "virtio_blk"));
		ASSERT_TRUE(linux_members_have_module(m, "virtio_pci"));
		ASSERT_TRUE(linux_members_have_module(m, "ata-piix"));
		ASSERT_TRUE(!linux_members_have_module(m, "virtio_scsi"));
		ASSERT_TRUE(!linux_members_have_module(m, "GenuineIntel"));
	}
}

TEST(garbage_and_truncation)
{
	size_t cap = 1 << 20, n;
	_cleanup_free_ uint8_t *buf = calloc(1, cap);
	_cleanup_strv_free_ char **m = NULL;

	ASSERT_ERR(linux_initramfs_list("\0\0\0\0", 4, &m, NULL), -EBADMSG);
	ASSERT_ERR(linux_initramfs_list("not an initramfs", 16, &m, NULL),
	           -EBADMSG);
	n = make_cpio(NULL, early, buf, cap);
	/* An uncompressed segment cut inside its trailer. */
	ASSERT_ERR(linux_initramfs_list(buf, n - 20, &m, NULL), -EBADMSG);
	n = make_cpio("gzip", main_members, buf, cap);
	for (size_t cut = 1; cut < n; cut += 7) {
		char **l = NULL;
		int r = linux_initramfs_list(buf, cut, &l, NULL);

		/* Either a clean error or a (partial) listing, never a crash.
		 */
		ASSERT_TRUE(r == -EBADMSG || r == 0);
		util_strv_free(l);
	}
}

TEST(config_files)
{
	static char *const mods[] = {"virtio_blk", "virtio_pci", NULL};
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	ASSERT_OK(linux_initramfs_config("dracut", mods, &a));
	ASSERT_TRUE(strstr(a, "add_drivers+=\" virtio_blk virtio_pci \"\n"));
	ASSERT_OK(linux_initramfs_config("initramfs-tools", mods, &b));
	ASSERT_TRUE(strstr(b, "\nvirtio_blk\nvirtio_pci\n"));
	ASSERT_OK(linux_initramfs_config("mkinitrd", mods, &c));
	ASSERT_STREQ(c, "INITRD_MODULES=\"virtio_blk virtio_pci\"\n");
	ASSERT_ERR(linux_initramfs_config("genkernel", mods, &c), -EOPNOTSUPP);
}
