/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark of hive/: open the real 11 MiB Windows 10 SYSTEM hive for
 * writing, apply 20 edits (a driver-injection-sized change), commit to a
 * new file, close — repeated, printing the median and spread of each phase
 * and the peak RSS of the process.  Targets: < 50 ms, < 48 MiB.
 *
 *   bench-hive [HIVE] [RUNS]     (default: the corpus hive, 21 runs)
 *
 * Exit 77 when the corpus is absent and no HIVE is given.
 */
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "hive.h"
#include "util.h"

#define DEFAULT_RUNS 21
#define MAX_RUNS 1000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("  %-28s median %7.2f ms   min %7.2f   max %7.2f\n", what,
	       v[n / 2], v[0], v[n - 1]);
}

/* Twenty edits of the kind driver injection produces. */
static int
build_edits(struct hive_edits *l)
{
	static const char *const svc = "ControlSet001\\Services\\viostor";
	static const char *const cls =
	        "ControlSet001\\Control\\Class\\{4d36e967-e325-11ce-bfc1-"
	        "08002be10318}";
	char *owners[] = {"viostor.inf", NULL};
	char key[128];
	int r = 0;

	r |= hive_edits_set_dword(l, svc, "Type", 1);
	r |= hive_edits_set_dword(l, svc, "Start", 0);
	r |= hive_edits_set_dword(l, svc, "ErrorControl", 1);
	r |= hive_edits_set_sz(l, svc, "Group", HIVE_T_SZ, "SCSI miniport");
	r |= hive_edits_set_sz(l, svc, "ImagePath", HIVE_T_EXPAND_SZ,
	                       "System32\\drivers\\viostor.sys");
	r |= hive_edits_set_multi_sz(l, svc, "Owners", owners);
	r |= hive_edits_set_dword(l,
	                          "ControlSet001\\Services\\viostor\\"
	                          "Parameters\\PnpInterface",
	                          "5", 1);
	r |= hive_edits_set_dword(l, "ControlSet001\\Services\\atapi", "Start",
	                          0);
	r |= hive_edits_multi_sz_add(l, cls, "UpperFilters", "vioflt");
	r |= hive_edits_multi_sz_remove(l, cls, "UpperFilters", "vioflt");
	r |= hive_edits_delete_value(l, "ControlSet001\\Services\\disk",
	                             "AutoRunAlwaysDisable");
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key),
		         "ControlSet001\\Enum\\PCI\\VEN_1AF4&DEV_1001\\%d", i);
		r |= hive_edits_set_sz(l, key, "Service", HIVE_T_SZ, "viostor");
	}
	r |= hive_edits_delete_key(l, "ControlSet001\\Enum\\PCI\\"
	                              "VEN_1AF4&DEV_1001\\7");
	return r < 0 ? -ENOMEM : (l->n == 20 ? 0 : -EINVAL);
}

static int
run_pass(const char *hive, const char *out, const struct hive_edits *l,
         size_t runs, const char *label)
{
	double t_open[MAX_RUNS], t_apply[MAX_RUNS], t_commit[MAX_RUNS],
	        t_total[MAX_RUNS];
	int r;

	for (size_t i = 0; i < runs; i++) {
		struct hive *h = NULL;
		double t0, t1, t2, t3;
		size_t failed = 0;

		(void)unlink(out);
		t0 = now_ms();
		r = hive_open(hive, HIVE_OPEN_WRITE, &h);
		if (r < 0) {
			fprintf(stderr, "open: %s\n", strerror(-r));
			return r;
		}
		t1 = now_ms();
		r = hive_apply_edits(h, l->v, l->n, &failed);
		if (r < 0) {
			fprintf(stderr, "edit %zu: %s\n", failed,
			        hive_last_error(h));
			hive_free(h);
			return r;
		}
		t2 = now_ms();
		r = hive_commit(h, out);
		if (r < 0) {
			fprintf(stderr, "commit: %s\n", hive_last_error(h));
			hive_free(h);
			return r;
		}
		hive_free(h);
		t3 = now_ms();
		t_open[i] = t1 - t0;
		t_apply[i] = t2 - t1;
		t_commit[i] = t3 - t2;
		t_total[i] = t3 - t0;
	}
	printf(" %s:\n", label);
	report("open (HIVE_OPEN_WRITE)", t_open, runs);
	report("apply 20 edits", t_apply, runs);
	report("commit (write + fsync)", t_commit, runs);
	report("total", t_total, runs);
	return 0;
}

int
main(int argc, char **argv)
{
	_cleanup_free_ char *tmp = NULL, *hive = NULL, *out = NULL;
	struct hive_edits l = {0};
	size_t runs = DEFAULT_RUNS;
	struct rusage ru;
	struct stat st;

	if (util_mkdtemp("bench-hive", &tmp) < 0)
		return 1;
	if (argc > 2)
		runs = (size_t)strtoul(argv[2], NULL, 10);
	if (runs < 1 || runs > MAX_RUNS)
		runs = DEFAULT_RUNS;
	if (argc > 1)
		hive = strdup(argv[1]);
	else {
		const char *corpus = getenv("IMGFIX_CORPUS");
		_cleanup_free_ char *cmd = NULL;

		hive = util_path_join(tmp, "SYSTEM");
		if (!corpus || !hive ||
		    util_asprintf(&cmd,
		                  "xz -dc '%s/hives/win10-19041/SYSTEM.xz' > "
		                  "'%s'",
		                  corpus, hive) < 0 ||
		    system(cmd) != 0) {
			fprintf(stderr, "SKIP: corpus hive not available\n");
			(void)util_rmdtemp(tmp);
			return 77;
		}
	}
	out = util_path_join(tmp, "SYSTEM.new");
	if (!hive || !out || build_edits(&l) < 0 || stat(hive, &st) < 0)
		return 1;

	printf("hive: open + %zu edits + commit of %s (%.1f MiB), %zu runs\n",
	       l.n, argc > 1 ? hive : "win10-19041/SYSTEM",
	       (double)st.st_size / (1024.0 * 1024.0), runs);
	if (run_pass(hive, out, &l, runs, "glibc malloc defaults") < 0)
		return 1;
	/*
	 * After the first 11 MiB buffer is freed, glibc raises its dynamic
	 * mmap threshold, so later hive buffers come from the heap and
	 * hivex's realloc when the hive grows copies the whole hive
	 * (~5-10 ms).  A fixed threshold keeps large buffers mmap'd
	 * (realloc = mremap): what a process opening several hives sees
	 * with mallopt(M_MMAP_THRESHOLD, 1 MiB).
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (run_pass(hive, out, &l, runs, "M_MMAP_THRESHOLD fixed at 1 MiB") <
	    0)
		return 1;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 1;
	printf("  peak RSS %.1f MiB   (targets: total < 50 ms, RSS < 48 "
	       "MiB)\n",
	       (double)ru.ru_maxrss / 1024.0);
	hive_edits_done(&l);
	(void)util_rmdtemp(tmp);
	return 0;
}
