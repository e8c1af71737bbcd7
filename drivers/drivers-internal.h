/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations shared by the files of drivers/: error messages with
 * file and line, and the small helpers the parser, the store and the
 * selection have in common (helpers.c; drivers_inf_source_path in
 * install.c).
 */
#ifndef IMGFIX_DRIVERS_INTERNAL_H
#define IMGFIX_DRIVERS_INTERNAL_H

#include "drivers.h"
#include "util.h"

/* Depth limit of a store's directory tree. */
#define DRIVERS_MAX_STORE_DEPTH 32
/* Limits of what is extracted from a store's ISO image. */
#define DRIVERS_MAX_ISO_FILE_SIZE (512ull * 1024 * 1024)
#define DRIVERS_MAX_ISO_TOTAL_SIZE (8ull * 1024 * 1024 * 1024)
/* Fields of a whole INF (bounds memory: an 8 MiB file of commas). */
#define DRIVERS_MAX_INF_FIELDS 1000000u
/* Limit of models lines / AddReg lines considered per INF. */
#define DRIVERS_MAX_ITEMS 100000

/*
 * Sets *ret_error (when not NULL and still unset) to "name:line: msg" (line
 * 0: "name: msg") and returns err (a negative errno).
 */
int drivers_error(char **ret_error, int err, const char *name, unsigned line,
                  const char *fmt, ...) _printf_(5, 6);

/* A blank of an INF line (not a line end). */
static inline bool
drivers_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Growable array append of one element; 0 or -ENOMEM. */
int drivers_grow(void **v, size_t *allocated, size_t n, size_t size);

/* Date "MM/DD/YYYY" -> YYYYMMDD, version "a.b.c.d" -> packed u64; 0 when
 * absent or unparsable. */
uint32_t drivers_date_key(const char *date);
uint64_t drivers_version_key(const char *version);

/* Converts backslashes to '/', drops leading "\" and ".\"; -EINVAL for
 * ".." components or absolute paths. */
int drivers_rel_path(const char *a, const char *b, const char *c, char **ret);

/* An INF's bytes as NUL-terminated UTF-8 (inf-decode.c); -EBADMSG with a
 * message for bad UTF-16 or bad UTF-8 after a BOM. */
int drivers_inf_decode(const char *name, const uint8_t *buf, size_t len,
                       char **ret, size_t *ret_len, char **ret_error);
/* Replaces every token in *text (malloc'd) by value; -EFBIG past 4 times
 * DRIVERS_MAX_INF_SIZE. */
int drivers_inf_replace_all(char **text, size_t *len, const char *token,
                            const char *value);

/* IDs of the undecorated models sections of decorated [Manufacturer]
 * lines (struct drivers_package.fallback_ids); NULL when none. */
int drivers_inf_fallback_ids(const struct drivers_inf *inf, char ***ret);

/* Package-relative path of a source file (SourceDisksFiles[.arch] and
 * SourceDisksNames[.arch] path and subdirectory). */
int drivers_inf_source_path(const struct drivers_inf *inf, const char *arch,
                            const char *file, char **ret);

/* ---- the catalog cache (cache.c) ---------------------------------------- */

/* Size limit of a catalog cache file read back. */
#define DRIVERS_MAX_CACHE_SIZE (1024ull * 1024 * 1024)

/* What says an INF (or a directory: size 0) did not change since it was
 * cached.  untrusted: the file or directory may still change within the
 * same timestamp tick as the scan, so the key does not prove anything: an
 * entry saved untrusted is never used. */
struct drivers_cache_key {
	uint64_t size, mtime_ns, ctime_ns, ino;
	bool untrusted;
};

/* A directory of the store as the cache recorded it: an unchanged one is
 * not listed again. */
struct drivers_cache_dir {
	const char *rel;  /* "" for the root */
	const char *name; /* its last component (in rel) */
	uint32_t parent;  /* index of the parent (the root: 0) */
	struct drivers_cache_key key;
	uint32_t first_child, n_children; /* in tree.children, by name */
	uint32_t first_file, n_files;     /* in tree.dir_files */
};

/* A file of the store as the cache recorded it. */
struct drivers_cache_file {
	const char *rel, *lower;
	uint32_t dir; /* index of its directory */
	uint32_t
	        entry; /* its catalog entry, DRIVERS_CACHE_NO_ENTRY when none */
	bool inf;
};

#define DRIVERS_CACHE_NO_ENTRY UINT32_MAX

/* The store's tree as cached: dirs in path order (the root first, a
 * directory before what it holds), files in the store's order
 * (drivers_file_order()). */
struct drivers_cache_tree {
	const struct drivers_cache_dir *dirs;
	size_t n_dirs;
	const uint32_t *children;  /* per directory, see first_child */
	const uint32_t *dir_files; /* per directory, see first_file */
	const struct drivers_cache_file *files;
	size_t n_files;
};

/* The order of a store's files: lower-case path, then path. */
static inline int
drivers_file_order(const char *lower_a, const char *rel_a, const char *lower_b,
                   const char *rel_b)
{
	int c = strcmp(lower_a, lower_b);

	return c ? c : strcmp(rel_a, rel_b);
}

/* Whether a file or directory with this mtime may still change within
 * its timestamp tick, seen from a scan that started at now_ns (wall
 * clock): its key then proves nothing. */
bool drivers_cache_racy(uint64_t mtime_ns, int64_t now_ns);

struct drivers_cache;

/*
 * The cache of the store root_path scanned for origin (a directory, or an
 * ISO image when iso), loaded when a valid file exists; a damaged file or
 * one from another imgfix version is ignored with a notice.  Fails only
 * when origin cannot be resolved, or -ENOMEM.
 */
int drivers_cache_open(const char *origin, const char *root_path, bool iso,
                       struct drivers_cache **ret);
/* A cache with nothing loaded, for the store of that identity, saved to
 * user_file (NULL: nowhere); what drivers_cache_open() builds on. */
int drivers_cache_new(const char *identity, bool iso, const char *user_file,
                      struct drivers_cache **ret);
/*
 * Takes buf (len bytes, malloc()ed; the cache owns it from then on, also
 * on failure) as the cache file name and checks it as the loader does
 * every file it reads (drivers_cache_open() reads with one read and calls
 * this): 1 loaded, in place (restores point into buf); 0 when it does not
 * check out, with a notice naming name, and nothing loaded; -ENOMEM.
 * What was loaded before is dropped: no package may point into it.
 */
int drivers_cache_load_buffer(struct drivers_cache *c, const char *name,
                              uint8_t *buf, size_t len);
struct drivers_cache *drivers_cache_free(struct drivers_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct drivers_cache *, drivers_cache_free)
/* The checksum of a cache file's body (exposed for the tests). */
uint64_t drivers_cache_checksum(const void *p, size_t n);
/* Entries of the file loaded (0 when none was valid). */
size_t drivers_cache_n_entries(const struct drivers_cache *c);
/* Path and key of entry i of the file loaded (in path order), -ENOENT
 * past the end: what a restore of it must be given. */
int drivers_cache_entry(const struct drivers_cache *c, size_t i,
                        const char **ret_rel,
                        struct drivers_cache_key *ret_key);
/* The cache's own files in a store root (not part of the store). */
bool drivers_cache_is_own_file(const char *rel);
/*
 * Fills p (all but the paths, files_present, files_missing and
 * catalog_present) from the entry of rel when its key matches: returns 1
 * and the SourceDisksFiles paths in *ret_sources.  Everything restored
 * points into the cache, which must outlive p.  0 when not cached (or
 * the entry does not decode).  Restores may run on several threads.
 */
int drivers_cache_restore(struct drivers_cache *c, const char *rel,
                          const struct drivers_cache_key *key,
                          struct drivers_package *p, char ***ret_sources);
/* The tree of the file loaded; NULL when none (ISO stores, no file). */
const struct drivers_cache_tree *
drivers_cache_tree(const struct drivers_cache *c);
/* Index of the child of directory d named name, -1 when none. */
int64_t drivers_cache_find_child(const struct drivers_cache *c, uint32_t d,
                                 const char *name);
/* Index of the directory rel in the tree, -1 when none. */
int64_t drivers_cache_find_dir(const struct drivers_cache *c, const char *rel);
/* restore() of the entry at index hint (from the tree's file) when its
 * path is rel, else as restore(). */
int drivers_cache_restore_at(struct drivers_cache *c, uint32_t hint,
                             const char *rel,
                             const struct drivers_cache_key *key,
                             struct drivers_package *p, char ***ret_sources);

/* What a save writes: the packages, and the tree the scan saw (dirs in
 * any order, the root among them; files in the store's order). */
struct drivers_cache_content {
	const struct drivers_package *const *pkgs;
	char **const *sources;
	const struct drivers_cache_key *keys;
	size_t n;
	const struct drivers_cache_dir *dirs; /* rel and key only */
	size_t n_dirs;
	const struct drivers_cache_file *files; /* rel, lower, inf only */
	size_t n_files;
};

/* Writes the cache (beside the store, else in the user's cache); -errno
 * when neither can be written. */
int drivers_cache_save(struct drivers_cache *c,
                       const struct drivers_cache_content *content);

#endif
