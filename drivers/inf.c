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

/*
 * Every string of a parsed INF (section names, keys, fields, substituted
 * fields) and every field array lives in a few large blocks freed at once:
 * no allocation per field or line.
 */
#define INF_ARENA_BLOCK (64u * 1024)

struct inf_block {
	struct inf_block *next;
	size_t used, size;
	max_align_t data[];
};

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
	struct inf_block *arena;
	struct inf_section *sections;
	size_t n_sections, allocated;
	struct inf_index index;
	struct inf_string *strings;
	size_t n_strings, strings_allocated;
	struct inf_index strings_index;
};

/* n bytes aligned for a pointer; NULL on -ENOMEM.  hint sizes the first
 * block (the decoded text's length: most INFs fit in one). */
static void *
arena_alloc(struct drivers_inf *inf, size_t n, size_t hint)
{
	struct inf_block *b = inf->arena;
	size_t need = (n + sizeof(void *) - 1) & ~(sizeof(void *) - 1);

	if (need < n)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t size = MAX(MAX((size_t)INF_ARENA_BLOCK, hint), need);

		if (size > SIZE_MAX - sizeof(struct inf_block))
			return NULL;
		b = malloc(sizeof(struct inf_block) + size);
		if (!b)
			return NULL;
		b->next = inf->arena;
		b->used = 0;
		b->size = size;
		inf->arena = b;
	}
	b->used += need;
	return (char *)b->data + b->used - need;
}

static char *
arena_strndup(struct drivers_inf *inf, const char *s, size_t n)
{
	char *p = arena_alloc(inf, n + 1, 0);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

struct drivers_inf *
drivers_inf_free(struct drivers_inf *inf)
{
	if (!inf)
		return NULL;
	for (size_t i = 0; i < inf->n_sections; i++)
		free(inf->sections[i].lines);
	free(inf->sections);
	free(inf->index.slots);
	free(inf->strings);
	free(inf->strings_index.slots);
	while (inf->arena) {
		struct inf_block *b = inf->arena;

		inf->arena = b->next;
		free(b);
	}
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

/* ---- tokenizer -------------------------------------------------------- */

/*
 * The fields of one logical line are written into one scratch buffer, each
 * NUL-terminated, then copied to the arena in one piece.  The scratch holds
 * 2 * (DRIVERS_MAX_LINE + 1) bytes: a logical line is at most
 * DRIVERS_MAX_LINE bytes of input and every field adds one NUL.
 */
#define TOK_SCRATCH (2u * (DRIVERS_MAX_LINE + 1))

struct tok {
	char *o;              /* scratch */
	size_t fs, len, mark; /* current field: start, end, end without
	                         trailing blanks (offsets into o) */
	bool started;         /* the field has content or quotes */
	bool have_key;
	size_t key; /* offset of the key when have_key */
	uint32_t fstart[DRIVERS_MAX_FIELDS];
	size_t n_fields;
	size_t total;      /* bytes of the logical line */
	size_t all_fields; /* fields of the whole file */
};

static void
tok_reset(struct tok *t)
{
	t->fs = t->len = t->mark = 0;
	t->started = t->have_key = false;
	t->n_fields = 0;
	t->total = 0;
}

/* Ends the current field at its mark; returns its offset. */
static size_t
tok_take_field(struct tok *t)
{
	size_t f = t->fs;

	t->o[t->mark] = '\0';
	t->fs = t->len = t->mark = t->mark + 1;
	t->started = false;
	return f;
}

static int
tok_end_field(struct tok *t)
{
	if (t->n_fields >= DRIVERS_MAX_FIELDS)
		return -E2BIG;
	if (t->all_fields >= DRIVERS_MAX_INF_FIELDS)
		return -EFBIG;
	t->all_fields++;
	t->fstart[t->n_fields++] = (uint32_t)tok_take_field(t);
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

static int
add_section(struct drivers_inf *inf, const char *name, size_t len, size_t *ret)
{
	_cleanup_free_ char *tmp = NULL;
	char *copy;
	ssize_t e;
	int r;

	tmp = util_strndup0(name, len);
	if (!tmp)
		return -ENOMEM;
	e = inf->n_sections ? index_find(&inf->index, &inf->sections[0].name,
	                                 sizeof(struct inf_section), tmp)
	                    : -1;
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
	copy = arena_strndup(inf, name, len);
	if (!copy)
		return -ENOMEM;
	inf->sections[inf->n_sections] = (struct inf_section){.name = copy};
	r = index_add(&inf->index, &inf->sections[0].name,
	              sizeof(struct inf_section), inf->n_sections);
	if (r < 0)
		return r;
	*ret = inf->n_sections++;
	return 0;
}

static int
add_line(struct drivers_inf *inf, size_t section, struct tok *t,
         unsigned lineno, size_t hint)
{
	struct inf_section *s = &inf->sections[section];
	char **fields;
	char *bytes;
	int r;

	r = drivers_grow((void **)&s->lines, &s->allocated, s->n,
	                 sizeof(struct drivers_inf_line));
	if (r < 0)
		return r;
	fields = arena_alloc(inf, t->n_fields * sizeof(char *), hint);
	bytes = fields ? arena_alloc(inf, t->fs, hint) : NULL;
	if (!bytes)
		return -ENOMEM;
	memcpy(bytes, t->o, t->fs);
	for (size_t i = 0; i < t->n_fields; i++)
		fields[i] = bytes + t->fstart[i];
	s->lines[s->n++] = (struct drivers_inf_line){
	        .key = t->have_key ? bytes + t->key : NULL,
	        .fields = fields,
	        .n_fields = t->n_fields,
	        .lineno = lineno,
	};
	return 0;
}

static int
fields_error(char **ret_error, int r, const char *name, unsigned lineno)
{
	if (r == -E2BIG || r == -EFBIG)
		return drivers_error(ret_error, r, name, lineno,
		                     "more than %u fields%s",
		                     r == -E2BIG ? DRIVERS_MAX_FIELDS
		                                 : DRIVERS_MAX_INF_FIELDS,
		                     r == -E2BIG ? "" : " in the file");
	return r;
}

/* A section header "[name]" at c (blanks before it skipped). */
static int
parse_header(struct drivers_inf *inf, const char *c, const char *eol,
             unsigned lineno, size_t *section, char **ret_error)
{
	const char *close = memchr(c, ']', (size_t)(eol - c));
	const char *a = c + 1, *b;
	int r;

	if (!close)
		return drivers_error(ret_error, -EBADMSG, inf->name, lineno,
		                     "section header without ']'");
	b = close;
	while (a < b && drivers_blank(*a))
		a++;
	while (b > a && drivers_blank(b[-1]))
		b--;
	if (a == b)
		return drivers_error(ret_error, -EBADMSG, inf->name, lineno,
		                     "empty section name");
	if (memchr(a, '\0', (size_t)(b - a)))
		return drivers_error(ret_error, -EBADMSG, inf->name, lineno,
		                     "NUL character in section name");
	r = add_section(inf, a, (size_t)(b - a), section);
	if (r == -E2BIG)
		return drivers_error(ret_error, r, inf->name, lineno,
		                     "more than %u sections",
		                     DRIVERS_MAX_SECTIONS);
	return r;
}

/* Bytes that end a run of plain field text outside quotes. */
static const bool tok_special[256] = {
        ['\0'] = true, [';'] = true,  ['"'] = true, ['\\'] = true,
        [','] = true,  ['='] = true,  [' '] = true, ['\t'] = true,
        ['\v'] = true, ['\f'] = true,
};

/*
 * Tokenizes one physical line [c, eol) into t.  Sets *cont for a line
 * continuation ('\' before the end or a comment).  Returns 0 or -errno
 * (with the message set).  The field state is kept in locals (a char store
 * through t->o could alias t) and written back around calls that use it.
 */
static int
tokenize_line(struct drivers_inf *inf, struct tok *t, const char *c,
              const char *eol, unsigned lineno, bool *cont, char **ret_error)
{
	char *const o = t->o;
	size_t len = t->len, mark = t->mark;
	bool started = t->started, in_quote = false;
	int r;

#define TOK_SAVE()                    \
	do {                          \
		t->len = len;         \
		t->mark = mark;       \
		t->started = started; \
	} while (0)
#define TOK_LOAD()                    \
	do {                          \
		len = t->len;         \
		mark = t->mark;       \
		started = t->started; \
	} while (0)

	while (c < eol) {
		const char *run = c;
		char ch;

		if (in_quote) {
			while (c < eol && *c != '"' && *c != '\0')
				c++;
			if (c > run) {
				memcpy(o + len, run, (size_t)(c - run));
				len += (size_t)(c - run);
				mark = len;
				started = true;
			}
			if (c == eol)
				break;
			if (*c == '\0')
				goto nul;
			if (c + 1 < eol && c[1] == '"') {
				o[len++] = '"';
				mark = len;
				started = true;
				c += 2;
			} else {
				in_quote = false;
				mark = len;
				c++;
			}
			continue;
		}
		while (c < eol && !tok_special[(uint8_t)*c])
			c++;
		if (c > run) {
			memcpy(o + len, run, (size_t)(c - run));
			len += (size_t)(c - run);
			mark = len;
			started = true;
		}
		if (c == eol)
			break;
		ch = *c++;
		switch (ch) {
		case '\0':
			goto nul;
		case ';':
			goto done;
		case '"':
			in_quote = true;
			started = true;
			mark = len;
			break;
		case '\\': {
			const char *q = c;

			while (q < eol && drivers_blank(*q))
				q++;
			if (q == eol || *q == ';') {
				*cont = true;
				goto done;
			}
			o[len++] = ch;
			mark = len;
			started = true;
			break;
		}
		case ',':
			TOK_SAVE();
			r = tok_end_field(t);
			if (r < 0)
				return fields_error(ret_error, r, inf->name,
				                    lineno);
			TOK_LOAD();
			break;
		case '=':
			if (!t->have_key && t->n_fields == 0) {
				TOK_SAVE();
				t->key = tok_take_field(t);
				t->have_key = true;
				TOK_LOAD();
				break;
			}
			o[len++] = ch;
			mark = len;
			started = true;
			break;
		default: /* a blank: kept inside a field, trimmed at its end */
			if (started)
				o[len++] = ch;
			break;
		}
	}
done:
	TOK_SAVE();
	if (in_quote)
		return drivers_error(ret_error, -EBADMSG, inf->name, lineno,
		                     "unterminated quoted string");
	return 0;
nul:
	return drivers_error(ret_error, -EBADMSG, inf->name, lineno,
	                     "NUL character in text");
#undef TOK_SAVE
#undef TOK_LOAD
}

static int
parse_text(struct drivers_inf *inf, const char *text, size_t len,
           char **ret_error)
{
	_cleanup_free_ struct tok *t = NULL;
	_cleanup_free_ char *scratch = NULL;
	const char *p = text, *end = text + len;
	unsigned lineno = 0, start_line = 0;
	bool continued = false, have_section = false;
	size_t section = 0;
	int r;

	t = malloc(sizeof(*t));
	scratch = malloc(MIN((size_t)TOK_SCRATCH, 2 * len + 2));
	if (!t || !scratch)
		return -ENOMEM;
	*t = (struct tok){.o = scratch};
	while (p < end) {
		const char *eol, *next, *c, *cr;
		bool cont = false;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		cr = memchr(p, '\r', (size_t)(eol - p));
		if (cr)
			eol = cr;
		next = eol;
		if (next < end && *next == '\r')
			next++;
		if (next < end && *next == '\n')
			next++;
		lineno++;
		if (!continued)
			start_line = lineno;

		c = p;
		while (c < eol && drivers_blank(*c))
			c++;
		if (!continued && c < eol && *c == '[') {
			r = parse_header(inf, c, eol, lineno, &section,
			                 ret_error);
			if (r < 0)
				return r;
			have_section = true;
			p = next;
			continue;
		}

		if ((size_t)(eol - p) > DRIVERS_MAX_LINE ||
		    t->total + (size_t)(eol - p) > DRIVERS_MAX_LINE)
			return drivers_error(
			        ret_error, -E2BIG, inf->name, start_line,
			        "line longer than %u bytes", DRIVERS_MAX_LINE);
		t->total += (size_t)(eol - p);

		/* A continued line's leading blanks are dropped (setupapi). */
		r = tokenize_line(inf, t, continued ? c : p, eol, lineno, &cont,
		                  ret_error);
		if (r < 0)
			return r;
		p = next;
		if (cont && p < end) {
			continued = true;
			continue;
		}
		continued = false;

		/* End of the logical line. */
		if (t->n_fields == 0 && !t->have_key && !t->started) {
			tok_reset(t);
			continue;
		}
		r = tok_end_field(t);
		if (r < 0)
			return fields_error(ret_error, r, inf->name, lineno);
		if (have_section) {
			r = add_line(inf, section, t, start_line, len);
			if (r < 0)
				return r;
		}
		tok_reset(t);
	}
	return 0;
}

/* ---- strings and substitution ---------------------------------------- */

/* [Strings] values point at the lines' fields (never substituted). */
static int
add_strings(struct drivers_inf *inf, const char *section)
{
	size_t n;
	const struct drivers_inf_line *l =
	        drivers_inf_section(inf, section, &n);
	static char empty[] = "";
	int r;

	for (size_t i = 0; i < n; i++) {
		char *v;
		ssize_t e;

		if (!l[i].key || !*l[i].key)
			continue;
		v = l[i].n_fields > 0 ? l[i].fields[0] : empty;
		e = inf->n_strings
		            ? index_find(&inf->strings_index,
		                         &inf->strings[0].key,
		                         sizeof(struct inf_string), l[i].key)
		            : -1;
		if (e >= 0) {
			inf->strings[e].value = v;
			continue;
		}
		r = drivers_grow((void **)&inf->strings,
		                 &inf->strings_allocated, inf->n_strings,
		                 sizeof(struct inf_string));
		if (r < 0)
			return r;
		inf->strings[inf->n_strings] = (struct inf_string){
		        .key = l[i].key,
		        .value = v,
		};
		r = index_add(&inf->strings_index, &inf->strings[0].key,
		              sizeof(struct inf_string), inf->n_strings);
		if (r < 0)
			return r;
		inf->n_strings++;
	}
	return 0;
}

/* The [Strings] value of key [k, k+n), NULL when not defined. */
static const char *
string_value(const struct drivers_inf *inf, const char *k, size_t n)
{
	char key[256];
	ssize_t e;

	if (inf->n_strings == 0 || n >= sizeof(key)) {
		_cleanup_free_ char *big = NULL;

		if (inf->n_strings == 0)
			return NULL;
		big = util_strndup0(k, n);
		if (!big)
			return NULL;
		e = index_find(&inf->strings_index, &inf->strings[0].key,
		               sizeof(struct inf_string), big);
		return e < 0 ? NULL : inf->strings[e].value;
	}
	memcpy(key, k, n);
	key[n] = '\0';
	e = index_find(&inf->strings_index, &inf->strings[0].key,
	               sizeof(struct inf_string), key);
	return e < 0 ? NULL : inf->strings[e].value;
}

/* Substitutes %strkey% and %% in *s (into the arena, through scratch of
 * DRIVERS_MAX_LINE bytes); unknown keys stay as written. */
static int
substitute(struct drivers_inf *inf, char **s, char *scratch)
{
	const char *in = *s;
	size_t len = 0;

	if (!strchr(in, '%'))
		return 0;
	for (const char *p = in; *p;) {
		const char *piece = p;
		size_t pl;

		if (*p == '%') {
			const char *q = strchr(p + 1, '%');

			if (!q) {
				pl = strlen(p);
				p += pl;
			} else if (q == p + 1) {
				piece = "%";
				pl = 1;
				p = q + 1;
			} else {
				const char *v = string_value(
				        inf, p + 1, (size_t)(q - p - 1));

				if (v) {
					piece = v;
					pl = strlen(v);
				} else
					pl = (size_t)(q - p) + 1;
				p = q + 1;
			}
		} else {
			const char *q2 = strchr(p, '%');

			pl = q2 ? (size_t)(q2 - p) : strlen(p);
			p += pl;
		}
		if (len + pl + 1 > DRIVERS_MAX_LINE)
			return -E2BIG;
		memcpy(scratch + len, piece, pl);
		len += pl;
	}
	*s = arena_strndup(inf, scratch, len);
	return *s ? 0 : -ENOMEM;
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
	_cleanup_free_ char *scratch = NULL;

	if (inf->n_strings == 0) {
		/* Only %% to fold: rare, look before allocating. */
		bool any = false;

		for (size_t i = 0; i < inf->n_sections && !any; i++)
			for (size_t j = 0; j < inf->sections[i].n && !any;
			     j++) {
				const struct drivers_inf_line *l =
				        &inf->sections[i].lines[j];

				any = l->key && strchr(l->key, '%');
				for (size_t k = 0; k < l->n_fields && !any; k++)
					any = strchr(l->fields[k], '%');
			}
		if (!any)
			return 0;
	}
	scratch = malloc(DRIVERS_MAX_LINE);
	if (!scratch)
		return -ENOMEM;
	for (size_t i = 0; i < inf->n_sections; i++) {
		struct inf_section *s = &inf->sections[i];

		if (is_strings_section(s->name))
			continue;
		for (size_t j = 0; j < s->n; j++) {
			struct drivers_inf_line *l = &s->lines[j];
			int r = 0;

			if (l->key)
				r = substitute(inf, &l->key, scratch);
			for (size_t k = 0; r >= 0 && k < l->n_fields; k++)
				r = substitute(inf, &l->fields[k], scratch);
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
	size_t idx, n;
	char **fields;
	int r;

	r = util_strv_split(value, ",", &parts);
	if (r < 0)
		return r;
	r = add_section(inf, "Version", strlen("Version"), &idx);
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
		*l = (struct drivers_inf_line){
		        .key = arena_strndup(inf, "DriverVer", 9)};
		if (!l->key)
			return -ENOMEM;
	}
	n = util_strv_length(parts);
	fields = arena_alloc(inf, MAX(n, (size_t)1) * sizeof(char *), 0);
	if (!fields)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		fields[i] = arena_strndup(inf, parts[i], strlen(parts[i]));
		if (!fields[i])
			return -ENOMEM;
	}
	l->fields = fields;
	l->n_fields = n;
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
	r = drivers_inf_decode(name, buf, len, &text, &text_len, ret_error);
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
		r = drivers_inf_replace_all(&text, &text_len, "$ARCH$",
		                            opts->stamp_arch);
		if (r < 0)
			return drivers_error(ret_error, r, name, 0,
			                     "cannot stamp $ARCH$");
	}
	if (opts && opts->stamp_vars)
		for (char *const *v = opts->stamp_vars; v[0] && v[1]; v += 2) {
			r = drivers_inf_replace_all(&text, &text_len, v[0],
			                            v[1]);
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
