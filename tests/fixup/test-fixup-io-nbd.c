/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NBD I/O under the disk overlay (fixup/image/io-nbd.c) on small
 * images qemu-img makes: qcow2 and vhdx (whose 512-byte minimum block
 * size takes the unaligned head/tail path), every read checked against
 * the raw original (small reads through the chunk cache, large ones
 * direct), a commit through NBD with its undo log, the written bytes seen
 * by a fresh connection, and the undo restoring the original.  Exit 77
 * without qemu-img or qemu-nbd.
 */
#include <fcntl.h>

#include "image/disk-io.h"
#include "image/disk.h"
#include "image/volume.h"
#include "tests.h"

#define IMG_SIZE (4u * 1024 * 1024)

static uint8_t *orig;

static void
need_qemu(void)
{
	if (system("command -v qemu-img >/dev/null && "
	           "command -v qemu-nbd >/dev/null") != 0)
		TEST_SKIP("qemu-img or qemu-nbd missing");
}

/* The raw pattern converted to fmt; its path. */
static char *
make(const char *fmt)
{
	_cleanup_free_ char *raw = util_path_join(tests_tmpdir(), "p.raw");
	_cleanup_free_ char *cmd = NULL, *name = NULL;
	char *p;

	need_qemu();
	if (!orig) {
		orig = malloc(IMG_SIZE);
		ASSERT_NOT_NULL(orig);
		for (size_t i = 0; i < IMG_SIZE; i++)
			orig[i] = (uint8_t)(i * 13 + i / 4093);
		ASSERT_OK(util_write_file_atomic(raw, orig, IMG_SIZE));
	}
	ASSERT_OK(util_asprintf(&name, "p.%s", fmt));
	p = util_path_join(tests_tmpdir(), name);
	ASSERT_OK(util_asprintf(&cmd, "qemu-img convert -f raw -O %s '%s' '%s'",
	                        fmt, raw, p));
	ASSERT_EQ(system(cmd), 0);
	return p;
}

static void
check_reads(struct fixup_io *io)
{
	static const struct {
		uint64_t off;
		size_t len;
	} rd[] = {
	        {0, 1},
	        {1, 511},
	        {511, 2},
	        {4095, 4098},
	        {65535, 2},
	        {65536, 65536},
	        {70000, 200000}, /* direct */
	        {IMG_SIZE - 3, 3},
	        {IMG_SIZE - 70000, 70000},
	};
	_cleanup_free_ uint8_t *buf = malloc(200000);

	ASSERT_NOT_NULL(buf);
	for (size_t i = 0; i < ELEMENTSOF(rd); i++) {
		ASSERT_OK(io->ops->pread(io, buf, rd[i].len, rd[i].off));
		ASSERT_MEMEQ(buf, orig + rd[i].off, rd[i].len);
	}
}

static void
round_trip(const char *fmt)
{
	_cleanup_free_ char *p = make(fmt), *undo = NULL;
	_cleanup_free_ uint8_t *want = malloc(IMG_SIZE),
	                       *got = malloc(IMG_SIZE);
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	struct fixup_io *io = NULL;
	uint8_t ff[9000];

	ASSERT_NOT_NULL(want);
	ASSERT_NOT_NULL(got);
	ASSERT_OK(util_asprintf(&undo, "%s.undo", p));
	ASSERT_OK(fixup_io_open(p, NULL, true, &io));
	ASSERT_STREQ(io->format, fmt);
	ASSERT_EQ(io->size, IMG_SIZE);
	ASSERT_EQ(io->fd, -1);
	check_reads(io);

	/* Writes through the overlay: unaligned, across a cache chunk. */
	ASSERT_OK(fixup_disk_open_io(p, io, &d));
	memset(ff, 0xff, sizeof(ff));
	memcpy(want, orig, IMG_SIZE);
	ASSERT_OK(fixup_disk_pread(d, got, 100, 65500)); /* cache the chunk */
	ASSERT_OK(fixup_disk_pwrite(d, ff, 100, 65500));
	memset(want + 65500, 0xff, 100);
	ASSERT_OK(fixup_disk_pwrite(d, ff, sizeof(ff), 1000003));
	memset(want + 1000003, 0xff, sizeof(ff));
	ASSERT_TRUE(fixup_disk_commit(d, undo) > 0);
	/* The committed bytes, through the same connection (the cache
	 * dropped the written chunk) and through a fresh one. */
	ASSERT_OK(fixup_disk_pread(d, got, IMG_SIZE, 0));
	ASSERT_MEMEQ(got, want, IMG_SIZE);
	d = fixup_disk_free(d);
	ASSERT_OK(fixup_io_open(p, NULL, false, &io));
	ASSERT_OK(io->ops->pread(io, got, IMG_SIZE, 0));
	ASSERT_MEMEQ(got, want, IMG_SIZE);
	fixup_io_free(io);

	/* Undo through NBD gives the original back. */
	ASSERT_OK(fixup_io_open(p, fmt, true, &io));
	ASSERT_TRUE(fixup_disk_undo_io(io, undo, false) > 0);
	fixup_io_free(io);
	ASSERT_OK(fixup_io_open(p, fmt, false, &io));
	ASSERT_OK(io->ops->pread(io, got, IMG_SIZE, 0));
	ASSERT_MEMEQ(got, orig, IMG_SIZE);
	/* Read-only: writes go nowhere (qemu-nbd --read-only). */
	ASSERT_TRUE(io->ops->pwrite(io, ff, 10, 0) < 0);
	fixup_io_free(io);
}

TEST(qcow2)
{
	round_trip("qcow2");
}

TEST(vhdx)
{
	round_trip("vhdx");
}

/* An MBR whose extended partition starts far from any other partition,
 * with a logical partition far from the previous one: the layout probed
 * over NBD (through the shadow) is that of the raw file. */
TEST(mbr_logical_layout_over_nbd)
{
	_cleanup_free_ char *raw = util_path_join(tests_tmpdir(), "mbr.raw");
	_cleanup_free_ char *q = util_path_join(tests_tmpdir(), "mbr.qcow2");
	_cleanup_free_ char *cmd = NULL;
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	struct fixup_disk_layout a = {0}, b = {0};
	struct fixup_io *io = NULL;
	_cleanup_close_ int fd = -1;

	need_qemu();
	if (system("command -v sfdisk >/dev/null") != 0)
		TEST_SKIP("sfdisk missing");
	ASSERT_OK(util_asprintf(
	        &cmd,
	        "truncate -s 64M '%s' && printf 'label: dos\\n"
	        "start=2048, size=4096, type=83\\n"
	        "start=40960, size=81920, type=5\\n"
	        "start=43008, size=2048, type=83\\n"
	        "start=100000, size=4096, type=83\\n' | sfdisk -q '%s' && "
	        "qemu-img convert -f raw -O qcow2 '%s' '%s'",
	        raw, raw, raw, q));
	ASSERT_EQ(system(cmd), 0);
	fd = open(raw, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(fixup_probe_disk(fd, 64u << 20, raw, &a));
	ASSERT_EQ(a.n_parts, 3);
	ASSERT_OK(fixup_io_open(q, NULL, false, &io));
	ASSERT_OK(fixup_disk_open_io(q, io, &d));
	ASSERT_OK(fixup_probe_disk_shadow(d, q, &b));
	ASSERT_EQ(b.n_parts, a.n_parts);
	ASSERT_EQ(b.style, FIXUP_DISK_MBR);
	for (size_t i = 0; i < a.n_parts; i++) {
		ASSERT_EQ(b.parts[i].number, a.parts[i].number);
		ASSERT_EQ(b.parts[i].start, a.parts[i].start);
		ASSERT_EQ(b.parts[i].size, a.parts[i].size);
	}
	ASSERT_EQ(b.parts[2].number, 6);
	fixup_disk_layout_done(&a);
	fixup_disk_layout_done(&b);
}

TEST(missing_qemu_nbd)
{
	_cleanup_free_ char *p = make("qcow2");
	struct fixup_io *io = NULL;

	ASSERT_OK(setenv("IMGFIX_QEMU_NBD", "/nonexistent/qemu-nbd", 1));
	fixup_clear_error();
	ASSERT_ERR(fixup_io_open(p, NULL, false, &io), -ENOENT);
	ASSERT_TRUE(strstr(fixup_error_detail(), "qemu-utils"));
	ASSERT_NULL(io);
	ASSERT_OK(unsetenv("IMGFIX_QEMU_NBD"));
	free(orig);
	orig = NULL;
}
