/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ntfs3g backend (volume-ntfs3g.c): NTFS at a partition's byte offset
 * of a raw image, through libntfs-3g with a device that does all I/O
 * through struct fixup_disk, no FUSE.  volume.c reaches it through this
 * table only (backends.c).
 */
#ifndef IMGFIX_FIXUP_VOLUME_NTFS3G_H
#define IMGFIX_FIXUP_VOLUME_NTFS3G_H

#include "image/volume-ops.h"

extern const struct fixup_backend fixup_backend_ntfs3g;

#endif
