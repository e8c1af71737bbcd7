/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject-files.c — the file copies of an injection: the CopyFiles
 * files to their DestinationDirs (dirids 10, 11, 12; 13 goes to
 * System32\drivers), the whole package to <systemroot>\Drivers\<store>\
 * for Plug and Play, and the INF itself.  Every name is checked before it
 * becomes a guest path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

static int
add_copy(struct drivers_injection *inj, const char *host, const char *guest)
{
	struct drivers_copy *c;

	for (size_t i = 0; i < inj->n_copies; i++)
		if (strcaseeq(inj->copies[i].guest_path, guest))
			return 0; /* first wins: same destination */
	if (inj->n_copies >= DRIVERS_INJECT_MAX_COPIES)
		return -E2BIG;
	c = realloc(inj->copies, (inj->n_copies + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	inj->copies = c;
	c = &inj->copies[inj->n_copies];
	c->host_path = strdup(host);
	c->guest_path = strdup(guest);
	if (!c->host_path || !c->guest_path) {
		free(c->host_path);
		free(c->guest_path);
		return -ENOMEM;
	}
	inj->n_copies++;
	return 0;
}

/* Guest directory (volume-relative) of a DestinationDirs dirid. */
static int
dirid_dir(struct inject *c, const struct drivers_file *f, char **ret)
{
	const char *sr = c->guest->systemroot, *sub;
	unsigned dirid = f->dirid;

	if (dirid == 13) {
		/* DIRID 13 is "run from the driver store", which would need a
		 * DriverStore\FileRepository folder; we never fabricate one
		 * (WINDOWS.md §1.3) and load the boot driver from
		 * System32\drivers instead. */
		int r = util_strv_pushf(
		        &c->inj->notes,
		        "%s: file '%s' targets DIRID 13 (driver store); "
		        "installed to System32\\drivers instead",
		        c->in->inf_name, f->name);
		if (r < 0)
			return r;
		dirid = 12;
	}
	switch (dirid) {
	case 10:
		sub = "";
		break;
	case 11:
		sub = "\\System32";
		break;
	case 12:
		sub = "\\System32\\drivers";
		break;
	default: {
		int r = util_strv_pushf(
		        &c->inj->notes,
		        "%s: file '%s' has destination DIRID %u, which "
		        "offline injection does not support",
		        c->in->inf_name, f->name, dirid);
		return r < 0 ? r : -EOPNOTSUPP;
	}
	}
	if (f->subdir && *f->subdir) {
		if (!drivers_inject_valid_rel_path(f->subdir, true, false)) {
			int r = util_strv_pushf(
			        &c->inj->notes,
			        "%s: file '%s' has an invalid destination "
			        "subdirectory",
			        c->in->inf_name, f->name);
			return r < 0 ? r : -EINVAL;
		}
		return util_asprintf(ret, "%s%s\\%s", sr, sub, f->subdir) < 0
		               ? -ENOMEM
		               : 0;
	}
	return util_asprintf(ret, "%s%s", sr, sub) < 0 ? -ENOMEM : 0;
}

int
drivers_inject_plan_files(struct inject *c)
{
	const struct drivers_install *in = c->in;
	const struct drivers_guest *g = c->guest;
	_cleanup_free_ char *stage = NULL;
	size_t missing = 0;
	int r;

	if (in->n_files > DRIVERS_INJECT_MAX_COPIES ||
	    util_strv_length(in->package_files) > DRIVERS_INJECT_MAX_COPIES) {
		r = util_strv_pushf(&c->inj->notes,
		                    "%s: the package has more than %u files",
		                    in->inf_name, DRIVERS_INJECT_MAX_COPIES);
		return r < 0 ? r : -E2BIG;
	}
	for (size_t i = 0; i < in->n_files; i++) {
		const struct drivers_file *f = &in->files[i];
		_cleanup_free_ char *dir = NULL, *dst = NULL;

		if (!drivers_inject_valid_component(f->name, true)) {
			r = util_strv_pushf(&c->inj->notes,
			                    "%s: CopyFiles entry %zu has an "
			                    "invalid file name",
			                    in->inf_name, i + 1);
			return r < 0 ? r : -EINVAL;
		}
		if (!f->host_path) {
			r = util_strv_pushf(
			        &c->inj->notes,
			        "%s: file '%s' (source '%s') is missing from "
			        "the package %s",
			        in->inf_name, f->name,
			        f->source ? f->source : f->name,
			        in->package_dir ? in->package_dir : "");
			if (r < 0)
				return r;
			missing++;
			continue;
		}
		r = dirid_dir(c, f, &dir);
		if (r < 0)
			return r;
		if (util_asprintf(&dst, "%s\\%s", dir, f->name) < 0)
			return -ENOMEM;
		r = add_copy(c->inj, f->host_path, dst);
		if (r < 0)
			return r;
	}
	if (missing > 0)
		return -ENOENT;

	/* The whole package, so Plug and Play finds it at first boot. */
	if (util_asprintf(&stage, "%s\\Drivers\\%s", g->systemroot,
	                  g->store_name) < 0)
		return -ENOMEM;
	if (in->package_files) {
		bool have_inf = false, have_cat = !in->catalog_file;

		if (!in->package_dir)
			return -EINVAL;
		STRV_FOREACH (p, in->package_files) {
			_cleanup_free_ char *rel = NULL, *host = NULL,
			                    *dst = NULL;
			const char *base;

			rel = strdup(*p);
			if (!rel)
				return -ENOMEM;
			for (char *q = rel; *q; q++)
				if (*q == '/')
					*q = '\\';
			if (!drivers_inject_valid_rel_path(rel, true, false)) {
				r = util_strv_pushf(
				        &c->inj->notes,
				        "%s: package file '%s' has an invalid "
				        "name",
				        in->inf_name, *p);
				return r < 0 ? r : -EINVAL;
			}
			base = strrchr(rel, '\\');
			base = base ? base + 1 : rel;
			if (strcaseeq(base, in->inf_name))
				have_inf = true;
			if (in->catalog_file &&
			    strcaseeq(base, in->catalog_file))
				have_cat = true;
			host = util_path_join(in->package_dir, *p);
			if (!host ||
			    util_asprintf(&dst, "%s\\%s", stage, rel) < 0)
				return -ENOMEM;
			r = add_copy(c->inj, host, dst);
			if (r < 0)
				return r;
		}
		if (!have_cat) {
			r = util_strv_pushf(
			        &c->inj->notes,
			        "%s: catalog '%s' is not in the package: "
			        "Windows will treat the driver as unsigned",
			        in->inf_name, in->catalog_file);
			if (r < 0)
				return r;
		}
		if (have_inf)
			return 0;
	} else {
		for (size_t i = 0; i < in->n_files; i++) {
			const struct drivers_file *f = &in->files[i];
			const char *src = f->source ? f->source : f->name;
			_cleanup_free_ char *dst = NULL;

			/* the source may name a SourceDisksNames subdir */
			src = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
			src = strrchr(src, '\\') ? strrchr(src, '\\') + 1 : src;
			if (!drivers_inject_valid_component(src, true)) {
				r = util_strv_pushf(
				        &c->inj->notes,
				        "%s: package file '%s' has an invalid "
				        "name",
				        in->inf_name, src);
				return r < 0 ? r : -EINVAL;
			}
			if (util_asprintf(&dst, "%s\\%s", stage, src) < 0)
				return -ENOMEM;
			r = add_copy(c->inj, f->host_path, dst);
			if (r < 0)
				return r;
		}
	}
	{
		_cleanup_free_ char *dst = NULL;

		if (util_asprintf(&dst, "%s\\%s", stage, in->inf_name) < 0)
			return -ENOMEM;
		return add_copy(c->inj, in->inf_path, dst);
	}
}
