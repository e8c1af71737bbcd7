/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Adding to the patch cache (`imgfix patchcache add`): walking the files
 * and folders given (symlinks followed only for the path named, trees
 * bounded at PCACHE_MAX_TREE_DEPTH, files at PCACHE_MAX_INGEST_FILE),
 * expanding CABs and MS-compressed files (ingest.c) and storing every PE
 * file found (cache.c), then rewriting the index.  It sits above both:
 * the store calls neither, and the expander calls only the store.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "patchcache-internal.h"

static int add_path(struct pcache *c, const char *path, unsigned depth,
                    bool explicit, struct pcache_add_stats *stats,
                    char **ret_error);

static int
add_dir(struct pcache *c, const char *path, unsigned depth,
        struct pcache_add_stats *stats, char **ret_error)
{
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > PCACHE_MAX_TREE_DEPTH) {
		pcache_set_error(ret_error, path, 0,
		                 "directory tree deeper than %u levels",
		                 PCACHE_MAX_TREE_DEPTH);
		return -ELOOP;
	}
	d = opendir(path);
	if (!d) {
		r = -errno;
		pcache_set_error(ret_error, path, 0, "cannot open: %s",
		                 strerror(-r));
		return r;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = util_strv_push(&names, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = util_path_join(path, *n);

		if (!p)
			return -ENOMEM;
		r = add_path(c, p, depth + 1, false, stats, ret_error);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
add_path(struct pcache *c, const char *path, unsigned depth, bool explicit,
         struct pcache_add_stats *stats, char **ret_error)
{
	_cleanup_free_ char *buf = NULL, *name = NULL;
	enum pcache_container kind;
	const char *base;
	struct stat st;
	size_t len;
	int r;

	/* Inside folders symlinks are not followed (no loops, no escapes). */
	if ((explicit ? stat(path, &st) : lstat(path, &st)) < 0) {
		r = -errno;
		pcache_set_error(ret_error, path, 0, "cannot stat: %s",
		                 strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(c, path, depth, stats, ret_error);
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((uint64_t)st.st_size > PCACHE_MAX_INGEST_FILE) {
		if (!explicit) {
			stats->skipped++;
			return 0;
		}
		pcache_set_error(ret_error, path, 0,
		                 "larger than %u MiB, refused",
		                 PCACHE_MAX_INGEST_FILE / (1024 * 1024));
		return -EFBIG;
	}
	r = util_read_file(path, PCACHE_MAX_INGEST_FILE, &buf, &len);
	if (r < 0) {
		pcache_set_error(ret_error, path, 0, "cannot read: %s",
		                 strerror(-r));
		return r;
	}
	kind = pcache_detect_container(buf, len);
	if (kind != PCACHE_CONTAINER_NONE) {
		free(TAKE_PTR(buf));
		return pcache_ingest_container(c, path, kind, stats, ret_error);
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (pcache_normalize_name(base, &name) < 0) {
		stats->skipped++;
		return 0;
	}
	if (explicit) {
		struct pcache_pe_info info;

		if (pcache_pe_parse(buf, len, &info) < 0 ||
		    info.arch == PCACHE_ARCH_UNKNOWN) {
			pcache_set_error(
			        ret_error, path, 0,
			        "not an i386/amd64 PE file, CAB archive "
			        "or MS-compressed (SZDD/KWAJ) file");
			return -EBADMSG;
		}
	}
	return pcache_store_buffer(c, name, buf, len, stats);
}

int
pcache_add(struct pcache *c, const char *path, struct pcache_add_stats *stats,
           char **ret_error)
{
	struct pcache_add_stats local = {0};
	int r, k;

	r = add_path(c, path, 0, true, stats ? stats : &local, ret_error);
	/* What was stored before a failure stays indexed. */
	k = pcache_save_index(c);
	if (k < 0 && r >= 0) {
		pcache_set_error(ret_error, pcache_dir(c), 0,
		                 "cannot write the index: %s", strerror(-k));
		r = k;
	}
	return r;
}
