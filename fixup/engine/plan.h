/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plans: the ordered primitive operations a fix consists of, each tagged
 * with the rule that asked for it.  Building a plan reads the guest but
 * writes nothing; `imgfix plan` prints it with a diff, `imgfix fix` hands it
 * to apply.c.
 *
 *   rules actions ──► plan-windows.c / plan-linux.c ──► struct fixup_plan
 *                      (asks drivers/ and patchcache/)
 *
 * Registry edits are validated while planning: they are applied to a
 * private copy of the hive, which also gives the exact before/after diff.
 */
#ifndef IMGFIX_FIXUP_PLAN_H
#define IMGFIX_FIXUP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hive.h"
#include "util.h"

struct fixup_volume;
struct fixup_image;
struct rules_result;
struct rules_action;

#define FIXUP_MAX_TEXT_FILE (16u * 1024 * 1024)
#define FIXUP_MAX_HIVE_FILE (512u * 1024 * 1024)
#define FIXUP_MAX_PUT_FILE (256u * 1024 * 1024)

enum fixup_op_kind {
	FIXUP_OP_HIVE,       /* edits of one hive file */
	FIXUP_OP_PUT_FILE,   /* copy a host file into the guest */
	FIXUP_OP_WRITE_FILE, /* replace/create a guest file with data */
	FIXUP_OP_REMOVE,     /* remove a guest file */
	FIXUP_OP_BOOT_BYTES, /* patch bytes of the partition's boot sector */
};

struct fixup_op {
	enum fixup_op_kind kind;
	struct fixup_volume *vol; /* the volume it is on */
	char *path;    /* guest path ("/Windows/System32/config/SYSTEM") */
	char *origin;  /* "set/rule" that asked for it (first one) */
	char *summary; /* one line for humans */
	/* HIVE */
	char *hive_name; /* "SYSTEM", "SOFTWARE", "BCD" */
	struct hive_edits edits;
	char *hive_tmp;    /* private copy with the edits applied */
	char *hive_before; /* private copy of the original */
	bool noop;         /* finalize found that no edit changes anything */
	/* The guest's primary file was dirty (engine/hive-logs.h): written
	 * back clean, its logs reset by ops added at the end of the plan.
	 * Not recovered: writing needs --force dirty-hive. */
	bool hive_dirty, hive_recovered;
	char **hive_logs;   /* guest paths of its non-empty transaction logs */
	char *hive_problem; /* dirty, not recovered: why */
	/* PUT_FILE */
	char *source; /* host path */
	/* WRITE_FILE / BOOT_BYTES: new bytes; WRITE_FILE also old bytes
	 * (old NULL, old_len its size: a transaction log being reset, not
	 * read whole) */
	uint8_t *data;
	size_t len;
	uint8_t *old;
	size_t old_len;
	bool existed;
	uint64_t offset; /* BOOT_BYTES: offset in the partition */
};

struct fixup_problem {
	char *origin;  /* rule that needs it, or NULL */
	char *message; /* what is missing / wrong */
	char *hint;    /* where to get it / what to do, may be NULL */
	bool blocking; /* stops a fix unless forced */
};

/* Per-rule record for the report. */
struct fixup_applied_rule {
	char *origin;   /* "set/rule" */
	char **actions; /* one human line per action */
};

struct fixup_plan {
	struct fixup_op *ops;
	size_t n_ops;
	struct fixup_problem *problems;
	size_t n_problems;
	char **warnings;
	char **notes;
	struct fixup_applied_rule *rules;
	size_t n_rules;
	char *tmpdir; /* private copies of hives, removed by _done() */
};

void fixup_plan_done(struct fixup_plan *p);
/* "registry", "copy", "write", "remove", "boot-sector". */
const char *fixup_op_kind_name(enum fixup_op_kind k);
/* "set/rule" of a rule action (malloc'd; NULL on OOM). */
char *fixup_action_origin(const struct rules_action *a);

/* What a plan is built from. */
struct fixup_plan_input {
	struct fixup_image *image;
	struct fixup_volume *root; /* volume holding the OS root */
	const struct util_strmap *facts;
	const struct rules_result *actions;
	char *const *stores; /* driver stores (-d), may be NULL */
	const char *cache;   /* patch cache (-p), may be NULL */
	char *const *force;  /* problems to downgrade: names or "all" */
	/* Optional, from inspection (struct fixup_guest): a host copy of the
	 * guest's SYSTEM hive and a read-only handle on it, used instead of
	 * fetching and parsing the hive again.  Borrowed. */
	const char *system_copy;
	struct hive *system_hive;
};

/* Builds the plan.  Problems (missing drivers, files) are not errors: they
 * are recorded in the plan.  Errors are real failures (I/O, bad hive). */
int fixup_plan_build(const struct fixup_plan_input *in, struct fixup_plan *ret);

/* Validates the hive ops of a plan built by hand (applies their edits to
 * private copies) and drops ops that change nothing; fixup_plan_build()
 * does this itself. */
int fixup_plan_finalize(struct fixup_plan *p);

/* True when the plan has a blocking problem not covered by --force. */
bool fixup_plan_blocked(const struct fixup_plan *p);

/* Text rendering: each op with its origin, registry diffs in .reg style,
 * text files as unified diffs. */
int fixup_plan_print(const struct fixup_plan *p, FILE *out);

/* ---- helpers shared by plan-*.c and apply.c ----------------------------- */

int fixup_plan_add_op(struct fixup_plan *p, enum fixup_op_kind kind,
                      const char *path, const char *origin,
                      struct fixup_op **ret);
int fixup_plan_add_problem(struct fixup_plan *p, const char *origin,
                           bool blocking, const char *hint, const char *fmt,
                           ...) _printf_(5, 6);
int fixup_plan_warn(struct fixup_plan *p, const char *fmt, ...) _printf_(2, 3);
int fixup_plan_note(struct fixup_plan *p, const char *fmt, ...) _printf_(2, 3);
int fixup_plan_record(struct fixup_plan *p, const char *origin, const char *fmt,
                      ...) _printf_(3, 4);
/* The hive op for guest path (created on first use, with copies of the
 * hive fetched from the volume). */
int fixup_plan_hive_op(struct fixup_plan *p, struct fixup_volume *v,
                       const char *hive_name, const char *path,
                       const char *origin, struct fixup_op **ret);
/* The same, taking the "before" copy from host_copy (a private copy of the
 * same file made earlier, e.g. by inspection) instead of the volume. */
int fixup_plan_hive_op_from(struct fixup_plan *p, struct fixup_volume *v,
                            const char *hive_name, const char *path,
                            const char *origin, const char *host_copy,
                            struct fixup_op **ret);
/* Replace/create a text file: records old and new bytes; no-op when equal. */
int fixup_plan_write_file(struct fixup_plan *p, struct fixup_volume *v,
                          const char *path, const char *origin,
                          const char *summary, const void *data, size_t len);

/* Copies a guest file to a host temp file (for hivex). */
int fixup_fetch_file(struct fixup_volume *v, const char *path, size_t max,
                     const char *host_path);

#endif
