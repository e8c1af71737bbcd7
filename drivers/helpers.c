/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The small helpers every file of drivers/ shares: error messages naming
 * the file and line, growable arrays, DriverVer sort keys and package
 * relative paths.  Depends on nothing else in drivers/.
 */
#include <stdarg.h>

#include "drivers-internal.h"

int
drivers_error(char **ret_error, int err, const char *name, unsigned line,
              const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	if (!ret_error || *ret_error)
		return err;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		return err;
	}
	if (line > 0)
		r = util_asprintf(ret_error, "%s:%u: %s", name ? name : "?",
		                  line, msg);
	else
		r = util_asprintf(ret_error, "%s: %s", name ? name : "?", msg);
	if (r < 0)
		*ret_error = NULL;
	return err;
}

int
drivers_grow(void **v, size_t *allocated, size_t n, size_t size)
{
	size_t a;
	void *p;

	if (n < *allocated)
		return 0;
	a = *allocated ? *allocated * 2 : 8;
	if (a > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*v, a * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*allocated = a;
	return 0;
}

uint32_t
drivers_date_key(const char *date)
{
	unsigned m, d, y;
	char tail;

	if (!date || sscanf(date, "%u/%u/%u%c", &m, &d, &y, &tail) != 3)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > 31 || y > 9999)
		return 0;
	return y * 10000 + m * 100 + d;
}

uint64_t
drivers_version_key(const char *version)
{
	unsigned v[4] = {0, 0, 0, 0};
	int n;

	if (!version)
		return 0;
	n = sscanf(version, "%u.%u.%u.%u", &v[0], &v[1], &v[2], &v[3]);
	if (n < 1)
		return 0;
	for (int i = 0; i < 4; i++)
		if (v[i] > 0xffff)
			return 0;
	return (uint64_t)v[0] << 48 | (uint64_t)v[1] << 32 |
	       (uint64_t)v[2] << 16 | v[3];
}

int
drivers_rel_path(const char *a, const char *b, const char *c, char **ret)
{
	_cleanup_strv_free_ char **parts = NULL;
	const char *in[] = {a, b, c};
	char *j;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(in); i++) {
		_cleanup_strv_free_ char **p = NULL;

		if (!in[i] || !*in[i])
			continue;
		if (i > 0 && strchr(in[i], ':'))
			return -EINVAL; /* a drive letter: not in a package */
		r = util_strv_split(in[i], "\\/", &p);
		if (r < 0)
			return r;
		STRV_FOREACH (s, p) {
			if (streq(*s, "."))
				continue;
			if (streq(*s, ".."))
				return -EINVAL;
			r = util_strv_push(&parts, *s);
			if (r < 0)
				return r;
		}
	}
	if (!parts)
		return -EINVAL;
	j = util_strv_join(parts, "/");
	if (!j)
		return -ENOMEM;
	*ret = j;
	return 0;
}
