/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * boot.ini: byte-exact round trips of messy real-world files, the
 * signature() -> multi() rewrite, the /kernel= /hal= entry, and hostile
 * input (overlong lines, huge files).
 */
#include "tests.h"
#include "windows/winboot.h"

static const struct winboot_partition one_part[] = {
        {.index = 1,
         .start = 32256,
         .size = 10737418240ull - 32256,
         .mbr_type = 0x07},
};

static const struct winboot_layout layout_one = {
        .style = WINBOOT_STYLE_MBR,
        .mbr_signature = 0x8b467c12,
        .disk_size = 10737418240ull,
        .partitions = one_part,
        .n_partitions = 1,
        .windows_part = 0,
        .boot_part = 0,
};

static char *
render(const struct winboot_bootini *b, size_t *len)
{
	char *s = NULL;

	ASSERT_OK(winboot_bootini_render(b, &s, len));
	return s;
}

static void
check_roundtrip(const char *data, size_t len)
{
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_free_ char *out = NULL;
	size_t olen;

	ASSERT_OK(winboot_bootini_parse(data, len, &b, NULL));
	out = render(b, &olen);
	ASSERT_EQ(olen, len);
	ASSERT_MEMEQ(out, data, len);
}

#define XP_SIG                                                                 \
	"[boot loader]\r\n"                                                    \
	"timeout=30\r\n"                                                       \
	"default=signature(8b467c12)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n"  \
	"[operating systems]\r\n"                                              \
	"signature(8b467c12)disk(0)rdisk(0)partition(1)\\WINDOWS=\"Microsoft " \
	"Windows XP Professional\" /noexecute=optin /fastdetect\r\n"           \
	"C:\\CMDCONS\\BOOTSECT.DAT=\"Microsoft Windows Recovery Console\" "    \
	"/cmdcons\r\n"

#define XP_MULTI                                                            \
	"[boot loader]\r\n"                                                 \
	"timeout=30\r\n"                                                    \
	"default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n"          \
	"[operating systems]\r\n"                                           \
	"multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"Microsoft "         \
	"Windows XP Professional\" /noexecute=optin /fastdetect\r\n"        \
	"C:\\CMDCONS\\BOOTSECT.DAT=\"Microsoft Windows Recovery Console\" " \
	"/cmdcons\r\n"

/* LF only, comments, spaces around '=', duplicated default=, an unknown
 * section, a line without '=', a Ctrl-Z + NUL tail. */
#define W2K_MESSY                                                   \
	"; edited by hand\n"                                        \
	"[Boot Loader]\n"                                           \
	"Timeout = 5\n"                                             \
	"default = multi(0)disk(0)rdisk(0)partition(1)\\WINNT\n"    \
	"default=multi(0)disk(0)rdisk(0)partition(1)\\WINNT\n"      \
	"redirect=COM1\n"                                           \
	"[Operating Systems]\n"                                     \
	"  multi(0)disk(0)rdisk(0)partition(2)\\WINNT = \"Windows " \
	"2000   Server\"  /fastdetect\n"                            \
	"garbage line without equals\n"                             \
	"[debug]\n"                                                 \
	"foo=bar\n"                                                 \
	"\x1a\0\0\0"

TEST(roundtrip_exact)
{
	static const char messy[] = W2K_MESSY;
	static const char lone_cr[] = "[boot loader]\rtimeout=1\r\n[x]\n";
	static const char no_eol[] = "[operating systems]\r\nC:\\=\"DOS\"";
	static const char nuls[] = "\0\0\0junk after nul\r\n";
	static const char ansi[] = "\xff\xfe\x80 ansi \xe9t\xe9\r\n";

	check_roundtrip(XP_SIG, strlen(XP_SIG));
	check_roundtrip(messy, sizeof(messy) - 1);
	check_roundtrip(lone_cr, sizeof(lone_cr) - 1);
	check_roundtrip(no_eol, sizeof(no_eol) - 1);
	check_roundtrip(nuls, sizeof(nuls) - 1);
	check_roundtrip("", 0);
	check_roundtrip(ansi, sizeof(ansi) - 1);
}

TEST(parse_fields)
{
	static const char messy[] = W2K_MESSY;
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;

	ASSERT_OK(winboot_bootini_parse(messy, sizeof(messy) - 1, &b, NULL));
	ASSERT_STREQ(winboot_bootini_default(b),
	             "multi(0)disk(0)rdisk(0)partition(1)\\WINNT");
	ASSERT_EQ(winboot_bootini_n_entries(b), 1);
	ASSERT_STREQ(winboot_bootini_entry_path(b, 0),
	             "multi(0)disk(0)rdisk(0)partition(2)\\WINNT");
	ASSERT_NULL(winboot_bootini_entry_path(b, 1));

	/* /noexecute=optin: the path ends at the first '=' only. */
	winboot_bootini_free(TAKE_PTR(b));
	ASSERT_OK(winboot_bootini_parse(XP_SIG, strlen(XP_SIG), &b, NULL));
	ASSERT_EQ(winboot_bootini_n_entries(b), 2);
	ASSERT_STREQ(winboot_bootini_entry_path(b, 1),
	             "C:\\CMDCONS\\BOOTSECT.DAT");
}

TEST(arc_partition_numbers)
{
	/* Slots: 1 hidden recovery, 2 extended, 3 NTFS; logicals 5, 6. */
	static const struct winboot_partition p[] = {
	        {.index = 5, .start = 3000000, .size = 1000, .mbr_type = 0x07},
	        {.index = 1, .start = 32256, .size = 1000, .mbr_type = 0x27},
	        {.index = 2,
	         .start = 2000000,
	         .size = 5000000,
	         .mbr_type = 0x0f},
	        {.index = 3, .start = 1000000, .size = 1000, .mbr_type = 0x07},
	        {.index = 6, .start = 4000000, .size = 1000, .mbr_type = 0x0b},
	};
	struct winboot_layout l = {
	        .style = WINBOOT_STYLE_MBR,
	        .partitions = p,
	        .n_partitions = ELEMENTSOF(p),
	        .windows_part = 0,
	        .boot_part = 1,
	        .bios_disk = 1,
	};
	_cleanup_free_ char *arc = NULL;

	ASSERT_EQ(winboot_arc_partition_number(&l, 1), 1);
	ASSERT_ERR(winboot_arc_partition_number(&l, 2), -ENOENT);
	ASSERT_EQ(winboot_arc_partition_number(&l, 3), 2);
	ASSERT_EQ(winboot_arc_partition_number(&l, 0), 3);
	ASSERT_EQ(winboot_arc_partition_number(&l, 4), 4);
	ASSERT_OK(winboot_bootini_arc_path(&l, "\\WINDOWS", &arc));
	ASSERT_STREQ(arc, "multi(0)disk(0)rdisk(1)partition(3)\\WINDOWS");

	l.style = WINBOOT_STYLE_GPT;
	ASSERT_ERR(winboot_arc_partition_number(&l, 0), -EOPNOTSUPP);
	l.windows_part = 7;
	ASSERT_ERR(winboot_layout_check(&l), -EINVAL);
}

TEST(signature_to_multi)
{
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *out = NULL, *text = NULL;
	size_t len;

	ASSERT_OK(winboot_bootini_parse(XP_SIG, strlen(XP_SIG), &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, &rep), 2);
	out = render(b, &len);
	ASSERT_EQ(len, strlen(XP_MULTI));
	ASSERT_MEMEQ(out, XP_MULTI, len);
	ASSERT_EQ(rep.n_changes, 2);
	ASSERT_STREQ(rep.changes[0].what, "boot.ini line 3");
	ASSERT_NULL(rep.notes);

	ASSERT_OK(winboot_report_to_string(&rep, "boot.ini", &text));
	ASSERT_TRUE(strstr(text, "    - default=signature(8b467c12)") != NULL);
	ASSERT_TRUE(strstr(text, "    + default=multi(0)disk(0)") != NULL);

	/* Idempotent: a second run changes nothing. */
	winboot_report_done(&rep);
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, &rep), 0);
	ASSERT_EQ(rep.n_changes, 0);
}

TEST(signature_case_and_rdisk)
{
	static const char in[] = "[boot loader]\n"
	                         "default=SIGNATURE(8B467C12)disk(0)rdisk(0)"
	                         "partition(1)\\WINDOWS\n"
	                         "[operating systems]\n"
	                         "SIGNATURE(8B467C12)disk(0)rdisk(0)partition("
	                         "1)\\WINDOWS=\"XP\"\n";
	static const char want[] =
	        "[boot loader]\n"
	        "default=multi(0)disk(0)rdisk(2)partition(1)\\WINDOWS\n"
	        "[operating systems]\n"
	        "multi(0)disk(0)rdisk(2)partition(1)\\WINDOWS=\"XP\"\n";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_free_ char *out = NULL;
	struct winboot_layout l = layout_one;
	size_t len;

	l.bios_disk = 2;
	ASSERT_OK(winboot_bootini_parse(in, sizeof(in) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &l, NULL), 2);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want) - 1);
	ASSERT_MEMEQ(out, want, len);
}

TEST(foreign_signature_left_alone)
{
	static const char in[] =
	        "[boot loader]\r\n"
	        "default=signature(deadbeef)disk(0)rdisk(0)"
	        "partition(1)\\WINDOWS\r\n"
	        "[operating systems]\r\n"
	        "signature(deadbeef)disk(0)rdisk(0)partition("
	        "1)\\WINDOWS=\"A\"\r\n"
	        "signature(8b467c12)disk(0)rdisk(0)partition("
	        "4)\\WINDOWS=\"B\"\r\n"
	        "scsi(0)disk(1)rdisk(0)partition(1)\\WINDOWS=\"C\"\r\n";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *out = NULL;
	size_t len;

	ASSERT_OK(winboot_bootini_parse(in, sizeof(in) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, &rep), 0);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(in) - 1);
	ASSERT_MEMEQ(out, in, len);
	/* two foreign-signature lines, one partition(4) that does not exist,
	 * one scsi() path */
	ASSERT_EQ(util_strv_length(rep.notes), 4);
	ASSERT_TRUE(strstr(rep.notes[3], "ntbootdd.sys") != NULL);
	ASSERT_TRUE(strstr(rep.notes[0], "deadbeef") != NULL);
	ASSERT_TRUE(strstr(rep.notes[2], "partition(4)") != NULL);

	/* GPT: NT5 cannot boot from it. */
	struct winboot_layout g = layout_one;
	g.style = WINBOOT_STYLE_GPT;
	ASSERT_ERR(winboot_bootini_fix_arc(b, &g, NULL), -EOPNOTSUPP);
}

TEST(add_hal_kernel_entry)
{
	static const char want[] =
	        "[boot loader]\r\n"
	        "timeout=30\r\n"
	        "default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n"
	        "[operating systems]\r\n"
	        "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"Windows XP "
	        "(ACPI MP HAL)\" /fastdetect /kernel=NTKRNL2.EXE "
	        "/hal=HALMACPI.DLL\r\n"
	        "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"Microsoft "
	        "Windows XP Professional\" /noexecute=optin /fastdetect\r\n"
	        "C:\\CMDCONS\\BOOTSECT.DAT=\"Microsoft Windows Recovery "
	        "Console\" /cmdcons\r\n";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *out = NULL, *arc = NULL;
	size_t len;

	ASSERT_OK(winboot_bootini_parse(XP_SIG, strlen(XP_SIG), &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, NULL), 2);
	ASSERT_OK(winboot_bootini_arc_path(&layout_one, NULL, &arc));
	ASSERT_EQ(winboot_bootini_add_entry(
	                  b, arc, "Windows XP (ACPI MP HAL)",
	                  "/fastdetect /kernel=NTKRNL2.EXE /hal=HALMACPI.DLL",
	                  true, &rep),
	          1);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want) - 1);
	ASSERT_MEMEQ(out, want, len);
	ASSERT_EQ(rep.n_changes, 1);
	ASSERT_NULL(rep.changes[0].before);

	/* Not added twice. */
	ASSERT_EQ(winboot_bootini_add_entry(
	                  b, arc, "Windows XP (ACPI MP HAL)",
	                  "/fastdetect /kernel=NTKRNL2.EXE /hal=HALMACPI.DLL",
	                  true, NULL),
	          0);
	free(out);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want) - 1);

	ASSERT_ERR(winboot_bootini_add_entry(b, arc, "bad \"quote\"", NULL,
	                                     true, NULL),
	           -EINVAL);
	ASSERT_ERR(winboot_bootini_add_entry(b, arc, "x", "/a\r\n[evil]", true,
	                                     NULL),
	           -EINVAL);
	ASSERT_ERR(winboot_bootini_add_entry(b, "a=b", "x", NULL, true, NULL),
	           -EINVAL);
	ASSERT_ERR(
	        winboot_bootini_add_entry(b, arc, "eof\x1a", NULL, true, NULL),
	        -EINVAL);
}

TEST(add_entry_messy_lf)
{
	static const char in[] = W2K_MESSY;
	static const char want[] =
	        "; edited by hand\n"
	        "[Boot Loader]\n"
	        "Timeout = 5\n"
	        "default = multi(0)disk(0)rdisk(0)partition(2)\\WINNT\n"
	        "default=multi(0)disk(0)rdisk(0)partition(2)\\WINNT\n"
	        "redirect=COM1\n"
	        "[Operating Systems]\n"
	        "multi(0)disk(0)rdisk(0)partition(2)\\WINNT=\"Windows 2000 "
	        "(MPS MP)\" /fastdetect /hal=HALMPS.DLL\n"
	        "  multi(0)disk(0)rdisk(0)partition(2)\\WINNT = \"Windows "
	        "2000   Server\"  /fastdetect\n"
	        "garbage line without equals\n"
	        "[debug]\n"
	        "foo=bar\n"
	        "\x1a\0\0\0";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *out = NULL;
	size_t len;

	ASSERT_OK(winboot_bootini_parse(in, sizeof(in) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_add_entry(
	                  b, "multi(0)disk(0)rdisk(0)partition(2)\\WINNT",
	                  "Windows 2000 (MPS MP)",
	                  "/fastdetect /hal=HALMPS.DLL", true, &rep),
	          1);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want) - 1);
	ASSERT_MEMEQ(out, want, len);
	/* the entry and both default= lines */
	ASSERT_EQ(rep.n_changes, 3);
	ASSERT_STREQ(winboot_bootini_default(b),
	             "multi(0)disk(0)rdisk(0)partition(2)\\WINNT");
}

TEST(add_entry_missing_sections)
{
	static const char in[] = "[operating systems]\r\n"
	                         "multi(0)disk(0)rdisk(0)partition(1)"
	                         "\\WINDOWS=\"XP\"";
	static const char want[] =
	        "[boot loader]\r\n"
	        "default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n"
	        "[operating systems]\r\n"
	        "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"New\" "
	        "/hal=HALAACPI.DLL\r\n"
	        "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"XP\"";
	static const char want_empty[] =
	        "[boot loader]\r\n"
	        "default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n"
	        "[operating systems]\r\n"
	        "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS=\"New\"\r\n";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_free_ char *out = NULL;
	size_t len;

	ASSERT_OK(winboot_bootini_parse(in, sizeof(in) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_add_entry(
	                  b, "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS",
	                  "New", "/hal=HALAACPI.DLL", true, NULL),
	          1);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want) - 1);
	ASSERT_MEMEQ(out, want, len);

	winboot_bootini_free(TAKE_PTR(b));
	free(TAKE_PTR(out));
	ASSERT_OK(winboot_bootini_parse("", 0, &b, NULL));
	ASSERT_EQ(winboot_bootini_add_entry(
	                  b, "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS",
	                  "New", NULL, true, NULL),
	          1);
	out = render(b, &len);
	ASSERT_EQ(len, sizeof(want_empty) - 1);
	ASSERT_MEMEQ(out, want_empty, len);
}

TEST(report_escapes_control_chars)
{
	static const char in[] = "[operating systems]\r\n"
	                         "signature(8b467c12)disk(0)rdisk(0)partition("
	                         "1)\\W=\"\x1b[2J\"\r\n";
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_report_done) struct winboot_report rep = {0};
	_cleanup_free_ char *text = NULL;

	ASSERT_OK(winboot_bootini_parse(in, sizeof(in) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, &rep), 1);
	ASSERT_OK(winboot_report_to_string(&rep, "boot.ini", &text));
	ASSERT_NULL(strchr(text, 0x1b));
	ASSERT_TRUE(strstr(text, "\"?[2J\"") != NULL);
}

TEST(hostile_input)
{
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_free_ char *big = NULL, *err = NULL;
	size_t n = WINBOOT_BOOTINI_MAX_SIZE + 1;

	/* an overlong line on line 3 */
	big = malloc(n);
	ASSERT_NOT_NULL(big);
	memset(big, 'a', n);
	memcpy(big, "[boot loader]\r\ntimeout=1\r\n", 26);
	ASSERT_ERR(winboot_bootini_parse(big, 26 + WINBOOT_BOOTINI_MAX_LINE + 1,
	                                 &b, &err),
	           -E2BIG);
	ASSERT_NULL(b);
	ASSERT_NOT_NULL(err);
	ASSERT_TRUE(strstr(err, "line 3") != NULL);

	/* the same line just at the limit is fine */
	ASSERT_OK(winboot_bootini_parse(big, 26 + WINBOOT_BOOTINI_MAX_LINE, &b,
	                                NULL));
	winboot_bootini_free(TAKE_PTR(b));

	ASSERT_ERR(winboot_bootini_parse(big, n, &b, NULL), -EFBIG);

	/* too many lines */
	memset(big, '\n', WINBOOT_BOOTINI_MAX_LINES + 1);
	ASSERT_ERR(winboot_bootini_parse(big, WINBOOT_BOOTINI_MAX_LINES + 1, &b,
	                                 NULL),
	           -E2BIG);

	/* broken ARC paths are not ARC paths: left alone */
	static const char odd[] =
	        "[operating systems]\n"
	        "signature(8b467c12)disk(0)rdisk(0)partition(\\WINDOWS=\"x\"\n"
	        "signature(8b467c12)disk(0)rdisk(0)partition(99999999999)\\W="
	        "\"y\"\n"
	        "signature(8b467c12zz)disk(0)rdisk(0)partition(1)\\W=\"y\"\n"
	        "signature()disk(0)rdisk(0)partition(1)=\n"
	        "=\n";
	_cleanup_free_ char *out = NULL;
	size_t len;
	ASSERT_OK(winboot_bootini_parse(odd, sizeof(odd) - 1, &b, NULL));
	ASSERT_EQ(winboot_bootini_fix_arc(b, &layout_one, NULL), 0);
	ASSERT_OK(winboot_bootini_render(b, &out, &len));
	ASSERT_EQ(len, sizeof(odd) - 1);
	ASSERT_MEMEQ(out, odd, len);
}
