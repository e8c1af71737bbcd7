/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The small json-c helpers imgfix's JSON writers share (the plan/fix
 * report, the batch summary, inspect's JSON, the journal, and the --json
 * output of cmd-drivers.c and cmd-rules.c): the cleanup functions of
 * json_object and json_tokener and the string and string-list
 * constructors the reports build from.
 */
#ifndef IMGFIX_FIXUP_JSON_UTIL_H
#define IMGFIX_FIXUP_JSON_UTIL_H

#include <json-c/json.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

/* A JSON string of s; NULL (JSON null when added) when s is NULL. */
static inline struct json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* A JSON array of the strings of l (an empty array when l is NULL). */
static inline struct json_object *
jstrv(char *const *l)
{
	struct json_object *a = json_object_new_array();

	STRV_FOREACH (s, l)
		json_object_array_add(a, jstr(*s));
	return a;
}

#endif
