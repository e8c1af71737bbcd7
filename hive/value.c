/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Encoding and decoding of registry string data: SZ / EXPAND_SZ (one
 * UTF-16LE string with a terminating NUL) and MULTI_SZ (a list of
 * NUL-terminated UTF-16LE strings followed by an empty one).  The UTF-16
 * work itself is util/'s lossless conversion; this file owns the registry's
 * framing and its leniency about terminators found in real hives.
 */
#include "hive-internal.h"

int
hive_encode_sz(const char *s, uint8_t **ret, size_t *ret_len)
{
	void *u16 = NULL;
	uint8_t *out;
	size_t n;
	int r;

	r = util_utf8_to_utf16le(s, strlen(s), &u16, &n);
	if (r < 0)
		return r;
	/* util_utf8_to_utf16le leaves room for two more bytes. */
	out = u16;
	out[n] = 0;
	out[n + 1] = 0;
	*ret = out;
	*ret_len = n + 2;
	return 0;
}

int
hive_encode_multi_sz(char *const *items, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t len = 0, allocated = 0;
	int r;

	STRV_FOREACH (i, items) {
		_cleanup_free_ void *u16 = NULL;
		size_t n;

		r = util_utf8_to_utf16le(*i, strlen(*i), &u16, &n);
		if (r < 0)
			return r;
		if (len + n + 4 > HIVE_MAX_VALUE_SIZE)
			return -EFBIG;
		if (len + n + 4 > allocated) {
			size_t a = MAX(allocated * 2, len + n + 4);
			uint8_t *p = realloc(out, a);

			if (!p)
				return -ENOMEM;
			out = p;
			allocated = a;
		}
		memcpy(out + len, u16, n);
		len += n;
		out[len++] = 0;
		out[len++] = 0;
	}
	if (len + 2 > allocated) {
		uint8_t *p = realloc(out, len + 2);

		if (!p)
			return -ENOMEM;
		out = p;
	}
	out[len++] = 0;
	out[len++] = 0;
	*ret = TAKE_PTR(out);
	*ret_len = len;
	return 0;
}

int
hive_decode_multi_sz(const uint8_t *data, size_t len, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	size_t n = len / 2, start = 0, count = 0, keep;
	int r;

	/* Split on U+0000.  An odd trailing byte is not UTF-16: ignored.  A
	 * last item without its terminator is kept. */
	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i <= n; i++) {
		char *s;

		if (i < n && util_le16(data + 2 * i) != 0)
			continue;
		if (i == n && start == n)
			break;
		r = util_utf16le_to_utf8(data + 2 * start, 2 * (i - start), &s,
		                         NULL);
		if (r < 0)
			return r;
		r = util_strv_consume(&l, s);
		if (r < 0)
			return r;
		count++;
		start = i + 1;
	}
	/* Trailing empty items are the list terminator (and padding some
	 * writers add); empty items in the middle are data. */
	keep = count;
	while (keep > 0 && l[keep - 1][0] == '\0')
		keep--;
	for (size_t i = keep; i < count; i++) {
		free(l[i]);
		l[i] = NULL;
	}
	*ret = TAKE_PTR(l);
	return 0;
}
