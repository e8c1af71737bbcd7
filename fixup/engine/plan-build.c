/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fixup_plan_build(): the planner of the guest's family (os.family, through
 * the family table of engine/family.h) turns the actions into ops, then the
 * plan is finalised (plan.c).  Kept apart from plan.c, whose helpers the
 * OS planners call, so that the engine and the OS modules form no circle.
 */
#include "engine/family.h"
#include "engine/plan.h"
#include "util.h"

int
fixup_plan_build(const struct fixup_plan_input *in, struct fixup_plan *ret)
{
	struct fixup_plan p = {0};
	const char *family = util_strmap_get(in->facts, "os.family");
	const struct fixup_family *f = fixup_family_find(family);
	int r;

	if (f)
		r = f->plan(in, &p);
	else
		r = log_error_errno(-EOPNOTSUPP,
		                    "Don't know how to fix a guest of family "
		                    "'%s'.",
		                    family ? family : "(unknown)");
	util_log_phase("plan: ops");
	if (r >= 0)
		r = fixup_plan_finalize(&p);
	util_log_phase("plan: finalize");
	if (r < 0) {
		fixup_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}
