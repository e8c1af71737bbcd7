/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Partition and filesystem probing of a disk that has no file descriptor
 * (an NBD export, disk-io.h).  libblkid reads through a file descriptor
 * only, so it is given a "shadow": a sparse memfd as large as the disk
 * holding copies of the regions libblkid reads — the head and tail of the
 * disk and of every partition, and the area after each partition (where
 * the next extended boot record of an MBR chain sits) — and zeros
 * elsewhere.  Probing repeats until it finds no partition whose regions
 * are not copied yet, so the EBR chain of logical partitions is followed
 * link by link.  The copies cost a few MiB of reads however large the
 * disk; tmpfs keeps only the copied pages.
 *
 * Only the layout comes from the shadow: every backend then reads the
 * filesystem through the disk itself and checks what it finds.
 */
#include <sys/mman.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/disk.h"
#include "image/volume.h"

#define SHADOW_HEAD (1024u * 1024)  /* superblocks: LUKS, btrfs, iso, udf */
#define SHADOW_TAIL (1024u * 1024)  /* backup GPT, md/zfs labels at the end */
#define SHADOW_AFTER (1024u * 1024) /* the next EBR after a logical part */
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
	if (r >= 0 && start + size < s->size)
		r = shadow_copy(s, start + size, SHADOW_AFTER, added);
	return r;
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
