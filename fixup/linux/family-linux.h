/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What linux/ offers the engine: the Linux guest family (inspection in
 * inspect-linux.c, planning in plan-linux.c), listed in families.c.
 */
#ifndef IMGFIX_FIXUP_FAMILY_LINUX_H
#define IMGFIX_FIXUP_FAMILY_LINUX_H

#include "engine/family.h"

extern const struct fixup_family fixup_family_linux;

/* The family's members (struct fixup_family for the contracts). */
int fixup_inspect_linux(struct fixup_volume *v, struct fixup_guest *g);
int fixup_plan_build_linux(const struct fixup_plan_input *in,
                           struct fixup_plan *p);

#endif
