/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations of the guestfs backend, shared by its files:
 * volume-guestfs.c (the handle: open, discovery, layout, the image source
 * table), volume-guestfs-launch.c (starting the appliance, KVM then TCG),
 * volume-guestfs-dev.c (errors, mounting, raw device I/O) and
 * volume-guestfs-fs.c (the volume operations and commands inside the
 * guest).  <guestfs.h> is included by
 * these files and guestfs-dl.{h,c} only.
 */
#ifndef IMGFIX_FIXUP_VOLUME_GUESTFS_INTERNAL_H
#define IMGFIX_FIXUP_VOLUME_GUESTFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/guestfs-dl.h"
#include "image/volume-guestfs.h"

#define GFS_CHUNK (1024u * 1024) /* pread / small write limit */
#define GFS_MAX_FILESYSTEMS FIXUP_MAX_PARTITIONS
#define GFS_MAX_MOUNTPOINTS 64u
#define GFS_LAUNCH_STEPS 12u /* libguestfs reports launch in 12ths */
#define GFS_TCG_SETTING "force_tcg"
/* A KVM launch taking longer than this is taken as KVM not working (nested
 * virt can leave qemu spinning instead of failing); TCG is tried next.
 * $IMGFIX_GUESTFS_KVM_TIMEOUT (seconds) overrides it. */
#define GFS_KVM_TIMEOUT_S 60u

struct fixup_guestfs {
	guestfs_h *g;
	char *path;
	char **more; /* further disks of the guest */
	char *format;
	bool writable;
	unsigned flags;
	char **devices; /* mountables, as guestfs_list_filesystems says */
	char **fstypes;
	size_t n;
	char **roots;    /* guestfs_inspect_os() */
	char *disk;      /* the image's whole-disk device ("/dev/sda") */
	ssize_t mounted; /* filesystem mounted at "/", -1 none */
	/* Writable handles: the appliance writes a qcow2 overlay per disk
	 * (overlays[i] over disk i, in the private directory tmpdir); the
	 * disks are written at commit (fixup_guestfs_commit()). */
	char *tmpdir;
	char **overlays;
	struct util_progress *progress;
};

struct gfs_vol {
	struct fixup_guestfs *gfs;
	size_t index;
};

/* ---- volume-guestfs-dev.c ---------------------------------------------------
 */

/* Records "image (guestfs): what path: libguestfs message" and returns
 * -errno of the failed call; -ENOENT, -EEXIST and -ENOTDIR are returned
 * without a detail (ordinary answers). */
int gfs_fail(struct fixup_guestfs *f, const char *what, const char *path);
/* Mounts filesystem i at "/" (with its fstab submounts when it is an OS
 * root), unless it is mounted already. */
int gfs_mount(struct fixup_guestfs *f, size_t i);
/* Raw I/O on device dev, in chunks the protocol carries; writes need a
 * writable handle (-EROFS). */
int gfs_device_io(struct fixup_guestfs *f, const char *dev, bool write,
                  uint64_t off, void *buf, size_t len);

/* ---- volume-guestfs-launch.c -------------------------------------------- */

/* Creates f->g for f->path and launches the appliance: KVM first (with a
 * watchdog), TCG when KVM does not work.  -ENXIO when none starts. */
int gfs_launch(struct fixup_guestfs *f);
/* Removes the overlays and their directory (nothing when there are none). */
void gfs_overlays_remove(struct fixup_guestfs *f);

#endif
