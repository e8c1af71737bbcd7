/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations of rules/: the in-memory form of a loaded rule set
 * (sets → rules → predicates and actions), shared by load.c (XML → structs),
 * check.c (semantic checks), eval.c (evaluation and conflicts) and diag.c
 * (the diagnostics list all three append to).
 */
#ifndef IMGFIX_RULES_INTERNAL_H
#define IMGFIX_RULES_INTERNAL_H

#include <regex.h>
#include <stdint.h>

#include "rules.h"

enum pred_kind {
	PRED_ALL,
	PRED_ANY,
	PRED_NOT,
	PRED_EQUALS,
	PRED_NOT_EQUALS,
	PRED_GLOB,
	PRED_REGEX,
	PRED_VERSION,
	PRED_EXISTS,
	PRED_ABSENT,
};

enum version_op {
	VOP_LT,
	VOP_LE,
	VOP_GT,
	VOP_GE,
	VOP_EQ,
	_VOP_MAX,
};

struct version {
	uint64_t part[RULES_MAX_VERSION_PARTS];
	unsigned n;
};

struct pred {
	enum pred_kind kind;
	unsigned line;
	char *fact;  /* leaf predicates */
	char *value; /* equals, not-equals: value; glob, regex: pattern */
	bool nocase;
	bool has_regex;
	regex_t regex;
	/* version: which comparisons are present, and their operands */
	bool has_op[_VOP_MAX];
	struct version op[_VOP_MAX];
	struct pred *children; /* all, any, not */
	size_t n_children;
};

struct rule {
	char *id;
	char *description;
	unsigned line;
	struct pred *match; /* NULL: always applies */
	struct rules_action *actions;
	size_t n_actions;
};

struct rule_set {
	char *name;
	char *description;
	char *path;
	char *os; /* "windows", "linux" or NULL */
	char **includes;
	struct rule *rules;
	size_t n_rules;
};

struct rules {
	char **search_dirs;
	struct rule_set **sets; /* evaluation order */
	size_t n_sets;
	char **diagnostics;
	size_t n_diagnostics;
	void *schema; /* xmlRelaxNGPtr, parsed on first load */
};

/* The RELAX NG schema, embedded at build time (rules-schema.c). */
extern const unsigned char rules_schema_rng[];
extern const size_t rules_schema_rng_len;

/* diag.c: appends "file:line: message" (line 0: "file: message") to r's
 * diagnostics; returns err (a negative errno) for `return diag(...)`. */
int rules_diag(struct rules *r, int err, const char *file, unsigned line,
               const char *fmt, ...) _printf_(5, 6);
void rules_diag_clear(struct rules *r);

/* Frees the contents of a set (and the set itself). */
void rule_set_free(struct rule_set *s);
void pred_done(struct pred *p);

/* version.c-ish helpers (eval.c) */
int version_parse(const char *s, struct version *ret);
int version_cmp(const struct version *a, const struct version *b);
bool version_op_holds(enum version_op op, int cmp);
extern const char *const version_op_names[_VOP_MAX];

/* check.c: semantic checks of a freshly parsed set; 0 or -EINVAL with
 * diagnostics. */
int rules_check_set(struct rules *r, const struct rule_set *s);
/* check.c: which OS an action kind belongs to: "windows", "linux", NULL. */
const char *rules_action_os(enum rules_action_kind k);

/* eval.c: the conflict check between two actions; when they conflict
 * returns true and a malloc'd description of what clashes in *ret_what. */
bool rules_actions_conflict(const struct rules_action *a,
                            const struct rules_action *b, char **ret_what);

#endif
