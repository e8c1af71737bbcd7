/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Semantic checks of a rule set, run after the schema accepted it: known
 * fact names and values, version ranges that can match, actions the rule's
 * OS (and Windows version range) can take, attribute values and their
 * combinations, duplicate rule ids, and conflicts between actions that
 * always apply together.  The attribute table below mirrors
 * rules/schema/rules.rng; both must change together.
 */
#include <fnmatch.h>

#include "rules-internal.h"

/* ---- facts -------------------------------------------------------------- */

/* Fact names (fnmatch patterns) the rule language knows: those `imgfix
 * inspect` prints. */
static const char *const known_facts[] = {
        "os.family",
        "os.distro",
        "os.version",
        "os.build",
        "os.product",
        "os.product_type",
        "os.service_pack",
        "os.arch",
        "firmware",
        "disk.style",
        "windows.systemroot",
        "windows.control_set",
        "windows.hal",
        "windows.driver_database",
        "windows.hive_dirty",
        "windows.hive_recovered",
        "windows.hive_logs",
        "windows.boot_driver",
        "service.*.start",
        "linux.family",
        "linux.kernels",
        "linux.initramfs_tool",
        "linux.root_device",
        "source.platform",
        "os.hostname",
        "linux.mountpoints",
        "linux.package_format",
        "linux.package_manager",
        "windows.drive.?",
        "image.road",
        "image.road_reason",
};

/* Facts whose values are a closed set ("a|b|c"). */
static const struct {
	const char *fact;
	const char *values;
} fact_values[] = {
        {"os.family", "windows linux"},
        {"os.product_type", "client server"},
        {"os.arch", "i386 x86_64 aarch64 arm ppc ppc64 ppc64le s390 s390x "
                    "riscv32 riscv64 ia64 mips mips64 sparc64"},
        {"image.road", "direct guestfs"},
        {"firmware", "bios uefi"},
        {"disk.style", "mbr gpt"},
        {"windows.driver_database", "true false"},
        {"windows.hive_dirty", "true false"},
        {"windows.hive_recovered", "true false"},
        {"linux.initramfs_tool", "dracut initramfs-tools mkinitrd"},
        {"source.platform",
         "vmware virtualbox xen hyperv parallels physical kvm"},
};

bool
rules_fact_name_known(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(known_facts); i++)
		if (fnmatch(known_facts[i], name, 0) == 0)
			return true;
	return false;
}

static bool
word_in(const char *words, const char *w, bool nocase)
{
	size_t n = strlen(w);

	for (const char *p = words; *p;) {
		size_t l = strcspn(p, " ");

		if (l == n &&
		    (nocase ? strncasecmp(p, w, n) : strncmp(p, w, n)) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

static const char *
fact_closed_values(const char *fact)
{
	for (size_t i = 0; i < ELEMENTSOF(fact_values); i++)
		if (streq(fact_values[i].fact, fact))
			return fact_values[i].values;
	return NULL;
}

/* ---- version ranges ----------------------------------------------------- */

struct range {
	bool has_lo, lo_incl, has_hi, hi_incl;
	struct version lo, hi;
};

static void
range_lower(struct range *r, const struct version *v, bool incl)
{
	int c;

	if (r->has_lo) {
		c = version_cmp(v, &r->lo);
		if (c < 0 || (c == 0 && incl))
			return;
	}
	r->has_lo = true;
	r->lo = *v;
	r->lo_incl = incl;
}

static void
range_upper(struct range *r, const struct version *v, bool incl)
{
	int c;

	if (r->has_hi) {
		c = version_cmp(v, &r->hi);
		if (c > 0 || (c == 0 && incl))
			return;
	}
	r->has_hi = true;
	r->hi = *v;
	r->hi_incl = incl;
}

static void
range_apply(struct range *r, const struct pred *p)
{
	for (int o = 0; o < _VOP_MAX; o++) {
		if (!p->has_op[o])
			continue;
		switch ((enum version_op)o) {
		case VOP_LT:
			range_upper(r, &p->op[o], false);
			break;
		case VOP_LE:
			range_upper(r, &p->op[o], true);
			break;
		case VOP_GT:
			range_lower(r, &p->op[o], false);
			break;
		case VOP_GE:
			range_lower(r, &p->op[o], true);
			break;
		case VOP_EQ:
			range_lower(r, &p->op[o], true);
			range_upper(r, &p->op[o], true);
			break;
		case _VOP_MAX:
			break;
		}
	}
}

static bool
range_empty(const struct range *r)
{
	int c;

	if (!r->has_lo || !r->has_hi)
		return false;
	c = version_cmp(&r->lo, &r->hi);
	return c > 0 || (c == 0 && !(r->lo_incl && r->hi_incl));
}

static void
version_fmt(const struct version *v, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < v->n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%llu", i ? "." : "",
		                      (unsigned long long)v->part[i]);
}

/* The range of fact implied by the direct children of an <all>. */
static struct range
all_range(const struct pred *all, const char *fact)
{
	struct range r = {0};

	for (size_t i = 0; i < all->n_children; i++) {
		const struct pred *c = &all->children[i];

		if (c->kind == PRED_VERSION && streq(c->fact, fact))
			range_apply(&r, c);
	}
	return r;
}

/* The value an <all> requires fact to have (equals), or NULL. */
static const char *
all_equals(const struct pred *all, const char *fact)
{
	for (size_t i = 0; all && i < all->n_children; i++) {
		const struct pred *c = &all->children[i];

		if (c->kind == PRED_EQUALS && !c->nocase &&
		    streq(c->fact, fact))
			return c->value;
	}
	return NULL;
}

/* ---- predicates --------------------------------------------------------- */

struct ctx {
	struct rules *r;
	const struct rule_set *s;
	int k;
};

#define FAIL(c, line, ...)                                          \
	((c)->k = rules_diag((c)->r, -EINVAL, (c)->s->path, (line), \
	                     __VA_ARGS__))

static void
check_all_node(struct ctx *c, const struct rule *ru, const struct pred *all)
{
	for (size_t i = 0; i < all->n_children; i++) {
		const struct pred *a = &all->children[i];

		if (a->kind == PRED_VERSION) {
			struct range rg = all_range(all, a->fact);
			bool first = true;

			/* report each fact once, at its first predicate */
			for (size_t j = 0; j < i; j++)
				if (all->children[j].kind == PRED_VERSION &&
				    streq(all->children[j].fact, a->fact))
					first = false;
			if (first && range_empty(&rg)) {
				char lo[128], hi[128];

				version_fmt(&rg.lo, lo, sizeof(lo));
				version_fmt(&rg.hi, hi, sizeof(hi));
				FAIL(c, a->line,
				     "rule '%s': impossible version range for "
				     "'%s' (%s %s and %s %s)",
				     ru->id, a->fact, rg.lo_incl ? ">=" : ">",
				     lo, rg.hi_incl ? "<=" : "<", hi);
			}
		}
		if (a->kind != PRED_EQUALS || a->nocase)
			continue;
		for (size_t j = i + 1; j < all->n_children; j++) {
			const struct pred *b = &all->children[j];

			if (!streq(a->fact, b->fact) || b->nocase)
				continue;
			if (b->kind == PRED_EQUALS &&
			    !streq(a->value, b->value))
				FAIL(c, b->line,
				     "rule '%s': '%s' cannot equal both '%s' "
				     "and '%s'",
				     ru->id, a->fact, a->value, b->value);
			if (b->kind == PRED_NOT_EQUALS &&
			    streq(a->value, b->value))
				FAIL(c, b->line,
				     "rule '%s': '%s' cannot equal and not "
				     "equal '%s'",
				     ru->id, a->fact, a->value);
		}
	}
}

/* in_all: p is a direct child of an <all> (or <match>), whose version
 * ranges check_all_node() already checked. */
static void
check_pred(struct ctx *c, const struct rule *ru, const struct pred *p,
           bool in_all)
{
	switch (p->kind) {
	case PRED_ALL:
		check_all_node(c, ru, p);
		/* fall through */
	case PRED_ANY:
	case PRED_NOT:
		if (p->n_children == 0 ||
		    (p->kind == PRED_NOT && p->n_children != 1))
			FAIL(c, p->line, "rule '%s': empty or bad combinator",
			     ru->id);
		for (size_t i = 0; i < p->n_children; i++)
			check_pred(c, ru, &p->children[i], p->kind == PRED_ALL);
		return;
	default:
		break;
	}
	if (!rules_fact_name_known(p->fact)) {
		FAIL(c, p->line, "rule '%s': unknown fact name '%s'", ru->id,
		     p->fact);
		return;
	}
	if (p->kind == PRED_EQUALS || p->kind == PRED_NOT_EQUALS) {
		const char *vals = fact_closed_values(p->fact);

		if (vals && !word_in(vals, p->value, p->nocase))
			FAIL(c, p->line,
			     "rule '%s': '%s' is never '%s' (it is one of: "
			     "%s)",
			     ru->id, p->fact, p->value, vals);
	}
	if (p->kind == PRED_VERSION) {
		struct range rg = {0};
		bool any = false;

		for (int o = 0; o < _VOP_MAX; o++)
			any = any || p->has_op[o];
		if (!any)
			FAIL(c, p->line,
			     "rule '%s': <version> without lt, le, gt, ge or "
			     "eq",
			     ru->id);
		range_apply(&rg, p);
		if (!in_all && range_empty(&rg))
			FAIL(c, p->line,
			     "rule '%s': impossible version range for '%s'",
			     ru->id, p->fact);
	}
}

/* ---- actions ------------------------------------------------------------ */

enum attr_type {
	AT_TEXT,       /* non-empty text */
	AT_ANY,        /* any text, may be empty */
	AT_BOOL,       /* true | false */
	AT_ENUM,       /* one of spec->values */
	AT_VERSION,    /* dotted version */
	AT_WORDS,      /* space-separated [A-Za-z0-9_./-]+ */
	AT_HWIDS,      /* space-separated ENUM\ID */
	AT_INF,        /* file name ending in .inf */
	AT_FILE,       /* plain file name */
	AT_SVC,        /* service name */
	AT_GLOB,       /* fnmatch pattern with some literal text */
	AT_TIMEOUT,    /* 0..999 */
	AT_REGKEY,     /* registry key path */
	AT_GUEST_PATH, /* path relative to the systemroot, '\' separated */
};

struct attr_spec {
	const char *key;
	enum attr_type type;
	bool required;
	const char *values; /* AT_ENUM */
};

#define MAX_ATTRS 7
static const struct action_spec {
	enum rules_action_kind kind;
	const char *os;
	struct attr_spec attrs[MAX_ATTRS];
} action_specs[] = {
        {RULES_ACTION_INJECT_DRIVER,
         "windows",
         {{"hwid", AT_HWIDS, false, NULL},
          {"inf", AT_INF, false, NULL},
          {"class", AT_FILE, false, NULL},
          {"service", AT_SVC, false, NULL},
          {"boot-critical", AT_BOOL, false, NULL}}},
        {RULES_ACTION_DISABLE_SERVICE,
         "windows",
         {{"name", AT_SVC, false, NULL},
          {"glob", AT_GLOB, false, NULL},
          {"filters", AT_BOOL, false, NULL}}},
        {RULES_ACTION_SET_SERVICE_START,
         "windows",
         {{"name", AT_SVC, true, NULL}, {"start", AT_ENUM, true, "0 1 2 3 4"}}},
        {RULES_ACTION_REMOVE_START_OVERRIDE,
         "windows",
         {{"name", AT_SVC, true, NULL}}},
        {RULES_ACTION_REGISTRY,
         "windows",
         {{"hive", AT_ENUM, true, "SYSTEM SOFTWARE"},
          {"key", AT_REGKEY, true, NULL},
          {"op", AT_ENUM, true,
           "set delete-value delete-key multi-sz-add multi-sz-remove"},
          {"value", AT_ANY, false, NULL},
          {"type", AT_ENUM, false, "sz expand_sz dword qword binary"},
          {"data", AT_ANY, false, NULL}}},
        {RULES_ACTION_REQUIRE_FILE,
         "windows",
         {{"file", AT_GUEST_PATH, true, NULL},
          {"min-version", AT_VERSION, false, NULL},
          {"only-if-missing", AT_BOOL, false, NULL}}},
        {RULES_ACTION_SWAP_HAL,
         "windows",
         {{"hal", AT_ENUM, true,
           "e_isa_up acpipic_up acpiapic_up acpiapic_mp mps_up mps_mp"},
          {"mode", AT_ENUM, false, "non-destructive replace"}}},
        {RULES_ACTION_BOOT_INI,
         "windows",
         {{"fix", AT_ENUM, true, "arc-paths"},
          {"timeout", AT_TIMEOUT, false, NULL}}},
        {RULES_ACTION_BCD_FIX,
         "windows",
         {{"devices", AT_BOOL, false, NULL},
          {"detecthal", AT_BOOL, false, NULL},
          {"uefi-fallback", AT_BOOL, false, NULL}}},
        {RULES_ACTION_MOUNTED_DEVICES,
         "windows",
         {{"mode", AT_ENUM, true, "keep-signature rewrite"}}},
        {RULES_ACTION_NTFS_GEOMETRY,
         "windows",
         {{"hidden-sectors", AT_BOOL, false, NULL},
          {"heads", AT_ENUM, false, "auto keep"}}},
        {RULES_ACTION_STAGE_DRIVER_PACKAGE,
         "windows",
         {{"inf", AT_INF, true, NULL},
          {"dir", AT_FILE, false, NULL},
          {"devicepath", AT_BOOL, false, NULL}}},
        {RULES_ACTION_REMAP_DISKS,
         "linux",
         {{"from", AT_WORDS, true, NULL}, {"to", AT_ENUM, true, "vd sd"}}},
        {RULES_ACTION_FSTAB_TO_UUID, "linux", {{"swap", AT_BOOL, false, NULL}}},
        {RULES_ACTION_INITRAMFS_MODULES,
         "linux",
         {{"modules", AT_WORDS, true, NULL},
          {"rebuild", AT_BOOL, false, NULL}}},
        {RULES_ACTION_REMOVE_PERSISTENT_NET,
         "linux",
         {{"hwaddr", AT_BOOL, false, NULL}}},
        {RULES_ACTION_DISABLE_UNIT,
         "linux",
         {{"name", AT_GLOB, true, NULL}, {"package", AT_FILE, false, NULL}}},
        {RULES_ACTION_XORG_DRIVER,
         "linux",
         {{"from", AT_WORDS, true, NULL}, {"to", AT_FILE, true, NULL}}},
        {RULES_ACTION_WARN,
         NULL,
         {{"message", AT_TEXT, true, NULL}, {"code", AT_FILE, false, NULL}}},
};

static const struct action_spec *
spec_of(enum rules_action_kind k)
{
	for (size_t i = 0; i < ELEMENTSOF(action_specs); i++)
		if (action_specs[i].kind == k)
			return &action_specs[i];
	return NULL;
}

const char *
rules_action_os(enum rules_action_kind k)
{
	const struct action_spec *s = spec_of(k);

	return s ? s->os : NULL;
}

static bool
chars_ok(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static bool
words_ok(const char *s, const char *extra, bool (*item_ok)(const char *))
{
	_cleanup_strv_free_ char **l = NULL;

	if (util_strv_split(s, " ", &l) < 0 || !l || !l[0])
		return false;
	STRV_FOREACH (w, l)
		if (!chars_ok(*w, extra) || (item_ok && !item_ok(*w)))
			return false;
	return true;
}

static bool
hwid_ok(const char *w)
{
	const char *bs = strchr(w, '\\');

	/* ENUMERATOR\ID, one backslash, at most 200 bytes */
	return bs && bs != w && bs[1] && !strchr(bs + 1, '\\') &&
	       strlen(w) <= 200;
}

static bool
glob_ok(const char *g)
{
	size_t lit = 0;

	/* at least two literal characters: "*" must not disable everything */
	for (const char *p = g; *p; p++)
		if (!strchr("*?[]\\", *p))
			lit++;
	return lit >= 2 && strlen(g) <= 256;
}

static bool
regkey_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 1024 || k[0] == '\\' || k[n - 1] == '\\' ||
	    strstr(k, "\\\\"))
		return false;
	for (const char *p = k; *p; p++)
		if ((unsigned char)*p < 0x20)
			return false;
	return true;
}

static bool
attr_value_ok(const struct attr_spec *sp, const char *v)
{
	struct version ver;
	uint32_t u;

	switch (sp->type) {
	case AT_TEXT:
		return *v != '\0';
	case AT_ANY:
		return true;
	case AT_BOOL:
		return streq(v, "true") || streq(v, "false");
	case AT_ENUM:
		return word_in(sp->values, v, false) && !strchr(v, ' ');
	case AT_VERSION:
		return version_parse(v, &ver) == 0;
	case AT_WORDS:
		return words_ok(v, "_./-", NULL);
	case AT_HWIDS:
		return words_ok(v, "_&.-\\", hwid_ok);
	case AT_INF:
		return chars_ok(v, "_.-") && util_endswith_case(v, ".inf") &&
		       strlen(v) > 4 && strlen(v) <= 255;
	case AT_FILE:
		return chars_ok(v, "_.-") && strlen(v) <= 255 &&
		       !streq(v, ".") && !streq(v, "..");
	case AT_SVC:
		return *v && strlen(v) <= 256 && !strpbrk(v, "\\/*?[]");
	case AT_GLOB:
		return glob_ok(v);
	case AT_TIMEOUT:
		return strspn(v, "0123456789") == strlen(v) &&
		       util_parse_u32(v, &u) == 0 && u <= 999;
	case AT_REGKEY:
		return regkey_ok(v);
	case AT_GUEST_PATH: {
		_cleanup_strv_free_ char **l = NULL;

		if (util_strv_split(v, "\\", &l) < 0 || !l || !l[0] ||
		    v[0] == '\\' || strstr(v, "\\\\"))
			return false;
		STRV_FOREACH (w, l)
			if (!chars_ok(*w, "_.-") || streq(*w, "..") ||
			    streq(*w, "."))
				return false;
		return true;
	}
	}
	return false;
}

static bool
parse_hex_bytes(const char *s)
{
	size_t digits = 0;

	for (const char *p = s; *p; p++) {
		if (*p == ' ' || *p == ',')
			continue;
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return false;
		digits++;
	}
	return digits % 2 == 0;
}

static void
check_registry(struct ctx *c, const struct rule *ru,
               const struct rules_action *a, const char *family)
{
	const char *op = rules_action_get(a, "op");
	const char *hive = rules_action_get(a, "hive");
	const char *key = rules_action_get(a, "key");
	const char *value = rules_action_get(a, "value");
	const char *type = rules_action_get(a, "type");
	const char *data = rules_action_get(a, "data");
	uint64_t u64;
	uint32_t u32;

	if (!op || !hive || !key)
		return; /* reported as missing */
	if (streq(hive, "SOFTWARE") &&
	    util_startswith_case(key, "CurrentControlSet"))
		FAIL(c, a->line,
		     "rule '%s': CurrentControlSet is in the SYSTEM hive, "
		     "not SOFTWARE",
		     ru->id);
	if (streq(op, "set")) {
		if (!value || !type || !data) {
			FAIL(c, a->line,
			     "rule '%s': registry op=\"set\" needs value, type "
			     "and data",
			     ru->id);
			return;
		}
		if (streq(type, "dword") && util_parse_u32(data, &u32) < 0)
			FAIL(c, a->line,
			     "rule '%s': dword data \"%s\" is not a 32-bit "
			     "number",
			     ru->id, data);
		if (streq(type, "qword") && util_parse_u64(data, &u64) < 0)
			FAIL(c, a->line,
			     "rule '%s': qword data \"%s\" is not a 64-bit "
			     "number",
			     ru->id, data);
		if (streq(type, "binary") && !parse_hex_bytes(data))
			FAIL(c, a->line,
			     "rule '%s': binary data \"%s\" is not hex bytes",
			     ru->id, data);
	} else if (streq(op, "delete-value")) {
		if (!value || type || data)
			FAIL(c, a->line,
			     "rule '%s': registry op=\"delete-value\" takes "
			     "value and no type or data",
			     ru->id);
	} else if (streq(op, "delete-key")) {
		if (value || type || data)
			FAIL(c, a->line,
			     "rule '%s': registry op=\"delete-key\" takes no "
			     "value, type or data",
			     ru->id);
	} else { /* multi-sz-add, multi-sz-remove */
		if (!value || !data || !*data || type)
			FAIL(c, a->line,
			     "rule '%s': registry op=\"%s\" needs value and "
			     "a non-empty data item, and no type",
			     ru->id, op);
	}
}

/* Versions of Windows (os.version) an action can be taken on. */
static const struct {
	enum rules_action_kind kind;
	const char *lo, *hi; /* inclusive lo, exclusive hi; NULL: open */
	const char *why;
} action_versions[] = {
        {RULES_ACTION_SWAP_HAL, NULL, "6.1",
         "HAL swaps exist for NT 5.x and Vista/2008 (os.version < 6.1)"},
        {RULES_ACTION_BOOT_INI, NULL, "6.0",
         "boot.ini is used by NT 5.x only (os.version < 6.0)"},
        {RULES_ACTION_BCD_FIX, "6.0", NULL,
         "BCD exists from Vista on (os.version >= 6.0)"},
        {RULES_ACTION_REMOVE_START_OVERRIDE, "6.2", NULL,
         "StartOverride exists from Windows 8 on (os.version >= 6.2)"},
};

static void
check_action_version(struct ctx *c, const struct rule *ru,
                     const struct rules_action *a)
{
	for (size_t i = 0; i < ELEMENTSOF(action_versions); i++) {
		struct range rg = {0};
		struct version v;

		if (action_versions[i].kind != a->kind)
			continue;
		if (ru->match)
			rg = all_range(ru->match, "os.version");
		if (action_versions[i].lo &&
		    version_parse(action_versions[i].lo, &v) == 0)
			range_lower(&rg, &v, true);
		if (action_versions[i].hi &&
		    version_parse(action_versions[i].hi, &v) == 0)
			range_upper(&rg, &v, false);
		if (range_empty(&rg))
			FAIL(c, a->line,
			     "rule '%s': %s cannot be taken on the Windows "
			     "versions this rule matches: %s",
			     ru->id, rules_action_kind_to_string(a->kind),
			     action_versions[i].why);
	}
}

static void
check_action(struct ctx *c, const struct rule *ru, const struct rules_action *a,
             const char *family)
{
	const struct action_spec *sp = spec_of(a->kind);
	const char *name = rules_action_kind_to_string(a->kind);

	if (!sp) {
		FAIL(c, a->line, "rule '%s': unknown action", ru->id);
		return;
	}
	if (sp->os) {
		if (!family)
			FAIL(c, a->line,
			     "rule '%s': %s is a %s action but the rule does "
			     "not restrict os.family (add os=\"%s\" to the "
			     "ruleset or <equals fact=\"os.family\" "
			     "value=\"%s\"/> to the match)",
			     ru->id, name, sp->os, sp->os, sp->os);
		else if (!streq(family, sp->os))
			FAIL(c, a->line,
			     "rule '%s': %s is a %s action, but the rule "
			     "applies to %s guests",
			     ru->id, name, sp->os, family);
	}
	/* every attribute known and valid */
	for (size_t i = 0; i < a->n_attrs; i++) {
		const struct attr_spec *as = NULL;

		for (size_t j = 0; j < MAX_ATTRS && sp->attrs[j].key; j++)
			if (streq(sp->attrs[j].key, a->attrs[i].key))
				as = &sp->attrs[j];
		if (!as)
			FAIL(c, a->line, "rule '%s': %s has no attribute '%s'",
			     ru->id, name, a->attrs[i].key);
		else if (!attr_value_ok(as, a->attrs[i].value))
			FAIL(c, a->line,
			     "rule '%s': %s %s=\"%.80s\" is not valid", ru->id,
			     name, a->attrs[i].key, a->attrs[i].value);
	}
	for (size_t j = 0; j < MAX_ATTRS && sp->attrs[j].key; j++)
		if (sp->attrs[j].required &&
		    !rules_action_get(a, sp->attrs[j].key))
			FAIL(c, a->line, "rule '%s': %s needs attribute '%s'",
			     ru->id, name, sp->attrs[j].key);

	/* combinations */
	switch (a->kind) {
	case RULES_ACTION_INJECT_DRIVER:
		if (!rules_action_get(a, "hwid") &&
		    !rules_action_get(a, "inf") &&
		    !rules_action_get(a, "class"))
			FAIL(c, a->line,
			     "rule '%s': inject-driver needs hwid, inf or "
			     "class",
			     ru->id);
		break;
	case RULES_ACTION_DISABLE_SERVICE:
		if (!rules_action_get(a, "name") ==
		    !rules_action_get(a, "glob"))
			FAIL(c, a->line,
			     "rule '%s': disable-service needs exactly one of "
			     "name and glob",
			     ru->id);
		break;
	case RULES_ACTION_REGISTRY:
		check_registry(c, ru, a, family);
		break;
	case RULES_ACTION_BCD_FIX:
	case RULES_ACTION_NTFS_GEOMETRY: {
		bool any = false;

		for (size_t i = 0; i < a->n_attrs; i++)
			any = any || !streq(a->attrs[i].value, "false");
		if (!any)
			FAIL(c, a->line, "rule '%s': %s with nothing to do",
			     ru->id, name);
		break;
	}
	case RULES_ACTION_DISABLE_UNIT: {
		const char *u = rules_action_get(a, "name");
		static const char *const suffixes[] = {
		        ".service", ".socket", ".timer", ".path",
		        ".target",  ".mount",  "*"};
		bool ok = false;

		for (size_t i = 0; u && i < ELEMENTSOF(suffixes); i++)
			ok = ok || util_endswith_case(u, suffixes[i]);
		if (u && (!ok || strchr(u, '/')))
			FAIL(c, a->line,
			     "rule '%s': disable-unit name \"%s\" is not a "
			     "systemd unit name",
			     ru->id, u);
		break;
	}
	default:
		break;
	}
	if (family && streq(family, "windows"))
		check_action_version(c, ru, a);
}

/* ---- the set ------------------------------------------------------------ */

int
rules_check_set(struct rules *r, const struct rule_set *s)
{
	struct ctx c = {r, s, 0};

	for (size_t i = 0; i < s->n_rules; i++) {
		const struct rule *ru = &s->rules[i];
		const char *implied = all_equals(ru->match, "os.family");
		const char *family = s->os ? s->os : implied;

		for (size_t j = 0; j < i; j++)
			if (streq(s->rules[j].id, ru->id))
				FAIL(&c, ru->line,
				     "duplicate rule id '%s' (first at line "
				     "%u)",
				     ru->id, s->rules[j].line);
		if (s->os && implied && !streq(s->os, implied))
			FAIL(&c, ru->line,
			     "rule '%s' matches os.family=%s in a set for %s "
			     "guests: it never applies",
			     ru->id, implied, s->os);
		if (!ru->description || !*ru->description)
			FAIL(&c, ru->line, "rule '%s' has no description",
			     ru->id);
		if (ru->n_actions == 0)
			FAIL(&c, ru->line, "rule '%s' has no actions", ru->id);
		if (ru->match)
			check_pred(&c, ru, ru->match, false);
		for (size_t j = 0; j < ru->n_actions; j++)
			check_action(&c, ru, &ru->actions[j], family);
	}
	if (c.k < 0)
		return c.k;

	/* conflicts that are certain: inside one rule, and between rules
	 * that always apply (no match) */
	for (size_t i = 0; i < s->n_rules; i++)
		for (size_t j = i; j < s->n_rules; j++) {
			const struct rule *x = &s->rules[i], *y = &s->rules[j];

			if (i != j && (x->match || y->match))
				continue;
			for (size_t p = 0; p < x->n_actions; p++)
				for (size_t q = i == j ? p + 1 : 0;
				     q < y->n_actions; q++) {
					_cleanup_free_ char *w = NULL;

					if (!rules_actions_conflict(
					            &x->actions[p],
					            &y->actions[q], &w))
						continue;
					FAIL(&c, y->actions[q].line,
					     "conflict: rule '%s' and rule "
					     "'%s' (line %u): %s",
					     y->id, x->id, x->actions[p].line,
					     w ? w : "conflicting actions");
				}
		}
	return c.k;
}
