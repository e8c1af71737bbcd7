/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SYSTEM\MountedDevices: blobs checked against a layout, rewritten when
 * partitions moved or the style changed, left alone when they match or
 * cannot be mapped; and on a phony SYSTEM hive built from virt-v2v's
 * windows-system.reg.
 */
#include "tests.h"
#include "windows/winboot.h"
#include "winboot-test-util.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static void
mbr_blob(uint8_t b[12], uint32_t sig, uint64_t off)
{
	util_put_le32(b, sig);
	util_put_le64(b + 4, off);
}

static void
gpt_blob(uint8_t b[24], const char *guid)
{
	memcpy(b, "DMIO:ID:", 8);
	ASSERT_OK(winboot_guid_parse(guid, b + 8));
}

static const struct winboot_partition mbr_parts[] = {
        {.index = 1, .start = 1 * MiB, .size = 100 * MiB, .mbr_type = 0x07},
        {.index = 2, .start = 101 * MiB, .size = 40 * GiB, .mbr_type = 0x07},
};

static const struct winboot_layout mbr_layout = {
        .style = WINBOOT_STYLE_MBR,
        .mbr_signature = 0x11223344,
        .disk_size = 50 * GiB,
        .partitions = mbr_parts,
        .n_partitions = 2,
        .windows_part = 1,
        .boot_part = 0,
};

static const struct hive_edit *
find_edit(const struct hive_edits *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (streq(e->v[i].name, name))
			return &e->v[i];
	return NULL;
}

TEST(guid_text)
{
	uint8_t g[16];
	char s[WINBOOT_GUID_STRING_MAX];

	ASSERT_OK(winboot_guid_parse("{A0CE8115-EE12-4F7D-8967-A2B73024AAE2}",
	                             g));
	/* on-disk order: the first three fields little-endian */
	ASSERT_EQ(g[0], 0x15);
	ASSERT_EQ(g[3], 0xa0);
	ASSERT_EQ(g[4], 0x12);
	ASSERT_EQ(g[8], 0x89);
	winboot_guid_format(g, s);
	ASSERT_STREQ(s, "{a0ce8115-ee12-4f7d-8967-a2b73024aae2}");
	ASSERT_OK(
	        winboot_guid_parse("a0ce8115-ee12-4f7d-8967-a2b73024aae2", g));
	ASSERT_ERR(
	        winboot_guid_parse("{a0ce8115-ee12-4f7d-8967-a2b73024aae2", g),
	        -EINVAL);
	ASSERT_ERR(
	        winboot_guid_parse("a0ce8115-ee12-4f7d-8967-a2b73024aae2x", g),
	        -EINVAL);
	ASSERT_ERR(winboot_guid_parse("a0ce8115-ee12-4f7d-8967-a2b73024aa", g),
	           -EINVAL);
	ASSERT_ERR(winboot_guid_parse("", g), -EINVAL);
}

TEST(classify)
{
	uint8_t m[12], g[24], guid[16];
	uint32_t sig = 0;
	uint64_t off = 0;

	mbr_blob(m, 0xdeadbeef, 0x7e00);
	ASSERT_EQ(winboot_mdev_classify(m, 12, &sig, &off, NULL),
	          WINBOOT_MDEV_MBR);
	ASSERT_EQ(sig, 0xdeadbeef);
	ASSERT_EQ(off, 0x7e00);
	gpt_blob(g, "{a0ce8115-ee12-4f7d-8967-a2b73024aae2}");
	ASSERT_EQ(winboot_mdev_classify(g, 24, NULL, NULL, guid),
	          WINBOOT_MDEV_GPT);
	ASSERT_MEMEQ(guid, g + 8, 16);
	g[0] = 'X';
	ASSERT_EQ(winboot_mdev_classify(g, 24, NULL, NULL, guid),
	          WINBOOT_MDEV_OTHER);
	ASSERT_EQ(winboot_mdev_classify(m, 11, NULL, NULL, NULL),
	          WINBOOT_MDEV_OTHER);
	ASSERT_EQ(winboot_mdev_classify(NULL, 12, NULL, NULL, NULL),
	          WINBOOT_MDEV_OTHER);
}

TEST(signature_changed)
{
	/* "\??\USBSTOR#Disk..." as UTF-16LE: an "other" blob */
	static const uint8_t usb[] = {'\\', 0,   '?', 0,   '?', 0,   '\\',
	                              0,    'U', 0,   'S', 0,   'B', 0};
	uint8_t c[12], sr[12], e[12];
	struct winboot_mdev_value v[] = {
	        {"\\DosDevices\\C:", c, 12},
	        {"\\??\\Volume{11111111-2222-3333-4444-555555555555}", c, 12},
	        {"\\??\\Volume{66666666-2222-3333-4444-555555555555}", sr, 12},
	        {"\\DosDevices\\D:", usb, sizeof(usb)},
	        {"\\DosDevices\\E:", e, 12},
	};
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *text = NULL;
	const struct hive_edit *ed;
	uint8_t want[12];

	mbr_blob(c, 0xaabbccdd, 101 * MiB);
	mbr_blob(sr, 0xaabbccdd, 1 * MiB);
	mbr_blob(e, 0x55555555, 32256); /* another disk */

	ASSERT_EQ(winboot_mdev_fix_values(v, ELEMENTSOF(v), &mbr_layout, 'C',
	                                  &edits, &rep),
	          3);
	ASSERT_EQ(edits.n, 3);
	ed = find_edit(&edits, "\\DosDevices\\C:");
	ASSERT_NOT_NULL(ed);
	ASSERT_STREQ(ed->key, "MountedDevices");
	ASSERT_EQ(ed->kind, HIVE_EDIT_SET_VALUE);
	ASSERT_EQ(ed->type, HIVE_T_BINARY);
	mbr_blob(want, 0x11223344, 101 * MiB);
	ASSERT_EQ(ed->len, 12);
	ASSERT_MEMEQ(ed->data, want, 12);
	ed = find_edit(&edits,
	               "\\??\\Volume{66666666-2222-3333-4444-555555555555}");
	ASSERT_NOT_NULL(ed);
	mbr_blob(want, 0x11223344, 1 * MiB);
	ASSERT_MEMEQ(ed->data, want, 12);
	ASSERT_NULL(find_edit(&edits, "\\DosDevices\\D:"));
	ASSERT_NULL(find_edit(&edits, "\\DosDevices\\E:"));

	ASSERT_EQ(rep.n_changes, 3);
	ASSERT_EQ(util_strv_length(rep.notes), 1);
	ASSERT_TRUE(strstr(rep.notes[0], "\\DosDevices\\E:") != NULL);
	ASSERT_OK(winboot_report_to_string(&rep, "MountedDevices", &text));
	ASSERT_TRUE(strstr(text, "- MBR disk aabbccdd, partition at byte "
	                         "105906176") != NULL);
	ASSERT_TRUE(strstr(text, "+ MBR disk 11223344, partition at byte "
	                         "105906176") != NULL);
}

TEST(already_matching)
{
	uint8_t c[12], sr[12];
	struct winboot_mdev_value v[] = {
	        {"\\DosDevices\\C:", c, 12},
	        {"\\??\\Volume{66666666-2222-3333-4444-555555555555}", sr, 12},
	};
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};

	mbr_blob(c, 0x11223344, 101 * MiB);
	mbr_blob(sr, 0x11223344, 1 * MiB);
	ASSERT_EQ(winboot_mdev_fix_values(v, 2, &mbr_layout, 'C', &edits, &rep),
	          0);
	ASSERT_EQ(edits.n, 0);
	ASSERT_EQ(rep.n_changes, 0);
	ASSERT_NULL(rep.notes);
}

TEST(mbr_to_gpt)
{
	struct winboot_partition p[3] = {
	        {.index = 1, .start = 1 * MiB, .size = 100 * MiB},
	        {.index = 2, .start = 101 * MiB, .size = 16 * MiB},
	        {.index = 3, .start = 117 * MiB, .size = 40 * GiB},
	};
	struct winboot_layout l = {
	        .style = WINBOOT_STYLE_GPT,
	        .disk_size = 50 * GiB,
	        .partitions = p,
	        .n_partitions = 3,
	        .windows_part = 2,
	        .boot_part = 0,
	};
	uint8_t c[12], sr[12], want[24];
	struct winboot_mdev_value v[] = {
	        {"\\DosDevices\\C:", c, 12},
	        {"\\??\\Volume{66666666-2222-3333-4444-555555555555}", sr, 12},
	};
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	const struct hive_edit *ed;

	ASSERT_OK(winboot_guid_parse("{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}",
	                             p[0].type_guid)); /* ESP */
	ASSERT_OK(winboot_guid_parse("{e3c9e316-0b5c-4db8-817d-f92df00215ae}",
	                             p[1].type_guid)); /* MSR */
	ASSERT_OK(winboot_guid_parse("{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}",
	                             p[2].type_guid));
	ASSERT_OK(winboot_guid_parse("{a0ce8115-ee12-4f7d-8967-a2b73024aae2}",
	                             p[2].guid));
	ASSERT_OK(winboot_guid_parse("{339acca9-16a5-4c21-88eb-eed5d2b658a3}",
	                             p[0].guid));
	mbr_blob(c, 0xaabbccdd, 500 * MiB);
	mbr_blob(sr, 0xaabbccdd, 1 * MiB);

	ASSERT_EQ(winboot_mdev_fix_values(v, 2, &l, 'C', &edits, NULL), 2);
	ed = find_edit(&edits, "\\DosDevices\\C:");
	ASSERT_NOT_NULL(ed);
	gpt_blob(want, "{a0ce8115-ee12-4f7d-8967-a2b73024aae2}");
	ASSERT_EQ(ed->len, 24);
	ASSERT_MEMEQ(ed->data, want, 24);
	ed = find_edit(&edits,
	               "\\??\\Volume{66666666-2222-3333-4444-555555555555}");
	ASSERT_NOT_NULL(ed);
	gpt_blob(want, "{339acca9-16a5-4c21-88eb-eed5d2b658a3}");
	ASSERT_MEMEQ(ed->data, want, 24);
}

TEST(gpt_to_mbr_and_unmappable)
{
	uint8_t c[24], other[24], want[12];
	struct winboot_mdev_value v[] = {
	        {"\\DosDevices\\C:", c, 24},
	        {"\\??\\Volume{66666666-2222-3333-4444-555555555555}", other,
	         24},
	};
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};

	gpt_blob(c, "{a0ce8115-ee12-4f7d-8967-a2b73024aae2}");
	gpt_blob(other, "{339acca9-16a5-4c21-88eb-eed5d2b658a3}");
	ASSERT_EQ(winboot_mdev_fix_values(v, 2, &mbr_layout, 'C', &edits, &rep),
	          1);
	ASSERT_STREQ(edits.v[0].name, "\\DosDevices\\C:");
	mbr_blob(want, 0x11223344, 101 * MiB);
	ASSERT_EQ(edits.v[0].len, 12);
	ASSERT_MEMEQ(edits.v[0].data, want, 12);
	ASSERT_EQ(util_strv_length(rep.notes), 1);
	ASSERT_TRUE(strstr(rep.notes[0], "cannot be mapped") != NULL);
}

TEST(counts_differ_and_odd_inputs)
{
	uint8_t c[12], a[12], b[12], weird[24] = {0};
	struct winboot_mdev_value v[] = {
	        {"\\DosDevices\\c:", c, 12}, /* letter case differs */
	        {"\\DosDevices\\F:", a, 12},
	        {"\\DosDevices\\G:", b, 12},
	        {"\\DosDevices\\H:", weird, 24},
	        {"\\DosDevices\\I:", NULL, 0},
	        {NULL, c, 12},
	};
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	struct winboot_layout l = mbr_layout;

	mbr_blob(c, 0xaabbccdd, 101 * MiB);
	mbr_blob(a, 0xaabbccdd, 1 * MiB);
	mbr_blob(b, 0xaabbccdd, 80 * GiB);
	/* 3 old partitions, 2 volumes: only C: is remapped */
	ASSERT_EQ(winboot_mdev_fix_values(v, ELEMENTSOF(v), &l, 'C', &edits,
	                                  &rep),
	          1);
	ASSERT_STREQ(edits.v[0].name, "\\DosDevices\\c:");
	ASSERT_TRUE(util_strv_length(rep.notes) >= 3);

	/* C: naming the boot partition of the layout: left alone */
	hive_edits_done(&edits);
	mbr_blob(c, 0x11223344, 1 * MiB);
	ASSERT_EQ(winboot_mdev_fix_values(v, 1, &l, 'C', &edits, NULL), 0);
	ASSERT_EQ(edits.n, 0);

	/* no C: at all */
	ASSERT_EQ(winboot_mdev_fix_values(v + 1, 2, &l, 'C', &edits, NULL), 0);
	ASSERT_EQ(edits.n, 0);

	ASSERT_ERR(winboot_mdev_fix_values(v, 1, &l, '?', &edits, NULL),
	           -EINVAL);
	l.windows_part = -1;
	ASSERT_ERR(winboot_mdev_fix_values(v, 1, &l, 'C', &edits, NULL),
	           -ENOENT);
	l.windows_part = 5;
	ASSERT_ERR(winboot_mdev_fix_values(v, 1, &l, 'C', &edits, NULL),
	           -EINVAL);
	ASSERT_ERR(winboot_mdev_fix_values(v, WINBOOT_MDEV_MAX_VALUES + 1,
	                                   &mbr_layout, 'C', &edits, NULL),
	           -E2BIG);
}

TEST(phony_system_hive)
{
	_cleanup_free_ char *reg =
	        tests_corpus("phony-guests/virt-v2v/windows-system.reg");
	_cleanup_free_ char *path = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL, *fixed = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	struct hive_value v = {0};
	struct winboot_partition p[] = {
	        {.index = 1,
	         .start = 0x10000000,
	         .size = GiB,
	         .mbr_type = 0x07},
	};
	struct winboot_layout l = {
	        .style = WINBOOT_STYLE_MBR,
	        .mbr_signature = 0x34333231, /* "1234" */
	        .partitions = p,
	        .n_partitions = 1,
	        .windows_part = 0,
	        .boot_part = 0,
	};
	uint8_t want[12];

	path = wb_build_hive("SYSTEM", reg, "HKEY_LOCAL_MACHINE\\SYSTEM");
	ASSERT_OK(hive_open(path, 0, &h));
	/* the blob matches: nothing to do */
	ASSERT_EQ(winboot_mdev_fix(h, &l, 'C', &edits, NULL), 0);
	ASSERT_EQ(edits.n, 0);

	/* the partition moved to 1 MiB */
	p[0].start = MiB;
	ASSERT_EQ(winboot_mdev_fix(h, &l, 'C', &edits, NULL), 1);
	fixed = wb_apply(path, &edits);
	ASSERT_OK(hive_get_value(fixed, "MountedDevices",
	                         "\\DosDevices\\C:", &v));
	mbr_blob(want, 0x34333231, MiB);
	ASSERT_EQ(v.len, 12);
	ASSERT_MEMEQ(v.data, want, 12);
	hive_value_done(&v);

	/* re-checking the fixed hive: nothing left to do */
	hive_edits_done(&edits);
	ASSERT_EQ(winboot_mdev_fix(fixed, &l, 'C', &edits, NULL), 0);
}
