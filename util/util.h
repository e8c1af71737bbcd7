/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util/ — leaf helpers shared by every module of imgfix: the cleanup and
 * -errno idioms, logging, string lists, a small sorted string map (used for
 * guest facts), UTF-16LE <-> UTF-8 conversion, whole-file I/O, safe path
 * joins and SHA-256.  Nothing in here knows about images, hives or rules.
 *
 * Conventions (see STYLE.md): functions return 0 (or a count) on success and
 * -errno on failure; out-parameters are named ret_* and are left untouched on
 * failure; destructors accept NULL and return NULL.
 */
#ifndef IMGFIX_UTIL_H
#define IMGFIX_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- cleanup idiom ------------------------------------------------------ */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

static inline void
util_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(util_freep)

static inline void
util_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(util_fclosep)

static inline void
util_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(util_closep)

/* Hand ownership over: returns the pointer and sets the variable to NULL. */
#define TAKE_PTR(p)                      \
	__extension__({                  \
		__typeof__(p) _p_ = (p); \
		(p) = NULL;              \
		_p_;                     \
	})
#define TAKE_FD(fd)              \
	__extension__({          \
		int _fd_ = (fd); \
		(fd) = -1;       \
		_fd_;            \
	})

/* Defines name##p(type **) calling func on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p)     \
	{                                       \
		if (*p)                         \
			func(*p);               \
	}

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static inline bool
streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool
strcaseeq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static inline bool
streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

/* Returns the rest of s after prefix, or NULL when s does not start with it. */
const char *util_startswith(const char *s, const char *prefix);
const char *util_startswith_case(const char *s, const char *prefix);
bool util_endswith_case(const char *s, const char *suffix);

/* malloc that aborts on OOM is *not* used: callers handle -ENOMEM. */
char *util_strndup0(const char *s, size_t n); /* NUL-terminated copy */
int util_asprintf(char **ret, const char *fmt, ...) _printf_(2, 3);
/* Replaces *p (freed) by the formatted string, NULL when out of memory;
 * p NULL: nothing (an optional char **ret_error). */
void util_replace_strf(char **p, const char *fmt, ...) _printf_(2, 3);
char *util_strtolower(char *s); /* in place, ASCII only; returns s */

/* Parses a decimal or 0x-prefixed unsigned number; whole string must match. */
int util_parse_u64(const char *s, uint64_t *ret);
int util_parse_u32(const char *s, uint32_t *ret);

/* ---- logging ------------------------------------------------------------ */

enum util_log_level {
	UTIL_LOG_ERR = 3,
	UTIL_LOG_WARNING = 4,
	UTIL_LOG_NOTICE = 5,
	UTIL_LOG_INFO = 6,
	UTIL_LOG_DEBUG = 7,
};

void util_log_set_level(enum util_log_level level);
enum util_log_level util_log_get_level(void);
/* Program name printed before each message ("imgfix: ..."). */
void util_log_set_prefix(const char *prefix);

/*
 * Logs to stderr and returns -abs(error) (or 0 when error is 0), so that
 * `return log_error_errno(r, "Failed to open '%s': %m", p);` works.  %m
 * expands to strerror(abs(error)).
 */
/* No format attribute: with -Wpedantic GCC rejects the %m extension the
 * style relies on; formats are checked by the tests that exercise them. */
int util_log_internal(enum util_log_level level, int error, const char *fmt,
                      ...);

#define log_error(...) util_log_internal(UTIL_LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) util_log_internal(UTIL_LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) util_log_internal(UTIL_LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) util_log_internal(UTIL_LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) util_log_internal(UTIL_LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) \
	util_log_internal(UTIL_LOG_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) \
	util_log_internal(UTIL_LOG_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) \
	util_log_internal(UTIL_LOG_DEBUG, (e), __VA_ARGS__)

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t util_now_ns(void);
/*
 * Debug log (-vv) of a finished phase: "time: <what> 1.2 ms (total 3.4 ms)",
 * measured from the previous call and from the first one.  Costs one clock
 * read when debug logging is off.
 */
void util_log_phase(const char *what);

/* ---- string lists (NULL-terminated char **) ----------------------------- */

char **util_strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, util_strv_free)
#define _cleanup_strv_free_ _cleanup_(util_strv_freep)
size_t util_strv_length(char *const *l);
/* Appends a copy of s; *l may be NULL.  Returns 0 or -ENOMEM. */
int util_strv_push(char ***l, const char *s);
/* Appends s itself (takes ownership even on failure: frees s on -ENOMEM). */
int util_strv_consume(char ***l, char *s);
/* Appends the formatted string (vasprintf); *l may be NULL.  0 or -ENOMEM
 * (then *l is unchanged).  The v variant takes a va_list for wrappers. */
int util_strv_pushf(char ***l, const char *fmt, ...) _printf_(2, 3);
int util_strv_pushfv(char ***l, const char *fmt, va_list ap) _printf_(2, 0);
bool util_strv_contains(char *const *l, const char *s);
bool util_strv_contains_case(char *const *l, const char *s);
char **util_strv_copy(char *const *l);
/* Splits on any of the separator characters; empty fields are dropped. */
int util_strv_split(const char *s, const char *separators, char ***ret);
/* Joins with sep; returns NULL on OOM. */
char *util_strv_join(char *const *l, const char *sep);
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)

/* ---- a sorted string -> string map (guest facts, options) --------------- */

struct util_strmap;

struct util_strmap *util_strmap_new(void);
struct util_strmap *util_strmap_free(struct util_strmap *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct util_strmap *, util_strmap_free)
/* Copies key and value; replaces an existing key.  0 or -ENOMEM. */
int util_strmap_set(struct util_strmap *m, const char *key, const char *value);
int util_strmap_setf(struct util_strmap *m, const char *key, const char *fmt,
                     ...) _printf_(3, 4);
/* NULL when absent.  Keys are compared case-sensitively. */
const char *util_strmap_get(const struct util_strmap *m, const char *key);
int util_strmap_remove(struct util_strmap *m, const char *key);
size_t util_strmap_size(const struct util_strmap *m);
/* Entries in key order (strcmp); i < size. */
const char *util_strmap_key(const struct util_strmap *m, size_t i);
const char *util_strmap_value(const struct util_strmap *m, size_t i);

/* ---- UTF-16LE <-> UTF-8 ------------------------------------------------- */

/*
 * Converts len bytes of UTF-16LE to a NUL-terminated UTF-8 string.  Lossless:
 * unpaired surrogates are encoded as WTF-8 (3-byte sequences), an odd trailing
 * byte makes it -EILSEQ.  Embedded U+0000 are kept; *ret_len (may be NULL)
 * receives the UTF-8 length without the terminator.  Nothing is stripped: the
 * caller decides about terminators.
 */
int util_utf16le_to_utf8(const void *buf, size_t len, char **ret,
                         size_t *ret_len);
/*
 * Converts len bytes of UTF-8 (WTF-8 accepted) to UTF-16LE.  No terminator is
 * added.  Invalid UTF-8 is -EILSEQ.
 */
int util_utf8_to_utf16le(const char *s, size_t len, void **ret,
                         size_t *ret_len);

/* ---- files and paths ---------------------------------------------------- */

/* Reads a whole file, refusing files larger than max bytes (-EFBIG). The
 * buffer has an extra NUL byte after *ret_len bytes. */
int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Writes via a temp file in the same directory + fsync + rename. */
int util_write_file_atomic(const char *path, const void *buf, size_t len);
/* mkdir -p, mode 0755. */
int util_mkdir_p(const char *path);
/* rm -rf of a directory tree we created (temp dirs); no symlink following. */
int util_rm_rf(const char *path);
/*
 * Creates a private temporary directory $TMPDIR/imgfix-TAG-XXXXXX (or under
 * /tmp), which this process holds (a flock(2)-ed lock file inside) until
 * util_rmdtemp() or its end.  The first call of a process removes the
 * directories of imgfix processes that are gone (util_tmp_reap()).
 */
int util_mkdtemp(const char *tag, char **ret);
/* Removes a directory of util_mkdtemp() and releases its lock; NULL is a
 * no-op.  Returns the removal's error, if any. */
int util_rmdtemp(const char *path);
/* Keeps a directory of util_mkdtemp() for good (for debugging): no reaper
 * removes it once this process is gone. */
int util_keepdtemp(const char *path);
/*
 * Removes the imgfix-* directories under base ($TMPDIR or /tmp when NULL)
 * that belong to this user and whose lock nobody holds.  *ret_removed (may
 * be NULL) gets their number.
 */
int util_tmp_reap(const char *base, unsigned *ret_removed);
/* Joins a and b with exactly one '/'; NULL on OOM. */
char *util_path_join(const char *a, const char *b);

/* ---- SHA-256 ------------------------------------------------------------ */

#define UTIL_SHA256_HEX_LEN 64
void util_sha256_hex(const void *buf, size_t len,
                     char ret[UTIL_SHA256_HEX_LEN + 1]);
int util_sha256_file(const char *path, char ret[UTIL_SHA256_HEX_LEN + 1]);
/* Incremental SHA-256 over pieces (no allocation): init, update, final
 * (the 32 raw bytes). */
#define UTIL_SHA256_LEN 32
struct util_sha256 {
	uint8_t opaque[128]; /* nettle's sha256_ctx, copied in and out */
};
void util_sha256_init(struct util_sha256 *s);
void util_sha256_update(struct util_sha256 *s, const void *buf, size_t len);
void util_sha256_final(struct util_sha256 *s, uint8_t ret[UTIL_SHA256_LEN]);

/* ---- little-endian accessors (for bounds-checked buffers) --------------- */

static inline uint16_t
util_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t
util_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t
util_le64(const void *p)
{
	return (uint64_t)util_le32(p) |
	       (uint64_t)util_le32((const uint8_t *)p + 4) << 32;
}

static inline void
util_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = v & 0xff;
	b[1] = v >> 8;
}

static inline void
util_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (v >> (8 * i)) & 0xff;
}

static inline void
util_put_le64(void *p, uint64_t v)
{
	util_put_le32(p, (uint32_t)v);
	util_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* ---- progress (util/progress.c) ----------------------------------------- */

/*
 * Progress of long work (store scans, guestfs launch, file copies, batch).
 * Terminal mode draws one self-erasing line on the terminal stream (stderr)
 * when it is a tty and the work has lasted longer than the delay; quiet
 * mode prints nothing; machine mode prints "progress:LABEL:DONE/TOTAL"
 * lines (LABEL reduced to [A-Za-z0-9._-]) on its own stream for wrappers.
 * The CLI configures it once (--quiet, --machine-readable); library code
 * just reports.  No progress is shown until util_progress_configure() has
 * been called with a mode other than QUIET.
 */
enum util_progress_mode {
	UTIL_PROGRESS_QUIET = 0,
	UTIL_PROGRESS_TERMINAL, /* bar on .term when it is a tty */
	UTIL_PROGRESS_MACHINE,  /* lines on .machine */
};

struct util_progress_config {
	enum util_progress_mode mode;
	FILE *term;        /* terminal stream; NULL = stderr */
	FILE *machine;     /* machine-readable stream; NULL = stdout */
	unsigned delay_ms; /* terminal: show only work lasting longer */
};

#define UTIL_PROGRESS_DELAY_MS 1000u
#define UTIL_PROGRESS_LABEL_MAX 64

struct util_progress;

void util_progress_configure(const struct util_progress_config *c);
/* total 0 means unknown.  Returns 0 or -ENOMEM; *ret is NULL when nothing
 * is to be shown (every other call accepts NULL). */
int util_progress_start(const char *label, uint64_t total,
                        struct util_progress **ret);
void util_progress_update(struct util_progress *p, uint64_t done);
/* Erases the terminal line (or prints the final machine line) and frees;
 * returns NULL. */
struct util_progress *util_progress_end(struct util_progress *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct util_progress *, util_progress_end)

#endif
