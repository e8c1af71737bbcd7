/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a parsed INF to a resolved installation (DDInstall with its
 * decorations, .Services, AddReg/DelReg, CopyFiles with DestinationDirs and
 * SourceDisksFiles), and selection of the best package of a store for a
 * guest and a device: hardware ID beats compatible ID, then the most
 * specific OS decoration, then the newest DriverVer.
 */
#include "drivers-internal.h"

/* ---- drivers_install ---------------------------------------------------- */

static void
service_done(struct drivers_service *s)
{
	free(s->name);
	free(s->binary);
	free(s->binary_file);
	free(s->load_order_group);
	for (size_t i = 0; i < s->n_reg; i++)
		drivers_reg_done(&s->reg[i]);
	free(s->reg);
}

void
drivers_install_done(struct drivers_install *in)
{
	if (!in)
		return;
	free(in->inf_path);
	free(in->inf_name);
	free(in->package_dir);
	free(in->class_name);
	free(in->class_guid);
	free(in->provider);
	free(in->driver_date);
	free(in->driver_version);
	free(in->catalog_file);
	free(in->arch);
	free(in->ddinstall);
	util_strv_free(in->hardware_ids);
	free(in->description);
	for (size_t i = 0; i < in->n_services; i++)
		service_done(&in->services[i]);
	free(in->services);
	for (size_t i = 0; i < in->n_reg; i++)
		drivers_reg_done(&in->reg[i]);
	free(in->reg);
	for (size_t i = 0; i < in->n_files; i++) {
		free(in->files[i].name);
		free(in->files[i].source);
		free(in->files[i].subdir);
		free(in->files[i].host_path);
	}
	free(in->files);
	util_strv_free(in->package_files);
	*in = (struct drivers_install){0};
}

static int
strdup_or_null(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int
drivers_rel_path(const char *a, const char *b, const char *c, char **ret)
{
	_cleanup_strv_free_ char **parts = NULL;
	const char *in[] = {a, b, c};
	char *j;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(in); i++) {
		_cleanup_strv_free_ char **p = NULL;

		if (!in[i] || !*in[i])
			continue;
		if (i > 0 && strchr(in[i], ':'))
			return -EINVAL; /* a drive letter: not in a package */
		r = util_strv_split(in[i], "\\/", &p);
		if (r < 0)
			return r;
		STRV_FOREACH (s, p) {
			if (streq(*s, "."))
				continue;
			if (streq(*s, ".."))
				return -EINVAL;
			r = util_strv_push(&parts, *s);
			if (r < 0)
				return r;
		}
	}
	if (!parts)
		return -EINVAL;
	j = util_strv_join(parts, "/");
	if (!j)
		return -ENOMEM;
	*ret = j;
	return 0;
}

/* Key lookup in [base.arch] then [base]. */
static const struct drivers_inf_line *
find_keyed(const struct drivers_inf *inf, const char *base, const char *arch,
           const char *key)
{
	char sec[64];

	for (int pass = 0; pass < 2; pass++) {
		size_t n;
		const struct drivers_inf_line *l;

		if (pass == 0 && !arch)
			continue;
		if (pass == 0)
			snprintf(sec, sizeof(sec), "%s.%s", base, arch);
		else
			snprintf(sec, sizeof(sec), "%s", base);
		l = drivers_inf_section(inf, sec, &n);
		for (size_t i = 0; i < n; i++)
			if (l[i].key && strcaseeq(l[i].key, key))
				return &l[i];
	}
	return NULL;
}

int
drivers_inf_source_path(const struct drivers_inf *inf, const char *arch,
                        const char *file, char **ret)
{
	const struct drivers_inf_line *f, *d = NULL;
	const char *subdir = NULL, *disk_path = NULL;

	f = find_keyed(inf, "SourceDisksFiles", arch, file);
	if (f) {
		if (f->n_fields > 1)
			subdir = f->fields[1];
		if (f->n_fields > 0 && *f->fields[0])
			d = find_keyed(inf, "SourceDisksNames", arch,
			               f->fields[0]);
		if (d && d->n_fields > 3)
			disk_path = d->fields[3];
	}
	return drivers_rel_path(disk_path, subdir, file, ret);
}

static int
push_reg_section(const struct drivers_inf *inf, const char *section, bool del,
                 unsigned lineno, struct drivers_reg **v, size_t *n,
                 char **ret_error)
{
	size_t nl, allocated = *n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &nl);
	int r;

	if (!l && !drivers_inf_has_section(inf, section))
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     lineno, "%s section [%s] not found",
		                     del ? "DelReg" : "AddReg", section);
	for (size_t i = 0; i < nl; i++) {
		struct drivers_reg g;

		if (*n >= DRIVERS_MAX_ITEMS)
			return drivers_error(ret_error, -E2BIG,
			                     drivers_inf_name(inf), l[i].lineno,
			                     "more than %u registry lines",
			                     DRIVERS_MAX_ITEMS);
		r = drivers_inf_decode_reg(inf, &l[i], del, &g, ret_error);
		if (r < 0)
			return r;
		r = drivers_grow((void **)v, &allocated, *n,
		                 sizeof(struct drivers_reg));
		if (r < 0) {
			drivers_reg_done(&g);
			return r;
		}
		(*v)[(*n)++] = g;
	}
	return 0;
}

/* AddReg= / DelReg= directives of a section (each a list of sections). */
static int
push_reg_directives(const struct drivers_inf *inf, const char *section,
                    struct drivers_reg **v, size_t *n, char **ret_error)
{
	size_t nl;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &nl);
	int r;

	for (size_t i = 0; i < nl; i++) {
		bool del;

		if (!l[i].key)
			continue;
		if (strcaseeq(l[i].key, "AddReg"))
			del = false;
		else if (strcaseeq(l[i].key, "DelReg"))
			del = true;
		else
			continue;
		for (size_t k = 0; k < l[i].n_fields; k++) {
			if (!*l[i].fields[k])
				continue;
			r = push_reg_section(inf, l[i].fields[k], del,
			                     l[i].lineno, v, n, ret_error);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int
field_number(const struct drivers_inf *inf, const char *section,
             const char *key, bool required, uint32_t *ret, char **ret_error)
{
	const char *v = drivers_inf_value(inf, section, key);

	if (!v) {
		if (required)
			return drivers_error(ret_error, -EBADMSG,
			                     drivers_inf_name(inf), 0,
			                     "[%s] has no %s", section, key);
		*ret = 0;
		return 0;
	}
	if (drivers_inf_number(v, ret) < 0)
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     0, "[%s] %s = \"%s\" is not a number",
		                     section, key, v);
	return 0;
}

static int
resolve_services(const struct drivers_inf *inf, const char *ddinstall,
                 struct drivers_install *in, char **ret_error)
{
	_cleanup_free_ char *section = NULL;
	size_t nl, allocated = 0;
	const struct drivers_inf_line *l;
	int r;

	if (util_asprintf(&section, "%s.Services", ddinstall) < 0)
		return -ENOMEM;
	l = drivers_inf_section(inf, section, &nl);
	for (size_t i = 0; i < nl; i++) {
		struct drivers_service s = {0};
		const char *sis;
		const char *bin, *slash;

		if (!l[i].key || !strcaseeq(l[i].key, "AddService"))
			continue;
		if (l[i].n_fields < 1 || !*l[i].fields[0])
			continue; /* a NULL service (SPSVCINST_ASSOCSERVICE) */
		if (l[i].n_fields > 1 && *l[i].fields[1] &&
		    drivers_inf_number(l[i].fields[1], &s.add_flags) < 0)
			return drivers_error(ret_error, -EBADMSG,
			                     drivers_inf_name(inf), l[i].lineno,
			                     "bad AddService flags \"%s\"",
			                     l[i].fields[1]);
		sis = l[i].n_fields > 2 ? l[i].fields[2] : "";
		if (!*sis || !drivers_inf_has_section(inf, sis))
			return drivers_error(ret_error, -EBADMSG,
			                     drivers_inf_name(inf), l[i].lineno,
			                     "AddService %s: service-install "
			                     "section [%s] not found",
			                     l[i].fields[0], sis);
		r = drivers_grow((void **)&in->services, &allocated,
		                 in->n_services,
		                 sizeof(struct drivers_service));
		if (r < 0)
			return r;
		s.name = strdup(l[i].fields[0]);
		if (!s.name)
			return -ENOMEM;
		in->services[in->n_services++] = s;
		struct drivers_service *sp = &in->services[in->n_services - 1];

		r = field_number(inf, sis, "ServiceType", true, &sp->type,
		                 ret_error);
		if (r >= 0)
			r = field_number(inf, sis, "StartType", true,
			                 &sp->start, ret_error);
		if (r >= 0)
			r = field_number(inf, sis, "ErrorControl", true,
			                 &sp->error_control, ret_error);
		if (r < 0)
			return r;
		bin = drivers_inf_value(inf, sis, "ServiceBinary");
		if (!bin || !*bin)
			return drivers_error(ret_error, -EBADMSG,
			                     drivers_inf_name(inf), l[i].lineno,
			                     "[%s] has no ServiceBinary", sis);
		slash = strrchr(bin, '\\');
		sp->binary = strdup(bin);
		sp->binary_file = strdup(slash ? slash + 1 : bin);
		if (!sp->binary || !sp->binary_file)
			return -ENOMEM;
		r = strdup_or_null(
		        drivers_inf_value(inf, sis, "LoadOrderGroup"),
		        &sp->load_order_group);
		if (r < 0)
			return r;
		if (sp->load_order_group && !*sp->load_order_group) {
			free(sp->load_order_group);
			sp->load_order_group = NULL;
		}
		r = push_reg_directives(inf, sis, &sp->reg, &sp->n_reg,
		                        ret_error);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
add_file(struct drivers_install *in, size_t *allocated, const char *name,
         const char *source, unsigned dirid, const char *subdir)
{
	struct drivers_file f = {.dirid = dirid};
	int r;

	r = drivers_grow((void **)&in->files, allocated, in->n_files,
	                 sizeof(struct drivers_file));
	if (r < 0)
		return r;
	f.name = strdup(name);
	f.source = strdup(source);
	if (subdir && *subdir)
		f.subdir = strdup(subdir);
	if (!f.name || !f.source || (subdir && *subdir && !f.subdir)) {
		free(f.name);
		free(f.source);
		free(f.subdir);
		return -ENOMEM;
	}
	in->files[in->n_files++] = f;
	return 0;
}

static int
dest_dir(const struct drivers_inf *inf, const char *section, unsigned *dirid,
         const char **subdir, char **ret_error)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, "DestinationDirs", &n);
	const struct drivers_inf_line *hit = NULL, *def = NULL;
	uint32_t v;

	for (size_t i = 0; i < n; i++) {
		if (!l[i].key)
			continue;
		if (section && strcaseeq(l[i].key, section))
			hit = &l[i];
		if (strcaseeq(l[i].key, "DefaultDestDir"))
			def = &l[i];
	}
	if (!hit)
		hit = def;
	if (!hit) {
		*dirid = 11; /* DIRID_DEFAULT = DIRID_SYSTEM */
		*subdir = NULL;
		return 0;
	}
	if (hit->n_fields < 1 || drivers_inf_number(hit->fields[0], &v) < 0)
		return drivers_error(
		        ret_error, -EBADMSG, drivers_inf_name(inf), hit->lineno,
		        "DestinationDirs %s: dirid \"%s\" is not "
		        "a number",
		        hit->key, hit->n_fields ? hit->fields[0] : "");
	*dirid = v;
	*subdir = hit->n_fields > 1 ? hit->fields[1] : NULL;
	return 0;
}

static int
resolve_copyfiles(const struct drivers_inf *inf, const char *ddinstall,
                  const char *arch, struct drivers_install *in,
                  char **ret_error)
{
	size_t nl, allocated = 0;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, ddinstall, &nl);
	int r;

	for (size_t i = 0; i < nl; i++) {
		if (!l[i].key || !strcaseeq(l[i].key, "CopyFiles"))
			continue;
		for (size_t k = 0; k < l[i].n_fields; k++) {
			const char *e = l[i].fields[k];
			const char *subdir;
			unsigned dirid;
			size_t nf;
			const struct drivers_inf_line *fl;

			if (!*e)
				continue;
			if (e[0] == '@') {
				_cleanup_free_ char *src = NULL;

				r = dest_dir(inf, NULL, &dirid, &subdir,
				             ret_error);
				if (r < 0)
					return r;
				if (drivers_inf_source_path(inf, arch, e + 1,
				                            &src) < 0)
					return drivers_error(
					        ret_error, -EBADMSG,
					        drivers_inf_name(inf),
					        l[i].lineno,
					        "bad file name \"%s\"", e + 1);
				r = add_file(in, &allocated, e + 1, src, dirid,
				             subdir);
				if (r < 0)
					return r;
				continue;
			}
			fl = drivers_inf_section(inf, e, &nf);
			if (!fl && !drivers_inf_has_section(inf, e))
				return drivers_error(
				        ret_error, -EBADMSG,
				        drivers_inf_name(inf), l[i].lineno,
				        "CopyFiles section [%s] not found", e);
			r = dest_dir(inf, e, &dirid, &subdir, ret_error);
			if (r < 0)
				return r;
			for (size_t j = 0; j < nf; j++) {
				_cleanup_free_ char *src = NULL;
				const char *name =
				        fl[j].key ? fl[j].key : fl[j].fields[0];
				const char *sname = name;

				if (!fl[j].key && fl[j].n_fields > 1 &&
				    *fl[j].fields[1])
					sname = fl[j].fields[1];
				if (!*name)
					continue;
				if (drivers_inf_source_path(inf, arch, sname,
				                            &src) < 0)
					return drivers_error(
					        ret_error, -EBADMSG,
					        drivers_inf_name(inf),
					        fl[j].lineno,
					        "bad file name \"%s\"", sname);
				r = add_file(in, &allocated, name, src, dirid,
				             subdir);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* The DDInstall section actually used on arch: .NT<arch>, .NT, plain. */
static int
ddinstall_for(const struct drivers_inf *inf, const char *base, const char *arch,
              char **ret)
{
	char *cand[3] = {0};
	int r = -ENOENT;

	if (util_asprintf(&cand[0], "%s.NT%s", base, arch) < 0 ||
	    util_asprintf(&cand[1], "%s.NT", base) < 0 ||
	    !(cand[2] = strdup(base))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ELEMENTSOF(cand); i++)
		if (drivers_inf_has_section(inf, cand[i])) {
			*ret = TAKE_PTR(cand[i]);
			r = 0;
			break;
		}
out:
	for (size_t i = 0; i < ELEMENTSOF(cand); i++)
		free(cand[i]);
	return r;
}

int
drivers_inf_resolve_install(const struct drivers_inf *inf,
                            const struct drivers_model *m, const char *arch,
                            struct drivers_install *ret, char **ret_error)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	struct drivers_inf_version v;
	int r;

	r = drivers_inf_get_version(inf, arch, &v, ret_error);
	if (r < 0)
		return r;
	r = ddinstall_for(inf, m->install_section, arch, &in.ddinstall);
	if (r == -ENOENT)
		return drivers_error(
		        ret_error, -EBADMSG, drivers_inf_name(inf), m->lineno,
		        "DDInstall section [%s] not found", m->install_section);
	if (r < 0)
		return r;
	if (strdup_or_null(v.class_name, &in.class_name) < 0 ||
	    strdup_or_null(v.class_guid, &in.class_guid) < 0 ||
	    strdup_or_null(v.provider, &in.provider) < 0 ||
	    strdup_or_null(v.driver_date, &in.driver_date) < 0 ||
	    strdup_or_null(v.driver_version, &in.driver_version) < 0 ||
	    strdup_or_null(v.catalog_file, &in.catalog_file) < 0 ||
	    strdup_or_null(arch, &in.arch) < 0 ||
	    strdup_or_null(m->description, &in.description) < 0)
		return -ENOMEM;
	in.hardware_ids = util_strv_copy(m->ids);
	if (m->ids && !in.hardware_ids)
		return -ENOMEM;
	r = resolve_services(inf, in.ddinstall, &in, ret_error);
	if (r < 0)
		return r;
	r = push_reg_directives(inf, in.ddinstall, &in.reg, &in.n_reg,
	                        ret_error);
	if (r < 0)
		return r;
	r = resolve_copyfiles(inf, in.ddinstall, arch, &in, ret_error);
	if (r < 0)
		return r;
	*ret = in;
	in = (struct drivers_install){0};
	return 0;
}

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
	unsigned rank; /* lower is better */
	bool fallback, compat;
};

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
		if (!seen)
			drivers_models_free(v[i].models, v[i].n_models);
	}
	free(v);
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
		bool used = false;

		if (p->error || !p->inf)
			continue;
		if (q->class_name &&
		    !(p->class_name &&
		      strcaseeq(p->class_name, q->class_name)) &&
		    !(p->class_guid && strcaseeq(p->class_guid, q->class_name)))
			continue;
		if (q->name && !name_matches(p, q->name))
			continue;
		if (drivers_inf_models(p->inf, t, &models, &n_models, NULL) < 0)
			continue;
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
			        .rank = rank,
			        .fallback = fallback,
			        .compat = compat,
			};
			used = true;
		}
		if (!used)
			drivers_models_free(models, n_models);
	}
	if (n_cand > 1)
		qsort(cand, n_cand, sizeof(*cand), cmp_candidates);

	for (size_t i = 0; i < n_cand; i++) {
		struct drivers_selection sel = {0};
		_cleanup_free_ char *err = NULL, *missing = NULL;
		char *msg = NULL;

		r = drivers_inf_resolve_install(cand[i].p->inf, cand[i].m,
		                                t->arch, &sel.install, &err);
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
