/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BCD device elements: the packet codec, the real phony UEFI store and
 * Microsoft's template from the corpus, phony stores built from virt-v2v's
 * windows-bcd.reg and from .reg text written here (MBR), edits applied and
 * re-read; Vista's detecthal; the UEFI fallback loader decision.
 */
#include "tests.h"
#include "windows/winboot.h"
#include "winboot-test-util.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

/* The phony UEFI store: disk, ESP, Windows and recovery partitions. */
#define PHONY_DISK "{addc0d43-17a9-4e26-a16c-dc71e67393f7}"
#define PHONY_ESP "{a9cc9a33-a516-4c21-88eb-eed5d2b658a3}"
#define PHONY_WIN "{1581cea0-12ee-4f7d-8967-a2b73024aae2}"
#define PHONY_RECOVERY "{0eb91d91-0c98-4596-ac34-9775035ee4a6}"

#define OBJ_BOOTMGR "Objects\\{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define OBJ_LOADER "Objects\\{9dd54393-76ea-11ed-8c7c-de4e190a0ee1}"
#define OBJ_RESUME "Objects\\{9dd54392-76ea-11ed-8c7c-de4e190a0ee1}"
#define OBJ_MEMTEST "Objects\\{b2721d73-1db4-4c62-bf78-c548a880142d}"
#define OBJ_RAMDISK "Objects\\{9dd54395-76ea-11ed-8c7c-de4e190a0ee1}"

struct gpt_layout {
	struct winboot_partition p[4];
	struct winboot_layout l;
};

static void
make_gpt_layout(struct gpt_layout *g, const char *disk, const char *esp,
                const char *win, const char *recovery)
{
	*g = (struct gpt_layout){0};
	g->p[0] = (struct winboot_partition){
	        .index = 1, .start = MiB, .size = 100 * MiB};
	g->p[1] = (struct winboot_partition){
	        .index = 2, .start = 101 * MiB, .size = 16 * MiB};
	g->p[2] = (struct winboot_partition){
	        .index = 3, .start = 117 * MiB, .size = 30 * GiB};
	g->p[3] = (struct winboot_partition){
	        .index = 4, .start = 31 * GiB, .size = 600 * MiB};
	ASSERT_OK(winboot_guid_parse(disk, g->l.disk_guid));
	ASSERT_OK(winboot_guid_parse(esp, g->p[0].guid));
	ASSERT_OK(winboot_guid_parse("{12345678-0000-0000-0000-000000000001}",
	                             g->p[1].guid));
	ASSERT_OK(winboot_guid_parse(win, g->p[2].guid));
	ASSERT_OK(winboot_guid_parse(recovery, g->p[3].guid));
	g->l.style = WINBOOT_STYLE_GPT;
	g->l.disk_size = 32 * GiB;
	g->l.partitions = g->p;
	g->l.n_partitions = 4;
	g->l.windows_part = 2;
	g->l.boot_part = 0;
}

static void
get_device(struct hive *h, const char *key, struct winboot_bcd_device *d)
{
	struct hive_value v = {0};

	ASSERT_OK(hive_get_value(h, key, "Element", &v));
	ASSERT_EQ(v.type, HIVE_T_BINARY);
	ASSERT_OK(winboot_bcd_device_parse(v.data, v.len, d));
	hive_value_done(&v);
}

static void
assert_gpt_device(struct hive *h, const char *key, const char *disk,
                  const char *part)
{
	struct winboot_bcd_device d;
	uint8_t g[16];

	get_device(h, key, &d);
	ASSERT_EQ(d.style, WINBOOT_STYLE_GPT);
	ASSERT_OK(winboot_guid_parse(disk, g));
	ASSERT_MEMEQ(d.disk_guid, g, 16);
	ASSERT_OK(winboot_guid_parse(part, g));
	ASSERT_MEMEQ(d.part_guid, g, 16);
}

static const struct hive_edit *
find_edit(const struct hive_edits *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcaseeq(e->v[i].key, key))
			return &e->v[i];
	return NULL;
}

TEST(packet_codec)
{
	uint8_t p[WINBOOT_BCD_PACKET_SIZE] = {0}, orig[sizeof(p)];
	struct winboot_bcd_device d, m = {.style = WINBOOT_STYLE_MBR,
	                                  .offset = 0x100000,
	                                  .mbr_signature = 0xaabbccdd};

	util_put_le32(p + 0x10, 6);
	util_put_le32(p + 0x18, 0x48);
	ASSERT_OK(winboot_guid_parse(PHONY_WIN, p + 0x20));
	ASSERT_OK(winboot_guid_parse(PHONY_DISK, p + 0x38));
	p[0x50] = 0x5a; /* a trailing byte the codec must keep */
	ASSERT_OK(winboot_bcd_device_parse(p, sizeof(p), &d));
	ASSERT_EQ(d.style, WINBOOT_STYLE_GPT);
	ASSERT_MEMEQ(d.part_guid, p + 0x20, 16);

	memcpy(orig, p, sizeof(p));
	ASSERT_OK(winboot_bcd_device_store(p, sizeof(p), &m));
	ASSERT_OK(winboot_bcd_device_parse(p, sizeof(p), &d));
	ASSERT_EQ(d.style, WINBOOT_STYLE_MBR);
	ASSERT_EQ(d.offset, 0x100000);
	ASSERT_EQ(d.mbr_signature, 0xaabbccdd);
	ASSERT_EQ(util_le32(p + 0x34), 1);
	ASSERT_EQ(util_le64(p + 0x28), 0); /* rest of the GUID field cleared */
	ASSERT_EQ(p[0x50], 0x5a);
	ASSERT_MEMEQ(p, orig, 0x20);

	/* other shapes and broken packets */
	ASSERT_ERR(winboot_bcd_device_parse(p, sizeof(p) - 1, &d),
	           -EMEDIUMTYPE);
	ASSERT_ERR(winboot_bcd_device_parse(NULL, sizeof(p), &d), -EMEDIUMTYPE);
	util_put_le32(p + 0x34, 7);
	ASSERT_ERR(winboot_bcd_device_parse(p, sizeof(p), &d), -EBADMSG);
	util_put_le32(p + 0x34, 1);
	util_put_le32(p + 0x10, 5); /* boot device */
	ASSERT_ERR(winboot_bcd_device_parse(p, sizeof(p), &d), -EMEDIUMTYPE);
	ASSERT_ERR(winboot_bcd_device_store(p, sizeof(p), &m), -EMEDIUMTYPE);
	util_put_le32(p + 0x10, 6);
	util_put_le32(p + 0x18, 0x1000);
	ASSERT_ERR(winboot_bcd_device_parse(p, sizeof(p), &d), -EMEDIUMTYPE);
}

TEST(phony_uefi_matching_layout)
{
	_cleanup_free_ char *path = tests_corpus("hives/bcd/phony-uefi-BCD");
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	struct gpt_layout g;

	make_gpt_layout(&g, PHONY_DISK, PHONY_ESP, PHONY_WIN, PHONY_RECOVERY);
	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(winboot_bcd_fix_devices(h, &g.l, &edits, &rep), 0);
	ASSERT_EQ(edits.n, 0);
	ASSERT_EQ(rep.n_changes, 0);
	/* the recovery loader's ramdisk devices are left alone, and said so */
	ASSERT_EQ(util_strv_length(rep.notes), 2);
	ASSERT_TRUE(strstr(rep.notes[0], "9dd54394") != NULL);
	ASSERT_TRUE(strstr(rep.notes[0], "not a partition device packet") !=
	            NULL);
}

static void
check_new_gpt_disk(const char *path)
{
	_cleanup_(hive_freep) struct hive *h = NULL, *fixed = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *text = NULL;
	struct gpt_layout g;
	static const char disk[] = "{11111111-2222-3333-4444-555555555555}";
	static const char esp[] = "{aaaaaaaa-0000-0000-0000-000000000001}";
	static const char win[] = "{aaaaaaaa-0000-0000-0000-000000000003}";

	/* New disk GUID and new ESP/Windows GUIDs; the recovery partition
	 * kept its GUID (only the disk GUID changed for it). */
	make_gpt_layout(&g, disk, esp, win, PHONY_RECOVERY);
	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(winboot_bcd_fix_devices(h, &g.l, &edits, &rep), 8);
	ASSERT_NOT_NULL(find_edit(&edits, OBJ_BOOTMGR "\\Elements\\11000001"));
	ASSERT_NOT_NULL(find_edit(&edits, OBJ_LOADER "\\Elements\\21000001"));
	ASSERT_NOT_NULL(find_edit(&edits, OBJ_RESUME "\\Elements\\21000026"));
	ASSERT_NOT_NULL(find_edit(&edits, OBJ_RAMDISK "\\Elements\\31000003"));
	ASSERT_EQ(edits.v[0].len, WINBOOT_BCD_PACKET_SIZE);
	ASSERT_STREQ(edits.v[0].name, "Element");

	ASSERT_OK(winboot_report_to_string(&rep, "BCD", &text));
	ASSERT_TRUE(strstr(text, "- GPT disk " PHONY_DISK
	                         ", partition " PHONY_WIN "\n") != NULL);

	fixed = wb_apply(path, &edits);
	assert_gpt_device(fixed, OBJ_BOOTMGR "\\Elements\\11000001", disk, esp);
	assert_gpt_device(fixed, OBJ_MEMTEST "\\Elements\\11000001", disk, esp);
	assert_gpt_device(fixed, OBJ_LOADER "\\Elements\\11000001", disk, win);
	assert_gpt_device(fixed, OBJ_LOADER "\\Elements\\21000001", disk, win);
	assert_gpt_device(fixed, OBJ_RESUME "\\Elements\\11000001", disk, win);
	assert_gpt_device(fixed, OBJ_RESUME "\\Elements\\21000001", disk, win);
	assert_gpt_device(fixed, OBJ_RESUME "\\Elements\\21000026", disk, win);
	assert_gpt_device(fixed, OBJ_RAMDISK "\\Elements\\31000003", disk,
	                  PHONY_RECOVERY);

	/* Fixed: nothing more to do. */
	hive_edits_done(&edits);
	ASSERT_EQ(winboot_bcd_fix_devices(fixed, &g.l, &edits, NULL), 0);
}

TEST(phony_uefi_new_disk)
{
	_cleanup_free_ char *path = tests_corpus("hives/bcd/phony-uefi-BCD");
	_cleanup_free_ char *copy = util_path_join(tests_tmpdir(), "BCD-uefi");
	_cleanup_free_ char *buf = NULL;
	size_t len;

	ASSERT_OK(util_read_file(path, 1 << 24, &buf, &len));
	ASSERT_OK(util_write_file_atomic(copy, buf, len));
	check_new_gpt_disk(copy);
}

TEST(merged_from_virt_v2v_reg)
{
	_cleanup_free_ char *reg =
	        tests_corpus("phony-guests/virt-v2v/windows-bcd.reg");
	_cleanup_free_ char *path = wb_build_hive("BCD-merged", reg, NULL);

	check_new_gpt_disk(path);
}

TEST(gpt_to_mbr)
{
	_cleanup_free_ char *reg =
	        tests_corpus("phony-guests/virt-v2v/windows-bcd.reg");
	_cleanup_free_ char *path = wb_build_hive("BCD-to-mbr", reg, NULL);
	_cleanup_(hive_freep) struct hive *h = NULL, *fixed = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	struct winboot_partition p[] = {
	        {.index = 1, .start = MiB, .size = 100 * MiB, .mbr_type = 7},
	        {.index = 2,
	         .start = 101 * MiB,
	         .size = 30 * GiB,
	         .mbr_type = 7},
	};
	struct winboot_layout l = {
	        .style = WINBOOT_STYLE_MBR,
	        .mbr_signature = 0xcafe0001,
	        .partitions = p,
	        .n_partitions = 2,
	        .windows_part = 1,
	        .boot_part = 0,
	};
	struct winboot_bcd_device d;

	ASSERT_OK(hive_open(path, 0, &h));
	/* 7 mapped by role; the recovery SDI device cannot be mapped */
	ASSERT_EQ(winboot_bcd_fix_devices(h, &l, &edits, NULL), 7);
	fixed = wb_apply(path, &edits);
	get_device(fixed, OBJ_LOADER "\\Elements\\21000001", &d);
	ASSERT_EQ(d.style, WINBOOT_STYLE_MBR);
	ASSERT_EQ(d.mbr_signature, 0xcafe0001);
	ASSERT_EQ(d.offset, 101 * MiB);
	get_device(fixed, OBJ_BOOTMGR "\\Elements\\11000001", &d);
	ASSERT_EQ(d.offset, MiB);
	get_device(fixed, OBJ_RAMDISK "\\Elements\\31000003", &d);
	ASSERT_EQ(d.style, WINBOOT_STYLE_GPT);
}

TEST(template_has_no_devices)
{
	_cleanup_free_ char *path = tests_corpus("hives/bcd/BCD-Template");
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	struct gpt_layout g;

	make_gpt_layout(&g, PHONY_DISK, PHONY_ESP, PHONY_WIN, PHONY_RECOVERY);
	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(winboot_bcd_fix_devices(h, &g.l, &edits, &rep), 0);
	ASSERT_EQ(edits.n, 0);
	ASSERT_EQ(rep.n_changes, 0);
	ASSERT_NULL(rep.notes);
	/* the template's default object is an OS loader: detecthal goes
	 * there */
	ASSERT_EQ(winboot_bcd_set_detecthal(h, NULL, &edits, NULL), 1);
	ASSERT_STREQ(edits.v[0].key,
	             "Objects\\{cbd971bf-b7b8-4885-951a-fa03044f5d71}\\"
	             "Elements\\26000010");
	ASSERT_EQ(edits.v[0].len, 1);
	ASSERT_EQ(edits.v[0].data[0], 1);
}

/* ---- an MBR (BIOS) store written here ------------------------------------ */

#define VISTA_LOADER "{b0e8a1c4-0b7e-11dc-9c4b-0019d1879648}"
#define BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"

static void
hex_packet(char *out, size_t size, uint32_t sig, uint64_t off)
{
	uint8_t p[WINBOOT_BCD_PACKET_SIZE] = {0};
	size_t o = 0;

	util_put_le32(p + 0x10, 6);
	util_put_le32(p + 0x18, 0x48);
	util_put_le64(p + 0x20, off);
	util_put_le32(p + 0x34, 1);
	util_put_le32(p + 0x38, sig);
	for (size_t i = 0; i < sizeof(p); i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02x", i ? "," : "",
		                      p[i]);
}

static char *
build_vista_bcd(const char *name, uint32_t sig, uint64_t boot_off,
                uint64_t win_off, bool detecthal)
{
	char boot[WINBOOT_BCD_PACKET_SIZE * 3 + 1],
	        win[WINBOOT_BCD_PACKET_SIZE * 3 + 1];
	_cleanup_free_ char *text = NULL, *reg_name = NULL, *reg = NULL;

	hex_packet(boot, sizeof(boot), sig, boot_off);
	hex_packet(win, sizeof(win), sig, win_off);
	ASSERT_OK(util_asprintf(
	        &text,
	        "Windows Registry Editor Version 5.00\n\n"
	        "[\\Objects]\n\n"
	        "[\\Objects\\" BOOTMGR "]\n\n"
	        "[\\Objects\\" BOOTMGR "\\Description]\n"
	        "\"Type\"=dword:10100002\n\n"
	        "[\\Objects\\" BOOTMGR "\\Elements]\n\n"
	        "[\\Objects\\" BOOTMGR "\\Elements\\11000001]\n"
	        "\"Element\"=hex(3):%s\n\n"
	        "[\\Objects\\" BOOTMGR "\\Elements\\23000003]\n"
	        "\"Element\"=\"" VISTA_LOADER "\"\n\n"
	        "[\\Objects\\" VISTA_LOADER "]\n\n"
	        "[\\Objects\\" VISTA_LOADER "\\Description]\n"
	        "\"Type\"=dword:10200003\n\n"
	        "[\\Objects\\" VISTA_LOADER "\\Elements]\n\n"
	        "[\\Objects\\" VISTA_LOADER "\\Elements\\11000001]\n"
	        "\"Element\"=hex(3):%s\n\n"
	        "[\\Objects\\" VISTA_LOADER "\\Elements\\21000001]\n"
	        "\"Element\"=hex(3):%s\n\n"
	        "[\\Objects\\" VISTA_LOADER "\\Elements\\12000002]\n"
	        "\"Element\"=\"\\\\Windows\\\\system32\\\\winload.exe\"\n\n"
	        "%s",
	        boot, win, win,
	        detecthal ? "[\\Objects\\" VISTA_LOADER
	                    "\\Elements\\26000010]\n"
	                    "\"Element\"=hex(3):01\n\n"
	                  : ""));
	ASSERT_OK(util_asprintf(&reg_name, "%s.reg", name));
	reg = wb_write_tmp(reg_name, text);
	return wb_build_hive(name, reg, NULL);
}

TEST(mbr_signature_changed)
{
	_cleanup_free_ char *path =
	        build_vista_bcd("BCD-vista", 0xaabbccdd, MiB, 101 * MiB, false);
	_cleanup_(hive_freep) struct hive *h = NULL, *fixed = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	/* one partition now: bootmgr and Windows on the same volume */
	struct winboot_partition p[] = {
	        {.index = 1, .start = 2 * MiB, .size = 30 * GiB, .mbr_type = 7},
	};
	struct winboot_layout l = {
	        .style = WINBOOT_STYLE_MBR,
	        .mbr_signature = 0x01020304,
	        .partitions = p,
	        .n_partitions = 1,
	        .windows_part = 0,
	        .boot_part = 0,
	};
	struct winboot_bcd_device d;

	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(winboot_bcd_fix_devices(h, &l, &edits, &rep), 3);
	ASSERT_NULL(rep.notes);
	fixed = wb_apply(path, &edits);
	get_device(fixed, OBJ_BOOTMGR "\\Elements\\11000001", &d);
	ASSERT_EQ(d.mbr_signature, 0x01020304);
	ASSERT_EQ(d.offset, 2 * MiB);
	get_device(fixed, "Objects\\" VISTA_LOADER "\\Elements\\21000001", &d);
	ASSERT_EQ(d.offset, 2 * MiB);

	/* and the same layout as the store: nothing */
	hive_edits_done(&edits);
	p[0].start = 101 * MiB;
	l.mbr_signature = 0xaabbccdd;
	ASSERT_EQ(winboot_bcd_fix_devices(h, &l, &edits, NULL), 1);
	ASSERT_NOT_NULL(find_edit(&edits, OBJ_BOOTMGR "\\Elements\\11000001"));
}

TEST(detecthal)
{
	_cleanup_free_ char *path =
	        build_vista_bcd("BCD-hal", 0xaabbccdd, MiB, 101 * MiB, false);
	_cleanup_free_ char *path2 =
	        build_vista_bcd("BCD-hal2", 0xaabbccdd, MiB, 101 * MiB, true);
	_cleanup_(hive_freep) struct hive *h = NULL, *fixed = NULL, *h2 = NULL;
	_cleanup_(hive_edits_done) struct hive_edits edits = {0};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	struct hive_value v = {0};

	ASSERT_OK(hive_open(path, 0, &h));
	ASSERT_EQ(winboot_bcd_set_detecthal(h, NULL, &edits, &rep), 1);
	ASSERT_EQ(edits.n, 1);
	ASSERT_STREQ(edits.v[0].key,
	             "Objects\\" VISTA_LOADER "\\Elements\\26000010");
	ASSERT_EQ(rep.n_changes, 1);
	fixed = wb_apply(path, &edits);
	ASSERT_OK(hive_get_value(
	        fixed, "Objects\\" VISTA_LOADER "\\Elements\\26000010",
	        "Element", &v));
	ASSERT_EQ(v.len, 1);
	ASSERT_EQ(v.data[0], 1);
	hive_value_done(&v);

	hive_edits_done(&edits);
	ASSERT_EQ(winboot_bcd_set_detecthal(fixed, VISTA_LOADER, &edits, NULL),
	          0);
	ASSERT_OK(hive_open(path2, 0, &h2));
	ASSERT_EQ(winboot_bcd_set_detecthal(h2, NULL, &edits, NULL), 0);
	ASSERT_EQ(edits.n, 0);

	ASSERT_ERR(winboot_bcd_set_detecthal(
	                   h, "{9dea862c-5cdd-4e70-acc1-f32b344d4795}", &edits,
	                   NULL),
	           -EMEDIUMTYPE);
	ASSERT_ERR(winboot_bcd_set_detecthal(
	                   h, "{00000000-5cdd-4e70-acc1-f32b344d4795}", &edits,
	                   NULL),
	           -ENOENT);
	ASSERT_ERR(winboot_bcd_set_detecthal(h, "{..\\..\\x}", &edits, NULL),
	           -EBADMSG);
	ASSERT_EQ(edits.n, 0);
}

/* ---- UEFI fallback loader ---------------------------------------------- */

static int
exists_in(const char *path, void *userdata)
{
	for (char **p = userdata; *p; p++)
		if (strcaseeq(*p, path))
			return 1;
	return 0;
}

static int
exists_fails(const char *path, void *userdata)
{
	return -EIO;
}

TEST(uefi_fallback)
{
	char *only_ms[] = {(char *)"\\EFI\\Microsoft\\Boot\\BOOTMGFW.EFI",
	                   NULL};
	char *both[] = {(char *)"\\EFI\\Microsoft\\Boot\\bootmgfw.efi",
	                (char *)"\\efi\\boot\\bootx64.efi", NULL};
	char *none[] = {NULL};
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	const char *src = NULL, *dst = NULL;

	ASSERT_EQ(winboot_uefi_fallback_needed("x64", exists_in, only_ms, &src,
	                                       &dst, &rep),
	          1);
	ASSERT_STREQ(src, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	ASSERT_STREQ(dst, "\\EFI\\BOOT\\BOOTX64.EFI");
	ASSERT_EQ(rep.n_changes, 1);
	ASSERT_EQ(winboot_uefi_fallback_needed("x64", exists_in, both, NULL,
	                                       NULL, NULL),
	          0);
	ASSERT_ERR(winboot_uefi_fallback_needed("x64", exists_in, none, NULL,
	                                        NULL, &rep),
	           -ENOENT);
	ASSERT_EQ(winboot_uefi_fallback_needed("arm64", exists_in, only_ms,
	                                       NULL, &dst, NULL),
	          1);
	ASSERT_STREQ(dst, "\\EFI\\BOOT\\BOOTAA64.EFI");
	ASSERT_EQ(winboot_uefi_fallback_needed("x86", exists_in, both, NULL,
	                                       &dst, NULL),
	          1);
	ASSERT_STREQ(dst, "\\EFI\\BOOT\\BOOTIA32.EFI");
	ASSERT_ERR(winboot_uefi_fallback_needed("mips", exists_in, both, NULL,
	                                        NULL, NULL),
	           -EINVAL);
	ASSERT_ERR(winboot_uefi_fallback_needed("x64", exists_fails, NULL, NULL,
	                                        NULL, NULL),
	           -EIO);
}
