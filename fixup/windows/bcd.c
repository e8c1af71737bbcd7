/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BCD (NT6+ boot configuration data, \Boot\BCD or \EFI\Microsoft\Boot\BCD):
 * a registry hive of Objects\{GUID}\Elements\<type>\Element values.  Device
 * elements name partitions by identity (MBR signature + byte offset, or GPT
 * disk GUID + partition GUID); after a conversion that changed the layout
 * they point at nothing and bootmgr stops with 0xc000000e.  This file reads
 * the device elements, compares them with the new layout and produces the
 * hive edits that rewrite them; it also sets Vista x86's detecthal element
 * and says whether the UEFI fallback loader must be created.
 *
 * The partition packet (0x58 bytes, WINDOWS.md §3):
 *   +0x10 u32 device type (6 = partition)   +0x18 u32 size of the rest (0x48)
 *   +0x20 MBR: u64 partition byte offset | GPT: partition GUID
 *   +0x34 u32 partition style (0 GPT, 1 MBR)
 *   +0x38 MBR: u32 disk signature        | GPT: disk GUID
 * Any other shape (ramdisk, locate, VHD, boot device) is left alone.
 */
#include "util.h"
#include "windows/winboot.h"

#define BCD_DEV_TYPE_PARTITION 6
#define BCD_DEV_DATA_SIZE 0x48
#define BCD_OFF_TYPE 0x10
#define BCD_OFF_SIZE 0x18
#define BCD_OFF_PART 0x20
#define BCD_OFF_STYLE 0x34
#define BCD_OFF_DISK 0x38
#define BCD_STYLE_GPT 0
#define BCD_STYLE_MBR 1

/* Element types (bcdedit /enum /v), and the format nibble of a type. */
#define BCD_ELEM_APPLICATION_DEVICE 0x11000001u
#define BCD_ELEM_OS_DEVICE 0x21000001u
#define BCD_ELEM_DEFAULT_OBJECT 0x23000003u
#define BCD_ELEM_DETECT_HAL 0x26000010u
#define BCD_ELEM_FORMAT(t) (((t) >> 24) & 0xfu)
#define BCD_FORMAT_DEVICE 1u

/* Object types (Description\Type). */
#define BCD_OBJ_BOOTMGR 0x10100002u
#define BCD_OBJ_OSLOADER 0x10200003u
#define BCD_OBJ_MEMDIAG 0x10200005u

#define BCD_BOOTMGR_GUID "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"

int
winboot_bcd_device_parse(const uint8_t *data, size_t len,
                         struct winboot_bcd_device *ret)
{
	struct winboot_bcd_device d = {0};
	uint32_t style;

	if (!data || len != WINBOOT_BCD_PACKET_SIZE)
		return -EMEDIUMTYPE;
	if (util_le32(data + BCD_OFF_TYPE) != BCD_DEV_TYPE_PARTITION ||
	    util_le32(data + BCD_OFF_SIZE) != BCD_DEV_DATA_SIZE)
		return -EMEDIUMTYPE;
	style = util_le32(data + BCD_OFF_STYLE);
	if (style == BCD_STYLE_MBR) {
		d.style = WINBOOT_STYLE_MBR;
		d.offset = util_le64(data + BCD_OFF_PART);
		d.mbr_signature = util_le32(data + BCD_OFF_DISK);
	} else if (style == BCD_STYLE_GPT) {
		d.style = WINBOOT_STYLE_GPT;
		memcpy(d.part_guid, data + BCD_OFF_PART, 16);
		memcpy(d.disk_guid, data + BCD_OFF_DISK, 16);
	} else
		return -EBADMSG;
	if (ret)
		*ret = d;
	return 0;
}

int
winboot_bcd_device_store(uint8_t *data, size_t len,
                         const struct winboot_bcd_device *d)
{
	int r;

	r = winboot_bcd_device_parse(data, len, NULL);
	if (r < 0)
		return r;
	memset(data + BCD_OFF_PART, 0, 16);
	memset(data + BCD_OFF_DISK, 0, 16);
	if (d->style == WINBOOT_STYLE_MBR) {
		util_put_le64(data + BCD_OFF_PART, d->offset);
		util_put_le32(data + BCD_OFF_STYLE, BCD_STYLE_MBR);
		util_put_le32(data + BCD_OFF_DISK, d->mbr_signature);
	} else {
		memcpy(data + BCD_OFF_PART, d->part_guid, 16);
		util_put_le32(data + BCD_OFF_STYLE, BCD_STYLE_GPT);
		memcpy(data + BCD_OFF_DISK, d->disk_guid, 16);
	}
	return 0;
}

int
winboot_bcd_device_from_layout(const struct winboot_layout *l, size_t i,
                               struct winboot_bcd_device *ret)
{
	struct winboot_bcd_device d = {.style = l->style};

	if (i >= l->n_partitions)
		return -EINVAL;
	if (l->style == WINBOOT_STYLE_MBR) {
		d.offset = l->partitions[i].start;
		d.mbr_signature = l->mbr_signature;
	} else {
		memcpy(d.part_guid, l->partitions[i].guid, 16);
		memcpy(d.disk_guid, l->disk_guid, 16);
	}
	*ret = d;
	return 0;
}

static bool
device_eq(const struct winboot_bcd_device *a,
          const struct winboot_bcd_device *b)
{
	if (a->style != b->style)
		return false;
	if (a->style == WINBOOT_STYLE_MBR)
		return a->offset == b->offset &&
		       a->mbr_signature == b->mbr_signature;
	return memcmp(a->part_guid, b->part_guid, 16) == 0 &&
	       memcmp(a->disk_guid, b->disk_guid, 16) == 0;
}

static bool
device_in_layout(const struct winboot_bcd_device *d,
                 const struct winboot_layout *l)
{
	for (size_t i = 0; i < l->n_partitions; i++) {
		struct winboot_bcd_device p;

		if (winboot_bcd_device_from_layout(l, i, &p) == 0 &&
		    device_eq(d, &p))
			return true;
	}
	return false;
}

/* A GPT packet whose partition GUID is in the layout (only the disk GUID
 * changed): that partition, else -1. */
static int
partition_by_guid(const struct winboot_bcd_device *d,
                  const struct winboot_layout *l)
{
	if (d->style != WINBOOT_STYLE_GPT || l->style != WINBOOT_STYLE_GPT)
		return -1;
	for (size_t i = 0; i < l->n_partitions; i++)
		if (memcmp(d->part_guid, l->partitions[i].guid, 16) == 0)
			return (int)i;
	return -1;
}

static void
device_describe(const struct winboot_bcd_device *d, char *buf, size_t size)
{
	char g1[WINBOOT_GUID_STRING_MAX], g2[WINBOOT_GUID_STRING_MAX];

	if (d->style == WINBOOT_STYLE_MBR)
		snprintf(buf, size, "MBR disk %08x, partition at byte %llu",
		         d->mbr_signature, (unsigned long long)d->offset);
	else {
		winboot_guid_format(d->disk_guid, g1);
		winboot_guid_format(d->part_guid, g2);
		snprintf(buf, size, "GPT disk %s, partition %s", g1, g2);
	}
}

/* ---- walking the store
 * ------------------------------------------------------- */

struct bcd_elem {
	char *key; /* Objects\{g}\Elements\<type> */
	uint32_t obj_type, elem_type;
	bool bootmgr; /* the object is the boot manager */
	struct hive_value value;
	int parse; /* winboot_bcd_device_parse() result */
	struct winboot_bcd_device dev;
};

static void
bcd_elems_free(struct bcd_elem *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		hive_value_done(&v[i].value);
	}
	free(v);
}

/* Parses an element key name: exactly 8 hex digits. */
static int
parse_elem_type(const char *s, uint32_t *ret)
{
	uint32_t v = 0;

	if (strlen(s) != 8)
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

/* Collects every device-format element of every object. */
static int
bcd_collect(struct hive *bcd, struct bcd_elem **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **objects = NULL;
	struct bcd_elem *v = NULL;
	size_t n = 0, allocated = 0;
	int r;

	r = hive_list_subkeys(bcd, "Objects", &objects);
	if (r < 0)
		return r;
	if (util_strv_length(objects) > WINBOOT_BCD_MAX_OBJECTS)
		return -E2BIG;
	STRV_FOREACH (o, objects) {
		_cleanup_strv_free_ char **elems = NULL;
		_cleanup_free_ char *desc = NULL, *ekey = NULL;
		uint32_t obj_type = 0;

		if (util_asprintf(&desc, "Objects\\%s\\Description", *o) < 0 ||
		    util_asprintf(&ekey, "Objects\\%s\\Elements", *o) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = hive_get_dword(bcd, desc, "Type", &obj_type);
		if (r < 0 && r != -ENOENT && r != -EMEDIUMTYPE)
			goto fail;
		r = hive_list_subkeys(bcd, ekey, &elems);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			goto fail;
		if (util_strv_length(elems) > WINBOOT_BCD_MAX_ELEMENTS) {
			r = -E2BIG;
			goto fail;
		}
		STRV_FOREACH (e, elems) {
			struct bcd_elem *x;
			uint32_t t;

			if (parse_elem_type(*e, &t) < 0 ||
			    BCD_ELEM_FORMAT(t) != BCD_FORMAT_DEVICE)
				continue;
			if (n == allocated) {
				size_t na = allocated ? allocated * 2 : 16;
				struct bcd_elem *nv =
				        reallocarray(v, na, sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
					goto fail;
				}
				v = nv;
				allocated = na;
			}
			x = &v[n];
			*x = (struct bcd_elem){.obj_type = obj_type,
			                       .elem_type = t};
			x->bootmgr = obj_type == BCD_OBJ_BOOTMGR ||
			             strcaseeq(*o, BCD_BOOTMGR_GUID);
			if (util_asprintf(&x->key, "%s\\%s", ekey, *e) < 0) {
				r = -ENOMEM;
				goto fail;
			}
			r = hive_get_value(bcd, x->key, "Element", &x->value);
			if (r == -ENOENT) {
				free(x->key);
				continue;
			}
			n++;
			if (r < 0)
				goto fail;
			x->parse = winboot_bcd_device_parse(
			        x->value.data, x->value.len, &x->dev);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	bcd_elems_free(v, n);
	return r;
}

/* The one old identity the elements selected by pick() name that is not in
 * the layout: 1 found, 0 none, -ENOTUNIQ several. */
static int
old_identity(const struct bcd_elem *v, size_t n,
             bool (*pick)(const struct bcd_elem *),
             const struct winboot_layout *l, struct winboot_bcd_device *ret)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].parse < 0 || !pick(&v[i]) ||
		    device_in_layout(&v[i].dev, l))
			continue;
		if (found && !device_eq(ret, &v[i].dev))
			return -ENOTUNIQ;
		*ret = v[i].dev;
		found = 1;
	}
	return found;
}

static bool
pick_os_device(const struct bcd_elem *e)
{
	return e->elem_type == BCD_ELEM_OS_DEVICE;
}

static bool
pick_bootmgr_device(const struct bcd_elem *e)
{
	return e->bootmgr && e->elem_type == BCD_ELEM_APPLICATION_DEVICE;
}

int
winboot_bcd_fix_devices(struct hive *bcd, const struct winboot_layout *l,
                        struct hive_edits *edits, struct winboot_report *report)
{
	struct bcd_elem *v = NULL;
	struct winboot_bcd_device old_win = {0}, old_boot = {0};
	int have_win, have_boot, r, added = 0;
	size_t n = 0;

	r = winboot_layout_check(l);
	if (r < 0)
		return r;
	if (!bcd || !edits)
		return -EINVAL;
	r = bcd_collect(bcd, &v, &n);
	if (r < 0)
		return r;

	have_win = old_identity(v, n, pick_os_device, l, &old_win);
	have_boot = old_identity(v, n, pick_bootmgr_device, l, &old_boot);
	if (have_win == -ENOTUNIQ) {
		r = winboot_report_add_note(
		        report, "BCD: OS loaders name several partitions that "
		                "are not in the layout; OSDevice elements are "
		                "left unchanged");
		if (r < 0)
			goto out;
		have_win = 0;
	}
	if (have_boot == -ENOTUNIQ)
		have_boot = 0;

	for (size_t i = 0; i < n; i++) {
		struct bcd_elem *e = &v[i];
		struct winboot_bcd_device nd;
		_cleanup_free_ uint8_t *data = NULL;
		char before[160], after[160];
		bool is_win, is_boot;
		int target = -1;

		if (e->parse == -EMEDIUMTYPE || e->parse == -EBADMSG) {
			r = winboot_report_add_note(
			        report,
			        "BCD: %s is not a partition device packet "
			        "(%zu bytes%s); left unchanged",
			        e->key, e->value.len,
			        e->parse == -EBADMSG ? ", unknown partition "
			                               "style"
			                             : "");
			if (r < 0)
				goto out;
			continue;
		}
		if (device_in_layout(&e->dev, l))
			continue;
		is_win = have_win > 0 && device_eq(&e->dev, &old_win);
		is_boot = have_boot > 0 && device_eq(&e->dev, &old_boot);
		if (is_win && is_boot)
			target = e->bootmgr || e->obj_type == BCD_OBJ_MEMDIAG
			                 ? l->boot_part
			                 : l->windows_part;
		else if (is_win)
			target = l->windows_part;
		else if (is_boot)
			target = l->boot_part;
		else
			target = partition_by_guid(&e->dev, l);
		device_describe(&e->dev, before, sizeof(before));
		if (target < 0) {
			r = winboot_report_add_note(
			        report,
			        "BCD: %s names %s, which is not in the layout "
			        "and cannot be mapped; left unchanged",
			        e->key, before);
			if (r < 0)
				goto out;
			continue;
		}
		r = winboot_bcd_device_from_layout(l, (size_t)target, &nd);
		if (r < 0)
			goto out;
		data = malloc(e->value.len);
		if (!data) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(data, e->value.data, e->value.len);
		r = winboot_bcd_device_store(data, e->value.len, &nd);
		if (r < 0)
			goto out;
		r = hive_edits_set(edits, e->key, "Element", e->value.type,
		                   data, e->value.len);
		if (r < 0)
			goto out;
		added++;
		device_describe(&nd, after, sizeof(after));
		r = winboot_report_add_change(report, e->key, before, after);
		if (r < 0)
			goto out;
	}
	r = added;
out:
	bcd_elems_free(v, n);
	return r;
}

int
winboot_bcd_set_detecthal(struct hive *bcd, const char *loader_guid,
                          struct hive_edits *edits,
                          struct winboot_report *report)
{
	_cleanup_free_ char *def = NULL, *desc = NULL, *key = NULL;
	struct hive_value cur = {0};
	uint8_t g[16], one = 1;
	uint32_t type;
	bool set;
	int r;

	if (!bcd || !edits)
		return -EINVAL;
	if (!loader_guid) {
		r = hive_get_string(bcd,
		                    "Objects\\" BCD_BOOTMGR_GUID
		                    "\\Elements\\23000003",
		                    "Element", &def);
		if (r < 0)
			return r;
		loader_guid = def;
	}
	/* Guest-derived: must be a GUID before it becomes a key path. */
	if (winboot_guid_parse(loader_guid, g) < 0 || loader_guid[0] != '{')
		return -EBADMSG;
	if (util_asprintf(&desc, "Objects\\%s\\Description", loader_guid) < 0 ||
	    util_asprintf(&key, "Objects\\%s\\Elements\\%08x", loader_guid,
	                  BCD_ELEM_DETECT_HAL) < 0)
		return -ENOMEM;
	r = hive_get_dword(bcd, desc, "Type", &type);
	if (r < 0)
		return r;
	if (type != BCD_OBJ_OSLOADER)
		return -EMEDIUMTYPE;
	r = hive_get_value(bcd, key, "Element", &cur);
	if (r < 0 && r != -ENOENT)
		return r;
	set = r == 0 && cur.len >= 1 && cur.data[0] != 0;
	hive_value_done(&cur);
	if (set)
		return 0;
	r = hive_edits_set(edits, key, "Element", HIVE_T_BINARY, &one, 1);
	if (r < 0)
		return r;
	r = winboot_report_add_change(report, key, NULL,
	                              "detecthal = Yes (Element = 01)");
	return r < 0 ? r : 1;
}

int
winboot_uefi_fallback_needed(const char *arch,
                             int (*exists)(const char *path, void *userdata),
                             void *userdata, const char **ret_source,
                             const char **ret_dest,
                             struct winboot_report *report)
{
	static const char source[] = "\\EFI\\Microsoft\\Boot\\bootmgfw.efi";
	const char *dest;
	int r;

	if (!exists)
		return -EINVAL;
	if (!arch || streq(arch, "x64") || streq(arch, "amd64"))
		dest = "\\EFI\\BOOT\\BOOTX64.EFI";
	else if (streq(arch, "x86") || streq(arch, "ia32"))
		dest = "\\EFI\\BOOT\\BOOTIA32.EFI";
	else if (streq(arch, "arm64") || streq(arch, "aa64"))
		dest = "\\EFI\\BOOT\\BOOTAA64.EFI";
	else
		return -EINVAL;
	r = exists(dest, userdata);
	if (r < 0)
		return r;
	if (r > 0) {
		if (ret_source)
			*ret_source = source;
		if (ret_dest)
			*ret_dest = dest;
		return 0;
	}
	r = exists(source, userdata);
	if (r < 0)
		return r;
	if (r == 0) {
		r = winboot_report_add_note(
		        report,
		        "ESP: neither %s nor %s exists; the UEFI "
		        "fallback loader cannot be created",
		        dest, source);
		return r < 0 ? r : -ENOENT;
	}
	r = winboot_report_add_change(report, dest, NULL,
	                              "copy of \\EFI\\Microsoft\\Boot\\"
	                              "bootmgfw.efi (UEFI fallback loader)");
	if (r < 0)
		return r;
	if (ret_source)
		*ret_source = source;
	if (ret_dest)
		*ret_dest = dest;
	return 1;
}
