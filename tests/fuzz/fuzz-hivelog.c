/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: transaction-log replay (hive/log.c, hive/recover.c) over a
 * small dirty hive built here (base block + one hive bin holding the root
 * key), with one or two logs from the input.
 *
 * Input: [flags u8][length of LOG1, u32 LE][LOG1][LOG2 = the rest].
 *   flags bit 0: before the replay, recompute the base-block checksums of
 *                both logs and the Marvin32 hashes of every HvLE entry, so
 *                that mutations get past the integrity checks;
 *   flags bit 1: damage the primary's base block (the "latest log only"
 *                road);
 *   flags bit 2: make the primary clean (the logs must be ignored);
 *   flags bit 3: serve the logs through a read() callback, read on demand
 *                (the road of logs in a guest);
 *   flags bit 4: with bit 3, every read past the first 4 KiB fails.
 *
 * Properties: nothing crashes, leaks or hangs; a recovered hive is exactly
 * 4096 + its hive bins data size long, has a clean header, and its bins
 * tile the data; a clean primary is never "recovered"; hivex then opens it
 * or fails cleanly; a log that could not be read leaves nothing
 * recovered.
 */
#include <string.h>

#include "fuzz.h"
#include "hive-internal.h"

#define FUZZ_HIVELOG_MAX_ENTRIES 4096u

/* base block + one 4 KiB bin: the root key "ROOT" and one free cell */
static void
build_primary(uint8_t *p, unsigned flags)
{
	uint8_t *bin = p + HIVE_HEADER_SIZE, *nk = bin + 32 + 4;

	memset(p, 0, 2 * HIVE_HEADER_SIZE);
	memcpy(p, "regf", 4);
	util_put_le32(p + HIVE_BB_SEQ1, 2);
	util_put_le32(p + HIVE_BB_SEQ2, (flags & 4) ? 2 : 1);
	util_put_le32(p + HIVE_BB_MAJOR, 1);
	util_put_le32(p + HIVE_BB_MINOR, 5);
	util_put_le32(p + HIVE_BB_FORMAT, 1);
	util_put_le32(p + HIVE_BB_ROOT, 32);
	util_put_le32(p + HIVE_BB_HBINS_SIZE, HIVE_BIN_ALIGN);
	util_put_le32(p + HIVE_BB_CLUSTERING, 1);
	hive_base_block_seal(p);
	if (flags & 2)
		p[HIVE_BB_CHECKSUM] ^= 1;
	memcpy(bin, "hbin", 4);
	util_put_le32(bin + 8, HIVE_BIN_ALIGN);
	util_put_le32(bin + 32, (uint32_t)-88);
	memcpy(nk, "nk", 2);
	util_put_le16(nk + 2, 0x2c); /* hive entry, no delete, ASCII name */
	util_put_le32(nk + 28, 0xffffffffu);
	util_put_le32(nk + 32, 0xffffffffu);
	util_put_le32(nk + 40, 0xffffffffu);
	util_put_le32(nk + 44, 0xffffffffu);
	util_put_le32(nk + 48, 0xffffffffu);
	util_put_le16(nk + 72, 4);
	memcpy(nk + 76, "ROOT", 4);
	util_put_le32(bin + 32 + 88, HIVE_BIN_ALIGN - 32 - 88);
}

static void
fix_log(uint8_t *l, size_t len)
{
	size_t off = HIVE_LOG_SECTOR;

	if (len < HIVE_LOG_SECTOR)
		return;
	hive_base_block_seal(l);
	for (unsigned n = 0; n < FUZZ_HIVELOG_MAX_ENTRIES; n++) {
		uint32_t size;

		if (len - off < HIVE_LOG_ENTRY_HEADER ||
		    memcmp(l + off, "HvLE", 4) != 0)
			return;
		size = util_le32(l + off + 4);
		if (size < HIVE_LOG_ENTRY_HEADER || size > len - off)
			return;
		util_put_le64(l + off + 24,
		              hive_marvin32(l + off + HIVE_LOG_ENTRY_HEADER,
		                            size - HIVE_LOG_ENTRY_HEADER,
		                            HIVE_MARVIN32_SEED));
		util_put_le64(l + off + 32,
		              hive_marvin32(l + off, 32, HIVE_MARVIN32_SEED));
		if (size % HIVE_LOG_SECTOR != 0)
			return;
		off += size;
		if (off >= len)
			return;
	}
}

/* A log read on demand from the input. */
struct source {
	const uint8_t *data;
	bool fail;
};

static int
source_read(void *userdata, uint64_t off, void *buf, size_t len)
{
	const struct source *s = userdata;

	if (s->fail && off + len > 4096)
		return -EIO;
	memcpy(buf, s->data + off, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t primary[2 * HIVE_HEADER_SIZE];
	_cleanup_free_ uint8_t *copy = NULL, *out = NULL;
	struct hive_log logs[2] = {{.name = "SYSTEM.LOG1"},
	                           {.name = "SYSTEM.LOG2"}};
	struct hive_recovery rec = {0};
	struct source src[2];
	size_t l1, out_len, n_logs = 1;
	unsigned flags;
	int r;

	if (size < 5)
		return 0;
	flags = data[0];
	l1 = util_le32(data + 1);
	if (l1 > size - 5)
		l1 = size - 5;
	copy = malloc(size - 5 + 1);
	FUZZ_CHECK(copy);
	memcpy(copy, data + 5, size - 5);
	if (flags & 1) {
		fix_log(copy, l1);
		fix_log(copy + l1, size - 5 - l1);
	}
	logs[0].data = copy;
	logs[0].len = l1;
	if (size - 5 > l1) {
		logs[1].data = copy + l1;
		logs[1].len = size - 5 - l1;
		n_logs = 2;
	}
	if (flags & 8)
		for (size_t i = 0; i < n_logs; i++) {
			src[i] = (struct source){logs[i].data, flags & 16};
			logs[i].size = logs[i].len;
			logs[i].read = source_read;
			logs[i].userdata = &src[i];
			logs[i].data = NULL;
			logs[i].len = 0;
		}
	build_primary(primary, flags);
	r = hive_recover_data(primary, sizeof(primary), logs, n_logs, &out,
	                      &out_len, &rec);
	FUZZ_CHECK(r == 0 || r == -ENOMEM);
	if ((flags & 6) == 4)
		FUZZ_CHECK(!rec.dirty && !rec.recovered);
	if (rec.recovered) {
		_cleanup_(hive_freep) struct hive *h = NULL;
		_cleanup_free_ char *error = NULL;
		const char *path;

		FUZZ_CHECK(out && out_len >= 2 * HIVE_HEADER_SIZE);
		FUZZ_CHECK(!hive_header_dirty(out, out_len));
		FUZZ_CHECK(out_len ==
		           (size_t)HIVE_HEADER_SIZE +
		                   util_le32(out + HIVE_BB_HBINS_SIZE));
		FUZZ_CHECK(rec.logs && !rec.problem);
		for (size_t i = 0; i < n_logs; i++)
			FUZZ_CHECK(!logs[i].read_error);
		path = fuzz_write_temp("SYSTEM", out, out_len);
		if (hive_open_full(path, 0, &h, &error) >= 0)
			(void)hive_key_exists(h, "");
	} else if (rec.dirty)
		FUZZ_CHECK(rec.problem && !out);
	hive_recovery_done(&rec);
	for (size_t i = 0; i < 2; i++)
		hive_log_done(&logs[i]);
	return 0;
}
