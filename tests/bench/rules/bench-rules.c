/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: load every shipped rule set, then evaluate them all against a
 * Windows 10 profile with 1,000 services (a few of them VirtualBox tools, so
 * that remove-foreign-tools fires).  Prints the load time and the median,
 * best and worst evaluation time (target: < 5 ms per evaluation).  Prints
 * figures only; it asserts nothing about time.
 */
#include <dirent.h>
#include <time.h>

#include "rules.h"
#include "util.h"

#define N_SERVICES 1000
#define N_RUNS 200

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

int
main(void)
{
	const char *src = getenv("IMGFIX_SOURCE_ROOT");
	_cleanup_free_ char *dir =
	        util_path_join(src ? src : ".", "rules/sets");
	char *dirs[] = {dir, NULL};
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f = util_strmap_new();
	static const char *const vbox[] = {"VBoxGuest", "VBoxMouse", "VBoxSF",
	                                   "VBoxService", "VBoxVideo"};
	double t[N_RUNS], t0, load_ms;
	size_t n_sets = 0, n_actions = 0;
	struct dirent *de;
	DIR *d;

	if (!dir || !f)
		return 1;
	r = rules_new(dirs);
	if (!r)
		return 1;
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
		return 1;
	}
	t0 = now_ms();
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		_cleanup_free_ char *p = NULL;

		if (n < 5 || !streq(de->d_name + n - 4, ".xml"))
			continue;
		p = util_path_join(dir, de->d_name);
		if (!p || rules_load(r, p) < 0) {
			STRV_FOREACH (m, rules_diagnostics(r))
				fprintf(stderr, "%s\n", *m);
			closedir(d);
			return 1;
		}
	}
	load_ms = now_ms() - t0;
	closedir(d);
	n_sets = rules_n_sets(r);

	if (util_strmap_set(f, "os.family", "windows") < 0 ||
	    util_strmap_set(f, "os.version", "10.0") < 0 ||
	    util_strmap_set(f, "os.build", "19041") < 0 ||
	    util_strmap_set(f, "os.arch", "x86_64") < 0 ||
	    util_strmap_set(f, "windows.driver_database", "true") < 0 ||
	    util_strmap_set(f, "windows.boot_driver", "storahci") < 0)
		return 1;
	for (size_t i = 0; i < N_SERVICES; i++) {
		char key[64];

		if (i < ELEMENTSOF(vbox))
			snprintf(key, sizeof(key), "service.%s.start", vbox[i]);
		else
			snprintf(key, sizeof(key), "service.Svc%04zu.start", i);
		if (util_strmap_set(f, key, i % 5 == 0 ? "0" : "3") < 0)
			return 1;
	}

	for (size_t i = 0; i < N_RUNS; i++) {
		_cleanup_(rules_result_freep) struct rules_result *res = NULL;

		t0 = now_ms();
		if (rules_eval(r, f, &res) < 0) {
			STRV_FOREACH (m, rules_diagnostics(r))
				fprintf(stderr, "%s\n", *m);
			return 1;
		}
		t[i] = now_ms() - t0;
		n_actions = rules_result_size(res);
	}
	qsort(t, N_RUNS, sizeof(t[0]), cmp_double);
	printf("rules: loaded %zu sets in %.2f ms\n", n_sets, load_ms);
	printf("rules: eval of all sets, %zu facts (%d services): "
	       "%zu actions; median %.3f ms, best %.3f ms, worst %.3f ms "
	       "(target < 5 ms)\n",
	       util_strmap_size(f), N_SERVICES, n_actions, t[N_RUNS / 2], t[0],
	       t[N_RUNS - 1]);
	return 0;
}
