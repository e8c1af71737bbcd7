/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of Windows inspection (inspect-windows.c) kept in their own
 * files: the facts read from SYSTEM that name the machine and its drives
 * (inspect-drives.c).  Fact names: see engine/inspect.h.
 */
#ifndef IMGFIX_FIXUP_INSPECT_WINDOWS_H
#define IMGFIX_FIXUP_INSPECT_WINDOWS_H

#include "hive.h"
#include "util.h"
#include "image/volume.h"

/* os.hostname from the control set cs ("ControlSet001") of system; no
 * fact when neither value is there. */
int win_hostname_fact(struct hive *system, const char *cs,
                      struct util_strmap *facts);
/* windows.drive.<LETTER> for every \DosDevices\<LETTER>: of
 * SYSTEM\MountedDevices that names a partition of layout l. */
int win_drive_facts(struct hive *system, const struct fixup_disk_layout *l,
                    struct util_strmap *facts);

#endif
