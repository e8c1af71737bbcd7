/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix patchcache add|list|verify -p CACHE ...`: fill and inspect the
 * patch cache, the directory of HAL/kernel/IDE files taken from install
 * media, service pack CABs and hotfixes that fix-ups need and guests lack.
 * The work is in patchcache/; this file parses options and prints.
 */
#include <getopt.h>
#include <inttypes.h>

#include "cli/cmd.h"
#include "patchcache.h"
#include "util.h"

static void
help(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix patchcache add -p CACHE PATH...\n"
	        "       imgfix patchcache list -p CACHE [--json]\n"
	        "       imgfix patchcache verify -p CACHE\n\n"
	        "Fills and inspects a patch cache: the HAL, kernel and storage "
	        "driver files\nfix-ups need, indexed by name, arch, file "
	        "version and sha256.\n\n"
	        "  add     ingest files, folders, install media trees (I386/, "
	        "AMD64/),\n"
	        "          MS-compressed files (*.DL_, *.SY_, *.EX_) and CAB "
	        "archives\n"
	        "          (driver.cab, spN.cab); the cache is created if "
	        "missing\n"
	        "  list    print the index\n"
	        "  verify  re-hash every stored file; exit 1 on a mismatch\n\n"
	        "Options:\n"
	        "  -p, --cache DIR  the cache directory\n"
	        "  --json           (list) print JSON\n"
	        "  -h, --help       this help\n\n"
	        "See imgfix-patchcache(5) for the index and manifest "
	        "formats.\n");
}

static int
do_add(const char *dir, int n, char **paths)
{
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	_cleanup_free_ char *err = NULL;
	struct pcache_add_stats st = {0};
	int r, ret = IMGFIX_EXIT_OK;

	r = pcache_open(dir, true, &c, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to open the patch cache: %s",
		                err ? err : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	for (int i = 0; i < n; i++) {
		r = pcache_add(c, paths[i], &st, &err);
		if (r < 0) {
			log_error_errno(r, "Failed to add '%s': %s", paths[i],
			                err ? err : strerror(-r));
			ret = IMGFIX_EXIT_FAILURE;
		}
	}
	printf("%u file(s) looked at, %u added, %u already present, "
	       "%u new object(s), %u skipped (not i386/amd64 PE files)\n",
	       st.files_seen, st.added, st.duplicates, st.objects_new,
	       st.skipped);
	return ret;
}

static int
do_list(const char *dir, bool json)
{
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = pcache_open(dir, false, &c, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to open the patch cache: %s",
		                err ? err : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	if (json) {
		_cleanup_free_ char *s = NULL;

		r = pcache_entries_to_json(c, &s);
		if (r < 0) {
			log_error_errno(r, "Failed to format JSON: %s",
			                strerror(-r));
			return IMGFIX_EXIT_FAILURE;
		}
		printf("%s\n", s);
		return IMGFIX_EXIT_OK;
	}
	printf("%-16s %-6s %-16s %10s  %s\n", "NAME", "ARCH", "VERSION", "SIZE",
	       "SHA256");
	for (size_t i = 0; i < pcache_n_entries(c); i++) {
		const struct pcache_entry *e = pcache_entry(c, i);
		char v[PCACHE_VERSION_STRLEN];

		printf("%-16s %-6s %-16s %10" PRIu64 "  %s\n", e->name,
		       pcache_arch_to_string(e->arch),
		       e->version ? pcache_version_format(e->version, v) : "-",
		       e->size, e->sha256);
	}
	return IMGFIX_EXIT_OK;
}

static void
report_bad(const struct pcache_entry *e, const char *problem, void *userdata)
{
	const struct pcache *c = userdata;
	_cleanup_free_ char *p = pcache_entry_path(c, e);

	log_error("%s (%s): %s: %s", e->name, pcache_arch_to_string(e->arch),
	          p ? p : e->sha256, problem);
}

static int
do_verify(const char *dir)
{
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = pcache_open(dir, false, &c, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to open the patch cache: %s",
		                err ? err : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	r = pcache_verify(c, report_bad, c);
	if (r < 0) {
		log_error_errno(r, "Failed to verify '%s': %s", dir,
		                strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	if (r > 0) {
		log_error("%d of %zu entries do not match their sha256; re-add "
		          "them from the original media",
		          r, pcache_n_entries(c));
		return IMGFIX_EXIT_FAILURE;
	}
	printf("%zu entries verified\n", pcache_n_entries(c));
	return IMGFIX_EXIT_OK;
}

int
cmd_patchcache(int argc, char **argv)
{
	static const struct option options[] = {
	        {"cache", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *verb;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'p':
			dir = optarg;
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
	if (optind >= argc) {
		help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (!dir) {
		log_error("patchcache %s: -p CACHE is required", verb);
		return IMGFIX_EXIT_USAGE;
	}
	if (streq(verb, "add")) {
		if (optind >= argc || json) {
			help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
		return do_add(dir, argc - optind, argv + optind);
	}
	if (optind != argc) {
		help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	if (streq(verb, "list"))
		return do_list(dir, json);
	if (streq(verb, "verify") && !json)
		return do_verify(dir);
	log_error("Unknown patchcache command '%s'. See 'imgfix patchcache "
	          "--help'.",
	          verb);
	return IMGFIX_EXIT_USAGE;
}
