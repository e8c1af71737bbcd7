/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fix journal as JSON (json-c; <json-c/...> only here and in report.c). */
#include <json-c/json.h>
#include <time.h>

#include "engine/journal.h"
#include "engine/json-util.h"
#include "image/disk-io.h"

void
journal_done(struct journal *j)
{
	for (size_t i = 0; i < j->n_files; i++) {
		free(j->files[i].path);
		free(j->files[i].backup);
		free(j->files[i].link);
	}
	free(j->files);
	free(j->dir);
	free(j->state);
	free(j->image);
	free(j->image_format);
	free(j->backend);
	free(j->root);
	free(j->created);
	util_strv_free(j->created_dirs);
	util_strv_free(j->disks);
	*j = (struct journal){0};
}

char *
journal_default_dir(const char *image)
{
	size_t n = strlen(image);
	char *r;

	if (fixup_io_is_nbd_uri(image)) {
		log_error("%s: an NBD export has no directory beside it for "
		          "the journal: give one with --backup DIR.",
		          image);
		return NULL;
	}
	while (n > 1 && image[n - 1] == '/')
		n--;
	if (util_asprintf(&r, "%.*s.imgfix", (int)n, image) < 0)
		return NULL;
	return r;
}

int
journal_set_state(struct journal *j, const char *state)
{
	char *s = strdup(state);

	if (!s)
		return -ENOMEM;
	free(j->state);
	j->state = s;
	return journal_save(j);
}

int
journal_add_file(struct journal *j, const char *path, struct journal_file **ret)
{
	struct journal_file *t;

	if (j->n_files >= JOURNAL_MAX_FILES)
		return -E2BIG;
	t = realloc(j->files, (j->n_files + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	j->files = t;
	t = &j->files[j->n_files];
	*t = (struct journal_file){.path = strdup(path)};
	if (!t->path)
		return -ENOMEM;
	j->n_files++;
	*ret = t;
	return 0;
}

static struct json_object *
str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int
journal_save(const struct journal *j)
{
	_cleanup_(json_object_putp) struct json_object *o =
	        json_object_new_object();
	_cleanup_free_ char *path = util_path_join(j->dir, JOURNAL_FILE);
	struct json_object *files = json_object_new_array(), *dirs;
	const char *text;

	if (!o || !files || !path) {
		json_object_put(files);
		return -ENOMEM;
	}
	json_object_object_add(o, "format", json_object_new_int(1));
	json_object_object_add(o, "state", str(j->state));
	json_object_object_add(o, "image", str(j->image));
	if (j->image_format)
		json_object_object_add(o, "image_format", str(j->image_format));
	json_object_object_add(o, "image_size",
	                       json_object_new_int64((int64_t)j->image_size));
	json_object_object_add(o, "backend", str(j->backend));
	json_object_object_add(o, "root", str(j->root));
	json_object_object_add(o, "created", str(j->created));
	json_object_object_add(o, "undo_log",
	                       json_object_new_boolean(j->undo_log));
	for (size_t i = 0; i < j->n_files; i++) {
		const struct journal_file *f = &j->files[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "path", str(f->path));
		json_object_object_add(e, "volume",
		                       json_object_new_int((int)f->volume));
		json_object_object_add(e, "existed",
		                       json_object_new_boolean(f->existed));
		if (f->backup)
			json_object_object_add(e, "backup", str(f->backup));
		if (f->link)
			json_object_object_add(e, "link", str(f->link));
		if (f->sha_before[0])
			json_object_object_add(e, "sha256_before",
			                       str(f->sha_before));
		if (f->sha_after[0])
			json_object_object_add(e, "sha256_after",
			                       str(f->sha_after));
		json_object_object_add(e, "removed",
		                       json_object_new_boolean(f->removed));
		json_object_array_add(files, e);
	}
	json_object_object_add(o, "files", files);
	dirs = json_object_new_array();
	STRV_FOREACH (d, j->created_dirs)
		json_object_array_add(dirs, str(*d));
	json_object_object_add(o, "created_dirs", dirs);
	if (j->disks) {
		struct json_object *disks = json_object_new_array();

		STRV_FOREACH (d, j->disks)
			json_object_array_add(disks, str(*d));
		json_object_object_add(o, "disks", disks);
	}
	text = json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	return util_write_file_atomic(path, text, strlen(text));
}

static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

static int
dup_opt(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static bool
is_hex64(const char *s)
{
	return s && strlen(s) == UTIL_SHA256_HEX_LEN &&
	       strspn(s, "0123456789abcdef") == UTIL_SHA256_HEX_LEN;
}

/* The strings of the array key of o (absent: none). */
static int
get_strv(struct json_object *o, const char *key, char ***ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *d = json_object_array_get_idx(v, i);

		if (json_object_is_type(d, json_type_string) &&
		    util_strv_push(ret, json_object_get_string(d)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int
journal_load(const char *dir, struct journal *ret)
{
	_cleanup_free_ char *path = util_path_join(dir, JOURNAL_FILE);
	_cleanup_free_ char *text = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	struct journal j = {0};
	struct json_object *files, *v;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = util_read_file(path, JOURNAL_MAX_SIZE, &text, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !get_str(o, "state") || !get_str(o, "image"))
		return log_error_errno(-EBADMSG,
		                       "Journal %s is damaged (not the JSON "
		                       "imgfix writes).",
		                       path);
	j.dir = strdup(dir);
	if (!j.dir || dup_opt(get_str(o, "state"), &j.state) < 0 ||
	    dup_opt(get_str(o, "image"), &j.image) < 0 ||
	    dup_opt(get_str(o, "image_format"), &j.image_format) < 0 ||
	    dup_opt(get_str(o, "backend"), &j.backend) < 0 ||
	    dup_opt(get_str(o, "root"), &j.root) < 0 ||
	    dup_opt(get_str(o, "created"), &j.created) < 0) {
		journal_done(&j);
		return -ENOMEM;
	}
	if (json_object_object_get_ex(o, "image_size", &v))
		j.image_size = (uint64_t)json_object_get_int64(v);
	j.undo_log = get_bool(o, "undo_log");
	if (json_object_object_get_ex(o, "files", &files) &&
	    json_object_is_type(files, json_type_array)) {
		size_t n = json_object_array_length(files);

		for (size_t i = 0; i < n; i++) {
			struct json_object *e =
			        json_object_array_get_idx(files, i);
			const char *p = get_str(e, "path");
			const char *b = get_str(e, "backup");
			const char *sb = get_str(e, "sha256_before");
			const char *sa = get_str(e, "sha256_after");
			struct journal_file *f;

			/* A backup name is ours: files/NNNN, nothing else. */
			if (!p ||
			    (b &&
			     (strncmp(b, "files/", 6) != 0 ||
			      strspn(b + 6, "0123456789") != strlen(b + 6))) ||
			    (sb && !is_hex64(sb)) || (sa && !is_hex64(sa))) {
				journal_done(&j);
				return log_error_errno(
				        -EBADMSG,
				        "Journal %s: file record "
				        "%zu is damaged.",
				        path, i);
			}
			r = journal_add_file(&j, p, &f);
			if (r >= 0)
				r = dup_opt(b, &f->backup);
			if (r >= 0)
				r = dup_opt(get_str(e, "link"), &f->link);
			if (r < 0) {
				journal_done(&j);
				return r;
			}
			f->existed = get_bool(e, "existed");
			if (json_object_object_get_ex(e, "volume", &v) &&
			    json_object_is_type(v, json_type_int) &&
			    json_object_get_int(v) >= 0)
				f->volume = (unsigned)json_object_get_int(v);
			f->removed = get_bool(e, "removed");
			if (sb)
				strcpy(f->sha_before, sb);
			if (sa)
				strcpy(f->sha_after, sa);
		}
	}
	if (get_strv(o, "created_dirs", &j.created_dirs) < 0 ||
	    get_strv(o, "disks", &j.disks) < 0) {
		journal_done(&j);
		return -ENOMEM;
	}
	*ret = j;
	return 0;
}
