/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the image format detection (fixup/image/format.c) on
 * crafted headers: every format's magic, the read-only vmdk kinds, raw
 * for anything else (a fixed VHD by its footer), damaged qcow2 headers
 * and qcow2 backing chains without a recorded backing format.  No qemu.
 */
#include <fcntl.h>

#include "image/disk-io.h"
#include "image/volume.h"
#include "tests.h"

#define FILE_SIZE (64u * 1024)

/* Writes a FILE_SIZE file holding head at 0 and tail at the end. */
static char *
make(const char *name, const void *head, size_t hl, const void *tail, size_t tl)
{
	_cleanup_free_ uint8_t *buf = calloc(1, FILE_SIZE);
	char *p = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(buf);
	ASSERT_NOT_NULL(p);
	memcpy(buf, head, hl);
	if (tail)
		memcpy(buf + FILE_SIZE - tl, tail, tl);
	ASSERT_OK(util_write_file_atomic(p, buf, FILE_SIZE));
	return p;
}

/* The format detected in path, or the error. */
static int
detect(const char *path, const char **fmt, bool *ro)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	fixup_clear_error();
	return fixup_format_detect(fd, path, fmt, ro);
}

static void
expect(const char *name, const void *head, size_t hl, const void *tail,
       size_t tl, const char *want, bool want_ro)
{
	_cleanup_free_ char *p = make(name, head, hl, tail, tl);
	const char *fmt = NULL;
	bool ro = !want_ro;

	ASSERT_OK(detect(p, &fmt, &ro));
	ASSERT_STREQ(fmt, want);
	ASSERT_EQ(ro, want_ro);
}

TEST(magics)
{
	uint8_t vmdk[16] = "KDMV\1\0\0\0", vdi[0x48] = "<<< Oracle VM "
	                                               "VirtualBox Disk "
	                                               "Image >>>\n";

	expect("q.qcow2", "QFI\xfb\0\0\0\3", 8, NULL, 0, "qcow2", false);
	expect("q2.qcow2", "QFI\xfb\0\0\0\2", 8, NULL, 0, "qcow2", false);
	expect("s.vmdk", vmdk, sizeof(vmdk), NULL, 0, "vmdk", false);
	vmdk[10] = 1; /* flags bit 16: compressed grains (streamOptimized) */
	expect("so.vmdk", vmdk, sizeof(vmdk), NULL, 0, "vmdk", true);
	expect("c.vmdk", "COWD", 4, NULL, 0, "vmdk", false);
	static const char desc[] = "# Disk DescriptorFile\nversion=1\n"
	                           "createType=\"twoGbMaxExtentSparse\"\n";
	static const char desc_so[] = "# Disk DescriptorFile\nversion=1\n"
	                              "createType=\"streamOptimized\"\n";
	expect("d.vmdk", desc, strlen(desc), NULL, 0, "vmdk", false);
	expect("dso.vmdk", desc_so, strlen(desc_so), NULL, 0, "vmdk", true);
	expect("x.vhdx", "vhdxfile", 8, NULL, 0, "vhdx", false);
	expect("dyn.vhd", "conectix", 8, NULL, 0, "vpc", false);
	util_put_le32(vdi + 0x40, 0xbeda107f);
	expect("v.vdi", vdi, sizeof(vdi), NULL, 0, "vdi", false);
}

TEST(raw_and_fixed_vhd)
{
	uint8_t mbr[512] = {0};

	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	expect("r.img", mbr, sizeof(mbr), NULL, 0, "raw", false);
	/* The footer of a fixed VHD is the last 512 bytes; the magic
	 * anywhere else near the end is no footer. */
	char footer[512] = "conectix", elsewhere[256] = "conectix";
	expect("fixed.vhd", mbr, sizeof(mbr), footer, sizeof(footer), "vpc",
	       false);
	expect("notvhd.img", mbr, sizeof(mbr), elsewhere, sizeof(elsewhere),
	       "raw", false);
	/* The VDI text without its signature is not a VDI. */
	expect("t.img", "<<< Oracle VM VirtualBox Disk Image >>>", 39, NULL, 0,
	       "raw", false);
}

TEST(damaged_qcow2)
{
	_cleanup_free_ char *v7 =
	        make("v7.qcow2", "QFI\xfb\0\0\0\7", 8, NULL, 0);
	uint8_t h[128] = "QFI\xfb\0\0\0\3";
	const char *fmt;
	bool ro;

	ASSERT_ERR(detect(v7, &fmt, &ro), -EBADMSG);
	ASSERT_TRUE(strstr(fixup_error_detail(), "version 7"));

	/* A backing file name far beyond the end of the file. */
	h[11] = 0x10; /* backing_file_offset = 0x10 << 32 ... */
	h[19] = 8;    /* backing_file_size = 8 */
	_cleanup_free_ char *far = make("far.qcow2", h, sizeof(h), NULL, 0);
	ASSERT_ERR(detect(far, &fmt, &ro), -EBADMSG);
	ASSERT_TRUE(strstr(fixup_error_detail(), "beyond the end"));
}

/* A v3 header of 104 bytes whose backing file is name, with the backing
 * format extension when fmt is not NULL. */
static char *
qcow2_with_backing(const char *file, const char *name, const char *fmt)
{
	uint8_t h[512] = "QFI\xfb\0\0\0\3";
	size_t o = 104;

	h[15] = 0xf0; /* backing_file_offset 240 */
	h[19] = (uint8_t)strlen(name);
	h[103] = 104; /* header_length */
	if (fmt) {
		memcpy(h + o, "\xe2\x79\x2a\xca", 4);
		h[o + 7] = (uint8_t)strlen(fmt);
		memcpy(h + o + 8, fmt, strlen(fmt));
	}
	memcpy(h + 240, name, strlen(name));
	return make(file, h, sizeof(h), NULL, 0);
}

TEST(backing_chain)
{
	_cleanup_free_ char *base = make("base.raw", "", 0, NULL, 0);
	_cleanup_free_ char *ok =
	        qcow2_with_backing("ok.qcow2", "base.raw", "raw");
	_cleanup_free_ char *bad =
	        qcow2_with_backing("bad.qcow2", "base.raw", NULL);
	_cleanup_free_ char *top =
	        qcow2_with_backing("top.qcow2", "bad.qcow2", "qcow2");
	_cleanup_free_ char *lost =
	        qcow2_with_backing("lost.qcow2", "gone.qcow2", "qcow2");
	_cleanup_free_ char *loop =
	        qcow2_with_backing("loop.qcow2", "loop.qcow2", "qcow2");
	const char *fmt;
	bool ro;

	ASSERT_OK(detect(ok, &fmt, &ro));
	ASSERT_STREQ(fmt, "qcow2");
	/* qemu would probe base.raw: refused, with the command to fix it */
	ASSERT_ERR(detect(bad, &fmt, &ro), -EMEDIUMTYPE);
	ASSERT_TRUE(strstr(fixup_error_detail(), "no recorded format"));
	ASSERT_TRUE(strstr(fixup_error_detail(), "qemu-img rebase -u -F"));
	/* ... also one level down the chain */
	ASSERT_ERR(detect(top, &fmt, &ro), -EMEDIUMTYPE);
	ASSERT_TRUE(strstr(fixup_error_detail(), "bad.qcow2"));
	ASSERT_ERR(detect(lost, &fmt, &ro), -ENOENT);
	ASSERT_TRUE(strstr(fixup_error_detail(), "gone.qcow2"));
	ASSERT_ERR(detect(loop, &fmt, &ro), -ELOOP);
}

TEST(bad_format_name)
{
	_cleanup_free_ char *p = make("n.img", "", 0, NULL, 0);
	struct fixup_io *io = NULL;

	fixup_clear_error();
	ASSERT_ERR(fixup_io_open(p, "qcow2,file.x=1", false, &io), -EINVAL);
	ASSERT_TRUE(strstr(fixup_error_detail(), "not an image format"));
	ASSERT_NULL(io);
	/* raw: the file road, never qemu */
	ASSERT_OK(fixup_io_open(p, "raw", false, &io));
	ASSERT_STREQ(io->format, "raw");
	ASSERT_TRUE(io->fd >= 0);
	ASSERT_EQ(io->size, FILE_SIZE);
	fixup_io_free(io);
}
