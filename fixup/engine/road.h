/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The road choice of every command that inspects an image: the direct road
 * (imgfix's own backends) first; when it finds no operating system and a
 * partition it cannot open holds what libguestfs opens (LVM2_member,
 * crypto_LUKS, btrfs, xfs, linux_raid_member ...), the guestfs road by
 * itself, saying so.  --backend direct keeps to the direct road (the error
 * names every partition and what it holds); --backend guestfs takes the
 * guestfs road at once.  Every guest gets the facts image.road ("direct"
 * or "guestfs") and, when the road was switched, image.road_reason.
 */
#ifndef IMGFIX_FIXUP_ROAD_H
#define IMGFIX_FIXUP_ROAD_H

#include "engine/inspect.h"
#include "image/volume.h"

/* Opens path with flags (FIXUP_OPEN_GUESTFS / FIXUP_OPEN_DIRECT as the
 * user chose) and inspects it.  On success *ret_img holds the image,
 * *ret_guests the *ret_n guests.  Errors are those of
 * fixup_image_open_opts() and fixup_inspect(), with the detail
 * (fixup_error_detail()) naming the partitions seen. */
int fixup_road_open_inspect(const char *path, unsigned flags,
                            const struct fixup_image_options *o,
                            struct fixup_image **ret_img,
                            struct fixup_guest **ret_guests, size_t *ret_n);

#endif
