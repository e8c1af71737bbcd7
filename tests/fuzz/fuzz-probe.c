/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: partition-table and filesystem probing (fixup_probe_disk on
 * a memfd) and the NTFS boot-sector fixer (winboot_ntfs_bootsector_fix) on
 * the first sector of every partition found and of the image.
 *
 * Input: u16 LE extra sectors, then the image's first bytes; the memfd is
 * extended (sparse) by the extra sectors so partitions can lie inside it.
 * Properties: every partition reported lies inside the image; the
 * boot-sector fix touches only the ranges it reports and is idempotent (a
 * second run changes nothing).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/volume.h"
#include "windows/winboot.h"

#define FUZZ_PROBE_MAX_EXTRA_SECTORS 65535u /* 32 MiB of sparse tail */

static void
fuzz_bootsector(const uint8_t *data, size_t len, uint64_t start,
                uint64_t disk_size)
{
	for (int nt5 = 0; nt5 < 2; nt5++) {
		struct winboot_bootsector_result res;
		uint8_t s[WINBOOT_NTFS_SECTOR], before[WINBOOT_NTFS_SECTOR];
		int r;

		if (len < sizeof(s))
			return;
		memcpy(s, data, sizeof(s));
		memcpy(before, s, sizeof(s));
		r = winboot_ntfs_bootsector_fix(s, sizeof(s), start, disk_size,
		                                nt5, &res, NULL);
		if (r < 0) {
			FUZZ_CHECK(memcmp(s, before, sizeof(s)) == 0);
			continue;
		}
		FUZZ_CHECK(res.n_ranges <= ELEMENTSOF(res.ranges));
		/* bytes outside the reported ranges are untouched */
		for (size_t i = 0; i < res.n_ranges; i++) {
			FUZZ_CHECK(res.ranges[i].offset + res.ranges[i].len <=
			           sizeof(s));
			memcpy(before + res.ranges[i].offset,
			       s + res.ranges[i].offset, res.ranges[i].len);
		}
		FUZZ_CHECK(memcmp(s, before, sizeof(s)) == 0);
		FUZZ_CHECK(res.changed || res.n_ranges == 0);
		/* idempotent */
		r = winboot_ntfs_bootsector_fix(s, sizeof(s), start, disk_size,
		                                nt5, &res, NULL);
		FUZZ_CHECK(r >= 0 && !res.changed);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixup_disk_layout l = {0};
	uint64_t disk_size;
	size_t extra;
	int fd, r;

	if (size < 2)
		return 0;
	extra = util_le16(data);
	data += 2;
	size -= 2;
	disk_size = (uint64_t)size + (uint64_t)extra * FIXUP_SECTOR_SIZE;

	fd = memfd_create("fuzz-probe", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(ftruncate(fd, (off_t)disk_size) == 0);

	r = fixup_probe_disk(fd, disk_size, "fuzz.img", &l);
	if (r >= 0) {
		FUZZ_CHECK(l.n_parts <= FIXUP_MAX_PARTITIONS);
		for (size_t i = 0; i < l.n_parts; i++) {
			const struct fixup_partition *p = &l.parts[i];

			FUZZ_CHECK(p->start <= disk_size &&
			           p->size <= disk_size - p->start);
			if (p->start < size)
				fuzz_bootsector(data + p->start,
				                size - p->start, p->start,
				                disk_size);
		}
		FUZZ_CHECK(fixup_disk_style_to_string(l.style));
	} else {
		FUZZ_CHECK(l.n_parts == 0 && !l.parts);
	}
	fixup_disk_layout_done(&l);
	close(fd);

	fuzz_bootsector(data, size, 63 * 512, disk_size);
	return 0;
}
