/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Partition and filesystem probing of a raw disk image with libblkid: the
 * partition table (MBR or GPT, including logical partitions), each
 * partition's start/size/type/GUID, and the filesystem type found at each
 * partition's offset.  <blkid.h> is included here only.
 *
 * libblkid reads a handful of sectors (both GPT headers, each partition's
 * superblock area), never the whole image, so a 1 TiB sparse image probes
 * as fast as a small one.
 */
#include <blkid.h>
#include <ctype.h>
#include <inttypes.h>

#include "util.h"
#include "image/volume.h"

#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define MBR_TYPE_ESP 0xef

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe)

static char *
strdup_upper(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (r)
		for (char *p = r; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	return r;
}

void
fixup_disk_layout_done(struct fixup_disk_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_parts; i++) {
		free(l->parts[i].type);
		free(l->parts[i].uuid);
		free(l->parts[i].fstype);
		free(l->parts[i].label);
		free(l->parts[i].fsuuid);
	}
	free(l->parts);
	free(l->gpt_guid);
	*l = (struct fixup_disk_layout){0};
}

/* Filesystem type and label at [start, start+size) of fd; *ret_type NULL
 * when libblkid recognises nothing (or something ambiguous). */
static int
probe_filesystem(int fd, uint64_t start, uint64_t size, char **ret_type,
                 char **ret_label, char **ret_uuid)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	const char *type = NULL, *label = NULL, *uuid = NULL;
	int r;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)start,
	                           (blkid_loff_t)size) < 0)
		return -EIO;
	blkid_probe_enable_partitions(pr, 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(
	        pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		(void)blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		(void)blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
		(void)blkid_probe_lookup_value(pr, "UUID", &uuid, NULL);
	} else if (r == -1) {
		return -EIO;
	}
	/* r == 1: nothing found; r == -2: ambiguous, treated as unknown */
	*ret_type = type ? strdup(type) : NULL;
	*ret_label = label ? strdup(label) : NULL;
	*ret_uuid = uuid ? strdup(uuid) : NULL;
	if ((type && !*ret_type) || (label && !*ret_label) ||
	    (uuid && !*ret_uuid)) {
		free(*ret_type);
		free(*ret_label);
		free(*ret_uuid);
		return -ENOMEM;
	}
	return 0;
}

static int
add_partition(struct fixup_disk_layout *l, blkid_partition p,
              enum fixup_disk_style style)
{
	struct fixup_partition *np, *part;
	blkid_loff_t start = blkid_partition_get_start(p);
	blkid_loff_t size = blkid_partition_get_size(p);

	if (l->n_parts >= FIXUP_MAX_PARTITIONS)
		return -E2BIG;
	if (start < 0 || size <= 0 ||
	    (uint64_t)start > UINT64_MAX / FIXUP_SECTOR_SIZE / 2 ||
	    (uint64_t)size > UINT64_MAX / FIXUP_SECTOR_SIZE / 2)
		return -EBADMSG;
	np = reallocarray(l->parts, l->n_parts + 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	l->parts = np;
	part = &l->parts[l->n_parts];
	*part = (struct fixup_partition){0};
	l->n_parts++;

	part->number = (unsigned)MAX(blkid_partition_get_partno(p), 0);
	part->start = (uint64_t)start * FIXUP_SECTOR_SIZE;
	part->size = (uint64_t)size * FIXUP_SECTOR_SIZE;
	if (style == FIXUP_DISK_GPT) {
		part->type = strdup_upper(blkid_partition_get_type_string(p));
		part->uuid = strdup_upper(blkid_partition_get_uuid(p));
		part->esp = part->type && streq(part->type, GPT_TYPE_ESP);
		if (!part->type)
			return -ENOMEM;
	} else {
		int t = blkid_partition_get_type(p);

		if (util_asprintf(&part->type, "0x%02x", t & 0xff) < 0)
			return -ENOMEM;
		part->bootable = (blkid_partition_get_flags(p) & 0x80) != 0;
		part->esp = t == MBR_TYPE_ESP;
	}
	return 0;
}

int
fixup_probe_disk(int fd, uint64_t size, const char *path,
                 struct fixup_disk_layout *ret)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	struct fixup_disk_layout l = {.size = size};
	blkid_partlist pl;
	blkid_parttable tab;
	int r, n;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)size) < 0)
		return fixup_set_error(-EIO, "%s: libblkid cannot read it",
		                       path);
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);

	pl = blkid_probe_get_partitions(pr);
	tab = pl ? blkid_partlist_get_table(pl) : NULL;
	if (tab) {
		const char *tt = blkid_parttable_get_type(tab);
		const char *id = blkid_parttable_get_id(tab);

		if (tt && streq(tt, "gpt")) {
			l.style = FIXUP_DISK_GPT;
			l.gpt_guid = strdup_upper(id);
			if (id && !l.gpt_guid)
				return -ENOMEM;
		} else if (tt && streq(tt, "dos")) {
			uint32_t sig = 0;

			l.style = FIXUP_DISK_MBR;
			/* libblkid prints the id as "xxxxxxxx" hex */
			if (id && strlen(id) == 8) {
				_cleanup_free_ char *hex = NULL;

				if (util_asprintf(&hex, "0x%s", id) < 0)
					return -ENOMEM;
				(void)util_parse_u32(hex, &sig);
			}
			l.mbr_signature = sig;
		} else {
			return fixup_set_error(
			        -EMEDIUMTYPE,
			        "%s: partition table type '%s' is not "
			        "supported (only MBR and GPT)",
			        path, tt ? tt : "?");
		}
		n = blkid_partlist_numof_partitions(pl);
		for (int i = 0; n > 0 && i < n; i++) {
			blkid_partition p = blkid_partlist_get_partition(pl, i);

			if (!p || blkid_partition_is_extended(p))
				continue;
			r = add_partition(&l, p, l.style);
			if (r == -E2BIG)
				r = fixup_set_error(
				        r, "%s: more than %u partitions", path,
				        FIXUP_MAX_PARTITIONS);
			if (r < 0) {
				fixup_disk_layout_done(&l);
				return r;
			}
		}
		if (l.n_parts == 0) {
			fixup_disk_layout_done(&l);
			return fixup_set_error(
			        FIXUP_E_NO_PARTITIONS,
			        "%s: the %s partition table holds "
			        "no partitions",
			        path, tt);
		}
	} else {
		/* No table: a filesystem spanning the whole image? */
		struct fixup_partition *part = calloc(1, sizeof(*part));

		if (!part)
			return -ENOMEM;
		l.parts = part;
		l.n_parts = 1;
		part->start = 0;
		part->size = size;
		r = probe_filesystem(fd, 0, size, &part->fstype, &part->label,
		                     &part->fsuuid);
		if (r < 0 || !part->fstype) {
			fixup_disk_layout_done(&l);
			if (r < 0)
				return r;
			return fixup_set_error(FIXUP_E_NO_PARTITIONS,
			                       "%s: no partition table and no "
			                       "filesystem found: not a disk "
			                       "image imgfix can read",
			                       path);
		}
		*ret = l;
		return 0;
	}

	for (size_t i = 0; i < l.n_parts; i++) {
		struct fixup_partition *p = &l.parts[i];

		if (p->start >= size || p->size > size - p->start) {
			r = fixup_set_error(
			        FIXUP_E_BEYOND_EOF,
			        "%s: partition %u (bytes %" PRIu64 "-%" PRIu64
			        ") extends beyond the end of the image "
			        "(%" PRIu64
			        " bytes): truncated or damaged image",
			        path, p->number, p->start, p->start + p->size,
			        size);
			fixup_disk_layout_done(&l);
			return r;
		}
		r = probe_filesystem(fd, p->start, p->size, &p->fstype,
		                     &p->label, &p->fsuuid);
		if (r < 0) {
			fixup_disk_layout_done(&l);
			return r;
		}
	}
	*ret = l;
	return 0;
}
