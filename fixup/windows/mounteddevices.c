/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SYSTEM\MountedDevices: Windows remembers which volume is C: (and every
 * other letter and \??\Volume{GUID} name) by the partition's identity — MBR
 * disk signature + partition byte offset (12 bytes) or "DMIO:ID:" + GPT
 * partition GUID (24 bytes).  When a conversion moves partitions or changes
 * the partition style, C: points at nothing and the guest loops at logon.
 * This file checks the blobs against the new layout and produces the hive
 * edits that rewrite the ones that moved.
 *
 * It also holds the helpers all winboot fixers share: the disk layout
 * check, GUID text, and the report (what changed / what was left alone).
 */
#include "util.h"
#include "windows/winboot.h"

/* ---- layout -----------------------------------------------------------------
 */

int
winboot_layout_check(const struct winboot_layout *l)
{
	if (!l)
		return -EINVAL;
	if (l->style != WINBOOT_STYLE_MBR && l->style != WINBOOT_STYLE_GPT)
		return -EINVAL;
	if (l->n_partitions > WINBOOT_MAX_PARTITIONS ||
	    (l->n_partitions > 0 && !l->partitions))
		return -EINVAL;
	if (l->windows_part < -1 || l->windows_part >= (int)l->n_partitions ||
	    l->boot_part < -1 || l->boot_part >= (int)l->n_partitions)
		return -EINVAL;
	for (size_t i = 0; i < l->n_partitions; i++) {
		const struct winboot_partition *p = &l->partitions[i];

		if (p->start > UINT64_MAX - p->size)
			return -EINVAL;
		if (l->disk_size > 0 && p->start + p->size > l->disk_size)
			return -EINVAL;
	}
	return 0;
}

void
winboot_guid_format(const uint8_t g[16], char ret[WINBOOT_GUID_STRING_MAX])
{
	snprintf(ret, WINBOOT_GUID_STRING_MAX,
	         "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
	         util_le32(g), util_le16(g + 4), util_le16(g + 6), g[8], g[9],
	         g[10], g[11], g[12], g[13], g[14], g[15]);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
winboot_guid_parse(const char *s, uint8_t ret[16])
{
	/* Field widths in hex digits, then the on-disk byte order. */
	static const int widths[] = {8, 4, 4, 4, 12};
	uint8_t raw[16];
	size_t o = 0, k = 0;
	bool brace;

	if (!s)
		return -EINVAL;
	brace = s[0] == '{';
	o = brace;
	for (size_t f = 0; f < ELEMENTSOF(widths); f++) {
		if (f > 0 && s[o++] != '-')
			return -EINVAL;
		for (int d = 0; d < widths[f]; d += 2) {
			int hi = hexval(s[o]), lo;

			if (hi < 0)
				return -EINVAL;
			lo = hexval(s[o + 1]);
			if (lo < 0)
				return -EINVAL;
			raw[k++] = (uint8_t)(hi << 4 | lo);
			o += 2;
		}
	}
	if (brace && s[o++] != '}')
		return -EINVAL;
	if (s[o] != '\0')
		return -EINVAL;
	/* raw is big-endian text order; the first three fields are LE. */
	for (int i = 0; i < 4; i++)
		ret[i] = raw[3 - i];
	ret[4] = raw[5];
	ret[5] = raw[4];
	ret[6] = raw[7];
	ret[7] = raw[6];
	memcpy(ret + 8, raw + 8, 8);
	return 0;
}

/* ---- reports
 * ----------------------------------------------------------------- */

void
winboot_report_done(struct winboot_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_changes; i++) {
		free(r->changes[i].what);
		free(r->changes[i].before);
		free(r->changes[i].after);
	}
	free(r->changes);
	util_strv_free(r->notes);
	*r = (struct winboot_report){0};
}

int
winboot_report_add_change(struct winboot_report *r, const char *what,
                          const char *before, const char *after)
{
	struct winboot_change c = {0}, *nc;

	if (!r)
		return 0;
	c.what = strdup(what);
	c.before = before ? strdup(before) : NULL;
	c.after = after ? strdup(after) : NULL;
	if (!c.what || (before && !c.before) || (after && !c.after))
		goto oom;
	nc = reallocarray(r->changes, r->n_changes + 1, sizeof(*nc));
	if (!nc)
		goto oom;
	r->changes = nc;
	r->changes[r->n_changes++] = c;
	return 0;
oom:
	free(c.what);
	free(c.before);
	free(c.after);
	return -ENOMEM;
}

int
winboot_report_add_note(struct winboot_report *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!r)
		return 0;
	va_start(ap, fmt);
	k = util_strv_pushfv(&r->notes, fmt, ap);
	va_end(ap);
	return k;
}

/* Writes prefix, s and a newline; control characters (guest-derived text
 * may hold escape sequences) are shown as '?'. */
static void
put_line(FILE *out, const char *prefix, const char *s)
{
	fputs(prefix, out);
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	fputc('\n', out);
}

int
winboot_report_render(const struct winboot_report *r, const char *title,
                      FILE *out)
{
	if (!r || !out)
		return -EINVAL;
	fprintf(out, "%s:%s\n", title ? title : "changes",
	        r->n_changes == 0 ? " no change" : "");
	for (size_t i = 0; i < r->n_changes; i++) {
		const struct winboot_change *c = &r->changes[i];

		put_line(out, "  ", c->what);
		if (c->before)
			put_line(out, "    - ", c->before);
		if (c->after)
			put_line(out, "    + ", c->after);
	}
	STRV_FOREACH (n, r->notes)
		put_line(out, "  note: ", *n);
	return ferror(out) ? -EIO : 0;
}

int
winboot_report_to_string(const struct winboot_report *r, const char *title,
                         char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int k;

	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	k = winboot_report_render(r, title, f);
	if (fclose(f) != 0 && k == 0)
		k = -errno;
	if (k < 0) {
		free(buf);
		return k;
	}
	*ret = buf;
	return 0;
}

/* ---- MountedDevices blobs
 * ------------------------------------------------------ */

#define MDEV_MBR_LEN 12
#define MDEV_GPT_LEN 24
#define MDEV_GPT_MAGIC "DMIO:ID:"
#define MDEV_KEY "MountedDevices"

/* GPT "Microsoft reserved" partition type: no volume, no MountedDevices. */
static const uint8_t gpt_type_msr[16] = {
        0x16, 0xe3, 0xc9, 0xe3, 0x5c, 0x0b, 0xb8, 0x4d,
        0x81, 0x7d, 0xf9, 0x2d, 0xf0, 0x02, 0x15, 0xae,
};

enum winboot_mdev_blob
winboot_mdev_classify(const uint8_t *data, size_t len, uint32_t *ret_signature,
                      uint64_t *ret_offset, uint8_t ret_guid[16])
{
	if (!data)
		return WINBOOT_MDEV_OTHER;
	if (len == MDEV_MBR_LEN) {
		if (ret_signature)
			*ret_signature = util_le32(data);
		if (ret_offset)
			*ret_offset = util_le64(data + 4);
		return WINBOOT_MDEV_MBR;
	}
	if (len == MDEV_GPT_LEN && memcmp(data, MDEV_GPT_MAGIC, 8) == 0) {
		if (ret_guid)
			memcpy(ret_guid, data + 8, 16);
		return WINBOOT_MDEV_GPT;
	}
	return WINBOOT_MDEV_OTHER;
}

struct mdev_blob {
	enum winboot_mdev_blob kind;
	uint32_t signature;
	uint64_t offset;
	uint8_t guid[16];
};

static struct mdev_blob
blob_of(const struct winboot_mdev_value *v)
{
	struct mdev_blob b = {0};

	b.kind = winboot_mdev_classify(v->data, v->len, &b.signature, &b.offset,
	                               b.guid);
	return b;
}

static bool
blob_eq(const struct mdev_blob *a, const struct mdev_blob *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == WINBOOT_MDEV_MBR)
		return a->signature == b->signature && a->offset == b->offset;
	if (a->kind == WINBOOT_MDEV_GPT)
		return memcmp(a->guid, b->guid, 16) == 0;
	return false;
}

/* partitions[] index the blob names in the layout, or -1. */
static int
blob_in_layout(const struct mdev_blob *b, const struct winboot_layout *l)
{
	for (size_t i = 0; i < l->n_partitions; i++) {
		const struct winboot_partition *p = &l->partitions[i];

		if (b->kind == WINBOOT_MDEV_MBR &&
		    l->style == WINBOOT_STYLE_MBR &&
		    b->signature == l->mbr_signature && b->offset == p->start)
			return (int)i;
		if (b->kind == WINBOOT_MDEV_GPT &&
		    l->style == WINBOOT_STYLE_GPT &&
		    memcmp(b->guid, p->guid, 16) == 0)
			return (int)i;
	}
	return -1;
}

static void
blob_describe(const struct mdev_blob *b, char *buf, size_t size)
{
	char g[WINBOOT_GUID_STRING_MAX];

	if (b->kind == WINBOOT_MDEV_MBR)
		snprintf(buf, size, "MBR disk %08x, partition at byte %llu",
		         b->signature, (unsigned long long)b->offset);
	else if (b->kind == WINBOOT_MDEV_GPT) {
		winboot_guid_format(b->guid, g);
		snprintf(buf, size, "GPT partition %s", g);
	} else
		snprintf(buf, size, "(other)");
}

/* The blob bytes naming partitions[i]; returns the length. */
static size_t
blob_for_partition(const struct winboot_layout *l, size_t i,
                   uint8_t out[MDEV_GPT_LEN], struct mdev_blob *ret)
{
	const struct winboot_partition *p = &l->partitions[i];

	*ret = (struct mdev_blob){0};
	if (l->style == WINBOOT_STYLE_MBR) {
		util_put_le32(out, l->mbr_signature);
		util_put_le64(out + 4, p->start);
		ret->kind = WINBOOT_MDEV_MBR;
		ret->signature = l->mbr_signature;
		ret->offset = p->start;
		return MDEV_MBR_LEN;
	}
	memcpy(out, MDEV_GPT_MAGIC, 8);
	memcpy(out + 8, p->guid, 16);
	ret->kind = WINBOOT_MDEV_GPT;
	memcpy(ret->guid, p->guid, 16);
	return MDEV_GPT_LEN;
}

static bool
partition_has_volume(const struct winboot_layout *l, size_t i)
{
	const struct winboot_partition *p = &l->partitions[i];

	if (l->style == WINBOOT_STYLE_MBR)
		return p->mbr_type != 0 && p->mbr_type != 0x05 &&
		       p->mbr_type != 0x0f && p->mbr_type != 0x85;
	return memcmp(p->type_guid, gpt_type_msr, 16) != 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Layout partitions with a volume, in start order (the ordinal mapping). */
static size_t
volume_partitions(const struct winboot_layout *l, size_t *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_partitions; i++)
		if (partition_has_volume(l, i))
			ret[n++] = i;
	/* insertion sort by start: n <= WINBOOT_MAX_PARTITIONS */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && l->partitions[ret[j - 1]].start >
		                                    l->partitions[ret[j]].start;
		     j--) {
			size_t t = ret[j];

			ret[j] = ret[j - 1];
			ret[j - 1] = t;
		}
	return n;
}

int
winboot_mdev_fix_values(const struct winboot_mdev_value *values, size_t n,
                        const struct winboot_layout *l, char windows_letter,
                        struct hive_edits *edits, struct winboot_report *report)
{
	_cleanup_free_ uint64_t *offsets = NULL;
	size_t vol[WINBOOT_MAX_PARTITIONS], n_vol, n_off = 0;
	char c_name[16];
	const struct winboot_mdev_value *c_val = NULL;
	struct mdev_blob c_blob = {0};
	bool ordinal = false;
	int r, added = 0;

	r = winboot_layout_check(l);
	if (r < 0)
		return r;
	if (!edits || (n > 0 && !values))
		return -EINVAL;
	if (n > WINBOOT_MDEV_MAX_VALUES)
		return -E2BIG;
	if (!((windows_letter >= 'A' && windows_letter <= 'Z') ||
	      (windows_letter >= 'a' && windows_letter <= 'z')))
		return -EINVAL;
	if (l->windows_part < 0)
		return -ENOENT;
	snprintf(c_name, sizeof(c_name), "\\DosDevices\\%c:", windows_letter);

	for (size_t i = 0; i < n; i++)
		if (values[i].name && strcaseeq(values[i].name, c_name)) {
			c_val = &values[i];
			c_blob = blob_of(c_val);
			break;
		}
	if (!c_val) {
		r = winboot_report_add_note(
		        report,
		        "MountedDevices: no %s value; Windows assigns letters "
		        "anew at boot, only blobs that match the layout are "
		        "kept",
		        c_name);
		if (r < 0)
			return r;
	} else if (c_blob.kind == WINBOOT_MDEV_OTHER) {
		r = winboot_report_add_note(report,
		                            "MountedDevices: %s is not a "
		                            "partition blob (%zu bytes); "
		                            "left unchanged",
		                            c_name, c_val->len);
		if (r < 0)
			return r;
		c_val = NULL;
	} else {
		int at = blob_in_layout(&c_blob, l);

		if (at >= 0 && at != l->windows_part) {
			r = winboot_report_add_note(
			        report,
			        "MountedDevices: %s names partition %u of the "
			        "layout, not the Windows partition %u; left "
			        "unchanged",
			        c_name, l->partitions[at].index,
			        l->partitions[l->windows_part].index);
			if (r < 0)
				return r;
			c_val = NULL;
		}
	}

	/* Ordinal mapping of the Windows disk's MBR blobs. */
	n_vol = volume_partitions(l, vol);
	if (c_val && c_blob.kind == WINBOOT_MDEV_MBR) {
		offsets = calloc(n ? n : 1, sizeof(*offsets));
		if (!offsets)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			struct mdev_blob b = blob_of(&values[i]);
			bool seen = false;

			if (b.kind != WINBOOT_MDEV_MBR ||
			    b.signature != c_blob.signature)
				continue;
			for (size_t k = 0; k < n_off && !seen; k++)
				seen = offsets[k] == b.offset;
			if (!seen)
				offsets[n_off++] = b.offset;
		}
		qsort(offsets, n_off, sizeof(*offsets), cmp_u64);
		ordinal = n_off == n_vol && n_off > 0;
		if (ordinal) {
			for (size_t k = 0; k < n_off; k++)
				if (offsets[k] == c_blob.offset &&
				    vol[k] != (size_t)l->windows_part)
					ordinal = false;
		}
		if (!ordinal && n_off > 1) {
			r = winboot_report_add_note(
			        report,
			        "MountedDevices: disk %08x had %zu partitions "
			        "with names, the layout has %zu volumes (or "
			        "the "
			        "order differs); only %s is remapped",
			        c_blob.signature, n_off, n_vol, c_name);
			if (r < 0)
				return r;
		}
	}

	for (size_t i = 0; i < n; i++) {
		const struct winboot_mdev_value *v = &values[i];
		struct mdev_blob b = blob_of(v), nb;
		uint8_t data[MDEV_GPT_LEN];
		char before[96], after[96];
		_cleanup_free_ char *what = NULL;
		int target = -1;
		size_t len;

		if (!v->name || b.kind == WINBOOT_MDEV_OTHER)
			continue; /* CD-ROM, USB, ... strings: left alone */
		if (blob_in_layout(&b, l) >= 0)
			continue;
		if (c_val && blob_eq(&b, &c_blob))
			target = l->windows_part;
		else if (ordinal && b.kind == WINBOOT_MDEV_MBR &&
		         b.signature == c_blob.signature) {
			for (size_t k = 0; k < n_off; k++)
				if (offsets[k] == b.offset)
					target = (int)vol[k];
		}
		blob_describe(&b, before, sizeof(before));
		if (target < 0) {
			r = winboot_report_add_note(
			        report,
			        "MountedDevices: %s (%s) names no partition of "
			        "the layout and cannot be mapped; left "
			        "unchanged",
			        v->name, before);
			if (r < 0)
				return r;
			continue;
		}
		len = blob_for_partition(l, (size_t)target, data, &nb);
		blob_describe(&nb, after, sizeof(after));
		r = hive_edits_set(edits, MDEV_KEY, v->name, HIVE_T_BINARY,
		                   data, len);
		if (r < 0)
			return r;
		added++;
		if (util_asprintf(&what, "%s\\%s", MDEV_KEY, v->name) < 0)
			return -ENOMEM;
		r = winboot_report_add_change(report, what, before, after);
		if (r < 0)
			return r;
	}
	return added;
}

int
winboot_mdev_fix(struct hive *system, const struct winboot_layout *l,
                 char windows_letter, struct hive_edits *edits,
                 struct winboot_report *report)
{
	_cleanup_strv_free_ char **names = NULL;
	struct winboot_mdev_value *vals = NULL;
	struct hive_value *raw = NULL;
	size_t n;
	int r;

	r = hive_list_values(system, MDEV_KEY, &names);
	if (r == -ENOENT)
		return winboot_report_add_note(
		        report,
		        "MountedDevices: key absent; Windows creates it "
		        "at boot");
	if (r < 0)
		return r;
	n = util_strv_length(names);
	if (n > WINBOOT_MDEV_MAX_VALUES)
		return -E2BIG;
	vals = calloc(n ? n : 1, sizeof(*vals));
	raw = calloc(n ? n : 1, sizeof(*raw));
	if (!vals || !raw) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = hive_get_value(system, MDEV_KEY, names[i], &raw[i]);
		if (r < 0)
			goto out;
		vals[i] = (struct winboot_mdev_value){.name = names[i],
		                                      .data = raw[i].data,
		                                      .len = raw[i].len};
	}
	r = winboot_mdev_fix_values(vals, n, l, windows_letter, edits, report);
out:
	if (raw)
		for (size_t i = 0; i < n; i++)
			hive_value_done(&raw[i]);
	free(raw);
	free(vals);
	return r;
}
