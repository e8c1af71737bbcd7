/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transaction-log replay (hive/log.c, hive/recover.c) on the corpus's real
 * dirty Windows 10 1709 SYSTEM hive and its SYSTEM.LOG1/.LOG2:
 *
 *   - the recovered hive, dumped in the format of SYSTEM.recovered.txt (an
 *     independent recovery by yarp), equals it line for line; the primary
 *     alone equals SYSTEM.primary-only.txt (the dumper is right too);
 *   - the result is a clean hive: equal sequence numbers (the last entry
 *     applied, 2130), valid checksum, the logs' final size;
 *   - logs crafted here from that material: a torn last entry, a bad hash,
 *     a log that does not continue the other, a page beyond the hive size,
 *     logs older than the primary, and old-format (DIRT) logs written
 *     from the specification (alone; two for the same state, the newer
 *     of which is replayed whatever its name), each giving the right state
 *     or a refusal naming the log, the inputs never written;
 *   - a reset log (what imgfix writes after a fix) replays nothing.
 *
 * Skipped (77) without the corpus.
 */
#include "tests.h"
#include "hive-test-util.h"
#include "hive-internal.h"

#define CORPUS_DIR "hives/win10-1709-dirty/"
#define LAST_SEQ 2130u
#define RECOVERED_HBINS 12591104u

static char *
unpack(const char *rel, const char *dest)
{
	_cleanup_free_ char *xz = tests_corpus(rel), *cmd = NULL;

	ASSERT_OK(util_asprintf(&cmd, "xz -dc '%s' > '%s'", xz, dest));
	ASSERT_EQ(hive_test_run(cmd), 0);
	return strdup(dest);
}

/* The three input files, unpacked once; each test works on copies. */
static char *in_primary, *in_log1, *in_log2;

static void
inputs(void)
{
	_cleanup_free_ char *p = NULL, *l1 = NULL, *l2 = NULL;

	if (in_primary)
		return;
	p = util_path_join(tests_tmpdir(), "in-SYSTEM");
	l1 = util_path_join(tests_tmpdir(), "in-SYSTEM.LOG1");
	l2 = util_path_join(tests_tmpdir(), "in-SYSTEM.LOG2");
	in_primary = unpack(CORPUS_DIR "SYSTEM.xz", p);
	in_log1 = unpack(CORPUS_DIR "SYSTEM.LOG1.xz", l1);
	in_log2 = unpack(CORPUS_DIR "SYSTEM.LOG2.xz", l2);
}

struct blob {
	char *data;
	size_t len;
};

static struct blob
slurp(const char *path)
{
	struct blob b;

	ASSERT_OK(util_read_file(path, HIVE_MAX_FILE_SIZE, &b.data, &b.len));
	return b;
}

static void
spit(const char *path, const void *data, size_t len)
{
	ASSERT_OK(util_write_file_atomic(path, data, len));
}

/* A fresh directory holding SYSTEM (+ the logs given, possibly altered). */
static char *
case_dir(const char *tag)
{
	char *d = hive_test_path(tag);

	ASSERT_OK(util_mkdir_p(d));
	return d;
}

static char *
put(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = util_path_join(dir, name);

	ASSERT_NOT_NULL(p);
	spit(p, data, len);
	return p;
}

/* Recovers dir/SYSTEM with the logs hive_find_logs() finds beside it. */
static void
recover_dir(const char *dir, struct hive_recovery *rec)
{
	_cleanup_free_ char *p = util_path_join(dir, "SYSTEM");
	_cleanup_strv_free_ char **logs = NULL;

	ASSERT_OK(hive_find_logs(p, &logs));
	ASSERT_OK(hive_recover_file(p, logs, rec));
}

/* ---- the dump format of SYSTEM.recovered.txt ---------------------------- */

struct lines {
	char **v;
	size_t n, allocated;
};

static void
lines_add(struct lines *l, char *s)
{
	if (l->n == l->allocated) {
		l->allocated = l->allocated ? l->allocated * 2 : 65536;
		l->v = realloc(l->v, l->allocated * sizeof(char *));
		ASSERT_NOT_NULL(l->v);
	}
	l->v[l->n++] = s;
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* lowercased, control characters and % as %XX */
static char *
dump_name(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	ASSERT_NOT_NULL(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '%')
			o += sprintf(o, "%%%02X", c);
		else
			*o++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	*o = '\0';
	return out;
}

static void
dump_key(struct hive *h, const char *key, const char *shown, struct lines *l)
{
	_cleanup_strv_free_ char **values = NULL, **subkeys = NULL;

	lines_add(l, strdup(*shown ? shown : "\\"));
	ASSERT_OK(hive_list_values(h, key, &values));
	STRV_FOREACH (v, values) {
		_cleanup_free_ char *name = dump_name(*v), *line = NULL;
		struct hive_value val = {0};
		char *hex, *o;

		ASSERT_OK(hive_get_value(h, key, *v, &val));
		hex = o = malloc(2 * val.len + 1);
		ASSERT_NOT_NULL(hex);
		*o = '\0';
		for (size_t i = 0; i < val.len; i++)
			o += sprintf(o, "%02x", val.data[i]);
		ASSERT_OK(util_asprintf(&line, "%s\t%s\t%x\t%s",
		                        *shown ? shown : "\\", name, val.type,
		                        hex));
		free(hex);
		hive_value_done(&val);
		lines_add(l, TAKE_PTR(line));
	}
	ASSERT_OK(hive_list_subkeys(h, key, &subkeys));
	STRV_FOREACH (k, subkeys) {
		_cleanup_free_ char *child = NULL, *cshown = NULL,
		                    *low = dump_name(*k);

		ASSERT_OK(util_asprintf(&child, "%s%s%s", key, *key ? "\\" : "",
		                        *k));
		ASSERT_OK(util_asprintf(&cshown, "%s\\%s", shown, low));
		dump_key(h, child, cshown, l);
	}
}

static int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares the dump of the hive at path with the corpus text rel. */
static void
assert_dump_equals(const char *path, const char *rel)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *txt = hive_test_path("expected");
	_cleanup_free_ char *want = NULL;
	struct lines l = {0};
	size_t len, i = 0, line_no = 0;
	char *p, *nl;

	free(unpack(rel, txt));
	ASSERT_OK(util_read_file(txt, 64u * 1024 * 1024, &want, &len));
	ASSERT_OK(hive_open(path, 0, &h));
	dump_key(h, "", "", &l);
	qsort(l.v, l.n, sizeof(char *), cmp_lines);
	for (p = want; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		ASSERT_NOT_NULL(nl);
		*nl = '\0';
		line_no++;
		if (p[0] == '#')
			continue;
		if (i >= l.n || !streq(l.v[i], p))
			TEST_FAIL("%s line %zu: expected \"%.120s\", got "
			          "\"%.120s\"",
			          rel, line_no, p, i < l.n ? l.v[i] : "(end)");
		i++;
	}
	ASSERT_EQ(i, l.n);
	lines_free(&l);
}

static void
assert_clean_header(const char *path, uint32_t seq, uint32_t hbins)
{
	struct blob b = slurp(path);
	const uint8_t *d = (const uint8_t *)b.data;

	ASSERT_TRUE(b.len >= HIVE_HEADER_SIZE);
	ASSERT_TRUE(!hive_header_dirty(d, b.len));
	ASSERT_EQ(util_le32(d + HIVE_BB_SEQ1), seq);
	ASSERT_EQ(util_le32(d + HIVE_BB_SEQ2), seq);
	ASSERT_EQ(util_le32(d + HIVE_BB_CHECKSUM), hive_base_block_checksum(d));
	ASSERT_EQ(util_le32(d + HIVE_BB_HBINS_SIZE), hbins);
	ASSERT_EQ(b.len, (size_t)HIVE_HEADER_SIZE + hbins);
	free(b.data);
}

/* ---- the real thing ----------------------------------------------------- */

static char *recovered_path;

static const char *
recovered(void)
{
	_cleanup_free_ char *dir = NULL;
	struct hive_recovery rec = {0};
	struct blob p, l1, l2;

	if (recovered_path)
		return recovered_path;
	inputs();
	dir = case_dir("real");
	p = slurp(in_primary);
	l1 = slurp(in_log1);
	l2 = slurp(in_log2);
	recovered_path = put(dir, "SYSTEM", p.data, p.len);
	free(put(dir, "SYSTEM.LOG1", l1.data, l1.len));
	free(put(dir, "system.log2", l2.data, l2.len)); /* any case */
	recover_dir(dir, &rec);
	ASSERT_TRUE(rec.dirty);
	ASSERT_TRUE(rec.recovered);
	ASSERT_TRUE(!rec.bad_base_block);
	ASSERT_EQ(rec.n_logs, 2);
	ASSERT_EQ(rec.entries, 24);
	ASSERT_EQ(rec.seq, LAST_SEQ);
	ASSERT_NULL(rec.problem);
	ASSERT_NOT_NULL(strstr(rec.logs, "SYSTEM.LOG1 (4 entries"));
	ASSERT_NOT_NULL(strstr(rec.logs, "system.log2 (20 entries"));
	hive_recovery_done(&rec);
	free(p.data);
	free(l1.data);
	free(l2.data);
	return recovered_path;
}

TEST(recovered_equals_independent_recovery)
{
	assert_dump_equals(recovered(), CORPUS_DIR "SYSTEM.recovered.txt.xz");
}

TEST(primary_alone_equals_primary_only_reading)
{
	inputs();
	assert_dump_equals(in_primary, CORPUS_DIR "SYSTEM.primary-only.txt.xz");
}

TEST(recovered_is_clean)
{
	_cleanup_(hive_freep) struct hive *h = NULL;

	assert_clean_header(recovered(), LAST_SEQ, RECOVERED_HBINS);
	/* writable: no longer dirty */
	ASSERT_OK(hive_open(recovered(), HIVE_OPEN_WRITE, &h));
	ASSERT_TRUE(!hive_is_dirty(h));
	ASSERT_OK(hive_key_exists(h, "ControlSet001\\Services\\ad_driver"));
}

TEST(clean_hive_ignores_logs)
{
	_cleanup_free_ char *dir = case_dir("clean");
	struct hive_recovery rec = {0};
	struct blob p = slurp(recovered()), l1, l2, after;

	l1 = slurp(in_log1);
	l2 = slurp(in_log2);
	free(put(dir, "SYSTEM", p.data, p.len));
	free(put(dir, "SYSTEM.LOG1", l1.data, l1.len));
	free(put(dir, "SYSTEM.LOG2", l2.data, l2.len));
	recover_dir(dir, &rec);
	ASSERT_TRUE(!rec.dirty && !rec.recovered);
	hive_recovery_done(&rec);
	{
		_cleanup_free_ char *s = util_path_join(dir, "SYSTEM");

		after = slurp(s);
	}
	ASSERT_EQ(after.len, p.len);
	ASSERT_MEMEQ(after.data, p.data, p.len);
	free(after.data);
	free(p.data);
	free(l1.data);
	free(l2.data);
}

/* ---- crafted logs -------------------------------------------------------- */

/* Offset of the entry with sequence seq in a new-format log. */
static size_t
entry_offset(const struct blob *log, uint32_t seq)
{
	size_t off = HIVE_LOG_SECTOR;

	while (off + HIVE_LOG_ENTRY_HEADER <= log->len &&
	       memcmp(log->data + off, "HvLE", 4) == 0) {
		if (util_le32(log->data + off + 12) == seq)
			return off;
		off += util_le32(log->data + off + 4);
	}
	TEST_FAIL("no entry %u", seq);
}

/* Recomputes both Marvin32 hashes of the entry at off. */
static void
rehash(struct blob *log, size_t off)
{
	uint8_t *e = (uint8_t *)log->data + off;
	uint32_t size = util_le32(e + 4);

	util_put_le64(e + 24, hive_marvin32(e + HIVE_LOG_ENTRY_HEADER,
	                                    size - HIVE_LOG_ENTRY_HEADER,
	                                    HIVE_MARVIN32_SEED));
	util_put_le64(e + 32, hive_marvin32(e, 32, HIVE_MARVIN32_SEED));
}

/*
 * Runs one crafted case: SYSTEM (primary, possibly altered) with LOG1/LOG2
 * (NULL: absent); checks the inputs were not written.  Returns the
 * recovery result; *ret_path the recovered file.
 */
static void
run_case(const char *tag, const struct blob *p, const struct blob *l1,
         const struct blob *l2, struct hive_recovery *rec, char **ret_path)
{
	_cleanup_free_ char *dir = case_dir(tag), *a = NULL, *b = NULL;
	struct blob back;

	free(put(dir, "SYSTEM", p->data, p->len));
	if (l1)
		a = put(dir, "SYSTEM.LOG1", l1->data, l1->len);
	if (l2)
		b = put(dir, "SYSTEM.LOG2", l2->data, l2->len);
	recover_dir(dir, rec);
	if (a) {
		back = slurp(a);
		ASSERT_EQ(back.len, l1->len);
		ASSERT_MEMEQ(back.data, l1->data, l1->len);
		free(back.data);
	}
	if (b) {
		back = slurp(b);
		ASSERT_EQ(back.len, l2->len);
		ASSERT_MEMEQ(back.data, l2->data, l2->len);
		free(back.data);
	}
	*ret_path = util_path_join(dir, "SYSTEM");
	if (!rec->recovered) {
		/* left exactly as it was */
		back = slurp(*ret_path);
		ASSERT_EQ(back.len, p->len);
		ASSERT_MEMEQ(back.data, p->data, p->len);
		free(back.data);
	}
}

struct inputs {
	struct blob p, l1, l2;
};

static void
load(struct inputs *in)
{
	inputs();
	in->p = slurp(in_primary);
	in->l1 = slurp(in_log1);
	in->l2 = slurp(in_log2);
}

static void
unload(struct inputs *in)
{
	free(in->p.data);
	free(in->l1.data);
	free(in->l2.data);
}

static void
assert_detail(const struct hive_recovery *rec, const char *what)
{
	const char *s = rec->problem ? rec->problem : rec->detail;

	if (!s || !strstr(s, what))
		TEST_FAIL("expected \"%s\" in \"%s\"", what, s ? s : "(null)");
}

TEST(torn_last_entry)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	/* the file ends half-way through entry 2130 */
	in.l2.len = entry_offset(&in.l2, LAST_SEQ) + 4096;
	run_case("torn", &in.p, &in.l1, &in.l2, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.seq, LAST_SEQ - 1);
	ASSERT_EQ(rec.entries, 23);
	assert_detail(&rec, "SYSTEM.LOG2: entry at offset");
	assert_clean_header(path, LAST_SEQ - 1, RECOVERED_HBINS);
	hive_recovery_done(&rec);
	unload(&in);
}

TEST(bad_hash_stops_before_the_entry)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;
	size_t off;

	load(&in);
	off = entry_offset(&in.l2, 2115);
	in.l2.data[off + 2000] ^= 0x55; /* inside a page */
	run_case("hash", &in.p, &in.l1, &in.l2, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.seq, 2114);
	assert_detail(&rec, "Marvin32 hash mismatch");
	assert_clean_header(path, 2114, 12398592);
	hive_recovery_done(&rec);
	unload(&in);
}

TEST(log_that_does_not_continue_is_not_used)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	/* LOG2 claims to start at 2112: LOG1 ends at 2110 */
	util_put_le32(in.l2.data + HIVE_BB_SEQ1, 2112);
	util_put_le32(in.l2.data + HIVE_BB_SEQ2, 2112);
	hive_base_block_seal((uint8_t *)in.l2.data);
	run_case("seq", &in.p, &in.l1, &in.l2, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.seq, 2110);
	ASSERT_EQ(rec.n_logs, 1);
	assert_detail(&rec, "SYSTEM.LOG2: does not continue");
	hive_recovery_done(&rec);

	/* an entry with a wrong sequence number inside a log: stop there */
	unload(&in);
	load(&in);
	{
		size_t off = entry_offset(&in.l2, 2120);

		util_put_le32(in.l2.data + off + 12, 2999);
		rehash(&in.l2, off);
	}
	free(path);
	run_case("seq2", &in.p, &in.l1, &in.l2, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.seq, 2119);
	assert_detail(&rec, "sequence number does not continue");
	hive_recovery_done(&rec);
	unload(&in);
}

TEST(page_beyond_hive_size_refuses)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	/* first entry of LOG1: its first page points past the hive bins */
	util_put_le32(in.l1.data + HIVE_LOG_SECTOR + HIVE_LOG_ENTRY_HEADER,
	              12398592);
	rehash(&in.l1, HIVE_LOG_SECTOR);
	run_case("beyond", &in.p, &in.l1, &in.l2, &rec, &path);
	/* the chain breaks at its start: nothing can be replayed */
	ASSERT_TRUE(rec.dirty);
	ASSERT_TRUE(!rec.recovered);
	assert_detail(&rec, "SYSTEM.LOG1: entry at offset 512: dirty page "
	                    "beyond the hive bins data size");
	hive_recovery_done(&rec);
	unload(&in);
}

static void
set_primary_seqs(struct blob *p, uint32_t s1, uint32_t s2)
{
	util_put_le32(p->data + HIVE_BB_SEQ1, s1);
	util_put_le32(p->data + HIVE_BB_SEQ2, s2);
	hive_base_block_seal((uint8_t *)p->data);
}

TEST(logs_older_than_primary_are_ignored)
{
	_cleanup_free_ char *path = NULL, *path2 = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	/* LOG1 (2107) is older than the primary, LOG2 (2111) is not */
	set_primary_seqs(&in.p, 2112, 2111);
	run_case("older1", &in.p, &in.l1, &in.l2, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.n_logs, 1);
	ASSERT_EQ(rec.seq, LAST_SEQ);
	assert_detail(&rec, "SYSTEM.LOG1: older than the primary");
	hive_recovery_done(&rec);

	/* both older: dirty, not recoverable, both logs named */
	set_primary_seqs(&in.p, 2201, 2200);
	run_case("older2", &in.p, &in.l1, &in.l2, &rec, &path2);
	ASSERT_TRUE(rec.dirty && !rec.recovered);
	assert_detail(&rec, "SYSTEM.LOG1: older than the primary");
	assert_detail(&rec, "SYSTEM.LOG2: older than the primary");
	hive_recovery_done(&rec);
	unload(&in);
}

TEST(missing_or_damaged_logs_refuse)
{
	_cleanup_free_ char *path = NULL, *path2 = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	run_case("nologs", &in.p, NULL, NULL, &rec, &path);
	ASSERT_TRUE(rec.dirty && !rec.recovered);
	assert_detail(&rec, "no transaction log");
	hive_recovery_done(&rec);
	in.l1.data[100] ^= 1; /* base block checksum */
	in.l2.len = 100;      /* shorter than a base block */
	run_case("badlogs", &in.p, &in.l1, &in.l2, &rec, &path2);
	ASSERT_TRUE(rec.dirty && !rec.recovered);
	assert_detail(&rec, "SYSTEM.LOG1: base block checksum mismatch");
	assert_detail(&rec, "SYSTEM.LOG2: shorter than a base block");
	hive_recovery_done(&rec);
	unload(&in);
}

TEST(bad_primary_base_block_uses_latest_log)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct inputs in;

	load(&in);
	in.p.data[60] ^= 0xff; /* checksum no longer matches */
	run_case("badbase", &in.p, &in.l1, &in.l2, &rec, &path);
	/* only LOG2, the latest, as Windows does; its base block is used */
	ASSERT_TRUE(rec.bad_base_block);
	ASSERT_TRUE(rec.recovered);
	ASSERT_EQ(rec.n_logs, 1);
	ASSERT_EQ(rec.seq, LAST_SEQ);
	assert_clean_header(path, LAST_SEQ, RECOVERED_HBINS);
	hive_recovery_done(&rec);
	unload(&in);
}

/*
 * An old-format log written from the specification: a 512-byte base block
 * copy (file type 1, both sequence numbers equal, the primary's last-written
 * timestamp), the "DIRT" vector at 512 with one bit per 512-byte page of the
 * hive bins data, the dirty pages from the next sector boundary.  It carries
 * every 512-byte page in which the recovered hive differs from the primary,
 * so replaying it must give the recovered hive's hive bins byte for byte.
 */
static struct blob
old_format_log(const struct blob *primary, const struct blob *want)
{
	uint32_t hbins = (uint32_t)(want->len - HIVE_HEADER_SIZE);
	size_t bitmap = hbins / HIVE_LOG_SECTOR / 8, pages_at, n = 0;
	struct blob log;
	uint8_t *b;

	pages_at = (HIVE_LOG_SECTOR + 4 + bitmap + HIVE_LOG_SECTOR - 1) /
	           HIVE_LOG_SECTOR * HIVE_LOG_SECTOR;
	log.len = pages_at + hbins; /* at most every page */
	log.data = calloc(1, log.len);
	ASSERT_NOT_NULL(log.data);
	b = (uint8_t *)log.data;
	memcpy(b, want->data, HIVE_LOG_SECTOR);
	util_put_le32(b + HIVE_BB_SEQ1, util_le32(primary->data + 4));
	util_put_le32(b + HIVE_BB_SEQ2, util_le32(primary->data + 4));
	util_put_le64(b + HIVE_BB_TIMESTAMP,
	              util_le64(primary->data + HIVE_BB_TIMESTAMP));
	util_put_le32(b + HIVE_BB_TYPE, HIVE_FILE_LOG_OLD);
	hive_base_block_seal(b);
	memcpy(b + HIVE_LOG_SECTOR, "DIRT", 4);
	for (size_t page = 0; page < hbins / HIVE_LOG_SECTOR; page++) {
		size_t at = HIVE_HEADER_SIZE + page * HIVE_LOG_SECTOR;

		if (at + HIVE_LOG_SECTOR <= primary->len &&
		    memcmp(primary->data + at, want->data + at,
		           HIVE_LOG_SECTOR) == 0)
			continue;
		b[HIVE_LOG_SECTOR + 4 + page / 8] |=
		        (uint8_t)(1u << (page % 8));
		memcpy(b + pages_at + HIVE_LOG_SECTOR * n++, want->data + at,
		       HIVE_LOG_SECTOR);
	}
	ASSERT_TRUE(n > 0);
	log.len = pages_at + HIVE_LOG_SECTOR * n;
	return log;
}

TEST(old_format_log)
{
	_cleanup_free_ char *path = NULL, *path2 = NULL;
	struct hive_recovery rec = {0};
	struct blob want = slurp(recovered()), log, got;
	struct inputs in;

	load(&in);
	log = old_format_log(&in.p, &want);
	/* alone, as SYSTEM.LOG1 (Vista to 8.0 named them so) */
	run_case("old", &in.p, &log, NULL, &rec, &path);
	ASSERT_TRUE(rec.recovered);
	ASSERT_NOT_NULL(strstr(rec.logs, "SYSTEM.LOG1 (old format"));
	got = slurp(path);
	ASSERT_EQ(got.len, want.len);
	ASSERT_MEMEQ(got.data + HIVE_HEADER_SIZE, want.data + HIVE_HEADER_SIZE,
	             want.len - HIVE_HEADER_SIZE);
	ASSERT_TRUE(!hive_header_dirty(got.data, got.len));
	free(got.data);
	hive_recovery_done(&rec);

	/* written for another state of the hive: refused, named */
	util_put_le64(log.data + HIVE_BB_TIMESTAMP, 12345);
	hive_base_block_seal((uint8_t *)log.data);
	run_case("old-ts", &in.p, &log, NULL, &rec, &path2);
	ASSERT_TRUE(rec.dirty && !rec.recovered);
	assert_detail(&rec, "SYSTEM.LOG1: written for another state");
	hive_recovery_done(&rec);
	free(log.data);
	free(want.data);
	unload(&in);
}

/*
 * A second old-format log for the same state of the primary (same
 * timestamp) but one sequence number older, as Windows 8 leaves the log it
 * wrote before the other one: it holds one page, the primary's own first
 * sector of hive bins, so that replaying it instead of the newer log cannot
 * give the recovered hive.
 */
static struct blob
older_old_format_log(const struct blob *primary, const struct blob *newer)
{
	uint32_t hbins = util_le32(newer->data + HIVE_BB_HBINS_SIZE);
	size_t bitmap = hbins / HIVE_LOG_SECTOR / 8, pages_at;
	struct blob log;
	uint8_t *b;

	pages_at = (HIVE_LOG_SECTOR + 4 + bitmap + HIVE_LOG_SECTOR - 1) /
	           HIVE_LOG_SECTOR * HIVE_LOG_SECTOR;
	log.len = pages_at + HIVE_LOG_SECTOR;
	log.data = calloc(1, log.len);
	ASSERT_NOT_NULL(log.data);
	b = (uint8_t *)log.data;
	memcpy(b, newer->data, HIVE_LOG_SECTOR);
	util_put_le32(b + HIVE_BB_SEQ1, util_le32(b + HIVE_BB_SEQ1) - 1);
	util_put_le32(b + HIVE_BB_SEQ2, util_le32(b + HIVE_BB_SEQ1));
	hive_base_block_seal(b);
	memcpy(b + HIVE_LOG_SECTOR, "DIRT", 4);
	b[HIVE_LOG_SECTOR + 4] = 1;
	memcpy(b + pages_at, primary->data + HIVE_HEADER_SIZE, HIVE_LOG_SECTOR);
	return log;
}

TEST(old_format_two_logs_newer_is_replayed)
{
	struct hive_recovery rec = {0};
	struct blob want = slurp(recovered()), newer, older, got;
	struct inputs in;

	load(&in);
	newer = old_format_log(&in.p, &want);
	older = older_old_format_log(&in.p, &newer);
	/* both written for this state: the newer one, whatever its name */
	for (int swap = 0; swap < 3; swap++) {
		_cleanup_free_ char *path = NULL;
		const char *tags[] = {"old2-newer-log2", "old2-newer-log1",
		                      "old2-stale-log1"};

		if (swap == 2) {
			/* an older log for another state: named, not used */
			util_put_le64(older.data + HIVE_BB_TIMESTAMP, 12345);
			hive_base_block_seal((uint8_t *)older.data);
		}
		run_case(tags[swap], &in.p, swap == 1 ? &newer : &older,
		         swap == 1 ? &older : &newer, &rec, &path);
		ASSERT_TRUE(rec.recovered);
		ASSERT_NOT_NULL(
		        strstr(rec.logs, swap == 1 ? "SYSTEM.LOG1 (old format"
		                                   : "SYSTEM.LOG2 (old "
		                                     "format"));
		ASSERT_EQ(rec.n_logs, 1u);
		got = slurp(path);
		ASSERT_EQ(got.len, want.len);
		ASSERT_MEMEQ(got.data + HIVE_HEADER_SIZE,
		             want.data + HIVE_HEADER_SIZE,
		             want.len - HIVE_HEADER_SIZE);
		ASSERT_TRUE(!hive_header_dirty(got.data, got.len));
		free(got.data);
		if (swap == 2)
			assert_detail(&rec, "SYSTEM.LOG1: written for another "
			                    "state");
		hive_recovery_done(&rec);
	}
	/* the older one alone replays its own page: not the recovered hive */
	{
		_cleanup_free_ char *path = NULL;

		util_put_le64(older.data + HIVE_BB_TIMESTAMP,
		              util_le64(newer.data + HIVE_BB_TIMESTAMP));
		hive_base_block_seal((uint8_t *)older.data);
		run_case("old2-older-alone", &in.p, &older, NULL, &rec, &path);
		got = slurp(path);
		ASSERT_TRUE(!rec.recovered || got.len != want.len ||
		            memcmp(got.data + HIVE_HEADER_SIZE,
		                   want.data + HIVE_HEADER_SIZE,
		                   want.len - HIVE_HEADER_SIZE) != 0);
		free(got.data);
		hive_recovery_done(&rec);
	}
	free(newer.data);
	free(older.data);
	free(want.data);
	unload(&in);
}

TEST(reset_logs_replay_nothing)
{
	_cleanup_free_ char *path = NULL;
	struct hive_recovery rec = {0};
	struct blob clean = slurp(recovered()), r1, r2;
	struct inputs in;

	load(&in);
	ASSERT_OK(hive_log_reset(clean.data, clean.len, in.l1.data, in.l1.len,
	                         (uint8_t **)&r1.data, &r1.len));
	ASSERT_OK(hive_log_reset(clean.data, clean.len, in.l2.data, in.l2.len,
	                         (uint8_t **)&r2.data, &r2.len));
	ASSERT_EQ(r1.len, HIVE_LOG_SECTOR);
	ASSERT_EQ(r2.len, HIVE_LOG_SECTOR);
	ASSERT_EQ(util_le32(r1.data + HIVE_BB_SEQ1), LAST_SEQ);
	ASSERT_EQ(util_le32(r1.data + HIVE_BB_TYPE), HIVE_FILE_LOG_NEW);
	/* a dirty primary cannot be the reference */
	ASSERT_ERR(hive_log_reset(in.p.data, in.p.len, in.l1.data, in.l1.len,
	                          (uint8_t **)&r1.data, &r1.len),
	           -EINVAL);
	/* even if the (clean) primary turned dirty later, the reset logs hold
	 * nothing to replay over it */
	set_primary_seqs(&clean, LAST_SEQ + 1, LAST_SEQ);
	run_case("reset", &clean, &r1, &r2, &rec, &path);
	ASSERT_TRUE(rec.dirty && !rec.recovered);
	assert_detail(&rec, "SYSTEM.LOG1: no entry with sequence number");
	hive_recovery_done(&rec);
	free(r1.data);
	free(r2.data);
	free(clean.data);
	unload(&in);
}

TEST(marvin32_known_answer)
{
	/* the hash-2 of the corpus's first LOG1 entry, as stored there */
	struct blob l1;

	inputs();
	l1 = slurp(in_log1);
	ASSERT_EQ(hive_marvin32(l1.data + HIVE_LOG_SECTOR, 32,
	                        HIVE_MARVIN32_SEED),
	          util_le64(l1.data + HIVE_LOG_SECTOR + 32));
	free(l1.data);
}

TEST(cli_recover_writes_the_recovered_hive)
{
	const char *imgfix = tests_build_exe("fixup/imgfix");
	_cleanup_free_ char *dir = case_dir("cli"), *out = NULL, *cmd = NULL;
	struct blob want = slurp(recovered()), got, log_after;
	struct inputs in;

	load(&in);
	free(put(dir, "SYSTEM", in.p.data, in.p.len));
	free(put(dir, "SYSTEM.LOG1", in.l1.data, in.l1.len));
	free(put(dir, "SYSTEM.LOG2", in.l2.data, in.l2.len));
	out = util_path_join(dir, "clean");
	ASSERT_OK(util_asprintf(&cmd, "'%s' hive recover '%s/SYSTEM' -o '%s'",
	                        imgfix, dir, out));
	ASSERT_EQ(hive_test_run(cmd), 0);
	/* what hive_recover_file() gives: dumped equal to yarp's above */
	got = slurp(out);
	ASSERT_EQ(got.len, want.len);
	ASSERT_MEMEQ(got.data, want.data, want.len);
	assert_clean_header(out, LAST_SEQ, RECOVERED_HBINS);
	free(got.data);
	/* the inputs are untouched */
	{
		_cleanup_free_ char *p = util_path_join(dir, "SYSTEM"),
		                    *l = util_path_join(dir, "SYSTEM.LOG2");

		got = slurp(p);
		log_after = slurp(l);
	}
	ASSERT_EQ(got.len, in.p.len);
	ASSERT_MEMEQ(got.data, in.p.data, in.p.len);
	ASSERT_EQ(log_after.len, in.l2.len);
	ASSERT_MEMEQ(log_after.data, in.l2.data, in.l2.len);
	/* an existing OUT is not overwritten */
	ASSERT_EQ(hive_test_run(cmd), 1);
	free(got.data);
	free(log_after.data);
	free(want.data);
	unload(&in);
}
