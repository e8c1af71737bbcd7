/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the driver catalog cache file (drivers/cache.c, format 3),
 * loaded as a scan loads it (drivers_cache_load_buffer(), what
 * drivers_cache_open() calls on the file it reads), then used in place as
 * a scan uses it: every entry restored (by its tree hint or by path, as
 * drivers_cache_restore_at() does), the tree walked from the root through
 * the per-directory lists, every directory found again by path and by
 * name.
 *
 * Input: [flags u8][the cache file].
 *   flags bit 0: before the load, set the header's body length to what
 *                follows the header and recompute the body's checksum, so
 *                that mutations get past the integrity checks;
 *   flags bit 1: put this imgfix's version in the header (whatever the
 *                length of the one there), so that checked-in seeds keep
 *                their meaning across versions;
 *   flags bit 2: the cache of an ISO store (keys are sizes only).
 * The store's identity expected is the one in the header (the loader
 * compares it with the store's; a file of another store is only a notice).
 *
 * What restores and the tree are then saved as a scan saves them
 * (drivers_cache_save() to a temp file) and loaded again.
 *
 * Properties: nothing crashes, leaks or hangs; a file that does not load
 * leaves nothing loaded; a restored package is one an INF parse could
 * give (its models' strings set, every list NULL-terminated, every string
 * inside the file); the tree's index lists stay inside its arrays and name
 * each directory and file once, under its own parent; what loaded is saved
 * again, and that file loads and restores the same packages and tree.
 */
#include <string.h>

#include "config.h"
#include "drivers-internal.h"
#include "fuzz.h"

#define FUZZ_CACHE_MAGIC_LEN 8
#define FUZZ_CACHE_VERSION_AT 12 /* after the magic and the format */
/* after the identity: 5 counts (u32), entries and tree lengths (u64) */
#define FUZZ_CACHE_PLEN_FROM_IDENTITY (5 * 4 + 2 * 8)
#define FUZZ_CACHE_SUM_FROM_IDENTITY (FUZZ_CACHE_PLEN_FROM_IDENTITY + 8)

/* An inline header string at off: [length u32][bytes][NUL]; the offset
 * past it, 0 when it does not fit. */
static size_t
header_str(const uint8_t *p, size_t len, size_t off, size_t *ret_len)
{
	uint32_t n;

	if (off > len || len - off < 4)
		return 0;
	n = util_le32(p + off);
	if (n == UINT32_MAX || len - off - 4 <= n)
		return 0;
	*ret_len = n;
	return off + 4 + n + 1;
}

/* The input without its flags byte, fixed up per flags; its identity. */
static uint8_t *
prepare(const uint8_t *data, size_t size, unsigned flags, size_t *ret_len,
        char **ret_identity)
{
	size_t vlen = strlen(IMGFIX_VERSION), len = size, old, at, ilen, body;
	uint8_t *p;

	p = malloc(size + vlen + 8);
	FUZZ_CHECK(p);
	memcpy(p, data, size);
	at = header_str(p, len, FUZZ_CACHE_VERSION_AT, &old);
	if ((flags & 2) && at) {
		size_t rest = len - at;

		memmove(p + FUZZ_CACHE_VERSION_AT + 4 + vlen + 1, p + at, rest);
		util_put_le32(p + FUZZ_CACHE_VERSION_AT, (uint32_t)vlen);
		memcpy(p + FUZZ_CACHE_VERSION_AT + 4, IMGFIX_VERSION, vlen + 1);
		len = FUZZ_CACHE_VERSION_AT + 4 + vlen + 1 + rest;
		at = FUZZ_CACHE_VERSION_AT + 4 + vlen + 1;
	}
	*ret_identity = NULL;
	at = at ? header_str(p, len, at, &ilen) : 0;
	if (at) {
		*ret_identity = strndup((const char *)p + at - ilen - 1, ilen);
		FUZZ_CHECK(*ret_identity);
		body = at + FUZZ_CACHE_SUM_FROM_IDENTITY + 8;
		if ((flags & 1) && body <= len) {
			util_put_le64(p + at + FUZZ_CACHE_PLEN_FROM_IDENTITY,
			              len - body);
			util_put_le64(
			        p + at + FUZZ_CACHE_SUM_FROM_IDENTITY,
			        drivers_cache_checksum(p + body, len - body));
		}
	}
	*ret_len = len;
	return p;
}

static void
check_str(const char *s)
{
	if (s)
		(void)strlen(s); /* inside the buffer: the sanitizers see */
}

static void
check_strv(char **l)
{
	STRV_FOREACH (s, l)
		check_str(*s);
}

/* What a parse gives, as far as the users of a package rely on it. */
static void
check_package(const struct drivers_package *p, char **sources)
{
	check_str(p->error);
	check_str(p->class_name);
	check_str(p->class_guid);
	check_str(p->provider);
	check_str(p->driver_date);
	check_str(p->driver_version);
	check_str(p->catalog_file);
	check_strv(p->archs);
	check_strv(p->os_targets);
	check_strv(p->services);
	check_strv(p->includes);
	check_strv(p->needs);
	check_strv(p->warnings);
	check_strv(p->fallback_ids);
	check_strv(sources);
	FUZZ_CHECK(!p->files_present && !p->files_missing);
	FUZZ_CHECK(p->n_devices == 0 || p->devices);
	for (size_t d = 0; d < p->n_devices; d++) {
		const struct drivers_model *m = &p->devices[d];

		FUZZ_CHECK(m->manufacturer && m->models_section &&
		           m->decoration && m->description &&
		           m->install_section);
		check_str(m->manufacturer);
		check_str(m->models_section);
		check_str(m->decoration);
		check_str(m->description);
		check_str(m->install_section);
		FUZZ_CHECK(memchr(m->os.arch, '\0', sizeof(m->os.arch)));
		check_strv(m->ids);
	}
}

/* The tree as walk_root() and reuse_dir() index it. */
static void
check_tree(const struct drivers_cache *c, const struct drivers_cache_tree *t)
{
	_cleanup_free_ uint8_t *seen_dir = calloc(t->n_dirs, 1);
	_cleanup_free_ uint8_t *seen_file = calloc(t->n_files + 1, 1);
	size_t n_entries = drivers_cache_n_entries(c);

	FUZZ_CHECK(seen_dir && seen_file);
	FUZZ_CHECK(t->n_dirs > 0 && t->dirs[0].rel && !*t->dirs[0].rel);
	for (size_t i = 0; i < t->n_dirs; i++) {
		const struct drivers_cache_dir *d = &t->dirs[i];

		FUZZ_CHECK(d->rel && d->name);
		FUZZ_CHECK(drivers_cache_find_dir(c, d->rel) == (int64_t)i);
		if (i > 0) {
			FUZZ_CHECK(d->parent < i);
			FUZZ_CHECK(drivers_cache_find_child(c, d->parent,
			                                    d->name) ==
			           (int64_t)i);
		}
		FUZZ_CHECK(d->first_child <= t->n_dirs &&
		           d->n_children <= t->n_dirs - d->first_child);
		FUZZ_CHECK(d->first_file <= t->n_files &&
		           d->n_files <= t->n_files - d->first_file);
		for (uint32_t k = 0; k < d->n_children; k++) {
			uint32_t ci = t->children[d->first_child + k];

			FUZZ_CHECK(ci > 0 && ci < t->n_dirs && !seen_dir[ci]);
			FUZZ_CHECK(t->dirs[ci].parent == i);
			seen_dir[ci] = 1;
		}
		for (uint32_t k = 0; k < d->n_files; k++) {
			uint32_t fi = t->dir_files[d->first_file + k];

			FUZZ_CHECK(fi < t->n_files && !seen_file[fi]);
			FUZZ_CHECK(t->files[fi].dir == i);
			seen_file[fi] = 1;
		}
	}
	for (size_t i = 0; i < t->n_files; i++) {
		const struct drivers_cache_file *f = &t->files[i];

		FUZZ_CHECK(seen_file[i] && f->rel && f->lower);
		FUZZ_CHECK(strlen(f->rel) == strlen(f->lower));
		FUZZ_CHECK(f->entry == DRIVERS_CACHE_NO_ENTRY ||
		           f->entry < n_entries);
	}
	for (size_t i = 1; i < t->n_dirs; i++)
		FUZZ_CHECK(seen_dir[i]);
}

/* Restores entry i as a scan restores the INF of that path, with the
 * key the entry was saved under (what a stat of an unchanged INF gives):
 * true and the package in *p (its path and key in *key) when it
 * restores. */
static bool
restore(struct drivers_cache *c, size_t i, bool by_hint,
        struct drivers_package *p, char ***sources,
        struct drivers_cache_key *key)
{
	const char *rel;
	int r;

	*p = (struct drivers_package){0};
	*sources = NULL;
	FUZZ_CHECK(drivers_cache_entry(c, i, &rel, key) == 0);
	FUZZ_CHECK(rel);
	if (by_hint)
		r = drivers_cache_restore_at(c, (uint32_t)i, rel, key, p,
		                             sources);
	else
		r = drivers_cache_restore(c, rel, key, p, sources);
	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 0) {
		FUZZ_CHECK(!*sources && !p->devices && !p->archs && !p->error);
		return false;
	}
	FUZZ_CHECK(!key->untrusted);
	check_package(p, *sources);
	p->inf_rel = (char *)rel;
	return true;
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

static bool
same_strv(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (!streq(*a, *b))
			return false;
	return !*a && !*b;
}

static void
check_same_package(const struct drivers_package *a, char **sa,
                   const struct drivers_package *b, char **sb)
{
	FUZZ_CHECK(streq(a->inf_rel, b->inf_rel));
	FUZZ_CHECK(same_str(a->error, b->error) &&
	           same_str(a->class_name, b->class_name) &&
	           same_str(a->class_guid, b->class_guid) &&
	           same_str(a->provider, b->provider) &&
	           same_str(a->driver_date, b->driver_date) &&
	           same_str(a->driver_version, b->driver_version) &&
	           same_str(a->catalog_file, b->catalog_file));
	FUZZ_CHECK(same_strv(a->archs, b->archs) &&
	           same_strv(a->os_targets, b->os_targets) &&
	           same_strv(a->services, b->services) &&
	           same_strv(a->includes, b->includes) &&
	           same_strv(a->needs, b->needs) &&
	           same_strv(a->warnings, b->warnings) &&
	           same_strv(a->fallback_ids, b->fallback_ids) &&
	           same_strv(sa, sb));
	FUZZ_CHECK(a->n_devices == b->n_devices);
	for (size_t d = 0; d < a->n_devices; d++) {
		const struct drivers_model *x = &a->devices[d],
		                           *y = &b->devices[d];

		FUZZ_CHECK(streq(x->manufacturer, y->manufacturer) &&
		           streq(x->models_section, y->models_section) &&
		           streq(x->decoration, y->decoration) &&
		           streq(x->description, y->description) &&
		           streq(x->install_section, y->install_section) &&
		           same_strv(x->ids, y->ids));
		FUZZ_CHECK(memcmp(&x->os, &y->os, sizeof(x->os)) == 0 &&
		           x->lineno == y->lineno);
	}
}

/* What was restored (n of the entries) and the tree, saved as a scan
 * saves them, then loaded and restored again: the same. */
static void
check_round_trip(struct drivers_cache *c, const char *identity, bool iso,
                 const struct drivers_package *pkgs, char **const *sources,
                 const struct drivers_cache_key *keys, size_t n)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c2 = NULL;
	_cleanup_free_ const struct drivers_package **ptrs = NULL;
	_cleanup_free_ struct drivers_cache_dir *dirs = NULL;
	_cleanup_free_ struct drivers_cache_file *files = NULL;
	_cleanup_free_ char *text = NULL;
	const struct drivers_cache_tree *t = drivers_cache_tree(c), *t2;
	const char *path;
	size_t len;

	path = fuzz_write_temp("saved.catalog", NULL, 0);
	ptrs = calloc(n + 1, sizeof(*ptrs));
	dirs = calloc(t ? t->n_dirs : 1, sizeof(*dirs));
	files = calloc(t ? t->n_files + 1 : 1, sizeof(*files));
	FUZZ_CHECK(ptrs && dirs && files);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &pkgs[i];
	for (size_t i = 0; t && i < t->n_dirs; i++)
		dirs[i] = (struct drivers_cache_dir){.rel = t->dirs[i].rel,
		                                     .key = t->dirs[i].key};
	for (size_t i = 0; t && i < t->n_files; i++)
		files[i] =
		        (struct drivers_cache_file){.rel = t->files[i].rel,
		                                    .lower = t->files[i].lower,
		                                    .inf = t->files[i].inf};
	{
		/* saved by a cache of the same store, to the temp file */
		_cleanup_(drivers_cache_freep) struct drivers_cache *w = NULL;

		FUZZ_CHECK(drivers_cache_new(identity, iso, path, &w) == 0);
		FUZZ_CHECK(drivers_cache_save(
		                   w, &(struct drivers_cache_content){
		                              .pkgs = ptrs,
		                              .sources = sources,
		                              .keys = keys,
		                              .n = n,
		                              .dirs = dirs,
		                              .n_dirs = t ? t->n_dirs : 0,
		                              .files = files,
		                              .n_files = t ? t->n_files : 0,
		                      }) == 0);
	}
	FUZZ_CHECK(util_read_file(path, DRIVERS_MAX_CACHE_SIZE, &text, &len) ==
	           0);
	FUZZ_CHECK(drivers_cache_new(identity, iso, NULL, &c2) == 0);
	FUZZ_CHECK(drivers_cache_load_buffer(
	                   c2, path, (uint8_t *)TAKE_PTR(text), len) == 1);
	FUZZ_CHECK(drivers_cache_n_entries(c2) == n);
	for (size_t i = 0; i < n; i++) {
		struct drivers_package p;
		struct drivers_cache_key key;
		char **src;

		FUZZ_CHECK(restore(c2, i, true, &p, &src, &key));
		FUZZ_CHECK(key.size == keys[i].size);
		FUZZ_CHECK(iso || memcmp(&key, &keys[i], sizeof(key)) == 0);
		check_same_package(&pkgs[i], sources[i], &p, src);
	}
	t2 = drivers_cache_tree(c2);
	if (iso || !t) {
		FUZZ_CHECK(!t2);
		return;
	}
	FUZZ_CHECK(t2 && t2->n_dirs == t->n_dirs && t2->n_files == t->n_files);
	for (size_t i = 0; i < t->n_dirs; i++) {
		FUZZ_CHECK(streq(t->dirs[i].rel, t2->dirs[i].rel));
		FUZZ_CHECK(t->dirs[i].parent == t2->dirs[i].parent);
		FUZZ_CHECK(memcmp(&t->dirs[i].key, &t2->dirs[i].key,
		                  sizeof(t->dirs[i].key)) == 0);
	}
	for (size_t i = 0; i < t->n_files; i++) {
		const struct drivers_cache_file *f = &t2->files[i];
		struct drivers_cache_key key;
		const char *rel;

		FUZZ_CHECK(streq(t->files[i].rel, f->rel) &&
		           streq(t->files[i].lower, f->lower) &&
		           t->files[i].inf == f->inf &&
		           t->files[i].dir == f->dir);
		if (f->entry != DRIVERS_CACHE_NO_ENTRY) {
			FUZZ_CHECK(drivers_cache_entry(c2, f->entry, &rel,
			                               &key) == 0);
			FUZZ_CHECK(streq(rel, f->rel));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c = NULL;
	_cleanup_free_ char *identity = NULL;
	_cleanup_free_ struct drivers_package *pkgs = NULL;
	_cleanup_free_ char ***sources = NULL;
	_cleanup_free_ struct drivers_cache_key *keys = NULL;
	const struct drivers_cache_tree *t;
	const char *rel;
	struct drivers_cache_key key;
	uint8_t *buf;
	size_t len, n, k = 0;
	unsigned flags;
	int r;

	if (size < 1)
		return 0;
	flags = data[0];
	buf = prepare(data + 1, size - 1, flags, &len, &identity);
	FUZZ_CHECK(drivers_cache_new(identity ? identity : "fuzz", flags & 4,
	                             NULL, &c) == 0);
	r = drivers_cache_load_buffer(c, "fuzz.catalog", buf, len);
	FUZZ_CHECK(r == 0 || r == 1 || r == -ENOMEM);
	n = drivers_cache_n_entries(c);
	t = drivers_cache_tree(c);
	if (r != 1) {
		FUZZ_CHECK(n == 0 && !t);
		FUZZ_CHECK(drivers_cache_entry(c, 0, &rel, &key) == -ENOENT);
		return 0;
	}
	if (t)
		check_tree(c, t);
	pkgs = calloc(n + 1, sizeof(*pkgs));
	sources = calloc(n + 1, sizeof(*sources));
	keys = calloc(n + 1, sizeof(*keys));
	FUZZ_CHECK(pkgs && sources && keys);
	/* the scan restores by the hint of the tree's file when it has
	 * one, by path otherwise: half of each */
	for (size_t i = 0; i < n; i++)
		if (restore(c, i, i % 2 == 0, &pkgs[k], &sources[k], &keys[k]))
			k++;
	FUZZ_CHECK(drivers_cache_entry(c, n, &rel, &key) == -ENOENT);
	check_round_trip(c, identity ? identity : "fuzz", flags & 4, pkgs,
	                 sources, keys, k);
	return 0;
}
