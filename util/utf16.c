/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-16LE <-> UTF-8 conversion for registry strings and UTF-16 INF files.
 *
 * The conversion is lossless in both directions for anything Windows can
 * store: unpaired surrogates (which the registry happily holds) are carried
 * as WTF-8, the generalised UTF-8 of surrogate code points, and come back as
 * the same 16-bit unit.  Embedded NULs are data like any other character.
 */
#include "util.h"

static size_t
put_utf8(uint8_t *p, uint32_t c)
{
	if (c < 0x80) {
		p[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (uint8_t)(0xc0 | c >> 6);
		p[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (uint8_t)(0xe0 | c >> 12);
		p[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		p[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (uint8_t)(0xf0 | c >> 18);
	p[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
	p[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
	p[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

int
util_utf16le_to_utf8(const void *buf, size_t len, char **ret, size_t *ret_len)
{
	const uint8_t *in = buf;
	size_t n = len / 2, o = 0;
	uint8_t *out;

	if (len % 2)
		return -EILSEQ;
	/* Each unit becomes at most 3 bytes (a pair: 4 bytes for 2 units). */
	if (n > (SIZE_MAX - 1) / 3)
		return -EFBIG;
	out = malloc(n * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = util_le16(in + 2 * i);

		if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
			uint32_t d = util_le16(in + 2 * i + 2);

			if (d >= 0xdc00 && d <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (d - 0xdc00);
				i++;
			}
		}
		o += put_utf8(out + o, c);
	}
	out[o] = '\0';
	*ret = (char *)out;
	if (ret_len)
		*ret_len = o;
	return 0;
}

/* Decodes one (W)UTF-8 sequence; returns its length or 0 when invalid. */
static size_t
get_utf8(const uint8_t *p, size_t left, uint32_t *ret)
{
	uint32_t c;
	size_t n;

	if (p[0] < 0x80) {
		*ret = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Reject overlong forms and values beyond Unicode. */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*ret = c;
	return n;
}

int
util_utf8_to_utf16le(const char *s, size_t len, void **ret, size_t *ret_len)
{
	const uint8_t *in = (const uint8_t *)s;
	size_t o = 0;
	uint8_t *out;

	if (len > SIZE_MAX / 4)
		return -EFBIG;
	out = malloc(len * 2 + 2);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = get_utf8(in + i, len - i, &c);

		if (n == 0) {
			free(out);
			return -EILSEQ;
		}
		i += n;
		if (c >= 0x10000) {
			c -= 0x10000;
			util_put_le16(out + o, (uint16_t)(0xd800 + (c >> 10)));
			util_put_le16(out + o + 2,
			              (uint16_t)(0xdc00 + (c & 0x3ff)));
			o += 4;
		} else {
			util_put_le16(out + o, (uint16_t)c);
			o += 2;
		}
	}
	*ret = out;
	*ret_len = o;
	return 0;
}
