/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * String helpers, NULL-terminated string lists and the sorted string map
 * that carries guest facts.
 */
#include <ctype.h>
#include <inttypes.h>

#include "util.h"

const char *
util_startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

const char *
util_startswith_case(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(s, prefix, n) == 0 ? s + n : NULL;
}

bool
util_endswith_case(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

char *
util_strndup0(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (!r)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

int
util_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void
util_replace_strf(char **p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!p)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*p);
	*p = s;
}

char *
util_strtolower(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

int
util_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s || *s == '-' || *s == '+')
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
util_parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r;

	r = util_parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

/* ---- string lists ------------------------------------------------------- */

char **
util_strv_free(char **l)
{
	if (!l)
		return NULL;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
	return NULL;
}

size_t
util_strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

int
util_strv_consume(char ***l, char *s)
{
	size_t n = util_strv_length(*l);
	char **t;

	if (!s)
		return -ENOMEM;
	t = realloc(*l, (n + 2) * sizeof(char *));
	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[n] = s;
	t[n + 1] = NULL;
	*l = t;
	return 0;
}

int
util_strv_push(char ***l, const char *s)
{
	return util_strv_consume(l, strdup(s));
}

bool
util_strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH (p, l)
		if (streq(*p, s))
			return true;
	return false;
}

bool
util_strv_contains_case(char *const *l, const char *s)
{
	STRV_FOREACH (p, l)
		if (strcaseeq(*p, s))
			return true;
	return false;
}

char **
util_strv_copy(char *const *l)
{
	size_t n = util_strv_length(l);
	char **r = calloc(n + 1, sizeof(char *));

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		r[i] = strdup(l[i]);
		if (!r[i])
			return util_strv_free(r);
	}
	return r;
}

int
util_strv_split(const char *s, const char *separators, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	int r;

	while (*s) {
		size_t n = strcspn(s, separators);

		if (n > 0) {
			r = util_strv_consume(&l, util_strndup0(s, n));
			if (r < 0)
				return r;
		}
		s += n;
		if (*s)
			s++;
	}
	if (!l) {
		l = calloc(1, sizeof(char *));
		if (!l)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

char *
util_strv_join(char *const *l, const char *sep)
{
	size_t n = 0, k = strlen(sep);
	char *r, *p;

	STRV_FOREACH (s, l)
		n += strlen(*s) + k;
	r = malloc(n + 1);
	if (!r)
		return NULL;
	p = r;
	STRV_FOREACH (s, l) {
		if (p != r) {
			memcpy(p, sep, k);
			p += k;
		}
		p = stpcpy(p, *s);
	}
	*p = '\0';
	return r;
}

/* ---- sorted string map -------------------------------------------------- */

struct util_strmap {
	size_t n, allocated;
	char **keys;
	char **values;
};

struct util_strmap *
util_strmap_new(void)
{
	return calloc(1, sizeof(struct util_strmap));
}

struct util_strmap *
util_strmap_free(struct util_strmap *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	free(m);
	return NULL;
}

/* Binary search: returns the index of key, or -(insertion point) - 1. */
static ptrdiff_t
strmap_find(const struct util_strmap *m, const char *key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->keys[mid], key);

		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(ptrdiff_t)lo - 1;
}

int
util_strmap_set(struct util_strmap *m, const char *key, const char *value)
{
	ptrdiff_t i = strmap_find(m, key);
	char *v = strdup(value), *k;
	size_t at;

	if (!v)
		return -ENOMEM;
	if (i >= 0) {
		free(m->values[i]);
		m->values[i] = v;
		return 0;
	}
	k = strdup(key);
	if (!k) {
		free(v);
		return -ENOMEM;
	}
	if (m->n == m->allocated) {
		size_t na = m->allocated ? m->allocated * 2 : 64;
		char **nk = realloc(m->keys, na * sizeof(char *));

		if (nk)
			m->keys = nk;
		char **nv = nk ? realloc(m->values, na * sizeof(char *)) : NULL;
		if (!nv) {
			free(k);
			free(v);
			return -ENOMEM;
		}
		m->values = nv;
		m->allocated = na;
	}
	at = (size_t)(-i - 1);
	memmove(m->keys + at + 1, m->keys + at, (m->n - at) * sizeof(char *));
	memmove(m->values + at + 1, m->values + at,
	        (m->n - at) * sizeof(char *));
	m->keys[at] = k;
	m->values[at] = v;
	m->n++;
	return 0;
}

int
util_strmap_setf(struct util_strmap *m, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0) {
		v = NULL;
		return -ENOMEM;
	}
	return util_strmap_set(m, key, v);
}

int
util_strv_pushfv(char ***l, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	return util_strv_consume(l, s);
}

int
util_strv_pushf(char ***l, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = util_strv_pushfv(l, fmt, ap);
	va_end(ap);
	return r;
}

const char *
util_strmap_get(const struct util_strmap *m, const char *key)
{
	ptrdiff_t i;

	if (!m)
		return NULL;
	i = strmap_find(m, key);
	return i >= 0 ? m->values[i] : NULL;
}

int
util_strmap_remove(struct util_strmap *m, const char *key)
{
	ptrdiff_t i = strmap_find(m, key);

	if (i < 0)
		return -ENOENT;
	free(m->keys[i]);
	free(m->values[i]);
	memmove(m->keys + i, m->keys + i + 1,
	        (m->n - (size_t)i - 1) * sizeof(char *));
	memmove(m->values + i, m->values + i + 1,
	        (m->n - (size_t)i - 1) * sizeof(char *));
	m->n--;
	return 0;
}

size_t
util_strmap_size(const struct util_strmap *m)
{
	return m ? m->n : 0;
}

const char *
util_strmap_key(const struct util_strmap *m, size_t i)
{
	return i < m->n ? m->keys[i] : NULL;
}

const char *
util_strmap_value(const struct util_strmap *m, size_t i)
{
	return i < m->n ? m->values[i] : NULL;
}
