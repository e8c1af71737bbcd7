/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal of a fix, kept in the backup directory (default IMAGE.imgfix/
 * beside the image): what the fix touches, the original bytes needed to undo
 * it, and how far it got.
 *
 *   journal.json   state, image identity, one record per touched file
 *   undo.log       raw-image road: original bytes of every changed extent
 *                  (fixup/image/disk.c) — restores the image byte for byte
 *   files/NNNN     dir road: the original content of each touched file
 *
 * States: "prepared" (originals saved, nothing written yet), "applying"
 * (writes under way), "complete" (written and verified), "rolled-back".
 * The journal is rewritten atomically (temp + fsync + rename) at each step.
 */
#ifndef IMGFIX_FIXUP_JOURNAL_H
#define IMGFIX_FIXUP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define JOURNAL_FILE "journal.json"
#define JOURNAL_UNDO "undo.log"
#define JOURNAL_MAX_SIZE (64u * 1024 * 1024)
#define JOURNAL_MAX_FILES 100000

struct journal_file {
	char *path;      /* guest path */
	unsigned volume; /* partition index of the volume it is on */
	bool existed;    /* the file existed before the fix */
	char *backup;    /* "files/0001" (dir road), NULL otherwise */
	char sha_before[UTIL_SHA256_HEX_LEN + 1]; /* "" when !existed */
	char sha_after[UTIL_SHA256_HEX_LEN + 1];  /* "" when removed */
	bool removed;                             /* the fix removes it */
	char *link; /* it was a symlink to this (dir road), else NULL */
};

struct journal {
	char *dir;          /* the backup directory */
	char *state;        /* see above */
	char *image;        /* absolute path of the image, or its NBD URI */
	char **disks;       /* the guest's other disks (guestfs road) */
	char *image_format; /* "raw", "qcow2", ... (NULL in old journals:
	                     * raw); rollback opens the image with it */
	uint64_t image_size;
	char *backend; /* "ntfs3g", "dir", ... */
	char *root;    /* the guest root volume ("partition 2") */
	char *created; /* ISO 8601 UTC */
	bool undo_log; /* undo.log is the way back */
	struct journal_file *files;
	size_t n_files;
	char **created_dirs; /* directories the fix created, in order */
};

void journal_done(struct journal *j);
/* Reads dir/journal.json.  -ENOENT when there is none; -EBADMSG (with a
 * log message naming the file) when it is damaged. */
int journal_load(const char *dir, struct journal *ret);
/* Writes dir/journal.json atomically. */
int journal_save(const struct journal *j);
int journal_set_state(struct journal *j, const char *state);
int journal_add_file(struct journal *j, const char *path,
                     struct journal_file **ret);
/* The default backup directory of an image: "IMAGE.imgfix".  NULL (and
 * an error logged) for an NBD URI: it needs --backup. */
char *journal_default_dir(const char *image);

#endif
