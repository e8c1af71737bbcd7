/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cache: ingest of plain PE files, install-media folders, CAB archives
 * (made by gcab) and SZDD files (made by mscompress); the index lists name,
 * arch and version; duplicates are stored once; the index survives a
 * reopen; verify finds a corrupted object; bad inputs are clear errors.
 */
#include <dirent.h>

#include "tests.h"
#include "pcache-test-util.h"
#include "patchcache-internal.h"

static const struct pcache_entry *
entry(const struct pcache *c, const char *name, enum pcache_arch arch)
{
	for (size_t i = 0; i < pcache_n_entries(c); i++) {
		const struct pcache_entry *e = pcache_entry(c, i);

		if (streq(e->name, name) && e->arch == arch)
			return e;
	}
	return NULL;
}

static unsigned
count_objects(const char *cache)
{
	_cleanup_free_ char *objects = util_path_join(cache, "objects");
	unsigned n = 0;
	DIR *d = opendir(objects);
	struct dirent *de;

	ASSERT_NOT_NULL(d);
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		DIR *s;
		struct dirent *se;

		if (de->d_name[0] == '.')
			continue;
		sub = util_path_join(objects, de->d_name);
		s = opendir(sub);
		ASSERT_NOT_NULL(s);
		while ((se = readdir(s)))
			if (se->d_name[0] != '.')
				n++;
		closedir(s);
	}
	closedir(d);
	return n;
}

TEST(ingest_media_cab_szdd)
{
	_cleanup_free_ char *media = pt_dir("media/I386");
	_cleanup_free_ char *amd = pt_dir("media/AMD64");
	_cleanup_free_ char *src = pt_dir("src");
	_cleanup_free_ char *cachedir = util_path_join(tests_tmpdir(), "cache");
	_cleanup_free_ char *top = util_path_join(tests_tmpdir(), "media");
	_cleanup_free_ char *err = NULL, *cab = NULL;
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	struct pcache_add_stats st = {0};
	const struct pcache_entry *e;

	/* Install media: an SZDD-compressed HAL, a plain kernel, a
	 * DRIVER.CAB holding IDE drivers and an INF (skipped: not PE), and
	 * an AMD64 folder. */
	pt_mkpe(src, "i386", "5.1.2600.5512",
	        "halmacpi.dll ntoskrnl.exe atapi.sys pciide.sys");
	pt_mkpe(src, "amd64", "5.2.3790.3959", "ntkrnlmp.exe");
	pt_runf("cd '%s' && mscompress halmacpi.dll && "
	        "mv halmacpi.dll_ '%s/HALMACPI.DL_'",
	        src, media);
	/* The same file compressed again, its missing last letter stored in
	 * the SZDD header ('l'), under an extension the table does not
	 * know. */
	pt_runf("cd '%s' && cp halmacpi.dll hal2.dll && mscompress hal2.dll && "
	        "printf 'l' | dd of=hal2.dll_ bs=1 seek=9 conv=notrunc "
	        "status=none && mv hal2.dll_ '%s/HALMCP2.DL_'",
	        src, media);
	pt_runf("cp '%s/ntoskrnl.exe' '%s/NTOSKRNL.EXE'", src, media);
	pt_runf("cd '%s' && printf '[Version]\\n' > atapi.inf && "
	        "gcab -c -z '%s/DRIVER.CAB' atapi.sys pciide.sys atapi.inf",
	        src, media);
	pt_runf("cp '%s/ntkrnlmp.exe' '%s/'", src, amd);

	ASSERT_OK(pcache_open(cachedir, true, &c, &err));
	if (pcache_add(c, top, &st, &err) < 0)
		TEST_FAIL("add: %s", err);
	ASSERT_EQ(st.added, 6);
	ASSERT_EQ(st.skipped, 1); /* atapi.inf */
	/* hal2.dll has the same content as halmacpi.dll: one object. */
	ASSERT_EQ(st.objects_new, 5);
	ASSERT_EQ(pcache_n_entries(c), 6);

	e = entry(c, "halmacpi.dll", PCACHE_ARCH_I386);
	ASSERT_NOT_NULL(e);
	ASSERT_EQ(e->version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_NOT_NULL(entry(c, "halmcp2.dll", PCACHE_ARCH_I386));
	ASSERT_NOT_NULL(entry(c, "ntoskrnl.exe", PCACHE_ARCH_I386));
	ASSERT_NOT_NULL(entry(c, "atapi.sys", PCACHE_ARCH_I386));
	ASSERT_NOT_NULL(entry(c, "pciide.sys", PCACHE_ARCH_I386));
	e = entry(c, "ntkrnlmp.exe", PCACHE_ARCH_AMD64);
	ASSERT_NOT_NULL(e);
	ASSERT_EQ(e->version, PCACHE_VERSION(5, 2, 3790, 3959));
	ASSERT_EQ(count_objects(cachedir), 5);

	/* Adding everything again stores nothing new. */
	st = (struct pcache_add_stats){0};
	ASSERT_OK(pcache_add(c, top, &st, &err));
	ASSERT_EQ(st.added, 0);
	ASSERT_EQ(st.duplicates, 6);
	ASSERT_EQ(st.objects_new, 0);

	/* The same atapi.sys as a loose file: a duplicate too. */
	st = (struct pcache_add_stats){0};
	if (util_asprintf(&cab, "%s/atapi.sys", src) < 0)
		TEST_FAIL("OOM");
	ASSERT_OK(pcache_add(c, cab, &st, &err));
	ASSERT_EQ(st.duplicates, 1);
	ASSERT_EQ(pcache_n_entries(c), 6);
	c = pcache_free(c);

	/* Reopened: the index on disk says the same. */
	ASSERT_OK(pcache_open(cachedir, false, &c, &err));
	ASSERT_EQ(pcache_n_entries(c), 6);
	e = entry(c, "pciide.sys", PCACHE_ARCH_I386);
	ASSERT_NOT_NULL(e);
	ASSERT_EQ(e->version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_EQ(pcache_verify(c, NULL, NULL), 0);
}

static void
count_bad(const struct pcache_entry *e, const char *problem, void *userdata)
{
	unsigned *n = userdata;

	ASSERT_STREQ(e->name, "atapi.sys");
	ASSERT_TRUE(strstr(problem, "sha256") != NULL);
	(*n)++;
}

TEST(verify_detects_corruption)
{
	_cleanup_free_ char *src = pt_dir("vsrc");
	_cleanup_free_ char *cachedir =
	        util_path_join(tests_tmpdir(), "vcache");
	_cleanup_free_ char *err = NULL, *obj = NULL;
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	const struct pcache_entry *e;
	unsigned bad = 0;
	FILE *f;

	pt_mkpe(src, "i386", "5.1.2600.2180", "atapi.sys intelide.sys");
	ASSERT_OK(pcache_open(cachedir, true, &c, &err));
	ASSERT_OK(pcache_add(c, src, NULL, &err));
	ASSERT_EQ(pcache_verify(c, NULL, NULL), 0);
	e = entry(c, "atapi.sys", PCACHE_ARCH_I386);
	ASSERT_NOT_NULL(e);
	obj = pcache_entry_path(c, e);
	f = fopen(obj, "r+");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fseek(f, 100, SEEK_SET), 0);
	fputc('X', f);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(pcache_verify(c, count_bad, &bad), 1);
	ASSERT_EQ(bad, 1);
}

TEST(bad_inputs)
{
	_cleanup_free_ char *src = pt_dir("bsrc");
	_cleanup_free_ char *cachedir =
	        util_path_join(tests_tmpdir(), "bcache");
	_cleanup_free_ char *err = NULL, *p = NULL, *idx = NULL;
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	struct pcache *c2 = NULL;

	pt_mkpe(src, "i386", "5.1.2600.5512", "atapi.sys");
	pt_runf("cd '%s' && gcab -c -z good.cab atapi.sys && "
	        "head -c 120 good.cab > TRUNC.CAB && rm good.cab && "
	        "printf 'hello' > notes.txt && mscompress atapi.sys && "
	        "head -c 40 atapi.sys_ > ATAPI.SY_ && rm atapi.sys_",
	        src);
	ASSERT_OK(pcache_open(cachedir, true, &c, &err));

	/* A truncated CAB: an error naming the file. */
	p = util_path_join(src, "TRUNC.CAB");
	ASSERT_ERR(pcache_add(c, p, NULL, &err), -EBADMSG);
	ASSERT_TRUE(strstr(err, "TRUNC.CAB") != NULL);
	free(p);

	/* A text file named explicitly. */
	p = util_path_join(src, "notes.txt");
	ASSERT_ERR(pcache_add(c, p, NULL, &err), -EBADMSG);
	ASSERT_TRUE(strstr(err, "notes.txt") != NULL);
	ASSERT_TRUE(strstr(err, "not an i386/amd64 PE") != NULL);
	free(p);

	/* A truncated SZDD file: error or a skipped non-PE, no crash. */
	p = util_path_join(src, "ATAPI.SY_");
	{
		struct pcache_add_stats st = {0};
		int r = pcache_add(c, p, &st, &err);

		ASSERT_TRUE(r == -EBADMSG || (r == 0 && st.added == 0));
	}

	/* A corrupt index is refused with file:line. */
	idx = util_path_join(cachedir, "index");
	ASSERT_OK(util_write_file_atomic(
	        idx, "imgfix-patchcache 1\nnot\ta line\n",
	        strlen("imgfix-patchcache 1\nnot\ta line\n")));
	ASSERT_ERR(pcache_open(cachedir, false, &c2, &err), -EBADMSG);
	ASSERT_TRUE(strstr(err, "index:2:") != NULL);
	ASSERT_NULL(c2);

	/* A missing cache without create. */
	free(p);
	p = util_path_join(tests_tmpdir(), "nocache");
	ASSERT_ERR(pcache_open(p, false, &c2, &err), -ENOENT);
}

TEST(expanded_names)
{
	char *n = NULL;

	ASSERT_OK(pcache_expanded_name("HALMACPI.DL_", 0, &n));
	ASSERT_STREQ(n, "halmacpi.dll");
	free(n);
	ASSERT_OK(pcache_expanded_name("ATAPI.SY_", 0, &n));
	ASSERT_STREQ(n, "atapi.sys");
	free(n);
	ASSERT_OK(pcache_expanded_name("NTKRNLMP.EX_", 0, &n));
	ASSERT_STREQ(n, "ntkrnlmp.exe");
	free(n);
	ASSERT_OK(pcache_expanded_name("FOO.XY_", 'Z', &n));
	ASSERT_STREQ(n, "foo.xyz");
	free(n);
	ASSERT_ERR(pcache_expanded_name("a/b.dl_", 0, &n), -EINVAL);
}
