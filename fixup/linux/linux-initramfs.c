/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Initramfs scanning (LINUX.md §3).  An initramfs is a sequence of
 * segments, each an (optionally compressed) cpio archive, separated by NUL
 * padding; the first is often an uncompressed early-microcode cpio.
 * libarchive reads each segment (cpio newc/crc/odc; gzip, xz, lzma, zstd,
 * lz4, bzip2 filters).  The only thing done by hand is finding where an
 * uncompressed segment ends, from the header positions libarchive reports.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fnmatch.h>

#include "linux/linux.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)

static bool
is_cpio_magic(const uint8_t *p, size_t n)
{
	return n >= 6 &&
	       (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0 ||
	        memcmp(p, "070707", 6) == 0);
}

/* newc/crc header: 110 bytes, name size at 94 (8 hex), file size at 54. */
static int
hex8(const uint8_t *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EBADMSG;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

/*
 * Issue 9 (fuzzing): a newc header whose name size is huge (e.g. 0x9bc...)
 * made libarchive allocate a read-ahead buffer of that size (2.6 GB for a
 * 1.5 KiB input) before failing.  An uncompressed segment's headers are
 * therefore checked here first: every name at most INITRAMFS_MAX_NAME
 * bytes and every header, name and body inside the buffer, up to the
 * trailer.  (A compressed segment is only seen decompressed by libarchive,
 * which fails the same input cleanly after its allocation.)
 */
#define INITRAMFS_MAX_NAME 4096u /* PATH_MAX */

static int
check_newc_headers(const uint8_t *buf, size_t len)
{
	size_t o = 0;

	for (size_t n = 0; n <= LINUX_MAX_INITRAMFS_ENTRIES; n++) {
		uint32_t namesize, filesize;
		size_t name_end, data_end;

		if (len - o < 110 || !is_cpio_magic(buf + o, len - o) ||
		    memcmp(buf + o, "070707", 6) == 0 ||
		    hex8(buf + o + 94, &namesize) < 0 ||
		    hex8(buf + o + 54, &filesize) < 0 ||
		    namesize > INITRAMFS_MAX_NAME || filesize > len)
			return -EBADMSG;
		name_end = (o + 110 + namesize + 3) & ~(size_t)3;
		data_end = (name_end + filesize + 3) & ~(size_t)3;
		if (name_end > len || data_end > len)
			return -EBADMSG;
		if (namesize == 11 &&
		    memcmp(buf + o + 110, "TRAILER!!!", 10) == 0)
			return 0;
		o = data_end;
	}
	return -E2BIG;
}

/*
 * Reads one segment at buf[0..len) with libarchive, appending member names.
 * For an uncompressed newc segment, *ret_end gets the offset just past its
 * trailer; for a compressed one the rest of the buffer is consumed.
 */
static int
read_segment(const uint8_t *buf, size_t len, char ***members, size_t *count,
             size_t *ret_end)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	struct archive_entry *e;
	bool plain = is_cpio_magic(buf, len) && memcmp(buf, "070707", 6) != 0;
	int64_t last_pos = -1;
	int r;

	if (!a)
		return -ENOMEM;
	if (plain) {
		r = check_newc_headers(buf, len);
		if (r < 0)
			return r;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		return -EBADMSG;
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return -EBADMSG;
		if (++*count > LINUX_MAX_INITRAMFS_ENTRIES)
			return -E2BIG;
		last_pos = archive_read_header_position(a);
		r = util_strv_push(members, archive_entry_pathname(e)
		                                    ? archive_entry_pathname(e)
		                                    : "");
		if (r < 0)
			return r;
	}
	if (!plain) {
		*ret_end = len;
		return 0;
	}
	/* Walk newc headers from the last member to the trailer's end. */
	size_t o = last_pos < 0 ? 0 : (size_t)last_pos;
	for (int guard = 0; guard < 3; guard++) {
		uint32_t namesize, filesize;

		if (len - o < 110 || !is_cpio_magic(buf + o, len - o) ||
		    hex8(buf + o + 94, &namesize) < 0 ||
		    hex8(buf + o + 54, &filesize) < 0)
			return -EBADMSG;
		size_t name_end = (o + 110 + namesize + 3) & ~(size_t)3;
		if (namesize > len || name_end > len)
			return -EBADMSG;
		bool trailer = namesize == 11 &&
		               memcmp(buf + o + 110, "TRAILER!!!", 10) == 0;
		size_t data_end = (name_end + filesize + 3) & ~(size_t)3;
		if (filesize > len || data_end > len)
			return -EBADMSG;
		o = data_end;
		if (trailer) {
			*ret_end = o;
			return 0;
		}
	}
	return -EBADMSG;
}

int
linux_initramfs_list(const void *data, size_t len, char ***ret_members,
                     unsigned *ret_segments)
{
	_cleanup_strv_free_ char **members = NULL;
	const uint8_t *buf = data;
	size_t o = 0, count = 0;
	unsigned segments = 0;
	int r;

	if (len > LINUX_MAX_INITRAMFS_SIZE)
		return -EFBIG;
	while (o < len) {
		size_t end = 0;

		while (o < len && buf[o] == 0)
			o++;
		if (o >= len)
			break;
		if (++segments > LINUX_MAX_SEGMENTS)
			return -E2BIG;
		r = read_segment(buf + o, len - o, &members, &count, &end);
		if (r < 0)
			return r;
		if (end == 0)
			return -EBADMSG;
		o += end;
	}
	if (segments == 0)
		return -EBADMSG;
	if (!members) {
		members = calloc(1, sizeof(char *));
		if (!members)
			return -ENOMEM;
	}
	*ret_members = TAKE_PTR(members);
	if (ret_segments)
		*ret_segments = segments;
	return 0;
}

static void
normalize_module(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

bool
linux_members_have_module(char *const *members, const char *name)
{
	_cleanup_free_ char *want = strdup(name);

	if (!want)
		return false;
	normalize_module(want);
	STRV_FOREACH (m, members) {
		const char *p = *m, *base;
		_cleanup_free_ char *stem = NULL;
		char *dot;

		if (p[0] == '.' && p[1] == '/')
			p += 2;
		if (fnmatch("lib/modules/*", p, 0) != 0 &&
		    fnmatch("usr/lib/modules/*", p, 0) != 0)
			continue;
		base = strrchr(p, '/');
		base = base ? base + 1 : p;
		stem = strdup(base);
		if (!stem)
			return false;
		dot = strstr(stem, ".ko");
		if (!dot || !(dot[3] == '\0' || streq(dot + 3, ".xz") ||
		              streq(dot + 3, ".zst") || streq(dot + 3, ".gz")))
			continue;
		*dot = '\0';
		normalize_module(stem);
		if (streq(stem, want))
			return true;
	}
	return false;
}
