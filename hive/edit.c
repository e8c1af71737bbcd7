/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Edits as data, and applying them.
 *
 * The rest of imgfix describes registry changes as a list of struct
 * hive_edit; this file builds such lists, applies them to a hive opened for
 * writing and commits the result to a new file.  hivex writes a node's
 * values as a whole, so every value change reads the node's values, changes
 * the list and writes it back; a value that would be written larger than
 * HIVE_MAX_WRITE_VALUE_SIZE (a "big data" value hivex cannot write the way
 * Windows expects) makes the edit fail instead of corrupting the hive.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "hive-internal.h"

/* ---- the list ----------------------------------------------------------- */

static void
edit_done(struct hive_edit *e)
{
	free(e->key);
	free(e->name);
	free(e->data);
	free(e->item);
	free(e->origin);
	*e = (struct hive_edit){0};
}

void
hive_edits_done(struct hive_edits *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		edit_done(&l->v[i]);
	free(l->v);
	free(l->origin);
	*l = (struct hive_edits){0};
}

int
hive_edits_set_origin(struct hive_edits *l, const char *origin)
{
	char *s = NULL;

	if (origin) {
		s = strdup(origin);
		if (!s)
			return -ENOMEM;
	}
	free(l->origin);
	l->origin = s;
	return 0;
}

static char *
strdup_or_null(const char *s, bool *oom)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*oom = true;
	return c;
}

/* Appends a deep copy of e (origin: e's own, else the list's). */
static int
push_edit(struct hive_edits *l, const struct hive_edit *e)
{
	struct hive_edit c = {0};
	bool oom = false;

	if (!e->key)
		return -EINVAL;
	if (e->len > HIVE_MAX_VALUE_SIZE)
		return -EFBIG;
	if (l->n == l->allocated) {
		size_t a = l->allocated ? l->allocated * 2 : 16;
		struct hive_edit *v = reallocarray(l->v, a, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->allocated = a;
	}
	c.kind = e->kind;
	c.type = e->type;
	c.len = e->len;
	c.no_clobber = e->no_clobber;
	c.key = strdup_or_null(e->key, &oom);
	c.name = strdup_or_null(e->name, &oom);
	c.item = strdup_or_null(e->item, &oom);
	c.origin = strdup_or_null(e->origin ? e->origin : l->origin, &oom);
	if (e->kind == HIVE_EDIT_SET_VALUE) {
		c.data = malloc(e->len ? e->len : 1);
		if (c.data && e->len)
			memcpy(c.data, e->data, e->len);
		else if (!c.data)
			oom = true;
	}
	if (oom) {
		edit_done(&c);
		return -ENOMEM;
	}
	l->v[l->n++] = c;
	return 0;
}

int
hive_edits_set(struct hive_edits *l, const char *key, const char *name,
               uint32_t type, const void *data, size_t len)
{
	struct hive_edit e = {
	        .kind = HIVE_EDIT_SET_VALUE,
	        .key = (char *)key,
	        .name = (char *)(name ? name : ""),
	        .type = type,
	        .data = (uint8_t *)data,
	        .len = len,
	};

	if (len > 0 && !data)
		return -EINVAL;
	return push_edit(l, &e);
}

int
hive_edits_set_sz(struct hive_edits *l, const char *key, const char *name,
                  uint32_t type, const char *s)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	if (type != HIVE_T_SZ && type != HIVE_T_EXPAND_SZ)
		return -EINVAL;
	r = hive_encode_sz(s, &data, &len);
	if (r < 0)
		return r;
	return hive_edits_set(l, key, name, type, data, len);
}

int
hive_edits_set_dword(struct hive_edits *l, const char *key, const char *name,
                     uint32_t v)
{
	uint8_t b[4];

	util_put_le32(b, v);
	return hive_edits_set(l, key, name, HIVE_T_DWORD, b, sizeof(b));
}

int
hive_edits_set_multi_sz(struct hive_edits *l, const char *key, const char *name,
                        char *const *items)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	r = hive_encode_multi_sz(items, &data, &len);
	if (r < 0)
		return r;
	return hive_edits_set(l, key, name, HIVE_T_MULTI_SZ, data, len);
}

int
hive_edits_delete_value(struct hive_edits *l, const char *key, const char *name)
{
	struct hive_edit e = {
	        .kind = HIVE_EDIT_DELETE_VALUE,
	        .key = (char *)key,
	        .name = (char *)(name ? name : ""),
	};

	return push_edit(l, &e);
}

int
hive_edits_create_key(struct hive_edits *l, const char *key)
{
	struct hive_edit e = {.kind = HIVE_EDIT_CREATE_KEY, .key = (char *)key};

	return push_edit(l, &e);
}

int
hive_edits_delete_key(struct hive_edits *l, const char *key)
{
	struct hive_edit e = {.kind = HIVE_EDIT_DELETE_KEY, .key = (char *)key};

	return push_edit(l, &e);
}

static int
push_item_edit(struct hive_edits *l, enum hive_edit_kind kind, const char *key,
               const char *name, const char *item)
{
	struct hive_edit e = {
	        .kind = kind,
	        .key = (char *)key,
	        .name = (char *)(name ? name : ""),
	        .item = (char *)item,
	};

	if (!item)
		return -EINVAL;
	return push_edit(l, &e);
}

int
hive_edits_multi_sz_add(struct hive_edits *l, const char *key, const char *name,
                        const char *item)
{
	return push_item_edit(l, HIVE_EDIT_MULTI_SZ_ADD, key, name, item);
}

int
hive_edits_multi_sz_remove(struct hive_edits *l, const char *key,
                           const char *name, const char *item)
{
	return push_item_edit(l, HIVE_EDIT_MULTI_SZ_REMOVE, key, name, item);
}

int
hive_edits_append(struct hive_edits *l, const struct hive_edits *src)
{
	int r;

	for (size_t i = 0; i < src->n; i++) {
		r = push_edit(l, &src->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- applying ----------------------------------------------------------- */

static int
find_value(const struct hive_raw_value *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcaseeq(v[i].name, name))
			return (int)i;
	return -1;
}

/* Writes the value list of node; skip (may be -1) is left out. */
static int
write_values(struct hive *h, hive_node_h node, const char *key,
             const struct hive_raw_value *v, size_t n, int skip)
{
	_cleanup_free_ hive_set_value *sv = NULL;
	size_t m = 0;

	sv = calloc(n ? n : 1, sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((int)i == skip)
			continue;
		if (h->minor_version >= 4 &&
		    v[i].len > HIVE_MAX_WRITE_VALUE_SIZE)
			return hive_set_error(
			        h, -EFBIG,
			        "Cannot write key '%s': its value '%s' is %zu "
			        "bytes, and hivex cannot write values above %u "
			        "bytes in the big-data form Windows requires",
			        key, v[i].name, v[i].len,
			        HIVE_MAX_WRITE_VALUE_SIZE);
		sv[m].key = v[i].name;
		sv[m].t = (hivex_hive_type)v[i].type;
		sv[m].len = v[i].len;
		sv[m].value = (char *)v[i].data;
		m++;
	}
	errno = 0;
	if (hivex_node_set_values(h->hx, node, m, sv, 0) < 0)
		return hive_hivex_error(h, errno, "Failed to write values of",
		                        key);
	return 0;
}

/* Sets one value in the node's list (replacing a case-insensitive match).
 * Ownership of data passes to this function. */
static int
set_value(struct hive *h, hive_node_h node, const char *key, const char *name,
          uint32_t type, uint8_t *data, size_t len, bool no_clobber)
{
	struct hive_raw_value *v = NULL;
	size_t n = 0;
	int r, i;

	r = hive_read_values(h, node, key, &v, &n);
	if (r < 0) {
		free(data);
		return r;
	}
	i = find_value(v, n, name);
	if (i >= 0 && (no_clobber || (v[i].type == type && v[i].len == len &&
	                              memcmp(v[i].data, data, len) == 0))) {
		/* Kept, or already exactly this: nothing to write. */
		free(data);
		hive_raw_values_free(v, n);
		return 0;
	}
	if (i < 0) {
		struct hive_raw_value *nv = reallocarray(v, n + 1, sizeof(*v));
		char *nm = strdup(name);

		if (!nv || !nm) {
			free(nm);
			free(data);
			hive_raw_values_free(nv ? nv : v, n);
			return -ENOMEM;
		}
		v = nv;
		i = (int)n++;
		v[i] = (struct hive_raw_value){.name = nm};
	} else
		free(v[i].data);
	v[i].type = type;
	v[i].data = data;
	v[i].len = len;
	r = write_values(h, node, key, v, n, -1);
	hive_raw_values_free(v, n);
	return r;
}

static int
apply_set(struct hive *h, const struct hive_edit *e)
{
	hive_node_h node;
	uint8_t *copy;
	int r;

	if (e->len > HIVE_MAX_VALUE_SIZE || (e->len > 0 && !e->data))
		return hive_set_error(h, -EINVAL,
		                      "Invalid data for value '%s' of '%s'",
		                      e->name ? e->name : "", e->key);
	r = hive_lookup_create(h, e->key, &node);
	if (r < 0)
		return r;
	copy = malloc(e->len ? e->len : 1);
	if (!copy)
		return -ENOMEM;
	if (e->len)
		memcpy(copy, e->data, e->len);
	return set_value(h, node, e->key, e->name ? e->name : "", e->type, copy,
	                 e->len, e->no_clobber);
}

static int
apply_delete_value(struct hive *h, const struct hive_edit *e)
{
	struct hive_raw_value *v = NULL;
	hive_node_h node;
	size_t n = 0;
	int r, i;

	r = hive_lookup(h, e->key, &node, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = hive_read_values(h, node, e->key, &v, &n);
	if (r < 0)
		return r;
	i = find_value(v, n, e->name ? e->name : "");
	if (i >= 0)
		r = write_values(h, node, e->key, v, n, i);
	hive_raw_values_free(v, n);
	return r;
}

static int
apply_delete_key(struct hive *h, const struct hive_edit *e)
{
	hive_node_h node;
	int r;

	r = hive_lookup(h, e->key, &node, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (node == hivex_root(h->hx))
		return hive_set_error(h, -EINVAL,
		                      "Refusing to delete the root key of the "
		                      "hive");
	hive_kids_drop(h);
	errno = 0;
	if (hivex_node_delete_child(h->hx, node) < 0)
		return hive_hivex_error(h, errno, "Failed to delete key",
		                        e->key);
	return 0;
}

static int
apply_multi_sz(struct hive *h, const struct hive_edit *e)
{
	_cleanup_strv_free_ char **items = NULL;
	struct hive_value cur = {0};
	const char *name = e->name ? e->name : "";
	hive_node_h node;
	uint8_t *data;
	size_t len, n, o = 0;
	bool changed = false;
	int r;

	if (!e->item)
		return hive_set_error(h, -EINVAL,
		                      "MULTI_SZ edit of '%s' without an item",
		                      e->key);
	r = hive_get_value(h, e->key, name, &cur);
	if (r == -ENOENT && e->kind == HIVE_EDIT_MULTI_SZ_REMOVE)
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	if (r >= 0) {
		if (cur.type != HIVE_T_MULTI_SZ) {
			r = hive_set_error(
			        h, -EMEDIUMTYPE,
			        "Value '%s' of '%s' has type %u, not "
			        "MULTI_SZ: cannot edit its items",
			        name, e->key, cur.type);
			hive_value_done(&cur);
			return r;
		}
		r = hive_decode_multi_sz(cur.data, cur.len, &items);
		hive_value_done(&cur);
		if (r < 0)
			return r;
	} else {
		items = calloc(1, sizeof(char *));
		if (!items)
			return -ENOMEM;
	}

	if (e->kind == HIVE_EDIT_MULTI_SZ_ADD) {
		if (!util_strv_contains_case(items, e->item)) {
			r = util_strv_push(&items, e->item);
			if (r < 0)
				return r;
			changed = true;
		}
	} else {
		n = util_strv_length(items);
		for (size_t i = 0; i < n; i++) {
			if (strcaseeq(items[i], e->item)) {
				free(items[i]);
				changed = true;
			} else
				items[o++] = items[i];
		}
		items[o] = NULL;
	}
	if (!changed)
		return 0;

	r = hive_encode_multi_sz(items, &data, &len);
	if (r < 0)
		return r;
	r = hive_lookup_create(h, e->key, &node);
	if (r < 0) {
		free(data);
		return r;
	}
	return set_value(h, node, e->key, name, HIVE_T_MULTI_SZ, data, len,
	                 false);
}

static int
apply_one(struct hive *h, const struct hive_edit *e)
{
	hive_node_h node;

	if (!e->key)
		return hive_set_error(h, -EINVAL, "Edit without a key");
	switch (e->kind) {
	case HIVE_EDIT_SET_VALUE:
		return apply_set(h, e);
	case HIVE_EDIT_DELETE_VALUE:
		return apply_delete_value(h, e);
	case HIVE_EDIT_CREATE_KEY:
		return hive_lookup_create(h, e->key, &node);
	case HIVE_EDIT_DELETE_KEY:
		return apply_delete_key(h, e);
	case HIVE_EDIT_MULTI_SZ_ADD:
	case HIVE_EDIT_MULTI_SZ_REMOVE:
		return apply_multi_sz(h, e);
	}
	return hive_set_error(h, -EINVAL, "Unknown edit kind %d", (int)e->kind);
}

int
hive_apply_edits(struct hive *h, const struct hive_edit *edits, size_t n,
                 size_t *ret_failed)
{
	int r;

	if (!h->writable)
		return hive_set_error(
		        h, -EROFS, "Hive '%s' was opened read-only", h->path);
	if (h->poisoned)
		return hive_set_error(
		        h, -ESTALE,
		        "Hive '%s' holds a half-applied edit list; "
		        "reopen it",
		        h->path);
	for (size_t i = 0; i < n; i++) {
		r = apply_one(h, &edits[i]);
		if (r < 0) {
			h->poisoned = true;
			if (ret_failed)
				*ret_failed = i;
			return r;
		}
	}
	return 0;
}

int
hive_commit(struct hive *h, const char *new_path)
{
	return hive_commit_full(h, new_path, 0);
}

int
hive_commit_full(struct hive *h, const char *new_path, unsigned flags)
{
	struct stat a, b;
	int fd, r;

	if (!h->writable)
		return hive_set_error(
		        h, -EROFS, "Hive '%s' was opened read-only", h->path);
	if (h->poisoned)
		return hive_set_error(h, -ESTALE,
		                      "Refusing to commit hive '%s': an edit "
		                      "failed half-way",
		                      h->path);
	if (!new_path || streq(new_path, h->path) ||
	    (stat(new_path, &a) == 0 && stat(h->path, &b) == 0 &&
	     a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		return hive_set_error(h, -EINVAL,
		                      "Commit target must be a new file, not "
		                      "the open hive '%s'",
		                      h->path);
	errno = 0;
	if (hivex_commit(h->hx, new_path, 0) < 0)
		return hive_hivex_error(h, errno, "Failed to write hive to",
		                        new_path);
	if (flags & HIVE_COMMIT_NO_SYNC)
		return 0;
	fd = open(new_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return hive_set_error(h, r, "Failed to flush '%s': %s",
		                      new_path, strerror(-r));
	}
	if (close(fd) < 0) {
		r = -errno;
		return hive_set_error(h, r, "Failed to close '%s': %s",
		                      new_path, strerror(-r));
	}
	return 0;
}
