/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening hives, resolving backslash paths and reading typed values.
 *
 * hivex does the parsing; this file checks what hivex does not: the header
 * sequence numbers (a dirty hive must not be written), the named limits of
 * hive.h on everything read, and it turns hivex's "0 with errno 0 means not
 * found" into -ENOENT and its errno values into messages that say what is
 * wrong.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "hive-internal.h"

int
hive_set_error(struct hive *h, int r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!h)
		return r;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(h->error);
	h->error = s;
	return r;
}

static int
map_hivex_errno(int e)
{
	switch (e) {
	case 0:
		return -EIO;
	case ENOMEM:
	case ENOENT:
	case EACCES:
	case EPERM:
	case EROFS:
	case EEXIST:
	case EOVERFLOW:
	case EISDIR:
	case ENOSPC:
	case EDQUOT:
	case EIO:
		return -e;
	case ERANGE:
	case EFBIG:
		return -EFBIG;
	default:
		/* EINVAL, EFAULT, ENOTSUP, ELOOP, ...: hivex found a structure
		 * it will not follow. */
		return -EBADMSG;
	}
}

int
hive_hivex_error(struct hive *h, int saved_errno, const char *what,
                 const char *key)
{
	int r = map_hivex_errno(saved_errno);
	const char *why = r == -EBADMSG ? " (corrupt or unsupported structure)"
	                  : r == -EFBIG ? " (beyond hivex's size limits)"
	                                : "";

	return hive_set_error(h, r, "%s%s%s%s: hivex: %s%s", what,
	                      key ? " '" : "", key ? key : "", key ? "'" : "",
	                      strerror(saved_errno ? saved_errno : EIO), why);
}

/* Reads and checks the base block; fills seq1/seq2/minor of h. */
static int
check_header(struct hive *h, const char *path, char **ret_error)
{
	_cleanup_close_ int fd = -1;
	uint8_t hdr[HIVE_HEADER_SIZE];
	struct stat st;
	ssize_t n;
	int r;

	/* O_NONBLOCK: a FIFO must not block us before the S_ISREG check. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		util_replace_strf(ret_error, "Cannot open hive '%s': %s", path,
		                  strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		util_replace_strf(ret_error, "Cannot stat hive '%s': %s", path,
		                  strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		util_replace_strf(ret_error, "'%s' is a directory, not a hive",
		                  path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		util_replace_strf(ret_error, "'%s' is not a regular file",
		                  path);
		return -EBADMSG;
	}
	if ((unsigned long long)st.st_size > HIVE_MAX_FILE_SIZE) {
		util_replace_strf(
		        ret_error,
		        "Hive '%s' is %lld bytes, more than the limit of "
		        "%llu bytes",
		        path, (long long)st.st_size, HIVE_MAX_FILE_SIZE);
		return -EFBIG;
	}
	if (st.st_size == 0) {
		util_replace_strf(
		        ret_error,
		        "'%s' is empty (0 bytes), not a registry hive", path);
		return -EBADMSG;
	}
	if (st.st_size < HIVE_MIN_FILE_SIZE) {
		util_replace_strf(
		        ret_error,
		        "'%s' is %lld bytes: too short for a registry "
		        "hive (at least %d); truncated?",
		        path, (long long)st.st_size, HIVE_MIN_FILE_SIZE);
		return -EBADMSG;
	}
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0) {
		r = -errno;
		util_replace_strf(ret_error, "Cannot read hive '%s': %s", path,
		                  strerror(-r));
		return r;
	}
	if ((size_t)n < sizeof(hdr) || memcmp(hdr, "regf", 4) != 0) {
		util_replace_strf(ret_error,
		                  "'%s' is not a registry hive (no 'regf' "
		                  "signature)",
		                  path);
		return -EBADMSG;
	}
	/* hivex only reads the hbins that are there; a short file is a
	 * truncated hive, not a smaller one. */
	if ((uint64_t)HIVE_HEADER_SIZE + util_le32(hdr + 0x28) >
	    (uint64_t)st.st_size) {
		util_replace_strf(ret_error,
		                  "Hive '%s' is truncated: its header declares "
		                  "%llu bytes of data but the file has %lld",
		                  path,
		                  (unsigned long long)util_le32(hdr + 0x28) +
		                          HIVE_HEADER_SIZE,
		                  (long long)st.st_size);
		return -EBADMSG;
	}
	h->seq1 = util_le32(hdr + 4);
	h->seq2 = util_le32(hdr + 8);
	h->minor_version = util_le32(hdr + 24);
	h->dirty = h->seq1 != h->seq2;
	return 0;
}

int
hive_open_full(const char *path, unsigned flags, struct hive **ret,
               char **ret_error)
{
	struct hive *h;
	int hflags = 0, r;

	if (!path || !ret)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->path = strdup(path);
	if (!h->path) {
		hive_free(h);
		return -ENOMEM;
	}
	r = check_header(h, path, ret_error);
	if (r < 0) {
		hive_free(h);
		return r;
	}
	if (flags & HIVE_OPEN_WRITE)
		hflags |= HIVEX_OPEN_WRITE;
	if (flags & HIVE_OPEN_VERBOSE)
		hflags |= HIVEX_OPEN_VERBOSE | HIVEX_OPEN_DEBUG;
	errno = 0;
	h->hx = hivex_open(path, hflags);
	if (!h->hx) {
		int e = errno;

		r = map_hivex_errno(e);
		util_replace_strf(ret_error, "hivex cannot open '%s': %s%s",
		                  path, strerror(e ? e : EIO),
		                  r == -EBADMSG ? " (corrupt or truncated hive)"
		                                : "");
		hive_free(h);
		return r;
	}
	/* Checked after hivex validated the file: garbage is "corrupt", not
	 * "dirty". */
	if ((flags & HIVE_OPEN_WRITE) && h->dirty &&
	    !(flags & HIVE_OPEN_DIRTY_OK)) {
		util_replace_strf(
		        ret_error,
		        "Hive '%s' is dirty (header sequence numbers %u and %u "
		        "differ) and its transaction logs (.LOG1/.LOG2/.LOG) "
		        "were not replayed into it: its newest changes exist "
		        "only in those logs, and writing the stale primary "
		        "would lose them",
		        path, h->seq1, h->seq2);
		hive_free(h);
		return -EUCLEAN;
	}
	h->writable = flags & HIVE_OPEN_WRITE;
	*ret = h;
	return 0;
}

int
hive_open(const char *path, unsigned flags, struct hive **ret)
{
	return hive_open_full(path, flags, ret, NULL);
}

struct hive *
hive_free(struct hive *h)
{
	if (!h)
		return NULL;
	hive_kids_drop(h);
	if (h->hx)
		(void)hivex_close(h->hx);
	free(h->path);
	free(h->error);
	free(h);
	return NULL;
}

bool
hive_is_dirty(const struct hive *h)
{
	return h && h->dirty;
}

const char *
hive_last_error(const struct hive *h)
{
	return h ? h->error : NULL;
}

const char *
hive_path(const struct hive *h)
{
	return h ? h->path : NULL;
}

/* ---- paths -------------------------------------------------------------- */

/* Splits key on backslashes, dropping empty components. */
static int
split_key(struct hive *h, const char *key, char ***ret)
{
	_cleanup_strv_free_ char **parts = NULL;
	int r;

	r = util_strv_split(key ? key : "", "\\", &parts);
	if (r < 0)
		return r;
	if (util_strv_length(parts) > HIVE_MAX_DEPTH)
		return hive_set_error(h, -E2BIG,
		                      "Key path '%s' is deeper than %d levels",
		                      key, HIVE_MAX_DEPTH);
	STRV_FOREACH (p, parts)
		if (strlen(*p) > HIVE_MAX_NAME)
			return hive_set_error(
			        h, -ENAMETOOLONG,
			        "Key name in '%s' is longer than %d bytes", key,
			        HIVE_MAX_NAME);
	*ret = TAKE_PTR(parts);
	return 0;
}

/* Keys with fewer subkeys are searched by hivex directly. */
#define HIVE_KIDS_MIN 16
/* Cached parents at most; the cache starts over when full. */
#define HIVE_KIDS_MAX 64
/* Bigger keys are searched by hivex; and the cache holds at most this many
 * names in all (a hostile hive can declare a million subkeys per key:
 * memory stays bounded). */
#define HIVE_KIDS_MAX_KEY 65536
#define HIVE_KIDS_MAX_TOTAL (4 * HIVE_KIDS_MAX_KEY)

void
hive_kids_drop(struct hive *h)
{
	for (size_t i = 0; i < h->n_kids; i++) {
		util_strv_free(h->kids[i].names);
		free(h->kids[i].nodes);
	}
	free(h->kids);
	h->kids = NULL;
	h->n_kids = 0;
	h->kids_total = 0;
}

static void
kids_forget(struct hive *h, hive_node_h parent)
{
	for (size_t i = 0; i < h->n_kids; i++)
		if (h->kids[i].parent == parent) {
			h->kids_total -= h->kids[i].n;
			util_strv_free(h->kids[i].names);
			free(h->kids[i].nodes);
			h->kids[i] = h->kids[--h->n_kids];
			return;
		}
}

/* After child = hivex_node_add_child(parent, ...): no other key moves,
 * so the new child goes into parent's cached list (if any) in order. */
static void
kids_added(struct hive *h, hive_node_h parent, hive_node_h child)
{
	for (size_t i = 0; i < h->n_kids; i++) {
		struct hive_kids *k = &h->kids[i];
		hive_node_h *nodes;
		char **names, *dup;
		size_t at = k->n;

		if (k->parent != parent)
			continue;
		if (k->n >= HIVE_KIDS_MAX_KEY ||
		    h->kids_total >= HIVE_KIDS_MAX_TOTAL) {
			kids_forget(h, parent);
			return;
		}
		dup = hivex_node_name(h->hx, child);
		nodes = realloc(k->nodes, (k->n + 1) * sizeof(*nodes));
		if (nodes)
			k->nodes = nodes;
		names = realloc(k->names, (k->n + 2) * sizeof(*names));
		if (names)
			k->names = names;
		if (!dup || !nodes || !names) {
			free(dup);
			kids_forget(h, parent);
			return;
		}
		/* after equal names: the older key keeps winning lookups */
		while (at > 0 && strcasecmp(k->names[at - 1], dup) > 0)
			at--;
		memmove(k->nodes + at + 1, k->nodes + at,
		        (k->n - at) * sizeof(*k->nodes));
		memmove(k->names + at + 1, k->names + at,
		        (k->n - at + 1) * sizeof(*k->names));
		k->nodes[at] = child;
		k->names[at] = dup;
		k->n++;
		h->kids_total++;
		return;
	}
}

struct kid {
	char *name;
	hive_node_h node;
	size_t index;
};

static int
kid_cmp(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	/* equal names (a damaged hive): the first in hive order wins, as in
	 * hivex_node_get_child */
	if (c == 0)
		c = x->index < y->index ? -1 : x->index > y->index;
	return c;
}

/* The sorted children of node, from the cache or read now; NULL when the
 * key is small (or on any error: the caller falls back to hivex). */
static const struct hive_kids *
kids_of(struct hive *h, hive_node_h node)
{
	_cleanup_free_ hive_node_h *kids = NULL;
	_cleanup_free_ struct kid *v = NULL;
	struct hive_kids k = {.parent = node};
	size_t n = 0;

	for (size_t i = 0; i < h->n_kids; i++)
		if (h->kids[i].parent == node)
			return &h->kids[i];
	errno = 0;
	if (hivex_node_nr_children(h->hx, node) < HIVE_KIDS_MIN ||
	    hivex_node_nr_children(h->hx, node) > HIVE_KIDS_MAX_KEY)
		return NULL;
	kids = hivex_node_children(h->hx, node);
	if (!kids)
		return NULL;
	while (kids[n])
		n++;
	if (n < HIVE_KIDS_MIN || n > HIVE_KIDS_MAX_KEY)
		return NULL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = (struct kid){.name = hivex_node_name(h->hx, kids[i]),
		                    .node = kids[i],
		                    .index = i};
		if (!v[i].name) {
			for (size_t j = 0; j < i; j++)
				free(v[j].name);
			return NULL;
		}
	}
	qsort(v, n, sizeof(*v), kid_cmp);
	k.n = n;
	k.nodes = calloc(n, sizeof(*k.nodes));
	k.names = calloc(n + 1, sizeof(*k.names));
	if (!k.nodes || !k.names) {
		for (size_t i = 0; i < n; i++)
			free(v[i].name);
		free(k.nodes);
		free(k.names);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		k.nodes[i] = v[i].node;
		k.names[i] = v[i].name;
	}
	if (h->n_kids == HIVE_KIDS_MAX ||
	    h->kids_total + n > HIVE_KIDS_MAX_TOTAL)
		hive_kids_drop(h);
	struct hive_kids *t =
	        realloc(h->kids, (h->n_kids + 1) * sizeof(*h->kids));
	if (!t) {
		util_strv_free(k.names);
		free(k.nodes);
		return NULL;
	}
	h->kids = t;
	h->kids[h->n_kids] = k;
	h->kids_total += n;
	return &h->kids[h->n_kids++];
}

static int
get_child(struct hive *h, hive_node_h node, const char *name, const char *key,
          hive_node_h *ret)
{
	const struct hive_kids *k = kids_of(h, node);
	hive_node_h child;

	if (k) {
		size_t lo = 0, hi = k->n;

		/* leftmost match: the first of equal names in hive order */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcasecmp(k->names[mid], name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < k->n && strcasecmp(k->names[lo], name) == 0) {
			*ret = k->nodes[lo];
			return 0;
		}
		return -ENOENT;
	}
	errno = 0;
	child = hivex_node_get_child(h->hx, node, name);
	if (child == 0) {
		if (errno != 0)
			return hive_hivex_error(
			        h, errno, "Failed to look up subkey in", key);
		return -ENOENT;
	}
	*ret = child;
	return 0;
}

int
hive_lookup(struct hive *h, const char *key, hive_node_h *ret,
            char **ret_canonical)
{
	_cleanup_strv_free_ char **parts = NULL;
	_cleanup_free_ char *canon = NULL;
	hive_node_h node;
	int r;

	r = split_key(h, key, &parts);
	if (r < 0)
		return r;
	node = hivex_root(h->hx);
	if (node == 0)
		return hive_hivex_error(h, errno, "Failed to find the root key",
		                        NULL);
	STRV_FOREACH (p, parts) {
		r = get_child(h, node, *p, key, &node);
		if (r == -ENOENT)
			return hive_set_error(h, r, "Key '%s' not found", key);
		if (r < 0)
			return r;
		if (ret_canonical) {
			_cleanup_free_ char *name = NULL;
			char *c;

			name = hivex_node_name(h->hx, node);
			if (!name)
				return hive_hivex_error(
				        h, errno, "Failed to read key name in",
				        key);
			if (util_asprintf(&c, "%s%s%s", canon ? canon : "",
			                  canon ? "\\" : "", name) < 0)
				return -ENOMEM;
			free(canon);
			canon = c;
		}
	}
	if (ret_canonical) {
		if (!canon) {
			canon = strdup("");
			if (!canon)
				return -ENOMEM;
		}
		*ret_canonical = TAKE_PTR(canon);
	}
	*ret = node;
	return 0;
}

/* hivex stores names as Latin-1 or UTF-16; refuse what cannot be either. */
static int
check_new_name(struct hive *h, const char *name, const char *key)
{
	_cleanup_free_ void *u16 = NULL;
	size_t n;

	if (util_utf8_to_utf16le(name, strlen(name), &u16, &n) < 0)
		return hive_set_error(
		        h, -EINVAL, "Key name '%s' in '%s' is not valid UTF-8",
		        name, key);
	if (n / 2 > 255)
		return hive_set_error(
		        h, -ENAMETOOLONG,
		        "Key name '%s' in '%s' is longer than 255 "
		        "characters",
		        name, key);
	return 0;
}

int
hive_lookup_create(struct hive *h, const char *key, hive_node_h *ret)
{
	_cleanup_strv_free_ char **parts = NULL;
	hive_node_h node;
	int r;

	r = split_key(h, key, &parts);
	if (r < 0)
		return r;
	node = hivex_root(h->hx);
	if (node == 0)
		return hive_hivex_error(h, errno, "Failed to find the root key",
		                        NULL);
	STRV_FOREACH (p, parts) {
		r = get_child(h, node, *p, key, &node);
		if (r == -ENOENT) {
			hive_node_h child;

			r = check_new_name(h, *p, key);
			if (r < 0)
				return r;
			errno = 0;
			child = hivex_node_add_child(h->hx, node, *p);
			if (child == 0) {
				kids_forget(h, node);
				return hive_hivex_error(
				        h, errno, "Failed to create key", key);
			}
			/* only node's list changes: no key moves */
			kids_added(h, node, child);
			node = child;
		} else if (r < 0)
			return r;
	}
	*ret = node;
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

void
hive_value_done(struct hive_value *v)
{
	if (!v)
		return;
	free(v->data);
	*v = (struct hive_value){0};
}

void
hive_raw_values_free(struct hive_raw_value *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].data);
	}
	free(v);
}

/* Reads the type and bytes of one value, checking the size limit. */
static int
read_value(struct hive *h, hive_value_h v, const char *key, uint32_t *ret_type,
           uint8_t **ret_data, size_t *ret_len)
{
	hivex_hive_type t;
	size_t len;
	char *data;

	errno = 0;
	if (hivex_value_type(h->hx, v, &t, &len) < 0)
		return hive_hivex_error(h, errno, "Failed to read a value of",
		                        key);
	if (len > HIVE_MAX_VALUE_SIZE)
		return hive_set_error(
		        h, -EFBIG,
		        "A value of '%s' declares %zu bytes, more "
		        "than the limit of %u",
		        key, len, HIVE_MAX_VALUE_SIZE);
	errno = 0;
	data = hivex_value_value(h->hx, v, &t, &len);
	if (!data) {
		if (len == 0 && errno == 0) {
			data = malloc(1);
			if (!data)
				return -ENOMEM;
		} else
			return hive_hivex_error(
			        h, errno, "Failed to read a value of", key);
	}
	if (len > HIVE_MAX_VALUE_SIZE) {
		free(data);
		return hive_set_error(h, -EFBIG,
		                      "A value of '%s' is %zu bytes, more than "
		                      "the limit of %u",
		                      key, len, HIVE_MAX_VALUE_SIZE);
	}
	*ret_type = (uint32_t)t;
	*ret_data = (uint8_t *)data;
	*ret_len = len;
	return 0;
}

/* The length of a 0-terminated handle list of hivex (subkeys or values,
 * what) of key in *ret; -E2BIG (error set) when it is longer than max. */
static int
count_handles(struct hive *h, const size_t *l, size_t max, const char *what,
              const char *key, size_t *ret)
{
	size_t n = 0;

	while (l[n])
		n++;
	if (n > max)
		return hive_set_error(h, -E2BIG,
		                      "Key '%s' has more than %zu %s", key, max,
		                      what);
	*ret = n;
	return 0;
}

int
hive_read_values(struct hive *h, hive_node_h node, const char *key,
                 struct hive_raw_value **ret, size_t *ret_n)
{
	_cleanup_free_ hive_value_h *vals = NULL;
	struct hive_raw_value *out;
	size_t nr, n = 0;
	int r;

	errno = 0;
	nr = hivex_node_nr_values(h->hx, node);
	if (nr == 0 && errno != 0)
		return hive_hivex_error(h, errno, "Failed to count values of",
		                        key);
	if (nr > HIVE_MAX_VALUES)
		return hive_set_error(h, -E2BIG,
		                      "Key '%s' declares %zu values, more than "
		                      "the limit of %d",
		                      key, nr, HIVE_MAX_VALUES);
	errno = 0;
	vals = hivex_node_values(h->hx, node);
	if (!vals)
		return hive_hivex_error(h, errno, "Failed to read values of",
		                        key);
	r = count_handles(h, vals, HIVE_MAX_VALUES, "values", key, &n);
	if (r < 0)
		return r;
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		out[i].name = hivex_value_key(h->hx, vals[i]);
		if (!out[i].name) {
			r = hive_hivex_error(h, errno,
			                     "Failed to read a value name of",
			                     key);
			hive_raw_values_free(out, n);
			return r;
		}
		if (strlen(out[i].name) > HIVE_MAX_NAME) {
			hive_raw_values_free(out, n);
			return hive_set_error(h, -ENAMETOOLONG,
			                      "A value name of '%s' is longer "
			                      "than %d bytes",
			                      key, HIVE_MAX_NAME);
		}
		r = read_value(h, vals[i], key, &out[i].type, &out[i].data,
		               &out[i].len);
		if (r < 0) {
			hive_raw_values_free(out, n);
			return r;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int
hive_read_children(struct hive *h, hive_node_h node, const char *key,
                   hive_node_h **ret_nodes, char ***ret_names, size_t *ret_n)
{
	_cleanup_free_ hive_node_h *kids = NULL;
	char **names;
	size_t nr, n = 0;
	int r;

	errno = 0;
	nr = hivex_node_nr_children(h->hx, node);
	if (nr == 0 && errno != 0)
		return hive_hivex_error(h, errno, "Failed to count subkeys of",
		                        key);
	if (nr > HIVE_MAX_SUBKEYS)
		return hive_set_error(
		        h, -E2BIG,
		        "Key '%s' declares %zu subkeys, more than "
		        "the limit of %d",
		        key, nr, HIVE_MAX_SUBKEYS);
	errno = 0;
	kids = hivex_node_children(h->hx, node);
	if (!kids)
		return hive_hivex_error(h, errno, "Failed to read subkeys of",
		                        key);
	r = count_handles(h, kids, HIVE_MAX_SUBKEYS, "subkeys", key, &n);
	if (r < 0)
		return r;
	names = calloc(n + 1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		names[i] = hivex_node_name(h->hx, kids[i]);
		if (!names[i] || strlen(names[i]) > HIVE_MAX_NAME) {
			r = names[i] ? hive_set_error(h, -ENAMETOOLONG,
			                              "A subkey name of '%s' "
			                              "is too long",
			                              key)
			             : hive_hivex_error(
			                       h, errno,
			                       "Failed to read a subkey "
			                       "name of",
			                       key);
			util_strv_free(names);
			return r;
		}
	}
	if (ret_nodes)
		*ret_nodes = TAKE_PTR(kids);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

int
hive_key_exists(struct hive *h, const char *key)
{
	hive_node_h node;

	return hive_lookup(h, key, &node, NULL);
}

int
hive_list_subkeys(struct hive *h, const char *key, char ***ret)
{
	hive_node_h node;
	size_t n;
	int r;

	r = hive_lookup(h, key, &node, NULL);
	if (r < 0)
		return r;
	return hive_read_children(h, node, key, NULL, ret, &n);
}

int
hive_list_values(struct hive *h, const char *key, char ***ret)
{
	_cleanup_free_ hive_value_h *vals = NULL;
	_cleanup_strv_free_ char **l = NULL;
	hive_node_h node;
	size_t n = 0;
	int r;

	r = hive_lookup(h, key, &node, NULL);
	if (r < 0)
		return r;
	errno = 0;
	vals = hivex_node_values(h->hx, node);
	if (!vals)
		return hive_hivex_error(h, errno, "Failed to read values of",
		                        key);
	r = count_handles(h, vals, HIVE_MAX_VALUES, "values", key, &n);
	if (r < 0)
		return r;
	l = calloc(n + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		l[i] = hivex_value_key(h->hx, vals[i]);
		if (!l[i])
			return hive_hivex_error(
			        h, errno, "Failed to read a value name of",
			        key);
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int
hive_get_value(struct hive *h, const char *key, const char *name,
               struct hive_value *ret)
{
	hive_node_h node;
	hive_value_h v;
	uint32_t type;
	uint8_t *data;
	size_t len;
	int r;

	r = hive_lookup(h, key, &node, NULL);
	if (r < 0)
		return r;
	errno = 0;
	v = hivex_node_get_value(h->hx, node, name ? name : "");
	if (v == 0) {
		if (errno != 0)
			return hive_hivex_error(
			        h, errno, "Failed to look up a value of", key);
		return hive_set_error(h, -ENOENT,
		                      "Value '%s' of '%s' not found",
		                      name ? name : "", key);
	}
	r = read_value(h, v, key, &type, &data, &len);
	if (r < 0)
		return r;
	*ret = (struct hive_value){.type = type, .data = data, .len = len};
	return 0;
}

int
hive_get_string(struct hive *h, const char *key, const char *name, char **ret)
{
	struct hive_value v = {0};
	char *s;
	int r;

	r = hive_get_value(h, key, name, &v);
	if (r < 0)
		return r;
	if (v.type != HIVE_T_SZ && v.type != HIVE_T_EXPAND_SZ &&
	    v.type != HIVE_T_NONE && v.type != HIVE_T_BINARY) {
		hive_value_done(&v);
		return hive_set_error(h, -EMEDIUMTYPE,
		                      "Value '%s' of '%s' has type %u, not a "
		                      "string",
		                      name ? name : "", key, v.type);
	}
	/* An odd trailing byte cannot be part of UTF-16: ignore it.  The
	 * string ends at its first NUL, as Windows reads it. */
	r = util_utf16le_to_utf8(v.data, v.len & ~(size_t)1, &s, NULL);
	hive_value_done(&v);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

int
hive_get_dword(struct hive *h, const char *key, const char *name, uint32_t *ret)
{
	struct hive_value v = {0};
	uint32_t x;
	int r;

	r = hive_get_value(h, key, name, &v);
	if (r < 0)
		return r;
	if ((v.type != HIVE_T_DWORD && v.type != HIVE_T_DWORD_BIG_ENDIAN) ||
	    v.len != 4) {
		r = hive_set_error(
		        h, -EMEDIUMTYPE,
		        "Value '%s' of '%s' is not a DWORD (type %u, "
		        "%zu bytes)",
		        name ? name : "", key, v.type, v.len);
		hive_value_done(&v);
		return r;
	}
	x = util_le32(v.data);
	if (v.type == HIVE_T_DWORD_BIG_ENDIAN)
		x = __builtin_bswap32(x);
	hive_value_done(&v);
	*ret = x;
	return 0;
}

int
hive_get_qword(struct hive *h, const char *key, const char *name, uint64_t *ret)
{
	struct hive_value v = {0};
	int r;

	r = hive_get_value(h, key, name, &v);
	if (r < 0)
		return r;
	if (v.type != HIVE_T_QWORD || v.len != 8) {
		r = hive_set_error(
		        h, -EMEDIUMTYPE,
		        "Value '%s' of '%s' is not a QWORD (type %u, "
		        "%zu bytes)",
		        name ? name : "", key, v.type, v.len);
		hive_value_done(&v);
		return r;
	}
	*ret = util_le64(v.data);
	hive_value_done(&v);
	return 0;
}

int
hive_get_multi_sz(struct hive *h, const char *key, const char *name,
                  char ***ret)
{
	struct hive_value v = {0};
	int r;

	r = hive_get_value(h, key, name, &v);
	if (r < 0)
		return r;
	if (v.type != HIVE_T_MULTI_SZ) {
		r = hive_set_error(h, -EMEDIUMTYPE,
		                   "Value '%s' of '%s' has type %u, not "
		                   "MULTI_SZ",
		                   name ? name : "", key, v.type);
		hive_value_done(&v);
		return r;
	}
	r = hive_decode_multi_sz(v.data, v.len, ret);
	hive_value_done(&v);
	return r;
}

/* ---- control set -------------------------------------------------------- */

/* "ControlSetNNN" (exactly three digits) -> NNN, else -1. */
static int
control_set_number(const char *name)
{
	const char *p = util_startswith_case(name, "ControlSet");

	if (!p || strlen(p) != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

int
hive_current_control_set(struct hive *h, char **ret)
{
	_cleanup_strv_free_ char **subkeys = NULL;
	char name[32], *s;
	uint32_t current = 0;
	int r, best = -1;

	r = hive_get_dword(h, "Select", "Current", &current);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r >= 0 && current != 0) {
		snprintf(name, sizeof(name), "ControlSet%03u", current);
		r = hive_key_exists(h, name);
		if (r == -ENOENT)
			return hive_set_error(h, -ENOENT,
			                      "Select\\Current is %u but key "
			                      "'%s' does not exist",
			                      current, name);
		if (r < 0)
			return r;
		s = strdup(name);
		if (!s)
			return -ENOMEM;
		*ret = s;
		return 0;
	}

	/* Setup-time hive (no Select, or Current=0): the lowest set. */
	r = hive_list_subkeys(h, "", &subkeys);
	if (r < 0)
		return r;
	STRV_FOREACH (k, subkeys) {
		int n = control_set_number(*k);

		if (n > 0 && (best < 0 || n < best))
			best = n;
	}
	if (best < 0)
		return hive_set_error(h, -ENOENT,
		                      "No ControlSetNNN key in the hive, and "
		                      "Select\\Current does not name one");
	snprintf(name, sizeof(name), "ControlSet%03d", best);
	s = strdup(name);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 1;
}
