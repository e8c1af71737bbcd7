/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Committing a qcow2 overlay into the image it is backed by, through the
 * raw road's overlay and undo log (disk.h).  The guestfs road gives the
 * appliance a fresh qcow2 overlay per disk instead of the disk itself
 * (volume-guestfs-launch.c), so the images are untouched until the
 * commit; the commit copies what the overlay's top layer holds into a
 * struct fixup_disk over the image and commits that, so the undo log,
 * rollback and the kill-at-any-write-point guarantees are the raw road's.
 *
 * The extents come from `qemu-img map --output=json` ("depth": 0 = the top
 * layer), whose output is taken as hostile: every extent is checked
 * against the disk's size.
 */
#ifndef IMGFIX_FIXUP_QCOW2_MERGE_H
#define IMGFIX_FIXUP_QCOW2_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fixup_disk;

/* Largest `qemu-img map` output read, and most extents accepted. */
#define FIXUP_MERGE_MAP_MAX (64u * 1024 * 1024)
#define FIXUP_MERGE_EXTENTS_MAX (1024u * 1024)

struct fixup_merge_extent {
	uint64_t start, length;
	bool zero; /* reads as zeros: written as zeros */
};

/*
 * Parses `qemu-img map --output=json` output (len bytes at json, of the
 * overlay named path in messages) and returns the extents of the top
 * layer ("depth": 0), in order.  Every extent must lie inside disk_size,
 * extents must not overlap, and each must have integer "start", "length"
 * and "depth": -EBADMSG with a detail otherwise.  *ret is NULL when
 * there are none.
 */
int fixup_merge_parse_map(const char *path, const char *json, size_t len,
                          uint64_t disk_size, struct fixup_merge_extent **ret,
                          size_t *ret_n);

/*
 * The whole commit of one disk.  The overlay's top layer is mapped with
 * qemu-img, read through qemu-nbd (io-nbd.c) and kept in a sparse staging
 * file beside it (overlay + ".top", removed afterwards); then image
 * (format: qemu driver name, NULL = detected from its header) is opened
 * writable, the extents are staged in its struct fixup_disk
 * (fixup_disk_pwrite(): zero extents as zeros) and committed with the undo
 * log undo_path (fixup_disk_commit()).  The overlay and image sizes must
 * be equal.  Returns the number of extents written (0: the overlay changed
 * nothing, no undo log).
 */
int fixup_merge_commit(const char *image, const char *format,
                       const char *overlay, const char *undo_path);

/* The undo log of disk i of a guest, beside undo (the first disk's):
 * undo itself for disk 0, "undo.N" for the others.  NULL on OOM. */
char *fixup_merge_undo_path(const char *undo, size_t i);

#endif
