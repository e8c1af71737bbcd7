/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-thread error detail of fixup/ (error.h): one line naming the file
 * and what is wrong, left by the call that failed.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "image/error.h"

#define ERROR_DETAIL_MAX 1024

static __thread char error_detail[ERROR_DETAIL_MAX];
static __thread bool error_set;

const char *
fixup_error_detail(void)
{
	return error_set ? error_detail : NULL;
}

void
fixup_clear_error(void)
{
	error_set = false;
	error_detail[0] = '\0';
}

int
fixup_set_error(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_detail, sizeof(error_detail), fmt, ap);
	va_end(ap);
	error_set = true;
	return r;
}
