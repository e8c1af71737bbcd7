/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dir backend (volume-dir.c): a host directory tree as a volume, every
 * path resolved inside the root.  volume.c reaches it through this table
 * only (backends.c); it opens layouts whose fstype is "dir".
 */
#ifndef IMGFIX_FIXUP_VOLUME_DIR_H
#define IMGFIX_FIXUP_VOLUME_DIR_H

#include "image/volume-ops.h"

extern const struct fixup_backend fixup_backend_dir;

#endif
