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

#endif
