/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `imgfix rollback`: undo a fix from its journal. */
#include <getopt.h>

#include "engine/apply.h"
#include "cli/cmd.h"
#include "engine/journal.h"

int
cmd_rollback(int argc, char **argv)
{
	static const struct option options[] = {
	        {"backup", required_argument, NULL, 'b'},
	        {"force", no_argument, NULL, 'f'},
	        {"key", required_argument, NULL, 'K'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *dflt = NULL;
	_cleanup_(imgfix_keys_freep) char **keys = NULL;
	const char *backup = NULL;
	bool force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'b':
			backup = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'K':
			if (imgfix_parse_key(optarg, &keys) < 0)
				return IMGFIX_EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: imgfix rollback [--backup DIR] "
			       "[--force] [--key SEL:key:KEY] "
			       "IMAGE\n\n"
			       "Restores every byte a fix changed, from its "
			       "journal (also after an\ninterrupted fix).  "
			       "Refuses when the image changed after the fix\n"
			       "(the guest was booted): restoring then would "
			       "corrupt its filesystem.\n\n"
			       "Options:\n"
			       "      --backup DIR  the fix's journal (default "
			       "IMAGE.imgfix)\n"
			       "      --force       restore even if the image "
			       "changed after the fix\n"
			       "      --key SEL:key:KEY | SEL:file:FILE\n"
			       "                    LUKS key (guestfs road), "
			       "as "
			       "for 'imgfix fix'\n"
			       "  -h, --help        this help\n");
			return IMGFIX_EXIT_OK;
		default:
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_error("Expected exactly one IMAGE. See 'imgfix rollback "
		          "--help'.");
		return IMGFIX_EXIT_USAGE;
	}
	if (!backup) {
		dflt = journal_default_dir(argv[optind]);
		if (!dflt)
			return IMGFIX_EXIT_FAILURE;
		backup = dflt;
	}
	r = fixup_rollback(argv[optind], backup, force, keys);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	if (r > 0) {
		log_notice("Nothing to roll back: the journal in %s is already "
		           "rolled back.",
		           backup);
		return IMGFIX_EXIT_NOTHING;
	}
	log_notice("Rolled back %s from %s.", argv[optind], backup);
	return IMGFIX_EXIT_OK;
}
