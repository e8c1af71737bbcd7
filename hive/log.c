/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsing the registry's transaction logs (.LOG, .LOG1, .LOG2), as Maxim
 * Suhanov's "Windows registry file format specification" describes them:
 *
 *   old format (NT 5.x to 8.0): a 512-byte copy of the base block (file
 *     type 1 or 2), the "DIRT" dirty vector (one bit per 512-byte page of
 *     the hive bins data) from offset 512, then the dirty pages, 512 bytes
 *     each, from the next sector boundary;
 *   new format (8.1 and later): a 512-byte copy of the base block (file
 *     type 6), then "HvLE" log entries on 512-byte boundaries, each with its
 *     sequence number, the hive bins data size, page references and pages,
 *     and two Marvin32 hashes (seed 0x82EF4D887A4E55C5) that tell a whole
 *     entry from a torn one.
 *
 * Nothing here trusts the file: every size, offset and count is checked
 * before use and against the HIVE_LOG_* limits.  A log given with a read()
 * callback is read only as far as its valid entries go (a log is mostly
 * stale remnants past them): an entry's bytes are read when its header
 * says it continues the sequence, and hashed once they are in.  Choosing
 * the logs and replaying them is recover.c's business.
 */
#include "hive-internal.h"

uint64_t
hive_marvin32(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;
	uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32), last;

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define MIX(v)                          \
	do {                            \
		lo += (v);              \
		hi ^= lo;               \
		lo = ROTL(lo, 20) + hi; \
		hi = ROTL(hi, 9) ^ lo;  \
		lo = ROTL(lo, 27) + hi; \
		hi = ROTL(hi, 19);      \
	} while (0)

	for (; len >= 4; p += 4, len -= 4)
		MIX(util_le32(p));
	last = 0x80;
	switch (len) {
	case 3:
		last = (last << 8) | p[2];
		/* fall through */
	case 2:
		last = (last << 8) | p[1];
		/* fall through */
	case 1:
		last = (last << 8) | p[0];
		break;
	default:
		break;
	}
	MIX(last);
	MIX(0u);
#undef MIX
#undef ROTL
	return ((uint64_t)hi << 32) | lo;
}

uint32_t
hive_base_block_checksum(const uint8_t *b)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < HIVE_BASE_BLOCK_SUM_LEN; i += 4)
		sum ^= util_le32(b + i);
	if (sum == 0)
		return 1;
	if (sum == 0xFFFFFFFFu)
		return 0xFFFFFFFEu;
	return sum;
}

void
hive_base_block_seal(uint8_t *b)
{
	util_put_le32(b + HIVE_BB_CHECKSUM, hive_base_block_checksum(b));
}

/*
 * The checks every base block (primary or log copy) must pass before any of
 * its fields is believed.  *ret_why: a static reason, NULL when good.
 */
bool
hive_base_block_valid(const uint8_t *b, size_t len, const char **ret_why)
{
	uint32_t hbins;

	*ret_why = NULL;
	if (len < HIVE_LOG_SECTOR)
		*ret_why = "shorter than a base block (512 bytes)";
	else if (memcmp(b, "regf", 4) != 0)
		*ret_why = "no 'regf' signature";
	else if (util_le32(b + HIVE_BB_CHECKSUM) != hive_base_block_checksum(b))
		*ret_why = "base block checksum mismatch";
	else if (util_le32(b + HIVE_BB_MAJOR) != 1)
		*ret_why = "unsupported major version";
	else if (util_le32(b + HIVE_BB_FORMAT) != 1)
		*ret_why = "unsupported file format";
	else if (util_le32(b + HIVE_BB_CLUSTERING) != 1)
		*ret_why = "unsupported clustering factor";
	else {
		hbins = util_le32(b + HIVE_BB_HBINS_SIZE);
		if (hbins < HIVE_BIN_ALIGN || hbins % HIVE_BIN_ALIGN != 0 ||
		    hbins > HIVE_LOG_MAX_HBINS_SIZE)
			*ret_why = "bad hive bins data size";
	}
	return !*ret_why;
}

/*
 * Makes the bytes [off, off + len) of the log available: 1 and *ret
 * pointing at them (good until the next call).  0 when the file is shorter
 * or a read failed (log->read_error), -ENOMEM.  A log read on demand moves
 * its window forward, keeping what it already holds of the new one; the
 * window grows to the largest entry only.
 */
static int
log_window(struct hive_log *log, uint64_t off, size_t len, const uint8_t **ret)
{
	size_t keep = 0, to;
	int r;

	if (off >= log->at && off - log->at <= log->len &&
	    len <= log->len - (off - log->at)) {
		*ret = log->data + (off - log->at);
		return 1;
	}
	if (!log->read || off > log->size || len > log->size - off ||
	    log->read_error)
		return 0;
	/* size <= HIVE_LOG_MAX_FILE_SIZE (hive_log_parse): no overflow */
	if (off >= log->at && off - log->at < log->len) {
		keep = log->len - (size_t)(off - log->at);
		memmove(log->buf, log->buf + (off - log->at), keep);
	}
	log->at = off;
	log->len = keep;
	to = (size_t)MIN(log->size - off,
	                 (uint64_t)MAX(len, (size_t)HIVE_LOG_READ_STEP));
	if (to > log->cap) {
		uint8_t *n = realloc(log->buf, to);

		if (!n)
			return -ENOMEM;
		log->buf = n;
		log->cap = to;
	}
	log->data = log->buf;
	r = log->read(log->userdata, off + keep, log->buf + keep, to - keep);
	if (r < 0) {
		log->read_error = r;
		return 0;
	}
	log->len = to;
	*ret = log->data;
	return 1;
}

/* "NAME: cannot be read at offset N (error)" after a failed read. */
static int
read_failed(char **ret_why, const struct hive_log *log, size_t off)
{
	return util_asprintf(ret_why, "%s: cannot be read at offset %zu (%s)",
	                     log->name, off, strerror(-log->read_error)) < 0
	               ? -ENOMEM
	               : 0;
}

int
hive_log_parse(struct hive_log *log)
{
	const uint8_t *b = NULL;
	const char *why = NULL;
	uint32_t type;
	int r;

	log->format = HIVE_LOG_NONE;
	free(log->problem);
	log->problem = NULL;
	if (!log->read)
		log->size = log->len;
	if (log->size == 0)
		return util_asprintf(&log->problem, "%s is empty", log->name) <
		                       0
		               ? -ENOMEM
		               : 0;
	if (log->size > HIVE_LOG_MAX_FILE_SIZE)
		why = "larger than the limit for a transaction log";
	else if (log->size < HIVE_LOG_SECTOR)
		why = "shorter than a base block (512 bytes)";
	else {
		r = log_window(log, 0, HIVE_LOG_SECTOR, &b);
		if (r < 0)
			return r;
		if (r == 0)
			return read_failed(&log->problem, log, 0);
		/* kept: the window moves on */
		memcpy(log->base_block, b, HIVE_LOG_SECTOR);
		b = log->base_block;
	}
	if (why)
		;
	else if (!hive_base_block_valid(b, HIVE_LOG_SECTOR, &why))
		;
	else if (util_le32(b + HIVE_BB_SEQ1) != util_le32(b + HIVE_BB_SEQ2))
		why = "its base block is itself mid-update (sequence numbers "
		      "differ)";
	else {
		type = util_le32(b + HIVE_BB_TYPE);
		if (type == HIVE_FILE_LOG_NEW)
			log->format = HIVE_LOG_NEW;
		else if (type == HIVE_FILE_LOG_OLD ||
		         type == HIVE_FILE_LOG_VERYOLD)
			log->format = HIVE_LOG_OLD;
		else
			why = "not a transaction log (file type)";
	}
	if (why) {
		log->format = HIVE_LOG_NONE;
		return util_asprintf(&log->problem, "%s: %s", log->name, why) <
		                       0
		               ? -ENOMEM
		               : 0;
	}
	log->seq = util_le32(b + HIVE_BB_SEQ1);
	log->timestamp = util_le64(b + HIVE_BB_TIMESTAMP);
	log->hbins_size = util_le32(b + HIVE_BB_HBINS_SIZE);
	return 0;
}

void
hive_log_done(struct hive_log *log)
{
	free(log->problem);
	log->problem = NULL;
	free(log->buf);
	log->buf = NULL;
	log->cap = 0;
}

/* ---- new format: HvLE entries ------------------------------------------- */

static int
entry_bad(char **ret_why, const struct hive_log *log, size_t off,
          const char *what, uint32_t a, uint32_t b)
{
	return util_asprintf(ret_why, "%s: entry at offset %zu: %s (%u, %u)",
	                     log->name, off, what, a, b) < 0
	               ? -ENOMEM
	               : 0;
}

int
hive_log_entry_at(struct hive_log *log, size_t off, uint32_t expected,
                  struct hive_log_entry *ret, char **ret_why)
{
	const uint8_t *e;
	uint32_t size, n, hbins;
	uint64_t pages = 0;
	int r;

	*ret_why = NULL;
	if (off % HIVE_LOG_SECTOR != 0 || off >= log->size ||
	    log->size - off < HIVE_LOG_ENTRY_HEADER)
		return 0; /* end of the file */
	r = log_window(log, off, HIVE_LOG_ENTRY_HEADER, &e);
	if (r <= 0)
		return r < 0 ? r : read_failed(ret_why, log, off);
	if (memcmp(e, "HvLE", 4) != 0)
		return 0; /* no further entry: zeros or remnants */
	size = util_le32(e + 4);
	n = util_le32(e + 20);
	hbins = util_le32(e + 16);
	if (size < HIVE_LOG_SECTOR || size % HIVE_LOG_SECTOR != 0 ||
	    size > log->size - off)
		return entry_bad(ret_why, log, off,
		                 "size not a multiple of 512 or beyond the end "
		                 "of the file (torn write?)",
		                 size,
		                 (uint32_t)MIN(log->size - off, UINT32_MAX));
	if (util_le32(e + 12) != expected)
		return entry_bad(ret_why, log, off,
		                 "sequence number does not continue "
		                 "(found, expected)",
		                 util_le32(e + 12), expected);
	/* the whole entry, now that its header says it is the next one */
	r = log_window(log, off, size, &e);
	if (r <= 0)
		return r < 0 ? r : read_failed(ret_why, log, off);
	if (hive_marvin32(e, 32, HIVE_MARVIN32_SEED) != util_le64(e + 32) ||
	    hive_marvin32(e + HIVE_LOG_ENTRY_HEADER,
	                  size - HIVE_LOG_ENTRY_HEADER,
	                  HIVE_MARVIN32_SEED) != util_le64(e + 24))
		return entry_bad(ret_why, log, off,
		                 "Marvin32 hash mismatch: torn or damaged "
		                 "entry (sequence, size)",
		                 expected, size);
	if (hbins < HIVE_BIN_ALIGN || hbins % HIVE_BIN_ALIGN != 0 ||
	    hbins > HIVE_LOG_MAX_HBINS_SIZE)
		return entry_bad(ret_why, log, off,
		                 "bad hive bins data size (size, limit)", hbins,
		                 HIVE_LOG_MAX_HBINS_SIZE);
	if (n == 0 || n > HIVE_LOG_MAX_PAGES ||
	    n > (size - HIVE_LOG_ENTRY_HEADER) / 8)
		return entry_bad(ret_why, log, off,
		                 "bad dirty page count (count, limit)", n,
		                 HIVE_LOG_MAX_PAGES);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *ref = e + HIVE_LOG_ENTRY_HEADER + 8 * (size_t)i;
		uint32_t po = util_le32(ref), ps = util_le32(ref + 4);

		if (ps == 0 || po % HIVE_LOG_SECTOR != 0 ||
		    ps % HIVE_LOG_SECTOR != 0)
			return entry_bad(
			        ret_why, log, off,
			        "dirty page not on 512-byte boundaries "
			        "(offset, size)",
			        po, ps);
		if ((uint64_t)po + ps > hbins)
			return entry_bad(
			        ret_why, log, off,
			        "dirty page beyond the hive bins data "
			        "size (page end, hive size)",
			        (uint32_t)MIN((uint64_t)po + ps, UINT32_MAX),
			        hbins);
		pages += ps;
	}
	if (pages > size - HIVE_LOG_ENTRY_HEADER - 8 * (uint64_t)n)
		return entry_bad(ret_why, log, off,
		                 "dirty pages larger than the entry (pages, "
		                 "entry size)",
		                 (uint32_t)MIN(pages, UINT32_MAX), size);
	*ret = (struct hive_log_entry){
	        .offset = off,
	        .size = size,
	        .flags = util_le32(e + 8),
	        .seq = expected,
	        .hbins_size = hbins,
	        .n_pages = n,
	        .refs = e + HIVE_LOG_ENTRY_HEADER,
	        .pages = e + HIVE_LOG_ENTRY_HEADER + 8 * (size_t)n,
	};
	return 1;
}

/* ---- old format: DIRT vector -------------------------------------------- */

int
hive_log_dirty_vector(struct hive_log *log, struct hive_log_vector *ret,
                      char **ret_why)
{
	size_t bitmap = log->hbins_size / HIVE_LOG_SECTOR / 8, pages_off,
	       dirty = 0;
	const uint8_t *b, *v;
	int r;

	*ret_why = NULL;
	r = log->size < HIVE_LOG_SECTOR + 4 + bitmap
	            ? 0
	            : log_window(log, 0, HIVE_LOG_SECTOR + 4 + bitmap, &b);
	if (r < 0)
		return r;
	if (log->read_error)
		return read_failed(ret_why, log, HIVE_LOG_SECTOR);
	if (r == 0 || memcmp(b + HIVE_LOG_SECTOR, "DIRT", 4) != 0)
		return util_asprintf(ret_why,
		                     "%s: no 'DIRT' dirty vector at offset "
		                     "512",
		                     log->name) < 0
		               ? -ENOMEM
		               : 0;
	v = b + HIVE_LOG_SECTOR + 4;
	for (size_t i = 0; i < bitmap; i++)
		dirty += (size_t)__builtin_popcount(v[i]);
	pages_off = HIVE_LOG_SECTOR + 4 + bitmap;
	pages_off = (pages_off + HIVE_LOG_SECTOR - 1) / HIVE_LOG_SECTOR *
	            HIVE_LOG_SECTOR;
	if (dirty == 0 || pages_off > log->size ||
	    dirty > (log->size - pages_off) / HIVE_LOG_SECTOR)
		return util_asprintf(ret_why,
		                     "%s: %zu dirty pages declared, the file "
		                     "holds %zu (truncated or empty log)",
		                     log->name, dirty,
		                     pages_off > log->size
		                             ? (size_t)0
		                             : (size_t)(log->size - pages_off) /
		                                       HIVE_LOG_SECTOR) < 0
		               ? -ENOMEM
		               : 0;
	/* vector and pages in one window */
	r = log_window(log, 0, pages_off + HIVE_LOG_SECTOR * dirty, &b);
	if (r <= 0)
		return r < 0 ? r : read_failed(ret_why, log, pages_off);
	v = b + HIVE_LOG_SECTOR + 4;
	*ret = (struct hive_log_vector){
	        .bitmap = v,
	        .bits = bitmap * 8,
	        .n_dirty = dirty,
	        .pages = b + pages_off,
	};
	return 1;
}
