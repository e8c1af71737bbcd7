/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules/ — the imgfix rule language.  Rule sets are XML files (validated
 * against rules/schema/rules.rng, which is compiled into the library) that
 * turn guest facts (a struct util_strmap of flat names such as "os.version")
 * into an ordered list of abstract actions, each tagged with the set and the
 * rule that asked for it.  This module knows nothing of images or hives.
 *
 * Typical use (fixup/):
 *
 *	_cleanup_(rules_freep) struct rules *r = NULL;
 *	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
 *	char *dirs[] = { sets_dir, NULL };
 *
 *	r = rules_new(dirs);                       NULL on OOM
 *	r = rules_load(r, "kvm-virtio");           name or path; -errno
 *	r = rules_eval(r, facts, &res);            -EINVAL on conflicts
 *	for (size_t i = 0; i < rules_result_size(res); i++) {
 *		const struct rules_action *a = rules_result_get(res, i);
 *		... a->kind, rules_action_get(a, "name"), a->rule_id ...
 *	}
 *
 * On failure the messages ("file:line: what is wrong") are in
 * rules_diagnostics(r).  Rule files are hostile input: size, nesting depth,
 * attribute length, counts and regex length are bounded by the limits below;
 * DTDs (and with them entities, XXE and billion laughs) are refused, the
 * network is never used, and includes resolve only by set name inside the
 * rule directories.
 */
#ifndef IMGFIX_RULES_H
#define IMGFIX_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Limits for rule files (hostile input). */
#define RULES_MAX_FILE_SIZE (1024u * 1024) /* bytes of one rule file */
#define RULES_MAX_DEPTH 32                 /* element nesting */
#define RULES_MAX_ATTR_LEN 4096            /* bytes of one attribute value */
#define RULES_MAX_RULES 4096               /* rules in one set */
#define RULES_MAX_ACTIONS 4096             /* actions in one rule */
#define RULES_MAX_PREDICATES 4096          /* predicates in one rule */
#define RULES_MAX_SETS 64                  /* sets loaded, includes too */
#define RULES_MAX_INCLUDE_DEPTH 16         /* nested includes */
#define RULES_MAX_REGEX_LEN 256            /* bytes of a regex pattern */
#define RULES_MAX_MATCH_VALUE 4096         /* longer facts: no glob/regex */
#define RULES_MAX_VERSION_PARTS 8          /* components of a version */
#define RULES_MAX_DIAGNOSTICS 100          /* messages kept per context */

/* What an action asks for.  The names are the XML element names. */
enum rules_action_kind {
	/* Windows */
	RULES_ACTION_INJECT_DRIVER,         /* hwid, inf, class, service,
	                                       boot-critical */
	RULES_ACTION_DISABLE_SERVICE,       /* name | glob, filters */
	RULES_ACTION_SET_SERVICE_START,     /* name, start */
	RULES_ACTION_REMOVE_START_OVERRIDE, /* name */
	RULES_ACTION_REGISTRY,        /* hive, key, op, value, type, data */
	RULES_ACTION_REQUIRE_FILE,    /* file, min-version, only-if-missing */
	RULES_ACTION_SWAP_HAL,        /* hal, mode */
	RULES_ACTION_BOOT_INI,        /* fix, timeout */
	RULES_ACTION_BCD_FIX,         /* devices, detecthal, uefi-fallback */
	RULES_ACTION_MOUNTED_DEVICES, /* mode */
	RULES_ACTION_NTFS_GEOMETRY,   /* hidden-sectors, heads */
	RULES_ACTION_STAGE_DRIVER_PACKAGE, /* inf, dir, devicepath */
	/* Linux */
	RULES_ACTION_REMAP_DISKS,           /* from, to */
	RULES_ACTION_FSTAB_TO_UUID,         /* swap */
	RULES_ACTION_INITRAMFS_MODULES,     /* modules, rebuild */
	RULES_ACTION_REMOVE_PERSISTENT_NET, /* hwaddr */
	RULES_ACTION_DISABLE_UNIT,          /* name, package */
	RULES_ACTION_XORG_DRIVER,           /* from, to */
	/* any OS */
	RULES_ACTION_WARN, /* message, code */
	_RULES_ACTION_MAX,
};

/* One attribute of an action, as written in the rule file. */
struct rules_attr {
	const char *key;
	const char *value;
};

/*
 * One action of a rule.  Owned by the struct rules it was loaded into;
 * valid until rules_free().  Attributes are sorted by key; optional
 * attributes the rule did not write are absent (defaults are documented in
 * imgfix-rules(5) and applied by the consumer).
 */
struct rules_action {
	enum rules_action_kind kind;
	const char *set_name; /* the set of the rule ("kvm-virtio") */
	const char *rule_id;  /* the rule's id, unique within its set */
	const char *file;     /* the rule file */
	unsigned line;        /* line of the action element */
	const struct rules_attr *attrs;
	size_t n_attrs;
};

struct rules;
struct rules_result;

/* "inject-driver", ... (the XML element name); NULL when out of range. */
const char *rules_action_kind_to_string(enum rules_action_kind k);
/* The kind for an element name; -EINVAL when unknown. */
int rules_action_kind_from_string(const char *s);

/* Value of an attribute of a, or NULL when the rule did not set it. */
const char *rules_action_get(const struct rules_action *a, const char *key);

/*
 * New empty rule context.  search_dirs (NULL-terminated, may be NULL) are
 * the directories where sets are looked up by name, in order ("name" →
 * "<dir>/name.xml"); they are copied.  NULL on OOM.
 */
struct rules *rules_new(char *const *search_dirs);
/* Frees r and everything loaded into it; NULL-safe, returns NULL. */
struct rules *rules_free(struct rules *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rules *, rules_free)

/*
 * Loads a rule set and, first, the sets it includes.  name_or_path is a set
 * name ("kvm-virtio": letters, digits, '-', '_'; looked up in the search
 * dirs) or a path (anything with a '/' or ending in ".xml").  A set already
 * loaded (by an earlier call or an include) is not loaded twice.  The file
 * is schema-validated and checked semantically (unknown fact names,
 * impossible version ranges, actions the rule's OS cannot take, bad
 * attribute values, duplicate rule ids, conflicts between actions that
 * always apply together).  Returns 0, or -ENOENT (no such set), -EFBIG (file
 * too large), -ELOOP (include cycle or too deep), -E2BIG (a count limit),
 * -EINVAL (schema or semantic error), -ENOMEM; details in
 * rules_diagnostics().  On failure nothing of this call stays loaded.
 */
int rules_load(struct rules *r, const char *name_or_path);

/* Number of sets loaded, and their names in evaluation order. */
size_t rules_n_sets(const struct rules *r);
const char *rules_set_name(const struct rules *r, size_t i);
const char *rules_set_description(const struct rules *r, size_t i);

/*
 * Messages of the last failed rules_load()/rules_eval(), each
 * "file:line: what is wrong" (NULL-terminated list, NULL when none).
 * Cleared at the start of each load and eval.
 */
char *const *rules_diagnostics(const struct rules *r);

/*
 * Evaluates every loaded set, in load order (an included set before the set
 * including it), rule by rule in file order, against facts.  Fact names
 * are matched exactly, and case-insensitively when there is no exact match
 * (Windows service names).  A rule without <match> always applies.
 * Conflicting actions (see imgfix-rules(5)) make it -EINVAL with a
 * diagnostic naming both rules.  The result borrows the actions from r: free
 * it before r.  Returns 0, -EINVAL or -ENOMEM.
 */
int rules_eval(struct rules *r, const struct util_strmap *facts,
               struct rules_result **ret);

struct rules_result *rules_result_free(struct rules_result *res);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rules_result *, rules_result_free)
/* Actions of a result, in evaluation order; i < size. */
size_t rules_result_size(const struct rules_result *res);
const struct rules_action *rules_result_get(const struct rules_result *res,
                                            size_t i);

/*
 * Compares two dotted versions ("6.1", "10.0.19041") numerically per
 * component; a missing component counts as 0 ("6.1" == "6.1.0").  Returns
 * -1, 0 or 1 in *ret; -EINVAL when either is not a dotted version of at most
 * RULES_MAX_VERSION_PARTS decimal components.
 */
int rules_version_compare(const char *a, const char *b, int *ret);

/*
 * True when name is a fact name the rule language knows ("os.version",
 * "service.<Name>.start", ...).
 */
bool rules_fact_name_known(const char *name);

#endif
