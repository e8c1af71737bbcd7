/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * boot.ini (NT5 ntldr configuration): a byte-preserving parser, the
 * signature() -> multi() ARC path rewrite for a new disk layout, and the
 * non-destructive /kernel= /hal= entry of WINDOWS.md §1.4.
 *
 * The file is kept as its lines, each with its own line ending, plus an
 * opaque tail starting at the first Ctrl-Z or NUL (DOS end-of-file: ntldr
 * stops there too).  Edits replace only the bytes of the ARC path or the
 * default= value inside a line, or insert whole lines, so every byte not
 * touched renders back identically.  Lines are byte strings (ANSI
 * descriptions are common): nothing assumes UTF-8.
 */
#include <ctype.h>

#include "util.h"
#include "windows/winboot.h"

enum bootini_section {
	SEC_NONE,
	SEC_BOOT_LOADER,
	SEC_OS,
	SEC_OTHER,
};

enum bootini_kind {
	LINE_BLANK,
	LINE_COMMENT,
	LINE_SECTION,
	LINE_KEYVAL, /* key=value in [boot loader] */
	LINE_ENTRY,  /* path=... in [operating systems] */
	LINE_OTHER,
};

struct bootini_line {
	char *text; /* without the line ending; holds no NUL (cut at tail) */
	size_t len;
	char eol[3]; /* "\r\n", "\n", "\r" or "" (last line) */
	enum bootini_section section;
	enum bootini_kind kind;
	/* LINE_KEYVAL / LINE_ENTRY: [key_start, key_end) is the key or path,
	 * [val_start, val_end) the value, both without surrounding blanks. */
	size_t key_start, key_end, val_start, val_end;
	char *key, *value; /* copies of the spans */
};

struct winboot_bootini {
	struct bootini_line *lines;
	size_t n, allocated;
	char *tail; /* from the first Ctrl-Z / NUL to the end, verbatim */
	size_t tail_len;
	char eol[3]; /* line ending for new lines */
};

/* ---- lines ----------------------------------------------------------------
 */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
line_clear_analysis(struct bootini_line *l)
{
	free(l->key);
	free(l->value);
	l->key = l->value = NULL;
	l->key_start = l->key_end = l->val_start = l->val_end = 0;
}

static void
span_trim(const char *t, size_t *a, size_t *b)
{
	while (*a < *b && is_blank(t[*a]))
		(*a)++;
	while (*b > *a && is_blank(t[*b - 1]))
		(*b)--;
}

/* Classifies one line given the section it is in; returns the section
 * following it. */
static int
line_analyze(struct bootini_line *l, enum bootini_section *section)
{
	size_t i = 0, a, b;
	const char *eq;

	line_clear_analysis(l);
	while (i < l->len && is_blank(l->text[i]))
		i++;
	l->section = *section;
	if (i == l->len) {
		l->kind = LINE_BLANK;
		return 0;
	}
	if (l->text[i] == ';') {
		l->kind = LINE_COMMENT;
		return 0;
	}
	if (l->text[i] == '[') {
		const char *close = memchr(l->text + i, ']', l->len - i);

		if (close) {
			a = i + 1;
			b = (size_t)(close - l->text);
			span_trim(l->text, &a, &b);
			if (b - a == 11 &&
			    strncasecmp(l->text + a, "boot loader", 11) == 0)
				*section = SEC_BOOT_LOADER;
			else if (b - a == 17 &&
			         strncasecmp(l->text + a, "operating systems",
			                     17) == 0)
				*section = SEC_OS;
			else
				*section = SEC_OTHER;
			l->section = *section;
			l->kind = LINE_SECTION;
			return 0;
		}
	}
	eq = memchr(l->text + i, '=', l->len - i);
	if (!eq || (*section != SEC_BOOT_LOADER && *section != SEC_OS)) {
		l->kind = LINE_OTHER;
		return 0;
	}
	l->kind = *section == SEC_OS ? LINE_ENTRY : LINE_KEYVAL;
	l->key_start = i;
	l->key_end = (size_t)(eq - l->text);
	span_trim(l->text, &l->key_start, &l->key_end);
	l->val_start = (size_t)(eq - l->text) + 1;
	l->val_end = l->len;
	span_trim(l->text, &l->val_start, &l->val_end);
	l->key = util_strndup0(l->text + l->key_start,
	                       l->key_end - l->key_start);
	l->value = util_strndup0(l->text + l->val_start,
	                         l->val_end - l->val_start);
	if (!l->key || !l->value) {
		line_clear_analysis(l);
		return -ENOMEM;
	}
	return 0;
}

static int
bootini_reanalyze(struct winboot_bootini *b)
{
	enum bootini_section section = SEC_NONE;
	int r;

	for (size_t i = 0; i < b->n; i++) {
		r = line_analyze(&b->lines[i], &section);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Inserts a line (text copied) at position at. */
static int
bootini_insert_line(struct winboot_bootini *b, size_t at, const char *text,
                    const char *eol)
{
	struct bootini_line *l;
	char *copy;

	if (b->n >= WINBOOT_BOOTINI_MAX_LINES)
		return -E2BIG;
	if (b->n == b->allocated) {
		size_t na = b->allocated ? b->allocated * 2 : 32;
		struct bootini_line *nl =
		        reallocarray(b->lines, na, sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		b->lines = nl;
		b->allocated = na;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	memmove(b->lines + at + 1, b->lines + at,
	        (b->n - at) * sizeof(*b->lines));
	l = &b->lines[at];
	*l = (struct bootini_line){.text = copy, .len = strlen(copy)};
	snprintf(l->eol, sizeof(l->eol), "%s", eol);
	b->n++;
	return 0;
}

/* Replaces text[a, e) of line i by repl. */
static int
line_replace(struct bootini_line *l, size_t a, size_t e, const char *repl)
{
	size_t rl = strlen(repl), nlen = l->len - (e - a) + rl;
	char *t;

	if (nlen > WINBOOT_BOOTINI_MAX_LINE)
		return -E2BIG;
	t = malloc(nlen + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t, l->text, a);
	memcpy(t + a, repl, rl);
	memcpy(t + a + rl, l->text + e, l->len - e);
	t[nlen] = '\0';
	free(l->text);
	l->text = t;
	l->len = nlen;
	return 0;
}

struct winboot_bootini *
winboot_bootini_free(struct winboot_bootini *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n; i++) {
		line_clear_analysis(&b->lines[i]);
		free(b->lines[i].text);
	}
	free(b->lines);
	free(b->tail);
	free(b);
	return NULL;
}

int
winboot_bootini_parse(const void *data, size_t len,
                      struct winboot_bootini **ret, char **ret_error)
{
	struct winboot_bootini *b = NULL;
	const char *p = data;
	size_t cut, pos = 0, lineno = 0;
	int r;

	if (!data && len > 0)
		return -EINVAL;
	if (len > WINBOOT_BOOTINI_MAX_SIZE) {
		util_replace_strf(ret_error,
		                  "%zu bytes, larger than the %u allowed", len,
		                  WINBOOT_BOOTINI_MAX_SIZE);
		return -EFBIG;
	}
	for (cut = 0; cut < len; cut++)
		if (p[cut] == '\0' || p[cut] == 0x1a)
			break;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->eol, sizeof(b->eol), "\r\n");
	if (cut < len) {
		b->tail = malloc(len - cut);
		if (!b->tail) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(b->tail, p + cut, len - cut);
		b->tail_len = len - cut;
	}

	while (pos < cut) {
		size_t e = pos, next;
		char eol[3] = "";
		struct bootini_line *l;

		while (e < cut && p[e] != '\n' && p[e] != '\r')
			e++;
		next = e;
		if (e < cut && p[e] == '\r' && e + 1 < cut &&
		    p[e + 1] == '\n') {
			snprintf(eol, sizeof(eol), "\r\n");
			next = e + 2;
		} else if (e < cut) {
			eol[0] = p[e];
			next = e + 1;
		}
		lineno++;
		if (e - pos > WINBOOT_BOOTINI_MAX_LINE) {
			util_replace_strf(
			        ret_error,
			        "line %zu: %zu bytes, longer than the %d "
			        "allowed",
			        lineno, e - pos, WINBOOT_BOOTINI_MAX_LINE);
			r = -E2BIG;
			goto fail;
		}
		if (b->n >= WINBOOT_BOOTINI_MAX_LINES) {
			util_replace_strf(ret_error, "more than %d lines",
			                  WINBOOT_BOOTINI_MAX_LINES);
			r = -E2BIG;
			goto fail;
		}
		if (b->n == 0 && eol[0])
			snprintf(b->eol, sizeof(b->eol), "%s", eol);
		r = bootini_insert_line(b, b->n, "", eol);
		if (r < 0)
			goto fail;
		l = &b->lines[b->n - 1];
		free(l->text);
		l->text = util_strndup0(p + pos, e - pos);
		if (!l->text) {
			r = -ENOMEM;
			goto fail;
		}
		l->len = e - pos;
		pos = next;
	}
	r = bootini_reanalyze(b);
	if (r < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	winboot_bootini_free(b);
	return r;
}

int
winboot_bootini_render(const struct winboot_bootini *b, char **ret,
                       size_t *ret_len)
{
	size_t total = b->tail_len, o = 0;
	char *s;

	for (size_t i = 0; i < b->n; i++)
		total += b->lines[i].len + strlen(b->lines[i].eol);
	s = malloc(total + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		size_t el = strlen(b->lines[i].eol);

		memcpy(s + o, b->lines[i].text, b->lines[i].len);
		o += b->lines[i].len;
		memcpy(s + o, b->lines[i].eol, el);
		o += el;
	}
	if (b->tail_len)
		memcpy(s + o, b->tail, b->tail_len);
	s[total] = '\0';
	*ret = s;
	*ret_len = total;
	return 0;
}

static bool
line_is_default(const struct bootini_line *l)
{
	return l->kind == LINE_KEYVAL && strcaseeq(l->key, "default");
}

const char *
winboot_bootini_default(const struct winboot_bootini *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (line_is_default(&b->lines[i]))
			return b->lines[i].value;
	return NULL;
}

size_t
winboot_bootini_n_entries(const struct winboot_bootini *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->lines[i].kind == LINE_ENTRY)
			n++;
	return n;
}

const char *
winboot_bootini_entry_path(const struct winboot_bootini *b, size_t idx)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->lines[i].kind == LINE_ENTRY && idx-- == 0)
			return b->lines[i].key;
	return NULL;
}

/* ---- ARC paths ------------------------------------------------------------
 */

enum arc_kind {
	ARC_MULTI,
	ARC_SCSI,
	ARC_SIGNATURE,
};

struct arc_path {
	enum arc_kind kind;
	uint32_t adapter; /* multi(N) / scsi(N) / signature(HEX) */
	uint32_t disk, rdisk, partition;
	size_t prefix_len; /* bytes of the device part, up to the '\' */
};

/* name(number) at s; number hex when hex.  Returns bytes consumed or 0. */
static size_t
arc_component(const char *s, size_t len, const char *name, bool hex,
              uint32_t *ret)
{
	size_t nl = strlen(name), i;
	uint64_t v = 0;

	if (len < nl + 2 || strncasecmp(s, name, nl) != 0 || s[nl] != '(')
		return 0;
	i = nl + 1;
	if (i >= len || s[i] == ')')
		return 0;
	for (; i < len && s[i] != ')'; i++) {
		unsigned d;

		if (isdigit((unsigned char)s[i]))
			d = (unsigned)(s[i] - '0');
		else if (hex && isxdigit((unsigned char)s[i]))
			d = (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
		else
			return 0;
		v = v * (hex ? 16 : 10) + d;
		if (v > UINT32_MAX)
			return 0;
	}
	if (i >= len)
		return 0;
	*ret = (uint32_t)v;
	return i + 1;
}

/* Parses "multi(0)disk(0)rdisk(0)partition(1)\WINDOWS" and the scsi() and
 * signature() forms.  -EINVAL when s is not such an ARC path (C:\ ...). */
static int
arc_parse(const char *s, size_t len, struct arc_path *ret)
{
	struct arc_path a = {0};
	size_t o, n;

	if ((n = arc_component(s, len, "multi", false, &a.adapter)))
		a.kind = ARC_MULTI;
	else if ((n = arc_component(s, len, "scsi", false, &a.adapter)))
		a.kind = ARC_SCSI;
	else if ((n = arc_component(s, len, "signature", true, &a.adapter)))
		a.kind = ARC_SIGNATURE;
	else
		return -EINVAL;
	o = n;
	if (!(n = arc_component(s + o, len - o, "disk", false, &a.disk)))
		return -EINVAL;
	o += n;
	if (!(n = arc_component(s + o, len - o, "rdisk", false, &a.rdisk)))
		return -EINVAL;
	o += n;
	if (!(n = arc_component(s + o, len - o, "partition", false,
	                        &a.partition)))
		return -EINVAL;
	o += n;
	if (o < len && s[o] != '\\')
		return -EINVAL;
	a.prefix_len = o;
	*ret = a;
	return 0;
}

int
winboot_arc_partition_number(const struct winboot_layout *l, size_t i)
{
	const struct winboot_partition *t;
	int n = 0;

	if (!l || i >= l->n_partitions)
		return -EINVAL;
	if (l->style != WINBOOT_STYLE_MBR)
		return -EOPNOTSUPP;
	t = &l->partitions[i];
	if (t->mbr_type == 0 || t->mbr_type == 0x05 || t->mbr_type == 0x0f ||
	    t->mbr_type == 0x85)
		return -ENOENT;
	for (size_t j = 0; j < l->n_partitions; j++) {
		const struct winboot_partition *p = &l->partitions[j];
		bool p_primary = p->index <= 4, t_primary = t->index <= 4;

		if (p->mbr_type == 0 || p->mbr_type == 0x05 ||
		    p->mbr_type == 0x0f || p->mbr_type == 0x85)
			continue;
		/* primaries before logicals, each group in index order */
		if ((p_primary && !t_primary) ||
		    (p_primary == t_primary && p->index <= t->index))
			n++;
	}
	return n;
}

/* partitions[] index whose ARC number is m, or -ENOENT. */
static int
arc_partition_lookup(const struct winboot_layout *l, uint32_t m)
{
	for (size_t i = 0; i < l->n_partitions; i++)
		if (winboot_arc_partition_number(l, i) == (int)m && m > 0)
			return (int)i;
	return -ENOENT;
}

int
winboot_bootini_arc_path(const struct winboot_layout *l,
                         const char *windows_dir, char **ret)
{
	int r, m;

	r = winboot_layout_check(l);
	if (r < 0)
		return r;
	if (l->windows_part < 0)
		return -ENOENT;
	m = winboot_arc_partition_number(l, (size_t)l->windows_part);
	if (m < 0)
		return m;
	if (!windows_dir || !*windows_dir)
		windows_dir = "\\WINDOWS";
	return util_asprintf(ret, "multi(0)disk(0)rdisk(%u)partition(%d)%s%s",
	                     l->bios_disk, m,
	                     windows_dir[0] == '\\' ? "" : "\\", windows_dir);
}

/* ---- report helpers --------------------------------------------------------
 */

#define note winboot_report_add_note

static int
record_change(struct winboot_report *r, size_t lineno, const char *before,
              const char *after)
{
	_cleanup_free_ char *what = NULL;

	if (!r)
		return 0;
	if (util_asprintf(&what, "boot.ini line %zu", lineno) < 0)
		return -ENOMEM;
	return winboot_report_add_change(r, what, before, after);
}

/* ---- signature() -> multi() ------------------------------------------------
 */

int
winboot_bootini_fix_arc(struct winboot_bootini *b,
                        const struct winboot_layout *l,
                        struct winboot_report *report)
{
	size_t n_default = 0;
	int r, changed = 0;

	r = winboot_layout_check(l);
	if (r < 0)
		return r;
	if (l->style != WINBOOT_STYLE_MBR)
		return -EOPNOTSUPP;

	for (size_t i = 0; i < b->n; i++) {
		struct bootini_line *ln = &b->lines[i];
		size_t a, e;
		struct arc_path arc;
		_cleanup_free_ char *before = NULL, *repl = NULL;

		if (ln->kind == LINE_ENTRY) {
			a = ln->key_start;
			e = ln->key_end;
		} else if (line_is_default(ln)) {
			a = ln->val_start;
			e = ln->val_end;
			n_default++;
		} else
			continue;
		if (arc_parse(ln->text + a, e - a, &arc) < 0 ||
		    arc.kind == ARC_MULTI)
			continue;
		if (arc.kind == ARC_SCSI) {
			/* scsi(N)disk(T)rdisk(L): a SCSI target/LUN, no BIOS
			 * disk number to map it to. */
			r = note(report,
			         "boot.ini line %zu: scsi() path needs the old "
			         "controller's ntbootdd.sys; left unchanged",
			         i + 1);
			if (r < 0)
				return r;
			continue;
		}
		if (arc.adapter != l->mbr_signature) {
			r = note(report,
			         "boot.ini line %zu: signature(%08x) is not "
			         "this disk (signature %08x); left unchanged",
			         i + 1, arc.adapter, l->mbr_signature);
			if (r < 0)
				return r;
			continue;
		}
		if (arc_partition_lookup(l, arc.partition) < 0) {
			r = note(report,
			         "boot.ini line %zu: partition(%u) does not "
			         "exist in the new layout; left unchanged",
			         i + 1, arc.partition);
			if (r < 0)
				return r;
			continue;
		}
		before = util_strndup0(ln->text, ln->len);
		if (!before ||
		    util_asprintf(&repl,
		                  "multi(0)disk(0)rdisk(%u)partition(%u)",
		                  l->bios_disk, arc.partition) < 0)
			return -ENOMEM;
		r = line_replace(ln, a, a + arc.prefix_len, repl);
		if (r < 0)
			return r;
		r = record_change(report, i + 1, before, ln->text);
		if (r < 0)
			return r;
		changed++;
	}
	r = bootini_reanalyze(b);
	if (r < 0)
		return r;

	if (n_default > 1) {
		r = note(report,
		         "boot.ini: default= appears %zu times in [boot "
		         "loader]; every one was treated alike",
		         n_default);
		if (r < 0)
			return r;
	}
	/* Cross-check the default entry with the Windows partition. */
	const char *def = winboot_bootini_default(b);
	struct arc_path arc;
	if (def && arc_parse(def, strlen(def), &arc) == 0 &&
	    arc.kind == ARC_MULTI && l->windows_part >= 0) {
		int m = winboot_arc_partition_number(l,
		                                     (size_t)l->windows_part);

		if (m > 0 && (arc.rdisk != l->bios_disk ||
		              arc.partition != (uint32_t)m)) {
			r = note(report,
			         "boot.ini: default= names rdisk(%u)"
			         "partition(%u), the Windows partition is "
			         "rdisk(%u)partition(%d)",
			         arc.rdisk, arc.partition, l->bios_disk, m);
			if (r < 0)
				return r;
		}
	}
	if (def) {
		bool found = false;

		for (size_t i = 0; i < b->n && !found; i++)
			found = b->lines[i].kind == LINE_ENTRY &&
			        strcaseeq(b->lines[i].key, def);
		if (!found) {
			r = note(report,
			         "boot.ini: default=%s names no entry of "
			         "[operating systems]",
			         def);
			if (r < 0)
				return r;
		}
	}
	return changed;
}

/* ---- adding an entry --------------------------------------------------------
 */

static bool
has_any(const char *s, const char *chars)
{
	return s && strpbrk(s, chars) != NULL;
}

/* The switches of an entry value: what follows the quoted description. */
static const char *
entry_switches(const char *value, size_t *ret_len)
{
	const char *s = value, *e;

	if (*s == '"') {
		const char *q = strchr(s + 1, '"');

		s = q ? q + 1 : s + strlen(s);
	} else
		s += strcspn(s, " \t");
	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	*ret_len = (size_t)(e - s);
	return s;
}

int
winboot_bootini_add_entry(struct winboot_bootini *b, const char *arc_path,
                          const char *description, const char *switches,
                          bool make_default, struct winboot_report *report)
{
	_cleanup_free_ char *text = NULL;
	size_t insert_at = b->n, os_header = SIZE_MAX, bl_header = SIZE_MAX;
	size_t sw_len = switches ? strlen(switches) : 0;
	bool exists = false, any_default = false;
	int r;

	if (!arc_path || !*arc_path || !description ||
	    has_any(arc_path, "=\"\r\n\x1a") ||
	    has_any(description, "\"\r\n\x1a") ||
	    has_any(switches, "\r\n\x1a") ||
	    strlen(arc_path) != strcspn(arc_path, " \t"))
		return -EINVAL;
	if (util_asprintf(&text, "%s=\"%s\"%s%s", arc_path, description,
	                  sw_len ? " " : "", sw_len ? switches : "") < 0)
		return -ENOMEM;
	if (strlen(text) > WINBOOT_BOOTINI_MAX_LINE)
		return -E2BIG;

	for (size_t i = 0; i < b->n; i++) {
		const struct bootini_line *ln = &b->lines[i];

		if (ln->kind == LINE_SECTION && ln->section == SEC_OS &&
		    os_header == SIZE_MAX)
			os_header = i;
		if (ln->kind == LINE_SECTION &&
		    ln->section == SEC_BOOT_LOADER && bl_header == SIZE_MAX)
			bl_header = i;
		if (ln->kind == LINE_ENTRY) {
			size_t l;
			const char *s = entry_switches(ln->value, &l);

			if (insert_at == b->n)
				insert_at = i;
			if (strcaseeq(ln->key, arc_path) && l == sw_len &&
			    strncasecmp(s, switches ? switches : "", l) == 0)
				exists = true;
		}
	}

	if (!exists) {
		if (os_header == SIZE_MAX) {
			/* No [operating systems]: append the section. */
			if (b->n > 0 && !b->lines[b->n - 1].eol[0])
				snprintf(b->lines[b->n - 1].eol,
				         sizeof(b->lines[b->n - 1].eol), "%s",
				         b->eol);
			r = bootini_insert_line(b, b->n, "[operating systems]",
			                        b->eol);
			if (r < 0)
				return r;
			r = record_change(report, b->n, NULL,
			                  "[operating systems]");
			if (r < 0)
				return r;
			insert_at = b->n;
		} else if (insert_at == b->n)
			insert_at = os_header + 1; /* no entry yet */
		if (insert_at == b->n && b->n > 0 && !b->lines[b->n - 1].eol[0])
			snprintf(b->lines[b->n - 1].eol,
			         sizeof(b->lines[b->n - 1].eol), "%s", b->eol);
		r = bootini_insert_line(b, insert_at, text, b->eol);
		if (r < 0)
			return r;
		r = record_change(report, insert_at + 1, NULL, text);
		if (r < 0)
			return r;
		if (bl_header != SIZE_MAX && bl_header >= insert_at)
			bl_header++;
		r = bootini_reanalyze(b);
		if (r < 0)
			return r;
	} else {
		r = note(report,
		         "boot.ini: an entry %s with these switches exists "
		         "already; not added again",
		         arc_path);
		if (r < 0)
			return r;
	}

	if (!make_default)
		return exists ? 0 : 1;

	for (size_t i = 0; i < b->n; i++) {
		struct bootini_line *ln = &b->lines[i];
		_cleanup_free_ char *before = NULL;

		if (!line_is_default(ln))
			continue;
		any_default = true;
		if (strcaseeq(ln->value, arc_path))
			continue;
		before = util_strndup0(ln->text, ln->len);
		if (!before)
			return -ENOMEM;
		r = line_replace(ln, ln->val_start, ln->val_end, arc_path);
		if (r < 0)
			return r;
		r = record_change(report, i + 1, before, ln->text);
		if (r < 0)
			return r;
	}
	if (!any_default) {
		_cleanup_free_ char *def = NULL;
		size_t at = 0;

		if (util_asprintf(&def, "default=%s", arc_path) < 0)
			return -ENOMEM;
		if (bl_header != SIZE_MAX)
			at = bl_header + 1;
		else {
			r = bootini_insert_line(b, 0, "[boot loader]", b->eol);
			if (r < 0)
				return r;
			r = record_change(report, 1, NULL, "[boot loader]");
			if (r < 0)
				return r;
			at = 1;
		}
		r = bootini_insert_line(b, at, def, b->eol);
		if (r < 0)
			return r;
		r = record_change(report, at + 1, NULL, def);
		if (r < 0)
			return r;
	}
	r = bootini_reanalyze(b);
	if (r < 0)
		return r;
	return exists ? 0 : 1;
}
