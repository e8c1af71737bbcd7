/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hive/ — safe, typed editing of Windows registry hives over hivex.
 *
 * Everything imgfix changes in a Windows guest's registry goes through this
 * header.  Keys are addressed by backslash paths relative to the hive root
 * ("ControlSet001\\Services\\viostor"; empty components are ignored, "" is
 * the root), matched case-insensitively as Windows does (ASCII case
 * folding, as hivex does; key and value names keep the spelling they have
 * in the hive when an edit names them differently).  "Not found" is -ENOENT,
 * distinct from real errors.  Edits are plain data (struct hive_edit) so that
 * plans can be built, shown and compared before anything is written.
 *
 * A hive is untrusted input: every count, depth and size read from it is
 * checked against the HIVE_MAX_* limits below.
 */
#ifndef IMGFIX_HIVE_H
#define IMGFIX_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits for anything read from a hive (hostile input). */
#define HIVE_MAX_DEPTH 512
#define HIVE_MAX_SUBKEYS 1000000
#define HIVE_MAX_VALUES 1000000
#define HIVE_MAX_VALUE_SIZE (16u * 1024 * 1024)
#define HIVE_MAX_NAME 16384
#define HIVE_MAX_FILE_SIZE (1024ull * 1024 * 1024)
/*
 * Largest value hive_apply_edits() will write.  Windows keeps values above
 * this size in "big data" (db) cells in hives of format 1.4 and later;
 * hivex writes one plain cell, which Windows would misread.  An edit that
 * would (re)write a larger value of such a hive fails with -EFBIG.
 */
#define HIVE_MAX_WRITE_VALUE_SIZE 16344u

/* Registry value types (winnt.h numbering). Unknown types are kept raw. */
enum hive_type {
	HIVE_T_NONE = 0,
	HIVE_T_SZ = 1,
	HIVE_T_EXPAND_SZ = 2,
	HIVE_T_BINARY = 3,
	HIVE_T_DWORD = 4,
	HIVE_T_DWORD_BIG_ENDIAN = 5,
	HIVE_T_LINK = 6,
	HIVE_T_MULTI_SZ = 7,
	HIVE_T_RESOURCE_LIST = 8,
	HIVE_T_FULL_RESOURCE_DESCRIPTOR = 9,
	HIVE_T_RESOURCE_REQUIREMENTS_LIST = 10,
	HIVE_T_QWORD = 11,
};

struct hive;

enum hive_open_flags {
	HIVE_OPEN_WRITE = 1 << 0,   /* refuse dirty hives (-EUCLEAN) */
	HIVE_OPEN_VERBOSE = 1 << 1, /* hivex verbose/debug output */
	/* with WRITE: accept a dirty hive (the user said so: its logs could
	 * not be replayed and what only they hold is lost) */
	HIVE_OPEN_DIRTY_OK = 1 << 2,
};

/*
 * Opens the hive file at path.  With HIVE_OPEN_WRITE a dirty hive (header
 * sequence numbers differ: newer state lives in .LOG1/.LOG2) is refused with
 * -EUCLEAN.  A file that is not a hive is -EBADMSG (hivex: "not a hive"),
 * truncated/corrupt structures -EBADMSG too, a file too large -EFBIG.
 */
int hive_open(const char *path, unsigned flags, struct hive **ret);
/* Like hive_open(); on failure *ret_error (may be NULL) receives a malloc'd
 * message saying what is wrong with the file and what the user can do. */
int hive_open_full(const char *path, unsigned flags, struct hive **ret,
                   char **ret_error);
struct hive *hive_free(struct hive *h);
static inline void
hive_freep(struct hive **h)
{
	if (*h)
		hive_free(*h);
}
/* True when the header sequence numbers differ. */
bool hive_is_dirty(const struct hive *h);
/* Human-readable detail of the last error on this handle (or NULL). */
const char *hive_last_error(const struct hive *h);
/* The file the hive was opened from. */
const char *hive_path(const struct hive *h);

/* ---- reading ------------------------------------------------------------ */

/* A raw value: type as stored (any 32-bit number) and its bytes. */
struct hive_value {
	uint32_t type;
	uint8_t *data;
	size_t len;
};
void hive_value_done(struct hive_value *v);

/* 0 when the key exists, -ENOENT when not. */
int hive_key_exists(struct hive *h, const char *key);
/* Subkey names / value names ("" = the default value), in hive order. */
int hive_list_subkeys(struct hive *h, const char *key, char ***ret);
int hive_list_values(struct hive *h, const char *key, char ***ret);

/* name "" or NULL = the key's default value.  -ENOENT: key or value absent. */
int hive_get_value(struct hive *h, const char *key, const char *name,
                   struct hive_value *ret);
/* SZ / EXPAND_SZ (and, leniently, NONE/BINARY holding UTF-16) as UTF-8,
 * without the terminator.  Wrong type: -EMEDIUMTYPE. */
int hive_get_string(struct hive *h, const char *key, const char *name,
                    char **ret);
/* DWORD (or DWORD_BIG_ENDIAN).  Wrong type or size: -EMEDIUMTYPE. */
int hive_get_dword(struct hive *h, const char *key, const char *name,
                   uint32_t *ret);
int hive_get_qword(struct hive *h, const char *key, const char *name,
                   uint64_t *ret);
/* MULTI_SZ as a NULL-terminated list (empty items in the middle kept). */
int hive_get_multi_sz(struct hive *h, const char *key, const char *name,
                      char ***ret);

/*
 * Resolves SYSTEM\Select\Current to "ControlSetNNN" and checks that the key
 * exists.  Documented fallback: Select missing or Current=0 (setup-time
 * hives) -> the lowest existing ControlSetNNN (NNN = three digits, not 000),
 * returned with 1 instead of 0 so the caller can warn.  Current pointing at
 * a missing set (e.g. 2 with only 001 and 003): -ENOENT; no set at all:
 * -ENOENT; Current not a 4-byte DWORD: -EMEDIUMTYPE.
 */
int hive_current_control_set(struct hive *h, char **ret);

/* ---- encoding helpers --------------------------------------------------- */

/* UTF-8 -> UTF-16LE with one terminating NUL (SZ / EXPAND_SZ data). */
int hive_encode_sz(const char *s, uint8_t **ret, size_t *ret_len);
/* List -> UTF-16LE items, each NUL-terminated, plus the final NUL. */
int hive_encode_multi_sz(char *const *items, uint8_t **ret, size_t *ret_len);
/* Decodes MULTI_SZ bytes (lenient about missing terminators). */
int hive_decode_multi_sz(const uint8_t *data, size_t len, char ***ret);

/* ---- edits as data ------------------------------------------------------ */

enum hive_edit_kind {
	HIVE_EDIT_SET_VALUE,       /* key, name, type, data/len (creates key) */
	HIVE_EDIT_DELETE_VALUE,    /* key, name; absent value is not an error */
	HIVE_EDIT_CREATE_KEY,      /* key (and parents) */
	HIVE_EDIT_DELETE_KEY,      /* key and its whole tree; absent is fine */
	HIVE_EDIT_MULTI_SZ_ADD,    /* append item unless present (case-ins.) */
	HIVE_EDIT_MULTI_SZ_REMOVE, /* remove every case-insensitive match */
};

struct hive_edit {
	enum hive_edit_kind kind;
	char *key;       /* backslash path relative to the hive root */
	char *name;      /* value name; "" = default value; NULL for key ops */
	uint32_t type;   /* SET_VALUE: the registry type */
	uint8_t *data;   /* SET_VALUE: raw bytes as they will be stored */
	size_t len;      /* SET_VALUE: number of bytes */
	char *item;      /* MULTI_SZ_ADD / _REMOVE: the item (UTF-8) */
	bool no_clobber; /* SET_VALUE: keep an existing value */
	char *origin;    /* provenance (rule id / driver), may be NULL */
};

/* A growable list of edits; zero-initialise, release with _done(). */
struct hive_edits {
	struct hive_edit *v;
	size_t n, allocated;
	char *origin; /* copied into every edit added while set */
};
void hive_edits_done(struct hive_edits *l);
/* Sets the origin recorded in subsequently added edits (NULL clears). */
int hive_edits_set_origin(struct hive_edits *l, const char *origin);
int hive_edits_set(struct hive_edits *l, const char *key, const char *name,
                   uint32_t type, const void *data, size_t len);
int hive_edits_set_sz(struct hive_edits *l, const char *key, const char *name,
                      uint32_t type /* SZ or EXPAND_SZ */, const char *s);
int hive_edits_set_dword(struct hive_edits *l, const char *key,
                         const char *name, uint32_t v);
int hive_edits_set_multi_sz(struct hive_edits *l, const char *key,
                            const char *name, char *const *items);
int hive_edits_delete_value(struct hive_edits *l, const char *key,
                            const char *name);
int hive_edits_create_key(struct hive_edits *l, const char *key);
int hive_edits_delete_key(struct hive_edits *l, const char *key);
int hive_edits_multi_sz_add(struct hive_edits *l, const char *key,
                            const char *name, const char *item);
int hive_edits_multi_sz_remove(struct hive_edits *l, const char *key,
                               const char *name, const char *item);
/* Appends copies of all edits of src to l. */
int hive_edits_append(struct hive_edits *l, const struct hive_edits *src);

/*
 * Applies edits in order to a hive opened with HIVE_OPEN_WRITE.  All or
 * nothing as far as the file is concerned: nothing reaches disk until
 * hive_commit().  On failure *ret_failed (may be NULL) is the index of the
 * edit that failed, hive_last_error() says why, and the handle refuses
 * further edits and hive_commit() (-ESTALE): reopen the file.  A SET_VALUE
 * that would store exactly the bytes already there writes nothing.
 * Read-only handle: -EROFS.  Wrong type for a MULTI_SZ item edit:
 * -EMEDIUMTYPE.  A value above HIVE_MAX_WRITE_VALUE_SIZE in a key being
 * rewritten: -EFBIG.
 */
int hive_apply_edits(struct hive *h, const struct hive_edit *edits, size_t n,
                     size_t *ret_failed);

/* Writes the (edited) hive to new_path (created or truncated, then
 * fsync'ed), which must not be the open file (-EINVAL); the caller moves
 * it into place. */
int hive_commit(struct hive *h, const char *new_path);
enum {
	/* no fsync: new_path is a scratch copy that nobody needs after a
	 * crash (imgfix's plan writes the hive to the image itself later) */
	HIVE_COMMIT_NO_SYNC = 1 << 0,
};
int hive_commit_full(struct hive *h, const char *new_path, unsigned flags);

/* ---- export and diff ---------------------------------------------------- */

/*
 * Writes key (NULL/"" = root) and its subtree as Windows .reg text
 * ("Windows Registry Editor Version 5.00"), key paths prefixed with prefix
 * (e.g. "HKEY_LOCAL_MACHINE\\SYSTEM"; the root key is "[PREFIX]", or "[\\]"
 * without a prefix).  Values and subkeys are sorted by name (bytewise).
 * Notation: `@` = default value; `"name"="text"` for an SZ holding
 * printable ASCII with one terminating NUL; dword:xxxxxxxx for a 4-byte
 * DWORD; hex: for BINARY; hex(N): for everything else (odd strings
 * included, so nothing is lost); long hex wrapped with "\\" like regedit.
 * hivexregedit --merge and regedit import it back exactly.  A hive whose
 * subkey lists loop is -ELOOP; names with line breaks are -EBADMSG.
 */
int hive_export_reg(struct hive *h, const char *key, const char *prefix,
                    FILE *out);

/* Writes one value as a .reg line (`"name"=...` or `@=...`, newline
 * included) in the notation of hive_export_reg().  -EBADMSG when the name
 * holds a line break. */
int hive_reg_write_value(FILE *out, const char *name, uint32_t type,
                         const uint8_t *data, size_t len);

/*
 * Writes the difference a -> b as .reg-like text: keys added/removed,
 * values added/removed/changed ("-" lines for removals, old values as
 * comments).  Returns the number of differences (0 = identical).
 * Keys and values are matched case-insensitively.  An added key is written
 * with its whole subtree and counts 1, so does a removed key ("[-KEY]");
 * each added, removed ("name"=-) or changed value counts 1; a changed value
 * is preceded by "; was: <old value>" before its key header.  The text is
 * valid .reg: merged into a (hivexregedit --merge), it gives b.
 */
int hive_diff(struct hive *a, struct hive *b, const char *prefix, FILE *out);

/* ---- transaction logs: recovering dirty hives (log.c, recover.c) -------- */

/*
 * Windows writes registry changes to the hive's transaction logs first
 * (SYSTEM.LOG1/.LOG2 from 8.1 on, "HvLE" entries; SYSTEM.LOG or .LOG1/.LOG2
 * in the old "DIRT" format before) and the primary file later: a hive
 * captured from a running or crashed machine is "dirty" (header sequence
 * numbers differ, or a bad header checksum) and only primary + logs give its
 * true content.  Recovery replays the logs the way Windows does at hive load
 * into a private copy and leaves a clean hive (equal sequence numbers, valid
 * checksum) there.
 */
#define HIVE_LOG_MAX_FILE_SIZE (256u * 1024 * 1024)
/* A log starts with a copy of its primary's base block, this long. */
#define HIVE_LOG_BASE_BLOCK 512
/* .LOG1, .LOG2 and .LOG beside one hive. */
#define HIVE_LOG_MAX_LOGS 3

struct hive_recovery {
	bool dirty;          /* the primary needed recovery */
	bool recovered;      /* logs were replayed: the copy is clean now */
	bool bad_base_block; /* the primary's header was bad: taken from a log
	                      */
	unsigned entries;    /* log entries replayed (old format: pages) */
	unsigned n_logs;     /* logs that contributed */
	uint32_t seq;        /* sequence number of the recovered hive */
	char *logs;    /* "SYSTEM.LOG1 (4 entries), SYSTEM.LOG2 (20 ...)" */
	char *problem; /* dirty and not recovered: why, naming each log */
	char *detail;  /* where and why replay stopped, ignored logs */
};
void hive_recovery_done(struct hive_recovery *r);

/*
 * Replays the transaction logs log_paths (NULL-terminated; missing files
 * are skipped; order does not matter) into the hive file at path, which
 * must be a private copy: when logs were replayed it is rewritten in place
 * (no fsync) as the recovered, clean hive.  A clean primary is left alone
 * (Windows ignores the logs then).  A dirty one whose logs cannot be used is
 * left alone too, with ret->problem saying why.  Errors (-errno) are I/O and
 * memory only.
 */
int hive_recover_file(const char *path, char *const *log_paths,
                      struct hive_recovery *ret);

/*
 * A transaction log read on demand (replay reads a log only as far as its
 * valid entries go): name is for messages ("SYSTEM.LOG1"), size the file's
 * size; read() fills buf with the len bytes at off (0) or fails (-errno:
 * the hive is then not recovered, the problem names the log).  A size
 * above HIVE_LOG_MAX_FILE_SIZE is named as too large, nothing is read.
 */
struct hive_log_source {
	const char *name;
	uint64_t size;
	int (*read)(void *userdata, uint64_t off, void *buf, size_t len);
	void *userdata;
};
/* hive_recover_file() with the logs as sources (n at most 3). */
int hive_recover_file_logs(const char *path, const struct hive_log_source *logs,
                           size_t n, struct hive_recovery *ret);

/* The transaction logs beside the host file path: path.LOG1, .LOG2, .LOG
 * in any letter case (NULL-terminated list, possibly empty). */
int hive_find_logs(const char *path, char ***ret);

/* A hive is dirty when its header checksum is wrong or its sequence numbers
 * differ.  hdr: the first len bytes of the file. */
bool hive_header_dirty(const void *hdr, size_t len);
/* The same for a file: 1 dirty, 0 clean (or not a hive at all), -errno. */
int hive_file_dirty(const char *path);

/*
 * The content a transaction log gets once its clean primary (the first
 * 512 bytes of it are enough: primary_hdr) has been written: what Windows
 * leaves after a successful flush when it starts the log anew: a 512-byte
 * base block copy with the primary's sequence number (file type 6, or the
 * old log's 1/2) and no entry; the old entries are dropped (the file is
 * 512 bytes long).  Nothing in it can ever be replayed over the primary.
 * -EINVAL when primary_hdr is not clean.
 */
int hive_log_reset(const void *primary_hdr, size_t hdr_len, const void *old_log,
                   size_t old_len, uint8_t **ret, size_t *ret_len);

#endif
