/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libguestfs loaded on first use (fixup/image/guestfs-dl.h), no appliance
 * needed: the executable (linked like imgfix) starts without libguestfs;
 * a missing library ($IMGFIX_LIBGUESTFS pointing nowhere) or one without
 * the symbols is a clear error naming the library, from the API and from
 * `imgfix inspect`; the real library resolves every symbol, once, and its
 * functions (a variadic one included) work through the pointers.
 *
 * Run by name: the unit suite runs every test but raw_ntfs, in file order
 * (the failures before the load: a loaded library stays loaded); the image
 * suite runs raw_ntfs alone, in a process that must never load libguestfs.
 */
#include <dlfcn.h>
#include <sys/wait.h>

#include "tests.h"
#include "image/guestfs-dl.h"
#include "image/volume-ext.h"
#include "image/volume-guestfs.h"
#include "image/volume.h"

#define MISSING_LIB "/nonexistent/libguestfs-imgfix-test.so.0"

static bool
loaded(void)
{
	void *h = dlopen(FIXUP_GUESTFS_DL_LIBRARY, RTLD_LAZY | RTLD_NOLOAD);

	if (!h)
		return false;
	dlclose(h);
	return true;
}

#define COUNT_NULL(f) n += sym_##f == NULL;
static size_t
n_unresolved(void)
{
	size_t n = 0;

	FIXUP_GUESTFS_DL_SYMBOLS(COUNT_NULL)
	return n;
}
#undef COUNT_NULL

#define COUNT_ALL(f) n++;
static size_t
n_symbols(void)
{
	size_t n = 0;

	FIXUP_GUESTFS_DL_SYMBOLS(COUNT_ALL)
	return n;
}
#undef COUNT_ALL

static void
assert_detail_has(const char *needle)
{
	const char *d = fixup_error_detail();

	if (!d || !strstr(d, needle))
		TEST_FAIL("error detail \"%s\" lacks \"%s\"", d ? d : "(none)",
		          needle);
}

/* Runs `imgfix args` (environment inherited); returns its exit status and
 * its stderr in *ret_err. */
static int
run_imgfix(const char *args, char **ret_err)
{
	_cleanup_free_ char *cmd = NULL, *err = NULL;
	int st;

	err = util_path_join(tests_tmpdir(), "imgfix.err");
	ASSERT_NOT_NULL(err);
	ASSERT_OK(util_asprintf(&cmd, "'%s' %s >/dev/null 2>'%s'",
	                        tests_build_exe("fixup/imgfix"), args, err));
	st = system(cmd);
	if (!WIFEXITED(st))
		TEST_FAIL("%s: did not exit", cmd);
	ASSERT_OK(util_read_file(err, 1024 * 1024, ret_err, NULL));
	return WEXITSTATUS(st);
}

static void
assert_has(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		TEST_FAIL("\"%s\" lacks \"%s\"", s, needle);
}

/* A file given to the guestfs road explicitly: libguestfs is never
 * reached when it cannot be loaded. */
static char *
qcow2_file(void)
{
	static const char header[16] = "QFI\xfb\0\0\0\3";
	char buf[4096] = {0};
	char *p = util_path_join(tests_tmpdir(), "disk.qcow2");

	ASSERT_NOT_NULL(p);
	memcpy(buf, header, sizeof(header));
	ASSERT_OK(util_write_file_atomic(p, buf, sizeof(buf)));
	return p;
}

/* A raw file the direct road probes but only the guestfs road opens: a
 * LUKS1 header and nothing else (libblkid: crypto_LUKS). */
static char *
luks_file(void)
{
	static const char header[8] = "LUKS\xba\xbe\0\1";
	char buf[64 * 1024] = {0};
	char *p = util_path_join(tests_tmpdir(), "luks.img");

	ASSERT_NOT_NULL(p);
	memcpy(buf, header, sizeof(header));
	ASSERT_OK(util_write_file_atomic(p, buf, sizeof(buf)));
	return p;
}

TEST(not_linked)
{
	ASSERT_TRUE(!loaded());
	ASSERT_EQ(n_unresolved(), n_symbols());
	ASSERT_TRUE(n_symbols() >= 50);
}

TEST(missing_library)
{
	_cleanup_free_ char *img = qcow2_file(), *luks = luks_file();
	struct fixup_guestfs *g = NULL;
	struct fixup_image *fi = NULL;

	ASSERT_OK(setenv(FIXUP_GUESTFS_DL_ENV, MISSING_LIB, 1));
	fixup_clear_error();
	ASSERT_ERR(fixup_guestfs_dl_open(), -EOPNOTSUPP);
	assert_detail_has("the guestfs backend needs libguestfs (" MISSING_LIB
	                  ": ");
	assert_detail_has("install libguestfs0");
	ASSERT_EQ(n_unresolved(), n_symbols());

	/* Not cached: the next call tries again, and fails the same. */
	fixup_clear_error();
	ASSERT_ERR(fixup_guestfs_dl_open(), -EOPNOTSUPP);
	assert_detail_has(MISSING_LIB);

	/* Through the backend and the image layer, both roads. */
	ASSERT_ERR(fixup_guestfs_open(img, NULL, NULL, NULL, 0, &g),
	           -EOPNOTSUPP);
	ASSERT_NULL(g);
	assert_detail_has(MISSING_LIB);
	ASSERT_ERR(fixup_image_open_opts(img, FIXUP_OPEN_GUESTFS, NULL, &fi),
	           -EOPNOTSUPP);
	assert_detail_has(MISSING_LIB);
	ASSERT_ERR(fixup_image_open_opts(luks, 0, NULL, &fi), -EOPNOTSUPP);
	assert_detail_has("the guestfs road failed: the guestfs backend needs "
	                  "libguestfs (" MISSING_LIB);
	ASSERT_NULL(fi);
	ASSERT_TRUE(!loaded());
}

TEST(missing_symbol)
{
	/* A library that is there but is no libguestfs. */
	ASSERT_OK(setenv(FIXUP_GUESTFS_DL_ENV, "libm.so.6", 1));
	fixup_clear_error();
	ASSERT_ERR(fixup_guestfs_dl_open(), -EOPNOTSUPP);
	assert_detail_has("needs libguestfs 1.48 or later (libm.so.6: ");
	assert_detail_has("undefined symbol: guestfs_");
	assert_detail_has("install libguestfs0");
	ASSERT_EQ(n_unresolved(), n_symbols());
	ASSERT_TRUE(!loaded());
}

TEST(cli_missing_library)
{
	_cleanup_free_ char *img = qcow2_file(), *args = NULL, *err = NULL;

	ASSERT_OK(setenv(FIXUP_GUESTFS_DL_ENV, MISSING_LIB, 1));
	ASSERT_OK(util_asprintf(&args, "inspect --backend guestfs '%s'", img));
	ASSERT_EQ(run_imgfix(args, &err), 1);
	assert_has(err, "the guestfs backend needs libguestfs (" MISSING_LIB);
	assert_has(err, "install libguestfs0");
	free(err);
	free(args);

	/* The automatic road: LUKS goes to guestfs by itself. */
	free(img);
	img = luks_file();
	ASSERT_OK(util_asprintf(&args, "inspect '%s'", img));
	ASSERT_EQ(run_imgfix(args, &err), 1);
	assert_has(err, "the guestfs road failed: the guestfs backend needs "
	                "libguestfs (" MISSING_LIB);
}

TEST(loads)
{
	_cleanup_free_ char *raw = NULL;
	guestfs_h *g;
	void *h;
	int r;

	ASSERT_OK(unsetenv(FIXUP_GUESTFS_DL_ENV));
	fixup_clear_error();
	r = fixup_guestfs_dl_open();
	if (r < 0 && fixup_error_detail() &&
	    strstr(fixup_error_detail(), "cannot open shared object file"))
		TEST_SKIP("libguestfs not installed: %s", fixup_error_detail());
	ASSERT_OK(r);
	ASSERT_EQ(n_unresolved(), 0);
	ASSERT_TRUE(loaded());

	/* The pointers are the library's own functions (read through
	 * void **, as guestfs-dl.c writes them). */
	h = dlopen(FIXUP_GUESTFS_DL_LIBRARY, RTLD_LAZY | RTLD_NOLOAD);
	ASSERT_NOT_NULL(h);
#define SAME(f) ASSERT_TRUE(*(void **)&sym_##f == dlsym(h, #f));
	FIXUP_GUESTFS_DL_SYMBOLS(SAME)
#undef SAME
	dlclose(h);

	/* Loaded once: later calls neither reload nor look at the
	 * variable. */
	ASSERT_OK(setenv(FIXUP_GUESTFS_DL_ENV, MISSING_LIB, 1));
	ASSERT_OK(fixup_guestfs_dl_open());
	ASSERT_OK(unsetenv(FIXUP_GUESTFS_DL_ENV));

	/* A handle without an appliance; the variadic call passes its
	 * optional arguments through the pointer. */
	raw = util_path_join(tests_tmpdir(), "disk.raw");
	ASSERT_NOT_NULL(raw);
	ASSERT_OK(util_write_file_atomic(raw, "", 0));
	ASSERT_OK(truncate(raw, 1024 * 1024));
	g = sym_guestfs_create();
	ASSERT_NOT_NULL(g);
	sym_guestfs_set_error_handler(g, NULL, NULL);
	ASSERT_OK(sym_guestfs_set_verbose(g, 0));
	ASSERT_OK(sym_guestfs_add_drive_opts(
	        g, raw, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
	        GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1));
	ASSERT_EQ(sym_guestfs_add_drive_opts(g, raw,
	                                     GUESTFS_ADD_DRIVE_OPTS_FORMAT,
	                                     "no such format", -1),
	          -1);
	ASSERT_NOT_NULL(sym_guestfs_last_error(g));
	sym_guestfs_close(g);
}

/* Image suite: a raw NTFS image opens on the automatic road, through
 * libntfs-3g, without libguestfs (which is not even there). */
TEST(raw_ntfs)
{
	_cleanup_free_ char *img = NULL, *cmd = NULL, *args = NULL, *err = NULL;
	const struct fixup_disk_layout *l;
	struct fixup_image *fi = NULL;
	struct fixup_volume *v = NULL;
	struct fixup_stat st;
	int s;

	ASSERT_OK(setenv(FIXUP_GUESTFS_DL_ENV, MISSING_LIB, 1));
	img = util_path_join(tests_tmpdir(), "ntfs.img");
	ASSERT_NOT_NULL(img);
	ASSERT_OK(util_asprintf(&cmd,
	                        "'%s' -o '%s' --size 64M --mkdir /Users "
	                        ">/dev/null",
	                        tests_mkimage(), img));
	s = system(cmd);
	if (!WIFEXITED(s) || WEXITSTATUS(s) != 0)
		TEST_FAIL("mkimage failed: %s", cmd);

	ASSERT_OK(fixup_image_open_opts(img, 0, NULL, &fi));
	ASSERT_TRUE(!fixup_image_is_guestfs(fi));
	l = fixup_image_layout(fi);
	ASSERT_EQ(l->n_parts, 1);
	ASSERT_STREQ(l->parts[0].fstype, "ntfs");
	ASSERT_OK(fixup_image_open_volume(fi, 0, &v));
	ASSERT_STREQ(fixup_volume_backend(v), "ntfs3g");
	ASSERT_OK(fixup_volume_stat(v, "/Users", &st));
	ASSERT_TRUE(st.is_dir);
	ASSERT_OK(fixup_image_close_volumes(fi));
	fixup_image_free(fi);
	ASSERT_TRUE(!loaded());
	ASSERT_EQ(n_unresolved(), n_symbols());

	/* imgfix gets as far as inspection (no Windows, no Linux on it),
	 * with no word of libguestfs. */
	ASSERT_OK(util_asprintf(&args, "inspect '%s'", img));
	ASSERT_EQ(run_imgfix(args, &err), 1);
	assert_has(err, "no operating system found");
	if (strstr(err, "libguestfs"))
		TEST_FAIL("imgfix went to libguestfs: %s", err);
}
