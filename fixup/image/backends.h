/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of volume backends and image sources (backends.c): the one
 * place that names them, so that volume.c finds a backend by what it has
 * to open, never by calling it.  Adding a backend: its file(s) and header,
 * its struct fixup_backend, and a line in backends.c.
 */
#ifndef IMGFIX_FIXUP_BACKENDS_H
#define IMGFIX_FIXUP_BACKENDS_H

#include "image/volume-ops.h"

/* The backend whose fstypes holds fstype (libblkid TYPE, "dir"), or NULL
 * when none opens it (fstype NULL: NULL). */
const struct fixup_backend *fixup_backend_for(const char *fstype);

/* The image source named name ("guestfs"), or NULL. */
const struct fixup_source_ops *fixup_source_find(const char *name);

#endif
