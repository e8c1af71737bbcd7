/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A disk image with a copy-on-write overlay and an undo log; see disk.h
 * for the protocol.  The overlay is an open-addressing hash table of 4 KiB
 * blocks; commit sorts the dirty blocks into extents.  The image's bytes
 * are reached through the I/O interface of disk-io.h (a file, or NBD).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>

#include "image/disk-io.h"
#include "image/disk.h"
#include "util.h"

#define UNDO_MAGIC_LEN (sizeof(FIXUP_DISK_UNDO_MAGIC) - 1)
#define UNDO_HEADER_LEN (UNDO_MAGIC_LEN + 16)
#define UNDO_RECORD_HEADER (12 + 32) /* offset, length, SHA-256 of new */
#define UNDO_TRAILER_MAGIC "TRAILER\0"
#define UNDO_TRAILER_LEN (8 + 8 + 32)
#define EXTENT_MAX (1024u * 1024)
/* Commit and undo log move the bytes through buffers this large: fresh
 * memory costs more than the extra system calls. */
#define COMMIT_CHUNK (64u * 1024)

struct block {
	uint64_t no; /* block number + 1; 0 = empty slot */
	uint8_t *data;
};

struct fixup_disk {
	char *path;
	struct fixup_io *io;
	bool writable;
	uint64_t size;
	struct block *blocks;
	size_t n_blocks, n_slots;
	long fault_writes; /* -1 = off */
	bool fault_kill;
	uint64_t bytes_read, bytes_written; /* of the image file */
};

static size_t
block_hash(uint64_t no, size_t n_slots)
{
	no ^= no >> 33;
	no *= 0xff51afd7ed558ccdULL;
	no ^= no >> 33;
	return (size_t)(no & (n_slots - 1));
}

static struct block *
block_find(const struct fixup_disk *d, uint64_t no)
{
	if (d->n_slots == 0)
		return NULL;
	for (size_t i = block_hash(no, d->n_slots);;
	     i = (i + 1) & (d->n_slots - 1)) {
		if (d->blocks[i].no == no + 1)
			return &d->blocks[i];
		if (d->blocks[i].no == 0)
			return NULL;
	}
}

static int
block_table_grow(struct fixup_disk *d)
{
	size_t n = d->n_slots ? d->n_slots * 2 : 1024;
	struct block *t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_slots; i++) {
		struct block *b = &d->blocks[i];

		if (b->no == 0)
			continue;
		for (size_t j = block_hash(b->no - 1, n);;
		     j = (j + 1) & (n - 1))
			if (t[j].no == 0) {
				t[j] = *b;
				break;
			}
	}
	free(d->blocks);
	d->blocks = t;
	d->n_slots = n;
	return 0;
}

/* I/O on the image file itself, counted for fixup_disk_io(). */
static int
img_read(struct fixup_disk *d, void *buf, size_t len, uint64_t off)
{
	int r = d->io->ops->pread(d->io, buf, len, off);

	if (r >= 0)
		d->bytes_read += len;
	return r;
}

static int
img_write(struct fixup_disk *d, const void *buf, size_t len, uint64_t off)
{
	int r = d->io->ops->pwrite(d->io, buf, len, off);

	if (r >= 0)
		d->bytes_written += len;
	return r;
}

/* A new overlay block for no holding orig (its bytes in the image). */
static int
block_add(struct fixup_disk *d, uint64_t no, const uint8_t *orig,
          struct block **ret)
{
	int r;

	if ((uint64_t)(d->n_blocks + 1) * FIXUP_DISK_BLOCK >
	    FIXUP_DISK_MAX_DIRTY)
		return -EFBIG;
	if ((d->n_blocks + 1) * 2 > d->n_slots) {
		r = block_table_grow(d);
		if (r < 0)
			return r;
	}
	uint8_t *data = malloc(FIXUP_DISK_BLOCK);
	if (!data)
		return -ENOMEM;
	memcpy(data, orig, FIXUP_DISK_BLOCK);
	for (size_t i = block_hash(no, d->n_slots);;
	     i = (i + 1) & (d->n_slots - 1))
		if (d->blocks[i].no == 0) {
			d->blocks[i] = (struct block){no + 1, data};
			*ret = &d->blocks[i];
			break;
		}
	d->n_blocks++;
	return 0;
}

int
fixup_disk_open(const char *path, bool writable, struct fixup_disk **ret)
{
	struct fixup_io *io;
	int r;

	r = fixup_io_file_open(path, writable, &io);
	if (r < 0)
		return r;
	return fixup_disk_open_io(path, io, ret);
}

int
fixup_disk_open_io(const char *path, struct fixup_io *io,
                   struct fixup_disk **ret)
{
	struct fixup_disk *d;
	const char *e;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fixup_io_free(io);
		return -ENOMEM;
	}
	d->io = io;
	d->path = strdup(path);
	if (!d->path) {
		fixup_disk_free(d);
		return -ENOMEM;
	}
	d->size = io->size;
	d->writable = io->writable;
	d->fault_writes = -1;
	e = getenv("IMGFIX_FAULT_WRITES");
	if (e && *e) {
		uint64_t n;

		if (util_parse_u64(e, &n) == 0 && n < LONG_MAX) {
			const char *m = getenv("IMGFIX_FAULT_MODE");

			d->fault_writes = (long)n;
			d->fault_kill = m && streq(m, "kill");
		}
	}
	*ret = d;
	return 0;
}

struct fixup_disk *
fixup_disk_free(struct fixup_disk *d)
{
	if (!d)
		return NULL;
	fixup_disk_discard(d);
	free(d->blocks);
	fixup_io_free(d->io);
	free(d->path);
	free(d);
	return NULL;
}

const char *
fixup_disk_path(const struct fixup_disk *d)
{
	return d->path;
}

const struct fixup_io *
fixup_disk_get_io(const struct fixup_disk *d)
{
	return d->io;
}

uint64_t
fixup_disk_size(const struct fixup_disk *d)
{
	return d->size;
}

bool
fixup_disk_writable(const struct fixup_disk *d)
{
	return d->writable;
}

uint64_t
fixup_disk_dirty_bytes(const struct fixup_disk *d)
{
	return (uint64_t)d->n_blocks * FIXUP_DISK_BLOCK;
}

void
fixup_disk_discard(struct fixup_disk *d)
{
	for (size_t i = 0; i < d->n_slots; i++) {
		free(d->blocks[i].data);
		d->blocks[i] = (struct block){0, NULL};
	}
	d->n_blocks = 0;
}

void
fixup_disk_set_fault(struct fixup_disk *d, long writes, bool kill)
{
	d->fault_writes = writes;
	d->fault_kill = kill;
}

int
fixup_disk_pread(struct fixup_disk *d, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	if (off > d->size || len > d->size - off)
		return -EIO;
	if (d->n_blocks == 0)
		return img_read(d, buf, len, off);
	while (len > 0) {
		uint64_t no = off / FIXUP_DISK_BLOCK;
		size_t in = (size_t)(off % FIXUP_DISK_BLOCK);
		size_t n = MIN(len, (size_t)FIXUP_DISK_BLOCK - in);
		struct block *b = block_find(d, no);
		int r;

		if (b)
			memcpy(p, b->data + in, n);
		else {
			/* Read the whole clean run up to the next dirty block.
			 */
			while (n < len) {
				size_t m =
				        MIN(len - n, (size_t)FIXUP_DISK_BLOCK);

				if (block_find(d, (off + n) / FIXUP_DISK_BLOCK))
					break;
				n += m;
			}
			r = img_read(d, p, n, off);
			if (r < 0)
				return r;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static bool
range_clean(const struct fixup_disk *d, uint64_t off, size_t len)
{
	if (d->n_blocks == 0 || len == 0)
		return true;
	for (uint64_t no = off / FIXUP_DISK_BLOCK;
	     no <= (off + len - 1) / FIXUP_DISK_BLOCK; no++)
		if (block_find(d, no))
			return false;
	return true;
}

/* Through a bounce buffer (overlay, or no copy_file_range). */
static int
copy_bounce(struct fixup_disk *d, uint64_t off, size_t len, int fd,
            uint64_t fd_off)
{
	_cleanup_free_ uint8_t *buf = malloc(MIN(len, (size_t)EXTENT_MAX));
	int r;

	if (!buf)
		return -ENOMEM;
	while (len > 0) {
		size_t n = MIN(len, (size_t)EXTENT_MAX);

		r = fixup_disk_pread(d, buf, n, off);
		if (r < 0)
			return r;
		r = fixup_fd_pwrite(fd, buf, n, fd_off);
		if (r < 0)
			return r;
		off += n;
		fd_off += n;
		len -= n;
	}
	return 0;
}

void
fixup_disk_io(const struct fixup_disk *d, uint64_t *ret_read,
              uint64_t *ret_written)
{
	*ret_read = d->bytes_read;
	*ret_written = d->bytes_written;
}

int
fixup_disk_copy_to_fd(struct fixup_disk *d, uint64_t off, size_t len, int fd,
                      uint64_t fd_off)
{
	if (off > d->size || len > d->size - off)
		return -EIO;
	if (len == 0)
		return 0;
	if (d->io->fd < 0 || !range_clean(d, off, len))
		return copy_bounce(d, off, len, fd, fd_off);
	while (len > 0) {
		loff_t in = (loff_t)off, out = (loff_t)fd_off;
		ssize_t n = copy_file_range(d->io->fd, &in, fd, &out, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == EINVAL ||
		              errno == ENOSYS || errno == EOPNOTSUPP))
			return copy_bounce(d, off, len, fd, fd_off);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the image shrank under us */
		d->bytes_read += (uint64_t)n;
		off += (size_t)n;
		fd_off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int
fixup_disk_pwrite(struct fixup_disk *d, const void *buf, size_t len,
                  uint64_t off)
{
	const uint8_t *p = buf;

	if (off > d->size || len > d->size - off)
		return -ENOSPC;
	while (len > 0) {
		uint64_t no = off / FIXUP_DISK_BLOCK;
		size_t in = (size_t)(off % FIXUP_DISK_BLOCK);
		size_t n = MIN(len, (size_t)FIXUP_DISK_BLOCK - in);
		struct block *b;
		int r;

		b = block_find(d, no);
		if (!b) {
			/* Writing what is already there (libntfs-3g rewrites
			 * whole files): no overlay block, nothing to commit.
			 * The whole block is read once: it is the new overlay
			 * block's start when the bytes differ. */
			uint8_t cur[FIXUP_DISK_BLOCK] = {0};
			uint64_t bo = no * FIXUP_DISK_BLOCK;

			r = img_read(d, cur,
			             (size_t)MIN((uint64_t)FIXUP_DISK_BLOCK,
			                         d->size - bo),
			             bo);
			if (r < 0)
				return r;
			if (memcmp(cur + in, p, n) == 0) {
				p += n;
				off += n;
				len -= n;
				continue;
			}
			r = block_add(d, no, cur, &b);
			if (r < 0)
				return r;
		}
		memcpy(b->data + in, p, n);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct extent {
	uint64_t off;
	size_t len;
};

/* Sorted, coalesced extents of the dirty blocks, clamped to the image. */
static int
dirty_extents(struct fixup_disk *d, struct extent **ret, size_t *ret_n)
{
	_cleanup_free_ uint64_t *nos = NULL;
	_cleanup_free_ struct extent *ext = NULL;
	size_t k = 0, n = 0;

	nos = malloc(MAX(d->n_blocks, (size_t)1) * sizeof(uint64_t));
	ext = malloc(MAX(d->n_blocks, (size_t)1) * sizeof(struct extent));
	if (!nos || !ext)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_slots; i++)
		if (d->blocks[i].no)
			nos[k++] = d->blocks[i].no - 1;
	qsort(nos, k, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < k; i++) {
		uint64_t off = nos[i] * FIXUP_DISK_BLOCK;
		size_t len =
		        (size_t)MIN((uint64_t)FIXUP_DISK_BLOCK, d->size - off);

		if (n > 0 && ext[n - 1].off + ext[n - 1].len == off &&
		    ext[n - 1].len + len <= EXTENT_MAX)
			ext[n - 1].len += len;
		else
			ext[n++] = (struct extent){off, len};
	}
	*ret = TAKE_PTR(ext);
	*ret_n = n;
	return 0;
}

static int
fsync_parent(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int fd = -1;
	char *s;

	if (!dir)
		return -ENOMEM;
	s = strrchr(dir, '/');
	if (s == dir)
		s[1] = '\0';
	else if (s)
		*s = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Copies the overlay bytes of [off, off+len) into buf. */
static void
overlay_copy(struct fixup_disk *d, uint8_t *buf, uint64_t off, size_t len)
{
	while (len > 0) {
		struct block *b = block_find(d, off / FIXUP_DISK_BLOCK);
		size_t in = (size_t)(off % FIXUP_DISK_BLOCK);
		size_t n = MIN(len, (size_t)FIXUP_DISK_BLOCK - in);

		memcpy(buf, b->data + in, n);
		buf += n;
		off += n;
		len -= n;
	}
}

static void
sha256_raw(const void *buf, size_t len, uint8_t ret[UTIL_SHA256_LEN])
{
	struct util_sha256 s;

	util_sha256_init(&s);
	util_sha256_update(&s, buf, len);
	util_sha256_final(&s, ret);
}

/* SHA-256 of the overlay bytes of [off, off+len), hashed in place. */
static void
overlay_sha256(struct fixup_disk *d, uint64_t off, size_t len,
               uint8_t ret[UTIL_SHA256_LEN])
{
	struct util_sha256 s;

	util_sha256_init(&s);
	while (len > 0) {
		struct block *b = block_find(d, off / FIXUP_DISK_BLOCK);
		size_t in = (size_t)(off % FIXUP_DISK_BLOCK);
		size_t n = MIN(len, (size_t)FIXUP_DISK_BLOCK - in);

		util_sha256_update(&s, b->data + in, n);
		off += n;
		len -= n;
	}
	util_sha256_final(&s, ret);
}

/* The undo log streamed to its file through one COMMIT_CHUNK buffer, hashed
 * as it goes (the trailer's SHA-256 covers everything before it). */
struct undo_writer {
	int fd;
	uint8_t *buf;
	size_t n;
	uint64_t off;
	struct util_sha256 sha;
};

static int
undo_flush(struct undo_writer *w)
{
	int r = fixup_fd_pwrite(w->fd, w->buf, w->n, w->off);

	if (r < 0)
		return r;
	/* start writing it out now: the fsync at the end waits less */
	(void)sync_file_range(w->fd, (off_t)w->off, (off_t)w->n,
	                      SYNC_FILE_RANGE_WRITE);
	w->off += w->n;
	w->n = 0;
	return 0;
}

/* Room for len (<= COMMIT_CHUNK) more bytes at w->buf + w->n. */
static int
undo_room(struct undo_writer *w, size_t len)
{
	return w->n + len > COMMIT_CHUNK ? undo_flush(w) : 0;
}

static int
undo_put(struct undo_writer *w, const void *p, size_t len)
{
	int r = undo_room(w, len);

	if (r < 0)
		return r;
	memcpy(w->buf + w->n, p, len);
	util_sha256_update(&w->sha, p, len);
	w->n += len;
	return 0;
}

static int
write_undo_log(struct fixup_disk *d, const struct extent *ext, size_t n,
               const char *undo_path)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	struct undo_writer w = {0};
	uint8_t head[UNDO_HEADER_LEN], hdr[UNDO_RECORD_HEADER],
	        trailer[UNDO_TRAILER_LEN];
	int r;

	r = util_asprintf(&tmp, "%s.tmp", undo_path);
	if (r < 0)
		return r;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	w.fd = fd;
	w.buf = malloc(COMMIT_CHUNK);
	if (!w.buf)
		return -ENOMEM;
	util_sha256_init(&w.sha);
	memcpy(head, FIXUP_DISK_UNDO_MAGIC, UNDO_MAGIC_LEN);
	util_put_le64(head + UNDO_MAGIC_LEN, d->size);
	util_put_le64(head + UNDO_MAGIC_LEN + 8, n);
	r = undo_put(&w, head, UNDO_HEADER_LEN);
	for (size_t i = 0; i < n && r >= 0; i++) {
		util_put_le64(hdr, ext[i].off);
		util_put_le32(hdr + 8, (uint32_t)ext[i].len);
		/* What the commit will write there, to detect later changes. */
		overlay_sha256(d, ext[i].off, ext[i].len, hdr + 12);
		r = undo_put(&w, hdr, UNDO_RECORD_HEADER);
		/* The original bytes come from the image, not the overlay. */
		for (size_t done = 0; done < ext[i].len && r >= 0;) {
			size_t k = MIN(ext[i].len - done, (size_t)COMMIT_CHUNK);

			r = undo_room(&w, k);
			if (r >= 0)
				r = img_read(d, w.buf + w.n, k,
				             ext[i].off + done);
			if (r >= 0) {
				util_sha256_update(&w.sha, w.buf + w.n, k);
				w.n += k;
				done += k;
			}
		}
	}
	if (r >= 0) {
		memcpy(trailer, UNDO_TRAILER_MAGIC, 8);
		util_put_le64(trailer + 8, n);
		util_sha256_final(&w.sha, trailer + 16);
		r = undo_room(&w, UNDO_TRAILER_LEN);
	}
	if (r >= 0) {
		memcpy(w.buf + w.n, trailer, UNDO_TRAILER_LEN);
		w.n += UNDO_TRAILER_LEN;
		r = undo_flush(&w);
	}
	free(w.buf);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return -errno;
	if (close(TAKE_FD(fd)) < 0)
		return -errno;
	if (rename(tmp, undo_path) < 0)
		return -errno;
	return fsync_parent(undo_path);
}

/* Writes the overlay bytes of e to the image (back NULL), or checks that
 * the image holds them (read into back), COMMIT_CHUNK at a time. */
static int
extent_out(struct fixup_disk *d, const struct extent *e, uint8_t *buf,
           uint8_t *back)
{
	for (size_t done = 0; done < e->len;) {
		size_t k = MIN(e->len - done, (size_t)COMMIT_CHUNK);
		int r;

		overlay_copy(d, buf, e->off + done, k);
		r = back ? img_read(d, back, k, e->off + done)
		         : img_write(d, buf, k, e->off + done);
		if (r < 0)
			return r;
		if (back && memcmp(buf, back, k) != 0)
			return -EIO;
		done += k;
	}
	return 0;
}

static int
fault_point(struct fixup_disk *d)
{
	if (d->fault_writes < 0)
		return 0;
	if (d->fault_writes == 0) {
		if (d->fault_kill) {
			(void)d->io->ops->flush(d->io);
			raise(SIGKILL);
		}
		return -EIO;
	}
	d->fault_writes--;
	return 0;
}

int
fixup_disk_commit(struct fixup_disk *d, const char *undo_path)
{
	_cleanup_free_ struct extent *ext = NULL;
	_cleanup_free_ uint8_t *buf = NULL, *back = NULL;
	size_t n;
	int r;

	if (d->n_blocks == 0)
		return 0;
	if (!d->writable)
		return -EROFS;
	r = dirty_extents(d, &ext, &n);
	if (r < 0)
		return r;
	if (undo_path) {
		r = write_undo_log(d, ext, n, undo_path);
		if (r < 0)
			return r;
	}
	buf = malloc(COMMIT_CHUNK);
	back = malloc(COMMIT_CHUNK);
	if (!buf || !back)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = fault_point(d);
		if (r < 0)
			return r;
		r = extent_out(d, &ext[i], buf, NULL);
		if (r < 0)
			return r;
	}
	/* Durable (fsync, NBD_CMD_FLUSH) before anyone says committed. */
	r = d->io->ops->flush(d->io);
	if (r < 0)
		return r;
	/* Verify: read everything back from the image itself. */
	for (size_t i = 0; i < n; i++) {
		r = extent_out(d, &ext[i], buf, back);
		if (r < 0)
			return r;
	}
	fixup_disk_discard(d);
	return (int)MIN(n, (size_t)INT32_MAX);
}

static int undo_io(struct fixup_io *io, const char *undo_path, bool force,
                   bool check_only);

int
fixup_disk_undo(const char *image_path, const char *undo_path, bool force)
{
	_cleanup_(fixup_io_freep) struct fixup_io *io = NULL;
	int r;

	r = fixup_io_file_open(image_path, true, &io);
	if (r < 0)
		return r;
	return fixup_disk_undo_io(io, undo_path, force);
}

int
fixup_disk_undo_io(struct fixup_io *io, const char *undo_path, bool force)
{
	return undo_io(io, undo_path, force, false);
}

int
fixup_disk_undo_check_io(struct fixup_io *io, const char *undo_path)
{
	int r = undo_io(io, undo_path, false, true);

	return r < 0 ? r : 0;
}

/* The check (pass 0: every extent still holds what the fix wrote, or the
 * original bytes) and, unless check_only, the restore (pass 1). */
static int
undo_io(struct fixup_io *io, const char *undo_path, bool force, bool check_only)
{
	_cleanup_free_ char *log = NULL;
	char hex[UTIL_SHA256_HEX_LEN + 1], want[UTIL_SHA256_HEX_LEN + 1];
	size_t len, o, end;
	uint64_t size, n;
	int r;

	r = util_read_file(undo_path, FIXUP_DISK_MAX_DIRTY * 2, &log, &len);
	if (r < 0)
		return r;
	if (len < UNDO_HEADER_LEN + UNDO_TRAILER_LEN ||
	    memcmp(log, FIXUP_DISK_UNDO_MAGIC, UNDO_MAGIC_LEN) != 0)
		return -EBADMSG;
	end = len - UNDO_TRAILER_LEN;
	if (memcmp(log + end, UNDO_TRAILER_MAGIC, 8) != 0)
		return -ENODATA;
	util_sha256_hex(log, end, hex);
	for (size_t i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x",
		         (unsigned)(uint8_t)log[end + 16 + i]);
	if (!streq(hex, want))
		return -ENODATA;
	size = util_le64(log + UNDO_MAGIC_LEN);
	n = util_le64(log + UNDO_MAGIC_LEN + 8);
	if (n != util_le64(log + end + 8))
		return -EBADMSG;

	if (io->size != size)
		return -EINVAL;
	_cleanup_free_ uint8_t *cur = malloc(EXTENT_MAX);
	if (!cur)
		return -ENOMEM;
	/* Check every record before writing any. */
	for (int pass = 0; pass < (check_only ? 1 : 2); pass++) {
		o = UNDO_HEADER_LEN;
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *new_sha;
			uint64_t off;
			uint32_t l;

			if (end - o < UNDO_RECORD_HEADER)
				return -EBADMSG;
			off = util_le64(log + o);
			l = util_le32(log + o + 8);
			new_sha = (const uint8_t *)log + o + 12;
			o += UNDO_RECORD_HEADER;
			if (l > end - o || off > size || l > size - off ||
			    l > EXTENT_MAX)
				return -EBADMSG;
			if (pass == 0 && !force) {
				uint8_t sha[32];

				/* Still what the fix wrote, or already the
				 * original (an interrupted rollback)? */
				r = io->ops->pread(io, cur, l, off);
				if (r < 0)
					return r;
				sha256_raw(cur, l, sha);
				if (memcmp(sha, new_sha, 32) != 0 &&
				    memcmp(cur, log + o, l) != 0)
					return -ESTALE;
			}
			if (pass == 1) {
				r = io->ops->pwrite(io, log + o, l, off);
				if (r < 0)
					return r;
			}
			o += l;
		}
		if (o != end)
			return -EBADMSG;
	}
	if (check_only)
		return 0;
	r = io->ops->flush(io);
	if (r < 0)
		return r;
	return (int)MIN(n, (uint64_t)INT32_MAX);
}
