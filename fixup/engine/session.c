/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps every image-handling command shares; see session.h. */
#include "rules.h"
#include "engine/road.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "image/volume.h"

void
fixup_session_done(struct fixup_session *s)
{
	fixup_plan_done(&s->plan);
	rules_result_freep(&s->actions);
	rules_freep(&s->rules);
	if (s->guests)
		fixup_guests_free(s->guests, s->n_guests);
	fixup_image_freep(&s->img);
	*s = (struct fixup_session){0};
}

int
fixup_log_image_error(int r, const char *image)
{
	const char *d = fixup_error_detail();

	if (d)
		return log_error_errno(r, "%s", d);
	return log_error_errno(r, "Failed to open %s: %m", image);
}

int
fixup_session_open(struct fixup_session *s,
                   const struct fixup_session_options *o)
{
	unsigned flags = 0;
	int r;

	if (o->write)
		flags |= FIXUP_OPEN_WRITE;
	if (o->write && util_strv_contains(o->force, FIXUP_FORCE_NTFS_JOURNAL))
		flags |= FIXUP_OPEN_RESET_JOURNAL;
	else if (o->allow_unclean)
		flags |= FIXUP_OPEN_ALLOW_UNCLEAN;
	if (imgfix_globals.verbose >= 2)
		flags |= FIXUP_OPEN_VERBOSE;
	if (o->backend && streq(o->backend, "guestfs"))
		flags |= FIXUP_OPEN_GUESTFS;
	else if (o->backend && streq(o->backend, "direct"))
		flags |= FIXUP_OPEN_DIRECT;
	else if (o->backend)
		return log_error_errno(-EINVAL,
		                       "Unknown --backend '%s' (direct or "
		                       "guestfs).",
		                       o->backend);
	struct fixup_image_options io = {.format = o->format,
	                                 .keys = o->keys,
	                                 .more_disks = o->more_disks};
	util_log_phase("start");
	r = fixup_road_open_inspect(o->image, flags, &io, &s->img, &s->guests,
	                            &s->n_guests);
	if (r < 0)
		return fixup_log_image_error(r, o->image);
	if (s->n_guests == 0)
		return log_error_errno(FIXUP_E_NO_OS,
		                       "No operating system found on %s.",
		                       o->image);
	if (o->root) {
		for (size_t i = 0; i < s->n_guests; i++)
			if (streq(s->guests[i].root, o->root))
				s->guest = &s->guests[i];
		if (!s->guest)
			return log_error_errno(-ENOENT,
			                       "No guest root '%s' on %s.",
			                       o->root, o->image);
	} else {
		if (s->n_guests > 1)
			log_warning("%s holds %zu guests; fixing the one on %s "
			            "(choose with --root).",
			            o->image, s->n_guests, s->guests[0].root);
		s->guest = &s->guests[0];
	}
	STRV_FOREACH (w, s->guest->warnings)
		log_warning("%s", *w);
	return 0;
}

int
fixup_rules_eval(char *const *sets, const struct util_strmap *facts,
                 struct rules **ret_rules, struct rules_result **ret)
{
	_cleanup_free_ char *dir = imgfix_data_path("rules/sets");
	char *dirs[] = {dir, NULL};
	_cleanup_(rules_freep) struct rules *rules = NULL;
	struct rules_result *res = NULL;
	int r;

	if (!dir)
		return -ENOMEM;
	rules = rules_new(dirs);
	if (!rules)
		return -ENOMEM;
	STRV_FOREACH (set, sets) {
		r = rules_load(rules, *set);
		if (r < 0) {
			STRV_FOREACH (d, rules_diagnostics(rules))
				log_error("%s", *d);
			return log_error_errno(
			        r, "Failed to load rule set '%s'%s", *set,
			        r == -ENOENT ? ": no such set (see "
			                       "'imgfix rules list' "
			                       "or give a path)"
			                     : ".");
		}
	}
	r = rules_eval(rules, facts, &res);
	if (r < 0) {
		STRV_FOREACH (d, rules_diagnostics(rules))
			log_error("%s", *d);
		return log_error_errno(r, "Failed to evaluate the rule sets.");
	}
	*ret_rules = TAKE_PTR(rules);
	*ret = res;
	return 0;
}

int
fixup_session_plan(struct fixup_session *s,
                   const struct fixup_session_options *o)
{
	int r;

	r = fixup_rules_eval(o->sets, s->guest->facts, &s->rules, &s->actions);
	if (r < 0)
		return r;
	util_log_phase("rules");
	struct fixup_plan_input in = {
	        .image = s->img,
	        .root = s->guest->volume,
	        .facts = s->guest->facts,
	        .actions = s->actions,
	        .stores = o->stores,
	        .cache = o->cache,
	        .force = o->force,
	        .system_copy = s->guest->system_copy,
	        .system_hive = s->guest->system_hive,
	};
	fixup_clear_error(); /* no stale detail in the message below */
	r = fixup_plan_build(&in, &s->plan);
	/* Issue 9 (hostile images): a failed build, e.g. on a guest symlink
	 * leading outside the root, used to exit 1 without a message. */
	if (r < 0)
		return log_error_errno(
		        r, "Failed to plan the fix of %s: %s", o->image,
		        fixup_error_detail() ? fixup_error_detail()
		                             : strerror(-r));
	s->planned = true;
	return 0;
}
