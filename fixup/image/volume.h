/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The volume layer of fixup/: an "image" (a raw disk image file, a block
 * device or a host directory) is opened, its partitions are enumerated
 * (fixup/image/probe.c, libblkid) and a partition is opened as a "volume"
 * through one of the backends behind struct fixup_volume_ops:
 *
 *   ntfs3g  (volume-ntfs3g.c)  NTFS at the partition's byte offset of the
 *                              image file, through libntfs-3g, no FUSE;
 *   dir     (volume-dir.c)     a host directory tree, every path resolved
 *                              inside the root;
 *   ext     (volume-ext.c)     ext2/3/4 at the partition's byte offset,
 *                              through libext2fs;
 *   guestfs (volume-guestfs.c) anything a libguestfs appliance opens
 *                              (qcow2, vmdk, vhd(x), LVM, LUKS, xfs, btrfs).
 *
 * The backends are reached through the tables of volume-ops.h, listed in
 * backends.c; each backend's own header (volume-<name>.h) is for its tests.
 *
 * Paths given to fixup_volume_*() are relative to the volume root, with
 * '/' or '\\' as separators; a leading separator is optional.  "." and ".."
 * components are refused (-EINVAL): the layer never walks upwards on behalf
 * of a caller.  Names are matched exactly by the backends; use
 * fixup_volume_lookup() to resolve Windows paths case-insensitively first.
 *
 * Errors are -errno.  The open/inspect errors that a user must be able to
 * tell apart have their own codes (FIXUP_E_* below); whenever a function
 * fails with a specific reason it also leaves a one-line explanation in
 * fixup_error_detail() (per thread) naming the file and what is wrong.
 */
#ifndef IMGFIX_FIXUP_VOLUME_H
#define IMGFIX_FIXUP_VOLUME_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/error.h"

/* ---- limits (everything read from an image is hostile) ------------------ */

#define FIXUP_SECTOR_SIZE 512u
#define FIXUP_MAX_PARTITIONS 256u
#define FIXUP_MAX_PATH 4096u
#define FIXUP_MAX_NAME 255u                 /* bytes of UTF-8 per component */
#define FIXUP_MAX_DIR_ENTRIES 1000000u      /* entries listed per directory */
#define FIXUP_MAX_SYMLINKS 40u              /* dir backend: links per lookup */
#define FIXUP_RAW_REGION_MAX (1024u * 1024) /* raw I/O: first MiB only */

/* ---- disk layout -------------------------------------------------------- */

enum fixup_disk_style {
	FIXUP_DISK_NONE, /* no partition table: whole disk, or a directory */
	FIXUP_DISK_MBR,
	FIXUP_DISK_GPT,
};

struct fixup_partition {
	unsigned number; /* as in the table (1-based); 0 = whole disk */
	uint64_t start;  /* bytes from the start of the image */
	uint64_t size;   /* bytes */
	char *type;      /* MBR "0x07"; GPT type GUID, upper case */
	char *uuid;      /* GPT partition GUID, upper case; NULL on MBR */
	char *fstype;    /* libblkid TYPE ("ntfs", "vfat", ...) or NULL;
	                  * "dir" for a directory image */
	char *label;     /* filesystem label or NULL */
	char *fsuuid;    /* filesystem UUID (libblkid) or NULL */
	bool bootable;   /* MBR active flag */
	bool esp;        /* EFI system partition */
};

struct fixup_disk_layout {
	enum fixup_disk_style style;
	uint32_t mbr_signature; /* MBR disk signature (offset 0x1B8) */
	char *gpt_guid;         /* GPT disk GUID, upper case; NULL on MBR */
	uint64_t size;          /* image size in bytes */
	struct fixup_partition *parts;
	size_t n_parts;
};

const char *fixup_disk_style_to_string(enum fixup_disk_style s);

/* ---- images ------------------------------------------------------------- */

struct fixup_image;
struct fixup_volume;
struct fixup_disk;

enum fixup_open_flags {
	FIXUP_OPEN_WRITE = 1 << 0, /* open the file and volumes read-write */
	/* Read-only opens only: open hibernated / unclean NTFS anyway (the
	 * data may be stale).  Never honoured for writing. */
	FIXUP_OPEN_ALLOW_UNCLEAN = 1 << 1,
	FIXUP_OPEN_VERBOSE = 1 << 2, /* let libntfs-3g print its messages */
	/* Open through libguestfs (volume-guestfs.c) whatever the image. */
	FIXUP_OPEN_GUESTFS = 1 << 3,
	/* Never fall back to libguestfs (the direct road or an error). */
	FIXUP_OPEN_DIRECT = 1 << 4,
	/* Writable NTFS opens: a $LogFile that is not clean (Windows was not
	 * shut down cleanly) is reset as ntfs-3g's mount does by default, and
	 * the volume marked for chkdsk at the next boot (a volume marked so
	 * already is accepted); like every write, both are in the overlay and
	 * the undo log.  `--force ntfs-journal`. */
	FIXUP_OPEN_RESET_JOURNAL = 1 << 5,
};

/* The --force word that sets FIXUP_OPEN_RESET_JOURNAL. */
#define FIXUP_FORCE_NTFS_JOURNAL "ntfs-journal"

/* What only the guestfs road needs. */
struct fixup_image_options {
	const char *format; /* "qcow2", "vmdk", "raw" ...; NULL = detect */
	/* LUKS keys, (selector, passphrase) pairs: the selector is a device
	 * as libguestfs names it ("/dev/sda2"), the LUKS UUID, or "all". */
	char *const *keys;
	/* More disk images of the same guest (md, LVM over several disks):
	 * added to the appliance after path, on the guestfs road only. */
	char *const *more_disks;
};

/*
 * Opens path: a directory (dir backend, one pseudo partition number 0 with
 * fstype "dir"), or a raw image file / block device whose partitions are
 * probed with libblkid.  A file without a partition table but with a
 * filesystem at offset 0 gives one pseudo partition number 0.
 * Errors: FIXUP_E_NOT_IMAGE (smaller than a sector, qcow2/vmdk/vhd(x)),
 * FIXUP_E_NO_PARTITIONS, FIXUP_E_BEYOND_EOF, -errno from open().
 * Read-only opening never writes a byte to the image.  The direct road
 * only, unless flags has FIXUP_OPEN_GUESTFS (see fixup_image_open_opts()
 * for the automatic choice).
 */
int fixup_image_open(const char *path, unsigned flags,
                     struct fixup_image **ret);
/*
 * fixup_image_open() with the guestfs road: with FIXUP_OPEN_GUESTFS, or
 * automatically (unless FIXUP_OPEN_DIRECT) when the direct road finds a
 * qcow2/vmdk/vhd(x)/vdi image or a raw image none of whose partitions it
 * can open but one holds LVM, LUKS, xfs or btrfs, the image is opened by a
 * libguestfs appliance (fixup_guestfs_open(), volume-guestfs.h): its
 * layout is what libguestfs sees, volumes are guestfs volumes, and writes
 * reach the image directly (no overlay, no undo log: callers journal whole
 * files, as for directories).  o may be NULL.
 */
int fixup_image_open_opts(const char *path, unsigned flags,
                          const struct fixup_image_options *o,
                          struct fixup_image **ret);
/* The guest's other disks given at open (guestfs road), or NULL. */
char *const *fixup_image_more_disks(const struct fixup_image *img);
/* True when img was opened through libguestfs. */
bool fixup_image_is_guestfs(const struct fixup_image *img);
/* Format of the image's bytes: "raw", "qcow2", "vmdk", "vhdx", "vpc",
 * "vdi", "nbd" (an NBD URI), "dir"; on the guestfs road the format given
 * to the appliance ("auto" when it probed). */
const char *fixup_image_format(const struct fixup_image *img);
/*
 * Syncs and closes every volume opened on img (unmounting NTFS); returns
 * the first error.  img stays valid (volumes must be reopened).  On a raw
 * image this flushes the volumes into the disk overlay only
 * (fixup/image/disk.h): nothing reaches the image before fixup_image_commit().
 */
int fixup_image_close_volumes(struct fixup_image *img);
/*
 * Closes every volume and writes what they changed to the image: raw
 * images commit the disk overlay, with an undo log at undo_path (NULL: no
 * undo log — only for callers that keep their own backup) and read-back
 * verification; directory images have written already; the guestfs
 * road shuts the appliance down and commits its qcow2 overlays the raw
 * way, one undo log per disk (fixup_guestfs_commit(), after which no
 * volume opens).  Returns the number of extents written (0 for
 * directories).
 */
int fixup_image_commit(struct fixup_image *img, const char *undo_path);
/* The raw image under img (NULL for directories): every direct backend
 * does its I/O through it. */
struct fixup_disk *fixup_image_disk(struct fixup_image *img);
/* Closes remaining volumes (errors ignored: call close_volumes first when
 * writing) and frees img.  Accepts NULL, returns NULL. */
struct fixup_image *fixup_image_free(struct fixup_image *img);
static inline void
fixup_image_freep(struct fixup_image **p)
{
	if (*p)
		fixup_image_free(*p);
}

const char *fixup_image_path(const struct fixup_image *img);
bool fixup_image_is_dir(const struct fixup_image *img);
bool fixup_image_writable(const struct fixup_image *img);
const struct fixup_disk_layout *
fixup_image_layout(const struct fixup_image *img);

/*
 * Opens partition index i (0 <= i < layout->n_parts) with the backend its
 * filesystem needs; the volume is owned by img and opened once (later
 * calls return the same one).  Errors: FIXUP_E_NO_FILESYSTEM (no backend
 * for this filesystem), FIXUP_E_BITLOCKER, FIXUP_E_HIBERNATED,
 * FIXUP_E_UNCLEAN, -EBADMSG (NTFS libntfs-3g cannot mount), -errno.
 */
int fixup_image_open_volume(struct fixup_image *img, size_t i,
                            struct fixup_volume **ret);
/* True when a backend exists for partition i's filesystem type. */
bool fixup_image_can_open(const struct fixup_image *img, size_t i);

/*
 * Raw access to the disk's own sectors (MBR, GPT header and entries):
 * [off, off+len) must lie inside the image, within the first
 * FIXUP_RAW_REGION_MAX bytes and before the first partition.
 * Writing needs FIXUP_OPEN_WRITE.  Directory images: -EOPNOTSUPP.
 */
int fixup_image_read_disk(struct fixup_image *img, uint64_t off, void *buf,
                          size_t len);
int fixup_image_write_disk(struct fixup_image *img, uint64_t off,
                           const void *buf, size_t len);

/* ---- volumes ------------------------------------------------------------ */

/* Windows FILE_ATTRIBUTE_* bits as stored by NTFS. */
#define FIXUP_ATTR_READONLY 0x0001u
#define FIXUP_ATTR_HIDDEN 0x0002u
#define FIXUP_ATTR_SYSTEM 0x0004u
#define FIXUP_ATTR_DIRECTORY 0x0010u
#define FIXUP_ATTR_ARCHIVE 0x0020u

struct fixup_stat {
	bool is_dir;
	uint64_t size;       /* bytes of the (unnamed) data stream */
	bool has_attributes; /* the backend knows Windows attributes */
	uint32_t attributes; /* FIXUP_ATTR_* when has_attributes */
};

/* Read a whole file; more than max bytes is -EFBIG.  The buffer has an
 * extra NUL after *ret_len bytes. */
int fixup_volume_read_file(struct fixup_volume *v, const char *path, size_t max,
                           char **ret, size_t *ret_len);
/* Reads up to len bytes at off; *ret_n = bytes read (short at EOF). */
int fixup_volume_read_at(struct fixup_volume *v, const char *path, uint64_t off,
                         void *buf, size_t len, size_t *ret_n);
/*
 * Replaces (or creates) a whole file.  dir: a temp file in the same
 * directory + fsync + rename, mode of the old file kept.  ntfs3g: in place
 * (truncate + write of the existing inode), so the file keeps its
 * attributes, security descriptor and 8.3 name; the caller's journal holds
 * the original bytes.  The parent directory must exist.
 */
int fixup_volume_write_file(struct fixup_volume *v, const char *path,
                            const void *buf, size_t len);
int fixup_volume_stat(struct fixup_volume *v, const char *path,
                      struct fixup_stat *ret);
/* Names in a directory (no "." / ".."; NTFS: no DOS 8.3 duplicates, no
 * metafiles), sorted with strcmp. */
int fixup_volume_list(struct fixup_volume *v, const char *path, char ***ret);
/* mkdir -p; existing directories are fine, an existing file is -ENOTDIR. */
int fixup_volume_mkdir_p(struct fixup_volume *v, const char *path);
/* Removes a file or an empty directory. */
int fixup_volume_remove(struct fixup_volume *v, const char *path);
/* Renames a file; an existing target file is replaced (dir: atomically;
 * ntfs3g: target removed first). */
int fixup_volume_rename(struct fixup_volume *v, const char *from,
                        const char *to);
/* Sets FIXUP_ATTR_* (READONLY|HIDDEN|SYSTEM|ARCHIVE); -EOPNOTSUPP when the
 * backend has no such attributes (dir). */
int fixup_volume_set_attributes(struct fixup_volume *v, const char *path,
                                uint32_t attributes);
/*
 * Case-insensitive lookup of a Windows-style path ("windows\\system32\\
 * config\\system"): each component matches exactly when it exists, else
 * the first name (in strcmp order) equal ignoring ASCII case.  *ret is the
 * real-case path "/Windows/System32/config/SYSTEM".  -ENOENT when absent.
 */
int fixup_volume_lookup(struct fixup_volume *v, const char *path, char **ret);
/*
 * Copies the file at path (at most max bytes) out of the volume to a new
 * host file host_path (created with O_EXCL, mode 0600): how hives reach
 * hivex, which opens only paths.
 */
int fixup_volume_copy_out(struct fixup_volume *v, const char *path, size_t max,
                          const char *host_path);
/* Flushes the backend's caches to the image. */
int fixup_volume_sync(struct fixup_volume *v);
/*
 * Sets the filesystem's "needs checking" flag (NTFS VOLUME_IS_DIRTY: Windows
 * runs chkdsk at the next boot).  -EOPNOTSUPP when the backend has no such
 * flag (dir).  Needs a writable volume.
 */
int fixup_volume_mark_dirty(struct fixup_volume *v);
/* Symlinks as such (for the journal of the dir road): -EINVAL when path is
 * not a symlink, -EOPNOTSUPP when the backend does not support them. */
int fixup_volume_readlink(struct fixup_volume *v, const char *path, char **ret);
int fixup_volume_symlink(struct fixup_volume *v, const char *target,
                         const char *path);

/*
 * The filesystem UUID of v, lower-case "xxxxxxxx-xxxx-xxxx-xxxx-
 * xxxxxxxxxxxx" as in /dev/disk/by-uuid and fstab's UUID=.  ext and guestfs
 * volumes; -EOPNOTSUPP for other backends, -ENODATA when the filesystem
 * has none (all zero).
 */
int fixup_volume_fs_uuid(struct fixup_volume *v, char **ret);

/*
 * Raw access to the first sectors of the volume's partition (boot sector,
 * NTFS boot code): [off, off+len) must lie within the partition and its
 * first FIXUP_RAW_REGION_MAX bytes.  Writes need a writable volume.
 * Directory volumes: -EOPNOTSUPP.
 */
int fixup_volume_read_boot(struct fixup_volume *v, uint64_t off, void *buf,
                           size_t len);
int fixup_volume_write_boot(struct fixup_volume *v, uint64_t off,
                            const void *buf, size_t len);

const char *fixup_volume_backend(const struct fixup_volume *v);
struct fixup_image *fixup_volume_image(const struct fixup_volume *v);
/* The partition this volume is on (number 0 for whole disk / dir). */
const struct fixup_partition *
fixup_volume_partition(const struct fixup_volume *v);
size_t fixup_volume_index(const struct fixup_volume *v);
bool fixup_volume_writable(const struct fixup_volume *v);
/* Short name for messages and reports: "partition 2", "disk", "dir". */
const char *fixup_volume_name(const struct fixup_volume *v);

/* ---- probing (probe.c) -------------------------------------------------- */

/* Fills *ret from the image open at fd (size bytes). */
int fixup_probe_disk(int fd, uint64_t size, const char *path,
                     struct fixup_disk_layout *ret);
void fixup_disk_layout_done(struct fixup_disk_layout *l);
/* The same for a disk without a file descriptor (NBD): libblkid reads a
 * sparse copy of the regions it probes (probe-shadow.c). */
int fixup_probe_disk_shadow(struct fixup_disk *disk, const char *path,
                            struct fixup_disk_layout *ret);

#endif
