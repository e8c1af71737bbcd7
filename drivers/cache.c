/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalog cache of a driver store: what the scan found in each INF
 * (struct drivers_package, less what depends on the other files of the
 * store), saved in a file so that the next scan parses only the INFs that
 * changed.  The file is .imgfix-catalog in the store's root when that is
 * writable, else $XDG_CACHE_HOME/imgfix/drivers/<hash of the store>.catalog;
 * an ISO store is always cached there, under its identity (path, device,
 * inode, size, mtime).
 *
 * Entries are keyed by the INF's path in the store, size, mtime, ctime and
 * inode (size only inside an ISO, whose identity covers the rest).  The
 * file also records the store's tree: every directory with its mtime,
 * ctime and inode, every file with its directory.  A warm scan stats the
 * directories and the INFs (not the other files) and lists again only the
 * directories whose key changed: a directory's mtime changes when an entry
 * is added, removed or renamed, not when a file in it is rewritten, which
 * the INF's own key catches.  A directory or INF whose mtime is within its
 * timestamp tick of the scan could still change unseen: it is saved
 * untrusted and looked at again next time (drivers_cache_racy()).
 *
 * The file is versioned (format and imgfix version) and checksummed; a
 * file that does not check out is ignored with a notice and rewritten.
 * The cache is hostile input like the INFs: every length, index and path
 * is checked when the file is loaded.  It only ever feeds the catalog:
 * selection parses the chosen INF again.
 *
 * The file is read with one read and used in place: every string is in
 * one string table at the end, once however often it is used (a store
 * repeats its providers, classes, sections and paths), and an offset
 * there elsewhere, so that a string costs one bounds check; restored
 * packages and the tree point into it (kept while the store lives); the
 * packages' pointer arrays come from one block sized by the header, so a
 * warm scan of 20,000 INFs does not allocate per string.  A package that
 * does not decode is parsed from its INF instead.
 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "drivers-internal.h"

#define CACHE_MAGIC "IMGFIXDC"
#define CACHE_FORMAT 3u
#define CACHE_FILE ".imgfix-catalog"
#define CACHE_HEADER_MAX 8192
#define CACHE_NULL UINT32_MAX /* a NULL string or list */
/* The least bytes a record takes in the file (a count that claims more
 * records than its section holds is rejected before anything is sized by
 * it): an entry (length, path, size, key), a directory (path, parent,
 * key), a file (path, lower-case path, directory, entry, flags). */
#define CACHE_MIN_ENTRY (4 + 4 + 8 + 28)
#define CACHE_MIN_DIR (4 + 4 + 28)
#define CACHE_MIN_FILE (5 * 4)
#define CACHE_UNTRUSTED 1u /* flags of an entry or a directory */
#define CACHE_INF 1u       /* flags of a file */
/* How long after its mtime a file or directory can change without its
 * mtime changing: one tick of the kernel's coarse clock (a few ms), 2 s on
 * filesystems with whole-second (FAT: 2 s) timestamps. */
#define CACHE_TICK_NS (20ll * 1000 * 1000)
#define CACHE_COARSE_TICK_NS (2ll * 1000 * 1000 * 1000)

/* ---- writing --------------------------------------------------------------
 */

struct strtab;

struct wbuf {
	uint8_t *p;
	size_t n, a;
	bool oom;
	struct strtab *tab; /* strings go there; NULL: inline (header) */
};

static void
w_bytes(struct wbuf *w, const void *s, size_t n)
{
	if (w->oom)
		return;
	if (w->n + n > w->a) {
		size_t a = MAX(w->a * 2, w->n + n + 4096);
		uint8_t *p = realloc(w->p, a);

		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->a = a;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void
w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	util_put_le32(b, v);
	w_bytes(w, b, 4);
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	w_u32(w, (uint32_t)v);
	w_u32(w, (uint32_t)(v >> 32));
}

/* The string table of a file being written: every distinct string once,
 * NUL-terminated; a string is its offset there.  An open-addressing hash
 * of the offsets finds the strings already in. */
struct strtab {
	struct wbuf data;
	uint32_t *slots; /* offset + 1; 0: empty */
	size_t n_slots, used;
	uint64_t n_ptrs, n_models; /* what restoring the entries takes */
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001B3ull;
	return h;
}

static void
strtab_done(struct strtab *t)
{
	free(t->data.p);
	free(t->slots);
}

/* Offset of s in the table, added when new; CACHE_NULL when out of
 * memory or past 4 GiB (t->data.oom). */
static uint32_t
strtab_intern(struct strtab *t, const char *s)
{
	size_t n = strlen(s), i;

	if (t->used * 2 >= t->n_slots) {
		size_t ns = MAX(t->n_slots * 2, (size_t)4096);
		uint32_t *slots = calloc(ns, sizeof(uint32_t));

		if (!slots) {
			t->data.oom = true;
			return CACHE_NULL;
		}
		for (size_t k = 0; k < t->n_slots; k++) {
			if (!t->slots[k])
				continue;
			i = str_hash((const char *)t->data.p + t->slots[k] -
			             1) &
			    (ns - 1);
			while (slots[i])
				i = (i + 1) & (ns - 1);
			slots[i] = t->slots[k];
		}
		free(t->slots);
		t->slots = slots;
		t->n_slots = ns;
	}
	for (i = str_hash(s) & (t->n_slots - 1); t->slots[i];
	     i = (i + 1) & (t->n_slots - 1))
		if (streq((const char *)t->data.p + t->slots[i] - 1, s))
			return t->slots[i] - 1;
	if (t->data.n + n + 1 >= CACHE_NULL)
		t->data.oom = true;
	if (t->data.oom)
		return CACHE_NULL;
	t->slots[i] = (uint32_t)t->data.n + 1;
	t->used++;
	w_bytes(&t->data, s, n + 1);
	return t->slots[i] - 1;
}

static void
w_str(struct wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (w->tab) {
		uint32_t off = s ? strtab_intern(w->tab, s) : CACHE_NULL;

		if (s && off == CACHE_NULL)
			w->oom = true;
		w_u32(w, off);
		return;
	}
	if (!s || n >= CACHE_NULL) {
		w_u32(w, CACHE_NULL);
		return;
	}
	w_u32(w, (uint32_t)n);
	w_bytes(w, s, n + 1);
}

static void
w_strv(struct wbuf *w, char *const *l)
{
	size_t n = util_strv_length((char **)l);

	w_u32(w, l ? (uint32_t)n : CACHE_NULL);
	if (l && w->tab)
		w->tab->n_ptrs += n + 1;
	for (size_t i = 0; i < n; i++)
		w_str(w, l[i]);
}

/* ---- reading --------------------------------------------------------------
 */

struct rbuf {
	const uint8_t *p, *end;
	bool bad;
	const char *tab; /* the string table; NULL: strings inline */
	size_t tab_len;
};

static uint32_t
r_u32(struct rbuf *r)
{
	uint32_t v;

	if (r->bad || r->end - r->p < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static uint64_t
r_u64(struct rbuf *r)
{
	uint64_t lo = r_u32(r);

	return lo | (uint64_t)r_u32(r) << 32;
}

/* A string inside the buffer (NUL-terminated there), NULL for a NULL:
 * in the table, an offset (the table ends with a NUL: checked once, so
 * any offset inside is a terminated string), else inline. */
static const char *
r_str(struct rbuf *r)
{
	uint32_t n = r_u32(r);
	const char *s;

	if (r->bad || n == CACHE_NULL)
		return NULL;
	if (r->tab) {
		if (n >= r->tab_len) {
			r->bad = true;
			return NULL;
		}
		return r->tab + n;
	}
	/* bounded and terminated: an early NUL only makes it shorter */
	if ((size_t)(r->end - r->p) <= n || r->p[n] != '\0') {
		r->bad = true;
		return NULL;
	}
	s = (const char *)r->p;
	r->p += n + 1;
	return s;
}

/* ---- reading the file ---------------------------------------------------
 */

/* Reads path (at most max bytes) with one read; its identity in *st (the
 * file read, not one renamed over it since). */
static int
read_all(const char *path, size_t max, uint8_t **ret, size_t *ret_len,
         struct stat *st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *p;
	size_t n = 0, size;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	if ((uint64_t)st->st_size > max)
		return -EFBIG;
	size = (size_t)st->st_size;
	p = malloc(size + 1);
	if (!p)
		return -ENOMEM;
	while (n < size) { /* a file that shrinks meanwhile is short */
		ssize_t k = read(fd, p + n, size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			k = -errno;
			free(p);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

/* ---- the cache ------------------------------------------------------------
 */

struct cache_entry {
	const char *rel;
	struct drivers_cache_key key;
	const uint8_t *data, *end; /* the package after the key */
};

struct drivers_cache {
	char *store_file; /* in the store's root; NULL for an ISO */
	char *user_file;  /* under $XDG_CACHE_HOME */
	char *identity;
	bool iso, prefer_user;
	uint8_t *buf; /* the file read, kept: packages point into it */
	size_t len;
	struct cache_entry *entries; /* sorted by rel (strcmp) */
	size_t n_entries;
	char **ptrs; /* pointer arrays of restored packages */
	size_t n_ptrs, used_ptrs;
	struct drivers_model *models;
	size_t n_models, used_models;
	const char *tab; /* the string table, in buf */
	size_t tab_len;
	struct drivers_cache_tree tree; /* n_dirs 0: none */
	struct drivers_cache_dir *dirs;
	struct drivers_cache_file *files;
	uint32_t *children, *dir_files;
	char *name;           /* the file loaded, for messages */
	bool noted_bad_entry; /* a notice said an entry is bad */
	char *loaded_path;    /* the file loaded, and its identity */
	dev_t loaded_dev;
	ino_t loaded_ino;
};

/* A 64-bit checksum of the body (not cryptographic: it catches damage,
 * and the file is never trusted for what gets written), fed in pieces:
 * four lanes of 8 bytes, so that it runs at memory speed. */
#define CSUM_LANES 4
#define CSUM_BLOCK (8 * CSUM_LANES)

struct csum {
	uint64_t h[CSUM_LANES];
	uint8_t pending[CSUM_BLOCK];
	size_t n_pending;
};

static void
csum_init(struct csum *c)
{
	*c = (struct csum){0};
	for (int i = 0; i < CSUM_LANES; i++)
		c->h[i] = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
}

static void
csum_block(struct csum *c, const uint8_t *p)
{
	for (int i = 0; i < CSUM_LANES; i++) {
		uint64_t v;

		memcpy(&v, p + 8 * i, 8);
		c->h[i] = (c->h[i] ^ v) * 0xFF51AFD7ED558CCDull;
		c->h[i] ^= c->h[i] >> 32;
	}
}

static void
csum_add(struct csum *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (c->n_pending > 0) {
		size_t k = MIN(n, CSUM_BLOCK - c->n_pending);

		memcpy(c->pending + c->n_pending, p, k);
		c->n_pending += k;
		p += k;
		n -= k;
		if (c->n_pending < CSUM_BLOCK)
			return;
		csum_block(c, c->pending);
		c->n_pending = 0;
	}
	for (; n >= CSUM_BLOCK; p += CSUM_BLOCK, n -= CSUM_BLOCK)
		csum_block(c, p);
	memcpy(c->pending, p, n);
	c->n_pending = n;
}

static uint64_t
csum_end(struct csum *c, uint64_t len)
{
	uint64_t h = len;

	for (int i = 0; i < CSUM_LANES; i++)
		h = (h ^ c->h[i]) * 0xC4CEB9FE1A85EC53ull;
	for (size_t i = 0; i < c->n_pending; i++)
		h = (h ^ c->pending[i]) * 0xC4CEB9FE1A85EC53ull;
	return h ^ (h >> 29);
}

uint64_t
drivers_cache_checksum(const void *p, size_t n)
{
	struct csum c;

	csum_init(&c);
	csum_add(&c, p, n);
	return csum_end(&c, n);
}

bool
drivers_cache_racy(uint64_t mtime_ns, int64_t now_ns)
{
	/* whole-ms timestamps: a filesystem with coarse ones */
	int64_t tick =
	        mtime_ns % 1000000 == 0 ? CACHE_COARSE_TICK_NS : CACHE_TICK_NS;

	return mtime_ns > (uint64_t)INT64_MAX ||
	       (int64_t)mtime_ns + tick >= now_ns;
}

static int
cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct cache_entry *)a)->rel,
	              ((const struct cache_entry *)b)->rel);
}

/* Paths compared component by component ('/' below every other byte): a
 * directory comes right before what it holds. */
static int
cmp_paths(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1u : (uint8_t)*a;
		unsigned cb = *b == '/' ? 1u : (uint8_t)*b;

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

static void
r_key(struct rbuf *r, struct drivers_cache_key *k, bool with_size)
{
	k->size = with_size ? r_u64(r) : 0;
	k->mtime_ns = r_u64(r);
	k->ctime_ns = r_u64(r);
	k->ino = r_u64(r);
	k->untrusted = (r_u32(r) & CACHE_UNTRUSTED) != 0;
}
/* The parent part of rel matches dir ("" for the root) and the rest is
 * one component a listing can give: its position, else NULL. */
static const char *
child_name(const char *dir, const char *rel)
{
	size_t n = strlen(dir);
	const char *name;

	if (n > 0) {
		if (strncmp(rel, dir, n) != 0 || rel[n] != '/')
			return NULL;
		name = rel + n + 1;
	} else
		name = rel;
	/* what a listing gives: no "." or "..", which would lead out */
	if (!*name || strchr(name, '/') || streq(name, ".") ||
	    streq(name, ".."))
		return NULL;
	return name;
}

/* Reads and checks the tree after the entries; its arrays in c. */
static int
check_tree(struct drivers_cache *c, struct rbuf *r, uint32_t n_dirs,
           uint32_t n_files, const char **why)
{
	_cleanup_free_ uint32_t *fill = NULL;

	*why = "bad tree";
	if (n_dirs > DRIVERS_MAX_STORE_FILES ||
	    n_files > DRIVERS_MAX_STORE_FILES ||
	    (uint64_t)n_dirs * CACHE_MIN_DIR +
	                    (uint64_t)n_files * CACHE_MIN_FILE >
	            (uint64_t)(r->end - r->p))
		return -EBADMSG;
	c->dirs = calloc(n_dirs, sizeof(*c->dirs));
	c->files = calloc(MAX(n_files, 1u), sizeof(*c->files));
	c->children = calloc(n_dirs, sizeof(uint32_t));
	c->dir_files = calloc(MAX(n_files, 1u), sizeof(uint32_t));
	fill = calloc(n_dirs, sizeof(uint32_t));
	if (!c->dirs || !c->files || !c->children || !c->dir_files || !fill)
		return -ENOMEM;
	for (uint32_t i = 0; i < n_dirs; i++) {
		struct drivers_cache_dir *d = &c->dirs[i];

		d->rel = r_str(r);
		d->parent = r_u32(r);
		r_key(r, &d->key, false);
		if (r->bad || !d->rel)
			return -EBADMSG;
		if (i == 0) { /* the root */
			if (*d->rel || d->parent != 0)
				return -EBADMSG;
			d->name = d->rel;
			continue;
		}
		/* in path order, each under an earlier one: no cycle */
		if (cmp_paths(c->dirs[i - 1].rel, d->rel) >= 0 ||
		    d->parent >= i ||
		    !(d->name = child_name(c->dirs[d->parent].rel, d->rel)))
			return -EBADMSG;
		c->dirs[d->parent].n_children++;
	}
	for (uint32_t i = 0; i < n_files; i++) {
		struct drivers_cache_file *f = &c->files[i];
		uint32_t flags;

		f->rel = r_str(r);
		f->lower = r_str(r);
		f->dir = r_u32(r);
		f->entry = r_u32(r);
		flags = r_u32(r);
		if (r->bad || !f->rel || !f->lower || f->dir >= n_dirs ||
		    !child_name(c->dirs[f->dir].rel, f->rel) ||
		    strlen(f->lower) != strlen(f->rel))
			return -EBADMSG;
		for (const char *a = f->rel, *l = f->lower; *a; a++, l++)
			if (*l !=
			    (*a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a))
				return -EBADMSG;
		if (i > 0 && drivers_file_order(c->files[i - 1].lower,
		                                c->files[i - 1].rel, f->lower,
		                                f->rel) >= 0)
			return -EBADMSG;
		f->inf = (flags & CACHE_INF) != 0;
		if (f->inf != util_endswith_case(f->rel, ".inf"))
			return -EBADMSG;
		/* a hint: its path is compared when used */
		if (f->entry != DRIVERS_CACHE_NO_ENTRY &&
		    f->entry >= c->n_entries)
			return -EBADMSG;
		c->dirs[f->dir].n_files++;
	}
	if (r->p != r->end) {
		*why = "trailing bytes";
		return -EBADMSG;
	}
	/* the per-directory lists, in index order (children: by name) */
	for (uint32_t i = 0, nc = 0, nf = 0; i < n_dirs; i++) {
		c->dirs[i].first_child = nc;
		c->dirs[i].first_file = nf;
		nc += c->dirs[i].n_children;
		nf += c->dirs[i].n_files;
	}
	for (uint32_t i = 1; i < n_dirs; i++) {
		struct drivers_cache_dir *p = &c->dirs[c->dirs[i].parent];

		c->children[p->first_child + fill[c->dirs[i].parent]++] = i;
	}
	memset(fill, 0, n_dirs * sizeof(uint32_t));
	for (uint32_t i = 0; i < n_files; i++) {
		struct drivers_cache_dir *d = &c->dirs[c->files[i].dir];

		c->dir_files[d->first_file + fill[c->files[i].dir]++] = i;
	}
	c->tree = (struct drivers_cache_tree){
	        .dirs = c->dirs,
	        .n_dirs = n_dirs,
	        .children = c->children,
	        .dir_files = c->dir_files,
	        .files = c->files,
	        .n_files = n_files,
	};
	return 0;
}

/* Checks the whole file but the packages (each is checked when restored:
 * a bad one is parsed from its INF instead); 0 and the index, or a reason
 * in *why. */
static int
check_file(struct drivers_cache *c, const char **why)
{
	struct rbuf r = {.p = c->buf, .end = c->buf + c->len}, er, tr;
	const char *version, *identity;
	uint32_t format, n, n_dirs, n_files, n_ptrs, n_models;
	uint64_t elen, tlen, plen, sum, slen;
	int k;

	if (c->len < 8 || memcmp(c->buf, CACHE_MAGIC, 8) != 0) {
		*why = "not a catalog cache";
		return -EBADMSG;
	}
	r.p += 8;
	format = r_u32(&r);
	version = r_str(&r);
	identity = r_str(&r);
	n = r_u32(&r);
	n_dirs = r_u32(&r);
	n_files = r_u32(&r);
	n_ptrs = r_u32(&r);
	n_models = r_u32(&r);
	elen = r_u64(&r);
	tlen = r_u64(&r);
	plen = r_u64(&r);
	sum = r_u64(&r);
	if (r.bad) {
		*why = "truncated header";
		return -EBADMSG;
	}
	if (format != CACHE_FORMAT || !version ||
	    !streq(version, DRIVERS_IMGFIX_VERSION)) {
		*why = "written by another imgfix version";
		return -EPROTO;
	}
	if (!identity || !streq(identity, c->identity)) {
		*why = "written for another store";
		return -ESTALE;
	}
	if (plen != (uint64_t)(r.end - r.p)) {
		*why = "truncated or overlong";
		return -EBADMSG;
	}
	if (drivers_cache_checksum(r.p, (size_t)plen) != sum) {
		*why = "checksum mismatch";
		return -EBADMSG;
	}
	/* entries | tree | string table, which ends with a NUL */
	if (elen > plen || tlen > plen - elen) {
		*why = "bad section lengths";
		return -EBADMSG;
	}
	slen = plen - elen - tlen;
	er = (struct rbuf){.p = r.p, .end = r.p + elen};
	tr = (struct rbuf){.p = er.end, .end = er.end + tlen};
	if (slen > 0 && tr.end[slen - 1] != '\0') {
		*why = "bad string table";
		return -EBADMSG;
	}
	er.tab = tr.tab = (const char *)tr.end;
	er.tab_len = tr.tab_len = (size_t)slen;
	/* what restores take, bounded by the file: a pointer is a 4-byte
	 * reference or ends a list, a model takes over 48 bytes */
	if (n > DRIVERS_MAX_STORE_FILES || n > elen / CACHE_MIN_ENTRY ||
	    n_ptrs > plen / 2 || n_models > plen / 48) {
		*why = "too many entries";
		return -EBADMSG;
	}
	c->entries = calloc(MAX(n, 1u), sizeof(struct cache_entry));
	if (!c->entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct cache_entry *e = &c->entries[i];
		uint32_t len = r_u32(&er);
		struct rbuf one;

		if (er.bad || len > (size_t)(er.end - er.p)) {
			*why = "bad entry length";
			return -EBADMSG;
		}
		one = er;
		one.end = er.p + len;
		er.p += len;
		e->rel = r_str(&one);
		r_key(&one, &e->key, true);
		e->data = one.p;
		e->end = one.end;
		if (one.bad || !e->rel) {
			*why = "bad entry";
			return -EBADMSG;
		}
		/* written in order: looked up with bsearch() */
		if (i > 0 && strcmp(c->entries[i - 1].rel, e->rel) >= 0) {
			*why = "entries out of order";
			return -EBADMSG;
		}
	}
	if (er.p != er.end) {
		*why = "trailing bytes";
		return -EBADMSG;
	}
	c->n_entries = n;
	c->tab = er.tab;
	c->tab_len = er.tab_len;
	if (n_dirs > 0) {
		k = check_tree(c, &tr, n_dirs, n_files, why);
		if (k < 0)
			return k;
	} else if (tr.p != tr.end) {
		*why = "trailing bytes";
		return -EBADMSG;
	}
	/* not initialized: only what restores use is touched */
	c->ptrs = malloc(MAX(n_ptrs, 1u) * sizeof(char *));
	c->models = malloc(MAX(n_models, 1u) * sizeof(struct drivers_model));
	if (!c->ptrs || !c->models)
		return -ENOMEM;
	c->n_ptrs = n_ptrs;
	c->n_models = n_models;
	return 0;
}

static void
drop_loaded(struct drivers_cache *c)
{
	free(c->name);
	c->name = NULL;
	c->noted_bad_entry = false;
	free(c->entries);
	free(c->ptrs);
	free(c->models);
	free(c->buf);
	free(c->dirs);
	free(c->files);
	free(c->children);
	free(c->dir_files);
	c->dirs = NULL;
	c->files = NULL;
	c->children = c->dir_files = NULL;
	c->tree = (struct drivers_cache_tree){0};
	c->entries = NULL;
	c->ptrs = NULL;
	c->models = NULL;
	c->buf = NULL;
	c->len = c->n_entries = c->n_ptrs = c->n_models = 0;
}

int
drivers_cache_load_buffer(struct drivers_cache *c, const char *name,
                          uint8_t *buf, size_t len)
{
	const char *why = NULL;
	int r;

	drop_loaded(c);
	c->buf = buf;
	c->len = len;
	c->name = strdup(name);
	if (!c->name) {
		drop_loaded(c);
		return -ENOMEM;
	}
	r = check_file(c, &why);
	if (r == -ENOMEM) {
		drop_loaded(c);
		return r;
	}
	if (r < 0) {
		log_notice("Driver catalog cache %s ignored: %s; rebuilding "
		           "it.",
		           name, why);
		drop_loaded(c);
		return 0;
	}
	return 1;
}

/* Reads path when it exists; 1 loaded, 0 absent or ignored (with a
 * notice), -ENOMEM. */
static int
load_file(struct drivers_cache *c, const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	r = read_all(path, DRIVERS_MAX_CACHE_SIZE, &buf, &len, &st);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_notice("Driver catalog cache %s cannot be read (%s); "
		           "rebuilding it.",
		           path, strerror(-r));
		return 0;
	}
	r = drivers_cache_load_buffer(c, path, buf, len);
	if (r <= 0)
		return r;
	c->loaded_path = strdup(path);
	if (!c->loaded_path)
		return -ENOMEM;
	c->loaded_dev = st.st_dev;
	c->loaded_ino = st.st_ino;
	return 1;
}

static int
user_cache_path(const char *identity, char **ret)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char hex[UTIL_SHA256_HEX_LEN + 1];

	util_sha256_hex(identity, strlen(identity), hex);
	if (xdg && *xdg == '/')
		return util_asprintf(ret, "%s/imgfix/drivers/%.32s.catalog",
		                     xdg, hex) < 0
		               ? -ENOMEM
		               : 0;
	if (!home || *home != '/')
		return -ENOENT; /* nowhere to keep it */
	return util_asprintf(ret, "%s/.cache/imgfix/drivers/%.32s.catalog",
	                     home, hex) < 0
	               ? -ENOMEM
	               : 0;
}

struct drivers_cache *
drivers_cache_free(struct drivers_cache *c)
{
	if (!c)
		return NULL;
	drop_loaded(c);
	free(c->store_file);
	free(c->user_file);
	free(c->identity);
	free(c->loaded_path);
	free(c);
	return NULL;
}

int
drivers_cache_new(const char *identity, bool iso, const char *user_file,
                  struct drivers_cache **ret)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->iso = iso;
	c->identity = strdup(identity);
	c->user_file = user_file ? strdup(user_file) : NULL;
	if (!c->identity || (user_file && !c->user_file))
		return -ENOMEM;
	*ret = TAKE_PTR(c);
	return 0;
}

int
drivers_cache_open(const char *origin, const char *root_path, bool iso,
                   struct drivers_cache **ret)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c = NULL;
	_cleanup_free_ char *real = NULL, *identity = NULL, *user = NULL;
	struct stat st;
	int r;

	real = realpath(origin, NULL);
	if (!real || stat(real, &st) < 0)
		return -errno;
	if (iso)
		r = util_asprintf(&identity, "iso:%s:%llu:%llu:%llu:%lld.%09ld",
		                  real, (unsigned long long)st.st_dev,
		                  (unsigned long long)st.st_ino,
		                  (unsigned long long)st.st_size,
		                  (long long)st.st_mtim.tv_sec,
		                  st.st_mtim.tv_nsec);
	else
		r = util_asprintf(&identity, "dir:%s", real);
	if (r < 0)
		return -ENOMEM;
	r = user_cache_path(identity, &user);
	if (r == -ENOMEM)
		return r;
	r = drivers_cache_new(identity, iso, user, &c);
	if (r < 0)
		return r;
	if (!iso) {
		c->store_file = util_path_join(root_path, CACHE_FILE);
		if (!c->store_file)
			return -ENOMEM;
		/* no write bit at all (a read-only tree, even for root):
		 * read and write the user's cache first */
		c->prefer_user = (st.st_mode & 0222) == 0;
	}
	r = 0;
	if (c->store_file && !c->prefer_user)
		r = load_file(c, c->store_file);
	if (r == 0 && c->user_file)
		r = load_file(c, c->user_file);
	if (r == 0 && c->store_file && c->prefer_user)
		r = load_file(c, c->store_file);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

size_t
drivers_cache_n_entries(const struct drivers_cache *c)
{
	return c->n_entries;
}

int
drivers_cache_entry(const struct drivers_cache *c, size_t i,
                    const char **ret_rel, struct drivers_cache_key *ret_key)
{
	if (i >= c->n_entries)
		return -ENOENT;
	*ret_rel = c->entries[i].rel;
	*ret_key = c->entries[i].key;
	return 0;
}

bool
drivers_cache_is_own_file(const char *rel)
{
	return util_startswith(rel, CACHE_FILE) != NULL;
}

static bool
key_matches(const struct drivers_cache *c, const struct drivers_cache_key *a,
            const struct drivers_cache_key *b)
{
	if (a->untrusted || a->size != b->size)
		return false;
	return c->iso || (a->mtime_ns == b->mtime_ns &&
	                  a->ctime_ns == b->ctime_ns && a->ino == b->ino);
}

static char **
take_strv(struct drivers_cache *c, struct rbuf *r)
{
	uint32_t n = r_u32(r);
	char **v;
	size_t at;

	if (n == CACHE_NULL || r->bad)
		return NULL;
	/* restores run on several threads */
	at = __atomic_fetch_add(&c->used_ptrs, (size_t)n + 1, __ATOMIC_RELAXED);
	if (at + n + 1 > c->n_ptrs) {
		r->bad = true;
		return NULL;
	}
	v = c->ptrs + at;
	for (uint32_t i = 0; i < n; i++)
		if (!(v[i] = (char *)r_str(r)))
			r->bad = true;
	v[n] = NULL;
	return v;
}

const struct drivers_cache_tree *
drivers_cache_tree(const struct drivers_cache *c)
{
	return c && c->tree.n_dirs > 0 ? &c->tree : NULL;
}

int64_t
drivers_cache_find_child(const struct drivers_cache *c, uint32_t d,
                         const char *name)
{
	const struct drivers_cache_dir *dir;
	size_t lo = 0, hi;

	if (d >= c->tree.n_dirs)
		return -1;
	dir = &c->dirs[d];
	hi = dir->n_children;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k = c->children[dir->first_child + mid];
		int cmp = strcmp(name, c->dirs[k].name);

		if (cmp == 0)
			return k;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int64_t
drivers_cache_find_dir(const struct drivers_cache *c, const char *rel)
{
	size_t lo = 0, hi = c->tree.n_dirs;

	while (lo < hi) { /* dirs are in path order */
		size_t mid = lo + (hi - lo) / 2;
		int cmp = cmp_paths(rel, c->dirs[mid].rel);

		if (cmp == 0)
			return (int64_t)mid;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int restore_entry(struct drivers_cache *c, const struct cache_entry *e,
                         const struct drivers_cache_key *key,
                         struct drivers_package *p, char ***ret_sources);

int
drivers_cache_restore(struct drivers_cache *c, const char *rel,
                      const struct drivers_cache_key *key,
                      struct drivers_package *p, char ***ret_sources)
{
	struct cache_entry k = {.rel = rel}, *e;

	if (c->n_entries == 0)
		return 0;
	e = bsearch(&k, c->entries, c->n_entries, sizeof(struct cache_entry),
	            cmp_entries);
	return e ? restore_entry(c, e, key, p, ret_sources) : 0;
}

int
drivers_cache_restore_at(struct drivers_cache *c, uint32_t hint,
                         const char *rel, const struct drivers_cache_key *key,
                         struct drivers_package *p, char ***ret_sources)
{
	if (hint < c->n_entries && streq(c->entries[hint].rel, rel))
		return restore_entry(c, &c->entries[hint], key, p, ret_sources);
	return drivers_cache_restore(c, rel, key, p, ret_sources);
}

static int
restore_entry(struct drivers_cache *c, const struct cache_entry *e,
              const struct drivers_cache_key *key, struct drivers_package *p,
              char ***ret_sources)
{
	struct rbuf r;
	const char *arch;
	uint32_t n;
	struct drivers_package before = *p;
	size_t at;

	if (!key_matches(c, &e->key, key))
		return 0;
	r = (struct rbuf){.p = e->data,
	                  .end = e->end,
	                  .tab = c->tab,
	                  .tab_len = c->tab_len};
	p->error = (char *)r_str(&r);
	p->class_name = (char *)r_str(&r);
	p->class_guid = (char *)r_str(&r);
	p->provider = (char *)r_str(&r);
	p->driver_date = (char *)r_str(&r);
	p->driver_version = (char *)r_str(&r);
	p->catalog_file = (char *)r_str(&r);
	p->archs = take_strv(c, &r);
	p->os_targets = take_strv(c, &r);
	p->services = take_strv(c, &r);
	p->includes = take_strv(c, &r);
	p->needs = take_strv(c, &r);
	p->warnings = take_strv(c, &r);
	p->fallback_ids = take_strv(c, &r);
	*ret_sources = take_strv(c, &r);
	n = r_u32(&r);
	if (!r.bad && n > 0) {
		at = __atomic_fetch_add(&c->used_models, (size_t)n,
		                        __ATOMIC_RELAXED);
		if (at + n > c->n_models)
			r.bad = true;
		else {
			p->devices = c->models + at;
			p->n_devices = n;
		}
	}
	for (uint32_t d = 0; d < p->n_devices && !r.bad; d++) {
		struct drivers_model *m = &p->devices[d];

		*m = (struct drivers_model){0};
		m->manufacturer = (char *)r_str(&r);
		m->models_section = (char *)r_str(&r);
		m->decoration = (char *)r_str(&r);
		m->description = (char *)r_str(&r);
		m->install_section = (char *)r_str(&r);
		arch = r_str(&r);
		/* what a parse gives: every string set, an arch that fits */
		if (!m->manufacturer || !m->models_section || !m->decoration ||
		    !m->description || !m->install_section || !arch ||
		    strlen(arch) >= sizeof(m->os.arch))
			r.bad = true;
		else
			strcpy(m->os.arch, arch);
		m->os.has_version = r_u32(&r) != 0;
		m->os.major = r_u32(&r);
		m->os.minor = r_u32(&r);
		m->os.product_type = r_u32(&r);
		m->os.suite_mask = r_u32(&r);
		m->os.build = r_u32(&r);
		m->lineno = r_u32(&r);
		(void)r_u32(&r); /* reserved */
		m->ids = take_strv(c, &r);
	}
	if (r.bad || r.p != r.end) {
		/* a bad entry: the INF is parsed instead (what it took of
		 * the blocks stays unused), and the cache written again */
		if (!__atomic_exchange_n(&c->noted_bad_entry, true,
		                         __ATOMIC_RELAXED))
			log_notice("Driver catalog cache %s: the entry of %s "
			           "does not decode; parsing the INF instead "
			           "and rebuilding the cache.",
			           c->name, e->rel);
		*p = before;
		*ret_sources = NULL;
		return 0;
	}
	return 1;
}

static void
w_package(struct wbuf *w, const struct drivers_package *p, char **sources)
{
	w_str(w, p->error);
	w_str(w, p->class_name);
	w_str(w, p->class_guid);
	w_str(w, p->provider);
	w_str(w, p->driver_date);
	w_str(w, p->driver_version);
	w_str(w, p->catalog_file);
	w_strv(w, p->archs);
	w_strv(w, p->os_targets);
	w_strv(w, p->services);
	w_strv(w, p->includes);
	w_strv(w, p->needs);
	w_strv(w, p->warnings);
	w_strv(w, p->fallback_ids);
	w_strv(w, sources);
	w_u32(w, (uint32_t)p->n_devices);
	if (w->tab)
		w->tab->n_models += p->n_devices;
	for (size_t d = 0; d < p->n_devices; d++) {
		const struct drivers_model *m = &p->devices[d];

		w_str(w, m->manufacturer);
		w_str(w, m->models_section);
		w_str(w, m->decoration);
		w_str(w, m->description);
		w_str(w, m->install_section);
		w_str(w, m->os.arch);
		w_u32(w, m->os.has_version);
		w_u32(w, m->os.major);
		w_u32(w, m->os.minor);
		w_u32(w, m->os.product_type);
		w_u32(w, m->os.suite_mask);
		w_u32(w, m->os.build);
		w_u32(w, m->lineno);
		w_u32(w, 0);
		w_strv(w, m->ids);
	}
}

struct tree_dir {
	const struct drivers_cache_dir *d;
	uint32_t parent;
};

static int
cmp_tree_dirs(const void *a, const void *b)
{
	return cmp_paths(((const struct tree_dir *)a)->d->rel,
	                 ((const struct tree_dir *)b)->d->rel);
}

/* Index in dirs (sorted) of the directory part of rel; -1 when none. */
static int64_t
find_dir(const struct tree_dir *dirs, size_t n, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	_cleanup_free_ char *dir =
	        util_strndup0(rel, slash ? (size_t)(slash - rel) : 0);
	struct drivers_cache_dir kd = {.rel = dir};
	struct tree_dir k = {.d = &kd};
	const struct tree_dir *hit;

	if (!dir)
		return -1;
	hit = bsearch(&k, dirs, n, sizeof(*dirs), cmp_tree_dirs);
	return hit ? hit - dirs : -1;
}

static void
w_key(struct wbuf *w, const struct drivers_cache_key *k)
{
	w_u64(w, k->mtime_ns);
	w_u64(w, k->ctime_ns);
	w_u64(w, k->ino);
	w_u32(w, k->untrusted ? CACHE_UNTRUSTED : 0);
}

/* A package and its index in the caller's arrays. */
struct ordered {
	const struct drivers_package *p;
	size_t k;
};

static int
cmp_ordered(const void *a, const void *b)
{
	return strcmp(((const struct ordered *)a)->p->inf_rel,
	              ((const struct ordered *)b)->p->inf_rel);
}

/* The tree section (dirs, then files) in w, *ret_n_dirs 0 when the tree
 * does not hold together (then none is saved: the next scan lists
 * everything); entries are the packages sorted by path. */
static int
w_tree(struct wbuf *w, const struct drivers_cache_content *in,
       const struct ordered *entries, uint32_t *ret_n_dirs)
{
	_cleanup_free_ struct tree_dir *dirs = NULL;
	size_t n = in->n_dirs;

	*ret_n_dirs = 0;
	if (n == 0 || in->n_files >= UINT32_MAX)
		return 0;
	dirs = calloc(n, sizeof(*dirs));
	if (!dirs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		dirs[i].d = &in->dirs[i];
	qsort(dirs, n, sizeof(*dirs), cmp_tree_dirs);
	if (*dirs[0].d->rel)
		return 0; /* no root */
	for (size_t i = 1; i < n; i++) {
		int64_t p = find_dir(dirs, n, dirs[i].d->rel);

		if (cmp_paths(dirs[i - 1].d->rel, dirs[i].d->rel) == 0 ||
		    p < 0 || (size_t)p >= i)
			return 0;
		dirs[i].parent = (uint32_t)p;
	}
	for (size_t i = 0; i < n; i++) {
		w_str(w, dirs[i].d->rel);
		w_u32(w, dirs[i].parent);
		w_key(w, &dirs[i].d->key);
	}
	for (size_t i = 0; i < in->n_files; i++) {
		const struct drivers_cache_file *f = &in->files[i];
		struct drivers_package kp = {.inf_rel = (char *)f->rel};
		struct ordered ko = {.p = &kp};
		const struct ordered *e;
		int64_t d = find_dir(dirs, n, f->rel);

		if (d < 0)
			return 0;
		e = in->n > 0 ? bsearch(&ko, entries, in->n, sizeof(*entries),
		                        cmp_ordered)
		              : NULL;
		w_str(w, f->rel);
		w_str(w, f->lower);
		w_u32(w, (uint32_t)d);
		w_u32(w, e ? (uint32_t)(e - entries) : DRIVERS_CACHE_NO_ENTRY);
		w_u32(w, f->inf ? CACHE_INF : 0);
	}
	if (w->oom)
		return -ENOMEM;
	*ret_n_dirs = (uint32_t)n;
	return 0;
}

/* An open file to write the cache to: the file loaded from path itself
 * when it was a valid cache of this store (rewritten in place: the
 * store's root keeps its mtime, so that the next scan need not list it
 * again; -EBUSY while another scan writes it, and a reader that catches a
 * write half done sees a bad checksum and rebuilds), else a temporary
 * file renamed over it (*ret_tmp). */
static int
open_out(struct drivers_cache *c, const char *path, char **ret_tmp)
{
	_cleanup_free_ char *dir = strdup(path), *tmp = NULL;
	char *slash = dir ? strrchr(dir, '/') : NULL;
	struct stat st;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	*ret_tmp = NULL;
	if (c->loaded_path && streq(c->loaded_path, path)) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		/* the very file checked when loaded (a hard link elsewhere
		 * would be written through: never) */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1 && st.st_dev == c->loaded_dev &&
		    st.st_ino == c->loaded_ino) {
			/* another scan writing it: it writes the same */
			if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
				close(fd);
				return -EBUSY;
			}
			return fd;
		}
		if (fd >= 0)
			close(fd);
	}
	if (slash && slash != dir) {
		*slash = '\0';
		r = util_mkdir_p(dir);
		if (r < 0)
			return r;
	}
	if (util_asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)fchmod(fd, 0644); /* a catalog is no secret: like the store */
	*ret_tmp = TAKE_PTR(tmp);
	return fd;
}

/* Writes the cache to path; the entries are made one at a time (the
 * file is as large as the catalog: it is not built in memory). */
static int
write_to(struct drivers_cache *c, const char *path,
         const struct drivers_cache_content *in)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_free_ struct ordered *order = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct strtab tab = {0};
	struct wbuf head = {0}, e = {.tab = &tab}, tree = {.tab = &tab};
	struct csum sum;
	uint64_t elen = 0;
	uint32_t n_dirs = 0;
	size_t sizes, n = in->n;
	int fd, r = 0;

	/* the entries in path order (the loader checks it) */
	order = calloc(MAX(n, (size_t)1), sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = (struct ordered){.p = in->pkgs[i], .k = i};
	qsort(order, n, sizeof(*order), cmp_ordered);
	for (size_t i = 1; i < n; i++)
		if (streq(order[i - 1].p->inf_rel, order[i].p->inf_rel))
			return -EINVAL;
	if (!c->iso)
		r = w_tree(&tree, in, order, &n_dirs);
	if (n_dirs == 0)
		tree.n = 0; /* none, or one that did not hold together */
	fd = r < 0 ? r : open_out(c, path, &tmp);
	if (fd >= 0) {
		f = fdopen(fd, "w");
		if (!f) {
			r = -errno;
			close(fd);
		}
	} else
		r = fd;
	csum_init(&sum);
	w_bytes(&head, CACHE_MAGIC, 8);
	w_u32(&head, CACHE_FORMAT);
	w_str(&head, DRIVERS_IMGFIX_VERSION);
	w_str(&head, c->identity);
	w_u32(&head, (uint32_t)n);
	w_u32(&head, n_dirs);
	w_u32(&head, n_dirs > 0 ? (uint32_t)in->n_files : 0);
	sizes = head.n;
	/* pointers, models, entries and tree lengths, body length,
	 * checksum: filled in last */
	w_bytes(&head, (const uint8_t[40]){0}, 40);
	if (r >= 0 && (head.oom || fwrite(head.p, 1, head.n, f) != head.n))
		r = head.oom ? -ENOMEM : -EIO;
	for (size_t i = 0; i < n && r >= 0; i++) {
		size_t k = order[i].k;

		e.n = 0;
		w_u32(&e, 0); /* entry length */
		w_str(&e, in->pkgs[k]->inf_rel);
		w_u64(&e, in->keys[k].size);
		w_key(&e,
		      c->iso ? &(struct drivers_cache_key){0} : &in->keys[k]);
		w_package(&e, in->pkgs[k], in->sources[k]);
		if (e.oom || e.n - 4 >= UINT32_MAX) {
			r = -ENOMEM;
			break;
		}
		util_put_le32(e.p, (uint32_t)(e.n - 4));
		csum_add(&sum, e.p, e.n);
		elen += e.n;
		if (fwrite(e.p, 1, e.n, f) != e.n)
			r = -EIO;
	}
	if (r >= 0 && (tab.data.oom || tab.n_ptrs >= UINT32_MAX ||
	               tab.n_models >= UINT32_MAX))
		r = -ENOMEM;
	if (r >= 0) {
		csum_add(&sum, tree.p, tree.n);
		csum_add(&sum, tab.data.p, tab.data.n);
		if ((tree.n > 0 && fwrite(tree.p, 1, tree.n, f) != tree.n) ||
		    (tab.data.n > 0 &&
		     fwrite(tab.data.p, 1, tab.data.n, f) != tab.data.n))
			r = -EIO;
	}
	if (r >= 0) {
		uint64_t body = elen + tree.n + tab.data.n;
		uint8_t *h = head.p + sizes;

		util_put_le32(h, (uint32_t)tab.n_ptrs);
		util_put_le32(h + 4, (uint32_t)tab.n_models);
		util_put_le64(h + 8, elen);
		util_put_le64(h + 16, tree.n);
		util_put_le64(h + 24, body);
		util_put_le64(h + 32, csum_end(&sum, body));
		if (fflush(f) != 0 ||
		    ftruncate(fileno(f), (off_t)(head.n + body)) < 0 ||
		    fseek(f, (long)sizes, SEEK_SET) < 0 ||
		    fwrite(h, 1, 40, f) != 40 || fflush(f) != 0 ||
		    fsync(fileno(f)) < 0)
			r = -errno ? -errno : -EIO;
	}
	free(e.p);
	free(tree.p);
	free(head.p);
	strtab_done(&tab);
	if (r >= 0 && fclose(TAKE_PTR(f)) != 0)
		r = -errno;
	if (r >= 0 && tmp && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0 && tmp)
		(void)unlink(tmp);
	return r;
}

int
drivers_cache_save(struct drivers_cache *c,
                   const struct drivers_cache_content *content)
{
	int r = -ENOENT;

	if (c->store_file && !c->prefer_user)
		r = write_to(c, c->store_file, content);
	if (r < 0 && r != -ENOMEM && r != -EBUSY && c->user_file) {
		if (c->store_file && !c->prefer_user)
			log_debug("Cannot write %s (%s): using %s.",
			          c->store_file, strerror(-r), c->user_file);
		r = write_to(c, c->user_file, content);
	}
	return r == -EBUSY ? 0 : r;
}
