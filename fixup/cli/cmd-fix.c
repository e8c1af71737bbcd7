/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix plan` (dry run: the plan and its diff) and `imgfix fix` (plan +
 * journalled apply + report).
 */
#include <getopt.h>

#include "engine/apply.h"
#include "cli/cmd.h"
#include "engine/journal.h"
#include "engine/report.h"
#include "engine/session.h"
#include "image/volume.h"

struct fix_args {
	struct fixup_session_options o;
	char **sets, **stores, **force;
	char **keys; /* --key pairs, wiped when done */
	const char *backup;
	bool json;
};

static void
fix_args_done(struct fix_args *a)
{
	util_strv_free(a->sets);
	util_strv_free(a->stores);
	util_strv_free(a->force);
	imgfix_keys_free(a->keys);
}

static void
usage(FILE *f, bool fix)
{
	fprintf(f,
	        "Usage: imgfix %s -r SET [-r SET...] [-d STORE...] [-p CACHE] "
	        "[OPTIONS] IMAGE [DISK...]\n\n"
	        "%s\n\n"
	        "Options:\n"
	        "  -r, --rules SET       rule set name (kvm-virtio, ...) or "
	        "file\n"
	        "  -d, --drivers STORE   driver store: directory or ISO image\n"
	        "  -p, --patch-cache DIR patch cache (imgfix patchcache add)\n"
	        "      --root ROOT       guest to fix when the image holds "
	        "several\n"
	        "      --backend B       direct or guestfs (default: direct, "
	        "guestfs when needed)\n"
	        "      --format FMT      image format for guestfs (qcow2, "
	        "vmdk, ...)\n"
	        "      --key SEL:key:KEY | SEL:file:FILE\n"
	        "                        LUKS key for device / UUID SEL "
	        "(or all)\n"
	        "      DISK...           the guest's other disks (guestfs "
	        "road)\n"
	        "      --json            machine-readable report on stdout\n"
	        "%s"
	        "  -h, --help            this help\n",
	        fix ? "fix" : "plan",
	        fix ? "Fixes IMAGE offline: plan, journal, apply, verify."
	            : "Shows what 'imgfix fix' would change, with diffs. "
	              "Writes nothing.",
	        fix ? "      --backup DIR      journal and backups (default "
	              "IMAGE.imgfix)\n"
	              "      --force WHAT      go ahead despite blocking "
	              "problems of rule WHAT (or 'all');\n"
	              "                        dirty-hive: write a dirty hive "
	              "without usable logs;\n"
	              "                        ntfs-journal: reset an unclean "
	              "NTFS journal\n"
	            : "");
}

static int
parse(int argc, char **argv, bool fix, struct fix_args *a)
{
	enum {
		ARG_ROOT = 0x100,
		ARG_JSON,
		ARG_BACKUP,
		ARG_FORCE,
		ARG_BACKEND,
		ARG_FORMAT,
		ARG_KEY
	};
	static const struct option options[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"drivers", required_argument, NULL, 'd'},
	        {"patch-cache", required_argument, NULL, 'p'},
	        {"root", required_argument, NULL, ARG_ROOT},
	        {"json", no_argument, NULL, ARG_JSON},
	        {"backup", required_argument, NULL, ARG_BACKUP},
	        {"force", required_argument, NULL, ARG_FORCE},
	        {"backend", required_argument, NULL, ARG_BACKEND},
	        {"format", required_argument, NULL, ARG_FORMAT},
	        {"key", required_argument, NULL, ARG_KEY},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:d:p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			if (util_strv_push(&a->sets, optarg) < 0)
				return -ENOMEM;
			break;
		case 'd':
			if (util_strv_push(&a->stores, optarg) < 0)
				return -ENOMEM;
			break;
		case 'p':
			a->o.cache = optarg;
			break;
		case ARG_ROOT:
			a->o.root = optarg;
			break;
		case ARG_JSON:
			a->json = true;
			break;
		case ARG_BACKEND:
			a->o.backend = optarg;
			break;
		case ARG_FORMAT:
			a->o.format = optarg;
			break;
		case ARG_KEY:
			if (imgfix_parse_key(optarg, &a->keys) < 0)
				return -EINVAL;
			break;
		case ARG_BACKUP:
		case ARG_FORCE:
			if (!fix) {
				usage(stderr, fix);
				return -EINVAL;
			}
			if (c == ARG_BACKUP)
				a->backup = optarg;
			else if (util_strv_push(&a->force, optarg) < 0)
				return -ENOMEM;
			break;
		case 'h':
			usage(stdout, fix);
			return 1;
		default:
			usage(stderr, fix);
			return -EINVAL;
		}
	}
	if (optind >= argc || !a->sets) {
		log_error("Expected -r SET and an IMAGE (and the guest's other "
		          "disks). See 'imgfix %s --help'.",
		          fix ? "fix" : "plan");
		return -EINVAL;
	}
	a->o.image = argv[optind];
	a->o.more_disks = optind + 1 < argc ? argv + optind + 1 : NULL;
	a->o.keys = a->keys;
	a->o.sets = a->sets;
	a->o.stores = a->stores;
	a->o.force = a->force;
	a->o.write = fix;
	return 0;
}

/* --force: matching blocking problems become warnings. */
static void
apply_force(struct fixup_plan *p, char *const *force)
{
	for (size_t i = 0; i < p->n_problems; i++) {
		struct fixup_problem *pr = &p->problems[i];

		if (!pr->blocking)
			continue;
		if (util_strv_contains(force, "all") ||
		    (pr->origin && util_strv_contains(force, pr->origin))) {
			pr->blocking = false;
			fixup_plan_warn(p, "forced past: %s", pr->message);
		}
	}
}

static int
emit(const struct fixup_report *rep, bool json)
{
	_cleanup_free_ char *s = NULL;
	int r;

	if (!json)
		return fixup_report_text(rep, stdout);
	r = fixup_report_json(rep, &s);
	if (r < 0)
		return r;
	fputs(s, stdout);
	return 0;
}

static int
run(int argc, char **argv, bool fix)
{
	struct fix_args a = {0};
	struct fixup_session s = {0};
	struct fixup_apply_result applied = {0};
	struct fixup_report rep = {.session = &s,
	                           .command = fix ? "fix" : "plan"};
	_cleanup_free_ char *backup = NULL;
	int r, ret = IMGFIX_EXIT_FAILURE;

	r = parse(argc, argv, fix, &a);
	if (r != 0) {
		fix_args_done(&a);
		return r > 0 ? IMGFIX_EXIT_OK : IMGFIX_EXIT_USAGE;
	}
	r = fixup_session_open(&s, &a.o);
	if (r >= 0) {
		rep.backend = fixup_volume_backend(s.guest->volume);
		r = fixup_session_plan(&s, &a.o);
	}
	if (r < 0)
		goto out;
	apply_force(&s.plan, a.force);

	if (!fix) {
		rep.status =
		        fixup_plan_blocked(&s.plan) ? "blocked" : "planned";
		if (a.json)
			r = emit(&rep, true);
		else
			r = fixup_plan_print(&s.plan, stdout);
		/* Issue 9 (hostile images): a plan that cannot be shown, e.g.
		 * a damaged hive the diff cannot walk, must say why. */
		if (r < 0)
			log_error_errno(r,
			                "Failed to show the plan for '%s': %m",
			                a.o.image);
		ret = r < 0                         ? IMGFIX_EXIT_FAILURE
		      : fixup_plan_blocked(&s.plan) ? IMGFIX_EXIT_FAILURE
		      : s.plan.n_ops == 0           ? IMGFIX_EXIT_NOTHING
		                                    : IMGFIX_EXIT_OK;
		goto out;
	}
	if (fixup_plan_blocked(&s.plan)) {
		rep.status = "blocked";
		emit(&rep, a.json);
		log_error(
		        "Blocking problems: nothing was written. Provide what "
		        "is missing, or use --force RULE.");
		goto out;
	}
	if (s.plan.n_ops == 0) {
		rep.status = "nothing-to-do";
		emit(&rep, a.json);
		ret = IMGFIX_EXIT_NOTHING;
		goto out;
	}
	backup = a.backup ? strdup(a.backup) : journal_default_dir(a.o.image);
	if (!backup) {
		r = -ENOMEM;
		goto out;
	}
	r = fixup_apply(s.img, s.guest->volume, &s.plan, backup, &applied);
	if (r < 0) {
		rep.status = "failed";
		emit(&rep, a.json);
		goto out;
	}
	rep.status = "fixed";
	rep.applied = &applied;
	r = emit(&rep, a.json);
	ret = r < 0 ? IMGFIX_EXIT_FAILURE : IMGFIX_EXIT_OK;
out:
	fixup_apply_result_done(&applied);
	fixup_session_done(&s);
	fix_args_done(&a);
	return ret;
}

int
cmd_plan(int argc, char **argv)
{
	return run(argc, argv, false);
}

int
cmd_fix(int argc, char **argv)
{
	return run(argc, argv, true);
}
