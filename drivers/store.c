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
#include <pthread.h>
#include <sys/stat.h>

#include "drivers-internal.h"

struct store_file {
	char *rel;   /* as found, '/' separated */
	char *lower; /* lower-case, the sort key */
	bool have_key;
	struct drivers_cache_key key; /* an INF's, when caching */
};

struct store_root {
	char *origin; /* what the user gave */
	char *path;   /* host directory */
	char *tmpdir; /* extraction dir of an ISO, removed on free */
	struct store_file *files;
	size_t n_files, allocated;
	struct drivers_cache *cache; /* NULL: not cached */
};

/* What the store knows of a package besides struct drivers_package. */
struct pkg_priv {
	size_t root;
	bool cached;    /* restored: its catalog fields point into the cache */
	char **sources; /* SourceDisksFiles paths, for files_present/missing */
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
	free(p->inf_path);
	free(p->inf_rel);
	free(p->package_dir);
	free(p->store);
	util_strv_free(p->files_present);
	util_strv_free(p->files_missing);
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
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].rel);
		free(r->files[i].lower);
	}
	free(r->files);
	drivers_cache_free(r->cache);
	if (r->tmpdir)
		(void)util_rm_rf(r->tmpdir);
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
	               cmp_files);
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

static int
walk(struct drivers_store *s, struct store_root *root, int dfd,
     const char *prefix, unsigned depth, char **ret_error)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > DRIVERS_MAX_STORE_DEPTH)
		return drivers_error(ret_error, -ELOOP, root->origin, 0,
		                     "directories nested deeper than %u at "
		                     "'%s'",
		                     DRIVERS_MAX_STORE_DEPTH, prefix);
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		struct stat st;
		_cleanup_free_ char *rel = NULL;
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
			            AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = st.st_mode & S_IFMT;
			break;
		default:
			continue;
		}
		rel = *prefix ? util_path_join(prefix, de->d_name)
		              : strdup(de->d_name);
		if (!rel) {
			r = -ENOMEM;
			break;
		}
		if (type == S_IFDIR) {
			int fd = openat(dirfd(d), de->d_name,
			                O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                        O_CLOEXEC);

			if (fd < 0)
				continue;
			r = walk(s, root, fd, rel, depth + 1, ret_error);
			if (r < 0)
				break;
		} else if (type == S_IFREG) {
			struct store_file *f;

			if (s->total_files >= DRIVERS_MAX_STORE_FILES) {
				r = drivers_error(ret_error, -E2BIG,
				                  root->origin, 0,
				                  "more than %u files",
				                  DRIVERS_MAX_STORE_FILES);
				break;
			}
			r = drivers_grow((void **)&root->files,
			                 &root->allocated, root->n_files,
			                 sizeof(struct store_file));
			if (r < 0)
				break;
			f = &root->files[root->n_files];
			*f = (struct store_file){0};
			/* an INF's cache key, relative to the directory: a
			 * stat by path walks the whole path again */
			if (s->use_cache && is_inf(de->d_name) &&
			    fstatat(dirfd(d), de->d_name, &st,
			            AT_SYMLINK_NOFOLLOW) == 0) {
				stat_key(&st, &f->key);
				f->have_key = true;
			}
			f->lower = strdup(rel);
			if (!f->lower) {
				r = -ENOMEM;
				break;
			}
			util_strtolower(f->lower);
			f->rel = TAKE_PTR(rel);
			root->n_files++;
			s->total_files++;
		}
	}
	closedir(d);
	return r;
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
package_files(struct drivers_package *p, char *const *sources,
              const struct store_root *root)
{
	_cleanup_free_ char *cat = NULL;

	for (size_t i = 0; sources && sources[i]; i++) {
		_cleanup_free_ char *host =
		        find_rel(root, p->inf_rel, sources[i]);
		int r = push_unique(host ? &p->files_present
		                         : &p->files_missing,
		                    sources[i]);

		if (r < 0)
			return r;
	}
	if (p->catalog_file &&
	    drivers_rel_path(p->catalog_file, NULL, NULL, &cat) >= 0) {
		_cleanup_free_ char *host = find_rel(root, p->inf_rel, cat);

		p->catalog_present = host != NULL;
	}
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
		r = package_files(p, x->sources, root);
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
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus > 0 ? (size_t)cpus : 1, started = 0, done = 0;
	int r;

	r = util_progress_start("Scanning driver store", n, &progress);
	if (r < 0)
		return r;
	nt = MIN(nt, (size_t)STORE_MAX_THREADS);
	nt = MIN(nt, MAX(n / STORE_PACKAGES_PER_THREAD, (size_t)1));
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
	for (size_t t = 1; t < nt; t++) {
		if (pthread_create(&tids[t], NULL, load_worker, &jobs[t]) != 0)
			break;
		started = t;
	}
	for (size_t t = started + 1; t < nt; t++)
		(void)load_worker(&jobs[t]);
	(void)load_worker(&jobs[0]);
	for (size_t t = 1; t <= started; t++)
		(void)pthread_join(tids[t], NULL);
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
	size_t n = s->n_pkgs - first;
	int r;

	if (!changed)
		return 0;
	pkgs = calloc(MAX(n, (size_t)1), sizeof(*pkgs));
	sources = calloc(MAX(n, (size_t)1), sizeof(*sources));
	keys = calloc(MAX(n, (size_t)1), sizeof(*keys));
	if (!pkgs || !sources || !keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pkgs[i] = &s->pkgs[first + i];
		sources[i] = s->priv[first + i].sources;
		keys[i] = s->priv[first + i].key;
	}
	r = drivers_cache_save(root->cache, pkgs, (char **const *)sources, keys,
	                       n);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		log_notice("Cannot save the driver catalog cache of %s: %s.",
		           root->origin, strerror(-r));
	return 0;
}

static int
add_packages(struct drivers_store *s, size_t ri)
{
	_cleanup_free_ size_t *todo = NULL;
	_cleanup_free_ const struct drivers_cache_key **keys = NULL;
	size_t first = s->n_pkgs, n_todo = 0, n_keys = 0, keys_allocated = 0;
	bool changed;
	int r;

	for (size_t i = 0; i < s->roots[ri].n_files; i++) {
		struct store_root *root = &s->roots[ri];
		struct drivers_package *p;
		struct pkg_priv *x;
		_cleanup_free_ char *dir = NULL;

		if (!is_inf(root->files[i].rel))
			continue;
		r = drivers_grow((void **)&keys, &keys_allocated, n_keys,
		                 sizeof(*keys));
		if (r < 0)
			return r;
		keys[n_keys++] =
		        root->files[i].have_key ? &root->files[i].key : NULL;
		r = drivers_grow((void **)&s->pkgs, &s->pkgs_allocated,
		                 s->n_pkgs, sizeof(struct drivers_package));
		if (r >= 0)
			r = drivers_grow((void **)&s->priv, &s->priv_allocated,
			                 s->n_pkgs, sizeof(struct pkg_priv));
		if (r < 0)
			return r;
		p = &s->pkgs[s->n_pkgs];
		x = &s->priv[s->n_pkgs];
		*p = (struct drivers_package){0};
		*x = (struct pkg_priv){.root = ri};
		s->n_pkgs++;
		p->inf_rel = strdup(root->files[i].rel);
		p->inf_path = util_path_join(root->path, root->files[i].rel);
		p->store = strdup(root->origin);
		dir = rel_dir(root->files[i].rel);
		if (!p->inf_rel || !p->inf_path || !p->store || !dir)
			return -ENOMEM;
		p->package_dir = *dir ? util_path_join(root->path, dir)
		                      : strdup(root->path);
		if (!p->package_dir)
			return -ENOMEM;
	}

	todo = malloc(MAX(s->n_pkgs - first, (size_t)1) * sizeof(size_t));
	if (!todo)
		return -ENOMEM;
	for (size_t k = first; k < s->n_pkgs; k++) {
		struct drivers_package *p = &s->pkgs[k];
		struct pkg_priv *x = &s->priv[k];

		if (s->roots[ri].cache && keys[k - first]) {
			x->key = *keys[k - first];
			r = drivers_cache_restore(s->roots[ri].cache,
			                          p->inf_rel, &x->key, p,
			                          &x->sources);
			if (r > 0) {
				x->cached = true;
				r = package_files(p, x->sources, &s->roots[ri]);
				if (r < 0)
					return r;
				continue;
			}
		}
		todo[n_todo++] = k;
	}
	changed = n_todo > 0 || (s->roots[ri].cache &&
	                         drivers_cache_n_entries(s->roots[ri].cache) !=
	                                 s->n_pkgs - first);
	r = load_packages(s, todo, n_todo, &s->roots[ri]);
	if (r < 0)
		return r;
	s->n_parsed += n_todo;
	return s->roots[ri].cache ? save_cache(s, ri, first, changed) : 0;
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

	fd = open(root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return drivers_error(ret_error, -errno, path, 0,
		                     "cannot open: %s", strerror(errno));
	r = walk(s, root, fd, "", 0, ret_error);
	if (r < 0)
		return drivers_error(ret_error, r, path, 0, "cannot scan: %s",
		                     strerror(-r));
	if (s->use_cache) {
		r = drivers_cache_open(path, root->path, S_ISREG(st.st_mode),
		                       &root->cache);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			log_debug("No driver catalog cache for %s: %s.", path,
			          strerror(-r));
	}
	if (root->n_files > 0) /* files is NULL for an empty store */
		qsort(root->files, root->n_files, sizeof(struct store_file),
		      cmp_files);
	return add_packages(s, ri);
}
