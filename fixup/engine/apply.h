/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a plan with a journal, and rolling it back (see journal.h for the
 * files and ARCHITECTURE.md for the guarantees).  On a raw image every write
 * lands in the disk overlay first (fixup/image/disk.c) and reaches the image
 * only at commit, after the undo log is safe; on a directory every original is
 * copied into the journal before the first write.
 */
#ifndef IMGFIX_FIXUP_APPLY_H
#define IMGFIX_FIXUP_APPLY_H

#include "engine/journal.h"
#include "engine/plan.h"

struct fixup_image;
struct fixup_volume;

struct fixup_apply_result {
	char *backup_dir;
	unsigned files_written;
	unsigned files_removed;
	unsigned extents; /* raw road: extents committed */
};
void fixup_apply_result_done(struct fixup_apply_result *r);

/*
 * Applies p to the guest on root (a volume of img opened for writing),
 * journalling into backup_dir (created; must not hold a journal that is
 * not rolled back).  Stops at the first failure; the journal then says how
 * to get back (imgfix rollback).
 */
int fixup_apply(struct fixup_image *img, struct fixup_volume *root,
                const struct fixup_plan *p, const char *backup_dir,
                struct fixup_apply_result *ret);

/*
 * Puts back every byte the fix in backup_dir changed.  Refuses (-ESTALE)
 * when the image changed after the fix, unless force.  Returns 1 when there
 * was nothing to undo (never applied / already rolled back), 0 when it
 * restored, -errno on failure (with a logged message).
 */
int fixup_rollback(const char *image, const char *backup_dir, bool force,
                   char *const *keys);

#endif
