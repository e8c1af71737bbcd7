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
 * Properties: nothing crashes, leaks or hangs; a file that does not load
 * leaves nothing loaded; a restored package is one an INF parse could
 * give (its models' strings set, every list NULL-terminated, every string
 * inside the file); the tree's index lists stay inside its arrays and name
 * each directory and file once, under its own parent.
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
 * key the entry was saved under (what a stat of an unchanged INF gives). */
static void
restore(struct drivers_cache *c, size_t i, bool by_hint)
{
	struct drivers_package p = {0};
	struct drivers_cache_key key;
	char **sources = NULL;
	const char *rel;
	int r;

	FUZZ_CHECK(drivers_cache_entry(c, i, &rel, &key) == 0);
	FUZZ_CHECK(rel);
	if (by_hint)
		r = drivers_cache_restore_at(c, (uint32_t)i, rel, &key, &p,
		                             &sources);
	else
		r = drivers_cache_restore(c, rel, &key, &p, &sources);
	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 0) {
		FUZZ_CHECK(!sources && !p.devices && !p.archs && !p.error);
		return;
	}
	FUZZ_CHECK(!key.untrusted);
	check_package(&p, sources);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c = NULL;
	_cleanup_free_ char *identity = NULL;
	const struct drivers_cache_tree *t;
	const char *rel;
	struct drivers_cache_key key;
	uint8_t *buf;
	size_t len, n;
	unsigned flags;
	int r;

	if (size < 1)
		return 0;
	flags = data[0];
	buf = prepare(data + 1, size - 1, flags, &len, &identity);
	FUZZ_CHECK(drivers_cache_new(identity ? identity : "fuzz", flags & 4,
	                             &c) == 0);
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
	/* the scan restores by the hint of the tree's file when it has
	 * one, by path otherwise: half of each */
	for (size_t i = 0; i < n; i++)
		restore(c, i, i % 2 == 0);
	FUZZ_CHECK(drivers_cache_entry(c, n, &rel, &key) == -ENOENT);
	return 0;
}
