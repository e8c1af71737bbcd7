/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix rules test`: evaluates rule sets against a matrix of guest
 * profiles and checks that what they ask for exists — every inject-driver
 * resolves to a package in the driver stores, every require-file/swap-hal
 * file is in the patch cache, no conflicts.  One JUnit test case per
 * (profile, rule set); JUnit XML written with libxml2's xmlwriter.
 */
#include <dirent.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libxml/xmlwriter.h>
#include <time.h>

#include "drivers.h"
#include "patchcache.h"
#include "engine/rules-test.h"
#include "engine/runtime.h"
#include "rules.h"
#include "engine/session.h"

/* Built-in profiles: every Windows generation × arch imgfix knows, and the
 * Linux families.  Fields: name, family, version, build, arch, type, hal. */
static const struct builtin_profile {
	const char *name, *family, *version, *build, *arch, *type, *extra;
} builtin[] = {
        {"win2000-sp4-x86", "windows", "5.0", "2195", "i386", "server",
         "acpiapic_up"},
        {"winxp-sp3-x86", "windows", "5.1", "2600", "i386", "client",
         "acpiapic_mp"},
        {"winxp-sp2-x64", "windows", "5.2", "3790", "x86_64", "client",
         "acpiapic_mp"},
        {"win2003-sp2-x86", "windows", "5.2", "3790", "i386", "server",
         "acpiapic_mp"},
        {"win2003-sp2-x64", "windows", "5.2", "3790", "x86_64", "server",
         "acpiapic_mp"},
        {"vista-sp2-x86", "windows", "6.0", "6002", "i386", "client", NULL},
        {"win2008-sp2-x64", "windows", "6.0", "6002", "x86_64", "server", NULL},
        {"win7-sp1-x86", "windows", "6.1", "7601", "i386", "client", NULL},
        {"win7-sp1-x64", "windows", "6.1", "7601", "x86_64", "client", NULL},
        {"win2008r2-sp1-x64", "windows", "6.1", "7601", "x86_64", "server",
         NULL},
        {"win8-x64", "windows", "6.2", "9200", "x86_64", "client", NULL},
        {"win2012-x64", "windows", "6.2", "9200", "x86_64", "server", NULL},
        {"win81-x64", "windows", "6.3", "9600", "x86_64", "client", NULL},
        {"win2012r2-x64", "windows", "6.3", "9600", "x86_64", "server", NULL},
        {"win10-x86", "windows", "10.0", "19045", "i386", "client", NULL},
        {"win10-x64", "windows", "10.0", "19045", "x86_64", "client", NULL},
        {"win2016-x64", "windows", "10.0", "14393", "x86_64", "server", NULL},
        {"win2019-x64", "windows", "10.0", "17763", "x86_64", "server", NULL},
        {"win2022-x64", "windows", "10.0", "20348", "x86_64", "server", NULL},
        {"win11-x64", "windows", "10.0", "22631", "x86_64", "client", NULL},
        {"win2025-x64", "windows", "10.0", "26100", "x86_64", "server", NULL},
        {"debian-12", "linux", "12", NULL, "x86_64", NULL, "debian"},
        {"ubuntu-22.04", "linux", "22.4", NULL, "x86_64", NULL, "debian"},
        {"rhel-9", "linux", "9.4", NULL, "x86_64", NULL, "rhel"},
        {"rhel-7", "linux", "7.9", NULL, "x86_64", NULL, "rhel"},
        {"sles-15", "linux", "15.5", NULL, "x86_64", NULL, "suse"},
};

static int
builtin_facts(const struct builtin_profile *b, struct util_strmap **ret)
{
	_cleanup_(util_strmap_freep) struct util_strmap *f = util_strmap_new();
	unsigned major = 0;
	int r = 0;

	if (!f)
		return -ENOMEM;
	sscanf(b->version, "%u", &major);
	r |= util_strmap_set(f, "os.family", b->family);
	r |= util_strmap_set(f, "os.version", b->version);
	r |= util_strmap_set(f, "os.arch", b->arch);
	r |= util_strmap_set(f, "firmware", "bios");
	r |= util_strmap_set(f, "disk.style", "mbr");
	r |= util_strmap_set(f, "source.platform", "physical");
	if (streq(b->family, "windows")) {
		r |= util_strmap_set(f, "os.distro", "windows");
		r |= util_strmap_set(f, "os.build", b->build);
		r |= util_strmap_set(f, "os.product_type", b->type);
		r |= util_strmap_set(f, "windows.systemroot", "/Windows");
		r |= util_strmap_set(f, "windows.control_set", "ControlSet001");
		r |= util_strmap_set(f, "windows.hive_dirty", "false");
		r |= util_strmap_set(f, "windows.driver_database",
		                     major >= 10 || streq(b->version, "6.2") ||
		                                     streq(b->version, "6.3")
		                             ? "true"
		                             : "false");
		if (b->extra)
			r |= util_strmap_set(f, "windows.hal", b->extra);
	} else {
		r |= util_strmap_set(f, "linux.family", b->extra);
		r |= util_strmap_set(f, "os.distro", b->name);
	}
	if (r)
		return -ENOMEM;
	*ret = TAKE_PTR(f);
	return 0;
}

/* facts JSON: {"name": "value"} or imgfix inspect --json output. */
static int
load_facts_json(const char *path, struct util_strmap **ret)
{
	_cleanup_(util_strmap_freep) struct util_strmap *f = util_strmap_new();
	_cleanup_free_ char *text = NULL;
	struct json_object *o, *facts = NULL, *guests;
	size_t len;
	int r;

	if (!f)
		return -ENOMEM;
	r = util_read_file(path, 16u << 20, &text, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	if (json_object_object_get_ex(o, "guests", &guests) &&
	    json_object_is_type(guests, json_type_array) &&
	    json_object_array_length(guests) > 0)
		json_object_object_get_ex(json_object_array_get_idx(guests, 0),
		                          "facts", &facts);
	else
		facts = o;
	if (!facts || !json_object_is_type(facts, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	json_object_object_foreach(facts, k, v)
	{
		if (!json_object_is_type(v, json_type_string) ||
		    util_strmap_set(f, k, json_object_get_string(v)) < 0) {
			json_object_put(o);
			return -EBADMSG;
		}
	}
	json_object_put(o);
	*ret = TAKE_PTR(f);
	return 0;
}

struct tcase {
	char *profile, *set;
	char **failures;
	char **notes;
	bool skipped;
	double seconds;
};

static void
tcase_done(struct tcase *t)
{
	free(t->profile);
	free(t->set);
	util_strv_free(t->failures);
	util_strv_free(t->notes);
}

struct test_env {
	struct drivers_store *store;
	bool have_stores;
	struct pcache *cache;
};

static const char *
driver_arch(const struct util_strmap *f)
{
	return streq_ptr(util_strmap_get(f, "os.arch"), "i386") ? "x86"
	                                                        : "amd64";
}

static void
check_action(const struct test_env *env, const struct util_strmap *f,
             const struct rules_action *a, struct tcase *t)
{
	switch (a->kind) {
	case RULES_ACTION_INJECT_DRIVER:
	case RULES_ACTION_STAGE_DRIVER_PACKAGE: {
		const char *hwid = rules_action_get(a, "hwid");
		const char *inf = rules_action_get(a, "inf");
		const char *svc = rules_action_get(a, "service");
		_cleanup_strv_free_ char **ids = NULL;
		struct drivers_selection sel = {0};
		struct drivers_query q = {0};
		int r;

		if (!env->have_stores) {
			util_strv_pushf(&t->notes,
			                "%s/%s: inject-driver not checked (no "
			                "-d STORE)",
			                a->set_name, a->rule_id);
			return;
		}
		if (hwid && util_strv_split(hwid, " ", &ids) < 0)
			return;
		q.device_ids = ids;
		q.class_name = rules_action_get(a, "class");
		q.name = inf ? inf : svc;
		q.allow_fallback = true;
		q.target.arch = driver_arch(f);
		const char *ver = util_strmap_get(f, "os.version");
		const char *build = util_strmap_get(f, "os.build");

		if (ver)
			sscanf(ver, "%u.%u", &q.target.major, &q.target.minor);
		if (build)
			(void)util_parse_u32(build, &q.target.build);
		q.target.server = streq_ptr(
		        util_strmap_get(f, "os.product_type"), "server");
		r = drivers_select(env->store, &q, &sel);
		if (r < 0) {
			_cleanup_free_ char *rej =
			        util_strv_join(sel.rejected, "; ");

			util_strv_pushf(
			        &t->failures,
			        "%s/%s: no driver package for %s %s (%s)%s%s",
			        a->set_name, a->rule_id, q.name ? q.name : "",
			        hwid ? hwid : "", q.target.arch,
			        rej && *rej ? ": " : "", rej ? rej : "");
		} else
			util_strv_pushf(
			        &t->notes, "%s/%s: %s from %s%s", a->set_name,
			        a->rule_id, sel.install.inf_name,
			        sel.install.package_dir,
			        sel.fallback ? " (older OS folder)" : "");
		drivers_selection_done(&sel);
		return;
	}
	case RULES_ACTION_REQUIRE_FILE: {
		const char *file = rules_action_get(a, "file");
		const char *base = file ? strrchr(file, '\\') : NULL;
		const struct pcache_entry **found = NULL;
		int n;

		if (!env->cache) {
			util_strv_pushf(
			        &t->notes,
			        "%s/%s: require-file %s not checked (no "
			        "-p CACHE)",
			        a->set_name, a->rule_id, file);
			return;
		}
		base = base ? base + 1 : file;
		n = pcache_find(env->cache, base,
		                streq(driver_arch(f), "x86")
		                        ? PCACHE_ARCH_I386
		                        : PCACHE_ARCH_AMD64,
		                &found);
		free(found);
		if (n <= 0)
			util_strv_pushf(&t->failures,
			                "%s/%s: %s is not in the patch cache",
			                a->set_name, a->rule_id, file);
		return;
	}
	case RULES_ACTION_SWAP_HAL: {
		struct pcache_requirement *req = NULL;
		size_t n = 0;

		if (!env->cache) {
			util_strv_pushf(&t->notes,
			                "%s/%s: swap-hal not checked (no -p "
			                "CACHE)",
			                a->set_name, a->rule_id);
			return;
		}
		if (pcache_requirements_for_hal(rules_action_get(a, "hal"),
		                                NULL, &req, &n) < 0)
			return;
		for (size_t i = 0; i < n; i++) {
			const struct pcache_entry **found = NULL;
			int k = pcache_find(env->cache, req[i].name,
			                    PCACHE_ARCH_I386, &found);

			free(found);
			if (k <= 0)
				util_strv_pushf(&t->failures,
				                "%s/%s: %s (HAL swap) is not "
				                "in the patch "
				                "cache",
				                a->set_name, a->rule_id,
				                req[i].name);
		}
		free(req);
		return;
	}
	default:
		return;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_case(const struct test_env *env, const char *set,
         const struct util_strmap *f, struct tcase *t)
{
	char *const sets[] = {(char *)set, NULL};
	_cleanup_(rules_freep) struct rules *rules = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	double t0 = ((double)util_now_ns() / 1e9);
	enum util_log_level lvl = util_log_get_level();

	/* Errors become test failures, not log noise. */
	util_log_set_level(UTIL_LOG_ERR - 1);
	if (fixup_rules_eval(sets, f, &rules, &res) < 0) {
		util_log_set_level(lvl);
		if (rules)
			STRV_FOREACH (d, rules_diagnostics(rules))
				util_strv_pushf(&t->failures, "%s", *d);
		util_strv_pushf(&t->failures,
		                "rule set %s failed to load or evaluate", set);
		t->seconds = ((double)util_now_ns() / 1e9) - t0;
		return;
	}
	util_log_set_level(lvl);
	for (size_t i = 0; i < rules_result_size(res); i++)
		check_action(env, f, rules_result_get(res, i), t);
	t->seconds = ((double)util_now_ns() / 1e9) - t0;
}

static int
write_junit(const char *path, struct tcase *cases, size_t n)
{
	xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
	unsigned failures = 0, skipped = 0;
	double total = 0;
	char buf[64];
	int r = 0;

	if (!w)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		failures += cases[i].failures ? 1 : 0;
		skipped += cases[i].skipped ? 1 : 0;
		total += cases[i].seconds;
	}
	xmlTextWriterSetIndent(w, 1);
	r |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
	r |= xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0;
	r |= xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0;
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "name",
	                                 BAD_CAST "imgfix rules test") < 0;
	snprintf(buf, sizeof(buf), "%zu", n);
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST buf) < 0;
	snprintf(buf, sizeof(buf), "%u", failures);
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST buf) <
	     0;
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0") <
	     0;
	snprintf(buf, sizeof(buf), "%u", skipped);
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST buf) <
	     0;
	snprintf(buf, sizeof(buf), "%.6f", total);
	r |= xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST buf) < 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *name = NULL, *msg = NULL, *out = NULL;

		if (util_asprintf(&name, "%s: %s", cases[i].profile,
		                  cases[i].set) < 0)
			return -ENOMEM;
		r |= xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
		r |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname",
		                                 BAD_CAST cases[i].set) < 0;
		r |= xmlTextWriterWriteAttribute(w, BAD_CAST "name",
		                                 BAD_CAST name) < 0;
		snprintf(buf, sizeof(buf), "%.6f", cases[i].seconds);
		r |= xmlTextWriterWriteAttribute(w, BAD_CAST "time",
		                                 BAD_CAST buf) < 0;
		if (cases[i].failures) {
			msg = util_strv_join(cases[i].failures, "\n");
			r |= xmlTextWriterStartElement(w, BAD_CAST "failure") <
			     0;
			r |= xmlTextWriterWriteAttribute(
			             w, BAD_CAST "message",
			             BAD_CAST cases[i].failures[0]) < 0;
			r |= xmlTextWriterWriteAttribute(w, BAD_CAST "type",
			                                 BAD_CAST "imgfix") < 0;
			r |= xmlTextWriterWriteString(w, BAD_CAST msg) < 0;
			r |= xmlTextWriterEndElement(w) < 0;
		}
		if (cases[i].notes) {
			out = util_strv_join(cases[i].notes, "\n");
			r |= xmlTextWriterWriteElement(w, BAD_CAST "system-out",
			                               BAD_CAST out) < 0;
		}
		r |= xmlTextWriterEndElement(w) < 0;
	}
	r |= xmlTextWriterEndElement(w) < 0;
	r |= xmlTextWriterEndElement(w) < 0;
	r |= xmlTextWriterEndDocument(w) < 0;
	xmlFreeTextWriter(w);
	return r ? -EIO : 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix rules test -r SET [-r SET...] [-d STORE...] "
	        "[-p CACHE]\n"
	        "                         [--profiles DIR] [--junit FILE]\n\n"
	        "Evaluates each rule set against every guest profile (built-in,"
	        " or the\nfacts JSON files in DIR) and checks that every "
	        "driver "
	        "and file it asks\nfor exists.  Exit 1 on any failure.\n\n"
	        "Options:\n"
	        "  -r, --rules SET       rule set name or file (repeatable)\n"
	        "  -d, --drivers STORE   driver store (repeatable)\n"
	        "  -p, --patch-cache DIR patch cache\n"
	        "      --profiles DIR    facts JSON files instead of the "
	        "built-in matrix\n"
	        "      --junit FILE      write a JUnit XML report\n"
	        "  -h, --help            this help\n");
}

int
cmd_rules_test(int argc, char **argv)
{
	enum { ARG_PROFILES = 0x100, ARG_JUNIT };
	static const struct option options[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"drivers", required_argument, NULL, 'd'},
	        {"patch-cache", required_argument, NULL, 'p'},
	        {"profiles", required_argument, NULL, ARG_PROFILES},
	        {"junit", required_argument, NULL, ARG_JUNIT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_strv_free_ char **sets = NULL, **stores = NULL;
	/* Issue 9: declared before the first "goto out", which used to jump
	 * over them (clang: a hard error; gcc: util_strv_free() of an
	 * uninitialised pointer on the error paths above). */
	_cleanup_strv_free_ char **names = NULL;
	struct util_strmap **facts = NULL;
	size_t n_profiles = 0;
	const char *cache = NULL, *profiles = NULL, *junit = NULL;
	struct test_env env = {0};
	struct tcase *cases = NULL;
	size_t n = 0;
	unsigned failed = 0;
	int c, r, ret = IMGFIX_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "r:d:p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			if (util_strv_push(&sets, optarg) < 0)
				return IMGFIX_EXIT_FAILURE;
			break;
		case 'd':
			if (util_strv_push(&stores, optarg) < 0)
				return IMGFIX_EXIT_FAILURE;
			break;
		case 'p':
			cache = optarg;
			break;
		case ARG_PROFILES:
			profiles = optarg;
			break;
		case ARG_JUNIT:
			junit = optarg;
			break;
		case 'h':
			usage(stdout);
			return IMGFIX_EXIT_OK;
		default:
			usage(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (!sets || optind != argc) {
		log_error("Expected -r SET and no other arguments. See 'imgfix "
		          "rules test --help'.");
		return IMGFIX_EXIT_USAGE;
	}
	if (stores) {
		env.have_stores = true;
		r = drivers_store_new(&env.store);
		STRV_FOREACH (s, stores) {
			_cleanup_free_ char *err = NULL;

			if (r >= 0)
				r = drivers_store_add(env.store, *s, &err);
			if (r < 0) {
				log_error_errno(r,
				                "Failed to scan driver store "
				                "%s: %s",
				                *s, err ? err : "%m");
				goto out;
			}
		}
	}
	if (cache) {
		_cleanup_free_ char *err = NULL;

		r = pcache_open(cache, false, &env.cache, &err);
		if (r < 0) {
			log_error_errno(r, "Patch cache %s: %s", cache,
			                err ? err : "%m");
			goto out;
		}
	}

	/* The profile matrix. */
	if (profiles) {
		DIR *d = opendir(profiles);
		struct dirent *de;

		if (!d) {
			log_error_errno(-errno, "Cannot read profiles %s: %m",
			                profiles);
			goto out;
		}
		while ((de = readdir(d)))
			if (util_endswith_case(de->d_name, ".json") &&
			    util_strv_push(&names, de->d_name) < 0) {
				closedir(d);
				goto out;
			}
		closedir(d);
		qsort(names, util_strv_length(names), sizeof(char *), cmp_str);
		n_profiles = util_strv_length(names);
	} else
		n_profiles = ELEMENTSOF(builtin);
	facts = calloc(n_profiles + 1, sizeof(*facts));
	if (!facts)
		goto out;
	for (size_t i = 0; i < n_profiles; i++) {
		if (profiles) {
			_cleanup_free_ char *p =
			        util_path_join(profiles, names[i]);

			r = p ? load_facts_json(p, &facts[i]) : -ENOMEM;
			if (r < 0) {
				log_error_errno(r,
				                "Profile %s: not a facts "
				                "JSON file.",
				                p);
				goto free_facts;
			}
			names[i][strlen(names[i]) - 5] = '\0';
		} else {
			r = builtin_facts(&builtin[i], &facts[i]);
			if (r < 0 ||
			    util_strv_push(&names, builtin[i].name) < 0)
				goto free_facts;
		}
	}
	cases = calloc(n_profiles * util_strv_length(sets) + 1, sizeof(*cases));
	if (!cases)
		goto free_facts;
	for (size_t i = 0; i < n_profiles; i++)
		STRV_FOREACH (s, sets) {
			struct tcase *t = &cases[n++];

			t->profile = strdup(names[i]);
			t->set = strdup(*s);
			run_case(&env, *s, facts[i], t);
			if (t->failures)
				failed++;
			printf("%-4s %s: %s\n", t->failures ? "FAIL" : "ok",
			       t->profile, t->set);
			STRV_FOREACH (fl, t->failures)
				printf("     %s\n", *fl);
		}
	printf("%zu case(s), %u failed\n", n, failed);
	if (junit && write_junit(junit, cases, n) < 0) {
		log_error("Failed to write JUnit report %s.", junit);
		goto free_facts;
	}
	ret = failed ? IMGFIX_EXIT_FAILURE : IMGFIX_EXIT_OK;
free_facts:
	for (size_t i = 0; i < n_profiles; i++)
		util_strmap_free(facts[i]);
	free(facts);
out:
	for (size_t i = 0; i < n; i++)
		tcase_done(&cases[i]);
	free(cases);
	drivers_store_freep(&env.store);
	pcache_freep(&env.cache);
	return ret;
}
