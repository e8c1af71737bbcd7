/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Evaluation: dotted-version comparison, fact lookup (exact, then
 * case-insensitive), predicates and combinators, the ordered list of
 * actions a set of facts produces, and the conflict check between the
 * actions of different rules.
 */
#include <ctype.h>
#include <fnmatch.h>

#include "rules-internal.h"

/* ---- action kinds and attributes ---------------------------------------- */

static const char *const action_names[_RULES_ACTION_MAX] = {
        [RULES_ACTION_INJECT_DRIVER] = "inject-driver",
        [RULES_ACTION_DISABLE_SERVICE] = "disable-service",
        [RULES_ACTION_SET_SERVICE_START] = "set-service-start",
        [RULES_ACTION_REMOVE_START_OVERRIDE] = "remove-start-override",
        [RULES_ACTION_REGISTRY] = "registry",
        [RULES_ACTION_REQUIRE_FILE] = "require-file",
        [RULES_ACTION_SWAP_HAL] = "swap-hal",
        [RULES_ACTION_BOOT_INI] = "boot-ini",
        [RULES_ACTION_BCD_FIX] = "bcd-fix",
        [RULES_ACTION_MOUNTED_DEVICES] = "mounted-devices",
        [RULES_ACTION_NTFS_GEOMETRY] = "ntfs-geometry",
        [RULES_ACTION_STAGE_DRIVER_PACKAGE] = "stage-driver-package",
        [RULES_ACTION_REMAP_DISKS] = "remap-disks",
        [RULES_ACTION_FSTAB_TO_UUID] = "fstab-to-uuid",
        [RULES_ACTION_INITRAMFS_MODULES] = "initramfs-modules",
        [RULES_ACTION_REMOVE_PERSISTENT_NET] = "remove-persistent-net",
        [RULES_ACTION_DISABLE_UNIT] = "disable-unit",
        [RULES_ACTION_XORG_DRIVER] = "xorg-driver",
        [RULES_ACTION_WARN] = "warn",
};

const char *
rules_action_kind_to_string(enum rules_action_kind k)
{
	if ((unsigned)k >= _RULES_ACTION_MAX)
		return NULL;
	return action_names[k];
}

int
rules_action_kind_from_string(const char *s)
{
	for (int i = 0; i < _RULES_ACTION_MAX; i++)
		if (streq(action_names[i], s))
			return i;
	return -EINVAL;
}

const char *
rules_action_get(const struct rules_action *a, const char *key)
{
	size_t lo = 0, hi = a->n_attrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->attrs[mid].key, key);

		if (c == 0)
			return a->attrs[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- versions ----------------------------------------------------------- */

int
version_parse(const char *s, struct version *ret)
{
	struct version v = {0};
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		uint64_t x = 0;
		unsigned digits = 0;

		if (v.n >= RULES_MAX_VERSION_PARTS)
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (++digits > 18) /* keeps x below 10^18 */
				return -EINVAL;
			x = x * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		v.part[v.n++] = x;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -EINVAL;
		p++;
	}
	*ret = v;
	return 0;
}

int
version_cmp(const struct version *a, const struct version *b)
{
	unsigned n = MAX(a->n, b->n);

	for (unsigned i = 0; i < n; i++) {
		uint64_t x = i < a->n ? a->part[i] : 0;
		uint64_t y = i < b->n ? b->part[i] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

bool
version_op_holds(enum version_op op, int cmp)
{
	switch (op) {
	case VOP_LT:
		return cmp < 0;
	case VOP_LE:
		return cmp <= 0;
	case VOP_GT:
		return cmp > 0;
	case VOP_GE:
		return cmp >= 0;
	case VOP_EQ:
		return cmp == 0;
	case _VOP_MAX:
		break;
	}
	return false;
}

int
rules_version_compare(const char *a, const char *b, int *ret)
{
	struct version x, y;

	if (version_parse(a, &x) < 0 || version_parse(b, &y) < 0)
		return -EINVAL;
	*ret = version_cmp(&x, &y);
	return 0;
}

/* ---- facts -------------------------------------------------------------- */

/* A case-insensitive index of the facts, built once per evaluation. */
struct fact_index {
	const struct util_strmap *facts;
	size_t n;
	size_t *order; /* indexes into facts, sorted by strcasecmp of key */
};

static int
fact_casecmp(const void *a, const void *b, void *userdata)
{
	const struct util_strmap *facts = userdata;

	return strcasecmp(util_strmap_key(facts, *(const size_t *)a),
	                  util_strmap_key(facts, *(const size_t *)b));
}

static int
fact_index_init(struct fact_index *fi, const struct util_strmap *facts)
{
	fi->facts = facts;
	fi->n = util_strmap_size(facts);
	fi->order = calloc(fi->n ? fi->n : 1, sizeof(*fi->order));
	if (!fi->order)
		return -ENOMEM;
	for (size_t i = 0; i < fi->n; i++)
		fi->order[i] = i;
	qsort_r(fi->order, fi->n, sizeof(*fi->order), fact_casecmp,
	        (void *)facts);
	return 0;
}

static const char *
fact_get(const struct fact_index *fi, const char *name)
{
	const char *v = util_strmap_get(fi->facts, name);
	size_t lo = 0, hi = fi->n;

	if (v)
		return v;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(util_strmap_key(fi->facts, fi->order[mid]),
		                   name);

		if (c == 0)
			return util_strmap_value(fi->facts, fi->order[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- predicates --------------------------------------------------------- */

static bool
pred_eval(const struct pred *p, const struct fact_index *fi)
{
	const char *v = NULL;

	switch (p->kind) {
	case PRED_ALL:
		for (size_t i = 0; i < p->n_children; i++)
			if (!pred_eval(&p->children[i], fi))
				return false;
		return true;
	case PRED_ANY:
		for (size_t i = 0; i < p->n_children; i++)
			if (pred_eval(&p->children[i], fi))
				return true;
		return false;
	case PRED_NOT:
		return p->n_children == 1 && !pred_eval(&p->children[0], fi);
	default:
		break;
	}

	v = fact_get(fi, p->fact);
	switch (p->kind) {
	case PRED_EXISTS:
		return v != NULL;
	case PRED_ABSENT:
		return v == NULL;
	case PRED_EQUALS:
		return v && (p->nocase ? strcaseeq(v, p->value)
		                       : streq(v, p->value));
	case PRED_NOT_EQUALS:
		/* an absent fact is not equal to anything */
		return !v || !(p->nocase ? strcaseeq(v, p->value)
		                         : streq(v, p->value));
	case PRED_GLOB:
		if (v && strlen(v) > RULES_MAX_MATCH_VALUE)
			return false;
		return v &&
		       fnmatch(p->value, v, p->nocase ? FNM_CASEFOLD : 0) == 0;
	case PRED_REGEX:
		if (v && strlen(v) > RULES_MAX_MATCH_VALUE)
			return false;
		return v && p->has_regex &&
		       regexec(&p->regex, v, 0, NULL, 0) == 0;
	case PRED_VERSION: {
		struct version fv;
		bool any = false;

		/* a missing or non-numeric fact matches no comparison */
		if (!v || version_parse(v, &fv) < 0)
			return false;
		for (int o = 0; o < _VOP_MAX; o++) {
			if (!p->has_op[o])
				continue;
			any = true;
			if (!version_op_holds((enum version_op)o,
			                      version_cmp(&fv, &p->op[o])))
				return false;
		}
		return any;
	}
	default:
		return false;
	}
}

/* ---- conflicts ---------------------------------------------------------- */

static const char *
attr_or(const struct rules_action *a, const char *key, const char *def)
{
	const char *v = rules_action_get(a, key);

	return v ? v : def;
}

/* Does a disable-service action cover service svc? */
static bool
disable_covers(const struct rules_action *d, const char *svc)
{
	const char *name = rules_action_get(d, "name");
	const char *glob = rules_action_get(d, "glob");

	if (!svc)
		return false;
	if (name)
		return strcaseeq(name, svc);
	return glob && fnmatch(glob, svc, FNM_CASEFOLD) == 0;
}

static bool
registry_same_value(const struct rules_action *a, const struct rules_action *b)
{
	return streq(attr_or(a, "hive", ""), attr_or(b, "hive", "")) &&
	       strcaseeq(attr_or(a, "key", ""), attr_or(b, "key", "")) &&
	       strcaseeq(attr_or(a, "value", ""), attr_or(b, "value", ""));
}

/* Is key equal to or below parent (case-insensitive, '\' separated)? */
static bool
key_under(const char *key, const char *parent)
{
	size_t n = strlen(parent);

	return strncasecmp(key, parent, n) == 0 &&
	       (key[n] == '\0' || key[n] == '\\');
}

static int what(char **ret, const char *fmt, ...) _printf_(2, 3);
static int
what(char **ret, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (k < 0)
		*ret = NULL;
	return k;
}

static bool
conflict_ordered(const struct rules_action *a, const struct rules_action *b,
                 char **ret)
{
	switch (a->kind) {
	case RULES_ACTION_DISABLE_SERVICE:
		if (b->kind == RULES_ACTION_SET_SERVICE_START &&
		    !streq(attr_or(b, "start", ""), "4") &&
		    disable_covers(a, rules_action_get(b, "name"))) {
			what(ret,
			     "service '%s' is disabled and also set to "
			     "start %s",
			     rules_action_get(b, "name"),
			     attr_or(b, "start", "?"));
			return true;
		}
		if (b->kind == RULES_ACTION_INJECT_DRIVER &&
		    disable_covers(a, rules_action_get(b, "service"))) {
			what(ret,
			     "service '%s' is disabled and also "
			     "installed by inject-driver",
			     rules_action_get(b, "service"));
			return true;
		}
		return false;
	case RULES_ACTION_SET_SERVICE_START:
		if (b->kind == RULES_ACTION_SET_SERVICE_START &&
		    strcaseeq(attr_or(a, "name", ""), attr_or(b, "name", "")) &&
		    !streq(attr_or(a, "start", ""), attr_or(b, "start", ""))) {
			what(ret,
			     "service '%s' is set to start %s and to "
			     "start %s",
			     attr_or(a, "name", ""), attr_or(a, "start", ""),
			     attr_or(b, "start", ""));
			return true;
		}
		return false;
	case RULES_ACTION_SWAP_HAL:
		if (b->kind == RULES_ACTION_SWAP_HAL &&
		    (!streq(attr_or(a, "hal", ""), attr_or(b, "hal", "")) ||
		     !streq(attr_or(a, "mode", "non-destructive"),
		            attr_or(b, "mode", "non-destructive")))) {
			what(ret, "two different HAL swaps (%s/%s and %s/%s)",
			     attr_or(a, "hal", ""),
			     attr_or(a, "mode", "non-destructive"),
			     attr_or(b, "hal", ""),
			     attr_or(b, "mode", "non-destructive"));
			return true;
		}
		return false;
	case RULES_ACTION_MOUNTED_DEVICES:
		if (b->kind == RULES_ACTION_MOUNTED_DEVICES &&
		    !streq(attr_or(a, "mode", ""), attr_or(b, "mode", ""))) {
			what(ret, "MountedDevices mode '%s' and '%s'",
			     attr_or(a, "mode", ""), attr_or(b, "mode", ""));
			return true;
		}
		return false;
	case RULES_ACTION_REMAP_DISKS:
	case RULES_ACTION_XORG_DRIVER:
		if (b->kind == a->kind &&
		    !streq(attr_or(a, "to", ""), attr_or(b, "to", ""))) {
			what(ret, "%s to '%s' and to '%s'",
			     rules_action_kind_to_string(a->kind),
			     attr_or(a, "to", ""), attr_or(b, "to", ""));
			return true;
		}
		return false;
	case RULES_ACTION_REGISTRY: {
		const char *opa = attr_or(a, "op", ""), *opb;

		if (b->kind != RULES_ACTION_REGISTRY)
			return false;
		opb = attr_or(b, "op", "");
		if (streq(opa, "set") && streq(opb, "set") &&
		    registry_same_value(a, b) &&
		    (!streq(attr_or(a, "type", ""), attr_or(b, "type", "")) ||
		     !streq(attr_or(a, "data", ""), attr_or(b, "data", "")))) {
			what(ret,
			     "%s\\%s value '%s' is set to two different "
			     "data",
			     attr_or(a, "hive", ""), attr_or(a, "key", ""),
			     attr_or(a, "value", ""));
			return true;
		}
		if (streq(opa, "set") && streq(opb, "delete-value") &&
		    registry_same_value(a, b)) {
			what(ret, "%s\\%s value '%s' is set and deleted",
			     attr_or(a, "hive", ""), attr_or(a, "key", ""),
			     attr_or(a, "value", ""));
			return true;
		}
		if ((streq(opa, "set") || streq(opa, "multi-sz-add")) &&
		    streq(opb, "delete-key") &&
		    streq(attr_or(a, "hive", ""), attr_or(b, "hive", "")) &&
		    key_under(attr_or(a, "key", ""), attr_or(b, "key", ""))) {
			what(ret,
			     "%s\\%s is written below a key that is "
			     "deleted (%s)",
			     attr_or(a, "hive", ""), attr_or(a, "key", ""),
			     attr_or(b, "key", ""));
			return true;
		}
		if (streq(opa, "multi-sz-add") &&
		    streq(opb, "multi-sz-remove") &&
		    registry_same_value(a, b) &&
		    strcaseeq(attr_or(a, "data", ""), attr_or(b, "data", ""))) {
			what(ret,
			     "'%s' is added to and removed from %s\\%s "
			     "value '%s'",
			     attr_or(a, "data", ""), attr_or(a, "hive", ""),
			     attr_or(a, "key", ""), attr_or(a, "value", ""));
			return true;
		}
		return false;
	}
	default:
		return false;
	}
}

bool
rules_actions_conflict(const struct rules_action *a,
                       const struct rules_action *b, char **ret_what)
{
	*ret_what = NULL;
	return conflict_ordered(a, b, ret_what) ||
	       conflict_ordered(b, a, ret_what);
}

/* ---- evaluation --------------------------------------------------------- */

struct rules_result {
	const struct rules_action **v;
	size_t n, allocated;
};

struct rules_result *
rules_result_free(struct rules_result *res)
{
	if (!res)
		return NULL;
	free(res->v);
	free(res);
	return NULL;
}

size_t
rules_result_size(const struct rules_result *res)
{
	return res ? res->n : 0;
}

const struct rules_action *
rules_result_get(const struct rules_result *res, size_t i)
{
	return res && i < res->n ? res->v[i] : NULL;
}

static int
result_push(struct rules_result *res, const struct rules_action *a)
{
	if (res->n >= res->allocated) {
		size_t na = res->allocated ? res->allocated * 2 : 64;
		const struct rules_action **nv =
		        reallocarray(res->v, na, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		res->v = nv;
		res->allocated = na;
	}
	res->v[res->n++] = a;
	return 0;
}

static bool
set_applies(const struct rule_set *s, const struct fact_index *fi)
{
	const char *fam;

	if (!s->os)
		return true;
	fam = fact_get(fi, "os.family");
	return fam && streq(fam, s->os);
}

/* Checks the new actions [from, n) against all earlier ones of other
 * rules. */
static int
check_conflicts(struct rules *r, const struct rules_result *res, size_t from)
{
	int k = 0;

	for (size_t i = from; i < res->n; i++)
		for (size_t j = 0; j < from; j++) {
			const struct rules_action *a = res->v[j],
			                          *b = res->v[i];
			_cleanup_free_ char *w = NULL;

			if (!rules_actions_conflict(a, b, &w))
				continue;
			k = rules_diag(r, -EINVAL, b->file, b->line,
			               "conflict: rule '%s' (set %s) and rule "
			               "'%s' (set %s, %s:%u): %s",
			               b->rule_id, b->set_name, a->rule_id,
			               a->set_name, a->file, a->line,
			               w ? w : "conflicting actions");
		}
	return k;
}

int
rules_eval(struct rules *r, const struct util_strmap *facts,
           struct rules_result **ret)
{
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	struct fact_index fi = {0};
	int k = 0;

	rules_diag_clear(r);
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	k = fact_index_init(&fi, facts);
	if (k < 0)
		return k;
	for (size_t s = 0; s < r->n_sets; s++) {
		const struct rule_set *set = r->sets[s];

		if (!set_applies(set, &fi))
			continue;
		for (size_t i = 0; i < set->n_rules; i++) {
			const struct rule *ru = &set->rules[i];
			size_t from = res->n;
			int q;

			if (ru->match && !pred_eval(ru->match, &fi))
				continue;
			for (size_t j = 0; j < ru->n_actions; j++) {
				q = result_push(res, &ru->actions[j]);
				if (q < 0) {
					free(fi.order);
					return q;
				}
			}
			q = check_conflicts(r, res, from);
			if (q < 0)
				k = q;
		}
	}
	free(fi.order);
	if (k < 0)
		return k;
	*ret = TAKE_PTR(res);
	return 0;
}
