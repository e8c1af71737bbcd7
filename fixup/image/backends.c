/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The list of volume backends and image sources (backends.h).
 */
#include "util.h"
#include "image/backends.h"
#include "image/volume-dir.h"
#include "image/volume-ext.h"
#include "image/volume-guestfs.h"
#include "image/volume-ntfs3g.h"

static const struct fixup_backend *const backends[] = {
        &fixup_backend_ntfs3g,
        &fixup_backend_dir,
        &fixup_backend_ext,
};

static const struct fixup_source_ops *const sources[] = {
        &fixup_source_guestfs,
};

const struct fixup_backend *
fixup_backend_for(const char *fstype)
{
	if (!fstype)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(backends); i++)
		for (const char *const *t = backends[i]->fstypes; *t; t++)
			if (streq(*t, fstype))
				return backends[i];
	return NULL;
}

const struct fixup_source_ops *
fixup_source_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(sources); i++)
		if (streq(sources[i]->name, name))
			return sources[i];
	return NULL;
}
