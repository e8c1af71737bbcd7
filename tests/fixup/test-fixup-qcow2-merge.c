/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs road's commit without an appliance (fixup/image/
 * qcow2-merge.c): qcow2 overlays made with qemu-img over a raw and a qcow2
 * base and written with qemu-io (data, unaligned data, zeroes, discards)
 * are committed into the base through disk.c's overlay and undo log; the
 * base must then hold exactly what the overlay showed, and the undo log
 * must give back every original byte — also after a commit failing at
 * its first image write.  Hostile `qemu-img map` output (extents beyond
 * the disk, wrapping, overlapping, malformed) is refused, and an overlay
 * larger than its base is refused with the base untouched.  Exit 77 without
 * qemu-img, qemu-io or qemu-nbd.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "image/disk-io.h"
#include "image/disk.h"
#include "image/qcow2-merge.h"
#include "image/volume.h"
#include "tests.h"

#define IMG_SIZE (4u * 1024 * 1024)
#define MIB (1024u * 1024)

static uint8_t *orig;

static void
need_qemu(void)
{
	if (system("command -v qemu-img >/dev/null && "
	           "command -v qemu-io >/dev/null && "
	           "command -v qemu-nbd >/dev/null") != 0)
		TEST_SKIP("qemu-img, qemu-io or qemu-nbd missing");
}

static char *
tmp(const char *name)
{
	char *p = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(p);
	return p;
}

/* A fresh raw base holding the pattern; its path. */
static char *
make_base(const char *name)
{
	char *p = tmp(name);

	need_qemu();
	if (!orig) {
		orig = malloc(IMG_SIZE);
		ASSERT_NOT_NULL(orig);
		for (size_t i = 0; i < IMG_SIZE; i++)
			orig[i] = (uint8_t)(i * 7 + i / 4093 + 1);
	}
	ASSERT_OK(util_write_file_atomic(p, orig, IMG_SIZE));
	return p;
}

/* An overlay of base (backing format fmt, size: NULL = the base's),
 * written by qemu-io: 0xab at 1 MiB, 1000 bytes of 0xcd at 3 MiB + 512,
 * zeroes at 2 MiB, a discard at 2 MiB + 512 KiB. */
static char *
make_overlay(const char *name, const char *base, const char *fmt,
             const char *size)
{
	char *ov = tmp(name);

	ASSERT_EQ(tests_sh("qemu-img create -q -f qcow2 -b '%s' -F %s '%s' %s",
	                   base, fmt, ov, size ? size : ""),
	          0);
	ASSERT_EQ(
	        tests_sh("qemu-io -f qcow2 -c 'write -P 0xab 1M 64k' "
	                 "-c 'write -P 0xcd 3146240 1000' -c 'write -z 2M 64k' "
	                 "-c 'discard 2560k 64k' '%s' >/dev/null",
	                 ov),
	        0);
	return ov;
}

/* The pattern with the writes of make_overlay(). */
static uint8_t *
expected(void)
{
	uint8_t *e = malloc(IMG_SIZE);

	ASSERT_NOT_NULL(e);
	memcpy(e, orig, IMG_SIZE);
	memset(e + MIB, 0xab, 64 * 1024);
	memset(e + 3 * MIB + 512, 0xcd, 1000);
	memset(e + 2 * MIB, 0, 64 * 1024);
	memset(e + 2 * MIB + 512 * 1024, 0, 64 * 1024);
	return e;
}

static void
assert_file(const char *path, const uint8_t *want)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	ASSERT_OK(util_read_file(path, IMG_SIZE + 1, &buf, &len));
	ASSERT_EQ(len, IMG_SIZE);
	ASSERT_TRUE(memcmp(buf, want, IMG_SIZE) == 0);
}

TEST(parse_map)
{
	static const char good[] =
	        "[{ \"start\": 0, \"length\": 1048576, \"depth\": 1, "
	        "\"present\": true, \"zero\": false, \"data\": true},\n"
	        "{ \"start\": 1048576, \"length\": 65536, \"depth\": 0, "
	        "\"present\": true, \"zero\": false, \"data\": true, "
	        "\"offset\": 327680},\n"
	        "{ \"start\": 1114112, \"length\": 983040, \"depth\": 1, "
	        "\"zero\": true, \"data\": false},\n"
	        "{ \"start\": 2097152, \"length\": 65536, \"depth\": 0, "
	        "\"present\": true, \"zero\": true, \"data\": false}]\n";
	_cleanup_free_ struct fixup_merge_extent *e = NULL;
	size_t n = 99;

	ASSERT_OK(fixup_merge_parse_map("ov", good, strlen(good), IMG_SIZE, &e,
	                                &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(e[0].start, MIB);
	ASSERT_EQ(e[0].length, 65536);
	ASSERT_TRUE(!e[0].zero);
	ASSERT_EQ(e[1].start, 2 * MIB);
	ASSERT_TRUE(e[1].zero);
	free(e);
	e = NULL;
	/* Nothing in the top layer. */
	ASSERT_OK(fixup_merge_parse_map("ov", "[]", 2, IMG_SIZE, &e, &n));
	ASSERT_EQ(n, 0);
	ASSERT_NULL(e);
}

TEST(parse_map_hostile)
{
	static const char *const bad[] = {
	        /* beyond the disk */
	        "[{\"start\": 4194304, \"length\": 4096, \"depth\": 0}]",
	        "[{\"start\": 4190208, \"length\": 8192, \"depth\": 0}]",
	        /* start + length wraps around */
	        "[{\"start\": 4096, \"length\": 18446744073709547520, "
	        "\"depth\": 0}]",
	        /* beyond the disk at depth 1 (the map is of another disk) */
	        "[{\"start\": 0, \"length\": 8388608, \"depth\": 1}]",
	        /* overlapping, out of order */
	        "[{\"start\": 8192, \"length\": 8192, \"depth\": 0},"
	        "{\"start\": 4096, \"length\": 8192, \"depth\": 0}]",
	        /* negative, missing, of the wrong type */
	        "[{\"start\": -4096, \"length\": 4096, \"depth\": 0}]",
	        "[{\"start\": 0, \"depth\": 0}]",
	        "[{\"start\": \"0\", \"length\": 4096, \"depth\": 0}]",
	        "[{\"start\": 0, \"length\": 4096, \"depth\": 0.5}]",
	        "[1]",
	        /* not an array, not JSON, trailing bytes */
	        "{\"start\": 0, \"length\": 4096, \"depth\": 0}",
	        "[{\"start\": 0, \"length\": 4096, \"depth\": 0}",
	        "[] x",
	        "",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct fixup_merge_extent *e = NULL;
		size_t n = 0;

		fixup_clear_error();
		ASSERT_ERR(fixup_merge_parse_map("ov", bad[i], strlen(bad[i]),
		                                 IMG_SIZE, &e, &n),
		           -EBADMSG);
		ASSERT_NULL(e);
		ASSERT_NOT_NULL(fixup_error_detail());
		ASSERT_TRUE(strstr(fixup_error_detail(), "ov") != NULL);
	}
}

/* Raw base: the commit puts exactly the overlay's bytes in, the undo log
 * takes every one of them back out. */
TEST(commit_raw_and_undo)
{
	_cleanup_free_ char *base = make_base("raw.img");
	_cleanup_free_ char *ov = make_overlay("raw.qcow2", base, "raw", NULL);
	_cleanup_free_ char *undo = tmp("raw.undo");
	_cleanup_free_ uint8_t *want = expected();
	int r;

	r = fixup_merge_commit(base, "raw", ov, undo);
	ASSERT_OK(r);
	ASSERT_TRUE(r > 0);
	assert_file(base, want);
	ASSERT_EQ(tests_sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'",
	                   base, ov),
	          0);
	ASSERT_OK(fixup_disk_undo(base, undo, false));
	assert_file(base, orig);
}

/* qcow2 base, format detected: the same through qemu-nbd on both sides. */
TEST(commit_qcow2_and_undo)
{
	_cleanup_free_ char *raw = make_base("q.raw");
	_cleanup_free_ char *base = tmp("q.qcow2");
	_cleanup_free_ char *undo = tmp("q.undo");
	_cleanup_free_ char *ov = NULL;
	_cleanup_(fixup_io_freep) struct fixup_io *io = NULL;
	int r;

	ASSERT_EQ(tests_sh("qemu-img convert -f raw -O qcow2 '%s' '%s'", raw,
	                   base),
	          0);
	ov = make_overlay("q-ov.qcow2", base, "qcow2", NULL);
	r = fixup_merge_commit(base, NULL, ov, undo);
	ASSERT_OK(r);
	ASSERT_TRUE(r > 0);
	ASSERT_EQ(tests_sh("qemu-img compare -q -f qcow2 -F qcow2 '%s' '%s'",
	                   base, ov),
	          0);
	ASSERT_TRUE(tests_sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'",
	                     base, raw) != 0);
	ASSERT_OK(fixup_io_open(base, "qcow2", true, &io));
	ASSERT_OK(fixup_disk_undo_io(io, undo, false));
	io = fixup_io_free(io);
	ASSERT_EQ(tests_sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'",
	                   base, raw),
	          0);
}

/* An overlay that changed nothing writes nothing and no undo log. */
TEST(commit_nothing)
{
	_cleanup_free_ char *base = make_base("n.img");
	_cleanup_free_ char *ov = tmp("n.qcow2");
	_cleanup_free_ char *undo = tmp("n.undo");

	ASSERT_EQ(tests_sh("qemu-img create -q -f qcow2 -b '%s' -F raw '%s'",
	                   base, ov),
	          0);
	ASSERT_EQ(fixup_merge_commit(base, "raw", ov, undo), 0);
	ASSERT_TRUE(access(undo, F_OK) < 0);
	assert_file(base, orig);
}

/* An overlay larger than its base, written beyond the base's end:
 * refused, nothing written, no undo log. */
TEST(overlay_beyond_the_disk)
{
	_cleanup_free_ char *base = make_base("big.img");
	_cleanup_free_ char *ov = make_overlay("big.qcow2", base, "raw", "8M");
	_cleanup_free_ char *undo = tmp("big.undo");

	ASSERT_EQ(tests_sh("qemu-io -f qcow2 -c 'write -P 0x11 6M 64k' '%s' "
	                   ">/dev/null",
	                   ov),
	          0);
	fixup_clear_error();
	ASSERT_ERR(fixup_merge_commit(base, "raw", ov, undo), -EBADMSG);
	ASSERT_TRUE(strstr(fixup_error_detail(), "overlay holds") != NULL);
	ASSERT_TRUE(access(undo, F_OK) < 0);
	assert_file(base, orig);
}

/* The commit fails at its first image write (after the undo log): the
 * undo log restores the base. */
TEST(commit_fault_then_undo)
{
	_cleanup_free_ char *base = make_base("f.img");
	_cleanup_free_ char *ov = make_overlay("f.qcow2", base, "raw", NULL);
	_cleanup_free_ char *undo = tmp("f.undo");
	int r;

	ASSERT_OK(setenv("IMGFIX_FAULT_WRITES", "1", 1));
	ASSERT_OK(setenv("IMGFIX_FAULT_MODE", "fail", 1));
	r = fixup_merge_commit(base, "raw", ov, undo);
	ASSERT_OK(unsetenv("IMGFIX_FAULT_WRITES"));
	ASSERT_OK(unsetenv("IMGFIX_FAULT_MODE"));
	ASSERT_TRUE(r < 0);
	ASSERT_OK(access(undo, F_OK));
	ASSERT_OK(fixup_disk_undo(base, undo, false));
	assert_file(base, orig);
}

TEST(undo_paths)
{
	_cleanup_free_ char *a = fixup_merge_undo_path("/b/undo.log", 0);
	_cleanup_free_ char *b = fixup_merge_undo_path("/b/undo.log", 2);

	ASSERT_STREQ(a, "/b/undo.log");
	ASSERT_STREQ(b, "/b/undo.log.2");
}
