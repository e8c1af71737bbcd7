/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hive/ on phony hives built at test time from the corpus seed: every value
 * type, every edit kind, case-insensitive paths, MULTI_SZ items, odd
 * strings, control-set resolution, .reg export and diff, dirty hives.
 */
#include <sys/mman.h>

#include "tests.h"
#include "hive-test-util.h"

/* Opens path for writing, applies l, commits to a new file, returns it. */
static char *
apply_and_commit(const char *path, const struct hive_edits *l)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	char *out = hive_test_path("committed");
	size_t failed = SIZE_MAX;
	int r;

	ASSERT_OK(hive_open(path, HIVE_OPEN_WRITE, &h));
	r = hive_apply_edits(h, l->v, l->n, &failed);
	if (r < 0)
		TEST_FAIL("apply failed at edit %zu: %s", failed,
		          hive_last_error(h));
	ASSERT_OK(hive_commit(h, out));
	return out;
}

static void
assert_value(struct hive *h, const char *key, const char *name, uint32_t type,
             const void *data, size_t len)
{
	struct hive_value v = {0};

	ASSERT_OK(hive_get_value(h, key, name, &v));
	ASSERT_EQ(v.type, type);
	ASSERT_EQ(v.len, len);
	if (len)
		ASSERT_MEMEQ(v.data, data, len);
	hive_value_done(&v);
}

TEST(every_value_type)
{
	_cleanup_free_ char *seed = hive_test_seed(), *out = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_strv_free_ char **items = NULL, **names = NULL;
	char *list[] = {"one", "", "three", NULL};
	struct hive_edits l = {0};
	uint8_t bin[300], be[4] = {0x12, 0x34, 0x56, 0x78},
	                  q[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	_cleanup_free_ char *s = NULL;
	uint32_t dw;
	uint64_t qw;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	ASSERT_OK(hive_edits_set(&l, "T", "none", HIVE_T_NONE, "ab", 2));
	ASSERT_OK(hive_edits_set_sz(&l, "T", "sz", HIVE_T_SZ, "hello"));
	ASSERT_OK(hive_edits_set_sz(&l, "T", "expand", HIVE_T_EXPAND_SZ,
	                            "%SystemRoot%\\x"));
	ASSERT_OK(hive_edits_set(&l, "T", "binary", HIVE_T_BINARY, bin,
	                         sizeof(bin)));
	ASSERT_OK(hive_edits_set_dword(&l, "T", "dword", 0xdeadbeef));
	ASSERT_OK(
	        hive_edits_set(&l, "T", "be", HIVE_T_DWORD_BIG_ENDIAN, be, 4));
	ASSERT_OK(hive_edits_set(&l, "T", "link", HIVE_T_LINK, "l\0k\0", 4));
	ASSERT_OK(hive_edits_set_multi_sz(&l, "T", "multi", list));
	ASSERT_OK(hive_edits_set(&l, "T", "res", HIVE_T_RESOURCE_LIST, bin, 9));
	ASSERT_OK(hive_edits_set(&l, "T", "qword", HIVE_T_QWORD, q, 8));
	ASSERT_OK(hive_edits_set(&l, "T", "weird", 0x12345678, bin, 5));
	ASSERT_OK(hive_edits_set(&l, "T", "empty", HIVE_T_BINARY, NULL, 0));
	ASSERT_OK(hive_edits_set_sz(&l, "T", "", HIVE_T_SZ, "default"));
	out = apply_and_commit(seed, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(out, 0, &h));
	assert_value(h, "T", "none", HIVE_T_NONE, "ab", 2);
	assert_value(h, "T", "sz", HIVE_T_SZ, "h\0e\0l\0l\0o\0\0", 12);
	assert_value(h, "T", "binary", HIVE_T_BINARY, bin, sizeof(bin));
	assert_value(h, "T", "link", HIVE_T_LINK, "l\0k\0", 4);
	assert_value(h, "T", "res", HIVE_T_RESOURCE_LIST, bin, 9);
	assert_value(h, "T", "weird", 0x12345678, bin, 5);
	assert_value(h, "T", "empty", HIVE_T_BINARY, NULL, 0);
	ASSERT_OK(hive_get_string(h, "T", "sz", &s));
	ASSERT_STREQ(s, "hello");
	free(s);
	ASSERT_OK(hive_get_string(h, "T", "expand", &s));
	ASSERT_STREQ(s, "%SystemRoot%\\x");
	free(s);
	ASSERT_OK(hive_get_string(h, "T", NULL, &s));
	ASSERT_STREQ(s, "default");
	ASSERT_OK(hive_get_dword(h, "T", "dword", &dw));
	ASSERT_EQ(dw, 0xdeadbeef);
	ASSERT_OK(hive_get_dword(h, "T", "be", &dw));
	ASSERT_EQ(dw, 0x12345678);
	ASSERT_OK(hive_get_qword(h, "T", "qword", &qw));
	ASSERT_EQ(qw, 0x0807060504030201ull);
	ASSERT_OK(hive_get_multi_sz(h, "T", "multi", &items));
	ASSERT_EQ(util_strv_length(items), 3);
	ASSERT_STREQ(items[0], "one");
	ASSERT_STREQ(items[1], "");
	ASSERT_STREQ(items[2], "three");
	/* Wrong types are refused, absent values are -ENOENT. */
	ASSERT_ERR(hive_get_dword(h, "T", "sz", &dw), -EMEDIUMTYPE);
	ASSERT_ERR(hive_get_qword(h, "T", "dword", &qw), -EMEDIUMTYPE);
	ASSERT_ERR(hive_get_multi_sz(h, "T", "sz", &names), -EMEDIUMTYPE);
	ASSERT_ERR(hive_get_string(h, "T", "dword", &s), -EMEDIUMTYPE);
	ASSERT_ERR(hive_get_dword(h, "T", "nope", &dw), -ENOENT);
	ASSERT_ERR(hive_get_dword(h, "Nope", "dword", &dw), -ENOENT);
	/* Values are listed in hive order, "" for the default. */
	ASSERT_OK(hive_list_values(h, "T", &names));
	ASSERT_EQ(util_strv_length(names), 13);
	ASSERT_STREQ(names[0], "none");
	ASSERT_STREQ(names[12], "");
}

TEST(case_insensitive_paths)
{
	_cleanup_free_ char *seed = hive_test_seed(), *out = NULL, *s = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_strv_free_ char **names = NULL, **keys = NULL;
	struct hive_edits l = {0};
	uint32_t dw;

	ASSERT_OK(hive_edits_set_dword(&l, "Foo\\Bar", "Start", 3));
	/* Same key and value, other spellings: replaces, creates nothing. */
	ASSERT_OK(hive_edits_set_dword(&l, "\\FOO\\\\bar\\", "START", 4));
	ASSERT_OK(hive_edits_create_key(&l, "foo\\BAR\\Baz"));
	out = apply_and_commit(seed, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(out, 0, &h));
	ASSERT_OK(hive_key_exists(h, "FOO\\BAR"));
	ASSERT_OK(hive_key_exists(h, "fOo\\bAr\\BAZ"));
	ASSERT_OK(hive_key_exists(h, ""));
	ASSERT_ERR(hive_key_exists(h, "Foo\\Bar\\Missing"), -ENOENT);
	ASSERT_OK(hive_get_dword(h, "foo\\bar", "start", &dw));
	ASSERT_EQ(dw, 4);
	ASSERT_OK(hive_list_values(h, "Foo\\Bar", &names));
	ASSERT_EQ(util_strv_length(names), 1);
	/* The first spelling of a key or value name is kept. */
	ASSERT_OK(hive_list_subkeys(h, "", &keys));
	ASSERT_EQ(util_strv_length(keys), 1);
	ASSERT_STREQ(keys[0], "Foo");
}

TEST(edit_kinds)
{
	_cleanup_free_ char *p = NULL, *out = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_strv_free_ char **items = NULL, **names = NULL;
	struct hive_edits l = {0}, l2 = {0};
	uint32_t dw;

	p = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                       "[" HKLM_SYSTEM "\\K]\n"
	                       "\"Keep\"=dword:00000001\n"
	                       "\"Gone\"=\"x\"\n"
	                       "\"Filters\"=hex(7):61,00,00,00,62,00,00,00,"
	                       "41,00,00,00,00,00\n"
	                       "\"NotMulti\"=\"s\"\n\n"
	                       "[" HKLM_SYSTEM "\\K\\Tree]\n"
	                       "\"v\"=dword:00000002\n\n"
	                       "[" HKLM_SYSTEM "\\K\\Tree\\Sub]\n\n");
	ASSERT_OK(hive_edits_set_origin(&l, "rule-1"));
	ASSERT_OK(hive_edits_delete_value(&l, "K", "gone"));
	ASSERT_OK(hive_edits_delete_value(&l, "K", "NeverThere"));
	ASSERT_OK(hive_edits_delete_value(&l, "NoKey", "x"));
	ASSERT_OK(hive_edits_create_key(&l, "New\\Deep\\Key"));
	ASSERT_OK(hive_edits_delete_key(&l, "k\\TREE"));
	ASSERT_OK(hive_edits_delete_key(&l, "Absent\\Key"));
	ASSERT_OK(hive_edits_set_origin(&l, NULL));
	ASSERT_OK(hive_edits_multi_sz_add(&l, "K", "Filters", "c"));
	ASSERT_OK(hive_edits_multi_sz_add(&l, "K", "filters", "B"));
	ASSERT_OK(hive_edits_multi_sz_remove(&l, "K", "Filters", "a"));
	ASSERT_OK(hive_edits_multi_sz_add(&l, "K", "Fresh", "only"));
	ASSERT_OK(hive_edits_multi_sz_remove(&l, "K", "Absent", "x"));
	ASSERT_OK(hive_edits_multi_sz_remove(&l, "NoKey", "Absent", "x"));
	ASSERT_OK(hive_edits_set_dword(&l, "K", "Keep", 99));
	l.v[l.n - 1].no_clobber = true;
	ASSERT_OK(hive_edits_set_dword(&l, "K", "Added", 5));
	l.v[l.n - 1].no_clobber = true;
	ASSERT_EQ(l.n, 14);
	ASSERT_STREQ(l.v[0].origin, "rule-1");
	ASSERT_NULL(l.v[7].origin);
	/* append copies deeply */
	ASSERT_OK(hive_edits_append(&l2, &l));
	hive_edits_done(&l);
	ASSERT_EQ(l2.n, 14);
	ASSERT_STREQ(l2.v[4].key, "k\\TREE");
	out = apply_and_commit(p, &l2);
	hive_edits_done(&l2);

	ASSERT_OK(hive_open(out, 0, &h));
	ASSERT_OK(hive_list_values(h, "K", &names));
	ASSERT_TRUE(!util_strv_contains_case(names, "Gone"));
	ASSERT_OK(hive_key_exists(h, "New\\Deep\\Key"));
	ASSERT_ERR(hive_key_exists(h, "K\\Tree"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "K\\Tree\\Sub"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "NoKey"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "Absent"), -ENOENT);
	ASSERT_OK(hive_get_multi_sz(h, "K", "Filters", &items));
	/* "a" and "A" removed (case-insensitive), "B" already there as "b". */
	ASSERT_EQ(util_strv_length(items), 2);
	ASSERT_STREQ(items[0], "b");
	ASSERT_STREQ(items[1], "c");
	util_strv_free(items);
	ASSERT_OK(hive_get_multi_sz(h, "K", "Fresh", &items));
	ASSERT_EQ(util_strv_length(items), 1);
	ASSERT_STREQ(items[0], "only");
	ASSERT_OK(hive_get_dword(h, "K", "Keep", &dw));
	ASSERT_EQ(dw, 1); /* no_clobber kept it */
	ASSERT_OK(hive_get_dword(h, "K", "Added", &dw));
	ASSERT_EQ(dw, 5);
}

TEST(failed_apply_poisons_handle)
{
	_cleanup_free_ char *p = NULL, *out = hive_test_path("never");
	_cleanup_(hive_freep) struct hive *h = NULL, *ro = NULL;
	struct hive_edits l = {0};
	uint8_t big[HIVE_MAX_WRITE_VALUE_SIZE + 1] = {0};
	size_t failed = 0;

	p = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                       "[" HKLM_SYSTEM "\\K]\n\"S\"=\"str\"\n\n");
	ASSERT_OK(hive_edits_create_key(&l, "Ok"));
	ASSERT_OK(hive_edits_multi_sz_add(&l, "K", "S", "item"));
	ASSERT_OK(hive_open(p, HIVE_OPEN_WRITE, &h));
	ASSERT_ERR(hive_apply_edits(h, l.v, l.n, &failed), -EMEDIUMTYPE);
	ASSERT_EQ(failed, 1);
	ASSERT_NOT_NULL(strstr(hive_last_error(h), "not MULTI_SZ"));
	ASSERT_ERR(hive_commit(h, out), -ESTALE);
	ASSERT_TRUE(access(out, F_OK) < 0);
	hive_edits_done(&l);
	h = hive_free(h);

	/* Values hivex cannot write as Windows expects are refused. */
	ASSERT_OK(hive_edits_set(&l, "K", "big", HIVE_T_BINARY, big,
	                         sizeof(big)));
	ASSERT_OK(hive_open(p, HIVE_OPEN_WRITE, &h));
	ASSERT_ERR(hive_apply_edits(h, l.v, l.n, &failed), -EFBIG);
	ASSERT_EQ(failed, 0);
	hive_edits_done(&l);

	/* Read-only handles and the open file as target are refused. */
	ASSERT_OK(hive_edits_create_key(&l, "X"));
	ASSERT_OK(hive_open(p, 0, &ro));
	ASSERT_ERR(hive_apply_edits(ro, l.v, l.n, NULL), -EROFS);
	ASSERT_ERR(hive_commit(ro, out), -EROFS);
	hive_edits_done(&l);
	h = hive_free(h);
	ASSERT_OK(hive_open(p, HIVE_OPEN_WRITE, &h));
	ASSERT_ERR(hive_commit(h, p), -EINVAL);
	/* Deleting the root is refused. */
	ASSERT_OK(hive_edits_delete_key(&l, "\\"));
	ASSERT_ERR(hive_apply_edits(h, l.v, l.n, NULL), -EINVAL);
	hive_edits_done(&l);
}

TEST(odd_strings)
{
	_cleanup_free_ char *seed = hive_test_seed(), *out = NULL, *s = NULL;
	_cleanup_free_ uint8_t *enc = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	struct hive_edits l = {0};
	/* "a\0b\0" with an embedded NUL, no terminator, lone surrogates. */
	static const uint8_t embedded[] = {'a', 0, 0, 0, 'b', 0, 0, 0};
	static const uint8_t noterm[] = {'x', 0, 'y', 0};
	static const uint8_t lone[] = {0x00, 0xd8, 'z', 0, 0x00, 0xdc, 0, 0};
	static const uint8_t odd[] = {'o', 0, 'k', 0, 0x41};
	const char *nonbmp = "G\xf0\x9f\x98\x80 \xe2\x82\xac";
	size_t len;

	ASSERT_OK(hive_edits_set(&l, "S", "embedded", HIVE_T_SZ, embedded,
	                         sizeof(embedded)));
	ASSERT_OK(hive_edits_set(&l, "S", "noterm", HIVE_T_SZ, noterm,
	                         sizeof(noterm)));
	ASSERT_OK(
	        hive_edits_set(&l, "S", "lone", HIVE_T_SZ, lone, sizeof(lone)));
	ASSERT_OK(hive_edits_set(&l, "S", "odd", HIVE_T_SZ, odd, sizeof(odd)));
	ASSERT_OK(hive_edits_set_sz(&l, "S", "nonbmp", HIVE_T_SZ, nonbmp));
	ASSERT_OK(hive_edits_set_sz(&l, "S", "quote\"back\\slash", HIVE_T_SZ,
	                            "C:\\\"q\""));
	out = apply_and_commit(seed, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(out, 0, &h));
	/* Raw bytes come back unchanged, whatever they hold. */
	assert_value(h, "S", "embedded", HIVE_T_SZ, embedded, sizeof(embedded));
	assert_value(h, "S", "noterm", HIVE_T_SZ, noterm, sizeof(noterm));
	assert_value(h, "S", "lone", HIVE_T_SZ, lone, sizeof(lone));
	assert_value(h, "S", "odd", HIVE_T_SZ, odd, sizeof(odd));
	/* As strings: up to the first NUL, as Windows reads them. */
	ASSERT_OK(hive_get_string(h, "S", "embedded", &s));
	ASSERT_STREQ(s, "a");
	free(s);
	ASSERT_OK(hive_get_string(h, "S", "noterm", &s));
	ASSERT_STREQ(s, "xy");
	free(s);
	ASSERT_OK(hive_get_string(h, "S", "odd", &s));
	ASSERT_STREQ(s, "ok");
	free(s);
	ASSERT_OK(hive_get_string(h, "S", "nonbmp", &s));
	ASSERT_STREQ(s, nonbmp);
	free(s);
	/* A lone surrogate survives UTF-8 and back (WTF-8). */
	ASSERT_OK(hive_get_string(h, "S", "lone", &s));
	ASSERT_OK(hive_encode_sz(s, &enc, &len));
	ASSERT_EQ(len, sizeof(lone));
	ASSERT_MEMEQ(enc, lone, len);
	free(s);
	s = NULL;
	/* SZ values that are not clean strings export as hex(1). */
	{
		_cleanup_free_ char *reg = hive_test_export(h, "S", "P");

		ASSERT_NOT_NULL(strstr(
		        reg, "\"embedded\"=hex(1):61,00,00,00,62,00,00,00\n"));
		ASSERT_NOT_NULL(strstr(reg, "\"noterm\"=hex(1):78,00,79,00\n"));
		ASSERT_NOT_NULL(strstr(reg, "\"nonbmp\"=hex(1):47,00,3d,d8,00,"
		                            "de,20,00,ac,20,00,00\n"));
		ASSERT_NOT_NULL(strstr(reg, "\"quote\\\"back\\\\slash\"="
		                            "\"C:\\\\\\\"q\\\"\"\n"));
	}
}

TEST(export_round_trips_through_hivexregedit)
{
	_cleanup_free_ char *seed = hive_test_seed(), *out = NULL;
	_cleanup_free_ char *regfile = hive_test_path("export"), *cmd = NULL;
	_cleanup_free_ char *reg = NULL, *diff = NULL, *copy = NULL;
	_cleanup_(hive_freep) struct hive *a = NULL, *b = NULL;
	struct hive_edits l = {0};
	uint8_t bin[200];
	int n;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(255 - i);
	ASSERT_OK(hive_edits_set(&l, "R\\A", "embedded", HIVE_T_SZ,
	                         "a\0\0\0b\0\0\0", 8));
	ASSERT_OK(hive_edits_set(&l, "R\\A", "lone", HIVE_T_SZ,
	                         "\x00\xd8\x00\x00", 4));
	ASSERT_OK(hive_edits_set_sz(&l, "R\\A", "q\"\\", HIVE_T_SZ,
	                            "\xe2\x82\xac \"\\ \xf0\x9f\x98\x80"));
	ASSERT_OK(hive_edits_set(&l, "R\\A", "bin", HIVE_T_BINARY, bin,
	                         sizeof(bin)));
	ASSERT_OK(hive_edits_set(&l, "R\\A", "t99", 0x99, bin, 3));
	ASSERT_OK(hive_edits_set(&l, "R\\A", "dw3", HIVE_T_DWORD, bin, 3));
	ASSERT_OK(hive_edits_set_dword(&l, "R\\B", "", 7));
	ASSERT_OK(
	        hive_edits_set_sz(&l, "R\\B\\C", "@", HIVE_T_EXPAND_SZ, "%x%"));
	ASSERT_OK(hive_edits_create_key(&l, "R\\Empty"));
	out = apply_and_commit(seed, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(out, 0, &a));
	reg = hive_test_export(a, "", HKLM_SYSTEM);
	ASSERT_OK(util_write_file_atomic(regfile, reg, strlen(reg)));
	/* Wrapped hex lines stay within 80 columns. */
	for (char *p = reg; *p;) {
		size_t w = strcspn(p, "\n");

		ASSERT_TRUE(w <= 80);
		p += w + (p[w] ? 1 : 0);
	}
	copy = hive_test_seed();
	ASSERT_OK(util_asprintf(&cmd,
	                        "hivexregedit --merge --prefix '%s' '%s' '%s'",
	                        HKLM_SYSTEM, copy, regfile));
	ASSERT_EQ(hive_test_run(cmd), 0);
	ASSERT_OK(hive_open(copy, 0, &b));
	diff = hive_test_diff(a, b, HKLM_SYSTEM, &n);
	if (n != 0)
		TEST_FAIL("export did not round trip:\n%s", diff);
}

TEST(export_golden)
{
	_cleanup_free_ char *p = NULL, *reg = NULL, *golden = NULL, *gp = NULL;
	_cleanup_free_ char *sub = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;

	p = hive_test_from_reg(
	        "Windows Registry Editor Version 5.00\n\n"
	        "[" HKLM_SYSTEM "\\Select]\n"
	        "\"Current\"=dword:00000001\n\n"
	        "[" HKLM_SYSTEM "\\ControlSet001]\n\n"
	        "[" HKLM_SYSTEM "\\ControlSet001\\Services]\n\n"
	        "[" HKLM_SYSTEM "\\ControlSet001\\Services\\viostor]\n"
	        "\"Type\"=dword:00000001\n"
	        "\"Start\"=dword:00000000\n"
	        "\"ImagePath\"=hex(2):73,00,79,00,73,00,5c,00,76,00,00,00\n"
	        "\"Group\"=\"SCSI miniport\"\n"
	        "@=\"default\"\n"
	        "\"Owners\"=hex(7):76,00,69,00,6f,00,73,00,74,00,6f,00,72,00,"
	        "2e,00,69,00,6e,00,66,00,00,00,00,00\n"
	        "\"Blob\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,"
	        "10,11,12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23\n"
	        "\"Q\"=hex(b):01,00,00,00,00,00,00,00\n\n"
	        "[" HKLM_SYSTEM "\\ControlSet001\\Control]\n\n");
	ASSERT_OK(hive_open(p, 0, &h));
	reg = hive_test_export(h, "", HKLM_SYSTEM);
	ASSERT_OK(util_asprintf(&gp, "%s/tests/hive/golden/phony-export.reg",
	                        tests_srcdir()));
	golden = hive_test_read(gp);
	if (!streq(reg, golden))
		TEST_FAIL("export differs from %s:\n%s", gp, reg);
	/* A subtree export names keys with the hive's own spelling. */
	sub = hive_test_export(h, "controlset001\\SERVICES", "X\\");
	ASSERT_TRUE(util_startswith(sub, "Windows Registry Editor Version "
	                                 "5.00\n\n[X\\ControlSet001\\Services]"
	                                 "\n\n[X\\ControlSet001\\Services\\"
	                                 "viostor]\n"));
}

TEST(diff_shows_each_change_and_merges_back)
{
	_cleanup_free_ char *p = NULL, *out = NULL, *diff = NULL, *cmd = NULL;
	_cleanup_free_ char *difffile = hive_test_path("diff"), *again = NULL;
	_cleanup_(hive_freep) struct hive *a = NULL, *b = NULL, *c = NULL;
	struct hive_edits l = {0};
	int n;

	p = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                       "[" HKLM_SYSTEM "\\K]\n"
	                       "\"Same\"=dword:00000001\n"
	                       "\"Change\"=dword:00000002\n"
	                       "\"Drop\"=\"x\"\n\n"
	                       "[" HKLM_SYSTEM "\\K\\Old]\n"
	                       "\"v\"=dword:00000001\n\n"
	                       "[" HKLM_SYSTEM "\\K\\Old\\Deeper]\n\n");
	ASSERT_OK(hive_edits_set_dword(&l, "k", "change", 3));
	ASSERT_OK(hive_edits_delete_value(&l, "K", "Drop"));
	ASSERT_OK(hive_edits_set_sz(&l, "K", "", HIVE_T_SZ, "new default"));
	ASSERT_OK(hive_edits_delete_key(&l, "K\\Old"));
	ASSERT_OK(hive_edits_set_dword(&l, "K\\New\\Sub", "x", 9));
	out = apply_and_commit(p, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(p, 0, &a));
	ASSERT_OK(hive_open(out, 0, &b));
	diff = hive_test_diff(a, b, "HKLM\\SYS", &n);
	ASSERT_STREQ(diff, "Windows Registry Editor Version 5.00\n\n"
	                   "; was: \"Change\"=dword:00000002\n"
	                   "[HKLM\\SYS\\K]\n"
	                   "@=\"new default\"\n"
	                   "\"Change\"=dword:00000003\n"
	                   "\"Drop\"=-\n\n"
	                   "[HKLM\\SYS\\K\\New]\n\n"
	                   "[HKLM\\SYS\\K\\New\\Sub]\n"
	                   "\"x\"=dword:00000009\n\n"
	                   "[-HKLM\\SYS\\K\\Old]\n\n");
	ASSERT_EQ(n, 5);
	/* Identical hives: no difference. */
	free(diff);
	diff = hive_test_diff(a, a, "", &n);
	ASSERT_EQ(n, 0);
	ASSERT_STREQ(diff, "Windows Registry Editor Version 5.00\n\n");

	/* The diff is .reg text: merged into a, it gives b. */
	free(diff);
	diff = hive_test_diff(a, b, HKLM_SYSTEM, &n);
	ASSERT_OK(util_write_file_atomic(difffile, diff, strlen(diff)));
	ASSERT_OK(util_asprintf(&cmd,
	                        "hivexregedit --merge --prefix '%s' '%s' '%s'",
	                        HKLM_SYSTEM, p, difffile));
	ASSERT_EQ(hive_test_run(cmd), 0);
	ASSERT_OK(hive_open(p, 0, &c));
	again = hive_test_diff(c, b, HKLM_SYSTEM, &n);
	if (n != 0)
		TEST_FAIL("merged diff left differences:\n%s", again);
}

/* A hive with Select\Current = current (a .reg value text, NULL: no Select
 * key) and the keys in sets; checks hive_current_control_set(). */
static void
assert_control_set(const char *current, const char *sets, int expect_r,
                   const char *expect)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *reg = NULL, *p = NULL, *cs = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	int r;

	ASSERT_OK(util_strv_split(sets, " ", &names));
	if (current)
		ASSERT_OK(util_asprintf(&reg,
		                        "Windows Registry Editor Version 5.00"
		                        "\n\n[%s\\Select]\n\"Current\"=%s\n\n",
		                        HKLM_SYSTEM, current));
	else
		reg = strdup("Windows Registry Editor Version 5.00\n\n");
	STRV_FOREACH (n, names) {
		char *more;

		ASSERT_OK(util_asprintf(&more, "%s[%s\\%s]\n\n", reg,
		                        HKLM_SYSTEM, *n));
		free(reg);
		reg = more;
	}
	p = hive_test_from_reg(reg);
	ASSERT_OK(hive_open(p, 0, &h));
	r = hive_current_control_set(h, &cs);
	if (r != expect_r)
		TEST_FAIL("Current=%s, sets %s: returned %d, expected %d (%s)",
		          current ? current : "(no Select)", sets, r, expect_r,
		          hive_last_error(h) ? hive_last_error(h) : "-");
	if (expect)
		ASSERT_STREQ(cs, expect);
	else
		ASSERT_NOT_NULL(hive_last_error(h));
}

TEST(control_sets)
{
	assert_control_set("dword:00000001", "ControlSet001", 0,
	                   "ControlSet001");
	/* Current=0 (setup-time hive): the lowest set, flagged with 1 */
	assert_control_set("dword:00000000", "ControlSet002 ControlSet001", 1,
	                   "ControlSet001");
	/* Select missing: the lowest set, flagged with 1 */
	assert_control_set(NULL, "ControlSet003 controlset001", 1,
	                   "ControlSet001");
	/* 001 and 003: non-contiguous sets resolve exactly */
	assert_control_set("dword:00000003", "ControlSet001 ControlSet003", 0,
	                   "ControlSet003");
	/* Current names a missing set: -ENOENT, with a message */
	assert_control_set("dword:00000002", "ControlSet001 ControlSet003",
	                   -ENOENT, NULL);
	/* No control set at all */
	assert_control_set(NULL, "Other", -ENOENT, NULL);
	/* Current is not a DWORD */
	assert_control_set("\"1\"", "ControlSet001", -EMEDIUMTYPE, NULL);
	/* ControlSet000 and odd names are not control sets */
	assert_control_set(NULL, "ControlSet000 ControlSet01 ControlSetABC",
	                   -ENOENT, NULL);
}

TEST(multi_sz_codec)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ uint8_t *enc = NULL;
	char *empty[] = {NULL};
	size_t len;

	ASSERT_OK(hive_decode_multi_sz(
	        (const uint8_t *)"a\0\0\0\0\0b\0\0\0\0\0", 12, &l));
	ASSERT_EQ(util_strv_length(l), 3);
	ASSERT_STREQ(l[1], "");
	ASSERT_OK(hive_encode_multi_sz(l, &enc, &len));
	ASSERT_EQ(len, 12);
	ASSERT_MEMEQ(enc, "a\0\0\0\0\0b\0\0\0\0\0", 12);
	l = util_strv_free(l);
	/* Missing terminators and an odd byte are tolerated. */
	ASSERT_OK(
	        hive_decode_multi_sz((const uint8_t *)"a\0\0\0b\0c\0X", 9, &l));
	ASSERT_EQ(util_strv_length(l), 2);
	ASSERT_STREQ(l[1], "bc");
	l = util_strv_free(l);
	ASSERT_OK(hive_decode_multi_sz((const uint8_t *)"", 0, &l));
	ASSERT_EQ(util_strv_length(l), 0);
	l = util_strv_free(l);
	ASSERT_OK(hive_decode_multi_sz((const uint8_t *)"\0\0\0\0\0\0", 6, &l));
	ASSERT_EQ(util_strv_length(l), 0);
	free(enc);
	ASSERT_OK(hive_encode_multi_sz(empty, &enc, &len));
	ASSERT_EQ(len, 2);
}

TEST(dirty_hive)
{
	_cleanup_free_ char *p = hive_test_seed(), *buf = NULL, *err = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	size_t len;

	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	util_put_le32(buf + 8, util_le32(buf + 4) + 1);
	/* Keep the header checksum (XOR of its first 127 dwords) valid. */
	{
		uint32_t sum = 0;

		for (size_t i = 0; i < 0x1fc; i += 4)
			sum ^= util_le32(buf + i);
		util_put_le32(buf + 0x1fc, sum);
	}
	ASSERT_OK(util_write_file_atomic(p, buf, len));
	ASSERT_ERR(hive_open_full(p, HIVE_OPEN_WRITE, &h, &err), -EUCLEAN);
	ASSERT_NULL(h);
	ASSERT_NOT_NULL(strstr(err, "dirty"));
	ASSERT_NOT_NULL(strstr(err, ".LOG1"));
	ASSERT_NOT_NULL(strstr(err, "were not replayed"));
	ASSERT_OK(hive_open(p, 0, &h));
	ASSERT_TRUE(hive_is_dirty(h));
	ASSERT_OK(hive_key_exists(h, ""));
	h = hive_free(h);
	/* the explicit opt-in (imgfix fix --force dirty-hive) */
	ASSERT_OK(hive_open(p, HIVE_OPEN_WRITE | HIVE_OPEN_DIRTY_OK, &h));
	ASSERT_TRUE(hive_is_dirty(h));
	/* what it writes is a clean hive */
	{
		_cleanup_free_ char *out = hive_test_path("committed");

		ASSERT_OK(hive_commit(h, out));
		h = hive_free(h);
		ASSERT_OK(hive_open(out, HIVE_OPEN_WRITE, &h));
		ASSERT_TRUE(!hive_is_dirty(h));
	}
}

static void
assert_bad_file(const char *path, int expect, const char *words)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = hive_open_full(path, HIVE_OPEN_WRITE, &h, &err);
	if (r != expect)
		TEST_FAIL("%s: hive_open returned %d, expected %d (%s)", path,
		          r, expect, err ? err : "-");
	ASSERT_NULL(h);
	ASSERT_NOT_NULL(err);
	ASSERT_NOT_NULL(strstr(err, path));
	if (!strstr(err, words))
		TEST_FAIL("message '%s' does not say '%s'", err, words);
}

TEST(garbage_truncated_empty)
{
	_cleanup_free_ char *seed = hive_test_seed(), *buf = NULL;
	_cleanup_free_ char *empty = hive_test_path("empty");
	_cleanup_free_ char *garbage = hive_test_path("garbage");
	_cleanup_free_ char *regf = hive_test_path("regf-garbage");
	_cleanup_free_ char *trunc = hive_test_path("truncated");
	_cleanup_free_ char *small = hive_test_path("small");
	_cleanup_free_ char *missing = hive_test_path("missing");
	_cleanup_free_ char *fifo = hive_test_path("fifo");
	uint8_t junk[16384];
	size_t len;
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (uint8_t)(x >> 16);
	}
	ASSERT_OK(util_write_file_atomic(empty, "", 0));
	assert_bad_file(empty, -EBADMSG, "empty");
	ASSERT_OK(util_write_file_atomic(garbage, junk, sizeof(junk)));
	assert_bad_file(garbage, -EBADMSG, "not a registry hive");
	ASSERT_OK(util_write_file_atomic(small, "regf", 4));
	assert_bad_file(small, -EBADMSG, "too short");
	memcpy(junk, "regf", 4);
	util_put_le32(junk + 0x28, sizeof(junk) - 4096);
	ASSERT_OK(util_write_file_atomic(regf, junk, sizeof(junk)));
	assert_bad_file(regf, -EBADMSG, "corrupt");
	ASSERT_OK(util_read_file(seed, 1 << 20, &buf, &len));
	ASSERT_OK(util_write_file_atomic(trunc, buf, 4096 + 100));
	assert_bad_file(trunc, -EBADMSG, "too short");
	free(buf);
	buf = NULL;
	free(seed);
	seed = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                          "[" HKLM_SYSTEM "\\A]\n\"v\"=dword:00000001\n"
	                          "\n[" HKLM_SYSTEM "\\B]\n\n");
	ASSERT_OK(util_read_file(seed, 1 << 20, &buf, &len));
	ASSERT_TRUE(len > 8192);
	ASSERT_OK(util_write_file_atomic(trunc, buf, len - 4096));
	assert_bad_file(trunc, -EBADMSG, "truncated");
	assert_bad_file(missing, -ENOENT, "No such file");
	assert_bad_file(tests_tmpdir(), -EISDIR, "directory");
	ASSERT_TRUE(mkfifo(fifo, 0600) == 0);
	assert_bad_file(fifo, -EBADMSG, "not a regular file");
}

/* Every 3rd byte of a small hive flipped in turn: open and export must fail
 * cleanly or succeed, never crash (run under ASan/UBSan too). */
TEST(corrupted_bytes_do_not_crash)
{
	_cleanup_free_ char *p = NULL, *buf = NULL, *mut = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int opened = 0, failed = 0;

	p = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                       "[" HKLM_SYSTEM "\\A]\n\n"
	                       "[" HKLM_SYSTEM "\\A\\B]\n"
	                       "\"v\"=dword:00000001\n"
	                       "\"s\"=\"some text here\"\n"
	                       "\"m\"=hex(7):61,00,00,00,00,00\n\n"
	                       "[" HKLM_SYSTEM "\\A\\C]\n\"x\"=hex:01,02\n\n");
	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	/* The mutants live in memory (hivex opens them by /proc path). */
	fd = memfd_create("hive-mutant", MFD_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, buf, len, 0), (ssize_t)len);
	ASSERT_OK(util_asprintf(&mut, "/proc/self/fd/%d", fd));
	for (size_t off = 4096; off < len; off += 3) {
		_cleanup_(hive_freep) struct hive *h = NULL;
		_cleanup_free_ char *out = NULL, *cs = NULL;
		size_t olen = 0;
		FILE *f;
		char flipped = (char)(buf[off] ^ 0xa5);

		ASSERT_EQ(pwrite(fd, &flipped, 1, (off_t)off), 1);
		if (hive_open(mut, 0, &h) < 0)
			failed++;
		else {
			opened++;
			f = open_memstream(&out, &olen);
			ASSERT_NOT_NULL(f);
			if (hive_export_reg(h, "", "", f) < 0)
				ASSERT_NOT_NULL(hive_last_error(h));
			fclose(f);
			(void)hive_current_control_set(h, &cs);
		}
		ASSERT_EQ(pwrite(fd, buf + off, 1, (off_t)off), 1);
	}
	ASSERT_TRUE(opened > 0);
	ASSERT_TRUE(failed > 0);
}

/* Offset in the file of the nk record of the key named name (unique). */
static size_t
find_nk(const char *buf, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 4096 + 80; i + n <= len; i++)
		if (memcmp(buf + i, name, n) == 0 &&
		    memcmp(buf + i - 80 + 4, "nk", 2) == 0 &&
		    util_le16(buf + i - 80 + 76) == n)
			return i - 80;
	TEST_FAIL("nk record of %s not found", name);
}

static void
assert_export_loops(const char *path, const char *words)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *out = NULL;
	size_t olen = 0;
	FILE *f;

	ASSERT_OK(hive_open(path, 0, &h));
	f = open_memstream(&out, &olen);
	ASSERT_NOT_NULL(f);
	ASSERT_ERR(hive_export_reg(h, "", "", f), -ELOOP);
	fclose(f);
	if (!strstr(hive_last_error(h), words))
		TEST_FAIL("'%s' does not say '%s'", hive_last_error(h), words);
}

/* Subkey lists that share a key or point back up: -ELOOP, not a hang. */
TEST(shared_and_cyclic_subkeys)
{
	_cleanup_free_ char *p = NULL, *buf = NULL;
	_cleanup_free_ char *shared = hive_test_path("shared");
	_cleanup_free_ char *cycle = hive_test_path("cycle");
	size_t len, a, lh;

	p = hive_test_from_reg("Windows Registry Editor Version 5.00\n\n"
	                       "[" HKLM_SYSTEM "\\CycleA]\n\n"
	                       "[" HKLM_SYSTEM "\\CycleA\\XkeyX]\n\n"
	                       "[" HKLM_SYSTEM "\\CycleA\\YkeyY]\n\n");
	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	a = find_nk(buf, len, "CycleA");
	lh = util_le32(buf + a + 32) + 4096;
	ASSERT_TRUE(lh + 24 <= len);
	ASSERT_TRUE(memcmp(buf + lh + 4, "lh", 2) == 0);
	ASSERT_EQ(util_le16(buf + lh + 6), 2);

	/* YkeyY's entry points at XkeyX: XkeyX is reached twice. */
	memcpy(buf + lh + 16, buf + lh + 8, 8);
	ASSERT_OK(util_write_file_atomic(shared, buf, len));
	assert_export_loops(shared, "reached twice");

	/* XkeyX's entry points at CycleA itself: a cycle. */
	free(buf);
	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	util_put_le32(buf + lh + 8, (uint32_t)(a - 4096));
	ASSERT_OK(util_write_file_atomic(cycle, buf, len));
	assert_export_loops(cycle, "cycle");
}

/* Keys with many subkeys are looked up through a sorted cache: hits in any
 * case, misses between and beyond the names, and the cache follows keys
 * created and deleted by edits on the same open handle. */
TEST(lookup_under_big_keys)
{
	_cleanup_free_ char *seed = hive_test_seed(), *out = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	struct hive_edits l = {0};
	size_t failed = SIZE_MAX;
	uint32_t dw;
	char key[64];

	/* 100 subkeys, made in an order that is not the sorted one */
	for (unsigned i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "Big\\Svc%03u", (i * 37) % 100);
		ASSERT_OK(
		        hive_edits_set_dword(&l, key, "Start", (i * 37) % 100));
	}
	out = apply_and_commit(seed, &l);
	hive_edits_done(&l);

	ASSERT_OK(hive_open(out, HIVE_OPEN_WRITE, &h));
	for (unsigned i = 0; i < 100; i++) {
		snprintf(key, sizeof(key),
		         i % 2 ? "BIG\\svc%03u" : "big\\SVC%03u", i);
		ASSERT_OK(hive_get_dword(h, key, "Start", &dw));
		ASSERT_EQ(dw, i);
	}
	ASSERT_ERR(hive_key_exists(h, "Big\\Svc"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "Big\\Svc0505"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "Big\\Svc100"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "Big\\AAA"), -ENOENT);
	ASSERT_ERR(hive_key_exists(h, "Big\\zzz"), -ENOENT);

	/* the cache of Big is filled now: create through it ... */
	ASSERT_OK(hive_edits_set_dword(&l, "Big\\Svc100", "Start", 100));
	ASSERT_OK(hive_edits_set_dword(&l, "Big\\Svc050\\Sub", "Start", 7));
	ASSERT_OK(hive_apply_edits(h, l.v, l.n, &failed));
	hive_edits_done(&l);
	ASSERT_OK(hive_get_dword(h, "big\\svc100", "Start", &dw));
	ASSERT_EQ(dw, 100u);
	ASSERT_OK(hive_get_dword(h, "Big\\Svc050\\SUB", "Start", &dw));
	ASSERT_EQ(dw, 7u);
	/* ... and delete */
	ASSERT_OK(hive_edits_delete_key(&l, "Big\\Svc042"));
	ASSERT_OK(hive_edits_set_dword(&l, "Big\\Svc042", "Start", 4242));
	ASSERT_OK(hive_edits_delete_key(&l, "Big\\Svc043"));
	ASSERT_OK(hive_apply_edits(h, l.v, l.n, &failed));
	hive_edits_done(&l);
	ASSERT_OK(hive_get_dword(h, "Big\\Svc042", "Start", &dw));
	ASSERT_EQ(dw, 4242u);
	ASSERT_ERR(hive_key_exists(h, "Big\\Svc043"), -ENOENT);
	ASSERT_OK(hive_get_dword(h, "Big\\Svc044", "Start", &dw));
	ASSERT_EQ(dw, 44u);
}
