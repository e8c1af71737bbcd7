/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image formats: which bytes an IMAGE argument names and how to reach
 * them.  The format of a file is read from its header magic here — qemu
 * is never asked to probe, so a raw image whose first sector happens to
 * look like a qcow2 header is never misread, and a raw image is never
 * opened by qemu at all.  Raw files and block devices take the file I/O
 * (io-file.c); the container formats take a qemu-nbd through libnbd
 * (io-nbd.c) with the format given explicitly; nbd:// URIs connect to an
 * existing server.  See disk-io.h.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/volume.h"

#define HEADER_LEN 4096u    /* bytes of header read for detection */
#define VHD_FOOTER_LEN 512u /* "conectix" footer at the end (fixed VHD) */
#define QCOW2_MAGIC "QFI\xfb"
#define VMDK_SPARSE_MAGIC "KDMV"
#define VMDK_COWD_MAGIC "COWD"
#define VMDK_DESCRIPTOR_MAGIC "# Disk DescriptorFile"
#define VMDK_FLAG_COMPRESSED (1u << 16) /* grains deflated: stream */
#define VHDX_MAGIC "vhdxfile"
#define VHD_MAGIC "conectix"
#define VDI_SIGNATURE_OFFSET 0x40
#define VDI_SIGNATURE 0xbeda107fu
#define FORMAT_NAME_MAX 15u
#define QCOW2_V2_HEADER_LEN 72u
#define QCOW2_V3_HEADER_LEN_OFFSET 100u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_BACKING_NAME_MAX 1023u /* as qemu */
#define QCOW2_CHAIN_MAX 16u          /* backing files followed */

static bool
has_magic(const uint8_t *b, size_t n, const char *magic)
{
	size_t l = strlen(magic);

	return n >= l && memcmp(b, magic, l) == 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int qcow2_check(int fd, const char *path, const uint8_t *h, size_t n,
                       unsigned depth);

/* The qcow2 file named by a backing file name of path (relative to path's
 * directory), checked in turn. */
static int
qcow2_check_backing(const char *path, const char *name, unsigned depth)
{
	_cleanup_free_ char *dir = strdup(path), *p = NULL;
	_cleanup_close_ int fd = -1;
	uint8_t h[HEADER_LEN];
	char *slash;
	size_t n;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (name[0] == '/' || !slash)
		p = strdup(name);
	else {
		slash[1] = '\0';
		r = util_asprintf(&p, "%s%s", dir, name);
		if (r < 0)
			return r;
	}
	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fixup_set_error(-errno,
		                       "%s: its backing file %s cannot be "
		                       "opened: %s",
		                       path, p, strerror(errno));
	r = fixup_fd_pread(fd, h, sizeof(h), 0, &n);
	if (r < 0)
		return fixup_set_error(r, "%s: cannot read: %s", p,
		                       strerror(-r));
	if (!has_magic(h, n, QCOW2_MAGIC))
		return fixup_set_error(-EBADMSG,
		                       "%s: its backing file %s is recorded as "
		                       "qcow2 but is not one",
		                       path, p);
	return qcow2_check(fd, p, h, n, depth + 1);
}

/*
 * A qcow2 image's backing chain must record the format of every backing
 * file: qemu would probe it otherwise (and might take a qcow2 for raw or
 * the reverse).  Follows the chain through qcow2 backing files.
 */
static int
qcow2_check(int fd, const char *path, const uint8_t *h, size_t n,
            unsigned depth)
{
	char name[QCOW2_BACKING_NAME_MAX + 1], fmt[FORMAT_NAME_MAX + 1] = "";
	uint64_t bo;
	uint32_t bl, hl, v;
	size_t got;
	int r;

	if (n < QCOW2_V2_HEADER_LEN)
		return fixup_set_error(-EBADMSG, "%s: qcow2 header truncated",
		                       path);
	v = be32(h + 4);
	if (v != 2 && v != 3)
		return fixup_set_error(-EBADMSG,
		                       "%s: qcow2 magic but version %" PRIu32
		                       " (2 or 3 expected): damaged or not a "
		                       "qcow2 image",
		                       path, v);
	bo = (uint64_t)be32(h + 8) << 32 | be32(h + 12);
	bl = be32(h + 16);
	if (bo == 0)
		return 0; /* no backing file */
	if (depth >= QCOW2_CHAIN_MAX)
		return fixup_set_error(-ELOOP,
		                       "%s: backing chain longer than %u files",
		                       path, QCOW2_CHAIN_MAX);
	if (bl == 0 || bl > QCOW2_BACKING_NAME_MAX)
		return fixup_set_error(-EBADMSG,
		                       "%s: qcow2 backing file name of %" PRIu32
		                       " bytes",
		                       path, bl);
	r = fixup_fd_pread(fd, name, bl, bo, &got);
	if (r < 0 || got != bl)
		return fixup_set_error(r < 0 ? r : -EBADMSG,
		                       "%s: qcow2 backing file name beyond the "
		                       "end of the file",
		                       path);
	name[bl] = '\0';
	hl = v >= 3 && n >= QCOW2_V3_HEADER_LEN_OFFSET + 4
	             ? be32(h + QCOW2_V3_HEADER_LEN_OFFSET)
	             : QCOW2_V2_HEADER_LEN;
	for (size_t o = hl; o >= QCOW2_V2_HEADER_LEN && o + 8 <= n;) {
		uint32_t type = be32(h + o), len = be32(h + o + 4);

		if (type == 0 || len > n - o - 8)
			break;
		if (type == QCOW2_EXT_BACKING_FORMAT) {
			snprintf(fmt, sizeof(fmt), "%.*s",
			         (int)MIN(len, FORMAT_NAME_MAX),
			         (const char *)h + o + 8);
			break;
		}
		o += 8 + (((size_t)len + 7) & ~(size_t)7);
	}
	if (!fmt[0])
		return fixup_set_error(
		        -EMEDIUMTYPE,
		        "%s: its backing file '%s' has no recorded format, and "
		        "imgfix never lets qemu guess one. Record it first "
		        "with: qemu-img rebase -u -F FORMAT -b %s %s (FORMAT: "
		        "raw, qcow2 ...)",
		        path, name, name, path);
	/* A protocol ("nbd://...", "json:{...}") is qemu's business. */
	if (streq(fmt, "qcow2") && !strchr(name, ':'))
		return qcow2_check_backing(path, name, depth);
	return 0;
}

int
fixup_format_detect(int fd, const char *path, const char **ret,
                    bool *ret_readonly)
{
	uint8_t h[HEADER_LEN + 1];
	struct stat st;
	size_t n;
	int r;

	*ret_readonly = false;
	r = fixup_fd_pread(fd, h, HEADER_LEN, 0, &n);
	if (r < 0)
		return fixup_set_error(r, "%s: cannot read: %s", path,
		                       strerror(-r));
	h[n] = '\0';
	if (has_magic(h, n, QCOW2_MAGIC)) {
		r = qcow2_check(fd, path, h, n, 0);
		if (r < 0)
			return r;
		*ret = "qcow2";
		return 0;
	}
	if (has_magic(h, n, VMDK_SPARSE_MAGIC)) {
		if (n < 12)
			return fixup_set_error(
			        -EBADMSG, "%s: vmdk header truncated", path);
		*ret_readonly = (util_le32(h + 8) & VMDK_FLAG_COMPRESSED) != 0;
		*ret = "vmdk";
		return 0;
	}
	if (has_magic(h, n, VMDK_COWD_MAGIC)) {
		*ret = "vmdk";
		return 0;
	}
	if (has_magic(h, n, VMDK_DESCRIPTOR_MAGIC)) {
		*ret_readonly = strstr((char *)h, "streamOptimized") != NULL;
		*ret = "vmdk";
		return 0;
	}
	if (has_magic(h, n, VHDX_MAGIC)) {
		*ret = "vhdx";
		return 0;
	}
	if (has_magic(h, n, VHD_MAGIC)) { /* dynamic: footer copy at 0 */
		*ret = "vpc";
		return 0;
	}
	if (n > VDI_SIGNATURE_OFFSET + 4 && has_magic(h, n, "<<< ") &&
	    util_le32(h + VDI_SIGNATURE_OFFSET) == VDI_SIGNATURE) {
		*ret = "vdi";
		return 0;
	}
	/* A fixed VHD is raw data followed by its footer. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= 2 * VHD_FOOTER_LEN) {
		r = fixup_fd_pread(fd, h, VHD_FOOTER_LEN,
		                   (uint64_t)st.st_size - VHD_FOOTER_LEN, &n);
		if (r < 0)
			return fixup_set_error(r, "%s: cannot read: %s", path,
			                       strerror(-r));
		if (has_magic(h, n, VHD_MAGIC)) {
			*ret = "vpc";
			return 0;
		}
	}
	*ret = "raw";
	return 0;
}

bool
fixup_io_is_nbd_uri(const char *image)
{
	return util_startswith(image, "nbd://") ||
	       util_startswith(image, "nbd+unix://");
}

static bool
format_name_valid(const char *f)
{
	size_t l = strlen(f);

	if (l == 0 || l > FORMAT_NAME_MAX)
		return false;
	for (const char *p = f; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

int
fixup_io_open(const char *image, const char *format, bool writable,
              struct fixup_io **ret)
{
	bool ro = false;
	int r;

	if (fixup_io_is_nbd_uri(image))
		return fixup_io_nbd_open(image, NULL, writable, ret);
	if (format && !format_name_valid(format))
		return fixup_set_error(-EINVAL,
		                       "--format '%s': not an image format "
		                       "name (raw, %s)",
		                       format, FIXUP_IO_FORMATS);
	if (!format) {
		_cleanup_close_ int fd =
		        open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			return fixup_set_error(-errno, "%s: cannot open: %s",
			                       image, strerror(errno));
		r = fixup_format_detect(fd, image, &format, &ro);
		if (r < 0)
			return r;
	}
	if (ro && writable)
		return fixup_set_error(
		        -EROFS,
		        "%s: a streamOptimized vmdk (compressed grains) "
		        "cannot be written in place, so imgfix cannot fix it "
		        "(inspect and plan work). Convert it first, e.g. "
		        "'qemu-img convert -O vmdk -o "
		        "subformat=monolithicSparse %s fixed.vmdk', and fix "
		        "the copy",
		        image, image);
	if (writable && access(image, W_OK) < 0 &&
	    (errno == EACCES || errno == EROFS || errno == EPERM))
		return fixup_set_error(-errno,
		                       "%s is read-only (%s): imgfix cannot "
		                       "write the fix to it (inspect and plan "
		                       "work). Make it writable, or copy it "
		                       "and fix the copy",
		                       image, strerror(errno));
	if (streq(format, "raw"))
		return fixup_io_file_open(image, writable, ret);
	return fixup_io_nbd_open(image, format, writable, ret);
}
