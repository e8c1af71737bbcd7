/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INF parser: bytes of a Windows setup information file (any of the
 * encodings Windows accepts) -> sections of logical lines with quoting,
 * comments and line continuations resolved and %strkey% substituted from
 * [Strings] / [Strings.LLLL], and the lookup of sections and keyed values.
 * What the sections mean is read by inf-models.c ([Version], decorations,
 * models) and inf-reg.c (AddReg/DelReg lines).
 *
 * An INF is hostile input: every size and count is checked against the
 * DRIVERS_MAX_* limits and every error names the file and line.
 */
#include "drivers-internal.h"

/* ---- a tiny case-insensitive hash index ------------------------------- */

struct inf_index {
	size_t *slots; /* index + 1; 0 = empty */
	size_t n_slots, n;
};

static uint32_t
hash_case(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* names[i] gives the key of entry i. */
static ssize_t
index_find(const struct inf_index *x, char *const *names, size_t stride,
           const char *key)
{
	size_t i;

	if (x->n_slots == 0)
		return -1;
	for (i = hash_case(key) & (x->n_slots - 1); x->slots[i];
	     i = (i + 1) & (x->n_slots - 1)) {
		size_t e = x->slots[i] - 1;
		const char *k =
		        *(char *const *)((const char *)names + e * stride);

		if (strcaseeq(k, key))
			return (ssize_t)e;
	}
	return -1;
}

static int
index_add(struct inf_index *x, char *const *names, size_t stride, size_t e)
{
	if ((x->n + 1) * 2 > x->n_slots) {
		size_t ns = x->n_slots ? x->n_slots * 2 : 64;
		size_t *s = calloc(ns, sizeof(size_t));

		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < x->n_slots; i++) {
			size_t k;

			if (!x->slots[i])
				continue;
			k = x->slots[i] - 1;
			const char *nm = *(char *const *)((const char *)names +
			                                  k * stride);
			size_t j = hash_case(nm) & (ns - 1);
			while (s[j])
				j = (j + 1) & (ns - 1);
			s[j] = x->slots[i];
		}
		free(x->slots);
		x->slots = s;
		x->n_slots = ns;
	}
	const char *key = *(char *const *)((const char *)names + e * stride);
	size_t j = hash_case(key) & (x->n_slots - 1);
	while (x->slots[j])
		j = (j + 1) & (x->n_slots - 1);
	x->slots[j] = e + 1;
	x->n++;
	return 0;
}

/* ---- the parsed INF --------------------------------------------------- */

struct inf_section {
	char *name;
	struct drivers_inf_line *lines;
	size_t n, allocated;
};

struct inf_string {
	char *key;
	char *value;
};

struct drivers_inf {
	char *name;
	struct inf_section *sections;
	size_t n_sections, allocated;
	struct inf_index index;
	struct inf_string *strings;
	size_t n_strings, strings_allocated;
	struct inf_index strings_index;
};

static void
line_done(struct drivers_inf_line *l)
{
	free(l->key);
	for (size_t i = 0; i < l->n_fields; i++)
		free(l->fields[i]);
	free(l->fields);
}

struct drivers_inf *
drivers_inf_free(struct drivers_inf *inf)
{
	if (!inf)
		return NULL;
	for (size_t i = 0; i < inf->n_sections; i++) {
		for (size_t j = 0; j < inf->sections[i].n; j++)
			line_done(&inf->sections[i].lines[j]);
		free(inf->sections[i].lines);
		free(inf->sections[i].name);
	}
	free(inf->sections);
	free(inf->index.slots);
	for (size_t i = 0; i < inf->n_strings; i++) {
		free(inf->strings[i].key);
		free(inf->strings[i].value);
	}
	free(inf->strings);
	free(inf->strings_index.slots);
	free(inf->name);
	free(inf);
	return NULL;
}

const char *
drivers_inf_name(const struct drivers_inf *inf)
{
	return inf->name;
}

size_t
drivers_inf_n_sections(const struct drivers_inf *inf)
{
	return inf->n_sections;
}

const char *
drivers_inf_section_name(const struct drivers_inf *inf, size_t i)
{
	return i < inf->n_sections ? inf->sections[i].name : NULL;
}

static struct inf_section *
find_section(const struct drivers_inf *inf, const char *name)
{
	if (inf->n_sections == 0)
		return NULL;
	ssize_t e = index_find(&inf->index, &inf->sections[0].name,
	                       sizeof(struct inf_section), name);

	return e < 0 ? NULL : &inf->sections[e];
}

const struct drivers_inf_line *
drivers_inf_section(const struct drivers_inf *inf, const char *name,
                    size_t *ret_n)
{
	struct inf_section *s = name ? find_section(inf, name) : NULL;

	if (ret_n)
		*ret_n = s ? s->n : 0;
	return s ? s->lines : NULL;
}

bool
drivers_inf_has_section(const struct drivers_inf *inf, const char *name)
{
	return find_section(inf, name) != NULL;
}

const char *
drivers_inf_value(const struct drivers_inf *inf, const char *section,
                  const char *key)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &n);

	for (size_t i = 0; i < n; i++)
		if (l[i].key && strcaseeq(l[i].key, key))
			return l[i].n_fields > 0 ? l[i].fields[0] : "";
	return NULL;
}

int
drivers_inf_number(const char *field, uint32_t *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t a = 0, b;

	if (!field)
		return -EINVAL;
	b = strlen(field);
	while (a < b && (field[a] == ' ' || field[a] == '\t'))
		a++;
	while (b > a && (field[b - 1] == ' ' || field[b - 1] == '\t'))
		b--;
	if (a == b)
		return -EINVAL;
	s = util_strndup0(field + a, b - a);
	if (!s)
		return -ENOMEM;
	return util_parse_u32(s, ret);
}

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

static int
decode_text(const char *name, const uint8_t *buf, size_t len, char **ret,
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
static int
replace_all(char **text, size_t *len, const char *token, const char *value)
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

/* ---- tokenizer -------------------------------------------------------- */

struct tok {
	char *buf;
	size_t len, allocated, mark; /* mark: length without trailing blanks */
	bool started;                /* the field has content or quotes */
	char **fields;
	size_t n_fields, fields_allocated;
	char *key;
	bool have_key;
	size_t total;      /* bytes of the logical line */
	size_t all_fields; /* fields of the whole file */
};

static void
tok_reset(struct tok *t)
{
	for (size_t i = 0; i < t->n_fields; i++)
		free(t->fields[i]);
	t->n_fields = 0;
	free(t->key);
	t->key = NULL;
	t->have_key = false;
	t->len = t->mark = 0;
	t->started = false;
	t->total = 0;
}

static void
tok_done(struct tok *t)
{
	tok_reset(t);
	free(t->fields);
	free(t->buf);
}

static int
tok_put(struct tok *t, char c, bool keep)
{
	int r;

	if (t->len + 1 >= t->allocated) {
		size_t a = t->allocated ? t->allocated * 2 : 128;
		char *b = realloc(t->buf, a);

		if (!b)
			return -ENOMEM;
		t->buf = b;
		t->allocated = a;
	}
	t->buf[t->len++] = c;
	if (keep)
		t->mark = t->len;
	t->started = true;
	r = 0;
	return r;
}

static char *
tok_take_field(struct tok *t)
{
	char *f = util_strndup0(t->buf ? t->buf : "", t->mark);

	t->len = t->mark = 0;
	t->started = false;
	return f;
}

static int
tok_end_field(struct tok *t)
{
	char *f;
	int r;

	if (t->n_fields >= DRIVERS_MAX_FIELDS)
		return -E2BIG;
	if (t->all_fields >= DRIVERS_MAX_INF_FIELDS)
		return -EFBIG;
	t->all_fields++;
	f = tok_take_field(t);
	if (!f)
		return -ENOMEM;
	r = drivers_grow((void **)&t->fields, &t->fields_allocated, t->n_fields,
	                 sizeof(char *));
	if (r < 0) {
		free(f);
		return r;
	}
	t->fields[t->n_fields++] = f;
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

static int
add_section(struct drivers_inf *inf, const char *name, size_t *ret)
{
	ssize_t e = inf->n_sections
	                    ? index_find(&inf->index, &inf->sections[0].name,
	                                 sizeof(struct inf_section), name)
	                    : -1;
	int r;

	if (e >= 0) {
		*ret = (size_t)e;
		return 0;
	}
	if (inf->n_sections >= DRIVERS_MAX_SECTIONS)
		return -E2BIG;
	r = drivers_grow((void **)&inf->sections, &inf->allocated,
	                 inf->n_sections, sizeof(struct inf_section));
	if (r < 0)
		return r;
	inf->sections[inf->n_sections] = (struct inf_section){
	        .name = strdup(name),
	};
	if (!inf->sections[inf->n_sections].name)
		return -ENOMEM;
	r = index_add(&inf->index, &inf->sections[0].name,
	              sizeof(struct inf_section), inf->n_sections);
	if (r < 0) {
		free(inf->sections[inf->n_sections].name);
		return r;
	}
	*ret = inf->n_sections++;
	return 0;
}

static int
add_line(struct drivers_inf *inf, size_t section, struct tok *t,
         unsigned lineno)
{
	struct inf_section *s = &inf->sections[section];
	int r;

	r = drivers_grow((void **)&s->lines, &s->allocated, s->n,
	                 sizeof(struct drivers_inf_line));
	if (r < 0)
		return r;
	s->lines[s->n] = (struct drivers_inf_line){
	        .key = TAKE_PTR(t->key),
	        .fields = TAKE_PTR(t->fields),
	        .n_fields = t->n_fields,
	        .lineno = lineno,
	};
	s->n++;
	t->n_fields = 0;
	t->fields_allocated = 0;
	t->have_key = false;
	return 0;
}

static int
parse_text(struct drivers_inf *inf, const char *text, size_t len,
           char **ret_error)
{
	_cleanup_(tok_done) struct tok t = {0};
	const char *p = text, *end = text + len;
	unsigned lineno = 0, start_line = 0;
	bool continued = false, have_section = false;
	size_t section = 0;
	int r;

	while (p < end) {
		const char *eol = p, *next;
		bool in_quote = false, cont = false;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		next = eol;
		if (next < end && *next == '\r')
			next++;
		if (next < end && *next == '\n')
			next++;
		lineno++;
		if (!continued)
			start_line = lineno;

		const char *c = p;
		while (c < eol && drivers_blank(*c))
			c++;
		if (!continued && c < eol && *c == '[') {
			const char *close = memchr(c, ']', (size_t)(eol - c));
			_cleanup_free_ char *name = NULL;
			const char *a = c + 1, *b;

			if (!close)
				return drivers_error(ret_error, -EBADMSG,
				                     inf->name, lineno,
				                     "section header without "
				                     "']'");
			b = close;
			while (a < b && drivers_blank(*a))
				a++;
			while (b > a && drivers_blank(b[-1]))
				b--;
			if (a == b)
				return drivers_error(ret_error, -EBADMSG,
				                     inf->name, lineno,
				                     "empty section name");
			name = util_strndup0(a, (size_t)(b - a));
			if (!name)
				return -ENOMEM;
			if (memchr(name, '\0', (size_t)(b - a)) != NULL &&
			    strlen(name) != (size_t)(b - a))
				return drivers_error(ret_error, -EBADMSG,
				                     inf->name, lineno,
				                     "NUL character in section "
				                     "name");
			r = add_section(inf, name, &section);
			if (r == -E2BIG)
				return drivers_error(ret_error, r, inf->name,
				                     lineno,
				                     "more than %u sections",
				                     DRIVERS_MAX_SECTIONS);
			if (r < 0)
				return r;
			have_section = true;
			p = next;
			continue;
		}

		if ((size_t)(eol - p) > DRIVERS_MAX_LINE ||
		    t.total + (size_t)(eol - p) > DRIVERS_MAX_LINE)
			return drivers_error(
			        ret_error, -E2BIG, inf->name, start_line,
			        "line longer than %u bytes", DRIVERS_MAX_LINE);
		t.total += (size_t)(eol - p);

		/* A continued line's leading blanks are dropped (setupapi). */
		c = p;
		if (continued)
			while (c < eol && drivers_blank(*c))
				c++;
		for (; c < eol; c++) {
			char ch = *c;

			if (ch == '\0')
				return drivers_error(ret_error, -EBADMSG,
				                     inf->name, lineno,
				                     "NUL character in text");
			if (in_quote) {
				if (ch == '"') {
					if (c + 1 < eol && c[1] == '"') {
						r = tok_put(&t, '"', true);
						c++;
					} else {
						in_quote = false;
						t.mark = t.len;
						r = 0;
					}
				} else
					r = tok_put(&t, ch, true);
				if (r < 0)
					return r;
				continue;
			}
			if (ch == ';')
				break;
			if (ch == '"') {
				in_quote = true;
				t.started = true;
				t.mark = t.len;
				continue;
			}
			if (ch == '\\') {
				const char *q = c + 1;

				while (q < eol && drivers_blank(*q))
					q++;
				if (q == eol || *q == ';') {
					cont = true;
					break;
				}
			}
			if (ch == ',') {
				r = tok_end_field(&t);
				if (r == -E2BIG || r == -EFBIG)
					return drivers_error(
					        ret_error, r, inf->name, lineno,
					        "more than %u fields%s",
					        r == -E2BIG
					                ? DRIVERS_MAX_FIELDS
					                : DRIVERS_MAX_INF_FIELDS,
					        r == -E2BIG ? ""
					                    : " in the file");
				if (r < 0)
					return r;
				continue;
			}
			if (ch == '=' && !t.have_key && t.n_fields == 0) {
				t.key = tok_take_field(&t);
				if (!t.key)
					return -ENOMEM;
				t.have_key = true;
				continue;
			}
			if (drivers_blank(ch)) {
				if (t.started)
					r = tok_put(&t, ch, false);
				else
					r = 0;
			} else
				r = tok_put(&t, ch, true);
			if (r < 0)
				return r;
		}
		if (in_quote)
			return drivers_error(ret_error, -EBADMSG, inf->name,
			                     lineno,
			                     "unterminated quoted string");
		p = next;
		if (cont && p < end) {
			continued = true;
			continue;
		}
		continued = false;

		/* End of the logical line. */
		if (t.n_fields == 0 && !t.have_key && !t.started) {
			tok_reset(&t);
			continue;
		}
		r = tok_end_field(&t);
		if (r == -E2BIG || r == -EFBIG)
			return drivers_error(ret_error, r, inf->name, lineno,
			                     "more than %u fields%s",
			                     r == -E2BIG
			                             ? DRIVERS_MAX_FIELDS
			                             : DRIVERS_MAX_INF_FIELDS,
			                     r == -E2BIG ? "" : " in the file");
		if (r < 0)
			return r;
		if (have_section) {
			r = add_line(inf, section, &t, start_line);
			if (r < 0)
				return r;
		}
		tok_reset(&t);
	}
	return 0;
}

/* ---- strings and substitution ---------------------------------------- */

static int
add_strings(struct drivers_inf *inf, const char *section)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &n);
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *v;
		ssize_t e;

		if (!l[i].key || !*l[i].key)
			continue;
		v = l[i].n_fields > 0 ? l[i].fields[0] : "";
		e = inf->n_strings
		            ? index_find(&inf->strings_index,
		                         &inf->strings[0].key,
		                         sizeof(struct inf_string), l[i].key)
		            : -1;
		if (e >= 0) {
			char *nv = strdup(v);

			if (!nv)
				return -ENOMEM;
			free(inf->strings[e].value);
			inf->strings[e].value = nv;
			continue;
		}
		r = drivers_grow((void **)&inf->strings,
		                 &inf->strings_allocated, inf->n_strings,
		                 sizeof(struct inf_string));
		if (r < 0)
			return r;
		inf->strings[inf->n_strings].key = strdup(l[i].key);
		inf->strings[inf->n_strings].value = strdup(v);
		if (!inf->strings[inf->n_strings].key ||
		    !inf->strings[inf->n_strings].value) {
			free(inf->strings[inf->n_strings].key);
			free(inf->strings[inf->n_strings].value);
			return -ENOMEM;
		}
		r = index_add(&inf->strings_index, &inf->strings[0].key,
		              sizeof(struct inf_string), inf->n_strings);
		if (r < 0)
			return r;
		inf->n_strings++;
	}
	return 0;
}

/* Substitutes %strkey% and %% in *s; unknown keys stay as written. */
static int
substitute(const struct drivers_inf *inf, char **s)
{
	char *in = *s, *out = NULL;
	size_t len = 0, allocated = 0;

	if (!strchr(in, '%'))
		return 0;
	for (const char *p = in; *p;) {
		const char *piece = p;
		size_t pl = 1;
		char *q;

		if (*p == '%') {
			q = strchr(p + 1, '%');
			if (!q) {
				pl = strlen(p);
			} else if (q == p + 1) {
				piece = "%";
				pl = 1;
				p = q + 1;
				goto emit;
			} else {
				ssize_t e = -1;

				*q = '\0';
				if (inf->n_strings)
					e = index_find(
					        &inf->strings_index,
					        &inf->strings[0].key,
					        sizeof(struct inf_string),
					        p + 1);
				*q = '%';
				if (e >= 0) {
					piece = inf->strings[e].value;
					pl = strlen(piece);
				} else
					pl = (size_t)(q - p) + 1;
				p = q + 1;
				goto emit;
			}
		} else {
			const char *q2 = strchr(p, '%');

			pl = q2 ? (size_t)(q2 - p) : strlen(p);
		}
		p += pl;
	emit:
		if (len + pl + 1 > DRIVERS_MAX_LINE) {
			free(out);
			return -E2BIG;
		}
		if (len + pl + 1 > allocated) {
			size_t a = MAX(allocated * 2, len + pl + 1);
			char *b = realloc(out, a);

			if (!b) {
				free(out);
				return -ENOMEM;
			}
			out = b;
			allocated = a;
		}
		memcpy(out + len, piece, pl);
		len += pl;
		out[len] = '\0';
	}
	if (!out) {
		out = strdup("");
		if (!out)
			return -ENOMEM;
	}
	free(in);
	*s = out;
	return 0;
}

static bool
is_strings_section(const char *name)
{
	return strcaseeq(name, "Strings") ||
	       (util_startswith_case(name, "Strings.") != NULL);
}

static int
substitute_all(struct drivers_inf *inf, char **ret_error)
{
	for (size_t i = 0; i < inf->n_sections; i++) {
		struct inf_section *s = &inf->sections[i];

		if (is_strings_section(s->name))
			continue;
		for (size_t j = 0; j < s->n; j++) {
			struct drivers_inf_line *l = &s->lines[j];
			int r = 0;

			if (l->key)
				r = substitute(inf, &l->key);
			for (size_t k = 0; r >= 0 && k < l->n_fields; k++)
				r = substitute(inf, &l->fields[k]);
			if (r == -E2BIG)
				return drivers_error(
				        ret_error, r, inf->name, l->lineno,
				        "line longer than %u bytes "
				        "after %%strkey%% "
				        "substitution",
				        DRIVERS_MAX_LINE);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int
stamp_driver_ver(struct drivers_inf *inf, const char *value)
{
	_cleanup_strv_free_ char **parts = NULL;
	struct inf_section *s;
	struct drivers_inf_line *l = NULL;
	size_t idx;
	int r;

	r = util_strv_split(value, ",", &parts);
	if (r < 0)
		return r;
	r = add_section(inf, "Version", &idx);
	if (r < 0)
		return r;
	s = &inf->sections[idx];
	for (size_t i = 0; i < s->n; i++)
		if (s->lines[i].key && strcaseeq(s->lines[i].key, "DriverVer"))
			l = &s->lines[i];
	if (!l) {
		r = drivers_grow((void **)&s->lines, &s->allocated, s->n,
		                 sizeof(struct drivers_inf_line));
		if (r < 0)
			return r;
		l = &s->lines[s->n++];
		*l = (struct drivers_inf_line){.key = strdup("DriverVer")};
		if (!l->key)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->n_fields; i++)
		free(l->fields[i]);
	free(l->fields);
	l->n_fields = util_strv_length(parts);
	l->fields = TAKE_PTR(parts);
	return 0;
}

int
drivers_inf_parse_buffer(const char *name, const void *buf, size_t len,
                         const struct drivers_inf_options *opts,
                         struct drivers_inf **ret, char **ret_error)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	_cleanup_free_ char *text = NULL, *locale = NULL;
	size_t text_len = 0;
	bool template;
	char *z;
	int r;

	if (!name)
		name = "(buffer)";
	if (len > DRIVERS_MAX_INF_SIZE)
		return drivers_error(ret_error, -EFBIG, name, 0,
		                     "larger than %u bytes",
		                     DRIVERS_MAX_INF_SIZE);
	r = decode_text(name, buf, len, &text, &text_len, ret_error);
	if (r < 0)
		return r;
	/* A Ctrl-Z ends the text (old editors appended one). */
	z = memchr(text, 0x1A, text_len);
	if (z) {
		*z = '\0';
		text_len = (size_t)(z - text);
	}

	template = util_endswith_case(name, ".inx") ||
	           strstr(text, "$ARCH$") != NULL;
	if (template && !(opts && opts->stamp_arch))
		return drivers_error(ret_error, -ENOEXEC, name, 0,
		                     "template, needs stamping ($ARCH$)");
	if (opts && opts->stamp_arch) {
		r = replace_all(&text, &text_len, "$ARCH$", opts->stamp_arch);
		if (r < 0)
			return drivers_error(ret_error, r, name, 0,
			                     "cannot stamp $ARCH$");
	}
	if (opts && opts->stamp_vars)
		for (char *const *v = opts->stamp_vars; v[0] && v[1]; v += 2) {
			r = replace_all(&text, &text_len, v[0], v[1]);
			if (r < 0)
				return drivers_error(ret_error, r, name, 0,
				                     "cannot stamp %s", v[0]);
		}

	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	inf->name = strdup(name);
	if (!inf->name)
		return -ENOMEM;
	r = parse_text(inf, text, text_len, ret_error);
	if (r < 0)
		return r;

	r = add_strings(inf, "Strings");
	if (r < 0)
		return r;
	r = util_asprintf(&locale, "Strings.%s",
	                  opts && opts->locale ? opts->locale : "0409");
	if (r < 0)
		return r;
	if (!streq(locale, "Strings.")) {
		r = add_strings(inf, locale);
		if (r < 0)
			return r;
	}
	r = substitute_all(inf, ret_error);
	if (r < 0)
		return r;
	if (opts && opts->stamp_driver_ver) {
		r = stamp_driver_ver(inf, opts->stamp_driver_ver);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(inf);
	return 0;
}

int
drivers_inf_parse_file(const char *path, const struct drivers_inf_options *opts,
                       struct drivers_inf **ret, char **ret_error)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = util_read_file(path, DRIVERS_MAX_INF_SIZE, &buf, &len);
	if (r == -EFBIG)
		return drivers_error(ret_error, r, path, 0,
		                     "larger than %u bytes",
		                     DRIVERS_MAX_INF_SIZE);
	if (r < 0)
		return drivers_error(ret_error, r, path, 0, "cannot read: %s",
		                     strerror(-r));
	return drivers_inf_parse_buffer(path, buf, len, opts, ret, ret_error);
}
