/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a parsed INF to a resolved installation: the DDInstall of a models
 * line with its decorations, its .Services (AddService and the
 * service-install sections), AddReg/DelReg, CopyFiles with DestinationDirs
 * and SourceDisksFiles/SourceDisksNames.  Used by the store scan (what a
 * package installs) and by selection (the chosen package).
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
