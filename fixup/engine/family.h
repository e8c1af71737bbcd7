/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of guest families (windows/, linux/) behind the engine: what an
 * OS module offers, so that inspect.c and plan-build.c name no OS.  The
 * families are listed in fixup/families.c, the one file that knows them;
 * each OS module defines its struct fixup_family and declares it in its
 * family-<os>.h.  Adding a family: its folder, its struct, a line in
 * families.c.
 *
 * Rules: an OS module includes engine headers (inspect.h, plan.h, this
 * one) and image/volume.h, never another OS module's headers; the engine
 * never includes an OS module's header (tests/check-layering.py).
 */
#ifndef IMGFIX_FIXUP_FAMILY_H
#define IMGFIX_FIXUP_FAMILY_H

#include <stddef.h>

struct fixup_volume;
struct fixup_guest;
struct fixup_plan;
struct fixup_plan_input;

struct fixup_family {
	/* The value of the os.family fact its inspector sets ("windows"). */
	const char *name;
	/* Inspects one volume: 1 when it holds an OS root of this family
	 * (g->facts filled, os.family = name), 0 when not, -errno on
	 * failure (with fixup_error_detail() naming the file). */
	int (*inspect)(struct fixup_volume *v, struct fixup_guest *g);
	/* Turns in->actions into ops and problems in p (empty on entry,
	 * finalised by the caller).  0, or -errno on failure; a fact it
	 * cannot know is a blocking problem in p, not an error. */
	int (*plan)(const struct fixup_plan_input *in, struct fixup_plan *p);
};

/* The families in the order their inspectors run (families.c). */
size_t fixup_families_count(void);
const struct fixup_family *fixup_families_get(size_t i);
/* The family named name (an os.family value), or NULL (name NULL: NULL). */
const struct fixup_family *fixup_family_find(const char *name);

#endif
