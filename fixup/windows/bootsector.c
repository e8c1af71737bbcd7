/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NTFS boot sector fields the boot code trusts (WINDOWS.md §3): hidden
 * sectors (where the partition starts, used to find $Boot/ntldr/bootmgr),
 * and on XP/2000 the CHS geometry its INT 13h code computes with.  A
 * partition moved by a conversion or a VM whose BIOS reports another
 * geometry gives "A disk read error occurred" / "NTLDR is missing".
 *
 * Sectors per track: every BIOS LBA-assist translation reports 63 sectors
 * per track together with 16/32/64/128/255 heads, and the 0x40/0x80/0xFF
 * head counts below are the ones QEMU/SeaBIOS, VMware and VirtualBox report
 * for disks of those sizes, so 63 is written with them.  Newer boot code
 * (Vista+) uses LBA only: there only hidden sectors is fixed.
 */
#include "util.h"
#include "windows/winboot.h"

#define NTFS_OFF_OEM 0x03
#define NTFS_OFF_BPS 0x0b
#define NTFS_OFF_SPT 0x18
#define NTFS_OFF_HEADS 0x1a
#define NTFS_OFF_HIDDEN 0x1c
#define NTFS_OFF_SIG 0x1fe

#define NT5_HEADS_64_LIMIT 2114445312ull
#define NT5_HEADS_128_LIMIT 4228374780ull
#define NT5_SECTORS_PER_TRACK 63

static int
add_range(struct winboot_bootsector_result *res, size_t off, size_t len)
{
	if (res->n_ranges >= ELEMENTSOF(res->ranges))
		return -EINVAL;
	res->ranges[res->n_ranges++] = (struct winboot_range){off, len};
	res->changed = true;
	return 0;
}

static int
report_field(struct winboot_report *report, const char *field, size_t off,
             size_t len, unsigned long long before, unsigned long long after)
{
	char what[96], b[32], a[32];

	snprintf(what, sizeof(what),
	         "NTFS boot sector %s (bytes 0x%02zx-0x%02zx)", field, off,
	         off + len - 1);
	snprintf(b, sizeof(b), "%llu", before);
	snprintf(a, sizeof(a), "%llu", after);
	return winboot_report_add_change(report, what, b, a);
}

int
winboot_ntfs_bootsector_fix(uint8_t *sector, size_t len, uint64_t part_start,
                            uint64_t disk_size, bool nt5_geometry,
                            struct winboot_bootsector_result *ret,
                            struct winboot_report *report)
{
	struct winboot_bootsector_result res = {0};
	uint8_t tmp[WINBOOT_NTFS_SECTOR];
	uint16_t bps;
	uint64_t lba;
	int r;

	if (!sector || len < WINBOOT_NTFS_SECTOR)
		return -EBADMSG;
	if (memcmp(sector + NTFS_OFF_OEM, "-FVE-FS-", 8) == 0)
		return -EMEDIUMTYPE;
	if (memcmp(sector + NTFS_OFF_OEM, "NTFS    ", 8) != 0 ||
	    sector[NTFS_OFF_SIG] != 0x55 || sector[NTFS_OFF_SIG + 1] != 0xaa)
		return -EBADMSG;
	bps = util_le16(sector + NTFS_OFF_BPS);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return -EBADMSG;
	if (part_start % bps != 0)
		return -ERANGE;
	lba = part_start / bps;
	if (lba > UINT32_MAX)
		return -ERANGE;

	/* Work on a copy: sector is only changed when everything succeeded. */
	memcpy(tmp, sector, WINBOOT_NTFS_SECTOR);
	res.old_hidden = util_le32(sector + NTFS_OFF_HIDDEN);
	res.old_heads = util_le16(sector + NTFS_OFF_HEADS);
	res.old_spt = util_le16(sector + NTFS_OFF_SPT);
	res.new_hidden = (uint32_t)lba;
	res.new_heads = res.old_heads;
	res.new_spt = res.old_spt;
	if (nt5_geometry) {
		res.new_heads = disk_size < NT5_HEADS_64_LIMIT    ? 0x40
		                : disk_size < NT5_HEADS_128_LIMIT ? 0x80
		                                                  : 0xff;
		res.new_spt = NT5_SECTORS_PER_TRACK;
	}

	if (res.new_spt != res.old_spt) {
		util_put_le16(tmp + NTFS_OFF_SPT, res.new_spt);
		r = add_range(&res, NTFS_OFF_SPT, 2);
		if (r >= 0)
			r = report_field(report, "sectors per track",
			                 NTFS_OFF_SPT, 2, res.old_spt,
			                 res.new_spt);
		if (r < 0)
			return r;
	}
	if (res.new_heads != res.old_heads) {
		util_put_le16(tmp + NTFS_OFF_HEADS, res.new_heads);
		r = add_range(&res, NTFS_OFF_HEADS, 2);
		if (r >= 0)
			r = report_field(report, "heads", NTFS_OFF_HEADS, 2,
			                 res.old_heads, res.new_heads);
		if (r < 0)
			return r;
	}
	if (res.new_hidden != res.old_hidden) {
		util_put_le32(tmp + NTFS_OFF_HIDDEN, res.new_hidden);
		r = add_range(&res, NTFS_OFF_HIDDEN, 4);
		if (r >= 0)
			r = report_field(report, "hidden sectors",
			                 NTFS_OFF_HIDDEN, 4, res.old_hidden,
			                 res.new_hidden);
		if (r < 0)
			return r;
	}
	memcpy(sector, tmp, WINBOOT_NTFS_SECTOR);
	if (ret)
		*ret = res;
	return res.changed ? 1 : 0;
}
