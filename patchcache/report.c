/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The check report: for a guest (facts), the manifests that apply to it and
 * the extra requirements of rule actions (require-file, swap-hal), which
 * files are already in the guest at a good version, which the cache holds
 * at the guest's service pack level, which the cache holds only at another
 * level (a version mismatch, e.g. SP3 files for an SP2 guest), and which are
 * missing — each with the hints of where to get it.  Plus the updates the
 * manifests require, against the update records read from the guest.
 * Pure data: the guest is read through a caller-supplied reader.
 */
#include <ctype.h>

#include "patchcache-internal.h"

void
pcache_guest_done(struct pcache_guest *g)
{
	free(g->product_type);
	free(g->hal);
	*g = (struct pcache_guest){0};
}

static const char *
normalize_product_type(const char *s)
{
	if (!s || !*s)
		return NULL;
	if (strcasestr(s, "server") || strcaseeq(s, "LanmanNT") ||
	    strcaseeq(s, "ServerNT") || streq(s, "2") || streq(s, "3"))
		return "server";
	if (strcaseeq(s, "client") || strcaseeq(s, "WinNT") ||
	    strcasestr(s, "workstation") || streq(s, "1"))
		return "client";
	return NULL;
}

int
pcache_guest_from_facts(const struct util_strmap *facts,
                        struct pcache_guest *ret, char **ret_error)
{
	struct pcache_guest g = {0};
	const char *ver = util_strmap_get(facts, "os.version");
	const char *sp = util_strmap_get(facts, "os.service_pack");
	const char *arch = util_strmap_get(facts, "os.arch");
	const char *pt = normalize_product_type(
	        util_strmap_get(facts, "os.product_type"));
	const char *hal = util_strmap_get(facts, "windows.hal");
	char tail;

	if (!ver ||
	    sscanf(ver, "%u.%u%c", &g.os_major, &g.os_minor, &tail) != 2) {
		pcache_set_error(ret_error, NULL, 0,
		                 "fact os.version is missing or not like '5.1' "
		                 "(got '%s')",
		                 ver ? ver : "");
		return -EINVAL;
	}
	if (sp) {
		/* "Service Pack 3", "3", "SP3": the last number. */
		const char *p = sp + strlen(sp);
		unsigned long n;

		while (p > sp && !isdigit((unsigned char)p[-1]))
			p--;
		while (p > sp && isdigit((unsigned char)p[-1]))
			p--;
		n = isdigit((unsigned char)*p) ? strtoul(p, NULL, 10) : 0;
		g.sp = n > 255 ? 255 : (unsigned)n;
	}
	g.arch = pcache_arch_from_string(arch);
	if (g.arch != PCACHE_ARCH_I386 && g.arch != PCACHE_ARCH_AMD64) {
		pcache_set_error(ret_error, NULL, 0,
		                 "fact os.arch is missing or unknown ('%s')",
		                 arch ? arch : "");
		return -EINVAL;
	}
	if (pt && !(g.product_type = strdup(pt)))
		return -ENOMEM;
	if (hal && !(g.hal = strdup(hal))) {
		free(g.product_type);
		return -ENOMEM;
	}
	if (g.hal)
		util_strtolower(g.hal);
	*ret = g;
	return 0;
}

int
pcache_manifest_select(const struct pcache_manifest_set *set,
                       const struct pcache_guest *guest,
                       const struct pcache_manifest ***ret, size_t *ret_n)
{
	const struct pcache_manifest **v;
	size_t n = 0;

	v = calloc(set->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		const struct pcache_manifest *m = &set->v[i];

		if (m->os_major != guest->os_major ||
		    m->os_minor != guest->os_minor)
			continue;
		if (guest->sp < m->sp_min || guest->sp > m->sp_max)
			continue;
		if (m->arch != PCACHE_ARCH_ANY && m->arch != guest->arch)
			continue;
		if (m->product_type && guest->product_type &&
		    !streq(m->product_type, guest->product_type))
			continue;
		v[n++] = m;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- requirements ------------------------------------------------------- */

int
pcache_requirements_for_hal(const char *target_hal, const char *origin,
                            struct pcache_requirement **ret, size_t *ret_n)
{
	const struct pcache_hal_type *t = pcache_hal_lookup(target_hal);
	struct pcache_requirement *v;

	if (!t)
		return -EINVAL;
	v = calloc(3, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[0] = (struct pcache_requirement){
	        .name = t->file, .role = PCACHE_ROLE_HAL, .origin = origin};
	v[1] = (struct pcache_requirement){.name = t->mp ? "ntkrnlmp.exe"
	                                                 : "ntoskrnl.exe",
	                                   .role = PCACHE_ROLE_KERNEL,
	                                   .origin = origin};
	v[2] = (struct pcache_requirement){.name = t->mp ? "ntkrpamp.exe"
	                                                 : "ntkrnlpa.exe",
	                                   .role = PCACHE_ROLE_KERNEL,
	                                   .origin = origin};
	*ret = v;
	*ret_n = 3;
	return 0;
}

/* ---- building the report ------------------------------------------------ */

static void
item_done(struct pcache_report_item *it)
{
	free(it->name);
	free(it->guest_path);
	free(it->manifest_id);
	free(it->origin);
	free(it->cache_path);
	util_strv_free(it->hints);
	free(it->detail);
}

void
pcache_report_done(struct pcache_report *r)
{
	free(r->os);
	util_strv_free(r->manifests);
	for (size_t i = 0; i < r->n_items; i++)
		item_done(&r->items[i]);
	free(r->items);
	for (size_t i = 0; i < r->n_updates; i++) {
		free(r->updates[i].kb);
		free(r->updates[i].title);
		free(r->updates[i].manifest_id);
		util_strv_free(r->updates[i].hints);
	}
	free(r->updates);
	util_strv_free(r->installed_updates);
	*r = (struct pcache_report){0};
}

static struct pcache_report_item *
find_item(struct pcache_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (strcaseeq(r->items[i].name, name))
			return &r->items[i];
	return NULL;
}

static struct pcache_report_item *
new_item(struct pcache_report *r)
{
	struct pcache_report_item *v;

	v = realloc(r->items, (r->n_items + 1) * sizeof(*v));
	if (!v)
		return NULL;
	r->items = v;
	v[r->n_items] = (struct pcache_report_item){0};
	return &v[r->n_items++];
}

static int
add_manifest_file(struct pcache_report *r, const struct pcache_manifest *m,
                  const struct pcache_manifest_file *f, enum pcache_arch arch)
{
	struct pcache_report_item *it;

	if (find_item(r, f->name))
		return 0;
	it = new_item(r);
	if (!it)
		return -ENOMEM;
	it->name = strdup(f->name);
	it->guest_path = strdup(f->guest_path);
	it->manifest_id = strdup(m->id);
	it->hints = util_strv_copy(f->hints ? f->hints : (char *[]){NULL});
	if (!it->name || !it->guest_path || !it->manifest_id || !it->hints)
		return -ENOMEM;
	it->role = f->role;
	it->arch = arch;
	it->min_version = f->min_version;
	it->below_version = f->below_version;
	return 0;
}

static int
add_requirement(struct pcache_report *r, const struct pcache_requirement *q,
                enum pcache_arch arch)
{
	struct pcache_report_item *it = find_item(r, q->name);
	int k;

	if (it) {
		if (q->min_version > it->min_version)
			it->min_version = q->min_version;
		if (q->origin && !it->origin &&
		    !(it->origin = strdup(q->origin)))
			return -ENOMEM;
		if (q->hint && !util_strv_contains(it->hints, q->hint))
			return util_strv_push(&it->hints, q->hint);
		return 0;
	}
	it = new_item(r);
	if (!it)
		return -ENOMEM;
	k = pcache_normalize_name(q->name, &it->name);
	if (k < 0)
		return k;
	it->role = q->role;
	it->arch = arch;
	it->min_version = q->min_version;
	if (q->guest_path) {
		it->guest_path = strdup(q->guest_path);
		if (!it->guest_path)
			return -ENOMEM;
	} else if (util_asprintf(
	                   &it->guest_path, "%s%s",
	                   q->role == PCACHE_ROLE_IDE_DRIVER ||
	                                   q->role == PCACHE_ROLE_STORAGE_PORT
	                           ? "system32\\drivers\\"
	                           : "system32\\",
	                   it->name) < 0)
		return -ENOMEM;
	if (q->origin && !(it->origin = strdup(q->origin)))
		return -ENOMEM;
	it->hints = util_strv_copy((char *[]){NULL});
	if (!it->hints)
		return -ENOMEM;
	if (q->hint)
		return util_strv_push(&it->hints, q->hint);
	return 0;
}

static bool
in_range(const struct pcache_report_item *it, uint64_t v)
{
	return v >= it->min_version &&
	       (it->below_version == 0 || v < it->below_version);
}

static int
evaluate_item(struct pcache_report_item *it, const struct pcache_report *r,
              const struct pcache_report_input *in)
{
	_cleanup_free_ const struct pcache_entry **cand = NULL;
	const struct pcache_entry *best = NULL, *other = NULL;
	char a[PCACHE_VERSION_STRLEN], b[PCACHE_VERSION_STRLEN];
	char c[PCACHE_VERSION_STRLEN];
	int n = 0;

	/* HALs and kernels are installed under other names (hal.dll,
	 * ntoskrnl.exe): the guest's copies do not tell which variant they
	 * are, so those always come from the cache. */
	if (in->reader && in->reader->read_pe && it->role != PCACHE_ROLE_HAL &&
	    it->role != PCACHE_ROLE_KERNEL) {
		struct pcache_pe_info pi;

		if (in->reader->read_pe(in->reader->userdata, it->guest_path,
		                        &pi) >= 0 &&
		    pi.has_version) {
			it->guest_version = pi.file_version;
			if (pi.file_version >= it->min_version) {
				it->status = PCACHE_STATUS_IN_GUEST;
				return 0;
			}
		}
	}
	if (in->cache) {
		n = pcache_find(in->cache, it->name, it->arch, &cand);
		if (n < 0)
			return n;
	}
	for (int i = 0; i < n; i++) {
		const struct pcache_entry *e = cand[i];

		if (!in_range(it, e->version)) {
			if (!other || e->version > other->version)
				other = e;
			continue;
		}
		/* HAL and kernel must match the guest's kernel build when it
		 * is known; otherwise the newest in range. */
		if ((it->role == PCACHE_ROLE_HAL ||
		     it->role == PCACHE_ROLE_KERNEL) &&
		    r->guest_kernel_version &&
		    e->version == r->guest_kernel_version) {
			best = e;
			break;
		}
		if (!best || e->version > best->version)
			best = e;
	}
	if (best) {
		it->status = PCACHE_STATUS_IN_CACHE;
		it->cache_version = best->version;
		it->cache_path = pcache_entry_path(in->cache, best);
		return it->cache_path ? 0 : -ENOMEM;
	}
	pcache_version_format(it->min_version, a);
	pcache_version_format(it->below_version, b);
	if (other) {
		it->status = PCACHE_STATUS_VERSION_MISMATCH;
		it->cache_version = other->version;
		it->cache_path = pcache_entry_path(in->cache, other);
		if (!it->cache_path)
			return -ENOMEM;
		pcache_version_format(other->version, c);
		if (it->below_version && other->version >= it->below_version)
			return util_asprintf(
			               &it->detail,
			               "the cache has %s %s, from a later "
			               "service pack than the guest's: it "
			               "needs >= %s and < %s",
			               it->name, c, a, b) < 0
			               ? -ENOMEM
			               : 0;
		return util_asprintf(&it->detail,
		                     "the cache has %s %s, older than the "
		                     "%s the guest needs",
		                     it->name, c, a) < 0
		               ? -ENOMEM
		               : 0;
	}
	it->status = PCACHE_STATUS_MISSING;
	if (util_asprintf(&it->detail,
	                  "%s (%s, %s, >= %s%s%s) is neither in "
	                  "the guest nor in the cache",
	                  it->name, pcache_role_to_string(it->role),
	                  pcache_arch_to_string(it->arch), a,
	                  it->below_version ? " and < " : "",
	                  it->below_version ? b : "") < 0)
		return -ENOMEM;
	return 0;
}

int
pcache_report_build(const struct pcache_report_input *in,
                    struct pcache_report *ret)
{
	_cleanup_free_ const struct pcache_manifest **sel = NULL;
	struct pcache_report r = {0};
	const struct pcache_guest *g = in->guest;
	struct pcache_manifest_set empty = {0};
	size_t n_sel = 0;
	int k;

	k = pcache_manifest_select(in->manifests ? in->manifests : &empty, g,
	                           &sel, &n_sel);
	if (k < 0)
		return k;
	if (util_asprintf(&r.os, "%u.%u SP%u %s%s%s", g->os_major, g->os_minor,
	                  g->sp, pcache_arch_to_string(g->arch),
	                  g->product_type ? " " : "",
	                  g->product_type ? g->product_type : "") < 0)
		return -ENOMEM;
	if (in->reader && in->reader->read_pe) {
		struct pcache_pe_info pi;

		if (in->reader->read_pe(in->reader->userdata,
		                        "system32\\ntoskrnl.exe", &pi) >= 0 &&
		    pi.has_version)
			r.guest_kernel_version = pi.file_version;
	}
	r.manifests = util_strv_copy((char *[]){NULL});
	r.installed_updates =
	        util_strv_copy(in->installed_updates ? in->installed_updates
	                                             : (char *[]){NULL});
	if (!r.manifests || !r.installed_updates) {
		k = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n_sel; i++) {
		k = util_strv_push(&r.manifests, sel[i]->id);
		if (k < 0)
			goto fail;
		for (size_t j = 0; j < sel[i]->n_files; j++) {
			k = add_manifest_file(&r, sel[i], &sel[i]->files[j],
			                      g->arch);
			if (k < 0)
				goto fail;
		}
	}
	for (size_t i = 0; i < in->n_extra; i++) {
		k = add_requirement(&r, &in->extra[i], g->arch);
		if (k < 0)
			goto fail;
	}
	for (size_t i = 0; i < r.n_items; i++) {
		k = evaluate_item(&r.items[i], &r, in);
		if (k < 0)
			goto fail;
		if (r.items[i].status == PCACHE_STATUS_MISSING ||
		    r.items[i].status == PCACHE_STATUS_VERSION_MISMATCH)
			r.n_missing++;
	}
	for (size_t i = 0; i < n_sel; i++)
		for (size_t j = 0; j < sel[i]->n_updates; j++) {
			const struct pcache_manifest_update *u =
			        &sel[i]->updates[j];
			struct pcache_report_update *ru, *v;
			bool dup = false;

			for (size_t x = 0; x < r.n_updates; x++)
				dup |= strcaseeq(r.updates[x].kb, u->kb);
			if (dup)
				continue;
			v = realloc(r.updates, (r.n_updates + 1) * sizeof(*v));
			if (!v) {
				k = -ENOMEM;
				goto fail;
			}
			r.updates = v;
			ru = &v[r.n_updates++];
			*ru = (struct pcache_report_update){
			        .kb = strdup(u->kb),
			        .title = strdup(u->title),
			        .manifest_id = strdup(sel[i]->id),
			        .hints = util_strv_copy(
			                u->hints ? u->hints : (char *[]){NULL}),
			        .installed = util_strv_contains_case(
			                in->installed_updates, u->kb),
			};
			if (!ru->kb || !ru->title || !ru->manifest_id ||
			    !ru->hints) {
				k = -ENOMEM;
				goto fail;
			}
			if (!ru->installed)
				r.n_missing++;
		}
	*ret = r;
	return 0;
fail:
	pcache_report_done(&r);
	return k;
}

/* ---- text --------------------------------------------------------------- */

int
pcache_report_write_text(const struct pcache_report *r, FILE *out)
{
	_cleanup_free_ char *mlist = util_strv_join(r->manifests, ", ");
	char v[PCACHE_VERSION_STRLEN];

	fprintf(out, "Guest: Windows %s\n", r->os);
	fprintf(out, "Manifests: %s\n",
	        mlist && *mlist ? mlist : "(none apply to this guest)");
	if (r->guest_kernel_version)
		fprintf(out, "Guest kernel: ntoskrnl.exe %s\n",
		        pcache_version_format(r->guest_kernel_version, v));
	if (r->n_items > 0)
		fprintf(out, "\n%-14s %-12s %-16s %-16s %s\n", "FILE", "ROLE",
		        "STATUS", "VERSION", "WHERE");
	for (size_t i = 0; i < r->n_items; i++) {
		const struct pcache_report_item *it = &r->items[i];
		uint64_t ver = it->status == PCACHE_STATUS_IN_GUEST
		                       ? it->guest_version
		                       : it->cache_version;
		const char *where = "-";

		if (it->status == PCACHE_STATUS_IN_GUEST)
			where = it->guest_path;
		else if (it->cache_path)
			where = it->cache_path;
		fprintf(out, "%-14s %-12s %-16s %-16s %s\n", it->name,
		        pcache_role_to_string(it->role),
		        pcache_status_to_string(it->status),
		        ver ? pcache_version_format(ver, v) : "-", where);
	}
	for (size_t i = 0; i < r->n_items; i++) {
		const struct pcache_report_item *it = &r->items[i];

		if (it->status != PCACHE_STATUS_MISSING &&
		    it->status != PCACHE_STATUS_VERSION_MISMATCH)
			continue;
		fprintf(out, "\n%s: %s%s%s\n",
		        it->status == PCACHE_STATUS_MISSING
		                ? "MISSING"
		                : "VERSION MISMATCH",
		        it->detail ? it->detail : it->name,
		        it->origin ? "; needed by rule " : "",
		        it->origin ? it->origin : "");
		STRV_FOREACH (h, it->hints)
			fprintf(out, "  get it from: %s\n", *h);
	}
	if (r->n_updates > 0)
		fprintf(out, "\nRequired updates:\n");
	for (size_t i = 0; i < r->n_updates; i++) {
		const struct pcache_report_update *u = &r->updates[i];

		fprintf(out, "  %-10s %-13s %s\n", u->kb,
		        u->installed ? "installed" : "NOT INSTALLED", u->title);
		if (!u->installed)
			STRV_FOREACH (h, u->hints)
				fprintf(out, "    get it from: %s\n", *h);
	}
	if (r->installed_updates && r->installed_updates[0]) {
		_cleanup_free_ char *l =
		        util_strv_join(r->installed_updates, " ");

		fprintf(out, "\nUpdates recorded in the guest: %s\n",
		        l ? l : "");
	}
	fprintf(out, "\n%u required item(s) missing.\n", r->n_missing);
	return ferror(out) ? -EIO : 0;
}
