/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Selection of the best package of a store for a guest and a device:
 * hardware ID beats compatible ID, then the most specific OS decoration,
 * then the folder the package is in when it names the guest's Windows
 * (virtio-win's "w7", "2k19" ...), then the newest DriverVer.  The chosen
 * models line is resolved into an installation by install.c.
 */
#include "drivers-internal.h"

/* ---- selection --------------------------------------------------------- */

void
drivers_selection_done(struct drivers_selection *sel)
{
	if (!sel)
		return;
	drivers_install_done(&sel->install);
	free(sel->decoration);
	util_strv_free(sel->rejected);
	*sel = (struct drivers_selection){0};
}

struct candidate {
	const struct drivers_package *p;
	const struct drivers_model *m; /* into models */
	struct drivers_model *models;  /* owned: models for the target */
	size_t n_models;
	struct drivers_inf *inf; /* owned with models: the INF read again */
	unsigned rank;           /* lower is better */
	unsigned folder;         /* folder_score(): lower is better */
	bool fallback, compat;
};

/*
 * The OS a virtio-win-style folder name stands for ("w7", "2k19" ...):
 * when equally ranked INFs tie, the package under the folder of the
 * guest's own Windows wins (0), then one of the same version for the
 * other product type (1), then folders that name no OS (2), then folders
 * of another OS (3).
 */
static unsigned
folder_score(const char *inf_rel, const struct drivers_target *t)
{
	static const struct {
		const char *name, *long_name;
		unsigned major, minor, build; /* build: first of it */
		bool server;
	} oses[] = {
	        {"xp", "winxp", 5, 1, 0, false},
	        {"2k3", "win2003", 5, 2, 0, true},
	        {"vista", "winvista", 6, 0, 0, false},
	        {"2k8", "win2008", 6, 0, 0, true},
	        {"w7", "win7", 6, 1, 0, false},
	        {"2k8r2", "win2008r2", 6, 1, 0, true},
	        {"w8", "win8", 6, 2, 0, false},
	        {"2k12", "win2012", 6, 2, 0, true},
	        {"w8.1", "win8.1", 6, 3, 0, false},
	        {"2k12r2", "win2012r2", 6, 3, 0, true},
	        {"w10", "win10", 10, 0, 0, false},
	        {"w11", "win11", 10, 0, 22000, false},
	        {"2k16", "win2016", 10, 0, 0, true},
	        {"2k19", "win2019", 10, 0, 17763, true},
	        {"2k22", "win2022", 10, 0, 20348, true},
	        {"2k25", "win2025", 10, 0, 26100, true},
	};
	unsigned best = 2;
	const char *c = inf_rel;

	while (*c) {
		size_t n = strcspn(c, "/");

		for (size_t i = 0; i < ELEMENTSOF(oses); i++) {
			unsigned next = 0, sc;

			if (!((strlen(oses[i].name) == n &&
			       strncasecmp(c, oses[i].name, n) == 0) ||
			      (strlen(oses[i].long_name) == n &&
			       strncasecmp(c, oses[i].long_name, n) == 0)))
				continue;
			/* the next entry of the same version and type
			 * starts at a higher build */
			if (i + 1 < ELEMENTSOF(oses) &&
			    oses[i + 1].major == oses[i].major &&
			    oses[i + 1].minor == oses[i].minor &&
			    oses[i + 1].server == oses[i].server)
				next = oses[i + 1].build;
			if (oses[i].major != t->major ||
			    oses[i].minor != t->minor)
				sc = 3;
			else if (oses[i].server != t->server)
				sc = 1;
			else if (t->build == 0 ? oses[i].build == 0
			                       : t->build >= oses[i].build &&
			                                 (next == 0 ||
			                                  t->build < next))
				sc = 0;
			else
				sc = 1;
			best = sc < best || best == 2 ? sc : best;
		}
		c += n;
		c += strspn(c, "/");
	}
	return best;
}

static unsigned
match_rank(const struct drivers_model *m, char *const *device_ids,
           bool *ret_compat)
{
	unsigned best = UINT32_MAX;

	if (!device_ids) {
		*ret_compat = false;
		return 0;
	}
	for (size_t j = 0; m->ids && m->ids[j]; j++)
		for (size_t p = 0; device_ids[p] && p < 0x1000; p++)
			if (strcaseeq(m->ids[j], device_ids[p])) {
				unsigned rank =
				        (j > 0 ? 0x1000u : 0) + (unsigned)p;

				if (rank < best) {
					best = rank;
					*ret_compat = j > 0;
				}
			}
	return best;
}

static bool
name_matches(const struct drivers_package *p, const char *name)
{
	const char *base = strrchr(p->inf_rel, '/');
	size_t nl = strlen(name);

	base = base ? base + 1 : p->inf_rel;
	if (strcaseeq(base, name))
		return true;
	if (strncasecmp(base, name, nl) == 0 && strcaseeq(base + nl, ".inf"))
		return true;
	return util_strv_contains_case(p->services, name);
}

static int
cmp_candidates(const void *a_, const void *b_)
{
	const struct candidate *a = a_, *b = b_;
	int c;
	uint32_t da, db;
	uint64_t va, vb;

	if (a->fallback != b->fallback)
		return a->fallback ? 1 : -1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	c = drivers_decoration_compare(&a->m->os, &b->m->os);
	if (c)
		return -c;
	if (a->folder != b->folder)
		return a->folder < b->folder ? -1 : 1;
	da = drivers_date_key(a->p->driver_date);
	db = drivers_date_key(b->p->driver_date);
	if (da != db)
		return da > db ? -1 : 1;
	va = drivers_version_key(a->p->driver_version);
	vb = drivers_version_key(b->p->driver_version);
	if (va != vb)
		return va > vb ? -1 : 1;
	return strcmp(a->p->inf_path, b->p->inf_path);
}

/* Host paths, package files and the full ID list of the install. */
static int
complete_install(const struct drivers_store *s, const struct candidate *c,
                 struct drivers_install *in, char **ret_missing)
{
	const struct drivers_package *p = c->p;
	_cleanup_strv_free_ char **ids = NULL, **missing = NULL;
	const char *base = strrchr(p->inf_path, '/');
	int r;

	free(in->inf_path);
	in->inf_path = strdup(p->inf_path);
	in->inf_name = strdup(base ? base + 1 : p->inf_path);
	in->package_dir = strdup(p->package_dir);
	if (!in->inf_path || !in->inf_name || !in->package_dir)
		return -ENOMEM;
	util_strtolower(in->inf_name);

	for (size_t i = 0; i < in->n_files; i++) {
		in->files[i].host_path =
		        drivers_store_find_file(s, p, in->files[i].source);
		if (!in->files[i].host_path) {
			r = util_strv_push(&missing, in->files[i].source);
			if (r < 0)
				return r;
		}
	}
	if (missing) {
		*ret_missing = util_strv_join(missing, ", ");
		return *ret_missing ? 1 : -ENOMEM;
	}

	/* The matched line's IDs first, then every other line of the same
	 * models section installed by the same DDInstall. */
	STRV_FOREACH (id, c->m->ids) {
		r = util_strv_push(&ids, *id);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->n_models; i++) {
		const struct drivers_model *o = &c->models[i];

		if (o == c->m ||
		    !strcaseeq(o->models_section, c->m->models_section) ||
		    !strcaseeq(o->install_section, c->m->install_section))
			continue;
		STRV_FOREACH (id, o->ids)
			if (!util_strv_contains_case(ids, *id)) {
				r = util_strv_push(&ids, *id);
				if (r < 0)
					return r;
			}
	}
	util_strv_free(in->hardware_ids);
	in->hardware_ids = TAKE_PTR(ids);

	/* The package: the INF, its catalog, the files it ships. */
	util_strv_free(in->package_files);
	in->package_files = NULL;
	r = util_strv_push(&in->package_files, base ? base + 1 : p->inf_path);
	if (r < 0)
		return r;
	if (p->catalog_file && p->catalog_present) {
		r = util_strv_push(&in->package_files, p->catalog_file);
		if (r < 0)
			return r;
	}
	STRV_FOREACH (f, p->files_present)
		if (!util_strv_contains_case(in->package_files, *f)) {
			r = util_strv_push(&in->package_files, *f);
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < in->n_files; i++)
		if (!util_strv_contains_case(in->package_files,
		                             in->files[i].source)) {
			r = util_strv_push(&in->package_files,
			                   in->files[i].source);
			if (r < 0)
				return r;
		}
	/* The INF spells names in any case ("Balloon.cat"); the store's
	 * files may differ: use the names as they are on the host. */
	for (size_t i = 0; in->package_files && in->package_files[i]; i++) {
		_cleanup_free_ char *host =
		        drivers_store_find_file(s, c->p, in->package_files[i]);
		size_t n = in->package_dir ? strlen(in->package_dir) : 0;
		char *rel;

		if (!host || n == 0 || strncmp(host, in->package_dir, n) != 0 ||
		    host[n] != '/')
			continue;
		rel = strdup(host + n + 1);
		if (!rel)
			return -ENOMEM;
		free(in->package_files[i]);
		in->package_files[i] = rel;
	}
	return 0;
}

/* Candidates point into per-package models arrays, each freed once. */
static void
candidates_free(struct candidate *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = v[j].models == v[i].models;
		if (!seen) {
			drivers_models_free(v[i].models, v[i].n_models);
			drivers_inf_free(v[i].inf);
		}
	}
	free(v);
}

static bool
ids_intersect(char *const *a, char *const *b)
{
	for (; a && *a; a++)
		if (util_strv_contains_case(b, *a))
			return true;
	return false;
}

/* Whether any models line of p, for any target, lists one of ids: only
 * those packages are read again. */
static bool
may_match(const struct drivers_package *p, char *const *ids)
{
	if (!ids)
		return true;
	for (size_t i = 0; i < p->n_devices; i++)
		if (ids_intersect(p->devices[i].ids, ids))
			return true;
	return ids_intersect(p->fallback_ids, ids);
}

/* The package's INF read again; NULL (and a rejection) when it no longer
 * parses. */
static int
reread(const struct drivers_package *p, char ***rejected,
       struct drivers_inf **ret)
{
	_cleanup_free_ char *err = NULL;
	int r = drivers_inf_parse_file(p->inf_path, NULL, ret, &err);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret = NULL;
		if (!err &&
		    util_asprintf(&err, "%s: cannot parse", p->inf_path) < 0)
			return -ENOMEM;
		if (!util_strv_contains(*rejected, err))
			return util_strv_push(rejected, err);
	}
	return 0;
}

int
drivers_select(const struct drivers_store *s, const struct drivers_query *q,
               struct drivers_selection *ret)
{
	struct candidate *cand = NULL;
	size_t n_cand = 0, allocated = 0;
	_cleanup_strv_free_ char **rejected = NULL;
	const struct drivers_target *t = &q->target;
	int r = 0;

	if (!t->arch)
		return -EINVAL;
	for (size_t i = 0; i < drivers_store_n_packages(s); i++) {
		const struct drivers_package *p = drivers_store_package(s, i);
		struct drivers_model *models = NULL;
		size_t n_models = 0;
		struct drivers_inf *inf = NULL;
		bool used = false;

		if (p->error)
			continue;
		if (q->class_name &&
		    !(p->class_name &&
		      strcaseeq(p->class_name, q->class_name)) &&
		    !(p->class_guid && strcaseeq(p->class_guid, q->class_name)))
			continue;
		if (q->name && !name_matches(p, q->name))
			continue;
		if (!may_match(p, q->device_ids))
			continue;
		r = reread(p, &rejected, &inf);
		if (r < 0)
			goto oom;
		if (!inf)
			continue;
		if (drivers_inf_models(inf, t, &models, &n_models, NULL) < 0) {
			drivers_inf_free(inf);
			continue;
		}
		for (size_t k = 0; k < n_models; k++) {
			struct drivers_model *m = &models[k];
			bool compat = false, fallback;
			unsigned rank = match_rank(m, q->device_ids, &compat);

			if (rank == UINT32_MAX)
				continue;
			fallback = m->os.has_version &&
			           (m->os.major < t->major ||
			            (m->os.major == t->major &&
			             m->os.minor < t->minor));
			if (fallback && !q->allow_fallback) {
				char *msg = NULL;

				if (util_asprintf(
				            &msg,
				            "%s: targets an older OS (%s); "
				            "fallback not allowed",
				            p->inf_path, m->decoration) < 0)
					goto oom;
				if (!util_strv_contains(rejected, msg))
					r = util_strv_push(&rejected, msg);
				free(msg);
				if (r < 0)
					goto oom;
				continue;
			}
			r = drivers_grow((void **)&cand, &allocated, n_cand,
			                 sizeof(struct candidate));
			if (r < 0)
				goto oom;
			cand[n_cand++] = (struct candidate){
			        .p = p,
			        .m = m,
			        .models = models,
			        .n_models = n_models,
			        .inf = inf,
			        .rank = rank,
			        .folder = folder_score(p->inf_rel, t),
			        .fallback = fallback,
			        .compat = compat,
			};
			used = true;
		}
		if (!used) {
			drivers_models_free(models, n_models);
			drivers_inf_free(inf);
		}
	}
	if (n_cand > 1)
		qsort(cand, n_cand, sizeof(*cand), cmp_candidates);

	for (size_t i = 0; i < n_cand; i++) {
		struct drivers_selection sel = {0};
		_cleanup_free_ char *err = NULL, *missing = NULL;
		char *msg = NULL;

		r = drivers_inf_resolve_install(cand[i].inf, cand[i].m, t->arch,
		                                &sel.install, &err);
		if (r == -ENOMEM)
			goto oom;
		if (r >= 0)
			r = complete_install(s, &cand[i], &sel.install,
			                     &missing);
		if (r == -ENOMEM) {
			drivers_selection_done(&sel);
			goto oom;
		}
		if (r != 0) {
			drivers_install_done(&sel.install);
			if (r > 0)
				r = util_asprintf(&msg,
				                  "%s: missing files the INF "
				                  "needs: %s",
				                  cand[i].p->inf_path, missing);
			else
				r = util_asprintf(&msg, "%s",
				                  err ? err : "unusable");
			if (r < 0)
				goto oom;
			if (!util_strv_contains(rejected, msg))
				r = util_strv_push(&rejected, msg);
			free(msg);
			if (r < 0)
				goto oom;
			continue;
		}
		sel.package = cand[i].p;
		sel.decoration = strdup(cand[i].m->decoration);
		sel.fallback = cand[i].fallback;
		sel.compatible_match = cand[i].compat;
		sel.rejected = TAKE_PTR(rejected);
		if (!sel.decoration) {
			drivers_selection_done(&sel);
			goto oom;
		}
		candidates_free(cand, n_cand);
		*ret = sel;
		return 0;
	}
	candidates_free(cand, n_cand);
	*ret = (struct drivers_selection){.rejected = TAKE_PTR(rejected)};
	return -ENOENT;
oom:
	candidates_free(cand, n_cand);
	return -ENOMEM;
}
