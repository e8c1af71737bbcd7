/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows inspection facts from the SYSTEM hive that name things outside
 * the registry: os.hostname (Services\Tcpip\Parameters\Hostname of the
 * control set, else Control\ComputerName\ComputerName, as libguestfs
 * reads it) and the drive letters, windows.drive.<LETTER> = the
 * partition of this image that SYSTEM\MountedDevices maps
 * \DosDevices\<LETTER>: to ("partition 2"), by MBR disk signature and
 * byte offset or by GPT partition GUID.  Letters of other disks,
 * CD-ROMs and volumes this image does not hold get no fact.
 */
#include "engine/inspect.h"
#include "hive.h"
#include "util.h"
#include "windows/inspect-windows.h"
#include "windows/winboot.h"

#define HOSTNAME_MAX 255u

int
win_hostname_fact(struct hive *system, const char *cs,
                  struct util_strmap *facts)
{
	static const struct {
		const char *key, *value;
	} where[] = {
	        {"Services\\Tcpip\\Parameters", "Hostname"},
	        {"Control\\ComputerName\\ComputerName", "ComputerName"},
	};

	for (size_t i = 0; i < ELEMENTSOF(where); i++) {
		_cleanup_free_ char *key = NULL, *h = NULL;
		size_t n;

		if (util_asprintf(&key, "%s\\%s", cs, where[i].key) < 0)
			return -ENOMEM;
		if (hive_get_string(system, key, where[i].value, &h) < 0)
			continue;
		n = strlen(h);
		if (n == 0 || n > HOSTNAME_MAX)
			continue;
		return util_strmap_set(facts, "os.hostname", h);
	}
	return 0;
}

/* The layout index of the partition a MountedDevices blob names, or -1. */
static ssize_t
blob_partition(const struct fixup_disk_layout *l, const uint8_t *data,
               size_t len)
{
	uint32_t sig = 0;
	uint64_t off = 0;
	uint8_t guid[16];

	switch (winboot_mdev_classify(data, len, &sig, &off, guid)) {
	case WINBOOT_MDEV_MBR:
		if (l->style != FIXUP_DISK_MBR || l->mbr_signature != sig)
			return -1;
		for (size_t i = 0; i < l->n_parts; i++)
			if (l->parts[i].number != 0 && l->parts[i].start == off)
				return (ssize_t)i;
		return -1;
	case WINBOOT_MDEV_GPT: {
		char s[WINBOOT_GUID_STRING_MAX];

		winboot_guid_format(guid, s);
		s[strlen(s) - 1] = '\0'; /* "{...}" -> "...": compare inside */
		for (size_t i = 0; i < l->n_parts; i++)
			if (l->parts[i].uuid &&
			    strcaseeq(l->parts[i].uuid, s + 1))
				return (ssize_t)i;
		return -1;
	}
	default:
		return -1;
	}
}

int
win_drive_facts(struct hive *system, const struct fixup_disk_layout *l,
                struct util_strmap *facts)
{
	_cleanup_strv_free_ char **names = NULL;
	int r = hive_list_values(system, "MountedDevices", &names);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		struct hive_value val = {0};
		const char *d = util_startswith_case(*n, "\\DosDevices\\");
		char key[] = "windows.drive.X";
		ssize_t i;

		if (!d || strlen(d) != 2 || d[1] != ':' ||
		    !((d[0] >= 'A' && d[0] <= 'Z') ||
		      (d[0] >= 'a' && d[0] <= 'z')))
			continue;
		r = hive_get_value(system, "MountedDevices", *n, &val);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		i = blob_partition(l, val.data, val.len);
		hive_value_done(&val);
		if (i < 0)
			continue;
		key[strlen(key) - 1] = (char)(d[0] & ~0x20);
		r = l->parts[i].number == 0
		            ? util_strmap_set(facts, key, "disk")
		            : util_strmap_setf(facts, key, "partition %u",
		                               l->parts[i].number);
		if (r < 0)
			return r;
	}
	return 0;
}
