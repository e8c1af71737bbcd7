/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the Linux configuration rewriters (linux_conf_rewrite for
 * every kind: fstab, crypttab, GRUB legacy/2/default, BLS, device.map,
 * sysconfig; plus modprobe, ifcfg and xorg).  Input: one byte choosing the
 * kind, then the text.  Properties: with a map that returns NULL the output
 * is the input byte for byte with no change counted; with the sd/hd → vd
 * remap, zero changes means identical output too, and remapping the
 * output again changes nothing (no name it writes is one it maps).
 */
#include <string.h>

#include "fuzz.h"
#include "linux/linux.h"

#define FUZZ_CONF_KINDS 8

static char *
map_none(const char *dev, void *userdata)
{
	(void)dev;
	(void)userdata;
	return NULL;
}

static void
check_identity(const char *text, size_t len, const char *out, size_t out_len,
               unsigned changes)
{
	FUZZ_CHECK(changes == 0);
	FUZZ_CHECK(out_len == len && memcmp(out, text, len) == 0);
	FUZZ_CHECK(out[out_len] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const from[] = {"sd",        "hd",   "xvd",
	                             "cciss/c0d", "nvme", NULL};
	static char *const xfrom[] = {"vmware", "vboxvideo", NULL};
	struct linux_remap remap = {.from = from, .to_prefix = "vd"};
	enum linux_conf_kind kind;
	const char *text;
	size_t len;

	if (size < 1)
		return 0;
	kind = (enum linux_conf_kind)(data[0] % FUZZ_CONF_KINDS);
	text = (const char *)data + 1;
	len = size - 1;

	{
		_cleanup_free_ char *out = NULL;
		size_t out_len = 0;
		unsigned changes = 99;

		if (linux_conf_rewrite(text, len, kind, map_none, NULL, &out,
		                       &out_len, &changes) >= 0)
			check_identity(text, len, out, out_len, changes);
	}
	{
		_cleanup_free_ char *out = NULL;
		size_t out_len = 0;
		unsigned changes = 99;

		if (linux_conf_rewrite(text, len, kind, linux_remap_device,
		                       &remap, &out, &out_len, &changes) >= 0) {
			_cleanup_free_ char *again = NULL;
			size_t again_len = 0;
			unsigned again_changes = 99;

			FUZZ_CHECK(out[out_len] == '\0');
			if (changes == 0)
				check_identity(text, len, out, out_len, 0);
			FUZZ_CHECK(linux_conf_rewrite(
			                   out, out_len, kind,
			                   linux_remap_device, &remap, &again,
			                   &again_len, &again_changes) >= 0);
			check_identity(out, out_len, again, again_len,
			               again_changes);
		}
	}
	{
		_cleanup_free_ char *out = NULL;
		size_t out_len = 0;
		unsigned changes;

		switch (data[0] / FUZZ_CONF_KINDS % 4) {
		case 0:
			(void)linux_modprobe_rewrite(text, len, "virtio_blk",
			                             "virtio_net", &out,
			                             &out_len, &changes);
			break;
		case 1:
			(void)linux_ifcfg_drop_hwaddr(text, len, &out, &out_len,
			                              &changes);
			break;
		case 2:
			(void)linux_xorg_rewrite(text, len, xfrom, "qxl", &out,
			                         &out_len, &changes);
			break;
		default:
			break;
		}
		if (out)
			FUZZ_CHECK(out[out_len] == '\0');
	}
	return 0;
}
