/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging to stderr with a level threshold.  Library modules do not log; the
 * fixup/ layer (and the CLI) logs once where it decides.
 */
#include <time.h>

#include "util.h"

static enum util_log_level log_level = UTIL_LOG_NOTICE;
static const char *log_prefix = "imgfix";

void
util_log_set_level(enum util_log_level level)
{
	log_level = level;
}

enum util_log_level
util_log_get_level(void)
{
	return log_level;
}

void
util_log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

int
util_log_internal(enum util_log_level level, int error, const char *fmt, ...)
{
	int e = error < 0 ? -error : error;
	char buf[2048];
	va_list ap;

	if (level <= log_level) {
		/* %m is expanded by glibc's printf from errno. */
		errno = e;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		fprintf(stderr, "%s: %s%s\n", log_prefix,
		        level == UTIL_LOG_ERR       ? "error: "
		        : level == UTIL_LOG_WARNING ? "warning: "
		                                    : "",
		        buf);
	}
	return -e;
}

int64_t
util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void
util_log_phase(const char *what)
{
	static int64_t first, last;
	int64_t now = util_now_ns();

	if (!first)
		first = last = now;
	log_debug("time: %s %.1f ms (total %.1f ms)", what,
	          (double)(now - last) / 1e6, (double)(now - first) / 1e6);
	last = now;
}
