/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the initramfs scanner (linux_initramfs_list: early cpio
 * then compressed cpio segments, through libarchive).  Properties: the
 * member list is NULL-terminated and bounded; the module lookup runs on
 * whatever it holds.
 */
#include "fuzz.h"
#include "linux/linux.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_strv_free_ char **members = NULL;
	unsigned segments = 0;

	if (linux_initramfs_list(data, size, &members, &segments) < 0)
		return 0;
	FUZZ_CHECK(util_strv_length(members) <= LINUX_MAX_INITRAMFS_ENTRIES);
	FUZZ_CHECK(segments <= LINUX_MAX_SEGMENTS);
	(void)linux_members_have_module(members, "virtio_blk");
	(void)linux_members_have_module(members, "virtio-scsi");
	return 0;
}
