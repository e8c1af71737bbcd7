/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a parsed INF says about its devices: [Version] (Signature, Class,
 * Provider, CatalogFile, DriverVer), TargetOSVersion decorations and the
 * rules Windows applies to choose among them, and the models lines of
 * [Manufacturer]'s models sections.
 *
 * The sections come from the parser (inf.c); every error names the file
 * and line.
 */
#include "drivers-internal.h"

/* ---- [Version] ---------------------------------------------------------- */

int
drivers_inf_get_version(const struct drivers_inf *inf, const char *arch,
                        struct drivers_inf_version *ret, char **ret_error)
{
	static const char *const signatures[] = {
	        "$Windows NT$",
	        "$Chicago$",
	        "$Windows 95$",
	};
	struct drivers_inf_version v = {0};
	size_t n;
	const struct drivers_inf_line *l;
	bool ok = false;
	char key[64];

	if (!drivers_inf_has_section(inf, "Version"))
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     0, "no [Version] section: not an INF");
	v.signature = drivers_inf_value(inf, "Version", "Signature");
	for (size_t i = 0; v.signature && i < ELEMENTSOF(signatures); i++)
		if (strcaseeq(v.signature, signatures[i]))
			ok = true;
	if (!ok)
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     0,
		                     "[Version] Signature %s%s%s is not "
		                     "\"$Windows NT$\" or \"$Chicago$\"",
		                     v.signature ? "\"" : "",
		                     v.signature ? v.signature : "missing",
		                     v.signature ? "\"" : "");
	v.class_name = drivers_inf_value(inf, "Version", "Class");
	v.class_guid = drivers_inf_value(inf, "Version", "ClassGuid");
	v.provider = drivers_inf_value(inf, "Version", "Provider");
	if (arch) {
		snprintf(key, sizeof(key), "CatalogFile.NT%s", arch);
		v.catalog_file = drivers_inf_value(inf, "Version", key);
	}
	if (!v.catalog_file)
		v.catalog_file =
		        drivers_inf_value(inf, "Version", "CatalogFile.NT");
	if (!v.catalog_file)
		v.catalog_file =
		        drivers_inf_value(inf, "Version", "CatalogFile");
	if (v.catalog_file && !*v.catalog_file)
		v.catalog_file = NULL;
	l = drivers_inf_section(inf, "Version", &n);
	for (size_t i = 0; i < n; i++)
		if (l[i].key && strcaseeq(l[i].key, "DriverVer")) {
			v.driver_date =
			        l[i].n_fields > 0 ? l[i].fields[0] : NULL;
			v.driver_version =
			        l[i].n_fields > 1 ? l[i].fields[1] : NULL;
			if (v.driver_date && !*v.driver_date)
				v.driver_date = NULL;
			if (v.driver_version && !*v.driver_version)
				v.driver_version = NULL;
		}
	*ret = v;
	return 0;
}

/* ---- TargetOSVersion decorations --------------------------------------- */

int
drivers_parse_decoration(const char *s, struct drivers_os_decoration *ret)
{
	static const char *const archs[] = {"x86", "amd64", "ia64", "arm",
	                                    "arm64"};
	struct drivers_os_decoration d = {0};
	const char *rest = util_startswith_case(s, "NT");
	const char *dot;
	size_t al;
	uint32_t v;

	if (!rest)
		return -EINVAL;
	dot = strchr(rest, '.');
	al = dot ? (size_t)(dot - rest) : strlen(rest);
	if (al > 0) {
		bool known = false;

		for (size_t i = 0; i < ELEMENTSOF(archs); i++)
			if (strlen(archs[i]) == al &&
			    strncasecmp(rest, archs[i], al) == 0) {
				memcpy(d.arch, archs[i], al + 1);
				known = true;
			}
		if (!known)
			return -EINVAL;
	}
	for (int part = 0; dot; part++) {
		const char *p = dot + 1;
		char buf[32];
		size_t pl;

		dot = strchr(p, '.');
		pl = dot ? (size_t)(dot - p) : strlen(p);
		if (part > 4 || pl >= sizeof(buf))
			return -EINVAL;
		if (pl == 0) {
			if (part < 2)
				return -EINVAL; /* major/minor required */
			continue;
		}
		memcpy(buf, p, pl);
		buf[pl] = '\0';
		if (util_parse_u32(buf, &v) < 0)
			return -EINVAL;
		switch (part) {
		case 0:
			d.major = v;
			d.has_version = true;
			break;
		case 1:
			d.minor = v;
			break;
		case 2:
			d.product_type = v;
			break;
		case 3:
			d.suite_mask = v;
			break;
		default:
			d.build = v;
			break;
		}
	}
	*ret = d;
	return 0;
}

bool
drivers_decoration_applies(const struct drivers_os_decoration *d,
                           const struct drivers_target *t)
{
	if (!t->arch)
		return false;
	if (d->arch[0] ? !strcaseeq(d->arch, t->arch)
	               : !strcaseeq(t->arch, "x86"))
		return false;
	if (d->has_version && (d->major > t->major ||
	                       (d->major == t->major && d->minor > t->minor)))
		return false;
	if (d->product_type) {
		bool server = d->product_type == 2 || d->product_type == 3;

		if (server != t->server)
			return false;
	}
	if (d->build && (t->build == 0 || t->build < d->build))
		return false;
	return true;
}

static int
cmp_u(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

int
drivers_decoration_compare(const struct drivers_os_decoration *a,
                           const struct drivers_os_decoration *b)
{
	int c;

	if ((c = cmp_u(a->arch[0] != 0, b->arch[0] != 0)))
		return c;
	if ((c = cmp_u(a->has_version, b->has_version)))
		return c;
	if ((c = cmp_u(a->major, b->major)))
		return c;
	if ((c = cmp_u(a->minor, b->minor)))
		return c;
	if ((c = cmp_u(a->build, b->build)))
		return c;
	if ((c = cmp_u(a->product_type != 0, b->product_type != 0)))
		return c;
	return cmp_u(a->suite_mask != 0, b->suite_mask != 0);
}

/* ---- [Manufacturer] and models ---------------------------------------- */

void
drivers_models_free(struct drivers_model *m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++) {
		free(m[i].manufacturer);
		free(m[i].models_section);
		free(m[i].decoration);
		free(m[i].description);
		free(m[i].install_section);
		util_strv_free(m[i].ids);
	}
	free(m);
}

struct models_list {
	struct drivers_model *v;
	size_t n, allocated;
};

static int
add_models(const struct drivers_inf *inf, const char *manufacturer,
           const char *section, const char *decoration,
           const struct drivers_os_decoration *os, struct models_list *out,
           unsigned mfg_line, char **ret_error)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &n);
	int r;

	if (!l && !drivers_inf_has_section(inf, section))
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     mfg_line, "models section [%s] not found",
		                     section);
	for (size_t i = 0; i < n; i++) {
		struct drivers_model m = {0};
		char **ids = NULL;

		if (l[i].n_fields < 2 || !*l[i].fields[1])
			continue; /* no hardware ID: nothing to match */
		if (out->n >= DRIVERS_MAX_ITEMS)
			return drivers_error(ret_error, -E2BIG,
			                     drivers_inf_name(inf), l[i].lineno,
			                     "more than %u models lines",
			                     DRIVERS_MAX_ITEMS);
		for (size_t k = 1; k < l[i].n_fields; k++) {
			if (!*l[i].fields[k])
				continue;
			r = util_strv_push(&ids, l[i].fields[k]);
			if (r < 0) {
				util_strv_free(ids);
				return r;
			}
		}
		m.ids = ids;
		m.manufacturer = strdup(manufacturer);
		m.models_section = strdup(section);
		m.decoration = strdup(decoration);
		m.description = strdup(l[i].key ? l[i].key : "");
		m.install_section = strdup(l[i].fields[0]);
		m.os = *os;
		m.lineno = l[i].lineno;
		r = drivers_grow((void **)&out->v, &out->allocated, out->n,
		                 sizeof(struct drivers_model));
		if (r < 0 || !m.manufacturer || !m.models_section ||
		    !m.decoration || !m.description || !m.install_section) {
			free(m.manufacturer);
			free(m.models_section);
			free(m.decoration);
			free(m.description);
			free(m.install_section);
			util_strv_free(m.ids);
			return -ENOMEM;
		}
		out->v[out->n++] = m;
	}
	return 0;
}

int
drivers_inf_models(const struct drivers_inf *inf,
                   const struct drivers_target *target,
                   struct drivers_model **ret, size_t *ret_n, char **ret_error)
{
	struct models_list out = {0};
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, "Manufacturer", &n);
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *mfg = l[i].key ? l[i].key : l[i].fields[0];
		const char *base = l[i].n_fields > 0 ? l[i].fields[0] : "";
		struct drivers_os_decoration best = {0};
		const char *best_dec = NULL;
		bool decorated = false;
		_cleanup_free_ char *section = NULL;

		if (!*base)
			continue;
		for (size_t k = 1; k < l[i].n_fields && r >= 0; k++) {
			struct drivers_os_decoration d;
			const char *dec = l[i].fields[k];

			if (!*dec)
				continue;
			if (drivers_parse_decoration(dec, &d) < 0) {
				r = drivers_error(ret_error, -EBADMSG,
				                  drivers_inf_name(inf),
				                  l[i].lineno,
				                  "bad TargetOSVersion "
				                  "decoration \"%s\"",
				                  dec);
				break;
			}
			decorated = true;
			if (!target) {
				free(section);
				section = NULL;
				if (util_asprintf(&section, "%s.%s", base,
				                  dec) < 0)
					r = -ENOMEM;
				else
					r = add_models(inf, mfg, section, dec,
					               &d, &out, l[i].lineno,
					               ret_error);
				continue;
			}
			if (!drivers_decoration_applies(&d, target))
				continue;
			if (!best_dec ||
			    drivers_decoration_compare(&d, &best) > 0) {
				best = d;
				best_dec = dec;
			}
		}
		if (r < 0)
			break;
		if (target && best_dec) {
			if (util_asprintf(&section, "%s.%s", base, best_dec) <
			    0)
				r = -ENOMEM;
			else
				r = add_models(inf, mfg, section, best_dec,
				               &best, &out, l[i].lineno,
				               ret_error);
		} else if ((!target && !decorated) ||
		           (target && !best_dec &&
		            strcaseeq(target->arch ? target->arch : "",
		                      "x86"))) {
			/* The undecorated models section: x86 only. */
			struct drivers_os_decoration plain = {0};

			if (!drivers_inf_has_section(inf, base) && decorated)
				continue;
			r = add_models(inf, mfg, base, "", &plain, &out,
			               l[i].lineno, ret_error);
		}
	}
	if (r < 0) {
		drivers_models_free(out.v, out.n);
		return r;
	}
	*ret = out.v;
	*ret_n = out.n;
	return 0;
}

int
drivers_inf_fallback_ids(const struct drivers_inf *inf, char ***ret)
{
	_cleanup_strv_free_ char **ids = NULL;
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, "Manufacturer", &n);
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *base = l[i].n_fields > 0 ? l[i].fields[0] : "";
		bool decorated = false;
		size_t nm;
		const struct drivers_inf_line *m;

		for (size_t k = 1; k < l[i].n_fields; k++)
			decorated = decorated || *l[i].fields[k];
		if (!*base || !decorated)
			continue;
		m = drivers_inf_section(inf, base, &nm);
		for (size_t j = 0; j < nm; j++) {
			if (m[j].n_fields < 2 || !*m[j].fields[1])
				continue;
			for (size_t k = 1; k < m[j].n_fields; k++) {
				if (!*m[j].fields[k])
					continue;
				r = util_strv_push(&ids, m[j].fields[k]);
				if (r < 0)
					return r;
			}
		}
	}
	*ret = TAKE_PTR(ids);
	return 0;
}
