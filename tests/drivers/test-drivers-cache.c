/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the catalog cache of driver stores (drivers/cache.c): used when
 * nothing changed, one changed INF parsed again alone, an entry whose INF
 * changed size or mtime never used, a truncated, damaged or foreign cache
 * file rebuilt with a notice, a read-only store cached under
 * $XDG_CACHE_HOME, an ISO store cached under its identity, the catalog and
 * selection the same with and without the cache, and the scan's progress.
 */
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "drivers-internal.h"
#include "tests.h"

#define N_INFS 6
#define N_MANY 2100 /* over 2 x 1024: restores on 2 threads */

extern char **environ;

static const char inf_fmt[] =
        "[Version]\r\n"
        "Signature = \"$Windows NT$\"\r\n"
        "Class = SCSIAdapter\r\n"
        "ClassGuid = {4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n"
        "Provider = %%Vendor%%\r\n"
        "DriverVer = 0%d/01/2024,1.0.%d.0\r\n"
        "CatalogFile = drv%d.cat\r\n"
        "[Manufacturer]\r\n"
        "%%Vendor%% = Models, NTamd64, NTx86\r\n"
        "[Models.NTamd64]\r\n"
        "%%Desc%% = Install, PCI\\VEN_1AF4&DEV_10%02d, PCI\\VEN_1AF4\r\n"
        "[Models.NTx86]\r\n"
        "%%Desc%% = Install, PCI\\VEN_1AF4&DEV_10%02d\r\n"
        "[Install.NT]\r\n"
        "CopyFiles = Files\r\n"
        "[Install.NT.Services]\r\n"
        "AddService = drv%d, 2, Service\r\n"
        "[Service]\r\n"
        "ServiceType = 1\r\n"
        "StartType = 0\r\n"
        "ErrorControl = 1\r\n"
        "ServiceBinary = %%12%%\\drv%d.sys\r\n"
        "[Files]\r\n"
        "drv%d.sys\r\n"
        "[DestinationDirs]\r\n"
        "Files = 12\r\n"
        "[SourceDisksNames]\r\n"
        "1 = %%Disk%%\r\n"
        "[SourceDisksFiles]\r\n"
        "drv%d.sys = 1\r\n"
        "[Strings]\r\n"
        "Vendor = \"Cache Test Vendor\"\r\n"
        "Desc = \"Cache test device %d%s\"\r\n"
        "Disk = \"Disk\"\r\n";

static void
write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd =
	        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void
write_inf(const char *store, int i, const char *extra)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL,
	                    *sys = NULL;

	ASSERT_OK(util_asprintf(&dir, "%s/pkg%d", store, i));
	ASSERT_OK(util_mkdir_p(dir));
	ASSERT_OK(util_asprintf(&path, "%s/drv%d.inf", dir, i));
	ASSERT_OK(util_asprintf(&text, inf_fmt, i % 9 + 1, i, i, i, i, i, i, i,
	                        i, i, extra));
	write_text(path, text);
	ASSERT_OK(util_asprintf(&sys, "%s/drv%d.sys", dir, i));
	write_text(sys, "MZ");
}

static char *
make_store(const char *name)
{
	char *store = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(store);
	ASSERT_OK(util_mkdir_p(store));
	for (int i = 0; i < N_INFS; i++)
		write_inf(store, i, "");
	tests_age_tree(store);
	return store;
}

/* Scans store; its notices (stderr) in *ret_log when not NULL. */
static struct drivers_store *
scan(const char *store, bool cache, char **ret_log)
{
	struct drivers_store *s = NULL;
	_cleanup_free_ char *err = NULL, *logf = NULL;
	int saved = -1, fd;

	ASSERT_OK(drivers_store_new(&s));
	drivers_store_set_cache(s, cache);
	if (ret_log) {
		logf = util_path_join(tests_tmpdir(), "stderr.txt");
		fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		ASSERT_TRUE(fd >= 0);
		fflush(stderr);
		saved = dup(2);
		ASSERT_TRUE(saved >= 0);
		ASSERT_TRUE(dup2(fd, 2) == 2);
		close(fd);
	}
	if (drivers_store_add(s, store, &err) < 0)
		TEST_FAIL("scan of %s: %s", store, err ? err : "?");
	if (ret_log) {
		size_t len;

		fflush(stderr);
		ASSERT_TRUE(dup2(saved, 2) == 2);
		close(saved);
		ASSERT_OK(util_read_file(logf, 65536, ret_log, &len));
	}
	return s;
}

static const char *
dash(const char *s)
{
	return s ? s : "-";
}

/* Everything the catalog shows about its packages, as text (only their
 * paths when paths_only). */
static char *
store_text(const struct drivers_store *s, bool paths_only)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < drivers_store_n_packages(s); i++) {
		const struct drivers_package *p = drivers_store_package(s, i);
		char **const lists[] = {
		        p->archs,         p->os_targets,    p->services,
		        p->files_present, p->files_missing, p->includes,
		        p->needs,         p->warnings,      p->fallback_ids};

		if (paths_only) {
			fprintf(f, "%s\n", p->inf_rel);
			continue;
		}
		fprintf(f, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%d\n", p->inf_rel,
		        dash(p->error), dash(p->class_name),
		        dash(p->class_guid), dash(p->provider),
		        dash(p->driver_date), dash(p->driver_version),
		        dash(p->catalog_file), p->store, p->catalog_present);
		for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
			STRV_FOREACH (x, lists[l])
				fprintf(f, " %s", *x);
			fputs(l + 1 < ELEMENTSOF(lists) ? " /" : "\n", f);
		}
		for (size_t d = 0; d < p->n_devices; d++) {
			const struct drivers_model *m = &p->devices[d];

			fprintf(f, "  %s|%s|%s|%s|%s|%s|%d|%u.%u.%u.%u.%u|%u:",
			        m->manufacturer, m->models_section,
			        m->decoration, m->description,
			        m->install_section, m->os.arch,
			        m->os.has_version, m->os.major, m->os.minor,
			        m->os.product_type, m->os.suite_mask,
			        m->os.build, m->lineno);
			STRV_FOREACH (x, m->ids)
				fprintf(f, " %s", *x);
			fputc('\n', f);
		}
	}
	ASSERT_TRUE(fclose(f) == 0);
	return buf;
}

static char *
catalog_text(const struct drivers_store *s)
{
	return store_text(s, false);
}

static char *
paths_text(const struct drivers_store *s)
{
	return store_text(s, true);
}

static void
assert_same_catalog(struct drivers_store *a, struct drivers_store *b)
{
	_cleanup_free_ char *ta = catalog_text(a), *tb = catalog_text(b);

	ASSERT_STREQ(ta, tb);
}

static void
bump_mtime(const char *path, long seconds)
{
	struct stat st;
	struct timespec ts[2];

	ASSERT_TRUE(stat(path, &st) == 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ts[1].tv_sec += seconds;
	ASSERT_TRUE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

TEST(used_when_nothing_changed)
{
	_cleanup_free_ char *store = make_store("same"), *cache = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *none = NULL,
	                                                    *cold = NULL,
	                                                    *warm = NULL;

	none = scan(store, false, NULL);
	ASSERT_EQ(drivers_store_n_parsed(none), N_INFS);
	cache = util_path_join(store, ".imgfix-catalog");
	ASSERT_TRUE(access(cache, F_OK) < 0); /* off: nothing written */
	cold = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(cold), N_INFS);
	ASSERT_TRUE(access(cache, R_OK) == 0);
	warm = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_packages(warm), N_INFS);
	ASSERT_EQ(drivers_store_n_parsed(warm), 0);
	assert_same_catalog(none, cold);
	assert_same_catalog(none, warm);
}

TEST(one_changed_inf_parsed_alone)
{
	_cleanup_free_ char *store = make_store("one"), *text = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *cold = NULL,
	                                                    *warm = NULL,
	                                                    *none = NULL;

	cold = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(cold), N_INFS);
	write_inf(store, 3, " (changed)"); /* another size */
	warm = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(warm), 1);
	none = scan(store, false, NULL);
	assert_same_catalog(none, warm);
	text = catalog_text(warm);
	ASSERT_NOT_NULL(strstr(text, "Cache test device 3 (changed)"));
}

TEST(entry_of_changed_size_or_mtime_not_used)
{
	_cleanup_free_ char *store = make_store("key"), *inf = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *b = NULL,
	                                                    *c = NULL;
	struct stat st;
	struct timespec ts[2];

	a = scan(store, true, NULL);
	inf = util_path_join(store, "pkg2/drv2.inf");
	ASSERT_NOT_NULL(inf);
	/* same bytes, another mtime (not a recent one: a key within its
	 * timestamp tick of the scan is never trusted anyway) */
	bump_mtime(inf, -TESTS_AGE_S);
	b = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(b), 1);
	/* another size, the mtime the cache now holds put back */
	ASSERT_TRUE(stat(inf, &st) == 0);
	write_inf(store, 2, "!");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ASSERT_TRUE(utimensat(AT_FDCWD, inf, ts, 0) == 0);
	c = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(c), 1);
	{
		_cleanup_free_ char *text = catalog_text(c);

		ASSERT_NOT_NULL(strstr(text, "Cache test device 2!"));
	}
}

/* A store scanned with the cache until nothing is listed or parsed any
 * more: the first scan creates the cache file in the root, which changes
 * the root's mtime (made older here, as if the scan was a while ago), so
 * the second lists the root again; it rewrites the cache in place, and
 * the root keeps its key. */
static char *
make_cached_store(const char *name)
{
	char *store = make_store(name);

	for (int i = 0; i < 3; i++) {
		_cleanup_(drivers_store_freep) struct drivers_store *s =
		        scan(store, true, NULL);

		ASSERT_EQ(drivers_store_n_packages(s), N_INFS);
		ASSERT_EQ(drivers_store_n_listed(s), i == 0   ? N_INFS + 1
		                                     : i == 1 ? 1
		                                              : 0);
		ASSERT_EQ(drivers_store_n_parsed(s), i == 0 ? N_INFS : 0);
		if (i == 0)
			bump_mtime(store, -TESTS_AGE_S);
	}
	return store;
}

static void
get_mtime(const char *path, struct timespec ts[2])
{
	struct stat st;

	ASSERT_TRUE(stat(path, &st) == 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
}

static void
set_mtime(const char *path, const struct timespec ts[2])
{
	ASSERT_TRUE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

/* The cached scan of store against one without the cache. */
static void
assert_same_as_uncached(struct drivers_store *s, const char *store)
{
	_cleanup_(drivers_store_freep) struct drivers_store *none =
	        scan(store, false, NULL);

	assert_same_catalog(none, s);
}

TEST(unchanged_directories_not_listed_again)
{
	_cleanup_free_ char *store = make_cached_store("listed");
	_cleanup_(drivers_store_freep) struct drivers_store *s =
	        scan(store, true, NULL);

	ASSERT_EQ(drivers_store_n_listed(s), 0);
	ASSERT_EQ(drivers_store_n_parsed(s), 0);
	assert_same_as_uncached(s, store);
}

TEST(new_file_in_a_directory_of_unchanged_mtime)
{
	_cleanup_free_ char *store = make_cached_store("newfile"), *dir = NULL,
	                    *inf = NULL, *text = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	struct timespec ts[2];

	dir = util_path_join(store, "pkg2");
	inf = util_path_join(store, "pkg2/extra.inf");
	ASSERT_TRUE(dir && inf);
	get_mtime(dir, ts);
	ASSERT_OK(util_asprintf(&text, inf_fmt, 7, 77, 77, 77, 77, 77, 77, 77,
	                        77, 77, ""));
	write_text(inf, text);
	set_mtime(dir, ts); /* its ctime changed all the same */
	s = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_packages(s), N_INFS + 1);
	ASSERT_EQ(drivers_store_n_listed(s), 1);
	ASSERT_EQ(drivers_store_n_parsed(s), 1);
	assert_same_as_uncached(s, store);
}

TEST(inf_rewritten_in_place_in_an_unchanged_directory)
{
	_cleanup_free_ char *store = make_cached_store("inplace"), *inf = NULL,
	                    *text = NULL, *out = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	struct timespec ts[2];
	size_t len;
	char *d;

	inf = util_path_join(store, "pkg3/drv3.inf");
	ASSERT_NOT_NULL(inf);
	get_mtime(inf, ts);
	ASSERT_OK(util_read_file(inf, 1 << 20, &text, &len));
	d = strstr(text, "Cache test device 3");
	ASSERT_NOT_NULL(d);
	memcpy(d, "Cache TEST", 10); /* same size */
	write_text(inf, text);
	set_mtime(inf, ts); /* same size and mtime: the ctime tells */
	s = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_listed(s), 0);
	ASSERT_EQ(drivers_store_n_parsed(s), 1);
	out = catalog_text(s);
	ASSERT_NOT_NULL(strstr(out, "Cache TEST device 3"));
	assert_same_as_uncached(s, store);
}

TEST(removed_inf_and_directory_gone_from_the_catalog)
{
	_cleanup_free_ char *store = make_cached_store("removed"), *inf = NULL,
	                    *dir = NULL, *out = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;

	inf = util_path_join(store, "pkg4/drv4.inf");
	dir = util_path_join(store, "pkg5");
	ASSERT_TRUE(inf && dir);
	ASSERT_TRUE(unlink(inf) == 0);
	ASSERT_OK(util_rm_rf(dir));
	s = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_packages(s), N_INFS - 2);
	ASSERT_EQ(drivers_store_n_parsed(s), 0);
	ASSERT_EQ(drivers_store_n_listed(s), 2); /* the root and pkg4 */
	out = catalog_text(s);
	ASSERT_NULL(strstr(out, "drv4.inf"));
	ASSERT_NULL(strstr(out, "drv5.inf"));
	assert_same_as_uncached(s, store);
}

TEST(new_source_file_seen_in_a_cached_package)
{
	_cleanup_free_ char *store = make_cached_store("newsys"), *sys = NULL,
	                    *out = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;

	sys = util_path_join(store, "pkg1/drv1.sys");
	ASSERT_NOT_NULL(sys);
	ASSERT_TRUE(unlink(sys) == 0);
	s = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(s), 0);
	ASSERT_EQ(drivers_store_n_listed(s), 1);
	out = catalog_text(s);
	ASSERT_NOT_NULL(strstr(out, "/ drv1.sys /")); /* missing now */
	assert_same_as_uncached(s, store);
}

/* A directory dated in the future may change within its timestamp tick
 * of any scan: it is listed every time, and the cache, which that does
 * not change, is not written again. */
TEST(untrusted_directory_listed_each_time_cache_kept)
{
	_cleanup_free_ char *store = make_cached_store("future"), *dir = NULL,
	                    *cache = NULL;
	struct timespec ts[2];
	struct stat a, b;

	dir = util_path_join(store, "pkg1");
	cache = util_path_join(store, ".imgfix-catalog");
	ASSERT_TRUE(dir && cache);
	get_mtime(dir, ts);
	ts[1].tv_sec += 2 * TESTS_AGE_S;
	set_mtime(dir, ts);
	for (int i = 0; i < 3; i++) {
		_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;

		ASSERT_TRUE(stat(cache, &a) == 0);
		s = scan(store, true, NULL);
		ASSERT_TRUE(stat(cache, &b) == 0);
		ASSERT_EQ(drivers_store_n_listed(s), 1);
		ASSERT_EQ(drivers_store_n_parsed(s), 0);
		/* written by the first, for pkg1's new key, not after */
		if (i > 0)
			ASSERT_TRUE(a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
			            a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
			            a.st_ino == b.st_ino);
		if (i == 2)
			assert_same_as_uncached(s, store);
	}
}

/* Enough packages for the stats and restores to run on several threads
 * (on a machine with more than one CPU): the same catalog as without the
 * cache, cold and warm. */
TEST(many_packages_restored_alike)
{
	_cleanup_free_ char *store = util_path_join(tests_tmpdir(), "many");
	_cleanup_(drivers_store_freep) struct drivers_store *none = NULL,
	                                                    *cold = NULL,
	                                                    *warm = NULL;

	ASSERT_NOT_NULL(store);
	for (int i = 0; i < N_MANY; i++)
		write_inf(store, i, i % 7 ? "" : " (seventh)");
	tests_age_tree(store);
	none = scan(store, false, NULL);
	cold = scan(store, true, NULL);
	warm = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_packages(warm), N_MANY);
	ASSERT_EQ(drivers_store_n_parsed(cold), N_MANY);
	ASSERT_EQ(drivers_store_n_parsed(warm), 0);
	assert_same_catalog(none, cold);
	assert_same_catalog(none, warm);
}

static void
damage_and_check(const char *name, void (*damage)(const char *path),
                 const char *why)
{
	_cleanup_free_ char *store = make_store(name), *cache = NULL,
	                    *log = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *b = NULL,
	                                                    *c = NULL,
	                                                    *none = NULL;

	a = scan(store, true, NULL);
	cache = util_path_join(store, ".imgfix-catalog");
	damage(cache);
	b = scan(store, true, &log);
	ASSERT_EQ(drivers_store_n_parsed(b), N_INFS);
	if (!strstr(log, "rebuilding") || !strstr(log, why))
		TEST_FAIL("%s: no notice saying \"%s\": \"%s\"", name, why,
		          log);
	none = scan(store, false, NULL);
	assert_same_catalog(none, b);
	/* rebuilt: used again */
	c = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(c), 0);
	assert_same_catalog(none, c);
}

static void
truncate_half(const char *path)
{
	struct stat st;

	ASSERT_TRUE(stat(path, &st) == 0);
	ASSERT_TRUE(truncate(path, st.st_size / 2) == 0);
}

static void
flip_body_byte(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	ASSERT_OK(util_read_file(path, 1 << 24, &buf, &len));
	buf[len - 3] ^= 0x55;
	ASSERT_OK(util_write_file_atomic(path, buf, len));
}

/* The imgfix version in the header replaced by another of the same
 * length: the body's checksum still holds. */
static void
foreign_version(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, vl = strlen(DRIVERS_TEST_VERSION);
	char *v;

	ASSERT_OK(util_read_file(path, 1 << 24, &buf, &len));
	v = memmem(buf, MIN(len, (size_t)256), DRIVERS_TEST_VERSION, vl);
	ASSERT_NOT_NULL(v);
	memset(v, '9', vl);
	ASSERT_OK(util_write_file_atomic(path, buf, len));
}

static void
not_a_cache(const char *path)
{
	_cleanup_close_ int fd =
	        open(path, O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, "hello", 5), 5);
}

TEST(truncated_cache_rebuilt_with_a_notice)
{
	damage_and_check("truncated", truncate_half, "truncated");
}

TEST(damaged_cache_rebuilt_with_a_notice)
{
	damage_and_check("damaged", flip_body_byte, "checksum");
}

TEST(foreign_cache_rebuilt_with_a_notice)
{
	damage_and_check("foreign", foreign_version, "another imgfix version");
	damage_and_check("garbage", not_a_cache, "not a catalog cache");
}

TEST(read_only_store_uses_the_user_cache)
{
	_cleanup_free_ char *store = make_store("readonly"), *xdg = NULL,
	                    *user = NULL, *own = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *b = NULL;
	struct stat st;

	xdg = util_path_join(tests_tmpdir(), "xdg");
	ASSERT_NOT_NULL(xdg);
	ASSERT_TRUE(setenv("XDG_CACHE_HOME", xdg, 1) == 0);
	ASSERT_TRUE(chmod(store, 0555) == 0);
	a = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(a), N_INFS);
	own = util_path_join(store, ".imgfix-catalog");
	ASSERT_TRUE(access(own, F_OK) < 0);
	user = util_path_join(xdg, "imgfix/drivers");
	ASSERT_TRUE(stat(user, &st) == 0 && S_ISDIR(st.st_mode));
	b = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(b), 0);
	assert_same_catalog(a, b);
	ASSERT_TRUE(chmod(store, 0755) == 0);
	ASSERT_TRUE(unsetenv("XDG_CACHE_HOME") == 0);
}

TEST(unwritable_cache_file_falls_back_to_the_user_cache)
{
	_cleanup_free_ char *store = make_store("blocked"), *xdg = NULL,
	                    *own = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *b = NULL;

	/* a directory where the cache file would go: rename() fails even
	 * for root */
	own = util_path_join(store, ".imgfix-catalog");
	ASSERT_OK(util_mkdir_p(own));
	xdg = util_path_join(tests_tmpdir(), "xdg2");
	ASSERT_TRUE(setenv("XDG_CACHE_HOME", xdg, 1) == 0);
	a = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(a), N_INFS);
	b = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(b), 0);
	assert_same_catalog(a, b);
	ASSERT_TRUE(unsetenv("XDG_CACHE_HOME") == 0);
}

TEST(selection_same_with_and_without_cache)
{
	_cleanup_free_ char *store = make_store("select");
	char *ids[] = {(char *)"PCI\\VEN_1AF4&DEV_1004", NULL};
	struct drivers_query q = {
	        .target = {10, 0, 19045, "amd64", false},
	        .device_ids = ids,
	};

	for (int pass = 0; pass < 3; pass++) {
		_cleanup_(drivers_store_freep) struct drivers_store *s =
		        scan(store, pass > 0, NULL);
		_cleanup_(
		        drivers_selection_done) struct drivers_selection sel = {
		        0};

		ASSERT_EQ(drivers_store_n_parsed(s), pass == 2 ? 0 : N_INFS);
		ASSERT_OK(drivers_select(s, &q, &sel));
		ASSERT_TRUE(util_endswith_case(sel.install.inf_path,
		                               "pkg4/drv4.inf"));
		ASSERT_STREQ(sel.install.services[0].name, "drv4");
		ASSERT_STREQ(sel.install.files[0].name, "drv4.sys");
		ASSERT_NOT_NULL(sel.install.files[0].host_path);
		ASSERT_STREQ(sel.decoration, "NTamd64");
	}
}

TEST(selection_reads_the_inf_not_the_cache)
{
	_cleanup_free_ char *store = make_store("reread"), *inf = NULL,
	                    *text = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *s = NULL;
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	char *ids[] = {(char *)"PCI\\VEN_1AF4&DEV_1001", NULL};
	struct drivers_query q = {
	        .target = {10, 0, 19045, "amd64", false},
	        .device_ids = ids,
	};
	size_t len;
	char *svc;

	a = scan(store, true, NULL);
	s = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(s), 0);
	/* the INF changes after the scan: what gets written follows it */
	inf = util_path_join(store, "pkg1/drv1.inf");
	ASSERT_OK(util_read_file(inf, 1 << 20, &text, &len));
	svc = strstr(text, "AddService = drv1,");
	ASSERT_NOT_NULL(svc);
	memcpy(svc + strlen("AddService = "), "new1", 4);
	write_text(inf, text);
	ASSERT_OK(drivers_select(s, &q, &sel));
	ASSERT_STREQ(sel.install.services[0].name, "new1");
}

static int
run(char **argv)
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(iso_store_cached_under_its_identity)
{
	_cleanup_free_ char *src = make_store("isosrc"), *xdg = NULL,
	                    *iso = util_path_join(tests_tmpdir(), "c.iso");
	char *argv[] = {"bsdtar", "--format", "iso9660", "-cf", iso,
	                "-C",     src,        ".",       NULL};
	_cleanup_(drivers_store_freep) struct drivers_store *none = NULL,
	                                                    *a = NULL,
	                                                    *b = NULL,
	                                                    *c = NULL;

	if (run(argv) != 0) {
		fprintf(stderr, "SKIP: bsdtar cannot write an ISO image\n");
		return;
	}
	xdg = util_path_join(tests_tmpdir(), "xdg-iso");
	ASSERT_TRUE(setenv("XDG_CACHE_HOME", xdg, 1) == 0);
	none = scan(iso, false, NULL);
	a = scan(iso, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(a), N_INFS);
	b = scan(iso, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(b), 0);
	assert_same_catalog(none, b);
	/* another ISO at the same path: another identity */
	bump_mtime(iso, 60);
	c = scan(iso, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(c), N_INFS);
	ASSERT_TRUE(unsetenv("XDG_CACHE_HOME") == 0);
}

TEST(scan_reports_progress)
{
	_cleanup_free_ char *store = make_store("progress"), *out = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char want[64];

	ASSERT_NOT_NULL(f);
	util_progress_configure(&(struct util_progress_config){
	        .mode = UTIL_PROGRESS_MACHINE, .machine = f});
	s = scan(store, false, NULL);
	util_progress_configure(&(struct util_progress_config){0});
	ASSERT_TRUE(fclose(f) == 0);
	snprintf(want, sizeof(want), "progress:Scanning_driver_store:%d/%d\n",
	         N_INFS, N_INFS);
	if (!strstr(out, want))
		TEST_FAIL("no \"%s\" in \"%s\"", want, out);
}

/* Offset of the body of a cache file: after magic and format, version
 * and identity, the counts of entries, directories and files (12 bytes),
 * then of pointers and models, the lengths of the entries, the tree and
 * the body, and the checksum (40 bytes). */
static size_t
body_offset(const uint8_t *b, size_t len)
{
	size_t o = 12;

	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(o + 4 <= len);
		o += 4 + util_le32(b + o) + 1;
	}
	return o + 12 + 40;
}

/* Every 13th byte of the body changed in turn, with the checksum made
 * right again: the cache decodes as hostile input (never a crash; a bad
 * entry is parsed from its INF, a bad index or tree rejects the file), and
 * the scan finds the same packages as without the cache.  (What a
 * well-formed entry says is believed: the checksum catches damage, not
 * forgery, and selection parses the INFs it chooses again.) */
TEST(mangled_entries_are_checked)
{
	_cleanup_free_ char *store = make_store("mangled"), *cache = NULL,
	                    *orig = NULL, *want = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *none = NULL;
	size_t len, body;

	none = scan(store, false, NULL);
	want = paths_text(none);
	a = scan(store, true, NULL);
	cache = util_path_join(store, ".imgfix-catalog");
	ASSERT_OK(util_read_file(cache, 1 << 20, &orig, &len));
	body = body_offset((const uint8_t *)orig, len);
	ASSERT_TRUE(body < len);
	for (size_t i = body; i < len; i += 13) {
		_cleanup_free_ char *m = malloc(len), *log = NULL, *got = NULL;
		_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;

		ASSERT_NOT_NULL(m);
		memcpy(m, orig, len);
		m[i] ^= (char)(i & 1 ? 0x80 : 0x7F);
		util_put_le64((uint8_t *)m + body - 8,
		              drivers_cache_checksum(m + body, len - body));
		ASSERT_OK(util_write_file_atomic(cache, m, len));
		s = scan(store, true, &log);
		/* the checksum made right: past it, into the decoding */
		ASSERT_NULL(strstr(log, "checksum"));
		got = paths_text(s);
		ASSERT_STREQ(got, want);
	}
}

/* Offset in a cache file of the first model's manufacturer in its first
 * entry: after the entry's length, path, size and key, the package's 7
 * strings, its 8 lists (a count, then as many string offsets) and its
 * count of models. */
static size_t
first_model_offset(const uint8_t *b, size_t len)
{
	size_t o = body_offset(b, len) + 4 + 4 + 8 + 3 * 8 + 4 + 7 * 4;

	for (int l = 0; l < 8; l++) {
		uint32_t n;

		ASSERT_TRUE(o + 4 <= len);
		n = util_le32(b + o);
		o += 4 + (n == UINT32_MAX ? 0 : 4 * (size_t)n);
	}
	ASSERT_TRUE(o + 4 <= len && util_le32(b + o) > 0);
	return o + 4;
}

/* A hostile entry (its checksum made right): its INF parsed instead, with
 * a notice naming the cache file; the same catalog as without the cache;
 * the cache rebuilt, and used by the next scan. */
static void
hostile_entry_parsed(const char *name, void (*mangle)(uint8_t *b, size_t len),
                     size_t n_parsed)
{
	_cleanup_free_ char *store = make_store(name), *cache = NULL,
	                    *buf = NULL, *log = NULL;
	_cleanup_(drivers_store_freep) struct drivers_store *a = NULL,
	                                                    *b = NULL,
	                                                    *c = NULL;
	size_t len, body;

	a = scan(store, true, NULL);
	cache = util_path_join(store, ".imgfix-catalog");
	ASSERT_OK(util_read_file(cache, 1 << 20, &buf, &len));
	body = body_offset((const uint8_t *)buf, len);
	mangle((uint8_t *)buf, len);
	util_put_le64((uint8_t *)buf + body - 8,
	              drivers_cache_checksum(buf + body, len - body));
	ASSERT_OK(util_write_file_atomic(cache, buf, len));
	b = scan(store, true, &log);
	ASSERT_EQ(drivers_store_n_packages(b), N_INFS);
	if (drivers_store_n_parsed(b) != n_parsed)
		TEST_FAIL("%s: %zu INFs parsed, not %zu: \"%s\"", name,
		          drivers_store_n_parsed(b), n_parsed, log);
	if (!strstr(log, cache) || !strstr(log, "does not decode"))
		TEST_FAIL("%s: no notice naming %s: \"%s\"", name, cache, log);
	assert_same_as_uncached(b, store);
	c = scan(store, true, NULL);
	ASSERT_EQ(drivers_store_n_parsed(c), 0);
	assert_same_as_uncached(c, store);
}

/* fuzz-drivers-cache, regressions/drivers-cache/null-model-string.hex */
static void
null_manufacturer(uint8_t *b, size_t len)
{
	util_put_le32(b + first_model_offset(b, len), UINT32_MAX);
}

/* Offsets from the body of the header's counts (not in the checksum). */
#define HEADER_N_DIRS 48
#define HEADER_N_MODELS 36

/* The header claims room for one model: every entry (two each) runs out
 * (corpus/drivers-cache/short-blocks.hex) */
static void
one_model_block(uint8_t *b, size_t len)
{
	util_put_le32(b + body_offset(b, len) - HEADER_N_MODELS, 1);
}

TEST(hostile_entries_parsed_from_their_inf)
{
	hostile_entry_parsed("null-model-string", null_manufacturer, 1);
	hostile_entry_parsed("short-blocks", one_model_block, N_INFS);
}

/* More directories claimed than the tree section holds (under the store
 * limit): rejected before anything is sized by the count. */
static void
too_many_dirs(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	ASSERT_OK(util_read_file(path, 1 << 20, &buf, &len));
	util_put_le32((uint8_t *)buf + body_offset((uint8_t *)buf, len) -
	                      HEADER_N_DIRS,
	              DRIVERS_MAX_STORE_FILES - 1);
	ASSERT_OK(util_write_file_atomic(path, buf, len));
}

TEST(hostile_counts_rebuilt_with_a_notice)
{
	damage_and_check("too-many-dirs", too_many_dirs, "bad tree");
}
