/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bytes of an INF to UTF-8 text: UTF-16LE/BE with a BOM, UTF-8 with or
 * without one, else Windows-1252 (what setupapi accepts); and the verbatim
 * token replacement that stamps templates ($ARCH$, INX_* placeholders).
 */
#include "drivers-internal.h"

/* ---- decoding to UTF-8 ----------------------------------------------- */

/* Windows-1252 0x80..0x9F; undefined bytes map to the C1 control. */
static const uint16_t cp1252_c1[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static bool
valid_utf8(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;

		/* ASCII runs 8 bytes at a time (most of an INF) */
		while (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF)
			return false;
		i += n + 1;
	}
	return true;
}

static int
cp1252_to_utf8(const uint8_t *s, size_t len, char **ret, size_t *ret_len)
{
	char *out, *o;

	if (len > SIZE_MAX / 3 - 1)
		return -ENOMEM;
	out = malloc(len * 3 + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = s[i];

		if (cp >= 0x80 && cp <= 0x9F)
			cp = cp1252_c1[cp - 0x80];
		if (cp < 0x80)
			*o++ = (char)cp;
		else if (cp < 0x800) {
			*o++ = (char)(0xC0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3F));
		} else {
			*o++ = (char)(0xE0 | cp >> 12);
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
			*o++ = (char)(0x80 | (cp & 0x3F));
		}
	}
	*o = '\0';
	*ret_len = (size_t)(o - out);
	*ret = out;
	return 0;
}

int
drivers_inf_decode(const char *name, const uint8_t *buf, size_t len, char **ret,
                   size_t *ret_len, char **ret_error)
{
	int r;

	if (len >= 2 && ((buf[0] == 0xFF && buf[1] == 0xFE) ||
	                 (buf[0] == 0xFE && buf[1] == 0xFF))) {
		_cleanup_free_ uint8_t *swapped = NULL;
		const uint8_t *p = buf + 2;
		size_t n = len - 2;

		if (n % 2)
			return drivers_error(ret_error, -EBADMSG, name, 0,
			                     "UTF-16 text with an odd number "
			                     "of bytes");
		if (buf[0] == 0xFE) {
			swapped = malloc(n ? n : 1);
			if (!swapped)
				return -ENOMEM;
			for (size_t i = 0; i < n; i += 2) {
				swapped[i] = p[i + 1];
				swapped[i + 1] = p[i];
			}
			p = swapped;
		}
		r = util_utf16le_to_utf8(p, n, ret, ret_len);
		if (r < 0)
			return drivers_error(ret_error,
			                     r == -ENOMEM ? r : -EBADMSG, name,
			                     0, "invalid UTF-16 text");
		return 0;
	}
	if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
		buf += 3;
		len -= 3;
		if (!valid_utf8(buf, len))
			return drivers_error(ret_error, -EBADMSG, name, 0,
			                     "invalid UTF-8 after a UTF-8 BOM");
	} else if (!valid_utf8(buf, len))
		return cp1252_to_utf8(buf, len, ret, ret_len);
	*ret = util_strndup0((const char *)buf, len);
	if (!*ret)
		return -ENOMEM;
	*ret_len = len;
	return 0;
}

/* Replaces every occurrence of token in *text by value. */
int
drivers_inf_replace_all(char **text, size_t *len, const char *token,
                        const char *value)
{
	size_t tl = strlen(token), vl = strlen(value), count = 0, nl;
	char *out, *o;
	const char *p, *q;

	if (tl == 0)
		return 0;
	for (p = *text; (q = strstr(p, token)); p = q + tl)
		count++;
	if (count == 0)
		return 0;
	if (vl > tl && (vl - tl) > (DRIVERS_MAX_INF_SIZE * 4ull) / count)
		return -EFBIG;
	nl = *len - count * tl + count * vl;
	if (nl > DRIVERS_MAX_INF_SIZE * 4ull)
		return -EFBIG;
	out = malloc(nl + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (p = *text; (q = strstr(p, token)); p = q + tl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, value, vl);
		o += vl;
	}
	strcpy(o, p);
	free(*text);
	*text = out;
	*len = nl;
	return 0;
}
