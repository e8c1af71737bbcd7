/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --key for LUKS, in the libguestfs tools' syntax (virt-inspector(1)):
 *
 *   --key SELECTOR:key:KEY_STRING
 *   --key SELECTOR:file:FILENAME   (the first line of the file)
 *
 * SELECTOR is a device name as libguestfs names it ("/dev/sda2"), the
 * LUKS UUID, or "all" (tried on every encrypted device).  Keys end up in
 * a (selector, key) string list for struct fixup_image_options; they are
 * never logged.
 */
#include "cli/cmd.h"
#include "util.h"

#define KEY_FILE_MAX (64u * 1024)

void
imgfix_keys_free(char **keys)
{
	STRV_FOREACH (k, keys)
		explicit_bzero(*k, strlen(*k));
	util_strv_free(keys);
}

int
imgfix_parse_key(const char *arg, char ***keys)
{
	_cleanup_free_ char *selector = NULL, *key = NULL;
	const char *c1 = strchr(arg, ':'), *type, *value;
	int r;

	if (!c1 || c1 == arg)
		goto bad;
	type = c1 + 1;
	if ((value = util_startswith(type, "key:")))
		key = strdup(value);
	else if ((value = util_startswith(type, "file:"))) {
		_cleanup_free_ char *buf = NULL;

		r = util_read_file(value, KEY_FILE_MAX, &buf, NULL);
		if (r < 0)
			return log_error_errno(
			        r,
			        "--key: cannot read the key file "
			        "%s: %m",
			        value);
		buf[strcspn(buf, "\r\n")] = '\0';
		key = TAKE_PTR(buf);
	} else
		goto bad;
	if (!key)
		return -ENOMEM;
	if (!*key)
		return log_error_errno(-EINVAL,
		                       "--key for %.*s: the key is empty.",
		                       (int)(c1 - arg), arg);
	selector = util_strndup0(arg, (size_t)(c1 - arg));
	if (!selector)
		return -ENOMEM;
	if ((r = util_strv_push(keys, selector)) < 0 ||
	    (r = util_strv_push(keys, key)) < 0)
		return r;
	explicit_bzero(key, strlen(key));
	return 0;
bad:
	/* the argument may hold a key: never echo it */
	return log_error_errno(-EINVAL,
	                       "--key expects SELECTOR:key:KEY or "
	                       "SELECTOR:file:FILE (SELECTOR: a device such as "
	                       "/dev/sda2, a LUKS UUID, or all).");
}
