/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The error side of image access: the distinct -errno codes a user must be
 * able to tell apart when opening and inspecting an image (FIXUP_E_*), and
 * the per-thread one-line detail that names the file and what is wrong.
 * The lowest file of fixup/image/: the generic volume layer, the probe and
 * every backend use it, and it uses none of them.
 */
#ifndef IMGFIX_FIXUP_ERROR_H
#define IMGFIX_FIXUP_ERROR_H

#include <errno.h>

/* ---- distinct errors of opening and inspecting (negative errno) --------- */

#define FIXUP_E_NOT_IMAGE (-EMEDIUMTYPE) /* not a raw disk image */
#define FIXUP_E_NO_PARTITIONS (-ENXIO)   /* no table, no filesystem */
#define FIXUP_E_BEYOND_EOF (-ERANGE)     /* partition past end of file */
#define FIXUP_E_NO_FILESYSTEM (-ENODEV)  /* nothing a backend opens */
#define FIXUP_E_HIBERNATED (-EPERM)      /* hiberfil.sys active */
#define FIXUP_E_UNCLEAN (-EUCLEAN)       /* dirty flag / $LogFile */
#define FIXUP_E_BITLOCKER (-ENOKEY)      /* "-FVE-FS-" boot sector */
#define FIXUP_E_NO_OS (-ENOMEDIUM)       /* no OS root found */
#define FIXUP_E_SYMLINK_ESCAPE (-EXDEV)  /* dir: link leads outside */

/* Explanation of the last failure of a fixup_* call in this thread, or
 * NULL.  Valid until the next fixup_* call that fails. */
const char *fixup_error_detail(void);
/* Records a detail message and returns r (negative errno). */
int fixup_set_error(int r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void fixup_clear_error(void);

#endif
