/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inspection driver: opens every partition a backend can read, asks the
 * inspector of every guest family (engine/family.h) about each, and adds the
 * facts that come from the disk rather than the guest (disk.style, firmware).
 * See inspect.h for the fact names.
 */
#include "engine/family.h"
#include "hive.h"
#include "engine/inspect.h"
#include "util.h"
#include "image/volume.h"

static void
guest_done(struct fixup_guest *g)
{
	free(g->root);
	free(g->systemroot);
	util_strmap_free(g->facts);
	util_strv_free(g->warnings);
	hive_free(g->system_hive);
	free(g->system_copy);
	if (g->tmpdir)
		(void)util_rmdtemp(g->tmpdir);
	free(g->tmpdir);
	*g = (struct fixup_guest){0};
}

void
fixup_guests_free(struct fixup_guest *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		guest_done(&g[i]);
	free(g);
}

static int
disk_facts(struct fixup_image *img, struct fixup_guest *g)
{
	const struct fixup_disk_layout *l = fixup_image_layout(img);
	bool esp = false;
	int r;

	if (l->style == FIXUP_DISK_NONE)
		return 0;
	r = util_strmap_set(g->facts, "disk.style",
	                    fixup_disk_style_to_string(l->style));
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n_parts; i++)
		esp = esp || l->parts[i].esp;
	return util_strmap_set(g->facts, "firmware", esp ? "uefi" : "bios");
}

static int
append_guest(struct fixup_guest **gs, size_t *n, struct fixup_guest *g)
{
	struct fixup_guest *ng = reallocarray(*gs, *n + 1, sizeof(**gs));

	if (!ng)
		return -ENOMEM;
	*gs = ng;
	ng[(*n)++] = *g;
	*g = (struct fixup_guest){0};
	return 0;
}

static int
inspect_volume(struct fixup_image *img, struct fixup_volume *v,
               struct fixup_guest **gs, size_t *n)
{
	int r;

	for (size_t k = 0; k < fixup_families_count(); k++) {
		struct fixup_guest g = {0};

		g.facts = util_strmap_new();
		g.root = strdup(fixup_volume_name(v));
		if (!g.facts || !g.root) {
			guest_done(&g);
			return -ENOMEM;
		}
		g.volume = v;
		r = fixup_families_get(k)->inspect(v, &g);
		if (r > 0)
			r = disk_facts(img, &g);
		if (r == 0 && util_strmap_size(g.facts) > 0)
			r = append_guest(gs, n, &g);
		guest_done(&g);
		if (r < 0)
			return r;
	}
	return 0;
}

int
fixup_inspect(struct fixup_image *img, struct fixup_guest **ret, size_t *ret_n)
{
	const struct fixup_disk_layout *l = fixup_image_layout(img);
	struct fixup_guest *gs = NULL;
	_cleanup_free_ char *skipped = NULL;
	size_t n = 0, opened = 0;
	int r;

	for (size_t i = 0; i < l->n_parts; i++) {
		struct fixup_volume *v;

		r = fixup_image_open_volume(img, i, &v);
		if (r == FIXUP_E_NO_FILESYSTEM) {
			/* remember why, for the final message */
			char *s = NULL;
			const char *t = l->parts[i].fstype;

			if (util_asprintf(&s, "%s%spartition %u: %s",
			                  skipped ? skipped : "",
			                  skipped ? "; " : "",
			                  l->parts[i].number,
			                  t ? t : "no filesystem found") < 0) {
				fixup_guests_free(gs, n);
				return -ENOMEM;
			}
			free(skipped);
			skipped = s;
			continue;
		}
		if (r < 0) {
			fixup_guests_free(gs, n);
			return r;
		}
		opened++;
		fixup_clear_error();
		r = inspect_volume(img, v, &gs, &n);
		if (r < 0) {
			fixup_guests_free(gs, n);
			return r;
		}
	}
	if (opened == 0)
		return fixup_set_error(FIXUP_E_NO_FILESYSTEM,
		                       "%s: no partition holds a filesystem "
		                       "imgfix can open (%s)",
		                       fixup_image_path(img),
		                       skipped ? skipped : "no partitions");
	if (n == 0)
		return fixup_set_error(FIXUP_E_NO_OS,
		                       "%s: no operating system found (no "
		                       "Windows systemroot with "
		                       "System32\\config\\SYSTEM, no Linux "
		                       "etc/os-release)",
		                       fixup_image_path(img));
	*ret = gs;
	*ret_n = n;
	return 0;
}
