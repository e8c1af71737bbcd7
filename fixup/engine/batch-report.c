/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix batch`, what the children leave and the summary: the journal
 * check that skips images already fixed, each child's JSON report and log,
 * and the summary as JSON and as one self-contained HTML page.  Journals
 * and reports are read as hostile input: sizes, counts and depths are
 * bounded and every string that reaches the HTML page is escaped.
 */
#include <libgen.h>
#include <limits.h>
#include <time.h>

#include "engine/batch.h"
#include "engine/json-util.h"

#define BATCH_LOG_TAIL 8192      /* bytes of a child's log read back */
#define BATCH_REASON_MAX 400     /* bytes of a reason line kept */
#define BATCH_LIST_ITEM_MAX 2000 /* bytes of one rule/problem kept */

/* Reads a bounded JSON file; -ENOENT, -EFBIG, -EBADMSG (not JSON). */
static int
read_json(const char *path, size_t max, struct json_object **ret)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_free_ char *buf = NULL;
	struct json_object *o;
	size_t len;
	int r;

	r = util_read_file(path, max, &buf, &len);
	if (r < 0)
		return r;
	if (len > INT_MAX)
		return -EFBIG;
	tok = json_tokener_new_ex(BATCH_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

int
batch_journal_state(const char *dir, char **ret_state)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_free_ char *p = util_path_join(dir, "journal.json");
	struct json_object *st;
	int r;

	if (!p)
		return -ENOMEM;
	r = read_json(p, BATCH_JOURNAL_MAX, &o);
	if (r == -EFBIG)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "state", &st) ||
	    !json_object_is_type(st, json_type_string))
		return -EBADMSG;
	*ret_state = strdup(json_object_get_string(st));
	return *ret_state ? 0 : -ENOMEM;
}

/* ---- results ----------------------------------------------------------- */

const char *
batch_status_name(enum batch_status s)
{
	switch (s) {
	case BATCH_PENDING:
		return "pending";
	case BATCH_FIXED:
		return "fixed";
	case BATCH_NOTHING:
		return "nothing-to-do";
	case BATCH_SKIPPED:
		return "skipped";
	case BATCH_BLOCKED:
		return "blocked";
	case BATCH_FAILED:
		return "failed";
	}
	return "?";
}

bool
batch_status_ok(enum batch_status s)
{
	return s == BATCH_FIXED || s == BATCH_NOTHING || s == BATCH_SKIPPED;
}

void
batch_result_done(struct batch_result *r)
{
	free(r->report);
	free(r->log);
	free(r->reason);
	free(r->guest);
	util_strv_free(r->rules);
	util_strv_free(r->missing);
	util_strv_free(r->warnings);
	*r = (struct batch_result){0};
}

/* The last non-empty line of the child's log, for the "reason". */
static char *
log_last_line(const char *path)
{
	_cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
	char buf[BATCH_LOG_TAIL + 1];
	size_t n, end, start;
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0)
		return NULL;
	if (fseek(f, size > BATCH_LOG_TAIL ? size - BATCH_LOG_TAIL : 0,
	          SEEK_SET) < 0)
		return NULL;
	n = fread(buf, 1, BATCH_LOG_TAIL, f);
	buf[n] = '\0';
	n = strlen(buf);
	while (n > 0 && strchr("\r\n \t", buf[n - 1]))
		n--;
	if (n == 0)
		return NULL;
	end = n;
	start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	return util_strndup0(buf + start, MIN(end - start, BATCH_REASON_MAX));
}

static int
push_capped(char ***l, const char *s)
{
	if (util_strv_length(*l) >= BATCH_MAX_ITEMS_SHOWN)
		return 0;
	return util_strv_consume(
	        l, util_strndup0(s, MIN(strlen(s), BATCH_LIST_ITEM_MAX)));
}

static const char *
jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
jget_array(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static int
read_plan(struct batch_result *r, struct json_object *plan)
{
	struct json_object *a;

	if ((a = jget_array(plan, "rules")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *s = jget_str(
			        json_object_array_get_idx(a, i), "rule");

			if (s && push_capped(&r->rules, s) < 0)
				return -ENOMEM;
		}
	if ((a = jget_array(plan, "problems")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *p = json_object_array_get_idx(a, i);
			struct json_object *b;
			const char *msg = jget_str(p, "message");
			const char *hint = jget_str(p, "hint");
			_cleanup_free_ char *line = NULL;
			bool blocking;

			if (!msg)
				continue;
			blocking =
			        json_object_object_get_ex(p, "blocking", &b) &&
			        json_object_get_boolean(b);
			if (util_asprintf(
			            &line, "%.*s%s%.*s%s", BATCH_LIST_ITEM_MAX,
			            msg, hint ? " (" : "", BATCH_LIST_ITEM_MAX,
			            hint ? hint : "", hint ? ")" : "") < 0)
				return -ENOMEM;
			if (push_capped(blocking ? &r->missing : &r->warnings,
			                line) < 0)
				return -ENOMEM;
		}
	if ((a = jget_array(plan, "warnings")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *w = json_object_array_get_idx(a, i);

			if (json_object_is_type(w, json_type_string) &&
			    push_capped(&r->warnings,
			                json_object_get_string(w)) < 0)
				return -ENOMEM;
		}
	return 0;
}

static int set_reason(struct batch_result *r, const char *fmt, ...)
        _printf_(2, 3);

static int
set_reason(struct batch_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	free(r->reason);
	r->reason = s;
	return 0;
}

int
batch_result_read(struct batch_result *r)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_free_ char *last = log_last_line(r->log);
	struct json_object *facts = NULL, *plan = NULL;
	const char *status = NULL;
	int q;

	q = r->report ? read_json(r->report, BATCH_REPORT_MAX, &o) : -ENOENT;
	if (q == -ENOMEM)
		return q;
	if (q >= 0 && json_object_is_type(o, json_type_object)) {
		status = jget_str(o, "status");
		json_object_object_get_ex(o, "facts", &facts);
		json_object_object_get_ex(o, "plan", &plan);
	}
	if (facts && json_object_is_type(facts, json_type_object)) {
		const char *p = jget_str(facts, "os.product");
		const char *d = jget_str(facts, "os.distro");
		const char *v = jget_str(facts, "os.version");

		if (p)
			r->guest = util_strndup0(p, MIN(strlen(p), 200));
		else if (d && util_asprintf(&r->guest, "%.100s %.60s", d,
		                            v ? v : "") < 0)
			return -ENOMEM;
	}
	if (plan && json_object_is_type(plan, json_type_object) &&
	    read_plan(r, plan) < 0)
		return -ENOMEM;

	if (r->signal)
		r->status = BATCH_FAILED;
	else if (status && streq(status, "fixed") && r->exit_code == 0)
		r->status = BATCH_FIXED;
	else if (status && streq(status, "nothing-to-do") && r->exit_code == 3)
		r->status = BATCH_NOTHING;
	else if (status && streq(status, "blocked"))
		r->status = BATCH_BLOCKED;
	else
		r->status = BATCH_FAILED;

	if (r->signal)
		return set_reason(r, "killed by signal %d (%s)", r->signal,
		                  strsignal(r->signal));
	if (r->status == BATCH_BLOCKED)
		return set_reason(r,
		                  "%zu blocking problem(s); nothing was "
		                  "written",
		                  util_strv_length(r->missing));
	if (r->status != BATCH_FAILED)
		return 0;
	if (last)
		return set_reason(r, "%s", last);
	if (q == -EBADMSG)
		return set_reason(r, "the report is not valid JSON (exit %d)",
		                  r->exit_code);
	if (!status)
		return set_reason(r, "no report (exit %d)", r->exit_code);
	return set_reason(r, "status \"%.40s\", exit %d", status, r->exit_code);
}

/* ---- summary: JSON ------------------------------------------------------ */

static void
count(const struct batch_result *res, size_t n, size_t c[BATCH_FAILED + 1])
{
	memset(c, 0, sizeof(size_t) * (BATCH_FAILED + 1));
	for (size_t i = 0; i < n; i++)
		c[res[i].status]++;
}

int
batch_summary_json(const struct batch_manifest *m,
                   const struct batch_result *res, const char *path)
{
	_cleanup_(json_object_putp) struct json_object *o =
	        json_object_new_object();
	struct json_object *counts = json_object_new_object();
	struct json_object *images = json_object_new_array();
	size_t c[BATCH_FAILED + 1];
	const char *s;
	bool ok = true;

	if (!o || !counts || !images) {
		json_object_put(counts);
		json_object_put(images);
		return -ENOMEM;
	}
	count(res, m->n_items, c);
	for (int k = BATCH_FIXED; k <= BATCH_FAILED; k++)
		json_object_object_add(counts, batch_status_name(k),
		                       json_object_new_int64((int64_t)c[k]));
	for (size_t i = 0; i < m->n_items; i++) {
		const struct batch_result *r = &res[i];
		struct json_object *j = json_object_new_object();
		char sec[32];

		snprintf(sec, sizeof(sec), "%.3f", r->seconds);
		ok &= batch_status_ok(r->status);
		json_object_object_add(j, "n",
		                       json_object_new_int64((int64_t)i + 1));
		json_object_object_add(j, "image", jstr(m->items[i].image));
		json_object_object_add(j, "status",
		                       jstr(batch_status_name(r->status)));
		json_object_object_add(j, "exit_code",
		                       json_object_new_int(r->exit_code));
		if (r->signal)
			json_object_object_add(j, "signal",
			                       json_object_new_int(r->signal));
		json_object_object_add(
		        j, "seconds",
		        json_object_new_double_s(r->seconds, sec));
		json_object_object_add(j, "report", jstr(r->report));
		json_object_object_add(j, "log", jstr(r->log));
		json_object_object_add(j, "reason", jstr(r->reason));
		json_object_object_add(j, "guest", jstr(r->guest));
		json_object_object_add(j, "rules", jstrv(r->rules));
		json_object_object_add(j, "missing", jstrv(r->missing));
		json_object_object_add(j, "warnings", jstrv(r->warnings));
		json_object_array_add(images, j);
	}
	json_object_object_add(o, "manifest", jstr(m->path));
	json_object_object_add(o, "total",
	                       json_object_new_int64((int64_t)m->n_items));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "images", images);
	s = json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	return util_write_file_atomic(path, s, strlen(s));
}

/* ---- summary: HTML ------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (no surrogates, no
 * overlongs), 0 when it is not one. */
static size_t
utf8_valid_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3
		                                                         : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80;
		unsigned hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		                       (s[3] & 0xc0) == 0x80
		               ? 4
		               : 0;
	}
	return 0;
}

/* Text content and attribute values: markup characters as entities,
 * control characters and bad UTF-8 as U+FFFD. */
static void
html_puts(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		size_t n = utf8_valid_len(s);

		if (n == 0 || (*s < 0x20 && *s != '\n' && *s != '\t') ||
		    *s == 0x7f) {
			fputs("\xef\xbf\xbd", f);
			s++;
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fwrite(s, 1, n, f);
		}
		s += n;
	}
}

/* A path as an href: percent-encoded but for unreserved bytes and '/'. */
static void
html_put_href(FILE *f, const char *prefix, const char *path)
{
	fputs(prefix, f);
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s))
			fputc(*s, f);
		else
			fprintf(f, "%%%02X", *s);
	}
}

/* Link to a report: by file name when it is in the page's directory. */
static void
html_link(FILE *f, const char *page_dir, const char *target, const char *text)
{
	_cleanup_free_ char *abs = NULL, *copy = NULL;
	const char *dir;

	if (!target)
		return;
	copy = strdup(target);
	abs = realpath(target, NULL);
	fputs("<a href=\"", f);
	dir = copy ? dirname(copy) : NULL;
	if (page_dir && abs && dir) {
		_cleanup_free_ char *rdir = realpath(dir, NULL);

		if (rdir && streq(rdir, page_dir)) {
			html_put_href(f, "", strrchr(abs, '/') + 1);
			goto done;
		}
	}
	html_put_href(f, "file://", abs ? abs : target);
done:
	fputs("\">", f);
	html_puts(f, text);
	fputs("</a>", f);
}

static void
html_list(FILE *f, char *const *l)
{
	if (!l || !*l) {
		fputs("<td class=\"none\">—</td>", f);
		return;
	}
	fputs("<td><ul>", f);
	STRV_FOREACH (s, l) {
		fputs("<li>", f);
		html_puts(f, *s);
		fputs("</li>", f);
	}
	fputs("</ul></td>", f);
}

static const char html_css[] =
        "body{font-family:sans-serif;margin:1.5em;color:#222}"
        "table{border-collapse:collapse;margin-bottom:1.5em}"
        "th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;"
        "vertical-align:top}"
        "th{background:#eee}"
        "td ul{margin:0;padding-left:1.1em}"
        "td.none{color:#999}"
        ".st{font-weight:bold;padding:.1em .4em;border-radius:.3em}"
        ".fixed .st,.nothing-to-do .st,.skipped .st{background:#cfc}"
        ".blocked .st{background:#fe9}"
        ".failed .st{background:#f99}"
        ".path{font-family:monospace;word-break:break-all}";

int
batch_summary_html(const struct batch_manifest *m,
                   const struct batch_result *res, const char *path)
{
	_cleanup_free_ char *buf = NULL, *copy = strdup(path);
	_cleanup_free_ char *page_dir = NULL;
	size_t len = 0, c[BATCH_FAILED + 1];
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int r;

	if (!copy)
		return -ENOMEM;
	page_dir = realpath(dirname(copy), NULL);
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	count(res, m->n_items, c);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n<title>imgfix batch: ",
	      f);
	html_puts(f, m->path);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", html_css);
	fputs("<h1>imgfix batch</h1>\n<p>Manifest <span class=\"path\">", f);
	html_puts(f, m->path);
	fprintf(f, "</span>, %zu image(s), written %s.</p>\n", m->n_items,
	        when);
	fputs("<table class=\"counts\">\n<tr>", f);
	for (int k = BATCH_FIXED; k <= BATCH_FAILED; k++)
		fprintf(f, "<th>%s</th>", batch_status_name(k));
	fputs("</tr>\n<tr>", f);
	for (int k = BATCH_FIXED; k <= BATCH_FAILED; k++)
		fprintf(f, "<td>%zu</td>", c[k]);
	fputs("</tr>\n</table>\n", f);
	fputs("<table class=\"images\">\n<thead><tr><th>#</th><th>Image</th>"
	      "<th>Guest</th><th>Status</th><th>Rules applied</th>"
	      "<th>Missing drivers / patches</th><th>Warnings</th>"
	      "<th>Report</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < m->n_items; i++) {
		const struct batch_result *rs = &res[i];
		const char *st = batch_status_name(rs->status);

		fprintf(f, "<tr class=\"%s\" id=\"image-%zu\"><td>%zu</td>", st,
		        i + 1, i + 1);
		fputs("<td class=\"path\">", f);
		html_puts(f, m->items[i].image);
		fputs("</td><td>", f);
		html_puts(f, rs->guest);
		fprintf(f, "</td><td><span class=\"st\">%s</span>", st);
		if (rs->reason) {
			fputs("<br>", f);
			html_puts(f, rs->reason);
		}
		fputs("</td>", f);
		html_list(f, rs->rules);
		html_list(f, rs->missing);
		html_list(f, rs->warnings);
		fputs("<td>", f);
		html_link(f, page_dir, rs->report, "report");
		if (rs->report && rs->log)
			fputs(" ", f);
		html_link(f, page_dir, rs->log, "log");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	r = util_write_file_atomic(path, buf, len);
	return r;
}
