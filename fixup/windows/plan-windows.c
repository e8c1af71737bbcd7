/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows actions → primitive ops (WINDOWS.md): driver injection through
 * drivers/, service disabling with class- and device-level filter cleanup,
 * start types, StartOverride, raw registry edits, driver-package staging.
 * Boot configuration and patch-cache actions are in plan-winboot.c.
 */
#include <fnmatch.h>

#include "drivers.h"
#include "windows/plan-windows.h"
#include "rules.h"
#include "image/volume.h"

/* Services of the control set matching a name or glob (from the facts). */
static int
matching_services(struct win_ctx *w, const char *name, const char *glob,
                  char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	const struct util_strmap *f = w->in->facts;

	for (size_t i = 0; i < util_strmap_size(f); i++) {
		const char *k = util_strmap_key(f, i), *svc;
		_cleanup_free_ char *n = NULL;
		size_t len;

		svc = util_startswith(k, "service.");
		if (!svc || !util_endswith_case(svc, ".start"))
			continue;
		len = strlen(svc) - strlen(".start");
		n = util_strndup0(svc, len);
		if (!n)
			return -ENOMEM;
		if ((name && strcaseeq(n, name)) ||
		    (glob && fnmatch(glob, n, FNM_CASEFOLD) == 0)) {
			int r = util_strv_push(&l, n);
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* Removes svc from every UpperFilters/LowerFilters under key (recursing
 * depth levels: Class\{GUID} = 1, Enum\bus\dev\inst = 3). */
static int
clean_filters(struct win_ctx *w, struct hive_edits *e, const char *key,
              unsigned depth, const char *svc, unsigned *count)
{
	static const char *const names[] = {"UpperFilters", "LowerFilters"};
	_cleanup_strv_free_ char **subs = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_strv_free_ char **items = NULL;

		r = hive_get_multi_sz(w->system_ro, key, names[i], &items);
		if (r < 0)
			continue;
		if (util_strv_contains_case(items, svc)) {
			r = hive_edits_multi_sz_remove(e, key, names[i], svc);
			if (r < 0)
				return r;
			(*count)++;
		}
	}
	if (depth == 0)
		return 0;
	r = hive_list_subkeys(w->system_ro, key, &subs);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (s, subs) {
		_cleanup_free_ char *k = NULL;

		if (util_asprintf(&k, "%s\\%s", key, *s) < 0)
			return -ENOMEM;
		r = clean_filters(w, e, k, depth - 1, svc, count);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool
boolattr(const struct rules_action *a, const char *key, bool def)
{
	const char *v = rules_action_get(a, key);

	if (!v)
		return def;
	return streq(v, "true") || streq(v, "yes") || streq(v, "1");
}

static int
disable_service(struct win_ctx *w, const struct rules_action *a,
                const char *origin)
{
	const char *name = rules_action_get(a, "name");
	const char *glob = rules_action_get(a, "glob");
	const char *boot = win_fact(w, "windows.boot_driver");
	bool filters = boolattr(a, "filters", true);
	_cleanup_strv_free_ char **svcs = NULL;
	struct hive_edits *e;
	int r;

	r = matching_services(w, name, glob, &svcs);
	if (r < 0)
		return r;
	if (!svcs)
		return 0; /* nothing installed that matches */
	r = win_system_edits(w, origin, &e);
	if (r < 0)
		return r;
	STRV_FOREACH (s, svcs) {
		_cleanup_free_ char *key = NULL, *ck = NULL, *ek = NULL;
		unsigned n = 0;

		if (util_strv_contains_case(w->disabled, *s))
			continue;
		if (boot && strcaseeq(boot, *s) && !w->injected_boot) {
			r = fixup_plan_add_problem(
			        w->p, origin, false,
			        "add a rule that injects the target's boot "
			        "storage driver",
			        "not disabling %s: it is the guest's boot "
			        "driver and no replacement is being injected",
			        *s);
			if (r < 0)
				return r;
			continue;
		}
		if (util_asprintf(&key, "%s\\Services\\%s", w->control_set,
		                  *s) < 0)
			return -ENOMEM;
		r = hive_edits_set_dword(e, key, "Start", 4);
		if (r < 0)
			return r;
		if (filters) {
			if (util_asprintf(&ck, "%s\\Control\\Class",
			                  w->control_set) < 0 ||
			    util_asprintf(&ek, "%s\\Enum", w->control_set) < 0)
				return -ENOMEM;
			r = clean_filters(w, e, ck, 1, *s, &n);
			if (r >= 0)
				r = clean_filters(w, e, ek, 3, *s, &n);
			if (r < 0)
				return r;
		}
		r = util_strv_push(&w->disabled, *s);
		if (r < 0)
			return r;
		r = fixup_plan_record(w->p, origin,
		                      "disable service %s (Start=4)%s", *s,
		                      n ? ", removed from filter lists" : "");
		if (r < 0)
			return r;
		if (n)
			fixup_plan_note(w->p,
			                "%s removed from %u filter list(s)", *s,
			                n);
	}
	return 0;
}

static int
set_service_start(struct win_ctx *w, const struct rules_action *a,
                  const char *origin)
{
	const char *name = rules_action_get(a, "name");
	const char *start = rules_action_get(a, "start");
	_cleanup_free_ char *key = NULL;
	struct hive_edits *e;
	uint32_t v;
	int r;

	if (!name || !start || util_parse_u32(start, &v) < 0 || v > 4)
		return log_error_errno(
		        -EINVAL, "Rule %s: bad set-service-start.", origin);
	if (util_asprintf(&key, "%s\\Services\\%s", w->control_set, name) < 0)
		return -ENOMEM;
	if (hive_key_exists(w->system_ro, key) < 0)
		return fixup_plan_warn(w->p,
		                       "%s: service %s is not installed; start "
		                       "type not set",
		                       origin, name);
	r = win_system_edits(w, origin, &e);
	if (r < 0)
		return r;
	r = hive_edits_set_dword(e, key, "Start", v);
	if (r < 0)
		return r;
	return fixup_plan_record(w->p, origin, "service %s Start=%u", name, v);
}

static int
remove_start_override(struct win_ctx *w, const char *origin, const char *name)
{
	_cleanup_free_ char *key = NULL;
	struct hive_edits *e;
	int r;

	if (util_asprintf(&key, "%s\\Services\\%s\\StartOverride",
	                  w->control_set, name) < 0)
		return -ENOMEM;
	if (hive_key_exists(w->system_ro, key) < 0)
		return 0;
	r = win_system_edits(w, origin, &e);
	if (r < 0)
		return r;
	r = hive_edits_delete_key(e, key);
	if (r < 0)
		return r;
	return fixup_plan_record(w->p, origin, "removed %s\\StartOverride",
	                         name);
}

/* "CurrentControlSet\..." → the guest's control set. */
static char *
resolve_key(struct win_ctx *w, const char *key)
{
	const char *rest = util_startswith_case(key, "CurrentControlSet");
	char *r;

	if (rest && (*rest == '\\' || !*rest)) {
		if (util_asprintf(&r, "%s%s", w->control_set, rest) < 0)
			return NULL;
		return r;
	}
	return strdup(key);
}

static int
parse_binary(const char *s, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *b = malloc(strlen(s) / 2 + 1);
	size_t n = 0;

	if (!b)
		return -ENOMEM;
	while (*s) {
		unsigned v;

		if (*s == ',' || *s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1 || !s[1])
			return -EINVAL;
		b[n++] = (uint8_t)v;
		s += 2;
	}
	*ret = TAKE_PTR(b);
	*ret_len = n;
	return 0;
}

static int
registry_action(struct win_ctx *w, const struct rules_action *a,
                const char *origin)
{
	const char *hive = rules_action_get(a, "hive");
	const char *op = rules_action_get(a, "op");
	const char *value = rules_action_get(a, "value");
	const char *type = rules_action_get(a, "type");
	const char *data = rules_action_get(a, "data");
	_cleanup_free_ char *key = resolve_key(w, rules_action_get(a, "key"));
	struct hive_edits *e;
	int r;

	if (!key || !hive || !op)
		return -ENOMEM;
	r = strcaseeq(hive, "SOFTWARE") ? win_software_edits(w, origin, &e)
	                                : win_system_edits(w, origin, &e);
	if (r == -ENOENT && strcaseeq(hive, "SOFTWARE"))
		return fixup_plan_add_problem(w->p, origin, false, NULL,
		                              "the guest has no SOFTWARE hive: "
		                              "%s not applied",
		                              key);
	if (r < 0)
		return r;
	if (streq(op, "set")) {
		uint64_t q;

		if (!value || !type || !data)
			return log_error_errno(-EINVAL,
			                       "Rule %s: registry set needs "
			                       "value, type and data.",
			                       origin);
		if (streq(type, "sz") || streq(type, "expand_sz"))
			r = hive_edits_set_sz(e, key, value,
			                      streq(type, "sz")
			                              ? HIVE_T_SZ
			                              : HIVE_T_EXPAND_SZ,
			                      data);
		else if (streq(type, "dword")) {
			if (util_parse_u64(data, &q) < 0 || q > UINT32_MAX)
				return log_error_errno(
				        -EINVAL, "Rule %s: bad dword '%s'.",
				        origin, data);
			r = hive_edits_set_dword(e, key, value, (uint32_t)q);
		} else if (streq(type, "qword")) {
			uint8_t b[8];

			if (util_parse_u64(data, &q) < 0)
				return log_error_errno(
				        -EINVAL, "Rule %s: bad qword '%s'.",
				        origin, data);
			util_put_le64(b, q);
			r = hive_edits_set(e, key, value, HIVE_T_QWORD, b, 8);
		} else {
			_cleanup_free_ uint8_t *b = NULL;
			size_t n;

			if (parse_binary(data, &b, &n) < 0)
				return log_error_errno(
				        -EINVAL, "Rule %s: bad binary '%s'.",
				        origin, data);
			r = hive_edits_set(e, key, value, HIVE_T_BINARY, b, n);
		}
	} else if (streq(op, "delete-value"))
		r = hive_edits_delete_value(e, key, value ? value : "");
	else if (streq(op, "delete-key"))
		r = hive_edits_delete_key(e, key);
	else if (streq(op, "multi-sz-add"))
		r = hive_edits_multi_sz_add(e, key, value, data);
	else if (streq(op, "multi-sz-remove"))
		r = hive_edits_multi_sz_remove(e, key, value, data);
	else
		return log_error_errno(-EINVAL, "Rule %s: unknown op '%s'.",
		                       origin, op);
	if (r < 0)
		return r;
	return fixup_plan_record(w->p, origin, "registry %s %s\\%s%s%s", op,
	                         hive, key, value ? " : " : "",
	                         value ? value : "");
}

static int
load_stores(struct win_ctx *w)
{
	_cleanup_(util_progress_endp) struct util_progress *prog = NULL;
	size_t n = 0;
	int r;

	if (w->store || !w->in->stores)
		return 0;
	r = drivers_store_new(&w->store);
	if (r < 0)
		return r;
	(void)util_progress_start("scanning driver stores",
	                          util_strv_length(w->in->stores), &prog);
	STRV_FOREACH (s, w->in->stores) {
		_cleanup_free_ char *err = NULL;

		r = drivers_store_add(w->store, *s, &err);
		if (r < 0)
			return log_error_errno(
			        r,
			        "Failed to scan driver store %s: "
			        "%s",
			        *s, err ? err : "%m");
		util_progress_update(prog, ++n);
	}
	util_log_phase("plan: driver stores");
	return 0;
}

/* Appends the copies of an injection as PUT_FILE ops. */
static int
add_copies(struct win_ctx *w, const struct drivers_injection *inj,
           const char *origin)
{
	for (size_t i = 0; i < inj->n_copies; i++) {
		_cleanup_free_ char *gp = NULL, *real = NULL;
		struct fixup_op *op;
		int r;

		if (util_asprintf(&real, "/%s", inj->copies[i].guest_path) < 0)
			return -ENOMEM;
		gp = win_real_path(w->in->root, real);
		if (!gp)
			return -ENOMEM;
		/* The same file from two rules: keep the first. */
		bool dup = false;
		for (size_t k = 0; k < w->p->n_ops; k++)
			if (w->p->ops[k].kind == FIXUP_OP_PUT_FILE &&
			    strcaseeq(w->p->ops[k].path, gp))
				dup = true;
		if (dup)
			continue;
		if (access(inj->copies[i].host_path, R_OK) < 0) {
			r = fixup_plan_add_problem(
			        w->p, origin, true, NULL,
			        "driver file %s is missing from the store",
			        inj->copies[i].host_path);
			if (r < 0)
				return r;
			continue;
		}
		r = fixup_plan_add_op(w->p, FIXUP_OP_PUT_FILE, gp, origin, &op);
		if (r < 0)
			return r;
		op->vol = w->in->root;
		op->source = strdup(inj->copies[i].host_path);
		if (!op->source ||
		    util_asprintf(&op->summary, "copy driver file") < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * The IDs Plug and Play would match for the devices a rule names, most
 * specific first: each PCI ID as given (hardware ID), then its compatible
 * forms without SUBSYS and without REV, like Windows builds them for a PCI
 * device (VEN&DEV&SUBSYS&REV, VEN&DEV&SUBSYS, VEN&DEV&REV, VEN&DEV).
 */
static int
expand_device_ids(const char *hwid, char ***ret)
{
	_cleanup_strv_free_ char **given = NULL, **out = NULL;
	int r;

	r = util_strv_split(hwid, " ", &given);
	if (r < 0)
		return r;
	for (int pass = 0; pass < 4; pass++)
		STRV_FOREACH (g, given) {
			_cleanup_free_ char *id = strdup(*g);
			char *sub, *rev;

			if (!id)
				return -ENOMEM;
			sub = strcasestr(id, "&SUBSYS_");
			rev = strcasestr(id, "&REV_");
			if (pass == 1) { /* VEN&DEV&SUBSYS */
				if (!sub || !rev)
					continue;
				*rev = '\0';
			} else if (pass == 2) { /* VEN&DEV&REV */
				if (!sub || !rev)
					continue;
				memmove(sub, rev, strlen(rev) + 1);
			} else if (pass == 3) { /* VEN&DEV */
				char *cut = sub ? sub : rev;

				if (!cut)
					continue;
				*cut = '\0';
			}
			if (!util_strv_contains_case(out, id) &&
			    (r = util_strv_push(&out, id)) < 0)
				return r;
		}
	*ret = TAKE_PTR(out);
	return 0;
}

static int
inject(struct win_ctx *w, const struct rules_action *a, const char *origin,
       bool stage_only)
{
	const char *hwid = rules_action_get(a, "hwid");
	const char *inf = rules_action_get(a, "inf");
	const char *cls = rules_action_get(a, "class");
	const char *svc = rules_action_get(a, "service");
	bool boot = !stage_only && boolattr(a, "boot-critical", false);
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_free_ char *what = NULL;
	struct drivers_selection sel = {0};
	struct drivers_injection inj = {0};
	struct hive_edits *e;
	int r;

	r = win_need_arch(w, origin,
	                  stage_only ? "staging a driver"
	                             : "injecting a driver");
	if (r <= 0)
		return r;
	if (hwid) {
		r = expand_device_ids(hwid, &ids);
		if (r < 0)
			return r;
	}
	what = util_strv_join(ids, " ");
	if (!w->in->stores)
		return fixup_plan_add_problem(
		        w->p, origin, boot,
		        "pass a driver store with -d (e.g. a virtio-win tree "
		        "or ISO)",
		        "driver %s (%s) needed but no driver store given",
		        inf ? inf : (svc ? svc : "?"), what ? what : "");
	r = load_stores(w);
	if (r < 0)
		return r;
	struct drivers_query q = {
	        .target = w->target,
	        .device_ids = ids,
	        .class_name = cls,
	        .name = inf ? inf : svc,
	        .allow_fallback = true,
	};
	r = drivers_select(w->store, &q, &sel);
	if (r == -ENOENT) {
		_cleanup_free_ char *rej = util_strv_join(sel.rejected, "; ");

		drivers_selection_done(&sel);
		return fixup_plan_add_problem(
		        w->p, origin, boot, rej && *rej ? rej : NULL,
		        "no driver package in the store(s) for %s %s on "
		        "Windows "
		        "%u.%u %s",
		        inf ? inf : (svc ? svc : ""), what ? what : "",
		        w->target.major, w->target.minor, w->target.arch);
	}
	if (r < 0)
		return log_error_errno(
		        r, "Rule %s: driver selection failed: %m", origin);
	if (sel.fallback)
		fixup_plan_warn(w->p,
		                "%s: %s chosen from an older OS's folder (%s): "
		                "no package targets this Windows exactly",
		                origin, sel.install.inf_name, sel.decoration);

	/* DevicePath as earlier injections of this plan left it. */
	if (!w->device_path_read) {
		r = win_software_edits(w, origin, &e);
		if (r == -ENOENT) {
			w->no_software = true;
			fixup_plan_add_problem(
			        w->p, origin, false,
			        "Plug and Play will not search the staged "
			        "package folder",
			        "the guest has no SOFTWARE hive: DevicePath "
			        "not "
			        "updated");
		} else if (r >= 0)
			(void)hive_get_string(
			        w->software_ro,
			        "Microsoft\\Windows\\CurrentVersion",
			        "DevicePath", &w->device_path);
		w->device_path_read = true;
	}
	const char *dp = w->device_path;
	_cleanup_free_ char *stem = strdup(sel.install.inf_name);
	if (!stem)
		return -ENOMEM;
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = '\0';
	struct drivers_guest g = {
	        .target = w->target,
	        .systemroot = w->systemroot + 1,
	        .control_set = w->control_set,
	        .driver_database = w->driver_database,
	        .device_path = dp,
	        .boot_critical = boot,
	        .store_name = stem,
	};
	r = drivers_inject(&sel.install, &g, &inj);
	if (r == -EXDEV)
		r = fixup_plan_add_problem(
		        w->p, origin, true, NULL,
		        "driver %s is for %s, the guest is %s",
		        sel.install.inf_name, sel.install.arch, w->target.arch);
	else if (r < 0) {
		_cleanup_free_ char *notes = util_strv_join(inj.notes, "; ");

		r = fixup_plan_add_problem(w->p, origin, true, notes,
		                           "cannot inject %s: %s",
		                           sel.install.inf_name, strerror(-r));
	} else {
		if (stage_only) {
			/* Staging: the package folder and DevicePath only. */
			hive_edits_done(&inj.system);
		}
		r = win_system_edits(w, origin, &e);
		if (r >= 0)
			r = hive_edits_append(e, &inj.system);
		if (r >= 0 && inj.software.n > 0 && !w->no_software) {
			r = win_software_edits(w, origin, &e);
			if (r >= 0)
				r = hive_edits_append(e, &inj.software);
		}
		for (size_t i = 0; r >= 0 && i < inj.software.n; i++) {
			const struct hive_edit *he = &inj.software.v[i];
			char *s = NULL;
			size_t n;

			if (he->kind != HIVE_EDIT_SET_VALUE || !he->name ||
			    !strcaseeq(he->name, "DevicePath") ||
			    util_utf16le_to_utf8(he->data, he->len & ~(size_t)1,
			                         &s, &n) < 0)
				continue;
			while (n > 0 && s[n - 1] == '\0')
				s[--n] = '\0';
			free(w->device_path);
			w->device_path = s;
		}
		if (r >= 0)
			r = add_copies(w, &inj, origin);
		if (r >= 0)
			r = fixup_plan_record(
			        w->p, origin, "%s %s (%s %s, %s)%s",
			        stage_only ? "stage driver package"
			                   : "inject driver",
			        sel.install.inf_name,
			        sel.install.driver_version
			                ? sel.install.driver_version
			                : "?",
			        sel.install.arch, sel.install.package_dir,
			        boot ? " as boot-critical" : "");
		if (r >= 0 && boot) {
			for (size_t i = 0; i < sel.install.n_services; i++)
				util_strv_push(&w->injected_boot,
				               sel.install.services[i].name);
			if (!w->injected_boot)
				util_strv_push(&w->injected_boot, stem);
		}
		STRV_FOREACH (n, inj.notes)
			fixup_plan_note(w->p, "%s: %s", origin, *n);
	}
	drivers_injection_done(&inj);
	drivers_selection_done(&sel);
	return r;
}

int
fixup_plan_build_windows(const struct fixup_plan_input *in,
                         struct fixup_plan *p)
{
	struct win_ctx w;
	int r;

	r = win_ctx_init(&w, in, p);
	if (r < 0) {
		win_ctx_done(&w);
		return r;
	}
	util_log_phase("plan: SYSTEM hive");
	/* A dirty SYSTEM hive: inspection replayed its logs into the copy
	 * read here; when they could not be, finalize blocks the write of
	 * the hive (--force dirty-hive, engine/hive-logs.h). */

	/* Injections first: disabling the old boot driver needs to know
	 * whether its replacement is in place. */
	for (int pass = 0; pass < 2 && r >= 0; pass++)
		for (size_t i = 0; i < rules_result_size(in->actions) && r >= 0;
		     i++) {
			const struct rules_action *a =
			        rules_result_get(in->actions, i);
			_cleanup_free_ char *origin = fixup_action_origin(a);
			bool first = a->kind == RULES_ACTION_INJECT_DRIVER;

			if (!origin)
				r = -ENOMEM;
			else if ((pass == 0) != first)
				continue;
			else
				r = win_action(&w, a, origin);
		}
	win_ctx_done(&w);
	return r;
}

int
win_action(struct win_ctx *w, const struct rules_action *a, const char *origin)
{
	switch (a->kind) {
	case RULES_ACTION_INJECT_DRIVER:
		return inject(w, a, origin, false);
	case RULES_ACTION_STAGE_DRIVER_PACKAGE:
		return inject(w, a, origin, true);
	case RULES_ACTION_DISABLE_SERVICE:
		return disable_service(w, a, origin);
	case RULES_ACTION_SET_SERVICE_START:
		return set_service_start(w, a, origin);
	case RULES_ACTION_REMOVE_START_OVERRIDE:
		return remove_start_override(w, origin,
		                             rules_action_get(a, "name"));
	case RULES_ACTION_REGISTRY:
		return registry_action(w, a, origin);
	case RULES_ACTION_WARN:
		return fixup_plan_warn(w->p, "%s: %s", origin,
		                       rules_action_get(a, "message"));
	default:
		return win_boot_action(w, a, origin);
	}
}

const struct fixup_family fixup_family_windows = {
        .name = "windows",
        .inspect = fixup_inspect_windows,
        .plan = fixup_plan_build_windows,
};
