/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports of plan/fix/rollback: JSON for pipelines (stable: no temp paths,
 * no times in the plan part, so tests keep golden copies) and text for
 * admins.
 */
#ifndef IMGFIX_FIXUP_REPORT_H
#define IMGFIX_FIXUP_REPORT_H

#include <stdio.h>

#include "engine/apply.h"
#include "engine/session.h"

struct fixup_report {
	const struct fixup_session *session;
	const char *command; /* "plan", "fix" */
	const char *status;  /* "planned", "fixed", "blocked", "failed",
	                        "nothing-to-do" */
	const struct fixup_apply_result *applied; /* NULL unless fixed */
	const char *backend;
};

/* The whole report as JSON (malloc'd, pretty-printed). */
int fixup_report_json(const struct fixup_report *r, char **ret);
/* The plan part only (ops, problems, warnings, rules): golden-file form. */
int fixup_plan_json(const struct fixup_plan *p, char **ret);
/* Human summary. */
int fixup_report_text(const struct fixup_report *r, FILE *out);

#endif
