/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject-format.c — an injection rendered as .reg text for plans
 * and golden files (drivers_injection_format() in drivers.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

/* ---- .reg rendering ----------------------------------------------------- */

/* SZ/EXPAND_SZ data as a printable UTF-8 string (one terminating NUL, no
 * embedded NUL or control characters), else NULL. */
static char *
printable_sz(const uint8_t *data, size_t len)
{
	char *s = NULL;
	size_t n;

	if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
		return NULL;
	if (util_utf16le_to_utf8(data, len - 2, &s, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			free(s);
			return NULL;
		}
	return s;
}

static void
put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
put_name(FILE *f, const char *name)
{
	if (!name || !*name)
		fputc('@', f);
	else
		put_quoted(f, name);
}

/* hex bytes, wrapped like regedit with "\" continuation lines. */
static void
put_hex(FILE *f, const uint8_t *data, size_t len, size_t col)
{
	for (size_t i = 0; i < len; i++) {
		if (col > 76 && i + 1 < len) {
			fputs("\\\n  ", f);
			col = 2;
		}
		col += (size_t)fprintf(f, "%02x%s", data[i],
		                       i + 1 < len ? "," : "");
	}
	fputc('\n', f);
}

/* Width of a value name as put_name() prints it. */
static size_t
name_width(const char *name)
{
	size_t n = 2;

	if (!name || !*name)
		return 1;
	for (; *name; name++)
		n += (*name == '"' || *name == '\\') ? 2 : 1;
	return n;
}

static void
put_value(FILE *f, const struct hive_edit *e)
{
	_cleanup_free_ char *s = NULL;
	char type[16];

	put_name(f, e->name);
	fputc('=', f);
	if (e->type == HIVE_T_DWORD && e->len == 4) {
		fprintf(f, "dword:%08x\n", util_le32(e->data));
		return;
	}
	if ((e->type == HIVE_T_SZ || e->type == HIVE_T_EXPAND_SZ) &&
	    (s = printable_sz(e->data, e->len))) {
		/* "..." is SZ; str(2):"..." is hivexregedit's EXPAND_SZ */
		if (e->type == HIVE_T_EXPAND_SZ)
			fputs("str(2):", f);
		put_quoted(f, s);
		fputc('\n', f);
		return;
	}
	if (e->type == HIVE_T_BINARY)
		snprintf(type, sizeof(type), "hex:");
	else
		snprintf(type, sizeof(type), "hex(%x):", e->type);
	fputs(type, f);
	put_hex(f, e->data, e->len, name_width(e->name) + 1 + strlen(type));
}

/* Comment lines describing a group's edits that .reg cannot say (or says
 * in hex): they come before the [key] line, where hivexregedit --merge
 * allows comments. */
static void
put_annotations(FILE *f, const struct hive_edit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hive_edit *e = &v[i];
		const char *nm = e->name && *e->name ? e->name : "(default)";

		switch (e->kind) {
		case HIVE_EDIT_SET_VALUE:
			if (e->type == HIVE_T_MULTI_SZ) {
				_cleanup_strv_free_ char **items = NULL;

				fprintf(f, "; %s = MULTI_SZ [", nm);
				if (hive_decode_multi_sz(e->data, e->len,
				                         &items) >= 0)
					STRV_FOREACH (it, items) {
						put_quoted(f, *it);
						if (it[1])
							fputs(", ", f);
					}
				fputs("]\n", f);
			}
			if (e->no_clobber)
				fprintf(f,
				        "; %s: no-clobber (an existing value "
				        "is kept)\n",
				        nm);
			break;
		case HIVE_EDIT_MULTI_SZ_ADD:
			fprintf(f, "; %s: add MULTI_SZ item ", nm);
			put_quoted(f, e->item ? e->item : "");
			fputs(" unless present\n", f);
			break;
		case HIVE_EDIT_MULTI_SZ_REMOVE:
			fprintf(f, "; %s: remove MULTI_SZ item ", nm);
			put_quoted(f, e->item ? e->item : "");
			fputc('\n', f);
			break;
		default:
			break;
		}
	}
}

static void
format_edits(FILE *f, const struct hive_edits *l, const char *prefix,
             const char **origin)
{
	size_t i = 0;

	while (i < l->n) {
		const struct hive_edit *e = &l->v[i];
		size_t j = i + 1;

		if (!streq_ptr(e->origin, *origin) && e->origin) {
			fprintf(f, "; origin: %s\n", e->origin);
			*origin = e->origin;
		}
		if (e->kind == HIVE_EDIT_DELETE_KEY) {
			fprintf(f, "[-%s\\%s]\n\n", prefix, e->key);
			i++;
			continue;
		}
		/* a group: consecutive edits of one key (same origin) */
		while (j < l->n && l->v[j].kind != HIVE_EDIT_DELETE_KEY &&
		       strcaseeq(l->v[j].key, e->key) &&
		       streq_ptr(l->v[j].origin, e->origin))
			j++;
		put_annotations(f, e, j - i);
		fprintf(f, "[%s\\%s]\n", prefix, e->key);
		for (size_t k = i; k < j; k++) {
			const struct hive_edit *x = &l->v[k];

			if (x->kind == HIVE_EDIT_SET_VALUE)
				put_value(f, x);
			else if (x->kind == HIVE_EDIT_DELETE_VALUE) {
				put_name(f, x->name);
				fputs("=-\n", f);
			}
		}
		fputc('\n', f);
		i = j;
	}
}

int
drivers_injection_format(const struct drivers_injection *inj, FILE *out)
{
	const char *origin = NULL;

	if (!inj || !out)
		return -EINVAL;
	fputs("Windows Registry Editor Version 5.00\n\n", out);
	format_edits(out, &inj->system, "HKEY_LOCAL_MACHINE\\SYSTEM", &origin);
	origin = NULL;
	format_edits(out, &inj->software, "HKEY_LOCAL_MACHINE\\SOFTWARE",
	             &origin);
	if (inj->n_copies > 0) {
		fputs("; ---- file copies: guest path <- host path ----\n",
		      out);
		for (size_t i = 0; i < inj->n_copies; i++)
			fprintf(out, "; %s <- %s\n", inj->copies[i].guest_path,
			        inj->copies[i].host_path);
	}
	STRV_FOREACH (n, inj->notes)
		fprintf(out, "; note: %s\n", *n);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
