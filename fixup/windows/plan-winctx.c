/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state of one Windows plan build (struct win_ctx, plan-windows.h):
 * the systemroot and control set from the facts, the SYSTEM and SOFTWARE
 * hives read once, real-case guest paths, and the hive edits every action
 * adds to.  Shared by the service/driver actions (plan-windows.c) and the
 * boot actions (plan-winboot.c).
 */
#include "drivers.h"
#include "image/volume.h"
#include "windows/plan-windows.h"

void
win_ctx_done(struct win_ctx *w)
{
	if (!w->system_ro_borrowed)
		hive_freep(&w->system_ro);
	hive_freep(&w->software_ro);
	drivers_store_freep(&w->store);
	free(w->systemroot);
	free(w->system_path);
	free(w->software_path);
	util_strv_free(w->disabled);
	util_strv_free(w->injected_boot);
	free(w->device_path);
}

/* "/Windows" from "C:\\Windows", "\\WINDOWS", "Windows" ... */
static char *
norm_root(const char *s)
{
	const char *p = s;
	char *r, *q;

	if (p[0] && p[1] == ':')
		p += 2;
	while (*p == '/' || *p == '\\')
		p++;
	if (util_asprintf(&r, "/%s", p) < 0)
		return NULL;
	for (q = r; *q; q++)
		if (*q == '\\')
			*q = '/';
	return r;
}

/*
 * A Windows path on v with the real case of its longest existing prefix
 * (NTFS through libntfs-3g would otherwise create "system32" beside
 * "System32").  Backslashes become slashes.
 */
char *
win_real_path(struct fixup_volume *v, const char *path)
{
	_cleanup_free_ char *want = strdup(path);
	size_t n;

	if (!want)
		return NULL;
	for (char *q = want; *q; q++)
		if (*q == '\\')
			*q = '/';
	n = strlen(want);
	/* From the whole path down to its first component. */
	for (;;) {
		_cleanup_free_ char *prefix = util_strndup0(want, n),
		                    *real = NULL;
		char *r;

		if (!prefix)
			return NULL;
		if (n > 0 && fixup_volume_lookup(v, prefix, &real) >= 0) {
			if (util_asprintf(&r, "%s%s", real, want + n) < 0)
				return NULL;
			return r;
		}
		while (n > 0 && want[n - 1] != '/')
			n--;
		while (n > 0 && want[n - 1] == '/')
			n--;
		if (n == 0)
			return TAKE_PTR(want);
	}
}

char *
win_path(struct win_ctx *w, const char *rel)
{
	_cleanup_free_ char *want = util_path_join(w->systemroot, rel);

	return want ? win_real_path(w->in->root, want) : NULL;
}

const char *
win_fact(struct win_ctx *w, const char *name)
{
	return util_strmap_get(w->in->facts, name);
}

int
win_ctx_init(struct win_ctx *w, const struct fixup_plan_input *in,
             struct fixup_plan *p)
{
	const char *root = util_strmap_get(in->facts, "windows.systemroot");
	const char *cs = util_strmap_get(in->facts, "windows.control_set");
	const char *ver = util_strmap_get(in->facts, "os.version");
	const char *arch = util_strmap_get(in->facts, "os.arch");
	const char *pt = util_strmap_get(in->facts, "os.product_type");
	const char *build = util_strmap_get(in->facts, "os.build");
	int r;

	*w = (struct win_ctx){.in = in, .p = p};
	if (!root || !cs)
		return log_error_errno(-EINVAL,
		                       "Facts lack windows.systemroot or "
		                       "windows.control_set; cannot fix.");
	w->systemroot = norm_root(root);
	w->control_set = cs;
	if (!w->systemroot)
		return -ENOMEM;
	if (ver && sscanf(ver, "%u.%u", &w->target.major, &w->target.minor) < 2)
		w->target.major = w->target.minor = 0;
	if (build)
		(void)util_parse_u32(build, &w->target.build);
	/* Never guessed: unknown blocks what needs it (win_need_arch). */
	w->target.arch = !arch                   ? NULL
	                 : streq(arch, "i386")   ? "x86"
	                 : streq(arch, "x86_64") ? "amd64"
	                                         : NULL;
	w->target.server = pt && streq(pt, "server");
	w->driver_database =
	        streq_ptr(win_fact(w, "windows.driver_database"), "true");
	w->system_path = win_path(w, "System32/config/SYSTEM");
	w->software_path = win_path(w, "System32/config/SOFTWARE");
	if (!w->system_path || !w->software_path)
		return -ENOMEM;
	/* Read handle on the original SYSTEM hive for scans. */
	struct fixup_op *op;
	r = fixup_plan_hive_op_from(p, in->root, "SYSTEM", w->system_path, NULL,
	                            in->system_copy, &op);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to read the SYSTEM hive %s: %m",
		                       w->system_path);
	if (in->system_hive) {
		w->system_ro = in->system_hive;
		w->system_ro_borrowed = true;
		return 0;
	}
	r = hive_open(op->hive_before, 0, &w->system_ro);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to open the SYSTEM hive %s: %m",
		                       w->system_path);
	return 0;
}

/* The edits of hive op op, with origin as the origin of those to come. */
static int
op_edits(struct fixup_op *op, const char *origin, struct hive_edits **ret)
{
	int r = hive_edits_set_origin(&op->edits, origin);

	if (r < 0)
		return r;
	*ret = &op->edits;
	return 0;
}

int
win_software_edits(struct win_ctx *w, const char *origin,
                   struct hive_edits **ret)
{
	struct fixup_op *op;
	int r = fixup_plan_hive_op(w->p, w->in->root, "SOFTWARE",
	                           w->software_path, origin, &op);

	if (r == -ENOENT)
		return r; /* no SOFTWARE hive: callers decide */
	if (r < 0)
		return log_error_errno(
		        r, "Failed to read the SOFTWARE hive %s: %m",
		        w->software_path);
	if (!w->software_ro) {
		r = hive_open(op->hive_before, 0, &w->software_ro);
		if (r < 0)
			return r;
	}
	return op_edits(op, origin, ret);
}

int
win_system_edits(struct win_ctx *w, const char *origin, struct hive_edits **ret)
{
	struct fixup_op *op;
	int r = fixup_plan_hive_op(w->p, w->in->root, "SYSTEM", w->system_path,
	                           origin, &op);

	return r < 0 ? r : op_edits(op, origin, ret);
}

int
win_need_arch(struct win_ctx *w, const char *origin, const char *what)
{
	const char *arch = win_fact(w, "os.arch");
	int r;

	if (w->target.arch)
		return 1;
	r = fixup_plan_add_problem(
	        w->p, origin, true,
	        arch ? "imgfix handles i386 and x86_64 Windows guests"
	             : "inspection found no PE header in System32 and no "
	               "PROCESSOR_ARCHITECTURE (see 'imgfix inspect')",
	        "%s needs the guest's architecture, and os.arch is %s", what,
	        arch ? arch : "unknown");
	return r < 0 ? r : 0;
}
