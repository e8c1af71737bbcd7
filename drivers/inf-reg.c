/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AddReg / DelReg lines of an INF decoded into registry entries
 * (struct drivers_reg): root, subkey, value name, FLG_ADDREG_* flags and
 * the value's bytes encoded as the registry stores them (UTF-16LE strings,
 * MULTI_SZ lists, DWORDs, binary bytes).
 */
#include "drivers-internal.h"

/* ---- AddReg / DelReg --------------------------------------------------- */

void
drivers_reg_done(struct drivers_reg *r)
{
	if (!r)
		return;
	free(r->root);
	free(r->subkey);
	free(r->name);
	free(r->data);
	*r = (struct drivers_reg){0};
}

static int
encode_sz(const char *s, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ void *u = NULL;
	size_t ul;
	uint8_t *b;
	int r;

	r = util_utf8_to_utf16le(s, strlen(s), &u, &ul);
	if (r < 0)
		return r;
	b = malloc(ul + 2);
	if (!b)
		return -ENOMEM;
	if (ul)
		memcpy(b, u, ul);
	b[ul] = b[ul + 1] = 0;
	*ret = b;
	*ret_len = ul + 2;
	return 0;
}

static int
encode_multi_sz(char *const *items, size_t n, uint8_t **ret, size_t *ret_len)
{
	uint8_t *b = NULL;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ uint8_t *e = NULL;
		size_t el;
		uint8_t *nb;
		int r;

		if (!*items[i])
			continue;
		r = encode_sz(items[i], &e, &el);
		if (r < 0) {
			free(b);
			return r;
		}
		nb = realloc(b, len + el + 2);
		if (!nb) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
		memcpy(b + len, e, el);
		len += el;
	}
	if (!b) {
		b = malloc(2);
		if (!b)
			return -ENOMEM;
	}
	b[len] = b[len + 1] = 0;
	*ret = b;
	*ret_len = len + 2;
	return 0;
}

static int
hex_byte(const char *s, uint8_t *ret)
{
	uint32_t v;
	_cleanup_free_ char *t = NULL;

	while (drivers_blank(*s))
		s++;
	if (!*s)
		return -EINVAL;
	if (util_startswith_case(s, "0x"))
		s += 2;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789abcdefABCDEF", *p))
			return -EINVAL;
	if (strlen(s) > 2 || !*s)
		return -EINVAL;
	if (util_asprintf(&t, "0x%s", s) < 0)
		return -ENOMEM;
	if (util_parse_u32(t, &v) < 0 || v > 0xff)
		return -EINVAL;
	*ret = (uint8_t)v;
	return 0;
}

int
drivers_inf_decode_reg(const struct drivers_inf *inf,
                       const struct drivers_inf_line *l, bool del,
                       struct drivers_reg *ret, char **ret_error)
{
	static const char *const roots[] = {"HKR", "HKLM", "HKCR", "HKCU",
	                                    "HKU"};
	_cleanup_(drivers_reg_done) struct drivers_reg g = {0};
	char *const *f = l->fields;
	size_t n = l->n_fields;
	uint32_t flags = 0;
	int r;

	if (l->key || n < 1 || !*f[0])
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     l->lineno, "registry line without a root");
	for (size_t i = 0; i < ELEMENTSOF(roots); i++)
		if (strcaseeq(f[0], roots[i]))
			g.root = strdup(roots[i]);
	if (!g.root)
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     l->lineno, "unknown registry root \"%s\"",
		                     f[0]);
	g.subkey = strdup(n > 1 ? f[1] : "");
	if (!g.subkey)
		return -ENOMEM;
	if (n > 3 && *f[3] && drivers_inf_number(f[3], &flags) < 0)
		return drivers_error(ret_error, -EBADMSG, drivers_inf_name(inf),
		                     l->lineno, "bad registry flags \"%s\"",
		                     f[3]);
	g.flags = flags;
	if (n > 2) {
		g.name = strdup(f[2]);
		if (!g.name)
			return -ENOMEM;
	}

	if (del) {
		g.del = true;
		if ((flags & DRIVERS_FLG_DELREG_MULTI_SZ_DELSTRING) ==
		    DRIVERS_FLG_DELREG_MULTI_SZ_DELSTRING) {
			if (n < 5)
				return drivers_error(
				        ret_error, -EBADMSG,
				        drivers_inf_name(inf), l->lineno,
				        "DelReg DELSTRING without a string");
			g.type = HIVE_T_MULTI_SZ;
			r = encode_sz(f[4], &g.data, &g.len);
			if (r < 0)
				return r;
		}
		*ret = g;
		g = (struct drivers_reg){0};
		return 0;
	}

	g.no_clobber = flags & DRIVERS_FLG_ADDREG_NOCLOBBER;
	g.append = flags & DRIVERS_FLG_ADDREG_APPEND;
	g.key_only = (flags & DRIVERS_FLG_ADDREG_KEYONLY) || n <= 2;
	g.del = flags & DRIVERS_FLG_ADDREG_DELVAL;
	if (g.key_only && n <= 2) {
		free(g.name);
		g.name = NULL;
	}

	switch (flags & DRIVERS_FLG_ADDREG_TYPE_MASK) {
	case DRIVERS_FLG_ADDREG_TYPE_SZ:
		g.type = HIVE_T_SZ;
		break;
	case DRIVERS_FLG_ADDREG_TYPE_MULTI_SZ:
		g.type = HIVE_T_MULTI_SZ;
		break;
	case DRIVERS_FLG_ADDREG_TYPE_EXPAND_SZ:
		g.type = HIVE_T_EXPAND_SZ;
		break;
	case DRIVERS_FLG_ADDREG_TYPE_BINARY:
		g.type = HIVE_T_BINARY;
		break;
	case DRIVERS_FLG_ADDREG_TYPE_DWORD:
		g.type = HIVE_T_DWORD;
		break;
	case DRIVERS_FLG_ADDREG_TYPE_NONE:
		g.type = HIVE_T_NONE;
		break;
	default:
		g.type = flags >> 16; /* the "type in the high word" form */
		break;
	}
	if (g.key_only || g.del) {
		*ret = g;
		g = (struct drivers_reg){0};
		return 0;
	}

	if (!(flags & DRIVERS_FLG_ADDREG_BINVALUETYPE) ||
	    (g.type == HIVE_T_DWORD && n == 5)) {
		if (g.type == HIVE_T_MULTI_SZ)
			r = encode_multi_sz(f + MIN(n, 4), n > 4 ? n - 4 : 0,
			                    &g.data, &g.len);
		else if (g.type == HIVE_T_DWORD) {
			uint32_t v;

			if (drivers_inf_number(f[4], &v) < 0)
				return drivers_error(
				        ret_error, -EBADMSG,
				        drivers_inf_name(inf), l->lineno,
				        "bad DWORD value \"%s\"", f[4]);
			g.data = malloc(4);
			if (!g.data)
				return -ENOMEM;
			util_put_le32(g.data, v);
			g.len = 4;
			r = 0;
		} else
			r = encode_sz(n > 4 ? f[4] : "", &g.data, &g.len);
		if (r < 0)
			return r;
	} else if (n > 4) {
		g.data = malloc(n - 4);
		if (!g.data)
			return -ENOMEM;
		for (size_t i = 4; i < n; i++)
			if (hex_byte(f[i], &g.data[g.len++]) < 0)
				return drivers_error(ret_error, -EBADMSG,
				                     drivers_inf_name(inf),
				                     l->lineno,
				                     "bad binary byte \"%s\" "
				                     "(field %zu)",
				                     f[i], i + 1);
	}
	*ret = g;
	g = (struct drivers_reg){0};
	return 0;
}
