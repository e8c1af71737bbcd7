/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-file I/O on the host, temporary directories, paths and SHA-256.
 * (Files inside images go through the volume layer, fixup/image/volume.h,
 * not through these.)
 */
#include <dirent.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "util.h"

int
util_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, allocated = 0;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	allocated = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(allocated);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n + 1 >= allocated) {
			char *t;

			if (allocated > max + 1)
				return -EFBIG;
			allocated *= 2;
			t = realloc(buf, allocated);
			if (!t)
				return -ENOMEM;
			buf = t;
		}
		k = read(fd, buf + n, allocated - n - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max)
			return -EFBIG;
	}
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

int
util_write_file_atomic(const char *path, const void *buf, size_t len)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = util_asprintf(&tmp, "%s.tmpXXXXXX", path);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int
util_mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
rm_rf_at(int dfd, const char *name)
{
	struct stat st;
	int r = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd =
		        openat(dfd, name,
		               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;

		if (fd < 0)
			return -errno;
		d = fdopendir(fd);
		if (!d) {
			r = -errno;
			close(fd);
			return r;
		}
		while ((de = readdir(d))) {
			int k;

			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			k = rm_rf_at(dirfd(d), de->d_name);
			if (k < 0 && r == 0)
				r = k;
		}
		closedir(d);
		if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r == 0)
			r = -errno;
		return r;
	}
	if (unlinkat(dfd, name, 0) < 0)
		return -errno;
	return 0;
}

int
util_rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

/*
 * Temporary directories that a killed imgfix does not leave behind.
 *
 * Every directory util_mkdtemp() makes holds TMP_LOCK, a file this process
 * keeps open with an exclusive flock(2) until util_rmdtemp() removes the
 * directory or the process ends, however it ends.  A directory whose lock
 * nobody holds belongs to a process that is gone (killed by a pipeline's
 * timeout, by the OOM killer, or by a fault test): the first util_mkdtemp()
 * of the next imgfix process of the same user removes it.  Hive copies,
 * guestfs overlays and nbd sockets are tens of MiB to GiB per run; without
 * this, a pipeline that kills a run now and then fills $TMPDIR.
 *
 * The lock file is created as TMP_LOCK_NEW, locked, then renamed into
 * place, so that a reaper never finds TMP_LOCK unlocked in a directory whose
 * process is alive.  A directory without TMP_LOCK is never touched.
 */
#define TMP_PREFIX "imgfix-"
#define TMP_LOCK ".imgfix-lock"
#define TMP_LOCK_NEW ".imgfix-lock.new"

struct tmp_lock {
	char *path;
	int fd;
};

static pthread_mutex_t tmp_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct tmp_lock *tmp_locks;
static size_t n_tmp_locks;
static bool tmp_reaped;

static const char *
tmp_base(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

/* Removes base/name if it is one of ours and its lock is free: 1 when
 * removed, 0 when left alone, negative errno when removing failed. */
static int
tmp_reap_one(int base_fd, const char *name)
{
	_cleanup_close_ int dir_fd = -1, lock_fd = -1;
	struct stat st;
	int r;

	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
		return 0;
	if (fstatat(base_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return 0;
	dir_fd = openat(base_fd, name,
	                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return 0;
	lock_fd = openat(dir_fd, TMP_LOCK,
	                 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (lock_fd < 0)
		return 0;
	if (fstat(lock_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())
		return 0;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		return 0; /* alive (or cannot tell): not ours to remove */
	/* Removed while we hold the lock: another reaper skips it. */
	r = rm_rf_at(base_fd, name);
	return r < 0 ? r : 1;
}

int
util_tmp_reap(const char *base, unsigned *ret_removed)
{
	_cleanup_close_ int fd = -1;
	unsigned removed = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!base)
		base = tmp_base();
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d */
	while ((de = readdir(d))) {
		int k = tmp_reap_one(dirfd(d), de->d_name);

		if (k > 0) {
			removed++;
			log_debug("removed %s/%s: left by an imgfix process "
			          "that is gone",
			          base, de->d_name);
		} else if (k < 0) {
			log_debug_errno(k, "cannot remove %s/%s", base,
			                de->d_name);
			if (r == 0)
				r = k;
		}
	}
	closedir(d);
	if (ret_removed)
		*ret_removed = removed;
	return r;
}

/* Creates dir/TMP_LOCK, locked: the lock's descriptor, or negative errno. */
static int
tmp_lock_create(const char *dir)
{
	_cleanup_close_ int dir_fd = -1;
	int fd;

	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	fd = openat(dir_fd, TMP_LOCK_NEW,
	            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0 ||
	    renameat(dir_fd, TMP_LOCK_NEW, dir_fd, TMP_LOCK) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int
util_mkdtemp(const char *tag, char **ret)
{
	const char *base = tmp_base();
	struct tmp_lock *t;
	char *p;
	int fd, r;

	pthread_mutex_lock(&tmp_mutex);
	if (!tmp_reaped) {
		tmp_reaped = true;
		(void)util_tmp_reap(base, NULL);
	}
	pthread_mutex_unlock(&tmp_mutex);

	if (util_asprintf(&p, "%s/" TMP_PREFIX "%s-XXXXXX", base, tag) < 0)
		return -ENOMEM;
	if (!mkdtemp(p)) {
		r = -errno;
		free(p);
		return r;
	}
	fd = tmp_lock_create(p);
	if (fd < 0) {
		(void)rm_rf_at(AT_FDCWD, p);
		free(p);
		return fd;
	}
	pthread_mutex_lock(&tmp_mutex);
	t = realloc(tmp_locks, (n_tmp_locks + 1) * sizeof(*t));
	if (t) {
		tmp_locks = t;
		tmp_locks[n_tmp_locks].path = p;
		tmp_locks[n_tmp_locks].fd = fd;
		n_tmp_locks++;
	}
	pthread_mutex_unlock(&tmp_mutex);
	if (!t) {
		close(fd);
		(void)rm_rf_at(AT_FDCWD, p);
		free(p);
		return -ENOMEM;
	}
	/* The table owns p; the caller gets its own copy. */
	*ret = strdup(p);
	if (!*ret) {
		util_rmdtemp(p);
		return -ENOMEM;
	}
	return 0;
}

int
util_rmdtemp(const char *path)
{
	int r;

	if (!path)
		return 0;
	r = rm_rf_at(AT_FDCWD, path);
	pthread_mutex_lock(&tmp_mutex);
	for (size_t i = 0; i < n_tmp_locks; i++) {
		if (!streq(tmp_locks[i].path, path))
			continue;
		close(tmp_locks[i].fd);
		free(tmp_locks[i].path);
		tmp_locks[i] = tmp_locks[--n_tmp_locks];
		break;
	}
	if (n_tmp_locks == 0) {
		free(tmp_locks);
		tmp_locks = NULL;
	}
	pthread_mutex_unlock(&tmp_mutex);
	return r;
}

int
util_keepdtemp(const char *path)
{
	_cleanup_free_ char *lock = util_path_join(path, TMP_LOCK);

	if (!lock)
		return -ENOMEM;
	if (unlink(lock) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

char *
util_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *r;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	r = malloc(la + 1 + strlen(b) + 1);
	if (!r)
		return NULL;
	memcpy(r, a, la);
	r[la] = '/';
	strcpy(r + la + 1, b);
	return r;
}

static void
hex_digest(const uint8_t *d, char ret[UTIL_SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
		ret[2 * i] = hex[d[i] >> 4];
		ret[2 * i + 1] = hex[d[i] & 15];
	}
	ret[UTIL_SHA256_HEX_LEN] = '\0';
}

void
util_sha256_hex(const void *buf, size_t len, char ret[UTIL_SHA256_HEX_LEN + 1])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, buf);
	sha256_digest(&ctx, sizeof(d), d);
	hex_digest(d, ret);
}

_Static_assert(sizeof(struct sha256_ctx) <=
                       sizeof(((struct util_sha256 *)0)->opaque),
               "struct util_sha256 too small for nettle's context");
_Static_assert(SHA256_DIGEST_SIZE == UTIL_SHA256_LEN, "SHA-256 length");

/* The context lives in the caller's opaque bytes: copied in and out (no
 * type punning of the byte array). */
void
util_sha256_init(struct util_sha256 *s)
{
	struct sha256_ctx c;

	sha256_init(&c);
	memcpy(s->opaque, &c, sizeof(c));
}

void
util_sha256_update(struct util_sha256 *s, const void *buf, size_t len)
{
	struct sha256_ctx c;

	memcpy(&c, s->opaque, sizeof(c));
	sha256_update(&c, len, buf);
	memcpy(s->opaque, &c, sizeof(c));
}

void
util_sha256_final(struct util_sha256 *s, uint8_t ret[UTIL_SHA256_LEN])
{
	struct sha256_ctx c;

	memcpy(&c, s->opaque, sizeof(c));
	sha256_digest(&c, UTIL_SHA256_LEN, ret);
}

int
util_sha256_file(const char *path, char ret[UTIL_SHA256_HEX_LEN + 1])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE], buf[65536];

	if (fd < 0)
		return -errno;
	sha256_init(&ctx);
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		sha256_update(&ctx, (size_t)k, buf);
	}
	sha256_digest(&ctx, sizeof(d), d);
	hex_digest(d, ret);
	return 0;
}
