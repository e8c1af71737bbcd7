/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fixup/windows/winboot.h — the Windows boot-configuration fixers (WINDOWS.md
 * §3 and §1.4), as pure data transformations: boot.ini text, BCD device
 * elements, SYSTEM\MountedDevices blobs and the NTFS boot sector are compared
 * with the disk layout the converted guest will boot from, and what must change
 * comes back as data (new text, struct hive_edits, byte ranges) plus a report
 * that renders as human text for `imgfix plan`.  Nothing here reads or writes
 * an image; fixup/plan and fixup/apply do that.
 *
 * Every input (boot.ini bytes, hive values, boot sectors) is hostile: sizes,
 * counts and offsets are checked against the WINBOOT_MAX_* limits.
 *
 * Fixers append to a struct hive_edits and a struct winboot_report (NULL:
 * not recorded).  On failure these may hold what was appended before the
 * error: callers discard both.
 *
 * GUIDs are kept as 16 bytes in the on-disk (Windows, mixed-endian) order:
 * the order of the GPT header/entries, of BCD packets and of the
 * "DMIO:ID:" MountedDevices blobs, so they are compared with memcmp.
 */
#ifndef IMGFIX_FIXUP_WINBOOT_H
#define IMGFIX_FIXUP_WINBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hive.h"

/* ---- limits (hostile input) --------------------------------------------- */

#define WINBOOT_MAX_PARTITIONS 256
#define WINBOOT_BOOTINI_MAX_SIZE (256u * 1024)
#define WINBOOT_BOOTINI_MAX_LINE 2048
#define WINBOOT_BOOTINI_MAX_LINES 4096
#define WINBOOT_BCD_MAX_OBJECTS 4096
#define WINBOOT_BCD_MAX_ELEMENTS 1024
#define WINBOOT_MDEV_MAX_VALUES 65536
#define WINBOOT_NTFS_SECTOR 512

/* ---- the disk layout the guest boots from ------------------------------- */

enum winboot_style {
	WINBOOT_STYLE_MBR,
	WINBOOT_STYLE_GPT,
};

struct winboot_partition {
	/* Partition number as the table numbers it: MBR 1-4 primary slots,
	 * 5+ logical drives in chain order (Linux numbering); GPT the 1-based
	 * entry number. */
	unsigned index;
	uint64_t start;        /* byte offset from the start of the disk */
	uint64_t size;         /* bytes */
	uint8_t guid[16];      /* GPT unique partition GUID (on-disk order) */
	uint8_t type_guid[16]; /* GPT partition type GUID (on-disk order) */
	uint8_t mbr_type;      /* MBR system id (0x07 NTFS, 0x05/0x0f ext.) */
};

struct winboot_layout {
	enum winboot_style style;
	uint32_t mbr_signature; /* MBR: u32 LE at 0x1B8 */
	uint8_t disk_guid[16];  /* GPT: disk GUID (on-disk order) */
	uint64_t disk_size;     /* bytes */
	unsigned bios_disk;     /* boot.ini rdisk(N) of this disk; 0 usually */
	const struct winboot_partition *partitions;
	size_t n_partitions;
	/* Indexes into partitions[], or -1 when unknown: the partition that
	 * holds \Windows, and the one the firmware boots (MBR active partition
	 * with ntldr/bootmgr, or the ESP).  They may be the same. */
	int windows_part;
	int boot_part;
};

/* -EINVAL when the layout itself is inconsistent (counts, indexes). */
int winboot_layout_check(const struct winboot_layout *l);

/*
 * The NT ARC partition number (boot.ini partition(M)) of partitions[i]:
 * 1-based; primary partitions (index 1-4) first in slot order, then logical
 * drives (index >= 5) in chain order; extended containers (types 0x05, 0x0f,
 * 0x85) and empty slots (type 0) get no number (KB102873).  MBR only:
 * -EOPNOTSUPP on GPT (NT5 cannot boot from GPT), -ENOENT when partitions[i]
 * has no number.
 */
int winboot_arc_partition_number(const struct winboot_layout *l, size_t i);

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (lower case) of on-disk bytes. */
#define WINBOOT_GUID_STRING_MAX 39
void winboot_guid_format(const uint8_t g[16],
                         char ret[WINBOOT_GUID_STRING_MAX]);
/* Parses with or without braces, any case.  -EINVAL when malformed. */
int winboot_guid_parse(const char *s, uint8_t ret[16]);

/* ---- reports: what a fixer changed or left alone, for `imgfix plan` ----- */

struct winboot_change {
	char *what;   /* the file / key / value / byte range concerned */
	char *before; /* old state as text (may be NULL: added) */
	char *after;  /* new state as text (may be NULL: removed) */
};

struct winboot_report {
	struct winboot_change *changes;
	size_t n_changes;
	char **notes; /* things left alone and why, warnings (strv) */
};

void winboot_report_done(struct winboot_report *r);
/* Append a change (strings copied; before/after may be NULL) or a note.
 * r may be NULL: nothing is recorded.  0 or -ENOMEM. */
int winboot_report_add_change(struct winboot_report *r, const char *what,
                              const char *before, const char *after);
int winboot_report_add_note(struct winboot_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Writes the report as indented text under title: one block per change with
 * "-"/"+" lines, then the notes.  "no change" when there is nothing. */
int winboot_report_render(const struct winboot_report *r, const char *title,
                          FILE *out);
/* Same, into a malloc'd string. */
int winboot_report_to_string(const struct winboot_report *r, const char *title,
                             char **ret);

/* ---- boot.ini (NT5) ----------------------------------------------------- */

struct winboot_bootini;

/*
 * Parses boot.ini bytes.  Every byte is kept (comments, order, whitespace,
 * CRLF/LF, unknown lines and sections, a trailing Ctrl-Z/NUL tail) so that
 * rendering an untouched file gives the same bytes.  Errors: -EFBIG (file
 * larger than WINBOOT_BOOTINI_MAX_SIZE), -E2BIG (a line longer than
 * WINBOOT_BOOTINI_MAX_LINE or too many lines); *ret_error (may be NULL)
 * then says what and where ("line 3: 5000 bytes, ...").
 */
int winboot_bootini_parse(const void *data, size_t len,
                          struct winboot_bootini **ret, char **ret_error);
struct winboot_bootini *winboot_bootini_free(struct winboot_bootini *b);
static inline void
winboot_bootini_freep(struct winboot_bootini **b)
{
	if (*b)
		winboot_bootini_free(*b);
}

/* Renders back to bytes (plus a NUL after *ret_len bytes). */
int winboot_bootini_render(const struct winboot_bootini *b, char **ret,
                           size_t *ret_len);

/* The value of default= in [boot loader] (the first one), or NULL. */
const char *winboot_bootini_default(const struct winboot_bootini *b);
/* Number of entries in [operating systems] and the ARC path / DOS path
 * (the text left of '=') of entry i, or NULL when out of range. */
size_t winboot_bootini_n_entries(const struct winboot_bootini *b);
const char *winboot_bootini_entry_path(const struct winboot_bootini *b,
                                       size_t i);

/* multi(0)disk(0)rdisk(N)partition(M)\dir of the Windows partition. */
int winboot_bootini_arc_path(const struct winboot_layout *l,
                             const char *windows_dir, char **ret);

/*
 * Rewrites every signature(xxxxxxxx)disk(D)rdisk(R)partition(M)\dir ARC
 * path (entries and default=) whose signature is the layout's MBR signature
 * to multi(0)disk(0)rdisk(bios_disk)partition(M)\dir.  The partition number
 * is the partition's place in the disk's own table, which a matching
 * signature says is unchanged; it must name an ARC-numbered partition of
 * the layout, else the path is left alone and noted.  Paths naming other
 * disks are left alone and noted; a default entry whose partition is not the
 * layout's Windows partition is noted, and so are scsi() paths (they need
 * the old controller's ntbootdd.sys; no BIOS disk number to map them to).
 * Returns the number of lines changed.
 */
int winboot_bootini_fix_arc(struct winboot_bootini *b,
                            const struct winboot_layout *l,
                            struct winboot_report *report);

/*
 * Adds `arc_path="description" switches` as the first entry of
 * [operating systems] (creating the section when missing) and, with
 * make_default, points every default= at arc_path (adding [boot loader] and
 * default= when missing).  The original entries are kept.  The new entry
 * usually shares its ARC path with the original one (same partition, other
 * /kernel= /hal=): ntldr's default= selects the first entry with that path,
 * which is why it goes first.  New lines use the file's line ending (that
 * of its first line; CRLF for an empty file).  description must not contain
 * '"', a line break or Ctrl-Z; switches no line break or Ctrl-Z; arc_path no
 * blank, '=' or '"' (-EINVAL).  An entry with the same path and switches is
 * not added twice.  Returns 1 when the entry was added, 0 when it existed.
 */
int winboot_bootini_add_entry(struct winboot_bootini *b, const char *arc_path,
                              const char *description, const char *switches,
                              bool make_default, struct winboot_report *report);

/* ---- BCD (NT6+ boot configuration store, itself a hive) ----------------- */

#define WINBOOT_BCD_PACKET_SIZE 0x58

/* The partition a BCD device element names (0x58-byte packet). */
struct winboot_bcd_device {
	enum winboot_style style;
	uint64_t offset;        /* MBR: partition byte offset */
	uint8_t part_guid[16];  /* GPT: partition GUID */
	uint32_t mbr_signature; /* MBR */
	uint8_t disk_guid[16];  /* GPT */
};

/*
 * Parses a device element.  -EMEDIUMTYPE for packets of another shape or
 * length (ramdisk, locate, boot device, VHD, ...): callers leave those
 * alone.  -EBADMSG when the partition packet is internally inconsistent.
 */
int winboot_bcd_device_parse(const uint8_t *data, size_t len,
                             struct winboot_bcd_device *ret);
/* Patches the device fields of a 0x58-byte packet in place (the other bytes
 * are kept). */
int winboot_bcd_device_store(uint8_t *data, size_t len,
                             const struct winboot_bcd_device *d);
/* The device describing partitions[i] of the layout. */
int winboot_bcd_device_from_layout(const struct winboot_layout *l, size_t i,
                                   struct winboot_bcd_device *ret);

/*
 * Walks Objects\{GUID}\Elements\<type>\Element of a BCD hive and produces
 * edits rewriting every device element (11000001 ApplicationDevice,
 * 21000001 OSDevice and any other element of the device format, e.g.
 * 21000026) whose partition packet does not name a partition of the layout.
 * Mapping: the partition that OSDevice elements named becomes the layout's
 * Windows partition; the one the boot manager's ApplicationDevice named
 * becomes the boot partition (when one old partition was both, elements of
 * boot-manager and memory-test objects go to the boot partition, the rest
 * to the Windows partition); a GPT packet whose partition GUID is in the
 * layout (only the disk GUID changed) goes to that partition; others are
 * left alone and noted.  Packets of other shapes are left alone and noted.
 * Nothing is added when everything matches.  Returns the number of edits
 * added.
 */
int winboot_bcd_fix_devices(struct hive *bcd, const struct winboot_layout *l,
                            struct hive_edits *edits,
                            struct winboot_report *report);

/*
 * Vista x86: sets element 26000010 (detecthal, boolean) to true on the OS
 * loader object loader_guid ("{...}"), or on the boot manager's default
 * object (element 23000003) when loader_guid is NULL.  -ENOENT when there
 * is no such object; -EMEDIUMTYPE when it is not an OS loader.  Returns 1
 * when an edit was added, 0 when it was already set.
 */
int winboot_bcd_set_detecthal(struct hive *bcd, const char *loader_guid,
                              struct hive_edits *edits,
                              struct winboot_report *report);

/*
 * UEFI fallback loader.  exists(path, userdata) returns 1 when the file (a
 * Windows path like "\\EFI\\BOOT\\BOOTX64.EFI", matched case-insensitively
 * by the caller) exists on the ESP, 0 when not, -errno on error.  arch is
 * "x64" (BOOTX64.EFI), "x86" (BOOTIA32.EFI) or "arm64" (BOOTAA64.EFI).
 * Returns 1 when ret_dest must be created as a copy of ret_source
 * (\EFI\Microsoft\Boot\bootmgfw.efi), 0 when the fallback exists, -ENOENT
 * when bootmgfw.efi itself is missing.  ret_* are static strings (may be
 * NULL).
 */
int winboot_uefi_fallback_needed(
        const char *arch, int (*exists)(const char *path, void *userdata),
        void *userdata, const char **ret_source, const char **ret_dest,
        struct winboot_report *report);

/* ---- SYSTEM\MountedDevices ---------------------------------------------- */

enum winboot_mdev_blob {
	WINBOOT_MDEV_OTHER, /* anything else (USB/CD-ROM strings, ...) */
	WINBOOT_MDEV_MBR,   /* 12 bytes: u32 signature + u64 offset */
	WINBOOT_MDEV_GPT,   /* 24 bytes: "DMIO:ID:" + partition GUID */
};

struct winboot_mdev_value {
	const char *name; /* "\\DosDevices\\C:", "\\??\\Volume{...}", ... */
	const uint8_t *data;
	size_t len;
};

/* Classifies a blob; ret_signature/ret_offset/ret_guid may be NULL. */
enum winboot_mdev_blob winboot_mdev_classify(const uint8_t *data, size_t len,
                                             uint32_t *ret_signature,
                                             uint64_t *ret_offset,
                                             uint8_t ret_guid[16]);

/*
 * Checks MountedDevices values against the layout and adds edits (key
 * "MountedDevices" of the SYSTEM hive) rewriting blobs of partitions that
 * moved.  Mapping: a blob naming a partition of the layout is fine; the
 * blob of \DosDevices\<windows_letter>: and every value holding the same
 * blob become the Windows partition; the other blobs of that same source
 * disk (MBR: same signature) are mapped in offset order onto the layout's
 * partitions (without extended containers and GPT MSR partitions) when
 * their counts are equal; GPT blobs and blobs of other disks that match
 * nothing are left alone and noted.  Other shapes are left alone.
 * Returns the number of edits added.
 */
int winboot_mdev_fix_values(const struct winboot_mdev_value *values, size_t n,
                            const struct winboot_layout *l, char windows_letter,
                            struct hive_edits *edits,
                            struct winboot_report *report);
/* Same, reading the values of SYSTEM\MountedDevices from the hive. */
int winboot_mdev_fix(struct hive *system, const struct winboot_layout *l,
                     char windows_letter, struct hive_edits *edits,
                     struct winboot_report *report);

/* ---- NTFS boot sector -----------------------------------------------------
 */

struct winboot_range {
	size_t offset;
	size_t len;
};

struct winboot_bootsector_result {
	bool changed;
	struct winboot_range ranges[3]; /* the byte ranges rewritten */
	size_t n_ranges;
	uint32_t old_hidden, new_hidden;
	uint16_t old_heads, new_heads;
	uint16_t old_spt, new_spt;
};

/*
 * Fixes an NTFS boot sector (the first 512 bytes of sector; len >= 512) in
 * place for a partition starting at part_start bytes:
 *  - hidden sectors (u32 LE at 0x1C) = part_start / bytes-per-sector;
 *  - with nt5_geometry (XP/2000 boot code uses CHS geometry): heads (u16 at
 *    0x1A) = 0x40 when disk_size < 2,114,445,312 bytes, 0x80 when below
 *    4,228,374,780, else 0xFF, and sectors per track (u16 at 0x18) = 63,
 *    the value every BIOS LBA-assist translation reports with those heads.
 * Errors: -EMEDIUMTYPE for a BitLocker volume ("-FVE-FS-"), -EBADMSG when
 * it is not an NTFS boot sector (OEM id "NTFS    ", 0x55AA, sane bytes per
 * sector), -ERANGE when the start is not sector-aligned or beyond 2^32
 * sectors.  ret (may be NULL) says what changed.
 */
int winboot_ntfs_bootsector_fix(uint8_t *sector, size_t len,
                                uint64_t part_start, uint64_t disk_size,
                                bool nt5_geometry,
                                struct winboot_bootsector_result *ret,
                                struct winboot_report *report);

#endif
