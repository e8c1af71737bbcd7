/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for util/: strings, string lists, the string map, UTF-16. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "tests.h"

TEST(parse_numbers)
{
	uint64_t v;
	uint32_t w;

	ASSERT_OK(util_parse_u64("0x1F", &v));
	ASSERT_EQ(v, 31);
	ASSERT_OK(util_parse_u64("42", &v));
	ASSERT_EQ(v, 42);
	ASSERT_ERR(util_parse_u64("", &v), -EINVAL);
	ASSERT_ERR(util_parse_u64("-1", &v), -EINVAL);
	ASSERT_ERR(util_parse_u64("0x", &v), -EINVAL);
	ASSERT_ERR(util_parse_u64("12a", &v), -EINVAL);
	ASSERT_ERR(util_parse_u32("0x100000000", &w), -ERANGE);
	ASSERT_ERR(util_parse_u64("99999999999999999999999", &v), -ERANGE);
}

TEST(strv)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *j = NULL;

	ASSERT_OK(util_strv_split(";a;;bc;", ";", &l));
	ASSERT_EQ(util_strv_length(l), 2);
	ASSERT_STREQ(l[0], "a");
	ASSERT_STREQ(l[1], "bc");
	ASSERT_TRUE(util_strv_contains_case(l, "BC"));
	ASSERT_TRUE(!util_strv_contains(l, "BC"));
	ASSERT_OK(util_strv_push(&l, "d"));
	j = util_strv_join(l, ", ");
	ASSERT_STREQ(j, "a, bc, d");
}

TEST(strv_pushf)
{
	_cleanup_strv_free_ char **l = NULL;

	/* A NULL list is a valid start; util_strv_pushf() formats with
	 * util_strv_pushfv(), so both are exercised. */
	ASSERT_OK(util_strv_pushf(&l, "%s=%d", "a", 1));
	ASSERT_EQ(util_strv_length(l), 1);
	ASSERT_STREQ(l[0], "a=1");
	ASSERT_OK(util_strv_pushf(&l, "%s/%u", "b", 2u));
	ASSERT_EQ(util_strv_length(l), 2);
	ASSERT_STREQ(l[1], "b/2");
	ASSERT_NULL(l[2]);
	/* A formatting failure (a wide character the C locale cannot encode)
	 * is -ENOMEM and leaves the list as it was, nothing leaked. */
	ASSERT_ERR(util_strv_pushf(&l, "%ls", (const wchar_t[]){0x110000, 0}),
	           -ENOMEM);
	ASSERT_EQ(util_strv_length(l), 2);
	ASSERT_STREQ(l[1], "b/2");
	{
		_cleanup_strv_free_ char **e = NULL;

		ASSERT_ERR(util_strv_pushf(&e, "%ls",
		                           (const wchar_t[]){0x110000, 0}),
		           -ENOMEM);
		ASSERT_NULL(e);
	}
}

TEST(replace_strf)
{
	_cleanup_free_ char *e = NULL;

	util_replace_strf(NULL, "ignored %d", 1); /* an optional ret_error */
	util_replace_strf(&e, "first %s", "error");
	ASSERT_STREQ(e, "first error");
	util_replace_strf(&e, "%s: %u", "second", 2u); /* the first is freed */
	ASSERT_STREQ(e, "second: 2");
	/* A failed format leaves no stale message behind. */
	util_replace_strf(&e, "%ls", (const wchar_t[]){0x110000, 0});
	ASSERT_NULL(e);
}

TEST(strmap)
{
	_cleanup_(util_strmap_freep) struct util_strmap *m = util_strmap_new();

	ASSERT_NOT_NULL(m);
	ASSERT_OK(util_strmap_set(m, "os.family", "windows"));
	ASSERT_OK(util_strmap_set(m, "a", "1"));
	ASSERT_OK(util_strmap_setf(m, "service.x.start", "%d", 4));
	ASSERT_OK(util_strmap_set(m, "a", "2"));
	ASSERT_EQ(util_strmap_size(m), 3);
	ASSERT_STREQ(util_strmap_key(m, 0), "a");
	ASSERT_STREQ(util_strmap_value(m, 0), "2");
	ASSERT_STREQ(util_strmap_get(m, "service.x.start"), "4");
	ASSERT_NULL(util_strmap_get(m, "nope"));
	ASSERT_OK(util_strmap_remove(m, "a"));
	ASSERT_ERR(util_strmap_remove(m, "a"), -ENOENT);
	ASSERT_STREQ(util_strmap_key(m, 0), "os.family");
	for (int i = 0; i < 1000; i++)
		ASSERT_OK(util_strmap_setf(m, "k", "%d", i));
	ASSERT_STREQ(util_strmap_get(m, "k"), "999");
}

static void
roundtrip16(const uint8_t *in, size_t len)
{
	_cleanup_free_ char *u8 = NULL;
	_cleanup_free_ void *u16 = NULL;
	size_t n8, n16;

	ASSERT_OK(util_utf16le_to_utf8(in, len, &u8, &n8));
	ASSERT_OK(util_utf8_to_utf16le(u8, n8, &u16, &n16));
	ASSERT_EQ(n16, len);
	ASSERT_MEMEQ(u16, in, len);
}

TEST(utf16)
{
	/* "Aé" + U+1F600 (surrogate pair) + embedded NUL + "z" */
	static const uint8_t s1[] = {'A',  0,    0xe9, 0, 0x3d, 0xd8,
	                             0x00, 0xde, 0,    0, 'z',  0};
	/* lone high surrogate, lone low surrogate, reversed pair */
	static const uint8_t s2[] = {0x00, 0xd8, 'x',  0,    0x00,
	                             0xdc, 0x00, 0xdc, 0x00, 0xd8};
	_cleanup_free_ char *u8 = NULL;
	_cleanup_free_ void *u16 = NULL;
	size_t n;

	ASSERT_OK(util_utf16le_to_utf8(s1, sizeof(s1), &u8, &n));
	ASSERT_EQ(n, 1 + 2 + 4 + 1 + 1);
	ASSERT_MEMEQ(u8, "A\xc3\xa9\xf0\x9f\x98\x80\0z", n);
	roundtrip16(s1, sizeof(s1));
	roundtrip16(s2, sizeof(s2));
	roundtrip16((const uint8_t *)"", 0);
	ASSERT_ERR(util_utf16le_to_utf8(s1, 3, &u8, &n), -EILSEQ);
	ASSERT_ERR(util_utf8_to_utf16le("\xff", 1, &u16, &n), -EILSEQ);
	ASSERT_ERR(util_utf8_to_utf16le("\xc0\x80", 2, &u16, &n), -EILSEQ);
	ASSERT_ERR(util_utf8_to_utf16le("\xe2\x82", 2, &u16, &n), -EILSEQ);
}

TEST(files)
{
	_cleanup_free_ char *p = util_path_join(tests_tmpdir(), "a/b/c");
	_cleanup_free_ char *f = NULL, *buf = NULL;
	char hex[UTIL_SHA256_HEX_LEN + 1];
	size_t n;

	ASSERT_OK(util_mkdir_p(p));
	f = util_path_join(p, "f");
	ASSERT_OK(util_write_file_atomic(f, "abc", 3));
	ASSERT_OK(util_read_file(f, 100, &buf, &n));
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(buf, "abc");
	free(buf);
	buf = NULL;
	ASSERT_ERR(util_read_file(f, 2, &buf, &n), -EFBIG);
	ASSERT_OK(util_sha256_file(f, hex));
	ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223"
	                  "b00361a396177a9cb410ff61f20015ad");
	util_sha256_hex("abc", 3, hex);
	ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223"
	                  "b00361a396177a9cb410ff61f20015ad");
	ASSERT_ERR(util_read_file("/nonexistent/x", 10, &buf, &n), -ENOENT);
}

/* In a child process with TMPDIR=base: makes a temp dir with a file in it,
 * keeps it for good when keep, writes its path to fd, waits for wait_fd to
 * reach EOF (when >= 0), then exits without removing anything. */
static void
tmp_child(const char *base, const char *tag, bool keep, int fd, int wait_fd)
{
	char *p, *f, c;

	if (setenv("TMPDIR", base, 1) < 0 || util_mkdtemp(tag, &p) < 0)
		_exit(1);
	f = util_path_join(p, "data");
	if (!f || util_write_file_atomic(f, "x", 1) < 0)
		_exit(1);
	if (keep && util_keepdtemp(p) < 0)
		_exit(1);
	if (write(fd, p, strlen(p)) != (ssize_t)strlen(p))
		_exit(1);
	close(fd);
	/* Nothing leaks when valgrind checks this process at its _exit(). */
	free(f);
	free(p);
	if (wait_fd >= 0)
		while (read(wait_fd, &c, 1) > 0)
			;
	_exit(0);
}

/* Runs tmp_child() in a process; returns its directory and, with wait_fd,
 * the pid and the pipe end that lets it end. */
static char *
tmp_spawn(const char *base, const char *tag, bool keep, pid_t *ret_pid,
          int *ret_release)
{
	int path_pipe[2], wait_pipe[2] = {-1, -1}, st;
	char buf[4096];
	ssize_t n, got = 0;
	pid_t pid;

	ASSERT_TRUE(pipe(path_pipe) == 0);
	if (ret_pid)
		ASSERT_TRUE(pipe(wait_pipe) == 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		close(path_pipe[0]);
		if (wait_pipe[1] >= 0)
			close(wait_pipe[1]);
		tmp_child(base, tag, keep, path_pipe[1], wait_pipe[0]);
	}
	close(path_pipe[1]);
	while ((n = read(path_pipe[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(path_pipe[0]);
	buf[got] = '\0';
	if (ret_pid) {
		close(wait_pipe[0]);
		*ret_pid = pid;
		*ret_release = wait_pipe[1];
	} else {
		ASSERT_TRUE(waitpid(pid, &st, 0) == pid);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ASSERT_TRUE(got > 0);
	return strdup(buf);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * util_mkdtemp()'s reaper: removes exactly the directories of imgfix
 * processes that are gone; never a live one, a kept one, one without a lock,
 * another user's or one behind a symlink.
 */
TEST(tmp_reap)
{
	_cleanup_free_ char *base = util_path_join(tests_tmpdir(), "reap"),
	                    *outside =
	                            util_path_join(tests_tmpdir(), "outside"),
	                    *outside_lock = NULL, *link = NULL, *nolock = NULL,
	                    *dead = NULL, *alive = NULL, *kept = NULL,
	                    *mine = NULL;
	unsigned n = 99;
	pid_t pid;
	int release, st;

	ASSERT_TRUE(base && outside);
	ASSERT_OK(util_mkdir_p(base));
	ASSERT_OK(util_mkdir_p(outside));

	/* A symlink named like ours, to a directory holding a free lock. */
	outside_lock = util_path_join(outside, ".imgfix-lock");
	link = util_path_join(base, "imgfix-link-AAAAAA");
	ASSERT_TRUE(outside_lock && link);
	ASSERT_OK(util_write_file_atomic(outside_lock, "", 0));
	ASSERT_TRUE(symlink(outside, link) == 0);
	/* One of ours in name only: no lock file. */
	nolock = util_path_join(base, "imgfix-nolock-BBBBBB");
	ASSERT_TRUE(nolock);
	ASSERT_OK(util_mkdir_p(nolock));

	dead = tmp_spawn(base, "dead", false, NULL, NULL);
	kept = tmp_spawn(base, "kept", true, NULL, NULL);
	alive = tmp_spawn(base, "alive", false, &pid, &release);
	ASSERT_TRUE(dead && kept && alive);
	ASSERT_TRUE(exists(dead) && exists(kept) && exists(alive));

	/* This process's own directory under the same base is not stale. */
	ASSERT_TRUE(setenv("TMPDIR", base, 1) == 0);
	ASSERT_OK(util_mkdtemp("mine", &mine));
	ASSERT_TRUE(unsetenv("TMPDIR") == 0);

	ASSERT_OK(util_tmp_reap(base, &n));
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(!exists(dead));
	ASSERT_TRUE(exists(alive) && exists(kept) && exists(mine));
	ASSERT_TRUE(exists(nolock) && exists(link) && exists(outside_lock));

	/* The live one is stale once its process has ended. */
	close(release);
	ASSERT_TRUE(waitpid(pid, &st, 0) == pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_OK(util_tmp_reap(base, &n));
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(!exists(alive) && exists(mine) && exists(kept));

	ASSERT_OK(util_rmdtemp(mine));
	ASSERT_TRUE(!exists(mine));
	ASSERT_OK(util_tmp_reap(base, &n));
	ASSERT_EQ(n, 0);
	ASSERT_ERR(util_tmp_reap("/nonexistent/imgfix", &n), -ENOENT);
}

/* util/progress.c: machine lines, quiet mode, terminal only on a tty. */
TEST(progress_machine)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct util_progress *p;

	ASSERT_TRUE(f);
	util_progress_configure(&(struct util_progress_config){
	        .mode = UTIL_PROGRESS_MACHINE, .machine = f});
	ASSERT_OK(util_progress_start("store scan:x", 3, &p));
	ASSERT_TRUE(p);
	util_progress_update(p, 1);
	util_progress_update(p, 1); /* unchanged: no new line */
	util_progress_update(p, 3);
	p = util_progress_end(p);
	ASSERT_TRUE(!p);
	fclose(f);
	ASSERT_STREQ(buf, "progress:store_scan_x:0/3\n"
	                  "progress:store_scan_x:1/3\n"
	                  "progress:store_scan_x:3/3\n");
	util_progress_configure(&(struct util_progress_config){0});
}

TEST(progress_quiet_and_not_a_tty)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct util_progress *p = (void *)1;

	ASSERT_TRUE(f);
	util_progress_configure(&(struct util_progress_config){
	        .mode = UTIL_PROGRESS_QUIET, .machine = f, .term = f});
	ASSERT_OK(util_progress_start("x", 2, &p));
	ASSERT_TRUE(!p);
	util_progress_update(p, 1); /* NULL is fine */
	util_progress_end(p);
	/* A memstream is no tty: terminal mode stays silent. */
	util_progress_configure(&(struct util_progress_config){
	        .mode = UTIL_PROGRESS_TERMINAL, .term = f});
	ASSERT_OK(util_progress_start("x", 2, &p));
	ASSERT_TRUE(!p);
	fclose(f);
	ASSERT_EQ(len, 0);
	util_progress_configure(&(struct util_progress_config){0});
}

TEST(progress_terminal)
{
	char out[512];
	struct util_progress *p;
	ssize_t n;
	int master, slave;
	FILE *f;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		TEST_SKIP("no pseudo-terminal: %s", strerror(errno));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ASSERT_TRUE(slave >= 0);
	f = fdopen(slave, "w");
	ASSERT_TRUE(f);
	util_progress_configure(&(struct util_progress_config){
	        .mode = UTIL_PROGRESS_TERMINAL, .term = f, .delay_ms = 0});
	ASSERT_OK(util_progress_start("copy", 4, &p));
	ASSERT_TRUE(p);
	util_progress_update(p, 4);
	util_progress_end(p);
	fclose(f);
	/* The pty may hand the output over in pieces: read until it is
	 * drained (EIO once the slave side is closed and empty). */
	n = 0;
	for (;;) {
		ssize_t k = read(master, out + n, sizeof(out) - 1 - (size_t)n);

		if (k <= 0 || (size_t)(n += k) >= sizeof(out) - 1)
			break;
	}
	ASSERT_TRUE(n > 0);
	out[n] = '\0';
	ASSERT_TRUE(strstr(out, "copy"));
	ASSERT_TRUE(strstr(out, "[########################] 4/4 100%"));
	/* The line is erased at the end. */
	ASSERT_TRUE(strstr(out, "\r\033[K"));
	close(master);
	util_progress_configure(&(struct util_progress_config){0});
}
