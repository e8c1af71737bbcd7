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

/* What says an INF did not change since it was cached. */
struct drivers_cache_key {
	uint64_t size, mtime_ns, ctime_ns, ino;
};

struct drivers_cache;

/*
 * The cache of the store root_path scanned for origin (a directory, or an
 * ISO image when iso), loaded when a valid file exists; a damaged file or
 * one from another imgfix version is ignored with a notice.  Fails only
 * when origin cannot be resolved, or -ENOMEM.
 */
int drivers_cache_open(const char *origin, const char *root_path, bool iso,
                       struct drivers_cache **ret);
struct drivers_cache *drivers_cache_free(struct drivers_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct drivers_cache *, drivers_cache_free)
/* The checksum of a cache file's body (exposed for the tests). */
uint64_t drivers_cache_checksum(const void *p, size_t n);
/* Entries of the file loaded (0 when none was valid). */
size_t drivers_cache_n_entries(const struct drivers_cache *c);
/* The cache's own files in a store root (not part of the store). */
bool drivers_cache_is_own_file(const char *rel);
/*
 * Fills p (all but the paths, files_present, files_missing and
 * catalog_present) from the entry of rel when its key matches: returns 1
 * and the SourceDisksFiles paths in *ret_sources.  Everything restored
 * points into the cache, which must outlive p.  0 when not cached.
 */
int drivers_cache_restore(struct drivers_cache *c, const char *rel,
                          const struct drivers_cache_key *key,
                          struct drivers_package *p, char ***ret_sources);
/* Writes the cache of these packages (beside the store, else in the
 * user's cache); -errno when neither can be written. */
int drivers_cache_save(struct drivers_cache *c,
                       const struct drivers_package *const *pkgs,
                       char **const *sources,
                       const struct drivers_cache_key *keys, size_t n);

#endif
