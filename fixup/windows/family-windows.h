/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What windows/ offers the engine: the Windows guest family (inspection in
 * inspect-windows.c, planning in plan-windows.c), listed in families.c.
 */
#ifndef IMGFIX_FIXUP_FAMILY_WINDOWS_H
#define IMGFIX_FIXUP_FAMILY_WINDOWS_H

#include "engine/family.h"

extern const struct fixup_family fixup_family_windows;

/* The family's members (struct fixup_family for the contracts). */
int fixup_inspect_windows(struct fixup_volume *v, struct fixup_guest *g);
int fixup_plan_build_windows(const struct fixup_plan_input *in,
                             struct fixup_plan *p);

#endif
