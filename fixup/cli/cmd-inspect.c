/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix inspect [--json] IMAGE`: find every OS on IMAGE (a raw disk image,
 * a block device or a directory holding a guest tree) and print its facts,
 * the names rule sets match on.  Read-only: the image is opened O_RDONLY.
 */
#include <getopt.h>

#include "cli/cmd.h"
#include "engine/inspect.h"
#include "engine/road.h"
#include "util.h"
#include "image/volume.h"

static void
help(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix inspect [--json] [--backend B] [--format FMT] "
	        "[--key SEL:key:KEY] IMAGE [DISK...]\n\n"
	        "Finds the Windows and Linux installations on IMAGE (a raw "
	        "disk image,\na block device or a directory) and prints "
	        "their facts.  Nothing is\nwritten to the image.\n\n"
	        "Options:\n"
	        "  --json      print {\"guests\":[{\"root\":..., "
	        "\"facts\":{...}}]}\n"
	        "  --backend B direct or guestfs (default: direct, guestfs "
	        "when needed)\n"
	        "  --format FMT image format for guestfs (qcow2, vmdk, ...)\n"
	        "  --key SEL:key:KEY | SEL:file:FILE\n"
	        "              LUKS key for device / UUID SEL (or all)\n"
	        "  DISK...     the guest's other disks (the guestfs road)\n"
	        "  -h, --help  this help\n");
}

static void
print_summary(const struct fixup_guest *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct util_strmap *f = g[i].facts;
		const char *product = util_strmap_get(f, "os.product");
		size_t services = 0;

		printf("%sGuest on %s: %s\n", i ? "\n" : "", g[i].root,
		       product ? product
		               : (util_strmap_get(f, "os.family")
		                          ? util_strmap_get(f, "os.family")
		                          : "?"));
		for (size_t k = 0; k < util_strmap_size(f); k++) {
			const char *key = util_strmap_key(f, k);

			if (util_startswith(key, "service.") &&
			    imgfix_globals.verbose == 0) {
				services++;
				continue;
			}
			/* the replay's details: -v */
			if (streq(key, "windows.hive_logs") &&
			    imgfix_globals.verbose == 0)
				continue;
			printf("  %-26s %s\n", key, util_strmap_value(f, k));
		}
		if (services)
			printf("  %-26s %zu (list them with -v or --json)\n",
			       "services", services);
	}
}

int
cmd_inspect(int argc, char **argv)
{
	static const struct option options[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"backend", required_argument, NULL, 'B'},
	        {"format", required_argument, NULL, 'F'},
	        {"key", required_argument, NULL, 'K'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_guest *guests = NULL;
	size_t n = 0;
	struct fixup_image_options io = {0};
	_cleanup_(imgfix_keys_freep) char **keys = NULL;
	const char *backend = NULL;
	bool json = false;
	unsigned flags = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'B':
			backend = optarg;
			break;
		case 'F':
			io.format = optarg;
			break;
		case 'K':
			if (imgfix_parse_key(optarg, &keys) < 0)
				return IMGFIX_EXIT_USAGE;
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
	io.keys = keys;
	io.more_disks = optind + 1 < argc ? argv + optind + 1 : NULL;
	if (imgfix_globals.verbose >= 2)
		flags |= FIXUP_OPEN_VERBOSE;
	if (backend && streq(backend, "guestfs"))
		flags |= FIXUP_OPEN_GUESTFS;
	else if (backend && streq(backend, "direct"))
		flags |= FIXUP_OPEN_DIRECT;
	else if (backend) {
		log_error("Unknown --backend '%s' (direct or guestfs).",
		          backend);
		return IMGFIX_EXIT_USAGE;
	}

	util_log_phase("start");
	r = fixup_road_open_inspect(argv[optind], flags, &io, &img, &guests,
	                            &n);
	if (r < 0) {
		log_error_errno(r, "Failed to inspect '%s': %s", argv[optind],
		                fixup_error_detail() ? fixup_error_detail()
		                                     : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		STRV_FOREACH (w, guests[i].warnings)
			log_warning("%s: %s: %s", argv[optind], guests[i].root,
			            *w);

	if (json) {
		_cleanup_free_ char *s = NULL;

		r = fixup_guests_to_json(guests, n, &s);
		if (r < 0) {
			fixup_guests_free(guests, n);
			log_error_errno(r, "Failed to format JSON: %s",
			                strerror(-r));
			return IMGFIX_EXIT_FAILURE;
		}
		printf("%s\n", s);
	} else {
		print_summary(guests, n);
	}
	fixup_guests_free(guests, n);
	r = fixup_image_close_volumes(img);
	if (r < 0) {
		log_error_errno(r, "Failed to close '%s': %s", argv[optind],
		                strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	if (fflush(stdout) != 0) {
		log_error("Failed to write output: %s", strerror(errno));
		return IMGFIX_EXIT_FAILURE;
	}
	util_log_phase("report");
	return IMGFIX_EXIT_OK;
}
