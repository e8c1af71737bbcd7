/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject-common.c — what the steps of an injection share (the
 * bottom of inject*.c: it calls none of them): the checks of key and file
 * names and hardware IDs, and a case-insensitive unique list push.  Notes
 * for the report are util_strv_pushf(&inj->notes, ...).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

/* One key or file name component: non-empty, bounded, no separators or
 * control characters. */
bool
drivers_inject_valid_component(const char *s, bool file)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > DRIVERS_INJECT_MAX_NAME)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
		if (file && strchr("/:*?\"<>|", *p))
			return false;
	}
	if (streq(s, ".") || streq(s, ".."))
		return false;
	return true;
}

/* A backslash-separated relative path whose components all pass
 * drivers_inject_valid_component(); "" is allowed when allow_empty. */
bool
drivers_inject_valid_rel_path(const char *s, bool file, bool allow_empty)
{
	_cleanup_free_ char *copy = NULL;
	size_t depth = 0;
	char *save = NULL;

	if (!s)
		return false;
	if (!*s)
		return allow_empty;
	if (s[0] == '\\' || s[strlen(s) - 1] == '\\' || strstr(s, "\\\\"))
		return false;
	copy = strdup(s);
	if (!copy)
		return false;
	for (char *t = strtok_r(copy, "\\", &save); t;
	     t = strtok_r(NULL, "\\", &save)) {
		if (++depth > DRIVERS_INJECT_MAX_PATH_DEPTH ||
		    !drivers_inject_valid_component(t, file))
			return false;
	}
	return true;
}

/* A hardware ID usable as a CDDB key name and a DriverDatabase path. */
bool
drivers_inject_valid_hardware_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > DRIVERS_INJECT_MAX_ID_LEN)
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ',' || *p == '/')
			return false;
	return drivers_inject_valid_rel_path(id, false, false);
}

int
drivers_inject_push_unique(char ***l, char *s)
{
	if (util_strv_contains_case(*l, s)) {
		free(s);
		return 0;
	}
	return util_strv_consume(l, s);
}
