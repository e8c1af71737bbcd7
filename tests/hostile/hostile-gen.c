/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostile-gen — damaged variants of a fixture disk image, for the hostile
 * image tests (test-hostile-images.sh):
 *
 *   hostile-gen --list IMAGE            variants that apply to IMAGE, one
 *                                       "NAME<TAB>what is damaged" a line
 *   hostile-gen IMAGE VARIANT OUTPUT    OUTPUT = a sparse copy of IMAGE
 *                                       with that damage applied
 *
 * The image is a pristine fixture built by tests/fixtures/mkimage: an MBR
 * or GPT disk with an NTFS partition holding hives.  Its structures are
 * located with imgfix's own probe (libblkid) for the partitions, the NTFS
 * boot sector's BPB for $MFT, and a scan for "regf"/"hbin" signatures at
 * cluster boundaries for the hives.  Random flips come from a fixed-seed
 * xorshift generator keyed by the variant name, so every run damages the
 * same bytes.  Damage always changes at least one byte (checked).
 *
 * Exit 0 on success, 1 on failure, 2 on usage.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "image/volume.h"

#define GEN_MAX_HIVES 8
#define GEN_MAX_HBINS 4096
#define GEN_HIVE_ALIGN 4096u
#define GEN_MFT_RECORDS 16u
#define GEN_MAX_RECORD_SIZE 4096u

struct image {
	int fd;
	uint64_t size;
	struct fixup_disk_layout layout;
	int ntfs; /* partition index, -1 none */
	uint64_t ntfs_start, ntfs_size;
	uint64_t mft;         /* byte offset of $MFT, 0 = not found */
	uint32_t record_size; /* MFT record size */
	uint64_t hives[GEN_MAX_HIVES];
	size_t n_hives;
	uint64_t gpt_entries; /* byte offset of the GPT entry array */
};

struct variant;
struct variant {
	const char *name;
	const char *what;
	bool (*applies)(const struct image *img);
	int (*apply)(struct image *img, int out, const struct variant *v,
	             uint64_t *rng);
	uint32_t arg;
};

/* ---- helpers ------------------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
seed_of(const char *name)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return h ? h : 1;
}

static int
pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* XORs n random bytes in [off, off+len) with random non-zero values. */
static int
flip(int fd, uint64_t off, uint64_t len, unsigned n, uint64_t *s)
{
	if (len == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = off + rnd(s) % len;
		uint8_t b, x = (uint8_t)(rnd(s) % 255 + 1);
		int r = pread_all(fd, &b, 1, at);

		if (r < 0)
			return r;
		b ^= x;
		r = pwrite_all(fd, &b, 1, at);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
put_bytes(int fd, uint64_t off, const void *v, size_t len)
{
	return pwrite_all(fd, v, len, off);
}

static int
put_le16(int fd, uint64_t off, uint16_t v)
{
	uint8_t b[2];

	util_put_le16(b, v);
	return put_bytes(fd, off, b, 2);
}

static int
put_le32(int fd, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	util_put_le32(b, v);
	return put_bytes(fd, off, b, 4);
}

static int
put_le64(int fd, uint64_t off, uint64_t v)
{
	uint8_t b[8];

	util_put_le64(b, v);
	return put_bytes(fd, off, b, 8);
}

static uint32_t
crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* Recomputes the primary GPT's entry-array and header CRCs, so a changed
 * entry is a "valid" table. */
static int
gpt_fix_crcs(int fd)
{
	uint8_t hdr[512];
	_cleanup_free_ uint8_t *ents = NULL;
	uint32_t n, esz, hsz;
	uint64_t lba;
	int r;

	r = pread_all(fd, hdr, sizeof(hdr), 512);
	if (r < 0)
		return r;
	hsz = util_le32(hdr + 12);
	lba = util_le64(hdr + 72);
	n = util_le32(hdr + 80);
	esz = util_le32(hdr + 84);
	if (hsz < 92 || hsz > 512 || n > 1024 || esz < 128 || esz > 1024 ||
	    lba > (1u << 20))
		return -EBADMSG;
	ents = malloc((size_t)n * esz);
	if (!ents)
		return -ENOMEM;
	r = pread_all(fd, ents, (size_t)n * esz, lba * 512);
	if (r < 0)
		return r;
	util_put_le32(hdr + 88, crc32_ieee(ents, (size_t)n * esz));
	util_put_le32(hdr + 16, 0);
	util_put_le32(hdr + 16, crc32_ieee(hdr, hsz));
	return pwrite_all(fd, hdr, sizeof(hdr), 512);
}

static int
copy_sparse(int src, int dst)
{
	off_t pos = 0, data, hole;

	for (;;) {
		data = lseek(src, pos, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		for (off_t at = data; at < hole;) {
			loff_t in = at, out = at;
			ssize_t n = copy_file_range(src, &in, dst, &out,
			                            (size_t)(hole - at), 0);

			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO;
			at += n;
		}
		pos = hole;
	}
}

/* 1 when the copy differs from the original (sizes, or the bytes of the
 * copy's data extents; the copy has the original's holes or fewer), 0
 * when not, -errno. */
static int
differs(int orig, int copy)
{
	struct stat a, b;
	off_t pos = 0;

	if (fstat(orig, &a) < 0 || fstat(copy, &b) < 0)
		return -errno;
	if (a.st_size != b.st_size)
		return 1;
	for (;;) {
		off_t data = lseek(copy, pos, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(copy, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		for (off_t at = data; at < hole;) {
			uint8_t x[65536], y[65536];
			size_t n = (size_t)MIN((off_t)sizeof(x), hole - at);
			int r = pread_all(orig, x, n, (uint64_t)at);

			if (r >= 0)
				r = pread_all(copy, y, n, (uint64_t)at);
			if (r < 0)
				return r;
			if (memcmp(x, y, n) != 0)
				return 1;
			at += (off_t)n;
		}
		pos = hole;
	}
}

/* ---- locating the structures -------------------------------------------- */

static void
find_mft(struct image *img)
{
	uint8_t bs[512], rec[4];
	uint32_t bps, spc, cluster;
	int8_t cpr;
	uint64_t lcn, off;

	if (pread_all(img->fd, bs, sizeof(bs), img->ntfs_start) < 0 ||
	    memcmp(bs + 3, "NTFS    ", 8) != 0)
		return;
	bps = util_le16(bs + 0x0b);
	spc = bs[0x0d];
	if (spc > 0x80)
		spc = 1u << (256 - spc);
	cluster = bps * spc;
	lcn = util_le64(bs + 0x30);
	cpr = (int8_t)bs[0x40];
	if (bps < 512 || bps > 4096 || cluster == 0 || cluster > 65536)
		return;
	img->record_size = cpr > 0 ? (uint32_t)cpr * cluster
	                           : (cpr > -32 ? 1u << -cpr : 0);
	if (img->record_size < 256 || img->record_size > GEN_MAX_RECORD_SIZE)
		return;
	if (lcn > img->ntfs_size / cluster)
		return;
	off = img->ntfs_start + lcn * cluster;
	if (pread_all(img->fd, rec, 4, off) < 0 || memcmp(rec, "FILE", 4) != 0)
		return;
	img->mft = off;
}

static void
find_hives(struct image *img)
{
	uint64_t end = img->ntfs_start + img->ntfs_size;
	off_t pos = (off_t)img->ntfs_start;

	while (img->n_hives < GEN_MAX_HIVES && (uint64_t)pos < end) {
		off_t data = lseek(img->fd, pos, SEEK_DATA), hole;
		uint64_t rel;

		if (data < 0)
			return;
		hole = lseek(img->fd, data, SEEK_HOLE);
		if (hole < 0)
			return;
		/* clusters are aligned to the partition, not the disk */
		rel = (uint64_t)data - img->ntfs_start;

		for (uint64_t at = img->ntfs_start +
		                   (rel + GEN_HIVE_ALIGN - 1) / GEN_HIVE_ALIGN *
		                           GEN_HIVE_ALIGN;
		     at + 8192 <= (uint64_t)hole && at < end &&
		     img->n_hives < GEN_MAX_HIVES;
		     at += GEN_HIVE_ALIGN) {
			uint8_t a[4], b[4];

			if (pread_all(img->fd, a, 4, at) < 0 ||
			    pread_all(img->fd, b, 4, at + 4096) < 0)
				return;
			if (!memcmp(a, "regf", 4) && !memcmp(b, "hbin", 4))
				img->hives[img->n_hives++] = at;
		}
		pos = hole;
	}
}

/* Byte range of the hive's hbins: [hive+4096, end of the last hbin). */
static uint64_t
hive_bins_len(const struct image *img, uint64_t hive)
{
	uint64_t at = hive + 4096, len = 0;

	for (unsigned i = 0; i < GEN_MAX_HBINS; i++) {
		uint8_t h[12];
		uint32_t sz;

		if (pread_all(img->fd, h, sizeof(h), at) < 0 ||
		    memcmp(h, "hbin", 4) != 0)
			break;
		sz = util_le32(h + 8);
		if (sz < 4096 || sz % 4096)
			break;
		len += sz;
		at += sz;
	}
	return len;
}

static int
image_open(const char *path, struct image *img)
{
	struct stat st;
	int r;

	*img = (struct image){.fd = -1, .ntfs = -1};
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0)
		return -errno;
	if (fstat(img->fd, &st) < 0)
		return -errno;
	img->size = (uint64_t)st.st_size;
	r = fixup_probe_disk(img->fd, img->size, path, &img->layout);
	if (r < 0)
		return r;
	for (size_t i = 0; i < img->layout.n_parts; i++)
		if (streq_ptr(img->layout.parts[i].fstype, "ntfs")) {
			img->ntfs = (int)i;
			img->ntfs_start = img->layout.parts[i].start;
			img->ntfs_size = img->layout.parts[i].size;
			break;
		}
	if (img->layout.style == FIXUP_DISK_GPT) {
		uint8_t hdr[92];

		if (pread_all(img->fd, hdr, sizeof(hdr), 512) == 0 &&
		    !memcmp(hdr, "EFI PART", 8))
			img->gpt_entries = util_le64(hdr + 72) * 512;
	}
	if (img->ntfs >= 0) {
		find_mft(img);
		find_hives(img);
	}
	return 0;
}

/* ---- the variants ------------------------------------------------------- */

static bool
is_mbr(const struct image *img)
{
	return img->layout.style == FIXUP_DISK_MBR;
}

static bool
is_gpt(const struct image *img)
{
	return img->gpt_entries != 0;
}

static bool
has_ntfs(const struct image *img)
{
	return img->ntfs >= 0;
}

static bool
has_mft(const struct image *img)
{
	return img->mft != 0;
}

static bool
has_hive(const struct image *img)
{
	return img->n_hives > 0;
}

static bool
always(const struct image *img)
{
	return true;
}

/* MBR slot of the NTFS partition (its number - 1 for primaries). */
static uint64_t
mbr_slot(const struct image *img)
{
	unsigned n = img->layout.parts[img->ntfs].number;

	return 0x1be + 16 * (n >= 1 && n <= 4 ? n - 1 : 0);
}

static int
v_mbr_flip(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	return flip(out, 0x1be, 64, 4, s);
}

static int
v_mbr_beyond_eof(struct image *img, int out, const struct variant *v,
                 uint64_t *s)
{
	return put_le32(out, mbr_slot(img) + 12, 0xfffffff0u);
}

static int
v_mbr_overlap(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* the partition starts at sector 0: on top of the MBR */
	return put_le32(out, mbr_slot(img) + 8, 0);
}

static int
v_mbr_shift(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	uint8_t b[4];
	int r = pread_all(out, b, 4, mbr_slot(img) + 8);

	return r < 0 ? r : put_le32(out, mbr_slot(img) + 8, util_le32(b) + 1);
}

static int
v_mbr_type(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* 0x05: the NTFS slot claims to be an extended partition whose
	 * "EBR" is the NTFS boot sector */
	const uint8_t t = 0x05;

	return put_bytes(out, mbr_slot(img) + 4, &t, 1);
}

static int
v_gpt_header_flip(struct image *img, int out, const struct variant *v,
                  uint64_t *s)
{
	return flip(out, 512, 92, 4, s);
}

static int
v_gpt_entries_flip(struct image *img, int out, const struct variant *v,
                   uint64_t *s)
{
	return flip(out, img->gpt_entries, 128 * 4, 8, s);
}

static int
v_gpt_entry_beyond_eof(struct image *img, int out, const struct variant *v,
                       uint64_t *s)
{
	uint64_t e = img->gpt_entries +
	             128 * (uint64_t)(img->layout.parts[img->ntfs].number - 1);
	int r = put_le64(out, e + 40, 0x7fffffffffffull);

	return r < 0 ? r : gpt_fix_crcs(out);
}

static int
v_gpt_entry_inverted(struct image *img, int out, const struct variant *v,
                     uint64_t *s)
{
	/* last LBA before first LBA, CRCs valid */
	uint64_t e = img->gpt_entries +
	             128 * (uint64_t)(img->layout.parts[img->ntfs].number - 1);
	int r = put_le64(out, e + 40, 1);

	return r < 0 ? r : gpt_fix_crcs(out);
}

static int
v_boot_flip(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	return flip(out, img->ntfs_start + 0x0b, 0x54 - 0x0b, 3, s);
}

static int
v_boot_zero(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	static const uint8_t zero[512];

	return put_bytes(out, img->ntfs_start, zero, sizeof(zero));
}

static int
v_boot_u16(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* arg: offset << 16 | value */

	return put_le16(out, img->ntfs_start + (v->arg >> 16),
	                (uint16_t)v->arg);
}

static int
v_boot_u8(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* arg: offset << 16 | value */
	const uint8_t b = (uint8_t)v->arg;

	return put_bytes(out, img->ntfs_start + (v->arg >> 16), &b, 1);
}

static int
v_boot_mft_lcn(struct image *img, int out, const struct variant *v, uint64_t *s)
{

	return put_le64(out, img->ntfs_start + 0x30,
	                v->arg ? 0x7fffffffffffffffull : img->ntfs_size / 4096);
}

static int
v_boot_record_size(struct image *img, int out, const struct variant *v,
                   uint64_t *s)
{
	const uint8_t b = (uint8_t)v->arg;

	return put_bytes(out, img->ntfs_start + 0x40, &b, 1);
}

static int
v_mft_flip(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	return flip(out, img->mft, (uint64_t)GEN_MFT_RECORDS * img->record_size,
	            12, s);
}

static int
v_mft_record_u16(struct image *img, int out, const struct variant *v,
                 uint64_t *s)
{
	/* arg: record << 16 | field offset; value 0xffff */

	return put_le16(out,
	                img->mft + (uint64_t)(v->arg >> 16) * img->record_size +
	                        (v->arg & 0xffff),
	                0xfff8);
}

static int
v_mft_record_zero(struct image *img, int out, const struct variant *v,
                  uint64_t *s)
{
	static const uint8_t zero[GEN_MAX_RECORD_SIZE];

	return put_bytes(out, img->mft + (uint64_t)v->arg * img->record_size,
	                 zero, img->record_size);
}

static int
v_mft_record_flip(struct image *img, int out, const struct variant *v,
                  uint64_t *s)
{

	/* attribute area of one record (after the 0x38-byte header) */
	return flip(out, img->mft + (uint64_t)v->arg * img->record_size + 0x38,
	            img->record_size - 0x40, 6, s);
}

static int
v_hive_flip(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	uint64_t h = img->hives[v->arg % img->n_hives];
	uint64_t len = hive_bins_len(img, h);

	return len ? flip(out, h + 4096, len, 24, s) : -ENOENT;
}

static int
v_hive_root(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* root cell offset far outside the hive */
	return put_le32(out, img->hives[0] + 0x24, 0x7ffffff0u);
}

static int
v_hive_hbin_size(struct image *img, int out, const struct variant *v,
                 uint64_t *s)
{

	return put_le32(out, img->hives[0] + 4096 + 8, v->arg);
}

static int
v_hive_cell_sizes(struct image *img, int out, const struct variant *v,
                  uint64_t *s)
{
	/* the first cell of every hbin claims the whole hive */
	uint64_t h = img->hives[0], at = h + 4096;
	uint64_t end = at + hive_bins_len(img, h);
	int r = 0;

	while (at < end && r >= 0) {
		uint8_t b[12];

		r = pread_all(out, b, sizeof(b), at);
		if (r < 0)
			break;
		r = put_le32(out, at + 32, (uint32_t)-0x7ffffff0);
		at += util_le32(b + 8);
	}
	return r;
}

static int
v_hive_dirty(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	/* header sequence numbers differ: a dirty hive */
	uint8_t b[4];
	int r = pread_all(out, b, 4, img->hives[0] + 4);

	return r < 0 ? r : put_le32(out, img->hives[0] + 4, util_le32(b) + 1);
}

static int
v_truncate(struct image *img, int out, const struct variant *v, uint64_t *s)
{
	uint64_t len;

	switch (v->arg) {
	case 0:
		len = 512;
		break;
	case 1: /* inside the NTFS boot area */
		len = img->ntfs_start + 4096;
		break;
	case 2: /* inside $MFT */
		len = img->mft ? img->mft + 2048 : img->size / 4;
		break;
	case 3:
		len = img->size / 2;
		break;
	default: /* the last MiB (backup boot sector, GPT backup) missing */
		len = img->size - (1u << 20);
		break;
	}
	return ftruncate(out, (off_t)len) < 0 ? -errno : 0;
}

static const struct variant variants[] = {
        {"mbr-flip-1", "4 random bytes of the MBR partition table", is_mbr,
         v_mbr_flip, 0},
        {"mbr-flip-2", "4 random bytes of the MBR partition table", is_mbr,
         v_mbr_flip, 0},
        {"mbr-flip-3", "4 random bytes of the MBR partition table", is_mbr,
         v_mbr_flip, 0},
        {"mbr-beyond-eof", "NTFS partition size past the end of the image",
         is_mbr, v_mbr_beyond_eof, 0},
        {"mbr-overlap", "NTFS partition starting at sector 0", is_mbr,
         v_mbr_overlap, 0},
        {"mbr-shift", "NTFS partition start moved by one sector", is_mbr,
         v_mbr_shift, 0},
        {"mbr-type-extended", "NTFS slot typed as an extended partition",
         is_mbr, v_mbr_type, 0},
        {"gpt-header-flip", "4 random bytes of the primary GPT header", is_gpt,
         v_gpt_header_flip, 0},
        {"gpt-entries-flip", "8 random bytes of the first GPT entries", is_gpt,
         v_gpt_entries_flip, 0},
        {"gpt-beyond-eof", "NTFS entry's last LBA past EOF, CRCs valid", is_gpt,
         v_gpt_entry_beyond_eof, 0},
        {"gpt-inverted", "NTFS entry's last LBA before its first, CRCs valid",
         is_gpt, v_gpt_entry_inverted, 0},
        {"boot-flip-1", "3 random bytes of the NTFS BPB", has_ntfs, v_boot_flip,
         0},
        {"boot-flip-2", "3 random bytes of the NTFS BPB", has_ntfs, v_boot_flip,
         0},
        {"boot-flip-3", "3 random bytes of the NTFS BPB", has_ntfs, v_boot_flip,
         0},
        {"boot-zero", "NTFS boot sector zeroed", has_ntfs, v_boot_zero, 0},
        {"boot-bps-1", "bytes per sector = 1", has_ntfs, v_boot_u16,
         0x0b << 16 | 1},
        {"boot-bps-65535", "bytes per sector = 65535", has_ntfs, v_boot_u16,
         0x0b << 16 | 0xffff},
        {"boot-spc-0", "sectors per cluster = 0", has_ntfs, v_boot_u8,
         0x0d << 16 | 0x00},
        {"boot-spc-3", "sectors per cluster = 3 (not a power of two)", has_ntfs,
         v_boot_u8, 0x0d << 16 | 0x03},
        {"boot-mft-lcn-huge", "$MFT cluster number 2^63-1", has_ntfs,
         v_boot_mft_lcn, 1},
        {"boot-mft-lcn-end", "$MFT cluster number at the partition's end",
         has_ntfs, v_boot_mft_lcn, 0},
        {"boot-record-size-0", "clusters per MFT record = 0", has_ntfs,
         v_boot_record_size, 0},
        {"boot-record-size-neg", "clusters per MFT record = -31 (2 GiB)",
         has_ntfs, v_boot_record_size, 0xe1},
        {"mft-flip-1", "12 random bytes in the first 16 MFT records", has_mft,
         v_mft_flip, 0},
        {"mft-flip-2", "12 random bytes in the first 16 MFT records", has_mft,
         v_mft_flip, 0},
        {"mft-flip-3", "12 random bytes in the first 16 MFT records", has_mft,
         v_mft_flip, 0},
        {"mft-rec0-attr-offset", "$MFT record: first attribute offset 0xfff8",
         has_mft, v_mft_record_u16, 0 << 16 | 0x14},
        {"mft-rec0-usa", "$MFT record: update sequence offset 0xfff8", has_mft,
         v_mft_record_u16, 0 << 16 | 0x04},
        {"mft-rec5-zero", "root directory record zeroed", has_mft,
         v_mft_record_zero, 5},
        {"mft-rec5-flip", "6 random bytes in the root directory's attributes",
         has_mft, v_mft_record_flip, 5},
        {"mft-rec0-flip", "6 random bytes in $MFT's own attributes", has_mft,
         v_mft_record_flip, 0},
        {"mft-rec6-flip", "6 random bytes in $Bitmap's attributes", has_mft,
         v_mft_record_flip, 6},
        {"hive-flip-1", "24 random bytes in the hbins of hive 1", has_hive,
         v_hive_flip, 0},
        {"hive-flip-2", "24 random bytes in the hbins of hive 2", has_hive,
         v_hive_flip, 1},
        {"hive-flip-3", "24 random bytes in the hbins of hive 3 (or 1)",
         has_hive, v_hive_flip, 2},
        {"hive-root-offset", "hive 1 root cell offset outside the hive",
         has_hive, v_hive_root, 0},
        {"hive-hbin-size-0", "hive 1 first hbin size 0", has_hive,
         v_hive_hbin_size, 0},
        {"hive-hbin-size-huge", "hive 1 first hbin size 2^31", has_hive,
         v_hive_hbin_size, 0x80000000u},
        {"hive-cell-sizes", "hive 1: first cell of every hbin claims 2 GiB",
         has_hive, v_hive_cell_sizes, 0},
        {"hive-dirty", "hive 1 header sequence numbers differ", has_hive,
         v_hive_dirty, 0},
        {"trunc-512", "image truncated to one sector", always, v_truncate, 0},
        {"trunc-boot", "image truncated inside the NTFS boot area", has_ntfs,
         v_truncate, 1},
        {"trunc-mft", "image truncated inside $MFT", has_ntfs, v_truncate, 2},
        {"trunc-half", "image truncated to half its size", always, v_truncate,
         3},
        {"trunc-tail", "last MiB of the image missing", always, v_truncate, 4},
};

static int
make_variant(const char *path, const struct variant *v, const char *output)
{
	struct image img;
	_cleanup_close_ int out = -1;
	uint64_t rng;
	int r;

	r = image_open(path, &img);
	if (r < 0) {
		fprintf(stderr, "hostile-gen: %s: %s\n", path, strerror(-r));
		goto out;
	}
	if (!v->applies(&img)) {
		fprintf(stderr, "hostile-gen: %s does not apply to %s\n",
		        v->name, path);
		r = -EINVAL;
		goto out;
	}
	out = open(output, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		fprintf(stderr, "hostile-gen: %s: %s\n", output, strerror(-r));
		goto out;
	}
	r = ftruncate(out, (off_t)img.size) < 0 ? -errno : 0;
	if (r >= 0)
		r = copy_sparse(img.fd, out);
	rng = seed_of(v->name);
	if (r >= 0)
		r = v->apply(&img, out, v, &rng);
	if (r >= 0 && fsync(out) < 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "hostile-gen: %s: %s\n", v->name, strerror(-r));
		goto out;
	}
	/* the damage must change something */
	r = differs(img.fd, out);
	if (r == 0) {
		fprintf(stderr, "hostile-gen: %s changed nothing\n", v->name);
		r = -EINVAL;
	}
out:
	fixup_disk_layout_done(&img.layout);
	if (img.fd >= 0)
		close(img.fd);
	return r;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && streq(argv[1], "--list")) {
		struct image img;
		int r = image_open(argv[2], &img);

		if (r < 0) {
			fprintf(stderr, "hostile-gen: %s: %s\n", argv[2],
			        strerror(-r));
			return 1;
		}
		for (size_t i = 0; i < ELEMENTSOF(variants); i++)
			if (variants[i].applies(&img))
				printf("%s\t%s\n", variants[i].name,
				       variants[i].what);
		fprintf(stderr,
		        "hostile-gen: %s: %s, NTFS at %" PRIu64
		        ", $MFT at %" PRIu64
		        " (records of %u bytes), %zu hive(s)\n",
		        argv[2], fixup_disk_style_to_string(img.layout.style),
		        img.ntfs_start, img.mft, img.record_size, img.n_hives);
		fixup_disk_layout_done(&img.layout);
		close(img.fd);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "Usage: hostile-gen --list IMAGE\n"
		                "       hostile-gen IMAGE VARIANT OUTPUT\n");
		return 2;
	}
	for (size_t i = 0; i < ELEMENTSOF(variants); i++)
		if (streq(variants[i].name, argv[2]))
			return make_variant(argv[1], &variants[i], argv[3]) < 0
			               ? 1
			               : 0;
	fprintf(stderr, "hostile-gen: unknown variant %s\n", argv[2]);
	return 2;
}
