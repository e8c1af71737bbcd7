/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnostics of a rule set: the "file:line: message" list that loading,
 * the semantic checks and evaluation append to and rules_diagnostics()
 * hands out, bounded at RULES_MAX_DIAGNOSTICS.  It sits below load.c,
 * check.c and eval.c so that each of them reports without calling the
 * others.
 */
#include "rules-internal.h"

int
rules_diag(struct rules *r, int err, const char *file, unsigned line,
           const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	char *full = NULL;
	va_list ap;
	int k;

	if (r->n_diagnostics >= RULES_MAX_DIAGNOSTICS)
		return err;
	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0) {
		msg = NULL;
		return err;
	}
	if (line > 0)
		k = util_asprintf(&full, "%s:%u: %s", file, line, msg);
	else
		k = util_asprintf(&full, "%s: %s", file, msg);
	if (k < 0)
		return err;
	if (util_strv_consume(&r->diagnostics, full) >= 0)
		r->n_diagnostics++;
	return err;
}

void
rules_diag_clear(struct rules *r)
{
	r->diagnostics = util_strv_free(r->diagnostics);
	r->n_diagnostics = 0;
}

char *const *
rules_diagnostics(const struct rules *r)
{
	return r->diagnostics;
}
