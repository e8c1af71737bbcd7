/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix batch`, the manifest: JSON through json-c, or text lines parsed
 * with getopt_long like the `imgfix fix` command line, and the command
 * line of each image's child.  What the children leave (journals, reports)
 * and the summary are batch-report.c.  A manifest is read as hostile
 * input: its size, counts and depth are bounded.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>

#include "engine/batch.h"
#include "engine/json-util.h"

#define BATCH_TEXT_MAX_WORDS 4096u /* words on one manifest line */

/* ---- manifest ---------------------------------------------------------- */

static void
item_done(struct batch_item *it)
{
	free(it->image);
	util_strv_free(it->rules);
	util_strv_free(it->drivers);
	util_strv_free(it->force);
	free(it->patch_cache);
	free(it->backup);
	free(it->root);
	*it = (struct batch_item){0};
}

void
batch_manifest_done(struct batch_manifest *m)
{
	for (size_t i = 0; i < m->n_items; i++)
		item_done(&m->items[i]);
	free(m->items);
	free(m->path);
	*m = (struct batch_manifest){0};
}

/* Relative paths are relative to the manifest's directory. */
static char *
resolve(const char *base, const char *p)
{
	if (!base || p[0] == '/')
		return strdup(p);
	return util_path_join(base, p);
}

static bool
rule_is_path(const char *s)
{
	return strchr(s, '/') || util_endswith_case(s, ".xml");
}

enum list_kind {
	LIST_NAMES, /* --force: rule names, never paths */
	LIST_PATHS, /* --drivers */
	LIST_RULES, /* --rules: names, or paths when they look like one */
};

/* Copies a list (or the defaults' list when l is NULL), resolving paths. */
static int
list_resolve(const char *base, char *const *l, enum list_kind kind, char ***ret)
{
	_cleanup_strv_free_ char **out = NULL;

	STRV_FOREACH (s, l) {
		bool path = kind == LIST_PATHS ||
		            (kind == LIST_RULES && rule_is_path(*s));
		char *v = path ? resolve(base, *s) : strdup(*s);

		if (!v || util_strv_consume(&out, v) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* The item as it goes to the child: own lists, else the defaults'. */
static int
item_finish(const char *base, const struct batch_item *dflt,
            struct batch_item *it)
{
	char **l;
	char *s;

	if (it->image) {
		s = resolve(base, it->image);
		if (!s)
			return -ENOMEM;
		free(it->image);
		it->image = s;
	}
#define LIST(f, kind)                                                          \
	do {                                                                   \
		if (list_resolve(base, it->f ? it->f : dflt->f, kind, &l) < 0) \
			return -ENOMEM;                                        \
		util_strv_free(it->f);                                         \
		it->f = l;                                                     \
	} while (0)
	LIST(rules, LIST_RULES);
	LIST(drivers, LIST_PATHS);
	LIST(force, LIST_NAMES);
#undef LIST
#define PATH(f, isp)                                                \
	do {                                                        \
		const char *v_ = it->f ? it->f : dflt->f;           \
		if (v_) {                                           \
			s = (isp) ? resolve(base, v_) : strdup(v_); \
			if (!s)                                     \
				return -ENOMEM;                     \
			free(it->f);                                \
			it->f = s;                                  \
		}                                                   \
	} while (0)
	PATH(patch_cache, true);
	PATH(backup, true);
	PATH(root, false);
#undef PATH
	return 0;
}

static int
push_item(struct batch_manifest *m, struct batch_item *it)
{
	struct batch_item *t;

	if (m->n_items >= BATCH_MAX_IMAGES)
		return -E2BIG;
	t = realloc(m->items, (m->n_items + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	m->items = t;
	m->items[m->n_items++] = *it;
	*it = (struct batch_item){0};
	return 0;
}

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);

static int
fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return r;
}

/* One string value: present, a string, not too long, no NUL. */
static int
json_str(struct json_object *v, char **ret)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > BATCH_MAX_WORD || strlen(s) != n)
		return -EINVAL;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* A list: an array of strings, or one string. */
static int
json_list(struct json_object *v, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	char *s;
	size_t n;
	int r;

	if (json_object_is_type(v, json_type_string)) {
		r = json_str(v, &s);
		if (r < 0 || util_strv_consume(&l, s) < 0)
			return r < 0 ? r : -ENOMEM;
		*ret = TAKE_PTR(l);
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return -EINVAL;
	n = json_object_array_length(v);
	if (n > BATCH_MAX_LIST)
		return -E2BIG;
	/* An empty array is an empty list, not "use the defaults". */
	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = json_str(json_object_array_get_idx(v, i), &s);
		if (r < 0)
			return r;
		if (util_strv_consume(&l, s) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

static int
json_item(struct json_object *o, bool defaults, struct batch_item *it,
          const char **ret_key)
{
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	json_object_object_foreach(o, key, v)
	{
		int r;

		*ret_key = key;
		if (streq(key, "image") && !defaults)
			r = it->image ? -EINVAL : json_str(v, &it->image);
		else if (streq(key, "rules"))
			r = json_list(v, &it->rules);
		else if (streq(key, "drivers"))
			r = json_list(v, &it->drivers);
		else if (streq(key, "force"))
			r = json_list(v, &it->force);
		else if (streq(key, "patch_cache"))
			r = json_str(v, &it->patch_cache);
		else if (streq(key, "backup") && !defaults)
			r = json_str(v, &it->backup);
		else if (streq(key, "root"))
			r = json_str(v, &it->root);
		else
			r = -ENOKEY;
		if (r < 0)
			return r;
	}
	*ret_key = NULL;
	return 0;
}

static int
load_json(const char *path, const char *base, const char *buf, size_t len,
          struct batch_manifest *m, char **ret_error)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok =
	        json_tokener_new_ex(BATCH_JSON_DEPTH);
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	struct json_object *images = NULL, *dflt_o = NULL;
	struct batch_item dflt = {0};
	const char *key = NULL;
	size_t n;
	int r;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success)
		return fail(
		        ret_error, -EINVAL,
		        "%s: not valid JSON (%s at byte %zu)", path,
		        json_tokener_error_desc(json_tokener_get_error(tok)),
		        json_tokener_get_parse_end(tok));
	if (json_tokener_get_parse_end(tok) < len &&
	    buf[json_tokener_get_parse_end(tok) +
	        strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n")] !=
	            '\0')
		return fail(ret_error, -EINVAL,
		            "%s: trailing data after the JSON object", path);
	if (!json_object_is_type(root, json_type_object))
		return fail(ret_error, -EINVAL, "%s: expected a JSON object",
		            path);
	json_object_object_foreach(root, k, v)
	{
		if (streq(k, "images"))
			images = v;
		else if (streq(k, "defaults"))
			dflt_o = v;
		else
			return fail(ret_error, -EINVAL,
			            "%s: unknown key \"%.64s\" (expected "
			            "\"images\" and \"defaults\")",
			            path, k);
	}
	if (!images || !json_object_is_type(images, json_type_array))
		return fail(ret_error, -EINVAL,
		            "%s: \"images\" must be an array of objects", path);
	if (dflt_o) {
		r = json_item(dflt_o, true, &dflt, &key);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = fail(ret_error, -EINVAL,
			         "%s: \"defaults\": %s%.64s%s", path,
			         key ? "bad or unknown key \""
			             : "not an object",
			         key ? key : "", key ? "\"" : "");
			goto out;
		}
	}
	n = json_object_array_length(images);
	if (n > BATCH_MAX_IMAGES) {
		r = fail(ret_error, -E2BIG, "%s: more than %u images", path,
		         BATCH_MAX_IMAGES);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct batch_item it = {.line = (unsigned)i + 1};

		key = NULL;
		r = json_item(json_object_array_get_idx(images, i), false, &it,
		              &key);
		if (r >= 0 && !it.image)
			r = -EDESTADDRREQ;
		if (r >= 0)
			r = item_finish(base, &dflt, &it);
		if (r >= 0)
			r = push_item(m, &it);
		item_done(&it);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = fail(ret_error, -EINVAL, "%s: image %zu: %s%.64s%s",
			         path, i + 1,
			         r == -EDESTADDRREQ ? "no \"image\""
			         : key              ? "bad or unknown key \""
			                            : "not an object",
			         r != -EDESTADDRREQ && key ? key : "",
			         r != -EDESTADDRREQ && key ? "\"" : "");
			goto out;
		}
	}
	r = 0;
out:
	item_done(&dflt);
	return r;
}

/* Splits a text line into words: blanks separate, "..." quotes, a
 * backslash escapes the next byte, '#' at a word start ends the line. */
static int
split_words(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *w = malloc(strlen(s) + 1);

	if (!w)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;
		bool quoted = false;

		s += strspn(s, " \t\r");
		if (!*s || *s == '#')
			break;
		while (*s && (quoted || !strchr(" \t\r", *s))) {
			if (*s == '"') {
				quoted = !quoted;
				s++;
			} else if (*s == '\\' && s[1]) {
				w[n++] = s[1];
				s += 2;
			} else
				w[n++] = *s++;
		}
		if (quoted)
			return -EBADMSG;
		if (n > BATCH_MAX_WORD)
			return -E2BIG;
		if (util_strv_length(l) >= BATCH_TEXT_MAX_WORDS)
			return -E2BIG;
		if (util_strv_consume(&l, util_strndup0(w, n)) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* `imgfix fix` options on a manifest line, with getopt_long as the CLI. */
static int
text_options(int argc, char **argv, struct batch_item *it, char **ret_bad)
{
	enum { ARG_ROOT = 0x100, ARG_BACKUP, ARG_FORCE };
	static const struct option options[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"drivers", required_argument, NULL, 'd'},
	        {"patch-cache", required_argument, NULL, 'p'},
	        {"root", required_argument, NULL, ARG_ROOT},
	        {"backup", required_argument, NULL, ARG_BACKUP},
	        {"force", required_argument, NULL, ARG_FORCE},
	        {NULL, 0, NULL, 0},
	};
	int c, saved_opterr = opterr;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:d:p:", options, NULL)) >= 0) {
		char ***l = NULL, **s = NULL;

		switch (c) {
		case 'r':
			l = &it->rules;
			break;
		case 'd':
			l = &it->drivers;
			break;
		case ARG_FORCE:
			l = &it->force;
			break;
		case 'p':
			s = &it->patch_cache;
			break;
		case ARG_ROOT:
			s = &it->root;
			break;
		case ARG_BACKUP:
			s = &it->backup;
			break;
		default:
			*ret_bad = argv[MIN(optind, argc) - 1];
			opterr = saved_opterr;
			return -EINVAL;
		}
		if (l && util_strv_length(*l) >= BATCH_MAX_LIST) {
			*ret_bad = argv[optind - 1];
			opterr = saved_opterr;
			return -E2BIG;
		}
		if (l && util_strv_push(l, optarg) < 0)
			return -ENOMEM;
		if (s) {
			free(*s);
			*s = strdup(optarg);
			if (!*s)
				return -ENOMEM;
		}
	}
	opterr = saved_opterr;
	if (optind < argc) {
		*ret_bad = argv[optind];
		return -EBADMSG;
	}
	return 0;
}

static int
load_text(const char *path, const char *base, char *buf,
          struct batch_manifest *m, char **ret_error)
{
	struct batch_item dflt = {0};
	unsigned line = 0;
	char *save = NULL;
	int r = 0;

	for (char *s = buf; s; s = save) {
		_cleanup_strv_free_ char **words = NULL, **argv = NULL;
		struct batch_item it = {0};
		char *bad = NULL;
		bool is_default;

		save = strchr(s, '\n');
		if (save)
			*save++ = '\0';
		line++;
		r = split_words(s, &words);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			r = fail(ret_error, -EINVAL, "%s:%u: %s", path, line,
			         r == -EBADMSG ? "unterminated quote"
			                       : "line too long");
			break;
		}
		if (!words)
			continue;
		is_default = words[0][0] == '-';
		/* argv[0] for getopt, then the options after the image. */
		if (util_strv_push(&argv, "manifest") < 0) {
			r = -ENOMEM;
			break;
		}
		for (size_t i = is_default ? 0 : 1; words[i]; i++)
			if (util_strv_push(&argv, words[i]) < 0) {
				r = -ENOMEM;
				break;
			}
		if (r < 0)
			break;
		it.line = line;
		r = text_options((int)util_strv_length(argv), argv,
		                 is_default ? &dflt : &it, &bad);
		if (r == -ENOMEM) {
			item_done(&it);
			break;
		}
		if (r < 0) {
			item_done(&it);
			r = fail(ret_error, -EINVAL,
			         "%s:%u: %s '%.64s' (expected IMAGE followed "
			         "by -r, -d, -p, --root, --backup, --force)",
			         path, line,
			         r == -EBADMSG ? "unexpected word"
			         : r == -E2BIG
			                 ? "too many values for"
			                 : "unknown option or missing value",
			         bad ? bad : "?");
			break;
		}
		if (is_default)
			continue;
		it.image = strdup(words[0]);
		if (!it.image)
			r = -ENOMEM;
		if (r >= 0)
			r = item_finish(base, &dflt, &it);
		if (r >= 0)
			r = push_item(m, &it);
		item_done(&it);
		if (r == -E2BIG)
			r = fail(ret_error, -E2BIG,
			         "%s:%u: more than %u images", path, line,
			         BATCH_MAX_IMAGES);
		if (r < 0)
			break;
	}
	item_done(&dflt);
	return r;
}

int
batch_manifest_load(const char *path, struct batch_manifest *ret,
                    char **ret_error)
{
	_cleanup_free_ char *buf = NULL, *copy = NULL;
	struct batch_manifest m = {0};
	const char *base = NULL;
	size_t len;
	int r;

	*ret_error = NULL;
	r = util_read_file(path, BATCH_MANIFEST_MAX, &buf, &len);
	if (r == -EFBIG)
		return fail(ret_error, r, "%s: larger than %u bytes", path,
		            BATCH_MANIFEST_MAX);
	if (r < 0)
		return r;
	if (strlen(buf) != len)
		return fail(ret_error, -EINVAL, "%s: contains a NUL byte",
		            path);
	if (strchr(path, '/')) {
		copy = strdup(path);
		if (!copy)
			return -ENOMEM;
		base = dirname(copy);
	}
	m.path = strdup(path);
	if (!m.path)
		return -ENOMEM;
	if (buf[strspn(buf, " \t\r\n")] == '{')
		r = load_json(path, base, buf, len, &m, ret_error);
	else
		r = load_text(path, base, buf, &m, ret_error);
	if (r < 0) {
		batch_manifest_done(&m);
		return r;
	}
	*ret = m;
	return 0;
}

char *
batch_item_backup_dir(const struct batch_item *it)
{
	size_t n = strlen(it->image);
	char *r;

	if (it->backup)
		return strdup(it->backup);
	/* As journal_default_dir(): IMAGE.imgfix beside the image. */
	while (n > 1 && it->image[n - 1] == '/')
		n--;
	if (util_asprintf(&r, "%.*s.imgfix", (int)n, it->image) < 0)
		return NULL;
	return r;
}

int
batch_item_argv(const struct batch_item *it, int verbose, char ***ret)
{
	_cleanup_strv_free_ char **a = NULL;
	int r = 0;

#define PUSH(s)                                          \
	do {                                             \
		if (r >= 0 && util_strv_push(&a, s) < 0) \
			r = -ENOMEM;                     \
	} while (0)
	PUSH("imgfix");
	for (int i = 0; i < verbose && i < 3; i++)
		PUSH("-v");
	PUSH("--quiet");
	PUSH("fix");
	PUSH("--json");
	STRV_FOREACH (s, it->rules) {
		PUSH("--rules");
		PUSH(*s);
	}
	STRV_FOREACH (s, it->drivers) {
		PUSH("--drivers");
		PUSH(*s);
	}
	STRV_FOREACH (s, it->force) {
		PUSH("--force");
		PUSH(*s);
	}
	if (it->patch_cache) {
		PUSH("--patch-cache");
		PUSH(it->patch_cache);
	}
	if (it->root) {
		PUSH("--root");
		PUSH(it->root);
	}
	if (it->backup) {
		PUSH("--backup");
		PUSH(it->backup);
	}
	/* "--" keeps an image named "-x" an image. */
	PUSH("--");
	PUSH(it->image);
#undef PUSH
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}
