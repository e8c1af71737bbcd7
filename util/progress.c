/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Progress reporting for long work: one self-erasing status line on a
 * terminal, nothing when stderr is not a tty or with --quiet, and
 * "progress:LABEL:DONE/TOTAL" lines for wrappers with --machine-readable
 * (the libguestfs tools' convention).  Configured once by the CLI; library
 * code only calls start/update/end.
 */
#include <inttypes.h>
#include <time.h>

#include "util.h"

#define PROGRESS_BAR_WIDTH 24
#define PROGRESS_REDRAW_NS (100 * 1000 * 1000ll) /* 10 redraws a second */

static struct util_progress_config progress_config;

struct util_progress {
	char label[UTIL_PROGRESS_LABEL_MAX + 1];
	uint64_t total, done, shown_done;
	int64_t start_ns, drawn_ns;
	bool drawn;  /* terminal: a line is on the screen */
	bool posted; /* machine: shown_done was printed */
};

static FILE *
term_stream(void)
{
	return progress_config.term ? progress_config.term : stderr;
}

static FILE *
machine_stream(void)
{
	return progress_config.machine ? progress_config.machine : stdout;
}

void
util_progress_configure(const struct util_progress_config *c)
{
	progress_config = *c;
}

int
util_progress_start(const char *label, uint64_t total,
                    struct util_progress **ret)
{
	struct util_progress *p;
	size_t n = 0;

	*ret = NULL;
	switch (progress_config.mode) {
	case UTIL_PROGRESS_QUIET:
		return 0;
	case UTIL_PROGRESS_TERMINAL:
		if (!isatty(fileno(term_stream())))
			return 0;
		break;
	case UTIL_PROGRESS_MACHINE:
		break;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* Machine lines are split on ':' by wrappers: keep labels tame. */
	for (const char *s = label; s && *s && n < UTIL_PROGRESS_LABEL_MAX;
	     s++, n++) {
		char ch = *s;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		          ch == '-' ||
		          (ch == ' ' &&
		           progress_config.mode == UTIL_PROGRESS_TERMINAL);
		p->label[n] = ok ? ch : '_';
	}
	p->label[n] = '\0';
	p->total = total;
	p->start_ns = util_now_ns();
	if (progress_config.mode == UTIL_PROGRESS_MACHINE)
		util_progress_update(p, 0);
	*ret = p;
	return 0;
}

static void
machine_post(struct util_progress *p)
{
	FILE *f = machine_stream();

	if (p->posted && p->shown_done == p->done)
		return;
	fprintf(f, "progress:%s:%" PRIu64 "/%" PRIu64 "\n", p->label, p->done,
	        p->total);
	fflush(f);
	p->shown_done = p->done;
	p->posted = true;
}

static void
term_draw(struct util_progress *p)
{
	FILE *f = term_stream();
	char bar[PROGRESS_BAR_WIDTH + 1];

	if (p->total > 0) {
		uint64_t d = MIN(p->done, p->total);
		size_t fill = (size_t)(d * PROGRESS_BAR_WIDTH / p->total);

		memset(bar, '#', fill);
		memset(bar + fill, '-', PROGRESS_BAR_WIDTH - fill);
		bar[PROGRESS_BAR_WIDTH] = '\0';
		fprintf(f,
		        "\r%-24.24s [%s] %" PRIu64 "/%" PRIu64 " %3u%%\033[K",
		        p->label, bar, p->done, p->total,
		        (unsigned)(d * 100 / p->total));
	} else {
		static const char spin[] = "|/-\\";
		unsigned i = (unsigned)(p->done % 4);

		fprintf(f, "\r%-24.24s %c %" PRIu64 "\033[K", p->label, spin[i],
		        p->done);
	}
	fflush(f);
	p->drawn = true;
}

void
util_progress_update(struct util_progress *p, uint64_t done)
{
	int64_t t;

	if (!p)
		return;
	p->done = done;
	if (progress_config.mode == UTIL_PROGRESS_MACHINE) {
		machine_post(p);
		return;
	}
	t = util_now_ns();
	if (t - p->start_ns < (int64_t)progress_config.delay_ms * 1000000ll)
		return;
	if (p->drawn && t - p->drawn_ns < PROGRESS_REDRAW_NS &&
	    done != p->total)
		return;
	p->drawn_ns = t;
	term_draw(p);
}

struct util_progress *
util_progress_end(struct util_progress *p)
{
	if (!p)
		return NULL;
	if (progress_config.mode == UTIL_PROGRESS_MACHINE)
		machine_post(p);
	else if (p->drawn) {
		fputs("\r\033[K", term_stream());
		fflush(term_stream());
	}
	free(p);
	return NULL;
}
