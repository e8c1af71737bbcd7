/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTFS boot sector: hidden sectors, NT5 geometry, exact byte ranges, and
 * refusal of what is not an NTFS boot sector (BitLocker, FAT, garbage).
 */
#include "tests.h"
#include "windows/winboot.h"

#define GiB (1024ull * 1024 * 1024)

static void
make_ntfs(uint8_t s[512], uint16_t bps, uint16_t spt, uint16_t heads,
          uint32_t hidden)
{
	memset(s, 0, 512);
	s[0] = 0xeb;
	s[1] = 0x52;
	s[2] = 0x90;
	memcpy(s + 3, "NTFS    ", 8);
	util_put_le16(s + 0x0b, bps);
	s[0x0d] = 8;
	util_put_le16(s + 0x18, spt);
	util_put_le16(s + 0x1a, heads);
	util_put_le32(s + 0x1c, hidden);
	for (int i = 0x54; i < 0x1fe; i++)
		s[i] = (uint8_t)(i * 7); /* boot code stand-in */
	s[0x1fe] = 0x55;
	s[0x1ff] = 0xaa;
}

/* Every byte outside the reported ranges is unchanged. */
static void
check_only_ranges(const uint8_t *before, const uint8_t *after,
                  const struct winboot_bootsector_result *res)
{
	for (size_t i = 0; i < 512; i++) {
		bool in = false;

		for (size_t k = 0; k < res->n_ranges; k++)
			in |= i >= res->ranges[k].offset &&
			      i < res->ranges[k].offset + res->ranges[k].len;
		if (!in && before[i] != after[i])
			TEST_FAIL("byte 0x%zx changed outside the ranges", i);
	}
}

TEST(hidden_sectors_nt6)
{
	uint8_t s[512], orig[512];
	struct winboot_bootsector_result res;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *text = NULL;

	make_ntfs(s, 512, 63, 255, 63);
	memcpy(orig, s, 512);
	ASSERT_EQ(winboot_ntfs_bootsector_fix(s, 512, 1048576, 40 * GiB, false,
	                                      &res, &rep),
	          1);
	ASSERT_TRUE(res.changed);
	ASSERT_EQ(res.n_ranges, 1);
	ASSERT_EQ(res.ranges[0].offset, 0x1c);
	ASSERT_EQ(res.ranges[0].len, 4);
	ASSERT_EQ(res.old_hidden, 63);
	ASSERT_EQ(util_le32(s + 0x1c), 2048);
	/* geometry untouched without nt5_geometry */
	ASSERT_EQ(util_le16(s + 0x1a), 255);
	check_only_ranges(orig, s, &res);

	ASSERT_OK(winboot_report_to_string(&rep, "boot sector", &text));
	ASSERT_TRUE(strstr(text, "hidden sectors (bytes 0x1c-0x1f)") != NULL);
	ASSERT_TRUE(strstr(text, "- 63\n") != NULL);
	ASSERT_TRUE(strstr(text, "+ 2048\n") != NULL);

	/* Second run: nothing to do. */
	memcpy(orig, s, 512);
	ASSERT_EQ(winboot_ntfs_bootsector_fix(s, 512, 1048576, 40 * GiB, false,
	                                      &res, NULL),
	          0);
	ASSERT_TRUE(!res.changed);
	ASSERT_EQ(res.n_ranges, 0);
	ASSERT_MEMEQ(s, orig, 512);
}

TEST(nt5_heads)
{
	static const struct {
		uint64_t disk;
		uint16_t heads;
	} cases[] = {
	        {1 * GiB, 0x40},       {2114445311ull, 0x40},
	        {2114445312ull, 0x80}, {4228374779ull, 0x80},
	        {4228374780ull, 0xff}, {2048 * GiB, 0xff},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint8_t s[512], orig[512];
		struct winboot_bootsector_result res;

		make_ntfs(s, 512, 32, 16, 63);
		memcpy(orig, s, 512);
		ASSERT_EQ(winboot_ntfs_bootsector_fix(s, 512, 32256,
		                                      cases[i].disk, true, &res,
		                                      NULL),
		          1);
		ASSERT_EQ(util_le16(s + 0x1a), cases[i].heads);
		ASSERT_EQ(util_le16(s + 0x18), 63);
		ASSERT_EQ(util_le32(s + 0x1c), 63);
		/* spt and heads changed, hidden sectors did not */
		ASSERT_EQ(res.n_ranges, 2);
		ASSERT_EQ(res.ranges[0].offset, 0x18);
		ASSERT_EQ(res.ranges[1].offset, 0x1a);
		check_only_ranges(orig, s, &res);
	}
}

TEST(bytes_per_sector_4k)
{
	uint8_t s[4096];
	struct winboot_bootsector_result res;

	make_ntfs(s, 4096, 63, 255, 0);
	memset(s + 512, 0xaa, sizeof(s) - 512);
	ASSERT_EQ(winboot_ntfs_bootsector_fix(s, sizeof(s), 1048576, 40 * GiB,
	                                      false, &res, NULL),
	          1);
	ASSERT_EQ(util_le32(s + 0x1c), 256);
	ASSERT_EQ(s[4095], 0xaa);
}

TEST(refusals)
{
	uint8_t s[512], orig[512];
	struct winboot_bootsector_result res = {.new_hidden = 12345};

	make_ntfs(s, 512, 63, 255, 63);
	memcpy(s + 3, "-FVE-FS-", 8);
	memcpy(orig, s, 512);
	ASSERT_ERR(winboot_ntfs_bootsector_fix(s, 512, 1048576, GiB, true, &res,
	                                       NULL),
	           -EMEDIUMTYPE);
	ASSERT_MEMEQ(s, orig, 512);
	ASSERT_EQ(res.new_hidden, 12345); /* untouched on failure */

	make_ntfs(s, 512, 63, 255, 63);
	memcpy(s + 3, "MSDOS5.0", 8);
	ASSERT_ERR(
	        winboot_ntfs_bootsector_fix(s, 512, 0, GiB, true, NULL, NULL),
	        -EBADMSG);

	make_ntfs(s, 512, 63, 255, 63);
	s[0x1ff] = 0;
	ASSERT_ERR(
	        winboot_ntfs_bootsector_fix(s, 512, 0, GiB, true, NULL, NULL),
	        -EBADMSG);

	make_ntfs(s, 777, 63, 255, 63);
	ASSERT_ERR(
	        winboot_ntfs_bootsector_fix(s, 512, 0, GiB, true, NULL, NULL),
	        -EBADMSG);

	make_ntfs(s, 512, 63, 255, 63);
	ASSERT_ERR(
	        winboot_ntfs_bootsector_fix(s, 511, 0, GiB, true, NULL, NULL),
	        -EBADMSG);
	ASSERT_ERR(winboot_ntfs_bootsector_fix(NULL, 512, 0, GiB, true, NULL,
	                                       NULL),
	           -EBADMSG);

	memcpy(orig, s, 512);
	ASSERT_ERR(winboot_ntfs_bootsector_fix(s, 512, 1000, GiB, true, NULL,
	                                       NULL),
	           -ERANGE);
	ASSERT_ERR(winboot_ntfs_bootsector_fix(s, 512, (1ull << 32) * 512,
	                                       4096 * GiB, true, NULL, NULL),
	           -ERANGE);
	ASSERT_MEMEQ(s, orig, 512);
	/* the last start that fits */
	ASSERT_EQ(winboot_ntfs_bootsector_fix(s, 512, UINT32_MAX * 512ull,
	                                      4096 * GiB, false, NULL, NULL),
	          1);
	ASSERT_EQ(util_le32(s + 0x1c), UINT32_MAX);
}
