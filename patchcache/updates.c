/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installed-update records of a Windows guest, read from its SOFTWARE hive:
 * NT6+ keeps one Component Based Servicing package key per update
 * (Package_for_KB4474419~31bf3856ad364e35~amd64~~6.1.1.6, CurrentState 0x70
 * when installed — a community convention, not documented), NT5 keeps
 * Microsoft\Updates\<product>\<level>\KB… and Windows NT\CurrentVersion\
 * Hotfix\KB….  These records can be stale; the report takes file versions
 * as the deciding evidence and shows the records for information.
 */
#include <ctype.h>

#include "patchcache-internal.h"

#define CBS_PACKAGES                                                      \
	"Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\" \
	"Packages"
#define NT5_UPDATES "Microsoft\\Updates"
#define NT5_HOTFIX "Microsoft\\Windows NT\\CurrentVersion\\Hotfix"
#define CBS_INSTALLED 0x70
#define MAX_KB_DIGITS 8
#define MAX_UPDATE_DEPTH 3

/* "KB" + digits at s (case-insensitive) -> "KB123456"; else -EINVAL. */
static int
kb_at(const char *s, char **ret)
{
	size_t n = 0;

	if (!util_startswith_case(s, "KB"))
		return -EINVAL;
	while (isdigit((unsigned char)s[2 + n]) && n <= MAX_KB_DIGITS)
		n++;
	if (n < 4 || n > MAX_KB_DIGITS)
		return -EINVAL;
	return util_asprintf(ret, "KB%.*s", (int)n, s + 2) < 0 ? -ENOMEM : 0;
}

/* Finds "KB<digits>" anywhere in a key or folder name. */
static int
kb_in(const char *s, char **ret)
{
	for (const char *p = s; *p; p++)
		if ((p == s || !isalnum((unsigned char)p[-1]) ||
		     p[-1] == '_') &&
		    kb_at(p, ret) == 0)
			return 0;
	return -EINVAL;
}

static int
add_kb(char ***l, const char *name)
{
	_cleanup_free_ char *kb = NULL;

	if (kb_in(name, &kb) < 0)
		return 0;
	if (util_strv_contains(*l, kb))
		return 0;
	return util_strv_consume(l, TAKE_PTR(kb));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_cbs(struct hive *h, char ***l)
{
	_cleanup_strv_free_ char **subs = NULL;
	int r;

	r = hive_list_subkeys(h, CBS_PACKAGES, &subs);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (s, subs) {
		_cleanup_free_ char *key = NULL;
		uint32_t state;

		if (!strcasestr(*s, "_for_KB"))
			continue;
		if (util_asprintf(&key, CBS_PACKAGES "\\%s", *s) < 0)
			return -ENOMEM;
		r = hive_get_dword(h, key, "CurrentState", &state);
		if (r >= 0 && state != CBS_INSTALLED)
			continue;
		if (r < 0 && r != -ENOENT && r != -EMEDIUMTYPE)
			return r;
		r = add_kb(l, strcasestr(*s, "_for_KB") + 5);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
read_tree(struct hive *h, const char *key, unsigned depth, char ***l)
{
	_cleanup_strv_free_ char **subs = NULL;
	int r;

	r = hive_list_subkeys(h, key, &subs);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	STRV_FOREACH (s, subs) {
		_cleanup_free_ char *kb = NULL, *sub = NULL;

		if (kb_in(*s, &kb) == 0) {
			r = add_kb(l, *s);
			if (r < 0)
				return r;
			continue;
		}
		if (depth + 1 >= MAX_UPDATE_DEPTH)
			continue;
		if (util_asprintf(&sub, "%s\\%s", key, *s) < 0)
			return -ENOMEM;
		r = read_tree(h, sub, depth + 1, l);
		if (r < 0)
			return r;
	}
	return 0;
}

int
pcache_read_installed_updates(struct hive *software, char ***ret)
{
	_cleanup_strv_free_ char **l = util_strv_copy(NULL);
	int r;

	if (!l)
		return -ENOMEM;
	r = read_cbs(software, &l);
	if (r >= 0)
		r = read_tree(software, NT5_UPDATES, 0, &l);
	if (r >= 0)
		r = read_tree(software, NT5_HOTFIX, MAX_UPDATE_DEPTH - 1, &l);
	if (r < 0)
		return r;
	qsort(l, util_strv_length(l), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(l);
	return (int)util_strv_length(*ret);
}

int
pcache_updates_from_names(char *const *names, char ***updates)
{
	int r;

	if (!*updates && !(*updates = util_strv_copy(NULL)))
		return -ENOMEM;
	STRV_FOREACH (n, names) {
		/* "$NtUninstallKB835935$", "$NtServicePackUninstall$" … */
		if (!util_startswith_case(*n, "$NtUninstall"))
			continue;
		r = add_kb(updates, *n + strlen("$NtUninstall"));
		if (r < 0)
			return r;
	}
	qsort(*updates, util_strv_length(*updates), sizeof(char *), cmp_str);
	return 0;
}
