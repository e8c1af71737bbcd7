/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hives read out of a Windows guest together with their transaction logs
 * (<hive>.LOG1, .LOG2, .LOG beside it, any letter case): the logs are
 * replayed into the private host copy (hive/recover.c), so that everything
 * imgfix reads is the registry Windows itself would load; and, when a fix
 * writes such a hive back, its logs are reset so that Windows can never
 * replay an old entry over the fixed primary.
 */
#ifndef IMGFIX_FIXUP_HIVE_LOGS_H
#define IMGFIX_FIXUP_HIVE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive.h"

struct fixup_volume;

/* The origin of the blocking problem "a hive to edit is dirty and its
 * logs cannot be replayed": --force dirty-hive goes ahead. */
#define FIXUP_PROBLEM_DIRTY_HIVE "dirty-hive"

struct fixup_hive_copy {
	struct hive_recovery rec;
	char **guest_logs; /* real-case guest paths of the non-empty logs */
};
void fixup_hive_copy_done(struct fixup_hive_copy *c);

/*
 * Copies the hive at guest path (real case) out of v into the new host
 * file host_path (at most max bytes) and, when it is dirty, replays its
 * transaction logs into host_path, reading them from the guest only as far
 * as their valid entries go.  ret (may be NULL) says what was found and
 * done.  Errors are those of copying the hive (set with fixup_set_error()
 * by the volume layer); unusable or unreadable logs are not errors, they
 * are named in ret->rec.problem / .detail.
 */
int fixup_hive_copy_out(struct fixup_volume *v, const char *path, size_t max,
                        const char *host_path, struct fixup_hive_copy *ret);

/* "SYSTEM hive /Windows/System32/config/SYSTEM: ..." warning for a dirty
 * hive whose logs could not be replayed (the stale primary is read), an
 * info line (-v) for a recovered one.  what: "SYSTEM". */
void fixup_hive_copy_log(const struct fixup_hive_copy *c, const char *what,
                         const char *path);

/* The non-empty transaction logs beside the guest hive path (real-case
 * paths, NULL-terminated). */
int fixup_hive_guest_logs(struct fixup_volume *v, const char *path,
                          char ***ret);

/* The guest path's header says the primary is dirty: 1, clean: 0. */
int fixup_hive_guest_dirty(struct fixup_volume *v, const char *path);

/* The bytes a transaction log gets when its primary is written clean; the
 * old log is not read whole (its size and base block are enough): old is
 * NULL, old_len its size. */
struct fixup_hive_log_reset {
	uint8_t *old, *data; /* data is NUL-terminated (WRITE_FILE ops) */
	size_t old_len, len;
};

/*
 * The reset of the guest log (path on v) for the committed clean hive in
 * the host file primary: hive_log_reset() of its base block.  1 and *ret
 * filled (malloc'd, the caller's) when the log changes, 0 when it already
 * holds exactly that; errors are logged.
 */
int fixup_hive_log_reset(struct fixup_volume *v, const char *log,
                         const char *primary, struct fixup_hive_log_reset *ret);

#endif
