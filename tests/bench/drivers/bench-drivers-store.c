/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark of a driver store at scale (issue 17): a store of 20,000 INFs
 * (>= 500 MiB) built at run time from the corpus INFs, each copy under its
 * own name and folder with its own hardware IDs (every ID of its models
 * lines suffixed with the copy number) and localized [Strings.LLLL]
 * sections up to 20-28 KiB of text, written as UTF-16LE, UTF-8 with a BOM
 * or Windows-1252 in turn.  Measures, each scan in a child process (peak
 * RSS from wait4()): the cold scan (no catalog cache) time, MiB/s, MiB/s
 * per core and peak RSS; the warm scan (catalog cache, nothing changed:
 * median wall and CPU time of several runs, and their ratio to the goal,
 * with the load average, as other work on the machine shows in wall
 * time); the parser
 * alone on one core.  Prints the figures, the goals and the ratios to the
 * parser before issue 17 (BASELINE_*, measured on the same store before the
 * change).  Asserts nothing timed; fails only when a scan fails.
 *
 * The store is built under $IMGFIX_BENCH_DIR, else the build dir, else
 * $TMPDIR, and reused while its recipe stamp matches.  Skips (77) without
 * the corpus.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "drivers.h"
#include "util.h"

#define STORE_INFS 20000
#define STORE_MIN_BYTES (500ull * 1024 * 1024)
#define STORE_RECIPE "bench-drivers-store v2"
#define TARGET_MIN (20 * 1024)
#define TARGET_SPREAD (8 * 1024)
#define MAX_SOURCES 1024
#define COLD_RUNS 3
#define WARM_RUNS 9
/* Warm scans before the measured ones: the cache file created in the
 * store's root changed the root's mtime, so the next scans list the root
 * again (once, or twice within the timestamp tick) and settle. */
#define SETTLE_RUNS 4
#define WARM_GOAL_MS 50.0
#define PARSE_SAMPLE 2000

/* The parser before issue 17 on this store, measured with this benchmark
 * (the catalog-cache calls left out) at commit 53f6d63 on the 2-core
 * machine of the issue while other builds ran (load average 15-25): best
 * of 4 cold scans (wall time best of 3), and the parser alone in CPU time.
 * The figures the ratios compare to. */
#define BASELINE_COLD_S 26.51
#define BASELINE_COLD_CPU_S 4.95
#define BASELINE_RSS_MIB 1625.2
#define BASELINE_PARSE_MIBS 191.0

static const char *const locales[] = {"0407", "040C", "0410", "0411",
                                      "0416", "0419", "0C0A", "0804"};

struct source {
	char *name;      /* base name without extension */
	char *text;      /* UTF-8, $ARCH$ stamped */
	char **sections; /* models sections (their IDs vary per copy) */
};

static struct source sources[MAX_SOURCES];
static size_t n_sources;

struct buf {
	char *p;
	size_t n, a;
};

static int
buf_add(struct buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->a) {
		size_t a = MAX(b->a * 2, b->n + n + 1);
		char *p = realloc(b->p, a);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->a = a;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
static int
buf_printf(struct buf *b, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		s = NULL;
		return -ENOMEM;
	}
	return buf_add(b, s, (size_t)r);
}

static char *
stamp(const char *text)
{
	struct buf b = {0};
	const char *p = text, *q;

	while ((q = strstr(p, "$ARCH$"))) {
		if (buf_add(&b, p, (size_t)(q - p)) < 0 ||
		    buf_add(&b, "amd64", 5) < 0)
			goto fail;
		p = q + 6;
	}
	if (buf_add(&b, p, strlen(p)) < 0)
		goto fail;
	return b.p;
fail:
	free(b.p);
	return NULL;
}

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	_cleanup_free_ char *raw = NULL, *utf8 = NULL;
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	struct drivers_model *m = NULL;
	size_t len, n = 0;
	struct source *s;
	const char *base;

	if (type != FTW_F || n_sources >= MAX_SOURCES ||
	    !(util_endswith_case(path, ".inf") ||
	      util_endswith_case(path, ".inx")))
		return 0;
	if (util_read_file(path, DRIVERS_MAX_INF_SIZE, &raw, &len) < 0)
		return 0;
	if (len >= 2 && (uint8_t)raw[0] == 0xFF && (uint8_t)raw[1] == 0xFE) {
		if (util_utf16le_to_utf8(raw + 2, len - 2, &utf8, &len) < 0)
			return 0;
	} else
		utf8 = TAKE_PTR(raw);
	s = &sources[n_sources];
	*s = (struct source){0};
	s->text = stamp(utf8);
	base = strrchr(path, '/');
	s->name = strndup(base + 1, strlen(base + 1) - 4);
	if (!s->text || !s->name)
		return -1;
	if (drivers_inf_parse_buffer(path, s->text, strlen(s->text), NULL, &inf,
	                             NULL) >= 0 &&
	    drivers_inf_models(inf, NULL, &m, &n, NULL) >= 0)
		for (size_t i = 0; i < n; i++)
			if (!util_strv_contains(s->sections,
			                        m[i].models_section) &&
			    util_strv_push(&s->sections, m[i].models_section) <
			            0)
				return -1;
	drivers_models_free(m, n);
	n_sources++;
	return 0;
}

/* UTF-8 -> Windows-1252 when every character is Latin-1 outside
 * 0x80..0x9F; else NULL (the copy is written as UTF-8 then). */
static char *
to_cp1252(const char *s, size_t n, size_t *ret_n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c < 0x80)
			*o++ = (char)c;
		else if ((c == 0xC2 || c == 0xC3) && i + 1 < n &&
		         (c == 0xC3 || (uint8_t)s[i + 1] >= 0xA0)) {
			*o++ = (char)(((c & 0x1F) << 6) |
			              ((uint8_t)s[i + 1] & 0x3F));
			i++;
		} else {
			free(out);
			return NULL;
		}
	}
	*ret_n = (size_t)(o - out);
	return out;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -EIO;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
write_copy(const char *path, size_t k, const char *text, size_t n)
{
	_cleanup_free_ void *w = NULL;
	_cleanup_free_ char *cp = NULL;
	_cleanup_close_ int fd = -1;
	size_t wn = 0;
	int r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	switch (k % 3) {
	case 0: /* UTF-16LE with a BOM */
		if (util_utf8_to_utf16le(text, n, &w, &wn) < 0)
			return -ENOMEM;
		r = write_all(fd, "\xFF\xFE", 2);
		if (r >= 0)
			r = write_all(fd, w, wn);
		return r;
	case 1: /* UTF-8 with a BOM */
		r = write_all(fd, "\xEF\xBB\xBF", 3);
		return r < 0 ? r : write_all(fd, text, n);
	default: /* Windows-1252 (UTF-8 when it does not fit) */
		cp = to_cp1252(text, n, &wn);
		return cp ? write_all(fd, cp, wn) : write_all(fd, text, n);
	}
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Appends line (without its line end) with every ID of a models line
 * given the copy's suffix, so no two copies share an ID. */
static int
add_models_line(struct buf *b, const char *line, size_t n, size_t k)
{
	const char *eq = memchr(line, '=', n), *semi = memchr(line, ';', n);
	const char *end = semi ? semi : line + n, *p, *comma;
	bool first = true;

	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (!eq || eq > end || end[-1] == '\\' || memchr(line, '"', n))
		return buf_add(b, line, n);
	if (buf_add(b, line, (size_t)(eq + 1 - line)) < 0)
		return -ENOMEM;
	for (p = eq + 1; p < end; p = comma + 1) {
		const char *fe;

		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			comma = end;
		fe = comma;
		while (fe > p && (fe[-1] == ' ' || fe[-1] == '\t'))
			fe--;
		if ((!first && buf_add(b, ",", 1) < 0) ||
		    buf_add(b, p, (size_t)(fe - p)) < 0)
			return -ENOMEM;
		if (!first && fe > p && buf_printf(b, "&B%05zu", k) < 0)
			return -ENOMEM;
		first = false;
		if (comma == end)
			break;
	}
	return buf_add(b, end, (size_t)(line + n - end));
}

/* Copy k of its source: its own models IDs, strings up to the target
 * size (localized sections are parsed but not kept by the catalog). */
static int
make_copy(size_t k, struct buf *b, uint64_t *seed)
{
	const struct source *s = &sources[k % n_sources];
	size_t target = TARGET_MIN + rnd(seed) % TARGET_SPREAD;
	bool models = false;

	b->n = 0;
	if (buf_printf(b, "; copy %zu of %s\r\n", k, s->name) < 0)
		return -ENOMEM;
	for (const char *p = s->text; *p;) {
		size_t n = strcspn(p, "\r\n"), h = strspn(p, " \t");
		int r;

		if (p[h] == '[') {
			const char *close = memchr(p + h, ']', n - h);
			_cleanup_free_ char *name =
			        close ? strndup(p + h + 1,
			                        (size_t)(close - p - h - 1))
			              : NULL;

			models = name &&
			         util_strv_contains_case(s->sections, name);
			r = buf_add(b, p, n);
		} else
			r = models ? add_models_line(b, p, n, k)
			           : buf_add(b, p, n);
		if (r < 0 || buf_add(b, "\r\n", 2) < 0)
			return -ENOMEM;
		p += n;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	for (size_t l = 0; b->n < target; l++) {
		if (buf_printf(b, "\r\n[Strings.%s]\r\n",
		               locales[l % ELEMENTSOF(locales)]) < 0)
			return -ENOMEM;
		for (size_t j = 0; j < 40 && b->n < target; j++)
			if (buf_printf(
			            b,
			            "loc.%zu.%zu = \"Ger\xC3\xA4t %zu, "
			            "caf\xC3\xA9 %zu, %%%%, "
			            "\xC3\xBC\xC3\xB1\xC3\xAF\xC3\xA7\xC3\xB8"
			            "d\xC3\xA9 line %zu\" ; note %zu\r\n",
			            l, j, k, l, j,
			            (size_t)rnd(seed) % 1000) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int
build_store(const char *dir, unsigned long long *ret_bytes)
{
	_cleanup_free_ char *stampf = util_path_join(dir, "RECIPE");
	_cleanup_free_ char *have = NULL;
	struct buf b = {0};
	unsigned long long bytes = 0;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	size_t len;
	int r = 0;

	if (!stampf)
		return -ENOMEM;
	if (util_read_file(stampf, 4096, &have, &len) >= 0 &&
	    sscanf(have, STORE_RECIPE " %llu", &bytes) == 1) {
		*ret_bytes = bytes;
		return 0; /* built by an earlier run */
	}
	(void)util_rm_rf(dir);
	r = util_mkdir_p(dir);
	if (r < 0)
		return r;
	for (size_t k = 0; k < STORE_INFS && r >= 0; k++) {
		const struct source *s = &sources[k % n_sources];
		_cleanup_free_ char *sub = NULL, *path = NULL;
		struct stat st;

		if (util_asprintf(&sub, "%s/pkg%05zu", dir, k) < 0 ||
		    util_asprintf(&path, "%s/%s_%zu.inf", sub, s->name, k) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = util_mkdir_p(sub);
		if (r >= 0)
			r = make_copy(k, &b, &seed);
		if (r >= 0)
			r = write_copy(path, k, b.p, b.n);
		if (r >= 0 && stat(path, &st) == 0)
			bytes += (unsigned long long)st.st_size;
	}
	free(b.p);
	if (r < 0)
		return r;
	{
		_cleanup_free_ char *line = NULL;

		if (util_asprintf(&line, STORE_RECIPE " %llu\n", bytes) < 0)
			return -ENOMEM;
		r = util_write_file_atomic(stampf, line, strlen(line));
	}
	*ret_bytes = bytes;
	return r;
}

struct run {
	double seconds;
	double cpu; /* user + system seconds of the scan's process */
	double rss_mib;
	size_t packages, errors;
	size_t parsed, listed; /* INFs parsed, directories listed */
};

/* One scan in a child: its wall time, package count and peak RSS. */
static int
scan_child(const char *store, bool no_cache, struct run *ret)
{
	int fds[2];
	pid_t pid;
	struct rusage ru;
	int status;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct drivers_store *s = NULL;
		char *err = NULL;
		struct run out = {0};
		int64_t t0;

		close(fds[0]);
		if (drivers_store_new(&s) < 0)
			_exit(1);
		drivers_store_set_cache(s, !no_cache);
		t0 = util_now_ns();
		if (drivers_store_add(s, store, &err) < 0) {
			fprintf(stderr, "scan failed: %s\n", err ? err : "?");
			_exit(1);
		}
		out.seconds = (double)(util_now_ns() - t0) / 1e9;
		out.packages = drivers_store_n_packages(s);
		out.parsed = drivers_store_n_parsed(s);
		out.listed = drivers_store_n_listed(s);
		for (size_t i = 0; i < out.packages; i++)
			out.errors +=
			        drivers_store_package(s, i)->error != NULL;
		if (write(fds[1], &out, sizeof(out)) != sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], ret, sizeof(*ret)) != sizeof(*ret)) {
		close(fds[0]);
		(void)wait4(pid, &status, 0, &ru);
		return -EIO;
	}
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -EIO;
	ret->rss_mib = (double)ru.ru_maxrss / 1024.0;
	ret->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return 0;
}

static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The parser alone on one core over the first PARSE_SAMPLE INFs, timed in
 * CPU time of this thread (the machine may be busy). */
static int
parse_alone(const char *store, double *ret_mibs)
{
	double bytes = 0, t = 0;

	for (size_t k = 0; k < PARSE_SAMPLE && k < STORE_INFS; k++) {
		const struct source *s = &sources[k % n_sources];
		_cleanup_free_ char *path = NULL, *buf = NULL;
		struct drivers_inf *inf = NULL;
		size_t len;
		double t0;

		if (util_asprintf(&path, "%s/pkg%05zu/%s_%zu.inf", store, k,
		                  s->name, k) < 0)
			return -ENOMEM;
		if (util_read_file(path, DRIVERS_MAX_INF_SIZE, &buf, &len) < 0)
			return -EIO;
		t0 = thread_cpu_s();
		if (drivers_inf_parse_buffer(path, buf, len, NULL, &inf,
		                             NULL) >= 0)
			drivers_inf_free(inf);
		t += thread_cpu_s() - t0;
		bytes += (double)len;
	}
	*ret_mibs = bytes / (1024.0 * 1024.0) / t;
	return 0;
}

/* What a warm scan cannot do without: a stat of every directory and
 * every INF of the store (the cache's keys), on one thread.  The floor
 * under its CPU time. */
static double
stat_floor(const char *store)
{
	struct stat st;
	double t0 = thread_cpu_s();

	for (size_t k = 0; k < STORE_INFS; k++) {
		const struct source *s = &sources[k % n_sources];
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/pkg%05zu", store, k);
		if (stat(path, &st) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/pkg%05zu/%s_%zu.inf", store, k,
		         s->name, k);
		if (stat(path, &st) < 0)
			return -1;
	}
	return thread_cpu_s() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
ratio(const char *what, double now, double before, bool lower_better)
{
	if (before <= 0) {
		printf("  %s: no baseline recorded\n", what);
		return;
	}
	printf("  %s: %.1fx %s than before issue 17\n", what,
	       lower_better ? before / now : now / before,
	       lower_better ? "less" : "more");
}

int
main(void)
{
	const char *corpus = getenv("IMGFIX_CORPUS");
	const char *where = getenv("IMGFIX_BENCH_DIR");
	_cleanup_free_ char *infdir = NULL, *store = NULL;
	unsigned long long bytes = 0;
	struct run cold = {.seconds = 1e9}, warm = {.seconds = 1e9}, x;
	double cold_cpu = 1e9, floor_s = 1e9;
	double warm_wall[WARM_RUNS], warm_cpu[WARM_RUNS], load[3] = {0};
	double warm_med, warm_cpu_med;
	size_t warm_listed = 0, warm_parsed = 0;
	int n_settle;
	struct run writing;
	double mib, parse_mibs = 0, best_parse = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	if (!corpus || access(corpus, R_OK) < 0) {
		fprintf(stderr, "corpus not found, skipping\n");
		return 77;
	}
	if (!where)
		where = getenv("IMGFIX_BUILD_ROOT");
	if (!where)
		where = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	infdir = util_path_join(corpus, "inf");
	store = util_path_join(where, "bench-drivers-store");
	if (!infdir || !store)
		return 1;
	if (nftw(infdir, collect, 16, FTW_PHYS) < 0 || n_sources == 0) {
		fprintf(stderr, "no INFs under %s\n", infdir);
		return 1;
	}
	printf("building the store in %s from %zu corpus INFs ...\n", store,
	       n_sources);
	fflush(stdout);
	r = build_store(store, &bytes);
	if (r < 0) {
		fprintf(stderr, "cannot build the store: %s\n", strerror(-r));
		return 1;
	}
	mib = (double)bytes / (1024.0 * 1024.0);
	printf("store: %d INFs, %.1f MiB%s (UTF-16LE, UTF-8+BOM, "
	       "Windows-1252 in turn)\n",
	       STORE_INFS, mib,
	       bytes < STORE_MIN_BYTES ? " (below the 500 MiB asked)" : "");

	for (int i = 0; i < COLD_RUNS; i++) {
		if (scan_child(store, true, &x) < 0)
			return 1;
		if (x.seconds < cold.seconds)
			cold = x;
		cold_cpu = MIN(cold_cpu, x.cpu);
	}
	/* The first cached scan writes the cache; the next ones use it. */
	{
		_cleanup_free_ char *cache =
		        util_path_join(store, ".imgfix-catalog");

		if (!cache || (unlink(cache) < 0 && errno != ENOENT))
			return 1;
	}
	if (scan_child(store, false, &writing) < 0)
		return 1;
	for (n_settle = 0; n_settle < SETTLE_RUNS; n_settle++) {
		if (scan_child(store, false, &x) < 0)
			return 1;
		if (x.listed == 0 && x.parsed == 0)
			break;
	}
	getloadavg(load, 3);
	for (int i = 0; i < WARM_RUNS; i++) {
		if (scan_child(store, false, &x) < 0)
			return 1;
		warm_wall[i] = x.seconds;
		warm_cpu[i] = x.cpu;
		if (x.seconds < warm.seconds)
			warm = x;
		warm_listed += x.listed;
		warm_parsed += x.parsed;
	}
	for (int i = 0; i < WARM_RUNS; i++) {
		double w = stat_floor(store);

		if (w >= 0)
			floor_s = MIN(floor_s, w);
	}
	for (int i = 0; i < COLD_RUNS; i++) {
		if (parse_alone(store, &parse_mibs) < 0)
			return 1;
		best_parse = MAX(best_parse, parse_mibs);
	}

	cold.cpu = cold_cpu;
	printf("cold scan (no cache), best of %d: %.2f s wall, %.0f MiB/s; "
	       "%.2f s CPU, %.0f MiB per CPU-second (per core; %ld cores); "
	       "peak RSS %.1f MiB; %zu packages, %zu unusable\n",
	       COLD_RUNS, cold.seconds, mib / cold.seconds, cold.cpu,
	       mib / cold.cpu, cpus, cold.rss_mib, cold.packages, cold.errors);
	printf("cold scan writing the cache: %.2f s wall, %.2f s CPU, peak "
	       "RSS %.1f MiB\n",
	       writing.seconds, writing.cpu, writing.rss_mib);
	warm_med = median(warm_wall, WARM_RUNS);
	warm_cpu_med = median(warm_cpu, WARM_RUNS);
	printf("warm scan (cache, nothing changed; after %d settling "
	       "scan(s)), %d runs at load average %.2f: median %.1f ms wall "
	       "(best %.1f), median %.1f ms CPU; peak RSS %.1f MiB; %zu "
	       "directories listed, %zu INFs parsed in all\n",
	       n_settle + 1, WARM_RUNS, load[0], warm_med * 1e3,
	       warm.seconds * 1e3, warm_cpu_med * 1e3, warm.rss_mib,
	       warm_listed, warm_parsed);
	printf("warm scan vs its goal (< %.0f ms): wall %.2fx the goal, CPU "
	       "%.2fx the goal\n",
	       WARM_GOAL_MS, warm_med * 1e3 / WARM_GOAL_MS,
	       warm_cpu_med * 1e3 / WARM_GOAL_MS);
	printf("floor under the warm scan's CPU time: a stat of every "
	       "directory and INF (%d), one thread, best of %d: %.1f ms CPU\n",
	       2 * STORE_INFS, WARM_RUNS, floor_s * 1e3);
	printf("parser alone, one core, first %d INFs: %.0f MiB per "
	       "CPU-second\n",
	       PARSE_SAMPLE, best_parse);
	printf("goals: cold >= 200 MiB/s per core, warm < 50 ms, peak RSS "
	       "< 64 MiB\n");
	printf("ratios to the parser before issue 17 (recorded figures):\n");
	ratio("cold scan wall time", cold.seconds, BASELINE_COLD_S, true);
	ratio("cold scan CPU time", cold.cpu, BASELINE_COLD_CPU_S, true);
	ratio("peak RSS", cold.rss_mib, BASELINE_RSS_MIB, true);
	ratio("parser throughput", best_parse, BASELINE_PARSE_MIBS, false);
	if (BASELINE_COLD_S > 0)
		printf("  warm scan vs the scan before issue 17: %.0fx "
		       "faster\n",
		       BASELINE_COLD_S / warm_med);
	return 0;
}
