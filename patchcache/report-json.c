/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON forms of the check report and of the cache index, for pipelines.
 * The only file of patchcache/ that includes json-c.  Versions are strings
 * ("5.1.2600.5512"), absent ones null.
 */
#include <json-c/json.h>

#include "patchcache-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

static int
add(json_object *o, const char *key, json_object *v)
{
	/* json-c takes v even on failure in 0.16; count NULL as OOM. */
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *
jversion(uint64_t v)
{
	char buf[PCACHE_VERSION_STRLEN];

	return v ? json_object_new_string(pcache_version_format(v, buf)) : NULL;
}

static json_object *
jstrv(char *const *l)
{
	json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	STRV_FOREACH (s, l) {
		json_object *v = json_object_new_string(*s);

		if (!v || json_object_array_add(a, v) < 0) {
			json_object_put(v);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* The null object of json-c is NULL itself: add() must not treat it as an
 * error there. */
static int
add_nullable(json_object *o, const char *key, json_object *v, bool is_null)
{
	if (is_null)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, v);
}

static json_object *
item_json(const struct pcache_report_item *it)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= add(o, "name", json_object_new_string(it->name));
	r |= add(o, "role",
	         json_object_new_string(pcache_role_to_string(it->role)));
	r |= add(o, "arch",
	         json_object_new_string(pcache_arch_to_string(it->arch)));
	r |= add(o, "guest_path", json_object_new_string(it->guest_path));
	r |= add(o, "status",
	         json_object_new_string(pcache_status_to_string(it->status)));
	r |= add_nullable(o, "manifest", jstr(it->manifest_id),
	                  !it->manifest_id);
	r |= add_nullable(o, "origin", jstr(it->origin), !it->origin);
	r |= add_nullable(o, "min_version", jversion(it->min_version),
	                  !it->min_version);
	r |= add_nullable(o, "below_version", jversion(it->below_version),
	                  !it->below_version);
	r |= add_nullable(o, "guest_version", jversion(it->guest_version),
	                  !it->guest_version);
	r |= add_nullable(o, "cache_version", jversion(it->cache_version),
	                  !it->cache_version);
	r |= add_nullable(o, "cache_path", jstr(it->cache_path),
	                  !it->cache_path);
	r |= add_nullable(o, "detail", jstr(it->detail), !it->detail);
	r |= add(o, "hints", jstrv(it->hints));
	if (r != 0)
		return NULL;
	return TAKE_PTR(o);
}

static int
to_string(json_object *o, char **ret)
{
	const char *s = json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                   JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int
pcache_report_to_json(const struct pcache_report *rep, char **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *items, *updates;
	int r = 0;

	if (!o)
		return -ENOMEM;
	r |= add(o, "os", json_object_new_string(rep->os));
	r |= add(o, "manifests", jstrv(rep->manifests));
	r |= add_nullable(o, "guest_kernel_version",
	                  jversion(rep->guest_kernel_version),
	                  !rep->guest_kernel_version);
	r |= add(o, "missing", json_object_new_int((int32_t)rep->n_missing));
	r |= add(o, "ok", json_object_new_boolean(rep->n_missing == 0));
	items = json_object_new_array();
	r |= add(o, "files", items);
	updates = json_object_new_array();
	r |= add(o, "updates", updates);
	r |= add(o, "installed_updates", jstrv(rep->installed_updates));
	if (r != 0)
		return -ENOMEM;
	for (size_t i = 0; i < rep->n_items; i++) {
		json_object *it = item_json(&rep->items[i]);

		if (!it || json_object_array_add(items, it) < 0) {
			json_object_put(it);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < rep->n_updates; i++) {
		const struct pcache_report_update *u = &rep->updates[i];
		json_object *uo = json_object_new_object();

		if (!uo)
			return -ENOMEM;
		r |= add(uo, "kb", json_object_new_string(u->kb));
		r |= add(uo, "title", json_object_new_string(u->title));
		r |= add(uo, "manifest",
		         json_object_new_string(u->manifest_id));
		r |= add(uo, "installed",
		         json_object_new_boolean(u->installed));
		r |= add(uo, "hints", jstrv(u->hints));
		if (r != 0 || json_object_array_add(updates, uo) < 0) {
			json_object_put(uo);
			return -ENOMEM;
		}
	}
	return to_string(o, ret);
}

int
pcache_entries_to_json(const struct pcache *c, char **ret)
{
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < pcache_n_entries(c); i++) {
		const struct pcache_entry *e = pcache_entry(c, i);
		_cleanup_free_ char *path = pcache_entry_path(c, e);
		json_object *o = json_object_new_object();
		int r = 0;

		if (!o || !path) {
			json_object_put(o);
			return -ENOMEM;
		}
		r |= add(o, "name", json_object_new_string(e->name));
		r |= add(
		        o, "arch",
		        json_object_new_string(pcache_arch_to_string(e->arch)));
		r |= add_nullable(o, "version", jversion(e->version),
		                  !e->version);
		r |= add(o, "size", json_object_new_int64((int64_t)e->size));
		r |= add(o, "sha256", json_object_new_string(e->sha256));
		r |= add(o, "path", json_object_new_string(path));
		if (r != 0 || json_object_array_add(a, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	return to_string(a, ret);
}
