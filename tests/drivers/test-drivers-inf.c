/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the INF parser (drivers/inf.c) and of the install resolution of
 * drivers/select.c: syntax, encodings, malformed input, AddReg decoding,
 * TargetOSVersion decorations, and pinned values from real INFs of the
 * corpus (virtio-win viostor/vioscsi/vioprot, LSI U3, tap-windows6, UsbDk).
 */
#include <ftw.h>

#include "drivers.h"
#include "tests.h"

/* virtio-win's own build placeholders (its vendor props), stamped the way
 * its build does for a Red Hat / upstream build. */
static char *const virtio_vars[] = {
        "INX_PLATFORM_DRIVERS_DIR",
        "12",
        "_INX_SUBSYS_VENDOR_ID",
        "1AF4",
        "INX_COMPANY",
        "Red Hat, Inc.",
        "INX_PREFIX_VENDOR",
        "Red Hat ",
        "INX_PREFIX_VIRTIO",
        "Red Hat ",
        NULL,
};

static struct drivers_inf *
parse_str(const char *text, const struct drivers_inf_options *o)
{
	struct drivers_inf *inf = NULL;
	_cleanup_free_ char *err = NULL;
	int r = drivers_inf_parse_buffer("t.inf", text, strlen(text), o, &inf,
	                                 &err);

	if (r < 0)
		TEST_FAIL("parse failed: %s", err ? err : strerror(-r));
	return inf;
}

static int
parse_err(const void *buf, size_t len, char **ret_error)
{
	struct drivers_inf *inf = NULL;
	int r = drivers_inf_parse_buffer("bad.inf", buf, len, NULL, &inf,
	                                 ret_error);

	drivers_inf_free(inf);
	return r;
}

static const struct drivers_inf_line *
line_of(const struct drivers_inf *inf, const char *section, size_t i)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &n);

	if (i >= n)
		TEST_FAIL("[%s] has %zu lines, wanted line %zu", section, n, i);
	return &l[i];
}

/* ---- syntax ---------------------------------------------------------- */

TEST(syntax_basics)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = parse_str(
	        "; leading comment\r\n"
	        "[Version]\r\n"
	        "Signature = \"$Windows NT$\" ; comment\r\n"
	        "[ sec ]\n"
	        "a = one, \"two, with comma\" , ,\"say \"\"hi\"\"\";c\n"
	        "b=x ; comment, with comma\n"
	        "c = first \\\n"
	        "    continued, \"semi;colon\"\n"
	        "d = \"back\\slash\"\\  \n"
	        "  ,tail\n"
	        "plain,,field\n"
	        "[SEC]\n"
	        "e = merged\n"
	        "f =\n",
	        NULL);
	const struct drivers_inf_line *l;

	ASSERT_STREQ(drivers_inf_value(inf, "version", "SIGNATURE"),
	             "$Windows NT$");
	l = line_of(inf, "Sec", 0);
	ASSERT_STREQ(l->key, "a");
	ASSERT_EQ(l->n_fields, 4);
	ASSERT_STREQ(l->fields[0], "one");
	ASSERT_STREQ(l->fields[1], "two, with comma");
	ASSERT_STREQ(l->fields[2], "");
	ASSERT_STREQ(l->fields[3], "say \"hi\"");
	ASSERT_EQ(l->lineno, 5);
	l = line_of(inf, "sec", 1);
	ASSERT_STREQ(l->fields[0], "x");
	ASSERT_EQ(l->n_fields, 1);
	l = line_of(inf, "sec", 2);
	ASSERT_STREQ(l->key, "c");
	ASSERT_EQ(l->n_fields, 2);
	ASSERT_STREQ(l->fields[0], "first continued");
	ASSERT_STREQ(l->fields[1], "semi;colon");
	ASSERT_EQ(l->lineno, 7);
	l = line_of(inf, "sec", 3);
	ASSERT_STREQ(l->fields[0], "back\\slash");
	ASSERT_STREQ(l->fields[1], "tail");
	l = line_of(inf, "sec", 4);
	ASSERT_NULL(l->key);
	ASSERT_EQ(l->n_fields, 3);
	ASSERT_STREQ(l->fields[2], "field");
	/* duplicate section merged, case-insensitively */
	ASSERT_STREQ(line_of(inf, "sec", 5)->key, "e");
	l = line_of(inf, "sec", 6);
	ASSERT_EQ(l->n_fields, 1);
	ASSERT_STREQ(l->fields[0], "");
	ASSERT_EQ(drivers_inf_n_sections(inf), 2);
}

TEST(strings_substitution)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	struct drivers_inf_options o = {.locale = "0407"};
	const char *text =
	        "[Version]\nSignature=$Chicago$\n"
	        "[S]\n"
	        "%Key% = %Desc%, \"%%SystemRoot%%\\x\", %Num%, %unknown%, "
	        "100%%, %12%\\f.sys\n"
	        "n = %NUM%\n"
	        "[Strings]\n"
	        "Key = \"k\"\nDesc = \"English\"\nNum = 0x20\n"
	        "[Strings.0407]\nDesc = \"Deutsch\"\n"
	        "[strings.0409]\nDesc = \"US\"\n";

	inf = parse_str(text, NULL);
	const struct drivers_inf_line *l = line_of(inf, "S", 0);
	uint32_t v;

	ASSERT_STREQ(l->key, "k");
	ASSERT_STREQ(l->fields[0], "US"); /* default locale 0409 */
	ASSERT_STREQ(l->fields[1], "%SystemRoot%\\x");
	ASSERT_STREQ(l->fields[2], "0x20");
	ASSERT_STREQ(l->fields[3], "%unknown%");
	ASSERT_STREQ(l->fields[4], "100%");
	ASSERT_STREQ(l->fields[5], "%12%\\f.sys");
	ASSERT_OK(drivers_inf_number(drivers_inf_value(inf, "S", "n"), &v));
	ASSERT_EQ(v, 32);
	drivers_inf_free(inf);
	inf = parse_str(text, &o);
	ASSERT_STREQ(line_of(inf, "S", 0)->fields[0], "Deutsch");
}

TEST(numbers)
{
	uint32_t v;

	ASSERT_OK(drivers_inf_number(" 0x0000000A ", &v));
	ASSERT_EQ(v, 10);
	ASSERT_OK(drivers_inf_number("257", &v));
	ASSERT_EQ(v, 257);
	ASSERT_ERR(drivers_inf_number("", &v), -EINVAL);
	ASSERT_TRUE(drivers_inf_number("12abc", &v) < 0);
	ASSERT_TRUE(drivers_inf_number("0x100000000", &v) < 0);
}

/* ---- encodings --------------------------------------------------------- */

static const char enc_text[] =
        "[Version]\r\nSignature=\"$Windows NT$\"\r\n"
        "[Strings]\r\nName=\"Caf\xc3\xa9 \xe2\x82\xac\"\r\n"
        "[S]\r\nx=%Name%\r\n";

static void
check_enc(const void *buf, size_t len)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	_cleanup_free_ char *err = NULL;

	if (drivers_inf_parse_buffer("e.inf", buf, len, NULL, &inf, &err) < 0)
		TEST_FAIL("parse failed: %s", err);
	ASSERT_STREQ(drivers_inf_value(inf, "S", "x"),
	             "Caf\xc3\xa9 \xe2\x82\xac");
}

TEST(encodings)
{
	_cleanup_free_ void *u16 = NULL;
	_cleanup_free_ uint8_t *le = NULL, *be = NULL, *u8 = NULL;
	size_t n, tl = strlen(enc_text);

	ASSERT_OK(util_utf8_to_utf16le(enc_text, tl, &u16, &n));
	le = malloc(n + 2);
	be = malloc(n + 2);
	u8 = malloc(tl + 4);
	ASSERT_TRUE(le && be && u8);
	le[0] = 0xFF, le[1] = 0xFE;
	memcpy(le + 2, u16, n);
	check_enc(le, n + 2);
	be[0] = 0xFE, be[1] = 0xFF;
	for (size_t i = 0; i < n; i += 2) {
		be[2 + i] = ((uint8_t *)u16)[i + 1];
		be[3 + i] = ((uint8_t *)u16)[i];
	}
	check_enc(be, n + 2);
	memcpy(u8, "\xef\xbb\xbf", 3);
	memcpy(u8 + 3, enc_text, tl);
	check_enc(u8, tl + 3);
	check_enc(enc_text, tl); /* UTF-8 without BOM */
	/* trailing Ctrl-Z */
	memcpy(u8, enc_text, tl);
	u8[tl] = 0x1A;
	check_enc(u8, tl + 1);
	/* Windows-1252: e-acute 0xE9, euro 0x80 */
	check_enc("[Version]\nSignature=\"$Windows NT$\"\n"
	          "[Strings]\nName=\"Caf\xe9 \x80\"\n[S]\nx=%Name%\n",
	          strlen("[Version]\nSignature=\"$Windows NT$\"\n"
	                 "[Strings]\nName=\"Caf\xe9 \x80\"\n[S]\nx=%Name%\n"));
	/* odd UTF-16 */
	_cleanup_free_ char *err = NULL;
	ASSERT_ERR(parse_err("\xff\xfe[\0V", 5, &err), -EBADMSG);
	ASSERT_NOT_NULL(strstr(err, "bad.inf"));
}

/* ---- malformed input --------------------------------------------------- */

TEST(malformed)
{
	_cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL,
	                    *e5 = NULL, *e6 = NULL, *big = NULL, *fields = NULL;
	const char *q = "[Version]\nSignature=\"$Windows NT$\n";
	const char *h = "[Version]\nSignature=x\n[Broken\nx=1\n";
	size_t n;

	ASSERT_ERR(parse_err(q, strlen(q), &e1), -EBADMSG);
	ASSERT_STREQ(e1, "bad.inf:2: unterminated quoted string");
	ASSERT_ERR(parse_err(h, strlen(h), &e2), -EBADMSG);
	ASSERT_STREQ(e2, "bad.inf:3: section header without ']'");

	/* 100k+1 sections */
	n = (DRIVERS_MAX_SECTIONS + 1) * 12;
	big = malloc(n + 1);
	ASSERT_NOT_NULL(big);
	big[0] = '\0';
	for (size_t i = 0, o = 0; i <= DRIVERS_MAX_SECTIONS; i++)
		o += (size_t)sprintf(big + o, "[s%07zu]\n", i);
	ASSERT_ERR(parse_err(big, strlen(big), &e3), -E2BIG);
	ASSERT_NOT_NULL(strstr(e3, "more than 100000 sections"));
	/* exactly the limit is fine */
	big[strlen(big) - 11] = '\0';
	{
		struct drivers_inf *inf = NULL;
		ASSERT_OK(drivers_inf_parse_buffer("ok.inf", big, strlen(big),
		                                   NULL, &inf, NULL));
		ASSERT_EQ(drivers_inf_n_sections(inf), DRIVERS_MAX_SECTIONS);
		drivers_inf_free(inf);
	}
	free(big);

	/* a huge line, and a line continued into a huge one */
	big = malloc(DRIVERS_MAX_LINE * 2 + 64);
	ASSERT_NOT_NULL(big);
	strcpy(big, "[S]\nx=");
	memset(big + 6, 'a', DRIVERS_MAX_LINE * 2);
	big[6 + DRIVERS_MAX_LINE * 2] = '\0';
	ASSERT_ERR(parse_err(big, strlen(big), &e4), -E2BIG);
	ASSERT_STREQ(e4, "bad.inf:2: line longer than 65536 bytes");
	for (size_t i = 100; i < DRIVERS_MAX_LINE * 2; i += 100)
		big[6 + i] = '\n', big[5 + i] = '\\';
	ASSERT_ERR(parse_err(big, strlen(big), &e5), -E2BIG);
	ASSERT_STREQ(e5, "bad.inf:2: line longer than 65536 bytes");

	/* too many fields */
	fields = malloc(DRIVERS_MAX_FIELDS * 2 + 16);
	ASSERT_NOT_NULL(fields);
	strcpy(fields, "[S]\n");
	memset(fields + 4, ',', DRIVERS_MAX_FIELDS + 1);
	fields[5 + DRIVERS_MAX_FIELDS] = '\0';
	ASSERT_ERR(parse_err(fields, strlen(fields), &e6), -E2BIG);
	ASSERT_NOT_NULL(strstr(e6, "more than 1024 fields"));

	/* too many fields in the whole file (memory bound) */
	{
		_cleanup_free_ char *e = NULL, *t = malloc(1002 * 1002 + 8);
		size_t o = 0;

		ASSERT_NOT_NULL(t);
		o += (size_t)sprintf(t, "[S]\n");
		for (int i = 0; i < 1001; i++) {
			memset(t + o, ',', 1000);
			o += 1000;
			t[o++] = '\n';
		}
		ASSERT_ERR(parse_err(t, o, &e), -EFBIG);
		ASSERT_NOT_NULL(
		        strstr(e, "more than 1000000 fields in the file"));
	}

	/* NUL in UTF-16 text, too-large input */
	{
		_cleanup_free_ char *e = NULL;
		ASSERT_ERR(parse_err("[S]\nx\0y\n", 8, &e), -EBADMSG);
		ASSERT_STREQ(e, "bad.inf:2: NUL character in text");
	}
	{
		_cleanup_free_ char *e = NULL;
		ASSERT_ERR(parse_err("x", DRIVERS_MAX_INF_SIZE + 1, &e),
		           -EFBIG);
	}
	/* substitution blow-up is bounded */
	{
		_cleanup_free_ char *e = NULL, *t = malloc(40000);
		size_t o;

		ASSERT_NOT_NULL(t);
		o = (size_t)sprintf(
		        t, "[Strings]\na=\"%0*d\"\n[S]\nx=", 60000 / 10, 0);
		for (int i = 0; i < 20; i++)
			o += (size_t)sprintf(t + o, "%%a%%");
		ASSERT_ERR(parse_err(t, o, &e), -E2BIG);
		ASSERT_NOT_NULL(strstr(e, "after %strkey% substitution"));
	}
}

TEST(templates)
{
	const char *t = "[Version]\nSignature=\"$Windows NT$\"\n"
	                "[Manufacturer]\n%M%=Models,NT$ARCH$\n"
	                "[Models.NT$ARCH$]\nd = inst, PCI\\X\n";
	_cleanup_free_ char *err = NULL;
	struct drivers_inf_options o = {.stamp_arch = "x86"};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;

	ASSERT_ERR(parse_err(t, strlen(t), &err), -ENOEXEC);
	ASSERT_STREQ(err, "bad.inf: template, needs stamping ($ARCH$)");
	inf = parse_str(t, &o);
	ASSERT_TRUE(drivers_inf_has_section(inf, "Models.NTx86"));
}

/* ---- decorations -------------------------------------------------------- */

TEST(decorations)
{
	struct drivers_os_decoration d, e;
	struct drivers_target w10 = {10, 0, 19041, "amd64", false};
	struct drivers_target s2k8 = {6, 0, 6002, "x86", true};

	ASSERT_OK(drivers_parse_decoration("NTamd64.10.0...16299", &d));
	ASSERT_STREQ(d.arch, "amd64");
	ASSERT_TRUE(d.has_version);
	ASSERT_EQ(d.major, 10);
	ASSERT_EQ(d.build, 16299);
	ASSERT_EQ(d.product_type, 0);
	ASSERT_TRUE(drivers_decoration_applies(&d, &w10));
	ASSERT_OK(drivers_parse_decoration("ntAMD64.10.0...22000", &e));
	ASSERT_TRUE(!drivers_decoration_applies(&e, &w10));
	ASSERT_OK(drivers_parse_decoration("NTamd64.6.3", &e));
	ASSERT_TRUE(drivers_decoration_compare(&d, &e) > 0);
	ASSERT_OK(drivers_parse_decoration("NTamd64.10.0.3", &e));
	ASSERT_TRUE(!drivers_decoration_applies(&e, &w10));
	ASSERT_OK(drivers_parse_decoration("NTx86.6.0.3", &e));
	ASSERT_TRUE(drivers_decoration_applies(&e, &s2k8));
	ASSERT_TRUE(!drivers_decoration_applies(&e, &w10));
	ASSERT_OK(drivers_parse_decoration("NT", &e));
	ASSERT_TRUE(drivers_decoration_applies(&e, &s2k8));
	ASSERT_TRUE(!drivers_decoration_applies(&e, &w10));
	ASSERT_OK(drivers_parse_decoration("NTamd64.6.1.1.0x110", &e));
	ASSERT_EQ(e.suite_mask, 0x110);
	ASSERT_EQ(e.product_type, 1);
	ASSERT_ERR(drivers_parse_decoration("NTmips", &e), -EINVAL);
	ASSERT_ERR(drivers_parse_decoration("amd64", &e), -EINVAL);
	ASSERT_ERR(drivers_parse_decoration("NTamd64.1.2.3.4.5.6", &e),
	           -EINVAL);
}

TEST(manufacturer_best_section)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = parse_str(
	        "[Version]\nSignature=\"$Windows NT$\"\n"
	        "[Manufacturer]\n"
	        "%M% = M, NTamd64, NTamd64.6.1, NTamd64.10.0...17763, NTx86\n"
	        "[M]\nplain = i, ID\\PLAIN\n"
	        "[M.NTamd64]\na = i, ID\\A64\n"
	        "[M.NTamd64.6.1]\nb = i, ID\\W7\n"
	        "[M.NTamd64.10.0...17763]\nc = i, ID\\RS5, ID\\COMPAT\n"
	        "[M.NTx86]\nd = i, ID\\X86\n"
	        "[Strings]\nM=\"Maker\"\n",
	        NULL);
	struct drivers_model *m = NULL;
	size_t n = 0;
	struct drivers_target t = {10, 0, 19041, "amd64", false};

	ASSERT_OK(drivers_inf_models(inf, &t, &m, &n, NULL));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(m[0].ids[0], "ID\\RS5");
	ASSERT_STREQ(m[0].ids[1], "ID\\COMPAT");
	ASSERT_STREQ(m[0].manufacturer, "Maker");
	ASSERT_STREQ(m[0].decoration, "NTamd64.10.0...17763");
	drivers_models_free(m, n);
	t.build = 17134;
	ASSERT_OK(drivers_inf_models(inf, &t, &m, &n, NULL));
	ASSERT_STREQ(m[0].ids[0], "ID\\W7");
	drivers_models_free(m, n);
	t = (struct drivers_target){5, 2, 0, "amd64", true};
	ASSERT_OK(drivers_inf_models(inf, &t, &m, &n, NULL));
	ASSERT_STREQ(m[0].ids[0], "ID\\A64");
	drivers_models_free(m, n);
	t.arch = "x86";
	ASSERT_OK(drivers_inf_models(inf, &t, &m, &n, NULL));
	ASSERT_STREQ(m[0].ids[0], "ID\\X86");
	drivers_models_free(m, n);
	ASSERT_OK(drivers_inf_models(inf, NULL, &m, &n, NULL));
	ASSERT_EQ(n, 4);
	drivers_models_free(m, n);
}

/* ---- AddReg ------------------------------------------------------------- */

static struct drivers_reg
reg1(const struct drivers_inf *inf, size_t i, bool del)
{
	struct drivers_reg g = {0};
	_cleanup_free_ char *err = NULL;

	if (drivers_inf_decode_reg(inf, line_of(inf, "R", i), del, &g, &err) <
	    0)
		TEST_FAIL("decode line %zu: %s", i, err);
	return g;
}

TEST(addreg_flags)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf =
	        parse_str("[R]\n"
	                  "HKR,,Sz,,\"abc\"\n"                          /* 0 */
	                  "HKLM,\"Sub\\Key\",Ex,0x00020000,\"%%X%%\"\n" /* 1 */
	                  "HKR,,Multi,0x00010000,\"a\",\"b\"\n"         /* 2 */
	                  "HKR,,Bin,0x00000001,01,ff,0A\n"              /* 3 */
	                  "HKR,,Dw,0x00010001,0x102\n"                  /* 4 */
	                  "HKR,,DwBin,0x00010001,01,02,03,04\n"         /* 5 */
	                  "HKR,,None,0x00020001\n"                      /* 6 */
	                  "HKR,,Q,0x000B0001,1,0,0,0,0,0,0,0\n"         /* 7 */
	                  "HKR,,Keep,0x00000002,\"x\"\n"                /* 8 */
	                  "HKR,,App,0x00010008,\"item\"\n"              /* 9 */
	                  "HKR,,Gone,0x00000004\n"                      /* 10 */
	                  "HKR,Only,,0x00000010\n"                      /* 11 */
	                  "HKR,Sub2\n"                                  /* 12 */
	                  "HKR,,Ow,0x00000020,\"v\"\n"                  /* 13 */
	                  "HKCR,,,,\"default\"\n"                       /* 14 */
	                  "HKR,,Multi,0x00018002,\"b\"\n"               /* 15 */
	                  "HKR,,Dw2,%REG_DWORD%,%VAL%\n"                /* 16 */
	                  "HKXX,,A\n"                                   /* 17 */
	                  "HKR,,Bad,0x00000001,zz\n"                    /* 18 */
	                  "[Strings]\nREG_DWORD=0x00010001\nVAL=\"0x20\"\n",
	                  NULL);
	struct drivers_reg g;
	static const uint8_t sz_abc[] = {'a', 0, 'b', 0, 'c', 0, 0, 0};
	static const uint8_t multi[] = {'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0};
	static const uint8_t bin[] = {1, 0xff, 0x0a};
	static const uint8_t dw[] = {2, 1, 0, 0};
	static const uint8_t dwb[] = {1, 2, 3, 4};
	_cleanup_free_ char *e1 = NULL, *e2 = NULL;
	struct drivers_reg bad;

	g = reg1(inf, 0, false);
	ASSERT_STREQ(g.root, "HKR");
	ASSERT_STREQ(g.subkey, "");
	ASSERT_STREQ(g.name, "Sz");
	ASSERT_EQ(g.type, HIVE_T_SZ);
	ASSERT_EQ(g.len, sizeof(sz_abc));
	ASSERT_MEMEQ(g.data, sz_abc, sizeof(sz_abc));
	drivers_reg_done(&g);
	g = reg1(inf, 1, false);
	ASSERT_STREQ(g.root, "HKLM");
	ASSERT_STREQ(g.subkey, "Sub\\Key");
	ASSERT_EQ(g.type, HIVE_T_EXPAND_SZ);
	ASSERT_EQ(g.len, 8);
	ASSERT_MEMEQ(g.data, "%\0X\0%\0\0\0", 8);
	drivers_reg_done(&g);
	g = reg1(inf, 2, false);
	ASSERT_EQ(g.type, HIVE_T_MULTI_SZ);
	ASSERT_EQ(g.len, sizeof(multi));
	ASSERT_MEMEQ(g.data, multi, sizeof(multi));
	drivers_reg_done(&g);
	g = reg1(inf, 3, false);
	ASSERT_EQ(g.type, HIVE_T_BINARY);
	ASSERT_EQ(g.len, 3);
	ASSERT_MEMEQ(g.data, bin, 3);
	drivers_reg_done(&g);
	g = reg1(inf, 4, false);
	ASSERT_EQ(g.type, HIVE_T_DWORD);
	ASSERT_EQ(g.len, 4);
	ASSERT_MEMEQ(g.data, dw, 4);
	drivers_reg_done(&g);
	g = reg1(inf, 5, false);
	ASSERT_EQ(g.type, HIVE_T_DWORD);
	ASSERT_MEMEQ(g.data, dwb, 4);
	drivers_reg_done(&g);
	g = reg1(inf, 6, false);
	ASSERT_EQ(g.type, HIVE_T_NONE);
	ASSERT_EQ(g.len, 0);
	drivers_reg_done(&g);
	g = reg1(inf, 7, false);
	ASSERT_EQ(g.type, HIVE_T_QWORD);
	ASSERT_EQ(g.len, 8);
	ASSERT_EQ(g.data[0], 1);
	drivers_reg_done(&g);
	g = reg1(inf, 8, false);
	ASSERT_TRUE(g.no_clobber);
	ASSERT_TRUE(!g.append && !g.del && !g.key_only);
	drivers_reg_done(&g);
	g = reg1(inf, 9, false);
	ASSERT_TRUE(g.append);
	ASSERT_EQ(g.type, HIVE_T_MULTI_SZ);
	drivers_reg_done(&g);
	g = reg1(inf, 10, false);
	ASSERT_TRUE(g.del);
	ASSERT_STREQ(g.name, "Gone");
	drivers_reg_done(&g);
	g = reg1(inf, 11, false);
	ASSERT_TRUE(g.key_only);
	ASSERT_STREQ(g.subkey, "Only");
	drivers_reg_done(&g);
	g = reg1(inf, 12, false);
	ASSERT_TRUE(g.key_only);
	ASSERT_NULL(g.name);
	drivers_reg_done(&g);
	g = reg1(inf, 13, false);
	ASSERT_EQ(g.flags, DRIVERS_FLG_ADDREG_OVERWRITEONLY);
	drivers_reg_done(&g);
	g = reg1(inf, 14, false);
	ASSERT_STREQ(g.root, "HKCR");
	ASSERT_STREQ(g.name, "");
	drivers_reg_done(&g);
	g = reg1(inf, 15, true);
	ASSERT_TRUE(g.del);
	ASSERT_EQ(g.type, HIVE_T_MULTI_SZ);
	ASSERT_MEMEQ(g.data, "b\0\0\0", 4);
	drivers_reg_done(&g);
	g = reg1(inf, 16, false);
	ASSERT_EQ(g.type, HIVE_T_DWORD);
	ASSERT_EQ(util_le32(g.data), 0x20);
	drivers_reg_done(&g);
	g = reg1(inf, 0, true);
	ASSERT_TRUE(g.del);
	ASSERT_NULL(g.data);
	drivers_reg_done(&g);
	ASSERT_ERR(drivers_inf_decode_reg(inf, line_of(inf, "R", 17), false,
	                                  &bad, &e1),
	           -EBADMSG);
	ASSERT_STREQ(e1, "t.inf:19: unknown registry root \"HKXX\"");
	ASSERT_ERR(drivers_inf_decode_reg(inf, line_of(inf, "R", 18), false,
	                                  &bad, &e2),
	           -EBADMSG);
	ASSERT_NOT_NULL(strstr(e2, "t.inf:20: bad binary byte"));
}

/* ---- the whole corpus --------------------------------------------------- */

static size_t corpus_n, corpus_models, corpus_not_driver, corpus_unresolved;

static int
corpus_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	static const char *const archs[] = {"amd64", "x86"};

	if (type != FTW_F || !(util_endswith_case(path, ".inf") ||
	                       util_endswith_case(path, ".inx") ||
	                       util_endswith_case(path, ".inf.in")))
		return 0;
	for (size_t a = 0; a < ELEMENTSOF(archs); a++) {
		_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
		_cleanup_free_ char *err = NULL;
		struct drivers_inf_options o = {.stamp_arch = archs[a],
		                                .stamp_vars = virtio_vars};
		struct drivers_inf_version v;
		struct drivers_model *m = NULL;
		size_t n = 0;

		if (drivers_inf_parse_file(path, &o, &inf, &err) < 0)
			TEST_FAIL("%s", err);
		if (!drivers_inf_has_section(inf, "Version")) {
			/* autorun.inf shares the extension: parsed, and
			 * refused as a driver INF with a clear message. */
			ASSERT_ERR(drivers_inf_get_version(inf, archs[a], &v,
			                                   &err),
			           -EBADMSG);
			ASSERT_NOT_NULL(strstr(err, "not an INF"));
			corpus_not_driver++;
			continue;
		}
		if (drivers_inf_get_version(inf, archs[a], &v, &err) < 0)
			TEST_FAIL("%s", err);
		if (drivers_inf_models(inf, NULL, &m, &n, &err) < 0)
			TEST_FAIL("%s", err);
		corpus_models += n;
		for (size_t k = 0; k < n; k++) {
			_cleanup_(drivers_install_done) struct drivers_install
			        in = {0};
			_cleanup_free_ char *e2 = NULL;
			const char *da = m[k].os.arch[0] ? m[k].os.arch : "x86";

			if (drivers_inf_resolve_install(inf, &m[k], da, &in,
			                                &e2) < 0) {
				corpus_unresolved++;
				if (getenv("TEST_VERBOSE"))
					fprintf(stderr, "unresolved: %s\n", e2);
			}
		}
		drivers_models_free(m, n);
		corpus_n++;
	}
	return 0;
}

TEST(corpus_all_parse)
{
	_cleanup_free_ char *dir = tests_corpus("inf");

	ASSERT_OK(nftw(dir, corpus_one, 16, FTW_PHYS));
	fprintf(stderr,
	        "%zu parses, %zu models lines (%zu do not resolve), %zu not "
	        "driver INFs\n",
	        corpus_n, corpus_models, corpus_unresolved, corpus_not_driver);
	ASSERT_TRUE(corpus_not_driver <= 2);
	ASSERT_EQ(corpus_unresolved, 0);
	ASSERT_TRUE(corpus_n >= 2 * 160);
	ASSERT_TRUE(corpus_models > 100);
}

/* ---- pinned real INFs --------------------------------------------------- */

static void
resolve_corpus(const char *rel, const char *arch, char *const *vars,
               size_t model, struct drivers_install *ret,
               struct drivers_inf **ret_inf)
{
	_cleanup_free_ char *path = tests_corpus(rel), *err = NULL;
	struct drivers_inf *inf = NULL;
	struct drivers_inf_options o = {.stamp_arch = arch, .stamp_vars = vars};
	struct drivers_model *m = NULL;
	size_t n = 0;
	struct drivers_target t = {10, 0, 19041, arch, false};

	if (drivers_inf_parse_file(path, &o, &inf, &err) < 0)
		TEST_FAIL("%s", err);
	if (drivers_inf_models(inf, &t, &m, &n, &err) < 0)
		TEST_FAIL("%s", err);
	if (model >= n)
		TEST_FAIL("%s: %zu models lines", rel, n);
	if (drivers_inf_resolve_install(inf, &m[model], arch, ret, &err) < 0)
		TEST_FAIL("%s", err);
	drivers_models_free(m, n);
	*ret_inf = inf;
}

static const struct drivers_reg *
find_reg(const struct drivers_reg *v, size_t n, const char *subkey,
         const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].subkey, subkey) && v[i].name &&
		    streq(v[i].name, name))
			return &v[i];
	TEST_FAIL("no reg %s\\%s", subkey, name);
}

static uint32_t
reg_dword(const struct drivers_reg *v, size_t n, const char *subkey,
          const char *name)
{
	const struct drivers_reg *g = find_reg(v, n, subkey, name);

	ASSERT_EQ(g->type, HIVE_T_DWORD);
	ASSERT_EQ(g->len, 4);
	return util_le32(g->data);
}

TEST(pinned_viostor)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_service *s;
	const struct drivers_reg *g;

	resolve_corpus("inf/virtio-win/viostor/viostor.inx", "amd64",
	               virtio_vars, 0, &in, &inf);
	ASSERT_STREQ(in.class_name, "SCSIAdapter");
	ASSERT_STREQ(in.class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
	ASSERT_STREQ(in.provider, "Red Hat, Inc.");
	ASSERT_STREQ(in.driver_date, "01/01/2008");
	ASSERT_STREQ(in.driver_version, "0.0.0.1");
	ASSERT_STREQ(in.catalog_file, "viostor.cat");
	ASSERT_STREQ(in.ddinstall, "scsi_inst");
	ASSERT_STREQ(in.description, "Red Hat VirtIO SCSI controller");
	ASSERT_STREQ(in.hardware_ids[0],
	             "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00");
	ASSERT_STREQ(in.hardware_ids[1], "PCI\\VEN_1AF4&DEV_1001");
	ASSERT_NULL(in.hardware_ids[2]);
	ASSERT_EQ(in.n_services, 1);
	s = &in.services[0];
	ASSERT_STREQ(s->name, "viostor");
	ASSERT_EQ(s->add_flags, 2);
	ASSERT_EQ(s->type, 1);
	ASSERT_EQ(s->start, 0);
	ASSERT_EQ(s->error_control, 1);
	ASSERT_STREQ(s->binary, "%12%\\viostor.sys");
	ASSERT_STREQ(s->binary_file, "viostor.sys");
	ASSERT_STREQ(s->load_order_group, "SCSI miniport");
	ASSERT_EQ(s->n_reg, 3);
	ASSERT_EQ(reg_dword(s->reg, s->n_reg, "Parameters\\PnpInterface", "5"),
	          1);
	ASSERT_EQ(reg_dword(s->reg, s->n_reg, "Parameters", "BusType"), 1);
	ASSERT_EQ(reg_dword(s->reg, s->n_reg, "Parameters",
	                    "DmaRemappingCompatible"),
	          0);
	g = find_reg(s->reg, s->n_reg, "Parameters", "BusType");
	ASSERT_STREQ(g->root, "HKR");
	ASSERT_EQ(in.n_reg, 0);
	ASSERT_EQ(in.n_files, 1);
	ASSERT_STREQ(in.files[0].name, "viostor.sys");
	ASSERT_STREQ(in.files[0].source, "viostor.sys");
	ASSERT_EQ(in.files[0].dirid, 12);
	ASSERT_NULL(in.files[0].host_path);
	ASSERT_STREQ(in.arch, "amd64");
}

TEST(pinned_vioscsi_x86)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_service *s;

	resolve_corpus("inf/virtio-win/vioscsi/vioscsi.inx", "x86", virtio_vars,
	               1, &in, &inf);
	ASSERT_STREQ(in.hardware_ids[0],
	             "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01");
	ASSERT_STREQ(in.hardware_ids[1], "PCI\\VEN_1AF4&DEV_1048");
	ASSERT_STREQ(in.driver_version, "0.0.0.1");
	ASSERT_STREQ(in.arch, "x86");
	s = &in.services[0];
	ASSERT_STREQ(s->name, "vioscsi");
	ASSERT_EQ(s->start, 0);
	ASSERT_STREQ(s->load_order_group, "SCSI miniport");
	ASSERT_EQ(reg_dword(s->reg, s->n_reg, "Parameters", "BusType"), 10);
	ASSERT_EQ(in.n_files, 1);
	ASSERT_STREQ(in.files[0].name, "vioscsi.sys");
	ASSERT_EQ(in.files[0].dirid, 12);
}

TEST(pinned_netkvm_vioprot)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_service *s;
	const struct drivers_reg *g;

	resolve_corpus("inf/virtio-win/NetKVM/NotifyObject/vioprot.inf",
	               "amd64", virtio_vars, 0, &in, &inf);
	ASSERT_STREQ(in.class_name, "NetTrans");
	ASSERT_STREQ(in.class_guid, "{4d36e975-e325-11ce-bfc1-08002be10318}");
	ASSERT_STREQ(in.driver_date, "01/01/2020");
	ASSERT_STREQ(in.driver_version, "1.1");
	ASSERT_STREQ(in.hardware_ids[0], "VIOPROT");
	ASSERT_STREQ(in.ddinstall, "Install");
	ASSERT_EQ(in.n_services, 1);
	s = &in.services[0];
	ASSERT_STREQ(s->name, "netkvmp");
	ASSERT_EQ(s->add_flags, 0x800);
	ASSERT_EQ(s->type, 16);
	ASSERT_EQ(s->start, 2);
	ASSERT_STREQ(s->binary, "%11%\\netkvmps.exe");
	ASSERT_NULL(s->load_order_group);
	ASSERT_EQ(in.n_reg, 5);
	g = find_reg(in.reg, in.n_reg, "Ndi\\Interfaces", "LowerRange");
	ASSERT_EQ(g->type, HIVE_T_SZ);
	ASSERT_EQ(g->len, strlen("ndis5,ndis5_prot") * 2 + 2);
	ASSERT_EQ(in.n_files, 0); /* [Copy.Exec] is empty */
}

TEST(pinned_lsi_u3)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_service *s;

	resolve_corpus("inf/windows-driver-samples/storage/miniports/lsi_u3/"
	               "src/lsi_u3.inf",
	               "amd64", NULL, 1, &in, &inf);
	ASSERT_STREQ(in.provider, "LSI");
	ASSERT_STREQ(in.driver_date, "06/12/2008");
	ASSERT_STREQ(in.driver_version, "5.09.10.04");
	ASSERT_STREQ(in.catalog_file, "lsi_u3.cat");
	ASSERT_STREQ(in.hardware_ids[0], "PCI\\VEN_1000&DEV_0021");
	ASSERT_STREQ(in.description,
	             "LSI Ultra3 PCI SCSI Adapter; 53C1010-66 (StorPort)");
	s = &in.services[0];
	ASSERT_STREQ(s->name, "LSI_U3");
	ASSERT_EQ(s->add_flags, 2);
	ASSERT_STREQ(s->binary_file, "lsi_u3.sys");
	ASSERT_STREQ(s->load_order_group, "SCSI Miniport");
	ASSERT_EQ(s->n_reg, 2); /* two AddReg lines */
	ASSERT_EQ(reg_dword(s->reg, s->n_reg, "Parameters", "BusType"), 1);
	ASSERT_EQ(in.n_files, 1);
	ASSERT_STREQ(in.files[0].name, "lsi_u3.sys");
	ASSERT_EQ(in.files[0].dirid, 12); /* DefaultDestDir */
}

TEST(pinned_tap_windows6)
{
	static char *const tap_vars[] = {
	        "@PRODUCT_TAP_WIN_COMPONENT_ID@",
	        "tap0901",
	        "@PRODUCT_TAP_WIN_PROVIDER@",
	        "TAP-Windows Provider V9",
	        "@PRODUCT_TAP_WIN_DEVICE_DESCRIPTION@",
	        "TAP-Windows Adapter V9",
	        "@PRODUCT_TAP_WIN_CHARACTERISTICS@",
	        "0x81",
	        NULL,
	};
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	const struct drivers_service *s;
	const struct drivers_reg *g;

	resolve_corpus("inf/tap-windows6/src/OemVista.inf.in", "amd64",
	               tap_vars, 0, &in, &inf);
	ASSERT_STREQ(in.class_name, "Net");
	ASSERT_STREQ(in.hardware_ids[0], "root\\tap0901");
	ASSERT_STREQ(in.ddinstall, "tap0901.ndi");
	ASSERT_STREQ(in.catalog_file, "tap0901.cat");
	s = &in.services[0];
	ASSERT_STREQ(s->name, "tap0901");
	ASSERT_STREQ(s->binary, "%12%\\tap0901.sys");
	ASSERT_EQ(s->type, 1);
	ASSERT_EQ(s->start, 3);
	g = find_reg(in.reg, in.n_reg, "Ndi", "Service");
	ASSERT_EQ(g->type, HIVE_T_SZ);
	ASSERT_TRUE(in.n_files >= 1);
	ASSERT_STREQ(in.files[0].name, "tap0901.sys");
	ASSERT_EQ(in.files[0].dirid, 12);
}

TEST(pinned_usbdk)
{
	_cleanup_free_ char *path = tests_corpus(
	                            "inf/usbdk/UsbDkHelper/UsbDk.inf"),
	                    *err = NULL;
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	struct drivers_inf_version v;

	ASSERT_OK(drivers_inf_parse_file(path, NULL, &inf, &err));
	ASSERT_OK(drivers_inf_get_version(inf, "amd64", &v, NULL));
	ASSERT_STREQ(v.signature, "$WINDOWS NT$");
	ASSERT_NULL(v.driver_date);
	ASSERT_STREQ(drivers_inf_value(inf, "UsbDk.NT.Wdf", "KmdfService"),
	             "UsbDk");
	ASSERT_STREQ(drivers_inf_value(inf, "UsbDk_Service_kmdfInst",
	                               "KmdfLibraryVersion"),
	             "1.11");
}

TEST(utf16_corpus)
{
	_cleanup_free_ char *path = tests_corpus(
	                            "inf/windows-driver-samples/network/"
	                            "netadaptercx/netvadapter/km/"
	                            "netvadapter.inf"),
	                    *err = NULL;
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	struct drivers_inf_options o = {.stamp_arch = "amd64"};
	struct drivers_inf_version v;

	ASSERT_OK(drivers_inf_parse_file(path, &o, &inf, &err));
	ASSERT_OK(drivers_inf_get_version(inf, "amd64", &v, NULL));
	ASSERT_STREQ(v.class_name, "Net");
}
