/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest families the engine knows (engine/family.h), in the order their
 * inspectors run on each volume.  The only file that names them.
 */
#include "engine/family.h"
#include "linux/family-linux.h"
#include "util.h"
#include "windows/family-windows.h"

static const struct fixup_family *const families[] = {
        &fixup_family_windows,
        &fixup_family_linux,
};

size_t
fixup_families_count(void)
{
	return ELEMENTSOF(families);
}

const struct fixup_family *
fixup_families_get(size_t i)
{
	return i < ELEMENTSOF(families) ? families[i] : NULL;
}

const struct fixup_family *
fixup_family_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(families); i++)
		if (streq(families[i]->name, name))
			return families[i];
	return NULL;
}
