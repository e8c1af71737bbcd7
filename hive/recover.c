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
 *   - old format: the log whose base block has the primary's last-written
 *     timestamp (the first hive bin's when the primary's header is bad);
 *     its dirty pages are written where the DIRT vector says.
 *
 * The replay goes into a new buffer that grows to the hive bins data size
 * of the entries; the result gets a clean base block (both sequence numbers
 * = the last one applied, that size, the flags of the last entry, file type
 * primary, checksum) and is checked hive bin by hive bin before it replaces
 * anything.  A hive that cannot be recovered is left as it was, with a
 * message naming every log and why it was not used.
 */
#include <dirent.h>
#include <fcntl.h>
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

/* The replay buffer: data[0..len), grown with zeros. */
struct image {
	uint8_t *data;
	size_t len;
};

static int
image_grow(struct image *img, size_t len)
{
	uint8_t *n;

	if (len <= img->len)
		return 0;
	n = realloc(img->data, len);
	if (!n)
		return -ENOMEM;
	memset(n + img->len, 0, len - img->len);
	img->data = n;
	img->len = len;
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
		memcpy(img->data + HIVE_HEADER_SIZE + po, page, ps);
		page += ps;
	}
	return 0;
}

struct replay {
	struct image img;
	bool any;
	uint32_t last_seq, hbins_size, flags;
	const struct hive_log *base_from; /* log whose base block is used */
	struct hive_recovery *rec;
};

/* Applies the entries of log from its first one (sequence expected). */
static int
replay_new_log(struct replay *rp, const struct hive_log *log, uint32_t expected)
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
		r = apply_entry(&rp->img, &e);
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
recover_new(struct replay *rp, const struct hive_log **logs, size_t n,
            bool primary_ok, uint32_t primary_seq2)
{
	size_t first = 0;
	int r;

	/* earlier base-block sequence number first (insertion sort of <= 3) */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i;
		     k > 0 && seq_before(logs[k]->seq, logs[k - 1]->seq); k--) {
			const struct hive_log *t = logs[k];

			logs[k] = logs[k - 1];
			logs[k - 1] = t;
		}
	/* A bad primary header: only the latest log, as Windows does. */
	if (!primary_ok)
		first = n - 1;
	for (size_t i = first; i < n; i++) {
		const struct hive_log *log = logs[i];

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
recover_old(struct replay *rp, const struct hive_log **logs, size_t n,
            const uint8_t *primary, size_t len, bool primary_ok)
{
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
	for (size_t i = 0; i < n; i++) {
		const struct hive_log *log = logs[i];
		_cleanup_free_ char *why = NULL;
		struct hive_log_vector v;
		size_t k = 0;

		if (log->timestamp != ts) {
			r = append(&rp->rec->detail, "; ",
			           "%s: written for another state of the hive "
			           "(last-written timestamps differ): not used",
			           log->name);
			if (r < 0)
				return r;
			continue;
		}
		r = hive_log_dirty_vector(log, &v, &why);
		if (r < 0)
			return r;
		if (r == 0) {
			if (append(&rp->rec->detail, "; ", "%s", why) < 0)
				return -ENOMEM;
			continue;
		}
		r = image_grow(&rp->img,
		               (size_t)HIVE_HEADER_SIZE + log->hbins_size);
		if (r < 0)
			return r;
		for (size_t bit = 0; bit < v.bits; bit++)
			if (v.bitmap[bit / 8] & (1u << (bit % 8)))
				memcpy(rp->img.data + HIVE_HEADER_SIZE +
				               bit * HIVE_LOG_SECTOR,
				       v.pages + HIVE_LOG_SECTOR * k++,
				       HIVE_LOG_SECTOR);
		rp->any = true;
		rp->last_seq = primary_ok ? util_le32(primary + HIVE_BB_SEQ1)
		                          : log->seq;
		rp->hbins_size = log->hbins_size;
		rp->flags = util_le32(log->data + HIVE_BB_FLAGS);
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
hbins_ok(const uint8_t *d, size_t hbins, size_t *ret_bad)
{
	size_t pos = 0;

	while (pos < hbins) {
		const uint8_t *b = d + HIVE_HEADER_SIZE + pos;
		uint32_t size;

		*ret_bad = pos;
		if (hbins - pos < 32 || memcmp(b, "hbin", 4) != 0 ||
		    util_le32(b + 4) != pos)
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
static void
finish_base_block(struct replay *rp, const uint8_t *primary, bool primary_ok)
{
	uint8_t *b = rp->img.data;
	const uint8_t *lb = rp->base_from->data;

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
}

int
hive_recover_data(const uint8_t *data, size_t len, struct hive_log *logs,
                  size_t n_logs, uint8_t **ret, size_t *ret_len,
                  struct hive_recovery *rec)
{
	const struct hive_log *newl[HIVE_LOG_MAX_LOGS],
	        *oldl[HIVE_LOG_MAX_LOGS];
	struct replay rp = {.rec = rec};
	size_t n_new = 0, n_old = 0, bad;
	const char *why = NULL;
	bool primary_ok;
	int r;

	*rec = (struct hive_recovery){0};
	*ret = NULL;
	*ret_len = 0;
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

	rp.img.data = malloc(len);
	if (!rp.img.data)
		return -ENOMEM;
	memcpy(rp.img.data, data, len);
	rp.img.len = len;
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
		goto fail;
	if (!rp.any) {
		r = util_asprintf(&rec->problem,
		                  "its header %s, and its transaction logs "
		                  "cannot be replayed (%s)",
		                  primary_ok ? "sequence numbers differ"
		                             : "is damaged",
		                  rec->detail ? rec->detail : "none usable");
		goto fail;
	}
	/* the hive ends where the last entry says, padding dropped */
	r = image_grow(&rp.img, (size_t)HIVE_HEADER_SIZE + rp.hbins_size);
	if (r < 0)
		goto fail;
	rp.img.len = (size_t)HIVE_HEADER_SIZE + rp.hbins_size;
	if (!hbins_ok(rp.img.data, rp.hbins_size, &bad)) {
		r = util_asprintf(&rec->problem,
		                  "replaying %s leaves no valid hive bin at "
		                  "offset %zu of the hive bins data: the logs "
		                  "are damaged or do not belong to this hive",
		                  rec->logs, bad);
		rec->entries = 0;
		rec->n_logs = 0;
		goto fail;
	}
	finish_base_block(&rp, data, primary_ok);
	rec->recovered = true;
	rec->seq = rp.last_seq;
	*ret = rp.img.data;
	*ret_len = rp.img.len;
	return 0;
fail:
	free(rp.img.data);
	return r < 0 ? r : 0;
}

/* ---- files -------------------------------------------------------------- */

/* Rewrites the private copy at path in place: no temp file, no fsync
 * (nobody needs the copy after a crash). */
static int
rewrite(const char *path, const uint8_t *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return close(TAKE_FD(fd)) < 0 ? -errno : 0;
}

int
hive_recover_file_logs(const char *path, const struct hive_log_buffer *bufs,
                       size_t n, struct hive_recovery *ret)
{
	_cleanup_free_ char *primary = NULL;
	_cleanup_free_ uint8_t *out = NULL;
	struct hive_log logs[HIVE_LOG_MAX_LOGS] = {0};
	size_t len, out_len;
	int r;

	*ret = (struct hive_recovery){0};
	r = util_read_file(path, HIVE_MAX_FILE_SIZE, &primary, &len);
	if (r < 0)
		return r;
	n = MIN(n, (size_t)HIVE_LOG_MAX_LOGS);
	for (size_t i = 0; i < n; i++)
		logs[i] = (struct hive_log){.name = bufs[i].name,
		                            .data = bufs[i].data,
		                            .len = bufs[i].len};
	r = hive_recover_data((const uint8_t *)primary, len, logs, n, &out,
	                      &out_len, ret);
	if (r >= 0 && ret->recovered)
		r = rewrite(path, out, out_len);
	for (size_t i = 0; i < n; i++)
		hive_log_done(&logs[i]);
	if (r < 0)
		hive_recovery_done(ret);
	return r < 0 ? r : 0;
}

int
hive_recover_file(const char *path, char *const *log_paths,
                  struct hive_recovery *ret)
{
	char *data[HIVE_LOG_MAX_LOGS] = {0};
	struct hive_log_buffer bufs[HIVE_LOG_MAX_LOGS] = {0};
	size_t n = 0;
	int r = 0;

	*ret = (struct hive_recovery){0};
	STRV_FOREACH (p, log_paths) {
		const char *base = strrchr(*p, '/');

		if (n == HIVE_LOG_MAX_LOGS)
			break;
		r = util_read_file(*p, HIVE_LOG_MAX_FILE_SIZE, &data[n],
		                   &bufs[n].len);
		if (r == -ENOENT)
			continue;
		bufs[n].name = base ? base + 1 : *p;
		if (r == -EFBIG) {
			/* named in the problem, like any unusable log */
			bufs[n].data = "";
			bufs[n].len = (size_t)HIVE_LOG_MAX_FILE_SIZE + 1;
		} else if (r < 0)
			break;
		else
			bufs[n].data = data[n];
		n++;
		r = 0;
	}
	if (r >= 0)
		r = hive_recover_file_logs(path, bufs, n, ret);
	for (size_t i = 0; i < HIVE_LOG_MAX_LOGS; i++)
		free(data[i]);
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
