/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix batch`: many images, one `imgfix fix --json` child each.  This
 * header is the data part (fixup/engine/batch.c): the manifest (JSON or one
 * image per line), the journal check that skips images already fixed, reading a
 * child's report, and the summary as JSON and as a self-contained HTML
 * page.  The process pool is in fixup/cli/cmd-batch.c.
 *
 * JSON manifest:
 *   {"defaults": {"rules": [...], "drivers": [...], "patch_cache": "DIR",
 *                 "root": "ROOT", "force": [...]},
 *    "images": [{"image": "PATH", "rules": [...], "drivers": [...],
 *                "patch_cache": "DIR", "backup": "DIR", "root": "ROOT",
 *                "force": [...]}, ...]}
 * An image's lists replace the defaults' lists.
 *
 * Text manifest: one image per line followed by `imgfix fix` options
 * (-r/--rules, -d/--drivers, -p/--patch-cache, --backup, --root, --force),
 * words split on blanks, "double quotes" and backslash escapes for paths
 * with blanks, '#' starts a comment.  A line that starts with an option
 * sets the defaults for the lines after it.
 *
 * Relative image, backup, driver-store, patch-cache and rule-file paths
 * (a rule entry with a '/' or ending in ".xml") are relative to the
 * manifest's directory; a bare rule name is a shipped set.
 */
#ifndef IMGFIX_FIXUP_BATCH_H
#define IMGFIX_FIXUP_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define BATCH_MANIFEST_MAX (16u * 1024 * 1024) /* bytes */
#define BATCH_REPORT_MAX (64u * 1024 * 1024)   /* bytes of one report */
#define BATCH_JOURNAL_MAX (64u * 1024 * 1024)  /* bytes of journal.json */
#define BATCH_MAX_IMAGES 100000u
#define BATCH_MAX_LIST 1024u       /* entries of one rules/drivers/force list */
#define BATCH_MAX_WORD 4096u       /* bytes of one path or name */
#define BATCH_MAX_ITEMS_SHOWN 200u /* problems/rules kept per image */
#define BATCH_MAX_JOBS 256u
#define BATCH_JSON_DEPTH 32 /* nesting of a manifest, journal, report */

struct batch_item {
	char *image; /* resolved path */
	char **rules, **drivers, **force;
	char *patch_cache, *backup, *root;
	unsigned line; /* text: line number; JSON: index + 1 */
};

struct batch_manifest {
	char *path;
	struct batch_item *items;
	size_t n_items;
};

void batch_manifest_done(struct batch_manifest *m);
/*
 * Reads a manifest (JSON when its first non-blank byte is '{', text
 * otherwise).  On failure returns -errno and, for bad content (-EINVAL,
 * -E2BIG, -EFBIG), a message naming the file and the line or entry in
 * *ret_error (malloc'd).
 */
int batch_manifest_load(const char *path, struct batch_manifest *ret,
                        char **ret_error);

/* The backup directory of an item: its "backup", else IMAGE.imgfix. */
char *batch_item_backup_dir(const struct batch_item *it);
/*
 * argv of the child, "imgfix [-v...] --quiet fix --json OPTIONS IMAGE",
 * NULL-terminated; argv[0] is "imgfix".
 */
int batch_item_argv(const struct batch_item *it, int verbose, char ***ret);
/*
 * The "state" of DIR/journal.json: 0 and *ret_state (malloc'd) when the
 * journal exists and is readable; -ENOENT when there is none; -EBADMSG
 * when it is damaged.
 */
int batch_journal_state(const char *dir, char **ret_state);

enum batch_status {
	BATCH_PENDING,
	BATCH_FIXED,
	BATCH_NOTHING, /* nothing to do */
	BATCH_SKIPPED, /* already fixed: journal complete */
	BATCH_BLOCKED,
	BATCH_FAILED,
};

const char *batch_status_name(enum batch_status s);
/* Fixed, nothing to do and skipped count as success. */
bool batch_status_ok(enum batch_status s);

struct batch_result {
	enum batch_status status;
	int exit_code; /* of the child; -1 not run or killed */
	int signal;    /* that killed the child, 0 if none */
	double seconds;
	char *report;    /* path of the child's JSON report (stdout) */
	char *log;       /* path of the child's messages (stderr) */
	char *reason;    /* one line on why it failed / was skipped */
	char *guest;     /* os.product from the report's facts */
	char **rules;    /* rules of the plan ("set/rule") */
	char **missing;  /* blocking problems: "message (hint)" */
	char **warnings; /* other problems and warnings */
};

void batch_result_done(struct batch_result *r);
/*
 * Fills r from the child's exit (exit_code/signal already set) and its
 * report and log files.  Never fails on a bad report: that makes the
 * image "failed" with a reason.  Returns 0 or -ENOMEM.
 */
int batch_result_read(struct batch_result *r);

/* Summary as JSON ({"manifest", "total", "counts", "images": [...]}). */
int batch_summary_json(const struct batch_manifest *m,
                       const struct batch_result *res, const char *path);
/*
 * Summary as one self-contained HTML page (inline CSS, no scripts), every
 * string from reports escaped.  Report links are relative to the page's
 * directory when the reports are there, absolute file:// URLs otherwise.
 */
int batch_summary_html(const struct batch_manifest *m,
                       const struct batch_result *res, const char *path);

#endif
