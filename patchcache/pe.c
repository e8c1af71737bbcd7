/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PE reader: machine, subsystem and the VS_FIXEDFILEINFO of the version
 * resource (RT_VERSION in .rsrc), which is how Windows itself tells one
 * build of hal.dll or ntoskrnl.exe from another.  Every offset and size read
 * from the file is checked against the buffer before use; resource
 * directories are walked with a depth of exactly three (type, name,
 * language) and a cap on entries, so a crafted file cannot loop.
 */
#include "patchcache-internal.h"

#define PE_DOS_LFANEW 0x3c
#define PE_FILE_HEADER_SIZE 20
#define PE_SECTION_SIZE 40
#define PE_OPT_MAGIC_PE32 0x10b
#define PE_OPT_MAGIC_PE32P 0x20b
#define PE_DIR_RESOURCE 2
#define PE_RT_VERSION 16
#define PE_VS_SIGNATURE 0xFEEF04BDu
#define PE_RSRC_DIR_SIZE 16
#define PE_RSRC_ENTRY_SIZE 8

struct pe_section {
	uint32_t va, vsize, raw, rawsize;
};

struct pe {
	const uint8_t *buf;
	size_t len;
	const uint8_t *sect_tab;
	unsigned n_sections;
};

/* True when [off, off+n) lies inside the buffer. */
static bool
in_buf(const struct pe *pe, uint64_t off, uint64_t n)
{
	return off <= pe->len && n <= pe->len - off;
}

/* Maps an RVA range to a file offset; false when not backed by file data. */
static bool
rva_to_off(const struct pe *pe, uint32_t rva, uint32_t n, size_t *ret)
{
	for (unsigned i = 0; i < pe->n_sections; i++) {
		const uint8_t *s = pe->sect_tab + (size_t)i * PE_SECTION_SIZE;
		uint64_t va = util_le32(s + 12), vsize = util_le32(s + 8);
		uint64_t rawsize = util_le32(s + 16), raw = util_le32(s + 20);
		uint64_t span = MAX(vsize, rawsize);

		if (rva < va || (uint64_t)rva >= va + span)
			continue;
		if ((uint64_t)rva - va + n > rawsize)
			return false;
		if (!in_buf(pe, raw + (rva - va), n))
			return false;
		*ret = (size_t)(raw + (rva - va));
		return true;
	}
	return false;
}

/* Resource directory: finds the first entry (id match, or any when id < 0)
 * whose data offset satisfies want_dir; returns its offset in the section. */
static int
rsrc_find(const struct pe *pe, size_t rsrc, uint32_t rsrc_size, uint32_t dir,
          long id, bool want_dir, uint32_t *ret)
{
	size_t off;
	unsigned n;

	if (dir > rsrc_size || rsrc_size - dir < PE_RSRC_DIR_SIZE)
		return -EBADMSG;
	off = rsrc + dir;
	n = (unsigned)util_le16(pe->buf + off + 12) +
	    util_le16(pe->buf + off + 14);
	if (n > PCACHE_MAX_RSRC_ENTRIES)
		return -EBADMSG;
	if ((uint64_t)dir + PE_RSRC_DIR_SIZE +
	            (uint64_t)n * PE_RSRC_ENTRY_SIZE >
	    rsrc_size)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = pe->buf + off + PE_RSRC_DIR_SIZE +
		                   i * PE_RSRC_ENTRY_SIZE;
		uint32_t name = util_le32(e), data = util_le32(e + 4);
		bool is_dir = data & 0x80000000u;

		if (id >= 0 && ((name & 0x80000000u) || name != (uint32_t)id))
			continue;
		if (is_dir != want_dir)
			continue;
		data &= 0x7fffffffu;
		/* Entries point forward only in practice; refusing a
		 * pointer back to this directory stops trivial loops. */
		if (data == dir)
			return -EBADMSG;
		*ret = data;
		return 0;
	}
	return -ENOENT;
}

/* Looks for VS_FIXEDFILEINFO inside a VS_VERSIONINFO block. */
static int
parse_version_info(const uint8_t *p, size_t n, struct pcache_pe_info *info)
{
	/* VS_VERSIONINFO: wLength, wValueLength, wType, szKey
	 * (L"VS_VERSION_INFO\0", 32 bytes), padding to 4, then Value. */
	static const char key[] = "VS_VERSION_INFO";
	size_t len, vlen, off;

	if (n < 6 + sizeof(key) * 2)
		return -EBADMSG;
	len = util_le16(p);
	vlen = util_le16(p + 2);
	if (len > n || len < 6 + sizeof(key) * 2)
		return -EBADMSG;
	for (size_t i = 0; i < sizeof(key); i++)
		if (util_le16(p + 6 + 2 * i) != (uint8_t)key[i])
			return -EBADMSG;
	off = (6 + sizeof(key) * 2 + 3) & ~(size_t)3;
	if (vlen < 52 || off > len || len - off < 52)
		return -EBADMSG;
	if (util_le32(p + off) != PE_VS_SIGNATURE)
		return -EBADMSG;
	info->file_version = (uint64_t)util_le32(p + off + 8) << 32 |
	                     util_le32(p + off + 12);
	info->product_version = (uint64_t)util_le32(p + off + 16) << 32 |
	                        util_le32(p + off + 20);
	info->has_version = true;
	return 0;
}

static int
parse_resources(const struct pe *pe, uint32_t rva, uint32_t size,
                struct pcache_pe_info *info)
{
	size_t rsrc;
	uint32_t d1, d2, leaf;
	int r;

	if (size < PE_RSRC_DIR_SIZE || !rva_to_off(pe, rva, size, &rsrc))
		return -EBADMSG;
	r = rsrc_find(pe, rsrc, size, 0, PE_RT_VERSION, true, &d1);
	if (r == -ENOENT)
		return 0; /* no version resource */
	if (r < 0)
		return r;
	r = rsrc_find(pe, rsrc, size, d1, -1, true, &d2);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	r = rsrc_find(pe, rsrc, size, d2, -1, false, &leaf);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	if (leaf > size || size - leaf < 16)
		return -EBADMSG;
	{
		const uint8_t *de = pe->buf + rsrc + leaf;
		uint32_t data_rva = util_le32(de),
		         data_size = util_le32(de + 4);
		size_t data_off;

		if (data_size == 0 || data_size > PCACHE_MAX_PE_SIZE ||
		    !rva_to_off(pe, data_rva, data_size, &data_off))
			return -EBADMSG;
		return parse_version_info(pe->buf + data_off, data_size, info);
	}
}

int
pcache_pe_parse(const void *buf, size_t len, struct pcache_pe_info *ret)
{
	struct pe pe = {.buf = buf, .len = len};
	struct pcache_pe_info info = {0};
	uint32_t lfanew, n_dirs, res_rva = 0, res_size = 0;
	size_t opt, opt_size, dirs;
	uint16_t magic;
	int r;

	if (!buf || len < 64 || pe.buf[0] != 'M' || pe.buf[1] != 'Z')
		return -EBADMSG;
	lfanew = util_le32(pe.buf + PE_DOS_LFANEW);
	if (!in_buf(&pe, lfanew, 4 + PE_FILE_HEADER_SIZE) ||
	    memcmp(pe.buf + lfanew, "PE\0\0", 4) != 0)
		return -EBADMSG;
	info.machine = util_le16(pe.buf + lfanew + 4);
	pe.n_sections = util_le16(pe.buf + lfanew + 6);
	opt_size = util_le16(pe.buf + lfanew + 20);
	opt = (size_t)lfanew + 4 + PE_FILE_HEADER_SIZE;
	if (pe.n_sections > PCACHE_MAX_PE_SECTIONS || opt_size < 2 ||
	    !in_buf(&pe, opt, opt_size))
		return -EBADMSG;
	if (!in_buf(&pe, opt + opt_size,
	            (uint64_t)pe.n_sections * PE_SECTION_SIZE))
		return -EBADMSG;
	pe.sect_tab = pe.buf + opt + opt_size;

	switch (info.machine) {
	case PCACHE_PE_MACHINE_I386:
		info.arch = PCACHE_ARCH_I386;
		break;
	case PCACHE_PE_MACHINE_AMD64:
		info.arch = PCACHE_ARCH_AMD64;
		break;
	default:
		info.arch = PCACHE_ARCH_UNKNOWN;
	}

	magic = util_le16(pe.buf + opt);
	if (magic == PE_OPT_MAGIC_PE32)
		dirs = 96;
	else if (magic == PE_OPT_MAGIC_PE32P)
		dirs = 112;
	else
		return -EBADMSG;
	/* Subsystem sits at 68 in both layouts; NumberOfRvaAndSizes just
	 * before the data directories. */
	if (opt_size < dirs)
		return -EBADMSG;
	info.subsystem = util_le16(pe.buf + opt + 68);
	n_dirs = util_le32(pe.buf + opt + dirs - 4);
	if (n_dirs > PE_DIR_RESOURCE &&
	    opt_size >= dirs + (PE_DIR_RESOURCE + 1) * 8) {
		res_rva = util_le32(pe.buf + opt + dirs + PE_DIR_RESOURCE * 8);
		res_size = util_le32(pe.buf + opt + dirs + PE_DIR_RESOURCE * 8 +
		                     4);
	}
	if (res_rva && res_size) {
		r = parse_resources(&pe, res_rva, res_size, &info);
		if (r < 0)
			return r;
	}
	*ret = info;
	return 0;
}

int
pcache_pe_read_file(const char *path, struct pcache_pe_info *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = util_read_file(path, PCACHE_MAX_PE_SIZE, &buf, &len);
	if (r < 0)
		return r;
	return pcache_pe_parse(buf, len, ret);
}
