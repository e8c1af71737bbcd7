/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations of the Windows planner: the state of one plan
 * build (plan-winctx.c) shared by plan-windows.c and plan-winboot.c.
 */
#ifndef IMGFIX_FIXUP_PLAN_WINDOWS_H
#define IMGFIX_FIXUP_PLAN_WINDOWS_H

#include "drivers.h"
#include "engine/plan.h"
#include "windows/family-windows.h"

struct rules_action;

/* State of one Windows plan build. */
struct win_ctx {
	const struct fixup_plan_input *in;
	struct fixup_plan *p;
	char *systemroot;         /* "/Windows" */
	const char *control_set;  /* "ControlSet001" */
	char *system_path;        /* real-case guest path of SYSTEM */
	char *software_path;      /* guest path of SOFTWARE */
	struct hive *system_ro;   /* original SYSTEM (private copy) */
	bool system_ro_borrowed;  /* system_ro is in->system_hive */
	struct hive *software_ro; /* original SOFTWARE, once needed */
	struct drivers_target target;
	bool driver_database;
	struct drivers_store *store;
	char **disabled;      /* services disabled so far */
	char **injected_boot; /* boot-critical services injected */
	char *device_path;    /* SOFTWARE DevicePath as the plan leaves it */
	bool device_path_read;
	bool no_software; /* the guest has no SOFTWARE hive */
};

int win_ctx_init(struct win_ctx *w, const struct fixup_plan_input *in,
                 struct fixup_plan *p);
void win_ctx_done(struct win_ctx *w);
/* A Windows path on v in the real case of its longest existing prefix. */
char *win_real_path(struct fixup_volume *v, const char *path);
/* The fact name of the guest being planned, or NULL. */
const char *win_fact(struct win_ctx *w, const char *name);
/* Guest path under the systemroot, real case where it exists. */
char *win_path(struct win_ctx *w, const char *rel);
/* The SYSTEM / SOFTWARE hive edits of the plan (one op per hive). */
int win_system_edits(struct win_ctx *w, const char *origin,
                     struct hive_edits **ret);
int win_software_edits(struct win_ctx *w, const char *origin,
                       struct hive_edits **ret);
int win_action(struct win_ctx *w, const struct rules_action *a,
               const char *origin);
/* 1 when w->target.arch is known; else a blocking problem naming os.arch
 * is added for what (an action that depends on the architecture) and 0
 * is returned.  -ENOMEM. */
int win_need_arch(struct win_ctx *w, const char *origin, const char *what);
/* Boot configuration and patch-cache actions (plan-winboot.c). */
int win_boot_action(struct win_ctx *w, const struct rules_action *a,
                    const char *origin);

#endif
