/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Partition and filesystem probing of a disk that has no file descriptor
 * (an NBD export, disk-io.h).  libblkid reads through a file descriptor
 * only, so it is given a "shadow": a sparse memfd as large as the disk
 * holding copies of the regions libblkid reads — the head and tail of the
 * disk and of every partition, and the extended boot records of an MBR's
 * logical partitions — and zeros elsewhere.  The EBRs are found by
 * following the chain's links here (only to know which sectors to copy:
 * libblkid parses them); the partitions' regions by probing again until
 * no partition is found whose regions are not copied yet.  The copies
 * cost a few MiB of reads however large the disk; tmpfs keeps only the
 * copied pages.
 *
 * Only the layout comes from the shadow: every backend then reads the
 * filesystem through the disk itself and checks what it finds.
 */
#include <sys/mman.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/disk.h"
#include "image/volume.h"

#define SHADOW_HEAD (1024u * 1024) /* superblocks: LUKS, btrfs, iso, udf */
#define SHADOW_TAIL (1024u * 1024) /* backup GPT, md/zfs labels at the end */
#define MBR_SIGNATURE_OFFSET 510u
#define MBR_ENTRIES_OFFSET 0x1beu
#define MBR_ENTRY_LEN 16u
#define MBR_PRIMARY_ENTRIES 4u
#define SHADOW_MAX_REGIONS (4u * FIXUP_MAX_PARTITIONS + 8)

struct shadow {
	struct fixup_disk *disk;
	int fd;
	uint64_t size;
	struct {
		uint64_t off, len;
	} done[SHADOW_MAX_REGIONS];
	size_t n_done;
	uint8_t *buf;
};

/* Copies [off, off+len) clamped to the disk, unless copied before;
 * *added tells whether anything new was copied. */
static int
shadow_copy(struct shadow *s, uint64_t off, uint64_t len, bool *added)
{
	if (off >= s->size)
		return 0;
	len = MIN(len, s->size - off);
	for (size_t i = 0; i < s->n_done; i++)
		if (s->done[i].off == off && s->done[i].len == len)
			return 0;
	if (s->n_done >= SHADOW_MAX_REGIONS)
		return -E2BIG;
	int r = fixup_disk_pread(s->disk, s->buf, (size_t)len, off);
	if (r < 0)
		return r;
	r = fixup_fd_pwrite(s->fd, s->buf, (size_t)len, off);
	if (r < 0)
		return r;
	s->done[s->n_done].off = off;
	s->done[s->n_done].len = len;
	s->n_done++;
	*added = true;
	return 0;
}

static int
shadow_copy_around(struct shadow *s, uint64_t start, uint64_t size, bool *added)
{
	int r;

	r = shadow_copy(s, start, SHADOW_HEAD, added);
	if (r >= 0 && size > SHADOW_TAIL)
		r = shadow_copy(s, start + size - SHADOW_TAIL, SHADOW_TAIL,
		                added);
	return r;
}

static bool
mbr_extended(const uint8_t *entry)
{
	return entry[4] == 0x05 || entry[4] == 0x0f || entry[4] == 0x85;
}

static int
read_mbr(struct shadow *s, uint64_t off, uint8_t b[FIXUP_SECTOR_SIZE],
         bool *ret_valid)
{
	int r = fixup_disk_pread(s->disk, b, FIXUP_SECTOR_SIZE, off);

	*ret_valid = r >= 0 && b[MBR_SIGNATURE_OFFSET] == 0x55 &&
	             b[MBR_SIGNATURE_OFFSET + 1] == 0xaa;
	return r;
}

/* Copies every EBR of the chain of an MBR extended partition. */
static int
shadow_copy_ebrs(struct shadow *s, bool *added)
{
	uint8_t b[FIXUP_SECTOR_SIZE];
	uint64_t ext = 0, ebr;
	bool valid;
	int r;

	r = read_mbr(s, 0, b, &valid);
	for (unsigned i = 0; r >= 0 && valid && i < MBR_PRIMARY_ENTRIES; i++) {
		const uint8_t *e = b + MBR_ENTRIES_OFFSET + i * MBR_ENTRY_LEN;

		if (mbr_extended(e) && !ext)
			ext = (uint64_t)util_le32(e + 8) * FIXUP_SECTOR_SIZE;
	}
	if (r < 0 || ext == 0)
		return r;
	ebr = ext;
	for (unsigned n = 0; n < FIXUP_MAX_PARTITIONS && ebr < s->size; n++) {
		const uint8_t *link = b + MBR_ENTRIES_OFFSET + MBR_ENTRY_LEN;
		uint64_t next;

		r = shadow_copy(s, ebr, FIXUP_SECTOR_SIZE, added);
		if (r >= 0)
			r = read_mbr(s, ebr, b, &valid);
		if (r < 0 || !valid || !mbr_extended(link))
			return r;
		next = ext + (uint64_t)util_le32(link + 8) * FIXUP_SECTOR_SIZE;
		if (next <= ebr) /* links only go forward: no loop */
			return 0;
		ebr = next;
	}
	return 0;
}

int
fixup_probe_disk_shadow(struct fixup_disk *disk, const char *path,
                        struct fixup_disk_layout *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct shadow *s = NULL;
	int r;

	fd = memfd_create("imgfix-probe", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)fixup_disk_size(disk)) < 0)
		return -errno;
	buf = malloc(MAX(SHADOW_HEAD, SHADOW_TAIL));
	s = calloc(1, sizeof(*s));
	if (!buf || !s) {
		free(s);
		return -ENOMEM;
	}
	*s = (struct shadow){.disk = disk,
	                     .fd = fd,
	                     .size = fixup_disk_size(disk),
	                     .buf = buf};
	bool added = false;
	r = shadow_copy_around(s, 0, s->size, &added);
	if (r >= 0)
		r = shadow_copy_ebrs(s, &added);
	for (size_t round = 0; r >= 0; round++) {
		struct fixup_disk_layout l = {0};

		r = fixup_probe_disk(fd, s->size, path, &l);
		if (r < 0)
			break;
		added = false;
		for (size_t i = 0; r >= 0 && i < l.n_parts; i++)
			r = shadow_copy_around(s, l.parts[i].start,
			                       l.parts[i].size, &added);
		if (r >= 0 && !added) {
			*ret = l;
			break;
		}
		fixup_disk_layout_done(&l);
		if (r >= 0 && round > FIXUP_MAX_PARTITIONS)
			r = -ELOOP;
	}
	free(s);
	if (r == -E2BIG || r == -ELOOP)
		return fixup_set_error(r,
		                       "%s: partition table too large to "
		                       "probe over NBD",
		                       path);
	return r;
}
