/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small shared pieces of patchcache/: packed file versions, architecture
 * and role names, file name normalisation and error strings.
 */
#include <stdarg.h>

#include "patchcache-internal.h"

int
pcache_version_parse(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned parts = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (parts < 4) {
		unsigned long n = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned long)(*p - '0');
			if (n > 65535)
				return -EINVAL;
			p++;
		}
		if (p == start)
			return -EINVAL;
		v |= (uint64_t)n << (48 - 16 * parts);
		parts++;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -EINVAL;
		p++;
	}
	if (*p != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

char *
pcache_version_format(uint64_t v, char buf[PCACHE_VERSION_STRLEN])
{
	snprintf(buf, PCACHE_VERSION_STRLEN, "%u.%u.%u.%u", (unsigned)(v >> 48),
	         (unsigned)(v >> 32) & 0xffff, (unsigned)(v >> 16) & 0xffff,
	         (unsigned)v & 0xffff);
	return buf;
}

const char *
pcache_arch_to_string(enum pcache_arch a)
{
	switch (a) {
	case PCACHE_ARCH_I386:
		return "i386";
	case PCACHE_ARCH_AMD64:
		return "amd64";
	case PCACHE_ARCH_ANY:
		return "any";
	case PCACHE_ARCH_UNKNOWN:
		break;
	}
	return "unknown";
}

enum pcache_arch
pcache_arch_from_string(const char *s)
{
	static const struct {
		const char *name;
		enum pcache_arch arch;
	} map[] = {
	        {"i386", PCACHE_ARCH_I386},    {"x86", PCACHE_ARCH_I386},
	        {"i686", PCACHE_ARCH_I386},    {"amd64", PCACHE_ARCH_AMD64},
	        {"x86_64", PCACHE_ARCH_AMD64}, {"x64", PCACHE_ARCH_AMD64},
	        {"any", PCACHE_ARCH_ANY},
	};

	if (!s)
		return PCACHE_ARCH_UNKNOWN;
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcaseeq(s, map[i].name))
			return map[i].arch;
	return PCACHE_ARCH_UNKNOWN;
}

static const char *const role_names[] = {
        [PCACHE_ROLE_OTHER] = "other",
        [PCACHE_ROLE_HAL] = "hal",
        [PCACHE_ROLE_KERNEL] = "kernel",
        [PCACHE_ROLE_IDE_DRIVER] = "ide-driver",
        [PCACHE_ROLE_STORAGE_PORT] = "storage-port",
};

const char *
pcache_role_to_string(enum pcache_role r)
{
	if ((size_t)r < ELEMENTSOF(role_names))
		return role_names[r];
	return "other";
}

int
pcache_role_from_string(const char *s, enum pcache_role *ret)
{
	for (size_t i = 0; s && i < ELEMENTSOF(role_names); i++)
		if (streq(s, role_names[i])) {
			*ret = (enum pcache_role)i;
			return 0;
		}
	return -EINVAL;
}

const char *
pcache_status_to_string(enum pcache_status s)
{
	switch (s) {
	case PCACHE_STATUS_IN_GUEST:
		return "in-guest";
	case PCACHE_STATUS_IN_CACHE:
		return "in-cache";
	case PCACHE_STATUS_VERSION_MISMATCH:
		return "version-mismatch";
	case PCACHE_STATUS_MISSING:
		break;
	}
	return "missing";
}

void
pcache_set_error(char **ret_error, const char *file, long line, const char *fmt,
                 ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	if (!ret_error)
		return;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		return;
	}
	free(*ret_error);
	*ret_error = NULL;
	if (line > 0)
		r = util_asprintf(ret_error, "%s:%ld: %s", file, line, msg);
	else if (file)
		r = util_asprintf(ret_error, "%s: %s", file, msg);
	else
		r = util_asprintf(ret_error, "%s", msg);
	if (r < 0)
		*ret_error = NULL;
}

int
pcache_normalize_name(const char *s, char **ret)
{
	size_t n = s ? strlen(s) : 0;
	char *copy;

	if (n == 0 || n > PCACHE_MAX_NAME || streq(s, ".") || streq(s, ".."))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\')
			return -EINVAL;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = util_strtolower(copy);
	return 0;
}
