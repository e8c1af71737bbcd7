/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `imgfix plan`, `fix`, `check` and `rules eval IMAGE` share: open the
 * image, inspect it, pick the guest, load the rule sets and evaluate them,
 * build the plan — each step logging one clear message when it fails.
 */
#ifndef IMGFIX_FIXUP_SESSION_H
#define IMGFIX_FIXUP_SESSION_H

#include "engine/inspect.h"
#include "engine/plan.h"

struct rules;
struct rules_result;

struct fixup_session_options {
	const char *image;
	bool write;
	char *const *sets;   /* -r, names or paths */
	char *const *stores; /* -d */
	const char *cache;   /* -p */
	const char *root;    /* --root: which guest ("partition 2") */
	char *const *force;
	bool allow_unclean;  /* read-only opens only */
	const char *backend; /* --backend: "direct", "guestfs"; NULL = auto */
	const char *format;  /* --format: image format for guestfs */
	char *const *keys;   /* --key: LUKS (selector, key) pairs */
	char *const *more_disks; /* more disk images of the same guest */
};

struct fixup_session {
	struct fixup_image *img;
	struct fixup_guest *guests;
	size_t n_guests;
	struct fixup_guest *guest; /* the one being fixed */
	struct rules *rules;
	struct rules_result *actions;
	struct fixup_plan plan;
	bool planned;
};

void fixup_session_done(struct fixup_session *s);
/* Open + inspect + choose guest.  Logs its errors. */
int fixup_session_open(struct fixup_session *s,
                       const struct fixup_session_options *o);
/* Load sets + evaluate + build the plan.  Logs its errors. */
int fixup_session_plan(struct fixup_session *s,
                       const struct fixup_session_options *o);
/* Loads and evaluates sets against facts (also for `rules eval`). */
int fixup_rules_eval(char *const *sets, const struct util_strmap *facts,
                     struct rules **ret_rules, struct rules_result **ret);
/* Logs an image open/inspect error with its detail. */
int fixup_log_image_error(int r, const char *image);

#endif
