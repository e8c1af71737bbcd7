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

#endif
