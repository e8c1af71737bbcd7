/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plans: bookkeeping of ops and problems, private hive copies, and the text
 * rendering `imgfix plan` prints (registry diffs via hive_diff(), text files
 * as unified diffs): the helpers every OS planner calls.  The planners of
 * the guest families (windows/plan-windows.c, linux/plan-linux.c) turn rule
 * actions into ops; plan-build.c picks one through engine/family.h.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <sys/wait.h>

#include "drivers.h"
#include "engine/plan.h"
#include "rules.h"
#include "image/volume.h"
#include "engine/hive-logs.h"

extern char **environ;

static void
op_done(struct fixup_op *op)
{
	free(op->path);
	free(op->origin);
	free(op->summary);
	free(op->hive_name);
	hive_edits_done(&op->edits);
	free(op->hive_tmp);
	free(op->hive_before);
	util_strv_free(op->hive_logs);
	free(op->hive_problem);
	free(op->source);
	free(op->data);
	free(op->old);
}

void
fixup_plan_done(struct fixup_plan *p)
{
	for (size_t i = 0; i < p->n_ops; i++)
		op_done(&p->ops[i]);
	free(p->ops);
	for (size_t i = 0; i < p->n_problems; i++) {
		free(p->problems[i].origin);
		free(p->problems[i].message);
		free(p->problems[i].hint);
	}
	free(p->problems);
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].origin);
		util_strv_free(p->rules[i].actions);
	}
	free(p->rules);
	util_strv_free(p->warnings);
	util_strv_free(p->notes);
	if (p->tmpdir)
		(void)util_rmdtemp(p->tmpdir);
	free(p->tmpdir);
	*p = (struct fixup_plan){0};
}

char *
fixup_action_origin(const struct rules_action *a)
{
	char *s;

	if (util_asprintf(&s, "%s/%s", a->set_name, a->rule_id) < 0)
		return NULL;
	return s;
}

int
fixup_plan_add_op(struct fixup_plan *p, enum fixup_op_kind kind,
                  const char *path, const char *origin, struct fixup_op **ret)
{
	struct fixup_op *t = realloc(p->ops, (p->n_ops + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	p->ops = t;
	t = &p->ops[p->n_ops];
	*t = (struct fixup_op){.kind = kind};
	t->path = strdup(path);
	t->origin = origin ? strdup(origin) : NULL;
	if (!t->path || (origin && !t->origin)) {
		op_done(t);
		return -ENOMEM;
	}
	p->n_ops++;
	*ret = t;
	return 0;
}

static int
vformat(char **ret, const char *fmt, va_list ap)
{
	if (vasprintf(ret, fmt, ap) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
fixup_plan_add_problem(struct fixup_plan *p, const char *origin, bool blocking,
                       const char *hint, const char *fmt, ...)
{
	struct fixup_problem *t;
	va_list ap;
	char *msg;
	int r;

	va_start(ap, fmt);
	r = vformat(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	t = realloc(p->problems, (p->n_problems + 1) * sizeof(*t));
	if (!t) {
		free(msg);
		return -ENOMEM;
	}
	p->problems = t;
	p->problems[p->n_problems++] = (struct fixup_problem){
	        .origin = origin ? strdup(origin) : NULL,
	        .message = msg,
	        .hint = hint ? strdup(hint) : NULL,
	        .blocking = blocking,
	};
	return 0;
}

int
fixup_plan_warn(struct fixup_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int r;

	va_start(ap, fmt);
	r = vformat(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	if (util_strv_contains(p->warnings, msg)) {
		free(msg);
		return 0;
	}
	return util_strv_consume(&p->warnings, msg);
}

int
fixup_plan_note(struct fixup_plan *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = util_strv_pushfv(&p->notes, fmt, ap);
	va_end(ap);
	return r;
}

int
fixup_plan_record(struct fixup_plan *p, const char *origin, const char *fmt,
                  ...)
{
	struct fixup_applied_rule *t = NULL;
	va_list ap;
	int r;

	for (size_t i = 0; i < p->n_rules; i++)
		if (streq(p->rules[i].origin, origin))
			t = &p->rules[i];
	if (!t) {
		t = realloc(p->rules, (p->n_rules + 1) * sizeof(*t));
		if (!t)
			return -ENOMEM;
		p->rules = t;
		t = &p->rules[p->n_rules];
		*t = (struct fixup_applied_rule){.origin = strdup(origin)};
		if (!t->origin)
			return -ENOMEM;
		p->n_rules++;
	}
	va_start(ap, fmt);
	r = util_strv_pushfv(&t->actions, fmt, ap);
	va_end(ap);
	return r;
}

/* A private scratch copy (in the plan's private temp dir): no fsync,
 * nothing to keep after a crash.  mode: "we" or "wxe". */
static int
write_scratch(const char *host_path, const char *mode, const void *buf,
              size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(host_path, mode);

	if (!f)
		return -errno;
	if (len > 0 && fwrite(buf, 1, len, f) != len)
		return -EIO;
	return fflush(f) != 0 ? -errno : 0;
}

int
fixup_fetch_file(struct fixup_volume *v, const char *path, size_t max,
                 const char *host_path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = fixup_volume_read_file(v, path, max, &buf, &len);
	if (r < 0)
		return r;
	return write_scratch(host_path, "we", buf, len);
}

static int
plan_tmpdir(struct fixup_plan *p)
{
	if (p->tmpdir)
		return 0;
	return util_mkdtemp("plan", &p->tmpdir);
}

/* A second name for a private host copy; a copy when it cannot link. */
static int
link_or_copy(const char *from, const char *to)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (link(from, to) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return -errno;
	r = util_read_file(from, FIXUP_MAX_HIVE_FILE, &buf, &len);
	if (r < 0)
		return r;
	return write_scratch(to, "wxe", buf, len);
}

int
fixup_plan_hive_op(struct fixup_plan *p, struct fixup_volume *v,
                   const char *hive_name, const char *path, const char *origin,
                   struct fixup_op **ret)
{
	return fixup_plan_hive_op_from(p, v, hive_name, path, origin, NULL,
	                               ret);
}

int
fixup_plan_hive_op_from(struct fixup_plan *p, struct fixup_volume *v,
                        const char *hive_name, const char *path,
                        const char *origin, const char *host_copy,
                        struct fixup_op **ret)
{
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct fixup_hive_copy hc = {0};
	struct fixup_op *op;
	int r, dirty;

	for (size_t i = 0; i < p->n_ops; i++)
		if (p->ops[i].kind == FIXUP_OP_HIVE && p->ops[i].vol == v &&
		    strcaseeq(p->ops[i].path, path)) {
			/* The op is named after the first rule editing it. */
			if (!p->ops[i].origin && origin) {
				p->ops[i].origin = strdup(origin);
				if (!p->ops[i].origin)
					return -ENOMEM;
			}
			*ret = &p->ops[i];
			return 0;
		}
	r = plan_tmpdir(p);
	if (r < 0)
		return r;
	/* Fetch first: a hive that cannot be read leaves no op behind. */
	if (util_asprintf(&before, "%s/%s.%zu.orig", p->tmpdir, hive_name,
	                  p->n_ops) < 0 ||
	    util_asprintf(&after, "%s/%s.%zu.new", p->tmpdir, hive_name,
	                  p->n_ops) < 0)
		return -ENOMEM;
	/* A dirty primary is fetched with its logs replayed; inspection's
	 * copy is that already when it is clean. */
	dirty = fixup_hive_guest_dirty(v, path);
	if (dirty < 0)
		return dirty;
	if (dirty && host_copy && hive_file_dirty(host_copy) == 0) {
		r = link_or_copy(host_copy, before);
		if (r >= 0)
			r = fixup_hive_guest_logs(v, path, &hc.guest_logs);
		hc.rec.recovered = true;
	} else if (dirty)
		r = fixup_hive_copy_out(v, path, FIXUP_MAX_HIVE_FILE, before,
		                        &hc);
	else if (host_copy)
		r = link_or_copy(host_copy, before);
	else
		r = fixup_fetch_file(v, path, FIXUP_MAX_HIVE_FILE, before);
	if (r < 0) {
		fixup_hive_copy_done(&hc);
		return r;
	}
	r = fixup_plan_add_op(p, FIXUP_OP_HIVE, path, origin, &op);
	if (r < 0) {
		fixup_hive_copy_done(&hc);
		return r;
	}
	op->vol = v;
	op->hive_before = TAKE_PTR(before);
	op->hive_tmp = TAKE_PTR(after);
	op->hive_name = strdup(hive_name);
	op->hive_dirty = dirty;
	op->hive_recovered = hc.rec.recovered;
	op->hive_logs = TAKE_PTR(hc.guest_logs);
	op->hive_problem = TAKE_PTR(hc.rec.problem);
	r = !op->hive_name ? -ENOMEM
	    : op->hive_recovered
	            ? util_asprintf(&op->summary,
	                            "edit registry hive %s (dirty: recovered "
	                            "from its transaction logs, written back "
	                            "clean)",
	                            hive_name)
	            : util_asprintf(&op->summary, "edit registry hive %s",
	                            hive_name);
	fixup_hive_copy_done(&hc);
	if (r < 0)
		return -ENOMEM;
	*ret = op;
	return 0;
}

int
fixup_plan_write_file(struct fixup_plan *p, struct fixup_volume *v,
                      const char *path, const char *origin, const char *summary,
                      const void *data, size_t len)
{
	_cleanup_free_ char *old = NULL;
	struct fixup_op *op = NULL;
	size_t old_len = 0;
	bool existed;
	int r;

	/* A later edit of the same file builds on the earlier one. */
	for (size_t i = 0; i < p->n_ops; i++)
		if (p->ops[i].kind == FIXUP_OP_WRITE_FILE &&
		    p->ops[i].vol == v && streq(p->ops[i].path, path))
			op = &p->ops[i];
	if (op) {
		uint8_t *d = malloc(len + 1);

		if (!d)
			return -ENOMEM;
		memcpy(d, data, len);
		d[len] = 0;
		free(op->data);
		op->data = d;
		op->len = len;
		return 0;
	}
	r = fixup_volume_read_file(v, path, FIXUP_MAX_TEXT_FILE, &old,
	                           &old_len);
	if (r == -ENOENT)
		existed = false;
	else if (r < 0)
		return r;
	else
		existed = true;
	if (existed && old_len == len && memcmp(old, data, len) == 0)
		return 0;
	r = fixup_plan_add_op(p, FIXUP_OP_WRITE_FILE, path, origin, &op);
	if (r < 0)
		return r;
	op->vol = v;
	op->existed = existed;
	op->old = (uint8_t *)TAKE_PTR(old);
	op->old_len = old_len;
	op->data = malloc(len + 1);
	op->summary = strdup(summary);
	if (!op->data || !op->summary)
		return -ENOMEM;
	memcpy(op->data, data, len);
	op->data[len] = 0;
	op->len = len;
	return 0;
}

/* True when applying e to h would change nothing. */
static bool
edit_is_noop(struct hive *h, const struct hive_edit *e)
{
	struct hive_value v = {0};
	_cleanup_strv_free_ char **items = NULL;
	bool same;

	switch (e->kind) {
	case HIVE_EDIT_SET_VALUE:
		if (hive_get_value(h, e->key, e->name, &v) < 0)
			return false;
		same = e->no_clobber ||
		       (v.type == e->type && v.len == e->len &&
		        (e->len == 0 || memcmp(v.data, e->data, e->len) == 0));
		hive_value_done(&v);
		return same;
	case HIVE_EDIT_DELETE_VALUE:
		if (hive_get_value(h, e->key, e->name, &v) < 0)
			return true;
		hive_value_done(&v);
		return false;
	case HIVE_EDIT_CREATE_KEY:
		return hive_key_exists(h, e->key) >= 0;
	case HIVE_EDIT_DELETE_KEY:
		return hive_key_exists(h, e->key) == -ENOENT;
	case HIVE_EDIT_MULTI_SZ_ADD:
		return hive_get_multi_sz(h, e->key, e->name, &items) >= 0 &&
		       util_strv_contains_case(items, e->item);
	case HIVE_EDIT_MULTI_SZ_REMOVE:
		return hive_get_multi_sz(h, e->key, e->name, &items) < 0 ||
		       !util_strv_contains_case(items, e->item);
	}
	return false;
}

/*
 * A hive op whose guest primary was dirty: one write op per non-empty
 * transaction log beside it, resetting it (engine/hive-logs.h), added
 * after every op of the plan: a crash between the primary and its logs
 * leaves a clean primary, which Windows loads without looking at the logs.
 */
static int
plan_log_resets(struct fixup_plan *p, size_t i)
{
	/* p->ops moves as ops are added: copy what is needed first */
	_cleanup_strv_free_ char **logs = util_strv_copy(p->ops[i].hive_logs);
	_cleanup_free_ char *origin = NULL, *name = NULL, *primary = NULL;
	struct fixup_volume *v = p->ops[i].vol;
	int r;

	name = strdup(p->ops[i].hive_name);
	primary = strdup(p->ops[i].hive_tmp);
	if (!logs || !name || !primary ||
	    (p->ops[i].origin && !(origin = strdup(p->ops[i].origin))))
		return -ENOMEM;
	STRV_FOREACH (l, logs) {
		struct fixup_hive_log_reset reset = {0};
		struct fixup_op *op;

		r = fixup_hive_log_reset(v, *l, primary, &reset);
		if (r <= 0)
			return r;
		r = fixup_plan_add_op(p, FIXUP_OP_WRITE_FILE, *l, origin, &op);
		if (r < 0) {
			free(reset.old);
			free(reset.data);
			return r;
		}
		op->vol = v;
		op->existed = true;
		op->old = reset.old;
		op->old_len = reset.old_len;
		op->data = reset.data;
		op->len = reset.len;
		if (util_asprintf(&op->summary,
		                  "reset transaction log of the %s hive: "
		                  "nothing left to replay over the recovered "
		                  "primary",
		                  name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Applies every hive op's edits to a private copy: validates them and
 * gives the diff.  A failing edit is a real error naming the rule. */
static int
finalize_hives(struct fixup_plan *p)
{
	size_t n = p->n_ops;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct fixup_op *op = &p->ops[i];
		_cleanup_(hive_freep) struct hive *h = NULL;
		unsigned flags = HIVE_OPEN_WRITE;
		size_t failed = 0;

		if (op->kind != FIXUP_OP_HIVE || op->edits.n == 0)
			continue;
		if (op->hive_dirty && !op->hive_recovered) {
			/* built anyway: --force dirty-hive may allow it */
			flags |= HIVE_OPEN_DIRTY_OK;
			r = fixup_plan_add_problem(
			        p, FIXUP_PROBLEM_DIRTY_HIVE, true,
			        "Copy the hive's .LOG1/.LOG2 files from the "
			        "source machine, or boot the guest and shut it "
			        "down cleanly; "
			        "--force " FIXUP_PROBLEM_DIRTY_HIVE
			        " writes the primary file as it is.",
			        "The %s hive %s is dirty: %s. Writing it would "
			        "keep only what its primary file holds: every "
			        "registry change Windows made after its last "
			        "flush to that file (drivers, services and "
			        "settings installed or changed since) would be "
			        "lost for good, and its logs reset.",
			        op->hive_name, op->path,
			        op->hive_problem ? op->hive_problem
			                         : "none found");
			if (r < 0)
				return r;
		}
		r = hive_open(op->hive_before, flags, &h);
		if (r < 0)
			return log_error_errno(r,
			                       "Failed to open the %s hive of "
			                       "the guest (%s) for writing: %m",
			                       op->hive_name, op->path);
		/* Edits that change nothing (a second fix): no op at all.  A
		 * dirty primary is always written back, clean. */
		op->noop = !op->hive_dirty;
		for (size_t e = 0; op->noop && e < op->edits.n; e++)
			op->noop = edit_is_noop(h, &op->edits.v[e]);
		if (op->noop)
			continue;
		r = hive_apply_edits(h, op->edits.v, op->edits.n, &failed);
		if (r < 0) {
			const struct hive_edit *e = &op->edits.v[failed];

			return log_error_errno(
			        r, "Rule %s: failed to edit %s\\%s: %s",
			        e->origin ? e->origin : "(none)", op->hive_name,
			        e->key,
			        hive_last_error(h) ? hive_last_error(h) : "%m");
		}
		/* a private scratch copy, like hive_before */
		r = hive_commit_full(h, op->hive_tmp, HIVE_COMMIT_NO_SYNC);
		if (r < 0)
			return log_error_errno(r, "Failed to write hive %s: %m",
			                       op->hive_tmp);
	}
	/* after every other op: the primary is written before its logs */
	for (size_t i = 0; i < n; i++)
		if (p->ops[i].kind == FIXUP_OP_HIVE && p->ops[i].hive_dirty &&
		    p->ops[i].edits.n > 0 && !p->ops[i].noop &&
		    (r = plan_log_resets(p, i)) < 0)
			return r;
	return 0;
}

/* Drops ops that would not change anything: hives whose edits leave them
 * equal, files that already hold the bytes.  A second fix of a fixed image
 * is then "nothing to do". */
static int
prune_noops(struct fixup_plan *p)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n_ops; i++) {
		struct fixup_op *op = &p->ops[i];
		bool noop = false;

		if (op->kind == FIXUP_OP_HIVE)
			/* only read (scans), or edits that change nothing */
			noop = op->edits.n == 0 || op->noop;
		else if (op->kind == FIXUP_OP_PUT_FILE && op->vol) {
			_cleanup_free_ char *want = NULL, *have = NULL;
			size_t wn, hn;

			if (util_read_file(op->source, FIXUP_MAX_PUT_FILE,
			                   &want, &wn) >= 0 &&
			    fixup_volume_read_file(op->vol, op->path,
			                           FIXUP_MAX_PUT_FILE, &have,
			                           &hn) >= 0)
				noop = wn == hn && memcmp(want, have, wn) == 0;
		}
		if (noop) {
			op_done(op);
			continue;
		}
		p->ops[k++] = *op;
	}
	p->n_ops = k;
	return 0;
}

int
fixup_plan_finalize(struct fixup_plan *p)
{
	int r = finalize_hives(p);

	return r < 0 ? r : prune_noops(p);
}

bool
fixup_plan_blocked(const struct fixup_plan *p)
{
	for (size_t i = 0; i < p->n_problems; i++)
		if (p->problems[i].blocking)
			return true;
	return false;
}

/* Runs diff -u on two host files; output to out.  diff exits 1 when the
 * files differ, which is what we expect. */
static int
unified_diff(const char *a, const char *b, const char *label, FILE *out)
{
	_cleanup_free_ char *la = NULL, *lb = NULL;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, r;
	char *argv[] = {(char *)"diff", (char *)"-u",      (char *)"--label",
	                NULL,           (char *)"--label", NULL,
	                (char *)a,      (char *)b,         NULL};

	if (util_asprintf(&la, "a%s", label) < 0 ||
	    util_asprintf(&lb, "b%s", label) < 0)
		return -ENOMEM;
	argv[3] = la;
	argv[5] = lb;
	fflush(out);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), STDOUT_FILENO);
	r = posix_spawnp(&pid, "diff", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return -EIO;
	return 0;
}

static bool
is_text(const uint8_t *d, size_t n)
{
	return !memchr(d, '\0', n);
}

static int
print_write_op(const struct fixup_op *op, FILE *out)
{
	_cleanup_free_ char *dir = NULL, *a = NULL, *b = NULL;
	int r;

	/* old is NULL when it was not read whole (a log being reset) */
	if (!is_text(op->data, op->len) ||
	    (op->existed && (!op->old || !is_text(op->old, op->old_len)))) {
		fprintf(out, "    (binary, %zu -> %zu bytes)\n", op->old_len,
		        op->len);
		return 0;
	}
	r = util_mkdtemp("diff", &dir);
	if (r < 0)
		return r;
	a = util_path_join(dir, "a");
	b = util_path_join(dir, "b");
	if (!a || !b)
		r = -ENOMEM;
	if (r >= 0)
		r = util_write_file_atomic(a,
		                           op->existed ? (char *)op->old : "",
		                           op->existed ? op->old_len : 0);
	if (r >= 0)
		r = util_write_file_atomic(b, op->data, op->len);
	if (r >= 0)
		r = unified_diff(op->existed ? a : "/dev/null", b, op->path,
		                 out);
	(void)util_rmdtemp(dir);
	return r;
}

const char *
fixup_op_kind_name(enum fixup_op_kind k)
{
	switch (k) {
	case FIXUP_OP_HIVE:
		return "registry";
	case FIXUP_OP_PUT_FILE:
		return "copy";
	case FIXUP_OP_WRITE_FILE:
		return "write";
	case FIXUP_OP_REMOVE:
		return "remove";
	case FIXUP_OP_BOOT_BYTES:
		return "boot-sector";
	}
	return "?";
}

int
fixup_plan_print(const struct fixup_plan *p, FILE *out)
{
	int r;

	if (p->n_problems > 0) {
		fprintf(out, "Problems:\n");
		for (size_t i = 0; i < p->n_problems; i++) {
			const struct fixup_problem *pr = &p->problems[i];

			fprintf(out, "  %s [%s] %s\n",
			        pr->blocking ? "BLOCKING" : "warning",
			        pr->origin ? pr->origin : "-", pr->message);
			if (pr->hint)
				fprintf(out, "      hint: %s\n", pr->hint);
		}
		fputc('\n', out);
	}
	fprintf(out, "Plan: %zu operation(s)\n", p->n_ops);
	for (size_t i = 0; i < p->n_ops; i++) {
		const struct fixup_op *op = &p->ops[i];

		fprintf(out, "\n[%zu] %s %s  (%s)\n", i + 1,
		        fixup_op_kind_name(op->kind), op->path,
		        op->origin ? op->origin : "-");
		if (op->summary)
			fprintf(out, "    %s\n", op->summary);
		switch (op->kind) {
		case FIXUP_OP_HIVE: {
			_cleanup_(hive_freep) struct hive *a = NULL, *b = NULL;
			_cleanup_free_ char *prefix = NULL;

			for (size_t e = 0; e < op->edits.n; e++)
				fprintf(out, "    edit %s\\%s%s%s  (%s)\n",
				        op->hive_name, op->edits.v[e].key,
				        op->edits.v[e].name ? " : " : "",
				        op->edits.v[e].name
				                ? (op->edits.v[e].name[0]
				                           ? op->edits.v[e].name
				                           : "@")
				                : "",
				        op->edits.v[e].origin
				                ? op->edits.v[e].origin
				                : "-");
			if (util_asprintf(&prefix, "HKEY_LOCAL_MACHINE\\%s",
			                  op->hive_name) < 0)
				return -ENOMEM;
			r = hive_open(op->hive_before, 0, &a);
			if (r >= 0)
				r = hive_open(op->hive_tmp, 0, &b);
			if (r >= 0) {
				fflush(out);
				r = hive_diff(a, b, prefix, out);
			}
			if (r < 0)
				return r;
			break;
		}
		case FIXUP_OP_PUT_FILE:
			fprintf(out, "    from %s\n", op->source);
			break;
		case FIXUP_OP_WRITE_FILE:
			fflush(out);
			r = print_write_op(op, out);
			if (r < 0)
				return r;
			break;
		case FIXUP_OP_REMOVE:
			break;
		case FIXUP_OP_BOOT_BYTES:
			fprintf(out, "    %zu byte(s) at offset %" PRIu64 "\n",
			        op->len, op->offset);
			break;
		}
	}
	if (p->warnings) {
		fprintf(out, "\nWarnings:\n");
		STRV_FOREACH (w, p->warnings)
			fprintf(out, "  %s\n", *w);
	}
	if (p->notes) {
		fprintf(out, "\nNotes:\n");
		STRV_FOREACH (n, p->notes)
			fprintf(out, "  %s\n", *n);
	}
	return 0;
}
