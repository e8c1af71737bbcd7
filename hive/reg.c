/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .reg text: export of a subtree and the difference of two hives.
 *
 * The notation is regedit's "Windows Registry Editor Version 5.00" as
 * hivexregedit --merge and Windows' regedit import it: keys as
 * [PREFIX\path], `@` for the default value, `"name"="text"` for an SZ that
 * is a clean string (printable ASCII and one terminating NUL), dword:xxxxxxxx
 * for a 4-byte DWORD, hex: for BINARY and hex(N): for everything else, wrapped
 * with a trailing backslash as regedit does.  Names are escaped (\\ and \").
 * Values are written sorted by name and subkeys sorted by name (bytewise, like
 * hivexregedit) so that exports are stable and can be compared.
 *
 * A diff is .reg text that turns a into b when merged: "[-key]" for removed
 * keys, the whole subtree for added keys, "name"=- for removed values, the
 * new value for added/changed ones with the old one as a comment line
 * before the key header (hivexregedit's parser ends a key at a comment).
 *
 * The walk keeps a bitmap of visited keys: a hostile hive whose subkey
 * lists form a cycle, or share a key, fails with -ELOOP instead of looping.
 */
#include "hive-internal.h"

/* ---- writing values ----------------------------------------------------- */

bool
hive_reg_name_ok(const char *name)
{
	return !strpbrk(name, "\r\n");
}

static size_t
write_escaped(FILE *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			fputc('\\', out);
			n++;
		}
		fputc(*s, out);
		n++;
	}
	return n;
}

/* An SZ that `"..."` represents exactly and that every .reg reader takes
 * the same way: one terminating NUL at the end and printable ASCII before
 * it.  (hivexregedit reads the text as Latin-1, so non-ASCII text would not
 * survive an import: such strings are written as hex(1).) */
static bool
is_clean_sz(const uint8_t *d, size_t len)
{
	if (len < 2 || len % 2 || util_le16(d + len - 2) != 0)
		return false;
	for (size_t i = 0; i + 2 < len; i += 2) {
		uint16_t c = util_le16(d + i);

		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

int
hive_reg_write_value(FILE *out, const char *name, uint32_t type,
                     const uint8_t *data, size_t len)
{
	size_t col;

	if (!hive_reg_name_ok(name))
		return -EBADMSG;
	if (name[0] == '\0') {
		fputs("@=", out);
		col = 2;
	} else {
		fputc('"', out);
		col = write_escaped(out, name) + 3;
		fputs("\"=", out);
	}

	if (type == HIVE_T_SZ && is_clean_sz(data, len)) {
		_cleanup_free_ char *s = NULL;
		int r = util_utf16le_to_utf8(data, len - 2, &s, NULL);

		if (r < 0)
			return r;
		fputc('"', out);
		write_escaped(out, s);
		fputs("\"\n", out);
		return 0;
	}
	if (type == HIVE_T_DWORD && len == 4) {
		fprintf(out, "dword:%08x\n", util_le32(data));
		return 0;
	}
	if (type == HIVE_T_BINARY) {
		fputs("hex:", out);
		col += 4;
	} else {
		int w = fprintf(out, "hex(%x):", type);

		col += w > 0 ? (size_t)w : 0;
	}
	for (size_t i = 0; i < len; i++) {
		fprintf(out, "%02x", data[i]);
		if (i + 1 == len)
			break;
		fputc(',', out);
		col += 3;
		if (col > 76) {
			fputs("\\\n  ", out);
			col = 2;
		}
	}
	fputc('\n', out);
	return 0;
}

/* ---- walking ------------------------------------------------------------ */

struct walk {
	struct hive *h;
	uint8_t *seen; /* one bit per 4 bytes of hive (cells are aligned) */
	size_t seen_bytes;
};

static void
walk_done(struct walk *w)
{
	free(w->seen);
	w->seen = NULL;
}

/* Marks node visited; -ELOOP when it was already. */
static int
walk_mark(struct walk *w, hive_node_h node, const char *path)
{
	size_t bit = node / 4, byte = bit / 8;

	if (byte >= w->seen_bytes) {
		size_t n = MAX(byte + 1, w->seen_bytes * 2);
		uint8_t *p = realloc(w->seen, n);

		if (!p)
			return -ENOMEM;
		memset(p + w->seen_bytes, 0, n - w->seen_bytes);
		w->seen = p;
		w->seen_bytes = n;
	}
	if (w->seen[byte] & (1u << (bit % 8)))
		return hive_set_error(
		        w->h, -ELOOP,
		        "Key '%s' is reached twice: the hive's "
		        "subkey lists form a cycle (corrupt hive)",
		        path);
	w->seen[byte] |= (uint8_t)(1u << (bit % 8));
	return 0;
}

/* Builds "path\name" (or "\name" below an empty prefix). */
static char *
child_path(const char *path, const char *name)
{
	char *s;

	if (util_asprintf(&s, "%s\\%s", streq(path, "\\") ? "" : path, name) <
	    0)
		return NULL;
	return s;
}

static int
cmp_value_bytes(const void *a, const void *b)
{
	const struct hive_raw_value *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
cmp_value_case(const void *a, const void *b)
{
	const struct hive_raw_value *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);

	return r ? r : strcmp(x->name, y->name);
}

struct child {
	hive_node_h node;
	const char *name;
};

static int
cmp_child_bytes(const void *a, const void *b)
{
	const struct child *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
cmp_child_case(const void *a, const void *b)
{
	const struct child *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);

	return r ? r : strcmp(x->name, y->name);
}

/* The subkeys of node, sorted with cmp. */
static int
read_sorted_children(struct hive *h, hive_node_h node, const char *path,
                     int (*cmp)(const void *, const void *), struct child **ret,
                     char ***ret_names, size_t *ret_n)
{
	_cleanup_free_ hive_node_h *nodes = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct child *c;
	size_t n;
	int r;

	r = hive_read_children(h, node, path, &nodes, &names, &n);
	if (r < 0)
		return r;
	c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].node = nodes[i];
		c[i].name = names[i];
		if (strchr(names[i], '\\') || strpbrk(names[i], "\r\n")) {
			free(c);
			return hive_set_error(
			        h, -EBADMSG,
			        "A subkey of '%s' has a name with a "
			        "backslash or line break, which .reg "
			        "text cannot represent",
			        path);
		}
	}
	qsort(c, n, sizeof(*c), cmp);
	*ret = c;
	*ret_names = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

static int
write_values_sorted(struct hive *h, struct hive_raw_value *v, size_t n,
                    const char *path, FILE *out)
{
	int r;

	qsort(v, n, sizeof(*v), cmp_value_bytes);
	for (size_t i = 0; i < n; i++) {
		r = hive_reg_write_value(out, v[i].name, v[i].type, v[i].data,
		                         v[i].len);
		if (r == -EBADMSG)
			return hive_set_error(
			        h, r,
			        "A value name of '%s' contains a "
			        "line break, which .reg text cannot "
			        "represent",
			        path);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
export_node(struct walk *w, hive_node_h node, const char *path, unsigned depth,
            FILE *out)
{
	struct hive_raw_value *v = NULL;
	_cleanup_free_ struct child *kids = NULL;
	_cleanup_strv_free_ char **names = NULL;
	size_t nv = 0, nk = 0;
	int r;

	if (depth > HIVE_MAX_DEPTH)
		return hive_set_error(
		        w->h, -ELOOP,
		        "Key '%s' is nested deeper than %d levels", path,
		        HIVE_MAX_DEPTH);
	r = walk_mark(w, node, path);
	if (r < 0)
		return r;
	fprintf(out, "[%s]\n", path);
	r = hive_read_values(w->h, node, path, &v, &nv);
	if (r < 0)
		return r;
	r = write_values_sorted(w->h, v, nv, path, out);
	hive_raw_values_free(v, nv);
	if (r < 0)
		return r;
	fputc('\n', out);

	r = read_sorted_children(w->h, node, path, cmp_child_bytes, &kids,
	                         &names, &nk);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nk; i++) {
		_cleanup_free_ char *p = child_path(path, kids[i].name);

		if (!p)
			return -ENOMEM;
		r = export_node(w, kids[i].node, p, depth + 1, out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "PREFIX" without a trailing backslash; "\" when empty. */
static char *
base_path(const char *prefix, const char *canonical)
{
	size_t n = prefix ? strlen(prefix) : 0;
	char *s;

	while (n > 0 && prefix[n - 1] == '\\')
		n--;
	if (util_asprintf(&s, "%.*s%s%s", (int)n, n ? prefix : "",
	                  canonical && *canonical ? "\\" : "",
	                  canonical ? canonical : "") < 0)
		return NULL;
	if (s[0] == '\0') {
		free(s);
		s = strdup("\\");
	}
	return s;
}

int
hive_export_reg(struct hive *h, const char *key, const char *prefix, FILE *out)
{
	_cleanup_free_ char *canonical = NULL, *path = NULL;
	struct walk w = {.h = h};
	hive_node_h node;
	int r;

	r = hive_lookup(h, key ? key : "", &node, &canonical);
	if (r < 0)
		return r;
	path = base_path(prefix, canonical);
	if (!path)
		return -ENOMEM;
	fputs("Windows Registry Editor Version 5.00\n\n", out);
	r = export_node(&w, node, path, 0, out);
	walk_done(&w);
	if (r < 0)
		return r;
	if (fflush(out) != 0 || ferror(out))
		return hive_set_error(h, -EIO, "Failed to write the export");
	return 0;
}

/* ---- diff --------------------------------------------------------------- */

struct diff {
	struct walk a, b;
	FILE *out;
	int count;
};

static bool
value_equal(const struct hive_raw_value *x, const struct hive_raw_value *y)
{
	return x->type == y->type && x->len == y->len &&
	       memcmp(x->data, y->data, x->len) == 0;
}

/* Compares the values of one key; writes the .reg block when they differ. */
static int
diff_values(struct diff *d, hive_node_h na, hive_node_h nb, const char *path)
{
	struct hive_raw_value *va = NULL, *vb = NULL;
	_cleanup_free_ char *was = NULL, *lines = NULL;
	size_t nva = 0, nvb = 0, i = 0, j = 0, was_len, lines_len;
	FILE *fw = NULL, *fl = NULL;
	int r, n = 0;

	r = hive_read_values(d->a.h, na, path, &va, &nva);
	if (r < 0)
		return r;
	r = hive_read_values(d->b.h, nb, path, &vb, &nvb);
	if (r < 0)
		goto out;
	qsort(va, nva, sizeof(*va), cmp_value_case);
	qsort(vb, nvb, sizeof(*vb), cmp_value_case);
	fw = open_memstream(&was, &was_len);
	fl = open_memstream(&lines, &lines_len);
	if (!fw || !fl) {
		r = -ENOMEM;
		goto out;
	}
	while (i < nva || j < nvb) {
		int c = i == nva   ? 1
		        : j == nvb ? -1
		                   : strcasecmp(va[i].name, vb[j].name);

		if (c < 0) { /* removed */
			if (!hive_reg_name_ok(va[i].name)) {
				r = -EBADMSG;
				goto out;
			}
			if (va[i].name[0] == '\0')
				fputs("@=-\n", fl);
			else {
				fputc('"', fl);
				write_escaped(fl, va[i].name);
				fputs("\"=-\n", fl);
			}
			i++;
			n++;
		} else if (c > 0) { /* added */
			r = hive_reg_write_value(fl, vb[j].name, vb[j].type,
			                         vb[j].data, vb[j].len);
			if (r < 0)
				goto out;
			j++;
			n++;
		} else {
			if (!value_equal(&va[i], &vb[j])) {
				fputs("; was: ", fw);
				r = hive_reg_write_value(fw, va[i].name,
				                         va[i].type, va[i].data,
				                         va[i].len);
				if (r < 0)
					goto out;
				r = hive_reg_write_value(fl, vb[j].name,
				                         vb[j].type, vb[j].data,
				                         vb[j].len);
				if (r < 0)
					goto out;
				n++;
			}
			i++;
			j++;
		}
	}
	if (fclose(fw) != 0 || fclose(fl) != 0) {
		fw = fl = NULL;
		r = -ENOMEM;
		goto out;
	}
	fw = fl = NULL;
	if (n > 0) {
		/* A continuation line of an old value is a comment too. */
		for (char *p = was; *p; p++) {
			fputc(*p, d->out);
			if (*p == '\n' && p[1] && p[1] != ';')
				fputs(";", d->out);
		}
		fprintf(d->out, "[%s]\n%s\n", path, lines);
		d->count += n;
	}
	r = 0;
out:
	if (fw)
		fclose(fw);
	if (fl)
		fclose(fl);
	if (r == -EBADMSG)
		r = hive_set_error(
		        d->a.h, r,
		        "A value name of '%s' contains a line break, "
		        "which .reg text cannot represent",
		        path);
	hive_raw_values_free(va, nva);
	hive_raw_values_free(vb, nvb);
	return r;
}

static int
diff_node(struct diff *d, hive_node_h na, hive_node_h nb, const char *path,
          unsigned depth)
{
	_cleanup_free_ struct child *ka = NULL, *kb = NULL;
	_cleanup_strv_free_ char **names_a = NULL, **names_b = NULL;
	size_t nka = 0, nkb = 0, i = 0, j = 0;
	int r;

	if (depth > HIVE_MAX_DEPTH)
		return hive_set_error(
		        d->a.h, -ELOOP,
		        "Key '%s' is nested deeper than %d levels", path,
		        HIVE_MAX_DEPTH);
	r = walk_mark(&d->a, na, path);
	if (r < 0)
		return r;
	r = walk_mark(&d->b, nb, path);
	if (r < 0)
		return r;
	r = diff_values(d, na, nb, path);
	if (r < 0)
		return r;

	r = read_sorted_children(d->a.h, na, path, cmp_child_case, &ka,
	                         &names_a, &nka);
	if (r < 0)
		return r;
	r = read_sorted_children(d->b.h, nb, path, cmp_child_case, &kb,
	                         &names_b, &nkb);
	if (r < 0)
		return r;
	while (i < nka || j < nkb) {
		int c = i == nka   ? 1
		        : j == nkb ? -1
		                   : strcasecmp(ka[i].name, kb[j].name);
		_cleanup_free_ char *p =
		        child_path(path, c <= 0 ? ka[i].name : kb[j].name);

		if (!p)
			return -ENOMEM;
		if (c < 0) {
			fprintf(d->out, "[-%s]\n\n", p);
			d->count++;
			i++;
		} else if (c > 0) {
			r = export_node(&d->b, kb[j].node, p, depth + 1,
			                d->out);
			if (r < 0)
				return r;
			d->count++;
			j++;
		} else {
			r = diff_node(d, ka[i].node, kb[j].node, p, depth + 1);
			if (r < 0)
				return r;
			i++;
			j++;
		}
	}
	return 0;
}

int
hive_diff(struct hive *a, struct hive *b, const char *prefix, FILE *out)
{
	_cleanup_free_ char *path = NULL;
	struct diff d = {.a = {.h = a}, .b = {.h = b}, .out = out};
	hive_node_h ra, rb;
	int r;

	path = base_path(prefix, NULL);
	if (!path)
		return -ENOMEM;
	errno = 0;
	ra = hivex_root(a->hx);
	if (ra == 0)
		return hive_hivex_error(a, errno, "Failed to find the root key",
		                        NULL);
	errno = 0;
	rb = hivex_root(b->hx);
	if (rb == 0)
		return hive_hivex_error(b, errno, "Failed to find the root key",
		                        NULL);
	fputs("Windows Registry Editor Version 5.00\n\n", out);
	r = diff_node(&d, ra, rb, path, 0);
	walk_done(&d.a);
	walk_done(&d.b);
	if (r < 0) {
		/* Make the message reachable from a whichever side failed. */
		if (!a->error && b->error)
			(void)hive_set_error(a, r, "%s", b->error);
		return r;
	}
	if (fflush(out) != 0 || ferror(out))
		return hive_set_error(a, -EIO, "Failed to write the diff");
	return d.count;
}
