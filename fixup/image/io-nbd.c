/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NBD implementation of the disk I/O interface (disk-io.h), through
 * libnbd.  For a file in a container format (qcow2, vmdk, vhdx, vhd, vdi)
 * it starts qemu-nbd by socket activation, as nbdcopy does
 * (nbd_connect_systemd_socket_activation): libnbd makes a private Unix
 * socket in a fresh temporary directory and hands it to qemu-nbd as fd 3,
 * so no TCP port is opened and nobody else can connect.  The format is
 * always given with -f (format.c detected it, or --format said it), so
 * qemu never probes; the file name is made absolute, so qemu never reads
 * a "proto:" prefix into it.  A qcow2 image is opened with its backing
 * chain and writes only ever reach the top image (qemu's copy-on-write).
 * qemu-nbd's messages go to a log file in a private directory, so that a
 * failure (a damaged header, a missing vmdk extent, the image locked by a
 * running VM) is reported in one clear line.
 *
 * An nbd:// or nbd+unix:// URI connects to an existing server instead
 * (nbd_connect_uri), e.g. nbdkit serving a remote disk.
 *
 * Commit durability: flush is NBD_CMD_FLUSH (qemu-nbd fsyncs the image).
 * When the server goes away, every call fails with a detail saying so.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <libnbd.h>
#include <sys/stat.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/volume.h"

#define NBD_REQUEST_MAX (4u * 1024 * 1024) /* bytes per NBD command */
#define NBD_BLOCK_MAX (64u * 1024) /* largest minimum block size taken */
/* Small reads (libntfs-3g reads MFT records and index blocks a few KiB at
 * a time) are served from a cache of 64 KiB chunks: one round trip to the
 * server instead of one per record.  Writes drop the chunks they touch, so
 * the commit's verification reads the server, never the cache. */
#define CACHE_CHUNK (64u * 1024)
#define CACHE_SLOTS 512u /* 32 MiB at most */
#define QEMU_NBD_LOG "qemu-nbd.log"
#define QEMU_NBD_LOG_MAX 4096u /* bytes of qemu-nbd's log quoted */
#define QEMU_NBD_LOG_READ_MAX (1024u * 1024)
#define QEMU_NBD_LOCK_RETRIES 10u     /* the image locked: tries again ... */
#define QEMU_NBD_LOCK_WAIT_US 100000u /* ... after 100 ms */
/* Runs qemu-nbd with its output in the log file ($0), never on imgfix's
 * stdout (--json) or stdin; exec keeps the pid libnbd gave LISTEN_PID. */
#define QEMU_NBD_WRAPPER "exec </dev/null >\"$0\" 2>&1; exec \"$@\""

struct chunk {
	uint64_t no; /* chunk number + 1; 0 = empty */
	uint8_t *data;
};

struct io_nbd {
	struct fixup_io io;
	struct nbd_handle *nbd;
	char *name;          /* the image, for messages */
	char *dir;           /* private directory of qemu-nbd's log, or NULL */
	uint32_t block;      /* the server's minimum block size (power of 2) */
	uint8_t *bounce;     /* one block, for unaligned head and tail */
	struct chunk *cache; /* CACHE_SLOTS, direct-mapped; NULL until used */
};

static int
nbd_fail(struct io_nbd *n, const char *what)
{
	int e = nbd_get_errno();
	const char *m = nbd_get_error();

	return fixup_set_error(e > 0 ? -e : -EIO,
	                       "%s: NBD %s failed (the server went away or "
	                       "refused it): %s",
	                       n->name, what, m ? m : "unknown error");
}

/* Requests of whole blocks of the server's minimum block size. */
static int
aligned_io(struct io_nbd *n, bool write, void *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		size_t k = MIN(len, (size_t)NBD_REQUEST_MAX);
		int r = write ? nbd_pwrite(n->nbd, buf, k, off, 0)
		              : nbd_pread(n->nbd, buf, k, off, 0);

		if (r < 0)
			return nbd_fail(n, write ? "write" : "read");
		buf = (uint8_t *)buf + k;
		off += k;
		len -= k;
	}
	return 0;
}

/* The part of [off, off+len) inside the block at base, through a bounce
 * block: read, and for a write modified and written back (imgfix is the
 * export's only writer). */
static int
partial_io(struct io_nbd *n, bool write, uint8_t *buf, size_t len, uint64_t off,
           uint64_t base)
{
	size_t bl = (size_t)MIN((uint64_t)n->block, n->io.size - base);
	int r;

	r = aligned_io(n, false, n->bounce, bl, base);
	if (r < 0)
		return r;
	if (!write) {
		memcpy(buf, n->bounce + (off - base), len);
		return 0;
	}
	memcpy(n->bounce + (off - base), buf, len);
	return aligned_io(n, true, n->bounce, bl, base);
}

static int
nbd_io(struct io_nbd *n, bool write, uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t bs = n->block;
	int r;

	if (off % bs) { /* head */
		uint64_t base = off - off % bs;
		size_t k = (size_t)MIN((uint64_t)len, base + bs - off);

		r = partial_io(n, write, buf, k, off, base);
		if (r < 0)
			return r;
		buf += k;
		off += k;
		len -= k;
	}
	size_t mid = len - len % bs;
	r = aligned_io(n, write, buf, mid, off);
	if (r < 0 || mid == len)
		return r;
	return partial_io(n, write, buf + mid, len - mid, off + mid,
	                  off + mid); /* tail */
}

static struct chunk *
chunk_slot(struct io_nbd *n, uint64_t no)
{
	uint64_t h = no * 0x9e3779b97f4a7c15ULL;

	return &n->cache[(h >> 32) % CACHE_SLOTS];
}

/* Chunk no, from the cache or read whole from the server. */
static int
chunk_get(struct io_nbd *n, uint64_t no, const uint8_t **ret)
{
	struct chunk *c;
	uint64_t off = no * CACHE_CHUNK;
	int r;

	if (!n->cache) {
		n->cache = calloc(CACHE_SLOTS, sizeof(*n->cache));
		if (!n->cache)
			return -ENOMEM;
	}
	c = chunk_slot(n, no);
	if (c->no != no + 1) {
		if (!c->data) {
			c->data = malloc(CACHE_CHUNK);
			if (!c->data)
				return -ENOMEM;
		}
		c->no = 0;
		r = nbd_io(n, false, c->data,
		           (size_t)MIN((uint64_t)CACHE_CHUNK, n->io.size - off),
		           off);
		if (r < 0)
			return r;
		c->no = no + 1;
	}
	*ret = c->data;
	return 0;
}

static int
nbd_io_pread(struct fixup_io *io, void *buf, size_t len, uint64_t off)
{
	struct io_nbd *n = (struct io_nbd *)io;
	uint8_t *p = buf;

	if (len > CACHE_CHUNK)
		return nbd_io(n, false, buf, len, off);
	while (len > 0) {
		uint64_t no = off / CACHE_CHUNK;
		size_t in = (size_t)(off % CACHE_CHUNK);
		size_t k = MIN(len, (size_t)CACHE_CHUNK - in);
		const uint8_t *data;
		int r = chunk_get(n, no, &data);

		if (r < 0)
			return r;
		memcpy(p, data + in, k);
		p += k;
		off += k;
		len -= k;
	}
	return 0;
}

static int
nbd_io_pwrite(struct fixup_io *io, const void *buf, size_t len, uint64_t off)
{
	struct io_nbd *n = (struct io_nbd *)io;

	for (uint64_t no = off / CACHE_CHUNK;
	     n->cache && len > 0 && no <= (off + len - 1) / CACHE_CHUNK; no++) {
		struct chunk *c = chunk_slot(n, no);

		if (c->no == no + 1)
			c->no = 0;
	}
	return nbd_io(n, true, (void *)buf, len, off);
}

static int
nbd_io_flush(struct fixup_io *io)
{
	struct io_nbd *n = (struct io_nbd *)io;
	int c = nbd_can_flush(n->nbd);

	if (c < 0)
		return nbd_fail(n, "flush");
	/* A server without flush writes through (it says so by not
	 * offering NBD_CMD_FLUSH). */
	if (c == 0)
		return 0;
	if (nbd_flush(n->nbd, 0) < 0)
		return nbd_fail(n, "flush");
	return 0;
}

static void
nbd_io_free(struct fixup_io *io)
{
	struct io_nbd *n = (struct io_nbd *)io;

	if (n->nbd) {
		/* qemu-nbd exits when its only client leaves; nbd_close()
		 * reaps it, so the image is closed when this returns. */
		(void)nbd_shutdown(n->nbd, 0);
		nbd_close(n->nbd);
	}
	if (n->dir)
		(void)util_rmdtemp(n->dir);
	free(n->dir);
	free(n->bounce);
	for (size_t i = 0; n->cache && i < CACHE_SLOTS; i++)
		free(n->cache[i].data);
	free(n->cache);
	free(n->name);
	free(n);
}

static const struct fixup_io_ops nbd_ops = {
        .pread = nbd_io_pread,
        .pwrite = nbd_io_pwrite,
        .flush = nbd_io_flush,
        .free = nbd_io_free,
};

/* $IMGFIX_QEMU_NBD, or qemu-nbd in $PATH. */
static int
find_qemu_nbd(char **ret)
{
	const char *e = getenv("IMGFIX_QEMU_NBD");
	const char *path = getenv("PATH");
	_cleanup_strv_free_ char **dirs = NULL;
	int r;

	if (e && *e) {
		if (access(e, X_OK) < 0)
			return -ENOENT;
		*ret = strdup(e);
		return *ret ? 0 : -ENOMEM;
	}
	r = util_strv_split(path ? path : "/usr/bin:/bin", ":", &dirs);
	if (r < 0)
		return r;
	STRV_FOREACH (d, dirs) {
		_cleanup_free_ char *p = util_path_join(*d, "qemu-nbd");

		if (!p)
			return -ENOMEM;
		if (access(p, X_OK) == 0) {
			*ret = TAKE_PTR(p);
			return 0;
		}
	}
	return -ENOENT;
}

/* The first line(s) of qemu-nbd's log, for an error message. */
static char *
read_log(const struct io_nbd *n)
{
	_cleanup_free_ char *p = util_path_join(n->dir, QEMU_NBD_LOG);
	char *s = NULL;
	size_t len;

	if (!p || util_read_file(p, QEMU_NBD_LOG_READ_MAX, &s, &len) < 0)
		return NULL;
	if (len > QEMU_NBD_LOG_MAX)
		s[QEMU_NBD_LOG_MAX] = '\0';
	for (char *c = s; *c; c++)
		if (*c == '\n')
			*c = *(c + 1) ? ' ' : '\0';
	return s;
}

static int
start_qemu_nbd(struct io_nbd *n, const char *image, const char *format,
               bool writable)
{
	_cleanup_free_ char *qemu_nbd = NULL, *abs = NULL, *log = NULL;
	int r;

	r = find_qemu_nbd(&qemu_nbd);
	if (r == -ENOENT)
		return fixup_set_error(
		        -ENOENT,
		        "%s: a %s image needs qemu-nbd, which is "
		        "not installed (Debian: apt-get install "
		        "qemu-utils); or convert it to raw, or "
		        "use --backend guestfs",
		        image, format);
	if (r < 0)
		return r;
	abs = realpath(image, NULL);
	if (!abs)
		return fixup_set_error(-errno, "%s: %s", image,
		                       strerror(errno));
	r = util_mkdtemp("nbd", &n->dir);
	if (r < 0)
		return fixup_set_error(r,
		                       "cannot make a private directory for "
		                       "qemu-nbd: %s",
		                       strerror(-r));
	log = util_path_join(n->dir, QEMU_NBD_LOG);
	if (!log)
		return -ENOMEM;
	char *argv[] = {
	        (char *)"/bin/sh",
	        (char *)"-c",
	        (char *)QEMU_NBD_WRAPPER,
	        log,
	        qemu_nbd,
	        (char *)"-f",
	        (char *)format,
	        (char *)(writable ? "--cache=writeback" : "--read-only"),
	        abs,
	        NULL,
	};
	for (unsigned i = 0;; i++) {
		_cleanup_free_ char *m = NULL;
		bool lock;

		if (nbd_connect_systemd_socket_activation(n->nbd, argv) == 0)
			break;
		m = read_log(n);
		lock = m && strstr(m, "\" lock"); /* "write" lock */
		/* Our own qemu-nbd of a moment ago (a killed imgfix) may
		 * still be closing the image: try again, briefly. */
		if (lock && i < QEMU_NBD_LOCK_RETRIES) {
			nbd_close(n->nbd);
			n->nbd = nbd_create();
			if (!n->nbd)
				return -ENOMEM;
			(void)usleep(QEMU_NBD_LOCK_WAIT_US);
			continue;
		}

		return fixup_set_error(
		        lock ? -EBUSY : -EBADMSG,
		        "%s: qemu-nbd cannot open it as %s%s: %s", image,
		        format,
		        lock ? " (the image is in use, by a running VM?): "
		               "shut the VM down first"
		             : "",
		        m && *m ? m : nbd_get_error());
	}
	return 0;
}

int
fixup_io_nbd_open(const char *image, const char *format, bool writable,
                  struct fixup_io **ret)
{
	struct io_nbd *n;
	int64_t size, block;
	int r;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->io.ops = &nbd_ops;
	n->io.fd = -1;
	n->io.writable = writable;
	n->name = strdup(image);
	n->nbd = nbd_create();
	if (!n->name || !n->nbd) {
		nbd_io_free(&n->io);
		return -ENOMEM;
	}
	snprintf(n->io.format, sizeof(n->io.format), "%s",
	         format ? format : "nbd");
	if (format)
		r = start_qemu_nbd(n, image, format, writable);
	else if (nbd_connect_uri(n->nbd, image) < 0)
		r = fixup_set_error(-ECONNREFUSED,
		                    "%s: cannot connect to the NBD server: %s",
		                    image, nbd_get_error());
	else
		r = 0;
	if (r < 0) {
		nbd_io_free(&n->io);
		return r;
	}
	size = nbd_get_size(n->nbd);
	block = nbd_get_block_size(n->nbd, LIBNBD_SIZE_MINIMUM);
	if (block <= 0) /* not advertised: any alignment */
		block = 1;
	if (size < 0)
		r = nbd_fail(n, "size query");
	else if (block > NBD_BLOCK_MAX || (block & (block - 1)))
		r = fixup_set_error(-EPROTO,
		                    "%s: the NBD server's minimum block size "
		                    "is %" PRId64 " bytes (a power of 2 up to "
		                    "%u expected)",
		                    image, block, NBD_BLOCK_MAX);
	else if (writable && nbd_is_read_only(n->nbd) == 1)
		r = fixup_set_error(-EROFS,
		                    "%s: the NBD export is read-only: imgfix "
		                    "cannot write the fix to it (inspect and "
		                    "plan work)",
		                    image);
	if (r < 0) {
		nbd_io_free(&n->io);
		return r;
	}
	n->io.size = (uint64_t)size;
	n->block = (uint32_t)block;
	n->bounce = malloc(n->block);
	if (!n->bounce) {
		nbd_io_free(&n->io);
		return -ENOMEM;
	}
	*ret = &n->io;
	return 0;
}
