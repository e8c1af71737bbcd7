/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark of drivers/: scanning a virtio-win-shaped store built from
 * virt-v2v's file list (~2,000 files), and parsing every INF/INX of the
 * corpus repeatedly until at least 1,000 parses.  Prints figures; the
 * targets are < 100 ms for the store and < 0.5 s per 1,000 INFs.
 */
#include <ftw.h>
#include <time.h>

#include "drivers.h"
#include "store-builder.h"

#define REPEAT_SCAN 10
#define MIN_PARSES 1000
#define MAX_FILES 4096

static char *inf_paths[MAX_FILES];
static size_t n_inf;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F && n_inf < MAX_FILES &&
	    (util_endswith_case(path, ".inf") ||
	     util_endswith_case(path, ".inx") ||
	     util_endswith_case(path, ".inf.in")))
		inf_paths[n_inf++] = strdup(path);
	return 0;
}

int
main(void)
{
	const char *corpus = getenv("IMGFIX_CORPUS");
	_cleanup_free_ char *list = NULL, *infdir = NULL, *tmp = NULL,
	                    *store = NULL;
	struct drivers_inf_options o = {.stamp_arch = "amd64"};
	double best = 1e9, t0, total;
	size_t parses = 0, packages = 0;
	int files, r;

	if (!corpus || access(corpus, R_OK) < 0) {
		fprintf(stderr, "corpus not found, skipping\n");
		return 77;
	}
	list = util_path_join(corpus, "phony-guests/virt-v2v/"
	                              "virtio-win-drivers-list.txt");
	infdir = util_path_join(corpus, "inf");
	if (!list || !infdir || util_mkdtemp("bench-drivers", &tmp) < 0)
		return 1;
	store = util_path_join(tmp, "store");
	files = sb_build(list, corpus, store);
	if (files < 0) {
		fprintf(stderr, "cannot build the store: %s\n",
		        strerror(-files));
		return 1;
	}

	for (int i = 0; i < REPEAT_SCAN; i++) {
		struct drivers_store *s = NULL;
		_cleanup_free_ char *err = NULL;
		double t;

		if (drivers_store_new(&s) < 0)
			return 1;
		t0 = now();
		r = drivers_store_add(s, store, &err);
		t = now() - t0;
		if (r < 0) {
			fprintf(stderr, "scan failed: %s\n", err ? err : "?");
			return 1;
		}
		packages = drivers_store_n_packages(s);
		drivers_store_free(s);
		best = MIN(best, t);
	}
	printf("store scan: %d files, %zu INFs: best of %d %.1f ms "
	       "(target < 100 ms)\n",
	       files, packages, REPEAT_SCAN, best * 1e3);

	if (nftw(infdir, collect, 16, FTW_PHYS) < 0 || n_inf == 0)
		return 1;
	t0 = now();
	while (parses < MIN_PARSES)
		for (size_t i = 0; i < n_inf; i++) {
			struct drivers_inf *inf = NULL;

			if (drivers_inf_parse_file(inf_paths[i], &o, &inf,
			                           NULL) < 0)
				return 1;
			drivers_inf_free(inf);
			parses++;
		}
	total = now() - t0;
	printf("INF parse: %zu parses of %zu corpus files in %.3f s = "
	       "%.3f s per 1,000 (target < 0.5 s)\n",
	       parses, n_inf, total, total * 1000.0 / (double)parses);
	for (size_t i = 0; i < n_inf; i++)
		free(inf_paths[i]);
	(void)util_rmdtemp(tmp);
	return 0;
}
