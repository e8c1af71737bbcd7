/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON output of inspection results with json-c: {"guests":[{"root":...,
 * "systemroot":..., "facts":{name: value, ...}, "warnings":[...]}]}.
 * Facts are strings, in key order.  <json-c/...> is included here only
 * (for writing; cmd-rules.c reads facts files on its own).
 */
#include <json-c/json.h>

#include "engine/inspect.h"
#include "engine/json-util.h"
#include "util.h"

static int
add_string(struct json_object *o, const char *key, const char *value)
{
	struct json_object *s = json_object_new_string(value);

	if (!s)
		return -ENOMEM;
	if (json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int
guest_to_json(const struct fixup_guest *g, struct json_object **ret)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	struct json_object *facts, *warnings;
	int r;

	o = json_object_new_object();
	facts = json_object_new_object();
	if (!o || !facts) {
		json_object_put(facts);
		return -ENOMEM;
	}
	r = add_string(o, "root", g->root);
	if (r >= 0 && g->systemroot)
		r = add_string(o, "systemroot", g->systemroot);
	if (r < 0 || json_object_object_add(o, "facts", facts) < 0) {
		json_object_put(facts);
		return -ENOMEM;
	}
	for (size_t i = 0; i < util_strmap_size(g->facts); i++) {
		r = add_string(facts, util_strmap_key(g->facts, i),
		               util_strmap_value(g->facts, i));
		if (r < 0)
			return r;
	}
	warnings = json_object_new_array();
	if (!warnings || json_object_object_add(o, "warnings", warnings) < 0) {
		json_object_put(warnings);
		return -ENOMEM;
	}
	STRV_FOREACH (w, g->warnings) {
		struct json_object *s = json_object_new_string(*w);

		if (!s || json_object_array_add(warnings, s) < 0) {
			json_object_put(s);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(o);
	return 0;
}

int
fixup_guests_to_json(const struct fixup_guest *g, size_t n, char **ret)
{
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	struct json_object *arr;
	const char *s;
	int r;

	root = json_object_new_object();
	arr = json_object_new_array();
	if (!root || !arr || json_object_object_add(root, "guests", arr) < 0) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = NULL;

		r = guest_to_json(&g[i], &o);
		if (r < 0)
			return r;
		if (json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	s = json_object_to_json_string_ext(
	        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}
