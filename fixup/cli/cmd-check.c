/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix check -p CACHE [-r SET...] [--json] IMAGE`: before a fix-up, says
 * which files the guest needs (the patch-cache manifests for its Windows
 * version / service pack / arch, plus the require-file and swap-hal actions
 * of the rule sets) are in the guest, in the cache, in the cache at the
 * wrong service pack level, or missing — with where to get them — and which
 * required updates the guest's records show.  Read-only.  Exit 0 when
 * nothing required is missing, 1 otherwise.
 */
#include <getopt.h>

#include "cli/cmd.h"
#include "hive.h"
#include "engine/inspect.h"
#include "engine/road.h"
#include "patchcache.h"
#include "rules.h"
#include "util.h"
#include "image/volume.h"
#include "engine/hive-logs.h"

static void
help(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix check -p CACHE [-r SET...] [--json] "
	        "[--root ROOT] IMAGE\n\n"
	        "Lists the files a fix-up of the Windows guest on IMAGE "
	        "needs (HAL and\nkernel variants, IDE/storage drivers, "
	        "files rule sets require) and\nwhether the guest or the "
	        "patch cache has them at the right version,\nwith where "
	        "to get what is missing; and the required updates.\n"
	        "Nothing is written.  Exit 0 when nothing is missing, 1 "
	        "otherwise.\n\n"
	        "Options:\n"
	        "  -p, --cache DIR  the patch cache (imgfix patchcache add)\n"
	        "  -r, --rules SET  a rule set (name or path), repeatable\n"
	        "  --root ROOT      the guest to check when IMAGE holds "
	        "several\n"
	        "  --json           print the report as JSON\n"
	        "  -h, --help       this help\n");
}

struct guest_ctx {
	struct fixup_volume *v;
	const char *systemroot;
};

/* Reads the PE info of a file relative to the guest's systemroot. */
static int
read_pe(void *userdata, const char *guest_path, struct pcache_pe_info *ret)
{
	struct guest_ctx *g = userdata;
	_cleanup_free_ char *want = NULL, *real = NULL, *buf = NULL;
	size_t len;
	int r;

	want = util_path_join(g->systemroot, guest_path);
	if (!want)
		return -ENOMEM;
	for (char *q = want; *q; q++)
		if (*q == '\\')
			*q = '/';
	r = fixup_volume_lookup(g->v, want, &real);
	if (r < 0)
		return r;
	r = fixup_volume_read_file(g->v, real, PCACHE_MAX_PE_SIZE, &buf, &len);
	if (r < 0)
		return r;
	return pcache_pe_parse(buf, len, ret);
}

/* Update records: SOFTWARE hive and $NtUninstallKB…$ folders. */
static int
read_updates(struct guest_ctx *g, char ***ret)
{
	_cleanup_free_ char *p = NULL, *real = NULL, *tmp = NULL, *host = NULL;
	_cleanup_strv_free_ char **names = NULL, **kbs = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	struct fixup_hive_copy hc = {0};
	int r;

	if (util_asprintf(&p, "%s/System32/config/SOFTWARE", g->systemroot) < 0)
		return -ENOMEM;
	r = fixup_volume_lookup(g->v, p, &real);
	if (r >= 0) {
		r = util_mkdtemp("check", &tmp);
		if (r < 0)
			return r;
		host = util_path_join(tmp, "SOFTWARE");
		if (!host) {
			(void)util_rmdtemp(tmp);
			return -ENOMEM;
		}
		r = fixup_hive_copy_out(g->v, real, FIXUP_HIVE_MAX, host, &hc);
		if (r >= 0) {
			fixup_hive_copy_log(&hc, "SOFTWARE", real);
			fixup_hive_copy_done(&hc);
			r = hive_open(host, 0, &h);
		}
		if (r >= 0)
			r = pcache_read_installed_updates(h, &kbs);
		(void)util_rmdtemp(tmp);
		if (r < 0)
			log_warning_errno(
			        r, "Cannot read update records from %s: %s",
			        real, strerror(-r));
	}
	if (fixup_volume_list(g->v, g->systemroot, &names) >= 0) {
		r = pcache_updates_from_names(names, &kbs);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(kbs);
	return 0;
}

/* Requirements from the rule sets' require-file and swap-hal actions. */
static int
rule_requirements(const struct rules_result *res, char ***origins,
                  struct pcache_requirement **ret, size_t *ret_n)
{
	struct pcache_requirement *v = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; res && i < rules_result_size(res); i++) {
		const struct rules_action *a = rules_result_get(res, i);
		_cleanup_free_ struct pcache_requirement *hal = NULL;
		_cleanup_free_ char *origin = NULL;
		struct pcache_requirement *nv;
		size_t nh = 0;

		if (a->kind != RULES_ACTION_REQUIRE_FILE &&
		    a->kind != RULES_ACTION_SWAP_HAL)
			continue;
		if (util_asprintf(&origin, "%s/%s", a->set_name, a->rule_id) <
		    0)
			goto oom;
		if (a->kind == RULES_ACTION_SWAP_HAL) {
			r = pcache_requirements_for_hal(
			        rules_action_get(a, "hal"), NULL, &hal, &nh);
			if (r < 0) {
				free(v);
				return r;
			}
		}
		nv = realloc(v, (n + MAX(nh, (size_t)1)) * sizeof(*v));
		if (!nv)
			goto oom;
		v = nv;
		if (a->kind == RULES_ACTION_SWAP_HAL) {
			for (size_t k = 0; k < nh; k++)
				v[n++] = hal[k];
		} else {
			const char *file = rules_action_get(a, "file");
			const char *minv = rules_action_get(a, "min-version");
			const char *base = strrchr(file, '\\');
			uint64_t mv = 0;

			if (minv && pcache_version_parse(minv, &mv) < 0)
				log_warning("%s: min-version '%s' is not a "
				            "file version; ignored",
				            origin, minv);
			v[n++] = (struct pcache_requirement){
			        .name = base ? base + 1 : file,
			        .role = PCACHE_ROLE_OTHER,
			        .min_version = mv,
			        .guest_path = base ? file : NULL,
			};
		}
		r = util_strv_push(origins, origin);
		if (r < 0)
			goto oom;
		/* Origins live in *origins; point at the copy. */
		for (size_t k = n - MAX(nh, (size_t)1); k < n; k++)
			v[k].origin =
			        (*origins)[util_strv_length(*origins) - 1];
	}
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	free(v);
	return -ENOMEM;
}

/* Open + inspect + choose the guest (read-only).  Logs its errors. */
static int
open_guest(const char *image, const char *root, struct fixup_image **ret_img,
           struct fixup_guest **ret_guests, size_t *ret_n,
           struct fixup_guest **ret_guest)
{
	const char *d;
	unsigned flags = 0;
	int r;

	if (imgfix_globals.verbose >= 2)
		flags |= FIXUP_OPEN_VERBOSE;
	util_log_phase("start");
	r = fixup_road_open_inspect(image, flags, NULL, ret_img, ret_guests,
	                            ret_n);
	if (r < 0) {
		d = fixup_error_detail();
		return log_error_errno(r, "Failed to inspect %s: %s", image,
		                       d ? d : strerror(-r));
	}
	*ret_guest = NULL;
	for (size_t i = 0; i < *ret_n; i++)
		if (!root || streq((*ret_guests)[i].root, root)) {
			*ret_guest = &(*ret_guests)[i];
			break;
		}
	if (!*ret_guest)
		return log_error_errno(-ENOENT, "No guest %s%s on %s.",
		                       root ? "root " : "", root ? root : "",
		                       image);
	if (!root && *ret_n > 1)
		log_warning("%s holds %zu guests; checking the one on %s "
		            "(choose with --root).",
		            image, *ret_n, (*ret_guest)->root);
	STRV_FOREACH (w, (*ret_guest)->warnings)
		log_warning("%s", *w);
	return 0;
}

/* Loads the rule sets and evaluates them on facts.  Logs its errors. */
static int
eval_rules(char *const *sets, const struct util_strmap *facts,
           struct rules **ret_rules, struct rules_result **ret)
{
	_cleanup_free_ char *dir = imgfix_data_path("rules/sets");
	char *dirs[] = {dir, NULL};
	int r;

	if (!dir)
		return -ENOMEM;
	*ret_rules = rules_new(dirs);
	if (!*ret_rules)
		return -ENOMEM;
	STRV_FOREACH (set, sets) {
		r = rules_load(*ret_rules, *set);
		if (r < 0) {
			STRV_FOREACH (d, rules_diagnostics(*ret_rules))
				log_error("%s", *d);
			return log_error_errno(
			        r, "Failed to load rule set '%s'.", *set);
		}
	}
	r = rules_eval(*ret_rules, facts, ret);
	if (r < 0) {
		STRV_FOREACH (d, rules_diagnostics(*ret_rules))
			log_error("%s", *d);
		return log_error_errno(r, "Failed to evaluate the rule sets.");
	}
	return 0;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
	        {"cache", required_argument, NULL, 'p'},
	        {"rules", required_argument, NULL, 'r'},
	        {"root", required_argument, NULL, 'R'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_strv_free_ char **sets = NULL, **origins = NULL;
	_cleanup_strv_free_ char **updates = NULL;
	_cleanup_free_ char *mdir = NULL, *schema = NULL, *err = NULL;
	_cleanup_free_ struct pcache_requirement *extra = NULL;
	_cleanup_(rules_freep) struct rules *rules = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(pcache_freep) struct pcache *cache = NULL;
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_guest *guests = NULL, *g = NULL;
	size_t n_guests = 0;
	const char *image, *root = NULL;
	struct pcache_manifest_set manifests = {0};
	struct pcache_guest guest = {0};
	struct pcache_report rep = {0};
	struct guest_ctx gc;
	struct pcache_guest_reader reader = {read_pe, &gc};
	const char *cache_dir = NULL, *family;
	bool json = false;
	size_t n_extra = 0;
	int c, r, ret = IMGFIX_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "p:r:h", options, NULL)) >= 0) {
		switch (c) {
		case 'p':
			cache_dir = optarg;
			break;
		case 'r':
			if (util_strv_push(&sets, optarg) < 0) {
				log_error_errno(-ENOMEM, "Out of memory");
				return IMGFIX_EXIT_FAILURE;
			}
			break;
		case 'R':
			root = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !cache_dir) {
		help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	image = argv[optind];

	r = pcache_open(cache_dir, false, &cache, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to open the patch cache: %s",
		                err ? err : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	mdir = imgfix_data_path("patchcache/manifests");
	schema = imgfix_data_path("patchcache/schema/manifest.rng");
	if (!mdir || !schema)
		return IMGFIX_EXIT_FAILURE;
	r = pcache_manifest_load_dir(&manifests, mdir, schema, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to load the manifests: %s",
		                err ? err : strerror(-r));
		goto out;
	}
	if (open_guest(image, root, &img, &guests, &n_guests, &g) < 0)
		goto out;
	family = util_strmap_get(g->facts, "os.family");
	if (!streq_ptr(family, "windows")) {
		log_notice("The guest on %s is not Windows: there is nothing "
		           "for the patch cache to check.",
		           g->root);
		ret = IMGFIX_EXIT_NOTHING;
		goto out;
	}
	r = pcache_guest_from_facts(g->facts, &guest, &err);
	if (r < 0) {
		log_error_errno(r,
		                "Cannot tell the guest's Windows version: %s",
		                err ? err : strerror(-r));
		goto out;
	}
	if (sets) {
		if (eval_rules(sets, g->facts, &rules, &res) < 0)
			goto out;
		r = rule_requirements(res, &origins, &extra, &n_extra);
		if (r < 0) {
			log_error_errno(r,
			                "Failed to collect rule "
			                "requirements: %s",
			                strerror(-r));
			goto out;
		}
	}
	gc = (struct guest_ctx){g->volume, g->systemroot};
	r = read_updates(&gc, &updates);
	if (r < 0) {
		log_error_errno(r, "Failed to read update records: %s",
		                strerror(-r));
		goto out;
	}
	r = pcache_report_build(
	        &(struct pcache_report_input){.guest = &guest,
	                                      .manifests = &manifests,
	                                      .cache = cache,
	                                      .reader = &reader,
	                                      .extra = extra,
	                                      .n_extra = n_extra,
	                                      .installed_updates = updates},
	        &rep);
	if (r < 0) {
		log_error_errno(r, "Failed to build the report: %s",
		                strerror(-r));
		goto out;
	}
	if (json) {
		_cleanup_free_ char *j = NULL;

		r = pcache_report_to_json(&rep, &j);
		if (r < 0) {
			log_error_errno(r, "Failed to format JSON: %s",
			                strerror(-r));
			goto out;
		}
		printf("%s\n", j);
	} else {
		printf("Image: %s (%s)\n", image, g->root);
		r = pcache_report_write_text(&rep, stdout);
		if (r < 0)
			goto out;
	}
	ret = rep.n_missing == 0 ? IMGFIX_EXIT_OK : IMGFIX_EXIT_FAILURE;
out:
	pcache_report_done(&rep);
	pcache_guest_done(&guest);
	pcache_manifest_set_done(&manifests);
	res = rules_result_free(res);
	if (guests)
		fixup_guests_free(guests, n_guests);
	return ret;
}
