/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix drivers`: look into driver stores.
 *
 *   imgfix drivers scan [--json] STORE...
 *   imgfix drivers select --os MAJOR.MINOR[.BUILD] --arch ARCH [--server]
 *                  [--id ID]... [--class CLASS] [--name NAME] [--fallback]
 *                  [--json] STORE...
 *
 * A STORE is a directory tree of driver packages or an ISO image of one.
 * json-c is used here only to print.
 */
#include <getopt.h>
#include <json-c/json.h>

#include "cli/cmd.h"
#include "drivers.h"
#include "engine/json-util.h"
#include "util.h"

static int
open_stores(int argc, char **argv, struct drivers_store **ret)
{
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	int r;

	r = drivers_store_new(&s);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate a store: %m");
	for (int i = 0; i < argc; i++) {
		_cleanup_free_ char *err = NULL;

		r = drivers_store_add(s, argv[i], &err);
		if (r < 0) {
			if (err)
				return log_error_errno(r, "Failed to scan %s",
				                       err);
			return log_error_errno(r,
			                       "Failed to scan driver store "
			                       "'%s': %m",
			                       argv[i]);
		}
	}
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- scan ---------------------------------------------------------------- */

static struct json_object *
package_json(const struct drivers_package *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *devs;

	json_object_object_add(o, "inf", jstr(p->inf_path));
	json_object_object_add(o, "store", jstr(p->store));
	json_object_object_add(o, "path", jstr(p->inf_rel));
	if (p->error) {
		json_object_object_add(o, "error", jstr(p->error));
		return o;
	}
	json_object_object_add(o, "class", jstr(p->class_name));
	json_object_object_add(o, "class_guid", jstr(p->class_guid));
	json_object_object_add(o, "provider", jstr(p->provider));
	json_object_object_add(o, "driver_date", jstr(p->driver_date));
	json_object_object_add(o, "driver_version", jstr(p->driver_version));
	json_object_object_add(o, "catalog_file", jstr(p->catalog_file));
	json_object_object_add(o, "catalog_present",
	                       json_object_new_boolean(p->catalog_present));
	json_object_object_add(o, "archs", jstrv(p->archs));
	json_object_object_add(o, "os_targets", jstrv(p->os_targets));
	devs = json_object_new_array();
	for (size_t i = 0; i < p->n_devices; i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "description",
		                       jstr(p->devices[i].description));
		json_object_object_add(d, "models_section",
		                       jstr(p->devices[i].models_section));
		json_object_object_add(d, "install",
		                       jstr(p->devices[i].install_section));
		json_object_object_add(d, "ids", jstrv(p->devices[i].ids));
		json_object_array_add(devs, d);
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "services", jstrv(p->services));
	json_object_object_add(o, "files_present", jstrv(p->files_present));
	json_object_object_add(o, "files_missing", jstrv(p->files_missing));
	json_object_object_add(o, "includes", jstrv(p->includes));
	json_object_object_add(o, "needs", jstrv(p->needs));
	json_object_object_add(o, "warnings", jstrv(p->warnings));
	return o;
}

static void
print_list(const char *label, char *const *l)
{
	_cleanup_free_ char *j = NULL;

	if (!l)
		return;
	j = util_strv_join(l, ", ");
	printf("  %-10s %s\n", label, j ? j : "?");
}

static void
package_text(const struct drivers_package *p)
{
	printf("%s\n", p->inf_path);
	if (p->error) {
		printf("  error      %s\n", p->error);
		return;
	}
	printf("  class      %s %s\n", p->class_name ? p->class_name : "-",
	       p->class_guid ? p->class_guid : "");
	printf("  provider   %s\n", p->provider ? p->provider : "-");
	printf("  driverver  %s %s\n", p->driver_date ? p->driver_date : "-",
	       p->driver_version ? p->driver_version : "");
	printf("  catalog    %s%s\n", p->catalog_file ? p->catalog_file : "-",
	       p->catalog_file && !p->catalog_present ? " (missing)" : "");
	print_list("archs", p->archs);
	print_list("targets", p->os_targets);
	for (size_t i = 0; i < p->n_devices; i++) {
		_cleanup_free_ char *ids =
		        util_strv_join(p->devices[i].ids, " ");

		printf("  device     [%s] %s: %s\n",
		       p->devices[i].models_section, p->devices[i].description,
		       ids ? ids : "?");
	}
	print_list("services", p->services);
	print_list("files", p->files_present);
	print_list("missing", p->files_missing);
	print_list("includes", p->includes);
	print_list("needs", p->needs);
	print_list("warnings", p->warnings);
}

static void
scan_help(FILE *f)
{
	fprintf(f, "Usage: imgfix drivers scan [--json] STORE...\n\n"
	           "Scans driver stores (directories of driver packages, or "
	           "ISO images of\nthem) and prints every INF found: class, "
	           "provider, DriverVer, archs\nand OS targets, devices with "
	           "their IDs, services, files present\nand missing.  INFs "
	           "that cannot be used are listed with the reason.\n\n"
	           "  --json      print JSON on stdout\n"
	           "  -h, --help  this help\n");
}

static int
drivers_scan(int argc, char **argv)
{
	static const struct option options[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			scan_help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			scan_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		scan_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	r = open_stores(argc - optind, argv + optind, &s);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	if (json) {
		_cleanup_(json_object_putp) struct json_object *root =
		        json_object_new_object();
		struct json_object *pkgs = json_object_new_array();

		for (size_t i = 0; i < drivers_store_n_packages(s); i++)
			json_object_array_add(
			        pkgs,
			        package_json(drivers_store_package(s, i)));
		json_object_object_add(root, "packages", pkgs);
		printf("%s\n",
		       json_object_to_json_string_ext(
		               root, JSON_C_TO_STRING_PRETTY |
		                             JSON_C_TO_STRING_NOSLASHESCAPE));
	} else
		for (size_t i = 0; i < drivers_store_n_packages(s); i++)
			package_text(drivers_store_package(s, i));
	return IMGFIX_EXIT_OK;
}

/* ---- select -------------------------------------------------------------- */

static void
select_help(FILE *f)
{
	fprintf(f, "Usage: imgfix drivers select --os MAJOR.MINOR[.BUILD] "
	           "--arch ARCH [--server]\n"
	           "              [--id ID]... [--class CLASS] [--name NAME] "
	           "[--fallback]\n"
	           "              [--json] STORE...\n\n"
	           "Chooses the package a guest would get for a device: "
	           "hardware ID beats\ncompatible ID, then the most specific "
	           "OS decoration, then the newest\nDriverVer.\n\n"
	           "  --os V        guest version, e.g. 6.1 or 10.0.19045\n"
	           "  --arch A      x86 or amd64\n"
	           "  --server      the guest is a server edition\n"
	           "  --id ID       a device ID (repeat, most specific first)\n"
	           "  --class C     a class name or ClassGuid\n"
	           "  --name N      an INF or service name (viostor)\n"
	           "  --fallback    accept a package for an older version\n"
	           "  --json        print JSON on stdout\n"
	           "  -h, --help    this help\n");
}

static int
parse_os(const char *s, struct drivers_target *t)
{
	unsigned a = 0, b = 0, c = 0;
	char tail;
	int n = sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail);

	if (n < 2 || n > 3)
		return -EINVAL;
	t->major = a;
	t->minor = b;
	t->build = n == 3 ? c : 0;
	return 0;
}

static struct json_object *
install_json(const struct drivers_selection *sel)
{
	const struct drivers_install *in = &sel->install;
	struct json_object *o = json_object_new_object();
	struct json_object *svcs = json_object_new_array();
	struct json_object *files = json_object_new_array();

	json_object_object_add(o, "inf", jstr(in->inf_path));
	json_object_object_add(o, "decoration", jstr(sel->decoration));
	json_object_object_add(o, "fallback",
	                       json_object_new_boolean(sel->fallback));
	json_object_object_add(o, "compatible_match",
	                       json_object_new_boolean(sel->compatible_match));
	json_object_object_add(o, "ddinstall", jstr(in->ddinstall));
	json_object_object_add(o, "description", jstr(in->description));
	json_object_object_add(o, "driver_date", jstr(in->driver_date));
	json_object_object_add(o, "driver_version", jstr(in->driver_version));
	json_object_object_add(o, "hardware_ids", jstrv(in->hardware_ids));
	for (size_t i = 0; i < in->n_services; i++) {
		struct json_object *s = json_object_new_object();
		const struct drivers_service *v = &in->services[i];

		json_object_object_add(s, "name", jstr(v->name));
		json_object_object_add(s, "type",
		                       json_object_new_int64(v->type));
		json_object_object_add(s, "start",
		                       json_object_new_int64(v->start));
		json_object_object_add(s, "error_control",
		                       json_object_new_int64(v->error_control));
		json_object_object_add(s, "binary", jstr(v->binary));
		json_object_object_add(s, "group", jstr(v->load_order_group));
		json_object_array_add(svcs, s);
	}
	json_object_object_add(o, "services", svcs);
	for (size_t i = 0; i < in->n_files; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "name", jstr(in->files[i].name));
		json_object_object_add(
		        f, "dirid", json_object_new_int64(in->files[i].dirid));
		json_object_object_add(f, "host_path",
		                       jstr(in->files[i].host_path));
		json_object_array_add(files, f);
	}
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "package_files", jstrv(in->package_files));
	json_object_object_add(o, "rejected", jstrv(sel->rejected));
	return o;
}

static int
drivers_select_cmd(int argc, char **argv)
{
	static const struct option options[] = {
	        {"os", required_argument, NULL, 'o'},
	        {"arch", required_argument, NULL, 'a'},
	        {"server", no_argument, NULL, 's'},
	        {"id", required_argument, NULL, 'i'},
	        {"class", required_argument, NULL, 'c'},
	        {"name", required_argument, NULL, 'n'},
	        {"fallback", no_argument, NULL, 'f'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	_cleanup_(drivers_selection_done) struct drivers_selection sel = {0};
	_cleanup_strv_free_ char **ids = NULL;
	struct drivers_query q = {0};
	bool json = false, have_os = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'o':
			if (parse_os(optarg, &q.target) < 0) {
				log_error("Bad --os '%s': expected MAJOR.MINOR"
				          "[.BUILD], e.g. 10.0.19045",
				          optarg);
				return IMGFIX_EXIT_USAGE;
			}
			have_os = true;
			break;
		case 'a':
			if (!streq(optarg, "x86") && !streq(optarg, "amd64")) {
				log_error("Bad --arch '%s': x86 or amd64",
				          optarg);
				return IMGFIX_EXIT_USAGE;
			}
			q.target.arch = optarg;
			break;
		case 's':
			q.target.server = true;
			break;
		case 'i':
			if (util_strv_push(&ids, optarg) < 0)
				return IMGFIX_EXIT_FAILURE;
			break;
		case 'c':
			q.class_name = optarg;
			break;
		case 'n':
			q.name = optarg;
			break;
		case 'f':
			q.allow_fallback = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			select_help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			select_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind >= argc || !have_os || !q.target.arch) {
		select_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	q.device_ids = ids;
	r = open_stores(argc - optind, argv + optind, &s);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	r = drivers_select(s, &q, &sel);
	if (r == -ENOENT) {
		log_error("No driver package fits this guest and device.");
		STRV_FOREACH (m, sel.rejected)
			log_error("  not used: %s", *m);
		return IMGFIX_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to select a driver: %m");
		return IMGFIX_EXIT_FAILURE;
	}
	if (json) {
		_cleanup_(json_object_putp) struct json_object *o =
		        install_json(&sel);

		printf("%s\n",
		       json_object_to_json_string_ext(
		               o, JSON_C_TO_STRING_PRETTY |
		                          JSON_C_TO_STRING_NOSLASHESCAPE));
		return IMGFIX_EXIT_OK;
	}
	printf("%s\n", sel.install.inf_path);
	printf("  models     %s%s\n", *sel.decoration ? sel.decoration : "-",
	       sel.fallback ? " (fallback to an older OS)" : "");
	printf("  ddinstall  %s\n", sel.install.ddinstall);
	printf("  driverver  %s %s\n",
	       sel.install.driver_date ? sel.install.driver_date : "-",
	       sel.install.driver_version ? sel.install.driver_version : "");
	print_list("ids", sel.install.hardware_ids);
	for (size_t i = 0; i < sel.install.n_services; i++)
		printf("  service    %s type %u start %u binary %s\n",
		       sel.install.services[i].name,
		       sel.install.services[i].type,
		       sel.install.services[i].start,
		       sel.install.services[i].binary);
	print_list("package", sel.install.package_files);
	STRV_FOREACH (m, sel.rejected)
		printf("  not used   %s\n", *m);
	return IMGFIX_EXIT_OK;
}

static void
drivers_help(FILE *f)
{
	fprintf(f, "Usage: imgfix drivers scan [--json] STORE...\n"
	           "       imgfix drivers select --os V --arch A [OPTIONS] "
	           "STORE...\n\n"
	           "See 'imgfix drivers COMMAND --help'.\n");
}

int
cmd_drivers(int argc, char **argv)
{
	if (argc < 2) {
		drivers_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
		drivers_help(stdout);
		return IMGFIX_EXIT_OK;
	}
	if (streq(argv[1], "scan"))
		return drivers_scan(argc - 1, argv + 1);
	if (streq(argv[1], "select"))
		return drivers_select_cmd(argc - 1, argv + 1);
	log_error("Unknown drivers command '%s'. See 'imgfix drivers --help'.",
	          argv[1]);
	return IMGFIX_EXIT_USAGE;
}
