/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libguestfs, loaded on first use.  imgfix does not link libguestfs (it
 * pulls in some 55 shared libraries: libvirt, gnutls, glib, krb5 ...,
 * which cost every run several milliseconds of startup); the guestfs
 * backend (volume-guestfs.c) calls fixup_guestfs_dl_open() before it
 * creates a handle and then calls libguestfs through the sym_guestfs_*
 * pointers below, one per function it uses.  <guestfs.h> gives the
 * prototypes only; nothing here needs libguestfs at link time.
 *
 * Included by volume-guestfs.c and guestfs-dl.c only (and the test of
 * this file), like <guestfs.h> itself.
 */
#ifndef IMGFIX_FIXUP_GUESTFS_DL_H
#define IMGFIX_FIXUP_GUESTFS_DL_H

#include <guestfs.h>

/* The library dlopen()ed (the soname of Debian's libguestfs0). */
#define FIXUP_GUESTFS_DL_LIBRARY "libguestfs.so.0"
/* When set (and the process is not set-uid), the file name or path
 * dlopen()ed instead: the tests point it at a missing file or at a library
 * without the symbols to exercise the failure path. */
#define FIXUP_GUESTFS_DL_ENV "IMGFIX_LIBGUESTFS"

/*
 * Every libguestfs function volume-guestfs.c calls.  A call of a function
 * not listed here does not link: add it to the list.
 */
#define FIXUP_GUESTFS_DL_SYMBOLS(X)        \
	X(guestfs_add_drive_opts)          \
	X(guestfs_blockdev_getsize64)      \
	X(guestfs_close)                   \
	X(guestfs_command)                 \
	X(guestfs_create)                  \
	X(guestfs_cryptsetup_open)         \
	X(guestfs_disk_create)             \
	X(guestfs_free_partition_list)     \
	X(guestfs_free_statns)             \
	X(guestfs_inspect_get_mountpoints) \
	X(guestfs_inspect_os)              \
	X(guestfs_is_dir_opts)             \
	X(guestfs_is_file_opts)            \
	X(guestfs_last_errno)              \
	X(guestfs_last_error)              \
	X(guestfs_launch)                  \
	X(guestfs_list_devices)            \
	X(guestfs_list_filesystems)        \
	X(guestfs_list_partitions)         \
	X(guestfs_ln_s)                    \
	X(guestfs_ls)                      \
	X(guestfs_lstatns)                 \
	X(guestfs_lvm_scan)                \
	X(guestfs_mkdir)                   \
	X(guestfs_mount)                   \
	X(guestfs_mount_ro)                \
	X(guestfs_part_get_bootable)       \
	X(guestfs_part_get_disk_guid)      \
	X(guestfs_part_get_gpt_guid)       \
	X(guestfs_part_get_gpt_type)       \
	X(guestfs_part_get_mbr_id)         \
	X(guestfs_part_get_parttype)       \
	X(guestfs_part_list)               \
	X(guestfs_pread)                   \
	X(guestfs_pread_device)            \
	X(guestfs_pwrite_device)           \
	X(guestfs_read_file)               \
	X(guestfs_readlink)                \
	X(guestfs_rename)                  \
	X(guestfs_rm)                      \
	X(guestfs_rmdir)                   \
	X(guestfs_set_backend_settings)    \
	X(guestfs_set_error_handler)       \
	X(guestfs_set_event_callback)      \
	X(guestfs_set_trace)               \
	X(guestfs_set_verbose)             \
	X(guestfs_shutdown)                \
	X(guestfs_statns)                  \
	X(guestfs_sync)                    \
	X(guestfs_umount_all)              \
	X(guestfs_upload)                  \
	X(guestfs_vfs_label)               \
	X(guestfs_vfs_type)                \
	X(guestfs_vfs_uuid)                \
	X(guestfs_write)

/* extern typeof(guestfs_create) *sym_guestfs_create; and so on: NULL until
 * fixup_guestfs_dl_open() succeeded, then the library's functions with
 * their <guestfs.h> prototypes (variadic ones included). */
#define FIXUP_GUESTFS_DL_DECLARE(f) extern typeof(f) *sym_##f;
FIXUP_GUESTFS_DL_SYMBOLS(FIXUP_GUESTFS_DL_DECLARE)
#undef FIXUP_GUESTFS_DL_DECLARE

/*
 * dlopen()s libguestfs and resolves every symbol above, once per process
 * (thread-safe; later calls return 0 at once).  All or nothing: on failure
 * every sym_guestfs_* pointer stays NULL, the error detail
 * (fixup_error_detail()) says which library or symbol is missing and what
 * to install, and the next call tries again.
 * Errors: -EOPNOTSUPP (libguestfs missing, or too old for a symbol).
 */
int fixup_guestfs_dl_open(void);

#endif
