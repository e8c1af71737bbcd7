/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for fixup/image/disk.c: overlay reads/writes, commit, undo, faults. */
#include <fcntl.h>
#include <sys/wait.h>

#include "engine/apply.h"
#include "engine/journal.h"
#include "image/disk.h"
#include "image/qcow2-merge.h"
#include "tests.h"

#define IMG_SIZE (1024 * 1024 + 1000) /* deliberately not block-aligned */

static char *
make_image(const char *name, char hash[UTIL_SHA256_HEX_LEN + 1])
{
	char *p = util_path_join(tests_tmpdir(), name);
	uint8_t *buf = malloc(IMG_SIZE);

	ASSERT_NOT_NULL(buf);
	for (size_t i = 0; i < IMG_SIZE; i++)
		buf[i] = (uint8_t)(i * 7 + i / 4096);
	ASSERT_OK(util_write_file_atomic(p, buf, IMG_SIZE));
	util_sha256_hex(buf, IMG_SIZE, hash);
	free(buf);
	return p;
}

static void
scribble(struct fixup_disk *d)
{
	uint8_t buf[10000];

	memset(buf, 0xab, sizeof(buf));
	/* Unaligned, spanning blocks, touching the partial last block. */
	ASSERT_OK(fixup_disk_pwrite(d, buf, 10, 5));
	ASSERT_OK(fixup_disk_pwrite(d, buf, sizeof(buf), 4090));
	ASSERT_OK(fixup_disk_pwrite(d, buf, 100, 300000));
	ASSERT_OK(fixup_disk_pwrite(d, buf, 900, IMG_SIZE - 900));
	ASSERT_ERR(fixup_disk_pwrite(d, buf, 2, IMG_SIZE - 1), -ENOSPC);
}

TEST(overlay_reads_see_writes_and_image_untouched)
{
	char h0[UTIL_SHA256_HEX_LEN + 1], h1[UTIL_SHA256_HEX_LEN + 1];
	_cleanup_free_ char *p = make_image("a.img", h0);
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	uint8_t b[20];

	ASSERT_OK(fixup_disk_open(p, false, &d));
	ASSERT_EQ(fixup_disk_size(d), IMG_SIZE);
	scribble(d);
	ASSERT_OK(fixup_disk_pread(d, b, 20, 0));
	ASSERT_EQ(b[0], 0);
	ASSERT_EQ(b[5], 0xab);
	ASSERT_EQ(b[14], 0xab);
	ASSERT_EQ(b[15], (uint8_t)(15 * 7));
	ASSERT_OK(fixup_disk_pread(d, b, 20, IMG_SIZE - 20));
	ASSERT_EQ(b[19], 0xab);
	ASSERT_ERR(fixup_disk_pread(d, b, 20, IMG_SIZE - 10), -EIO);
	ASSERT_TRUE(fixup_disk_dirty_bytes(d) > 0);
	/* Read-only handle cannot commit. */
	ASSERT_ERR(fixup_disk_commit(d, "/nonexistent/undo"), -EROFS);
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_STREQ(h0, h1);
}

TEST(commit_then_undo_restores_every_byte)
{
	char h0[UTIL_SHA256_HEX_LEN + 1], h1[UTIL_SHA256_HEX_LEN + 1];
	_cleanup_free_ char *p = make_image("b.img", h0);
	_cleanup_free_ char *undo = util_path_join(tests_tmpdir(), "b.undo");
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	uint8_t b[10];

	ASSERT_OK(fixup_disk_open(p, true, &d));
	scribble(d);
	ASSERT_OK(fixup_disk_commit(d, undo));
	ASSERT_EQ(fixup_disk_dirty_bytes(d), 0);
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_TRUE(!streq(h0, h1));
	ASSERT_OK(fixup_disk_pread(d, b, 10, 5));
	ASSERT_EQ(b[0], 0xab);
	ASSERT_OK(fixup_disk_undo(p, undo, false));
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_STREQ(h0, h1);
	/* Undo is idempotent. */
	ASSERT_OK(fixup_disk_undo(p, undo, false));
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_STREQ(h0, h1);
}

TEST(fault_at_every_write_point_is_recoverable)
{
	for (long n = 0; n < 6; n++) {
		char h0[UTIL_SHA256_HEX_LEN + 1], h1[UTIL_SHA256_HEX_LEN + 1];
		_cleanup_free_ char *p = make_image("c.img", h0);
		_cleanup_free_ char *undo =
		        util_path_join(tests_tmpdir(), "c.undo");
		_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
		pid_t pid;
		int status;

		(void)unlink(undo);
		pid = fork();
		ASSERT_TRUE(pid >= 0);
		if (pid == 0) {
			if (fixup_disk_open(p, true, &d) < 0)
				_exit(10);
			scribble(d);
			fixup_disk_set_fault(d, n, true);
			_exit(fixup_disk_commit(d, undo) < 0 ? 11 : 0);
		}
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			/* n beyond the number of extents: commit finished. */
			ASSERT_EQ(WEXITSTATUS(status), 0);
		} else
			ASSERT_EQ(WTERMSIG(status), SIGKILL);
		ASSERT_OK(fixup_disk_undo(p, undo, false));
		ASSERT_OK(util_sha256_file(p, h1));
		ASSERT_STREQ(h0, h1);
	}
}

TEST(damaged_undo_logs_are_refused)
{
	char h0[UTIL_SHA256_HEX_LEN + 1], h1[UTIL_SHA256_HEX_LEN + 1];
	_cleanup_free_ char *p = make_image("d.img", h0);
	_cleanup_free_ char *undo = util_path_join(tests_tmpdir(), "d.undo");
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	_cleanup_free_ char *log = NULL;
	size_t len;

	ASSERT_OK(fixup_disk_open(p, true, &d));
	scribble(d);
	ASSERT_OK(fixup_disk_commit(d, undo));
	ASSERT_OK(util_read_file(undo, 1 << 26, &log, &len));
	/* Truncated: no trailer → never applied, nothing written. */
	ASSERT_OK(util_write_file_atomic(undo, log, len - 10));
	ASSERT_ERR(fixup_disk_undo(p, undo, false), -ENODATA);
	/* A flipped byte breaks the checksum. */
	log[100] ^= 1;
	ASSERT_OK(util_write_file_atomic(undo, log, len));
	ASSERT_ERR(fixup_disk_undo(p, undo, false), -ENODATA);
	ASSERT_OK(util_write_file_atomic(undo, "garbage", 7));
	ASSERT_ERR(fixup_disk_undo(p, undo, false), -EBADMSG);
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_TRUE(!streq(h0, h1)); /* still the committed state */
}

TEST(undo_refuses_an_image_changed_after_the_fix)
{
	char h0[UTIL_SHA256_HEX_LEN + 1], h1[UTIL_SHA256_HEX_LEN + 1],
	        h2[UTIL_SHA256_HEX_LEN + 1];
	_cleanup_free_ char *p = make_image("e.img", h0);
	_cleanup_free_ char *undo = util_path_join(tests_tmpdir(), "e.undo");
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	_cleanup_close_ int fd = -1;

	ASSERT_OK(fixup_disk_open(p, true, &d));
	scribble(d);
	ASSERT_OK(fixup_disk_commit(d, undo));
	/* The guest ran: a block the fix wrote changed again. */
	fd = open(p, O_WRONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, "Z", 1, 300001), 1);
	ASSERT_OK(util_sha256_file(p, h1));
	ASSERT_ERR(fixup_disk_undo(p, undo, false), -ESTALE);
	ASSERT_OK(util_sha256_file(p, h2));
	ASSERT_STREQ(h1, h2); /* nothing written */
	/* Forced: every original byte back anyway. */
	ASSERT_OK(fixup_disk_undo(p, undo, true));
	ASSERT_OK(util_sha256_file(p, h2));
	ASSERT_STREQ(h0, h2);
}

/* A guest on two disks as the guestfs road leaves it after a fix: a
 * journal naming both, one undo log per disk (undo.log, undo.log.1). */
struct two_disks {
	char *backup, *undo, *a, *b;
	char a0[UTIL_SHA256_HEX_LEN + 1], a1[UTIL_SHA256_HEX_LEN + 1];
	char b0[UTIL_SHA256_HEX_LEN + 1], b1[UTIL_SHA256_HEX_LEN + 1];
};

static char *
fixed_disk(const char *name, const char *undo, char orig[],
           char fixed[UTIL_SHA256_HEX_LEN + 1])
{
	char *p = make_image(name, orig);
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;

	ASSERT_OK(fixup_disk_open(p, true, &d));
	scribble(d);
	ASSERT_OK(fixup_disk_commit(d, undo));
	ASSERT_OK(util_sha256_file(p, fixed));
	return p;
}

static void
two_disks_fixed(const char *tag, struct two_disks *t)
{
	_cleanup_free_ char *undo1 = NULL, *ra = NULL, *rb = NULL, *json = NULL,
	                    *jpath = NULL, *n = NULL;

	ASSERT_TRUE(asprintf(&n, "%s.imgfix", tag) > 0);
	t->backup = util_path_join(tests_tmpdir(), n);
	ASSERT_NOT_NULL(t->backup);
	ASSERT_OK(util_mkdir_p(t->backup));
	t->undo = util_path_join(t->backup, JOURNAL_UNDO);
	ASSERT_NOT_NULL(t->undo);
	undo1 = fixup_merge_undo_path(t->undo, 1);
	jpath = util_path_join(t->backup, JOURNAL_FILE);
	ASSERT_TRUE(undo1 && jpath);
	free(n);
	ASSERT_TRUE(asprintf(&n, "%s-a.img", tag) > 0);
	t->a = fixed_disk(n, t->undo, t->a0, t->a1);
	free(n);
	ASSERT_TRUE(asprintf(&n, "%s-b.img", tag) > 0);
	t->b = fixed_disk(n, undo1, t->b0, t->b1);
	ra = realpath(t->a, NULL);
	rb = realpath(t->b, NULL);
	ASSERT_TRUE(ra && rb);
	ASSERT_TRUE(asprintf(&json,
	                     "{\"format\": 1, \"state\": \"complete\", "
	                     "\"image\": \"%s\", \"image_format\": \"raw\", "
	                     "\"backend\": \"guestfs\", \"undo_log\": true, "
	                     "\"disks\": [\"%s\"]}",
	                     ra, rb) > 0);
	ASSERT_OK(util_write_file_atomic(jpath, json, strlen(json)));
}

static void
two_disks_done(struct two_disks *t)
{
	free(t->backup);
	free(t->undo);
	free(t->a);
	free(t->b);
}

/* Writes one byte into a block the fix wrote (the guest ran). */
static void
poke(const char *path, uint8_t c)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, &c, 1, 300001), 1);
}

static void
assert_sha(const char *path, const char *want)
{
	char h[UTIL_SHA256_HEX_LEN + 1];

	ASSERT_OK(util_sha256_file(path, h));
	ASSERT_STREQ(h, want);
}

/*
 * fixup_rollback() of a guest on two disks is all or nothing: when the
 * second disk changed after the fix, the first is not restored either; a
 * rollback that was interrupted after the first disk is finished by
 * running it again.
 */
TEST(rollback_of_two_disks_is_all_or_nothing)
{
	struct two_disks t = {0};

	two_disks_fixed("two", &t);
	poke(t.b, 'Z');
	ASSERT_OK(util_sha256_file(t.b, t.b1));
	ASSERT_ERR(fixup_rollback(t.a, t.backup, false, NULL), -ESTALE);
	assert_sha(t.a, t.a1); /* the first disk was not restored either */
	assert_sha(t.b, t.b1);

	/* An interrupted rollback: the first disk restored, the second as
	 * the fix left it. */
	poke(t.b, 0xab);
	ASSERT_OK(util_sha256_file(t.b, t.b1));
	ASSERT_TRUE(fixup_disk_undo(t.a, t.undo, false) > 0);
	assert_sha(t.a, t.a0);
	ASSERT_OK(fixup_rollback(t.a, t.backup, false, NULL));
	assert_sha(t.a, t.a0);
	assert_sha(t.b, t.b0);
	ASSERT_EQ(fixup_rollback(t.a, t.backup, false, NULL), 1);
	two_disks_done(&t);
}

/* --force puts the original bytes of both disks back anyway. */
TEST(rollback_of_two_disks_forced)
{
	struct two_disks t = {0};

	two_disks_fixed("forced", &t);
	poke(t.b, 'Z');
	ASSERT_OK(fixup_rollback(t.a, t.backup, true, NULL));
	assert_sha(t.a, t.a0);
	assert_sha(t.b, t.b0);
	two_disks_done(&t);
}
