/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations shared by the files of hive/: the handle, error
 * recording, path resolution and value-list helpers.  This is the only
 * header of the project that includes <hivex.h>.
 */
#ifndef IMGFIX_HIVE_INTERNAL_H
#define IMGFIX_HIVE_INTERNAL_H

/* hivex.h and hive.h both name an enum hive_type: hivex's is renamed here
 * (hivex_hive_type) so that both headers can be used together. */
#define hive_type hivex_hive_type
#include <hivex.h>
#undef hive_type

#include "hive.h"
#include "util.h"

/* Size of the regf base block (header) at the start of every hive. */
#define HIVE_HEADER_SIZE 4096
/* Smallest well-formed hive: the base block plus one 4 KiB hbin. */
#define HIVE_MIN_FILE_SIZE 8192

/* The children of one key sorted by name (ASCII case folded, as hivex
 * compares), so that lookups under big keys (Services, Enum\PCI, CDDB) are
 * a binary search instead of hivex's linear scan that decodes every name. */
struct hive_kids {
	hive_node_h parent;
	size_t n;
	hive_node_h *nodes;
	char **names;
};

struct hive {
	hive_h *hx;
	/* lookup cache: hive_kids_drop() after any change of key structure */
	struct hive_kids *kids;
	size_t n_kids;
	size_t kids_total; /* names in all cached lists */
	char *path;
	bool writable;
	bool dirty;
	/* An apply failed half-way: the in-memory hive must not be committed.
	 */
	bool poisoned;
	uint32_t seq1, seq2;
	uint32_t minor_version;
	char *error;
};

/* Records a formatted message as the handle's last error; returns r. */
int hive_set_error(struct hive *h, int r, const char *fmt, ...) _printf_(3, 4);
/* Maps errno after a failed hivex call to a -errno of our contract and
 * records "what: reason" as the last error.  Returns the -errno. */
int hive_hivex_error(struct hive *h, int saved_errno, const char *what,
                     const char *key);

/* Resolves a backslash path to a node; -ENOENT when a component is absent.
 * ret_canonical (may be NULL) receives the path with the hive's spelling. */
int hive_lookup(struct hive *h, const char *key, hive_node_h *ret,
                char **ret_canonical);
/* Forgets the lookup cache (key added or deleted). */
void hive_kids_drop(struct hive *h);
/* Like hive_lookup, creating missing components. */
int hive_lookup_create(struct hive *h, const char *key, hive_node_h *ret);

/* One value of a node, fully read. */
struct hive_raw_value {
	char *name;
	uint32_t type;
	uint8_t *data;
	size_t len;
};
void hive_raw_values_free(struct hive_raw_value *v, size_t n);
/* Reads every value of node (hive order), checking the HIVE_MAX_* limits. */
int hive_read_values(struct hive *h, hive_node_h node, const char *key,
                     struct hive_raw_value **ret, size_t *ret_n);
/* Reads the subkeys of node with their names, checking limits. */
int hive_read_children(struct hive *h, hive_node_h node, const char *key,
                       hive_node_h **ret_nodes, char ***ret_names,
                       size_t *ret_n);

/* True when name can be written to a one-line .reg record. */
bool hive_reg_name_ok(const char *name);

/* ---- transaction logs (log.c, recover.c) -------------------------------- */

/* Base block fields (offsets in the 4096-byte regf header). */
#define HIVE_BB_SEQ1 4
#define HIVE_BB_SEQ2 8
#define HIVE_BB_TIMESTAMP 12
#define HIVE_BB_MAJOR 20
#define HIVE_BB_MINOR 24
#define HIVE_BB_TYPE 28
#define HIVE_BB_FORMAT 32
#define HIVE_BB_ROOT 36
#define HIVE_BB_HBINS_SIZE 40
#define HIVE_BB_CLUSTERING 44
#define HIVE_BB_FLAGS 144
#define HIVE_BB_REORGANIZED 168
#define HIVE_BB_CHECKSUM 508
/* The checksum covers the bytes before it. */
#define HIVE_BASE_BLOCK_SUM_LEN 508

#define HIVE_FILE_PRIMARY 0
#define HIVE_FILE_LOG_OLD 1
#define HIVE_FILE_LOG_VERYOLD 2
#define HIVE_FILE_LOG_NEW 6

/* Logs count in 512-byte sectors: the base block copy is one sector. */
#define HIVE_LOG_SECTOR 512
#define HIVE_BIN_ALIGN 4096
#define HIVE_LOG_ENTRY_HEADER 40
#define HIVE_MARVIN32_SEED 0x82EF4D887A4E55C5ull
/* Logs read on demand are read in steps of at least this. */
#define HIVE_LOG_READ_STEP (64u * 1024)
/* Limits for anything read from a log (hostile input). */
#define HIVE_LOG_MAX_HBINS_SIZE ((uint32_t)(HIVE_MAX_FILE_SIZE - 4096))
#define HIVE_LOG_MAX_PAGES 1000000u
#define HIVE_LOG_MAX_ENTRIES 1000000u

enum hive_log_format {
	HIVE_LOG_NONE, /* unusable: problem says why */
	HIVE_LOG_OLD,  /* base block + DIRT vector + 512-byte pages */
	HIVE_LOG_NEW,  /* base block + HvLE entries */
};

/* One log file and what its base block says.  Either all of it is in
 * memory (read NULL: data, len borrowed) or it is read on demand through
 * read(), a window at a time, only as far as replay goes (data then points
 * into buf and holds the len bytes at file offset at). */
struct hive_log {
	const char *name; /* for messages: "SYSTEM.LOG1" */
	const uint8_t *data;
	size_t len;
	uint64_t size; /* of the file (set from len when read is NULL) */
	int (*read)(void *userdata, uint64_t off, void *buf, size_t len);
	void *userdata;
	uint64_t at;  /* file offset of data[0] */
	uint8_t *buf; /* owned: the window read() fills */
	size_t cap;
	int read_error; /* -errno of a failed read(): the log is unusable */
	/* filled by hive_log_parse() */
	enum hive_log_format format;
	uint8_t base_block[HIVE_LOG_SECTOR];
	uint32_t seq;
	uint64_t timestamp;
	uint32_t hbins_size;
	char *problem; /* malloc'd "NAME: why" when format is NONE */
};

/* One whole, hash-checked HvLE entry. */
struct hive_log_entry {
	size_t offset;
	uint32_t size, flags, seq, hbins_size, n_pages;
	const uint8_t *refs;  /* n_pages x {offset u32, size u32} */
	const uint8_t *pages; /* the pages, back to back */
};

/* The DIRT vector of an old-format log. */
struct hive_log_vector {
	const uint8_t *bitmap;
	size_t bits;    /* one per 512-byte page of the hive bins data */
	size_t n_dirty; /* bits set = pages stored */
	const uint8_t *pages;
};

uint64_t hive_marvin32(const void *buf, size_t len, uint64_t seed);
/* XOR-32 of the first 508 bytes (0 -> 1, ~0 -> ~1, as Windows writes). */
uint32_t hive_base_block_checksum(const uint8_t *b);
/* Stores the checksum of b in b. */
void hive_base_block_seal(uint8_t *b);
/* Signature, checksum, version, format, clustering, hive bins size. */
bool hive_base_block_valid(const uint8_t *b, size_t len, const char **ret_why);
/* Checks the base block of the log; sets format/seq/... or problem.
 * 0, or -ENOMEM. */
int hive_log_parse(struct hive_log *log);
void hive_log_done(struct hive_log *log);
/* The entry at off if it is whole, has sequence number expected and only
 * references pages inside its hive bins data size: 1.  0: no entry there;
 * *ret_why (malloc'd) says why when it is not the plain end of the log.
 * Reads the entry from the log; its pointers are good until the next call
 * on the log. */
int hive_log_entry_at(struct hive_log *log, size_t off, uint32_t expected,
                      struct hive_log_entry *ret, char **ret_why);
/* The dirty vector of an old-format log: 1, or 0 with *ret_why. */
int hive_log_dirty_vector(struct hive_log *log, struct hive_log_vector *ret,
                          char **ret_why);

/* Replays logs into a copy of the primary (data, len): see recover.c. */
int hive_recover_data(const uint8_t *data, size_t len, struct hive_log *logs,
                      size_t n_logs, uint8_t **ret, size_t *ret_len,
                      struct hive_recovery *rec);

#endif
