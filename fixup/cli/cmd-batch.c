/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix batch`: fixes the images of a manifest with a bounded pool of
 * `imgfix fix --json` children (posix_spawn of /proc/self/exe, no shell).
 * Each child's report goes to REPORT_DIR/<n>-<name>.json and its messages
 * to REPORT_DIR/<n>-<name>.log; one image failing never stops the others;
 * images whose journal says "complete" are skipped.  At the end a summary
 * as JSON and as a self-contained HTML page.  The manifest and summary
 * formats are in batch.h.
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/batch.h"
#include "cli/cmd.h"

extern char **environ;

struct batch_slot {
	pid_t pid;
	size_t idx;
	double start;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix batch [-j N] [--report-dir DIR] [--html FILE] "
	        "[--json FILE]\n"
	        "                    MANIFEST\n\n"
	        "Fixes every image of MANIFEST with 'imgfix fix', N at a "
	        "time.  MANIFEST is\nJSON ({\"defaults\": {...}, \"images\": "
	        "[{\"image\": PATH, \"rules\": [...], ...}]})\nor text: one "
	        "image per line followed by its 'imgfix fix' options.  "
	        "Images\nwhose journal is complete are skipped.  Exit 0 when "
	        "every image is fixed,\nhad nothing to do or was skipped; 1 "
	        "otherwise.\n\n"
	        "Options:\n"
	        "  -j, --jobs N          images fixed at the same time "
	        "(default: CPUs)\n"
	        "      --report-dir DIR  reports, logs and summaries (default "
	        "MANIFEST.reports)\n"
	        "      --html FILE       HTML summary (default "
	        "DIR/summary.html)\n"
	        "      --json FILE       JSON summary (default "
	        "DIR/summary.json)\n"
	        "  -h, --help            this help\n");
}

/* "vm 01.img" -> "vm_01.img": file names in the report directory. */
static char *
safe_name(const char *image)
{
	_cleanup_free_ char *copy = strdup(image);
	const char *b;
	char *s;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	b = strrchr(copy, '/');
	b = b ? b + 1 : copy;
	s = util_strndup0(b, MIN(strlen(b), (size_t)100));
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '_'))
			*p = '_';
	if (!*s || s[0] == '.')
		s[0] = '_';
	return s;
}

/* Starts the child for item idx, stdout -> its report, stderr -> its log. */
static int
spawn_one(const struct batch_item *it, const char *dir, size_t idx, int width,
          struct batch_result *res, pid_t *ret_pid)
{
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_free_ char *name = safe_name(it->image);
	_cleanup_close_ int out = -1, err = -1, null = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	if (!name)
		return -ENOMEM;
	if (util_asprintf(&res->report, "%s/%0*zu-%s.json", dir, width, idx + 1,
	                  name) < 0 ||
	    util_asprintf(&res->log, "%s/%0*zu-%s.log", dir, width, idx + 1,
	                  name) < 0)
		return -ENOMEM;
	r = batch_item_argv(it, imgfix_globals.verbose, &argv);
	if (r < 0)
		return r;
	out = open(res->report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return log_error_errno(-errno, "Failed to create '%s': %m",
		                       res->report);
	err = open(res->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (err < 0)
		return log_error_errno(-errno, "Failed to create '%s': %m",
		                       res->log);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		return log_error_errno(-errno, "Failed to open /dev/null: %m");
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawn_file_actions_adddup2(&fa, null, STDIN_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
	if (r == 0)
		r = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv,
		                environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return log_error_errno(-r,
		                       "Failed to start 'imgfix fix' for "
		                       "'%s': %m",
		                       it->image);
	*ret_pid = pid;
	return 0;
}

/* Skips an image whose journal says the fix completed. */
static int
check_done(const struct batch_item *it, struct batch_result *res)
{
	_cleanup_free_ char *dir = batch_item_backup_dir(it);
	_cleanup_free_ char *state = NULL;
	int r;

	if (!dir)
		return -ENOMEM;
	r = batch_journal_state(dir, &state);
	if (r == -ENOMEM)
		return r;
	/* No journal, or a damaged one: the fix itself decides. */
	if (r < 0 || !streq(state, "complete"))
		return 0;
	res->status = BATCH_SKIPPED;
	res->exit_code = -1;
	if (util_asprintf(&res->reason, "already fixed (journal in %s)", dir) <
	    0)
		return -ENOMEM;
	return 1;
}

static void
finish_one(struct batch_result *res, int status, double seconds)
{
	res->seconds = seconds;
	res->exit_code = -1;
	if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	if (batch_result_read(res) < 0) {
		res->status = BATCH_FAILED;
		free(res->reason);
		res->reason = strdup("out of memory reading the report");
	}
}

static int
run_pool(const struct batch_manifest *m, const char *dir, unsigned jobs,
         struct batch_result *res)
{
	_cleanup_(util_progress_endp) struct util_progress *prog = NULL;
	_cleanup_free_ struct batch_slot *slots = calloc(jobs, sizeof(*slots));
	size_t next = 0, done = 0;
	unsigned running = 0;
	int width = 3, r;

	if (!slots)
		return -ENOMEM;
	for (size_t n = m->n_items; n >= 1000; n /= 10)
		width++;
	r = util_progress_start("batch", m->n_items, &prog);
	if (r < 0)
		return r;
	while (next < m->n_items || running > 0) {
		pid_t pid;
		int status;

		while (running < jobs && next < m->n_items) {
			size_t i = next++;
			unsigned k;

			r = check_done(&m->items[i], &res[i]);
			if (r < 0)
				return r;
			if (r > 0) {
				util_progress_update(prog, ++done);
				continue;
			}
			for (k = 0; slots[k].pid > 0; k++)
				;
			r = spawn_one(&m->items[i], dir, i, width, &res[i],
			              &slots[k].pid);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				res[i].status = BATCH_FAILED;
				res[i].exit_code = -1;
				free(res[i].reason);
				res[i].reason = strdup("could not start "
				                       "'imgfix fix'");
				util_progress_update(prog, ++done);
				continue;
			}
			slots[k].idx = i;
			slots[k].start = ((double)util_now_ns() / 1e9);
			running++;
		}
		if (running == 0)
			continue;
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(-errno, "waitpid: %m");
		}
		for (unsigned k = 0; k < jobs; k++) {
			if (slots[k].pid != pid)
				continue;
			finish_one(&res[slots[k].idx], status,
			           ((double)util_now_ns() / 1e9) -
			                   slots[k].start);
			slots[k].pid = 0;
			running--;
			util_progress_update(prog, ++done);
			log_info("%s: %s", m->items[slots[k].idx].image,
			         batch_status_name(res[slots[k].idx].status));
			break;
		}
	}
	return 0;
}

int
cmd_batch(int argc, char **argv)
{
	enum { ARG_REPORT_DIR = 0x100, ARG_HTML, ARG_JSON };
	static const struct option options[] = {
	        {"jobs", required_argument, NULL, 'j'},
	        {"report-dir", required_argument, NULL, ARG_REPORT_DIR},
	        {"html", required_argument, NULL, ARG_HTML},
	        {"json", required_argument, NULL, ARG_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *dir = NULL, *html = NULL, *json = NULL;
	_cleanup_free_ char *error = NULL;
	_cleanup_free_ struct batch_result *res = NULL;
	struct batch_manifest m = {0};
	const char *opt_dir = NULL, *opt_html = NULL, *opt_json = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs =
	        cpus > 0 ? (unsigned)MIN(cpus, (long)BATCH_MAX_JOBS) : 1;
	size_t c[BATCH_FAILED + 1] = {0};
	bool ok = true;
	uint32_t u;
	int ch, r, ret = IMGFIX_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "j:h", options, NULL)) >= 0) {
		switch (ch) {
		case 'j':
			if (util_parse_u32(optarg, &u) < 0 || u == 0 ||
			    u > BATCH_MAX_JOBS) {
				log_error("Bad --jobs '%s': expected 1 to %u.",
				          optarg, BATCH_MAX_JOBS);
				return IMGFIX_EXIT_USAGE;
			}
			jobs = u;
			break;
		case ARG_REPORT_DIR:
			opt_dir = optarg;
			break;
		case ARG_HTML:
			opt_html = optarg;
			break;
		case ARG_JSON:
			opt_json = optarg;
			break;
		case 'h':
			usage(stdout);
			return IMGFIX_EXIT_OK;
		default:
			usage(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_error("Expected exactly one MANIFEST. See 'imgfix batch "
		          "--help'.");
		return IMGFIX_EXIT_USAGE;
	}
	r = batch_manifest_load(argv[optind], &m, &error);
	if (r < 0) {
		if (error)
			log_error("Bad manifest: %s", error);
		else
			log_error_errno(r, "Failed to read manifest '%s': %m",
			                argv[optind]);
		return IMGFIX_EXIT_FAILURE;
	}
	if (m.n_items == 0) {
		log_notice("%s lists no images: nothing to do.", m.path);
		batch_manifest_done(&m);
		return IMGFIX_EXIT_NOTHING;
	}
	if (opt_dir)
		dir = strdup(opt_dir);
	else if (util_asprintf(&dir, "%s.reports", m.path) < 0)
		dir = NULL;
	html = opt_html ? strdup(opt_html)
	       : dir    ? util_path_join(dir, "summary.html")
	                : NULL;
	json = opt_json ? strdup(opt_json)
	       : dir    ? util_path_join(dir, "summary.json")
	                : NULL;
	res = calloc(m.n_items, sizeof(*res));
	if (!dir || !html || !json || !res) {
		log_error_errno(-ENOMEM, "Out of memory.");
		goto out;
	}
	r = util_mkdir_p(dir);
	if (r < 0) {
		log_error_errno(r,
		                "Failed to create the report directory "
		                "'%s': %m",
		                dir);
		goto out;
	}
	r = run_pool(&m, dir, jobs, res);
	if (r < 0) {
		log_error_errno(r, "Batch aborted: %m");
		goto out;
	}
	r = batch_summary_json(&m, res, json);
	if (r < 0) {
		log_error_errno(r, "Failed to write '%s': %m", json);
		goto out;
	}
	r = batch_summary_html(&m, res, html);
	if (r < 0) {
		log_error_errno(r, "Failed to write '%s': %m", html);
		goto out;
	}
	for (size_t i = 0; i < m.n_items; i++) {
		c[res[i].status]++;
		if (batch_status_ok(res[i].status))
			continue;
		ok = false;
		log_warning("%s: %s: %s", m.items[i].image,
		            batch_status_name(res[i].status),
		            res[i].reason ? res[i].reason : "");
	}
	if (!imgfix_globals.quiet)
		printf("%zu image(s): %zu fixed, %zu nothing to do, %zu "
		       "skipped, %zu blocked, %zu failed\n"
		       "Summary: %s\n",
		       m.n_items, c[BATCH_FIXED], c[BATCH_NOTHING],
		       c[BATCH_SKIPPED], c[BATCH_BLOCKED], c[BATCH_FAILED],
		       html);
	ret = ok ? IMGFIX_EXIT_OK : IMGFIX_EXIT_FAILURE;
out:
	if (res)
		for (size_t i = 0; i < m.n_items; i++)
			batch_result_done(&res[i]);
	batch_manifest_done(&m);
	return ret;
}
