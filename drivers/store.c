/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Driver stores: a directory tree of driver packages in any layout
 * (virtio-win's by-os, by-driver and ISO layouts, vendor folders) or an ISO
 * image of one, scanned into a catalog of packages (one per INF) with what
 * an admin needs to know about each: class, provider, DriverVer, archs and
 * OS targets, devices and their IDs, services, files present or missing.
 *
 * ISO images are read with libarchive; <archive.h> is included here only.
 * INFs are parsed by one thread per CPU (at most STORE_MAX_THREADS): a
 * virtio-win store has ~500 of them and every fix scans its stores.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>

#include "drivers-internal.h"

struct store_file {
	const char *rel;   /* as found, '/' separated */
	const char *lower; /* lower-case, the sort key */
	bool owned;        /* rel and lower are ours, not the cache's */
	bool have_key;
	bool stat_pending; /* an INF from the cache: its key is taken later */
	bool inf;
	uint32_t entry;               /* its cache entry, a hint */
	struct drivers_cache_key key; /* an INF's, when caching */
};

/* A directory the scan saw, for the cache (rel owned unless from it). */
struct store_dir {
	struct drivers_cache_dir d;
	bool owned;
};

struct store_root {
	char *origin; /* what the user gave */
	char *path;   /* host directory */
	char *tmpdir; /* extraction dir of an ISO, removed on free */
	struct store_file *files;
	size_t n_files, allocated;
	struct store_dir *dirs; /* recorded when caching a directory */
	size_t n_dirs, dirs_allocated;
	struct drivers_cache *cache; /* NULL: not cached */
	bool tree_changed;           /* the walk did not find the cached tree */
	int64_t scan_ns;             /* wall clock when the scan started */
};

/* What the store knows of a package besides struct drivers_package. */
struct pkg_priv {
	size_t root;
	bool cached;    /* restored: its catalog fields point into the cache */
	char **sources; /* SourceDisksFiles paths, for files_present/missing */
	size_t file;    /* the INF's index in its root's files */
	struct drivers_cache_key key;
};

struct drivers_store {
	struct store_root *roots;
	size_t n_roots, roots_allocated;
	struct drivers_package *pkgs;
	struct pkg_priv *priv;
	size_t n_pkgs, pkgs_allocated, priv_allocated;
	size_t total_files;
	size_t n_parsed; /* INFs parsed, not restored from a cache */
	size_t n_listed; /* directories listed, not taken from a cache */
	bool use_cache;
};

static bool cache_default;

void
drivers_store_cache_default(bool enabled)
{
	cache_default = enabled;
}

void
drivers_store_set_cache(struct drivers_store *s, bool enabled)
{
	s->use_cache = enabled;
}

int
drivers_store_new(struct drivers_store **ret)
{
	struct drivers_store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->use_cache = cache_default;
	*ret = s;
	return 0;
}

static void
package_done(struct drivers_package *p, struct pkg_priv *x)
{
	free(p->inf_path);      /* package_dir is in the same block */
	free(p->files_present); /* their strings are the sources' */
	free(p->files_missing);
	if (x->cached) { /* the rest points into the cache */
		*p = (struct drivers_package){0};
		return;
	}
	util_strv_free(x->sources);
	free(p->error);
	free(p->class_name);
	free(p->class_guid);
	free(p->provider);
	free(p->driver_date);
	free(p->driver_version);
	free(p->catalog_file);
	util_strv_free(p->archs);
	util_strv_free(p->os_targets);
	drivers_models_free(p->devices, p->n_devices);
	util_strv_free(p->services);
	util_strv_free(p->includes);
	util_strv_free(p->needs);
	util_strv_free(p->warnings);
	util_strv_free(p->fallback_ids);
	*p = (struct drivers_package){0};
}

static void
root_done(struct store_root *r)
{
	for (size_t i = 0; i < r->n_files; i++)
		if (r->files[i].owned) {
			free((char *)r->files[i].rel);
			free((char *)r->files[i].lower);
		}
	free(r->files);
	for (size_t i = 0; i < r->n_dirs; i++)
		if (r->dirs[i].owned)
			free((char *)r->dirs[i].d.rel);
	free(r->dirs);
	drivers_cache_free(r->cache);
	if (r->tmpdir)
		(void)util_rmdtemp(r->tmpdir);
	free(r->tmpdir);
	free(r->path);
	free(r->origin);
}

struct drivers_store *
drivers_store_free(struct drivers_store *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_pkgs; i++)
		package_done(&s->pkgs[i], &s->priv[i]);
	free(s->pkgs);
	free(s->priv);
	for (size_t i = 0; i < s->n_roots; i++)
		root_done(&s->roots[i]);
	free(s->roots);
	free(s);
	return NULL;
}

size_t
drivers_store_n_parsed(const struct drivers_store *s)
{
	return s->n_parsed;
}

size_t
drivers_store_n_listed(const struct drivers_store *s)
{
	return s->n_listed;
}

size_t
drivers_store_n_packages(const struct drivers_store *s)
{
	return s->n_pkgs;
}

const struct drivers_package *
drivers_store_package(const struct drivers_store *s, size_t i)
{
	return i < s->n_pkgs ? &s->pkgs[i] : NULL;
}

/* ---- the file index ----------------------------------------------------- */

static int
cmp_files(const void *a, const void *b)
{
	const struct store_file *fa = a, *fb = b;

	return drivers_file_order(fa->lower, fa->rel, fb->lower, fb->rel);
}

static int
cmp_lower(const void *a, const void *b)
{
	return strcmp(((const struct store_file *)a)->lower,
	              ((const struct store_file *)b)->lower);
}

static const struct store_file *
root_lookup(const struct store_root *r, const char *rel)
{
	_cleanup_free_ char *lower = strdup(rel);
	struct store_file key;

	if (!lower)
		return NULL;
	key.lower = util_strtolower(lower);
	return bsearch(&key, r->files, r->n_files, sizeof(struct store_file),
	               cmp_lower);
}

/* Directory part of the INF's relative path ("" at the root). */
static char *
rel_dir(const char *inf_rel)
{
	const char *slash = strrchr(inf_rel, '/');

	return util_strndup0(inf_rel, slash ? (size_t)(slash - inf_rel) : 0);
}

static char *
find_rel(const struct store_root *r, const char *inf_rel, const char *rel)
{
	_cleanup_free_ char *dir = rel_dir(inf_rel), *full = NULL;
	const struct store_file *f;

	if (!dir)
		return NULL;
	full = *dir ? util_path_join(dir, rel) : strdup(rel);
	if (!full)
		return NULL;
	f = root_lookup(r, full);
	return f ? util_path_join(r->path, f->rel) : NULL;
}

/* The files of the root under the INF's folder: a range of root->files,
 * which is sorted by lower-case path (a prefix's paths are contiguous). */
struct folder_range {
	const char *inf_rel;
	size_t nd; /* length of the folder with its '/', 0 at the root */
	const struct store_file *lo, *hi;
};

static bool
has_prefix(const struct store_root *r, size_t i, const char *pre, size_t n)
{
	return strncmp(r->files[i].lower, pre, n) == 0;
}

/* The range around the INF's own file (index inf of root->files),
 * galloping out from it: the files near it are the ones looked at. */
static void
folder_range(const struct store_root *r, size_t inf, struct folder_range *ret)
{
	const char *rel = r->files[inf].rel, *pre = r->files[inf].lower;
	const char *slash = strrchr(rel, '/');
	size_t nd = slash ? (size_t)(slash - rel) + 1 : 0;
	size_t good, step, a, b;

	*ret = (struct folder_range){.inf_rel = rel,
	                             .nd = nd,
	                             .lo = r->files,
	                             .hi = r->files + r->n_files};
	if (nd == 0)
		return;
	/* first with the prefix: in (a - 1, good] */
	for (good = inf, step = 1; step <= good; step *= 2) {
		if (!has_prefix(r, good - step, pre, nd))
			break;
		good -= step;
	}
	a = step <= good ? good - step + 1 : 0;
	for (b = good; a < b;) {
		size_t mid = a + (b - a) / 2;

		if (has_prefix(r, mid, pre, nd))
			b = mid;
		else
			a = mid + 1;
	}
	ret->lo = r->files + a;
	/* first past the prefix: in (good, b] */
	for (good = inf, step = 1; good + step < r->n_files; step *= 2) {
		if (!has_prefix(r, good + step, pre, nd))
			break;
		good += step;
	}
	b = MIN(good + step, r->n_files);
	for (a = good + 1; a < b;) {
		size_t mid = a + (b - a) / 2;

		if (has_prefix(r, mid, pre, nd))
			a = mid + 1;
		else
			b = mid;
	}
	ret->hi = r->files + a;
}

/* Whether rel (relative to the INF's folder) is a file of the root:
 * find_rel() without building the host path (a restored package asks it
 * for each of its files), searched in the folder's range. */
static bool
range_has(const struct folder_range *fr, const char *rel)
{
	size_t nr, lo = 0, hi = (size_t)(fr->hi - fr->lo);
	char buf[PATH_MAX];

	while (*rel == '/') /* as util_path_join() */
		rel++;
	nr = strlen(rel);
	if (fr->nd + nr >= sizeof(buf))
		return false;
	memcpy(buf, fr->inf_rel, fr->nd);
	memcpy(buf + fr->nd, rel, nr + 1);
	util_strtolower(buf);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(buf, fr->lo[mid].lower);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

char *
drivers_store_find_file(const struct drivers_store *s,
                        const struct drivers_package *p, const char *rel)
{
	size_t i;

	if (p < s->pkgs || p >= s->pkgs + s->n_pkgs || !rel)
		return NULL;
	i = (size_t)(p - s->pkgs);
	return find_rel(&s->roots[s->priv[i].root], p->inf_rel, rel);
}

/* ---- directory walk ---------------------------------------------------- */

static bool
is_inf(const char *name)
{
	return util_endswith_case(name, ".inf");
}

static void
stat_key(const struct stat *st, struct drivers_cache_key *k)
{
	*k = (struct drivers_cache_key){
	        .size = (uint64_t)st->st_size,
	        .mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000ull +
	                    (uint64_t)st->st_mtim.tv_nsec,
	        .ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000ull +
	                    (uint64_t)st->st_ctim.tv_nsec,
	        .ino = (uint64_t)st->st_ino,
	};
}

/* One scan of a directory root: with a cached tree, the directories and
 * INFs it lists are stat'ed first (pre-stat), and a directory whose key
 * did not change is taken from the cache instead of being listed. */
struct walk {
	struct drivers_store *s;
	struct store_root *root;
	int rootfd;
	bool record; /* INF keys for the cache */
	bool dirs;   /* ... and the directories (not in an ISO) */
	int64_t now; /* wall clock at the start: what is racy */
	const struct drivers_cache_tree *t; /* NULL: list everything */
	struct drivers_cache_key *dir_keys; /* pre-stat of t's dirs */
	bool *dir_ok;
	size_t reused;  /* directories of t taken unchanged */
	bool different; /* something is not as in t */
	char **ret_error;
};

static int
add_file(struct walk *w, struct store_file *f)
{
	struct store_root *root = w->root;
	int r;

	if (w->s->total_files >= DRIVERS_MAX_STORE_FILES)
		return drivers_error(w->ret_error, -E2BIG, root->origin, 0,
		                     "more than %u files",
		                     DRIVERS_MAX_STORE_FILES);
	r = drivers_grow((void **)&root->files, &root->allocated, root->n_files,
	                 sizeof(struct store_file));
	if (r < 0)
		return r;
	root->files[root->n_files++] = *f;
	w->s->total_files++;
	return 0;
}

static int
record_dir(struct walk *w, const char *rel, bool owned,
           const struct drivers_cache_key *key)
{
	struct store_root *root = w->root;
	struct store_dir *d;
	int r;

	r = drivers_grow((void **)&root->dirs, &root->dirs_allocated,
	                 root->n_dirs, sizeof(struct store_dir));
	if (r < 0)
		return r;
	d = &root->dirs[root->n_dirs];
	*d = (struct store_dir){
	        .d = {.rel = owned ? strdup(rel) : rel, .key = *key},
	        .owned = owned};
	if (!d->d.rel)
		return -ENOMEM;
	root->n_dirs++;
	return 0;
}

static int visit(struct walk *w, const char *rel, int64_t idx, unsigned depth,
                 bool *ret_missed);

/* Lists directory rel (open as dfd, taken), idx its record in the cached
 * tree or -1; *ret_incomplete when a subdirectory could not be visited. */
static int
list_dir(struct walk *w, int dfd, const char *rel, int64_t idx, unsigned depth,
         bool *ret_incomplete)
{
	struct store_root *root = w->root;
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	w->s->n_listed++;
	while ((de = readdir(d))) {
		_cleanup_free_ char *crel = NULL;
		struct stat st;
		mode_t type;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (depth == 0 && drivers_cache_is_own_file(de->d_name))
			continue; /* the catalog cache is not part of the store
			           */
		/* d_type saves a stat per file (a store has thousands);
		 * symlinks are not followed either way */
		switch (de->d_type) {
		case DT_DIR:
			type = S_IFDIR;
			break;
		case DT_REG:
			type = S_IFREG;
			break;
		case DT_UNKNOWN:
			if (fstatat(dirfd(d), de->d_name, &st,
			            AT_SYMLINK_NOFOLLOW) < 0) {
				*ret_incomplete = true;
				continue;
			}
			type = st.st_mode & S_IFMT;
			break;
		default:
			continue;
		}
		crel = *rel ? util_path_join(rel, de->d_name)
		            : strdup(de->d_name);
		if (!crel) {
			r = -ENOMEM;
			break;
		}
		if (type == S_IFDIR) {
			int64_t cidx =
			        idx >= 0 ? drivers_cache_find_child(
			                           root->cache, (uint32_t)idx,
			                           de->d_name)
			                 : -1;

			r = visit(w, crel, cidx, depth + 1, ret_incomplete);
			if (r < 0)
				break;
		} else if (type == S_IFREG) {
			struct store_file f = {.inf = is_inf(de->d_name),
			                       .owned = true,
			                       .entry = DRIVERS_CACHE_NO_ENTRY};
			char *lower;

			/* an INF's cache key, relative to the directory: a
			 * stat by path walks the whole path again */
			if (w->record && f.inf &&
			    fstatat(dirfd(d), de->d_name, &st,
			            AT_SYMLINK_NOFOLLOW) == 0) {
				stat_key(&st, &f.key);
				f.key.untrusted = drivers_cache_racy(
				        f.key.mtime_ns, w->now);
				f.have_key = true;
			}
			lower = strdup(crel);
			if (!lower) {
				r = -ENOMEM;
				break;
			}
			f.lower = util_strtolower(lower);
			f.rel = TAKE_PTR(crel);
			r = add_file(w, &f);
			if (r < 0) {
				free((char *)f.rel);
				free(lower);
				break;
			}
		}
	}
	closedir(d);
	return r;
}

/* Takes directory idx of the cached tree as it was: its files, then its
 * subdirectories (visited in turn). */
static int
reuse_dir(struct walk *w, uint32_t idx, unsigned depth, bool *ret_missed)
{
	const struct drivers_cache_dir *d = &w->t->dirs[idx];
	int r;

	w->reused++;
	for (uint32_t k = 0; k < d->n_files; k++) {
		uint32_t fi = w->t->dir_files[d->first_file + k];
		const struct drivers_cache_file *cf = &w->t->files[fi];
		struct store_file f = {.rel = cf->rel,
		                       .lower = cf->lower,
		                       .inf = cf->inf,
		                       .entry = cf->entry};

		f.stat_pending = cf->inf;
		r = add_file(w, &f);
		if (r < 0)
			return r;
	}
	for (uint32_t k = 0; k < d->n_children; k++) {
		uint32_t c = w->t->children[d->first_child + k];

		r = visit(w, w->t->dirs[c].rel, c, depth + 1, ret_missed);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool
same_dir_key(const struct drivers_cache_key *a,
             const struct drivers_cache_key *b)
{
	return a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->ino == b->ino;
}

/*
 * Visits directory rel of the root (idx: its record in the cached tree,
 * or -1): taken from the cache when its key is the one recorded, else
 * listed.  *ret_missed when it cannot be opened (its parent must be
 * listed again next time: it may become readable).
 */
static int
visit(struct walk *w, const char *rel, int64_t idx, unsigned depth,
      bool *ret_missed)
{
	struct drivers_cache_key key = {0};
	bool incomplete = false;
	struct stat st;
	int fd, r;

	if (depth > DRIVERS_MAX_STORE_DEPTH)
		return drivers_error(w->ret_error, -ELOOP, w->root->origin, 0,
		                     "directories nested deeper than %u at "
		                     "'%s'",
		                     DRIVERS_MAX_STORE_DEPTH, rel);
	if (idx >= 0) {
		if (!w->dir_ok[idx]) {
			*ret_missed = true;
			w->different = true;
			return 0;
		}
		key = w->dir_keys[idx];
		if (!w->t->dirs[idx].key.untrusted &&
		    same_dir_key(&key, &w->t->dirs[idx].key)) {
			/* its path in the cache: rel may be the caller's */
			r = record_dir(w, w->t->dirs[idx].rel, false, &key);
			return r < 0 ? r
			             : reuse_dir(w, (uint32_t)idx, depth,
			                         ret_missed);
		}
	} else if (w->dirs) {
		if (fstatat(w->rootfd, *rel ? rel : ".", &st,
		            AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			*ret_missed = true;
			return 0;
		}
		stat_key(&st, &key);
		key.size = 0;
	}
	w->different = true;
	fd = openat(w->rootfd, *rel ? rel : ".",
	            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*ret_missed = true;
		return 0;
	}
	r = list_dir(w, fd, rel, idx, depth, &incomplete);
	if (r < 0 || !w->dirs)
		return r;
	/* listed again next time when it may change unseen or when a
	 * subdirectory was missed */
	key.untrusted = incomplete || drivers_cache_racy(key.mtime_ns, w->now);
	return record_dir(w, rel, true, &key);
}

/* ---- work over threads -------------------------------------------------- */

/* Fewer items than this per thread: not worth a thread. */
#define STORE_ITEMS_PER_THREAD 1024
#define STORE_MAX_FAST_THREADS 4

/* Threads for n items: one per CPU, at most max, and per items or more
 * each (at least one thread). */
static size_t
thread_count(size_t n, size_t max, size_t per)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus > 0 ? (size_t)cpus : 1;

	nt = MIN(nt, max);
	return MIN(nt, MAX(n / per, (size_t)1));
}

/* worker(job t) for the nt jobs of size bytes at jobs: jobs 1.. on threads
 * of their own (tids[t]), job 0 and those whose thread does not start on
 * the calling thread; returns when all have ended. */
static void
run_jobs(void *(*worker)(void *), void *jobs, size_t size, size_t nt,
         pthread_t *tids)
{
	size_t started = 0;

	for (size_t t = 1; t < nt; t++) {
		if (pthread_create(&tids[t], NULL, worker,
		                   (char *)jobs + t * size) != 0)
			break;
		started = t;
	}
	for (size_t t = started + 1; t < nt; t++)
		(void)worker((char *)jobs + t * size);
	(void)worker(jobs);
	for (size_t t = 1; t <= started; t++)
		(void)pthread_join(tids[t], NULL);
}

struct stripe {
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n, first, stride;
};

static void *
stripe_run(void *arg)
{
	struct stripe *j = arg;

	for (size_t i = j->first; i < j->n; i += j->stride)
		j->fn(j->ctx, i);
	return NULL;
}

/* fn(ctx, i) for i < n, spread over one thread per CPU (at most
 * STORE_MAX_FAST_THREADS): for independent short jobs, mostly system calls
 * that scale (a stat is path lookup in the kernel's caches). */
static void
run_striped(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct stripe jobs[STORE_MAX_FAST_THREADS];
	pthread_t tids[STORE_MAX_FAST_THREADS];
	size_t nt =
	        thread_count(n, STORE_MAX_FAST_THREADS, STORE_ITEMS_PER_THREAD);

	for (size_t i = 0; i < nt; i++)
		jobs[i] = (struct stripe){
		        .fn = fn, .ctx = ctx, .n = n, .first = i, .stride = nt};
	run_jobs(stripe_run, jobs, sizeof(jobs[0]), nt, tids);
}

static void
stat_dir(void *ctx, size_t i)
{
	struct walk *w = ctx;
	const char *rel = w->t->dirs[i].rel;
	struct stat st;

	w->dir_ok[i] = fstatat(w->rootfd, *rel ? rel : ".", &st,
	                       AT_SYMLINK_NOFOLLOW) == 0 &&
	               S_ISDIR(st.st_mode);
	if (w->dir_ok[i]) {
		stat_key(&st, &w->dir_keys[i]);
		w->dir_keys[i].size = 0;
	}
}

/* Stats every directory of the cached tree (the INFs are stat'ed with
 * their restores, add_packages()). */
static int
prestat(struct walk *w)
{
	w->dir_keys = calloc(w->t->n_dirs, sizeof(*w->dir_keys));
	w->dir_ok = calloc(w->t->n_dirs, sizeof(*w->dir_ok));
	if (!w->dir_keys || !w->dir_ok)
		return -ENOMEM;
	run_striped(w->t->n_dirs, stat_dir, w);
	return 0;
}

static void
walk_done(struct walk *w)
{
	free(w->dir_keys);
	free(w->dir_ok);
}

/* Whether the walk found the tree as cached, though it listed some
 * directories again (ones that may change unseen, or with a subdirectory
 * it could not open): then the cache need not be written again. */
static bool
same_tree(const struct store_root *root, const struct drivers_cache_tree *t)
{
	if (!t || root->n_files != t->n_files || root->n_dirs != t->n_dirs)
		return false;
	for (size_t i = 0; i < t->n_files; i++)
		if (!streq(root->files[i].rel, t->files[i].rel) ||
		    root->files[i].inf != t->files[i].inf)
			return false;
	for (size_t i = 0; i < root->n_dirs; i++) {
		const struct drivers_cache_dir *d = &root->dirs[i].d;
		int64_t k = drivers_cache_find_dir(root->cache, d->rel);

		if (k < 0 || !same_dir_key(&d->key, &t->dirs[k].key) ||
		    d->key.untrusted != t->dirs[k].key.untrusted)
			return false;
	}
	return true;
}

/* Walks the root (open as rootfd) into root->files, sorted. */
static int
walk_root(struct drivers_store *s, struct store_root *root, int rootfd,
          bool record, char **ret_error)
{
	_cleanup_(walk_done) struct walk w = {
	        .s = s,
	        .root = root,
	        .rootfd = rootfd,
	        .record = record,
	        .ret_error = ret_error,
	};
	struct timespec now;
	bool missed = false;
	int r;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -errno;
	w.now = (int64_t)now.tv_sec * 1000000000ll + now.tv_nsec;
	root->scan_ns = w.now;
	w.dirs = record && !root->tmpdir;
	w.t = w.dirs ? drivers_cache_tree(root->cache) : NULL;
	if (w.t) {
		/* sized for the tree as cached: no growing */
		if (root->allocated == 0 && root->dirs_allocated == 0) {
			root->files = malloc(MAX(w.t->n_files, (size_t)1) *
			                     sizeof(struct store_file));
			root->dirs =
			        malloc(w.t->n_dirs * sizeof(struct store_dir));
			if (!root->files || !root->dirs)
				return -ENOMEM;
			root->allocated = MAX(w.t->n_files, (size_t)1);
			root->dirs_allocated = w.t->n_dirs;
		}
		r = prestat(&w);
		if (r < 0)
			return r;
	}
	r = visit(&w, "", w.t ? 0 : -1, 0, &missed);
	if (r < 0)
		return r;
	if (w.t && !w.different && w.reused == w.t->n_dirs &&
	    root->n_files == w.t->n_files) {
		/* the tree as cached: its files in order, no sort */
		for (size_t i = 0; i < w.t->n_files; i++) {
			const struct drivers_cache_file *cf = &w.t->files[i];

			root->files[i] = (struct store_file){
			        .rel = cf->rel,
			        .lower = cf->lower,
			        .inf = cf->inf,
			        .entry = cf->entry,
			        .stat_pending = cf->inf,
			};
		}
		return 0;
	}
	if (root->n_files > 0) /* files is NULL for an empty store */
		qsort(root->files, root->n_files, sizeof(struct store_file),
		      cmp_files);
	root->tree_changed = w.dirs && !same_tree(root, w.t);
	return 0;
}

/* ---- ISO images -------------------------------------------------------- */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)

static int
archive_open(const char *path, struct archive **ret)
{
	struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	archive_read_support_format_iso9660(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		return -EBADMSG;
	}
	*ret = a;
	return 0;
}

/* Extracts the directories of an archive that hold an INF. */
static int
extract_iso(const char *path, const char *dest, char **ret_error)
{
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	_cleanup_strv_free_ char **dirs = NULL;
	struct archive_entry *e;
	unsigned long long total = 0;
	size_t n = 0;
	int r;

	r = archive_open(path, &a);
	if (r < 0)
		return drivers_error(ret_error, r, path, 0,
		                     "not a directory or a readable ISO image");
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		_cleanup_free_ char *rel = NULL, *dir = NULL;
		const char *name = archive_entry_pathname(e);

		if (++n > DRIVERS_MAX_STORE_FILES)
			return drivers_error(ret_error, -E2BIG, path, 0,
			                     "more than %u files",
			                     DRIVERS_MAX_STORE_FILES);
		if (!name || archive_entry_filetype(e) != AE_IFREG ||
		    !is_inf(name))
			continue;
		if (drivers_rel_path(name, NULL, NULL, &rel) < 0)
			continue;
		dir = rel_dir(rel);
		if (!dir)
			return -ENOMEM;
		util_strtolower(dir);
		if (!util_strv_contains(dirs, dir) &&
		    util_strv_push(&dirs, dir) < 0)
			return -ENOMEM;
	}
	if (r != ARCHIVE_EOF)
		return drivers_error(ret_error, -EBADMSG, path, 0,
		                     "cannot read the image: %s",
		                     archive_error_string(a)
		                             ? archive_error_string(a)
		                             : "unknown error");
	archive_read_free(a);
	a = NULL;
	if (!dirs)
		return 0;

	r = archive_open(path, &a);
	if (r < 0)
		return drivers_error(ret_error, r, path, 0,
		                     "cannot reopen the image");
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		_cleanup_free_ char *rel = NULL, *dir = NULL, *out = NULL,
		                    *outdir = NULL;
		const char *name = archive_entry_pathname(e);
		_cleanup_close_ int fd = -1;
		const void *buf;
		size_t len;
		la_int64_t off;
		int k;

		if (!name || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (drivers_rel_path(name, NULL, NULL, &rel) < 0)
			continue;
		dir = rel_dir(rel);
		if (!dir)
			return -ENOMEM;
		util_strtolower(dir);
		if (!util_strv_contains(dirs, dir))
			continue;
		if (archive_entry_size(e) < 0 ||
		    (unsigned long long)archive_entry_size(e) >
		            DRIVERS_MAX_ISO_FILE_SIZE)
			return drivers_error(ret_error, -EFBIG, path, 0,
			                     "'%s' is larger than %llu bytes",
			                     rel, DRIVERS_MAX_ISO_FILE_SIZE);
		total += (unsigned long long)archive_entry_size(e);
		if (total > DRIVERS_MAX_ISO_TOTAL_SIZE)
			return drivers_error(ret_error, -EFBIG, path, 0,
			                     "driver folders larger than %llu "
			                     "bytes",
			                     DRIVERS_MAX_ISO_TOTAL_SIZE);
		out = util_path_join(dest, rel);
		if (!out)
			return -ENOMEM;
		outdir = rel_dir(out);
		if (!outdir)
			return -ENOMEM;
		r = util_mkdir_p(outdir);
		if (r < 0)
			return drivers_error(ret_error, r, out, 0,
			                     "cannot create directory");
		fd = open(out,
		          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		          0644);
		if (fd < 0) {
			if (errno == EEXIST)
				continue; /* duplicate entry: keep the first */
			return drivers_error(ret_error, -errno, out, 0,
			                     "cannot create file");
		}
		while ((k = archive_read_data_block(a, &buf, &len, &off)) ==
		       ARCHIVE_OK) {
			if (pwrite(fd, buf, len, off) != (ssize_t)len)
				return drivers_error(ret_error, -EIO, out, 0,
				                     "cannot write");
		}
		if (k != ARCHIVE_EOF)
			return drivers_error(ret_error, -EBADMSG, path, 0,
			                     "cannot read '%s': %s", rel,
			                     archive_error_string(a)
			                             ? archive_error_string(a)
			                             : "unknown error");
	}
	if (r != ARCHIVE_EOF)
		return drivers_error(ret_error, -EBADMSG, path, 0,
		                     "cannot read the image: %s",
		                     archive_error_string(a)
		                             ? archive_error_string(a)
		                             : "unknown error");
	return 0;
}

/* ---- packages ---------------------------------------------------------- */

static int
push_unique(char ***l, const char *s)
{
	if (util_strv_contains_case(*l, s))
		return 0;
	return util_strv_push(l, s);
}

/* The package-relative paths of its SourceDisksFiles[.arch], in order. */
static int
package_sources(struct drivers_package *p, const struct drivers_inf *inf,
                char ***sources)
{
	STRV_FOREACH (arch, p->archs) {
		char sec[64];

		for (int pass = 0; pass < 2; pass++) {
			size_t n;
			const struct drivers_inf_line *l;

			if (pass == 0)
				snprintf(sec, sizeof(sec),
				         "SourceDisksFiles.%s", *arch);
			else
				snprintf(sec, sizeof(sec), "SourceDisksFiles");
			l = drivers_inf_section(inf, sec, &n);
			for (size_t i = 0; i < n; i++) {
				_cleanup_free_ char *rel = NULL;
				const char *f =
				        l[i].key ? l[i].key : l[i].fields[0];
				int r;

				if (!*f)
					continue;
				r = drivers_inf_source_path(inf, *arch, f,
				                            &rel);
				if (r == -ENOMEM)
					return r;
				if (r < 0)
					continue;
				r = push_unique(sources, rel);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* What the other files of the store say: files present or missing, the
 * catalog's presence (computed again for a package from the cache). */
static int
package_files(struct drivers_package *p, const struct pkg_priv *x,
              char *const *sources, const struct store_root *root)
{
	_cleanup_free_ char *cat = NULL;
	size_t n = util_strv_length((char **)sources), np = 0, nm = 0;
	struct folder_range fr;

	/* sources are distinct (package_sources(), or the cache of it) and
	 * outlive p: the lists point to them, NULL when empty */
	if (n > 0) {
		p->files_present = malloc((n + 1) * sizeof(char *));
		p->files_missing = malloc((n + 1) * sizeof(char *));
		if (!p->files_present || !p->files_missing)
			return -ENOMEM;
	}
	folder_range(root, x->file, &fr);
	for (size_t i = 0; i < n; i++) {
		if (range_has(&fr, sources[i]))
			p->files_present[np++] = sources[i];
		else
			p->files_missing[nm++] = sources[i];
	}
	if (n > 0) {
		p->files_present[np] = p->files_missing[nm] = NULL;
		if (np == 0) {
			free(p->files_present);
			p->files_present = NULL;
		}
		if (nm == 0) {
			free(p->files_missing);
			p->files_missing = NULL;
		}
	}
	/* a plain name (the usual) is its own relative path */
	if (p->catalog_file && *p->catalog_file &&
	    !strpbrk(p->catalog_file, "\\/") && !streq(p->catalog_file, ".") &&
	    !streq(p->catalog_file, ".."))
		p->catalog_present = range_has(&fr, p->catalog_file);
	else if (p->catalog_file &&
	         drivers_rel_path(p->catalog_file, NULL, NULL, &cat) >= 0)
		p->catalog_present = range_has(&fr, cat);
	return 0;
}

/* What one resolved DDInstall adds: services, Include=, Needs=. */
static int
install_adds(struct drivers_package *p, const struct drivers_inf *inf,
             const struct drivers_install *in)
{
	size_t nl;
	const struct drivers_inf_line *l;
	int r;

	for (size_t k = 0; k < in->n_services; k++) {
		r = push_unique(&p->services, in->services[k].name);
		if (r < 0)
			return r;
	}
	l = drivers_inf_section(inf, in->ddinstall, &nl);
	for (size_t k = 0; k < nl; k++) {
		char ***dst;

		if (!l[k].key)
			continue;
		if (strcaseeq(l[k].key, "Include"))
			dst = &p->includes;
		else if (strcaseeq(l[k].key, "Needs"))
			dst = &p->needs;
		else
			continue;
		for (size_t f = 0; f < l[k].n_fields; f++) {
			if (!*l[k].fields[f])
				continue;
			r = push_unique(dst, l[k].fields[f]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Resolves the DDInstall of every device on every arch.  Many models lines
 * share a DDInstall: once one resolved on an arch, what it adds is known
 * (it depends on the section and the arch only); failures are resolved per
 * line, as their messages name the models line.
 */
static int
package_installs(struct drivers_package *p, const struct drivers_inf *inf)
{
	STRV_FOREACH (arch, p->archs) {
		_cleanup_strv_free_ char **done = NULL;

		for (size_t i = 0; i < p->n_devices; i++) {
			_cleanup_(drivers_install_done) struct drivers_install
			        in = {0};
			_cleanup_free_ char *err = NULL;
			const struct drivers_model *m = &p->devices[i];
			const char *da = m->os.arch[0] ? m->os.arch : "x86";
			int r;

			if (!strcaseeq(da, *arch) ||
			    util_strv_contains(done, m->install_section))
				continue;
			r = drivers_inf_resolve_install(inf, m, *arch, &in,
			                                &err);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				r = push_unique(&p->warnings,
				                err ? err : "unusable");
				if (r < 0)
					return r;
				continue;
			}
			r = install_adds(p, inf, &in);
			if (r >= 0)
				r = util_strv_push(&done, m->install_section);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int
dup_opt(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

static int
package_load(struct drivers_package *p, struct pkg_priv *x,
             const struct store_root *root)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	_cleanup_free_ char *err = NULL;
	struct drivers_inf_version v;
	int r;

	r = drivers_inf_parse_file(p->inf_path, NULL, &inf, &err);
	if (r == -ENOMEM)
		return r;
	if (r >= 0)
		r = drivers_inf_models(inf, NULL, &p->devices, &p->n_devices,
		                       &err);
	if (r == -ENOMEM)
		return r;
	if (r >= 0)
		r = drivers_inf_get_version(inf, NULL, &v, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		p->error = err ? TAKE_PTR(err) : strdup("cannot parse");
		return p->error ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		const struct drivers_model *m = &p->devices[i];

		r = push_unique(&p->archs, m->os.arch[0] ? m->os.arch : "x86");
		if (r >= 0 && *m->decoration)
			r = push_unique(&p->os_targets, m->decoration);
		if (r < 0)
			return r;
	}
	if (p->archs) {
		r = drivers_inf_get_version(inf, p->archs[0], &v, NULL);
		if (r < 0)
			return r;
	}
	if (dup_opt(v.class_name, &p->class_name) < 0 ||
	    dup_opt(v.class_guid, &p->class_guid) < 0 ||
	    dup_opt(v.provider, &p->provider) < 0 ||
	    dup_opt(v.driver_date, &p->driver_date) < 0 ||
	    dup_opt(v.driver_version, &p->driver_version) < 0 ||
	    dup_opt(v.catalog_file, &p->catalog_file) < 0)
		return -ENOMEM;
	r = drivers_inf_fallback_ids(inf, &p->fallback_ids);
	if (r >= 0)
		r = package_sources(p, inf, &x->sources);
	if (r >= 0)
		r = package_files(p, x, x->sources, root);
	if (r >= 0)
		r = package_installs(p, inf);
	return r;
}

#define STORE_MAX_THREADS 8
/* Fewer packages than this per thread: not worth a thread. */
#define STORE_PACKAGES_PER_THREAD 32

struct load_job {
	struct drivers_package *pkgs;
	struct pkg_priv *priv;
	const size_t *todo; /* indexes of the packages to parse */
	size_t n;
	const struct store_root *root;
	size_t stride, first;
	size_t *done;                   /* shared count, for the progress */
	struct util_progress *progress; /* updated by the calling thread */
	int r;
};

static void *
load_worker(void *arg)
{
	struct load_job *j = arg;

	for (size_t i = j->first; i < j->n && j->r >= 0; i += j->stride) {
		size_t k = j->todo[i];
		size_t d;

		j->r = package_load(&j->pkgs[k], &j->priv[k], j->root);
		d = __atomic_add_fetch(j->done, 1, __ATOMIC_RELAXED);
		util_progress_update(j->progress, d);
	}
	return NULL;
}

/* package_load() of the packages in todo: independent, so spread over
 * threads (each package written by one thread only; the root is only
 * read).  The calling thread draws the progress. */
static int
load_packages(struct drivers_store *s, const size_t *todo, size_t n,
              const struct store_root *root)
{
	_cleanup_(util_progress_endp) struct util_progress *progress = NULL;
	struct load_job jobs[STORE_MAX_THREADS];
	pthread_t tids[STORE_MAX_THREADS];
	size_t nt =
	        thread_count(n, STORE_MAX_THREADS, STORE_PACKAGES_PER_THREAD);
	size_t done = 0;
	int r;

	r = util_progress_start("Scanning driver store", n, &progress);
	if (r < 0)
		return r;
	for (size_t t = 0; t < nt; t++)
		jobs[t] = (struct load_job){.pkgs = s->pkgs,
		                            .priv = s->priv,
		                            .todo = todo,
		                            .n = n,
		                            .root = root,
		                            .stride = nt,
		                            .first = t,
		                            .done = &done};
	jobs[0].progress = progress;
	/* jobs[0] runs here; a thread that cannot start is run here too */
	run_jobs(load_worker, jobs, sizeof(jobs[0]), nt, tids);
	for (size_t t = 0; t < nt; t++)
		if (jobs[t].r < 0 && r == 0)
			r = jobs[t].r;
	return r;
}

/* Writes the root's cache when it differs from what was loaded. */
static int
save_cache(struct drivers_store *s, size_t ri, size_t first, bool changed)
{
	struct store_root *root = &s->roots[ri];
	_cleanup_free_ const struct drivers_package **pkgs = NULL;
	_cleanup_free_ char ***sources = NULL;
	_cleanup_free_ struct drivers_cache_key *keys = NULL;
	_cleanup_free_ struct drivers_cache_dir *dirs = NULL;
	_cleanup_free_ struct drivers_cache_file *files = NULL;
	size_t n = s->n_pkgs - first;
	int r;

	if (!changed)
		return 0;
	pkgs = calloc(MAX(n, (size_t)1), sizeof(*pkgs));
	sources = calloc(MAX(n, (size_t)1), sizeof(*sources));
	keys = calloc(MAX(n, (size_t)1), sizeof(*keys));
	dirs = calloc(MAX(root->n_dirs, (size_t)1), sizeof(*dirs));
	files = calloc(MAX(root->n_files, (size_t)1), sizeof(*files));
	if (!pkgs || !sources || !keys || !dirs || !files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pkgs[i] = &s->pkgs[first + i];
		sources[i] = s->priv[first + i].sources;
		keys[i] = s->priv[first + i].key;
	}
	for (size_t i = 0; i < root->n_dirs; i++)
		dirs[i] = root->dirs[i].d;
	for (size_t i = 0; i < root->n_files; i++)
		files[i] = (struct drivers_cache_file){
		        .rel = root->files[i].rel,
		        .lower = root->files[i].lower,
		        .inf = root->files[i].inf,
		};
	r = drivers_cache_save(root->cache,
	                       &(struct drivers_cache_content){
	                               .pkgs = pkgs,
	                               .sources = (char **const *)sources,
	                               .keys = keys,
	                               .n = n,
	                               .dirs = dirs,
	                               .n_dirs = root->n_dirs,
	                               .files = files,
	                               .n_files = root->n_files,
	                       });
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		log_notice("Cannot save the driver catalog cache of %s: %s.",
		           root->origin, strerror(-r));
	return 0;
}

/* The host paths of an INF and of its folder, in one block (inf_path
 * owns it). */
static int
package_paths(struct drivers_package *p, const char *root_path, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t nr = strlen(root_path), nl = strlen(rel), nj = nr;
	size_t nd = slash ? (size_t)(slash - rel) : 0;
	char *b = malloc(nr + 1 + nl + 1 + nr + 1 + nd + 1);

	if (!b)
		return -ENOMEM;
	/* joined as util_path_join() does; the root's folder as given */
	while (nj > 1 && root_path[nj - 1] == '/')
		nj--;
	p->inf_path = b;
	memcpy(b, root_path, nj);
	b[nj] = '/';
	memcpy(b + nj + 1, rel, nl + 1);
	p->package_dir = b + nj + 1 + nl + 1;
	if (nd > 0) {
		memcpy(p->package_dir, root_path, nj);
		p->package_dir[nj] = '/';
		memcpy(p->package_dir + nj + 1, rel, nd);
		p->package_dir[nj + 1 + nd] = '\0';
	} else
		memcpy(p->package_dir, root_path, nr + 1);
	return 0;
}

/* Restores of a root's packages from its cache, over threads. */
struct restore_job {
	struct drivers_store *s;
	struct store_root *root;
	int rootfd;
	size_t first; /* the package of infs[0] */
	const struct store_file **infs;
	bool *parse; /* per INF: not restored */
	int r;
};

/* The INF's key (stat'ed now when it came from the cache's tree), then its
 * package from the cache when the key matches. */
static void
restore_one(void *ctx, size_t i)
{
	struct restore_job *j = ctx;
	struct drivers_package *p = &j->s->pkgs[j->first + i];
	struct pkg_priv *x = &j->s->priv[j->first + i];
	const struct store_file *f = j->infs[i];
	struct stat st;
	int r;

	j->parse[i] = true;
	x->key = f->key;
	if (f->stat_pending) {
		if (fstatat(j->rootfd, f->rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			return; /* parsed: the parser says what is wrong */
		stat_key(&st, &x->key);
		x->key.untrusted =
		        drivers_cache_racy(x->key.mtime_ns, j->root->scan_ns);
	} else if (!f->have_key)
		return;
	if (drivers_cache_restore_at(j->root->cache, f->entry, p->inf_rel,
	                             &x->key, p, &x->sources) <= 0)
		return;
	x->cached = true;
	r = package_files(p, x, x->sources, j->root);
	if (r < 0)
		__atomic_store_n(&j->r, r, __ATOMIC_RELAXED);
	j->parse[i] = false;
}

static int
add_packages(struct drivers_store *s, size_t ri, int rootfd)
{
	struct store_root *root = &s->roots[ri];
	_cleanup_free_ size_t *todo = NULL;
	_cleanup_free_ const struct store_file **infs = NULL;
	_cleanup_free_ bool *parse = NULL;
	size_t first = s->n_pkgs, n_todo = 0, n_infs = 0, total;
	bool changed;
	int r;

	infs = calloc(MAX(root->n_files, (size_t)1), sizeof(*infs));
	if (!infs)
		return -ENOMEM;
	for (size_t i = 0; i < root->n_files; i++)
		if (root->files[i].inf)
			infs[n_infs++] = &root->files[i];
	total = s->n_pkgs + n_infs;
	if (total > s->pkgs_allocated) {
		struct drivers_package *np =
		        realloc(s->pkgs, total * sizeof(*np));

		if (!np)
			return -ENOMEM;
		s->pkgs = np;
		s->pkgs_allocated = total;
	}
	if (total > s->priv_allocated) {
		struct pkg_priv *nx = realloc(s->priv, total * sizeof(*nx));

		if (!nx)
			return -ENOMEM;
		s->priv = nx;
		s->priv_allocated = total;
	}
	for (size_t i = 0; i < n_infs; i++) {
		struct drivers_package *p = &s->pkgs[s->n_pkgs];

		*p = (struct drivers_package){0};
		s->priv[s->n_pkgs] = (struct pkg_priv){
		        .root = ri, .file = (size_t)(infs[i] - root->files)};
		s->n_pkgs++;
		/* the file index and the origin outlive the packages */
		p->inf_rel = (char *)infs[i]->rel;
		p->store = root->origin;
		r = package_paths(p, root->path, infs[i]->rel);
		if (r < 0)
			return r;
	}

	todo = malloc(MAX(n_infs, (size_t)1) * sizeof(size_t));
	parse = malloc(MAX(n_infs, (size_t)1) * sizeof(bool));
	if (!todo || !parse)
		return -ENOMEM;
	if (root->cache) {
		struct restore_job j = {.s = s,
		                        .root = root,
		                        .rootfd = rootfd,
		                        .first = first,
		                        .infs = infs,
		                        .parse = parse};

		run_striped(n_infs, restore_one, &j);
		if (j.r < 0)
			return j.r;
	} else
		memset(parse, 1, n_infs * sizeof(bool));
	for (size_t i = 0; i < n_infs; i++)
		if (parse[i])
			todo[n_todo++] = first + i;
	changed =
	        n_todo > 0 || root->tree_changed ||
	        (root->cache && drivers_cache_n_entries(root->cache) != n_infs);
	r = load_packages(s, todo, n_todo, root);
	if (r < 0)
		return r;
	s->n_parsed += n_todo;
	return root->cache ? save_cache(s, ri, first, changed) : 0;
}

int
drivers_store_add(struct drivers_store *s, const char *path, char **ret_error)
{
	struct store_root *root;
	struct stat st;
	size_t ri;
	int fd, r;

	if (stat(path, &st) < 0)
		return drivers_error(ret_error, -errno, path, 0,
		                     "cannot access: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return drivers_error(ret_error, -EINVAL, path, 0,
		                     "not a directory or an ISO image");
	r = drivers_grow((void **)&s->roots, &s->roots_allocated, s->n_roots,
	                 sizeof(struct store_root));
	if (r < 0)
		return r;
	ri = s->n_roots;
	root = &s->roots[ri];
	*root = (struct store_root){0};
	s->n_roots++;
	root->origin = strdup(path);
	if (!root->origin)
		return -ENOMEM;
	if (S_ISREG(st.st_mode)) {
		r = util_mkdtemp("drivers-iso", &root->tmpdir);
		if (r < 0)
			return drivers_error(ret_error, r, path, 0,
			                     "cannot create a temp dir");
		r = extract_iso(path, root->tmpdir, ret_error);
		if (r < 0)
			return r;
		root->path = strdup(root->tmpdir);
	} else
		root->path = strdup(path);
	if (!root->path)
		return -ENOMEM;

	if (s->use_cache) {
		r = drivers_cache_open(path, root->path, S_ISREG(st.st_mode),
		                       &root->cache);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			log_debug("No driver catalog cache for %s: %s.", path,
			          strerror(-r));
	}
	fd = open(root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return drivers_error(ret_error, -errno, path, 0,
		                     "cannot open: %s", strerror(errno));
	r = walk_root(s, root, fd, s->use_cache && root->cache, ret_error);
	if (r < 0) {
		close(fd);
		return drivers_error(ret_error, r, path, 0, "cannot scan: %s",
		                     strerror(-r));
	}
	r = add_packages(s, ri, fd);
	close(fd);
	return r;
}
