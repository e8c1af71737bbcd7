/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix hive`: read, edit, export and compare registry hives.
 *
 *   imgfix hive export [--prefix P] HIVE [KEY]
 *   imgfix hive get    [--reg] HIVE KEY [VALUE]
 *   imgfix hive set    HIVE KEY VALUE TYPE [DATA...]
 *   imgfix hive diff   [--prefix P] [--exit-code] A B
 *   imgfix hive recover HIVE -o OUT
 *
 * HIVE is a hive file on the host, or IMAGE:NAME (NAME = SYSTEM, SOFTWARE,
 * DRIVERS or BCD) for the hive inside a disk image or directory tree, read
 * through the volume layer (copied to a private temp dir first).  A dirty
 * hive is read with its transaction logs (HIVE.LOG1/.LOG2/.LOG beside it)
 * replayed into a private copy; `recover` writes that copy out.  `set` on
 * a host file commits to a temp file beside the hive and renames it into
 * place; on IMAGE:NAME it goes through the journalled apply of `imgfix
 * fix`, which writes a dirty hive back recovered and clean.
 */
#include <assert.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>

#include "engine/apply.h"
#include "cli/cmd.h"
#include "engine/journal.h"
#include "engine/plan.h"
#include "hive.h"
#include "util.h"
#include "image/volume.h"
#include "engine/hive-logs.h"

/* ---- opening HIVE or IMAGE:NAME ----------------------------------------- */

struct source {
	char *spec;   /* as given */
	char *file;   /* host file hivex opens */
	char *tmpdir; /* private copy of an image's hive, removed at end */
	char *name;   /* SYSTEM, SOFTWARE, ... (default prefix) */
	struct hive *h;
	bool replayed;    /* dirty: its logs were replayed into the copy */
	bool unrecovered; /* dirty, logs not usable: warned already */
};

static void
source_done(struct source *s)
{
	hive_free(s->h);
	if (s->tmpdir)
		(void)util_rmdtemp(s->tmpdir);
	free(s->tmpdir);
	free(s->file);
	free(s->name);
	free(s->spec);
	*s = (struct source){0};
}

static const char *const image_hives[] = {"SYSTEM", "SOFTWARE", "DRIVERS",
                                          "BCD"};

/* Where each NAME lives on a Windows volume (looked up case-insensitively;
 * the system roots are those of WINDOWS.md). */
static const char *const systemroots[] = {"Windows", "WINNT", "Win32", "Win",
                                          "ReactOS"};
static const char *const bcd_paths[] = {"Boot/BCD", "EFI/Microsoft/Boot/BCD"};

/* "IMAGE:NAME" -> image and canonical NAME; 0 when spec is not one. */
static int
split_image_spec(const char *spec, char **ret_image, const char **ret_name)
{
	const char *colon = strrchr(spec, ':');
	struct stat st;

	if (!colon || colon == spec || stat(spec, &st) == 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(image_hives); i++)
		if (strcaseeq(colon + 1, image_hives[i])) {
			*ret_image =
			        util_strndup0(spec, (size_t)(colon - spec));
			if (!*ret_image)
				return -ENOMEM;
			*ret_name = image_hives[i];
			return 1;
		}
	return 0;
}

/* Finds NAME on volume v; *ret is its real-case path. */
static int
find_hive_on_volume(struct fixup_volume *v, const char *name, char **ret)
{
	if (streq(name, "BCD")) {
		for (size_t i = 0; i < ELEMENTSOF(bcd_paths); i++)
			if (fixup_volume_lookup(v, bcd_paths[i], ret) >= 0)
				return 0;
		return -ENOENT;
	}
	for (size_t i = 0; i < ELEMENTSOF(systemroots); i++) {
		_cleanup_free_ char *p = NULL;

		if (util_asprintf(&p, "%s/System32/config/%s", systemroots[i],
		                  name) < 0)
			return -ENOMEM;
		if (fixup_volume_lookup(v, p, ret) >= 0)
			return 0;
	}
	return -ENOENT;
}

static int
copy_out_of_image(struct source *s, const char *image, const char *name)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	const struct fixup_disk_layout *layout;
	int r, last = FIXUP_E_NO_FILESYSTEM;

	util_log_phase("start");
	r = fixup_image_open(image, 0, &img);
	util_log_phase("open image");
	if (r < 0) {
		const char *d = fixup_error_detail();

		return log_error_errno(r, "Failed to open image '%s': %s",
		                       image, d ? d : strerror(-r));
	}
	layout = fixup_image_layout(img);
	for (size_t i = 0; i < layout->n_parts; i++) {
		_cleanup_free_ char *real = NULL;
		struct fixup_hive_copy hc = {0};
		struct fixup_volume *v;

		if (!fixup_image_can_open(img, i))
			continue;
		r = fixup_image_open_volume(img, i, &v);
		if (r < 0) {
			const char *d = fixup_error_detail();

			log_warning_errno(r,
			                  "Skipping partition %zu of '%s': %s",
			                  i + 1, image, d ? d : strerror(-r));
			last = r;
			continue;
		}
		if (find_hive_on_volume(v, name, &real) < 0)
			continue;
		r = util_mkdtemp("hive", &s->tmpdir);
		if (r < 0)
			return log_error_errno(
			        r, "Failed to create a temp dir: %s",
			        strerror(-r));
		s->file = util_path_join(s->tmpdir, name);
		if (!s->file)
			return log_error_errno(-ENOMEM, "Out of memory");
		r = fixup_hive_copy_out(v, real, HIVE_MAX_FILE_SIZE, s->file,
		                        &hc);
		if (r < 0) {
			const char *d = fixup_error_detail();

			return log_error_errno(
			        r,
			        "Failed to copy '%s' out of '%s' "
			        "(%s): %s",
			        real, image, fixup_volume_name(v),
			        d ? d : strerror(-r));
		}
		log_info("Reading %s from %s of '%s'", real,
		         fixup_volume_name(v), image);
		fixup_hive_copy_log(&hc, name, real);
		s->replayed = hc.rec.recovered;
		s->unrecovered = hc.rec.dirty && !hc.rec.recovered;
		fixup_hive_copy_done(&hc);
		return 0;
	}
	return log_error_errno(last == FIXUP_E_NO_FILESYSTEM ? -ENOENT : last,
	                       "No %s hive found in '%s' (looked for %s%s on "
	                       "every readable partition)",
	                       name, image,
	                       streq(name, "BCD")
	                               ? "Boot/BCD and EFI/Microsoft/Boot/BCD"
	                               : "<systemroot>/System32/config/",
	                       streq(name, "BCD") ? "" : name);
}

static int
copy_file(const char *from, const char *to)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = util_read_file(from, HIVE_MAX_FILE_SIZE, &buf, &len);
	return r < 0 ? r : util_write_file_atomic(to, buf, len);
}

/*
 * A dirty hive file on the host with its logs beside it: the logs are
 * replayed into a private copy (s->file), the file itself is not touched.
 * Clean or without logs: s->file stays unset (the file is read).
 */
static int
replay_host_file(struct source *s, const char *spec)
{
	_cleanup_strv_free_ char **logs = NULL;
	struct hive_recovery rec = {0};
	char hdr[512];
	ssize_t n;
	int fd, r;

	fd = open(spec, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0; /* hive_open() says what is wrong */
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n <= 0 || !hive_header_dirty(hdr, (size_t)n))
		return 0;
	r = hive_find_logs(spec, &logs);
	if (r < 0)
		return log_error_errno(r, "Out of memory");
	if (!logs[0])
		return 0;
	r = util_mkdtemp("hive", &s->tmpdir);
	if (r < 0)
		return log_error_errno(r, "Failed to create a temp dir: %s",
		                       strerror(-r));
	s->file = util_path_join(s->tmpdir, s->name ? s->name : "hive");
	if (!s->file)
		return log_error_errno(-ENOMEM, "Out of memory");
	r = copy_file(spec, s->file);
	if (r >= 0)
		r = hive_recover_file(s->file, logs, &rec);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to read '%s' and its logs: %s",
		                       spec, strerror(-r));
	if (rec.recovered)
		log_notice("Hive '%s' is dirty: replayed %s into a private "
		           "copy (the files are unchanged).",
		           spec, rec.logs);
	else {
		log_warning("Hive '%s' is dirty: %s. Showing its primary "
		            "file as it is, without the changes only the logs "
		            "hold.",
		            spec, rec.problem);
		s->unrecovered = true;
	}
	s->replayed = rec.recovered;
	hive_recovery_done(&rec);
	return 0;
}

/* Opens spec; returns an IMGFIX_EXIT_* code. */
static int
source_open(struct source *s, const char *spec, bool write)
{
	_cleanup_free_ char *image = NULL, *err = NULL;
	const char *name = NULL;
	unsigned flags = 0;
	int r;

	s->spec = strdup(spec);
	if (!s->spec)
		return log_error_errno(-ENOMEM, "Out of memory"),
		       IMGFIX_EXIT_FAILURE;
	r = split_image_spec(spec, &image, &name);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	if (r > 0) {
		/* a private copy to read: `hive set IMAGE:NAME` writes
		 * through set_in_image() (journalled), never here */
		assert(!write);
		if (copy_out_of_image(s, image, name) < 0)
			return IMGFIX_EXIT_FAILURE;
		s->name = strdup(name);
	} else {
		_cleanup_free_ char *copy = strdup(spec);

		if (copy)
			s->name = strdup(basename(copy));
		if (!write && replay_host_file(s, spec) < 0)
			return IMGFIX_EXIT_FAILURE;
		if (!s->file)
			s->file = strdup(spec);
	}
	if (!s->file || !s->name)
		return log_error_errno(-ENOMEM, "Out of memory"),
		       IMGFIX_EXIT_FAILURE;

	if (write)
		flags |= HIVE_OPEN_WRITE;
	if (imgfix_globals.verbose >= 2)
		flags |= HIVE_OPEN_VERBOSE;
	r = hive_open_full(s->file, flags, &s->h, &err);
	if (r < 0) {
		if (err)
			log_error("%s", err);
		else
			log_error_errno(r, "Failed to open hive '%s': %s", spec,
			                strerror(-r));
		if (r == -EUCLEAN)
			log_error("Replay its logs into a clean copy first: "
			          "imgfix hive recover '%s' -o FILE",
			          spec);
		return r == -EUCLEAN ? IMGFIX_EXIT_NOTHING
		                     : IMGFIX_EXIT_FAILURE;
	}
	if (hive_is_dirty(s->h) && !s->unrecovered)
		log_warning("Hive '%s' is dirty and no transaction log "
		            "(.LOG1/.LOG2/.LOG) was replayed: what is shown "
		            "may be out of date.",
		            spec);
	return IMGFIX_EXIT_OK;
}

static char *
default_prefix(const struct source *s)
{
	char *p;

	if (util_asprintf(&p, "HKEY_LOCAL_MACHINE\\%s", s->name) < 0)
		return NULL;
	return p;
}

static int
hive_failed(const struct source *s, int r, const char *what)
{
	const char *d = hive_last_error(s->h);

	if (d)
		log_error("%s", d);
	else
		log_error_errno(r, "Failed to %s '%s': %s", what, s->spec,
		                strerror(-r));
	return IMGFIX_EXIT_FAILURE;
}

static int
finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("Failed to write to standard output");
		return IMGFIX_EXIT_FAILURE;
	}
	return IMGFIX_EXIT_OK;
}

/* ---- export ------------------------------------------------------------- */

static void
export_help(FILE *f)
{
	fprintf(f, "Usage: imgfix hive export [--prefix P] HIVE [KEY]\n\n"
	           "Writes KEY (default: the root) and its subtree as Windows "
	           ".reg text\n(\"Windows Registry Editor Version 5.00\") to "
	           "standard output.  Key\npaths start with P (default "
	           "HKEY_LOCAL_MACHINE\\NAME, NAME being the\nhive's file "
	           "name or the NAME of IMAGE:NAME; --prefix '' for none).\n"
	           "HIVE is a hive file or IMAGE:NAME (SYSTEM, SOFTWARE, "
	           "DRIVERS, BCD).\n");
}

static int
hive_export(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"prefix", required_argument, NULL, 'p'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *prefix = NULL;
	struct source s = {0};
	int c, r, ret;

	while ((c = getopt_long(argc, argv, "hp:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			export_help(stdout);
			return IMGFIX_EXIT_OK;
		case 'p':
			free(prefix);
			prefix = strdup(optarg);
			break;
		default:
			export_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		export_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	ret = source_open(&s, argv[optind], false);
	if (ret != IMGFIX_EXIT_OK)
		goto out;
	if (!prefix)
		prefix = default_prefix(&s);
	r = hive_export_reg(s.h, argc - optind == 2 ? argv[optind + 1] : "",
	                    prefix ? prefix : "", stdout);
	ret = r < 0 ? hive_failed(&s, r, "export") : finish_stdout();
out:
	source_done(&s);
	return ret;
}

/* ---- get ---------------------------------------------------------------- */

static void
get_help(FILE *f)
{
	fprintf(f, "Usage: imgfix hive get [--reg] HIVE KEY [VALUE]\n\n"
	           "With VALUE (\"\" for the default value): prints its data "
	           "- a string as\nUTF-8, a MULTI_SZ one item per line, a "
	           "DWORD/QWORD in decimal, other\ntypes as hex bytes; with "
	           "--reg, the .reg line instead.\nWithout VALUE: prints "
	           "the key's values in .reg notation, then its\nsubkeys as "
	           "\"; subkey NAME\" lines.  KEY is a backslash path, "
	           "matched\ncase-insensitively.\n");
}

static int
print_value(const struct hive_value *v, const char *name, bool reg)
{
	if (reg)
		return hive_reg_write_value(stdout, name, v->type, v->data,
		                            v->len) < 0
		               ? -EBADMSG
		               : 0;
	switch (v->type) {
	case HIVE_T_SZ:
	case HIVE_T_EXPAND_SZ:
	case HIVE_T_LINK: {
		_cleanup_free_ char *s = NULL;
		int r = util_utf16le_to_utf8(v->data, v->len & ~(size_t)1, &s,
		                             NULL);

		if (r < 0)
			return r;
		printf("%s\n", s);
		return 0;
	}
	case HIVE_T_MULTI_SZ: {
		_cleanup_strv_free_ char **items = NULL;
		int r = hive_decode_multi_sz(v->data, v->len, &items);

		if (r < 0)
			return r;
		STRV_FOREACH (i, items)
			printf("%s\n", *i);
		return 0;
	}
	case HIVE_T_DWORD:
		if (v->len == 4) {
			printf("%u\n", util_le32(v->data));
			return 0;
		}
		break;
	case HIVE_T_DWORD_BIG_ENDIAN:
		if (v->len == 4) {
			printf("%u\n", __builtin_bswap32(util_le32(v->data)));
			return 0;
		}
		break;
	case HIVE_T_QWORD:
		if (v->len == 8) {
			printf("%llu\n",
			       (unsigned long long)util_le64(v->data));
			return 0;
		}
		break;
	default:
		break;
	}
	for (size_t i = 0; i < v->len; i++)
		printf("%s%02x", i ? " " : "", v->data[i]);
	putchar('\n');
	return 0;
}

static int
print_key(struct source *s, const char *key)
{
	_cleanup_strv_free_ char **names = NULL, **subkeys = NULL;
	int r;

	r = hive_list_values(s->h, key, &names);
	if (r < 0)
		return r;
	r = hive_list_subkeys(s->h, key, &subkeys);
	if (r < 0)
		return r;
	printf("[%s]\n", key);
	STRV_FOREACH (n, names) {
		struct hive_value v = {0};

		r = hive_get_value(s->h, key, *n, &v);
		if (r < 0)
			return r;
		r = hive_reg_write_value(stdout, *n, v.type, v.data, v.len);
		hive_value_done(&v);
		if (r < 0)
			return r;
	}
	STRV_FOREACH (k, subkeys)
		printf("; subkey %s\n", *k);
	return 0;
}

static int
hive_get(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"reg", no_argument, NULL, 'r'},
	        {NULL, 0, NULL, 0},
	};
	struct source s = {0};
	bool reg = false;
	int c, r, ret;

	while ((c = getopt_long(argc, argv, "hr", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			get_help(stdout);
			return IMGFIX_EXIT_OK;
		case 'r':
			reg = true;
			break;
		default:
			get_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		get_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	ret = source_open(&s, argv[optind], false);
	if (ret != IMGFIX_EXIT_OK)
		goto out;
	if (argc - optind == 3) {
		struct hive_value v = {0};

		r = hive_get_value(s.h, argv[optind + 1], argv[optind + 2], &v);
		if (r >= 0) {
			r = print_value(&v, argv[optind + 2], reg);
			hive_value_done(&v);
		}
	} else
		r = print_key(&s, argv[optind + 1]);
	ret = r < 0 ? hive_failed(&s, r, "read") : finish_stdout();
out:
	source_done(&s);
	return ret;
}

/* ---- set ---------------------------------------------------------------- */

/*
 * IMAGE:NAME: the edit goes through the same journalled apply as `imgfix
 * fix` (a one-op plan), so `imgfix rollback` undoes it.
 */
static int
set_in_image(const char *image, const char *name, const struct hive_edits *l,
             const char *backup, char *const *force)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	_cleanup_free_ char *dflt = NULL, *real = NULL;
	const struct fixup_disk_layout *layout;
	struct fixup_apply_result res = {0};
	struct fixup_volume *v = NULL;
	struct fixup_plan p = {0};
	struct fixup_op *op;
	int r;

	util_log_phase("start");
	r = fixup_image_open(
	        image,
	        FIXUP_OPEN_WRITE |
	                (util_strv_contains(force, FIXUP_FORCE_NTFS_JOURNAL)
	                         ? FIXUP_OPEN_RESET_JOURNAL
	                         : 0),
	        &img);
	util_log_phase("open image");
	if (r < 0) {
		const char *d = fixup_error_detail();

		log_error_errno(r, "Failed to open image '%s' for writing: %s",
		                image, d ? d : strerror(-r));
		return IMGFIX_EXIT_FAILURE;
	}
	layout = fixup_image_layout(img);
	for (size_t i = 0; i < layout->n_parts && !real; i++) {
		if (!fixup_image_can_open(img, i) ||
		    fixup_image_open_volume(img, i, &v) < 0)
			continue;
		if (find_hive_on_volume(v, name, &real) < 0)
			real = NULL;
	}
	if (!real) {
		log_error("No %s hive found in '%s'.", name, image);
		return IMGFIX_EXIT_FAILURE;
	}
	r = fixup_plan_hive_op(&p, v, name, real, "imgfix hive set", &op);
	if (r >= 0)
		r = hive_edits_set_origin(&op->edits, "imgfix hive set");
	if (r >= 0)
		r = hive_edits_append(&op->edits, l);
	if (r >= 0)
		r = fixup_plan_finalize(&p);
	if (r < 0) {
		fixup_plan_done(&p);
		log_error_errno(r, "Failed to edit %s in '%s': %s", name, image,
		                strerror(-r));
		return r == -EUCLEAN ? IMGFIX_EXIT_NOTHING
		                     : IMGFIX_EXIT_FAILURE;
	}
	for (size_t i = 0; i < p.n_problems; i++) {
		const struct fixup_problem *pr = &p.problems[i];

		if (!pr->blocking)
			continue;
		if (util_strv_contains(force, "all") ||
		    (pr->origin && util_strv_contains(force, pr->origin))) {
			log_warning("forced past: %s", pr->message);
			continue;
		}
		log_error("%s", pr->message);
		if (pr->hint)
			log_error("%s", pr->hint);
		fixup_plan_done(&p);
		return IMGFIX_EXIT_NOTHING;
	}
	if (p.n_ops == 0) {
		fixup_plan_done(&p);
		log_notice("%s already holds that value: nothing to do.", name);
		return IMGFIX_EXIT_NOTHING;
	}
	if (!backup) {
		dflt = journal_default_dir(image);
		backup = dflt;
	}
	r = backup ? fixup_apply(img, v, &p, backup, &res) : -ENOMEM;
	fixup_plan_done(&p);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	log_notice("Set in %s of '%s'; journal in %s (undo with 'imgfix "
	           "rollback --backup %s %s').",
	           name, image, res.backup_dir, res.backup_dir, image);
	fixup_apply_result_done(&res);
	return IMGFIX_EXIT_OK;
}

static void
set_help(FILE *f)
{
	fprintf(f, "Usage: imgfix hive set HIVE KEY VALUE TYPE [DATA...]\n\n"
	           "Sets VALUE (\"\" for the default value) of KEY, creating "
	           "the key and\nits parents as needed.  TYPE and DATA:\n"
	           "  sz, expand_sz  one UTF-8 string\n"
	           "  multi_sz       zero or more items, one argument each\n"
	           "  dword, qword   a decimal or 0x-prefixed number\n"
	           "  binary, none   hex bytes (\"de,ad,be,ef\", \"de ad\", "
	           "\"deadbeef\"; none:\n"
	           "                 optional)\n"
	           "A hive file is written to a temp file beside it and "
	           "renamed into place.\nIMAGE:NAME is edited through the "
	           "journal, like 'imgfix fix' (undo with\n'imgfix rollback'). "
	           " A dirty hive inside an image is recovered from its\n"
	           "transaction logs and written back clean, its logs reset; "
	           "when its logs\ncannot be replayed it is refused (exit 3) "
	           "unless --force dirty-hive.\nA dirty hive file is refused "
	           "(exit 3): see 'imgfix hive recover'.\n\n"
	           "Options:\n"
	           "      --backup DIR  journal for IMAGE:NAME (default "
	           "IMAGE.imgfix)\n"
	           "      --force WHAT  IMAGE:NAME: go ahead despite a "
	           "blocking problem\n"
	           "                    (dirty-hive, or all); ntfs-journal: "
	           "reset an unclean\n"
	           "                    NTFS journal\n"
	           "  -h, --help        this help\n");
}

static int
parse_hex(const char *s, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = malloc(strlen(s) / 2 + 1);
	size_t n = 0;

	if (!out)
		return -ENOMEM;
	while (*s) {
		unsigned hi, lo;

		if (*s == ',' || *s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (sscanf(s, "%1x%1x", &hi, &lo) != 2)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

/* Builds the one edit of `set` from TYPE and DATA. */
static int
build_edit(struct hive_edits *l, const char *key, const char *name,
           const char *type, char **data, int n_data)
{
	if (strcaseeq(type, "multi_sz"))
		return hive_edits_set_multi_sz(l, key, name, data);
	if (strcaseeq(type, "none") && n_data == 0)
		return hive_edits_set(l, key, name, HIVE_T_NONE, NULL, 0);
	if (n_data != 1)
		return -E2BIG;
	if (strcaseeq(type, "sz"))
		return hive_edits_set_sz(l, key, name, HIVE_T_SZ, data[0]);
	if (strcaseeq(type, "expand_sz"))
		return hive_edits_set_sz(l, key, name, HIVE_T_EXPAND_SZ,
		                         data[0]);
	if (strcaseeq(type, "dword")) {
		uint32_t v;
		int r = util_parse_u32(data[0], &v);

		return r < 0 ? -EINVAL : hive_edits_set_dword(l, key, name, v);
	}
	if (strcaseeq(type, "qword")) {
		uint64_t v;
		uint8_t b[8];

		if (util_parse_u64(data[0], &v) < 0)
			return -EINVAL;
		util_put_le64(b, v);
		return hive_edits_set(l, key, name, HIVE_T_QWORD, b, 8);
	}
	if (strcaseeq(type, "binary") || strcaseeq(type, "none")) {
		_cleanup_free_ uint8_t *b = NULL;
		size_t len;

		if (parse_hex(data[0], &b, &len) < 0)
			return -EINVAL;
		return hive_edits_set(l, key, name,
		                      strcaseeq(type, "none") ? HIVE_T_NONE
		                                              : HIVE_T_BINARY,
		                      b, len);
	}
	return -EPROTONOSUPPORT;
}

/* Commits s to a temp file beside it and renames it into place. */
static int
commit_in_place(struct source *s)
{
	_cleanup_free_ char *dir_copy = strdup(s->file);
	_cleanup_free_ char *base_copy = strdup(s->file);
	_cleanup_free_ char *tmp = NULL;
	struct stat st;
	int fd, r;

	if (!dir_copy || !base_copy)
		return -ENOMEM;
	if (stat(s->file, &st) < 0) {
		r = -errno;
		return log_error_errno(r, "Failed to stat '%s': %s", s->file,
		                       strerror(-r));
	}
	if (util_asprintf(&tmp, "%s/.%s.imgfix-XXXXXX", dirname(dir_copy),
	                  basename(base_copy)) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		return log_error_errno(r,
		                       "Failed to create a temp file beside "
		                       "'%s': %s",
		                       s->file, strerror(-r));
	}
	r = fchmod(fd, st.st_mode & 07777) < 0 ? -errno : 0;
	close(fd);
	if (r >= 0)
		r = hive_commit(s->h, tmp);
	if (r >= 0 && rename(tmp, s->file) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		if (hive_last_error(s->h))
			return log_error("Failed to write '%s': %s", s->file,
			                 hive_last_error(s->h)),
			       r;
		return log_error_errno(r, "Failed to replace '%s': %s", s->file,
		                       strerror(-r));
	}
	/* Make the rename durable. */
	fd = open(dirname(strcpy(base_copy, s->file)),
	          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

static int
hive_set(int argc, char **argv)
{
	static const struct option options[] = {
	        {"backup", required_argument, NULL, 'b'},
	        {"force", required_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_strv_free_ char **force = NULL;
	_cleanup_free_ char *image = NULL;
	const char *backup = NULL, *name = NULL;
	struct hive_edits l = {0};
	struct source s = {0};
	size_t failed;
	int c, r, ret;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'b':
			backup = optarg;
			break;
		case 'f':
			if (util_strv_push(&force, optarg) < 0)
				return log_error_errno(-ENOMEM,
				                       "Out of memory"),
				       IMGFIX_EXIT_FAILURE;
			break;
		case 'h':
			set_help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			set_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (argc - optind < 4) {
		set_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	r = build_edit(&l, argv[optind + 1], argv[optind + 2], argv[optind + 3],
	               argv + optind + 4, argc - optind - 4);
	if (r < 0) {
		hive_edits_done(&l);
		if (r == -ENOMEM)
			return log_error_errno(r, "Out of memory"),
			       IMGFIX_EXIT_FAILURE;
		log_error("Invalid value for type '%s'%s: see 'imgfix hive "
		          "set --help'",
		          argv[optind + 3],
		          r == -EPROTONOSUPPORT ? " (unknown type)"
		          : r == -E2BIG         ? " (wrong number of DATA "
		                                  "arguments)"
		                                : "");
		return IMGFIX_EXIT_USAGE;
	}
	r = split_image_spec(argv[optind], &image, &name);
	if (r > 0) {
		ret = set_in_image(image, name, &l, backup, force);
		goto out;
	}
	ret = source_open(&s, argv[optind], true);
	if (ret != IMGFIX_EXIT_OK)
		goto out;
	r = hive_apply_edits(s.h, l.v, l.n, &failed);
	if (r < 0) {
		ret = hive_failed(&s, r, "edit");
		goto out;
	}
	ret = commit_in_place(&s) < 0 ? IMGFIX_EXIT_FAILURE : IMGFIX_EXIT_OK;
out:
	hive_edits_done(&l);
	source_done(&s);
	return ret;
}

/* ---- diff --------------------------------------------------------------- */

static void
diff_help(FILE *f)
{
	fprintf(f, "Usage: imgfix hive diff [--prefix P] [--exit-code] A B\n\n"
	           "Prints what changed from hive A to hive B as .reg text: "
	           "merged into A\n(e.g. hivexregedit --merge), it gives B.  "
	           "Removed keys are [-KEY],\nremoved values \"NAME\"=-, "
	           "changed values are preceded by a \"; was:\"\ncomment.  "
	           "With --exit-code, exit 1 when the hives differ.\n");
}

static int
hive_diff_cmd(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"prefix", required_argument, NULL, 'p'},
	        {"exit-code", no_argument, NULL, 'e'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *prefix = NULL;
	struct source a = {0}, b = {0};
	bool exit_code = false;
	int c, r, ret;

	while ((c = getopt_long(argc, argv, "hp:e", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			diff_help(stdout);
			return IMGFIX_EXIT_OK;
		case 'p':
			free(prefix);
			prefix = strdup(optarg);
			break;
		case 'e':
			exit_code = true;
			break;
		default:
			diff_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		diff_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	ret = source_open(&a, argv[optind], false);
	if (ret == IMGFIX_EXIT_OK)
		ret = source_open(&b, argv[optind + 1], false);
	if (ret != IMGFIX_EXIT_OK)
		goto out;
	if (!prefix)
		prefix = default_prefix(&a);
	r = hive_diff(a.h, b.h, prefix ? prefix : "", stdout);
	if (r < 0) {
		ret = hive_failed(&a, r, "compare");
		goto out;
	}
	log_info("%d difference(s)", r);
	ret = finish_stdout();
	if (ret == IMGFIX_EXIT_OK && exit_code && r > 0)
		ret = IMGFIX_EXIT_FAILURE;
out:
	source_done(&a);
	source_done(&b);
	return ret;
}

/* ---- recover ------------------------------------------------------------ */

static void
recover_help(FILE *f)
{
	fprintf(f, "Usage: imgfix hive recover HIVE -o OUT\n\n"
	           "Writes the hive with its transaction logs replayed, as "
	           "Windows replays\nthem when it loads a dirty hive, to OUT "
	           "(a new file): a clean hive\n(equal sequence numbers, "
	           "valid checksum).  The logs are HIVE.LOG1,\nHIVE.LOG2 and "
	           "HIVE.LOG beside a hive file (any letter case), or beside\n"
	           "the hive inside IMAGE:NAME (read-only).  A clean hive is "
	           "copied as it\nis.  A dirty hive whose logs cannot be "
	           "replayed is an error naming\neach log and why; OUT is not "
	           "written then.\n\n"
	           "Options:\n"
	           "  -o, --output OUT  the file to write\n"
	           "  -h, --help        this help\n");
}

static int
hive_recover_cmd(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"output", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *image = NULL;
	_cleanup_strv_free_ char **logs = NULL;
	_cleanup_(hive_freep) struct hive *h = NULL;
	struct hive_recovery rec = {0};
	const char *out = NULL, *name = NULL;
	struct source s = {0};
	struct stat st;
	int c, r, ret = IMGFIX_EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "ho:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			recover_help(stdout);
			return IMGFIX_EXIT_OK;
		case 'o':
			out = optarg;
			break;
		default:
			recover_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !out) {
		recover_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	if (lstat(out, &st) == 0) {
		log_error("'%s' exists: imgfix hive recover writes a new file.",
		          out);
		return IMGFIX_EXIT_FAILURE;
	}
	r = split_image_spec(argv[optind], &image, &name);
	if (r < 0)
		return IMGFIX_EXIT_FAILURE;
	if (r > 0) {
		/* copied out with its logs replayed (or a warning) */
		if (copy_out_of_image(&s, image, name) < 0)
			goto out;
		if (s.unrecovered) {
			log_error("%s of '%s' cannot be recovered: nothing "
			          "written.",
			          name, image);
			goto out;
		}
		r = copy_file(s.file, out);
	} else {
		r = hive_find_logs(argv[optind], &logs);
		if (r >= 0)
			r = copy_file(argv[optind], out);
		if (r >= 0)
			r = hive_recover_file(out, logs, &rec);
		if (r >= 0 && rec.dirty && !rec.recovered) {
			(void)unlink(out);
			log_error("Hive '%s' is dirty and cannot be recovered: "
			          "%s. Nothing written.",
			          argv[optind], rec.problem);
			goto out;
		}
		if (r >= 0 && rec.recovered)
			log_notice("Replayed %s: %s is clean (sequence number "
			           "%u).",
			           rec.logs, out, rec.seq);
		else if (r >= 0)
			log_notice("Hive '%s' is clean: copied as it is.",
			           argv[optind]);
	}
	if (r < 0) {
		(void)unlink(out);
		log_error_errno(r, "Failed to write '%s': %s", out,
		                strerror(-r));
		goto out;
	}
	/* what was written must open */
	r = hive_open(out, 0, &h);
	if (r < 0) {
		log_error_errno(r, "The recovered hive '%s' does not open: %s",
		                out, strerror(-r));
		goto out;
	}
	ret = IMGFIX_EXIT_OK;
out:
	hive_recovery_done(&rec);
	source_done(&s);
	return ret;
}

/* ---- dispatch ----------------------------------------------------------- */

static void
hive_help(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix hive COMMAND ...\n\n"
	        "  export [--prefix P] HIVE [KEY]      subtree as .reg text\n"
	        "  get [--reg] HIVE KEY [VALUE]        a key or a value\n"
	        "  set HIVE KEY VALUE TYPE [DATA...]   set a value (host "
	        "file)\n"
	        "  diff [--prefix P] [--exit-code] A B changes A -> B as "
	        ".reg text\n"
	        "  recover HIVE -o OUT                 replay the "
	        "transaction logs\n\n"
	        "HIVE is a hive file, or IMAGE:NAME with NAME one of "
	        "SYSTEM, SOFTWARE,\nDRIVERS, BCD (read-only).  A dirty hive "
	        "is read with its transaction\nlogs (.LOG1/.LOG2/.LOG beside "
	        "it) replayed.  See 'imgfix hive COMMAND --help'.\n");
}

int
cmd_hive(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} sub[] = {
	        {"diff", hive_diff_cmd}, {"export", hive_export},
	        {"get", hive_get},       {"recover", hive_recover_cmd},
	        {"set", hive_set},
	};

	if (argc < 2) {
		hive_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
		hive_help(stdout);
		return IMGFIX_EXIT_OK;
	}
	for (size_t i = 0; i < ELEMENTSOF(sub); i++)
		if (streq(argv[1], sub[i].name)) {
			optind = 0;
			return sub[i].run(argc - 1, argv + 1);
		}
	log_error("Unknown command 'hive %s'. See 'imgfix hive --help'.",
	          argv[1]);
	return IMGFIX_EXIT_USAGE;
}
