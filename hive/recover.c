/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recovering a dirty hive from its transaction logs the way Windows does at
 * hive load (the recovery rules of the registry file format specification):
 *
 *   - a clean primary (valid checksum, equal sequence numbers): the logs are
 *     ignored, whatever they hold;
 *   - new format, valid primary base block: every usable log, the one with
 *     the earlier base-block sequence number first; a log older than the
 *     primary (sequence number below its secondary one) is ignored; entries
 *     are applied from the log's own sequence number on, each one the
 *     previous plus one, up to the first torn or invalid entry; the next log
 *     carries on only when it starts right after the last entry applied;
 *   - new format, bad primary base block: only the log with the latest
 *     entries, and its base block copy becomes the primary's;
 *   - old format: a log whose base block has the primary's last-written
 *     timestamp (the first hive bin's when the primary's header is bad);
 *     when both .LOG1 and .LOG2 have it (Windows 8 writes them in turn),
 *     the newer one, by base-block sequence number; its dirty pages are
 *     written where the DIRT vector says.
 *
 * The replay writes into an overlay of 4096-byte pages over the primary's
 * bytes (only the pages the logs touch are copied), which grows to the hive
 * bins data size of the entries; the result gets a clean base block (both
 * sequence numbers = the last one applied, that size, the flags of the
 * last entry, file type primary, checksum) and is checked hive bin by hive
 * bin before it replaces anything: a private file copy then gets only the
 * overlay's pages written into it.  A hive that cannot be recovered is left
 * as it was, with a message naming every log and why it was not used; so
 * is one with a log that cannot be read.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <stdarg.h>
#include <libgen.h>
#include <strings.h>
#include <unistd.h>

#include "hive-internal.h"

void
hive_recovery_done(struct hive_recovery *r)
{
	free(r->logs);
	free(r->problem);
	free(r->detail);
	*r = (struct hive_recovery){0};
}

/* "a; b" lists for the messages. */
static int append(char **s, const char *sep, const char *fmt, ...)
        _printf_(3, 4);

static int
append(char **s, const char *sep, const char *fmt, ...)
{
	_cleanup_free_ char *item = NULL;
	char *n;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&item, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (util_asprintf(&n, "%s%s%s", *s ? *s : "", *s ? sep : "", item) < 0)
		return -ENOMEM;
	free(*s);
	*s = n;
	return 0;
}

bool
hive_header_dirty(const void *hdr, size_t len)
{
	const uint8_t *b = hdr;
	const char *why;

	if (len < HIVE_LOG_SECTOR || memcmp(b, "regf", 4) != 0)
		return false; /* not a hive at all: hive_open() says so */
	return util_le32(b + HIVE_BB_CHECKSUM) != hive_base_block_checksum(b) ||
	       util_le32(b + HIVE_BB_SEQ1) != util_le32(b + HIVE_BB_SEQ2) ||
	       !hive_base_block_valid(b, len, &why);
}

int
hive_file_dirty(const char *path)
{
	uint8_t hdr[HIVE_LOG_SECTOR];
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = pread(fd, hdr, sizeof(hdr), 0);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	return hive_header_dirty(hdr, (size_t)n) ? 1 : 0;
}

/* a comes before b in the wrapping sequence-number space. */
static bool
seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * The hive being rebuilt: the primary's bytes (base, base_len), zeros past
 * them, under the pages the replay wrote; len grows with the entries.
 */
#define IMAGE_PAGE HIVE_BIN_ALIGN
struct image {
	const uint8_t *base;
	size_t base_len, len;
	uint8_t **pages; /* n_pages slots, NULL where nothing was written */
	size_t n_pages;
};

static int
image_grow(struct image *img, size_t len)
{
	size_t n = (len + IMAGE_PAGE - 1) / IMAGE_PAGE;

	if (n > img->n_pages) {
		uint8_t **p = reallocarray(img->pages, n, sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + img->n_pages, 0, (n - img->n_pages) * sizeof(*p));
		img->pages = p;
		img->n_pages = n;
	}
	img->len = MAX(img->len, len);
	return 0;
}

static int
image_init(struct image *img, const uint8_t *base, size_t len)
{
	*img = (struct image){.base = base, .base_len = len};
	return image_grow(img, len);
}

static void
image_done(struct image *img)
{
	for (size_t i = 0; i < img->n_pages; i++)
		free(img->pages[i]);
	free(img->pages);
	*img = (struct image){0};
}

/* What the image holds at [off, off + n) (inside len). */
static void
image_read(const struct image *img, size_t off, uint8_t *dst, size_t n)
{
	while (n > 0) {
		size_t no = off / IMAGE_PAGE, in = off % IMAGE_PAGE,
		       k = MIN(n, IMAGE_PAGE - in);

		if (img->pages[no])
			memcpy(dst, img->pages[no] + in, k);
		else if (off >= img->base_len)
			memset(dst, 0, k);
		else {
			size_t b = MIN(k, img->base_len - off);

			memcpy(dst, img->base + off, b);
			memset(dst + b, 0, k - b);
		}
		dst += k;
		off += k;
		n -= k;
	}
}

/* Writes [off, off + n) (inside len) into the overlay. */
static int
image_write(struct image *img, size_t off, const uint8_t *src, size_t n)
{
	while (n > 0) {
		size_t no = off / IMAGE_PAGE, in = off % IMAGE_PAGE,
		       k = MIN(n, IMAGE_PAGE - in);

		if (!img->pages[no]) {
			uint8_t *p = malloc(IMAGE_PAGE);

			if (!p)
				return -ENOMEM;
			/* what the write leaves of the page as it was */
			if (k < IMAGE_PAGE)
				image_read(img, no * IMAGE_PAGE, p, IMAGE_PAGE);
			img->pages[no] = p;
		}
		memcpy(img->pages[no] + in, src, k);
		src += k;
		off += k;
		n -= k;
	}
	return 0;
}

static int
apply_entry(struct image *img, const struct hive_log_entry *e)
{
	const uint8_t *page = e->pages;
	int r;

	r = image_grow(img, (size_t)HIVE_HEADER_SIZE + e->hbins_size);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < e->n_pages; i++) {
		uint32_t po = util_le32(e->refs + 8 * (size_t)i);
		uint32_t ps = util_le32(e->refs + 8 * (size_t)i + 4);

		/* hive_log_entry_at() checked po + ps <= hbins_size and that
		 * the pages fit in the entry */
		r = image_write(img, HIVE_HEADER_SIZE + (size_t)po, page, ps);
		if (r < 0)
			return r;
		page += ps;
	}
	return 0;
}

struct replay {
	struct image *img;
	bool any;
	uint32_t last_seq, hbins_size, flags;
	struct hive_log *base_from; /* log whose base block is used */
	struct hive_recovery *rec;
};

/* Applies the entries of log from its first one (sequence expected). */
static int
replay_new_log(struct replay *rp, struct hive_log *log, uint32_t expected)
{
	size_t off = HIVE_LOG_SECTOR;
	unsigned n = 0;
	int r;

	for (;;) {
		_cleanup_free_ char *why = NULL;
		struct hive_log_entry e;

		if (n >= HIVE_LOG_MAX_ENTRIES) {
			r = append(&rp->rec->detail, "; ",
			           "%s: more than %u entries: stopped",
			           log->name, HIVE_LOG_MAX_ENTRIES);
			if (r < 0)
				return r;
			break;
		}
		r = hive_log_entry_at(log, off, expected, &e, &why);
		if (r < 0)
			return r;
		if (r == 0) {
			if (why &&
			    append(&rp->rec->detail, "; ", "%s", why) < 0)
				return -ENOMEM;
			break;
		}
		r = apply_entry(rp->img, &e);
		if (r < 0)
			return r;
		n++;
		rp->any = true;
		rp->last_seq = e.seq;
		rp->hbins_size = e.hbins_size;
		rp->flags = e.flags;
		rp->base_from = log;
		expected = e.seq + 1;
		off += e.size;
	}
	if (n == 0)
		return append(&rp->rec->detail, "; ",
		              "%s: no entry with sequence number %u", log->name,
		              log->seq);
	rp->rec->entries += n;
	rp->rec->n_logs++;
	return append(&rp->rec->logs, ", ", "%s (%u entr%s, sequence %u-%u)",
	              log->name, n, n == 1 ? "y" : "ies", log->seq,
	              rp->last_seq);
}

static int
recover_new(struct replay *rp, struct hive_log **logs, size_t n,
            bool primary_ok, uint32_t primary_seq2)
{
	size_t first = 0;
	int r;

	/* earlier base-block sequence number first (insertion sort of <= 3) */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i;
		     k > 0 && seq_before(logs[k]->seq, logs[k - 1]->seq); k--) {
			struct hive_log *t = logs[k];

			logs[k] = logs[k - 1];
			logs[k - 1] = t;
		}
	/* A bad primary header: only the latest log, as Windows does. */
	if (!primary_ok)
		first = n - 1;
	for (size_t i = first; i < n; i++) {
		struct hive_log *log = logs[i];

		if (!rp->any) {
			if (primary_ok && seq_before(log->seq, primary_seq2)) {
				r = append(&rp->rec->detail, "; ",
				           "%s: older than the primary "
				           "(sequence %u < %u): ignored",
				           log->name, log->seq, primary_seq2);
				if (r < 0)
					return r;
				continue;
			}
			r = replay_new_log(rp, log, log->seq);
			if (r < 0)
				return r;
			/* The chain is broken at its start: a later log
			 * builds on entries that cannot be had. */
			if (!rp->any)
				return 0;
			continue;
		} else if (log->seq != rp->last_seq + 1)
			r = append(&rp->rec->detail, "; ",
			           "%s: does not continue the entries applied "
			           "(starts at %u, expected %u): not used",
			           log->name, log->seq, rp->last_seq + 1);
		else
			r = replay_new_log(rp, log, log->seq);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
recover_old(struct replay *rp, struct hive_log **logs, size_t n,
            const uint8_t *primary, size_t len, bool primary_ok)
{
	struct hive_log *c[HIVE_LOG_MAX_LOGS];
	size_t n_c = 0;
	uint64_t ts;
	int r;

	if (primary_ok)
		ts = util_le64(primary + HIVE_BB_TIMESTAMP);
	else if (len >= HIVE_HEADER_SIZE + 32 &&
	         memcmp(primary + HIVE_HEADER_SIZE, "hbin", 4) == 0)
		ts = util_le64(primary + HIVE_HEADER_SIZE + 20);
	else
		return append(&rp->rec->detail, "; ",
		              "the primary has neither a valid header nor a "
		              "first hive bin to match an old-format log with");
	/* Only a log written for this state of the primary (its timestamp)
	 * applies.  Windows 8 writes .LOG1 and .LOG2 in turn: of those that
	 * apply, the newest (base-block sequence number) is replayed, the
	 * other only when the newest's pages cannot be had. */
	for (size_t i = 0; i < n; i++) {
		struct hive_log *log = logs[i];
		size_t k = n_c;

		if (log->timestamp != ts) {
			r = append(&rp->rec->detail, "; ",
			           "%s: written for another state of the hive "
			           "(last-written timestamps differ): not used",
			           log->name);
			if (r < 0)
				return r;
			continue;
		}
		for (; k > 0 && seq_before(c[k - 1]->seq, log->seq); k--)
			c[k] = c[k - 1];
		c[k] = log;
		n_c++;
	}
	for (size_t i = 0; i < n_c; i++) {
		struct hive_log *log = c[i];
		_cleanup_free_ char *why = NULL;
		struct hive_log_vector v;
		size_t k = 0;

		r = hive_log_dirty_vector(log, &v, &why);
		if (r < 0)
			return r;
		if (r == 0) {
			if (append(&rp->rec->detail, "; ", "%s", why) < 0)
				return -ENOMEM;
			continue;
		}
		r = image_grow(rp->img,
		               (size_t)HIVE_HEADER_SIZE + log->hbins_size);
		if (r < 0)
			return r;
		for (size_t bit = 0; bit < v.bits && r >= 0; bit++)
			if (v.bitmap[bit / 8] & (1u << (bit % 8)))
				r = image_write(rp->img,
				                HIVE_HEADER_SIZE +
				                        bit * HIVE_LOG_SECTOR,
				                v.pages + HIVE_LOG_SECTOR * k++,
				                HIVE_LOG_SECTOR);
		if (r < 0)
			return r;
		rp->any = true;
		rp->last_seq = primary_ok ? util_le32(primary + HIVE_BB_SEQ1)
		                          : log->seq;
		rp->hbins_size = log->hbins_size;
		rp->flags = util_le32(log->base_block + HIVE_BB_FLAGS);
		rp->base_from = log;
		rp->rec->entries += (unsigned)v.n_dirty;
		rp->rec->n_logs = 1;
		return append(&rp->rec->logs, ", ",
		              "%s (old format, %zu dirty pages)", log->name,
		              v.n_dirty);
	}
	return 0;
}

/* The hive bins must tile the data exactly: "hbin", own offset, size. */
static bool
hbins_ok(const struct image *img, size_t hbins, size_t *ret_bad)
{
	size_t pos = 0;

	while (pos < hbins) {
		uint8_t b[32];
		uint32_t size;

		*ret_bad = pos;
		if (hbins - pos < sizeof(b))
			return false;
		image_read(img, HIVE_HEADER_SIZE + pos, b, sizeof(b));
		if (memcmp(b, "hbin", 4) != 0 || util_le32(b + 4) != pos)
			return false;
		size = util_le32(b + 8);
		if (size < HIVE_BIN_ALIGN || size % HIVE_BIN_ALIGN != 0 ||
		    size > hbins - pos)
			return false;
		pos += size;
	}
	return true;
}

/* The clean base block of the recovered hive. */
static int
finish_base_block(struct replay *rp, const uint8_t *primary, bool primary_ok)
{
	uint8_t b[HIVE_HEADER_SIZE];
	const uint8_t *lb = rp->base_from->base_block;

	if (primary_ok) {
		memcpy(b, primary, HIVE_HEADER_SIZE);
		/* what the in-memory header said when the log was written */
		memcpy(b + HIVE_BB_TIMESTAMP, lb + HIVE_BB_TIMESTAMP, 8);
		memcpy(b + HIVE_BB_MINOR, lb + HIVE_BB_MINOR, 4);
		memcpy(b + HIVE_BB_ROOT, lb + HIVE_BB_ROOT, 4);
	} else {
		memset(b, 0, HIVE_HEADER_SIZE);
		memcpy(b, lb, HIVE_LOG_SECTOR);
	}
	util_put_le32(b + HIVE_BB_SEQ1, rp->last_seq);
	util_put_le32(b + HIVE_BB_SEQ2, rp->last_seq);
	util_put_le32(b + HIVE_BB_TYPE, HIVE_FILE_PRIMARY);
	util_put_le32(b + HIVE_BB_HBINS_SIZE, rp->hbins_size);
	/* only bit 0 (KTM locked) travels in log entries */
	util_put_le32(b + HIVE_BB_FLAGS,
	              (util_le32(b + HIVE_BB_FLAGS) & ~1u) | (rp->flags & 1u));
	hive_base_block_seal(b);
	return image_write(rp->img, 0, b, HIVE_HEADER_SIZE);
}

/*
 * Recovers the primary img->base into img: rec->recovered and img->len its
 * length, or rec->problem.  -errno: memory only.
 */
static int
recover_image(struct image *img, struct hive_log *logs, size_t n_logs,
              struct hive_recovery *rec)
{
	struct hive_log *newl[HIVE_LOG_MAX_LOGS], *oldl[HIVE_LOG_MAX_LOGS];
	struct replay rp = {.img = img, .rec = rec};
	const uint8_t *data = img->base;
	size_t len = img->base_len, n_new = 0, n_old = 0, bad;
	const char *why = NULL;
	bool primary_ok;
	int r;

	*rec = (struct hive_recovery){0};
	if (len < HIVE_HEADER_SIZE || memcmp(data, "regf", 4) != 0)
		return 0; /* not a hive: hive_open() will say so */
	primary_ok = hive_base_block_valid(data, len, &why) &&
	             util_le32(data + HIVE_BB_TYPE) == HIVE_FILE_PRIMARY;
	if (primary_ok &&
	    util_le32(data + HIVE_BB_SEQ1) == util_le32(data + HIVE_BB_SEQ2))
		return 0; /* clean: Windows ignores the logs */
	rec->dirty = true;
	rec->bad_base_block = !primary_ok;
	if (n_logs > HIVE_LOG_MAX_LOGS)
		n_logs = HIVE_LOG_MAX_LOGS;
	for (size_t i = 0; i < n_logs; i++) {
		r = hive_log_parse(&logs[i]);
		if (r < 0)
			return r;
		if (logs[i].format == HIVE_LOG_NEW)
			newl[n_new++] = &logs[i];
		else if (logs[i].format == HIVE_LOG_OLD)
			oldl[n_old++] = &logs[i];
		else if (append(&rec->detail, "; ", "%s", logs[i].problem) < 0)
			return -ENOMEM;
	}

	if (n_new > 0)
		r = recover_new(&rp, newl, n_new, primary_ok,
		                util_le32(data + HIVE_BB_SEQ2));
	else if (n_old > 0)
		r = recover_old(&rp, oldl, n_old, data, len, primary_ok);
	else
		r = append(&rec->detail, "; ", "%s",
		           n_logs == 0
		                   ? "no transaction log (.LOG1/.LOG2/.LOG) "
		                     "beside it"
		                   : "no usable transaction log");
	if (r < 0)
		return r;
	/* a log that could not be read leaves the true state unknown */
	for (size_t i = 0; i < n_logs; i++)
		if (logs[i].read_error) {
			rec->entries = 0;
			rec->n_logs = 0;
			return util_asprintf(&rec->problem,
			                     "its transaction log %s cannot be "
			                     "read (%s)",
			                     logs[i].name,
			                     strerror(-logs[i].read_error)) < 0
			               ? -ENOMEM
			               : 0;
		}
	if (!rp.any)
		return util_asprintf(&rec->problem,
		                     "its header %s, and its transaction logs "
		                     "cannot be replayed (%s)",
		                     primary_ok ? "sequence numbers differ"
		                                : "is damaged",
		                     rec->detail ? rec->detail
		                                 : "none usable") < 0
		               ? -ENOMEM
		               : 0;
	/* the hive ends where the last entry says, padding dropped */
	r = image_grow(img, (size_t)HIVE_HEADER_SIZE + rp.hbins_size);
	if (r < 0)
		return r;
	img->len = (size_t)HIVE_HEADER_SIZE + rp.hbins_size;
	if (!hbins_ok(img, rp.hbins_size, &bad)) {
		rec->entries = 0;
		rec->n_logs = 0;
		return util_asprintf(
		               &rec->problem,
		               "replaying %s leaves no valid hive bin at "
		               "offset %zu of the hive bins data: the logs "
		               "are damaged or do not belong to this hive",
		               rec->logs, bad) < 0
		               ? -ENOMEM
		               : 0;
	}
	r = finish_base_block(&rp, data, primary_ok);
	if (r < 0)
		return r;
	rec->recovered = true;
	rec->seq = rp.last_seq;
	return 0;
}

int
hive_recover_data(const uint8_t *data, size_t len, struct hive_log *logs,
                  size_t n_logs, uint8_t **ret, size_t *ret_len,
                  struct hive_recovery *rec)
{
	struct image img;
	uint8_t *out;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = image_init(&img, data, len);
	if (r >= 0)
		r = recover_image(&img, logs, n_logs, rec);
	if (r >= 0 && rec->recovered) {
		out = malloc(img.len);
		if (!out)
			r = -ENOMEM;
		else {
			image_read(&img, 0, out, img.len);
			*ret = out;
			*ret_len = img.len;
		}
	}
	image_done(&img);
	return r;
}

/* ---- files -------------------------------------------------------------- */

/* Writes the pages of img into the file it was read from and cuts the file
 * to img->len: no temp file, no fsync (a private copy: nobody needs it
 * after a crash). */
#define WRITE_BACK_IOVS 64
static int
write_back(int fd, const struct image *img)
{
	struct iovec iov[WRITE_BACK_IOVS];
	size_t n_pages = (img->len + IMAGE_PAGE - 1) / IMAGE_PAGE;

	for (size_t i = 0; i < n_pages;) {
		size_t k = 0, total = 0, done = 0;

		if (!img->pages[i]) {
			i++;
			continue;
		}
		/* a run of written pages, one pwritev() */
		for (; i + k < n_pages && k < WRITE_BACK_IOVS &&
		       img->pages[i + k];
		     k++) {
			size_t off = (i + k) * IMAGE_PAGE;

			iov[k].iov_base = img->pages[i + k];
			iov[k].iov_len =
			        MIN((size_t)IMAGE_PAGE, img->len - off);
			total += iov[k].iov_len;
		}
		while (done < total) {
			ssize_t w = pwritev(fd, iov, (int)k,
			                    (off_t)(i * IMAGE_PAGE + done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += (size_t)w;
			/* a short write: drop what went out */
			while (k > 0 && (size_t)w >= iov[0].iov_len) {
				w -= (ssize_t)iov[0].iov_len;
				memmove(iov, iov + 1, --k * sizeof(*iov));
			}
			if (k > 0) {
				iov[0].iov_base =
				        (uint8_t *)iov[0].iov_base + w;
				iov[0].iov_len -= (size_t)w;
			}
		}
		i += (total + IMAGE_PAGE - 1) / IMAGE_PAGE;
	}
	return ftruncate(fd, (off_t)img->len) < 0 ? -errno : 0;
}

int
hive_recover_file_logs(const char *path, const struct hive_log_source *src,
                       size_t n, struct hive_recovery *ret)
{
	struct hive_log logs[HIVE_LOG_MAX_LOGS] = {0};
	_cleanup_close_ int fd = -1;
	struct image img = {0};
	void *base = MAP_FAILED;
	struct stat st;
	size_t len = 0;
	int r = 0;

	*ret = (struct hive_recovery){0};
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > HIVE_MAX_FILE_SIZE)
		return -EFBIG;
	/* shorter than a header: not a hive, hive_open() will say so */
	if (st.st_size < HIVE_HEADER_SIZE)
		return 0;
	len = (size_t)st.st_size;
	/* read through the page cache; written only with write_back() */
	base = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	n = MIN(n, (size_t)HIVE_LOG_MAX_LOGS);
	for (size_t i = 0; i < n; i++)
		logs[i] = (struct hive_log){.name = src[i].name,
		                            .size = src[i].size,
		                            .read = src[i].read,
		                            .userdata = src[i].userdata};
	r = image_init(&img, base, len);
	if (r >= 0)
		r = recover_image(&img, logs, n, ret);
	if (r >= 0 && ret->recovered)
		r = write_back(fd, &img);
	image_done(&img);
	munmap(base, len);
	for (size_t i = 0; i < n; i++)
		hive_log_done(&logs[i]);
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r < 0)
		hive_recovery_done(ret);
	return r < 0 ? r : 0;
}

/* A host file as a log source. */
static int
fd_read(void *userdata, uint64_t off, void *buf, size_t len)
{
	int fd = *(int *)userdata;
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int
hive_recover_file(const char *path, char *const *log_paths,
                  struct hive_recovery *ret)
{
	struct hive_log_source src[HIVE_LOG_MAX_LOGS] = {0};
	int fds[HIVE_LOG_MAX_LOGS];
	size_t n = 0;
	int r = 0;

	*ret = (struct hive_recovery){0};
	STRV_FOREACH (p, log_paths) {
		const char *base = strrchr(*p, '/');
		struct stat st;

		if (n == HIVE_LOG_MAX_LOGS)
			break;
		fds[n] = open(*p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fds[n] < 0 && errno == ENOENT)
			continue;
		if (fds[n] < 0 || fstat(fds[n], &st) < 0) {
			r = -errno;
			if (fds[n] >= 0)
				close(fds[n]);
			break;
		}
		src[n] = (struct hive_log_source){
		        .name = base ? base + 1 : *p,
		        .size = (uint64_t)st.st_size,
		        .read = fd_read,
		        .userdata = &fds[n],
		};
		n++;
	}
	if (r >= 0)
		r = hive_recover_file_logs(path, src, n, ret);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	return r;
}

int
hive_find_logs(const char *path, char ***ret)
{
	static const char *const suffixes[] = {".LOG1", ".LOG2", ".LOG"};
	_cleanup_strv_free_ char **found = NULL;
	_cleanup_free_ char *dcopy = strdup(path), *bcopy = strdup(path);
	DIR *d;
	const char *dir, *base;
	struct dirent *de;
	size_t blen;
	int r;

	if (!dcopy || !bcopy)
		return -ENOMEM;
	dir = dirname(dcopy);
	base = basename(bcopy);
	blen = strlen(base);
	found = calloc(1, sizeof(char *));
	if (!found)
		return -ENOMEM;
	d = opendir(dir);
	if (!d) {
		*ret = TAKE_PTR(found);
		return 0;
	}
	/* in suffix order, each at most once */
	r = 0;
	for (size_t s = 0; s < ELEMENTSOF(suffixes) && r >= 0; s++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			if (strncasecmp(de->d_name, base, blen) != 0 ||
			    !strcaseeq(de->d_name + blen, suffixes[s]))
				continue;
			r = util_strv_consume(&found,
			                      util_path_join(dir, de->d_name));
			break;
		}
	}
	closedir(d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(found);
	return 0;
}

int
hive_log_reset(const void *primary_hdr, size_t hdr_len, const void *old_log,
               size_t old_len, uint8_t **ret, size_t *ret_len)
{
	const uint8_t *p = primary_hdr, *o = old_log;
	size_t len = HIVE_LOG_SECTOR;
	uint32_t type = HIVE_FILE_LOG_NEW;
	const char *why;
	uint8_t *b;

	if (hdr_len < HIVE_LOG_SECTOR || hive_header_dirty(p, hdr_len) ||
	    memcmp(p, "regf", 4) != 0 ||
	    util_le32(p + HIVE_BB_TYPE) != HIVE_FILE_PRIMARY)
		return -EINVAL;
	/* an old-format log stays one */
	if (old_len >= HIVE_LOG_SECTOR &&
	    hive_base_block_valid(o, old_len, &why) &&
	    (util_le32(o + HIVE_BB_TYPE) == HIVE_FILE_LOG_OLD ||
	     util_le32(o + HIVE_BB_TYPE) == HIVE_FILE_LOG_VERYOLD))
		type = util_le32(o + HIVE_BB_TYPE);
	b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	memcpy(b, p, HIVE_LOG_SECTOR);
	util_put_le32(b + HIVE_BB_TYPE, type);
	hive_base_block_seal(b);
	*ret = b;
	*ret_len = len;
	return 0;
}
