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
 * file is versioned (format and imgfix version) and checksummed; a file
 * that does not check out is ignored with a notice and rewritten.  The
 * cache is hostile input like the INFs: every length is checked.  It only
 * ever feeds the catalog: selection parses the chosen INF again.
 *
 * Restored packages point into the loaded file (kept while the store
 * lives); their pointer arrays come from one block sized when the file was
 * checked, so a warm scan of 20,000 INFs does not allocate per string.
 */
#include <assert.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "drivers-internal.h"

#define CACHE_MAGIC "IMGFIXDC"
#define CACHE_FORMAT 1u
#define CACHE_FILE ".imgfix-catalog"
#define CACHE_HEADER_MAX 8192
#define CACHE_NULL UINT32_MAX /* length of a NULL string or list */

/* ---- writing --------------------------------------------------------------
 */

struct wbuf {
	uint8_t *p;
	size_t n, a;
	bool oom;
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

static void
w_str(struct wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

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
	for (size_t i = 0; i < n; i++)
		w_str(w, l[i]);
}

/* ---- reading --------------------------------------------------------------
 */

struct rbuf {
	const uint8_t *p, *end;
	bool bad;
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

/* A string inside the buffer (NUL-terminated there), NULL for a NULL. */
static const char *
r_str(struct rbuf *r)
{
	uint32_t n = r_u32(r);
	const char *s;

	if (r->bad || n == CACHE_NULL)
		return NULL;
	if ((size_t)(r->end - r->p) <= n || r->p[n] != '\0' ||
	    memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = (const char *)r->p;
	r->p += n + 1;
	return s;
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
	struct cache_entry *entries; /* sorted by rel */
	size_t n_entries;
	char **ptrs; /* pointer arrays of restored packages */
	size_t n_ptrs, used_ptrs;
	struct drivers_model *models;
	size_t n_models, used_models;
};

/* A 64-bit checksum of the body (not cryptographic: it catches damage,
 * and the file is never trusted for what gets written), fed in pieces. */
struct csum {
	uint64_t h;
	uint8_t pending[8];
	size_t n_pending;
};

static void
csum_word(struct csum *c, uint64_t v)
{
	c->h = (c->h ^ v) * 0xFF51AFD7ED558CCDull;
	c->h ^= c->h >> 32;
}

static void
csum_add(struct csum *c, const uint8_t *p, size_t n)
{
	while (n > 0 && c->n_pending > 0) {
		c->pending[c->n_pending++] = *p++;
		n--;
		if (c->n_pending == 8) {
			uint64_t v;

			memcpy(&v, c->pending, 8);
			csum_word(c, v);
			c->n_pending = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		csum_word(c, v);
	}
	memcpy(c->pending, p, n);
	c->n_pending = n;
}

static uint64_t
csum_end(struct csum *c, uint64_t len)
{
	uint64_t h = c->h ^ len;

	for (size_t i = 0; i < c->n_pending; i++)
		h = (h ^ c->pending[i]) * 0xC4CEB9FE1A85EC53ull;
	return h ^ (h >> 29);
}

uint64_t
drivers_cache_checksum(const void *p, size_t n)
{
	struct csum c = {.h = 0x9E3779B97F4A7C15ull};

	csum_add(&c, p, n);
	return csum_end(&c, n);
}

static int
cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct cache_entry *)a)->rel,
	              ((const struct cache_entry *)b)->rel);
}

static void
r_key(struct rbuf *r, struct drivers_cache_key *k)
{
	k->size = r_u64(r);
	k->mtime_ns = r_u64(r);
	k->ctime_ns = r_u64(r);
	k->ino = r_u64(r);
}

/* Walks one package's data, counting the pointers and models a restore
 * takes; r->bad when it does not decode. */
static void
skim_package(struct rbuf *r, size_t *ptrs, size_t *models)
{
	uint32_t n;

	for (int i = 0; i < 7; i++) /* error, class ... catalog_file */
		(void)r_str(r);
	for (int l = 0; l < 8 && !r->bad; l++) { /* archs ... sources */
		n = r_u32(r);
		if (n == CACHE_NULL)
			continue;
		if (n > DRIVERS_MAX_ITEMS * 4u) {
			r->bad = true;
			return;
		}
		*ptrs += n + 1;
		for (uint32_t i = 0; i < n && !r->bad; i++)
			(void)r_str(r);
	}
	n = r_u32(r);
	if (r->bad || n > DRIVERS_MAX_ITEMS) {
		r->bad = true;
		return;
	}
	*models += n;
	for (uint32_t d = 0; d < n && !r->bad; d++) {
		uint32_t ni;

		for (int i = 0; i < 6; i++) /* 5 strings and the arch */
			(void)r_str(r);
		for (int i = 0; i < 8; i++)
			(void)r_u32(r);
		ni = r_u32(r);
		if (ni == CACHE_NULL)
			continue;
		if (ni > DRIVERS_MAX_FIELDS) {
			r->bad = true;
			return;
		}
		*ptrs += ni + 1;
		for (uint32_t i = 0; i < ni && !r->bad; i++)
			(void)r_str(r);
	}
}

/* Checks the whole file; 0 and the index, or a reason in *why. */
static int
check_file(struct drivers_cache *c, const char **why)
{
	struct rbuf r = {.p = c->buf, .end = c->buf + c->len};
	const char *version, *identity;
	uint32_t format, n;
	uint64_t plen, sum;
	size_t ptrs = 0, models = 0;

	if (c->len < 8 || memcmp(c->buf, CACHE_MAGIC, 8) != 0) {
		*why = "not a catalog cache";
		return -EBADMSG;
	}
	r.p += 8;
	format = r_u32(&r);
	version = r_str(&r);
	identity = r_str(&r);
	n = r_u32(&r);
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
	if (n > DRIVERS_MAX_STORE_FILES) {
		*why = "too many entries";
		return -EBADMSG;
	}
	c->entries = calloc(MAX(n, 1u), sizeof(struct cache_entry));
	if (!c->entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct cache_entry *e = &c->entries[i];
		uint32_t elen = r_u32(&r);
		struct rbuf er;

		if (r.bad || elen > (size_t)(r.end - r.p)) {
			*why = "bad entry length";
			return -EBADMSG;
		}
		er = (struct rbuf){.p = r.p, .end = r.p + elen};
		r.p += elen;
		e->rel = r_str(&er);
		r_key(&er, &e->key);
		e->data = er.p;
		e->end = er.end;
		skim_package(&er, &ptrs, &models);
		if (er.bad || !e->rel || er.p != er.end) {
			*why = "bad entry";
			return -EBADMSG;
		}
	}
	c->n_entries = n;
	if (n > 1)
		qsort(c->entries, n, sizeof(struct cache_entry), cmp_entries);
	for (size_t i = 1; i < n; i++)
		if (streq(c->entries[i - 1].rel, c->entries[i].rel)) {
			*why = "duplicate entry";
			return -EBADMSG;
		}
	c->ptrs = malloc(MAX(ptrs, (size_t)1) * sizeof(char *));
	c->models =
	        calloc(MAX(models, (size_t)1), sizeof(struct drivers_model));
	if (!c->ptrs || !c->models)
		return -ENOMEM;
	c->n_ptrs = ptrs;
	c->n_models = models;
	return 0;
}

static void
drop_loaded(struct drivers_cache *c)
{
	free(c->entries);
	free(c->ptrs);
	free(c->models);
	free(c->buf);
	c->entries = NULL;
	c->ptrs = NULL;
	c->models = NULL;
	c->buf = NULL;
	c->len = c->n_entries = c->n_ptrs = c->n_models = 0;
}

/* Reads path when it exists; 1 loaded, 0 absent or ignored (with a
 * notice), -ENOMEM. */
static int
load_file(struct drivers_cache *c, const char *path)
{
	const char *why = NULL;
	size_t len;
	int r;

	r = util_read_file(path, DRIVERS_MAX_CACHE_SIZE, (char **)&c->buf,
	                   &len);
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
	c->len = len;
	r = check_file(c, &why);
	if (r == -ENOMEM) {
		drop_loaded(c);
		return r;
	}
	if (r < 0) {
		log_notice("Driver catalog cache %s ignored: %s; rebuilding "
		           "it.",
		           path, why);
		drop_loaded(c);
		return 0;
	}
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
	free(c);
	return NULL;
}

int
drivers_cache_open(const char *origin, const char *root_path, bool iso,
                   struct drivers_cache **ret)
{
	_cleanup_(drivers_cache_freep) struct drivers_cache *c = NULL;
	_cleanup_free_ char *real = NULL;
	struct stat st;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->iso = iso;
	real = realpath(origin, NULL);
	if (!real || stat(real, &st) < 0)
		return -errno;
	if (iso)
		r = util_asprintf(
		        &c->identity, "iso:%s:%llu:%llu:%llu:%lld.%09ld", real,
		        (unsigned long long)st.st_dev,
		        (unsigned long long)st.st_ino,
		        (unsigned long long)st.st_size,
		        (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		r = util_asprintf(&c->identity, "dir:%s", real);
	if (r < 0)
		return -ENOMEM;
	r = user_cache_path(c->identity, &c->user_file);
	if (r == -ENOMEM)
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

bool
drivers_cache_is_own_file(const char *rel)
{
	return util_startswith(rel, CACHE_FILE) != NULL;
}

static bool
key_matches(const struct drivers_cache *c, const struct drivers_cache_key *a,
            const struct drivers_cache_key *b)
{
	if (a->size != b->size)
		return false;
	return c->iso || (a->mtime_ns == b->mtime_ns &&
	                  a->ctime_ns == b->ctime_ns && a->ino == b->ino);
}

static char **
take_strv(struct drivers_cache *c, struct rbuf *r)
{
	uint32_t n = r_u32(r);
	char **v;

	if (n == CACHE_NULL || r->bad || c->used_ptrs + n + 1 > c->n_ptrs)
		return NULL;
	v = c->ptrs + c->used_ptrs;
	c->used_ptrs += n + 1;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (char *)r_str(r);
	v[n] = NULL;
	return v;
}

int
drivers_cache_restore(struct drivers_cache *c, const char *rel,
                      const struct drivers_cache_key *key,
                      struct drivers_package *p, char ***ret_sources)
{
	struct cache_entry k = {.rel = rel}, *e;
	struct rbuf r;
	const char *arch;
	uint32_t n;

	if (c->n_entries == 0)
		return 0;
	e = bsearch(&k, c->entries, c->n_entries, sizeof(struct cache_entry),
	            cmp_entries);
	if (!e || !key_matches(c, &e->key, key))
		return 0;
	r = (struct rbuf){.p = e->data, .end = e->end};
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
	if (!r.bad && n > 0 && c->used_models + n <= c->n_models) {
		p->devices = c->models + c->used_models;
		c->used_models += n;
		p->n_devices = n;
	}
	for (uint32_t d = 0; d < p->n_devices && !r.bad; d++) {
		struct drivers_model *m = &p->devices[d];

		m->manufacturer = (char *)r_str(&r);
		m->models_section = (char *)r_str(&r);
		m->decoration = (char *)r_str(&r);
		m->description = (char *)r_str(&r);
		m->install_section = (char *)r_str(&r);
		arch = r_str(&r);
		if (arch && strlen(arch) < sizeof(m->os.arch))
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
	/* checked when loaded: a failure here is a bug, not bad input */
	assert(!r.bad);
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

/* Writes the cache to path through a temporary file renamed over it;
 * the body is made one entry at a time (the file is as large as the
 * catalog: it is not built in memory). */
static int
write_to(struct drivers_cache *c, const char *path,
         const struct drivers_package *const *pkgs, char **const *sources,
         const struct drivers_cache_key *keys, size_t n)
{
	_cleanup_free_ char *dir = strdup(path), *tmp = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct wbuf head = {0}, e = {0};
	struct csum sum = {.h = 0x9E3779B97F4A7C15ull};
	uint64_t body = 0;
	char *slash = dir ? strrchr(dir, '/') : NULL;
	size_t sizes;
	int fd, r = 0;

	if (!dir)
		return -ENOMEM;
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
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		(void)unlink(tmp);
		return r;
	}
	w_bytes(&head, CACHE_MAGIC, 8);
	w_u32(&head, CACHE_FORMAT);
	w_str(&head, DRIVERS_IMGFIX_VERSION);
	w_str(&head, c->identity);
	w_u32(&head, (uint32_t)n);
	sizes = head.n;
	w_u64(&head, 0); /* body length, filled in last */
	w_u64(&head, 0); /* checksum */
	if (head.oom || fwrite(head.p, 1, head.n, f) != head.n)
		r = head.oom ? -ENOMEM : -EIO;
	for (size_t i = 0; i < n && r >= 0; i++) {
		e.n = 0;
		w_u32(&e, 0); /* entry length */
		w_str(&e, pkgs[i]->inf_rel);
		w_u64(&e, keys[i].size);
		w_u64(&e, c->iso ? 0 : keys[i].mtime_ns);
		w_u64(&e, c->iso ? 0 : keys[i].ctime_ns);
		w_u64(&e, c->iso ? 0 : keys[i].ino);
		w_package(&e, pkgs[i], sources[i]);
		if (e.oom || e.n - 4 >= UINT32_MAX) {
			r = -ENOMEM;
			break;
		}
		util_put_le32(e.p, (uint32_t)(e.n - 4));
		csum_add(&sum, e.p, e.n);
		body += e.n;
		if (fwrite(e.p, 1, e.n, f) != e.n)
			r = -EIO;
	}
	free(e.p);
	if (r >= 0) {
		util_put_le32(head.p + sizes, (uint32_t)body);
		util_put_le32(head.p + sizes + 4, (uint32_t)(body >> 32));
		uint64_t cs = csum_end(&sum, body);
		util_put_le32(head.p + sizes + 8, (uint32_t)cs);
		util_put_le32(head.p + sizes + 12, (uint32_t)(cs >> 32));
		if (fseek(f, (long)sizes, SEEK_SET) < 0 ||
		    fwrite(head.p + sizes, 1, 16, f) != 16 || fflush(f) != 0 ||
		    fsync(fileno(f)) < 0)
			r = -errno ? -errno : -EIO;
	}
	free(head.p);
	if (r >= 0 && fclose(TAKE_PTR(f)) != 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int
drivers_cache_save(struct drivers_cache *c,
                   const struct drivers_package *const *pkgs,
                   char **const *sources, const struct drivers_cache_key *keys,
                   size_t n)
{
	int r = -ENOENT;

	if (c->store_file && !c->prefer_user)
		r = write_to(c, c->store_file, pkgs, sources, keys, n);
	if (r < 0 && r != -ENOMEM && c->user_file) {
		if (c->store_file && !c->prefer_user)
			log_debug("Cannot write %s (%s): using %s.",
			          c->store_file, strerror(-r), c->user_file);
		r = write_to(c, c->user_file, pkgs, sources, keys, n);
	}
	return r;
}
