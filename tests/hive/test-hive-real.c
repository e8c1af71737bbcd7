/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hive/ on the real hives of the corpus: the clean Windows 10 19041 SYSTEM
 * hive (11 MiB) and the dirty Windows 10 1709 one.  Unpacked with xz into
 * the test's temp dir; skipped (77) without the corpus.
 */
#include "tests.h"
#include "hive-test-util.h"

static char *
unpack(const char *rel, const char *tag)
{
	_cleanup_free_ char *xz = tests_corpus(rel), *cmd = NULL;
	char *p = hive_test_path(tag);

	ASSERT_OK(util_asprintf(&cmd, "xz -dc '%s' > '%s'", xz, p));
	ASSERT_EQ(hive_test_run(cmd), 0);
	return p;
}

static const char *
win10_system(void)
{
	static char *p;

	if (!p)
		p = unpack("hives/win10-19041/SYSTEM.xz", "SYSTEM");
	return p;
}

/* ---- a .reg normaliser for comparing exports ---------------------------- */

/*
 * Turns .reg text into one record per key ("K path") and per value
 * ("V path\tname\ttype\thex-bytes"), whatever notation the writer chose:
 * "text" / dword: / hex: / hex(N):, continuation lines, and the root written
 * as "[PREFIX\]" (hivexregedit) or "[PREFIX]" (imgfix).
 */
struct records {
	char **v;
	size_t n, allocated;
};

static void
records_add(struct records *r, char *s)
{
	if (r->n == r->allocated) {
		r->allocated = r->allocated ? r->allocated * 2 : 1024;
		r->v = realloc(r->v, r->allocated * sizeof(char *));
		ASSERT_NOT_NULL(r->v);
	}
	r->v[r->n++] = s;
}

static void
records_free(struct records *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses a quoted .reg string at *p (after the opening quote). */
static char *
parse_quoted(const char **p)
{
	char *out = malloc(strlen(*p) + 1);
	size_t o = 0;
	const char *s = *p;

	ASSERT_NOT_NULL(out);
	while (*s && *s != '"') {
		if (*s == '\\' && s[1])
			s++;
		out[o++] = *s++;
	}
	ASSERT_TRUE(*s == '"');
	out[o] = '\0';
	*p = s + 1;
	return out;
}

static void
append_hex(char **hex, size_t *len, size_t *allocated, uint8_t b)
{
	if (*len + 3 > *allocated) {
		*allocated = *allocated ? *allocated * 2 : 256;
		*hex = realloc(*hex, *allocated);
		ASSERT_NOT_NULL(*hex);
	}
	snprintf(*hex + *len, 3, "%02x", b);
	*len += 2;
}

static void
normalize_value(struct records *r, const char *key, const char *line)
{
	_cleanup_free_ char *name = NULL, *hex = NULL, *rec = NULL;
	size_t hl = 0, ha = 0;
	unsigned type;
	const char *p = line;

	if (p[0] == '@') {
		name = strdup("");
		p++;
	} else {
		ASSERT_TRUE(p[0] == '"');
		p++;
		name = parse_quoted(&p);
	}
	ASSERT_TRUE(*p == '=');
	p++;
	append_hex(&hex, &hl, &ha, 0); /* non-NULL even when empty */
	hl = 0;
	hex[0] = '\0';
	if (util_startswith(p, "dword:")) {
		uint32_t v = (uint32_t)strtoul(p + 6, NULL, 16);

		type = 4;
		for (int i = 0; i < 4; i++)
			append_hex(&hex, &hl, &ha, (uint8_t)(v >> (8 * i)));
	} else if (p[0] == '"') {
		_cleanup_free_ char *s = NULL;

		p++;
		s = parse_quoted(&p);
		type = 1;
		for (const char *c = s; *c; c++) {
			ASSERT_TRUE((unsigned char)*c < 0x80);
			append_hex(&hex, &hl, &ha, (uint8_t)*c);
			append_hex(&hex, &hl, &ha, 0);
		}
		append_hex(&hex, &hl, &ha, 0);
		append_hex(&hex, &hl, &ha, 0);
	} else {
		if (util_startswith(p, "hex:")) {
			type = 3;
			p += 4;
		} else {
			ASSERT_TRUE(util_startswith(p, "hex("));
			type = (unsigned)strtoul(p + 4, (char **)&p, 16);
			ASSERT_TRUE(util_startswith(p, "):"));
			p += 2;
		}
		while (*p) {
			char *end;
			unsigned long b;

			if (*p == ',' || *p == ' ') {
				p++;
				continue;
			}
			b = strtoul(p, &end, 16);
			ASSERT_TRUE(end == p + 2 && b < 256);
			append_hex(&hex, &hl, &ha, (uint8_t)b);
			p = end;
		}
	}
	ASSERT_OK(
	        util_asprintf(&rec, "V %s\t%s\t%x\t%s", key, name, type, hex));
	records_add(r, TAKE_PTR(rec));
}

static void
normalize(const char *text, struct records *r)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	ASSERT_NOT_NULL(copy);
	/* Join continuation lines: "\\\n  " disappears. */
	for (char *s = copy, *d = copy;; s++) {
		if (s[0] == '\\' && s[1] == '\n') {
			s += 2;
			while (*s == ' ')
				s++;
			s--;
			continue;
		}
		*d++ = *s;
		if (!*s)
			break;
	}
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *rec;
		size_t n;

		if (line[0] == '\0' || util_startswith(line, "Windows Reg"))
			continue;
		if (line[0] == '[') {
			n = strlen(line);
			ASSERT_TRUE(n >= 2 && line[n - 1] == ']');
			line[n - 1] = '\0';
			if (n >= 3 && line[n - 2] == '\\')
				line[n - 2] = '\0';
			free(key);
			key = strdup(line + 1);
			ASSERT_OK(util_asprintf(&rec, "K %s", key));
			records_add(r, rec);
			continue;
		}
		ASSERT_NOT_NULL(key);
		normalize_value(r, key, line);
	}
	qsort(r->v, r->n, sizeof(char *), cmp_str);
}

TEST(export_matches_hivexregedit)
{
	_cleanup_free_ char *theirs_path = hive_test_path("hivexregedit");
	_cleanup_free_ char *cmd = NULL, *theirs = NULL, *ours = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	struct records a = {0}, b = {0};
	size_t keys = 0;

	ASSERT_OK(util_asprintf(&cmd,
	                        "hivexregedit --export --prefix '%s' '%s' "
	                        "'\\' > '%s'",
	                        HKLM_SYSTEM, win10_system(), theirs_path));
	ASSERT_EQ(hive_test_run(cmd), 0);
	theirs = hive_test_read(theirs_path);
	ASSERT_OK(hive_open(win10_system(), 0, &h));
	ours = hive_test_export(h, "", HKLM_SYSTEM);
	normalize(theirs, &a);
	normalize(ours, &b);
	for (size_t i = 0; i < MIN(a.n, b.n); i++) {
		if (!streq(a.v[i], b.v[i]))
			TEST_FAIL(
			        "record %zu differs:\n hivexregedit: %.200s\n "
			        "imgfix:       %.200s",
			        i, a.v[i], b.v[i]);
		if (a.v[i][0] == 'K')
			keys++;
	}
	ASSERT_EQ(a.n, b.n);
	/* The hive has ~33k keys and ~74k values: a real comparison. */
	ASSERT_TRUE(keys > 30000);
	ASSERT_TRUE(a.n > 100000);
	records_free(&a);
	records_free(&b);
}

TEST(control_set)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *cs = NULL, *s = NULL;

	ASSERT_OK(hive_open(win10_system(), 0, &h));
	ASSERT_EQ(hive_current_control_set(h, &cs), 0);
	ASSERT_STREQ(cs, "ControlSet001");
	ASSERT_OK(hive_get_string(h, "controlset001\\services\\DISK",
	                          "ImagePath", &s));
	ASSERT_STREQ(s, "System32\\drivers\\disk.sys");
	ASSERT_TRUE(!hive_is_dirty(h));
}

TEST(dirty_1709_refused_for_writing)
{
	_cleanup_free_ char *p =
	        unpack("hives/win10-1709-dirty/SYSTEM.xz", "DIRTY");
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *err = NULL, *cs = NULL;

	ASSERT_ERR(hive_open_full(p, HIVE_OPEN_WRITE, &h, &err), -EUCLEAN);
	ASSERT_NULL(h);
	ASSERT_NOT_NULL(strstr(err, "is dirty"));
	ASSERT_NOT_NULL(strstr(err, "1622 and 1621"));
	ASSERT_NOT_NULL(strstr(err, ".LOG1/.LOG2"));
	ASSERT_NOT_NULL(strstr(err, "were not replayed"));
	/* Reading is allowed; the caller warns. */
	ASSERT_OK(hive_open(p, 0, &h));
	ASSERT_TRUE(hive_is_dirty(h));
	ASSERT_EQ(hive_current_control_set(h, &cs), 0);
	ASSERT_STREQ(cs, "ControlSet001");
}

#define CLASS_DISK                                                 \
	"ControlSet001\\Control\\Class\\{4d36e967-e325-11ce-bfc1-" \
	"08002be10318}"

static void
real_edits(struct hive_edits *l)
{
	char *items[] = {"viostor.inf", NULL};
	uint8_t q[8] = {8, 7, 6, 5, 4, 3, 2, 1}, bin[3] = {0xca, 0xfe, 0x00};
	const char *svc = "ControlSet001\\Services\\viostor";

	ASSERT_OK(hive_edits_set_origin(l, "test"));
	ASSERT_OK(hive_edits_set_dword(l, svc, "Type", 1));
	ASSERT_OK(hive_edits_set_dword(l, svc, "Start", 0));
	ASSERT_OK(hive_edits_set_dword(l, svc, "ErrorControl", 1));
	ASSERT_OK(
	        hive_edits_set_sz(l, svc, "Group", HIVE_T_SZ, "SCSI miniport"));
	ASSERT_OK(hive_edits_set_sz(l, svc, "ImagePath", HIVE_T_EXPAND_SZ,
	                            "System32\\drivers\\viostor.sys"));
	ASSERT_OK(hive_edits_set_multi_sz(l, svc, "Owners", items));
	ASSERT_OK(hive_edits_set_dword(
	        l, "ControlSet001\\Services\\viostor\\Parameters\\PnpInterface",
	        "5", 1));
	ASSERT_OK(hive_edits_set_dword(l, "ControlSet001\\Services\\ATAPI",
	                               "start", 3));
	ASSERT_OK(
	        hive_edits_multi_sz_add(l, CLASS_DISK, "UpperFilters", "vio"));
	ASSERT_OK(hive_edits_multi_sz_remove(l, CLASS_DISK, "upperfilters",
	                                     "PARTMGR"));
	ASSERT_OK(hive_edits_delete_value(l, "ControlSet001\\Services\\disk",
	                                  "AutoRunAlwaysDisable"));
	ASSERT_OK(hive_edits_create_key(l, "ImgfixTest\\A\\B"));
	ASSERT_OK(hive_edits_delete_key(l, "imgfixtest\\a"));
	ASSERT_OK(hive_edits_set_dword(l, "ControlSet001\\Services\\disk",
	                               "Start", 3));
	l->v[l->n - 1].no_clobber = true;
	ASSERT_OK(hive_edits_set_dword(l, "ControlSet001\\Services\\disk",
	                               "TimeOutValue", 0x41));
	ASSERT_OK(hive_edits_delete_value(l, "ControlSet001\\Services\\disk",
	                                  "NoSuchValue"));
	ASSERT_OK(hive_edits_delete_key(l, "ControlSet001\\NoSuchKey"));
	ASSERT_OK(hive_edits_set(l, "ImgfixTest", "Q", HIVE_T_QWORD, q, 8));
	ASSERT_OK(hive_edits_set(l, "ImgfixTest", "B", HIVE_T_BINARY, bin, 3));
	ASSERT_OK(
	        hive_edits_multi_sz_add(l, CLASS_DISK, "UpperFilters", "VIO"));
	ASSERT_EQ(l->n, 20);
}

TEST(edit_commit_reopen_diff_shows_exactly_the_edit)
{
	_cleanup_free_ char *out = hive_test_path("edited"), *diff = NULL;
	_cleanup_free_ char *golden = NULL, *gp = NULL, *cmd = NULL;
	_cleanup_free_ char *difffile = hive_test_path("diff"), *again = NULL;
	_cleanup_free_ char *copy = hive_test_path("copy");
	_cleanup_(hive_freep) struct hive *h = NULL, *a = NULL, *b = NULL;
	struct hive_edits l = {0};
	size_t failed = SIZE_MAX;
	int n, r;

	real_edits(&l);
	ASSERT_OK(hive_open(win10_system(), HIVE_OPEN_WRITE, &h));
	r = hive_apply_edits(h, l.v, l.n, &failed);
	if (r < 0)
		TEST_FAIL("edit %zu failed: %s", failed, hive_last_error(h));
	ASSERT_OK(hive_commit(h, out));
	hive_edits_done(&l);
	h = hive_free(h);

	ASSERT_OK(hive_open(win10_system(), 0, &a));
	ASSERT_OK(hive_open(out, 0, &b));
	ASSERT_TRUE(!hive_is_dirty(b));
	diff = hive_test_diff(a, b, HKLM_SYSTEM, &n);
	ASSERT_OK(util_asprintf(&gp, "%s/tests/hive/golden/win10-edit.diff.reg",
	                        tests_srcdir()));
	golden = hive_test_read(gp);
	if (!streq(diff, golden))
		TEST_FAIL("diff differs from %s:\n%s", gp, diff);
	ASSERT_EQ(n, 5);

	/* Merged into a copy of the original, the diff gives the same hive. */
	hive_test_copy(win10_system(), copy);
	ASSERT_OK(util_write_file_atomic(difffile, diff, strlen(diff)));
	ASSERT_OK(util_asprintf(&cmd,
	                        "hivexregedit --merge --prefix '%s' '%s' '%s'",
	                        HKLM_SYSTEM, copy, difffile));
	ASSERT_EQ(hive_test_run(cmd), 0);
	a = hive_free(a);
	ASSERT_OK(hive_open(copy, 0, &a));
	again = hive_test_diff(a, b, HKLM_SYSTEM, &n);
	if (n != 0)
		TEST_FAIL("merged diff left differences:\n%s", again);
}

TEST(truncated_real_hive)
{
	_cleanup_free_ char *buf = NULL, *cut = hive_test_path("cut");
	_cleanup_free_ char *err = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	size_t len, half;
	uint32_t sum = 0;

	ASSERT_OK(
	        util_read_file(win10_system(), HIVE_MAX_FILE_SIZE, &buf, &len));
	half = (len / 2) & ~(size_t)4095;
	ASSERT_OK(util_write_file_atomic(cut, buf, half));
	ASSERT_ERR(hive_open_full(cut, 0, &h, &err), -EBADMSG);
	ASSERT_NOT_NULL(strstr(err, "truncated"));

	/* Header patched to claim the shorter size: hivex opens it, and
	 * walking into the missing half fails cleanly. */
	util_put_le32(buf + 0x28, (uint32_t)(half - 4096));
	for (size_t i = 0; i < 0x1fc; i += 4)
		sum ^= util_le32(buf + i);
	util_put_le32(buf + 0x1fc, sum);
	ASSERT_OK(util_write_file_atomic(cut, buf, half));
	if (hive_open(cut, 0, &h) == 0) {
		char *out = NULL;
		size_t olen = 0;
		FILE *f = open_memstream(&out, &olen);
		int r;

		ASSERT_NOT_NULL(f);
		r = hive_export_reg(h, "", "", f);
		fclose(f);
		free(out);
		ASSERT_TRUE(r < 0);
		ASSERT_NOT_NULL(hive_last_error(h));
	}
}
